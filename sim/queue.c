/* The pending-event set: a 4-ary min-heap of event records held by value.
 *
 * Why 4-ary: a pop walks log4(n) levels instead of log2(n), and the four
 * children of a node are adjacent (128 contiguous bytes), so a level costs
 * one burst of cache lines rather than a scattered load per compare.  With
 * the few thousand pending events a replication typically holds, the whole
 * heap stays in L1/L2; a pop is then bound by the chain of dependent levels,
 * which is why the child selection below is written to avoid branches.
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
    return x->at < y->at || (x->at == y->at && x->seq < y->seq);
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
static inline size_t earliest_of_four(const sim_event *h, size_t first,
                                      sim_time *at) {
    const sim_event *c = &h[first];
    sim_time t0 = c[0].at, t1 = c[1].at, t2 = c[2].at, t3 = c[3].at;
    const sim_event *x = t1 < t0 ? &c[1] : &c[0];
    const sim_event *y = t3 < t2 ? &c[3] : &c[2];
    sim_time tx = t1 < t0 ? t1 : t0;
    sim_time ty = t3 < t2 ? t3 : t2;
    if ((t0 == t1) | (t2 == t3) | (tx == ty)) {
        x = event_before(&c[1], &c[0]) ? &c[1] : &c[0];
        y = event_before(&c[3], &c[2]) ? &c[3] : &c[2];
        const sim_event *w = event_before(y, x) ? y : x;
        *at = w->at;
        return (size_t)(w - h);
    }
    *at = ty < tx ? ty : tx;
    return (size_t)((ty < tx ? y : x) - h);
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
     * while its earliest child fires before it. */
    const sim_event last = h[n];
    size_t i = 0;
    for (;;) {
        size_t first = QUEUE_ARITY * i + 1;
        size_t c;
        sim_time c_at;
        if (first + QUEUE_ARITY <= n) {
            c = earliest_of_four(h, first, &c_at);
        } else if (first < n) {
            c = earliest_of_few(h, first, n - first);
            c_at = h[c].at;
        } else {
            break;
        }
        /* Stop once the child does not fire before `last` (seqs are unique,
         * so equal times are settled by seq). */
        if (c_at > last.at || (c_at == last.at && h[c].seq > last.seq)) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = last;
    return 1;
}
