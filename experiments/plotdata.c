/* Plot data from a results database (see plotdata.h), read through
 * results.h like summarize reads it, and each point's scenario rebuilt as the
 * sweep built it; per key family views of it.  A RUN.json is read by
 * plotdata_json.c, selections and pools are plotselect.c's. */
#include "experiments/plotdata.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/results.h"
#include "sim/dist.h"
#include "sim/errf.h"

static char *dup_str(const char *s) {
    size_t n = strlen(s ? s : "") + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s ? s : "", n);
    return p;
}

void plot_point_init(plot_point *pt) {
    memset(pt, 0, sizeof *pt);
    for (int d = 0; d < WORLD_DIST_COUNT; d++) sim_hist_init(&pt->dist[d]);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) pt->mean[m] = pt->ci95[m] = NAN;
    pt->ttl_s = NAN;
    pt->max_staleness_s = NAN;
}

void plot_data_fini(plot_data *d) {
    if (!d) return;
    free(d->source);
    free(d->scenario_file);
    free(d->scenario_text);
    free(d->overrides);
    free(d->command_line);
    free(d->version);
    free(d->started_at);
    free(d->finished_at);
    free(d->rare);
    for (size_t k = 0; k < d->nkeys; k++) free(d->key[k]);
    free(d->key);
    for (size_t p = 0; d->point && p < d->npoints; p++) {
        plot_point *pt = &d->point[p];
        for (size_t k = 0; pt->value && k < d->nkeys; k++) free(pt->value[k]);
        free(pt->value);
        for (int m = 0; m < WORLD_METRIC_COUNT; m++) free(pt->run[m]);
        for (int f = 0; pt->fam && f < WORLD_MAX_FAMILIES; f++)
            for (int m = 0; m < WORLD_METRIC_COUNT; m++) free(pt->fam[f].run[m]);
        free(pt->fam);
    }
    free(d->point);
    memset(d, 0, sizeof *d);
}

double plot_value_number(const char *text) {
    if (!text || !*text) return NAN;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end != text && !errno && *end == '\0') return v;
    sim_time t;
    char e[128];
    if (sim_duration_parse(text, &t, e, sizeof e) == 0) return sim_time_to_s(t);
    if (end != text && !errno && strcmp(end, "/s") == 0) return v;
    return NAN;
}

int plot_data_key(const plot_data *d, const char *key) {
    for (size_t k = 0; k < d->nkeys; k++)
        if (strcmp(d->key[k], key) == 0) return (int)k;
    return -1;
}

void plot_data_key_list(const plot_data *d, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    if (d->nkeys == 0) {
        snprintf(buf, len, "none");
        return;
    }
    for (size_t k = 0; k < d->nkeys && used < len; k++) {
        int n = snprintf(buf + used, len - used, "%s%s", k ? ", " : "",
                         d->key[k]);
        if (n < 0) break;
        used += (size_t)n;
    }
}

int plot_data_recognized(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char head[16];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n == 16 && memcmp(head, "SQLite format 3", 16) == 0) return 1;
    for (size_t i = 0; i < n; i++) {
        if (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' ||
            head[i] == '\t')
            continue;
        return head[i] == '{';
    }
    return 0;
}

/* ---- scenarios of points ------------------------------------------------------- */

int plot_data_point_scenario(const plot_data *d, size_t p, scenario *sc,
                             char *err, size_t errlen) {
    memset(sc, 0, sizeof *sc);
    if (!d->from_db) {
        sim_errf(err, errlen, "%s: a RUN.json has no scenario file to rerun",
             d->source);
        return PLOT_EINPUT;
    }
    size_t nset = d->by_family && d->nkeys ? d->nkeys - 1 : d->nkeys;
    int rc = results_point_scenario(d->scenario_file, d->scenario_text,
                                    d->overrides, nset, d->key,
                                    d->point[p].value, sc, err, errlen);
    if (rc != RESULTS_OK)
        return rc == RESULTS_EINPUT ? PLOT_EINPUT : PLOT_ERUNTIME;
    char e[1024];
    if (d->by_family) {
        scenario view;
        if (scenario_family_view(sc, d->point[p].family, &view, e,
                                 sizeof e) != 0) {
            sim_errf(err, errlen, "the view of family %s no longer builds: %s",
                 d->family[d->point[p].family], e);
            return PLOT_EINPUT;
        }
        scenario_fini(sc);
        *sc = view;
    }
    /* a sweep --rare point reruns boosted, as its stored runs were */
    sc->rare_boost = d->point[p].rare_boost;
    return PLOT_OK;
}

/* ---- database ---------------------------------------------------------------------- */

typedef struct run_ctx {
    plot_data *d;
    plot_point *pt;
    size_t cap;
    int oom;
} run_ctx;

static int grow_runs(double **run, size_t cap) {
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        double *v = realloc(run[m], cap * sizeof *v);
        if (!v) return -1;
        run[m] = v;
    }
    return 0;
}

static int add_run(void *arg, uint32_t rep, const world_result *res) {
    (void)rep;
    run_ctx *c = arg;
    plot_point *pt = c->pt;
    plot_data *d = c->d;
    if (res->nfamilies > 0 && d->nfamilies == 0) {
        /* The family names of the first run with families. */
        d->nfamilies = res->nfamilies < WORLD_MAX_FAMILIES ? res->nfamilies
                                                           : WORLD_MAX_FAMILIES;
        for (int f = 0; f < d->nfamilies; f++)
            snprintf(d->family[f], sizeof d->family[f], "%s",
                     res->family_name[f]);
    }
    if (d->nfamilies > 0 && !pt->fam) {
        pt->fam = calloc(WORLD_MAX_FAMILIES, sizeof *pt->fam);
        if (!pt->fam) {
            c->oom = 1;
            return -1;
        }
        for (int f = 0; f < WORLD_MAX_FAMILIES; f++)
            for (int k = 0; k < WORLD_DIST_COUNT; k++) sim_hist_init(&pt->fam[f].dist[k]);
        for (int f = 0; f < d->nfamilies && c->cap; f++) {
            if (grow_runs(pt->fam[f].run, c->cap) != 0) {
                c->oom = 1;
                return -1;
            }
            for (int m = 0; m < WORLD_METRIC_COUNT; m++)
                for (uint32_t r = 0; r < pt->nruns; r++)
                    pt->fam[f].run[m][r] = NAN;
        }
    }
    if (pt->nruns == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        int bad = grow_runs(pt->run, cap) != 0;
        for (int f = 0; !bad && pt->fam && f < d->nfamilies; f++)
            bad = grow_runs(pt->fam[f].run, cap) != 0;
        if (bad) {
            c->oom = 1;
            return -1;
        }
        c->cap = cap;
    }
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) pt->run[m][pt->nruns] = res->metric[m];
    pt->rare_boost = res->rare_boost; /* the same for every run of a point */
    pt->rare_w += res->rare_stale_w;
    pt->rare_w2 += res->rare_stale_w2;
    pt->rare_faults += res->rare_faults;
    pt->rare_overlaps += res->rare_overlaps;
    for (int f = 0; pt->fam && f < d->nfamilies; f++) {
        /* By name: a run's families are the scenario's, in its order. */
        int g = -1;
        for (int h = 0; h < res->nfamilies && h < WORLD_MAX_FAMILIES; h++)
            if (strcmp(res->family_name[h], d->family[f]) == 0) g = h;
        plot_family *pf = &pt->fam[f];
        for (int m = 0; m < WORLD_METRIC_COUNT; m++)
            pf->run[m][pt->nruns] = g >= 0 ? res->family_metric[g][m] : NAN;
        if (g < 0) continue;
        for (int k = 0; k < WORLD_FDIST_COUNT; k++)
            sim_hist_merge(&pf->dist[world_family_dist[k]],
                           &res->family_dist[g][k]);
        for (int k = 0; k < ORACLE_CAUSE_COUNT; k++) {
            pf->causes[k] += res->family_causes[g][k];
            pf->over_causes[k] += res->family_over_causes[g][k];
        }
    }
    pt->nruns++;
    for (int k = 0; k < WORLD_DIST_COUNT; k++) sim_hist_merge(&pt->dist[k], &res->dist[k]);
    for (int k = 0; k < ORACLE_CAUSE_COUNT; k++) {
        pt->causes[k] += res->stale_by_cause[k];
        pt->over_causes[k] += res->over_bound_by_cause[k];
    }
    return 0;
}

static int load_db(plot_data *d, const char *path, int64_t id, char *err,
                   size_t errlen) {
    results *r = NULL;
    results_experiment e;
    memset(&e, 0, sizeof e);
    int rc = results_open(&r, path, 1, err, errlen);
    if (rc == RESULTS_OK) rc = results_experiment_load(r, id, &e, err, errlen);
    if (rc != RESULTS_OK) {
        rc = rc == RESULTS_EINPUT ? PLOT_EINPUT : PLOT_ERUNTIME;
        goto out;
    }
    d->from_db = 1;
    d->experiment = e.id;
    d->key = calloc(e.nkeys + 1, sizeof *d->key);
    d->point = calloc(e.npoints + 1, sizeof *d->point);
    if (!d->key || !d->point) goto oom;
    for (size_t k = 0; k < e.nkeys; k++) {
        if (!(d->key[k] = dup_str(e.key[k]))) goto oom;
        d->nkeys++;
    }
    for (size_t p = 0; p < e.npoints; p++) {
        plot_point *pt = &d->point[p];
        plot_point_init(pt);
        d->npoints++;
        pt->value = calloc(e.nkeys + 1, sizeof *pt->value);
        if (!pt->value) goto oom;
        for (size_t k = 0; k < e.nkeys; k++)
            if (!(pt->value[k] = dup_str(e.point[p].value[k]))) goto oom;
        pt->complete = e.point[p].done;
        pt->has_bins = 1;
        run_ctx c = {d, pt, 0, 0};
        rc = results_each_run(r, e.point[p].id, add_run, &c, err, errlen);
        if (c.oom) goto oom;
        if (rc == RESULTS_OK)
            rc = results_point_over_causes(r, e.point[p].id,
                                           &pt->over_causes_known, err, errlen);
        if (rc != RESULTS_OK) {
            rc = rc == RESULTS_EINPUT ? PLOT_EINPUT : PLOT_ERUNTIME;
            goto out;
        }
        for (int m = 0; m < WORLD_METRIC_COUNT; m++)
            plot_mean_ci(pt->run[m], pt->nruns, &pt->mean[m], &pt->ci95[m]);
    }
    rc = results_experiment_texts(r, &e, err, errlen);
    if (rc != RESULTS_OK) {
        rc = rc == RESULTS_EINPUT ? PLOT_EINPUT : PLOT_ERUNTIME;
        goto out;
    }
    d->scenario_file = strdup(e.scenario_file);
    d->scenario_text = strdup(e.scenario_text);
    d->overrides = strdup(e.overrides);
    d->command_line = strdup(e.command_line);
    d->version = strdup(e.version);
    d->started_at = strdup(e.started_at);
    d->finished_at = strdup(e.finished_at);
    d->rare = strdup(e.rare);
    if (!d->scenario_file || !d->scenario_text || !d->overrides ||
        !d->command_line || !d->version || !d->started_at ||
        !d->finished_at || !d->rare)
        goto oom;
    for (size_t p = 0; p < d->npoints; p++) {
        scenario sc;
        char e2[512];
        int src = plot_data_point_scenario(d, p, &sc, e2, sizeof e2);
        if (src == PLOT_OK) {
            d->point[p].ttl_s = sim_time_to_s(sc.cache.ttl);
            d->point[p].max_staleness_s =
                sim_time_to_s(sc.contract.max_staleness);
            snprintf(d->point[p].pattern, sizeof d->point[p].pattern, "%s",
                     sc.cache.pattern);
        } else if (!d->scenario_error[0]) {
            snprintf(d->scenario_error, sizeof d->scenario_error, "%s", e2);
        }
        scenario_fini(&sc);
        if (src == PLOT_ERUNTIME) {
            sim_errf(err, errlen, "%s", e2);
            rc = PLOT_ERUNTIME;
            goto out;
        }
    }
    rc = PLOT_OK;
    goto out;
oom:
    sim_errf(err, errlen, "out of memory");
    rc = PLOT_ERUNTIME;
out:
    results_experiment_fini(&e);
    results_close(r);
    return rc;
}

int plot_data_load(plot_data *d, const char *path, int64_t experiment,
                   char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    if (!(d->source = dup_str(path))) {
        sim_errf(err, errlen, "out of memory");
        return PLOT_ERUNTIME;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        sim_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return PLOT_EINPUT;
    }
    char head[16];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n == 16 && memcmp(head, "SQLite format 3", 16) == 0)
        return load_db(d, path, experiment, err, errlen);
    if (experiment != 0) {
        sim_errf(err, errlen, "--experiment: %s is not a results database", path);
        return PLOT_EINPUT;
    }
    return plot_data_load_json(d, path, err, errlen);
}

/* ---- per key family ---------------------------------------------------------------- */

int plot_data_by_family(plot_data *out, const plot_data *d, char *err,
                        size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!d->from_db) {
        sim_errf(err, errlen, "--by family: %s is a single run; plot a sweep "
             "database (stalesim sweep ... --db FILE)", d->source);
        return PLOT_EINPUT;
    }
    if (d->nfamilies == 0) {
        sim_errf(err, errlen, "--by family: experiment %lld has no key families "
             "(no [family.NAME] section in its scenario)",
             (long long)d->experiment);
        return PLOT_EINPUT;
    }
    int nf = d->nfamilies;
    out->from_db = 1;
    out->by_family = 1;
    out->experiment = d->experiment;
    out->nfamilies = nf;
    memcpy(out->family, d->family, sizeof out->family);
    memcpy(out->scenario_error, d->scenario_error, sizeof out->scenario_error);
    out->source = dup_str(d->source);
    out->scenario_file = dup_str(d->scenario_file);
    out->scenario_text = dup_str(d->scenario_text);
    out->overrides = dup_str(d->overrides);
    out->command_line = dup_str(d->command_line);
    out->version = dup_str(d->version);
    out->started_at = dup_str(d->started_at);
    out->finished_at = dup_str(d->finished_at);
    out->key = calloc(d->nkeys + 2, sizeof *out->key);
    out->point = calloc(d->npoints * (size_t)nf + 1, sizeof *out->point);
    if (!out->source || !out->scenario_file || !out->scenario_text ||
        !out->overrides || !out->command_line || !out->version ||
        !out->started_at || !out->finished_at || !out->key || !out->point)
        goto oom;
    for (size_t k = 0; k <= d->nkeys; k++) {
        if (!(out->key[k] = dup_str(k < d->nkeys ? d->key[k] : "family")))
            goto oom;
        out->nkeys++;
    }
    for (size_t p = 0; p < d->npoints; p++) {
        const plot_point *src = &d->point[p];
        for (int f = 0; f < nf; f++) {
            plot_point *pt = &out->point[out->npoints];
            plot_point_init(pt);
            out->npoints++;
            pt->family = f;
            pt->value = calloc(out->nkeys + 1, sizeof *pt->value);
            if (!pt->value) goto oom;
            for (size_t k = 0; k < out->nkeys; k++)
                if (!(pt->value[k] =
                          dup_str(k < d->nkeys ? src->value[k] : d->family[f])))
                    goto oom;
            pt->complete = src->complete;
            pt->has_bins = 1;
            pt->nruns = src->nruns;
            for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
                pt->run[m] = malloc((src->nruns + 1) * sizeof(double));
                if (!pt->run[m]) goto oom;
                for (uint32_t r = 0; r < src->nruns; r++)
                    pt->run[m][r] = src->fam ? src->fam[f].run[m][r] : NAN;
                plot_mean_ci(pt->run[m], pt->nruns, &pt->mean[m], &pt->ci95[m]);
            }
            if (src->fam) {
                memcpy(pt->dist, src->fam[f].dist, sizeof pt->dist);
                memcpy(pt->causes, src->fam[f].causes, sizeof pt->causes);
                memcpy(pt->over_causes, src->fam[f].over_causes,
                       sizeof pt->over_causes);
            }
            pt->over_causes_known = src->over_causes_known;
            pt->rare_boost = src->rare_boost;
            scenario sc;
            char e2[512];
            int src_rc = plot_data_point_scenario(
                out, out->npoints - 1, &sc, e2, sizeof e2);
            if (src_rc == PLOT_OK) {
                pt->ttl_s = sim_time_to_s(sc.cache.ttl);
                pt->max_staleness_s = sim_time_to_s(sc.contract.max_staleness);
                snprintf(pt->pattern, sizeof pt->pattern, "%s",
                         sc.cache.pattern);
            } else if (!out->scenario_error[0]) {
                snprintf(out->scenario_error, sizeof out->scenario_error, "%s",
                         e2);
            }
            scenario_fini(&sc);
        }
    }
    return PLOT_OK;
oom:
    sim_errf(err, errlen, "out of memory");
    return PLOT_ERUNTIME;
}

