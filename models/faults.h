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

/* Draws at the scenario's true probabilities. */
fault_outcome faults_del(const scenario *sc, const sim_rng *r);
fault_outcome faults_set(const scenario *sc, const sim_rng *r);
/* 1 if the writer dies right after its commit. */
int faults_crash_after_commit(const scenario *sc, const sim_rng *r);

/* The same draws at the probabilities boosted by sc->rare_boost
 * (models/rare.h; the true ones when it is <= 1, with the same use of the
 * stream).  *lr receives the likelihood ratio p/p' of the outcome drawn when
 * it is a fault (a failed or timed-out DEL, a failed SET, a crash), 1
 * otherwise.  del_timeout_applies is not boosted.  A DEL before its commit
 * (delete-before-write) is drawn boosted too; its caller keeps the ratio
 * for the commit (models/cache_aside.c).  faults_set_lr is for a
 * writer's update-SET, whose failure leaves a stale value; fills use
 * faults_set. */
fault_outcome faults_del_lr(const scenario *sc, const sim_rng *r, double *lr);
fault_outcome faults_set_lr(const scenario *sc, const sim_rng *r, double *lr);
int faults_crash_after_commit_lr(const scenario *sc, const sim_rng *r,
                                 double *lr);
/* A lost bus message (local.bus_loss), boosted the same way. */
int faults_bus_lost_lr(const scenario *sc, const sim_rng *r, double *lr);

#endif
