/* The SQLite results store: schema, identity checks, one transaction per run,
 * and the reads that summarize and resume need.
 *
 * Every sqlite3_* return is checked; a failure becomes "FILE: sqlite: MSG
 * (while WHAT)" in the caller's buffer.  Statements used once per run are
 * prepared once and kept on the handle.  Values are stored so that a run
 * reads back bit for bit: metrics as REAL (NaN becomes NULL and NULL reads
 * back as NaN), histogram tallies in ns, counts as INTEGER. */
#include "experiments/results.h"
#include "experiments/results_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "experiments/version.h"
#include "sim/stats.h"
#include "sim/errf.h"
#include "sim/hash.h"

/* Reports the connection's last error; returns RESULTS_EIO. */
int results_sql_fail(results *r, const char *what, char *err, size_t errlen) {
    int code = r->db ? sqlite3_errcode(r->db) & 0xff : SQLITE_NOMEM;
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
        /* Bad input, not a failure of ours: the file is damaged. */
        sim_errf(err, errlen, "%s: the database file is damaged (sqlite: "
                     "%s, while %s); restore a copy or sweep into a new --db",
                     r->path, sqlite3_errmsg(r->db), what);
        return RESULTS_EINPUT;
    }
    if (results_space_fail(r, what, err, errlen)) return RESULTS_EIO;
    sim_errf(err, errlen, "%s: sqlite: %s (while %s)", r->path,
         r->db ? sqlite3_errmsg(r->db) : "out of memory", what);
    return RESULTS_EIO;
}

const char *results_path(const results *r) { return r->path; }

void results_hash_text(const char *text, char out[17]) {
    snprintf(out, 17, "%016llx", (unsigned long long)sim_fnv1a(text));
}

static void now_iso(char *buf, size_t len) {
    time_t t = time(NULL);
    struct tm tm;
    if (t == (time_t)-1 || !gmtime_r(&t, &tm) ||
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "unknown");
}

/* Executes SQL without results. */
int results_exec(results *r, const char *sql, const char *what, char *err,
                size_t errlen) {
    if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return results_sql_fail(r, what, err, errlen);
    return RESULTS_OK;
}

void results_rollback(results *r) {
    /* Best effort: after a failed statement SQLite may already have rolled
     * back, and then ROLLBACK reports "no transaction is active". */
    if (!sqlite3_get_autocommit(r->db))
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
}

int results_prepare(results *r, const char *sql, sqlite3_stmt **st,
                    const char *what, char *err, size_t errlen) {
    if (sqlite3_prepare_v2(r->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return results_sql_fail(r, what, err, errlen);
    }
    return RESULTS_OK;
}

/* A cached statement, reset and unbound, ready for new bindings. */
sqlite3_stmt *results_cached(results *r, int which, const char *sql,
                            const char *what, char *err, size_t errlen) {
    if (!r->st[which] &&
        results_prepare(r, sql, &r->st[which], what, err, errlen) != RESULTS_OK)
        return NULL;
    sqlite3_reset(r->st[which]);
    sqlite3_clear_bindings(r->st[which]);
    return r->st[which];
}

int results_query_int(results *r, const char *sql, int64_t *out,
                      const char *what, char *err, size_t errlen) {
    sqlite3_stmt *st;
    int rc = results_prepare(r, sql, &st, what, err, errlen);
    if (rc != RESULTS_OK) return rc;
    int step = sqlite3_step(st);
    *out = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        rc = results_sql_fail(r, what, err, errlen);
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    return RESULTS_OK;
}

/* ---- schema ------------------------------------------------------------------ */

static const char schema_sql[] =
    "CREATE TABLE meta (\n"
    "  key TEXT PRIMARY KEY,\n"
    "  value TEXT NOT NULL);\n"
    "CREATE TABLE experiments (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  scenario_file TEXT NOT NULL,\n"
    "  scenario_text TEXT NOT NULL,\n"
    "  scenario_hash TEXT NOT NULL,\n"
    "  overrides TEXT NOT NULL,\n"
    "  grid TEXT NOT NULL,\n"
    "  mode TEXT NOT NULL,\n"
    "  precision REAL,\n"
    "  max_reps INTEGER,\n"
    "  points INTEGER NOT NULL,\n"
    "  command_line TEXT NOT NULL,\n"
    "  stalesim_version TEXT NOT NULL,\n"
    "  started_at TEXT NOT NULL,\n"
    "  finished_at TEXT);\n"
    "CREATE INDEX experiments_by_hash ON experiments(scenario_hash);\n"
    "CREATE TABLE vary (\n"
    "  experiment INTEGER NOT NULL REFERENCES experiments(id),\n"
    "  position INTEGER NOT NULL,\n"
    "  key TEXT NOT NULL,\n"
    "  spec TEXT NOT NULL,\n"
    "  n_values INTEGER NOT NULL,\n"
    "  PRIMARY KEY (experiment, position)) WITHOUT ROWID;\n"
    "CREATE TABLE points (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  experiment INTEGER NOT NULL REFERENCES experiments(id),\n"
    "  idx INTEGER NOT NULL,\n"
    "  label TEXT NOT NULL,\n"
    "  reps_target INTEGER NOT NULL,\n"
    "  reps_done INTEGER NOT NULL DEFAULT 0,\n"
    "  done INTEGER NOT NULL DEFAULT 0,\n"
    "  hit_cap INTEGER NOT NULL DEFAULT 0,\n"
    "  rel_halfwidth REAL,\n"
    "  UNIQUE (experiment, idx));\n"
    "CREATE TABLE point_values (\n"
    "  point INTEGER NOT NULL REFERENCES points(id),\n"
    "  key TEXT NOT NULL,\n"
    "  value TEXT NOT NULL,\n"
    "  value_num REAL,\n"
    "  PRIMARY KEY (point, key)) WITHOUT ROWID;\n"
    "CREATE INDEX point_values_by_key ON point_values(key, value);\n"
    "CREATE TABLE distributions (\n"
    "  run INTEGER NOT NULL REFERENCES runs(id),\n"
    "  name TEXT NOT NULL,\n"
    "  bin INTEGER NOT NULL,\n"
    "  lo_s REAL NOT NULL,\n"
    "  hi_s REAL NOT NULL,\n"
    "  count INTEGER NOT NULL,\n"
    "  PRIMARY KEY (run, name, bin)) WITHOUT ROWID;\n"
    "CREATE TABLE dist_stats (\n"
    "  run INTEGER NOT NULL REFERENCES runs(id),\n"
    "  name TEXT NOT NULL,\n"
    "  n INTEGER NOT NULL,\n"
    "  mean_ns REAL NOT NULL,\n"
    "  m2_ns2 REAL NOT NULL,\n"
    "  min_ns REAL,\n"
    "  max_ns REAL,\n"
    "  PRIMARY KEY (run, name)) WITHOUT ROWID;\n"
    "CREATE TABLE causes (\n"
    "  run INTEGER NOT NULL REFERENCES runs(id),\n"
    "  cause TEXT NOT NULL,\n"
    "  stale_reads INTEGER NOT NULL,\n"
    "  over_bound_reads INTEGER,\n"
    "  PRIMARY KEY (run, cause)) WITHOUT ROWID;\n";

/* CREATE TABLE runs: one REAL column per metric, named like the metric. */
static char *runs_table_sql(void) {
    size_t len = 512;
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        len += strlen(world_metric_name((world_metric)m)) + 16;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    p += sprintf(p, "CREATE TABLE runs (\n"
                    "  id INTEGER PRIMARY KEY,\n"
                    "  point INTEGER NOT NULL REFERENCES points(id),\n"
                    "  rep INTEGER NOT NULL,\n"
                    "  seed INTEGER NOT NULL,\n");
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        p += sprintf(p, "  \"%s\" REAL,\n", world_metric_name((world_metric)m));
    sprintf(p, "  events INTEGER NOT NULL,\n"
               "  wall_s REAL NOT NULL,\n"
               "  finished_at TEXT NOT NULL,\n"
               "  UNIQUE (point, rep));\n");
    return s;
}

int results_table_exists(results *r, const char *name) {
    return sqlite3_table_column_metadata(r->db, "main", name, NULL, NULL, NULL,
                                         NULL, NULL, NULL) == SQLITE_OK;
}

int results_has_column(results *r, const char *table, const char *col) {
    return sqlite3_table_column_metadata(r->db, "main", table, col, NULL,
                                         NULL, NULL, NULL, NULL) == SQLITE_OK;
}

/* Creates the schema in an empty database.  *exists is set when another
 * process created it first (then nothing is done). */
static int create_schema(results *r, int *exists, char *err, size_t errlen) {
    *exists = 0;
    int rc = results_exec(r, "BEGIN IMMEDIATE", "starting to create the schema", err,
                  errlen);
    if (rc != RESULTS_OK) return rc;
    int64_t n;
    rc = results_query_int(r, "SELECT count(*) FROM sqlite_master", &n,
                           "reading the schema", err, errlen);
    if (rc != RESULTS_OK) goto fail;
    if (n > 0) {
        *exists = 1;
        return results_exec(r, "COMMIT", "ending a read", err, errlen);
    }
    char *runs = runs_table_sql();
    if (!runs) {
        sim_errf(err, errlen, "%s: out of memory", r->path);
        rc = RESULTS_EIO;
        goto fail;
    }
    rc = results_exec(r, schema_sql, "creating the tables", err, errlen);
    if (rc == RESULTS_OK) rc = results_exec(r, runs, "creating table runs", err, errlen);
    free(runs);
    if (rc != RESULTS_OK) goto fail;
    char sql[512], when[32];
    now_iso(when, sizeof when);
    snprintf(sql, sizeof sql,
             "INSERT INTO meta(key, value) VALUES ('application', 'stalesim'),"
             " ('schema_version', '%d'), ('created_by', 'stalesim %s'),"
             " ('created_at', '%s');"
             "PRAGMA application_id = %d; PRAGMA user_version = %d;",
             RESULTS_SCHEMA_VERSION, STALESIM_VERSION, when,
             RESULTS_APPLICATION_ID, RESULTS_SCHEMA_VERSION);
    rc = results_exec(r, sql, "writing the meta table", err, errlen);
    if (rc != RESULTS_OK) goto fail;
    return results_exec(r, "COMMIT", "committing the schema", err, errlen);
fail:
    results_rollback(r);
    return rc;
}

/* Refuses anything but a stalesim database of this schema version. */
static int check_identity(results *r, int64_t app_id, int64_t version,
                          char *err, size_t errlen) {
    if (app_id != RESULTS_APPLICATION_ID) {
        if (app_id == 0)
            sim_errf(err, errlen, "%s: not a stalesim database (an SQLite "
                 "database with other tables; left untouched)", r->path);
        else
            sim_errf(err, errlen, "%s: not a stalesim database (SQLite "
                 "application_id 0x%08llx; left untouched)", r->path,
                 (unsigned long long)app_id);
        return RESULTS_EINPUT;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT value FROM meta WHERE key = 'application'",
                           -1, &st, NULL) != SQLITE_OK) {
        sim_errf(err, errlen, "%s: not a stalesim database (no meta table: %s)",
             r->path, sqlite3_errmsg(r->db));
        return RESULTS_EINPUT;
    }
    int step = sqlite3_step(st);
    int ok = step == SQLITE_ROW &&
             sqlite3_column_type(st, 0) == SQLITE_TEXT &&
             strcmp((const char *)sqlite3_column_text(st, 0), "stalesim") == 0;
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return results_sql_fail(r, "reading the meta table", err, errlen);
    if (!ok) {
        sim_errf(err, errlen, "%s: not a stalesim database (its meta table does "
             "not name stalesim)", r->path);
        return RESULTS_EINPUT;
    }
    if (version != RESULTS_SCHEMA_VERSION) {
        sim_errf(err, errlen, "%s: stalesim database of schema version %lld; this "
             "stalesim (%s) reads version %d only (use another --db file)",
             r->path, (long long)version, STALESIM_VERSION,
             RESULTS_SCHEMA_VERSION);
        return RESULTS_EINPUT;
    }
    /* Metric columns are additive: which ones does this file have? */
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        r->has_metric[m] =
            sqlite3_table_column_metadata(r->db, "main", "runs",
                                          world_metric_name((world_metric)m),
                                          NULL, NULL, NULL, NULL,
                                          NULL) == SQLITE_OK;
    r->has_over_causes = results_has_column(r, "causes", "over_bound_reads");
    results_family_probe(r);
    results_rare_probe(r);
    return RESULTS_OK;
}

/* A file written by a build that measured fewer metrics gets the columns of
 * the new ones (its earlier runs read NULL there); nothing is dropped. */
static int add_metric_columns(results *r, char *err, size_t errlen) {
    int missing = 0;
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) missing += !r->has_metric[m];
    if (!missing) return RESULTS_OK;
    int rc = results_exec(r, "BEGIN IMMEDIATE", "adding metric columns", err, errlen);
    for (int m = 0; m < WORLD_METRIC_COUNT && rc == RESULTS_OK; m++) {
        if (r->has_metric[m]) continue;
        const char *name = world_metric_name((world_metric)m);
        /* another process may have added it meanwhile */
        if (sqlite3_table_column_metadata(r->db, "main", "runs", name, NULL,
                                          NULL, NULL, NULL, NULL) == SQLITE_OK)
            continue;
        char sql[256];
        snprintf(sql, sizeof sql, "ALTER TABLE runs ADD COLUMN \"%s\" REAL",
                 name);
        rc = results_exec(r, sql, "adding a metric column", err, errlen);
    }
    if (rc == RESULTS_OK)
        rc = results_exec(r, "COMMIT", "adding metric columns", err, errlen);
    if (rc != RESULTS_OK) {
        results_rollback(r);
        return rc;
    }
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) r->has_metric[m] = 1;
    return RESULTS_OK;
}

/* A file written before the causes of over-bound reads were stored gets
 * causes.over_bound_reads (NULL in its earlier runs: not recorded). */
static int add_over_bound_column(results *r, char *err, size_t errlen) {
    if (r->has_over_causes) return RESULTS_OK;
    int rc = results_exec(r, "BEGIN IMMEDIATE", "adding causes.over_bound_reads",
                          err, errlen);
    /* another process may have added it meanwhile */
    if (rc == RESULTS_OK &&
        !results_has_column(r, "causes", "over_bound_reads"))
        rc = results_exec(r, "ALTER TABLE causes ADD COLUMN over_bound_reads "
                             "INTEGER",
                          "adding causes.over_bound_reads", err, errlen);
    if (rc == RESULTS_OK)
        rc = results_exec(r, "COMMIT", "adding causes.over_bound_reads", err,
                          errlen);
    if (rc != RESULTS_OK) {
        results_rollback(r);
        return rc;
    }
    r->has_over_causes = 1;
    return RESULTS_OK;
}

/* The file at path may be opened: a regular file, or (for writing) none
 * yet. */
static int check_path(const char *path, int read_only, char *err,
                      size_t errlen) {
    struct stat sb;
    if (stat(path, &sb) == 0) {
        if (!S_ISREG(sb.st_mode)) {
            sim_errf(err, errlen, "%s: not a regular file", path);
            return RESULTS_EINPUT;
        }
    } else if (read_only || errno != ENOENT) {
        sim_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return RESULTS_EINPUT;
    }
    return RESULTS_OK;
}

/* The file's identity: a stalesim results database of a schema this build
 * reads, or (for writing) an empty file that gets the schema now. */
static int read_identity(results *r, char *err, size_t errlen) {
    const char *path = r->path;
    int rc;
    for (int attempt = 0;; attempt++) {
        int64_t app_id, version, nobjects;
        sqlite3_stmt *st;
        int prc = sqlite3_prepare_v2(r->db, "PRAGMA application_id", -1, &st,
                                     NULL);
        int step = prc == SQLITE_OK ? sqlite3_step(st) : prc;
        app_id = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        if (prc == SQLITE_OK) sqlite3_finalize(st);
        if ((step & 0xff) == SQLITE_NOTADB) {
            sim_errf(err, errlen, "%s: not a stalesim database (not an SQLite "
                 "file at all; left untouched)", path);
            return RESULTS_EINPUT;
        }
        if ((step & 0xff) == SQLITE_CORRUPT) {
            sim_errf(err, errlen, "%s: the database file is damaged "
                 "(sqlite: %s, while opening it); restore a copy or sweep "
                 "into a new --db", path, sqlite3_errmsg(r->db));
            return RESULTS_EINPUT;
        }
        if (step != SQLITE_ROW)
            return results_sql_fail(r, "reading the application id", err,
                                    errlen);
        rc = results_query_int(r, "PRAGMA user_version", &version,
                               "reading the schema version", err, errlen);
        if (rc == RESULTS_OK)
            rc = results_query_int(r, "SELECT count(*) FROM sqlite_master", &nobjects,
                                   "reading the schema", err, errlen);
        if (rc != RESULTS_OK) return rc;
        if (nobjects == 0 && app_id == 0 && version == 0) {
            if (r->read_only) {
                sim_errf(err, errlen, "%s: empty database (no stalesim results)",
                     path);
                return RESULTS_EINPUT;
            }
            if (attempt > 0) { /* cannot happen: the schema was committed */
                sim_errf(err, errlen, "%s: the schema just created is missing",
                     path);
                return RESULTS_EIO;
            }
            int exists;
            rc = create_schema(r, &exists, err, errlen);
            if (rc != RESULTS_OK) return rc;
            continue; /* read back what is now there (ours or a rival's) */
        }
        return check_identity(r, app_id, version, err, errlen);
    }
}

/* A file known to be ours, opened for writing: WAL mode, full sync, foreign
 * keys, and the columns and tables older builds did not make. */
static int prepare_writing(results *r, char *err, size_t errlen) {
    sqlite3_stmt *st;
    int rc = results_prepare(r, "PRAGMA journal_mode = WAL", &st,
                             "switching to WAL mode", err, errlen);
    if (rc != RESULTS_OK) return rc;
    int step = sqlite3_step(st);
    int wal = step == SQLITE_ROW && sqlite3_column_text(st, 0) &&
              strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    if (!wal) {
        if (step == SQLITE_ROW)
            sim_errf(err, errlen, "%s: cannot use WAL mode (the file system "
                 "may not support it)", r->path);
        else
            results_sql_fail(r, "switching to WAL mode", err, errlen);
        return RESULTS_EIO;
    }
    rc = results_exec(r, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
              "setting synchronous and foreign_keys", err, errlen);
    results_space_watch(r);
    if (rc == RESULTS_OK) rc = add_metric_columns(r, err, errlen);
    if (rc == RESULTS_OK) rc = add_over_bound_column(r, err, errlen);
    if (rc == RESULTS_OK) rc = results_family_ensure(r, err, errlen);
    if (rc == RESULTS_OK) rc = results_rare_ensure(r, err, errlen);
    if (rc == RESULTS_OK) rc = results_study_ensure(r, err, errlen);
    return rc;
}

int results_open(results **out, const char *path, int read_only, char *err,
                 size_t errlen) {
    *out = NULL;
    int rc = check_path(path, read_only, err, errlen);
    if (rc != RESULTS_OK) return rc;
    results *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        sim_errf(err, errlen, "%s: out of memory", path);
        return RESULTS_EIO;
    }
    r->read_only = read_only;
    /* A reader still opens a writable file read-write (it writes nothing):
     * a read-only connection leaves the -wal and -shm files behind. */
    int flags = !read_only ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                : access(path, W_OK) == 0 ? SQLITE_OPEN_READWRITE
                                          : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path, &r->db, flags, NULL) != SQLITE_OK) {
        rc = results_sql_fail(r, "opening", err, errlen);
    } else {
        sqlite3_extended_result_codes(r->db, 1);
        if (sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS) != SQLITE_OK)
            rc = results_sql_fail(r, "setting the busy timeout", err, errlen);
    }
    if (rc == RESULTS_OK) rc = read_identity(r, err, errlen);
    /* Only now that the file is known to be ours may it be changed. */
    if (rc == RESULTS_OK && !read_only) rc = prepare_writing(r, err, errlen);
    if (rc != RESULTS_OK) {
        results_close(r);
        return rc;
    }
    *out = r;
    return RESULTS_OK;
}

void results_close(results *r) {
    if (!r) return;
    for (int i = 0; i < RESULTS_ST_COUNT; i++) sqlite3_finalize(r->st[i]);
    /* sqlite3_close_v2 cannot fail for a connection whose statements are
     * finalized; the WAL is checkpointed on the last close. */
    sqlite3_close_v2(r->db);
    free(r->path);
    free(r);
}

/* ---- experiments ---------------------------------------------------------- */

int results_bind_text(sqlite3_stmt *st, int i, const char *s) {
    return sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_TRANSIENT);
}

/* Steps a statement that returns no rows. */
int results_step_done(results *r, sqlite3_stmt *st, const char *what, char *err,
                     size_t errlen) {
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) return results_sql_fail(r, what, err, errlen);
    return RESULTS_OK;
}

/* Fills point_id[] from the points of experiment id. */
static int load_point_ids(results *r, int64_t id, size_t npoints,
                          int64_t *point_id, char *err, size_t errlen) {
    sqlite3_stmt *st;
    int rc = results_prepare(r, "SELECT idx, id FROM points WHERE experiment = ?",
                             &st, "reading the points", err, errlen);
    if (rc != RESULTS_OK) return rc;
    size_t seen = 0;
    for (size_t p = 0; p < npoints; p++) point_id[p] = 0;
    int step;
    sqlite3_bind_int64(st, 1, id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t idx = sqlite3_column_int64(st, 0);
        if (idx >= 0 && (uint64_t)idx < npoints && !point_id[idx]) {
            point_id[idx] = sqlite3_column_int64(st, 1);
            seen++;
        }
    }
    if (step != SQLITE_DONE) rc = results_sql_fail(r, "reading the points", err, errlen);
    sqlite3_finalize(st);
    if (rc == RESULTS_OK && seen != npoints) {
        sim_errf(err, errlen, "%s: experiment %lld has %zu of its %zu points; the "
             "file was changed by hand (use another --db file)", r->path,
             (long long)id, seen, npoints);
        rc = RESULTS_EINPUT;
    }
    return rc;
}

static int insert_experiment(results *r, const results_experiment_spec *s,
                             const char *hash, const char *grid_text,
                             int64_t *id, int64_t *point_id, char *err,
                             size_t errlen) {
    sqlite3_stmt *st = NULL;
    char when[32];
    now_iso(when, sizeof when);
    const grid *g = s->grid;
    int rc = results_prepare(r,
                             "INSERT INTO experiments(scenario_file, scenario_text, "
                             "scenario_hash, overrides, grid, mode, precision, "
                             "max_reps, points, command_line, stalesim_version, "
                             "started_at, rare) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             &st, "recording the experiment", err, errlen);
    if (rc != RESULTS_OK) return rc;
    results_bind_text(st, 1, s->scenario_file);
    results_bind_text(st, 2, s->scenario_text);
    results_bind_text(st, 3, hash);
    results_bind_text(st, 4, s->overrides);
    results_bind_text(st, 5, grid_text);
    results_bind_text(st, 6, s->mode);
    if (isnan(s->precision)) sqlite3_bind_null(st, 7);
    else sqlite3_bind_double(st, 7, s->precision);
    if (s->max_reps) sqlite3_bind_int64(st, 8, s->max_reps);
    else sqlite3_bind_null(st, 8);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)g->npoints);
    results_bind_text(st, 10, s->command_line);
    results_bind_text(st, 11, STALESIM_VERSION);
    results_bind_text(st, 12, when);
    results_bind_text(st, 13, s->rare);
    rc = results_step_done(r, st, "recording the experiment", err, errlen);
    sqlite3_finalize(st);
    if (rc != RESULTS_OK) return rc;
    *id = sqlite3_last_insert_rowid(r->db);

    rc = results_prepare(r, "INSERT INTO vary(experiment, position, key, spec, "
                            "n_values) VALUES (?,?,?,?,?)",
                         &st, "recording the grid", err, errlen);
    if (rc != RESULTS_OK) return rc;
    for (size_t a = 0; a < g->naxes && rc == RESULTS_OK; a++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, *id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)a);
        results_bind_text(st, 3, g->axis[a].key);
        results_bind_text(st, 4, g->axis[a].spec);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)g->axis[a].n);
        rc = results_step_done(r, st, "recording the grid", err, errlen);
    }
    sqlite3_finalize(st);
    if (rc != RESULTS_OK) return rc;

    sqlite3_stmt *pv = NULL;
    rc = results_prepare(r, "INSERT INTO points(experiment, idx, label, reps_target) "
                            "VALUES (?,?,?,?)",
                         &st, "recording the points", err, errlen);
    if (rc == RESULTS_OK)
        rc = results_prepare(r, "INSERT INTO point_values(point, key, value, "
                                "value_num) VALUES (?,?,?,?)",
                             &pv, "recording the point values", err, errlen);
    char label[2048];
    for (size_t p = 0; p < g->npoints && rc == RESULTS_OK; p++) {
        grid_point_label(g, p, label, sizeof label);
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, *id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)p);
        results_bind_text(st, 3, label);
        sqlite3_bind_int64(st, 4, s->reps_target[p]);
        rc = results_step_done(r, st, "recording the points", err, errlen);
        if (rc != RESULTS_OK) break;
        point_id[p] = sqlite3_last_insert_rowid(r->db);
        for (size_t a = 0; a < g->naxes && rc == RESULTS_OK; a++) {
            size_t v = grid_value_index(g, p, a);
            sqlite3_reset(pv);
            sqlite3_bind_int64(pv, 1, point_id[p]);
            results_bind_text(pv, 2, g->axis[a].key);
            results_bind_text(pv, 3, g->axis[a].value[v]);
            sqlite3_bind_double(pv, 4, g->axis[a].num[v]); /* NaN -> NULL */
            rc = results_step_done(r, pv, "recording the point values", err, errlen);
        }
    }
    sqlite3_finalize(st);
    sqlite3_finalize(pv);
    return rc;
}

int results_experiment_open(results *r, const results_experiment_spec *s,
                            int64_t *id, int *resumed, int64_t *point_id,
                            char *err, size_t errlen) {
    char hash[17];
    results_hash_text(s->scenario_text, hash);
    char *grid_text = grid_describe(s->grid);
    if (!grid_text) {
        sim_errf(err, errlen, "%s: out of memory", r->path);
        return RESULTS_EIO;
    }
    sqlite3_stmt *st = NULL;
    int rc = results_exec(r, "BEGIN IMMEDIATE", "starting the experiment", err, errlen);
    if (rc != RESULTS_OK) {
        free(grid_text);
        return rc;
    }
    rc = results_prepare(r,
                         "SELECT id, points FROM experiments WHERE scenario_hash = ? "
                         "AND scenario_text = ? AND overrides = ? AND grid = ? AND "
                         "mode = ? AND stalesim_version = ? AND rare = ? "
                         "ORDER BY id DESC LIMIT 1",
                         &st, "looking for the experiment", err, errlen);
    if (rc != RESULTS_OK) goto out;
    results_bind_text(st, 1, hash);
    results_bind_text(st, 2, s->scenario_text);
    results_bind_text(st, 3, s->overrides);
    results_bind_text(st, 4, grid_text);
    results_bind_text(st, 5, s->mode);
    /* another version's runs are other numbers: never resumed into */
    results_bind_text(st, 6, STALESIM_VERSION);
    /* a plain and a boosted sweep are different experiments */
    results_bind_text(st, 7, s->rare);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *resumed = 1;
        rc = load_point_ids(r, *id, s->grid->npoints, point_id, err, errlen);
    } else if (step == SQLITE_DONE) {
        *resumed = 0;
        rc = insert_experiment(r, s, hash, grid_text, id, point_id, err,
                               errlen);
    } else {
        rc = results_sql_fail(r, "looking for the experiment", err, errlen);
    }
    sqlite3_finalize(st);
    if (rc == RESULTS_OK)
        rc = results_exec(r, "COMMIT", "committing the experiment", err, errlen);
out:
    if (rc != RESULTS_OK) results_rollback(r);
    free(grid_text);
    return rc;
}

int results_each_stored_run(results *r, int64_t id, results_run_fn fn,
                            void *arg, char *err, size_t errlen) {
    sqlite3_stmt *st;
    int rc = results_prepare(r,
                             "SELECT p.idx, r.rep, r.stale_read_fraction FROM runs r "
                             "JOIN points p ON p.id = r.point WHERE p.experiment = ? "
                             "ORDER BY p.idx, r.rep",
                             &st, "reading the stored runs", err, errlen);
    if (rc != RESULTS_OK) return rc;
    sqlite3_bind_int64(st, 1, id);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        double f = sqlite3_column_type(st, 2) == SQLITE_NULL
                       ? NAN : sqlite3_column_double(st, 2);
        if (fn(arg, (uint32_t)sqlite3_column_int64(st, 0),
               (uint32_t)sqlite3_column_int64(st, 1), f) != 0) {
            step = SQLITE_DONE;
            break;
        }
    }
    if (step != SQLITE_DONE) rc = results_sql_fail(r, "reading the stored runs", err, errlen);
    sqlite3_finalize(st);
    return rc;
}

/* ---- runs ----------------------------------------------------------------------- */

static char *insert_run_sql(const results *r) {
    (void)r;
    size_t len = 256;
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        len += strlen(world_metric_name((world_metric)m)) + 8;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    p += sprintf(p, "INSERT INTO runs(point, rep, seed");
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        p += sprintf(p, ", \"%s\"", world_metric_name((world_metric)m));
    p += sprintf(p, ", events, wall_s, finished_at) VALUES (?, ?, ?");
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) p += sprintf(p, ", ?");
    sprintf(p, ", ?, ?, ?) ON CONFLICT (point, rep) DO NOTHING");
    return s;
}

/* The statement from a generated SQL text. */
sqlite3_stmt *results_cached_gen(results *r, int which,
                                char *(*gen)(const results *),
                                const char *what, char *err, size_t errlen) {
    if (r->st[which]) return results_cached(r, which, NULL, what, err, errlen);
    char *sql = gen(r);
    if (!sql) {
        sim_errf(err, errlen, "%s: out of memory", r->path);
        return NULL;
    }
    sqlite3_stmt *st = results_cached(r, which, sql, what, err, errlen);
    free(sql);
    return st;
}

/* A distribution of the totals (family NULL) or of a family. */
int results_write_dist(results *r, int64_t run, const char *family,
                      const char *name, const sim_hist *h, char *err,
                      size_t errlen) {
    const char *what = "storing a distribution";
    sqlite3_stmt *st;
    int rc, c0 = family ? 1 : 0; /* family: one more column after run */
    if (h->tally.n > 0) {
        st = family
                 ? results_cached(r, RESULTS_ST_INSERT_FSTAT,
                          "INSERT INTO family_dist_stats(run, family, name, "
                          "n, mean_ns, m2_ns2, min_ns, max_ns) VALUES "
                          "(?,?,?,?,?,?,?,?)",
                          what, err, errlen)
                 : results_cached(r, RESULTS_ST_INSERT_STAT,
                          "INSERT INTO dist_stats(run, name, n, mean_ns, "
                          "m2_ns2, min_ns, max_ns) VALUES (?,?,?,?,?,?,?)",
                          what, err, errlen);
        if (!st) return RESULTS_EIO;
        sqlite3_bind_int64(st, 1, run);
        if (family) sqlite3_bind_text(st, 2, family, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, c0 + 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, c0 + 3, (sqlite3_int64)h->tally.n);
        sqlite3_bind_double(st, c0 + 4, h->tally.mean);
        sqlite3_bind_double(st, c0 + 5, h->tally.m2);
        sqlite3_bind_double(st, c0 + 6, h->tally.min);
        sqlite3_bind_double(st, c0 + 7, h->tally.max);
        if ((rc = results_step_done(r, st, what, err, errlen)) != RESULTS_OK) return rc;
    }
    for (int i = -1; i < SIM_HIST_BINS; i++) {
        uint64_t c = i < 0 ? h->zeros : h->bins[i];
        if (c == 0) continue;
        double lo = 0, hi = 0;
        if (i >= 0) sim_hist_bin_bounds(i, &lo, &hi);
        st = family
                 ? results_cached(r, RESULTS_ST_INSERT_FBIN,
                          "INSERT INTO family_distributions(run, family, "
                          "name, bin, lo_s, hi_s, count) VALUES "
                          "(?,?,?,?,?,?,?)",
                          what, err, errlen)
                 : results_cached(r, RESULTS_ST_INSERT_BIN,
                          "INSERT INTO distributions(run, name, bin, lo_s, "
                          "hi_s, count) VALUES (?,?,?,?,?,?)",
                          what, err, errlen);
        if (!st) return RESULTS_EIO;
        sqlite3_bind_int64(st, 1, run);
        if (family) sqlite3_bind_text(st, 2, family, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, c0 + 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, c0 + 3, i);
        sqlite3_bind_double(st, c0 + 4, lo / 1e9);
        sqlite3_bind_double(st, c0 + 5, hi / 1e9);
        sqlite3_bind_int64(st, c0 + 6, (sqlite3_int64)c);
        if ((rc = results_step_done(r, st, what, err, errlen)) != RESULTS_OK) return rc;
    }
    return RESULTS_OK;
}

int results_write_run(results *r, int64_t point_id, uint32_t rep,
                      uint64_t seed, const world_result *res, char *err,
                      size_t errlen) {
    /* Inside a caller's transaction (a merge batching runs) the run is a
     * savepoint of it, still all or nothing. */
    int nested = !sqlite3_get_autocommit(r->db);
    int rc = results_exec(r, nested ? "SAVEPOINT write_run" : "BEGIN IMMEDIATE",
                          "starting to store a run", err, errlen);
    if (rc != RESULTS_OK) return rc;
    const char *what = "storing a run";
    sqlite3_stmt *st = results_cached_gen(r, RESULTS_ST_INSERT_RUN, insert_run_sql, what, err,
                                  errlen);
    if (!st) {
        rc = RESULTS_EIO;
        goto fail;
    }
    char when[32];
    now_iso(when, sizeof when);
    int col = 1;
    sqlite3_bind_int64(st, col++, point_id);
    sqlite3_bind_int64(st, col++, rep);
    sqlite3_bind_int64(st, col++, (sqlite3_int64)seed);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        sqlite3_bind_double(st, col++, res->metric[m]); /* NaN -> NULL */
    sqlite3_bind_int64(st, col++, (sqlite3_int64)res->events);
    sqlite3_bind_double(st, col++, res->wall_s);
    sqlite3_bind_text(st, col++, when, -1, SQLITE_TRANSIENT);
    if ((rc = results_step_done(r, st, what, err, errlen)) != RESULTS_OK) goto fail;
    if (sqlite3_changes(r->db) == 0) {
        sim_errf(err, errlen, "%s: run %u of point %lld is already stored",
             r->path, rep, (long long)point_id);
        rc = RESULTS_EXISTS;
        goto fail;
    }
    int64_t run = sqlite3_last_insert_rowid(r->db);
    if ((rc = results_rare_write(r, run, res, err, errlen)) != RESULTS_OK)
        goto fail;
    for (int d = 0; d < WORLD_DIST_COUNT; d++) {
        rc = results_write_dist(r, run, NULL, world_dist_name((world_dist)d),
                        &res->dist[d], err, errlen);
        if (rc != RESULTS_OK) goto fail;
    }
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) {
        if (!res->stale_by_cause[c] && !res->over_bound_by_cause[c]) continue;
        st = results_cached(r, RESULTS_ST_INSERT_CAUSE,
                    "INSERT INTO causes(run, cause, stale_reads, "
                    "over_bound_reads) VALUES (?,?,?,?)",
                    what, err, errlen);
        if (!st) {
            rc = RESULTS_EIO;
            goto fail;
        }
        sqlite3_bind_int64(st, 1, run);
        sqlite3_bind_text(st, 2, oracle_cause_name((oracle_cause)c), -1,
                          SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)res->stale_by_cause[c]);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)res->over_bound_by_cause[c]);
        if ((rc = results_step_done(r, st, what, err, errlen)) != RESULTS_OK) goto fail;
    }
    if ((rc = results_family_write(r, run, res, err, errlen)) != RESULTS_OK)
        goto fail;
    st = results_cached(r, RESULTS_ST_COUNT_DONE,
                "UPDATE points SET reps_done = reps_done + 1 WHERE id = ?",
                what, err, errlen);
    if (!st) {
        rc = RESULTS_EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, point_id);
    if ((rc = results_step_done(r, st, what, err, errlen)) != RESULTS_OK) goto fail;
    if (sqlite3_changes(r->db) != 1) {
        sim_errf(err, errlen, "%s: point %lld does not exist", r->path,
             (long long)point_id);
        rc = RESULTS_EIO;
        goto fail;
    }
    if (nested)
        return results_exec(r, "RELEASE write_run", "storing a run", err,
                            errlen);
    return results_exec(r, "COMMIT", "committing a run", err, errlen);
fail:
    if (nested)
        sqlite3_exec(r->db, "ROLLBACK TO write_run; RELEASE write_run", NULL,
                     NULL, NULL);
    else
        results_rollback(r);
    return rc;
}

int results_point_done(results *r, int64_t point_id, int hit_cap,
                       double rel_halfwidth, char *err, size_t errlen) {
    sqlite3_stmt *st;
    int rc = results_prepare(r, "UPDATE points SET done = 1, hit_cap = ?, "
                                "rel_halfwidth = ? WHERE id = ?",
                             &st, "marking a point done", err, errlen);
    if (rc != RESULTS_OK) return rc;
    sqlite3_bind_int(st, 1, hit_cap ? 1 : 0);
    sqlite3_bind_double(st, 2, rel_halfwidth); /* NaN -> NULL */
    sqlite3_bind_int64(st, 3, point_id);
    rc = results_step_done(r, st, "marking a point done", err, errlen);
    sqlite3_finalize(st);
    return rc;
}

int results_begin(results *r, char *err, size_t errlen) {
    return results_exec(r, "BEGIN IMMEDIATE", "starting a transaction", err, errlen);
}

int results_commit(results *r, char *err, size_t errlen) {
    int rc = results_exec(r, "COMMIT", "committing", err, errlen);
    if (rc != RESULTS_OK) results_rollback(r);
    return rc;
}


int results_experiment_finished(results *r, int64_t id, char *err,
                                size_t errlen) {
    sqlite3_stmt *st;
    int rc = results_prepare(r, "UPDATE experiments SET finished_at = ? WHERE id = ? "
                            "AND finished_at IS NULL",
                             &st, "marking the experiment finished", err, errlen);
    if (rc != RESULTS_OK) return rc;
    char when[32];
    now_iso(when, sizeof when);
    results_bind_text(st, 1, when);
    sqlite3_bind_int64(st, 2, id);
    rc = results_step_done(r, st, "marking the experiment finished", err, errlen);
    sqlite3_finalize(st);
    return rc;
}
