/* `stalesim run`, `keys` and `patterns`: one scenario's replications, and the
 * references a user reads before writing a scenario. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli.h"
#include "experiments/history.h"
#include "experiments/commands.h"
#include "experiments/output.h"
#include "experiments/run.h"
#include "models/pattern.h"
#include "models/scenario.h"

void usage_run(FILE *out) {
    fputs("usage: stalesim run [SCENARIO.ini] [--set SECTION.KEY=VALUE]...\n"
          "                    [--reps N] [--seed S] [--format text|json|csv]\n"
          "\n"
          "Runs the scenario's replications and prints the stale-read fraction,\n"
          "hit ratio, DB load, stale age and stale-window distributions and the\n"
          "cause of every stale read, with 95% Student-t intervals over\n"
          "replications.  Without a file it runs the built-in default scenario\n"
          "(every key at its default: `stalesim keys` lists them).\n"
          "\n"
          "  --format F    text (default), json or csv\n"
          "  --history F   write every operation of replication 0 to F as\n"
          "                JSON lines (docs/history.md; stalesim audit F)\n",
          out);
    cli_usage_scenario_flags(out);
}

void usage_keys(FILE *out) {
    fputs("usage: stalesim keys\n\n"
          "Prints every scenario key, its default and meaning as a Markdown "
          "table.\n",
          out);
}

void usage_patterns(FILE *out) {
    fputs("usage: stalesim patterns\n\nLists the caching patterns.\n", out);
}

int cmd_run(int argc, char **argv) {
    const char *file = NULL, *format_name = "text", *history = NULL;
    FILE *hist = NULL;
    history_writer *hw = NULL;
    cli_overrides sets = {0};
    scenario sc;
    run_summary *sum = NULL;
    char err[1024];
    int code = EXIT_INPUT;
    memset(&sc, 0, sizeof sc);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage_run(stdout);
            code = EXIT_OK;
            goto out;
        }
        int taken = cli_take_scenario_flag(argc, argv, &i, &sets);
        if (taken < 0) goto out;
        if (taken) continue;
        if (strcmp(a, "--format") == 0 || strcmp(a, "--history") == 0) {
            if (i + 1 >= argc) {
                cli_fail(EXIT_INPUT, "%s needs a value", a);
                goto out;
            }
            if (strcmp(a, "--format") == 0)
                format_name = argv[++i];
            else
                history = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            cli_fail(EXIT_INPUT,
                     "run: unknown option '%s' (stalesim run --help)", a);
            goto out;
        } else if (file) {
            cli_fail(EXIT_INPUT,
                     "run: more than one scenario file ('%s', '%s')", file, a);
            goto out;
        } else {
            file = a;
        }
    }
    output_format format;
    if (output_parse_format(format_name, &format) != 0) {
        cli_fail(EXIT_INPUT, "--format: '%s' is not text, json or csv",
                 format_name);
        goto out;
    }
    code = cli_load_scenario(&sc, file, &sets);
    if (code != EXIT_OK) goto out;
    code = EXIT_RUNTIME;
    if (history && !(hist = fopen(history, "w"))) {
        cli_fail(EXIT_RUNTIME, "--history: cannot create '%s': %s", history,
                 strerror(errno));
        goto out;
    }
    if (hist && !(hw = history_writer_create(hist, &sc, "simulation"))) {
        cli_fail(EXIT_RUNTIME, "--history: out of memory");
        goto out;
    }
    sum = run_scenario_traced(&sc, hw ? history_writer_trace : NULL, hw, err,
                              sizeof err);
    if (!sum) {
        cli_fail(EXIT_RUNTIME, "%s", err);
        goto out;
    }
    if (hist) {
        int bad = history_writer_finish(hw) != 0;
        bad |= ferror(hist);
        bad |= fclose(hist) != 0;
        hist = NULL;
        if (bad) {
            cli_fail(EXIT_RUNTIME, "--history: writing '%s' failed", history);
            goto out;
        }
    }
    if (output_summary(stdout, format, &sc, sum) != 0) {
        cli_fail(EXIT_RUNTIME, "writing the results: %s", strerror(errno));
        goto out;
    }
    code = EXIT_OK;
out:
    if (hist) fclose(hist);
    history_writer_destroy(hw);
    run_summary_destroy(sum);
    scenario_fini(&sc);
    cli_overrides_fini(&sets);
    return code;
}

int cmd_keys(int argc, char **argv) {
    if (argc > 0 && (strcmp(argv[0], "-h") == 0 ||
                     strcmp(argv[0], "--help") == 0)) {
        usage_keys(stdout);
        return EXIT_OK;
    }
    if (argc > 0) return cli_fail(EXIT_INPUT, "keys: unexpected '%s'", argv[0]);
    scenario_print_reference(stdout);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

int cmd_patterns(int argc, char **argv) {
    if (argc > 0 && (strcmp(argv[0], "-h") == 0 ||
                     strcmp(argv[0], "--help") == 0)) {
        usage_patterns(stdout);
        return EXIT_OK;
    }
    if (argc > 0)
        return cli_fail(EXIT_INPUT, "patterns: unexpected '%s'", argv[0]);
    for (size_t i = 0; i < pattern_count(); i++)
        printf("%-14s %s\n", pattern_at(i)->name, pattern_at(i)->summary);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

