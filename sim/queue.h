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

/* The earliest event, or NULL when empty.  Valid until the next push/pop. */
static inline const sim_event *sim_queue_peek(const sim_queue *q) {
    return q->len ? &q->heap[0] : NULL;
}

static inline size_t sim_queue_len(const sim_queue *q) { return q->len; }

/* Doubles the array (or allocates the default size after a failed init).
 * Returns 0, or -1 with the queue unchanged.  For sim_queue_push. */
int sim_queue_grow(sim_queue *q);

/* ---- push and pop, inline (the implementation notes are in queue.c) ---- */

#define SIM_QUEUE_ARITY 4

/* 1 if x fires before y: earlier time, or same time and pushed earlier. */
static inline int sim_event_before(const sim_event *x, const sim_event *y) {
    return x->at < y->at || (x->at == y->at && x->seq < y->seq);
}

/* Adds an event; its `seq` is assigned here.  Returns 0, or -1 if the array
 * could not grow (the queue is unchanged). */
static inline int sim_queue_push(sim_queue *q, sim_time at, uint32_t type,
                                 uint32_t a, uint64_t b) {
    if (q->len == q->cap && sim_queue_grow(q) != 0) return -1;
    sim_event ev = {
        .at = at, .seq = q->next_seq++, .type = type, .a = a, .b = b};

    /* Sift up.  The new record has the largest seq in the heap, so it passes
     * a parent only if that parent fires strictly later: comparing `at` is
     * enough. */
    sim_event *h = q->heap;
    size_t i = q->len++;
    while (i > 0) {
        size_t parent = (i - 1) / SIM_QUEUE_ARITY;
        if (h[parent].at <= ev.at) break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = ev;
    return 0;
}

/* Index of the earliest of the four children starting at `first`; its time
 * goes to *at.
 *
 * This is the hot spot of the whole simulator: a pop runs it once per level,
 * and each level waits on the previous one.  Which child wins is a coin toss
 * the branch predictor cannot learn, so the fast path picks the winner with
 * selects (conditional moves) on `at` alone, as a two-round tournament, and
 * carries the winning time along instead of reloading it.  That is exact
 * whenever the compared times differ; if any compared pair ties (rare with
 * continuous delays, common in scripted timelines), the full (at, seq)
 * comparison decides instead. */
static inline size_t sim_queue_earliest_of_four(const sim_event *h,
                                                size_t first, sim_time *at) {
    const sim_event *c = &h[first];
    sim_time t0 = c[0].at, t1 = c[1].at, t2 = c[2].at, t3 = c[3].at;
    const sim_event *x = t1 < t0 ? &c[1] : &c[0];
    const sim_event *y = t3 < t2 ? &c[3] : &c[2];
    sim_time tx = t1 < t0 ? t1 : t0;
    sim_time ty = t3 < t2 ? t3 : t2;
    if ((t0 == t1) | (t2 == t3) | (tx == ty)) {
        x = sim_event_before(&c[1], &c[0]) ? &c[1] : &c[0];
        y = sim_event_before(&c[3], &c[2]) ? &c[3] : &c[2];
        const sim_event *w = sim_event_before(y, x) ? y : x;
        *at = w->at;
        return (size_t)(w - h);
    }
    *at = ty < tx ? ty : tx;
    return (size_t)((ty < tx ? y : x) - h);
}

/* Index of the earliest among the `n` children starting at `first`
 * (1 <= n <= 3: the last, partly filled family). */
static inline size_t sim_queue_earliest_of_few(const sim_event *h,
                                               size_t first, size_t n) {
    size_t best = first;
    for (size_t j = first + 1; j < first + n; j++)
        if (sim_event_before(&h[j], &h[best])) best = j;
    return best;
}

/* Removes the earliest event into *out.  Returns 1, or 0 if the queue is
 * empty.
 *
 * Sift down bottom-up (Floyd): the hole left at the root moves down along
 * the earliest children to a leaf without comparing them with the record
 * that will fill it (the last one, which usually belongs near the bottom),
 * then that record moves up from the leaf to its place.  Every key (at, seq)
 * is unique, so the heap pops the same order whatever its shape. */
static inline int sim_queue_pop(sim_queue *q, sim_event *out) {
    if (q->len == 0) return 0;
    sim_event *h = q->heap;
    *out = h[0];
    size_t n = --q->len;
    if (n == 0) return 1;

    const sim_event last = h[n];
    size_t i = 0, first = 1;
    sim_time c_at;
    while (first + SIM_QUEUE_ARITY <= n) {
        size_t c = sim_queue_earliest_of_four(h, first, &c_at);
        h[i] = h[c];
        i = c;
        first = SIM_QUEUE_ARITY * i + 1;
    }
    if (first < n) {
        size_t c = sim_queue_earliest_of_few(h, first, n - first);
        h[i] = h[c];
        i = c;
    }
    /* Up from the leaf: past every parent that fires after `last`. */
    while (i > 0) {
        size_t parent = (i - 1) / SIM_QUEUE_ARITY;
        if (!sim_event_before(&last, &h[parent])) break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = last;
    return 1;
}

#endif
