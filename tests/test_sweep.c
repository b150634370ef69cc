/* End-to-end tests of `stalesim sweep` and `stalesim summarize` through the
 * real binary (testing_stalesim()), started with fork/exec from the
 * repository root, stdout and stderr captured in files.
 *
 * What is pinned: --jobs 1 and --jobs 2 store identical runs (every metric,
 * bin, tally and cause, by point values and replication); a sweep killed with
 * SIGKILL mid-run and rerun ends with exactly the table of an uninterrupted
 * sweep and no duplicate (point, rep); SIGINT stops with exit 3 and the
 * resume hint; the progress line appears on a terminal (a pty) and nothing on
 * a file; summarize shows every point, groups with --by, and agrees with
 * `stalesim run` on the same point; bad --vary, flags and databases exit 2
 * and leave foreign files untouched; --precision records reps and hit_cap
 * per point, by the rule, independently of --jobs.
 *
 * Scenarios are small (100 keys, 30 s simulated; 20 min for the runs that
 * must last long enough to be interrupted), so the suite takes seconds. */
#define _XOPEN_SOURCE 700 /* posix_openpt and friends */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <jansson.h>
#include <sqlite3.h>

#include "models/world.h"
#include "sim/stats.h"
#include "tests/testing.h"
#include "tests/testing_proc.h"

static char dir[64];
static char ini_path[128];

static const char small_scenario[] =
    "; small sweep test scenario: a few ms per replication\n"
    "[run]\nduration = 30s\nreps = 2\n"
    "[workload]\nkeys = 100\nreads = 200/s\nwrites = 5/s\n"
    "[cache]\npattern = cache-aside\nttl = 5s\n"
    "[faults]\ndel_fail = 0.05\n";

static int suite_init(void) {
    snprintf(dir, sizeof dir, "/tmp/stalesim-test-sweep-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(ini_path, sizeof ini_path, "%s/small.ini", dir);
    FILE *f = fopen(ini_path, "w");
    if (!f) return -1;
    fputs(small_scenario, f);
    return fclose(f) == 0 ? 0 : -1;
}

static int suite_clean(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *in_dir(const char *name) {
    static char buf[8][160];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

/* Programs run in the suite's directory (tests/testing_proc.h). */
#define start(p, ...) testing_proc_startl(p, dir, 0, __VA_ARGS__)
#define run(p, ...) testing_proc_run(p, dir, 0, __VA_ARGS__)

/* ---- tests ------------------------------------------------------------------------ */

#define GRID "--vary", "cache.pattern=ttl-only,cache-aside", "--vary",         \
             "cache.ttl=1s,4s"

static void test_jobs_identical(void) {
    const char *db1 = in_dir("jobs1.db"), *db2 = in_dir("jobs2.db");
    testing_proc p;
    run(&p, "sweep", ini_path, GRID, "--reps", "3", "--jobs", "1",
        "--db", db1, NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT(p.err[0] == '\0', "stderr is a file, so no progress: [%.300s]",
           p.err);
    EXPECT_CONTAINS(p.out, "experiment 1 (new)");
    EXPECT_CONTAINS(p.out, "4 points, 12 runs stored");
    testing_proc_free(&p);
    run(&p, "sweep", ini_path, GRID, "--reps", "3", "--jobs", "2",
        "--db", db2, NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT(p.err[0] == '\0', "stderr [%.300s]", p.err);
    testing_proc_free(&p);
    EXPECT(testing_db_int(db1, "SELECT count(*) FROM runs") == 12, "runs %lld",
           testing_db_int(db1, "SELECT count(*) FROM runs"));
    EXPECT(testing_db_int(db1, "SELECT sum(stale_reads) FROM runs") > 0,
           "a sweep without stale reads tests little");
    EXPECT(testing_db_int(db1, "SELECT count(*) FROM points WHERE done = 1 AND "
                       "reps_done = 3 AND reps_target = 3") == 4,
           "points complete");
    EXPECT(testing_db_int(db1, "SELECT count(*) FROM experiments WHERE finished_at "
                       "IS NOT NULL") == 1, "finished_at");
    char *a = testing_dump_results(db1), *b = testing_dump_results(db2);
    EXPECT_SAME_DUMP("--jobs 1 and --jobs 2 results", a, b);
    /* the dumps are about something */
    EXPECT(a && strstr(a, "cache.pattern=cache-aside cache.ttl=4s|2|1|"),
           "dump lacks rep 2 of cache-aside 4s");
    free(a);
    free(b);

    /* the same command again runs nothing */
    run(&p, "sweep", ini_path, GRID, "--reps", "3", "--jobs", "2",
        "--db", db2, NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "experiment 1 (resumed)");
    EXPECT_CONTAINS(p.out, "0 runs run");
    EXPECT_CONTAINS(p.out, "12 already stored");
    testing_proc_free(&p);
    /* another command is another experiment in the same file */
    run(&p, "sweep", ini_path, GRID, "--reps", "2", "--jobs", "2",
        "--db", db2, NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "experiment 2 (new)");
    testing_proc_free(&p);
    EXPECT(testing_db_int(db2, "SELECT count(*) FROM experiments") == 2 &&
               testing_db_int(db2, "SELECT count(*) FROM runs") == 20,
           "experiments %lld, runs %lld",
           testing_db_int(db2, "SELECT count(*) FROM experiments"),
           testing_db_int(db2, "SELECT count(*) FROM runs"));
}

/* A sweep reuses stored runs by configuration, across experiments: one more
 * TTL runs only the new point's replications, more --reps only the missing
 * ones, and the copies equal the runs they came from. */
static void test_reuse(void) {
    const char *rdb = in_dir("reuse.db");
    testing_proc p;
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s,2s", "--reps", "3",
        "--db", rdb, NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "6 runs run");
    testing_proc_free(&p);
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s,2s,4s", "--reps", "3",
        "--db", rdb, NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "experiment 2 (new)");
    EXPECT_CONTAINS(p.out, "3 runs run");
    EXPECT_CONTAINS(p.out, "6 of them reused");
    testing_proc_free(&p);
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s,2s,4s", "--reps", "4",
        "--db", rdb, NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "3 runs run");
    EXPECT_CONTAINS(p.out, "9 of them reused");
    testing_proc_free(&p);
    /* another seed is another configuration: nothing reused */
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s", "--reps", "2",
        "--seed", "99", "--db", rdb, NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "2 runs run");
    EXPECT(!strstr(p.out, "reused"), "reused with another seed: [%.300s]",
           p.out);
    testing_proc_free(&p);
    /* ordered pairs of runs of one configuration and replication: 1s and
     * 2s reps 0-2 on 3 points (6 pairs each), 4s reps 0-2 on 2 (2 each) */
    EXPECT(testing_db_int(rdb, "SELECT count(*) FROM runs a JOIN runs b ON a.rep = "
                      "b.rep AND a.point != b.point JOIN point_configs pa ON "
                      "pa.point = a.point JOIN point_configs pb ON pb.point = "
                      "b.point AND pb.config = pa.config") == 42,
           "pairs of the same configuration %lld",
           testing_db_int(rdb, "SELECT count(*) FROM runs a JOIN runs b ON a.rep = "
                      "b.rep AND a.point != b.point JOIN point_configs pa ON "
                      "pa.point = a.point JOIN point_configs pb ON pb.point = "
                      "b.point AND pb.config = pa.config"));
    EXPECT(testing_db_int(rdb, "SELECT count(*) FROM runs a JOIN runs b ON a.rep = "
                      "b.rep AND a.point != b.point JOIN point_configs pa ON "
                      "pa.point = a.point JOIN point_configs pb ON pb.point = "
                      "b.point AND pb.config = pa.config WHERE a.seed != b.seed "
                      "OR a.reads != b.reads OR a.stale_reads != b.stale_reads "
                      "OR a.events != b.events") == 0,
           "a copy differs from its source");
}

/* Runs stored by another stalesim version (which may draw other numbers:
 * 0.1 and 0.2 differ in their exponential sampler) are neither resumed
 * into nor reused by configuration: the same command makes a new
 * experiment and runs every replication again. */
static void test_other_version(void) {
    const char *vdb = in_dir("version.db");
    testing_proc p;
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s,2s", "--reps", "2",
        "--db", vdb, NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "4 runs run");
    testing_proc_free(&p);
    /* relabel what is stored as an older version's */
    sqlite3 *conn = NULL;
    EXPECT(sqlite3_open(vdb, &conn) == SQLITE_OK &&
               sqlite3_exec(conn,
                            "UPDATE experiments SET stalesim_version = '0.1.0';"
                            "UPDATE point_configs SET config = '0.1.0' || "
                            "substr(config, instr(config, '/'))",
                            NULL, NULL, NULL) == SQLITE_OK,
           "relabel: %s", conn ? sqlite3_errmsg(conn) : "?");
    sqlite3_close(conn);
    EXPECT(testing_db_int(vdb, "SELECT count(*) FROM point_configs WHERE "
                               "config LIKE '0.1.0/%'") == 2,
           "relabelled configurations");
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s,2s", "--reps", "2",
        "--db", vdb, NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "experiment 2 (new)");
    EXPECT_CONTAINS(p.out, "4 runs run");
    EXPECT(!strstr(p.out, "reused"), "reused another version's runs: [%.300s]",
           p.out);
    testing_proc_free(&p);
    EXPECT(testing_db_int(vdb, "SELECT count(*) FROM runs r JOIN points pt ON "
                               "pt.id = r.point WHERE pt.experiment = 2") == 4,
           "experiment 2 holds %lld runs",
           testing_db_int(vdb, "SELECT count(*) FROM runs r JOIN points pt ON "
                               "pt.id = r.point WHERE pt.experiment = 2"));
}

/* Starts the long sweep into dbf and returns once it has stored at least
 * `min_runs` runs, or fails (the sweep finished or stalled first). */
#define LONG_SWEEP(dbf)                                                        \
    "sweep", ini_path, "--set", "run.duration=20m", "--vary",            \
        "cache.ttl=1s,2s,4s", "--reps", "8", "--jobs", "2", "--db", dbf
#define LONG_TOTAL 24

static int wait_for_runs(testing_proc *p, const char *dbf, long long min_runs,
                         long long *seen) {
    double t0 = testing_now_s();
    *seen = 0;
    while (testing_now_s() - t0 < 60) {
        long long n = testing_db_int(dbf, "SELECT count(*) FROM runs");
        if (n > *seen) *seen = n;
        if (n >= min_runs) return 0;
        int st;
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            p->pid = -1;
            return -1; /* it finished (or failed) before */
        }
        testing_sleep_ms(2);
    }
    return -1;
}

static void test_kill9_resume(void) {
    const char *killed = in_dir("killed.db"), *whole = in_dir("whole.db");
    testing_proc p;
    start(&p, LONG_SWEEP(killed), NULL);
    long long seen;
    int caught = wait_for_runs(&p, killed, 3, &seen) == 0;
    if (caught) kill(p.pid, SIGKILL);
    if (p.pid > 0) testing_proc_finish(&p);
    else p.out = p.err = NULL;
    EXPECT(caught && p.status == 128 + SIGKILL,
           "the sweep was to be killed mid-run (caught %d, status %d, %lld "
           "runs seen)", caught, p.status, seen);
    testing_proc_free(&p);
    long long n = testing_db_int(killed, "SELECT count(*) FROM runs");
    EXPECT(n >= 3 && n < LONG_TOTAL, "%lld runs survived the kill", n);
    EXPECT(testing_db_int(killed, "SELECT count(*) FROM runs r WHERE NOT EXISTS "
                          "(SELECT 1 FROM dist_stats s WHERE s.run = r.id)") == 0,
           "a run without its distributions survived");
    EXPECT(testing_db_int(killed, "SELECT sum(reps_done) FROM points") == n,
           "points.reps_done does not count the stored runs");

    /* the same command resumes and runs only what is missing */
    run(&p, LONG_SWEEP(killed), NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "experiment 1 (resumed)");
    char want[96];
    snprintf(want, sizeof want, "%lld runs run", LONG_TOTAL - n);
    EXPECT_CONTAINS(p.out, want);
    snprintf(want, sizeof want, "%lld already stored", n);
    EXPECT_CONTAINS(p.out, want);
    testing_proc_free(&p);
    EXPECT(testing_db_int(killed, "SELECT count(*) FROM runs") == LONG_TOTAL &&
               testing_db_int(killed, "SELECT count(DISTINCT point || '/' || rep) "
                              "FROM runs") == LONG_TOTAL &&
               testing_db_int(killed, "SELECT count(*) FROM experiments") == 1,
           "runs %lld, distinct %lld, experiments %lld",
           testing_db_int(killed, "SELECT count(*) FROM runs"),
           testing_db_int(killed, "SELECT count(DISTINCT point || '/' || rep) FROM "
                          "runs"),
           testing_db_int(killed, "SELECT count(*) FROM experiments"));

    /* ... into exactly what an uninterrupted sweep stores */
    run(&p, LONG_SWEEP(whole), NULL);
    EXPECT_EXIT(&p, 0);
    testing_proc_free(&p);
    char *a = testing_dump_results(killed), *b = testing_dump_results(whole);
    EXPECT_SAME_DUMP("killed-and-resumed vs uninterrupted", a, b);
    free(a);
    free(b);
}

static void test_sigint(void) {
    const char *dbf = in_dir("sigint.db");
    testing_proc p;
    start(&p, LONG_SWEEP(dbf), NULL);
    long long seen;
    int caught = wait_for_runs(&p, dbf, 1, &seen) == 0;
    if (caught) kill(p.pid, SIGINT);
    if (p.pid > 0) testing_proc_finish(&p);
    else p.out = p.err = NULL;
    EXPECT(caught, "the sweep ended before it could be interrupted");
    if (!caught) return;
    EXPECT_EXIT(&p, 3);
    long long n = testing_db_int(dbf, "SELECT count(*) FROM runs");
    char want[256];
    snprintf(want, sizeof want, "interrupted: %lld runs saved in %s; run the "
             "same command again to resume\n", n, dbf);
    EXPECT_CONTAINS(p.err, want);
    EXPECT(n >= 1 && n < LONG_TOTAL, "%lld runs", n);
    testing_proc_free(&p);
}

/* 1 if this machine can open a pseudo-terminal. */
static int have_pty(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    int ok = m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0 && ptsname(m);
    if (m >= 0) close(m);
    return ok;
}

TESTS_NEED("sweep", "progress on a terminal", have_pty,
           "no pty: the progress line cannot be checked")

static void test_progress_on_terminal(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    CU_ASSERT_FATAL(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0 &&
                    ptsname(m) != NULL);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    CU_ASSERT_FATAL(s >= 0);
    testing_proc p;
    const char *dbf = in_dir("progress.db");
    const char *args[] = {"sweep", ini_path, "--vary", "cache.ttl=1s,2s",
                          "--reps", "2", "--jobs", "2", "--db", dbf, NULL};
    /* stderr goes to the pty slave */
    const char *argv[12] = {NULL};
    for (int i = 0; args[i]; i++) argv[i + 1] = args[i];
    testing_proc_start(&p, dir, s, 0, argv);
    close(s);
    char buf[8192];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(m, buf + len, sizeof buf - 1 - len);
        if (r > 0) {
            len += (size_t)r;
            if (len + 1 >= sizeof buf) break;
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        break; /* EIO once the slave is closed everywhere */
    }
    buf[len] = '\0';
    close(m);
    testing_proc_finish(&p);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(buf, "\r[");
    EXPECT_CONTAINS(buf, "points 2/2");
    EXPECT_CONTAINS(buf, "runs 4/4");
    EXPECT_CONTAINS(buf, "runs/s");
    EXPECT_CONTAINS(buf, "ETA");
    testing_proc_free(&p);
}

/* The text between `key` and the next '}' after `from`; "" if none. */
static void json_object_of(const char *from, const char *key, char *out,
                           size_t len) {
    out[0] = '\0';
    const char *p = from ? strstr(from, key) : NULL;
    const char *e = p ? strchr(p, '}') : NULL;
    if (p && e) snprintf(out, len, "%.*s", (int)(e - p + 1), p);
}

static void test_summarize(void) {
    const char *dbf = in_dir("jobs1.db"); /* from test_jobs_identical */
    testing_proc p;
    run(&p, "summarize", dbf, NULL);
    EXPECT_EXIT(&p, 0);
    static const char *const labels[] = {
        "== cache.pattern=ttl-only cache.ttl=1s  (1 point, 3 runs)",
        "== cache.pattern=ttl-only cache.ttl=4s  (1 point, 3 runs)",
        "== cache.pattern=cache-aside cache.ttl=1s  (1 point, 3 runs)",
        "== cache.pattern=cache-aside cache.ttl=4s  (1 point, 3 runs)"};
    for (size_t i = 0; i < 4; i++) EXPECT_CONTAINS(p.out, labels[i]);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        EXPECT_CONTAINS(p.out, world_metric_name((world_metric)m));
    EXPECT_CONTAINS(p.out, "stale_age_s");
    EXPECT_CONTAINS(p.out, "stale_window_s");
    EXPECT_CONTAINS(p.out, "p999");
    EXPECT(p.err[0] == '\0', "stderr [%.300s]", p.err);
    testing_proc_free(&p);

    run(&p, "summarize", dbf, "--by", "cache.pattern", NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "== cache.pattern=ttl-only  (2 points, 6 runs)");
    EXPECT_CONTAINS(p.out, "== cache.pattern=cache-aside  (2 points, 6 runs)");
    EXPECT(!strstr(p.out, "cache.ttl=1s  ("), "grouped output names a ttl");
    testing_proc_free(&p);

    run(&p, "summarize", dbf, "--format", "csv", "--experiment", "1", NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT(strncmp(p.out, "cache.pattern,cache.ttl,points,runs,"
                          "stale_read_fraction_mean,stale_read_fraction_ci95,"
                          "stale_read_fraction_n,", 101) == 0,
           "CSV header [%.200s]", p.out);
    EXPECT_CONTAINS(p.out, "\ncache-aside,4s,1,3,");
    int lines = 0;
    for (const char *c = p.out; *c; c++) lines += *c == '\n';
    EXPECT(lines == 5, "%d CSV lines", lines);
    testing_proc_free(&p);

    run(&p, "summarize", dbf, "--format", "markdown", "--by",
        "cache.ttl,cache.pattern", NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "| cache.ttl | cache.pattern | runs | "
                           "stale_read_fraction |");
    EXPECT_CONTAINS(p.out, "| 4s | cache-aside | 3 |");
    testing_proc_free(&p);

    /* summarize agrees with `stalesim run` on the same point */
    run(&p, "summarize", dbf, "--format", "json", NULL);
    EXPECT_EXIT(&p, 0);
    testing_proc r;
    run(&r, "run", ini_path, "--set", "cache.pattern=cache-aside",
        "--set", "cache.ttl=4s", "--reps", "3", "--format", "json", NULL);
    EXPECT_EXIT(&r, 0);
    const char *grp = strstr(p.out, "{\"values\": {\"cache.pattern\": "
                                    "\"cache-aside\", \"cache.ttl\": \"4s\"}");
    EXPECT(grp != NULL, "no cache-aside/4s group in [%.500s]", p.out);
    static const char *const keys[] = {"\"stale_age_s\": {",
                                       "\"stale_window_s\": {",
                                       "\"read_latency_s\": {"};
    for (size_t i = 0; grp && i < 3; i++) {
        /* n, mean, the quantiles and max; run may print more after them */
        char a[512], b[512];
        json_object_of(grp, keys[i], a, sizeof a);
        json_object_of(r.out, keys[i], b, sizeof b);
        size_t na = strlen(a);
        int same = na > 1 && strncmp(a, b, na - 1) == 0 &&
                   (b[na - 1] == '}' || b[na - 1] == ',') &&
                   strstr(a, "\"max\": ");
        EXPECT(same, "summarize [%s] vs run [%.400s]", a, b);
    }
    char a[128], b[128];
    json_object_of(grp, "\"stale_read_fraction\": {\"mean\": ", a, sizeof a);
    json_object_of(r.out, "\"stale_read_fraction\": {\"mean\": ", b, sizeof b);
    /* same mean and ci95; run's object goes on with min and max */
    size_t na = strlen(a);
    EXPECT(na > 40 && strncmp(a, b, na - strlen(", \"n\": 3}")) == 0,
           "stale_read_fraction: summarize [%s] vs run [%s]", a, b);
    json_error_t jerr;
    json_t *d = json_loads(p.out, 0, &jerr);
    EXPECT(d != NULL, "summary JSON does not parse: line %d: %s", jerr.line,
           jerr.text);
    json_t *groups = json_object_get(d, "groups");
    EXPECT(json_array_size(groups) == 4, "%zu groups", json_array_size(groups));
    size_t gi;
    json_t *g;
    json_array_foreach(groups, gi, g)
        EXPECT(json_integer_value(json_object_get(g, "runs")) == 3,
               "group %zu: runs", gi);
    json_decref(d);
    testing_proc_free(&p);
    testing_proc_free(&r);
}


static void test_errors(void) {
    const char *dbf = in_dir("errors.db");
    testing_proc p;
    run(&p, "sweep", ini_path, "--vary", "cache.tll=1s,2s", "--db", dbf,
        NULL);
    EXPECT_ERROR(&p, "--vary 'cache.tll=1s,2s': key 'cache.tll': unknown key");
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s..300s*1", "--db",
        dbf, NULL);
    EXPECT_ERROR(&p, "factor must be greater than 1");
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s,oops", "--db", dbf,
        NULL);
    EXPECT_ERROR(&p, "value 'oops'");
    run(&p, "sweep", ini_path, "--vary", "run.warmup=0s,1m", "--db", dbf,
        NULL);
    EXPECT_ERROR(&p, "--vary 'run.warmup=0s,1m': value '1m': warmup must be "
                     "shorter than duration");
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s", "--vary",
        "cache.ttl=2s", "--db", dbf, NULL);
    EXPECT_ERROR(&p, "already varied");
    run(&p, "sweep", ini_path, "--vary", NULL);
    EXPECT_ERROR(&p, "--vary needs a value");
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s", "--reps", "3",
        "--precision", "0.1", "--db", dbf, NULL);
    EXPECT_ERROR(&p, "exclude each other");
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s", "--max-reps",
        "10", "--db", dbf, NULL);
    EXPECT_ERROR(&p, "--max-reps needs --precision");
    run(&p, "sweep", ini_path, "--precision", "1.5", "--db", dbf, NULL);
    EXPECT_ERROR(&p, "--precision: '1.5'");
    run(&p, "sweep", ini_path, "--precision", "0.1", "--max-reps", "2",
        "--db", dbf, NULL);
    EXPECT_ERROR(&p, "--max-reps: '2'");
    run(&p, "sweep", ini_path, "--jobs", "0", "--db", dbf, NULL);
    EXPECT_ERROR(&p, "--jobs: '0'");
    run(&p, "sweep", ini_path, "--bogus", NULL);
    EXPECT_ERROR(&p, "unknown option '--bogus'");
    EXPECT(access(dbf, F_OK) != 0, "a refused sweep created %s", dbf);

    /* databases that are not stalesim's are refused and left as they were */
    const char *notes = in_dir("notes.db");
    FILE *f = fopen(notes, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("not a database\n", f);
    fclose(f);
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s", "--db", notes,
        NULL);
    EXPECT_ERROR(&p, "not a stalesim database");
    char *after = testing_slurp(notes);
    EXPECT(after && strcmp(after, "not a database\n") == 0, "notes.db changed");
    free(after);
    run(&p, "summarize", notes, NULL);
    EXPECT_ERROR(&p, "not a stalesim database");

    const char *other = in_dir("other.db");
    sqlite3 *conn;
    CU_ASSERT_FATAL(sqlite3_open(other, &conn) == SQLITE_OK);
    CU_ASSERT_FATAL(sqlite3_exec(conn, "CREATE TABLE t(x); INSERT INTO t "
                                 "VALUES (42);", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(conn);
    run(&p, "sweep", ini_path, "--vary", "cache.ttl=1s", "--db", other,
        NULL);
    EXPECT_ERROR(&p, "other.db: not a stalesim database");
    EXPECT(testing_db_int(other, "SELECT count(*) FROM sqlite_master") == 1 &&
               testing_db_int(other, "SELECT x FROM t") == 42,
           "other.db was changed");

    /* summarize's own errors */
    const char *good = in_dir("jobs1.db");
    run(&p, "summarize", good, "--by", "cache.tll", NULL);
    EXPECT_ERROR(&p, "--by 'cache.tll': not a varied key of experiment 1 "
                     "(its keys: cache.pattern, cache.ttl)");
    run(&p, "summarize", good, "--experiment", "99", NULL);
    EXPECT_ERROR(&p, "no experiment 99");
    run(&p, "summarize", good, "--format", "xml", NULL);
    EXPECT_ERROR(&p, "--format: 'xml'");
    run(&p, "summarize", in_dir("missing.db"), NULL);
    EXPECT_ERROR(&p, "cannot open");
    run(&p, "summarize", NULL);
    EXPECT_ERROR(&p, "which database");

    run(&p, "sweep", "--help", NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT(strncmp(p.out, "usage: stalesim sweep", 21) == 0, "[%.100s]", p.out);
    testing_proc_free(&p);
    run(&p, "summarize", "--help", NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT(strncmp(p.out, "usage: stalesim summarize", 25) == 0, "[%.100s]",
           p.out);
    testing_proc_free(&p);
}

/* Reads the stored stale_read_fraction of a point's reps, in rep order. */
static size_t point_fractions(const char *dbf, const char *label, double *x,
                              size_t cap, long long *max_rep) {
    sqlite3 *conn = testing_db_open(dbf);
    size_t n = 0;
    *max_rep = -1;
    sqlite3_stmt *st;
    if (conn && sqlite3_prepare_v2(conn,
                                   "SELECT r.rep, r.stale_read_fraction FROM "
                                   "runs r JOIN points p ON p.id = r.point "
                                   "WHERE p.label = ? ORDER BY r.rep",
                                   -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, label, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW && n < cap) {
            *max_rep = sqlite3_column_int64(st, 0);
            x[n++] = sqlite3_column_double(st, 1);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(conn);
    return n;
}

static int rule_met(const double *x, size_t n, double p) {
    if (n < 3) return 0;
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += x[i];
    mean /= (double)n;
    return sim_ci95(x, n) <= p * mean;
}

static void test_precision(void) {
    const char *db1 = in_dir("prec1.db"), *db2 = in_dir("prec2.db");
    testing_proc p;
    run(&p, "sweep", ini_path, GRID, "--precision", "0.2", "--max-reps",
        "8", "--jobs", "1", "--db", db1, NULL);
    EXPECT_EXIT(&p, 0);
    EXPECT_CONTAINS(p.out, "precision 0.2:");
    testing_proc_free(&p);
    run(&p, "sweep", ini_path, GRID, "--precision", "0.2", "--max-reps",
        "8", "--jobs", "2", "--db", db2, NULL);
    EXPECT_EXIT(&p, 0);
    testing_proc_free(&p);
    char *a = testing_dump_results(db1), *b = testing_dump_results(db2);
    EXPECT_SAME_DUMP("--precision with --jobs 1 and 2", a, b);
    free(a);
    free(b);

    static const char *const labels[] = {
        "cache.pattern=ttl-only cache.ttl=1s",
        "cache.pattern=ttl-only cache.ttl=4s",
        "cache.pattern=cache-aside cache.ttl=1s",
        "cache.pattern=cache-aside cache.ttl=4s"};
    int capped = 0, met = 0;
    for (size_t i = 0; i < 4; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT reps_done * 10 + hit_cap + 100 * done "
                 "+ 1000 * reps_target FROM points WHERE label = '%s'",
                 labels[i]);
        long long v = testing_db_int(db2, sql);
        long long done = v / 100 % 10, reps = v / 10 % 10, hit = v % 10,
                  target = v / 1000;
        double x[16];
        long long max_rep;
        size_t n = point_fractions(db2, labels[i], x, 16, &max_rep);
        EXPECT(done == 1 && target == 8, "%s: done %lld target %lld",
               labels[i], done, target);
        EXPECT((long long)n == reps && max_rep + 1 == (long long)n && n >= 3,
               "%s: reps_done %lld, %zu runs stored, last rep %lld (want a "
               "prefix 0..n-1 of at least 3)", labels[i], reps, n, max_rep);
        /* the rule decided at the first n where it holds, or the cap */
        for (size_t k = 3; k < n; k++)
            EXPECT(!rule_met(x, k, 0.2), "%s: the rule held at n=%zu but %zu "
                   "runs were stored", labels[i], k, n);
        if (hit) {
            capped++;
            EXPECT(n == 8 && !rule_met(x, n, 0.2), "%s: hit_cap with %zu runs",
                   labels[i], n);
        } else {
            met++;
            EXPECT(rule_met(x, n, 0.2), "%s: stopped at %zu runs without "
                   "meeting the rule", labels[i], n);
        }
    }
    /* this grid has points of both kinds (ttl-only is steady, cache-aside's
     * few stale reads are noisy) */
    EXPECT(capped > 0 && met > 0, "%d capped, %d met", capped, met);
    EXPECT(testing_db_int(db2, "SELECT count(*) FROM points WHERE hit_cap = 0 AND "
                       "rel_halfwidth > 0.2") == 0 &&
               testing_db_int(db2, "SELECT count(*) FROM points WHERE hit_cap = 1 AND "
                           "rel_halfwidth <= 0.2") == 0,
           "rel_halfwidth disagrees with hit_cap");
    EXPECT(testing_db_int(db2, "SELECT count(*) FROM experiments WHERE mode = "
                       "'precision 0.2 max-reps 8'") == 1, "mode text");
}

static CU_TestInfo tests[] = {
    {"--jobs 1 and 2 store the same runs", test_jobs_identical},
    {"reuse by configuration across experiments", test_reuse},
    {"another version's runs: not resumed, not reused", test_other_version},
    {"kill -9 and resume", test_kill9_resume},
    {"SIGINT stops cleanly", test_sigint},
    {"progress on a terminal", test_progress_on_terminal},
    {"summarize", test_summarize},
    {"errors", test_errors},
    {"precision mode", test_precision},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("sweep", suite_init, suite_clean, tests)
