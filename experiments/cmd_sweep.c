/* `stalesim sweep`: a grid of scenario variations into a SQLite database
 * (`stalesim summarize`, cmd_summarize.c, reads it back).
 *
 * sweep exits 0 when every point is complete, 2 for bad usage or input (a bad
 * --vary, a point that does not validate, a --db that is not a stalesim
 * database), 3 for a runtime failure or an interruption (Ctrl-C, SIGTERM);
 * committed runs are kept in every case, and the same command resumes. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/cli.h"
#include "experiments/shell.h"
#include "experiments/output.h"
#include "experiments/commands.h"
#include "experiments/estimate.h"
#include "experiments/grid.h"
#include "experiments/results.h"
#include "experiments/sweep.h"
#include "models/rare.h"

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
    CLI_RARE_OPTS,
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

/* ---- the command line ------------------------------------------------------------ */

/* "I/N" with 1 <= I <= N <= MAX_SHARDS into 0-based *shard and *n. */
static int parse_shard(const char *text, uint32_t *shard, uint32_t *n) {
    const char *slash = strchr(text, '/');
    if (!slash || slash == text || slash - text > 15) return -1;
    char first[16];
    memcpy(first, text, (size_t)(slash - text));
    first[slash - text] = '\0';
    long long i = cli_parse_whole(first, 1, MAX_SHARDS);
    long long of = cli_parse_whole(slash + 1, 1, MAX_SHARDS);
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

/* What the command line asked for. */
typedef struct sweep_cli {
    const char *file, *db_path;
    const char **vary; /* the --vary arguments, nvary of them */
    int nvary;
    int jobs;          /* 0 until decided: --jobs, the cores, or MPI ranks */
    uint32_t shard, nshards;
    const char *transport_name; /* --transport, NULL: by the launcher */
    int use_mpi;
    double precision;  /* NaN: fixed replications */
    long long max_reps;
    cli_overrides sets;
} sweep_cli;

/* One flag into c; CLI_EXIT_OK, or the exit code after the message. */
static int sweep_flag(sweep_cli *c, int id, const char *v) {
    if (id == SWEEP_VARY) {
        c->vary[c->nvary++] = v;
    } else if (id == SWEEP_DB) {
        c->db_path = v;
        if (!*v) return cli_fail(CLI_EXIT_INPUT, "--db: empty file name");
    } else if (id == SWEEP_PRECISION) {
        char *end;
        errno = 0;
        c->precision = strtod(v, &end);
        if (errno || *end || !*v || !(c->precision > 0 && c->precision < 1))
            return cli_fail(CLI_EXIT_INPUT, "--precision: '%s' is not a number "
                            "between 0 and 1 (exclusive), e.g. 0.05", v);
    } else if (id == SWEEP_MAX_REPS) {
        c->max_reps = cli_parse_whole(v, SWEEP_MIN_REPS, MAX_MAX_REPS);
        if (c->max_reps < 0)
            return cli_fail(CLI_EXIT_INPUT, "--max-reps: '%s' is not a whole "
                            "number in %d..%d", v, SWEEP_MIN_REPS,
                            MAX_MAX_REPS);
    } else if (id == SWEEP_JOBS) {
        long long n = cli_parse_whole(v, 1, TRANSPORT_LOCAL_MAX_JOBS);
        if (n < 0)
            return cli_fail(CLI_EXIT_INPUT, "--jobs: '%s' is not a whole number "
                            "in 1..%d", v, TRANSPORT_LOCAL_MAX_JOBS);
        c->jobs = (int)n;
    } else if (id == SWEEP_TRANSPORT) {
        if (strcmp(v, "local") != 0 && strcmp(v, "mpi") != 0)
            return cli_fail(CLI_EXIT_INPUT, "--transport: '%s' is not local or "
                            "mpi", v);
        c->transport_name = v;
    } else if (id == SWEEP_SHARD) {
        if (parse_shard(v, &c->shard, &c->nshards) != 0)
            return cli_fail(CLI_EXIT_INPUT, "--shard: '%s' is not I/N with 1 <= "
                            "I <= N <= %d (e.g. 2/8)", v, MAX_SHARDS);
    } else if (c->file) {
        return cli_fail_extra(&cmd_sweep_spec, "scenario file", c->file, v);
    } else {
        c->file = v;
    }
    return CLI_EXIT_OK;
}

/* The flags that go together: --reps or --precision, --max-reps with
 * --precision, the transport and --jobs. */
static int sweep_check_flags(sweep_cli *c) {
    if (cli_overrides_have(&c->sets, "--reps") && !isnan(c->precision))
        return cli_fail(CLI_EXIT_INPUT, "--reps and --precision exclude each "
                        "other (--precision decides the replications per "
                        "point)");
    if (c->max_reps >= 0 && isnan(c->precision))
        return cli_fail(CLI_EXIT_INPUT, "--max-reps needs --precision");
    if (c->max_reps < 0) c->max_reps = DEFAULT_MAX_REPS;
    c->use_mpi = c->transport_name ? strcmp(c->transport_name, "mpi") == 0
                                   : transport_mpi_launched();
    if (c->use_mpi && !transport_mpi_built())
        return cli_fail(CLI_EXIT_INPUT, "%s: this stalesim was built without MPI "
                        "(rebuild with OpenMPI's mpicc present, or give "
                        "--transport local)",
                        c->transport_name ? "--transport mpi"
                                          : "started by mpirun");
    if (c->use_mpi && !transport_mpi_launched())
        return cli_fail(CLI_EXIT_INPUT, "--transport mpi: not started by an MPI "
                        "launcher (mpirun -n N stalesim sweep ...)");
    if (c->use_mpi && c->jobs != 0)
        return cli_fail(CLI_EXIT_INPUT, "--jobs does not apply to the MPI "
                        "transport: its workers are ranks 1..N-1 (mpirun -n "
                        "N)");
    if (c->jobs == 0) c->jobs = default_jobs();
    return CLI_EXIT_OK;
}

/* Reads and checks the flags.  -1: go on; otherwise the exit code (--help:
 * 0). */
static int sweep_parse(sweep_cli *c, int argc, char **argv) {
    cli_args args;
    cli_args_init(&args, &cmd_sweep_spec, argc, argv, &c->sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_sweep_spec);
            return CLI_EXIT_OK;
        }
        if (id == CLI_ERROR) return cli_error_code(&args);
        int code = sweep_flag(c, id, v);
        if (code != CLI_EXIT_OK) return code;
    }
    int code = sweep_check_flags(c);
    return code == CLI_EXIT_OK ? -1 : code;
}

/* ---- the work, checked before it starts ---------------------------------------- */

/* The --vary axes into g, relative files from the scenario's folder. */
static int sweep_grid(const sweep_cli *c, const scenario *base, grid *g) {
    char err[2048];
    g->basedir = base->basedir; /* relative files: the scenario's folder */
    for (int i = 0; i < c->nvary; i++)
        if (grid_add(g, c->vary[i], err, sizeof err) != 0)
            return cli_fail(strcmp(err, "out of memory") == 0 ? CLI_EXIT_RUNTIME
                                                             : CLI_EXIT_INPUT,
                            "%s", err);
    if (grid_check_families(g, base, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    return CLI_EXIT_OK;
}

/* The grid's bookkeeping (bytes per point and per run stored), refused
 * before a point is built when even one replication cannot fit with it. */
static int sweep_check_grid_memory(const sweep_cli *c, const scenario *base,
                                   const grid *g, double *book) {
    char err[2048], limit[96];
    double reps_each = isnan(c->precision) ? base->run.reps
                                           : (double)c->max_reps;
    *book = (double)g->npoints *
            (ESTIMATE_POINT_BYTES + reps_each * ESTIMATE_RUN_BYTES);
    estimate est;
    estimate_scenario(base, &est);
    if (estimate_check(base, &est, 1, *book, c->sets.max_memory,
                       cli_memory_limit_text(&c->sets, limit, sizeof limit),
                       err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s (%zu points x %.0f replications)",
                        err, g->npoints, reps_each);
    return CLI_EXIT_OK;
}

/* Every point's world, `jobs` at once (the largest point's), with the
 * bookkeeping; and a warning when the whole work is long. */
static int sweep_check_work(const sweep_cli *c, const scenario *base,
                            const sweep_job *job, double book) {
    char err[2048], limit[96];
    size_t worst = 0;
    double worst_bytes = -1, events = 0, runs = 0;
    estimate est;
    estimate_scenario(base, &est);
    for (size_t p = 0; p < job->grid.npoints; p++) {
        estimate pe;
        estimate_scenario(&job->point[p], &pe);
        if (pe.world_bytes + pe.shared_bytes > worst_bytes) {
            worst_bytes = pe.world_bytes + pe.shared_bytes;
            worst = p;
            est = pe;
        }
        events += pe.events * job->reps_target[p];
        runs += job->reps_target[p];
    }
    int at_once = runs < c->jobs ? (int)runs : c->jobs;
    if (estimate_check(&job->point[worst], &est, at_once, book,
                       c->sets.max_memory,
                       cli_memory_limit_text(&c->sets, limit, sizeof limit),
                       err, sizeof err) != 0) {
        char label[512] = "";
        if (job->grid.naxes)
            grid_point_label(&job->grid, worst, label, sizeof label);
        return cli_fail(CLI_EXIT_INPUT, "%s%s%s%s", err,
                        label[0] ? " (at the point " : "", label,
                        label[0] ? ")" : "");
    }
    estimate_warn_long(base, events, runs, c->jobs, stderr);
    return CLI_EXIT_OK;
}

/* The job of c: every point's scenario and replications (*g moved into
 * it). */
static int sweep_build(const sweep_cli *c, const scenario *base, grid *g,
                       sweep_job *job) {
    char err[2048];
    const char **set_texts = calloc((size_t)c->sets.n + 1, sizeof *set_texts);
    if (!set_texts) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    for (int i = 0; i < c->sets.n; i++) set_texts[i] = c->sets.item[i].text;
    int rc = sweep_job_build(job, c->file, set_texts, (size_t)c->sets.n, g,
                             c->precision, (uint32_t)c->max_reps, base, err,
                             sizeof err);
    free(set_texts);
    if (rc != SWEEP_OK)
        return cli_fail(rc == SWEEP_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s",
                        err);
    if (c->sets.rare) sweep_job_boost(job, c->sets.boost);
    return CLI_EXIT_OK;
}

/* Under --rare, before anything runs: a warning per point with no fault
 * that --rare boosts (its runs are then plain Monte Carlo, stored as
 * boosted ones of the point's boost: 1, or --boost B). */
static void sweep_warn_rare(const sweep_job *job) {
    if (!job->rare[0]) return;
    for (size_t p = 0; p < job->grid.npoints; p++) {
        if (rare_max_fault_prob(&job->point[p]) > 0) continue;
        char label[512] = "the scenario";
        if (job->grid.naxes)
            grid_point_label(&job->grid, p, label, sizeof label);
        fprintf(stderr, "stalesim: warning: sweep --rare: %s has no fault "
                "that --rare boosts (docs/rare-events.md): its runs are "
                "plain Monte Carlo, stored with boost %.4g\n", label,
                job->point[p].rare_boost);
    }
}

/* The boosts of the points, on stdout: one, or the range of the automatic
 * ones. */
static void sweep_print_rare(const sweep_job *job) {
    if (!job->rare[0]) return;
    double lo = INFINITY, hi = 0;
    for (size_t p = 0; p < job->grid.npoints; p++) {
        double b = job->point[p].rare_boost;
        if (b < lo) lo = b;
        if (b > hi) hi = b;
    }
    printf("  rare-event estimation (--rare): fault probabilities boosted "
           "x%.4g", lo);
    if (hi > lo) printf(" to x%.4g (each point its own automatic boost)", hi);
    printf("; stale_read_fraction and over_max_staleness_fraction are stored "
           "as importance-sampling estimates at the true rates (runs.rare_*; "
           "stalesim summarize shows the effective sample size)\n");
}

/* ---- running it ---------------------------------------------------------------- */

/* Under MPI: every rank built the same job; ranks 1..N-1 serve it here
 * (*served set, the exit code returned), rank 0 goes on with N-1 workers.
 * *started: MPI is initialized (to be finalized). */
static int sweep_mpi_start(sweep_cli *c, sweep_job *job, int *rank,
                           int *ranks, int *started, int *served) {
    char err[2048];
    if (transport_mpi_init(rank, ranks, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    *started = 1;
    if (*rank > 0) {
        *served = 1;
        return transport_mpi_serve(sweep_work, job, err, sizeof err) == 0
                   ? CLI_EXIT_OK
                   : cli_fail(CLI_EXIT_RUNTIME, "rank %d: %s", *rank, err);
    }
    if (*ranks < 2)
        return cli_fail(CLI_EXIT_INPUT, "an MPI job of 1 rank has no workers: "
                        "rank 0 coordinates, ranks 1..N-1 compute (mpirun -n "
                        "2 or more)");
    c->jobs = *ranks - 1;
    return CLI_EXIT_OK;
}

/* What was done, on stdout, with the command that summarizes it. */
static int sweep_print_report(const sweep_cli *c, const sweep_job *job,
                              const sweep_report *rep, int ranks) {
    printf("experiment %lld (%s) in %s: %zu point%s, %llu runs stored\n",
           (long long)rep->experiment, rep->resumed ? "resumed" : "new",
           c->db_path, rep->points, rep->points == 1 ? "" : "s",
           (unsigned long long)rep->runs_stored);
    int workers = c->use_mpi && rep->workers ? ranks - 1 : rep->workers;
    printf("  %llu runs run in %.1f s (%.2f runs/s, %d worker%s%s), %llu "
           "already stored\n",
           (unsigned long long)rep->runs_run, rep->wall_s,
           rep->wall_s > 0 ? (double)rep->runs_run / rep->wall_s : 0.0,
           workers, c->use_mpi ? " rank" : "", workers == 1 ? "" : "s",
           (unsigned long long)rep->runs_skipped);
    if (rep->runs_reused)
        printf("  %llu of them reused from points of the same configuration "
               "(scenario, overrides, values, seed, version%s)\n",
               (unsigned long long)rep->runs_reused,
               job->rare[0] ? ", boost" : "");
    if (rep->runs_elsewhere)
        printf("  %llu runs were stored meanwhile by another sweep of the "
               "same experiment\n", (unsigned long long)rep->runs_elsewhere);
    if (c->nshards > 1)
        printf("  shard %u/%u complete (%s); put the shards together with "
               "`stalesim merge OUT.db SHARD.db...`\n",
               c->shard + 1, c->nshards,
               isnan(c->precision) ? "its runs" : "its points");
    if (!isnan(c->precision))
        printf("  precision %g: %zu of %zu points hit the cap of %lld reps; "
               "%llu speculative runs discarded\n",
               c->precision, rep->points_capped, rep->points, c->max_reps,
               (unsigned long long)rep->runs_discarded);
    sweep_print_rare(job);
    printf("  stalesim summarize %s --experiment %lld\n", c->db_path,
           (long long)rep->experiment);
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
}

/* Opens the database and runs the job's missing runs into it. */
static int sweep_store(const sweep_cli *c, sweep_job *job, int ranks,
                       char *cmdline) {
    char err[2048];
    results *rdb = NULL;
    int rc = results_open(&rdb, c->db_path, 0, err, sizeof err);
    if (rc != RESULTS_OK)
        return cli_fail(rc == RESULTS_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME,
                        "%s", err);
    sweep_options opt = {
        .jobs = c->jobs,
        .shard = c->shard,
        .nshards = c->nshards,
        .transport = c->use_mpi ? &transport_mpi : &transport_local,
        /* rank 0's stderr is mpirun's pipe: a line every 10 s instead */
        .progress = c->use_mpi || isatty(STDERR_FILENO) ? stderr : NULL,
        .progress_every = c->use_mpi && !isatty(STDERR_FILENO) ? 10 : 0,
        .command_line = cmdline,
    };
    sweep_report rep;
    int code;
    rc = sweep_run(job, rdb, &opt, &rep, err, sizeof err);
    if (rc == SWEEP_INTERRUPTED) {
        fprintf(stderr, "stalesim: interrupted: %llu runs saved in %s; run "
                "the same command again to resume\n",
                (unsigned long long)rep.runs_stored, c->db_path);
        code = CLI_EXIT_RUNTIME;
    } else if (rc != SWEEP_OK && results_out_of_space(rdb)) {
        code = cli_fail(CLI_EXIT_RUNTIME, "%s (%llu runs saved in %s; free "
                        "space or raise the limit, then run the same command "
                        "again to resume)", err,
                        (unsigned long long)rep.runs_stored, c->db_path);
    } else if (rc != SWEEP_OK) {
        code = cli_fail(rc == SWEEP_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME,
                        "%s (%llu runs saved in %s)", err,
                        (unsigned long long)rep.runs_stored, c->db_path);
    } else {
        code = sweep_print_report(c, job, &rep, ranks);
    }
    results_close(rdb);
    return code;
}

/* The sweep of c over its scenario: grid, checks, job, then the runs. */
static int sweep_do(sweep_cli *c, scenario *base, grid *g, sweep_job *job,
                    int argc, char **argv) {
    double book;
    int code = cli_load_scenario(base, c->file, &c->sets);
    if (code == CLI_EXIT_OK) code = sweep_grid(c, base, g);
    if (code == CLI_EXIT_OK) code = sweep_check_grid_memory(c, base, g, &book);
    if (code != CLI_EXIT_OK) return code;
    char *cmdline = shell_command_line("sweep", argc, argv);
    if (!cmdline) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    int rank = 0, ranks = 1, mpi_started = 0, served = 0;
    code = sweep_build(c, base, g, job);
    if (code == CLI_EXIT_OK) code = sweep_check_work(c, base, job, book);
    if (code == CLI_EXIT_OK && c->use_mpi)
        code = sweep_mpi_start(c, job, &rank, &ranks, &mpi_started, &served);
    if (code == CLI_EXIT_OK && !served) sweep_warn_rare(job);
    if (code == CLI_EXIT_OK && !served) code = sweep_store(c, job, ranks, cmdline);
    if (mpi_started) code = transport_mpi_finalize(code);
    free(cmdline);
    return code;
}

int cmd_sweep(int argc, char **argv) {
    sweep_cli c;
    memset(&c, 0, sizeof c);
    c.db_path = DEFAULT_DB;
    c.precision = NAN;
    c.max_reps = -1;
    c.vary = calloc((size_t)argc + 1, sizeof *c.vary);
    if (!c.vary) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    scenario base;
    grid g;
    sweep_job job;
    memset(&base, 0, sizeof base);
    memset(&job, 0, sizeof job);
    grid_init(&g);
    grid_init(&job.grid);
    int code = sweep_parse(&c, argc, argv); /* -1: go on */
    if (code < 0) code = sweep_do(&c, &base, &g, &job, argc, argv);
    sweep_job_fini(&job);
    grid_fini(&g);
    scenario_fini(&base);
    cli_overrides_fini(&c.sets);
    free(c.vary);
    return code;
}
