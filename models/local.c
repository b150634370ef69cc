/* Local caches: instances, routing, the invalidation bus, deploys and the
 * disagreement sampler (see local.h). */
#include "models/local.h"

#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "models/rare.h"
#include "sim/check.h"
#include "sim/mt19937.h"
#include "sim/ziggurat.h"

/* WORLD_EV_LOCAL events: a = kind << 24 | instance, b = key << 32 | version. */
enum local_event {
    LOCAL_DELIVER,      /* an invalidation message reaches an instance */
    LOCAL_DELIVER_LOST, /* ... that the bus lost on the way */
    LOCAL_DISCONNECT,   /* an instance drops off the bus */
    LOCAL_DEPLOY,       /* a deploy restarts some instances */
    LOCAL_SAMPLE        /* instance_disagreement takes a sample */
};

struct local_caches {
    uint32_t n;           /* instances */
    store **cache;        /* [n] */
    uint32_t copy0;       /* oracle copy id of instance 0 (ids are consecutive) */
    sim_time *offline_until; /* [n] ns: disconnected from the bus until then */
    /* Disconnections under --rare (models/rare.h): simulated at rate
     * disconnect_rate = reconnect_rate boosted; each carries the ratio
     * disconnect_lr = reconnect_rate / disconnect_rate (1: not boosted) and
     * a number (offline_event[i], the latest of instance i; from 1 on) that
     * tells the oracle which messages one disconnection lost. */
    double disconnect_rate, disconnect_lr;
    uint64_t *offline_event; /* [n] */
    uint64_t disconnections;
    uint32_t next_rr;     /* round-robin cursor */
    uint64_t samples, disagreements;
    uint32_t *order;      /* [n] scratch for choosing deployed instances */
    /* --rare with cache outages boosted (models/outage.c), else NULL:
     * per instance i and key k, at [i * keys + k], what the copy the
     * latest local fill stored stands for when a read the outage diverged
     * filled it (div_lr > 0): it weighs div_lr (the outage's ratio), and
     * without the outage the copy would have been div_ghost (the version
     * the shared cache would have served that read), whose stale reads
     * weigh div_ghost_w.  div_lr 0: the copy is what it would have been. */
    double *div_lr, *div_ghost_w;
    uint32_t *div_ghost;
    /* ns: until when the copy without the outage (filled when the read
     * started) would live: its local TTL, or the fill itself when a write,
     * a message or a deploy removed the key in between (div_dropped: the
     * latest removal of key k at instance i, whether it held a copy). */
    sim_time *div_cf_until, *div_dropped;
};

local_caches *local_create(world *w) {
    const scenario *sc = w->sc;
    local_caches *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->n = sc->local.instances;
    l->cache = calloc(l->n, sizeof *l->cache);
    l->offline_until = calloc(l->n, sizeof *l->offline_until);
    l->order = calloc(l->n, sizeof *l->order);
    l->offline_event = calloc(l->n, sizeof *l->offline_event);
    if (w->outage_lr != 1) { /* after world_outage_setup */
        size_t n = (size_t)l->n * sc->workload.keys;
        l->div_lr = calloc(n, sizeof *l->div_lr);
        l->div_ghost_w = calloc(n, sizeof *l->div_ghost_w);
        l->div_ghost = calloc(n, sizeof *l->div_ghost);
        l->div_cf_until = calloc(n, sizeof *l->div_cf_until);
        l->div_dropped = calloc(n, sizeof *l->div_dropped);
        if (!l->div_lr || !l->div_ghost_w || !l->div_ghost ||
            !l->div_cf_until || !l->div_dropped) {
            local_destroy(l);
            return NULL;
        }
    }
    if (!l->cache || !l->offline_until || !l->order || !l->offline_event) {
        local_destroy(l);
        return NULL;
    }
    for (uint32_t i = 0; i < l->n; i++) {
        l->cache[i] = store_create(sc->workload.keys);
        if (!l->cache[i]) {
            local_destroy(l);
            return NULL;
        }
        uint32_t id = oracle_add_copy(w->oracle, sc->local.bus == SCENARIO_BUS_PUBSUB
                                                     ? ORACLE_COPY_LOCAL_BUS
                                                     : ORACLE_COPY_LOCAL);
        if (id == ORACLE_NO_COPY) { /* out of memory */
            local_destroy(l);
            return NULL;
        }
        if (i == 0) l->copy0 = id;
        SIM_CHECK(id == l->copy0 + i, "copy ids not consecutive: %u", id);
    }
    double rate = sc->local.reconnect_rate;
    l->disconnect_rate = rare_rate(
        rate, sim_dist_mean(&sc->local.reconnect_duration) / 1e9,
        sc->rare_boost);
    l->disconnect_lr = rate > 0 ? rate / l->disconnect_rate : 1;
    return l;
}

void local_destroy(local_caches *l) {
    if (!l) return;
    for (uint32_t i = 0; l->cache && i < l->n; i++) store_destroy(l->cache[i]);
    free(l->cache);
    free(l->offline_until);
    free(l->order);
    free(l->offline_event);
    free(l->div_lr);
    free(l->div_ghost_w);
    free(l->div_ghost);
    free(l->div_cf_until);
    free(l->div_dropped);
    free(l);
}

static void schedule(world *w, sim_time delay, enum local_event kind,
                     uint32_t instance, uint32_t key, uint32_t version) {
    sim_schedule(&w->sim, delay, WORLD_EV_LOCAL, (uint32_t)kind << 24 | instance,
                 (uint64_t)key << 32 | version);
}

static gsl_rng *misc(world *w) {
    return sim_rng_stream(&w->rng, SIM_STREAM_MISC);
}

static sim_time exp_gap(world *w, double rate_per_s) {
    return (sim_time)(sim_exponential(misc(w), 1.0 / rate_per_s) * 1e9);
}

void local_start(world *w) {
    const scenario *sc = w->sc;
    local_caches *l = w->local;
    if (sc->local.bus == SCENARIO_BUS_PUBSUB && sc->local.reconnect_rate > 0)
        for (uint32_t i = 0; i < l->n; i++)
            schedule(w, exp_gap(w, l->disconnect_rate), LOCAL_DISCONNECT, i,
                     0, 0);
    if (sc->local.deploy_interval > 0)
        schedule(w, sc->local.deploy_interval, LOCAL_DEPLOY, 0, 0, 0);
    if (sc->local.sample_interval > 0 && l->n > 1)
        schedule(w, sc->local.sample_interval, LOCAL_SAMPLE, 0, 0, 0);
}

void local_route(world *w, uint32_t rq) {
    local_caches *l = w->local;
    request *r = world_req(w, rq);
    switch (w->sc->local.routing) {
    case SCENARIO_ROUTING_ROUND_ROBIN:
        r->instance = l->next_rr;
        l->next_rr = (l->next_rr + 1) % l->n;
        break;
    case SCENARIO_ROUTING_STICKY:
        r->instance = r->client % l->n;
        break;
    default:
        r->instance = (uint32_t)sim_rng_uniform_int(misc(w), l->n);
        break;
    }
}

/* --rare, cache outages: a local hit of a copy that a read an outage
 * diverged stored weighs the outage's ratio w when stale, and stands for
 * the read it would have been without the outage, which counts 1 - w times
 * its weight when stale (oracle_counterfactual), as the diverged read did:
 * a hit of the ghost that read would have stored when it started, while
 * that copy would live (div_cf_until), afterwards a read of the shared
 * cache (world_outage_shared_view).  Any other local hit is what it would
 * have been without the outage: weight 1. */
static void diverged_hit(world *w, uint32_t rq) {
    local_caches *l = w->local;
    request *r = world_req(w, rq);
    size_t i = (size_t)r->instance * w->sc->workload.keys + r->key;
    if (l->div_lr[i] == 0) return;
    uint32_t version = l->div_ghost[i];
    double weight = l->div_ghost_w[i];
    r->rare_lr = l->div_lr[i];
    if (world_now(w) < l->div_cf_until[i] ||
        world_outage_shared_view(w, r->key, &version, &weight))
        oracle_counterfactual(w->oracle, r->key, world_now(w), version,
                              (1 - l->div_lr[i]) * weight);
}

/* --rare, cache outages: a local fill by rq, at `now` with expiry `exp`,
 * records what its copy stands for (diverged_hit): a read an outage
 * diverged stores a copy of weight w standing for a copy of its ghost
 * stored when it started; any other fill one that is what it would have
 * been. */
static void diverged_fill(world *w, uint32_t rq, sim_time now, sim_time exp) {
    local_caches *l = w->local;
    const request *r = world_req(w, rq);
    size_t i = (size_t)r->instance * w->sc->workload.keys + r->key;
    l->div_lr[i] = r->rare_diverged ? r->rare_lr : 0;
    l->div_ghost[i] = r->rare_ghost;
    l->div_ghost_w[i] = r->rare_ghost_w;
    sim_time ttl = exp == SIM_TIME_MAX ? SIM_TIME_MAX : exp - now;
    l->div_cf_until[i] =
        l->div_dropped[i] >= r->invoked ? now
        : ttl < SIM_TIME_MAX - r->invoked ? r->invoked + ttl
                                          : SIM_TIME_MAX;
}

int local_read(world *w, uint32_t rq) {
    local_caches *l = w->local;
    request *r = world_req(w, rq);
    uint32_t v;
    uint32_t copy = l->copy0 + r->instance;
    if (store_get(l->cache[r->instance], r->key, world_now(w), &v)) {
        if (r->invoked >= w->sc->run.warmup)
            WORLD_COUNT(w, r->family, local_hits);
        world_trace_copy(w, TRACE_LOCAL_HIT, rq, r->key, v, copy);
        if (l->div_lr) diverged_hit(w, rq);
        world_finish_read(w, rq, v, copy);
        return 1;
    }
    world_trace_copy(w, TRACE_LOCAL_MISS, rq, r->key, 0, copy);
    r->local_miss = 1;
    return 0;
}

void local_fill(world *w, uint32_t rq, uint32_t version, uint32_t from) {
    local_caches *l = w->local;
    request *r = world_req(w, rq);
    sim_time now = world_now(w), ttl = world_rsc(w, rq)->local.ttl;
    sim_time exp = ttl > 0 && ttl < SIM_TIME_MAX - now ? now + ttl
                                                       : SIM_TIME_MAX;
    store_set(l->cache[r->instance], r->key, version, exp);
    oracle_copy_fill_from(w->oracle, r->key, l->copy0 + r->instance, version,
                          now, exp, ORACLE_SET_FILL, from);
    /* --rare: an answer that stems from a boosted event (a refill of a key
     * a write-behind crash emptied or left behind, request.rare_lr) and is
     * already superseded leaves the local copy stale because of it: its
     * stale reads weigh the event's ratio, as the shared copy's do. */
    uint32_t latest = oracle_latest(w->oracle, r->key);
    if (l->div_lr) diverged_fill(w, rq, now, exp);
    /* A read an outage diverged: its copy's weight is diverged_fill's. */
    if (r->rare_lr != 1 && version < latest && !r->rare_diverged)
        oracle_fault_mark_event(w->oracle, r->key, l->copy0 + r->instance,
                                latest, now, now, r->rare_lr,
                                ORACLE_EVENT_REFILL);
    world_trace_copy(w, TRACE_LOCAL_FILL, rq, r->key, version,
                     l->copy0 + r->instance);
}

static void drop(world *w, uint32_t instance, uint32_t key) {
    local_caches *l = w->local;
    store_del(l->cache[instance], key, world_now(w));
    if (l->div_dropped)
        l->div_dropped[(size_t)instance * w->sc->workload.keys + key] =
            world_now(w);
    oracle_copy_remove(w->oracle, key, l->copy0 + instance, world_now(w));
}

void local_on_commit(world *w, uint32_t rq) {
    local_caches *l = w->local;
    const scenario *sc = world_rsc(w, rq); /* bus_loss, bus_latency */
    request *r = world_req(w, rq);
    if (r->instance == WORLD_NO_INSTANCE) return;
    drop(w, r->instance, r->key);
    world_trace_copy(w, TRACE_LOCAL_DROP, rq, r->key, r->version,
                     l->copy0 + r->instance);
    if (sc->local.bus != SCENARIO_BUS_PUBSUB) return;
    if (world_now(w) >= w->sc->run.warmup)
        WORLD_COUNT(w, r->family, bus_published);
    world_trace_copy(w, TRACE_BUS_PUBLISH, rq, r->key, r->version,
                     l->copy0 + r->instance);
    for (uint32_t j = 0; j < l->n; j++) {
        if (j == r->instance) continue;
        double lr = 1; /* boosted under --rare (models/rare.h) */
        int lost = faults_bus_lost_lr(sc, &w->rng, &lr);
        sim_time lat = world_latency(w, &sc->local.bus_latency);
        if (lost)
            world_fault_mark(w, rq, l->copy0 + j, r->version,
                             world_now(w) + lat, lr);
        schedule(w, lat, lost ? LOCAL_DELIVER_LOST : LOCAL_DELIVER, j, r->key,
                 r->version);
    }
}

/* Restarts round(fraction * n) instances chosen at random: their caches
 * empty. */
static void deploy(world *w) {
    local_caches *l = w->local;
    uint32_t k = (uint32_t)(w->sc->local.deploy_fraction * l->n + 0.5);
    for (uint32_t i = 0; i < l->n; i++) l->order[i] = i;
    gsl_ran_shuffle(misc(w), l->order, l->n, sizeof *l->order);
    for (uint32_t i = 0; i < k; i++)
        for (uint32_t key = 0; key < w->sc->workload.keys; key++) {
            if (l->div_dropped) /* --rare: diverged_fill */
                l->div_dropped[(size_t)l->order[i] * w->sc->workload.keys +
                               key] = world_now(w);
            if (store_del(l->cache[l->order[i]], key, world_now(w))) {
                oracle_copy_remove(w->oracle, key, l->copy0 + l->order[i],
                                   world_now(w));
                world_trace_copy(w, TRACE_LOCAL_RESTART, WORLD_NO_REQUEST, key,
                                 0, l->copy0 + l->order[i]);
            }
        }
}

static void sample(world *w) {
    local_caches *l = w->local;
    uint32_t key = w->next_op.key, first = 0, v;
    int seen = 0, differ = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        if (!store_get(l->cache[i], key, world_now(w), &v)) continue;
        if (seen && v != first) differ = 1;
        first = seen ? first : v;
        seen = 1;
    }
    if (world_now(w) >= w->sc->run.warmup) {
        l->samples++;
        l->disagreements += (uint64_t)differ;
    }
}

void local_on_event(world *w, const sim_event *ev) {
    local_caches *l = w->local;
    const scenario *sc = w->sc;
    uint32_t instance = ev->a & 0xffffff;
    uint32_t key = (uint32_t)(ev->b >> 32), version = (uint32_t)ev->b;
    int counted = world_now(w) >= sc->run.warmup;
    switch ((enum local_event)(ev->a >> 24)) {
    case LOCAL_DELIVER:
    case LOCAL_DELIVER_LOST:
        /* A lost message, or one reaching a disconnected instance, is never
         * heard: the copy lives on until its TTL. */
        if (ev->a >> 24 == LOCAL_DELIVER &&
            world_now(w) >= l->offline_until[instance]) {
            if (counted)
                WORLD_COUNT(w, world_key_family(w, key), bus_delivered);
            drop(w, instance, key);
            world_trace_copy(w, TRACE_BUS_DELIVER, WORLD_NO_REQUEST, key,
                             version, l->copy0 + instance);
        } else {
            if (counted && ev->a >> 24 == LOCAL_DELIVER)
                WORLD_COUNT(w, world_key_family(w, key), bus_missed);
            else if (counted)
                WORLD_COUNT(w, world_key_family(w, key), bus_lost);
            /* A message the disconnection lost (not one the bus had lost
             * already: that loss carries its own ratio) keeps the copy from
             * now on: weighted by the disconnection's ratio (--rare). */
            if (ev->a >> 24 == LOCAL_DELIVER && l->disconnect_lr != 1)
                oracle_fault_mark_event(w->oracle, key, l->copy0 + instance,
                                        version, world_now(w), world_now(w),
                                        l->disconnect_lr,
                                        l->offline_event[instance]);
            oracle_copy_invalidation_lost(w->oracle, key, l->copy0 + instance,
                                          version, world_now(w),
                                          ORACLE_CAUSE_BUS_LOST);
            world_trace_copy(w,
                             ev->a >> 24 == LOCAL_DELIVER ? TRACE_BUS_MISSED
                                                          : TRACE_BUS_LOST,
                             WORLD_NO_REQUEST, key, version,
                             l->copy0 + instance);
        }
        break;
    case LOCAL_DISCONNECT: {
        sim_time down = world_latency(w, &sc->local.reconnect_duration);
        l->offline_until[instance] = world_now(w) + down;
        l->offline_event[instance] = ++l->disconnections;
        if (l->disconnect_lr != 1) oracle_fault_event(w->oracle);
        schedule(w, down + exp_gap(w, l->disconnect_rate), LOCAL_DISCONNECT,
                 instance, 0, 0);
        break;
    }
    case LOCAL_DEPLOY:
        deploy(w);
        schedule(w, sc->local.deploy_interval, LOCAL_DEPLOY, 0, 0, 0);
        break;
    case LOCAL_SAMPLE:
        sample(w);
        schedule(w, sc->local.sample_interval, LOCAL_SAMPLE, 0, 0, 0);
        break;
    }
}

int local_is_copy(const local_caches *l, uint32_t copy) {
    return l && copy >= l->copy0 && copy < l->copy0 + l->n;
}

double local_disagreement(const local_caches *l) {
    return l && l->samples ? (double)l->disagreements / (double)l->samples
                           : 0;
}
