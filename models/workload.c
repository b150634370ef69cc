/* Workload generation: arrivals, read/write mix, key popularity, clients. */
#include "models/workload.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim/check.h"

struct workload {
    /* synthetic */
    double rate;         /* arrivals per ns (reads + writes) */
    double p_read;       /* P(an arrival is a read) */
    scenario_arrivals arrivals;
    uint32_t nkeys, clients;
    gsl_ran_discrete_t *zipf; /* NULL: uniform keys */
    double carry;        /* constant arrivals: fractional ns carried over */
    /* scripted */
    workload_op *script;
    size_t nscript, next;
};

workload *workload_create(const scenario *sc) {
    workload *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    double total = sc->workload.reads + sc->workload.writes;
    w->rate = total / 1e9;
    w->p_read = sc->workload.reads / total;
    w->arrivals = sc->workload.arrivals;
    w->nkeys = sc->workload.keys;
    w->clients = sc->workload.clients;
    if (sc->workload.zipf_s > 0 && w->nkeys > 1) {
        double *weight = malloc(w->nkeys * sizeof *weight);
        if (!weight) {
            free(w);
            return NULL;
        }
        for (uint32_t i = 0; i < w->nkeys; i++)
            weight[i] = pow((double)i + 1, -sc->workload.zipf_s);
        w->zipf = gsl_ran_discrete_preproc(w->nkeys, weight);
        free(weight);
        if (!w->zipf) {
            free(w);
            return NULL;
        }
    }
    return w;
}

workload *workload_create_scripted(const workload_op *ops, size_t n) {
    workload *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->script = malloc((n ? n : 1) * sizeof *ops);
    if (!w->script) {
        free(w);
        return NULL;
    }
    if (n) memcpy(w->script, ops, n * sizeof *ops);
    w->nscript = n;
    for (size_t i = 1; i < n; i++)
        SIM_CHECK(ops[i].at >= ops[i - 1].at, "script op %zu out of order", i);
    return w;
}

void workload_destroy(workload *w) {
    if (!w) return;
    if (w->zipf) gsl_ran_discrete_free(w->zipf);
    free(w->script);
    free(w);
}

int workload_next(workload *w, const sim_rng *r, sim_time now,
                  workload_op *op) {
    if (w->script) {
        if (w->next == w->nscript) return 0;
        *op = w->script[w->next++];
        SIM_CHECK(op->at >= now, "script op at %lld before now %lld",
                  (long long)op->at, (long long)now);
        return 1;
    }
    gsl_rng *arr = sim_rng_stream(r, SIM_STREAM_ARRIVALS);
    double gap; /* ns */
    if (w->arrivals == ARRIVALS_POISSON) {
        gap = gsl_ran_exponential(arr, 1.0 / w->rate);
    } else {
        gap = 1.0 / w->rate + w->carry;
    }
    sim_time step = (sim_time)llround(gap);
    if (w->arrivals == ARRIVALS_CONSTANT) w->carry = gap - (double)step;
    op->at = now + step;
    op->kind = gsl_rng_uniform(arr) < w->p_read ? OP_READ : OP_WRITE;
    op->client = (uint32_t)gsl_rng_uniform_int(arr, w->clients);
    gsl_rng *keys = sim_rng_stream(r, SIM_STREAM_KEYS);
    op->key = w->zipf ? (uint32_t)gsl_ran_discrete(keys, w->zipf)
                      : (uint32_t)gsl_rng_uniform_int(keys, w->nkeys);
    return 1;
}
