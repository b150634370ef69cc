/* Internals of the SQLite results store shared by its files: results.c
 * (schema, experiments, writing runs), results_read.c (reading them back),
 * results_family.c (the per-family tables), results_reuse.c and
 * results_study.c.  Not for use outside experiments/results*.c. */
#ifndef STALESIM_EXPERIMENTS_RESULTS_INTERNAL_H
#define STALESIM_EXPERIMENTS_RESULTS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "experiments/results.h"
#include "sim/stats.h"
#include "sim/errf.h"

#define BUSY_TIMEOUT_MS 30000

/* Statements kept on the handle (prepared on first use). */
enum {
    RESULTS_ST_INSERT_RUN,
    RESULTS_ST_INSERT_BIN,
    RESULTS_ST_INSERT_STAT,
    RESULTS_ST_INSERT_CAUSE,
    RESULTS_ST_COUNT_DONE,
    RESULTS_ST_SELECT_RUN,
    RESULTS_ST_SELECT_BINS,
    RESULTS_ST_SELECT_STATS,
    RESULTS_ST_SELECT_CAUSES,
    RESULTS_ST_INSERT_FRUN,
    RESULTS_ST_INSERT_FBIN,
    RESULTS_ST_INSERT_FSTAT,
    RESULTS_ST_INSERT_FCAUSE,
    RESULTS_ST_SELECT_FRUNS,
    RESULTS_ST_SELECT_FBINS,
    RESULTS_ST_SELECT_FSTATS,
    RESULTS_ST_SELECT_FCAUSES,
    RESULTS_ST_UPDATE_RARE,
    RESULTS_ST_COUNT
};

struct results {
    sqlite3 *db;
    char *path;
    int read_only;
    int has_metric[WORLD_METRIC_COUNT]; /* runs has this metric's column */
    int has_families;        /* the family_* tables exist */
    int has_fmetric[WORLD_METRIC_COUNT]; /* family_runs has this metric's column */
    int has_ffigure[WORLD_FIGURE_COUNT]; /* ... and this figure's */
    int has_over_causes;      /* causes has over_bound_reads */
    int has_fover_causes;     /* family_causes has over_bound_reads */
    int has_rare_runs;        /* runs has the rare_* columns read back */
    int has_rare_ess;         /* ... and rare_ess (written only) */
    int has_rare_exp;         /* experiments has rare */
    sqlite3_stmt *st[RESULTS_ST_COUNT];
    /* The first failure to grow the file (results_space.c): 0 none,
     * RESULTS_SPACE_FULL no room, RESULTS_SPACE_IOERR a checkpoint's other
     * I/O error.  Once set, no commit succeeds. */
    int space_failed;
    char space_why[160];  /* e.g. "the disk is full (SQLITE_FULL)" */
    char space_what[128]; /* what was being done, e.g. "committing a run" */
};

enum { RESULTS_SPACE_FULL = 1, RESULTS_SPACE_IOERR = 2 };

/* Helpers of results.c.  Errors fill err with "FILE: sqlite: MSG (while
 * WHAT)" and return a RESULTS_* code. */
int results_sql_fail(results *r, const char *what, char *err, size_t errlen);
int results_exec(results *r, const char *sql, const char *what, char *err,
                 size_t errlen);
/* A statement of one's own (finalize it); *st NULL on failure. */
int results_prepare(results *r, const char *sql, sqlite3_stmt **st,
                    const char *what, char *err, size_t errlen);
/* One integer from a single-row query (0 when it has no row). */
int results_query_int(results *r, const char *sql, int64_t *out,
                      const char *what, char *err, size_t errlen);
/* Statement `which`, prepared from sql on first use (NULL on failure). */
sqlite3_stmt *results_cached(results *r, int which, const char *sql,
                             const char *what, char *err, size_t errlen);
/* The same with SQL made by gen (which allocates it). */
sqlite3_stmt *results_cached_gen(results *r, int which,
                                 char *(*gen)(const results *),
                                 const char *what, char *err, size_t errlen);
int results_step_done(results *r, sqlite3_stmt *st, const char *what,
                      char *err, size_t errlen);
int results_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Stores a histogram's nonzero bins and its exact tally for a run (and a
 * family, or NULL for the totals). */
int results_write_dist(results *r, int64_t run, const char *family,
                       const char *name, const sim_hist *h, char *err,
                       size_t errlen);
int results_table_exists(results *r, const char *name);
int results_has_column(results *r, const char *table, const char *col);
int results_dist_index(const char *name);
int results_cause_index(const char *name);
/* A REAL column, NULL read as NaN. */
double results_column_real(sqlite3_stmt *st, int i);
/* 1 when a histogram read back from a file is whole: its bin counts (and
 * zeros) add up to its tally's n without overflow.  A crafted or damaged
 * file may break that, and the quantiles assume it. */
int results_hist_whole(const sim_hist *h);

/* results_space.c: a writing connection's own checkpoints, and the first
 * failure to grow the file.  watch: installs the WAL and commit hooks
 * (opened for writing).  fail: when the connection's last error is lack
 * of room, or such a failure is recorded, fills err ("FILE: cannot grow:
 * WHY (while WHAT)"), records it and returns 1; else 0. */
void results_space_watch(results *r);
int results_space_fail(results *r, const char *what, char *err,
                       size_t errlen);

/* results_family.c: the per-family tables. */
void results_family_probe(results *r);
int results_family_ensure(results *r, char *err, size_t errlen);
int results_family_write(results *r, int64_t run, const world_result *res,
                         char *err, size_t errlen);
int results_family_read(results *r, int64_t run, world_result *out,
                        char *err, size_t errlen);

/* results_rare.c: rare-event runs (its comment says what is stored).
 * probe: which columns the file has; ensure: adds the missing ones (file
 * opened for writing); write: a run's rare_* figures, after its runs row
 * `run` is inserted (nothing for a plain run); select: the SQL of the run
 * columns to append to a SELECT of runs (NULLs without them); read: those
 * columns from `col` on into out (a plain run: boost and figures 0);
 * exp_column: the experiments column to read ('' without it). */
void results_rare_probe(results *r);
int results_rare_ensure(results *r, char *err, size_t errlen);
int results_rare_write(results *r, int64_t run, const world_result *res,
                       char *err, size_t errlen);
const char *results_rare_select(const results *r);
void results_rare_read(sqlite3_stmt *st, int col, world_result *out);
const char *results_rare_exp_column(const results *r);

/* results_study.c: the study tables, created when opened for writing. */
int results_study_ensure(results *r, char *err, size_t errlen);

#endif
