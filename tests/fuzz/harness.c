/* Fuzz harnesses (see harness.h): the readers of scenario files and --set,
 * --vary, traces, results databases and RUN.json files, driven with
 * arbitrary bytes through the command line's code paths.
 *
 * Beyond "no crash", the trace harnesses check what a reader promises of a
 * trace it accepts (times sorted, keys and clients numbered densely, the
 * counts adding up) and abort when it breaks its word, so afl++ reports a
 * wrong answer as it reports a crash.  Files go to the directory fuzz_init
 * made: its state is the only state kept between inputs. */
#define _DEFAULT_SOURCE /* mkdtemp, realpath, symlink */
#include "tests/fuzz/harness.h"
#include "tests/fuzz/memvfs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/grid.h"
#include "experiments/recommend.h"
#include "models/scenario.h"
#include "models/workload.h"
#include "experiments/plotdata.h"
#include "experiments/plotview.h"

#define FUZZ_MAX_SETS 32  /* --set lines read from one input */
#define FUZZ_MAX_VARY 8   /* --vary lines read from one input */
#define FUZZ_MAX_POINTS 64 /* grid points whose scenario is built */

static struct {
    char dir[PATH_MAX];      /* the temporary directory; "" before init */
    char root[PATH_MAX];     /* the repository, absolute */
    char scenario[PATH_MAX]; /* DIR/a/b/scenario.ini */
    char db[PATH_MAX];       /* DIR/results.db */
    char json[PATH_MAX];     /* DIR/run.json */
    scenario vary_base;      /* loaded on the first fuzz_vary */
    int have_vary_base;
} fz;

/* ---- files ---------------------------------------------------------------- */

static int join(char *out, const char *a, const char *b) {
    int n = snprintf(out, PATH_MAX, "%s/%s", a, b);
    if (n < 0 || n >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int fuzz_init(const char *root) {
    char path[PATH_MAX];
    const char *tmp = getenv("TMPDIR");
    if (!realpath(root, fz.root)) return -1;
    if (snprintf(fz.dir, sizeof fz.dir, "%s/stalesim-fuzz-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp") >= (int)sizeof fz.dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (!mkdtemp(fz.dir)) {
        fz.dir[0] = '\0';
        return -1;
    }
    if (join(path, fz.dir, "a") != 0 || mkdir(path, 0700) != 0) return -1;
    if (join(path, fz.dir, "a/b") != 0 || mkdir(path, 0700) != 0) return -1;
    const char *links[] = {"tests", "experiments"};
    for (size_t i = 0; i < 2; i++) {
        char target[PATH_MAX];
        if (join(target, fz.root, links[i]) != 0 ||
            join(path, fz.dir, links[i]) != 0 || symlink(target, path) != 0)
            return -1;
    }
    if (join(fz.scenario, fz.dir, "a/b/scenario.ini") != 0 ||
        join(fz.db, fz.dir, "results.db") != 0 ||
        join(fz.json, fz.dir, "run.json") != 0)
        return -1;
    return 0;
}

/* Removes the database and what SQLite may have left beside it. */
static void remove_db(void) {
    char side[PATH_MAX + 16];
    const char *ext[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(side, sizeof side, "%s%s", fz.db, ext[i]);
        unlink(side);
    }
}

int fuzz_sqlite_config(void) {
    if (sqlite3_config(SQLITE_CONFIG_SINGLETHREAD) != SQLITE_OK ||
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
        return -1;
    return 0;
}

void fuzz_fini(void) {
    if (!fz.dir[0]) return;
    if (fz.have_vary_base) scenario_fini(&fz.vary_base);
    fz.have_vary_base = 0;
    char path[PATH_MAX];
    remove_db();
    unlink(fz.scenario);
    unlink(fz.json);
    const char *gone[] = {"tests", "experiments"};
    for (size_t i = 0; i < 2; i++)
        if (join(path, fz.dir, gone[i]) == 0) unlink(path);
    if (join(path, fz.dir, "a/b") == 0) rmdir(path);
    if (join(path, fz.dir, "a") == 0) rmdir(path);
    rmdir(fz.dir);
    fz.dir[0] = '\0';
}

/* Writes the input to path; 0 or -1. */
static int write_file(const char *path, const uint8_t *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int bad = size && fwrite(data, 1, size, f) != size;
    if (fclose(f) != 0) bad = 1;
    return bad ? -1 : 0;
}

/* A NUL-terminated copy of data[0..size-1]; NULL on ENOMEM. */
static char *text_of(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s) return NULL;
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* ---- scenario and --set ---------------------------------------------------- */

int fuzz_scenario(const uint8_t *data, size_t size) {
    static const char mark[] = "%%set\n";
    size_t cut = size, rest = size; /* scenario bytes; first --set byte */
    for (size_t i = 0; i + sizeof mark - 1 <= size; i++)
        if ((i == 0 || data[i - 1] == '\n') &&
            memcmp(data + i, mark, sizeof mark - 1) == 0) {
            cut = i;
            rest = i + sizeof mark - 1;
            break;
        }
    if (write_file(fz.scenario, data, cut) != 0) return CLI_EXIT_RUNTIME;
    char *sets = text_of(data + rest, size - rest);
    if (!sets) return CLI_EXIT_RUNTIME;
    cli_overrides o = {0};
    int code = CLI_EXIT_OK;
    /* One argument a line; an argument cannot hold a NUL, so it ends there
     * as argv would end it. */
    char *line = sets;
    for (int n = 0; code == CLI_EXIT_OK && *line && n < FUZZ_MAX_SETS; n++) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        code = cli_overrides_add(&o, "--set", line);
        if (!nl) break;
        line = nl + 1;
    }
    scenario sc;
    memset(&sc, 0, sizeof sc);
    if (code == CLI_EXIT_OK) code = cli_load_scenario(&sc, fz.scenario, &o);
    /* What run and compare do next: each family's view. */
    for (int f = 0; code == CLI_EXIT_OK && f < sc.families.n; f++) {
        scenario view;
        char err[1024];
        if (scenario_family_view(&sc, f, &view, err, sizeof err) != 0) {
            code = CLI_EXIT_INPUT;
            break;
        }
        scenario_fini(&view);
    }
    scenario_fini(&sc);
    cli_overrides_fini(&o);
    free(sets);
    return code;
}

/* ---- --vary ----------------------------------------------------------------- */

int fuzz_vary(const uint8_t *data, size_t size) {
    char err[2048];
    if (!fz.have_vary_base) {
        char path[PATH_MAX];
        if (join(path, fz.root, "tests/fuzz/vary-base.ini") != 0 ||
            scenario_init_defaults(&fz.vary_base, err, sizeof err) != 0)
            return CLI_EXIT_RUNTIME;
        fz.have_vary_base = 1;
        if (scenario_load(&fz.vary_base, path, err, sizeof err) != 0 ||
            scenario_validate(&fz.vary_base, err, sizeof err) != 0) {
            fprintf(stderr, "fuzz: %s\n", err);
            abort(); /* the harness's own scenario must load */
        }
    }
    char *text = text_of(data, size);
    if (!text) return CLI_EXIT_RUNTIME;
    grid g;
    grid_init(&g);
    int code = CLI_EXIT_OK;
    char *line = text;
    for (int n = 0; code == CLI_EXIT_OK && *line && n < FUZZ_MAX_VARY; n++) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (grid_add(&g, line, err, sizeof err) != 0)
            code = strcmp(err, "out of memory") == 0 ? CLI_EXIT_RUNTIME
                                                      : CLI_EXIT_INPUT;
        if (!nl) break;
        line = nl + 1;
    }
    if (code == CLI_EXIT_OK &&
        grid_check_families(&g, &fz.vary_base, err, sizeof err) != 0)
        code = CLI_EXIT_INPUT;
    /* Each point's scenario, as sweep_job_build makes it (a sample of the
     * points of a large grid, the first and the last included). */
    size_t step = g.npoints / FUZZ_MAX_POINTS + 1;
    for (size_t p = 0; code == CLI_EXIT_OK && p < g.npoints;
         p = p + step < g.npoints || p == g.npoints - 1 ? p + step
                                                        : g.npoints - 1) {
        scenario sc;
        if (scenario_copy(&sc, &fz.vary_base) != 0) {
            code = CLI_EXIT_RUNTIME;
            break;
        }
        for (size_t a = 0; code == CLI_EXIT_OK && a < g.naxes; a++) {
            char assign[1200];
            snprintf(assign, sizeof assign, "%s=%s", g.axis[a].key,
                     grid_value(&g, p, a));
            if (scenario_set(&sc, assign, err, sizeof err) != 0)
                code = CLI_EXIT_INPUT;
        }
        if (code == CLI_EXIT_OK && scenario_validate(&sc, err, sizeof err) != 0)
            code = CLI_EXIT_INPUT;
        char label[1024];
        grid_point_label(&g, p, label, sizeof label);
        scenario_fini(&sc);
    }
    if (code == CLI_EXIT_OK) {
        char *desc = grid_describe(&g);
        if (!desc) code = CLI_EXIT_RUNTIME;
        free(desc);
    }
    grid_fini(&g);
    free(text);
    return code;
}

/* ---- traces ------------------------------------------------------------------ */

/* Aborts unless t is what workload_trace_read promises. */
static void check_trace(const workload_trace *t) {
    size_t reads = 0, writes = 0;
    uint32_t max_key = 0, max_client = 0;
    for (size_t i = 0; i < t->n; i++) {
        const workload_op *op = &t->ops[i];
        if (op->at < 0 || (i && op->at < t->ops[i - 1].at) ||
            op->key >= t->keys || op->client >= t->clients ||
            (op->kind != WORKLOAD_READ && op->kind != WORKLOAD_WRITE)) {
            fprintf(stderr, "fuzz: trace op %zu breaks the reader's "
                    "contract\n", i);
            abort();
        }
        if (op->key > max_key) max_key = op->key;
        if (op->client > max_client) max_client = op->client;
        if (op->kind == WORKLOAD_READ) reads++;
        else writes++;
    }
    if (reads != t->reads || writes != t->writes || t->deletes > t->writes ||
        (t->n && (max_key + 1 != t->keys || max_client + 1 != t->clients))) {
        fprintf(stderr, "fuzz: trace counts disagree with its ops\n");
        abort();
    }
}

static int fuzz_trace(const uint8_t *data, size_t size, int format) {
    /* fmemopen of 0 bytes is not portable: an empty input is /dev/null. */
    FILE *f = size ? fmemopen((void *)data, size, "r")
                   : fopen("/dev/null", "r");
    if (!f) return CLI_EXIT_RUNTIME;
    workload_trace t;
    char err[1024];
    int rc = workload_trace_read(f, "fuzz.trace", format, &t, err, sizeof err);
    fclose(f);
    if (rc != 0) return strstr(err, "out of memory") ? CLI_EXIT_RUNTIME
                                                     : CLI_EXIT_INPUT;
    check_trace(&t);
    workload_trace_fini(&t);
    return CLI_EXIT_OK;
}

int fuzz_twitter(const uint8_t *data, size_t size) {
    return fuzz_trace(data, size, SCENARIO_TRACE_FORMAT_TWITTER);
}

int fuzz_csv(const uint8_t *data, size_t size) {
    return fuzz_trace(data, size, SCENARIO_TRACE_FORMAT_CSV);
}

/* ---- results database and RUN.json -------------------------------------------- */

static int plot_exit(int rc) {
    return rc == PLOT_OK ? CLI_EXIT_OK
           : rc == PLOT_EINPUT ? CLI_EXIT_INPUT
                               : CLI_EXIT_RUNTIME;
}

/* Every view plot (and report) could draw from d, with default options;
 * none drawn.  Returns the first failure's exit code other than a kind the
 * data cannot give (CLI_EXIT_INPUT is an answer, not a failure, here). */
static int views_of(const plot_data *d) {
    char err[1024], sentence[2048];
    int code = CLI_EXIT_OK;
    for (int k = 0; k < PLOT_KIND_COUNT; k++) {
        if (k == PLOT_TIMELINE) continue; /* runs a simulation */
        plot_request req = {(plot_kind)k, NULL, NULL, NULL, NULL, 0};
        plot_view *v = NULL;
        int rc = plot_view_create(&v, d, &req, err, sizeof err);
        if (rc == PLOT_OK) plot_view_describe(v, sentence, sizeof sentence);
        else if (rc != PLOT_EINPUT) code = plot_exit(rc);
        plot_view_destroy(v);
    }
    return code;
}

/* plot (and report) reading path; the exit code plot gives before drawing. */
static int plot_path(const char *path) {
    if (!plot_data_recognized(path)) return CLI_EXIT_INPUT;
    plot_data d, fam;
    char err[2048];
    memset(&d, 0, sizeof d);
    memset(&fam, 0, sizeof fam);
    int code = plot_exit(plot_data_load(&d, path, 0, err, sizeof err));
    if (code == CLI_EXIT_OK) code = views_of(&d);
    if (code == CLI_EXIT_OK) {
        int rc = plot_data_by_family(&fam, &d, err, sizeof err);
        if (rc == PLOT_OK) code = views_of(&fam);
        else if (rc != PLOT_EINPUT) code = plot_exit(rc);
    }
    plot_data_fini(&fam);
    plot_data_fini(&d);
    return code;
}

/* The database is written to fz.db, where the readers' own checks (a
 * regular file, writable, SQLite's magic) look at it, and SQLite reads the
 * same bytes from memory (memvfs.h): its -journal and -wal never reach the
 * disk, so nothing is left beside the file between inputs. */
int fuzz_db(const uint8_t *data, size_t size) {
    if (write_file(fz.db, data, size) != 0 ||
        memvfs_put(fz.db, data, size) != 0) {
        memvfs_clear();
        return CLI_EXIT_RUNTIME;
    }
    /* summarize, with and without the per-family rows */
    char *plain[] = {fz.db, NULL}; /* the arguments after "summarize" */
    char *fam[] = {fz.db, "--by", "family", "--format", "json", NULL};
    int code = cmd_summarize(1, plain);
    int code2 = cmd_summarize(5, fam);
    fflush(stdout);
    /* plot, and report (which also counts the stored design answers) */
    int code3 = plot_path(fz.db);
    if (recommend_count(fz.db) < 0 && code3 == CLI_EXIT_OK) code3 = CLI_EXIT_RUNTIME;
    memvfs_clear();
    if (code == CLI_EXIT_OK && code2 != CLI_EXIT_OK && code2 != CLI_EXIT_INPUT)
        code = code2;
    if (code == CLI_EXIT_OK) code = code3;
    return code;
}

int fuzz_runjson(const uint8_t *data, size_t size) {
    if (write_file(fz.json, data, size) != 0) return CLI_EXIT_RUNTIME;
    int code = plot_path(fz.json);
    unlink(fz.json);
    return code;
}

/* ---- the table ------------------------------------------------------------------ */

const fuzz_harness fuzz_harnesses[] = {
    {"scenario", fuzz_scenario, "scenario file and --set overrides"},
    {"vary", fuzz_vary, "--vary grid arguments"},
    {"twitter", fuzz_twitter, "Twitter-format trace"},
    {"csv", fuzz_csv, "csv trace"},
    {"db", fuzz_db, "results database (summarize, plot, report)"},
    {"runjson", fuzz_runjson, "RUN.json (plot)"},
    {NULL, NULL, NULL}};

const fuzz_harness *fuzz_find(const char *name) {
    for (const fuzz_harness *h = fuzz_harnesses; h->name; h++)
        if (strcmp(h->name, name) == 0) return h;
    return NULL;
}
