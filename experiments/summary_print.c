/* Printing a sweep's summary (experiments/summary.h): text, CSV (one row
 * per group, wide), JSON and Markdown (one row per group). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "experiments/output.h"
#include "experiments/summary.h"
#include "experiments/version.h"

static double metric_mean(const summary_group *g, int m) {
    return g->n[m] ? gsl_stats_mean(g->value[m], 1, g->n[m]) : NAN;
}

static double metric_ci(const summary_group *g, int m) {
    return sim_ci95(g->value[m], g->n[m]);
}

static double dist_q(const summary_group *g, int d, int q) {
    return sim_hist_quantile(&g->dist[d], output_quantiles[q]) / 1e9;
}

static double dist_max(const summary_group *g, int d) {
    return g->dist[d].tally.n ? g->dist[d].tally.max / 1e9 : NAN;
}

static double dist_mean(const summary_group *g, int d) {
    return g->dist[d].tally.n ? g->dist[d].tally.mean / 1e9 : NAN;
}

static const char *group_value(const summary *s, const summary_group *g, size_t k) {
    if (s->by[k] == BY_FAMILY) return g->family;
    return s->e.point[g->first].value[s->by[k]];
}

static const char *key_name(const summary *s, size_t k) {
    return s->by[k] == BY_FAMILY ? "family" : s->e.key[s->by[k]];
}

/* -- sweep --rare: the importance-sampling figures (nothing is printed
 * for a plain experiment, so its output is what it was) -- */

static double group_ess(const summary_group *g) {
    return g->rare_w2 > 0 ? g->rare_w * g->rare_w / g->rare_w2 : 0;
}

/* "--rare" or "--boost B": how the experiment was boosted. */
static void rare_flag(const results_experiment *e, char *buf, size_t len) {
    if (strcmp(e->rare, "auto") == 0)
        snprintf(buf, len, "--rare");
    else
        snprintf(buf, len, "--boost %s", e->rare);
}

static void text_rare_head(FILE *out, const results_experiment *e) {
    if (!e->rare[0]) return;
    char flag[48];
    rare_flag(e, flag, sizeof flag);
    fprintf(out, "rare-event estimation (sweep %s): faults drawn at boosted "
            "probabilities; stale_read_fraction and "
            "over_max_staleness_fraction are importance-sampling estimates "
            "at the true fault rates, the counts, causes and distributions "
            "those of the boosted runs (docs/rare-events.md)\n", flag);
}

static void text_rare_group(FILE *out, const summary_group *g) {
    if (!g->rare_runs) return;
    fprintf(out, "rare-event estimation: boost x%.4g", g->rare_boost_lo);
    if (g->rare_boost_hi > g->rare_boost_lo)
        fprintf(out, " to x%.4g", g->rare_boost_hi);
    fprintf(out, ", %llu boosted faults, %llu weighted stale reads, effective "
            "sample size %.4g, %llu overlaps (%llu stale reads)\n",
            (unsigned long long)g->rare_faults,
            (unsigned long long)g->rare_weighted, group_ess(g),
            (unsigned long long)g->rare_overlaps,
            (unsigned long long)g->rare_overlap_stale);
}

static const char rare_csv_header[] =
    ",rare_boost_min,rare_boost_max,rare_ess,rare_faults,"
    "rare_weighted_stale_reads,rare_overlaps,rare_overlap_stale_reads";

static void csv_num(FILE *out, double x);

static void csv_rare_row(FILE *out, const summary_group *g) {
    csv_num(out, g->rare_runs ? g->rare_boost_lo : NAN);
    csv_num(out, g->rare_runs ? g->rare_boost_hi : NAN);
    csv_num(out, g->rare_runs ? group_ess(g) : NAN);
    fprintf(out, ",%llu,%llu,%llu,%llu", (unsigned long long)g->rare_faults,
            (unsigned long long)g->rare_weighted,
            (unsigned long long)g->rare_overlaps,
            (unsigned long long)g->rare_overlap_stale);
}

static void json_rare_group(FILE *out, const summary_group *g) {
    if (!g->rare_runs) return;
    fputs(",\n   \"rare\": {\"boost\": ", out);
    output_json_number(out, g->rare_boost_hi > g->rare_boost_lo
                                ? NAN : g->rare_boost_lo);
    fputs(", \"boost_min\": ", out);
    output_json_number(out, g->rare_boost_lo);
    fputs(", \"boost_max\": ", out);
    output_json_number(out, g->rare_boost_hi);
    fputs(", \"ess\": ", out);
    output_json_number(out, group_ess(g));
    fprintf(out, ", \"faults\": %llu, \"weighted_stale_reads\": %llu, "
            "\"overlaps\": %llu, \"overlap_stale_reads\": %llu}",
            (unsigned long long)g->rare_faults,
            (unsigned long long)g->rare_weighted,
            (unsigned long long)g->rare_overlaps,
            (unsigned long long)g->rare_overlap_stale);
}

/* -- text -- */

static void print_text(FILE *out, const summary *s) {
    const results_experiment *e = &s->e;
    fprintf(out, "experiment %lld: %s, %zu point%s, mode %s\n",
            (long long)e->id, e->scenario_file, e->npoints,
            e->npoints == 1 ? "" : "s", e->mode);
    fprintf(out, "started %s, %s; stalesim %s\n", e->started_at,
            e->finished_at[0] ? "finished" : "not finished", e->version);
    fprintf(out, "command: %s\n", e->command_line);
    text_rare_head(out, e);
    for (size_t i = 0; i < s->ngroups; i++) {
        const summary_group *g = &s->group[i];
        fputs("\n==", out);
        for (size_t k = 0; k < s->nby; k++)
            fprintf(out, " %s=%s", key_name(s, k), group_value(s, g, k));
        if (s->nby == 0) fputs(" (no varied keys)", out);
        fprintf(out, "  (%zu point%s, %llu runs%s)\n", g->points,
                g->points == 1 ? "" : "s", (unsigned long long)g->runs,
                g->incomplete ? ", incomplete" : "");
        fprintf(out, "%-30s %11s %11s %6s\n", "metric", "mean", "+-95%", "n");
        for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
            fprintf(out, "%-30s", world_metric_name((world_metric)m));
            output_text_number(out, metric_mean(g, m));
            output_text_number(out, metric_ci(g, m));
            fprintf(out, " %6zu\n", g->n[m]);
        }
        fprintf(out, "%-20s %9s %11s %11s %11s %11s %11s %11s\n",
                "distribution (s)", "n", "mean", "p50", "p90", "p99", "p999",
                "max");
        for (int d = 0; d < WORLD_DIST_COUNT; d++) {
            fprintf(out, "%-20s %9llu", world_dist_name((world_dist)d),
                    (unsigned long long)sim_hist_n(&g->dist[d]));
            output_text_number(out, dist_mean(g, d));
            for (int q = 0; q < OUTPUT_NQUANTILES; q++) output_text_number(out, dist_q(g, d, q));
            output_text_number(out, dist_max(g, d));
            fputc('\n', out);
        }
        uint64_t total = 0;
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) total += g->causes[c];
        fprintf(out, "stale reads by cause: %llu", (unsigned long long)total);
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
            if (g->causes[c])
                fprintf(out, "%s %s %llu", c ? "," : "",
                        oracle_cause_name((oracle_cause)c),
                        (unsigned long long)g->causes[c]);
        fputc('\n', out);
        text_rare_group(out, g);
    }
}

/* -- CSV: one row per group, wide -- */

static void csv_text(FILE *out, const char *t) {
    if (!strpbrk(t, ",\"\n")) {
        fputs(t, out);
        return;
    }
    fputc('"', out);
    for (; *t; t++) {
        if (*t == '"') fputc('"', out);
        fputc(*t, out);
    }
    fputc('"', out);
}

/* ",x": a field after the ones before it. */
static void csv_num(FILE *out, double x) {
    fputc(',', out);
    output_csv_number(out, x);
}

static void print_csv(FILE *out, const summary *s) {
    for (size_t k = 0; k < s->nby; k++) {
        csv_text(out, key_name(s, k));
        fputc(',', out);
    }
    fputs("points,runs", out);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        const char *n = world_metric_name((world_metric)m);
        fprintf(out, ",%s_mean,%s_ci95,%s_n", n, n, n);
    }
    for (int d = 0; d < WORLD_DIST_COUNT; d++) {
        const char *n = world_dist_name((world_dist)d);
        fprintf(out, ",%s_n,%s_mean", n, n);
        for (int q = 0; q < OUTPUT_NQUANTILES; q++)
            fprintf(out, ",%s_%s", n, output_quantile_names[q]);
        fprintf(out, ",%s_max", n);
    }
    if (s->e.rare[0]) fputs(rare_csv_header, out);
    fputc('\n', out);
    for (size_t i = 0; i < s->ngroups; i++) {
        const summary_group *g = &s->group[i];
        for (size_t k = 0; k < s->nby; k++) {
            csv_text(out, group_value(s, g, k));
            fputc(',', out);
        }
        fprintf(out, "%zu,%llu", g->points, (unsigned long long)g->runs);
        for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
            csv_num(out, metric_mean(g, m));
            csv_num(out, metric_ci(g, m));
            fprintf(out, ",%zu", g->n[m]);
        }
        for (int d = 0; d < WORLD_DIST_COUNT; d++) {
            fprintf(out, ",%llu", (unsigned long long)sim_hist_n(&g->dist[d]));
            csv_num(out, dist_mean(g, d));
            for (int q = 0; q < OUTPUT_NQUANTILES; q++) csv_num(out, dist_q(g, d, q));
            csv_num(out, dist_max(g, d));
        }
        if (s->e.rare[0]) csv_rare_row(out, g);
        fputc('\n', out);
    }
}

/* -- JSON -- */

static void print_json(FILE *out, const summary *s, const char *db_path) {
    const results_experiment *e = &s->e;
    fprintf(out, "{\"stalesim\": \"%s\", \"database\": ", STALESIM_VERSION);
    output_json_string(out, db_path);
    fprintf(out, ",\n \"experiment\": {\"id\": %lld, \"scenario_file\": ",
            (long long)e->id);
    output_json_string(out, e->scenario_file);
    fputs(", \"mode\": ", out);
    output_json_string(out, e->mode);
    fputs(", \"command_line\": ", out);
    output_json_string(out, e->command_line);
    fputs(", \"started_at\": ", out);
    output_json_string(out, e->started_at);
    fputs(", \"finished_at\": ", out);
    if (e->finished_at[0])
        output_json_string(out, e->finished_at);
    else
        fputs("null", out);
    if (e->rare[0]) {
        fputs(", \"rare\": ", out);
        output_json_string(out, e->rare);
    }
    fprintf(out, ", \"points\": %zu, \"keys\": [", e->npoints);
    for (size_t k = 0; k < e->nkeys; k++) {
        if (k) fputs(", ", out);
        output_json_string(out, e->key[k]);
    }
    fputs("]},\n \"by\": [", out);
    for (size_t k = 0; k < s->nby; k++) {
        if (k) fputs(", ", out);
        output_json_string(out, key_name(s, k));
    }
    fputs("],\n \"groups\": [", out);
    for (size_t i = 0; i < s->ngroups; i++) {
        const summary_group *g = &s->group[i];
        fprintf(out, "%s\n  {\"values\": {", i ? "," : "");
        for (size_t k = 0; k < s->nby; k++) {
            if (k) fputs(", ", out);
            output_json_string(out, key_name(s, k));
            fputs(": ", out);
            output_json_string(out, group_value(s, g, k));
        }
        fprintf(out, "}, \"points\": %zu, \"runs\": %llu, \"complete\": %s,\n"
                     "   \"metrics\": {",
                g->points, (unsigned long long)g->runs,
                g->incomplete ? "false" : "true");
        for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
            fprintf(out, "%s\"%s\": {\"mean\": ", m ? ", " : "",
                    world_metric_name((world_metric)m));
            output_json_number(out, metric_mean(g, m));
            fputs(", \"ci95\": ", out);
            output_json_number(out, metric_ci(g, m));
            fprintf(out, ", \"n\": %zu}", g->n[m]);
        }
        fputs("},\n   \"distributions\": {", out);
        for (int d = 0; d < WORLD_DIST_COUNT; d++) {
            fprintf(out, "%s\"%s\": {\"n\": %llu, \"mean\": ", d ? ", " : "",
                    world_dist_name((world_dist)d),
                    (unsigned long long)sim_hist_n(&g->dist[d]));
            output_json_number(out, dist_mean(g, d));
            for (int q = 0; q < OUTPUT_NQUANTILES; q++) {
                fprintf(out, ", \"%s\": ", output_quantile_names[q]);
                output_json_number(out, dist_q(g, d, q));
            }
            fputs(", \"max\": ", out);
            output_json_number(out, dist_max(g, d));
            fputc('}', out);
        }
        fputs("},\n   \"causes\": {", out);
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
            fprintf(out, "%s\"%s\": %llu", c ? ", " : "",
                    oracle_cause_name((oracle_cause)c),
                    (unsigned long long)g->causes[c]);
        fputc('}', out);
        json_rare_group(out, g);
        fputc('}', out);
    }
    fputs("\n ]}\n", out);
}

/* -- Markdown: one row per group -- */

static void md_text(FILE *out, const char *t) {
    for (; *t; t++) {
        if (*t == '|') fputc('\\', out);
        fputc(*t, out);
    }
}

static void md_num(FILE *out, double x) {
    if (isfinite(x))
        fprintf(out, "%.4g", x);
    else
        fputs("-", out);
}

static void print_markdown(FILE *out, const summary *s) {
    const results_experiment *e = &s->e;
    fprintf(out, "Experiment %lld: `", (long long)e->id);
    md_text(out, e->scenario_file);
    fprintf(out, "`, %zu points, mode %s. Metrics: mean ± 95%% half-width "
                 "over runs; distributions in seconds.\n\n",
            e->npoints, e->mode);
    if (e->rare[0]) {
        char flag[48];
        rare_flag(e, flag, sizeof flag);
        fprintf(out, "Rare-event estimation (`sweep %s`): "
                "stale_read_fraction and over_max_staleness_fraction are "
                "importance-sampling estimates at the true fault rates, the "
                "counts and distributions those of the boosted runs; ESS is "
                "the effective sample size of the stale reads' weights.\n\n",
                flag);
    }
    fputc('|', out);
    for (size_t k = 0; k < s->nby; k++) {
        fputc(' ', out);
        md_text(out, key_name(s, k));
        fputs(" |", out);
    }
    fputs(" runs |", out);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        fprintf(out, " %s |", world_metric_name((world_metric)m));
    static const int shown[] = {WORLD_DIST_STALE_AGE, WORLD_DIST_STALE_WINDOW};
    for (size_t i = 0; i < 2; i++) {
        const char *n = world_dist_name((world_dist)shown[i]);
        for (int q = 0; q < OUTPUT_NQUANTILES; q++)
            fprintf(out, " %s %s |", n, output_quantile_names[q]);
        fprintf(out, " %s max |", n);
    }
    if (e->rare[0]) fputs(" boost | ESS |", out);
    fputs("\n|", out);
    size_t cols = s->nby + 1 + WORLD_METRIC_COUNT + 2 * (OUTPUT_NQUANTILES + 1) +
                  (e->rare[0] ? 2 : 0);
    for (size_t c = 0; c < cols; c++) fputs(c < s->nby ? "---|" : "---:|", out);
    fputc('\n', out);
    for (size_t i = 0; i < s->ngroups; i++) {
        const summary_group *g = &s->group[i];
        fputc('|', out);
        for (size_t k = 0; k < s->nby; k++) {
            fputc(' ', out);
            md_text(out, group_value(s, g, k));
            fputs(" |", out);
        }
        fprintf(out, " %llu%s |", (unsigned long long)g->runs,
                g->incomplete ? " (incomplete)" : "");
        for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
            fputc(' ', out);
            md_num(out, metric_mean(g, m));
            double ci = metric_ci(g, m);
            if (isfinite(ci)) {
                fputs(" ± ", out);
                md_num(out, ci);
            }
            fputs(" |", out);
        }
        for (size_t j = 0; j < 2; j++) {
            for (int q = 0; q < OUTPUT_NQUANTILES; q++) {
                fputc(' ', out);
                md_num(out, dist_q(g, shown[j], q));
                fputs(" |", out);
            }
            fputc(' ', out);
            md_num(out, dist_max(g, shown[j]));
            fputs(" |", out);
        }
        if (e->rare[0]) {
            fputc(' ', out);
            md_num(out, g->rare_runs ? g->rare_boost_hi : NAN);
            fputs(" | ", out);
            md_num(out, g->rare_runs ? group_ess(g) : NAN);
            fputs(" |", out);
        }
        fputc('\n', out);
    }
}

void summary_print(FILE *out, summary_format f, const summary *s,
                   const char *db_path) {
    switch (f) {
    case SUMMARY_TEXT: print_text(out, s); break;
    case SUMMARY_CSV: print_csv(out, s); break;
    case SUMMARY_JSON: print_json(out, s, db_path); break;
    case SUMMARY_MARKDOWN: print_markdown(out, s); break;
    }
}
