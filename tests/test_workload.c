/* The workload: key popularity, arrival processes, sessions (read-after-write)
 * and trace replay.
 *
 * Statistical checks use fixed seeds, so each is deterministic; their bounds
 * are wide intervals (3.3 standard errors, about 99.9%) around the truth, so
 * a correct generator passes for almost every seed and a wrong rate, share or
 * dispersion fails.  Traces are loaded from scenarios and run here (their
 * parsing is in tests/test_workload_trace.c); the trace scenario of the
 * catalog is run end to end through the binary (testing_stalesim()). */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#include "experiments/run.h"
#include "models/workload.h"
#include "models/world.h"
#include "tests/testing.h"

#define Z999 3.29 /* two-sided 99.9% normal quantile */

/* ---- scenarios --------------------------------------------------------------- */

static void apply_all(scenario *sc, const char *const *sets, size_t n) {
    char err[512];
    for (size_t i = 0; i < n; i++)
        if (scenario_set(sc, sets[i], err, sizeof err) != 0) {
            fprintf(stderr, "\n    %s\n", err);
            CU_FAIL_FATAL("scenario_set");
        }
}

/* A validated scenario from defaults plus "section.key=value" settings. */
static void make_scenario(scenario *sc, const char *const *sets, size_t n) {
    char err[512];
    CU_ASSERT_FATAL(scenario_init_defaults(sc, err, sizeof err) == 0);
    apply_all(sc, sets, n);
    if (scenario_validate(sc, err, sizeof err) != 0) {
        fprintf(stderr, "\n    %s\n", err);
        CU_FAIL_FATAL("scenario_validate");
    }
}

#define SETS(...) (const char *const[]){__VA_ARGS__}, \
    sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

static const char *const zero_latency[] = {
    "db.read_latency=0", "db.write_latency=0", "cache.get_latency=0",
    "cache.set_latency=0", "cache.del_latency=0"};

static run_summary *run_or_fail(const scenario *sc) {
    char err[256];
    run_summary *s = run_scenario(sc, err, sizeof err);
    if (!s) {
        fprintf(stderr, "\n    %s\n", err);
        CU_FAIL_FATAL("run_scenario");
    }
    return s;
}

/* Draws n ops from the synthetic workload of sc, replication 0. */
static workload_op *draw_ops(const scenario *sc, size_t n) {
    sim_rng r;
    CU_ASSERT_FATAL(sim_rng_init(&r, sc->run.seed, 0) == 0);
    workload *w = workload_create(sc);
    workload_op *ops = malloc(n * sizeof *ops);
    CU_ASSERT_FATAL(w != NULL && ops != NULL);
    sim_time now = 0;
    int more = 1;
    for (size_t i = 0; i < n && more; i++) {
        more = workload_next(w, &r, now, &ops[i]);
        now = ops[i].at;
    }
    CU_ASSERT_FATAL(more == 1);
    workload_destroy(w);
    sim_rng_fini(&r);
    return ops;
}

/* ---- key popularity ---------------------------------------------------------- */

/* Key i of Zipf(s) over n keys has share (1/(i+1)^s) / H(n,s). */
static void test_zipf_shares(void) {
    const uint32_t nkeys = 1000;
    const double s = 0.99;
    const size_t n = 400000;
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=1000", "workload.popularity=zipf:0.99",
                            "run.seed=7"));
    workload_op *ops = draw_ops(&sc, n);
    size_t *count = calloc(nkeys, sizeof *count);
    CU_ASSERT_FATAL(count != NULL);
    size_t out_of_range = 0;
    for (size_t i = 0; i < n; i++) {
        if (ops[i].key < nkeys)
            count[ops[i].key]++;
        else
            out_of_range++;
    }
    EXPECT(out_of_range == 0, "%zu keys >= %u", out_of_range, nkeys);
    double h = 0;
    for (uint32_t i = 0; i < nkeys; i++) h += pow(i + 1.0, -s);
    for (uint32_t k = 0; k < 4; k++) {
        double p = pow(k + 1.0, -s) / h, share = (double)count[k] / (double)n;
        double half = Z999 * sqrt(p * (1 - p) / (double)n);
        EXPECT(fabs(share - p) <= half,
               "key %u: share %.5f, 1/(%u^s H(n,s)) = %.5f +- %.5f", k, share,
               k + 1, p, half);
    }
    /* The least popular key is drawn too, and rarely. */
    EXPECT(count[nkeys - 1] > 0 && count[nkeys - 1] < count[0] / 100,
           "key %u drawn %zu times, key 0 %zu", nkeys - 1, count[nkeys - 1],
           count[0]);
    free(count);
    free(ops);
    scenario_fini(&sc);
}

/* Uniform keys: a chi-square test over 50 keys, and key 0's share. */
static void test_uniform_keys(void) {
    const uint32_t nkeys = 50;
    const size_t n = 200000;
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=50", "run.seed=11"));
    workload_op *ops = draw_ops(&sc, n);
    size_t count[50] = {0};
    size_t out_of_range = 0;
    for (size_t i = 0; i < n; i++) {
        if (ops[i].key < nkeys)
            count[ops[i].key]++;
        else
            out_of_range++;
    }
    EXPECT(out_of_range == 0, "%zu keys >= %u", out_of_range, nkeys);
    double expect = (double)n / nkeys, chi2 = 0;
    for (uint32_t k = 0; k < nkeys; k++)
        chi2 += (count[k] - expect) * (count[k] - expect) / expect;
    double limit = gsl_cdf_chisq_Qinv(0.001, nkeys - 1);
    EXPECT(chi2 < limit, "chi-square %.1f over %u keys, 99.9%% limit %.1f", chi2,
           nkeys, limit);
    double p = 1.0 / nkeys, share = (double)count[0] / (double)n;
    double half = Z999 * sqrt(p * (1 - p) / (double)n);
    EXPECT(fabs(share - p) <= half, "key 0 share %.5f, 1/n = %.5f +- %.5f",
           share, p, half);
    free(ops);
    scenario_fini(&sc);
}

/* ---- arrivals ----------------------------------------------------------------- */

/* Common random numbers: poisson and constant workloads draw exactly what
 * they drew before bursty arrivals existed (values recorded from that build,
 * seed 1, replication 0; the poisson gaps re-recorded for stalesim 0.2.0,
 * whose exponential draws are the ziggurat's: its rare wedge and tail draws
 * take more than one word of the stream, so the client of op 999 moves too,
 * while keys come from their own stream).  Zipf keys consume the KEYS stream as before, but
 * the alias table was corrected in the same change (it used GSL's cumulative
 * F as the per-slot probability, so key 0 got 0.21 of the draws instead of
 * 0.13 at s = 0.99): their keys are pinned as corrected, the slots and
 * coins behind them being the same draws. */
static void test_synthetic_draws_pinned(void) {
    static const struct {
        const char *arrivals, *popularity;
        workload_op first[3], last; /* ops 0..2 and op 999 */
    } pin[] = {
        {"poisson", "uniform",
         {{1929314, WORKLOAD_READ, 821, 0}, {2877621, WORKLOAD_READ, 935, 4},
          {2982204, WORKLOAD_READ, 195, 2}},
         {986875319, WORKLOAD_READ, 987, 0}},
        {"poisson", "zipf:0.99",
         {{1929314, WORKLOAD_READ, 18, 0}, {2877621, WORKLOAD_READ, 195, 4},
          {2982204, WORKLOAD_READ, 32, 2}},
         {986875319, WORKLOAD_READ, 8, 0}},
        {"constant", "uniform",
         {{1000000, WORKLOAD_READ, 821, 2}, {2000000, WORKLOAD_READ, 935, 1},
          {3000000, WORKLOAD_READ, 195, 4}},
         {1000000000, WORKLOAD_READ, 987, 5}},
        {"constant", "zipf:1.2",
         {{1000000, WORKLOAD_READ, 10, 2}, {2000000, WORKLOAD_READ, 195, 1},
          {3000000, WORKLOAD_READ, 19, 4}},
         {1000000000, WORKLOAD_READ, 4, 5}},
    };
    for (size_t c = 0; c < sizeof pin / sizeof pin[0]; c++) {
        char a[64], p[64];
        snprintf(a, sizeof a, "workload.arrivals=%s", pin[c].arrivals);
        snprintf(p, sizeof p, "workload.popularity=%s", pin[c].popularity);
        scenario sc;
        make_scenario(&sc, SETS(a, p, "workload.reads=900/s",
                                "workload.writes=100/s", "workload.keys=1000",
                                "workload.clients=7"));
        workload_op *ops = draw_ops(&sc, 1000);
        for (int i = 0; i < 4; i++) {
            const workload_op *want = i < 3 ? &pin[c].first[i] : &pin[c].last;
            const workload_op *got = &ops[i < 3 ? i : 999];
            EXPECT(got->at == want->at && got->kind == want->kind &&
                       got->key == want->key && got->client == want->client,
                   "%s %s op %d: (%lld, %d, %u, %u), pinned (%lld, %d, %u, %u)",
                   pin[c].arrivals, pin[c].popularity, i < 3 ? i : 999,
                   (long long)got->at, (int)got->kind, got->key, got->client,
                   (long long)want->at, (int)want->kind, want->key,
                   want->client);
        }
        free(ops);
        scenario_fini(&sc);
    }
}

/* Arrival counts per window of `window` ns over `n` arrivals: the index of
 * dispersion (variance / mean) and the mean rate per s with its 99.9%
 * half-width from batches of `batch` windows. */
typedef struct count_stats {
    double dispersion, rate, rate_half;
    size_t batches; /* behind rate_half */
} count_stats;

static count_stats arrival_counts(const scenario *sc, size_t n, sim_time window,
                                  size_t batch) {
    workload_op *ops = draw_ops(sc, n);
    size_t nwin = (size_t)(ops[n - 1].at / window); /* complete windows */
    double *c = calloc(nwin, sizeof *c);
    CU_ASSERT_FATAL(c != NULL && nwin >= 2 * batch);
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)(ops[i].at / window);
        if (k < nwin) c[k] += 1;
    }
    double mean = 0, var = 0;
    for (size_t k = 0; k < nwin; k++) mean += c[k];
    mean /= (double)nwin;
    for (size_t k = 0; k < nwin; k++) var += (c[k] - mean) * (c[k] - mean);
    var /= (double)(nwin - 1);
    size_t nb = nwin / batch;
    double bm = 0, bv = 0, *b = calloc(nb, sizeof *b);
    CU_ASSERT_FATAL(b != NULL);
    for (size_t j = 0; j < nb; j++) {
        for (size_t k = 0; k < batch; k++) b[j] += c[j * batch + k];
        b[j] /= (double)batch * sim_time_to_s(window); /* per s */
        bm += b[j];
    }
    bm /= (double)nb;
    for (size_t j = 0; j < nb; j++) bv += (b[j] - bm) * (b[j] - bm);
    bv /= (double)(nb - 1);
    count_stats st = {var / mean, bm, Z999 * sqrt(bv / (double)nb), nb};
    free(b);
    free(c);
    free(ops);
    return st;
}

/* The variance of the count of arrivals in a window of t s of the bursty
 * process (a two-state Markov-modulated Poisson process): on and off
 * periods of mean `on` and `off` s, rates r_on and r_off per s, stationary
 * shares p = on / (on + off) and q = 1 - p.  The rate's covariance at lag u
 * is p q (r_on - r_off)^2 e^{-k u} with k = 1/on + 1/off, so
 *   Var N(t) = m t + 2 p q (r_on - r_off)^2 (t / k - (1 - e^{-k t}) / k^2),
 * m = p r_on + q r_off the long-run rate. */
static double bursty_count_variance(double on, double off, double r_on,
                                    double r_off, double t) {
    double p = on / (on + off), q = 1 - p, k = 1 / on + 1 / off;
    double d = r_on - r_off, m = p * r_on + q * r_off;
    return m * t + 2 * p * q * d * d * (t / k - (1 - exp(-k * t)) / (k * k));
}

/* bursty:1s,4s,10 at 100/s: the long-run rate is still 100/s; counts per
 * second are far more variable than Poisson's (index of dispersion 1); the
 * rate's interval is as wide as the model says: its half-width is
 * Z999 sigma / sqrt(nb) for batches of 100 s whose rate has the variance
 * sigma^2 above / 100^2 (5.37 /s for about 99 batches), and the sample's
 * (nb - 1) s^2 / sigma^2 is chi-square with nb - 1 degrees of freedom
 * (batches of ~80 on/off cycles: near normal, and independent, the
 * rate's correlation decaying as e^{-1.25 u}), so the half-width lies in
 * the chi-square's central 99.9%. */
static void test_bursty_rate_and_dispersion(void) {
    scenario sc;
    make_scenario(&sc, SETS("workload.reads=90/s", "workload.writes=10/s",
                            "workload.arrivals=bursty:1s,4s,10", "run.seed=3"));
    count_stats st = arrival_counts(&sc, 1000000, SIM_S, 100);
    EXPECT(fabs(st.rate - 100) <= st.rate_half,
           "bursty long-run rate %.3f +- %.3f /s, configured 100/s", st.rate,
           st.rate_half);
    const double batch_s = 100, r_off = 100 * (1 + 4) / (10 * 1 + 4.0);
    double sigma = sqrt(bursty_count_variance(1, 4, 10 * r_off, r_off,
                                              batch_s)) / batch_s;
    double want = Z999 * sigma / sqrt((double)st.batches);
    double dof = (double)st.batches - 1;
    double lo = want * sqrt(gsl_cdf_chisq_Pinv(0.0005, dof) / dof);
    double hi = want * sqrt(gsl_cdf_chisq_Pinv(0.9995, dof) / dof);
    EXPECT(st.rate_half >= lo && st.rate_half <= hi,
           "bursty rate half-width %.3f /s over %zu batches, the model's "
           "%.3f (99.9%%: %.3f..%.3f)",
           st.rate_half, st.batches, want, lo, hi);
    EXPECT(st.dispersion > 5, "bursty index of dispersion %.3f (Poisson: 1)",
           st.dispersion);
    scenario_fini(&sc);

    /* Controls: Poisson is near 1, constant near 0, both at the right rate. */
    make_scenario(&sc, SETS("workload.reads=90/s", "workload.writes=10/s",
                            "run.seed=3"));
    st = arrival_counts(&sc, 400000, SIM_S, 100);
    EXPECT(fabs(st.dispersion - 1) < 0.05, "poisson dispersion %.4f",
           st.dispersion);
    EXPECT(fabs(st.rate - 100) <= st.rate_half, "poisson rate %.3f +- %.3f",
           st.rate, st.rate_half);
    scenario_fini(&sc);
    make_scenario(&sc, SETS("workload.reads=90/s", "workload.writes=10/s",
                            "workload.arrivals=constant"));
    st = arrival_counts(&sc, 100000, SIM_S, 100);
    EXPECT(st.dispersion < 0.01, "constant dispersion %.4f", st.dispersion);
    scenario_fini(&sc);
}

/* With FACTOR 1 bursty is Poisson at the configured rate, whatever ON and
 * OFF; the read share is kept under bursts. */
static void test_bursty_factor_one_and_mix(void) {
    scenario sc;
    make_scenario(&sc, SETS("workload.reads=80/s", "workload.writes=20/s",
                            "workload.arrivals=bursty:2s,3s,1", "run.seed=5"));
    count_stats st = arrival_counts(&sc, 400000, SIM_S, 100);
    EXPECT(fabs(st.dispersion - 1) < 0.05, "bursty FACTOR 1 dispersion %.4f",
           st.dispersion);
    EXPECT(fabs(st.rate - 100) <= st.rate_half, "rate %.3f +- %.3f", st.rate,
           st.rate_half);
    scenario_fini(&sc);
    make_scenario(&sc, SETS("workload.reads=80/s", "workload.writes=20/s",
                            "workload.arrivals=bursty:500ms,2s,20",
                            "run.seed=5"));
    const size_t n = 200000;
    workload_op *ops = draw_ops(&sc, n);
    size_t reads = 0;
    for (size_t i = 0; i < n; i++) reads += ops[i].kind == WORKLOAD_READ;
    double share = (double)reads / (double)n;
    double half = Z999 * sqrt(0.8 * 0.2 / (double)n);
    EXPECT(fabs(share - 0.8) <= half, "read share %.4f, want 0.8 +- %.4f",
           share, half);
    free(ops);
    scenario_fini(&sc);
}

/* Through the world: a bursty run answers reads at the configured rate. */
static void test_bursty_run(void) {
    scenario sc;
    make_scenario(&sc, SETS("workload.reads=45/s", "workload.writes=5/s",
                            "workload.arrivals=bursty:1s,9s,10",
                            "workload.keys=100", "run.duration=1000s",
                            "run.reps=10"));
    run_summary *s = run_or_fail(&sc);
    run_stat r = run_summary_stat(s, WORLD_METRIC_READS);
    run_stat wr = run_summary_stat(s, WORLD_METRIC_WRITES);
    /* 95% t intervals over 10 replications, widened x2.2 to about 99.9%. */
    EXPECT(fabs(r.mean - 45000) <= 2.2 * r.ci95,
           "reads %.1f +- %.1f, want 45000", r.mean, 2.2 * r.ci95);
    EXPECT(fabs(wr.mean - 5000) <= 2.2 * wr.ci95,
           "writes %.1f +- %.1f, want 5000", wr.mean, 2.2 * wr.ci95);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

/* ---- sessions: read-after-write ------------------------------------------------ */

/* Every acknowledged write is read back once, by its own client, as an
 * ordinary read: with zero latency, no faults and a 1 ms delay, 100 scripted
 * writes give 100 reads, all fresh. */
static void test_read_after_write_scripted(void) {
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=10", "workload.read_after_write=1",
                            "workload.read_after_write_delay=const:1ms",
                            "run.duration=60s"));
    apply_all(&sc, zero_latency, 5);
    workload_op ops[100];
    for (int i = 0; i < 100; i++)
        ops[i] = (workload_op){(sim_time)i * 100 * SIM_MS, WORKLOAD_WRITE,
                               (uint32_t)(i % 10), (uint32_t)(i % 7)};
    world *w = world_create_scripted(&sc, 0, ops, 100);
    world_result *res = malloc(sizeof *res);
    CU_ASSERT_FATAL(w != NULL && res != NULL);
    CU_ASSERT_FATAL(world_run(w, res) == 0);
    EXPECT(res->metric[WORLD_METRIC_WRITES] == 100, "writes %g", res->metric[WORLD_METRIC_WRITES]);
    EXPECT(res->metric[WORLD_METRIC_READS] == 100, "read-backs %g, want 100",
           res->metric[WORLD_METRIC_READS]);
    EXPECT(res->metric[WORLD_METRIC_STALE_READS] == 0 &&
               res->metric[WORLD_METRIC_RYW_VIOLATIONS] == 0,
           "stale %g, ryw %g", res->metric[WORLD_METRIC_STALE_READS],
           res->metric[WORLD_METRIC_RYW_VIOLATIONS]);
    world_destroy(w);
    free(res);
    scenario_fini(&sc);
}

/* A read-back is a read of the writer's key by the writer's client, after
 * the delay: checked on the world's trace. */
typedef struct rb_log {
    size_t writes_done, reads;
    int ok;
    sim_time ack_at[64];
    uint32_t ack_key[64], ack_client[64];
} rb_log;

static void rb_trace(void *ctx, const trace_rec *t) {
    rb_log *l = ctx;
    if (t->op == TRACE_WRITE_DONE && l->writes_done < 64) {
        l->ack_at[l->writes_done] = t->t;
        l->ack_key[l->writes_done] = t->key;
        l->ack_client[l->writes_done] = t->client;
        l->writes_done++;
    } else if (t->op == TRACE_READ) {
        size_t i = l->reads++;
        if (i >= l->writes_done || t->t != l->ack_at[i] + 2 * SIM_MS ||
            t->key != l->ack_key[i] || t->client != l->ack_client[i])
            l->ok = 0;
    }
}

static void test_read_after_write_same_client_and_key(void) {
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=10", "workload.read_after_write=1",
                            "workload.read_after_write_delay=const:2ms",
                            "run.duration=10s"));
    workload_op ops[20];
    for (int i = 0; i < 20; i++)
        ops[i] = (workload_op){(sim_time)i * 200 * SIM_MS, WORKLOAD_WRITE,
                               (uint32_t)(i * 3 % 10), (uint32_t)(i % 4)};
    world *w = world_create_scripted(&sc, 0, ops, 20);
    world_result *res = malloc(sizeof *res);
    rb_log *l = calloc(1, sizeof *l);
    CU_ASSERT_FATAL(w != NULL && res != NULL && l != NULL);
    l->ok = 1;
    world_set_tracer(w, rb_trace, l);
    CU_ASSERT_FATAL(world_run(w, res) == 0);
    EXPECT(l->writes_done == 20 && l->reads == 20 && l->ok,
           "acks %zu, read-backs %zu, each by its writer 2 ms after: %d",
           l->writes_done, l->reads, l->ok);
    world_destroy(w);
    free(res);
    free(l);
    scenario_fini(&sc);
}

/* P(read-back) = read_after_write; the synthetic arrivals do not change
 * (their streams are untouched), so writes are identical with and without. */
static void test_read_after_write_probability(void) {
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=100", "workload.reads=10/s",
                            "workload.writes=50/s", "run.duration=200s",
                            "run.reps=1", "workload.read_after_write=0.3",
                            "workload.read_after_write_delay=exp:10ms"));
    apply_all(&sc, zero_latency, 5);
    world_result *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    CU_ASSERT_FATAL(a != NULL && b != NULL);
    CU_ASSERT_FATAL(run_replication(&sc, 0, a) == 0);
    apply_all(&sc, SETS("workload.read_after_write=0"));
    CU_ASSERT_FATAL(run_replication(&sc, 0, b) == 0);
    double writes = a->metric[WORLD_METRIC_WRITES];
    EXPECT(writes == b->metric[WORLD_METRIC_WRITES] && writes > 9000,
           "writes %g with read-backs, %g without", writes,
           b->metric[WORLD_METRIC_WRITES]);
    double backs = a->metric[WORLD_METRIC_READS] - b->metric[WORLD_METRIC_READS];
    double half = Z999 * sqrt(writes * 0.3 * 0.7) + 2; /* + in flight at end */
    EXPECT(fabs(backs - 0.3 * writes) <= half,
           "%g read-backs of %g writes, want 0.3 x = %.1f +- %.1f", backs,
           writes, 0.3 * writes, half);
    free(a);
    free(b);
    scenario_fini(&sc);
}

/* A failed DEL leaves the old value cached: the writer reading its key back
 * sees the old version, a read-your-writes violation.  Without faults and
 * with zero latencies there is none. */
static void test_read_after_write_violations(void) {
    scenario sc;
    make_scenario(&sc, SETS("workload.keys=20", "workload.reads=200/s",
                            "workload.writes=10/s", "run.duration=300s",
                            "run.reps=3", "workload.read_after_write=1",
                            "workload.read_after_write_delay=exp:20ms",
                            "faults.del_fail=0.2"));
    run_summary *s = run_or_fail(&sc);
    run_stat ryw = run_summary_stat(s, WORLD_METRIC_RYW_VIOLATIONS);
    run_stat stale = run_summary_stat(s, WORLD_METRIC_STALE_READS);
    EXPECT(ryw.min > 0, "ryw_violations min %g with del_fail 0.2", ryw.min);
    EXPECT(ryw.mean <= stale.mean, "ryw %g > stale %g", ryw.mean, stale.mean);
    run_summary_destroy(s);
    scenario_fini(&sc);

    make_scenario(&sc, SETS("workload.keys=20", "workload.reads=200/s",
                            "workload.writes=10/s", "run.duration=300s",
                            "run.reps=3", "workload.read_after_write=1",
                            "workload.read_after_write_delay=exp:20ms"));
    apply_all(&sc, zero_latency, 5);
    s = run_or_fail(&sc);
    ryw = run_summary_stat(s, WORLD_METRIC_RYW_VIOLATIONS);
    stale = run_summary_stat(s, WORLD_METRIC_STALE_READS);
    run_stat reads = run_summary_stat(s, WORLD_METRIC_READS);
    run_stat writes = run_summary_stat(s, WORLD_METRIC_WRITES);
    EXPECT(ryw.max == 0 && stale.max == 0, "ryw max %g, stale max %g", ryw.max,
           stale.max);
    /* The same arrivals without sessions: every write was read back (but
     * those still waiting at the end). */
    apply_all(&sc, SETS("workload.read_after_write=0"));
    run_summary *s0 = run_or_fail(&sc);
    double backs = reads.mean - run_summary_stat(s0, WORLD_METRIC_READS).mean;
    EXPECT(backs <= writes.mean && backs >= writes.mean - 3,
           "%g read-backs for %g writes", backs, writes.mean);
    run_summary_destroy(s0);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

/* ---- traces: loading and running ------------------------------------------------ */

/* A temporary folder holding `name` with `text`; returns the folder. */
static char *temp_dir_with(const char *name, const char *text) {
    char tmpl[] = "/tmp/stalesim-test-workload-XXXXXX";
    char *dir = mkdtemp(tmpl);
    CU_ASSERT_FATAL(dir != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(text, f);
    fclose(f);
    char *d = malloc(sizeof tmpl);
    CU_ASSERT_FATAL(d != NULL);
    memcpy(d, tmpl, sizeof tmpl);
    return d;
}

static void remove_temp_dir(char *dir, const char *const *names, size_t n) {
    char path[256];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    free(dir);
}

/* Loads "DIR/s.ini" = ini; the scenario's folder is DIR. */
static void load_ini(scenario *sc, const char *dir, const char *ini) {
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/s.ini", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(ini, f);
    fclose(f);
    CU_ASSERT_FATAL(scenario_init_defaults(sc, err, sizeof err) == 0);
    if (scenario_load(sc, path, err, sizeof err) != 0 ||
        scenario_validate(sc, err, sizeof err) != 0) {
        fprintf(stderr, "\n    %s\n", err);
        CU_FAIL_FATAL("scenario_load");
    }
}

/* A relative trace is found next to the scenario; [workload] keys must cover
 * the trace's keys; a missing file is named. */
static void test_trace_load(void) {
    static const char *const names[] = {"t.csv", "s.ini"};
    char *dir = temp_dir_with("t.csv", "0,a,write\n1,b,read\n2,c,read\n");
    scenario sc;
    load_ini(&sc, dir,
             "[workload]\ntrace = t.csv\ntrace_format = csv\nkeys = 3\n");
    workload_trace t;
    char err[512] = "";
    int rc = workload_trace_load(&sc, &t, err, sizeof err);
    EXPECT(rc == 0 && t.n == 3 && t.keys == 3, "rc %d n %zu: %s", rc, t.n, err);
    if (rc == 0) workload_trace_fini(&t);
    EXPECT(workload_trace_check(&sc, err, sizeof err) == 0, "check: %s", err);

    apply_all(&sc, SETS("workload.keys=2"));
    rc = workload_trace_load(&sc, &t, err, sizeof err);
    EXPECT(rc == -1 && strstr(err, "t.csv: the trace has 3 distinct keys; set "
                                   "[workload] keys >= 3 (it is 2)"),
           "rc %d: %s", rc, err);
    rc = workload_trace_check(&sc, err, sizeof err);
    EXPECT(rc == -1 && strstr(err, "keys >= 3"), "check rc %d: %s", rc, err);
    /* The world refuses it too, without crashing. */
    world *w = world_create(&sc, 0);
    EXPECT(w == NULL, "world_create accepted a trace with too many keys");
    world_destroy(w);

    apply_all(&sc, SETS("workload.trace=missing.csv"));
    rc = workload_trace_check(&sc, err, sizeof err);
    EXPECT(rc == -1 && strstr(err, "missing.csv: cannot open the trace") &&
               strstr(err, dir),
           "rc %d: %s", rc, err);
    scenario_fini(&sc);

    /* No trace: nothing to check. */
    CU_ASSERT_FATAL(scenario_init_defaults(&sc, err, sizeof err) == 0);
    EXPECT(workload_trace_check(&sc, err, sizeof err) == 0, "%s", err);
    scenario_fini(&sc);
    remove_temp_dir(dir, names, 2);
}

/* A CSV trace through the world: every request counted, once per
 * replication, the run's duration cutting it off; a write then a read of its
 * key with zero latency is fresh, and a failed DEL makes the later read stale. */
static void test_trace_run(void) {
    static const char *const names[] = {"t.csv", "s.ini"};
    char *dir = temp_dir_with("t.csv", "time,key,op\n"
                                       "0,a,read\n"   /* fill v0 */
                                       "1,a,write\n"  /* v1, DEL */
                                       "2,a,read\n"   /* refill v1 */
                                       "3,b,read\n"   /* fill b */
                                       "3.5,b,read\n" /* the one hit */
                                       "4,a,write\n"  /* v2, DEL */
                                       "5,a,read\n"
                                       "100,b,read\n"); /* past the end */
    scenario sc;
    load_ini(&sc, dir,
             "[run]\nduration = 50s\nreps = 3\n"
             "[workload]\ntrace = t.csv\ntrace_format = csv\nkeys = 2\n"
             "[db]\nread_latency = 0\nwrite_latency = 0\n"
             "[cache]\nget_latency = 0\nset_latency = 0\ndel_latency = 0\n");
    run_summary *s = run_or_fail(&sc);
    run_stat reads = run_summary_stat(s, WORLD_METRIC_READS);
    run_stat writes = run_summary_stat(s, WORLD_METRIC_WRITES);
    run_stat stale = run_summary_stat(s, WORLD_METRIC_STALE_READS);
    run_stat hit = run_summary_stat(s, WORLD_METRIC_HIT_RATIO);
    EXPECT(reads.min == 5 && reads.max == 5 && writes.min == 2 &&
               writes.max == 2 && stale.max == 0,
           "reads %g..%g (want 5), writes %g..%g (want 2), stale max %g",
           reads.min, reads.max, writes.min, writes.max, stale.max);
    EXPECT(fabs(hit.mean - 0.2) < 1e-12, "hit ratio %g, want 1/5", hit.mean);
    run_summary_destroy(s);

    /* Every DEL fails: the reads at 2 s and 5 s get the stale cached v0. */
    apply_all(&sc, SETS("faults.del_fail=1"));
    s = run_or_fail(&sc);
    stale = run_summary_stat(s, WORLD_METRIC_STALE_READS);
    EXPECT(stale.min == 2 && stale.max == 2, "stale %g..%g, want 2", stale.min,
           stale.max);
    run_summary_destroy(s);
    scenario_fini(&sc);
    remove_temp_dir(dir, names, 2);
}

/* The trace is read once and shared: after workload_trace_attach the file
 * may vanish and every replication, and a copy of the scenario, still
 * replays it with the same results; a --set naming another trace is not
 * served from the attached copy. */
static void test_trace_shared(void) {
    static const char *const names[] = {"t.csv", "s.ini"};
    char *dir = temp_dir_with("t.csv", "0,a,read\n1,a,write\n2,a,read\n"
                                       "3,b,read\n3.5,b,read\n4,a,write\n");
    scenario sc;
    load_ini(&sc, dir,
             "[run]\nduration = 50s\nreps = 3\n"
             "[workload]\ntrace = t.csv\ntrace_format = csv\nkeys = 2\n"
             "[faults]\ndel_fail = 0.5\n");
    run_summary *fresh = run_or_fail(&sc); /* read at each replication */
    char err[512] = "";
    EXPECT(workload_trace_attach(&sc, NULL, err, sizeof err) == 0, "%s", err);
    EXPECT(sc.trace_shared != NULL, "nothing attached");
    char path[256];
    snprintf(path, sizeof path, "%s/t.csv", dir);
    unlink(path);
    run_summary *shared = run_or_fail(&sc);
    scenario copy;
    CU_ASSERT_FATAL(scenario_copy(&copy, &sc) == 0);
    EXPECT(copy.trace_shared == sc.trace_shared, "the copy reads it again");
    run_summary *copied = run_or_fail(&copy);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        for (uint32_t r = 0; r < 3; r++)
            EXPECT(fresh->value[m][r] == shared->value[m][r] &&
                       fresh->value[m][r] == copied->value[m][r],
                   "metric %d rep %u: %g fresh, %g shared, %g copied", m, r,
                   fresh->value[m][r], shared->value[m][r],
                   copied->value[m][r]);
    /* Another file: not the attached trace (it no longer exists). */
    apply_all(&copy, SETS("workload.trace=other.csv"));
    world *w = world_create(&copy, 0);
    EXPECT(w == NULL, "world_create replayed the attached trace for other.csv");
    world_destroy(w);
    EXPECT(workload_trace_attach(&copy, &sc, err, sizeof err) == -1 &&
               strstr(err, "other.csv: cannot open the trace"),
           "%s", err);
    run_summary_destroy(fresh);
    run_summary_destroy(shared);
    run_summary_destroy(copied);
    scenario_fini(&copy);
    scenario_fini(&sc);
    remove_temp_dir(dir, names, 2);
}

/* ---- the catalog's trace scenario through the binary ------------------------------ */

/* Runs `stalesim ARGS` from the repository root; returns the exit code (-1 if
 * it did not exit normally) and the first `outlen` bytes of stdout and of
 * stderr. */
static int run_binary(const char *args, char *out, size_t outlen, char *errout,
                      size_t errlen) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' %s </dev/null >/tmp/stalesim-test-workload.out "
             "2>/tmp/stalesim-test-workload.err",
             testing_stalesim(), args);
    int st = system(cmd);
    const char *files[2] = {"/tmp/stalesim-test-workload.out",
                            "/tmp/stalesim-test-workload.err"};
    char *bufs[2] = {out, errout};
    size_t lens[2] = {outlen, errlen};
    for (int i = 0; i < 2; i++) {
        bufs[i][0] = '\0';
        FILE *f = fopen(files[i], "r");
        if (f) {
            size_t n = fread(bufs[i], 1, lens[i] - 1, f);
            bufs[i][n] = '\0';
            fclose(f);
        }
        unlink(files[i]);
    }
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* "min" and "max" of metric `name` in run --format json output. */
static int json_metric(const char *json, const char *name, double *min,
                       double *max) {
    char needle[64];
    snprintf(needle, sizeof needle, "\"%s\": {", name);
    const char *p = strstr(json, needle);
    if (!p) return -1;
    const char *mn = strstr(p, "\"min\": "), *mx = strstr(p, "\"max\": ");
    if (!mn || !mx) return -1;
    *min = strtod(mn + 7, NULL);
    *max = strtod(mx + 7, NULL);
    return 0;
}

static void test_trace_scenario_cli(void) {
    const char *bin = testing_stalesim();
    if (access(bin, X_OK) != 0) {
        CU_FAIL("no stalesim binary: run the tests from the repository root "
                "after `make stalesim`");
        return;
    }
    static char out[1 << 16], err[4096];
    int code = run_binary("run experiments/scenarios/trace-replay.ini --reps 3 "
                          "--format json",
                          out, sizeof out, err, sizeof err);
    EXPECT(code == 0 && err[0] == '\0', "exit %d, stderr [%.600s]", code, err);
    double rmin = -1, rmax = -1, wmin = -1, wmax = -1;
    int got = json_metric(out, "reads", &rmin, &rmax) == 0 &&
              json_metric(out, "writes", &wmin, &wmax) == 0;
    /* The fixture's 1,706 gets and 294 writes, in every replication. */
    EXPECT(got && rmin == 1706 && rmax == 1706 && wmin == 294 && wmax == 294,
           "reads %g..%g (want 1706), writes %g..%g (want 294)", rmin, rmax,
           wmin, wmax);
    double smin = -1, smax = -1;
    got = json_metric(out, "stale_reads", &smin, &smax) == 0;
    EXPECT(got && smax > 0, "stale reads %g..%g: del_fail 0.05 should show",
           smin, smax);

    /* A malformed trace stops the run with a one-line error, not a crash. */
    FILE *f = fopen("/tmp/stalesim-test-workload.trace", "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("0,a,1,1,0,get,0\n1,b,1,1,0,fetch,0\n", f);
    fclose(f);
    code = run_binary("run experiments/scenarios/trace-replay.ini --reps 1 "
                      "--set workload.trace=/tmp/stalesim-test-workload.trace",
                      out, sizeof out, err, sizeof err);
    size_t n = strlen(err);
    EXPECT(code == 2 && out[0] == '\0' &&
               strncmp(err, "stalesim: error: ", 17) == 0 &&
               strstr(err, ":2: ") != NULL &&
               strchr(err, '\n') == err + n - 1,
           "exit %d (want 2, naming line 2), "
           "stdout [%.100s], stderr [%.600s]",
           code, out, err);
    unlink("/tmp/stalesim-test-workload.trace");
}

static CU_TestInfo tests[] = {
    {"zipf: key shares are 1/((i+1)^s H(n,s))", test_zipf_shares},
    {"uniform keys: chi-square and key 0's share", test_uniform_keys},
    {"poisson and constant draws are unchanged (pinned)",
     test_synthetic_draws_pinned},
    {"bursty: long-run rate kept, dispersion well above Poisson",
     test_bursty_rate_and_dispersion},
    {"bursty: FACTOR 1 is Poisson; the read share holds",
     test_bursty_factor_one_and_mix},
    {"bursty: a run answers reads at the configured rate", test_bursty_run},
    {"read-after-write: every ack read back once", test_read_after_write_scripted},
    {"read-after-write: same key, same client, after the delay",
     test_read_after_write_same_client_and_key},
    {"read-after-write: probability; arrivals unchanged",
     test_read_after_write_probability},
    {"read-after-write: violations with failed DELs, none without",
     test_read_after_write_violations},
    {"trace: relative path, key count, missing file", test_trace_load},
    {"trace: a run counts every request, faults make it stale", test_trace_run},
    {"trace: the catalog scenario through the binary", test_trace_scenario_cli},
    {"trace: read once, shared by replications and copies", test_trace_shared},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("workload", NULL, NULL, tests)
