/* Every subcommand: a function taking the arguments after its name and
 * returning the exit code, and its usage text (printed by --help and
 * `stalesim help NAME`).  One file per command or small family. */
#ifndef STALESIM_EXPERIMENTS_COMMANDS_H
#define STALESIM_EXPERIMENTS_COMMANDS_H

#include <stdio.h>

int cmd_run(int argc, char **argv);
void usage_run(FILE *out);
int cmd_keys(int argc, char **argv);
void usage_keys(FILE *out);
int cmd_patterns(int argc, char **argv);
void usage_patterns(FILE *out);

/* experiments/cmd_sweep.c */
int cmd_sweep(int argc, char **argv);
void usage_sweep(FILE *out);
int cmd_summarize(int argc, char **argv);
void usage_summarize(FILE *out);

/* experiments/cmd_compare.c */
int cmd_compare(int argc, char **argv);
void usage_compare(FILE *out);

/* experiments/cmd_check.c */
int cmd_check(int argc, char **argv);
void usage_check(FILE *out);

/* experiments/cmd_explain.c */
int cmd_explain(int argc, char **argv);
void usage_explain(FILE *out);

/* experiments/cmd_plot.c, experiments/cmd_report.c */
int cmd_plot(int argc, char **argv);
void usage_plot(FILE *out);
int cmd_report(int argc, char **argv);
void usage_report(FILE *out);

/* emulate/cmd_emulate.c */
int cmd_emulate(int argc, char **argv);
void usage_emulate(FILE *out);

/* experiments/cmd_audit.c */
int cmd_audit(int argc, char **argv);
void usage_audit(FILE *out);

#endif
