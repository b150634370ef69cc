/* MSER truncation (see warmup.h).  O(n) with suffix sums. */
#include "experiments/warmup.h"

#include <math.h>
#include <stdlib.h>

size_t warmup_mser(const double *z, size_t n) {
    if (n < 4) return 0;
    /* Suffix sums of z and z^2 give each candidate's variance in O(1). */
    double sum = 0, sum2 = 0;
    double best = INFINITY;
    size_t best_d = 0;
    double *s1 = malloc((n + 1) * sizeof *s1), *s2 = malloc((n + 1) * sizeof *s2);
    if (!s1 || !s2) {
        free(s1);
        free(s2);
        return 0;
    }
    s1[n] = s2[n] = 0;
    for (size_t j = n; j-- > 0;) {
        sum += z[j];
        sum2 += z[j] * z[j];
        s1[j] = sum;
        s2[j] = sum2;
    }
    for (size_t d = 0; d <= n / 2; d++) {
        double k = (double)(n - d);
        double ss = s2[d] - s1[d] * s1[d] / k; /* sum of squared deviations */
        if (ss < 0) ss = 0;
        double mser = ss / (k * k);
        if (mser < best) {
            best = mser;
            best_d = d;
        }
    }
    free(s1);
    free(s2);
    return best_d;
}
