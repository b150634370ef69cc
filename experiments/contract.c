/* The contract's one-sided rule (see contract.h). */
#include "experiments/contract.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

double contract_resolution(double reads) {
    return reads >= 1 ? -expm1(log(0.05) / reads) : 1;
}

contract_clause contract_judge(const double *x, size_t n, double allowed,
                               double least) {
    contract_clause c;
    c.mean = gsl_stats_mean(x, 1, n);
    double sd = gsl_stats_sd_m(x, 1, n, c.mean);
    c.upper = c.mean + gsl_cdf_tdist_Pinv(0.95, (double)(n - 1)) * sd /
                           sqrt((double)n);
    if (c.upper < least) c.upper = least;
    c.allowed = allowed;
    c.state = c.upper <= allowed  ? CONTRACT_MET
              : c.mean <= allowed ? CONTRACT_UNDEMONSTRATED
                                  : CONTRACT_VIOLATED;
    return c;
}
