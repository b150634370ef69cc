/* Checks the rare-event suites share (rare, rare_poisson, rare_crash, rare_outage): a
 * plain and a boosted run of one scenario, a boosted estimate against a
 * true value, and two estimates against each other. */
#ifndef STALESIM_TESTS_TESTING_RARE_H
#define STALESIM_TESTS_TESTING_RARE_H

#include "experiments/run.h"
#include "models/scenario.h"

/* Loads the catalog scenario `path` into sc over the defaults, applies the
 * n overrides of sets in order (a NULL entry is skipped: an override only
 * some cases want) and validates it.  Fails the test fatally, printing
 * the scenario's error, on any error. */
void testing_rare_scenario(scenario *sc, const char *path,
                           const char *const *sets, size_t n);

/* Runs sc plainly into *plain, then with boost (<= 0: rare_auto_boost)
 * into *rare; sc is left boosted.  Fails the test fatally on an error. */
void testing_rare_runs(scenario *sc, double boost, run_summary **plain,
                       run_summary **rare);

/* s's weighted stale-read fraction against the true value: inside its 95%
 * interval, the interval under a quarter of truth (tight enough to mean
 * something) and over 500 boosted faults.  Prints what it compared, naming
 * the case by `what`. */
void testing_rare_truth(const char *what, const run_summary *s, double truth);

/* plain and rare agree on metric m: their means differ by no more than the
 * combined 95% half-widths, sqrt(a^2 + b^2).  Prints both, naming `what`. */
void testing_rare_agree(const char *what, world_metric m,
                        const run_summary *plain, const run_summary *rare);

#endif
