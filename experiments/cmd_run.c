/* `stalesim run`, `keys` and `patterns`: one scenario's replications, and the
 * references a user reads before writing a scenario. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/cli.h"
#include "experiments/history.h"
#include "experiments/commands.h"
#include "experiments/output.h"
#include "experiments/run.h"
#include "models/pattern.h"
#include "models/scenario.h"
#include "sim/fileio.h"

enum { RUN_FORMAT = 1, RUN_HISTORY, RUN_JSON, RUN_CSV, RUN_JOBS };

static const cli_opt run_opts[] = {
    {RUN_FORMAT, "--format", NULL, "F", 0, "text (default), json or csv"},
    {RUN_HISTORY, "--history", NULL, "F", 0,
     "write every operation of replication 0 to F as\n"
     "JSON lines (docs/history.md; stalesim audit F)"},
    {RUN_JSON, "--json", NULL, "FILE", 0,
     "also write the JSON of the same run to FILE"},
    {RUN_CSV, "--csv", NULL, "FILE", 0,
     "also write the CSV of the same run to FILE"},
    {RUN_JOBS, "--jobs", NULL, "N", 0, CLI_JOBS_HELP},
    CLI_RARE_OPTS,
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_run_spec = {
    "run", "[SCENARIO.ini]", NULL, 1, run_opts,
    "Runs the scenario's replications and prints the stale-read fraction,\n"
    "hit ratio, DB load, stale age and stale-window distributions and the\n"
    "cause of every stale read, with 95% Student-t intervals over\n"
    "replications.  Without a file it runs the built-in default scenario\n"
    "(every key at its default: `stalesim keys` lists them).\n",
    NULL};

const cli_spec cmd_keys_spec = {
    "keys", NULL, NULL, 0, NULL,
    "Prints every scenario key, its default and meaning as a Markdown "
    "table.\n",
    NULL};

const cli_spec cmd_patterns_spec = {"patterns", NULL, NULL, 0, NULL,
                                    "Lists the caching patterns.\n", NULL};

int cmd_run(int argc, char **argv) {
    const char *file = NULL, *format_name = "text", *history = NULL;
    const char *json_file = NULL, *csv_file = NULL;
    int jobs = 0;
    /* Every output file is written under a temporary name and renamed only
     * once whole (sim/fileio.h): [0] --history, [1] --json, [2] --csv. */
    sim_outfile outf[3];
    memset(outf, 0, sizeof outf);
    history_writer *hw = NULL;
    cli_overrides sets = {0};
    scenario sc;
    run_summary *sum = NULL;
    char err[1024];
    int code = CLI_EXIT_INPUT;
    memset(&sc, 0, sizeof sc);
    cli_args args;
    cli_args_init(&args, &cmd_run_spec, argc, argv, &sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_run_spec);
            code = CLI_EXIT_OK;
            goto out;
        }
        if (id == CLI_ERROR) {
            code = cli_error_code(&args);
            goto out;
        }
        if (id == RUN_FORMAT) {
            format_name = v;
        } else if (id == RUN_HISTORY) {
            history = v;
        } else if (id == RUN_JSON) {
            json_file = v;
        } else if (id == RUN_CSV) {
            csv_file = v;
        } else if (id == RUN_JOBS) {
            if (cli_parse_jobs(v, &jobs) != CLI_EXIT_OK) goto out;
        } else if (file) {
            cli_fail_extra(&cmd_run_spec, "scenario file", file, v);
            goto out;
        } else {
            file = v;
        }
    }
    output_format format;
    if (output_parse_format(format_name, &format) != 0) {
        cli_fail(CLI_EXIT_INPUT, "--format: '%s' is not text, json or csv",
                 format_name);
        goto out;
    }
    code = cli_load_scenario(&sc, file, &sets);
    if (code != CLI_EXIT_OK) goto out;
    if (!jobs) jobs = run_default_jobs();
    code = cli_check_cost(&sc, &sets, jobs, sc.run.reps);
    if (code != CLI_EXIT_OK) goto out;
    code = CLI_EXIT_RUNTIME;
    /* Created before the run, so a path that cannot be written fails at
     * once rather than after the simulation. */
    const char *outname[3] = {history, json_file, csv_file};
    static const char *const outflag[3] = {"--history", "--json", "--csv"};
    char why[256];
    for (int k = 0; k < 3; k++) {
        if (outname[k] &&
            (code = cli_open_output(&outf[k], outflag[k], outname[k])) !=
                CLI_EXIT_OK)
            goto out;
    }
    code = CLI_EXIT_RUNTIME;
    if (history &&
        !(hw = history_writer_create(outf[0].f, &sc, "simulation"))) {
        cli_fail(CLI_EXIT_RUNTIME, "--history: out of memory");
        goto out;
    }
    run_options ro = {jobs,
                      isatty(STDERR_FILENO) ? stderr : NULL, "run"};
    sum = run_scenario_opts(&sc, hw ? history_writer_trace : NULL, hw, &ro,
                            err, sizeof err);
    if (!sum) {
        cli_fail(CLI_EXIT_RUNTIME, "%s", err);
        goto out;
    }
    if (history && history_writer_finish(hw) != 0) {
        cli_fail(CLI_EXIT_RUNTIME, "--history: writing '%s' failed: %s", history,
                 strerror(errno ? errno : EIO));
        goto out;
    }
    run_warn_short(&sc, sum, stderr);
    run_warn_rare(&sc, sum, stderr);
    /* The same run in further formats, without simulating it again. */
    static const output_format extra_format[3] = {0, OUTPUT_FORMAT_JSON, OUTPUT_FORMAT_CSV};
    for (int k = 1; k < 3; k++) {
        if (outname[k] &&
            output_summary(outf[k].f, extra_format[k], &sc, sum) != 0) {
            cli_fail(CLI_EXIT_RUNTIME, "%s: writing '%s' failed: %s", outflag[k],
                     outname[k], strerror(errno ? errno : EIO));
            goto out;
        }
    }
    /* All or nothing: a failure leaves every destination as it was. */
    for (int k = 0; k < 3; k++) {
        if (outname[k] && sim_outfile_commit(&outf[k], why, sizeof why) != 0) {
            cli_fail(CLI_EXIT_RUNTIME, "%s: writing '%s' failed: %s", outflag[k],
                     outname[k], why);
            goto out;
        }
    }
    if (output_summary(stdout, format, &sc, sum) != 0) {
        cli_fail(CLI_EXIT_RUNTIME, "writing the results: %s", strerror(errno));
        goto out;
    }
    code = CLI_EXIT_OK;
out:
    history_writer_destroy(hw);
    for (int k = 0; k < 3; k++) sim_outfile_abort(&outf[k]);
    run_summary_destroy(sum);
    scenario_fini(&sc);
    cli_overrides_fini(&sets);
    return code;
}

/* The commands without options or operands: help, or an error. */
static int no_arguments(const cli_spec *spec, int argc, char **argv) {
    cli_args args;
    cli_args_init(&args, spec, argc, argv, NULL);
    const char *v;
    int id = cli_next(&args, &v);
    if (id == CLI_HELP) {
        cli_usage(stdout, spec);
        return CLI_EXIT_OK;
    }
    if (id == CLI_ERROR) return cli_error_code(&args);
    if (id == CLI_OPERAND)
        return cli_fail(CLI_EXIT_INPUT, "%s: unexpected '%s'", spec->name, v);
    return -1;
}

int cmd_keys(int argc, char **argv) {
    int code = no_arguments(&cmd_keys_spec, argc, argv);
    if (code >= 0) return code;
    scenario_print_reference(stdout);
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
}

int cmd_patterns(int argc, char **argv) {
    int code = no_arguments(&cmd_patterns_spec, argc, argv);
    if (code >= 0) return code;
    for (size_t i = 0; i < pattern_count(); i++)
        printf("%-14s %s\n", pattern_at(i)->name, pattern_at(i)->summary);
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
}
