/* Fixed-seed pins, one per pattern: one short run of the same small world
 * (seed 7, 20 simulated seconds, 200 keys, 500 reads/s, 50 writes/s, TTL 5s,
 * 5% of DELs failing, write-behind crashing at 0.5/s with 10% of reads going
 * to the DB) under each pattern, through `stalesim run --format json`, and
 * its exact counts.  Any change of behaviour, intended or not, changes a
 * number here: update a pin only with the reason in the commit message.
 * Every pattern of the build must have a pin (adding one means pinning it). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "models/pattern.h"
#include "tests/testing.h"

#define COMMON                                                                \
    "run --reps 1 --seed 7 --set run.duration=20s --set workload.keys=200 "   \
    "--set workload.reads=500/s --set workload.writes=50/s "                  \
    "--set cache.ttl=5s --set faults.del_fail=0.05 "                          \
    "--set write_behind.crash_rate=0.5/s --set write_behind.db_readers=0.1 "  \
    "--format json --set cache.pattern="

static const char *const pinned_metrics[] = {
    "reads",         "writes",           "stale_reads",
    "concurrent_reads", "stale_windows", "censored_windows",
    "invalidations_failed", "lost_writes", "cache_crashes"};
#define NPINNED (sizeof pinned_metrics / sizeof pinned_metrics[0])

static const struct {
    const char *pattern;
    double value[NPINNED];
    long long events;
} pins[] = {
    {"none", {10219, 994, 0, 0, 0, 0, 0, 0, 0}, 22426},
    {"ttl-only", {10220, 994, 4104, 1, 432, 102, 0, 0, 0}, 24041},
    {"cache-aside", {10220, 994, 185, 0, 842, 2, 49, 0, 0}, 26022},
    {"read-through", {10220, 994, 190, 1, 841, 3, 49, 0, 0}, 25986},
    {"write-through", {10220, 994, 0, 1, 951, 0, 0, 0, 0}, 24340},
    {"write-behind", {10220, 994, 1637, 2, 958, 141, 0, 211, 11}, 25720},
    {"refresh-ahead", {10219, 994, 201, 1, 841, 3, 49, 0, 0}, 26021},
    {"adaptive", {10220, 994, 11, 1, 945, 0, 3, 0, 0}, 24374},
};
#define NPINS (sizeof pins / sizeof pins[0])

static void test_every_pattern_pinned(void) {
    EXPECT(pattern_count() == NPINS, "%zu patterns, %zu pins",
           pattern_count(), (size_t)NPINS);
    for (size_t i = 0; i < pattern_count(); i++) {
        int found = 0;
        for (size_t k = 0; k < NPINS; k++)
            if (strcmp(pattern_at(i)->name, pins[k].pattern) == 0) found = 1;
        EXPECT(found, "pattern %s has no pin", pattern_at(i)->name);
    }
}

static void test_pins(void) {
    for (size_t k = 0; k < NPINS; k++) {
        char args[512];
        snprintf(args, sizeof args, COMMON "%s", pins[k].pattern);
        cli_run r;
        RUN(&r, args);
        EXPECT(r.status == 0, "%s: exit %d [%.300s]", pins[k].pattern,
               r.status, r.err);
        json_error_t jerr;
        json_t *d = r.status == 0 ? json_loads(r.out, 0, &jerr) : NULL;
        EXPECT(d != NULL, "%s: no JSON", pins[k].pattern);
        if (d) {
            json_t *metrics = json_object_get(d, "metrics");
            for (size_t m = 0; m < NPINNED; m++) {
                json_t *v = json_object_get(
                    json_object_get(metrics, pinned_metrics[m]), "mean");
                double got = json_is_number(v) ? json_number_value(v) : -1;
                EXPECT(got == pins[k].value[m], "%s: %s = %.17g, pinned %.17g",
                       pins[k].pattern, pinned_metrics[m], got,
                       pins[k].value[m]);
            }
            long long events = json_integer_value(json_object_get(d, "events"));
            EXPECT(events == pins[k].events, "%s: events = %lld, pinned %lld",
                   pins[k].pattern, events, pins[k].events);
            json_decref(d);
        }
        testing_run_free(&r);
    }
}

static CU_TestInfo tests[] = {
    {"every pattern has a pin", test_every_pattern_pinned},
    {"exact counts of one short run per pattern", test_pins},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("pins", NULL, NULL, tests)
