/* Rare-event estimation (models/rare.h, docs/rare-events.md): the oracle's
 * weights on a scripted timeline, the boosted draws, agreement with the
 * cache-aside closed form and with plain Monte Carlo, and the command line.
 *
 * The closed form (tests/test_patterns.c): one key, zero latencies, Poisson
 * reads L and writes M, TTL T, each invalidation lost with probability f,
 * n = M(1-f):
 *   E[stale time] = (f + (1-f) e^{-MT} - e^{-nT}) / n,
 *   E[L_e] = (1 - e^{-nT}) / n,  stale = L E[stale time] / (1 + L E[L_e]).
 * Here L = 1/s, M = 0.2/s, T = 3 s (the patterns suite's L T and M T ratios
 * at a tenth of the reads per write, so a replication is cheap).
 *
 * `make validate` adds f = 1e-4 and 1e-9, and 100 independent estimates at
 * f = 1e-6 whose 95% intervals must cover the closed form at least 90
 * times. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/run.h"
#include "models/faults.h"
#include "models/oracle.h"
#include "models/rare.h"
#include "tests/testing.h"
#include "tests/testing_rare.h"

#define MS SIM_MS

/* ---- the oracle's weights -------------------------------------------------- */

static void test_oracle_weights(void) {
    oracle *o = oracle_create(1, 0);
    CU_ASSERT_FATAL(o != NULL);
    oracle_copy_set(o, 0, ORACLE_CACHE, 0, 0, 1000 * MS, ORACLE_SET_FILL);
    oracle_commit(o, 0, 1, 10 * MS, ORACLE_PLAN_PENDING);
    /* The DEL of commit 1 failed; it would have landed at 20 ms. */
    oracle_fault_mark(o, 0, ORACLE_CACHE, 1, 10 * MS, 20 * MS, 0.1);
    oracle_read(o, 0, 1, 15 * MS, 15 * MS, 0, ORACLE_CACHE); /* lag: 1 */
    oracle_read(o, 0, 1, 25 * MS, 25 * MS, 0, ORACLE_CACHE); /* fault: 0.1 */
    /* A retry of the same commit's DEL fails too (lands at 40 ms). */
    oracle_fault_mark(o, 0, ORACLE_CACHE, 1, 30 * MS, 40 * MS, 0.1);
    oracle_read(o, 0, 1, 35 * MS, 35 * MS, 0, ORACLE_CACHE); /* 0.1 */
    oracle_read(o, 0, 1, 45 * MS, 45 * MS, 0, ORACLE_CACHE); /* 0.01 */
    /* Commit 2's DEL fails while commit 1's fault still keeps the copy:
     * an overlap, the ratios multiply. */
    oracle_commit(o, 0, 2, 50 * MS, ORACLE_PLAN_PENDING);
    oracle_fault_mark(o, 0, ORACLE_CACHE, 2, 50 * MS, 60 * MS, 0.5);
    oracle_read(o, 0, 1, 65 * MS, 65 * MS, 0, ORACLE_CACHE); /* 0.005 */
    const oracle_counts *c = oracle_get_counts(o);
    EXPECT(c->stale == 5, "stale %llu", (unsigned long long)c->stale);
    double want = 1 + 0.1 + 0.1 + 0.01 + 0.005;
    EXPECT(fabs(c->stale_w - want) < 1e-12, "weights %.15g, want %.15g",
           c->stale_w, want);
    EXPECT(c->weighted_stale == 4, "weighted %llu",
           (unsigned long long)c->weighted_stale);
    EXPECT(c->overlaps == 1 && c->overlap_stale == 1 && c->fault_marks == 3,
           "overlaps %llu, overlap reads %llu, marks %llu",
           (unsigned long long)c->overlaps,
           (unsigned long long)c->overlap_stale,
           (unsigned long long)c->fault_marks);
    /* A fresh fill of the latest version ends it; a later stale fill that
     * lands after the would-be invalidation weighs 1 (a race of its own). */
    oracle_copy_set(o, 0, ORACLE_CACHE, 2, 70 * MS, 1000 * MS, ORACLE_SET_FILL);
    oracle_commit(o, 0, 3, 80 * MS, ORACLE_PLAN_PENDING);
    oracle_copy_remove(o, 0, ORACLE_CACHE, 81 * MS);
    oracle_copy_set(o, 0, ORACLE_CACHE, 2, 90 * MS, 1000 * MS, ORACLE_SET_FILL);
    oracle_read(o, 0, 1, 95 * MS, 95 * MS, 2, ORACLE_CACHE);
    EXPECT(fabs(c->stale_w - (want + 1)) < 1e-12, "weights %.15g",
           c->stale_w);
    oracle_finish(o, 100 * MS);
    oracle_destroy(o);
}

/* ---- boosted draws -------------------------------------------------------- */

static void test_boosted_draws(void) {
    EXPECT(rare_prob(1e-6, 1e4) == 1e-6 * 1e4, "%g", rare_prob(1e-6, 1e4));
    EXPECT(rare_prob(0.3, 10) == RARE_P_MAX, "%g", rare_prob(0.3, 10));
    EXPECT(rare_prob(0.3, 0) == 0.3 && rare_prob(0, 1e9) == 0, "no boost");
    scenario sc;
    char err[256];
    CU_ASSERT_FATAL(scenario_init_defaults(&sc, err, sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_set(&sc, "faults.del_fail=1e-6", err,
                                 sizeof err) == 0);
    EXPECT(fabs(rare_auto_boost(&sc) - 1e4) < 1e-6, "auto boost %g",
           rare_auto_boost(&sc));
    /* Boosted: about 1% of DELs fail, each with ratio 1e-4. */
    sc.rare_boost = rare_auto_boost(&sc);
    sim_rng r;
    CU_ASSERT_FATAL(sim_rng_init(&r, 7, 0) == 0);
    int fails = 0;
    for (int i = 0; i < 100000; i++) {
        double lr;
        if (faults_del_lr(&sc, &r, &lr) == FAULT_FAIL) {
            fails++;
            if (fabs(lr - 1e-4) > 1e-15) {
                EXPECT(0, "ratio %g", lr);
                break;
            }
        }
    }
    EXPECT(fails > 900 && fails < 1100, "%d boosted failures in 1e5", fails);
    sim_rng_fini(&r);
    scenario_fini(&sc);
}

/* ---- the closed form ------------------------------------------------------- */

static const double CF_L = 1, CF_M = 0.2, CF_T = 3;

static double closed_form(double f) {
    double n = CF_M * (1 - f);
    double es = (f + (1 - f) * exp(-CF_M * CF_T) - exp(-n * CF_T)) / n;
    double el = (1 - exp(-n * CF_T)) / n;
    return CF_L * es / (1 + CF_L * el);
}

static void closed_form_scenario(scenario *sc, double f, uint64_t seed) {
    char err[512], set[128];
    CU_ASSERT_FATAL(scenario_init_defaults(sc, err, sizeof err) == 0);
    static const char *const sets[] = {
        "workload.keys=1",      "workload.reads=1/s",
        "workload.writes=0.2/s", "cache.pattern=cache-aside",
        "cache.ttl=3s",         "run.duration=50000s",
        "run.reps=10",          "db.read_latency=0",
        "db.write_latency=0",   "cache.get_latency=0",
        "cache.set_latency=0",  "cache.del_latency=0"};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        CU_ASSERT_FATAL(scenario_set(sc, sets[i], err, sizeof err) == 0);
    snprintf(set, sizeof set, "faults.del_fail=%.17g", f);
    CU_ASSERT_FATAL(scenario_set(sc, set, err, sizeof err) == 0);
    snprintf(set, sizeof set, "run.seed=%llu", (unsigned long long)seed);
    CU_ASSERT_FATAL(scenario_set(sc, set, err, sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_validate(sc, err, sizeof err) == 0);
    sc->rare_boost = rare_auto_boost(sc);
}

/* The weighted estimate of one run at loss probability f; 1 if its 95%
 * interval covers the closed form. */
static int closed_form_covered(double f, uint64_t seed, int report) {
    scenario sc;
    closed_form_scenario(&sc, f, seed);
    char err[256];
    run_summary *s = run_scenario(&sc, err, sizeof err);
    CU_ASSERT_FATAL(s != NULL);
    run_stat st = run_summary_stat(s, WORLD_METRIC_STALE_READ_FRACTION);
    double truth = closed_form(f);
    int inside = fabs(st.mean - truth) <= st.ci95;
    if (report) {
        EXPECT(inside, "f=%g: closed form %.6g outside %.6g +- %.3g "
               "(boost %g, %llu faults)", f, truth, st.mean, st.ci95,
               sc.rare_boost, (unsigned long long)s->rare_faults);
        /* The interval is tight enough to mean something. */
        EXPECT(st.ci95 < 0.25 * truth, "f=%g: +- %.3g of %.6g", f, st.ci95,
               truth);
        EXPECT(s->rare_faults > 500, "f=%g: %llu boosted faults", f,
               (unsigned long long)s->rare_faults);
    }
    run_summary_destroy(s);
    scenario_fini(&sc);
    return inside;
}

static void test_closed_form_1e6(void) { closed_form_covered(1e-6, 1, 1); }

static void test_closed_form_validate(void) {
    if (!testing_validate()) return;
    closed_form_covered(1e-4, 1, 1);
    closed_form_covered(1e-9, 1, 1);
    int covered = 0;
    for (uint64_t seed = 1000; seed < 1100; seed++)
        covered += closed_form_covered(1e-6, seed, 0);
    printf("\n    rare: 95%% intervals at f=1e-6 covered the closed form %d "
           "times of 100\n", covered);
    EXPECT(covered >= 90, "covered %d of 100", covered);
}

/* ---- plain Monte Carlo, races and latencies -------------------------------- */

/* The catalog's race scenario (lognormal DB reads, stale fills) with failed
 * deletes of probability p: the --rare estimate and plain Monte Carlo agree
 * within the 95% interval of their difference, for the stale fraction and
 * for the share of reads over a bound. */
static void agree_with_plain(double p) {
    scenario sc;
    char set[64];
    snprintf(set, sizeof set, "faults.del_fail=%g", p);
    const char *sets[] = {set, "contract.max_staleness=1s",
                          testing_validate() ? "run.duration=20m"
                                             : "run.duration=4m"};
    testing_rare_scenario(&sc, "experiments/scenarios/stale-write-back-race.ini",
                          sets, sizeof sets / sizeof *sets);
    run_summary *plain, *rare;
    testing_rare_runs(&sc, 0, &plain, &rare);
    EXPECT(rare->rare_faults > 5 * (uint64_t)plain->value[WORLD_METRIC_INVALIDATIONS_FAILED][0],
           "boosted faults %llu", (unsigned long long)rare->rare_faults);
    world_metric ms[2] = {WORLD_METRIC_STALE_READ_FRACTION,
                          WORLD_METRIC_OVER_MAX_STALENESS_FRACTION};
    char what[32];
    snprintf(what, sizeof what, "del_fail %g", p);
    for (int i = 0; i < 2; i++) testing_rare_agree(what, ms[i], plain, rare);
    run_summary_destroy(plain);
    run_summary_destroy(rare);
    scenario_fini(&sc);
}

static void test_agrees_with_plain(void) {
    agree_with_plain(1e-3);
    if (testing_validate()) agree_with_plain(1e-4);
}

/* ---- delete-before-write -------------------------------------------------- */

/* With zero latencies a DEL before the commit that fails leaves the copy
 * just as a failed DEL after it does: the same closed form, at f = 1e-6
 * (1e-9 under make validate), now with the DEL drawn before the commit. */
static void dbw_closed_form(double f) {
    scenario sc;
    char err[256];
    closed_form_scenario(&sc, f, 1);
    CU_ASSERT_FATAL(scenario_set(&sc, "cache.invalidation=delete-before-write",
                                 err, sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_validate(&sc, err, sizeof err) == 0);
    sc.rare_boost = rare_auto_boost(&sc);
    run_summary *s = run_scenario(&sc, err, sizeof err);
    CU_ASSERT_FATAL(s != NULL);
    char what[64];
    snprintf(what, sizeof what, "delete-before-write, f=%g, closed form", f);
    testing_rare_truth(what, s, closed_form(f));
    run_summary_destroy(s);
    scenario_fini(&sc);
}

static void test_dbw_closed_form(void) {
    dbw_closed_form(1e-6);
    if (testing_validate()) dbw_closed_form(1e-9);
}

/* The race scenario written delete-before-write (its stale-fill race: a
 * reader refills the old value between the DEL and the commit) with failed
 * deletes of 1e-3, retried once (retry-delete:1, so a boosted failure also
 * delays the commit): --rare and plain Monte Carlo agree within the 95%
 * interval of their difference. */
static void test_dbw_plain(void) {
    scenario sc;
    static const char *const sets[] = {
        "cache.invalidation=delete-before-write", "faults.del_fail=1e-3",
        "cache.mitigations=retry-delete:1", "run.duration=4m"};
    testing_rare_scenario(&sc, "experiments/scenarios/stale-write-back-race.ini",
                          sets, sizeof sets / sizeof *sets);
    run_summary *plain, *rare;
    testing_rare_runs(&sc, 0, &plain, &rare);
    EXPECT(rare->rare_boost > 1 && rare->rare_faults > 100, "boost %g",
           rare->rare_boost);
    testing_rare_agree("delete-before-write race, del_fail 1e-3",
                       WORLD_METRIC_STALE_READ_FRACTION, plain, rare);
    run_summary_destroy(plain);
    run_summary_destroy(rare);
    scenario_fini(&sc);
}

/* A boost of 1 is the plain run, draw for draw. */
static void test_boost_one_is_plain(void) {
    scenario sc;
    closed_form_scenario(&sc, 0.01, 3);
    char err[256];
    sc.rare_boost = 0;
    run_summary *a = run_scenario(&sc, err, sizeof err);
    sc.rare_boost = 1;
    run_summary *b = run_scenario(&sc, err, sizeof err);
    CU_ASSERT_FATAL(a && b);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        for (uint32_t r = 0; r < a->reps; r++)
            if (a->value[m][r] != b->value[m][r]) {
                EXPECT(0, "%s rep %u: %.17g vs %.17g",
                       world_metric_name((world_metric)m), r, a->value[m][r],
                       b->value[m][r]);
                m = WORLD_METRIC_COUNT;
                break;
            }
    run_summary_destroy(a);
    run_summary_destroy(b);
    scenario_fini(&sc);
}

/* ---- the command line ------------------------------------------------------ */

static void test_cli(void) {
    cli_run r;
    RUN(&r, "run experiments/scenarios/stale-write-back-race.ini --rare "
            "--set faults.del_fail=1e-3 --set run.duration=30s --reps 2 "
            "--format json");
    EXPECT(r.status == 0, "exit %d: %s", r.status, r.err);
    EXPECT(strstr(r.out, "\"rare\": {\"boost\": 10, \"ess\": ") != NULL,
           "%.300s", r.out);
    testing_run_free(&r);
    /* Nothing to boost: said, and the run is plain Monte Carlo. */
    RUN(&r, "run experiments/scenarios/stale-write-back-race.ini --rare "
            "--set run.duration=30s --reps 2 --format json");
    EXPECT(r.status == 0 && strstr(r.out, "\"rare\": {\"boost\": 1,") &&
               strstr(r.err, "--rare: the scenario has no fault that --rare "
                             "boosts"),
           "exit %d: %s", r.status, r.err);
    testing_run_free(&r);
    RUN(&r, "run experiments/scenarios/stale-write-back-race.ini "
            "--set run.duration=30s --reps 2 --format json");
    EXPECT(r.status == 0 && strstr(r.out, "\"rare\"") == NULL, "exit %d",
           r.status);
    testing_run_free(&r);
    RUN(&r, "run experiments/scenarios/stale-write-back-race.ini --boost 1e3 "
            "--set run.duration=30s --reps 2");
    EXPECT(r.status == 0 && strstr(r.out, "rare-event estimation (--rare): "
                                          "fault probabilities boosted x1000;"),
           "exit %d: %.400s", r.status, r.out);
    testing_run_free(&r);
    /* compare: each pattern's entry says what --rare did. */
    RUN(&r, "compare experiments/scenarios/permission-nines.ini --rare "
            "--patterns cache-aside,write-through --set run.duration=1m "
            "--reps 2 --format json");
    {
        const char *a = strstr(r.out, "\"pattern\": \"cache-aside\"");
        const char *b = a ? strstr(a, "\"rare\": {\"boost\": 10000000,") : NULL;
        const char *c = b ? strstr(b, "\"pattern\": \"write-through\"") : NULL;
        EXPECT(r.status == 0 && c && strstr(c, "\"rare\": {\"boost\": "),
               "exit %d: %s", r.status, r.err);
    }
    testing_run_free(&r);
    RUN(&r, "run --boost 0.5");
    EXPECT(r.status == 2 && strstr(r.err, "--boost: '0.5' is not a number >= 1"),
           "exit %d: %s", r.status, r.err);
    testing_run_free(&r);
    RUN(&r, "explain --rare");
    EXPECT(r.status == 2 && strstr(r.err, "unknown option '--rare'"),
           "exit %d: %s", r.status, r.err);
    testing_run_free(&r);
}

static CU_TestInfo tests[] = {
    {"oracle weights: lag, fault, retry, overlap", test_oracle_weights},
    {"boosted draws and their ratios", test_boosted_draws},
    {"a boost of 1 is the plain run", test_boost_one_is_plain},
    {"closed form at 1e-6", test_closed_form_1e6},
    {"closed form at 1e-4, 1e-9; coverage at 1e-6 (validate)",
     test_closed_form_validate},
    {"agrees with plain Monte Carlo on a race scenario",
     test_agrees_with_plain},
    {"delete-before-write: the closed form", test_dbw_closed_form},
    {"delete-before-write: plain Monte Carlo on a race", test_dbw_plain},
    {"--rare and --boost on the command line", test_cli},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("rare", NULL, NULL, tests)
