/* The libFuzzer driver of the fuzz harnesses (harness.h): the harness named
 * by the environment variable STALESIM_FUZZ runs in-process on each input
 * libFuzzer makes.  Built only by `make fuzz` (the default engine), with
 * clang -fsanitize=fuzzer; run from the repository root (fuzz_init's root
 * is ".").
 *
 * Why a second engine beside afl++ (afl_main.c): afl++ hands each input to
 * the target through its fork server, four process switches and a SIGSTOP
 * per execution.  On this machine (a paravirtualised VM) afl-fuzz alone
 * spends about 180 us of CPU per execution whatever the harness does, more
 * than the text parsers themselves (8-90 us), and every switch waits for
 * the scheduler on a loaded machine; libFuzzer calls the harness as a
 * function, so an execution costs what the harness costs
 * (docs/hardening.md, "Speed"). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const fuzz_harness *harness;

static void cleanup(void) { fuzz_fini(); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *name = getenv("STALESIM_FUZZ");
    harness = name ? fuzz_find(name) : NULL;
    if (!harness) {
        fprintf(stderr, "fuzz-lf: set STALESIM_FUZZ to a harness (");
        for (const fuzz_harness *k = fuzz_harnesses; k->name; k++)
            fprintf(stderr, "%s%s", k == fuzz_harnesses ? "" : ", ", k->name);
        fprintf(stderr, ")\n");
        exit(2);
    }
    if (fuzz_sqlite_config() != 0) {
        fprintf(stderr, "fuzz-lf: SQLite was initialised before its "
                        "configuration\n");
        exit(3);
    }
    if (fuzz_init(".") != 0) {
        perror("fuzz-lf: temporary directory");
        exit(3);
    }
    atexit(cleanup);
    return 0;
}

/* The harness's exit code is stalesim's answer to the input, not a verdict:
 * a crash, an abort or a time-out is what libFuzzer reports. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    harness->fn(data, size);
    return 0;
}
