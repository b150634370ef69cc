/* `stalesim tune`: the command line of --find and --choose (the searches
 * are in tune_find.c and tune_choose.c, the engine in study.c).
 *
 * Exit codes: 0 an answer; 1 --choose found no alternative that meets the
 * contract; 2 bad usage or input, and the refusals of --find (a key that is
 * not numeric, a range with no feasible point, a contract met at every value
 * tried, an end too close to call); 3 runtime failure. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/shell.h"
#include "experiments/transport.h"
#include "experiments/tune.h"

enum {
    T_FIND = 1, T_CHOOSE, T_RANGE, T_TOLERANCE, T_CONFIDENCE, T_MAX_REPS,
    T_MINIMIZE, T_DB, T_JOBS, T_FORMAT
};

static const cli_opt tune_opts[] = {
    {T_FIND, "--find", NULL, "KEY", 0,
     "the boundary of the contract over a numeric key (a\n"
     "duration, rate, probability or count): the largest value\n"
     "that meets it (or the smallest, when it is met above and\n"
     "violated below), as a bracket [meets, violated] that holds\n"
     "the boundary with --confidence.  Bisection on a log scale\n"
     "with sequential stopping (docs/tune.md)."},
    {T_RANGE, "--range", NULL, "LO..HI", 0,
     "where --find searches (default: the key's value / 10 to\n"
     "x 10), e.g. --range 1s..600s"},
    {T_TOLERANCE, "--tolerance", NULL, "R", 0,
     "--find stops when high / low <= 1 + R (default 0.05)"},
    {T_CONFIDENCE, "--confidence", NULL, "C", 0,
     "of --find's bracket (default 0.95)"},
    {T_CHOOSE, "--choose", NULL, "K=LIST", CLI_OPT_REPEAT,
     "discrete alternatives, as --vary in sweeps (repeat for a\n"
     "product): the cheapest that meets the contract, the\n"
     "runner-up, why the others fail; per key family too"},
    {T_MINIMIZE, "--minimize", NULL, "METRIC", 0,
     "the cost of --choose (default db_reads_per_s)"},
    {T_MAX_REPS, "--max-reps", NULL, "N", 0,
     "replications a value may get (default 8 x reps); each\n"
     "starts with the scenario's reps (--reps)"},
    {T_DB, "--db", NULL, "FILE", 0,
     "store every replication and the answer (resumable: the\n"
     "same command again reuses what is stored; the report\n"
     "shows the answer)"},
    {T_JOBS, "--jobs", NULL, "N", 0, "worker processes (default 1)"},
    {T_FORMAT, "--format", NULL, "F", 0, "text (default) or json"},
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_tune_spec = {
    "tune", "[SCENARIO.ini]", NULL, 1, tune_opts,
    "Answers design questions from the scenario's [contract], judged as\n"
    "`stalesim check` judges it, on common random numbers (replication r\n"
    "of every value uses the same random streams).  Give --find KEY or\n"
    "--choose KEY=LIST.\n",
    "exit: 0 an answer; 1 (--choose) no alternative meets the contract;\n"
    "      2 bad input, or no boundary in the range (met everywhere, no\n"
    "      feasible point); 3 runtime failure\n"};

static int parse_real(const char *flag, const char *s, double lo, double hi,
                      double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !(v > lo && v < hi))
        return cli_fail(CLI_EXIT_INPUT, "%s: '%s' is not a number in (%g, %g)",
                        flag, s, lo, hi);
    *out = v;
    return CLI_EXIT_OK;
}

/* --range LO..HI in the key's unit. */
static int parse_range(tune_options *o) {
    int idx = study_key_index(o->key);
    if (idx < 0) return CLI_EXIT_OK; /* tune_find reports the key */
    scenario_num_kind kind = scenario_key_num_kind((size_t)idx);
    const char *dots = strstr(o->range, "..");
    if (!dots)
        return cli_fail(CLI_EXIT_INPUT, "--range '%s': expected LO..HI, e.g. "
                        "1s..600s", o->range);
    char lo[128];
    size_t n = (size_t)(dots - o->range);
    if (n >= sizeof lo) n = sizeof lo - 1;
    memcpy(lo, o->range, n);
    lo[n] = '\0';
    o->lo = study_value_number(kind, lo);
    o->hi = study_value_number(kind, dots + 2);
    if (isnan(o->lo) || isnan(o->hi))
        return cli_fail(CLI_EXIT_INPUT, "--range '%s': '%s' takes %s values",
                        o->range, o->key,
                        kind == SCENARIO_NUM_DURATION ? "duration (1s, 300ms)"
                        : kind == SCENARIO_NUM_RATE   ? "rate (10/s)"
                                                      : "numeric");
    if (!(o->lo < o->hi) || o->lo < 0)
        return cli_fail(CLI_EXIT_INPUT, "--range '%s': needs 0 <= LO < HI",
                        o->range);
    return CLI_EXIT_OK;
}

/* What the command line asked for (the flags, before the scenario is read). */
typedef struct tune_cli {
    const char *file, *db_path, *minimize;
    tune_options o;
    unsigned long max_reps, jobs;
    cli_overrides sets;
    grid choose;
} tune_cli;

/* One flag into c; CLI_EXIT_OK, or the exit code after the message. */
static int tune_flag(tune_cli *c, int id, const char *v) {
    char err[1024];
    const char *a = "";
    for (const cli_opt *op = tune_opts; op->name; op++)
        if (op->id == id) a = op->name;
    switch (id) {
    case CLI_OPERAND:
        if (c->file) {
            cli_fail_extra(&cmd_tune_spec, "scenario file", c->file, v);
            return CLI_EXIT_INPUT;
        }
        c->file = v;
        break;
    case T_FIND:
        if (c->o.key)
            return cli_fail(CLI_EXIT_INPUT, "--find: given twice ('%s', '%s'); "
                            "tune finds one key at a time", c->o.key, v);
        c->o.key = v;
        break;
    case T_CHOOSE:
        if (c->choose.naxes >= 16)
            return cli_fail(CLI_EXIT_INPUT, "--choose: at most 16 keys");
        if (grid_add(&c->choose, v, err, sizeof err) != 0) {
            /* grid's messages name --vary; ours is --choose */
            const char *why = strstr(err, "': ");
            return cli_fail(CLI_EXIT_INPUT, "--choose '%s': %s", v,
                            why ? why + 3 : err);
        }
        break;
    case T_RANGE: c->o.range = v; break;
    case T_TOLERANCE: return parse_real(a, v, 0, 10, &c->o.tolerance);
    case T_CONFIDENCE: return parse_real(a, v, 0.5, 1, &c->o.confidence);
    case T_MAX_REPS: return cli_parse_count(a, v, 100000, &c->max_reps);
    case T_MINIMIZE: c->minimize = v; break;
    case T_DB: c->db_path = v; break;
    case T_JOBS: return cli_parse_count(a, v, TRANSPORT_LOCAL_MAX_JOBS, &c->jobs);
    case T_FORMAT:
        if (output_parse_format(v, &c->o.format) != 0 ||
            c->o.format == OUTPUT_FORMAT_CSV)
            return cli_fail(CLI_EXIT_INPUT, "--format: '%s' is not text or json",
                            v);
        break;
    }
    return CLI_EXIT_OK;
}

/* Reads the flags into c.  -1: go on; otherwise the exit code (--help: 0). */
static int tune_parse(tune_cli *c, int argc, char **argv) {
    cli_args args;
    cli_args_init(&args, &cmd_tune_spec, argc, argv, &c->sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_tune_spec);
            return CLI_EXIT_OK;
        }
        if (id == CLI_ERROR) return cli_error_code(&args);
        if (tune_flag(c, id, v) != CLI_EXIT_OK) return CLI_EXIT_INPUT;
    }
    return -1;
}

/* The flags that go together (--find or --choose, and theirs). */
static int tune_check_flags(tune_cli *c) {
    const tune_options *o = &c->o;
    if (!o->key == !c->choose.naxes)
        return cli_fail(CLI_EXIT_INPUT, o->key
                            ? "tune: --find and --choose are separate "
                              "questions: give one"
                            : "tune: what to tune? give --find KEY or "
                              "--choose KEY=LIST (stalesim tune --help)");
    if (o->key && strcmp(c->minimize, "db_reads_per_s") != 0)
        return cli_fail(CLI_EXIT_INPUT, "--minimize goes with --choose");
    if (c->choose.naxes && (o->range || o->tolerance != 0.05))
        return cli_fail(CLI_EXIT_INPUT, "%s goes with --find",
                        o->range ? "--range" : "--tolerance");
    c->o.minimize = study_metric_parse(c->minimize);
    if (c->o.minimize < 0)
        return cli_fail(CLI_EXIT_INPUT, "--minimize: '%s' is not a metric "
                        "(stalesim run --format json lists them)",
                        c->minimize);
    return CLI_EXIT_OK;
}

/* Reads the scenario and completes c->o from it: the replications, and
 * --find's key and range. */
static int tune_prepare(tune_cli *c, scenario *sc) {
    char err[1024];
    tune_options *o = &c->o;
    int code = cli_load_scenario(sc, c->file, &c->sets);
    if (code != CLI_EXIT_OK) return code;
    if (c->choose.naxes &&
        grid_check_families(&c->choose, sc, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    if (sc->run.reps < 2)
        return cli_fail(CLI_EXIT_INPUT, "tune needs at least 2 replications per "
                        "value to bound the contract (run.reps is %u; try "
                        "--reps 10)", sc->run.reps);
    o->reps = sc->run.reps;
    o->max_reps = c->max_reps ? (uint32_t)c->max_reps : 8 * o->reps;
    if (o->max_reps < o->reps)
        return cli_fail(CLI_EXIT_INPUT, "--max-reps %u is below the first look's "
                        "%u replications (--reps)", o->max_reps, o->reps);
    o->choose = c->choose.naxes ? &c->choose : NULL;
    o->scenario_file = c->file ? c->file : "(built-in default)";
    if (!o->key) return CLI_EXIT_OK;
    scenario_num_kind kind;
    if (tune_key_kind(o->key, &kind, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    if (o->range) return parse_range(o);
    if (tune_default_range(sc, o->key, &o->lo, &o->hi, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    return CLI_EXIT_OK;
}

/* The identity of the study: everything that decides the answer, one
 * setting a line (malloc'd; NULL: out of memory). */
static char *tune_study_options(const tune_cli *c) {
    const tune_options *o = &c->o;
    char *opts = NULL;
    size_t optslen = 0;
    FILE *m = open_memstream(&opts, &optslen);
    if (!m) return NULL;
    if (o->key)
        fprintf(m, "find %s\nrange %.17g %.17g\ntolerance %.17g\n", o->key,
                o->lo, o->hi, o->tolerance);
    else {
        char *g = grid_describe(&c->choose);
        fprintf(m, "choose\n%sminimize %s\n", g ? g : "", c->minimize);
        free(g);
    }
    fprintf(m, "confidence %.17g\nreps %u\nmax_reps %u\n", o->confidence,
            o->reps, o->max_reps);
    if (fclose(m) != 0) {
        free(opts);
        return NULL;
    }
    return opts;
}

/* Opens (or resumes) the study of c and answers its question. */
static int tune_run(tune_cli *c, const scenario *sc, int argc, char **argv) {
    char err[1024];
    study *st = NULL;
    char *spec = NULL, *cmdline = NULL;
    char *opts = tune_study_options(c);
    char *overrides = opts ? cli_overrides_join(&c->sets) : NULL;
    int code;
    if (opts && overrides) cmdline = shell_command_line("tune", argc, argv);
    if (!opts || !overrides || !cmdline) {
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    c->o.overrides = overrides;
    const char *key = c->o.key;
    spec = study_spec(key ? "tune find" : "tune choose", c->file, overrides,
                      opts, err, sizeof err);
    if (!spec) {
        code = cli_fail(CLI_EXIT_INPUT, "%s", err);
        goto out;
    }
    study_options so = {c->db_path, key ? "find" : "choose", spec, c->file,
                        overrides, cmdline, (int)c->jobs};
    int rc = study_open(&st, sc, &so, err, sizeof err);
    if (rc != STUDY_OK) {
        code = cli_fail(rc == STUDY_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s",
                        err);
        goto out;
    }
    code = key ? tune_find(st, &c->o) : tune_choose(st, &c->o);
out:
    study_close(st);
    free(opts);
    free(spec);
    free(cmdline);
    free(overrides);
    return code;
}

int cmd_tune(int argc, char **argv) {
    tune_cli c;
    memset(&c, 0, sizeof c);
    c.minimize = "db_reads_per_s";
    c.o.tolerance = 0.05;
    c.o.confidence = 0.95;
    c.o.format = OUTPUT_FORMAT_TEXT;
    c.jobs = 1;
    grid_init(&c.choose);
    scenario sc;
    memset(&sc, 0, sizeof sc);
    int code = tune_parse(&c, argc, argv); /* -1: go on */
    if (code < 0) {
        code = tune_check_flags(&c);
        if (code == CLI_EXIT_OK) code = tune_prepare(&c, &sc);
        if (code == CLI_EXIT_OK) code = tune_run(&c, &sc, argc, argv);
    }
    grid_fini(&c.choose);
    scenario_fini(&sc);
    cli_overrides_fini(&c.sets);
    return code;
}
