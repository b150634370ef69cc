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

#include "experiments/output.h"
#include "experiments/run.h"
#include "experiments/version.h"
#include "models/pattern.h"
#include "models/scenario.h"

static int fail(int code, const char *fmt, ...) {
    va_list ap;
    fputs("stalesim: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

static void usage_main(FILE *out) {
    fputs("usage: stalesim COMMAND [ARGS]\n"
          "\n"
          "How often does a caching design serve stale data, and for how long?\n"
          "\n"
          "commands:\n"
          "  run [SCENARIO.ini]   simulate a scenario; stale reads with 95% CIs\n"
          "  keys                 every scenario key with its default (Markdown)\n"
          "  patterns             the caching patterns this build simulates\n"
          "  help [COMMAND]       this text, or a command's\n"
          "  --version            print the version\n"
          "\n"
          "exit codes: 0 ok, 1 contract violated, 2 bad usage or input,\n"
          "            3 runtime or I/O failure\n",
          out);
}

static void usage_run(FILE *out) {
    fputs("usage: stalesim run [SCENARIO.ini] [--set SECTION.KEY=VALUE]...\n"
          "                    [--reps N] [--seed S] [--format text|json|csv]\n"
          "\n"
          "Runs the scenario's replications and prints the stale-read fraction,\n"
          "hit ratio, DB load, stale age and stale-window distributions and the\n"
          "cause of every stale read, with 95% Student-t intervals over\n"
          "replications.  Without a file it runs the built-in default scenario\n"
          "(every key at its default: `stalesim keys` lists them).\n"
          "\n"
          "  --set S.K=V   override one key after the file, e.g. --set cache.ttl=60s\n"
          "  --reps N      replications (same as --set run.reps=N)\n"
          "  --seed S      seed (same as --set run.seed=S)\n"
          "  --format F    text (default), json or csv\n",
          out);
}

static void usage_keys(FILE *out) {
    fputs("usage: stalesim keys\n\n"
          "Prints every scenario key, its default and meaning as a Markdown "
          "table.\n",
          out);
}

static void usage_patterns(FILE *out) {
    fputs("usage: stalesim patterns\n\nLists the caching patterns.\n", out);
}

/* One override from the command line: `text` is "section.key=value"; `flag`
 * is the option that gave it, for messages. */
typedef struct override {
    const char *flag;
    char text[256];
} override;

static int cmd_run(int argc, char **argv) {
    const char *file = NULL, *format_name = "text";
    scenario sc;
    char err[1024];
    int code = EXIT_INPUT;
    run_summary *sum = NULL;
    override *sets = calloc((size_t)argc + 1, sizeof *sets);
    int nsets = 0;
    if (!sets) return fail(EXIT_RUNTIME, "out of memory");
    if (scenario_init_defaults(&sc, err, sizeof err) != 0) {
        free(sets);
        return fail(EXIT_RUNTIME, "%s", err);
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage_run(stdout);
            code = EXIT_OK;
            goto out;
        }
        int is_set = strcmp(a, "--set") == 0, is_reps = strcmp(a, "--reps") == 0,
            is_seed = strcmp(a, "--seed") == 0,
            is_format = strcmp(a, "--format") == 0;
        if (is_set || is_reps || is_seed || is_format) {
            if (i + 1 >= argc) {
                fail(EXIT_INPUT, "%s needs a value (stalesim run --help)", a);
                goto out;
            }
            const char *v = argv[++i];
            if (is_format) {
                format_name = v;
                continue;
            }
            override *o = &sets[nsets++];
            o->flag = a;
            int n = is_set ? snprintf(o->text, sizeof o->text, "%s", v)
                           : snprintf(o->text, sizeof o->text, "run.%s=%s",
                                      is_reps ? "reps" : "seed", v);
            if (n < 0 || (size_t)n >= sizeof o->text) {
                fail(EXIT_INPUT, "%s: value too long", a);
                goto out;
            }
        } else if (a[0] == '-' && a[1]) {
            fail(EXIT_INPUT, "run: unknown option '%s' (stalesim run --help)",
                 a);
            goto out;
        } else if (file) {
            fail(EXIT_INPUT, "run: more than one scenario file ('%s', '%s')",
                 file, a);
            goto out;
        } else {
            file = a;
        }
    }
    output_format format;
    if (output_parse_format(format_name, &format) != 0) {
        fail(EXIT_INPUT, "--format: '%s' is not text, json or csv",
             format_name);
        goto out;
    }
    if (file && scenario_load(&sc, file, err, sizeof err) != 0) {
        fail(EXIT_INPUT, "%s", err);
        goto out;
    }
    for (int i = 0; i < nsets; i++) {
        if (scenario_set(&sc, sets[i].text, err, sizeof err) == 0) continue;
        const char *reason = strstr(err, "': ");
        if (strcmp(sets[i].flag, "--set") != 0 && reason)
            fail(EXIT_INPUT, "%s: %s", sets[i].flag, reason + 3);
        else
            fail(EXIT_INPUT, "%s", err);
        goto out;
    }
    if (scenario_validate(&sc, err, sizeof err) != 0) {
        fail(EXIT_INPUT, "%s", err);
        goto out;
    }
    sum = run_scenario(&sc, err, sizeof err);
    if (!sum) {
        fail(EXIT_RUNTIME, "%s", err);
        goto out;
    }
    if (output_summary(stdout, format, &sc, sum) != 0) {
        fail(EXIT_RUNTIME, "writing the results: %s", strerror(errno));
        goto out;
    }
    code = EXIT_OK;
out:
    run_summary_destroy(sum);
    scenario_fini(&sc);
    free(sets);
    return code;
}

static int cmd_keys(int argc, char **argv) {
    if (argc > 0 && (strcmp(argv[0], "-h") == 0 ||
                     strcmp(argv[0], "--help") == 0)) {
        usage_keys(stdout);
        return EXIT_OK;
    }
    if (argc > 0) return fail(EXIT_INPUT, "keys: unexpected '%s'", argv[0]);
    scenario_print_reference(stdout);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

static int cmd_patterns(int argc, char **argv) {
    if (argc > 0 && (strcmp(argv[0], "-h") == 0 ||
                     strcmp(argv[0], "--help") == 0)) {
        usage_patterns(stdout);
        return EXIT_OK;
    }
    if (argc > 0)
        return fail(EXIT_INPUT, "patterns: unexpected '%s'", argv[0]);
    for (size_t i = 0; i < pattern_count(); i++)
        printf("%-14s %s\n", pattern_at(i)->name, pattern_at(i)->summary);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

static const struct {
    const char *name;
    int (*fn)(int, char **);
    void (*usage)(FILE *);
} commands[] = {
    {"run", cmd_run, usage_run},
    {"keys", cmd_keys, usage_keys},
    {"patterns", cmd_patterns, usage_patterns},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

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
        return fail(EXIT_INPUT, "help: unknown command '%s'", argv[2]);
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(argc - 2, argv + 2);
    return fail(EXIT_INPUT, "unknown command '%s' (stalesim --help)", cmd);
}
