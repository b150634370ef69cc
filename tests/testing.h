/* Test registration: each tests/test_*.c registers its CUnit suite from a
 * constructor, so the runner needs no central list and a suite cannot be
 * forgotten.  Usage at the end of a test file:
 *
 *   static CU_TestInfo tests[] = { {"name", fn}, CU_TEST_INFO_NULL };
 *   TESTS_REGISTER("queue", NULL, NULL, tests)
 */
#ifndef STALESIM_TESTS_TESTING_H
#define STALESIM_TESTS_TESTING_H

#include <stdio.h>

#include <CUnit/CUnit.h>

/* The one assertion of the suites: a CUnit assertion whose failure message
 * is the condition followed by printf-style text showing the values it
 * compared (also printed on stderr at once, for long runs). */
#define EXPECT(cond, ...)                                                     \
    do {                                                                      \
        if (cond) {                                                           \
            CU_PASS(#cond);                                                   \
        } else {                                                              \
            char m_[4096];                                                    \
            int n_ = snprintf(m_, sizeof m_, "%s: ", #cond);                  \
            snprintf(m_ + n_, sizeof m_ - (size_t)n_, __VA_ARGS__);           \
            fprintf(stderr, "\n  %s:%d: %s\n", __FILE__, __LINE__, m_);      \
            CU_assertImplementation(CU_FALSE, __LINE__, m_, __FILE__, "",     \
                                    CU_FALSE);                                \
        }                                                                     \
    } while (0)

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

/* A test that needs something a machine may lack (a pty, ...): before the
 * run, need() is asked; when it returns 0 the test is made inactive, so it
 * does not run and CUnit's summary counts it in the "Inactive" column, and
 * the runner prints "SKIP suite/test: why".  Declare at file scope:
 *   TESTS_NEED("sweep", "progress on a terminal", have_pty, "no pty")  */
typedef int (*testing_need_fn)(void);
void testing_add_need(const char *suite, const char *test,
                      testing_need_fn need, const char *why);
#define TESTS_NEED(suite, test, need, why)                                    \
    __attribute__((constructor)) static void tests_need_##need(void) {        \
        testing_add_need(suite, test, need, why);                             \
    }

/* Sweep databases (tests/testing_db.c).  testing_db_open: read-only, NULL
 * on failure.  testing_db_int: one integer from a query, -1 on any failure.
 * testing_dump_results: every stored run (metrics, seed, events, and the
 * rare-event figures of a file that has them),
 * point, bin, tally and cause, keyed by point values and replication, not
 * by row ids, wall time or timestamps (malloc'd; NULL if unreadable). */
struct sqlite3;
struct sqlite3 *testing_db_open(const char *path);
long long testing_db_int(const char *path, const char *sql);
char *testing_dump_results(const char *path);
/* Requires two dumps to be equal, showing the first difference. */
void testing_expect_same_dump_(int line, const char *what, const char *a,
                               const char *b);
#define EXPECT_SAME_DUMP(what, a, b)                                          \
    testing_expect_same_dump_(__LINE__, what, a, b)

#define TESTS_REGISTER(name, init, clean, tests)                              \
    __attribute__((constructor)) static void tests_register_suite(void) {     \
        testing_add_suite(name, init, clean, tests);                          \
    }

#endif
