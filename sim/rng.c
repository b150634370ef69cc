/* Random streams derived from (seed, replication, purpose).
 *
 * Derivation chains three splitmix64 mixes: mix(mix(mix(seed) ^ rep) ^
 * purpose).  splitmix64's mix is a bijection of 64-bit words, so changing any
 * one of seed, rep or purpose (the others fixed) always changes the derived
 * value, and nearby inputs give unrelated outputs.
 *
 * Each stream is an MT19937 of type sim_mt19937 (sim/mt19937.h): GSL's
 * mt19937 word for word, whose words the hot paths read inline.  GSL takes
 * an unsigned long seed but mt19937 uses only its low 32 bits, so the 64-bit derived value is folded to 32 bits
 * (x ^ x >> 32) to let every bit count.  GSL replaces seed 0 with its default
 * seed (4357); a fold that lands on 0 is replaced by a fixed nonzero value so
 * that no derived stream silently aliases GSL's default one.  Two different
 * derivations share a stream only if their folds collide (about 2^-32 per
 * pair).
 *
 * Note: gsl_rng_alloc reports exhaustion through the GSL error handler, which
 * aborts by default; the -1 path below is reached only when the program has
 * turned that handler off (gsl_set_error_handler_off). */
#include "sim/rng.h"

#include "sim/mt19937.h"

#define RNG_ZERO_FOLD_SEED 0x9e3779b9u

static uint64_t splitmix64(uint64_t x) {
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

uint64_t sim_rng_derive(uint64_t seed, uint32_t rep, uint32_t purpose) {
    uint64_t x = splitmix64(seed);
    x = splitmix64(x ^ rep);
    return splitmix64(x ^ purpose);
}

/* The GSL seed for a derived value: 32 bits, never 0. */
static unsigned long rng_gsl_seed(uint64_t derived) {
    uint32_t folded = (uint32_t)(derived ^ (derived >> 32));
    return folded ? folded : RNG_ZERO_FOLD_SEED;
}

int sim_rng_init(sim_rng *r, uint64_t seed, uint32_t rep) {
    for (int i = 0; i < SIM_STREAM_COUNT; i++) r->stream[i] = NULL;
    for (int i = 0; i < SIM_STREAM_COUNT; i++) {
        r->stream[i] = gsl_rng_alloc(&sim_mt19937);
        if (!r->stream[i]) {
            sim_rng_fini(r);
            return -1;
        }
        gsl_rng_set(r->stream[i],
                    rng_gsl_seed(sim_rng_derive(seed, rep, (uint32_t)i)));
    }
    return 0;
}

void sim_rng_fini(sim_rng *r) {
    for (int i = 0; i < SIM_STREAM_COUNT; i++) {
        if (r->stream[i]) gsl_rng_free(r->stream[i]);
        r->stream[i] = NULL;
    }
}
