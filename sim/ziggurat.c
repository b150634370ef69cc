/* The ziggurat's rare path (see ziggurat.h).
 *
 * The tables are constants (ziggurat_layers.c, written by
 * `make ziggurat-tables` from sim_zig_compute in ziggurat_derive.c), so the
 * sampler has no state of its own and threads share it freely. */
#include <math.h>

#include "sim/check.h"
#include "sim/mt19937.h"
#include "sim/ziggurat.h"

double sim_zig_exp_edge(gsl_rng *r, uint32_t bits) {
    SIM_CHECK(r->type->min == 0 && r->type->max == 0xffffffffUL,
              "generator %s gives [%lu, %lu], not 32 bits", r->type->name,
              r->type->min, r->type->max);
    double base = 0.0; /* r for each tail passed */
    for (;;) {
        uint32_t i = bits & (SIM_ZIG_LAYERS - 1);
        uint32_t u = bits >> (32 - SIM_ZIG_U_BITS);
        const sim_zig_box *b = &sim_zig_boxes[i];
        double x = ((double)u + 0.5) * b->width;
        if (u < b->inner) return base + x;
        if (i == 0) {
            base += SIM_ZIG_R; /* past r: the tail is r + a fresh draw */
        } else {
            /* the wedge: a uniform height within the box, under e^-x? */
            double y = sim_zig_f[i] +
                       sim_rng_uniform(r) * (sim_zig_f[i - 1] - sim_zig_f[i]);
            if (y < exp(-x)) return base + x;
        }
        bits = (uint32_t)sim_rng_word(r);
    }
}
