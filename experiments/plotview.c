/* What a plot shows (see plotview.h): the view of plot data a request
 * asks for, the plain figure plots/kinds.c draws from it, and its
 * sentence. */
#include "experiments/plotview.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/format.h"
#include "sim/errf.h"

typedef struct curve {
    size_t n;
    plot_curve_pt *pt;
} curve;

struct plot_view {
    plot_kind kind;
    const plot_data *d;
    plot_selection sel;
    int metric;     /* vs: the y metric; tradeoff: the cost (x) metric */
    plot_pool *pool; /* per group: window-cdf, age-hist, causes */
    curve *curve;   /* per group: vs, tradeoff */
    char where[512]; /* the --where conditions, for the title */
    /* What plots/ draws, pointing into the above. */
    plot_figure fig;
    plot_series *series;       /* per group */
    double *ttl, *bound;       /* per selected point */
    double *per_run;           /* per group, ORACLE_CAUSE_COUNT each */
    const char *cause[ORACLE_CAUSE_COUNT];
    char context[768];
    char metric_label[256], stale_label[256];
};

void plot_view_destroy(plot_view *v) {
    if (!v) return;
    for (size_t g = 0; v->curve && g < v->sel.ngroups; g++) free(v->curve[g].pt);
    free(v->curve);
    free(v->pool);
    free(v->series);
    free(v->ttl);
    free(v->bound);
    free(v->per_run);
    plot_selection_fini(&v->sel);
    free(v);
}

static int metric_named(const char *name) {
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
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
            plot_curve_pt *p = &c->pt[c->n++];
            p->xtext = xt;
            p->x = plot_value_number(xt);
            p->metric = pool->mean[v->metric];
            p->metric_ci = pool->ci95[v->metric];
            p->stale = pool->mean[WORLD_METRIC_STALE_READ_FRACTION];
            p->stale_ci = pool->ci95[WORLD_METRIC_STALE_READ_FRACTION];
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
        sim_catf(buf, len, ", per key family (");
        for (int f = 0; f < d->nfamilies; f++)
            sim_catf(buf, len, "%s%s", f ? ", " : "", d->family[f]);
        sim_catf(buf, len, ")");
    }
    if (v->where[0]) sim_catf(buf, len, ", where %s", v->where);
}

/* The registry's label (every metric has one, with its unit). */
static void metric_axis_label(char *buf, size_t len, int m) {
    const char *l = world_metric_label((world_metric)m);
    if (l)
        snprintf(buf, len, "%s", l);
    else
        snprintf(buf, len, "%s (per replication)",
                 world_metric_brief((world_metric)m));
}

/* An axis's scale: as asked, else the metric's default from the registry
 * (m < 0: no metric, the kind's own default). */
static plot_scale scale_of(plot_scale asked, int m) {
    if (asked != PLOT_SCALE_AUTO || m < 0) return asked;
    switch (world_metric_scale((world_metric)m)) {
    case WORLD_SCALE_LOG: return PLOT_SCALE_LOG;
    case WORLD_SCALE_LINEAR: return PLOT_SCALE_LINEAR;
    default: return PLOT_SCALE_AUTO;
    }
}

/* Stale windows still open when the runs ended, from their mean count. */
static uint64_t censored(const plot_pool *p) {
    double c = p->mean[WORLD_METRIC_CENSORED_WINDOWS] * (double)p->runs;
    return isfinite(c) && c > 0 ? (uint64_t)llround(c) : 0;
}

static double per_run(const plot_pool *p, int c) {
    return p->runs ? (double)p->causes[c] / (double)p->runs
                   : (double)p->causes[c];
}

/* The plain figure plots/ draws: labels, histograms or curves per group,
 * the TTLs and contract bounds of the selected points, the names. */
static int build_figure(plot_view *v, char *err, size_t errlen) {
    const plot_data *d = v->d;
    size_t ng = v->sel.ngroups;
    plot_figure *f = &v->fig;
    v->series = calloc(ng + 1, sizeof *v->series);
    v->ttl = calloc(v->sel.n + 1, sizeof *v->ttl);
    v->bound = calloc(v->sel.n + 1, sizeof *v->bound);
    v->per_run = calloc(ng * ORACLE_CAUSE_COUNT + 1, sizeof *v->per_run);
    if (!v->series || !v->ttl || !v->bound || !v->per_run) {
        sim_errf(err, errlen, "out of memory");
        return PLOT_ERUNTIME;
    }
    for (size_t i = 0; i < v->sel.n; i++) {
        v->ttl[i] = d->point[v->sel.point[i]].ttl_s;
        v->bound[i] = d->point[v->sel.point[i]].max_staleness_s;
    }
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
        v->cause[c] = oracle_cause_name((oracle_cause)c);
    for (size_t k = 0; k < ng; k++) {
        plot_series *s = &v->series[k];
        s->label = v->sel.group[k].label;
        if (v->pool) {
            const plot_pool *p = &v->pool[k];
            s->hist = &p->dist[v->kind == PLOT_AGE_HIST ? WORLD_DIST_STALE_AGE
                                                        : WORLD_DIST_STALE_WINDOW];
            s->open = censored(p);
            s->per_run = v->per_run + k * ORACLE_CAUSE_COUNT;
            for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
                v->per_run[k * ORACLE_CAUSE_COUNT + c] = per_run(p, c);
        }
        if (v->curve) {
            s->n = v->curve[k].n;
            s->pt = v->curve[k].pt;
        }
    }
    context(v, v->context, sizeof v->context);
    f->kind = v->kind;
    f->context = v->context;
    f->nseries = ng;
    f->series = v->series;
    f->ttl = v->ttl;
    f->nttl = v->sel.n;
    f->bound = v->bound;
    f->nbound = v->sel.n;
    if (v->metric >= 0) {
        f->xkey = d->key[v->sel.x];
        f->metric_brief = world_metric_brief((world_metric)v->metric);
        metric_axis_label(v->metric_label, sizeof v->metric_label, v->metric);
        metric_axis_label(v->stale_label, sizeof v->stale_label,
                          WORLD_METRIC_STALE_READ_FRACTION);
        f->metric_label = v->metric_label;
        f->stale_label = v->stale_label;
    }
    f->ncauses = ORACLE_CAUSE_COUNT;
    f->cause = v->cause;
    f->single_run = !d->from_db;
    return plot_view_scale(v, PLOT_SCALE_AUTO, PLOT_SCALE_AUTO, err, errlen);
}

/* --log / --linear against what the kind draws: causes has no scale to
 * choose; vs's x must be numbers (and positive for --log). */
static int check_scales(const plot_view *v, plot_scale x, plot_scale y,
                        char *err, size_t errlen) {
    if (v->kind == PLOT_CAUSES && (x || y)) {
        sim_errf(err, errlen, "--log and --linear do not apply to --kind "
                 "causes (its bars show shares when the totals span two "
                 "decades)");
        return PLOT_EINPUT;
    }
    if (v->kind != PLOT_VS || !x) return PLOT_OK;
    const char *flag = x == PLOT_SCALE_LOG ? "--log" : "--linear";
    const char *key = v->d->key[v->sel.x];
    for (size_t k = 0; k < v->sel.ngroups; k++)
        for (size_t i = 0; i < v->curve[k].n; i++) {
            const plot_curve_pt *p = &v->curve[k].pt[i];
            if (isnan(p->x)) {
                sim_errf(err, errlen, "%s x: %s has names (%s), not numbers",
                         flag, key, p->xtext);
                return PLOT_EINPUT;
            }
            if (x == PLOT_SCALE_LOG && !(p->x > 0)) {
                sim_errf(err, errlen, "--log x: %s has the value %s, not "
                         "above 0", key, p->xtext);
                return PLOT_EINPUT;
            }
        }
    return PLOT_OK;
}

int plot_view_scale(plot_view *v, plot_scale x, plot_scale y, char *err,
                    size_t errlen) {
    int rc = check_scales(v, x, y, err, errlen);
    if (rc != PLOT_OK) return rc;
    v->fig.xscale = scale_of(x, v->kind == PLOT_TRADEOFF ? v->metric : -1);
    v->fig.yscale = scale_of(y, v->kind == PLOT_VS ? v->metric
                                : v->kind == PLOT_TRADEOFF
                                    ? (int)WORLD_METRIC_STALE_READ_FRACTION
                                    : -1);
    return PLOT_OK;
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
        sim_catf(v->where, sizeof v->where, "%s%s", w ? ", " : "", r->where[w]);
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
        if (r->kind == PLOT_TRADEOFF && v->metric == WORLD_METRIC_STALE_READ_FRACTION) {
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
    rc = build_figure(v, err, errlen);
    if (rc != PLOT_OK) goto fail;
    *out = v;
    return PLOT_OK;
fail:
    plot_view_destroy(v);
    return rc;
}

/* ---- sentences ------------------------------------------------------------------- */

static void fmt_metric(char *buf, size_t len, int m, double y) {
    if (world_metric_shown((world_metric)m) == WORLD_SHOWN_SHARE)
        plot_fmt_percent(buf, len, y);
    else
        plot_fmt_sig(buf, len, y, 2);
}

static void describe_window_cdf(const plot_view *v, char *buf, size_t len) {
    int best = -1, worst = -1, some_open = 0;
    double bq = 0, wq = 0;
    for (size_t k = 0; k < v->sel.ngroups; k++) {
        const sim_hist *h = &v->pool[k].dist[WORLD_DIST_STALE_WINDOW];
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
        const sim_hist *h = &v->pool[worst].dist[WORLD_DIST_STALE_WINDOW];
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
        sim_catf(buf, len, " Windows still open when a run ended are not in the "
                      "curves (counted in the legend).");
}

static void describe_age_hist(const plot_view *v, char *buf, size_t len) {
    buf[0] = '\0';
    int any = 0, over_k = -1;
    double over = 0, bound = NAN;
    for (size_t k = 0; k < v->sel.ngroups; k++) {
        const sim_hist *h = &v->pool[k].dist[WORLD_DIST_STALE_AGE];
        if (!sim_hist_n(h)) continue;
        char q[32];
        sim_catf(buf, len, "%s%s %s", any ? ", " : "p99 staleness age: ",
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
    sim_catf(buf, len, ".");
    if (over_k >= 0) {
        char p[32], b[32];
        if (over > 0)
            sim_catf(buf, len, " %s of the stale reads of %s were older than the "
                "contract's %s.", plot_fmt_percent(p, sizeof p, over),
                v->sel.group[over_k].label,
                plot_fmt_duration(b, sizeof b, bound));
        else
            sim_catf(buf, len, " No stale read was older than the contract's %s.",
                plot_fmt_duration(b, sizeof b, bound));
    }
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
        sim_catf(buf, len, "%s", first ? ":" : ";");
        if (named) sim_catf(buf, len, " %s", v->sel.group[k].label);
        first = 0;
        const plot_curve_pt *p0 = &c->pt[0], *p1 = &c->pt[c->n - 1];
        if (!numeric || c->n == 1) {
            /* Names along x have no direction: each value. */
            for (size_t i = 0; i < c->n; i++) {
                fmt_metric(a, sizeof a, m, c->pt[i].metric);
                sim_catf(buf, len, "%s %s at %s=%s", i ? "," : "", a, key,
                    c->pt[i].xtext);
            }
            continue;
        }
        fmt_metric(a, sizeof a, m, p0->metric);
        fmt_metric(b, sizeof b, m, p1->metric);
        sim_catf(buf, len, " %s from %s at %s=%s to %s at %s",
            p1->metric > p0->metric   ? "rises"
            : p1->metric < p0->metric ? "falls"
                                        : "stays",
            a, key, p0->xtext, b, p1->xtext);
    }
    sim_catf(buf, len, ".");
}

static void describe_tradeoff(const plot_view *v, char *buf, size_t len) {
    int m = v->metric;
    int higher_better = world_metric_shown((world_metric)m) == WORLD_SHOWN_SHARE;
    const plot_curve_pt *fresh = NULL, *cheap = NULL;
    size_t fk = 0, ck = 0;
    for (size_t k = 0; k < v->sel.ngroups; k++)
        for (size_t i = 0; i < v->curve[k].n; i++) {
            const plot_curve_pt *p = &v->curve[k].pt[i];
            double y = p->stale, x = p->metric;
            if (isnan(y) || isnan(x)) continue;
            if (!fresh || y < fresh->stale) {
                fresh = p;
                fk = k;
            }
            if (!cheap || (higher_better ? x > cheap->metric
                                         : x < cheap->metric)) {
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
    fmt_metric(a, sizeof a, WORLD_METRIC_STALE_READ_FRACTION, fresh->stale);
    fmt_metric(b, sizeof b, m, fresh->metric);
    fmt_metric(c, sizeof c, m, cheap->metric);
    fmt_metric(d2, sizeof d2, WORLD_METRIC_STALE_READ_FRACTION, cheap->stale);
    snprintf(buf, len, "Fewest stale reads: %s at %s=%s (stale-read fraction "
             "%s at %s %s)", v->sel.group[fk].label, key, fresh->xtext, a, b,
             name);
    if (cheap == fresh)
        sim_catf(buf, len, ", which is also the %s %s.",
            higher_better ? "highest" : "lowest", name);
    else
        sim_catf(buf, len, "; %s %s: %s at %s=%s (%s %s at a stale-read fraction "
            "of %s).", higher_better ? "highest" : "lowest", name,
            v->sel.group[ck].label, key, cheap->xtext, c, name, d2);
}

static void describe_causes(const plot_view *v, char *buf, size_t len) {
    buf[0] = '\0';
    int any = 0;
    for (size_t k = 0; k < v->sel.ngroups; k++) {
        const plot_pool *p = &v->pool[k];
        uint64_t total = 0, top = 0;
        int tc = -1;
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) {
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
        sim_catf(buf, len, "%s%s for %s (%s%%)", any ? ", " : "Top cause: ",
            oracle_cause_name((oracle_cause)tc), v->sel.group[k].label, s);
        any = 1;
    }
    if (!any)
        snprintf(buf, len, "No stale read was recorded in these runs.");
    else
        sim_catf(buf, len, ".");
}

/* ---- dispatch ------------------------------------------------------------------------ */

int plot_view_draw(const plot_view *v, gp *g) {
    return plot_figure_draw(&v->fig, g);
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
