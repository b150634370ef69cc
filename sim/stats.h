/* Statistics: running tallies, log-binned histograms and confidence intervals.
 *
 * sim_tally keeps count, mean and variance with Welford's update (numerically
 * stable in one pass) plus min and max; two tallies merge exactly (Chan et al.).
 *
 * sim_hist counts non-negative durations in ns in logarithmic bins: exact zeros
 * apart, then SIM_HIST_PER_DECADE bins per decade from 1 ns up to 10^16 ns
 * (about 115 days); larger values land in the last bin.  A quantile is located
 * by rank in the cumulative counts and interpolated geometrically inside its
 * bin, so its relative error is below one bin width (about 3.7%); it is then
 * clamped to the exact min and max.  Histograms of the same layout merge by
 * adding counts, which is how replications are pooled.
 *
 * sim_ci95 is the half-width of the Student-t 95% interval of a sample mean
 * (n-1 degrees of freedom, gsl_cdf_tdist_Pinv). */
#ifndef STALESIM_SIM_STATS_H
#define STALESIM_SIM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "sim/simtime.h"

typedef struct sim_tally {
    uint64_t n;
    double mean;
    double m2; /* sum of squared deviations from the mean */
    double min;
    double max;
} sim_tally;

void sim_tally_init(sim_tally *t);
void sim_tally_add(sim_tally *t, double x);
void sim_tally_merge(sim_tally *into, const sim_tally *from);
/* Sample variance (n-1); 0 when n < 2. */
double sim_tally_var(const sim_tally *t);

#define SIM_HIST_PER_DECADE 64
#define SIM_HIST_DECADES 16
#define SIM_HIST_BINS (SIM_HIST_PER_DECADE * SIM_HIST_DECADES)

typedef struct sim_hist {
    uint64_t zeros;                /* values == 0 */
    uint64_t bins[SIM_HIST_BINS]; /* bin i holds [lo(i), lo(i+1)) ns */
    sim_tally tally;               /* exact n, mean, min, max in ns */
} sim_hist;

void sim_hist_init(sim_hist *h);
/* Adds one value, ns (>= 0, checked). */
void sim_hist_add(sim_hist *h, sim_time v);
void sim_hist_merge(sim_hist *into, const sim_hist *from);
static inline uint64_t sim_hist_n(const sim_hist *h) { return h->tally.n; }
/* The q-quantile (0 <= q <= 1) in ns; NaN when empty. */
double sim_hist_quantile(const sim_hist *h, double q);
/* Fraction of values <= x ns (interpolated inside the bin), 0 when empty. */
double sim_hist_cdf(const sim_hist *h, double x);
/* Bounds of bin i in ns: [*lo, *hi). */
void sim_hist_bin_bounds(int i, double *lo, double *hi);
/* The bin of v >= 1 ns: sim_hist_add's table lookup, and the log10
 * reference it must always agree with (exposed for the stats suite). */
int sim_hist_bin_of_ns(sim_time v);
int sim_hist_bin_of_ns_reference(sim_time v);

/* Half-width of the 95% Student-t interval of the mean of x[0..n-1];
 * NaN when n < 2. */
double sim_ci95(const double *x, size_t n);
/* The same from a tally of the sample. */
double sim_tally_ci95(const sim_tally *t);

#endif
