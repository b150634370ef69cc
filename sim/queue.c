/* The pending-event set: a 4-ary min-heap of event records held by value.
 *
 * Why 4-ary: a pop walks log4(n) levels instead of log2(n), and the four
 * children of a node are adjacent (128 contiguous bytes), so a level costs
 * one burst of cache lines rather than a scattered load per compare.  With
 * the few thousand pending events a replication typically holds, the whole
 * heap stays in L1/L2; a pop is then bound by the chain of dependent levels,
 * which is why the child selection (queue.h) is written to avoid branches.
 *
 * Layout: the children of slot i are 4i+1 .. 4i+4; its parent is (i-1)/4.
 * Order: `at` first, then `seq` (push order), so equal times leave FIFO.
 *
 * Both sifts use the "hole" technique: the moving record is held aside and
 * the records it passes are shifted into the hole one copy each, instead of
 * swapping at every level.
 *
 * Memory: one array, doubled with realloc when full; a push never allocates
 * otherwise and the array never shrinks before sim_queue_fini.
 *
 * Push and pop are inline in queue.h (every event takes one of each: the
 * kernel's run loop and sim_schedule_at inline them); this file holds the
 * rest. */
#include "sim/queue.h"

#include <stdlib.h>

#define QUEUE_DEFAULT_CAP 1024

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

int sim_queue_grow(sim_queue *q) {
    size_t cap = q->cap ? q->cap : QUEUE_DEFAULT_CAP / 2;
    if (cap > SIZE_MAX / 2 / sizeof *q->heap) return -1;
    cap *= 2;
    sim_event *heap = realloc(q->heap, cap * sizeof *heap);
    if (!heap) return -1;
    q->heap = heap;
    q->cap = cap;
    return 0;
}

