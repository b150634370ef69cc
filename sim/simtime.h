/* Simulated time.
 *
 * Simulated time is an integer count of nanoseconds since the start of a
 * replication.  Integers keep event ordering exact and runs reproducible: two
 * events at the same instant compare equal and are ordered by scheduling
 * sequence (see queue.h), never by floating-point rounding. */
#ifndef STALESIM_SIM_SIMTIME_H
#define STALESIM_SIM_SIMTIME_H

#include <math.h>
#include <stdint.h>

typedef int64_t sim_time; /* ns */

#define SIM_NS ((sim_time)1)
#define SIM_US ((sim_time)1000)
#define SIM_MS ((sim_time)1000000)
#define SIM_S  ((sim_time)1000000000)
#define SIM_MIN (60 * SIM_S)
#define SIM_HOUR (3600 * SIM_S)
#define SIM_TIME_MAX INT64_MAX

static inline double sim_time_to_s(sim_time t) { return (double)t / 1e9; }

/* (sim_time)llround(x): x ns to the nearest whole ns, halves away from
 * zero.  For 0 <= x < 2^63 without the library call (x - trunc(x) is exact
 * in double, so the comparison decides exactly as llround does); anything
 * else goes to llround itself. */
static inline sim_time sim_time_round(double x) {
    if (x >= 0.0 && x < 0x1p63) {
        sim_time t = (sim_time)x;
        return x - (double)t >= 0.5 ? t + 1 : t;
    }
    return (sim_time)llround(x);
}

#endif
