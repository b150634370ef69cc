/* The afl++ driver of the fuzz harnesses (harness.h): `fuzz-afl NAME` runs
 * harness NAME on each test case in persistent mode, the case read from
 * afl-fuzz's shared memory.  Built only by `make fuzz`, with afl-clang-fast.
 * Run from the repository root (fuzz_init's root is "."). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/harness.h"

/* afl's macros are GNU C (statement expressions) and end in ';'. */
#pragma clang diagnostic ignored "-Wgnu-statement-expression"
#pragma clang diagnostic ignored "-Wextra-semi"

__AFL_FUZZ_INIT();

static void cleanup(void) { fuzz_fini(); }

int main(int argc, char **argv) {
    const fuzz_harness *h = argc == 2 ? fuzz_find(argv[1]) : NULL;
    if (!h) {
        fprintf(stderr, "usage: fuzz-afl HARNESS (");
        for (const fuzz_harness *k = fuzz_harnesses; k->name; k++)
            fprintf(stderr, "%s%s", k == fuzz_harnesses ? "" : ", ", k->name);
        fprintf(stderr, ")\n");
        return 2;
    }
    if (fuzz_sqlite_config() != 0) {
        fprintf(stderr, "fuzz-afl: SQLite was initialised before its "
                        "configuration\n");
        return 3;
    }
    if (fuzz_init(".") != 0) {
        perror("fuzz-afl: temporary directory");
        return 3;
    }
    atexit(cleanup);
    __AFL_INIT();
    const unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(10000)) {
        size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
        h->fn(buf, len);
    }
    return 0;
}
