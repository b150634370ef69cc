/* The simulation kernel: a clock, the pending-event set and the run loop.
 *
 * The kernel knows nothing of caches.  A model schedules events with a type
 * and payload and hands the run loop one dispatch function that receives every
 * event in (time, seq) order.  Invariants (always checked): the clock never goes
 * back; an event is never scheduled before `now`.
 *
 * Memory exhaustion while growing the queue is an outside fault, not a bug:
 * it sets `failed` and the run loop stops and returns -1 at the next event. */
#ifndef STALESIM_SIM_SIM_H
#define STALESIM_SIM_SIM_H

#include <stdint.h>

#include "sim/check.h"
#include "sim/queue.h"
#include "sim/simtime.h"

typedef struct sim {
    sim_queue queue;
    /* The lane: one event held beside the queue (sim_schedule_lane), with a
     * seq from the queue's counter, so it fires exactly where it would have
     * from the queue; it spares the heap a push and a pop. */
    sim_event lane;
    int lane_pending; /* 1 while `lane` holds an event */
    sim_time now;    /* ns: time of the event being handled */
    uint64_t events; /* events dispatched so far */
    int failed;      /* nonzero once memory ran out */
    int stopping;    /* set by sim_stop: the run loop returns after this event */
} sim;

typedef void (*sim_dispatch)(void *model, sim *s, const sim_event *ev);

/* Returns 0, or -1 if memory is exhausted. */
int sim_init(sim *s, size_t cap_hint);
void sim_fini(sim *s);

static inline sim_time sim_now(const sim *s) { return s->now; }

/* Schedules an event at absolute time `at` (>= now, checked). */
void sim_schedule_at(sim *s, sim_time at, uint32_t type, uint32_t a,
                     uint64_t b);

/* Schedules an event at `at` (>= now, checked) in the lane: for a stream of
 * events of which at most one is ever pending (a workload's next arrival;
 * checked).  It fires in the same (time, seq) order as if it were queued. */
void sim_schedule_lane(sim *s, sim_time at, uint32_t type, uint32_t a,
                       uint64_t b);

/* Schedules an event `delay` ns from now (delay >= 0, checked). */
static inline void sim_schedule(sim *s, sim_time delay, uint32_t type,
                                uint32_t a, uint64_t b) {
    SIM_CHECK(delay >= 0, "delay %lld ns", (long long)delay);
    sim_schedule_at(s, s->now + delay, type, a, b);
}

/* Asks the run loop to return after the current event. */
static inline void sim_stop(sim *s) { s->stopping = 1; }

/* Dispatches events in order while their time is <= `until`.  On return
 * `now` is the time of the last event when stopped by sim_stop; otherwise it
 * is `until` (unless `until` is SIM_TIME_MAX: then the time of the last
 * event).  Events after `until` stay queued.  Returns 0, or -1 if memory ran
 * out. */
int sim_run(sim *s, sim_time until, sim_dispatch fn, void *model);

#endif
