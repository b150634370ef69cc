/* The pattern table: every caching pattern is one row, and everything the
 * rest of the program knows about a pattern it learns from that row.
 *
 * A pattern is a request state machine plus a lifecycle, in the manner of
 * libCacheSim's cache_t or ROSS's model structs:
 *
 *   requests   on_read / on_write start a request that the world has just
 *              created; on_step continues it when an event the pattern
 *              scheduled (world_after) or a response (world_respond)
 *              arrives.  A pattern finishes every request exactly once, with
 *              world_finish_read or world_finish_write, or ends it otherwise
 *              (world_fail_read, world_writer_crash).  Step numbers are private to each pattern.
 *   lifecycle  create builds the pattern's private state when a world that
 *              runs it is built (one state per world, shared by every key
 *              family that uses the pattern) and destroy frees it; start runs
 *              once before the first event and schedules the pattern's own
 *              processes (a flusher, a crash process), whose events come back
 *              through on_event; its background requests (a refresh that
 *              answers no client: world_start_background) run through
 *              on_step like the others.  The state reaches the pattern as an
 *              argument of these hooks, or through world_pattern_state.
 *   hooks      on_hit: a GET of the shared cache hit (world_cache_get), with
 *              the entry's version and expiry.  on_fill: a reader's fill
 *              stored its value (world_cache_fill).  db_copy: the oracle copy the
 *              world's DB reads come from, when the pattern puts a copy
 *              between the truth and the DB (write-behind).
 *   scenario   `keys`: the pattern's own scenario keys (one INI section,
 *              documented with defaults like every key; `stalesim keys` lists
 *              them); parsed values land in a block of the scenario that
 *              pattern_params returns.  validate: cross-key checks (exit 2).
 *   flags      what the world and the scenario must treat differently
 *              (PATTERN_* below).
 *
 * Every hook but on_read, on_write and on_step may be NULL.  Adding a pattern
 * is one file and one row in pattern.c (docs/patterns.md has the recipe); no
 * other file names a pattern, and the kernel and the oracle do not change. */
#ifndef STALESIM_MODELS_PATTERN_H
#define STALESIM_MODELS_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "models/scenario.h"
#include "sim/simtime.h"

typedef struct world world;

/* The cache acknowledges writes: a write's commit is the cache accepting it,
 * and the DB is a copy behind it.  Every key family must then use the same
 * pattern (scenario validation refuses a mix). */
#define PATTERN_CACHE_COMMITS 1u
/* The pattern models the cache node's failures itself: the world's [cache]
 * outage process does not run. */
#define PATTERN_OWN_FAILURES 2u
/* Writes follow [cache] invalidation (the text summary shows it). */
#define PATTERN_FOLLOWS_INVALIDATION 4u
/* The row that stands for "no cache" (bypass families, local caches alone
 * over the DB). */
#define PATTERN_NO_CACHE 8u

typedef struct pattern_ops {
    const char *name;
    const char *summary; /* one line for `stalesim patterns` and the README */
    unsigned flags;      /* PATTERN_* */
    unsigned oracle_copies; /* oracle copies its create registers (the
                               scenario's copy limit counts them) */

    /* The request state machine (never NULL). */
    void (*on_read)(world *w, uint32_t rq);
    void (*on_write)(world *w, uint32_t rq);
    void (*on_step)(world *w, uint32_t rq, uint32_t step);

    /* Lifecycle (NULL: stateless).  create returns the state, or NULL when
     * memory ran out (the world is then not built). */
    void *(*create)(world *w);
    void (*destroy)(void *state);
    /* Before the first event. */
    void (*start)(world *w, void *state);
    /* An event scheduled with world_pattern_schedule(_at): a (< 2^24) and b
     * are the pattern's. */
    void (*on_event)(world *w, void *state, uint32_t a, uint64_t b);

    /* A GET by rq hit the shared cache at the current instant: the entry
     * holds `version` until `expires_at` (ns; SIM_TIME_MAX: never).  Called
     * inside world_cache_get, before the pattern's step goes on. */
    void (*on_hit)(world *w, void *state, uint32_t rq, uint32_t version,
                   sim_time expires_at);
    /* A fill SET by rq stored r->version in the shared cache at the current
     * instant, until `expires_at` (inside world_cache_fill; rq->invoked
     * tells how long the read's recompute took). */
    void (*on_fill)(world *w, void *state, uint32_t rq, sim_time expires_at);
    /* The oracle copy DB reads come from (ORACLE_SOURCE when NULL). */
    uint32_t (*db_copy)(const void *state);

    /* Its scenario keys, all in one section of its own (NULL, 0: none).
     * Each row's offset is into the pattern's parameter block, at most
     * SCENARIO_PATTERN_BYTES bytes (pattern_params). */
    const scenario_key *keys;
    size_t nkeys;
    int keys_per_family; /* 1: [family.NAME] may override them */
    /* Cross-key checks on a scenario that uses the pattern.  Returns 0, or
     * -1 with "FILE:LINE: key 'K': reason" (scenario_key_where helps). */
    int (*validate)(const scenario *sc, char *err, size_t errlen);
    /* Rare events (models/rare.h): the per-opportunity probability of the
     * pattern's own Poisson faults that --rare boosts (NULL or 0: none),
     * beside the Bernoulli faults' in rare_max_fault_prob. */
    double (*rare_share)(const scenario *sc);
} pattern_ops;

/* [cache] pattern when a scenario does not say. */
#define PATTERN_DEFAULT "cache-aside"

/* The row named `name`, or NULL. */
const pattern_ops *pattern_find(const char *name);
/* Writes "none, ttl-only, ..." into buf. */
void pattern_list(char *buf, size_t len);
size_t pattern_count(void);
const pattern_ops *pattern_at(size_t i);
/* The row's index in the table (checked: a row of the table). */
size_t pattern_index(const pattern_ops *p);
/* The row that stands for "no cache" (PATTERN_NO_CACHE). */
const pattern_ops *pattern_no_cache(void);

/* Pattern p's parameter block in sc: its keys' values as parsed (read-only;
 * the defaults when sc does not set them). */
const void *pattern_params(const scenario *sc, const pattern_ops *p);

#endif
