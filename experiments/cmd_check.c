/* `stalesim check`: is the scenario's freshness contract met, with 95%
 * confidence?  On fresh replications of a scenario, or (--db) on the runs
 * `run`/`sweep` stored in a results database (check_db.c).  The rule and the
 * verdict are check_verdict.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/check.h"
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/run.h"
#include "models/scenario.h"

/* ---- the command ------------------------------------------------------------------- */

enum { CHECK_JOBS = 1, CHECK_DB, CHECK_EXPERIMENT, CHECK_WHERE, CHECK_EACH };

#define CHECK_MAX_WHERE 16

static const cli_opt check_opts[] = {
    {CHECK_JOBS, "--jobs", NULL, "N", 0, CLI_JOBS_HELP},
    CLI_RARE_OPTS,
    {CHECK_DB, "--db", NULL, "FILE", 0,
     "judge the runs stored in this results database (by `stalesim\n"
     "sweep`) instead of simulating: no scenario file; --set may\n"
     "change contract.* keys only (docs/check.md)"},
    {CHECK_EXPERIMENT, "--experiment", NULL, "ID", 0,
     "with --db: which experiment (default: the latest)"},
    {CHECK_WHERE, "--where", NULL, "K=V", CLI_OPT_REPEAT,
     "with --db: the configuration whose varied key K has the\n"
     "value V (30s matches 0.5min; V1,V2 matches either)"},
    {CHECK_EACH, "--each", NULL, NULL, 0,
     "with --db: a verdict for each configuration matched (exit 1\n"
     "if any is not met)"},
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_check_spec = {
    "check", "[SCENARIO.ini]",
    "check --db FILE [--experiment ID] [--where K=V]... [--each] "
    "[--set contract.K=V]...",
    1, check_opts,
    "Judges the scenario's [contract] over its replications:\n"
    "  staleness       at least `quantile` of reads are no staler than\n"
    "                  `max_staleness` (reads staler than it <= 1 - quantile)\n"
    "  stale fraction  stale_read_fraction <= `max_stale_fraction`\n"
    "A clause is met when the one-sided 95% Student-t upper bound of its\n"
    "per-replication mean is within the allowance; at least 2\n"
    "replications are needed.  Prints a one-line verdict naming the\n"
    "deciding figure, one line per clause, the nines of reads consistent\n"
    "within max_staleness, and how fast stale copies converged.  With\n"
    "--db it judges stored runs the same way, naming the configuration.\n",
    "exit: 0 met with 95% confidence; 1 violated, or met on the mean but\n"
    "not demonstrated with 95% confidence; 2 bad input; 3 runtime "
    "failure\n"};

/* check SCENARIO: simulates its replications and judges them. */
static int check_fresh(const char *file, const cli_overrides *sets, int jobs) {
    scenario sc;
    memset(&sc, 0, sizeof sc);
    run_summary *sum = NULL;
    char err[1024];
    int code = cli_load_scenario(&sc, file, sets);
    if (code != CLI_EXIT_OK) goto out;
    if (sc.run.reps < 2) {
        code = cli_fail(CLI_EXIT_INPUT,
                        "check needs at least 2 replications to bound the "
                        "contract with 95%% confidence (run.reps is %u; try "
                        "--reps 10)",
                        sc.run.reps);
        goto out;
    }
    run_options ro = {jobs ? jobs : run_default_jobs(),
                      isatty(STDERR_FILENO) ? stderr : NULL, "check"};
    sum = run_scenario_opts(&sc, NULL, NULL, &ro, err, sizeof err);
    if (!sum) {
        code = cli_fail(CLI_EXIT_RUNTIME, "%s", err);
        goto out;
    }
    run_warn_short(&sc, sum, stderr);
    run_warn_rare(&sc, sum, stderr);
    check_input in = {&sc, sum, 1};
    code = check_print_verdict(&in);
out:
    run_summary_destroy(sum);
    scenario_fini(&sc);
    return code;
}

/* The options of check --db given without --db, or the other way round. */
static int check_mode_flags(const char *db_path, const char *file, int jobs,
                            const check_db_request *q,
                            const cli_overrides *sets) {
    if (!db_path) {
        if (q->experiment || q->nwhere || q->each)
            return cli_fail(CLI_EXIT_INPUT, "check: %s needs --db FILE (it "
                            "chooses among stored runs)",
                            q->experiment ? "--experiment"
                            : q->nwhere   ? "--where"
                                          : "--each");
        return CLI_EXIT_OK;
    }
    if (file)
        return cli_fail(CLI_EXIT_INPUT, "check --db: no scenario file (the "
                        "database holds the scenario its runs were made "
                        "from); got '%s'", file);
    if (jobs)
        return cli_fail(CLI_EXIT_INPUT, "check --db: --jobs does not apply "
                        "(nothing is simulated)");
    if (sets->rare)
        return cli_fail(CLI_EXIT_INPUT, "check --db: --rare and --boost do not "
                        "apply (the stored runs are judged as they were "
                        "simulated: a sweep --rare stores weighted runs and "
                        "their boost)");
    return CLI_EXIT_OK;
}

int cmd_check(int argc, char **argv) {
    const char *file = NULL, *db_path = NULL, *where[CHECK_MAX_WHERE];
    cli_overrides sets = {0};
    int jobs = 0, code = CLI_EXIT_INPUT;
    check_db_request q = {0};
    cli_args args;
    cli_args_init(&args, &cmd_check_spec, argc, argv, &sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_check_spec);
            code = CLI_EXIT_OK;
            goto out;
        }
        if (id == CLI_ERROR) {
            code = cli_error_code(&args);
            goto out;
        }
        if (id == CHECK_JOBS) {
            if (cli_parse_jobs(v, &jobs) != CLI_EXIT_OK) goto out;
        } else if (id == CHECK_DB) {
            db_path = v;
        } else if (id == CHECK_EXPERIMENT) {
            char *end;
            long long e = strtoll(v, &end, 10);
            if (!*v || *end || e < 1) {
                code = cli_fail(CLI_EXIT_INPUT, "--experiment '%s': expected an "
                                "experiment id (1, 2, ...)", v);
                goto out;
            }
            q.experiment = e;
        } else if (id == CHECK_WHERE) {
            if (q.nwhere == CHECK_MAX_WHERE) {
                code = cli_fail(CLI_EXIT_INPUT, "--where: at most %d",
                                CHECK_MAX_WHERE);
                goto out;
            }
            where[q.nwhere++] = v;
        } else if (id == CHECK_EACH) {
            q.each = 1;
        } else if (file) {
            cli_fail_extra(&cmd_check_spec, "scenario file", file, v);
            goto out;
        } else {
            file = v;
        }
    }
    code = check_mode_flags(db_path, file, jobs, &q, &sets);
    if (code != CLI_EXIT_OK) goto out;
    if (db_path) {
        q.db = db_path;
        q.where = where;
        q.sets = &sets;
        code = check_db(&q);
    } else {
        code = check_fresh(file, &sets, jobs);
    }
out:
    cli_overrides_fini(&sets);
    return code;
}
