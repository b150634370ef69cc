/* End-to-end tests of `stalesim check --db`: the contract judged on the runs
 * a sweep stored, through the real binary.
 *
 * What is pinned.  The verdict of `check --db` on a stored configuration is
 * byte for byte the verdict of `check` on the same scenario and seed (every
 * line after the one naming the configuration), with the same exit code: for
 * a point of a two-point sweep chosen with --where, for a sweep without
 * --vary, with a contract threshold changed by --set on both sides, and for
 * a scenario with key families.  --each gives one verdict per
 * configuration, each named, and the worst exit code.  Exit 2 with one
 * error line naming the culprit: no such experiment, --where on a key that
 * was not varied or with a value no configuration has, several
 * configurations without --each (saying --where and --each), another
 * contract.max_staleness (the stored fraction is at the old bound), a
 * non-contract --set, --reps, a scenario operand, --where without --db, one
 * stored replication, a database whose runs lack a metric a clause needs.
 * Runs stored before the causes of over-bound reads were recorded are judged
 * with those causes said to be "not recorded". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <sqlite3.h>

#include "tests/testing.h"

/* Stale reads of several ages: failing DELs leave values for the TTL. */
static const char scenario_text[] =
    "[run]\nduration = 60s\nreps = 3\nseed = 11\n"
    "[workload]\nkeys = 300\nreads = 300/s\nwrites = 10/s\n"
    "[cache]\npattern = cache-aside\nttl = 60s\n"
    "[faults]\ndel_fail = 0.05\n"
    "[contract]\nmax_staleness = 5s\nquantile = 0.999\n"
    "max_stale_fraction = 0.05\n";

/* Two families, one with its own contract. */
static const char family_text[] =
    "[run]\nduration = 30s\nreps = 3\nseed = 5\n"
    "[workload]\nkeys = 600\nreads = 400/s\nwrites = 20/s\n"
    "[cache]\nttl = 20s\n"
    "[faults]\ndel_fail = 0.1\n"
    "[family.plans]\nkeys = 0.5\ncontract.max_staleness = 2s\n"
    "[family.names]\nkeys = 0.5\n";

static char *ini, *fam_ini;
static char dir[64], db[128], fam_db[128];

static int suite_init(void) {
    snprintf(dir, sizeof dir, "/tmp/stalesim-test-checkdb-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    snprintf(db, sizeof db, "%s/sweep.db", dir);
    snprintf(fam_db, sizeof fam_db, "%s/fam.db", dir);
    ini = testing_temp_file(scenario_text);
    fam_ini = testing_temp_file(family_text);
    if (!ini || !fam_ini) return 1;
    char cmd[1024];
    /* experiment 1: two TTLs; experiment 2: nothing varied */
    snprintf(cmd, sizeof cmd,
             "'%s' sweep '%s' --vary cache.ttl=5s,60s --jobs 2 --db '%s' "
             ">/dev/null 2>&1 && '%s' sweep '%s' --jobs 2 --db '%s' "
             ">/dev/null 2>&1 && '%s' sweep '%s' --jobs 2 --db '%s' "
             ">/dev/null 2>&1",
             testing_stalesim(), ini, db, testing_stalesim(), ini, db,
             testing_stalesim(), fam_ini, fam_db);
    return system(cmd) == 0 ? 0 : 1;
}

static int suite_clean(void) {
    testing_remove_temp(ini);
    testing_remove_temp(fam_ini);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}

/* The text after the first line ("" if none). */
static const char *after_first_line(const char *s) {
    const char *nl = strchr(s, '\n');
    return nl ? nl + 1 : "";
}

/* Runs `check FILE FRESH` and `check --db DB STORED` and requires the same
 * verdict: the same exit code, and stdout equal after check --db's first
 * line, which names `config`. */
static void expect_same_(int line, const char *file, const char *fresh,
                         const char *dbfile, const char *stored,
                         const char *config) {
    char a[1024];
    cli_run f, s;
    snprintf(a, sizeof a, "check '%s' --jobs 2 %s", file, fresh);
    testing_run_(__FILE__, line, &f, a);
    snprintf(a, sizeof a, "check --db '%s' %s", dbfile, stored);
    testing_run_(__FILE__, line, &s, a);
    EXPECT(f.status == s.status && (f.status == 0 || f.status == 1),
           "line %d: exit %d fresh, %d stored [%s]", line, f.status, s.status,
           s.err);
    EXPECT(strncmp(s.out, "check --db ", 11) == 0 && strstr(s.out, config) &&
               strstr(s.out, config) < after_first_line(s.out),
           "line %d: the first line names %s: [%.200s]", line, config, s.out);
    const char *stored_verdict = after_first_line(s.out);
    size_t i = 0;
    while (f.out[i] && f.out[i] == stored_verdict[i]) i++;
    EXPECT(strcmp(f.out, stored_verdict) == 0 && f.out[0],
           "line %d: verdicts differ at byte %zu: fresh [%.120s] stored "
           "[%.120s]", line, i, f.out + i, stored_verdict + i);
    testing_run_free(&f);
    testing_run_free(&s);
}
#define EXPECT_SAME(file, fresh, dbfile, stored, config)                      \
    expect_same_(__LINE__, file, fresh, dbfile, stored, config)

static void test_same_verdict(void) {
    EXPECT_SAME(ini, "--set cache.ttl=60s", db,
                "--experiment 1 --where cache.ttl=60s", "cache.ttl=60s");
    /* 5000ms is 5s, as everywhere a duration is read */
    EXPECT_SAME(ini, "--set cache.ttl=5s", db,
                "--experiment 1 --where cache.ttl=5000ms", "cache.ttl=5s");
    EXPECT_SAME(ini, "", db, "", "nothing varied"); /* the latest */
    /* thresholds of the contract change on both sides alike */
    EXPECT_SAME(ini, "--set contract.max_stale_fraction=1e-4", db,
                "--set contract.max_stale_fraction=1e-4", "nothing varied");
    EXPECT_SAME(ini, "--set contract.quantile=0.5 --set "
                "contract.max_staleness=5000ms", db,
                "--set contract.quantile=0.5 --set "
                "contract.max_staleness=5000ms", "nothing varied");
    EXPECT_SAME(fam_ini, "", fam_db, "", "nothing varied");
    /* the causes of the over-bound reads are there, and some */
    cli_run r;
    char a[512];
    snprintf(a, sizeof a, "check --db '%s'", db);
    RUN(&r, a);
    EXPECT(strstr(r.out, "causes of reads staler than 5s (staleness clause): ") &&
               !strstr(r.out, "staleness clause): none") &&
               !strstr(r.out, "not recorded"),
           "[%s]", r.out);
    testing_run_free(&r);
}

static void test_each(void) {
    char a[512];
    cli_run r;
    snprintf(a, sizeof a, "check --db '%s' --experiment 1 --each", db);
    RUN(&r, a);
    const char *one = strstr(r.out, "experiment 1, cache.ttl=5s:");
    const char *two = strstr(r.out, "experiment 1, cache.ttl=60s:");
    EXPECT(one && two && one < two && strstr(two, "\ncheck: "),
           "two verdicts, in grid order: [%.300s]", r.out);
    /* the worst of the two */
    cli_run a5, a60;
    snprintf(a, sizeof a, "check --db '%s' --experiment 1 --where "
             "cache.ttl=5s", db);
    RUN(&a5, a);
    snprintf(a, sizeof a, "check --db '%s' --experiment 1 --where "
             "cache.ttl=60s", db);
    RUN(&a60, a);
    int worst = a5.status > a60.status ? a5.status : a60.status;
    EXPECT(r.status == worst, "--each exit %d, points %d and %d", r.status,
           a5.status, a60.status);
    testing_run_free(&r);
    testing_run_free(&a5);
    testing_run_free(&a60);
}

/* `check ARGS` exits 2 with one error line holding every `want` (NULL
 * ended) and nothing on stdout. */
static void expect_refused_(int line, const char *args, ...) {
    cli_run r;
    testing_run_(__FILE__, line, &r, args);
    const char *nl = strchr(r.err, '\n');
    EXPECT(r.status == 2 && strncmp(r.err, "stalesim: error: ", 17) == 0 &&
               nl && !nl[1] && !r.out[0],
           "line %d: %s: exit %d, stderr [%s], stdout [%.100s]", line, args,
           r.status, r.err, r.out);
    va_list ap;
    va_start(ap, args);
    for (const char *w; (w = va_arg(ap, const char *));)
        EXPECT(strstr(r.err, w), "line %d: %s: [%s] lacks [%s]", line, args,
               r.err, w);
    va_end(ap);
    testing_run_free(&r);
}
#define EXPECT_REFUSED(...) expect_refused_(__LINE__, __VA_ARGS__, NULL)

static void test_refused(void) {
    char a[1024];
    snprintf(a, sizeof a, "check --db '%s' --experiment 9", db);
    EXPECT_REFUSED(a, "no experiment 9");
    snprintf(a, sizeof a, "check --db '%s' --experiment 1 --where "
             "cache.ttl=7s", db);
    EXPECT_REFUSED(a, "cache.ttl=7s", "its values: 5s, 60s");
    snprintf(a, sizeof a, "check --db '%s' --experiment 1 --where "
             "workload.keys=300", db);
    EXPECT_REFUSED(a, "not a varied key", "varied: cache.ttl");
    snprintf(a, sizeof a, "check --db '%s' --experiment 1", db);
    EXPECT_REFUSED(a, "2 configurations", "--where cache.ttl=5s", "--each");
    snprintf(a, sizeof a, "check --db '%s' --set contract.max_staleness=2s",
             db);
    EXPECT_REFUSED(a, "lacks", "max_staleness", "sweep again");
    snprintf(a, sizeof a, "check --db '%s' --set "
             "family.plans.contract.max_staleness=3s", fam_db);
    EXPECT_REFUSED(a, "family plans", "lacks");
    snprintf(a, sizeof a, "check --db '%s' --set cache.ttl=5s", db);
    EXPECT_REFUSED(a, "--set cache.ttl=5s", "only contract keys");
    snprintf(a, sizeof a, "check --db '%s' --reps 5", db);
    EXPECT_REFUSED(a, "--reps");
    snprintf(a, sizeof a, "check --db '%s' '%s'", db, ini);
    EXPECT_REFUSED(a, "no scenario file");
    snprintf(a, sizeof a, "check '%s' --where cache.ttl=5s", ini);
    EXPECT_REFUSED(a, "--where needs --db");
    EXPECT_REFUSED("check --db /nonexistent/results.db", "/nonexistent");

    /* one stored replication */
    char one[160];
    snprintf(one, sizeof one, "%s/one.db", dir);
    snprintf(a, sizeof a, "'%s' sweep '%s' --reps 1 --db '%s' >/dev/null "
             "2>&1", testing_stalesim(), ini, one);
    EXPECT(system(a) == 0, "%s", a);
    snprintf(a, sizeof a, "check --db '%s'", one);
    EXPECT_REFUSED(a, "1 stored replication", "at least 2");
}

/* A copy of the sweep database with `sql` applied to it. */
static void altered_copy(const char *sql, char *out, size_t len,
                         const char *name) {
    snprintf(out, len, "%s/%s", dir, name);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", db, out);
    EXPECT(system(cmd) == 0, "%s", cmd);
    sqlite3 *conn;
    int rc = sqlite3_open(out, &conn);
    if (rc == SQLITE_OK) rc = sqlite3_exec(conn, sql, NULL, NULL, NULL);
    EXPECT(rc == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(conn));
    sqlite3_close(conn);
}

static void test_older_databases(void) {
    char path[256], a[512];
    /* a run without the metric of the staleness clause */
    altered_copy("ALTER TABLE runs DROP COLUMN over_max_staleness_fraction",
                 path, sizeof path, "no-metric.db");
    snprintf(a, sizeof a, "check --db '%s'", path);
    EXPECT_REFUSED(a, "lacks over_max_staleness_fraction",
                   "the staleness clause");
    /* runs stored before the causes of over-bound reads were */
    altered_copy("ALTER TABLE causes DROP COLUMN over_bound_reads", path,
                 sizeof path, "no-over.db");
    cli_run r, f;
    snprintf(a, sizeof a, "check --db '%s'", path);
    RUN(&r, a);
    snprintf(a, sizeof a, "check --db '%s'", db);
    RUN(&f, a);
    EXPECT(r.status == f.status &&
               strstr(r.out, "(staleness clause): not recorded") &&
               strstr(r.out, "causes of all stale reads (stale-fraction "
                             "clause): ") &&
               !strstr(f.out, "not recorded"),
           "exit %d/%d [%s]", r.status, f.status, r.out);
    testing_run_free(&r);
    testing_run_free(&f);
}

static CU_TestInfo tests[] = {
    {"the verdict of check on the same scenario and seed", test_same_verdict},
    {"--each: a verdict per configuration", test_each},
    {"refusals: exit 2 naming the culprit", test_refused},
    {"older databases: a missing metric, unrecorded causes",
     test_older_databases},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("check_db", suite_init, suite_clean, tests)
