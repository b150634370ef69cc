/* Rare-event estimation by importance sampling of fault draws
 * (docs/rare-events.md).
 *
 * With a boost b > 1 (scenario field rare_boost, set by --rare or --boost,
 * never by a key), every Bernoulli fault draw whose outcome can open or
 * extend a stale window is drawn with probability p' = min(b p, RARE_P_MAX)
 * instead of p: a DEL that fails or times out, a writer crashing after its
 * commit, a writer's update-SET failing, a lost invalidation message on the
 * bus.  A fault that happens carries the likelihood ratio p / p' of its
 * draw; the world tells the oracle which copy of which key the fault leaves
 * stale and from when (the instant the invalidation would have taken
 * effect), and every stale read that copy serves from that window on is
 * weighted by that ratio (by the product of the ratios when several faults
 * kept the same window open).  Every other stale read weighs 1.  The
 * weighted stale count over the reads is then an unbiased estimate of the
 * stale-read fraction at the true probabilities, up to the terms the
 * estimator leaves out: the ratios (1-p)/(1-p') of draws that did not fail
 * (a relative bias of order p', at most about RARE_AUTO_SHARE with the
 * automatic boost), and how a boosted fault changes the rest of the run
 * (more cache entries kept, fewer fills), also of order p'.
 *
 * Not boosted (drawn at their true probabilities): fill SET failures (a
 * failed fill makes nothing stale), DELs issued before their commit
 * (delete-before-write: the version they protect is not known yet),
 * write-behind's faults, and the Poisson processes (cache outages,
 * write-behind crashes, disconnections, deploys). */
#ifndef STALESIM_MODELS_RARE_H
#define STALESIM_MODELS_RARE_H

#include "models/scenario.h"

/* The largest boosted probability of one fault draw. */
#define RARE_P_MAX 0.5
/* The automatic boost makes the most likely boosted fault of the scenario
 * happen on this share of its draws (rare_auto_boost). */
#define RARE_AUTO_SHARE 0.01

/* p' for a fault of probability p under boost b (p itself when b <= 1). */
double rare_prob(double p, double boost);

/* The largest probability among the boosted faults of sc and of each of its
 * families' views (0: the scenario has no boosted fault). */
double rare_max_fault_prob(const scenario *sc);

/* The automatic boost: RARE_AUTO_SHARE / the largest boosted fault
 * probability, never below 1 (1: nothing to boost, or faults already
 * common).  Families count through their overrides. */
double rare_auto_boost(const scenario *sc);

#endif
