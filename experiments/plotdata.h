/* What a plot or the review report draws from: the points of one sweep
 * experiment (a results database) or the single point of a `stalesim run
 * --format json` file, each with its runs' metrics, pooled histograms and
 * stale reads by cause, and the selections and groupings the command line
 * asks for (--where, --by, --x).
 *
 * A database point keeps every replication's metric values (for CIs and the
 * contract verdict); a RUN.json point has only the means and half-widths the
 * file carries, and its histograms are rebuilt from the file's "bins" arrays
 * (written by output.c; a file without them can still give the causes
 * plot).  Each database point's scenario is rebuilt as the sweep built it:
 * defaults, the stored scenario text, the stored --set overrides, the point's
 * values (plot_data_point_scenario).
 *
 * This is where experiments/ decides what a plot draws; plots/ only draws
 * the plain series it is handed (plotview.h).  The database is read through
 * results.h alone (the schema is known there only).
 *
 * Functions return PLOT_OK or a negative status with a one-line message. */
#ifndef STALESIM_EXPERIMENTS_PLOTDATA_H
#define STALESIM_EXPERIMENTS_PLOTDATA_H

#include <stddef.h>
#include <stdint.h>

#include "models/scenario.h"
#include "models/world.h"
#include "sim/stats.h"

enum plot_status {
    PLOT_OK = 0,
    PLOT_EINPUT = -1,  /* bad file, bad key, nothing selected: exit 2 */
    PLOT_ERUNTIME = -2 /* SQLite, memory, I/O: exit 3 */
};

/* One key family's share of a database point's runs (family_runs,
 * family_distributions, family_causes): only the stale-age, stale-window and
 * invalidation-lag histograms are kept per family (the others stay empty). */
typedef struct plot_family {
    double *run[WORLD_METRIC_COUNT];  /* run[m][r], like plot_point.run (NaN: missing) */
    sim_hist dist[WORLD_DIST_COUNT];
    uint64_t causes[ORACLE_CAUSE_COUNT];
    uint64_t over_causes[ORACLE_CAUSE_COUNT]; /* staler than the family's
                                          contract.max_staleness */
} plot_family;

typedef struct plot_point {
    char **value;        /* one per key of the data, owned */
    uint32_t nruns;
    double *run[WORLD_METRIC_COUNT]; /* run[m][r]: metric m of run r (NaN: missing);
                             NULL for a RUN.json point */
    double mean[WORLD_METRIC_COUNT], ci95[WORLD_METRIC_COUNT]; /* over runs; ci95 NaN below 2 */
    sim_hist dist[WORLD_DIST_COUNT]; /* pooled over runs, ns */
    int has_bins;        /* dist holds bins (always for a database) */
    uint64_t causes[ORACLE_CAUSE_COUNT]; /* summed over runs */
    /* Those of the stale reads staler than contract.max_staleness, summed
     * over runs; over_causes_known 0 when they were not recorded (runs
     * stored before they were, a RUN.json without "over_bound_causes"):
     * over_causes is then all 0 and means nothing. */
    uint64_t over_causes[ORACLE_CAUSE_COUNT];
    int over_causes_known;
    int complete;        /* every planned run stored */
    double ttl_s;        /* cache.ttl of the point; 0 never expires; NaN
                            unknown */
    double max_staleness_s; /* contract.max_staleness; NaN unknown */
    char pattern[32];    /* cache.pattern of the point ("" unknown) */
    plot_family *fam;    /* d->nfamilies of them (a database of a scenario
                            with key families), else NULL */
    int family;          /* by-family data: the point's family index */
    /* sweep --rare (docs/rare-events.md): the boost of the point's runs
     * (0: plain; the fractions are then not weighted) and their
     * importance-sampling figures summed: the stale reads' weights and
     * squared weights, boosted faults, overlaps.  A by-family point has
     * its point's boost and no figures. */
    double rare_boost, rare_w, rare_w2;
    uint64_t rare_faults, rare_overlaps;
} plot_point;

typedef struct plot_data {
    int from_db;
    char *source;        /* the file read, as given */
    char *scenario_file; /* as recorded ("(built-in default)" possible) */
    char *scenario_text; /* the scenario's INI text (database only) */
    char *overrides;     /* the sweep's --set texts, one a line */
    char *command_line;  /* the sweep's command line (database only) */
    char *version;       /* stalesim version that ran it (database only) */
    char *started_at, *finished_at; /* ISO 8601 UTC; finished "" if not */
    int64_t experiment;  /* 0 for a RUN.json */
    size_t nkeys;
    char **key;          /* varied keys, --vary order */
    size_t npoints;
    plot_point *point;
    char scenario_error[512]; /* why a point's scenario could not be
                                 rebuilt ("" when all were) */
    int nfamilies;       /* key families of the runs (0: none) */
    char family[WORLD_MAX_FAMILIES][32]; /* their names, declaration order */
    int by_family;       /* 1: made by plot_data_by_family (its last key is
                            "family", each point one family of a point) */
    char *rare;          /* experiments.rare of a database: "" plain, "auto"
                            (sweep --rare) or the --boost number; NULL for a
                            RUN.json and by-family data */
} plot_data;

/* Loads `path`: an SQLite stalesim database (experiment `experiment`, 0 the
 * latest) or a RUN.json.  PLOT_EINPUT for a file that is neither, a JSON
 * that is not a stalesim run, no such experiment.  Call plot_data_fini in
 * every case. */
int plot_data_load(plot_data *d, const char *path, int64_t experiment,
                   char *err, size_t errlen);
void plot_data_fini(plot_data *d);

/* Loads a RUN.json (plotdata_json.c): what plot_data_load does for a file
 * that is not a database.  Call plot_data_fini in every case. */
int plot_data_load_json(plot_data *d, const char *path, char *err,
                        size_t errlen);

/* An empty point: no runs, empty histograms, NaN means, TTL and bound. */
void plot_point_init(plot_point *pt);

/* One point per (point, key family) of d, in point order then declaration
 * order, with the varied keys plus a last key "family" (the family's name):
 * each point's runs, histograms and causes are the family's, its TTL,
 * contract bound and pattern those of the family's view, and
 * plot_data_point_scenario gives the family's view (its own contract).
 * PLOT_EINPUT "experiment N has no key families" when d has none (or is a
 * RUN.json).  Call plot_data_fini on *out in every case. */
int plot_data_by_family(plot_data *out, const plot_data *d, char *err,
                        size_t errlen);

/* 1 if the file starts like an SQLite database or a JSON document (what
 * plot_data_load accepts), 0 otherwise (a scenario, for the timeline). */
int plot_data_recognized(const char *path);

/* The key's index, or -1. */
int plot_data_key(const plot_data *d, const char *key);

/* "cache.pattern, cache.ttl" into buf ("none" without keys). */
void plot_data_key_list(const plot_data *d, char *buf, size_t len);

/* Rebuilds point p's scenario (database only) into *sc (scenario_fini it
 * in every case); for by-family data, the view of the point's family; for
 * a point of sweep --rare, with its stored boost (a replication rerun from
 * it is the stored run).  PLOT_EINPUT with the reason when it does not
 * apply. */
int plot_data_point_scenario(const plot_data *d, size_t p, scenario *sc,
                             char *err, size_t errlen);

/* The numeric reading of a value: seconds for a duration, the number for a
 * number (a unit suffix like "/s" ignored); NaN for a name. */
double plot_value_number(const char *text);

/* 1 when `value` is one of the comma-separated alternatives of `list`, as
 * --where matches them: the same text, or the same number (30s is 0.5min,
 * 1e3 is 1000). */
int plot_value_matches(const char *value, const char *list);

/* Mean and 95% half-width of the non-NaN values of x[0..n-1]; NaN mean
 * without values, NaN half-width below two. */
void plot_mean_ci(const double *x, size_t n, double *mean, double *ci);

/* ---- selections and groups ---------------------------------------------------- */

#define PLOT_MAX_WHERE 16

/* A set of points (indices into d->point) drawn as one curve, bar or row. */
typedef struct plot_group {
    char label[256];
    size_t n;
    size_t *point;
} plot_group;

typedef struct plot_selection {
    size_t n;
    size_t *point;      /* the points kept by --where, in grid order */
    int by;             /* key splitting curves, -1: one group per point */
    int x;              /* key along a curve (vs, tradeoff), -1 none */
    size_t ngroups;
    plot_group *group;  /* in the order of their first point */
} plot_selection;

/* Applies the --where KEY=VALUE filters, then groups: by key `by` (NULL: the
 * default, cache.pattern when it was varied, else one group per point; "" or
 * "point": one group per point) with, when `x` is given, the points of a
 * group spread along x.  PLOT_EINPUT (message names the option) for a key
 * that was not varied, a malformed --where, a value no point has, or nothing
 * left. */
int plot_select(plot_selection *s, const plot_data *d, const char *const *where,
                size_t nwhere, const char *by, const char *x, char *err,
                size_t errlen);
void plot_selection_fini(plot_selection *s);

/* The label of point p without the keys in `skip` (-1: none): "cache-aside,
 * ttl=30s", or the pattern for a RUN.json. */
void plot_point_label(const plot_data *d, size_t p, int skip1, int skip2,
                      char *buf, size_t len);

/* A pooled view of a group: per-metric values of all its runs (mean and
 * 95% CI over them), histograms merged, causes summed.  RUN.json points
 * (a single point per group) give their stored mean and ci95. */
typedef struct plot_pool {
    double mean[WORLD_METRIC_COUNT], ci95[WORLD_METRIC_COUNT];
    sim_hist dist[WORLD_DIST_COUNT];
    uint64_t causes[ORACLE_CAUSE_COUNT];
    uint64_t runs;
    int has_bins;
} plot_pool;

/* Pools points idx[0..n-1]. Returns PLOT_OK or PLOT_ERUNTIME (memory). */
int plot_pool_points(plot_pool *out, const plot_data *d, const size_t *idx,
                     size_t n);

#endif
