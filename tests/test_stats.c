/* Tests for sim/stats.c: Welford tallies against two-pass moments, merges
 * against adding everything to one tally, histogram bins and quantiles
 * against exact order statistics of the same sample, the CDF, and the
 * Student-t interval against a hand-computed value and its coverage. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sim/stats.h"
#include "tests/testing.h"

#define SEED 77UL

/* One bin's width relative to its lower bound: 10^(1/P) - 1. */
static double bin_ratio(void) { return pow(10.0, 1.0 / SIM_HIST_PER_DECADE) - 1.0; }

static gsl_rng *new_rng(unsigned long seed) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

static int close_rel(double a, double b, double rel) {
    return fabs(a - b) <= rel * fmax(fabs(a), fabs(b));
}

static int cmp_time(const void *a, const void *b) {
    sim_time x = *(const sim_time *)a, y = *(const sim_time *)b;
    return (x > y) - (x < y);
}

/* ---- tallies ----------------------------------------------------------- */

/* Data with a large offset, where the textbook sum-of-squares formula loses
 * every digit of the variance; Welford must match an exact-ish two-pass. */
static void test_tally_welford(void) {
    enum { N = 10000 };
    static double x[N];
    gsl_rng *r = new_rng(SEED);
    for (int i = 0; i < N; i++) x[i] = 1e9 + gsl_ran_gaussian(r, 1.0);
    gsl_rng_free(r);

    double sum = 0.0, lo = x[0], hi = x[0];
    for (int i = 0; i < N; i++) {
        sum += x[i];
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    double mean = sum / N, ss = 0.0;
    for (int i = 0; i < N; i++) ss += (x[i] - mean) * (x[i] - mean);
    double var = ss / (N - 1);

    sim_tally t;
    sim_tally_init(&t);
    for (int i = 0; i < N; i++) sim_tally_add(&t, x[i]);
    EXPECT(t.n == N, "n %llu", (unsigned long long)t.n);
    EXPECT(close_rel(t.mean, mean, 1e-14), "mean %.17g, two-pass %.17g",
           t.mean, mean);
    EXPECT(close_rel(sim_tally_var(&t), var, 1e-6),
           "var %.17g, two-pass %.17g", sim_tally_var(&t), var);
    EXPECT(t.min == lo && t.max == hi, "min %.17g max %.17g, want %.17g %.17g",
           t.min, t.max, lo, hi);
}

static void test_tally_small(void) {
    sim_tally t;
    sim_tally_init(&t);
    EXPECT(t.n == 0 && t.mean == 0.0 && sim_tally_var(&t) == 0.0 &&
               isnan(t.min) && isnan(t.max),
           "empty: n %llu mean %g var %g min %g max %g",
           (unsigned long long)t.n, t.mean, sim_tally_var(&t), t.min, t.max);
    sim_tally_add(&t, -3.5);
    EXPECT(t.n == 1 && t.mean == -3.5 && sim_tally_var(&t) == 0.0 &&
               t.min == -3.5 && t.max == -3.5,
           "single: mean %g var %g min %g max %g", t.mean, sim_tally_var(&t),
           t.min, t.max);

    /* 2 4 4 4 5 5 7 9: mean 5, squared deviations 32, sample var 32/7 */
    static const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    sim_tally_init(&t);
    for (int i = 0; i < 8; i++) sim_tally_add(&t, x[i]);
    EXPECT(t.mean == 5.0 && fabs(sim_tally_var(&t) - 32.0 / 7.0) < 1e-14 &&
               t.min == 2 && t.max == 9,
           "mean %.17g var %.17g (want 32/7) min %g max %g", t.mean,
           sim_tally_var(&t), t.min, t.max);
}

/* Merging pieces equals adding everything to one tally, for every split. */
static void test_tally_merge(void) {
    enum { N = 5000 };
    static double x[N];
    gsl_rng *r = new_rng(SEED + 1);
    for (int i = 0; i < N; i++) x[i] = gsl_ran_exponential(r, 3.0) - 1.0;
    gsl_rng_free(r);

    sim_tally all;
    sim_tally_init(&all);
    for (int i = 0; i < N; i++) sim_tally_add(&all, x[i]);

    static const int splits[] = {0, 1, 2, 1234, N - 1, N};
    for (size_t s = 0; s < sizeof splits / sizeof splits[0]; s++) {
        sim_tally a, b;
        sim_tally_init(&a);
        sim_tally_init(&b);
        for (int i = 0; i < splits[s]; i++) sim_tally_add(&a, x[i]);
        for (int i = splits[s]; i < N; i++) sim_tally_add(&b, x[i]);
        sim_tally_merge(&a, &b);
        EXPECT(a.n == all.n && a.min == all.min && a.max == all.max &&
                   close_rel(a.mean, all.mean, 1e-12) &&
                   close_rel(sim_tally_var(&a), sim_tally_var(&all), 1e-12),
               "split at %d: n %llu mean %.17g var %.17g min %g max %g; "
               "all: n %llu mean %.17g var %.17g min %g max %g",
               splits[s], (unsigned long long)a.n, a.mean, sim_tally_var(&a),
               a.min, a.max, (unsigned long long)all.n, all.mean,
               sim_tally_var(&all), all.min, all.max);
    }

    /* Many small pieces merged in a chain. */
    sim_tally chain;
    sim_tally_init(&chain);
    for (int i = 0; i < N; i += 7) {
        sim_tally piece;
        sim_tally_init(&piece);
        for (int j = i; j < i + 7 && j < N; j++) sim_tally_add(&piece, x[j]);
        sim_tally_merge(&chain, &piece);
    }
    EXPECT(chain.n == all.n && close_rel(chain.mean, all.mean, 1e-12) &&
               close_rel(sim_tally_var(&chain), sim_tally_var(&all), 1e-12),
           "chain: n %llu mean %.17g var %.17g; all: mean %.17g var %.17g",
           (unsigned long long)chain.n, chain.mean, sim_tally_var(&chain),
           all.mean, sim_tally_var(&all));

    sim_tally empty;
    sim_tally_init(&empty);
    sim_tally_merge(&empty, &empty);
    EXPECT(empty.n == 0 && isnan(empty.min), "empty+empty: n %llu min %g",
           (unsigned long long)empty.n, empty.min);
}

/* ---- histogram bins ---------------------------------------------------- */

/* Adds v to h and returns the bin whose count went up (-1 for zeros). */
static int bin_taken(sim_hist *h, sim_time v) {
    static uint64_t before[SIM_HIST_BINS];
    memcpy(before, h->bins, sizeof before);
    sim_hist_add(h, v);
    for (int i = 0; i < SIM_HIST_BINS; i++)
        if (h->bins[i] != before[i]) return i;
    return -1;
}

static void test_hist_bins(void) {
    double lo, hi, plo, phi;
    sim_hist_bin_bounds(0, &lo, &hi);
    EXPECT(lo == 1.0, "bin 0 starts at %.17g", lo);
    int bad_edges = 0;
    for (int i = 1; i < SIM_HIST_BINS; i++) {
        sim_hist_bin_bounds(i - 1, &plo, &phi);
        sim_hist_bin_bounds(i, &lo, &hi);
        if (phi != lo || !(lo < hi)) bad_edges++;
        if (i % SIM_HIST_PER_DECADE == 0 &&
            lo != pow(10.0, i / SIM_HIST_PER_DECADE))
            EXPECT(0, "decade edge %d is %.17g", i, lo);
    }
    EXPECT(bad_edges == 0, "%d bins do not abut", bad_edges);
    sim_hist_bin_bounds(SIM_HIST_BINS - 1, &lo, &hi);
    EXPECT(hi == 1e16, "last bin ends at %.17g", hi);

    /* Every value lands in the bin whose bounds hold it: all small values,
     * the integers on both sides of every bin edge, and powers of ten. */
    static sim_hist h;
    sim_hist_init(&h);
    int wrong = 0;
    for (int pass = 0; pass < 3; pass++) {
        int count = pass == 0 ? 2000 : SIM_HIST_BINS;
        for (int j = 0; j < count; j++) {
            sim_time v;
            if (pass == 0) {
                v = j + 1;
            } else {
                sim_hist_bin_bounds(j, &lo, &hi);
                v = (sim_time)ceil(lo) - (pass == 2);
                if (v < 1) continue;
            }
            int b = bin_taken(&h, v);
            sim_hist_bin_bounds(b < 0 ? 0 : b, &lo, &hi);
            if (b < 0 || (double)v < lo || (double)v >= hi) {
                if (wrong++ < 5)
                    EXPECT(0, "%lld ns went to bin %d = [%.17g, %.17g)",
                           (long long)v, b, lo, hi);
            }
        }
    }
    double p = 1.0;
    for (int k = 0; k < SIM_HIST_DECADES; k++, p *= 10.0) {
        int b = bin_taken(&h, (sim_time)p);
        EXPECT(b == k * SIM_HIST_PER_DECADE, "10^%d ns went to bin %d", k, b);
    }
    EXPECT(wrong == 0, "%d values in the wrong bin", wrong);

    /* Past 10^16 ns everything goes to the last bin; zeros go apart. */
    static const sim_time huge[] = {INT64_C(10000000000000000),
                                    INT64_C(500000000000000000), INT64_MAX};
    for (int k = 0; k < 3; k++) {
        int b = bin_taken(&h, huge[k]);
        EXPECT(b == SIM_HIST_BINS - 1, "%lld ns went to bin %d",
               (long long)huge[k], b);
    }
    uint64_t z = h.zeros;
    EXPECT(bin_taken(&h, 0) == -1 && h.zeros == z + 1, "zero counted in a bin");
}

/* ---- histogram quantiles ----------------------------------------------- */

static void test_hist_quantiles(void) {
    enum { N = 100000 };
    static sim_time x[N];
    static sim_hist h;
    gsl_rng *r = new_rng(SEED + 2);
    sim_hist_init(&h);
    for (int i = 0; i < N; i++) {
        x[i] = (sim_time)llround(gsl_ran_exponential(r, 1e6));
        sim_hist_add(&h, x[i]);
    }
    gsl_rng_free(r);
    qsort(x, N, sizeof x[0], cmp_time);

    /* q = num / den; exact = the ceil(q N)-th smallest value */
    static const struct {
        uint64_t num, den;
    } qs[] = {{1, 100000}, {1, 1000}, {1, 100}, {1, 10},  {1, 4},
              {1, 2},      {7, 10},   {9, 10},  {99, 100}, {999, 1000},
              {9999, 10000}, {99999, 100000}, {1, 3}, {2, 3}};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        double q = (double)qs[i].num / (double)qs[i].den;
        uint64_t k = (qs[i].num * N + qs[i].den - 1) / qs[i].den;
        double exact = (double)x[k - 1];
        double est = sim_hist_quantile(&h, q);
        double tol = exact * bin_ratio(); /* >= the width of exact's bin */
        EXPECT(fabs(est - exact) < tol,
               "q %g: histogram %.1f ns, exact %.1f ns (rank %llu), "
               "tolerance %.1f", q, est, exact, (unsigned long long)k, tol);
    }
    EXPECT(sim_hist_quantile(&h, 0.0) == (double)x[0] &&
               sim_hist_quantile(&h, 1.0) == (double)x[N - 1],
           "q 0 -> %.17g (min %lld), q 1 -> %.17g (max %lld)",
           sim_hist_quantile(&h, 0.0), (long long)x[0],
           sim_hist_quantile(&h, 1.0), (long long)x[N - 1]);
    EXPECT(sim_hist_n(&h) == N, "n %llu", (unsigned long long)sim_hist_n(&h));

    /* Monotone in q. */
    double prev = -1.0;
    int down = 0;
    for (int i = 0; i <= 1000; i++) {
        double v = sim_hist_quantile(&h, i / 1000.0);
        if (v < prev) down++;
        prev = v;
    }
    EXPECT(down == 0, "quantile decreased %d times", down);
}

/* Small samples where the exact answer is easy to see. */
static void test_hist_small(void) {
    static sim_hist h;
    sim_hist_init(&h);
    EXPECT(isnan(sim_hist_quantile(&h, 0.5)) && sim_hist_cdf(&h, 1e6) == 0.0 &&
               sim_hist_n(&h) == 0,
           "empty: quantile %g cdf %g", sim_hist_quantile(&h, 0.5),
           sim_hist_cdf(&h, 1e6));

    /* One value: every quantile is that value. */
    sim_hist_add(&h, 12345);
    static const double qs[] = {0.0, 0.01, 0.5, 0.99, 1.0};
    for (int i = 0; i < 5; i++)
        EXPECT(sim_hist_quantile(&h, qs[i]) == 12345.0, "q %g -> %.17g",
               qs[i], sim_hist_quantile(&h, qs[i]));
    EXPECT(sim_hist_cdf(&h, 12344.9) == 0.0 && sim_hist_cdf(&h, 12345) == 1.0,
           "cdf below %g, at %g", sim_hist_cdf(&h, 12344.9),
           sim_hist_cdf(&h, 12345));

    /* 1..100 ms: the median is the 50th value, 50 ms. */
    sim_hist_init(&h);
    for (int i = 1; i <= 100; i++) sim_hist_add(&h, (sim_time)i * 1000000);
    static const struct {
        double q;
        double exact;
    } cases[] = {{0.5, 50e6}, {0.01, 1e6}, {0.011, 2e6}, {0.9, 90e6},
                 {0.905, 91e6}, {0.99, 99e6}, {0.7, 70e6}};
    for (int i = 0; i < 7; i++) {
        double est = sim_hist_quantile(&h, cases[i].q);
        EXPECT(fabs(est - cases[i].exact) < cases[i].exact * bin_ratio(),
               "q %g: %.1f ns, exact %.1f ns", cases[i].q, est,
               cases[i].exact);
    }
    EXPECT(h.tally.mean == 50.5e6, "mean %.17g", h.tally.mean);

    /* One value per decade, so a rank off by one lands a decade away:
     * the q-quantile is the ceil(4 q)-th smallest. */
    sim_hist_init(&h);
    static const sim_time dec4[] = {1000000, 10000000, 100000000, 1000000000};
    for (int i = 0; i < 4; i++) sim_hist_add(&h, dec4[i]);
    static const struct {
        double q;
        int rank;
    } ranks[] = {{0.1, 1},  {0.25, 1}, {0.26, 2}, {0.5, 2},
                 {0.51, 3}, {0.75, 3}, {0.76, 4}, {0.99, 4}};
    for (int i = 0; i < 8; i++) {
        double est = sim_hist_quantile(&h, ranks[i].q);
        double exact = (double)dec4[ranks[i].rank - 1];
        EXPECT(fabs(est - exact) < exact * bin_ratio(),
               "q %g: %.1f ns, want rank %d = %.1f ns", ranks[i].q, est,
               ranks[i].rank, exact);
    }

    /* q n is an integer that double arithmetic overshoots (0.07 * 100 is
     * 7.000000000000001): the rank is still 7, not 8. */
    static const int lows[] = {7, 56};
    for (int j = 0; j < 2; j++) {
        sim_hist_init(&h);
        for (int i = 0; i < 100; i++)
            sim_hist_add(&h, i < lows[j] ? SIM_MS : SIM_S);
        double q = lows[j] / 100.0, est = sim_hist_quantile(&h, q);
        EXPECT(fabs(est - 1e6) < 1e6 * bin_ratio(),
               "q %.17g of %d x 1ms + %d x 1s: %.1f ns, want about 1ms",
               q, lows[j], 100 - lows[j], est);
    }
}

static void test_hist_zeros(void) {
    static sim_hist h;
    sim_hist_init(&h);
    for (int i = 0; i < 50; i++) sim_hist_add(&h, 0);
    for (int i = 1; i <= 50; i++) sim_hist_add(&h, (sim_time)i * 1000);
    EXPECT(h.zeros == 50 && sim_hist_n(&h) == 100, "zeros %llu n %llu",
           (unsigned long long)h.zeros, (unsigned long long)sim_hist_n(&h));
    EXPECT(sim_hist_quantile(&h, 0.25) == 0.0 &&
               sim_hist_quantile(&h, 0.5) == 0.0,
           "q .25 -> %g, q .5 -> %g (50 of 100 values are 0)",
           sim_hist_quantile(&h, 0.25), sim_hist_quantile(&h, 0.5));
    double q51 = sim_hist_quantile(&h, 0.51);
    EXPECT(fabs(q51 - 1000.0) < 1000.0 * bin_ratio(),
           "q .51 -> %g, want about 1000", q51);
    EXPECT(sim_hist_cdf(&h, 0.0) == 0.5 && sim_hist_cdf(&h, -1.0) == 0.0 &&
               sim_hist_cdf(&h, 0.5) == 0.5,
           "cdf(0) %g cdf(-1) %g cdf(0.5) %g", sim_hist_cdf(&h, 0.0),
           sim_hist_cdf(&h, -1.0), sim_hist_cdf(&h, 0.5));

    sim_hist_init(&h);
    for (int i = 0; i < 10; i++) sim_hist_add(&h, 0);
    EXPECT(sim_hist_quantile(&h, 0.9) == 0.0 && sim_hist_quantile(&h, 1) == 0 &&
               sim_hist_cdf(&h, 0.0) == 1.0 && h.tally.max == 0.0,
           "all zeros: q .9 %g, cdf(0) %g, max %g", sim_hist_quantile(&h, 0.9),
           sim_hist_cdf(&h, 0.0), h.tally.max);
}

/* Merging equals adding everything to one histogram, bin for bin. */
static void test_hist_merge(void) {
    static sim_hist a, b, all;
    sim_hist_init(&a);
    sim_hist_init(&b);
    sim_hist_init(&all);
    gsl_rng *r = new_rng(SEED + 3);
    for (int i = 0; i < 20000; i++) {
        sim_time v = (sim_time)llround(gsl_ran_exponential(r, 5e5));
        sim_hist_add(&a, v);
        sim_hist_add(&all, v);
    }
    for (int i = 0; i < 30000; i++) {
        sim_time v = i % 10 == 0 ? 0 : (sim_time)(gsl_rng_uniform(r) * 1e8);
        sim_hist_add(&b, v);
        sim_hist_add(&all, v);
    }
    gsl_rng_free(r);
    sim_hist_merge(&a, &b);
    EXPECT(a.zeros == all.zeros &&
               memcmp(a.bins, all.bins, sizeof a.bins) == 0,
           "counts differ: zeros %llu vs %llu", (unsigned long long)a.zeros,
           (unsigned long long)all.zeros);
    EXPECT(a.tally.n == all.tally.n && a.tally.min == all.tally.min &&
               a.tally.max == all.tally.max &&
               close_rel(a.tally.mean, all.tally.mean, 1e-12),
           "tally: n %llu/%llu mean %.17g/%.17g",
           (unsigned long long)a.tally.n, (unsigned long long)all.tally.n,
           a.tally.mean, all.tally.mean);
    static const double qs[] = {0.001, 0.1, 0.5, 0.9, 0.999};
    for (int i = 0; i < 5; i++)
        EXPECT(sim_hist_quantile(&a, qs[i]) == sim_hist_quantile(&all, qs[i]),
               "q %g: merged %.17g, all %.17g", qs[i],
               sim_hist_quantile(&a, qs[i]), sim_hist_quantile(&all, qs[i]));

    sim_hist_init(&b);
    sim_hist_merge(&b, &a);
    EXPECT(b.tally.n == a.tally.n && b.tally.min == a.tally.min &&
               memcmp(b.bins, a.bins, sizeof a.bins) == 0,
           "merge into empty: n %llu", (unsigned long long)b.tally.n);
}

/* The CDF against the exact empirical CDF: off by at most the mass of the
 * bin holding x. */
static void test_hist_cdf(void) {
    enum { N = 10000 };
    static sim_hist h;
    sim_hist_init(&h);
    for (int i = 1; i <= N; i++) sim_hist_add(&h, (sim_time)i * 1000);
    int bad = 0;
    double prev = 0.0;
    int down = 0;
    for (double x = 500.0; x < 1.1e7; x *= 1.01) {
        double exact = fmin(floor(x / 1000.0), N) / N;
        double c = sim_hist_cdf(&h, x);
        /* values in [x / (1 + r), x (1 + r)] cover x's bin */
        double lo = x / (1.0 + bin_ratio()), hi = x * (1.0 + bin_ratio());
        double mass = (fmin(floor(hi / 1000.0), N) - fmin(ceil(lo / 1000.0), N)
                       + 1.0) / N;
        if (fabs(c - exact) > mass + 1e-12 && bad++ < 5)
            EXPECT(0, "cdf(%g) = %.6f, exact %.6f, allowed %.6f", x, c, exact,
                   mass);
        if (c < prev) down++;
        prev = c;
    }
    EXPECT(bad == 0, "%d points off", bad);
    EXPECT(down == 0, "cdf decreased %d times", down);
    EXPECT(sim_hist_cdf(&h, 999.0) == 0.0 && sim_hist_cdf(&h, 1e7) == 1.0 &&
               sim_hist_cdf(&h, 1e7 - 0.5) < 1.0 && sim_hist_cdf(&h, 1e30) == 1.0,
           "cdf(min - 1) %g, cdf(max) %g, cdf(max - .5) %.9f",
           sim_hist_cdf(&h, 999.0), sim_hist_cdf(&h, 1e7),
           sim_hist_cdf(&h, 1e7 - 0.5));

    /* cdf and quantile are near inverses. */
    static const double qs[] = {0.05, 0.25, 0.5, 0.75, 0.95};
    for (int i = 0; i < 5; i++) {
        double c = sim_hist_cdf(&h, sim_hist_quantile(&h, qs[i]));
        EXPECT(fabs(c - qs[i]) < qs[i] * bin_ratio() * 1.5,
               "cdf(quantile(%g)) = %g", qs[i], c);
    }
}

static void test_hist_huge(void) {
    static sim_hist h;
    sim_hist_init(&h);
    sim_hist_add(&h, INT64_C(20000000000000000));
    sim_hist_add(&h, INT64_C(500000000000000000));
    sim_hist_add(&h, INT64_MAX);
    EXPECT(h.bins[SIM_HIST_BINS - 1] == 3, "last bin holds %llu",
           (unsigned long long)h.bins[SIM_HIST_BINS - 1]);
    double q1 = sim_hist_quantile(&h, 1.0), q5 = sim_hist_quantile(&h, 0.5);
    EXPECT(q1 == (double)INT64_MAX && q5 >= 2e16 && q5 <= (double)INT64_MAX,
           "q 1 -> %.17g, q .5 -> %.17g", q1, q5);
    double c = sim_hist_cdf(&h, 1e17);
    EXPECT(c >= 0.0 && c <= 1.0, "cdf(1e17) = %g", c);
}

/* ---- confidence intervals ---------------------------------------------- */

static void test_ci95_hand(void) {
    /* x = 1..5: sd = sqrt(2.5), t(0.975, 4) = 2.776445,
     * half-width = 2.776445 * sqrt(2.5) / sqrt(5) = 1.963243 */
    static const double x[] = {1, 2, 3, 4, 5};
    double want = 2.776445105 * sqrt(2.5) / sqrt(5.0);
    double got = sim_ci95(x, 5);
    EXPECT(fabs(got - want) < 1e-8 && fabs(got - 1.963243) < 1e-6,
           "ci95(1..5) = %.9f, want %.9f", got, want);
    sim_tally t;
    sim_tally_init(&t);
    for (int i = 0; i < 5; i++) sim_tally_add(&t, x[i]);
    double tg = sim_tally_ci95(&t);
    EXPECT(fabs(tg - want) < 1e-8, "tally ci95 = %.9f, want %.9f", tg, want);

    /* n = 2: t(0.975, 1) = 12.706205, sd of {0, 2} = sqrt 2 */
    static const double y[] = {0, 2};
    got = sim_ci95(y, 2);
    EXPECT(fabs(got - 12.7062047) < 1e-6, "ci95(0, 2) = %.9f, want 12.7062047",
           got);

    EXPECT(isnan(sim_ci95(x, 1)) && isnan(sim_ci95(x, 0)),
           "n < 2: %g %g", sim_ci95(x, 1), sim_ci95(x, 0));
    sim_tally_init(&t);
    EXPECT(isnan(sim_tally_ci95(&t)), "empty tally: %g", sim_tally_ci95(&t));
    sim_tally_add(&t, 3.0);
    EXPECT(isnan(sim_tally_ci95(&t)), "one value: %g", sim_tally_ci95(&t));
}

/* About 95% of intervals from normal samples of 10 cover the true mean, and
 * the array and tally forms agree. */
static void test_ci95_coverage(void) {
    enum { REPS = 4000, N = 10 };
    gsl_rng *r = new_rng(SEED + 4);
    int covered = 0, disagree = 0;
    for (int k = 0; k < REPS; k++) {
        double x[N];
        sim_tally t;
        sim_tally_init(&t);
        for (int i = 0; i < N; i++) {
            x[i] = 5.0 + gsl_ran_gaussian(r, 2.0);
            sim_tally_add(&t, x[i]);
        }
        double hw = sim_ci95(x, N);
        if (!close_rel(hw, sim_tally_ci95(&t), 1e-9)) disagree++;
        if (fabs(t.mean - 5.0) <= hw) covered++;
    }
    gsl_rng_free(r);
    double p = (double)covered / REPS, se = sqrt(0.95 * 0.05 / REPS);
    EXPECT(fabs(p - 0.95) < 5 * se, "coverage %.4f, want 0.95 +- %.4f", p,
           5 * se);
    EXPECT(disagree == 0, "array and tally forms disagree %d times", disagree);
}

/* sim_hist_add's table lookup gives the log10 reference's bin for every
 * value tried: all of 1..2^20 ns, every integer within 3 ns of every bin
 * edge, every power of two and its neighbours, and 10^6 log-uniform values
 * up to 2^62 ns. */
static void test_hist_lookup_matches_log10(void) {
    long bad = 0, tried = 0;
    sim_time first_bad = 0;
#define TRY(v)                                                                \
    do {                                                                      \
        sim_time v_ = (v);                                                    \
        if (v_ >= 1) {                                                        \
            tried++;                                                          \
            if (sim_hist_bin_of_ns(v_) != sim_hist_bin_of_ns_reference(v_) && \
                !bad++)                                                       \
                first_bad = v_;                                               \
        }                                                                     \
    } while (0)
    for (sim_time v = 1; v <= (1 << 20); v++) TRY(v);
    for (int i = 0; i < SIM_HIST_BINS; i++) {
        double lo, hi;
        sim_hist_bin_bounds(i, &lo, &hi);
        if (lo > 4e18) break;
        sim_time c = (sim_time)ceil(lo);
        for (sim_time d = -3; d <= 3; d++) TRY(c + d);
    }
    for (int e = 0; e < 63; e++)
        for (sim_time d = -2; d <= 2; d++) TRY(((sim_time)1 << e) + d);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    for (int k = 0; k < 1000000; k++)
        TRY((sim_time)exp(gsl_rng_uniform(r) * 62 * log(2.0)));
    gsl_rng_free(r);
#undef TRY
    EXPECT(bad == 0, "%ld of %ld values binned apart from log10, first %lld",
           bad, tried, (long long)first_bad);
}

static CU_TestInfo tests[] = {
    {"tally welford vs two-pass", test_tally_welford},
    {"tally small", test_tally_small},
    {"tally merge", test_tally_merge},
    {"hist bins", test_hist_bins},
    {"hist quantiles vs sorted", test_hist_quantiles},
    {"hist small samples", test_hist_small},
    {"hist zeros", test_hist_zeros},
    {"hist merge", test_hist_merge},
    {"hist cdf", test_hist_cdf},
    {"hist huge values", test_hist_huge},
    {"hist table lookup = log10 reference", test_hist_lookup_matches_log10},
    {"ci95 hand-computed", test_ci95_hand},
    {"ci95 coverage", test_ci95_coverage},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("stats", NULL, NULL, tests)
