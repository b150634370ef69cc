/* Sweeps at scale, end to end through the binary: shards merged, and the
 * MPI transport.
 *
 * What is pinned: one sweep done with --jobs 1 and as 3 shards merged store
 * identical runs, points, distributions and causes (fixed mode by run,
 * precision mode by point), every run in exactly one shard; merging is
 * idempotent and incremental (a missing shard leaves points incomplete, a
 * later merge completes them, a run held twice is taken once); shards of
 * another grid, scenario text, mode or stalesim version are refused with one
 * line and exit 2, writing nothing; bad --shard values exit 2. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <sqlite3.h>

#include "tests/testing.h"

static char dir[64];
static char ini_path[128], ini2_path[128];

static const char small_scenario[] =
    "; scale test scenario: a few ms per replication\n"
    "[run]\nduration = 30s\nreps = 2\n"
    "[workload]\nkeys = 100\nreads = 200/s\nwrites = 5/s\n"
    "[cache]\npattern = cache-aside\nttl = 5s\n"
    "[faults]\ndel_fail = 0.05\n";

static int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f) == 0 ? 0 : -1;
}

static int suite_init(void) {
    snprintf(dir, sizeof dir, "/tmp/stalesim-test-scale-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(ini_path, sizeof ini_path, "%s/small.ini", dir);
    snprintf(ini2_path, sizeof ini2_path, "%s/other.ini", dir);
    if (write_file(ini_path, small_scenario) != 0) return -1;
    /* the same scenario with another comment: another scenario text */
    char other[sizeof small_scenario + 32];
    snprintf(other, sizeof other, "; another text\n%s", small_scenario);
    return write_file(ini2_path, other);
}

static int suite_clean(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *in_dir(const char *name) {
    static char buf[16][160];
    static int next;
    char *p = buf[next++ % 16];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

/* ---- running programs ----------------------------------------------------------- */

typedef struct proc {
    pid_t pid;
    char out_path[160], err_path[160];
    int status; /* exit code; 128+N for signal N */
    char *out, *err;
} proc;

#define MAX_ARGS 64

/* Starts argv (NULL-terminated; argv[0] a path, or NULL for the stalesim
 * binary) with stdout and stderr to files, in its own process group. */
static void start_argv(proc *p, const char **argv) {
    static int seq;
    if (!argv[0]) argv[0] = testing_stalesim();
    snprintf(p->out_path, sizeof p->out_path, "%s/out.%d", dir, seq);
    snprintf(p->err_path, sizeof p->err_path, "%s/err.%d", dir, seq++);
    p->out = p->err = NULL;
    p->status = -1;
    fflush(NULL);
    p->pid = fork();
    if (p->pid == 0) {
        setpgid(0, 0);
        int o = open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int in = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || in < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 ||
            dup2(in, 0) < 0)
            _exit(126);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
}

static void finish(proc *p) {
    int st = 0;
    while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR) {
    }
    p->status = WIFEXITED(st) ? WEXITSTATUS(st)
                : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
    p->out = testing_slurp(p->out_path);
    p->err = testing_slurp(p->err_path);
    if (!p->out) p->out = calloc(1, 1);
    if (!p->err) p->err = calloc(1, 1);
    unlink(p->out_path);
    unlink(p->err_path);
}

static void proc_free(proc *p) {
    free(p->out);
    free(p->err);
    p->out = p->err = NULL;
}

/* Runs `stalesim ARGS...` (NULL-terminated) to completion. */
static void run(proc *p, ...) {
    const char *argv[MAX_ARGS + 2];
    int n = 0;
    argv[n++] = NULL;
    va_list ap;
    va_start(ap, p);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < MAX_ARGS)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    start_argv(p, argv);
    finish(p);
}

#define EXPECT_EXIT(p, code)                                                  \
    EXPECT((p)->status == (code), "exit %d (want %d), stderr [%.600s]",       \
           (p)->status, code, (p)->err)

#define EXPECT_CONTAINS(text, needle)                                         \
    EXPECT(strstr(text, needle) != NULL, "no '%s' in [%.1500s]", needle, text)

static void expect_error_(int line, proc *p, const char *needle) {
    size_t n = strlen(p->err);
    int one_line = n > 0 && strchr(p->err, '\n') == p->err + n - 1;
    int ok = p->status == 2 && p->out[0] == '\0' && one_line &&
             strncmp(p->err, "stalesim: error: ", 17) == 0 &&
             strstr(p->err, needle);
    char m[1200];
    snprintf(m, sizeof m, "exit %d (want 2), stdout [%.100s], stderr [%.600s] "
             "(want one line with '%s')", p->status, p->out, p->err, needle);
    if (!ok) fprintf(stderr, "\n  %s:%d: %s\n", __FILE__, line, m);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, m,
                            __FILE__, "", CU_FALSE);
    proc_free(p);
}

#define EXPECT_ERROR(p, needle) expect_error_(__LINE__, p, needle)

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- shards -------------------------------------------------------------------- */

#define GRID "--vary", "cache.pattern=ttl-only,cache-aside", "--vary",         \
             "cache.ttl=1s,4s"

/* The single sweep every other way of computing it is compared with. */
static const char *reference_db(void) {
    static char path[160];
    if (!path[0]) {
        snprintf(path, sizeof path, "%s/reference.db", dir);
        proc p;
        run(&p, "sweep", ini_path, GRID, "--reps", "3", "--jobs", "1", "--db",
            path, NULL);
        EXPECT_EXIT(&p, 0);
        proc_free(&p);
    }
    return path;
}

static void test_shards_merged_identical(void) {
    const char *ref = reference_db();
    const char *sh[3] = {in_dir("fix-1.db"), in_dir("fix-2.db"),
                         in_dir("fix-3.db")};
    const char *spec[3] = {"1/3", "2/3", "3/3"};
    proc p;
    for (int i = 0; i < 3; i++) {
        run(&p, "sweep", ini_path, GRID, "--reps", "3", "--jobs", "2",
            "--shard", spec[i], "--db", sh[i], NULL);
        EXPECT_EXIT(&p, 0);
        EXPECT_CONTAINS(p.out, "4 runs stored");
        EXPECT_CONTAINS(p.out, "complete (its runs)");
        proc_free(&p);
        /* a shard alone completes no point: every point is spread */
        EXPECT(testing_db_int(sh[i], "SELECT count(*) FROM points WHERE "
                                     "done = 1") == 0 &&
                   testing_db_int(sh[i], "SELECT count(*) FROM experiments "
                                         "WHERE finished_at IS NULL") == 1,
               "shard %d: %lld points done", i + 1,
               testing_db_int(sh[i], "SELECT count(*) FROM points WHERE "
                                     "done = 1"));
    }
    /* rerunning a shard runs nothing */
    run(&p, "sweep", ini_path, GRID, "--reps", "3", "--shard", "2/3", "--db",
        sh[1], NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "0 runs run");
    proc_free(&p);

    const char *out = in_dir("fix-merged.db");
    /* two shards first: incomplete, said so */
    run(&p, "merge", out, sh[0], sh[2], NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "experiment 1 (new)");
    EXPECT_CONTAINS(p.out, "8 runs stored");
    EXPECT_CONTAINS(p.err, "4 of 4 points still lack runs");
    proc_free(&p);
    /* then all three, the first two again among them: taken once */
    run(&p, "merge", out, sh[0], sh[1], sh[2], NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "experiment 1 (resumed)");
    EXPECT_CONTAINS(p.out, "12 runs stored");
    EXPECT_CONTAINS(p.out, "4 runs copied, 8 held already");
    EXPECT(p.err[0] == '\0', "stderr [%.300s]", p.err);
    proc_free(&p);
    EXPECT(testing_db_int(out, "SELECT count(*) FROM experiments WHERE "
                               "finished_at IS NOT NULL") == 1,
           "the merged experiment is finished");
    char *a = testing_dump_results(ref), *b = testing_dump_results(out);
    EXPECT_SAME_DUMP("--jobs 1 against 3 merged shards", a, b);
    free(a);
    free(b);
    /* the unsharded command finds everything in the merged file */
    run(&p, "sweep", ini_path, GRID, "--reps", "3", "--db", out, NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "0 runs run");
    EXPECT_CONTAINS(p.out, "12 already stored");
    proc_free(&p);
}

static void test_shards_precision(void) {
    const char *one = in_dir("prec-one.db");
    proc p;
    run(&p, "sweep", ini_path, GRID, "--precision", "0.2", "--max-reps", "6",
        "--jobs", "1", "--db", one, NULL);
    EXPECT_EXIT(&p, 0);
    proc_free(&p);
    const char *sh[3] = {in_dir("prec-1.db"), in_dir("prec-2.db"),
                         in_dir("prec-3.db")};
    const char *spec[3] = {"1/3", "2/3", "3/3"};
    for (int i = 0; i < 3; i++) {
        run(&p, "sweep", ini_path, GRID, "--precision", "0.2", "--max-reps",
            "6", "--jobs", "2", "--shard", spec[i], "--db", sh[i], NULL);
        EXPECT_EXIT(&p, 0);
        EXPECT_CONTAINS(p.out, "complete (its points)");
        proc_free(&p);
    }
    /* by point: shard 1 of 3 owns points 0 and 3, and decides them */
    EXPECT(testing_db_int(sh[0], "SELECT count(*) FROM points WHERE done "
                                 "= 1 AND idx IN (0, 3)") == 2,
           "shard 1 decided %lld of its 2 points",
           testing_db_int(sh[0], "SELECT count(*) FROM points WHERE done = 1 "
                                 "AND idx IN (0, 3)"));
    EXPECT(testing_db_int(sh[0], "SELECT count(*) FROM points WHERE "
                                 "reps_done > 0 AND idx NOT IN (0, 3)") == 0,
           "shard 1 ran another shard's point");
    const char *out = in_dir("prec-merged.db");
    run(&p, "merge", out, sh[0], sh[1], sh[2], NULL);
    EXPECT_EXIT(&p, 0);
    proc_free(&p);
    char *a = testing_dump_results(one), *b = testing_dump_results(out);
    EXPECT_SAME_DUMP("--precision: --jobs 1 against 3 merged shards", a, b);
    free(a);
    free(b);
}

static void test_merge_refusals(void) {
    const char *ref = reference_db();
    proc p;
    const char *grid2 = in_dir("grid2.db"), *text2 = in_dir("text2.db"),
               *mode2 = in_dir("mode2.db"), *out = in_dir("never.db");
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s,4s", "--reps", "3",
        "--shard", "1/2", "--db", grid2, NULL);
    EXPECT_EXIT(&p, 0);
    proc_free(&p);
    run(&p, "sweep", ini2_path, GRID, "--reps", "3", "--shard", "1/2", "--db",
        text2, NULL);
    EXPECT_EXIT(&p, 0);
    proc_free(&p);
    run(&p, "sweep", ini_path, GRID, "--reps", "2", "--shard", "1/2", "--db",
        mode2, NULL);
    EXPECT_EXIT(&p, 0);
    proc_free(&p);
    run(&p, "merge", out, ref, grid2, NULL);
    EXPECT_ERROR(&p, "its grid (--vary) differs");
    run(&p, "merge", out, ref, text2, NULL);
    EXPECT_ERROR(&p, "its scenario text differs");
    run(&p, "merge", out, ref, mode2, NULL);
    EXPECT_ERROR(&p, "its overrides (--set, --reps, --seed) differs");
    EXPECT(!exists(out), "a refused merge created %s", out);

    /* another stalesim version: a copy of a shard, relabelled */
    const char *old = in_dir("oldversion.db");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", ref, old);
    EXPECT(system(cmd) == 0, "cp");
    sqlite3 *conn = NULL;
    EXPECT(sqlite3_open(old, &conn) == SQLITE_OK &&
               sqlite3_exec(conn, "UPDATE experiments SET stalesim_version = "
                                  "'0.0.1'", NULL, NULL, NULL) == SQLITE_OK,
           "relabel: %s", conn ? sqlite3_errmsg(conn) : "?");
    sqlite3_close(conn);
    run(&p, "merge", out, ref, old, NULL);
    EXPECT_ERROR(&p, "its stalesim version differs ('0.0.1' against");
    /* ... and an output holding the experiment from another version */
    run(&p, "merge", old, ref, NULL);
    EXPECT_ERROR(&p, "merge into another file");
    EXPECT(!exists(out), "a refused merge created %s", out);

    /* a file that is not a database, a missing file, no shard at all */
    run(&p, "merge", out, ini_path, NULL);
    EXPECT_ERROR(&p, "small.ini");
    run(&p, "merge", out, in_dir("absent.db"), NULL);
    EXPECT_ERROR(&p, "no such shard file");
    run(&p, "merge", out, NULL);
    EXPECT_ERROR(&p, "which files?");
    EXPECT(!exists(out), "a refused merge created %s", out);

    /* bad --shard */
    static const char *bad[] = {"0/3", "4/3", "3", "1/0", "a/b", "1/3x", "/3",
                                "-1/3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        run(&p, "sweep", ini_path, "--shard", bad[i], "--db", out, NULL);
        EXPECT_ERROR(&p, "--shard: '");
    }
}

static CU_TestInfo tests[] = {
    {"3 merged shards equal --jobs 1", test_shards_merged_identical},
    {"shards by point with --precision", test_shards_precision},
    {"merge refuses other sweeps and versions", test_merge_refusals},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("scale", suite_init, suite_clean, tests)
