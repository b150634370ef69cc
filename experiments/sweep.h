/* Sweeps: every point of a grid, replicated, into the results database.
 *
 * The job (sweep_job) is everything a worker needs to compute any task: the
 * scenario of every point, built as defaults, the scenario file, the --set
 * overrides, then the point's values, then validated.  It is built once,
 * before any worker starts, so a bad point is refused before anything runs.
 *
 * The coordinator (sweep_run) builds the task list of (point, replication),
 * skips what the database already holds for the same experiment (resume),
 * hands tasks to workers through a transport (transport.h) and is the only
 * writer of the database: one transaction per finished run.  Replication r of
 * every point uses world stream r (world_create(sc, r)), so results depend
 * neither on --jobs nor on the order in which workers finish.
 *
 * Modes.  Fixed: each point runs replications 0..reps-1, reps being the
 * point's [run] reps (so --reps N, a --set run.reps=N, or the file).
 * Precision P (sequential stopping): a point runs replications in order until
 * the 95% half-width of stale_read_fraction over replications 0..n-1 is at
 * most P times their mean, with n >= SWEEP_MIN_REPS, or n reaches max_reps
 * (the point "hit the cap").  The rule is applied to each prefix 0..n-1 in
 * turn, never to whatever happened to finish first, so the decision and the
 * stored runs are the same for any --jobs; replications computed
 * speculatively past the decision are discarded, not stored.
 *
 * Interruption.  SIGINT or SIGTERM make sweep_run stop handing out work,
 * kill its workers (losing only the runs in flight) and return
 * SWEEP_INTERRUPTED; every committed run stays.  The same command later
 * resumes the same experiment.  sweep_run installs its own handlers for the
 * two signals while it runs and restores the previous ones. */
#ifndef STALESIM_EXPERIMENTS_SWEEP_H
#define STALESIM_EXPERIMENTS_SWEEP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "experiments/grid.h"
#include "experiments/results.h"
#include "experiments/transport.h"
#include "models/scenario.h"

#define SWEEP_MIN_REPS 3

enum sweep_status {
    SWEEP_OK = 0,
    SWEEP_INTERRUPTED = 1, /* a signal stopped it; committed runs are kept */
    SWEEP_EIO = -1,        /* runtime: memory, workers, I/O, SQLite */
    SWEEP_EINPUT = -2      /* bad input: a point that does not validate, a
                              database that is not ours */
};

/* Read-only once built. */
typedef struct sweep_job {
    char *scenario_file;   /* as given, NULL for the built-in default */
    char *scenario_text;   /* the file's bytes, "" for the default */
    char *overrides;       /* the --set texts, one a line, in order */
    grid grid;             /* owned */
    scenario *point;       /* grid.npoints validated scenarios */
    uint32_t *reps_target; /* per point: its reps (fixed) or max_reps */
    double precision;      /* NaN: fixed mode */
    uint32_t max_reps;     /* precision mode cap; 0 in fixed mode */
    char rare[32];         /* rare-event estimation (sweep_job_boost): ""
                              plain, "auto" (--rare) or the --boost number;
                              part of the experiment's identity */
} sweep_job;

/* Builds every point's scenario.  `sets` are "section.key=value" texts
 * applied after the file; *g is moved into the job (left empty).  precision
 * NaN selects fixed mode.  Returns SWEEP_OK, SWEEP_EINPUT (the message names
 * the file, the --set or the --vary and value at fault) or SWEEP_EIO.  Call
 * sweep_job_fini in every case.  The points' trace ([workload] trace) is
 * read once and shared by every point that replays it; `loaded` (may be
 * NULL) is a scenario the caller already loaded whose attached trace the
 * points share instead of reading the file again. */
int sweep_job_build(sweep_job *job, const char *file, const char *const *sets,
                    size_t nsets, grid *g, double precision, uint32_t max_reps,
                    const scenario *loaded, char *err, size_t errlen);
void sweep_job_fini(sweep_job *job);

/* --rare [--boost B] (docs/rare-events.md): every point's scenario gets
 * rare_boost = B, or with boost 0 its own automatic boost (rare_auto_boost
 * of the point's scenario after the overrides and its values), and
 * job->rare says which.  Every replication of the sweep is then drawn with
 * boosted faults and stores the weighted estimates; the boost enters each
 * point's configuration key, so plain and boosted runs (or runs of two
 * boosts) are never reused for each other.  Call after sweep_job_build, on
 * every process that builds the job (MPI ranks build it from the same
 * command line; forked workers inherit it). */
void sweep_job_boost(sweep_job *job, double boost);

/* The worker side: computes one task of the job (a sweep_work_fn). */
int sweep_work(void *job, const sweep_task *task, world_result *out);

typedef struct sweep_options {
    int jobs;                       /* workers, >= 1 */
    uint32_t shard, nshards;        /* this process computes only slice
                                       `shard` (0-based) of `nshards`
                                       (sweep_shard_owns); nshards 0 or 1:
                                       the whole grid */
    const transport_ops *transport; /* NULL: transport_local */
    FILE *progress;                 /* progress line target, NULL: none */
    double progress_every;          /* 0: one line redrawn in place (a
                                       terminal); > 0: a new line at most
                                       every this many seconds (a pipe or
                                       log, e.g. through mpirun) */
    const char *command_line;       /* recorded with the experiment */
} sweep_options;

typedef struct sweep_report {
    int64_t experiment;
    int resumed;              /* the experiment existed before */
    size_t points, points_done, points_capped;
    uint64_t runs_stored;     /* runs of this experiment now in the database */
    uint64_t runs_run;        /* runs computed and stored by this call */
    uint64_t runs_skipped;    /* found already stored at the start (the
                                 reused ones included) */
    uint64_t runs_reused;     /* copied from another point of the same
                                 configuration (this or another experiment)
                                 instead of computed */
    uint64_t runs_discarded;  /* speculative runs past a precision decision */
    int workers;              /* workers started (0: nothing to run) */
    uint64_t runs_shard;      /* sharded, fixed mode: runs this shard owns */
    uint64_t runs_elsewhere;  /* computed, but stored meanwhile by another
                                 process running the same sweep */
    double wall_s;
} sweep_report;

/* Shards.  A sharded sweep computes one of N deterministic, disjoint
 * slices of the experiment and stores them as the same experiment (the
 * shard is not part of its identity), so `stalesim merge` can put the
 * slices of N databases back together.  Fixed mode slices by run: the run
 * (point p, rep r) has index sum(reps of points < p) + r and belongs to
 * shard index mod N, so every shard gets about 1/N of every point.
 * Precision mode slices by point (p mod N): the stopping rule needs a point's
 * whole prefix of replications in one place, so each point is decided,
 * exactly as in an unsharded sweep, by the one shard that owns it.  A point
 * is marked done only when the database holds all it needs, so a shard's
 * points are done only when the whole point lies in it. */
int sweep_shard_owns(const sweep_job *job, uint32_t shard, uint32_t nshards,
                     size_t point, uint32_t rep);

/* Runs the job into rdb.  Returns a sweep_status; *report is filled in every
 * case (as far as it got) and err holds the message of a failure. */
int sweep_run(const sweep_job *job, results *rdb, const sweep_options *opt,
              sweep_report *report, char *err, size_t errlen);

/* The precision rule on x[0..n-1]: n >= SWEEP_MIN_REPS and the 95% Student-t
 * half-width <= p * mean.  *rel_halfwidth gets half-width / mean (0 when both
 * are 0, NaN when n < 2 or a value is NaN). */
int sweep_precision_met(const double *x, size_t n, double p,
                        double *rel_halfwidth);

#endif
