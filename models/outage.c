/* Cache outages ([cache] outage_rate, outage_duration; the world's, for
 * every pattern that does not model its cache's failures itself): the
 * Poisson process, and under --rare its boosting (models/rare.h,
 * docs/rare-events.md "Cache outages").
 *
 * While the cache is up, outages start at outage_rate; one lasts a draw of
 * outage_duration.  At its start the cache is emptied (every live entry
 * removed, every lease voided); while it lasts cache_down is set and the
 * patterns fail every cache operation (models/cache_aside.c).  Draws come
 * from the FAULTS stream.
 *
 * Boosted, the process runs at lambda' = rare_outage_rate(...) and each
 * outage carries w = lambda / lambda'.  What one causes is what the cache
 * no longer holds: at its start every key it empties is marked DIVERGED
 * (models/refill_marks.h) with the version the cache would still hold and
 * that copy's expiry, and so is every key whose fill, update-SET or read
 * the outage keeps from the cache.  A read invoked while its key is
 * diverged weighs w when stale (request.rare_lr), wherever its answer comes
 * from (a fallback DB read, a replica, a refill, a refilled copy), and the
 * hit of the ghost it stands for counts 1 - w when that ghost was stale
 * (oracle_counterfactual): the stale reads without the outage stay counted
 * once, those with it weigh w.  A fill a diverged read starts carries w on
 * to the copy it stores (refill_marks_filled).  The mark ends when the key
 * is again what it would have been: a DEL lands (or the outage failed
 * one, which would have landed), an update-SET stores, the ghost expires.
 * With local caches a read takes its key's mark only once its instance's
 * cache missed (models/world.c); the copy a diverged read leaves there
 * carries the ratio and stands for the ghost's copy (models/local.c,
 * world_outage_shared_view once that copy would be gone). */
#include <stdlib.h>

#include "models/rare.h"
#include "models/refill_marks.h"
#include "models/world_internal.h"
#include "sim/check.h"
#include "sim/mt19937.h"
#include "sim/ziggurat.h"

/* 1 if some family's view (the base without families) runs a pattern whose
 * shared cache outages reach, in a scenario where they are boosted. */
static int outages_boosted(const world *w) {
    int n = w->nfam ? w->nfam : 1, boosted = 0;
    for (int i = 0; i < n; i++) {
        const scenario *v = w->fam[i].sc;
        /* A family whose failed reads would have filled local copies
         * (rare_outage_share) keeps every family's outages unboosted. */
        if (v->local.instances > 0 &&
            v->cache.outage_fallback == SCENARIO_FALLBACK_FAIL)
            return 0;
        boosted |= rare_outage_share(v) > 0;
    }
    return boosted;
}

int world_outage_setup(world *w) {
    const scenario *sc = w->sc;
    w->outage_rate = sc->cache.outage_rate;
    w->outage_lr = 1;
    if (w->own_failures || sc->rare_boost <= 1 || !outages_boosted(w))
        return 0;
    w->outage_rate = rare_outage_rate(sc, sc->rare_boost);
    w->outage_lr = sc->cache.outage_rate / w->outage_rate;
    if (w->outage_lr == 1) return 0;
    return world_refill_marks(w, 1) ? 0 : -1;
}

/* A boosted outage starts: the keys it empties diverge, each ghost with the
 * weight a stale read of the emptied copy has (the ratio of an earlier
 * outage's fill that stored it, the marks of faults that keep it).  An
 * overlap when an earlier outage's ratio still weighs a stale key: one
 * still diverged whose copy or ghost is stale, or a stale copy such a fill
 * stored (the two outages' consequences meet). */
static void outage_marks(world *w) {
    refill_marks *m = w->refill;
    sim_time now = w->sim.now;
    int overlap = 0;
    oracle_fault_event(w->oracle);
    for (uint32_t k = 0; k < w->sc->workload.keys; k++) {
        uint32_t v;
        sim_time exp;
        int held = store_peek(w->cache, k, now, &v, &exp);
        uint32_t latest = oracle_latest(w->oracle, k);
        if (refill_diverged(m, k, now)) {
            overlap |= m->ghost[k] < latest || (held && v < latest);
        } else if (held) {
            double gw = m->copy_lr[k] > 0 ? m->copy_lr[k] : 1;
            overlap |= m->copy_lr[k] > 0 && v < latest;
            if (v < latest)
                gw *= oracle_copy_weight(w->oracle, k, ORACLE_CACHE, now);
            refill_marks_diverge(m, k, w->outage_lr, v, gw, exp, now);
        }
    }
    if (overlap) oracle_fault_overlap(w->oracle);
}

void world_outage_event(world *w, int start) {
    const scenario *sc = w->sc;
    gsl_rng *g = sim_rng_stream(&w->rng, SIM_STREAM_FAULTS);
    sim_time now = w->sim.now, left = sc->run.duration - now;
    if (start) {
        w->cache_down = 1;
        if (w->outage_lr != 1) outage_marks(w);
        world_cache_clear(w);
        sim_time d = sim_dist_sample(&sc->cache.outage_duration, g);
        if (d < left) sim_schedule(&w->sim, d, WORLD_EV_CACHE_OUTAGE, 0, 0);
        return;
    }
    w->cache_down = 0;
    double up_ns = sim_exponential(g, 1e9 / w->outage_rate);
    if (up_ns < (double)left)
        sim_schedule(&w->sim, (sim_time)up_ns, WORLD_EV_CACHE_OUTAGE, 0, 1);
}

void world_outage_read_start(world *w, uint32_t rq) {
    request *r = world_req(w, rq);
    refill_marks *m = w->refill;
    if (!refill_diverged(m, r->key, w->sim.now)) return;
    r->rare_diverged = 1;
    r->rare_lr = m->lr[r->key];
    r->rare_ghost = m->ghost[r->key];
    r->rare_ghost_w = m->ghost_w[r->key];
    oracle_counterfactual(w->oracle, r->key, w->sim.now, m->ghost[r->key],
                          (1 - m->lr[r->key]) * m->ghost_w[r->key]);
}

/* The expiry of a copy rq's family would store now. */
static sim_time ttl_from_now(const world *w, uint32_t rq) {
    sim_time ttl = world_rsc(w, rq)->cache.ttl, now = w->sim.now;
    return ttl > 0 && ttl < SIM_TIME_MAX - now ? now + ttl : SIM_TIME_MAX;
}

void world_outage_fill_lost(world *w, uint32_t rq, uint32_t version) {
    if (w->outage_lr == 1) return;
    uint32_t key = world_req(w, rq)->key;
    if (refill_diverged(w->refill, key, w->sim.now)) return; /* it would hit */
    refill_marks_diverge(w->refill, key, w->outage_lr, version, 1,
                         ttl_from_now(w, rq), w->sim.now);
}

void world_outage_update_lost(world *w, uint32_t rq) {
    if (w->outage_lr == 1) return;
    const request *r = world_req(w, rq);
    refill_marks_diverge(w->refill, r->key, w->outage_lr, r->version, 1,
                         ttl_from_now(w, rq), w->sim.now);
}

void world_outage_fault(world *w, uint32_t key, double lr) {
    if (w->outage_lr == 1 || !refill_diverged(w->refill, key, w->sim.now))
        return;
    w->refill->ghost_w[key] *= lr;
}

void world_outage_del_lost(world *w, uint32_t rq) {
    if (w->outage_lr == 1) return;
    refill_marks_aligned(w->refill, world_req(w, rq)->key);
}

int world_outage_shared_view(world *w, uint32_t key, uint32_t *version,
                             double *weight) {
    refill_marks *m = w->refill;
    sim_time now = w->sim.now, exp;
    if (refill_diverged(m, key, now)) {
        *version = m->ghost[key];
        *weight = m->ghost_w[key];
        return 1;
    }
    if (m->copy_lr[key] > 0 || !store_peek(w->cache, key, now, version, &exp))
        return 0;
    *weight = oracle_copy_weight(w->oracle, key, ORACLE_CACHE, now);
    return 1;
}
