/* End-to-end tests of `stalesim compare` and `stalesim check`, through the
 * real binary (testing_stalesim(), run from the repository root) with stdout
 * and stderr captured in temporary files.
 *
 * What is pinned.  check: exit 0 on a contract that is clearly met (no
 * faults, generous bounds), 1 on one clearly violated (del_fail = 0.2 with a
 * 1 s bound) and on one met on the mean but not demonstrated (no read over
 * the bound, but too few reads to show a 1e-6 allowance), 2 on a bad
 * scenario, a bad flag and --reps 1; the verdict line comes first and names
 * the deciding figure and clause.  compare: one row per pattern of the
 * pattern table in table order, something bold, ties all bold; exactly the
 * rows asked for with --patterns; exit 2 naming the known patterns for an
 * unknown one; common random numbers: the `writes` metric (and, for the
 * DB-first patterns, db_writes_per_s) is identical in every row of the JSON,
 * also with warmup = auto, where MSER-5 would pick a different warm-up per
 * pattern and compare must impose one.
 * Scenarios are small (500 keys, 60 s, 3 replications) so the suite takes
 * about a second. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "models/pattern.h"
#include "tests/testing.h"

/* A small fault-free cache-aside world: about 36,000 reads per run.  The
 * DB write latency is constant so that a write's commit time is the same
 * under every DB-first pattern (a random one is drawn from the latency
 * stream, which patterns share with their cache operations). */
#define BASE                                                                  \
    "[run]\nduration = 60s\nreps = 3\nseed = 7\n"                             \
    "[workload]\nkeys = 500\nreads = 200/s\nwrites = 5/s\n"                   \
    "[db]\nwrite_latency = const:5ms\n"                                       \
    "[cache]\npattern = cache-aside\nttl = 300s\n"

/* ---- running the binary ----------------------------------------------------- */


/* A scenario file: BASE followed by `extra`.  Fatal if it cannot be made. */
static char *scenario_file(const char *extra) {
    char text[2048];
    snprintf(text, sizeof text, "%s%s", BASE, extra);
    char *p = testing_temp_file(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    return p;
}

/* Runs `stalesim CMD FILE ARGS`. */
static void run_on_(int line, cli_run *r, const char *cmd, const char *file,
                    const char *args) {
    char a[2048];
    snprintf(a, sizeof a, "%s '%s' %s", cmd, file, args);
    testing_run_(__FILE__, line, r, a);
}

#define RUN_ON(r, cmd, file, args) run_on_(__LINE__, r, cmd, file, args)

/* The first line of s, copied into buf. */
static const char *first_line(const char *s, char *buf, size_t len) {
    size_t n = strcspn(s, "\n");
    if (n >= len) n = len - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

/* ---- check ------------------------------------------------------------------------ */

static void test_check_met(void) {
    char *f = scenario_file("[contract]\nmax_staleness = 5s\nquantile = 0.99\n"
                            "max_stale_fraction = 0.01\n");
    cli_run r;
    char line[1024];
    RUN_ON(&r, "check", f, "");
    first_line(r.out, line, sizeof line);
    EXPECT(r.status == 0, "exit %d, stderr [%s], stdout [%s]", r.status, r.err,
           r.out);
    EXPECT(strncmp(line, "check: MET: ", 12) == 0, "verdict [%s]", line);
    EXPECT(strstr(line, "95% upper bound") && strstr(line, "contract allows"),
           "verdict [%s]", line);
    EXPECT(strstr(r.out, "staleness") && strstr(r.out, "stale fraction") &&
               strstr(r.out, "met with 95% confidence"),
           "clause lines in [%s]", r.out);
    EXPECT(strstr(r.out, "nines") && strstr(r.out, "no staler than 5s"),
           "consistency line in [%s]", r.out);
    EXPECT(strstr(r.out, "convergence: 100% of writes were reflected by every "
                         "cache copy within 5s"),
           "convergence line in [%s]", r.out);
    /* 60 s of a 300 s TTL: too short for what it measures, said on stderr
     * (a warning: the verdict and the exit code stand). */
    EXPECT(strstr(r.err, "stalesim: warning: ") &&
               strstr(r.err, "shorter than cache.ttl (300 s)"),
           "no short-run warning: stderr [%s]", r.err);
    testing_run_free(&r);
    testing_remove_temp(f);
}

/* compare's none row is the true no-cache baseline: without the local
 * instance caches too, so nothing is ever stale and nothing hits. */
static void test_compare_none_baseline(void) {
    cli_run r;
    RUN(&r, "compare experiments/scenarios/local-instances.ini --patterns "
            "none,cache-aside --set run.duration=20s --reps 2 --format csv");
    EXPECT(r.status == 0, "exit %d [%s]", r.status, r.err);
    const char *none = strstr(r.out, "\nnone,");
    EXPECT(none != NULL, "no none row in [%.600s]", r.out);
    if (none) {
        /* pattern,reps,seed, then stale_read_fraction (mean, ci95, min,
         * max) and hit_ratio (the same): all 0 */
        const char *want = "\nnone,2,1,0,0,0,0,0,0,0,0,";
        EXPECT(strncmp(none, want, strlen(want)) == 0, "none row [%.200s]",
               none);
    }
    testing_run_free(&r);
}

/* Violated on the staleness clause alone: the verdict names it. */
static void test_check_violated_staleness(void) {
    char *f = scenario_file("[faults]\ndel_fail = 0.2\n"
                            "[contract]\nmax_staleness = 1s\nquantile = 0.999\n"
                            "max_stale_fraction = 0.9\n");
    cli_run r;
    char line[1024];
    RUN_ON(&r, "check", f, "");
    first_line(r.out, line, sizeof line);
    EXPECT(r.status == 1, "exit %d, stderr [%s], stdout [%s]", r.status, r.err,
           r.out);
    EXPECT(strncmp(line, "check: VIOLATED: ", 17) == 0, "verdict [%s]", line);
    EXPECT(strstr(line, "of reads were staler than 1s") &&
               strstr(line, "contract allows 0.1%") &&
               strstr(line, "(p99.9 <= 1s)"),
           "verdict [%s]", line);
    /* The causes of the reads over the bound, apart from all stale reads:
     * only failed DELs leave a copy stale for over a second. */
    const char *over = strstr(r.out, "causes of reads staler than 1s "
                                     "(staleness clause): ");
    const char *all = strstr(r.out, "causes of all stale reads "
                                    "(stale-fraction clause): ");
    EXPECT(over && all, "cause lines in [%s]", r.out);
    if (over && all) {
        unsigned long n_over = strtoul(strchr(over, ':') + 2, NULL, 10);
        unsigned long n_all = strtoul(strchr(all, ':') + 2, NULL, 10);
        EXPECT(n_over > 0 && n_over <= n_all, "over %lu, all %lu", n_over,
               n_all);
        EXPECT(strncmp(strstr(over, "reads: "), "reads: 100% "
                       "invalidation-failed\n", 32) == 0,
               "over-bound causes [%.120s]", over);
    }
    testing_run_free(&r);
    testing_remove_temp(f);
}

/* Violated on the stale-fraction clause alone: the verdict names it. */
static void test_check_violated_fraction(void) {
    char *f = scenario_file("[faults]\ndel_fail = 0.2\n"
                            "[contract]\nmax_staleness = 1h\nquantile = 0.5\n"
                            "max_stale_fraction = 1e-6\n");
    cli_run r;
    char line[1024];
    RUN_ON(&r, "check", f, "--reps 4");
    first_line(r.out, line, sizeof line);
    EXPECT(r.status == 1, "exit %d, stderr [%s]", r.status, r.err);
    EXPECT(strncmp(line, "check: VIOLATED: ", 17) == 0 &&
               strstr(line, "of reads were stale (95% upper bound") &&
               strstr(line, "max_stale_fraction = 1e-6"),
           "verdict [%s]", line);
    EXPECT(strstr(r.out, "4 replications"), "footer in [%s]", r.out);
    testing_run_free(&r);
    testing_remove_temp(f);
}

/* No read is over the bound, but 36,000 reads cannot show a 1e-6 allowance:
 * met on the mean, not demonstrated, exit 1. */
static void test_check_not_demonstrated(void) {
    char *f = scenario_file("[contract]\nmax_staleness = 5s\n"
                            "quantile = 0.999999\nmax_stale_fraction = 0.5\n");
    cli_run r;
    char line[1024];
    RUN_ON(&r, "check", f, "");
    first_line(r.out, line, sizeof line);
    EXPECT(r.status == 1, "exit %d, stderr [%s]", r.status, r.err);
    EXPECT(strncmp(line, "check: NOT DEMONSTRATED: ", 25) == 0 &&
               strstr(line, "not demonstrated with 95% confidence: run more "
                            "replications") &&
               strstr(line, "p99.9999 <= 5s"),
           "verdict [%s]", line);
    testing_run_free(&r);
    testing_remove_temp(f);
}

static void test_check_bad_input(void) {
    cli_run r;
    char *bad = testing_temp_file("[cache]\nttl = 5s\nbogus = 1\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
    RUN_ON(&r, "check", bad, "");
    EXPECT(r.status == 2 && strstr(r.err, "stalesim: error:") &&
               strstr(r.err, "bogus"),
           "exit %d, stderr [%s]", r.status, r.err);
    EXPECT(r.out[0] == '\0', "stdout [%s]", r.out);
    testing_run_free(&r);
    testing_remove_temp(bad);

    char *f = scenario_file("");
    RUN_ON(&r, "check", f, "--reps 1");
    EXPECT(r.status == 2 &&
               strstr(r.err, "check needs at least 2 replications"),
           "exit %d, stderr [%s]", r.status, r.err);
    testing_run_free(&r);
    RUN_ON(&r, "check", f, "--bogus");
    EXPECT(r.status == 2 && strstr(r.err, "unknown option"),
           "exit %d, stderr [%s]", r.status, r.err);
    testing_run_free(&r);
    RUN_ON(&r, "check", f, "--set contract.quantile=1.5");
    EXPECT(r.status == 2 && strstr(r.err, "quantile"), "exit %d, stderr [%s]",
           r.status, r.err);
    testing_run_free(&r);
    testing_remove_temp(f);

    RUN(&r, "check /nonexistent/scenario.ini");
    EXPECT(r.status == 2, "exit %d, stderr [%s]", r.status, r.err);
    testing_run_free(&r);
    RUN(&r, "check --help");
    EXPECT(r.status == 0 && strstr(r.out, "usage: stalesim check"),
           "exit %d, stdout [%s]", r.status, r.out);
    testing_run_free(&r);
}

/* ---- compare ---------------------------------------------------------------------- */

/* The table rows of a Markdown table (lines starting "| "), header and rule
 * excluded; their pattern names into names[] (at most max). */
static int table_rows(const char *out, char names[][32], int max) {
    int n = 0, line_no = 0;
    for (const char *p = out; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 2 && p[0] == '|' && p[1] == ' ') {
            if (line_no++ >= 2 && n < max) {
                size_t k = strcspn(p + 2, " |");
                if (k >= 32) k = 31;
                memcpy(names[n], p + 2, k);
                names[n][k] = '\0';
                n++;
            }
        }
        if (!end) break;
        p = end + 1;
    }
    return n;
}

static void test_compare_default(void) {
    char *f = scenario_file("[faults]\ndel_fail = 0.05\n");
    cli_run r;
    RUN_ON(&r, "compare", f, "");
    EXPECT(r.status == 0, "exit %d, stderr [%s]", r.status, r.err);
    char names[16][32];
    int n = table_rows(r.out, names, 16);
    EXPECT(n == (int)pattern_count(), "%d rows for %zu patterns in [%s]", n,
           pattern_count(), r.out);
    for (int i = 0; i < n && i < (int)pattern_count(); i++)
        EXPECT(strcmp(names[i], pattern_at((size_t)i)->name) == 0,
               "row %d is '%s', table has '%s'", i, names[i],
               pattern_at((size_t)i)->name);
    EXPECT(strstr(r.out, "| pattern") && strstr(r.out, "stale-read fraction") &&
               strstr(r.out, "hit ratio") && strstr(r.out, "top cause"),
           "header in [%s]", r.out);
    EXPECT(strstr(r.out, "**"), "nothing bold in [%s]", r.out);
    EXPECT(strstr(r.out, " ± "), "no CI in [%s]", r.out);
    EXPECT(strstr(r.out, "Held equal: seed 7, 3 replications x 60s"),
           "held-equal line in [%s]", r.out);
    testing_run_free(&r);
    testing_remove_temp(f);
}

static void test_compare_patterns(void) {
    char *f = scenario_file("");
    cli_run r;
    RUN_ON(&r, "compare", f, "--patterns ttl-only,cache-aside");
    EXPECT(r.status == 0, "exit %d, stderr [%s]", r.status, r.err);
    char names[16][32];
    int n = table_rows(r.out, names, 16);
    EXPECT(n == 2 && strcmp(names[0], "ttl-only") == 0 &&
               strcmp(names[1], "cache-aside") == 0,
           "%d rows in [%s]", n, r.out);
    testing_run_free(&r);

    RUN_ON(&r, "compare", f, "--patterns ttl-only,no-such-pattern");
    EXPECT(r.status == 2 && strstr(r.err, "no-such-pattern") &&
               strstr(r.err, "known: ") && strstr(r.err, "cache-aside"),
           "exit %d, stderr [%s]", r.status, r.err);
    EXPECT(r.out[0] == '\0', "stdout [%s]", r.out);
    testing_run_free(&r);
    RUN_ON(&r, "compare", f, "--patterns ttl-only,ttl-only");
    EXPECT(r.status == 2, "exit %d, stderr [%s]", r.status, r.err);
    testing_run_free(&r);
    RUN_ON(&r, "compare", f, "--format yaml");
    EXPECT(r.status == 2 && strstr(r.err, "yaml"), "exit %d, stderr [%s]",
           r.status, r.err);
    testing_run_free(&r);
    testing_remove_temp(f);
}

/* The text after each `"NAME": ` of a JSON document, up to the closing '}',
 * collected into vals[] (at most max); returns the count. */
static int json_values(const char *json, const char *name, char vals[][256],
                       int max) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\": {", name);
    int n = 0;
    for (const char *p = strstr(json, key); p && n < max;
         p = strstr(p + 1, key)) {
        const char *v = p + strlen(key), *end = strchr(v, '}');
        size_t len = end ? (size_t)(end - v) : 0;
        if (len >= 256) len = 255;
        memcpy(vals[n], v, len);
        vals[n][len] = '\0';
        n++;
    }
    return n;
}

/* Common random numbers: every pattern saw the same writes (counted after
 * the warm-up), and the DB-first patterns committed the same writes in the
 * measured span (BASE makes their commit times identical).  Returns the
 * JSON (malloc'd) for further checks. */
static char *expect_same_writes(int line, const char *args) {
    char *f = scenario_file("[faults]\ndel_fail = 0.05\n");
    cli_run r;
    run_on_(line, &r, "compare", f, args);
    EXPECT(r.status == 0, "line %d: exit %d, stderr [%s]", line, r.status,
           r.err);
    static char writes[16][256], dbw[16][256], pats[16][256];
    int nw = json_values(r.out, "writes", writes, 16);
    int nd = json_values(r.out, "db_writes_per_s", dbw, 16);
    EXPECT(nw == (int)pattern_count() && nd == nw, "%d writes, %d db_writes",
           nw, nd);
    /* The pattern of each block, in order. */
    int np = 0;
    for (const char *p = strstr(r.out, "\n  {\"pattern\": \""); p && np < 16;
         p = strstr(p + 1, "\n  {\"pattern\": \"")) {
        p += strlen("\n  {\"pattern\": \"");
        size_t k = strcspn(p, "\"");
        memcpy(pats[np], p, k < 255 ? k : 255);
        pats[np][k < 255 ? k : 255] = '\0';
        np++;
    }
    EXPECT(np == nw, "%d pattern blocks, %d writes", np, nw);
    for (int i = 1; i < nw; i++)
        EXPECT(strcmp(writes[i], writes[0]) == 0,
               "writes of %s [%s] differ from %s [%s]", pats[i], writes[i],
               pats[0], writes[0]);
    /* DB commits coincide for the patterns that commit to the DB first
     * (write-behind commits in the cache and flushes later). */
    for (int i = 1; i < nd && i < np; i++)
        if (strcmp(pats[i], "write-behind") != 0)
            EXPECT(strcmp(dbw[i], dbw[0]) == 0,
                   "db_writes_per_s of %s [%s] differ from %s [%s]", pats[i],
                   dbw[i], pats[0], dbw[0]);
    EXPECT(strstr(r.out, "\"stale_read_fraction\": {\"mean\": ") &&
               strstr(r.out, "\"stale_age_s\": {\"n\": ") &&
               strstr(r.out, "\"top_cause\": ") &&
               strstr(r.out, "\"best\": [") && strstr(r.out, "\"held_equal\""),
           "JSON shape in [%.1500s]", r.out);
    free(r.err);
    testing_remove_temp(f);
    return r.out;
}

static void test_compare_crn(void) {
    free(expect_same_writes(__LINE__, "--format json"));
}

/* warmup = auto: MSER-5 picks about 28 s for ttl-only here and 0 for the
 * others; compare reruns every pattern from the longest choice, so all rows
 * count the same span (the same writes) and the table says which. */
static void test_compare_auto_warmup(void) {
    char *json = expect_same_writes(__LINE__,
                                    "--format json --set run.warmup=auto");
    const char *w = json ? strstr(json, "\"warmup_s\": ") : NULL;
    double warmup = w ? atof(w + strlen("\"warmup_s\": ")) : -1;
    EXPECT(warmup > 10 && warmup < 60, "common warm-up %g s", warmup);
    free(json);

    char *f = scenario_file("[faults]\ndel_fail = 0.05\n");
    cli_run r;
    RUN_ON(&r, "compare", f, "--set run.warmup=auto");
    EXPECT(r.status == 0 &&
               strstr(r.out, "auto: the longest MSER-5 choice of any pattern"),
           "exit %d, stdout [%s]", r.status, r.out);
    testing_run_free(&r);
    testing_remove_temp(f);
}

/* Ties are all marked: every pattern loses no write here, so lost_writes is
 * best in every row (JSON), and CSV has one line per pattern. */
static void test_compare_ties_and_csv(void) {
    char *f = scenario_file("");
    cli_run r;
    RUN_ON(&r, "compare", f, "--format json --patterns none,cache-aside");
    EXPECT(r.status == 0, "exit %d, stderr [%s]", r.status, r.err);
    int ties = 0;
    for (const char *p = strstr(r.out, "\"best\": ["); p;
         p = strstr(p + 1, "\"best\": [")) {
        const char *end = strchr(p, ']');
        const char *lw = strstr(p, "\"lost_writes\"");
        ties += lw && end && lw < end;
    }
    EXPECT(ties == 2, "lost_writes best in %d of 2 rows: [%.1500s]", ties,
           r.out);
    testing_run_free(&r);

    RUN_ON(&r, "compare", f, "--format csv --patterns none,cache-aside");
    EXPECT(r.status == 0, "exit %d, stderr [%s]", r.status, r.err);
    int lines = 0;
    for (const char *p = r.out; *p; p++) lines += *p == '\n';
    EXPECT(lines == 3 && strncmp(r.out, "pattern,reps,seed,", 18) == 0 &&
               strstr(r.out, "\nnone,3,7,") && strstr(r.out, "\ncache-aside,3,7,"),
           "%d lines in [%.600s]", lines, r.out);
    testing_run_free(&r);

    RUN_ON(&r, "compare", f, "--format text --patterns none,cache-aside");
    EXPECT(r.status == 0 && strstr(r.out, " *") && !strstr(r.out, "**") &&
               strstr(r.out, "*: best per column"),
           "exit %d, stdout [%s]", r.status, r.out);
    testing_run_free(&r);
    testing_remove_temp(f);
}

static CU_TestInfo tests[] = {
    {"check met", test_check_met},
    {"compare: none is the no-cache baseline", test_compare_none_baseline},
    {"check violated: staleness", test_check_violated_staleness},
    {"check violated: stale fraction", test_check_violated_fraction},
    {"check not demonstrated", test_check_not_demonstrated},
    {"check bad input", test_check_bad_input},
    {"compare every pattern", test_compare_default},
    {"compare --patterns", test_compare_patterns},
    {"compare common random numbers", test_compare_crn},
    {"compare auto warm-up", test_compare_auto_warmup},
    {"compare ties, csv, text", test_compare_ties_and_csv},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("compare_check", NULL, NULL, tests)
