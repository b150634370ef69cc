/* `stalesim report`: a sweep database turned into a Markdown design-review
 * document, with its plots written beside it as PNG files.
 *
 * Layout (docs/plots.md shows an example):
 *   # Design review: SCENARIO           what was run, by which command, when
 *   ## Scenario                         the stored INI text, fenced; the
 *                                       overrides and the varied keys
 *   ## Freshness contract               the [contract], one summary sentence
 *                                       (e.g. "cache-aside meets it up to TTL
 *                                       30s"), and the verdict of every point
 *   ## Comparison                       one row per point, 95% CIs, the best
 *                                       value of each column in bold
 *   ## Per family                       with [family.NAME] sections only: per
 *                                       family, its verdict against its own
 *                                       contract and a table per point, from
 *                                       the family tables
 *   ## Plots                            window-cdf, age-hist, vs, tradeoff,
 *                                       causes and one stale-read timeline,
 *                                       each linked with one sentence computed
 *                                       from the data under it
 *   ## Reproduce                        the commands that redraw each plot
 *
 * The verdict is `stalesim check`'s rule (experiments/contract.h) applied to
 * the stored runs of each point: no replication is rerun.  Only the timeline
 * simulates, and only up to the first stale read of one replication.
 *
 * Nothing half-written is left: every plot and the document go to temporary
 * files renamed into place on success.  A missing gnuplot is exit 3 (the
 * document needs its plots). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "experiments/cli.h"
#include "experiments/commands.h"
#include "models/pattern.h"
#include "experiments/contract.h"
#include "experiments/recommend.h"
#include "experiments/shell.h"
#include "experiments/plotdata.h"
#include "plots/format.h"
#include "plots/gnuplot.h"
#include "experiments/plotview.h"
#include "plots/timeline.h"
#include "sim/fileio.h"
#include "experiments/story.h"
#include "experiments/report.h"

enum { REPORT_OUTPUT = 1, REPORT_EXPERIMENT, REPORT_SIZE };

static const cli_opt report_opts[] = {
    {REPORT_OUTPUT, "-o", "--output", "FILE", CLI_OPT_REQUIRED,
     "the document (its directory must exist)"},
    {REPORT_EXPERIMENT, "--experiment", NULL, "ID", 0,
     "which experiment (default: the latest)"},
    {REPORT_SIZE, "--size", NULL, "WxH", 0,
     "size of the PNG plots (default 900x600)"},
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_report_spec = {
    "report", "DB", NULL, 0, report_opts,
    "Writes a Markdown design-review document of a sweep: the scenario (its\n"
    "stored text), the freshness-contract verdict of every point (the rule "
    "of\n"
    "`stalesim check`, on the stored runs), a comparison table with 95% CIs "
    "and\n"
    "the best value of each column in bold, and the plots window-cdf, "
    "age-hist,\n"
    "vs, tradeoff, causes and one stale-read timeline, written beside it as\n"
    "PNG files named after it (review.md -> review-window-cdf.png, ...), "
    "each\n"
    "with one sentence saying what it shows.  With key families, a \"Per "
    "family\"\n"
    "section gives each family's verdict against its own contract and a "
    "table\n"
    "per point.\n",
    "Exit 0, 2 bad usage or input, 3 gnuplot missing or failing, or I/O.\n"};

/* ---- the verdicts --------------------------------------------------------------- */

typedef struct verdict {
    int judged;            /* 0: not judged, `why` says why */
    contract_clause cl[2]; /* staleness, stale fraction */
    contract_state state;  /* both clauses together */
    char why[160];
} verdict;

typedef struct contract_text {
    int known;
    double quantile, max_staleness_s, max_stale_fraction;
} contract_text;

static void judge_point(const plot_data *d, size_t p, verdict *v,
                        contract_text *ct) {
    memset(v, 0, sizeof *v);
    scenario sc;
    char err[512];
    if (plot_data_point_scenario(d, p, &sc, err, sizeof err) != PLOT_OK) {
        snprintf(v->why, sizeof v->why, "not judged: %.140s", err);
        scenario_fini(&sc);
        return;
    }
    if (!ct->known) {
        ct->known = 1;
        ct->quantile = sc.contract.quantile;
        ct->max_staleness_s = sim_time_to_s(sc.contract.max_staleness);
        ct->max_stale_fraction = sc.contract.max_stale_fraction;
    }
    const plot_point *pt = &d->point[p];
    double *x[2] = {malloc((pt->nruns + 1) * sizeof(double)),
                    malloc((pt->nruns + 1) * sizeof(double))};
    static const int metric[2] = {M_OVER_MAX_STALENESS_FRACTION,
                                  M_STALE_READ_FRACTION};
    size_t n[2] = {0, 0};
    double reads = 0;
    for (uint32_t r = 0; x[0] && x[1] && r < pt->nruns; r++) {
        for (int k = 0; k < 2; k++)
            if (!isnan(pt->run[metric[k]][r])) x[k][n[k]++] = pt->run[metric[k]][r];
        if (!isnan(pt->run[M_READS][r])) reads += pt->run[M_READS][r];
    }
    if (!x[0] || !x[1]) {
        snprintf(v->why, sizeof v->why, "not judged: out of memory");
    } else if (n[0] < 2 || n[1] < 2) {
        snprintf(v->why, sizeof v->why, "not judged: %zu replication%s (2 "
                 "needed)", n[0] < n[1] ? n[0] : n[1],
                 (n[0] < n[1] ? n[0] : n[1]) == 1 ? "" : "s");
    } else {
        double least = contract_resolution(reads);
        v->cl[0] = contract_judge(x[0], n[0], 1 - sc.contract.quantile, least);
        v->cl[1] = contract_judge(x[1], n[1], sc.contract.max_stale_fraction,
                                  least);
        v->judged = 1;
        v->state = v->cl[0].state == CONTRACT_VIOLATED ||
                           v->cl[1].state == CONTRACT_VIOLATED
                       ? CONTRACT_VIOLATED
                   : v->cl[0].state == CONTRACT_MET &&
                           v->cl[1].state == CONTRACT_MET
                       ? CONTRACT_MET
                       : CONTRACT_UNDEMONSTRATED;
    }
    free(x[0]);
    free(x[1]);
    scenario_fini(&sc);
}

static const char *state_word(contract_state s) {
    switch (s) {
    case CONTRACT_MET: return "met";
    case CONTRACT_UNDEMONSTRATED: return "not demonstrated";
    case CONTRACT_VIOLATED: return "VIOLATED";
    }
    return "?";
}

/* ---- Markdown helpers ------------------------------------------------------------- */

void report_md_text(FILE *out, const char *t) {
    for (; *t; t++) {
        if (strchr("|*_`[]<>\\", *t)) fputc('\\', out);
        fputc(*t, out);
    }
}

/* A fence longer than any run of backticks in text (at least ```). */
static int fence_len(const char *text) {
    int best = 0, run = 0;
    for (; *text; text++) {
        run = *text == '`' ? run + 1 : 0;
        if (run > best) best = run;
    }
    return best >= 3 ? best + 1 : 3;
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- the sections ------------------------------------------------------------------ */

static void section_head(FILE *out, const plot_data *d, const char *db_path) {
    fputs("# Design review: ", out);
    report_md_text(out, base_name(d->scenario_file));
    fputs("\n\n", out);
    uint64_t runs = 0;
    size_t incomplete = 0;
    for (size_t p = 0; p < d->npoints; p++) {
        runs += d->point[p].nruns;
        if (!d->point[p].complete) incomplete++;
    }
    fprintf(out, "Generated by `stalesim report` from experiment %lld of `",
            (long long)d->experiment);
    report_md_text(out, db_path);
    fprintf(out, "`: %zu point%s, %llu stored run%s, run by stalesim %s, "
                 "started %s, %s.",
            d->npoints, d->npoints == 1 ? "" : "s", (unsigned long long)runs,
            runs == 1 ? "" : "s", d->version, d->started_at,
            d->finished_at[0] ? "finished" : "**not finished**");
    if (incomplete)
        fprintf(out, " %zu point%s incomplete (the sweep was interrupted: "
                     "rerun it to resume).", incomplete,
                incomplete == 1 ? " is" : "s are");
    fputs("\n\nSweep: `", out);
    fputs(d->command_line, out);
    fputs("`\n\n", out);
}

static void section_scenario(FILE *out, const plot_data *d) {
    fputs("## Scenario\n\n`", out);
    fputs(d->scenario_file, out);
    fputs("`, as stored when the sweep started", out);
    if (d->overrides[0]) {
        fputs(", with the overrides", out);
        const char *o = d->overrides;
        int first = 1;
        while (*o) {
            size_t len = strcspn(o, "\n");
            if (len) {
                fprintf(out, "%s `--set %.*s`", first ? "" : ",", (int)len, o);
                first = 0;
            }
            o += len;
            if (*o) o++;
        }
    }
    if (d->nkeys) {
        fputs(", varying", out);
        for (size_t k = 0; k < d->nkeys; k++) {
            fprintf(out, "%s `%s` (", k ? (k + 1 == d->nkeys ? " and" : ",")
                                         : "",
                    d->key[k]);
            int nv = 0;
            for (size_t p = 0; p < d->npoints; p++) {
                int seen = 0;
                for (size_t q = 0; q < p; q++)
                    if (strcmp(d->point[q].value[k], d->point[p].value[k]) == 0)
                        seen = 1;
                if (seen) continue;
                fprintf(out, "%s", nv++ ? ", " : "");
                report_md_text(out, d->point[p].value[k]);
            }
            fputc(')', out);
        }
    }
    fputs(":\n\n", out);
    int f = fence_len(d->scenario_text);
    fprintf(out, "%.*s", f, "``````````````````````````````````");
    fputs("ini\n", out);
    if (d->scenario_text[0]) {
        fputs(d->scenario_text, out);
        if (d->scenario_text[strlen(d->scenario_text) - 1] != '\n')
            fputc('\n', out);
    } else {
        fputs("; (the built-in default scenario: no file)\n", out);
    }
    fprintf(out, "%.*s\n\n", f, "``````````````````````````````````");
}

/* The verdict summary: per group (pattern), where along x (TTL) the
 * contract is met. */
static void verdict_summary(FILE *out, const plot_data *d, const verdict *v) {
    const char *xkey = plot_data_key(d, "cache.ttl") >= 0 ? "cache.ttl" : NULL;
    plot_selection sel;
    char err[256];
    if (plot_select(&sel, d, NULL, 0, NULL, xkey, err, sizeof err) != PLOT_OK)
        return;
    const char *xname = xkey ? "TTL" : NULL;
    int any = 0;
    for (size_t g = 0; g < sel.ngroups; g++) {
        const plot_group *gr = &sel.group[g];
        int judged = 0;
        for (size_t i = 0; i < gr->n; i++) judged |= v[gr->point[i]].judged;
        if (!judged) continue;
        fputs(any ? "; " : "", out);
        any = 1;
        if (!xkey) {
            const verdict *w = &v[gr->point[0]];
            fputs("**", out);
            report_md_text(out, gr->label);
            fprintf(out, "**: %s", w->judged ? state_word(w->state)
                                              : "not judged");
            continue;
        }
        /* Along x: met at an x only when every point there is met. */
        size_t nx = 0, nmet = 0, prefix = 0, broken = 0;
        char met_list[512] = "", all_list[512] = "";
        int xk = plot_data_key(d, xkey);
        for (size_t i = 0; i < gr->n;) {
            const char *xt = d->point[gr->point[i]].value[xk];
            size_t j = i;
            int met = 1;
            while (j < gr->n &&
                   strcmp(d->point[gr->point[j]].value[xk], xt) == 0) {
                const verdict *w = &v[gr->point[j]];
                if (!w->judged || w->state != CONTRACT_MET) met = 0;
                j++;
            }
            size_t used = strlen(all_list);
            snprintf(all_list + used, sizeof all_list - used, "%s%s",
                     nx ? ", " : "", xt);
            if (met) {
                used = strlen(met_list);
                snprintf(met_list + used, sizeof met_list - used, "%s%s",
                         nmet ? ", " : "", xt);
                nmet++;
                if (!broken) prefix = nx + 1;
            } else {
                broken = 1;
            }
            nx++;
            i = j;
        }
        fputs("**", out);
        report_md_text(out, gr->label);
        fputs("** ", out);
        const char *last = strrchr(met_list, ' ');
        last = last ? last + 1 : met_list;
        if (nmet == 0)
            fprintf(out, "meets it at no %s tried (%s)", xname, all_list);
        else if (nmet == nx)
            fprintf(out, "meets it at every %s tried (%s)", xname, all_list);
        else if (prefix == nmet)
            fprintf(out, "meets it up to %s %s (of %s)", xname, last, all_list);
        else
            fprintf(out, "meets it at %s %s only (of %s)", xname, met_list,
                    all_list);
    }
    if (any) fputs(".\n\n", out);
    plot_selection_fini(&sel);
}

static void section_contract(FILE *out, const plot_data *d, verdict *v) {
    contract_text ct = {0, 0, 0, 0};
    for (size_t p = 0; p < d->npoints; p++) judge_point(d, p, &v[p], &ct);
    fputs("## Freshness contract\n\n", out);
    if (!ct.known) {
        fputs("Not judged: ", out);
        report_md_text(out, v[0].why);
        fputs("\n\n", out);
        return;
    }
    char ms[32], q[32], frac[32], over[32];
    plot_fmt_duration(ms, sizeof ms, ct.max_staleness_s);
    plot_fmt_percent(over, sizeof over, 1 - ct.quantile);
    snprintf(q, sizeof q, "%.10g%%", 100 * ct.quantile);
    plot_fmt_percent(frac, sizeof frac, ct.max_stale_fraction);
    fprintf(out, "The scenario's `[contract]`: at least %s of reads no staler "
                 "than %s (reads staler than it at most %s), and at most %s of "
                 "reads stale.  Each clause is judged on the stored "
                 "replications of a point with the rule of `stalesim check`: "
                 "met when the one-sided 95%% upper bound of its "
                 "per-replication mean is within the allowance, violated when "
                 "the mean itself is over, not demonstrated in between.\n\n",
            q, ms, over, frac);
    verdict_summary(out, d, v);
    fputc('|', out);
    for (size_t k = 0; k < d->nkeys; k++) {
        fputc(' ', out);
        report_md_text(out, d->key[k]);
        fputs(" |", out);
    }
    fprintf(out, " reads staler than %s (95%% upper) | stale reads (95%% "
                 "upper) | verdict |\n|", ms);
    for (size_t k = 0; k < d->nkeys; k++) fputs("---|", out);
    fputs("---:|---:|---|\n", out);
    for (size_t p = 0; p < d->npoints; p++) {
        fputc('|', out);
        for (size_t k = 0; k < d->nkeys; k++) {
            fputc(' ', out);
            report_md_text(out, d->point[p].value[k]);
            fputs(" |", out);
        }
        if (!v[p].judged) {
            fputs(" - | - | ", out);
            report_md_text(out, v[p].why);
            fputs(" |\n", out);
            continue;
        }
        for (int c = 0; c < 2; c++) {
            char a[32], b[32];
            fprintf(out, " %s (%s)%s |",
                    plot_fmt_percent(a, sizeof a, v[p].cl[c].mean),
                    plot_fmt_percent(b, sizeof b, v[p].cl[c].upper),
                    v[p].cl[c].state == CONTRACT_MET ? "" : " ✗");
        }
        fprintf(out, " %s%s%s |\n", v[p].state == CONTRACT_MET ? "**" : "",
                state_word(v[p].state),
                v[p].state == CONTRACT_MET ? "**" : "");
    }
    fputc('\n', out);
}

/* -- the comparison table -- */

enum { C_STALE, C_AGE_P99, C_AGE_MAX, C_WIN_P99, C_HIT, C_DB, NCOL };

typedef struct cell {
    char text[96];
    double key; /* ranked figure; NaN unranked, INFINITY worst */
} cell;

static void duration_cell(cell *c, const sim_hist *h, double q, int none_best) {
    double s = NAN;
    if (sim_hist_n(h)) s = (q < 0 ? h->tally.max : sim_hist_quantile(h, q)) / 1e9;
    if (isfinite(s) || none_best) {
        plot_fmt_duration(c->text, sizeof c->text, s);
        c->key = isfinite(s) ? s : 0;
    } else {
        snprintf(c->text, sizeof c->text, "still open");
        c->key = INFINITY;
    }
}

static void section_table(FILE *out, const plot_data *d) {
    static const char *const title[NCOL] = {
        "stale-read fraction (95% CI)", "p99 stale age", "max stale age",
        "p99 stale window", "hit ratio", "DB reads/s"};
    static const int better[NCOL] = {-1, -1, -1, -1, +1, -1};
    cell (*cells)[NCOL] = calloc(d->npoints + 1, sizeof *cells);
    if (!cells) return;
    for (size_t p = 0; p < d->npoints; p++) {
        const plot_point *pt = &d->point[p];
        cell *c = cells[p];
        char m[32], h[32];
        plot_fmt_sig(m, sizeof m, pt->mean[M_STALE_READ_FRACTION], 2);
        if (isfinite(pt->ci95[M_STALE_READ_FRACTION]))
            snprintf(c[C_STALE].text, sizeof c[C_STALE].text, "%s ± %s", m,
                     plot_fmt_sig(h, sizeof h, pt->ci95[M_STALE_READ_FRACTION],
                                  1));
        else
            snprintf(c[C_STALE].text, sizeof c[C_STALE].text, "%s", m);
        c[C_STALE].key = pt->mean[M_STALE_READ_FRACTION];
        int no_stale = sim_hist_n(&pt->dist[D_STALE_AGE]) == 0;
        int open = pt->mean[M_CENSORED_WINDOWS] > 0;
        duration_cell(&c[C_AGE_P99], &pt->dist[D_STALE_AGE], 0.99, no_stale);
        duration_cell(&c[C_AGE_MAX], &pt->dist[D_STALE_AGE], -1, no_stale);
        duration_cell(&c[C_WIN_P99], &pt->dist[D_STALE_WINDOW], 0.99, !open);
        plot_fmt_percent(c[C_HIT].text, sizeof c[C_HIT].text,
                         pt->mean[M_HIT_RATIO]);
        c[C_HIT].key = pt->mean[M_HIT_RATIO];
        plot_fmt_sig(c[C_DB].text, sizeof c[C_DB].text,
                     pt->mean[M_DB_READS_PER_S], 3);
        c[C_DB].key = pt->mean[M_DB_READS_PER_S];
    }
    fputs("## Comparison\n\nOne row per point: metrics are means over its "
          "replications (± the 95% Student-t half-width), durations from the "
          "pooled histograms; the best value of each column is in bold (ties "
          "included).\n\n|", out);
    for (size_t k = 0; k < d->nkeys; k++) {
        fputc(' ', out);
        report_md_text(out, d->key[k]);
        fputs(" |", out);
    }
    fputs(" runs |", out);
    for (int c = 0; c < NCOL; c++) fprintf(out, " %s |", title[c]);
    fputs(" top cause |\n|", out);
    for (size_t k = 0; k < d->nkeys; k++) fputs("---|", out);
    fputs("---:|", out);
    for (int c = 0; c < NCOL; c++) fputs("---:|", out);
    fputs("---|\n", out);
    int best[NCOL];
    for (int c = 0; c < NCOL; c++) {
        best[c] = -1;
        for (size_t p = 0; p < d->npoints; p++) {
            double k = cells[p][c].key;
            if (isnan(k)) continue;
            if (best[c] < 0 || (better[c] < 0 ? k < cells[best[c]][c].key
                                              : k > cells[best[c]][c].key))
                best[c] = (int)p;
        }
        if (best[c] >= 0 && isinf(cells[best[c]][c].key)) best[c] = -1;
    }
    for (size_t p = 0; p < d->npoints; p++) {
        const plot_point *pt = &d->point[p];
        fputc('|', out);
        for (size_t k = 0; k < d->nkeys; k++) {
            fputc(' ', out);
            report_md_text(out, pt->value[k]);
            fputs(" |", out);
        }
        fprintf(out, " %u%s |", pt->nruns, pt->complete ? "" : " (incomplete)");
        for (int c = 0; c < NCOL; c++) {
            const cell *b = best[c] >= 0 ? &cells[best[c]][c] : NULL;
            const cell *x = &cells[p][c];
            int bold = b && isfinite(x->key) &&
                       (x->key == b->key ||
                        (c != C_STALE && strcmp(x->text, b->text) == 0));
            fprintf(out, " %s%s%s |", bold ? "**" : "", x->text,
                    bold ? "**" : "");
        }
        uint64_t total = 0, top = 0;
        int tc = -1;
        for (int c = 0; c < CAUSE_COUNT; c++) {
            total += pt->causes[c];
            if (pt->causes[c] > top) {
                top = pt->causes[c];
                tc = c;
            }
        }
        if (tc >= 0) {
            char s[32];
            plot_fmt_sig(s, sizeof s, 100.0 * (double)top / (double)total, 3);
            if (top < total && atof(s) >= 100) snprintf(s, sizeof s, ">99.9");
            fprintf(out, " %s (%s%%) |\n", oracle_cause_name((oracle_cause)tc),
                    s);
        } else {
            fputs(" - |\n", out);
        }
    }
    fputc('\n', out);
    free(cells);
}

/* -- per key family -- */

/* "invalidation-failed (97%)" or "-" into buf. */
static void top_cause(char *buf, size_t len, const uint64_t *causes) {
    uint64_t total = 0, top = 0;
    int tc = -1;
    for (int c = 0; c < CAUSE_COUNT; c++) {
        total += causes[c];
        if (causes[c] > top) {
            top = causes[c];
            tc = c;
        }
    }
    if (tc < 0) {
        snprintf(buf, len, "-");
        return;
    }
    char s[32];
    plot_fmt_sig(s, sizeof s, 100.0 * (double)top / (double)total, 3);
    if (top < total && atof(s) >= 100) snprintf(s, sizeof s, ">99.9");
    snprintf(buf, len, "%s (%s%%)", oracle_cause_name((oracle_cause)tc), s);
}

/* With key families: each family's verdict against its own contract (the
 * family's view of each point's scenario) and a table per point from the
 * family tables. */
static int section_families(FILE *out, const plot_data *d) {
    plot_data fd;
    char err[1024];
    int rc = plot_data_by_family(&fd, d, err, sizeof err);
    if (rc != PLOT_OK) {
        plot_data_fini(&fd);
        return rc == PLOT_EINPUT ? EXIT_OK
                                 : cli_fail(EXIT_RUNTIME, "%s", err);
    }
    int nf = fd.nfamilies;
    verdict *v = calloc(fd.npoints + 1, sizeof *v);
    if (!v) {
        plot_data_fini(&fd);
        return cli_fail(EXIT_RUNTIME, "out of memory");
    }
    fputs("## Per family\n\nThe scenario has key families (`[family.NAME]`): "
          "each is judged against its own contract (`contract.*` of its "
          "section, else `[contract]`) with the same rule, on its own "
          "per-replication figures (the `family_runs` table), and tabled "
          "per point from the family tables.\n\n", out);
    for (int f = 0; f < nf; f++) {
        contract_text ct = {0, 0, 0, 0};
        size_t npts = d->npoints, nmet = 0, nviol = 0, nundem = 0;
        for (size_t p = 0; p < npts; p++) {
            size_t i = p * (size_t)nf + (size_t)f;
            judge_point(&fd, i, &v[i], &ct);
            if (!v[i].judged) continue;
            if (v[i].state == CONTRACT_MET) nmet++;
            else if (v[i].state == CONTRACT_VIOLATED) nviol++;
            else nundem++;
        }
        const plot_point *first = &fd.point[(size_t)f];
        fputs("### Family ", out);
        report_md_text(out, fd.family[f]);
        fputs("\n\n", out);
        if (first->pattern[0]) {
            fputs("Pattern `", out);
            fputs(first->pattern, out);
            fputs("`", out);
            if (strcmp(first->pattern, pattern_no_cache()->name) == 0)
                fputs(" (reads go to the source of truth)", out);
            fputs(".  ", out);
        }
        if (ct.known) {
            char ms[32], q[32], frac[32];
            plot_fmt_duration(ms, sizeof ms, ct.max_staleness_s);
            snprintf(q, sizeof q, "%.10g%%", 100 * ct.quantile);
            plot_fmt_percent(frac, sizeof frac, ct.max_stale_fraction);
            fprintf(out, "Its contract: at least %s of reads no staler than "
                         "%s, at most %s of reads stale.  ", q, ms, frac);
        }
        fputs("Verdict: ", out);
        size_t njudged = nmet + nviol + nundem;
        if (njudged == 0)
            fputs("not judged", out);
        else if (nmet == npts)
            fprintf(out, "**met** at %s %zu point%s", npts == 1 ? "its" : "all",
                    npts, npts == 1 ? "" : "s");
        else if (nviol)
            fprintf(out, "VIOLATED at %zu of %zu point%s", nviol, npts,
                    npts == 1 ? "" : "s");
        else
            fprintf(out, "not demonstrated at %zu of %zu point%s", nundem,
                    npts, npts == 1 ? "" : "s");
        if (njudged && nmet && nmet < npts)
            fprintf(out, " (met at %zu)", nmet);
        fputs(".\n\n|", out);
        for (size_t k = 0; k + 1 < fd.nkeys; k++) {
            fputc(' ', out);
            report_md_text(out, fd.key[k]);
            fputs(" |", out);
        }
        fputs(" runs | stale-read fraction (95% CI) | p99 stale age | hit "
              "ratio | DB reads/s | top cause | verdict |\n|", out);
        for (size_t k = 0; k + 1 < fd.nkeys; k++) fputs("---|", out);
        fputs("---:|---:|---:|---:|---:|---|---|\n", out);
        for (size_t p = 0; p < npts; p++) {
            size_t i = p * (size_t)nf + (size_t)f;
            const plot_point *pt = &fd.point[i];
            fputc('|', out);
            for (size_t k = 0; k + 1 < fd.nkeys; k++) {
                fputc(' ', out);
                report_md_text(out, pt->value[k]);
                fputs(" |", out);
            }
            char m[32], h[32], hit[32], dbr[32], cause[96];
            cell age;
            memset(&age, 0, sizeof age);
            plot_fmt_sig(m, sizeof m, pt->mean[M_STALE_READ_FRACTION], 2);
            fprintf(out, " %u%s | %s", pt->nruns,
                    pt->complete ? "" : " (incomplete)", m);
            if (isfinite(pt->ci95[M_STALE_READ_FRACTION]))
                fprintf(out, " ± %s",
                        plot_fmt_sig(h, sizeof h,
                                     pt->ci95[M_STALE_READ_FRACTION], 1));
            duration_cell(&age, &pt->dist[D_STALE_AGE], 0.99,
                          sim_hist_n(&pt->dist[D_STALE_AGE]) == 0);
            plot_fmt_percent(hit, sizeof hit, pt->mean[M_HIT_RATIO]);
            plot_fmt_sig(dbr, sizeof dbr, pt->mean[M_DB_READS_PER_S], 3);
            top_cause(cause, sizeof cause, pt->causes);
            fprintf(out, " | %s | %s | %s | %s | ", age.text, hit, dbr, cause);
            if (v[i].judged)
                fprintf(out, "%s%s%s |\n",
                        v[i].state == CONTRACT_MET ? "**" : "",
                        state_word(v[i].state),
                        v[i].state == CONTRACT_MET ? "**" : "");
            else {
                report_md_text(out, v[i].why);
                fputs(" |\n", out);
            }
        }
        fputc('\n', out);
    }
    free(v);
    plot_data_fini(&fd);
    return EXIT_OK;
}

/* ---- the command ------------------------------------------------------------------- */

/* Writes `doc` (len bytes) to `output` all or nothing (sim/fileio.h).
 * Returns an exit code. */
static int write_document(const char *output, const char *doc, size_t len) {
    char why[256];
    if (sim_file_write_atomic(output, doc, len, why, sizeof why) != 0)
        return cli_fail(EXIT_RUNTIME, "-o '%s': cannot write: %s", output,
                        why);
    return EXIT_OK;
}

/* Before any work: `output` can be created (a temporary file beside it is
 * made and removed) and is not a directory.  Returns an exit code naming
 * the argument. */
static int check_output(const char *output) {
    char why[256];
    struct stat st;
    if (stat(output, &st) == 0 && !S_ISREG(st.st_mode))
        return cli_fail(EXIT_INPUT, "-o '%s': %s", output,
                        S_ISDIR(st.st_mode) ? "is a directory, not a file"
                                            : "is not a regular file");
    char *tmp = sim_file_temp_beside(output, why, sizeof why);
    if (!tmp)
        return cli_fail(EXIT_RUNTIME, "-o '%s': cannot write: %s", output,
                        why);
    unlink(tmp);
    free(tmp);
    return EXIT_OK;
}

/* The review of a database that holds design answers and no sweep. */
static int report_studies_only(const char *db_path, const char *output,
                               const char *dir, const char *prefix,
                               const char *size) {
    char *doc = NULL, *repro = NULL;
    size_t doclen = 0, reprolen = 0;
    FILE *out = open_memstream(&doc, &doclen);
    FILE *rf = open_memstream(&repro, &reprolen);
    int code = EXIT_RUNTIME;
    if (!out || !rf) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    fputs("# Design review: ", out);
    report_md_text(out, base_name(db_path));
    fputs("\n\nGenerated by `stalesim report` from `", out);
    report_md_text(out, db_path);
    fputs("`, which holds design answers and no sweep.\n\n", out);
    recommend_target rt = {db_path, dir, prefix, size, out, rf};
    code = recommend_section(&rt);
    if (code != EXIT_OK) goto out;
    code = EXIT_RUNTIME;
    if (fclose(rf) != 0) {
        rf = NULL;
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    rf = NULL;
    fprintf(out, "## Reproduce\n\n```sh\n%s", repro);
    const char *rw[] = {"report", db_path, "-o", output};
    report_repro_line(out, rw, sizeof rw / sizeof rw[0]);
    fputs("```\n", out);
    if (fclose(out) != 0) {
        out = NULL;
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    out = NULL;
    code = write_document(output, doc, doclen);
    if (code == EXIT_OK) {
        printf("%s: design review of the answers stored in %s\n", output,
               db_path);
        code = fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
    }
out:
    if (out) fclose(out);
    if (rf) fclose(rf);
    free(doc);
    free(repro);
    return code;
}

int cmd_report(int argc, char **argv) {
    const char *db_path = NULL, *output = NULL, *size = NULL;
    unsigned long long exp_id = 0;
    plot_data data;
    verdict *v = NULL;
    char *doc = NULL, *repro = NULL, *dir = NULL, *prefix = NULL;
    size_t doclen = 0, reprolen = 0;
    FILE *out = NULL, *rf = NULL;
    char err[2048];
    int code = EXIT_INPUT;
    memset(&data, 0, sizeof data);
    cli_args args;
    cli_args_init(&args, &cmd_report_spec, argc, argv, NULL);
    const char *val;
    for (int id; (id = cli_next(&args, &val)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_report_spec);
            code = EXIT_OK;
            goto out;
        }
        if (id == CLI_ERROR) {
            code = cli_error_code(&args);
            goto out;
        }
        if (id == REPORT_OUTPUT) {
            output = val;
        } else if (id == REPORT_SIZE) {
            size = val;
        } else if (id == REPORT_EXPERIMENT) {
            char *end;
            errno = 0;
            exp_id = strtoull(val, &end, 10);
            if (!*val || *end || errno || val[0] == '-' || exp_id == 0 ||
                exp_id > INT64_MAX) {
                cli_fail(EXIT_INPUT, "--experiment: '%s' is not an experiment "
                         "id (a whole number from 1)", val);
                goto out;
            }
        } else if (db_path) {
            cli_fail_extra(&cmd_report_spec, "database", db_path, val);
            goto out;
        } else {
            db_path = val;
        }
    }
    if (!db_path) {
        cli_fail(EXIT_INPUT, "report: which database? (stalesim report DB -o "
                 "review.md)");
        goto out;
    }
    if (!output || !*output || strcmp(output, "-") == 0) {
        cli_fail(EXIT_INPUT, "report: -o FILE is required (the plots are "
                 "written beside it), e.g. -o review.md");
        goto out;
    }
    gp_target check;
    if (size && gp_target_parse(&check, "x.png", size, 0, err, sizeof err) !=
                    GP_OK) {
        cli_fail(EXIT_INPUT, "%s", err);
        goto out;
    }
    /* The document's directory and base name (review.md -> review). */
    const char *slash = strrchr(output, '/');
    size_t dlen = slash ? (size_t)(slash - output) + 1 : 0;
    const char *base = output + dlen;
    size_t blen = strlen(base);
    if (blen > 3 && strcmp(base + blen - 3, ".md") == 0) blen -= 3;
    dir = malloc(dlen + 1);
    prefix = malloc(blen + 1);
    if (!dir || !prefix) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    memcpy(dir, output, dlen);
    dir[dlen] = '\0';
    memcpy(prefix, base, blen);
    prefix[blen] = '\0';
    if (blen == 0) {
        cli_fail(EXIT_INPUT, "-o '%s': needs a file name", output);
        goto out;
    }
    /* The plots are drawn beside it, and their names reach gnuplot. */
    if (shell_has_control(output)) {
        cli_fail(EXIT_INPUT, "-o: the file name contains a control "
                 "character: refused");
        goto out;
    }
    struct stat st;
    if (dlen && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        code = cli_fail(EXIT_RUNTIME, "-o '%s': no directory '%s'", output,
                        dir);
        goto out;
    }
    code = check_output(output);
    if (code != EXIT_OK) goto out;
    code = EXIT_INPUT;

    int rc = plot_data_load(&data, db_path, (int64_t)exp_id, err, sizeof err);
    /* A database of design answers only (tune, sensitivity): a review of
     * just its Recommendation. */
    int studies = rc == PLOT_EINPUT && exp_id == 0 ? recommend_count(db_path)
                                                    : 0;
    if (studies > 0) {
        code = report_studies_only(db_path, output, dir, prefix, size);
        goto out;
    }
    if (rc != PLOT_OK) {
        code = cli_fail(rc == PLOT_EINPUT ? EXIT_INPUT : EXIT_RUNTIME, "%s",
                        err);
        goto out;
    }
    if (!data.from_db) {
        cli_fail(EXIT_INPUT, "report: %s is a single run; a report reads a "
                 "sweep database (stalesim sweep ... --db FILE)", db_path);
        goto out;
    }
    if (data.npoints == 0) {
        cli_fail(EXIT_INPUT, "report: experiment %lld has no point",
                 (long long)data.experiment);
        goto out;
    }
    v = calloc(data.npoints, sizeof *v);
    out = open_memstream(&doc, &doclen);
    rf = open_memstream(&repro, &reprolen);
    if (!v || !out || !rf) {
        code = cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    section_head(out, &data, db_path);
    section_scenario(out, &data);
    section_contract(out, &data, v);
    recommend_target rt = {db_path, dir, prefix, size, out, rf};
    code = recommend_section(&rt);
    if (code != EXIT_OK) goto out;
    code = EXIT_INPUT;
    section_table(out, &data);
    if (data.nfamilies > 0) {
        code = section_families(out, &data);
        if (code != EXIT_OK) goto out;
        code = EXIT_INPUT;
    }
    report_ctx ctx = {&data, db_path, dir, prefix, size, out, rf};
    code = report_section_plots(&ctx);
    if (code == EXIT_OK) code = report_section_timeline(&ctx);
    if (code != EXIT_OK) goto out;
    code = EXIT_RUNTIME;
    if (fclose(rf) != 0) {
        rf = NULL;
        cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    rf = NULL;
    fputs("## Reproduce\n\n```sh\n", out);
    /* The stored sweep command comes from the database: shown as a command
     * only when it is the plain quoted line a sweep stores. */
    if (shell_line_is_safe(data.command_line))
        fprintf(out, "%s\n", data.command_line);
    else
        fputs("# (the sweep's stored command line is not shown: it is not "
              "a plain quoted shell line)\n", out);
    const char *rw[] = {"report", db_path, "-o", output};
    report_repro_line(out, rw, sizeof rw / sizeof rw[0]);
    fprintf(out, "%s```\n", repro);
    if (fclose(out) != 0) {
        out = NULL;
        cli_fail(EXIT_RUNTIME, "out of memory");
        goto out;
    }
    out = NULL;

    /* The document, atomically. */
    code = write_document(output, doc, doclen);
    if (code != EXIT_OK) goto out;
    code = EXIT_RUNTIME;
    printf("%s: design review of experiment %lld (%zu point%s) with its plots "
           "beside it (%s%s-*.png)\n", output, (long long)data.experiment,
           data.npoints, data.npoints == 1 ? "" : "s", dir, prefix);
    code = fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
out:
    if (out) fclose(out);
    if (rf) fclose(rf);
    free(doc);
    free(repro);
    free(dir);
    free(prefix);
    free(v);
    plot_data_fini(&data);
    return code;
}
