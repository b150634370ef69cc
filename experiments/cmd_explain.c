/* `stalesim explain`: the first stale reads of a replication, each as a
 * timeline an incident review would write: who did what, when, what the DB
 * and the cache held after each step, the commit the read missed and the
 * invalidation that failed or raced. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/explain.h"
#include "models/world.h"

enum { EXPLAIN_STALE = 1, EXPLAIN_CAUSE, EXPLAIN_REP };

static const cli_opt explain_opts[] = {
    {EXPLAIN_STALE, "--stale", NULL, "N", 0,
     "how many stale reads to explain (1..1000)"},
    {EXPLAIN_CAUSE, "--cause", NULL, "C", 0,
     "only stale reads of this cause, e.g. stale-fill,\n"
     "invalidation-failed (as known when the read ends)"},
    {EXPLAIN_REP, "--rep", NULL, "R", 0, "which replication to run"},
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_explain_spec = {
    "explain", "SCENARIO.ini", NULL, 1, explain_opts,
    "Runs replication R (default 0) until N stale reads (default 3)\n"
    "have happened and prints each as a Markdown timeline: time, actor,\n"
    "event, the DB's version and the cache's copy after each step, the\n"
    "commit the read missed and the cause.\n",
#define EXPLAIN_CAUSE_LINE(id, name, gist, story) "  " name "\n"
    "the causes (--cause):\n" ORACLE_CAUSES(EXPLAIN_CAUSE_LINE)};
#undef EXPLAIN_CAUSE_LINE

typedef struct explain_ctx {
    explainer *e;
    world *w;
} explain_ctx;

static void on_trace(void *ctx, const trace_rec *rec) {
    explain_ctx *x = ctx;
    explainer_trace(x->e, rec);
    if (explainer_done(x->e)) world_stop(x->w);
}

static int parse_count(const char *flag, const char *v, unsigned max,
                       unsigned *out) {
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || v[0] == '-' || n > max)
        return cli_fail(CLI_EXIT_INPUT, "%s: '%s' is not a whole number up to %u",
                        flag, v, max);
    *out = (unsigned)n;
    return CLI_EXIT_OK;
}

int cmd_explain(int argc, char **argv) {
    const char *file = NULL;
    unsigned wanted = 3, rep = 0;
    int only_cause = -1;
    cli_overrides sets = {0};
    scenario sc;
    memset(&sc, 0, sizeof sc);
    explainer *e = NULL;
    world *w = NULL;
    world_result *res = NULL;
    int code = CLI_EXIT_INPUT;
    cli_args args;
    cli_args_init(&args, &cmd_explain_spec, argc, argv, &sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_explain_spec);
            code = CLI_EXIT_OK;
            goto out;
        }
        if (id == CLI_ERROR) {
            code = cli_error_code(&args);
            goto out;
        }
        if (id == EXPLAIN_STALE || id == EXPLAIN_REP) {
            int is_stale = id == EXPLAIN_STALE;
            if (parse_count(is_stale ? "--stale" : "--rep", v,
                            is_stale ? 1000 : 1000000,
                            is_stale ? &wanted : &rep) != CLI_EXIT_OK)
                goto out;
            if (is_stale && wanted == 0) {
                cli_fail(CLI_EXIT_INPUT, "--stale: must be at least 1");
                goto out;
            }
        } else if (id == EXPLAIN_CAUSE) {
            only_cause = oracle_cause_parse(v);
            if (only_cause < 0) {
                cli_fail(CLI_EXIT_INPUT,
                         "--cause: unknown cause '%s' (the causes are listed "
                         "by stalesim explain --help)",
                         v);
                goto out;
            }
        } else if (file) {
            cli_fail_extra(&cmd_explain_spec, "scenario file", file, v);
            goto out;
        } else {
            file = v;
        }
    }
    code = cli_load_scenario(&sc, file, &sets);
    if (code != CLI_EXIT_OK) goto out;
    code = CLI_EXIT_RUNTIME;
    e = explainer_create(sc.workload.keys, wanted, sc.run.warmup, only_cause);
    res = malloc(sizeof *res);
    w = e && res ? world_create(&sc, rep) : NULL;
    if (!w) {
        cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    explain_ctx ctx = {e, w};
    world_set_tracer(w, on_trace, &ctx);
    if (world_run(w, res) != 0 || explainer_failed(e)) {
        cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    printf("# stalesim explain: %s, replication %u\n\n", sc.path, rep);
    if (explainer_count(e) == 0)
        printf("No stale read in replication %u (%.0f s simulated).\n", rep,
               (double)sc.run.duration / 1e9);
    else if (explainer_count(e) < wanted)
        printf("Only %u stale read%s in replication %u.\n\n",
               explainer_count(e), explainer_count(e) == 1 ? "" : "s", rep);
    if (explainer_print(e, stdout) != 0) {
        cli_fail(CLI_EXIT_RUNTIME, "writing the timelines failed");
        goto out;
    }
    code = CLI_EXIT_OK;
out:
    world_destroy(w);
    free(res);
    explainer_destroy(e);
    scenario_fini(&sc);
    cli_overrides_fini(&sets);
    return code;
}
