/* The cache-aside family, internal to the pattern files: cache-aside,
 * ttl-only, read-through and write-through run one request protocol
 * (cache_aside.c), with its mitigations; each pattern file is a variant that
 * says how its reads load and how its writes reach the cache.
 *
 * Steps: a variant's on_step passes every step below CACHE_STEP_PRIVATE to
 * cache_family_step and numbers its own steps from there.  A step is 32 bits:
 * the low 8 the step proper, the high 24 its argument (a lease token on the
 * miss path, the attempt on the DEL path), so that a continuation carries
 * what the client would hold without any per-request state outside the
 * request. */
#ifndef STALESIM_MODELS_CACHE_ASIDE_H
#define STALESIM_MODELS_CACHE_ASIDE_H

#include <stdint.h>

#include "models/world.h"

#define CACHE_STEP_PRIVATE 64u
#define CACHE_STEP(step, arg) ((uint32_t)(step) | (uint32_t)(arg) << 8)
#define CACHE_STEP_BASE(step) ((step) & 0xffu)
#define CACHE_STEP_ARG(step) ((step) >> 8)

typedef struct cache_variant {
    int never_invalidates; /* writes commit and nothing else (ttl-only) */
    int write_updates;     /* writes SET the committed version (write-through),
                              whatever [cache] invalidation says */
    /* Single-flight loads (read-through); NULL in the other variants.
     * join_load: rq missed; returns 1 if it now waits for the load of its
     * key in flight, 0 if none is in flight (nothing registered), -1 on
     * ENOMEM.  start_load: rq loads its key (0, or -1 on ENOMEM).
     * end_load: rq's load ended; `filled` if its SET stored the value. */
    int (*join_load)(world *w, uint32_t rq);
    int (*start_load)(world *w, uint32_t rq);
    void (*end_load)(world *w, uint32_t rq, int filled);
} cache_variant;

void cache_family_read(world *w, const cache_variant *v, uint32_t rq);
void cache_family_write(world *w, const cache_variant *v, uint32_t rq);
void cache_family_step(world *w, const cache_variant *v, uint32_t rq,
                       uint32_t step);

#endif
