/* Suite "scenario-errors": every error class of the scenario parser, each
 * refused with one line naming the file, the line and the key (and the
 * keys that are parsed but not simulated, the write paths, the mitigation
 * lists).  The accepted forms are in tests/test_scenario.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "models/scenario.h"
#include "tests/testing.h"
#include "tests/testing_scenario.h"

static void test_error_unknown_section(void) {
    /* Refused at its header, even with nothing under it. */
    LOAD_FAILS("; comment\n[run]\nreps = 2\n\n[cahce]\nttl = 5s\n", NAME ":5: ",
               "unknown section [cahce]");
    LOAD_FAILS("[run]\nreps = 2\n[cahce]\n", NAME ":3: ",
               "unknown section [cahce]");
}

static void test_error_unknown_key(void) {
    LOAD_FAILS("[cache]\nttl = 5s\n# comment\ntll = 5s\n", NAME ":4: ",
               "key 'tll'", "unknown key in [cache]");
    /* A key of another section is unknown here. */
    LOAD_FAILS("[run]\nttl = 5s\n", NAME ":2: ", "key 'ttl'", "unknown key in [run]");
}

static void test_error_key_before_section(void) {
    LOAD_FAILS("; comment\nttl = 5s\n[cache]\n", NAME ":2: ", "key 'ttl'",
               "before any [section]");
}

static void test_error_duplicate(void) {
    LOAD_FAILS("[cache]\nttl = 1s\n[run]\nreps = 2\n[cache]\nttl = 2s\n",
               NAME ":6: ", "key 'ttl'", "given twice", "first at line 2");
    /* Even with the same value. */
    LOAD_FAILS("[run]\nreps = 2\nreps = 2\n", NAME ":3: ", "key 'reps'",
               "first at line 2");
}

static void test_error_malformed(void) {
    LOAD_FAILS("[cache]\nttl = 1s\npattern none\n", NAME ":3: ", "malformed");
    LOAD_FAILS("[run]\n[cache\nttl = 1s\n", NAME ":2: ", "malformed");
    /* The first error is the one reported, even when a later line is bad. */
    LOAD_FAILS("[cache]\nttl 1s\n[cache]\nbogus = 2\n", NAME ":2: ", "malformed");
}

static void test_error_long_line(void) {
    char text[512];
    char pad[300];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    snprintf(text, sizeof text, "[cache]\n; fine\nttl = 1s ; %s\n", pad);
    LOAD_FAILS(text, NAME ":3: ", "line longer than");
    /* The same from a file, where lines are read with fgets. */
    char *path = testing_temp_file(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    scenario sc;
    char err[1024] = "";
    CU_ASSERT_EQUAL_FATAL(scenario_init_defaults(&sc, err, sizeof err), 0);
    int rc = scenario_load(&sc, path, err, sizeof err);
    scenario_fini(&sc);
    char where[128];
    snprintf(where, sizeof where, "%s:3: ", path);
    testing_remove_temp(path);
    EXPECT(rc == -1, "rc %d", rc);
    EXPECT_MSG(err, where, "line longer than");

    /* A long value is refused, not split: the tail must not become a line. */
    snprintf(text, sizeof text, "[cache]\nttl = 1s\npattern = %s\n", pad);
    LOAD_FAILS(text, NAME ":3: ", "line longer than");

    /* Lines up to 150 characters (and a 190-character comment) are fine,
     * from a string and from a file, with or without a final newline. */
    char ok[1024];
    pad[190] = '\0';
    snprintf(ok, sizeof ok, "[cache]\n;%s\nttl = 7s%140s\n;%s", pad, "", pad);
    LOAD_OK(&sc, ok);
    EXPECT(sc.cache.ttl == 7 * SIM_S, "%lld", (long long)sc.cache.ttl);
    scenario_fini(&sc);
    path = testing_temp_file(ok);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    CU_ASSERT_EQUAL_FATAL(scenario_init_defaults(&sc, err, sizeof err), 0);
    rc = scenario_load(&sc, path, err, sizeof err);
    EXPECT(rc == 0 && sc.cache.ttl == 7 * SIM_S, "rc %d: %s", rc, err);
    scenario_fini(&sc);
    testing_remove_temp(path);
}

/* The longest line accepted from a string is accepted from a file too, also
 * as the last line without a newline. */
static void test_long_line_limit(void) {
    char pad[256];
    size_t longest = 0;
    for (size_t n = 150; n < sizeof pad; n++) {
        memset(pad, 'x', n);
        pad[0] = ';';
        pad[n] = '\0';
        char text[300];
        snprintf(text, sizeof text, "[cache]\n%s", pad);
        scenario sc;
        char err[1024] = "";
        CU_ASSERT_EQUAL_FATAL(scenario_init_defaults(&sc, err, sizeof err), 0);
        int rc_string = scenario_load_string(&sc, NAME, text, err, sizeof err);
        scenario_fini(&sc);
        char *path = testing_temp_file(text);
        CU_ASSERT_PTR_NOT_NULL_FATAL(path);
        CU_ASSERT_EQUAL_FATAL(scenario_init_defaults(&sc, err, sizeof err), 0);
        int rc_file = scenario_load(&sc, path, err, sizeof err);
        scenario_fini(&sc);
        testing_remove_temp(path);
        EXPECT(rc_string == rc_file, "%zu-character last line: string %d, file %d",
               n, rc_string, rc_file);
        if (rc_string == 0) longest = n;
    }
    /* inih's buffer is 200 bytes: at least 190 characters must fit. */
    EXPECT(longest >= 190 && longest < 200, "longest accepted line %zu", longest);
}

static void test_error_durations(void) {
    LOAD_FAILS("[cache]\nttl = 5parsecs\n", NAME ":2: ", "key 'ttl'", "unit", "parsecs");
    LOAD_FAILS("[cache]\nttl = 60\n", NAME ":2: ", "key 'ttl'", "needs a unit");
    LOAD_FAILS("[run]\nduration = -5s\n", NAME ":2: ", "key 'duration'", "negative");
    LOAD_FAILS("[contract]\nmax_staleness = 5 s\n", NAME ":2: ",
               "key 'max_staleness'");
    LOAD_FAILS("[cache]\ntimeout =\n", NAME ":2: ", "key 'timeout'", "empty");
    LOAD_FAILS("[db]\nread_latency = exp:5\n", NAME ":2: ", "key 'read_latency'",
               "unit");
    LOAD_FAILS("[db]\nwrite_latency = gamma:5ms\n", NAME ":2: ",
               "key 'write_latency'");
}

static void test_error_probability(void) {
    LOAD_FAILS("[faults]\ndel_fail = 1.5\n", NAME ":2: ", "key 'del_fail'", "[0,1]");
    LOAD_FAILS("[faults]\nset_fail = -0.1\n", NAME ":2: ", "key 'set_fail'", "[0,1]");
    LOAD_FAILS("[faults]\ncrash_after_commit = often\n", NAME ":2: ",
               "key 'crash_after_commit'", "not a number");
    LOAD_FAILS("[faults]\ndel_timeout = 0.5%\n", NAME ":2: ", "key 'del_timeout'");
    LOAD_FAILS("[contract]\nmax_stale_fraction = 2\n", NAME ":2: ",
               "key 'max_stale_fraction'", "[0,1]");
    LOAD_FAILS("[contract]\nquantile = 1\n", NAME ":2: ", "key 'quantile'",
               "between 0 and 1");
    LOAD_FAILS("[contract]\nquantile = 0\n", NAME ":2: ", "key 'quantile'");
    /* The bounds themselves are probabilities. */
    scenario sc;
    LOAD_OK(&sc, "[faults]\ndel_fail = 0\ndel_timeout = 1\n");
    EXPECT(sc.faults.del_fail == 0 && sc.faults.del_timeout == 1, "%g %g",
           sc.faults.del_fail, sc.faults.del_timeout);
    scenario_fini(&sc);
}

static void test_error_rates(void) {
    LOAD_FAILS("[workload]\nreads = -5/s\n", NAME ":2: ", "key 'reads'", "negative");
    LOAD_FAILS("[workload]\nwrites = 10\n", NAME ":2: ", "key 'writes'", "unit", "/s");
    LOAD_FAILS("[workload]\nreads = 10/fortnight\n", NAME ":2: ", "key 'reads'",
               "unit");
    LOAD_FAILS("[workload]\nreads = lots/s\n", NAME ":2: ", "key 'reads'");
}

static void test_error_enums(void) {
    LOAD_FAILS("[cache]\npattern = write-around\n", NAME ":2: ", "key 'pattern'",
               "unknown pattern 'write-around'", "cache-aside");
    LOAD_FAILS("[cache]\ninvalidation = delete-later\n", NAME ":2: ",
               "key 'invalidation'", "delete-later", "delete-after-write");
    LOAD_FAILS("[workload]\narrivals = gamma\n", NAME ":2: ", "key 'arrivals'",
               "gamma", "poisson");
    LOAD_FAILS("[workload]\narrivals = bursty:10s\n", NAME ":2: ", "key 'arrivals'",
               "bursty:ON,OFF,FACTOR");
    LOAD_FAILS("[workload]\narrivals = bursty:1s,9s,0.5\n", NAME ":2: ",
               "key 'arrivals'", "FACTOR");
    LOAD_FAILS("[workload]\npopularity = zipfian\n", NAME ":2: ", "key 'popularity'",
               "zipfian", "uniform or zipf:S");
    LOAD_FAILS("[workload]\npopularity = zipf:-1\n", NAME ":2: ",
               "key 'popularity'", "zipf exponent");
    LOAD_FAILS("[workload]\npopularity = zipf:\n", NAME ":2: ", "key 'popularity'");
    LOAD_FAILS("[cache]\nsliding_ttl = maybe\n", NAME ":2: ", "key 'sliding_ttl'",
               "yes or no");
    LOAD_FAILS("[workload]\nkeys = 0\n", NAME ":2: ", "key 'keys'", "outside");
    LOAD_FAILS("[workload]\nclients = 12x\n", NAME ":2: ", "key 'clients'",
               "whole number");
    LOAD_FAILS("[run]\nreps = -1\n", NAME ":2: ", "key 'reps'", "whole number");
    LOAD_FAILS("[run]\nseed = 18446744073709551616\n", NAME ":2: ", "key 'seed'");
    LOAD_FAILS("[workload]\nkeys = 4294967296\n", NAME ":2: ", "key 'keys'");
}

/* Keys this build does not simulate: accepted at the default, refused
 * otherwise with a message that says so. */
static void test_not_simulated_keys(void) {
    /* Every key whose feature is not built refuses a value other than its
     * default, naming the key. */
    char err[512] = "", set[256];
    for (size_t i = 0; i < scenario_key_count(); i++) {
        if (scenario_key_built(i)) continue;
        scenario sc;
        CU_ASSERT_EQUAL_FATAL(scenario_init_defaults(&sc, err, sizeof err), 0);
        snprintf(set, sizeof set, "%s.%s=%s", scenario_key_section(i),
                 scenario_key_name(i), "not-the-default");
        int rc = scenario_set(&sc, set, err, sizeof err);
        scenario_fini(&sc);
        EXPECT(rc == -1, "%s accepted", set);
        EXPECT_MSG(err, "not simulate");
    }
    /* Built features take their values. */
    scenario sc;
    LOAD_OK(&sc, "[local]\ninstances = 4\n[db]\nreplicas = 2\n"
                 "[write_behind]\nflush_interval = 2s\n");
    EXPECT(sc.local.instances == 4 && sc.db.replicas == 2,
           "instances %u replicas %u", sc.local.instances, sc.db.replicas);
    /* A pattern's key (its own block) is parsed and echoed like any. */
    size_t wb = scenario_key_count();
    for (size_t i = 0; i < scenario_key_count(); i++)
        if (strcmp(scenario_key_section(i), "write_behind") == 0 &&
            strcmp(scenario_key_name(i), "flush_interval") == 0)
            wb = i;
    EXPECT(wb < scenario_key_count() && strcmp(sc.text[wb], "2s") == 0 &&
               sc.line[wb] == 6,
           "write_behind.flush_interval at %zu", wb);
    scenario_fini(&sc);
}

static void test_not_simulated_sections(void) {
    LOAD_FAILS("[path.admin]\nshares = 0.5\n", NAME ":2: ", "key 'shares'",
               "unknown key in [path.admin]");
    LOAD_FAILS("[path.admin]\nshare = 1.5\n", NAME ":2: ", "key 'share'",
               "[0,1]");
    LOAD_FAILS("[path.admin]\ninvalidates = maybe\n", NAME ":2: ",
               "key 'invalidates'", "yes or no");
    /* [family.NAME] is simulated now (tests/test_families.c); its keys
     * are checked like any other. */
    LOAD_FAILS("[run]\nreps = 2\n[family.x]\nkeys = 0.2\nttl = soon\n",
               NAME ":5: ", "key 'ttl'", "soon");
}

/* The mitigation list of DESIGN.md, with a distribution containing a comma. */
static void test_mitigations_list(void) {
    scenario sc;
    LOAD_OK(&sc, "[cache]\nmitigations = lease, versioned-set, "
                 "double-delete:500ms, retry-delete:3, "
                 "outbox:lognormal:10ms,0.5\n");
    const scenario_mitigations *m = &sc.cache.mitigations;
    EXPECT(m->lease && m->versioned_set && m->double_delete == 500 * SIM_MS &&
               m->retry_delete == 3 && m->outbox &&
               m->outbox_lag.kind == SIM_DIST_LOGNORMAL,
           "lease %d vs %d dd %lld retry %u outbox %d", m->lease,
           m->versioned_set, (long long)m->double_delete, m->retry_delete,
           m->outbox);
    scenario_fini(&sc);
    LOAD_OK(&sc, "[cache]\nmitigations = lease:herd=10s\n");
    EXPECT(sc.cache.mitigations.lease_herd == 10 * SIM_S, "herd %lld",
           (long long)sc.cache.mitigations.lease_herd);
    scenario_fini(&sc);
    LOAD_FAILS("[cache]\nmitigations = lease, teleport\n", NAME ":2: ",
               "key 'mitigations'", "unknown mitigation 'teleport'");
    LOAD_FAILS("[cache]\nmitigations = retry-delete:0\n", NAME ":2: ",
               "key 'mitigations'", "1..100");
}

/* Write paths: parsed, overridable, and their shares must sum to 1. */
static void test_paths(void) {
    scenario sc;
    char err[512] = "";
    LOAD_OK(&sc, "[path.billing]\nshare = 0.7\n[path.admin]\nshare = 0.3\n"
                 "invalidates = no\n");
    EXPECT(sc.paths.n == 2 && sc.paths.path[1].invalidates == 0 &&
               sc.paths.path[0].invalidates == 1 &&
               sc.paths.path[0].share == 0.7,
           "n %d", sc.paths.n);
    EXPECT(scenario_validate(&sc, err, sizeof err) == 0, "%s", err);
    EXPECT(scenario_set(&sc, "path.admin.share=0.4", err, sizeof err) == 0,
           "%s", err);
    EXPECT(scenario_validate(&sc, err, sizeof err) == -1, "sum 1.1 accepted");
    EXPECT_MSG(err, "sum to 1.1");
    scenario_fini(&sc);
    LOAD_OK(&sc, "[path.admin]\ninvalidates = no\n");
    EXPECT(scenario_validate(&sc, err, sizeof err) == -1, "missing share");
    EXPECT_MSG(err, "[path.admin] needs a share");
    scenario_fini(&sc);
}

static void test_warmup_auto(void) {
    scenario sc;
    LOAD_OK(&sc, "[run]\nduration = 1h\nwarmup = auto\n");
    EXPECT(sc.run.warmup_auto == 1 && sc.run.warmup == 0, "auto %d warmup %lld",
           sc.run.warmup_auto, (long long)sc.run.warmup);
    char err[512] = "";
    /* A later duration replaces auto. */
    int rc = scenario_set(&sc, "run.warmup=30s", err, sizeof err);
    EXPECT(rc == 0 && sc.run.warmup_auto == 0 && sc.run.warmup == 30 * SIM_S,
           "rc %d auto %d warmup %lld", rc, sc.run.warmup_auto,
           (long long)sc.run.warmup);
    scenario_fini(&sc);
    LOAD_FAILS("[run]\nwarmup = automatic\n", NAME ":2: ", "key 'warmup'");
}

/* A failed load reports only the first error: everything before it is
 * applied, but the caller discards the scenario; here we check the message
 * of the first bad line wins over a later bad line. */
static void test_first_error_wins(void) {
    LOAD_FAILS("[cache]\nttl = 5parsecs\npattern = bogus\n", NAME ":2: ",
               "key 'ttl'");
    LOAD_FAILS("[cahce]\nttl = 1s\n[cache]\nttl = 5parsecs\n", NAME ":1: ",
               "unknown section");
}

static CU_TestInfo tests[] = {
    {"error: unknown section", test_error_unknown_section},
    {"error: unknown key", test_error_unknown_key},
    {"error: key before any section", test_error_key_before_section},
    {"error: duplicate key", test_error_duplicate},
    {"error: malformed line", test_error_malformed},
    {"error: long line", test_error_long_line},
    {"long line limit, string and file", test_long_line_limit},
    {"error: durations", test_error_durations},
    {"error: probabilities", test_error_probability},
    {"error: rates", test_error_rates},
    {"error: enums and numbers", test_error_enums},
    {"error: not-simulated keys", test_not_simulated_keys},
    {"error: not-simulated sections", test_not_simulated_sections},
    {"error: warmup auto", test_warmup_auto},
    {"first error wins", test_first_error_wins},
    {"write paths", test_paths},
    {"mitigation lists", test_mitigations_list},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("scenario-errors", NULL, NULL, tests)
