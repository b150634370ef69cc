/* Tests for models/scenario*.c: defaults, typed values, inline comments,
 * --set overrides, the provenance of every value and the cross-key checks of
 * scenario_validate.  Every class of error (each message must name
 * FILE:LINE and the key) and the keys and sections accepted only at their
 * defaults are in tests/test_scenario_errors.c.
 *
 * Text goes through scenario_load_string under the name "t.ini"; the paths
 * that only a real file exercises (the file name in messages, the base
 * directory of relative paths, line reading with fgets) go through
 * scenario_load on temporary files made with mkstemp in /tmp. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "models/scenario.h"
#include "tests/testing.h"
#include "tests/testing_scenario.h"

/* ---- defaults ---------------------------------------------------------- */

static void test_defaults(void) {
    scenario sc;
    char err[1024] = "";
    int rc = scenario_init_defaults(&sc, err, sizeof err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    rc = scenario_validate(&sc, err, sizeof err);
    EXPECT(rc == 0, "defaults do not validate: %s", err);

    EXPECT(sc.run.duration == 3600 * SIM_S, "%lld", (long long)sc.run.duration);
    EXPECT(sc.run.warmup == 0, "%lld", (long long)sc.run.warmup);
    EXPECT(sc.run.reps == 10, "%u", sc.run.reps);
    EXPECT(sc.run.seed == 1, "%llu", (unsigned long long)sc.run.seed);
    EXPECT(sc.workload.keys == 10000, "%u", sc.workload.keys);
    EXPECT(sc.workload.zipf_s == 0, "%g", sc.workload.zipf_s);
    EXPECT(sc.workload.reads == 1000, "%g", sc.workload.reads);
    EXPECT(sc.workload.writes == 10, "%g", sc.workload.writes);
    EXPECT(sc.workload.arrivals == SCENARIO_ARRIVALS_POISSON, "%d", (int)sc.workload.arrivals);
    EXPECT(sc.workload.clients == 100, "%u", sc.workload.clients);
    EXPECT(sc.db.read_latency.kind == SIM_DIST_EXP &&
               sc.db.read_latency.p1 == 5e6,
           "kind %d mean %g", (int)sc.db.read_latency.kind, sc.db.read_latency.p1);
    EXPECT(sc.db.write_latency.kind == SIM_DIST_EXP &&
               sc.db.write_latency.p1 == 10e6,
           "kind %d mean %g", (int)sc.db.write_latency.kind, sc.db.write_latency.p1);
    EXPECT(strcmp(sc.cache.pattern, "cache-aside") == 0, "%s", sc.cache.pattern);
    EXPECT(sc.cache.ttl == 300 * SIM_S, "%lld", (long long)sc.cache.ttl);
    EXPECT(sc.cache.sliding_ttl == 0, "%d", sc.cache.sliding_ttl);
    const sim_dist *ops[] = {&sc.cache.get_latency, &sc.cache.set_latency,
                             &sc.cache.del_latency};
    for (int i = 0; i < 3; i++)
        EXPECT(ops[i]->kind == SIM_DIST_EXP && ops[i]->p1 == 0.5e6,
               "op %d: kind %d mean %g", i, (int)ops[i]->kind, ops[i]->p1);
    EXPECT(sim_dist_is_zero(&sc.cache.response_latency), "kind %d p1 %g",
           (int)sc.cache.response_latency.kind, sc.cache.response_latency.p1);
    EXPECT(sc.cache.timeout == 100 * SIM_MS, "%lld", (long long)sc.cache.timeout);
    EXPECT(sc.cache.invalidation == SCENARIO_INVALIDATION_DELETE_AFTER_WRITE, "%d",
           (int)sc.cache.invalidation);
    EXPECT(sc.faults.del_fail == 0 && sc.faults.del_timeout == 0 &&
               sc.faults.del_timeout_applies == 0 && sc.faults.set_fail == 0 &&
               sc.faults.crash_after_commit == 0,
           "%g %g %g %g %g", sc.faults.del_fail, sc.faults.del_timeout,
           sc.faults.del_timeout_applies, sc.faults.set_fail,
           sc.faults.crash_after_commit);
    EXPECT(sc.contract.max_staleness == 5 * SIM_S, "%lld",
           (long long)sc.contract.max_staleness);
    EXPECT(sc.contract.quantile == 0.999, "%g", sc.contract.quantile);
    EXPECT(sc.contract.max_stale_fraction == 1e-4, "%g",
           sc.contract.max_stale_fraction);
    EXPECT(sc.path && strcmp(sc.path, "(built-in default)") == 0, "%s",
           sc.path ? sc.path : "(null)");

    /* Provenance: every key is a default, its text the table's default. */
    for (size_t i = 0; i < scenario_key_count(); i++) {
        EXPECT(sc.line[i] == 0, "%s.%s line %d", scenario_key_section(i),
               scenario_key_name(i), sc.line[i]);
        EXPECT(sc.text[i] && strcmp(sc.text[i], scenario_key_default(i)) == 0,
               "%s.%s text '%s' default '%s'", scenario_key_section(i),
               scenario_key_name(i), sc.text[i] ? sc.text[i] : "(null)",
               scenario_key_default(i));
        EXPECT(*scenario_key_doc(i) != '\0', "%s.%s has no documentation",
               scenario_key_section(i), scenario_key_name(i));
    }
    scenario_fini(&sc);
    scenario_fini(NULL); /* does nothing */
}

/* One file giving every key at its documented default parses, validates,
 * records a line for every key and leaves the values as the defaults. */
static void test_every_default_parses(void) {
    size_t cap = 8192, len = 0;
    char *text = malloc(cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    const char *section = "";
    int line = 0, want_line[SCENARIO_MAX_KEYS];
    for (size_t i = 0; i < scenario_key_count(); i++) {
        if (strcmp(section, scenario_key_section(i)) != 0) {
            section = scenario_key_section(i);
            len += (size_t)snprintf(text + len, cap - len, "[%s]\n", section);
            line++;
        }
        len += (size_t)snprintf(text + len, cap - len, "%s = %s\n",
                                scenario_key_name(i), scenario_key_default(i));
        want_line[i] = ++line;
        CU_ASSERT_FATAL(len < cap);
    }
    scenario sc, def;
    char err[1024] = "";
    LOAD_OK(&sc, text);
    CU_ASSERT_EQUAL_FATAL(scenario_init_defaults(&def, err, sizeof err), 0);
    int rc = scenario_validate(&sc, err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    for (size_t i = 0; i < scenario_key_count(); i++) {
        EXPECT(sc.line[i] == want_line[i], "%s.%s: line %d, want %d",
               scenario_key_section(i), scenario_key_name(i), sc.line[i],
               want_line[i]);
        EXPECT(strcmp(sc.text[i], scenario_key_default(i)) == 0,
               "%s.%s: '%s'", scenario_key_section(i), scenario_key_name(i),
               sc.text[i]);
    }
    EXPECT(sc.run.duration == def.run.duration && sc.cache.ttl == def.cache.ttl &&
               sc.workload.reads == def.workload.reads &&
               sc.contract.max_stale_fraction == def.contract.max_stale_fraction &&
               sc.db.read_latency.kind == def.db.read_latency.kind &&
               sc.db.read_latency.p1 == def.db.read_latency.p1,
           "values differ from the defaults");
    scenario_fini(&def);
    scenario_fini(&sc);
    free(text);
}

/* ---- typed values ------------------------------------------------------- */

static const char typed_text[] =
    "; every key at a value other than its default\n" /* 1 */
    "[run]\n"                                          /* 2 */
    "duration = 2m\n"                                  /* 3 */
    "warmup = 1500ms\n"                                /* 4 */
    "reps = 7\n"                                       /* 5 */
    "seed = 18446744073709551615\n"                    /* 6 */
    "\n"                                               /* 7 */
    "[workload]\n"                                     /* 8 */
    "keys = 123\n"                                     /* 9 */
    "popularity = zipf:0.99\n"                         /* 10 */
    "reads = 60/m\n"                                   /* 11 */
    "writes = 2.5/s\n"                                 /* 12 */
    "arrivals = constant\n"                            /* 13 */
    "clients = 3\n"                                    /* 14 */
    "[db]\n"                                           /* 15 */
    "read_latency = uniform:1ms,3ms\n"                 /* 16 */
    "write_latency = lognormal:8ms,0.5\n"              /* 17 */
    "[cache]\n"                                        /* 18 */
    "pattern = ttl-only\n"                             /* 19 */
    "ttl = 2h\n"                                       /* 20 */
    "sliding_ttl = yes\n"                              /* 21 */
    "get_latency = const:2ms\n"                        /* 22 */
    "set_latency = pareto:1ms,2.5\n"                   /* 23 */
    "del_latency = 250us\n"                            /* 24 */
    "response_latency = exp:1500ns\n"                  /* 25 */
    "timeout = 250ms\n"                                /* 26 */
    "invalidation = update-after-write\n"              /* 27 */
    "[faults]\n"                                       /* 28 */
    "del_fail = 0.25\n"                                /* 29 */
    "del_timeout = 0.5\n"                              /* 30 */
    "del_timeout_applies = 1\n"                        /* 31 */
    "set_fail = 0.125\n"                               /* 32 */
    "crash_after_commit = 1e-3\n"                      /* 33 */
    "[contract]\n"                                     /* 34 */
    "max_staleness = 90s\n"                            /* 35 */
    "quantile = 0.99\n"                                /* 36 */
    "max_stale_fraction = 0.5\n";                      /* 37 */

static void check_typed(const scenario *sc) {
    EXPECT(sc->run.duration == 120 * SIM_S, "%lld", (long long)sc->run.duration);
    EXPECT(sc->run.warmup == 1500 * SIM_MS, "%lld", (long long)sc->run.warmup);
    EXPECT(sc->run.reps == 7, "%u", sc->run.reps);
    EXPECT(sc->run.seed == UINT64_MAX, "%llu", (unsigned long long)sc->run.seed);
    EXPECT(sc->workload.keys == 123, "%u", sc->workload.keys);
    EXPECT(sc->workload.zipf_s == 0.99, "%.17g", sc->workload.zipf_s);
    EXPECT(fabs(sc->workload.reads - 1.0) < 1e-12, "%.17g", sc->workload.reads);
    EXPECT(sc->workload.writes == 2.5, "%.17g", sc->workload.writes);
    EXPECT(sc->workload.arrivals == SCENARIO_ARRIVALS_CONSTANT, "%d", (int)sc->workload.arrivals);
    EXPECT(sc->workload.clients == 3, "%u", sc->workload.clients);
    EXPECT(sc->db.read_latency.kind == SIM_DIST_UNIFORM &&
               sc->db.read_latency.p1 == 1e6 && sc->db.read_latency.p2 == 3e6,
           "kind %d %g %g", (int)sc->db.read_latency.kind,
           sc->db.read_latency.p1, sc->db.read_latency.p2);
    EXPECT(sc->db.write_latency.kind == SIM_DIST_LOGNORMAL &&
               sc->db.write_latency.p1 == 8e6 && sc->db.write_latency.p2 == 0.5,
           "kind %d %g %g", (int)sc->db.write_latency.kind,
           sc->db.write_latency.p1, sc->db.write_latency.p2);
    EXPECT(strcmp(sc->cache.pattern, "ttl-only") == 0, "%s", sc->cache.pattern);
    EXPECT(sc->cache.ttl == 2 * SIM_HOUR, "%lld", (long long)sc->cache.ttl);
    EXPECT(sc->cache.sliding_ttl == 1, "%d", sc->cache.sliding_ttl);
    EXPECT(sc->cache.get_latency.kind == SIM_DIST_CONST &&
               sc->cache.get_latency.p1 == 2e6,
           "kind %d %g", (int)sc->cache.get_latency.kind, sc->cache.get_latency.p1);
    EXPECT(sc->cache.set_latency.kind == SIM_DIST_PARETO &&
               sc->cache.set_latency.p1 == 1e6 && sc->cache.set_latency.p2 == 2.5,
           "kind %d %g %g", (int)sc->cache.set_latency.kind,
           sc->cache.set_latency.p1, sc->cache.set_latency.p2);
    EXPECT(sc->cache.del_latency.kind == SIM_DIST_CONST &&
               sc->cache.del_latency.p1 == 250e3,
           "kind %d %g", (int)sc->cache.del_latency.kind, sc->cache.del_latency.p1);
    EXPECT(sc->cache.response_latency.kind == SIM_DIST_EXP &&
               sc->cache.response_latency.p1 == 1500,
           "kind %d %g", (int)sc->cache.response_latency.kind,
           sc->cache.response_latency.p1);
    EXPECT(sc->cache.timeout == 250 * SIM_MS, "%lld", (long long)sc->cache.timeout);
    EXPECT(sc->cache.invalidation == SCENARIO_INVALIDATION_UPDATE_AFTER_WRITE, "%d",
           (int)sc->cache.invalidation);
    EXPECT(sc->faults.del_fail == 0.25, "%g", sc->faults.del_fail);
    EXPECT(sc->faults.del_timeout == 0.5, "%g", sc->faults.del_timeout);
    EXPECT(sc->faults.del_timeout_applies == 1, "%g", sc->faults.del_timeout_applies);
    EXPECT(sc->faults.set_fail == 0.125, "%g", sc->faults.set_fail);
    EXPECT(sc->faults.crash_after_commit == 1e-3, "%g", sc->faults.crash_after_commit);
    EXPECT(sc->contract.max_staleness == 90 * SIM_S, "%lld",
           (long long)sc->contract.max_staleness);
    EXPECT(sc->contract.quantile == 0.99, "%g", sc->contract.quantile);
    EXPECT(sc->contract.max_stale_fraction == 0.5, "%g",
           sc->contract.max_stale_fraction);
}

static void test_typed_values(void) {
    scenario sc;
    char err[1024] = "";
    LOAD_OK(&sc, typed_text);
    check_typed(&sc);
    int rc = scenario_validate(&sc, err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    /* Provenance and the value text as given. */
    size_t i = testing_key_index("cache", "ttl");
    EXPECT(sc.line[i] == 20 && strcmp(sc.text[i], "2h") == 0, "line %d text '%s'",
           sc.line[i], sc.text[i]);
    i = testing_key_index("run", "duration");
    EXPECT(sc.line[i] == 3, "line %d", sc.line[i]);
    i = testing_key_index("contract", "max_stale_fraction");
    EXPECT(sc.line[i] == 37, "line %d", sc.line[i]);
    EXPECT(strcmp(sc.path, NAME) == 0, "path %s", sc.path); /* named in messages */
    scenario_fini(&sc);
}

/* The same text from a real file: same values, the path in sc->path. */
static void test_load_file(void) {
    char *path = testing_temp_file(typed_text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    scenario sc;
    char err[1024] = "";
    CU_ASSERT_EQUAL_FATAL(scenario_init_defaults(&sc, err, sizeof err), 0);
    int rc = scenario_load(&sc, path, err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    if (rc == 0) {
        check_typed(&sc);
        EXPECT(strcmp(sc.path, path) == 0, "path '%s' want '%s'", sc.path, path);
        EXPECT(strcmp(sc.basedir, "/tmp") == 0, "basedir '%s'", sc.basedir);
        size_t i = testing_key_index("faults", "crash_after_commit");
        EXPECT(sc.line[i] == 33, "line %d", sc.line[i]);
    }
    scenario_fini(&sc);
    testing_remove_temp(path);
}

/* A relative empirical:FILE is found next to the scenario, not in the
 * working directory. */
static void test_relative_empirical(void) {
    char *samples = testing_temp_file("1ms\n2ms\n6ms\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(samples);
    char text[256];
    snprintf(text, sizeof text, "[db]\nread_latency = empirical:%s\n",
             strrchr(samples, '/') + 1);
    char *path = testing_temp_file(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    scenario sc;
    char err[1024] = "";
    CU_ASSERT_EQUAL_FATAL(scenario_init_defaults(&sc, err, sizeof err), 0);
    int rc = scenario_load(&sc, path, err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    EXPECT(sc.db.read_latency.kind == SIM_DIST_EMPIRICAL &&
               sc.db.read_latency.nvalues == 3,
           "kind %d n %zu", (int)sc.db.read_latency.kind,
           sc.db.read_latency.nvalues);
    EXPECT(fabs(sim_dist_mean(&sc.db.read_latency) - 3e6) < 1,
           "mean %g", sim_dist_mean(&sc.db.read_latency));
    scenario_fini(&sc);
    testing_remove_temp(path);
    testing_remove_temp(samples);
}

static void test_missing_file(void) {
    scenario sc;
    char err[1024] = "";
    CU_ASSERT_EQUAL_FATAL(scenario_init_defaults(&sc, err, sizeof err), 0);
    const char *path = "/tmp/stalesim-test-no-such-dir/none.ini";
    int rc = scenario_load(&sc, path, err, sizeof err);
    scenario_fini(&sc);
    EXPECT(rc == -1, "rc %d", rc);
    EXPECT_MSG(err, path, "cannot open");
}

static void test_enum_values(void) {
    static const struct {
        const char *text;
        scenario_invalidation want;
    } inv[] = {
        {"delete-after-write", SCENARIO_INVALIDATION_DELETE_AFTER_WRITE},
        {"delete-before-write", SCENARIO_INVALIDATION_DELETE_BEFORE_WRITE},
        {"update-after-write", SCENARIO_INVALIDATION_UPDATE_AFTER_WRITE},
        {"none", SCENARIO_INVALIDATION_NONE},
    };
    for (size_t i = 0; i < sizeof inv / sizeof inv[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "[cache]\ninvalidation = %s\n", inv[i].text);
        scenario sc;
        LOAD_OK(&sc, text);
        EXPECT(sc.cache.invalidation == inv[i].want, "%s: %d", inv[i].text,
               (int)sc.cache.invalidation);
        scenario_fini(&sc);
    }
    static const char *patterns[] = {"none", "ttl-only", "cache-aside"};
    for (size_t i = 0; i < 3; i++) {
        char text[128];
        snprintf(text, sizeof text, "[cache]\npattern = %s\n", patterns[i]);
        scenario sc;
        LOAD_OK(&sc, text);
        EXPECT(strcmp(sc.cache.pattern, patterns[i]) == 0, "%s: %s",
               patterns[i], sc.cache.pattern);
        scenario_fini(&sc);
    }
    static const struct {
        const char *text;
        int want;
    } bools[] = {{"yes", 1}, {"true", 1}, {"on", 1}, {"1", 1},
                 {"no", 0},  {"false", 0}, {"off", 0}, {"0", 0}};
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        char text[128];
        /* Start from the opposite value so a no-op cannot pass. */
        snprintf(text, sizeof text, "[cache]\nsliding_ttl = %s\n", bools[i].text);
        scenario sc;
        LOAD_OK(&sc, text);
        char err[256] = "";
        int rc = scenario_set(&sc, bools[i].want ? "cache.sliding_ttl=no"
                                                 : "cache.sliding_ttl=yes",
                              err, sizeof err);
        EXPECT(rc == 0 && sc.cache.sliding_ttl == !bools[i].want, "%s", err);
        char set[64];
        snprintf(set, sizeof set, "cache.sliding_ttl=%s", bools[i].text);
        rc = scenario_set(&sc, set, err, sizeof err);
        EXPECT(rc == 0 && sc.cache.sliding_ttl == bools[i].want, "%s: %d (%s)",
               bools[i].text, sc.cache.sliding_ttl, err);
        scenario_fini(&sc);
    }
    /* uniform after zipf resets the exponent; poisson after constant. */
    scenario sc;
    LOAD_OK(&sc, "[workload]\npopularity = zipf:1.2\narrivals = constant\n");
    EXPECT(sc.workload.zipf_s == 1.2 && sc.workload.arrivals == SCENARIO_ARRIVALS_CONSTANT,
           "%g %d", sc.workload.zipf_s, (int)sc.workload.arrivals);
    char err[256] = "";
    EXPECT(scenario_set(&sc, "workload.popularity=uniform", err, sizeof err) == 0 &&
               sc.workload.zipf_s == 0,
           "%g %s", sc.workload.zipf_s, err);
    EXPECT(scenario_set(&sc, "workload.arrivals=poisson", err, sizeof err) == 0 &&
               sc.workload.arrivals == SCENARIO_ARRIVALS_POISSON,
           "%d %s", (int)sc.workload.arrivals, err);
    scenario_fini(&sc);
}

/* ---- comments and layout --------------------------------------------------- */

static void test_inline_comments_values(void) {
    scenario sc;
    LOAD_OK(&sc,
            "; a whole-line comment\n"
            "# another\n"
            "\n"
            "[cache] ; section comment\n"
            "ttl = 60s ; semicolon comment\n"
            "pattern = none # hash comment\n"
            "timeout = 20ms\t# after a tab\n"
            "get_latency = exp:1ms # one ; two\n"
            "[workload]\n"
            "popularity = zipf:0.5  ;  hot keys\n"
            "reads = 5/s   # trailing blanks before the comment\n");
    EXPECT(sc.cache.ttl == 60 * SIM_S, "%lld", (long long)sc.cache.ttl);
    EXPECT(strcmp(sc.cache.pattern, "none") == 0, "'%s'", sc.cache.pattern);
    EXPECT(sc.cache.timeout == 20 * SIM_MS, "%lld", (long long)sc.cache.timeout);
    EXPECT(sc.cache.get_latency.kind == SIM_DIST_EXP &&
               sc.cache.get_latency.p1 == 1e6,
           "%d %g", (int)sc.cache.get_latency.kind, sc.cache.get_latency.p1);
    EXPECT(sc.workload.zipf_s == 0.5, "%g", sc.workload.zipf_s);
    EXPECT(sc.workload.reads == 5, "%g", sc.workload.reads);
    /* The recorded text has the comment and the blanks removed. */
    static const struct {
        const char *section, *name, *text;
        int line;
    } want[] = {{"cache", "ttl", "60s", 5},
                {"cache", "pattern", "none", 6},
                {"cache", "timeout", "20ms", 7},
                {"cache", "get_latency", "exp:1ms", 8},
                {"workload", "popularity", "zipf:0.5", 10},
                {"workload", "reads", "5/s", 11}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        size_t i = testing_key_index(want[k].section, want[k].name);
        EXPECT(strcmp(sc.text[i], want[k].text) == 0 && sc.line[i] == want[k].line,
               "%s.%s: text '%s' line %d, want '%s' line %d", want[k].section,
               want[k].name, sc.text[i], sc.line[i], want[k].text, want[k].line);
    }
    scenario_fini(&sc);
    /* Without a blank before it, '#' is part of the value. */
    LOAD_FAILS("[workload]\nreads = 5/s#x\n", NAME ":2: ", "key 'reads'", "5/s#x");
    LOAD_FAILS("[cache]\nttl = 60s;x\n", NAME ":2: ", "key 'ttl'", "60s;x");
}

/* CRLF line ends, a UTF-8 byte-order mark and indented keys are accepted. */
static void test_layout(void) {
    scenario sc;
    LOAD_OK(&sc, "\xef\xbb\xbf[cache]\r\nttl = 61s\r\n[run]\r\nreps = 3\r\n");
    EXPECT(sc.cache.ttl == 61 * SIM_S && sc.run.reps == 3, "%lld %u",
           (long long)sc.cache.ttl, sc.run.reps);
    EXPECT(sc.line[testing_key_index("run", "reps")] == 4, "line %d",
           sc.line[testing_key_index("run", "reps")]);
    scenario_fini(&sc);

    LOAD_OK(&sc, "[cache]\n    pattern = none\n    ttl = 60s\n\t timeout = 1s\n");
    EXPECT(strcmp(sc.cache.pattern, "none") == 0 && sc.cache.ttl == 60 * SIM_S &&
               sc.cache.timeout == SIM_S,
           "pattern %s ttl %lld timeout %lld", sc.cache.pattern,
           (long long)sc.cache.ttl, (long long)sc.cache.timeout);
    EXPECT(sc.line[testing_key_index("cache", "ttl")] == 3, "line %d",
           sc.line[testing_key_index("cache", "ttl")]);
    scenario_fini(&sc);

    /* An indented value on its own line is not a continuation. */
    LOAD_FAILS("[cache]\nttl = 60s\n  120s\n", NAME ":3: ", "malformed");
}

/* ---- --set -------------------------------------------------------------------- */

static void test_set(void) {
    scenario sc;
    char err[512] = "";
    LOAD_OK(&sc, "[cache]\nttl = 10s\n[run]\nreps = 4\n");
    size_t ttl = testing_key_index("cache", "ttl"), reps = testing_key_index("run", "reps"),
           seed = testing_key_index("run", "seed");
    EXPECT(sc.line[ttl] == 2 && sc.line[reps] == 4 && sc.line[seed] == 0,
           "lines %d %d %d", sc.line[ttl], sc.line[reps], sc.line[seed]);

    int rc = scenario_set(&sc, "cache.ttl=60s", err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    EXPECT(sc.cache.ttl == 60 * SIM_S, "%lld", (long long)sc.cache.ttl);
    EXPECT(sc.line[ttl] == -1 && strcmp(sc.text[ttl], "60s") == 0,
           "line %d text '%s'", sc.line[ttl], sc.text[ttl]);
    EXPECT(sc.line[reps] == 4, "untouched key moved: line %d", sc.line[reps]);

    rc = scenario_set(&sc, "run.seed=42", err, sizeof err);
    EXPECT(rc == 0 && sc.run.seed == 42 && sc.line[seed] == -1, "rc %d seed %llu "
           "line %d %s", rc, (unsigned long long)sc.run.seed, sc.line[seed], err);
    rc = scenario_set(&sc, "db.read_latency=lognormal:4ms,0.5", err, sizeof err);
    EXPECT(rc == 0 && sc.db.read_latency.kind == SIM_DIST_LOGNORMAL &&
               sc.db.read_latency.p2 == 0.5,
           "rc %d %s", rc, err);

    static const struct {
        const char *assignment;
        const char *needle1, *needle2;
    } bad[] = {
        {"cache.tll=1s", "--set 'cache.tll'", "unknown key"},
        {"cahce.ttl=1s", "--set 'cahce.ttl'", "unknown section"},
        {"cache.ttl=5parsecs", "--set 'cache.ttl'", "unit"},
        {"cache.ttl=-1s", "--set 'cache.ttl'", "negative"},
        {"faults.del_fail=2", "--set 'faults.del_fail'", "[0,1]"},
        {"workload.reads=5", "--set 'workload.reads'", "unit"},
        {"cache.pattern=bogus", "--set 'cache.pattern'", "unknown pattern"},
        {"cache.ttl", "cache.ttl", "expected section.key=value"},
        {"ttl=5s", "ttl=5s", "expected section.key=value"},
        {".ttl=5s", ".ttl=5s", "expected section.key=value"},
        {"cache.=5s", "cache.=5s", "expected section.key=value"},
        {"", "--set ''", "expected section.key=value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        rc = scenario_set(&sc, bad[i].assignment, err, sizeof err);
        EXPECT(rc == -1, "'%s': rc %d", bad[i].assignment, rc);
        testing_expect_msg_(__FILE__, __LINE__, err, bad[i].needle1,
                            bad[i].needle2, (const char *)NULL);
    }
    /* Failed overrides change nothing. */
    EXPECT(sc.cache.ttl == 60 * SIM_S && sc.line[ttl] == -1 &&
               strcmp(sc.text[ttl], "60s") == 0 &&
               strcmp(sc.cache.pattern, "cache-aside") == 0 &&
               sc.faults.del_fail == 0,
           "ttl %lld line %d text '%s' pattern %s del_fail %g",
           (long long)sc.cache.ttl, sc.line[ttl], sc.text[ttl], sc.cache.pattern,
           sc.faults.del_fail);
    rc = scenario_validate(&sc, err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    scenario_fini(&sc);
}

/* ---- validate -------------------------------------------------------------- */

/* Loads text (must parse) and requires validate to fail with the needles. */
static void validate_fails_(int line, const char *text, const char *set, ...) {
    scenario sc;
    char err[1024] = "";
    testing_load_ok_(__FILE__, line, &sc, text);
    if (set && scenario_set(&sc, set, err, sizeof err) != 0) {
        scenario_fini(&sc);
        CU_assertImplementation(CU_FALSE, (unsigned)line, err, __FILE__, "",
                                CU_TRUE);
    }
    int rc = scenario_validate(&sc, err, sizeof err);
    scenario_fini(&sc);
    if (rc != -1) {
        char m[1024];
        snprintf(m, sizeof m, "validate of [%s] returned %d, want -1", text, rc);
        fprintf(stderr, "\n  %s:%d: %s\n", __FILE__, line, m);
        CU_assertImplementation(CU_FALSE, (unsigned)line, m, __FILE__, "",
                                CU_TRUE);
    }
    va_list ap;
    va_start(ap, set);
    testing_vexpect_msg(__FILE__, line, err, ap);
    va_end(ap);
}

#define VALIDATE_FAILS(text, set, ...)                                        \
    validate_fails_(__LINE__, text, set, __VA_ARGS__, (const char *)NULL)

static void test_validate(void) {
    VALIDATE_FAILS("[run]\nduration = 10s\n; c\nwarmup = 10s\n", NULL,
                   NAME ":4: ", "key 'warmup'", "shorter than duration");
    VALIDATE_FAILS("[run]\nwarmup = 2h\n", NULL, NAME ":2: ", "key 'warmup'",
                   "shorter than duration");
    VALIDATE_FAILS("[run]\nduration = 0s\n", NULL, NAME ":2: ", "key 'duration'",
                   "greater than 0");
    VALIDATE_FAILS("[run]\nduration = 10s\n", "run.warmup=20s", "--set 'run.warmup'",
                   "shorter than duration");
    VALIDATE_FAILS("[workload]\nkeys = 5\nreads = 0/s\nwrites = 0/s\n", NULL,
                   NAME ":3: ", "key 'reads'", "both 0");
    VALIDATE_FAILS("[faults]\ndel_fail = 0.6\ndel_timeout = 0.5\n", NULL,
                   NAME ":3: ", "key 'del_timeout'", "del_fail + del_timeout",
                   "exceed 1");
    VALIDATE_FAILS("[faults]\ndel_fail = 0.6\n", "faults.del_timeout=0.41",
                   "--set 'faults.del_timeout'", "exceed 1");

    /* The boundaries pass. */
    scenario sc;
    char err[1024] = "";
    LOAD_OK(&sc, "[run]\nduration = 10s\nwarmup = 9999ms\n[workload]\nreads = 0/s\n"
                 "[faults]\ndel_fail = 0.5\ndel_timeout = 0.5\n");
    int rc = scenario_validate(&sc, err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    scenario_fini(&sc);

    /* From a file the message names the file's path. */
    char *path = testing_temp_file("[run]\nduration = 1m\nwarmup = 1m\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    CU_ASSERT_EQUAL_FATAL(scenario_init_defaults(&sc, err, sizeof err), 0);
    rc = scenario_load(&sc, path, err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    rc = scenario_validate(&sc, err, sizeof err);
    scenario_fini(&sc);
    char where[128];
    snprintf(where, sizeof where, "%s:3: key 'warmup'", path);
    testing_remove_temp(path);
    EXPECT(rc == -1, "rc %d", rc);
    EXPECT_MSG(err, where, "shorter than duration");
}

/* ---- reference ---------------------------------------------------------------- */

static void test_reference(void) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    scenario_print_reference(f);
    fclose(f);
    EXPECT(strncmp(buf, "| section | key | default | meaning |\n", 38) == 0,
           "starts '%.40s'", buf);
    for (size_t i = 0; i < scenario_key_count(); i++) {
        char cell[96];
        snprintf(cell, sizeof cell, "| `%s` | `%s` |", scenario_key_name(i),
                 *scenario_key_default(i) ? scenario_key_default(i) : "(empty)");
        EXPECT(strstr(buf, cell) != NULL, "no row with '%s'", cell);
        snprintf(cell, sizeof cell, "[%s]", scenario_key_section(i));
        EXPECT(strstr(buf, cell) != NULL, "no section '%s'", cell);
    }
    free(buf);
}

static CU_TestInfo tests[] = {
    {"defaults", test_defaults},
    {"every default parses", test_every_default_parses},
    {"typed values", test_typed_values},
    {"load file", test_load_file},
    {"relative empirical file", test_relative_empirical},
    {"missing file", test_missing_file},
    {"enum values", test_enum_values},
    {"inline comments", test_inline_comments_values},
    {"layout (CRLF, BOM, indentation)", test_layout},
    {"--set", test_set},
    {"validate", test_validate},
    {"key reference", test_reference},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("scenario", NULL, NULL, tests)
