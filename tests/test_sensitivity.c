/* End-to-end tests of `stalesim sensitivity`, through the real binary.
 *
 * A scenario where failed deletes dominate: 20 keys written 4/s in all
 * (each key every 5 s on average) under cache-aside with a 300 s TTL and
 * del_fail = 0.05.  A failed DEL leaves the old value until the key's next
 * successful invalidation, seconds later, long before the TTL: the stale
 * fraction is about proportional to del_fail and does not depend on the
 * TTL at all.  One at a time, faults.del_fail must rank first with a swing
 * whose 95% interval excludes 0, and cache.ttl's swing must be 0 (common
 * random numbers: the same runs with a TTL that never fires).  Sobol over
 * both: del_fail's total index above the TTL's.  The tornado is drawn to
 * an SVG.  Refusals: a bad metric, --keys naming a non-numeric key, a
 * scenario with nothing to vary, Sobol options mixed with one-at-a-time
 * ones. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "experiments/study.h"
#include "experiments/version.h"
#include "tests/testing.h"

#define DOMINANT                                                              \
    "[run]\nduration = 120s\nreps = 4\nseed = 5\n"                            \
    "[workload]\nkeys = 20\nreads = 200/s\nwrites = 4/s\n"                    \
    "[db]\nread_latency = const:1ms\nwrite_latency = const:2ms\n"             \
    "[cache]\npattern = cache-aside\nttl = 300s\n"                            \
    "[faults]\ndel_fail = 0.05\n"

/* The number after "KEY": following position p (NaN if absent). */
static double num_after(const char *p, const char *key) {
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *q = p ? strstr(p, pat) : NULL;
    return q ? strtod(q + strlen(pat), NULL) : NAN;
}

static void oat_ranks_dominant_first(void) {
    char *f = testing_temp_file(DOMINANT), args[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    snprintf(args, sizeof args, "sensitivity %s --format json", f);
    cli_run r;
    RUN(&r, args);
    EXPECT(r.status == 0, "exit %d: %s", r.status, r.err);
    const char *first = strstr(r.out, "\"inputs\": [{\"key\": ");
    EXPECT(first && strncmp(first + 19, "\"faults.del_fail\"", 17) == 0,
           "%s", r.out);
    const char *swing = first ? strstr(first, "\"swing\": {") : NULL;
    double s = num_after(swing, "mean"), h = num_after(swing, "ci95");
    EXPECT(s - h > 0, "del_fail swing %g +- %g", s, h);
    const char *ttl = strstr(r.out, "{\"key\": \"cache.ttl\"");
    const char *ttl_swing = ttl ? strstr(ttl, "\"swing\": {") : NULL;
    EXPECT(ttl && num_after(ttl_swing, "mean") == 0,
           "cache.ttl swing %g: %s", num_after(ttl_swing, "mean"), r.out);
    /* every input the file sets is there, [run] ones are not */
    EXPECT(strstr(r.out, "\"workload.writes\"") &&
               !strstr(r.out, "\"run.duration\""), "%s", r.out);
    testing_run_free(&r);
    testing_remove_temp(f);
}

static void oat_tornado(void) {
    char *f = testing_temp_file(DOMINANT), args[512];
    char dir[] = "/tmp/stalesim-tornado-XXXXXX", svg[64];
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(svg, sizeof svg, "%s/t.svg", dir);
    snprintf(args, sizeof args, "sensitivity %s --keys "
             "cache.ttl,faults.del_fail -o %s", f, svg);
    cli_run r;
    RUN(&r, args);
    EXPECT(r.status == 0, "exit %d: %s", r.status, r.err);
    char *text = testing_slurp(svg);
    EXPECT(text && strstr(text, "<svg") && strstr(text, "faults.del_fail"),
           "no tornado in %s", svg);
    /* the text table ranks the same */
    const char *one = strstr(r.out, "  1    ");
    EXPECT(one && strstr(one, "faults.del_fail") &&
               strstr(one, "faults.del_fail") < strstr(one, "cache.ttl"),
           "%s", r.out);
    free(text);
    testing_run_free(&r);
    unlink(svg);
    rmdir(dir);
    testing_remove_temp(f);
}

static void sobol_ranks_dominant_first(void) {
    char *f = testing_temp_file(DOMINANT), args[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    snprintf(args, sizeof args, "sensitivity %s --vary "
             "faults.del_fail=0.01..0.1 --vary cache.ttl=60s..600s --samples "
             "16 --reps 2 --format json --jobs 2", f);
    cli_run r;
    RUN(&r, args);
    EXPECT(r.status == 0, "exit %d: %s", r.status, r.err);
    const char *first = strstr(r.out, "\"inputs\": [{\"key\": ");
    EXPECT(first && strncmp(first + 19, "\"faults.del_fail\"", 17) == 0,
           "%s", r.out);
    const char *dt = first ? strstr(first, "\"total\": {") : NULL;
    const char *ttl = strstr(r.out, "{\"key\": \"cache.ttl\"");
    const char *tt = ttl ? strstr(ttl, "\"total\": {") : NULL;
    double a = num_after(dt, "index"), b = num_after(tt, "index");
    EXPECT(a > 0.5 && b < 0.1, "total indices: del_fail %g, ttl %g", a, b);
    EXPECT(num_after(r.out, "runs") > 0 && strstr(r.out, "\"ci95\": ["),
           "%s", r.out);
    testing_run_free(&r);
    testing_remove_temp(f);
}

static void refusals(void) {
    char *f = testing_temp_file(DOMINANT), args[512];
    char *bare = testing_temp_file("[run]\nduration = 60s\nreps = 2\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bare);
    const struct {
        const char *file, *opts, *says;
    } cases[] = {
        {f, "--metric nosuch", "not a metric"},
        {f, "--keys cache.pattern", "cannot be scaled"},
        {f, "--keys cache.nosuch", "not a scenario key"},
        {bare, "", "no numeric input to vary"},
        {f, "--vary cache.ttl=1s..10s --factor 3", "goes with one-at-a-time"},
        {f, "--vary cache.pattern=1..2", "not a numeric key"},
        {f, "--vary cache.ttl=10s..1s", "LO < HI"},
        {f, "--samples 8", "goes with --vary"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args, "sensitivity %s %s", cases[i].file,
                 cases[i].opts);
        cli_run r;
        RUN(&r, args);
        EXPECT(r.status == 2 && strstr(r.err, cases[i].says),
               "%s: exit %d, stderr '%s' (wanted '%s')", cases[i].opts,
               r.status, r.err, cases[i].says);
        testing_run_free(&r);
    }
    testing_remove_temp(bare);
    testing_remove_temp(f);
}

/* A study's identity (tune, sensitivity) holds the stalesim version:
 * another version's stored replications (other numbers) are not resumed
 * into. */
static void spec_has_version(void) {
    char err[256];
    char *spec = study_spec("sensitivity", NULL, "", "metric=stale_reads",
                            err, sizeof err);
    EXPECT(spec && strstr(spec, "version: " STALESIM_VERSION "\n"),
           "spec [%s]", spec ? spec : err);
    free(spec);
}

static CU_TestInfo tests[] = {
    {"one at a time ranks the dominant input first", oat_ranks_dominant_first},
    {"tornado plot", oat_tornado},
    {"Sobol ranks the dominant input first", sobol_ranks_dominant_first},
    {"refusals", refusals},
    {"the version is part of a study's identity", spec_has_version},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("sensitivity", NULL, NULL, tests)
