/* stalesim: how often a caching design serves stale data, and for how long. */
#include "experiments/cli.h"

int main(int argc, char **argv) { return cli_main(argc, argv); }
