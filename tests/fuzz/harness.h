/* Fuzz harnesses: one function per input reader, each taking the raw bytes
 * of one input and returning the exit code stalesim gives that input
 * (CLI_EXIT_OK, CLI_EXIT_INPUT; CLI_EXIT_RUNTIME only for memory or I/O trouble).
 *
 * The same functions are driven by libFuzzer (tests/fuzz/libfuzzer_main.c,
 * `make fuzz`), by afl++ (tests/fuzz/afl_main.c, `make fuzz FUZZ_ENGINE=afl`,
 * persistent mode) and by the CUnit suite
 * `fuzz-replay` (tests/test_fuzz_replay.c), which feeds them every seed and
 * every regression input in the normal `make test`.  A harness must survive
 * any bytes: a crash, an abort, a sanitizer report or a hang is a bug in the
 * reader it drives, never an expected outcome.
 *
 * Each harness goes through the code path the command line uses for that
 * input (cli_load_scenario, grid_add, workload_trace_read, cmd_summarize,
 * plot_data_load and plot_view_create), stopping short of running a
 * simulation or gnuplot.  Files are written to a private temporary
 * directory made by fuzz_init (under $TMPDIR, else /tmp). */
#ifndef STALESIM_TESTS_FUZZ_HARNESS_H
#define STALESIM_TESTS_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

typedef struct fuzz_harness {
    const char *name; /* "scenario", ..., the folder under tests/fuzz/ */
    fuzz_fn fn;
    const char *about;
} fuzz_harness;

/* The harnesses, ending with a {NULL} entry. */
extern const fuzz_harness fuzz_harnesses[];

/* The harness called `name`, or NULL. */
const fuzz_harness *fuzz_find(const char *name);

/* Makes the temporary directory.  `root` is the repository (the folder
 * holding tests/ and experiments/): a scenario input is written two levels
 * below a link to it, so that the catalog's relative trace paths
 * ("../../tests/fixtures/...") resolve.  Returns 0, or -1 with errno set.
 * Call once before any harness; fuzz_fini removes the directory. */
int fuzz_init(const char *root);
void fuzz_fini(void);

/* Configures SQLite for a process that runs the harnesses on one thread and
 * nothing else: no mutexes (SQLITE_CONFIG_SINGLETHREAD) and no memory
 * statistics (SQLITE_CONFIG_MEMSTATUS 0).  What SQLite reads and how it
 * parses and answers is unchanged; only its locking and its allocator's
 * bookkeeping go (the db harness: 12% less CPU an input,
 * docs/hardening.md).  For the fuzz
 * drivers only (libfuzzer_main.c, afl_main.c), before anything uses SQLite:
 * not for run_tests, whose other suites run SQLite on several threads.
 * Returns 0, or -1 when SQLite was already initialised. */
int fuzz_sqlite_config(void);

/* The harnesses.  Input formats:
 *   scenario  a scenario file; a line "%%set" ends it, and each following
 *             line is one --set override ("section.key=value")
 *   vary      one --vary argument a line, applied over the scenario
 *             tests/fuzz/vary-base.ini (which has key families)
 *   twitter   a Twitter-format trace ([workload] trace_format = twitter)
 *   csv       a csv trace ([workload] trace_format = csv)
 *   db        a results database file, read as summarize, plot and report
 *             read it
 *   runjson   a `stalesim run --format json` file, read as plot reads it */
int fuzz_scenario(const uint8_t *data, size_t size);
int fuzz_vary(const uint8_t *data, size_t size);
int fuzz_twitter(const uint8_t *data, size_t size);
int fuzz_csv(const uint8_t *data, size_t size);
int fuzz_db(const uint8_t *data, size_t size);
int fuzz_runjson(const uint8_t *data, size_t size);

#endif
