/* Checks shared by the scenario suites (tests/testing_scenario.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tests/testing_scenario.h"

/* Index of section.key in the key table; fails the test if it is missing. */
size_t testing_key_index(const char *section, const char *name) {
    for (size_t i = 0; i < scenario_key_count(); i++)
        if (strcmp(scenario_key_section(i), section) == 0 &&
            strcmp(scenario_key_name(i), name) == 0)
            return i;
    char m[256];
    snprintf(m, sizeof m, "key %s.%s is not declared", section, name);
    CU_assertImplementation(CU_FALSE, __LINE__, m, __FILE__, "", CU_TRUE);
    return 0;
}

/* The message and the missing needle are printed. */
void testing_vexpect_msg(const char *file, int line, const char *msg,
                         va_list ap) {
    const char *missing = NULL;
    const char *needle;
    while ((needle = va_arg(ap, const char *)) != NULL)
        if (!missing && !strstr(msg, needle)) missing = needle;
    int one_line = *msg != '\0';
    for (const char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20) one_line = 0;
    if (missing || !one_line) {
        char m[1536];
        snprintf(m, sizeof m, "message [%s] %s '%s'", msg,
                 missing ? "lacks" : "is not one line of text; wanted",
                 missing ? missing : "");
        fprintf(stderr, "\n  %s:%d: %s\n", file, line, m);
        CU_assertImplementation(CU_FALSE, (unsigned)line, m, file, "",
                                CU_TRUE);
    }
    CU_PASS("message has every needle");
}

void testing_expect_msg_(const char *file, int line, const char *msg, ...) {
    va_list ap;
    va_start(ap, msg);
    testing_vexpect_msg(file, line, msg, ap);
    va_end(ap);
}


/* Loads `text` over the defaults and requires it to fail with a one-line
 * message that contains every needle.  The scenario is released first, so a
 * failing assertion leaks nothing. */
void testing_load_fails_(const char *file, int line, const char *text, ...) {
    scenario sc;
    char err[1024] = "";
    if (scenario_init_defaults(&sc, err, sizeof err) != 0) {
        scenario_fini(&sc);
        CU_assertImplementation(CU_FALSE, (unsigned)line, err, file, "",
                                CU_TRUE);
    }
    int rc = scenario_load_string(&sc, NAME, text, err, sizeof err);
    scenario_fini(&sc);
    if (rc != -1) {
        char m[1024];
        snprintf(m, sizeof m, "loading [%s] returned %d, want -1", text, rc);
        fprintf(stderr, "\n  %s:%d: %s\n", file, line, m);
        CU_assertImplementation(CU_FALSE, (unsigned)line, m, file, "",
                                CU_TRUE);
    }
    va_list ap;
    va_start(ap, text);
    testing_vexpect_msg(file, line, err, ap);
    va_end(ap);
}


/* Loads `text` over the defaults into *sc (initialised here); requires
 * success.  The caller runs scenario_fini. */
void testing_load_ok_(const char *file, int line, scenario *sc,
                      const char *text) {
    char err[1024] = "";
    int rc = scenario_init_defaults(sc, err, sizeof err);
    if (rc == 0) rc = scenario_load_string(sc, NAME, text, err, sizeof err);
    if (rc != 0) {
        char m[1536];
        snprintf(m, sizeof m, "loading [%s] failed: %s", text, err);
        fprintf(stderr, "\n  %s:%d: %s\n", file, line, m);
        scenario_fini(sc);
        CU_assertImplementation(CU_FALSE, (unsigned)line, m, file, "",
                                CU_TRUE);
    }
}
