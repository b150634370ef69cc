/* Write-behind (write-back): the cache acknowledges writes and persists them
 * later.
 *
 * Write: SET the new value in the cache; when the SET takes effect the write
 * is committed (the moment the system promised the value, DESIGN.md section
 * 1), acknowledged, and queued.  A flusher takes the queue (or `batch` writes
 * of it) every flush_interval; the batch reaches the DB flush_latency later
 * (batches land in the order they left).  The DB is therefore a copy that
 * lags the truth: reads that miss the cache and refill from it, and readers
 * that go to the DB directly (db_readers), can see an older version (cause
 * write-behind-lag).  The cache node crashes as a Poisson process
 * (crash_rate): it loses every queued, unflushed write (lost_writes:
 * acknowledged, never durable) and its contents, and restarts empty at once.
 * A SET fault (set_fail) does not apply to the acknowledging SET.
 *
 * Expected lost writes per crash, for Poisson writes at rate W, instant
 * flushes (flush_latency 0) and no batch limit: a crash falls uniformly in a
 * flush cycle, so the queue holds the writes of the last F/2 on average:
 * W * F / 2 (tests/test_models.c checks it). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>


#include "models/pattern.h"
#include "models/rare.h"
#include "models/refill_marks.h"
#include "models/world.h"
#include "sim/check.h"
#include "sim/mt19937.h"
#include "sim/ziggurat.h"

typedef struct wb_entry {
    sim_time acked_at; /* ns */
    uint32_t key;
    uint32_t version;
} wb_entry;

/* A FIFO ring of entries. */
typedef struct wb_ring {
    wb_entry *e;
    size_t head, len, cap; /* cap is a power of two */
} wb_ring;

/* [write_behind] keys (its parameter block in the scenario). */
typedef struct wb_params {
    sim_time flush_interval; /* ns */
    uint32_t batch;          /* 0: everything pending */
    sim_dist flush_latency;
    double crash_rate;       /* per s */
    double db_readers;       /* share of reads going to the DB directly */
} wb_params;
_Static_assert(sizeof(wb_params) <= SCENARIO_PATTERN_BYTES,
               "write-behind parameters overflow their block");

#define P(field) offsetof(wb_params, field)
static const scenario_key wb_keys[] = {
    {"write_behind", "flush_interval", SCENARIO_KT_DURATION,
     P(flush_interval), "1s",
     "the flusher writes queued writes to the DB this often", 1, NULL},
    {"write_behind", "batch", SCENARIO_KT_COUNT, P(batch), "0",
     "writes per flush (0: all pending)", 1, NULL},
    {"write_behind", "flush_latency", SCENARIO_KT_DIST, P(flush_latency),
     "exp:10ms", "from a flush starting to the DB applying it", 1, NULL},
    {"write_behind", "crash_rate", SCENARIO_KT_RATE, P(crash_rate), "0/s",
     "cache node crashes (losing unflushed writes and its contents)", 1,
     NULL},
    {"write_behind", "db_readers", SCENARIO_KT_PROB, P(db_readers), "0",
     "share of reads that go to the DB directly", 1, NULL},
};
#undef P

extern const pattern_ops pattern_write_behind;

static const wb_params *params(const scenario *sc) {
    return pattern_params(sc, &pattern_write_behind);
}

typedef struct write_behind {
    wb_ring pending;     /* acknowledged, not yet flushed */
    wb_ring flying;      /* flushed, not yet applied by the DB */
    sim_time last_apply; /* ns: batches land in order */
    uint32_t db_copy;    /* oracle copy id of the DB */
    const wb_params *p;  /* the base scenario's (world-wide processes) */
    double crash_rate;   /* per s: simulated (boosted under --rare) */
    double crash_lr;     /* crash_rate true / simulated; 1: not boosted */
    /* --rare with boosted crashes only (NULL otherwise): the world's refill
     * marks (models/refill_marks.h), which crashes set: what a fill that
     * reads the DB while one is set owes to the crash. */
    refill_marks *marks;
} write_behind;

enum wb_event { WB_FLUSH, WB_APPLY, WB_CRASH };

enum step {
    R_GET,        /* GET took effect */
    R_HIT_DONE,   /* hit answered */
    R_DIRECT,     /* a direct reader's DB read took effect */
    R_MISS_DB,    /* a miss's DB read took effect: fill from it */
    R_SET_OK,     /* fill SET took effect */
    R_SET_FAILED, /* fill SET errored */
    R_DB_DONE,    /* answer with what the DB returned */
    W_SET,        /* the acknowledging SET took effect: the commit */
    W_DONE        /* acknowledged */
};

static int ring_push(wb_ring *r, wb_entry x) {
    if (r->len == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 1024;
        wb_entry *e = malloc(cap * sizeof *e);
        if (!e) return -1;
        for (size_t i = 0; i < r->len; i++)
            e[i] = r->e[(r->head + i) & (r->cap - 1)];
        free(r->e);
        r->e = e;
        r->head = 0;
        r->cap = cap;
    }
    r->e[(r->head + r->len++) & (r->cap - 1)] = x;
    return 0;
}

static wb_entry ring_pop(wb_ring *r) {
    SIM_CHECK(r->len > 0, "pop from an empty ring");
    wb_entry x = r->e[r->head];
    r->head = (r->head + 1) & (r->cap - 1);
    r->len--;
    return x;
}

/* The share of acknowledged writes a crash loses, the per-opportunity
 * probability of crashes that rare_max_fault_prob counts: crash_rate x
 * flush_interval (to first order; capped at 1).  0 when crashes are not
 * boosted: none, or direct DB readers (whose stale reads of a lost write no
 * mark weighs), or key families (views may differ), or instances alone
 * over the DB (no shared cache to crash).  Local caches in front of the
 * shared one are boosted: an instance's copy of a crash's refill carries
 * its ratio (local_fill). */
static double wb_rare_share(const scenario *sc) {
    const wb_params *p = params(sc);
    if (p->crash_rate <= 0 || p->db_readers > 0 || sc->families.n > 0 ||
        (sc->local.instances > 0 && sc->local.tier == SCENARIO_TIER_ALONE) ||
        p->flush_interval <= 0)
        return 0;
    double s = p->crash_rate * ((double)p->flush_interval / 1e9);
    return s < 1 ? s : 1;
}

static void *wb_create(world *w) {
    write_behind *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->db_copy = oracle_add_copy(w->oracle, ORACLE_COPY_DB_BEHIND);
    b->p = params(w->sc);
    b->crash_rate = b->p->crash_rate;
    b->crash_lr = 1;
    if (b->db_copy == ORACLE_NO_COPY) {
        free(b);
        return NULL;
    }
    if (w->sc->rare_boost > 1 && wb_rare_share(w->sc) > 0) {
        /* Boosted like a disconnection: lambda' = min(b lambda, 0.5 / F). */
        b->crash_rate = rare_rate(b->p->crash_rate,
                                  (double)b->p->flush_interval / 1e9,
                                  w->sc->rare_boost);
        b->crash_lr = b->p->crash_rate / b->crash_rate;
        b->marks = world_refill_marks(w, 0); /* the world frees them */
        if (!b->marks) {
            free(b);
            return NULL;
        }
    }
    return b;
}

static void wb_destroy(void *state) {
    write_behind *b = state;
    if (!b) return;
    free(b->pending.e);
    free(b->flying.e);
    free(b);
}

static uint32_t wb_db_copy(const void *state) {
    return ((const write_behind *)state)->db_copy;
}

static void schedule(world *w, sim_time delay, enum wb_event kind,
                     uint64_t arg) {
    world_pattern_schedule(w, &pattern_write_behind, delay, kind, arg);
}

static sim_time crash_gap(world *w, const write_behind *b) {
    return (sim_time)(sim_exponential(
                          sim_rng_stream(&w->rng, SIM_STREAM_FAULTS),
                          1.0 / b->crash_rate) *
                      1e9);
}

static void wb_start(world *w, void *state) {
    write_behind *b = state;
    if (b->p->flush_interval > 0)
        schedule(w, b->p->flush_interval, WB_FLUSH, 0);
    if (b->p->crash_rate > 0) schedule(w, crash_gap(w, b), WB_CRASH, 0);
}

static void flush(world *w, write_behind *b) {
    size_t n = b->pending.len;
    if (b->p->batch > 0 && n > b->p->batch) n = b->p->batch;
    if (n > 0) {
        for (size_t i = 0; i < n; i++)
            if (ring_push(&b->flying, ring_pop(&b->pending)) != 0) {
                world_out_of_memory(w);
                return;
            }
        sim_time at = world_now(w) + world_latency(w, &b->p->flush_latency);
        if (at < b->last_apply) at = b->last_apply;
        b->last_apply = at;
        world_pattern_schedule_at(w, &pattern_write_behind, at, WB_APPLY, n);
    }
    schedule(w, b->p->flush_interval, WB_FLUSH, 0);
}

static void apply(world *w, write_behind *b, size_t n) {
    sim_time now = world_now(w);
    for (size_t i = 0; i < n; i++) {
        wb_entry x = ring_pop(&b->flying);
        if (db_apply(w->db, x.key, x.version)) {
            oracle_copy_set(w->oracle, x.key, b->db_copy, x.version, now,
                            SIM_TIME_MAX, ORACLE_SET_UPDATE);
            world_trace_copy(w, TRACE_FLUSH_APPLY, WORLD_NO_REQUEST, x.key,
                             x.version, b->db_copy);
        }
        world_durable(w, x.key, x.acked_at);
    }
}

/* The node dies and restarts empty: queued writes are gone for good.
 * Under --rare (crashes boosted) the keys it empties and those whose
 * writes it loses are marked first (refill_marks_crash).  A key still
 * marked by an earlier crash keeps that crash's ratio: it can only be a key
 * whose write that crash lost (a write clears the marks, a fill the
 * emptied mark) and whose refill from the lagging DB is then stale because
 * of it, this crash or not (which crash to credit with the races of that
 * refill is second order in the boosted rate). */
static void crash(world *w, write_behind *b) {
    sim_time now = world_now(w);
    if (now >= w->sc->run.warmup) w->counts.cache_crashes++;
    if (b->marks) {
        oracle_fault_event(w->oracle);
        for (uint32_t k = 0; k < w->sc->workload.keys; k++)
            if (store_peek(w->cache, k, now, NULL, NULL))
                refill_marks_crash(b->marks, k, REFILL_EMPTIED, b->crash_lr);
    }
    while (b->pending.len) {
        wb_entry x = ring_pop(&b->pending);
        if (b->marks)
            refill_marks_crash(b->marks, x.key, REFILL_LOST, b->crash_lr);
        if (x.acked_at >= w->sc->run.warmup)
            WORLD_COUNT(w, world_key_family(w, x.key), lost_writes);
    }
    world_cache_clear(w);
    schedule(w, crash_gap(w, b), WB_CRASH, 0);
}

static void wb_on_event(world *w, void *state, uint32_t a, uint64_t arg) {
    write_behind *b = state;
    switch ((enum wb_event)a) {
    case WB_FLUSH: flush(w, b); break;
    case WB_APPLY: apply(w, b, (size_t)arg); break;
    case WB_CRASH: crash(w, b); break;
    }
}

/* ---- the pattern ------------------------------------------------------------ */

static void on_read(world *w, uint32_t rq) {
    double direct = params(world_rsc(w, rq))->db_readers;
    if (direct > 0 &&
        sim_rng_uniform(sim_rng_stream(&w->rng, SIM_STREAM_MISC)) < direct)
        world_after(w, world_latency(w, &world_rsc(w, rq)->db.read_latency), rq,
                    R_DIRECT);
    else
        world_after(w, world_latency(w, &world_rsc(w, rq)->cache.get_latency), rq, R_GET);
}

static void on_write(world *w, uint32_t rq) {
    world_after(w, world_latency(w, &world_rsc(w, rq)->cache.set_latency), rq, W_SET);
}

static void on_step(world *w, uint32_t rq, uint32_t step) {
    request *r = world_req(w, rq);
    write_behind *b = world_pattern_state(w, &pattern_write_behind);
    uint32_t v;
    switch ((enum step)step) {
    case R_GET:
        /* --rare: world_cache_get gives a hit of a copy a fill of a boosted
         * crash stored stale that fill's ratio, and a miss of a key a crash
         * emptied or left behind in the DB the crash's: the fill it starts
         * is the crash's, and so is what it stores and answers (a value the
         * crash lost, or one that races a write landing before its DB
         * read). */
        if (world_cache_get(w, rq, &v)) {
            r->version = v;
            world_respond(w, rq, R_HIT_DONE);
        } else { /* refill from the DB, which may lag */
            world_after(w, world_latency(w, &world_rsc(w, rq)->db.read_latency), rq,
                        R_MISS_DB);
        }
        break;
    case R_HIT_DONE:
        world_finish_read(w, rq, r->version, ORACLE_CACHE);
        break;
    case R_DIRECT:
        world_db_read(w, rq);
        world_respond(w, rq, R_DB_DONE);
        break;
    case R_MISS_DB:
        world_db_read(w, rq);
        /* (and one a crash marks between the miss and this read) */
        if (b->marks && r->rare_lr == 1)
            r->rare_lr = refill_marks_miss_lr(b->marks, r->key);
        world_after(w, world_latency(w, &world_rsc(w, rq)->cache.set_latency), rq,
                    faults_set(world_rsc(w, rq), &w->rng) == FAULT_OK ? R_SET_OK
                                                           : R_SET_FAILED);
        break;
    case R_SET_OK:
    case R_SET_FAILED:
        world_cache_fill(w, rq, step == R_SET_OK); /* (and the marks) */
        world_respond(w, rq, R_DB_DONE);
        break;
    case R_DB_DONE:
        world_finish_read(w, rq, r->version, ORACLE_SOURCE);
        break;
    case W_SET: {
        world_cache_commit(w, rq);
        wb_entry x = {world_now(w), r->key, r->version}; /* (marks end) */
        if (ring_push(&b->pending, x) != 0) {
            world_out_of_memory(w);
            return;
        }
        world_respond(w, rq, W_DONE);
        break;
    }
    case W_DONE:
        world_finish_write(w, rq);
        break;
    }
}

const pattern_ops pattern_write_behind = {
    .name = "write-behind",
    .summary = "writes are acknowledged by the cache and flushed to the DB "
               "later",
    .flags = PATTERN_CACHE_COMMITS | PATTERN_OWN_FAILURES,
    .oracle_copies = 1, /* the DB behind the cache */
    .on_read = on_read,
    .on_write = on_write,
    .on_step = on_step,
    .create = wb_create,
    .destroy = wb_destroy,
    .start = wb_start,
    .on_event = wb_on_event,
    .db_copy = wb_db_copy,
    .keys = wb_keys,
    .nkeys = sizeof wb_keys / sizeof wb_keys[0],
    .rare_share = wb_rare_share,
};
