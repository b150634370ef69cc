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

static int parse_count(const char *flag, const char *s, unsigned long max,
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

/* --keys LIST into keys[] (pointers into buf). */
static int split_keys(char *buf, const char **keys, size_t *n) {
    *n = 0;
    for (char *p = strtok(buf, ","); p; p = strtok(NULL, ",")) {
        if (*n >= SENS_MAX_INPUTS)
            return cli_fail(EXIT_INPUT, "--keys: at most %d keys",
                            SENS_MAX_INPUTS);
        keys[(*n)++] = p;
    }
    if (*n == 0) return cli_fail(EXIT_INPUT, "--keys: an empty list");
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

int cmd_sensitivity(int argc, char **argv) {
    const char *file = NULL, *db_path = NULL, *metric = "stale_read_fraction";
    const char *keys_arg = NULL;
    sens_options o;
    memset(&o, 0, sizeof o);
    o.factor = 2;
    o.format = FORMAT_TEXT;
    unsigned long jobs = 1, samples = 64;
    int have_samples = 0, have_factor = 0;
    sens_range range[SENS_MAX_SOBOL];
    size_t nrange = 0;
    const char *keys[SENS_MAX_INPUTS];
    char *keybuf = NULL, *overrides = NULL, *spec = NULL, *cmdline = NULL;
    char *opts = NULL, err[1024];
    size_t optslen = 0;
    cli_overrides sets = {0};
    scenario sc;
    memset(&sc, 0, sizeof sc);
    study *st = NULL;
    int code = EXIT_INPUT;
    cli_args args;
    cli_args_init(&args, &cmd_sensitivity_spec, argc, argv, &sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_sensitivity_spec);
            code = EXIT_OK;
            goto out;
        }
        if (id == CLI_ERROR) {
            code = cli_error_code(&args);
            goto out;
        }
        char *end;
        switch (id) {
        case CLI_OPERAND:
            if (file) {
                cli_fail_extra(&cmd_sensitivity_spec, "scenario file", file,
                               v);
                goto out;
            }
            file = v;
            break;
        case S_METRIC: metric = v; break;
        case S_FACTOR:
            errno = 0;
            o.factor = strtod(v, &end);
            if (!*v || *end || errno || !(o.factor > 1 && o.factor <= 1000)) {
                cli_fail(EXIT_INPUT, "--factor: '%s' is not a number in (1, "
                         "1000]", v);
                goto out;
            }
            have_factor = 1;
            break;
        case S_KEYS: keys_arg = v; break;
        case S_VARY:
            if (nrange >= SENS_MAX_SOBOL) {
                cli_fail(EXIT_INPUT, "--vary: at most %d ranges (Sobol "
                         "sequences of GSL have at most 40 dimensions)",
                         SENS_MAX_SOBOL);
                goto out;
            }
            if (sens_range_parse(v, &range[nrange], err, sizeof err) != 0) {
                cli_fail(EXIT_INPUT, "%s", err);
                goto out;
            }
            for (size_t k = 0; k < nrange; k++)
                if (strcmp(range[k].key, range[nrange].key) == 0) {
                    cli_fail(EXIT_INPUT, "--vary: '%s' given twice",
                             range[k].key);
                    free(range[nrange].key);
                    goto out;
                }
            nrange++;
            break;
        case S_SAMPLES:
            if (parse_count("--samples", v, 100000, &samples) != EXIT_OK)
                goto out;
            have_samples = 1;
            break;
        case S_DB: db_path = v; break;
        case S_JOBS:
            if (parse_count("--jobs", v, TRANSPORT_LOCAL_MAX_JOBS, &jobs) !=
                EXIT_OK)
                goto out;
            break;
        case S_FORMAT:
            if (output_parse_format(v, &o.format) != 0 ||
                o.format == FORMAT_CSV) {
                cli_fail(EXIT_INPUT, "--format: '%s' is not text or json", v);
                goto out;
            }
            break;
        case S_OUTPUT: o.plot = v; break;
        }
    }
    if (nrange && (keys_arg || have_factor || o.plot)) {
        cli_fail(EXIT_INPUT, "%s goes with one-at-a-time sensitivity, not "
                 "with --vary (Sobol)", keys_arg ? "--keys" : have_factor
                 ? "--factor" : "-o");
        goto out;
    }
    if (!nrange && have_samples) {
        cli_fail(EXIT_INPUT, "--samples goes with --vary (Sobol)");
        goto out;
    }
    o.metric = study_metric_parse(metric);
    if (o.metric < 0) {
        cli_fail(EXIT_INPUT, "--metric: '%s' is not a metric (stalesim run "
                 "--format json lists them)", metric);
        goto out;
    }
    if (o.plot && strcmp(o.plot, "-") != 0) {
        gp_target t;
        if (gp_target_parse(&t, o.plot, NULL, 0, err, sizeof err) != GP_OK ||
            shell_has_control(o.plot)) {
            cli_fail(EXIT_INPUT, "-o '%s': %s", o.plot,
                     shell_has_control(o.plot) ? "a control character in the "
                     "name: refused" : err);
            goto out;
        }
    }
    if (keys_arg) {
        keybuf = strdup(keys_arg);
        if (!keybuf) {
            code = cli_fail(EXIT_RUNTIME, "out of memory");
            goto out;
        }
        if (split_keys(keybuf, keys, &o.nkeys) != EXIT_OK) goto out;
        o.keys = keys;
    }
    o.range = range;
    o.nrange = nrange;
    o.samples = (uint32_t)samples;
    o.scenario_file = file ? file : "(built-in default)";
    code = cli_load_scenario(&sc, file, &sets);
    if (code != EXIT_OK) goto out;
    code = EXIT_INPUT;
    FILE *m = open_memstream(&opts, &optslen);
    if (!m) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    fprintf(m, "metric %s\nreps %u\n", metric, sc.run.reps);
    if (nrange) {
        fprintf(m, "sobol samples %lu\n", samples);
        for (size_t k = 0; k < nrange; k++)
            fprintf(m, "vary %s %.17g %.17g\n", range[k].key, range[k].lo,
                    range[k].hi);
    } else {
        fprintf(m, "oat factor %.17g\nkeys %s\n", o.factor,
                keys_arg ? keys_arg : "(in use)");
    }
    if (fclose(m) != 0) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    overrides = join_overrides(&sets);
    cmdline = shell_command_line("sensitivity", argc, argv);
    if (!overrides || !cmdline) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    spec = study_spec("sensitivity", file, overrides, opts, err, sizeof err);
    if (!spec) {
        cli_fail(EXIT_INPUT, "%s", err);
        goto out;
    }
    study_options so = {db_path, "sensitivity", spec, file, overrides,
                        cmdline, (int)jobs};
    int rc = study_open(&st, &sc, &so, err, sizeof err);
    if (rc != STUDY_OK) {
        code = cli_fail(rc == STUDY_EINPUT ? EXIT_INPUT : EXIT_RUNTIME, "%s",
                        err);
        goto out;
    }
    code = nrange ? sensitivity_sobol(st, &o) : sensitivity_oat(st, &o);
out:
    study_close(st);
    for (size_t k = 0; k < nrange; k++) free(range[k].key);
    free(keybuf);
    free(opts);
    free(spec);
    free(cmdline);
    free(overrides);
    scenario_fini(&sc);
    cli_overrides_fini(&sets);
    return code;
}
