/* Response parts ([db] read_response, write_response, [cache] get_response,
 * set_response, del_response): the effect happens at the end of the request
 * part, the caller continues after the response part. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/run.h"
#include "models/scenario.h"
#include "models/world.h"
#include "tests/testing.h"

#define MS SIM_MS

static int load(scenario *sc, const char *file, const char *text) {
    char err[512];
    if (scenario_init_defaults(sc, err, sizeof err) != 0) return -1;
    if (file && scenario_load(sc, file, err, sizeof err) != 0) goto bad;
    if (text && scenario_load_string(sc, "t.ini", text, err, sizeof err) != 0)
        goto bad;
    if (scenario_validate(sc, err, sizeof err) != 0) goto bad;
    return 0;
bad:
    fprintf(stderr, "%s\n", err);
    return -1;
}

/* When things happened to the scripted requests. */
typedef struct seen {
    sim_time db_read, commit, del, read_done[4], write_done;
} seen;

static void record(void *ctx, const trace_rec *r) {
    seen *s = ctx;
    switch ((trace_op)r->op) {
    case TRACE_DB_READ: if (r->request == 1) s->db_read = r->t; break;
    case TRACE_COMMIT: s->commit = r->t; break;
    case TRACE_DEL: s->del = r->t; break;
    case TRACE_WRITE_DONE: s->write_done = r->t; break;
    case TRACE_READ_DONE:
        if (r->request >= 1 && r->request <= 4) s->read_done[r->request - 1] = r->t;
        break;
    default: break;
    }
}

static const char *const script_base =
    "[run]\nduration = 10s\n[workload]\nkeys = 1\n"
    "[cache]\npattern = cache-aside\nttl = 60s\nget_latency = const:1ms\n"
    "set_latency = const:1ms\ndel_latency = const:1ms\n"
    "[db]\nwrite_latency = const:4ms\n";

/* Reader 1 at 0 (misses at 1 ms), writer 2 at 0 (commit at 4 ms, DEL at
 * 5 ms), reader 3 at 10 ms.  The DB read's 5 ms either end at the snapshot
 * (request part) or follow it (response part). */
static void script(const char *db_read, seen *s, world_result *res) {
    char text[1024];
    snprintf(text, sizeof text, "%s%s", script_base, db_read);
    scenario sc;
    CU_ASSERT_FATAL(load(&sc, NULL, text) == 0);
    workload_op ops[] = {{0, WORKLOAD_READ, 0, 1}, {0, WORKLOAD_WRITE, 0, 2},
                         {10 * MS, WORKLOAD_READ, 0, 3}};
    world *w = world_create_scripted(&sc, 0, ops, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    memset(s, 0, sizeof *s);
    world_set_tracer(w, record, s);
    CU_ASSERT_FATAL(world_run(w, res) == 0);
    world_destroy(w);
    scenario_fini(&sc);
}

static void expect_at(const char *what, sim_time got, sim_time want) {
    if (got != want)
        fprintf(stderr, "\n    %s at %lld ns, want %lld\n", what,
                (long long)got, (long long)want);
    CU_ASSERT_EQUAL(got, want);
}

static void test_effect_instant_moves(void) {
    world_result *r = malloc(sizeof *r);
    seen s;
    /* Snapshot at the end: 1 + 5 = 6 ms, after the commit at 4 ms: reader 1
     * gets and fills v1 (fresh); reader 3 hits v1: fresh. */
    script("read_latency = const:5ms\n", &s, r);
    expect_at("DB read (snapshot at the end)", s.db_read, 6 * MS);
    expect_at("reader 1 answered", s.read_done[0], 7 * MS);
    expect_at("commit", s.commit, 4 * MS);
    CU_ASSERT_EQUAL(r->metric[WORLD_METRIC_STALE_READS], 0);
    CU_ASSERT_EQUAL(r->metric[WORLD_METRIC_CONCURRENT_READS], 0);
    /* Snapshot first: at 1 ms it sees v0, returns it by 6 ms, SETs it at
     * 7 ms after the DEL at 5 ms: a stale fill; reader 3 invoked at 10 ms
     * hits v0, stale for 10 - 4 = 6 ms.  Reader 1 is answered at the same
     * 7 ms: only the effect moved. */
    script("read_latency = 0\nread_response = const:5ms\n", &s, r);
    expect_at("DB read (snapshot first)", s.db_read, 1 * MS);
    expect_at("reader 1 answered", s.read_done[0], 7 * MS);
    CU_ASSERT_EQUAL(r->metric[WORLD_METRIC_STALE_READS], 1);
    CU_ASSERT_EQUAL(r->metric[WORLD_METRIC_CONCURRENT_READS], 1); /* reader 1: v0 */
    CU_ASSERT_EQUAL(r->stale_by_cause[ORACLE_CAUSE_STALE_FILL], 1);
    expect_at("stale age", (sim_time)r->dist[WORLD_DIST_STALE_AGE].tally.max, 6 * MS);
    free(r);
}

static void test_write_and_cache_responses(void) {
    world_result *r = malloc(sizeof *r);
    seen s;
    /* The commit stays at the end of write_latency (4 ms); the writer learns
     * of it 3 ms later and DELs then (DEL effect 8 ms); its DEL's answer
     * takes 2 ms more: acknowledged at 10 ms. */
    script("read_latency = const:5ms\nwrite_response = const:3ms\n"
           "[cache]\ndel_response = const:2ms\n",
           &s, r);
    expect_at("commit", s.commit, 4 * MS);
    expect_at("DEL effect", s.del, 8 * MS);
    expect_at("write acknowledged", s.write_done, 10 * MS);
    /* A GET's response part delays the answer, not the lookup: reader 3's
     * hit at 11 ms is answered at 13 ms. */
    script("read_latency = const:5ms\n[cache]\nget_response = const:2ms\n", &s,
           r);
    expect_at("reader 3 answered", s.read_done[2], 13 * MS);
    expect_at("reader 1 answered (miss + fill)", s.read_done[0], 9 * MS);
    free(r);
}

/* The stale-fill race of docs/latency.md: the same 5 ms DB read, snapshot at
 * its end or at its start.  Snapshot-first must be far staler: its 95%
 * interval lies above five times the other's. */
static void test_snapshot_placement_race(void) {
    scenario end, first;
    char err[512];
    CU_ASSERT_FATAL(load(&end, "experiments/scenarios/stale-fill-snapshot.ini",
                         NULL) == 0);
    CU_ASSERT_FATAL(load(&first, "experiments/scenarios/stale-fill-snapshot.ini",
                         "[db]\nread_latency = 0\nread_response = const:5ms\n") ==
                    0);
    run_summary *a = run_scenario(&end, err, sizeof err);
    run_summary *b = run_scenario(&first, err, sizeof err);
    CU_ASSERT_FATAL(a && b);
    run_stat sa = run_summary_stat(a, WORLD_METRIC_STALE_READ_FRACTION);
    run_stat sb = run_summary_stat(b, WORLD_METRIC_STALE_READ_FRACTION);
    fprintf(stderr, "\n    snapshot at the end %.4g +- %.2g, first %.4g +- %.2g ",
            sa.mean, sa.ci95, sb.mean, sb.ci95);
    CU_ASSERT(sa.mean > 0);
    CU_ASSERT(sb.mean - sb.ci95 > 5 * (sa.mean + sa.ci95));
    /* The hit ratio is the same: only where the 5 ms sit changed. */
    CU_ASSERT_DOUBLE_EQUAL(run_summary_stat(a, WORLD_METRIC_HIT_RATIO).mean,
                           run_summary_stat(b, WORLD_METRIC_HIT_RATIO).mean, 0.01);
    CU_ASSERT(b->causes[ORACLE_CAUSE_STALE_FILL] > 10 * a->causes[ORACLE_CAUSE_STALE_FILL]);
    run_summary_destroy(a);
    run_summary_destroy(b);
    scenario_fini(&end);
    scenario_fini(&first);
}

/* response_latency is the response part of every operation without its own:
 * setting it equals setting all five to the same distribution, draw for
 * draw. */
static void test_response_latency_is_the_default(void) {
    static const char *const common =
        "[run]\nduration = 20s\nreps = 2\n[workload]\nkeys = 50\n"
        "reads = 500/s\nwrites = 20/s\n[faults]\ndel_fail = 0.01\n";
    char t1[1024], t2[1024];
    snprintf(t1, sizeof t1, "%s[cache]\nresponse_latency = exp:1ms\n", common);
    snprintf(t2, sizeof t2,
             "%s[cache]\nget_response = exp:1ms\nset_response = exp:1ms\n"
             "del_response = exp:1ms\n[db]\nread_response = exp:1ms\n"
             "write_response = exp:1ms\n",
             common);
    scenario s1, s2;
    char err[512];
    CU_ASSERT_FATAL(load(&s1, NULL, t1) == 0 && load(&s2, NULL, t2) == 0);
    run_summary *a = run_scenario(&s1, err, sizeof err);
    run_summary *b = run_scenario(&s2, err, sizeof err);
    CU_ASSERT_FATAL(a && b);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        for (uint32_t r = 0; r < a->reps; r++)
            CU_ASSERT_EQUAL(a->value[m][r], b->value[m][r]);
    CU_ASSERT(a->value[WORLD_METRIC_STALE_READS][0] > 0);
    CU_ASSERT(memcmp(a->dist[WORLD_DIST_READ_LATENCY].bins, b->dist[WORLD_DIST_READ_LATENCY].bins,
                     sizeof a->dist[WORLD_DIST_READ_LATENCY].bins) == 0);
    run_summary_destroy(a);
    run_summary_destroy(b);
    scenario_fini(&s1);
    scenario_fini(&s2);
}

static CU_TestInfo tests[] = {
    {"scripted: the DB read's snapshot moves, the answer does not",
     test_effect_instant_moves},
    {"scripted: write, DEL and GET response parts",
     test_write_and_cache_responses},
    {"stale-fill race: snapshot first is far staler (CIs)",
     test_snapshot_placement_race},
    {"response_latency = every *_response", test_response_latency_is_the_default},
    CU_TEST_INFO_NULL};
TESTS_REGISTER("response", NULL, NULL, tests)
