/* The CUnit runner: every suite registered by a test file's constructor runs;
 * the exit status is nonzero when any assertion failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "tests/testing.h"

#define MAX_SUITES 64

static struct {
    const char *name;
    CU_InitializeFunc init;
    CU_CleanupFunc clean;
    CU_TestInfo *tests;
} suites[MAX_SUITES];
static int nsuites;

#define MAX_NEEDS 32

static struct {
    const char *suite, *test, *why;
    testing_need_fn need;
} needs[MAX_NEEDS];
static int nneeds;

void testing_add_need(const char *suite, const char *test,
                      testing_need_fn need, const char *why) {
    if (nneeds == MAX_NEEDS) {
        fprintf(stderr, "tests: more than %d needs\n", MAX_NEEDS);
        exit(2);
    }
    needs[nneeds].suite = suite;
    needs[nneeds].test = test;
    needs[nneeds].need = need;
    needs[nneeds].why = why;
    nneeds++;
}

/* Makes inactive (skipped) every registered test whose need is not met.
 * Returns 0, or -1 when a need names a test that does not exist. */
static int apply_needs(void) {
    for (int i = 0; i < nneeds; i++) {
        CU_pSuite s = CU_get_suite(needs[i].suite);
        if (!s) continue; /* suite filtered out on the command line */
        CU_pTest t = CU_get_test(s, needs[i].test);
        if (!t) {
            fprintf(stderr, "tests: need for unknown test %s/%s\n",
                    needs[i].suite, needs[i].test);
            return -1;
        }
        if (needs[i].need()) continue;
        printf("SKIP %s/%s: %s\n", needs[i].suite, needs[i].test,
               needs[i].why);
        CU_set_test_active(t, CU_FALSE);
    }
    return 0;
}

void testing_add_suite(const char *name, CU_InitializeFunc init,
                       CU_CleanupFunc clean, CU_TestInfo *tests) {
    if (nsuites == MAX_SUITES) {
        fprintf(stderr, "tests: more than %d suites\n", MAX_SUITES);
        exit(2);
    }
    suites[nsuites].name = name;
    suites[nsuites].init = init;
    suites[nsuites].clean = clean;
    suites[nsuites].tests = tests;
    nsuites++;
}

int testing_validate(void) {
    const char *v = getenv("STALESIM_VALIDATE");
    return v && strcmp(v, "0") != 0;
}

const char *testing_stalesim(void) {
    const char *p = getenv("STALESIM");
    return p && *p ? p : "./stalesim";
}

/* Suites run in name order so the output is stable. */
static int by_name(const void *a, const void *b) {
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return strcmp(x, y);
}

int main(int argc, char **argv) {
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "tests: CUnit: %s\n", CU_get_error_msg());
        return 2;
    }
    qsort(suites, (size_t)nsuites, sizeof suites[0], by_name);
    for (int i = 0; i < nsuites; i++) {
        /* Optional filter: run only the suites named on the command line. */
        if (argc > 1) {
            int keep = 0;
            for (int j = 1; j < argc; j++)
                if (strcmp(argv[j], suites[i].name) == 0) keep = 1;
            if (!keep) continue;
        }
        CU_SuiteInfo info[2] = {
            {suites[i].name, suites[i].init, suites[i].clean, NULL, NULL,
             suites[i].tests},
            CU_SUITE_INFO_NULL};
        if (CU_register_suites(info) != CUE_SUCCESS) {
            fprintf(stderr, "tests: CUnit: %s\n", CU_get_error_msg());
            CU_cleanup_registry();
            return 2;
        }
    }
    if (apply_needs() != 0) {
        CU_cleanup_registry();
        return 2;
    }
    /* A skipped (inactive) test is counted as such, not as a failure. */
    CU_set_fail_on_inactive(CU_FALSE);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() +
                      CU_get_number_of_tests_failed() +
                      CU_get_number_of_suites_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
