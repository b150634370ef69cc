/* Random streams, one per purpose, derived from (seed, replication).
 *
 * Each purpose draws from its own GSL generator so that changing how much one
 * part of a model draws (say, a pattern that issues more cache operations)
 * leaves the others untouched.  Replication r of any configuration run with
 * seed S sees exactly the same arrival times, read/write choices, keys and
 * clients: the common random numbers that make comparisons between
 * configurations sharp. */
#ifndef STALESIM_SIM_RNG_H
#define STALESIM_SIM_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef enum sim_stream_id {
    SIM_STREAM_ARRIVALS = 0, /* inter-arrival times, read/write choice, client */
    SIM_STREAM_KEYS,         /* key popularity draws */
    SIM_STREAM_LATENCY,      /* every operation latency */
    SIM_STREAM_FAULTS,       /* fault and failure draws */
    SIM_STREAM_MISC,         /* anything else a model needs (routing, jitter) */
    SIM_STREAM_SESSIONS,     /* read-after-write: whether and when a writer
                                reads its key back */
    SIM_STREAM_PATTERN,      /* a pattern's own draws (models/pattern.h) */
    SIM_STREAM_VALUE_SIZE,   /* [cache] value_size: each stored value's bytes */
    SIM_STREAM_EVICTION,     /* [cache] eviction = lfu: the counter's
                                logarithmic increments */
    SIM_STREAM_COUNT
} sim_stream_id;

typedef struct sim_rng {
    gsl_rng *stream[SIM_STREAM_COUNT];
} sim_rng;

/* The 64-bit seed of stream `purpose` for replication `rep` of `seed`: a
 * splitmix64 mix, so nearby seeds give unrelated streams. */
uint64_t sim_rng_derive(uint64_t seed, uint32_t rep, uint32_t purpose);

/* Allocates and seeds every stream.  Returns 0, or -1 if memory is exhausted
 * (then nothing is left allocated). */
int sim_rng_init(sim_rng *r, uint64_t seed, uint32_t rep);
void sim_rng_fini(sim_rng *r);

static inline gsl_rng *sim_rng_stream(const sim_rng *r, sim_stream_id id) {
    return r->stream[id];
}

#endif
