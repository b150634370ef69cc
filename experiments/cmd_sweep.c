/* `stalesim sweep` and `stalesim summarize`: a grid of scenario variations
 * into a SQLite database, and means, intervals and quantiles read back from
 * it.
 *
 * sweep exits 0 when every point is complete, 2 for bad usage or input (a bad
 * --vary, a point that does not validate, a --db that is not a stalesim
 * database), 3 for a runtime failure or an interruption (Ctrl-C, SIGTERM);
 * committed runs are kept in every case, and the same command resumes.
 * summarize reads the database only (opened read-only). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_statistics_double.h>

#include "experiments/cli.h"
#include "experiments/shell.h"
#include "experiments/output.h"
#include "experiments/commands.h"
#include "experiments/estimate.h"
#include "experiments/grid.h"
#include "experiments/results.h"
#include "experiments/sweep.h"
#include "experiments/version.h"
#include "sim/stats.h"

#define DEFAULT_DB "stalesim.db"
#define DEFAULT_MAX_REPS 100
#define MAX_MAX_REPS 100000

enum {
    SWEEP_VARY = 1,
    SWEEP_DB,
    SWEEP_PRECISION,
    SWEEP_MAX_REPS,
    SWEEP_JOBS,
    SWEEP_SHARD,
    SWEEP_TRANSPORT
};

#define MAX_SHARDS 1000000

static const cli_opt sweep_opts[] = {
    {SWEEP_VARY, "--vary", NULL, "K=LIST", CLI_OPT_REPEAT,
     "a scenario key and its values: a list 1s,5s,60s or\n"
     "cache-aside,ttl-only; a geometric range A..B*F (1s..300s*2 is\n"
     "1s,2s,4s,...,256s); an arithmetic range A..B+S\n"
     "(0..0.01+0.002).  Values holding commas: separate them\n"
     "with ';' instead."},
    {SWEEP_DB, "--db", NULL, "FILE", 0,
     "the database (default " DEFAULT_DB "); created if absent"},
    {SWEEP_PRECISION, "--precision", NULL, "P", 0,
     "add replications to a point until the 95% half-width of\n"
     "stale_read_fraction is at most P times its mean (0<P<1;\n"
     "at least 3 replications; excludes --reps)"},
    {SWEEP_MAX_REPS, "--max-reps", NULL, "N", 0,
     "the cap of --precision (default 100); points stopped by it\n"
     "are recorded (points.hit_cap)"},
    {SWEEP_JOBS, "--jobs", NULL, "N", 0,
     "worker processes (default: every online core)"},
    {SWEEP_SHARD, "--shard", NULL, "I/N", 0,
     "compute only the I-th of N disjoint slices of the grid\n"
     "(1 <= I <= N; by run, or by point with --precision), to\n"
     "put back together with `stalesim merge`\n"
     "(docs/sweeps-at-scale.md)"},
    {SWEEP_TRANSPORT, "--transport", NULL, "T", 0,
     "how workers are reached: local (forked processes, --jobs)\n"
     "or mpi (mpirun -n N stalesim sweep ...: rank 0 coordinates\n"
     "and writes, ranks 1..N-1 compute).  Default: mpi when\n"
     "started by mpirun or srun, else local"},
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_sweep_spec = {
    "sweep", "[SCENARIO.ini]", NULL, 1, sweep_opts,
    "Runs every point of the grid (the product of the --vary lists, the "
    "first\n"
    "varying slowest), each replicated, and stores every run in a SQLite\n"
    "database.  Replication r of every point uses the same random streams, "
    "so\n"
    "points differ by their parameters, not by noise, and results do not "
    "depend\n"
    "on --jobs.  Running the same command again resumes: only missing runs "
    "are\n"
    "run.  Ctrl-C stops cleanly, keeping every finished run.  --set applies\n"
    "after the file, before each point's values; --reps is per point.\n",
    "A progress line is drawn on stderr when it is a terminal (under mpirun,\n"
    "a line every 10 s).  Exit 0 done, 2 bad input, 3 failure or interrupted\n"
    "(rerun to resume).\n"};

enum { SUM_EXPERIMENT = 1, SUM_BY, SUM_FORMAT };

static const cli_opt summarize_opts[] = {
    {SUM_EXPERIMENT, "--experiment", NULL, "ID", 0,
     "which experiment (default: the latest)"},
    {SUM_BY, "--by", NULL, "KEY", CLI_OPT_REPEAT,
     "group by this varied key (repeatable, or comma-separated)"},
    {SUM_FORMAT, "--format", NULL, "F", 0,
     "text (default), csv, json or markdown"},
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_summarize_spec = {
    "summarize", "DB", NULL, 0, summarize_opts,
    "For every point of a sweep (or every group of points sharing the values "
    "of\n"
    "the --by keys, their runs pooled): each metric's mean, 95% Student-t\n"
    "half-width and number of runs, and the quantiles p50, p90, p99, p999 "
    "and\n"
    "max of every distribution from the stored histogram bins.\n",
    NULL};

/* ---- sweep ------------------------------------------------------------------------- */

/* A whole number in [lo, hi] from `text`; -1 if it is not one. */
static long long parse_count(const char *text, long long lo, long long hi) {
    if (!text || !*text) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || text[0] == '-' || text[0] == '+' || v < lo || v > hi)
        return -1;
    return v;
}

/* "I/N" with 1 <= I <= N <= MAX_SHARDS into 0-based *shard and *n. */
static int parse_shard(const char *text, uint32_t *shard, uint32_t *n) {
    const char *slash = strchr(text, '/');
    if (!slash || slash == text || slash - text > 15) return -1;
    char first[16];
    memcpy(first, text, (size_t)(slash - text));
    first[slash - text] = '\0';
    long long i = parse_count(first, 1, MAX_SHARDS);
    long long of = parse_count(slash + 1, 1, MAX_SHARDS);
    if (i < 0 || of < 0 || i > of) return -1;
    *shard = (uint32_t)(i - 1);
    *n = (uint32_t)of;
    return 0;
}

static int default_jobs(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > TRANSPORT_LOCAL_MAX_JOBS) n = TRANSPORT_LOCAL_MAX_JOBS;
    return (int)n;
}

int cmd_sweep(int argc, char **argv) {
    const char *file = NULL, *db_path = DEFAULT_DB;
    const char **vary = NULL;
    int nvary = 0, jobs = 0, have_reps = 0;
    uint32_t shard = 0, nshards = 0;
    const char *transport_name = NULL;
    int use_mpi = 0, mpi_started = 0, rank = 0, ranks = 1;
    double precision = NAN;
    long long max_reps = -1;
    cli_overrides sets = {0};
    scenario base;
    grid g;
    sweep_job job;
    results *rdb = NULL;
    const char **set_texts = NULL;
    char *cmdline = NULL;
    char err[2048];
    int code = EXIT_INPUT;
    memset(&base, 0, sizeof base);
    memset(&job, 0, sizeof job);
    grid_init(&g);
    grid_init(&job.grid);
    vary = calloc((size_t)argc + 1, sizeof *vary);
    if (!vary) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    cli_args args;
    cli_args_init(&args, &cmd_sweep_spec, argc, argv, &sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_sweep_spec);
            code = EXIT_OK;
            goto out;
        }
        if (id == CLI_ERROR) {
            code = cli_error_code(&args);
            goto out;
        }
        if (id == SWEEP_VARY) {
            vary[nvary++] = v;
        } else if (id == SWEEP_DB) {
            db_path = v;
            if (!*db_path) {
                cli_fail(EXIT_INPUT, "--db: empty file name");
                goto out;
            }
        } else if (id == SWEEP_PRECISION) {
            char *end;
            errno = 0;
            precision = strtod(v, &end);
            if (errno || *end || !*v || !(precision > 0 && precision < 1)) {
                cli_fail(EXIT_INPUT, "--precision: '%s' is not a number "
                         "between 0 and 1 (exclusive), e.g. 0.05", v);
                goto out;
            }
        } else if (id == SWEEP_MAX_REPS) {
            max_reps = parse_count(v, SWEEP_MIN_REPS, MAX_MAX_REPS);
            if (max_reps < 0) {
                cli_fail(EXIT_INPUT, "--max-reps: '%s' is not a whole number "
                         "in %d..%d", v, SWEEP_MIN_REPS, MAX_MAX_REPS);
                goto out;
            }
        } else if (id == SWEEP_JOBS) {
            long long n = parse_count(v, 1, TRANSPORT_LOCAL_MAX_JOBS);
            if (n < 0) {
                cli_fail(EXIT_INPUT, "--jobs: '%s' is not a whole number in "
                         "1..%d", v, TRANSPORT_LOCAL_MAX_JOBS);
                goto out;
            }
            jobs = (int)n;
        } else if (id == SWEEP_TRANSPORT) {
            if (strcmp(v, "local") != 0 && strcmp(v, "mpi") != 0) {
                cli_fail(EXIT_INPUT, "--transport: '%s' is not local or mpi",
                         v);
                goto out;
            }
            transport_name = v;
        } else if (id == SWEEP_SHARD) {
            if (parse_shard(v, &shard, &nshards) != 0) {
                cli_fail(EXIT_INPUT, "--shard: '%s' is not I/N with 1 <= I "
                         "<= N <= %d (e.g. 2/8)", v, MAX_SHARDS);
                goto out;
            }
        } else if (file) {
            cli_fail_extra(&cmd_sweep_spec, "scenario file", file, v);
            goto out;
        } else {
            file = v;
        }
    }
    have_reps = cli_overrides_have(&sets, "--reps");
    if (have_reps && !isnan(precision)) {
        cli_fail(EXIT_INPUT, "--reps and --precision exclude each other "
                 "(--precision decides the replications per point)");
        goto out;
    }
    if (max_reps >= 0 && isnan(precision)) {
        cli_fail(EXIT_INPUT, "--max-reps needs --precision");
        goto out;
    }
    if (max_reps < 0) max_reps = DEFAULT_MAX_REPS;
    use_mpi = transport_name ? strcmp(transport_name, "mpi") == 0
                             : transport_mpi_launched();
    if (use_mpi && !transport_mpi_built()) {
        cli_fail(EXIT_INPUT, "%s: this stalesim was built without MPI "
                 "(rebuild with OpenMPI's mpicc present, or give "
                 "--transport local)",
                 transport_name ? "--transport mpi" : "started by mpirun");
        goto out;
    }
    if (use_mpi && !transport_mpi_launched()) {
        cli_fail(EXIT_INPUT, "--transport mpi: not started by an MPI "
                 "launcher (mpirun -n N stalesim sweep ...)");
        goto out;
    }
    if (use_mpi && jobs != 0) {
        cli_fail(EXIT_INPUT, "--jobs does not apply to the MPI transport: "
                 "its workers are ranks 1..N-1 (mpirun -n N)");
        goto out;
    }
    if (jobs == 0) jobs = default_jobs();

    code = cli_load_scenario(&base, file, &sets);
    if (code != EXIT_OK) goto out;
    code = EXIT_INPUT;
    g.basedir = base.basedir; /* relative files: the scenario's folder */
    for (int i = 0; i < nvary; i++)
        if (grid_add(&g, vary[i], err, sizeof err) != 0) {
            cli_fail(strcmp(err, "out of memory") == 0 ? EXIT_RUNTIME
                                                       : EXIT_INPUT,
                     "%s", err);
            goto out;
        }
    if (grid_check_families(&g, &base, err, sizeof err) != 0) {
        cli_fail(EXIT_INPUT, "%s", err);
        goto out;
    }
    /* The grid's bookkeeping, refused before a point is built. */
    double reps_each = isnan(precision) ? base.run.reps : (double)max_reps;
    double book = (double)g.npoints *
                  (ESTIMATE_POINT_BYTES + reps_each * ESTIMATE_RUN_BYTES);
    estimate est;
    estimate_scenario(&base, &est);
    char limit[96];
    if (estimate_check(&base, &est, 1, book, sets.max_memory,
                       cli_memory_limit_text(&sets, limit, sizeof limit), err,
                       sizeof err) != 0) {
        code = cli_fail(EXIT_INPUT, "%s (%zu points x %.0f replications)",
                        err, g.npoints, reps_each);
        goto out;
    }
    set_texts = calloc((size_t)sets.n + 1, sizeof *set_texts);
    cmdline = shell_command_line("sweep", argc, argv);
    if (!set_texts || !cmdline) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    for (int i = 0; i < sets.n; i++) set_texts[i] = sets.item[i].text;
    int rc = sweep_job_build(&job, file, set_texts, (size_t)sets.n, &g,
                             precision, (uint32_t)max_reps, &base, err,
                             sizeof err);
    if (rc != SWEEP_OK) {
        code = cli_fail(rc == SWEEP_EINPUT ? EXIT_INPUT : EXIT_RUNTIME, "%s",
                        err);
        goto out;
    }
    /* Every point's world, `jobs` at once, and the whole work's length. */
    {
        size_t worst = 0;
        double worst_bytes = -1, events = 0, runs = 0;
        for (size_t p = 0; p < job.grid.npoints; p++) {
            estimate pe;
            estimate_scenario(&job.point[p], &pe);
            if (pe.world_bytes + pe.shared_bytes > worst_bytes) {
                worst_bytes = pe.world_bytes + pe.shared_bytes;
                worst = p;
                est = pe;
            }
            events += pe.events * job.reps_target[p];
            runs += job.reps_target[p];
        }
        int at_once = runs < jobs ? (int)runs : jobs;
        if (estimate_check(&job.point[worst], &est, at_once, book,
                           sets.max_memory,
                           cli_memory_limit_text(&sets, limit, sizeof limit),
                           err, sizeof err) != 0) {
            char label[512] = "";
            if (job.grid.naxes)
                grid_point_label(&job.grid, worst, label, sizeof label);
            code = cli_fail(EXIT_INPUT, "%s%s%s%s", err,
                            label[0] ? " (at the point " : "", label,
                            label[0] ? ")" : "");
            goto out;
        }
        estimate_warn_long(&base, events, runs, jobs, stderr);
    }
    if (use_mpi) {
        /* Every rank built the same job; rank 0 alone opens the database. */
        if (transport_mpi_init(&rank, &ranks, err, sizeof err) != 0) {
            code = cli_fail(EXIT_RUNTIME, "%s", err);
            goto out;
        }
        mpi_started = 1;
        if (rank > 0) {
            code = transport_mpi_serve(sweep_work, &job, err, sizeof err) == 0
                       ? EXIT_OK
                       : cli_fail(EXIT_RUNTIME, "rank %d: %s", rank, err);
            goto out;
        }
        if (ranks < 2) {
            cli_fail(EXIT_INPUT, "an MPI job of 1 rank has no workers: rank "
                     "0 coordinates, ranks 1..N-1 compute (mpirun -n 2 or "
                     "more)");
            goto out;
        }
        jobs = ranks - 1;
    }
    rc = results_open(&rdb, db_path, 0, err, sizeof err);
    if (rc != RESULTS_OK) {
        code = cli_fail(rc == RESULTS_EINPUT ? EXIT_INPUT : EXIT_RUNTIME,
                        "%s", err);
        goto out;
    }
    sweep_options opt = {
        .jobs = jobs,
        .shard = shard,
        .nshards = nshards,
        .transport = use_mpi ? &transport_mpi : &transport_local,
        /* rank 0's stderr is mpirun's pipe: a line every 10 s instead */
        .progress = use_mpi || isatty(STDERR_FILENO) ? stderr : NULL,
        .progress_every = use_mpi && !isatty(STDERR_FILENO) ? 10 : 0,
        .command_line = cmdline,
    };
    sweep_report rep;
    rc = sweep_run(&job, rdb, &opt, &rep, err, sizeof err);
    if (rc == SWEEP_INTERRUPTED) {
        fprintf(stderr, "stalesim: interrupted: %llu runs saved in %s; run "
                "the same command again to resume\n",
                (unsigned long long)rep.runs_stored, db_path);
        code = EXIT_RUNTIME;
        goto out;
    }
    if (rc != SWEEP_OK) {
        code = cli_fail(rc == SWEEP_EINPUT ? EXIT_INPUT : EXIT_RUNTIME,
                        "%s (%llu runs saved in %s)", err,
                        (unsigned long long)rep.runs_stored, db_path);
        goto out;
    }
    printf("experiment %lld (%s) in %s: %zu point%s, %llu runs stored\n",
           (long long)rep.experiment, rep.resumed ? "resumed" : "new",
           db_path, rep.points, rep.points == 1 ? "" : "s",
           (unsigned long long)rep.runs_stored);
    int workers = use_mpi && rep.workers ? ranks - 1 : rep.workers;
    printf("  %llu runs run in %.1f s (%.2f runs/s, %d worker%s%s), %llu "
           "already stored\n",
           (unsigned long long)rep.runs_run, rep.wall_s,
           rep.wall_s > 0 ? (double)rep.runs_run / rep.wall_s : 0.0,
           workers, use_mpi ? " rank" : "", workers == 1 ? "" : "s",
           (unsigned long long)rep.runs_skipped);
    if (rep.runs_reused)
        printf("  %llu of them reused from points of the same configuration "
               "(scenario, overrides, values, seed, version)\n",
               (unsigned long long)rep.runs_reused);
    if (rep.runs_elsewhere)
        printf("  %llu runs were stored meanwhile by another sweep of the "
               "same experiment\n", (unsigned long long)rep.runs_elsewhere);
    if (nshards > 1)
        printf("  shard %u/%u complete (%s); put the shards together with "
               "`stalesim merge OUT.db SHARD.db...`\n",
               shard + 1, nshards,
               isnan(precision) ? "its runs" : "its points");
    if (!isnan(precision))
        printf("  precision %g: %zu of %zu points hit the cap of %lld reps; "
               "%llu speculative runs discarded\n",
               precision, rep.points_capped, rep.points, max_reps,
               (unsigned long long)rep.runs_discarded);
    printf("  stalesim summarize %s --experiment %lld\n", db_path,
           (long long)rep.experiment);
    code = fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
out:
    results_close(rdb);
    if (mpi_started) code = transport_mpi_finalize(code);
    sweep_job_fini(&job);
    grid_fini(&g);
    scenario_fini(&base);
    cli_overrides_fini(&sets);
    free(set_texts);
    free(cmdline);
    free(vary);
    return code;
}

/* ---- summarize ---------------------------------------------------------------------- */

typedef enum sum_format { SF_TEXT, SF_CSV, SF_JSON, SF_MARKDOWN } sum_format;


/* The pooled runs of a group of points. */
typedef struct group {
    size_t first;       /* first point of the group, for its values */
    size_t points;
    uint64_t runs;
    int incomplete;     /* some point is not done */
    int oom;            /* memory ran out while pooling */
    double *value[M_COUNT]; /* non-NaN values of each metric */
    size_t n[M_COUNT], cap[M_COUNT];
    sim_hist dist[D_COUNT];
    uint64_t causes[CAUSE_COUNT];
    char family[32];    /* --by family: the family's name or "(total)" */
    size_t last_point;  /* --by family: 1 + the last point pooled */
} group;

/* Pools one run's metrics, distributions (NULL: none) and causes. */
static int group_add(group *g, const double *metric,
                     const sim_hist *const *dist, const uint64_t *causes) {
    g->runs++;
    for (int m = 0; m < M_COUNT; m++) {
        double x = metric[m];
        if (isnan(x)) continue;
        if (g->n[m] == g->cap[m]) {
            size_t cap = g->cap[m] ? 2 * g->cap[m] : 16;
            double *p = realloc(g->value[m], cap * sizeof *p);
            if (!p) {
                g->oom = 1;
                return -1;
            }
            g->value[m] = p;
            g->cap[m] = cap;
        }
        g->value[m][g->n[m]++] = x;
    }
    for (int d = 0; d < D_COUNT; d++)
        if (dist[d]) sim_hist_merge(&g->dist[d], dist[d]);
    for (int c = 0; c < CAUSE_COUNT; c++) g->causes[c] += causes[c];
    return 0;
}

static int group_add_run(void *arg, uint32_t rep, const world_result *res) {
    (void)rep;
    const sim_hist *dist[D_COUNT];
    for (int d = 0; d < D_COUNT; d++) dist[d] = &res->dist[d];
    return group_add(arg, res->metric, dist, res->stale_by_cause);
}

/* The pseudo-key `family` of --by: one group per key family and one for the
 * totals, from the family_* tables. */
#define BY_FAMILY ((size_t)-1)
#define TOTAL_FAMILY "(total)"

typedef struct summary {
    results_experiment e;
    size_t nby;
    size_t *by;   /* indices into e.key of the --by keys (BY_FAMILY: the
                     family); all keys if none */
    int by_family;
    size_t ngroups;
    group *group;
} summary;

static void summary_fini(summary *s) {
    for (size_t i = 0; i < s->ngroups; i++)
        for (int m = 0; m < M_COUNT; m++) free(s->group[i].value[m]);
    free(s->group);
    free(s->by);
    results_experiment_fini(&s->e);
}

static double metric_mean(const group *g, int m) {
    return g->n[m] ? gsl_stats_mean(g->value[m], 1, g->n[m]) : NAN;
}

static double metric_ci(const group *g, int m) {
    return sim_ci95(g->value[m], g->n[m]);
}

static double dist_q(const group *g, int d, int q) {
    return sim_hist_quantile(&g->dist[d], output_quantiles[q]) / 1e9;
}

static double dist_max(const group *g, int d) {
    return g->dist[d].tally.n ? g->dist[d].tally.max / 1e9 : NAN;
}

static double dist_mean(const group *g, int d) {
    return g->dist[d].tally.n ? g->dist[d].tally.mean / 1e9 : NAN;
}

static const char *group_value(const summary *s, const group *g, size_t k) {
    if (s->by[k] == BY_FAMILY) return g->family;
    return s->e.point[g->first].value[s->by[k]];
}

static const char *key_name(const summary *s, size_t k) {
    return s->by[k] == BY_FAMILY ? "family" : s->e.key[s->by[k]];
}

/* --by family: the group of point p's by-key values and `family`, created
 * when new (s->group has room for every point times every family). */
static group *family_group(summary *s, size_t p, const char *family) {
    const results_point *pt = &s->e.point[p];
    size_t gi = 0;
    for (; gi < s->ngroups; gi++) {
        const group *g = &s->group[gi];
        if (strcmp(g->family, family) != 0) continue;
        const results_point *f = &s->e.point[g->first];
        size_t k = 0;
        while (k < s->nby &&
               (s->by[k] == BY_FAMILY ||
                strcmp(f->value[s->by[k]], pt->value[s->by[k]]) == 0))
            k++;
        if (k == s->nby) break;
    }
    group *g = &s->group[gi];
    if (gi == s->ngroups) {
        s->ngroups++;
        g->first = p;
        snprintf(g->family, sizeof g->family, "%s", family);
        for (int d = 0; d < D_COUNT; d++) sim_hist_init(&g->dist[d]);
    }
    if (g->last_point != p + 1) {
        g->last_point = p + 1;
        g->points++;
        if (!pt->done) g->incomplete = 1;
    }
    return g;
}

typedef struct family_ctx {
    summary *s;
    size_t point;
    int oom;
} family_ctx;

static int family_add_run(void *arg, uint32_t rep, const world_result *res) {
    (void)rep;
    family_ctx *c = arg;
    group *g = family_group(c->s, c->point, TOTAL_FAMILY);
    if (group_add_run(g, rep, res) != 0) {
        c->oom = 1;
        return -1;
    }
    for (int f = 0; f < res->nfamilies; f++) {
        const sim_hist *dist[D_COUNT] = {NULL};
        for (int d = 0; d < FD_COUNT; d++)
            dist[world_family_dist[d]] = &res->family_dist[f][d];
        g = family_group(c->s, c->point, res->family_name[f]);
        if (group_add(g, res->family_metric[f], dist,
                      res->family_causes[f]) != 0) {
            c->oom = 1;
            return -1;
        }
    }
    return 0;
}

/* -- text -- */

static void text_num(FILE *out, double x) {
    if (!isfinite(x))
        fprintf(out, " %11s", "-");
    else if (x == 0 || (fabs(x) >= 1e-3 && fabs(x) < 1e7))
        fprintf(out, " %11.6g", x);
    else
        fprintf(out, " %11.4e", x);
}

static void print_text(FILE *out, const summary *s) {
    const results_experiment *e = &s->e;
    fprintf(out, "experiment %lld: %s, %zu point%s, mode %s\n",
            (long long)e->id, e->scenario_file, e->npoints,
            e->npoints == 1 ? "" : "s", e->mode);
    fprintf(out, "started %s, %s; stalesim %s\n", e->started_at,
            e->finished_at[0] ? "finished" : "not finished", e->version);
    fprintf(out, "command: %s\n", e->command_line);
    for (size_t i = 0; i < s->ngroups; i++) {
        const group *g = &s->group[i];
        fputs("\n==", out);
        for (size_t k = 0; k < s->nby; k++)
            fprintf(out, " %s=%s", key_name(s, k), group_value(s, g, k));
        if (s->nby == 0) fputs(" (no varied keys)", out);
        fprintf(out, "  (%zu point%s, %llu runs%s)\n", g->points,
                g->points == 1 ? "" : "s", (unsigned long long)g->runs,
                g->incomplete ? ", incomplete" : "");
        fprintf(out, "%-30s %11s %11s %6s\n", "metric", "mean", "+-95%", "n");
        for (int m = 0; m < M_COUNT; m++) {
            fprintf(out, "%-30s", world_metric_name((world_metric)m));
            text_num(out, metric_mean(g, m));
            text_num(out, metric_ci(g, m));
            fprintf(out, " %6zu\n", g->n[m]);
        }
        fprintf(out, "%-20s %9s %11s %11s %11s %11s %11s %11s\n",
                "distribution (s)", "n", "mean", "p50", "p90", "p99", "p999",
                "max");
        for (int d = 0; d < D_COUNT; d++) {
            fprintf(out, "%-20s %9llu", world_dist_name((world_dist)d),
                    (unsigned long long)sim_hist_n(&g->dist[d]));
            text_num(out, dist_mean(g, d));
            for (int q = 0; q < OUTPUT_NQUANTILES; q++) text_num(out, dist_q(g, d, q));
            text_num(out, dist_max(g, d));
            fputc('\n', out);
        }
        uint64_t total = 0;
        for (int c = 0; c < CAUSE_COUNT; c++) total += g->causes[c];
        fprintf(out, "stale reads by cause: %llu", (unsigned long long)total);
        for (int c = 0; c < CAUSE_COUNT; c++)
            if (g->causes[c])
                fprintf(out, "%s %s %llu", c ? "," : "",
                        oracle_cause_name((oracle_cause)c),
                        (unsigned long long)g->causes[c]);
        fputc('\n', out);
    }
}

/* -- CSV: one row per group, wide -- */

static void csv_text(FILE *out, const char *t) {
    if (!strpbrk(t, ",\"\n")) {
        fputs(t, out);
        return;
    }
    fputc('"', out);
    for (; *t; t++) {
        if (*t == '"') fputc('"', out);
        fputc(*t, out);
    }
    fputc('"', out);
}

static void csv_num(FILE *out, double x) {
    fputc(',', out);
    if (isfinite(x)) fprintf(out, "%.10g", x);
}

static void print_csv(FILE *out, const summary *s) {
    for (size_t k = 0; k < s->nby; k++) {
        csv_text(out, key_name(s, k));
        fputc(',', out);
    }
    fputs("points,runs", out);
    for (int m = 0; m < M_COUNT; m++) {
        const char *n = world_metric_name((world_metric)m);
        fprintf(out, ",%s_mean,%s_ci95,%s_n", n, n, n);
    }
    for (int d = 0; d < D_COUNT; d++) {
        const char *n = world_dist_name((world_dist)d);
        fprintf(out, ",%s_n,%s_mean", n, n);
        for (int q = 0; q < OUTPUT_NQUANTILES; q++)
            fprintf(out, ",%s_%s", n, output_quantile_names[q]);
        fprintf(out, ",%s_max", n);
    }
    fputc('\n', out);
    for (size_t i = 0; i < s->ngroups; i++) {
        const group *g = &s->group[i];
        for (size_t k = 0; k < s->nby; k++) {
            csv_text(out, group_value(s, g, k));
            fputc(',', out);
        }
        fprintf(out, "%zu,%llu", g->points, (unsigned long long)g->runs);
        for (int m = 0; m < M_COUNT; m++) {
            csv_num(out, metric_mean(g, m));
            csv_num(out, metric_ci(g, m));
            fprintf(out, ",%zu", g->n[m]);
        }
        for (int d = 0; d < D_COUNT; d++) {
            fprintf(out, ",%llu", (unsigned long long)sim_hist_n(&g->dist[d]));
            csv_num(out, dist_mean(g, d));
            for (int q = 0; q < OUTPUT_NQUANTILES; q++) csv_num(out, dist_q(g, d, q));
            csv_num(out, dist_max(g, d));
        }
        fputc('\n', out);
    }
}

/* -- JSON -- */


static void print_json(FILE *out, const summary *s, const char *db_path) {
    const results_experiment *e = &s->e;
    fprintf(out, "{\"stalesim\": \"%s\", \"database\": ", STALESIM_VERSION);
    output_json_string(out, db_path);
    fprintf(out, ",\n \"experiment\": {\"id\": %lld, \"scenario_file\": ",
            (long long)e->id);
    output_json_string(out, e->scenario_file);
    fputs(", \"mode\": ", out);
    output_json_string(out, e->mode);
    fputs(", \"command_line\": ", out);
    output_json_string(out, e->command_line);
    fputs(", \"started_at\": ", out);
    output_json_string(out, e->started_at);
    fputs(", \"finished_at\": ", out);
    if (e->finished_at[0])
        output_json_string(out, e->finished_at);
    else
        fputs("null", out);
    fprintf(out, ", \"points\": %zu, \"keys\": [", e->npoints);
    for (size_t k = 0; k < e->nkeys; k++) {
        if (k) fputs(", ", out);
        output_json_string(out, e->key[k]);
    }
    fputs("]},\n \"by\": [", out);
    for (size_t k = 0; k < s->nby; k++) {
        if (k) fputs(", ", out);
        output_json_string(out, key_name(s, k));
    }
    fputs("],\n \"groups\": [", out);
    for (size_t i = 0; i < s->ngroups; i++) {
        const group *g = &s->group[i];
        fprintf(out, "%s\n  {\"values\": {", i ? "," : "");
        for (size_t k = 0; k < s->nby; k++) {
            if (k) fputs(", ", out);
            output_json_string(out, key_name(s, k));
            fputs(": ", out);
            output_json_string(out, group_value(s, g, k));
        }
        fprintf(out, "}, \"points\": %zu, \"runs\": %llu, \"complete\": %s,\n"
                     "   \"metrics\": {",
                g->points, (unsigned long long)g->runs,
                g->incomplete ? "false" : "true");
        for (int m = 0; m < M_COUNT; m++) {
            fprintf(out, "%s\"%s\": {\"mean\": ", m ? ", " : "",
                    world_metric_name((world_metric)m));
            output_json_number(out, metric_mean(g, m));
            fputs(", \"ci95\": ", out);
            output_json_number(out, metric_ci(g, m));
            fprintf(out, ", \"n\": %zu}", g->n[m]);
        }
        fputs("},\n   \"distributions\": {", out);
        for (int d = 0; d < D_COUNT; d++) {
            fprintf(out, "%s\"%s\": {\"n\": %llu, \"mean\": ", d ? ", " : "",
                    world_dist_name((world_dist)d),
                    (unsigned long long)sim_hist_n(&g->dist[d]));
            output_json_number(out, dist_mean(g, d));
            for (int q = 0; q < OUTPUT_NQUANTILES; q++) {
                fprintf(out, ", \"%s\": ", output_quantile_names[q]);
                output_json_number(out, dist_q(g, d, q));
            }
            fputs(", \"max\": ", out);
            output_json_number(out, dist_max(g, d));
            fputc('}', out);
        }
        fputs("},\n   \"causes\": {", out);
        for (int c = 0; c < CAUSE_COUNT; c++)
            fprintf(out, "%s\"%s\": %llu", c ? ", " : "",
                    oracle_cause_name((oracle_cause)c),
                    (unsigned long long)g->causes[c]);
        fputs("}}", out);
    }
    fputs("\n ]}\n", out);
}

/* -- Markdown: one row per group -- */

static void md_text(FILE *out, const char *t) {
    for (; *t; t++) {
        if (*t == '|') fputc('\\', out);
        fputc(*t, out);
    }
}

static void md_num(FILE *out, double x) {
    if (isfinite(x))
        fprintf(out, "%.4g", x);
    else
        fputs("-", out);
}

static void print_markdown(FILE *out, const summary *s) {
    const results_experiment *e = &s->e;
    fprintf(out, "Experiment %lld: `", (long long)e->id);
    md_text(out, e->scenario_file);
    fprintf(out, "`, %zu points, mode %s. Metrics: mean ± 95%% half-width "
                 "over runs; distributions in seconds.\n\n",
            e->npoints, e->mode);
    fputc('|', out);
    for (size_t k = 0; k < s->nby; k++) {
        fputc(' ', out);
        md_text(out, key_name(s, k));
        fputs(" |", out);
    }
    fputs(" runs |", out);
    for (int m = 0; m < M_COUNT; m++)
        fprintf(out, " %s |", world_metric_name((world_metric)m));
    static const int shown[] = {D_STALE_AGE, D_STALE_WINDOW};
    for (size_t i = 0; i < 2; i++) {
        const char *n = world_dist_name((world_dist)shown[i]);
        for (int q = 0; q < OUTPUT_NQUANTILES; q++)
            fprintf(out, " %s %s |", n, output_quantile_names[q]);
        fprintf(out, " %s max |", n);
    }
    fputs("\n|", out);
    size_t cols = s->nby + 1 + M_COUNT + 2 * (OUTPUT_NQUANTILES + 1);
    for (size_t c = 0; c < cols; c++) fputs(c < s->nby ? "---|" : "---:|", out);
    fputc('\n', out);
    for (size_t i = 0; i < s->ngroups; i++) {
        const group *g = &s->group[i];
        fputc('|', out);
        for (size_t k = 0; k < s->nby; k++) {
            fputc(' ', out);
            md_text(out, group_value(s, g, k));
            fputs(" |", out);
        }
        fprintf(out, " %llu%s |", (unsigned long long)g->runs,
                g->incomplete ? " (incomplete)" : "");
        for (int m = 0; m < M_COUNT; m++) {
            fputc(' ', out);
            md_num(out, metric_mean(g, m));
            double ci = metric_ci(g, m);
            if (isfinite(ci)) {
                fputs(" ± ", out);
                md_num(out, ci);
            }
            fputs(" |", out);
        }
        for (size_t j = 0; j < 2; j++) {
            for (int q = 0; q < OUTPUT_NQUANTILES; q++) {
                fputc(' ', out);
                md_num(out, dist_q(g, shown[j], q));
                fputs(" |", out);
            }
            fputc(' ', out);
            md_num(out, dist_max(g, shown[j]));
            fputs(" |", out);
        }
        fputc('\n', out);
    }
}

/* Appends the keys of a --by argument (comma-separated) to s->by. */
static int add_by(summary *s, const char *arg) {
    const char *p = arg;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 6 && strncmp(p, "family", 6) == 0) {
            if (s->by_family)
                return cli_fail(EXIT_INPUT, "--by 'family': given twice");
            s->by_family = 1;
            s->by[s->nby++] = BY_FAMILY;
            if (!end) break;
            p = end + 1;
            continue;
        }
        size_t k = 0;
        while (k < s->e.nkeys &&
               !(strlen(s->e.key[k]) == len && strncmp(s->e.key[k], p, len) == 0))
            k++;
        if (k == s->e.nkeys) {
            char keys[1024] = "";
            size_t used = 0;
            for (size_t j = 0; j < s->e.nkeys && used < sizeof keys; j++) {
                int n = snprintf(keys + used, sizeof keys - used, "%s%s",
                                 j ? ", " : "", s->e.key[j]);
                if (n > 0) used += (size_t)n;
            }
            return cli_fail(EXIT_INPUT, "--by '%.*s': not a varied key of "
                            "experiment %lld (its keys: %s) nor `family`",
                            (int)len, p,
                            (long long)s->e.id,
                            s->e.nkeys ? keys : "none");
        }
        for (size_t j = 0; j < s->nby; j++)
            if (s->by[j] == k)
                return cli_fail(EXIT_INPUT, "--by '%.*s': given twice",
                                (int)len, p);
        s->by[s->nby++] = k;
        if (!end) break;
        p = end + 1;
    }
    return EXIT_OK;
}

int cmd_summarize(int argc, char **argv) {
    const char *db_path = NULL, *format_name = "text";
    const char **by = NULL;
    int nby = 0;
    long long exp_id = 0;
    results *rdb = NULL;
    summary s;
    char err[2048];
    int code = EXIT_INPUT;
    memset(&s, 0, sizeof s);
    by = calloc((size_t)argc + 1, sizeof *by);
    if (!by) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    cli_args args;
    cli_args_init(&args, &cmd_summarize_spec, argc, argv, NULL);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_summarize_spec);
            code = EXIT_OK;
            goto out;
        }
        if (id == CLI_ERROR) {
            code = cli_error_code(&args);
            goto out;
        }
        if (id == SUM_BY) {
            by[nby++] = v;
        } else if (id == SUM_EXPERIMENT) {
            exp_id = parse_count(v, 1, INT64_MAX);
            if (exp_id < 0) {
                cli_fail(EXIT_INPUT, "--experiment: '%s' is not an experiment "
                         "id (a whole number from 1)", v);
                goto out;
            }
        } else if (id == SUM_FORMAT) {
            format_name = v;
        } else if (db_path) {
            cli_fail_extra(&cmd_summarize_spec, "database", db_path, v);
            goto out;
        } else {
            db_path = v;
        }
    }
    sum_format fmt;
    if (strcmp(format_name, "text") == 0) fmt = SF_TEXT;
    else if (strcmp(format_name, "csv") == 0) fmt = SF_CSV;
    else if (strcmp(format_name, "json") == 0) fmt = SF_JSON;
    else if (strcmp(format_name, "markdown") == 0) fmt = SF_MARKDOWN;
    else {
        cli_fail(EXIT_INPUT, "--format: '%s' is not text, csv, json or "
                 "markdown", format_name);
        goto out;
    }
    if (!db_path) {
        cli_fail(EXIT_INPUT, "summarize: which database? (stalesim summarize "
                 "DB)");
        goto out;
    }
    int rc = results_open(&rdb, db_path, 1, err, sizeof err);
    if (rc == RESULTS_OK)
        rc = results_experiment_load(rdb, exp_id, &s.e, err, sizeof err);
    if (rc != RESULTS_OK) {
        code = cli_fail(rc == RESULTS_EINPUT ? EXIT_INPUT : EXIT_RUNTIME, "%s",
                        err);
        goto out;
    }
    s.by = calloc(s.e.nkeys + 2, sizeof *s.by);
    s.group = calloc(s.e.npoints * (WORLD_MAX_FAMILIES + 1) + 1,
                     sizeof *s.group);
    if (!s.by || !s.group) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    for (int i = 0; i < nby; i++)
        if ((code = add_by(&s, by[i])) != EXIT_OK) goto out;
    code = EXIT_INPUT;
    if (nby == 0)
        for (size_t k = 0; k < s.e.nkeys; k++) s.by[s.nby++] = k;

    /* --by family: per point, the totals and each family's figures. */
    for (size_t p = 0; s.by_family && p < s.e.npoints; p++) {
        family_ctx fc = {&s, p, 0};
        rc = results_each_run(rdb, s.e.point[p].id, family_add_run, &fc, err,
                              sizeof err);
        if (fc.oom) {
            code = cli_fail(EXIT_RUNTIME, "out of memory");
            goto out;
        }
        if (rc != RESULTS_OK) {
            code = cli_fail(rc == RESULTS_EINPUT ? EXIT_INPUT : EXIT_RUNTIME,
                            "%s", err);
            goto out;
        }
    }
    /* Groups, in the order of their first point. */
    for (size_t p = 0; !s.by_family && p < s.e.npoints; p++) {
        const results_point *pt = &s.e.point[p];
        /* Every point is its own group when grouped by every key (grid
         * points differ in at least one value). */
        size_t gi = s.nby == s.e.nkeys ? s.ngroups : 0;
        for (; gi < s.ngroups; gi++) {
            const results_point *f = &s.e.point[s.group[gi].first];
            size_t k = 0;
            while (k < s.nby &&
                   strcmp(f->value[s.by[k]], pt->value[s.by[k]]) == 0)
                k++;
            if (k == s.nby) break;
        }
        group *g = &s.group[gi];
        if (gi == s.ngroups) {
            s.ngroups++;
            g->first = p;
            for (int d = 0; d < D_COUNT; d++) sim_hist_init(&g->dist[d]);
        }
        g->points++;
        if (!pt->done) g->incomplete = 1;
        rc = results_each_run(rdb, pt->id, group_add_run, g, err, sizeof err);
        if (g->oom) {
            code = cli_fail(EXIT_RUNTIME, "out of memory");
            goto out;
        }
        if (rc != RESULTS_OK) {
            code = cli_fail(rc == RESULTS_EINPUT ? EXIT_INPUT : EXIT_RUNTIME,
                            "%s", err);
            goto out;
        }
    }
    switch (fmt) {
    case SF_TEXT: print_text(stdout, &s); break;
    case SF_CSV: print_csv(stdout, &s); break;
    case SF_JSON: print_json(stdout, &s, db_path); break;
    case SF_MARKDOWN: print_markdown(stdout, &s); break;
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        code = cli_fail(EXIT_RUNTIME, "writing the summary: %s",
                        strerror(errno));
    else
        code = EXIT_OK;
out:
    summary_fini(&s);
    results_close(rdb);
    free(by);
    return code;
}
