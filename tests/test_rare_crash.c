/* Rare-event estimation of write-behind's cache crashes (models/rare.h,
 * docs/rare-events.md): the crash process boosted from rate lambda to
 * lambda', each crash's ratio lambda/lambda' carried by the keys it empties
 * or whose queued writes it loses to the fills that refill them, and from
 * them to the copies those fills store and the reads they answer.
 *
 * The closed form: one key, zero latencies, a write-behind cache that never
 * expires, no direct DB readers, instant flushes every F, reads L and writes
 * M.  Without crashes no read is stale (the cache holds every write).  A
 * crash at phase u of the flush cycle loses a write with probability
 * 1 - e^{-Mu} and empties the cache; every read from then to the next write
 * (1/M on average) is stale.  Averaged over u, the stale-read fraction is,
 * at first order in lambda,
 *   (lambda/M) (1 - (1 - e^{-MF}) / (MF)).
 * With zero latencies no refill can race a write: the races are checked
 * against plain Monte Carlo on write-behind-crash.ini's workload (500 keys,
 * exponential latencies), where after a crash every key is refilled and a
 * refill racing a new write stores a stale value.
 *
 * With one instance's local cache in front (never expiring; its own writes
 * drop its copy), a read between the lost write and the crash keeps the
 * written value in the local cache, out of the crash's reach: the stale
 * refill needs no read since the lost write, which came s ~ Exp(M) before
 * the crash, so at first order the fraction becomes
 *   (lambda/(M+L)) (1 - (1 - e^{-(M+L)F}) / ((M+L)F)),
 * the local copy of the stale refill carrying the crash's ratio
 * (local_fill).
 *
 * `make validate` adds lambda = 1e-9 and the 500-key comparisons over 200
 * replications at 2e-4/s. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiments/run.h"
#include "models/rare.h"
#include "tests/testing.h"
#include "tests/testing_rare.h"

static const double WB_L = 1, WB_M = 0.2, WB_F = 1; /* /s, /s, s */

static double wb_closed_form(double lambda) {
    double mf = WB_M * WB_F;
    return lambda / WB_M * (1 - (1 - exp(-mf)) / mf);
}

/* The same with one local cache in front (above). */
static double wb_local_closed_form(double lambda) {
    double k = (WB_M + WB_L) * WB_F;
    return lambda / (WB_M + WB_L) * (1 - (1 - exp(-k)) / k);
}

static run_summary *one_key_run(double lambda, int boosted, int local) {
    scenario sc;
    char err[512], set[128];
    CU_ASSERT_FATAL(scenario_init_defaults(&sc, err, sizeof err) == 0);
    static const char *const sets[] = {
        "workload.keys=1",        "workload.writes=0.2/s",
        "cache.pattern=write-behind",
        "cache.ttl=0",            "write_behind.flush_interval=1s",
        "write_behind.flush_latency=0",
        "run.duration=100000s",   "run.reps=10",
        "db.read_latency=0",      "db.write_latency=0",
        "cache.get_latency=0",    "cache.set_latency=0",
        "cache.del_latency=0"};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        CU_ASSERT_FATAL(scenario_set(&sc, sets[i], err, sizeof err) == 0);
    snprintf(set, sizeof set, "workload.reads=%.17g/s", WB_L);
    CU_ASSERT_FATAL(scenario_set(&sc, set, err, sizeof err) == 0);
    snprintf(set, sizeof set, "write_behind.crash_rate=%.17g/s", lambda);
    CU_ASSERT_FATAL(scenario_set(&sc, set, err, sizeof err) == 0);
    if (local) {
        CU_ASSERT_FATAL(scenario_set(&sc, "local.instances=1", err,
                                     sizeof err) == 0);
        CU_ASSERT_FATAL(scenario_set(&sc, "local.ttl=0", err, sizeof err) ==
                        0);
    }
    CU_ASSERT_FATAL(scenario_validate(&sc, err, sizeof err) == 0);
    sc.rare_boost = boosted ? rare_auto_boost(&sc) : 0;
    run_summary *s = run_scenario(&sc, err, sizeof err);
    CU_ASSERT_FATAL(s != NULL);
    scenario_fini(&sc);
    return s;
}

static void closed_form_at(double lambda, int local) {
    run_summary *s = one_key_run(lambda, 1, local);
    char what[80];
    snprintf(what, sizeof what, "write-behind crashes %g/s%s, closed form",
             lambda, local ? ", a local cache" : "");
    testing_rare_truth(what, s, local ? wb_local_closed_form(lambda)
                                      : wb_closed_form(lambda));
    run_summary_destroy(s);
}

static void test_closed_form(void) {
    closed_form_at(1e-6, 0);
    if (testing_validate()) closed_form_at(1e-9, 0);
}

static void test_closed_form_local(void) {
    closed_form_at(1e-6, 1);
    if (testing_validate()) closed_form_at(1e-9, 1);
}

/* The automatic boost counts a crash's share of lost writes, crash_rate x
 * flush_interval, also with local caches in front of the shared one, and
 * none with direct DB readers or instances alone over the DB. */
static void test_share(void) {
    scenario sc;
    char err[256];
    CU_ASSERT_FATAL(scenario_init_defaults(&sc, err, sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_set(&sc, "cache.pattern=write-behind", err,
                                 sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_set(&sc, "write_behind.crash_rate=1e-5/s", err,
                                 sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_set(&sc, "write_behind.flush_interval=2s", err,
                                 sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_validate(&sc, err, sizeof err) == 0);
    EXPECT(fabs(rare_max_fault_prob(&sc) - 2e-5) < 1e-12, "share %g",
           rare_max_fault_prob(&sc));
    EXPECT(fabs(rare_auto_boost(&sc) - 500) < 1e-6, "boost %g",
           rare_auto_boost(&sc));
    CU_ASSERT_FATAL(scenario_set(&sc, "write_behind.db_readers=0.1", err,
                                 sizeof err) == 0);
    EXPECT(rare_max_fault_prob(&sc) == 0, "share %g with direct readers",
           rare_max_fault_prob(&sc));
    CU_ASSERT_FATAL(scenario_set(&sc, "write_behind.db_readers=0", err,
                                 sizeof err) == 0);
    CU_ASSERT_FATAL(scenario_set(&sc, "local.instances=2", err, sizeof err) ==
                    0);
    EXPECT(fabs(rare_max_fault_prob(&sc) - 2e-5) < 1e-12,
           "share %g with local caches", rare_max_fault_prob(&sc));
    CU_ASSERT_FATAL(scenario_set(&sc, "local.tier=alone", err, sizeof err) ==
                    0);
    EXPECT(rare_max_fault_prob(&sc) == 0, "share %g, instances alone",
           rare_max_fault_prob(&sc));
    scenario_fini(&sc);
}

/* write-behind-crash.ini's workload with 500 keys, 200 reads/s, no direct
 * readers (nothing stale but what crashes and the 300 s TTL's refills
 * cause) and crashes at 2e-4/s (the long check; 2e-3/s in 20 minutes for
 * make test): --rare (boost 50; 5) and plain Monte Carlo agree within the
 * 95% interval of their difference. */
static void races_at(double lambda, double boost, const char *duration,
                     const char *reps, int local) {
    scenario sc;
    char set[128];
    snprintf(set, sizeof set, "write_behind.crash_rate=%.17g/s", lambda);
    const char *sets[] = {"workload.keys=500", "workload.reads=200/s",
                          "write_behind.db_readers=0", "cache.ttl=300s",
                          duration, reps, set,
                          local ? "local.instances=3" : NULL,
                          local ? "local.bus=pubsub" : NULL,
                          local ? "local.ttl=30s" : NULL};
    testing_rare_scenario(&sc, "experiments/scenarios/write-behind-crash.ini",
                          sets, sizeof sets / sizeof *sets);
    run_summary *plain, *rare;
    testing_rare_runs(&sc, boost, &plain, &rare);
    EXPECT(rare->rare_faults > 50, "%llu boosted crashes",
           (unsigned long long)rare->rare_faults);
    char what[96];
    snprintf(what, sizeof what, "write-behind-crash, 500 keys%s, crashes %g/s",
             local ? ", 3 local caches" : "", lambda);
    testing_rare_agree(what, WORLD_METRIC_STALE_READ_FRACTION, plain, rare);
    run_summary_destroy(plain);
    run_summary_destroy(rare);
    scenario_fini(&sc);
}

static void test_races(void) {
    races_at(2e-3, 5, "run.duration=20m", "run.reps=10", 0);
    if (testing_validate())
        races_at(2e-4, 50, "run.duration=1h", "run.reps=200", 0);
}

/* The same with three local caches (pub/sub bus, 30 s local TTL) in front. */
static void test_races_local(void) {
    races_at(2e-3, 5, "run.duration=20m", "run.reps=10", 1);
    if (testing_validate())
        races_at(2e-4, 50, "run.duration=1h", "run.reps=200", 1);
}

static CU_TestInfo tests[] = {
    {"write-behind crashes: the closed form at 1e-6/s (1e-9: validate)",
     test_closed_form},
    {"write-behind crashes, a local cache: the closed form at 1e-6/s",
     test_closed_form_local},
    {"write-behind crashes: the share the automatic boost counts", test_share},
    {"write-behind crashes: refill races against plain Monte Carlo",
     test_races},
    {"write-behind crashes, local caches: plain Monte Carlo",
     test_races_local},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("rare_crash", NULL, NULL, tests)
