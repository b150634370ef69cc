/* The summary of a sweep (`stalesim summarize`): its runs pooled into
 * groups of points, and the four ways of printing it.
 *
 * experiments/cmd_summarize.c reads the database into a summary;
 * experiments/summary_print.c prints it.  Metric values are in their own
 * units; distributions are stored in ns and printed in seconds. */
#ifndef STALESIM_EXPERIMENTS_SUMMARY_H
#define STALESIM_EXPERIMENTS_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include "experiments/results.h"
#include "models/world.h"
#include "sim/stats.h"

typedef enum summary_format {
    SUMMARY_TEXT,
    SUMMARY_CSV,
    SUMMARY_JSON,
    SUMMARY_MARKDOWN
} summary_format;

/* The pooled runs of a group of points. */
typedef struct summary_group {
    size_t first;       /* first point of the group, for its values */
    size_t points;
    uint64_t runs;
    int incomplete;     /* some point is not done */
    int oom;            /* memory ran out while pooling */
    double *value[WORLD_METRIC_COUNT]; /* non-NaN values of each metric */
    size_t n[WORLD_METRIC_COUNT], cap[WORLD_METRIC_COUNT];
    sim_hist dist[WORLD_DIST_COUNT];
    uint64_t causes[ORACLE_CAUSE_COUNT];
    char family[32];    /* --by family: the family's name or "(total)" */
    /* sweep --rare (docs/rare-events.md): the boosted runs' importance-
     * sampling figures summed over the group (the totals' runs only; a
     * family group has none): the smallest and largest boost, the stale
     * reads' weights summed and squared-summed (effective sample size
     * rare_w^2 / rare_w2), boosted faults, weighted stale reads, overlaps
     * and the stale reads they kept stale. */
    uint64_t rare_runs;
    double rare_boost_lo, rare_boost_hi, rare_w, rare_w2;
    uint64_t rare_faults, rare_weighted, rare_overlaps, rare_overlap_stale;
    size_t last_point;  /* --by family: 1 + the last point pooled */
} summary_group;

/* The pseudo-key `family` of --by: one group per key family and one for the
 * totals, from the family_* tables. */
#define BY_FAMILY ((size_t)-1)
#define TOTAL_FAMILY "(total)"

typedef struct summary {
    results_experiment e;
    size_t nby;
    size_t *by;   /* indices into e.key of the --by keys (BY_FAMILY: the
                     family); all keys if none */
    int by_family;
    size_t ngroups;
    summary_group *group;
} summary;

/* Prints s in format f; db_path is named by the JSON. */
void summary_print(FILE *out, summary_format f, const summary *s,
                   const char *db_path);

#endif
