/* Local caches, read replicas and write-behind: closed forms, exact zeros,
 * and a scripted timeline per cause they introduce.
 *
 * Local caches alone over the DB, zero latencies, one key, N instances with
 * random routing, reads at rate L and writes at rate M, local TTL T: each
 * instance sees reads at L/N.
 *  - If writes never touch the instances (a write path that forgets), each is
 *    an independent TTL cache: the ttl-only closed form with L/N.
 *  - By default the writing instance drops its own copy and no one else's:
 *    from one instance's view each write invalidates it with probability
 *    1/N, so the cache-aside closed form with loss f = (N-1)/N applies. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "experiments/run.h"
#include "models/world.h"
#include "sim/stats.h"
#include "tests/testing.h"

#define MS SIM_MS

static void apply(scenario *sc, const char *const *sets, size_t n) {
    char err[512];
    for (size_t i = 0; i < n; i++)
        if (scenario_set(sc, sets[i], err, sizeof err) != 0) {
            fprintf(stderr, "\n    %s\n", err);
            CU_FAIL_FATAL("scenario_set");
        }
}

#define SETS(...) (const char *const[]){__VA_ARGS__}, \
    sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

static void make(scenario *sc, const char *const *sets, size_t n) {
    char err[512];
    CU_ASSERT_FATAL(scenario_init_defaults(sc, err, sizeof err) == 0);
    apply(sc, SETS("db.read_latency=0", "db.write_latency=0",
                   "cache.get_latency=0", "cache.set_latency=0",
                   "cache.del_latency=0"));
    apply(sc, sets, n);
    if (scenario_validate(sc, err, sizeof err) != 0) {
        fprintf(stderr, "\n    %s\n", err);
        CU_FAIL_FATAL("scenario_validate");
    }
}

static run_summary *run(const scenario *sc) {
    char err[256];
    run_summary *s = run_scenario(sc, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

static void expect_in_ci(const char *what, run_stat st, double truth) {
    int inside = fabs(st.mean - truth) <= st.ci95;
    if (!inside)
        fprintf(stderr, "\n    %s: closed form %.6g outside %.6g +- %.3g\n",
                what, truth, st.mean, st.ci95);
    CU_ASSERT(inside);
}

static const char *reps(void) {
    return testing_validate() ? "run.reps=100" : "run.reps=12";
}

/* The local closed forms are steady-state: every instance starts empty, and
 * its first read (and those until a TTL's worth of reads has passed) would
 * shift the hit ratio by about instances x hit / reads = 2.5e-4 in an hour,
 * more than make validate's 100-replication interval (+-1.8e-4).  Six TTLs
 * are not counted; the chain forgets its start within about T + N/L = 11 s. */
#define LOCAL_WARMUP "run.warmup=60s"

static void test_local_independent_ttl_caches(void) {
    const double L = 4, M = 0.05, T = 10, N = 4;
    scenario sc;
    make(&sc, SETS("workload.keys=1", "workload.reads=4/s",
                   "workload.writes=0.05/s", "local.instances=4",
                   "local.tier=alone", "local.ttl=10s", "path.elsewhere.share=1",
                   LOCAL_WARMUP,
                   "path.elsewhere.invalidates=no", "run.duration=1h", reps()));
    run_summary *s = run(&sc);
    double l = L / N;
    expect_in_ci("stale", run_summary_stat(s, WORLD_METRIC_STALE_READ_FRACTION),
                 l * (T - (1 - exp(-M * T)) / M) / (1 + l * T));
    expect_in_ci("hit", run_summary_stat(s, WORLD_METRIC_HIT_RATIO), l * T / (1 + l * T));
    CU_ASSERT(s->causes[ORACLE_CAUSE_INVALIDATION_MISSING] > 0);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

static void test_local_own_instance_drop(void) {
    const double L = 4, M = 0.05, T = 10, N = 4, f = (N - 1) / N;
    scenario sc;
    make(&sc, SETS("workload.keys=1", "workload.reads=4/s",
                   "workload.writes=0.05/s", "local.instances=4",
                   "local.tier=alone", "local.ttl=10s", "run.duration=1h", LOCAL_WARMUP,
                   reps()));
    run_summary *s = run(&sc);
    double l = L / N, n = M * (1 - f);
    double es = (f + (1 - f) * exp(-M * T) - exp(-n * T)) / n;
    double el = (1 - exp(-n * T)) / n;
    expect_in_ci("stale", run_summary_stat(s, WORLD_METRIC_STALE_READ_FRACTION),
                 l * es / (1 + l * el));
    expect_in_ci("hit", run_summary_stat(s, WORLD_METRIC_HIT_RATIO), l * el / (1 + l * el));
    uint64_t total = 0;
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) total += s->causes[c];
    CU_ASSERT(total > 0 && s->causes[ORACLE_CAUSE_LOCAL_NOT_INVALIDATED] == total);
    CU_ASSERT(run_summary_stat(s, WORLD_METRIC_INSTANCE_DISAGREEMENT).mean > 0);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

/* A lossless bus with zero latency leaves nothing stale; a bus that loses
 * everything leaves bus-lost windows. */
static void test_local_bus(void) {
    scenario sc;
    make(&sc, SETS("workload.keys=20", "workload.reads=400/s",
                   "workload.writes=40/s", "local.instances=3",
                   "local.bus=pubsub", "local.bus_latency=0", "local.ttl=30s",
                   "run.duration=60s", "run.reps=3"));
    run_summary *s = run(&sc);
    CU_ASSERT_EQUAL(run_summary_stat(s, WORLD_METRIC_STALE_READS).max, 0);
    CU_ASSERT(run_summary_stat(s, WORLD_METRIC_LOCAL_HIT_RATIO).mean > 0.5);
    run_summary_destroy(s);
    apply(&sc, SETS("local.bus_loss=1"));
    s = run(&sc);
    uint64_t total = 0;
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) total += s->causes[c];
    CU_ASSERT(total > 0 && s->causes[ORACLE_CAUSE_BUS_LOST] == total);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

/* Deploys empty caches: fewer local hits. */
static void test_local_deploys(void) {
    scenario sc;
    make(&sc, SETS("workload.keys=50", "local.instances=4", "local.ttl=60s",
                   "run.duration=120s", "run.reps=3"));
    run_summary *s = run(&sc);
    double without = run_summary_stat(s, WORLD_METRIC_LOCAL_HIT_RATIO).mean;
    run_summary_destroy(s);
    apply(&sc, SETS("local.deploy_interval=5s", "local.deploy_fraction=1"));
    s = run(&sc);
    double with = run_summary_stat(s, WORLD_METRIC_LOCAL_HIT_RATIO).mean;
    if (!(with < without))
        fprintf(stderr, "\n    local hits %g with deploys, %g without\n", with,
                without);
    CU_ASSERT(with < without);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

static void test_replicas(void) {
    scenario sc;
    make(&sc, SETS("workload.keys=20", "workload.reads=400/s",
                   "workload.writes=40/s", "db.replicas=2",
                   "db.replica_lag=0", "run.duration=60s", "run.reps=3"));
    run_summary *s = run(&sc);
    CU_ASSERT_EQUAL(run_summary_stat(s, WORLD_METRIC_STALE_READS).max, 0);
    run_summary_destroy(s);
    apply(&sc, SETS("db.replica_lag=exp:200ms"));
    s = run(&sc);
    CU_ASSERT(s->causes[ORACLE_CAUSE_REPLICA_LAG] > 0);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

/* Lost acknowledged writes per crash: W * F / 2 for Poisson writes at rate W,
 * flush interval F and instant flushes (see models/write_behind.c). */
static void test_write_behind_lost_writes(void) {
    const double W = 100, F = 1;
    scenario sc;
    make(&sc, SETS("cache.pattern=write-behind", "workload.keys=1000",
                   "workload.reads=50/s", "workload.writes=100/s",
                   "write_behind.flush_interval=1s",
                   "write_behind.flush_latency=0",
                   "write_behind.crash_rate=0.02/s", "run.duration=1h",
                   reps()));
    run_summary *s = run(&sc);
    double *ratio = malloc(s->reps * sizeof *ratio);
    for (uint32_t r = 0; r < s->reps; r++)
        ratio[r] = s->value[WORLD_METRIC_LOST_WRITES][r] / s->value[WORLD_METRIC_CACHE_CRASHES][r];
    run_stat st = {0, sim_ci95(ratio, s->reps), 0, 0};
    for (uint32_t r = 0; r < s->reps; r++) st.mean += ratio[r] / s->reps;
    expect_in_ci("lost writes per crash", st, W * F / 2);
    free(ratio);
    CU_ASSERT(s->causes[ORACLE_CAUSE_WRITE_BEHIND_LAG] > 0);
    /* Durability lag: uniform over the flush interval, mean F/2. */
    CU_ASSERT(fabs(s->dist[WORLD_DIST_DURABILITY_LAG].tally.mean / 1e9 - F / 2) < 0.01);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

/* ---- scripted timelines ---------------------------------------------------- */

static void script(const char *const *sets, size_t n, const workload_op *ops,
                   size_t nops, world_result *res) {
    scenario sc;
    char err[512];
    CU_ASSERT_FATAL(scenario_init_defaults(&sc, err, sizeof err) == 0);
    apply(&sc, SETS("workload.keys=1", "run.duration=120s", "cache.ttl=60s",
                    "cache.get_latency=const:1ms", "cache.set_latency=const:1ms",
                    "cache.del_latency=const:1ms", "db.read_latency=const:2ms",
                    "db.write_latency=const:5ms"));
    apply(&sc, sets, n);
    CU_ASSERT_FATAL(scenario_validate(&sc, err, sizeof err) == 0);
    world *w = world_create_scripted(&sc, 0, ops, nops);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_FATAL(world_run(w, res) == 0);
    world_destroy(w);
    scenario_fini(&sc);
}

#define OP(t, kind, client) {(t), (kind), 0, (client)}

static void expect_one(const world_result *r, oracle_cause cause,
                       sim_time age) {
    uint64_t total = 0;
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) total += r->stale_by_cause[c];
    if (total != 1 || r->stale_by_cause[cause] != 1 ||
        r->dist[WORLD_DIST_STALE_AGE].tally.max != (double)age)
        fprintf(stderr, "\n    want one %s read aged %lld ns: %llu stale, "
                        "%llu of that cause, age %.0f\n",
                oracle_cause_name(cause), (long long)age,
                (unsigned long long)total,
                (unsigned long long)r->stale_by_cause[cause],
                r->dist[WORLD_DIST_STALE_AGE].tally.max);
    CU_ASSERT_EQUAL(total, 1);
    CU_ASSERT_EQUAL(r->stale_by_cause[cause], 1);
    CU_ASSERT_EQUAL(r->dist[WORLD_DIST_STALE_AGE].tally.max, (double)age);
}

/* Round robin: R1 -> instance 0, R2 -> 1, W -> 0 (drops its own copy;
 * commit at 15 ms), R3 -> 1, which still holds v0: stale at 20 ms. */
static const workload_op local_ops[] = {
    OP(0, WORKLOAD_READ, 1), OP(1 * MS, WORKLOAD_READ, 2), OP(10 * MS, WORKLOAD_WRITE, 3),
    OP(20 * MS, WORKLOAD_READ, 4)};

static void test_script_local_not_invalidated(void) {
    world_result *r = malloc(sizeof *r);
    script(SETS("local.instances=2", "local.routing=round-robin",
                "local.tier=alone"),
           local_ops, 4, r);
    expect_one(r, ORACLE_CAUSE_LOCAL_NOT_INVALIDATED, 5 * MS);
    free(r);
}

static void test_script_bus_lost(void) {
    world_result *r = malloc(sizeof *r);
    script(SETS("local.instances=2", "local.routing=round-robin",
                "local.tier=alone", "local.bus=pubsub", "local.bus_loss=1",
                "local.bus_latency=const:1ms"),
           local_ops, 4, r);
    expect_one(r, ORACLE_CAUSE_BUS_LOST, 5 * MS);
    free(r);
    /* Delivered after the read: the same read is invalidation-lag. */
    r = malloc(sizeof *r);
    script(SETS("local.instances=2", "local.routing=round-robin",
                "local.tier=alone", "local.bus=pubsub",
                "local.bus_latency=const:10ms"),
           local_ops, 4, r);
    expect_one(r, ORACLE_CAUSE_INVALIDATION_LAG, 5 * MS);
    free(r);
}

/* R1 fills v0 from the replica; W commits v1 at 15 ms and DELs at 16 ms; R2
 * at 20 ms misses, reads the replica at 23 ms (it applies v1 at 65 ms): v0,
 * stale since 15 ms. */
static void test_script_replica_lag(void) {
    workload_op ops[] = {OP(0, WORKLOAD_READ, 1), OP(10 * MS, WORKLOAD_WRITE, 2),
                         OP(20 * MS, WORKLOAD_READ, 3)};
    world_result *r = malloc(sizeof *r);
    script(SETS("db.replicas=1", "db.replica_lag=const:50ms"), ops, 3, r);
    expect_one(r, ORACLE_CAUSE_REPLICA_LAG, 5 * MS);
    free(r);
}

/* W is acknowledged (committed) at 1 ms by the cache; the entry expires at
 * 11 ms (TTL 10 ms), long before the 1 s flush; R at 100 ms misses and
 * refills v0 from the DB. */
static void test_script_write_behind_lag(void) {
    workload_op ops[] = {OP(0, WORKLOAD_WRITE, 1), OP(100 * MS, WORKLOAD_READ, 2),
                         OP(200 * MS, WORKLOAD_READ, 3)};
    world_result *r = malloc(sizeof *r);
    script(SETS("cache.pattern=write-behind", "cache.ttl=10ms",
                "write_behind.flush_interval=1s",
                "write_behind.flush_latency=0"),
           ops, 2, r);
    expect_one(r, ORACLE_CAUSE_WRITE_BEHIND_LAG, 99 * MS);
    free(r);
}

/* A write path that forgets: the commit at 15 ms is never followed by a
 * DEL, so the read at 20 ms gets v0 (invalidation-missing). */
static void test_script_invalidation_missing(void) {
    workload_op ops[] = {OP(0, WORKLOAD_READ, 1), OP(10 * MS, WORKLOAD_WRITE, 2),
                         OP(20 * MS, WORKLOAD_READ, 3)};
    world_result *r = malloc(sizeof *r);
    script(SETS("path.admin.share=1", "path.admin.invalidates=no"), ops, 3, r);
    expect_one(r, ORACLE_CAUSE_INVALIDATION_MISSING, 5 * MS);
    CU_ASSERT_EQUAL(r->stale_by_path[0], 1);
    CU_ASSERT_EQUAL(r->metric[WORLD_METRIC_INVALIDATIONS], 0);
    free(r);
}

static CU_TestInfo tests[] = {
    {"script: invalidation-missing", test_script_invalidation_missing},
    {"closed form: independent local TTL caches",
     test_local_independent_ttl_caches},
    {"closed form: local caches, own-copy drop", test_local_own_instance_drop},
    {"local bus: lossless and lossy", test_local_bus},
    {"local deploys empty caches", test_local_deploys},
    {"replicas: zero lag and lag", test_replicas},
    {"write-behind: lost writes per crash", test_write_behind_lost_writes},
    {"script: local-not-invalidated", test_script_local_not_invalidated},
    {"script: bus-lost and bus lag", test_script_bus_lost},
    {"script: replica-lag", test_script_replica_lag},
    {"script: write-behind-lag", test_script_write_behind_lag},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("models", NULL, NULL, tests)
