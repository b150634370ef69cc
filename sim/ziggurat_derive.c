/* The ziggurat's tables from r and v (see ziggurat.h): the specification of
 * the constants in ziggurat_layers.c, used by their generator
 * (tests/ziggurat_gen.c) and by the suite that checks them. */
#include <math.h>

#include "sim/ziggurat.h"

#define U_POINTS (UINT32_C(1) << SIM_ZIG_U_BITS)

/* How many u in [0, 2^24) have (u + 0.5) * width < edge, computed exactly
 * as the sampler does (the predicate falls as u grows). */
static uint32_t points_left_of(double width, double edge) {
    double guess = edge / width - 0.5;
    uint32_t n = guess <= 0.0            ? 0
                 : guess >= (double)U_POINTS ? U_POINTS
                                             : (uint32_t)ceil(guess);
    while (n > 0 && !(((double)(n - 1) + 0.5) * width < edge)) n--;
    while (n < U_POINTS && ((double)n + 0.5) * width < edge) n++;
    return n;
}

void sim_zig_compute(sim_zig_box boxes[SIM_ZIG_LAYERS],
                     double f[SIM_ZIG_LAYERS]) {
    double x[SIM_ZIG_LAYERS]; /* right edges; x[0] = 0 is the tip */
    const int last = SIM_ZIG_LAYERS - 1;
    x[last] = SIM_ZIG_R;
    f[last] = exp(-SIM_ZIG_R);
    for (int i = last; i >= 2; i--) {
        x[i - 1] = -log(SIM_ZIG_V / x[i] + f[i]);
        f[i - 1] = exp(-x[i - 1]);
    }
    x[0] = 0.0;
    f[0] = 1.0;
    /* the base strip and tail as one box of area v; layer 0's points left
     * of r are in the strip */
    boxes[0].width = SIM_ZIG_V / f[last] / (double)U_POINTS;
    boxes[0].inner = points_left_of(boxes[0].width, SIM_ZIG_R);
    for (int i = 1; i <= last; i++) {
        boxes[i].width = x[i] / (double)U_POINTS;
        boxes[i].inner = points_left_of(boxes[i].width, x[i - 1]);
    }
}
