/* The SQLite results store, for design answers (tune and sensitivity):
 * the studies, study_runs and study_inputs tables (docs/tune.md documents
 * them).  A study is one `stalesim tune` or `stalesim sensitivity` command;
 * its identity is its kind and the FNV-1a hash of a canonical text of what
 * decides its answer (the scenario text, the overrides, the options), so
 * running the same command again finds the same study and reuses every
 * replication it stored (resume).  Like the family tables, the study tables
 * are created when a file of this schema version is opened for writing, and
 * a reader of a file without them sees no study. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/results_internal.h"
#include "experiments/version.h"

static const char study_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS studies (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  kind TEXT NOT NULL,\n"          /* find, choose, sensitivity */
    "  spec_hash TEXT NOT NULL,\n"
    "  spec TEXT NOT NULL,\n"
    "  scenario_file TEXT NOT NULL,\n"
    "  command_line TEXT NOT NULL,\n"
    "  version TEXT NOT NULL,\n"
    "  started_at TEXT NOT NULL,\n"
    "  finished_at TEXT,\n"
    "  answer_text TEXT,\n"
    "  answer_json TEXT,\n"
    "  UNIQUE (kind, spec_hash));\n"
    "CREATE TABLE IF NOT EXISTS study_runs (\n"
    "  study INTEGER NOT NULL REFERENCES studies(id),\n"
    "  config TEXT NOT NULL,\n"
    "  rep INTEGER NOT NULL,\n"
    "  family INTEGER NOT NULL,\n"     /* -1: the totals */
    "  metric TEXT NOT NULL,\n"
    "  value REAL,\n"
    "  PRIMARY KEY (study, config, rep, family, metric)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS study_inputs (\n"
    "  study INTEGER NOT NULL REFERENCES studies(id),\n"
    "  method TEXT NOT NULL,\n"        /* oat, sobol */
    "  rank INTEGER NOT NULL,\n"
    "  key TEXT NOT NULL,\n"
    "  low TEXT NOT NULL,\n"
    "  base TEXT NOT NULL,\n"
    "  high TEXT NOT NULL,\n"
    "  y_low REAL, y_base REAL, y_high REAL,\n"
    "  effect REAL, effect_ci REAL,\n"
    "  total REAL, total_ci REAL,\n"
    "  runs INTEGER NOT NULL,\n"
    "  PRIMARY KEY (study, method, rank)) WITHOUT ROWID;\n";

static int has_study_tables(results *r) {
    return results_table_exists(r, "studies") &&
           results_table_exists(r, "study_runs") &&
           results_table_exists(r, "study_inputs");
}

int results_study_ensure(results *r, char *err, size_t errlen) {
    if (has_study_tables(r)) return RESULTS_OK;
    int rc = results_exec(r, "BEGIN IMMEDIATE", "adding the study tables", err,
                          errlen);
    if (rc == RESULTS_OK)
        rc = results_exec(r, study_schema_sql, "adding the study tables", err,
                          errlen);
    if (rc == RESULTS_OK)
        rc = results_exec(r, "COMMIT", "adding the study tables", err, errlen);
    if (rc != RESULTS_OK) results_exec(r, "ROLLBACK", "", NULL, 0);
    return rc;
}

int results_study_open(results *r, const char *kind, const char *spec,
                       const char *scenario_file, const char *command_line,
                       int64_t *id, int *resumed, char *err, size_t errlen) {
    char hash[17];
    results_hash_text(spec, hash);
    sqlite3_stmt *st = NULL;
    int rc = results_exec(r, "BEGIN IMMEDIATE", "opening a study", err, errlen);
    if (rc != RESULTS_OK) return rc;
    rc = results_prepare(r, "SELECT id FROM studies WHERE kind = ? AND spec_hash = ? "
                            "AND spec = ?", &st, "finding the study", err, errlen);
    if (rc != RESULTS_OK) goto fail;
    results_bind_text(st, 1, kind);
    results_bind_text(st, 2, hash);
    results_bind_text(st, 3, spec);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *resumed = 1;
    } else if (step != SQLITE_DONE) {
        rc = results_sql_fail(r, "finding the study", err, errlen);
        goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (step == SQLITE_DONE) {
        *resumed = 0;
        rc = results_prepare(r, "INSERT INTO studies(kind, spec_hash, spec, "
                                "scenario_file, command_line, version, started_at) "
                                "VALUES (?, ?, ?, ?, ?, ?, "
                                "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                             &st, "creating the study", err, errlen);
        if (rc != RESULTS_OK) goto fail;
        results_bind_text(st, 1, kind);
        results_bind_text(st, 2, hash);
        results_bind_text(st, 3, spec);
        results_bind_text(st, 4, scenario_file);
        results_bind_text(st, 5, command_line);
        results_bind_text(st, 6, STALESIM_VERSION);
        if ((rc = results_step_done(r, st, "creating the study", err,
                                    errlen)) != RESULTS_OK)
            goto fail;
        sqlite3_finalize(st);
        st = NULL;
        *id = sqlite3_last_insert_rowid(r->db);
    }
    return results_exec(r, "COMMIT", "opening a study", err, errlen);
fail:
    sqlite3_finalize(st);
    results_exec(r, "ROLLBACK", "", NULL, 0);
    return rc;
}

int results_study_load_config(results *r, int64_t id, const char *config,
                              results_study_value_fn fn, void *arg, char *err,
                              size_t errlen) {
    if (!has_study_tables(r)) return RESULTS_OK;
    sqlite3_stmt *st;
    int rc = results_prepare(r, "SELECT rep, family, metric, value FROM study_runs "
                                "WHERE study = ? AND config = ?",
                             &st, "reading stored runs", err, errlen);
    if (rc != RESULTS_OK) return rc;
    sqlite3_bind_int64(st, 1, id);
    results_bind_text(st, 2, config);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *metric = (const char *)sqlite3_column_text(st, 2);
        if (fn(arg, (uint32_t)sqlite3_column_int64(st, 0),
               sqlite3_column_int(st, 1), metric ? metric : "",
               results_column_real(st, 3)) != 0)
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = results_sql_fail(r, "reading stored runs", err, errlen);
    sqlite3_finalize(st);
    return rc;
}

static int bind_value(sqlite3_stmt *st, int i, double v) {
    return isnan(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

int results_study_write_run(results *r, int64_t id, const char *config,
                            uint32_t rep, const world_result *res, char *err,
                            size_t errlen) {
    sqlite3_stmt *st = NULL;
    int rc = results_exec(r, "BEGIN IMMEDIATE", "storing a run", err, errlen);
    if (rc != RESULTS_OK) return rc;
    rc = results_prepare(r, "INSERT OR REPLACE INTO study_runs(study, config, rep, "
                            "family, metric, value) VALUES (?, ?, ?, ?, ?, ?)",
                         &st, "storing a run", err, errlen);
    for (int f = -1; f < res->nfamilies && rc == RESULTS_OK; f++)
        for (int m = 0; m < WORLD_METRIC_COUNT && rc == RESULTS_OK; m++) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, id);
            results_bind_text(st, 2, config);
            sqlite3_bind_int64(st, 3, rep);
            sqlite3_bind_int(st, 4, f);
            results_bind_text(st, 5, world_metric_name((world_metric)m));
            bind_value(st, 6, f < 0 ? res->metric[m] : res->family_metric[f][m]);
            rc = results_step_done(r, st, "storing a run", err, errlen);
        }
    sqlite3_finalize(st);
    if (rc == RESULTS_OK)
        return results_exec(r, "COMMIT", "storing a run", err, errlen);
    results_exec(r, "ROLLBACK", "", NULL, 0);
    return rc;
}

int results_study_finish(results *r, int64_t id, const char *text,
                         const char *json, const results_study_input *in,
                         size_t nin, char *err, size_t errlen) {
    sqlite3_stmt *st = NULL;
    int rc = results_exec(r, "BEGIN IMMEDIATE", "storing the answer", err,
                          errlen);
    if (rc != RESULTS_OK) return rc;
    rc = results_prepare(r, "UPDATE studies SET answer_text = ?, answer_json = ?, "
                            "finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
                            "WHERE id = ?", &st, "storing the answer", err, errlen);
    if (rc == RESULTS_OK) {
        results_bind_text(st, 1, text);
        results_bind_text(st, 2, json);
        sqlite3_bind_int64(st, 3, id);
        rc = results_step_done(r, st, "storing the answer", err, errlen);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc == RESULTS_OK) {
        rc = results_prepare(r, "DELETE FROM study_inputs WHERE study = ?", &st,
                             "storing the inputs", err, errlen);
        if (rc == RESULTS_OK) {
            sqlite3_bind_int64(st, 1, id);
            rc = results_step_done(r, st, "storing the inputs", err, errlen);
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == RESULTS_OK && nin > 0)
        rc = results_prepare(r, "INSERT INTO study_inputs(study, method, rank, key, low, "
                                "base, high, y_low, y_base, y_high, effect, effect_ci, "
                                "total, total_ci, runs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                                "?, ?, ?, ?, ?, ?, ?)",
                             &st, "storing the inputs", err, errlen);
    for (size_t i = 0; i < nin && rc == RESULTS_OK; i++) {
        const results_study_input *x = &in[i];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        results_bind_text(st, 2, x->method);
        sqlite3_bind_int64(st, 3, (int64_t)i + 1);
        results_bind_text(st, 4, x->key);
        results_bind_text(st, 5, x->low);
        results_bind_text(st, 6, x->base);
        results_bind_text(st, 7, x->high);
        bind_value(st, 8, x->y_low);
        bind_value(st, 9, x->y_base);
        bind_value(st, 10, x->y_high);
        bind_value(st, 11, x->effect);
        bind_value(st, 12, x->effect_ci);
        bind_value(st, 13, x->total);
        bind_value(st, 14, x->total_ci);
        sqlite3_bind_int64(st, 15, x->runs);
        rc = results_step_done(r, st, "storing the inputs", err, errlen);
    }
    sqlite3_finalize(st);
    if (rc == RESULTS_OK)
        return results_exec(r, "COMMIT", "storing the answer", err, errlen);
    results_exec(r, "ROLLBACK", "", NULL, 0);
    return rc;
}

static char *dup_col(sqlite3_stmt *st, int i) {
    const char *s = (const char *)sqlite3_column_text(st, i);
    return strdup(s ? s : "");
}

void results_study_list_free(results_study *s, size_t n) {
    for (size_t i = 0; s && i < n; i++) {
        free(s[i].kind);
        free(s[i].scenario_file);
        free(s[i].command_line);
        free(s[i].finished_at);
        free(s[i].answer_text);
        free(s[i].answer_json);
        for (size_t k = 0; k < s[i].ninputs; k++) {
            free(s[i].input[k].method);
            free(s[i].input[k].key);
            free(s[i].input[k].low);
            free(s[i].input[k].base);
            free(s[i].input[k].high);
        }
        free(s[i].input);
    }
    free(s);
}

static int load_inputs(results *r, results_study *s, char *err,
                       size_t errlen) {
    sqlite3_stmt *st;
    int rc = results_prepare(r, "SELECT method, key, low, base, high, y_low, y_base, "
                                "y_high, effect, effect_ci, total, total_ci, runs FROM "
                                "study_inputs WHERE study = ? ORDER BY method, rank",
                             &st, "reading the inputs", err, errlen);
    if (rc != RESULTS_OK) return rc;
    sqlite3_bind_int64(st, 1, s->id);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        results_study_input *p =
            realloc(s->input, (s->ninputs + 1) * sizeof *p);
        if (!p) {
            rc = RESULTS_EIO;
            sim_errf(err, errlen, "%s: out of memory", r->path);
            break;
        }
        s->input = p;
        results_study_input *x = &p[s->ninputs++];
        memset(x, 0, sizeof *x);
        x->method = dup_col(st, 0);
        x->key = dup_col(st, 1);
        x->low = dup_col(st, 2);
        x->base = dup_col(st, 3);
        x->high = dup_col(st, 4);
        x->y_low = results_column_real(st, 5);
        x->y_base = results_column_real(st, 6);
        x->y_high = results_column_real(st, 7);
        x->effect = results_column_real(st, 8);
        x->effect_ci = results_column_real(st, 9);
        x->total = results_column_real(st, 10);
        x->total_ci = results_column_real(st, 11);
        x->runs = (uint64_t)sqlite3_column_int64(st, 12);
        if (!x->method || !x->key || !x->low || !x->base || !x->high) {
            rc = RESULTS_EIO;
            sim_errf(err, errlen, "%s: out of memory", r->path);
            break;
        }
    }
    if (rc == RESULTS_OK && step != SQLITE_DONE)
        rc = results_sql_fail(r, "reading the inputs", err, errlen);
    sqlite3_finalize(st);
    return rc;
}

int results_study_list(results *r, results_study **out, size_t *n, char *err,
                       size_t errlen) {
    *out = NULL;
    *n = 0;
    if (!has_study_tables(r)) return RESULTS_OK;
    sqlite3_stmt *st;
    int rc = results_prepare(r, "SELECT id, kind, scenario_file, command_line, "
                                "finished_at, answer_text, answer_json FROM studies "
                                "WHERE finished_at IS NOT NULL ORDER BY id",
                             &st, "reading the studies", err, errlen);
    if (rc != RESULTS_OK) return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        results_study *p = realloc(*out, (*n + 1) * sizeof *p);
        if (!p) {
            rc = RESULTS_EIO;
            break;
        }
        *out = p;
        results_study *s = &p[(*n)++];
        memset(s, 0, sizeof *s);
        s->id = sqlite3_column_int64(st, 0);
        s->kind = dup_col(st, 1);
        s->scenario_file = dup_col(st, 2);
        s->command_line = dup_col(st, 3);
        s->finished_at = dup_col(st, 4);
        s->answer_text = dup_col(st, 5);
        s->answer_json = dup_col(st, 6);
        if (!s->kind || !s->scenario_file || !s->command_line ||
            !s->finished_at || !s->answer_text || !s->answer_json) {
            rc = RESULTS_EIO;
            break;
        }
    }
    if (rc == RESULTS_EIO)
        sim_errf(err, errlen, "%s: out of memory", r->path);
    else if (step != SQLITE_DONE)
        rc = results_sql_fail(r, "reading the studies", err, errlen);
    sqlite3_finalize(st);
    for (size_t i = 0; i < *n && rc == RESULTS_OK; i++)
        rc = load_inputs(r, &(*out)[i], err, errlen);
    if (rc != RESULTS_OK) {
        results_study_list_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
