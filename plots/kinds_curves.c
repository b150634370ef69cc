/* The curve kinds (see kinds.h): vs, a metric against a varied key, and
 * tradeoff, the stale-read fraction against a cost as the key varies. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plots/axes.h"
#include "sim/errf.h"

/* Which mean of a curve point an axis shows. */
typedef enum { AXIS_METRIC, AXIS_STALE } axis_of;

static double mean_of(const plot_curve_pt *p, axis_of w) {
    return w == AXIS_METRIC ? p->metric : p->stale;
}

/* Range of the positive means (and whether any is <= 0). */
static void value_range(const plot_figure *f, axis_of w, double *lo,
                        double *hi, int *nonpos) {
    *lo = INFINITY;
    *hi = 0;
    *nonpos = 0;
    for (size_t k = 0; k < f->nseries; k++)
        for (size_t i = 0; i < f->series[k].n; i++) {
            double y = mean_of(&f->series[k].pt[i], w);
            if (isnan(y)) continue;
            if (y <= 0) {
                *nonpos = 1;
                continue;
            }
            if (y < *lo) *lo = y;
            if (y > *hi) *hi = y;
        }
}

/* Decides a metric axis: log when the positive values span decades; zeros
 * are then drawn at *floor (the bottom edge).  Sets range and label. */
static int metric_axis(const plot_figure *f, gp *g, char axis, axis_of w,
                       plot_scale scale, double *floor_out) {
    double lo, hi;
    int nonpos;
    value_range(f, w, &lo, &hi, &nonpos);
    char label[256];
    snprintf(label, sizeof label, "%s",
             w == AXIS_METRIC ? f->metric_label : f->stale_label);
    *floor_out = 0;
    if (plot_use_log(scale, lo, hi)) {
        plot_decade_range(&lo, &hi);
        if (nonpos) lo /= 10;
        *floor_out = lo;
        gp_printf(g, "set logscale %c 10\nset %crange [%.10g:%.10g]\n"
                     "set format %c '%%g'\n", axis, axis, lo, hi, axis);
        sim_catf(label, sizeof label, ", log scale%s",
            nonpos ? "; 0 drawn on the bottom edge" : "");
        plot_axis_label(g, axis, label);
        return 1;
    }
    if (scale == PLOT_SCALE_LOG) /* asked for, impossible */
        sim_catf(label, sizeof label, " (linear: no positive value)");
    gp_printf(g, "set %crange [%s:*]\n", axis, nonpos || lo > 0 ? "0" : "*");
    plot_axis_label(g, axis, label);
    return 0;
}

/* Two values of the varied key are one position: the same text, or the
 * same number (30s is 0.5min). */
static int same_x(const char *a, double xa, const char *b, double xb) {
    if (strcmp(a, b) == 0) return 1;
    return !isnan(xa) && xa == xb;
}

/* Positions along x for the key's values: numbers (log where they span
 * decades), else categories 0..n-1 in order of appearance. */
typedef struct xaxis {
    int numeric, log;
    size_t ncat;
    const char *cat[256];
    double catx[256]; /* each category's number (NaN for a name) */
} xaxis;

static double x_pos(const xaxis *a, const char *xtext, double x) {
    if (a->numeric) return x;
    for (size_t i = 0; i < a->ncat; i++)
        if (same_x(a->cat[i], a->catx[i], xtext, x)) return (double)i;
    return NAN;
}

static void key_axis(const plot_figure *f, gp *g, xaxis *a) {
    memset(a, 0, sizeof *a);
    a->numeric = 1;
    double lo = INFINITY, hi = 0;
    for (size_t k = 0; k < f->nseries; k++)
        for (size_t i = 0; i < f->series[k].n; i++) {
            const plot_curve_pt *p = &f->series[k].pt[i];
            if (isnan(p->x)) a->numeric = 0;
            else {
                if (p->x < lo) lo = p->x;
                if (p->x > hi) hi = p->x;
                if (p->x <= 0) lo = -1;
            }
            size_t c = 0;
            while (c < a->ncat && !same_x(a->cat[c], a->catx[c], p->xtext, p->x))
                c++;
            if (c == a->ncat && a->ncat < 256) {
                a->cat[a->ncat] = p->xtext;
                a->catx[a->ncat++] = p->x;
            }
        }
    char label[256];
    snprintf(label, sizeof label, "%s", f->xkey);
    if (a->numeric && plot_use_log(f->xscale, lo, hi)) {
        a->log = 1;
        gp_printf(g, "set logscale x 10\nset xrange [%.10g:%.10g]\n", lo / 1.6,
                  hi * 1.6);
        sim_catf(label, sizeof label, " (log scale)");
    } else if (a->numeric) {
        double pad = hi > lo ? (hi - lo) * 0.06 : (hi ? fabs(hi) * 0.1 : 1);
        gp_printf(g, "set xrange [%.10g:%.10g]\n", lo - pad, hi + pad);
    } else {
        gp_printf(g, "set xrange [-0.5:%.10g]\n", (double)a->ncat - 0.5);
    }
    /* The values themselves as tics, written as they were given. */
    if (a->ncat <= 16) {
        gp_printf(g, "set xtics (");
        for (size_t c = 0; c < a->ncat; c++) {
            char q[160];
            gp_printf(g, "%s%s %.10g", c ? ", " : "",
                      gp_quote(q, sizeof q, a->cat[c]),
                      x_pos(a, a->cat[c], a->catx[c]));
        }
        gp_printf(g, ")\n");
        if (a->ncat > 6) gp_printf(g, "set xtics rotate by -30\n");
    }
    plot_axis_label(g, 'x', label);
}

static double clamp_low(double y, double floor_) {
    return floor_ > 0 && y < floor_ ? floor_ : y;
}

void plot_draw_vs(const plot_figure *f, gp *g) {
    char what[256];
    snprintf(what, sizeof what, "%s vs %s", f->metric_brief, f->xkey);
    if (what[0] >= 'a' && what[0] <= 'z') what[0] = (char)(what[0] - 'a' + 'A');
    plot_title(g, what, f->context);
    xaxis a;
    key_axis(f, g, &a);
    double floor_;
    metric_axis(f, g, 'y', AXIS_METRIC, f->yscale, &floor_);
    gp_printf(g, "set key top left\nset bars small\n");
    for (size_t k = 0; k < f->nseries; k++) {
        char name[32];
        snprintf(name, sizeof name, "v%zu", k);
        gp_block_begin(g, name);
        for (size_t i = 0; i < f->series[k].n; i++) {
            const plot_curve_pt *p = &f->series[k].pt[i];
            double y = p->metric, ci = p->metric_ci;
            if (isnan(y)) continue;
            if (isnan(ci)) ci = 0;
            y = clamp_low(y, floor_);
            gp_printf(g, "%.10g %.10g %.10g %.10g\n", x_pos(&a, p->xtext, p->x),
                      y, clamp_low(y - ci, floor_), y + ci);
        }
        gp_block_end(g);
    }
    gp_printf(g, "plot ");
    for (size_t k = 0; k < f->nseries; k++) {
        char q[320];
        gp_printf(g, "%s$v%zu using 1:2:3:4 with yerrorlines ls %zu title %s",
                  k ? ", " : "", k, k % 8 + 1,
                  gp_quote(q, sizeof q, f->series[k].label));
    }
    gp_printf(g, "\n");
}

void plot_draw_tradeoff(const plot_figure *f, gp *g) {
    char what[256];
    snprintf(what, sizeof what, "Trade-off: stale-read fraction vs %s as %s "
             "varies", f->metric_brief, f->xkey);
    plot_title(g, what, f->context);
    double fx, fy;
    metric_axis(f, g, 'x', AXIS_METRIC, f->xscale, &fx);
    metric_axis(f, g, 'y', AXIS_STALE, f->yscale, &fy);
    gp_printf(g, "set key top right\nset bars small\nset offsets graph 0.05, "
                 "graph 0.05, graph 0.05, graph 0.05\n");
    for (size_t k = 0; k < f->nseries; k++) {
        char name[32];
        snprintf(name, sizeof name, "t%zu", k);
        gp_block_begin(g, name);
        for (size_t i = 0; i < f->series[k].n; i++) {
            const plot_curve_pt *p = &f->series[k].pt[i];
            double x = p->metric, y = p->stale;
            double cx = p->metric_ci, cy = p->stale_ci;
            if (isnan(x) || isnan(y)) continue;
            if (isnan(cx)) cx = 0;
            if (isnan(cy)) cy = 0;
            x = clamp_low(x, fx);
            y = clamp_low(y, fy);
            char q[160];
            gp_printf(g, "%.10g %.10g %.10g %.10g %.10g %.10g %s\n", x, y,
                      clamp_low(x - cx, fx), x + cx, clamp_low(y - cy, fy),
                      y + cy, gp_datum(q, sizeof q, p->xtext));
        }
        gp_block_end(g);
    }
    gp_printf(g, "plot ");
    for (size_t k = 0; k < f->nseries; k++) {
        char q[320];
        gp_printf(g, "%s$t%zu using 1:2:3:4:5:6 with xyerrorlines ls %zu "
                     "title %s, $t%zu using 1:2:7 with labels offset 0.8,0.8 "
                     "left tc ls %zu notitle",
                  k ? ", " : "", k, k % 8 + 1,
                  gp_quote(q, sizeof q, f->series[k].label), k, k % 8 + 1);
    }
    gp_printf(g, "\n");
}
