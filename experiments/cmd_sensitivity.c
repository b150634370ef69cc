/* `stalesim sensitivity`: the command line (the methods are in
 * sensitivity.c, the engine in study.c).  Exit codes: 0 an answer, 2 bad
 * usage or input (nothing to vary, a key that cannot be scaled, a bad
 * range), 3 runtime failure. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/sensitivity.h"
#include "experiments/shell.h"
#include "experiments/transport.h"
#include "plots/gnuplot.h"

enum {
    S_METRIC = 1, S_FACTOR, S_KEYS, S_VARY, S_SAMPLES, S_DB, S_JOBS, S_FORMAT,
    S_OUTPUT
};

static const cli_opt sens_opts[] = {
    {S_METRIC, "--metric", NULL, "M", 0,
     "the metric (default stale_read_fraction)"},
    {S_FACTOR, "--factor", NULL, "F", 0,
     "one at a time: the scale (default 2)"},
    {S_KEYS, "--keys", NULL, "LIST", 0,
     "one at a time: these keys only (comma-separated)"},
    {S_OUTPUT, "--output", "-o", "FILE", 0,
     "one at a time: the tornado plot (.png, .svg, .pdf, - for\n"
     "text)"},
    {S_VARY, "--vary", NULL, "K=LO..HI", CLI_OPT_REPEAT,
     "Sobol: a range (log-uniform when LO > 0 and HI/LO >= 10,\n"
     "else uniform); 1 to 20 of them"},
    {S_SAMPLES, "--samples", NULL, "N", 0, "Sobol: rows N (default 64)"},
    {S_DB, "--db", NULL, "FILE", 0,
     "store the replications and the answer (resumable; the\n"
     "report's Recommendation shows it)"},
    {S_JOBS, "--jobs", NULL, "N", 0, "worker processes (default 1)"},
    {S_FORMAT, "--format", NULL, "F", 0, "text (default) or json"},
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_sensitivity_spec = {
    "sensitivity", "[SCENARIO.ini]", NULL, 1, sens_opts,
    "Which inputs move a metric most.  Without --vary: one at a time, on\n"
    "common random numbers: every numeric input the scenario sets (in\n"
    "the file or by --set, outside [run] and [contract], not zero), or\n"
    "those of --keys, divided and multiplied by --factor; ranked by the\n"
    "swing metric(up) - metric(down), with its 95% interval over paired\n"
    "replications and the elasticity; -o draws the tornado plot.\n"
    "With --vary: global Sobol indices (first order and total, 95%\n"
    "bootstrap intervals) over the ranges, from GSL's quasi-random Sobol\n"
    "sequence; N rows cost N x (inputs + 2) configurations.\n",
    "exit: 0 an answer; 2 bad input (nothing to vary, a key that cannot\n"
    "be scaled, a bad range); 3 runtime failure\n"};

/* --keys LIST into keys[] (pointers into buf). */
static int split_keys(char *buf, const char **keys, size_t *n) {
    *n = 0;
    for (char *p = strtok(buf, ","); p; p = strtok(NULL, ",")) {
        if (*n >= SENS_MAX_INPUTS)
            return cli_fail(CLI_EXIT_INPUT, "--keys: at most %d keys",
                            SENS_MAX_INPUTS);
        keys[(*n)++] = p;
    }
    if (*n == 0) return cli_fail(CLI_EXIT_INPUT, "--keys: an empty list");
    return CLI_EXIT_OK;
}

/* What the command line asked for (the flags, before the scenario is read). */
typedef struct sens_cli {
    const char *file, *db_path, *metric, *keys_arg;
    sens_options o;
    unsigned long jobs, samples;
    int have_samples, have_factor;
    sens_range range[SENS_MAX_SOBOL];
    size_t nrange;
    const char *keys[SENS_MAX_INPUTS];
    char *keybuf; /* --keys split in place; keys[] point into it */
    cli_overrides sets;
} sens_cli;

/* --vary K=LO..HI: one more Sobol range. */
static int sens_add_range(sens_cli *c, const char *v) {
    char err[1024];
    if (c->nrange >= SENS_MAX_SOBOL)
        return cli_fail(CLI_EXIT_INPUT, "--vary: at most %d ranges (Sobol "
                        "sequences of GSL have at most 40 dimensions)",
                        SENS_MAX_SOBOL);
    sens_range *r = &c->range[c->nrange];
    if (sens_range_parse(v, r, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    for (size_t k = 0; k < c->nrange; k++)
        if (strcmp(c->range[k].key, r->key) == 0) {
            cli_fail(CLI_EXIT_INPUT, "--vary: '%s' given twice", c->range[k].key);
            free(r->key);
            return CLI_EXIT_INPUT;
        }
    c->nrange++;
    return CLI_EXIT_OK;
}

/* One flag into c; CLI_EXIT_OK, or the exit code after the message. */
static int sens_flag(sens_cli *c, int id, const char *v) {
    char *end;
    switch (id) {
    case CLI_OPERAND:
        if (c->file)
            return cli_fail_extra(&cmd_sensitivity_spec, "scenario file",
                                  c->file, v);
        c->file = v;
        break;
    case S_METRIC: c->metric = v; break;
    case S_FACTOR:
        errno = 0;
        c->o.factor = strtod(v, &end);
        if (!*v || *end || errno ||
            !(c->o.factor > 1 && c->o.factor <= 1000))
            return cli_fail(CLI_EXIT_INPUT, "--factor: '%s' is not a number in "
                            "(1, 1000]", v);
        c->have_factor = 1;
        break;
    case S_KEYS: c->keys_arg = v; break;
    case S_VARY: return sens_add_range(c, v);
    case S_SAMPLES:
        c->have_samples = 1;
        return cli_parse_count("--samples", v, 100000, &c->samples);
    case S_DB: c->db_path = v; break;
    case S_JOBS:
        return cli_parse_count("--jobs", v, TRANSPORT_LOCAL_MAX_JOBS,
                               &c->jobs);
    case S_FORMAT:
        if (output_parse_format(v, &c->o.format) != 0 ||
            c->o.format == OUTPUT_FORMAT_CSV)
            return cli_fail(CLI_EXIT_INPUT, "--format: '%s' is not text or json",
                            v);
        break;
    case S_OUTPUT: c->o.plot = v; break;
    }
    return CLI_EXIT_OK;
}

/* Reads the flags into c.  -1: go on; otherwise the exit code (--help: 0). */
static int sens_parse(sens_cli *c, int argc, char **argv) {
    cli_args args;
    cli_args_init(&args, &cmd_sensitivity_spec, argc, argv, &c->sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_sensitivity_spec);
            return CLI_EXIT_OK;
        }
        if (id == CLI_ERROR) return cli_error_code(&args);
        if (sens_flag(c, id, v) != CLI_EXIT_OK) return CLI_EXIT_INPUT;
    }
    return -1;
}

/* The flags that go together, the metric, -o's name and --keys; completes
 * c->o but for what the scenario decides. */
static int sens_check_flags(sens_cli *c) {
    char err[1024];
    sens_options *o = &c->o;
    if (c->nrange && (c->keys_arg || c->have_factor || o->plot))
        return cli_fail(CLI_EXIT_INPUT, "%s goes with one-at-a-time sensitivity, "
                        "not with --vary (Sobol)", c->keys_arg ? "--keys"
                        : c->have_factor ? "--factor" : "-o");
    if (!c->nrange && c->have_samples)
        return cli_fail(CLI_EXIT_INPUT, "--samples goes with --vary (Sobol)");
    o->metric = study_metric_parse(c->metric);
    if (o->metric < 0)
        return cli_fail(CLI_EXIT_INPUT, "--metric: '%s' is not a metric "
                        "(stalesim run --format json lists them)", c->metric);
    if (o->plot && strcmp(o->plot, "-") != 0) {
        gp_target t;
        if (gp_target_parse(&t, o->plot, NULL, 0, err, sizeof err) != GP_OK ||
            shell_has_control(o->plot))
            return cli_fail(CLI_EXIT_INPUT, "-o '%s': %s", o->plot,
                            shell_has_control(o->plot)
                                ? "a control character in the name: refused"
                                : err);
    }
    if (c->keys_arg) {
        c->keybuf = strdup(c->keys_arg);
        if (!c->keybuf) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        if (split_keys(c->keybuf, c->keys, &o->nkeys) != CLI_EXIT_OK)
            return CLI_EXIT_INPUT;
        o->keys = c->keys;
    }
    o->range = c->range;
    o->nrange = c->nrange;
    o->samples = (uint32_t)c->samples;
    o->scenario_file = c->file ? c->file : "(built-in default)";
    return CLI_EXIT_OK;
}

/* The identity of the study: everything that decides the answer, one
 * setting a line (malloc'd; NULL: out of memory). */
static char *sens_study_options(const sens_cli *c, const scenario *sc) {
    char *opts = NULL;
    size_t optslen = 0;
    FILE *m = open_memstream(&opts, &optslen);
    if (!m) return NULL;
    fprintf(m, "metric %s\nreps %u\n", c->metric, sc->run.reps);
    if (c->nrange) {
        fprintf(m, "sobol samples %lu\n", c->samples);
        for (size_t k = 0; k < c->nrange; k++)
            fprintf(m, "vary %s %.17g %.17g\n", c->range[k].key,
                    c->range[k].lo, c->range[k].hi);
    } else {
        fprintf(m, "oat factor %.17g\nkeys %s\n", c->o.factor,
                c->keys_arg ? c->keys_arg : "(in use)");
    }
    if (fclose(m) != 0) {
        free(opts);
        return NULL;
    }
    return opts;
}

/* Opens (or resumes) the study of c and answers it. */
static int sens_run(sens_cli *c, const scenario *sc, int argc, char **argv) {
    char err[1024];
    study *st = NULL;
    char *spec = NULL, *cmdline = NULL;
    char *opts = sens_study_options(c, sc);
    char *overrides = opts ? cli_overrides_join(&c->sets) : NULL;
    int code;
    if (opts && overrides) cmdline = shell_command_line("sensitivity", argc, argv);
    if (!opts || !overrides || !cmdline) {
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    spec = study_spec("sensitivity", c->file, overrides, opts, err,
                      sizeof err);
    if (!spec) {
        code = cli_fail(CLI_EXIT_INPUT, "%s", err);
        goto out;
    }
    study_options so = {c->db_path, "sensitivity", spec, c->file, overrides,
                        cmdline, (int)c->jobs};
    int rc = study_open(&st, sc, &so, err, sizeof err);
    if (rc != STUDY_OK) {
        code = cli_fail(rc == STUDY_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s",
                        err);
        goto out;
    }
    code = c->nrange ? sensitivity_sobol(st, &c->o)
                     : sensitivity_oat(st, &c->o);
out:
    study_close(st);
    free(opts);
    free(spec);
    free(cmdline);
    free(overrides);
    return code;
}

int cmd_sensitivity(int argc, char **argv) {
    sens_cli c;
    memset(&c, 0, sizeof c);
    c.metric = "stale_read_fraction";
    c.o.factor = 2;
    c.o.format = OUTPUT_FORMAT_TEXT;
    c.jobs = 1;
    c.samples = 64;
    scenario sc;
    memset(&sc, 0, sizeof sc);
    int code = sens_parse(&c, argc, argv); /* -1: go on */
    if (code < 0) {
        code = sens_check_flags(&c);
        if (code == CLI_EXIT_OK) code = cli_load_scenario(&sc, c.file, &c.sets);
        if (code == CLI_EXIT_OK) code = sens_run(&c, &sc, argc, argv);
    }
    for (size_t k = 0; k < c.nrange; k++) free(c.range[k].key);
    free(c.keybuf);
    scenario_fini(&sc);
    cli_overrides_fini(&c.sets);
    return code;
}
