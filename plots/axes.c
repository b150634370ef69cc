/* Axes, scales and reference marks shared by the plot kinds (see axes.h). */
#include "plots/axes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void plot_axis_label(gp *g, char axis, const char *text) {
    char q[512];
    gp_quote(q, sizeof q, text);
    if (axis == 'y' && gp_is_text(g))
        gp_printf(g, "set ylabel ''\nset label 99 %s at graph 0, graph 1 "
                     "left offset 0,1\n", q);
    else
        gp_printf(g, "set %clabel %s\n", axis, q);
}

int plot_spans_decades(double lo, double hi) {
    return lo > 0 && isfinite(hi) && hi / lo >= pow(10, PLOT_DECADES_FOR_LOG);
}

int plot_use_log(plot_scale s, double lo, double hi) {
    if (s == PLOT_SCALE_LINEAR) return 0;
    if (s == PLOT_SCALE_LOG) return lo > 0 && isfinite(lo) && isfinite(hi);
    return plot_spans_decades(lo, hi);
}

void plot_decade_range(double *lo, double *hi) {
    *lo = pow(10, floor(log10(*lo) + 1e-9));
    *hi = pow(10, ceil(log10(*hi) - 1e-9));
    if (!(*hi > *lo)) *hi = *lo * 10;
}

void plot_duration_tics(gp *g, char axis, double lo, double hi) {
    static const struct {
        double s;
        const char *label;
    } tics[] = {{1e-9, "1ns"},  {1e-8, "10ns"},  {1e-7, "100ns"},
                {1e-6, "1us"},  {1e-5, "10us"},  {1e-4, "100us"},
                {1e-3, "1ms"},  {1e-2, "10ms"},  {1e-1, "100ms"},
                {1, "1s"},      {10, "10s"},     {60, "1min"},
                {600, "10min"}, {3600, "1h"},    {36000, "10h"},
                {86400, "1d"},  {864000, "10d"}};
    enum { NT = sizeof tics / sizeof tics[0] };
    /* The tics inside, thinned so that their labels keep two characters
     * apart (on a narrow terminal 10s and 1min would touch). */
    plot_cells c;
    plot_cells_of(gp_target_of(g), &c);
    double at[NT], w[NT];
    int keep[NT];
    size_t idx[NT], n = 0;
    for (size_t i = 0; i < NT; i++)
        if (tics[i].s >= lo * 0.999 && tics[i].s <= hi * 1.001) {
            at[n] = (log10(tics[i].s) - log10(lo)) / (log10(hi) - log10(lo)) *
                    (axis == 'x' ? c.plot_cols : c.plot_rows * 4);
            w[n] = (double)strlen(tics[i].label);
            idx[n++] = i;
        }
    if (n < 2) return;
    plot_thin_labels(at, w, NULL, n, 2.0, keep);
    gp_printf(g, "set %ctics (", axis);
    int k = 0;
    char q[16];
    for (size_t j = 0; j < n; j++)
        if (keep[j])
            gp_printf(g, "%s%s %.10g", k++ ? ", " : "",
                      gp_quote(q, sizeof q, tics[idx[j]].label), tics[idx[j]].s);
    gp_printf(g, ")\n");
}

void plot_no_data(gp *g, const char *what) {
    char q[256];
    gp_printf(g, "set label %s at graph 0.5, graph 0.5 center font ',14'\n"
                 "set xrange [0:1]\nset yrange [0:1]\nunset key\n"
                 "plot 2 notitle\n",
              gp_quote(q, sizeof q, what));
}

/* x as a fraction of the graph's width. */
static double graph_x(const plot_xmap *x, double v) {
    if (x->log) return (log10(v) - log10(x->lo)) / (log10(x->hi) - log10(x->lo));
    return (v - x->lo) / (x->hi - x->lo);
}

double plot_marks_draw(gp *g, const plot_mark *m, size_t n,
                       const plot_xmap *x) {
    enum { MAX = 64 };
    plot_cells c;
    plot_cells_of(gp_target_of(g), &c);
    double from[MAX], to[MAX];
    int shifted[MAX];
    size_t idx[MAX], k = 0;
    for (size_t i = 0; i < n && k < MAX; i++) {
        if (!(m[i].x > 0) || !isfinite(m[i].x) || m[i].x < x->lo ||
            m[i].x > x->hi)
            continue;
        int seen = 0; /* the same line and text once */
        for (size_t j = 0; j < k; j++)
            if (m[idx[j]].x == m[i].x && strcmp(m[idx[j]].text, m[i].text) == 0)
                seen = 1;
        if (seen) continue;
        /* In characters from the graph's left edge: centred over its line,
         * moved inside the graph near an edge. */
        double pos = graph_x(x, m[i].x) * c.plot_cols;
        double w = (double)strlen(m[i].text) + 1;
        from[k] = pos - w / 2;
        shifted[k] = 1;
        if (from[k] < 0) from[k] = 0;
        else if (from[k] + w > c.plot_cols) from[k] = c.plot_cols - w;
        else shifted[k] = 0;
        to[k] = from[k] + w;
        idx[k++] = i;
    }
    if (!k) return 0;
    int row[MAX];
    int rows = plot_label_rows(from, to, k, 2.0, PLOT_MARK_ROWS, row);
    /* A row is a text line (1.3 on images).  The lines end half a row
     * under the lowest, so no line touches a label, even rounded to the
     * character lines of the dumb terminal. */
    double row_h = (gp_is_text(g) ? 1.0 : 1.3) / c.plot_rows;
    double band = rows ? (rows + 0.8) * row_h : 0;
    for (size_t j = 0; j < k; j++) {
        const plot_mark *p = &m[idx[j]];
        gp_printf(g, "set arrow from %.10g, graph 0 to %.10g, graph %.4f "
                     "nohead dt 2 lw 1.5 lc rgb '%s' back\n", p->x, p->x,
                  1 - band, p->color);
        if (row[j] < 0) continue;
        char q[128], at[64];
        if (shifted[j])
            snprintf(at, sizeof at, "graph %.4f",
                     (from[j] + to[j]) / 2 / c.plot_cols);
        else
            snprintf(at, sizeof at, "%.10g", p->x);
        gp_printf(g, "set label %s at %s, graph %.4f center tc rgb '%s' "
                     "front\n", gp_quote(q, sizeof q, p->text), at,
                  1 - band + (row[j] + 1.2) * row_h, p->color);
    }
    return band;
}

double plot_top_linear(double ymax, double band) {
    if (!(ymax > 0)) ymax = 1;
    if (band > 0.6) band = 0.6;
    return ymax / (1 - band);
}

double plot_top_log(double bottom, double ymax, double band) {
    if (band > 0.6) band = 0.6;
    double lb = log10(bottom), lt = log10(ymax);
    return pow(10, lb + (lt - lb) / (1 - band));
}
