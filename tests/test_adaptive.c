/* adaptive (models/adaptive.c): its own race as a scripted timeline, the
 * degenerate settings that must reproduce the fixed policies exactly, the
 * sketch that must agree with exact counts when it has room, the
 * two-family comparison, and refusals. */
#include <stdlib.h>
#include <string.h>

#include "experiments/run.h"
#include "models/world.h"
#include "tests/testing.h"

#define MS SIM_MS

static void make_scenario(scenario *sc, const char *const *sets, size_t n) {
    char err[512];
    CU_ASSERT_FATAL(scenario_init_defaults(sc, err, sizeof err) == 0);
    for (size_t i = 0; i < n; i++) {
        int rc = scenario_set(sc, sets[i], err, sizeof err);
        EXPECT(rc == 0, "%s: %s", sets[i], err);
        CU_ASSERT_FATAL(rc == 0);
    }
    int rc = scenario_validate(sc, err, sizeof err);
    EXPECT(rc == 0, "validate: %s", err);
    CU_ASSERT_FATAL(rc == 0);
}

#define SETS(...) (const char *const[]){__VA_ARGS__}, \
    sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

#define OP(t, kind, client) {(t), (kind), 0, (client)}

/* One key, constant latencies (GET 1, SET 10, DEL 1, DB read 2, DB write
 * 5 ms), threshold 1.  C1 reads at 0 (one read counted; fill of v0 at
 * 13 ms).  A writes at 20 ms: reads 1 >= 1 * writes 1, so A updates: commit
 * v1 at 25 ms, SET issued then, landing at 35 ms.  B writes at 21 ms: reads
 * 1 < 1 * writes 2, so B deletes: commit v2 at 26 ms, DEL at 27 ms.  A's SET
 * of v1 lands after B's DEL: the cache holds v1 over v2 until the TTL.  C3
 * reads at 40 ms and hits v1: stale, age 14 ms, out-of-order-update.  Under
 * write-through (both update) B's SET lands last; under cache-aside (both
 * delete) C3 misses: neither has a stale read. */
static void run_mixed(const char *pattern, world_result *r) {
    char set[64];
    snprintf(set, sizeof set, "cache.pattern=%s", pattern);
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=1", "run.duration=120s",
                            "cache.ttl=60s", "cache.get_latency=const:1ms",
                            "cache.set_latency=const:10ms",
                            "cache.del_latency=const:1ms",
                            "db.read_latency=const:2ms",
                            "db.write_latency=const:5ms", set));
    workload_op ops[] = {OP(0, WORKLOAD_READ, 1), OP(20 * MS, WORKLOAD_WRITE, 2),
                         OP(21 * MS, WORKLOAD_WRITE, 4), OP(40 * MS, WORKLOAD_READ, 3)};
    world *w = world_create_scripted(&sc, 0, ops, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_FATAL(world_run(w, r) == 0);
    world_destroy(w);
    scenario_fini(&sc);
}

static void test_script_update_overtaken_by_delete(void) {
    world_result *r = malloc(sizeof *r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    run_mixed("adaptive", r);
    EXPECT(r->metric[WORLD_METRIC_STALE_READS] == 1 &&
               r->stale_by_cause[ORACLE_CAUSE_OUT_OF_ORDER_UPDATE] == 1,
           "stale %g, out-of-order-update %llu", r->metric[WORLD_METRIC_STALE_READS],
           (unsigned long long)r->stale_by_cause[ORACLE_CAUSE_OUT_OF_ORDER_UPDATE]);
    EXPECT(r->dist[WORLD_DIST_STALE_AGE].tally.max == (double)(14 * MS),
           "stale age %g ns", r->dist[WORLD_DIST_STALE_AGE].tally.max);
    /* One update-SET (A) and one DEL (B): two invalidations. */
    EXPECT(r->metric[WORLD_METRIC_INVALIDATIONS] == 2, "invalidations %g",
           r->metric[WORLD_METRIC_INVALIDATIONS]);
    /* GET C1, fill, SET (A), DEL (B), GET C3. */
    EXPECT(r->metric[WORLD_METRIC_CACHE_OPS_PER_S] * 120 == 5, "cache ops %g",
           r->metric[WORLD_METRIC_CACHE_OPS_PER_S] * 120);
    static const char *const fixed[] = {"write-through", "cache-aside"};
    for (int i = 0; i < 2; i++) {
        run_mixed(fixed[i], r);
        EXPECT(r->metric[WORLD_METRIC_STALE_READS] == 0, "%s: stale %g", fixed[i],
               r->metric[WORLD_METRIC_STALE_READS]);
    }
    free(r);
}

/* The two-family catalog scenario, shortened. */
#define TWO_FAMILIES "experiments/scenarios/adaptive-two-families.ini"

static run_summary *run_file(const char *const *sets, size_t n) {
    char err[512];
    scenario sc;
    CU_ASSERT_FATAL(scenario_init_defaults(&sc, err, sizeof err) == 0);
    int rc = scenario_load(&sc, TWO_FAMILIES, err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    CU_ASSERT_FATAL(rc == 0);
    for (size_t i = 0; i < n; i++) {
        rc = scenario_set(&sc, sets[i], err, sizeof err);
        EXPECT(rc == 0, "%s: %s", sets[i], err);
        CU_ASSERT_FATAL(rc == 0);
    }
    rc = scenario_validate(&sc, err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    CU_ASSERT_FATAL(rc == 0);
    run_summary *s = run_scenario(&sc, err, sizeof err);
    EXPECT(s != NULL, "%s", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    scenario_fini(&sc);
    return s;
}

static int same_metrics(const run_summary *a, const run_summary *b,
                        const char *what) {
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        run_stat x = run_summary_stat(a, (world_metric)m);
        run_stat y = run_summary_stat(b, (world_metric)m);
        if (x.mean != y.mean || x.min != y.min || x.max != y.max) {
            EXPECT(0, "%s: %s %.17g vs %.17g", what,
                   world_metric_name((world_metric)m), x.mean, y.mean);
            return 0;
        }
    }
    return 1;
}

/* A threshold no key reaches makes every write delete: cache-aside, to the
 * last count.  A one-counter sketch counts every key's reads and writes
 * together; this workload reads ten times more than it writes, so every
 * write updates: write-through, to the last count. */
static void test_degenerate_settings_are_the_fixed_policies(void) {
    run_summary *aside = run_file(SETS("run.duration=1m", "run.reps=2",
                                       "cache.pattern=cache-aside"));
    run_summary *never = run_file(SETS("run.duration=1m", "run.reps=2",
                                       "adaptive.threshold=1e12"));
    same_metrics(aside, never, "threshold 1e12 vs cache-aside");
    run_summary *through = run_file(SETS("run.duration=1m", "run.reps=2",
                                         "cache.pattern=write-through"));
    run_summary *one = run_file(SETS("run.duration=1m", "run.reps=2",
                                     "adaptive.estimator=count-min",
                                     "adaptive.sketch_width=1",
                                     "adaptive.sketch_depth=1"));
    same_metrics(through, one, "a 1x1 sketch vs write-through");
    run_summary_destroy(aside);
    run_summary_destroy(never);
    run_summary_destroy(through);
    run_summary_destroy(one);
}

/* With room enough that no two keys share a counter in every row, the
 * sketch's estimates are exact: the same run as exact counts. */
static void test_roomy_sketch_is_exact(void) {
    run_summary *exact = run_file(SETS("run.duration=1m", "run.reps=2"));
    run_summary *cm = run_file(SETS("run.duration=1m", "run.reps=2",
                                    "adaptive.estimator=count-min",
                                    "adaptive.sketch_width=65536",
                                    "adaptive.sketch_depth=4"));
    same_metrics(exact, cm, "count-min 65536x4 vs exact");
    run_summary_destroy(exact);
    run_summary_destroy(cm);
}

/* On the two families (same arrivals), adaptive updates the read-heavy
 * family and deletes on the write-heavy one: its DB reads/s and cache
 * operations/s lie strictly between write-through's and cache-aside's. */
static void test_two_families_between(void) {
    static const char *const patterns[3] = {"cache.pattern=cache-aside",
                                            "cache.pattern=adaptive",
                                            "cache.pattern=write-through"};
    double dbr[3], ops[3];
    for (int i = 0; i < 3; i++) {
        run_summary *s = run_file(SETS("run.duration=2m", "run.reps=3",
                                       patterns[i]));
        dbr[i] = run_summary_stat(s, WORLD_METRIC_DB_READS_PER_S).mean;
        ops[i] = run_summary_stat(s, WORLD_METRIC_CACHE_OPS_PER_S).mean;
        run_summary_destroy(s);
    }
    EXPECT(dbr[2] < dbr[1] && dbr[1] < dbr[0],
           "DB reads/s: cache-aside %g, adaptive %g, write-through %g", dbr[0],
           dbr[1], dbr[2]);
    EXPECT(ops[2] < ops[1] && ops[1] < ops[0],
           "cache ops/s: cache-aside %g, adaptive %g, write-through %g",
           ops[0], ops[1], ops[2]);
}

/* Bad settings exit 2 naming the key. */
static void test_refusals(void) {
    static const struct {
        const char *set, *key;
    } bad[] = {
        {"cache.invalidation=update-after-write", "invalidation'"},
        {"cache.invalidation=none", "invalidation'"},
        {"adaptive.window=0", "window'"},
        {"adaptive.sketch_width=5000000", "sketch_width'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        scenario sc;
        char err[512];
        CU_ASSERT_FATAL(scenario_init_defaults(&sc, err, sizeof err) == 0);
        CU_ASSERT_FATAL(scenario_set(&sc, "cache.pattern=adaptive", err,
                                     sizeof err) == 0);
        CU_ASSERT_FATAL(scenario_set(&sc, "adaptive.estimator=count-min", err,
                                     sizeof err) == 0);
        int rc = scenario_set(&sc, bad[i].set, err, sizeof err);
        if (rc == 0) rc = scenario_validate(&sc, err, sizeof err);
        EXPECT(rc != 0 && strstr(err, bad[i].key) != NULL, "%s: rc %d: %s",
               bad[i].set, rc, err);
        scenario_fini(&sc);
    }
}

static CU_TestInfo tests[] = {
    {"script: an update overtaken by a delete",
     test_script_update_overtaken_by_delete},
    {"degenerate settings are cache-aside and write-through exactly",
     test_degenerate_settings_are_the_fixed_policies},
    {"a roomy sketch is exact", test_roomy_sketch_is_exact},
    {"two families: between the fixed policies", test_two_families_between},
    {"refusals name the key", test_refusals},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("adaptive", NULL, NULL, tests)
