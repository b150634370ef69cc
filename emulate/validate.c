/* Predicted against measured (validate.h). */
#define _DEFAULT_SOURCE /* mkdtemp, open_memstream */
#include "emulate/validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_statistics_double.h>

#include "experiments/version.h"
#include "sim/stats.h"

/* A figure with its 95% interval [lo, hi] around value. */
typedef struct figure {
    double value, lo, hi;
} figure;

typedef struct row {
    const char *name;
    figure measured, predicted;
    int agree;
} row;

static int key_exists(const char *section, const char *name) {
    for (size_t i = 0; i < scenario_key_count(); i++)
        if (strcmp(scenario_key_section(i), section) == 0 &&
            strcmp(scenario_key_name(i), name) == 0)
            return 1;
    return 0;
}

/* Writes samples (ns) as an empirical: file; returns 0 or -1. */
static int write_samples(const char *path, const sim_time *v, size_t n) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    for (size_t i = 0; i < n; i++) fprintf(f, "%lldns\n", (long long)v[i]);
    int bad = ferror(f);
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

static int set_key(scenario *sc, const char *key, const char *value,
                   char *err, size_t errlen) {
    char assign[4096];
    snprintf(assign, sizeof assign, "%s=%s", key, value);
    return scenario_set(sc, assign, err, errlen);
}

/* The prediction's scenario: sc with the measured latencies (files in dir). */
static int measured_scenario(const scenario *sc, const emu_result *r,
                             const char *dir, scenario *pred, char *err,
                             size_t errlen) {
    static const char *const request_key[EMU_OP_COUNT] = {
        "cache.get_latency", "cache.set_latency", "cache.del_latency",
        "db.read_latency", "db.write_latency"};
    static const char *const response_key[EMU_OP_COUNT][2] = {
        {"cache", "get_response"}, {"cache", "set_response"},
        {"cache", "del_response"}, {"db", "read_response"},
        {"db", "write_response"}};
    if (scenario_copy(pred, sc) != 0) {
        memset(pred, 0, sizeof *pred); /* nothing to finalise */
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int split = 1;
    for (int k = 0; k < EMU_OP_COUNT; k++)
        split &= key_exists(response_key[k][0], response_key[k][1]);
    char path[1100], value[1200], key[64];
    size_t pooled_n = 0;
    for (int k = 0; k < EMU_OP_COUNT; k++) {
        for (int p = 0; p < 2; p++) {
            size_t n = r->nsamples[k][p];
            if (n == 0) continue; /* never happened: keep the scenario's */
            snprintf(path, sizeof path, "%s/%s-%d", dir, emu_op_name((emu_op)k),
                     p);
            if (write_samples(path, r->samples[k][p], n) != 0) {
                snprintf(err, errlen, "cannot write %s", path);
                return -1;
            }
            snprintf(value, sizeof value, "empirical:%s", path);
            if (p == 0) {
                if (set_key(pred, request_key[k], value, err, errlen) != 0)
                    return -1;
            } else if (split) {
                snprintf(key, sizeof key, "%s.%s", response_key[k][0],
                         response_key[k][1]);
                if (set_key(pred, key, value, err, errlen) != 0) return -1;
            } else {
                pooled_n += n;
            }
        }
    }
    if (!split && pooled_n > 0) { /* one response latency for every op */
        snprintf(path, sizeof path, "%s/response", dir);
        FILE *f = fopen(path, "w");
        if (!f) {
            snprintf(err, errlen, "cannot write %s", path);
            return -1;
        }
        for (int k = 0; k < EMU_OP_COUNT; k++)
            for (size_t i = 0; i < r->nsamples[k][1]; i++)
                fprintf(f, "%lldns\n", (long long)r->samples[k][1][i]);
        if (fclose(f) != 0) {
            snprintf(err, errlen, "cannot write %s", path);
            return -1;
        }
        snprintf(value, sizeof value, "empirical:%s", path);
        if (set_key(pred, "cache.response_latency", value, err, errlen) != 0)
            return -1;
    }
    snprintf(value, sizeof value, "%d", EMU_VALIDATE_REPS);
    if (set_key(pred, "run.reps", value, err, errlen) != 0) return -1;
    return scenario_validate(pred, err, errlen);
}

/* ---- figures ------------------------------------------------------------------- */

static figure mean_ci(const double *x, size_t n) {
    figure f;
    f.value = n ? gsl_stats_mean(x, 1, n) : NAN;
    double h = sim_ci95(x, n);
    f.lo = f.value - h;
    f.hi = f.value + h;
    return f;
}

/* Measured metric m: over replications, or batch means of replication 0. */
static figure measured_metric(const emu_result *r, world_metric m) {
    const run_summary *s = r->sum;
    if (s->reps >= 2) return mean_ci(s->value[m], s->reps);
    double x[EMU_BATCHES];
    size_t n = 0;
    for (int b = 0; b < EMU_BATCHES; b++) {
        if (m == WORLD_METRIC_DB_READS_PER_S) {
            if (r->batch_s > 0) x[n++] = r->batch_db_reads[b] / r->batch_s;
        } else if (r->batch_reads[b] > 0) {
            x[n++] = (m == WORLD_METRIC_STALE_READ_FRACTION ? r->batch_stale[b]
                                                 : r->batch_hits[b]) /
                     r->batch_reads[b];
        }
    }
    figure f = mean_ci(x, n);
    f.value = s->value[m][0]; /* the whole run's figure, the batches' CI */
    double h = (f.hi - f.lo) / 2;
    f.lo = f.value - h;
    f.hi = f.value + h;
    return f;
}

/* Quantile q of h with the order-statistic 95% interval, in s. */
static figure quantile(const sim_hist *h, double q) {
    figure f = {NAN, NAN, NAN};
    double n = (double)sim_hist_n(h);
    if (n < 1) return f;
    double d = 1.96 * sqrt(q * (1 - q) / n);
    f.value = sim_hist_quantile(h, q) / 1e9;
    f.lo = sim_hist_quantile(h, q - d < 0 ? 0 : q - d) / 1e9;
    f.hi = sim_hist_quantile(h, q + d > 1 ? 1 : q + d) / 1e9;
    return f;
}

static int agrees(figure m, figure p) {
    if (isnan(m.value) && isnan(p.value)) return 1;
    if (isnan(m.value) || isnan(p.value)) return 0;
    double diff = fabs(m.value - p.value);
    if (diff <= 0.15 * fabs(m.value)) return 1;
    double hm = (m.hi - m.lo) / 2, hp = (p.hi - p.lo) / 2;
    if (isnan(hm)) hm = 0;
    if (isnan(hp)) hp = 0;
    if (diff <= sqrt(hm * hm + hp * hp)) return 1;
    /* Asymmetric (quantile) intervals: overlap. */
    return !isnan(m.lo) && !isnan(p.lo) && m.lo <= p.hi && p.lo <= m.hi;
}

enum { NROWS = 5 };

static void build_rows(const emu_result *r, const run_summary *pred,
                       row rows[NROWS]) {
    static const world_metric metrics[3] = {
        WORLD_METRIC_STALE_READ_FRACTION, WORLD_METRIC_HIT_RATIO, WORLD_METRIC_DB_READS_PER_S};
    for (int i = 0; i < 3; i++) {
        rows[i].name = world_metric_name(metrics[i]);
        rows[i].measured = measured_metric(r, metrics[i]);
        rows[i].predicted = mean_ci(pred->value[metrics[i]], pred->reps);
    }
    rows[3].name = "stale_age_p50_s";
    rows[3].measured = quantile(&r->sum->dist[WORLD_DIST_STALE_AGE], 0.5);
    rows[3].predicted = quantile(&pred->dist[WORLD_DIST_STALE_AGE], 0.5);
    rows[4].name = "stale_age_p99_s";
    rows[4].measured = quantile(&r->sum->dist[WORLD_DIST_STALE_AGE], 0.99);
    rows[4].predicted = quantile(&pred->dist[WORLD_DIST_STALE_AGE], 0.99);
    for (int i = 0; i < NROWS; i++)
        rows[i].agree = agrees(rows[i].measured, rows[i].predicted);
}

static uint64_t total_causes(const uint64_t *c) {
    uint64_t t = 0;
    for (int k = 0; k < ORACLE_CAUSE_COUNT; k++) t += c[k];
    return t;
}

/* ---- printing ------------------------------------------------------------------- */

static void text_figure(FILE *out, figure f) {
    if (isnan(f.value)) {
        fprintf(out, " %31s", "-");
        return;
    }
    char buf[64];
    if (isnan(f.lo))
        snprintf(buf, sizeof buf, "%.4g", f.value);
    else
        snprintf(buf, sizeof buf, "%.4g [%.4g, %.4g]", f.value, f.lo, f.hi);
    fprintf(out, " %31s", buf);
}

static void print_text(FILE *out, const row *rows, const emu_result *r,
                       const run_summary *pred) {
    fprintf(out, "\npredicted (simulation with the measured latencies, %u "
                 "replications) against measured\n",
            pred->reps);
    fprintf(out, "%-22s %31s %31s  %s\n", "figure", "measured [95% CI]",
            "predicted [95% CI]", "verdict");
    for (int i = 0; i < NROWS; i++) {
        fprintf(out, "%-22s", rows[i].name);
        text_figure(out, rows[i].measured);
        text_figure(out, rows[i].predicted);
        fprintf(out, "  %s\n", rows[i].agree ? "agree" : "DISAGREE");
    }
    uint64_t tm = total_causes(r->sum->causes), tp = total_causes(pred->causes);
    if (tm + tp > 0) {
        fprintf(out, "\ncauses (share of stale reads)  %10s %10s\n",
                "measured", "predicted");
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
            if (r->sum->causes[c] || pred->causes[c])
                fprintf(out, "  %-28s %9.1f%% %9.1f%%\n",
                        oracle_cause_name((oracle_cause)c),
                        tm ? 100.0 * (double)r->sum->causes[c] / (double)tm : 0,
                        tp ? 100.0 * (double)pred->causes[c] / (double)tp : 0);
    }
}

static void json_figure(FILE *out, figure f) {
    fputs("{\"value\": ", out);
    output_json_number(out, f.value);
    fputs(", \"lo\": ", out);
    output_json_number(out, f.lo);
    fputs(", \"hi\": ", out);
    output_json_number(out, f.hi);
    fputc('}', out);
}

/* One summary's JSON, captured, without its trailing newline. */
static int summary_json(FILE *out, const scenario *sc, const run_summary *s) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return -1;
    int rc = output_summary(m, OUTPUT_FORMAT_JSON, sc, s);
    fclose(m);
    if (rc == 0) {
        while (len > 0 && buf[len - 1] == '\n') len--;
        fwrite(buf, 1, len, out);
    }
    free(buf);
    return rc;
}

static int print_json(FILE *out, const row *rows, const emu_result *r,
                      const scenario *sc, const scenario *psc,
                      const run_summary *pred) {
    fprintf(out, "{\"stalesim\": \"%s\", \"source\": \"validation\",\n"
                 " \"latency_model\": \"empirical\",\n \"comparison\": {",
            STALESIM_VERSION);
    for (int i = 0; i < NROWS; i++) {
        fprintf(out, "%s\n  \"%s\": {\"measured\": ", i ? "," : "",
                rows[i].name);
        json_figure(out, rows[i].measured);
        fputs(", \"predicted\": ", out);
        json_figure(out, rows[i].predicted);
        fprintf(out, ", \"agree\": %s}", rows[i].agree ? "true" : "false");
    }
    fputs("},\n \"measured\": ", out);
    if (summary_json(out, sc, r->sum) != 0) return -1;
    fputs(",\n \"predicted\": ", out);
    if (summary_json(out, psc, pred) != 0) return -1;
    fputs("}\n", out);
    return 0;
}

static void print_csv(FILE *out, const row *rows) {
    fputs("section,name,field,value\n", out);
    for (int i = 0; i < NROWS; i++) {
        const figure *f[2] = {&rows[i].measured, &rows[i].predicted};
        const char *side[2] = {"measured", "predicted"};
        for (int k = 0; k < 2; k++) {
            fprintf(out, "validation,%s,%s,%.10g\n", rows[i].name, side[k],
                    f[k]->value);
            fprintf(out, "validation,%s,%s_lo,%.10g\n", rows[i].name, side[k],
                    f[k]->lo);
            fprintf(out, "validation,%s,%s_hi,%.10g\n", rows[i].name, side[k],
                    f[k]->hi);
        }
        fprintf(out, "validation,%s,agree,%d\n", rows[i].name, rows[i].agree);
    }
}

/* ---- the whole ------------------------------------------------------------------ */

static void remove_dir(const char *dir) {
    char path[1100];
    for (int k = 0; k < EMU_OP_COUNT; k++)
        for (int p = 0; p < 2; p++) {
            snprintf(path, sizeof path, "%s/%s-%d", dir,
                     emu_op_name((emu_op)k), p);
            unlink(path);
        }
    snprintf(path, sizeof path, "%s/response", dir);
    unlink(path);
    rmdir(dir);
}

int emu_validate(const scenario *sc, const emu_result *r, output_format f,
                 FILE *out, char *err, size_t errlen) {
    const char *tmp = getenv("TMPDIR");
    char dir[600];
    snprintf(dir, sizeof dir, "%s/stalesim-validate-XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "cannot create a temporary directory");
        return -1;
    }
    scenario pred;
    memset(&pred, 0, sizeof pred);
    run_summary *ps = NULL;
    int rc = -1;
    if (measured_scenario(sc, r, dir, &pred, err, errlen) != 0) goto out;
    if (!(ps = run_scenario(&pred, err, errlen))) goto out;
    row rows[NROWS];
    build_rows(r, ps, rows);
    if (f == OUTPUT_FORMAT_JSON) {
        if (print_json(out, rows, r, sc, &pred, ps) != 0) goto write_failed;
    } else if (f == OUTPUT_FORMAT_CSV) {
        print_csv(out, rows);
    } else {
        if (output_summary(out, OUTPUT_FORMAT_TEXT, sc, r->sum) != 0)
            goto write_failed;
        print_text(out, rows, r, ps);
    }
    if (fflush(out) != 0 || ferror(out)) goto write_failed;
    rc = 0;
    goto out;
write_failed:
    snprintf(err, errlen, "writing the results failed");
out:
    run_summary_destroy(ps);
    scenario_fini(&pred);
    remove_dir(dir);
    return rc;
}
