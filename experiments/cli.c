/* The command line: subcommands, their flags and help, and exit codes.
 *
 * Help goes to stdout, errors to stderr as one line
 * "stalesim: error: ..." and a named exit code: 0 success, 1 contract
 * violated, 2 bad usage or input, 3 runtime or I/O failure. */
#include "experiments/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "experiments/commands.h"
#include "models/workload.h"
#include "experiments/version.h"

int cli_fail(int code, const char *fmt, ...) {
    va_list ap;
    fputs("stalesim: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cli_is_help(const char *arg) {
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

void cli_overrides_fini(cli_overrides *o) {
    free(o->item);
    o->item = NULL;
    o->n = o->cap = 0;
}

int cli_take_scenario_flag(int argc, char **argv, int *i, cli_overrides *o) {
    const char *a = argv[*i];
    int is_set = strcmp(a, "--set") == 0, is_reps = strcmp(a, "--reps") == 0,
        is_seed = strcmp(a, "--seed") == 0;
    if (!is_set && !is_reps && !is_seed) return 0;
    if (*i + 1 >= argc) {
        cli_fail(EXIT_INPUT, "%s needs a value", a);
        return -1;
    }
    const char *v = argv[++*i];
    if (o->n == o->cap) {
        int cap = o->cap ? 2 * o->cap : 8;
        cli_override *p = realloc(o->item, (size_t)cap * sizeof *p);
        if (!p) {
            cli_fail(EXIT_RUNTIME, "out of memory");
            return -1;
        }
        o->item = p;
        o->cap = cap;
    }
    cli_override *ov = &o->item[o->n];
    ov->flag = a;
    int n = is_set ? snprintf(ov->text, sizeof ov->text, "%s", v)
                   : snprintf(ov->text, sizeof ov->text, "run.%s=%s",
                              is_reps ? "reps" : "seed", v);
    if (n < 0 || (size_t)n >= sizeof ov->text) {
        cli_fail(EXIT_INPUT, "%s: value too long", a);
        return -1;
    }
    o->n++;
    return 1;
}

int cli_load_scenario(scenario *sc, const char *file, const cli_overrides *o) {
    char err[1024];
    if (scenario_init_defaults(sc, err, sizeof err) != 0)
        return cli_fail(EXIT_RUNTIME, "%s", err);
    if (file && scenario_load(sc, file, err, sizeof err) != 0)
        return cli_fail(EXIT_INPUT, "%s", err);
    for (int i = 0; o && i < o->n; i++) {
        if (scenario_set(sc, o->item[i].text, err, sizeof err) == 0) continue;
        /* --reps and --seed are reported under their own names. */
        const char *reason = strstr(err, "': ");
        if (strcmp(o->item[i].flag, "--set") != 0 && reason)
            return cli_fail(EXIT_INPUT, "%s: %s", o->item[i].flag, reason + 3);
        return cli_fail(EXIT_INPUT, "%s", err);
    }
    if (scenario_validate(sc, err, sizeof err) != 0 ||
        workload_trace_check(sc, err, sizeof err) != 0)
        return cli_fail(EXIT_INPUT, "%s", err);
    return EXIT_OK;
}

void cli_usage_scenario_flags(FILE *out) {
    fputs("  --set S.K=V   override one key after the file, e.g. --set "
          "cache.ttl=60s\n"
          "  --reps N      replications (same as --set run.reps=N)\n"
          "  --seed S      seed (same as --set run.seed=S)\n",
          out);
}

static const struct {
    const char *name;
    int (*fn)(int, char **);
    void (*usage)(FILE *);
    const char *summary;
} commands[] = {
    {"run", cmd_run, usage_run,
     "simulate a scenario: stale reads, windows, causes, with 95% CIs"},
    {"sweep", cmd_sweep, usage_sweep,
     "run a grid of scenario variations into a SQLite database"},
    {"summarize", cmd_summarize, usage_summarize,
     "means, CIs and quantiles per point of a sweep database"},
    {"compare", cmd_compare, usage_compare,
     "patterns side by side on the same arrivals (Markdown table)"},
    {"check", cmd_check, usage_check,
     "the scenario's freshness contract: exit 0 met, 1 violated"},
    {"audit", cmd_audit, usage_audit,
     "judge a recorded history (JSON lines) with the same oracle"},
    {"explain", cmd_explain, usage_explain,
     "timelines of the first stale reads: what happened, step by step"},
    {"plot", cmd_plot, usage_plot,
     "one plot of a sweep, a run or a stale read, drawn by gnuplot"},
    {"report", cmd_report, usage_report,
     "a Markdown design review of a sweep, with its plots"},
    {"emulate", cmd_emulate, usage_emulate,
     "run a scenario against a real Redis and PostgreSQL and judge it"},
    {"keys", cmd_keys, usage_keys,
     "every scenario key with its default (Markdown)"},
    {"patterns", cmd_patterns, usage_patterns,
     "the caching patterns this build simulates"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage_main(FILE *out) {
    fputs("usage: stalesim COMMAND [ARGS]\n"
          "\n"
          "How often does a caching design serve stale data, and for how long?\n"
          "\n"
          "commands:\n",
          out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fputs("  help [COMMAND]  this text, or a command's (also COMMAND --help)\n"
          "  --version   print the version\n"
          "\n"
          "exit codes: 0 ok, 1 contract violated, 2 bad usage or input,\n"
          "            3 runtime or I/O failure\n",
          out);
}

int cli_main(int argc, char **argv) {
    /* GSL's default handler aborts; every GSL call we make checks its result
     * (an allocation returning NULL becomes exit 3). */
    gsl_set_error_handler_off();
    if (argc < 2) {
        usage_main(stderr);
        return EXIT_INPUT;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        usage_main(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("stalesim %s\n", STALESIM_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            usage_main(stdout);
            return EXIT_OK;
        }
        for (size_t i = 0; i < NCOMMANDS; i++)
            if (strcmp(argv[2], commands[i].name) == 0) {
                commands[i].usage(stdout);
                return EXIT_OK;
            }
        return cli_fail(EXIT_INPUT, "help: unknown command '%s'", argv[2]);
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(argc - 2, argv + 2);
    return cli_fail(EXIT_INPUT, "unknown command '%s' (stalesim --help)", cmd);
}
