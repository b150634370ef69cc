/* The patterns' real protocols, one request at a time on a client thread.
 *
 * Each step mirrors models/cache_aside.c (the simulator's cache-aside
 * family), with real operations in place of scheduled effects:
 *
 * Read:  [get_latency] GET (with a lease mode: on a miss take or share the
 *        key's token) -> hit: answer.  Miss: (read-through: join the key's
 *        load in flight and answer with what it stored, or GET again if it
 *        stored nothing) [read_latency] SELECT; [set_latency] SET PX ttl
 *        (lease: only while the token is the key's; versioned-set: only over
 *        an older entry); answer what the SELECT returned.  A herd lease
 *        refused: wait lease_retry and GET again.
 * Write: by [cache] invalidation (write-through always updates, ttl-only
 *        never invalidates):
 *   delete-after-write   [write_latency] UPDATE; DEL
 *   delete-before-write  DEL; [write_latency] UPDATE
 *   update-after-write   [write_latency] UPDATE; [set_latency] SET (an
 *                        update also voids lease tokens)
 *   double-delete:D      after the write's DEL (or after the commit when
 *                        deleting before), sleep D and DEL again;
 *   retry-delete:N       a DEL that errors or times out is tried again
 *                        after 10 ms, 20 ms, 40 ms, ...
 * Faults, drawn per operation from the thread's own FAULTS stream
 * (models/faults.c): a failing DEL or SET is not sent (the caller sees its
 * error after the operation's scenario latency); a timed-out DEL makes the
 * caller wait `timeout`, and is sent after its latency by whichever thread
 * is free (it lands late) or never; crash_after_commit ends the write after
 * its commit with no invalidation and no acknowledgement.
 * [x_latency] is a client-side sleep drawn from the scenario before sending
 * (none with --real-latency).  The response part is a sleep after each
 * reply: per operation ([cache] get_response, set_response, del_response,
 * [db] write_response) when the build has those keys and they are not 0,
 * else [cache] response_latency; the DB read's ([db] read_response) is
 * spent inside the SELECT by pg_sleep, after its snapshot.  Each operation's latency is measured from
 * before the first sleep to the server's effect instant and from there to
 * the reply. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulate/emu_internal.h"
#include "models/faults.h"

#define RETRY_BACKOFF (10 * SIM_MS) /* before the first DEL retry; doubles */
#define LEASE_LIFETIME_MS 10000     /* a shared lease token's lifetime */

sim_time emu_now(const emu_shared *sh) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec - sh->t0;
}

/* Sleeps until `t` ns from the replication's start (returns at once when it
 * has passed). */
static void sleep_until(const emu_shared *sh, sim_time t) {
    int64_t abs = sh->t0 + t;
    struct timespec ts = {abs / 1000000000LL, abs % 1000000000LL};
    while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static void sleep_for(const emu_shared *sh, sim_time d) {
    if (d > 0) sleep_until(sh, emu_now(sh) + d);
}

/* A scenario latency as a client-side sleep (none with --real-latency). */
static void pause_for(emu_worker *w, const sim_dist *d) {
    if (w->sh->opt->real_latency || sim_dist_is_zero(d)) return;
    sleep_for(w->sh, sim_dist_sample(d, sim_rng_stream(&w->rng,
                                                       SIM_STREAM_LATENCY)));
}

/* The response part of operation k: a client-side sleep after its reply. */
static const sim_dist *response_of(const emu_shared *sh, emu_op k) {
    /* An operation's own response key, else (when 0 or absent) the
     * scenario's response_latency, as the simulator reads them. */
    if (sh->split && !sim_dist_is_zero(&sh->response[k]))
        return &sh->response[k];
    return &sh->sc->cache.response_latency;
}

static void respond(emu_worker *w, emu_op k) {
    pause_for(w, response_of(w->sh, k));
}

static int fail(emu_worker *w) {
    w->failed = 1;
    pthread_mutex_lock(&w->sh->mu);
    w->sh->stop = 1;
    pthread_cond_broadcast(&w->sh->cv);
    pthread_mutex_unlock(&w->sh->mu);
    return -1;
}

int emu_fact_add(emu_worker *w, const emu_fact *f) {
    if (w->nfacts == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 4096;
        emu_fact *p = realloc(w->facts, cap * sizeof *p);
        if (!p) {
            snprintf(w->err, sizeof w->err, "out of memory for the history");
            return fail(w);
        }
        w->facts = p;
        w->cap = cap;
    }
    w->facts[w->nfacts++] = *f;
    return 0;
}

static int fact(emu_worker *w, emu_fact_type type, sim_time t, sim_time t2,
                const workload_op *op, uint64_t serial, uint32_t version,
                uint8_t arg) {
    emu_fact f = {t, t2, serial, op->key, version, op->client, (uint8_t)type,
                  arg};
    return emu_fact_add(w, &f);
}

static void push_sample(emu_samples *s, sim_time v) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        sim_time *p = realloc(s->v, cap * sizeof *p);
        if (!p) return; /* a missing latency sample costs only precision */
        s->v = p;
        s->cap = cap;
    }
    s->v[s->n++] = v < 0 ? 0 : v;
}

/* Records one operation's two latency parts (server effect `effect_abs` in
 * epoch ns), after the warm-up only. */
static void measured(emu_worker *w, emu_op k, sim_time issued,
                     int64_t effect_abs, sim_time replied) {
    sim_time effect = effect_abs - w->sh->t0;
    if (issued < w->sh->sc->run.warmup) return;
    /* Every GET, SET and DEL that reached Redis (cache_ops_per_s), and
     * each kind apart (cache_gets_per_s, cache_sets_per_s, cache_dels_per_s). */
    if (k == EMU_GET || k == EMU_SET || k == EMU_DEL) w->counts.cache_ops++;
    w->counts.cache_gets += k == EMU_GET;
    w->counts.cache_sets += k == EMU_SET;
    w->counts.cache_dels += k == EMU_DEL;
    /* Clocks read on both sides: clamp the effect into [issued, replied]. */
    if (effect < issued) effect = issued;
    if (effect > replied) effect = replied;
    push_sample(&w->samples[k][0], effect - issued);
    push_sample(&w->samples[k][1], replied - effect);
}

static int after_warmup(const emu_worker *w, sim_time t) {
    return t >= w->sh->sc->run.warmup;
}

static sim_time ttl_px(emu_worker *w, sim_time *ttl_ns) {
    const scenario *sc = w->sh->sc;
    sim_time ttl = sc->cache.ttl;
    if (ttl > 0 && sc->cache.ttl_jitter > 0) {
        double u = gsl_rng_uniform(sim_rng_stream(&w->rng, SIM_STREAM_MISC));
        ttl = (sim_time)((double)ttl * (1 + sc->cache.ttl_jitter * (2 * u - 1)));
    }
    if (ttl <= 0) {
        *ttl_ns = 0;
        return 0;
    }
    sim_time px = (ttl + SIM_MS / 2) / SIM_MS;
    if (px < 1) px = 1;
    *ttl_ns = px * SIM_MS;
    return px;
}

/* ---- reads ---------------------------------------------------------------------- */

static emu_lease_mode lease_mode(const scenario *sc) {
    if (!sc->cache.mitigations.lease) return LEASE_NONE;
    return sc->cache.mitigations.lease_herd > 0 ? LEASE_HERD : LEASE_SHARE;
}

/* Read-through: 1 if a load of the key is in flight (then waits for it and
 * sets *filled, *version), 0 if this read now loads the key. */
static int join_load(emu_worker *w, uint32_t key, int *filled,
                     uint32_t *version) {
    emu_shared *sh = w->sh;
    pthread_mutex_lock(&sh->mu);
    emu_load *l = &sh->loads[key];
    if (!l->running) {
        l->running = 1;
        l->gen++;
        pthread_mutex_unlock(&sh->mu);
        return 0;
    }
    uint32_t gen = l->gen;
    while (l->running && l->gen == gen && !sh->stop)
        pthread_cond_wait(&sh->cv, &sh->mu);
    *filled = l->running ? 0 : (int)l->filled;
    *version = l->version;
    if (l->gen != gen) *filled = 0; /* a newer load: GET again */
    pthread_mutex_unlock(&sh->mu);
    return 1;
}

static void end_load(emu_worker *w, uint32_t key, int filled,
                     uint32_t version) {
    emu_shared *sh = w->sh;
    pthread_mutex_lock(&sh->mu);
    sh->loads[key].running = 0;
    sh->loads[key].filled = (uint32_t)filled;
    sh->loads[key].version = version;
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
}

static void serve_read(emu_worker *w, const workload_op *op, uint64_t serial) {
    emu_shared *sh = w->sh;
    const scenario *sc = sh->sc;
    int read_through = strcmp(sc->cache.pattern, "read-through") == 0;
    emu_lease_mode lease = lease_mode(sc);
    int64_t lease_px = lease == LEASE_HERD
                           ? (sc->cache.mitigations.lease_herd + SIM_MS - 1) / SIM_MS
                           : LEASE_LIFETIME_MS;
    char mine[EMU_TOKEN_LEN], token[EMU_TOKEN_LEN];
    snprintf(mine, sizeof mine, "%u.%" PRIu64, w->index, ++w->tokens);
    sim_time s = emu_now(sh);
    int hit;
    uint32_t version;
    int64_t effect;
    for (;;) {
        if (sh->stop) return;
        sim_time issued = emu_now(sh);
        pause_for(w, &sc->cache.get_latency);
        if (emu_cache_get(w->conn, op->key, lease, mine, lease_px, &hit,
                          &version, token, &effect, w->err,
                          sizeof w->err) != 0) {
            fail(w);
            return;
        }
        measured(w, EMU_GET, issued, effect, emu_now(sh));
        respond(w, EMU_GET);
        if (hit) {
            fact(w, FACT_READ, emu_now(sh), s, op, serial, version, 1);
            return;
        }
        if (lease == LEASE_HERD && !token[0]) {
            sleep_for(sh, sc->cache.lease_retry);
            continue;
        }
        int filled = 0;
        if (read_through && join_load(w, op->key, &filled, &version)) {
            if (filled) {
                fact(w, FACT_READ, emu_now(sh), s, op, serial, version, 1);
                return;
            }
            continue;
        }
        break;
    }
    /* The miss: read the DB and fill. */
    sim_time issued = emu_now(sh);
    pause_for(w, &sc->db.read_latency);
    /* [db] read_response is spent inside the query (pg_sleep after the
     * snapshot), as a slow result set would be. */
    const sim_dist *rd = response_of(sh, EMU_DB_READ);
    sim_time in_query =
        sh->opt->real_latency || sim_dist_is_zero(rd)
            ? 0
            : sim_dist_sample(rd, sim_rng_stream(&w->rng, SIM_STREAM_LATENCY));
    if (emu_db_read(w->conn, op->key, in_query, &version, &effect, w->err,
                    sizeof w->err) != 0) {
        fail(w);
        return;
    }
    measured(w, EMU_DB_READ, issued, effect, emu_now(sh));
    fact(w, FACT_DB_READ, effect - sh->t0, s, op, serial, version, 0);
    int stored = 0;
    issued = emu_now(sh);
    pause_for(w, &sc->cache.set_latency);
    if (faults_set(sc, &w->rng) == FAULT_OK) {
        sim_time ttl_ns, px = ttl_px(w, &ttl_ns);
        if (emu_cache_set(w->conn, op->key, version, px,
                          lease != LEASE_NONE ? token : NULL,
                          sc->cache.mitigations.versioned_set, 0, &stored,
                          &effect, w->err, sizeof w->err) != 0) {
            if (read_through) end_load(w, op->key, 0, version);
            fail(w);
            return;
        }
        measured(w, EMU_SET, issued, effect, emu_now(sh));
        if (stored)
            fact(w, FACT_SET, effect - sh->t0,
                 ttl_ns ? effect - sh->t0 + ttl_ns : SIM_TIME_MAX, op, serial,
                 version, ORACLE_SET_FILL);
        respond(w, EMU_SET);
    }
    if (read_through) end_load(w, op->key, stored, version);
    fact(w, FACT_READ, emu_now(sh), s, op, serial, version, 0);
}

/* ---- writes -------------------------------------------------------------------- */

/* One DEL that reaches Redis now (after its scenario latency). */
static int send_del(emu_worker *w, const workload_op *op, uint64_t serial,
                    uint32_t version) {
    emu_shared *sh = w->sh;
    sim_time issued = emu_now(sh);
    int64_t effect;
    pause_for(w, &sh->sc->cache.del_latency);
    if (emu_cache_del(w->conn, op->key, &effect, w->err, sizeof w->err) != 0)
        return fail(w);
    measured(w, EMU_DEL, issued, effect, emu_now(sh));
    fact(w, FACT_REMOVE, effect - sh->t0, 0, op, serial, version, 0);
    respond(w, EMU_DEL);
    return 0;
}

void emu_send_late_del(emu_worker *w, const emu_late_del *d) {
    workload_op op = {0, WORKLOAD_WRITE, d->key, 0};
    int64_t effect;
    if (emu_cache_del(w->conn, d->key, &effect, w->err, sizeof w->err) != 0) {
        fail(w);
        return;
    }
    fact(w, FACT_REMOVE, effect - w->sh->t0, 0, &op, 0, d->version, 0);
}

/* One invalidation's DEL attempts: the first and its retries.  Returns 1 if
 * one took effect or will (a timed-out DEL that still lands), 0 if none, -1
 * on a backend failure.  *timed_out is set if an attempt timed out. */
static int del_attempts(emu_worker *w, const workload_op *op, uint64_t serial,
                        uint32_t version, int *timed_out) {
    emu_shared *sh = w->sh;
    const scenario *sc = sh->sc;
    int landed = 0;
    for (uint32_t attempt = 0;; attempt++) {
        int ok = 0;
        switch (faults_del(sc, &w->rng)) {
        case FAULT_OK:
            if (send_del(w, op, serial, version) != 0) return -1;
            landed = ok = 1;
            break;
        case FAULT_FAIL: /* not sent; the error comes after the latency */
            pause_for(w, &sc->cache.del_latency);
            break;
        case FAULT_TIMEOUT_APPLIED: {
            sim_time lat =
                w->sh->opt->real_latency
                    ? 0
                    : sim_dist_sample(&sc->cache.del_latency,
                                      sim_rng_stream(&w->rng,
                                                     SIM_STREAM_LATENCY));
            if (emu_schedule_late_del(sh, emu_now(sh) + lat, op->key,
                                      version) != 0) {
                snprintf(w->err, sizeof w->err, "out of memory");
                return fail(w);
            }
            landed = 1;
            *timed_out = 1;
            sleep_for(sh, sc->cache.timeout);
            break;
        }
        case FAULT_TIMEOUT_LOST:
            *timed_out = 1;
            sleep_for(sh, sc->cache.timeout);
            break;
        }
        if (ok || attempt >= sc->cache.mitigations.retry_delete || sh->stop)
            return landed;
        sleep_for(sh, RETRY_BACKOFF << (attempt < 30 ? attempt : 30));
    }
}

static void count_invalidation(emu_worker *w, sim_time t, int landed,
                               int timed_out) {
    if (!after_warmup(w, t)) return;
    w->counts.invalidations++;
    w->counts.invalidations_failed += (uint64_t)!landed;
    w->counts.invalidations_timed_out += (uint64_t)timed_out;
}

/* Commits the write: UPDATE after its scenario latency. */
static int commit(emu_worker *w, const workload_op *op, uint64_t serial,
                  sim_time s, oracle_plan plan, uint32_t *version) {
    emu_shared *sh = w->sh;
    sim_time issued = emu_now(sh);
    int64_t at;
    pause_for(w, &sh->sc->db.write_latency);
    if (emu_db_write(w->conn, op->key, version, &at, w->err,
                     sizeof w->err) != 0)
        return fail(w);
    measured(w, EMU_DB_WRITE, issued, at, emu_now(sh));
    return fact(w, FACT_COMMIT, at - sh->t0, s, op, serial, *version,
                (uint8_t)plan);
}

static void crash(emu_worker *w, const workload_op *op, uint64_t serial,
                  sim_time s, uint32_t version) {
    sim_time now = emu_now(w->sh);
    if (after_warmup(w, now)) w->counts.writer_crashes++;
    fact(w, FACT_CRASH, now, s, op, serial, version, 0);
}

static void serve_write(emu_worker *w, const workload_op *op, uint64_t serial) {
    emu_shared *sh = w->sh;
    const scenario *sc = sh->sc;
    const scenario_mitigations *m = &sc->cache.mitigations;
    scenario_invalidation mode = sc->cache.invalidation;
    if (strcmp(sc->cache.pattern, "ttl-only") == 0) mode = SCENARIO_INVALIDATION_NONE;
    if (strcmp(sc->cache.pattern, "write-through") == 0)
        mode = SCENARIO_INVALIDATION_UPDATE_AFTER_WRITE;
    sim_time s = emu_now(sh);
    if (after_warmup(w, s)) w->counts.writes++;
    uint32_t version = 0;
    int timed_out = 0, landed = 0;
    if (mode == SCENARIO_INVALIDATION_NONE) {
        if (commit(w, op, serial, s, ORACLE_PLAN_NONE_PATTERN, &version) != 0) return;
        respond(w, EMU_DB_WRITE);
        fact(w, FACT_ACK, emu_now(sh), s, op, serial, version, 0);
        return;
    }
    oracle_plan plan = ORACLE_PLAN_PENDING;
    if (mode == SCENARIO_INVALIDATION_DELETE_BEFORE_WRITE) {
        sim_time t = emu_now(sh);
        landed = del_attempts(w, op, serial, 0, &timed_out);
        if (landed < 0) return;
        /* A timed-out DEL still on its way keeps the invalidation pending. */
        plan = landed && !timed_out ? ORACLE_PLAN_DONE_BEFORE
               : landed || m->double_delete > 0 ? ORACLE_PLAN_PENDING
                                                : ORACLE_PLAN_FAILED_BEFORE;
        if (m->double_delete == 0) count_invalidation(w, t, landed, timed_out);
    }
    if (commit(w, op, serial, s, plan, &version) != 0) return;
    int more = mode != SCENARIO_INVALIDATION_DELETE_BEFORE_WRITE || m->double_delete > 0;
    if (more && faults_crash_after_commit(sc, &w->rng)) {
        crash(w, op, serial, s, version);
        return;
    }
    respond(w, EMU_DB_WRITE);
    sim_time t = emu_now(sh);
    if (mode == SCENARIO_INVALIDATION_UPDATE_AFTER_WRITE) {
        sim_time issued = emu_now(sh);
        pause_for(w, &sc->cache.set_latency);
        int stored = 0;
        if (faults_set(sc, &w->rng) == FAULT_OK) {
            int64_t effect;
            sim_time ttl_ns, px = ttl_px(w, &ttl_ns);
            if (emu_cache_set(w->conn, op->key, version, px, NULL,
                              m->versioned_set, m->lease, &stored, &effect,
                              w->err, sizeof w->err) != 0) {
                fail(w);
                return;
            }
            measured(w, EMU_SET, issued, effect, emu_now(sh));
            if (stored)
                fact(w, FACT_SET, effect - sh->t0,
                     ttl_ns ? effect - sh->t0 + ttl_ns : SIM_TIME_MAX, op,
                     serial, version, ORACLE_SET_UPDATE);
            respond(w, EMU_SET);
            landed = 1; /* a refused (older) update is no failure */
        }
        count_invalidation(w, t, landed, 0);
    } else {
        if (mode == SCENARIO_INVALIDATION_DELETE_AFTER_WRITE) {
            landed = del_attempts(w, op, serial, version, &timed_out);
            if (landed < 0) return;
        }
        if (m->double_delete > 0) {
            sleep_for(sh, m->double_delete);
            int second = del_attempts(w, op, serial, version, &timed_out);
            if (second < 0) return;
            landed |= second;
        }
        count_invalidation(w, t, landed, timed_out);
    }
    if (!landed && (mode != SCENARIO_INVALIDATION_DELETE_BEFORE_WRITE ||
                    m->double_delete > 0))
        fact(w, FACT_INVAL_FAIL, emu_now(sh), s, op, serial, version, 0);
    fact(w, FACT_ACK, emu_now(sh), s, op, serial, version, 0);
}

void emu_serve(emu_worker *w, const workload_op *op, uint64_t serial) {
    if (op->kind == WORKLOAD_READ)
        serve_read(w, op, serial);
    else
        serve_write(w, op, serial);
}
