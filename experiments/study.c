/* Studies: configurations of one scenario on common random numbers, stored
 * and resumable (see study.h). */
#include "experiments/study.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "experiments/run.h"
#include "experiments/version.h"
#include "experiments/transport.h"
#include "models/workload.h"
#include "sim/errf.h"
#include "sim/stats.h"

struct study {
    scenario base;
    results *db;    /* NULL: nothing stored */
    int64_t id;
    int resumed;
    int jobs;
    study_config **config;
    size_t nconfigs;
    uint64_t computed, loaded;
};

/* ---- values ------------------------------------------------------------------ */

int study_key_index(const char *key) {
    if (strncmp(key, "family.", 7) == 0) {
        const char *dot = strchr(key + 7, '.');
        if (!dot) return -1;
        key = dot + 1;
    }
    const char *dot = strchr(key, '.');
    if (!dot) return -1;
    size_t slen = (size_t)(dot - key);
    for (size_t i = 0; i < scenario_key_count(); i++) {
        const char *sec = scenario_key_section(i);
        if (strlen(sec) == slen && strncmp(sec, key, slen) == 0 &&
            strcmp(scenario_key_name(i), dot + 1) == 0)
            return (int)i;
    }
    return -1;
}

double study_value_number(scenario_num_kind k, const char *text) {
    char err[128];
    switch (k) {
    case SCENARIO_NUM_DURATION: {
        sim_time t;
        if (sim_duration_parse(text, &t, err, sizeof err) != 0) return NAN;
        return sim_time_to_s(t);
    }
    case SCENARIO_NUM_RATE: {
        double r;
        if (sim_rate_parse(text, &r, err, sizeof err) != 0) return NAN;
        return r;
    }
    case SCENARIO_NUM_PROB:
    case SCENARIO_NUM_FRACTION:
    case SCENARIO_NUM_COUNT:
    case SCENARIO_NUM_COUNT1: {
        char *end;
        double x = strtod(text, &end);
        while (*end == ' ') end++;
        return end != text && !*end && isfinite(x) ? x : NAN;
    }
    default:
        return NAN;
    }
}

/* x rounded to 4 significant digits. */
static double round4(double x) {
    if (!(x != 0) || !isfinite(x)) return x;
    char buf[64];
    snprintf(buf, sizeof buf, "%.4g", x);
    return strtod(buf, NULL);
}

void study_value_text(scenario_num_kind k, double x, char *buf, size_t len) {
    switch (k) {
    case SCENARIO_NUM_DURATION: {
        double ns = round4(x * 1e9);
        sim_duration_format((sim_time)llround(ns), buf, len);
        break;
    }
    case SCENARIO_NUM_RATE:
        snprintf(buf, len, "%.4g/s", x);
        break;
    case SCENARIO_NUM_COUNT:
    case SCENARIO_NUM_COUNT1:
        snprintf(buf, len, "%.0f", round(x));
        break;
    default:
        snprintf(buf, len, "%.4g", x);
        break;
    }
}

int study_metric_parse(const char *name) {
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        if (strcmp(name, world_metric_name((world_metric)m)) == 0) return m;
    return -1;
}

/* ---- the study --------------------------------------------------------------- */

int study_open(study **out, const scenario *base, const study_options *o,
               char *err, size_t errlen) {
    *out = NULL;
    if (base->run.warmup_auto) {
        sim_errf(err, errlen, "%s: key 'warmup': %s cannot use [run] warmup = "
                 "auto (every configuration must count reads from the same "
                 "moment); give a duration, e.g. --set run.warmup=5m",
                 base->path, o->kind);
        return STUDY_EINPUT;
    }
    study *s = calloc(1, sizeof *s);
    if (!s || scenario_copy(&s->base, base) != 0) {
        free(s);
        sim_errf(err, errlen, "out of memory");
        return STUDY_EIO;
    }
    s->jobs = o->jobs > 0 ? o->jobs : 1;
    if (o->db_path) {
        int rc = results_open(&s->db, o->db_path, 0, err, errlen);
        if (rc != RESULTS_OK) {
            study_close(s);
            return rc == RESULTS_EINPUT ? STUDY_EINPUT : STUDY_EIO;
        }
        /* The identity: the kind, the scenario text, the overrides and the
         * options, all in the spec text. */
        rc = results_study_open(s->db, o->kind, o->spec,
                                o->scenario_file ? o->scenario_file
                                                 : "(built-in default)",
                                o->command_line ? o->command_line : "",
                                &s->id, &s->resumed, err, errlen);
        if (rc != RESULTS_OK) {
            study_close(s);
            return rc == RESULTS_EINPUT ? STUDY_EINPUT : STUDY_EIO;
        }
    }
    *out = s;
    return STUDY_OK;
}

static void config_free(study_config *c) {
    if (!c) return;
    free(c->label);
    scenario_fini(&c->sc);
    for (int f = 0; f < c->nfamilies; f++) scenario_fini(&c->view[f]);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        free(c->value[m]);
        for (int f = 0; f < SCENARIO_MAX_FAMILIES; f++) free(c->fvalue[f][m]);
    }
    free(c);
}

void study_close(study *s) {
    if (!s) return;
    for (size_t i = 0; i < s->nconfigs; i++) config_free(s->config[i]);
    free(s->config);
    results_close(s->db);
    scenario_fini(&s->base);
    free(s);
}

const scenario *study_base(const study *s) { return &s->base; }
int study_resumed(const study *s) { return s->resumed; }
uint64_t study_runs_computed(const study *s) { return s->computed; }
uint64_t study_runs_loaded(const study *s) { return s->loaded; }

/* Room for replications 0..want-1 (new slots NaN). */
static int config_reserve(study_config *c, uint32_t want) {
    if (want <= c->cap) return 0;
    uint32_t cap = c->cap ? c->cap : 8;
    while (cap < want) cap *= 2;
    for (int f = -1; f < c->nfamilies; f++)
        for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
            double **slot = f < 0 ? &c->value[m] : &c->fvalue[f][m];
            double *p = realloc(*slot, cap * sizeof *p);
            if (!p) return -1;
            for (uint32_t r = c->cap; r < cap; r++) p[r] = NAN;
            *slot = p;
        }
    c->cap = cap;
    return 0;
}

static int load_value(void *arg, uint32_t rep, int family, const char *metric,
                      double value) {
    study_config *c = arg;
    int m = study_metric_parse(metric);
    if (m < 0 || family >= c->nfamilies || rep > 1000000) return 0;
    if (config_reserve(c, rep + 1) != 0) return 1;
    if (family < 0)
        c->value[m][rep] = value;
    else
        c->fvalue[family][m][rep] = value;
    return 0;
}

/* Whether replication r is held (its stale fraction is there). */
static int config_has(const study_config *c, uint32_t r) {
    return r < c->cap && !isnan(c->value[WORLD_METRIC_STALE_READ_FRACTION][r]);
}

static void config_advance(study_config *c) {
    while (config_has(c, c->n)) c->n++;
}

int study_config_get(study *s, const char *const *settings, size_t n,
                     study_config **out, char *err, size_t errlen) {
    *out = NULL;
    /* The label: the settings joined by spaces. */
    size_t len = 1;
    for (size_t i = 0; i < n; i++) len += strlen(settings[i]) + 1;
    char *label = malloc(len);
    if (!label) goto oom;
    label[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(label, " ");
        strcat(label, settings[i]);
    }
    for (size_t i = 0; i < s->nconfigs; i++)
        if (strcmp(s->config[i]->label, label) == 0) {
            free(label);
            *out = s->config[i];
            return STUDY_OK;
        }
    study_config **grown =
        realloc(s->config, (s->nconfigs + 1) * sizeof *grown);
    if (!grown) {
        free(label);
        goto oom;
    }
    s->config = grown;
    study_config *c = calloc(1, sizeof *c);
    if (!c) {
        free(label);
        goto oom;
    }
    c->label = label;
    if (scenario_copy(&c->sc, &s->base) != 0) {
        free(label);
        free(c);
        goto oom;
    }
    char why[1024];
    for (size_t i = 0; i < n; i++)
        if (scenario_set(&c->sc, settings[i], why, sizeof why) != 0) {
            sim_errf(err, errlen, "%s", why);
            config_free(c);
            return STUDY_EINPUT;
        }
    if (scenario_validate(&c->sc, why, sizeof why) != 0 ||
        workload_trace_attach(&c->sc, &s->base, why, sizeof why) != 0) {
        sim_errf(err, errlen, "%s: %s", label, why);
        config_free(c);
        return STUDY_EINPUT;
    }
    for (int f = 0; f < c->sc.families.n; f++) {
        if (scenario_family_view(&c->sc, f, &c->view[f], why, sizeof why) !=
            0) {
            sim_errf(err, errlen, "%s: %s", label, why);
            config_free(c);
            return STUDY_EINPUT;
        }
        c->nfamilies = f + 1;
    }
    c->nfamilies = c->sc.families.n;
    s->config[s->nconfigs++] = c;
    if (s->db) {
        int rc = results_study_load_config(s->db, s->id, label, load_value, c,
                                           err, errlen);
        if (rc != RESULTS_OK) return STUDY_EIO;
        for (uint32_t r = 0; r < c->cap; r++) s->loaded += config_has(c, r);
        config_advance(c);
    }
    *out = c;
    return STUDY_OK;
oom:
    sim_errf(err, errlen, "out of memory");
    return STUDY_EIO;
}

/* ---- running ----------------------------------------------------------------- */

typedef struct batch {
    study_config *const *c;
} batch;

static int batch_work(void *arg, const sweep_task *t, world_result *out) {
    const batch *b = arg;
    return run_replication(&b->c[t->point]->sc, t->rep, out);
}

/* Takes replication rep of configuration c: keeps it and stores it. */
static int take(study *s, study_config *c, uint32_t rep,
                const world_result *res, char *err, size_t errlen) {
    if (config_reserve(c, rep + 1) != 0) {
        sim_errf(err, errlen, "out of memory");
        return STUDY_EIO;
    }
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        c->value[m][rep] = res->metric[m];
        for (int f = 0; f < c->nfamilies && f < res->nfamilies; f++)
            c->fvalue[f][m][rep] = res->family_metric[f][m];
    }
    s->computed++;
    /* Stored, then stop at once if a checkpoint after it found no room. */
    if (s->db &&
        (results_study_write_run(s->db, s->id, c->label, rep, res, err,
                                 errlen) != RESULTS_OK ||
         results_space_check(s->db, err, errlen) != RESULTS_OK))
        return STUDY_EIO;
    return STUDY_OK;
}

int study_run(study *s, study_config *const *c, size_t nc, uint32_t reps,
              char *err, size_t errlen) {
    sweep_task *task = NULL;
    size_t ntasks = 0;
    world_result *res = malloc(sizeof *res);
    transport *tr = NULL;
    int rc = STUDY_EIO;
    for (size_t i = 0; i < nc; i++)
        for (uint32_t r = c[i]->n; r < reps; r++) ntasks += !config_has(c[i], r);
    if (ntasks && !(task = malloc(ntasks * sizeof *task))) goto oom;
    if (!res) goto oom;
    ntasks = 0;
    for (size_t i = 0; i < nc; i++)
        for (uint32_t r = c[i]->n; r < reps; r++)
            if (!config_has(c[i], r))
                task[ntasks++] = (sweep_task){(uint32_t)i, r};
    if (s->jobs <= 1 || ntasks <= 1) {
        for (size_t k = 0; k < ntasks; k++) {
            if (run_replication(&c[task[k].point]->sc, task[k].rep, res) != 0)
                goto oom;
            if ((rc = take(s, c[task[k].point], task[k].rep, res, err,
                           errlen)) != STUDY_OK)
                goto out;
        }
    } else {
        /* Workers forked now see every configuration of this batch. */
        volatile sig_atomic_t never = 0;
        batch b = {c};
        int jobs = s->jobs < (int)ntasks ? s->jobs : (int)ntasks;
        tr = transport_local.start(jobs, batch_work, &b, &never, err, errlen);
        if (!tr) goto out;
        size_t next = 0, done = 0;
        int inflight = 0;
        while (done < ntasks) {
            while (next < ntasks && inflight < transport_local.capacity(tr)) {
                if (transport_local.submit(tr, &task[next], err, errlen) != 0)
                    goto out;
                next++;
                inflight++;
            }
            sweep_task t;
            if (transport_local.receive(tr, &t, res, err, errlen) != 1)
                goto out;
            inflight--;
            done++;
            if (t.point >= nc) {
                sim_errf(err, errlen, "a worker answered an unknown task");
                goto out;
            }
            if ((rc = take(s, c[t.point], t.rep, res, err, errlen)) !=
                STUDY_OK)
                goto out;
            rc = STUDY_EIO;
        }
        transport_local.stop(tr, 0);
        tr = NULL;
    }
    for (size_t i = 0; i < nc; i++) config_advance(c[i]);
    rc = STUDY_OK;
    goto out;
oom:
    sim_errf(err, errlen, "out of memory");
    rc = STUDY_EIO;
out:
    if (tr) transport_local.stop(tr, 1);
    free(task);
    free(res);
    return rc;
}

int study_finish(study *s, const char *text, const char *json,
                 const results_study_input *in, size_t nin, char *err,
                 size_t errlen) {
    if (!s->db) return STUDY_OK;
    /* The answer, then everything into the database file: the checkpoint
     * at close would ignore a file that cannot grow. */
    return results_study_finish(s->db, s->id, text, json, in, nin, err,
                                errlen) == RESULTS_OK &&
                   results_checkpoint(s->db, err, errlen) == RESULTS_OK
               ? STUDY_OK
               : STUDY_EIO;
}

/* ---- judging ----------------------------------------------------------------- */

void study_stat(const study_config *c, int family, world_metric m,
                double *mean, double *ci95) {
    const double *x = family < 0 ? c->value[m] : c->fvalue[family][m];
    *mean = c->n ? gsl_stats_mean(x, 1, c->n) : NAN;
    *ci95 = c->n >= 2 ? sim_ci95(x, c->n) : NAN;
}

typedef struct clause_eval {
    const char *name;   /* "stale fraction", "staleness" */
    const char *family; /* NULL: the totals */
    double mean, lower, upper, allowed;
} clause_eval;

/* The clauses of a scope: 2 for the totals or a family; 2 + 2F for all. */
static int clauses(const study_config *c, int scope, double conf,
                   clause_eval *out) {
    int n = 0;
    for (int f = -1; f < c->nfamilies; f++) {
        if (scope == STUDY_SCOPE_ALL ? 0 : f != scope) continue;
        const scenario *v = f < 0 ? &c->sc : &c->view[f];
        double *const *x = f < 0 ? c->value : c->fvalue[f];
        double reads = 0;
        for (uint32_t r = 0; r < c->n; r++) reads += x[WORLD_METRIC_READS][r];
        /* The resolution floor at the same confidence: the exact binomial
         * bound with no event, 1 - (1 - conf)^(1/reads). */
        double least = reads >= 1 ? -expm1(log(1 - conf) / reads) : 1;
        const int metric[2] = {WORLD_METRIC_OVER_MAX_STALENESS_FRACTION,
                               WORLD_METRIC_STALE_READ_FRACTION};
        const double allowed[2] = {1 - v->contract.quantile,
                                   v->contract.max_stale_fraction};
        static const char *const names[2] = {"staleness", "stale fraction"};
        for (int k = 0; k < 2; k++) {
            clause_eval *e = &out[n++];
            e->name = names[k];
            e->family = f < 0 ? NULL : c->sc.families.family[f].name;
            e->allowed = allowed[k];
            contract_bounds(x[metric[k]], c->n, conf, least, &e->mean,
                            &e->lower, &e->upper);
        }
    }
    return n;
}

static void describe(const clause_eval *e, const char *rel, double figure,
                     const char *bound, char *buf, size_t len) {
    char fam[64] = "";
    if (e->family) snprintf(fam, sizeof fam, "family %s: ", e->family);
    snprintf(buf, len, "%s%s %.3g%% (%s %.3g%%) %s %.3g%% allowed", fam,
             e->name, 100 * e->mean, bound, 100 * figure, rel,
             100 * e->allowed);
}

static double ratio(double v, double allowed) {
    if (allowed > 0) return v / allowed;
    return v > 0 ? INFINITY : 0;
}

void study_judge(const study_config *c, int scope, double conf,
                 study_verdict *out) {
    clause_eval e[2 + 2 * SCENARIO_MAX_FAMILIES];
    int n = clauses(c, scope, conf, e);
    int worst = -1, violated = 0, met = 1;
    out->pressure = 0;
    for (int i = 0; i < n; i++) {
        int v = e[i].lower > e[i].allowed;
        met &= e[i].upper <= e[i].allowed;
        /* the deciding clause: a violated one, else the closest */
        double p = ratio(v ? e[i].lower : e[i].upper, e[i].allowed);
        if (worst < 0 || (v && !violated) ||
            (v == violated && p > out->pressure)) {
            worst = i;
            out->pressure = p;
        }
        violated |= v;
    }
    out->state = violated ? STUDY_VIOLATED : met ? STUDY_MET : STUDY_UNDECIDED;
    if (worst < 0) {
        snprintf(out->why, sizeof out->why, "no clause");
        return;
    }
    const clause_eval *w = &e[worst];
    if (violated)
        describe(w, ">", w->lower, "lower bound", out->why, sizeof out->why);
    else
        describe(w, met ? "<=" : "vs", w->upper, "upper bound", out->why,
                 sizeof out->why);
}

void study_check(const study_config *c, int scope, study_verdict *out) {
    clause_eval e[2 + 2 * SCENARIO_MAX_FAMILIES];
    int n = clauses(c, scope, 0.95, e);
    int worst = -1;
    contract_state ws = CONTRACT_MET;
    out->pressure = 0;
    for (int i = 0; i < n; i++) {
        /* check's states: violated on the mean, met on the upper bound */
        contract_state st = e[i].upper <= e[i].allowed  ? CONTRACT_MET
                            : e[i].mean <= e[i].allowed ? CONTRACT_UNDEMONSTRATED
                                                        : CONTRACT_VIOLATED;
        double p = ratio(st == CONTRACT_VIOLATED ? e[i].mean : e[i].upper,
                         e[i].allowed);
        if (worst < 0 || st > ws || (st == ws && p > out->pressure)) {
            worst = i;
            ws = st;
            out->pressure = p;
        }
    }
    out->state = ws == CONTRACT_MET               ? STUDY_MET
                 : ws == CONTRACT_UNDEMONSTRATED ? STUDY_UNDECIDED
                                                  : STUDY_VIOLATED;
    if (worst < 0) {
        snprintf(out->why, sizeof out->why, "no clause");
        return;
    }
    const clause_eval *w = &e[worst];
    describe(w, ws == CONTRACT_MET ? "<=" : ">", w->upper, "upper bound",
             out->why, sizeof out->why);
}

/* ---- identity ---------------------------------------------------------------- */

char *study_spec(const char *kind, const char *file, const char *overrides,
                 const char *options, char *err, size_t errlen) {
    char *text = NULL, *spec = NULL;
    size_t tlen = 0, slen = 0;
    if (file) {
        FILE *f = fopen(file, "rb");
        if (!f) {
            sim_errf(err, errlen, "%s: cannot read: %s", file, strerror(errno));
            return NULL;
        }
        FILE *m = open_memstream(&text, &tlen);
        char buf[4096];
        size_t k;
        while (m && (k = fread(buf, 1, sizeof buf, f)) > 0)
            fwrite(buf, 1, k, m);
        int bad = ferror(f);
        fclose(f);
        if (!m || fclose(m) != 0 || bad) {
            free(text);
            sim_errf(err, errlen, "%s: cannot read it", file);
            return NULL;
        }
    }
    FILE *m = open_memstream(&spec, &slen);
    if (!m) goto oom;
    /* the version: another one's replications may draw other numbers */
    fprintf(m, "stalesim %s\nversion: %s\nseed-streams: world_create(sc, rep)\n",
            kind, STALESIM_VERSION);
    fprintf(m, "scenario:\n%s\n--\noverrides:\n%s\n--\noptions:\n%s\n",
            text ? text : "", overrides ? overrides : "", options);
    if (fclose(m) != 0) goto oom;
    free(text);
    return spec;
oom:
    free(text);
    free(spec);
    sim_errf(err, errlen, "out of memory");
    return NULL;
}
