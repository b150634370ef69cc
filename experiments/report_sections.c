/* One experiment's text sections in `stalesim report` (see report.h): what
 * was run, the stored scenario, the freshness-contract verdict of every
 * point and the comparison table; and the helpers the other report files
 * share (Markdown text, cells, verdicts).
 *
 * The verdict is `stalesim check`'s rule (experiments/contract.h) applied to
 * the stored runs of each point: no replication is rerun. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/report.h"
#include "models/oracle.h"
#include "plots/format.h"

/* ---- Markdown and cells ------------------------------------------------------ */

void report_md_text(FILE *out, const char *t) {
    for (; *t; t++) {
        if (strchr("|*_`[]<>\\", *t)) fputc('\\', out);
        fputc(*t, out);
    }
}

void report_heading(const report_ctx *c, int level) {
    for (int i = 0; i < level + c->depth; i++) fputc('#', c->out);
    fputc(' ', c->out);
}

const char *report_exp_arg(char *buf, size_t len, const plot_data *d) {
    snprintf(buf, len, "%lld", (long long)d->experiment);
    return buf;
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

void report_duration_cell(report_cell *c, const sim_hist *h, double q,
                          int none_best) {
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

void report_mean_ci(char *buf, size_t len, double mean, double ci,
                    int digits) {
    char m[32], h[32];
    plot_fmt_sig(m, sizeof m, mean, digits);
    if (isfinite(ci))
        snprintf(buf, len, "%s ± %s", m, plot_fmt_sig(h, sizeof h, ci, 1));
    else
        snprintf(buf, len, "%s", m);
}

void report_top_cause(char *buf, size_t len, const uint64_t *causes) {
    uint64_t total = 0, top = 0;
    int tc = -1;
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) {
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

void report_best(const report_cell *cells, size_t nrows, int ncol,
                 const int *better, int *best) {
    for (int c = 0; c < ncol; c++) {
        best[c] = -1;
        for (size_t p = 0; p < nrows; p++) {
            double k = cells[p * (size_t)ncol + (size_t)c].key;
            if (isnan(k)) continue;
            double b = best[c] >= 0
                           ? cells[(size_t)best[c] * (size_t)ncol + (size_t)c].key
                           : NAN;
            if (best[c] < 0 || (better[c] < 0 ? k < b : k > b)) best[c] = (int)p;
        }
        if (best[c] >= 0 &&
            isinf(cells[(size_t)best[c] * (size_t)ncol + (size_t)c].key))
            best[c] = -1;
    }
}

int report_is_best(const report_cell *x, const report_cell *b, int by_text) {
    return b && isfinite(x->key) &&
           (x->key == b->key || (by_text && strcmp(x->text, b->text) == 0));
}

/* ---- the verdicts -------------------------------------------------------------- */

/* The clauses of one point from its runs' values x[k][0..n[k]-1]. */
static void judge_clauses(report_verdict *v, const scenario *sc,
                          double *const x[2], const size_t n[2],
                          double reads, double boost) {
    if (n[0] < 2 || n[1] < 2) {
        size_t least = n[0] < n[1] ? n[0] : n[1];
        snprintf(v->why, sizeof v->why, "not judged: %zu replication%s (2 "
                 "needed)", least, least == 1 ? "" : "s");
        return;
    }
    /* sweep --rare: check --rare's floor, divided by the boost */
    double floor = contract_resolution(reads) / (boost > 1 ? boost : 1);
    v->cl[0] = contract_judge(x[0], n[0], 1 - sc->contract.quantile, floor);
    v->cl[1] = contract_judge(x[1], n[1], sc->contract.max_stale_fraction,
                              floor);
    v->judged = 1;
    v->state = v->cl[0].state == CONTRACT_VIOLATED ||
                       v->cl[1].state == CONTRACT_VIOLATED
                   ? CONTRACT_VIOLATED
               : v->cl[0].state == CONTRACT_MET && v->cl[1].state == CONTRACT_MET
                   ? CONTRACT_MET
                   : CONTRACT_UNDEMONSTRATED;
}

void report_judge_point(const plot_data *d, size_t p, report_verdict *v,
                        report_contract *ct) {
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
    static const int metric[2] = {WORLD_METRIC_OVER_MAX_STALENESS_FRACTION,
                                  WORLD_METRIC_STALE_READ_FRACTION};
    size_t n[2] = {0, 0};
    double reads = 0;
    for (uint32_t r = 0; x[0] && x[1] && r < pt->nruns; r++) {
        for (int k = 0; k < 2; k++)
            if (!isnan(pt->run[metric[k]][r])) x[k][n[k]++] = pt->run[metric[k]][r];
        if (!isnan(pt->run[WORLD_METRIC_READS][r])) reads += pt->run[WORLD_METRIC_READS][r];
    }
    if (!x[0] || !x[1])
        snprintf(v->why, sizeof v->why, "not judged: out of memory");
    else
        judge_clauses(v, &sc, x, n, reads, pt->rare_boost);
    free(x[0]);
    free(x[1]);
    scenario_fini(&sc);
}

const char *report_state_word(contract_state s) {
    switch (s) {
    case CONTRACT_MET: return "met";
    case CONTRACT_UNDEMONSTRATED: return "not demonstrated";
    case CONTRACT_VIOLATED: return "VIOLATED";
    }
    return "?";
}

void report_verdict_cell(FILE *out, const report_verdict *v) {
    if (!v->judged) {
        report_md_text(out, v->why);
        return;
    }
    int met = v->state == CONTRACT_MET;
    fprintf(out, "%s%s%s", met ? "**" : "", report_state_word(v->state),
            met ? "**" : "");
}

/* ---- head and scenario ------------------------------------------------------------ */

/* Under the heading of a sweep --rare experiment: what is weighted, the
 * boosts, and the effective sample sizes of its points. */
static void report_rare_note(const report_ctx *c) {
    const plot_data *d = c->d;
    if (!d->rare || !d->rare[0]) return;
    double blo = INFINITY, bhi = 0, elo = INFINITY, ehi = 0;
    uint64_t faults = 0, overlaps = 0;
    for (size_t p = 0; p < d->npoints; p++) {
        const plot_point *pt = &d->point[p];
        if (!(pt->rare_boost > 0)) continue;
        double ess = pt->rare_w2 > 0 ? pt->rare_w * pt->rare_w / pt->rare_w2
                                     : 0;
        if (pt->rare_boost < blo) blo = pt->rare_boost;
        if (pt->rare_boost > bhi) bhi = pt->rare_boost;
        if (ess < elo) elo = ess;
        if (ess > ehi) ehi = ess;
        faults += pt->rare_faults;
        overlaps += pt->rare_overlaps;
    }
    FILE *out = c->out;
    fprintf(out, "**Rare-event estimation** (`sweep %s%s`): the stale "
                 "fractions, their bounds and the verdicts are "
                 "importance-sampling estimates at the true fault rates "
                 "(each floor divided by the boost, as `check --rare` "
                 "does); the counts, causes and distributions are those of "
                 "the boosted runs (docs/rare-events.md).",
            strcmp(d->rare, "auto") == 0 ? "--rare" : "--boost ",
            strcmp(d->rare, "auto") == 0 ? "" : d->rare);
    if (bhi > 0) {
        fprintf(out, " Boost x%.4g", blo);
        if (bhi > blo) fprintf(out, " to x%.4g", bhi);
        fprintf(out, "; %llu boosted faults and %llu overlaps over all "
                     "points; effective sample size of the stale reads' "
                     "weights %.4g",
                (unsigned long long)faults, (unsigned long long)overlaps,
                elo);
        if (ehi > elo) fprintf(out, " to %.4g per point", ehi);
        fputc('.', out);
    }
    fputs("\n\n", out);
}

void report_section_head(const report_ctx *c) {
    FILE *out = c->out;
    const plot_data *d = c->d;
    if (c->depth == 0) {
        fputs("# Design review: ", out);
        report_md_text(out, base_name(d->scenario_file));
        fprintf(out, "\n\nGenerated by `stalesim report` from experiment %lld "
                     "of `", (long long)d->experiment);
    } else {
        fprintf(out, "## Experiment %lld: ", (long long)d->experiment);
        report_md_text(out, base_name(d->scenario_file));
        fprintf(out, "\n\nExperiment %lld of `", (long long)d->experiment);
    }
    uint64_t runs = 0;
    size_t incomplete = 0;
    for (size_t p = 0; p < d->npoints; p++) {
        runs += d->point[p].nruns;
        if (!d->point[p].complete) incomplete++;
    }
    report_md_text(out, c->db_path);
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
    report_rare_note(c);
}

/* ", varying `k` (v1, v2) and `k2` (...)": each key's distinct values. */
static void varied_keys(FILE *out, const plot_data *d) {
    fputs(", varying", out);
    for (size_t k = 0; k < d->nkeys; k++) {
        fprintf(out, "%s `%s` (", k ? (k + 1 == d->nkeys ? " and" : ",") : "",
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

void report_section_scenario(const report_ctx *c) {
    FILE *out = c->out;
    const plot_data *d = c->d;
    report_heading(c, 2);
    fputs("Scenario\n\n`", out);
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
    if (d->nkeys) varied_keys(out, d);
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

/* ---- the contract ---------------------------------------------------------------- */

/* One group's summary along x: "meets it up to TTL 30s (of 5s, 30s, 60s)";
 * met at an x only when every point there is met. */
static void summary_along_x(FILE *out, const plot_data *d,
                            const plot_group *gr, int xk,
                            const report_verdict *v) {
    size_t nx = 0, nmet = 0, prefix = 0, broken = 0;
    char met_list[512] = "", all_list[512] = "";
    for (size_t i = 0; i < gr->n;) {
        const char *xt = d->point[gr->point[i]].value[xk];
        size_t j = i;
        int met = 1;
        while (j < gr->n && strcmp(d->point[gr->point[j]].value[xk], xt) == 0) {
            const report_verdict *w = &v[gr->point[j]];
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
        fprintf(out, "meets it at no TTL tried (%s)", all_list);
    else if (nmet == nx)
        fprintf(out, "meets it at every TTL tried (%s)", all_list);
    else if (prefix == nmet)
        fprintf(out, "meets it up to TTL %s (of %s)", last, all_list);
    else
        fprintf(out, "meets it at TTL %s only (of %s)", met_list, all_list);
}

/* The verdict summary: per group (pattern), where along x (TTL) the
 * contract is met. */
static void verdict_summary(FILE *out, const plot_data *d,
                            const report_verdict *v) {
    const char *xkey = plot_data_key(d, "cache.ttl") >= 0 ? "cache.ttl" : NULL;
    plot_selection sel;
    char err[256];
    if (plot_select(&sel, d, NULL, 0, NULL, xkey, err, sizeof err) != PLOT_OK)
        return;
    int any = 0;
    for (size_t g = 0; g < sel.ngroups; g++) {
        const plot_group *gr = &sel.group[g];
        int judged = 0;
        for (size_t i = 0; i < gr->n; i++) judged |= v[gr->point[i]].judged;
        if (!judged) continue;
        fputs(any ? "; " : "", out);
        any = 1;
        if (xkey) {
            summary_along_x(out, d, gr, plot_data_key(d, xkey), v);
            continue;
        }
        const report_verdict *w = &v[gr->point[0]];
        fputs("**", out);
        report_md_text(out, gr->label);
        fprintf(out, "**: %s", w->judged ? report_state_word(w->state)
                                          : "not judged");
    }
    if (any) fputs(".\n\n", out);
    plot_selection_fini(&sel);
}

/* The table of verdicts, one row per point. */
static void verdict_table(FILE *out, const plot_data *d,
                          const report_verdict *v, const char *ms) {
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
        fputc(' ', out);
        report_verdict_cell(out, &v[p]);
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

void report_section_contract(const report_ctx *c, report_verdict *v) {
    FILE *out = c->out;
    const plot_data *d = c->d;
    report_contract ct = {0, 0, 0, 0};
    for (size_t p = 0; p < d->npoints; p++)
        report_judge_point(d, p, &v[p], &ct);
    report_heading(c, 2);
    fputs("Freshness contract\n\n", out);
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
    verdict_table(out, d, v, ms);
}

/* ---- the comparison table ----------------------------------------------------------- */

enum { C_STALE, C_AGE_P99, C_AGE_MAX, C_WIN_P99, C_HIT, C_DB, NCOL };

static void table_cells(const plot_point *pt, report_cell *c) {
    report_mean_ci(c[C_STALE].text, sizeof c[C_STALE].text,
                   pt->mean[WORLD_METRIC_STALE_READ_FRACTION],
                   pt->ci95[WORLD_METRIC_STALE_READ_FRACTION], 2);
    c[C_STALE].key = pt->mean[WORLD_METRIC_STALE_READ_FRACTION];
    int no_stale = sim_hist_n(&pt->dist[WORLD_DIST_STALE_AGE]) == 0;
    int open = pt->mean[WORLD_METRIC_CENSORED_WINDOWS] > 0;
    report_duration_cell(&c[C_AGE_P99], &pt->dist[WORLD_DIST_STALE_AGE], 0.99,
                         no_stale);
    report_duration_cell(&c[C_AGE_MAX], &pt->dist[WORLD_DIST_STALE_AGE], -1, no_stale);
    report_duration_cell(&c[C_WIN_P99], &pt->dist[WORLD_DIST_STALE_WINDOW], 0.99, !open);
    plot_fmt_percent(c[C_HIT].text, sizeof c[C_HIT].text,
                     pt->mean[WORLD_METRIC_HIT_RATIO]);
    c[C_HIT].key = pt->mean[WORLD_METRIC_HIT_RATIO];
    plot_fmt_sig(c[C_DB].text, sizeof c[C_DB].text,
                 pt->mean[WORLD_METRIC_DB_READS_PER_S], 3);
    c[C_DB].key = pt->mean[WORLD_METRIC_DB_READS_PER_S];
}

void report_section_table(const report_ctx *c) {
    static const char *const title[NCOL] = {
        "stale-read fraction (95% CI)", "p99 stale age", "max stale age",
        "p99 stale window", "hit ratio", "DB reads/s"};
    static const int better[NCOL] = {-1, -1, -1, -1, +1, -1};
    FILE *out = c->out;
    const plot_data *d = c->d;
    report_cell *cells = calloc(d->npoints * NCOL + 1, sizeof *cells);
    if (!cells) return;
    for (size_t p = 0; p < d->npoints; p++)
        table_cells(&d->point[p], cells + p * NCOL);
    report_heading(c, 2);
    fputs("Comparison\n\nOne row per point: metrics are means over its "
          "replications (± the 95% Student-t half-width), durations from the "
          "pooled histograms; the best value of each column is in bold (ties "
          "included).\n\n|", out);
    for (size_t k = 0; k < d->nkeys; k++) {
        fputc(' ', out);
        report_md_text(out, d->key[k]);
        fputs(" |", out);
    }
    fputs(" runs |", out);
    for (int col = 0; col < NCOL; col++) fprintf(out, " %s |", title[col]);
    fputs(" top cause |\n|", out);
    for (size_t k = 0; k < d->nkeys; k++) fputs("---|", out);
    fputs("---:|", out);
    for (int col = 0; col < NCOL; col++) fputs("---:|", out);
    fputs("---|\n", out);
    int best[NCOL];
    report_best(cells, d->npoints, NCOL, better, best);
    for (size_t p = 0; p < d->npoints; p++) {
        const plot_point *pt = &d->point[p];
        fputc('|', out);
        for (size_t k = 0; k < d->nkeys; k++) {
            fputc(' ', out);
            report_md_text(out, pt->value[k]);
            fputs(" |", out);
        }
        fprintf(out, " %u%s |", pt->nruns, pt->complete ? "" : " (incomplete)");
        for (int col = 0; col < NCOL; col++) {
            const report_cell *x = &cells[p * NCOL + (size_t)col];
            const report_cell *b =
                best[col] >= 0 ? &cells[(size_t)best[col] * NCOL + (size_t)col]
                               : NULL;
            int bold = report_is_best(x, b, col != C_STALE);
            fprintf(out, " %s%s%s |", bold ? "**" : "", x->text,
                    bold ? "**" : "");
        }
        char cause[96];
        report_top_cause(cause, sizeof cause, pt->causes);
        fprintf(out, " %s |\n", cause);
    }
    fputc('\n', out);
    free(cells);
}
