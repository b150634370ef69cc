/* The simulation kernel: clock, pending-event set and run loop.
 *
 * The run loop is deliberately small: take the earliest event, check the
 * clock does not go back, advance the clock, hand the event to the model's
 * dispatch function.  Everything a model does happens inside that function,
 * including scheduling further events (zero-delay ones too: they get a later
 * seq than anything already pending at `now`, so they run after those).
 *
 * Memory exhaustion in sim_schedule_at is recorded in `failed` rather than
 * returned, so handlers need not check every schedule; the run loop notices
 * it after the handler returns and stops with -1. */
#include "sim/sim.h"

int sim_init(sim *s, size_t cap_hint) {
    s->now = 0;
    s->events = 0;
    s->failed = 0;
    s->stopping = 0;
    s->lane_pending = 0;
    return sim_queue_init(&s->queue, cap_hint);
}

void sim_fini(sim *s) { sim_queue_fini(&s->queue); }

void sim_schedule_at(sim *s, sim_time at, uint32_t type, uint32_t a,
                     uint64_t b) {
    SIM_CHECK(at >= s->now,
              "event type %u at %lld ns scheduled before now %lld ns",
              (unsigned)type, (long long)at, (long long)s->now);
    if (sim_queue_push(&s->queue, at, type, a, b) != 0) s->failed = 1;
}

void sim_schedule_lane(sim *s, sim_time at, uint32_t type, uint32_t a,
                       uint64_t b) {
    SIM_CHECK(at >= s->now && !s->lane_pending,
              "lane event type %u at %lld ns (now %lld ns, one pending: %d)",
              (unsigned)type, (long long)at, (long long)s->now,
              s->lane_pending);
    s->lane = (sim_event){
        .at = at, .seq = s->queue.next_seq++, .type = type, .a = a, .b = b};
    s->lane_pending = 1;
}

int sim_run(sim *s, sim_time until, sim_dispatch fn, void *model) {
    sim_event ev;
    while (!s->failed) {
        const sim_event *next = sim_queue_peek(&s->queue);
        if (s->lane_pending && (!next || sim_event_before(&s->lane, next))) {
            if (s->lane.at > until) break;
            ev = s->lane; /* the lane's event comes first */
            s->lane_pending = 0;
        } else {
            if (!next || next->at > until) break;
            sim_queue_pop(&s->queue, &ev);
        }
        SIM_CHECK(ev.at >= s->now,
                  "clock going back from %lld ns to %lld ns (event type %u)",
                  (long long)s->now, (long long)ev.at, (unsigned)ev.type);
        s->now = ev.at;
        s->events++;
        fn(model, s, &ev);
        if (s->stopping) {
            s->stopping = 0;
            return s->failed ? -1 : 0;
        }
    }
    if (s->failed) return -1;
    if (until != SIM_TIME_MAX && s->now < until) s->now = until;
    return 0;
}
