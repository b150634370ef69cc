/* Rare-event (importance-sampling) runs in the results store
 * (docs/rare-events.md, docs/sweep.md).
 *
 * A sweep with --rare stores runs whose faults were drawn at boosted
 * probabilities and whose metrics (stale_read_fraction,
 * over_max_staleness_fraction, ...) are the weighted estimates at the true
 * rates.  Such a run must never be taken for a plain one, so:
 *
 * - experiments.rare (TEXT, '' for a plain sweep, 'auto' for --rare, the
 *   number for --boost B) is part of an experiment's identity;
 * - runs.rare_boost (REAL) is the boost the run was drawn under, NULL for a
 *   plain run; beside it the run's importance-sampling figures
 *   (world_result's rare_*): rare_faults, rare_weighted_stale_reads,
 *   rare_weight_sum and rare_weight_sq_sum (the stale reads' weights summed
 *   and squared-summed: Kish's effective sample size of any set of runs is
 *   (sum of sums)^2 / (sum of sq_sums)), rare_ess (the run's own effective
 *   sample size, sum^2 / sq_sum, 0 without a stale read; derived, never
 *   read back), rare_overlaps, rare_overlap_stale_reads; all NULL for a
 *   plain run.
 *
 * Older files get the columns when opened for writing (their runs read as
 * plain: NULL boost); a file opened read-only without them reads every run
 * as plain and every experiment as ''. */
#include <stdio.h>
#include <string.h>

#include "experiments/results_internal.h"

/* The run columns, in the order of world_result's fields below. */
static const struct {
    const char *name, *type;
} rare_col[] = {
    {"rare_boost", "REAL"},
    {"rare_faults", "INTEGER"},
    {"rare_weighted_stale_reads", "INTEGER"},
    {"rare_weight_sum", "REAL"},
    {"rare_weight_sq_sum", "REAL"},
    {"rare_overlaps", "INTEGER"},
    {"rare_overlap_stale_reads", "INTEGER"},
    {"rare_ess", "REAL"}, /* written only: the run's sum^2 / sq_sum */
};
#define NRARE (sizeof rare_col / sizeof *rare_col)

/* The columns read back: all but the last (rare_ess, derived). */
#define NRARE_READ (NRARE - 1)

void results_rare_probe(results *r) {
    r->has_rare_runs = 1;
    for (size_t i = 0; i < NRARE_READ; i++)
        r->has_rare_runs &= results_has_column(r, "runs", rare_col[i].name);
    r->has_rare_ess = results_has_column(r, "runs", "rare_ess");
    r->has_rare_exp = results_has_column(r, "experiments", "rare");
}

int results_rare_ensure(results *r, char *err, size_t errlen) {
    if (r->has_rare_runs && r->has_rare_ess && r->has_rare_exp)
        return RESULTS_OK;
    const char *what = "adding the rare-event columns";
    int rc = results_exec(r, "BEGIN IMMEDIATE", what, err, errlen);
    /* another process may have added them meanwhile */
    if (rc == RESULTS_OK && !results_has_column(r, "experiments", "rare"))
        rc = results_exec(r, "ALTER TABLE experiments ADD COLUMN rare TEXT "
                             "NOT NULL DEFAULT ''",
                          what, err, errlen);
    for (size_t i = 0; i < NRARE && rc == RESULTS_OK; i++) {
        if (results_has_column(r, "runs", rare_col[i].name)) continue;
        char sql[128];
        snprintf(sql, sizeof sql, "ALTER TABLE runs ADD COLUMN %s %s",
                 rare_col[i].name, rare_col[i].type);
        rc = results_exec(r, sql, what, err, errlen);
    }
    if (rc == RESULTS_OK) rc = results_exec(r, "COMMIT", what, err, errlen);
    if (rc != RESULTS_OK) {
        results_rollback(r);
        return rc;
    }
    r->has_rare_runs = r->has_rare_ess = r->has_rare_exp = 1;
    return RESULTS_OK;
}

int results_rare_write(results *r, int64_t run, const world_result *res,
                       char *err, size_t errlen) {
    if (!(res->rare_boost > 0)) return RESULTS_OK; /* plain: NULLs */
    const char *what = "storing a run's rare-event figures";
    sqlite3_stmt *st = results_cached(
        r, RESULTS_ST_UPDATE_RARE,
        "UPDATE runs SET rare_boost = ?, rare_faults = ?, "
        "rare_weighted_stale_reads = ?, rare_weight_sum = ?, "
        "rare_weight_sq_sum = ?, rare_overlaps = ?, "
        "rare_overlap_stale_reads = ?, rare_ess = ? WHERE id = ?",
        what, err, errlen);
    if (!st) return RESULTS_EIO;
    sqlite3_bind_double(st, 1, res->rare_boost);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)res->rare_faults);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)res->rare_weighted);
    sqlite3_bind_double(st, 4, res->rare_stale_w);
    sqlite3_bind_double(st, 5, res->rare_stale_w2);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)res->rare_overlaps);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)res->rare_overlap_stale);
    sqlite3_bind_double(st, 8, res->rare_stale_w2 > 0
                                   ? res->rare_stale_w * res->rare_stale_w /
                                         res->rare_stale_w2
                                   : 0);
    sqlite3_bind_int64(st, 9, run);
    return results_step_done(r, st, what, err, errlen);
}

const char *results_rare_select(const results *r) {
    return r->has_rare_runs
               ? ", rare_boost, rare_faults, rare_weighted_stale_reads, "
                 "rare_weight_sum, rare_weight_sq_sum, rare_overlaps, "
                 "rare_overlap_stale_reads"
               : ", NULL, NULL, NULL, NULL, NULL, NULL, NULL";
}

void results_rare_read(sqlite3_stmt *st, int col, world_result *out) {
    int plain = sqlite3_column_type(st, col) == SQLITE_NULL;
    out->rare_boost = plain ? 0 : sqlite3_column_double(st, col);
    out->rare_faults = plain ? 0 : (uint64_t)sqlite3_column_int64(st, col + 1);
    out->rare_weighted =
        plain ? 0 : (uint64_t)sqlite3_column_int64(st, col + 2);
    out->rare_stale_w = plain ? 0 : sqlite3_column_double(st, col + 3);
    out->rare_stale_w2 = plain ? 0 : sqlite3_column_double(st, col + 4);
    out->rare_overlaps =
        plain ? 0 : (uint64_t)sqlite3_column_int64(st, col + 5);
    out->rare_overlap_stale =
        plain ? 0 : (uint64_t)sqlite3_column_int64(st, col + 6);
}

const char *results_rare_exp_column(const results *r) {
    return r->has_rare_exp ? "rare" : "''";
}
