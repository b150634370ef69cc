/* Choosing the warm-up automatically: MSER-5 (White, 1997; Franklin and White,
 * 2008).
 *
 * The output series is cut into batches of 5 observations; for each candidate
 * truncation d (in batches, 0 <= d <= n/2) MSER is the variance of the batch
 * means after d divided by the number left, (1/(n-d)^2) sum_{j>=d} (z_j -
 * mean)^2.  The truncation minimising it balances the bias of the initial
 * transient against the variance lost by discarding data. */
#ifndef STALESIM_EXPERIMENTS_WARMUP_H
#define STALESIM_EXPERIMENTS_WARMUP_H

#include <stddef.h>

/* The MSER truncation point over batch means z[0..n-1], in batches. */
size_t warmup_mser(const double *z, size_t n);

#endif
