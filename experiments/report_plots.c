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

/* Draws one PNG; returns EXIT_OK or an exit code after printing. */
static int draw_png(const report_ctx *c, const char *kind, const plot_view *v,
                    const plot_story *s, char *sentence, size_t len,
                    char *link, size_t linklen) {
    char path[4096], err[1024];
    snprintf(link, linklen, "%s-%s.png", c->prefix, kind);
    snprintf(path, sizeof path, "%s%s", c->dir, link);
    gp_target t;
    if (gp_target_parse(&t, path, c->size, 0, err, sizeof err) != GP_OK)
        return cli_fail(EXIT_INPUT, "%s", err);
    gp *g;
    if (gp_open(&g, &t, err, sizeof err) != GP_OK)
        return cli_fail(EXIT_RUNTIME, "%s", err);
    if (v) {
        plot_view_draw(v, g);
        plot_view_describe(v, sentence, len);
    } else {
        plot_story_draw(s, g);
        snprintf(sentence, len, "%s", s->sentence);
    }
    if (gp_close(g, err, sizeof err) != GP_OK)
        return cli_fail(EXIT_RUNTIME, "%s: %s", path, err);
    return EXIT_OK;
}

static void plot_entry(const report_ctx *c, const char *heading,
                       const char *link, const char *sentence) {
    fprintf(c->out, "### %s\n\n![%s](%s)\n\n", heading, heading, link);
    report_md_text(c->out, sentence);
    fputs("\n\n", c->out);
}

int report_section_plots(const report_ctx *c) {
    static const struct {
        plot_kind kind;
        const char *heading;
    } kinds[] = {{PLOT_WINDOW_CDF, "Stale-window durations"},
                 {PLOT_AGE_HIST, "Staleness age of stale reads"},
                 {PLOT_VS, "Stale-read fraction against the varied key"},
                 {PLOT_TRADEOFF, "Trade-off: freshness against DB load"},
                 {PLOT_CAUSES, "Stale reads by cause"}};
    fputs("## Plots\n\n", c->out);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        plot_request req = {kinds[i].kind, NULL, NULL, NULL, NULL, 0};
        plot_view *v = NULL;
        char err[1024], sentence[2048], link[512];
        const char *kname = plot_kind_name(kinds[i].kind);
        int rc = plot_view_create(&v, c->d, &req, err, sizeof err);
        if (rc == PLOT_ERUNTIME) return cli_fail(EXIT_RUNTIME, "%s", err);
        if (rc != PLOT_OK) {
            fprintf(c->out, "### %s\n\nNot drawn: ", kinds[i].heading);
            report_md_text(c->out, err);
            fputs("\n\n", c->out);
            continue;
        }
        int code = draw_png(c, kname, v, NULL, sentence, sizeof sentence, link,
                            sizeof link);
        plot_view_destroy(v);
        if (code != EXIT_OK) return code;
        plot_entry(c, kinds[i].heading, link, sentence);
        char png[4096];
        snprintf(png, sizeof png, "%s%s", c->dir, link);
        const char *w[] = {"plot", c->db_path, "--kind", kname, "-o", png};
        report_repro_line(c->repro, w, sizeof w / sizeof w[0]);
    }
    return EXIT_OK;
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
        for (int c = 0; c < CAUSE_COUNT; c++) stale += pt->causes[c];
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

int report_section_timeline(const report_ctx *c) {
    const plot_data *d = c->d;
    const char *heading = "One stale read, step by step";
    int as_written;
    long p = timeline_point(d, &as_written);
    if (p < 0) {
        fprintf(c->out, "### %s\n\nNot drawn: no point had a stale read.\n\n",
                heading);
        return EXIT_OK;
    }
    /* The point's most frequent cause: the story a reviewer needs. */
    const plot_point *pt = &d->point[p];
    int cause = 0;
    for (int k = 1; k < CAUSE_COUNT; k++)
        if (pt->causes[k] > pt->causes[cause]) cause = k;
    scenario sc;
    plot_story story;
    memset(&story, 0, sizeof story);
    char err[1024], sentence[2048], link[512];
    uint32_t rep = 0;
    int rc = plot_data_point_scenario(d, (size_t)p, &sc, err, sizeof err);
    /* The first replication that has one (the cause is as known at the
     * read, so a replication with stale reads may have none of it). */
    int src = rc == PLOT_OK ? STORY_OK : STORY_EINPUT;
    if (rc == PLOT_ERUNTIME) src = STORY_ERUNTIME;
    for (rep = 0; src == STORY_OK && rep < pt->nruns; rep++) {
        src = story_capture(&story, &sc, 0, cause, rep, err, sizeof err);
        if (src == STORY_OK) break;
        if (src == STORY_EINPUT && rep + 1 < pt->nruns) src = STORY_OK;
    }
    scenario_fini(&sc);
    if (src == STORY_ERUNTIME) return cli_fail(EXIT_RUNTIME, "%s", err);
    if (src != STORY_OK) {
        fprintf(c->out, "### %s\n\nNot drawn: ", heading);
        report_md_text(c->out, err);
        fputs("\n\n", c->out);
        return EXIT_OK;
    }
    int code = draw_png(c, "timeline", NULL, &story, sentence, sizeof sentence,
                        link, sizeof link);
    if (code != EXIT_OK) return code;
    char label[512];
    plot_point_label(d, (size_t)p, -1, -1, label, sizeof label);
    plot_entry(c, heading, link, sentence);
    fprintf(c->out, "A stale read of cause %s (the point's most frequent) "
                    "in replication %u of ",
            oracle_cause_name((oracle_cause)cause), rep);
    report_md_text(c->out, label);
    fprintf(c->out, "%s; `stalesim explain` prints the same story as a "
                    "table.\n\n",
            as_written ? ", the design as the scenario file writes it" : "");
    {
        /* plot DB --kind timeline [--where K=V]... --cause C --stale 0
         * --rep R -o PNG */
        size_t nw = 0, cap = 12 + 2 * d->nkeys;
        const char **w = malloc(cap * sizeof *w);
        char **kv = calloc(d->nkeys ? d->nkeys : 1, sizeof *kv);
        char reps[24], png[4096];
        snprintf(reps, sizeof reps, "%u", rep);
        snprintf(png, sizeof png, "%s%s", c->dir, link);
        int ok = w && kv;
        if (ok) {
            w[nw++] = "plot";
            w[nw++] = c->db_path;
            w[nw++] = "--kind";
            w[nw++] = "timeline";
            for (size_t k = 0; k < d->nkeys && ok; k++) {
                size_t len = strlen(d->key[k]) + strlen(d->point[p].value[k]) + 2;
                if (!(kv[k] = malloc(len))) ok = 0;
                else {
                    snprintf(kv[k], len, "%s=%s", d->key[k],
                             d->point[p].value[k]);
                    w[nw++] = "--where";
                    w[nw++] = kv[k];
                }
            }
            w[nw++] = "--cause";
            w[nw++] = oracle_cause_name((oracle_cause)cause);
            w[nw++] = "--stale";
            w[nw++] = "0";
            w[nw++] = "--rep";
            w[nw++] = reps;
            w[nw++] = "-o";
            w[nw++] = png;
        }
        if (ok) report_repro_line(c->repro, w, nw);
        for (size_t k = 0; kv && k < d->nkeys; k++) free(kv[k]);
        free(kv);
        free(w);
        if (!ok) return cli_fail(EXIT_RUNTIME, "out of memory");
    }
    return EXIT_OK;
}

