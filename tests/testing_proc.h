/* Programs started in the background by the end-to-end suites (sweep,
 * scale): stdout and stderr captured in files of the suite's directory,
 * the exit status and the output collected when they end
 * (tests/testing_cli.c).  The short-lived runs of other suites use RUN
 * (tests/testing.h) instead. */
#ifndef STALESIM_TESTS_TESTING_PROC_H
#define STALESIM_TESTS_TESTING_PROC_H

#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "tests/testing.h"

typedef struct testing_proc {
    pid_t pid;
    char out_path[160], err_path[160];
    int status; /* exit code; 128+N for signal N; -1 until finished */
    char *out, *err; /* after testing_proc_finish: NUL-terminated, malloc'd */
} testing_proc;

/* Most arguments a started program gets. */
#define TESTING_PROC_MAX_ARGS 64

/* flags of the start functions: in its own process group, and with the
 * sanitizer's leak check off (a sanitizer build, make test-asan, would
 * count MPI's own allocations that live until exit as leaks). */
#define TESTING_PROC_MPI 1

/* Starts argv (NULL-terminated; argv[0] a program found on PATH, or NULL
 * for the stalesim binary) with stdin from /dev/null and stdout and stderr
 * to new files in dir, or stderr to err_fd when it is >= 0 (a pty). */
void testing_proc_start(testing_proc *p, const char *dir, int err_fd,
                        int flags, const char **argv);
/* Starts `sh -c CMD` as testing_proc_start, its files limited to fsize
 * bytes (RLIMIT_FSIZE; 0: no limit) and SIGXFSZ at its default, so that a
 * full file is met as on a real limit (stalesim ignores the signal). */
void testing_proc_start_sh(testing_proc *p, const char *dir, rlim_t fsize,
                           const char *cmd);
/* Starts `stalesim ARGS...` (NULL-terminated) as testing_proc_start. */
void testing_proc_startl(testing_proc *p, const char *dir, int flags, ...);
/* Waits for p, then reads and removes its output files. */
void testing_proc_finish(testing_proc *p);
/* Runs `stalesim ARGS...` (NULL-terminated) to completion. */
void testing_proc_run(testing_proc *p, const char *dir, int flags, ...);
void testing_proc_free(testing_proc *p);

/* Requires exit 2, nothing on stdout and one stderr line
 * "stalesim: error: ..." holding `needle`; frees p's output. */
void testing_proc_expect_error_(const char *file, int line, testing_proc *p,
                                const char *needle);
#define EXPECT_ERROR(p, needle)                                               \
    testing_proc_expect_error_(__FILE__, __LINE__, p, needle)

#define EXPECT_EXIT(p, code)                                                  \
    EXPECT((p)->status == (code), "exit %d (want %d), stderr [%.600s]",       \
           (p)->status, code, (p)->err)

#define EXPECT_CONTAINS(text, needle)                                         \
    EXPECT(strstr(text, needle) != NULL, "no '%s' in [%.1500s]", needle, text)

/* Seconds on the monotonic clock. */
double testing_now_s(void);
void testing_sleep_ms(int ms);

#endif
