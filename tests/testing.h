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

/* One run of the binary (tests/testing_cli.c). */
typedef struct cli_run {
    int status; /* exit code; -1 if it did not exit normally */
    char *out;  /* stdout, NUL-terminated (malloc'd) */
    char *err;  /* stderr, NUL-terminated (malloc'd) */
} cli_run;

/* Reads a whole file; NULL on failure. */
char *testing_slurp(const char *path);
/* Writes `text` to a new file in /tmp; returns its path (malloc'd) or NULL. */
char *testing_temp_file(const char *text);
/* Unlinks and frees a path from testing_temp_file (NULL: nothing). */
void testing_remove_temp(char *path);
void testing_run_free(cli_run *r);
/* Runs `stalesim ARGS` (shell syntax) with stdin from /dev/null; fails the
 * test fatally at file:line if it cannot be run or its output read. */
void testing_run_(const char *file, int line, cli_run *r, const char *args);
#define RUN(r, args) testing_run_(__FILE__, __LINE__, r, args)

#define TESTS_REGISTER(name, init, clean, tests)                              \
    __attribute__((constructor)) static void tests_register_suite(void) {     \
        testing_add_suite(name, init, clean, tests);                          \
    }

#endif
