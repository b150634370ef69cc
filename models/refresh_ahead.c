/* Refresh-ahead (probabilistic early recomputation): cache-aside, except
 * that a hit may refresh the entry before it expires, so that a hot key's
 * readers do not all miss together when its TTL runs out (the stampede).
 *
 * Reads and writes are cache-aside's (models/cache_aside.c, the [cache]
 * mitigations and invalidation modes included).  A GET that hits at time t
 * an entry expiring at X decides, by [refresh_ahead] rule:
 *   xfetch    refresh iff t - delta * beta * ln(U) >= X, U uniform in (0,1]
 *             (Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic
 *             Cache Stampede Prevention", VLDB 2015); -ln(U) is drawn as
 *             the exponential of mean 1 it is (sim/ziggurat.h) from the
 *             patterns' stream;
 *             delta is the key's last recompute time: a miss's (from the
 *             read's invocation to its fill taking effect, on_fill) or a
 *             refresh's (from its start to its SET); 0 before any, and then
 *             no hit refreshes.
 *   fraction  refresh iff X - t < fraction * [cache] ttl (the entry's
 *             remaining TTL is below that share of the nominal TTL).
 * The reader that triggers it is answered with the cached value at once;
 * the refresh is a background request (world_start_background) that reads
 * the DB and SETs what it read with a fresh TTL, answering nobody.  One
 * refresh per key is in flight at a time (hits meanwhile start none).  A
 * refresh honours versioned-set (it stores only over an older version) and
 * takes no lease; it fails while the cache is down, and its SET suffers
 * [faults] set_fail like a fill's.
 *
 * The race it adds (cause refresh-race): a refresh reads v from the DB, a
 * writer commits v+1 and its DEL lands, then the refresh's SET stores v with
 * a whole new TTL.  Every read until the next write's DEL or that TTL is
 * stale.  It is the stale-fill race with a background reader, and its
 * window is as long (a TTL), but it happens on hot keys, where fills are
 * rare and refreshes are not.
 *
 * Closed form (fraction rule, zero latencies, one key, Poisson reads L, no
 * writes, TTL T, fraction f): after a fill or refresh at s the entry expires
 * at s + T; a refresh happens iff a read falls in [s + (1-f)T, s + T)
 * (probability 1 - e^{-LfT}), else the next read after s + T misses.  A
 * renewal argument over the cycles between misses gives
 *   E[cycle] = ((1-f)T + 1/L) e^{LfT},
 *   hit ratio = 1 - e^{-LfT} / (1 + L(1-f)T),
 * which is cache-aside's L*T / (1 + L*T) at f = 0 (tests/test_patterns.c
 * checks it). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "models/cache_aside.h"
#include "models/pattern.h"
#include "models/world.h"
#include "sim/check.h"
#include "sim/ziggurat.h"

enum ra_rule { RA_RULE_XFETCH, RA_RULE_FRACTION };
static const char *const rules[] = {"xfetch", "fraction", NULL};

/* [refresh_ahead] keys (its parameter block in the scenario). */
typedef struct ra_params {
    int rule;        /* enum ra_rule */
    double beta;     /* xfetch: > 0, larger refreshes earlier */
    double fraction; /* fraction: of the TTL, in (0,1) */
} ra_params;
_Static_assert(sizeof(ra_params) <= SCENARIO_PATTERN_BYTES,
               "refresh-ahead parameters overflow their block");

#define P(field) offsetof(ra_params, field)
static const scenario_key ra_keys[] = {
    {"refresh_ahead", "rule", SCENARIO_KT_ENUM, P(rule), "xfetch",
     "when a hit refreshes: xfetch (t - delta*beta*ln(U) >= expiry, delta "
     "the key's last recompute time) or fraction (remaining TTL < fraction "
     "* ttl)",
     1, rules},
    {"refresh_ahead", "beta", SCENARIO_KT_POSITIVE, P(beta), "1",
     "xfetch: how early to refresh (1 is the paper's optimum; larger is "
     "earlier)",
     1, NULL},
    {"refresh_ahead", "fraction", SCENARIO_KT_FRACTION, P(fraction), "0.2",
     "fraction: refresh on a hit when less than this share of the TTL is "
     "left",
     1, NULL},
};
#undef P

extern const pattern_ops pattern_refresh_ahead;

static const ra_params *params(const scenario *sc) {
    return pattern_params(sc, &pattern_refresh_ahead);
}

/* Per key: its last recompute time and whether a refresh is in flight. */
typedef struct refresh_ahead {
    sim_time *delta;    /* ns */
    uint8_t *in_flight; /* 1: a refresh of the key has not ended */
    uint32_t nkeys;
} refresh_ahead;

enum ra_event { REFRESH_AHEAD_EV_REFRESH }; /* b = key */

/* Steps of a refresh (background request), after the family's. */
enum step {
    RA_START = CACHE_STEP_PRIVATE, /* issue the DB read */
    RA_DB,                         /* the DB read took effect */
    RA_READ,                       /* the DB read answered: issue the SET */
    RA_SET,                        /* the SET reached the server */
    RA_SET_FAILED,                 /* the SET errored */
    RA_DONE                        /* the SET answered: the refresh ends */
};
_Static_assert(RA_DONE < 256, "steps overflow CACHE_STEP_BASE");

static const cache_variant cache_aside = {0, 0, NULL, NULL, NULL};

static void *ra_create(world *w) {
    refresh_ahead *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->nkeys = w->sc->workload.keys;
    s->delta = calloc(s->nkeys, sizeof *s->delta);
    s->in_flight = calloc(s->nkeys, 1);
    if (!s->delta || !s->in_flight) {
        free(s->delta);
        free(s->in_flight);
        free(s);
        return NULL;
    }
    return s;
}

static void ra_destroy(void *state) {
    refresh_ahead *s = state;
    if (!s) return;
    free(s->delta);
    free(s->in_flight);
    free(s);
}

/* A hit: refresh now? */
static void ra_on_hit(world *w, void *state, uint32_t rq, uint32_t version,
                      sim_time expires_at) {
    refresh_ahead *s = state;
    (void)version;
    const request *r = world_req(w, rq);
    if (r->background || expires_at == SIM_TIME_MAX || s->in_flight[r->key])
        return;
    const scenario *sc = world_rsc(w, rq);
    const ra_params *p = params(sc);
    sim_time now = world_now(w);
    int refresh;
    if (p->rule == RA_RULE_FRACTION) {
        refresh = (double)(expires_at - now) < p->fraction * (double)sc->cache.ttl;
    } else {
        sim_time delta = s->delta[r->key];
        if (delta <= 0) return; /* no recompute seen: never early */
        double e = sim_exponential(world_pattern_rng(w), 1.0); /* -ln(U) */
        refresh = (double)now + (double)delta * p->beta * e >=
                  (double)expires_at;
    }
    if (!refresh) return;
    s->in_flight[r->key] = 1;
    /* Not here: a request may not start inside another's step. */
    world_pattern_schedule(w, &pattern_refresh_ahead, 0, REFRESH_AHEAD_EV_REFRESH, r->key);
}

/* A miss's fill stored its value: its recompute time is the key's delta. */
static void ra_on_fill(world *w, void *state, uint32_t rq,
                       sim_time expires_at) {
    refresh_ahead *s = state;
    (void)expires_at;
    const request *r = world_req(w, rq);
    s->delta[r->key] = world_now(w) - r->invoked;
}

static void ra_on_event(world *w, void *state, uint32_t a, uint64_t b) {
    (void)state;
    SIM_CHECK(a == REFRESH_AHEAD_EV_REFRESH, "refresh-ahead event %u", a);
    world_start_background(w, (uint32_t)b, RA_START);
}

/* ---- the refresh ------------------------------------------------------------ */

static void refresh_ends(world *w, uint32_t rq) {
    refresh_ahead *s = world_pattern_state(w, &pattern_refresh_ahead);
    s->in_flight[world_req(w, rq)->key] = 0;
    world_finish_background(w, rq);
}

/* 1 if the cache holds a live entry of key at `version` or newer. */
static int holds_at_least(const world *w, uint32_t key, uint32_t version) {
    uint32_t have;
    return store_peek(w->cache, key, world_now(w), &have, NULL) &&
           have >= version;
}

static void refresh_step(world *w, uint32_t rq, enum step step) {
    request *r = world_req(w, rq);
    const scenario *sc = world_rsc(w, rq);
    switch (step) {
    case RA_START:
        if (w->cache_down) {
            refresh_ends(w, rq);
            return;
        }
        world_after(w, world_latency(w, &sc->db.read_latency), rq, RA_DB);
        break;
    case RA_DB:
        world_db_read(w, rq);
        world_respond(w, rq, RA_READ);
        break;
    case RA_READ: {
        if (w->cache_down) {
            world_cache_refresh(w, rq, 0);
            world_respond_op(w, rq, RA_DONE, WORLD_OP_SET);
            return;
        }
        sim_time lat = world_latency(w, &sc->cache.set_latency);
        int ok = faults_set(sc, &w->rng) == FAULT_OK;
        world_after(w, lat, rq, ok ? RA_SET : RA_SET_FAILED);
        break;
    }
    case RA_SET: {
        int ok = !w->cache_down;
        if (ok && sc->cache.mitigations.versioned_set)
            ok = !holds_at_least(w, r->key, r->version);
        world_cache_refresh(w, rq, ok);
        if (ok) {
            refresh_ahead *s = world_pattern_state(w, &pattern_refresh_ahead);
            s->delta[r->key] = world_now(w) - r->invoked;
        }
        world_respond(w, rq, RA_DONE);
        break;
    }
    case RA_SET_FAILED:
        world_cache_refresh(w, rq, 0);
        world_respond(w, rq, RA_DONE);
        break;
    case RA_DONE:
        refresh_ends(w, rq);
        break;
    }
}

/* ---- the pattern ------------------------------------------------------------ */

static void on_read(world *w, uint32_t rq) {
    cache_family_read(w, &cache_aside, rq);
}

static void on_write(world *w, uint32_t rq) {
    cache_family_write(w, &cache_aside, rq);
}

static void on_step(world *w, uint32_t rq, uint32_t step) {
    if (CACHE_STEP_BASE(step) >= CACHE_STEP_PRIVATE)
        refresh_step(w, rq, (enum step)step);
    else
        cache_family_step(w, &cache_aside, rq, step);
}

/* A refresh needs something to refresh before: a TTL. */
static int ra_validate(const scenario *sc, char *err, size_t errlen) {
    if (sc->cache.ttl > 0) return 0;
    char where[256];
    scenario_key_where(sc, "cache", "ttl", where, sizeof where);
    snprintf(err, errlen,
             "%s: refresh-ahead refreshes entries before they expire and "
             "needs a TTL (> 0)",
             where);
    return -1;
}

const pattern_ops pattern_refresh_ahead = {
    .name = "refresh-ahead",
    .summary = "cache-aside; a hit near expiry refreshes the entry in the "
               "background (XFetch or a fixed fraction of the TTL)",
    .flags = PATTERN_FOLLOWS_INVALIDATION,
    .on_read = on_read,
    .on_write = on_write,
    .on_step = on_step,
    .create = ra_create,
    .destroy = ra_destroy,
    .on_event = ra_on_event,
    .on_hit = ra_on_hit,
    .on_fill = ra_on_fill,
    .keys = ra_keys,
    .nkeys = sizeof ra_keys / sizeof ra_keys[0],
    .keys_per_family = 1,
    .validate = ra_validate,
};
