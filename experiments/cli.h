/* The stalesim command line: the dispatcher, exit codes, and what every
 * subcommand shares (errors, scenario flags). */
#ifndef STALESIM_EXPERIMENTS_CLI_H
#define STALESIM_EXPERIMENTS_CLI_H

#include <stdio.h>

#include "models/scenario.h"

/* Exit codes (DESIGN.md section 3). */
enum cli_exit {
    EXIT_OK = 0,
    EXIT_VIOLATED = 1, /* check: the contract is not met */
    EXIT_INPUT = 2,    /* bad usage, bad scenario, bad flag */
    EXIT_RUNTIME = 3   /* I/O, memory, external tools */
};

/* Runs the command line; returns the process exit code. */
int cli_main(int argc, char **argv);

/* Prints "stalesim: error: ..." to stderr; returns `code`. */
int cli_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 1 if arg is -h or --help. */
int cli_is_help(const char *arg);

/* Scenario overrides gathered from --set, --reps and --seed, in order. */
typedef struct cli_override {
    const char *flag;  /* the option that gave it, for messages */
    char text[256];    /* "section.key=value" */
} cli_override;

typedef struct cli_overrides {
    cli_override *item;
    int n, cap;
} cli_overrides;

void cli_overrides_fini(cli_overrides *o);

/* If argv[*i] is --set, --reps or --seed, takes it and its value (advancing
 * *i) and returns 1; returns 0 for any other argument; returns -1 after
 * printing an error (missing value, too long, out of memory). */
int cli_take_scenario_flag(int argc, char **argv, int *i, cli_overrides *o);

/* Defaults, then FILE (NULL: the built-in default), then the overrides, then
 * validation.  Returns EXIT_OK, or an exit code after printing the error; in
 * every case call scenario_fini afterwards. */
int cli_load_scenario(scenario *sc, const char *file, const cli_overrides *o);

/* The --set/--reps/--seed lines of a usage text. */
void cli_usage_scenario_flags(FILE *out);

#endif
