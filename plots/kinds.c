/* The plot kinds (see kinds.h): the gnuplot script of each, from the plain
 * series of a plot_figure.  window-cdf, age-hist and causes are here; vs
 * and tradeoff in kinds_curves.c; shared axes and marks in axes.c. */
#include "plots/kinds.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plots/axes.h"
#include "plots/format.h"
#include "sim/errf.h"

#define COARSE 8 /* age-hist bins per decade (SIM_HIST_PER_DECADE / 8) */
#define NCOARSE (SIM_HIST_BINS / COARSE)

static const char *const kind_names[PLOT_KIND_COUNT] = {
    "window-cdf", "age-hist", "vs", "tradeoff", "causes", "timeline"};

int plot_kind_parse(const char *name, plot_kind *out) {
    for (int k = 0; k < PLOT_KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *out = (plot_kind)k;
            return 0;
        }
    return -1;
}

const char *plot_kind_name(plot_kind k) {
    return k < PLOT_KIND_COUNT ? kind_names[k] : "?";
}

const char *plot_kind_list(void) {
    return "window-cdf, age-hist, vs, tradeoff, causes, timeline";
}

/* ---- shared drawing ------------------------------------------------------------- */

void plot_style_common(gp *g) {
    gp_printf(g, "set grid xtics ytics lc rgb '#d8d8d8' lw 1 dt 1\n"
                 "set border 3 lw 1\n"
                 "set tics nomirror out\n"
                 "set key box opaque samplen 2.5 spacing 1.15\n"
                 "set style line 1 lc rgb '#1f77b4' lw 2 pt 7 ps 1.1\n"
                 "set style line 2 lc rgb '#d62728' lw 2 pt 5 ps 1.1\n"
                 "set style line 3 lc rgb '#2ca02c' lw 2 pt 9 ps 1.3\n"
                 "set style line 4 lc rgb '#ff7f0e' lw 2 pt 11 ps 1.3\n"
                 "set style line 5 lc rgb '#9467bd' lw 2 pt 13 ps 1.3\n"
                 "set style line 6 lc rgb '#8c564b' lw 2 pt 3 ps 1.1\n"
                 "set style line 7 lc rgb '#e377c2' lw 2 pt 1 ps 1.3\n"
                 "set style line 8 lc rgb '#17becf' lw 2 pt 2 ps 1.3\n"
                 "set style increment user\n");
    /* Text: dotted grid lines and boxes would bury the curves; colours do
     * not show, so each style draws with its own character (linetype K is
     * '*', '#', '$', '%', '@', '&', '=', '*' on the dumb terminal), in the
     * curves, the bars' outlines and the key's samples alike. */
    if (gp_is_text(g)) {
        gp_printf(g, "unset grid\nset tics in\nset key nobox noopaque\n");
        for (int k = 1; k <= 8; k++) gp_printf(g, "set style line %d lt %d\n", k, k);
    }
}

/* The TTLs (grey) and contract bounds (red) of a figure as marks. */
static size_t figure_marks(const plot_figure *f, int bounds, plot_mark *m,
                           size_t cap) {
    size_t k = 0;
    for (size_t i = 0; f->ttl && i < f->nttl && k < cap; i++) {
        m[k].x = f->ttl[i];
        m[k].color = "#444444";
        char d[32];
        snprintf(m[k++].text, sizeof m->text, "TTL %s",
                 plot_fmt_duration(d, sizeof d, f->ttl[i]));
    }
    for (size_t i = 0; bounds && f->bound && i < f->nbound && k < cap; i++) {
        m[k].x = f->bound[i];
        m[k].color = "#b00000";
        char d[32];
        snprintf(m[k++].text, sizeof m->text, "contract %s",
                 plot_fmt_duration(d, sizeof d, f->bound[i]));
    }
    return k;
}

/* Range of the nonzero bins of h, seconds. */
static int hist_range(const sim_hist *h, double *lo, double *hi) {
    int first = -1, last = -1;
    for (int i = 0; i < SIM_HIST_BINS; i++)
        if (h->bins[i]) {
            if (first < 0) first = i;
            last = i;
        }
    if (first < 0) return 0;
    double a, b;
    sim_hist_bin_bounds(first, &a, &b);
    *lo = a / 1e9;
    sim_hist_bin_bounds(last, &a, &b);
    *hi = b / 1e9;
    return 1;
}

/* The range over every series' histogram; hi 0 when all are empty. */
static void series_range(const plot_figure *f, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = 0;
    for (size_t k = 0; k < f->nseries; k++) {
        double a, b;
        if (hist_range(f->series[k].hist, &a, &b)) {
            if (a < *lo) *lo = a;
            if (b > *hi) *hi = b;
        }
    }
}

/* A duration axis along x: log (decades, human tics) or linear from 0. */
static void duration_axis(gp *g, plot_scale s, double *lo, double *hi,
                          const char *what, plot_xmap *map) {
    char label[160];
    map->log = plot_use_log(s, *lo, *hi);
    if (map->log) {
        plot_decade_range(lo, hi);
        gp_printf(g, "set logscale x 10\nset xrange [%.10g:%.10g]\n", *lo, *hi);
        plot_duration_tics(g, 'x', *lo, *hi);
        snprintf(label, sizeof label, "%s (log scale)", what);
    } else {
        *lo = 0;
        *hi *= 1.05;
        gp_printf(g, "set xrange [0:%.10g]\n", *hi);
        snprintf(label, sizeof label, "%s (s)", what);
    }
    map->lo = *lo;
    map->hi = *hi;
    plot_axis_label(g, 'x', label);
}

/* ---- window-cdf ------------------------------------------------------------------- */

/* The tail axis: the share of windows longer than x from 1 down to below
 * one window in the largest series, tics "1% (p99)". */
static double tail_axis(gp *g, uint64_t nmax, double band) {
    double bottom = pow(10, floor(log10(0.9 / (double)(nmax ? nmax : 1))));
    if (bottom > 0.01) bottom = 0.01;
    gp_printf(g, "set logscale y 10\nset yrange [%.10g:%.10g]\nset ytics (",
              bottom, plot_top_log(bottom, 1, band));
    int d = 0;
    for (double v = 1; v >= bottom * 0.999; v /= 10, d++) {
        /* A tic label is a format: its percent signs are doubled. */
        char t[48], q[64];
        if (d == 0) snprintf(t, sizeof t, "100%%%%");
        else if (d == 1) snprintf(t, sizeof t, "10%%%% (p90)");
        else
            snprintf(t, sizeof t, "%.10g%%%% (p99%s%.*s)", 100 * v,
                     d > 2 ? "." : "", d - 2, "9999999999999999");
        gp_printf(g, "%s%s %.10g", d ? ", " : "", gp_quote(q, sizeof q, t), v);
    }
    gp_printf(g, ")\n");
    return bottom;
}

/* Rows (x, y) of one window curve: the CDF, or the share longer than x
 * (values under bottom drawn at bottom) when tail. */
static void window_rows(gp *g, const sim_hist *h, int tail, double bottom) {
    uint64_t n = sim_hist_n(h), below = h->zeros;
    for (int i = 0; n && i < SIM_HIST_BINS; i++) {
        if (!h->bins[i]) continue;
        double a, b;
        sim_hist_bin_bounds(i, &a, &b);
        for (int end = 0; end < 2; end++) {
            if (end) below += h->bins[i];
            double y = (double)below / (double)n;
            if (tail) y = fmax(1 - y, bottom);
            gp_printf(g, "%.10g %.10g\n", (end ? b : a) / 1e9, y);
        }
    }
}

static void draw_window_cdf(const plot_figure *f, gp *g) {
    size_t ng = f->nseries;
    int tail = f->yscale != PLOT_SCALE_LINEAR;
    double lo, hi;
    series_range(f, &lo, &hi);
    plot_title(g, tail ? "Stale-window durations: share longer than x (the "
                         "tail)"
                       : "Stale-window durations (CDF)",
               f->context);
    plot_axis_label(g, 'y', tail ? "share of stale windows longer than x "
                                   "(log scale)"
                                 : "fraction of stale windows no longer "
                                   "than x");
    if (hi == 0) {
        plot_no_data(g, "no stale window was recorded");
        return;
    }
    plot_mark mark[256];
    size_t nm = figure_marks(f, 0, mark, 256);
    for (size_t i = 0; i < nm; i++) /* the TTLs widen the range */
        if (mark[i].x > 0 && isfinite(mark[i].x)) {
            hi = fmax(hi, mark[i].x);
            lo = fmin(lo, mark[i].x);
        }
    plot_xmap map;
    duration_axis(g, f->xscale, &lo, &hi, "stale-window duration", &map);
    double band = plot_marks_draw(g, mark, nm, &map), bottom = 0;
    uint64_t nmax = 0;
    for (size_t k = 0; k < ng; k++)
        if (sim_hist_n(f->series[k].hist) > nmax)
            nmax = sim_hist_n(f->series[k].hist);
    if (tail)
        bottom = tail_axis(g, nmax, band);
    else
        gp_printf(g, "set yrange [0:%.10g]\nset ytics 0,0.1,1\n",
                  plot_top_linear(1.02, band));
    gp_printf(g, "set key below nobox noopaque\n");
    for (size_t k = 0; k < ng; k++) {
        char name[32];
        snprintf(name, sizeof name, "w%zu", k);
        gp_block_begin(g, name);
        window_rows(g, f->series[k].hist, tail, bottom);
        gp_block_end(g);
    }
    gp_printf(g, "plot ");
    for (size_t k = 0; k < ng; k++) {
        const plot_series *p = &f->series[k];
        uint64_t n = sim_hist_n(p->hist), open = p->open;
        char t[400], q[480];
        if (n == 0)
            snprintf(t, sizeof t, "%s (no stale window)", p->label);
        else if (open)
            snprintf(t, sizeof t, "%s (%llu closed, %llu open at the end)",
                     p->label, (unsigned long long)n,
                     (unsigned long long)open);
        else
            snprintf(t, sizeof t, "%s (%llu windows)", p->label,
                     (unsigned long long)n);
        gp_quote(q, sizeof q, t);
        if (n == 0)
            gp_printf(g, "%sNaN title %s", k ? ", " : "", q);
        else
            gp_printf(g, "%s$w%zu using 1:2 with lines ls %zu title %s",
                      k ? ", " : "", k, k % 8 + 1, q);
    }
    gp_printf(g, "\n");
}

/* ---- age-hist --------------------------------------------------------------------- */

/* Share (%) of h's values per coarse bin; the first and last nonzero bins
 * in *first, *last (-1 when empty). */
static void coarse_shares(const sim_hist *h, double *share, int *first,
                          int *last) {
    uint64_t n = sim_hist_n(h);
    *first = *last = -1;
    for (int c = 0; c < NCOARSE; c++) {
        uint64_t cnt = 0;
        for (int i = c * COARSE; i < (c + 1) * COARSE; i++) cnt += h->bins[i];
        share[c] = n ? 100.0 * (double)cnt / (double)n : 0;
        if (cnt) {
            if (*first < 0) *first = c;
            *last = c;
        }
    }
}

/* The share axis: linear from 0, or log from the decade under the smallest
 * nonzero share (empty bins drawn there).  Returns the bottom. */
static double share_axis(const plot_figure *f, gp *g, double band) {
    double lo = INFINITY, hi = 0, share[NCOARSE];
    for (size_t k = 0; k < f->nseries; k++) {
        int first, last;
        coarse_shares(f->series[k].hist, share, &first, &last);
        for (int c = first; c >= 0 && c <= last; c++) {
            if (share[c] > 0 && share[c] < lo) lo = share[c];
            if (share[c] > hi) hi = share[c];
        }
    }
    if (plot_use_log(f->yscale == PLOT_SCALE_LOG ? PLOT_SCALE_LOG
                                                 : PLOT_SCALE_LINEAR,
                     lo, hi)) {
        double top = hi;
        plot_decade_range(&lo, &top);
        gp_printf(g, "set logscale y 10\nset yrange [%.10g:%.10g]\n"
                     "set format y '%%g'\n", lo, plot_top_log(lo, hi * 1.3, band));
        plot_axis_label(g, 'y', "share of the stale reads (%, log scale; "
                                "empty bins on the bottom edge)");
        return lo;
    }
    gp_printf(g, "set yrange [0:%.10g]\n", plot_top_linear(hi * 1.04, band));
    plot_axis_label(g, 'y', "share of the stale reads (%)");
    return 0;
}

static void draw_age_hist(const plot_figure *f, gp *g) {
    size_t ng = f->nseries;
    double lo, hi;
    series_range(f, &lo, &hi);
    plot_title(g, "Staleness age of stale reads", f->context);
    if (hi == 0) {
        plot_axis_label(g, 'y', "share of the stale reads (%)");
        plot_no_data(g, "no stale read was recorded");
        return;
    }
    plot_xmap map;
    duration_axis(g, f->xscale, &lo, &hi,
                  "age: time since the missed commit", &map);
    gp_printf(g, "set key below nobox noopaque\n");
    /* Only marks inside the drawn range (a 300s TTL beside ages of ms
     * would squash the bars). */
    plot_mark mark[512];
    size_t nm = figure_marks(f, 1, mark, 512);
    double bottom = share_axis(f, g, plot_marks_draw(g, mark, nm, &map));
    for (size_t k = 0; k < ng; k++) {
        double share[NCOARSE];
        int first, last;
        coarse_shares(f->series[k].hist, share, &first, &last);
        char name[32];
        snprintf(name, sizeof name, "a%zu", k);
        gp_block_begin(g, name);
        for (int c = first; c >= 0 && c <= last; c++) {
            double a, b;
            sim_hist_bin_bounds(c * COARSE, &a, &b);
            gp_printf(g, "%.10g %.10g\n", a / 1e9, fmax(share[c], bottom));
        }
        if (last >= 0) { /* the last bar's right edge */
            double a, b;
            sim_hist_bin_bounds((last + 1) * COARSE - 1, &a, &b);
            gp_printf(g, "%.10g %.10g\n", b / 1e9, bottom);
        }
        gp_block_end(g);
    }
    gp_printf(g, "plot ");
    for (size_t k = 0; k < ng; k++) {
        uint64_t n = sim_hist_n(f->series[k].hist);
        char t[400], q[480];
        snprintf(t, sizeof t, "%s (%llu stale reads)", f->series[k].label,
                 (unsigned long long)n);
        gp_quote(q, sizeof q, t);
        if (n == 0)
            gp_printf(g, "%sNaN title %s", k ? ", " : "", q);
        else
            gp_printf(g, "%s$a%zu using 1:2 with steps ls %zu title %s",
                      k ? ", " : "", k, k % 8 + 1, q);
    }
    gp_printf(g, "\n");
}

/* ---- causes ------------------------------------------------------------------------ */

#define MAX_CAUSES 64
#define MAX_BARS 4096

/* The bars' style: stacked, outlined, the legend from keyentries. */
static void causes_style(gp *g, size_t ng, int shares, double hi) {
    gp_printf(g, "set style data histograms\n"
                 "set style histogram rowstacked gap 1\n"
                 "set style fill solid 0.85 border rgb '#333333'\n"
                 "set boxwidth 0.65 relative\n"
                 "set key outside right top vertical\n"
                 "set xtics nomirror scale 0\n"
                 "set xrange [-0.6:%.10g]\n", (double)ng - 0.4);
    if (!gp_is_text(g)) gp_printf(g, "set grid noxtics ytics\n");
    if (ng > 5) gp_printf(g, "set xtics rotate by -30\n");
    if (shares)
        gp_printf(g, "set yrange [0:112]\nset ytics 0,20,100\n");
    else
        gp_printf(g, "set yrange [0:%.10g]\n", hi > 0 ? hi * 1.12 : 1);
}

static void draw_causes(const plot_figure *f, gp *g) {
    size_t ng = f->nseries < MAX_BARS ? f->nseries : MAX_BARS;
    size_t nc = f->ncauses < MAX_CAUSES ? f->ncauses : MAX_CAUSES;
    int used[MAX_CAUSES], nused = 0;
    double lo = INFINITY, hi = 0, total[MAX_BARS];
    for (size_t c = 0; c < nc; c++) {
        used[c] = 0;
        for (size_t k = 0; k < ng; k++)
            if (f->series[k].per_run[c] > 0) used[c] = 1;
        nused += used[c];
    }
    for (size_t k = 0; k < ng; k++) {
        double t = 0;
        for (size_t c = 0; c < nc; c++) t += f->series[k].per_run[c];
        total[k] = t;
        if (t > 0 && t < lo) lo = t;
        if (t > hi) hi = t;
    }
    /* Counts on a linear axis when the totals are comparable; when they span
     * decades the short bars would vanish (and gnuplot cannot stack on a log
     * axis, which would misstate the shares anyway), so each bar shows its
     * causes' shares and the total is printed over it. */
    int shares = plot_spans_decades(lo, hi);
    plot_title(g, "Stale reads by cause", f->context);
    const char *unit = !f->single_run ? "per replication"
                                      : "per replication (mean of the run)";
    char yl[160];
    if (shares)
        snprintf(yl, sizeof yl, "share of the stale reads (%%); totals %s "
                 "over the bars", unit);
    else
        snprintf(yl, sizeof yl, "stale reads %s", unit);
    plot_axis_label(g, 'y', yl);
    causes_style(g, ng, shares, hi);
    /* Rows: label, one column per cause drawn, the total's height, its
     * text and the bar's x. */
    gp_block_begin(g, "c");
    for (size_t k = 0; k < ng; k++) {
        char q[320], t[32], qt[40];
        gp_printf(g, "%s", gp_datum(q, sizeof q, f->series[k].label));
        for (size_t c = 0; c < nc; c++) {
            if (!used[c]) continue;
            double y = f->series[k].per_run[c];
            if (shares) y = total[k] > 0 ? 100 * y / total[k] : 0;
            gp_printf(g, " %.10g", y);
        }
        if (!nused) gp_printf(g, " 0");
        plot_fmt_sig(t, sizeof t, total[k], 3);
        gp_printf(g, " %.10g %s %zu\n",
                  shares ? (total[k] > 0 ? 100.0 : 0.0) : total[k],
                  gp_datum(qt, sizeof qt, t), k);
    }
    gp_block_end(g);
    int ncol = nused ? nused : 1;
    gp_printf(g, "plot for [i=2:%d] $c using i:xtic(1) ls (i-1) notitle, "
                 "$c using %d:%d:%d with labels offset 0,0.8 notitle",
              ncol + 1, ncol + 4, ncol + 2, ncol + 3);
    /* The legend: one sample per cause, in its bars' style. */
    int i = 0;
    for (size_t c = 0; c < nc; c++) {
        if (!used[c]) continue;
        char q[160];
        gp_printf(g, ", keyentry with boxes ls %d title %s", ++i,
                  gp_quote(q, sizeof q, f->cause[c]));
    }
    if (!nused) gp_printf(g, ", keyentry with boxes ls 1 title 'no stale read'");
    gp_printf(g, "\n");
}

/* ---- dispatch ------------------------------------------------------------------------ */

int plot_figure_draw(const plot_figure *f, gp *g) {
    plot_style_common(g);
    switch (f->kind) {
    case PLOT_WINDOW_CDF: draw_window_cdf(f, g); break;
    case PLOT_AGE_HIST: draw_age_hist(f, g); break;
    case PLOT_VS: plot_draw_vs(f, g); break;
    case PLOT_TRADEOFF: plot_draw_tradeoff(f, g); break;
    case PLOT_CAUSES: draw_causes(f, g); break;
    default: break;
    }
    return gp_printf(g, "%s", "");
}
