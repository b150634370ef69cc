/* Placeholder until this command is built; replaced whole by its author. */
#include "experiments/cli.h"
#include "experiments/commands.h"
int cmd_check(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(EXIT_INPUT, "check: not built yet"); }
void usage_check(FILE *out) { fputs("stalesim check: not built yet\n", out); }
