/* Sweeps at scale, end to end through the binary: shards merged, and the
 * MPI transport.
 *
 * What is pinned: one sweep done with --jobs 1 and as 3 shards merged store
 * identical runs, points, distributions and causes (fixed mode by run,
 * precision mode by point), every run in exactly one shard; merging is
 * idempotent and incremental (a missing shard leaves points incomplete, a
 * later merge completes them, a run held twice is taken once); shards of
 * another grid, scenario text, mode or stalesim version are refused with one
 * line and exit 2, writing nothing; bad --shard values exit 2.  Through
 * `mpirun -n 3 --oversubscribe` (skipped where mpirun is absent): the same
 * tables as --jobs 1, fixed and precision mode; a worker rank killed with
 * SIGKILL mid-sweep ends the job non-zero with every stored run whole, and
 * the same command completes it running only what was missing, into the
 * table of an uninterrupted sweep; SIGTERM to rank 0 stops it with the
 * resume hint; --jobs under MPI, a 1-rank job and --transport mpi without
 * mpirun are refused. */
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
#include "tests/testing_proc.h"

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

/* stalesim in the suite's directory, in its own process group (the MPI
 * runs: tests/testing_proc.h). */
#define run(p, ...) testing_proc_run(p, dir, TESTING_PROC_MPI, __VA_ARGS__)
#define MAX_ARGS TESTING_PROC_MAX_ARGS

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
        testing_proc p;
        run(&p, "sweep", ini_path, GRID, "--reps", "3", "--jobs", "1", "--db",
            path, NULL);
        EXPECT_EXIT(&p, 0);
        testing_proc_free(&p);
    }
    return path;
}

static void test_shards_merged_identical(void) {
    const char *ref = reference_db();
    const char *sh[3] = {in_dir("fix-1.db"), in_dir("fix-2.db"),
                         in_dir("fix-3.db")};
    const char *spec[3] = {"1/3", "2/3", "3/3"};
    testing_proc p;
    for (int i = 0; i < 3; i++) {
        run(&p, "sweep", ini_path, GRID, "--reps", "3", "--jobs", "2",
            "--shard", spec[i], "--db", sh[i], NULL);
        EXPECT_EXIT(&p, 0);
        EXPECT_CONTAINS(p.out, "4 runs stored");
        EXPECT_CONTAINS(p.out, "complete (its runs)");
        testing_proc_free(&p);
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
    testing_proc_free(&p);

    const char *out = in_dir("fix-merged.db");
    /* two shards first: incomplete, said so */
    run(&p, "merge", out, sh[0], sh[2], NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "experiment 1 (new)");
    EXPECT_CONTAINS(p.out, "8 runs stored");
    EXPECT_CONTAINS(p.err, "4 of 4 points still lack runs");
    testing_proc_free(&p);
    /* then all three, the first two again among them: taken once */
    run(&p, "merge", out, sh[0], sh[1], sh[2], NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "experiment 1 (resumed)");
    EXPECT_CONTAINS(p.out, "12 runs stored");
    EXPECT_CONTAINS(p.out, "4 runs copied, 8 held already");
    EXPECT(p.err[0] == '\0', "stderr [%.300s]", p.err);
    testing_proc_free(&p);
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
    testing_proc_free(&p);
}

static void test_shards_precision(void) {
    const char *one = in_dir("prec-one.db");
    testing_proc p;
    run(&p, "sweep", ini_path, GRID, "--precision", "0.2", "--max-reps", "6",
        "--jobs", "1", "--db", one, NULL);
    EXPECT_EXIT(&p, 0);
    testing_proc_free(&p);
    const char *sh[3] = {in_dir("prec-1.db"), in_dir("prec-2.db"),
                         in_dir("prec-3.db")};
    const char *spec[3] = {"1/3", "2/3", "3/3"};
    for (int i = 0; i < 3; i++) {
        run(&p, "sweep", ini_path, GRID, "--precision", "0.2", "--max-reps",
            "6", "--jobs", "2", "--shard", spec[i], "--db", sh[i], NULL);
        EXPECT_EXIT(&p, 0);
        EXPECT_CONTAINS(p.out, "complete (its points)");
        testing_proc_free(&p);
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
    testing_proc_free(&p);
    char *a = testing_dump_results(one), *b = testing_dump_results(out);
    EXPECT_SAME_DUMP("--precision: --jobs 1 against 3 merged shards", a, b);
    free(a);
    free(b);
}

static void test_merge_refusals(void) {
    const char *ref = reference_db();
    testing_proc p;
    const char *grid2 = in_dir("grid2.db"), *text2 = in_dir("text2.db"),
               *mode2 = in_dir("mode2.db"), *out = in_dir("never.db");
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s,4s", "--reps", "3",
        "--shard", "1/2", "--db", grid2, NULL);
    EXPECT_EXIT(&p, 0);
    testing_proc_free(&p);
    run(&p, "sweep", ini2_path, GRID, "--reps", "3", "--shard", "1/2", "--db",
        text2, NULL);
    EXPECT_EXIT(&p, 0);
    testing_proc_free(&p);
    run(&p, "sweep", ini_path, GRID, "--reps", "2", "--shard", "1/2", "--db",
        mode2, NULL);
    EXPECT_EXIT(&p, 0);
    testing_proc_free(&p);
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

/* ---- MPI -------------------------------------------------------------------------- */

static int have_mpirun(void) {
    return system("command -v mpirun >/dev/null 2>&1") == 0;
}

/* one need function per test (TESTS_NEED names its constructor after it) */
static int have_mpirun_1(void) { return have_mpirun(); }
static int have_mpirun_2(void) { return have_mpirun(); }
static int have_mpirun_3(void) { return have_mpirun(); }
TESTS_NEED("scale", "mpirun -n 3 equals --jobs 1", have_mpirun_1,
           "no mpirun")
TESTS_NEED("scale", "a rank killed with -9, then the same command",
           have_mpirun_2, "no mpirun")
TESTS_NEED("scale", "MPI: Ctrl-C and refusals", have_mpirun_3, "no mpirun")

/* Starts `mpirun -n N [flags] stalesim ARGS...` (NULL-terminated). */
static void start_mpi(testing_proc *p, int n, ...) {
    const char *argv[MAX_ARGS + 8];
    static char ranks[16];
    int k = 0;
    snprintf(ranks, sizeof ranks, "%d", n);
    argv[k++] = "mpirun";
    argv[k++] = "-n";
    argv[k++] = ranks;
    argv[k++] = "--oversubscribe";
    if (geteuid() == 0) argv[k++] = "--allow-run-as-root";
    argv[k++] = testing_stalesim();
    va_list ap;
    va_start(ap, n);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && k < MAX_ARGS)
        argv[k++] = a;
    va_end(ap);
    argv[k] = NULL;
    testing_proc_start(p, dir, -1, TESTING_PROC_MPI, argv);
}

static void test_mpi_identical(void) {
    const char *ref = reference_db(), *dbf = in_dir("mpi.db");
    testing_proc p;
    start_mpi(&p, 3, "sweep", ini_path, GRID, "--reps", "3", "--db", dbf,
              NULL);
    testing_proc_finish(&p);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "4 points, 12 runs stored");
    EXPECT_CONTAINS(p.out, "2 worker ranks");
    testing_proc_free(&p);
    char *a = testing_dump_results(ref), *b = testing_dump_results(dbf);
    EXPECT_SAME_DUMP("--jobs 1 against mpirun -n 3", a, b);
    free(a);
    free(b);
    /* the same command again: nothing to run, the workers released */
    start_mpi(&p, 3, "sweep", ini_path, GRID, "--reps", "3", "--db", dbf,
              NULL);
    testing_proc_finish(&p);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "0 runs run");
    testing_proc_free(&p);
    /* precision mode through MPI decides like --jobs 1 */
    const char *one = in_dir("prec-one.db"), *pm = in_dir("prec-mpi.db");
    if (testing_db_int(one, "SELECT count(*) FROM runs") <= 0) {
        run(&p, "sweep", ini_path, GRID, "--precision", "0.2", "--max-reps",
            "6", "--jobs", "1", "--db", one, NULL);
        testing_proc_free(&p);
    }
    start_mpi(&p, 3, "sweep", ini_path, GRID, "--precision", "0.2",
              "--max-reps", "6", "--db", pm, NULL);
    testing_proc_finish(&p);
    EXPECT_EXIT(&p, 0);
    testing_proc_free(&p);
    a = testing_dump_results(one);
    b = testing_dump_results(pm);
    EXPECT_SAME_DUMP("--precision: --jobs 1 against mpirun -n 3", a, b);
    free(a);
    free(b);
}

/* The pid of MPI rank `rank` among the children of `parent`; -1 if none. */
static pid_t rank_pid(pid_t parent, int rank) {
    char want[64];
    int wlen = snprintf(want, sizeof want, "OMPI_COMM_WORLD_RANK=%d", rank);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ps -o pid= --ppid %d 2>/dev/null", (int)parent);
    FILE *ps = popen(cmd, "r");
    if (!ps) return -1;
    pid_t found = -1;
    int pid;
    while (found < 0 && fscanf(ps, "%d", &pid) == 1) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/environ", pid);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        char buf[65536];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
            if (strncmp(buf + i, want, (size_t)wlen) == 0 &&
                buf[i + (size_t)wlen] == '\0')
                found = pid;
    }
    pclose(ps);
    return found;
}

#define LONG_MPI_SWEEP(dbf)                                                    \
    "sweep", ini_path, "--set", "run.duration=20m", "--vary",                  \
        "cache.ttl=1s,2s,4s", "--reps", "6", "--db", dbf
#define LONG_TOTAL 18

static void test_mpi_kill9_resume(void) {
    const char *killed = in_dir("mpi-killed.db"), *whole = in_dir("whole.db");
    testing_proc p;
    start_mpi(&p, 3, LONG_MPI_SWEEP(killed), NULL);
    double t0 = testing_now_s();
    long long n = 0;
    while (testing_now_s() - t0 < 60 &&
           (n = testing_db_int(killed, "SELECT count(*) FROM runs")) < 3)
        testing_sleep_ms(5);
    pid_t victim = rank_pid(p.pid, 1);
    EXPECT(n >= 3 && n < LONG_TOTAL && victim > 0,
           "runs %lld before the kill, rank 1 pid %d", n, (int)victim);
    if (victim > 0) kill(victim, SIGKILL);
    testing_proc_finish(&p);
    EXPECT(p.status != 0, "mpirun exit %d after a rank was killed", p.status);
    testing_proc_free(&p);
    /* nothing half-written, the counters agree, no rank left behind */
    n = testing_db_int(killed, "SELECT count(*) FROM runs");
    EXPECT(n >= 3 && n < LONG_TOTAL, "%lld runs survived: the kill was to "
           "come mid-sweep", n);
    EXPECT(testing_db_int(killed, "SELECT count(*) FROM runs r WHERE NOT "
                                  "EXISTS (SELECT 1 FROM dist_stats s WHERE "
                                  "s.run = r.id)") == 0,
           "a run without its distributions survived");
    EXPECT(testing_db_int(killed, "SELECT sum(reps_done) FROM points") == n,
           "points.reps_done does not count the stored runs");
    EXPECT(rank_pid(p.pid, 0) < 0, "a rank outlived mpirun");

    /* the same command completes it, running only what is missing */
    start_mpi(&p, 3, LONG_MPI_SWEEP(killed), NULL);
    testing_proc_finish(&p);
    EXPECT_EXIT(&p, 0);
    char want[96];
    snprintf(want, sizeof want, "%lld runs run", LONG_TOTAL - n);
    EXPECT_CONTAINS(p.out, want);
    snprintf(want, sizeof want, "%lld already stored", n);
    EXPECT_CONTAINS(p.out, want);
    testing_proc_free(&p);
    EXPECT(testing_db_int(killed, "SELECT count(*) FROM runs") == LONG_TOTAL &&
               testing_db_int(killed, "SELECT count(DISTINCT point || '/' || "
                                      "rep) FROM runs") == LONG_TOTAL,
           "runs %lld", testing_db_int(killed, "SELECT count(*) FROM runs"));
    run(&p, LONG_MPI_SWEEP(whole), "--jobs", "2", NULL);
    EXPECT_EXIT(&p, 0);
    testing_proc_free(&p);
    char *a = testing_dump_results(killed), *b = testing_dump_results(whole);
    EXPECT_SAME_DUMP("MPI killed-and-resumed against --jobs 2", a, b);
    free(a);
    free(b);
}

static void test_mpi_interrupt_and_refusals(void) {
    const char *dbf = in_dir("mpi-int.db");
    testing_proc p;
    /* SIGTERM to the coordinator: it stops, keeps every finished run, says
     * so and exits non-zero; the same command then resumes */
    start_mpi(&p, 3, LONG_MPI_SWEEP(dbf), NULL);
    double t0 = testing_now_s();
    while (testing_now_s() - t0 < 60 &&
           testing_db_int(dbf, "SELECT count(*) FROM runs") < 1)
        testing_sleep_ms(5);
    pid_t coord = rank_pid(p.pid, 0);
    EXPECT(coord > 0, "no rank 0 under mpirun %d", (int)p.pid);
    if (coord > 0) kill(coord, SIGTERM);
    testing_proc_finish(&p);
    EXPECT(p.status != 0, "exit %d", p.status);
    EXPECT_CONTAINS(p.err, "stalesim: interrupted:");
    EXPECT_CONTAINS(p.err, "run the same command again to resume");
    testing_proc_free(&p);
    long long n = testing_db_int(dbf, "SELECT count(*) FROM runs");
    EXPECT(n >= 1 && n < LONG_TOTAL, "%lld runs kept", n);

    /* refusals */
    start_mpi(&p, 3, "sweep", ini_path, "--jobs", "2", "--db", dbf, NULL);
    testing_proc_finish(&p);
    EXPECT(p.status == 2 && strstr(p.err, "--jobs does not apply"),
           "exit %d, stderr [%.300s]", p.status, p.err);
    testing_proc_free(&p);
    start_mpi(&p, 1, "sweep", ini_path, "--db", dbf, NULL);
    testing_proc_finish(&p);
    EXPECT(p.status == 2 && strstr(p.err, "has no workers"),
           "exit %d, stderr [%.300s]", p.status, p.err);
    testing_proc_free(&p);
    run(&p, "sweep", ini_path, "--transport", "mpi", "--db", dbf, NULL);
    EXPECT_ERROR(&p, "not started by an MPI launcher");
    run(&p, "sweep", ini_path, "--transport", "carrier-pigeon", "--db", dbf,
        NULL);
    EXPECT_ERROR(&p, "--transport: 'carrier-pigeon'");
}

static CU_TestInfo tests[] = {
    {"3 merged shards equal --jobs 1", test_shards_merged_identical},
    {"shards by point with --precision", test_shards_precision},
    {"merge refuses other sweeps and versions", test_merge_refusals},
    {"mpirun -n 3 equals --jobs 1", test_mpi_identical},
    {"a rank killed with -9, then the same command", test_mpi_kill9_resume},
    {"MPI: Ctrl-C and refusals", test_mpi_interrupt_and_refusals},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("scale", suite_init, suite_clean, tests)
