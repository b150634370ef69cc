/* Explaining stale reads, exporting histories, and the warm-up chosen from
 * the command line (the MSER-5 rule itself: tests/test_warmup.c). */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "experiments/warmup.h"
#include "tests/testing.h"

/* ---- CLI helpers -------------------------------------------------------------- */

/* Runs `stalesim ARGS`, stdout to *out (malloc'd); returns the exit code. */
static int run_capture(const char *args, char **out) {
    char path[] = "/tmp/stalesim-test-explain-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s > %s 2>/dev/null", testing_stalesim(),
             args, path);
    int st = system(cmd);
    FILE *f = fopen(path, "r");
    CU_ASSERT_FATAL(f != NULL);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) buf = realloc(buf, cap *= 2);
    }
    buf[n] = '\0';
    fclose(f);
    remove(path);
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect_has(const char *what, const char *text, const char *needle) {
    if (!strstr(text, needle)) {
        fprintf(stderr, "\n    %s lacks '%s'\n", what, needle);
        CU_FAIL(what);
    }
}

/* ---- explain ---------------------------------------------------------------- */

static void test_explain_race(void) {
    char *out;
    int rc = run_capture("explain experiments/scenarios/stale-write-back-race.ini"
                         " --cause stale-fill --stale 2 --set run.duration=10m",
                         &out);
    CU_ASSERT_EQUAL(rc, 0);
    expect_has("explain", out, "## Stale read 1 of 2");
    expect_has("explain", out, "## Stale read 2 of 2");
    expect_has("explain", out, "Cause: **stale-fill**");
    expect_has("explain", out, "the commit the read missed");
    expect_has("explain", out, "stored the superseded");
    expect_has("explain", out, "DB read returned");
    expect_has("explain", out, "| the stale read |");
    free(out);
}

static void test_explain_failed_delete(void) {
    char *out;
    int rc = run_capture("explain experiments/scenarios/account-limits.ini"
                         " --cause invalidation-failed --stale 1"
                         " --set faults.del_fail=0.5",
                         &out);
    CU_ASSERT_EQUAL(rc, 0);
    expect_has("explain", out, "Cause: **invalidation-failed**");
    expect_has("explain", out, "DEL failed: nothing deleted");
    expect_has("explain", out, "the invalidation that failed");
    free(out);
}

static void test_explain_none(void) {
    char *out;
    int rc = run_capture("explain experiments/scenarios/account-limits.ini"
                         " --set cache.pattern=none --set run.duration=30s",
                         &out);
    CU_ASSERT_EQUAL(rc, 0);
    expect_has("explain", out, "No stale read");
    free(out);
    CU_ASSERT_EQUAL(run_capture("explain experiments/scenarios/ttl-only.ini "
                                "--cause bogus", &out), 2);
    free(out);
    CU_ASSERT_EQUAL(run_capture("explain experiments/scenarios/ttl-only.ini "
                                "--stale 0", &out), 2);
    free(out);
}

/* The bus-lost read of local-instances.ini: the lost message is a step, and
 * it went to the very instance that served the read. */
static void test_explain_bus_lost(void) {
    char *out;
    int rc = run_capture("explain experiments/scenarios/local-instances.ini"
                         " --cause bus-lost --stale 1", &out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    expect_has("explain", out, "Cause: **bus-lost**");
    expect_has("explain", out, "published the invalidation of");
    expect_has("explain", out, "the invalidation that never arrived");
    const char *p = strstr(out, "It returned v");
    unsigned served = 999, lost = 998, v = 0;
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(sscanf(p, "It returned v%u from instance %u's local cache",
                           &v, &served), 2);
    const char *q = strstr(out, " LOST |");
    CU_ASSERT_FATAL(q != NULL);
    while (q > out && q[-1] != '|') q--;
    CU_ASSERT_EQUAL(sscanf(q, " bus: message for v%*u to instance %u", &lost),
                    1);
    if (served != lost)
        fprintf(stderr, "\n    served by %u, message lost to %u\n", served,
                lost);
    CU_ASSERT_EQUAL(served, lost);
    char col[32];
    snprintf(col, sizeof col, "| local.%u | |", served);
    expect_has("explain", out, col);
    expect_has("explain", out, "read answered v0 from instance");
    free(out);
}

/* Replicas and the DB behind a write-behind cache are named too. */
static void test_explain_copies(void) {
    char *out;
    int rc = run_capture("explain experiments/scenarios/account-limits.ini"
                         " --set db.replicas=2 --set db.replica_lag=exp:500ms"
                         " --cause replica-lag --stale 1 --set run.duration=5m",
                         &out);
    CU_ASSERT_EQUAL(rc, 0);
    expect_has("explain", out, "Cause: **replica-lag**");
    expect_has("explain", out, "from replica ");
    expect_has("explain", out, "DB read from replica ");
    free(out);
    rc = run_capture("explain experiments/scenarios/write-behind-crash.ini"
                     " --cause write-behind-lag --stale 1", &out);
    CU_ASSERT_EQUAL(rc, 0);
    expect_has("explain", out, "from the DB behind the write-behind cache "
                               "(`db-behind`)");
    expect_has("explain", out, "the write-behind cache accepted it");
    free(out);
}

/* ---- history ---------------------------------------------------------------- */

static double json_metric_mean(const char *json, const char *name) {
    char key[128];
    snprintf(key, sizeof key, "\"%s\": {\"mean\": ", name);
    const char *p = strstr(json, key);
    return p ? atof(p + strlen(key)) : -1;
}

static void test_history(void) {
    char path[] = "/tmp/stalesim-test-history-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    char args[512], *out;
    snprintf(args, sizeof args,
             "run experiments/scenarios/stale-write-back-race.ini --reps 1 "
             "--set run.duration=20s --format json --history %s",
             path);
    CU_ASSERT_EQUAL_FATAL(run_capture(args, &out), 0);
    double reads = json_metric_mean(out, "reads");
    double stale = json_metric_mean(out, "stale_reads");
    double writes = json_metric_mean(out, "writes");
    free(out);

    FILE *f = fopen(path, "r");
    CU_ASSERT_FATAL(f != NULL);
    char line[1024];
    double hreads = 0, hstale = 0, hwrites = 0;
    int malformed = 0;
    int header = 0;
    while (fgets(line, sizeof line, f)) {
        if (!header++) { /* docs/history.md: the optional header line */
            CU_ASSERT_PTR_NOT_NULL(strstr(line, "{\"stalesim_history\": 1,"));
            continue;
        }
        if (line[0] != '{' || !strstr(line, "\"invoke_ns\": ") ||
            !strstr(line, "\"process\": ") || !strstr(line, "\"key\": ") ||
            !strstr(line, "\"value\": ") || !strstr(line, "}\n"))
            malformed++;
        if (strstr(line, "\"op\": \"read\"")) hreads++;
        if (strstr(line, "\"op\": \"write\"")) hwrites++;
        if (strstr(line, "\"verdict\": \"stale\"")) hstale++;
    }
    fclose(f);
    remove(path);
    CU_ASSERT_EQUAL(malformed, 0);
    if (hreads != reads || hstale != stale)
        fprintf(stderr, "\n    history %g reads %g stale; run %g reads %g stale\n",
                hreads, hstale, reads, stale);
    CU_ASSERT(reads > 0);
    CU_ASSERT_EQUAL(hreads, reads);
    CU_ASSERT_EQUAL(hstale, stale);
    /* Every write, also those in flight at the end (pending). */
    CU_ASSERT_EQUAL(hwrites, writes);
}

/* A history of local-instances.ini names each instance that answered, and
 * the reads from the shared cache and the local caches make the hit ratio. */
static void test_history_instances(void) {
    char path[] = "/tmp/stalesim-test-history-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    char args[512], *out;
    snprintf(args, sizeof args,
             "run experiments/scenarios/local-instances.ini --reps 1 "
             "--set run.duration=10s --format json --history %s",
             path);
    CU_ASSERT_EQUAL_FATAL(run_capture(args, &out), 0);
    double reads = json_metric_mean(out, "reads");
    double hit = json_metric_mean(out, "hit_ratio");
    free(out);
    FILE *f = fopen(path, "r");
    CU_ASSERT_FATAL(f != NULL);
    char line[1024];
    double n = 0, cached = 0, local[4] = {0}, other = 0;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "\"from\": \"");
        if (!p) continue;
        p += 9;
        n++;
        unsigned i;
        if (strncmp(p, "cache\"", 6) == 0)
            cached++;
        else if (sscanf(p, "local.%u\"", &i) == 1 && i < 4) {
            local[i]++;
            cached++;
        } else if (strncmp(p, "db\"", 3) != 0)
            other++;
    }
    fclose(f);
    remove(path);
    CU_ASSERT_EQUAL(n, reads);
    CU_ASSERT_EQUAL(other, 0);
    for (int i = 0; i < 4; i++) CU_ASSERT(local[i] > 0);
    if (fabs(cached / n - hit) > 1e-9)
        fprintf(stderr, "\n    history hit share %g, run hit_ratio %g\n",
                cached / n, hit);
    CU_ASSERT(fabs(cached / n - hit) < 1e-9);
}

static void test_history_unwritable(void) {
    char *out;
    CU_ASSERT_EQUAL(run_capture("run experiments/scenarios/ttl-only.ini "
                                "--history /nonexistent-dir/h.jsonl",
                                &out),
                    3);
    free(out);
}

/* ---- warm-up auto ------------------------------------------------------------- */

static void test_warmup_auto_cli(void) {
    char *out;
    CU_ASSERT_EQUAL_FATAL(
        run_capture("run experiments/scenarios/account-limits.ini --reps 2 "
                    "--set run.duration=5m --set run.warmup=auto",
                    &out),
        0);
    expect_has("text output", out, "warm-up chosen by MSER-5: ");
    free(out);
    CU_ASSERT_EQUAL_FATAL(
        run_capture("run experiments/scenarios/account-limits.ini --reps 2 "
                    "--set run.duration=5m --set run.warmup=auto --format json",
                    &out),
        0);
    const char *p = strstr(out, "\"warmup_s\": ");
    CU_ASSERT_PTR_NOT_NULL(p);
    if (p) {
        double w = atof(p + 12);
        CU_ASSERT(w >= 0 && w <= 150); /* at most half of the 5 minutes */
    }
    free(out);
}

static CU_TestInfo tests[] = {
    {"explain: the stale write-back race", test_explain_race},
    {"explain: a failed delete", test_explain_failed_delete},
    {"explain: nothing to explain, bad flags", test_explain_none},
    {"explain: a lost bus message and the instance it missed",
     test_explain_bus_lost},
    {"explain: replicas and the write-behind DB named", test_explain_copies},
    {"history: one line per operation", test_history},
    {"history: which instance answered", test_history_instances},
    {"history: unwritable file", test_history_unwritable},
    {"warm-up auto from the CLI", test_warmup_auto_cli},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("explain", NULL, NULL, tests)
