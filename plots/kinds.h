/* The plots of a sweep or a run: what each kind draws, from which data, and
 * the one sentence that says what it shows.
 *
 *   window-cdf  the CDF of stale-window durations, one curve per group, the
 *               TTL of the plotted points marked by a vertical line;
 *   age-hist    the staleness age of stale reads (share of a group's stale
 *               reads per bin, 8 bins a decade), TTL and contract bound
 *               marked;
 *   vs          a metric (default stale_read_fraction) against a varied key,
 *               one line per group, 95% CI error bars;
 *   tradeoff    stale-read fraction against a cost metric (default
 *               db_reads_per_s, or hit_ratio) as a varied key changes along
 *               each curve, points labelled with the key's value;
 *   causes      stacked bars of stale reads per replication by cause.
 * (timeline, a single explained stale read, lives in timeline.h.)
 *
 * Axes are logarithmic where the values drawn span two decades or more and
 * are all positive (decided from the data, per plot); durations are labelled
 * in human units.  A view is built (and every option checked) before any
 * gnuplot starts, so bad usage never leaves a file behind. */
#ifndef STALESIM_PLOTS_KINDS_H
#define STALESIM_PLOTS_KINDS_H

#include <stddef.h>

#include "plots/data.h"
#include "plots/gnuplot.h"

typedef enum plot_kind {
    PLOT_WINDOW_CDF,
    PLOT_AGE_HIST,
    PLOT_VS,
    PLOT_TRADEOFF,
    PLOT_CAUSES,
    PLOT_TIMELINE,
    PLOT_KIND_COUNT
} plot_kind;

/* "window-cdf" -> PLOT_WINDOW_CDF.  Returns 0, or -1 for another name. */
int plot_kind_parse(const char *name, plot_kind *out);
const char *plot_kind_name(plot_kind k);
/* "window-cdf, age-hist, vs, tradeoff, causes, timeline" */
const char *plot_kind_list(void);

/* What the command line asked for. */
typedef struct plot_request {
    plot_kind kind;         /* not PLOT_TIMELINE */
    const char *x;          /* --x: varied key (vs, tradeoff); NULL default */
    const char *by;         /* --by: key splitting curves; NULL default */
    const char *metric;     /* --metric: vs y axis / tradeoff cost axis */
    const char *const *where; /* --where KEY=VALUE[,VALUE...] */
    size_t nwhere;
} plot_request;

typedef struct plot_view plot_view;

/* Checks the request against the data and computes what will be drawn.
 * PLOT_EINPUT (message names the option) for a key not varied, a kind the
 * data cannot give (vs from a RUN.json, histograms without bins), an unknown
 * metric; PLOT_ERUNTIME for memory.  *out is NULL on failure. */
int plot_view_create(plot_view **out, const plot_data *d,
                     const plot_request *r, char *err, size_t errlen);
void plot_view_destroy(plot_view *v);

/* The sentence under the plot in a report: what it shows, computed from the
 * same numbers (e.g. "The longest p99 stale window is 21.7s for ttl-only;
 * the shortest 1.95ms for cache-aside."). */
void plot_view_describe(const plot_view *v, char *buf, size_t len);

/* Sends the whole plot to gnuplot.  Returns 0, or -1 if a write failed (gp
 * keeps the error; gp_close reports it). */
int plot_view_draw(const plot_view *v, gp *g);

/* Shared with timeline.c: title, grid and key style every plot uses. */
void plot_style_common(gp *g);

#endif
