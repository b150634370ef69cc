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
    PLOT_OPT_REP, PLOT_OPT_CAUSE, PLOT_OPT_LOG, PLOT_OPT_LINEAR
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
    {PLOT_OPT_LOG, "--log", NULL, "AXES", 0,
     "x, y or xy: these axes logarithmic, whatever the data\n"
     "(values <= 0 on the bottom edge); window-cdf y: the share\n"
     "longer than x (its default)"},
    {PLOT_OPT_LINEAR, "--linear", NULL, "AXES", 0,
     "x, y or xy: these axes linear; window-cdf y: the CDF"},
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
    "  window-cdf  stale-window durations, one curve per group, TTL marked:\n"
    "              the share longer than x on a log axis, so the tail\n"
    "              (p99.9 and beyond) shows; --linear y for the CDF\n"
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
    "Axes are logarithmic where the data span two decades or more, and a\n"
    "metric's axis as the metric registry says (stale-read fractions log,\n"
    "hit ratios linear); --log and --linear decide instead.  Prints what\n"
    "the plot shows in one sentence.  Exit 0, 2 bad usage or input, 3 "
    "gnuplot\n"
    "missing or failing, or I/O.\n"};

/* Everything the command line gave, parsed. */
typedef struct plot_args {
    const char *input, *kind_name, *output, *size, *x, *by, *metric;
    const char **where;
    size_t nwhere;
    unsigned long exp_id, stale, rep;
    int have_stale, have_rep, have_exp, cause;
    plot_scale xscale, yscale; /* --log, --linear; AUTO when not given */
    cli_overrides sets;
} plot_args;

static int parse_count(const char *flag, const char *v, unsigned long lo,
                       unsigned long hi, unsigned long *out) {
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || v[0] == '+' || n < lo || n > hi)
        return cli_fail(CLI_EXIT_INPUT, "%s: '%s' is not a whole number in "
                        "%lu..%lu", flag, v, lo, hi);
    *out = n;
    return CLI_EXIT_OK;
}

/* --log AXES / --linear AXES: x, y or xy; an axis given both ways is
 * refused. */
static int parse_axes(const char *flag, const char *v, plot_scale s,
                      plot_args *a) {
    int x = strcmp(v, "x") == 0 || strcmp(v, "xy") == 0 ||
            strcmp(v, "yx") == 0;
    int y = strcmp(v, "y") == 0 || strcmp(v, "xy") == 0 ||
            strcmp(v, "yx") == 0;
    if (!x && !y)
        return cli_fail(CLI_EXIT_INPUT, "%s '%s': the axes are x, y or xy", flag,
                        v);
    if ((x && a->xscale && a->xscale != s) || (y && a->yscale && a->yscale != s))
        return cli_fail(CLI_EXIT_INPUT, "%s %s: that axis was already given to "
                        "%s", flag, v, s == PLOT_SCALE_LOG ? "--linear"
                                                          : "--log");
    if (x) a->xscale = s;
    if (y) a->yscale = s;
    return CLI_EXIT_OK;
}

/* One option into a; CLI_EXIT_OK, or the exit code after an error message. */
static int take_option(plot_args *a, int id, const char *v) {
    switch (id) {
    case PLOT_OPT_KIND: a->kind_name = v; break;
    case PLOT_OPT_OUTPUT: a->output = v; break;
    case PLOT_OPT_SIZE: a->size = v; break;
    case PLOT_OPT_X: a->x = v; break;
    case PLOT_OPT_BY: a->by = v; break;
    case PLOT_OPT_METRIC: a->metric = v; break;
    case PLOT_OPT_WHERE: a->where[a->nwhere++] = v; break;
    case PLOT_OPT_LOG: return parse_axes("--log", v, PLOT_SCALE_LOG, a);
    case PLOT_OPT_LINEAR:
        return parse_axes("--linear", v, PLOT_SCALE_LINEAR, a);
    case PLOT_OPT_EXPERIMENT:
        a->have_exp = 1;
        return parse_count("--experiment", v, 1, 1000000000000UL, &a->exp_id);
    case PLOT_OPT_STALE:
        a->have_stale = 1;
        return parse_count("--stale", v, 0, 1000, &a->stale);
    case PLOT_OPT_REP:
        a->have_rep = 1;
        return parse_count("--rep", v, 0, 1000000, &a->rep);
    case PLOT_OPT_CAUSE:
        a->cause = oracle_cause_parse(v);
        if (a->cause < 0)
            return cli_fail(CLI_EXIT_INPUT, "--cause: unknown cause '%s' (the "
                            "causes are listed by stalesim explain --help)", v);
        break;
    default: /* CLI_OPERAND */
        if (a->input)
            return cli_fail_extra(&cmd_plot_spec, "input", a->input, v);
        a->input = v;
    }
    return CLI_EXIT_OK;
}

/* Parses argv into a.  Returns -1 to go on, or the exit code (after the
 * help, or an error). */
static int parse_args(plot_args *a, int argc, char **argv) {
    cli_args args;
    cli_args_init(&args, &cmd_plot_spec, argc, argv, &a->sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_plot_spec);
            return CLI_EXIT_OK;
        }
        if (id == CLI_ERROR) return cli_error_code(&args);
        int rc = take_option(a, id, v);
        if (rc != CLI_EXIT_OK) return rc;
    }
    return -1;
}

/* Draws a prepared view or story to the target; prints the sentence. */
static int draw(const gp_target *t, const plot_view *v, const plot_story *s) {
    char err[1024], sentence[2048];
    gp *g = NULL;
    if (gp_open(&g, t, err, sizeof err) != GP_OK)
        return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    if (v) {
        plot_view_draw(v, g);
        plot_view_describe(v, sentence, sizeof sentence);
    } else {
        plot_story_draw(s, g);
        snprintf(sentence, sizeof sentence, "%s", s->sentence);
    }
    if (gp_close(g, err, sizeof err) != GP_OK)
        return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    if (t->path)
        printf("%s: %s\n", t->path, sentence);
    else
        printf("%s\n", sentence);
    if (fflush(stdout) != 0 || ferror(stdout))
        return cli_fail(CLI_EXIT_RUNTIME, "writing to stdout: %s", strerror(errno));
    return CLI_EXIT_OK;
}

/* The exit code of a PLOT_* status, after printing err. */
static int plot_fail(int rc, const char *err) {
    return cli_fail(rc == PLOT_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s", err);
}

static int parse_target(const plot_args *a, gp_target *t) {
    char err[1024];
    if (gp_target_parse(t, a->output, a->size, isatty(STDOUT_FILENO), err,
                        sizeof err) != GP_OK)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    return CLI_EXIT_OK;
}

/* --kind tornado: a sensitivity study's (experiments/recommend.c). */
static int plot_tornado(const plot_args *a) {
    if (!a->input || a->have_stale || a->have_rep || a->cause >= 0 ||
        a->sets.n > 0 || a->x || a->by || a->metric || a->nwhere ||
        a->have_exp || a->xscale || a->yscale)
        return cli_fail(CLI_EXIT_INPUT, a->input ? "--kind tornado takes a "
                        "database, -o and --size only" : "plot: which "
                        "database? (stalesim plot DB --kind tornado)");
    gp_target t;
    int code = parse_target(a, &t);
    return code != CLI_EXIT_OK ? code : recommend_plot_tornado(a->input, &t);
}

/* The stale read of the story: sc is loaded (a scenario, or a point's). */
static int draw_story(const plot_args *a, const scenario *sc,
                      const gp_target *t) {
    plot_story story;
    char err[2048];
    memset(&story, 0, sizeof story);
    int rc = story_capture(&story, sc, (unsigned)a->stale, a->cause,
                           (uint32_t)a->rep, err, sizeof err);
    if (rc != STORY_OK)
        return cli_fail(rc == STORY_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s",
                        err);
    return draw(t, NULL, &story);
}

/* --kind timeline of a scenario file: run it as `stalesim explain` does. */
static int plot_timeline_scenario(plot_args *a, const gp_target *t) {
    if (a->have_exp || a->x || a->by || a->metric || a->nwhere ||
        a->xscale || a->yscale)
        return cli_fail(CLI_EXIT_INPUT, "--kind timeline of a scenario takes "
                        "--stale, --rep and --set, not --x, --by, --where, "
                        "--metric, --log, --linear or --experiment");
    scenario sc;
    memset(&sc, 0, sizeof sc);
    int code = cli_load_scenario(&sc, a->input, &a->sets);
    if (code == CLI_EXIT_OK) code = draw_story(a, &sc, t);
    scenario_fini(&sc);
    return code;
}

/* --kind timeline of a database: the first selected point, rerun with its
 * stored scenario. */
static int plot_timeline_point(const plot_args *a, const plot_data *data,
                               const gp_target *t) {
    if (a->x || a->metric || a->xscale || a->yscale)
        return cli_fail(CLI_EXIT_INPUT, "--kind timeline takes --where to choose "
                        "the point, not --x, --metric, --log or --linear");
    plot_selection sel;
    char err[2048];
    int rc = plot_select(&sel, data, a->where, a->nwhere, "point", NULL, err,
                         sizeof err);
    if (rc != PLOT_OK) return plot_fail(rc, err);
    size_t p = sel.point[0];
    plot_selection_fini(&sel);
    scenario sc;
    memset(&sc, 0, sizeof sc);
    rc = plot_data_point_scenario(data, p, &sc, err, sizeof err);
    int code = rc == PLOT_OK ? draw_story(a, &sc, t) : plot_fail(rc, err);
    scenario_fini(&sc);
    return code;
}

/* The other kinds: a view of the data (per key family with --by family). */
static int plot_data_view(const plot_args *a, plot_kind kind,
                          const plot_data *data, const gp_target *t) {
    plot_data fam;
    plot_view *view = NULL;
    char err[2048];
    int code;
    memset(&fam, 0, sizeof fam);
    const plot_data *drawn = data;
    int family_where = 0; /* a --where on the by-family data's key */
    for (size_t w = 0; w < a->nwhere; w++)
        family_where |= strncmp(a->where[w], "family=", 7) == 0;
    if ((a->by && strcmp(a->by, "family") == 0) || family_where) {
        /* One curve (bar) per key family: the family tables' figures. */
        int rc = plot_data_by_family(&fam, data, err, sizeof err);
        if (rc != PLOT_OK) {
            code = plot_fail(rc, err);
            goto out;
        }
        drawn = &fam;
    }
    plot_request req = {kind, a->x, a->by, a->metric, a->where, a->nwhere};
    int rc = plot_view_create(&view, drawn, &req, err, sizeof err);
    if (rc == PLOT_OK)
        rc = plot_view_scale(view, a->xscale, a->yscale, err, sizeof err);
    code = rc == PLOT_OK ? draw(t, view, NULL) : plot_fail(rc, err);
out:
    plot_view_destroy(view);
    plot_data_fini(&fam);
    return code;
}

/* A database or RUN.json input: loaded, then the kind drawn from it. */
static int plot_from_data(const plot_args *a, plot_kind kind,
                          const gp_target *t) {
    if (!plot_data_recognized(a->input)) {
        FILE *f = fopen(a->input, "rb");
        if (!f)
            return cli_fail(CLI_EXIT_INPUT, "%s: cannot open: %s", a->input,
                            strerror(errno));
        fclose(f);
        return cli_fail(CLI_EXIT_INPUT, "%s: neither a results database nor a "
                        "RUN.json (a scenario is plotted with --kind "
                        "timeline)", a->input);
    }
    plot_data data;
    char err[2048];
    memset(&data, 0, sizeof data);
    int rc = plot_data_load(&data, a->input, (int64_t)a->exp_id, err,
                            sizeof err);
    int code;
    if (rc != PLOT_OK) code = plot_fail(rc, err);
    else if (kind == PLOT_TIMELINE) code = plot_timeline_point(a, &data, t);
    else code = plot_data_view(a, kind, &data, t);
    plot_data_fini(&data);
    return code;
}

/* After parsing: which kind, from what, to which target. */
static int plot_run(plot_args *a) {
    if (a->kind_name && strcmp(a->kind_name, "tornado") == 0)
        return plot_tornado(a);
    plot_kind kind;
    if (!a->kind_name)
        return cli_fail(CLI_EXIT_INPUT, "plot: --kind KIND is required (one of: "
                        "%s, tornado)", plot_kind_list());
    if (plot_kind_parse(a->kind_name, &kind) != 0)
        return cli_fail(CLI_EXIT_INPUT, "--kind '%s': not a plot kind (one of: "
                        "%s, tornado)", a->kind_name, plot_kind_list());
    if (!a->input)
        return cli_fail(CLI_EXIT_INPUT, "plot: what to plot? (stalesim plot "
                        "DB|RUN.json --kind %s, or a scenario with --kind "
                        "timeline)", a->kind_name);
    if (kind != PLOT_TIMELINE &&
        (a->have_stale || a->have_rep || a->cause >= 0 || a->sets.n > 0))
        return cli_fail(CLI_EXIT_INPUT, "--stale, --rep, --cause, --set, --reps "
                        "and --seed apply to --kind timeline only");
    gp_target target;
    int code = parse_target(a, &target);
    if (code != CLI_EXIT_OK) return code;
    if (kind == PLOT_TIMELINE && !plot_data_recognized(a->input))
        return plot_timeline_scenario(a, &target);
    return plot_from_data(a, kind, &target);
}

int cmd_plot(int argc, char **argv) {
    plot_args a;
    memset(&a, 0, sizeof a);
    a.stale = 1;
    a.cause = -1;
    a.where = calloc((size_t)argc + 1, sizeof *a.where);
    if (!a.where) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    int code = parse_args(&a, argc, argv);
    if (code < 0) code = plot_run(&a);
    cli_overrides_fini(&a.sets);
    free(a.where);
    return code;
}
