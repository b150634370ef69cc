/* The tornado plot of a one-at-a-time sensitivity study: one horizontal bar
 * per input, from the metric at the base scenario to the metric with the
 * input scaled down (one colour) and up (another), largest effect on top,
 * the base marked by a dashed vertical line.
 *
 * A leaf like every plot: it draws plain numbers and labels that
 * experiments/ prepares (experiments/sensitivity.c, the report), and every
 * label reaches gnuplot through gp_quote. */
#ifndef STALESIM_PLOTS_TORNADO_H
#define STALESIM_PLOTS_TORNADO_H

#include <stddef.h>

#include "plots/gnuplot.h"

typedef struct plot_tornado_bar {
    const char *label;    /* "faults.del_fail 0.001..0.004" */
    double y_low, y_high; /* the metric with the input scaled down / up */
} plot_tornado_bar;

typedef struct plot_tornado {
    const char *title;    /* first title line */
    const char *subtitle; /* second title line ("" for none) */
    const char *metric;   /* the metric in words ("stale-read fraction") */
    int percent;          /* the metric is a fraction: axis in percent */
    double base;          /* the metric at the base scenario */
    double factor;        /* the scale factor, for the key ("/ 2", "x 2") */
    const plot_tornado_bar *bar; /* largest effect first */
    size_t n;             /* >= 1 */
    const char *axis;     /* the x axis label, with its unit; NULL: metric */
} plot_tornado;

/* Sends the plot.  Returns 0, or -1 if a write failed (gp keeps the error;
 * gp_close reports it). */
int plot_tornado_draw(gp *g, const plot_tornado *t);

/* The sentence under the plot: which input moves the metric most and by
 * how much ("faults.del_fail moves stale-read fraction most: 0.0021% to
 * 0.0087% around 0.0043%."). */
void plot_tornado_describe(const plot_tornado *t, char *buf, size_t len);

#endif
