/* Running replications and pooling their results. */
#include "experiments/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "sim/stats.h"

void run_summary_destroy(run_summary *s) {
    if (!s) return;
    for (int m = 0; m < M_COUNT; m++) free(s->value[m]);
    free(s);
}

int run_replication(const scenario *sc, uint32_t rep, world_result *out) {
    world *w = world_create(sc, rep);
    if (!w) return -1;
    int rc = world_run(w, out);
    world_destroy(w);
    return rc;
}

run_summary *run_scenario(const scenario *sc, char *err, size_t errlen) {
    run_summary *s = calloc(1, sizeof *s);
    world_result *res = malloc(sizeof *res);
    if (!s || !res) goto oom;
    s->reps = sc->run.reps;
    s->seed = sc->run.seed;
    for (int m = 0; m < M_COUNT; m++) {
        s->value[m] = calloc(s->reps, sizeof(double));
        if (!s->value[m]) goto oom;
    }
    for (int d = 0; d < D_COUNT; d++) sim_hist_init(&s->dist[d]);
    for (uint32_t r = 0; r < s->reps; r++) {
        if (run_replication(sc, r, res) != 0) goto oom;
        for (int m = 0; m < M_COUNT; m++) s->value[m][r] = res->metric[m];
        for (int d = 0; d < D_COUNT; d++)
            sim_hist_merge(&s->dist[d], &res->dist[d]);
        for (int c = 0; c < CAUSE_COUNT; c++)
            s->causes[c] += res->stale_by_cause[c];
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

run_stat run_summary_stat(const run_summary *s, world_metric m) {
    run_stat st;
    const double *x = s->value[m];
    size_t n = s->reps;
    st.mean = gsl_stats_mean(x, 1, n);
    st.ci95 = sim_ci95(x, n);
    st.min = gsl_stats_min(x, 1, n);
    st.max = gsl_stats_max(x, 1, n);
    return st;
}
