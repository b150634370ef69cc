/* What a plot of a sweep or a run shows: the request of `stalesim plot` (or
 * of the report) checked against the plot data, the points selected and
 * grouped, their runs pooled, and the result handed to plots/kinds.h as
 * plain series; and the one sentence that says what the plot shows,
 * computed from the same numbers.
 *
 * A view is built (and every option checked) before any gnuplot starts, so
 * bad usage never leaves a file behind. */
#ifndef STALESIM_EXPERIMENTS_PLOTVIEW_H
#define STALESIM_EXPERIMENTS_PLOTVIEW_H

#include <stddef.h>

#include "experiments/plotdata.h"
#include "plots/gnuplot.h"
#include "plots/kinds.h"

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
 * metric; PLOT_ERUNTIME for memory.  *out is NULL on failure.  The view
 * points into d, which must outlive it. */
int plot_view_create(plot_view **out, const plot_data *d,
                     const plot_request *r, char *err, size_t errlen);
void plot_view_destroy(plot_view *v);

/* --log / --linear: the scales of x and y (plots/kinds.h says which axis
 * is what per kind); AUTO keeps the default, which for a metric's axis is
 * the registry's (models/measures.h).  PLOT_EINPUT with the message for a
 * scale the kind has not (causes) or an axis cannot take (vs: --log x or
 * --linear x of names, --log x of values <= 0); the view is unchanged
 * then. */
int plot_view_scale(plot_view *v, plot_scale x, plot_scale y, char *err,
                    size_t errlen);

/* The sentence under the plot in a report: what it shows, computed from the
 * same numbers (e.g. "The longest p99 stale window is 21.7s for ttl-only;
 * the shortest 1.95ms for cache-aside."). */
void plot_view_describe(const plot_view *v, char *buf, size_t len);

/* Sends the whole plot to gnuplot (plot_figure_draw).  Returns 0, or -1 if a
 * write failed (gp keeps the error; gp_close reports it). */
int plot_view_draw(const plot_view *v, gp *g);

#endif
