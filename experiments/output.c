/* Printing a run summary as text, JSON or CSV (DESIGN.md section 5).
 *
 * All three carry the same names.  Numbers are printed with 10 significant
 * digits, so the same scenario and seed print byte-identical output apart
 * from the wall-clock fields.  Durations in distributions are in seconds.
 * JSON distributions also carry their histogram bins ("bins", for `stalesim
 * plot RUN.json`). */
#include "experiments/output.h"

#include <math.h>
#include <string.h>

#include "experiments/version.h"
#include "models/pattern.h"
#include "sim/dist.h"
#include "sim/stats.h"


/* ---- JSON ------------------------------------------------------------------- */

void output_json_string(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void output_json_number(FILE *out, double x) {
    if (isfinite(x))
        fprintf(out, "%.10g", x);
    else
        fputs("null", out);
}

/* The histogram behind a distribution (pooled over replications), for plots:
 * "bins": [[lo_s, hi_s, count], ...], nonzero bins only, in increasing
 * order; a bin holds values in [lo_s, hi_s) (SIM_HIST_PER_DECADE log bins a
 * decade); exact zeros, when there are any, come first as [0, 0, count]. */
static void json_bins(FILE *out, const sim_hist *h) {
    fputs(", \"bins\": [", out);
    int k = 0;
    if (h->zeros) {
        fprintf(out, "[0, 0, %llu]", (unsigned long long)h->zeros);
        k++;
    }
    for (int i = 0; i < SIM_HIST_BINS; i++) {
        if (!h->bins[i]) continue;
        double lo, hi;
        sim_hist_bin_bounds(i, &lo, &hi);
        fprintf(out, "%s[%.10g, %.10g, %llu]", k++ ? ", " : "", lo / 1e9,
                hi / 1e9, (unsigned long long)h->bins[i]);
    }
    fputc(']', out);
}

void output_json_scenario(FILE *out, const scenario *sc) {
    fputs("{\"file\": ", out);
    output_json_string(out, sc->path);
    const char *section = NULL;
    for (size_t i = 0; i < scenario_key_count(); i++) {
        const char *sec = scenario_key_section(i);
        if (!section || strcmp(section, sec) != 0) {
            fprintf(out, "%s, \"%s\": {", section ? "}" : "", sec);
            section = sec;
        } else {
            fputs(", ", out);
        }
        fprintf(out, "\"%s\": ", scenario_key_name(i));
        output_json_string(out, sc->text[i]);
    }
    fputs(section ? "}}" : "}", out);
}

/* ---- key families ([family.NAME]; printed only when there are some) ---- */

/* Family f's pattern as simulated: `none` when it bypasses the cache. */
static const char *family_pattern(const scenario *sc, int f) {
    const scenario_family *fam = &sc->families.family[f];
    if (fam->bypass) return pattern_no_cache()->name;
    for (int j = 0; j < fam->noverrides; j++) {
        size_t k = (size_t)fam->override[j].key;
        if (strcmp(scenario_key_section(k), "cache") == 0 &&
            strcmp(scenario_key_name(k), "pattern") == 0)
            return fam->override[j].value;
    }
    return sc->cache.pattern;
}

static void json_stat(FILE *out, run_stat st) {
    fputs("{\"mean\": ", out);
    output_json_number(out, st.mean);
    fputs(", \"ci95\": ", out);
    output_json_number(out, st.ci95);
    fputs(", \"min\": ", out);
    output_json_number(out, st.min);
    fputs(", \"max\": ", out);
    output_json_number(out, st.max);
    fputc('}', out);
}

static void json_families(FILE *out, const scenario *sc, const run_summary *s) {
    fputs(",\n \"families\": {", out);
    for (int f = 0; f < s->nfamilies; f++) {
        scenario_family_range r;
        scenario_family_resolve(sc, f, &r);
        fprintf(out, "%s\n  ", f ? "," : "");
        output_json_string(out, sc->families.family[f].name);
        fprintf(out, ": {\"first_key\": %u, \"keys\": %u, \"pattern\": ",
                r.first_key, r.nkeys);
        output_json_string(out, family_pattern(sc, f));
        fprintf(out, ", \"bypass\": %s,\n   \"metrics\": {",
                sc->families.family[f].bypass ? "true" : "false");
        for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
            fprintf(out, "%s\"%s\": ", m ? ", " : "",
                    world_metric_name((world_metric)m));
            json_stat(out, run_summary_family_stat(s, f, (world_metric)m));
        }
        fputs("},\n   \"figures\": {", out);
        for (int g = 0; g < WORLD_FIGURE_COUNT; g++) {
            fprintf(out, "%s\"%s\": ", g ? ", " : "",
                    world_family_figure_name((world_family_figure)g));
            json_stat(out,
                      run_summary_figure_stat(s, f, (world_family_figure)g));
        }
        fputs("},\n   \"distributions\": {", out);
        for (int d = 0; d < WORLD_FDIST_COUNT; d++) {
            const sim_hist *h = &s->family_dist[f][d];
            fprintf(out, "%s\"%s\": {\"n\": %llu, \"mean\": ", d ? ", " : "",
                    world_dist_name(world_family_dist[d]),
                    (unsigned long long)sim_hist_n(h));
            output_json_number(out, h->tally.n ? h->tally.mean / 1e9 : NAN);
            for (int q = 0; q < OUTPUT_NQUANTILES; q++) {
                fprintf(out, ", \"%s\": ", output_quantile_names[q]);
                output_json_number(out, sim_hist_quantile(h, output_quantiles[q]) / 1e9);
            }
            fputs(", \"max\": ", out);
            output_json_number(out, h->tally.n ? h->tally.max / 1e9 : NAN);
            fputc('}', out);
        }
        fputs("},\n   \"causes\": {", out);
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
            fprintf(out, "%s\"%s\": %llu", c ? ", " : "",
                    oracle_cause_name((oracle_cause)c),
                    (unsigned long long)s->family_causes[f][c]);
        fputs("},\n   \"over_bound_causes\": {", out);
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
            fprintf(out, "%s\"%s\": %llu", c ? ", " : "",
                    oracle_cause_name((oracle_cause)c),
                    (unsigned long long)s->family_over_causes[f][c]);
        fputs("}}", out);
    }
    fputc('}', out);
}


static void csv_families(FILE *out, const run_summary *s, const scenario *sc) {
    static const char *const fields[] = {"mean", "ci95", "min", "max"};
    for (int f = 0; f < s->nfamilies; f++) {
        const char *name = sc->families.family[f].name;
        for (int m = 0; m < WORLD_METRIC_COUNT + WORLD_FIGURE_COUNT; m++) {
            run_stat st =
                m < WORLD_METRIC_COUNT
                    ? run_summary_family_stat(s, f, (world_metric)m)
                    : run_summary_figure_stat(s, f,
                                              (world_family_figure)(m - WORLD_METRIC_COUNT));
            const char *mname =
                m < WORLD_METRIC_COUNT ? world_metric_name((world_metric)m)
                            : world_family_figure_name(
                                  (world_family_figure)(m - WORLD_METRIC_COUNT));
            double v[4] = {st.mean, st.ci95, st.min, st.max};
            for (int k = 0; k < 4; k++) {
                fprintf(out, "families.%s.%s,%s,%s,", name,
                        m < WORLD_METRIC_COUNT ? "metrics" : "figures", mname, fields[k]);
                output_csv_number(out, v[k]);
                fputc('\n', out);
            }
        }
        for (int d = 0; d < WORLD_FDIST_COUNT; d++) {
            const sim_hist *h = &s->family_dist[f][d];
            const char *dn = world_dist_name(world_family_dist[d]);
            fprintf(out, "families.%s.distributions,%s,n,%llu\n", name, dn,
                    (unsigned long long)sim_hist_n(h));
            fprintf(out, "families.%s.distributions,%s,mean,", name, dn);
            output_csv_number(out, h->tally.n ? h->tally.mean / 1e9 : NAN);
            fputc('\n', out);
            for (int q = 0; q < OUTPUT_NQUANTILES; q++) {
                fprintf(out, "families.%s.distributions,%s,%s,", name, dn,
                        output_quantile_names[q]);
                output_csv_number(out, sim_hist_quantile(h, output_quantiles[q]) / 1e9);
                fputc('\n', out);
            }
            fprintf(out, "families.%s.distributions,%s,max,", name, dn);
            output_csv_number(out, h->tally.n ? h->tally.max / 1e9 : NAN);
            fputc('\n', out);
        }
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
            fprintf(out, "families.%s.causes,%s,stale_reads,%llu\n", name,
                    oracle_cause_name((oracle_cause)c),
                    (unsigned long long)s->family_causes[f][c]);
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
            fprintf(out, "families.%s.causes,%s,over_bound_reads,%llu\n", name,
                    oracle_cause_name((oracle_cause)c),
                    (unsigned long long)s->family_over_causes[f][c]);
    }
}


static void text_families(FILE *out, const scenario *sc, const run_summary *s) {
    for (int f = 0; f < s->nfamilies; f++) {
        scenario_family_range r;
        scenario_family_resolve(sc, f, &r);
        fprintf(out,
                "\nfamily %s: keys %u..%u, pattern %s%s; %.6g reads/s + "
                "%.6g writes/s\n",
                sc->families.family[f].name, r.first_key,
                r.first_key + r.nkeys - 1, family_pattern(sc, f),
                sc->families.family[f].bypass ? " (bypass: reads go to the "
                                                "source of truth)"
                                              : "",
                r.reads, r.writes);
        fprintf(out, "  %-26s %11s %11s %11s %11s\n", "metric", "mean",
                "+-95%", "min", "max");
        for (int m = 0; m < WORLD_METRIC_COUNT + WORLD_FIGURE_COUNT; m++) {
            run_stat st =
                m < WORLD_METRIC_COUNT
                    ? run_summary_family_stat(s, f, (world_metric)m)
                    : run_summary_figure_stat(s, f,
                                              (world_family_figure)(m - WORLD_METRIC_COUNT));
            fprintf(out, "  %-26s",
                    m < WORLD_METRIC_COUNT ? world_metric_name((world_metric)m)
                                : world_family_figure_name(
                                      (world_family_figure)(m - WORLD_METRIC_COUNT)));
            output_text_number(out, st.mean);
            output_text_number(out, st.ci95);
            output_text_number(out, st.min);
            output_text_number(out, st.max);
            fputc('\n', out);
        }
        for (int d = 0; d < WORLD_FDIST_COUNT; d++) {
            const sim_hist *h = &s->family_dist[f][d];
            fprintf(out, "  %-24s %9llu", world_dist_name(world_family_dist[d]),
                    (unsigned long long)sim_hist_n(h));
            output_text_number(out, h->tally.n ? h->tally.mean / 1e9 : NAN);
            for (int q = 0; q < OUTPUT_NQUANTILES; q++)
                output_text_number(out, sim_hist_quantile(h, output_quantiles[q]) / 1e9);
            output_text_number(out, h->tally.n ? h->tally.max / 1e9 : NAN);
            fputc('\n', out);
        }
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
            if (s->family_causes[f][c])
                fprintf(out, "  cause %-24s %11llu\n",
                        oracle_cause_name((oracle_cause)c),
                        (unsigned long long)s->family_causes[f][c]);
    }
}

void output_json_rare(FILE *out, const char *prefix, const run_summary *s) {
    if (s->rare_boost <= 0) return;
    fprintf(out, "%s\"rare\": {\"boost\": ", prefix);
    output_json_number(out, s->rare_boost);
    fputs(", \"ess\": ", out);
    output_json_number(out, run_summary_ess(s));
    fprintf(out,
            ", \"faults\": %llu, \"weighted_stale_reads\": %llu, "
            "\"overlaps\": %llu, \"overlap_stale_reads\": %llu}",
            (unsigned long long)s->rare_faults,
            (unsigned long long)s->rare_weighted,
            (unsigned long long)s->rare_overlaps,
            (unsigned long long)s->rare_overlap_stale);
}

void output_text_rare(FILE *out, const char *indent, const run_summary *s) {
    if (s->rare_boost <= 0) return;
    fprintf(out,
            "%srare-event estimation (--rare): fault probabilities boosted "
            "x%.4g; stale_read_fraction and over_max_staleness_fraction are "
            "importance-sampling estimates at the true rates; %llu boosted "
            "faults, %llu weighted stale reads, effective sample size %.4g, "
            "%llu overlaps\n",
            indent, s->rare_boost, (unsigned long long)s->rare_faults,
            (unsigned long long)s->rare_weighted, run_summary_ess(s),
            (unsigned long long)s->rare_overlaps);
}

void output_csv_rare_header(FILE *out) {
    fputs(",rare.boost,rare.ess,rare.faults,rare.weighted_stale_reads,"
          "rare.overlaps,rare.overlap_stale_reads", out);
}

void output_csv_rare_fields(FILE *out, const run_summary *s) {
    if (!s) {
        fputs(",,,,,,", out);
        return;
    }
    fputc(',', out);
    output_csv_number(out, s->rare_boost);
    fputc(',', out);
    output_csv_number(out, run_summary_ess(s));
    fprintf(out, ",%llu,%llu,%llu,%llu", (unsigned long long)s->rare_faults,
            (unsigned long long)s->rare_weighted,
            (unsigned long long)s->rare_overlaps,
            (unsigned long long)s->rare_overlap_stale);
}

static void print_json(FILE *out, const scenario *sc, const run_summary *s) {
    fprintf(out, "{\"stalesim\": \"%s\",\n", STALESIM_VERSION);
    if (s->source) {
        fputs(" \"source\": ", out);
        output_json_string(out, s->source);
        fputs(",\n", out);
    }
    fputs(" \"scenario\": ", out);
    output_json_scenario(out, sc);
    fprintf(out, ",\n \"reps\": %u, \"seed\": %llu, \"warmup_s\": %.10g,\n",
            s->reps, (unsigned long long)s->seed, (double)s->warmup / 1e9);
    output_json_rare(out, " ", s);
    if (s->rare_boost > 0) fputs(",\n", out);
    fputs(" \"metrics\": {", out);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        run_stat st = run_summary_stat(s, (world_metric)m);
        fprintf(out, "%s\n  \"%s\": {\"mean\": ", m ? "," : "",
                world_metric_name((world_metric)m));
        output_json_number(out, st.mean);
        fputs(", \"ci95\": ", out);
        output_json_number(out, st.ci95);
        fputs(", \"min\": ", out);
        output_json_number(out, st.min);
        fputs(", \"max\": ", out);
        output_json_number(out, st.max);
        fputc('}', out);
    }
    fputs("},\n \"distributions\": {", out);
    for (int d = 0; d < WORLD_DIST_COUNT; d++) {
        const sim_hist *h = &s->dist[d];
        fprintf(out, "%s\n  \"%s\": {\"n\": %llu, \"mean\": ", d ? "," : "",
                world_dist_name((world_dist)d),
                (unsigned long long)sim_hist_n(h));
        output_json_number(out, h->tally.n ? h->tally.mean / 1e9 : NAN);
        for (int q = 0; q < OUTPUT_NQUANTILES; q++) {
            fprintf(out, ", \"%s\": ", output_quantile_names[q]);
            output_json_number(out, sim_hist_quantile(h, output_quantiles[q]) / 1e9);
        }
        fputs(", \"max\": ", out);
        output_json_number(out, h->tally.n ? h->tally.max / 1e9 : NAN);
        json_bins(out, h);
        fputc('}', out);
    }
    fputs("},\n \"causes\": {", out);
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
        fprintf(out, "%s\"%s\": %llu", c ? ", " : "",
                oracle_cause_name((oracle_cause)c),
                (unsigned long long)s->causes[c]);
    /* The stale reads staler than contract.max_staleness, by cause. */
    fputs("},\n \"over_bound_causes\": {", out);
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
        fprintf(out, "%s\"%s\": %llu", c ? ", " : "",
                oracle_cause_name((oracle_cause)c),
                (unsigned long long)s->over_causes[c]);
    fputc('}', out);
    if (sc->paths.n > 0) {
        fputs(",\n \"paths\": {", out);
        for (int p = 0; p < sc->paths.n; p++) {
            fprintf(out, "%s", p ? ", " : "");
            output_json_string(out, sc->paths.path[p].name);
            fprintf(out,
                    ": {\"share\": %.10g, \"invalidates\": %s, "
                    "\"writes\": %llu, \"stale_reads\": %llu}",
                    sc->paths.path[p].share,
                    sc->paths.path[p].invalidates ? "true" : "false",
                    (unsigned long long)s->writes_by_path[p],
                    (unsigned long long)s->stale_by_path[p]);
        }
        fputc('}', out);
    }
    if (s->nfamilies > 0) json_families(out, sc, s);
    if (s->nmeasured > 0) {
        fputs(",\n \"measured_latency_s\": {", out);
        for (int i = 0; i < s->nmeasured; i++) {
            const sim_hist *h = s->measured[i];
            fprintf(out, "%s\n  ", i ? "," : "");
            output_json_string(out, s->measured_name[i]);
            fprintf(out, ": {\"n\": %llu, \"mean\": ",
                    (unsigned long long)sim_hist_n(h));
            output_json_number(out, h->tally.n ? h->tally.mean / 1e9 : NAN);
            for (int q = 0; q < OUTPUT_NQUANTILES; q++) {
                fprintf(out, ", \"%s\": ", output_quantile_names[q]);
                output_json_number(out, sim_hist_quantile(h, output_quantiles[q]) / 1e9);
            }
            fputs(", \"max\": ", out);
            output_json_number(out, h->tally.n ? h->tally.max / 1e9 : NAN);
            fputc('}', out);
        }
        fputc('}', out);
    }
    fprintf(out, ",\n \"events\": %llu, \"wall_s\": %.3f, \"events_per_s\": %.0f}\n",
            (unsigned long long)s->events, s->wall_s,
            s->wall_s > 0 ? (double)s->events / s->wall_s : 0.0);
}

/* ---- CSV ---------------------------------------------------------------------- */

void output_csv_number(FILE *out, double x) {
    if (isfinite(x)) fprintf(out, "%.10g", x);
}

/* Long format: one value per row, so every section shares one header. */
static void print_csv(FILE *out, const scenario *sc, const run_summary *s) {
    fputs("section,name,field,value\n", out);
    for (size_t i = 0; i < scenario_key_count(); i++) {
        const char *t = sc->text[i];
        fprintf(out, "scenario,%s,%s,\"", scenario_key_section(i),
                scenario_key_name(i));
        for (const char *p = t; *p; p++) {
            if (*p == '"') fputc('"', out);
            fputc(*p, out);
        }
        fputs("\"\n", out);
    }
    fprintf(out, "run,reps,value,%u\nrun,seed,value,%llu\nrun,warmup_s,value,%.10g\n",
            s->reps, (unsigned long long)s->seed, (double)s->warmup / 1e9);
    if (s->rare_boost > 0) {
        fprintf(out, "rare,boost,value,%.10g\nrare,ess,value,", s->rare_boost);
        output_csv_number(out, run_summary_ess(s));
        fprintf(out,
                "\nrare,faults,value,%llu\nrare,weighted_stale_reads,value,"
                "%llu\nrare,overlaps,value,%llu\n"
                "rare,overlap_stale_reads,value,%llu\n",
                (unsigned long long)s->rare_faults,
                (unsigned long long)s->rare_weighted,
                (unsigned long long)s->rare_overlaps,
                (unsigned long long)s->rare_overlap_stale);
    }
    static const char *const fields[] = {"mean", "ci95", "min", "max"};
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        run_stat st = run_summary_stat(s, (world_metric)m);
        double v[4] = {st.mean, st.ci95, st.min, st.max};
        for (int f = 0; f < 4; f++) {
            fprintf(out, "metrics,%s,%s,", world_metric_name((world_metric)m),
                    fields[f]);
            output_csv_number(out, v[f]);
            fputc('\n', out);
        }
    }
    for (int d = 0; d < WORLD_DIST_COUNT; d++) {
        const sim_hist *h = &s->dist[d];
        const char *name = world_dist_name((world_dist)d);
        fprintf(out, "distributions,%s,n,%llu\n", name,
                (unsigned long long)sim_hist_n(h));
        fprintf(out, "distributions,%s,mean,", name);
        output_csv_number(out, h->tally.n ? h->tally.mean / 1e9 : NAN);
        fputc('\n', out);
        for (int q = 0; q < OUTPUT_NQUANTILES; q++) {
            fprintf(out, "distributions,%s,%s,", name, output_quantile_names[q]);
            output_csv_number(out, sim_hist_quantile(h, output_quantiles[q]) / 1e9);
            fputc('\n', out);
        }
        fprintf(out, "distributions,%s,max,", name);
        output_csv_number(out, h->tally.n ? h->tally.max / 1e9 : NAN);
        fputc('\n', out);
    }
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
        fprintf(out, "causes,%s,stale_reads,%llu\n",
                oracle_cause_name((oracle_cause)c),
                (unsigned long long)s->causes[c]);
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
        fprintf(out, "causes,%s,over_bound_reads,%llu\n",
                oracle_cause_name((oracle_cause)c),
                (unsigned long long)s->over_causes[c]);
    for (int p = 0; p < sc->paths.n; p++)
        fprintf(out, "paths,%s,writes,%llu\npaths,%s,stale_reads,%llu\n",
                sc->paths.path[p].name,
                (unsigned long long)s->writes_by_path[p],
                sc->paths.path[p].name,
                (unsigned long long)s->stale_by_path[p]);
    if (s->nfamilies > 0) csv_families(out, s, sc);
    if (s->source) fprintf(out, "run,source,value,%s\n", s->source);
    for (int i = 0; i < s->nmeasured; i++) {
        const sim_hist *h = s->measured[i];
        const char *name = s->measured_name[i];
        fprintf(out, "measured_latency,%s,n,%llu\n", name,
                (unsigned long long)sim_hist_n(h));
        fprintf(out, "measured_latency,%s,mean,", name);
        output_csv_number(out, h->tally.n ? h->tally.mean / 1e9 : NAN);
        fputc('\n', out);
        for (int q = 0; q < OUTPUT_NQUANTILES; q++) {
            fprintf(out, "measured_latency,%s,%s,", name, output_quantile_names[q]);
            output_csv_number(out, sim_hist_quantile(h, output_quantiles[q]) / 1e9);
            fputc('\n', out);
        }
        fprintf(out, "measured_latency,%s,max,", name);
        output_csv_number(out, h->tally.n ? h->tally.max / 1e9 : NAN);
        fputc('\n', out);
    }
    fprintf(out, "run,events,value,%llu\nrun,wall_s,value,%.3f\n"
                 "run,events_per_s,value,%.0f\n",
            (unsigned long long)s->events, s->wall_s,
            s->wall_s > 0 ? (double)s->events / s->wall_s : 0.0);
}

/* ---- text ----------------------------------------------------------------------- */

void output_text_number(FILE *out, double x) {
    if (!isfinite(x))
        fprintf(out, " %11s", "-");
    else if (x == 0 || (fabs(x) >= 1e-3 && fabs(x) < 1e7))
        fprintf(out, " %11.6g", x);
    else
        fprintf(out, " %11.4e", x);
}

/* 1 if sc's pattern honours [cache] invalidation (the summary line shows
 * it; for the other patterns it says none). */
static int pattern_follows_invalidation(const scenario *sc) {
    const pattern_ops *p = pattern_find(sc->cache.pattern);
    return p && (p->flags & PATTERN_FOLLOWS_INVALIDATION);
}

static void print_text(FILE *out, const scenario *sc, const run_summary *s) {
    fprintf(out, "stalesim %s: %s%s\n", STALESIM_VERSION, sc->path,
            s->source ? " (measured: emulation against real servers)" : "");
    if (sc->workload.trace[0])
        fprintf(out, "pattern %s, ttl %s; trace %s (%s) over %s keys\n",
                sc->cache.pattern, scenario_text(sc, "cache", "ttl"),
                sc->workload.trace, scenario_text(sc, "workload", "trace_format"),
                scenario_text(sc, "workload", "keys"));
    else
    fprintf(out,
            "pattern %s, ttl %s, invalidation %s; %s reads + %s writes over "
            "%s keys (%s)\n",
            sc->cache.pattern, scenario_text(sc, "cache", "ttl"),
            pattern_follows_invalidation(sc)
                ? scenario_text(sc, "cache", "invalidation")
                : "none",
            scenario_text(sc, "workload", "reads"), scenario_text(sc, "workload", "writes"),
            scenario_text(sc, "workload", "keys"),
            scenario_text(sc, "workload", "popularity"));
    char warm[48];
    sim_duration_format(s->warmup, warm, sizeof warm);
    fprintf(out, "%u replications x %s (warm-up %s%s), seed %llu\n\n",
            s->reps, scenario_text(sc, "run", "duration"),
            sc->run.warmup_auto ? "chosen by MSER-5: " : "", warm,
            (unsigned long long)s->seed);
    if (s->rare_boost > 0) {
        output_text_rare(out, "", s);
        fputc('\n', out);
    }

    fprintf(out, "%-26s %11s %11s %11s %11s\n", "metric", "mean", "+-95%",
            "min", "max");
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        run_stat st = run_summary_stat(s, (world_metric)m);
        fprintf(out, "%-26s", world_metric_name((world_metric)m));
        output_text_number(out, st.mean);
        output_text_number(out, st.ci95);
        output_text_number(out, st.min);
        output_text_number(out, st.max);
        fputc('\n', out);
    }

    fprintf(out, "\n%-20s %9s %11s %11s %11s %11s %11s %11s\n",
            "distribution (s)", "n", "mean", "p50", "p90", "p99", "p999",
            "max");
    for (int d = 0; d < WORLD_DIST_COUNT; d++) {
        const sim_hist *h = &s->dist[d];
        fprintf(out, "%-20s %9llu", world_dist_name((world_dist)d),
                (unsigned long long)sim_hist_n(h));
        output_text_number(out, h->tally.n ? h->tally.mean / 1e9 : NAN);
        for (int q = 0; q < OUTPUT_NQUANTILES; q++)
            output_text_number(out, sim_hist_quantile(h, output_quantiles[q]) / 1e9);
        output_text_number(out, h->tally.n ? h->tally.max / 1e9 : NAN);
        fputc('\n', out);
    }

    uint64_t total = 0;
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) total += s->causes[c];
    fprintf(out, "\ncauses of stale reads (all replications): %llu\n",
            (unsigned long long)total);
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
        if (s->causes[c])
            fprintf(out, "  %-24s %11llu  %5.1f%%\n",
                    oracle_cause_name((oracle_cause)c),
                    (unsigned long long)s->causes[c],
                    100.0 * (double)s->causes[c] / (double)total);
    if (sc->paths.n > 0) {
        fprintf(out, "\nwrite paths (all replications)    writes  stale reads\n");
        for (int p = 0; p < sc->paths.n; p++)
            fprintf(out, "  %-20s %-9s %9llu  %11llu\n", sc->paths.path[p].name,
                    sc->paths.path[p].invalidates ? "" : "(forgets)",
                    (unsigned long long)s->writes_by_path[p],
                    (unsigned long long)s->stale_by_path[p]);
    }
    if (s->nfamilies > 0) {
        fprintf(out, "\nper key family (all replications pooled for "
                     "distributions; distributions in s: n, mean, p50, p90, "
                     "p99, p999, max)\n");
        text_families(out, sc, s);
    }
    if (s->nmeasured > 0) {
        fprintf(out, "\n%-20s %9s %11s %11s %11s %11s %11s %11s\n",
                "measured latency (s)", "n", "mean", "p50", "p90", "p99",
                "p999", "max");
        for (int i = 0; i < s->nmeasured; i++) {
            const sim_hist *h = s->measured[i];
            fprintf(out, "%-20s %9llu", s->measured_name[i],
                    (unsigned long long)sim_hist_n(h));
            output_text_number(out, h->tally.n ? h->tally.mean / 1e9 : NAN);
            for (int q = 0; q < OUTPUT_NQUANTILES; q++)
                output_text_number(out, sim_hist_quantile(h, output_quantiles[q]) / 1e9);
            output_text_number(out, h->tally.n ? h->tally.max / 1e9 : NAN);
            fputc('\n', out);
        }
    }
    if (s->source) {
        fprintf(out, "\n%llu requests in %.2f s of real time\n",
                (unsigned long long)s->events, s->wall_s);
        return;
    }
    fprintf(out, "\n%llu events in %.2f s (%.1f M events/s)\n",
            (unsigned long long)s->events, s->wall_s,
            s->wall_s > 0 ? (double)s->events / s->wall_s / 1e6 : 0.0);
}

const double output_quantiles[OUTPUT_NQUANTILES] = {0.5, 0.9, 0.99, 0.999};
const char *const output_quantile_names[OUTPUT_NQUANTILES] = {"p50", "p90",
                                                            "p99", "p999"};

int output_parse_format(const char *name, output_format *f) {
    if (strcmp(name, "text") == 0) *f = OUTPUT_FORMAT_TEXT;
    else if (strcmp(name, "json") == 0) *f = OUTPUT_FORMAT_JSON;
    else if (strcmp(name, "csv") == 0) *f = OUTPUT_FORMAT_CSV;
    else return -1;
    return 0;
}

int output_summary(FILE *out, output_format f, const scenario *sc,
                   const run_summary *s) {
    switch (f) {
    case OUTPUT_FORMAT_TEXT: print_text(out, sc, s); break;
    case OUTPUT_FORMAT_JSON: print_json(out, sc, s); break;
    case OUTPUT_FORMAT_CSV: print_csv(out, sc, s); break;
    }
    if (fflush(out) != 0 || ferror(out)) return -1;
    return 0;
}
