/* The plot kinds (see kinds.h): the gnuplot script of each, from the plain
 * series of a plot_figure. */
#include "plots/kinds.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plots/format.h"
#include "sim/errf.h"

#define COARSE 8 /* age-hist bins per decade (SIM_HIST_PER_DECADE / 8) */
#define DECADES_FOR_LOG 2.0

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
    /* Text: dotted grid lines and boxes would bury the curves. */
    if (gp_is_text(g))
        gp_printf(g, "unset grid\nset tics in\nset key nobox noopaque\n");
}

static void title(gp *g, const char *what, const plot_figure *f) {
    char ctx[768], q[1700];
    snprintf(ctx, sizeof ctx, "%s", f->context ? f->context : "");
    /* Two lines, WHAT and CONTEXT.  Text: a third, empty line, where
     * axis_label puts the y label. */
    gp_quote_lines(q, sizeof q, what, ctx, gp_is_text(g));
    if (gp_is_text(g))
        gp_printf(g, "set title %s\n", q);
    else
        gp_printf(g, "set title %s font ',13'\n", q);
}

static void axis_label(gp *g, char axis, const char *text) {
    char q[512];
    gp_quote(q, sizeof q, text);
    /* The dumb terminal cannot rotate text, and drops a y label: it goes
     * above the plot's top left corner instead. */
    if (axis == 'y' && gp_is_text(g))
        gp_printf(g, "set ylabel ''\nset label 99 %s at graph 0, graph 1 "
                     "left offset 0,1\n", q);
    else
        gp_printf(g, "set %clabel %s\n", axis, q);
}

static int spans_decades(double lo, double hi) {
    return lo > 0 && isfinite(hi) && hi / lo >= pow(10, DECADES_FOR_LOG);
}

/* Decade tics in human duration units between lo and hi seconds. */
static void duration_tics(gp *g, char axis, double lo, double hi) {
    static const struct {
        double s;
        const char *label;
    } tics[] = {{1e-9, "1ns"},  {1e-8, "10ns"},  {1e-7, "100ns"},
                {1e-6, "1us"},  {1e-5, "10us"},  {1e-4, "100us"},
                {1e-3, "1ms"},  {1e-2, "10ms"},  {1e-1, "100ms"},
                {1, "1s"},      {10, "10s"},     {60, "1min"},
                {600, "10min"}, {3600, "1h"},    {36000, "10h"},
                {86400, "1d"},  {864000, "10d"}};
    int n = 0;
    for (size_t i = 0; i < sizeof tics / sizeof tics[0]; i++)
        if (tics[i].s >= lo * 0.999 && tics[i].s <= hi * 1.001) n++;
    if (n < 2) return;
    gp_printf(g, "set %ctics (", axis);
    int k = 0;
    char q[16];
    for (size_t i = 0; i < sizeof tics / sizeof tics[0]; i++)
        if (tics[i].s >= lo * 0.999 && tics[i].s <= hi * 1.001)
            gp_printf(g, "%s%s %.10g", k++ ? ", " : "",
                      gp_quote(q, sizeof q, tics[i].label), tics[i].s);
    gp_printf(g, ")\n");
}

/* Floors lo and ceils hi to powers of ten (log axes). */
static void decade_range(double *lo, double *hi) {
    *lo = pow(10, floor(log10(*lo) + 1e-9));
    *hi = pow(10, ceil(log10(*hi) - 1e-9));
}

/* Vertical reference lines at distinct positive values: TTL, contract;
 * labelled at height ylabel (graph units), or upright from the bottom when
 * ylabel < 0. */
static void vlines(gp *g, const double *x, size_t n, const char *prefix,
                   const char *color, double ylabel) {
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0) || !isfinite(x[i])) continue;
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            if (x[j] == x[i]) seen = 1;
        if (seen) continue;
        char d[32], q[96], t[80];
        plot_fmt_duration(d, sizeof d, x[i]);
        snprintf(t, sizeof t, "%s %s", prefix, d);
        gp_printf(g, "set arrow from %.10g, graph 0 to %.10g, graph 1 nohead "
                     "dt 2 lw 1.5 lc rgb '%s' front\n", x[i], x[i], color);
        if (ylabel < 0) /* upright along the line, from the bottom */
            gp_printf(g, "set label %s at %.10g, graph 0.03 left rotate by 90 "
                         "offset -1.3,0 tc rgb '%s' front\n",
                      gp_quote(q, sizeof q, t), x[i], color);
        else
            gp_printf(g, "set label %s at %.10g, graph %.3f right offset "
                         "-0.6,0 tc rgb '%s' front\n",
                      gp_quote(q, sizeof q, t), x[i], ylabel, color);
    }
}

static void no_data(gp *g, const char *what) {
    char q[256];
    gp_printf(g, "set label %s at graph 0.5, graph 0.5 center font ',14'\n"
                 "set xrange [0:1]\nset yrange [0:1]\nunset key\n"
                 "plot 2 notitle\n",
              gp_quote(q, sizeof q, what));
}

/* The marks (TTLs, contract bounds) to draw: at most cap, copied. */
static size_t marks(const double *x, size_t n, double *out, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; x && i < n && k < cap; i++) out[k++] = x[i];
    return k;
}

/* ---- window-cdf ------------------------------------------------------------------- */

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

static void draw_window_cdf(const plot_figure *f, gp *g) {
    size_t ng = f->nseries;
    double lo = INFINITY, hi = 0;
    for (size_t k = 0; k < ng; k++) {
        double a, b;
        if (hist_range(f->series[k].hist, &a, &b)) {
            if (a < lo) lo = a;
            if (b > hi) hi = b;
        }
    }
    title(g, "Stale-window durations (CDF)", f);
    axis_label(g, 'y', "fraction of stale windows no longer than x");
    if (hi == 0) {
        no_data(g, "no stale window was recorded");
        return;
    }
    double ttl[4096];
    size_t nttl = marks(f->ttl, f->nttl, ttl, 4096);
    for (size_t i = 0; i < nttl; i++)
        if (ttl[i] > 0 && isfinite(ttl[i])) {
            if (ttl[i] > hi) hi = ttl[i];
            if (ttl[i] < lo) lo = ttl[i];
        }
    int logx = spans_decades(lo, hi);
    if (logx) {
        decade_range(&lo, &hi);
        gp_printf(g, "set logscale x 10\nset xrange [%.10g:%.10g]\n", lo, hi);
        duration_tics(g, 'x', lo, hi);
        axis_label(g, 'x', "stale-window duration (log scale)");
    } else {
        gp_printf(g, "set xrange [0:%.10g]\n", hi * 1.05);
        axis_label(g, 'x', "stale-window duration (s)");
    }
    gp_printf(g, "set yrange [0:1.02]\nset ytics 0.1\nset key below nobox noopaque\n");
    vlines(g, ttl, nttl, "TTL", "#444444", -1);
    for (size_t k = 0; k < ng; k++) {
        const sim_hist *h = f->series[k].hist;
        char name[32];
        snprintf(name, sizeof name, "w%zu", k);
        gp_block_begin(g, name);
        uint64_t n = sim_hist_n(h), below = h->zeros;
        for (int i = 0; n && i < SIM_HIST_BINS; i++) {
            if (!h->bins[i]) continue;
            double a, b;
            sim_hist_bin_bounds(i, &a, &b);
            gp_printf(g, "%.10g %.10g\n", a / 1e9, (double)below / (double)n);
            below += h->bins[i];
            gp_printf(g, "%.10g %.10g\n", b / 1e9, (double)below / (double)n);
        }
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

static void draw_age_hist(const plot_figure *f, gp *g) {
    size_t ng = f->nseries;
    double lo = INFINITY, hi = 0;
    for (size_t k = 0; k < ng; k++) {
        double a, b;
        if (hist_range(f->series[k].hist, &a, &b)) {
            if (a < lo) lo = a;
            if (b > hi) hi = b;
        }
    }
    title(g, "Staleness age of stale reads", f);
    axis_label(g, 'y', "share of the stale reads (%)");
    if (hi == 0) {
        no_data(g, "no stale read was recorded");
        return;
    }
    double mark[4096], cmark[4096];
    size_t nttl = marks(f->ttl, f->nttl, mark, 4096);
    size_t ncon = marks(f->bound, f->nbound, cmark, 4096);
    int logx = spans_decades(lo, hi);
    if (logx) {
        decade_range(&lo, &hi);
        gp_printf(g, "set logscale x 10\nset xrange [%.10g:%.10g]\n", lo, hi);
        duration_tics(g, 'x', lo, hi);
        axis_label(g, 'x', "age: time since the missed commit (log scale)");
    } else {
        gp_printf(g, "set xrange [0:%.10g]\n", hi * 1.05);
        axis_label(g, 'x', "age: time since the missed commit (s)");
    }
    gp_printf(g, "set yrange [0:*]\nset key below nobox noopaque\n");
    /* Only marks inside the drawn range (a 300s TTL beside ages of ms would
     * squash the bars). */
    for (size_t i = 0; i < nttl; i++)
        if (!(mark[i] >= lo && mark[i] <= hi)) mark[i] = NAN;
    for (size_t i = 0; i < ncon; i++)
        if (!(cmark[i] >= lo && cmark[i] <= hi)) cmark[i] = NAN;
    vlines(g, mark, nttl, "TTL", "#444444", 0.97);
    vlines(g, cmark, ncon, "contract", "#b00000", 0.90);
    for (size_t k = 0; k < ng; k++) {
        const sim_hist *h = f->series[k].hist;
        uint64_t n = sim_hist_n(h);
        char name[32];
        snprintf(name, sizeof name, "a%zu", k);
        gp_block_begin(g, name);
        int first = -1, last = -1;
        for (int i = 0; i < SIM_HIST_BINS; i++)
            if (h->bins[i]) {
                if (first < 0) first = i / COARSE;
                last = i / COARSE;
            }
        for (int c = first; n && c >= 0 && c <= last; c++) {
            uint64_t cnt = 0;
            for (int i = c * COARSE; i < (c + 1) * COARSE; i++) cnt += h->bins[i];
            double a, b;
            sim_hist_bin_bounds(c * COARSE, &a, &b);
            gp_printf(g, "%.10g %.10g\n", a / 1e9,
                      100.0 * (double)cnt / (double)n);
        }
        if (n && last >= 0) {
            double a, b;
            sim_hist_bin_bounds((last + 1) * COARSE - 1, &a, &b);
            gp_printf(g, "%.10g 0\n", b / 1e9);
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

/* ---- vs and tradeoff ---------------------------------------------------------------- */

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
                       double *floor_out) {
    double lo, hi;
    int nonpos;
    value_range(f, w, &lo, &hi, &nonpos);
    char label[256];
    snprintf(label, sizeof label, "%s",
             w == AXIS_METRIC ? f->metric_label : f->stale_label);
    *floor_out = 0;
    if (spans_decades(lo, hi)) {
        decade_range(&lo, &hi);
        if (nonpos) lo /= 10;
        *floor_out = lo;
        gp_printf(g, "set logscale %c 10\nset %crange [%.10g:%.10g]\n"
                     "set format %c '%%g'\n", axis, axis, lo, hi, axis);
        sim_catf(label, sizeof label, ", log scale%s",
            nonpos ? "; 0 drawn on the bottom edge" : "");
        axis_label(g, axis, label);
        return 1;
    }
    gp_printf(g, "set %crange [%s:*]\n", axis, nonpos || lo > 0 ? "0" : "*");
    axis_label(g, axis, label);
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
    if (a->numeric && spans_decades(lo, hi)) {
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
    axis_label(g, 'x', label);
}

static double clamp_low(double y, double floor_) {
    return floor_ > 0 && y < floor_ ? floor_ : y;
}

static void draw_vs(const plot_figure *f, gp *g) {
    char what[256];
    snprintf(what, sizeof what, "%s vs %s", f->metric_brief, f->xkey);
    if (what[0] >= 'a' && what[0] <= 'z') what[0] = (char)(what[0] - 'a' + 'A');
    title(g, what, f);
    xaxis a;
    key_axis(f, g, &a);
    double floor_;
    metric_axis(f, g, 'y', AXIS_METRIC, &floor_);
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

static void draw_tradeoff(const plot_figure *f, gp *g) {
    char what[256];
    snprintf(what, sizeof what, "Trade-off: stale-read fraction vs %s as %s "
             "varies", f->metric_brief, f->xkey);
    title(g, what, f);
    double fx, fy;
    metric_axis(f, g, 'x', AXIS_METRIC, &fx);
    metric_axis(f, g, 'y', AXIS_STALE, &fy);
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

/* ---- causes ------------------------------------------------------------------------ */

#define MAX_CAUSES 64

static void draw_causes(const plot_figure *f, gp *g) {
    size_t ng = f->nseries;
    size_t nc = f->ncauses < MAX_CAUSES ? f->ncauses : MAX_CAUSES;
    int used[MAX_CAUSES], nused = 0;
    double lo = INFINITY, hi = 0, total[4096];
    for (size_t c = 0; c < nc; c++) {
        used[c] = 0;
        for (size_t k = 0; k < ng; k++)
            if (f->series[k].per_run[c] > 0) used[c] = 1;
        nused += used[c];
    }
    for (size_t k = 0; k < ng && k < 4096; k++) {
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
    int shares = spans_decades(lo, hi);
    title(g, "Stale reads by cause", f);
    const char *unit = !f->single_run ? "per replication"
                                      : "per replication (mean of the run)";
    char yl[160];
    if (shares)
        snprintf(yl, sizeof yl, "share of the stale reads (%%); totals %s "
                 "over the bars", unit);
    else
        snprintf(yl, sizeof yl, "stale reads %s", unit);
    axis_label(g, 'y', yl);
    gp_printf(g, "set style data histograms\n"
                 "set style histogram rowstacked gap 1\n"
                 "set style fill solid 0.85 border rgb '#333333'\n"
                 "set boxwidth 0.65 relative\n"
                 "set key outside right top vertical\n"
                 "set grid noxtics ytics\n"
                 "set xtics nomirror scale 0\n");
    if (ng > 5) gp_printf(g, "set xtics rotate by -30\n");
    if (shares)
        gp_printf(g, "set yrange [0:112]\nset ytics 0,20,100\n");
    else
        gp_printf(g, "set yrange [0:%.10g]\n", hi > 0 ? hi * 1.12 : 1);
    /* The header row names the columns for columnheader(); inside the
     * datablock it is data, never a command.  Cause names are single
     * words. */
    gp_block_begin(g, "c");
    gp_printf(g, "group");
    for (size_t c = 0; c < nc; c++)
        if (used[c]) gp_printf(g, " %s", f->cause[c]);
    if (!nused) gp_printf(g, " \"no stale read\"");
    gp_printf(g, " top label x\n");
    for (size_t k = 0; k < ng && k < 4096; k++) {
        char q[320], t[32];
        gp_printf(g, "%s", gp_datum(q, sizeof q, f->series[k].label));
        for (size_t c = 0; c < nc; c++) {
            if (!used[c]) continue;
            double y = f->series[k].per_run[c];
            if (shares) y = total[k] > 0 ? 100 * y / total[k] : 0;
            gp_printf(g, " %.10g", y);
        }
        if (!nused) gp_printf(g, " 0");
        plot_fmt_sig(t, sizeof t, total[k], 3);
        char qt[40];
        gp_printf(g, " %.10g %s %zu\n",
                  shares ? (total[k] > 0 ? 100.0 : 0.0) : total[k],
                  gp_datum(qt, sizeof qt, t), k);
    }
    gp_block_end(g);
    int ncol = nused ? nused : 1;
    gp_printf(g, "plot for [i=2:%d] $c using i:xtic(1) title columnheader(i) "
                 "ls (i-1), $c using %d:%d:%d with labels offset 0,0.8 "
                 "notitle\n",
              ncol + 1, ncol + 4, ncol + 2, ncol + 3);
}

/* ---- dispatch ------------------------------------------------------------------------ */

int plot_figure_draw(const plot_figure *f, gp *g) {
    plot_style_common(g);
    switch (f->kind) {
    case PLOT_WINDOW_CDF: draw_window_cdf(f, g); break;
    case PLOT_AGE_HIST: draw_age_hist(f, g); break;
    case PLOT_VS: draw_vs(f, g); break;
    case PLOT_TRADEOFF: draw_tradeoff(f, g); break;
    case PLOT_CAUSES: draw_causes(f, g); break;
    default: break;
    }
    return gp_printf(g, "%s", "");
}
