/* Sensitivity of a metric to the scenario's inputs: one at a time, and
 * global Sobol indices (see sensitivity.h). */
#include "experiments/sensitivity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_qrng.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>

#include "experiments/cli.h"
#include "experiments/version.h"
#include "plots/format.h"
#include "plots/gnuplot.h"
#include "plots/tornado.h"
#include "sim/stats.h"

/* ---- values ------------------------------------------------------------------ */

int sens_scale_dist(const char *dist, const char *basedir, double factor,
                    char *buf, size_t len) {
    sim_dist d;
    char err[256], a[64], b[64];
    if (sim_dist_parse(&d, dist, basedir, err, sizeof err) != 0) return -1;
    int rc = 0;
    sim_time p1 = (sim_time)llround(d.p1 * factor);
    sim_duration_format(p1, a, sizeof a);
    switch (d.kind) {
    case SIM_DIST_CONST:
        if (d.p1 == 0) rc = -1;
        snprintf(buf, len, "const:%s", a);
        break;
    case SIM_DIST_EXP: snprintf(buf, len, "exp:%s", a); break;
    case SIM_DIST_UNIFORM:
        sim_duration_format((sim_time)llround(d.p2 * factor), b, sizeof b);
        snprintf(buf, len, "uniform:%s,%s", a, b);
        break;
    case SIM_DIST_LOGNORMAL:
        snprintf(buf, len, "lognormal:%s,%.10g", a, d.p2);
        break;
    case SIM_DIST_PARETO:
        snprintf(buf, len, "pareto:%s,%.10g", a, d.p2);
        break;
    default: rc = -1; break;
    }
    if (p1 <= 0) rc = -1;
    sim_dist_fini(&d);
    return rc;
}

/* ---- one at a time ------------------------------------------------------------- */

typedef struct oat_input {
    char key[128];
    char low[160], base[160], high[160]; /* value texts */
    double x_low, x_base, x_high;        /* numbers (distributions: scale) */
    study_config *c[2];                  /* down, up */
    double y[3], swing, swing_ci, elasticity;
} oat_input;

typedef struct oat_skip {
    char key[128];
    char why[128];
} oat_skip;

/* The down and up values of key i (text `v`); 0, or -1 with a reason. */
static int scale_key(const scenario *sc, size_t i, const char *v,
                     double factor, oat_input *in, char *why, size_t len) {
    scenario_num_kind k = scenario_key_num_kind(i);
    snprintf(in->base, sizeof in->base, "%s", v);
    if (k == SCENARIO_NUM_NONE) {
        snprintf(why, len, "not a number");
        return -1;
    }
    if (k == SCENARIO_NUM_DIST) {
        if (sens_scale_dist(v, sc->basedir, 1 / factor, in->low,
                            sizeof in->low) != 0 ||
            sens_scale_dist(v, sc->basedir, factor, in->high,
                            sizeof in->high) != 0) {
            snprintf(why, len, "a distribution that cannot be scaled (zero or "
                     "empirical)");
            return -1;
        }
        in->x_low = 1 / factor;
        in->x_base = 1;
        in->x_high = factor;
        return 0;
    }
    double x = study_value_number(k, v);
    if (!(x > 0)) {
        snprintf(why, len, "zero");
        return -1;
    }
    double lo = x / factor, hi = x * factor;
    if (k == SCENARIO_NUM_PROB && hi > 1) hi = 1;
    if (k == SCENARIO_NUM_FRACTION && hi >= 1) hi = (1 + x) / 2;
    if (k == SCENARIO_NUM_COUNT1 && lo < 1) lo = 1;
    study_value_text(k, lo, in->low, sizeof in->low);
    study_value_text(k, hi, in->high, sizeof in->high);
    in->x_low = study_value_number(k, in->low);
    in->x_base = x;
    in->x_high = study_value_number(k, in->high);
    if (!(in->x_low < x && x < in->x_high) && !(in->x_low < in->x_high)) {
        snprintf(why, len, "cannot be scaled by %g (already at its limit)",
                 factor);
        return -1;
    }
    return 0;
}

/* The inputs in use: keys given in the file or by --set, outside [run] and
 * [contract] (those decide how a run is measured and judged). */
static int in_use(const scenario *sc, size_t i) {
    const char *sec = scenario_key_section(i);
    return sc->line[i] != 0 && strcmp(sec, "run") != 0 &&
           strcmp(sec, "contract") != 0 &&
           scenario_key_num_kind(i) != SCENARIO_NUM_NONE;
}

static int by_swing(const void *a, const void *b) {
    double x = fabs(((const oat_input *)a)->swing),
           y = fabs(((const oat_input *)b)->swing);
    if (isnan(x)) x = -1;
    if (isnan(y)) y = -1;
    return (x < y) - (x > y);
}

static int is_fraction(int m) {
    return m == WORLD_METRIC_STALE_READ_FRACTION || m == WORLD_METRIC_HIT_RATIO ||
           m == WORLD_METRIC_OVER_MAX_STALENESS_FRACTION || m == WORLD_METRIC_LOCAL_HIT_RATIO;
}

static void fmt_y(char *buf, size_t len, int metric, double y) {
    if (is_fraction(metric))
        plot_fmt_percent(buf, len, y);
    else
        plot_fmt_sig(buf, len, y, 3);
}

/* Paired swing of input `in` over common replications. */
static void swing_of(oat_input *in, const study_config *base, int m) {
    const study_config *d = in->c[0], *u = in->c[1];
    uint32_t n = d->n < u->n ? d->n : u->n;
    double *x = malloc((n ? n : 1) * sizeof *x);
    in->swing = in->swing_ci = NAN;
    if (!x) return;
    for (uint32_t r = 0; r < n; r++) x[r] = u->value[m][r] - d->value[m][r];
    if (n) in->swing = gsl_stats_mean(x, 1, n);
    if (n >= 2) in->swing_ci = sim_ci95(x, n);
    free(x);
    double dummy;
    study_stat(base, -1, (world_metric)m, &in->y[1], &dummy);
    study_stat(d, -1, (world_metric)m, &in->y[0], &dummy);
    study_stat(u, -1, (world_metric)m, &in->y[2], &dummy);
    double dx = (in->x_high - in->x_low) / in->x_base;
    in->elasticity = in->y[1] != 0 && dx > 0 ? in->swing / in->y[1] / dx : NAN;
}

static int draw_tornado(const sens_options *o, const oat_input *in, size_t n,
                        double base) {
    char err[1024], sub[256];
    plot_tornado_bar *bar = calloc(n ? n : 1, sizeof *bar);
    char (*label)[400] = calloc(n ? n : 1, sizeof *label);
    if (!bar || !label) {
        free(bar);
        free(label);
        return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(label[i], sizeof label[i], "%s %s..%s", in[i].key,
                 in[i].low, in[i].high);
        bar[i] = (plot_tornado_bar){label[i], in[i].y[0], in[i].y[2]};
    }
    /* In the registry's words: "stale-read fraction", not its name. */
    const char *metric = world_metric_brief((world_metric)o->metric);
    const char *slash = strrchr(o->scenario_file, '/');
    snprintf(sub, sizeof sub, "%s; each input / and x %g",
             slash ? slash + 1 : o->scenario_file, o->factor);
    char title[128];
    snprintf(title, sizeof title, "Sensitivity of the %s", metric);
    plot_tornado t = {title,     sub, metric, is_fraction(o->metric), base,
                      o->factor, bar, n,
                      world_metric_label((world_metric)o->metric)};
    gp_target tg;
    gp *g = NULL;
    int code = CLI_EXIT_OK;
    if (gp_target_parse(&tg, o->plot, NULL, 0, err, sizeof err) != GP_OK)
        code = cli_fail(CLI_EXIT_INPUT, "%s", err);
    else if (gp_open(&g, &tg, err, sizeof err) != GP_OK)
        code = cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    else {
        plot_tornado_draw(g, &t);
        if (gp_close(g, err, sizeof err) != GP_OK)
            code = cli_fail(CLI_EXIT_RUNTIME, "%s: %s", o->plot, err);
    }
    free(bar);
    free(label);
    return code;
}

static void oat_json(FILE *out, const sens_options *o, const study *s,
                     const study_config *base, const oat_input *in, size_t n,
                     const oat_skip *skip, size_t nskip) {
    double mean, ci;
    study_stat(base, -1, (world_metric)o->metric, &mean, &ci);
    fprintf(out, "{\"stalesim\": \"%s\", \"command\": \"sensitivity\", "
            "\"method\": \"one-at-a-time\", \"scenario\": ", STALESIM_VERSION);
    output_json_string(out, o->scenario_file);
    fprintf(out, ", \"metric\": \"%s\", \"factor\": ",
            world_metric_name((world_metric)o->metric));
    output_json_number(out, o->factor);
    fputs(", \"base\": {\"mean\": ", out);
    output_json_number(out, mean);
    fputs(", \"ci95\": ", out);
    output_json_number(out, ci);
    fputs("}, \"inputs\": [", out);
    for (size_t i = 0; i < n; i++) {
        const oat_input *x = &in[i];
        fprintf(out, "%s{\"key\": ", i ? ", " : "");
        output_json_string(out, x->key);
        fputs(", \"low\": ", out);
        output_json_string(out, x->low);
        fputs(", \"base\": ", out);
        output_json_string(out, x->base);
        fputs(", \"high\": ", out);
        output_json_string(out, x->high);
        static const char *const yn[3] = {"y_low", "y_base", "y_high"};
        for (int k = 0; k < 3; k++) {
            fprintf(out, ", \"%s\": ", yn[k]);
            output_json_number(out, x->y[k]);
        }
        fputs(", \"swing\": {\"mean\": ", out);
        output_json_number(out, x->swing);
        fputs(", \"ci95\": ", out);
        output_json_number(out, x->swing_ci);
        fputs("}, \"elasticity\": ", out);
        output_json_number(out, x->elasticity);
        fputs("}", out);
    }
    fputs("], \"skipped\": [", out);
    for (size_t i = 0; i < nskip; i++) {
        fprintf(out, "%s{\"key\": ", i ? ", " : "");
        output_json_string(out, skip[i].key);
        fputs(", \"why\": ", out);
        output_json_string(out, skip[i].why);
        fputs("}", out);
    }
    fprintf(out, "], \"reps\": %u, \"runs\": {\"computed\": %llu, "
            "\"stored_before\": %llu}, \"seed\": %llu}\n", base->n,
            (unsigned long long)study_runs_computed(s),
            (unsigned long long)study_runs_loaded(s),
            (unsigned long long)study_base(s)->run.seed);
}

static void oat_text(FILE *out, const sens_options *o, const study *s,
                     const study_config *base, const oat_input *in, size_t n,
                     const oat_skip *skip, size_t nskip) {
    /* In the registry's words: "stale-read fraction", not its name. */
    const char *metric = world_metric_brief((world_metric)o->metric);
    char b[64], ci[64];
    double mean, h;
    study_stat(base, -1, (world_metric)o->metric, &mean, &h);
    fmt_y(b, sizeof b, o->metric, mean);
    fmt_y(ci, sizeof ci, o->metric, h);
    fprintf(out, "sensitivity of %s (base %s +- %s), each input divided and "
            "multiplied by %g, others fixed; largest swing first:\n", metric,
            b, ci, o->factor);
    fprintf(out, "  %-4s %-30s %-28s %-28s %-22s %s\n", "rank", "input",
            "values (down, base, up)", "metric (down, base, up)",
            "swing (up - down)", "elasticity");
    for (size_t i = 0; i < n; i++) {
        const oat_input *x = &in[i];
        char vals[200], ys[3][64], sw[64], swc[64], ys_all[200], swing[140];
        snprintf(vals, sizeof vals, "%s, %s, %s", x->low, x->base, x->high);
        for (int k = 0; k < 3; k++) fmt_y(ys[k], sizeof ys[k], o->metric, x->y[k]);
        snprintf(ys_all, sizeof ys_all, "%s, %s, %s", ys[0], ys[1], ys[2]);
        fmt_y(sw, sizeof sw, o->metric, x->swing);
        fmt_y(swc, sizeof swc, o->metric, x->swing_ci);
        snprintf(swing, sizeof swing, "%s +- %s", sw, swc);
        fprintf(out, "  %-4zu %-30s %-28s %-28s %-22s %.3g\n", i + 1, x->key,
                vals, ys_all, swing, x->elasticity);
    }
    for (size_t i = 0; i < nskip; i++)
        fprintf(out, "  not varied: %s (%s)\n", skip[i].key, skip[i].why);
    fprintf(out, "  (%u replications per configuration on common random "
            "numbers, %zu configurations; %llu replications run, %llu found "
            "stored; seed %llu; swing intervals are 95%% over paired "
            "replications)\n", base->n, 2 * n + 1,
            (unsigned long long)study_runs_computed(s),
            (unsigned long long)study_runs_loaded(s),
            (unsigned long long)study_base(s)->run.seed);
}

/* Finishes a study: prints and stores text and JSON. */
static int finish(study *s, const sens_options *o, char *text, char *json,
                  const results_study_input *rows, size_t nrows) {
    char err[1024];
    if (study_finish(s, text, json, rows, nrows, err, sizeof err) != STUDY_OK)
        return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    fputs(o->format == OUTPUT_FORMAT_JSON ? json : text, stdout);
    if (fflush(stdout) != 0)
        return cli_fail(CLI_EXIT_RUNTIME, "writing the answer failed");
    return CLI_EXIT_OK;
}

/* Chooses the inputs; fills in[] and skip[]. */
static int oat_inputs(study *s, const sens_options *o, oat_input *in,
                      size_t *n, oat_skip *skip, size_t *nskip) {
    const scenario *sc = study_base(s);
    char why[128];
    *n = *nskip = 0;
    size_t count = o->keys ? o->nkeys : scenario_key_count();
    for (size_t j = 0; j < count; j++) {
        int i = o->keys ? study_key_index(o->keys[j]) : (int)j;
        if (o->keys && (i < 0 || strncmp(o->keys[j], "family.", 7) == 0))
            return cli_fail(CLI_EXIT_INPUT, "--keys: '%s' is not a scenario key "
                            "(section.key; stalesim keys lists them)",
                            o->keys[j]);
        if (!o->keys && !in_use(sc, (size_t)i)) continue;
        if (*n >= SENS_MAX_INPUTS)
            return cli_fail(CLI_EXIT_INPUT, "sensitivity: more than %d inputs; "
                            "name them with --keys", SENS_MAX_INPUTS);
        oat_input *x = &in[*n];
        memset(x, 0, sizeof *x);
        snprintf(x->key, sizeof x->key, "%s.%s",
                 scenario_key_section((size_t)i), scenario_key_name((size_t)i));
        if (scale_key(sc, (size_t)i, sc->text[i], o->factor, x, why,
                      sizeof why) != 0) {
            if (o->keys)
                return cli_fail(CLI_EXIT_INPUT, "--keys '%s': cannot be scaled: "
                                "%s (value %s)", x->key, why, sc->text[i]);
            snprintf(skip[*nskip].key, sizeof skip[*nskip].key, "%s", x->key);
            snprintf(skip[*nskip].why, sizeof skip[*nskip].why, "%s", why);
            ++*nskip;
            continue;
        }
        ++*n;
    }
    if (*n == 0)
        return cli_fail(CLI_EXIT_INPUT, "sensitivity: no numeric input to vary "
                        "(the scenario sets none outside [run] and "
                        "[contract]; name some with --keys)");
    return CLI_EXIT_OK;
}

int sensitivity_oat(study *s, const sens_options *o) {
    oat_input *in = calloc(SENS_MAX_INPUTS, sizeof *in);
    oat_skip *skip = calloc(SENS_MAX_INPUTS + 128, sizeof *skip);
    study_config **batch = calloc(2 * SENS_MAX_INPUTS + 1, sizeof *batch);
    results_study_input *rows = calloc(SENS_MAX_INPUTS, sizeof *rows);
    char err[1024], *text = NULL, *json = NULL;
    size_t n, nskip, tlen, jlen;
    int code = CLI_EXIT_RUNTIME;
    if (!in || !skip || !batch || !rows) {
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    if ((code = oat_inputs(s, o, in, &n, skip, &nskip)) != CLI_EXIT_OK) goto out;
    code = CLI_EXIT_RUNTIME;
    study_config *base;
    int rc = study_config_get(s, NULL, 0, &base, err, sizeof err);
    size_t nb = 0;
    batch[nb++] = base;
    for (size_t i = 0; i < n && rc == STUDY_OK; i++)
        for (int k = 0; k < 2 && rc == STUDY_OK; k++) {
            char set[320];
            snprintf(set, sizeof set, "%s=%s", in[i].key,
                     k ? in[i].high : in[i].low);
            const char *sets[1] = {set};
            rc = study_config_get(s, sets, 1, &in[i].c[k], err, sizeof err);
            batch[nb++] = in[i].c[k];
        }
    if (rc == STUDY_OK)
        rc = study_run(s, batch, nb, study_base(s)->run.reps, err,
                       sizeof err);
    if (rc != STUDY_OK) {
        code = cli_fail(rc == STUDY_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s",
                        err);
        goto out;
    }
    for (size_t i = 0; i < n; i++) swing_of(&in[i], base, o->metric);
    qsort(in, n, sizeof *in, by_swing);
    FILE *ts = open_memstream(&text, &tlen), *js = open_memstream(&json, &jlen);
    if (!ts || !js) {
        if (ts) fclose(ts);
        if (js) fclose(js);
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    oat_text(ts, o, s, base, in, n, skip, nskip);
    oat_json(js, o, s, base, in, n, skip, nskip);
    if (fclose(ts) != 0 || fclose(js) != 0) {
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        rows[i] = (results_study_input){
            "oat", in[i].key, in[i].low, in[i].base, in[i].high, in[i].y[0],
            in[i].y[1], in[i].y[2], in[i].swing, in[i].swing_ci,
            in[i].elasticity, NAN, (uint64_t)in[i].c[0]->n + in[i].c[1]->n};
    code = finish(s, o, text, json, rows, n);
    if (code == CLI_EXIT_OK && o->plot) code = draw_tornado(o, in, n, in[0].y[1]);
out:
    free(text);
    free(json);
    free(rows);
    free(batch);
    free(skip);
    free(in);
    return code;
}

/* ---- Sobol ------------------------------------------------------------------- */

int sens_range_parse(const char *arg, sens_range *out, char *why, size_t len) {
    memset(out, 0, sizeof *out);
    const char *eq = strchr(arg, '=');
    const char *dots = eq ? strstr(eq, "..") : NULL;
    if (!eq || !dots) {
        snprintf(why, len, "--vary '%s': expected KEY=LO..HI, e.g. "
                 "faults.del_fail=0.001..0.01", arg);
        return -1;
    }
    char key[128], lo[128];
    snprintf(key, sizeof key, "%.*s", (int)(eq - arg), arg);
    snprintf(lo, sizeof lo, "%.*s", (int)(dots - eq - 1), eq + 1);
    int idx = study_key_index(key);
    if (idx < 0 || strncmp(key, "family.", 7) == 0) {
        snprintf(why, len, "--vary '%s': '%s' is not a scenario key", arg,
                 key);
        return -1;
    }
    out->kind = scenario_key_num_kind((size_t)idx);
    if (out->kind == SCENARIO_NUM_NONE || out->kind == SCENARIO_NUM_DIST) {
        snprintf(why, len, "--vary '%s': '%s' is not a numeric key (Sobol "
                 "ranges take durations, rates, probabilities and counts)",
                 arg, key);
        return -1;
    }
    out->lo = study_value_number(out->kind, lo);
    out->hi = study_value_number(out->kind, dots + 2);
    if (isnan(out->lo) || isnan(out->hi) || !(out->lo < out->hi) ||
        out->lo < 0) {
        snprintf(why, len, "--vary '%s': needs LO..HI with 0 <= LO < HI in "
                 "the key's unit", arg);
        return -1;
    }
    if (out->kind == SCENARIO_NUM_PROB && out->hi > 1) {
        snprintf(why, len, "--vary '%s': a probability is at most 1", arg);
        return -1;
    }
    out->log = out->lo > 0 && out->hi / out->lo >= 10;
    out->key = strdup(key);
    if (!out->key) {
        snprintf(why, len, "out of memory");
        return -1;
    }
    return 0;
}

/* The value of range r at quasi-random coordinate u in [0,1). */
static double at(const sens_range *r, double u) {
    return r->log ? r->lo * pow(r->hi / r->lo, u) : r->lo + u * (r->hi - r->lo);
}

typedef struct sobol_est {
    double s, s_lo, s_hi, t, t_lo, t_hi;
} sobol_est;

/* Estimates over rows idx[0..N-1] (a bootstrap resample or 0..N-1). */
static void estimate(const double *fa, const double *fb, const double *fab,
                     size_t N, const size_t *idx, double *s, double *t) {
    double sum = 0, sum2 = 0, num_s = 0, num_t = 0;
    for (size_t j = 0; j < N; j++) {
        size_t r = idx[j];
        sum += fa[r] + fb[r];
        sum2 += fa[r] * fa[r] + fb[r] * fb[r];
        num_s += fb[r] * (fab[r] - fa[r]);
        num_t += (fa[r] - fab[r]) * (fa[r] - fab[r]);
    }
    double m = sum / (2.0 * N), v = sum2 / (2.0 * N) - m * m;
    *s = v > 0 ? num_s / N / v : NAN;
    *t = v > 0 ? num_t / (2.0 * N) / v : NAN;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define BOOTSTRAP 1000

static void sobol_indices(const double *fa, const double *fb, const double *fab,
                          size_t N, uint64_t seed, sobol_est *e) {
    size_t *idx = malloc(N * sizeof *idx);
    double *bs = malloc(BOOTSTRAP * sizeof *bs), *bt = malloc(BOOTSTRAP * sizeof *bt);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    e->s_lo = e->s_hi = e->t_lo = e->t_hi = NAN;
    if (!idx || !bs || !bt || !rng) goto out;
    for (size_t j = 0; j < N; j++) idx[j] = j;
    estimate(fa, fb, fab, N, idx, &e->s, &e->t);
    gsl_rng_set(rng, seed);
    size_t nb = 0;
    for (int b = 0; b < BOOTSTRAP; b++) {
        for (size_t j = 0; j < N; j++) idx[j] = gsl_rng_uniform_int(rng, N);
        double s, t;
        estimate(fa, fb, fab, N, idx, &s, &t);
        if (isnan(s) || isnan(t)) continue;
        bs[nb] = s;
        bt[nb++] = t;
    }
    if (nb >= 20) {
        qsort(bs, nb, sizeof *bs, cmp_double);
        qsort(bt, nb, sizeof *bt, cmp_double);
        e->s_lo = bs[(size_t)(0.025 * (double)nb)];
        e->s_hi = bs[(size_t)(0.975 * (double)(nb - 1))];
        e->t_lo = bt[(size_t)(0.025 * (double)nb)];
        e->t_hi = bt[(size_t)(0.975 * (double)(nb - 1))];
    }
out:
    gsl_rng_free(rng);
    free(idx);
    free(bs);
    free(bt);
}

/* The configuration of one row: x[0..k-1] as settings. */
static int sobol_config(study *s, const sens_options *o, const double *x,
                        study_config **out, char *err, size_t errlen) {
    char set[SENS_MAX_SOBOL][192];
    const char *sets[SENS_MAX_SOBOL];
    for (size_t i = 0; i < o->nrange; i++) {
        char v[64];
        study_value_text(o->range[i].kind, x[i], v, sizeof v);
        snprintf(set[i], sizeof set[i], "%s=%s", o->range[i].key, v);
        sets[i] = set[i];
    }
    return study_config_get(s, sets, o->nrange, out, err, errlen);
}

static double f_of(const study_config *c, int m) {
    double mean, ci;
    study_stat(c, -1, (world_metric)m, &mean, &ci);
    return mean;
}

/* Row j of the quasi-random sequence q gives A and B (the first and the
 * second k coordinates); its configurations go to c[j*(k+2) ..]: A, B, then
 * AB_i (A with input i from B) for each i. */
static int sobol_configs(study *s, const sens_options *o, gsl_qrng *q,
                         size_t N, study_config **c, char *err,
                         size_t errlen) {
    size_t k = o->nrange;
    double u[2 * SENS_MAX_SOBOL], xa[SENS_MAX_SOBOL], xb[SENS_MAX_SOBOL],
        xab[SENS_MAX_SOBOL];
    int rc = STUDY_OK;
    gsl_qrng_get(q, u); /* the first point is the corner 0: skipped */
    for (size_t j = 0; j < N && rc == STUDY_OK; j++) {
        gsl_qrng_get(q, u);
        for (size_t i = 0; i < k; i++) {
            xa[i] = at(&o->range[i], u[i]);
            xb[i] = at(&o->range[i], u[k + i]);
        }
        size_t b = j * (k + 2);
        rc = sobol_config(s, o, xa, &c[b], err, errlen);
        if (rc == STUDY_OK) rc = sobol_config(s, o, xb, &c[b + 1], err, errlen);
        for (size_t i = 0; i < k && rc == STUDY_OK; i++) {
            memcpy(xab, xa, k * sizeof *xab);
            xab[i] = xb[i];
            rc = sobol_config(s, o, xab, &c[b + 2 + i], err, errlen);
        }
    }
    return rc;
}

/* Runs the distinct configurations of c[0..nc) (rounding may make rows
 * coincide), the scenario's replications each; *nu: how many. */
static int sobol_run_distinct(study *s, study_config **c, size_t nc,
                              size_t *nu, char *err, size_t errlen) {
    study_config **uniq = calloc(nc, sizeof *uniq);
    if (!uniq) {
        snprintf(err, errlen, "out of memory");
        return STUDY_EIO;
    }
    for (size_t i = 0; i < nc; i++) {
        size_t j = 0;
        while (j < *nu && uniq[j] != c[i]) j++;
        if (j == *nu) uniq[(*nu)++] = c[i];
    }
    int rc = study_run(s, uniq, *nu, study_base(s)->run.reps, err, errlen);
    free(uniq);
    return rc;
}

/* The indices of every input from the metric of each configuration (fa,
 * fb: N values; fab: N per input). */
static void sobol_estimate(const study *s, const sens_options *o,
                           study_config *const *c, size_t N, double *fa,
                           double *fb, double *fab, sobol_est *e) {
    size_t k = o->nrange;
    for (size_t j = 0; j < N; j++) {
        size_t b = j * (k + 2);
        fa[j] = f_of(c[b], o->metric);
        fb[j] = f_of(c[b + 1], o->metric);
        for (size_t i = 0; i < k; i++)
            fab[i * N + j] = f_of(c[b + 2 + i], o->metric);
    }
    for (size_t i = 0; i < k; i++)
        sobol_indices(fa, fb, fab + i * N, N, study_base(s)->run.seed + i,
                      &e[i]);
}

/* The range texts of the stored rows (results_study_input points at them). */
typedef struct sobol_texts {
    char lo[SENS_MAX_SOBOL][64], hi[SENS_MAX_SOBOL][64];
} sobol_texts;

/* Input i's line of the text and its object of the JSON (r: its rank). */
static void sobol_write_input(FILE *ts, FILE *js, const sens_range *g,
                              const sobol_est *e, size_t r, const char *lo,
                              const char *hi) {
    char range[140], first[64], total[64];
    snprintf(range, sizeof range, "%s..%s%s", lo, hi, g->log ? " (log)" : "");
    snprintf(first, sizeof first, "%.3f [%.3f, %.3f]", e->s, e->s_lo,
             e->s_hi);
    snprintf(total, sizeof total, "%.3f [%.3f, %.3f]", e->t, e->t_lo,
             e->t_hi);
    fprintf(ts, "  %-30s %-24s %-28s %s\n", g->key, range, first, total);
    fprintf(js, "%s{\"key\": ", r ? ", " : "");
    output_json_string(js, g->key);
    fputs(", \"low\": ", js);
    output_json_number(js, g->lo);
    fputs(", \"high\": ", js);
    output_json_number(js, g->hi);
    fprintf(js, ", \"log\": %s, \"first_order\": {\"index\": ",
            g->log ? "true" : "false");
    output_json_number(js, e->s);
    fputs(", \"ci95\": [", js);
    output_json_number(js, e->s_lo);
    fputs(", ", js);
    output_json_number(js, e->s_hi);
    fputs("]}, \"total\": {\"index\": ", js);
    output_json_number(js, e->t);
    fputs(", \"ci95\": [", js);
    output_json_number(js, e->t_lo);
    fputs(", ", js);
    output_json_number(js, e->t_hi);
    fputs("]}}", js);
}

/* The answer as text (ts) and JSON (js), inputs ranked by total index, and
 * the rows to store (their texts in tx). */
static void sobol_write(study *s, const sens_options *o, const sobol_est *e,
                        size_t N, size_t nu, FILE *ts, FILE *js,
                        results_study_input *rows, sobol_texts *tx) {
    size_t k = o->nrange;
    size_t order[SENS_MAX_SOBOL];
    for (size_t i = 0; i < k; i++) order[i] = i;
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++)
            if (e[order[j]].t > e[order[i]].t) {
                size_t t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
    /* In the registry's words: "stale-read fraction", not its name. */
    const char *metric = world_metric_brief((world_metric)o->metric);
    uint64_t runs = (uint64_t)nu * study_base(s)->run.reps;
    fprintf(ts, "Sobol indices of %s over %zu inputs (%zu quasi-random rows "
            "x %zu configurations, %zu distinct, x %u replications = %llu "
            "runs; 95%% bootstrap intervals):\n", metric, k, N, k + 2, nu,
            study_base(s)->run.reps, (unsigned long long)runs);
    fprintf(ts, "  %-30s %-24s %-28s %s\n", "input", "range",
            "first order [95%]", "total [95%]");
    fprintf(js, "{\"stalesim\": \"%s\", \"command\": \"sensitivity\", "
            "\"method\": \"sobol\", \"scenario\": ", STALESIM_VERSION);
    output_json_string(js, o->scenario_file);
    fprintf(js, ", \"metric\": \"%s\", \"samples\": %zu, \"runs\": %llu, "
            "\"inputs\": [", metric, N, (unsigned long long)runs);
    for (size_t r = 0; r < k; r++) {
        size_t i = order[r];
        const sens_range *g = &o->range[i];
        study_value_text(g->kind, g->lo, tx->lo[r], sizeof tx->lo[r]);
        study_value_text(g->kind, g->hi, tx->hi[r], sizeof tx->hi[r]);
        sobol_write_input(ts, js, g, &e[i], r, tx->lo[r], tx->hi[r]);
        rows[r] = (results_study_input){"sobol", g->key, tx->lo[r], "",
                                        tx->hi[r], NAN, NAN, NAN, e[i].s,
                                        (e[i].s_hi - e[i].s_lo) / 2, e[i].t,
                                        (e[i].t_hi - e[i].t_lo) / 2, runs};
    }
    fprintf(ts, "  (%llu replications run, %llu found stored; seed %llu; "
            "first order: Saltelli 2010, total: Jansen 1999; an index's "
            "interval is wide when N is small: raise --samples)\n",
            (unsigned long long)study_runs_computed(s),
            (unsigned long long)study_runs_loaded(s),
            (unsigned long long)study_base(s)->run.seed);
    fprintf(js, "], \"reps\": %u, \"runs_computed\": %llu, \"stored_before\": "
            "%llu, \"seed\": %llu}\n", study_base(s)->run.reps,
            (unsigned long long)study_runs_computed(s),
            (unsigned long long)study_runs_loaded(s),
            (unsigned long long)study_base(s)->run.seed);
}

int sensitivity_sobol(study *s, const sens_options *o) {
    size_t k = o->nrange, N = o->samples, nc = N * (k + 2);
    study_config **c = calloc(nc, sizeof *c);
    double *fa = calloc(N, sizeof *fa), *fb = calloc(N, sizeof *fb),
           *fab = calloc(N * k, sizeof *fab);
    sobol_est *e = calloc(k, sizeof *e);
    results_study_input *rows = calloc(k, sizeof *rows);
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)(2 * k));
    char err[1024], *text = NULL, *json = NULL;
    size_t tlen, jlen;
    int code = CLI_EXIT_RUNTIME, rc;
    size_t nu = 0; /* distinct configurations */
    if (!c || !fa || !fb || !fab || !e || !rows || !q) {
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    rc = sobol_configs(s, o, q, N, c, err, sizeof err);
    if (rc == STUDY_OK) rc = sobol_run_distinct(s, c, nc, &nu, err, sizeof err);
    if (rc != STUDY_OK) {
        code = cli_fail(rc == STUDY_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s",
                        err);
        goto out;
    }
    sobol_estimate(s, o, c, N, fa, fb, fab, e);
    FILE *ts = open_memstream(&text, &tlen), *js = open_memstream(&json, &jlen);
    if (!ts || !js) {
        if (ts) fclose(ts);
        if (js) fclose(js);
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    sobol_texts tx;
    sobol_write(s, o, e, N, nu, ts, js, rows, &tx);
    if (fclose(ts) != 0 || fclose(js) != 0) {
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    code = finish(s, o, text, json, rows, k);
out:
    gsl_qrng_free(q);
    free(text);
    free(json);
    free(rows);
    free(e);
    free(fa);
    free(fb);
    free(fab);
    free(c);
    return code;
}
