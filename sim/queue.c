/* The pending-event set: a 4-ary min-heap of event records held by value.
 *
 * Why 4-ary: a pop walks log4(n) levels instead of log2(n), and the four
 * children of a node are adjacent (4 x 32 bytes), so each level costs one or
 * two cache lines and a few well-predicted compares.  With the few thousand
 * pending events a replication typically holds, the whole heap stays in L1/L2.
 *
 * Layout: the children of slot i are 4i+1 .. 4i+4; its parent is (i-1)/4.
 * Order: `at` first, then `seq` (push order), so equal times leave FIFO.
 *
 * Both sifts use the "hole" technique: the moving record is held aside and
 * the records it passes are shifted into the hole one copy each, instead of
 * swapping at every level.
 *
 * Memory: one array, doubled with realloc when full; a push never allocates
 * otherwise and the array never shrinks before sim_queue_fini. */
#include "sim/queue.h"

#include <stdlib.h>

#define QUEUE_DEFAULT_CAP 1024
#define QUEUE_ARITY 4

/* 1 if x fires before y: earlier time, or same time and pushed earlier. */
static inline int event_before(const sim_event *x, const sim_event *y) {
    return (x->at < y->at) | ((x->at == y->at) & (x->seq < y->seq));
}

int sim_queue_init(sim_queue *q, size_t cap_hint) {
    size_t cap = cap_hint ? cap_hint : QUEUE_DEFAULT_CAP;
    q->len = 0;
    q->next_seq = 0;
    q->heap = cap <= SIZE_MAX / sizeof *q->heap
                  ? malloc(cap * sizeof *q->heap)
                  : NULL;
    q->cap = q->heap ? cap : 0;
    return q->heap ? 0 : -1;
}

void sim_queue_fini(sim_queue *q) {
    free(q->heap);
    q->heap = NULL;
    q->len = q->cap = 0;
}

/* Doubles the array (or allocates the default size after a failed init).
 * Returns 0, or -1 with the queue unchanged. */
static int queue_grow(sim_queue *q) {
    size_t cap = q->cap ? q->cap : QUEUE_DEFAULT_CAP / 2;
    if (cap > SIZE_MAX / 2 / sizeof *q->heap) return -1;
    cap *= 2;
    sim_event *heap = realloc(q->heap, cap * sizeof *heap);
    if (!heap) return -1;
    q->heap = heap;
    q->cap = cap;
    return 0;
}

int sim_queue_push(sim_queue *q, sim_time at, uint32_t type, uint32_t a,
                   uint64_t b) {
    if (q->len == q->cap && queue_grow(q) != 0) return -1;
    sim_event ev = {
        .at = at, .seq = q->next_seq++, .type = type, .a = a, .b = b};

    /* Sift up.  The new record has the largest seq in the heap, so it passes
     * a parent only if that parent fires strictly later: comparing `at` is
     * enough. */
    sim_event *h = q->heap;
    size_t i = q->len++;
    while (i > 0) {
        size_t parent = (i - 1) / QUEUE_ARITY;
        if (h[parent].at <= ev.at) break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = ev;
    return 0;
}

/* Index of the earliest of the four children starting at `first`, picked as
 * a two-round tournament so the compiler can use conditional moves: which
 * child wins is a coin toss the branch predictor cannot learn. */
static inline size_t earliest_of_four(const sim_event *h, size_t first) {
    size_t x = first + (size_t)event_before(&h[first + 1], &h[first]);
    size_t y = first + 2 + (size_t)event_before(&h[first + 3], &h[first + 2]);
    size_t y_wins = (size_t)event_before(&h[y], &h[x]);
    return x + ((y - x) & (0 - y_wins));
}

/* Index of the earliest among the `n` children starting at `first`
 * (1 <= n <= 3: the last, partly filled family). */
static size_t earliest_of_few(const sim_event *h, size_t first, size_t n) {
    size_t best = first;
    for (size_t j = first + 1; j < first + n; j++)
        if (event_before(&h[j], &h[best])) best = j;
    return best;
}

int sim_queue_pop(sim_queue *q, sim_event *out) {
    if (q->len == 0) return 0;
    sim_event *h = q->heap;
    *out = h[0];
    size_t n = --q->len;
    if (n == 0) return 1;

    /* Sift down: the last record fills the hole left at the root, moving down
     * while some child fires before it. */
    const sim_event last = h[n];
    size_t i = 0;
    for (;;) {
        size_t first = QUEUE_ARITY * i + 1;
        size_t c;
        if (first + QUEUE_ARITY <= n)
            c = earliest_of_four(h, first);
        else if (first < n)
            c = earliest_of_few(h, first, n - first);
        else
            break;
        if (!event_before(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = last;
    return 1;
}
