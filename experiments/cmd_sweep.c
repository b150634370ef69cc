/* Placeholder until this command is built; replaced whole by its author. */
#include "experiments/cli.h"
#include "experiments/commands.h"
int cmd_sweep(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(EXIT_INPUT, "sweep: not built yet"); }
void usage_sweep(FILE *out) { fputs("stalesim sweep: not built yet\n", out); }
int cmd_summarize(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(EXIT_INPUT, "summarize: not built yet"); }
void usage_summarize(FILE *out) { fputs("stalesim summarize: not built yet\n", out); }
