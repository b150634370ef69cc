/* Explaining stale reads: a tracer that remembers, per key, the recent steps
 * that changed or revealed its state, and captures the story of the first N
 * stale reads as incident-review timelines.
 *
 * Recorded per key: write invocations, cache misses, DB reads, fills,
 * commits, every invalidation step and fault, acknowledgements, the steps
 * of local instance caches (fills, drops, restarts), every bus message
 * (published, delivered, lost, dropped while disconnected), replica and
 * write-behind applies, and the answers of reads that were stale or
 * concurrent.  Fresh hits and read invocations are left out: they would
 * crowd the story out of the ring.  A captured story keeps the local and
 * replica steps of the copy that answered the stale read only.
 * Each recorded step carries the state after it (the DB's version and the
 * cache's copy), reconstructed from the steps themselves.
 *
 * Memory: EXPLAIN_RING steps per key that has had one, allocated on first
 * use. */
#ifndef STALESIM_EXPERIMENTS_EXPLAIN_H
#define STALESIM_EXPERIMENTS_EXPLAIN_H

#include <stdio.h>
#include <stdint.h>

#include "models/trace.h"

typedef struct explainer explainer;

/* Captures up to `wanted` stale reads among keys 0..nkeys-1, ignoring reads
 * invoked before `warmup` and, when only_cause >= 0, reads of another cause
 * (as of the read).  Returns NULL on ENOMEM. */
explainer *explainer_create(uint32_t nkeys, unsigned wanted, sim_time warmup,
                            int only_cause);
void explainer_destroy(explainer *e);

/* The tracer (pass with the explainer as ctx to world_set_tracer). */
void explainer_trace(void *ctx, const trace_rec *rec);

/* 1 once `wanted` stale reads are captured. */
int explainer_done(const explainer *e);
unsigned explainer_count(const explainer *e);
/* 1 if a step could not be recorded for lack of memory. */
int explainer_failed(const explainer *e);

/* One step of a captured timeline and the state after it, reconstructed from
 * the steps (read-only). */
typedef struct explain_step {
    trace_rec rec;
    uint32_t db_after;    /* the DB's version after this step */
    uint32_t cache_after; /* the cache's version after it, if present */
    uint8_t cached_after; /* 1 if the cache held the key after it */
    /* The copy that answered the story's stale read, when it is not the
     * shared cache or the DB (a local instance, a replica, the DB behind a
     * write-behind cache): */
    uint8_t copy_known;   /* 1 once a step told what it held */
    uint8_t copy_held;    /* 1 if it held the key after this step */
    uint32_t copy_after;  /* its version after this step, if held */
} explain_step;

/* 1 if step r is about the copy named by `served` (a READ_DONE): the
 * same local instance or replica, or the DB behind a write-behind cache. */
int explain_same_copy(const trace_rec *r, const trace_rec *served);
/* 1 if the copy that answered `read` is neither the shared cache nor the
 * DB: then the story tracks it in copy_* above. */
int explain_tracks_copy(const trace_rec *read);

/* The steps of captured stale read i (0 <= i < explainer_count), oldest
 * first, the stale read last; *n gets their number.  Owned by e. */
const explain_step *explainer_story(const explainer *e, unsigned i,
                                    unsigned *n);

/* Prints the captured timelines.  Returns 0, or -1 if writing failed. */
int explainer_print(const explainer *e, FILE *out);

#endif
