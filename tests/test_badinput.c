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
#include <time.h>
#include <unistd.h>
#include <wordexp.h>

#include "experiments/cli.h"

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

/* Runs `stalesim ARGS` (shell words: quotes and $(...) are expanded by
 * wordexp; "< FILE" at the end makes FILE the standard input) in a forked
 * child of this process, calling cli_main directly: no exec, so a row costs
 * a fork, not a program start.  SIGALRM after 60 s stops a hang.  Returns
 * the wait status and the child's stderr in err. */
static int run_inprocess(const char *args, char *err, size_t errlen) {
    char errpath[128];
    snprintf(errpath, sizeof errpath, "%s/.stderr", fixdir);
    char *words = strdup(args), *in = NULL;
    CU_ASSERT_FATAL(words != NULL);
    char *lt = strstr(words, " < ");
    if (lt) {
        *lt = '\0';
        in = lt + 3;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int nul = open("/dev/null", O_RDWR);
        int infd = in ? open(in, O_RDONLY) : nul;
        if (fd < 0 || nul < 0 || infd < 0) _exit(126);
        dup2(infd, 0);
        dup2(nul, 1);
        dup2(fd, 2);
        wordexp_t we;
        if (wordexp(words, &we, WRDE_SHOWERR) != 0) _exit(125);
        char **argv = calloc(we.we_wordc + 2, sizeof *argv);
        if (!argv) _exit(124);
        argv[0] = "stalesim";
        for (size_t i = 0; i < we.we_wordc; i++) argv[i + 1] = we.we_wordv[i];
        alarm(60);
        int code = cli_main((int)we.we_wordc + 1, argv);
        fflush(stdout);
        fflush(stderr);
        _exit(code);
    }
    int st = -1;
    if (pid > 0) waitpid(pid, &st, 0);
    free(words);
    char *text = testing_slurp(errpath);
    snprintf(err, errlen, "%s", text ? text : "");
    free(text);
    unlink(errpath);
    return st;
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


/* ---- the catalogue ------------------------------------------------------------------ */

/* One hostile input.  `ini` (if any) is written to @D@/s.ini and `trace` to
 * @D@/t.csv before the command runs. */
typedef struct bad_case {
    const char *args;  /* after `stalesim`, shell syntax, @D@ the folder */
    int code;          /* EXIT 2 bad input, 3 a fault from outside */
    const char *names; /* the error names the culprit: contains this */
    const char *ini;
    const char *trace;
} bad_case;

#define GOOD "[run]\nduration = 1s\nreps = 1\n"
#define TRACE_INI(fmt)                                                        \
    GOOD "[workload]\ntrace = t.csv\ntrace_format = " fmt "\nkeys = 100\n"

static const bad_case catalogue[] = {
    /* ---- scenario files: sections, keys, values ---- */
    {"run @D@/s.ini", 2, "s.ini:2: unknown section [nope]", "[run]\n[nope]\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'colour'", "[cache]\ncolour = red\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'duration'", "[run]\nduration = -1s\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'duration'", "[run]\nduration = 5 parsecs\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'duration'", "[run]\nduration = 1e400s\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'reps'", "[run]\nreps = 0\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'reps'", "[run]\nreps = 1e9\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'reps'", "[run]\nreps = 99999999999999999999\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'seed'", "[run]\nseed = -3\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:3: key 'warmup'",
     "[run]\nduration = 1s\nwarmup = 2s\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'keys'", "[workload]\nkeys = 0\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'keys'", "[workload]\nkeys = 5000000000\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'reads'", "[workload]\nreads = -5/s\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'reads'", "[workload]\nreads = nan\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'reads'", "[workload]\nreads = inf\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'popularity'",
     "[workload]\npopularity = zipf:-1\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'arrivals'",
     "[workload]\narrivals = bursty:1s,1s,0.5\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'clients'", "[workload]\nclients = 0\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'read_latency'",
     "[db]\nread_latency = lognormal:5ms\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'read_latency'",
     "[db]\nread_latency = exp:-5ms\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'write_latency'",
     "[db]\nwrite_latency = pareto:1ms\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'replicas'", "[db]\nreplicas = 1023\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'pattern'",
     "[cache]\npattern = magic\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'ttl'", "[cache]\nttl = soon\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'invalidation'",
     "[cache]\ninvalidation = sometimes\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'ttl_jitter'",
     "[cache]\nttl_jitter = 1.5\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'mitigations'",
     "[cache]\nmitigations = wishful\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'sliding_ttl'",
     "[cache]\nsliding_ttl = maybe\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'instances'",
     "[local]\ninstances = 5000\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'routing'",
     "[local]\nrouting = astrology\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'bus_loss'", "[local]\nbus_loss = 2\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'del_fail'", "[faults]\ndel_fail = -0.1\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'set_fail'", "[faults]\nset_fail = 0x10\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'quantile'",
     "[contract]\nquantile = 1.5\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'max_staleness'",
     "[contract]\nmax_staleness = forever\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:3: key 'share'",
     "[path.a]\nshare = 0.5\nshare = 0.6\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:1: [family.", "[family.]\nkeys = 5\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'keys'", "[family.hot]\nkeys = 0\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'flush_interval'",
     "[write_behind]\nflush_interval = -1s\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:1:", "key = value\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2:", "[run]\nthis is not ini\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:1:", "[run\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:3: key 'duration'",
     "[run]\nduration = 1s\nduration = 2s\n", NULL},
    /* the memory estimate */
    {"run @D@/s.ini", 2, "key 'workload.reads'",
     "[workload]\nreads = 1e12/s\n", NULL},
    {"run @D@/s.ini", 2, "key 'workload.keys'",
     "[workload]\nkeys = 250000000\npopularity = zipf:1\n", NULL},
    {"run @D@/s.ini", 2, "key 'workload.keys'",
     "[workload]\nkeys = 4000000000\n", NULL},
    {"run @D@/s.ini", 2, "key 'workload.writes'",
     "[run]\nduration = 36000s\n[workload]\nwrites = 1e8/s\n", NULL},
    {"run @D@/s.ini --max-memory 8M", 2, "--max-memory 8M", GOOD, NULL},
    {"run --max-memory 0", 2, "--max-memory: '0'", NULL, NULL},
    {"run --max-memory lots", 2, "--max-memory: 'lots'", NULL, NULL},
    {"run --max-memory 5Q", 2, "--max-memory: '5Q'", NULL, NULL},
    /* ---- scenario files that are not scenario files ---- */
    {"run @D@/fifo", 2, "fifo", NULL, NULL},
    {"run @D@/dir", 2, "dir", NULL, NULL},
    {"run /dev/zero", 2, "/dev/zero", NULL, NULL},
    {"run @D@/missing.ini", 2, "missing.ini", NULL, NULL},
    {"run @D@/nul.ini", 2, "nul.ini:3", NULL, NULL},
    {"run @D@/longline.ini", 2, "longline.ini", NULL, NULL},
    {"run @D@/huge.ini", 2, "huge.ini", NULL, NULL},
    {"run @D@/binary.ini", 2, "binary.ini", NULL, NULL},
    /* ---- traces ---- */
    {"run @D@/s.ini", 2, "t.csv:2", TRACE_INI("csv"), "0,a,read\n-1,b,read\n"},
    {"run @D@/s.ini", 2, "t.csv:1", TRACE_INI("csv"), "0,a,peek\n"},
    {"run @D@/s.ini", 2, "t.csv:1", TRACE_INI("csv"), "zero,a,read\n"},
    {"run @D@/s.ini", 2, "t.csv:1", TRACE_INI("csv"), "0,a\n"},
    {"run @D@/s.ini", 2, "t.csv", TRACE_INI("csv"), ""},
    {"run @D@/s.ini", 2, "t.csv:1", TRACE_INI("twitter"), "0,k,1,1,1,frobnicate,0\n"},
    {"run @D@/s.ini", 2, "t.csv:1", TRACE_INI("twitter"), "0,k,1,1,-1,get,0\n"},
    {"run @D@/s.ini", 2, "t.csv:2", TRACE_INI("twitter"),
     "5,k,1,1,1,get,0\n4,k,1,1,1,get,0\n"},
    {"run @D@/s.ini", 2, "keys >= 3",
     GOOD "[workload]\ntrace = t.csv\ntrace_format = csv\nkeys = 2\n",
     "0,a,read\n1,b,read\n2,c,read\n"},
    {"run @D@/s.ini", 2, "missing.csv",
     GOOD "[workload]\ntrace = missing.csv\ntrace_format = csv\n", NULL},
    {"run @D@/s.ini", 2, "fifo",
     GOOD "[workload]\ntrace = fifo\ntrace_format = csv\n", NULL},
    {"run @D@/s.ini", 2, "longline.ini",
     GOOD "[workload]\ntrace = longline.ini\ntrace_format = csv\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'read_latency'",
     "[db]\nread_latency = empirical:/dev/zero\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'read_latency'",
     "[db]\nread_latency = empirical:fifo\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'read_latency'",
     "[db]\nread_latency = empirical:empty\n", NULL},
    {"run @D@/s.ini", 2, "s.ini:2: key 'read_latency'",
     "[db]\nread_latency = empirical:longline.ini\n", NULL},
    /* ---- flags of every command ---- */
    {"", 2, "usage", NULL, NULL},
    {"frobnicate", 2, "frobnicate", NULL, NULL},
    {"run --frob", 2, "--frob", NULL, NULL},
    {"run --format yaml", 2, "--format", NULL, NULL},
    {"run --jobs 0", 2, "--jobs", NULL, NULL},
    {"run --jobs 1000000", 2, "--jobs", NULL, NULL},
    {"run --reps -1", 2, "--reps", NULL, NULL},
    {"run --reps", 2, "--reps", NULL, NULL},
    {"run --seed abc", 2, "--seed", NULL, NULL},
    {"run --set nonsense", 2, "nonsense", NULL, NULL},
    {"run --set cache.ttl", 2, "cache.ttl", NULL, NULL},
    {"run --set cache.nope=1", 2, "cache.nope", NULL, NULL},
    {"run --set workload.reads=1e999/s", 2, "workload.reads", NULL, NULL},
    {"run @D@/s.ini @D@/s.ini", 2, "more than one", GOOD, NULL},
    {"run --history", 2, "--history", NULL, NULL},
    {"sweep --vary cache.ttl", 2, "--vary", NULL, NULL},
    {"sweep --vary cache.ttl=", 2, "--vary", NULL, NULL},
    {"sweep --vary nope.key=1,2", 2, "nope.key", NULL, NULL},
    {"sweep --vary cache.ttl=1s..1000000s+1ms", 2, "--vary", NULL, NULL},
    {"sweep --vary cache.ttl=1s..10000s+1s --vary faults.del_fail=0..0.9+0.1 "
     "--reps 1000000 --db @D@/g.db", 2, "--vary", NULL, NULL},
    {"sweep --precision 2", 2, "--precision", NULL, NULL},
    /* a relative empirical: file of --vary is the scenario folder's (the
     * working directory has a Makefile, the folder none) */
    {"sweep @D@/s.ini --vary 'db.read_latency=empirical:Makefile' --db "
     "@D@/g.db", 2, "Makefile", GOOD, NULL},
    {"sweep --max-reps 5", 2, "--max-reps", NULL, NULL},
    {"sweep --reps 2 --precision 0.1", 2, "--precision", NULL, NULL},
    {"summarize", 2, "summarize", NULL, NULL},
    {"summarize @D@/made.db --experiment 0", 2, "--experiment", NULL, NULL},
    {"summarize @D@/made.db --experiment 99", 2, "99", NULL, NULL},
    {"summarize @D@/made.db --format xml", 2, "--format", NULL, NULL},
    {"summarize @D@/made.db --by nope.key", 2, "nope.key", NULL, NULL},
    {"compare --patterns nope", 2, "nope", NULL, NULL},
    {"check --jobs x", 2, "--jobs", NULL, NULL},
    {"audit", 2, "audit", NULL, NULL},
    {"audit @D@/missing.jsonl", 2, "missing.jsonl", NULL, NULL},
    {"audit @D@/s.ini", 2, "s.ini:1", GOOD, NULL},
    {"audit @D@/fifo", 2, "fifo", NULL, NULL},
    {"audit @D@/dir", 2, "dir", NULL, NULL},
    {"audit @D@/longline.ini", 2, "longline.ini:1", NULL, NULL},
    {"audit - < /dev/zero", 2, "(stdin):1", NULL, NULL},
    {"audit @D@/hist.jsonl --depth -1", 2, "--depth", NULL, NULL},
    {"audit @D@/hist.jsonl --contract nope=1", 2, "nope", NULL, NULL},
    {"explain @D@/s.ini --stale 0", 2, "--stale", GOOD, NULL},
    {"explain @D@/s.ini --cause nope", 2, "nope", GOOD, NULL},
    {"explain @D@/s.ini --rep -1", 2, "--rep", GOOD, NULL},
    {"tune --find cache.nope", 2, "cache.nope", NULL, NULL},
    {"tune --find cache.ttl --range 5..1", 2, "--range", NULL, NULL},
    {"tune --choose cache.pattern=magic", 2, "magic", NULL, NULL},
    {"sensitivity --metric nope", 2, "nope", NULL, NULL},
    {"sensitivity --samples -5", 2, "--samples", NULL, NULL},
    {"plot @D@/made.db", 2, "--kind", NULL, NULL},
    {"plot @D@/made.db --kind pie -o @D@/x.png", 2, "pie", NULL, NULL},
    {"plot @D@/made.db --kind vs --x nope.key -o @D@/x.png", 2, "nope.key",
     NULL, NULL},
    {"plot @D@/made.db --kind window-cdf --size 0x0 -o @D@/x.png", 2, "--size",
     NULL, NULL},
    {"plot @D@/made.db --kind window-cdf -o @D@/x.bmp", 2, "x.bmp", NULL, NULL},
    {"report @D@/made.db", 2, "-o", NULL, NULL},
    {"report @D@/made.db -o @D@/r.md --experiment abc", 2, "--experiment", NULL,
     NULL},
    {"emulate", 2, "emulate", NULL, NULL},
    {"emulate @D@/s.ini --duration soon", 2, "--duration", GOOD, NULL},
    {"keys extra", 2, "extra", NULL, NULL},
    {"help nope", 2, "nope", NULL, NULL},
    /* ---- databases ---- */
    {"summarize @D@/missing.db", 2, "missing.db", NULL, NULL},
    {"summarize @D@/empty", 2, "empty", NULL, NULL},
    {"summarize @D@/s.ini", 2, "s.ini", GOOD, NULL},
    {"summarize @D@/foreign.db", 2, "foreign.db", NULL, NULL},
    {"summarize @D@/wrongschema.db", 2, "wrongschema.db", NULL, NULL},
    {"summarize @D@/damaged.db", 2, "damaged.db", NULL, NULL},
    {"summarize @D@/truncated.db", 2, "truncated.db", NULL, NULL},
    {"summarize @D@/dir", 2, "dir", NULL, NULL},
    {"summarize @D@/fifo", 2, "fifo", NULL, NULL},
    {"plot @D@/damaged.db --kind window-cdf -o @D@/x.png", 2, "damaged.db",
     NULL, NULL},
    {"plot @D@/foreign.db --kind window-cdf -o @D@/x.png", 2, "foreign.db",
     NULL, NULL},
    {"report @D@/truncated.db -o @D@/r.md", 2, "truncated.db", NULL, NULL},
    {"report @D@/wrongschema.db -o @D@/r.md", 2, "wrongschema.db", NULL, NULL},
    {"sweep --reps 1 --set run.duration=1s --db @D@/foreign.db", 2,
     "foreign.db", NULL, NULL},
    {"sweep --reps 1 --set run.duration=1s --db @D@/damaged.db", 2,
     "damaged.db", NULL, NULL},
    {"plot @D@/bad.json --kind window-cdf -o @D@/x.png", 2, "bad.json", NULL,
     NULL},
    {"plot @D@/empty --kind window-cdf -o @D@/x.png", 2, "empty", NULL, NULL},
    /* ---- output paths ---- */
    {"run @D@/s.ini --history /proc/nope/h.jsonl", 3, "/proc/nope/h.jsonl",
     GOOD, NULL},
    {"run @D@/s.ini --json @D@/dir", 2, "dir", GOOD, NULL},
    {"run @D@/s.ini --csv \"$(printf '@D@/a\\nb.csv')\"", 2, "a\\nb.csv", GOOD,
     NULL},
    {"run @D@/s.ini --json ''", 2, "--json", GOOD, NULL},
    {"plot @D@/made.db --kind window-cdf -o /proc/nope/x.png", 3,
     "/proc/nope/x.png", NULL, NULL},
    {"plot @D@/made.db --kind window-cdf -o \"$(printf '@D@/x\\n.png')\"", 2,
     "-o", NULL, NULL},
    {"plot @D@/made.db --kind window-cdf -o @D@/dir", 2, "dir", NULL, NULL},
    {"report @D@/made.db -o /proc/nope/r.md", 3, "/proc/nope/r.md", NULL, NULL},
    {"report @D@/made.db -o @D@/dir", 2, "dir", NULL, NULL},
    {"report @D@/made.db -o \"$(printf '@D@/r\\e[2J.md')\"", 2, "-o", NULL,
     NULL},
    {"sweep --reps 1 --set run.duration=1s --db @D@/dir", 2, "dir", NULL, NULL},
    {"sweep --reps 1 --set run.duration=1s --db /proc/nope/x.db", 3,
     "/proc/nope/x.db", NULL, NULL},
    {"emulate @D@/s.ini --history /proc/nope/h", 3, "/proc/nope/h", GOOD,
     NULL},
    /* ---- names ---- */
    {"run @D@/s.ini", 2, "s.ini:1", "[family.`touch @D@/MARK`]\nkeys = 5\n",
     NULL},
    {"run @D@/s.ini", 2, "s.ini:", "[path.$(touch @D@/MARK)]\nshare = 1\n",
     NULL},
    {"sweep --vary 'cache.pattern=`touch @D@/MARK`' --db @D@/g.db", 2,
     "cache.pattern", NULL, NULL},
};

/* `text` with every @D@ replaced by the fixture folder (malloc'd). */
static char *expand(const char *text) {
    size_t n = strlen(text), d = strlen(fixdir);
    char *out = malloc(n * (d > 3 ? d : 3) + 1), *o = out;
    CU_ASSERT_FATAL(out != NULL);
    for (const char *c = text; *c;) {
        if (strncmp(c, "@D@", 3) == 0) {
            memcpy(o, fixdir, d);
            o += d;
            c += 3;
        } else {
            *o++ = *c++;
        }
    }
    *o = '\0';
    return out;
}

/* Lines of `err` that start "stalesim: error:". */
static int error_lines(const char *err) {
    int n = 0;
    for (const char *l = err; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        n += strncmp(l, "stalesim: error:", 16) == 0;
    return n;
}

static void test_catalogue(void) {
    CU_ASSERT_FATAL(fixdir[0] != '\0');
    size_t n = sizeof catalogue / sizeof catalogue[0];
    EXPECT(n >= 80, "only %zu hostile inputs", n);
    char before[256], mark[256];
    snprintf(before, sizeof before, "%s/made.db.before", fixdir);
    snprintf(mark, sizeof mark, "%s/MARK", fixdir);
    for (size_t i = 0; i < n; i++) {
        const bad_case *c = &catalogue[i];
        if (c->ini) {
            char *t = expand(c->ini);
            put_text("s.ini", t);
            free(t);
        }
        if (c->trace) put_text("t.csv", c->trace);
        char *args = expand(c->args), *names = expand(c->names);
        char err[2048];
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int st = run_inprocess(args, err, sizeof err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) +
                      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (getenv("BADINPUT_TIMES") && secs > 0.05)
            fprintf(stderr, "  #%zu %.2f s [%s]\n", i, secs, c->args);
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        EXPECT(WIFEXITED(st) && code == c->code,
               "#%zu [%s]: %s %d, want exit %d; stderr: %s", i, c->args,
               WIFEXITED(st) ? "exit" : "signal",
               WIFEXITED(st) ? code : WTERMSIG(st), c->code, err);
        /* (stalesim alone answers with its usage, not an error line) */
        EXPECT((error_lines(err) == 1 || strncmp(err, "usage:", 6) == 0) &&
                   strstr(err, names) != NULL,
               "#%zu [%s]: want one error line naming '%s'; stderr: %s", i,
               c->args, c->names, err);
        free(args);
        free(names);
        unlink(mark);
    }
    /* The results made before are untouched, and no name ran a command. */
    char cmp[600];
    snprintf(cmp, sizeof cmp, "cmp -s '%s/made.db' '%s'", fixdir, before);
    EXPECT(system(cmp) == 0, "made.db changed under the catalogue");
    struct stat sb;
    EXPECT(stat(mark, &sb) != 0, "a hostile name ran a command (%s)", mark);
}

/* --vary's relative empirical: file is found in the scenario's folder, as
 * --set finds it (one rule). */
static void test_vary_empirical_folder(void) {
    CU_ASSERT_FATAL(fixdir[0] != '\0');
    put_text("lat.txt", "1ms\n2ms\n");
    put_text("s.ini", GOOD);
    char args[512], err[2048];
    snprintf(args, sizeof args,
             "sweep %s/s.ini --vary 'db.read_latency=empirical:lat.txt;exp:1ms' "
             "--db %s/e.db", fixdir, fixdir);
    int st = run_inprocess(args, err, sizeof err);
    EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d: %s", st, err);
}

/* ---- the suite ----------------------------------------------------------------------- */

/* Writes an SQLite database at @D@/name from SQL; -1 on failure. */
static int make_sqlite(const char *name, const char *sql) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s/%s' '%s' 2>/dev/null", fixdir, name,
             sql);
    return system(cmd) == 0 ? 0 : -1;
}

static int sh(const char *fmt, const char *a) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, fmt, a, a, a, a);
    return system(cmd) == 0 ? 0 : -1;
}

static int suite_init(void) {
    if (make_fixdir() != 0) return -1;
    /* A results database made before the catalogue (also plotted above). */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' sweep --vary cache.ttl=1s,10s --reps 2 --set "
             "run.duration=2s --db %s/made.db >/dev/null 2>&1",
             testing_stalesim(), fixdir);
    if (system(cmd) != 0) return -1;
    snprintf(cmd, sizeof cmd,
             "'%s' run --set run.duration=1s --reps 2 --format json "
             ">%s/run.json 2>/dev/null",
             testing_stalesim(), fixdir);
    if (system(cmd) != 0) return -1;
    snprintf(cmd, sizeof cmd,
             "'%s' run --set run.duration=1s --reps 1 --history "
             "%s/hist.jsonl >/dev/null 2>&1",
             testing_stalesim(), fixdir);
    if (system(cmd) != 0) return -1;
    /* Files that are not what they claim to be. */
    int bad = 0;
    bad |= sh("cp '%s/made.db' '%s/made.db.before'", fixdir);
    bad |= sh("mkfifo '%s/fifo' && mkdir '%s/dir' && : >'%s/empty'", fixdir);
    bad |= sh("printf '[run]\\nreps = 1\\nduration\\000 = 1s\\n' >'%s/nul.ini'",
              fixdir);
    bad |= sh("head -c 2000000 /dev/zero | tr '\\000' a >'%s/longline.ini'",
              fixdir);
    bad |= sh("yes '; a comment line of the scenario' | head -c 2000000 "
              ">'%s/huge.ini'", fixdir);
    bad |= sh("head -c 4096 /dev/urandom >'%s/binary.ini'", fixdir);
    bad |= sh("printf '{not json' >'%s/bad.json'", fixdir);
    bad |= sh("head -c 3000 '%s/made.db' >'%s/truncated.db'", fixdir);
    /* Damaged: the header survives, the pages after it are garbage. */
    bad |= sh("cp '%s/made.db' '%s/damaged.db' && "
              "head -c 60000 /dev/urandom | dd of='%s/damaged.db' bs=1 "
              "seek=4096 conv=notrunc 2>/dev/null", fixdir);
    bad |= make_sqlite("foreign.db", "CREATE TABLE t(x); INSERT INTO t "
                                     "VALUES (1);");
    bad |= make_sqlite("wrongschema.db", "CREATE TABLE experiments(x); "
                                         "CREATE TABLE runs(y); "
                                         "CREATE TABLE points(z);");
    return bad ? -1 : 0;
}

static int suite_clean(void) { return remove_fixdir(); }

static CU_TestInfo tests[] = {
    {"outputs: a file size limit leaves nothing (or the old file)",
     test_outputs_all_or_nothing},
    {"outputs: written whole, mode 0666 less the umask, no temporary left",
     test_outputs_written},
    {"sweep --vary: empirical:FILE from the scenario's folder",
     test_vary_empirical_folder},
    {"catalogue: exit code, one error naming the culprit, no signal, "
     "results untouched", test_catalogue},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("badinput", suite_init, suite_clean, tests)
