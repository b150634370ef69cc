/* What the plots look like, checked on what gnuplot is sent and on what the
 * dumb terminal draws (tests/test_plots.c checks that they are drawn at
 * all).
 *
 * The suite's init builds a sweep database with the binary whose marks
 * crowd each other (TTLs 30s and 60s beside a 45s contract bound) and runs
 * `stalesim plot` through a gnuplot wrapper that keeps a copy of the script
 * (PATH is pointed at it for those tests).  Pinned, each against the fault
 * it fixes:
 *   - TTL and contract labels never overlap: each appears whole in the text
 *     drawing, and the layout rule keeps labels of a row apart;
 *   - the window CDF's tail shows: by default the share longer than x on a
 *     log axis down below one window in a thousand; --linear y gives the
 *     CDF back;
 *   - --log / --linear decide a scale, and a metric's default comes from
 *     the registry (stale-read fraction log, hit ratio linear); bad
 *     combinations exit 2 with one line;
 *   - titles wrap instead of being cut, on an 80-column terminal too;
 *   - axes, titles and legends use the registry's words, not raw names;
 *   - the timeline labels a run of equal times once;
 *   - the text causes chart has a marker beside every cause in its legend.
 * Unit checks of plots/layout.c: wrapping, label rows, label thinning. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "plots/gnuplot.h"
#include "plots/layout.h"
#include "tests/testing.h"

static char dir[128];
static char db[256], script[256], fakedir[256], oldpath[8192];

static const char scenario_text[] =
    "[run]\nduration = 3m\nreps = 2\nseed = 11\n"
    "[workload]\nkeys = 200\npopularity = zipf:0.9\nreads = 400/s\n"
    "writes = 8/s\nclients = 20\n"
    "[cache]\npattern = cache-aside\nttl = 60s\n"
    "[faults]\ndel_fail = 0.05\n"
    "[contract]\nmax_staleness = 45s\nquantile = 0.999\n"
    "max_stale_fraction = 1e-3\n";

static int suite_clean(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}

static int suite_init(void) {
    snprintf(dir, sizeof dir, "/tmp/stalesim-test-plotlayout-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    char ini[300], real[4096], wrapper[400];
    snprintf(ini, sizeof ini, "%s/crowded.ini", dir);
    snprintf(db, sizeof db, "%s/crowded.db", dir);
    snprintf(script, sizeof script, "%s/script.sent", dir);
    snprintf(fakedir, sizeof fakedir, "%s/bin", dir);
    FILE *f = fopen(ini, "w");
    if (!f || fputs(scenario_text, f) < 0) return 1;
    if (fclose(f) != 0) return 1;
    /* gnuplot as it is, with a copy of every script it reads. */
    if (!gp_find_program("gnuplot", real, sizeof real)) return 1;
    if (mkdir(fakedir, 0755) != 0) return 1;
    snprintf(wrapper, sizeof wrapper, "%s/gnuplot", fakedir);
    f = fopen(wrapper, "w");
    if (!f) return 1;
    fprintf(f, "#!/bin/sh\ntee '%s' | exec '%s' \"$@\"\n", script, real);
    if (fclose(f) != 0 || chmod(wrapper, 0755) != 0) return 1;
    const char *p = getenv("PATH");
    snprintf(oldpath, sizeof oldpath, "%s", p ? p : "/usr/bin:/bin");
    cli_run r;
    char args[1024];
    snprintf(args, sizeof args, "sweep '%s' --vary cache.pattern=cache-aside,"
             "ttl-only --vary cache.ttl=30s,60s --jobs 2 --db '%s'", ini, db);
    RUN(&r, args);
    int bad = r.status != 0;
    if (bad) fprintf(stderr, "plotlayout: sweep failed: %s\n", r.err);
    testing_run_free(&r);
    if (bad) suite_clean();
    return bad;
}

/* Runs stalesim ARGS with the script-keeping gnuplot first on PATH; the
 * script is then in *sent (malloc'd, "" when gnuplot did not start). */
static void run_kept(cli_run *r, const char *args, char **sent) {
    char path[8600];
    snprintf(path, sizeof path, "%s:%s", fakedir, oldpath);
    unlink(script);
    setenv("PATH", path, 1);
    RUN(r, args);
    setenv("PATH", oldpath, 1);
    *sent = testing_slurp(script);
    if (!*sent) *sent = calloc(1, 1);
}

/* ---- marks -------------------------------------------------------------------- */

static void test_mark_labels_whole(void) {
    static const char *const kinds[] = {"age-hist", "window-cdf"};
    for (size_t k = 0; k < 2; k++)
        for (int width = 80; width <= 120; width += 40) {
            cli_run r;
            char args[600], *sent;
            snprintf(args, sizeof args, "plot '%s' --kind %s -o - --size "
                     "%dx32", db, kinds[k], width);
            run_kept(&r, args, &sent);
            EXPECT(r.status == 0, "%s: exit %d [%.300s]", kinds[k], r.status,
                   r.err);
            /* Overlapping labels overwrite each other in text. */
            EXPECT(strstr(r.out, "TTL 30s") && strstr(r.out, "TTL 60s"),
                   "%s at %d columns: a TTL label is not whole:\n%s",
                   kinds[k], width, r.out);
            if (k == 0)
                EXPECT(strstr(r.out, "contract 45s") != NULL,
                       "age-hist at %d columns: the contract label is not "
                       "whole:\n%s", width, r.out);
            /* Lines end under the labels: no arrow reaches the top. */
            EXPECT(strstr(sent, "set arrow") && !strstr(sent, "graph 1 nohead"),
                   "%s: a mark line runs through the labels", kinds[k]);
            free(sent);
            testing_run_free(&r);
        }
}

/* ---- window-cdf tail ------------------------------------------------------------ */

/* The smallest positive y of the rows of datablock $name in sent. */
static double block_min_y(const char *sent, const char *name) {
    char head[64];
    snprintf(head, sizeof head, "$%s << EOD\n", name);
    const char *p = strstr(sent, head);
    double least = 2;
    if (!p) return least;
    p += strlen(head);
    while (*p && strncmp(p, "EOD", 3) != 0) {
        double x, y;
        if (sscanf(p, "%lf %lf", &x, &y) == 2 && y > 0 && y < least) least = y;
        p = strchr(p, '\n');
        if (!p) break;
        p++;
    }
    return least;
}

static void test_window_tail(void) {
    cli_run r;
    char args[600], *sent;
    snprintf(args, sizeof args, "plot '%s' --kind window-cdf --where "
             "cache.pattern=cache-aside -o - --size 100x32", db);
    run_kept(&r, args, &sent);
    EXPECT(r.status == 0, "exit %d [%.300s]", r.status, r.err);
    EXPECT(strstr(sent, "set logscale y 10") && strstr(sent, "(p99.9)"),
           "no log tail axis in the script");
    EXPECT(strstr(r.out, "0.1% (p99.9)") != NULL, "no p99.9 tic:\n%s", r.out);
    /* Thousands of windows: the curve goes below 1 in 1000, where a
     * linear CDF has no visible height left. */
    double least = block_min_y(sent, "w0");
    EXPECT(least < 1e-3, "the curve stops at %g", least);
    free(sent);
    testing_run_free(&r);
    snprintf(args, sizeof args, "plot '%s' --kind window-cdf --linear y -o - "
             "--size 100x32", db);
    run_kept(&r, args, &sent);
    EXPECT(r.status == 0 && !strstr(sent, "set logscale y") &&
               strstr(r.out, "no longer than x"),
           "--linear y: exit %d, not the CDF:\n%s", r.status, r.out);
    free(sent);
    testing_run_free(&r);
}

/* ---- scales ------------------------------------------------------------------------ */

static void test_scales(void) {
    static const struct {
        const char *opts;
        int log_y, log_x;
    } cases[] = {
        {"--kind vs", 1, 0}, /* stale-read fraction: log by default */
        {"--kind vs --metric hit_ratio", 0, 0},
        {"--kind vs --linear y", 0, 0},
        {"--kind vs --metric hit_ratio --log y", 1, 0},
        {"--kind vs --log xy", 1, 1},
        {"--kind tradeoff --log x", 1, 1},
        {"--kind tradeoff --linear xy", 0, 0},
        {"--kind age-hist --log y", 1, -1},
        {"--kind age-hist --linear x", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_run r;
        char args[600], *sent;
        snprintf(args, sizeof args, "plot '%s' %s -o - --size 100x32", db,
                 cases[i].opts);
        run_kept(&r, args, &sent);
        EXPECT(r.status == 0, "[%s]: exit %d [%.300s]", cases[i].opts,
               r.status, r.err);
        EXPECT(!!strstr(sent, "set logscale y") == cases[i].log_y,
               "[%s]: log y %d expected", cases[i].opts, cases[i].log_y);
        if (cases[i].log_x >= 0)
            EXPECT(!!strstr(sent, "set logscale x") == cases[i].log_x,
                   "[%s]: log x %d expected", cases[i].opts, cases[i].log_x);
        free(sent);
        testing_run_free(&r);
    }
    static const struct {
        const char *opts, *needle;
    } bad[] = {
        {"--kind vs --x cache.pattern --by cache.ttl --log x", "has names"},
        {"--kind causes --log y", "do not apply to --kind causes"},
        {"--kind vs --log z", "the axes are x, y or xy"},
        {"--kind vs --log y --linear xy", "already given to --log"},
        {"--kind timeline --log y", "not --x, --metric, --log"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cli_run r;
        char args[600];
        snprintf(args, sizeof args, "plot '%s' %s -o - ", db, bad[i].opts);
        RUN(&r, args);
        size_t n = strlen(r.err);
        EXPECT(r.status == 2 && strstr(r.err, bad[i].needle) && n &&
                   strchr(r.err, '\n') == r.err + n - 1 && !r.out[0],
               "[%s]: exit %d, stderr [%s]", bad[i].opts, r.status, r.err);
        testing_run_free(&r);
    }
}

/* ---- titles and words --------------------------------------------------------------- */

static void test_titles_whole(void) {
    cli_run r;
    char args[600], *sent;
    snprintf(args, sizeof args, "plot '%s' --kind tradeoff --where "
             "cache.pattern=cache-aside,ttl-only --where cache.ttl=30s,60s "
             "-o - --size 80x30", db);
    run_kept(&r, args, &sent);
    EXPECT(r.status == 0, "exit %d [%.300s]", r.status, r.err);
    /* Every piece of the title is drawn, on lines that fit. */
    static const char *const parts[] = {
        "Trade-off:", "as cache.ttl", "crowded.ini, experiment 1",
        "where cache.pattern=cache-aside,ttl-only,", "cache.ttl=30s,60s"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        EXPECT(strstr(r.out, parts[i]) != NULL, "[%s] is not drawn:\n%s",
               parts[i], r.out);
    int col = 0, widest = 0, lines = 0;
    for (const char *p = r.out; *p && lines < 30; p++) {
        if (*p == '\n') {
            lines++;
            col = 0;
        } else if (*p != '\f' && ++col > widest) {
            widest = col;
        }
    }
    EXPECT(widest <= 80, "a line of %d columns", widest);
    free(sent);
    testing_run_free(&r);
}

static void test_registry_words(void) {
    cli_run r;
    char args[600], *sent;
    snprintf(args, sizeof args, "plot '%s' --kind vs --metric stale_reads -o - "
             "--size 100x32", db);
    run_kept(&r, args, &sent);
    EXPECT(r.status == 0, "exit %d [%.300s]", r.status, r.err);
    EXPECT(strstr(r.out, "Stale reads vs cache.ttl") &&
               strstr(r.out, "stale reads per replication"),
           "no registry words:\n%s", r.out);
    EXPECT(!strstr(sent, "stale_reads") && !strstr(r.out, "stale_reads"),
           "a raw metric name in the plot:\n%s", r.out);
    free(sent);
    testing_run_free(&r);
}

/* ---- timeline ------------------------------------------------------------------------ */

static void test_timeline_tics(void) {
    cli_run r;
    char *sent;
    run_kept(&r, "plot experiments/scenarios/account-limits.ini --kind "
             "timeline --set run.duration=10m -o - --size 100x32", &sent);
    EXPECT(r.status == 0, "exit %d [%.300s]", r.status, r.err);
    /* The labelled tics ('TEXT' X 0), in order: never the same twice. */
    const char *p = strstr(sent, "set xtics scale 0,1");
    EXPECT(p != NULL, "no time tics in the script");
    char prev[64] = "", text[64];
    int labelled = 0, repeats = 0, minor = 0;
    while (p && (p = strchr(p, '\'')) && *p != '\n') {
        const char *e = strchr(p + 1, '\'');
        if (!e) break;
        size_t n = (size_t)(e - p - 1) < sizeof text - 1 ? (size_t)(e - p - 1)
                                                         : sizeof text - 1;
        memcpy(text, p + 1, n);
        text[n] = '\0';
        double x;
        int level;
        if (sscanf(e + 1, " %lf %d", &x, &level) != 2) break;
        if (level == 1) minor++;
        else if (n) {
            labelled++;
            if (strcmp(text, prev) == 0) repeats++;
            snprintf(prev, sizeof prev, "%s", text);
        }
        p = strpbrk(e + 1, ",)");
        if (!p || *p == ')') break;
    }
    EXPECT(labelled >= 2 && repeats == 0 && minor > labelled,
           "%d labelled tics, %d repeated, %d steps", labelled, repeats,
           minor);
    free(sent);
    testing_run_free(&r);
}

/* ---- causes in text ------------------------------------------------------------------- */

static void test_causes_legend_markers(void) {
    cli_run r;
    char args[600], *sent;
    snprintf(args, sizeof args, "plot '%s' --kind causes -o - --size 110x30",
             db);
    run_kept(&r, args, &sent);
    EXPECT(r.status == 0, "exit %d [%.300s]", r.status, r.err);
    static const char *const causes[] = {"invalidation-failed", "ttl-only"};
    char marks[2] = {0, 0};
    for (size_t i = 0; i < 2; i++) {
        /* The legend line: the name, a space, then its sample. */
        char want[64];
        snprintf(want, sizeof want, "%s ", causes[i]);
        const char *p = strstr(r.out, want);
        EXPECT(p != NULL, "no legend entry for %s:\n%s", causes[i], r.out);
        if (!p) continue;
        p += strlen(want);
        while (*p == ' ') p++;
        int same = 0;
        while (p[same] && p[same] == p[0] && p[0] != '\n') same++;
        EXPECT(same >= 3, "no marker after %s:\n%s", causes[i], r.out);
        marks[i] = p[0];
    }
    EXPECT(marks[0] != marks[1], "both causes drawn with '%c'", marks[0]);
    free(sent);
    testing_run_free(&r);
}

/* ---- layout rules ---------------------------------------------------------------------- */

static void test_wrap(void) {
    char line[6][PLOT_WRAP_LINE];
    const char *text = "account-limits.ini, experiment 12, per key family "
                       "(display-model, quota), where cache.ttl=30s,60s";
    size_t n = plot_wrap(text, 30, line, 6);
    char joined[512] = "";
    for (size_t i = 0; i < n; i++) {
        EXPECT(strlen(line[i]) <= 30, "line %zu [%s] too long", i, line[i]);
        strcat(joined, i ? " " : "");
        strcat(joined, line[i]);
    }
    EXPECT(n >= 3 && strcmp(joined, text) == 0, "%zu lines, [%s]", n, joined);
    /* A word longer than a line is broken, not dropped. */
    n = plot_wrap("abcdefghijklmnopqrstuvwxyz0123456789", 10, line, 6);
    EXPECT(n == 4 && strcmp(line[0], "abcdefghij") == 0 &&
               strcmp(line[3], "456789") == 0,
           "%zu lines, the last [%s]", n, line[n - 1]);
    /* Out of lines: said with "...". */
    n = plot_wrap(text, 20, line, 2);
    EXPECT(n == 2 && strstr(line[1], "...") != NULL, "[%s]", line[1]);
    /* The title expression: quoted lines that fit the target. */
    gp_target t = {GP_DUMB, NULL, 60, 20};
    plot_cells c;
    plot_cells_of(&t, &c);
    char q[2048];
    plot_title_expr(q, sizeof q, &c, "Stale reads by cause", text, 1);
    const char *head = "'Stale reads by cause'.\"\\n\".'account-limits.ini,";
    EXPECT(strncmp(q, head, strlen(head)) == 0 &&
               strstr(q, "cache.ttl=30s,60s'") &&
               strstr(q, ".\"\\n\".''") != NULL,
           "[%s]", q);
}

static void test_label_rows(void) {
    /* Three labels over each other need three rows; a fourth apart
     * shares the first. */
    double from[4] = {10, 12, 14, 40}, to[4] = {20, 22, 24, 50};
    int row[4];
    int rows = plot_label_rows(from, to, 4, 1, 8, row);
    EXPECT(rows == 3 && row[0] == 0 && row[1] == 1 && row[2] == 2 &&
               row[3] == 0,
           "rows %d: %d %d %d %d", rows, row[0], row[1], row[2], row[3]);
    rows = plot_label_rows(from, to, 4, 1, 2, row);
    EXPECT(rows == 2 && row[2] == -1, "beyond maxrows: %d", row[2]);
    /* Any set: labels in one row keep the gap. */
    unsigned s = 12345;
    for (int trial = 0; trial < 200; trial++) {
        double a[12], b[12];
        int rw[12];
        for (int i = 0; i < 12; i++) {
            s = s * 1103515245u + 12345u;
            a[i] = (double)(s >> 16 & 0xff);
            b[i] = a[i] + 3 + (double)(s >> 8 & 15);
        }
        plot_label_rows(a, b, 12, 2, 12, rw);
        for (int i = 0; i < 12; i++)
            for (int j = 0; j < 12; j++)
                if (i != j && rw[i] == rw[j] && rw[i] >= 0)
                    EXPECT(b[i] + 2 <= a[j] || b[j] + 2 <= a[i],
                           "trial %d: %d and %d overlap in row %d", trial, i,
                           j, rw[i]);
    }
}

static void test_thin_labels(void) {
    double at[5] = {0, 3, 6, 9, 12}, w[5] = {4, 4, 4, 4, 4};
    int must[5] = {0, 0, 0, 1, 0}, keep[5];
    size_t n = plot_thin_labels(at, w, must, 5, 1, keep);
    /* 9 first; then 0 (fits), 3 no, 6 no (9 is 3 away), 12 no. */
    EXPECT(n == 2 && keep[0] && keep[3] && !keep[1] && !keep[2] && !keep[4],
           "%zu kept: %d %d %d %d %d", n, keep[0], keep[1], keep[2], keep[3],
           keep[4]);
}

static CU_TestInfo tests[] = {
    {"mark labels are whole in text", test_mark_labels_whole},
    {"window-cdf: the tail on a log axis", test_window_tail},
    {"--log, --linear and registry scales", test_scales},
    {"titles wrap, not cut", test_titles_whole},
    {"registry words, not raw names", test_registry_words},
    {"timeline: one label per run of equal times", test_timeline_tics},
    {"causes in text: legend markers", test_causes_legend_markers},
    {"wrapping and title lines", test_wrap},
    {"label rows never overlap", test_label_rows},
    {"tick labels thinned", test_thin_labels},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("plotlayout", suite_init, suite_clean, tests)
