/* Pieces the plot kinds share (kinds.c, kinds_curves.c): axis labels,
 * scales, duration tics, and reference marks (TTLs, contract bounds) with
 * their labels laid out in rows above the data.  Internal to plots/. */
#ifndef STALESIM_PLOTS_AXES_H
#define STALESIM_PLOTS_AXES_H

#include <stddef.h>

#include "plots/gnuplot.h"
#include "plots/kinds.h"
#include "plots/layout.h"

#define PLOT_DECADES_FOR_LOG 2.0 /* automatic log: values span this many */

/* An axis label; the dumb terminal's y label goes above the graph's top
 * left corner (it cannot rotate text). */
void plot_axis_label(gp *g, char axis, const char *text);

/* 1 when lo..hi (lo > 0) spans PLOT_DECADES_FOR_LOG decades or more. */
int plot_spans_decades(double lo, double hi);

/* Whether an axis is logarithmic: LOG and LINEAR as asked (LOG only with
 * a positive lo), AUTO by plot_spans_decades. */
int plot_use_log(plot_scale s, double lo, double hi);

/* Floors lo and ceils hi to powers of ten. */
void plot_decade_range(double *lo, double *hi);

/* Decade tics in human duration units (1us, 1ms, 1s, 1min, ...) between lo
 * and hi seconds, when at least two fall inside. */
void plot_duration_tics(gp *g, char axis, double lo, double hi);

/* "no stale window was recorded" in the middle of an empty graph. */
void plot_no_data(gp *g, const char *what);

/* The x axis of a graph as drawn: its range and whether it is log. */
typedef struct plot_xmap {
    double lo, hi;
    int log;
} plot_xmap;

/* A reference line at x with its label ("TTL 30s"). */
typedef struct plot_mark {
    double x;
    char text[48];
    const char *color; /* '#rrggbb' */
} plot_mark;

#define PLOT_MARK_ROWS 4 /* label rows at most; further labels are left out */

/* Draws a dashed vertical line per mark inside the x range (repeats once)
 * and its label above it, in a band at the top of the graph: centred over
 * its line (moved inside the graph near an edge), in rows chosen so that no
 * two labels overlap (plot_label_rows on the estimated widths); the lines
 * end under the band, so no line crosses a label.  Returns the graph
 * fraction the band takes (0 without labels): the caller's y range must
 * keep the data below 1 - that. */
double plot_marks_draw(gp *g, const plot_mark *m, size_t n,
                       const plot_xmap *x);

/* The top of a linear y axis from 0 whose data reach ymax, leaving the
 * fraction band free at the top. */
double plot_top_linear(double ymax, double band);
/* The same on a log axis from bottom (> 0). */
double plot_top_log(double bottom, double ymax, double band);

/* The curve kinds (kinds_curves.c), called by plot_figure_draw. */
void plot_draw_vs(const plot_figure *f, gp *g);
void plot_draw_tradeoff(const plot_figure *f, gp *g);

#endif
