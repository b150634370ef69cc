/* MT19937 as a GSL generator type (see mt19937.h): Matsumoto & Nishimura
 * (1998) with the 2002 seeding, as GSL's mt.c implements it, written over
 * 32-bit words. */
#include "sim/mt19937.h"

#define M 397
#define UPPER UINT32_C(0x80000000)
#define LOWER UINT32_C(0x7fffffff)
#define MAGIC(y) (((y) & 1u) ? UINT32_C(0x9908b0df) : 0u)

void sim_mt_refill(sim_mt_state *s) {
    uint32_t *mt = s->word;
    int k;
    for (k = 0; k < SIM_MT_N - M; k++) {
        uint32_t y = (mt[k] & UPPER) | (mt[k + 1] & LOWER);
        mt[k] = mt[k + M] ^ (y >> 1) ^ MAGIC(y);
    }
    for (; k < SIM_MT_N - 1; k++) {
        uint32_t y = (mt[k] & UPPER) | (mt[k + 1] & LOWER);
        mt[k] = mt[k + (M - SIM_MT_N)] ^ (y >> 1) ^ MAGIC(y);
    }
    uint32_t y = (mt[SIM_MT_N - 1] & UPPER) | (mt[0] & LOWER);
    mt[SIM_MT_N - 1] = mt[M - 1] ^ (y >> 1) ^ MAGIC(y);
    s->next = 0;
}

/* GSL's seeding: 0 means its default seed 4357; only the low 32 bits of
 * the seed count (Knuth's multiplier, Vol. 2 3rd ed. p. 106). */
static void mt_set(void *state, unsigned long seed) {
    sim_mt_state *s = state;
    if (seed == 0) seed = 4357;
    s->word[0] = (uint32_t)seed;
    for (uint32_t i = 1; i < SIM_MT_N; i++)
        s->word[i] = UINT32_C(1812433253) *
                         (s->word[i - 1] ^ (s->word[i - 1] >> 30)) + i;
    s->next = SIM_MT_N;
}

static unsigned long mt_get(void *state) { return sim_mt_next(state); }

static double mt_get_double(void *state) {
    return (double)sim_mt_next(state) / 4294967296.0;
}

const gsl_rng_type sim_mt19937 = {"stalesim-mt19937", 0xffffffffUL, 0,
                                  sizeof(sim_mt_state), &mt_set, &mt_get,
                                  &mt_get_double};
