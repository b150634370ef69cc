/* The stalesim command line. */
#ifndef STALESIM_EXPERIMENTS_CLI_H
#define STALESIM_EXPERIMENTS_CLI_H

/* Exit codes (DESIGN.md section 3). */
enum cli_exit {
    EXIT_OK = 0,
    EXIT_VIOLATED = 1, /* check: the contract is not met */
    EXIT_INPUT = 2,    /* bad usage, bad scenario, bad flag */
    EXIT_RUNTIME = 3   /* I/O, memory, external tools */
};

/* Runs the command line; returns the process exit code. */
int cli_main(int argc, char **argv);

#endif
