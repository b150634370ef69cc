/* Exponential draws by the ziggurat method (Marsaglia & Tsang 2000, "The
 * Ziggurat Method for Generating Random Variables", J. Stat. Softw. 5(8)),
 * from a GSL generator.
 *
 * The density e^-x is covered by 256 layers of equal area v: 255 boxes
 * [0, x_i) x [f(x_i), f(x_{i-1})] (x_0 = 0 at the top, x_255 = r at the
 * bottom, f(x) = e^-x) and the base strip [0, r) x [0, f(r)) plus the tail
 * beyond r, drawn as one box of width v / f(r).  One 32-bit word of the
 * generator picks a layer (its low 8 bits) and a point u of 2^24 equally
 * spaced ones across the layer's width (its high 24 bits: x = (u + 0.5)
 * x_i / 2^24).  A point left of the edge of the layer above lies under the
 * curve for every height of the layer and is returned at once (about 98.9%
 * of draws: one generator word, one table load, one comparison, one
 * multiplication).  Otherwise (ziggurat.c) a point of the base strip past r
 * is the tail, r plus a fresh draw (the exponential forgets); a point of a
 * box's wedge is kept if a uniform height under the box falls under e^-x,
 * and the draw starts again if not.
 *
 * Resolution: within a layer the draws lie on 2^24 points, at most
 * 7.7 / 2^24 = 4.6e-7 of the mean apart (2.3 ns at a 5 ms mean);
 * gsl_ran_exponential (-mean log1p(-U), U on 2^32 points) is finer near 0
 * and coarser in the tail.  Both distributions are checked against
 * gsl_cdf_exponential_P and against each other (suite "ziggurat").
 *
 * The generator must return 32 random bits (min 0, max 2^32 - 1: every
 * stream of sim/rng.h is an mt19937); the rarely taken path checks it. */
#ifndef STALESIM_SIM_ZIGGURAT_H
#define STALESIM_SIM_ZIGGURAT_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "sim/mt19937.h"

#define SIM_ZIG_LAYERS 256
#define SIM_ZIG_U_BITS 24 /* bits of the position within a layer */

/* One layer's fast test; read-only, shared by every thread (the table is a
 * constant, sim/ziggurat_layers.c). */
typedef struct sim_zig_box {
    double width;   /* the layer's width / 2^24: x = (u + 0.5) * width */
    uint32_t inner; /* u < inner: x lies left of the edge of the layer above
                       (base: left of r), under the curve at any height */
} sim_zig_box;

extern const sim_zig_box sim_zig_boxes[SIM_ZIG_LAYERS];
/* f(x_i) = e^-x_i for i = 0..255: 1 at the top, e^-r for the base's box. */
extern const double sim_zig_f[SIM_ZIG_LAYERS];

/* The draw when the fast test fails for the 32-bit word `bits`: the tail,
 * the wedge test, or a fresh draw (ziggurat.c).  Mean 1. */
double sim_zig_exp_edge(gsl_rng *r, uint32_t bits);

/* One exponential draw of mean `mean` (> 0), the same distribution as
 * gsl_ran_exponential(r, mean).  Consumes one generator word on about 98.9%
 * of draws and a few more otherwise. */
static inline double sim_exponential(gsl_rng *r, double mean) {
    uint32_t bits = (uint32_t)sim_rng_word(r);
    uint32_t u = bits >> (32 - SIM_ZIG_U_BITS);
    const sim_zig_box *b = &sim_zig_boxes[bits & (SIM_ZIG_LAYERS - 1)];
    if (u < b->inner) return mean * (((double)u + 0.5) * b->width);
    return mean * sim_zig_exp_edge(r, bits);
}

/* The tables from r and v by Marsaglia & Tsang's recursion
 * x_{i-1} = -log(v / x_i + f(x_i)), the same for sim_zig_boxes and sim_zig_f
 * as the constants (suite "ziggurat" compares them; `make ziggurat-tables`
 * writes sim/ziggurat_layers.c from them). */
void sim_zig_compute(sim_zig_box boxes[SIM_ZIG_LAYERS],
                     double f[SIM_ZIG_LAYERS]);

/* r (the base's edge) and v (each layer's area) for 256 layers
 * (Marsaglia & Tsang 2000). */
#define SIM_ZIG_R 7.697117470131487
#define SIM_ZIG_V 3.949659822581572e-3

#endif
