/* Faults: what can go wrong with one remote operation.
 *
 * Each draw comes from the FAULTS stream so that fault rates can change
 * without disturbing arrivals or latencies.  A DEL has one of four outcomes:
 * it succeeds; it fails (the caller sees an error, nothing is deleted); or it
 * times out at the caller, who gives up after the scenario's timeout, and the
 * delete then either still takes effect at its normal time
 * (del_timeout_applies) or never does (the request was lost).  A SET fails
 * with set_fail (no effect).  A writer crashes between its commit and its
 * invalidation with crash_after_commit. */
#ifndef STALESIM_MODELS_FAULTS_H
#define STALESIM_MODELS_FAULTS_H

#include "models/scenario.h"
#include "sim/rng.h"

typedef enum fault_outcome {
    FAULT_OK,
    FAULT_FAIL,            /* error; no effect */
    FAULT_TIMEOUT_APPLIED, /* caller times out; the effect still happens */
    FAULT_TIMEOUT_LOST     /* caller times out; no effect ever */
} fault_outcome;

fault_outcome faults_del(const scenario *sc, const sim_rng *r);
fault_outcome faults_set(const scenario *sc, const sim_rng *r);
/* 1 if the writer dies right after its commit. */
int faults_crash_after_commit(const scenario *sc, const sim_rng *r);

#endif
