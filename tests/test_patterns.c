/* Patterns end to end through the world: closed forms, exact zeros, scripted
 * timelines that force each race, determinism and common random numbers.
 *
 * Closed forms (zero latencies, one key, Poisson reads L and writes M, TTL T):
 *
 * ttl-only.  A miss fills at time 0 of a cycle; the entry lives T; the next
 * read after expiry misses (mean wait 1/L).  Per cycle 1 + L*T reads; a hit at
 * u is stale iff a write fell in (0, u]:
 *   stale = L*(T - (1 - e^{-MT})/M) / (1 + L*T),  hit = L*T / (1 + L*T).
 *
 * cache-aside, each invalidation lost with probability f (DEL error, lost
 * timeout or writer crash).  With n = M(1-f) the rate of successful deletes,
 * the entry lives L_e = min(T, Exp(n)), E[L_e] = (1 - e^{-nT})/n.  It turns
 * stale at the first write if that write's invalidation is lost and stays
 * stale until a successful delete or T.  Integrating over the first write:
 *   E[stale time] = (f + (1-f) e^{-MT} - e^{-nT}) / n
 *   stale = L*E[stale time] / (1 + L*E[L_e]),  hit = L*E[L_e] / (1 + L*E[L_e]).
 * (f = 1 gives back the ttl-only form; f = 0 gives 0.)
 *
 * Each check asks that the closed form lies inside the simulated 95%
 * interval.  The sizes are fixed; `make validate` reruns them with 10x the
 * replications for a tighter interval. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/run.h"
#include "models/world.h"
#include "tests/testing.h"

#define MS SIM_MS

/* A scenario from defaults plus "section.key=value" settings. */
static void make_scenario(scenario *sc, const char *const *sets, size_t n) {
    char err[512];
    CU_ASSERT_FATAL(scenario_init_defaults(sc, err, sizeof err) == 0);
    for (size_t i = 0; i < n; i++) {
        if (scenario_set(sc, sets[i], err, sizeof err) != 0) {
            fprintf(stderr, "\n    %s\n", err);
            CU_FAIL_FATAL("scenario_set");
        }
    }
    if (scenario_validate(sc, err, sizeof err) != 0) {
        fprintf(stderr, "\n    %s\n", err);
        CU_FAIL_FATAL("scenario_validate");
    }
}

#define SETS(...) (const char *const[]){__VA_ARGS__}, \
    sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

static const char *const zero_latency[] = {
    "db.read_latency=0", "db.write_latency=0", "cache.get_latency=0",
    "cache.set_latency=0", "cache.del_latency=0"};

static void apply_all(scenario *sc, const char *const *sets, size_t n) {
    char err[512];
    for (size_t i = 0; i < n; i++)
        if (scenario_set(sc, sets[i], err, sizeof err) != 0) {
            fprintf(stderr, "\n    %s\n", err);
            CU_FAIL_FATAL("scenario_set");
        }
}

static void expect_in_ci(const char *what, run_stat st, double truth) {
    int inside = fabs(st.mean - truth) <= st.ci95;
    if (!inside)
        fprintf(stderr, "\n    %s: closed form %.6g outside %.6g +- %.3g\n",
                what, truth, st.mean, st.ci95);
    CU_ASSERT(inside);
}

static run_summary *run_or_fail(const scenario *sc) {
    char err[256];
    run_summary *s = run_scenario(sc, err, sizeof err);
    if (!s) {
        fprintf(stderr, "\n    %s\n", err);
        CU_FAIL_FATAL("run_scenario");
    }
    return s;
}

static const char *reps_setting(void) {
    return testing_validate() ? "run.reps=100" : "run.reps=12";
}

static void test_closed_form_ttl_only(void) {
    const double L = 5, M = 0.05, T = 10;
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=1", "workload.reads=5/s",
                            "workload.writes=0.05/s", "cache.pattern=ttl-only",
                            "cache.ttl=10s", "run.duration=1h",
                            reps_setting()));
    apply_all(&sc, zero_latency, 5);
    run_summary *s = run_or_fail(&sc);
    double stale = L * (T - (1 - exp(-M * T)) / M) / (1 + L * T);
    double hit = L * T / (1 + L * T);
    expect_in_ci("ttl-only stale fraction",
                 run_summary_stat(s, WORLD_METRIC_STALE_READ_FRACTION), stale);
    expect_in_ci("ttl-only hit ratio", run_summary_stat(s, WORLD_METRIC_HIT_RATIO), hit);
    /* Every stale read is ttl-only. */
    uint64_t total = 0;
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) total += s->causes[c];
    CU_ASSERT(total > 0);
    CU_ASSERT_EQUAL(s->causes[ORACLE_CAUSE_TTL_ONLY], total);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

/* The cache-aside closed form for an effective loss probability f. */
static void check_cache_aside_loss(const char *const *faults, size_t nfaults,
                                   double f, oracle_cause expected_cause) {
    const double L = 1, M = 0.02, T = 30;
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=1", "workload.reads=1/s",
                            "workload.writes=0.02/s",
                            "cache.pattern=cache-aside", "cache.ttl=30s",
                            "run.duration=2h", reps_setting()));
    apply_all(&sc, zero_latency, 5);
    apply_all(&sc, faults, nfaults);
    run_summary *s = run_or_fail(&sc);
    double n = M * (1 - f);
    double es = (f + (1 - f) * exp(-M * T) - exp(-n * T)) / n;
    double el = (1 - exp(-n * T)) / n;
    char what[128];
    snprintf(what, sizeof what, "cache-aside f=%.3g stale fraction", f);
    expect_in_ci(what, run_summary_stat(s, WORLD_METRIC_STALE_READ_FRACTION),
                 L * es / (1 + L * el));
    snprintf(what, sizeof what, "cache-aside f=%.3g hit ratio", f);
    expect_in_ci(what, run_summary_stat(s, WORLD_METRIC_HIT_RATIO), L * el / (1 + L * el));
    uint64_t total = 0;
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) total += s->causes[c];
    CU_ASSERT(total > 0);
    CU_ASSERT_EQUAL(s->causes[expected_cause], total);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

static void test_closed_form_del_fail(void) {
    check_cache_aside_loss(SETS("faults.del_fail=0.3"), 0.3,
                           ORACLE_CAUSE_INVALIDATION_FAILED);
}

/* Lost timeouts and crashes after commit lose invalidations too: with crash
 * probability c, and a DEL failing with p and timing out (never landing) with
 * q, f = c + (1-c)(p + q). */
static void test_closed_form_mixed_losses(void) {
    double f = 0.1 + 0.9 * (0.1 + 0.2);
    check_cache_aside_loss(SETS("faults.crash_after_commit=0.1",
                                "faults.del_fail=0.1",
                                "faults.del_timeout=0.2"),
                           f, ORACLE_CAUSE_INVALIDATION_FAILED);
}

/* Fault-free cache-aside with zero latencies: exactly zero stale reads, for
 * every invalidation mode, on a hot, write-heavy key space. */
static void test_zero_latency_zero_stale(void) {
    static const char *const modes[] = {
        "cache.invalidation=delete-after-write",
        "cache.invalidation=delete-before-write",
        "cache.invalidation=update-after-write"};
    for (int i = 0; i < 3; i++) {
        scenario sc;
        make_scenario(&sc, SETS("workload.keys=20", "workload.reads=500/s",
                                "workload.writes=100/s",
                                "workload.popularity=zipf:1.2",
                                "run.duration=120s", "run.reps=3"));
        apply_all(&sc, zero_latency, 5);
        apply_all(&sc, &modes[i], 1);
        run_summary *s = run_or_fail(&sc);
        run_stat st = run_summary_stat(s, WORLD_METRIC_STALE_READS);
        if (st.max != 0) fprintf(stderr, "\n    %s: %g stale\n", modes[i], st.max);
        CU_ASSERT_EQUAL(st.max, 0);
        CU_ASSERT(run_summary_stat(s, WORLD_METRIC_HIT_RATIO).mean > 0.5);
        CU_ASSERT_EQUAL(run_summary_stat(s, WORLD_METRIC_STALE_WINDOWS).max, 0);
        run_summary_destroy(s);
        scenario_fini(&sc);
    }
}

/* With latencies, fault-free cache-aside has fill races and nothing else. */
static void test_latency_fill_races(void) {
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=10", "workload.reads=2000/s",
                            "workload.writes=200/s", "db.read_latency=exp:20ms",
                            "db.write_latency=exp:5ms", "run.duration=60s",
                            "run.reps=3"));
    run_summary *s = run_or_fail(&sc);
    CU_ASSERT(s->causes[ORACLE_CAUSE_STALE_FILL] > 0);
    CU_ASSERT_EQUAL(s->causes[ORACLE_CAUSE_INVALIDATION_FAILED], 0);
    CU_ASSERT_EQUAL(s->causes[ORACLE_CAUSE_TTL_ONLY], 0);
    CU_ASSERT(run_summary_stat(s, WORLD_METRIC_CONCURRENT_READS).mean > 0);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

/* ---- scripted timelines ---------------------------------------------------- */

/* Runs ops against a one-key world with constant latencies. */
static void run_script(const char *const *extra, size_t nextra,
                       const workload_op *ops, size_t nops, world_result *res) {
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=1", "run.duration=120s",
                            "cache.ttl=60s", "cache.get_latency=const:1ms",
                            "cache.set_latency=const:10ms",
                            "cache.del_latency=const:1ms",
                            "db.read_latency=const:2ms",
                            "db.write_latency=const:5ms"));
    apply_all(&sc, extra, nextra);
    world *w = world_create_scripted(&sc, 0, ops, nops);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_FATAL(world_run(w, res) == 0);
    world_destroy(w);
    scenario_fini(&sc);
}

static void expect_metric(const world_result *r, world_metric m, double want) {
    if (r->metric[m] != want)
        fprintf(stderr, "\n    %s: got %g, want %g\n", world_metric_name(m),
                r->metric[m], want);
    CU_ASSERT_EQUAL(r->metric[m], want);
}

static void expect_exact(const char *what, double got_ns, sim_time want) {
    if (got_ns != (double)want)
        fprintf(stderr, "\n    %s: got %.0f ns, want %lld ns\n", what, got_ns,
                (long long)want);
    CU_ASSERT_EQUAL(got_ns, (double)want);
}

#define OP(t, kind, client) {(t), (kind), 0, (client)}

/* The seed's stale write-back race.  Reader A misses at 1 ms, reads v0 from
 * the DB at 3 ms and SETs it with a slow SET landing at 13 ms.  Writer B
 * commits v1 at 9 ms and DELs at 10 ms (nothing cached yet).  A's SET then
 * stores v0 after the newer commit: a stale-fill window opens at 13 ms and
 * lasts the whole 60 s TTL.  Reader C at 20 ms hits v0: stale, age 11 ms. */
static void test_script_stale_fill(void) {
    workload_op ops[] = {OP(0, WORKLOAD_READ, 1), OP(4 * MS, WORKLOAD_WRITE, 2),
                         OP(20 * MS, WORKLOAD_READ, 3)};
    world_result *r = malloc(sizeof *r);
    run_script(NULL, 0, ops, 3, r);
    expect_metric(r, WORLD_METRIC_STALE_READS, 1);
    expect_metric(r, WORLD_METRIC_CONCURRENT_READS, 1); /* A: v1 came while in flight */
    expect_metric(r, WORLD_METRIC_STALE_WINDOWS, 1);
    CU_ASSERT_EQUAL(r->stale_by_cause[ORACLE_CAUSE_STALE_FILL], 1);
    expect_exact("stale age", r->dist[WORLD_DIST_STALE_AGE].tally.max, 11 * MS);
    expect_exact("stale window", r->dist[WORLD_DIST_STALE_WINDOW].tally.max, 60000 * MS);
    free(r);
}

/* The article's upgrade timeline with a DEL that fails. */
static void test_script_failed_delete(void) {
    workload_op ops[] = {OP(0, WORKLOAD_READ, 1), OP(20 * MS, WORKLOAD_WRITE, 2),
                         OP(30 * MS, WORKLOAD_READ, 3), OP(40 * MS, WORKLOAD_READ, 2)};
    world_result *r = malloc(sizeof *r);
    run_script(SETS("faults.del_fail=1"), ops, 4, r);
    /* A fills v0 at 1+2+10 = 13 ms; B commits at 25 ms; its DEL fails at
     * 26 ms; C at 30 ms and B itself at 40 ms (after its ack) read v0. */
    expect_metric(r, WORLD_METRIC_STALE_READS, 2);
    expect_metric(r, WORLD_METRIC_INVALIDATIONS_FAILED, 1);
    expect_metric(r, WORLD_METRIC_RYW_VIOLATIONS, 1);
    CU_ASSERT_EQUAL(r->stale_by_cause[ORACLE_CAUSE_INVALIDATION_FAILED], 2);
    expect_exact("oldest stale age", r->dist[WORLD_DIST_STALE_AGE].tally.max, 15 * MS);
    expect_exact("window until expiry", r->dist[WORLD_DIST_STALE_WINDOW].tally.max,
                 (13 + 60000 - 25) * MS);
    free(r);
}

/* A slow DEL: the read between commit and DEL effect is invalidation-lag,
 * and the window is exactly the DEL's latency. */
static void test_script_invalidation_lag(void) {
    workload_op ops[] = {OP(0, WORKLOAD_READ, 1), OP(20 * MS, WORKLOAD_WRITE, 2),
                         OP(26 * MS, WORKLOAD_READ, 3)};
    world_result *r = malloc(sizeof *r);
    run_script(SETS("cache.del_latency=const:10ms"), ops, 3, r);
    expect_metric(r, WORLD_METRIC_STALE_READS, 1);
    CU_ASSERT_EQUAL(r->stale_by_cause[ORACLE_CAUSE_INVALIDATION_LAG], 1);
    expect_exact("stale age", r->dist[WORLD_DIST_STALE_AGE].tally.max, 1 * MS);
    expect_exact("window", r->dist[WORLD_DIST_STALE_WINDOW].tally.max, 10 * MS);
    expect_exact("invalidation lag", r->dist[WORLD_DIST_INVALIDATION_LAG].tally.max,
                 10 * MS);
    free(r);
}

/* delete-before-write: B's DEL lands at 1 ms; A misses at 2 ms, reads v0 at
 * 4 ms and refills at 14 ms... before B commits at 1+5 = 6 ms?  No: make B's
 * commit slow so A's refill lands first, then the commit makes it stale. */
static void test_script_delete_before_write(void) {
    workload_op ops[] = {OP(0, WORKLOAD_WRITE, 2), OP(1 * MS, WORKLOAD_READ, 1),
                         OP(40 * MS, WORKLOAD_READ, 3)};
    world_result *r = malloc(sizeof *r);
    run_script(SETS("cache.invalidation=delete-before-write",
                    "db.write_latency=const:20ms"),
               ops, 3, r);
    /* DEL at 1 ms; A: GET 2 ms miss, DB 4 ms (v0), SET 14 ms; B commits at
     * 21 ms with the entry holding v0: window from 21 ms, cause stale-fill;
     * C at 40 ms reads v0, age 19 ms. */
    expect_metric(r, WORLD_METRIC_STALE_READS, 1);
    CU_ASSERT_EQUAL(r->stale_by_cause[ORACLE_CAUSE_STALE_FILL], 1);
    expect_exact("stale age", r->dist[WORLD_DIST_STALE_AGE].tally.max, 19 * MS);
    expect_exact("window", r->dist[WORLD_DIST_STALE_WINDOW].tally.max,
                 (14 + 60000 - 21) * MS);
    free(r);
}

/* ttl-only: the write leaves the entry; cause ttl-only. */
static void test_script_ttl_only(void) {
    workload_op ops[] = {OP(0, WORKLOAD_READ, 1), OP(20 * MS, WORKLOAD_WRITE, 2),
                         OP(30 * MS, WORKLOAD_READ, 3)};
    world_result *r = malloc(sizeof *r);
    run_script(SETS("cache.pattern=ttl-only"), ops, 3, r);
    expect_metric(r, WORLD_METRIC_STALE_READS, 1);
    expect_metric(r, WORLD_METRIC_INVALIDATIONS, 0);
    CU_ASSERT_EQUAL(r->stale_by_cause[ORACLE_CAUSE_TTL_ONLY], 1);
    free(r);
}

/* A writer that dies after its commit: no DEL, no ack, so its own later read
 * is stale but not a read-your-writes violation. */
static void test_script_crash_after_commit(void) {
    workload_op ops[] = {OP(0, WORKLOAD_READ, 1), OP(20 * MS, WORKLOAD_WRITE, 2),
                         OP(30 * MS, WORKLOAD_READ, 2)};
    world_result *r = malloc(sizeof *r);
    run_script(SETS("faults.crash_after_commit=1"), ops, 3, r);
    expect_metric(r, WORLD_METRIC_STALE_READS, 1);
    expect_metric(r, WORLD_METRIC_WRITER_CRASHES, 1);
    expect_metric(r, WORLD_METRIC_RYW_VIOLATIONS, 0);
    expect_metric(r, WORLD_METRIC_INVALIDATIONS, 0);
    CU_ASSERT_EQUAL(r->stale_by_cause[ORACLE_CAUSE_INVALIDATION_FAILED], 1);
    free(r);
}

/* A DEL that times out but lands late closes the window when it lands; one
 * that never lands leaves it to the TTL. */
static void test_script_del_timeout(void) {
    workload_op ops[] = {OP(0, WORKLOAD_READ, 1), OP(20 * MS, WORKLOAD_WRITE, 2),
                         OP(30 * MS, WORKLOAD_READ, 3)};
    world_result *r = malloc(sizeof *r);
    run_script(SETS("faults.del_timeout=1", "faults.del_timeout_applies=1",
                    "cache.del_latency=const:50ms"),
               ops, 3, r);
    expect_metric(r, WORLD_METRIC_INVALIDATIONS_TIMED_OUT, 1);
    expect_metric(r, WORLD_METRIC_INVALIDATIONS_FAILED, 0);
    CU_ASSERT_EQUAL(r->stale_by_cause[ORACLE_CAUSE_INVALIDATION_LAG], 1);
    expect_exact("window", r->dist[WORLD_DIST_STALE_WINDOW].tally.max, 50 * MS);
    run_script(SETS("faults.del_timeout=1", "faults.del_timeout_applies=0"),
               ops, 3, r);
    expect_metric(r, WORLD_METRIC_INVALIDATIONS_FAILED, 1);
    CU_ASSERT_EQUAL(r->stale_by_cause[ORACLE_CAUSE_INVALIDATION_FAILED], 1);
    free(r);
}

/* ---- determinism and common random numbers ---------------------------------- */

static void test_determinism(void) {
    scenario sc;
    make_scenario(&sc, SETS("run.duration=60s", "faults.del_fail=0.01",
                            "workload.popularity=zipf:0.99"));
    world_result *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    world *w = world_create(&sc, 3);
    CU_ASSERT_FATAL(world_run(w, a) == 0);
    world_destroy(w);
    w = world_create(&sc, 3);
    CU_ASSERT_FATAL(world_run(w, b) == 0);
    world_destroy(w);
    CU_ASSERT(memcmp(a->metric, b->metric, sizeof a->metric) == 0);
    CU_ASSERT(memcmp(a->dist, b->dist, sizeof a->dist) == 0);
    CU_ASSERT_EQUAL(a->events, b->events);
    w = world_create(&sc, 4); /* another replication differs */
    CU_ASSERT_FATAL(world_run(w, b) == 0);
    world_destroy(w);
    CU_ASSERT(memcmp(a->metric, b->metric, sizeof a->metric) != 0);
    free(a);
    free(b);
    scenario_fini(&sc);
}

/* Two configurations with the same seed see the same arrivals: the same
 * writes and commits, whatever the pattern or TTL does to the rest. */
static void test_common_random_numbers(void) {
    static const char *const variants[] = {"cache.ttl=5s", "cache.ttl=600s",
                                           "cache.pattern=none",
                                           "cache.pattern=ttl-only"};
    double writes = -1, commits = -1;
    for (int i = 0; i < 4; i++) {
        scenario sc;
        make_scenario(&sc, SETS("run.duration=60s", "db.write_latency=0",
                                "faults.del_fail=0.2"));
        apply_all(&sc, &variants[i], 1);
        world_result *r = malloc(sizeof *r);
        world *w = world_create(&sc, 0);
        CU_ASSERT_FATAL(world_run(w, r) == 0);
        world_destroy(w);
        if (writes < 0) {
            writes = r->metric[WORLD_METRIC_WRITES];
            commits = r->metric[WORLD_METRIC_DB_WRITES_PER_S];
        }
        if (r->metric[WORLD_METRIC_WRITES] != writes)
            fprintf(stderr, "\n    %s: %g writes, want %g\n", variants[i],
                    r->metric[WORLD_METRIC_WRITES], writes);
        CU_ASSERT_EQUAL(r->metric[WORLD_METRIC_WRITES], writes);
        CU_ASSERT_EQUAL(r->metric[WORLD_METRIC_DB_WRITES_PER_S], commits);
        free(r);
        scenario_fini(&sc);
    }
}

static CU_TestInfo tests[] = {
    {"closed form: ttl-only", test_closed_form_ttl_only},
    {"closed form: cache-aside with failed deletes", test_closed_form_del_fail},
    {"closed form: crashes, errors and lost timeouts",
     test_closed_form_mixed_losses},
    {"zero latency, no faults: zero stale", test_zero_latency_zero_stale},
    {"latencies: fill races only", test_latency_fill_races},
    {"script: stale write-back race", test_script_stale_fill},
    {"script: failed delete", test_script_failed_delete},
    {"script: invalidation lag", test_script_invalidation_lag},
    {"script: delete-before-write refill", test_script_delete_before_write},
    {"script: ttl-only", test_script_ttl_only},
    {"script: crash after commit", test_script_crash_after_commit},
    {"script: delete timeouts", test_script_del_timeout},
    {"determinism", test_determinism},
    {"common random numbers", test_common_random_numbers},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("patterns", NULL, NULL, tests)
