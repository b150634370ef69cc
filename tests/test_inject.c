/* No command runs from a name: hostile text through every plot kind, plot
 * --by family, report and its Reproduce block.
 *
 * gnuplot executes backquoted text inside double-quoted strings, system()
 * and @macros, and a following line after a line break; a shell executes
 * $() and backquotes in a pasted command.  Every hostile string below tries
 * to create a marker file (touch MARKER) in the directory the commands run
 * in; a test fails when any marker exists afterwards.  The names reach the
 * plots by every route a user or an attacker has: the scenario's file name,
 * a family name, and a crafted results database (scenario name, point
 * labels and values, the stored command line, family names in the stored
 * scenario text).  The guard itself (plots/gnuplot.h) is tested apart, so
 * that a caller who forgets to quote gets a refused plot. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <sqlite3.h>

#include "plots/gnuplot.h"
#include "experiments/shell.h"
#include "tests/testing.h"

/* Each payload tries to create a file whose name starts with "PWNED". */
static const char *const hostile[] = {
    "`touch PWNED1`",
    "$(touch PWNED2)",
    "x\" . system(\"touch PWNED3\") . \"",
    "q'.system('touch PWNED4').'",
    "a'b\"c`touch PWNED5`$(touch PWNED6)",
    "@x `touch PWNED7` \\",
    "line\nsystem('touch PWNED8')\n",
    "\nEOD\nsystem('touch PWNED9')\n",
    "tab\there ; touch PWNED10 ; echo",
};
#define NHOSTILE (sizeof hostile / sizeof hostile[0])

static char dir[PATH_MAX]; /* the suite's working directory */
static char bin[PATH_MAX]; /* absolute path of stalesim */

static int suite_init(void) {
    char tmpl[] = "/tmp/stalesim-inject-XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    snprintf(dir, sizeof dir, "%s", tmpl);
    const char *b = testing_stalesim();
    char cwd[PATH_MAX];
    if (b[0] == '/') snprintf(bin, sizeof bin, "%s", b);
    else if (getcwd(cwd, sizeof cwd))
        snprintf(bin, sizeof bin, "%.2048s/%.1024s", cwd, b);
    else return 1;
    return 0;
}

static int suite_clean(void) {
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}

/* Names of marker files present in dir, comma-separated ("" if none);
 * they are removed. */
static void markers(char *buf, size_t len) {
    buf[0] = '\0';
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "PWNED", 5) == 0) {
            size_t o = strlen(buf);
            snprintf(buf + o, len - o, "%s%s", o ? "," : "", e->d_name);
            /* Removed once reported, so the next check is its own. */
            char path[PATH_MAX + 300];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
}

/* A shell word for the test's own command lines. */
static void sq(char *buf, size_t len, const char *s) {
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    if (f && shell_word(f, s) == 0 && fclose(f) == 0) {
        snprintf(buf, len, "%s", p);
    } else {
        if (f) fclose(f);
        snprintf(buf, len, "''");
    }
    free(p);
}

/* Runs `stalesim ARGS` in dir; returns the exit status (-1: signal). */
static int run_in_dir(const char *args) {
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s </dev/null >/dev/null "
             "2>>stderr.log", dir, bin, args);
    int st = system(cmd);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *const kinds[] = {"window-cdf", "age-hist", "vs",
                                    "tradeoff",   "causes",   "timeline"};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* Every plot kind (png and text), plot --by family and report over db
 * (a name in dir).  `must_work`: every command must succeed (names from a
 * real sweep); a crafted database may be refused, but never with a signal. */
static void plot_everything(const char *db, int must_work, const char *what) {
    char qdb[1024], args[4096], m[256];
    sq(qdb, sizeof qdb, db);
    for (size_t k = 0; k < NKINDS; k++) {
        for (int text = 0; text < 2; text++) {
            snprintf(args, sizeof args, "plot %s --kind %s -o %s", qdb,
                     kinds[k], text ? "-" : "p.png");
            int st = run_in_dir(args);
            EXPECT(st >= 0 && (!must_work || st == 0),
                   "%s: plot --kind %s%s exited %d", what, kinds[k],
                   text ? " -o -" : "", st);
            markers(m, sizeof m);
            EXPECT(!m[0], "%s: plot --kind %s created %s", what, kinds[k], m);
        }
    }
    snprintf(args, sizeof args, "plot %s --kind vs --by family -o f.png", qdb);
    int st = run_in_dir(args);
    EXPECT(st >= 0 && (!must_work || st == 0), "%s: --by family exited %d",
           what, st);
    snprintf(args, sizeof args, "report %s -o review.md", qdb);
    st = run_in_dir(args);
    EXPECT(st >= 0 && (!must_work || st == 0), "%s: report exited %d", what,
           st);
    markers(m, sizeof m);
    EXPECT(!m[0], "%s: plot --by family or report created %s", what, m);
}

/* Runs the report's Reproduce block with `stalesim` a shell function that
 * records its arguments one per line into args.txt: a pasted block must
 * run nothing but stalesim.  Returns the recorded arguments (malloc'd). */
static char *run_reproduce(const char *what) {
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/review.md", dir);
    char *doc = testing_slurp(path);
    EXPECT(doc != NULL, "%s: no review.md", what);
    if (!doc) return NULL;
    char *start = strstr(doc, "## Reproduce\n\n```sh\n");
    EXPECT(start != NULL, "%s: no Reproduce block", what);
    char *end = start ? strstr(start + 20, "```") : NULL;
    if (!start || !end) {
        free(doc);
        return NULL;
    }
    *end = '\0';
    snprintf(path, sizeof path, "%s/repro.sh", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "stalesim() { for a in \"$@\"; do printf '%%s\\n' \"$a\"; "
                   "done >> args.txt; }\n%s", start + 20);
        fclose(f);
    }
    free(doc);
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "cd '%s' && rm -f args.txt && sh repro.sh "
             ">/dev/null 2>&1", dir);
    int st = system(cmd);
    EXPECT(st == 0, "%s: the Reproduce block failed under sh (%d)", what, st);
    char m[256];
    markers(m, sizeof m);
    EXPECT(!m[0], "%s: the Reproduce block created %s", what, m);
    snprintf(path, sizeof path, "%s/args.txt", dir);
    return testing_slurp(path);
}

static const char scenario_body[] =
    "[run]\nduration = 20s\nreps = 2\nseed = 1\n"
    "[workload]\nkeys = 50\nreads = 200/s\nwrites = 20/s\n"
    "[db]\nread_latency = exp:2ms\nwrite_latency = exp:2ms\n"
    "[cache]\npattern = cache-aside\nttl = 5s\n"
    "[faults]\ndel_fail = 0.2\n";

/* A real sweep of a scenario whose file name and family name are hostile;
 * returns 0 when the database r.db exists in dir. */
static int hostile_sweep(const char *fname, const char *family) {
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", dir, fname);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "%s[family.%s]\nkeys = 0.5\n[family.plain]\nkeys = 0.5\n",
            scenario_body, family);
    fclose(f);
    char qf[1024], args[2048];
    sq(qf, sizeof qf, fname);
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "rm -f '%s'/r.db*", dir);
    if (system(cmd) != 0) return -1;
    snprintf(args, sizeof args, "sweep %s --vary cache.ttl=1s,2s --reps 2 "
             "--jobs 1 --db r.db", qf);
    return run_in_dir(args);
}

/* File and family names from the scenario: a real sweep, every plot, the
 * report, and its Reproduce block, which must hand stalesim the names
 * back unchanged. */
static void test_names_from_a_scenario(void) {
    /* File names: no '/' or NUL; family names: 1..31 characters, no '.',
     * ']' or newline. */
    static const char *const files[] = {
        "s`touch PWNED1`.ini", "s$(touch PWNED2).ini",
        "s\" . system(\"touch PWNED3\") . \".ini", "s'.system('touch PWNED4').'.ini",
        "s'\"`touch PWNED5`$(touch PWNED6).ini"};
    static const char *const families[] = {
        "f`touch PWNED11`", "f$(touch PWNED12)", "f\", system(\"touch PWNED13\"), \"",
        "f', system('touch PWNED14'), '", "'`touch PWNED15`\""};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        int st = hostile_sweep(files[i], families[i]);
        EXPECT(st == 0, "sweep of [%s] exited %d", files[i], st);
        if (st != 0) continue;
        plot_everything("r.db", 1, files[i]);
        char *args = run_reproduce(files[i]);
        /* The sweep line gives the file name back as one argument. */
        char want[600];
        snprintf(want, sizeof want, "\n%s\n", files[i]);
        EXPECT(args && strstr(args, want) != NULL,
               "the Reproduce block lost the file name [%s]: [%.300s]",
               files[i], args ? args : "(none)");
        /* The family's plots: --where family=NAME, the name unchanged. */
        snprintf(want, sizeof want, "\nfamily=%s\n", families[i]);
        EXPECT(args && strstr(args, want) != NULL,
               "the Reproduce block lost the family name [%s]: [%.300s]",
               families[i], args ? args : "(none)");
        free(args);
    }
}

static int exec_sql(const char *db, const char *sql, const char *text) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, db);
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_open(path, &h);
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && text)
        rc = sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK) rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : 1;
    sqlite3_finalize(st);
    sqlite3_close(h);
    return rc;
}

/* A crafted database: every text column a plot or the report shows,
 * rewritten with each hostile string in turn. */
static void test_names_from_a_crafted_database(void) {
    int st = hostile_sweep("plain.ini", "fam");
    EXPECT(st == 0, "the base sweep exited %d", st);
    if (st != 0) return;
    static const char *const sql[] = {
        "UPDATE experiments SET scenario_file = ?1",
        "UPDATE experiments SET command_line = ?1",
        "UPDATE points SET label = ?1",
        "UPDATE point_values SET value = ?1",
        "UPDATE experiments SET scenario_text = replace(scenario_text, "
        "'[family.fam]', '[family.' || ?1 || ']')",
    };
    char cmd[PATH_MAX * 2];
    for (size_t h = 0; h < NHOSTILE; h++) {
        snprintf(cmd, sizeof cmd, "cd '%s' && cp r.db c.db && rm -f "
                 "c.db-wal c.db-shm", dir);
        if (system(cmd) != 0) continue;
        for (size_t s = 0; s < sizeof sql / sizeof sql[0]; s++)
            EXPECT(exec_sql("c.db", sql[s], hostile[h]) == SQLITE_OK,
                   "crafting c.db: %s", sql[s]);
        char what[64];
        snprintf(what, sizeof what, "crafted database, payload %zu", h + 1);
        plot_everything("c.db", 0, what);
        snprintf(cmd, sizeof cmd, "%s/review.md", dir);
        if (access(cmd, F_OK) == 0) free(run_reproduce(what));
    }
}

/* -o with a control character is refused (exit 2), before gnuplot. */
static void test_output_paths(void) {
    if (hostile_sweep("plain.ini", "fam") != 0) {
        EXPECT(0, "the base sweep failed");
        return;
    }
    static const char *const outs[] = {
        "a\nsystem('touch PWNED20')\n.png", "b\rset output 'PWNED21.png'\n.svg",
        "c\x1b[2J.png"};
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
        char q[256], args[512];
        sq(q, sizeof q, outs[i]);
        snprintf(args, sizeof args, "plot r.db --kind causes -o %s", q);
        EXPECT(run_in_dir(args) == 2, "plot -o with a control character (%zu) "
               "must exit 2", i);
        snprintf(args, sizeof args, "report r.db -o %s", q);
        EXPECT(run_in_dir(args) == 2, "report -o with a control character "
               "(%zu) must exit 2", i);
        char m[256];
        markers(m, sizeof m);
        EXPECT(!m[0], "-o path %zu created %s", i, m);
    }
}

/* The quoting functions and the guard over what they make. */
static void test_quoting_and_guard(void) {
    char q[512], why[160];
    for (size_t h = 0; h < NHOSTILE; h++) {
        gp_guard g = {0};
        gp_quote(q, sizeof q, hostile[h]);
        EXPECT(q[0] == '\'' && !strchr(q, '\n'), "quote %zu: [%s]", h, q);
        char line[700];
        snprintf(line, sizeof line, "set title %s\n", q);
        EXPECT(gp_guard_feed(&g, line, strlen(line), why, sizeof why) == 0,
               "the guard refused quoted payload %zu: %s", h, why);
        gp_guard d = {0};
        d.in_block = 1;
        gp_datum(q, sizeof q, hostile[h]);
        snprintf(line, sizeof line, "1 2 %s\n", q);
        EXPECT(!strchr(q, '\n') && q[0] == '"' &&
                   gp_guard_feed(&d, line, strlen(line), why, sizeof why) == 0,
               "datum %zu: [%s] %s", h, q, why);
    }
    EXPECT(strcmp(gp_quote(q, sizeof q, "it's"), "'it'.\"'\".'s'") == 0,
           "[%s]", q);
    EXPECT(strcmp(gp_quote(q, sizeof q, "a\tb\n"), "'a b '") == 0, "[%s]", q);
    EXPECT(strcmp(gp_datum(q, sizeof q, "a\"b\n"), "\"a'b \"") == 0, "[%s]", q);
    EXPECT(strcmp(gp_quote_lines(q, sizeof q, "a", "b'", 0),
                  "'a'.\"\\n\".'b'.\"'\".''") == 0, "[%s]", q);
    /* Cutting never splits the joined quote. */
    gp_quote(q, 12, "'''");
    EXPECT(strcmp(q, "''.\"'\".''") == 0, "cut [%s]", q);
    /* What an unquoting caller would send is refused. */
    static const char *const unsafe[] = {
        "set title \"`touch x`\"\n", "set title `touch x`\n",
        "set label system('id')\n", "set title @m\n",
        "set title 'a\nb'\n", "set title \"a\nb\"\n", "print system (1)\n"};
    for (size_t i = 0; i < sizeof unsafe / sizeof unsafe[0]; i++) {
        gp_guard g = {0};
        EXPECT(gp_guard_feed(&g, unsafe[i], strlen(unsafe[i]), why,
                             sizeof why) == -1,
               "the guard let through [%s]", unsafe[i]);
    }
    static const char *const fine[] = {
        "set title 'x `id` @m system(1)'\n", "set xtics ('1s' 1, '10s' 10)\n",
        "set title 'a'.\"\\n\".'b' font ',13'\n", "mysystem = 1\n",
        "plot $d using 1:($4 < 2 ? $2 : NaN) title 'it''s'\n"};
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        gp_guard g = {0};
        EXPECT(gp_guard_feed(&g, fine[i], strlen(fine[i]), why, sizeof why) ==
                   0,
               "the guard refused [%s]: %s", fine[i], why);
    }
    gp_guard b = {0};
    b.in_block = 1;
    EXPECT(gp_guard_feed(&b, "1 2\nEODX 3\n", 11, why, sizeof why) == -1,
           "a row starting with EOD must be refused");
}

/* Shell words and the check of a stored command line. */
static void test_shell_words(void) {
    char *argv[] = {"a b", "it's", "$(x)", "`y`", "*", "plain-1.5s=x:y"};
    char *line = shell_command_line("sweep", 6, argv);
    EXPECT(line && strcmp(line, "stalesim sweep 'a b' 'it'\\''s' '$(x)' "
                                "'`y`' '*' plain-1.5s=x:y") == 0,
           "[%s]", line ? line : "(null)");
    EXPECT(line && shell_line_is_safe(line), "own line judged unsafe");
    free(line);
    EXPECT(!shell_line_is_safe("stalesim sweep $(touch x)"), "$() passed");
    EXPECT(!shell_line_is_safe("stalesim sweep `x`"), "backquote passed");
    EXPECT(!shell_line_is_safe("stalesim sweep 'a\nb'"), "newline passed");
    EXPECT(!shell_line_is_safe("stalesim sweep 'open"), "open quote passed");
    EXPECT(!shell_line_is_safe("stalesim a;b"), "; passed");
    EXPECT(shell_word(stdout, "a\nb") == -1, "a control character was written");
}

static CU_TestInfo tests[] = {
    {"quoting functions and the gnuplot guard", test_quoting_and_guard},
    {"shell words and stored command lines", test_shell_words},
    {"hostile file and family names: plots, report, Reproduce",
     test_names_from_a_scenario},
    {"a crafted results database: plots, report, Reproduce",
     test_names_from_a_crafted_database},
    {"-o with control characters refused", test_output_paths},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("inject", suite_init, suite_clean, tests)
