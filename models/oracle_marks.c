/* The oracle's importance-sampling marks (oracle_fault_mark, models/rare.h):
 * which stale reads weigh the likelihood ratio of the boosted faults that
 * kept their window open. */
#include <stdlib.h>
#include <string.h>

#include "models/oracle_internal.h"
#include "sim/check.h"

fault_mark *oracle_mark_find(oracle *o, uint64_t id, int insert) {
    if (!o->marks) return NULL;
    size_t mask = o->marks_cap - 1;
    for (size_t i = oracle_mix64(id) & mask;; i = (i + 1) & mask) {
        if (o->marks[i].id == id) return &o->marks[i];
        if (o->marks[i].id == ACK_EMPTY) {
            if (!insert) return NULL;
            memset(&o->marks[i], 0, sizeof o->marks[i]);
            o->marks[i].id = id;
            o->nmarks++;
            return &o->marks[i];
        }
    }
}

/* Room for one more mark; -1 (o->failed set) when memory ran out. */
static int marks_reserve(oracle *o) {
    if ((o->nmarks + 1) * 2 <= o->marks_cap) return 0;
    size_t old_cap = o->marks_cap, cap = old_cap ? 2 * old_cap : 64;
    fault_mark *old = o->marks, *n = malloc(cap * sizeof *n);
    if (!n) {
        o->failed = 1;
        return -1;
    }
    for (size_t i = 0; i < cap; i++) n[i].id = ACK_EMPTY;
    o->marks = n;
    o->marks_cap = cap;
    o->nmarks = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].id != ACK_EMPTY) *oracle_mark_find(o, old[i].id, 1) = old[i];
    free(old);
    return 0;
}

/* The weight of a stale read of `version` served at t from copy state c
 * (whose open window holds it) of (key, copy); *overlap set when the weight
 * chains faults of different commits. */
double oracle_mark_weight(oracle *o, uint32_t key, uint32_t copy,
                          const copy_state *c, uint32_t version, sim_time t,
                          int *overlap) {
    *overlap = 0;
    fault_mark *m = o->nmarks ? oracle_mark_find(o, (uint64_t)key << 32 | copy, 0)
                              : NULL;
    if (!m) return 1;
    if (version < m->v && t >= m->from && c->window_at <= m->from) {
        *overlap = m->overlap;
        return m->w;
    }
    if (m->prev_v && version < m->prev_v && t >= m->prev_from &&
        c->window_at <= m->prev_from) {
        *overlap = m->prev_overlap;
        return m->prev_w;
    }
    return 1;
}

void oracle_mark_set(oracle *o, uint32_t key, uint32_t copy,
                     const copy_state *c, uint32_t version, sim_time from,
                     double lr, uint64_t event) {
    if (marks_reserve(o) != 0) return;
    fault_mark *m = oracle_mark_find(o, (uint64_t)key << 32 | copy, 1);
    /* The previous mark still holds while the copy keeps a value older than
     * its commit, in a window it covers. */
    int holds = m->v && c && c->present && c->version < m->v &&
                c->window_at <= m->from;
    if (holds && event != 0 && m->event == event) {
        /* The same Poisson event loses a later commit's invalidation of a
         * copy it already keeps stale: one event, one ratio, no overlap;
         * the reads keep the weight they have from the first mark on. */
        if (version > m->v) m->v = version;
        return;
    }
    m->event = event;
    if (holds) {
        int overlap = m->v != version;
        o->counts.overlaps += (uint64_t)overlap;
        m->prev_from = m->from;
        m->prev_w = m->w;
        m->prev_v = m->v;
        m->prev_overlap = m->overlap;
        m->w *= lr;
        m->overlap = (uint8_t)(m->overlap || overlap);
        if (version > m->v) m->v = version;
    } else {
        m->prev_v = 0;
        m->w = lr;
        m->overlap = 0;
        m->v = version;
    }
    m->from = from;
}

void oracle_fault_mark(oracle *o, uint32_t key, uint32_t copy,
                       uint32_t version, sim_time now, sim_time from,
                       double lr) {
    SIM_CHECK(key < o->nkeys && copy != ORACLE_SOURCE && copy < o->ncopies,
              "mark of key %u copy %u", key, copy);
    SIM_CHECK(from >= now && lr > 0, "mark from %lld at %lld, ratio %g",
              (long long)from, (long long)now, lr);
    if (o->failed) return;
    copy_state *c = oracle_copy_state(o, key, copy);
    if (c) oracle_settle(o, c, now);
    o->counts.fault_marks++;
    oracle_mark_set(o, key, copy, c, version, from, lr, 0);
}

void oracle_fault_mark_event(oracle *o, uint32_t key, uint32_t copy,
                             uint32_t version, sim_time now, sim_time from,
                             double lr, uint64_t event) {
    SIM_CHECK(key < o->nkeys && copy != ORACLE_SOURCE && copy < o->ncopies,
              "mark of key %u copy %u", key, copy);
    SIM_CHECK(from >= now && lr > 0 && event != 0,
              "mark from %lld at %lld, ratio %g, event %llu", (long long)from,
              (long long)now, lr, (unsigned long long)event);
    if (o->failed) return;
    copy_state *c = oracle_copy_state(o, key, copy);
    if (c) oracle_settle(o, c, now);
    oracle_mark_set(o, key, copy, c, version, from, lr, event);
}

void oracle_fault_event(oracle *o) {
    if (!o->failed) o->counts.fault_marks++;
}

void oracle_counterfactual(oracle *o, uint32_t key, sim_time invoked,
                           uint32_t version, double weight) {
    SIM_CHECK(key < o->nkeys, "key %u", key);
    if (o->failed || invoked < o->warmup || weight == 0) return;
    key_history *h = &o->keys[key].hist;
    if (version >= h->latest) return;
    sim_time superseded = commit_time(h, version + 1);
    if (superseded > invoked) return; /* fresh, or concurrent at most */
    sim_time age = invoked - superseded;
    o->counts.stale_w += weight;
    o->counts.stale_w2 += weight * weight;
    o->counts.over_bound_w += age > o->bound ? weight : 0;
    if (o->nfam) {
        oracle_family *fam = &o->fam[o->key_family[key]];
        fam->counts.stale_w += weight;
        fam->counts.stale_w2 += weight * weight;
        fam->counts.over_bound_w += age > fam->bound ? weight : 0;
    }
}

void oracle_fault_overlap(oracle *o) {
    if (!o->failed) o->counts.overlaps++;
}

double oracle_copy_weight(oracle *o, uint32_t key, uint32_t copy,
                          sim_time now) {
    SIM_CHECK(key < o->nkeys && copy != ORACLE_SOURCE && copy < o->ncopies,
              "weight of key %u copy %u", key, copy);
    if (o->failed || !o->nmarks) return 1;
    copy_state *c = oracle_copy_state(o, key, copy);
    if (!c) return 1;
    oracle_settle(o, c, now);
    if (!c->present || !c->window) return 1;
    int overlap;
    return oracle_mark_weight(o, key, copy, c, c->version, SIM_TIME_MAX,
                              &overlap);
}
