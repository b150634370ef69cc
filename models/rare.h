/* Rare-event estimation by importance sampling of faults
 * (docs/rare-events.md).
 *
 * With a boost b > 1 (scenario field rare_boost, set by --rare or --boost,
 * never by a key), every Bernoulli fault draw whose outcome can open or
 * extend a stale window is drawn with probability p' = min(b p, RARE_P_MAX)
 * instead of p: a DEL that fails or times out (after its commit, or before
 * it: delete-before-write, whose ratios wait on the request and mark the
 * shared copy at the commit), a writer crashing after its commit, a
 * writer's update-SET failing, a lost invalidation message on the bus.  A
 * fault that happens carries the likelihood ratio p / p' of its
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
 * Poisson processes: an instance's disconnections from the bus (rate
 * reconnect_rate lambda, lasting reconnect_duration D) run at lambda' =
 * rare_rate(lambda, E[D], b); each disconnection carries lambda / lambda'
 * (Campbell's theorem: exact for what single events cause), and every
 * invalidation message it loses marks that instance's copy from the instant
 * the message arrived, once per event (oracle_fault_mark_event).  Its
 * per-message probability, the share of time away lambda E[D], counts in
 * rare_max_fault_prob beside bus_loss.
 *
 * Write-behind's cache crashes (rate crash_rate lambda) run at lambda' =
 * rare_rate(lambda, flush_interval, b), each with lambda / lambda'; the
 * share of writes a crash loses, lambda x flush_interval, counts in
 * rare_max_fault_prob (pattern_ops.rare_share).  A crash marks keys, not
 * copies (models/refill_marks.h, a per-key side table under --rare only):
 * every key it empties and every key whose queued write it loses.  A read
 * that misses a marked key starts a fill carrying the ratio
 * (request.rare_lr): its answer and every read of the copy it stores weigh
 * it when stale (oracle_read_lr), so the refill of a lost write and the
 * refill that races a new write are both the crash's.  A write of the key
 * clears the marks; a fill that carried the ratio and stored clears the
 * "emptied" one.  An instance's local copy of such a read's answer, when
 * superseded, carries the ratio too (local_fill).  Not boosted with direct
 * DB readers or key families.
 *
 * Cache outages (rate outage_rate lambda, lasting outage_duration D; every
 * pattern with a shared cache but write-behind) run at lambda' =
 * rare_outage_rate: min(b lambda, RARE_DOWN_MAX / E[D]), each with
 * lambda / lambda'; the share of time down, lambda E[D], counts in
 * rare_max_fault_prob.  An outage marks the keys it empties, or keeps from
 * being cached, DIVERGED with the copy the cache would hold without it
 * (the ghost; models/refill_marks.h, models/outage.c): a read invoked while
 * its key is diverged weighs lambda / lambda' when stale and counts 1 -
 * lambda / lambda' (times the ghost's own weight) when the ghost was stale,
 * so the stale hits an outage takes away stay counted; a fill such a read
 * starts carries the ratio to the copy it stores stale.  A DEL landing (or
 * one the outage failed), an update-SET storing or the ghost's expiry ends
 * the mark.  With local caches the ratio is taken at a local miss (a local
 * hit is what it would have been), and a local copy a diverged read fills
 * weighs its ratio and stands for the ghost's copy (models/local.c).  Not
 * boosted with instances alone over the DB or outage_fallback = fail.
 *
 * Not boosted (drawn at their true probabilities or rates, weight 1, which
 * never biases): fill SET failures (alone they leave nothing stale; with a
 * race they can keep or prevent a stale fill), del_timeout_applies,
 * write-behind's crashes with db_readers > 0 or families (a direct read of
 * a lost write is the crash's only from when the write would have landed,
 * which the marks do not record), cache outages with local caches alone
 * over the DB or reads an outage fails (a failed read fills no local copy
 * where without the outage it would have filled one),
 * deploys (periodic; they only empty caches). */
#ifndef STALESIM_MODELS_RARE_H
#define STALESIM_MODELS_RARE_H

#include "models/scenario.h"

/* The largest boosted probability of one fault draw. */
#define RARE_P_MAX 0.5
/* The largest boosted share of time the shared cache is down (cache
 * outages, rare_outage_rate): the estimate leaves out terms of this order
 * (docs/rare-events.md, "Cache outages"). */
#define RARE_DOWN_MAX 0.05
/* The automatic boost makes the most likely boosted fault of the scenario
 * happen on this share of its draws (rare_auto_boost). */
#define RARE_AUTO_SHARE 0.01

/* p' for a fault of probability p under boost b (p itself when b <= 1). */
double rare_prob(double p, double boost);

/* lambda' for a Poisson process of rate `rate` (per s) whose events each
 * last mean_duration_s seconds on average (an instance's disconnection)
 * under boost b: min(b rate, RARE_P_MAX / mean_duration_s), so that the
 * boosted share of time the process is "on" stays at most RARE_P_MAX; the
 * rate itself when b <= 1, and when events last no time (they then lose
 * nothing) or forever (infinite mean). */
double rare_rate(double rate, double mean_duration_s, double boost);

/* The per-message probability that an instance's disconnections lose an
 * invalidation: the share of time an instance is disconnected,
 * reconnect_rate x mean reconnect_duration (capped at 1); 0 without
 * instances on a pub/sub bus that disconnect.  It stands beside bus_loss in
 * rare_max_fault_prob. */
double rare_offline_share(const scenario *sc);

/* The share of time the shared cache is down, outage_rate x mean
 * outage_duration (capped at 1): cache outages' per-read probability, beside
 * the faults' in rare_max_fault_prob.  0 when outages are not boosted:
 * none, outages of no time or of infinite mean, local caches alone over the
 * DB or with outage_fallback = fail (a failed read's local copy, which it
 * would have filled without the outage, has no record), or a pattern
 * of the view with no shared cache or modelling its failures itself
 * (write-behind). */
double rare_outage_share(const scenario *sc);

/* lambda' of cache outages under boost b: min(b lambda, RARE_DOWN_MAX /
 * mean outage_duration); lambda itself when b <= 1 or rare_rate would not
 * boost. */
double rare_outage_rate(const scenario *sc, double boost);

/* The largest probability among the boosted faults of sc and of each of its
 * families' views (0: the scenario has no boosted fault). */
double rare_max_fault_prob(const scenario *sc);

/* The automatic boost: RARE_AUTO_SHARE / the largest boosted fault
 * probability, never below 1 (1: nothing to boost, or faults already
 * common).  Families count through their overrides. */
double rare_auto_boost(const scenario *sc);

#endif
