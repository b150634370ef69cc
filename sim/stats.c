/* Statistics: running tallies, log-binned histograms, confidence intervals.
 *
 * Tallies use Welford's one-pass update and Chan et al.'s pairwise merge, so
 * pooling replications in any grouping gives the same moments up to rounding.
 * While a tally is empty its min and max are NaN (there is no such value),
 * its mean and variance 0.
 *
 * Histogram bins are fixed by SIM_HIST_PER_DECADE: bin i is
 * [10^(i/P), 10^((i+1)/P)) ns with P = SIM_HIST_PER_DECADE, the last bin also
 * taking everything >= 10^SIM_HIST_DECADES ns.  Zeros are counted apart; a
 * positive integer ns is always >= 1, so nothing falls below bin 0.  The bin of
 * a value is floor(P * log10(v)); when that lands within a hair of a bin edge
 * (where log10 and pow may round differently) it is settled against
 * sim_hist_bin_bounds, so a value's bin and the reported bounds always agree.
 *
 * Quantile rank convention: for 0 < q < 1 the q-quantile is the k-th smallest
 * value with k = ceil(q * n) (the smallest v with at least ceil(q * n) values
 * <= v; the inverse of the empirical CDF).  The histogram finds the bin that
 * holds rank k, then places the j-th of the bin's c values at fraction
 * (j - 1/2) / c of the bin on a log scale; the result is clamped to the exact
 * [min, max].  So the estimate lies in the same bin as the exact order
 * statistic and is off by less than that bin's width.  q = 0 gives min and
 * q = 1 max exactly. */
#include "sim/stats.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "sim/check.h"

void sim_tally_init(sim_tally *t) {
    t->n = 0;
    t->mean = 0.0;
    t->m2 = 0.0;
    t->min = NAN;
    t->max = NAN;
}

void sim_tally_add(sim_tally *t, double x) {
    SIM_CHECK(!isnan(x), "tally of %llu values given NaN",
              (unsigned long long)t->n);
    t->n++;
    double delta = x - t->mean;
    t->mean += delta / (double)t->n;
    t->m2 += delta * (x - t->mean);
    if (t->n == 1) {
        t->min = x;
        t->max = x;
    } else {
        if (x < t->min) t->min = x;
        if (x > t->max) t->max = x;
    }
}

void sim_tally_merge(sim_tally *into, const sim_tally *from) {
    if (from->n == 0) return;
    if (into->n == 0) {
        *into = *from;
        return;
    }
    double na = (double)into->n, nb = (double)from->n, n = na + nb;
    double delta = from->mean - into->mean;
    into->mean += delta * (nb / n);
    into->m2 += from->m2 + delta * delta * (na * nb / n);
    into->n += from->n;
    if (from->min < into->min) into->min = from->min;
    if (from->max > into->max) into->max = from->max;
}

double sim_tally_var(const sim_tally *t) {
    if (t->n < 2) return 0.0;
    double v = t->m2 / (double)(t->n - 1);
    return v > 0.0 ? v : 0.0;
}

void sim_hist_init(sim_hist *h) {
    h->zeros = 0;
    memset(h->bins, 0, sizeof h->bins);
    sim_tally_init(&h->tally);
}

/* Bounds of bin i without the range check, for the hot path. */
static void bin_bounds(int i, double *lo, double *hi) {
    *lo = pow(10.0, (double)i / SIM_HIST_PER_DECADE);
    *hi = pow(10.0, (double)(i + 1) / SIM_HIST_PER_DECADE);
}

void sim_hist_bin_bounds(int i, double *lo, double *hi) {
    SIM_CHECK(i >= 0 && i < SIM_HIST_BINS, "bin %d of %d", i, SIM_HIST_BINS);
    bin_bounds(i, lo, hi);
}

/* The bin holding x >= 1 from log10: the reference.  Near a bin edge
 * (where log10 and pow may round differently) it is settled against
 * bin_bounds, so a value's bin and the reported bounds always agree. */
static int bin_of_log10(double x) {
    double pos = log10(x) * SIM_HIST_PER_DECADE;
    if (pos >= SIM_HIST_BINS) return SIM_HIST_BINS - 1;
    int i = pos > 0.0 ? (int)pos : 0;
    double frac = pos - i;
    if (frac < 1e-6 || frac > 1.0 - 1e-6) {
        double lo, hi;
        bin_bounds(i, &lo, &hi);
        if (x < lo && i > 0)
            i--;
        else if (x >= hi && i < SIM_HIST_BINS - 1)
            i++;
    }
    return i;
}

/* The hot path: the same bin without a logarithm.  Durations are integer
 * ns, so the bin of v is the largest i with edge[i] <= v, edge[i] being the
 * smallest integer >= lo(i).  v's position among powers of two and 1/64ths
 * of them (its leading seven bits) picks a slice; a slice spans at most a
 * factor 65/64, less than one bin (64 * log10(65/64) = 0.43), so it holds
 * at most one bin edge and one comparison with it settles the bin (no
 * branch).  Values below 64 ns have a slice each.  Both tables are computed
 * once, before main, from bin_bounds and the reference, and never change:
 * bin_of_ns gives bin_of_log10's bin for every v (checked in the stats
 * suite; the constructor checks the one-edge property). */
#define SLICE_BITS 6
#define SLICE_MASK ((1u << SLICE_BITS) - 1)
#define SLICES (64 << SLICE_BITS)
static uint64_t edge[SIM_HIST_BINS + 1]; /* ns; edge[BINS] = UINT64_MAX,
                                           past every duration */
static uint16_t first[SLICES];          /* lowest bin the slice touches */

static inline int bin_of_ns_lookup(uint64_t v) {
    int e = 63 - __builtin_clzll(v);
    unsigned k = e >= SLICE_BITS ? (unsigned)(v >> (e - SLICE_BITS))
                                 : (unsigned)(v << (SLICE_BITS - e));
    int i = first[((unsigned)e << SLICE_BITS) | (k & SLICE_MASK)];
    return i + (v >= edge[i + 1]);
}

/* The smallest value of slice s (exponent s >> SLICE_BITS, 1/64th s & 63);
 * slices below 64 ns hold one integer, or none. */
static uint64_t slice_start(int s) {
    int e = s >> SLICE_BITS;
    uint64_t k = (uint64_t)(s & SLICE_MASK) | (1u << SLICE_BITS);
    return e >= SLICE_BITS ? k << (e - SLICE_BITS) : k >> (SLICE_BITS - e);
}

__attribute__((constructor)) static void hist_tables(void) {
    for (int i = 0; i < SIM_HIST_BINS; i++) {
        double lo, hi;
        bin_bounds(i, &lo, &hi);
        /* The smallest integer in bin i per the reference (lo rounded up,
         * then moved to where the reference says the bin starts). */
        int64_t n = lo < 9.2e18 ? (int64_t)ceil(lo) : INT64_MAX;
        while (n > 1 && bin_of_log10((double)(n - 1)) >= i) n--;
        while (n < INT64_MAX && bin_of_log10((double)n) < i) n++;
        edge[i] = i == 0 ? 1 : (uint64_t)n;
    }
    edge[SIM_HIST_BINS] = UINT64_MAX;
    int i = 0; /* slice starts never decrease: each search goes on from
                  the previous slice's bin */
    for (int s = 0; s < SLICES; s++) {
        uint64_t v = slice_start(s);
        if (v == 0) v = 1; /* an empty slice below 64 ns: never looked up */
        while (i < SIM_HIST_BINS - 1 && v >= edge[i + 1]) i++;
        first[s] = (uint16_t)i;
        /* The slice's last value must not reach past edge[i + 1]'s bin. */
        uint64_t last = s + 1 < SLICES && slice_start(s + 1) > v
                            ? slice_start(s + 1) - 1
                            : v;
        SIM_CHECK(i + 1 >= SIM_HIST_BINS || last < edge[i + 2],
                  "histogram slice %d spans two bin edges", s);
    }
}

int sim_hist_bin_of_ns(sim_time v) {
    SIM_CHECK(v >= 1, "bin of %lld ns", (long long)v);
    return bin_of_ns_lookup((uint64_t)v);
}

int sim_hist_bin_of_ns_reference(sim_time v) {
    SIM_CHECK(v >= 1, "bin of %lld ns", (long long)v);
    return bin_of_log10((double)v);
}

void sim_hist_add(sim_hist *h, sim_time v) {
    SIM_CHECK(v >= 0, "negative duration %lld ns", (long long)v);
    sim_tally_add(&h->tally, (double)v);
    if (v == 0)
        h->zeros++;
    else
        h->bins[bin_of_ns_lookup((uint64_t)v)]++;
}

void sim_hist_merge(sim_hist *into, const sim_hist *from) {
    into->zeros += from->zeros;
    for (int i = 0; i < SIM_HIST_BINS; i++) into->bins[i] += from->bins[i];
    sim_tally_merge(&into->tally, &from->tally);
}

static double clamp(double x, double lo, double hi) {
    return x < lo ? lo : x > hi ? hi : x;
}

double sim_hist_quantile(const sim_hist *h, double q) {
    SIM_CHECK(q >= 0.0 && q <= 1.0, "quantile q = %g outside [0, 1]", q);
    uint64_t n = h->tally.n;
    if (n == 0) return NAN;
    if (q == 0.0) return h->tally.min;
    if (q == 1.0) return h->tally.max;
    /* ceil(q n), ignoring the last-bit error of q n (0.07 * 100 is
     * 7.000000000000001 in double). */
    double qn = q * (double)n;
    double kd = ceil(qn - qn * 1e-12);
    uint64_t k = kd < 1.0 ? 1 : kd > (double)n ? n : (uint64_t)kd;
    if (k <= h->zeros) return 0.0;
    uint64_t below = h->zeros;
    for (int i = 0; i < SIM_HIST_BINS; i++) {
        uint64_t c = h->bins[i];
        if (below + c >= k) {
            double lo, hi;
            bin_bounds(i, &lo, &hi);
            double f = ((double)(k - below) - 0.5) / (double)c;
            return clamp(lo * pow(hi / lo, f), h->tally.min, h->tally.max);
        }
        below += c;
    }
    SIM_CHECK(0, "histogram counts %llu do not reach its n %llu",
              (unsigned long long)below, (unsigned long long)n);
    return NAN;
}

double sim_hist_cdf(const sim_hist *h, double x) {
    SIM_CHECK(!isnan(x), "cdf at NaN");
    uint64_t n = h->tally.n;
    if (n == 0 || x < h->tally.min) return 0.0;
    if (x >= h->tally.max) return 1.0;
    double below = (double)h->zeros;
    if (x >= 1.0) {
        int b = bin_of_log10(x);
        for (int i = 0; i < b; i++) below += (double)h->bins[i];
        double lo, hi;
        bin_bounds(b, &lo, &hi);
        double f = clamp(log(x / lo) / log(hi / lo), 0.0, 1.0);
        below += f * (double)h->bins[b];
    }
    return clamp(below / (double)n, 0.0, 1.0);
}

double sim_ci95(const double *x, size_t n) {
    if (n < 2) return NAN;
    double mean = gsl_stats_mean(x, 1, n);
    double sd = gsl_stats_sd_m(x, 1, n, mean);
    return gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
}

double sim_tally_ci95(const sim_tally *t) {
    if (t->n < 2) return NAN;
    return gsl_cdf_tdist_Pinv(0.975, (double)(t->n - 1)) *
           sqrt(sim_tally_var(t) / (double)t->n);
}
