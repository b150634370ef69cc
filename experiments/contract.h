/* The freshness contract's statistical rule, shared by `stalesim check` (on
 * fresh replications) and `stalesim report` (on the runs a sweep stored), so
 * both give the same verdict on the same numbers.
 *
 * A clause is judged on per-replication values x_1..x_n (n >= 2), which are
 * independent, through the one-sided 95% Student-t upper bound of their mean,
 * mean + t(0.95, n-1) s / sqrt(n), floored at the runs' resolution (see
 * contract_resolution).  Met: the bound is within the allowance; not
 * demonstrated: the mean is within, the bound is not; violated: the mean is
 * over.  cmd_check.c documents the reasoning. */
#ifndef STALESIM_EXPERIMENTS_CONTRACT_H
#define STALESIM_EXPERIMENTS_CONTRACT_H

#include <stddef.h>

typedef enum contract_state {
    CONTRACT_MET,            /* upper bound within the allowance */
    CONTRACT_UNDEMONSTRATED, /* mean within, upper bound over */
    CONTRACT_VIOLATED        /* mean over */
} contract_state;

typedef struct contract_clause {
    double mean, upper; /* per-replication mean and its one-sided 95% bound */
    double allowed;     /* the largest acceptable fraction */
    contract_state state;
} contract_clause;

/* The smallest fraction `reads` reads (all replications together) can tell
 * apart from zero: the exact one-sided 95% binomial bound with no event
 * observed, 1 - 0.05^(1/reads), about 3/reads ("rule of three"). */
double contract_resolution(double reads);

/* Judges x[0..n-1] (n >= 2, no NaN) against `allowed`; the upper bound is
 * never below `least` (contract_resolution of the reads). */
contract_clause contract_judge(const double *x, size_t n, double allowed,
                               double least);

/* The same bounds at any one-sided confidence conf in (0.5, 1) (tune and
 * sensitivity use stricter levels when they judge many values): the mean of
 * x[0..n-1] and mean -/+ t(conf, n-1) s / sqrt(n), the upper one floored at
 * `least`.  n >= 2; with n < 2 the bounds are -inf and +inf. */
void contract_bounds(const double *x, size_t n, double conf, double least,
                     double *mean, double *lower, double *upper);

#endif
