/* refresh-ahead (models/refresh_ahead.c): the fixed-fraction closed form,
 * the refresh race as a scripted timeline, and the stampede it removes on a
 * hot key.
 *
 * Closed form (fraction rule, zero latencies, one key, Poisson reads L, no
 * writes, TTL T, fraction f; derived in models/refresh_ahead.c):
 *   hit ratio = 1 - e^{-LfT} / (1 + L(1-f)T). */
#include <math.h>
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

static run_summary *run_or_fail(const scenario *sc) {
    char err[256];
    run_summary *s = run_scenario(sc, err, sizeof err);
    EXPECT(s != NULL, "run_scenario: %s", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

/* The fraction rule's hit ratio of one key without writes lies inside the
 * simulated 95% interval, and below it cache-aside's (f = 0) does not. */
static void test_closed_form_fraction(void) {
    const double L = 1, T = 10, f = 0.1;
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=1", "workload.reads=1/s",
                            "workload.writes=0/s",
                            "cache.pattern=refresh-ahead", "cache.ttl=10s",
                            "refresh_ahead.rule=fraction",
                            "refresh_ahead.fraction=0.1", "run.duration=1h",
                            testing_validate() ? "run.reps=100" : "run.reps=12",
                            "db.read_latency=0", "db.write_latency=0",
                            "cache.get_latency=0", "cache.set_latency=0",
                            "cache.del_latency=0"));
    run_summary *s = run_or_fail(&sc);
    run_stat hit = run_summary_stat(s, WORLD_METRIC_HIT_RATIO);
    double want = 1 - exp(-L * f * T) / (1 + L * (1 - f) * T);
    double aside = L * T / (1 + L * T);
    EXPECT(fabs(hit.mean - want) <= hit.ci95,
           "hit ratio %.6g +- %.3g, closed form %.6g", hit.mean, hit.ci95,
           want);
    EXPECT(hit.mean - hit.ci95 > aside,
           "hit ratio %.6g +- %.3g not above cache-aside's %.6g", hit.mean,
           hit.ci95, aside);
    /* No writes: nothing stale; every DB read is a miss or a refresh. */
    EXPECT(run_summary_stat(s, WORLD_METRIC_STALE_READS).max == 0, "stale reads");
    run_summary_destroy(s);
    scenario_fini(&sc);
}

#define OP(t, kind, client) {(t), (kind), 0, (client)}

/* The refresh race, with TTL 1 s and the fraction rule at 0.5.  Reader A
 * misses at 1 ms, reads v0 at 3 ms, fills at 13 ms (expiry 1013 ms).
 * Writer C (599 ms) commits v1 at 604 ms and DELs at 605 ms.  Reader B
 * (600 ms) hits v0 at 601 ms with 412 ms left (< 500 ms): B gets v0 (fresh:
 * v1 came after its answer) and a refresh starts, reads v0 from the DB at
 * 603 ms (before the commit) and SETs it at 613 ms, after the DEL: v0 is
 * back with a whole TTL, until 1613 ms.  Reader D (700 ms) hits it: stale,
 * age 96 ms, cause refresh-race; 912 ms were left, so D refreshes nothing. */
static void test_script_refresh_race(void) {
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=1", "run.duration=10s",
                            "cache.pattern=refresh-ahead", "cache.ttl=1s",
                            "refresh_ahead.rule=fraction",
                            "refresh_ahead.fraction=0.5",
                            "cache.get_latency=const:1ms",
                            "cache.set_latency=const:10ms",
                            "cache.del_latency=const:1ms",
                            "db.read_latency=const:2ms",
                            "db.write_latency=const:5ms"));
    workload_op ops[] = {OP(0, WORKLOAD_READ, 1), OP(599 * MS, WORKLOAD_WRITE, 3),
                         OP(600 * MS, WORKLOAD_READ, 2), OP(700 * MS, WORKLOAD_READ, 4)};
    world *w = world_create_scripted(&sc, 0, ops, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    world_result *r = malloc(sizeof *r);
    CU_ASSERT_FATAL(r && world_run(w, r) == 0);
    EXPECT(r->metric[WORLD_METRIC_READS] == 3 && r->metric[WORLD_METRIC_STALE_READS] == 1,
           "reads %g, stale %g", r->metric[WORLD_METRIC_READS],
           r->metric[WORLD_METRIC_STALE_READS]);
    EXPECT(r->stale_by_cause[ORACLE_CAUSE_REFRESH_RACE] == 1,
           "refresh-race %llu, stale-fill %llu",
           (unsigned long long)r->stale_by_cause[ORACLE_CAUSE_REFRESH_RACE],
           (unsigned long long)r->stale_by_cause[ORACLE_CAUSE_STALE_FILL]);
    EXPECT(r->metric[WORLD_METRIC_HIT_RATIO] == 2.0 / 3, "hit ratio %g",
           r->metric[WORLD_METRIC_HIT_RATIO]);
    /* A's miss and the refresh; no second refresh. */
    EXPECT(r->metric[WORLD_METRIC_DB_READS_PER_S] * 10 == 2, "DB reads %g",
           r->metric[WORLD_METRIC_DB_READS_PER_S] * 10);
    EXPECT(r->dist[WORLD_DIST_STALE_AGE].tally.max == (double)(96 * MS),
           "stale age %g ns", r->dist[WORLD_DIST_STALE_AGE].tally.max);
    EXPECT(r->dist[WORLD_DIST_STALE_WINDOW].tally.max == (double)(1000 * MS),
           "stale window %g ns", r->dist[WORLD_DIST_STALE_WINDOW].tally.max);
    /* GETs 3, fills 1, refresh SET 1, DEL 1. */
    EXPECT(r->metric[WORLD_METRIC_CACHE_OPS_PER_S] * 10 == 6, "cache ops %g",
           r->metric[WORLD_METRIC_CACHE_OPS_PER_S] * 10);
    free(r);
    world_destroy(w);
    scenario_fini(&sc);
}

/* A hot key (400 reads/s, TTL 60 s, writes rare): XFetch refreshes before
 * expiry, so fewer reads miss than under cache-aside at the same TTL, on
 * the same arrivals. */
static void test_hot_key_fewer_misses(void) {
    double misses[2];
    const char *patterns[2] = {"cache.pattern=cache-aside",
                               "cache.pattern=refresh-ahead"};
    for (int i = 0; i < 2; i++) {
        scenario sc;
        make_scenario(&sc, SETS("workload.keys=1", "workload.reads=400/s",
                                "workload.writes=0.001/s", "cache.ttl=60s",
                                "db.read_latency=exp:20ms",
                                "cache.set_latency=exp:1ms",
                                "run.duration=10m", "run.reps=4",
                                patterns[i]));
        run_summary *s = run_or_fail(&sc);
        misses[i] = run_summary_stat(s, WORLD_METRIC_READS).mean *
                    (1 - run_summary_stat(s, WORLD_METRIC_HIT_RATIO).mean);
        run_summary_destroy(s);
        scenario_fini(&sc);
    }
    EXPECT(misses[1] < 0.6 * misses[0],
           "misses per replication: cache-aside %.1f, refresh-ahead %.1f",
           misses[0], misses[1]);
}

/* A scenario without a TTL is refused, naming the key. */
static void test_needs_ttl(void) {
    scenario sc;
    char err[512];
    CU_ASSERT_FATAL(scenario_init_defaults(&sc, err, sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_set(&sc, "cache.pattern=refresh-ahead", err,
                                 sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_set(&sc, "cache.ttl=0", err, sizeof err) == 0);
    int rc = scenario_validate(&sc, err, sizeof err);
    EXPECT(rc != 0 && strstr(err, "ttl'") != NULL, "rc %d: %s", rc, err);
    scenario_fini(&sc);
}

static CU_TestInfo tests[] = {
    {"closed form: fraction rule, one key, no writes",
     test_closed_form_fraction},
    {"script: the refresh race", test_script_refresh_race},
    {"hot key: fewer misses than cache-aside", test_hot_key_fewer_misses},
    {"a TTL is required", test_needs_ttl},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("refresh-ahead", NULL, NULL, tests)
