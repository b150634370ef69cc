/* The verdict of `stalesim check`: a scenario's freshness contract judged on
 * the pooled replications of one configuration, fresh (cmd_check.c) or
 * stored by run/sweep (check_db.c), printed the same way in both cases.
 * check_verdict.c states the rule. */
#ifndef STALESIM_EXPERIMENTS_CHECK_H
#define STALESIM_EXPERIMENTS_CHECK_H

#include <stdint.h>

#include "experiments/cli.h"
#include "experiments/run.h"
#include "models/scenario.h"

/* What a verdict is judged on. */
typedef struct check_input {
    const scenario *sc;    /* the contract, [run] for the closing line, the
                              key families */
    const run_summary *sum; /* at least 2 replications */
    int over_causes_known; /* 0: the causes of the over-bound reads were not
                              recorded (stored runs of an older build): said
                              so instead of counting none */
} check_input;

/* Prints the verdict to stdout: the deciding line, one line per clause, the
 * causes of the over-bound reads and of all stale reads, the consistency in
 * nines, the convergence of writes, how it was measured, and one verdict per
 * key family.  Returns CLI_EXIT_OK (every clause of every contract met with 95%
 * confidence), CLI_EXIT_VIOLATED, CLI_EXIT_INPUT (a family's view does not build)
 * or CLI_EXIT_RUNTIME (stdout failed), after printing the error. */
int check_print_verdict(const check_input *in);

/* check --db (check_db.c): judges stored runs instead of simulating. */
typedef struct check_db_request {
    const char *db;          /* the results database */
    int64_t experiment;      /* 0: the latest */
    const char *const *where; /* KEY=VALUE[,VALUE...] conditions on the
                                 experiment's varied keys */
    size_t nwhere;
    int each;                /* a verdict per matched configuration */
    const cli_overrides *sets; /* --set contract.KEY=VALUE (and
                                  family.NAME.contract.KEY) only */
} check_db_request;

/* Reads the stored runs of the configuration the request selects (or of
 * each, with `each`), pools them as check pools fresh replications and
 * prints a line naming the configuration, then its verdict.  Returns the
 * worst exit code of check_print_verdict, or CLI_EXIT_INPUT / CLI_EXIT_RUNTIME after
 * a one-line error: no such database or experiment, --where matching
 * nothing, several configurations without `each` (the message says how to
 * choose), fewer than 2 stored replications, a clause needing a metric the
 * database lacks (a NULL value, or a contract.max_staleness other than the
 * one the runs were measured against). */
int check_db(const check_db_request *q);

#endif
