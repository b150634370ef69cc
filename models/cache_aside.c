/* The cache-aside family: cache-aside and ttl-only here, read-through and
 * write-through in their own files, all on the protocol below with the
 * [cache] mitigations and cache outages.
 *
 * Read:  GET; on a hit return the cached version.  On a miss read the DB,
 *        SET what was read (a fill, TTL from the SET's effect) and return the
 *        DB's version once the SET has answered (the caller awaits it, as in
 *        the seed article's code).  A failed SET leaves nothing behind.
 * Write, by [cache] invalidation (write-through always updates):
 *   delete-after-write  commit to the DB, then DEL the key;
 *   delete-before-write DEL the key, then commit;
 *   update-after-write  commit, then SET the committed version;
 *   none                commit only (what ttl-only always does).
 * The write is acknowledged when its last step answers, whether or not the
 * invalidation succeeded (the commit did).  A writer that crashes after its
 * commit (crash_after_commit, only where an invalidation was still to come)
 * neither invalidates nor acknowledges.  A DEL that times out resumes its
 * caller after `timeout`; whether it still lands is the fault draw's say.
 *
 * Mitigations ([cache] mitigations, combinable):
 *   lease          every miss takes a token (the key's lease generation,
 *                  models/store.h); a DEL, or a writer's update-SET, voids
 *                  the tokens issued before it; a fill whose token is void is
 *                  dropped (traced as a failed fill).  The client still
 *                  returns what it read.
 *   lease:herd=D   at most one outstanding token per key, for at most D; a
 *                  miss refused one waits lease_retry and GETs again.
 *   versioned-set  a SET (fill or update) stores only if the key has no live
 *                  entry or an older one; a refused update is traced as
 *                  update-failed but is no failed invalidation.
 *   double-delete:D  after the write's DEL (delete-after-write) or after its
 *                  commit (delete-before-write) the writer waits D and DELs
 *                  again, with its own fault draw; it is acknowledged after
 *                  that second DEL (the synchronous "delete, sleep, delete").
 *   retry-delete:N a DEL that errors or times out is retried up to N times,
 *                  after 10 ms, 20 ms, 40 ms, ...; a timed-out attempt that
 *                  still lands does land.
 *   outbox:DIST    the writer does not DEL: the invalidation commits with the
 *                  write and a relay DELs the key DIST after the commit,
 *                  never failing (DEL faults and writer crashes do not touch
 *                  it; its window is invalidation-lag).  Update-SETs
 *                  (write-through) still happen; the relay's DEL follows.
 * One write's DELs (retries, the second DEL) make one invalidation: counted
 * once, and failed (invalidations_failed, cause invalidation-failed) only if
 * none of them took or will take effect.  Intermediate failed attempts are
 * traced only.
 *
 * Cache outages (world.c): while the cache is down every cache operation
 * fails at once.  A read falls back to the DB, or ends with an error
 * (outage_fallback = fail); fills and update-SETs fail; DELs fail (and may
 * be retried).  An operation in flight when the outage starts fails when it
 * reaches the server. */
#include "models/cache_aside.h"

#include <string.h>

#include "models/pattern.h"
#include "models/world.h"

enum step {
    R_GET,        /* GET took effect */
    R_HIT_DONE,   /* hit answered */
    R_WAIT,       /* herd: the miss got no lease; wait, then GET again */
    R_MISS,       /* (token) miss answered: issue the DB read */
    R_DB,         /* (token) DB read took effect */
    R_FILL,       /* (token) DB read answered: issue the SET */
    R_SET,        /* (token) fill SET reached the server */
    R_SET_FAILED, /* fill SET errored */
    R_FILLED,     /* SET answered: return the DB's version */
    R_FALLBACK,   /* cache down: the fallback DB read took effect */
    W_COMMIT,     /* DB write took effect */
    W_INVALIDATE, /* commit answered: what follows the commit */
    W_UPD,        /* update-SET reached the server */
    W_UPD_FAILED, /* update-SET errored */
    W_DONE,       /* last answer: acknowledge */
    D_ISSUE,      /* (del) issue a DEL attempt */
    D_OK,         /* (del) the DEL reached the server */
    D_FAILED,     /* (del) the DEL errored */
    D_GAVE_UP,    /* (del) the caller's timeout expired */
    D_NEXT,       /* (del) the attempt is over: retry, DEL again, or go on */
    STEP_COUNT
};
_Static_assert(STEP_COUNT <= CACHE_STEP_PRIVATE, "family steps overflow");

/* The argument of a D_* step. */
#define DEL_ATTEMPT(arg) ((arg) & 0xffu) /* 0: first try, then retries */
#define DEL_SECOND 0x100u                /* the double-delete's second DEL */
#define DEL_LANDS 0x200u                 /* timed out, but lands late */
#define DEL_OK 0x400u                    /* took effect */

#define RETRY_BACKOFF (10 * SIM_MS) /* before the first retry; doubles */

static const scenario_mitigations *mitigations(const world *w, uint32_t rq) {
    return &world_rsc(w, rq)->cache.mitigations;
}

/* How the variant's writes reach the cache. */
static scenario_invalidation write_mode(const world *w,
                                        const cache_variant *v, uint32_t rq) {
    if (v->never_invalidates) return SCENARIO_INVALIDATION_NONE;
    if (v->write_updates) return SCENARIO_INVALIDATION_UPDATE_AFTER_WRITE;
    return world_rsc(w, rq)->cache.invalidation;
}

static void out_of_memory(world *w) {
    w->sim.failed = 1;
    world_stop(w);
}

/* Traces a step that the world's helpers would count as a failed
 * invalidation but that is none (yet): a DEL attempt another attempt may
 * still make good, an update-SET refused as older than the entry, an
 * update-SET the outbox makes good. */
static void trace_only(world *w, uint32_t rq, trace_op op) {
    if (!w->tracer) return;
    const request *r = world_req(w, rq);
    trace_rec t;
    memset(&t, 0, sizeof t);
    t.t = world_now(w);
    t.invoked = r->invoked;
    t.request = r->serial;
    t.key = r->key;
    t.client = r->client;
    t.version = r->version;
    t.op = (uint8_t)op;
    t.is_write = r->kind == WORKLOAD_WRITE;
    w->tracer(w->tracer_ctx, &t);
}

/* 1 if the cache holds a live entry of key at `version` or newer. */
static int holds_at_least(const world *w, uint32_t key, uint32_t version) {
    uint32_t have;
    return store_peek(w->cache, key, world_now(w), &have, NULL) &&
           have >= version;
}

/* ---- reads ------------------------------------------------------------------- */

/* The cache cannot answer: read the DB, or fail (outage_fallback). */
static void fallback(world *w, uint32_t rq) {
    if (world_rsc(w, rq)->cache.outage_fallback == SCENARIO_FALLBACK_FAIL) {
        /* --rare: without the outage the read would have filled the key. */
        world_outage_fill_lost(w, rq, db_read(w->db, world_req(w, rq)->key));
        world_fail_read(w, rq);
        return;
    }
    world_fallback_read(w, rq);
    world_after(w, world_latency(w, &world_rsc(w, rq)->db.read_latency), rq,
                    R_FALLBACK);
}

/* Issues the GET `wait` ns from now (fails at once while the cache is down). */
static void issue_get(world *w, uint32_t rq, sim_time wait) {
    if (w->cache_down) {
        fallback(w, rq);
        return;
    }
    world_after(w, wait + world_latency(w, &world_rsc(w, rq)->cache.get_latency), rq,
                R_GET);
}

void cache_family_read(world *w, const cache_variant *v, uint32_t rq) {
    (void)v;
    issue_get(w, rq, 0);
}

/* The GET missed at the server: join a load in flight, take a lease, or
 * start loading. */
static void miss(world *w, const cache_variant *v, uint32_t rq) {
    const scenario_mitigations *m = mitigations(w, rq);
    if (v->join_load) {
        int joined = v->join_load(w, rq);
        if (joined < 0) {
            out_of_memory(w);
            return;
        }
        if (joined) return;
    }
    uint32_t token = 0;
    if (m->lease) {
        int got = store_lease_issue(w->cache, world_req(w, rq)->key,
                                    world_now(w), m->lease_herd, &token);
        if (got < 0) {
            out_of_memory(w);
            return;
        }
        if (got == 0) {
            world_respond(w, rq, R_WAIT);
            return;
        }
    }
    if (v->start_load && v->start_load(w, rq) < 0) {
        out_of_memory(w);
        return;
    }
    world_respond(w, rq, CACHE_STEP(R_MISS, token));
}

static void fill_failed(world *w, const cache_variant *v, uint32_t rq) {
    if (w->cache_down) /* --rare: it would have stored */
        world_outage_fill_lost(w, rq, world_req(w, rq)->version);
    world_cache_fill(w, rq, 0);
    if (v->end_load) v->end_load(w, rq, 0);
    world_respond(w, rq, R_FILLED);
}

static void issue_fill(world *w, const cache_variant *v, uint32_t rq,
                       uint32_t token) {
    if (w->cache_down) {
        fill_failed(w, v, rq);
        return;
    }
    sim_time lat = world_latency(w, &world_rsc(w, rq)->cache.set_latency);
    int ok = faults_set(world_rsc(w, rq), &w->rng) == FAULT_OK;
    world_after(w, lat, rq, ok ? CACHE_STEP(R_SET, token) : R_SET_FAILED);
}

/* The fill SET reaches the server: it stores unless the cache is down, its
 * lease was voided, or (versioned-set) the entry is as new already. */
static void fill_lands(world *w, const cache_variant *v, uint32_t rq,
                       uint32_t token) {
    const scenario_mitigations *m = mitigations(w, rq);
    const request *r = world_req(w, rq);
    int ok = !w->cache_down;
    if (!ok) world_outage_fill_lost(w, rq, r->version); /* --rare */
    if (ok && m->lease) ok = store_lease_redeem(w->cache, r->key, token);
    if (ok && m->versioned_set) ok = !holds_at_least(w, r->key, r->version);
    ok = world_cache_fill(w, rq, ok);
    if (v->end_load) v->end_load(w, rq, ok);
    world_respond(w, rq, R_FILLED);
}

/* ---- writes: the DEL path ------------------------------------------------------ */

/* 1 if a DEL attempt that never takes effect is the write's failed
 * invalidation: no retry and no second DEL to come, and no earlier attempt
 * of this write that took or will take effect. */
static int last_chance(const world *w, uint32_t rq, const request *r,
                       uint32_t arg) {
    const scenario_mitigations *m = mitigations(w, rq);
    if (DEL_ATTEMPT(arg) < m->retry_delete) return 0;
    if (m->double_delete > 0 && !(arg & DEL_SECOND)) return 0;
    return r->del_effect_at == SIM_TIME_MAX;
}

/* A DEL attempt that will never take effect (`how`: an error or a lost
 * timeout).  Before the commit r->version is 0: no oracle fact, the commit's
 * plan carries it. */
static void attempt_lost(world *w, uint32_t rq, uint32_t arg,
                         fault_outcome how) {
    request *r = world_req(w, rq);
    if (!last_chance(w, rq, r, arg))
        trace_only(w, rq, how == FAULT_FAIL ? TRACE_DEL_FAILED
                                            : TRACE_DEL_TIMEOUT);
    else if (how == FAULT_FAIL)
        world_cache_del_failed(w, rq, r->version);
    else
        world_cache_del_timeout(w, rq, r->version, 0);
}

/* r->del_effect_at: the earliest effect, past or scheduled, of any of the
 * write's DELs (SIM_TIME_MAX: none yet). */
static void landed_at(request *r, sim_time t) {
    if (t < r->del_effect_at) r->del_effect_at = t;
}

static void del_next(world *w, uint32_t rq, uint32_t arg);

/* Issues DEL attempt `arg` for the write rq: the key's invalidation for its
 * commit r->version (0 before the commit). */
static void issue_del(world *w, uint32_t rq, uint32_t arg) {
    request *r = world_req(w, rq);
    if (w->cache_down) {
        world_outage_del_lost(w, rq); /* --rare: it would have landed */
        attempt_lost(w, rq, arg, FAULT_FAIL);
        del_next(w, rq, arg);
        return;
    }
    sim_time lat = world_latency(w, &world_rsc(w, rq)->cache.del_latency);
    /* Boosted under --rare (models/rare.h): after the commit a DEL that never
     * lands keeps the copy from the instant it would have; before it
     * (delete-before-write) every fault's ratio waits for the commit, which
     * marks what it finds (commit below). */
    double lr = 1;
    fault_outcome outcome = faults_del_lr(world_rsc(w, rq), &w->rng, &lr);
    if (r->version == 0)
        r->rare_lr *= lr;
    else if (outcome == FAULT_FAIL || outcome == FAULT_TIMEOUT_LOST)
        world_fault_mark(w, rq, ORACLE_CACHE, r->version, world_now(w) + lat,
                         lr);
    switch (outcome) {
    case FAULT_OK:
        world_after(w, lat, rq, CACHE_STEP(D_OK, arg));
        break;
    case FAULT_FAIL:
        world_after(w, lat, rq, CACHE_STEP(D_FAILED, arg));
        break;
    case FAULT_TIMEOUT_APPLIED:
        world_cache_del_timeout(w, rq, r->version, 1);
        world_cache_invalidate_late(w, rq, r->version, lat);
        landed_at(r, world_now(w) + lat);
        world_after(w, world_rsc(w, rq)->cache.timeout, rq,
                    CACHE_STEP(D_GAVE_UP, arg | DEL_LANDS));
        break;
    case FAULT_TIMEOUT_LOST:
        world_after(w, world_rsc(w, rq)->cache.timeout, rq, CACHE_STEP(D_GAVE_UP, arg));
        break;
    }
}

/* A DEL attempt is over for its caller. */
static void del_next(world *w, uint32_t rq, uint32_t arg) {
    const scenario_mitigations *m = mitigations(w, rq);
    uint32_t attempt = DEL_ATTEMPT(arg);
    if (!(arg & DEL_OK) && attempt < m->retry_delete) {
        sim_time backoff = RETRY_BACKOFF << (attempt < 30 ? attempt : 30);
        world_after(w, backoff, rq,
                    CACHE_STEP(D_ISSUE, (arg & DEL_SECOND) | (attempt + 1)));
        return;
    }
    if (world_req(w, rq)->version == 0) { /* delete-before-write: commit now */
        world_after(w, world_latency(w, &world_rsc(w, rq)->db.write_latency), rq,
                    W_COMMIT);
        return;
    }
    if (m->double_delete > 0 && !(arg & DEL_SECOND)) {
        world_after(w, m->double_delete, rq, CACHE_STEP(D_ISSUE, DEL_SECOND));
        return;
    }
    world_finish_write(w, rq);
}

/* ---- writes: commit and what follows ----------------------------------------- */

void cache_family_write(world *w, const cache_variant *v, uint32_t rq) {
    if (write_mode(w, v, rq) == SCENARIO_INVALIDATION_DELETE_BEFORE_WRITE &&
        !mitigations(w, rq)->outbox && world_path_invalidates(w, rq)) {
        world_invalidation_issued(w, rq);
        issue_del(w, rq, 0);
    } else {
        world_after(w, world_latency(w, &world_rsc(w, rq)->db.write_latency), rq,
                    W_COMMIT);
    }
}

/* The DB write took effect. */
static void commit(world *w, const cache_variant *v, uint32_t rq) {
    request *r = world_req(w, rq);
    const scenario *sc = world_rsc(w, rq);
    const scenario_mitigations *m = mitigations(w, rq);
    scenario_invalidation mode = write_mode(w, v, rq);
    if (mode == SCENARIO_INVALIDATION_NONE) {
        world_db_commit(w, rq, ORACLE_PLAN_NONE_PATTERN);
        world_respond(w, rq, W_DONE);
        return;
    }
    int invalidates = world_path_invalidates(w, rq); /* else plan: none-path */
    if (m->outbox) {
        world_db_commit(w, rq, ORACLE_PLAN_PENDING);
        if (invalidates) {
            world_invalidation_issued(w, rq);
            world_cache_invalidate_late(w, rq, r->version,
                                        world_latency(w, &m->outbox_lag));
        }
        world_respond(w, rq,
                      invalidates && mode == SCENARIO_INVALIDATION_UPDATE_AFTER_WRITE
                          ? W_INVALIDATE
                          : W_DONE);
        return;
    }
    oracle_plan plan = ORACLE_PLAN_PENDING;
    int more = invalidates;
    if (mode == SCENARIO_INVALIDATION_DELETE_BEFORE_WRITE && invalidates) {
        /* What the DEL(s) before the commit did; a second DEL (double-delete)
         * still to come keeps the invalidation pending. */
        if (r->del_effect_at <= world_now(w))
            plan = ORACLE_PLAN_DONE_BEFORE;
        else if (r->del_effect_at == SIM_TIME_MAX && m->double_delete == 0)
            plan = ORACLE_PLAN_FAILED_BEFORE;
        more = m->double_delete > 0;
    }
    world_db_commit(w, rq, plan);
    /* A boosted fault of a DEL before this commit (--rare) left the copy in
     * place, or delayed the commit behind a retry or a time-out (a longer
     * race for a stale fill): what the cache holds from the commit on is
     * weighed by its ratios. */
    if (r->rare_lr != 1)
        world_fault_mark(w, rq, ORACLE_CACHE, r->version, world_now(w),
                         r->rare_lr);
    if (!more) {
        world_respond(w, rq, W_DONE);
        return;
    }
    double lr = 1;
    if (faults_crash_after_commit_lr(sc, &w->rng, &lr)) {
        world_fault_mark(w, rq, ORACLE_CACHE, r->version, world_now(w), lr);
        world_writer_crash(w, rq);
        return;
    }
    world_respond(w, rq, W_INVALIDATE);
}

static void update_failed(world *w, uint32_t rq) {
    if (w->cache_down) world_outage_update_lost(w, rq); /* --rare */
    if (mitigations(w, rq)->outbox)
        trace_only(w, rq, TRACE_UPDATE_FAILED); /* the relay's DEL follows */
    else
        world_cache_update(w, rq, 0);
    world_respond_op(w, rq, W_DONE, WORLD_OP_SET);
}

/* The commit answered: update-SET, the DEL after the write, or (delete-
 * before-write with double-delete) the second DEL. */
static void invalidate_after(world *w, const cache_variant *v, uint32_t rq) {
    const scenario_mitigations *m = mitigations(w, rq);
    switch (write_mode(w, v, rq)) {
    case SCENARIO_INVALIDATION_UPDATE_AFTER_WRITE: {
        if (!m->outbox) world_invalidation_issued(w, rq);
        if (w->cache_down) {
            update_failed(w, rq);
            return;
        }
        sim_time lat = world_latency(w, &world_rsc(w, rq)->cache.set_latency);
        double lr = 1;
        int ok = faults_set_lr(world_rsc(w, rq), &w->rng, &lr) == FAULT_OK;
        if (!ok)
            world_fault_mark(w, rq, ORACLE_CACHE, world_req(w, rq)->version,
                             world_now(w) + lat, lr);
        world_after(w, lat, rq, ok ? W_UPD : W_UPD_FAILED);
        break;
    }
    case SCENARIO_INVALIDATION_DELETE_BEFORE_WRITE:
        world_after(w, m->double_delete, rq, CACHE_STEP(D_ISSUE, DEL_SECOND));
        break;
    default:
        world_invalidation_issued(w, rq);
        issue_del(w, rq, 0);
        break;
    }
}

/* The update-SET reaches the server. */
static void update_lands(world *w, uint32_t rq) {
    const scenario_mitigations *m = mitigations(w, rq);
    const request *r = world_req(w, rq);
    if (w->cache_down) {
        update_failed(w, rq);
        return;
    }
    if (m->versioned_set && holds_at_least(w, r->key, r->version)) {
        trace_only(w, rq, TRACE_UPDATE_FAILED); /* refused: not newer */
    } else {
        if (m->lease) store_lease_void(w->cache, r->key);
        world_cache_update(w, rq, 1);
    }
    world_respond_op(w, rq, W_DONE, WORLD_OP_SET);
}

/* ---- steps ------------------------------------------------------------------- */

void cache_family_step(world *w, const cache_variant *v, uint32_t rq,
                       uint32_t step) {
    request *r = world_req(w, rq);
    uint32_t arg = CACHE_STEP_ARG(step), version;
    switch ((enum step)CACHE_STEP_BASE(step)) {
    case R_GET:
        if (w->cache_down) {
            fallback(w, rq);
        } else if (world_cache_get(w, rq, &version)) {
            r->version = version;
            world_respond(w, rq, R_HIT_DONE);
        } else {
            miss(w, v, rq);
        }
        break;
    case R_HIT_DONE:
        world_finish_read(w, rq, r->version, ORACLE_CACHE);
        break;
    case R_WAIT:
        issue_get(w, rq, world_rsc(w, rq)->cache.lease_retry);
        break;
    case R_MISS:
        world_after(w, world_latency(w, &world_rsc(w, rq)->db.read_latency), rq,
                    CACHE_STEP(R_DB, arg));
        break;
    case R_DB:
        world_db_read(w, rq);
        world_respond(w, rq, CACHE_STEP(R_FILL, arg));
        break;
    case R_FILL:
        issue_fill(w, v, rq, arg);
        break;
    case R_SET:
        fill_lands(w, v, rq, arg);
        break;
    case R_SET_FAILED:
        fill_failed(w, v, rq);
        break;
    case R_FILLED:
        world_finish_read(w, rq, r->version, ORACLE_SOURCE);
        break;
    case R_FALLBACK:
        world_db_read(w, rq);
        /* --rare: without the outage the read would have filled the key. */
        world_outage_fill_lost(w, rq, r->version);
        world_respond(w, rq, R_FILLED);
        break;
    case W_COMMIT:
        commit(w, v, rq);
        break;
    case W_INVALIDATE:
        invalidate_after(w, v, rq);
        break;
    case W_UPD:
        update_lands(w, rq);
        break;
    case W_UPD_FAILED:
        update_failed(w, rq);
        break;
    case W_DONE:
        world_finish_write(w, rq);
        break;
    case D_ISSUE:
        issue_del(w, rq, arg);
        break;
    case D_OK:
        if (w->cache_down) { /* the server went away: nothing deleted */
            world_outage_del_lost(w, rq); /* --rare: it would have landed */
            attempt_lost(w, rq, arg, FAULT_FAIL);
            world_respond_op(w, rq, CACHE_STEP(D_NEXT, arg), WORLD_OP_DEL);
            break;
        }
        world_cache_invalidate(w, rq, r->version);
        landed_at(r, world_now(w));
        world_respond(w, rq, CACHE_STEP(D_NEXT, arg | DEL_OK));
        break;
    case D_FAILED:
        attempt_lost(w, rq, arg, FAULT_FAIL);
        world_respond_op(w, rq, CACHE_STEP(D_NEXT, arg), WORLD_OP_DEL);
        break;
    case D_GAVE_UP:
        if (!(arg & DEL_LANDS)) attempt_lost(w, rq, arg, FAULT_TIMEOUT_LOST);
        del_next(w, rq, arg);
        break;
    case D_NEXT:
        del_next(w, rq, arg);
        break;
    default:
        SIM_CHECK(0, "cache-aside family: unknown step %u", step);
    }
}

/* ---- cache-aside and ttl-only ---------------------------------------------- */

static const cache_variant cache_aside = {0, 0, NULL, NULL, NULL};
static const cache_variant ttl_only = {1, 0, NULL, NULL, NULL};

extern const pattern_ops pattern_ttl_only;

static const cache_variant *variant(const world *w, uint32_t rq) {
    return world_rpattern(w, rq) == &pattern_ttl_only ? &ttl_only
                                                       : &cache_aside;
}

static void on_read(world *w, uint32_t rq) {
    cache_family_read(w, variant(w, rq), rq);
}

static void on_write(world *w, uint32_t rq) {
    cache_family_write(w, variant(w, rq), rq);
}

static void on_step(world *w, uint32_t rq, uint32_t step) {
    cache_family_step(w, variant(w, rq), rq, step);
}

const pattern_ops pattern_cache_aside = {
    .name = "cache-aside",
    .summary = "read: GET, on a miss read the DB and SET; write: commit and "
               "invalidate",
    .flags = PATTERN_FOLLOWS_INVALIDATION,
    .on_read = on_read,
    .on_write = on_write,
    .on_step = on_step,
};

const pattern_ops pattern_ttl_only = {
    .name = "ttl-only",
    .summary = "cache-aside reads; writes commit and never invalidate (TTL "
               "alone)",
    .on_read = on_read,
    .on_write = on_write,
    .on_step = on_step,
};
