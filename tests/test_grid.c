/* The sweep grid: --vary lists, both range kinds with their exact values,
 * point enumeration order, and every refused form with its message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "experiments/grid.h"
#include "tests/testing.h"

/* Expands `list` and requires exactly the values of the NULL-terminated
 * `want` (joined for the message). */
static void expect_values_(int line, const char *list, const char *const *want) {
    char **v = NULL;
    size_t n = 0;
    char err[512];
    int rc = grid_expand(list, &v, &n, err, sizeof err);
    char got[2048] = "", exp[2048] = "";
    size_t nw = 0;
    for (; want[nw]; nw++) {
        strncat(exp, want[nw], sizeof exp - strlen(exp) - 2);
        strcat(exp, "|");
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        strncat(got, v[i], sizeof got - strlen(got) - 2);
        strcat(got, "|");
    }
    char m[4800];
    int ok = rc == 0 && strcmp(got, exp) == 0 && n == nw;
    snprintf(m, sizeof m, "'%s' expands to [%s] (rc %d%s%s), want [%s]", list,
             got, rc, rc ? ": " : "", rc ? err : "", exp);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, m,
                            __FILE__, "", CU_FALSE);
    grid_free_values(v, n);
}

#define EXPECT_VALUES(list, ...)                                              \
    do {                                                                      \
        static const char *const want_[] = {__VA_ARGS__, NULL};               \
        expect_values_(__LINE__, list, want_);                                \
    } while (0)

/* Requires `list` to be refused with a reason containing `needle`. */
static void expect_refused_(int line, const char *list, const char *needle) {
    char **v = NULL;
    size_t n = 0;
    char err[512] = "";
    int rc = grid_expand(list, &v, &n, err, sizeof err);
    char m[1024];
    snprintf(m, sizeof m, "'%s': rc %d, reason [%s], want a refusal with '%s'",
             list, rc, err, needle);
    CU_assertImplementation(rc != 0 && strstr(err, needle) ? CU_TRUE : CU_FALSE,
                            (unsigned)line, m, __FILE__, "", CU_FALSE);
    if (rc == 0) grid_free_values(v, n);
}

#define EXPECT_REFUSED(list, needle) expect_refused_(__LINE__, list, needle)

/* Requires grid_add(arg) to fail with a message starting "--vary 'ARG': "
 * and containing `needle`, leaving the grid as it was. */
static void expect_add_error_(int line, grid *g, const char *arg,
                              const char *needle) {
    size_t naxes = g->naxes, npoints = g->npoints;
    char err[1024] = "", prefix[600];
    int rc = grid_add(g, arg, err, sizeof err);
    snprintf(prefix, sizeof prefix, "--vary '%s': ", arg);
    char m[2048];
    snprintf(m, sizeof m, "grid_add('%s'): rc %d, message [%s], want it to "
             "start '%s' and contain '%s'", arg, rc, err, prefix, needle);
    int ok = rc != 0 && strncmp(err, prefix, strlen(prefix)) == 0 &&
             strstr(err, needle) && g->naxes == naxes && g->npoints == npoints;
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, m,
                            __FILE__, "", CU_FALSE);
}

#define EXPECT_ADD_ERROR(g, arg, needle) expect_add_error_(__LINE__, g, arg, needle)

static void test_lists(void) {
    EXPECT_VALUES("1s,5s,60s", "1s", "5s", "60s");
    EXPECT_VALUES("cache-aside,ttl-only", "cache-aside", "ttl-only");
    EXPECT_VALUES("300s", "300s");
    EXPECT_VALUES(" 1s , 5s ", "1s", "5s");
    /* values holding commas: ';' separates */
    EXPECT_VALUES("lognormal:4ms,0.5;lognormal:8ms,0.5", "lognormal:4ms,0.5",
                  "lognormal:8ms,0.5");
    /* a path with ".." is a literal, not a range */
    EXPECT_VALUES("empirical:../lat.txt", "empirical:../lat.txt");
    /* lists and ranges mix */
    EXPECT_VALUES("1s,10s..40s*2", "1s", "10s", "20s", "40s");
}

static void test_geometric(void) {
    EXPECT_VALUES("1s..300s*2", "1s", "2s", "4s", "8s", "16s", "32s", "64s",
                  "128s", "256s");
    EXPECT_VALUES("1s..256s*2", "1s", "2s", "4s", "8s", "16s", "32s", "64s",
                  "128s", "256s");
    EXPECT_VALUES("1ms..1s*10", "1ms", "10ms", "100ms", "1s");
    EXPECT_VALUES("500ms..2s*2", "500ms", "1s", "2s");
    EXPECT_VALUES("1s..10s*1.5", "1s", "1.5s", "2.25s", "3.375s", "5.0625s",
                  "7.59375s");
    EXPECT_VALUES("30m..4h*2", "1800s", "1h", "2h", "4h");
    EXPECT_VALUES("0.001..1*10", "0.001", "0.01", "0.1", "1");
    EXPECT_VALUES("100/s..1000/s*10", "100/s", "1000/s");
    EXPECT_VALUES("1..100*3", "1", "3", "9", "27", "81");
    EXPECT_VALUES("5s..5s*2", "5s");
}

static void test_arithmetic(void) {
    EXPECT_VALUES("0..0.01+0.002", "0", "0.002", "0.004", "0.006", "0.008",
                  "0.01");
    /* 0.1 + 2*0.1 is 0.30000000000000004: B is reached, and printed as B */
    EXPECT_VALUES("0.1..0.3+0.1", "0.1", "0.2", "0.3");
    EXPECT_VALUES("0..1+0.1", "0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6",
                  "0.7", "0.8", "0.9", "1");
    EXPECT_VALUES("0..10s+5s", "0", "5s", "10s");
    EXPECT_VALUES("1s..2s+300ms", "1s", "1.3s", "1.6s", "1.9s");
    EXPECT_VALUES("1..10+3", "1", "4", "7", "10");
    EXPECT_VALUES("100/s..300/s+100/s", "100/s", "200/s", "300/s");
    EXPECT_VALUES("100/s..300/s+100", "100/s", "200/s", "300/s");
    EXPECT_VALUES("1e-4..5e-4+1e-4", "0.0001", "0.0002", "0.0003", "0.0004",
                  "0.0005");
    /* exactly GRID_MAX_VALUES is fine */
    char **v;
    size_t n;
    char err[256];
    EXPECT(grid_expand("1..10000+1", &v, &n, err, sizeof err) == 0 &&
               n == 10000 && strcmp(v[9999], "10000") == 0,
           "n %zu", n);
    grid_free_values(v, n);
}

static void test_refused(void) {
    EXPECT_REFUSED("", "empty");
    EXPECT_REFUSED("1s,,2s", "empty value");
    EXPECT_REFUSED("1s,", "empty value");
    EXPECT_REFUSED(",1s", "empty value");
    EXPECT_REFUSED("1s,1s", "'1s' appears twice");
    EXPECT_REFUSED("1s,1s..4s*2", "'1s' appears twice");
    EXPECT_REFUSED("1s..300s*1", "factor must be greater than 1");
    EXPECT_REFUSED("1s..300s*0.5", "factor must be greater than 1");
    EXPECT_REFUSED("1s..300s*2s", "factor F must be a plain number");
    EXPECT_REFUSED("0..10*2", "must start above 0");
    EXPECT_REFUSED("1s..300s+0s", "step must be greater than 0");
    EXPECT_REFUSED("0..1+0", "step must be greater than 0");
    EXPECT_REFUSED("0..1+-0.1", "step must be greater than 0");
    EXPECT_REFUSED("1s..10s+1", "needs a unit");
    EXPECT_REFUSED("300s..1s*2", "start is greater than the end");
    EXPECT_REFUSED("1..0+0.1", "start is greater than the end");
    EXPECT_REFUSED("1s..300s", "not A..B*F");
    EXPECT_REFUSED("1s..300s-1s", "not A..B*F");
    EXPECT_REFUSED("1s..x*2", "not A..B*F");
    EXPECT_REFUSED("1s..10*2", "mixes a duration and a number");
    EXPECT_REFUSED("1..10/s+1", "different units");
    EXPECT_REFUSED("1..10+1s", "another unit");
    EXPECT_REFUSED("1ns..100000ns+1ns", "more than 10000 values");
    EXPECT_REFUSED("0..1+0.00001", "more than 10000 values");
    EXPECT_REFUSED("1..1e9*1.0001", "more than 10000 values");
    EXPECT_REFUSED("1ns..2ns*1.1", "appears twice"); /* 1ns after rounding */
}

static void test_grid_points(void) {
    grid g;
    grid_init(&g);
    char err[1024];
    EXPECT(g.npoints == 1 && g.naxes == 0, "empty grid: %zu points", g.npoints);
    EXPECT(grid_add(&g, "cache.pattern=none,ttl-only,cache-aside", err,
                    sizeof err) == 0, "%s", err);
    EXPECT(grid_add(&g, "cache.ttl=1s..4s*2", err, sizeof err) == 0, "%s",
           err);
    EXPECT(g.naxes == 2 && g.npoints == 9, "%zu axes, %zu points", g.naxes,
           g.npoints);
    /* the first axis varies slowest */
    static const char *const want[9][2] = {
        {"none", "1s"},        {"none", "2s"},        {"none", "4s"},
        {"ttl-only", "1s"},    {"ttl-only", "2s"},    {"ttl-only", "4s"},
        {"cache-aside", "1s"}, {"cache-aside", "2s"}, {"cache-aside", "4s"}};
    for (size_t p = 0; p < 9 && g.npoints == 9; p++)
        EXPECT(strcmp(grid_value(&g, p, 0), want[p][0]) == 0 &&
                   strcmp(grid_value(&g, p, 1), want[p][1]) == 0,
               "point %zu is %s,%s, want %s,%s", p, grid_value(&g, p, 0),
               grid_value(&g, p, 1), want[p][0], want[p][1]);
    char label[256];
    grid_point_label(&g, 4, label, sizeof label);
    EXPECT(strcmp(label, "cache.pattern=ttl-only cache.ttl=2s") == 0, "[%s]",
           label);
    EXPECT(isnan(g.axis[0].num[0]) && g.axis[1].num[0] == 1.0 &&
               g.axis[1].num[2] == 4.0,
           "num %g %g %g", g.axis[0].num[0], g.axis[1].num[0],
           g.axis[1].num[2]);
    char *d = grid_describe(&g);
    EXPECT(d && strcmp(d, "cache.pattern=none,ttl-only,cache-aside\n"
                          "cache.ttl=1s,2s,4s\n") == 0,
           "[%s]", d ? d : "NULL");
    free(d);
    grid_fini(&g);

    /* values with commas are described with ';' */
    grid_init(&g);
    EXPECT(grid_add(&g, "db.read_latency=lognormal:4ms,0.5;exp:5ms", err,
                    sizeof err) == 0, "%s", err);
    d = grid_describe(&g);
    EXPECT(d && strcmp(d, "db.read_latency=lognormal:4ms,0.5;exp:5ms\n") == 0,
           "[%s]", d ? d : "NULL");
    free(d);
    EXPECT(g.axis[0].num && isnan(g.axis[0].num[0]), "num of a distribution");
    grid_fini(&g);
}

static void test_add_errors(void) {
    grid g;
    grid_init(&g);
    char err[1024];
    EXPECT_ADD_ERROR(&g, "cache.ttl", "expected SECTION.KEY=LIST");
    EXPECT_ADD_ERROR(&g, "ttl=1s", "expected SECTION.KEY=LIST");
    EXPECT_ADD_ERROR(&g, ".ttl=1s", "expected SECTION.KEY=LIST");
    EXPECT_ADD_ERROR(&g, "cache.=1s", "expected SECTION.KEY=LIST");
    EXPECT_ADD_ERROR(&g, "cache.ttl=", "empty");
    EXPECT_ADD_ERROR(&g, "cache.tll=1s,2s", "key 'cache.tll': unknown key");
    EXPECT_ADD_ERROR(&g, "cashe.ttl=1s", "key 'cashe.ttl': unknown section");
    EXPECT_ADD_ERROR(&g, "cache.ttl=1s,5parsecs", "value '5parsecs'");
    EXPECT_ADD_ERROR(&g, "cache.ttl=1s,5parsecs", "unknown unit 'parsecs'");
    EXPECT_ADD_ERROR(&g, "faults.del_fail=0..2+0.5", "value '1.5'");
    EXPECT_ADD_ERROR(&g, "workload.keys=a,b", "value 'a'");
    EXPECT_ADD_ERROR(&g, "cache.ttl=1s..300s*1", "factor must be greater");
    EXPECT(grid_add(&g, "cache.ttl=1s,2s", err, sizeof err) == 0, "%s", err);
    EXPECT_ADD_ERROR(&g, "cache.ttl=3s", "already varied by --vary "
                                         "'cache.ttl=1s,2s'");
    EXPECT(grid_add(&g, "run.seed=1..1000+1", err, sizeof err) == 0, "%s",
           err);
    EXPECT_ADD_ERROR(&g, "workload.keys=1..1000+1", "the limit is 100000");
    EXPECT(g.naxes == 2 && g.npoints == 2000, "%zu axes %zu points", g.naxes,
           g.npoints);
    grid_fini(&g);
}

static CU_TestInfo tests[] = {
    {"lists", test_lists},
    {"geometric ranges", test_geometric},
    {"arithmetic ranges", test_arithmetic},
    {"refused lists", test_refused},
    {"points and order", test_grid_points},
    {"--vary errors", test_add_errors},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("grid", NULL, NULL, tests)
