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

static int parse_uint(const char *flag, const char *s, unsigned long max,
                      unsigned long *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-' || v < 1 || v > max)
        return cli_fail(EXIT_INPUT, "%s: '%s' is not a whole number in "
                        "1..%lu", flag, s, max);
    *out = v;
    return EXIT_OK;
}

static int parse_real(const char *flag, const char *s, double lo, double hi,
                      double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !(v > lo && v < hi))
        return cli_fail(EXIT_INPUT, "%s: '%s' is not a number in (%g, %g)",
                        flag, s, lo, hi);
    *out = v;
    return EXIT_OK;
}

/* --range LO..HI in the key's unit. */
static int parse_range(tune_options *o) {
    int idx = study_key_index(o->key);
    if (idx < 0) return EXIT_OK; /* tune_find reports the key */
    scenario_num_kind kind = scenario_key_num_kind((size_t)idx);
    const char *dots = strstr(o->range, "..");
    if (!dots)
        return cli_fail(EXIT_INPUT, "--range '%s': expected LO..HI, e.g. "
                        "1s..600s", o->range);
    char lo[128];
    size_t n = (size_t)(dots - o->range);
    if (n >= sizeof lo) n = sizeof lo - 1;
    memcpy(lo, o->range, n);
    lo[n] = '\0';
    o->lo = study_value_number(kind, lo);
    o->hi = study_value_number(kind, dots + 2);
    if (isnan(o->lo) || isnan(o->hi))
        return cli_fail(EXIT_INPUT, "--range '%s': '%s' takes %s values",
                        o->range, o->key,
                        kind == SCENARIO_NUM_DURATION ? "duration (1s, 300ms)"
                        : kind == SCENARIO_NUM_RATE   ? "rate (10/s)"
                                                      : "numeric");
    if (!(o->lo < o->hi) || o->lo < 0)
        return cli_fail(EXIT_INPUT, "--range '%s': needs 0 <= LO < HI",
                        o->range);
    return EXIT_OK;
}

static char *join_overrides(const cli_overrides *o) {
    size_t len = 1;
    for (int i = 0; i < o->n; i++) len += strlen(o->item[i].text) + 1;
    char *s = malloc(len);
    if (!s) return NULL;
    s[0] = '\0';
    for (int i = 0; i < o->n; i++) {
        strcat(s, o->item[i].text);
        strcat(s, "\n");
    }
    return s;
}

int cmd_tune(int argc, char **argv) {
    const char *file = NULL, *db_path = NULL, *minimize = "db_reads_per_s";
    tune_options o;
    memset(&o, 0, sizeof o);
    o.tolerance = 0.05;
    o.confidence = 0.95;
    o.format = FORMAT_TEXT;
    unsigned long max_reps = 0, jobs = 1;
    cli_overrides sets = {0};
    grid choose;
    grid_init(&choose);
    scenario sc;
    memset(&sc, 0, sizeof sc);
    study *st = NULL;
    char *overrides = NULL, *spec = NULL, *cmdline = NULL, *opts = NULL;
    size_t optslen = 0;
    char err[1024];
    int code = EXIT_INPUT;
    cli_args args;
    cli_args_init(&args, &cmd_tune_spec, argc, argv, &sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_tune_spec);
            code = EXIT_OK;
            goto out;
        }
        if (id == CLI_ERROR) {
            code = cli_error_code(&args);
            goto out;
        }
        const char *a = "";
        for (const cli_opt *op = tune_opts; op->name; op++)
            if (op->id == id) a = op->name;
        switch (id) {
        case CLI_OPERAND:
            if (file) {
                cli_fail_extra(&cmd_tune_spec, "scenario file", file, v);
                goto out;
            }
            file = v;
            break;
        case T_FIND:
            if (o.key) {
                cli_fail(EXIT_INPUT, "--find: given twice ('%s', '%s'); tune "
                         "finds one key at a time", o.key, v);
                goto out;
            }
            o.key = v;
            break;
        case T_CHOOSE:
            if (choose.naxes >= 16) {
                cli_fail(EXIT_INPUT, "--choose: at most 16 keys");
                goto out;
            }
            if (grid_add(&choose, v, err, sizeof err) != 0) {
                /* grid's messages name --vary; ours is --choose */
                const char *why = strstr(err, "': ");
                cli_fail(EXIT_INPUT, "--choose '%s': %s", v,
                         why ? why + 3 : err);
                goto out;
            }
            break;
        case T_RANGE: o.range = v; break;
        case T_TOLERANCE:
            if (parse_real(a, v, 0, 10, &o.tolerance) != EXIT_OK) goto out;
            break;
        case T_CONFIDENCE:
            if (parse_real(a, v, 0.5, 1, &o.confidence) != EXIT_OK) goto out;
            break;
        case T_MAX_REPS:
            if (parse_uint(a, v, 100000, &max_reps) != EXIT_OK) goto out;
            break;
        case T_MINIMIZE: minimize = v; break;
        case T_DB: db_path = v; break;
        case T_JOBS:
            if (parse_uint(a, v, TRANSPORT_LOCAL_MAX_JOBS, &jobs) != EXIT_OK)
                goto out;
            break;
        case T_FORMAT:
            if (output_parse_format(v, &o.format) != 0 ||
                o.format == FORMAT_CSV) {
                cli_fail(EXIT_INPUT, "--format: '%s' is not text or json", v);
                goto out;
            }
            break;
        }
    }
    if (!o.key == !choose.naxes) {
        cli_fail(EXIT_INPUT, o.key ? "tune: --find and --choose are separate "
                 "questions: give one" : "tune: what to tune? give --find KEY "
                 "or --choose KEY=LIST (stalesim tune --help)");
        goto out;
    }
    if (o.key && strcmp(minimize, "db_reads_per_s") != 0) {
        cli_fail(EXIT_INPUT, "--minimize goes with --choose");
        goto out;
    }
    if (choose.naxes && (o.range || o.tolerance != 0.05)) {
        cli_fail(EXIT_INPUT, "%s goes with --find",
                 o.range ? "--range" : "--tolerance");
        goto out;
    }
    o.minimize = study_metric_parse(minimize);
    if (o.minimize < 0) {
        cli_fail(EXIT_INPUT, "--minimize: '%s' is not a metric (stalesim run "
                 "--format json lists them)", minimize);
        goto out;
    }
    code = cli_load_scenario(&sc, file, &sets);
    if (code != EXIT_OK) goto out;
    code = EXIT_INPUT;
    if (choose.naxes &&
        grid_check_families(&choose, &sc, err, sizeof err) != 0) {
        cli_fail(EXIT_INPUT, "%s", err);
        goto out;
    }
    if (sc.run.reps < 2) {
        cli_fail(EXIT_INPUT, "tune needs at least 2 replications per value to "
                 "bound the contract (run.reps is %u; try --reps 10)",
                 sc.run.reps);
        goto out;
    }
    o.reps = sc.run.reps;
    o.max_reps = max_reps ? (uint32_t)max_reps : 8 * o.reps;
    if (o.max_reps < o.reps) {
        cli_fail(EXIT_INPUT, "--max-reps %u is below the first look's %u "
                 "replications (--reps)", o.max_reps, o.reps);
        goto out;
    }
    o.choose = choose.naxes ? &choose : NULL;
    o.scenario_file = file ? file : "(built-in default)";
    if (o.key) {
        scenario_num_kind kind;
        if (tune_key_kind(o.key, &kind, err, sizeof err) != 0) {
            cli_fail(EXIT_INPUT, "%s", err);
            goto out;
        }
        if (o.range) {
            if (parse_range(&o) != EXIT_OK) goto out;
        } else if (tune_default_range(&sc, o.key, &o.lo, &o.hi, err,
                                      sizeof err) != 0) {
            cli_fail(EXIT_INPUT, "%s", err);
            goto out;
        }
    }
    /* The identity of the study: everything that decides the answer. */
    FILE *m = open_memstream(&opts, &optslen);
    if (!m) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    if (o.key)
        fprintf(m, "find %s\nrange %.17g %.17g\ntolerance %.17g\n", o.key,
                o.lo, o.hi, o.tolerance);
    else {
        char *g = grid_describe(&choose);
        fprintf(m, "choose\n%sminimize %s\n", g ? g : "", minimize);
        free(g);
    }
    fprintf(m, "confidence %.17g\nreps %u\nmax_reps %u\n", o.confidence,
            o.reps, o.max_reps);
    if (fclose(m) != 0) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    overrides = join_overrides(&sets);
    cmdline = shell_command_line("tune", argc, argv);
    if (!overrides || !cmdline) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    o.overrides = overrides;
    spec = study_spec(o.key ? "tune find" : "tune choose", file, overrides,
                      opts, err, sizeof err);
    if (!spec) {
        code = cli_fail(EXIT_INPUT, "%s", err);
        goto out;
    }
    study_options so = {db_path, o.key ? "find" : "choose", spec, file, overrides,
                        cmdline, (int)jobs};
    int rc = study_open(&st, &sc, &so, err, sizeof err);
    if (rc != STUDY_OK) {
        code = cli_fail(rc == STUDY_EINPUT ? EXIT_INPUT : EXIT_RUNTIME, "%s",
                        err);
        goto out;
    }
    code = o.key ? tune_find(st, &o) : tune_choose(st, &o);
out:
    study_close(st);
    free(opts);
    free(spec);
    free(cmdline);
    free(overrides);
    grid_fini(&choose);
    scenario_fini(&sc);
    cli_overrides_fini(&sets);
    return code;
}
