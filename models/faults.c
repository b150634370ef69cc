/* Fault draws.  A probability of exactly 0 draws nothing, so fault-free runs
 * leave the FAULTS stream untouched. */
#include "models/faults.h"

static int happens(double p, const sim_rng *r) {
    return p > 0 && gsl_rng_uniform(sim_rng_stream(r, SIM_STREAM_FAULTS)) < p;
}

fault_outcome faults_del(const scenario *sc, const sim_rng *r) {
    double pf = sc->faults.del_fail, pt = sc->faults.del_timeout;
    if (pf <= 0 && pt <= 0) return FAULT_OK;
    double u = gsl_rng_uniform(sim_rng_stream(r, SIM_STREAM_FAULTS));
    if (u < pf) return FAULT_FAIL;
    if (u < pf + pt)
        return happens(sc->faults.del_timeout_applies, r)
                   ? FAULT_TIMEOUT_APPLIED
                   : FAULT_TIMEOUT_LOST;
    return FAULT_OK;
}

fault_outcome faults_set(const scenario *sc, const sim_rng *r) {
    return happens(sc->faults.set_fail, r) ? FAULT_FAIL : FAULT_OK;
}

int faults_crash_after_commit(const scenario *sc, const sim_rng *r) {
    return happens(sc->faults.crash_after_commit, r);
}
