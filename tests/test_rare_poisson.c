/* Rare-event estimation of Poisson faults (models/rare.h,
 * docs/rare-events.md): instances' disconnections from the invalidation bus,
 * boosted from rate lambda to lambda' with the ratio lambda/lambda' on the
 * stale reads each disconnection causes.
 *
 * The exact reference: one key, zero latencies, N = 2 local caches in front
 * of the DB (tier alone) that never expire, a lossless pub/sub bus of zero
 * latency, reads L and writes M spread at random over the instances, each
 * instance disconnected as an alternating process: connected for Exp(lambda),
 * disconnected for Exp(mu).  Per instance, with r = L/N, m0 = M/N (its own
 * writes drop its copy), m = M(N-1)/N (the others' messages), the copy is
 * absent (A), fresh (F) or stale (S), the instance connected (C) or not (D):
 *   A -> F at r (a read fills);  F -> A at m0, and at m when connected;
 *   F -> S at m when disconnected (the message is lost);
 *   S -> A at m0, and at m when connected;  C -> D at lambda, D -> C at mu.
 * A read is stale exactly when its instance is in S, so the stale-read
 * fraction is P(S) of this six-state chain's stationary law, solved here
 * (stationary_stale); exact at any lambda.  At first order it is lambda x
 * the expected stale time one disconnection causes (2.0089 s for the
 * parameters below), which the chain reproduces at lambda = 1e-9.
 *
 * `make validate` adds lambda = 1e-9 and the latency scenario over 40
 * replications. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiments/run.h"
#include "models/oracle.h"
#include "models/rare.h"
#include "tests/testing.h"
#include "tests/testing_rare.h"

#define MS SIM_MS

/* ---- the oracle: one event, one ratio ------------------------------------- */

static void test_event_marks(void) {
    oracle *o = oracle_create(1, 0);
    CU_ASSERT_FATAL(o != NULL);
    uint32_t local = oracle_add_copy(o, ORACLE_COPY_LOCAL_BUS);
    oracle_copy_set(o, 0, local, 0, 0, 1000 * MS, ORACLE_SET_FILL);
    oracle_fault_event(o); /* disconnection 7 starts */
    oracle_commit(o, 0, 1, 10 * MS, ORACLE_PLAN_PENDING);
    oracle_read(o, 0, 1, 11 * MS, 11 * MS, 0, local); /* lag: 1 */
    /* Its message arrives at 12 ms, while the instance is away. */
    oracle_fault_mark_event(o, 0, local, 1, 12 * MS, 12 * MS, 0.01, 7);
    oracle_read(o, 0, 1, 15 * MS, 15 * MS, 0, local); /* 0.01 */
    /* The same disconnection loses commit 2's message too: still 0.01. */
    oracle_commit(o, 0, 2, 20 * MS, ORACLE_PLAN_PENDING);
    oracle_fault_mark_event(o, 0, local, 2, 20 * MS, 20 * MS, 0.01, 7);
    oracle_read(o, 0, 1, 25 * MS, 25 * MS, 0, local); /* 0.01 */
    const oracle_counts *c = oracle_get_counts(o);
    double want = 1 + 0.01 + 0.01;
    EXPECT(fabs(c->stale_w - want) < 1e-12, "weights %.15g, want %.15g",
           c->stale_w, want);
    EXPECT(c->overlaps == 0 && c->fault_marks == 1,
           "overlaps %llu, faults %llu", (unsigned long long)c->overlaps,
           (unsigned long long)c->fault_marks);
    /* A later disconnection losing commit 3's message while the copy is
     * still stale: another event, the ratios multiply, an overlap. */
    oracle_fault_event(o);
    oracle_commit(o, 0, 3, 30 * MS, ORACLE_PLAN_PENDING);
    oracle_fault_mark_event(o, 0, local, 3, 30 * MS, 30 * MS, 0.5, 8);
    oracle_read(o, 0, 1, 35 * MS, 35 * MS, 0, local); /* 0.005 */
    want += 0.005;
    EXPECT(fabs(c->stale_w - want) < 1e-12, "weights %.15g, want %.15g",
           c->stale_w, want);
    EXPECT(c->overlaps == 1 && c->overlap_stale == 1 && c->fault_marks == 2,
           "overlaps %llu, overlap reads %llu, faults %llu",
           (unsigned long long)c->overlaps,
           (unsigned long long)c->overlap_stale,
           (unsigned long long)c->fault_marks);
    /* Dropped and refilled fresh, then the same event loses commit 4's
     * message: a new window of the same event, weighed by its ratio. */
    oracle_copy_remove(o, 0, local, 40 * MS);
    oracle_copy_set(o, 0, local, 3, 41 * MS, 1000 * MS, ORACLE_SET_FILL);
    oracle_commit(o, 0, 4, 50 * MS, ORACLE_PLAN_PENDING);
    oracle_fault_mark_event(o, 0, local, 4, 50 * MS, 50 * MS, 0.5, 8);
    oracle_read(o, 0, 1, 55 * MS, 55 * MS, 3, local); /* 0.5 */
    want += 0.5;
    EXPECT(fabs(c->stale_w - want) < 1e-12, "weights %.15g, want %.15g",
           c->stale_w, want);
    oracle_finish(o, 100 * MS);
    oracle_destroy(o);
}

/* ---- the boosted rate ------------------------------------------------------- */

static void test_boosted_rate(void) {
    EXPECT(rare_rate(1e-6, 5, 1e3) == 1e-3, "%g", rare_rate(1e-6, 5, 1e3));
    EXPECT(rare_rate(1e-3, 5, 1e3) == RARE_P_MAX / 5, "capped: %g",
           rare_rate(1e-3, 5, 1e3));
    EXPECT(rare_rate(1e-6, 5, 0) == 1e-6 && rare_rate(1e-6, 0, 1e3) == 1e-6 &&
               rare_rate(1e-6, INFINITY, 1e3) == 1e-6,
           "not boosted");
    scenario sc;
    char err[256];
    CU_ASSERT_FATAL(scenario_init_defaults(&sc, err, sizeof err) == 0);
    static const char *const sets[] = {
        "local.instances=2", "local.bus=pubsub", "local.bus_loss=0",
        "local.reconnect_rate=1e-6/s", "local.reconnect_duration=exp:5s"};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        CU_ASSERT_FATAL(scenario_set(&sc, sets[i], err, sizeof err) == 0);
    /* Offline 5e-6 of the time: the boost makes it 1%. */
    EXPECT(fabs(rare_offline_share(&sc) - 5e-6) < 1e-18, "share %g",
           rare_offline_share(&sc));
    EXPECT(fabs(rare_auto_boost(&sc) - 2000) < 1e-6, "auto boost %g",
           rare_auto_boost(&sc));
    /* A likelier bus loss sets the boost. */
    CU_ASSERT_FATAL(scenario_set(&sc, "local.bus_loss=1e-4", err,
                                 sizeof err) == 0);
    EXPECT(fabs(rare_auto_boost(&sc) - 100) < 1e-9, "auto boost %g",
           rare_auto_boost(&sc));
    CU_ASSERT_FATAL(scenario_set(&sc, "local.bus=none", err, sizeof err) == 0);
    EXPECT(rare_offline_share(&sc) == 0, "no bus: %g",
           rare_offline_share(&sc));
    scenario_fini(&sc);
}

/* ---- the six-state chain --------------------------------------------------- */

static const double CH_L = 1, CH_M = 0.2, CH_N = 2, CH_D = 5; /* /s, /s, s */

/* Solves a x = b (n <= 6) by Gaussian elimination with partial pivoting. */
static void solve6(double a[6][7], int n, double *x) {
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int i = c + 1; i < n; i++)
            if (fabs(a[i][c]) > fabs(a[p][c])) p = i;
        for (int j = 0; j <= n; j++) {
            double t = a[c][j];
            a[c][j] = a[p][j];
            a[p][j] = t;
        }
        for (int i = 0; i < n; i++) {
            if (i == c) continue;
            double f = a[i][c] / a[c][c];
            for (int j = c; j <= n; j++) a[i][j] -= f * a[c][j];
        }
    }
    for (int i = 0; i < n; i++) x[i] = a[i][n] / a[i][i];
}

/* P(S) of the chain above at disconnection rate lambda (per s). */
static double stationary_stale(double lambda) {
    enum { AC, AD, FC, FD, SC, SD };
    double r = CH_L / CH_N, m0 = CH_M / CH_N, m = CH_M * (CH_N - 1) / CH_N;
    double mu = 1 / CH_D, q[6][6] = {{0}};
    q[AC][FC] = q[AD][FD] = r;
    q[FC][AC] = m0 + m;
    q[FD][AD] = m0;
    q[FD][SD] = m;
    q[SC][AC] = m0 + m;
    q[SD][AD] = m0;
    for (int s = AC; s <= SC; s += 2) {
        q[s][s + 1] = lambda;
        q[s + 1][s] = mu;
    }
    /* pi Q = 0 with sum pi = 1 in place of the last balance equation. */
    double a[6][7] = {{0}}, pi[6];
    for (int i = 0; i < 6; i++) {
        double out = 0;
        for (int j = 0; j < 6; j++) out += q[i][j];
        for (int j = 0; j < 6; j++) a[j][i] = i == j ? -out : q[i][j];
    }
    for (int j = 0; j < 6; j++) a[5][j] = 1;
    a[5][6] = 1;
    solve6(a, 6, pi);
    return pi[SC] + pi[SD];
}

static void chain_scenario(scenario *sc, double lambda, uint64_t seed,
                           int boosted) {
    char err[512], set[128];
    CU_ASSERT_FATAL(scenario_init_defaults(sc, err, sizeof err) == 0);
    static const char *const sets[] = {
        "workload.keys=1",        "workload.reads=1/s",
        "workload.writes=0.2/s",  "local.instances=2",
        "local.tier=alone",       "local.ttl=0",
        "local.bus=pubsub",       "local.bus_latency=0",
        "local.reconnect_duration=exp:5s",
        "run.duration=50000s",    "run.reps=10",
        "db.read_latency=0",      "db.write_latency=0",
        "cache.get_latency=0",    "cache.set_latency=0",
        "cache.del_latency=0"};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        CU_ASSERT_FATAL(scenario_set(sc, sets[i], err, sizeof err) == 0);
    snprintf(set, sizeof set, "local.reconnect_rate=%.17g/s", lambda);
    CU_ASSERT_FATAL(scenario_set(sc, set, err, sizeof err) == 0);
    snprintf(set, sizeof set, "run.seed=%llu", (unsigned long long)seed);
    CU_ASSERT_FATAL(scenario_set(sc, set, err, sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_validate(sc, err, sizeof err) == 0);
    sc->rare_boost = boosted ? rare_auto_boost(sc) : 0;
}

static run_summary *chain_run(double lambda, int boosted) {
    scenario sc;
    chain_scenario(&sc, lambda, 1, boosted);
    char err[256];
    run_summary *s = run_scenario(&sc, err, sizeof err);
    CU_ASSERT_FATAL(s != NULL);
    scenario_fini(&sc);
    return s;
}

/* The chain at first order: lambda times the stale time of one
 * disconnection (2.0089 s here, docs/rare-events.md). */
static void test_chain_first_order(void) {
    double k = stationary_stale(1e-9) / 1e-9;
    EXPECT(fabs(k - 2.008928571) < 1e-5, "slope %.9g", k);
}

/* --rare at a very rare rate against the chain. */
static void closed_form_at(double lambda) {
    run_summary *s = chain_run(lambda, 1);
    char what[64];
    snprintf(what, sizeof what, "disconnections %g/s, exact", lambda);
    testing_rare_truth(what, s, stationary_stale(lambda));
    run_summary_destroy(s);
}

static void test_closed_form_1e6(void) { closed_form_at(1e-6); }

static void test_closed_form_validate(void) {
    if (testing_validate()) closed_form_at(1e-9);
}

/* Plain Monte Carlo and --rare at a rate plain Monte Carlo still sees
 * (2e-4/s: 20 disconnections per replication): they agree within the 95%
 * interval of their difference, and each with the chain within its own. */
static void test_chain_plain(void) {
    double lambda = 2e-4, truth = stationary_stale(lambda);
    run_summary *plain = chain_run(lambda, 0), *rare = chain_run(lambda, 1);
    run_stat a = run_summary_stat(plain, WORLD_METRIC_STALE_READ_FRACTION);
    run_stat b = run_summary_stat(rare, WORLD_METRIC_STALE_READ_FRACTION);
    printf("\n    disconnections %g/s: plain %.6g +- %.3g, --rare %.6g +- "
           "%.3g, exact %.6g\n", lambda, a.mean, a.ci95, b.mean, b.ci95,
           truth);
    EXPECT(rare->rare_boost > 1 && plain->value[WORLD_METRIC_STALE_READS][0] > 0,
           "boost %g", rare->rare_boost);
    EXPECT(fabs(a.mean - b.mean) <= sqrt(a.ci95 * a.ci95 + b.ci95 * b.ci95),
           "plain %.6g +- %.3g, rare %.6g +- %.3g", a.mean, a.ci95, b.mean,
           b.ci95);
    EXPECT(fabs(a.mean - truth) <= a.ci95 && fabs(b.mean - truth) <= b.ci95,
           "exact %.6g", truth);
    run_summary_destroy(plain);
    run_summary_destroy(rare);
}

/* The catalog's local-instances scenario (Zipf keys, a shared tier, bus
 * and cache latencies, local TTL) with a lossless bus and no deploys, its
 * instances disconnecting at 2e-4/s: --rare and plain Monte Carlo agree
 * within the 95% interval of their difference. */
static void test_latencies_plain(void) {
    scenario sc;
    const char *sets[] = {
        "local.bus_loss=0", "workload.keys=200", "workload.reads=200/s",
        "local.reconnect_rate=2e-4/s", "local.deploy_interval=0",
        "run.duration=1h", testing_validate() ? "run.reps=40" : "run.reps=10"};
    testing_rare_scenario(&sc, "experiments/scenarios/local-instances.ini",
                          sets, sizeof sets / sizeof *sets);
    run_summary *plain, *rare;
    testing_rare_runs(&sc, 0, &plain, &rare);
    EXPECT(rare->rare_boost > 1 && rare->rare_faults > 100, "boost %g",
           rare->rare_boost);
    testing_rare_agree("local-instances, disconnections 2e-4/s",
                       WORLD_METRIC_STALE_READ_FRACTION, plain, rare);
    run_summary_destroy(plain);
    run_summary_destroy(rare);
    scenario_fini(&sc);
}

static CU_TestInfo tests[] = {
    {"oracle: one disconnection, one ratio", test_event_marks},
    {"boosted rates and the automatic boost", test_boosted_rate},
    {"the chain's first order", test_chain_first_order},
    {"disconnections: the chain at 1e-6/s", test_closed_form_1e6},
    {"disconnections: the chain at 1e-9/s (validate)",
     test_closed_form_validate},
    {"disconnections: plain Monte Carlo and the chain at 2e-4/s",
     test_chain_plain},
    {"disconnections with latencies: plain Monte Carlo", test_latencies_plain},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("rare_poisson", NULL, NULL, tests)
