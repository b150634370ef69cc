/* The effect helpers patterns call (models/world.h): every operation's effect
 * on the shared cache, the database and the oracle, kept in step, with its
 * counts and its trace record; and the ends of requests. */
#include "models/world.h"

#include <string.h>

#include <gsl/gsl_rng.h>

#include "models/local.h"
#include "models/refill_marks.h"
#include "models/world_internal.h"
#include "sim/check.h"
#include "sim/mt19937.h"

static void invalidation_result(world *w, uint32_t key, uint32_t version,
                                fault_outcome outcome);

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
void world_trace_copy(world *w, trace_op op, uint32_t rq, uint32_t key,
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

struct refill_marks *world_refill_marks(world *w, int diverged) {
    if (!w->refill) w->refill = refill_marks_create(w->sc->workload.keys,
                                                    diverged);
    return w->refill;
}

/* --rare (models/refill_marks.h): the ratio a read's GET leaves on it.  A
 * read a boosted outage diverged keeps that outage's (set when it started,
 * models/outage.c); otherwise a hit takes the ratio of the fill that stored
 * the copy superseded, a miss that of its key's crash marks. */
static void refill_get(world *w, request *r, int hit) {
    refill_marks *m = w->refill;
    if (r->rare_diverged) return;
    if (hit)
        r->rare_lr = m->copy_lr[r->key] > 0 ? m->copy_lr[r->key] : 1;
    else
        r->rare_lr = refill_marks_miss_lr(m, r->key);
}

void world_durable(world *w, uint32_t key, sim_time acked_at) {
    if (acked_at < w->sc->run.warmup) return;
    sim_hist_add(&w->durability_lag, w->sim.now - acked_at);
    if (w->nfam)
        sim_hist_add(&w->fam[w->key_family[key]].durability_lag,
                     w->sim.now - acked_at);
}

/* One more shared-cache operation `op` (a GET, SET or DEL) by rq, after
 * the warm-up: counted in cache_ops and in its own kind's count, so the
 * kinds always sum to cache_ops. */
static void count_cache_op(world *w, uint32_t rq, world_op op) {
    if (w->sim.now < w->sc->run.warmup) return;
    int f = w->req[rq].family;
    WORLD_COUNT(w, f, cache_ops);
    switch (op) {
    case WORLD_OP_GET:
        WORLD_COUNT(w, f, cache_gets);
        break;
    case WORLD_OP_SET:
        WORLD_COUNT(w, f, cache_sets);
        break;
    default:
        SIM_CHECK(op == WORLD_OP_DEL, "cache operation %d", (int)op);
        WORLD_COUNT(w, f, cache_dels);
        break;
    }
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
    count_cache_op(w, rq, WORLD_OP_GET);
    const scenario *sc = world_rsc(w, rq);
    if (hit && sc->cache.sliding_ttl && sc->cache.ttl > 0) {
        sim_time exp = now + sc->cache.ttl;
        store_touch(w->cache, key, exp);
        oracle_copy_set(w->oracle, key, ORACLE_CACHE, *version, now, exp,
                        ORACLE_SET_FILL);
    }
    world_trace(w, hit ? TRACE_HIT : TRACE_MISS, rq, key, hit ? *version : 0);
    if (w->refill) refill_get(w, &w->req[rq], hit);
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
        double u = sim_rng_uniform(sim_rng_stream(&w->rng, SIM_STREAM_MISC));
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
        world_trace(w, TRACE_SET_REFUSED, rq, key, version);
        return 0;
    }
    oracle_copy_fill_from(w->oracle, key, ORACLE_CACHE, version, now, exp, kind,
                          from);
    if (w->refill && kind != ORACLE_SET_FILL) refill_marks_replaced(w->refill, key);
    return 1;
}

int world_cache_fill(world *w, uint32_t rq, int ok) {
    request *r = &w->req[rq];
    r->last_op = WORLD_OP_SET;
    count_cache_op(w, rq, WORLD_OP_SET);
    if (ok && !cache_store(w, world_rsc(w, rq), rq, r->key, r->version,
                           ORACLE_SET_FILL, r->source))
        return 0; /* refused: traced as such */
    world_trace(w, ok ? TRACE_FILL : TRACE_FILL_FAILED, rq, r->key, r->version);
    if (ok && w->refill) /* --rare: the copy carries the fill's ratio */
        refill_marks_filled(w->refill, r->key, r->rare_lr,
                            r->version < oracle_latest(w->oracle, r->key));
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
    count_cache_op(w, rq, WORLD_OP_SET);
    if (ok && !cache_store(w, world_rsc(w, rq), rq, r->key, r->version,
                           ORACLE_SET_REFRESH, r->source))
        return; /* refused: traced as such */
    world_trace(w, ok ? TRACE_FILL : TRACE_FILL_FAILED, rq, r->key, r->version);
}

void world_cache_update(world *w, uint32_t rq, int ok) {
    request *r = &w->req[rq];
    r->last_op = WORLD_OP_SET;
    count_cache_op(w, rq, WORLD_OP_SET);
    if (ok && !cache_store(w, world_rsc(w, rq), rq, r->key, r->version,
                           ORACLE_SET_UPDATE, ORACLE_SOURCE)) {
        /* A full cache refused it: the old value stays, as after an error. */
        invalidation_result(w, r->key, r->version, FAULT_FAIL);
        return;
    }
    if (ok) {
        if (w->refill) refill_marks_aligned(w->refill, r->key);
        if (r->commit_at >= w->sc->run.warmup) {
            sim_hist_add(&w->invalidation_lag, w->sim.now - r->commit_at);
            if (w->nfam)
                sim_hist_add(&w->fam[r->family].invalidation_lag,
                             w->sim.now - r->commit_at);
        }
    }
    world_trace(w, ok ? TRACE_UPDATE : TRACE_UPDATE_FAILED, rq, r->key,
          r->version);
    if (!ok) invalidation_result(w, r->key, r->version, FAULT_FAIL);
}

/* A DEL of key takes effect now; `version` is the commit it invalidates
 * (0 when it precedes its commit), for the invalidation-lag distribution. */
void world_cache_delete_now(world *w, uint32_t key, uint32_t version) {
    sim_time now = w->sim.now;
    store_del(w->cache, key, now);
    oracle_copy_remove(w->oracle, key, ORACLE_CACHE, now);
    if (w->refill) refill_marks_aligned(w->refill, key);
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
    count_cache_op(w, rq, WORLD_OP_DEL);
    world_cache_delete_now(w, w->req[rq].key, version);
    world_trace(w, TRACE_DEL, rq, w->req[rq].key, version);
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
    count_cache_op(w, rq, WORLD_OP_DEL);
    world_trace(w, TRACE_DEL_FAILED, rq, key, version);
    invalidation_result(w, key, version, FAULT_FAIL);
}

void world_cache_del_timeout(world *w, uint32_t rq, uint32_t version,
                             int lands_later) {
    uint32_t key = w->req[rq].key;
    count_cache_op(w, rq, WORLD_OP_DEL);
    world_trace(w, TRACE_DEL_TIMEOUT, rq, key, version);
    invalidation_result(w, key, version,
                        lands_later ? FAULT_TIMEOUT_APPLIED
                                    : FAULT_TIMEOUT_LOST);
}

void world_fault_mark(world *w, uint32_t rq, uint32_t copy, uint32_t version,
                      sim_time at, double lr) {
    if (lr == 1 || version == 0) return;
    oracle_fault_mark(w->oracle, w->req[rq].key, copy, version, w->sim.now,
                      at, lr);
    /* The same fault would keep the copy an outage emptied. */
    if (copy == ORACLE_CACHE && w->outage_lr != 1)
        world_outage_fault(w, w->req[rq].key, lr);
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
        uint32_t i = (uint32_t)sim_rng_uniform_int(
            sim_rng_stream(&w->rng, SIM_STREAM_MISC), w->sc->db.replicas);
        r->version = replicas_read(w->replicas, i, r->key);
        r->source = w->replica_copy + i;
    } else {
        r->version = db_read(w->db, r->key);
        r->source = w->db_copy;
    }
    world_trace_copy(w, TRACE_DB_READ, rq, r->key, r->version, r->source);
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
    world_trace(w, TRACE_COMMIT, rq, r->key, r->version);
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
    count_cache_op(w, rq, WORLD_OP_SET);
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
    world_trace_copy(w, TRACE_COMMIT, rq, r->key, r->version, ORACLE_CACHE);
    /* --rare: the cache holds the latest again, the DB will get it. */
    if (w->refill) refill_marks_written(w->refill, r->key);
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
    double lr = r->kind == WORKLOAD_READ ? r->rare_lr : 1; /* --rare */
    oracle_verdict v = oracle_read_lr(w->oracle, r->key, r->client,
                                      r->invoked, now, version, copy, lr);
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
    world_pool_release(w, rq);
}

uint32_t world_start_background(world *w, uint32_t key, uint32_t step) {
    if (w->nfree == 0 && world_pool_grow(w) != 0) {
        world_out_of_memory(w);
        return WORLD_NO_REQUEST;
    }
    uint32_t rq = w->free_slots[--w->nfree];
    request *r = &w->req[rq];
    memset(r, 0, sizeof *r);
    r->invoked = w->sim.now;
    r->del_effect_at = SIM_TIME_MAX;
    r->rare_lr = 1;
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
    world_pool_release(w, rq);
}

void world_fail_read(world *w, uint32_t rq) {
    if (w->req[rq].invoked >= w->sc->run.warmup)
        WORLD_COUNT(w, w->req[rq].family, failed_reads);
    world_trace(w, TRACE_READ_FAILED, rq, w->req[rq].key, 0);
    world_pool_release(w, rq);
}

void world_finish_write(world *w, uint32_t rq) {
    request *r = &w->req[rq];
    oracle_ack(w->oracle, r->client, r->key, r->version, w->sim.now);
    world_trace(w, TRACE_WRITE_DONE, rq, r->key, r->version);
    /* Sessions: with probability read_after_write the writer reads its key
     * back after read_after_write_delay, as an ordinary read (SESSIONS
     * stream, untouched when the feature is off). */
    double p = w->sc->workload.read_after_write;
    if (p > 0) {
        gsl_rng *s = sim_rng_stream(&w->rng, SIM_STREAM_SESSIONS);
        if (p >= 1 || sim_rng_uniform(s) < p)
            sim_schedule(&w->sim,
                         sim_dist_sample(&w->sc->workload.read_after_write_delay,
                                         s),
                         WORLD_EV_READ_BACK, r->key, r->client);
    }
    world_pool_release(w, rq);
}

void world_writer_crash(world *w, uint32_t rq) {
    request *r = &w->req[rq];
    if (w->sim.now >= w->sc->run.warmup)
        WORLD_COUNT(w, r->family, writer_crashes);
    oracle_invalidation_failed(w->oracle, r->key, r->version, w->sim.now);
    world_trace(w, TRACE_CRASH, rq, r->key, r->version);
    world_pool_release(w, rq);
}
