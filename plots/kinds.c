/* The plot kinds (see kinds.h): views computed from plot_data, their
 * gnuplot scripts and their sentences. */
#include "plots/kinds.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Appends to buf (always terminated). */
static void cat(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t len, const char *fmt, ...) {
    size_t used = strlen(buf);
    if (used + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/* ---- the view ------------------------------------------------------------------- */

typedef struct curve_pt {
    const char *xtext; /* the x value as given to --vary */
    double x;          /* its number; NaN for a name */
    double mean[M_COUNT], ci95[M_COUNT];
} curve_pt;

typedef struct curve {
    size_t n;
    curve_pt *pt;
} curve;

struct plot_view {
    plot_kind kind;
    const plot_data *d;
    plot_selection sel;
    int metric;     /* vs: the y metric; tradeoff: the cost (x) metric */
    plot_pool *pool; /* per group: window-cdf, age-hist, causes */
    curve *curve;   /* per group: vs, tradeoff */
    char where[512]; /* the --where conditions, for the title */
};

void plot_view_destroy(plot_view *v) {
    if (!v) return;
    for (size_t g = 0; v->curve && g < v->sel.ngroups; g++) free(v->curve[g].pt);
    free(v->curve);
    free(v->pool);
    plot_selection_fini(&v->sel);
    free(v);
}

static int metric_named(const char *name) {
    for (int m = 0; m < M_COUNT; m++)
        if (strcmp(name, world_metric_name((world_metric)m)) == 0) return m;
    return -1;
}

/* The default --x: cache.ttl when varied, else the first varied key with
 * numeric values, else the first varied key; never the --by key. */
static const char *default_x(const plot_data *d, const char *by) {
    int k = plot_data_key(d, "cache.ttl");
    if (k >= 0 && (!by || strcmp(by, "cache.ttl") != 0)) return d->key[k];
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < d->nkeys; i++) {
            if (by && strcmp(by, d->key[i]) == 0) continue;
            if (!by && strcmp(d->key[i], "cache.pattern") == 0 && d->nkeys > 1)
                continue;
            if (pass == 0 && isnan(plot_value_number(d->point[0].value[i])))
                continue;
            return d->key[i];
        }
    return NULL;
}

static int same_x(const char *a, const char *b) {
    if (strcmp(a, b) == 0) return 1;
    double x = plot_value_number(a), y = plot_value_number(b);
    return !isnan(x) && x == y;
}

static int build_curves(plot_view *v, char *err, size_t errlen) {
    const plot_data *d = v->d;
    v->curve = calloc(v->sel.ngroups + 1, sizeof *v->curve);
    plot_pool *pool = malloc(sizeof *pool);
    if (!v->curve || !pool) goto oom;
    for (size_t g = 0; g < v->sel.ngroups; g++) {
        const plot_group *gr = &v->sel.group[g];
        curve *c = &v->curve[g];
        c->pt = calloc(gr->n + 1, sizeof *c->pt);
        if (!c->pt) goto oom;
        for (size_t i = 0; i < gr->n;) {
            const char *xt = d->point[gr->point[i]].value[v->sel.x];
            size_t j = i + 1;
            while (j < gr->n &&
                   same_x(xt, d->point[gr->point[j]].value[v->sel.x]))
                j++;
            if (plot_pool_points(pool, d, gr->point + i, j - i) != PLOT_OK)
                goto oom;
            curve_pt *p = &c->pt[c->n++];
            p->xtext = xt;
            p->x = plot_value_number(xt);
            memcpy(p->mean, pool->mean, sizeof p->mean);
            memcpy(p->ci95, pool->ci95, sizeof p->ci95);
            i = j;
        }
    }
    free(pool);
    return PLOT_OK;
oom:
    free(pool);
    sim_errf(err, errlen, "out of memory");
    return PLOT_ERUNTIME;
}

int plot_view_create(plot_view **out, const plot_data *d,
                     const plot_request *r, char *err, size_t errlen) {
    *out = NULL;
    if (r->kind == PLOT_TIMELINE || r->kind >= PLOT_KIND_COUNT) {
        sim_errf(err, errlen, "--kind timeline draws from a scenario file");
        return PLOT_EINPUT;
    }
    int along = r->kind == PLOT_VS || r->kind == PLOT_TRADEOFF;
    if (r->x && !along) {
        sim_errf(err, errlen, "--x applies to --kind vs and tradeoff, not %s",
             plot_kind_name(r->kind));
        return PLOT_EINPUT;
    }
    if (r->metric && !along) {
        sim_errf(err, errlen, "--metric applies to --kind vs and tradeoff, not %s",
             plot_kind_name(r->kind));
        return PLOT_EINPUT;
    }
    if (along && !d->from_db) {
        sim_errf(err, errlen, "--kind %s: %s is a single run; %s draws a sweep "
             "(stalesim sweep ... --db FILE, then plot FILE)",
             plot_kind_name(r->kind), d->source, plot_kind_name(r->kind));
        return PLOT_EINPUT;
    }
    plot_view *v = calloc(1, sizeof *v);
    if (!v) {
        sim_errf(err, errlen, "out of memory");
        return PLOT_ERUNTIME;
    }
    v->kind = r->kind;
    v->d = d;
    v->metric = -1;
    int rc;
    const char *x = r->x;
    if (along && !x) {
        x = default_x(d, r->by);
        if (!x) {
            char keys[512];
            plot_data_key_list(d, keys, sizeof keys);
            sim_errf(err, errlen, "--kind %s needs --x KEY, a varied key other "
                 "than --by (experiment %lld varied: %s)",
                 plot_kind_name(r->kind), (long long)d->experiment, keys);
            rc = PLOT_EINPUT;
            goto fail;
        }
    }
    rc = plot_select(&v->sel, d, r->where, r->nwhere, r->by, along ? x : NULL,
                     err, errlen);
    if (rc != PLOT_OK) goto fail;
    for (size_t w = 0; w < r->nwhere; w++)
        cat(v->where, sizeof v->where, "%s%s", w ? ", " : "", r->where[w]);
    if (along) {
        const char *name = r->metric ? r->metric
                           : r->kind == PLOT_VS ? "stale_read_fraction"
                                                : "db_reads_per_s";
        v->metric = metric_named(name);
        if (v->metric < 0) {
            sim_errf(err, errlen, "--metric '%s': not a metric (e.g. "
                 "stale_read_fraction, hit_ratio, db_reads_per_s; all in "
                 "`stalesim run --format json`)", name);
            rc = PLOT_EINPUT;
            goto fail;
        }
        if (r->kind == PLOT_TRADEOFF && v->metric == M_STALE_READ_FRACTION) {
            sim_errf(err, errlen, "--metric stale_read_fraction: tradeoff already "
                 "draws it on the y axis; choose the cost, e.g. "
                 "db_reads_per_s or hit_ratio");
            rc = PLOT_EINPUT;
            goto fail;
        }
        rc = build_curves(v, err, errlen);
        if (rc != PLOT_OK) goto fail;
    } else {
        v->pool = calloc(v->sel.ngroups + 1, sizeof *v->pool);
        if (!v->pool) {
            sim_errf(err, errlen, "out of memory");
            rc = PLOT_ERUNTIME;
            goto fail;
        }
        for (size_t g = 0; g < v->sel.ngroups; g++) {
            if (plot_pool_points(&v->pool[g], d, v->sel.group[g].point,
                                 v->sel.group[g].n) != PLOT_OK) {
                sim_errf(err, errlen, "out of memory");
                rc = PLOT_ERUNTIME;
                goto fail;
            }
            if (r->kind != PLOT_CAUSES && !v->pool[g].has_bins) {
                sim_errf(err, errlen, "--kind %s: %s has no histogram bins (it "
                     "was written by an older stalesim: run `stalesim run "
                     "--format json` again)", plot_kind_name(r->kind),
                     d->source);
                rc = PLOT_EINPUT;
                goto fail;
            }
        }
    }
    *out = v;
    return PLOT_OK;
fail:
    plot_view_destroy(v);
    return rc;
}

/* ---- shared drawing ------------------------------------------------------------- */

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* "account-limits.ini, experiment 3" / "account-limits.ini (run.json)". */
static void context(const plot_view *v, char *buf, size_t len) {
    const plot_data *d = v->d;
    if (d->from_db)
        snprintf(buf, len, "%s, experiment %lld",
                 base_name(d->scenario_file), (long long)d->experiment);
    else
        snprintf(buf, len, "%s (%s)", base_name(d->scenario_file),
                 base_name(d->source));
    if (d->by_family) {
        cat(buf, len, ", per key family (");
        for (int f = 0; f < d->nfamilies; f++)
            cat(buf, len, "%s%s", f ? ", " : "", d->family[f]);
        cat(buf, len, ")");
    }
    if (v->where[0]) cat(buf, len, ", where %s", v->where);
}

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

static void title(gp *g, const char *what, const plot_view *v) {
    char ctx[768], q[1700];
    context(v, ctx, sizeof ctx);
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

/* The TTLs (and contract bounds) of the selected points. */
static size_t point_values(const plot_view *v, int contract, double *out,
                           size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < v->sel.n && n < cap; i++) {
        const plot_point *pt = &v->d->point[v->sel.point[i]];
        out[n++] = contract ? pt->max_staleness_s : pt->ttl_s;
    }
    return n;
}

/* ---- window-cdf ------------------------------------------------------------------- */

static uint64_t censored(const plot_pool *p) {
    double c = p->mean[M_CENSORED_WINDOWS] * (double)p->runs;
    return isfinite(c) && c > 0 ? (uint64_t)llround(c) : 0;
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

static void draw_window_cdf(const plot_view *v, gp *g) {
    size_t ng = v->sel.ngroups;
    double lo = INFINITY, hi = 0;
    for (size_t k = 0; k < ng; k++) {
        double a, b;
        if (hist_range(&v->pool[k].dist[D_STALE_WINDOW], &a, &b)) {
            if (a < lo) lo = a;
            if (b > hi) hi = b;
        }
    }
    title(g, "Stale-window durations (CDF)", v);
    axis_label(g, 'y', "fraction of stale windows no longer than x");
    if (hi == 0) {
        no_data(g, "no stale window was recorded");
        return;
    }
    double ttl[4096];
    size_t nttl = point_values(v, 0, ttl, 4096);
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
        const sim_hist *h = &v->pool[k].dist[D_STALE_WINDOW];
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
        const plot_pool *p = &v->pool[k];
        uint64_t n = sim_hist_n(&p->dist[D_STALE_WINDOW]), open = censored(p);
        char t[400], q[480];
        if (n == 0)
            snprintf(t, sizeof t, "%s (no stale window)", v->sel.group[k].label);
        else if (open)
            snprintf(t, sizeof t, "%s (%llu closed, %llu open at the end)",
                     v->sel.group[k].label, (unsigned long long)n,
                     (unsigned long long)open);
        else
            snprintf(t, sizeof t, "%s (%llu windows)", v->sel.group[k].label,
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

static void describe_window_cdf(const plot_view *v, char *buf, size_t len) {
    int best = -1, worst = -1, some_open = 0;
    double bq = 0, wq = 0;
    for (size_t k = 0; k < v->sel.ngroups; k++) {
        const sim_hist *h = &v->pool[k].dist[D_STALE_WINDOW];
        if (censored(&v->pool[k])) some_open = 1;
        if (!sim_hist_n(h)) continue;
        double q = sim_hist_quantile(h, 0.99) / 1e9;
        if (worst < 0 || q > wq) {
            worst = (int)k;
            wq = q;
        }
        if (best < 0 || q < bq) {
            best = (int)k;
            bq = q;
        }
    }
    char a[32], b[32];
    if (worst < 0) {
        snprintf(buf, len, "No stale window closed in these runs%s.",
                 some_open ? " (some were still open when the runs ended)"
                           : ": no cache copy was ever stale");
        return;
    }
    if (worst == best) {
        const sim_hist *h = &v->pool[worst].dist[D_STALE_WINDOW];
        char c[32];
        snprintf(buf, len, "Stale windows of %s last %s at the median and %s "
                 "at p99; the longest lasted %s.",
                 v->sel.group[worst].label,
                 plot_fmt_duration(a, sizeof a,
                                   sim_hist_quantile(h, 0.5) / 1e9),
                 plot_fmt_duration(b, sizeof b, wq),
                 plot_fmt_duration(c, sizeof c, h->tally.max / 1e9));
    } else {
        snprintf(buf, len, "The longest p99 stale window is %s for %s; the "
                 "shortest is %s for %s.",
                 plot_fmt_duration(a, sizeof a, wq), v->sel.group[worst].label,
                 plot_fmt_duration(b, sizeof b, bq), v->sel.group[best].label);
    }
    if (some_open)
        cat(buf, len, " Windows still open when a run ended are not in the "
                      "curves (counted in the legend).");
}

/* ---- age-hist --------------------------------------------------------------------- */

static void draw_age_hist(const plot_view *v, gp *g) {
    size_t ng = v->sel.ngroups;
    double lo = INFINITY, hi = 0;
    for (size_t k = 0; k < ng; k++) {
        double a, b;
        if (hist_range(&v->pool[k].dist[D_STALE_AGE], &a, &b)) {
            if (a < lo) lo = a;
            if (b > hi) hi = b;
        }
    }
    title(g, "Staleness age of stale reads", v);
    axis_label(g, 'y', "share of the stale reads (%)");
    if (hi == 0) {
        no_data(g, "no stale read was recorded");
        return;
    }
    double mark[4096], cmark[4096];
    size_t nttl = point_values(v, 0, mark, 4096);
    size_t ncon = point_values(v, 1, cmark, 4096);
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
        const sim_hist *h = &v->pool[k].dist[D_STALE_AGE];
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
        uint64_t n = sim_hist_n(&v->pool[k].dist[D_STALE_AGE]);
        char t[400], q[480];
        snprintf(t, sizeof t, "%s (%llu stale reads)", v->sel.group[k].label,
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

static void describe_age_hist(const plot_view *v, char *buf, size_t len) {
    buf[0] = '\0';
    int any = 0, over_k = -1;
    double over = 0, bound = NAN;
    for (size_t k = 0; k < v->sel.ngroups; k++) {
        const sim_hist *h = &v->pool[k].dist[D_STALE_AGE];
        if (!sim_hist_n(h)) continue;
        char q[32];
        cat(buf, len, "%s%s %s", any ? ", " : "p99 staleness age: ",
            v->sel.group[k].label,
            plot_fmt_duration(q, sizeof q, sim_hist_quantile(h, 0.99) / 1e9));
        any = 1;
        /* The contract bound of the group's first point. */
        double ms = v->d->point[v->sel.group[k].point[0]].max_staleness_s;
        if (ms > 0) {
            double share = 1 - sim_hist_cdf(h, ms * 1e9);
            if (over_k < 0 || share > over) {
                over_k = (int)k;
                over = share;
                bound = ms;
            }
        }
    }
    if (!any) {
        snprintf(buf, len, "No stale read was recorded in these runs.");
        return;
    }
    cat(buf, len, ".");
    if (over_k >= 0) {
        char p[32], b[32];
        if (over > 0)
            cat(buf, len, " %s of the stale reads of %s were older than the "
                "contract's %s.", plot_fmt_percent(p, sizeof p, over),
                v->sel.group[over_k].label,
                plot_fmt_duration(b, sizeof b, bound));
        else
            cat(buf, len, " No stale read was older than the contract's %s.",
                plot_fmt_duration(b, sizeof b, bound));
    }
}

/* ---- vs and tradeoff ---------------------------------------------------------------- */

static void metric_axis_label(char *buf, size_t len, int m) {
    const char *l = world_metric_label((world_metric)m);
    if (l)
        snprintf(buf, len, "%s", l);
    else
        snprintf(buf, len, "%s (per replication)",
                 world_metric_name((world_metric)m));
}

/* Range of the positive means (and whether any is <= 0). */
static void value_range(const plot_view *v, int m, double *lo, double *hi,
                        int *nonpos) {
    *lo = INFINITY;
    *hi = 0;
    *nonpos = 0;
    for (size_t k = 0; k < v->sel.ngroups; k++)
        for (size_t i = 0; i < v->curve[k].n; i++) {
            double y = v->curve[k].pt[i].mean[m];
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
static int metric_axis(const plot_view *v, gp *g, char axis, int m,
                       double *floor_out) {
    double lo, hi;
    int nonpos;
    value_range(v, m, &lo, &hi, &nonpos);
    char label[256];
    metric_axis_label(label, sizeof label, m);
    *floor_out = 0;
    if (spans_decades(lo, hi)) {
        decade_range(&lo, &hi);
        if (nonpos) lo /= 10;
        *floor_out = lo;
        gp_printf(g, "set logscale %c 10\nset %crange [%.10g:%.10g]\n"
                     "set format %c '%%g'\n", axis, axis, lo, hi, axis);
        cat(label, sizeof label, ", log scale%s",
            nonpos ? "; 0 drawn on the bottom edge" : "");
        axis_label(g, axis, label);
        return 1;
    }
    gp_printf(g, "set %crange [%s:*]\n", axis, nonpos || lo > 0 ? "0" : "*");
    axis_label(g, axis, label);
    return 0;
}

/* Positions along x for the key's values: numbers (log where they span
 * decades), else categories 0..n-1 in order of appearance. */
typedef struct xaxis {
    int numeric, log;
    size_t ncat;
    const char *cat[256];
} xaxis;

static double x_pos(const xaxis *a, const curve_pt *p) {
    if (a->numeric) return p->x;
    for (size_t i = 0; i < a->ncat; i++)
        if (same_x(a->cat[i], p->xtext)) return (double)i;
    return NAN;
}

static void key_axis(const plot_view *v, gp *g, xaxis *a) {
    memset(a, 0, sizeof *a);
    a->numeric = 1;
    double lo = INFINITY, hi = 0;
    for (size_t k = 0; k < v->sel.ngroups; k++)
        for (size_t i = 0; i < v->curve[k].n; i++) {
            const curve_pt *p = &v->curve[k].pt[i];
            if (isnan(p->x)) a->numeric = 0;
            else {
                if (p->x < lo) lo = p->x;
                if (p->x > hi) hi = p->x;
                if (p->x <= 0) lo = -1;
            }
            size_t c = 0;
            while (c < a->ncat && !same_x(a->cat[c], p->xtext)) c++;
            if (c == a->ncat && a->ncat < 256) a->cat[a->ncat++] = p->xtext;
        }
    const char *key = v->d->key[v->sel.x];
    char label[256];
    snprintf(label, sizeof label, "%s", key);
    if (a->numeric && spans_decades(lo, hi)) {
        a->log = 1;
        gp_printf(g, "set logscale x 10\nset xrange [%.10g:%.10g]\n", lo / 1.6,
                  hi * 1.6);
        cat(label, sizeof label, " (log scale)");
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
            curve_pt tmp = {a->cat[c], plot_value_number(a->cat[c]), {0}, {0}};
            gp_printf(g, "%s%s %.10g", c ? ", " : "",
                      gp_quote(q, sizeof q, a->cat[c]), x_pos(a, &tmp));
        }
        gp_printf(g, ")\n");
        if (a->ncat > 6) gp_printf(g, "set xtics rotate by -30\n");
    }
    axis_label(g, 'x', label);
}

static double clamp_low(double y, double floor_) {
    return floor_ > 0 && y < floor_ ? floor_ : y;
}

static void draw_vs(const plot_view *v, gp *g) {
    char what[256];
    snprintf(what, sizeof what, "%s vs %s", world_metric_brief((world_metric)v->metric),
             v->d->key[v->sel.x]);
    if (what[0] >= 'a' && what[0] <= 'z') what[0] = (char)(what[0] - 'a' + 'A');
    title(g, what, v);
    xaxis a;
    key_axis(v, g, &a);
    double floor_;
    metric_axis(v, g, 'y', v->metric, &floor_);
    gp_printf(g, "set key top left\nset bars small\n");
    int m = v->metric;
    for (size_t k = 0; k < v->sel.ngroups; k++) {
        char name[32];
        snprintf(name, sizeof name, "v%zu", k);
        gp_block_begin(g, name);
        for (size_t i = 0; i < v->curve[k].n; i++) {
            const curve_pt *p = &v->curve[k].pt[i];
            double y = p->mean[m], ci = p->ci95[m];
            if (isnan(y)) continue;
            if (isnan(ci)) ci = 0;
            y = clamp_low(y, floor_);
            gp_printf(g, "%.10g %.10g %.10g %.10g\n", x_pos(&a, p), y,
                      clamp_low(y - ci, floor_), y + ci);
        }
        gp_block_end(g);
    }
    gp_printf(g, "plot ");
    for (size_t k = 0; k < v->sel.ngroups; k++) {
        char q[320];
        gp_printf(g, "%s$v%zu using 1:2:3:4 with yerrorlines ls %zu title %s",
                  k ? ", " : "", k, k % 8 + 1,
                  gp_quote(q, sizeof q, v->sel.group[k].label));
    }
    gp_printf(g, "\n");
}

static void fmt_metric(char *buf, size_t len, int m, double y) {
    if (world_metric_shown((world_metric)m) == WORLD_SHOWN_SHARE)
        plot_fmt_percent(buf, len, y);
    else
        plot_fmt_sig(buf, len, y, 2);
}

static void describe_vs(const plot_view *v, char *buf, size_t len) {
    int m = v->metric;
    const char *key = v->d->key[v->sel.x];
    snprintf(buf, len, "%s", world_metric_brief((world_metric)m));
    if (buf[0] >= 'a' && buf[0] <= 'z') buf[0] = (char)(buf[0] - 'a' + 'A');
    int numeric = 1;
    for (size_t k = 0; k < v->sel.ngroups; k++)
        for (size_t i = 0; i < v->curve[k].n; i++)
            if (isnan(v->curve[k].pt[i].x)) numeric = 0;
    int first = 1, named = v->sel.ngroups > 1;
    for (size_t k = 0; k < v->sel.ngroups; k++) {
        const curve *c = &v->curve[k];
        if (c->n == 0) continue;
        char a[32], b[32];
        cat(buf, len, "%s", first ? ":" : ";");
        if (named) cat(buf, len, " %s", v->sel.group[k].label);
        first = 0;
        const curve_pt *p0 = &c->pt[0], *p1 = &c->pt[c->n - 1];
        if (!numeric || c->n == 1) {
            /* Names along x have no direction: each value. */
            for (size_t i = 0; i < c->n; i++) {
                fmt_metric(a, sizeof a, m, c->pt[i].mean[m]);
                cat(buf, len, "%s %s at %s=%s", i ? "," : "", a, key,
                    c->pt[i].xtext);
            }
            continue;
        }
        fmt_metric(a, sizeof a, m, p0->mean[m]);
        fmt_metric(b, sizeof b, m, p1->mean[m]);
        cat(buf, len, " %s from %s at %s=%s to %s at %s",
            p1->mean[m] > p0->mean[m]   ? "rises"
            : p1->mean[m] < p0->mean[m] ? "falls"
                                        : "stays",
            a, key, p0->xtext, b, p1->xtext);
    }
    cat(buf, len, ".");
}

static void draw_tradeoff(const plot_view *v, gp *g) {
    int m = v->metric;
    char what[256];
    snprintf(what, sizeof what, "Trade-off: stale-read fraction vs %s as %s "
             "varies", world_metric_brief((world_metric)m), v->d->key[v->sel.x]);
    title(g, what, v);
    double fx, fy;
    metric_axis(v, g, 'x', m, &fx);
    metric_axis(v, g, 'y', M_STALE_READ_FRACTION, &fy);
    gp_printf(g, "set key top right\nset bars small\nset offsets graph 0.05, "
                 "graph 0.05, graph 0.05, graph 0.05\n");
    for (size_t k = 0; k < v->sel.ngroups; k++) {
        char name[32];
        snprintf(name, sizeof name, "t%zu", k);
        gp_block_begin(g, name);
        for (size_t i = 0; i < v->curve[k].n; i++) {
            const curve_pt *p = &v->curve[k].pt[i];
            double x = p->mean[m], y = p->mean[M_STALE_READ_FRACTION];
            double cx = p->ci95[m], cy = p->ci95[M_STALE_READ_FRACTION];
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
    for (size_t k = 0; k < v->sel.ngroups; k++) {
        char q[320];
        gp_printf(g, "%s$t%zu using 1:2:3:4:5:6 with xyerrorlines ls %zu "
                     "title %s, $t%zu using 1:2:7 with labels offset 0.8,0.8 "
                     "left tc ls %zu notitle",
                  k ? ", " : "", k, k % 8 + 1,
                  gp_quote(q, sizeof q, v->sel.group[k].label), k, k % 8 + 1);
    }
    gp_printf(g, "\n");
}

static void describe_tradeoff(const plot_view *v, char *buf, size_t len) {
    int m = v->metric;
    int higher_better = world_metric_shown((world_metric)m) == WORLD_SHOWN_SHARE;
    const curve_pt *fresh = NULL, *cheap = NULL;
    size_t fk = 0, ck = 0;
    for (size_t k = 0; k < v->sel.ngroups; k++)
        for (size_t i = 0; i < v->curve[k].n; i++) {
            const curve_pt *p = &v->curve[k].pt[i];
            double y = p->mean[M_STALE_READ_FRACTION], x = p->mean[m];
            if (isnan(y) || isnan(x)) continue;
            if (!fresh || y < fresh->mean[M_STALE_READ_FRACTION]) {
                fresh = p;
                fk = k;
            }
            if (!cheap || (higher_better ? x > cheap->mean[m]
                                         : x < cheap->mean[m])) {
                cheap = p;
                ck = k;
            }
        }
    if (!fresh) {
        snprintf(buf, len, "No point has both figures.");
        return;
    }
    const char *key = v->d->key[v->sel.x];
    const char *name = world_metric_brief((world_metric)m);
    char a[32], b[32], c[32], d2[32];
    fmt_metric(a, sizeof a, M_STALE_READ_FRACTION,
               fresh->mean[M_STALE_READ_FRACTION]);
    fmt_metric(b, sizeof b, m, fresh->mean[m]);
    fmt_metric(c, sizeof c, m, cheap->mean[m]);
    fmt_metric(d2, sizeof d2, M_STALE_READ_FRACTION,
               cheap->mean[M_STALE_READ_FRACTION]);
    snprintf(buf, len, "Fewest stale reads: %s at %s=%s (stale-read fraction "
             "%s at %s %s)", v->sel.group[fk].label, key, fresh->xtext, a, b,
             name);
    if (cheap == fresh)
        cat(buf, len, ", which is also the %s %s.",
            higher_better ? "highest" : "lowest", name);
    else
        cat(buf, len, "; %s %s: %s at %s=%s (%s %s at a stale-read fraction "
            "of %s).", higher_better ? "highest" : "lowest", name,
            v->sel.group[ck].label, key, cheap->xtext, c, name, d2);
}

/* ---- causes ------------------------------------------------------------------------ */

static double per_run(const plot_pool *p, int c) {
    return p->runs ? (double)p->causes[c] / (double)p->runs
                   : (double)p->causes[c];
}

static void draw_causes(const plot_view *v, gp *g) {
    size_t ng = v->sel.ngroups;
    int used[CAUSE_COUNT], nused = 0;
    double lo = INFINITY, hi = 0, total[4096];
    for (int c = 0; c < CAUSE_COUNT; c++) {
        used[c] = 0;
        for (size_t k = 0; k < ng; k++)
            if (v->pool[k].causes[c]) used[c] = 1;
        nused += used[c];
    }
    for (size_t k = 0; k < ng && k < 4096; k++) {
        double t = 0;
        for (int c = 0; c < CAUSE_COUNT; c++) t += per_run(&v->pool[k], c);
        total[k] = t;
        if (t > 0 && t < lo) lo = t;
        if (t > hi) hi = t;
    }
    /* Counts on a linear axis when the totals are comparable; when they span
     * decades the short bars would vanish (and gnuplot cannot stack on a log
     * axis, which would misstate the shares anyway), so each bar shows its
     * causes' shares and the total is printed over it. */
    int shares = spans_decades(lo, hi);
    title(g, "Stale reads by cause", v);
    const char *unit = v->d->from_db ? "per replication"
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
    gp_block_begin(g, "c");
    gp_printf(g, "group");
    for (int c = 0; c < CAUSE_COUNT; c++)
        if (used[c]) gp_printf(g, " %s", oracle_cause_name((oracle_cause)c));
    if (!nused) gp_printf(g, " \"no stale read\"");
    gp_printf(g, " top label x\n");
    for (size_t k = 0; k < ng && k < 4096; k++) {
        char q[320], t[32];
        gp_printf(g, "%s", gp_datum(q, sizeof q, v->sel.group[k].label));
        for (int c = 0; c < CAUSE_COUNT; c++) {
            if (!used[c]) continue;
            double y = per_run(&v->pool[k], c);
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

static void describe_causes(const plot_view *v, char *buf, size_t len) {
    buf[0] = '\0';
    int any = 0;
    for (size_t k = 0; k < v->sel.ngroups; k++) {
        const plot_pool *p = &v->pool[k];
        uint64_t total = 0, top = 0;
        int tc = -1;
        for (int c = 0; c < CAUSE_COUNT; c++) {
            total += p->causes[c];
            if (p->causes[c] > top) {
                top = p->causes[c];
                tc = c;
            }
        }
        if (tc < 0) continue;
        char s[32];
        plot_fmt_sig(s, sizeof s, 100.0 * (double)top / (double)total, 3);
        if (top < total && atof(s) >= 100) snprintf(s, sizeof s, ">99.9");
        cat(buf, len, "%s%s for %s (%s%%)", any ? ", " : "Top cause: ",
            oracle_cause_name((oracle_cause)tc), v->sel.group[k].label, s);
        any = 1;
    }
    if (!any)
        snprintf(buf, len, "No stale read was recorded in these runs.");
    else
        cat(buf, len, ".");
}

/* ---- dispatch ------------------------------------------------------------------------ */

int plot_view_draw(const plot_view *v, gp *g) {
    plot_style_common(g);
    switch (v->kind) {
    case PLOT_WINDOW_CDF: draw_window_cdf(v, g); break;
    case PLOT_AGE_HIST: draw_age_hist(v, g); break;
    case PLOT_VS: draw_vs(v, g); break;
    case PLOT_TRADEOFF: draw_tradeoff(v, g); break;
    case PLOT_CAUSES: draw_causes(v, g); break;
    default: break;
    }
    return gp_printf(g, "%s", "");
}

void plot_view_describe(const plot_view *v, char *buf, size_t len) {
    if (!len) return;
    buf[0] = '\0';
    switch (v->kind) {
    case PLOT_WINDOW_CDF: describe_window_cdf(v, buf, len); break;
    case PLOT_AGE_HIST: describe_age_hist(v, buf, len); break;
    case PLOT_VS: describe_vs(v, buf, len); break;
    case PLOT_TRADEOFF: describe_tradeoff(v, buf, len); break;
    case PLOT_CAUSES: describe_causes(v, buf, len); break;
    default: break;
    }
}
