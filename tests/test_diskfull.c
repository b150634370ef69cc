/* Suite "diskfull": commands that fail half-way through their output
 * (docs/limits.md, "Outputs: all or nothing").
 *
 * report: a report is many files (the document and its PNGs).  A file size
 * limit that lets the first plot through and stops a later one, or a
 * gnuplot that fails on the third plot, must leave the folder exactly as
 * it was: no new file, the old files byte for byte, no temporary.  The
 * limit is derived from a reference report's own PNG sizes, so the test
 * does not depend on what this gnuplot draws.
 *
 * sweep: a database that meets a file size limit must stop the sweep at
 * the first write that fails, whether a commit (the WAL cannot grow) or a
 * checkpoint (the database file cannot), with exit 3 and one line naming
 * the file and "file too large"; the runs committed before stay readable,
 * and the same command without the limit resumes them and ends with the
 * database an uninterrupted sweep makes.  The limits are fractions of that
 * reference database's size.  merge, under the same rules, is checked the
 * same way.
 *
 * Commands run in a child with RLIMIT_FSIZE set before exec and SIGXFSZ at
 * its default, so stalesim's own handling (it ignores SIGXFSZ) is what is
 * tested. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plots/gnuplot.h"

#include "tests/testing.h"
#include "tests/testing_proc.h"

static char dir[64]; /* the suite's folder; "" until made */

/* Runs `sh -c CMD` with RLIMIT_FSIZE at `fsize` bytes (0: none); returns
 * the exit code (128+N for signal N) and the child's stdout and stderr
 * (malloc'd; free them). */
static int run_sh(const char *cmd, rlim_t fsize, char **out, char **err) {
    testing_proc p;
    testing_proc_start_sh(&p, dir, fsize, cmd);
    testing_proc_finish(&p);
    *out = p.out;
    *err = p.err;
    return p.status;
}

/* The names in folder `sub` of the suite's folder, sorted, one a line
 * (malloc'd). */
static char *listing(const char *sub) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    struct dirent **e;
    int n = scandir(path, &e, NULL, alphasort);
    size_t len = 1;
    for (int i = 0; i < n; i++) len += strlen(e[i]->d_name) + 1;
    char *s = calloc(1, len);
    CU_ASSERT_FATAL(s != NULL);
    for (int i = 0; i < n; i++) {
        if (strcmp(e[i]->d_name, ".") && strcmp(e[i]->d_name, "..")) {
            strcat(s, e[i]->d_name);
            strcat(s, "\n");
        }
        free(e[i]);
    }
    if (n >= 0) free(e);
    return s;
}

static void put(const char *sub, const char *name, const char *text) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(text, f);
    CU_ASSERT_FATAL(fclose(f) == 0);
}

static char *get(const char *sub, const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    return testing_slurp(path);
}

static void make_sub(const char *sub) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    CU_ASSERT_FATAL(mkdir(path, 0755) == 0 || errno == EEXIST);
}

/* ---- report ---------------------------------------------------------------------- */

#define REPORT_MAX_PLOTS 32

/* The plots of the reference report, in the order they are drawn (the
 * order of their links in the document), with their sizes in bytes. */
static char plot[REPORT_MAX_PLOTS][64];
static long long plot_size[REPORT_MAX_PLOTS];
static int nplots;

/* `stalesim report` of both experiments into folder sub, as a shell
 * command (with PATH prefixed by `path_first` when not NULL). */
static void report_cmd(char *cmd, size_t len, const char *sub,
                       const char *path_first) {
    char pre[300] = "";
    if (path_first)
        snprintf(pre, sizeof pre, "PATH='%s':\"$PATH\" ", path_first);
    snprintf(cmd, len, "%s'%s' report '%s/two.db' --experiment 1 "
             "--experiment 2 -o '%s/%s/r.md'", pre, testing_stalesim(), dir,
             dir, sub);
}

/* The reference report, written without a limit into "full". */
static void reference_report(void) {
    if (nplots) return;
    char cmd[1024], *out, *err;
    make_sub("full");
    report_cmd(cmd, sizeof cmd, "full", NULL);
    int code = run_sh(cmd, 0, &out, &err);
    EXPECT(code == 0, "reference report: exit %d: %s", code, err);
    free(out);
    free(err);
    char *doc = get("full", "r.md");
    CU_ASSERT_FATAL(doc != NULL);
    for (const char *p = doc; (p = strstr(p, "](r-")) && nplots < REPORT_MAX_PLOTS;) {
        p += 2;
        size_t n = strcspn(p, ")");
        CU_ASSERT_FATAL(n < sizeof plot[0]);
        memcpy(plot[nplots], p, n);
        plot[nplots][n] = '\0';
        char path[256];
        snprintf(path, sizeof path, "%s/full/%s", dir, plot[nplots]);
        struct stat st;
        CU_ASSERT_FATAL(stat(path, &st) == 0);
        plot_size[nplots++] = (long long)st.st_size;
        p += n;
    }
    free(doc);
    EXPECT(nplots >= 6, "the reference report links %d plots", nplots);
}

/* Old files in sub: the document, and the first, the `failing`-th and the
 * last plot. */
static void put_old_files(const char *sub, int failing) {
    make_sub(sub);
    put(sub, "r.md", "the old document\n");
    put(sub, plot[0], "the old first plot\n");
    put(sub, plot[failing], "the old plot that fails\n");
    put(sub, plot[nplots - 1], "the old last plot\n");
}

/* After a failed report into sub: the same names as `before`, the old
 * files unchanged, no temporary. */
static void expect_unchanged(const char *what, const char *sub,
                             const char *before, int failing) {
    char *now = listing(sub);
    EXPECT(strcmp(now, before) == 0, "%s: the folder held\n%s\nand now "
           "holds\n%s", what, before, now);
    EXPECT(strstr(now, ".tmp-") == NULL, "%s: a temporary is left: %s", what,
           now);
    free(now);
    if (!before[0]) return;
    const char *name[] = {"r.md", plot[0], plot[failing], plot[nplots - 1]};
    const char *old[] = {"the old document\n", "the old first plot\n",
                         "the old plot that fails\n", "the old last plot\n"};
    for (int i = 0; i < 4; i++) {
        char *text = get(sub, name[i]);
        EXPECT(text && strcmp(text, old[i]) == 0, "%s: %s now holds %.30s",
               what, name[i], text ? text : "(nothing)");
        free(text);
    }
}

/* A file size limit that the first plot fits and a later one does not: the
 * report exits 3 naming that plot, and leaves nothing new (an empty
 * folder stays empty; old files stay as they were). */
static void test_report_limit(void) {
    CU_ASSERT_FATAL(dir[0] != '\0');
    reference_report();
    CU_ASSERT_FATAL(nplots >= 2);
    /* At least SQLite's 32 KiB shared-memory file (the database is opened
     * read-write when it can be). */
    long long limit = plot_size[0] > 32768 ? plot_size[0] : 32768;
    int failing = 1;
    while (failing < nplots && plot_size[failing] <= limit) failing++;
    CU_ASSERT_FATAL(failing < nplots); /* a later plot is larger */
    char cmd[1024], *out, *err;
    for (int old = 0; old < 2; old++) {
        const char *sub = old ? "limit-old" : "limit-new";
        if (old) put_old_files(sub, failing);
        else make_sub(sub);
        char *before = listing(sub);
        report_cmd(cmd, sizeof cmd, sub, NULL);
        int code = run_sh(cmd, (rlim_t)limit, &out, &err);
        EXPECT(code == 3, "%s: exit %d, want 3 (limit %lld bytes): %s", sub,
               code, limit, err);
        EXPECT(strstr(err, plot[failing]) != NULL, "%s: the error does not "
               "name %s (plot %d of %d, %lld bytes; limit %lld): %s", sub,
               plot[failing], failing + 1, nplots, plot_size[failing], limit,
               err);
        expect_unchanged(sub, sub, before, failing);
        free(before);
        free(out);
        free(err);
    }
}

/* A gnuplot in folder sub (returned in bin) in front of the real one: on
 * its n-th start it runs the shell text `then` (which may end it), then
 * becomes the real gnuplot. */
static void gnuplot_wrapper(const char *sub, int n, const char *then,
                            char *bin, size_t binlen) {
    char real[4096], wrapper[8192], path[300];
    CU_ASSERT_FATAL(gp_find_program("gnuplot", real, sizeof real));
    make_sub(sub);
    snprintf(bin, binlen, "%s/%s", dir, sub);
    snprintf(wrapper, sizeof wrapper,
             "#!/bin/sh\n"
             "n=$(cat '%s/count' 2>/dev/null || echo 0)\n"
             "n=$((n + 1))\n"
             "echo $n >'%s/count'\n"
             "if [ $n -eq %d ]; then\n"
             "%s\n"
             "fi\n"
             "exec '%s' \"$@\"\n",
             bin, bin, n, then, real);
    put(sub, "gnuplot", wrapper);
    snprintf(path, sizeof path, "%s/gnuplot", bin);
    CU_ASSERT_FATAL(chmod(path, 0755) == 0);
}

/* gnuplot fails on the third plot (a wrapper in front of it on PATH):
 * exit 3 naming that plot, nothing new, the old files unchanged; then the
 * same report without the failure replaces them all. */
static void test_report_gnuplot_fails(void) {
    CU_ASSERT_FATAL(dir[0] != '\0');
    reference_report();
    CU_ASSERT_FATAL(nplots >= 3);
    char cmd[1024], bin[128], *out, *err;
    gnuplot_wrapper("bin", 3,
                    "  cat >/dev/null\n"
                    "  echo 'injected failure of the third plot' >&2\n"
                    "  exit 1",
                    bin, sizeof bin);
    put_old_files("gp", 2);
    char *before = listing("gp");
    report_cmd(cmd, sizeof cmd, "gp", bin);
    int code = run_sh(cmd, 0, &out, &err);
    EXPECT(code == 3, "exit %d, want 3: %s", code, err);
    EXPECT(strstr(err, plot[2]) && strstr(err, "injected failure"),
           "the error does not name %s and gnuplot's message: %s", plot[2],
           err);
    expect_unchanged("gnuplot fails", "gp", before, 2);
    free(before);
    free(out);
    free(err);
    /* Without the failure: every file replaced, the same set as the
     * reference, no temporary. */
    report_cmd(cmd, sizeof cmd, "gp", NULL);
    code = run_sh(cmd, 0, &out, &err);
    EXPECT(code == 0, "exit %d: %s", code, err);
    char *full = listing("full"), *now = listing("gp");
    EXPECT(strcmp(full, now) == 0, "after a good report the folder holds\n%s"
           "\nnot\n%s", now, full);
    free(full);
    free(now);
    char *text = get("gp", plot[2]);
    EXPECT(text && strncmp(text, "\x89PNG", 4) == 0, "%s is not a PNG",
           plot[2]);
    free(text);
    free(out);
    free(err);
}

/* SIGTERM while the second plot is being drawn: exit 3, nothing written,
 * the old files unchanged, no temporary. */
static void test_report_signal(void) {
    CU_ASSERT_FATAL(dir[0] != '\0');
    reference_report();
    char cmd[1200], bin[128], mark[200];
    snprintf(mark, sizeof mark, "%s/slow/second", dir);
    char then[300];
    snprintf(then, sizeof then, "  : >'%s'\n  sleep 1", mark);
    gnuplot_wrapper("slow", 2, then, bin, sizeof bin);
    put_old_files("sig", 2);
    char *before = listing("sig");
    char rep[900];
    report_cmd(rep, sizeof rep, "sig", NULL);
    snprintf(cmd, sizeof cmd, "PATH='%s':\"$PATH\" exec %s", bin, rep);
    testing_proc p;
    testing_proc_start_sh(&p, dir, 0, cmd);
    CU_ASSERT_FATAL(p.pid > 0);
    struct stat st;
    for (int i = 0; i < 3000 && stat(mark, &st) != 0; i++) testing_sleep_ms(10);
    EXPECT(stat(mark, &st) == 0, "the second plot never started");
    kill(p.pid, SIGTERM);
    testing_proc_finish(&p);
    EXPECT(p.status == 3, "exit %d, want 3: %s", p.status, p.err);
    EXPECT(strstr(p.err, "stopped by signal 15"), "the error: %s", p.err);
    testing_proc_free(&p);
    expect_unchanged("SIGTERM", "sig", before, 2);
    free(before);
}

/* ---- sweep --------------------------------------------------------------------------- */

/* 8 points x reps (5 or 10), about 37 KiB a run. */
#define SWEEP_POINTS 8
#define SWEEP_ARGS                                                            \
    "--vary cache.ttl=1s,2s,5s,10s,20s,60s,120s,300s --set run.duration=20s"

/* The uninterrupted sweeps' results and database sizes (bytes), by reps:
 * [0] 5, [1] 10. */
static char *ref_dump[2];
static long long ref_size[2];

static void sweep_cmd(char *cmd, size_t len, const char *db, int reps,
                      int jobs) {
    snprintf(cmd, len, "'%s' sweep " SWEEP_ARGS " --reps %d --jobs %d --db "
             "'%s/%s'", testing_stalesim(), reps, jobs, dir, db);
}

static int ref_index(int reps) { return reps == 5 ? 0 : 1; }

static void reference_sweep(int reps) {
    int i = ref_index(reps);
    if (ref_dump[i]) return;
    char cmd[1024], name[32], path[256], *out, *err;
    snprintf(name, sizeof name, "ref%d.db", reps);
    sweep_cmd(cmd, sizeof cmd, name, reps, 2);
    int code = run_sh(cmd, 0, &out, &err);
    EXPECT(code == 0, "reference sweep: exit %d: %s", code, err);
    free(out);
    free(err);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ref_dump[i] = testing_dump_results(path);
    struct stat st;
    CU_ASSERT_FATAL(ref_dump[i] && stat(path, &st) == 0);
    ref_size[i] = (long long)st.st_size;
}

/* The N of "(N runs saved in" in err; -1 without it. */
static long long runs_saved(const char *err) {
    const char *p = strstr(err, " runs saved in ");
    if (!p) return -1;
    const char *q = p;
    while (q > err && q[-1] >= '0' && q[-1] <= '9') q--;
    return q < p ? strtoll(q, NULL, 10) : -1;
}

/* A sweep into `db` under `limit` bytes with `jobs` workers: exit 3, one
 * line naming the file, "file too large" and `while` (what was being
 * written); the runs it says it saved are in the file; the WAL left beside
 * it is under the limit (the sweep stopped at the first failure, not when
 * the WAL met the limit too).  Then the same sweep without the limit
 * resumes them and ends with the reference results. */
static void expect_stop_and_resume(const char *db, int reps, long long limit,
                                   int jobs, const char *while_) {
    char cmd[1024], path[256], wal[270], *out, *err;
    int runs = SWEEP_POINTS * reps;
    snprintf(path, sizeof path, "%s/%s", dir, db);
    snprintf(wal, sizeof wal, "%s-wal", path);
    sweep_cmd(cmd, sizeof cmd, db, reps, jobs);
    int code = run_sh(cmd, (rlim_t)limit, &out, &err);
    EXPECT(code == 3, "%s (limit %lld, --jobs %d): exit %d, want 3: %s", db,
           limit, jobs, code, err);
    EXPECT(strstr(err, path) && strstr(err, "cannot grow: file too large") &&
               strstr(err, while_),
           "%s: the error does not name the file, 'file too large' and "
           "'%s': %s", db, while_, err);
    EXPECT(strchr(err, '\n') == strrchr(err, '\n'), "%s: more than one "
           "line: %s", db, err);
    long long saved = runs_saved(err);
    EXPECT(saved > 0 && saved <= runs, "%s: %lld runs saved of %d", db,
           saved, runs);
    struct stat st;
    EXPECT(stat(wal, &st) != 0 || (long long)st.st_size <= limit,
           "%s: the WAL grew to %lld bytes (limit %lld)", db,
           (long long)st.st_size, limit);
    long long stored = testing_db_int(path, "SELECT count(*) FROM runs");
    EXPECT(stored == saved, "%s: %lld runs in the file, the message says "
           "%lld", db, stored, saved);
    EXPECT(testing_db_int(path, "SELECT count(*) FROM pragma_integrity_check "
                                "WHERE integrity_check <> 'ok'") == 0,
           "%s: integrity check fails", db);
    free(out);
    free(err);
    /* Room again: the same command resumes. */
    code = run_sh(cmd, 0, &out, &err);
    EXPECT(code == 0, "%s: resuming: exit %d: %s", db, code, err);
    char want[64];
    snprintf(want, sizeof want, ", %lld already stored", saved);
    EXPECT(strstr(out, want) != NULL, "%s: resuming did not reuse the %lld "
           "saved runs: %s", db, saved, out);
    char *dump = testing_dump_results(path);
    EXPECT_SAME_DUMP("resumed and uninterrupted sweeps", dump,
                     ref_dump[ref_index(reps)]);
    free(dump);
    free(out);
    free(err);
}

/* The WAL meets the limit: a commit fails. */
static void test_sweep_commit_fails(void) {
    CU_ASSERT_FATAL(dir[0] != '\0');
    reference_sweep(10);
    expect_stop_and_resume("commit.db", 10, 512 * 1024, 1, "while committing");
}

/* The database file meets it while a checkpoint copies the WAL in (the WAL
 * itself stays under the limit): before, SQLite's automatic checkpoint
 * ignored the failure and the sweep went on until the WAL was full too. */
static void test_sweep_checkpoint_fails(void) {
    CU_ASSERT_FATAL(dir[0] != '\0');
    reference_sweep(10);
    long long limit = ref_size[1] / 2;
    /* above one WAL between checkpoints (1 MiB and a run) */
    CU_ASSERT_FATAL(limit > 1280 * 1024);
    expect_stop_and_resume("ckpt.db", 10, limit, 2, "while checkpointing: "
                           "copying committed runs");
}

/* Every run fits (the file after one checkpoint, the WAL after it), the
 * whole does not: before, such a sweep exited 0 with its last runs in a
 * WAL the file could not take (the checkpoint at close fails silently);
 * now the sweep's own last checkpoint finds it, with every run saved. */
static void test_sweep_end_fails(void) {
    CU_ASSERT_FATAL(dir[0] != '\0');
    reference_sweep(5);
    expect_stop_and_resume("end.db", 5, ref_size[0] - 64 * 1024, 1,
                           "while checkpointing at the end");
}

/* merge follows the same rules: the two shards of the 80-run sweep merged
 * into a file limited to half its size stop with exit 3 naming it; merged
 * again with room, the file holds the uninterrupted sweep's results. */
static void test_merge_limit(void) {
    CU_ASSERT_FATAL(dir[0] != '\0');
    reference_sweep(10);
    char cmd[1600], name[32], path[256], *out, *err;
    for (int i = 1; i <= 2; i++) {
        snprintf(name, sizeof name, "shard%d.db", i);
        sweep_cmd(cmd, sizeof cmd, name, 10, 1);
        snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " --shard %d/2",
                 i);
        int code = run_sh(cmd, 0, &out, &err);
        EXPECT(code == 0, "shard %d: exit %d: %s", i, code, err);
        free(out);
        free(err);
    }
    snprintf(path, sizeof path, "%s/merged.db", dir);
    snprintf(cmd, sizeof cmd, "'%s' merge '%s' '%s/shard1.db' '%s/shard2.db'",
             testing_stalesim(), path, dir, dir);
    long long limit = ref_size[1] / 2;
    int code = run_sh(cmd, (rlim_t)limit, &out, &err);
    EXPECT(code == 3 && strstr(err, path) &&
               strstr(err, "cannot grow: file too large"),
           "merge under %lld bytes: exit %d: %s", limit, code, err);
    free(out);
    free(err);
    code = run_sh(cmd, 0, &out, &err);
    EXPECT(code == 0, "merge with room: exit %d: %s", code, err);
    char *dump = testing_dump_results(path);
    EXPECT_SAME_DUMP("merged after the limit and the uninterrupted sweep",
                     dump, ref_dump[1]);
    free(dump);
    free(out);
    free(err);
}

/* ---- the suite --------------------------------------------------------------------- */

static int suite_init(void) {
    snprintf(dir, sizeof dir, "/tmp/stalesim-diskfull-XXXXXX");
    if (!mkdtemp(dir)) {
        dir[0] = '\0';
        return -1;
    }
    /* Two experiments: the second has more points, so its plots are
     * larger than the first's. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' sweep --vary cache.ttl=1s,10s --reps 2 --set "
             "run.duration=2s --db %s/two.db >/dev/null 2>&1 && "
             "'%s' sweep --vary cache.ttl=1s,2s,5s,10s,20s,60s --reps 2 "
             "--set run.duration=5s --db %s/two.db >/dev/null 2>&1",
             testing_stalesim(), dir, testing_stalesim(), dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int suite_clean(void) {
    for (int i = 0; i < 2; i++) {
        free(ref_dump[i]);
        ref_dump[i] = NULL;
    }
    if (!dir[0]) return 0;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static CU_TestInfo tests[] = {
    {"report: a file size limit on a later plot leaves nothing new",
     test_report_limit},
    {"report: gnuplot failing on the third plot leaves nothing new",
     test_report_gnuplot_fails},
    {"report: SIGTERM on the second plot leaves nothing new",
     test_report_signal},
    {"sweep: the WAL meets a file size limit", test_sweep_commit_fails},
    {"sweep: a checkpoint meets it", test_sweep_checkpoint_fails},
    {"sweep: the last checkpoint meets it", test_sweep_end_fails},
    {"merge: a file size limit, then room", test_merge_limit},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("diskfull", suite_init, suite_clean, tests)
