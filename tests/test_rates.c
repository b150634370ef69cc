/* Per-operation rates (models/measures.h): the shared cache's GETs, SETs and
 * DELs per second, the [local] pub/sub bus's messages per second, evictions
 * per second.
 *
 *  - GETs + SETs + DELs are cache_ops_per_s exactly, and each kind is the
 *    count of its records in the trace: two replications of every catalog
 *    scenario (shortened), in total and per key family.
 *  - The bus counters equal the trace's bus records after the warm-up, and
 *    delivered + lost + missed = published x (instances - 1) exactly once
 *    the messages in flight at either edge of the measured span are
 *    accounted for (constant bus latency L: published in the last L before
 *    the end, or in the L before the warm-up ends).
 *  - Against experiments/scenarios/local-instances.ini: one message per
 *    commit (published/s = db_writes/s in every replication), the published
 *    count within the 99.9% Poisson band of the scenario's 2 writes/s, and
 *    the lost share within the 99.9% binomial band of bus_loss = 0.01. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/run.h"
#include "models/world.h"
#include "tests/testing.h"

static void load(scenario *sc, const char *path, const char *const *sets,
                 size_t n) {
    char err[512];
    CU_ASSERT_FATAL(scenario_init_defaults(sc, err, sizeof err) == 0);
    EXPECT(scenario_load(sc, path, err, sizeof err) == 0, "%s", err);
    for (size_t i = 0; i < n; i++)
        EXPECT(scenario_set(sc, sets[i], err, sizeof err) == 0, "%s: %s",
               sets[i], err);
    int ok = scenario_validate(sc, err, sizeof err) == 0;
    EXPECT(ok, "%s", err);
    CU_ASSERT_FATAL(ok);
}

#define SETS(...) (const char *const[]){__VA_ARGS__}, \
    sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

/* The count behind a per-second rate over span_s; -1 when rate * span_s
 * is not a whole number (to 1e-6). */
static long long count_of(double rate, double span_s) {
    double c = rate * span_s;
    long long k = llround(c);
    return fabs(c - (double)k) <= 1e-6 * (1 + fabs(c)) ? k : -1;
}

/* GETs + SETs + DELs = all operations in one replication's metrics m;
 * evictions/s is the evictions' count over the span. */
static void expect_sum(const char *what, uint32_t rep, const double *m,
                       double span_s) {
    long long g = count_of(m[WORLD_METRIC_CACHE_GETS_PER_S], span_s);
    long long s = count_of(m[WORLD_METRIC_CACHE_SETS_PER_S], span_s);
    long long d = count_of(m[WORLD_METRIC_CACHE_DELS_PER_S], span_s);
    long long all = count_of(m[WORLD_METRIC_CACHE_OPS_PER_S], span_s);
    EXPECT(g >= 0 && s >= 0 && d >= 0 && all >= 0 && g + s + d == all,
           "%s rep %u: GETs %lld + SETs %lld + DELs %lld != %lld operations",
           what, rep, g, s, d, all);
    double sum = m[WORLD_METRIC_CACHE_GETS_PER_S] +
                 m[WORLD_METRIC_CACHE_SETS_PER_S] +
                 m[WORLD_METRIC_CACHE_DELS_PER_S];
    double ops = m[WORLD_METRIC_CACHE_OPS_PER_S];
    EXPECT(fabs(sum - ops) <= 4 * 2.2e-16 * ops, "%s rep %u: %.17g vs %.17g",
           what, rep, sum, ops);
    long long ev = count_of(m[WORLD_METRIC_EVICTIONS_PER_S], span_s);
    EXPECT(ev == llround(m[WORLD_METRIC_EVICTIONS]),
           "%s rep %u: evictions/s x span %lld, evictions %g", what, rep, ev,
           m[WORLD_METRIC_EVICTIONS]);
}

/* The shared-cache operations a replication's trace shows after the
 * warm-up, by kind: a GET is a hit or a miss; a SET a fill, an update (a
 * refresh is traced as a fill), a refused SET or a write-behind cache
 * accepting a commit; a DEL took effect, errored or timed out. */
typedef struct op_tally {
    sim_time warmup;
    long long get, set, del;
} op_tally;

static void op_tracer(void *ctx, const trace_rec *t) {
    op_tally *o = ctx;
    if (t->t < o->warmup) return;
    switch (t->op) {
    case TRACE_HIT:
    case TRACE_MISS:
        o->get++;
        break;
    case TRACE_FILL:
    case TRACE_FILL_FAILED:
    case TRACE_UPDATE:
    case TRACE_UPDATE_FAILED:
    case TRACE_SET_REFUSED:
        o->set++;
        break;
    case TRACE_COMMIT:
        o->set += t->from_kind == ORACLE_COPY_SHARED;
        break;
    case TRACE_DEL:
    case TRACE_DEL_FAILED:
    case TRACE_DEL_TIMEOUT:
        o->del++;
        break;
    default:
        break;
    }
}

/* One catalog scenario, shortened: two replications traced. */
static void catalog_scenario(const char *name, int *kinds, int *families) {
    char path[512];
    snprintf(path, sizeof path, "experiments/scenarios/%s", name);
    scenario sc;
    load(&sc, path, SETS("run.duration=90s", "run.warmup=20s"));
    world_result *res = malloc(sizeof *res);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    const double span = 70;
    for (uint32_t rep = 0; rep < 2; rep++) {
        op_tally o = {sc.run.warmup, 0, 0, 0};
        world *w = world_create(&sc, rep);
        CU_ASSERT_PTR_NOT_NULL_FATAL(w);
        world_set_tracer(w, op_tracer, &o);
        int rc = world_run(w, res);
        world_destroy(w);
        EXPECT(rc == 0, "%s rep %u: the run failed", name, rep);
        if (rc != 0) break;
        const double *m = res->metric;
        expect_sum(name, rep, m, span);
        long long g = count_of(m[WORLD_METRIC_CACHE_GETS_PER_S], span);
        long long s = count_of(m[WORLD_METRIC_CACHE_SETS_PER_S], span);
        long long d = count_of(m[WORLD_METRIC_CACHE_DELS_PER_S], span);
        EXPECT(g == o.get && s == o.set && d == o.del,
               "%s rep %u: GETs %lld SETs %lld DELs %lld, the trace shows "
               "%lld %lld %lld", name, rep, g, s, d, o.get, o.set, o.del);
        kinds[0] += g > 0;
        kinds[1] += s > 0;
        kinds[2] += d > 0;
        for (int f = 0; f < res->nfamilies; f++) {
            expect_sum(res->family_name[f], rep, res->family_metric[f], span);
            (*families)++;
        }
    }
    free(res);
    scenario_fini(&sc);
}

static void test_operations_sum(void) {
    DIR *dir = opendir("experiments/scenarios");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    struct dirent *e;
    int scenarios = 0, kinds[3] = {0, 0, 0}, families = 0;
    while ((e = readdir(dir)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".ini") != 0) continue;
        catalog_scenario(e->d_name, kinds, &families);
        scenarios++;
    }
    closedir(dir);
    /* The catalog exercises every kind (a sum of zeros proves nothing). */
    EXPECT(scenarios >= 10 && kinds[0] > 0 && kinds[1] > 0 && kinds[2] > 0 &&
               families > 0,
           "%d scenarios; replications with GETs %d, SETs %d, DELs %d; "
           "family replications %d", scenarios, kinds[0], kinds[1], kinds[2],
           families);
}

/* ---- the bus, record by record ----------------------------------------- */

typedef struct bus_tally {
    sim_time warmup, end, latency; /* ns */
    long long published, delivered, lost, missed; /* after the warm-up */
    long long in_flight_at_end;   /* published in the last latency */
    long long arriving_after_warmup; /* published in the latency before it */
} bus_tally;

static void bus_tracer(void *ctx, const trace_rec *t) {
    bus_tally *b = ctx;
    int after = t->t >= b->warmup;
    switch (t->op) {
    case TRACE_BUS_PUBLISH:
        b->published += after;
        b->in_flight_at_end += t->t + b->latency > b->end;
        b->arriving_after_warmup += !after && t->t + b->latency >= b->warmup;
        break;
    case TRACE_BUS_DELIVER:
        b->delivered += after;
        break;
    case TRACE_BUS_LOST:
        b->lost += after;
        break;
    case TRACE_BUS_MISSED:
        b->missed += after;
        break;
    default:
        break;
    }
}

static void test_bus_records(void) {
    scenario sc;
    /* Many writes, a lossy bus and frequent disconnections: every outcome
     * occurs; constant latency fixes which messages straddle an edge. */
    load(&sc, "experiments/scenarios/local-instances.ini",
         SETS("run.duration=4m", "run.warmup=30s", "workload.reads=200/s",
              "workload.writes=50/s", "local.bus_latency=const:20ms",
              "local.bus_loss=0.05", "local.reconnect_rate=0.05/s"));
    world_result *res = malloc(sizeof *res);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    const double span = 210;
    const long long subscribers = sc.local.instances - 1;
    for (uint32_t rep = 0; rep < 2; rep++) {
        bus_tally b = {sc.run.warmup, sc.run.duration, 20 * SIM_MS,
                       0, 0, 0, 0, 0, 0};
        world *w = world_create(&sc, rep);
        CU_ASSERT_PTR_NOT_NULL_FATAL(w);
        world_set_tracer(w, bus_tracer, &b);
        CU_ASSERT_FATAL(world_run(w, res) == 0);
        world_destroy(w);
        const double *m = res->metric;
        long long p = count_of(m[WORLD_METRIC_BUS_PUBLISHED_PER_S], span);
        long long d = count_of(m[WORLD_METRIC_BUS_DELIVERED_PER_S], span);
        long long l = count_of(m[WORLD_METRIC_BUS_LOST_PER_S], span);
        long long x = count_of(m[WORLD_METRIC_BUS_MISSED_PER_S], span);
        EXPECT(p == b.published && d == b.delivered && l == b.lost &&
                   x == b.missed,
               "rep %u: counters %lld %lld %lld %lld, trace %lld %lld %lld "
               "%lld", rep, p, d, l, x, b.published, b.delivered, b.lost,
               b.missed);
        EXPECT(d + l + x == subscribers * (p - b.in_flight_at_end +
                                           b.arriving_after_warmup),
               "rep %u: delivered %lld + lost %lld + missed %lld != %lld x "
               "(published %lld - %lld in flight at the end + %lld arriving "
               "after the warm-up)", rep, d, l, x, subscribers, p,
               b.in_flight_at_end, b.arriving_after_warmup);
        EXPECT(p > 5000 && d > 0 && l > 0 && x > 0,
               "rep %u: an outcome never occurred: %lld %lld %lld %lld", rep,
               p, d, l, x);
        EXPECT(p == count_of(m[WORLD_METRIC_DB_WRITES_PER_S], span),
               "rep %u: published %lld, commits %g/s", rep, p,
               m[WORLD_METRIC_DB_WRITES_PER_S]);
    }
    free(res);
    /* Without a bus nothing is published. */
    char err[256];
    EXPECT(scenario_set(&sc, "local.bus=none", err, sizeof err) == 0, "%s",
           err);
    world_result *r = malloc(sizeof *r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_FATAL(run_replication(&sc, 0, r) == 0);
    EXPECT(r->metric[WORLD_METRIC_BUS_PUBLISHED_PER_S] == 0 &&
               r->metric[WORLD_METRIC_BUS_DELIVERED_PER_S] == 0 &&
               r->metric[WORLD_METRIC_CACHE_DELS_PER_S] > 0,
           "bus = none: published %g/s, delivered %g/s, DELs %g/s",
           r->metric[WORLD_METRIC_BUS_PUBLISHED_PER_S],
           r->metric[WORLD_METRIC_BUS_DELIVERED_PER_S],
           r->metric[WORLD_METRIC_CACHE_DELS_PER_S]);
    free(r);
    scenario_fini(&sc);
}

/* ---- the bus against the scenario ---------------------------------------- */

static void test_bus_against_scenario(void) {
    scenario sc;
    load(&sc, "experiments/scenarios/local-instances.ini",
         SETS("run.duration=10m", "run.reps=3"));
    char err[256];
    run_summary *s = run_scenario(&sc, err, sizeof err);
    EXPECT(s != NULL, "%s", err);
    if (!s) {
        scenario_fini(&sc);
        return;
    }
    const double span = 600, writes_per_s = 2, loss = 0.01, z = 3.29;
    long long published = 0, lost = 0;
    for (uint32_t r = 0; r < s->reps; r++) {
        double pub = s->value[WORLD_METRIC_BUS_PUBLISHED_PER_S][r];
        EXPECT(pub == s->value[WORLD_METRIC_DB_WRITES_PER_S][r],
               "rep %u: published %g/s, commits %g/s", r, pub,
               s->value[WORLD_METRIC_DB_WRITES_PER_S][r]);
        published += count_of(pub, span);
        lost += count_of(s->value[WORLD_METRIC_BUS_LOST_PER_S][r], span);
    }
    /* Poisson writes at 2/s: the count over every replication's span. */
    double mu = writes_per_s * span * s->reps;
    EXPECT(fabs((double)published - mu) <= z * sqrt(mu),
           "published %lld, expected %g +- %g", published, mu, z * sqrt(mu));
    /* Each of the instances - 1 copies of a message is lost with
     * probability bus_loss (the messages in flight at the end: at most a
     * few, well inside the band). */
    double copies = (double)published * (sc.local.instances - 1);
    double want = copies * loss, sd = sqrt(copies * loss * (1 - loss));
    EXPECT(fabs((double)lost - want) <= z * sd,
           "lost %lld of %g copies, expected %g +- %g", lost, copies, want,
           z * sd);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

static CU_TestInfo tests[] = {
    {"GETs + SETs + DELs = cache operations (catalog)", test_operations_sum},
    {"bus counters = trace records; delivered + lost + missed",
     test_bus_records},
    {"bus rates against local-instances.ini", test_bus_against_scenario},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("rates", NULL, NULL, tests)
