/* Test registration: each tests/test_*.c registers its CUnit suite from a
 * constructor, so the runner needs no central list and a suite cannot be
 * forgotten.  Usage at the end of a test file:
 *
 *   static CU_TestInfo tests[] = { {"name", fn}, CU_TEST_INFO_NULL };
 *   TESTS_REGISTER("queue", NULL, NULL, tests)
 */
#ifndef STALESIM_TESTS_TESTING_H
#define STALESIM_TESTS_TESTING_H

#include <CUnit/CUnit.h>

void testing_add_suite(const char *name, CU_InitializeFunc init,
                       CU_CleanupFunc clean, CU_TestInfo *tests);

/* 1 when `make validate` runs the long checks (STALESIM_VALIDATE=1). */
int testing_validate(void);

/* Path of the stalesim binary for CLI tests ($STALESIM or ./stalesim). */
const char *testing_stalesim(void);

#define TESTS_REGISTER(name, init, clean, tests)                              \
    __attribute__((constructor)) static void tests_register_suite(void) {     \
        testing_add_suite(name, init, clean, tests);                          \
    }

#endif
