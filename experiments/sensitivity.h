/* `stalesim sensitivity`: which inputs move a metric most (docs/tune.md).
 *
 * One at a time (sensitivity_oat): every numeric input in use (a key given
 * in the scenario file or by --set, outside [run] and [contract], whose
 * value is not zero; or the --keys list) is divided and multiplied by a
 * factor (default 2) while every other input keeps its value; all these
 * configurations and the base run on the same replications (common random
 * numbers).  An input's effect is its swing, metric(up) - metric(down),
 * with a 95% interval over paired replications; its elasticity is
 * (swing / metric(base)) / ((x_up - x_down) / x_base).  Inputs are ranked by
 * |swing|, largest first, and drawn as a tornado plot (plots/tornado.h).
 * A distribution is scaled as a whole (its mean, median or bounds times the
 * factor; its shape kept).
 *
 * Global (sensitivity_sobol): Sobol indices over ranges (--vary KEY=LO..HI)
 * from GSL's quasi-random Sobol sequence (gsl_qrng_sobol) in 2k dimensions:
 * the first k give matrix A, the last k matrix B, and each input i a matrix
 * AB_i (A with column i from B); N rows cost N (k + 2) configurations.
 * First-order indices by Saltelli (2010), total indices by Jansen (1999),
 * both over the variance of f(A) and f(B), with 95% percentile bootstrap
 * intervals (1000 resamples of the rows, seeded from the scenario seed). */
#ifndef STALESIM_EXPERIMENTS_SENSITIVITY_H
#define STALESIM_EXPERIMENTS_SENSITIVITY_H

#include <stdint.h>

#include "experiments/grid.h"
#include "experiments/output.h"
#include "experiments/study.h"

#define SENS_MAX_INPUTS 64
#define SENS_MAX_SOBOL 20 /* gsl_qrng_sobol: at most 40 dimensions = 2k */

typedef struct sens_range {
    char *key;       /* "faults.del_fail" */
    double lo, hi;   /* in the key's number */
    int log;         /* sampled uniformly in log(x) (lo > 0, hi/lo >= 10) */
    scenario_num_kind kind;
} sens_range;

typedef struct sens_options {
    int metric;              /* a world_metric */
    double factor;           /* > 1 */
    const char *const *keys; /* --keys, NULL: every numeric input in use */
    size_t nkeys;
    const sens_range *range; /* --vary ranges: Sobol when nrange > 0 */
    size_t nrange;
    uint32_t samples;        /* Sobol rows N */
    output_format format;
    const char *plot;        /* -o: the tornado's file, NULL none */
    const char *scenario_file;
} sens_options;

/* Each prints its answer (or one error line) and returns the exit code. */
int sensitivity_oat(study *s, const sens_options *o);
int sensitivity_sobol(study *s, const sens_options *o);

/* Parses one --vary KEY=LO..HI for Sobol.  Returns 0, or -1 with a reason
 * naming the argument. */
int sens_range_parse(const char *arg, sens_range *out, char *why, size_t len);

/* `dist` scaled by factor as scenario text ("exp:5ms" x 2 -> "exp:10ms").
 * Returns 0, or -1 when it cannot be scaled (empirical, always 0). */
int sens_scale_dist(const char *dist, const char *basedir, double factor,
                    char *buf, size_t len);

#endif
