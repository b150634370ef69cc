/* `stalesim tune --choose KEY=LIST ...`: the cheapest alternative that
 * meets the contract.
 *
 * The alternatives are the points of a grid (the --vary syntax of sweeps,
 * experiments/grid.h), each judged on replications 0..n-1 (common random
 * numbers: the same streams for every alternative) by check's rule: met
 * when the one-sided 95% upper bound of every clause is within its
 * allowance.  An alternative met on the mean but not with 95% confidence
 * gets more replications (n doubled, up to --max-reps) until it is met or
 * violated, or stays "not demonstrated" at the cap.  Among those that meet,
 * the answer minimises the mean of --minimize (default db_reads_per_s); the
 * runner-up is the next, and the difference between the two is given with
 * its 95% interval over paired replications.  With key families the same is
 * done for each family on its own figures and against its own contract. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "experiments/cli.h"
#include "experiments/shell.h"
#include "experiments/tune.h"
#include "experiments/version.h"
#include "sim/stats.h"

typedef struct alt {
    study_config *c;
    char label[512];
    study_verdict v[1 + SCENARIO_MAX_FAMILIES]; /* [0] all, [1+f] family f */
} alt;

/* The ranking of one scope: indices of the met alternatives by cost. */
typedef struct ranking {
    int best, second; /* -1: none */
} ranking;

typedef struct chooser {
    study *s;
    const tune_options *o;
    alt *a;
    size_t n;
    int nfam;
} chooser;

static double cost(const chooser *ch, size_t i, int fam) {
    double mean, ci;
    study_stat(ch->a[i].c, fam, (world_metric)ch->o->minimize, &mean, &ci);
    return mean;
}

static ranking rank_scope(const chooser *ch, int scope) {
    ranking r = {-1, -1};
    for (size_t i = 0; i < ch->n; i++) {
        if (ch->a[i].v[scope + 1].state != STUDY_MET) continue;
        double x = cost(ch, i, scope);
        if (r.best < 0 || x < cost(ch, (size_t)r.best, scope)) {
            r.second = r.best;
            r.best = (int)i;
        } else if (r.second < 0 || x < cost(ch, (size_t)r.second, scope)) {
            r.second = (int)i;
        }
    }
    return r;
}

/* The mean difference cost(b) - cost(a) over their common replications and
 * its 95% half-width (paired: common random numbers). */
static void paired(const chooser *ch, int a, int b, int fam, double *d,
                   double *h) {
    const study_config *x = ch->a[a].c, *y = ch->a[b].c;
    uint32_t n = x->n < y->n ? x->n : y->n;
    double *diff = malloc((n ? n : 1) * sizeof *diff);
    *d = *h = NAN;
    if (!diff || n == 0) {
        free(diff);
        return;
    }
    int m = ch->o->minimize;
    for (uint32_t r = 0; r < n; r++)
        diff[r] = fam < 0 ? y->value[m][r] - x->value[m][r]
                          : y->fvalue[fam][m][r] - x->fvalue[fam][m][r];
    *d = gsl_stats_mean(diff, 1, n);
    *h = n >= 2 ? sim_ci95(diff, n) : NAN;
    free(diff);
}

static const char *verdict_word(study_state s) {
    return s == STUDY_MET ? "meets" : s == STUDY_VIOLATED ? "violated"
                                                          : "not demonstrated";
}

static void json_alt(FILE *out, const chooser *ch, int i, int scope) {
    if (i < 0) {
        fputs("null", out);
        return;
    }
    const alt *x = &ch->a[i];
    const grid *g = ch->o->choose;
    fputs("{\"settings\": {", out);
    for (size_t k = 0; k < g->naxes; k++) {
        fprintf(out, "%s", k ? ", " : "");
        output_json_string(out, g->axis[k].key);
        fputs(": ", out);
        output_json_string(out, grid_value(g, (size_t)i, k));
    }
    fputs("}, \"label\": ", out);
    output_json_string(out, x->label);
    fprintf(out, ", \"reps\": %u, \"verdict\": ", x->c->n);
    output_json_string(out, verdict_word(x->v[scope + 1].state));
    fputs(", \"why\": ", out);
    output_json_string(out, x->v[scope + 1].why);
    double mean, ci;
    study_stat(x->c, scope, (world_metric)ch->o->minimize, &mean, &ci);
    fputs(", \"cost\": {\"mean\": ", out);
    output_json_number(out, mean);
    fputs(", \"ci95\": ", out);
    output_json_number(out, ci);
    fputs("}}", out);
}

static void json_scope(FILE *out, const chooser *ch, int scope) {
    ranking r = rank_scope(ch, scope);
    fputs("\"answer\": ", out);
    json_alt(out, ch, r.best, scope);
    fputs(", \"runner_up\": ", out);
    json_alt(out, ch, r.second, scope);
    if (r.best >= 0 && r.second >= 0) {
        double d, h;
        paired(ch, r.best, r.second, scope, &d, &h);
        fputs(", \"runner_up_costs_more\": {\"mean\": ", out);
        output_json_number(out, d);
        fputs(", \"ci95\": ", out);
        output_json_number(out, h);
        fputs("}", out);
    }
}

static void write_json(FILE *out, const chooser *ch) {
    const tune_options *o = ch->o;
    fprintf(out, "{\"stalesim\": \"%s\", \"command\": \"tune\", \"mode\": "
            "\"choose\", \"scenario\": ", STALESIM_VERSION);
    output_json_string(out, o->scenario_file);
    fprintf(out, ", \"minimize\": \"%s\", ",
            world_metric_name((world_metric)o->minimize));
    json_scope(out, ch, STUDY_SCOPE_ALL);
    fputs(", \"alternatives\": [", out);
    for (size_t i = 0; i < ch->n; i++) {
        fprintf(out, "%s", i ? ", " : "");
        json_alt(out, ch, (int)i, STUDY_SCOPE_ALL);
    }
    fputs("], \"families\": [", out);
    for (int f = 0; f < ch->nfam; f++) {
        fprintf(out, "%s{\"family\": ", f ? ", " : "");
        output_json_string(out,
                           study_base(ch->s)->families.family[f].name);
        fputs(", ", out);
        json_scope(out, ch, f);
        fputs("}", out);
    }
    fprintf(out, "], \"runs\": {\"computed\": %llu, \"stored_before\": %llu}, "
            "\"seed\": %llu}\n",
            (unsigned long long)study_runs_computed(ch->s),
            (unsigned long long)study_runs_loaded(ch->s),
            (unsigned long long)study_base(ch->s)->run.seed);
}

/* "answer" and "runner-up" lines of one scope. */
static void text_scope(FILE *out, const chooser *ch, int scope,
                       const char *indent) {
    ranking r = rank_scope(ch, scope);
    const char *metric = world_metric_name((world_metric)ch->o->minimize);
    char c1[96], c2[96];
    if (r.best < 0) {
        fprintf(out, "%sno alternative meets the contract with 95%% "
                "confidence\n", indent);
        return;
    }
    const alt *b = &ch->a[r.best];
    tune_fmt_metric(c1, sizeof c1, b->c, scope, ch->o->minimize);
    fprintf(out, "%sanswer: %s: %s %s; meets (%s; %u replications)\n", indent,
            b->label, metric, c1, b->v[scope + 1].why, b->c->n);
    if (r.second < 0) {
        fprintf(out, "%srunner-up: none (no other alternative meets it)\n",
                indent);
        return;
    }
    const alt *s = &ch->a[r.second];
    tune_fmt_metric(c2, sizeof c2, s->c, scope, ch->o->minimize);
    double d, h;
    paired(ch, r.best, r.second, scope, &d, &h);
    if (d == 0 && h == 0)
        fprintf(out, "%srunner-up: %s: %s %s (the same cost on every "
                "replication: a tie, the first listed is named)\n", indent,
                s->label, metric, c2);
    else
        fprintf(out, "%srunner-up: %s: %s %s (costs %.3g +- %.2g more, "
                "paired 95%%)\n", indent, s->label, metric, c2, d, h);
}

static void write_text(FILE *out, const chooser *ch) {
    const tune_options *o = ch->o;
    const char *metric = world_metric_name((world_metric)o->minimize);
    fprintf(out, "tune --choose: the cheapest of %zu alternatives (minimize "
            "%s) that meets the contract as `check` judges it\n", ch->n,
            metric);
    text_scope(out, ch, STUDY_SCOPE_ALL, "  ");
    fprintf(out, "  alternatives:\n");
    for (size_t i = 0; i < ch->n; i++) {
        const alt *x = &ch->a[i];
        char c[96];
        tune_fmt_metric(c, sizeof c, x->c, -1, o->minimize);
        fprintf(out, "    %-48s %4u reps  %s %-20s %-16s %s\n", x->label,
                x->c->n, metric, c, verdict_word(x->v[0].state), x->v[0].why);
    }
    for (int f = 0; f < ch->nfam; f++) {
        fprintf(out, "  family %s (its own contract and figures):\n",
                study_base(ch->s)->families.family[f].name);
        text_scope(out, ch, f, "    ");
    }
    ranking r = rank_scope(ch, STUDY_SCOPE_ALL);
    if (r.best >= 0) {
        const grid *g = o->choose;
        char set[16][512];
        const char *sets[16];
        for (size_t k = 0; k < g->naxes && k < 16; k++) {
            snprintf(set[k], sizeof set[k], "%s=%s", g->axis[k].key,
                     grid_value(g, (size_t)r.best, k));
            sets[k] = set[k];
        }
        tune_confirm_line(out, o, sets, g->naxes, ch->a[r.best].c->n);
    }
    fprintf(out, "  (%llu replications run, %llu found stored; seed %llu; "
            "common random numbers across alternatives)\n",
            (unsigned long long)study_runs_computed(ch->s),
            (unsigned long long)study_runs_loaded(ch->s),
            (unsigned long long)study_base(ch->s)->run.seed);
}

static void judge_all(chooser *ch) {
    for (size_t i = 0; i < ch->n; i++) {
        study_check(ch->a[i].c, STUDY_SCOPE_ALL, &ch->a[i].v[0]);
        for (int f = 0; f < ch->nfam; f++)
            study_check(ch->a[i].c, f, &ch->a[i].v[f + 1]);
    }
}

static int undecided(const alt *a, int nfam) {
    for (int k = 0; k <= nfam; k++)
        if (a->v[k].state == STUDY_UNDECIDED) return 1;
    return 0;
}

int tune_choose(study *s, const tune_options *o) {
    const grid *g = o->choose;
    chooser ch = {s, o, NULL, g->npoints, study_base(s)->families.n};
    study_config **batch = NULL;
    char err[1024], *text = NULL, *json = NULL;
    size_t tlen = 0, jlen = 0;
    int code = CLI_EXIT_RUNTIME;
    ch.a = calloc(ch.n, sizeof *ch.a);
    batch = calloc(ch.n, sizeof *batch);
    if (!ch.a || !batch) {
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < ch.n; i++) {
        char set[16][512];
        const char *sets[16];
        size_t ns = 0;
        for (size_t k = 0; k < g->naxes && k < 16; k++) {
            snprintf(set[k], sizeof set[k], "%s=%s", g->axis[k].key,
                     grid_value(g, i, k));
            sets[ns++] = set[k];
        }
        grid_point_label(g, i, ch.a[i].label, sizeof ch.a[i].label);
        int rc = study_config_get(s, sets, ns, &ch.a[i].c, err, sizeof err);
        if (rc != STUDY_OK) {
            code = cli_fail(rc == STUDY_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME,
                            "--choose: %s", err);
            goto out;
        }
    }
    /* Every alternative at the first look, then more replications for the
     * ones not yet decided, all of a look in one parallel batch. */
    for (uint32_t n = o->reps;; n = n * 2 < o->max_reps ? n * 2 : o->max_reps) {
        size_t nb = 0;
        for (size_t i = 0; i < ch.n; i++)
            if (n == o->reps || undecided(&ch.a[i], ch.nfam))
                batch[nb++] = ch.a[i].c;
        int rc = study_run(s, batch, nb, n, err, sizeof err);
        if (rc != STUDY_OK) {
            code = cli_fail(rc == STUDY_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME,
                            "%s", err);
            goto out;
        }
        judge_all(&ch);
        int more = 0;
        for (size_t i = 0; i < ch.n; i++) more |= undecided(&ch.a[i], ch.nfam);
        if (!more || n >= o->max_reps) break;
    }
    FILE *ts = open_memstream(&text, &tlen), *js = open_memstream(&json, &jlen);
    if (!ts || !js) {
        if (ts) fclose(ts);
        if (js) fclose(js);
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    write_text(ts, &ch);
    write_json(js, &ch);
    if (fclose(ts) != 0 || fclose(js) != 0) {
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    if (study_finish(s, text, json, NULL, 0, err, sizeof err) != STUDY_OK) {
        code = cli_fail(CLI_EXIT_RUNTIME, "%s", err);
        goto out;
    }
    fputs(o->format == OUTPUT_FORMAT_JSON ? json : text, stdout);
    if (fflush(stdout) != 0) {
        code = cli_fail(CLI_EXIT_RUNTIME, "writing the answer failed");
        goto out;
    }
    /* No alternative meets the whole contract: the answer is "none", exit 1
     * as check does for a contract not met. */
    code = rank_scope(&ch, STUDY_SCOPE_ALL).best >= 0 ? CLI_EXIT_OK
                                                      : CLI_EXIT_VIOLATED;
out:
    free(text);
    free(json);
    free(batch);
    free(ch.a);
    return code;
}
