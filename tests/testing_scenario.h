/* Checks shared by the scenario suites (tests/test_scenario.c,
 * tests/test_scenario_errors.c), in tests/testing_scenario.c: a scenario
 * text that must load, or must fail with one line naming given parts. */
#ifndef STALESIM_TESTS_TESTING_SCENARIO_H
#define STALESIM_TESTS_TESTING_SCENARIO_H

#include <stdarg.h>
#include <stddef.h>

#include "models/scenario.h"
#include "tests/testing.h"

#define NAME "t.ini" /* the file name the texts are loaded under */

/* Index of section.key in the key table; fails the test if it is missing. */
size_t testing_key_index(const char *section, const char *name);

/* Fails the test (fatally, at file:line) unless msg is one line of text
 * containing every string of the NULL-terminated list ap. */
void testing_vexpect_msg(const char *file, int line, const char *msg,
                         va_list ap);

/* EXPECT_MSG(msg, "needle", ...): msg is one line of text containing every
 * needle (else the test fails, fatally, at the caller's line). */
void testing_expect_msg_(const char *file, int line, const char *msg, ...);
#define EXPECT_MSG(msg, ...)                                                  \
    testing_expect_msg_(__FILE__, __LINE__, msg, __VA_ARGS__,               \
                        (const char *)NULL)

/* LOAD_FAILS(text, "needle", ...): loading text over the defaults fails
 * with a one-line message that contains every needle. */
void testing_load_fails_(const char *file, int line, const char *text, ...);
#define LOAD_FAILS(text, ...)                                                 \
    testing_load_fails_(__FILE__, __LINE__, text, __VA_ARGS__,              \
                        (const char *)NULL)

/* LOAD_OK(sc, text): loads text over the defaults into *sc (initialised
 * here); requires success.  The caller runs scenario_fini. */
void testing_load_ok_(const char *file, int line, scenario *sc,
                      const char *text);
#define LOAD_OK(sc, text) testing_load_ok_(__FILE__, __LINE__, sc, text)

#endif
