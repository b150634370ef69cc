/* Cache capacity and eviction through the world ([cache] capacity,
 * eviction, value_size; docs/capacity.md): LRU's hit ratio on IRM Zipf keys
 * against the Che approximation, LFU beating LRU there without passing the
 * static optimum, noeviction's refused SETs, an eviction closing a stale
 * window early (scripted), the refusals of inconsistent keys, and nothing
 * changing when capacity is unset. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "experiments/run.h"
#include "models/world.h"
#include "tests/testing.h"

#define MS SIM_MS

#define SETS(...) (const char *const[]){__VA_ARGS__}, \
    sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

/* Applies "section.key=value" settings; -1 with the message in err. */
static int apply(scenario *sc, const char *const *sets, size_t n, char *err,
                 size_t errlen) {
    for (size_t i = 0; i < n; i++)
        if (scenario_set(sc, sets[i], err, errlen) != 0) return -1;
    return scenario_validate(sc, err, errlen);
}

static void make_scenario(scenario *sc, const char *const *sets, size_t n) {
    char err[512];
    CU_ASSERT_FATAL(scenario_init_defaults(sc, err, sizeof err) == 0);
    if (apply(sc, sets, n, err, sizeof err) != 0) {
        fprintf(stderr, "\n    %s\n", err);
        CU_FAIL_FATAL("scenario");
    }
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

/* ---- Che's approximation ------------------------------------------------------ */

/* An LRU cache of C entries under the independent reference model with
 * popularities p[i]: key i is in the cache iff it was requested within the
 * characteristic time T of the last request, where T solves
 *   sum_i (1 - exp(-p_i T)) = C        (T in requests),
 * and the hit ratio is sum_i p_i (1 - exp(-p_i T)) (Che, Tung and Wang 2002;
 * Fricker, Robert and Roberts 2012 on its accuracy). */
typedef struct che {
    const double *p;
    size_t n;
    double c;
} che;

static double che_occupancy(double t, void *arg) {
    const che *k = arg;
    double sum = 0;
    for (size_t i = 0; i < k->n; i++) sum += -expm1(-k->p[i] * t);
    return sum - k->c;
}

/* T by Brent's method (GSL), bracketed by [C, 1e3 C / min p]; -1 if the
 * solver fails. */
static double che_time(const che *k) {
    double pmin = k->p[k->n - 1];
    double lo = k->c, hi = 1e3 * k->c / pmin;
    gsl_function f = {che_occupancy, (void *)k};
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s || gsl_root_fsolver_set(s, &f, lo, hi) != GSL_SUCCESS) {
        gsl_root_fsolver_free(s);
        return -1;
    }
    double t = -1;
    for (int it = 0; it < 200; it++) {
        if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS) break;
        lo = gsl_root_fsolver_x_lower(s);
        hi = gsl_root_fsolver_x_upper(s);
        if (gsl_root_test_interval(lo, hi, 0, 1e-12) == GSL_SUCCESS) {
            t = gsl_root_fsolver_root(s);
            break;
        }
    }
    gsl_root_fsolver_free(s);
    return t;
}

/* Zipf popularities of [workload] popularity = zipf:S over n keys (key i
 * weighs 1/(i+1)^S), normalised, into p[n]. */
static void zipf(double *p, size_t n, double s) {
    double z = 0;
    for (size_t i = 0; i < n; i++) z += p[i] = pow((double)(i + 1), -s);
    for (size_t i = 0; i < n; i++) p[i] /= z;
}

/* IRM: reads only (no invalidation, no TTL), zero latencies so that every
 * miss fills before the next request. */
#define IRM_KEYS 10000
#define IRM_ZIPF "0.8"
#define IRM_SETS                                                              \
    "workload.keys=10000", "workload.popularity=zipf:" IRM_ZIPF,              \
        "workload.reads=20000/s", "workload.writes=0/s", "cache.ttl=0",       \
        "db.read_latency=0", "db.write_latency=0", "cache.get_latency=0",     \
        "cache.set_latency=0", "cache.del_latency=0", "run.duration=25s",     \
        "run.warmup=5s"

static const char *reps(void) {
    return testing_validate() ? "run.reps=40" : "run.reps=8";
}

static void test_che_lru(void) {
    static double p[IRM_KEYS];
    zipf(p, IRM_KEYS, atof(IRM_ZIPF));
    che k = {p, IRM_KEYS, 1000};
    double t = che_time(&k);
    CU_ASSERT_FATAL(t > 0);
    double hit = 0;
    for (size_t i = 0; i < IRM_KEYS; i++) hit += p[i] * -expm1(-p[i] * t);

    scenario sc;
    make_scenario(&sc, SETS(IRM_SETS, "cache.capacity=1000",
                            "cache.eviction=lru", reps()));
    run_summary *s = run_or_fail(&sc);
    run_stat h = run_summary_stat(s, WORLD_METRIC_HIT_RATIO);
    EXPECT(fabs(h.mean - hit) <= h.ci95,
           "LRU hit ratio %.6f +- %.2g, Che's approximation %.6f (T = %.1f "
           "requests)", h.mean, h.ci95, hit, t);
    /* Every miss fills one more key into a full cache: one eviction each,
     * after the warm-up (the cache is full long before). */
    run_stat ev = run_summary_stat(s, WORLD_METRIC_EVICTIONS);
    run_stat reads = run_summary_stat(s, WORLD_METRIC_READS);
    double misses = reads.mean * (1 - h.mean);
    EXPECT(fabs(ev.mean - misses) <= 1e-9 * misses + 0.5,
           "evictions %.1f, misses %.1f", ev.mean, misses);
    EXPECT(run_summary_stat(s, WORLD_METRIC_OOM_ERRORS).max == 0, "OOM errors under lru");
    run_summary_destroy(s);
    scenario_fini(&sc);
}

/* Under IRM the best a cache of C entries can do is hold the C most popular
 * keys; LFU's counters approach that, LRU does not. */
static void test_lfu_beats_lru(void) {
    static double p[IRM_KEYS];
    zipf(p, IRM_KEYS, atof(IRM_ZIPF));
    double best = 0;
    for (size_t i = 0; i < 1000; i++) best += p[i];
    double hit[2], hw[2];
    static const char *const policy[2] = {"cache.eviction=lru",
                                          "cache.eviction=lfu"};
    for (int i = 0; i < 2; i++) {
        scenario sc;
        make_scenario(&sc, SETS(IRM_SETS, "cache.capacity=1000", policy[i],
                                "run.reps=4"));
        run_summary *s = run_or_fail(&sc);
        hit[i] = run_summary_stat(s, WORLD_METRIC_HIT_RATIO).mean;
        hw[i] = run_summary_stat(s, WORLD_METRIC_HIT_RATIO).ci95;
        run_summary_destroy(s);
        scenario_fini(&sc);
    }
    EXPECT(hit[1] - hw[1] > hit[0] + hw[0] && hit[1] < best + hw[1],
           "lfu %.4f +- %.2g, lru %.4f +- %.2g, the top 1000 keys %.4f",
           hit[1], hw[1], hit[0], hw[0], best);
}

/* ---- scripted timelines -------------------------------------------------------- */

#define OPK(t, kind, key, client) {(t), (kind), (key), (client)}

typedef struct seen {
    int evicted, refused;
    sim_time evicted_at;
    uint32_t evicted_key, evicted_version;
} seen;

static void on_trace(void *ctx, const trace_rec *r) {
    seen *s = ctx;
    if (r->op == TRACE_EVICTED) {
        if (!s->evicted++) {
            s->evicted_at = r->t;
            s->evicted_key = r->key;
            s->evicted_version = r->version;
        }
    }
    if (r->op == TRACE_SET_REFUSED) s->refused++;
}

/* Two keys, constant latencies (GET 1 ms, SET 10 ms, DEL 1 ms, DB read
 * 2 ms, DB write 5 ms), a 60 s TTL, plus `extra`. */
static void run_script(const char *const *extra, size_t nextra,
                       const workload_op *ops, size_t nops, world_result *res,
                       seen *trace) {
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=3", "run.duration=120s",
                            "cache.ttl=60s", "cache.get_latency=const:1ms",
                            "cache.set_latency=const:10ms",
                            "cache.del_latency=const:1ms",
                            "db.read_latency=const:2ms",
                            "db.write_latency=const:5ms"));
    char err[512];
    if (apply(&sc, extra, nextra, err, sizeof err) != 0) {
        fprintf(stderr, "\n    %s\n", err);
        CU_FAIL_FATAL("scenario");
    }
    world *w = world_create_scripted(&sc, 0, ops, nops);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    memset(trace, 0, sizeof *trace);
    world_set_tracer(w, on_trace, trace);
    CU_ASSERT_FATAL(world_run(w, res) == 0);
    world_destroy(w);
    scenario_fini(&sc);
}

/* Reader 1 fills key 0 with v0 at 1+2+10 = 13 ms.  Writer 2 commits v1 at
 * 25 ms; its DEL fails at 26 ms: the cached v0 is stale from 25 ms.  Reader
 * 3 hits it at 31 ms (stale).  Reader 4 misses key 1 at 41 ms and fills it
 * at 53 ms: with room for one entry, key 0 is evicted then, and its stale
 * window ends after 28 ms instead of at its expiry (60 s after 13 ms).
 * Reader 5 then misses key 0, reads v1 from the DB and fills it at 73 ms,
 * evicting key 1 in turn. */
static void test_eviction_ends_window(void) {
    workload_op ops[] = {OPK(0, WORKLOAD_READ, 0, 1), OPK(20 * MS, WORKLOAD_WRITE, 0, 2),
                         OPK(30 * MS, WORKLOAD_READ, 0, 3),
                         OPK(40 * MS, WORKLOAD_READ, 1, 4),
                         OPK(60 * MS, WORKLOAD_READ, 0, 5)};
    world_result *r = malloc(sizeof *r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    seen t;
    run_script(SETS("faults.del_fail=1", "cache.capacity=1"), ops, 5, r, &t);
    EXPECT(r->metric[WORLD_METRIC_STALE_READS] == 1 && r->metric[WORLD_METRIC_STALE_WINDOWS] == 1 &&
           r->metric[WORLD_METRIC_CENSORED_WINDOWS] == 0,
           "stale reads %g, windows %g, censored %g (want 1, 1, 0)",
           r->metric[WORLD_METRIC_STALE_READS], r->metric[WORLD_METRIC_STALE_WINDOWS],
           r->metric[WORLD_METRIC_CENSORED_WINDOWS]);
    EXPECT(r->metric[WORLD_METRIC_EVICTIONS] == 2, "evictions %g, want 2",
           r->metric[WORLD_METRIC_EVICTIONS]);
    EXPECT(r->dist[WORLD_DIST_STALE_WINDOW].tally.max == 28.0 * MS,
           "window %.0f ns, want 28 ms (commit at 25 ms, eviction at 53 ms)",
           r->dist[WORLD_DIST_STALE_WINDOW].tally.max);
    EXPECT(r->stale_by_cause[ORACLE_CAUSE_INVALIDATION_FAILED] == 1,
           "cause of the stale read");
    EXPECT(t.evicted == 2 && t.evicted_at == 53 * MS && t.evicted_key == 0 &&
           t.evicted_version == 0,
           "trace: %d evictions, first at %lld ns of key %u v%u", t.evicted,
           (long long)t.evicted_at, t.evicted_key, t.evicted_version);
    /* Reads 4 and 5 missed: 3 fills, one hit of the five reads' four. */
    EXPECT(r->metric[WORLD_METRIC_HIT_RATIO] == 0.25, "hit ratio %g",
           r->metric[WORLD_METRIC_HIT_RATIO]);

    /* Unbounded, the same window lasts until the entry expires. */
    run_script(SETS("faults.del_fail=1"), ops, 5, r, &t);
    EXPECT(r->dist[WORLD_DIST_STALE_WINDOW].tally.max == (13.0 + 60000 - 25) * MS &&
           r->metric[WORLD_METRIC_EVICTIONS] == 0 && t.evicted == 0,
           "unbounded: window %.0f ns, evictions %g",
           r->dist[WORLD_DIST_STALE_WINDOW].tally.max, r->metric[WORLD_METRIC_EVICTIONS]);
    free(r);
}

/* noeviction: with room for one entry, the fill of key 1 (at 53 ms) is
 * refused while key 0 (filled at 13 ms) stays; key 1 misses again at 70
 * ms and is refused again; key 0 keeps hitting.  When key 0 expires (at
 * 60.013 s) the room is free, and key 1's next fill stores. */
static void test_noeviction_refuses(void) {
    workload_op ops[] = {OPK(0, WORKLOAD_READ, 0, 1), OPK(40 * MS, WORKLOAD_READ, 1, 2),
                         OPK(70 * MS, WORKLOAD_READ, 1, 3),
                         OPK(90 * MS, WORKLOAD_READ, 0, 4),
                         OPK(61000 * MS, WORKLOAD_READ, 1, 5),
                         OPK(62000 * MS, WORKLOAD_READ, 1, 6)};
    world_result *r = malloc(sizeof *r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    seen t;
    run_script(SETS("cache.capacity=1", "cache.eviction=noeviction"), ops, 6,
               r, &t);
    EXPECT(r->metric[WORLD_METRIC_OOM_ERRORS] == 2 && t.refused == 2 &&
           r->metric[WORLD_METRIC_EVICTIONS] == 0,
           "OOM errors %g (traced %d), evictions %g; want 2, 2, 0",
           r->metric[WORLD_METRIC_OOM_ERRORS], t.refused, r->metric[WORLD_METRIC_EVICTIONS]);
    /* Hits: read 4 (key 0) and read 6 (key 1, stored by read 5). */
    EXPECT(r->metric[WORLD_METRIC_HIT_RATIO] == 2.0 / 6, "hit ratio %g",
           r->metric[WORLD_METRIC_HIT_RATIO]);
    EXPECT(r->metric[WORLD_METRIC_STALE_READS] == 0, "stale reads %g",
           r->metric[WORLD_METRIC_STALE_READS]);
    free(r);
}

/* update-after-write into a full noeviction cache: the writer's SET of a
 * new key is refused, counted as a failed invalidation and an OOM error. */
static void test_noeviction_update(void) {
    workload_op ops[] = {OPK(0, WORKLOAD_READ, 0, 1), OPK(40 * MS, WORKLOAD_WRITE, 1, 2)};
    world_result *r = malloc(sizeof *r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    seen t;
    run_script(SETS("cache.capacity=1", "cache.eviction=noeviction",
                    "cache.invalidation=update-after-write"),
               ops, 2, r, &t);
    EXPECT(r->metric[WORLD_METRIC_OOM_ERRORS] == 1 &&
           r->metric[WORLD_METRIC_INVALIDATIONS_FAILED] == 1,
           "OOM errors %g, failed invalidations %g",
           r->metric[WORLD_METRIC_OOM_ERRORS], r->metric[WORLD_METRIC_INVALIDATIONS_FAILED]);
    free(r);
}

/* ---- the keys ---------------------------------------------------------------------- */

static void expect_refused(const char *const *sets, size_t n,
                           const char *want) {
    scenario sc;
    char err[512] = "";
    CU_ASSERT_FATAL(scenario_init_defaults(&sc, err, sizeof err) == 0);
    int rc = apply(&sc, sets, n, err, sizeof err);
    EXPECT(rc != 0 && strstr(err, want), "%s: got [%s], want [%s]", sets[n - 1],
           rc ? err : "accepted", want);
    scenario_fini(&sc);
}

static void test_keys(void) {
    expect_refused(SETS("cache.capacity=64MB"), "needs [cache] value_size");
    expect_refused(SETS("cache.capacity=1000", "cache.value_size=const:1KB"),
                   "value_size counts only against a capacity in bytes");
    expect_refused(SETS("cache.capacity=64 MB"), "capacity");
    expect_refused(SETS("cache.capacity=-5"), "not 0, a number of entries");
    expect_refused(SETS("cache.capacity=10s"), "unknown unit");
    expect_refused(SETS("cache.eviction=allkeys-lru"), "is not one of lru");
    expect_refused(SETS("cache.value_size=const:5ms"), "unknown unit 'ms'");
    expect_refused(SETS("cache.pattern=write-behind", "cache.capacity=10",
                        "cache.eviction=noeviction"),
                   "use lru or lfu");
    expect_refused(SETS("family.a.keys=0.5", "family.a.capacity=10"),
                   "world-wide");
    /* Accepted: a size with value sizes; 0 with value_size (a sweep's
     * unbounded point). */
    scenario sc;
    char err[512];
    CU_ASSERT_FATAL(scenario_init_defaults(&sc, err, sizeof err) == 0);
    int rc = apply(&sc, SETS("cache.capacity=1.5GiB",
                             "cache.value_size=lognormal:2KB,0.5",
                             "cache.eviction=volatile-ttl"),
                   err, sizeof err);
    EXPECT(rc == 0 && sc.cache.capacity == 1610612736ull &&
           sc.cache.capacity_bytes, "1.5GiB: %s, %llu", rc ? err : "ok",
           (unsigned long long)sc.cache.capacity);
    rc = apply(&sc, SETS("cache.capacity=0"), err, sizeof err);
    EXPECT(rc == 0 && sc.cache.capacity == 0 && !sc.cache.capacity_bytes,
           "capacity 0 with value_size: %s", rc ? err : "ok");
    scenario_fini(&sc);
}

/* Bytes: values of exactly 1 KB in 100 KB hold 100 entries, like
 * capacity = 100, on the same arrivals. */
static void test_bytes_like_entries(void) {
    double hit[2];
    for (int i = 0; i < 2; i++) {
        scenario sc;
        if (i == 0)
            make_scenario(&sc, SETS(IRM_SETS, "cache.capacity=100",
                                    "run.reps=2", "run.duration=10s"));
        else
            make_scenario(&sc, SETS(IRM_SETS, "cache.capacity=100KB",
                                    "cache.value_size=const:1KB",
                                    "run.reps=2", "run.duration=10s"));
        run_summary *s = run_or_fail(&sc);
        hit[i] = run_summary_stat(s, WORLD_METRIC_HIT_RATIO).mean;
        run_summary_destroy(s);
        scenario_fini(&sc);
    }
    EXPECT(hit[0] == hit[1], "100 entries: %.6f, 100 KB of 1 KB: %.6f",
           hit[0], hit[1]);
}

static CU_TestInfo tests[] = {
    {"lru hit ratio agrees with Che's approximation", test_che_lru},
    {"lfu beats lru under IRM, below the static optimum", test_lfu_beats_lru},
    {"an eviction ends a stale window (scripted)", test_eviction_ends_window},
    {"noeviction refuses SETs, keeps the old entries", test_noeviction_refuses},
    {"noeviction: a refused update-SET is a failed invalidation",
     test_noeviction_update},
    {"capacity, eviction and value_size keys", test_keys},
    {"a capacity in bytes of equal values is one in entries",
     test_bytes_like_entries},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("capacity", NULL, NULL, tests)
