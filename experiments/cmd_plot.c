/* `stalesim plot`: one picture from a sweep database, a RUN.json, or (the
 * timeline) a scenario, drawn by gnuplot (plots/).
 *
 * Everything the user typed is checked before gnuplot starts: a bad --kind,
 * --x, --by, --where or -o is exit 2 and leaves no file; a missing or failing
 * gnuplot, an unwritable target, a database error is exit 3.  On success the
 * sentence that says what the plot shows is printed on stdout (after the
 * picture itself for -o -). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/cli.h"
#include "experiments/commands.h"
#include "models/oracle.h"
#include "experiments/plotdata.h"
#include "plots/gnuplot.h"
#include "experiments/recommend.h"
#include "experiments/plotview.h"
#include "plots/timeline.h"
#include "experiments/story.h"

enum {
    PLOT_OPT_KIND = 1, PLOT_OPT_OUTPUT, PLOT_OPT_SIZE, PLOT_OPT_X, PLOT_OPT_BY,
    PLOT_OPT_WHERE, PLOT_OPT_METRIC, PLOT_OPT_EXPERIMENT, PLOT_OPT_STALE,
    PLOT_OPT_REP, PLOT_OPT_CAUSE
};

static const cli_opt plot_opts[] = {
    {PLOT_OPT_KIND, "--kind", NULL, "KIND", CLI_OPT_REQUIRED,
     "what to draw (the kinds above)"},
    {PLOT_OPT_OUTPUT, "-o", "--output", "FILE", 0,
     ".png (pngcairo), .svg or .pdf (pdfcairo); - draws text on\n"
     "stdout (the dumb terminal), the default when stdout is a\n"
     "terminal"},
    {PLOT_OPT_SIZE, "--size", NULL, "WxH", 0,
     "pixels (default 900x600); characters with -o -"},
    {PLOT_OPT_X, "--x", NULL, "KEY", 0,
     "vs, tradeoff: the varied key along x (default cache.ttl when\n"
     "varied, else the first numeric varied key)"},
    {PLOT_OPT_BY, "--by", NULL, "KEY", 0,
     "the varied key splitting curves (default cache.pattern when\n"
     "varied, else one curve per point); --by point: one per point;\n"
     "--by family: one per key family ([family.NAME]), from its\n"
     "figures, pooled over the points --where keeps"},
    {PLOT_OPT_WHERE, "--where", NULL, "K=V", CLI_OPT_REPEAT,
     "only points with this value (V1,V2 for either); repeatable;\n"
     "--where family=NAME: one key family's figures alone"},
    {PLOT_OPT_METRIC, "--metric", NULL, "NAME", 0,
     "vs: the metric along y (default stale_read_fraction);\n"
     "tradeoff: the cost along x (default db_reads_per_s)"},
    {PLOT_OPT_EXPERIMENT, "--experiment", NULL, "ID", 0,
     "which experiment of the database (default: the latest)"},
    {PLOT_OPT_STALE, "--stale", NULL, "N", 0,
     "timeline: which stale read (default 1, as numbered by\n"
     "stalesim explain); 0: the first whose story shows the\n"
     "commit it missed, repeated stale reads of a key skipped"},
    {PLOT_OPT_REP, "--rep", NULL, "R", 0,
     "timeline: which replication (default 0)"},
    {PLOT_OPT_CAUSE, "--cause", NULL, "C", 0,
     "timeline: only stale reads of this cause, e.g.\n"
     "invalidation-failed (as known when the read ends)"},
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_plot_spec = {
    "plot", "DB|RUN.json", 
    "       stalesim plot SCENARIO.ini --kind timeline [--stale N] [--rep R]\n"
    "                     [--cause C] [-o FILE] [--set S.K=V]... [--seed S]\n",
    1, plot_opts,
    "Draws one plot with gnuplot, from a sweep database (stalesim sweep --db),\n"
    "a `stalesim run --format json` file, or, for the timeline, a scenario.\n"
    "--set, --reps and --seed apply to the timeline of a scenario only.\n"
    "\n"
    "kinds:\n"
    "  window-cdf  CDF of stale-window durations, one curve per group, TTL "
    "marked\n"
    "  age-hist    staleness age of stale reads (share per bin), TTL and "
    "contract\n"
    "              bound marked\n"
    "  vs          a metric (--metric, default stale_read_fraction) against "
    "the\n"
    "              varied key --x, one line per group, 95% CI bars\n"
    "  tradeoff    stale-read fraction against a cost (--metric, default\n"
    "              db_reads_per_s, or hit_ratio) as --x varies, one curve per "
    "group\n"
    "  causes      stacked bars of stale reads per replication by cause\n"
    "  timeline    the N-th stale read of a replication (stalesim explain) "
    "as lanes:\n"
    "              clients, cache, DB, with the stale window shaded\n"
    "  tornado     the latest one-at-a-time sensitivity stored in DB\n"
    "              (stalesim sensitivity --db): one bar per input\n",
    "Axes are logarithmic where the data span two decades or more.  Prints "
    "what\n"
    "the plot shows in one sentence.  Exit 0, 2 bad usage or input, 3 "
    "gnuplot\n"
    "missing or failing, or I/O.\n"};

static int parse_count(const char *flag, const char *v, unsigned long lo,
                       unsigned long hi, unsigned long *out) {
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || v[0] == '+' || n < lo || n > hi)
        return cli_fail(EXIT_INPUT, "%s: '%s' is not a whole number in "
                        "%lu..%lu", flag, v, lo, hi);
    *out = n;
    return EXIT_OK;
}

/* Draws a prepared view or story to the target; prints the sentence. */
static int draw(const gp_target *t, const plot_view *v, const plot_story *s) {
    char err[1024], sentence[2048];
    gp *g = NULL;
    if (gp_open(&g, t, err, sizeof err) != GP_OK)
        return cli_fail(EXIT_RUNTIME, "%s", err);
    if (v) {
        plot_view_draw(v, g);
        plot_view_describe(v, sentence, sizeof sentence);
    } else {
        plot_story_draw(s, g);
        snprintf(sentence, sizeof sentence, "%s", s->sentence);
    }
    if (gp_close(g, err, sizeof err) != GP_OK)
        return cli_fail(EXIT_RUNTIME, "%s", err);
    if (t->path)
        printf("%s: %s\n", t->path, sentence);
    else
        printf("%s\n", sentence);
    if (fflush(stdout) != 0 || ferror(stdout))
        return cli_fail(EXIT_RUNTIME, "writing to stdout: %s", strerror(errno));
    return EXIT_OK;
}

int cmd_plot(int argc, char **argv) {
    const char *input = NULL, *kind_name = NULL, *output = NULL, *size = NULL;
    const char *x = NULL, *by = NULL, *metric = NULL;
    const char **where = calloc((size_t)argc + 1, sizeof *where);
    size_t nwhere = 0;
    unsigned long exp_id = 0, stale = 1, rep = 0;
    int have_stale = 0, have_rep = 0, have_exp = 0, cause = -1;
    cli_overrides sets = {0};
    plot_data data, fam_data;
    plot_view *view = NULL;
    plot_story story;
    scenario sc;
    char err[2048];
    int code = EXIT_INPUT;
    memset(&data, 0, sizeof data);
    memset(&fam_data, 0, sizeof fam_data);
    memset(&story, 0, sizeof story);
    memset(&sc, 0, sizeof sc);
    if (!where) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    cli_args args;
    cli_args_init(&args, &cmd_plot_spec, argc, argv, &sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        switch (id) {
        case CLI_HELP:
            cli_usage(stdout, &cmd_plot_spec);
            code = EXIT_OK;
            goto out;
        case CLI_ERROR:
            code = cli_error_code(&args);
            goto out;
        case PLOT_OPT_KIND: kind_name = v; break;
        case PLOT_OPT_OUTPUT: output = v; break;
        case PLOT_OPT_SIZE: size = v; break;
        case PLOT_OPT_X: x = v; break;
        case PLOT_OPT_BY: by = v; break;
        case PLOT_OPT_METRIC: metric = v; break;
        case PLOT_OPT_WHERE: where[nwhere++] = v; break;
        case PLOT_OPT_EXPERIMENT:
            if (parse_count("--experiment", v, 1, 1000000000000UL, &exp_id) !=
                EXIT_OK)
                goto out;
            have_exp = 1;
            break;
        case PLOT_OPT_STALE:
            if (parse_count("--stale", v, 0, 1000, &stale) != EXIT_OK) goto out;
            have_stale = 1;
            break;
        case PLOT_OPT_REP:
            if (parse_count("--rep", v, 0, 1000000, &rep) != EXIT_OK) goto out;
            have_rep = 1;
            break;
        case PLOT_OPT_CAUSE:
            cause = oracle_cause_parse(v);
            if (cause < 0) {
                cli_fail(EXIT_INPUT, "--cause: unknown cause '%s' (the causes "
                         "are listed by stalesim explain --help)", v);
                goto out;
            }
            break;
        default: /* CLI_OPERAND */
            if (input) {
                cli_fail_extra(&cmd_plot_spec, "input", input, v);
                goto out;
            }
            input = v;
        }
    }
    if (kind_name && strcmp(kind_name, "tornado") == 0) {
        /* A sensitivity study's tornado (experiments/recommend.c). */
        if (!input || have_stale || have_rep || cause >= 0 || sets.n > 0 ||
            x || by || metric || nwhere || have_exp) {
            cli_fail(EXIT_INPUT, input ? "--kind tornado takes a database, "
                     "-o and --size only" : "plot: which database? "
                     "(stalesim plot DB --kind tornado)");
            goto out;
        }
        gp_target tt;
        if (gp_target_parse(&tt, output, size, isatty(STDOUT_FILENO), err,
                            sizeof err) != GP_OK) {
            cli_fail(EXIT_INPUT, "%s", err);
            goto out;
        }
        code = recommend_plot_tornado(input, &tt);
        goto out;
    }
    plot_kind kind;
    if (!kind_name) {
        cli_fail(EXIT_INPUT,
                 "plot: --kind KIND is required (one of: %s, tornado)",
                 plot_kind_list());
        goto out;
    }
    if (plot_kind_parse(kind_name, &kind) != 0) {
        cli_fail(EXIT_INPUT,
                 "--kind '%s': not a plot kind (one of: %s, tornado)",
                 kind_name, plot_kind_list());
        goto out;
    }
    if (!input) {
        cli_fail(EXIT_INPUT, "plot: what to plot? (stalesim plot DB|RUN.json "
                 "--kind %s, or a scenario with --kind timeline)", kind_name);
        goto out;
    }
    if (kind != PLOT_TIMELINE &&
        (have_stale || have_rep || cause >= 0 || sets.n > 0)) {
        cli_fail(EXIT_INPUT, "--stale, --rep, --cause, --set, --reps and "
                 "--seed apply to --kind timeline only");
        goto out;
    }
    gp_target target;
    if (gp_target_parse(&target, output, size, isatty(STDOUT_FILENO), err,
                        sizeof err) != GP_OK) {
        cli_fail(EXIT_INPUT, "%s", err);
        goto out;
    }
    int recognized = plot_data_recognized(input);
    if (kind == PLOT_TIMELINE && !recognized) {
        /* A scenario: run it as `stalesim explain` does. */
        if (have_exp || x || by || metric || nwhere) {
            cli_fail(EXIT_INPUT, "--kind timeline of a scenario takes --stale, "
                     "--rep and --set, not --x, --by, --where, --metric or "
                     "--experiment");
            goto out;
        }
        code = cli_load_scenario(&sc, input, &sets);
        if (code != EXIT_OK) goto out;
        int rc = story_capture(&story, &sc, (unsigned)stale, cause,
                               (uint32_t)rep, err, sizeof err);
        if (rc != STORY_OK) {
            code = cli_fail(rc == STORY_EINPUT ? EXIT_INPUT : EXIT_RUNTIME,
                            "%s", err);
            goto out;
        }
        code = draw(&target, NULL, &story);
        goto out;
    }
    if (!recognized) {
        FILE *f = fopen(input, "rb");
        if (!f)
            cli_fail(EXIT_INPUT, "%s: cannot open: %s", input, strerror(errno));
        else
            cli_fail(EXIT_INPUT, "%s: neither a results database nor a "
                     "RUN.json (a scenario is plotted with --kind timeline)",
                     input);
        if (f) fclose(f);
        goto out;
    }
    int rc = plot_data_load(&data, input, (int64_t)exp_id, err, sizeof err);
    if (rc != PLOT_OK) {
        code = cli_fail(rc == PLOT_EINPUT ? EXIT_INPUT : EXIT_RUNTIME, "%s",
                        err);
        goto out;
    }
    if (kind == PLOT_TIMELINE) {
        /* The first selected point of a database, rerun with its stored
         * scenario. */
        plot_selection sel;
        if (x || metric) {
            cli_fail(EXIT_INPUT, "--kind timeline takes --where to choose the "
                     "point, not --x or --metric");
            goto out;
        }
        rc = plot_select(&sel, &data, where, nwhere, "point", NULL, err,
                         sizeof err);
        if (rc != PLOT_OK) {
            code = cli_fail(rc == PLOT_EINPUT ? EXIT_INPUT : EXIT_RUNTIME,
                            "%s", err);
            goto out;
        }
        size_t p = sel.point[0];
        plot_selection_fini(&sel);
        rc = plot_data_point_scenario(&data, p, &sc, err, sizeof err);
        if (rc == PLOT_OK) {
            int src = story_capture(&story, &sc, (unsigned)stale, cause,
                                    (uint32_t)rep, err, sizeof err);
            rc = src == STORY_OK       ? PLOT_OK
                 : src == STORY_EINPUT ? PLOT_EINPUT
                                       : PLOT_ERUNTIME;
        }
        if (rc != PLOT_OK) {
            code = cli_fail(rc == PLOT_EINPUT ? EXIT_INPUT : EXIT_RUNTIME,
                            "%s", err);
            goto out;
        }
        code = draw(&target, NULL, &story);
        goto out;
    }
    const plot_data *drawn = &data;
    int family_where = 0; /* a --where on the by-family data's key */
    for (size_t w = 0; w < nwhere; w++)
        family_where |= strncmp(where[w], "family=", 7) == 0;
    if ((by && strcmp(by, "family") == 0) || family_where) {
        /* One curve (bar) per key family: the family tables' figures. */
        rc = plot_data_by_family(&fam_data, &data, err, sizeof err);
        if (rc != PLOT_OK) {
            code = cli_fail(rc == PLOT_EINPUT ? EXIT_INPUT : EXIT_RUNTIME,
                            "%s", err);
            goto out;
        }
        drawn = &fam_data;
    }
    plot_request req = {kind, x, by, metric, where, nwhere};
    rc = plot_view_create(&view, drawn, &req, err, sizeof err);
    if (rc != PLOT_OK) {
        code = cli_fail(rc == PLOT_EINPUT ? EXIT_INPUT : EXIT_RUNTIME, "%s",
                        err);
        goto out;
    }
    code = draw(&target, view, NULL);
out:
    plot_view_destroy(view);
    plot_data_fini(&fam_data);
    plot_data_fini(&data);
    scenario_fini(&sc);
    cli_overrides_fini(&sets);
    free(where);
    return code;
}
