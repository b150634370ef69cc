/* Placeholder until this command is built; replaced whole by its author. */
#include "experiments/cli.h"
#include "experiments/commands.h"
int cmd_compare(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(EXIT_INPUT, "compare: not built yet"); }
void usage_compare(FILE *out) { fputs("stalesim compare: not built yet\n", out); }
