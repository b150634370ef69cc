/* Suite "badinput": hostile and careless input through the binary, and
 * output that must never be left half-written (docs/limits.md).
 *
 * The catalogue is a table: each row is a command line (shell words, with
 * @D@ standing for a private folder of fixtures built once), the exit code
 * it must give (2 bad input, 3 a fault from outside), and a text the error
 * must contain, naming the culprit (file:line, key, flag or path).  Every
 * row also checks that the process exited (no signal), printed exactly one
 * error line, and that the results database made before the catalogue is
 * byte-identical afterwards.
 *
 * Output safety runs commands in a child whose file size is limited
 * (setrlimit RLIMIT_FSIZE before exec, SIGXFSZ left at its default so the
 * program's own handling is what is tested): the command must exit 3 and
 * leave the destination as it was (absent, or the old bytes), and no
 * temporary file behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testing.h"

/* ---- the fixture folder ------------------------------------------------------------ */

static char fixdir[64]; /* "" until made */

static void put_file(const char *name, const char *text, size_t len) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", fixdir, name);
    FILE *f = fopen(path, "wb");
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT_FATAL(fwrite(text, 1, len, f) == len);
    CU_ASSERT_FATAL(fclose(f) == 0);
}

static void put_text(const char *name, const char *text) {
    put_file(name, text, strlen(text));
}

/* Runs `sh -c CMD` in the fixture folder's parent (the repository root),
 * RLIMIT_FSIZE at `fsize` bytes (0: none); returns the wait status and the
 * child's stderr in err (NUL-terminated, truncated to errlen). */
static int run_limited(const char *cmd, rlim_t fsize, char *err,
                       size_t errlen) {
    char errpath[128];
    snprintf(errpath, sizeof errpath, "%s/.stderr", fixdir);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) _exit(126);
        dup2(fd, 2);
        close(fd);
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
        }
        signal(SIGXFSZ, SIG_DFL);
        if (fsize) {
            struct rlimit rl = {fsize, fsize};
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(125);
        }
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int st = -1;
    if (pid > 0) waitpid(pid, &st, 0);
    char *text = testing_slurp(errpath);
    snprintf(err, errlen, "%s", text ? text : "");
    free(text);
    unlink(errpath);
    return st;
}

/* The number of files in the fixture folder whose name holds ".tmp-". */
static int temp_files_left(void) {
    DIR *d = opendir(fixdir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strstr(e->d_name, ".tmp-") != NULL;
    closedir(d);
    return n;
}

static int make_fixdir(void) {
    snprintf(fixdir, sizeof fixdir, "/tmp/stalesim-badinput-XXXXXX");
    if (!mkdtemp(fixdir)) {
        fixdir[0] = '\0';
        return -1;
    }
    return 0;
}

static int remove_fixdir(void) {
    if (!fixdir[0]) return 0;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fixdir);
    int rc = system(cmd);
    fixdir[0] = '\0';
    return rc == 0 ? 0 : -1;
}

/* ---- nothing half-written ---------------------------------------------------------- */

/* One output that a file size limit interrupts: the command (with @D@ for
 * the folder and @O@ for the destination's path) must exit 3 naming the
 * destination; the destination keeps `old` (NULL: stays absent). */
static void expect_untouched(const char *what, const char *cmdfmt,
                             const char *dest, const char *old,
                             rlim_t limit) {
    char destpath[256], cmd[2048], err[2048];
    snprintf(destpath, sizeof destpath, "%s/%s", fixdir, dest);
    unlink(destpath);
    if (old) put_text(dest, old);
    /* @D@ and @O@ expanded */
    size_t o = 0;
    o += (size_t)snprintf(cmd, sizeof cmd, "'%s' ", testing_stalesim());
    for (const char *c = cmdfmt; *c && o + 300 < sizeof cmd;) {
        if (strncmp(c, "@D@", 3) == 0) {
            o += (size_t)snprintf(cmd + o, sizeof cmd - o, "%s", fixdir);
            c += 3;
        } else if (strncmp(c, "@O@", 3) == 0) {
            o += (size_t)snprintf(cmd + o, sizeof cmd - o, "%s", destpath);
            c += 3;
        } else {
            cmd[o++] = *c++;
        }
    }
    cmd[o] = '\0';
    int st = run_limited(cmd, limit, err, sizeof err);
    EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 3,
           "%s: status %s %d, want exit 3; stderr: %s", what,
           WIFEXITED(st) ? "exit" : "signal",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), err);
    EXPECT(strstr(err, dest) != NULL, "%s: the error does not name %s: %s",
           what, dest, err);
    struct stat sb;
    if (!old) {
        EXPECT(stat(destpath, &sb) != 0,
               "%s: %s exists (%lld bytes) after the failure", what, dest,
               (long long)sb.st_size);
    } else {
        char *now = testing_slurp(destpath);
        EXPECT(now && strcmp(now, old) == 0,
               "%s: the old %s was replaced by %.40s", what, dest,
               now ? now : "(nothing)");
        free(now);
    }
    EXPECT(temp_files_left() == 0, "%s: a temporary file is left in %s",
           what, fixdir);
    unlink(destpath);
}

static void test_outputs_all_or_nothing(void) {
    CU_ASSERT_FATAL(fixdir[0] != '\0');
    const char *small = "--set run.duration=1s --reps 1";
    char fmt[512];
    /* --history is 170 kB here: 64 kB cannot hold it. */
    snprintf(fmt, sizeof fmt, "run %s --history @O@", small);
    expect_untouched("run --history, new file", fmt, "h.jsonl", NULL, 65536);
    expect_untouched("run --history, old file", fmt, "h.jsonl", "OLD\n",
                     65536);
    /* The JSON of this run is 14 kB; the CSV 7 kB. */
    snprintf(fmt, sizeof fmt, "run %s --json @O@", small);
    expect_untouched("run --json", fmt, "r.json", "OLD\n", 8192);
    snprintf(fmt, sizeof fmt, "run %s --csv @O@", small);
    expect_untouched("run --csv", fmt, "r.csv", NULL, 4096);
    /* A plot: gnuplot's PNG is about 40 kB (a 32 kB limit lets SQLite's
     * shared memory file be made, not the picture). */
    expect_untouched("plot png", "plot @D@/made.db --kind window-cdf -o @O@",
                     "p.png", NULL, 36000);
    expect_untouched("plot png, old",
                     "plot @D@/made.db --kind window-cdf -o @O@", "p.png",
                     "OLD\n", 36000);
    /* From a run's JSON (no SQLite): a 20 kB SVG, a 10 kB PDF. */
    expect_untouched("plot svg", "plot @D@/run.json --kind window-cdf -o @O@",
                     "p.svg", NULL, 4096);
    expect_untouched("plot pdf, old",
                     "plot @D@/run.json --kind age-hist -o @O@", "p.pdf",
                     "OLD\n", 4096);
}

/* Without a limit the same outputs are written whole, and nothing else is
 * left beside them. */
static void test_outputs_written(void) {
    CU_ASSERT_FATAL(fixdir[0] != '\0');
    char cmd[1024], err[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' run --set run.duration=1s --reps 1 --history %s/h.jsonl "
             "--json %s/r.json --csv %s/r.csv",
             testing_stalesim(), fixdir, fixdir, fixdir);
    int st = run_limited(cmd, 0, err, sizeof err);
    EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d: %s", st, err);
    const char *names[] = {"h.jsonl", "r.json", "r.csv"};
    mode_t um = umask(022);
    umask(um);
    for (int i = 0; i < 3; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", fixdir, names[i]);
        struct stat sb;
        EXPECT(stat(path, &sb) == 0 && sb.st_size > 1000 &&
                   (sb.st_mode & 0777) == (0666 & ~um),
               "%s: %lld bytes, mode %o", names[i], (long long)sb.st_size,
               (unsigned)(sb.st_mode & 0777));
        unlink(path);
    }
    EXPECT(temp_files_left() == 0, "a temporary file is left in %s", fixdir);
}

/* ---- the suite ----------------------------------------------------------------------- */

static int suite_init(void) {
    if (make_fixdir() != 0) return -1;
    /* A results database made before the catalogue (also plotted above). */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' sweep --vary cache.ttl=1s,10s --reps 2 --set "
             "run.duration=5s --db %s/made.db >/dev/null 2>&1",
             testing_stalesim(), fixdir);
    if (system(cmd) != 0) return -1;
    snprintf(cmd, sizeof cmd,
             "'%s' run --set run.duration=5s --reps 2 --format json "
             ">%s/run.json 2>/dev/null",
             testing_stalesim(), fixdir);
    return system(cmd) == 0 ? 0 : -1;
}

static int suite_clean(void) { return remove_fixdir(); }

static CU_TestInfo tests[] = {
    {"outputs: a file size limit leaves nothing (or the old file)",
     test_outputs_all_or_nothing},
    {"outputs: written whole, mode 0666 less the umask, no temporary left",
     test_outputs_written},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("badinput", suite_init, suite_clean, tests)
