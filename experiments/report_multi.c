/* Several experiments of one database side by side in `stalesim report`
 * (see report.h): a baseline (the first experiment named) against
 * mitigations or other designs, each swept on its own.
 *
 * The table has one row per point of every experiment.  "vs baseline" is
 * the row's mean stale-read fraction over that of the baseline's matching
 * point: the baseline is of the same scenario text (other --set overrides,
 * e.g. a mitigation) and the point has the same pattern, the same TTL and
 * the same values of the keys both experiments vary; "-" when the baseline
 * is another scenario or has no such point, or several, or no stale read
 * there. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli.h"
#include "experiments/report.h"
#include "plots/format.h"

enum { X_STALE, X_AGE_P99, X_HIT, X_DB, X_CACHE, X_READ_P99, XCOL };

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Do point p of a and point q of b agree on pattern, TTL and every key both
 * vary? */
static int same_design(const plot_data *a, size_t p, const plot_data *b,
                       size_t q) {
    const plot_point *x = &a->point[p], *y = &b->point[q];
    if (strcmp(x->pattern, y->pattern) != 0) return 0;
    if (!(x->ttl_s == y->ttl_s || (isnan(x->ttl_s) && isnan(y->ttl_s))))
        return 0;
    for (size_t k = 0; k < a->nkeys; k++) {
        int j = plot_data_key(b, a->key[k]);
        if (j < 0) continue;
        if (strcmp(x->value[k], y->value[j]) != 0 &&
            !(plot_value_number(x->value[k]) ==
              plot_value_number(y->value[j])))
            return 0;
    }
    return 1;
}

/* "×0.12" against the baseline's matching point, or "-". */
static void vs_baseline(char *buf, size_t len, const plot_data *base,
                        const plot_data *e, size_t p) {
    long match = -1;
    if (strcmp(base->scenario_text, e->scenario_text) != 0) {
        snprintf(buf, len, "-");
        return;
    }
    for (size_t q = 0; q < base->npoints; q++) {
        if (!same_design(e, p, base, q)) continue;
        if (match >= 0) {
            snprintf(buf, len, "-");
            return;
        }
        match = (long)q;
    }
    double b = match >= 0 ? base->point[match].mean[WORLD_METRIC_STALE_READ_FRACTION] : NAN;
    double y = e->point[p].mean[WORLD_METRIC_STALE_READ_FRACTION];
    if (!(b > 0) || !isfinite(y)) {
        snprintf(buf, len, "-");
        return;
    }
    char r[32];
    snprintf(buf, len, "×%s", plot_fmt_sig(r, sizeof r, y / b, 2));
}

static void row_cells(const plot_point *pt, report_cell *c) {
    report_mean_ci(c[X_STALE].text, sizeof c[X_STALE].text,
                   pt->mean[WORLD_METRIC_STALE_READ_FRACTION],
                   pt->ci95[WORLD_METRIC_STALE_READ_FRACTION], 2);
    c[X_STALE].key = pt->mean[WORLD_METRIC_STALE_READ_FRACTION];
    report_duration_cell(&c[X_AGE_P99], &pt->dist[WORLD_DIST_STALE_AGE], 0.99,
                         sim_hist_n(&pt->dist[WORLD_DIST_STALE_AGE]) == 0);
    plot_fmt_percent(c[X_HIT].text, sizeof c[X_HIT].text,
                     pt->mean[WORLD_METRIC_HIT_RATIO]);
    c[X_HIT].key = pt->mean[WORLD_METRIC_HIT_RATIO];
    plot_fmt_sig(c[X_DB].text, sizeof c[X_DB].text,
                 pt->mean[WORLD_METRIC_DB_READS_PER_S], 3);
    c[X_DB].key = pt->mean[WORLD_METRIC_DB_READS_PER_S];
    plot_fmt_sig(c[X_CACHE].text, sizeof c[X_CACHE].text,
                 pt->mean[WORLD_METRIC_CACHE_OPS_PER_S], 3);
    c[X_CACHE].key = pt->mean[WORLD_METRIC_CACHE_OPS_PER_S];
    report_duration_cell(&c[X_READ_P99], &pt->dist[WORLD_DIST_READ_LATENCY], 0.99, 1);
    if (sim_hist_n(&pt->dist[WORLD_DIST_READ_LATENCY]) == 0) c[X_READ_P99].key = NAN;
}

/* The list of the experiments: what each ran. */
static void experiment_list(FILE *out, const plot_data *exps, size_t n) {
    for (size_t e = 0; e < n; e++) {
        const plot_data *d = &exps[e];
        uint64_t runs = 0;
        for (size_t p = 0; p < d->npoints; p++) runs += d->point[p].nruns;
        fprintf(out, "- **Experiment %lld**%s: `", (long long)d->experiment,
                e == 0 ? " (the baseline)" : "");
        report_md_text(out, base_name(d->scenario_file));
        fputc('`', out);
        const char *o = d->overrides;
        while (*o) {
            size_t len = strcspn(o, "\n");
            if (len) {
                fputs(", `--set ", out);
                fwrite(o, 1, len, out);
                fputc('`', out);
            }
            o += len;
            if (*o) o++;
        }
        for (size_t k = 0; k < d->nkeys; k++)
            fprintf(out, "%s `%s`", k ? "," : ", varying", d->key[k]);
        fprintf(out, "; %zu point%s, %llu run%s%s.\n", d->npoints,
                d->npoints == 1 ? "" : "s", (unsigned long long)runs,
                runs == 1 ? "" : "s", d->finished_at[0] ? "" : ", not finished");
    }
    fputc('\n', out);
}

/* The point's label with the full key names (experiments may vary keys
 * whose last parts are alike): "cache-aside, cache.ttl=5s", its pattern
 * first also when the experiment did not vary it (the baseline may have). */
static void point_label(const plot_data *d, size_t p, char *buf, size_t len) {
    const plot_point *pt = &d->point[p];
    size_t at = 0;
    buf[0] = '\0';
    if (plot_data_key(d, "cache.pattern") < 0 && pt->pattern[0])
        snprintf(buf, len, "%s", pt->pattern);
    for (size_t k = 0; k < d->nkeys; k++) {
        at = strlen(buf);
        int pattern = strcmp(d->key[k], "cache.pattern") == 0;
        snprintf(buf + at, len - at, "%s%s%s%s", at ? ", " : "",
                 pattern ? "" : d->key[k], pattern ? "" : "=", pt->value[k]);
    }
    if (!buf[0]) snprintf(buf, len, "(the one point)");
}

static void table_head(FILE *out) {
    fputs("| experiment | point | runs | stale-read fraction (95% CI) | vs "
          "baseline | p99 stale age | hit ratio | DB reads/s | cache ops/s | "
          "read p99 | top cause over the bound | verdict |\n|---|---|---:|---:|"
          "---:|---:|---:|---:|---:|---:|---|---|\n", out);
}

/* One row per point of every experiment; cells[r * XCOL + c] and the
 * verdicts v[r] by row r. */
static void table_rows(FILE *out, const plot_data *exps, size_t n,
                       const report_cell *cells, const report_verdict *v) {
    static const int better[XCOL] = {-1, -1, +1, -1, -1, -1};
    size_t nrows = 0;
    for (size_t e = 0; e < n; e++) nrows += exps[e].npoints;
    int best[XCOL];
    report_best(cells, nrows, XCOL, better, best);
    size_t r = 0;
    for (size_t e = 0; e < n; e++)
        for (size_t p = 0; p < exps[e].npoints; p++, r++) {
            const plot_point *pt = &exps[e].point[p];
            char label[512], vs[32];
            point_label(&exps[e], p, label, sizeof label);
            if (e == 0) snprintf(vs, sizeof vs, "baseline");
            else vs_baseline(vs, sizeof vs, &exps[0], &exps[e], p);
            fprintf(out, "| %lld | ", (long long)exps[e].experiment);
            report_md_text(out, label);
            fprintf(out, " | %u%s |", pt->nruns,
                    pt->complete ? "" : " (incomplete)");
            for (int c = 0; c < XCOL; c++) {
                const report_cell *x = &cells[r * XCOL + (size_t)c];
                const report_cell *b =
                    best[c] >= 0 ? &cells[(size_t)best[c] * XCOL + (size_t)c]
                                 : NULL;
                int bold = report_is_best(x, b, c != X_STALE);
                fprintf(out, " %s%s%s |", bold ? "**" : "", x->text,
                        bold ? "**" : "");
                if (c == X_STALE) fprintf(out, " %s |", vs);
            }
            char over[96] = "not recorded";
            if (pt->over_causes_known)
                report_top_cause(over, sizeof over, pt->over_causes);
            fprintf(out, " %s | ", over);
            report_verdict_cell(out, &v[r]);
            fputs(" |\n", out);
        }
    fputc('\n', out);
}

int report_section_compared(FILE *out, const char *db_path,
                            const plot_data *exps, size_t n) {
    size_t nrows = 0;
    for (size_t e = 0; e < n; e++) nrows += exps[e].npoints;
    report_cell *cells = calloc(nrows * XCOL + 1, sizeof *cells);
    report_verdict *v = calloc(nrows + 1, sizeof *v);
    if (!cells || !v) {
        free(cells);
        free(v);
        return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    }
    size_t r = 0;
    for (size_t e = 0; e < n; e++) {
        report_contract ct = {0, 0, 0, 0};
        for (size_t p = 0; p < exps[e].npoints; p++, r++) {
            row_cells(&exps[e].point[p], cells + r * XCOL);
            report_judge_point(&exps[e], p, &v[r], &ct);
        }
    }
    fputs("# Design review: ", out);
    report_md_text(out, base_name(db_path));
    fputs("\n\nGenerated by `stalesim report` from experiments ", out);
    for (size_t e = 0; e < n; e++)
        fprintf(out, "%s%lld", e == 0 ? "" : e + 1 == n ? " and " : ", ",
                (long long)exps[e].experiment);
    fputs(" of `", out);
    report_md_text(out, db_path);
    fputs("`: the first is the baseline the others are compared with; each "
          "has its own section below (scenario, contract verdicts, tables, "
          "plots).\n\n", out);
    experiment_list(out, exps, n);
    fputs("## Experiments compared\n\nOne row per point of each experiment: "
          "means over its replications (± the 95% Student-t half-width), "
          "durations from the pooled histograms, the best value of each "
          "column in bold (ties included).  *vs baseline* is the stale-read "
          "fraction over that of the baseline's point with the same pattern, "
          "TTL and values of the keys both vary, when the two experiments "
          "ran the same scenario text (- otherwise, or when there is no "
          "single such point or it had no stale read); the top cause over the bound is "
          "what caused most reads staler than the contract's bound; the "
          "verdict is each experiment's own `[contract]`, judged as "
          "`stalesim check` does.\n\n", out);
    table_head(out);
    table_rows(out, exps, n, cells, v);
    free(cells);
    free(v);
    return CLI_EXIT_OK;
}
