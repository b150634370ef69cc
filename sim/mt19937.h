/* MT19937 as a GSL generator type whose state stalesim reads inline.
 *
 * sim_mt19937 produces exactly the words of GSL's gsl_rng_mt19937 for
 * every seed (the same seeding, the same 624-word refill, the same
 * tempering; suite "mt19937" compares them, and the uniform, uniform_pos
 * and uniform_int draws built on them).  It is a gsl_rng_type, so GSL's
 * distributions draw from it as from any generator; what it adds is
 * sim_rng_word and the draws below, which read the next word from the
 * state without GSL's call through the type's function pointer (a call,
 * the state's pointer chase and the refill test per word: about a third of
 * a word's instructions).  On another generator they fall back to GSL's
 * functions, so they are correct on any gsl_rng. */
#ifndef STALESIM_SIM_MT19937_H
#define STALESIM_SIM_MT19937_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#define SIM_MT_N 624

/* The state; fields are read-only outside mt19937.c but for the inline
 * draws below. */
typedef struct sim_mt_state {
    uint32_t next;              /* index of the next word; N: refill first */
    uint32_t word[SIM_MT_N];    /* untempered */
} sim_mt_state;

/* The generator type (gsl_rng_alloc(&sim_mt19937)). */
extern const gsl_rng_type sim_mt19937;

/* Makes the next 624 words and sets next to 0 (mt19937.c). */
void sim_mt_refill(sim_mt_state *s);

/* The next word of state s, tempered. */
static inline uint32_t sim_mt_next(sim_mt_state *s) {
    if (s->next >= SIM_MT_N) sim_mt_refill(s);
    uint32_t k = s->word[s->next++];
    k ^= k >> 11;
    k ^= (k << 7) & UINT32_C(0x9d2c5680);
    k ^= (k << 15) & UINT32_C(0xefc60000);
    return k ^ (k >> 18);
}

/* The next 32-bit word of r: gsl_rng_get(r) for any generator, inline for
 * sim_mt19937. */
static inline uint32_t sim_rng_word(const gsl_rng *r) {
    if (r->type != &sim_mt19937) return (uint32_t)gsl_rng_get(r);
    return sim_mt_next(r->state);
}

/* gsl_rng_uniform(r): [0, 1) in steps of 2^-32 (for a 32-bit generator;
 * any other goes to GSL). */
static inline double sim_rng_uniform(const gsl_rng *r) {
    if (r->type != &sim_mt19937) return gsl_rng_uniform(r);
    return sim_mt_next(r->state) / 4294967296.0;
}

/* gsl_rng_uniform_int(r, n): GSL's rule (divide by the range / n, draw
 * again at or past n), the same draws; n = 0 or n > 2^32 - 1 go to GSL,
 * which reports the error. */
static inline unsigned long sim_rng_uniform_int(const gsl_rng *r,
                                                unsigned long n) {
    if (r->type != &sim_mt19937 || n == 0 || n > 0xffffffffUL)
        return gsl_rng_uniform_int(r, n);
    unsigned long scale = 0xffffffffUL / n, k;
    do {
        k = sim_mt_next(r->state) / scale;
    } while (k >= n);
    return k;
}

#endif
