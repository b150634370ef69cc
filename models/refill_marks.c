/* Refill marks of boosted cache-emptying events (models/refill_marks.h). */
#include "models/refill_marks.h"

#include <stdlib.h>

refill_marks *refill_marks_create(uint32_t nkeys, int diverged) {
    refill_marks *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->nkeys = nkeys;
    m->mark = calloc(nkeys, 1);
    m->lr = calloc(nkeys, sizeof *m->lr);
    m->copy_lr = calloc(nkeys, sizeof *m->copy_lr);
    int ok = m->mark && m->lr && m->copy_lr;
    if (ok && diverged) {
        m->ghost = calloc(nkeys, sizeof *m->ghost);
        m->ghost_w = calloc(nkeys, sizeof *m->ghost_w);
        m->until = calloc(nkeys, sizeof *m->until);
        ok = m->ghost && m->ghost_w && m->until;
    }
    if (!ok) {
        refill_marks_destroy(m);
        return NULL;
    }
    return m;
}

void refill_marks_destroy(refill_marks *m) {
    if (!m) return;
    free(m->mark);
    free(m->lr);
    free(m->copy_lr);
    free(m->ghost);
    free(m->ghost_w);
    free(m->until);
    free(m);
}

double refill_marks_miss_lr(const refill_marks *m, uint32_t key) {
    return m->mark[key] & (REFILL_EMPTIED | REFILL_LOST) ? m->lr[key] : 1;
}

void refill_marks_crash(refill_marks *m, uint32_t key, uint8_t what,
                        double lr) {
    if (!m->mark[key]) m->lr[key] = lr;
    m->mark[key] |= what;
}

void refill_marks_diverge(refill_marks *m, uint32_t key, double lr,
                          uint32_t ghost, double ghost_w, sim_time until,
                          sim_time now) {
    if (!refill_diverged(m, key, now)) m->lr[key] = lr;
    m->mark[key] |= REFILL_DIVERGED;
    m->ghost[key] = ghost;
    m->ghost_w[key] = ghost_w;
    m->until[key] = until;
}

void refill_marks_filled(refill_marks *m, uint32_t key, double fill_lr,
                         int superseded) {
    m->copy_lr[key] = fill_lr != 1 && superseded ? fill_lr : 0;
    if (fill_lr != 1) m->mark[key] &= (uint8_t)~REFILL_EMPTIED;
}
