/* The plots of a sweep or a run, drawn from plain series: what each kind
 * draws and how.
 *
 *   window-cdf  the CDF of stale-window durations, one curve per series, the
 *               TTLs marked by vertical lines;
 *   age-hist    the staleness age of stale reads (share of a series' stale
 *               reads per bin, 8 bins a decade), TTLs and contract bounds
 *               marked;
 *   vs          a metric against a varied key, one line per series, 95% CI
 *               error bars;
 *   tradeoff    stale-read fraction against a cost metric as a varied key
 *               changes along each curve, points labelled with the key's
 *               value;
 *   causes      stacked bars of stale reads per replication by cause.
 * (timeline, a single explained stale read, lives in timeline.h.)
 *
 * What to draw is decided elsewhere (experiments/plotview.c picks the
 * points, pools their runs and names the series); this file decides only how:
 * axes are logarithmic where the values drawn span two decades or more and
 * are all positive (decided from the data, per plot), durations are labelled
 * in human units, and every text reaches gnuplot quoted (gnuplot.h). */
#ifndef STALESIM_PLOTS_KINDS_H
#define STALESIM_PLOTS_KINDS_H

#include <stddef.h>
#include <stdint.h>

#include "plots/gnuplot.h"
#include "sim/stats.h"

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

/* How an axis is scaled.  AUTO: logarithmic when the values drawn span two
 * decades or more and are positive (decided from the data).  LOG: always,
 * values <= 0 drawn on the bottom edge (linear if none is positive).
 * LINEAR: always.  What each kind's x and y are: plot_figure. */
typedef enum plot_scale {
    PLOT_SCALE_AUTO = 0,
    PLOT_SCALE_LINEAR,
    PLOT_SCALE_LOG
} plot_scale;

/* One point of a vs or tradeoff curve: a value of the varied key and the
 * means (with 95% half-widths, NaN when unknown) at it. */
typedef struct plot_curve_pt {
    const char *xtext;         /* the value as given to --vary, "30s" */
    double x;                  /* its number (seconds for a duration); NaN
                                  for a name */
    double metric, metric_ci;  /* the metric: vs's y, tradeoff's x */
    double stale, stale_ci;    /* stale-read fraction: tradeoff's y */
} plot_curve_pt;

/* One curve, histogram or bar, with its legend label.  Which fields a kind
 * reads is said per field. */
typedef struct plot_series {
    const char *label;
    const sim_hist *hist;   /* window-cdf: stale-window durations; age-hist:
                               stale ages; ns */
    uint64_t open;          /* window-cdf: windows still open at the end */
    const double *per_run;  /* causes: stale reads per replication by cause,
                               plot_figure.ncauses of them */
    size_t n;               /* vs, tradeoff: the curve's points, in x order */
    const plot_curve_pt *pt;
} plot_series;

/* A whole plot.  Every string is plain text; the drawing quotes it. */
typedef struct plot_figure {
    plot_kind kind;          /* not PLOT_TIMELINE */
    const char *context;     /* the title's second line */
    size_t nseries;
    const plot_series *series;
    const double *ttl;       /* window-cdf, age-hist: TTLs to mark, s (0,
                                NaN: none; repeats drawn once) */
    size_t nttl;
    const double *bound;     /* age-hist: contract bounds to mark, s */
    size_t nbound;
    const char *xkey;        /* vs, tradeoff: the varied key */
    const char *metric_brief; /* vs, tradeoff: the metric in the title */
    const char *metric_label; /* ... and on its axis */
    const char *stale_label;  /* tradeoff: the stale-read fraction's axis */
    size_t ncauses;           /* causes: the cause names, in order */
    const char *const *cause;
    int single_run;           /* causes: from one run's summary (RUN.json) */
    /* The scales (AUTO: see plot_scale).
     *   window-cdf  x: the duration; y: AUTO and LOG draw the share of
     *               windows longer than x on a log axis (the tail: p99.9
     *               is where a curve crosses 0.1%), LINEAR the CDF;
     *   age-hist    x: the age; y: the share per bin (AUTO is linear);
     *   vs          x: the varied key (numbers only); y: the metric;
     *   tradeoff    x: the cost metric; y: the stale-read fraction;
     *   causes      neither (bars of shares when totals span decades). */
    plot_scale xscale, yscale;
} plot_figure;

/* Sends the whole plot to gnuplot.  Returns 0, or -1 if a write failed (gp
 * keeps the error; gp_close reports it). */
int plot_figure_draw(const plot_figure *f, gp *g);

/* Shared with timeline.c: title, grid and key style every plot uses. */
void plot_style_common(gp *g);

#endif
