/* Suite "workload-trace": parsing the traces a workload replays
 * (models/workload.c, workload_trace_read).  Traces are fed through
 * fmemopen and every field of every request is pinned; each class of
 * malformed line is refused with its line number; the shipped fixtures
 * parse with the counts of their generator.  Loading a trace from a
 * scenario and running it are in tests/test_workload.c. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/workload.h"
#include "tests/testing.h"

/* Parses `text` as a trace named "T". */
static int parse(const char *text, int format, workload_trace *t, char *err,
                 size_t errlen) {
    /* fmemopen may refuse size 0; a lone newline reads the same (blank
     * lines are skipped). */
    if (!*text) text = "\n";
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    CU_ASSERT_FATAL(f != NULL);
    int rc = workload_trace_read(f, "T", format, t, err, errlen);
    fclose(f);
    return rc;
}

static void expect_op(const workload_trace *t, size_t i, sim_time at,
                      workload_kind kind, uint32_t key, uint32_t client) {
    CU_ASSERT_FATAL(i < t->n);
    const workload_op *o = &t->ops[i];
    EXPECT(o->at == at && o->kind == kind && o->key == key && o->client == client,
           "op %zu: (%lld ns, %s, key %u, client %u), want (%lld, %s, %u, %u)",
           i, (long long)o->at, o->kind == WORKLOAD_READ ? "read" : "write", o->key,
           o->client, (long long)at, kind == WORKLOAD_READ ? "read" : "write", key,
           client);
}

static void test_trace_twitter(void) {
    const char *text = "10,k1,2,100,7,get,0\n"
                       "10,k2,2,100,3,SET,3600\n"
                       "10,k1,2,100,7,gets,0\n"
                       "\n"
                       "11,k3,2,0,07,delete,0\r\n"
                       "13, k2 ,2,10,3,incr,0\n";
    workload_trace t;
    char err[256] = "";
    int rc = parse(text, SCENARIO_TRACE_FORMAT_TWITTER, &t, err, sizeof err);
    EXPECT(rc == 0, "rc %d: %s", rc, err);
    if (rc != 0) return;
    EXPECT(t.n == 5 && t.keys == 3 && t.clients == 2 && t.reads == 2 &&
               t.writes == 3 && t.deletes == 1,
           "n %zu keys %u clients %u reads %zu writes %zu deletes %zu", t.n,
           t.keys, t.clients, t.reads, t.writes, t.deletes);
    /* Second 10 holds three requests: at 0, 1/3 and 2/3 s. */
    expect_op(&t, 0, 0, WORKLOAD_READ, 0, 0);
    expect_op(&t, 1, 333333333, WORKLOAD_WRITE, 1, 1);
    expect_op(&t, 2, 666666666, WORKLOAD_READ, 0, 0);
    expect_op(&t, 3, SIM_S, WORKLOAD_WRITE, 2, 0); /* delete: a write; "07" is 7 */
    expect_op(&t, 4, 3 * SIM_S, WORKLOAD_WRITE, 1, 1);
    workload_trace_fini(&t);
}

/* Every operation of the format, in either case. */
static void test_trace_twitter_operations(void) {
    static const struct {
        const char *op;
        workload_kind kind;
    } ops[] = {{"get", WORKLOAD_READ},      {"gets", WORKLOAD_READ},    {"set", WORKLOAD_WRITE},
               {"add", WORKLOAD_WRITE},     {"replace", WORKLOAD_WRITE}, {"cas", WORKLOAD_WRITE},
               {"append", WORKLOAD_WRITE},  {"prepend", WORKLOAD_WRITE}, {"incr", WORKLOAD_WRITE},
               {"decr", WORKLOAD_WRITE},    {"delete", WORKLOAD_WRITE},  {"GET", WORKLOAD_READ},
               {"Delete", WORKLOAD_WRITE}};
    const size_t n = sizeof ops / sizeof ops[0];
    char text[1024] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text),
                 "%zu,key%zu,4,1,0,%s,0\n", i, i, ops[i].op);
    workload_trace t;
    char err[256] = "";
    int rc = parse(text, SCENARIO_TRACE_FORMAT_TWITTER, &t, err, sizeof err);
    EXPECT(rc == 0, "rc %d: %s", rc, err);
    if (rc != 0) return;
    CU_ASSERT_EQUAL(t.n, n);
    for (size_t i = 0; i < n && i < t.n; i++)
        expect_op(&t, i, (sim_time)i * SIM_S, ops[i].kind, (uint32_t)i, 0);
    EXPECT(t.deletes == 2 && t.reads == 3, "deletes %zu reads %zu", t.deletes,
           t.reads);
    workload_trace_fini(&t);
}

static void test_trace_csv(void) {
    const char *body = "0.5,a,read\n"
                       "0.5,b,WRITE\n"
                       "1.000000001,a,read\n"
                       " 2.1234567891 , c , write \n"
                       "7,b,read\n";
    char with_header[256], with_bom[256];
    snprintf(with_header, sizeof with_header, "time,key,op\n%s", body);
    snprintf(with_bom, sizeof with_bom, "\xEF\xBB\xBFtime,key,op\r\n%s", body);
    const char *texts[] = {body, with_header, with_bom};
    for (int h = 0; h < 3; h++) {
        workload_trace t;
        char err[256] = "";
        int rc = parse(texts[h], SCENARIO_TRACE_FORMAT_CSV, &t, err, sizeof err);
        EXPECT(rc == 0, "header %d: rc %d: %s", h, rc, err);
        if (rc != 0) continue;
        EXPECT(t.n == 5 && t.keys == 3 && t.clients == 1 && t.reads == 3 &&
                   t.writes == 2 && t.deletes == 0,
               "n %zu keys %u clients %u reads %zu writes %zu", t.n, t.keys,
               t.clients, t.reads, t.writes);
        /* Relative to the first request; equal times stay equal; digits
         * past the ns are dropped. */
        expect_op(&t, 0, 0, WORKLOAD_READ, 0, 0);
        expect_op(&t, 1, 0, WORKLOAD_WRITE, 1, 0);
        expect_op(&t, 2, 500000001, WORKLOAD_READ, 0, 0);
        expect_op(&t, 3, 1623456789, WORKLOAD_WRITE, 2, 0);
        expect_op(&t, 4, 6500000000, WORKLOAD_READ, 1, 0);
        workload_trace_fini(&t);
    }
}

/* Many keys: the map grows and keeps the order of first appearance. */
static void test_trace_many_keys(void) {
    const size_t n = 5000;
    char *text = malloc(n * 32);
    CU_ASSERT_FATAL(text != NULL);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) /* keys 0..2499, then again */
        len += (size_t)sprintf(text + len, "%zu,key-%zu,read\n", i,
                               i % (n / 2));
    workload_trace t;
    char err[256] = "";
    int rc = parse(text, SCENARIO_TRACE_FORMAT_CSV, &t, err, sizeof err);
    EXPECT(rc == 0, "rc %d: %s", rc, err);
    if (rc == 0) {
        EXPECT(t.keys == n / 2, "keys %u", t.keys);
        int ok = 1;
        for (size_t i = 0; i < t.n; i++)
            ok &= t.ops[i].key == i % (n / 2);
        EXPECT(ok, "a key out of order");
        workload_trace_fini(&t);
    }
    free(text);
}

/* Each class of malformed line: refused, with the file, the line and why. */
static void test_trace_malformed(void) {
    static const struct {
        int format;
        const char *text, *where, *why;
    } bad[] = {
        {SCENARIO_TRACE_FORMAT_TWITTER, "0,a,1,1,0,get\n", "T:1: ",
         "6 comma-separated fields, expected 7"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "0,a,1,1,0,get,0\n0,a,1,1,0,get,0,x\n", "T:2: ",
         "8 comma-separated fields, expected 7"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "x,a,1,1,0,get,0\n", "T:1: ", "timestamp 'x'"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "-1,a,1,1,0,get,0\n", "T:1: ", "timestamp '-1'"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "1.5,a,1,1,0,get,0\n", "T:1: ",
         "timestamp '1.5' is not a whole number"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "99999999999,a,1,1,0,get,0\n", "T:1: ",
         "timestamp"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "0,,1,1,0,get,0\n", "T:1: ", "key is empty"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "0,a,k,1,0,get,0\n", "T:1: ", "key size 'k'"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "0,a,1,-3,0,get,0\n", "T:1: ",
         "value size '-3'"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "0,a,1,1,c7,get,0\n", "T:1: ", "client id 'c7'"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "0,a,1,1,0,fetch,0\n", "T:1: ",
         "operation 'fetch' is not one of get"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "0,a,1,1,0,,0\n", "T:1: ", "operation ''"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "0,a,1,1,0,get,ten\n", "T:1: ", "ttl 'ten'"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "5,a,1,1,0,get,0\n\n4,a,1,1,0,get,0\n", "T:3: ",
         "time goes back: 4 s is before the previous request's 5 s"},
        {SCENARIO_TRACE_FORMAT_CSV, "1,a\n", "T:1: ", "2 comma-separated fields, expected 3"},
        {SCENARIO_TRACE_FORMAT_CSV, "time,key,op\n1,a,read,x\n", "T:2: ",
         "4 comma-separated fields, expected 3"},
        {SCENARIO_TRACE_FORMAT_CSV, "abc,a,read\n", "T:1: ", "time 'abc'"},
        {SCENARIO_TRACE_FORMAT_CSV, "-1,a,read\n", "T:1: ", "time '-1'"},
        {SCENARIO_TRACE_FORMAT_CSV, "1e3,a,read\n", "T:1: ", "time '1e3'"},
        {SCENARIO_TRACE_FORMAT_CSV, "1.,a,read\n", "T:1: ", "time '1.'"},
        {SCENARIO_TRACE_FORMAT_CSV, ".5,a,read\n", "T:1: ", "time '.5'"},
        {SCENARIO_TRACE_FORMAT_CSV, "1,,read\n", "T:1: ", "key is empty"},
        {SCENARIO_TRACE_FORMAT_CSV, "1,a,get\n", "T:1: ", "op 'get' is not read or write"},
        {SCENARIO_TRACE_FORMAT_CSV, "2,a,read\n1.5,a,read\n", "T:2: ",
         "time goes back: 1.5 s is before the previous request's 2 s"},
        {SCENARIO_TRACE_FORMAT_CSV, "1,a,read\ntime,key,op\n", "T:2: ", "time 'time'"},
        {SCENARIO_TRACE_FORMAT_CSV, "", "T: ", "no requests"},
        {SCENARIO_TRACE_FORMAT_CSV, "time,key,op\n", "T: ", "no requests"},
        {SCENARIO_TRACE_FORMAT_TWITTER, "\n \n", "T: ", "no requests"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        workload_trace t;
        char err[512] = "";
        int rc = parse(bad[i].text, bad[i].format, &t, err, sizeof err);
        EXPECT(rc == -1 && strncmp(err, bad[i].where, strlen(bad[i].where)) == 0 &&
                   strstr(err, bad[i].why) != NULL && t.ops == NULL &&
                   strchr(err, '\n') == NULL,
               "case %zu [%s]: rc %d, message [%s], want [%s...%s]", i,
               bad[i].text, rc, err, bad[i].where, bad[i].why);
        if (rc == 0) workload_trace_fini(&t);
    }
}

/* The shipped fixtures parse, with the counts of their generator. */
static void test_trace_fixtures(void) {
    static const struct {
        const char *path;
        int format;
        size_t n, reads, writes, deletes;
        uint32_t keys, clients;
    } fx[] = {
        {"tests/fixtures/twitter-2k.trace", SCENARIO_TRACE_FORMAT_TWITTER, 2000, 1706,
         294, 64, 358, 20},
        {"tests/fixtures/requests-2k.csv", SCENARIO_TRACE_FORMAT_CSV, 2000, 1792, 208,
         0, 369, 1},
    };
    for (size_t i = 0; i < 2; i++) {
        FILE *f = fopen(fx[i].path, "r");
        EXPECT(f != NULL, "cannot open %s (run from the repository root)",
               fx[i].path);
        if (!f) continue;
        workload_trace t;
        char err[256] = "";
        int rc = workload_trace_read(f, fx[i].path, fx[i].format, &t, err,
                                     sizeof err);
        fclose(f);
        EXPECT(rc == 0, "%s: %s", fx[i].path, err);
        if (rc != 0) continue;
        EXPECT(t.n == fx[i].n && t.reads == fx[i].reads &&
                   t.writes == fx[i].writes && t.deletes == fx[i].deletes &&
                   t.keys == fx[i].keys && t.clients == fx[i].clients,
               "%s: n %zu reads %zu writes %zu deletes %zu keys %u clients %u",
               fx[i].path, t.n, t.reads, t.writes, t.deletes, t.keys,
               t.clients);
        int sorted = 1;
        for (size_t j = 1; j < t.n; j++) sorted &= t.ops[j].at >= t.ops[j - 1].at;
        EXPECT(sorted && t.ops[0].at == 0 && t.ops[t.n - 1].at < 210 * SIM_S,
               "%s: times sorted %d, first %lld, last %lld", fx[i].path, sorted,
               (long long)t.ops[0].at, (long long)t.ops[t.n - 1].at);
        workload_trace_fini(&t);
    }
}

static CU_TestInfo tests[] = {
    {"trace twitter: ops, kinds, keys, clients, spread seconds",
     test_trace_twitter},
    {"trace twitter: every operation", test_trace_twitter_operations},
    {"trace csv: header optional (also after a BOM), exact times",
     test_trace_csv},
    {"trace: many keys keep first-appearance order", test_trace_many_keys},
    {"trace: malformed lines refused with FILE:LINE", test_trace_malformed},
    {"trace: the fixtures parse", test_trace_fixtures},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("workload-trace", NULL, NULL, tests)
