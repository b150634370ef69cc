/* What world.c and world_effects.c share beyond models/world.h: the request
 * pool and the trace and delete helpers.  Not for patterns. */
#ifndef STALESIM_MODELS_WORLD_INTERNAL_H
#define STALESIM_MODELS_WORLD_INTERNAL_H

#include "models/world.h"

/* The world's own events beyond world.h's list (another module taking the
 * same number would be a duplicate case in dispatch, a compile error). */
enum {
    WORLD_EV_READ_BACK = WORLD_EV_COUNT, /* a = key, b = client: a session
                                            reads its write back ([workload]
                                            read_after_write) */
    WORLD_EV_CACHE_OUTAGE /* b = 1: a cache outage starts, 0: it ends */
};

/* Cache outages (models/outage.c).  setup: the simulated rate and, under
 * --rare with outages boosted, the refill marks (after the patterns are
 * created); 0, or -1 out of memory.  event: an outage starts (1) or ends
 * (0; also the start of the run), and the next is scheduled.  read_start:
 * a read starts while outages are boosted (its key's marks). */
int world_outage_setup(world *w);
void world_outage_event(world *w, int start);
void world_outage_read_start(world *w, uint32_t rq);
/* A boosted fault of ratio lr keeps key's shared copy stale
 * (world_fault_mark): it would keep the ghost of a diverged key too, whose
 * stale reads then weigh lr more. */
void world_outage_fault(world *w, uint32_t key, double lr);

/* Doubles the request pool.  Returns 0, or -1 out of memory (the pool is
 * unchanged). */
int world_pool_grow(world *w);

/* Returns slot rq to the pool. */
static inline void world_pool_release(world *w, uint32_t rq) {
    w->free_slots[w->nfree++] = rq;
}

/* Emits a trace record about rq (or key alone, rq WORLD_NO_REQUEST) naming
 * the shared cache (or, for a commit, the source) as its copy. */
static inline void world_trace(world *w, trace_op op, uint32_t rq,
                               uint32_t key, uint32_t version) {
    if (w->tracer)
        world_trace_copy(w, op, rq, key, version,
                         op == TRACE_COMMIT ? ORACLE_SOURCE : ORACLE_CACHE);
}

/* A DEL of key takes effect now; `version` is the commit it invalidates (0
 * when it precedes its commit), for the invalidation-lag distribution. */
void world_cache_delete_now(world *w, uint32_t key, uint32_t version);

#endif
