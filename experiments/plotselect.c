/* Selections, groups, labels and pools of plot data (see plotdata.h). */
#include "experiments/plotdata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/errf.h"

void plot_mean_ci(const double *x, size_t n, double *mean, double *ci) {
    double *v = n ? malloc(n * sizeof *v) : NULL;
    size_t k = 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            if (v) v[k] = x[i];
            k++;
            sum += x[i];
        }
    *mean = k ? sum / (double)k : NAN;
    *ci = v && k >= 2 ? sim_ci95(v, k) : NAN;
    free(v);
}

/* ---- selections ------------------------------------------------------------------ */

void plot_selection_fini(plot_selection *s) {
    if (!s) return;
    for (size_t g = 0; s->group && g < s->ngroups; g++) free(s->group[g].point);
    free(s->group);
    free(s->point);
    memset(s, 0, sizeof *s);
}

/* Two values of a key are the same: equal text, or equal numbers (30s is
 * 0.5m). */
static int same_value(const char *a, const char *b) {
    if (strcmp(a, b) == 0) return 1;
    double x = plot_value_number(a), y = plot_value_number(b);
    return !isnan(x) && x == y;
}

/* Does `value` match one of the comma-separated alternatives in `list`, or
 * the whole of it (a name with a comma)? */
static int value_in(const char *value, const char *list) {
    if (strcmp(value, list) == 0) return 1;
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        char alt[256];
        if (len < sizeof alt) {
            memcpy(alt, p, len);
            alt[len] = '\0';
            if (same_value(value, alt)) return 1;
        }
        if (!p[len]) return 0;
        p += len + 1;
    }
}

int plot_value_matches(const char *value, const char *list) {
    return value_in(value, list);
}

void plot_point_label(const plot_data *d, size_t p, int skip1, int skip2,
                      char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    const plot_point *pt = &d->point[p];
    if (d->nkeys == 0) {
        snprintf(buf, len, "%s", pt->pattern[0] ? pt->pattern : "run");
        return;
    }
    for (size_t k = 0; k < d->nkeys && used < len; k++) {
        if ((int)k == skip1 || (int)k == skip2) continue;
        const char *name = strrchr(d->key[k], '.');
        name = name ? name + 1 : d->key[k];
        int n = strcmp(d->key[k], "cache.pattern") == 0 ||
                        (d->by_family && k + 1 == d->nkeys)
                    ? snprintf(buf + used, len - used, "%s%s",
                               used ? ", " : "", pt->value[k])
                    : snprintf(buf + used, len - used, "%s%s=%s",
                               used ? ", " : "", name, pt->value[k]);
        if (n < 0) break;
        used += (size_t)n;
    }
    if (!buf[0]) snprintf(buf, len, "all points");
}

static int group_key_equal(const plot_data *d, size_t a, size_t b, int by,
                           int x) {
    if (by >= 0)
        return same_value(d->point[a].value[by], d->point[b].value[by]);
    if (x < 0) return a == b;
    for (size_t k = 0; k < d->nkeys; k++)
        if ((int)k != x &&
            !same_value(d->point[a].value[k], d->point[b].value[k]))
            return 0;
    return 1;
}

static int bad_key(const plot_data *d, const char *opt, const char *key,
                   char *err, size_t errlen) {
    char keys[1024];
    plot_data_key_list(d, keys, sizeof keys);
    if (!d->from_db)
        sim_errf(err, errlen, "%s '%s': %s is a single run, nothing was varied "
             "(plot a sweep database for that)", opt, key, d->source);
    else
        sim_errf(err, errlen, "%s '%s': not a varied key of experiment %lld "
             "(varied: %s)", opt, key, (long long)d->experiment, keys);
    return PLOT_EINPUT;
}

/* x of point p for ordering (NaN for names). */
static double x_of(const plot_data *d, size_t p, int x) {
    return plot_value_number(d->point[p].value[x]);
}

/* Sorts a group's points by their numeric x value, stably (names keep grid
 * order); an insertion sort: groups are small. */
static void sort_by_x(const plot_data *d, int x, size_t *pt, size_t n) {
    for (size_t i = 1; i < n; i++) {
        size_t v = pt[i], j = i;
        double xv = x_of(d, v, x);
        while (j > 0 && !isnan(xv) && x_of(d, pt[j - 1], x) > xv) {
            pt[j] = pt[j - 1];
            j--;
        }
        pt[j] = v;
    }
}

int plot_select(plot_selection *s, const plot_data *d, const char *const *where,
                size_t nwhere, const char *by, const char *x, char *err,
                size_t errlen) {
    memset(s, 0, sizeof *s);
    s->by = s->x = -1;
    int rc = PLOT_EINPUT;
    int wkey[PLOT_MAX_WHERE];
    if (nwhere > PLOT_MAX_WHERE) {
        sim_errf(err, errlen, "--where: at most %d", PLOT_MAX_WHERE);
        return PLOT_EINPUT;
    }
    for (size_t w = 0; w < nwhere; w++) {
        const char *eq = strchr(where[w], '=');
        if (!eq || eq == where[w] || !eq[1]) {
            sim_errf(err, errlen, "--where '%s': expected KEY=VALUE, e.g. "
                 "cache.ttl=30s", where[w]);
            return PLOT_EINPUT;
        }
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(eq - where[w]), where[w]);
        wkey[w] = plot_data_key(d, key);
        if (wkey[w] < 0) return bad_key(d, "--where", key, err, errlen);
        size_t p = 0;
        while (p < d->npoints && !value_in(d->point[p].value[wkey[w]], eq + 1))
            p++;
        if (p == d->npoints) {
            char vals[1024] = "";
            size_t used = 0;
            for (size_t q = 0; q < d->npoints && used < sizeof vals; q++) {
                const char *v = d->point[q].value[wkey[w]];
                int seen = 0;
                for (size_t r = 0; r < q; r++)
                    if (strcmp(d->point[r].value[wkey[w]], v) == 0) seen = 1;
                if (seen) continue;
                int n = snprintf(vals + used, sizeof vals - used, "%s%s",
                                 used ? ", " : "", v);
                if (n > 0) used += (size_t)n;
            }
            sim_errf(err, errlen, "--where '%s': no point has %s = %s (its "
                 "values: %s)", where[w], key, eq + 1, vals);
            return PLOT_EINPUT;
        }
    }
    if (x) {
        s->x = plot_data_key(d, x);
        if (s->x < 0) return bad_key(d, "--x", x, err, errlen);
    }
    if (by && *by && strcmp(by, "point") != 0) {
        s->by = plot_data_key(d, by);
        if (s->by < 0) return bad_key(d, "--by", by, err, errlen);
        if (s->by == s->x) {
            sim_errf(err, errlen, "--by '%s': the same key as --x (curves would "
                 "have one point each)", by);
            return PLOT_EINPUT;
        }
    } else if (!by) {
        int k = plot_data_key(d, "cache.pattern");
        if (k >= 0 && k != s->x) s->by = k;
    }
    s->point = calloc(d->npoints + 1, sizeof *s->point);
    s->group = calloc(d->npoints + 1, sizeof *s->group);
    if (!s->point || !s->group) goto oom;
    for (size_t p = 0; p < d->npoints; p++) {
        size_t w = 0;
        const char *eq;
        while (w < nwhere && (eq = strchr(where[w], '=')) &&
               value_in(d->point[p].value[wkey[w]], eq + 1))
            w++;
        if (w == nwhere) s->point[s->n++] = p;
    }
    if (s->n == 0) {
        sim_errf(err, errlen, "--where: no point matches every condition");
        goto fail;
    }
    for (size_t i = 0; i < s->n; i++) {
        size_t p = s->point[i], g = 0;
        while (g < s->ngroups &&
               !group_key_equal(d, s->group[g].point[0], p, s->by, s->x))
            g++;
        plot_group *gr = &s->group[g];
        if (g == s->ngroups) {
            s->ngroups++;
            gr->point = calloc(s->n + 1, sizeof *gr->point);
            if (!gr->point) goto oom;
            if (s->by >= 0) {
                const char *name = strrchr(d->key[s->by], '.');
                name = name ? name + 1 : d->key[s->by];
                if (strcmp(d->key[s->by], "cache.pattern") == 0 ||
                    (d->by_family && (size_t)s->by + 1 == d->nkeys))
                    snprintf(gr->label, sizeof gr->label, "%s",
                             d->point[p].value[s->by]);
                else
                    snprintf(gr->label, sizeof gr->label, "%s=%s", name,
                             d->point[p].value[s->by]);
            } else {
                plot_point_label(d, p, s->x, -1, gr->label, sizeof gr->label);
            }
        }
        gr->point[gr->n++] = p;
    }
    if (s->x >= 0) {
        for (size_t g = 0; g < s->ngroups; g++)
            sort_by_x(d, s->x, s->group[g].point, s->group[g].n);
    }
    return PLOT_OK;
oom:
    sim_errf(err, errlen, "out of memory");
    rc = PLOT_ERUNTIME;
fail:
    plot_selection_fini(s);
    return rc;
}

/* ---- pooling ---------------------------------------------------------------------- */

int plot_pool_points(plot_pool *out, const plot_data *d, const size_t *idx,
                     size_t n) {
    memset(out, 0, sizeof *out);
    for (int k = 0; k < WORLD_DIST_COUNT; k++) sim_hist_init(&out->dist[k]);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) out->mean[m] = out->ci95[m] = NAN;
    out->has_bins = 1;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const plot_point *pt = &d->point[idx[i]];
        total += pt->nruns;
        for (int k = 0; k < WORLD_DIST_COUNT; k++) sim_hist_merge(&out->dist[k], &pt->dist[k]);
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) out->causes[c] += pt->causes[c];
        if (!pt->has_bins) out->has_bins = 0;
    }
    out->runs = total;
    if (!d->from_db) {
        /* A RUN.json carries only its summary. */
        if (n == 1)
            for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
                out->mean[m] = d->point[idx[0]].mean[m];
                out->ci95[m] = d->point[idx[0]].ci95[m];
            }
        return PLOT_OK;
    }
    double *v = malloc((total + 1) * sizeof *v);
    if (!v) return PLOT_ERUNTIME;
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            const plot_point *pt = &d->point[idx[i]];
            for (uint32_t r = 0; r < pt->nruns; r++) v[k++] = pt->run[m][r];
        }
        plot_mean_ci(v, k, &out->mean[m], &out->ci95[m]);
    }
    free(v);
    return PLOT_OK;
}
