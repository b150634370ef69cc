/* Suite "rng": stream derivation and the common-random-numbers contract.
 *
 * Same (seed, rep) must give the same draws on every stream; changing the
 * seed, the replication or the purpose must give a different stream; drawing
 * from one stream must not move any other.  Pinned values catch an
 * accidental change to the derivation, which would silently change every
 * published result. */
#include <stdio.h>
#include <stdlib.h>

#include "sim/rng.h"
#include "tests/testing.h"

#define CHECK_EQ_U(got, want, fatal)                                          \
    do {                                                                      \
        unsigned long long got_ = (unsigned long long)(got);                  \
        unsigned long long want_ = (unsigned long long)(want);                \
        if (got_ != want_)                                                    \
            fprintf(stderr, "\n  %s:%d: %s is %#llx, want %#llx\n", __FILE__, \
                    __LINE__, #got, got_, want_);                             \
        CU_assertImplementation(got_ == want_, __LINE__, #got " == " #want,   \
                                __FILE__, "", fatal);                         \
    } while (0)
#define ASSERT_EQ(got, want) CHECK_EQ_U(got, want, CU_FALSE)
#define ASSERT_EQ_FATAL(got, want) CHECK_EQ_U(got, want, CU_TRUE)

#define DRAWS 1000

/* Number of positions among the next `n` draws where two streams agree. */
static size_t agreeing_draws(gsl_rng *x, gsl_rng *y, size_t n) {
    size_t same = 0;
    for (size_t i = 0; i < n; i++) same += gsl_rng_get(x) == gsl_rng_get(y);
    return same;
}

/* Two streams must produce different sequences: of 64 draws (32-bit values)
 * an unrelated pair agrees at essentially no position. */
#define ASSERT_STREAMS_DIFFER(x, y, what)                                     \
    do {                                                                      \
        size_t same_ = agreeing_draws((x), (y), 64);                          \
        if (same_ != 0)                                                       \
            fprintf(stderr, "\n  %s: %zu of 64 draws agree\n", (what), same_); \
        CU_ASSERT(same_ == 0);                                                \
    } while (0)

static void test_same_seed_same_streams(void) {
    sim_rng a, b;
    ASSERT_EQ_FATAL(sim_rng_init(&a, 42, 3), 0);
    ASSERT_EQ_FATAL(sim_rng_init(&b, 42, 3), 0);
    for (int s = 0; s < SIM_STREAM_COUNT; s++) {
        gsl_rng *x = sim_rng_stream(&a, (sim_stream_id)s);
        gsl_rng *y = sim_rng_stream(&b, (sim_stream_id)s);
        CU_ASSERT_PTR_NOT_NULL_FATAL(x);
        CU_ASSERT_PTR_NOT_EQUAL(x, y);
        ASSERT_EQ(agreeing_draws(x, y, DRAWS), DRAWS);
    }
    sim_rng_fini(&a);
    sim_rng_fini(&b);
}

static void test_rep_seed_purpose_change_streams(void) {
    sim_rng base, other_rep, other_seed;
    ASSERT_EQ_FATAL(sim_rng_init(&base, 42, 0), 0);
    ASSERT_EQ_FATAL(sim_rng_init(&other_rep, 42, 1), 0);
    ASSERT_EQ_FATAL(sim_rng_init(&other_seed, 43, 0), 0);
    for (int s = 0; s < SIM_STREAM_COUNT; s++) {
        sim_stream_id id = (sim_stream_id)s;
        ASSERT_STREAMS_DIFFER(sim_rng_stream(&base, id),
                              sim_rng_stream(&other_rep, id), "rep 0 vs 1");
        ASSERT_STREAMS_DIFFER(sim_rng_stream(&base, id),
                              sim_rng_stream(&other_seed, id), "seed 42 vs 43");
    }
    /* Within one replication, every purpose has its own stream. */
    for (int s = 0; s < SIM_STREAM_COUNT; s++)
        for (int t = s + 1; t < SIM_STREAM_COUNT; t++)
            ASSERT_STREAMS_DIFFER(sim_rng_stream(&base, (sim_stream_id)s),
                                  sim_rng_stream(&base, (sim_stream_id)t),
                                  "two purposes");
    sim_rng_fini(&base);
    sim_rng_fini(&other_rep);
    sim_rng_fini(&other_seed);
}

static int cmp_u64(const void *x, const void *y) {
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Each of seed, rep and purpose matters, including the small values that
 * sweeps use: no two derived seeds on a 16 x 16 x 8 grid coincide. */
static void test_derive_all_inputs_matter(void) {
    enum { NS = 16, NR = 16, NP = 8, N = NS * NR * NP };
    uint64_t *v = malloc(N * sizeof *v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    size_t k = 0;
    for (uint64_t s = 0; s < NS; s++)
        for (uint32_t r = 0; r < NR; r++)
            for (uint32_t p = 0; p < NP; p++) v[k++] = sim_rng_derive(s, r, p);
    qsort(v, N, sizeof *v, cmp_u64);
    size_t dups = 0;
    for (size_t i = 1; i < N; i++) dups += v[i] == v[i - 1];
    ASSERT_EQ(dups, 0);
    free(v);

    /* Swapping the roles of the inputs gives different values. */
    CU_ASSERT(sim_rng_derive(1, 2, 3) != sim_rng_derive(1, 3, 2));
    CU_ASSERT(sim_rng_derive(1, 2, 3) != sim_rng_derive(2, 1, 3));
    CU_ASSERT(sim_rng_derive(0, 0, 1) != sim_rng_derive(0, 1, 0));
    /* High seed bits count. */
    CU_ASSERT(sim_rng_derive(UINT64_C(1) << 63, 0, 0) !=
              sim_rng_derive(0, 0, 0));
}

/* Drawing from one stream leaves every other stream where it was. */
static void test_streams_independent(void) {
    sim_rng a, b;
    ASSERT_EQ_FATAL(sim_rng_init(&a, 7, 2), 0);
    ASSERT_EQ_FATAL(sim_rng_init(&b, 7, 2), 0);
    for (int i = 0; i < 10000; i++)
        (void)gsl_rng_get(sim_rng_stream(&a, SIM_STREAM_ARRIVALS));
    for (int i = 0; i < 123; i++)
        (void)gsl_rng_uniform(sim_rng_stream(&b, SIM_STREAM_KEYS));
    for (int s = 0; s < SIM_STREAM_COUNT; s++) {
        if (s == SIM_STREAM_ARRIVALS || s == SIM_STREAM_KEYS) continue;
        ASSERT_EQ(agreeing_draws(sim_rng_stream(&a, (sim_stream_id)s),
                                 sim_rng_stream(&b, (sim_stream_id)s), DRAWS),
                  DRAWS);
    }
    /* The stream b drew from is now behind a's by exactly those draws. */
    for (int i = 0; i < 123; i++)
        (void)gsl_rng_uniform(sim_rng_stream(&a, SIM_STREAM_KEYS));
    ASSERT_EQ(agreeing_draws(sim_rng_stream(&a, SIM_STREAM_KEYS),
                             sim_rng_stream(&b, SIM_STREAM_KEYS), DRAWS),
              DRAWS);
    sim_rng_fini(&a);
    sim_rng_fini(&b);
}

/* Regression pins: the derivation and the first draws for seed 1.  The
 * values were computed independently of this code (a Python splitmix64 and
 * MT19937 with GSL's seeding), so they also check the implementation. */
static void test_pinned_values(void) {
    ASSERT_EQ(sim_rng_derive(0, 0, 0), UINT64_C(0x238275bc38fcbe91));
    ASSERT_EQ(sim_rng_derive(1, 0, 0), UINT64_C(0xb18a02f46d8d86c3));
    ASSERT_EQ(sim_rng_derive(1, 5, SIM_STREAM_LATENCY),
              UINT64_C(0x037f86ffe4a61ec5));
    sim_rng r;
    ASSERT_EQ_FATAL(sim_rng_init(&r, 1, 0), 0);
    ASSERT_EQ(gsl_rng_get(sim_rng_stream(&r, SIM_STREAM_ARRIVALS)), 0xd62318ac);
    ASSERT_EQ(gsl_rng_get(sim_rng_stream(&r, SIM_STREAM_MISC)), 0xe7fb47e2);
    sim_rng_fini(&r);
}

static void test_fini_twice(void) {
    sim_rng r;
    ASSERT_EQ_FATAL(sim_rng_init(&r, 9, 9), 0);
    sim_rng_fini(&r);
    for (int s = 0; s < SIM_STREAM_COUNT; s++)
        CU_ASSERT_PTR_NULL(sim_rng_stream(&r, (sim_stream_id)s));
    sim_rng_fini(&r);
}

static CU_TestInfo tests[] = {
    {"same (seed, rep) gives identical streams", test_same_seed_same_streams},
    {"seed, rep and purpose each change the stream",
     test_rep_seed_purpose_change_streams},
    {"derivation: every input matters", test_derive_all_inputs_matter},
    {"streams are independent", test_streams_independent},
    {"pinned values for seed 1", test_pinned_values},
    {"fini twice is safe", test_fini_twice},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("rng", NULL, NULL, tests)
