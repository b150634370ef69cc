/* Tests of plots/ and of `stalesim plot` and `stalesim report`, with gnuplot
 * run for real.
 *
 * The suite's init builds one tiny sweep database with the binary (2
 * patterns x 2 TTLs x 2 replications of a 30 s scenario that has stale reads
 * of several causes) and a RUN.json; every test reads them.
 *
 * What is pinned: every kind writes a PNG (signature checked) of the size
 * asked for, read from its IHDR chunk, and prints its sentence; .svg and .pdf
 * give those formats; the dumb terminal draws axes ('+', '|') and the axis
 * labels on stdout; a bad --kind, --x, --by, --where, -o or --size, and no -o
 * when stdout is not a terminal, exit 2 with one error line and leave no
 * file; gnuplot missing from PATH exits 3 with a message and leaves no file;
 * a gnuplot that fails, writes nothing, or quits without reading its input
 * (so our writes meet EPIPE) exits 3, never by a signal, and leaves neither
 * the target nor a temporary file; RUN.json carries the histogram bins and
 * plots from them; the report has the scenario block, the contract verdict,
 * the table with a bold best value, and links to PNG files that exist.
 * Unit checks: target parsing, PATH search, number formats, value parsing
 * and the contract rule.  A second sweep, of two key families, gives
 * `plot --by family` (a PNG per kind, the families in the title, exit 2 on
 * an experiment without families) and the report's "Per family" section (a
 * verdict per family against its own contract). */
#define _DEFAULT_SOURCE /* realpath */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "experiments/contract.h"
#include "experiments/plotdata.h"
#include "plots/format.h"
#include "plots/gnuplot.h"
#include "tests/testing.h"

static char dir[128];      /* the suite's temporary directory */
static char bin[PATH_MAX]; /* the stalesim binary, absolute */
static char db_file[256], ini[256], json[256];
static char fam_db[256], fam_ini[256]; /* a sweep of two key families */

/* Stale reads quickly: few keys, frequent writes, failing DELs. */
static const char sweep_scenario_text[] =
    "; plots test scenario\n"
    "[run]\nduration = 30s\nreps = 2\nseed = 7\n"
    "[workload]\nkeys = 200\npopularity = zipf:0.9\nreads = 400/s\n"
    "writes = 8/s\nclients = 20\n"
    "[cache]\npattern = cache-aside\nttl = 60s\n"
    "[faults]\ndel_fail = 0.05\n"
    "[contract]\nmax_staleness = 5s\nquantile = 0.999\n"
    "max_stale_fraction = 1e-3\n";

/* Two key families, one a bypass with its own (loose) contract. */
static const char family_text[] =
    "[run]\nduration = 20s\nreps = 2\nseed = 3\n"
    "[workload]\nkeys = 1000\nreads = 500/s\nwrites = 20/s\n"
    "[cache]\nttl = 5s\n"
    "[faults]\ndel_fail = 0.2\n"
    "[family.display-model]\nkeys = 0.5\n"
    "[family.quota]\nkeys = 0.5\nbypass = yes\n"
    "contract.max_stale_fraction = 0.5\n";

/* ---- running the binary ---------------------------------------------------- */

typedef struct run {
    int status;   /* exit code, or 128 + signal, -1 if not run */
    char out[65536], err[8192];
} run;

static void slurp(const char *path, char *buf, size_t len) {
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Runs `ENV BIN ARGS` through the shell from the repository root. */
static void run_cmd(run *r, const char *env, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void run_cmd(run *r, const char *env, const char *fmt, ...) {
    char args[4096], cmd[16384], out[300], err[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(out, sizeof out, "%s/stdout", dir);
    snprintf(err, sizeof err, "%s/stderr", dir);
    snprintf(cmd, sizeof cmd, "%s '%s' %s </dev/null >'%s' 2>'%s'",
             env ? env : "", bin, args, out, err);
    int st = system(cmd);
    r->status = st == -1                  ? -1
                : WIFEXITED(st)           ? WEXITSTATUS(st)
                : WIFSIGNALED(st)         ? 128 + WTERMSIG(st)
                                          : -1;
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* The PNG's width and height from its IHDR chunk; 0 if it is not a PNG. */
static int png_size(const char *path, unsigned *w, unsigned *h, long *bytes) {
    unsigned char b[24];
    *w = *h = 0;
    *bytes = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(b, 1, sizeof b, f);
    fseek(f, 0, SEEK_END);
    *bytes = ftell(f);
    fclose(f);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n',
                                         0x1a, '\n'};
    if (n < 24 || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
        return 0;
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 |
         b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 |
         b[23];
    return 1;
}

/* Files in dir whose name contains `part` (temporary files left behind). */
static int count_files(const char *part) {
    char cmd[512], out[64];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c -- '%s' > '%s/count'", dir,
             part, dir);
    if (system(cmd) == -1) return -1;
    snprintf(cmd, sizeof cmd, "%s/count", dir);
    slurp(cmd, out, sizeof out);
    return atoi(out);
}

static int one_error_line(const run *r) {
    size_t n = strlen(r->err);
    return n > 0 && strchr(r->err, '\n') == r->err + n - 1 &&
           strncmp(r->err, "stalesim: error: ", 17) == 0;
}

/* ---- suite setup -------------------------------------------------------------- */

static int suite_clean(void) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}

static int suite_init(void) {
    if (!realpath(testing_stalesim(), bin)) return 1;
    snprintf(dir, sizeof dir, "/tmp/stalesim-test-plots-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    snprintf(ini, sizeof ini, "%s/plots.ini", dir);
    snprintf(db_file, sizeof db_file, "%s/plots.db_file", dir);
    snprintf(json, sizeof json, "%s/run.json", dir);
    FILE *f = fopen(ini, "w");
    if (!f) return 1;
    fputs(sweep_scenario_text, f);
    if (fclose(f) != 0) return 1;
    run *r = malloc(sizeof *r);
    if (!r) return 1;
    run_cmd(r, NULL, "sweep '%s' --vary cache.pattern=cache-aside,ttl-only "
            "--vary cache.ttl=5s,60s --reps 2 --jobs 2 --db '%s'", ini, db_file);
    int bad = r->status != 0;
    if (bad) fprintf(stderr, "plots suite: sweep failed: %s\n", r->err);
    run_cmd(r, NULL, "run '%s' --reps 2 --format json", ini);
    char captured[300];
    snprintf(captured, sizeof captured, "%s/stdout", dir);
    if (r->status != 0 || rename(captured, json) != 0) {
        fprintf(stderr, "plots suite: run failed: %s\n", r->err);
        bad = 1;
    }
    snprintf(fam_ini, sizeof fam_ini, "%s/fam.ini", dir);
    snprintf(fam_db, sizeof fam_db, "%s/fam.db_file", dir);
    f = fopen(fam_ini, "w");
    if (!f || fputs(family_text, f) < 0) bad = 1;
    if (f && fclose(f) != 0) bad = 1;
    run_cmd(r, NULL, "sweep '%s' --vary family.display-model.ttl=1s,60s "
            "--jobs 2 --db '%s'", fam_ini, fam_db);
    if (r->status != 0) {
        fprintf(stderr, "plots suite: family sweep failed: %s\n", r->err);
        bad = 1;
    }
    free(r);
    /* CUnit does not call the cleanup of a suite whose init failed. */
    if (bad) suite_clean();
    return bad;
}

/* ---- each kind ------------------------------------------------------------------- */

static void expect_png(const char *path, unsigned w, unsigned h) {
    unsigned pw, ph;
    long bytes;
    int ok = png_size(path, &pw, &ph, &bytes);
    EXPECT(ok, "%s is not a PNG", path);
    EXPECT(pw == w && ph == h, "%s is %ux%u, want %ux%u", path, pw, ph, w, h);
    EXPECT(bytes > 2000, "%s has only %ld bytes", path, bytes);
}

static void test_each_kind_png(void) {
    static const char *const kinds[] = {"window-cdf", "age-hist", "vs",
                                        "tradeoff", "causes"};
    run *r = malloc(sizeof *r);
    char out[300];
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        snprintf(out, sizeof out, "%s/%s.png", dir, kinds[i]);
        run_cmd(r, NULL, "plot '%s' --kind %s --size 640x480 -o '%s'", db_file,
                kinds[i], out);
        EXPECT(r->status == 0, "%s: exit %d, stderr [%.500s]", kinds[i], r->status,
               r->err);
        EXPECT(r->err[0] == '\0', "%s: stderr [%.500s]", kinds[i], r->err);
        /* The sentence: "FILE: what it shows." */
        EXPECT(strncmp(r->out, out, strlen(out)) == 0 &&
                   strlen(r->out) > strlen(out) + 20,
               "%s: stdout [%.500s]", kinds[i], r->out);
        expect_png(out, 640, 480);
    }
    /* The timeline of a scenario, default size. */
    snprintf(out, sizeof out, "%s/timeline.png", dir);
    run_cmd(r, NULL, "plot '%s' --kind timeline --stale 2 -o '%s'", ini, out);
    EXPECT(r->status == 0, "timeline: exit %d, stderr [%.500s]", r->status, r->err);
    EXPECT(strstr(r->out, "Stale read 2 of replication 0") != NULL,
           "timeline: stdout [%.500s]", r->out);
    expect_png(out, 900, 600);
    /* ... and of a point of the database, found with --where. */
    snprintf(out, sizeof out, "%s/timeline-db_file.png", dir);
    run_cmd(r, NULL, "plot '%s' --kind timeline --where cache.pattern=ttl-only "
            "--where cache.ttl=60s --stale 0 -o '%s'", db_file, out);
    EXPECT(r->status == 0, "timeline of a point: exit %d, stderr [%.500s]",
           r->status, r->err);
    EXPECT(strstr(r->out, "cause ttl-only") != NULL, "stdout [%.500s]", r->out);
    expect_png(out, 900, 600);
    /* The options each kind takes. */
    snprintf(out, sizeof out, "%s/vs-hit.png", dir);
    run_cmd(r, NULL, "plot '%s' --kind vs --x cache.ttl --by cache.pattern "
            "--metric hit_ratio --where cache.ttl=5s,60s -o '%s'", db_file, out);
    EXPECT(r->status == 0, "vs --metric: exit %d, stderr [%.500s]", r->status,
           r->err);
    EXPECT(strstr(r->out, "Hit ratio") != NULL, "stdout [%.500s]", r->out);
    snprintf(out, sizeof out, "%s/cdf-one.png", dir);
    run_cmd(r, NULL, "plot '%s' --kind window-cdf --by point --where "
            "cache.pattern=cache-aside -o '%s'", db_file, out);
    EXPECT(r->status == 0, "window-cdf --by point: exit %d, stderr [%.500s]",
           r->status, r->err);
    expect_png(out, 900, 600);
    EXPECT(count_files(".tmp-") == 0, "temporary files left in %s", dir);
    free(r);
}

/* The timeline of a bus-lost read: a lane for the instance that answered,
 * one for the bus, the lost message on it. */
static void test_timeline_copies(void) {
    run *r = malloc(sizeof *r);
    char out[300];
    static char svg[1 << 18];
    snprintf(out, sizeof out, "%s/timeline-bus.svg", dir);
    run_cmd(r, NULL, "plot experiments/scenarios/local-instances.ini --kind "
            "timeline --cause bus-lost -o '%s'", out);
    EXPECT(r->status == 0, "timeline: exit %d [%.500s]", r->status, r->err);
    EXPECT(strstr(r->out, "from instance ") != NULL &&
               strstr(r->out, "cause bus-lost: the invalidation message"),
           "stdout [%.500s]", r->out);
    slurp(out, svg, sizeof svg);
    EXPECT(strstr(svg, ">bus<") != NULL, "no bus lane in %s", out);
    EXPECT(strstr(svg, "local cache<") != NULL, "no instance lane in %s", out);
    EXPECT(strstr(svg, "LOST to ") != NULL, "no lost message in %s", out);
    EXPECT(strstr(svg, "publish v") != NULL, "no publish in %s", out);
    free(r);
}

static void test_svg_pdf(void) {
    run *r = malloc(sizeof *r);
    char out[300], head[64];
    snprintf(out, sizeof out, "%s/causes.svg", dir);
    run_cmd(r, NULL, "plot '%s' --kind causes -o '%s'", db_file, out);
    EXPECT(r->status == 0, "svg: exit %d [%.500s]", r->status, r->err);
    slurp(out, head, sizeof head);
    EXPECT(strstr(head, "<?xml") || strstr(head, "<svg"), "svg starts [%.500s]",
           head);
    snprintf(out, sizeof out, "%s/causes.pdf", dir);
    run_cmd(r, NULL, "plot '%s' --kind causes -o '%s'", db_file, out);
    /* pdfcairo is in Debian's gnuplot-nox; elsewhere the refusal must be
     * clear. */
    if (r->status == 0) {
        slurp(out, head, sizeof head);
        EXPECT(strncmp(head, "%PDF", 4) == 0, "pdf starts [%.8s]", head);
    } else {
        EXPECT(r->status == 3 && strstr(r->err, "pdfcairo"),
               "pdf: exit %d [%.500s]", r->status, r->err);
        EXPECT(!exists(out), "%s exists after a failure", out);
    }
    free(r);
}

static void test_dumb_terminal(void) {
    run *r = malloc(sizeof *r);
    run_cmd(r, NULL, "plot '%s' --kind vs -o -", db_file);
    EXPECT(r->status == 0, "exit %d [%.500s]", r->status, r->err);
    EXPECT(strchr(r->out, '+') && strchr(r->out, '|'), "no axes in [%.500s]",
           r->out);
    EXPECT(strstr(r->out, "cache.ttl") != NULL, "no x label in [%.500s]", r->out);
    EXPECT(strstr(r->out, "stale-read fraction") != NULL, "no y label in [%.500s]",
           r->out);
    EXPECT(strstr(r->out, "ttl-only") != NULL, "no legend in [%.500s]", r->out);
    run_cmd(r, NULL, "plot '%s' --kind window-cdf --size 90x30 -o -", db_file);
    EXPECT(r->status == 0, "exit %d [%.500s]", r->status, r->err);
    EXPECT(strstr(r->out, "stale-window duration") != NULL, "[%.500s]", r->out);
    /* At most 30 plot lines, 90 columns, plus the sentence. */
    int lines = 0, widest = 0, col = 0;
    for (const char *p = r->out; *p; p++) {
        if (*p == '\f') continue; /* gnuplot starts a page */
        if (*p == '\n') {
            lines++;
            if (col > widest && lines <= 30) widest = col;
            col = 0;
        } else {
            col++;
        }
    }
    EXPECT(lines == 31 && widest <= 90, "%d lines, widest %d", lines, widest);
    free(r);
}

/* ---- refusals --------------------------------------------------------------------- */

static void expect_refused(const char *args_fmt, const char *needle,
                           const char *out) {
    run *r = malloc(sizeof *r);
    run_cmd(r, NULL, args_fmt, db_file, out);
    EXPECT(r->status == 2 && one_error_line(r),
           "[%.500s]: exit %d (want 2), stderr [%.500s]", args_fmt, r->status, r->err);
    EXPECT(strstr(r->err, needle) != NULL, "[%.500s]: stderr lacks '%s': [%.500s]",
           args_fmt, needle, r->err);
    EXPECT(r->out[0] == '\0', "stdout [%.500s]", r->out);
    EXPECT(!exists(out), "%s was created", out);
    free(r);
}

static void test_bad_usage(void) {
    char out[300];
    snprintf(out, sizeof out, "%s/refused.png", dir);
    expect_refused("plot '%s' --kind pie -o '%s'", "--kind 'pie'", out);
    expect_refused("plot '%s' -o '%s'", "--kind KIND is required", out);
    expect_refused("plot '%s' --kind vs --x cache.nope -o '%s'",
                   "--x 'cache.nope': not a varied key", out);
    expect_refused("plot '%s' --kind vs --x run.duration -o '%s'",
                   "cache.pattern, cache.ttl", out);
    expect_refused("plot '%s' --kind tradeoff --x cache.ttl --by cache.ttl "
                   "-o '%s'", "--by 'cache.ttl'", out);
    expect_refused("plot '%s' --kind causes --x cache.ttl -o '%s'",
                   "--x applies to", out);
    expect_refused("plot '%s' --kind causes --where db_file.replicas=1 -o '%s'",
                   "--where 'db_file.replicas'", out);
    expect_refused("plot '%s' --kind causes --where cache.ttl=7s -o '%s'",
                   "no point has cache.ttl = 7s", out);
    expect_refused("plot '%s' --kind vs --metric nonsense -o '%s'",
                   "--metric 'nonsense'", out);
    expect_refused("plot '%s' --kind causes --size 5x5 -o '%s'", "--size", out);
    expect_refused("plot '%s' --kind causes --stale 2 -o '%s'",
                   "timeline only", out);
    snprintf(out, sizeof out, "%s/refused.gif", dir);
    expect_refused("plot '%s' --kind causes -o '%s'", ".png, .svg or .pdf",
                   out);
    /* No -o and stdout is not a terminal (a file here). */
    run *r = malloc(sizeof *r);
    run_cmd(r, NULL, "plot '%s' --kind causes", db_file);
    EXPECT(r->status == 2 && strstr(r->err, "not a terminal"),
           "exit %d [%.500s]", r->status, r->err);
    /* A RUN.json has no varied key. */
    snprintf(out, sizeof out, "%s/json-vs.png", dir);
    run_cmd(r, NULL, "plot '%s' --kind vs -o '%s'", json, out);
    EXPECT(r->status == 2 && strstr(r->err, "single run"), "exit %d [%.500s]",
           r->status, r->err);
    /* Neither a database nor JSON. */
    run_cmd(r, NULL, "plot '%s' --kind causes -o '%s'", ini, out);
    EXPECT(r->status == 2 && strstr(r->err, "neither a results database"),
           "exit %d [%.500s]", r->status, r->err);
    EXPECT(!exists(out), "%s was created", out);
    free(r);
}

/* ---- gnuplot missing or failing ------------------------------------------------- */

/* Writes an executable fake gnuplot into DIR/fake-NAME/gnuplot. */
static void fake_gnuplot(const char *name, const char *body, char *path_env,
                         size_t len) {
    char d[300], f[400];
    snprintf(d, sizeof d, "%s/fake-%s", dir, name);
    mkdir(d, 0755);
    snprintf(f, sizeof f, "%s/gnuplot", d);
    FILE *fp = fopen(f, "w");
    if (fp) {
        fprintf(fp, "#!/bin/sh\n%s\n", body);
        fclose(fp);
    }
    chmod(f, 0755);
    snprintf(path_env, len, "PATH='%s:/usr/bin:/bin'", d);
}

static void test_gnuplot_missing(void) {
    run *r = malloc(sizeof *r);
    char out[300];
    snprintf(out, sizeof out, "%s/missing.png", dir);
    run_cmd(r, "PATH=/nonexistent", "plot '%s' --kind causes -o '%s'", db_file, out);
    EXPECT(r->status == 3 && one_error_line(r), "exit %d (want 3) [%.500s]",
           r->status, r->err);
    EXPECT(strstr(r->err, "gnuplot not found on PATH") != NULL, "[%.500s]", r->err);
    EXPECT(!exists(out), "%s was created", out);
    /* The report needs its plots: the same refusal. */
    snprintf(out, sizeof out, "%s/missing.md", dir);
    run_cmd(r, "PATH=/nonexistent", "report '%s' -o '%s'", db_file, out);
    EXPECT(r->status == 3 && strstr(r->err, "gnuplot not found"),
           "report: exit %d [%.500s]", r->status, r->err);
    EXPECT(!exists(out), "%s was created", out);
    EXPECT(count_files(".tmp-") == 0, "temporary files left in %s", dir);
    free(r);
}

static void test_gnuplot_failing(void) {
    run *r = malloc(sizeof *r);
    char env[512], out[300];
    snprintf(out, sizeof out, "%s/failing.png", dir);
    /* An error: its message (without gnuplot's "line N:") is shown. */
    fake_gnuplot("error",
                 "cat >/dev/null\n"
                 "echo >&2\necho 'gnuplot> plot foo(x)' >&2\n"
                 "echo '                 ^' >&2\n"
                 "echo '         line 12: undefined function: foo' >&2\n"
                 "exit 1",
                 env, sizeof env);
    run_cmd(r, env, "plot '%s' --kind causes -o '%s'", db_file, out);
    EXPECT(r->status == 3 && one_error_line(r), "exit %d [%.500s]", r->status,
           r->err);
    EXPECT(strstr(r->err, "gnuplot failed (exit 1): undefined function: foo"),
           "[%.500s]", r->err);
    EXPECT(!exists(out), "%s was created", out);
    /* Success without writing anything: no empty file. */
    fake_gnuplot("silent", "cat >/dev/null\nexit 0", env, sizeof env);
    run_cmd(r, env, "plot '%s' --kind causes -o '%s'", db_file, out);
    EXPECT(r->status == 3 && strstr(r->err, "wrote nothing"), "exit %d [%.500s]",
           r->status, r->err);
    EXPECT(!exists(out), "%s was created", out);
    /* Quits at once: writes meet EPIPE (SIGPIPE is ignored meanwhile). */
    fake_gnuplot("quitter", "exec 0<&-\nexit 0", env, sizeof env);
    run_cmd(r, env, "plot '%s' --kind window-cdf -o '%s'", db_file, out);
    EXPECT(r->status == 3, "exit %d (want 3, not a signal) [%.500s]", r->status,
           r->err);
    EXPECT(!exists(out), "%s was created", out);
    /* The previous file survives a failed redraw. */
    char good[300];
    snprintf(good, sizeof good, "%s/window-cdf.png", dir);
    unsigned w, h;
    long before, after;
    png_size(good, &w, &h, &before);
    fake_gnuplot("error2", "cat >/dev/null\necho 'boom' >&2\nexit 1", env,
                 sizeof env);
    run_cmd(r, env, "plot '%s' --kind window-cdf --size 640x480 -o '%s'", db_file,
            good);
    EXPECT(r->status == 3 && strstr(r->err, "boom"), "exit %d [%.500s]", r->status,
           r->err);
    EXPECT(png_size(good, &w, &h, &after) && after == before,
           "the old %s was damaged (%ld -> %ld bytes)", good, before, after);
    EXPECT(count_files(".tmp-") == 0, "temporary files left in %s", dir);
    free(r);
}

/* ---- RUN.json ----------------------------------------------------------------------- */

static void test_run_json(void) {
    char *text = malloc(1 << 20);
    slurp(json, text, 1 << 20);
    EXPECT(strstr(text, "\"bins\": [[") != NULL, "no bins in %s", json);
    /* Every existing field is kept. */
    EXPECT(strstr(text, "\"p999\"") && strstr(text, "\"max\""), "fields");
    free(text);
    run *r = malloc(sizeof *r);
    static const char *const kinds[] = {"window-cdf", "age-hist", "causes"};
    for (size_t i = 0; i < 3; i++) {
        char out[300];
        snprintf(out, sizeof out, "%s/json-%s.png", dir, kinds[i]);
        run_cmd(r, NULL, "plot '%s' --kind %s -o '%s'", json, kinds[i], out);
        EXPECT(r->status == 0, "%s: exit %d [%.500s]", kinds[i], r->status, r->err);
        expect_png(out, 900, 600);
    }
    free(r);
}

/* The causes of the reads staler than the bound reach the plot data from
 * the database and from a RUN.json, the same for the same configuration and
 * seed (the RUN.json is the sweep's point cache-aside, 60s). */
static void test_over_causes(void) {
    plot_data d, j;
    char err[512] = "";
    EXPECT(plot_data_load(&d, db_file, 0, err, sizeof err) == PLOT_OK, "%s",
           err);
    EXPECT(plot_data_load(&j, json, 0, err, sizeof err) == PLOT_OK, "%s", err);
    if (d.npoints == 4 && j.npoints == 1) {
        const plot_point *p = &d.point[1], *q = &j.point[0];
        EXPECT(strcmp(p->value[0], "cache-aside") == 0 &&
                   strcmp(p->value[1], "60s") == 0,
               "point 1 is %s, %s", p->value[0], p->value[1]);
        uint64_t over = 0, all = 0;
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) {
            over += p->over_causes[c];
            all += p->causes[c];
            EXPECT(p->over_causes[c] <= p->causes[c], "cause %d", c);
        }
        EXPECT(p->over_causes_known && q->over_causes_known,
               "known: db %d, json %d", p->over_causes_known,
               q->over_causes_known);
        EXPECT(over > 0 && over < all, "over-bound %llu of %llu stale reads",
               (unsigned long long)over, (unsigned long long)all);
        EXPECT(memcmp(p->over_causes, q->over_causes, sizeof p->over_causes) ==
                       0 &&
                   memcmp(p->causes, q->causes, sizeof p->causes) == 0,
               "database and RUN.json disagree");
    } else {
        EXPECT(0, "points: db %zu, json %zu", d.npoints, j.npoints);
    }
    plot_data_fini(&d);
    plot_data_fini(&j);
}

/* ---- report ---------------------------------------------------------------------------- */

static void test_report(void) {
    run *r = malloc(sizeof *r);
    char out[300], *md = malloc(1 << 20);
    snprintf(out, sizeof out, "%s/review.md", dir);
    run_cmd(r, NULL, "report '%s' -o '%s'", db_file, out);
    EXPECT(r->status == 0, "exit %d [%.500s]", r->status, r->err);
    slurp(out, md, 1 << 20);
    EXPECT(strstr(md, "# Design review: plots.ini") != NULL, "title");
    EXPECT(strstr(md, "```ini\n; plots test scenario\n") != NULL,
           "no fenced scenario in [%.400s]", md);
    EXPECT(strstr(md, "max_stale_fraction = 1e-3\n```") != NULL,
           "scenario block not whole");
    EXPECT(strstr(md, "## Freshness contract") && strstr(md, "| verdict |"),
           "no verdict table");
    EXPECT(strstr(md, "VIOLATED") || strstr(md, "**met**") ||
               strstr(md, "not demonstrated"),
           "no verdict word");
    EXPECT(strstr(md, "**ttl-only** meets it") != NULL,
           "no summary sentence for ttl-only");
    EXPECT(strstr(md, "## Comparison") &&
               strstr(md, "| stale-read fraction (95% CI) |") &&
               strstr(md, " ± "),
           "no comparison table with CIs");
    EXPECT(strstr(md, "| **") != NULL, "no best value in bold");
    /* Every linked PNG exists beside it and is a PNG. */
    static const char *const kinds[] = {"window-cdf", "age-hist", "vs",
                                        "tradeoff", "causes", "timeline"};
    for (size_t i = 0; i < 6; i++) {
        char link[128], png[300];
        snprintf(link, sizeof link, "](review-%s.png)", kinds[i]);
        EXPECT(strstr(md, link) != NULL, "no link %s", link);
        snprintf(png, sizeof png, "%s/review-%s.png", dir, kinds[i]);
        expect_png(png, 900, 600);
        /* One sentence under it. */
        const char *at = strstr(md, link);
        EXPECT(at && strlen(at) > strlen(link) + 30 && at[strlen(link)] == '\n',
               "no sentence under %s", link);
    }
    EXPECT(strstr(md, "## Reproduce") != NULL, "no reproduce section");
    /* -o is required; a RUN.json is refused. */
    run_cmd(r, NULL, "report '%s'", db_file);
    EXPECT(r->status == 2 && strstr(r->err, "-o FILE is required"),
           "exit %d [%.500s]", r->status, r->err);
    snprintf(out, sizeof out, "%s/json-review.md", dir);
    run_cmd(r, NULL, "report '%s' -o '%s'", json, out);
    EXPECT(r->status == 2 && strstr(r->err, "single run"), "exit %d [%.500s]",
           r->status, r->err);
    EXPECT(!exists(out), "%s was created", out);
    free(md);
    free(r);
}

/* ---- key families ------------------------------------------------------------------ */

static void test_by_family(void) {
    static const char *const kinds[] = {"vs", "causes", "window-cdf"};
    run *r = malloc(sizeof *r);
    char out[300];
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        snprintf(out, sizeof out, "%s/fam-%s.png", dir, kinds[i]);
        run_cmd(r, NULL, "plot '%s' --kind %s --by family --size 640x480 "
                "-o '%s'", fam_db, kinds[i], out);
        EXPECT(r->status == 0, "%s: exit %d, stderr [%.500s]", kinds[i],
               r->status, r->err);
        EXPECT(strncmp(r->out, out, strlen(out)) == 0 &&
                   strstr(r->out, "display-model") != NULL,
               "%s: stdout [%.500s]", kinds[i], r->out);
        expect_png(out, 640, 480);
    }
    /* --where picks the points pooled; the title names the families. */
    run_cmd(r, NULL, "plot '%s' --kind window-cdf --by family --where "
            "family.display-model.ttl=60s -o - --size 100x30", fam_db);
    EXPECT(r->status == 0, "dumb: exit %d [%.500s]", r->status, r->err);
    EXPECT(strstr(r->out, "per key family (display-model, quota)") != NULL,
           "no family list in the title [%.2000s]", r->out);
    /* An experiment without families. */
    snprintf(out, sizeof out, "%s/nofam.png", dir);
    run_cmd(r, NULL, "plot '%s' --kind vs --by family -o '%s'", db_file, out);
    EXPECT(r->status == 2 && strstr(r->err, "has no key families") && one_error_line(r),
           "exit %d [%.500s]", r->status, r->err);
    EXPECT(!exists(out), "%s was created", out);
    free(r);
}

static void test_report_families(void) {
    run *r = malloc(sizeof *r);
    char out[300], *md = malloc(1 << 20);
    snprintf(out, sizeof out, "%s/fam-review.md", dir);
    run_cmd(r, NULL, "report '%s' -o '%s'", fam_db, out);
    EXPECT(r->status == 0, "exit %d [%.500s]", r->status, r->err);
    slurp(out, md, 1 << 20);
    const char *sec = strstr(md, "## Per family");
    EXPECT(sec != NULL, "no Per family section");
    if (sec) {
        const char *a = strstr(sec, "### Family display-model");
        const char *b = strstr(sec, "### Family quota");
        EXPECT(a && b && a < b, "family headings missing");
        /* A verdict for each: the bypass family meets its loose contract,
         * the other (failing DELs, 0.01% allowed) does not. */
        EXPECT(a && strstr(a, "Verdict: VIOLATED") &&
                   (!b || strstr(a, "Verdict: VIOLATED") < b),
               "no verdict for display-model [%.1500s]", a ? a : "");
        EXPECT(b && strstr(b, "Verdict: **met** at all 2 points"),
               "no verdict for quota [%.1500s]", b ? b : "");
        EXPECT(b && strstr(b, "at most 50% of reads stale"),
               "quota's own contract not used [%.1500s]", b ? b : "");
        EXPECT(strstr(sec, "| family.display-model.ttl | runs | stale-read "
                           "fraction (95% CI) |") != NULL,
               "no per-point table");
        EXPECT(strstr(sec, "invalidation-failed") != NULL, "no top cause");
    }
    /* No section without families. */
    snprintf(out, sizeof out, "%s/plain-review.md", dir);
    run_cmd(r, NULL, "report '%s' -o '%s'", db_file, out);
    slurp(out, md, 1 << 20);
    EXPECT(r->status == 0 && strstr(md, "## Per family") == NULL,
           "exit %d", r->status);
    free(md);
    free(r);
}

/* ---- units ------------------------------------------------------------------------------ */

static void test_target_parse(void) {
    gp_target t;
    char err[256];
    EXPECT(gp_target_parse(&t, "a/b.PNG", NULL, 0, err, sizeof err) == GP_OK &&
               t.format == GP_PNG && t.width == 900 && t.height == 600,
           "png default");
    EXPECT(gp_target_parse(&t, "x.svg", "1200x800", 0, err, sizeof err) ==
                   GP_OK && t.format == GP_SVG && t.width == 1200,
           "svg sized");
    EXPECT(gp_target_parse(&t, "x.pdf", NULL, 0, err, sizeof err) == GP_OK &&
               t.format == GP_PDF, "pdf");
    EXPECT(gp_target_parse(&t, "-", "100x30", 0, err, sizeof err) == GP_OK &&
               t.format == GP_DUMB && !t.path && t.width == 100,
           "dumb");
    EXPECT(gp_target_parse(&t, NULL, NULL, 1, err, sizeof err) == GP_OK &&
               t.format == GP_DUMB, "no -o on a terminal");
    EXPECT(gp_target_parse(&t, NULL, NULL, 0, err, sizeof err) == GP_EUSAGE,
           "no -o off a terminal");
    EXPECT(gp_target_parse(&t, "dir.png/x", NULL, 0, err, sizeof err) ==
               GP_EUSAGE, "extension of a directory");
    static const char *const bad[] = {"900", "900x", "x600", "-9x600",
                                      "900x600x", "99x600", "1e3x600"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        EXPECT(gp_target_parse(&t, "x.png", bad[i], 0, err, sizeof err) ==
                   GP_EUSAGE, "size '%s' accepted", bad[i]);
    char found[512];
    EXPECT(gp_find_program("sh", found, sizeof found) &&
               strstr(found, "/sh") != NULL, "sh not on PATH [%.500s]", found);
    EXPECT(!gp_find_program("stalesim-no-such-program-x", NULL, 0),
           "found a program that does not exist");
    char q[64];
    EXPECT(strcmp(gp_quote(q, sizeof q, "a\"b\\c'\n"), "'a\"b\\c'.\"'\".' '") == 0,
           "quote [%.500s]", q);
}

static void test_formats(void) {
    char b[32];
    static const struct {
        double s;
        const char *want;
    } d[] = {{0, "0s"}, {850e-6, "850us"}, {0.0042, "4.2ms"}, {60, "60s"},
             {300, "5min"}, {0.9997, "1s"}, {7560, "2.1h"}, {NAN, "-"}};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        EXPECT(strcmp(plot_fmt_duration(b, sizeof b, d[i].s), d[i].want) == 0,
               "%g s -> [%.500s], want [%.500s]", d[i].s, b, d[i].want);
    EXPECT(strcmp(plot_fmt_sig(b, sizeof b, 0.000123, 2), "1.2e-4") == 0,
           "[%.500s]", b);
    EXPECT(strcmp(plot_fmt_sig(b, sizeof b, 531.4, 3), "531") == 0, "[%.500s]", b);
    EXPECT(strcmp(plot_fmt_percent(b, sizeof b, 0.0031), "0.31%") == 0, "[%.500s]",
           b);
    EXPECT(strcmp(plot_fmt_percent(b, sizeof b, 0), "0%") == 0, "[%.500s]", b);
    EXPECT(plot_value_number("30s") == 30 && plot_value_number("2m") == 120 &&
               plot_value_number("0.5") == 0.5 &&
               plot_value_number("100/s") == 100 &&
               isnan(plot_value_number("cache-aside")),
           "value numbers");
}

static void test_contract_rule(void) {
    /* mean 1e-4, sd 1e-5 over 4 runs: upper = mean + t(0.95,3) sd / 2. */
    double x[4] = {0.9e-4, 1.1e-4, 0.9e-4, 1.1e-4};
    double sd = sqrt(4 * 1e-10 / 3);
    double upper = 1e-4 + 2.353363435 * sd / 2;
    contract_clause c = contract_judge(x, 4, 2e-4, 0);
    EXPECT(fabs(c.mean - 1e-4) < 1e-15 && fabs(c.upper - upper) < 1e-9 &&
               c.state == CONTRACT_MET,
           "mean %g upper %g (want %g) state %d", c.mean, c.upper, upper,
           c.state);
    c = contract_judge(x, 4, 1.05e-4, 0);
    EXPECT(c.state == CONTRACT_UNDEMONSTRATED, "state %d", c.state);
    c = contract_judge(x, 4, 0.5e-4, 0);
    EXPECT(c.state == CONTRACT_VIOLATED, "state %d", c.state);
    double zero[3] = {0, 0, 0};
    double least = contract_resolution(3e4);
    c = contract_judge(zero, 3, 1e-5, least);
    EXPECT(fabs(least - 9.9856e-5) < 1e-8 && c.upper == least &&
               c.state == CONTRACT_UNDEMONSTRATED,
           "least %g upper %g state %d", least, c.upper, c.state);
}

static CU_TestInfo tests[] = {
    {"each kind writes a PNG of the asked size", test_each_kind_png},
    {"svg and pdf", test_svg_pdf},
    {"timeline: instance and bus lanes", test_timeline_copies},
    {"dumb terminal draws axes on stdout", test_dumb_terminal},
    {"bad usage exits 2 and writes nothing", test_bad_usage},
    {"gnuplot missing: exit 3", test_gnuplot_missing},
    {"gnuplot failing: exit 3, nothing half-written", test_gnuplot_failing},
    {"RUN.json bins and plots", test_run_json},
    {"causes of over-bound reads, database and RUN.json", test_over_causes},
    {"report: scenario, verdict, table, plots", test_report},
    {"plot --by family: vs, causes, window-cdf", test_by_family},
    {"report: per-family verdicts and tables", test_report_families},
    {"target parsing and PATH search", test_target_parse},
    {"number formats", test_formats},
    {"contract rule", test_contract_rule},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("plots", suite_init, suite_clean, tests)
