/* The contract's one-sided rule (see contract.h). */
#include "experiments/contract.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

double contract_resolution(double reads) {
    return reads >= 1 ? -expm1(log(0.05) / reads) : 1;
}

void contract_bounds(const double *x, size_t n, double conf, double least,
                     double *mean, double *lower, double *upper) {
    *mean = n ? gsl_stats_mean(x, 1, n) : NAN;
    if (n < 2) {
        *lower = -INFINITY;
        *upper = INFINITY;
        return;
    }
    double sd = gsl_stats_sd_m(x, 1, n, *mean);
    double h = gsl_cdf_tdist_Pinv(conf, (double)(n - 1)) * sd / sqrt((double)n);
    *lower = *mean - h;
    *upper = *mean + h;
    if (*upper < least) *upper = least;
}

contract_clause contract_judge(const double *x, size_t n, double allowed,
                               double least) {
    contract_clause c;
    double lower;
    contract_bounds(x, n, 0.95, least, &c.mean, &lower, &c.upper);
    c.allowed = allowed;
    c.state = c.upper <= allowed  ? CONTRACT_MET
              : c.mean <= allowed ? CONTRACT_UNDEMONSTRATED
                                  : CONTRACT_VIOLATED;
    return c;
}
