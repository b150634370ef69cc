/* Replications of one scenario and their summary.
 *
 * Replication r (0-based) runs a fresh world seeded from (seed, r), so each
 * replication is independent and the same scenario and seed always give the
 * same numbers.  Every metric is computed per replication first; the summary's
 * mean and 95% interval are over replications (Student t, n-1 d.f.).
 * Histograms are pooled across replications; cause counts are summed. */
#ifndef STALESIM_EXPERIMENTS_RUN_H
#define STALESIM_EXPERIMENTS_RUN_H

#include <stdint.h>

#include "models/scenario.h"
#include "models/world.h"

#define RUN_MAX_MEASURED 16

typedef struct run_summary {
    uint32_t reps;
    uint64_t seed;
    double *value[WORLD_METRIC_COUNT]; /* value[m][r]: metric m of replication r */
    sim_hist dist[WORLD_DIST_COUNT]; /* pooled, ns */
    uint64_t causes[ORACLE_CAUSE_COUNT];      /* stale reads, summed */
    uint64_t over_causes[ORACLE_CAUSE_COUNT]; /* those staler than the bound */
    uint64_t stale_by_path[ORACLE_MAX_PATHS]; /* summed over replications */
    uint64_t writes_by_path[ORACLE_MAX_PATHS];
    uint64_t events;
    double wall_s;
    /* Importance sampling (--rare; models/rare.h): the boost used (0: off;
     * 1: --rare found nothing to boost)
     * and the replications' rare_* figures summed (world_result). */
    double rare_boost;
    double rare_stale_w, rare_stale_w2;
    uint64_t rare_weighted, rare_overlap_stale, rare_faults, rare_overlaps;
    sim_time warmup; /* ns: the warm-up used (chosen by MSER-5 if auto) */
    /* Key families ([family.NAME], in declaration order); 0 without.  The
     * same figures per family, pooled the same way. */
    int nfamilies;
    double *family_value[WORLD_MAX_FAMILIES][WORLD_METRIC_COUNT]; /* [reps] */
    double *family_figure[WORLD_MAX_FAMILIES][WORLD_FIGURE_COUNT]; /* [reps] */
    sim_hist family_dist[WORLD_MAX_FAMILIES][WORLD_FDIST_COUNT]; /* pooled, ns */
    uint64_t family_causes[WORLD_MAX_FAMILIES][ORACLE_CAUSE_COUNT];
    uint64_t family_over_causes[WORLD_MAX_FAMILIES][ORACLE_CAUSE_COUNT];
    /* Measured runs (stalesim emulate) only; NULL and 0 for a simulation.
     * The output then says "source": "emulation" and prints the measured
     * latency distributions (not owned here; ns). */
    const char *source;
    int nmeasured;
    const char *measured_name[RUN_MAX_MEASURED];
    const sim_hist *measured[RUN_MAX_MEASURED];
} run_summary;

/* Runs replication `rep` of sc into *out (heap-allocate it: it is large).
 * Returns 0, or -1 if memory ran out.  Independent of every other
 * replication: a sweep may run them in any order, anywhere. */
int run_replication(const scenario *sc, uint32_t rep, world_result *out);

/* Runs sc.run.reps replications.  Returns NULL with a message in err if
 * memory ran out. */
run_summary *run_scenario(const scenario *sc, char *err, size_t errlen);

/* With [run] warmup = auto, one pilot replication (rep 0, no warm-up) records
 * the stale-read fraction in WARMUP_BUCKETS equal slices of the run; MSER-5
 * on it picks the warm-up every replication then uses (rep 0 is rerun). */
#define WARMUP_BUCKETS 500

/* The same, with a tracer receiving every step of replication 0. */
run_summary *run_scenario_traced(const scenario *sc, trace_fn fn, void *ctx,
                                 char *err, size_t errlen);

/* How a command runs its replications. */
typedef struct run_options {
    int jobs;       /* worker processes (forked, the sweep's local
                       transport); <= 1: in this process */
    FILE *progress; /* a progress line once a run passes 2 s; NULL: none */
    const char *what; /* the progress line's label, e.g. "run" */
} run_options;

/* Online cores: the default number of jobs. */
int run_default_jobs(void);

/* run_scenario_traced with options.  The summary is the same whatever the
 * number of jobs (results are pooled in replication order; only wall_s
 * differs).  Replication 0 runs in this process when fn is given. */
run_summary *run_scenario_opts(const scenario *sc, trace_fn fn, void *ctx,
                               const run_options *opt, char *err,
                               size_t errlen);
void run_summary_destroy(run_summary *s);

/* An empty summary for `reps` replications and `nfamilies` key families
 * (values 0, histograms empty, seed and warm-up 0), or NULL when memory ran
 * out.  run_summary_add pools replication r (0 <= r < reps) into it: call
 * it in replication order (check --db pools stored runs this way, exactly as
 * a run pools fresh ones). */
run_summary *run_summary_create(uint32_t reps, int nfamilies);
void run_summary_add(run_summary *s, uint32_t r, const world_result *res);

/* Warnings (not errors) about a run too short for what it measures, one
 * "stalesim: warning: ..." line each on `out`: a measured span (duration
 * after the warm-up) shorter than cache.ttl or local.ttl (windows the TTL
 * ends are cut off, the cache is still filling), and fewer than
 * RUN_MIN_STALE stale reads while some exist (percentiles and CIs rest on
 * too few values).  Returns how many it printed. */
#define RUN_MIN_STALE 30
int run_warn_short(const scenario *sc, const run_summary *s, FILE *out);

/* Kish's effective sample size of the stale reads' weights, (sum w)^2 /
 * sum w^2 (0 without a stale read); the stale-read count when no weight
 * differs from 1. */
double run_summary_ess(const run_summary *s);

/* Under --rare, warnings about the importance-sampling estimate on `out`
 * (one "stalesim: warning: ..." line each): no fault to boost; fewer than
 * RUN_MIN_STALE boosted faults; more than RUN_RARE_OVERLAP_SHARE of the
 * boosted faults overlapping the open window of an earlier commit's fault
 * (the estimator's approximation, docs/rare-events.md; the output always
 * gives the count).  Returns how many it printed (0 without --rare). */
#define RUN_RARE_OVERLAP_SHARE 0.05
int run_warn_rare(const scenario *sc, const run_summary *s, FILE *out);

/* Mean, CI half-width (NaN for one replication), min and max of metric m. */
typedef struct run_stat {
    double mean, ci95, min, max;
} run_stat;
run_stat run_summary_stat(const run_summary *s, world_metric m);
/* The same for family f's metric m, and its figure g. */
run_stat run_summary_family_stat(const run_summary *s, int f, world_metric m);
run_stat run_summary_figure_stat(const run_summary *s, int f,
                                 world_family_figure g);

#endif
