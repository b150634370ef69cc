/* Reusing stored runs by configuration (see results.h).
 *
 * A replication is a pure function of its configuration (the scenario's
 * text, every resolved key after --set and --vary, the stalesim version)
 * and its replication number, so a run stored for one point serves every
 * other point of the same configuration, in this experiment or another.
 * Table point_configs maps each point to its configuration key; it is added
 * to a database on first use (older databases simply have no reusable runs
 * until their points are seen again). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/results_internal.h"

static const char configs_sql[] =
    "CREATE TABLE IF NOT EXISTS point_configs (\n"
    "  point INTEGER PRIMARY KEY REFERENCES points(id),\n"
    "  config TEXT NOT NULL);\n"
    "CREATE INDEX IF NOT EXISTS point_configs_by_config "
    "ON point_configs(config);\n";

int results_point_config(results *r, int64_t point_id, const char *config,
                         char *err, size_t errlen) {
    int rc = results_exec(r, configs_sql, "adding table point_configs", err,
                          errlen);
    if (rc != RESULTS_OK) return rc;
    sqlite3_stmt *st;
    rc = results_prepare(r,
                         "INSERT INTO point_configs(point, config) VALUES (?, ?) "
                         "ON CONFLICT(point) DO UPDATE SET config = excluded.config",
                         &st, "recording a point's configuration", err, errlen);
    if (rc != RESULTS_OK) return rc;
    sqlite3_bind_int64(st, 1, point_id);
    results_bind_text(st, 2, config);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE
               ? RESULTS_OK
               : results_sql_fail(r, "recording a point's configuration", err,
                                  errlen);
}

int results_reuse_runs(results *r, int64_t point_id, const char *config,
                       uint32_t reps, int families, uint64_t *copied,
                       char *err, size_t errlen) {
    *copied = 0;
    sqlite3_stmt *st = NULL;
    world_result *res = malloc(sizeof *res);
    if (!res) {
        sim_errf(err, errlen, "%s: out of memory", r->path);
        return RESULTS_EIO;
    }
    /* A run stored before a metric was measured has NULL in its column
     * (the writer added the columns on opening; every metric of a run is
     * finite): not whole, computed again instead. */
    char measured[WORLD_METRIC_COUNT * 64 + 1], *at = measured;
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        at += snprintf(at, 64, "AND src.\"%s\" IS NOT NULL ",
                      world_metric_name((world_metric)m));
    char sql[sizeof measured + 1536];
    /* For every replication below `reps` this point lacks, one point of the
     * same configuration that has it. */
    snprintf(sql, sizeof sql,
                "SELECT src.rep, MIN(src.point), MIN(src.seed) FROM runs src "
                "JOIN point_configs pc ON pc.point = src.point "
                "WHERE pc.config = ? AND src.point != ? AND src.rep < ? "
                "AND NOT EXISTS (SELECT 1 FROM runs mine WHERE mine.point = ? "
                "AND mine.rep = src.rep) "
                /* a run stored without its family rows (a file from before the
                 * family tables) is not whole: computed again instead */
                "AND (? = 0 OR EXISTS (SELECT 1 FROM family_runs f WHERE f.run = "
                "src.id)) "
                /* nor is a run stored before the causes of its over-bound
                 * reads were (the writer added the columns on opening) */
                "AND NOT EXISTS (SELECT 1 FROM causes c WHERE c.run = src.id "
                "AND c.over_bound_reads IS NULL) "
                "AND NOT EXISTS (SELECT 1 FROM family_causes c WHERE c.run = "
                "src.id AND c.over_bound_reads IS NULL) "
                "%sGROUP BY src.rep ORDER BY src.rep", measured);
    int rc = results_prepare(r, sql, &st, "looking for reusable runs", err,
                             errlen);
    if (rc != RESULTS_OK) goto out;
    sqlite3_bind_text(st, 1, config, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, point_id);
    sqlite3_bind_int64(st, 3, reps);
    sqlite3_bind_int64(st, 4, point_id);
    sqlite3_bind_int(st, 5, families != 0);
    /* Gather first: the copies write to the tables being read. */
    size_t n = 0, cap = 0;
    struct src { uint32_t rep; int64_t point; uint64_t seed; } *srcs = NULL;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            struct src *p = realloc(srcs, cap * sizeof *p);
            if (!p) {
                free(srcs);
                sim_errf(err, errlen, "%s: out of memory", r->path);
                rc = RESULTS_EIO;
                goto out;
            }
            srcs = p;
        }
        srcs[n].rep = (uint32_t)sqlite3_column_int64(st, 0);
        srcs[n].point = sqlite3_column_int64(st, 1);
        srcs[n].seed = (uint64_t)sqlite3_column_int64(st, 2);
        n++;
    }
    if (step != SQLITE_DONE) {
        free(srcs);
        rc = results_sql_fail(r, "looking for reusable runs", err, errlen);
        goto out;
    }
    for (size_t i = 0; i < n && rc == RESULTS_OK; i++) {
        rc = results_read_run(r, srcs[i].point, srcs[i].rep, res, err, errlen);
        if (rc == RESULTS_OK)
            rc = results_write_run(r, point_id, srcs[i].rep, srcs[i].seed, res,
                                   err, errlen);
        if (rc == RESULTS_EXISTS) rc = RESULTS_OK; /* another process */
        else if (rc == RESULTS_OK) (*copied)++;
    }
    free(srcs);
out:
    sqlite3_finalize(st);
    free(res);
    return rc;
}
