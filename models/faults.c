/* Fault draws.  A probability of exactly 0 draws nothing, so fault-free runs
 * leave the FAULTS stream untouched.  The boosted draws (the _lr variants)
 * use the stream exactly as the plain ones do, so a boost of 1 gives the
 * plain run. */
#include "models/faults.h"

#include "models/rare.h"
#include "sim/mt19937.h"

/* 1 with probability p; with boost b the draw is made at p' = rare_prob(p,
 * b) and *lr is p/p' on a fault (1 otherwise). */
static int happens_boosted(double p, double boost, const sim_rng *r,
                           double *lr) {
    *lr = 1;
    if (p <= 0) return 0;
    double q = rare_prob(p, boost);
    if (sim_rng_uniform(sim_rng_stream(r, SIM_STREAM_FAULTS)) >= q) return 0;
    *lr = p / q;
    return 1;
}

static int happens(double p, const sim_rng *r) {
    double lr;
    return happens_boosted(p, 1, r, &lr);
}

static fault_outcome del_draw(const scenario *sc, const sim_rng *r,
                              double boost, double *lr) {
    double pf = sc->faults.del_fail, pt = sc->faults.del_timeout;
    *lr = 1;
    if (pf <= 0 && pt <= 0) return FAULT_OK;
    double qf = rare_prob(pf, boost), qt = rare_prob(pt, boost);
    double u = sim_rng_uniform(sim_rng_stream(r, SIM_STREAM_FAULTS));
    if (u < qf) {
        *lr = pf / qf;
        return FAULT_FAIL;
    }
    if (u < qf + qt) {
        *lr = pt / qt;
        return happens(sc->faults.del_timeout_applies, r)
                   ? FAULT_TIMEOUT_APPLIED
                   : FAULT_TIMEOUT_LOST;
    }
    return FAULT_OK;
}

fault_outcome faults_del(const scenario *sc, const sim_rng *r) {
    double lr;
    return del_draw(sc, r, 1, &lr);
}

fault_outcome faults_set(const scenario *sc, const sim_rng *r) {
    return happens(sc->faults.set_fail, r) ? FAULT_FAIL : FAULT_OK;
}

int faults_crash_after_commit(const scenario *sc, const sim_rng *r) {
    return happens(sc->faults.crash_after_commit, r);
}

fault_outcome faults_del_lr(const scenario *sc, const sim_rng *r, double *lr) {
    return del_draw(sc, r, sc->rare_boost, lr);
}

fault_outcome faults_set_lr(const scenario *sc, const sim_rng *r, double *lr) {
    return happens_boosted(sc->faults.set_fail, sc->rare_boost, r, lr)
               ? FAULT_FAIL
               : FAULT_OK;
}

int faults_crash_after_commit_lr(const scenario *sc, const sim_rng *r,
                                 double *lr) {
    return happens_boosted(sc->faults.crash_after_commit, sc->rare_boost, r,
                           lr);
}

int faults_bus_lost_lr(const scenario *sc, const sim_rng *r, double *lr) {
    return happens_boosted(sc->local.bus_loss, sc->rare_boost, r, lr);
}
