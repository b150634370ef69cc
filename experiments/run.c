/* Running replications and pooling their results. */
#include "experiments/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "experiments/warmup.h"
#include "sim/stats.h"

void run_summary_destroy(run_summary *s) {
    if (!s) return;
    for (int m = 0; m < M_COUNT; m++) free(s->value[m]);
    for (int f = 0; f < WORLD_MAX_FAMILIES; f++) {
        for (int m = 0; m < M_COUNT; m++) free(s->family_value[f][m]);
        for (int g = 0; g < F_COUNT; g++) free(s->family_figure[f][g]);
    }
    free(s);
}

static int replicate(const scenario *sc, uint32_t rep, world_result *out,
                     trace_fn fn, void *ctx) {
    world *w = world_create(sc, rep);
    if (!w) return -1;
    if (fn) world_set_tracer(w, fn, ctx);
    int rc = world_run(w, out);
    world_destroy(w);
    return rc;
}

int run_replication(const scenario *sc, uint32_t rep, world_result *out) {
    return replicate(sc, rep, out, NULL, NULL);
}

run_summary *run_scenario(const scenario *sc, char *err, size_t errlen) {
    return run_scenario_traced(sc, NULL, NULL, err, errlen);
}

/* Reads and stale reads per slice of the pilot run. */
typedef struct pilot {
    sim_time slice; /* ns */
    double reads[WARMUP_BUCKETS];
    double stale[WARMUP_BUCKETS];
} pilot;

static void pilot_trace(void *ctx, const trace_rec *r) {
    pilot *p = ctx;
    if (r->op != TRACE_READ_DONE) return;
    sim_time b = r->invoked / p->slice;
    if (b >= WARMUP_BUCKETS) b = WARMUP_BUCKETS - 1;
    p->reads[b] += 1;
    p->stale[b] += r->verdict == VERDICT_STALE;
}

/* MSER-5 over a pilot replication: the warm-up, ns, or -1 on ENOMEM. */
static sim_time choose_warmup(const scenario *sc, world_result *res) {
    pilot *p = calloc(1, sizeof *p);
    if (!p) return -1;
    p->slice = sc->run.duration / WARMUP_BUCKETS;
    if (p->slice < 1) p->slice = 1;
    if (replicate(sc, 0, res, pilot_trace, p) != 0) {
        free(p);
        return -1;
    }
    enum { BATCH = 5, NBATCH = WARMUP_BUCKETS / BATCH };
    double z[NBATCH];
    for (int j = 0; j < NBATCH; j++) {
        double reads = 0, stale = 0;
        for (int i = 0; i < BATCH; i++) {
            reads += p->reads[j * BATCH + i];
            stale += p->stale[j * BATCH + i];
        }
        z[j] = reads > 0 ? stale / reads : 0;
    }
    sim_time warmup = (sim_time)warmup_mser(z, NBATCH) * BATCH * p->slice;
    free(p);
    return warmup;
}

run_summary *run_scenario_traced(const scenario *sc, trace_fn fn, void *ctx,
                                 char *err, size_t errlen) {
    scenario fixed; /* a shallow copy with the chosen warm-up; not finalised */
    run_summary *s = calloc(1, sizeof *s);
    world_result *res = malloc(sizeof *res);
    if (!s || !res) goto oom;
    s->reps = sc->run.reps;
    s->seed = sc->run.seed;
    s->warmup = sc->run.warmup;
    if (sc->run.warmup_auto) {
        sim_time w = choose_warmup(sc, res);
        if (w < 0) goto oom;
        fixed = *sc;
        fixed.run.warmup = w;
        fixed.run.warmup_auto = 0;
        sc = &fixed;
        s->warmup = w;
    }
    for (int m = 0; m < M_COUNT; m++) {
        s->value[m] = calloc(s->reps, sizeof(double));
        if (!s->value[m]) goto oom;
    }
    for (int d = 0; d < D_COUNT; d++) sim_hist_init(&s->dist[d]);
    s->nfamilies = sc->families.n;
    for (int f = 0; f < s->nfamilies; f++) {
        for (int m = 0; m < M_COUNT; m++)
            if (!(s->family_value[f][m] = calloc(s->reps, sizeof(double))))
                goto oom;
        for (int g = 0; g < F_COUNT; g++)
            if (!(s->family_figure[f][g] = calloc(s->reps, sizeof(double))))
                goto oom;
        for (int d = 0; d < FD_COUNT; d++) sim_hist_init(&s->family_dist[f][d]);
    }
    for (uint32_t r = 0; r < s->reps; r++) {
        if (replicate(sc, r, res, r == 0 ? fn : NULL, ctx) != 0) goto oom;
        for (int m = 0; m < M_COUNT; m++) s->value[m][r] = res->metric[m];
        for (int d = 0; d < D_COUNT; d++)
            sim_hist_merge(&s->dist[d], &res->dist[d]);
        for (int c = 0; c < CAUSE_COUNT; c++) {
            s->causes[c] += res->stale_by_cause[c];
            s->over_causes[c] += res->over_bound_by_cause[c];
        }
        for (int p = 0; p < ORACLE_MAX_PATHS; p++) {
            s->stale_by_path[p] += res->stale_by_path[p];
            s->writes_by_path[p] += res->writes_by_path[p];
        }
        for (int f = 0; f < s->nfamilies && f < res->nfamilies; f++) {
            for (int m = 0; m < M_COUNT; m++)
                s->family_value[f][m][r] = res->family_metric[f][m];
            for (int g = 0; g < F_COUNT; g++)
                s->family_figure[f][g][r] = res->family_figure[f][g];
            for (int d = 0; d < FD_COUNT; d++)
                sim_hist_merge(&s->family_dist[f][d], &res->family_dist[f][d]);
            for (int c = 0; c < CAUSE_COUNT; c++) {
                s->family_causes[f][c] += res->family_causes[f][c];
                s->family_over_causes[f][c] += res->family_over_causes[f][c];
            }
        }
        s->events += res->events;
        s->wall_s += res->wall_s;
    }
    free(res);
    return s;
oom:
    snprintf(err, errlen, "out of memory running %s", sc->path);
    free(res);
    run_summary_destroy(s);
    return NULL;
}

static run_stat stat_of(const double *x, size_t n);

run_stat run_summary_stat(const run_summary *s, world_metric m) {
    return stat_of(s->value[m], s->reps);
}

run_stat run_summary_family_stat(const run_summary *s, int f, world_metric m) {
    return stat_of(s->family_value[f][m], s->reps);
}

run_stat run_summary_figure_stat(const run_summary *s, int f,
                                 world_family_figure g) {
    return stat_of(s->family_figure[f][g], s->reps);
}

static run_stat stat_of(const double *x, size_t n) {
    run_stat st;
    st.mean = gsl_stats_mean(x, 1, n);
    st.ci95 = sim_ci95(x, n);
    st.min = gsl_stats_min(x, 1, n);
    st.max = gsl_stats_max(x, 1, n);
    return st;
}
