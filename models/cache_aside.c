/* Cache-aside, and ttl-only as cache-aside whose writes never invalidate.
 *
 * Read:  GET; on a hit return the cached version.  On a miss read the DB,
 *        SET what was read (a fill, TTL from the SET's effect) and return the
 *        DB's version once the SET has answered (the caller awaits it, as in
 *        the seed article's code).  A failed SET leaves nothing behind.
 * Write, by [cache] invalidation:
 *   delete-after-write  commit to the DB, then DEL the key;
 *   delete-before-write DEL the key, then commit;
 *   update-after-write  commit, then SET the committed version;
 *   none                commit only (what ttl-only always does).
 * The write is acknowledged when its last step answers, whether or not the
 * invalidation succeeded (the commit did).  A writer that crashes after its
 * commit (crash_after_commit, only where an invalidation was still to come)
 * neither invalidates nor acknowledges.  A DEL that times out resumes its
 * caller after `timeout`; whether it still lands is the fault draw's say. */
#include "models/pattern.h"
#include "models/world.h"

enum step {
    R_GET,          /* GET took effect */
    R_HIT_DONE,     /* hit answered */
    R_MISS,         /* miss answered: issue the DB read */
    R_DB,           /* DB read took effect */
    R_FILL,         /* DB read answered: issue the SET */
    R_SET,          /* fill SET took effect */
    R_SET_FAILED,   /* fill SET errored */
    R_FILLED,       /* SET answered: return the value */
    W_COMMIT,       /* DB write took effect */
    W_INVALIDATE,   /* commit answered: invalidate after the write */
    W_DEL,          /* DEL took effect */
    W_DEL_FAILED,   /* DEL errored */
    W_DEL_LOST,     /* DEL timed out and never lands */
    W_UPD,          /* update-SET took effect */
    W_UPD_FAILED,   /* update-SET errored */
    W_DONE,         /* last answer: acknowledge */
    B_DEL,          /* delete-before-write: DEL took effect */
    B_DEL_FAILED,   /* ... DEL errored */
    B_DEL_LOST,     /* ... DEL timed out and never lands */
    B_WRITE         /* ... DEL answered (or timed out): issue the DB write */
};

static int never_invalidates(const world *w) {
    return w->pattern == &pattern_ttl_only ||
           w->sc->cache.invalidation == INVALIDATION_NONE;
}

static void on_read(world *w, uint32_t rq) {
    world_after(w, world_latency(w, &w->sc->cache.get_latency), rq, R_GET);
}

/* Issues a DEL for the write rq: effect step `ok_step` / `fail_step` after
 * the DEL latency, or a timeout that resumes at `timeout_step`. */
static void issue_del(world *w, uint32_t rq, uint32_t ok_step,
                      uint32_t fail_step, uint32_t lost_step,
                      uint32_t applied_step, uint32_t version) {
    request *r = world_req(w, rq);
    world_invalidation_issued(w);
    sim_time lat = world_latency(w, &w->sc->cache.del_latency);
    switch (faults_del(w->sc, &w->rng)) {
    case FAULT_OK:
        world_after(w, lat, rq, ok_step);
        break;
    case FAULT_FAIL:
        world_after(w, lat, rq, fail_step);
        break;
    case FAULT_TIMEOUT_APPLIED:
        world_cache_del_timeout(w, rq, version, 1);
        world_cache_invalidate_late(w, rq, version, lat);
        r->del_effect_at = world_now(w) + lat;
        world_after(w, w->sc->cache.timeout, rq, applied_step);
        break;
    case FAULT_TIMEOUT_LOST:
        world_after(w, w->sc->cache.timeout, rq, lost_step);
        break;
    }
}

static void on_write(world *w, uint32_t rq) {
    if (!never_invalidates(w) && world_path_invalidates(w, rq) &&
        w->sc->cache.invalidation == INVALIDATION_DELETE_BEFORE_WRITE)
        issue_del(w, rq, B_DEL, B_DEL_FAILED, B_DEL_LOST, B_WRITE, 0);
    else
        world_after(w, world_latency(w, &w->sc->db.write_latency), rq,
                    W_COMMIT);
}

static void commit(world *w, uint32_t rq) {
    request *r = world_req(w, rq);
    const scenario *sc = w->sc;
    if (never_invalidates(w)) {
        world_db_commit(w, rq, PLAN_NONE_PATTERN);
        world_respond(w, rq, W_DONE);
        return;
    }
    if (sc->cache.invalidation == INVALIDATION_DELETE_BEFORE_WRITE) {
        oracle_plan plan = (oracle_plan)r->plan;
        if (r->del_effect_at != SIM_TIME_MAX) /* a timed-out DEL that lands */
            plan = r->del_effect_at <= world_now(w) ? PLAN_DONE_BEFORE
                                                    : PLAN_PENDING;
        world_db_commit(w, rq, plan);
        world_respond(w, rq, W_DONE);
        return;
    }
    world_db_commit(w, rq, PLAN_PENDING);
    if (!world_path_invalidates(w, rq)) { /* a path that forgets */
        world_respond(w, rq, W_DONE);
        return;
    }
    if (faults_crash_after_commit(sc, &w->rng)) {
        world_writer_crash(w, rq);
        return;
    }
    world_respond(w, rq, W_INVALIDATE);
}

static void invalidate_after(world *w, uint32_t rq) {
    request *r = world_req(w, rq);
    if (w->sc->cache.invalidation == INVALIDATION_UPDATE_AFTER_WRITE) {
        world_invalidation_issued(w);
        sim_time lat = world_latency(w, &w->sc->cache.set_latency);
        int ok = faults_set(w->sc, &w->rng) == FAULT_OK;
        world_after(w, lat, rq, ok ? W_UPD : W_UPD_FAILED);
        return;
    }
    issue_del(w, rq, W_DEL, W_DEL_FAILED, W_DEL_LOST, W_DONE, r->version);
}

static void on_step(world *w, uint32_t rq, uint32_t step) {
    request *r = world_req(w, rq);
    const scenario *sc = w->sc;
    uint32_t v;
    switch ((enum step)step) {
    case R_GET:
        if (world_cache_get(w, rq, &v)) {
            r->version = v;
            world_respond(w, rq, R_HIT_DONE);
        } else {
            world_respond(w, rq, R_MISS);
        }
        break;
    case R_HIT_DONE:
        world_finish_read(w, rq, r->version, ORACLE_CACHE);
        break;
    case R_MISS:
        world_after(w, world_latency(w, &sc->db.read_latency), rq, R_DB);
        break;
    case R_DB:
        world_db_read(w, rq);
        world_respond(w, rq, R_FILL);
        break;
    case R_FILL: {
        sim_time lat = world_latency(w, &sc->cache.set_latency);
        int ok = faults_set(sc, &w->rng) == FAULT_OK;
        world_after(w, lat, rq, ok ? R_SET : R_SET_FAILED);
        break;
    }
    case R_SET:
        world_cache_fill(w, rq, 1);
        world_respond(w, rq, R_FILLED);
        break;
    case R_SET_FAILED:
        world_cache_fill(w, rq, 0);
        world_respond(w, rq, R_FILLED);
        break;
    case R_FILLED:
        world_finish_read(w, rq, r->version, ORACLE_SOURCE);
        break;
    case W_COMMIT:
        commit(w, rq);
        break;
    case W_INVALIDATE:
        invalidate_after(w, rq);
        break;
    case W_DEL:
        world_cache_invalidate(w, rq, r->version);
        world_respond(w, rq, W_DONE);
        break;
    case W_DEL_FAILED:
        world_cache_del_failed(w, rq, r->version);
        world_respond(w, rq, W_DONE);
        break;
    case W_DEL_LOST:
        world_cache_del_timeout(w, rq, r->version, 0);
        world_finish_write(w, rq);
        break;
    case W_UPD:
        world_cache_update(w, rq, 1);
        world_respond(w, rq, W_DONE);
        break;
    case W_UPD_FAILED:
        world_cache_update(w, rq, 0);
        world_respond(w, rq, W_DONE);
        break;
    case W_DONE:
        world_finish_write(w, rq);
        break;
    case B_DEL:
        world_cache_invalidate(w, rq, 0);
        r->plan = PLAN_DONE_BEFORE;
        world_respond(w, rq, B_WRITE);
        break;
    case B_DEL_FAILED:
        world_cache_del_failed(w, rq, 0);
        r->plan = PLAN_FAILED_BEFORE;
        world_respond(w, rq, B_WRITE);
        break;
    case B_DEL_LOST:
        world_cache_del_timeout(w, rq, 0, 0);
        r->plan = PLAN_FAILED_BEFORE;
        world_after(w, world_latency(w, &sc->db.write_latency), rq, W_COMMIT);
        break;
    case B_WRITE:
        world_after(w, world_latency(w, &sc->db.write_latency), rq, W_COMMIT);
        break;
    }
}

const pattern_ops pattern_cache_aside = {
    "cache-aside",
    "read: GET, on a miss read the DB and SET; write: commit and invalidate",
    on_read, on_write, on_step};

const pattern_ops pattern_ttl_only = {
    "ttl-only",
    "cache-aside reads; writes commit and never invalidate (TTL alone)",
    on_read, on_write, on_step};
