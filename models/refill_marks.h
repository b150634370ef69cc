/* Refill marks (--rare; models/rare.h, docs/rare-events.md): per key, what
 * a boosted Poisson event that empties the shared cache left behind, so
 * that what the refills of those keys do weighs the event's likelihood
 * ratio w = lambda / lambda'.  Two events use them:
 *
 *   a write-behind crash (models/write_behind.c) marks every key it empties
 *   REFILL_EMPTIED and every key whose queued write it loses REFILL_LOST.
 *   A read that misses a marked key starts a fill carrying w
 *   (request.rare_lr); a fill carrying w that stores clears EMPTIED; a
 *   write of the key clears both.
 *
 *   a cache outage (models/world.c, the cache-aside family) marks every key
 *   whose shared copy it empties REFILL_DIVERGED: without the outage the
 *   cache would still hold `ghost` (that copy's version) until `until` (its
 *   expiry).  Every read of a diverged key weighs w when stale, and the
 *   read the cache would have served instead (a hit of the ghost) is
 *   counted with 1 - w when the ghost was stale (oracle_counterfactual), so
 *   the estimate keeps the stale hits the outage took away.  Keys a read or
 *   a fill would have cached during the outage diverge too.  The mark ends
 *   when the key's copy is again what it would have been: a DEL lands (or
 *   would have: one the outage failed), an update-SET stores, the ghost
 *   expires.
 *
 * In both, a fill carrying w that stores a value already superseded leaves
 * a copy of ratio w (copy_lr): every stale read of it weighs w, until the
 * copy is replaced.  Allocated only under --rare with such an event
 * boosted: 17 bytes a key (crashes), 37 (outages: ghost, its weight and
 * its expiry). */
#ifndef STALESIM_MODELS_REFILL_MARKS_H
#define STALESIM_MODELS_REFILL_MARKS_H

#include <stdint.h>

#include "sim/simtime.h"

enum {
    REFILL_EMPTIED = 1, /* a crash emptied the key's copy; no fill carrying
                           its ratio has stored one since */
    REFILL_LOST = 2,    /* a crash lost a queued write of the key, none
                           written since: the DB is behind */
    REFILL_DIVERGED = 4 /* an outage: the cache would hold ghost until
                           `until` without it */
};

typedef struct refill_marks {
    uint8_t *mark;    /* REFILL_* bits; 0: as without the events */
    double *lr;       /* the ratio of the event that set the mark */
    double *copy_lr;  /* the ratio of the fill that stored the cached copy
                         superseded; 0: none */
    uint32_t *ghost;  /* DIVERGED: the version the cache would hold */
    double *ghost_w;  /* DIVERGED: the weight a stale read of the ghost would
                         take (the ratios of the boosted faults and events
                         that keep it stale; 1: none) */
    sim_time *until;  /* DIVERGED: when that copy would expire (ns) */
    uint32_t nkeys;
} refill_marks;

/* Marks for nkeys keys; `diverged` also allocates ghost and until (for
 * outages).  NULL when memory ran out. */
refill_marks *refill_marks_create(uint32_t nkeys, int diverged);
void refill_marks_destroy(refill_marks *m);

/* 1 if key is DIVERGED at `now` (the ghost has not expired). */
static inline int refill_diverged(const refill_marks *m, uint32_t key,
                                  sim_time now) {
    return (m->mark[key] & REFILL_DIVERGED) && now < m->until[key];
}

/* The ratio a miss of key takes from a crash's marks (EMPTIED, LOST), or 1.
 * A DIVERGED key's ratio is taken when a read starts, not at its miss
 * (models/outage.c). */
double refill_marks_miss_lr(const refill_marks *m, uint32_t key);

/* Marks key `what` (REFILL_EMPTIED, REFILL_LOST) for an event of ratio lr;
 * a key already marked keeps the ratio it has (the earlier event's). */
void refill_marks_crash(refill_marks *m, uint32_t key, uint8_t what,
                        double lr);

/* Marks key DIVERGED for an event of ratio lr: without it the cache would
 * hold ghost until `until`, and a stale read of it would weigh ghost_w.  A
 * key still diverged keeps its ratio (the earlier event's) and takes the
 * new ghost (what the cache would hold now, given that earlier event
 * alone). */
void refill_marks_diverge(refill_marks *m, uint32_t key, double lr,
                          uint32_t ghost, double ghost_w, sim_time until,
                          sim_time now);

/* Key's copy is again what it would be without the events: DIVERGED ends. */
static inline void refill_marks_aligned(refill_marks *m, uint32_t key) {
    m->mark[key] &= (uint8_t)~REFILL_DIVERGED;
}

/* A fill carrying fill_lr (1: none) stored key's copy; `superseded`: what it
 * stored was older than the latest commit. */
void refill_marks_filled(refill_marks *m, uint32_t key, double fill_lr,
                         int superseded);

/* Key's copy was stored by anything but a fill (an update, a refresh, a
 * write-behind commit): it carries no ratio. */
static inline void refill_marks_replaced(refill_marks *m, uint32_t key) {
    m->copy_lr[key] = 0;
}

/* Key was written through the cache (write-behind): the cache holds the
 * latest and the DB will get it; every mark ends. */
static inline void refill_marks_written(refill_marks *m, uint32_t key) {
    m->mark[key] = 0;
    m->copy_lr[key] = 0;
}

#endif
