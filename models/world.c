/* The world: request pool, event dispatch, and the effect helpers that keep
 * the store, the database and the oracle in step. */
#include "models/world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>

#include "models/local.h"
#include "sim/check.h"

/* The scenario's limits must fit the oracle's (one place to raise them). */
_Static_assert(SCENARIO_MAX_PATHS <= ORACLE_MAX_PATHS,
               "raise ORACLE_MAX_PATHS with SCENARIO_MAX_PATHS");
_Static_assert(SCENARIO_MAX_FAMILIES <= ORACLE_MAX_FAMILIES,
               "raise ORACLE_MAX_FAMILIES with SCENARIO_MAX_FAMILIES");

/* Events of this file beyond world.h's list (another module taking the same
 * number would be a duplicate case in dispatch, a compile error). */
enum {
    WORLD_EV_READ_BACK = WORLD_EV_COUNT, /* a = key, b = client: a session reads its
                                     write back ([workload] read_after_write) */
    WORLD_EV_CACHE_OUTAGE /* b = 1: a cache outage starts, 0: it ends */
};

static void trace(world *w, trace_op op, uint32_t rq, uint32_t key,
                  uint32_t version);
static void trace_at(world *w, trace_op op, uint32_t rq, uint32_t key,
                     uint32_t version, uint32_t copy);
static void cache_delete(world *w, uint32_t key, uint32_t version);
static void invalidation_result(world *w, uint32_t key, uint32_t version,
                                fault_outcome outcome);

static const struct {
    const char *name, *unit, *label, *brief, *doc;
    int shown, scale;
} metric_info[WORLD_METRIC_COUNT] = {
#define WORLD_METRIC_INFO(id, name, unit, shown, scale, label, brief, doc)    \
    {name, unit, label, brief, doc, shown, scale},
    WORLD_METRICS(WORLD_METRIC_INFO)
#undef WORLD_METRIC_INFO
};

static const struct {
    const char *name, *doc;
} dist_info[WORLD_DIST_COUNT] = {
#define WORLD_DIST_INFO(id, name, doc) {name, doc},
    WORLD_DISTS(WORLD_DIST_INFO)
#undef WORLD_DIST_INFO
};

static const char *const family_figure_names[WORLD_FIGURE_COUNT] = {
#define WORLD_FIGURE_NAME(id, name, doc) name,
    WORLD_FAMILY_FIGURES(WORLD_FIGURE_NAME)
#undef WORLD_FIGURE_NAME
};

const world_dist world_family_dist[WORLD_FDIST_COUNT] = {
#define WORLD_FAMILY_DIST(id, ...) WORLD_DIST_##id,
    WORLD_DISTS(WORLD_FAMILY_DIST)
#undef WORLD_FAMILY_DIST
};

const char *world_family_figure_name(world_family_figure f) {
    return family_figure_names[f];
}

const char *world_metric_name(world_metric m) { return metric_info[m].name; }
const char *world_metric_doc(world_metric m) { return metric_info[m].doc; }
const char *world_metric_unit(world_metric m) { return metric_info[m].unit; }
const char *world_metric_label(world_metric m) { return metric_info[m].label; }
const char *world_metric_brief(world_metric m) {
    return metric_info[m].brief ? metric_info[m].brief : metric_info[m].name;
}
int world_metric_shown(world_metric m) { return metric_info[m].shown; }
int world_metric_scale(world_metric m) { return metric_info[m].scale; }
const char *world_dist_name(world_dist d) { return dist_info[d].name; }
const char *world_dist_doc(world_dist d) { return dist_info[d].doc; }

/* Each operation's response part in family f: its own *_response, else
 * the scenario-wide response_latency (so a scenario with only
 * response_latency runs as before). */
static void resolve_responses(world_family *f) {
    const scenario *sc = f->sc;
    const sim_dist *own[WORLD_OP_COUNT] = {
        &sc->cache.get_response, &sc->cache.set_response,
        &sc->cache.del_response, &sc->db.read_response,
        &sc->db.write_response};
    f->zero_response = 1;
    for (int op = 0; op < WORLD_OP_COUNT; op++) {
        f->response[op] = sim_dist_is_zero(own[op]) ? &sc->cache.response_latency
                                                    : own[op];
        f->zero_response &= sim_dist_is_zero(f->response[op]);
    }
}

/* The families: each one's view, pattern and key range (one implicit
 * family over the base scenario without [family.*]).  Returns 0 or -1. */
static int setup_families(world *w, const scenario *sc) {
    w->nfam = sc->families.n;
    if (w->nfam == 0) {
        world_family *f = &w->fam[0];
        f->sc = sc;
        f->pattern = pattern_find(sc->cache.pattern);
        SIM_CHECK(f->pattern != NULL, "pattern '%s'", sc->cache.pattern);
        f->nkeys = sc->workload.keys;
        resolve_responses(f);
        w->sc = sc;
        return 0;
    }
    char err[512];
    w->base_view = malloc(sizeof *w->base_view);
    if (!w->base_view) return -1;
    if (scenario_copy(w->base_view, sc) != 0) {
        free(w->base_view);
        w->base_view = NULL;
        return -1;
    }
    w->base_view->workload.keys = scenario_total_keys(sc);
    w->sc = w->base_view;
    w->key_family = malloc(w->base_view->workload.keys);
    if (!w->key_family) return -1;
    for (int i = 0; i < w->nfam; i++) {
        world_family *f = &w->fam[i];
        f->view = malloc(sizeof *f->view);
        if (!f->view) return -1;
        if (scenario_family_view(sc, i, f->view, err, sizeof err) != 0) {
            free(f->view);
            f->view = NULL;
            return -1;
        }
        f->sc = f->view;
        f->pattern = pattern_find(f->view->cache.pattern);
        SIM_CHECK(f->pattern != NULL, "pattern '%s'", f->view->cache.pattern);
        scenario_family_range r;
        scenario_family_resolve(sc, i, &r);
        f->first_key = r.first_key;
        f->nkeys = r.nkeys;
        f->bypass = sc->families.family[i].bypass;
        resolve_responses(f);
        sim_hist_init(&f->invalidation_lag);
        sim_hist_init(&f->read_latency);
        sim_hist_init(&f->durability_lag);
        memset(w->key_family + r.first_key, i, r.nkeys);
    }
    return 0;
}

/* The full shared cache evicted key's entry (holding version) now, to make
 * room for a SET: the copy is gone, as for a DEL, and any stale window it
 * had closes here. */
static void on_evicted(void *ctx, uint32_t key, uint32_t version) {
    world *w = ctx;
    sim_time now = w->sim.now;
    oracle_copy_remove(w->oracle, key, ORACLE_CACHE, now);
    trace_at(w, TRACE_EVICTED, WORLD_NO_REQUEST, key, version, ORACLE_CACHE);
    if (now >= w->sc->run.warmup)
        WORLD_COUNT(w, world_key_family(w, key), evictions);
}

/* The private state of every pattern the families use (one per pattern),
 * and what the world takes from their rows.  Returns 0, or -1 on ENOMEM. */
static int create_patterns(world *w) {
    w->db_copy = ORACLE_SOURCE;
    int nfam = w->nfam ? w->nfam : 1;
    for (int i = 0; i < nfam; i++) {
        const pattern_ops *p = w->fam[i].pattern;
        size_t idx = pattern_index(p);
        if (p->flags & PATTERN_OWN_FAILURES) w->own_failures = 1;
        if (!p->create || w->pstate[idx]) continue;
        w->pstate[idx] = p->create(w);
        if (!w->pstate[idx]) return -1;
        if (p->db_copy) w->db_copy = p->db_copy(w->pstate[idx]);
    }
    return 0;
}

static world *create(const scenario *sc, uint32_t rep, workload *load) {
    world *w = calloc(1, sizeof *w);
    if (!w) {
        workload_destroy(load);
        return NULL;
    }
    w->load = load;
    if (setup_families(w, sc) != 0) {
        world_destroy(w);
        return NULL;
    }
    sc = w->sc;
    w->pattern = w->fam[0].pattern;
    uint32_t n = sc->workload.keys;
    w->db = db_create(n);
    w->cache = store_create(n);
    w->oracle = oracle_create(n, sc->run.warmup);
    if (w->oracle) oracle_set_bound(w->oracle, sc->contract.max_staleness);
    if (w->oracle && w->nfam) {
        uint32_t first[WORLD_MAX_FAMILIES];
        sim_time bound[WORLD_MAX_FAMILIES];
        for (int i = 0; i < w->nfam; i++) {
            first[i] = w->fam[i].first_key;
            bound[i] = w->fam[i].sc->contract.max_staleness;
        }
        if (oracle_set_families(w->oracle, w->nfam, first, bound) != 0) {
            oracle_destroy(w->oracle);
            w->oracle = NULL;
        }
    }
    w->cap = 256;
    w->req = malloc(w->cap * sizeof *w->req);
    w->free_slots = malloc(w->cap * sizeof *w->free_slots);
    int ok = load && w->db && w->cache && w->oracle && w->req &&
             w->free_slots;
    int sim_ok = ok && sim_init(&w->sim, 1024) == 0;
    int rng_ok = sim_ok && sim_rng_init(&w->rng, sc->run.seed, rep) == 0;
    if (!rng_ok) {
        world_destroy(w); /* sim_fini and sim_rng_fini accept zeroed state */
        return NULL;
    }
    for (uint32_t i = 0; i < w->cap; i++) w->free_slots[i] = w->cap - 1 - i;
    w->nfree = w->cap;
    w->zero_response = w->fam[0].zero_response;
    sim_hist_init(&w->read_latency);
    sim_hist_init(&w->invalidation_lag);
    sim_hist_init(&w->durability_lag);
    if (sc->db.replicas > 0) {
        w->replicas = replicas_create(sc->db.replicas, n);
        if (!w->replicas) {
            world_destroy(w);
            return NULL;
        }
        w->replica_copy = oracle_add_copy(w->oracle, ORACLE_COPY_REPLICA);
        for (uint32_t i = 1; i < sc->db.replicas; i++)
            oracle_add_copy(w->oracle, ORACLE_COPY_REPLICA); /* ids consecutive */
        if (w->replica_copy == ORACLE_NO_COPY) {
            world_destroy(w);
            return NULL;
        }
    }
    if (sc->cache.capacity > 0 &&
        store_bound(w->cache, sc->cache.capacity, sc->cache.capacity_bytes,
                    (store_eviction)sc->cache.eviction,
                    sim_rng_stream(&w->rng, SIM_STREAM_EVICTION), on_evicted,
                    w) != 0) {
        world_destroy(w);
        return NULL;
    }
    if (create_patterns(w) != 0) {
        world_destroy(w);
        return NULL;
    }
    if (sc->local.instances > 0) {
        w->local = local_create(w);
        if (!w->local) {
            world_destroy(w);
            return NULL;
        }
    }
    /* Alone, the instances sit directly over the DB: there is no shared
     * cache, with instances or without (local.instances = 0 is then the
     * DB alone, the design's no-cache baseline). */
    if (sc->local.tier == SCENARIO_TIER_ALONE) {
        w->pattern = pattern_no_cache();
        for (int i = 0; i < WORLD_MAX_FAMILIES; i++)
            w->fam[i].pattern = pattern_no_cache();
    }
    return w;
}

world *world_create(const scenario *sc, uint32_t rep) {
    return create(sc, rep, workload_create(sc));
}

world *world_create_scripted(const scenario *sc, uint32_t rep,
                             const workload_op *ops, size_t nops) {
    return create(sc, rep, workload_create_scripted(ops, nops));
}

void world_destroy(world *w) {
    if (!w) return;
    sim_fini(&w->sim);
    sim_rng_fini(&w->rng);
    for (int i = 0; i < WORLD_MAX_FAMILIES; i++) {
        if (!w->fam[i].view) continue;
        scenario_fini(w->fam[i].view);
        free(w->fam[i].view);
    }
    if (w->base_view) {
        scenario_fini(w->base_view);
        free(w->base_view);
    }
    free(w->key_family);
    replicas_destroy(w->replicas);
    local_destroy(w->local);
    for (size_t i = 0; i < pattern_count(); i++)
        if (w->pstate[i]) pattern_at(i)->destroy(w->pstate[i]);
    workload_destroy(w->load);
    db_destroy(w->db);
    store_destroy(w->cache);
    oracle_destroy(w->oracle);
    free(w->req);
    free(w->free_slots);
    free(w);
}

/* ---- request pool ---------------------------------------------------------- */

static int grow_pool(world *w) {
    uint32_t cap = w->cap * 2;
    request *r = realloc(w->req, cap * sizeof *r);
    if (!r) return -1;
    w->req = r;
    uint32_t *f = realloc(w->free_slots, cap * sizeof *f);
    if (!f) return -1;
    w->free_slots = f;
    for (uint32_t i = cap; i > w->cap; i--) w->free_slots[w->nfree++] = i - 1;
    w->cap = cap;
    return 0;
}

static void release(world *w, uint32_t rq) { w->free_slots[w->nfree++] = rq; }

/* ---- dispatch ---------------------------------------------------------------- */

static void schedule_arrival(world *w) {
    if (workload_next(w->load, &w->rng, w->sim.now, &w->next_op)) {
        sim_schedule_at(&w->sim, w->next_op.at, WORLD_EV_ARRIVAL, 0, 0);
        /* Its key's state is cold on a big key space: fetch it while the
         * events before the arrival run. */
        uint32_t key = w->next_op.key;
        store_prefetch(w->cache, key);
        db_prefetch(w->db, key);
        oracle_prefetch(w->oracle, key);
    }
}

/* Starts a request of `kind` on `key` by `client` now (a workload arrival or
 * a session's read-back) and hands it to the pattern. */
static void start_request(world *w, workload_kind kind, uint32_t key,
                          uint32_t client) {
    if (w->nfree == 0 && grow_pool(w) != 0) {
        w->sim.failed = 1;
        sim_stop(&w->sim);
        return;
    }
    uint32_t rq = w->free_slots[--w->nfree];
    request *r = &w->req[rq];
    r->invoked = w->sim.now;
    r->commit_at = 0;
    r->del_effect_at = SIM_TIME_MAX;
    r->key = key;
    r->client = client;
    r->version = 0;
    r->kind = (uint8_t)kind;
    r->plan = ORACLE_PLAN_PENDING;
    r->path = 0;
    r->local_miss = 0;
    r->family = (uint8_t)world_key_family(w, key);
    r->background = 0;
    r->pattern_mark = 0;
    r->instance = WORLD_NO_INSTANCE;
    r->source = ORACLE_SOURCE;
    r->serial = ++w->serial;
    if (kind == WORKLOAD_WRITE && w->sc->paths.n > 0) {
        /* The write path, by share, from the MISC stream. */
        double u = gsl_rng_uniform(sim_rng_stream(&w->rng, SIM_STREAM_MISC));
        int p = 0;
        while (p + 1 < w->sc->paths.n && u >= w->sc->paths.path[p].share) {
            u -= w->sc->paths.path[p].share;
            p++;
        }
        r->path = (uint8_t)p;
    }
    /* A bypass family's requests skip the instances' caches too. */
    int bypass = w->fam[r->family].bypass;
    if (w->local && !bypass) local_route(w, rq);
    trace(w, kind == WORKLOAD_READ ? TRACE_READ : TRACE_WRITE, rq, r->key, 0);
    const pattern_ops *p = w->fam[r->family].pattern;
    if (kind == WORKLOAD_READ) {
        if (bypass && w->sim.now >= w->sc->run.warmup)
            WORLD_COUNT(w, r->family, bypass_reads);
        if (w->local && !bypass && local_read(w, rq)) return; /* a hit */
        p->on_read(w, rq);
    } else {
        if (w->sim.now >= w->sc->run.warmup) WORLD_COUNT(w, r->family, writes);
        p->on_write(w, rq);
    }
}

static void on_arrival(world *w) {
    workload_op op = w->next_op;
    schedule_arrival(w); /* draws the next op into w->next_op */
    start_request(w, op.kind, op.key, op.client);
}

/* Cache outages ([cache] outage_rate, outage_duration): while the cache is
 * up, outages start as a Poisson process; one lasts a draw of
 * outage_duration.  At its start the cache is emptied (every live entry
 * removed, every lease voided); while it lasts cache_down is set and the
 * patterns fail every cache operation.  Draws come from the FAULTS stream.
 * start = 0 ends an outage (or begins the run) and schedules the next. */
static void cache_outage(world *w, int start) {
    const scenario *sc = w->sc;
    gsl_rng *g = sim_rng_stream(&w->rng, SIM_STREAM_FAULTS);
    sim_time now = w->sim.now, left = sc->run.duration - now;
    if (start) {
        w->cache_down = 1;
        world_cache_clear(w);
        sim_time d = sim_dist_sample(&sc->cache.outage_duration, g);
        if (d < left) sim_schedule(&w->sim, d, WORLD_EV_CACHE_OUTAGE, 0, 0);
        return;
    }
    w->cache_down = 0;
    double up_ns = gsl_ran_exponential(g, 1e9 / sc->cache.outage_rate);
    if (up_ns < (double)left)
        sim_schedule(&w->sim, (sim_time)up_ns, WORLD_EV_CACHE_OUTAGE, 0, 1);
}

static void dispatch(void *model, sim *s, const sim_event *ev) {
    world *w = model;
    (void)s;
    switch (ev->type) {
    case WORLD_EV_STEP:
        world_rpattern(w, ev->a)->on_step(w, ev->a, (uint32_t)ev->b);
        break;
    case WORLD_EV_ARRIVAL:
        on_arrival(w);
        break;
    case WORLD_EV_READ_BACK:
        start_request(w, WORKLOAD_READ, ev->a, (uint32_t)ev->b);
        break;
    case WORLD_EV_CACHE_OUTAGE:
        cache_outage(w, ev->b != 0);
        break;
    case WORLD_EV_DEL_LATE:
        cache_delete(w, ev->a, (uint32_t)ev->b);
        trace(w, TRACE_DEL_LATE, WORLD_NO_REQUEST, ev->a, (uint32_t)ev->b);
        break;
    case WORLD_EV_LOCAL:
        local_on_event(w, ev);
        break;
    case WORLD_EV_PATTERN: {
        size_t i = ev->a >> 24;
        pattern_at(i)->on_event(w, w->pstate[i], ev->a & 0xffffffu, ev->b);
        break;
    }
    case WORLD_EV_REPLICA_APPLY: {
        uint32_t i = (uint32_t)(ev->b >> 32), v = (uint32_t)ev->b;
        if (replicas_apply(w->replicas, i, ev->a, v)) {
            oracle_copy_set(w->oracle, ev->a, w->replica_copy + i, v,
                            w->sim.now, SIM_TIME_MAX, ORACLE_SET_UPDATE);
            trace_at(w, TRACE_REPLICA_APPLY, WORLD_NO_REQUEST, ev->a, v,
                     w->replica_copy + i);
        }
        break;
    }
    default:
        SIM_CHECK(0, "unknown event type %u", ev->type);
    }
}

/* ---- helpers for patterns ---------------------------------------------------- */

sim_time world_latency(world *w, const sim_dist *d) {
    return sim_dist_sample(d, sim_rng_stream(&w->rng, SIM_STREAM_LATENCY));
}

void world_after(world *w, sim_time delay, uint32_t rq, uint32_t step) {
    sim_schedule(&w->sim, delay, WORLD_EV_STEP, rq, step);
}

void world_respond_op(world *w, uint32_t rq, uint32_t step, world_op op) {
    const world_family *f = &w->fam[w->req[rq].family];
    if (f->zero_response || sim_dist_is_zero(f->response[op]))
        f->pattern->on_step(w, rq, step);
    else
        world_after(w, world_latency(w, f->response[op]), rq, step);
}

void world_respond(world *w, uint32_t rq, uint32_t step) {
    world_respond_op(w, rq, step, (world_op)w->req[rq].last_op);
}

/* Emits one trace record about request rq (or about key alone when rq is
 * WORLD_NO_REQUEST), naming oracle copy `copy` as the copy it concerns. */
static void trace_at(world *w, trace_op op, uint32_t rq, uint32_t key,
                     uint32_t version, uint32_t copy) {
    if (!w->tracer) return;
    trace_rec t;
    memset(&t, 0, sizeof t);
    t.t = w->sim.now;
    t.op = (uint8_t)op;
    t.key = key;
    t.version = version;
    t.from_kind = (uint8_t)oracle_copy_kind_of(w->oracle, copy);
    t.from_rank = oracle_copy_rank(w->oracle, copy);
    if (rq != WORLD_NO_REQUEST) {
        const request *r = &w->req[rq];
        t.invoked = r->invoked;
        t.request = r->serial;
        t.client = r->client;
        t.is_write = r->kind == WORKLOAD_WRITE;
        t.background = r->background;
    }
    w->tracer(w->tracer_ctx, &t);
}

/* The same about the shared cache (or, for DB steps, the source). */
static void trace(world *w, trace_op op, uint32_t rq, uint32_t key,
                  uint32_t version) {
    if (w->tracer)
        trace_at(w, op, rq, key, version,
                 op == TRACE_COMMIT ? ORACLE_SOURCE : ORACLE_CACHE);
}

void world_trace_copy(world *w, trace_op op, uint32_t rq, uint32_t key,
                      uint32_t version, uint32_t copy) {
    trace_at(w, op, rq, key, version, copy);
}

void world_stop(world *w) { sim_stop(&w->sim); }

void world_set_tracer(world *w, trace_fn fn, void *ctx) {
    w->tracer = fn;
    w->tracer_ctx = ctx;
}

/* ---- helpers for a pattern's lifecycle ------------------------------------- */

void world_pattern_schedule_at(world *w, const pattern_ops *p, sim_time at,
                               uint32_t a, uint64_t b) {
    SIM_CHECK(a < 1u << 24 && p->on_event, "pattern '%s' event a = %u",
              p->name, a);
    sim_schedule_at(&w->sim, at, WORLD_EV_PATTERN,
                    (uint32_t)pattern_index(p) << 24 | a, b);
}

void world_pattern_schedule(world *w, const pattern_ops *p, sim_time delay,
                            uint32_t a, uint64_t b) {
    SIM_CHECK(delay >= 0, "delay %lld ns", (long long)delay);
    world_pattern_schedule_at(w, p, w->sim.now + delay, a, b);
}

gsl_rng *world_pattern_rng(world *w) {
    return sim_rng_stream(&w->rng, SIM_STREAM_PATTERN);
}

void world_cache_clear(world *w) {
    sim_time now = w->sim.now;
    for (uint32_t k = 0; k < w->sc->workload.keys; k++)
        if (store_del(w->cache, k, now)) {
            oracle_copy_remove(w->oracle, k, ORACLE_CACHE, now);
            world_trace_copy(w, TRACE_CACHE_EMPTIED, WORLD_NO_REQUEST, k, 0,
                             ORACLE_CACHE);
        }
}

void world_durable(world *w, uint32_t key, sim_time acked_at) {
    if (acked_at < w->sc->run.warmup) return;
    sim_hist_add(&w->durability_lag, w->sim.now - acked_at);
    if (w->nfam)
        sim_hist_add(&w->fam[w->key_family[key]].durability_lag,
                     w->sim.now - acked_at);
}

/* One more shared-cache operation by rq (after the warm-up). */
static void count_cache_op(world *w, uint32_t rq) {
    if (w->sim.now >= w->sc->run.warmup)
        WORLD_COUNT(w, w->req[rq].family, cache_ops);
}

void world_out_of_memory(world *w) {
    w->sim.failed = 1;
    sim_stop(&w->sim);
}

int world_cache_get(world *w, uint32_t rq, uint32_t *version) {
    sim_time now = w->sim.now;
    uint32_t key = w->req[rq].key;
    int hit = store_get(w->cache, key, now, version);
    w->req[rq].last_op = WORLD_OP_GET;
    count_cache_op(w, rq);
    const scenario *sc = world_rsc(w, rq);
    if (hit && sc->cache.sliding_ttl && sc->cache.ttl > 0) {
        sim_time exp = now + sc->cache.ttl;
        store_touch(w->cache, key, exp);
        oracle_copy_set(w->oracle, key, ORACLE_CACHE, *version, now, exp,
                        ORACLE_SET_FILL);
    }
    trace(w, hit ? TRACE_HIT : TRACE_MISS, rq, key, hit ? *version : 0);
    const pattern_ops *p = world_rpattern(w, rq);
    if (hit && p->on_hit) {
        sim_time exp;
        store_peek(w->cache, key, now, NULL, &exp);
        p->on_hit(w, w->pstate[pattern_index(p)], rq, *version, exp);
    }
    return hit;
}

/* Stores version of key in the shared cache now.  Returns 1, or 0 when a
 * full cache refused it (counted in oom_errors and traced for rq; the cache
 * keeps what it held). */
static int cache_store(world *w, const scenario *sc, uint32_t rq,
                       uint32_t key, uint32_t version, oracle_set_kind kind,
                       uint32_t from) {
    sim_time now = w->sim.now;
    sim_time ttl = sc->cache.ttl;
    double jitter = sc->cache.ttl_jitter;
    if (ttl > 0 && jitter > 0) { /* uniform in ttl*(1 +- jitter), MISC stream */
        double u = gsl_rng_uniform(sim_rng_stream(&w->rng, SIM_STREAM_MISC));
        double t = (double)ttl * (1 + jitter * (2 * u - 1));
        ttl = t >= 9e18 ? SIM_TIME_MAX : t < 1 ? 1 : (sim_time)t;
    }
    sim_time exp = ttl > 0 && ttl < SIM_TIME_MAX - now ? now + ttl
                                                       : SIM_TIME_MAX;
    uint32_t size = 1;
    if (w->sc->cache.capacity_bytes) { /* VALUE_SIZE stream */
        sim_time b = sim_dist_sample(&w->sc->cache.value_size,
                                     sim_rng_stream(&w->rng,
                                                    SIM_STREAM_VALUE_SIZE));
        size = b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
    }
    int stored = store_put(w->cache, key, version, exp, now, size);
    if (stored < 0) {
        world_out_of_memory(w);
        return 0;
    }
    if (!stored) {
        if (now >= w->sc->run.warmup)
            WORLD_COUNT(w, world_key_family(w, key), oom_errors);
        trace(w, TRACE_SET_REFUSED, rq, key, version);
        return 0;
    }
    oracle_copy_fill_from(w->oracle, key, ORACLE_CACHE, version, now, exp, kind,
                          from);
    return 1;
}

int world_cache_fill(world *w, uint32_t rq, int ok) {
    request *r = &w->req[rq];
    r->last_op = WORLD_OP_SET;
    count_cache_op(w, rq);
    if (ok && !cache_store(w, world_rsc(w, rq), rq, r->key, r->version,
                           ORACLE_SET_FILL, r->source))
        return 0; /* refused: traced as such */
    trace(w, ok ? TRACE_FILL : TRACE_FILL_FAILED, rq, r->key, r->version);
    const pattern_ops *p = world_rpattern(w, rq);
    if (ok && p->on_fill) {
        sim_time exp;
        store_peek(w->cache, r->key, w->sim.now, NULL, &exp);
        p->on_fill(w, w->pstate[pattern_index(p)], rq, exp);
    }
    return ok;
}

void world_cache_refresh(world *w, uint32_t rq, int ok) {
    request *r = &w->req[rq];
    SIM_CHECK(r->background, "request %u refreshes but is no background "
              "request", rq);
    r->last_op = WORLD_OP_SET;
    count_cache_op(w, rq);
    if (ok && !cache_store(w, world_rsc(w, rq), rq, r->key, r->version,
                           ORACLE_SET_REFRESH, r->source))
        return; /* refused: traced as such */
    trace(w, ok ? TRACE_FILL : TRACE_FILL_FAILED, rq, r->key, r->version);
}

void world_cache_update(world *w, uint32_t rq, int ok) {
    request *r = &w->req[rq];
    r->last_op = WORLD_OP_SET;
    count_cache_op(w, rq);
    if (ok && !cache_store(w, world_rsc(w, rq), rq, r->key, r->version,
                           ORACLE_SET_UPDATE, ORACLE_SOURCE)) {
        /* A full cache refused it: the old value stays, as after an error. */
        invalidation_result(w, r->key, r->version, FAULT_FAIL);
        return;
    }
    if (ok) {
        if (r->commit_at >= w->sc->run.warmup) {
            sim_hist_add(&w->invalidation_lag, w->sim.now - r->commit_at);
            if (w->nfam)
                sim_hist_add(&w->fam[r->family].invalidation_lag,
                             w->sim.now - r->commit_at);
        }
    }
    trace(w, ok ? TRACE_UPDATE : TRACE_UPDATE_FAILED, rq, r->key,
          r->version);
    if (!ok) invalidation_result(w, r->key, r->version, FAULT_FAIL);
}

/* A DEL of key takes effect now; `version` is the commit it invalidates
 * (0 when it precedes its commit), for the invalidation-lag distribution. */
static void cache_delete(world *w, uint32_t key, uint32_t version) {
    sim_time now = w->sim.now;
    store_del(w->cache, key, now);
    oracle_copy_remove(w->oracle, key, ORACLE_CACHE, now);
    if (version > 0 && version <= oracle_latest(w->oracle, key)) {
        sim_time commit_at = oracle_commit_time(w->oracle, key, version);
        if (commit_at >= w->sc->run.warmup) {
            sim_hist_add(&w->invalidation_lag, now - commit_at);
            if (w->nfam)
                sim_hist_add(&w->fam[w->key_family[key]].invalidation_lag,
                             now - commit_at);
        }
    }
}

void world_cache_invalidate(world *w, uint32_t rq, uint32_t version) {
    w->req[rq].last_op = WORLD_OP_DEL;
    count_cache_op(w, rq);
    cache_delete(w, w->req[rq].key, version);
    trace(w, TRACE_DEL, rq, w->req[rq].key, version);
}

void world_cache_invalidate_late(world *w, uint32_t rq, uint32_t version,
                                 sim_time delay) {
    sim_schedule(&w->sim, delay, WORLD_EV_DEL_LATE, w->req[rq].key, version);
}

/* Counts how an invalidation attempt ended and, when it will never take
 * effect, tells the oracle (version 0: issued before its commit, whose plan
 * carries that). */
static void invalidation_result(world *w, uint32_t key, uint32_t version,
                                fault_outcome outcome) {
    int never = outcome == FAULT_FAIL || outcome == FAULT_TIMEOUT_LOST;
    if (w->sim.now >= w->sc->run.warmup) {
        uint64_t timed_out = (uint64_t)(outcome == FAULT_TIMEOUT_LOST ||
                                        outcome == FAULT_TIMEOUT_APPLIED);
        w->counts.invalidations_failed += (uint64_t)never;
        w->counts.invalidations_timed_out += timed_out;
        if (w->nfam) {
            world_counts *c = &w->fam[w->key_family[key]].counts;
            c->invalidations_failed += (uint64_t)never;
            c->invalidations_timed_out += timed_out;
        }
    }
    if (never && version > 0)
        oracle_invalidation_failed(w->oracle, key, version, w->sim.now);
}

void world_cache_del_failed(world *w, uint32_t rq, uint32_t version) {
    uint32_t key = w->req[rq].key;
    count_cache_op(w, rq);
    trace(w, TRACE_DEL_FAILED, rq, key, version);
    invalidation_result(w, key, version, FAULT_FAIL);
}

void world_cache_del_timeout(world *w, uint32_t rq, uint32_t version,
                             int lands_later) {
    uint32_t key = w->req[rq].key;
    count_cache_op(w, rq);
    trace(w, TRACE_DEL_TIMEOUT, rq, key, version);
    invalidation_result(w, key, version,
                        lands_later ? FAULT_TIMEOUT_APPLIED
                                    : FAULT_TIMEOUT_LOST);
}

void world_fault_mark(world *w, uint32_t rq, uint32_t copy, uint32_t version,
                      sim_time at, double lr) {
    if (lr == 1 || version == 0) return;
    oracle_fault_mark(w->oracle, w->req[rq].key, copy, version, w->sim.now,
                      at, lr);
}

void world_invalidation_issued(world *w, uint32_t rq) {
    if (w->sim.now >= w->sc->run.warmup)
        WORLD_COUNT(w, w->req[rq].family, invalidations);
}

void world_fallback_read(world *w, uint32_t rq) {
    if (w->req[rq].invoked >= w->sc->run.warmup)
        WORLD_COUNT(w, w->req[rq].family, fallback_reads);
}

int world_path_invalidates(const world *w, uint32_t rq) {
    return w->sc->paths.n == 0 ||
           w->sc->paths.path[w->req[rq].path].invalidates;
}

uint32_t world_db_read(world *w, uint32_t rq) {
    request *r = &w->req[rq];
    r->last_op = WORLD_OP_DB_READ;
    if (w->sim.now >= w->sc->run.warmup) WORLD_COUNT(w, r->family, db_reads);
    if (w->replicas) {
        uint32_t i = (uint32_t)gsl_rng_uniform_int(
            sim_rng_stream(&w->rng, SIM_STREAM_MISC), w->sc->db.replicas);
        r->version = replicas_read(w->replicas, i, r->key);
        r->source = w->replica_copy + i;
    } else {
        r->version = db_read(w->db, r->key);
        r->source = w->db_copy;
    }
    trace_at(w, TRACE_DB_READ, rq, r->key, r->version, r->source);
    return r->version;
}

uint32_t world_db_commit(world *w, uint32_t rq, oracle_plan plan) {
    request *r = &w->req[rq];
    r->last_op = WORLD_OP_DB_WRITE;
    r->version = db_commit(w->db, r->key);
    r->commit_at = w->sim.now;
    /* A write path that forgets leaves every copy stale for that reason,
     * whatever the pattern would have done. */
    if (!world_path_invalidates(w, rq)) plan = ORACLE_PLAN_NONE_PATH;
    oracle_commit_path(w->oracle, r->key, r->version, w->sim.now, plan,
                       r->path);
    trace(w, TRACE_COMMIT, rq, r->key, r->version);
    if (w->sim.now >= w->sc->run.warmup)
        WORLD_COUNT(w, r->family, writes_by_path[r->path]);
    if (w->local && world_path_invalidates(w, rq)) local_on_commit(w, rq);
    for (uint32_t i = 0; i < replicas_count(w->replicas); i++) {
        sim_time lag = world_latency(w, &w->sc->db.replica_lag);
        sim_schedule(&w->sim, lag, WORLD_EV_REPLICA_APPLY, r->key,
                     (uint64_t)i << 32 | r->version);
    }
    return r->version;
}

uint32_t world_cache_commit(world *w, uint32_t rq) {
    request *r = &w->req[rq];
    r->last_op = WORLD_OP_SET; /* write-behind: the cache accepts the write */
    count_cache_op(w, rq);
    sim_time now = w->sim.now;
    r->version = oracle_latest(w->oracle, r->key) + 1;
    r->commit_at = now;
    oracle_commit_path(w->oracle, r->key, r->version, now, ORACLE_PLAN_NONE_PATTERN,
                       r->path);
    if (!cache_store(w, world_rsc(w, rq), rq, r->key, r->version, ORACLE_SET_UPDATE,
                     ORACLE_SOURCE)) {
        /* A value larger than the whole cache: it passes to the DB behind,
         * and the cache keeps no older copy of the key. */
        if (store_del(w->cache, r->key, now))
            oracle_copy_remove(w->oracle, r->key, ORACLE_CACHE, now);
    }
    trace_at(w, TRACE_COMMIT, rq, r->key, r->version, ORACLE_CACHE);
    if (now >= w->sc->run.warmup)
        WORLD_COUNT(w, r->family, writes_by_path[r->path]);
    if (w->local && world_path_invalidates(w, rq)) local_on_commit(w, rq);
    return r->version;
}

void world_finish_read(world *w, uint32_t rq, uint32_t version, uint32_t copy) {
    request *r = &w->req[rq];
    sim_time now = w->sim.now;
    if (copy == ORACLE_SOURCE) copy = r->source;
    if (r->local_miss) local_fill(w, rq, version, copy);
    oracle_verdict v = oracle_read(w->oracle, r->key, r->client, r->invoked,
                                   now, version, copy);
    if (r->invoked >= w->sc->run.warmup) {
        if (copy == ORACLE_CACHE || local_is_copy(w->local, copy))
            WORLD_COUNT(w, r->family, reads_from_cache);
        sim_hist_add(&w->read_latency, now - r->invoked);
        if (w->nfam)
            sim_hist_add(&w->fam[r->family].read_latency, now - r->invoked);
    }
    if (w->tracer) {
        trace_rec t;
        memset(&t, 0, sizeof t);
        t.t = now;
        t.invoked = r->invoked;
        t.request = r->serial;
        t.key = r->key;
        t.client = r->client;
        t.version = version;
        t.op = TRACE_READ_DONE;
        t.from = copy == ORACLE_CACHE ? TRACE_FROM_CACHE : TRACE_FROM_SOURCE;
        t.from_kind = (uint8_t)oracle_copy_kind_of(w->oracle, copy);
        t.from_rank = oracle_copy_rank(w->oracle, copy);
        t.verdict = (uint8_t)v.kind;
        t.cause = (uint8_t)v.cause;
        t.ryw = (uint8_t)v.ryw_violation;
        t.lag = v.lag;
        t.age = v.age;
        w->tracer(w->tracer_ctx, &t);
    }
    release(w, rq);
}

uint32_t world_start_background(world *w, uint32_t key, uint32_t step) {
    if (w->nfree == 0 && grow_pool(w) != 0) {
        world_out_of_memory(w);
        return WORLD_NO_REQUEST;
    }
    uint32_t rq = w->free_slots[--w->nfree];
    request *r = &w->req[rq];
    memset(r, 0, sizeof *r);
    r->invoked = w->sim.now;
    r->del_effect_at = SIM_TIME_MAX;
    r->key = key;
    r->client = UINT32_MAX; /* nobody's */
    r->kind = WORKLOAD_READ;
    r->plan = ORACLE_PLAN_PENDING;
    r->family = (uint8_t)world_key_family(w, key);
    r->background = 1;
    r->instance = WORLD_NO_INSTANCE;
    r->source = ORACLE_SOURCE;
    r->serial = ++w->serial;
    w->fam[r->family].pattern->on_step(w, rq, step);
    return rq;
}

void world_finish_background(world *w, uint32_t rq) {
    SIM_CHECK(w->req[rq].background, "request %u is no background request",
              rq);
    release(w, rq);
}

void world_fail_read(world *w, uint32_t rq) {
    if (w->req[rq].invoked >= w->sc->run.warmup)
        WORLD_COUNT(w, w->req[rq].family, failed_reads);
    trace(w, TRACE_READ_FAILED, rq, w->req[rq].key, 0);
    release(w, rq);
}

void world_finish_write(world *w, uint32_t rq) {
    request *r = &w->req[rq];
    oracle_ack(w->oracle, r->client, r->key, r->version, w->sim.now);
    trace(w, TRACE_WRITE_DONE, rq, r->key, r->version);
    /* Sessions: with probability read_after_write the writer reads its key
     * back after read_after_write_delay, as an ordinary read (SESSIONS
     * stream, untouched when the feature is off). */
    double p = w->sc->workload.read_after_write;
    if (p > 0) {
        gsl_rng *s = sim_rng_stream(&w->rng, SIM_STREAM_SESSIONS);
        if (p >= 1 || gsl_rng_uniform(s) < p)
            sim_schedule(&w->sim,
                         sim_dist_sample(&w->sc->workload.read_after_write_delay,
                                         s),
                         WORLD_EV_READ_BACK, r->key, r->client);
    }
    release(w, rq);
}

void world_writer_crash(world *w, uint32_t rq) {
    request *r = &w->req[rq];
    if (w->sim.now >= w->sc->run.warmup)
        WORLD_COUNT(w, r->family, writer_crashes);
    oracle_invalidation_failed(w->oracle, r->key, r->version, w->sim.now);
    trace(w, TRACE_CRASH, rq, r->key, r->version);
    release(w, rq);
}

/* ---- the run ------------------------------------------------------------------- */

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The per-replication metrics from an oracle's and the world's counts (the
 * totals, or one family's share of them). */
void world_fill_metrics(const oracle_counts *oc, const world_counts *wc,
                         double span_s, double disagreement, double *m) {
    double reads = (double)oc->reads;
    memset(m, 0, WORLD_METRIC_COUNT * sizeof *m);
    /* stale_w is the count of stale reads unless importance sampling
     * weighted some (models/rare.h): the estimate at the true rates. */
    m[WORLD_METRIC_STALE_READ_FRACTION] = reads > 0 ? oc->stale_w / reads : 0;
    m[WORLD_METRIC_HIT_RATIO] = reads > 0 ? (double)wc->reads_from_cache / reads : 0;
    m[WORLD_METRIC_DB_READS_PER_S] = (double)wc->db_reads / span_s;
    m[WORLD_METRIC_DB_WRITES_PER_S] = (double)oc->commits / span_s;
    m[WORLD_METRIC_READS] = reads;
    m[WORLD_METRIC_WRITES] = (double)wc->writes;
    m[WORLD_METRIC_STALE_READS] = (double)oc->stale;
    m[WORLD_METRIC_CONCURRENT_READS] = (double)oc->concurrent;
    m[WORLD_METRIC_STALE_WINDOWS] = (double)oc->windows;
    m[WORLD_METRIC_CENSORED_WINDOWS] = (double)oc->censored_windows;
    m[WORLD_METRIC_INVALIDATIONS] = (double)wc->invalidations;
    m[WORLD_METRIC_INVALIDATIONS_FAILED] = (double)wc->invalidations_failed;
    m[WORLD_METRIC_INVALIDATIONS_TIMED_OUT] = (double)wc->invalidations_timed_out;
    m[WORLD_METRIC_WRITER_CRASHES] = (double)wc->writer_crashes;
    m[WORLD_METRIC_RYW_VIOLATIONS] = (double)oc->ryw_violations;
    m[WORLD_METRIC_LOST_WRITES] = (double)wc->lost_writes;
    m[WORLD_METRIC_CACHE_CRASHES] = (double)wc->cache_crashes;
    m[WORLD_METRIC_FAILED_READS] = (double)wc->failed_reads;
    m[WORLD_METRIC_EVICTIONS] = (double)wc->evictions;
    m[WORLD_METRIC_OOM_ERRORS] = (double)wc->oom_errors;
    m[WORLD_METRIC_LOCAL_HIT_RATIO] = reads > 0 ? (double)wc->local_hits / reads : 0;
    m[WORLD_METRIC_INSTANCE_DISAGREEMENT] = disagreement;
    m[WORLD_METRIC_OVER_MAX_STALENESS_FRACTION] =
        reads > 0 ? oc->over_bound_w / reads : 0;
    m[WORLD_METRIC_CACHE_OPS_PER_S] = (double)wc->cache_ops / span_s;
}

/* Family i's metrics, figures, causes and distributions into out. */
static void fill_family(const world *w, int i, double span_s,
                        world_result *out) {
    const oracle_family *of = oracle_get_family(w->oracle, i);
    const world_counts *wc = &w->fam[i].counts;
    /* Instance disagreement is sampled over all keys: world-wide. */
    world_fill_metrics(&of->counts, wc, span_s, local_disagreement(w->local),
                 out->family_metric[i]);
    double *f = out->family_figure[i];
    f[WORLD_FIGURE_HITS] = (double)wc->reads_from_cache;
    f[WORLD_FIGURE_MISSES] = (double)(of->counts.reads - wc->reads_from_cache);
    f[WORLD_FIGURE_BYPASS_READS] = (double)wc->bypass_reads;
    f[WORLD_FIGURE_INVALIDATIONS_SUCCEEDED] =
        (double)(wc->invalidations - wc->invalidations_failed);
    f[WORLD_FIGURE_FALLBACK_DB_READS] = (double)wc->fallback_reads;
    memcpy(out->family_causes[i], of->counts.stale_by_cause,
           sizeof out->family_causes[i]);
    memcpy(out->family_over_causes[i], of->counts.over_bound_by_cause,
           sizeof out->family_over_causes[i]);
    out->family_dist[i][WORLD_FDIST_STALE_AGE] = of->stale_age;
    out->family_dist[i][WORLD_FDIST_STALE_WINDOW] = of->stale_window;
    out->family_dist[i][WORLD_FDIST_INVALIDATION_LAG] = w->fam[i].invalidation_lag;
    out->family_dist[i][WORLD_FDIST_READ_LATENCY] = w->fam[i].read_latency;
    out->family_dist[i][WORLD_FDIST_DURABILITY_LAG] = w->fam[i].durability_lag;
    out->family_dist[i][WORLD_FDIST_CONVERGENCE] = of->convergence;
    out->family_dist[i][WORLD_FDIST_VALUE_AGE] = of->value_age;
}

int world_run(world *w, world_result *out) {
    double t0 = wall_now();
    schedule_arrival(w);
    if (w->local) local_start(w);
    for (size_t i = 0; i < pattern_count(); i++)
        if (w->pstate[i] && pattern_at(i)->start)
            pattern_at(i)->start(w, w->pstate[i]);
    if (w->sc->cache.outage_rate > 0 && !w->own_failures) cache_outage(w, 0);
    sim_time end = w->sc->run.duration;
    int rc = sim_run(&w->sim, end, dispatch, w);
    if (rc != 0 || w->sim.failed || oracle_failed(w->oracle)) return -1;
    if (w->sim.now < end) end = w->sim.now; /* stopped early (world_stop) */
    oracle_finish(w->oracle, end);

    const oracle_counts *oc = oracle_get_counts(w->oracle);
    double span_s = end > w->sc->run.warmup
                        ? sim_time_to_s(end - w->sc->run.warmup)
                        : 1e-9;
    double disagreement = local_disagreement(w->local);
    world_fill_metrics(oc, &w->counts, span_s, disagreement, out->metric);

    out->dist[WORLD_DIST_STALE_AGE] = *oracle_stale_age(w->oracle);
    out->dist[WORLD_DIST_STALE_WINDOW] = *oracle_stale_window(w->oracle);
    out->dist[WORLD_DIST_INVALIDATION_LAG] = w->invalidation_lag;
    out->dist[WORLD_DIST_READ_LATENCY] = w->read_latency;
    out->dist[WORLD_DIST_DURABILITY_LAG] = w->durability_lag;
    out->dist[WORLD_DIST_CONVERGENCE] = *oracle_convergence(w->oracle);
    out->dist[WORLD_DIST_VALUE_AGE] = *oracle_value_age(w->oracle);
    memcpy(out->stale_by_path, oc->stale_by_path, sizeof out->stale_by_path);
    memcpy(out->writes_by_path, w->counts.writes_by_path,
           sizeof out->writes_by_path);
    memcpy(out->stale_by_cause, oc->stale_by_cause,
           sizeof out->stale_by_cause);
    memcpy(out->over_bound_by_cause, oc->over_bound_by_cause,
           sizeof out->over_bound_by_cause);
    out->nfamilies = w->nfam;
    for (int i = 0; i < w->nfam; i++) {
        snprintf(out->family_name[i], sizeof out->family_name[i], "%s",
                 w->sc->families.family[i].name);
        fill_family(w, i, span_s, out);
    }
    out->rare_stale_w = oc->stale_w;
    out->rare_stale_w2 = oc->stale_w2;
    out->rare_weighted = oc->weighted_stale;
    out->rare_overlap_stale = oc->overlap_stale;
    out->rare_faults = oc->fault_marks;
    out->rare_overlaps = oc->overlaps;
    out->events = w->sim.events;
    out->wall_s = wall_now() - t0;
    return 0;
}

