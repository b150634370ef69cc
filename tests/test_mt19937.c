/* Suite "mt19937": sim_mt19937 is GSL's gsl_rng_mt19937 word for word.
 *
 * For seeds 0 (GSL's default 4357), 1, 4357, 2^32 - 1, 2^32 (only the low
 * 32 bits count) and a few derived ones: 5,000 words (eight refills of 624)
 * through GSL's own calls on both generators, then the inline draws
 * (sim_rng_word, sim_rng_uniform, sim_rng_uniform_int over several n) on
 * sim_mt19937 against GSL's calls on gsl_rng_mt19937, interleaved, and the
 * inline draws' fallback on a GSL generator.  Any difference would change
 * every result, so the comparisons are exact. */
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "sim/mt19937.h"
#include "tests/testing.h"

#define WORDS 5000

static const unsigned long seeds[] = {0,          1,           4357,
                                      0xffffffffUL, 0x100000000UL,
                                      0x9e3779b9UL, 123456789UL};
#define NSEEDS (sizeof seeds / sizeof seeds[0])

static void pair(unsigned long seed, gsl_rng **ours, gsl_rng **gsl) {
    *ours = gsl_rng_alloc(&sim_mt19937);
    *gsl = gsl_rng_alloc(gsl_rng_mt19937);
    CU_ASSERT_FATAL(*ours && *gsl);
    gsl_rng_set(*ours, seed);
    gsl_rng_set(*gsl, seed);
}

static void test_words_through_gsl(void) {
    for (size_t s = 0; s < NSEEDS; s++) {
        gsl_rng *a, *b;
        pair(seeds[s], &a, &b);
        size_t differ = 0, first = WORDS;
        for (size_t i = 0; i < WORDS; i++) {
            unsigned long x = gsl_rng_get(a), y = gsl_rng_get(b);
            if (x != y && differ++ == 0) first = i;
        }
        EXPECT(differ == 0, "seed %lu: %zu of %d words differ, first at %zu",
               seeds[s], differ, WORDS, first);
        EXPECT(gsl_rng_uniform(a) == gsl_rng_uniform(b) &&
                   gsl_rng_uniform_pos(a) == gsl_rng_uniform_pos(b),
               "seed %lu: uniform draws differ", seeds[s]);
        EXPECT(gsl_rng_max(a) == gsl_rng_max(b) &&
                   gsl_rng_min(a) == gsl_rng_min(b),
               "range [%lu, %lu] against [%lu, %lu]", gsl_rng_min(a),
               gsl_rng_max(a), gsl_rng_min(b), gsl_rng_max(b));
        gsl_rng_free(a);
        gsl_rng_free(b);
    }
}

static void test_inline_draws(void) {
    static const unsigned long ns[] = {1, 2, 7, 200, 1000000, 0x80000001UL,
                                       0xffffffffUL};
    for (size_t s = 0; s < NSEEDS; s++) {
        gsl_rng *a, *b;
        pair(seeds[s], &a, &b);
        size_t differ = 0;
        for (size_t i = 0; i < WORDS; i++) {
            unsigned long n = ns[i % (sizeof ns / sizeof ns[0])];
            switch (i % 3) {
            case 0:
                differ += sim_rng_word(a) != gsl_rng_get(b);
                break;
            case 1:
                differ += sim_rng_uniform(a) != gsl_rng_uniform(b);
                break;
            default:
                differ += sim_rng_uniform_int(a, n) != gsl_rng_uniform_int(b, n);
            }
        }
        EXPECT(differ == 0, "seed %lu: %zu of %d inline draws differ",
               seeds[s], differ, WORDS);
        gsl_rng_free(a);
        gsl_rng_free(b);
    }
}

/* On another generator the inline draws are GSL's calls. */
static void test_fallback(void) {
    gsl_rng *a = gsl_rng_alloc(gsl_rng_taus2), *b = gsl_rng_alloc(gsl_rng_taus2);
    CU_ASSERT_FATAL(a && b);
    gsl_rng_set(a, 5);
    gsl_rng_set(b, 5);
    size_t differ = 0;
    for (int i = 0; i < 1000; i++) {
        differ += sim_rng_word(a) != gsl_rng_get(b);
        differ += sim_rng_uniform(a) != gsl_rng_uniform(b);
        differ += sim_rng_uniform_int(a, 77) != gsl_rng_uniform_int(b, 77);
    }
    EXPECT(differ == 0, "%zu draws differ on taus2", differ);
    gsl_rng_free(a);
    gsl_rng_free(b);
}

static CU_TestInfo tests[] = {
    {"GSL's calls: the same words as gsl_rng_mt19937", test_words_through_gsl},
    {"inline draws: the same as GSL's calls", test_inline_draws},
    {"inline draws on another generator", test_fallback},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("mt19937", NULL, NULL, tests)
