/* The SQLite results store: the schema and its identity, reopening, refusing
 * files that are not stalesim databases (and leaving them untouched), one
 * transaction per run, and a run read back exactly as it was written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <sqlite3.h>

#include "experiments/grid.h"
#include "experiments/results.h"
#include "experiments/run.h"
#include "models/scenario.h"
#include "tests/testing.h"

static char dir[64];

static int suite_init(void) {
    snprintf(dir, sizeof dir, "/tmp/stalesim-test-results-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int suite_clean(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "%s/%s", dir, name);
    unlink(buf);
}

/* One text value from a query on a separate connection ("" if none). */
static void query_text(const char *path, const char *sql, char *out,
                       size_t len) {
    out[0] = '\0';
    sqlite3 *conn;
    if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                snprintf(out, len, "%s", sqlite3_column_text(st, 0));
            sqlite3_finalize(st);
        } else {
            snprintf(out, len, "error: %s", sqlite3_errmsg(conn));
        }
    }
    sqlite3_close(conn);
}

static long long query_int(const char *path, const char *sql) {
    char t[64];
    query_text(path, sql, t, sizeof t);
    return t[0] ? atoll(t) : -1;
}

static int exec_sql(const char *path, const char *sql) {
    sqlite3 *conn;
    int rc = sqlite3_open(path, &conn);
    if (rc == SQLITE_OK) rc = sqlite3_exec(conn, sql, NULL, NULL, NULL);
    sqlite3_close(conn);
    return rc;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(1 << 16);
    *len = buf ? fread(buf, 1, 1 << 16, f) : 0;
    fclose(f);
    return buf;
}

static void test_create(void) {
    char path[128], err[512] = "";
    path_of(path, sizeof path, "new.db");
    results *r = NULL;
    int rc = results_open(&r, path, 0, err, sizeof err);
    EXPECT(rc == RESULTS_OK && r, "rc %d: %s", rc, err);
    results_close(r);
    EXPECT(query_int(path, "PRAGMA user_version") == RESULTS_SCHEMA_VERSION,
           "user_version %lld", query_int(path, "PRAGMA user_version"));
    EXPECT(query_int(path, "PRAGMA application_id") == RESULTS_APPLICATION_ID,
           "application_id %lld", query_int(path, "PRAGMA application_id"));
    char t[256];
    query_text(path, "PRAGMA journal_mode", t, sizeof t);
    EXPECT(strcmp(t, "wal") == 0, "journal_mode %s", t);
    query_text(path, "SELECT value FROM meta WHERE key = 'application'", t,
               sizeof t);
    EXPECT(strcmp(t, "stalesim") == 0, "meta application [%s]", t);
    query_text(path, "SELECT value FROM meta WHERE key = 'schema_version'", t,
               sizeof t);
    EXPECT(atoi(t) == RESULTS_SCHEMA_VERSION, "meta schema_version [%s]", t);
    static const char *const tables[] = {
        "meta", "experiments", "vary", "points", "point_values", "runs",
        "distributions", "dist_stats", "causes"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE "
                 "type = 'table' AND name = '%s'", tables[i]);
        EXPECT(query_int(path, sql) == 1, "table %s", tables[i]);
    }
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('runs') "
                 "WHERE name = '%s' AND type = 'REAL'",
                 world_metric_name((world_metric)m));
        EXPECT(query_int(path, sql) == 1, "runs lacks REAL column %s",
               world_metric_name((world_metric)m));
    }
    /* reopen, read-write and read-only */
    rc = results_open(&r, path, 0, err, sizeof err);
    EXPECT(rc == RESULTS_OK, "reopen: %s", err);
    results_close(r);
    rc = results_open(&r, path, 1, err, sizeof err);
    EXPECT(rc == RESULTS_OK, "reopen read-only: %s", err);
    results_close(r);
    EXPECT(query_int(path, "SELECT count(*) FROM meta WHERE key = "
                           "'application'") == 1,
           "meta rows after reopening");
}

/* Opening `path` must fail with RESULTS_EINPUT, a message naming the file
 * and containing `needle`, and leave the file's bytes as they were. */
static void expect_refused_(int line, const char *path, int read_only,
                            const char *needle) {
    size_t n0 = 0, n1 = 0;
    char *before = slurp(path, &n0);
    results *r = (results *)1;
    char err[512] = "";
    int rc = results_open(&r, path, read_only, err, sizeof err);
    char *after = slurp(path, &n1);
    char m[1024];
    snprintf(m, sizeof m, "open %s: rc %d, [%s]; want RESULTS_EINPUT naming "
             "the file and '%s'", path, rc, err, needle);
    int ok = rc == RESULTS_EINPUT && r == NULL && strstr(err, path) &&
             strstr(err, needle);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, m,
                            __FILE__, "", CU_FALSE);
    snprintf(m, sizeof m, "%s changed (%zu -> %zu bytes)", path, n0, n1);
    int same = (!before && !after) ||
               (before && after && n0 == n1 && memcmp(before, after, n0) == 0);
    CU_assertImplementation(same ? CU_TRUE : CU_FALSE, (unsigned)line, m,
                            __FILE__, "", CU_FALSE);
    free(before);
    free(after);
}

#define EXPECT_REFUSED(path, ro, needle) expect_refused_(__LINE__, path, ro, needle)

static void test_refuse(void) {
    char path[128], err[512];
    /* a text file */
    path_of(path, sizeof path, "notes.txt");
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("these are my notes, not a database\n", f);
    fclose(f);
    EXPECT_REFUSED(path, 0, "not a stalesim database");
    EXPECT_REFUSED(path, 1, "not a stalesim database");

    /* an SQLite database of something else */
    path_of(path, sizeof path, "other.db");
    EXPECT(exec_sql(path, "CREATE TABLE orders(id INTEGER, total REAL);"
                          "INSERT INTO orders VALUES (1, 9.5);") == SQLITE_OK,
           "creating other.db");
    EXPECT_REFUSED(path, 0, "not a stalesim database");
    EXPECT(query_int(path, "SELECT count(*) FROM sqlite_master WHERE name = "
                           "'meta'") == 0, "a meta table appeared");
    char t[64];
    query_text(path, "PRAGMA journal_mode", t, sizeof t);
    EXPECT(strcmp(t, "delete") == 0, "journal mode became %s", t);

    /* another application's id */
    path_of(path, sizeof path, "app.db");
    EXPECT(exec_sql(path, "PRAGMA application_id = 1234; CREATE TABLE meta("
                          "key TEXT, value TEXT);") == SQLITE_OK, "app.db");
    EXPECT_REFUSED(path, 0, "application_id");

    /* a stalesim database of another schema version */
    path_of(path, sizeof path, "v2.db");
    results *r;
    EXPECT(results_open(&r, path, 0, err, sizeof err) == RESULTS_OK, "%s", err);
    results_close(r);
    EXPECT(exec_sql(path, "PRAGMA user_version = 2") == SQLITE_OK, "v2");
    EXPECT_REFUSED(path, 0, "schema version 2");
    EXPECT_REFUSED(path, 1, "schema version 2");

    /* the stalesim identity but the meta table says otherwise */
    path_of(path, sizeof path, "meta.db");
    EXPECT(results_open(&r, path, 0, err, sizeof err) == RESULTS_OK, "%s", err);
    results_close(r);
    EXPECT(exec_sql(path, "UPDATE meta SET value = 'x' WHERE key = "
                          "'application'") == SQLITE_OK, "meta.db");
    EXPECT_REFUSED(path, 0, "meta table");

    /* reading: a missing file and an empty one */
    path_of(path, sizeof path, "missing.db");
    EXPECT_REFUSED(path, 1, "cannot open");
    EXPECT(access(path, F_OK) != 0, "reading created %s", path);
    path_of(path, sizeof path, "empty.db");
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    EXPECT_REFUSED(path, 1, "empty database");
    /* ... but an empty file may become a new database */
    EXPECT(results_open(&r, path, 0, err, sizeof err) == RESULTS_OK, "%s", err);
    results_close(r);
}

/* Two values equal, NaN equal to NaN. */
static int same_double(double a, double b) {
    return (isnan(a) && isnan(b)) || a == b;
}

static int same_hist(const sim_hist *a, const sim_hist *b) {
    return a->zeros == b->zeros &&
           memcmp(a->bins, b->bins, sizeof a->bins) == 0 &&
           a->tally.n == b->tally.n && same_double(a->tally.mean, b->tally.mean) &&
           same_double(a->tally.m2, b->tally.m2) &&
           same_double(a->tally.min, b->tally.min) &&
           same_double(a->tally.max, b->tally.max);
}

static const char small_scenario[] =
    "[run]\nduration = 30s\nreps = 2\n"
    "[workload]\nkeys = 100\nreads = 200/s\nwrites = 5/s\n"
    "[cache]\npattern = cache-aside\nttl = 5s\n"
    "[faults]\ndel_fail = 0.05\n"
    "[contract]\nmax_staleness = 1s\n";

/* Experiment id (points pid) of r, made from spec: the same spec resumes
 * it; another one is a new experiment; load reads it back, the latest by
 * default, and refuses an id that is not there. */
static void check_resume_and_load(results *r, results_experiment_spec *spec,
                                  int64_t id, const int64_t *pid) {
    char err[1024] = "";
    int64_t id2 = 0, pid2[2] = {0, 0};
    int resumed = -1, rc;
    /* the same spec resumes; another one is a new experiment */
    rc = results_experiment_open(r, spec, &id2, &resumed, pid2, err,
                                 sizeof err);
    EXPECT(rc == RESULTS_OK && id2 == id && resumed == 1 &&
               pid2[0] == pid[0] && pid2[1] == pid[1],
           "rc %d, id %lld (was %lld), resumed %d", rc, (long long)id2,
           (long long)id, resumed);
    spec->overrides = "run.seed=2\n";
    rc = results_experiment_open(r, spec, &id2, &resumed, pid2, err,
                                 sizeof err);
    EXPECT(rc == RESULTS_OK && id2 != id && resumed == 0 && pid2[0] != pid[0],
           "another spec: id %lld, resumed %d", (long long)id2, resumed);
    results_experiment e;
    rc = results_experiment_load(r, id, &e, err, sizeof err);
    EXPECT(rc == RESULTS_OK && e.nkeys == 1 && e.npoints == 2 &&
               strcmp(e.key[0], "cache.ttl") == 0 &&
               strcmp(e.point[1].value[0], "10s") == 0 &&
               e.point[1].reps_done == 1 && e.point[0].reps_done == 0,
           "load: rc %d, %zu keys, %zu points", rc, e.nkeys, e.npoints);
    if (rc == RESULTS_OK) results_experiment_fini(&e);
    rc = results_experiment_load(r, 0, &e, err, sizeof err);
    EXPECT(rc == RESULTS_OK && e.id == id2, "latest is %lld, want %lld",
           (long long)e.id, (long long)id2);
    if (rc == RESULTS_OK) results_experiment_fini(&e);
    rc = results_experiment_load(r, 999, &e, err, sizeof err);
    EXPECT(rc == RESULTS_EINPUT && strstr(err, "no experiment 999"), "[%s]",
           err);
}

static void test_run_roundtrip(void) {
    char path[128], err[1024] = "";
    path_of(path, sizeof path, "runs.db");
    scenario sc;
    EXPECT(scenario_init_defaults(&sc, err, sizeof err) == 0 &&
               scenario_load_string(&sc, "small.ini", small_scenario, err,
                                    sizeof err) == 0 &&
               scenario_validate(&sc, err, sizeof err) == 0,
           "%s", err);
    world_result *res = malloc(sizeof *res), *back = malloc(sizeof *back);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    EXPECT(run_replication(&sc, 1, res) == 0, "run_replication");
    EXPECT(sim_hist_n(&res->dist[WORLD_DIST_STALE_AGE]) > 0 &&
               sim_hist_n(&res->dist[WORLD_DIST_READ_LATENCY]) > 0,
           "the replication should have stale reads and reads");
    /* a NaN metric must come back NaN (stored as NULL) */
    res->metric[WORLD_METRIC_INSTANCE_DISAGREEMENT] = NAN;

    grid g;
    grid_init(&g);
    EXPECT(grid_add(&g, "cache.ttl=5s,10s", err, sizeof err) == 0, "%s", err);
    uint32_t target[2] = {2, 2};
    results_experiment_spec spec = {
        .scenario_file = "small.ini", .scenario_text = small_scenario,
        .overrides = "", .mode = "reps", .precision = NAN, .max_reps = 0,
        .command_line = "stalesim sweep small.ini --vary cache.ttl=5s,10s",
        .grid = &g, .reps_target = target};
    results *r;
    int rc = results_open(&r, path, 0, err, sizeof err);
    CU_ASSERT_FATAL(rc == RESULTS_OK);
    int64_t id = 0, pid[2] = {0, 0};
    int resumed = -1;
    rc = results_experiment_open(r, &spec, &id, &resumed, pid, err, sizeof err);
    EXPECT(rc == RESULTS_OK && id > 0 && resumed == 0 && pid[0] && pid[1] &&
               pid[0] != pid[1],
           "rc %d id %lld resumed %d: %s", rc, (long long)id, resumed, err);
    rc = results_write_run(r, pid[1], 1, 7, res, err, sizeof err);
    EXPECT(rc == RESULTS_OK, "write: %s", err);

    /* exact read back */
    memset(back, 0xab, sizeof *back);
    rc = results_read_run(r, pid[1], 1, back, err, sizeof err);
    EXPECT(rc == RESULTS_OK, "read: %s", err);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        EXPECT(same_double(res->metric[m], back->metric[m]),
               "metric %s: wrote %.17g, read %.17g",
               world_metric_name((world_metric)m), res->metric[m],
               back->metric[m]);
    for (int d = 0; d < WORLD_DIST_COUNT; d++)
        EXPECT(same_hist(&res->dist[d], &back->dist[d]),
               "distribution %s: n %llu/%llu, zeros %llu/%llu",
               world_dist_name((world_dist)d),
               (unsigned long long)res->dist[d].tally.n,
               (unsigned long long)back->dist[d].tally.n,
               (unsigned long long)res->dist[d].zeros,
               (unsigned long long)back->dist[d].zeros);
    EXPECT(memcmp(res->stale_by_cause, back->stale_by_cause,
                  sizeof res->stale_by_cause) == 0, "causes differ");
    uint64_t over = 0;
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) over += res->over_bound_by_cause[c];
    EXPECT(over > 0, "the replication should have reads staler than 1s");
    EXPECT(memcmp(res->over_bound_by_cause, back->over_bound_by_cause,
                  sizeof res->over_bound_by_cause) == 0,
           "causes of over-bound reads differ");
    int recorded = -1;
    EXPECT(results_point_over_causes(r, pid[1], &recorded, err, sizeof err) ==
                   RESULTS_OK && recorded == 1,
           "over-bound causes recorded: %d %s", recorded, err);
    EXPECT(res->events == back->events && res->wall_s == back->wall_s,
           "events %llu/%llu wall %g/%g", (unsigned long long)res->events,
           (unsigned long long)back->events, res->wall_s, back->wall_s);
    /* and the quantiles that summarize prints agree */
    EXPECT(same_double(sim_hist_quantile(&res->dist[WORLD_DIST_STALE_AGE], 0.99),
                       sim_hist_quantile(&back->dist[WORLD_DIST_STALE_AGE], 0.99)),
           "p99 of stale age");

    /* no second copy of a (point, rep): nothing of it is written */
    long long bins = query_int(path, "SELECT count(*) FROM distributions");
    rc = results_write_run(r, pid[1], 1, 7, res, err, sizeof err);
    EXPECT(rc == RESULTS_EXISTS && strstr(err, path) &&
               strstr(err, "already stored"),
           "duplicate run: rc %d [%s]", rc, err);
    EXPECT(query_int(path, "SELECT count(*) FROM runs") == 1 &&
               query_int(path, "SELECT count(*) FROM distributions") == bins &&
               query_int(path, "SELECT reps_done FROM points WHERE idx = 1") == 1,
           "a refused run left rows behind: runs %lld, bins %lld (was %lld)",
           query_int(path, "SELECT count(*) FROM runs"),
           query_int(path, "SELECT count(*) FROM distributions"), bins);
    EXPECT(query_int(path, "SELECT count(*) FROM distributions WHERE bin = -1 "
                           "AND (lo_s != 0 OR hi_s != 0)") == 0,
           "zeros bin bounds");
    EXPECT(query_int(path, "SELECT count(*) FROM distributions WHERE "
                           "count = 0") == 0, "empty bins stored");
    char t[256];
    query_text(path, "SELECT seed || ' ' || rep FROM runs", t, sizeof t);
    EXPECT(strcmp(t, "7 1") == 0, "seed and rep [%s]", t);
    query_text(path, "SELECT group_concat(key || '=' || value || '/' || "
                     "value_num, ' ') FROM point_values WHERE point = "
                     "(SELECT id FROM points WHERE idx = 1)", t, sizeof t);
    EXPECT(strcmp(t, "cache.ttl=10s/10.0") == 0, "point values [%s]", t);

    check_resume_and_load(r, &spec, id, pid);
    results_close(r);
    grid_fini(&g);
    scenario_fini(&sc);
    free(res);
    free(back);
}

/* A file from a build that measured fewer metrics: readers see NaN for the
 * missing metric, a writer adds the column, and no data is lost; a sweep
 * does not reuse the run without it. */
static void test_metric_columns(void) {
    char path[128], err[1024] = "";
    path_of(path, sizeof path, "columns.db");
    grid g;
    grid_init(&g);
    EXPECT(grid_add(&g, "cache.ttl=5s,10s", err, sizeof err) == 0, "%s", err);
    uint32_t target[2] = {2, 2};
    results_experiment_spec spec = {
        .scenario_file = "x.ini", .scenario_text = "", .overrides = "",
        .mode = "reps", .precision = NAN, .command_line = "test", .grid = &g,
        .reps_target = target};
    world_result *res = calloc(1, sizeof *res), *back = malloc(sizeof *back);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) res->metric[m] = m + 0.5;
    for (int d = 0; d < WORLD_DIST_COUNT; d++) sim_hist_init(&res->dist[d]);
    results *r;
    int64_t id, pid[2];
    int resumed;
    CU_ASSERT_FATAL(results_open(&r, path, 0, err, sizeof err) == RESULTS_OK);
    CU_ASSERT_FATAL(results_experiment_open(r, &spec, &id, &resumed, pid, err,
                                            sizeof err) == RESULTS_OK);
    CU_ASSERT_FATAL(results_write_run(r, pid[0], 0, 1, res, err, sizeof err) ==
                    RESULTS_OK);
    results_close(r);
    const char *gone = world_metric_name(WORLD_METRIC_HIT_RATIO);
    char sql[128];
    snprintf(sql, sizeof sql, "ALTER TABLE runs DROP COLUMN \"%s\"", gone);
    EXPECT(exec_sql(path, sql) == SQLITE_OK, "dropping a column");

    /* a reader: NaN for the missing metric, the rest intact */
    EXPECT(results_open(&r, path, 1, err, sizeof err) == RESULTS_OK, "%s", err);
    EXPECT(results_read_run(r, pid[0], 0, back, err, sizeof err) == RESULTS_OK,
           "%s", err);
    EXPECT(isnan(back->metric[WORLD_METRIC_HIT_RATIO]) &&
               back->metric[WORLD_METRIC_STALE_READ_FRACTION] == 0.5,
           "hit_ratio %g, stale_read_fraction %g", back->metric[WORLD_METRIC_HIT_RATIO],
           back->metric[WORLD_METRIC_STALE_READ_FRACTION]);
    results_close(r);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('runs') "
             "WHERE name = '%s'", gone);
    EXPECT(query_int(path, sql) == 0, "a reader added the column");

    /* a writer adds it back; the old run reads NULL there */
    EXPECT(results_open(&r, path, 0, err, sizeof err) == RESULTS_OK, "%s", err);
    EXPECT(query_int(path, sql) == 1, "the writer did not add %s", gone);
    EXPECT(results_read_run(r, pid[0], 0, back, err, sizeof err) == RESULTS_OK &&
               isnan(back->metric[WORLD_METRIC_HIT_RATIO]),
           "%s", err);
    EXPECT(results_write_run(r, pid[0], 1, 1, res, err, sizeof err) ==
               RESULTS_OK &&
               results_read_run(r, pid[0], 1, back, err, sizeof err) ==
                   RESULTS_OK &&
               back->metric[WORLD_METRIC_HIT_RATIO] == WORLD_METRIC_HIT_RATIO + 0.5,
           "new run: %s", err);
    /* of the same configuration, only the whole run (rep 1) is reused */
    uint64_t copied = 99;
    EXPECT(results_point_config(r, pid[0], "same", err, sizeof err) ==
                   RESULTS_OK &&
               results_point_config(r, pid[1], "same", err, sizeof err) ==
                   RESULTS_OK &&
               results_reuse_runs(r, pid[1], "same", 2, 0, &copied, err,
                                  sizeof err) == RESULTS_OK &&
               copied == 1,
           "reused %llu runs (want 1: not the one without %s): %s",
           (unsigned long long)copied, gone, err);
    EXPECT(results_read_run(r, pid[1], 1, back, err, sizeof err) ==
                   RESULTS_OK &&
               back->metric[WORLD_METRIC_HIT_RATIO] == WORLD_METRIC_HIT_RATIO + 0.5,
           "the reused run: %s", err);
    results_close(r);
    EXPECT(query_int(path, "SELECT count(*) FROM runs") == 3, "runs");
    grid_fini(&g);
    free(res);
    free(back);
}

/* A file from before the causes of over-bound reads were stored: its runs
 * read 0 there and results_point_over_causes says they are not recorded; a
 * writer adds the column and its new runs have them; a sweep does not reuse
 * the old runs. */
static void test_over_bound_causes(void) {
    char path[128], err[1024] = "";
    path_of(path, sizeof path, "over.db");
    grid g;
    grid_init(&g);
    EXPECT(grid_add(&g, "cache.ttl=5s,10s", err, sizeof err) == 0, "%s", err);
    uint32_t target[2] = {1, 1};
    results_experiment_spec spec = {
        .scenario_file = "x.ini", .scenario_text = "", .overrides = "",
        .mode = "reps", .precision = NAN, .command_line = "test", .grid = &g,
        .reps_target = target};
    world_result *res = calloc(1, sizeof *res), *back = malloc(sizeof *back);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    for (int d = 0; d < WORLD_DIST_COUNT; d++) sim_hist_init(&res->dist[d]);
    res->stale_by_cause[ORACLE_CAUSE_STALE_FILL] = 9;
    res->over_bound_by_cause[ORACLE_CAUSE_STALE_FILL] = 4;
    results *r;
    int64_t id, pid[2];
    int resumed, recorded = -1;
    CU_ASSERT_FATAL(results_open(&r, path, 0, err, sizeof err) == RESULTS_OK);
    CU_ASSERT_FATAL(results_experiment_open(r, &spec, &id, &resumed, pid, err,
                                            sizeof err) == RESULTS_OK);
    CU_ASSERT_FATAL(results_write_run(r, pid[0], 0, 1, res, err, sizeof err) ==
                    RESULTS_OK);
    EXPECT(results_point_config(r, pid[0], "same", err, sizeof err) ==
               RESULTS_OK, "%s", err);
    results_close(r);
    EXPECT(query_int(path, "SELECT over_bound_reads FROM causes") == 4,
           "over_bound_reads stored");
    EXPECT(exec_sql(path, "ALTER TABLE causes DROP COLUMN over_bound_reads") ==
               SQLITE_OK, "dropping the column");

    /* a reader of the old file */
    EXPECT(results_open(&r, path, 1, err, sizeof err) == RESULTS_OK, "%s", err);
    EXPECT(results_read_run(r, pid[0], 0, back, err, sizeof err) ==
                   RESULTS_OK &&
               back->stale_by_cause[ORACLE_CAUSE_STALE_FILL] == 9 &&
               back->over_bound_by_cause[ORACLE_CAUSE_STALE_FILL] == 0,
           "old run: %s", err);
    EXPECT(results_point_over_causes(r, pid[0], &recorded, err, sizeof err) ==
                   RESULTS_OK && recorded == 0,
           "an old run's over-bound causes are not recorded: %d %s", recorded,
           err);
    results_close(r);

    /* a writer adds the column; the old run stays unrecorded (NULL), is not
     * reused, and a new run has them */
    EXPECT(results_open(&r, path, 0, err, sizeof err) == RESULTS_OK, "%s", err);
    EXPECT(query_int(path, "SELECT count(*) FROM causes WHERE "
                           "over_bound_reads IS NULL") == 1,
           "the old row reads NULL");
    uint64_t copied = 99;
    EXPECT(results_point_config(r, pid[1], "same", err, sizeof err) ==
                   RESULTS_OK &&
               results_reuse_runs(r, pid[1], "same", 1, 0, &copied, err,
                                  sizeof err) == RESULTS_OK &&
               copied == 0,
           "reused a run without over-bound causes: %llu %s",
           (unsigned long long)copied, err);
    EXPECT(results_write_run(r, pid[1], 0, 1, res, err, sizeof err) ==
                   RESULTS_OK &&
               results_read_run(r, pid[1], 0, back, err, sizeof err) ==
                   RESULTS_OK &&
               back->over_bound_by_cause[ORACLE_CAUSE_STALE_FILL] == 4,
           "new run: %s", err);
    EXPECT(results_point_over_causes(r, pid[1], &recorded, err, sizeof err) ==
                   RESULTS_OK && recorded == 1,
           "the new run's are recorded: %d %s", recorded, err);
    EXPECT(results_point_over_causes(r, pid[0], &recorded, err, sizeof err) ==
                   RESULTS_OK && recorded == 0,
           "the old run's still are not: %d %s", recorded, err);
    results_close(r);
    grid_fini(&g);
    free(res);
    free(back);
}

static CU_TestInfo tests[] = {
    {"schema", test_create},
    {"refuses foreign files", test_refuse},
    {"a run round trip", test_run_roundtrip},
    {"metric columns are additive", test_metric_columns},
    {"causes of over-bound reads", test_over_bound_causes},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("results", suite_init, suite_clean, tests)
