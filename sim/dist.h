/* Durations, rates and latency distributions parsed from text.
 *
 * Text forms (units required on durations: ns us ms s m h; a bare 0 is 0):
 *   const:D              always D
 *   exp:MEAN             exponential with mean MEAN
 *   uniform:A,B          uniform on [A, B]
 *   lognormal:MEDIAN,SIGMA  exp(N(ln MEDIAN, SIGMA^2)); SIGMA is unitless
 *   pareto:XM,ALPHA      Pareto with scale XM and shape ALPHA (unitless)
 *   empirical:FILE       one duration per line; samples uniformly among them.
 *                        A relative FILE is taken relative to `basedir`.
 * A bare duration ("5ms") is accepted as const:5ms.
 * Samples are rounded to whole ns and are never negative. */
#ifndef STALESIM_SIM_DIST_H
#define STALESIM_SIM_DIST_H

/* An empirical:FILE holds at most this many durations, one per line of at
 * most this many bytes (a file without newlines is refused, not read
 * without end). */
#define SIM_DIST_EMPIRICAL_MAX_VALUES 10000000
#define SIM_DIST_EMPIRICAL_LINE_MAX 1024

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "sim/simtime.h"

typedef enum sim_dist_kind {
    SIM_DIST_CONST,
    SIM_DIST_EXP,
    SIM_DIST_UNIFORM,
    SIM_DIST_LOGNORMAL,
    SIM_DIST_PARETO,
    SIM_DIST_EMPIRICAL
} sim_dist_kind;

/* Value type; fields are read-only outside dist.c.  Owns `values`. */
typedef struct sim_dist {
    sim_dist_kind kind;
    double p1;       /* const: value ns; exp: mean ns; uniform: a ns;
                        lognormal: median ns; pareto: xm ns */
    double p2;       /* uniform: b ns; lognormal: sigma; pareto: alpha */
    sim_time *values; /* empirical samples, ns */
    size_t nvalues;
} sim_dist;

/* Parses `text` into *d.  On failure returns -1, leaves *d as const 0 and writes
 * a one-line reason (without file or key; the caller adds those) to err. */
int sim_dist_parse(sim_dist *d, const char *text, const char *basedir,
                   char *err, size_t errlen);

/* The same over sizes in bytes instead of durations: every argument but
 * sigma and alpha is a size with a unit (B, KB, MB, GB, TB = powers of 1000;
 * KiB, MiB, GiB, TiB = powers of 1024), an empirical file lists one size per
 * line, and samples are whole bytes. */
int sim_dist_parse_size(sim_dist *d, const char *text, const char *basedir,
                        char *err, size_t errlen);

/* A deep copy (the empirical table is duplicated).  Returns 0 or -1 on ENOMEM. */
int sim_dist_copy(sim_dist *dst, const sim_dist *src);
void sim_dist_fini(sim_dist *d);

/* One draw, ns, >= 0.  Draws nothing from `r` for const. */
sim_time sim_dist_sample(const sim_dist *d, gsl_rng *r);

/* The distribution's mean, ns (infinite for pareto with alpha <= 1). */
double sim_dist_mean(const sim_dist *d);

/* 1 if every draw is 0 (const:0). */
int sim_dist_is_zero(const sim_dist *d);

/* "300s", "1.5ms", "2h", "0" -> ns.  Must be >= 0.  Returns 0 or -1 + reason. */
int sim_duration_parse(const char *text, sim_time *out, char *err,
                       size_t errlen);

/* Formats ns in the largest unit that keeps it exact-ish: 300000000000 ->
 * "300s", 1500000 -> "1.5ms".  Always NUL-terminates. */
void sim_duration_format(sim_time t, char *buf, size_t len);

/* "512B", "4KB", "1.5MB", "2GiB", "0" -> bytes (a unit is required but on
 * 0; at most 2^53).  Returns 0 or -1 + reason. */
int sim_size_parse(const char *text, uint64_t *bytes, char *err,
                   size_t errlen);

/* Formats bytes exactly in the largest power-of-1000 unit: 64000000 ->
 * "64MB", 1536 -> "1536B".  Always NUL-terminates. */
void sim_size_format(uint64_t bytes, char *buf, size_t len);

/* "1000/s", "60/m", "5/h", "2.5/ms" -> events per second (>= 0).
 * Returns 0 or -1 + reason (a negative rate, a missing unit). */
int sim_rate_parse(const char *text, double *per_s, char *err, size_t errlen);

#endif
