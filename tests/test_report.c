/* Suite "report": `stalesim report` on a database of several experiments
 * and on an experiment with key families, gnuplot run for real.
 *
 * The suite's init makes, with the binary, r.db holding two experiments of
 * one small scenario (a baseline varying cache.ttl and the same with
 * retry-delete) and f.db holding one experiment of two key families.
 *
 * What is pinned: a report of one experiment of several names it in every
 * Reproduce command; --experiment A --experiment B and --experiment all
 * give the same document, with a comparison table of every point against
 * the baseline and each experiment's sections and PNGs (PREFIX-eN-KIND.png);
 * the Reproduce block, run by sh with the binary on PATH as `stalesim`,
 * succeeds and redraws the PNGs byte for byte; an unknown, repeated or
 * mixed --experiment exits 2 with one error line and writes nothing; each
 * family has its own section with its own PNGs (PREFIX-fN-KIND.png) drawn
 * again by `plot --where family=NAME`; the over-bound causes and the
 * stale-read counts are the database's sums, and the cache operations per
 * second its mean. */
#define _DEFAULT_SOURCE /* realpath */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "tests/testing.h"

static char dir[128];      /* the suite's temporary directory */
static char bin[PATH_MAX]; /* the stalesim binary, absolute */

static const char plain_ini[] =
    "[run]\nduration = 20s\nreps = 2\nseed = 7\n"
    "[workload]\nkeys = 200\npopularity = zipf:0.9\nreads = 400/s\n"
    "writes = 8/s\nclients = 20\n"
    "[cache]\npattern = cache-aside\nttl = 60s\n"
    "[faults]\ndel_fail = 0.05\n"
    "[contract]\nmax_staleness = 5s\nquantile = 0.999\n"
    "max_stale_fraction = 1e-3\n";

static const char family_ini[] =
    "[run]\nduration = 20s\nreps = 2\nseed = 3\n"
    "[workload]\nkeys = 1000\nreads = 500/s\nwrites = 20/s\n"
    "[cache]\nttl = 5s\n"
    "[faults]\ndel_fail = 0.2\n"
    "[contract]\nmax_staleness = 2s\n"
    "[family.display-model]\nkeys = 0.5\n"
    "[family.quota]\nkeys = 0.5\nbypass = yes\n"
    "contract.max_stale_fraction = 0.5\n";

/* Runs `cd DIR && [ENV] BIN ARGS`, stdout and stderr to files in dir;
 * returns the exit code (-1 if it did not exit). */
static int sh(const char *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int sh(const char *env, const char *fmt, ...) {
    char args[4096], cmd[4096 + 2 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && %s '%s' %s </dev/null >out.txt "
             "2>err.txt", dir, env ? env : "", bin, args);
    int st = system(cmd);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp_in(const char *name) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return testing_slurp(path);
}

static int exists_in(const char *name) {
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 && st.st_size > 0;
}

static int write_in(const char *name, const char *text) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int suite_init(void) {
    snprintf(dir, sizeof dir, "/tmp/stalesim-report-XXXXXX");
    if (!mkdtemp(dir) || !realpath(testing_stalesim(), bin)) return 1;
    if (write_in("plain.ini", plain_ini) || write_in("fam.ini", family_ini))
        return 1;
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "mkdir '%s/bin' && ln -s '%s' '%s/bin/stalesim'",
             dir, bin, dir);
    if (system(cmd) != 0) return 1;
    return sh(NULL, "sweep plain.ini --vary cache.ttl=2s,60s --db r.db "
              "--jobs 2") != 0 ||
           sh(NULL, "sweep plain.ini --vary cache.ttl=2s,60s --db r.db "
              "--jobs 2 --set cache.mitigations=retry-delete:3") != 0 ||
           sh(NULL, "sweep fam.ini --vary family.display-model.ttl=2s,30s "
              "--db f.db --jobs 2") != 0;
}

static int suite_clean(void) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}

/* The lines of the document's Reproduce block (malloc'd), or NULL. */
static char *reproduce_block(const char *md) {
    const char *start = md ? strstr(md, "## Reproduce\n\n```sh\n") : NULL;
    const char *end = start ? strstr(start + 20, "```") : NULL;
    if (!end) return NULL;
    size_t n = (size_t)(end - (start + 20));
    char *b = malloc(n + 1);
    if (!b) return NULL;
    memcpy(b, start + 20, n);
    b[n] = '\0';
    return b;
}

/* Every `stalesim plot` and `stalesim report` line of the block names an
 * experiment; returns how many lines name experiment `id`. */
static int lines_naming(const char *block, long id, int *unnamed) {
    char want[48];
    snprintf(want, sizeof want, " --experiment %ld ", id);
    int n = 0;
    for (const char *l = block; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        char line[2048];
        snprintf(line, sizeof line, "%.*s", (int)len, l);
        if (strncmp(line, "stalesim plot ", 14) == 0 ||
            strncmp(line, "stalesim report ", 16) == 0) {
            if (!strstr(line, " --experiment ")) (*unnamed)++;
            if (strstr(line, want)) n++;
        }
        l = nl ? nl + 1 : l + len;
    }
    return n;
}

/* Runs the Reproduce block of `md` with the binary on PATH as `stalesim`
 * (sh -e: every command must succeed). */
static int run_block(const char *block) {
    if (write_in("repro.sh", block) != 0) return -1;
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "cd '%s' && PATH='%s/bin':\"$PATH\" sh -e "
             "repro.sh >repro.out 2>&1", dir, dir);
    int st = system(cmd);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int same_file(const char *a, const char *b) {
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "cd '%s' && cmp -s '%s' '%s'", dir, a, b);
    return system(cmd) == 0;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_one_of_several(void) {
    int st = sh(NULL, "report r.db --experiment 1 -o one.md");
    EXPECT(st == 0, "exit %d", st);
    char *md = slurp_in("one.md"), *block = reproduce_block(md);
    EXPECT(md && strstr(md, "from experiment 1 of `r.db`"),
           "not experiment 1 [%.300s]", md ? md : "");
    int unnamed = 0, n1 = lines_naming(block, 1, &unnamed);
    EXPECT(block && unnamed == 0 && n1 == 7,
           "%d lines name experiment 1, %d none [%s]", n1, unnamed,
           block ? block : "(no block)");
    EXPECT(md && strstr(md, "## Load and latency") &&
               strstr(md, "| read p50 | read p99 | read p99.9 | DB reads/s | DB "
                          "writes/s | cache operations/s |"),
           "no latency and rates table");
    /* The operations apart; the rates zero everywhere (no bus, no
     * capacity) named under the table instead of columns of zeros. */
    EXPECT(md && strstr(md, " | cache operations/s | cache GETs/s | cache "
                            "SETs/s | cache DELs/s |\n") &&
               strstr(md, "\nZero at every point (not shown): evictions/s, "
                          "bus messages published/s, bus messages "
                          "delivered/s, bus messages lost/s, bus messages "
                          "missed/s.\n"),
           "per-operation rates [%.2000s]",
           md && strstr(md, "## Load") ? strstr(md, "## Load") : "");
    EXPECT(md && strstr(md, "### Causes of the reads over the bound"),
           "no over-bound causes");
    /* Its vs line draws the same bytes (experiment 1, not the latest; the
     * whole block runs in the next test). */
    const char *vs = block ? strstr(block, "stalesim plot r.db --experiment "
                                           "1 --kind vs -o one-vs.png\n")
                           : NULL;
    EXPECT(vs != NULL, "no vs line [%s]", block ? block : "");
    if (vs) {
        char cmd[PATH_MAX];
        snprintf(cmd, sizeof cmd, "cd '%s' && mv one-vs.png one-vs.first",
                 dir);
        EXPECT(system(cmd) == 0, "cannot keep the PNG");
        EXPECT(run_block("stalesim plot r.db --experiment 1 --kind vs -o "
                         "one-vs.png\n") == 0, "the vs line failed");
        EXPECT(same_file("one-vs.png", "one-vs.first"),
               "the redrawn vs plot differs from the report's");
    }
    free(block);
    free(md);
}

static void test_side_by_side(void) {
    int st = sh(NULL, "report r.db --experiment 1 --experiment 2 -o two.md");
    EXPECT(st == 0, "exit %d", st);
    char *md = slurp_in("two.md"), *block = reproduce_block(md);
    const char *cmp = md ? strstr(md, "## Experiments compared") : NULL;
    const char *e1 = md ? strstr(md, "## Experiment 1: plain.ini") : NULL;
    const char *e2 = md ? strstr(md, "## Experiment 2: plain.ini") : NULL;
    EXPECT(cmp && e1 && e2 && cmp < e1 && e1 < e2, "sections missing");
    /* One row per point of each; the baseline's, then ratios. */
    EXPECT(md && strstr(md, "| 1 | cache-aside, cache.ttl=2s | 2 |") &&
               strstr(md, "| 2 | cache-aside, cache.ttl=60s | 2 |") &&
               strstr(md, " | baseline | ") && strstr(md, " | ×"),
           "no comparison rows [%.3000s]", cmp ? cmp : "");
    /* The ratio: experiment 2's mean stale-read fraction over the
     * baseline's at the same TTL (shown to 2 digits). */
    char db[PATH_MAX], sql[1200];
    snprintf(db, sizeof db, "%s/r.db", dir);
    const char *mean = "(SELECT avg(r.stale_read_fraction) FROM runs r JOIN "
                       "points p ON p.id = r.point JOIN point_values v ON "
                       "v.point = p.id WHERE p.experiment = %d AND v.value "
                       "= '60s')";
    char m1[512], m2[512];
    snprintf(m1, sizeof m1, mean, 1);
    snprintf(m2, sizeof m2, mean, 2);
    snprintf(sql, sizeof sql, "SELECT CAST(round(1e6 * %s / %s) AS INTEGER)",
             m2, m1);
    double want = (double)testing_db_int(db, sql) / 1e6, shown = NAN;
    const char *row = md ? strstr(md, "| 2 | cache-aside, cache.ttl=60s |")
                         : NULL;
    const char *x = row ? strstr(row, "| ×") : NULL;
    if (x) shown = strtod(x + strlen("| ×"), NULL);
    EXPECT(want > 0 && fabs(shown - want) <= 0.05 * want,
           "vs baseline shown %g, stored means give %g", shown, want);
    EXPECT(md && strstr(md, "--set cache.mitigations=retry-delete:3"),
           "the mitigation is not named");
    /* Each experiment's sections one level deeper, its own PNGs. */
    EXPECT(e2 && strstr(e2, "\n### Freshness contract\n") &&
               strstr(e2, "\n#### Stale-window durations\n"),
           "headings not nested");
    static const char *const kinds[] = {"window-cdf", "vs", "causes",
                                        "timeline"};
    for (int e = 1; e <= 2; e++)
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            char png[64];
            snprintf(png, sizeof png, "two-e%d-%s.png", e, kinds[k]);
            EXPECT(exists_in(png) && md && strstr(md, png), "no %s", png);
        }
    int unnamed = 0;
    int n1 = lines_naming(block, 1, &unnamed);
    int n2 = lines_naming(block, 2, &unnamed);
    EXPECT(unnamed == 0 && n1 == 7 && n2 == 7, "named 1: %d, 2: %d, none: %d",
           n1, n2, unnamed);
    EXPECT(block && strstr(block, "stalesim report r.db --experiment 1 "
                                  "--experiment 2 -o two.md\n"),
           "no report line [%s]", block ? block : "");
    /* all: the same document. */
    st = sh(NULL, "report --db r.db --experiment all -o two.md");
    char *again = slurp_in("two.md");
    EXPECT(st == 0 && md && again && strcmp(md, again) == 0,
           "--experiment all differs (exit %d)", st);
    if (block) {
        char cmd[PATH_MAX];
        snprintf(cmd, sizeof cmd, "cd '%s' && cp two-e2-causes.png "
                 "two-e2.first && rm two-*.png", dir);
        EXPECT(system(cmd) == 0, "cannot keep the PNG");
        EXPECT(run_block(block) == 0, "the Reproduce block failed");
        EXPECT(same_file("two-e2-causes.png", "two-e2.first"),
               "experiment 2's causes plot differs when redrawn");
    }
    free(again);
    free(block);
    free(md);
}

static void test_unknown_experiment(void) {
    static const struct {
        const char *args, *want;
    } bad[] = {
        {"--experiment 9", "--experiment 9: r.db has no such experiment "
                           "(its experiments: 1, 2)"},
        {"--experiment 1 --experiment 9", "--experiment 9"},
        {"--experiment 2 --experiment 2", "given twice"},
        {"--experiment all --experiment 1", "not both"},
        {"--experiment 0", "not an experiment id"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st = sh(NULL, "report r.db %s -o bad.md", bad[i].args);
        char *err = slurp_in("err.txt");
        size_t len = err ? strlen(err) : 0;
        EXPECT(st == 2 && err && strstr(err, bad[i].want) &&
                   strchr(err, '\n') == err + len - 1,
               "%s: exit %d [%s]", bad[i].args, st, err ? err : "");
        EXPECT(!exists_in("bad.md") && !exists_in("bad-vs.png"),
               "%s: wrote a file", bad[i].args);
        free(err);
    }
}

static void test_families(void) {
    int st = sh(NULL, "report f.db -o fam.md");
    EXPECT(st == 0, "exit %d", st);
    char *md = slurp_in("fam.md"), *block = reproduce_block(md);
    const char *a = md ? strstr(md, "### Family display-model\n") : NULL;
    const char *b = md ? strstr(md, "### Family quota\n") : NULL;
    const char *plots = md ? strstr(md, "\n## Plots\n") : NULL;
    EXPECT(a && b && plots && a < b && b < plots, "family sections missing");
    /* Each its own plots, numbered in declaration order. */
    static const char *const kinds[] = {"window-cdf", "age-hist", "vs",
                                        "tradeoff", "causes"};
    for (int f = 1; f <= 2; f++)
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            char png[64];
            snprintf(png, sizeof png, "fam-f%d-%s.png", f, kinds[k]);
            const char *at = md ? strstr(md, png) : NULL;
            EXPECT(exists_in(png) && at && at > (f == 1 ? a : b) &&
                       (f == 2 || at < b),
                   "no %s in its family's section", png);
        }
    EXPECT(a && strstr(a, "#### Stale-window durations\n"), "no plot heading");
    EXPECT(block && strstr(block, " --kind vs --where family=quota -o "
                                  "fam-f2-vs.png\n"),
           "no family redraw command [%s]", block ? block : "");
    /* The bypass family's table: no cache operation at any point. */
    EXPECT(b && strstr(b, "| 2s | ") && strstr(b, " | 0 ± 0 | "),
           "quota's cache ops/s [%.2000s]", b ? b : "");
    if (block) {
        char cmd[PATH_MAX];
        snprintf(cmd, sizeof cmd, "cd '%s' && cp fam-f1-causes.png "
                 "fam-f1.first && rm fam-*.png", dir);
        EXPECT(system(cmd) == 0, "cannot keep the PNG");
        EXPECT(run_block(block) == 0, "the Reproduce block failed");
        EXPECT(same_file("fam-f1-causes.png", "fam-f1.first"),
               "display-model's causes plot differs when redrawn");
    }
    free(block);
    free(md);
}

/* The numbers of the causes and rates tables are the database's. */
static void test_figures_are_stored_ones(void) {
    int st = sh(NULL, "report r.db --experiment 1 -o fig.md");
    char *md = slurp_in("fig.md");
    EXPECT(st == 0 && md, "exit %d", st);
    if (!md) return;
    char db[PATH_MAX];
    snprintf(db, sizeof db, "%s/r.db", dir);
    /* The 60s point: stale reads, over the bound, its top cause. */
    long long stale = testing_db_int(
        db, "SELECT sum(c.stale_reads) FROM causes c JOIN runs r ON r.id = "
            "c.run JOIN points p ON p.id = r.point JOIN point_values v ON "
            "v.point = p.id WHERE p.experiment = 1 AND v.value = '60s'");
    long long over = testing_db_int(
        db, "SELECT sum(c.over_bound_reads) FROM causes c JOIN runs r ON "
            "r.id = c.run JOIN points p ON p.id = r.point JOIN point_values "
            "v ON v.point = p.id WHERE p.experiment = 1 AND v.value = '60s'");
    char row[128];
    snprintf(row, sizeof row, "| 60s | %lld | %lld | ", stale, over);
    const char *sec = strstr(md, "### Causes of the reads over the bound");
    EXPECT(stale > 0 && over > 0 && sec && strstr(sec, row),
           "no row [%s] in [%.1500s]", row, sec ? sec : "");
    /* Cache operations per second: the mean of the runs, 3 digits. */
    long long milli = testing_db_int(
        db, "SELECT CAST(round(avg(r.cache_ops_per_s) * 1000) AS INTEGER) "
            "FROM runs r JOIN points p ON p.id = r.point JOIN point_values v "
            "ON v.point = p.id WHERE p.experiment = 1 AND v.value = '2s'");
    const char *load = strstr(md, "## Load and latency");
    const char *head = load ? strstr(load, "\n| cache.ttl |") : NULL;
    const char *col = head ? strstr(head, " cache operations/s |") : NULL;
    const char *r2 = load ? strstr(load, "\n| 2s | ") : NULL;
    double shown = NAN;
    if (col && r2) {
        /* The column's place in the header, then in the row. */
        int at = 0;
        for (const char *c = head + 1; c < col; c++) at += *c == '|';
        const char *c = r2 + 1;
        for (int bars = 0; *c && bars < at; c++) bars += *c == '|';
        shown = strtod(c, NULL);
    }
    double want = (double)milli / 1000;
    EXPECT(milli > 0 && fabs(shown - want) <= 0.005 * want,
           "cache ops/s shown %g, stored mean %g", shown, want);
    free(md);
}

static CU_TestInfo tests[] = {
    {"one experiment of several: Reproduce names it", test_one_of_several},
    {"experiments side by side; all; the block runs", test_side_by_side},
    {"unknown or repeated --experiment: exit 2", test_unknown_experiment},
    {"per-family sections with their own plots", test_families},
    {"causes and rates are the stored figures", test_figures_are_stored_ones},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("report", suite_init, suite_clean, tests)
