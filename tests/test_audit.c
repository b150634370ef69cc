/* audit and the history writer: a simulated history judged by audit gives
 * run's own figures exactly; interval-mode rules on scripted histories;
 * malformed lines and unwritten versions named by line; memory independent
 * of the history's length. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/audit.h"
#include "experiments/history.h"
#include "experiments/run.h"
#include "models/scenario.h"
#include "tests/testing.h"

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

/* Audits the text of a history; returns audit_stream's code, err filled. */
static int audit_text(const char *text, audit_options *opt, audit_result *out,
                      char *err, size_t errlen) {
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    CU_ASSERT_FATAL(f != NULL);
    audit *a = audit_create(opt);
    CU_ASSERT_FATAL(a != NULL);
    err[0] = '\0';
    int rc = audit_stream(a, f, "h.jsonl", err, errlen);
    if (out) *out = *audit_get_result(a);
    audit_destroy(a);
    fclose(f);
    return rc;
}

static audit_options default_options(void) {
    audit_options o = {0, 0, SIM_TIME_MAX, AUDIT_DEFAULT_DEPTH};
    return o;
}

/* Runs one replication with a history, audits it, compares. */
static void reproduce(const char *file, const char *text) {
    scenario sc;
    char err[1024];
    CU_ASSERT_FATAL(load(&sc, file, text) == 0);
    FILE *h = tmpfile();
    CU_ASSERT_FATAL(h != NULL);
    history_writer *hw = history_writer_create(h, &sc, "simulation");
    run_summary *sum =
        run_scenario_traced(&sc, history_writer_trace, hw, err, sizeof err);
    CU_ASSERT_FATAL(sum != NULL);
    CU_ASSERT_EQUAL(history_writer_finish(hw), 0);
    rewind(h);
    audit_options opt = default_options();
    opt.bound = sc.contract.max_staleness;
    audit *a = audit_create(&opt);
    int rc = audit_stream(a, h, "sim.jsonl", err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    const audit_result *r = audit_get_result(a);
    double *v[] = {sum->value[WORLD_METRIC_READS], sum->value[WORLD_METRIC_WRITES],
                   sum->value[WORLD_METRIC_STALE_READS], sum->value[WORLD_METRIC_CONCURRENT_READS],
                   sum->value[WORLD_METRIC_RYW_VIOLATIONS], sum->value[WORLD_METRIC_FAILED_READS]};
    uint64_t got[] = {r->reads,          r->writes,         r->stale,
                      r->concurrent,     r->ryw_violations, r->failed_reads};
    const char *names[] = {"reads", "writes", "stale", "concurrent", "ryw",
                           "failed"};
    for (int i = 0; i < 6; i++) {
        if ((double)got[i] != v[i][0])
            fprintf(stderr, "%s: %s: run %.0f, audit %llu\n", file, names[i],
                    v[i][0], (unsigned long long)got[i]);
        CU_ASSERT_EQUAL((double)got[i], v[i][0]);
    }
    double over = r->reads ? (double)r->over_bound / (double)r->reads : 0;
    CU_ASSERT_EQUAL(over, sum->value[WORLD_METRIC_OVER_MAX_STALENESS_FRACTION][0]);
    CU_ASSERT(r->stale > 0); /* the comparison must be about something */
    CU_ASSERT_EQUAL(r->verdict_disagreements, 0);
    CU_ASSERT_EQUAL(r->unwritten_reads, 0);
    CU_ASSERT_EQUAL(r->beyond_depth, 0);
    /* Same age histogram, bin by bin, in exact mode both bounds equal. */
    const sim_hist *age = &sum->dist[WORLD_DIST_STALE_AGE];
    CU_ASSERT_EQUAL(r->stale_age_max.zeros, age->zeros);
    CU_ASSERT(memcmp(r->stale_age_max.bins, age->bins, sizeof age->bins) == 0);
    CU_ASSERT(memcmp(r->stale_age_min.bins, age->bins, sizeof age->bins) == 0);
    CU_ASSERT_EQUAL(r->stale_age_max.tally.n, age->tally.n);
    CU_ASSERT_EQUAL(r->stale_age_max.tally.max, age->tally.max);
    CU_ASSERT_EQUAL(r->writes_exact, r->writes_committed);
    audit_destroy(a);
    history_writer_destroy(hw);
    fclose(h);
    run_summary_destroy(sum);
    scenario_fini(&sc);
}

static void test_reproduces_failed_deletes(void) {
    reproduce(NULL, "[run]\nduration = 120s\nreps = 1\nwarmup = 10s\n"
                    "[workload]\nkeys = 200\nreads = 400/s\nwrites = 20/s\n"
                    "popularity = zipf:0.9\n"
                    "[cache]\npattern = cache-aside\nttl = 20s\n"
                    "[db]\nread_latency = exp:3ms\n"
                    "[faults]\ndel_fail = 0.05\ndel_timeout = 0.02\n"
                    "crash_after_commit = 0.02\n"
                    "[workload]\nread_after_write = 0.3\n");
}

static void test_reproduces_local_instances(void) {
    reproduce("experiments/scenarios/local-instances.ini",
              "[run]\nduration = 60s\nreps = 1\n[workload]\nkeys = 500\n");
}

static void test_reproduces_write_behind(void) {
    reproduce("experiments/scenarios/write-behind-crash.ini",
              "[run]\nduration = 30s\nreps = 1\n");
}

/* ---- interval mode on scripted histories ---------------------------------------- */

#define W(p, k, v, s, e, st) \
    "{\"process\": " #p ", \"key\": \"" k "\", \"op\": \"write\", \"value\": " \
    #v ", \"invoke_ns\": " #s ", \"complete_ns\": " #e ", \"status\": \"" st \
    "\"}\n"
#define R(p, k, v, s, e)                                                   \
    "{\"process\": " #p ", \"key\": \"" k "\", \"op\": \"read\", \"value\": " \
    #v ", \"invoke_ns\": " #s ", \"complete_ns\": " #e                     \
    ", \"status\": \"ok\", \"from\": \"cache\"}\n"

static void test_interval_stale_concurrent_fresh(void) {
    /* write of v1 to k acknowledged at 200; v2 invoked at 500, acked 900 */
    const char *h = W(1, "k", 1, 100, 200, "ok")
        R(2, "k", 0, 150, 160)  /* overlaps the write: concurrent */
        R(2, "k", 0, 300, 320)  /* began after the ack: stale, age [100,200] */
        R(3, "k", 1, 400, 450)  /* latest: fresh */
        W(1, "k", 2, 500, 900, "ok")
        R(3, "k", 1, 600, 700)  /* v2 in flight: concurrent */
        R(4, "k", 1, 1000, 1010) /* v2 acked at 900: stale, age [100, 500] */
        R(1, "k", 1, 1100, 1110) /* writer 1 itself: stale and RYW */
        R(5, "other", 0, 50, 2000); /* another key: fresh */
    audit_options o = default_options();
    audit_result r;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(audit_text(h, &o, &r, err, sizeof err), 0);
    CU_ASSERT_EQUAL(r.reads, 7);
    CU_ASSERT_EQUAL(r.stale, 3);
    CU_ASSERT_EQUAL(r.concurrent, 2);
    CU_ASSERT_EQUAL(r.fresh, 2);
    CU_ASSERT_EQUAL(r.ryw_violations, 1);
    CU_ASSERT_EQUAL(r.writes, 2);
    CU_ASSERT_EQUAL(r.writes_exact, 0);
    CU_ASSERT_EQUAL(r.hits, 7);
    /* ages: [100, 200], [100, 500], [200, 600] */
    CU_ASSERT_EQUAL(r.stale_age_min.tally.min, 100);
    CU_ASSERT_EQUAL(r.stale_age_min.tally.max, 200);
    CU_ASSERT_EQUAL(r.stale_age_max.tally.min, 200);
    CU_ASSERT_EQUAL(r.stale_age_max.tally.max, 600);
    CU_ASSERT_DOUBLE_EQUAL(r.stale_age_min.tally.mean, 400.0 / 3, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(r.stale_age_max.tally.mean, 1300.0 / 3, 1e-9);
}

static void test_exact_commit_decides(void) {
    /* A write with its commit known at 140: a read answered at 135 is fresh,
     * one in flight at 140 concurrent, one invoked at 150 stale (age 10). */
    const char *h =
        "{\"process\": 1, \"key\": 7, \"op\": \"write\", \"value\": 1, "
        "\"invoke_ns\": 100, \"complete_ns\": 200, \"status\": \"ok\", "
        "\"committed_ns\": 140}\n" R(2, "x", 0, 120, 130)
        "{\"process\": 2, \"key\": 7, \"op\": \"read\", \"value\": 0, "
        "\"invoke_ns\": 120, \"complete_ns\": 135, \"status\": \"ok\"}\n"
        "{\"process\": 2, \"key\": 7, \"op\": \"read\", \"value\": 0, "
        "\"invoke_ns\": 130, \"complete_ns\": 145, \"status\": \"ok\"}\n"
        "{\"process\": 2, \"key\": 7, \"op\": \"read\", \"value\": 0, "
        "\"invoke_ns\": 150, \"complete_ns\": 160, \"status\": \"ok\"}\n";
    audit_options o = default_options();
    audit_result r;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(audit_text(h, &o, &r, err, sizeof err), 0);
    CU_ASSERT_EQUAL(r.reads, 4);
    CU_ASSERT_EQUAL(r.fresh, 2);
    CU_ASSERT_EQUAL(r.concurrent, 1);
    CU_ASSERT_EQUAL(r.stale, 1);
    CU_ASSERT_EQUAL(r.stale_age_min.tally.min, 10);
    CU_ASSERT_EQUAL(r.stale_age_max.tally.max, 10);
    CU_ASSERT_EQUAL(r.writes_exact, 1);
}

static void test_warmup_and_header(void) {
    const char *h = "{\"stalesim_history\": 1, \"source\": \"test\", "
                    "\"warmup_ns\": 250}\n" W(1, "k", 1, 100, 200, "ok")
                        R(2, "k", 0, 210, 220) R(2, "k", 0, 300, 320);
    audit_options o = default_options();
    audit_result r;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(audit_text(h, &o, &r, err, sizeof err), 0);
    CU_ASSERT_EQUAL(r.reads, 1); /* the read at 210 is before the warm-up */
    CU_ASSERT_EQUAL(r.stale, 1);
    CU_ASSERT_EQUAL(r.warmup, 250);
    o.warmup = 0;
    o.warmup_given = 1; /* --warmup overrides the header */
    CU_ASSERT_EQUAL_FATAL(audit_text(h, &o, &r, err, sizeof err), 0);
    CU_ASSERT_EQUAL(r.reads, 2);
}

/* ---- bad input -------------------------------------------------------------------- */

static void expect_bad(const char *h, const char *want) {
    audit_options o = default_options();
    char err[512];
    int rc = audit_text(h, &o, NULL, err, sizeof err);
    CU_ASSERT_EQUAL(rc, 2);
    if (!strstr(err, want))
        fprintf(stderr, "\nexpected '%s' in '%s'\n", want, err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
}

static void test_malformed_lines(void) {
    expect_bad(W(1, "k", 1, 100, 200, "ok") "{\"process\": 1, \"key\": \n",
               "h.jsonl:2: not JSON");
    expect_bad(W(1, "k", 1, 100, 200, "ok") R(2, "k", 0, 150, 160)
                   "{\"process\": 1, \"key\": \"k\", \"op\": \"read\", "
                   "\"value\": 0, \"complete_ns\": 170, \"status\": \"ok\"}\n",
               "h.jsonl:3: field 'invoke_ns': missing");
    expect_bad(R(2, "k", 0, 150, 160)
                   "{\"process\": 1, \"key\": \"k\", \"op\": \"read\", "
                   "\"value\": -1, \"invoke_ns\": 1, \"complete_ns\": 170, "
                   "\"status\": \"ok\"}\n",
               "h.jsonl:2: field 'value'");
    expect_bad(R(2, "k", 0, 150, 160) R(2, "k", 0, 150, 155),
               "h.jsonl:2: out of order");
    expect_bad(W(1, "k", 1, 100, 200, "ok") W(1, "k", 1, 150, 250, "ok"),
               "h.jsonl:2: key k: version 1 written twice (first at line 1)");
    expect_bad(W(1, "k", 1, 100, 200, "maybe"), "h.jsonl:1: field 'status'");
    expect_bad("{\"stalesim_history\": 2}\n", "h.jsonl:1: field 'stalesim_history'");
    expect_bad(R(2, "k", 0, 150, 160) "[1, 2]\n", "h.jsonl:2: not a JSON object");
}

static void test_unwritten_version(void) {
    const char *h = W(1, "k", 1, 100, 200, "ok") R(2, "k", 1, 250, 260)
        R(2, "k", 2, 300, 310) /* line 3: version 2 was never written */
        R(2, "j", 1, 320, 330); /* line 4: key j has no write at all */
    audit_options o = default_options();
    audit_result r;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(audit_text(h, &o, &r, err, sizeof err), 0);
    CU_ASSERT_EQUAL(r.unwritten_reads, 2);
    CU_ASSERT_EQUAL(r.unwritten[0].line, 3);
    CU_ASSERT_EQUAL(r.unwritten[0].version, 2);
    CU_ASSERT_STRING_EQUAL(r.unwritten[0].key, "k");
    CU_ASSERT_EQUAL(r.unwritten[1].line, 4);
    CU_ASSERT_STRING_EQUAL(r.unwritten[1].key, "j");
    CU_ASSERT_EQUAL(r.reads, 1); /* left out of every other figure */
}

/* ---- streaming ---------------------------------------------------------------------- */

/* Writes a synthetic history of `reads` reads over 1000 keys, a write every
 * 20 reads, to f. */
static void synthesize(FILE *f, long reads) {
    long t = 1000;
    unsigned ver[1000] = {0};
    for (long i = 0; i < reads; i++, t += 1000) {
        unsigned k = (unsigned)((i * 7919) % 1000);
        if (i % 20 == 0) {
            ver[k]++;
            fprintf(f,
                    "{\"process\": %ld, \"request\": %ld, \"key\": %u, \"op\": "
                    "\"write\", \"value\": %u, \"invoke_ns\": %ld, "
                    "\"complete_ns\": %ld, \"status\": \"ok\", "
                    "\"committed_ns\": %ld}\n",
                    i % 50, i, k, ver[k], t, t + 400, t + 200);
            continue;
        }
        unsigned v = ver[k] > 0 && i % 7 == 0 ? ver[k] - 1 : ver[k];
        fprintf(f,
                "{\"process\": %ld, \"request\": %ld, \"key\": %u, \"op\": "
                "\"read\", \"value\": %u, \"invoke_ns\": %ld, \"complete_ns\": "
                "%ld, \"status\": \"ok\", \"from\": \"cache\"}\n",
                i % 50, i, k, v, t - 500, t);
    }
}

static size_t stream_memory(long reads, uint64_t *lines, long *bytes) {
    FILE *f = tmpfile();
    CU_ASSERT_FATAL(f != NULL);
    synthesize(f, reads);
    *bytes = ftell(f);
    rewind(f);
    audit_options o = default_options();
    audit *a = audit_create(&o);
    char err[512];
    CU_ASSERT_EQUAL(audit_stream(a, f, "big.jsonl", err, sizeof err), 0);
    *lines = audit_get_result(a)->lines;
    size_t m = audit_memory(a);
    audit_destroy(a);
    fclose(f);
    return m;
}

static void test_streams_in_constant_memory(void) {
    uint64_t small_lines, big_lines;
    long small_bytes, big_bytes;
    size_t small = stream_memory(20000, &small_lines, &small_bytes);
    size_t big = stream_memory(200000, &big_lines, &big_bytes);
    CU_ASSERT_EQUAL(small_lines, 20000);
    CU_ASSERT_EQUAL(big_lines, 200000);
    CU_ASSERT(big_bytes > 30 * 1000 * 1000); /* tens of MB streamed */
    /* The same keys: the same memory, whatever the length (up to the
     * window records of keys the short history never saw stale). */
    fprintf(stderr, "\n  memory %zu bytes for %ld bytes of history, %zu for %ld ",
            small, small_bytes, big, big_bytes);
    CU_ASSERT(big <= small + 1000 * 64);
    CU_ASSERT(big < (size_t)big_bytes / 20);
}

static CU_TestInfo tests[] = {
    {"simulated history: run's figures (cache-aside, failed deletes)",
     test_reproduces_failed_deletes},
    {"simulated history: run's figures (local instances)",
     test_reproduces_local_instances},
    {"simulated history: run's figures (write-behind)",
     test_reproduces_write_behind},
    {"interval mode: stale, concurrent, fresh, age bounds, RYW",
     test_interval_stale_concurrent_fresh},
    {"exact commit times decide", test_exact_commit_decides},
    {"warm-up from the header, --warmup over it", test_warmup_and_header},
    {"malformed lines: exit 2 naming FILE:LINE and the field",
     test_malformed_lines},
    {"a version never written, with its line", test_unwritten_version},
    {"streams in constant memory", test_streams_in_constant_memory},
    CU_TEST_INFO_NULL};
TESTS_REGISTER("audit", NULL, NULL, tests)
