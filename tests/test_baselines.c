/* Baselines inside one sweep (docs/sweep.md, "Baselines"): a --vary list
 * may hold "no mitigation" (cache.mitigations=none) and "no local caches"
 * (local.instances=0), and each such point stores exactly what running that
 * configuration alone gives: every metric's mean and CI and every cause,
 * through the real binary.  With tier = alone, local.instances=0 is the DB
 * alone, like pattern none. */
#include <CUnit/CUnit.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/testing.h"

static const char scenario_text[] =
    "[run]\nduration = 30s\nreps = 2\n"
    "[workload]\nkeys = 200\npopularity = zipf:0.9\nreads = 300/s\n"
    "writes = 10/s\n"
    "[cache]\npattern = cache-aside\nttl = 20s\nmitigations = lease\n"
    "[local]\ninstances = 3\nttl = 5s\nbus = pubsub\nbus_loss = 0.05\n"
    "[faults]\ndel_fail = 0.05\n";

/* The group of summarize's JSON whose values are (instances, mitigations),
 * or NULL. */
static json_t *group_of(json_t *summary, const char *instances,
                        const char *mitigations) {
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(summary, "groups"), i, g) {
        json_t *v = json_object_get(g, "values");
        const char *a = json_string_value(json_object_get(v,
                                                          "local.instances"));
        const char *b = json_string_value(json_object_get(v,
                                                          "cache.mitigations"));
        if (a && strcmp(a, instances) == 0 &&
            (!mitigations || (b && strcmp(b, mitigations) == 0)))
            return g;
    }
    return NULL;
}

/* Every metric of `run --format json` has the same mean and ci95 in the
 * sweep's group, and every cause the same count. */
static void expect_same(json_t *group, json_t *run, const char *what) {
    json_t *gm = json_object_get(group, "metrics");
    json_t *rm = json_object_get(run, "metrics");
    const char *name;
    json_t *m;
    int compared = 0;
    json_object_foreach(rm, name, m) {
        json_t *s = json_object_get(gm, name);
        double rmean = json_number_value(json_object_get(m, "mean"));
        double smean = json_number_value(json_object_get(s, "mean"));
        double rci = json_number_value(json_object_get(m, "ci95"));
        double sci = json_number_value(json_object_get(s, "ci95"));
        EXPECT(s && rmean == smean && rci == sci,
               "%s: %s: run %.10g +- %.10g, sweep %.10g +- %.10g", what, name,
               rmean, rci, smean, sci);
        compared++;
    }
    EXPECT(compared > 20, "%s: %d metrics compared", what, compared);
    json_t *rc = json_object_get(run, "causes");
    json_t *sc = json_object_get(group, "causes");
    json_object_foreach(rc, name, m) {
        json_int_t a = json_integer_value(m);
        json_int_t b = json_integer_value(json_object_get(sc, name));
        EXPECT(a == b, "%s: cause %s: run %lld, sweep %lld", what, name,
               (long long)a, (long long)b);
    }
}

static json_t *run_json(const char *args) {
    cli_run r;
    RUN(&r, args);
    EXPECT(r.status == 0, "exit %d: %s [%.300s]", r.status, args, r.err);
    json_error_t jerr;
    json_t *j = json_loads(r.out, 0, &jerr);
    EXPECT(j != NULL, "%s: JSON line %d: %s", args, jerr.line, jerr.text);
    testing_run_free(&r);
    return j;
}

static void test_baselines_in_sweep(void) {
    char *ini = testing_temp_file(scenario_text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ini);
    char db[64], cmd[512];
    snprintf(db, sizeof db, "/tmp/stalesim-baselines-%d.db", (int)getpid());
    unlink(db);
    snprintf(cmd, sizeof cmd, "sweep %s --vary local.instances=0,3 --vary "
             "cache.mitigations=none,lease --db %s --jobs 2", ini, db);
    cli_run r;
    RUN(&r, cmd);
    EXPECT(r.status == 0, "sweep: exit %d [%.300s]", r.status, r.err);
    testing_run_free(&r);
    snprintf(cmd, sizeof cmd, "summarize %s --format json", db);
    json_t *summary = run_json(cmd);
    CU_ASSERT_PTR_NOT_NULL_FATAL(summary);
    static const char *const points[][2] = {
        {"0", "none"}, {"0", "lease"}, {"3", "none"}, {"3", "lease"}};
    for (size_t i = 0; i < 4; i++) {
        json_t *g = group_of(summary, points[i][0], points[i][1]);
        EXPECT(g != NULL, "no group %s/%s", points[i][0], points[i][1]);
        if (!g) continue;
        snprintf(cmd, sizeof cmd, "run %s --set local.instances=%s --set "
                 "cache.mitigations=%s --format json", ini, points[i][0],
                 points[i][1]);
        json_t *alone = run_json(cmd);
        if (alone) {
            char what[64];
            snprintf(what, sizeof what, "instances %s, mitigations %s",
                     points[i][0], points[i][1]);
            expect_same(g, alone, what);
        }
        json_decref(alone);
    }
    /* The baselines differ from the design: no local hits without
     * instances; leases change the stale reads. */
    json_t *base = group_of(summary, "0", "none");
    json_t *full = group_of(summary, "3", "lease");
    if (base && full) {
        double lh0 = json_number_value(json_object_get(
            json_object_get(json_object_get(base, "metrics"),
                            "local_hit_ratio"), "mean"));
        double lh3 = json_number_value(json_object_get(
            json_object_get(json_object_get(full, "metrics"),
                            "local_hit_ratio"), "mean"));
        EXPECT(lh0 == 0 && lh3 > 0, "local hit ratio %g without instances, "
               "%g with", lh0, lh3);
    }
    json_decref(summary);
    unlink(db);
    testing_remove_temp(ini);
}

/* tier = alone: the instances sit over the DB, so without them there is no
 * cache at all: the point local.instances=0 equals pattern none. */
static void test_alone_without_instances(void) {
    char *ini = testing_temp_file(scenario_text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ini);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "run %s --set local.tier=alone --set "
             "local.instances=0 --format json", ini);
    json_t *a = run_json(cmd);
    snprintf(cmd, sizeof cmd, "run %s --set cache.pattern=none --set "
             "local.instances=0 --format json", ini);
    json_t *b = run_json(cmd);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    static const char *const names[] = {"hit_ratio", "db_reads_per_s",
                                        "stale_reads", "reads"};
    for (size_t i = 0; i < 4; i++) {
        double x = json_number_value(json_object_get(
            json_object_get(json_object_get(a, "metrics"), names[i]), "mean"));
        double y = json_number_value(json_object_get(
            json_object_get(json_object_get(b, "metrics"), names[i]), "mean"));
        EXPECT(x == y, "%s: tier alone without instances %.10g, pattern none "
               "%.10g", names[i], x, y);
    }
    json_decref(a);
    json_decref(b);
    testing_remove_temp(ini);
}

static CU_TestInfo tests[] = {
    {"no mitigation and no local caches inside one sweep",
     test_baselines_in_sweep},
    {"tier alone without instances is the DB alone",
     test_alone_without_instances},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("baselines", NULL, NULL, tests)
