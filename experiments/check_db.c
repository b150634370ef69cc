/* `stalesim check --db`: the contract judged on the runs a sweep stored,
 * instead of simulating them again (check.h).
 *
 * A configuration is one point of an experiment: the stored scenario text,
 * the stored --set overrides and the point's values, rebuilt as the sweep
 * built it (results_point_scenario).  Its stored replications are pooled in
 * replication order with run_summary_add, exactly as `check` pools fresh
 * ones, so the same scenario and seed give the same verdict and numbers.
 *
 * Only the contract may change (--set contract.KEY=V, family.NAME.contract.
 * KEY=V): its quantile and allowances are thresholds applied to stored
 * values, but the fraction of reads staler than max_staleness was measured
 * against the bound the runs had, so another max_staleness is a metric the
 * database lacks (exit 2, saying how to get it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/check.h"
#include "experiments/plotdata.h"
#include "experiments/results.h"
#include "experiments/run.h"
#include "models/scenario.h"

/* ---- choosing configurations ------------------------------------------------------ */

/* "cache.ttl=60s cache.pattern=cache-aside", or a phrase without keys. */
static void config_label(const results_experiment *e, size_t p, char *buf,
                         size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    if (e->nkeys == 0) {
        snprintf(buf, len, "the stored scenario (nothing varied)");
        return;
    }
    for (size_t k = 0; k < e->nkeys && used < len; k++) {
        int n = snprintf(buf + used, len - used, "%s%s=%s", k ? " " : "",
                         e->key[k], e->point[p].value[k]);
        if (n < 0) break;
        used += (size_t)n;
    }
}

/* The distinct values of key k among the points in sel[0..n-1] (all points
 * when sel is NULL): "5s, 60s". */
static void key_values(const results_experiment *e, size_t k,
                       const size_t *sel, size_t n, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++) {
        const char *v = e->point[sel ? sel[i] : i].value[k];
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(e->point[sel ? sel[j] : j].value[k], v) == 0;
        if (seen) continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", v);
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* The varied keys of e with the values the selection holds:
 * "cache.pattern: cache-aside, ttl-only; cache.ttl: 5s, 60s". */
static void keys_and_values(const results_experiment *e, const size_t *sel,
                            size_t n, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < e->nkeys && used < len; k++) {
        char vals[512];
        key_values(e, k, sel, n, vals, sizeof vals);
        int w = snprintf(buf + used, len - used, "%s%s: %s", k ? "; " : "",
                         e->key[k], vals);
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* Checks one --where condition: KEY=VALUE[,VALUE...] with KEY a varied key
 * of e that some point has the value of.  Its key index into *key, or
 * CLI_EXIT_INPUT after the error. */
static int where_key(const results_experiment *e, const char *cond,
                     size_t *key) {
    const char *eq = strchr(cond, '=');
    if (!eq || eq == cond || !eq[1])
        return cli_fail(CLI_EXIT_INPUT, "--where '%s': expected KEY=VALUE, e.g. "
                        "cache.ttl=30s", cond);
    size_t k = 0, len = (size_t)(eq - cond);
    while (k < e->nkeys &&
           !(strlen(e->key[k]) == len && strncmp(e->key[k], cond, len) == 0))
        k++;
    if (k == e->nkeys) {
        char keys[1024] = "";
        size_t used = 0;
        for (size_t j = 0; j < e->nkeys && used < sizeof keys; j++) {
            int w = snprintf(keys + used, sizeof keys - used, "%s%s",
                             j ? ", " : "", e->key[j]);
            if (w > 0) used += (size_t)w;
        }
        return cli_fail(CLI_EXIT_INPUT, "--where '%s': not a varied key of "
                        "experiment %lld (varied: %s)", cond,
                        (long long)e->id, e->nkeys ? keys : "none");
    }
    size_t p = 0;
    while (p < e->npoints && !plot_value_matches(e->point[p].value[k], eq + 1))
        p++;
    if (p == e->npoints) {
        char vals[1024];
        key_values(e, k, NULL, e->npoints, vals, sizeof vals);
        return cli_fail(CLI_EXIT_INPUT, "--where '%s': no configuration of "
                        "experiment %lld has %s = %s (its values: %s)", cond,
                        (long long)e->id, e->key[k], eq + 1, vals);
    }
    *key = k;
    return CLI_EXIT_OK;
}

/* The points every --where condition keeps, into sel (e->npoints long) and
 * *n; CLI_EXIT_INPUT after the error when none is kept, or several without
 * --each. */
static int select_points(const results_experiment *e,
                         const check_db_request *q, size_t *sel, size_t *n) {
    size_t key[16];
    if (q->nwhere > sizeof key / sizeof *key)
        return cli_fail(CLI_EXIT_INPUT, "--where: at most %zu",
                        sizeof key / sizeof *key);
    for (size_t w = 0; w < q->nwhere; w++)
        if (where_key(e, q->where[w], &key[w]) != CLI_EXIT_OK) return CLI_EXIT_INPUT;
    *n = 0;
    for (size_t p = 0; p < e->npoints; p++) {
        size_t w = 0;
        while (w < q->nwhere &&
               plot_value_matches(e->point[p].value[key[w]],
                                  strchr(q->where[w], '=') + 1))
            w++;
        if (w == q->nwhere) sel[(*n)++] = p;
    }
    if (*n == 0)
        return cli_fail(CLI_EXIT_INPUT, "--where: no configuration of experiment "
                        "%lld matches every condition", (long long)e->id);
    if (*n > 1 && !q->each) {
        /* The example: the first key on which the matches differ. */
        size_t k = 0;
        while (k + 1 < e->nkeys &&
               strcmp(e->point[sel[0]].value[k], e->point[sel[1]].value[k]) ==
                   0)
            k++;
        char kv[2048];
        keys_and_values(e, sel, *n, kv, sizeof kv);
        return cli_fail(CLI_EXIT_INPUT, "check --db: %zu configurations of "
                        "experiment %lld match (%s): choose one with --where "
                        "KEY=VALUE (e.g. --where %s=%s), or add --each for a "
                        "verdict per configuration", *n, (long long)e->id, kv,
                        e->key[k], e->point[sel[0]].value[k]);
    }
    return CLI_EXIT_OK;
}

/* ---- the contract given on the command line --------------------------------------- */

/* 1 if "KEY=VALUE" sets a contract key: contract.K or family.NAME.contract.K. */
static int contract_key(const char *text) {
    if (strncmp(text, "contract.", 9) == 0) return 1;
    if (strncmp(text, "family.", 7) != 0) return 0;
    const char *dot = strchr(text + 7, '.');
    return dot && strncmp(dot + 1, "contract.", 9) == 0;
}

/* Refuses every override but --set of a contract key (CLI_EXIT_INPUT). */
static int only_contract(const cli_overrides *sets) {
    for (int i = 0; i < sets->n; i++) {
        const cli_override *o = &sets->item[i];
        if (strcmp(o->flag, "--set") != 0)
            return cli_fail(CLI_EXIT_INPUT, "check --db: %s does not apply: the "
                            "stored replications are judged as they are "
                            "(sweep again with %s for others)", o->flag,
                            o->flag);
        if (!contract_key(o->text))
            return cli_fail(CLI_EXIT_INPUT, "check --db: --set %s: only contract "
                            "keys may change (contract.KEY, family.NAME."
                            "contract.KEY); the rest is the stored "
                            "configuration: choose it with --where", o->text);
    }
    return CLI_EXIT_OK;
}

/* The max_staleness of the totals (f = -1) or of family f's view. */
static int bound_of(const scenario *sc, int f, sim_time *out) {
    if (f < 0) {
        *out = sc->contract.max_staleness;
        return 0;
    }
    scenario view;
    char err[512];
    if (scenario_family_view(sc, f, &view, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    *out = view.contract.max_staleness;
    scenario_fini(&view);
    return 0;
}

/* Applies the contract overrides to the stored configuration `sc`; refuses
 * a max_staleness other than the one its runs measured against. */
static int apply_contract(scenario *sc, const cli_overrides *sets,
                          const char *label) {
    int nf = sc->families.n;
    sim_time before[SCENARIO_MAX_FAMILIES + 1], after;
    for (int f = -1; f < nf; f++)
        if (bound_of(sc, f, &before[f + 1]) != 0) return CLI_EXIT_INPUT;
    char err[1024];
    for (int i = 0; i < sets->n; i++)
        if (scenario_set(sc, sets->item[i].text, err, sizeof err) != 0)
            return cli_fail(CLI_EXIT_INPUT, "--set %s: %s", sets->item[i].text,
                            err);
    if (scenario_validate(sc, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    for (int f = -1; f < nf; f++) {
        if (bound_of(sc, f, &after) != 0) return CLI_EXIT_INPUT;
        if (after == before[f + 1]) continue;
        char who[64] = "";
        if (f >= 0)
            snprintf(who, sizeof who, "family %s: ",
                     sc->families.family[f].name);
        return cli_fail(CLI_EXIT_INPUT, "check --db: %scontract.max_staleness "
                        "%.6g s: the database lacks the fraction of reads "
                        "staler than that (over_max_staleness_fraction was "
                        "measured against %.6g s in %s); sweep again with that "
                        "--set to measure it", who,
                        sim_time_to_s(after), sim_time_to_s(before[f + 1]),
                        label);
    }
    return CLI_EXIT_OK;
}

/* ---- pooling the stored runs -------------------------------------------------------- */

typedef struct pooled {
    run_summary *sum;
    uint32_t cap, n; /* replications allocated, pooled */
    uint32_t rep[2]; /* the replication numbers of the first two pooled */
    int too_many;
    int mixed;       /* runs of different boosts (a damaged database) */
} pooled;

static int pool_run(void *arg, uint32_t rep, const world_result *res) {
    pooled *p = arg;
    if (p->n == p->cap) {
        p->too_many = 1;
        return 1;
    }
    if (p->n < 2) p->rep[p->n] = rep;
    /* A sweep --rare stores weighted runs with their boost (0: plain); the
     * summary says so, as run_scenario's does under --rare. */
    if (p->n == 0) p->sum->rare_boost = res->rare_boost;
    if (res->rare_boost != p->sum->rare_boost) {
        p->mixed = 1;
        return 1;
    }
    run_summary_add(p->sum, p->n++, res);
    return 0;
}

/* The first replication whose metric m is NULL (-1: none). */
static long missing_metric(const run_summary *s, world_metric m) {
    for (uint32_t r = 0; r < s->reps; r++) {
        if (isnan(s->value[m][r])) return (long)r;
        for (int f = 0; f < s->nfamilies; f++)
            if (isnan(s->family_value[f][m][r])) return (long)r;
    }
    return -1;
}

/* Refuses a summary missing a metric a clause needs (CLI_EXIT_INPUT). */
static int needed_metrics(const run_summary *s, const char *label) {
    static const struct {
        world_metric m;
        const char *clause;
    } need[] = {{WORLD_METRIC_READS, "both clauses"},
                {WORLD_METRIC_OVER_MAX_STALENESS_FRACTION, "the staleness clause"},
                {WORLD_METRIC_STALE_READ_FRACTION, "the stale-fraction clause"}};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
        long r = missing_metric(s, need[i].m);
        if (r >= 0)
            return cli_fail(CLI_EXIT_INPUT, "check --db: %s: the database lacks "
                            "%s for a stored replication (the %ld-th pooled; "
                            "stored by a stalesim that did not measure it), "
                            "which %s needs; sweep again into a new --db",
                            label, world_metric_name(need[i].m), r + 1,
                            need[i].clause);
    }
    return CLI_EXIT_OK;
}

/* The stored runs of point p pooled into *out (NULL on error, after the
 * message; the exit code in *code). */
static run_summary *pool_point(results *r, const results_experiment *e,
                               size_t p, const scenario *sc, const char *label,
                               int *code) {
    char err[1024];
    uint32_t cap = e->point[p].reps_done;
    pooled pl = {run_summary_create(cap, sc->families.n), cap, 0, {0, 0}, 0, 0};
    if (!pl.sum) {
        *code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        return NULL;
    }
    int rc = results_each_run(r, e->point[p].id, pool_run, &pl, err,
                              sizeof err);
    if (rc == RESULTS_OK && pl.mixed) {
        *code = cli_fail(CLI_EXIT_INPUT, "%s: %s holds runs of different "
                         "rare-event boosts (a damaged database)",
                         results_path(r), label);
        run_summary_destroy(pl.sum);
        return NULL;
    }
    if (rc != RESULTS_OK || pl.too_many) {
        *code = pl.too_many
                    ? cli_fail(CLI_EXIT_INPUT, "%s: %s holds more runs than its "
                               "points.reps_done says (a damaged database)",
                               results_path(r), label)
                    : cli_fail(rc == RESULTS_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME,
                               "%s", err);
        run_summary_destroy(pl.sum);
        return NULL;
    }
    pl.sum->reps = pl.n;
    pl.sum->seed = sc->run.seed;
    pl.sum->warmup = sc->run.warmup;
    if (pl.n < 2) {
        *code = cli_fail(CLI_EXIT_INPUT, "check --db: %s has %u stored "
                         "replication%s; check needs at least 2 to bound the "
                         "contract with 95%% confidence (sweep again with "
                         "--reps 10)", label, pl.n, pl.n == 1 ? "" : "s");
        run_summary_destroy(pl.sum);
        return NULL;
    }
    if ((*code = needed_metrics(pl.sum, label)) != CLI_EXIT_OK) {
        run_summary_destroy(pl.sum);
        return NULL;
    }
    return pl.sum;
}

/* ---- one configuration ---------------------------------------------------------------- */

static int judge_point(results *r, const results_experiment *e, size_t p,
                       const check_db_request *q) {
    char label[2048], err[1024];
    config_label(e, p, label, sizeof label);
    scenario sc;
    run_summary *sum = NULL;
    int code = results_point_scenario(e->scenario_file, e->scenario_text,
                                      e->overrides, e->nkeys, e->key,
                                      e->point[p].value, &sc, err, sizeof err);
    if (code != RESULTS_OK) {
        code = cli_fail(code == RESULTS_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME,
                        "%s: experiment %lld, %s: %s", results_path(r),
                        (long long)e->id, label, err);
        goto out;
    }
    /* A sweep runs [run] warmup = auto without a warm-up (no pilot). */
    int auto_warmup = sc.run.warmup_auto;
    sc.run.warmup_auto = 0;
    if ((code = apply_contract(&sc, q->sets, label)) != CLI_EXIT_OK) goto out;
    if (!(sum = pool_point(r, e, p, &sc, label, &code))) goto out;
    int known = 0;
    if (results_point_over_causes(r, e->point[p].id, &known, err,
                                  sizeof err) != RESULTS_OK) {
        code = cli_fail(CLI_EXIT_RUNTIME, "%s", err);
        goto out;
    }
    printf("check --db %s: experiment %lld, %s: %u of %u replications "
           "stored%s%s",
           results_path(r), (long long)e->id, label, sum->reps,
           e->point[p].reps_target,
           sum->reps < e->point[p].reps_target ? " (an unfinished sweep: "
                                                 "judged on those stored)"
                                               : "",
           auto_warmup ? "; [run] warmup = auto: the sweep counted every read "
                         "(no warm-up)"
                       : "");
    if (sum->rare_boost > 0)
        printf("; rare-event weighted (sweep --rare, boost %.4g)",
               sum->rare_boost);
    printf("\n");
    run_warn_short(&sc, sum, stderr);
    sc.rare_boost = sum->rare_boost; /* stored by sweep --rare, else 0 */
    run_warn_rare(&sc, sum, stderr);
    check_input in = {&sc, sum, known};
    code = check_print_verdict(&in);
out:
    run_summary_destroy(sum);
    scenario_fini(&sc);
    return code;
}

/* ---- the command ------------------------------------------------------------------------ */

int check_db(const check_db_request *q) {
    char err[1024];
    results *r = NULL;
    results_experiment e;
    memset(&e, 0, sizeof e);
    size_t *sel = NULL, n = 0;
    int code = only_contract(q->sets);
    if (code != CLI_EXIT_OK) return code;
    int rc = results_open(&r, q->db, 1, err, sizeof err);
    if (rc == RESULTS_OK)
        rc = results_experiment_load(r, q->experiment, &e, err, sizeof err);
    if (rc == RESULTS_OK) rc = results_experiment_texts(r, &e, err, sizeof err);
    if (rc != RESULTS_OK) {
        code = cli_fail(rc == RESULTS_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s",
                        err);
        goto out;
    }
    if (!(sel = calloc(e.npoints + 1, sizeof *sel))) {
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    if ((code = select_points(&e, q, sel, &n)) != CLI_EXIT_OK) goto out;
    for (size_t i = 0; i < n; i++) {
        if (i) printf("\n");
        int c = judge_point(r, &e, sel[i], q);
        if (c > code) code = c;
        if (c >= CLI_EXIT_INPUT) break;
    }
out:
    free(sel);
    results_experiment_fini(&e);
    results_close(r);
    return code;
}
