/* Workload generation: arrivals, read/write mix, key popularity, clients. */
#include "models/workload.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim/bigmem.h"
#include "sim/check.h"

/* One slot of the Walker alias table for key popularity, packed so that a
 * draw touches one cache line: keep slot i with probability keep/2^32, else
 * take `alias`.  Built by gsl_ran_discrete_preproc and repacked: GSL's own
 * table keeps F and A in two arrays of 8-byte entries, two cache misses per
 * draw on a table of a million keys. */
typedef struct key_alias {
    uint32_t keep;  /* P(keep slot) * 2^32, saturated */
    uint32_t alias; /* key chosen otherwise */
} key_alias;

/* Zipf draws are made KEY_AHEAD arrivals early and their alias slots
 * prefetched, so the slot is in cache when the draw is resolved.  The KEYS
 * stream is consumed in a fixed order (slot, coin, slot, coin, ...) whatever
 * the configuration, which keeps common random numbers intact. */
#define KEY_AHEAD 8

typedef struct key_draw {
    uint32_t slot; /* uniform table slot */
    uint32_t coin; /* uniform 32-bit coin against slot.keep */
} key_draw;

struct workload {
    /* synthetic */
    double rate;         /* arrivals per ns (reads + writes) */
    double p_read;       /* P(an arrival is a read) */
    scenario_arrivals arrivals;
    uint32_t nkeys, clients;
    key_alias *zipf;     /* NULL: uniform keys; else [nkeys] */
    double carry;        /* constant arrivals: fractional ns carried over */
    key_draw ahead[KEY_AHEAD]; /* pending Zipf draws, oldest at ahead_head */
    unsigned ahead_head;
    int ahead_primed;
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
        gsl_ran_discrete_t *t = gsl_ran_discrete_preproc(w->nkeys, weight);
        free(weight);
        w->zipf = t ? sim_big_calloc(w->nkeys, sizeof *w->zipf) : NULL;
        if (!w->zipf) {
            if (t) gsl_ran_discrete_free(t);
            free(w);
            return NULL;
        }
        for (uint32_t i = 0; i < w->nkeys; i++) {
            double keep = ldexp(t->F[i], 32);
            w->zipf[i].keep = keep >= 4294967295.0 ? UINT32_MAX
                                                   : (uint32_t)keep;
            w->zipf[i].alias = (uint32_t)t->A[i];
        }
        gsl_ran_discrete_free(t);
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
    sim_big_free(w->zipf, w->nkeys, sizeof *w->zipf);
    free(w->script);
    free(w);
}

static void draw_ahead(workload *w, gsl_rng *keys, unsigned i) {
    w->ahead[i].slot = (uint32_t)gsl_rng_uniform_int(keys, w->nkeys);
    w->ahead[i].coin = (uint32_t)gsl_rng_get(keys); /* mt19937: 32 bits */
    __builtin_prefetch(&w->zipf[w->ahead[i].slot]);
}

static uint32_t draw_key(workload *w, gsl_rng *keys) {
    if (!w->zipf) return (uint32_t)gsl_rng_uniform_int(keys, w->nkeys);
    if (!w->ahead_primed) {
        for (unsigned i = 0; i < KEY_AHEAD; i++) draw_ahead(w, keys, i);
        w->ahead_primed = 1;
    }
    key_draw d = w->ahead[w->ahead_head];
    draw_ahead(w, keys, w->ahead_head);
    w->ahead_head = (w->ahead_head + 1) % KEY_AHEAD;
    const key_alias *slot = &w->zipf[d.slot];
    return slot->keep == UINT32_MAX || d.coin < slot->keep ? d.slot
                                                           : slot->alias;
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
    op->key = draw_key(w, sim_rng_stream(r, SIM_STREAM_KEYS));
    return 1;
}
