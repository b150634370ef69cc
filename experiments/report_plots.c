/* The Plots section of `stalesim report` (see cmd_report.c): each plot
 * kind drawn as a PNG beside the document with its sentence, one explained
 * stale read as a timeline, and the commands that redraw them collected for
 * the Reproduce section. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/commands.h"
#include "experiments/plotview.h"
#include "experiments/report.h"
#include "experiments/shell.h"
#include "experiments/story.h"
#include "models/oracle.h"
#include "plots/gnuplot.h"
#include "plots/timeline.h"

/* ---- plots --------------------------------------------------------------------------- */

/* One line of the Reproduce block: `stalesim` and the words, each a shell
 * word (shell.h), so that pasting it runs exactly this command.  A word
 * with a control character cannot be shown on one line: the line becomes a
 * comment saying so. */
void report_repro_line(FILE *f, const char *const *words, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (shell_has_control(words[i])) {
            fputs("# (a command is not shown: an argument contains a control "
                  "character)\n", f);
            return;
        }
    fputs("stalesim", f);
    for (size_t i = 0; i < n; i++) {
        fputc(' ', f);
        shell_word(f, words[i]);
    }
    fputc('\n', f);
}

/* Draws one PNG named PREFIX-TAGKIND.png into the report's files (c->files:
 * not in place before the whole report is); returns CLI_EXIT_OK or an exit
 * code after printing. */
static int draw_png(const report_ctx *c, const char *tag, const char *kind,
                    const plot_view *v, const plot_story *s, char *sentence,
                    size_t len, char *link, size_t linklen) {
    char path[4096], err[1024];
    snprintf(link, linklen, "%s-%s%s.png", c->prefix, tag, kind);
    snprintf(path, sizeof path, "%s%s", c->dir, link);
    gp_target t;
    if (gp_target_parse(&t, path, c->size, 0, err, sizeof err) != GP_OK)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    gp *g;
    if (gp_open(&g, &t, err, sizeof err) != GP_OK)
        return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    if (v) {
        plot_view_draw(v, g);
        plot_view_describe(v, sentence, len);
    } else {
        plot_story_draw(s, g);
        snprintf(sentence, len, "%s", s->sentence);
    }
    /* Complete, under its temporary name: renamed with the others. */
    if (gp_close_staged(g, c->files, err, sizeof err) != GP_OK)
        return cli_fail(CLI_EXIT_RUNTIME, "%s: %s", path, err);
    return CLI_EXIT_OK;
}

static void plot_entry(const report_ctx *c, int level, const char *heading,
                       const char *link, const char *sentence) {
    report_heading(c, level);
    fprintf(c->out, "%s\n\n![%s](%s)\n\n", heading, heading, link);
    report_md_text(c->out, sentence);
    fputs("\n\n", c->out);
}

/* plot DB --experiment ID --kind KIND [ARGS...] -o PNG into the Reproduce
 * block. */
static int repro_plot(const report_ctx *c, const char *kind,
                      const char *const *args, size_t nargs, const char *link) {
    char png[4096], exp[24];
    snprintf(png, sizeof png, "%s%s", c->dir, link);
    const char **w = malloc((nargs + 8) * sizeof *w);
    if (!w) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    size_t n = 0;
    w[n++] = "plot";
    w[n++] = c->db_path;
    w[n++] = "--experiment";
    w[n++] = report_exp_arg(exp, sizeof exp, c->d);
    w[n++] = "--kind";
    w[n++] = kind;
    for (size_t i = 0; i < nargs; i++) w[n++] = args[i];
    w[n++] = "-o";
    w[n++] = png;
    report_repro_line(c->repro, w, n);
    free(w);
    return CLI_EXIT_OK;
}

int report_plot_set(const report_ctx *c, const plot_data *d,
                    const char *const *where, size_t nwhere, const char *tag,
                    int level, const char *const *plot_args, size_t nargs) {
    static const struct {
        plot_kind kind;
        const char *heading;
    } kinds[] = {{PLOT_WINDOW_CDF, "Stale-window durations"},
                 {PLOT_AGE_HIST, "Staleness age of stale reads"},
                 {PLOT_VS, "Stale-read fraction against the varied key"},
                 {PLOT_TRADEOFF, "Trade-off: freshness against DB load"},
                 {PLOT_CAUSES, "Stale reads by cause"}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        plot_request req = {kinds[i].kind, NULL, NULL, NULL, where, nwhere};
        plot_view *v = NULL;
        char err[1024], sentence[2048], link[512];
        const char *kname = plot_kind_name(kinds[i].kind);
        int rc = plot_view_create(&v, d, &req, err, sizeof err);
        if (rc == PLOT_ERUNTIME) return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
        if (rc != PLOT_OK) {
            report_heading(c, level);
            fprintf(c->out, "%s\n\nNot drawn: ", kinds[i].heading);
            report_md_text(c->out, err);
            fputs("\n\n", c->out);
            continue;
        }
        int code = draw_png(c, tag, kname, v, NULL, sentence, sizeof sentence,
                            link, sizeof link);
        plot_view_destroy(v);
        if (code != CLI_EXIT_OK) return code;
        plot_entry(c, level, kinds[i].heading, link, sentence);
        code = repro_plot(c, kname, plot_args, nargs, link);
        if (code != CLI_EXIT_OK) return code;
    }
    return CLI_EXIT_OK;
}

int report_section_plots(const report_ctx *c) {
    report_heading(c, 2);
    fputs("Plots\n\n", c->out);
    return report_plot_set(c, c->d, NULL, 0, c->tag, 3, NULL, 0);
}

/* The point whose stale read is drawn: the design as the scenario file
 * writes it (its own pattern and TTL) when it had stale reads, else one of
 * its pattern, else any point that had them (-1: none had).  *as_written
 * says whether it is the file's design. */
static long timeline_point(const plot_data *d, int *as_written) {
    scenario base;
    char err[256], pattern[32] = "";
    double ttl = NAN;
    if (scenario_init_defaults(&base, err, sizeof err) == 0 &&
        (!d->scenario_text[0] ||
         scenario_load_string(&base, d->scenario_file, d->scenario_text, err,
                              sizeof err) == 0)) {
        snprintf(pattern, sizeof pattern, "%s", base.cache.pattern);
        ttl = sim_time_to_s(base.cache.ttl);
    }
    scenario_fini(&base);
    long best = -1;
    int best_score = -1;
    for (size_t p = 0; p < d->npoints; p++) {
        const plot_point *pt = &d->point[p];
        uint64_t stale = 0;
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) stale += pt->causes[c];
        if (!stale) continue;
        int score = (strcmp(pt->pattern, pattern) == 0) * 2 +
                    (pt->ttl_s == ttl);
        if (score > best_score) {
            best_score = score;
            best = (long)p;
        }
    }
    *as_written = best_score == 3;
    return best;
}

/* The first replication of point p that has a stale read of `cause` (the
 * cause is as known at the read, so a replication with stale reads may have
 * none of it), captured into *story; *rep is its number.  STORY_OK or the
 * status with err. */
static int capture_point(const plot_data *d, size_t p, int cause,
                         plot_story *story, uint32_t *rep, char *err,
                         size_t errlen) {
    scenario sc;
    int rc = plot_data_point_scenario(d, p, &sc, err, errlen);
    int src = rc == PLOT_OK ? STORY_OK : STORY_EINPUT;
    if (rc == PLOT_ERUNTIME) src = STORY_ERUNTIME;
    uint32_t r;
    for (r = 0; src == STORY_OK && r < d->point[p].nruns; r++) {
        src = story_capture(story, &sc, 0, cause, r, err, errlen);
        if (src == STORY_OK) break;
        if (src == STORY_EINPUT && r + 1 < d->point[p].nruns) src = STORY_OK;
    }
    scenario_fini(&sc);
    *rep = r;
    return src;
}

/* plot DB --experiment ID --kind timeline [--where K=V]... --cause C
 * --stale 0 --rep R -o PNG into the Reproduce block. */
static int repro_timeline(const report_ctx *c, size_t p, int cause,
                          uint32_t rep, const char *link) {
    const plot_data *d = c->d;
    size_t nargs = 0;
    const char **w = malloc((6 + 2 * d->nkeys) * sizeof *w);
    char **kv = calloc(d->nkeys ? d->nkeys : 1, sizeof *kv);
    char reps[24];
    snprintf(reps, sizeof reps, "%u", rep);
    int ok = w && kv;
    for (size_t k = 0; ok && k < d->nkeys; k++) {
        size_t len = strlen(d->key[k]) + strlen(d->point[p].value[k]) + 2;
        if (!(kv[k] = malloc(len))) {
            ok = 0;
            break;
        }
        snprintf(kv[k], len, "%s=%s", d->key[k], d->point[p].value[k]);
        w[nargs++] = "--where";
        w[nargs++] = kv[k];
    }
    int code = CLI_EXIT_OK;
    if (ok) {
        w[nargs++] = "--cause";
        w[nargs++] = oracle_cause_name((oracle_cause)cause);
        w[nargs++] = "--stale";
        w[nargs++] = "0";
        w[nargs++] = "--rep";
        w[nargs++] = reps;
        code = repro_plot(c, "timeline", w, nargs, link);
    }
    for (size_t k = 0; kv && k < d->nkeys; k++) free(kv[k]);
    free(kv);
    free(w);
    return ok ? code : cli_fail(CLI_EXIT_RUNTIME, "out of memory");
}

int report_section_timeline(const report_ctx *c) {
    const plot_data *d = c->d;
    const char *heading = "One stale read, step by step";
    int as_written;
    long p = timeline_point(d, &as_written);
    if (p < 0) {
        report_heading(c, 3);
        fprintf(c->out, "%s\n\nNot drawn: no point had a stale read.\n\n",
                heading);
        return CLI_EXIT_OK;
    }
    /* The point's most frequent cause: the story a reviewer needs. */
    const plot_point *pt = &d->point[p];
    int cause = 0;
    for (int k = 1; k < ORACLE_CAUSE_COUNT; k++)
        if (pt->causes[k] > pt->causes[cause]) cause = k;
    plot_story story;
    memset(&story, 0, sizeof story);
    char err[1024], sentence[2048], link[512];
    uint32_t rep = 0;
    int src = capture_point(d, (size_t)p, cause, &story, &rep, err, sizeof err);
    if (src == STORY_ERUNTIME) return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    if (src != STORY_OK) {
        report_heading(c, 3);
        fprintf(c->out, "%s\n\nNot drawn: ", heading);
        report_md_text(c->out, err);
        fputs("\n\n", c->out);
        return CLI_EXIT_OK;
    }
    int code = draw_png(c, c->tag, "timeline", NULL, &story, sentence,
                        sizeof sentence, link, sizeof link);
    if (code != CLI_EXIT_OK) return code;
    char label[512];
    plot_point_label(d, (size_t)p, -1, -1, label, sizeof label);
    plot_entry(c, 3, heading, link, sentence);
    fprintf(c->out, "A stale read of cause %s (the point's most frequent) "
                    "in replication %u of ",
            oracle_cause_name((oracle_cause)cause), rep);
    report_md_text(c->out, label);
    if (pt->rare_boost > 0) /* explain has no --rare */
        fprintf(c->out, "%s, rerun with its faults boosted x%.4g as the sweep "
                        "stored it (`plot --kind timeline` redraws it; "
                        "`stalesim explain` runs without the boost).\n\n",
                as_written ? ", the design as the scenario file writes it"
                           : "",
                pt->rare_boost);
    else
        fprintf(c->out, "%s; `stalesim explain` prints the same story as a "
                        "table.\n\n",
                as_written ? ", the design as the scenario file writes it"
                           : "");
    return repro_timeline(c, (size_t)p, cause, rep, link);
}
