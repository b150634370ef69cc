/* Suite fuzz-replay: every seed and every regression input of the fuzz
 * harnesses (tests/fuzz/), fed to the same harness functions libFuzzer and
 * afl++ drive, compiled here without either.
 *
 * The inputs are assembled by tests/fuzz/seeds.sh, as `make fuzz` assembles
 * afl-fuzz's: the scenario catalog, the validation scenarios, the fixtures,
 * tests/fuzz/seeds/HARNESS/ and tests/fuzz/regressions/HARNESS/, and a small
 * sweep database (with and without key families) and RUN.json made by the
 * binary.  Each must come back without a crash, an abort or a sanitizer
 * report, with the exit code its name states (NAME.exitN: N; any other
 * name: 0, a valid input).  The harness output (stalesim's error lines,
 * summarize's tables) goes to /dev/null. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "tests/fuzz/harness.h"
#include "tests/testing.h"

static char dir[128]; /* the suite's temporary directory */
static int ready;     /* seeds assembled, fuzz_init done */

static int suite_init(void) {
    snprintf(dir, sizeof dir, "/tmp/stalesim-fuzz-replay-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sh tests/fuzz/seeds.sh '%s/seeds' '%s' "
             ">'%s/seeds.log' 2>&1", dir, testing_stalesim(), dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "fuzz-replay: tests/fuzz/seeds.sh failed (see "
                "%s/seeds.log)\n", dir);
        return 0; /* each test then fails, naming the cause */
    }
    if (fuzz_init(".") != 0) {
        perror("fuzz-replay: fuzz_init");
        return 0;
    }
    ready = 1;
    return 0;
}

static int suite_clean(void) {
    fuzz_fini();
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The exit code a file's name asks for: NAME.exitN gives N, else 0. */
static int expected_exit(const char *name) {
    const char *dot = strrchr(name, '.');
    if (dot && strncmp(dot, ".exit", 5) == 0 && dot[5] >= '0' &&
        dot[5] <= '3' && dot[6] == '\0')
        return dot[5] - '0';
    return 0;
}

static uint8_t *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            uint8_t *more = realloc(buf, cap *= 2);
            if (!more) {
                free(buf);
                buf = NULL;
            }
            buf = more;
        }
    }
    fclose(f);
    *size = n;
    return buf;
}

/* Calls fn with stdout and stderr sent to /dev/null. */
static int call_quietly(fuzz_fn fn, const uint8_t *data, size_t size) {
    fflush(stdout);
    fflush(stderr);
    int out = dup(STDOUT_FILENO), err = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    if (out >= 0 && err >= 0 && null >= 0) {
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
    }
    int code = fn(data, size);
    fflush(stdout);
    fflush(stderr);
    if (out >= 0) dup2(out, STDOUT_FILENO);
    if (err >= 0) dup2(err, STDERR_FILENO);
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    if (null >= 0) close(null);
    return code;
}

/* Replays every input of harness `name`; at least `min` of them. */
static void replay(const char *name, size_t min) {
    EXPECT(ready, "the seeds could not be assembled (see %s/seeds.log)", dir);
    if (!ready) return;
    const fuzz_harness *h = fuzz_find(name);
    EXPECT(h != NULL, "no harness '%s'", name);
    if (!h) return;
    char path[512];
    snprintf(path, sizeof path, "%s/seeds/%s", dir, name);
    DIR *d = opendir(path);
    EXPECT(d != NULL, "cannot open %s", path);
    if (!d) return;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char file[1024];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        size_t size = 0;
        uint8_t *data = read_all(file, &size);
        EXPECT(data != NULL, "cannot read %s", file);
        if (!data) continue;
        int want = expected_exit(e->d_name);
        int got = call_quietly(h->fn, data, size);
        EXPECT(got == want, "harness %s, input %s (%zu bytes): exit %d, want "
               "%d", name, e->d_name, size, got, want);
        free(data);
        n++;
    }
    closedir(d);
    EXPECT(n >= min, "harness %s: %zu inputs, want at least %zu", name, n,
           min);
}

static void test_scenario(void) { replay("scenario", 20); }
static void test_vary(void) { replay("vary", 4); }
static void test_twitter(void) { replay("twitter", 2); }
static void test_csv(void) { replay("csv", 2); }
static void test_db(void) { replay("db", 3); }
static void test_runjson(void) { replay("runjson", 3); }

/* The classification itself: a valid input of each harness gives 0 and a
 * broken one 2, so a harness that always answered one code would fail. */
static void test_classifies(void) {
    EXPECT(ready, "the seeds could not be assembled (see %s/seeds.log)", dir);
    if (!ready) return;
    static const struct {
        fuzz_fn fn;
        const char *text;
        int want;
    } cases[] = {
        {fuzz_scenario, "[cache]\nttl = 5s\n%%set\nrun.reps=3\n", 0},
        {fuzz_scenario, "[cache]\nttl = 5s\n%%set\nrun.reps=zero\n", 2},
        {fuzz_scenario, "[cache]\nttl = 5s\n\n", 0},
        {fuzz_scenario, "[cache]\nttl = 5s\0\n", 2},
        {fuzz_vary, "cache.ttl=1s..8s*2\n", 0},
        {fuzz_vary, "cache.ttl=\n", 2},
        {fuzz_twitter, "5,k,1,1,0,get,0\n", 0},
        {fuzz_twitter, "5,k,1,1,0,fly,0\n", 2},
        {fuzz_csv, "0,k,read\n", 0},
        {fuzz_csv, "0,k,jump\n", 2},
        {fuzz_db, "not a database", 2},
        {fuzz_runjson, "[]", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].text);
        if (i == 3) len += 2; /* the NUL and the newline after it */
        int got = call_quietly(cases[i].fn, (const uint8_t *)cases[i].text,
                               len);
        EXPECT(got == cases[i].want, "case %zu (%s): exit %d, want %d", i,
               cases[i].text, got, cases[i].want);
    }
}

static CU_TestInfo tests[] = {
    {"scenario and --set inputs", test_scenario},
    {"--vary inputs", test_vary},
    {"twitter trace inputs", test_twitter},
    {"csv trace inputs", test_csv},
    {"database inputs", test_db},
    {"RUN.json inputs", test_runjson},
    {"exit classification", test_classifies},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("fuzz-replay", suite_init, suite_clean, tests)
