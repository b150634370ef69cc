/* The stalesim command line: the dispatcher, exit codes, the option parser
 * every subcommand shares (specs in a table, help generated from them), and
 * the scenario flags. */
#ifndef STALESIM_EXPERIMENTS_CLI_H
#define STALESIM_EXPERIMENTS_CLI_H

#include <stdio.h>

#include "models/scenario.h"
#include "sim/fileio.h"

/* Exit codes (DESIGN.md section 3). */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_VIOLATED = 1, /* check: the contract is not met */
    CLI_EXIT_INPUT = 2,    /* bad usage, bad scenario, bad flag */
    CLI_EXIT_RUNTIME = 3   /* I/O, memory, external tools */
};

/* Runs the command line; returns the process exit code. */
int cli_main(int argc, char **argv);

/* Prints "stalesim: error: ..." to stderr; returns `code`. */
int cli_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Opens the output file `path` given by `flag` ("--json") all or nothing
 * (sim/fileio.h: a temporary name beside it, renamed on commit).  Returns
 * CLI_EXIT_OK, or after printing "FLAG 'PATH': ..." CLI_EXIT_INPUT (a control
 * character, an empty name, a directory) or CLI_EXIT_RUNTIME (cannot create). */
int cli_open_output(sim_outfile *o, const char *flag, const char *path);

/* Scenario overrides gathered from --set, --reps and --seed, in order. */
typedef struct cli_override {
    const char *flag; /* "--set", "--reps" or "--seed" (static), for messages */
    char text[256];   /* "section.key=value" */
} cli_override;

typedef struct cli_overrides {
    cli_override *item;
    int n, cap;
    /* --rare and --boost (commands with CLI_RARE_OPTS): importance
     * sampling of fault draws (models/rare.h).  boost 0: chosen by
     * rare_auto_boost. */
    int rare;
    double boost;
    double max_memory; /* bytes from --max-memory; 0: the machine's memory */
    const char *max_memory_text; /* the flag's value as given, or NULL */
} cli_overrides;

void cli_overrides_fini(cli_overrides *o);

/* Appends one override "section.key=value" given by `flag` (a static
 * string named in messages).  Returns CLI_EXIT_OK, or an exit code after
 * printing the error (too long, out of memory). */
int cli_overrides_add(cli_overrides *o, const char *flag, const char *text);

/* 1 if the overrides hold one given by `flag` (e.g. "--reps"). */
int cli_overrides_have(const cli_overrides *o, const char *flag);

/* The --set texts of o, one a line ("section.key=value\n" each; "" when
 * none): the overrides a study records.  malloc'd; NULL: out of memory. */
char *cli_overrides_join(const cli_overrides *o);

/* A whole number in [lo, hi] from text (digits only: no sign, no space);
 * -1 if it is not one. */
long long cli_parse_whole(const char *text, long long lo, long long hi);

/* A count flag's value: a whole number in 1..max into *out, CLI_EXIT_OK; else
 * "FLAG: 'S' is not a whole number in 1..MAX" printed and CLI_EXIT_INPUT. */
int cli_parse_count(const char *flag, const char *s, unsigned long max,
                    unsigned long *out);

/* The value of --jobs (worker processes for the replications): 1..256 into
 * *jobs, CLI_EXIT_OK; else an error printed and CLI_EXIT_INPUT. */
int cli_parse_jobs(const char *v, int *jobs);
#define CLI_JOBS_HELP                                                         \
    "worker processes for the replications (default: every\n"                \
    "online core); the results are the same for any N"

/* Defaults, then FILE (NULL: the built-in default), then the overrides, then
 * validation, then --rare/--boost (sc->rare_boost), the trace read (once,
 * attached to sc) and the memory estimate of one replication
 * (experiments/estimate.h) against --max-memory or the machine.  Returns
 * CLI_EXIT_OK, or an exit code after printing the error; in
 * every case call scenario_fini afterwards. */
int cli_load_scenario(scenario *sc, const char *file, const cli_overrides *o);

/* Before running `runs` replications of sc on `workers` workers: refuses
 * (CLI_EXIT_INPUT, the key and the estimate named) what cannot fit in memory
 * with min(workers, runs) replications at once, and warns on stderr when the
 * work will take very long.  CLI_EXIT_OK otherwise. */
int cli_check_cost(const scenario *sc, const cli_overrides *o, int workers,
                   double runs);

/* The limit text for messages: "--max-memory 2G", or NULL (the machine). */
const char *cli_memory_limit_text(const cli_overrides *o, char *buf,
                                  size_t len);

/* ---- options ------------------------------------------------------------ */

/* One option of a command, as its parser and its help know it. */
typedef struct cli_opt {
    int id;            /* what cli_next returns for it; >= 1 */
    const char *name;  /* "--format" */
    const char *alias; /* another spelling ("-o"), or NULL */
    const char *value; /* the value's name in help ("F"); NULL: a switch */
    int flags;         /* CLI_OPT_* */
    const char *help;  /* lines separated by \n, without indentation */
} cli_opt;

#define CLI_OPT_REPEAT 1   /* may be given more than once: "[--vary K=V]..." */
#define CLI_OPT_REQUIRED 2 /* shown without brackets in the usage line */

/* A command's interface: what its usage line, its help and its parser know.
 * Every option is accepted as `--opt value` and `--opt=value`; -h or --help
 * anywhere asks for the help; `--` ends the options. */
typedef struct cli_spec {
    const char *name;     /* "run" */
    const char *operands; /* the usage line's operands, "[SCENARIO.ini]" */
    const char *forms;    /* further usage lines (other forms), or NULL */
    int scenario_flags;   /* takes --set, --reps and --seed */
    const cli_opt *opt;   /* ends with an entry whose name is NULL */
    const char *about;    /* what the command does, after the usage lines */
    const char *after;    /* text after the options, or NULL */
} cli_spec;

/* --rare and --boost, for the option table of a command that runs
 * replications (run, check, sweep, compare): cli_next puts them into the
 * overrides (rare, boost) and never returns them; cli_load_scenario applies
 * them. */
#define CLI_OPT_RARE 1000004
#define CLI_OPT_BOOST 1000005
#define CLI_RARE_OPTS                                                         \
    {CLI_OPT_RARE, "--rare", NULL, NULL, 0,                                   \
     "rare-event estimation: faults drawn at boosted probabilities,\n"        \
     "stale reads weighted by their likelihood ratio\n"                       \
     "(docs/rare-events.md)"},                                                \
    {CLI_OPT_BOOST, "--boost", NULL, "B", 0,                                  \
     "the boost of --rare (implies it): fault probabilities times B\n"        \
     "(>= 1; default: the most likely fault on 1% of its draws)"}

/* Prints the usage line (naming every option), the other forms, the about
 * text, every option with its help, and the closing text. */
void cli_usage(FILE *out, const cli_spec *spec);

/* Walks a command's arguments (those after its name). */
typedef struct cli_args {
    const cli_spec *spec;
    int argc;
    char **argv;
    int i;               /* the next argument */
    int operands_only;   /* after "--" */
    cli_overrides *sets; /* where --set/--reps/--seed go (scenario_flags) */
    int code;            /* the exit code of the last CLI_ERROR */
} cli_args;

void cli_args_init(cli_args *p, const cli_spec *spec, int argc, char **argv,
                   cli_overrides *sets);

enum cli_next_kind {
    CLI_END = 0,      /* no more arguments */
    CLI_OPERAND = -1, /* *value is an operand, not an option */
    CLI_HELP = -2,    /* -h or --help: print cli_usage, exit 0 */
    CLI_ERROR = -3    /* an error was printed; exit with p->code */
};

/* The next option's id with its value in *value (NULL for a switch), or a
 * cli_next_kind.  --set, --reps and --seed (and --rare, --boost) go into
 * p->sets and are never returned.  After CLI_ERROR (message printed: unknown option, missing
 * value, out of memory) cli_error_code(p) is the exit code. */
int cli_next(cli_args *p, const char **value);

/* The exit code of the last CLI_ERROR (CLI_EXIT_INPUT or CLI_EXIT_RUNTIME). */
int cli_error_code(const cli_args *p);

/* "CMD: unexpected 'ARG'"-style errors for operands a command cannot take:
 * prints "CMD: more than one WHAT ('FIRST', 'ARG')" and returns CLI_EXIT_INPUT. */
int cli_fail_extra(const cli_spec *spec, const char *what, const char *first,
                   const char *arg);

#endif
