/* Rare-event estimation of cache outages (models/outage.c, models/rare.h,
 * docs/rare-events.md "Cache outages"): the outage process boosted from
 * rate lambda to lambda', each outage's ratio lambda/lambda' carried by the
 * keys it empties (DIVERGED) to the reads of those keys, the fills they
 * start and the copies those fills store stale.
 *
 * The exact reference: one key, cache-aside writing by update-after-write
 * (the writer's update-SET lands with its commit: no lag, no miss, so
 * nothing is ever stale without outages), a cache that never expires,
 * Poisson reads L and writes M, zero latencies except the DB read's
 * response, Exp(rho): a miss reads the DB at once and its fill SET lands
 * when the answer is back.  An outage empties the cache; afterwards the
 * reads miss until a fill or a write's update stores, and a fill whose
 * value a write superseded while it was on its way stores it stale, until
 * the next write.  With a fills on the way (all holding the latest), b
 * holding a superseded value, the cache empty (E), fresh (F) or stale (S),
 * the expected stale time until the cache is fresh with no fill on the way
 * solves, from E with no fill:
 *   hS(b)  = sum_{j=0..b} 1/(M + j rho)           (S, b stale fills)
 *   hF(0,b) = hS(b-1), hF(0,0) = 0                 (F, b stale fills)
 *   hF(a,0) = (M hF(0,a) + a rho hF(a-1,0)) / (M + a rho)
 *   hE(a)  = (L hE(a+1) + M hF(0,a) + a rho hF(a-1,0)) / (L + M + a rho)
 * (a write makes every fill on the way stale and the cache fresh; a fresh
 * landing leaves it fresh, a stale one stale; reads miss only while it is
 * empty).  Every read in S is stale, so the stale-read fraction is
 * lambda hE(0) at first order (reads during an outage go to the DB and are
 * fresh; the next term is of relative order lambda (D + hE(0)), below 1e-5
 * here at 1e-6/s).  hE(a) is solved downward from a = 200, where the read
 * term is dropped (the chance of 200 fills on the way is nil).
 *
 * With races, latencies and stale reads that need no outage: write-through-
 * race.ini's workload (Zipf keys, a slow DB answer) against plain Monte
 * Carlo, with the writers' update-SETs instant (nothing stale without
 * outages: the refills' races are all there is) and with them taking 1 ms
 * (invalidation lag the outages take away while they last, which the
 * estimate counts back through the ghosts); and stale-write-back-race.ini
 * (cache-aside deleting: races of its own at every write).  `make validate` adds lambda =
 * 1e-9 against the chain and longer comparisons. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiments/run.h"
#include "models/rare.h"
#include "tests/testing.h"
#include "tests/testing_rare.h"

static const double OU_L = 1, OU_M = 0.5, OU_RHO = 0.5; /* /s, /s, /s */
#define OU_FILLS 200 /* fills on the way the chain keeps */

/* hE(0) of the chain above (s): the expected stale time one outage causes. */
static double stale_time_per_outage(void) {
    static double hs[OU_FILLS + 1], hfa[OU_FILLS + 1], he[OU_FILLS + 2];
    double acc = 0;
    for (int b = 0; b <= OU_FILLS; b++) {
        acc += 1 / (OU_M + b * OU_RHO);
        hs[b] = acc;
    }
#define HF0(b) ((b) == 0 ? 0 : hs[(b) - 1])
    hfa[0] = 0;
    for (int a = 1; a <= OU_FILLS; a++)
        hfa[a] = (OU_M * HF0(a) + a * OU_RHO * hfa[a - 1]) /
                 (OU_M + a * OU_RHO);
    he[OU_FILLS] = (OU_M * HF0(OU_FILLS) +
                    OU_FILLS * OU_RHO * hfa[OU_FILLS - 1]) /
                   (OU_M + OU_FILLS * OU_RHO);
    for (int a = OU_FILLS - 1; a >= 0; a--) {
        double land = a > 0 ? a * OU_RHO * hfa[a - 1] : 0;
        he[a] = (OU_L * he[a + 1] + OU_M * HF0(a) + land) /
                (OU_L + OU_M + a * OU_RHO);
    }
#undef HF0
    return he[0];
}

static void chain_scenario(scenario *sc, double lambda, const char *duration,
                           int boosted) {
    char err[512], set[128];
    CU_ASSERT_FATAL(scenario_init_defaults(sc, err, sizeof err) == 0);
    static const char *const sets[] = {
        "workload.keys=1",         "workload.reads=1/s",
        "workload.writes=0.5/s",   "cache.pattern=cache-aside",
        "cache.invalidation=update-after-write",
        "cache.ttl=0",             "db.read_latency=0",
        "db.read_response=exp:2s", "db.write_latency=0",
        "cache.get_latency=0",     "cache.set_latency=0",
        "cache.del_latency=0",     "cache.outage_duration=exp:5s",
        "run.warmup=100s",         "run.reps=10"};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        CU_ASSERT_FATAL(scenario_set(sc, sets[i], err, sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_set(sc, duration, err, sizeof err) == 0);
    snprintf(set, sizeof set, "cache.outage_rate=%.17g/s", lambda);
    CU_ASSERT_FATAL(scenario_set(sc, set, err, sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_validate(sc, err, sizeof err) == 0);
    sc->rare_boost = boosted ? rare_auto_boost(sc) : 0;
}

/* The chain's per-outage stale time (first order: hE(0) = 0.97869 s). */
static void test_chain(void) {
    double h = stale_time_per_outage();
    EXPECT(fabs(h - 0.9786869221) < 1e-8, "stale time per outage %.10g", h);
}

static void chain_at(double lambda) {
    scenario sc;
    chain_scenario(&sc, lambda, "run.duration=100000s", 1);
    char err[256], what[64];
    run_summary *s = run_scenario(&sc, err, sizeof err);
    CU_ASSERT_FATAL(s != NULL);
    snprintf(what, sizeof what, "cache outages %g/s, exact", lambda);
    testing_rare_truth(what, s, lambda * stale_time_per_outage());
    EXPECT(s->rare_overlaps * 20 < s->rare_faults, "%llu overlaps",
           (unsigned long long)s->rare_overlaps);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

static void test_chain_1e6(void) { chain_at(1e-6); }

static void test_chain_validate(void) {
    if (testing_validate()) chain_at(1e-9);
}

/* At 1e-3/s plain Monte Carlo sees 100 outages a replication: it and
 * --rare agree, and both hold the first-order value within their intervals
 * plus the second-order term (lambda (D + hE(0)), 0.6% here). */
static void test_chain_plain(void) {
    scenario sc;
    chain_scenario(&sc, 1e-3, "run.duration=100000s", 0);
    run_summary *plain, *rare;
    testing_rare_runs(&sc, 0, &plain, &rare);
    EXPECT(rare->rare_boost > 1, "boost %g", rare->rare_boost);
    testing_rare_agree("cache outages 1e-3/s, one key",
                       WORLD_METRIC_STALE_READ_FRACTION, plain, rare);
    double truth = 1e-3 * stale_time_per_outage();
    run_stat a = run_summary_stat(plain, WORLD_METRIC_STALE_READ_FRACTION);
    run_stat b = run_summary_stat(rare, WORLD_METRIC_STALE_READ_FRACTION);
    EXPECT(fabs(a.mean - truth) <= a.ci95 + 0.01 * truth &&
               fabs(b.mean - truth) <= b.ci95 + 0.01 * truth,
           "first order %.6g", truth);
    run_summary_destroy(plain);
    run_summary_destroy(rare);
    scenario_fini(&sc);
}

/* Boosted rates: capped at RARE_DOWN_MAX of the time down; the automatic
 * boost makes it 1%; no boost without a shared cache that outages reach. */
static void test_share(void) {
    scenario sc;
    char err[256];
    CU_ASSERT_FATAL(scenario_init_defaults(&sc, err, sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_set(&sc, "cache.outage_rate=1e-6/s", err,
                                 sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_set(&sc, "cache.outage_duration=10s", err,
                                 sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_validate(&sc, err, sizeof err) == 0);
    EXPECT(fabs(rare_outage_share(&sc) - 1e-5) < 1e-18, "share %g",
           rare_outage_share(&sc));
    EXPECT(fabs(rare_auto_boost(&sc) - 1000) < 1e-6, "boost %g",
           rare_auto_boost(&sc));
    EXPECT(fabs(rare_outage_rate(&sc, 1000) - 1e-3) < 1e-15, "rate %g",
           rare_outage_rate(&sc, 1000));
    EXPECT(fabs(rare_outage_rate(&sc, 1e6) - RARE_DOWN_MAX / 10) < 1e-15,
           "capped: %g", rare_outage_rate(&sc, 1e6));
    EXPECT(rare_outage_rate(&sc, 1) == 1e-6, "boost 1: %g",
           rare_outage_rate(&sc, 1));
    static const char *const unboosted[] = {
        "cache.pattern=write-behind", "cache.pattern=none",
        "cache.outage_duration=0"};
    for (size_t i = 0; i < sizeof unboosted / sizeof *unboosted; i++) {
        scenario v;
        CU_ASSERT_FATAL(scenario_copy(&v, &sc) == 0);
        CU_ASSERT_FATAL(scenario_set(&v, unboosted[i], err, sizeof err) == 0);
        EXPECT(rare_outage_share(&v) == 0, "%s: share %g", unboosted[i],
               rare_outage_share(&v));
        scenario_fini(&v);
    }
    /* Local caches in front of the shared one are boosted; instances alone
     * over the DB, or reads an outage fails (whose local fills the marks
     * cannot stand for), are not. */
    static const char *const local[] = {"local.tier=shared",
                                        "local.tier=alone",
                                        "cache.outage_fallback=fail"};
    for (size_t i = 0; i < sizeof local / sizeof *local; i++) {
        scenario v;
        CU_ASSERT_FATAL(scenario_copy(&v, &sc) == 0);
        CU_ASSERT_FATAL(scenario_set(&v, "local.instances=2", err,
                                     sizeof err) == 0);
        CU_ASSERT_FATAL(scenario_set(&v, local[i], err, sizeof err) == 0);
        double want = i == 0 ? 1e-5 : 0;
        EXPECT(fabs(rare_outage_share(&v) - want) < 1e-18,
               "local caches, %s: share %g", local[i], rare_outage_share(&v));
        scenario_fini(&v);
    }
    scenario_fini(&sc);
}

/* write-through-race.ini with 500 reads/s and 20 writes/s over its 1000
 * Zipf keys, a cache that never expires, a slow DB answer (the fills'
 * window for a race) and outages of exp:1s at `lambda`; update_latency:
 * the writers' update-SET (0: nothing is stale without outages). */
static void races_at(double lambda, const char *update_latency, double boost,
                     const char *reps) {
    scenario sc;
    char set[128];
    snprintf(set, sizeof set, "cache.outage_rate=%.17g/s", lambda);
    const char *sets[] = {"workload.reads=500/s", "workload.writes=20/s",
                          "cache.ttl=0", "db.read_response=lognormal:20ms,1",
                          "cache.outage_duration=exp:1s", "run.warmup=60s",
                          "run.duration=30m", update_latency, reps, set};
    testing_rare_scenario(&sc, "experiments/scenarios/write-through-race.ini",
                          sets, sizeof sets / sizeof *sets);
    run_summary *plain, *rare;
    testing_rare_runs(&sc, boost, &plain, &rare);
    EXPECT(plain->value[WORLD_METRIC_STALE_READS][0] > 0 &&
               rare->rare_faults > 100,
           "%llu boosted outages", (unsigned long long)rare->rare_faults);
    char what[96];
    snprintf(what, sizeof what, "write-through-race, outages %g/s, %s",
             lambda, update_latency);
    testing_rare_agree(what, WORLD_METRIC_STALE_READ_FRACTION, plain, rare);
    run_summary_destroy(plain);
    run_summary_destroy(rare);
    scenario_fini(&sc);
}

static void test_races(void) {
    races_at(5e-3, "cache.set_latency=0", 4, "run.reps=10");
    if (testing_validate()) /* plain needs its 9 outages a replication */
        races_at(5e-3, "cache.set_latency=0", 4, "run.reps=100");
}

static void test_races_lag(void) {
    races_at(1e-2, "cache.set_latency=1ms", 2, "run.reps=10");
    if (testing_validate())
        races_at(2e-3, "cache.set_latency=1ms", 10, "run.reps=100");
}

/* stale-write-back-race.ini (cache-aside, delete-after-write: every
 * write's DEL sends a reader to the DB, so the races are mostly the
 * outages' neighbours' own) with outages of exp:0.5s at 1e-2/s: plain and
 * --rare (boost 2) agree; checks that the marks' end at a DEL and the
 * ghosts' weights leave the base races unbiased. */
static void test_races_delete(void) {
    scenario sc;
    const char *sets[] = {"cache.outage_rate=1e-2/s",
                          "cache.outage_duration=exp:0.5s",
                          testing_validate() ? "run.reps=40" : "run.reps=10"};
    testing_rare_scenario(&sc, "experiments/scenarios/stale-write-back-race.ini",
                          sets, sizeof sets / sizeof *sets);
    run_summary *plain, *rare;
    testing_rare_runs(&sc, 2, &plain, &rare);
    EXPECT(rare->rare_faults > 100, "%llu boosted outages",
           (unsigned long long)rare->rare_faults);
    testing_rare_agree("stale-write-back-race, outages 1e-2/s",
                       WORLD_METRIC_STALE_READ_FRACTION, plain, rare);
    run_summary_destroy(plain);
    run_summary_destroy(rare);
    scenario_fini(&sc);
}

/* account-service.ini (key families: a display family with a 60 s TTL, a
 * bypass family, an entitlements family; write paths, one forgetting to
 * invalidate; failed and timed-out DELs) with outages of exp:0.5s at
 * 1e-2/s: plain and --rare (boost 2, its DEL faults boosted too) agree. */
static void test_families(void) {
    scenario sc;
    static const char *const sets[] = {"cache.outage_rate=1e-2/s",
                                       "cache.outage_duration=exp:0.5s",
                                       "run.duration=5m", "run.reps=10"};
    testing_rare_scenario(&sc, "experiments/scenarios/account-service.ini",
                          sets, sizeof sets / sizeof *sets);
    run_summary *plain, *rare;
    testing_rare_runs(&sc, 2, &plain, &rare);
    EXPECT(rare->rare_faults > 100, "%llu boosted faults",
           (unsigned long long)rare->rare_faults);
    testing_rare_agree("account-service (families), outages 1e-2/s",
                       WORLD_METRIC_STALE_READ_FRACTION, plain, rare);
    run_summary_destroy(plain);
    run_summary_destroy(rare);
    scenario_fini(&sc);
}

/* With a local cache: the chain above with one instance in front of the
 * shared cache (local.bus = none, never expiring: its copy ends at the
 * instance's own writes), and outages of exp:1ms (reads during one: about
 * L x 1 ms = 1e-3 of them, left out).  Without outages nothing is stale
 * (the shared cache fresh, the instance filling from it at once).  Before
 * an outage the local copy is held (a read since the last write) with
 * probability L/(L+M); after it the shared cache is empty (E).  State
 * (s, l, a, b): shared and local copy each empty, fresh or stale, a fills
 * on the way holding the latest, b a superseded value.  A read with l
 * empty takes s's copy into l when s holds one (stale if s is), else
 * starts a fill (a + 1); a write stores the latest in the shared cache,
 * drops the local copy and makes every fill on the way stale; a landing
 * stores its value in both.  Stale time accrues while l is stale, or
 * empty with s stale (the next read is stale); it ends at (F, not stale,
 * 0, 0).  Solved by Gauss-Seidel on a + b <= LO_FILLS (more fills on the
 * way than that need as many reads before any landing: below 1e-9). */
#define LO_FILLS 16
#define LO_STATES (9 * (LO_FILLS + 1) * (LO_FILLS + 1))
enum { LO_E, LO_F, LO_S };

static int lo_index(int s, int l, int a, int b) {
    return ((s * 3 + l) * (LO_FILLS + 1) + a) * (LO_FILLS + 1) + b;
}

/* One Gauss-Seidel update of state (s, l, a, b) of h; returns it. */
static double lo_update(const double *h, int s, int l, int a, int b) {
    if (a == 0 && b == 0 && s == LO_F && l != LO_S) return 0; /* absorbed */
    double out = OU_M, sum = OU_M * h[lo_index(LO_F, LO_E, 0, a + b)];
    double stale = l == LO_S || (l == LO_E && s == LO_S);
    if (l == LO_E && s != LO_E) {
        out += OU_L;
        sum += OU_L * h[lo_index(s, s, a, b)];
    } else if (l == LO_E && a + b < LO_FILLS) {
        out += OU_L;
        sum += OU_L * h[lo_index(s, l, a + 1, b)];
    }
    if (a > 0) {
        out += a * OU_RHO;
        sum += a * OU_RHO * h[lo_index(LO_F, LO_F, a - 1, b)];
    }
    if (b > 0) {
        out += b * OU_RHO;
        sum += b * OU_RHO * h[lo_index(LO_S, LO_S, a, b - 1)];
    }
    return (stale + sum) / out;
}

/* The expected stale time one outage causes with the local cache (s). */
static double local_stale_time_per_outage(void) {
    static double h[LO_STATES];
    memset(h, 0, sizeof h);
    for (int sweep = 0; sweep < 100000; sweep++) {
        double change = 0;
        for (int s = 0; s < 3; s++)
            for (int l = 0; l < 3; l++)
                for (int a = 0; a <= LO_FILLS; a++)
                    for (int b = 0; a + b <= LO_FILLS; b++) {
                        double *x = &h[lo_index(s, l, a, b)];
                        double v = lo_update(h, s, l, a, b);
                        if (fabs(v - *x) > change) change = fabs(v - *x);
                        *x = v;
                    }
        if (change < 1e-13) break;
    }
    double held = OU_L / (OU_L + OU_M);
    return held * h[lo_index(LO_E, LO_F, 0, 0)] +
           (1 - held) * h[lo_index(LO_E, LO_E, 0, 0)];
}

static void local_chain_at(double lambda, double boost) {
    scenario sc;
    char err[256], what[80];
    chain_scenario(&sc, lambda, "run.duration=100000s", 0);
    static const char *const sets[] = {
        "local.instances=1", "local.bus=none", "local.ttl=0",
        "cache.outage_duration=exp:1ms"};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        CU_ASSERT_FATAL(scenario_set(&sc, sets[i], err, sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_validate(&sc, err, sizeof err) == 0);
    /* The automatic boost (1% of the time down) would start an outage
     * every 0.1 s: a boost giving outages 2e-3/s keeps them apart. */
    sc.rare_boost = boost;
    run_summary *s = run_scenario(&sc, err, sizeof err);
    CU_ASSERT_FATAL(s != NULL);
    snprintf(what, sizeof what, "cache outages %g/s, local cache, exact",
             lambda);
    testing_rare_truth(what, s, lambda * local_stale_time_per_outage());
    EXPECT(s->rare_overlaps * 20 < s->rare_faults, "%llu overlaps",
           (unsigned long long)s->rare_overlaps);
    run_summary_destroy(s);
    scenario_fini(&sc);
}

static void test_local_chain(void) {
    double h = local_stale_time_per_outage();
    printf("\n  local chain: %.10g s of stale time per outage\n", h);
    local_chain_at(1e-6, 2e3);
}

static void test_local_chain_validate(void) {
    if (testing_validate()) local_chain_at(1e-9, 2e6);
}

/* local-instances.ini (four instances with 30 s local caches in front of
 * cache-aside, a pub/sub bus, deploys) made fresh without outages but for
 * the run's cold misses (update-after-write with instant update-SETs and
 * bus, no bus loss or disconnections, a cache that never expires), with
 * the races of a slow DB answer and outages of exp:1s at 2e-2/s: plain
 * and --rare (boost 2) agree.  The outages' refills race the writes, the
 * instances copy their stale answers, and their local hits meet the
 * marks' every case: copies from before an outage, copies of a diverged
 * read's answer (whose ghost a write may remove first), copies of a
 * refilled copy. */
static void test_local_instances(void) {
    scenario sc;
    static const char *const sets[] = {
        "local.bus_loss=0",       "local.reconnect_rate=0/s",
        "local.bus_latency=0",    "cache.ttl=0",
        "cache.invalidation=update-after-write",
        "cache.set_latency=0",    "workload.writes=20/s",
        "db.read_response=lognormal:20ms,1",
        "cache.outage_rate=2e-2/s", "cache.outage_duration=exp:1s",
        "run.duration=20m",       "run.reps=10"};
    testing_rare_scenario(&sc, "experiments/scenarios/local-instances.ini",
                          sets, sizeof sets / sizeof *sets);
    run_summary *plain, *rare;
    testing_rare_runs(&sc, 2, &plain, &rare);
    EXPECT(rare->rare_faults > 400, "%llu boosted outages",
           (unsigned long long)rare->rare_faults);
    testing_rare_agree("local-instances, outages 2e-2/s",
                       WORLD_METRIC_STALE_READ_FRACTION, plain, rare);
    run_summary_destroy(plain);
    run_summary_destroy(rare);
    scenario_fini(&sc);
}

static CU_TestInfo tests[] = {
    {"the chain's stale time per outage", test_chain},
    {"boosted rates, the cap and the automatic boost", test_share},
    {"cache outages: the chain at 1e-6/s", test_chain_1e6},
    {"cache outages: the chain at 1e-9/s (validate)", test_chain_validate},
    {"cache outages: plain Monte Carlo and the chain at 1e-3/s",
     test_chain_plain},
    {"cache outages: refill races against plain Monte Carlo", test_races},
    {"cache outages with invalidation lag: plain Monte Carlo",
     test_races_lag},
    {"cache outages, delete-after-write races: plain Monte Carlo",
     test_races_delete},
    {"cache outages, key families: plain Monte Carlo", test_families},
    {"cache outages, a local cache: the chain at 1e-6/s", test_local_chain},
    {"cache outages, a local cache: the chain at 1e-9/s (validate)",
     test_local_chain_validate},
    {"cache outages, local caches: plain Monte Carlo", test_local_instances},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("rare_outage", NULL, NULL, tests)
