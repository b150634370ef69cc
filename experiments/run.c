/* Running replications and pooling their results. */
#include "experiments/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include <time.h>
#include <unistd.h>

#include "experiments/transport.h"
#include "experiments/warmup.h"
#include "models/rare.h"
#include "sim/stats.h"

void run_summary_destroy(run_summary *s) {
    if (!s) return;
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) free(s->value[m]);
    for (int f = 0; f < WORLD_MAX_FAMILIES; f++) {
        for (int m = 0; m < WORLD_METRIC_COUNT; m++) free(s->family_value[f][m]);
        for (int g = 0; g < WORLD_FIGURE_COUNT; g++) free(s->family_figure[f][g]);
    }
    free(s);
}

/* ---- pooling, progress, workers ----------------------------------------------- */

run_summary *run_summary_create(uint32_t reps, int nfamilies) {
    run_summary *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->reps = reps;
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        if (!(s->value[m] = calloc(reps ? reps : 1, sizeof(double)))) goto oom;
    for (int d = 0; d < WORLD_DIST_COUNT; d++) sim_hist_init(&s->dist[d]);
    s->nfamilies = nfamilies;
    for (int f = 0; f < nfamilies; f++) {
        for (int m = 0; m < WORLD_METRIC_COUNT; m++)
            if (!(s->family_value[f][m] = calloc(reps ? reps : 1,
                                                 sizeof(double))))
                goto oom;
        for (int g = 0; g < WORLD_FIGURE_COUNT; g++)
            if (!(s->family_figure[f][g] = calloc(reps ? reps : 1,
                                                  sizeof(double))))
                goto oom;
        for (int d = 0; d < WORLD_FDIST_COUNT; d++) sim_hist_init(&s->family_dist[f][d]);
    }
    return s;
oom:
    run_summary_destroy(s);
    return NULL;
}

/* Adds replication r's result to the summary (in replication order, so the
 * pooled figures are the same however the replications were run). */
void run_summary_add(run_summary *s, uint32_t r, const world_result *res) {
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) s->value[m][r] = res->metric[m];
    for (int d = 0; d < WORLD_DIST_COUNT; d++) sim_hist_merge(&s->dist[d], &res->dist[d]);
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) {
        s->causes[c] += res->stale_by_cause[c];
        s->over_causes[c] += res->over_bound_by_cause[c];
    }
    for (int p = 0; p < ORACLE_MAX_PATHS; p++) {
        s->stale_by_path[p] += res->stale_by_path[p];
        s->writes_by_path[p] += res->writes_by_path[p];
    }
    for (int f = 0; f < s->nfamilies && f < res->nfamilies; f++) {
        for (int m = 0; m < WORLD_METRIC_COUNT; m++)
            s->family_value[f][m][r] = res->family_metric[f][m];
        for (int g = 0; g < WORLD_FIGURE_COUNT; g++)
            s->family_figure[f][g][r] = res->family_figure[f][g];
        for (int d = 0; d < WORLD_FDIST_COUNT; d++)
            sim_hist_merge(&s->family_dist[f][d], &res->family_dist[f][d]);
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) {
            s->family_causes[f][c] += res->family_causes[f][c];
            s->family_over_causes[f][c] += res->family_over_causes[f][c];
        }
    }
    s->rare_stale_w += res->rare_stale_w;
    s->rare_stale_w2 += res->rare_stale_w2;
    s->rare_weighted += res->rare_weighted;
    s->rare_overlap_stale += res->rare_overlap_stale;
    s->rare_faults += res->rare_faults;
    s->rare_overlaps += res->rare_overlaps;
    s->events += res->events;
    s->wall_s += res->wall_s;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int run_default_jobs(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > TRANSPORT_LOCAL_MAX_JOBS ? TRANSPORT_LOCAL_MAX_JOBS
                                                     : (int)n;
}

typedef struct progress_line {
    FILE *out;        /* NULL: none */
    const char *what;
    double t0, last;  /* s, monotonic */
    int drawn;
} progress_line;

/* "\rrun: [#####.....] 5/10 replications  12.3s  ETA 12s", first drawn
 * once 2 s have passed, at most every 0.2 s; `final` ends a drawn line. */
static void progress_draw(progress_line *p, uint32_t done, uint32_t total,
                          int final) {
    if (!p->out) return;
    double t = now_s(), elapsed = t - p->t0;
    if (final) {
        if (p->drawn) fputc('\n', p->out);
        fflush(p->out);
        return;
    }
    if (elapsed < 2 || (p->drawn && t - p->last < 0.2)) return;
    p->last = t;
    p->drawn = 1;
    char bar[21];
    int filled = total ? (int)(20.0 * done / total) : 20;
    for (int i = 0; i < 20; i++) bar[i] = i < filled ? '#' : '.';
    bar[20] = 0;
    double eta = done ? elapsed * (double)(total - done) / (double)done : NAN;
    fprintf(p->out, "\r%s: [%s] %u/%u replications  %.1fs", p->what ? p->what
            : "run", bar, done, total, elapsed);
    if (isfinite(eta)) fprintf(p->out, "  ETA %.0fs", eta);
    fputs("\033[K", p->out);
    fflush(p->out);
}

static int run_work(void *arg, const sweep_task *task, world_result *out) {
    return run_replication((const scenario *)arg, task->rep, out);
}

/* Replications first..reps-1 on `jobs` forked workers, pooled in order: a
 * result that arrives early waits in a slot until those before it are in
 * (at most `capacity` results are in flight or waiting).  Returns 0, or -1
 * with a message. */
static int run_parallel(const scenario *sc, run_summary *s, uint32_t first,
                        int jobs, world_result *res, progress_line *pl,
                        char *err, size_t errlen) {
    volatile sig_atomic_t stop = 0;
    uint32_t left = s->reps - first;
    if ((uint32_t)jobs > left) jobs = (int)left;
    transport *tr = transport_local.start(jobs, run_work, (void *)sc, &stop,
                                          err, errlen);
    if (!tr) return -1;
    int cap = transport_local.capacity(tr), rc = -1;
    world_result *held = calloc((size_t)cap, sizeof *held);
    uint8_t *have = calloc((size_t)cap, 1);
    if (!held || !have) {
        snprintf(err, errlen, "out of memory running %s", sc->path);
        goto out;
    }
    uint32_t next_submit = first, next_pool = first;
    int busy = 0; /* in flight or held */
    while (next_pool < s->reps) {
        while (busy < cap && next_submit < s->reps) {
            sweep_task t = {0, next_submit++};
            if (transport_local.submit(tr, &t, err, errlen) != 0) goto out;
            busy++;
        }
        sweep_task t;
        int got = transport_local.receive(tr, &t, res, err, errlen);
        if (got <= 0) {
            if (got == 0) snprintf(err, errlen, "interrupted");
            goto out;
        }
        if (t.rep != next_pool) {
            held[t.rep % (uint32_t)cap] = *res;
            have[t.rep % (uint32_t)cap] = 1;
            continue;
        }
        run_summary_add(s, next_pool++, res);
        busy--;
        while (next_pool < s->reps && have[next_pool % (uint32_t)cap]) {
            have[next_pool % (uint32_t)cap] = 0;
            run_summary_add(s, next_pool, &held[next_pool % (uint32_t)cap]);
            next_pool++;
            busy--;
        }
        progress_draw(pl, next_pool, s->reps, 0);
    }
    rc = 0;
out:
    transport_local.stop(tr, rc != 0);
    free(held);
    free(have);
    return rc;
}

static int replicate(const scenario *sc, uint32_t rep, world_result *out,
                     trace_fn fn, void *ctx) {
    world *w = world_create(sc, rep);
    if (!w) return -1;
    if (fn) world_set_tracer(w, fn, ctx);
    int rc = world_run(w, out);
    world_destroy(w);
    return rc;
}

int run_replication(const scenario *sc, uint32_t rep, world_result *out) {
    return replicate(sc, rep, out, NULL, NULL);
}

run_summary *run_scenario(const scenario *sc, char *err, size_t errlen) {
    return run_scenario_traced(sc, NULL, NULL, err, errlen);
}

/* Reads and stale reads per slice of the pilot run. */
typedef struct pilot {
    sim_time slice; /* ns */
    double reads[WARMUP_BUCKETS];
    double stale[WARMUP_BUCKETS];
} pilot;

static void pilot_trace(void *ctx, const trace_rec *r) {
    pilot *p = ctx;
    if (r->op != TRACE_READ_DONE) return;
    sim_time b = r->invoked / p->slice;
    if (b >= WARMUP_BUCKETS) b = WARMUP_BUCKETS - 1;
    p->reads[b] += 1;
    p->stale[b] += r->verdict == ORACLE_VERDICT_STALE;
}

/* MSER-5 over a pilot replication: the warm-up, ns, or -1 on ENOMEM. */
static sim_time choose_warmup(const scenario *sc, world_result *res) {
    pilot *p = calloc(1, sizeof *p);
    if (!p) return -1;
    p->slice = sc->run.duration / WARMUP_BUCKETS;
    if (p->slice < 1) p->slice = 1;
    if (replicate(sc, 0, res, pilot_trace, p) != 0) {
        free(p);
        return -1;
    }
    enum { BATCH = 5, NBATCH = WARMUP_BUCKETS / BATCH };
    double z[NBATCH];
    for (int j = 0; j < NBATCH; j++) {
        double reads = 0, stale = 0;
        for (int i = 0; i < BATCH; i++) {
            reads += p->reads[j * BATCH + i];
            stale += p->stale[j * BATCH + i];
        }
        z[j] = reads > 0 ? stale / reads : 0;
    }
    sim_time warmup = (sim_time)warmup_mser(z, NBATCH) * BATCH * p->slice;
    free(p);
    return warmup;
}

run_summary *run_scenario_traced(const scenario *sc, trace_fn fn, void *ctx,
                                 char *err, size_t errlen) {
    return run_scenario_opts(sc, fn, ctx, NULL, err, errlen);
}

run_summary *run_scenario_opts(const scenario *sc, trace_fn fn, void *ctx,
                               const run_options *opt, char *err,
                               size_t errlen) {
    scenario fixed; /* a shallow copy with the chosen warm-up; not finalised */
    run_summary *s = run_summary_create(sc->run.reps, sc->families.n);
    world_result *res = malloc(sizeof *res);
    if (!s || !res) goto oom;
    s->seed = sc->run.seed;
    s->rare_boost = sc->rare_boost > 0 ? sc->rare_boost : 0;
    s->warmup = sc->run.warmup;
    if (sc->run.warmup_auto) {
        sim_time w = choose_warmup(sc, res);
        if (w < 0) goto oom;
        fixed = *sc;
        fixed.run.warmup = w;
        fixed.run.warmup_auto = 0;
        sc = &fixed;
        s->warmup = w;
    }
    progress_line pl = {opt ? opt->progress : NULL, opt ? opt->what : NULL,
                        now_s(), 0, 0};
    uint32_t first = 0;
    if (fn || opt == NULL || opt->jobs <= 1 || s->reps < 2) {
        /* In this process: every replication, or only the traced one. */
        uint32_t upto = fn && opt && opt->jobs > 1 ? 1 : s->reps;
        for (uint32_t r = 0; r < upto; r++) {
            if (replicate(sc, r, res, r == 0 ? fn : NULL, ctx) != 0) goto oom;
            run_summary_add(s, r, res);
            progress_draw(&pl, r + 1, s->reps, 0);
        }
        first = upto;
    }
    if (first < s->reps &&
        run_parallel(sc, s, first, opt->jobs, res, &pl, err, errlen) != 0) {
        progress_draw(&pl, 0, s->reps, 1);
        free(res);
        run_summary_destroy(s);
        return NULL;
    }
    progress_draw(&pl, s->reps, s->reps, 1);
    free(res);
    return s;
oom:
    snprintf(err, errlen, "out of memory running %s", sc->path);
    free(res);
    run_summary_destroy(s);
    return NULL;
}

static run_stat stat_of(const double *x, size_t n);

run_stat run_summary_stat(const run_summary *s, world_metric m) {
    return stat_of(s->value[m], s->reps);
}

run_stat run_summary_family_stat(const run_summary *s, int f, world_metric m) {
    return stat_of(s->family_value[f][m], s->reps);
}

run_stat run_summary_figure_stat(const run_summary *s, int f,
                                 world_family_figure g) {
    return stat_of(s->family_figure[f][g], s->reps);
}

static run_stat stat_of(const double *x, size_t n) {
    run_stat st;
    st.mean = gsl_stats_mean(x, 1, n);
    st.ci95 = sim_ci95(x, n);
    st.min = gsl_stats_min(x, 1, n);
    st.max = gsl_stats_max(x, 1, n);
    return st;
}

int run_warn_short(const scenario *sc, const run_summary *s, FILE *out) {
    int n = 0;
    sim_time span = sc->run.duration - s->warmup;
    const char *pattern = sc->cache.pattern;
    struct { const char *key; sim_time ttl; int applies; } ttl[2] = {
        {"cache.ttl", sc->cache.ttl, strcmp(pattern, "none") != 0},
        {"local.ttl", sc->local.ttl, sc->local.instances > 0}};
    for (int i = 0; i < 2; i++) {
        if (!ttl[i].applies || ttl[i].ttl <= 0 || span >= ttl[i].ttl) continue;
        fprintf(out, "stalesim: warning: %s: the measured span (run.duration "
                "%.6g s after a warm-up of %.6g s) is shorter than %s (%.6g s):"
                " stale windows that the TTL would end are cut off and the "
                "cache is still filling; run longer\n",
                sc->path, sim_time_to_s(span), sim_time_to_s(s->warmup),
                ttl[i].key, sim_time_to_s(ttl[i].ttl));
        n++;
    }
    uint64_t stale = 0;
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) stale += s->causes[c];
    if (stale > 0 && stale < RUN_MIN_STALE) {
        fprintf(out, "stalesim: warning: %s: only %llu stale read%s over %u "
                "replication%s: the stale-age and window percentiles and the "
                "stale fraction's CI rest on too few values (want %d or "
                "more); run longer or more replications\n",
                sc->path, (unsigned long long)stale, stale == 1 ? "" : "s",
                s->reps, s->reps == 1 ? "" : "s", RUN_MIN_STALE);
        n++;
    }
    return n;
}

double run_summary_ess(const run_summary *s) {
    return s->rare_stale_w2 > 0
               ? s->rare_stale_w * s->rare_stale_w / s->rare_stale_w2
               : 0;
}

int run_warn_rare(const scenario *sc, const run_summary *s, FILE *out) {
    if (s->rare_boost <= 0) return 0;
    int n = 0;
    if (rare_max_fault_prob(sc) <= 0) {
        fprintf(out, "stalesim: warning: %s: --rare: the scenario has no "
                "fault that --rare boosts (docs/rare-events.md): the "
                "estimate is plain Monte Carlo\n", sc->path);
        return 1;
    }
    if (s->rare_faults < RUN_MIN_STALE) {
        fprintf(out, "stalesim: warning: %s: --rare: only %llu boosted "
                "fault%s over %u replication%s (boost %.6g): the weighted "
                "estimate and its CI rest on too few; run longer, more "
                "replications, or a larger --boost\n",
                sc->path, (unsigned long long)s->rare_faults,
                s->rare_faults == 1 ? "" : "s", s->reps,
                s->reps == 1 ? "" : "s", s->rare_boost);
        n++;
    }
    if ((double)s->rare_overlaps >
        RUN_RARE_OVERLAP_SHARE * (double)s->rare_faults) {
        fprintf(out, "stalesim: warning: %s: --rare: %llu of %llu boosted "
                "faults overlapped a window an earlier commit's fault kept "
                "open (%llu stale reads kept stale by both); the estimate "
                "assumes the windows of different faults rarely meet "
                "(docs/rare-events.md); a smaller --boost makes them "
                "rarer\n",
                sc->path, (unsigned long long)s->rare_overlaps,
                (unsigned long long)s->rare_faults,
                (unsigned long long)s->rare_overlap_stale);
        n++;
    }
    return n;
}
