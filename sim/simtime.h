/* Simulated time.
 *
 * Simulated time is an integer count of nanoseconds since the start of a
 * replication.  Integers keep event ordering exact and runs reproducible: two
 * events at the same instant compare equal and are ordered by scheduling
 * sequence (see queue.h), never by floating-point rounding. */
#ifndef STALESIM_SIM_SIMTIME_H
#define STALESIM_SIM_SIMTIME_H

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

#endif
