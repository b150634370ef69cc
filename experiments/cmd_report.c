/* `stalesim report`: a sweep database turned into a Markdown design-review
 * document, with its plots written beside it as PNG files.
 *
 * One experiment (docs/plots.md shows an example):
 *   # Design review: SCENARIO           what was run, by which command, when
 *   ## Scenario                         the stored INI text, fenced; the
 *                                       overrides and the varied keys
 *   ## Freshness contract               the [contract], one summary sentence
 *                                       (e.g. "cache-aside meets it up to TTL
 *                                       30s"), the verdict of every point
 *                                       and the causes of the reads over
 *                                       its bound
 *   ## Recommendation                   with stored design answers only
 *   ## Comparison                       one row per point, 95% CIs, the best
 *                                       value of each column in bold
 *   ## Load and latency                 read-latency percentiles, cache and
 *                                       DB operations per second
 *   ## Per family                       with [family.NAME] sections only: per
 *                                       family, its verdict against its own
 *                                       contract, its table, latency and
 *                                       rates, and its own plots
 *   ## Plots                            window-cdf, age-hist, vs, tradeoff,
 *                                       causes and one stale-read timeline,
 *                                       each linked with one sentence computed
 *                                       from the data under it
 *   ## Reproduce                        the commands that redraw each plot,
 *                                       each naming the experiment
 *
 * Several experiments (--experiment A --experiment B ..., or all): a title,
 * the list of experiments, one table of every point of every experiment
 * against the first (the baseline), then each experiment's sections one
 * heading level deeper under "## Experiment N: SCENARIO", its PNGs named
 * PREFIX-eN-KIND.png.
 *
 * Only the timeline simulates, and only up to the first stale read of one
 * replication.  All or nothing: every plot and the document are written
 * under temporary names beside their destinations, and renamed into place
 * only when the last of them is complete (the document last); a failure in
 * any (a full disk, a file size limit, gnuplot failing on one plot) is exit
 * 3 and removes the temporaries, leaving the old files or nothing.  A
 * missing gnuplot is exit 3 (the document needs its plots).  SIGINT,
 * SIGTERM or SIGHUP while it works do the same (a second one kills). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "experiments/commands.h"
#include "experiments/recommend.h"
#include "experiments/report.h"
#include "experiments/results.h"
#include "experiments/shell.h"
#include "plots/gnuplot.h"
#include "sim/fileio.h"

enum { REPORT_OUTPUT = 1, REPORT_EXPERIMENT, REPORT_SIZE, REPORT_DB };

#define REPORT_MAX_EXPERIMENTS 64

static const cli_opt report_opts[] = {
    {REPORT_OUTPUT, "-o", "--output", "FILE", CLI_OPT_REQUIRED,
     "the document (its directory must exist)"},
    {REPORT_DB, "--db", NULL, "FILE", 0,
     "the database (instead of the operand DB)"},
    {REPORT_EXPERIMENT, "--experiment", NULL, "ID", CLI_OPT_REPEAT,
     "which experiment (default: the latest); given more than\n"
     "once, or `all`, the experiments side by side, the first\n"
     "the baseline"},
    {REPORT_SIZE, "--size", NULL, "WxH", 0,
     "size of the PNG plots (default 900x600)"},
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_report_spec = {
    "report", "DB", NULL, 0, report_opts,
    "Writes a Markdown design-review document of a sweep: the scenario (its\n"
    "stored text), the freshness-contract verdict of every point (the rule "
    "of\n"
    "`stalesim check`, on the stored runs) and the causes of the reads over\n"
    "its bound, a comparison table with 95% CIs and the best value of each\n"
    "column in bold, read-latency percentiles and cache and DB operations\n"
    "per second, and the plots window-cdf, age-hist,\n"
    "vs, tradeoff, causes and one stale-read timeline, written beside it as\n"
    "PNG files named after it (review.md -> review-window-cdf.png, ...), "
    "each\n"
    "with one sentence saying what it shows.  With key families, a \"Per "
    "family\"\n"
    "section gives each family's verdict against its own contract, its "
    "table\n"
    "and its own plots.  With several experiments (--experiment A "
    "--experiment B,\n"
    "or --experiment all), one table compares every point of each with the\n"
    "first (the baseline), then each has its own sections.  The Reproduce\n"
    "commands name the experiment they draw.\n",
    "Exit 0, 2 bad usage or input (an unknown experiment), 3 gnuplot missing\n"
    "or failing, I/O, or SIGINT/SIGTERM; all or nothing: on 3 no file is\n"
    "written or changed.\n"};

/* What the command line asked for. */
typedef struct report_args {
    const char *db_path, *output, *size;
    int64_t id[REPORT_MAX_EXPERIMENTS]; /* in the order given */
    size_t nids;
    int all;                            /* --experiment all */
} report_args;

/* ---- the command line ------------------------------------------------------------ */

/* One --experiment value into a. */
static int add_experiment(report_args *a, const char *val) {
    if (strcmp(val, "all") == 0) {
        a->all = 1;
    } else {
        char *end;
        errno = 0;
        unsigned long long id = strtoull(val, &end, 10);
        if (!*val || *end || errno || val[0] == '-' || id == 0 ||
            id > INT64_MAX)
            return cli_fail(CLI_EXIT_INPUT, "--experiment: '%s' is not an "
                            "experiment id (a whole number from 1, or all)",
                            val);
        for (size_t i = 0; i < a->nids; i++)
            if (a->id[i] == (int64_t)id)
                return cli_fail(CLI_EXIT_INPUT, "--experiment: %llu given twice",
                                id);
        if (a->nids == REPORT_MAX_EXPERIMENTS)
            return cli_fail(CLI_EXIT_INPUT, "--experiment: at most %d "
                            "experiments side by side",
                            REPORT_MAX_EXPERIMENTS);
        a->id[a->nids++] = (int64_t)id;
    }
    if (a->all && a->nids)
        return cli_fail(CLI_EXIT_INPUT, "--experiment: all, or ids, not both");
    return CLI_EXIT_OK;
}

/* Fills a; *help is set when --help was asked (printed, exit 0). */
static int parse_args(int argc, char **argv, report_args *a, int *help) {
    memset(a, 0, sizeof *a);
    *help = 0;
    cli_args args;
    cli_args_init(&args, &cmd_report_spec, argc, argv, NULL);
    const char *val;
    for (int id; (id = cli_next(&args, &val)) != CLI_END;) {
        int code = CLI_EXIT_OK;
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_report_spec);
            *help = 1;
            return CLI_EXIT_OK;
        }
        if (id == CLI_ERROR) return cli_error_code(&args);
        if (id == REPORT_OUTPUT) a->output = val;
        else if (id == REPORT_SIZE) a->size = val;
        else if (id == REPORT_EXPERIMENT) code = add_experiment(a, val);
        else if (a->db_path) /* the operand DB, or --db DB */
            code = cli_fail_extra(&cmd_report_spec, "database", a->db_path,
                                  val);
        else a->db_path = val;
        if (code != CLI_EXIT_OK) return code;
    }
    if (!a->db_path)
        return cli_fail(CLI_EXIT_INPUT, "report: which database? (stalesim "
                        "report DB -o review.md)");
    if (!a->output || !*a->output || strcmp(a->output, "-") == 0)
        return cli_fail(CLI_EXIT_INPUT, "report: -o FILE is required (the plots "
                        "are written beside it), e.g. -o review.md");
    char err[512];
    gp_target check;
    if (a->size && gp_target_parse(&check, "x.png", a->size, 0, err,
                                   sizeof err) != GP_OK)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    return CLI_EXIT_OK;
}

/* ---- a signal to stop --------------------------------------------------------------- */

/* SIGINT, SIGTERM or SIGHUP while the report works: the signal's number,
 * so that nothing is renamed into place and every temporary is removed
 * (write_files); the report ends after the plot being drawn and those
 * left, a matter of seconds.  A second signal kills as usual
 * (SA_RESETHAND).  Process-wide by nature: a signal handler has no
 * context. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig) { stop_signal = sig; }

#define STOP_SIGNALS 3
static const int stop_which[STOP_SIGNALS] = {SIGINT, SIGTERM, SIGHUP};

static void stop_catch(struct sigaction *old) {
    stop_signal = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    /* SA_RESTART: gnuplot's pipe and its wait carry on. */
    sa.sa_flags = SA_RESTART | SA_RESETHAND;
    for (int i = 0; i < STOP_SIGNALS; i++)
        sigaction(stop_which[i], &sa, &old[i]);
}

static void stop_restore(const struct sigaction *old) {
    for (int i = 0; i < STOP_SIGNALS; i++)
        sigaction(stop_which[i], &old[i], NULL);
}

/* ---- the output ------------------------------------------------------------------- */

/* Before any work: `output` can be created (a temporary file beside it is
 * made and removed) and is not a directory.  Returns an exit code naming
 * the argument. */
static int check_output(const char *output) {
    char why[256];
    struct stat st;
    if (stat(output, &st) == 0 && !S_ISREG(st.st_mode))
        return cli_fail(CLI_EXIT_INPUT, "-o '%s': %s", output,
                        S_ISDIR(st.st_mode) ? "is a directory, not a file"
                                            : "is not a regular file");
    char *tmp = sim_file_temp_beside(output, why, sizeof why);
    if (!tmp)
        return cli_fail(CLI_EXIT_RUNTIME, "-o '%s': cannot write: %s", output,
                        why);
    unlink(tmp);
    free(tmp);
    return CLI_EXIT_OK;
}

/* The document's directory (with '/', or "") and base name without .md
 * (review.md -> review), both malloc'd; checked as the plots' home. */
static int output_paths(const char *output, char **dir, char **prefix) {
    const char *slash = strrchr(output, '/');
    size_t dlen = slash ? (size_t)(slash - output) + 1 : 0;
    const char *base = output + dlen;
    size_t blen = strlen(base);
    if (blen > 3 && strcmp(base + blen - 3, ".md") == 0) blen -= 3;
    *dir = malloc(dlen + 1);
    *prefix = malloc(blen + 1);
    if (!*dir || !*prefix) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    memcpy(*dir, output, dlen);
    (*dir)[dlen] = '\0';
    memcpy(*prefix, base, blen);
    (*prefix)[blen] = '\0';
    if (blen == 0)
        return cli_fail(CLI_EXIT_INPUT, "-o '%s': needs a file name", output);
    /* The plots are drawn beside it, and their names reach gnuplot. */
    if (shell_has_control(output))
        return cli_fail(CLI_EXIT_INPUT, "-o: the file name contains a control "
                        "character: refused");
    struct stat st;
    if (dlen && (stat(*dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        return cli_fail(CLI_EXIT_RUNTIME, "-o '%s': no directory '%s'", output,
                        *dir);
    return check_output(output);
}

/* The end of a report whose plots are drawn (each whole, under its
 * temporary name in `files`) and whose composition ended with `code`: on
 * success `doc` (len bytes) joins them as `output` and every file is renamed
 * into place, the document last; on any failure, before or here, or a
 * signal to stop, every temporary is removed and no destination changes.
 * Returns an exit code. */
static int write_files(sim_outset *files, int code, const char *output,
                       const char *doc, size_t len) {
    char why[1024];
    if (code == CLI_EXIT_OK &&
        sim_outset_write(files, output, doc, len, why, sizeof why) != 0)
        code = cli_fail(CLI_EXIT_RUNTIME, "-o '%s': cannot write: %s", output,
                        why);
    if (code == CLI_EXIT_OK && stop_signal)
        code = cli_fail(CLI_EXIT_RUNTIME, "report: stopped by signal %d; "
                        "nothing was written", (int)stop_signal);
    if (code == CLI_EXIT_OK && sim_outset_commit(files, why, sizeof why) != 0)
        code = cli_fail(CLI_EXIT_RUNTIME, "-o '%s': cannot put the report in "
                        "place: %s", output, why);
    sim_outset_abort(files); /* empty after a commit */
    return code;
}

/* ---- which experiments ------------------------------------------------------------ */

/* With --experiment: every id named exists (else exit 2 naming it and the
 * ids there are); with all: the file's ids.  Into a->id. */
static int resolve_ids(report_args *a) {
    results *r = NULL;
    int64_t *have = NULL;
    size_t nhave = 0;
    char err[1024];
    int rc = results_open(&r, a->db_path, 1, err, sizeof err);
    if (rc == RESULTS_OK)
        rc = results_experiment_ids(r, &have, &nhave, err, sizeof err);
    results_close(r);
    if (rc != RESULTS_OK)
        return cli_fail(rc == RESULTS_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s",
                        err);
    char list[512] = "";
    for (size_t i = 0; i < nhave && strlen(list) + 24 < sizeof list; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%lld",
                 i ? ", " : "", (long long)have[i]);
    int code = CLI_EXIT_OK;
    if (nhave == 0) {
        code = cli_fail(CLI_EXIT_INPUT, "report: %s holds no experiment",
                        a->db_path);
    } else if (a->all) {
        a->nids = nhave < REPORT_MAX_EXPERIMENTS ? nhave
                                                 : REPORT_MAX_EXPERIMENTS;
        memcpy(a->id, have, a->nids * sizeof *have);
        if (nhave > REPORT_MAX_EXPERIMENTS)
            code = cli_fail(CLI_EXIT_INPUT, "--experiment all: %s holds %zu "
                            "experiments, at most %d side by side",
                            a->db_path, nhave, REPORT_MAX_EXPERIMENTS);
    }
    for (size_t i = 0; code == CLI_EXIT_OK && i < a->nids; i++) {
        size_t j = 0;
        while (j < nhave && have[j] != a->id[i]) j++;
        if (j == nhave)
            code = cli_fail(CLI_EXIT_INPUT, "--experiment %lld: %s has no such "
                            "experiment (its experiments: %s)",
                            (long long)a->id[i], a->db_path, list);
    }
    free(have);
    return code;
}

/* Loads experiment `id` (0: the latest) into *d: a sweep experiment with
 * points, else exit 2 with the reason.  With `studies` (id 0 only): set
 * instead, with CLI_EXIT_OK, when the database holds design answers (tune,
 * sensitivity) and no experiment. */
static int load_experiment(plot_data *d, const char *db_path, int64_t id,
                           int *studies) {
    char err[2048];
    int rc = plot_data_load(d, db_path, id, err, sizeof err);
    if (studies)
        *studies = rc == PLOT_EINPUT && recommend_count(db_path) > 0;
    if (studies && *studies) return CLI_EXIT_OK;
    if (rc != PLOT_OK)
        return cli_fail(rc == PLOT_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s",
                        err);
    if (!d->from_db)
        return cli_fail(CLI_EXIT_INPUT, "report: %s is a single run; a report "
                        "reads a sweep database (stalesim sweep ... --db "
                        "FILE)", db_path);
    if (d->npoints == 0)
        return cli_fail(CLI_EXIT_INPUT, "report: experiment %lld has no point",
                        (long long)d->experiment);
    return CLI_EXIT_OK;
}

/* ---- the document ------------------------------------------------------------------ */

/* One experiment's sections into c->out, its plot commands into c->repro;
 * the Recommendation after the contract when `recommend`. */
static int experiment_sections(const report_ctx *c, int recommend) {
    report_verdict *v = calloc(c->d->npoints + 1, sizeof *v);
    if (!v) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    report_section_head(c);
    report_section_scenario(c);
    report_section_contract(c, v);
    free(v);
    int code = report_section_over_causes(c);
    if (code == CLI_EXIT_OK && recommend) {
        recommend_target rt = {c->db_path, c->dir, c->prefix, c->size,
                               c->out,     c->repro, c->files};
        code = recommend_section(&rt);
    }
    if (code == CLI_EXIT_OK) {
        report_section_table(c);
        code = report_section_load(c);
    }
    if (code == CLI_EXIT_OK && c->d->nfamilies > 0)
        code = report_section_families(c);
    if (code == CLI_EXIT_OK) code = report_section_plots(c);
    if (code == CLI_EXIT_OK) code = report_section_timeline(c);
    return code;
}

/* The stored sweep command, shown as a command only when it is the plain
 * quoted line a sweep stores. */
static void repro_sweep(FILE *out, const plot_data *d) {
    if (shell_line_is_safe(d->command_line))
        fprintf(out, "%s\n", d->command_line);
    else
        fputs("# (the sweep's stored command line is not shown: it is not "
              "a plain quoted shell line)\n", out);
}

/* `report DB --experiment ID... -o OUTPUT` into out. */
static int repro_report(FILE *out, const report_args *a, const plot_data *exps,
                        size_t n) {
    const char **w = malloc((2 * n + 4) * sizeof *w);
    char(*ids)[24] = malloc((n + 1) * sizeof *ids);
    if (!w || !ids) {
        free(w);
        free(ids);
        return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    }
    size_t k = 0;
    w[k++] = "report";
    w[k++] = a->db_path;
    for (size_t e = 0; e < n; e++) {
        w[k++] = "--experiment";
        w[k++] = report_exp_arg(ids[e], sizeof ids[e], &exps[e]);
    }
    w[k++] = "-o";
    w[k++] = a->output;
    report_repro_line(out, w, k);
    free(w);
    free(ids);
    return CLI_EXIT_OK;
}

/* The whole document of experiments exps[0..n-1] into out. */
static int compose(FILE *out, FILE *rf, sim_outset *files,
                   const report_args *a, const char *dir, const char *prefix,
                   const plot_data *exps, size_t n) {
    int code = CLI_EXIT_OK;
    if (n > 1) {
        code = report_section_compared(out, a->db_path, exps, n);
        recommend_target rt = {a->db_path, dir, prefix, a->size,
                               out,        rf,  files};
        if (code == CLI_EXIT_OK) code = recommend_section(&rt);
    }
    for (size_t e = 0; e < n && code == CLI_EXIT_OK; e++) {
        char tag[32] = "";
        if (n > 1)
            snprintf(tag, sizeof tag, "e%lld-", (long long)exps[e].experiment);
        report_ctx c = {&exps[e], a->db_path, dir, prefix, a->size,
                        tag,      n > 1,      out, rf,     files};
        code = experiment_sections(&c, n == 1);
    }
    return code;
}

/* Composes the document of exps[0..n-1] and writes it. */
static int write_review(const report_args *a, const char *dir,
                        const char *prefix, const plot_data *exps, size_t n) {
    char *doc = NULL, *repro = NULL;
    size_t doclen = 0, reprolen = 0;
    sim_outset files;
    sim_outset_init(&files);
    FILE *out = open_memstream(&doc, &doclen);
    FILE *rf = open_memstream(&repro, &reprolen);
    int code = !out || !rf ? cli_fail(CLI_EXIT_RUNTIME, "out of memory")
                           : compose(out, rf, &files, a, dir, prefix, exps, n);
    if (rf && fclose(rf) != 0 && code == CLI_EXIT_OK)
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    if (code == CLI_EXIT_OK) {
        fputs("## Reproduce\n\n```sh\n", out);
        for (size_t e = 0; e < n; e++) repro_sweep(out, &exps[e]);
        code = repro_report(out, a, exps, n);
        fprintf(out, "%s```\n", repro);
    }
    if (out && fclose(out) != 0 && code == CLI_EXIT_OK)
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    code = write_files(&files, code, a->output, doc, doclen);
    if (code == CLI_EXIT_OK) {
        if (n == 1)
            printf("%s: design review of experiment %lld (%zu point%s) with "
                   "its plots beside it (%s%s-*.png)\n", a->output,
                   (long long)exps[0].experiment, exps[0].npoints,
                   exps[0].npoints == 1 ? "" : "s", dir, prefix);
        else
            printf("%s: design review of %zu experiments side by side with "
                   "their plots beside it (%s%s-*.png)\n", a->output, n, dir,
                   prefix);
        code = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
    }
    free(doc);
    free(repro);
    return code;
}

/* The review of a database that holds design answers and no sweep. */
static int report_studies_only(const report_args *a, const char *dir,
                               const char *prefix) {
    char *doc = NULL, *repro = NULL;
    size_t doclen = 0, reprolen = 0;
    FILE *out = open_memstream(&doc, &doclen);
    FILE *rf = open_memstream(&repro, &reprolen);
    sim_outset files;
    sim_outset_init(&files);
    int code = CLI_EXIT_OK;
    if (!out || !rf) code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    if (code == CLI_EXIT_OK) {
        fputs("# Design review: ", out);
        const char *s = strrchr(a->db_path, '/');
        report_md_text(out, s ? s + 1 : a->db_path);
        fputs("\n\nGenerated by `stalesim report` from `", out);
        report_md_text(out, a->db_path);
        fputs("`, which holds design answers and no sweep.\n\n", out);
        recommend_target rt = {a->db_path, dir, prefix, a->size,
                               out,        rf,  &files};
        code = recommend_section(&rt);
    }
    if (rf && fclose(rf) != 0 && code == CLI_EXIT_OK)
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    if (code == CLI_EXIT_OK) {
        fprintf(out, "## Reproduce\n\n```sh\n%s", repro);
        const char *rw[] = {"report", a->db_path, "-o", a->output};
        report_repro_line(out, rw, sizeof rw / sizeof rw[0]);
        fputs("```\n", out);
    }
    if (out && fclose(out) != 0 && code == CLI_EXIT_OK)
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    code = write_files(&files, code, a->output, doc, doclen);
    if (code == CLI_EXIT_OK) {
        printf("%s: design review of the answers stored in %s\n", a->output,
               a->db_path);
        code = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
    }
    free(doc);
    free(repro);
    return code;
}

int cmd_report(int argc, char **argv) {
    report_args a;
    int help;
    int code = parse_args(argc, argv, &a, &help);
    if (code != CLI_EXIT_OK || help) return code;
    char *dir = NULL, *prefix = NULL;
    plot_data *exps = NULL;
    size_t n = 0;
    int studies = 0;
    struct sigaction old[STOP_SIGNALS];
    stop_catch(old);
    code = output_paths(a.output, &dir, &prefix);
    if (code == CLI_EXIT_OK && (a.all || a.nids)) code = resolve_ids(&a);
    if (code == CLI_EXIT_OK) {
        exps = calloc(a.nids ? a.nids : 1, sizeof *exps);
        if (!exps) code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    }
    if (code == CLI_EXIT_OK && a.nids == 0) {
        /* The latest, or a database of design answers only: the review of
         * just its Recommendation. */
        n = 1;
        code = load_experiment(&exps[0], a.db_path, 0, &studies);
    }
    for (size_t e = 0; code == CLI_EXIT_OK && e < a.nids; e++, n++)
        code = load_experiment(&exps[e], a.db_path, a.id[e], NULL);
    if (code == CLI_EXIT_OK)
        code = studies ? report_studies_only(&a, dir, prefix)
                       : write_review(&a, dir, prefix, exps, n);
    /* Every slot: calloc'd, loaded or partly loaded. */
    for (size_t e = 0; exps && e < (a.nids ? a.nids : 1); e++)
        plot_data_fini(&exps[e]);
    free(exps);
    free(dir);
    free(prefix);
    stop_restore(old);
    return code;
}
