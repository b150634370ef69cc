/* The world: its creation from a scenario, the request pool, event dispatch
 * and the run.  The effect helpers patterns call are in world_effects.c, the
 * names of the measures in measures.c. */
#include "models/world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "models/local.h"
#include "models/refill_marks.h"
#include "models/world_internal.h"
#include "sim/check.h"
#include "sim/mt19937.h"
#include "sim/ziggurat.h"

/* The scenario's limits must fit the oracle's (one place to raise them). */
_Static_assert(SCENARIO_MAX_PATHS <= ORACLE_MAX_PATHS,
               "raise ORACLE_MAX_PATHS with SCENARIO_MAX_PATHS");
_Static_assert(SCENARIO_MAX_FAMILIES <= ORACLE_MAX_FAMILIES,
               "raise ORACLE_MAX_FAMILIES with SCENARIO_MAX_FAMILIES");

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
    world_trace_copy(w, TRACE_EVICTED, WORLD_NO_REQUEST, key, version, ORACLE_CACHE);
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
    if (create_patterns(w) != 0 || world_outage_setup(w) != 0) {
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
    refill_marks_destroy(w->refill);
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

int world_pool_grow(world *w) {
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

/* ---- dispatch ---------------------------------------------------------------- */

static void schedule_arrival(world *w) {
    if (workload_next(w->load, &w->rng, w->sim.now, &w->next_op)) {
        /* One arrival is pending at a time: it waits in the lane. */
        sim_schedule_lane(&w->sim, w->next_op.at, WORLD_EV_ARRIVAL, 0, 0);
        /* The state of the keys the workload has just resolved (this
         * arrival's, or a batch of the next ones) is cold on a big key
         * space: fetch it all at once, so the misses overlap. */
        const uint32_t *keys;
        size_t n = workload_resolved(w->load, &keys);
        for (size_t i = 0; i < n; i++) {
            store_prefetch(w->cache, keys[i]);
            db_prefetch(w->db, keys[i]);
            oracle_prefetch(w->oracle, keys[i]);
        }
    }
}

/* Starts a request of `kind` on `key` by `client` now (a workload arrival or
 * a session's read-back) and hands it to the pattern. */
static void start_request(world *w, workload_kind kind, uint32_t key,
                          uint32_t client) {
    if (w->nfree == 0 && world_pool_grow(w) != 0) {
        w->sim.failed = 1;
        sim_stop(&w->sim);
        return;
    }
    uint32_t rq = w->free_slots[--w->nfree];
    request *r = &w->req[rq];
    r->invoked = w->sim.now;
    r->commit_at = 0;
    r->del_effect_at = SIM_TIME_MAX;
    r->rare_lr = 1;
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
    r->rare_diverged = 0;
    r->rare_ghost = 0;
    r->rare_ghost_w = 1;
    r->instance = WORLD_NO_INSTANCE;
    r->source = ORACLE_SOURCE;
    r->serial = ++w->serial;
    if (kind == WORKLOAD_WRITE && w->sc->paths.n > 0) {
        /* The write path, by share, from the MISC stream. */
        double u = sim_rng_uniform(sim_rng_stream(&w->rng, SIM_STREAM_MISC));
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
    world_trace(w, kind == WORKLOAD_READ ? TRACE_READ : TRACE_WRITE, rq, r->key, 0);
    const pattern_ops *p = w->fam[r->family].pattern;
    if (kind == WORKLOAD_READ) {
        if (bypass && w->sim.now >= w->sc->run.warmup)
            WORLD_COUNT(w, r->family, bypass_reads);
        if (w->local && !bypass && local_read(w, rq)) return; /* a hit */
        /* --rare (models/outage.c): a local hit is the outage's only when
         * its copy is (local_read); a read that reaches the shared cache
         * takes its key's mark. */
        if (w->outage_lr != 1) world_outage_read_start(w, rq);
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
        world_outage_event(w, ev->b != 0);
        break;
    case WORLD_EV_DEL_LATE:
        world_cache_delete_now(w, ev->a, (uint32_t)ev->b);
        world_trace(w, TRACE_DEL_LATE, WORLD_NO_REQUEST, ev->a, (uint32_t)ev->b);
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
            world_trace_copy(w, TRACE_REPLICA_APPLY, WORLD_NO_REQUEST, ev->a, v,
                             w->replica_copy + i);
        }
        break;
    }
    default:
        SIM_CHECK(0, "unknown event type %u", ev->type);
    }
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
    m[WORLD_METRIC_CACHE_GETS_PER_S] = (double)wc->cache_gets / span_s;
    m[WORLD_METRIC_CACHE_SETS_PER_S] = (double)wc->cache_sets / span_s;
    m[WORLD_METRIC_CACHE_DELS_PER_S] = (double)wc->cache_dels / span_s;
    m[WORLD_METRIC_EVICTIONS_PER_S] = (double)wc->evictions / span_s;
    m[WORLD_METRIC_BUS_PUBLISHED_PER_S] = (double)wc->bus_published / span_s;
    m[WORLD_METRIC_BUS_DELIVERED_PER_S] = (double)wc->bus_delivered / span_s;
    m[WORLD_METRIC_BUS_LOST_PER_S] = (double)wc->bus_lost / span_s;
    m[WORLD_METRIC_BUS_MISSED_PER_S] = (double)wc->bus_missed / span_s;
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
    if (w->sc->cache.outage_rate > 0 && !w->own_failures)
        world_outage_event(w, 0);
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
    out->rare_boost = w->sc->rare_boost > 0 ? w->sc->rare_boost : 0;
    out->events = w->sim.events;
    out->wall_s = wall_now() - t0;
    return 0;
}

