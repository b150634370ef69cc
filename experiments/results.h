/* The SQLite results store of sweeps.
 *
 * One file holds any number of experiments.  An experiment is one sweep
 * command: the scenario text and its FNV-1a 64 hash, the --set overrides, the
 * grid and the mode.  Running the same command again with the same stalesim
 * version finds the same experiment and resumes it; any other command, or
 * another version (whose replications may draw other numbers), starts a new
 * one in the same file.  Its points are the grid's points (one point_values row per varied
 * key, so SQL can filter on them), and each replication of a point is one row
 * of `runs` with one REAL column per metric named like world_metric_name(),
 * plus its histogram bins (`distributions`, `dist_stats`) and stale reads by
 * cause (`causes`: all of them, and those staler than the contract's
 * max_staleness).  docs/sweep.md documents every table and column.
 *
 * Durability: the file is in WAL mode with synchronous=FULL, and every run
 * (its runs row, its bins, its causes and the point's counter) is written in
 * one transaction, so a run is either wholly stored or absent after a crash,
 * a kill -9 or a power loss, and a committed run survives all three.  FULL
 * costs one fsync of the WAL per run, nothing next to a replication.
 *
 * Identity: the meta table (application 'stalesim', schema_version) plus
 * PRAGMA application_id and user_version.  Opening a file that is not an
 * SQLite database, an SQLite database with other tables, or a stalesim
 * database of another schema version fails with RESULTS_EINPUT and changes
 * nothing in the file.  Metric columns are additive within a schema
 * version: a build that measures a metric the file has no column for adds it
 * when it opens the file for writing (earlier runs read NULL, i.e. NaN, there),
 * and a reader treats a missing column as NULL.
 *
 * Space: a full disk or a file size limit stops the file at the first write
 * that fails, whether a commit or a checkpoint copying the WAL into the
 * file (results_space.c); every run committed before stays whole, and
 * nothing more is committed on that connection.  The error names the file
 * and the reason ("cannot grow: the disk is full (SQLITE_FULL)", "cannot
 * grow: file too large: the file size limit (ulimit -f) is N bytes").
 *
 * Every function returns 0 (RESULTS_OK) or a negative status and writes a
 * one-line message naming the file to err.  Not thread-safe: one connection,
 * one thread (the sweep coordinator). */
#ifndef STALESIM_EXPERIMENTS_RESULTS_H
#define STALESIM_EXPERIMENTS_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "experiments/grid.h"
#include "models/world.h"

#define RESULTS_SCHEMA_VERSION 1
#define RESULTS_APPLICATION_ID 0x53544c53 /* "STLS" */

enum results_status {
    RESULTS_OK = 0,
    RESULTS_EIO = -1,   /* SQLite or file-system failure, out of memory */
    RESULTS_EINPUT = -2, /* not a stalesim database, wrong schema, no such
                            experiment or key, missing file (read-only) */
    RESULTS_EXISTS = -3  /* results_write_run: that run is already stored */
};

typedef struct results results;

/* Opens (creating it and its schema when absent or empty, unless
 * `read_only`) the database at path.  *out is NULL on failure. */
int results_open(results **out, const char *path, int read_only, char *err,
                 size_t errlen);
/* Closes; NULL does nothing. */
void results_close(results *r);
const char *results_path(const results *r);

/* FNV-1a 64 of text, as 16 lower-case hex digits plus NUL. */
void results_hash_text(const char *text, char out[17]);

/* What identifies an experiment, plus what is recorded about it. */
typedef struct results_experiment_spec {
    const char *scenario_file; /* as given, or "(built-in default)" */
    const char *scenario_text; /* the file's bytes ("" for the default) */
    const char *overrides;     /* the --set/--reps/--seed texts, one a line */
    const char *mode;          /* "reps" or "precision P max-reps N" */
    double precision;          /* NaN in reps mode */
    uint32_t max_reps;         /* 0 in reps mode */
    const char *command_line;  /* recorded only */
    const grid *grid;
    const uint32_t *reps_target; /* per point: the reps it needs (reps mode)
                                    or may have (precision mode) */
    const char *rare;          /* rare-event estimation: "" (or NULL) plain,
                                  "auto" (--rare), or the --boost number */
} results_experiment_spec;

/* Finds the experiment with the same scenario text, overrides, grid,
 * mode and rare-event setting stored by this stalesim version, or creates it with all its points (one transaction).  Sets *id and
 * *resumed (1 found, 0 created), and point_id[p] for every grid point p. */
int results_experiment_open(results *r, const results_experiment_spec *spec,
                            int64_t *id, int *resumed, int64_t *point_id,
                            char *err, size_t errlen);

/* Calls fn for every stored run of experiment `id`: point index, rep, and
 * its stale_read_fraction (NaN if NULL).  Stops at fn's nonzero return. */
typedef int (*results_run_fn)(void *arg, uint32_t point, uint32_t rep,
                              double stale_read_fraction);
int results_each_stored_run(results *r, int64_t id, results_run_fn fn,
                            void *arg, char *err, size_t errlen);

/* Stores replication `rep` of point `point_id` in one transaction: the runs
 * row, the nonzero histogram bins and tallies of every distribution, the
 * nonzero cause counts, and points.reps_done + 1.  If that (point, rep) is
 * already stored (another process running the same sweep got there first)
 * nothing is written and RESULTS_EXISTS is returned: the stored run is the
 * same replication, so nothing is lost. */
int results_write_run(results *r, int64_t point_id, uint32_t rep,
                      uint64_t seed, const world_result *res, char *err,
                      size_t errlen);

/* Space (results_space.c).  results_space_check: RESULTS_EIO with the
 * message when a checkpoint after an earlier commit found no room (the
 * commit itself stands); call it after each commit to stop at once.
 * results_checkpoint: copies the whole WAL into the file now (a writer
 * ending its work: the checkpoint at close would fail silently), with the
 * same errors.  results_out_of_space: 1 when the connection's failure was
 * lack of room (disk full, size limit, quota). */
int results_space_check(results *r, char *err, size_t errlen);
int results_checkpoint(results *r, char *err, size_t errlen);
int results_out_of_space(const results *r);

/* ---- merging shards (results_merge.c) ----------------------------------- */

typedef struct results_merge_report {
    int64_t experiment;      /* in the output file */
    int resumed;             /* it existed there before */
    size_t points, points_done;
    uint64_t runs_copied;    /* written by this merge */
    uint64_t runs_duplicate; /* already in the output, or in an earlier
                                shard: taken once */
    uint64_t runs_stored;    /* the experiment's runs now in the output */
} results_merge_report;

/* Puts the shards of one sweep (`stalesim sweep --shard I/N`) back
 * together: the latest experiment of each shard file must be the same
 * experiment (scenario text, overrides, grid, mode) made by the same
 * stalesim version, or RESULTS_EINPUT names the first shard that differs
 * and how, before anything is written.  The experiment is found in `out`
 * (same identity and version; another version is refused) or created with
 * its points; every run a shard holds and `out` lacks is copied (batched
 * transactions, each run whole), duplicates are taken once; a point is
 * marked done when a shard marked it done (precision mode: its decision)
 * or, in fixed mode, when all its replications are there, and the
 * experiment finished when every point is done.  Running it again after an
 * interruption copies what is still missing. */
int results_merge(results *out, results *const *shard, size_t nshards,
                  results_merge_report *report, char *err, size_t errlen);
/* The shards' part of those checks alone (before the output is opened). */
int results_merge_check(results *const *shard, size_t nshards, char *err,
                        size_t errlen);

/* Marks a point complete: hit_cap (precision mode stopped at --max-reps) and
 * the relative half-width reached (NaN: not recorded). */
int results_point_done(results *r, int64_t point_id, int hit_cap,
                       double rel_halfwidth, char *err, size_t errlen);
/* Groups the following results_point_done calls in one transaction (one
 * sync instead of one per call).  results_rollback cannot fail. */
int results_begin(results *r, char *err, size_t errlen);
int results_commit(results *r, char *err, size_t errlen);
void results_rollback(results *r);
/* Stamps the experiment's finished_at (every point complete), once. */
int results_experiment_finished(results *r, int64_t id, char *err,
                                size_t errlen);

/* Reuse by configuration (results_reuse.c).  A point's configuration key
 * (from sweep: a hash of the version, the scenario text and every resolved
 * key) is recorded with results_point_config; results_reuse_runs then copies
 * into the point every replication rep < reps it lacks that another point
 * of the same configuration holds (any experiment of the database), and
 * counts them in *copied.  Each copy is written like a computed run.  With
 * `families` (the scenario has key families) only runs stored with their
 * family rows are taken. */
int results_point_config(results *r, int64_t point_id, const char *config,
                         char *err, size_t errlen);
int results_reuse_runs(results *r, int64_t point_id, const char *config,
                       uint32_t reps, int families, uint64_t *copied,
                       char *err, size_t errlen);

/* Reads one stored run back into *out exactly as it was written (wall_s and
 * events included).  RESULTS_EINPUT if there is no such run.  Its causes of
 * over-bound reads (over_bound_by_cause, family_over_causes: stale reads
 * staler than the contract's max_staleness, by cause) read 0 where a run
 * stored before they were recorded has none: ask
 * results_point_over_causes.  A boosted run (sweep --rare) reads back its
 * rare_boost and rare_* figures; a plain run reads them all 0. */
int results_read_run(results *r, int64_t point_id, uint32_t rep,
                     world_result *out, char *err, size_t errlen);

/* Sets *recorded to 1 when every stored run of point `point_id` has the
 * causes of its over-bound reads (causes.over_bound_reads and
 * family_causes.over_bound_reads not NULL: runs stored by this build or
 * later), 0 when one of them was stored before they were recorded. */
int results_point_over_causes(results *r, int64_t point_id, int *recorded,
                              char *err, size_t errlen);

/* ---- reading experiments (summarize) ------------------------------------- */

typedef struct results_point {
    int64_t id;
    uint32_t index;      /* grid order */
    uint32_t reps_target, reps_done;
    int done, hit_cap;
    char **value;        /* one per experiment key, in key order */
} results_point;

typedef struct results_experiment {
    int64_t id;
    char *scenario_file, *scenario_hash, *mode, *command_line, *version;
    char *started_at, *finished_at; /* finished_at "" while incomplete */
    char *scenario_text, *overrides; /* NULL until results_experiment_texts */
    char *rare;          /* "" plain; "auto" (--rare) or the --boost number:
                            its runs are importance-sampling estimates */
    size_t nkeys;
    char **key;          /* varied keys in --vary order */
    size_t npoints;
    results_point *point;
} results_experiment;

/* Loads experiment `id` (0: the latest) with its points.  RESULTS_EINPUT if
 * there is none. */
int results_experiment_load(results *r, int64_t id, results_experiment *out,
                            char *err, size_t errlen);
void results_experiment_fini(results_experiment *e);

/* The ids of every experiment of the file, oldest first, into *ids
 * (malloc'd; NULL when there is none) and *n. */
int results_experiment_ids(results *r, int64_t **ids, size_t *n, char *err,
                           size_t errlen);

/* Reads what results_experiment_load leaves NULL: the scenario's INI text
 * and the --set overrides (one a line) of loaded experiment e.
 * RESULTS_EINPUT when a stored text of the experiment is longer than a
 * scenario file may be (not a database stalesim wrote). */
int results_experiment_texts(results *r, results_experiment *e, char *err,
                             size_t errlen);

/* Rebuilds the scenario a sweep ran for one of its points
 * (results_scenario.c): defaults, the stored scenario text `text` of `file`
 * (relative paths against the file's folder), the stored overrides (one
 * "section.key=value" a line), then key[k]=value[k] for k < nkeys, and
 * validates it.  RESULTS_EINPUT with the reason when it no longer loads or
 * validates (a scenario of another version), RESULTS_EIO when memory ran
 * out.  scenario_fini *sc in every case. */
struct scenario;
int results_point_scenario(const char *file, const char *text,
                           const char *overrides, size_t nkeys,
                           char *const *key, char *const *value,
                           struct scenario *sc, char *err, size_t errlen);

/* Calls fn for every stored run of a point, in rep order, with the run read
 * back as by results_read_run. */
typedef int (*results_result_fn)(void *arg, uint32_t rep,
                                 const world_result *res);
int results_each_run(results *r, int64_t point_id, results_result_fn fn,
                     void *arg, char *err, size_t errlen);

/* ---- design answers (tune, sensitivity; experiments/results_study.c) ---- */

/* Finds the study of this kind whose spec text (a canonical text of
 * everything that decides its answer) is `spec`, or creates it.  Sets *id
 * and *resumed (1 found, 0 created). */
int results_study_open(results *r, const char *kind, const char *spec,
                       const char *scenario_file, const char *command_line,
                       int64_t *id, int *resumed, char *err, size_t errlen);

/* Calls fn for every stored value of configuration `config` of study id:
 * replication, family (-1 the totals), metric name, value (NaN: NULL). */
typedef int (*results_study_value_fn)(void *arg, uint32_t rep, int family,
                                      const char *metric, double value);
int results_study_load_config(results *r, int64_t id, const char *config,
                              results_study_value_fn fn, void *arg, char *err,
                              size_t errlen);

/* Stores replication `rep` of a configuration: every metric of the totals
 * and of each family, in one transaction (replacing what was there). */
int results_study_write_run(results *r, int64_t id, const char *config,
                            uint32_t rep, const world_result *res, char *err,
                            size_t errlen);

/* One ranked input of a sensitivity study (method "oat" or "sobol"). */
typedef struct results_study_input {
    char *method, *key;
    char *low, *base, *high; /* value texts (Sobol: the range's ends) */
    double y_low, y_base, y_high; /* the metric's means (NaN for Sobol) */
    double effect, effect_ci; /* OAT: the swing y_high - y_low; Sobol: the
                                 first-order index; 95% half-widths */
    double total, total_ci;   /* OAT: elasticity; Sobol: total index */
    uint64_t runs;            /* replications it took */
} results_study_input;

/* Stores the answer (its text as printed and its JSON) and the ranked
 * inputs, and stamps finished_at. */
int results_study_finish(results *r, int64_t id, const char *text,
                         const char *json, const results_study_input *in,
                         size_t nin, char *err, size_t errlen);

/* The finished studies of the file, oldest first, with their inputs. */
typedef struct results_study {
    int64_t id;
    char *kind, *scenario_file, *command_line, *finished_at;
    char *answer_text, *answer_json;
    results_study_input *input;
    size_t ninputs;
} results_study;
int results_study_list(results *r, results_study **out, size_t *n, char *err,
                       size_t errlen);
void results_study_list_free(results_study *s, size_t n);

#endif
