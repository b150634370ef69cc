/* End-to-end tests of the stalesim command line: the real binary (path from
 * testing_stalesim(), run from the repository root) is started through the
 * shell with stdout and stderr captured in temporary files.
 *
 * What is pinned: help on stdout with exit 0; every usage or input error
 * exits 2 with one stderr line "stalesim: error: ..." naming FILE:LINE and
 * the key where there is one; runs of the built-in default and of a catalog
 * scenario; the JSON and CSV shapes of DESIGN.md section 5; byte-identical
 * output for one seed (apart from the wall-clock fields) and different
 * results for another; the `keys` and `patterns` listings.  Runs are kept to
 * a simulated minute or less so the suite takes a few seconds. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "experiments/commands.h"
#include "experiments/version.h"
#include "models/pattern.h"
#include "models/scenario.h"
#include "models/world.h"
#include "tests/testing.h"

#define CATALOG "experiments/scenarios/account-limits.ini"
#define SMALL "--set run.duration=60s --reps 3" /* keeps a catalog run short */

/* The names DESIGN.md section 5 promises. */
static const char *const top_level[] = {
    "stalesim", "scenario", "reps", "seed", "metrics", "distributions",
    "causes", "events", "wall_s", "events_per_s"};
static const char *const metric_names[] = {
    "stale_read_fraction", "hit_ratio", "db_reads_per_s", "reads", "writes",
    "stale_reads", "concurrent_reads", "stale_windows", "censored_windows",
    "invalidations_failed", "ryw_violations", "lost_writes",
    "instance_disagreement"};
static const char *const dist_names[] = {"stale_age_s", "stale_window_s",
                                         "invalidation_lag_s", "read_latency_s"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- running the binary ------------------------------------------------------ */


/* 1 if every line of s is a "stalesim: warning: " line (or s is empty). */
static int only_warnings(const char *s) {
    while (*s) {
        if (strncmp(s, "stalesim: warning: ", 19) != 0) return 0;
        const char *eol = strchr(s, '\n');
        if (!eol) break;
        s = eol + 1;
    }
    return 1;
}

/* Runs `stalesim ARGS` and requires exit 0 with nothing on stderr but
 * warnings (runs shorter than the TTL, on purpose in these tests). */
static void run_ok_(int line, cli_run *r, const char *args) {
    testing_run_(__FILE__, line, r, args);
    if (r->status != 0 || !only_warnings(r->err)) {
        char m[1536];
        snprintf(m, sizeof m, "stalesim %s: exit %d, stderr [%.600s]", args,
                 r->status, r->err);
        fprintf(stderr, "\n  %s:%d: %s\n", __FILE__, line, m);
        testing_run_free(r);
        CU_assertImplementation(CU_FALSE, (unsigned)line, m, __FILE__, "",
                                CU_TRUE);
    }
}

#define RUN_OK(r, args) run_ok_(__LINE__, r, args)

/* Requires `text` (named `what` in messages) to contain every needle of the
 * NULL-terminated list; prints what is missing.  Not fatal. */
static void vexpect_contains(int line, const char *what, const char *text,
                             va_list ap) {
    const char *needle;
    while ((needle = va_arg(ap, const char *)) != NULL) {
        if (strstr(text, needle)) {
            CU_PASS("contains");
            continue;
        }
        char m[1536];
        snprintf(m, sizeof m, "%s lacks '%s' in [%.900s]", what, needle, text);
        fprintf(stderr, "\n  %s:%d: %s\n", __FILE__, line, m);
        CU_assertImplementation(CU_FALSE, (unsigned)line, m, __FILE__, "",
                                CU_FALSE);
    }
}

static void expect_contains_(int line, const char *what, const char *text, ...) {
    va_list ap;
    va_start(ap, text);
    vexpect_contains(line, what, text, ap);
    va_end(ap);
}

#define EXPECT_CONTAINS(what, text, ...)                                      \
    expect_contains_(__LINE__, what, text, __VA_ARGS__, (const char *)NULL)

/* Runs `stalesim ARGS` and requires the error contract: exit 2, nothing on
 * stdout, exactly one stderr line starting "stalesim: error: " and
 * containing every needle. */
static void expect_error_(int line, const char *args, ...) {
    cli_run r;
    testing_run_(__FILE__, line, &r, args);
    char m[1536];
    size_t n = strlen(r.err);
    const char *nl = strchr(r.err, '\n');
    int one_line = n > 0 && nl == r.err + n - 1;
    if (r.status != 2 || r.out[0] != '\0' || !one_line ||
        strncmp(r.err, "stalesim: error: ", 17) != 0) {
        snprintf(m, sizeof m,
                 "stalesim %s: exit %d (want 2), stdout [%.200s] (want empty), "
                 "stderr [%.600s] (want one line 'stalesim: error: ...')",
                 args, r.status, r.out, r.err);
        fprintf(stderr, "\n  %s:%d: %s\n", __FILE__, line, m);
        CU_assertImplementation(CU_FALSE, (unsigned)line, m, __FILE__, "",
                                CU_FALSE);
    } else {
        CU_PASS("error contract");
    }
    snprintf(m, sizeof m, "stderr of `stalesim %s`", args);
    va_list ap;
    va_start(ap, args);
    vexpect_contains(line, m, r.err, ap);
    va_end(ap);
    testing_run_free(&r);
}

#define EXPECT_ERROR(args, ...)                                               \
    expect_error_(__LINE__, args, __VA_ARGS__, (const char *)NULL)

/* Removes the wall-clock values: everything from `"wall_s":` to the end of
 * its line.  Returns 1 if there was one to remove. */
static int strip_wall(char *json) {
    char *p = strstr(json, "\"wall_s\":");
    if (!p) return 0;
    char *eol = strchr(p, '\n');
    if (eol)
        memmove(p, eol, strlen(eol) + 1);
    else
        *p = '\0';
    return 1;
}

/* ---- help and usage ------------------------------------------------------ */

static void test_help(void) {
    cli_run r;
    RUN_OK(&r, "--help");
    EXPECT_CONTAINS("stalesim --help", r.out, "usage: stalesim COMMAND", "run",
                    "keys", "patterns", "exit codes");
    testing_run_free(&r);

    RUN_OK(&r, "run --help");
    EXPECT(strncmp(r.out, "usage: stalesim run", 19) == 0, "[%.200s]", r.out);
    EXPECT_CONTAINS("stalesim run --help", r.out, "--set", "--reps", "--seed",
                    "--format");
    testing_run_free(&r);

    RUN_OK(&r, "help run");
    EXPECT(strncmp(r.out, "usage: stalesim run", 19) == 0, "[%.200s]", r.out);
    testing_run_free(&r);

    /* --help wins wherever it is among run's arguments. */
    RUN_OK(&r, "run " CATALOG " --reps 2 -h");
    EXPECT(strncmp(r.out, "usage: stalesim run", 19) == 0, "[%.200s]", r.out);
    testing_run_free(&r);

    RUN_OK(&r, "keys --help");
    EXPECT(strncmp(r.out, "usage: stalesim keys", 20) == 0, "[%.200s]", r.out);
    testing_run_free(&r);

    RUN_OK(&r, "patterns --help");
    EXPECT(strncmp(r.out, "usage: stalesim patterns", 24) == 0, "[%.200s]",
           r.out);
    testing_run_free(&r);

    RUN_OK(&r, "--version");
    EXPECT(strcmp(r.out, "stalesim " STALESIM_VERSION "\n") == 0, "[%s]", r.out);
    testing_run_free(&r);
}

static void test_no_arguments(void) {
    cli_run r;
    RUN(&r, "");
    EXPECT(r.status == 2, "exit %d", r.status);
    EXPECT(r.out[0] == '\0', "stdout [%.200s]", r.out);
    EXPECT_CONTAINS("stderr", r.err, "usage: stalesim");
    testing_run_free(&r);
}

/* ---- errors ---------------------------------------------------------------- */

static void test_usage_errors(void) {
    EXPECT_ERROR("frobnicate", "unknown command 'frobnicate'");
    EXPECT_ERROR("help frobnicate", "unknown command 'frobnicate'");
    EXPECT_ERROR("run --bogus", "unknown option '--bogus'");
    EXPECT_ERROR("run " CATALOG " --format xml", "--format", "'xml'");
    EXPECT_ERROR("run " CATALOG " --reps 0", "--reps", "0", "outside");
    EXPECT_ERROR("run " CATALOG " --reps abc", "--reps", "'abc'", "whole number");
    EXPECT_ERROR("run " CATALOG " --seed -3", "--seed", "'-3'");
    EXPECT_ERROR("run " CATALOG " --seed", "--seed needs a value");
    EXPECT_ERROR("run " CATALOG " " CATALOG, "more than one scenario file");
    EXPECT_ERROR("run --set cache.tll=1s", "--set 'cache.tll'", "unknown key");
    EXPECT_ERROR("run --set cache.ttl", "--set 'cache.ttl'", "section.key=value");
    EXPECT_ERROR("run --set cache.ttl=5parsecs", "--set 'cache.ttl'", "unit");
    EXPECT_ERROR("run --set run.warmup=2h", "--set 'run.warmup'",
                 "shorter than duration");
    EXPECT_ERROR("run --set run.warmup=sometimes", "--set 'run.warmup'");
    EXPECT_ERROR("keys extra", "unexpected 'extra'");
    EXPECT_ERROR("patterns extra", "unexpected 'extra'");
    EXPECT_ERROR("run /tmp/stalesim-test-no-such-dir/none.ini",
                 "/tmp/stalesim-test-no-such-dir/none.ini", "cannot open");
}

/* A scenario file with one bad line: the message names FILE:LINE and key. */
static void expect_file_error_(int line, const char *text, int bad_line,
                               const char *key, const char *reason,
                               const char *extra_args) {
    char *path = testing_temp_file(text);
    if (!path) {
        CU_assertImplementation(CU_FALSE, (unsigned)line, "mkstemp failed",
                                __FILE__, "", CU_TRUE);
        return;
    }
    char args[512], where[256], keyname[96];
    snprintf(args, sizeof args, "run %s %s", path, extra_args);
    snprintf(where, sizeof where, "stalesim: error: %s:%d: ", path, bad_line);
    snprintf(keyname, sizeof keyname, "key '%s'", key);
    expect_error_(line, args, where, keyname, reason, (const char *)NULL);
    testing_remove_temp(path);
}

#define EXPECT_FILE_ERROR(text, bad_line, key, reason, extra)                \
    expect_file_error_(__LINE__, text, bad_line, key, reason, extra)

static void test_scenario_errors(void) {
    EXPECT_FILE_ERROR("; bad unit\n[run]\nduration = 60s\n\n[cache]\n"
                      "ttl = 5parsecs\n",
                      6, "ttl", "parsecs", "");
    EXPECT_FILE_ERROR("[run]\nduration = 60s\n[cache]\nttll = 5s\n", 4, "ttll",
                      "unknown key in [cache]", "");
    EXPECT_FILE_ERROR("[cache]\nttl = 5s\nttl = 6s\n", 3, "ttl", "first at line 2",
                      "");
    EXPECT_FILE_ERROR("[local]\ninstances = -4\n", 2, "instances", ">= 0",
                      "");
    EXPECT_FILE_ERROR("[faults]\ndel_fail = 1.5\n", 2, "del_fail", "[0,1]", "");
    /* validate's checks name where the value came from, after --set too */
    EXPECT_FILE_ERROR("[run]\nduration = 60s\nwarmup = 60s\n", 3, "warmup",
                      "shorter than duration", "--reps 2");
    EXPECT_FILE_ERROR("[workload]\nreads = 0/s\nwrites = 0/s\n", 2, "reads",
                      "both 0", "--set run.duration=1s");
}

/* ---- runs ------------------------------------------------------------------ */

static void test_run_default(void) {
    cli_run r;
    RUN_OK(&r, "run --set run.duration=30s --reps 2");
    EXPECT_CONTAINS("text output of the default", r.out, "(built-in default)",
                    "cache-aside");
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        EXPECT_CONTAINS("text output of the default", r.out,
                        world_metric_name((world_metric)m));
    testing_run_free(&r);
}

static void test_run_text(void) {
    cli_run r;
    RUN_OK(&r, "run " CATALOG " " SMALL);
    EXPECT_CONTAINS("text output", r.out, CATALOG, "stalesim " STALESIM_VERSION);
    for (size_t i = 0; i < COUNT(metric_names); i++)
        EXPECT_CONTAINS("text output", r.out, metric_names[i]);
    for (size_t i = 0; i < COUNT(dist_names); i++)
        EXPECT_CONTAINS("text output", r.out, dist_names[i]);
    testing_run_free(&r);
}

static void test_json(void) {
    cli_run r;
    RUN_OK(&r, "run " CATALOG " " SMALL " --format json");
    char name[96];
    for (size_t i = 0; i < COUNT(top_level); i++) {
        snprintf(name, sizeof name, "\"%s\":", top_level[i]);
        EXPECT_CONTAINS("JSON", r.out, name);
    }
    for (size_t i = 0; i < COUNT(metric_names); i++) {
        snprintf(name, sizeof name, "\"%s\": {\"mean\": ", metric_names[i]);
        EXPECT_CONTAINS("JSON metrics", r.out, name);
    }
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        snprintf(name, sizeof name, "\"%s\":", world_metric_name((world_metric)m));
        EXPECT_CONTAINS("JSON metrics", r.out, name);
    }
    for (size_t i = 0; i < COUNT(dist_names); i++) {
        snprintf(name, sizeof name, "\"%s\": {\"n\": ", dist_names[i]);
        EXPECT_CONTAINS("JSON distributions", r.out, name);
    }
    EXPECT_CONTAINS("JSON", r.out, "{\"stalesim\": \"" STALESIM_VERSION "\"",
                    "\"reps\": 3", "\"seed\": 1", "\"file\": \"" CATALOG "\"",
                    "\"duration\": \"60s\"", "\"reps\": \"3\"",
                    "\"read_latency\": \"lognormal:4ms,0.5\"", "\"causes\": {");

    /* The syntax (jansson parses it) and the shape: every metric has mean,
     * ci95, min, max; every distribution n, mean, the quantiles, max and
     * bins of [lo, hi, count]; reps, seed, causes and events are integers. */
    json_error_t jerr;
    json_t *d = json_loads(r.out, 0, &jerr);
    EXPECT(d != NULL, "the JSON does not parse: line %d: %s\n%.600s",
           jerr.line, jerr.text, r.out);
    if (d) {
        EXPECT(json_integer_value(json_object_get(d, "reps")) == 3 &&
               json_integer_value(json_object_get(d, "seed")) == 1,
               "reps and seed");
        const char *k;
        json_t *v;
        int nmetrics = 0, ndists = 0, ncauses = 0;
        json_object_foreach(json_object_get(d, "metrics"), k, v) {
            nmetrics++;
            EXPECT(json_object_size(v) == 4 && json_object_get(v, "mean") &&
                   json_object_get(v, "ci95") && json_object_get(v, "min") &&
                   json_object_get(v, "max"), "metric %s", k);
        }
        static const char *const dist_fields[] = {
            "n", "mean", "p50", "p90", "p99", "p999", "max", "bins"};
        json_object_foreach(json_object_get(d, "distributions"), k, v) {
            ndists++;
            EXPECT(json_object_size(v) == COUNT(dist_fields), "dist %s", k);
            for (size_t f = 0; f < COUNT(dist_fields); f++)
                EXPECT(json_object_get(v, dist_fields[f]), "%s.%s", k,
                       dist_fields[f]);
            size_t i;
            json_t *bin;
            json_array_foreach(json_object_get(v, "bins"), i, bin)
                EXPECT(json_is_array(bin) && json_array_size(bin) == 3,
                       "%s.bins[%zu]", k, i);
        }
        json_object_foreach(json_object_get(d, "causes"), k, v) {
            ncauses++;
            EXPECT(json_is_integer(v), "cause %s is not an integer", k);
        }
        EXPECT(nmetrics == WORLD_METRIC_COUNT && ndists == WORLD_DIST_COUNT &&
               ncauses == ORACLE_CAUSE_COUNT, "%d metrics, %d distributions, %d "
               "causes", nmetrics, ndists, ncauses);
        json_t *events = json_object_get(d, "events");
        EXPECT(json_is_integer(events) && json_integer_value(events) > 0,
               "events");
        json_decref(d);
    }
    testing_run_free(&r);

    /* The built-in default's path "(built-in default)" is valid JSON too. */
    RUN_OK(&r, "run --set run.duration=10s --reps 2 --format json");
    EXPECT_CONTAINS("JSON of the default", r.out,
                    "\"file\": \"(built-in default)\"", "\"reps\": 2");
    d = json_loads(r.out, 0, &jerr);
    EXPECT(d != NULL, "the JSON does not parse: line %d: %s", jerr.line,
           jerr.text);
    json_decref(d);
    testing_run_free(&r);
}

static void test_determinism(void) {
    cli_run a, b, c;
    RUN_OK(&a, "run " CATALOG " " SMALL " --seed 5 --format json");
    RUN_OK(&b, "run " CATALOG " " SMALL " --seed 5 --format json");
    RUN_OK(&c, "run " CATALOG " " SMALL " --seed 6 --format json");
    EXPECT(strip_wall(a.out) && strip_wall(b.out) && strip_wall(c.out),
           "no \"wall_s\" in the JSON");
    EXPECT(strcmp(a.out, b.out) == 0,
           "same seed, different JSON:\n%.400s\n---\n%.400s",
           strstr(a.out, "\"metrics\"") ? strstr(a.out, "\"metrics\"") : a.out,
           strstr(b.out, "\"metrics\"") ? strstr(b.out, "\"metrics\"") : b.out);
    EXPECT_CONTAINS("JSON seed 5", a.out, "\"seed\": 5");
    EXPECT_CONTAINS("JSON seed 6", c.out, "\"seed\": 6");
    /* Another seed changes the results themselves, not only the echo. */
    const char *ma = strstr(a.out, "\"metrics\":"), *mc = strstr(c.out, "\"metrics\":");
    EXPECT(ma && mc && strcmp(ma, mc) != 0, "seeds 5 and 6 give the same "
           "results:\n%.400s", ma ? ma : a.out);
    testing_run_free(&a);
    testing_run_free(&b);
    testing_run_free(&c);
}

/* The same results whatever --jobs is (5 replications on 1 and 3 workers:
 * results arriving out of order are pooled in order), and one run writes
 * text plus --json FILE and --csv FILE equal to --format json/csv. */
static void test_jobs_and_files(void) {
    cli_run a, b, c, d;
    char *jf = testing_temp_file(""), *cf = testing_temp_file("");
    CU_ASSERT_PTR_NOT_NULL_FATAL(jf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cf);
    RUN_OK(&a, "run " CATALOG " --set run.duration=20s --reps 5 --jobs 1 "
               "--format json");
    char args[1024];
    snprintf(args, sizeof args, "run " CATALOG " --set run.duration=20s "
             "--reps 5 --jobs 3 --json '%s' --csv '%s'", jf, cf);
    RUN_OK(&b, args);
    RUN_OK(&c, "run " CATALOG " --set run.duration=20s --reps 5 --jobs 2 "
               "--format csv");
    RUN_OK(&d, "run " CATALOG " --set run.duration=20s --reps 5 --jobs 1");
    char *j = testing_slurp(jf), *csv = testing_slurp(cf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    EXPECT(strip_wall(a.out) && strip_wall(j), "no wall_s in the JSON");
    EXPECT(strcmp(a.out, j) == 0, "--jobs 1 and --jobs 3 differ:\n%.300s\n"
           "---\n%.300s", a.out, j);
    /* CSV: everything before the run,wall_s line. */
    char *w1 = strstr(c.out, "run,wall_s"), *w2 = strstr(csv, "run,wall_s");
    EXPECT(w1 && w2, "no run,wall_s in the CSV");
    if (w1 && w2) {
        *w1 = *w2 = 0;
        EXPECT(strcmp(c.out, csv) == 0, "--csv FILE differs from --format "
               "csv");
    }
    /* Text on stdout as usual, the same figures. */
    char *m1 = strstr(b.out, "stale_read_fraction"),
         *m2 = strstr(d.out, "stale_read_fraction");
    EXPECT(m1 && m2 && strncmp(m1, m2, 120) == 0, "text differs:\n%.200s\n"
           "---\n%.200s", m1 ? m1 : b.out, m2 ? m2 : d.out);
    free(j);
    free(csv);
    testing_remove_temp(jf);
    testing_remove_temp(cf);
    testing_run_free(&a);
    testing_run_free(&b);
    testing_run_free(&c);
    testing_run_free(&d);
    /* Bad --jobs: exit 2. */
    cli_run e;
    RUN(&e, "run " CATALOG " --jobs 0");
    EXPECT(e.status == 2 && strstr(e.err, "--jobs"), "--jobs 0: exit %d [%s]",
           e.status, e.err);
    testing_run_free(&e);
}

/* Number of commas outside double quotes on one CSV line. */
static int csv_commas(const char *line, const char *end) {
    int n = 0, quoted = 0;
    for (const char *p = line; p < end; p++) {
        if (*p == '"') quoted = !quoted;
        else if (*p == ',' && !quoted) n++;
    }
    return n;
}

static void test_csv(void) {
    cli_run r;
    RUN_OK(&r, "run " CATALOG " --set run.duration=60s --reps 2 --format csv");
    EXPECT(strncmp(r.out, "section,name,field,value\n", 25) == 0,
           "header [%.60s]", r.out);
    int lines = 0, bad = 0;
    for (const char *p = r.out; *p;) {
        const char *eol = strchr(p, '\n');
        if (!eol) {
            bad++; /* the last line has no newline */
            break;
        }
        lines++;
        if (csv_commas(p, eol) != 3) {
            EXPECT(0, "line %d has %d fields: [%.*s]", lines,
                   csv_commas(p, eol) + 1, (int)(eol - p), p);
            bad++;
        }
        p = eol + 1;
    }
    EXPECT(bad == 0 && lines > 50, "%d lines, %d bad", lines, bad);
    static const char *const fields[] = {"mean", "ci95", "min", "max"};
    char row[128];
    for (size_t i = 0; i < COUNT(metric_names); i++)
        for (int f = 0; f < 4; f++) {
            snprintf(row, sizeof row, "\nmetrics,%s,%s,", metric_names[i],
                     fields[f]);
            EXPECT_CONTAINS("CSV", r.out, row);
        }
    for (size_t i = 0; i < COUNT(dist_names); i++) {
        snprintf(row, sizeof row, "\ndistributions,%s,p99,", dist_names[i]);
        EXPECT_CONTAINS("CSV", r.out, row);
    }
    EXPECT_CONTAINS("CSV", r.out, "\nrun,reps,value,2\n", "\nrun,seed,value,1\n",
                    "\nscenario,db,read_latency,\"lognormal:4ms,0.5\"\n",
                    "\nscenario,run,duration,\"60s\"\n", "\nrun,wall_s,value,",
                    "\ncauses,invalidation-failed,stale_reads,");
    testing_run_free(&r);
}

/* ---- listings -------------------------------------------------------------- */

static void test_keys(void) {
    cli_run r;
    RUN_OK(&r, "keys");
    EXPECT(strncmp(r.out, "| section | key | default | meaning |\n|---|", 42) == 0,
           "[%.80s]", r.out);
    char cell[96];
    for (size_t i = 0; i < scenario_key_count(); i++) {
        snprintf(cell, sizeof cell, "`%s`", scenario_key_name(i));
        EXPECT_CONTAINS("stalesim keys", r.out, cell);
        snprintf(cell, sizeof cell, "| [%s] |", scenario_key_section(i));
        EXPECT_CONTAINS("stalesim keys", r.out, cell);
    }
    EXPECT_CONTAINS("stalesim keys", r.out, "`ttl`", "`pattern`", "`del_fail`",
                    "`max_staleness`");
    /* One table row per key, after the two header lines. */
    int rows = 0;
    for (const char *p = r.out; (p = strchr(p, '\n')) != NULL; p++) rows++;
    EXPECT(rows == (int)scenario_key_count() + 2, "%d lines for %zu keys", rows,
           scenario_key_count());
    testing_run_free(&r);
}

/* 1 if some line of `text` starts with `word` followed by a blank. */
static int has_line_starting(const char *text, const char *word) {
    size_t n = strlen(word);
    for (const char *p = text; *p;) {
        if (strncmp(p, word, n) == 0 && (p[n] == ' ' || p[n] == '\t'))
            return 1;
        const char *eol = strchr(p, '\n');
        if (!eol) break;
        p = eol + 1;
    }
    return 0;
}

/* One line per pattern of the build, each starting with its name. */
static void test_patterns(void) {
    cli_run r;
    RUN_OK(&r, "patterns");
    int lines = 0;
    for (const char *p = r.out; (p = strchr(p, '\n')) != NULL; p++) lines++;
    EXPECT(lines == (int)pattern_count(), "%d lines for %zu patterns [%s]",
           lines, pattern_count(), r.out);
    EXPECT(pattern_count() >= 6, "%zu patterns", pattern_count());
    for (size_t i = 0; i < pattern_count(); i++)
        EXPECT(has_line_starting(r.out, pattern_at(i)->name),
               "no line for %s in [%s]", pattern_at(i)->name, r.out);
    testing_run_free(&r);
}

/* Every option takes its value as `--opt value` and as `--opt=value`; the
 * two spellings give the same run. */
static void test_option_forms(void) {
    cli_run a, b;
    RUN_OK(&a, "run " CATALOG " --set run.duration=60s --reps 3 --seed 5 "
               "--format json");
    RUN_OK(&b, "run " CATALOG " --set=run.duration=60s --reps=3 --seed=5 "
               "--format=json");
    EXPECT(strip_wall(a.out) && strip_wall(b.out), "no \"wall_s\" in the JSON");
    EXPECT(strcmp(a.out, b.out) == 0, "--opt=value differs from --opt value:"
           "\n%.300s\n---\n%.300s", a.out, b.out);
    testing_run_free(&a);
    testing_run_free(&b);
    EXPECT_ERROR("run --format=xml", "--format", "'xml'");
    EXPECT_ERROR("run --bogus=1", "unknown option '--bogus'");
    EXPECT_ERROR("compare --patterns", "--patterns needs a value");
    EXPECT_ERROR("summarize --experiment=0 x.db", "--experiment: '0'");
    /* After --, a name starting with '-' is an operand. */
    EXPECT_ERROR("run -- -no-such.ini", "-no-such.ini", "cannot open");
}

/* Each command's help names every option of its spec in the usage line and
 * explains it on a line of its own. */
static void test_help_lists_options(void) {
    static const cli_spec *const specs[] = {
        &cmd_run_spec,     &cmd_sweep_spec,   &cmd_summarize_spec,
        &cmd_compare_spec, &cmd_check_spec,   &cmd_explain_spec,
        &cmd_plot_spec,    &cmd_report_spec,  &cmd_keys_spec,
        &cmd_patterns_spec, &cmd_emulate_spec, &cmd_audit_spec};
    for (size_t i = 0; i < COUNT(specs); i++) {
        char args[64];
        snprintf(args, sizeof args, "%s --help", specs[i]->name);
        cli_run r;
        RUN_OK(&r, args);
        /* The usage line(s): up to the first blank line. */
        const char *blank = strstr(r.out, "\n\n");
        size_t usage_len = blank ? (size_t)(blank - r.out) : strlen(r.out);
        for (const cli_opt *o = specs[i]->opt; o && o->name; o++) {
            char needle[64];
            snprintf(needle, sizeof needle, "%s%s%s", o->name,
                     o->value ? " " : "", o->value ? o->value : "");
            const char *u = strstr(r.out, needle);
            EXPECT(u && (size_t)(u - r.out) < usage_len,
                   "%s: %s not in the usage line [%.300s]", specs[i]->name,
                   needle, r.out);
            snprintf(needle, sizeof needle, "\n  %s", o->name);
            EXPECT(blank && strstr(blank, needle), "%s: no help line for %s",
                   specs[i]->name, o->name);
        }
        if (specs[i]->scenario_flags)
            EXPECT_CONTAINS(args, r.out, "[--set S.K=V]...", "\n  --reps N",
                            "\n  --seed S");
        testing_run_free(&r);
    }
    /* explain's help names every cause --cause accepts. */
    cli_run r;
    RUN_OK(&r, "explain --help");
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) {
        char line[64];
        snprintf(line, sizeof line, "\n  %s\n",
                 oracle_cause_name((oracle_cause)c));
        EXPECT(strstr(r.out, line) != NULL, "explain --help lacks %s",
               oracle_cause_name((oracle_cause)c));
    }
    testing_run_free(&r);
}

static CU_TestInfo tests[] = {
    {"help and usage", test_help},
    {"no arguments", test_no_arguments},
    {"usage errors", test_usage_errors},
    {"scenario errors", test_scenario_errors},
    {"run the built-in default", test_run_default},
    {"run text", test_run_text},
    {"run json", test_json},
    {"run --jobs: same results; --json and --csv files", test_jobs_and_files},
    {"determinism", test_determinism},
    {"run csv", test_csv},
    {"keys", test_keys},
    {"patterns", test_patterns},
    {"--opt=value and --opt value", test_option_forms},
    {"help lists every option", test_help_lists_options},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("cli", NULL, NULL, tests)
