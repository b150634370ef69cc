/* MSER-5 warm-up truncation (experiments/warmup.c): a transient is cut
 * where it ends, a flat series is not cut, a rising one at most by half. */
#include <stddef.h>

#include "experiments/warmup.h"
#include "tests/testing.h"

static void test_mser_transient(void) {
    /* 20 batches of a decaying transient, then 80 of noise around 0.1. */
    double z[100];
    unsigned s = 12345;
    for (int j = 0; j < 100; j++) {
        s = s * 1103515245u + 12345u;
        double noise = ((double)(s >> 16 & 0x7fff) / 32768.0 - 0.5) * 0.02;
        z[j] = 0.1 + noise + (j < 20 ? 0.5 * (20 - j) / 20.0 : 0);
    }
    size_t d = warmup_mser(z, 100);
    EXPECT(d >= 15 && d <= 25, "truncation %zu batches", d);
}

static void test_mser_flat(void) {
    double z[50];
    for (int j = 0; j < 50; j++) z[j] = 0.25;
    CU_ASSERT_EQUAL(warmup_mser(z, 50), 0);
    CU_ASSERT_EQUAL(warmup_mser(z, 3), 0); /* too short to judge */
    /* Never past half the series, even for a steadily rising one. */
    for (int j = 0; j < 50; j++) z[j] = j;
    CU_ASSERT(warmup_mser(z, 50) <= 25);
}

static CU_TestInfo tests[] = {
    {"MSER finds a transient", test_mser_transient},
    {"MSER on flat and rising series", test_mser_flat},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("warmup", NULL, NULL, tests)
