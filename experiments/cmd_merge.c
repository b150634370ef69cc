/* `stalesim merge OUT.db SHARD.db...`: the shards of one sweep (`stalesim
 * sweep --shard I/N`), computed anywhere, put back together into one
 * experiment of OUT.db, as if one sweep had run (results_merge).
 *
 * Exit 0 merged (a note on stderr when runs are still missing: a shard not
 * given or not finished), 2 bad input (a file that is not a stalesim
 * database, shards of different sweeps or stalesim versions, an OUT.db
 * holding the experiment from another version: nothing is written), 3 I/O.
 * Interrupted, it keeps what it committed; the same command completes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/results.h"

static const cli_opt merge_opts[] = {{0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_merge_spec = {
    "merge", "OUT.db SHARD.db...", NULL, 0, merge_opts,
    "Puts the shards of one sweep (stalesim sweep --shard I/N --db "
    "SHARD.db)\n"
    "together into one experiment of OUT.db (created if absent), identical "
    "to\n"
    "what the unsharded sweep stores.  Refuses, writing nothing, shards of\n"
    "another scenario, grid, overrides, mode, rare-event setting (--rare,\n"
    "--boost) or stalesim version.  A run held twice is taken once; merging\n"
    "again (more shards, or after an interruption) adds only what is\n"
    "missing.  Each shard file's latest experiment is the one merged.\n",
    "Exit 0 merged, 2 bad input, 3 failure.  docs/sweeps-at-scale.md.\n"};

static int rc_exit(int rc) {
    return rc == RESULTS_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME;
}

int cmd_merge(int argc, char **argv) {
    const char **path = calloc((size_t)argc + 1, sizeof *path);
    results **shard = calloc((size_t)argc + 1, sizeof *shard);
    results *out = NULL;
    size_t n = 0;
    const char *out_path = NULL;
    char err[2048];
    int code = CLI_EXIT_INPUT;
    if (!path || !shard) {
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto done;
    }
    cli_args args;
    cli_args_init(&args, &cmd_merge_spec, argc, argv, NULL);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_merge_spec);
            code = CLI_EXIT_OK;
            goto done;
        }
        if (id == CLI_ERROR) {
            code = cli_error_code(&args);
            goto done;
        }
        if (!out_path) out_path = v;
        else path[n++] = v;
    }
    if (!out_path || n == 0) {
        cli_fail(CLI_EXIT_INPUT, "merge: which files? (stalesim merge OUT.db "
                 "SHARD.db...)");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        struct stat ss;
        if (stat(path[i], &ss) != 0) {
            cli_fail(CLI_EXIT_INPUT, "%s: no such shard file", path[i]);
            goto done;
        }
        int rc = results_open(&shard[i], path[i], 1, err, sizeof err);
        if (rc != RESULTS_OK) {
            code = cli_fail(rc_exit(rc), "%s", err);
            goto done;
        }
    }
    int rc = results_merge_check(shard, n, err, sizeof err);
    if (rc == RESULTS_OK) rc = results_open(&out, out_path, 0, err, sizeof err);
    results_merge_report rep;
    if (rc == RESULTS_OK)
        rc = results_merge(out, shard, n, &rep, err, sizeof err);
    /* Everything into the file: the checkpoint at close would ignore a file
     * that cannot grow. */
    if (rc == RESULTS_OK) rc = results_checkpoint(out, err, sizeof err);
    if (rc != RESULTS_OK) {
        code = cli_fail(rc_exit(rc), "%s", err);
        goto done;
    }
    printf("merged %zu shard file%s into experiment %lld (%s) of %s: %zu "
           "points, %llu runs stored\n",
           n, n == 1 ? "" : "s", (long long)rep.experiment,
           rep.resumed ? "resumed" : "new", out_path, rep.points,
           (unsigned long long)rep.runs_stored);
    printf("  %llu runs copied, %llu held already or twice (taken once)\n",
           (unsigned long long)rep.runs_copied,
           (unsigned long long)rep.runs_duplicate);
    printf("  stalesim summarize %s --experiment %lld\n", out_path,
           (long long)rep.experiment);
    if (rep.points_done < rep.points)
        fprintf(stderr, "stalesim: note: %zu of %zu points still lack runs "
                "(a shard not given or not finished); merge it too, or run "
                "the sweep without --shard on %s to compute the rest\n",
                rep.points - rep.points_done, rep.points, out_path);
    code = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
done:
    for (size_t i = 0; shard && i < n; i++) results_close(shard[i]);
    results_close(out);
    free(shard);
    free(path);
    return code;
}
