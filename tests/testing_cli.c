/* Running the stalesim binary from tests: temporary files, capturing its
 * stdout and stderr, and failing the calling test when it cannot run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testing.h"

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

