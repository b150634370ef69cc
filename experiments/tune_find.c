/* `stalesim tune --find KEY`: where the contract stops being met.
 *
 * The search.  The key's true boundary x* is where the contract's verdict on
 * the expected metrics flips (the stale fraction, or the share of reads
 * staler than max_staleness, crosses its allowance), assuming the verdict is
 * monotone in the key over the range (a longer TTL never makes staleness
 * smaller).  Each value tried is classified by sequential stopping: its
 * replications 0..n-1 (common random numbers: the same streams at every
 * value) are judged after n = reps, 2 reps, 4 reps, ... up to --max-reps;
 * "meets" when every clause's one-sided upper bound is within its
 * allowance, "violated" when some clause's lower bound is over it, else more
 * replications; at the cap a value is "too close to call".  The ends of the
 * range are classified first; then bisection (geometric on a log scale when
 * the range is positive, arithmetic otherwise, whole numbers for counts)
 * moves the meeting end and the violated end towards each other until their
 * ratio is within 1 + --tolerance.  Once a value is too close to call, the
 * boundary may lie on either side of it: the search then bisects the gap
 * between the meeting end and that zone and the gap between the zone and
 * the violated end, in turn, until each is within the tolerance; the
 * bracket then spans the zone (its width is what the noise allows at
 * --max-reps).
 *
 * Honesty of the bracket.  The bracket is wrong only if one of the values
 * classified was classified wrongly.  At most D values are classified (the
 * budget, fixed before the search from the range and the tolerance) and each
 * is looked at at most K times, so each look uses a one-sided level of
 * (1 - confidence) / (D K) per bound (Bonferroni): the probability that any
 * look of any value errs, and so that the bracket misses x*, is at most
 * 1 - confidence.  This is conservative (the looks are correlated, and
 * values far from x* cannot err), so the bracket's coverage is higher than
 * stated; `make validate` counts it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli.h"
#include "experiments/shell.h"
#include "experiments/tune.h"
#include "experiments/version.h"
#include "plots/format.h"

#define TUNE_MAX_TRIED 64

typedef struct tried {
    double x;           /* the value used (after rounding to its text) */
    char text[64];
    study_config *c;
    study_state state;
    char why[256];
} tried;

typedef struct finder {
    study *s;
    const tune_options *o;
    scenario_num_kind kind;
    double conf_look;   /* one-sided level of each look */
    int budget;         /* values that may be classified (D) */
    int looks;          /* looks per value (K) */
    tried t[TUNE_MAX_TRIED];
    int n;
} finder;

int tune_key_kind(const char *key, scenario_num_kind *kind, char *why,
                  size_t len) {
    int idx = study_key_index(key);
    if (idx < 0) {
        snprintf(why, len, "--find '%s': no such scenario key (stalesim keys "
                 "lists them)", key);
        return -1;
    }
    const char *sec = scenario_key_section((size_t)idx);
    if (strcmp(sec, "run") == 0 || strcmp(sec, "contract") == 0) {
        snprintf(why, len, "--find '%s': not a design input ([%s] keys set "
                 "how the run is measured or judged)", key, sec);
        return -1;
    }
    *kind = scenario_key_num_kind((size_t)idx);
    if (*kind == SCENARIO_NUM_NONE || *kind == SCENARIO_NUM_DIST) {
        snprintf(why, len, "--find '%s': not a numeric key (it is %s); tune "
                 "searches durations, rates, probabilities and counts (use "
                 "--choose for named alternatives)", key,
                 *kind == SCENARIO_NUM_DIST ? "a distribution" : "a name or a "
                 "list");
        return -1;
    }
    return 0;
}

/* The key's current text in sc (a family override when it has one). */
static const char *current_text(const scenario *sc, const char *key) {
    int idx = study_key_index(key);
    if (strncmp(key, "family.", 7) == 0) {
        const char *dot = strchr(key + 7, '.');
        size_t nlen = (size_t)(dot - key - 7);
        for (int f = 0; f < sc->families.n; f++) {
            const scenario_family *fam = &sc->families.family[f];
            if (strlen(fam->name) != nlen || strncmp(fam->name, key + 7, nlen))
                continue;
            for (int i = 0; i < fam->noverrides; i++)
                if (fam->override[i].key == idx) return fam->override[i].value;
        }
    }
    return sc->text[idx];
}

int tune_default_range(const scenario *sc, const char *key, double *lo,
                       double *hi, char *why, size_t whylen) {
    scenario_num_kind kind;
    if (tune_key_kind(key, &kind, why, whylen) != 0) return -1;
    const char *text = current_text(sc, key);
    double x = study_value_number(kind, text);
    if (!(x > 0)) {
        snprintf(why, whylen, "--find '%s': its value is %s, no scale to "
                 "search around: give --range LO..HI", key, text);
        return -1;
    }
    *lo = x / 10;
    *hi = x * 10;
    if (kind == SCENARIO_NUM_PROB && *hi > 1) *hi = 1;
    if (kind == SCENARIO_NUM_FRACTION && *hi >= 1) *hi = 0.999;
    if (kind == SCENARIO_NUM_COUNT || kind == SCENARIO_NUM_COUNT1) {
        *lo = fmax(1, floor(*lo));
        *hi = ceil(*hi);
    }
    return 0;
}

/* Classifies value x by sequential stopping; returns its entry or NULL
 * after printing an error (*code set). */
static tried *classify(finder *f, double x, int *code) {
    char err[1024], setting[512];
    const tune_options *o = f->o;
    if (f->n >= TUNE_MAX_TRIED || f->n >= f->budget) {
        *code = cli_fail(CLI_EXIT_RUNTIME, "tune: internal: search budget "
                         "exceeded");
        return NULL;
    }
    tried *t = &f->t[f->n];
    memset(t, 0, sizeof *t);
    study_value_text(f->kind, x, t->text, sizeof t->text);
    t->x = study_value_number(f->kind, t->text);
    snprintf(setting, sizeof setting, "%s=%s", o->key, t->text);
    const char *set[1] = {setting};
    int rc = study_config_get(f->s, set, 1, &t->c, err, sizeof err);
    if (rc != STUDY_OK) {
        *code = cli_fail(rc == STUDY_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME,
                         "%s", err);
        return NULL;
    }
    for (uint32_t n = o->reps;; n = n * 2 < o->max_reps ? n * 2 : o->max_reps) {
        rc = study_run(f->s, &t->c, 1, n, err, sizeof err);
        if (rc != STUDY_OK) {
            *code = cli_fail(rc == STUDY_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME,
                             "%s", err);
            return NULL;
        }
        study_verdict v;
        study_judge(t->c, STUDY_SCOPE_ALL, f->conf_look, &v);
        t->state = v.state;
        snprintf(t->why, sizeof t->why, "%s", v.why);
        if (v.state != STUDY_UNDECIDED || n >= o->max_reps) break;
    }
    f->n++;
    return t;
}

static double midpoint(const finder *f, double a, double b) {
    double m = f->o->lo > 0 ? sqrt(a * b) : (a + b) / 2;
    if (f->kind == SCENARIO_NUM_COUNT || f->kind == SCENARIO_NUM_COUNT1)
        m = round(m);
    return m;
}

/* The bracket [a, b] (either order) is as narrow as asked. */
static int narrow(const finder *f, double a, double b) {
    double lo = fmin(a, b), hi = fmax(a, b);
    if (f->kind == SCENARIO_NUM_COUNT || f->kind == SCENARIO_NUM_COUNT1)
        if (hi - lo <= 1) return 1;
    if (f->o->lo > 0) return hi <= lo * (1 + f->o->tolerance) * (1 + 1e-9);
    return hi - lo <= f->o->tolerance * (f->o->hi - f->o->lo) * (1 + 1e-9);
}

static int cmp_tried(const void *a, const void *b) {
    double x = ((const tried *)a)->x, y = ((const tried *)b)->x;
    return (x > y) - (x < y);
}

void tune_fmt_metric(char *buf, size_t len, const study_config *c, int family,
                     int m) {
    double mean, ci;
    study_stat(c, family, (world_metric)m, &mean, &ci);
    char a[64], b[64];
    int fraction = m == WORLD_METRIC_STALE_READ_FRACTION || m == WORLD_METRIC_HIT_RATIO ||
                   m == WORLD_METRIC_OVER_MAX_STALENESS_FRACTION ||
                   m == WORLD_METRIC_LOCAL_HIT_RATIO;
    if (fraction) {
        plot_fmt_percent(a, sizeof a, mean);
        plot_fmt_percent(b, sizeof b, ci);
    } else {
        plot_fmt_sig(a, sizeof a, mean, 3);
        plot_fmt_sig(b, sizeof b, ci, 2);
    }
    snprintf(buf, len, "%s +- %s", a, b);
}

static const char *state_name(study_state s) {
    return s == STUDY_MET ? "meets" : s == STUDY_VIOLATED ? "violated"
                                                          : "too close to call";
}

static void json_stat(FILE *out, const study_config *c, int m) {
    double mean, ci;
    study_stat(c, -1, (world_metric)m, &mean, &ci);
    fprintf(out, "{\"mean\": ");
    output_json_number(out, mean);
    fprintf(out, ", \"ci95\": ");
    output_json_number(out, ci);
    fprintf(out, "}");
}

static void json_value(FILE *out, const tried *t, int with_metrics) {
    fprintf(out, "{\"value\": ");
    output_json_number(out, t->x);
    fprintf(out, ", \"text\": ");
    output_json_string(out, t->text);
    fprintf(out, ", \"reps\": %u, \"verdict\": ", t->c->n);
    output_json_string(out, state_name(t->state));
    fprintf(out, ", \"why\": ");
    output_json_string(out, t->why);
    if (with_metrics) {
        static const int ms[] = {WORLD_METRIC_STALE_READ_FRACTION,
                                 WORLD_METRIC_OVER_MAX_STALENESS_FRACTION, WORLD_METRIC_HIT_RATIO,
                                 WORLD_METRIC_DB_READS_PER_S};
        fprintf(out, ", \"metrics\": {");
        for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
            fprintf(out, "%s\"%s\": ", i ? ", " : "",
                    world_metric_name((world_metric)ms[i]));
            json_stat(out, t->c, ms[i]);
        }
        fprintf(out, "}");
    }
    fprintf(out, "}");
}

/* The answer as JSON into out. */
static void write_json(FILE *out, const finder *f, const tried *met,
                       const tried *bad, int largest, const tried *sorted) {
    const tune_options *o = f->o;
    fprintf(out, "{\"stalesim\": \"%s\", \"command\": \"tune\", \"mode\": "
            "\"find\", \"scenario\": ", STALESIM_VERSION);
    output_json_string(out, o->scenario_file);
    fprintf(out, ", \"key\": ");
    output_json_string(out, o->key);
    fprintf(out, ", \"unit\": \"%s\", \"direction\": \"%s\", \"confidence\": ",
            f->kind == SCENARIO_NUM_DURATION ? "s"
            : f->kind == SCENARIO_NUM_RATE   ? "/s"
                                             : "",
            largest ? "largest" : "smallest");
    output_json_number(out, o->confidence);
    fprintf(out, ", \"boundary\": {\"low\": ");
    output_json_number(out, fmin(met->x, bad->x));
    fprintf(out, ", \"high\": ");
    output_json_number(out, fmax(met->x, bad->x));
    fprintf(out, "}, \"answer\": ");
    json_value(out, met, 1);
    fprintf(out, ", \"violated_at\": ");
    json_value(out, bad, 1);
    fprintf(out, ", \"range\": {\"low\": ");
    output_json_number(out, o->lo);
    fprintf(out, ", \"high\": ");
    output_json_number(out, o->hi);
    fprintf(out, "}, \"tolerance\": ");
    output_json_number(out, o->tolerance);
    fprintf(out, ", \"look_confidence\": ");
    output_json_number(out, f->conf_look);
    fprintf(out, ", \"tried\": [");
    for (int i = 0; i < f->n; i++) {
        fprintf(out, "%s", i ? ", " : "");
        json_value(out, &sorted[i], 1);
    }
    fprintf(out, "], \"runs\": {\"computed\": %llu, \"stored_before\": %llu}, "
            "\"seed\": %llu}\n",
            (unsigned long long)study_runs_computed(f->s),
            (unsigned long long)study_runs_loaded(f->s),
            (unsigned long long)study_base(f->s)->run.seed);
}

/* The answer as text into out. */
static void write_text(FILE *out, const finder *f, const tried *met,
                       const tried *bad, int largest, const tried *sorted,
                       const char *note) {
    const tune_options *o = f->o;
    char conf[32], cost[4][96];
    snprintf(conf, sizeof conf, "%.10g%%", 100 * o->confidence);
    fprintf(out, "tune %s: the %s value that meets the contract\n", o->key,
            largest ? "largest" : "smallest");
    fprintf(out, "  meets at %s, violated at %s: the boundary is in [%s, %s] "
            "with %s confidence\n", met->text, bad->text,
            largest ? met->text : bad->text, largest ? bad->text : met->text,
            conf);
    tune_fmt_metric(cost[0], sizeof cost[0], met->c, -1, WORLD_METRIC_HIT_RATIO);
    tune_fmt_metric(cost[1], sizeof cost[1], met->c, -1, WORLD_METRIC_DB_READS_PER_S);
    tune_fmt_metric(cost[2], sizeof cost[2], met->c, -1,
                    WORLD_METRIC_STALE_READ_FRACTION);
    tune_fmt_metric(cost[3], sizeof cost[3], met->c, -1,
                    WORLD_METRIC_OVER_MAX_STALENESS_FRACTION);
    fprintf(out, "  cost at %s: hit ratio %s, %s DB reads/s; stale fraction "
            "%s, staler than max_staleness %s (%u replications)\n", met->text,
            cost[0], cost[1], cost[2], cost[3], met->c->n);
    if (note[0]) fprintf(out, "  %s\n", note);
    fprintf(out, "  values tried (%s bisection, common random numbers):\n",
            o->lo > 0 ? "log-scale" : "linear");
    for (int i = 0; i < f->n; i++) {
        const tried *t = &sorted[i];
        char sf[96];
        tune_fmt_metric(sf, sizeof sf, t->c, -1, WORLD_METRIC_STALE_READ_FRACTION);
        fprintf(out, "    %-12s %4u reps  stale fraction %-22s %-17s %s\n",
                t->text, t->c->n, sf, state_name(t->state), t->why);
    }
    char set[512];
    snprintf(set, sizeof set, "%s=%s", o->key, met->text);
    const char *sets[1] = {set};
    tune_confirm_line(out, o, sets, 1, met->c->n);
    fprintf(out, "  (%llu replications run, %llu found stored; seed %llu; "
            "each look judged at one-sided %.4g%%: %s over at most %d values "
            "x %d looks, Bonferroni)\n",
            (unsigned long long)study_runs_computed(f->s),
            (unsigned long long)study_runs_loaded(f->s),
            (unsigned long long)study_base(f->s)->run.seed,
            100 * f->conf_look, conf, f->budget, f->looks);
}

void tune_confirm_line(FILE *out, const tune_options *o,
                       const char *const *settings, size_t n, uint32_t reps) {
    fputs("  confirm: stalesim check ", out);
    shell_word(out, o->scenario_file);
    for (const char *p = o->overrides ? o->overrides : ""; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        /* run.reps is given last, as the answer's */
        if (len && strncmp(line, "run.reps=", 9) != 0) {
            fputs(" --set ", out);
            shell_word(out, line);
        }
        p = end ? end + 1 : p + len;
    }
    for (size_t i = 0; i < n; i++) {
        fputs(" --set ", out);
        shell_word(out, settings[i]);
    }
    fprintf(out, " --reps %u\n", reps);
}

/* The budget D and the looks K (see the file comment). */
static void plan(finder *f) {
    const tune_options *o = f->o;
    double steps;
    if (f->kind == SCENARIO_NUM_COUNT || f->kind == SCENARIO_NUM_COUNT1)
        steps = ceil(log2(fmax(2, o->hi - o->lo)));
    else if (o->lo > 0)
        steps = ceil(log2(log(o->hi / o->lo) / log1p(o->tolerance)));
    else
        steps = ceil(log2(1 / o->tolerance));
    if (steps < 1) steps = 1;
    /* the ends, the bisection, and as many again for the two gaps beside
     * a zone too close to call */
    f->budget = 2 + 2 * (int)steps;
    if (f->budget > TUNE_MAX_TRIED) f->budget = TUNE_MAX_TRIED;
    int looks = 1;
    for (uint32_t n = o->reps; n < o->max_reps; n *= 2) looks++;
    f->looks = looks;
    f->conf_look = 1 - (1 - o->confidence) / (f->budget * looks);
}

/* The ends of the range must differ, each decided: else the refusal's
 * exit code. */
static int check_ends(const finder *f, const tried *lo, const tried *hi) {
    const tune_options *o = f->o;
    if (lo->state == STUDY_MET && hi->state == STUDY_MET)
        return cli_fail(CLI_EXIT_INPUT, "tune: the contract is met at every "
                        "value tried: %s=%s and %s=%s both meet it, so there "
                        "is no boundary in the range (widen --range)",
                        o->key, lo->text, o->key, hi->text);
    if (lo->state == STUDY_VIOLATED && hi->state == STUDY_VIOLATED)
        return cli_fail(CLI_EXIT_INPUT, "tune: no feasible point: the contract "
                        "is violated at both ends of the range (%s=%s: %s; "
                        "%s=%s: %s); widen --range or change the design",
                        o->key, lo->text, lo->why, o->key, hi->text, hi->why);
    if (lo->state == STUDY_UNDECIDED || hi->state == STUDY_UNDECIDED) {
        const tried *u = lo->state == STUDY_UNDECIDED ? lo : hi;
        return cli_fail(CLI_EXIT_INPUT, "tune: cannot tell at the end %s=%s after "
                        "%u replications (%s): the boundary is too close to "
                        "it; widen --range or raise --max-reps",
                        o->key, u->text, u->c->n, u->why);
    }
    return CLI_EXIT_OK;
}

/* The search's state: a meets, b violates (entries ia, ib of f->t); the
 * zone of values too close to call, entries [iu0, iu1] between a and b
 * (iu0 on a's side; -1: none met yet). */
typedef struct bracket {
    double a, b;
    int ia, ib;
    int iu0, iu1;
} bracket;

/* Narrows br until the tolerance or the budget: bisection of [a, b], then,
 * once a zone too close to call is met, the gaps on both sides of it in
 * turn.  Returns 0, or -1 with *code set when a value could not be tried. */
static int search(finder *f, bracket *br, int *code) {
    int turn = 0;
    while (f->n < f->budget) {
        double m;
        int side; /* -1: bisecting [a, b]; 0: a's gap; 1: b's gap */
        if (br->iu0 < 0) {
            if (narrow(f, br->a, br->b)) break;
            m = midpoint(f, br->a, br->b);
            side = -1;
        } else {
            double u0 = f->t[br->iu0].x, u1 = f->t[br->iu1].x;
            int open0 = !narrow(f, br->a, u0), open1 = !narrow(f, u1, br->b);
            if (!open0 && !open1) break;
            side = open0 && (turn == 0 || !open1) ? 0 : 1;
            turn ^= 1;
            m = side == 0 ? midpoint(f, br->a, u0) : midpoint(f, u1, br->b);
            if (m == u0 || m == u1) {
                if (side == 0) br->a = u0; /* nothing left between: counts */
                else br->b = u1;
                continue;
            }
        }
        if (m == br->a || m == br->b) break;
        int im = f->n;
        tried *t = classify(f, m, code);
        if (!t) return -1;
        if (t->state == STUDY_MET) {
            br->a = t->x;
            br->ia = im;
            if (side == 1) br->iu0 = br->iu1 = -1; /* the zone lies before a */
        } else if (t->state == STUDY_VIOLATED) {
            br->b = t->x;
            br->ib = im;
            if (side == 0) br->iu0 = br->iu1 = -1; /* the zone lies after b */
        } else if (side < 0) {
            br->iu0 = br->iu1 = im;
        } else if (side == 0) {
            br->iu0 = im;
        } else {
            br->iu1 = im;
        }
    }
    return 0;
}

/* The note on a zone too close to call ("" when none). */
static void close_note(const finder *f, const bracket *br, char *note,
                       size_t len) {
    const tune_options *o = f->o;
    if (br->iu0 < 0) return;
    const tried *u0 = &f->t[br->iu0], *u1 = &f->t[br->iu1];
    if (br->iu0 == br->iu1)
        snprintf(note, len, "%s=%s is too close to call after %u "
                 "replications (%s)", o->key, u0->text, u0->c->n, u0->why);
    else
        snprintf(note, len, "%s from %s to %s is too close to call after %u "
                 "replications: the bracket holds that zone", o->key,
                 u0->text, u1->text, u0->c->n);
}

/* The answer as text and JSON: stored with the study, one of them printed. */
static int answer(finder *f, const bracket *br, int largest,
                  const char *note) {
    char *text = NULL, *json = NULL, err[1024];
    size_t tlen = 0, jlen = 0;
    int code;
    /* Sorted copies for the listing; the answer entries by index. */
    tried met = f->t[br->ia], bad = f->t[br->ib];
    tried *sorted = malloc((size_t)f->n * sizeof *sorted);
    if (!sorted) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    memcpy(sorted, f->t, (size_t)f->n * sizeof *sorted);
    qsort(sorted, (size_t)f->n, sizeof *sorted, cmp_tried);
    FILE *ts = open_memstream(&text, &tlen), *js = open_memstream(&json, &jlen);
    if (!ts || !js) {
        if (ts) fclose(ts);
        if (js) fclose(js);
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    write_text(ts, f, &met, &bad, largest, sorted, note);
    write_json(js, f, &met, &bad, largest, sorted);
    if (fclose(ts) != 0 || fclose(js) != 0) {
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    if (study_finish(f->s, text, json, NULL, 0, err, sizeof err) != STUDY_OK) {
        code = cli_fail(CLI_EXIT_RUNTIME, "%s", err);
        goto out;
    }
    fputs(f->o->format == OUTPUT_FORMAT_JSON ? json : text, stdout);
    code = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
    if (code != CLI_EXIT_OK) cli_fail(CLI_EXIT_RUNTIME, "writing the answer failed");
out:
    free(sorted);
    free(text);
    free(json);
    return code;
}

int tune_find(study *s, const tune_options *o) {
    finder *f = calloc(1, sizeof *f);
    char err[1024], note[512] = "";
    int code = CLI_EXIT_RUNTIME;
    if (!f) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    f->s = s;
    f->o = o;
    if (tune_key_kind(o->key, &f->kind, err, sizeof err) != 0) {
        code = cli_fail(CLI_EXIT_INPUT, "%s", err);
        goto out;
    }
    plan(f);
    tried *lo = classify(f, o->lo, &code);
    tried *hi = lo ? classify(f, o->hi, &code) : NULL;
    if (!hi) goto out;
    if ((code = check_ends(f, lo, hi)) != CLI_EXIT_OK) goto out;
    int largest = lo->state == STUDY_MET;
    bracket br = {largest ? lo->x : hi->x, largest ? hi->x : lo->x,
                  largest ? 0 : 1, largest ? 1 : 0, -1, -1};
    code = CLI_EXIT_RUNTIME;
    if (search(f, &br, &code) != 0) goto out;
    close_note(f, &br, note, sizeof note);
    code = answer(f, &br, largest, note);
out:
    free(f);
    return code;
}
