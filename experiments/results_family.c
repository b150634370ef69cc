/* The SQLite results store, per key family: the family_runs,
 * family_causes, family_distributions and family_dist_stats tables (see
 * results.c for the rest and README for the schema).  A run with families
 * stores one row per family beside its totals, in the same transaction. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/results_internal.h"

/* The per-family tables (key families, docs/families.md).  A file of this
 * schema version written before families existed gets them when it is opened
 * for writing (CREATE TABLE IF NOT EXISTS); a reader of a file without them
 * sees no families.  family_runs has one REAL column per metric and per
 * family figure, additive like the metric columns of runs. */
static const char family_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS family_causes (\n"
    "  run INTEGER NOT NULL REFERENCES runs(id),\n"
    "  family TEXT NOT NULL,\n"
    "  cause TEXT NOT NULL,\n"
    "  stale_reads INTEGER NOT NULL,\n"
    "  over_bound_reads INTEGER,\n"
    "  PRIMARY KEY (run, family, cause)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS family_distributions (\n"
    "  run INTEGER NOT NULL REFERENCES runs(id),\n"
    "  family TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  bin INTEGER NOT NULL,\n"
    "  lo_s REAL NOT NULL,\n"
    "  hi_s REAL NOT NULL,\n"
    "  count INTEGER NOT NULL,\n"
    "  PRIMARY KEY (run, family, name, bin)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS family_dist_stats (\n"
    "  run INTEGER NOT NULL REFERENCES runs(id),\n"
    "  family TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  n INTEGER NOT NULL,\n"
    "  mean_ns REAL NOT NULL,\n"
    "  m2_ns2 REAL NOT NULL,\n"
    "  min_ns REAL,\n"
    "  max_ns REAL,\n"
    "  PRIMARY KEY (run, family, name)) WITHOUT ROWID;\n";

static char *family_runs_table_sql(void) {
    size_t len = 512;
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        len += strlen(world_metric_name((world_metric)m)) + 16;
    for (int g = 0; g < WORLD_FIGURE_COUNT; g++)
        len += strlen(world_family_figure_name((world_family_figure)g)) + 16;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    p += sprintf(p, "CREATE TABLE IF NOT EXISTS family_runs (\n"
                    "  run INTEGER NOT NULL REFERENCES runs(id),\n"
                    "  idx INTEGER NOT NULL,\n"
                    "  family TEXT NOT NULL,\n");
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        p += sprintf(p, "  \"%s\" REAL,\n", world_metric_name((world_metric)m));
    for (int g = 0; g < WORLD_FIGURE_COUNT; g++)
        p += sprintf(p, "  \"%s\" REAL,\n",
                     world_family_figure_name((world_family_figure)g));
    sprintf(p, "  PRIMARY KEY (run, idx),\n"
               "  UNIQUE (run, family));\n");
    return s;
}

/* Which family tables and columns the file has. */
void results_family_probe(results *r) {
    r->has_families = results_table_exists(r, "family_runs") &&
                      results_table_exists(r, "family_causes") &&
                      results_table_exists(r, "family_distributions") &&
                      results_table_exists(r, "family_dist_stats");
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        r->has_fmetric[m] =
            r->has_families &&
            results_has_column(r, "family_runs", world_metric_name((world_metric)m));
    for (int g = 0; g < WORLD_FIGURE_COUNT; g++)
        r->has_ffigure[g] =
            r->has_families &&
            results_has_column(r, "family_runs",
                       world_family_figure_name((world_family_figure)g));
    r->has_fover_causes =
        r->has_families &&
        results_has_column(r, "family_causes", "over_bound_reads");
}

/* Creates the family tables if missing and adds missing columns (writers). */
int results_family_ensure(results *r, char *err, size_t errlen) {
    results_family_probe(r);
    int complete = r->has_families;
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) complete &= r->has_fmetric[m];
    for (int g = 0; g < WORLD_FIGURE_COUNT; g++) complete &= r->has_ffigure[g];
    complete &= r->has_fover_causes;
    if (complete) return RESULTS_OK;
    char *runs = family_runs_table_sql();
    if (!runs) {
        sim_errf(err, errlen, "%s: out of memory", r->path);
        return RESULTS_EIO;
    }
    int rc = results_exec(r, "BEGIN IMMEDIATE", "adding the family tables", err,
                  errlen);
    if (rc == RESULTS_OK)
        rc = results_exec(r, family_schema_sql, "adding the family tables", err,
                  errlen);
    if (rc == RESULTS_OK)
        rc = results_exec(r, runs, "adding table family_runs", err, errlen);
    free(runs);
    for (int i = 0; i < WORLD_METRIC_COUNT + WORLD_FIGURE_COUNT && rc == RESULTS_OK; i++) {
        const char *name =
            i < WORLD_METRIC_COUNT ? world_metric_name((world_metric)i)
                        : world_family_figure_name((world_family_figure)(i - WORLD_METRIC_COUNT));
        if (results_has_column(r, "family_runs", name)) continue;
        char sql[256];
        snprintf(sql, sizeof sql,
                 "ALTER TABLE family_runs ADD COLUMN \"%s\" REAL", name);
        rc = results_exec(r, sql, "adding a family metric column", err, errlen);
    }
    /* family_causes from before the causes of over-bound reads were stored */
    if (rc == RESULTS_OK &&
        !results_has_column(r, "family_causes", "over_bound_reads"))
        rc = results_exec(r, "ALTER TABLE family_causes ADD COLUMN "
                             "over_bound_reads INTEGER",
                          "adding family_causes.over_bound_reads", err, errlen);
    if (rc == RESULTS_OK)
        rc = results_exec(r, "COMMIT", "adding the family tables", err, errlen);
    if (rc != RESULTS_OK) {
        results_rollback(r);
        return rc;
    }
    results_family_probe(r);
    return RESULTS_OK;
}

static char *insert_family_run_sql(const results *r) {
    (void)r;
    size_t len = 256;
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        len += strlen(world_metric_name((world_metric)m)) + 8;
    for (int g = 0; g < WORLD_FIGURE_COUNT; g++)
        len += strlen(world_family_figure_name((world_family_figure)g)) + 8;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    p += sprintf(p, "INSERT INTO family_runs(run, idx, family");
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        p += sprintf(p, ", \"%s\"", world_metric_name((world_metric)m));
    for (int g = 0; g < WORLD_FIGURE_COUNT; g++)
        p += sprintf(p, ", \"%s\"",
                     world_family_figure_name((world_family_figure)g));
    p += sprintf(p, ") VALUES (?, ?, ?");
    for (int m = 0; m < WORLD_METRIC_COUNT + WORLD_FIGURE_COUNT; m++) p += sprintf(p, ", ?");
    sprintf(p, ")");
    return s;
}

/* SELECT of a run's families; columns the file lacks read as NULL. */
static char *select_family_runs_sql(const results *r) {
    size_t len = 256;
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        len += strlen(world_metric_name((world_metric)m)) + 8;
    for (int g = 0; g < WORLD_FIGURE_COUNT; g++)
        len += strlen(world_family_figure_name((world_family_figure)g)) + 8;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    p += sprintf(p, "SELECT idx, family");
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        p += r->has_fmetric[m]
                 ? sprintf(p, ", \"%s\"", world_metric_name((world_metric)m))
                 : sprintf(p, ", NULL");
    for (int g = 0; g < WORLD_FIGURE_COUNT; g++)
        p += r->has_ffigure[g]
                 ? sprintf(p, ", \"%s\"",
                           world_family_figure_name((world_family_figure)g))
                 : sprintf(p, ", NULL");
    sprintf(p, " FROM family_runs WHERE run = ? ORDER BY idx");
    return s;
}

/* The per-family rows of a run: family_runs, family_causes,
 * family_distributions and family_dist_stats. */
int results_family_write(results *r, int64_t run, const world_result *res,
                          char *err, size_t errlen) {
    const char *what = "storing a run's families";
    int rc = RESULTS_OK;
    if (res->nfamilies <= 0) return RESULTS_OK;
    if (!r->has_families) {
        sim_errf(err, errlen, "%s: no family tables (opened read-only?)", r->path);
        return RESULTS_EIO;
    }
    for (int f = 0; f < res->nfamilies && f < WORLD_MAX_FAMILIES; f++) {
        const char *name = res->family_name[f];
        sqlite3_stmt *st = results_cached_gen(r, RESULTS_ST_INSERT_FRUN, insert_family_run_sql,
                                      what, err, errlen);
        if (!st) return RESULTS_EIO;
        int col = 1;
        sqlite3_bind_int64(st, col++, run);
        sqlite3_bind_int(st, col++, f);
        sqlite3_bind_text(st, col++, name, -1, SQLITE_STATIC);
        for (int m = 0; m < WORLD_METRIC_COUNT; m++)
            sqlite3_bind_double(st, col++, res->family_metric[f][m]);
        for (int g = 0; g < WORLD_FIGURE_COUNT; g++)
            sqlite3_bind_double(st, col++, res->family_figure[f][g]);
        if ((rc = results_step_done(r, st, what, err, errlen)) != RESULTS_OK) return rc;
        for (int d = 0; d < WORLD_FDIST_COUNT; d++) {
            rc = results_write_dist(r, run, name,
                            world_dist_name(world_family_dist[d]),
                            &res->family_dist[f][d], err, errlen);
            if (rc != RESULTS_OK) return rc;
        }
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) {
            if (!res->family_causes[f][c] && !res->family_over_causes[f][c])
                continue;
            st = results_cached(r, RESULTS_ST_INSERT_FCAUSE,
                        "INSERT INTO family_causes(run, family, cause, "
                        "stale_reads, over_bound_reads) VALUES (?,?,?,?,?)",
                        what, err, errlen);
            if (!st) return RESULTS_EIO;
            sqlite3_bind_int64(st, 1, run);
            sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, oracle_cause_name((oracle_cause)c), -1,
                              SQLITE_STATIC);
            sqlite3_bind_int64(st, 4, (sqlite3_int64)res->family_causes[f][c]);
            sqlite3_bind_int64(st, 5,
                               (sqlite3_int64)res->family_over_causes[f][c]);
            if ((rc = results_step_done(r, st, what, err, errlen)) != RESULTS_OK)
                return rc;
        }
    }
    return RESULTS_OK;
}

static int family_index(const world_result *out, const char *name) {
    for (int f = 0; name && f < out->nfamilies; f++)
        if (strcmp(out->family_name[f], name) == 0) return f;
    return -1;
}

static int family_dist_index(const char *name) {
    for (int d = 0; name && d < WORLD_FDIST_COUNT; d++)
        if (strcmp(name, world_dist_name(world_family_dist[d])) == 0) return d;
    return -1;
}

/* The per-family rows of run into out (nfamilies 0 when it has none). */
int results_family_read(results *r, int64_t run, world_result *out,
                         char *err, size_t errlen) {
    const char *what = "reading a run's families";
    out->nfamilies = 0;
    if (!r->has_families) return RESULTS_OK;
    sqlite3_stmt *st = results_cached_gen(r, RESULTS_ST_SELECT_FRUNS, select_family_runs_sql,
                                  what, err, errlen);
    if (!st) return RESULTS_EIO;
    sqlite3_bind_int64(st, 1, run);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW &&
           out->nfamilies < WORLD_MAX_FAMILIES) {
        int f = out->nfamilies++;
        const unsigned char *t = sqlite3_column_text(st, 1);
        snprintf(out->family_name[f], sizeof out->family_name[f], "%s",
                 t ? (const char *)t : "?");
        for (int m = 0; m < WORLD_METRIC_COUNT; m++)
            out->family_metric[f][m] = results_column_real(st, 2 + m);
        for (int g = 0; g < WORLD_FIGURE_COUNT; g++)
            out->family_figure[f][g] = results_column_real(st, 2 + WORLD_METRIC_COUNT + g);
        memset(out->family_causes[f], 0, sizeof out->family_causes[f]);
        memset(out->family_over_causes[f], 0,
               sizeof out->family_over_causes[f]);
        for (int d = 0; d < WORLD_FDIST_COUNT; d++) sim_hist_init(&out->family_dist[f][d]);
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE && step != SQLITE_ROW)
        return results_sql_fail(r, what, err, errlen);
    if (out->nfamilies == 0) return RESULTS_OK;

    st = results_cached(r, RESULTS_ST_SELECT_FBINS,
                "SELECT family, name, bin, count FROM family_distributions "
                "WHERE run = ?", what, err, errlen);
    if (!st) return RESULTS_EIO;
    sqlite3_bind_int64(st, 1, run);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int f = family_index(out, (const char *)sqlite3_column_text(st, 0));
        int d = family_dist_index((const char *)sqlite3_column_text(st, 1));
        int64_t bin = sqlite3_column_int64(st, 2);
        uint64_t c = (uint64_t)sqlite3_column_int64(st, 3);
        if (f < 0 || d < 0 || bin < -1 || bin >= SIM_HIST_BINS) continue;
        if (bin < 0) out->family_dist[f][d].zeros = c;
        else out->family_dist[f][d].bins[bin] = c;
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return results_sql_fail(r, what, err, errlen);

    st = results_cached(r, RESULTS_ST_SELECT_FSTATS,
                "SELECT family, name, n, mean_ns, m2_ns2, min_ns, max_ns FROM "
                "family_dist_stats WHERE run = ?", what, err, errlen);
    if (!st) return RESULTS_EIO;
    sqlite3_bind_int64(st, 1, run);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int f = family_index(out, (const char *)sqlite3_column_text(st, 0));
        int d = family_dist_index((const char *)sqlite3_column_text(st, 1));
        if (f < 0 || d < 0) continue;
        sim_tally *t = &out->family_dist[f][d].tally;
        t->n = (uint64_t)sqlite3_column_int64(st, 2);
        t->mean = sqlite3_column_double(st, 3);
        t->m2 = sqlite3_column_double(st, 4);
        t->min = results_column_real(st, 5);
        t->max = results_column_real(st, 6);
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return results_sql_fail(r, what, err, errlen);
    for (int f = 0; f < out->nfamilies; f++)
        for (int d = 0; d < WORLD_FDIST_COUNT; d++)
            if (!results_hist_whole(&out->family_dist[f][d])) {
                sim_errf(err, errlen, "%s: run %lld: a histogram of family "
                         "'%s' does not add up to its count (a damaged "
                         "database)", r->path, (long long)run,
                         out->family_name[f]);
                return RESULTS_EINPUT;
            }

    st = results_cached(r, RESULTS_ST_SELECT_FCAUSES,
                r->has_fover_causes
                    ? "SELECT family, cause, stale_reads, over_bound_reads "
                      "FROM family_causes WHERE run = ?"
                    : "SELECT family, cause, stale_reads, NULL FROM "
                      "family_causes WHERE run = ?",
                what, err, errlen);
    if (!st) return RESULTS_EIO;
    sqlite3_bind_int64(st, 1, run);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int f = family_index(out, (const char *)sqlite3_column_text(st, 0));
        int c = results_cause_index((const char *)sqlite3_column_text(st, 1));
        if (f >= 0 && c >= 0) {
            out->family_causes[f][c] = (uint64_t)sqlite3_column_int64(st, 2);
            /* NULL (not recorded) reads 0: results_point_over_causes says */
            out->family_over_causes[f][c] =
                (uint64_t)sqlite3_column_int64(st, 3);
        }
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return results_sql_fail(r, what, err, errlen);
    return RESULTS_OK;
}

