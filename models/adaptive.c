/* Adaptive update-or-invalidate: on each write, update the cache entry
 * (write-through style) when its key is read-heavy, delete it (cache-aside)
 * when it is write-heavy, judged per key from recent read and write counts
 * (Mao, Iyer, Shenker, Stoica, "Revisiting Cache Freshness for Emerging
 * Real-Time Applications", HotNets 2024).
 *
 * Reads are cache-aside's (models/cache_aside.c, mitigations included); each
 * read that reaches the pattern counts one read of its key (reads answered
 * by an instance's local cache never reach it).  A write counts one write of
 * its key when it is invoked, then decides with the counts of the current
 * and the previous window of [adaptive] window (so between one and two
 * windows of history, this write included):
 *   update  iff reads >= threshold * writes: commit, then SET the committed
 *           version (write-through's protocol and races);
 *   delete  otherwise: commit and DEL, by [cache] invalidation
 *           (delete-after-write or delete-before-write; cache-aside's
 *           protocol and races).
 * The decision is the request's (request.pattern_mark) and holds for all its
 * steps.  Counts come from one of two estimators ([adaptive] estimator):
 *   exact      per key: the window's number and the reads and writes of the
 *              current and previous window (20 bytes per key);
 *   count-min  two count-min sketches (reads, writes) of sketch_depth rows
 *              of sketch_width 32-bit counters, per window (current and
 *              previous), shared by all keys (Cormode and Muthukrishnan,
 *              2005).  An estimate never falls below the true count and
 *              exceeds it by more than (e / width) * N with probability at
 *              most e^-depth, N the sketch's total (all keys' reads, or
 *              writes, in the window).  Over-counted reads turn deletes
 *              into updates, over-counted writes updates into deletes.
 *
 * Races: every stale read carries an existing cause.  Deleted keys have
 * cache-aside's (stale-fill, invalidation-lag, invalidation-failed, ...),
 * updated keys write-through's (out-of-order-update, invalidation-failed).
 * The mix adds one: a write that updates, overtaken by a newer write that
 * deletes (the key's counts crossed the threshold between them): the older
 * SET lands after the newer DEL and leaves the older version until the next
 * write or the TTL.  The oracle calls it what it is, a writer's update
 * landing out of order (out-of-order-update); versioned-set refuses it only
 * while the newer value is cached, which after a DEL it is not. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "models/cache_aside.h"
#include "models/pattern.h"
#include "models/world.h"
#include "sim/check.h"

enum estimator { EST_EXACT, EST_COUNT_MIN };
/* Counters per sketch at most (4 sketches of 4-byte counters: 256 MiB). */
#define SKETCH_MAX_CELLS (1u << 24)
static const char *const estimators[] = {"exact", "count-min", NULL};

/* [adaptive] keys (its parameter block in the scenario). */
typedef struct adaptive_params {
    sim_time window;    /* ns, > 0 */
    double threshold;   /* reads per write at and above which it updates */
    int estimator;      /* enum estimator */
    uint32_t width;     /* count-min: counters per row */
    uint32_t depth;     /* count-min: rows */
} adaptive_params;
_Static_assert(sizeof(adaptive_params) <= SCENARIO_PATTERN_BYTES,
               "adaptive parameters overflow their block");

#define P(field) offsetof(adaptive_params, field)
static const scenario_key adaptive_keys[] = {
    {"adaptive", "window", SCENARIO_KT_DURATION, P(window), "10s",
     "counts cover the current and the previous window of this length", 1,
     NULL},
    {"adaptive", "threshold", SCENARIO_KT_POSITIVE, P(threshold), "1",
     "a write updates the entry when the key's reads >= threshold * its "
     "writes (this write counted), else deletes it",
     1, NULL},
    {"adaptive", "estimator", SCENARIO_KT_ENUM, P(estimator), "exact",
     "how counts are kept: exact (per key) or count-min (a sketch shared by "
     "all keys; overestimates)",
     1, estimators},
    {"adaptive", "sketch_width", SCENARIO_KT_U32, P(width), "1024",
     "count-min: counters per row (error <= e/width of the window's total, "
     "with probability 1 - e^-depth)",
     1, NULL},
    {"adaptive", "sketch_depth", SCENARIO_KT_U32, P(depth), "4",
     "count-min: rows (independent hashes)", 1, NULL},
};
#undef P

extern const pattern_ops pattern_adaptive;

/* One key's exact counts: slot `cur & 1` is the window `epoch`, the other
 * the window before it. */
typedef struct key_counts {
    uint32_t epoch;
    uint32_t reads[2], writes[2];
} key_counts;

enum { READS, WRITES };

typedef struct adaptive {
    const adaptive_params *p; /* the base scenario's (world-wide) */
    uint32_t nkeys;
    key_counts *exact;   /* exact: per key */
    uint32_t *sketch;    /* count-min: [generation 2][kind 2][depth][width] */
    uint32_t epoch;      /* count-min: the window of generation `epoch & 1` */
} adaptive;

static size_t sketch_cells(const adaptive_params *p) {
    return (size_t)p->depth * p->width;
}

static void *adaptive_create(world *w) {
    adaptive *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->p = pattern_params(w->sc, &pattern_adaptive);
    a->nkeys = w->sc->workload.keys;
    if (a->p->estimator == EST_EXACT)
        a->exact = calloc(a->nkeys, sizeof *a->exact);
    else
        a->sketch = calloc(4 * sketch_cells(a->p), sizeof *a->sketch);
    if (!a->exact && !a->sketch) {
        free(a);
        return NULL;
    }
    return a;
}

static void adaptive_destroy(void *state) {
    adaptive *a = state;
    if (!a) return;
    free(a->exact);
    free(a->sketch);
    free(a);
}

/* The window the current instant falls in. */
static uint32_t epoch_now(const world *w, const adaptive *a) {
    return (uint32_t)(world_now(w) / a->p->window);
}

/* Row i's hash of key: splitmix64 of the key and the row, mod width. */
static uint32_t cell(const adaptive *a, uint32_t row, uint32_t key) {
    uint64_t x = ((uint64_t)row << 32 | key) + UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return row * a->p->width + (uint32_t)(x % a->p->width);
}

static uint32_t *sketch_of(adaptive *a, uint32_t generation, int kind) {
    return a->sketch + ((size_t)(generation & 1) * 2 + (size_t)kind) *
                           sketch_cells(a->p);
}

/* Brings the counts to the current window: the current one becomes the
 * previous, or both start empty after a longer gap. */
static void roll_sketch(adaptive *a, uint32_t now) {
    if (now == a->epoch) return;
    size_t n = sketch_cells(a->p);
    for (uint32_t g = 0; g < 2; g++) {
        /* Keep generation `a->epoch` only if it is now the previous one. */
        if (now == a->epoch + 1 && (g & 1) == (a->epoch & 1)) continue;
        for (int k = 0; k < 2; k++)
            for (size_t i = 0; i < n; i++) sketch_of(a, g, k)[i] = 0;
    }
    a->epoch = now;
}

static void roll_key(key_counts *c, uint32_t now) {
    if (now == c->epoch) return;
    uint32_t cur = now & 1;
    if (now == c->epoch + 1) {
        c->reads[cur] = c->writes[cur] = 0; /* the old previous goes */
    } else {
        c->reads[0] = c->reads[1] = c->writes[0] = c->writes[1] = 0;
    }
    c->epoch = now;
}

/* Counts one read or write of key now. */
static void count(world *w, adaptive *a, uint32_t key, int kind) {
    uint32_t now = epoch_now(w, a);
    if (a->exact) {
        key_counts *c = &a->exact[key];
        roll_key(c, now);
        (kind == READS ? c->reads : c->writes)[now & 1]++;
        return;
    }
    roll_sketch(a, now);
    uint32_t *s = sketch_of(a, now, kind);
    for (uint32_t row = 0; row < a->p->depth; row++) s[cell(a, row, key)]++;
}

/* The key's reads or writes over the current and previous window. */
static uint64_t estimate(const world *w, adaptive *a, uint32_t key, int kind) {
    uint32_t now = epoch_now(w, a);
    if (a->exact) {
        key_counts *c = &a->exact[key];
        roll_key(c, now);
        const uint32_t *v = kind == READS ? c->reads : c->writes;
        return (uint64_t)v[0] + v[1];
    }
    roll_sketch(a, now);
    uint64_t best = UINT64_MAX;
    for (uint32_t row = 0; row < a->p->depth; row++) {
        uint32_t i = cell(a, row, key);
        uint64_t v = (uint64_t)sketch_of(a, now, kind)[i] +
                     sketch_of(a, now + 1, kind)[i]; /* the other generation */
        if (v < best) best = v;
    }
    return best;
}

/* ---- the pattern ------------------------------------------------------------ */

#define MARK_UPDATE 1u /* this write updates; otherwise it deletes */

static const cache_variant deleting = {0, 0, NULL, NULL, NULL};
static const cache_variant updating = {0, 1, NULL, NULL, NULL};

static const cache_variant *variant(const world *w, uint32_t rq) {
    return w->req[rq].pattern_mark == MARK_UPDATE ? &updating : &deleting;
}

static void on_read(world *w, uint32_t rq) {
    adaptive *a = world_pattern_state(w, &pattern_adaptive);
    count(w, a, world_req(w, rq)->key, READS);
    cache_family_read(w, &deleting, rq);
}

static void on_write(world *w, uint32_t rq) {
    adaptive *a = world_pattern_state(w, &pattern_adaptive);
    request *r = world_req(w, rq);
    count(w, a, r->key, WRITES);
    double reads = (double)estimate(w, a, r->key, READS);
    double writes = (double)estimate(w, a, r->key, WRITES);
    if (reads >= a->p->threshold * writes) r->pattern_mark = MARK_UPDATE;
    cache_family_write(w, variant(w, rq), rq);
}

static void on_step(world *w, uint32_t rq, uint32_t step) {
    cache_family_step(w, variant(w, rq), rq, step);
}

/* Deletes follow [cache] invalidation, which must then be a delete. */
static int adaptive_validate(const scenario *sc, char *err, size_t errlen) {
    char where[256];
    scenario_invalidation mode = sc->cache.invalidation;
    if (mode == SCENARIO_INVALIDATION_DELETE_AFTER_WRITE ||
        mode == SCENARIO_INVALIDATION_DELETE_BEFORE_WRITE) {
        const adaptive_params *p = pattern_params(sc, &pattern_adaptive);
        if (p->window <= 0) {
            scenario_key_where(sc, "adaptive", "window", where, sizeof where);
            snprintf(err, errlen, "%s: the counting window must be > 0",
                     where);
            return -1;
        }
        if (p->estimator == EST_COUNT_MIN &&
            (uint64_t)p->width * p->depth > SKETCH_MAX_CELLS) {
            scenario_key_where(sc, "adaptive", "sketch_width", where,
                               sizeof where);
            snprintf(err, errlen,
                     "%s: sketch_width * sketch_depth = %llu counters, more "
                     "than %u",
                     where, (unsigned long long)p->width * p->depth,
                     SKETCH_MAX_CELLS);
            return -1;
        }
        return 0;
    }
    scenario_key_where(sc, "cache", "invalidation", where, sizeof where);
    snprintf(err, errlen,
             "%s: adaptive chooses between updating and deleting itself; its "
             "deletes follow [cache] invalidation, which must be "
             "delete-after-write or delete-before-write",
             where);
    return -1;
}

const pattern_ops pattern_adaptive = {
    .name = "adaptive",
    .summary = "cache-aside reads; a write updates the entry if its key is "
               "read-heavy, else deletes it (recent counts per key)",
    .flags = PATTERN_FOLLOWS_INVALIDATION,
    .on_read = on_read,
    .on_write = on_write,
    .on_step = on_step,
    .create = adaptive_create,
    .destroy = adaptive_destroy,
    .keys = adaptive_keys,
    .nkeys = sizeof adaptive_keys / sizeof adaptive_keys[0],
    .validate = adaptive_validate,
};
