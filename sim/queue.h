/* The pending-event set: an array-backed 4-ary min-heap of event records.
 *
 * Ordering: by time `at`, then by `seq`, the order in which events were pushed.
 * Events at the same instant therefore leave in FIFO order, which is what makes
 * a run deterministic.  Records are stored by value in one growable array: a
 * push allocates only when the array doubles, never per event.
 *
 * The payload (`type`, `a`, `b`) is opaque to the queue; models use `type` to
 * pick a handler and `a`/`b` for a request slot, a key, or a step. */
#ifndef STALESIM_SIM_QUEUE_H
#define STALESIM_SIM_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/simtime.h"

typedef struct sim_event {
    sim_time at;   /* ns: when the event fires */
    uint64_t seq;  /* push order; breaks ties at equal `at` (FIFO) */
    uint32_t type; /* model-defined event kind */
    uint32_t a;    /* model-defined payload (e.g. request slot) */
    uint64_t b;    /* model-defined payload (e.g. step, key) */
} sim_event;

/* Embedded value type; fields are read-only outside queue.c. */
typedef struct sim_queue {
    sim_event *heap; /* heap[0] is the earliest event */
    size_t len;      /* events pending */
    size_t cap;      /* slots allocated */
    uint64_t next_seq;
} sim_queue;

/* Prepares an empty queue with room for `cap_hint` events (0 picks a default).
 * Returns 0, or -1 if memory is exhausted (the queue is then empty and
 * sim_queue_fini is still safe). */
int sim_queue_init(sim_queue *q, size_t cap_hint);
void sim_queue_fini(sim_queue *q);

/* Adds an event; its `seq` is assigned here.  Returns 0, or -1 if the array
 * could not grow (the queue is unchanged). */
int sim_queue_push(sim_queue *q, sim_time at, uint32_t type, uint32_t a,
                   uint64_t b);

/* Removes the earliest event into *out.  Returns 1, or 0 if the queue is empty. */
int sim_queue_pop(sim_queue *q, sim_event *out);

/* The earliest event, or NULL when empty.  Valid until the next push/pop. */
static inline const sim_event *sim_queue_peek(const sim_queue *q) {
    return q->len ? &q->heap[0] : NULL;
}

static inline size_t sim_queue_len(const sim_queue *q) { return q->len; }

#endif
