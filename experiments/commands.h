/* Every subcommand: a function taking the arguments after its name and
 * returning the exit code, and its interface (options, usage and help, in
 * one cli_spec printed by --help and `stalesim help NAME`).  One file per
 * command or small family. */
#ifndef STALESIM_EXPERIMENTS_COMMANDS_H
#define STALESIM_EXPERIMENTS_COMMANDS_H

#include "experiments/cli.h"

/* experiments/cmd_run.c */
int cmd_run(int argc, char **argv);
extern const cli_spec cmd_run_spec;
int cmd_keys(int argc, char **argv);
extern const cli_spec cmd_keys_spec;
int cmd_patterns(int argc, char **argv);
extern const cli_spec cmd_patterns_spec;

/* experiments/cmd_sweep.c */
int cmd_sweep(int argc, char **argv);
extern const cli_spec cmd_sweep_spec;
/* experiments/cmd_summarize.c */
int cmd_summarize(int argc, char **argv);
extern const cli_spec cmd_summarize_spec;

/* experiments/cmd_merge.c */
int cmd_merge(int argc, char **argv);
extern const cli_spec cmd_merge_spec;

/* experiments/cmd_compare.c */
int cmd_compare(int argc, char **argv);
extern const cli_spec cmd_compare_spec;

/* experiments/cmd_check.c */
int cmd_check(int argc, char **argv);
extern const cli_spec cmd_check_spec;

/* experiments/cmd_explain.c */
int cmd_explain(int argc, char **argv);
extern const cli_spec cmd_explain_spec;

/* experiments/cmd_plot.c, experiments/cmd_report.c */
int cmd_plot(int argc, char **argv);
extern const cli_spec cmd_plot_spec;
int cmd_report(int argc, char **argv);
extern const cli_spec cmd_report_spec;

/* emulate/cmd_emulate.c */
int cmd_emulate(int argc, char **argv);
extern const cli_spec cmd_emulate_spec;

/* experiments/cmd_audit.c */
int cmd_audit(int argc, char **argv);
extern const cli_spec cmd_audit_spec;

/* experiments/cmd_tune.c, experiments/cmd_sensitivity.c */
int cmd_tune(int argc, char **argv);
extern const cli_spec cmd_tune_spec;
int cmd_sensitivity(int argc, char **argv);
extern const cli_spec cmd_sensitivity_spec;

#endif
