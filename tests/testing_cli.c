/* Running the stalesim binary from tests: temporary files, capturing its
 * stdout and stderr, and failing the calling test when it cannot run; and
 * programs in the background for the end-to-end suites (testing_proc.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/testing.h"
#include "tests/testing_proc.h"

/* Reads a whole file; NULL on failure. */
char *testing_slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (len + 1 < cap) break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf) return NULL;
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

/* Writes `text` to a new file in /tmp; returns its path (malloc'd) or NULL. */
char *testing_temp_file(const char *text) {
    char tmpl[] = "/tmp/stalesim-test-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) return NULL;
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    close(fd);
    char *p = w == (ssize_t)n ? malloc(sizeof tmpl) : NULL;
    if (!p) {
        unlink(tmpl);
        return NULL;
    }
    memcpy(p, tmpl, sizeof tmpl);
    return p;
}

void testing_remove_temp(char *path) {
    if (path) unlink(path);
    free(path);
}

void testing_run_free(cli_run *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* Runs `stalesim ARGS` (ARGS in shell syntax) with stdin from /dev/null.
 * Fails the test fatally, at the caller's line, if it cannot be run. */
void testing_run_(const char *file, int line, cli_run *r,
                  const char *args) {
    r->out = r->err = NULL;
    r->status = -1;
    const char *bin = testing_stalesim();
    char *out = testing_temp_file(""), *err = testing_temp_file("");
    char m[1024];
    if (access(bin, X_OK) != 0 || !out || !err) {
        snprintf(m, sizeof m, "cannot run '%s' (run the tests from the "
                 "repository root after `make stalesim`)", bin);
        testing_remove_temp(out);
        testing_remove_temp(err);
        CU_assertImplementation(CU_FALSE, (unsigned)line, m, file, "",
                                CU_TRUE);
        return;
    }
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s </dev/null >'%s' 2>'%s'", bin, args,
             out, err);
    int st = system(cmd);
    if (st != -1 && WIFEXITED(st)) r->status = WEXITSTATUS(st);
    r->out = testing_slurp(out);
    r->err = testing_slurp(err);
    testing_remove_temp(out);
    testing_remove_temp(err);
    if (!r->out || !r->err) {
        testing_run_free(r);
        snprintf(m, sizeof m, "cannot read the output of [%.900s]", cmd);
        CU_assertImplementation(CU_FALSE, (unsigned)line, m, file, "",
                                CU_TRUE);
    }
}

/* ---- programs in the background (tests/testing_proc.h) -------------------- */

/* testing_proc_start, with the child's files limited to fsize bytes
 * (RLIMIT_FSIZE; 0: no limit) and SIGXFSZ back at its default when
 * `limited` (so that only the program's own handling of a full file is
 * what a test sees). */
static void proc_spawn(testing_proc *p, const char *dir, int err_fd,
                       int flags, const char **argv, int limited,
                       rlim_t fsize) {
    static int seq; /* output files of every suite, told apart */
    if (!argv[0]) argv[0] = testing_stalesim();
    snprintf(p->out_path, sizeof p->out_path, "%s/out.%d", dir, seq);
    snprintf(p->err_path, sizeof p->err_path, "%s/err.%d", dir, seq++);
    p->out = p->err = NULL;
    p->status = -1;
    fflush(NULL);
    p->pid = fork();
    if (p->pid == 0) {
        if (flags & TESTING_PROC_MPI) {
            setpgid(0, 0);
            setenv("ASAN_OPTIONS", "detect_leaks=0", 0);
        }
        int o = open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = err_fd >= 0 ? err_fd
                            : open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
        int in = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || in < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 ||
            dup2(in, 0) < 0)
            _exit(126);
        if (limited) {
            signal(SIGXFSZ, SIG_DFL);
            struct rlimit rl = {fsize, fsize};
            if (fsize && setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(125);
        }
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
}

void testing_proc_start(testing_proc *p, const char *dir, int err_fd,
                        int flags, const char **argv) {
    proc_spawn(p, dir, err_fd, flags, argv, 0, 0);
}

void testing_proc_start_sh(testing_proc *p, const char *dir, rlim_t fsize,
                           const char *cmd) {
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    proc_spawn(p, dir, -1, 0, argv, 1, fsize);
}

/* argv of `stalesim ARGS...` from ap (at most TESTING_PROC_MAX_ARGS). */
static void stalesim_argv(const char **argv, va_list ap) {
    int n = 0;
    argv[n++] = NULL;
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL &&
           n < TESTING_PROC_MAX_ARGS)
        argv[n++] = a;
    argv[n] = NULL;
}

void testing_proc_startl(testing_proc *p, const char *dir, int flags, ...) {
    const char *argv[TESTING_PROC_MAX_ARGS + 2];
    va_list ap;
    va_start(ap, flags);
    stalesim_argv(argv, ap);
    va_end(ap);
    testing_proc_start(p, dir, -1, flags, argv);
}

void testing_proc_finish(testing_proc *p) {
    int st = 0;
    while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR) {
    }
    p->status = WIFEXITED(st) ? WEXITSTATUS(st)
                : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
    p->out = testing_slurp(p->out_path);
    p->err = testing_slurp(p->err_path);
    if (!p->out) p->out = calloc(1, 1);
    if (!p->err) p->err = calloc(1, 1);
    unlink(p->out_path);
    unlink(p->err_path);
}

void testing_proc_run(testing_proc *p, const char *dir, int flags, ...) {
    const char *argv[TESTING_PROC_MAX_ARGS + 2];
    va_list ap;
    va_start(ap, flags);
    stalesim_argv(argv, ap);
    va_end(ap);
    testing_proc_start(p, dir, -1, flags, argv);
    testing_proc_finish(p);
}

void testing_proc_free(testing_proc *p) {
    free(p->out);
    free(p->err);
    p->out = p->err = NULL;
}

void testing_proc_expect_error_(const char *file, int line, testing_proc *p,
                                const char *needle) {
    size_t n = strlen(p->err);
    int one_line = n > 0 && strchr(p->err, '\n') == p->err + n - 1;
    int ok = p->status == 2 && p->out[0] == '\0' && one_line &&
             strncmp(p->err, "stalesim: error: ", 17) == 0 &&
             strstr(p->err, needle);
    char m[1200];
    snprintf(m, sizeof m, "exit %d (want 2), stdout [%.100s], stderr [%.600s] "
             "(want one line with '%s')", p->status, p->out, p->err, needle);
    if (!ok) fprintf(stderr, "\n  %s:%d: %s\n", file, line, m);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, m, file,
                            "", CU_FALSE);
    testing_proc_free(p);
}

double testing_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void testing_sleep_ms(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}
