/* The oracle on hand-written fact streams: verdicts, age, lag, windows,
 * causes, censoring, read-your-writes and the warm-up. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/oracle.h"
#include "tests/testing.h"

#define MS SIM_MS
#define KEY 0u

static void expect_u64(const char *what, uint64_t got, uint64_t want) {
    if (got != want) {
        fprintf(stderr, "\n    %s: got %llu, want %llu\n", what,
                (unsigned long long)got, (unsigned long long)want);
        CU_FAIL(what);
    }
}

static void expect_time(const char *what, double got_ns, sim_time want) {
    if (got_ns != (double)want) {
        fprintf(stderr, "\n    %s: got %.0f ns, want %lld ns\n", what, got_ns,
                (long long)want);
        CU_FAIL(what);
    }
}

static void test_verdicts(void) {
    oracle *o = oracle_create(1, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    oracle_commit(o, KEY, 1, 10 * MS, ORACLE_PLAN_NONE_PATTERN);
    oracle_commit(o, KEY, 2, 20 * MS, ORACLE_PLAN_NONE_PATTERN);
    oracle_commit(o, KEY, 3, 30 * MS, ORACLE_PLAN_NONE_PATTERN);

    /* Invoked after v1..v2 committed, returns v0: stale, age from v1, lag 2. */
    oracle_verdict v = oracle_read(o, KEY, 1, 25 * MS, 35 * MS, 0,
                                   ORACLE_CACHE);
    CU_ASSERT_EQUAL(v.kind, ORACLE_VERDICT_STALE);
    expect_time("age", (double)v.age, 15 * MS);
    expect_u64("lag at s (v3 came after s)", v.lag, 2);

    /* Invoked before v3, returns v2, v3 committed while in flight. */
    v = oracle_read(o, KEY, 1, 29 * MS, 31 * MS, 2, ORACLE_SOURCE);
    CU_ASSERT_EQUAL(v.kind, ORACLE_VERDICT_CONCURRENT);
    v = oracle_read(o, KEY, 1, 31 * MS, 31 * MS, 3, ORACLE_SOURCE);
    CU_ASSERT_EQUAL(v.kind, ORACLE_VERDICT_FRESH);
    /* Boundary: a commit exactly at s makes older values stale (age 0). */
    v = oracle_read(o, KEY, 1, 30 * MS, 31 * MS, 2, ORACLE_CACHE);
    CU_ASSERT_EQUAL(v.kind, ORACLE_VERDICT_STALE);
    expect_time("age at the commit instant", (double)v.age, 0);

    const oracle_counts *c = oracle_get_counts(o);
    expect_u64("over the default bound", c->over_bound, 0);
    oracle_set_bound(o, 14 * MS);
    oracle_read(o, KEY, 1, 25 * MS, 25 * MS, 0, ORACLE_CACHE); /* age 15 */
    oracle_read(o, KEY, 1, 24 * MS, 24 * MS, 0, ORACLE_CACHE); /* age 14 */
    expect_u64("over a 14 ms bound", c->over_bound, 1);
    expect_u64("reads", c->reads, 6);
    expect_u64("stale", c->stale, 4);
    expect_u64("concurrent", c->concurrent, 1);
    expect_u64("fresh", c->fresh, 1);
    oracle_destroy(o);
}

/* A copy, a commit with a pending DEL, a stale read, the DEL lands. */
static void test_window_invalidation_lag(void) {
    oracle *o = oracle_create(1, 0);
    oracle_copy_set(o, KEY, ORACLE_CACHE, 0, 1 * MS, 100 * MS, ORACLE_SET_FILL);
    oracle_commit(o, KEY, 1, 10 * MS, ORACLE_PLAN_PENDING);
    oracle_verdict v = oracle_read(o, KEY, 1, 12 * MS, 12 * MS, 0, ORACLE_CACHE);
    CU_ASSERT_EQUAL(v.kind, ORACLE_VERDICT_STALE);
    oracle_copy_remove(o, KEY, ORACLE_CACHE, 15 * MS);
    oracle_finish(o, 200 * MS);
    const oracle_counts *c = oracle_get_counts(o);
    expect_u64("windows", c->windows, 1);
    expect_u64("censored", c->censored_windows, 0);
    expect_u64("lag reads", c->stale_by_cause[ORACLE_CAUSE_INVALIDATION_LAG], 1);
    expect_time("window", oracle_stale_window(o)->tally.max, 5 * MS);
    oracle_destroy(o);
}

/* The DEL fails: the window lasts until the entry expires, and the read made
 * while the DEL was in flight takes the window's final cause. */
static void test_window_invalidation_failed(void) {
    oracle *o = oracle_create(1, 0);
    oracle_copy_set(o, KEY, ORACLE_CACHE, 0, 1 * MS, 100 * MS, ORACLE_SET_FILL);
    oracle_commit(o, KEY, 1, 10 * MS, ORACLE_PLAN_PENDING);
    oracle_read(o, KEY, 1, 12 * MS, 12 * MS, 0, ORACLE_CACHE);
    oracle_invalidation_failed(o, KEY, 1, 13 * MS);
    oracle_read(o, KEY, 2, 50 * MS, 50 * MS, 0, ORACLE_CACHE);
    oracle_finish(o, 200 * MS);
    const oracle_counts *c = oracle_get_counts(o);
    expect_u64("failed reads", c->stale_by_cause[ORACLE_CAUSE_INVALIDATION_FAILED], 2);
    expect_u64("lag reads", c->stale_by_cause[ORACLE_CAUSE_INVALIDATION_LAG], 0);
    expect_u64("windows", c->windows, 1);
    expect_time("window ends at expiry", oracle_stale_window(o)->tally.max,
                90 * MS);
    oracle_destroy(o);
}

/* Over-bound reads are attributed to their window's final cause, apart from
 * the stale reads within the bound; many open windows at once exercise the
 * side table (growth, removal with backward shift). */
static void test_over_bound_causes(void) {
    enum { N = 300 };
    oracle *o = oracle_create(N, 0);
    oracle_set_bound(o, 20 * MS);
    for (uint32_t k = 0; k < N; k++) {
        oracle_copy_set(o, k, ORACLE_CACHE, 0, 1 * MS, 100 * MS, ORACLE_SET_FILL);
        oracle_commit(o, k, 1, 10 * MS, ORACLE_PLAN_PENDING);
        oracle_read(o, k, 1, 12 * MS, 12 * MS, 0, ORACLE_CACHE); /* 2 ms */
        oracle_read(o, k, 1, 40 * MS, 40 * MS, 0, ORACLE_CACHE); /* 30 ms */
    }
    for (uint32_t k = 0; k < N; k++) {
        if (k % 3 == 0) /* the DEL fails: the window becomes -failed */
            oracle_invalidation_failed(o, k, 1, 50 * MS);
        else /* it lands late: the window stays invalidation-lag */
            oracle_copy_remove(o, k, ORACLE_CACHE, 60 * MS + k);
    }
    oracle_finish(o, 200 * MS);
    const oracle_counts *c = oracle_get_counts(o);
    expect_u64("over bound", c->over_bound, N);
    expect_u64("over bound, failed",
               c->over_bound_by_cause[ORACLE_CAUSE_INVALIDATION_FAILED], N / 3);
    expect_u64("over bound, lag",
               c->over_bound_by_cause[ORACLE_CAUSE_INVALIDATION_LAG], N - N / 3);
    expect_u64("all stale, failed",
               c->stale_by_cause[ORACLE_CAUSE_INVALIDATION_FAILED], 2 * (N / 3));
    expect_u64("all stale, lag", c->stale_by_cause[ORACLE_CAUSE_INVALIDATION_LAG],
               2 * (N - N / 3));
    oracle_destroy(o);
}

/* A failure fact for a later commit does not change a window opened by an
 * earlier one. */
static void test_failure_of_other_commit(void) {
    oracle *o = oracle_create(1, 0);
    oracle_copy_set(o, KEY, ORACLE_CACHE, 0, 1 * MS, 100 * MS, ORACLE_SET_FILL);
    oracle_commit(o, KEY, 1, 10 * MS, ORACLE_PLAN_PENDING);
    oracle_commit(o, KEY, 2, 11 * MS, ORACLE_PLAN_PENDING);
    oracle_invalidation_failed(o, KEY, 2, 12 * MS);
    oracle_read(o, KEY, 1, 13 * MS, 13 * MS, 0, ORACLE_CACHE);
    oracle_copy_remove(o, KEY, ORACLE_CACHE, 14 * MS); /* v1's DEL lands */
    oracle_finish(o, 200 * MS);
    expect_u64("lag reads",
               oracle_get_counts(o)->stale_by_cause[ORACLE_CAUSE_INVALIDATION_LAG], 1);
    oracle_destroy(o);
}

/* A fill of a superseded version opens a stale-fill window at once; still
 * open at the end, it is censored, and its reads are still attributed. */
static void test_stale_fill_censored(void) {
    oracle *o = oracle_create(1, 0);
    oracle_commit(o, KEY, 1, 10 * MS, ORACLE_PLAN_PENDING);
    oracle_copy_remove(o, KEY, ORACLE_CACHE, 11 * MS); /* the DEL lands */
    oracle_copy_set(o, KEY, ORACLE_CACHE, 0, 12 * MS, 100 * MS, ORACLE_SET_FILL);
    oracle_verdict v = oracle_read(o, KEY, 1, 14 * MS, 14 * MS, 0, ORACLE_CACHE);
    expect_time("age", (double)v.age, 4 * MS);
    oracle_finish(o, 50 * MS);
    const oracle_counts *c = oracle_get_counts(o);
    expect_u64("windows", c->windows, 0);
    expect_u64("censored", c->censored_windows, 1);
    expect_u64("fill reads", c->stale_by_cause[ORACLE_CAUSE_STALE_FILL], 1);
    expect_time("censored duration", oracle_censored_window(o)->max, 38 * MS);
    oracle_destroy(o);
}

/* A superseded fill that lands before the newer commit's DEL is removed by
 * it: invalidation-lag; if that DEL fails, invalidation-failed. */
static void test_fill_before_the_del(void) {
    oracle *o = oracle_create(1, 0);
    oracle_commit(o, KEY, 1, 10 * MS, ORACLE_PLAN_PENDING);
    oracle_copy_set(o, KEY, ORACLE_CACHE, 0, 11 * MS, 100 * MS, ORACLE_SET_FILL);
    oracle_read(o, KEY, 1, 12 * MS, 12 * MS, 0, ORACLE_CACHE);
    oracle_copy_remove(o, KEY, ORACLE_CACHE, 13 * MS);
    oracle_commit(o, KEY, 2, 20 * MS, ORACLE_PLAN_PENDING);
    oracle_copy_set(o, KEY, ORACLE_CACHE, 1, 21 * MS, 100 * MS, ORACLE_SET_FILL);
    oracle_invalidation_failed(o, KEY, 2, 22 * MS);
    oracle_read(o, KEY, 1, 23 * MS, 23 * MS, 1, ORACLE_CACHE);
    oracle_finish(o, 300 * MS);
    const oracle_counts *c = oracle_get_counts(o);
    expect_u64("lag reads", c->stale_by_cause[ORACLE_CAUSE_INVALIDATION_LAG], 1);
    expect_u64("failed reads", c->stale_by_cause[ORACLE_CAUSE_INVALIDATION_FAILED], 1);
    expect_u64("fill reads", c->stale_by_cause[ORACLE_CAUSE_STALE_FILL], 0);
    oracle_destroy(o);
}

/* A writer's SET of an old version is an out-of-order update. */
static void test_out_of_order_update(void) {
    oracle *o = oracle_create(1, 0);
    oracle_commit(o, KEY, 1, 1 * MS, ORACLE_PLAN_PENDING);
    oracle_commit(o, KEY, 2, 2 * MS, ORACLE_PLAN_PENDING);
    oracle_copy_set(o, KEY, ORACLE_CACHE, 2, 3 * MS, 100 * MS, ORACLE_SET_UPDATE);
    oracle_copy_set(o, KEY, ORACLE_CACHE, 1, 4 * MS, 100 * MS, ORACLE_SET_UPDATE);
    oracle_read(o, KEY, 1, 5 * MS, 5 * MS, 1, ORACLE_CACHE);
    /* Brought up to date: the window closes. */
    oracle_copy_set(o, KEY, ORACLE_CACHE, 2, 9 * MS, 100 * MS, ORACLE_SET_UPDATE);
    oracle_finish(o, 200 * MS);
    const oracle_counts *c = oracle_get_counts(o);
    expect_u64("ooo reads", c->stale_by_cause[ORACLE_CAUSE_OUT_OF_ORDER_UPDATE], 1);
    expect_time("window", oracle_stale_window(o)->tally.max, 5 * MS);
    oracle_destroy(o);
}

/* Each invalidation plan names the cause of the window its commit opens. */
static void test_plans(void) {
    static const struct {
        oracle_plan plan;
        oracle_cause cause;
    } cases[] = {
        {ORACLE_PLAN_NONE_PATTERN, ORACLE_CAUSE_TTL_ONLY},
        {ORACLE_PLAN_NONE_PATH, ORACLE_CAUSE_INVALIDATION_MISSING},
        {ORACLE_PLAN_DONE_BEFORE, ORACLE_CAUSE_STALE_FILL},
        {ORACLE_PLAN_FAILED_BEFORE, ORACLE_CAUSE_INVALIDATION_FAILED},
        {ORACLE_PLAN_PENDING, ORACLE_CAUSE_INVALIDATION_LAG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        oracle *o = oracle_create(1, 0);
        oracle_copy_set(o, KEY, ORACLE_CACHE, 0, 1 * MS, 100 * MS, ORACLE_SET_FILL);
        oracle_commit(o, KEY, 1, 10 * MS, cases[i].plan);
        oracle_read(o, KEY, 1, 11 * MS, 11 * MS, 0, ORACLE_CACHE);
        oracle_finish(o, 300 * MS);
        uint64_t got = oracle_get_counts(o)->stale_by_cause[cases[i].cause];
        if (got != 1)
            fprintf(stderr, "\n    plan %d: cause %s got %llu reads\n",
                    (int)cases[i].plan, oracle_cause_name(cases[i].cause),
                    (unsigned long long)got);
        CU_ASSERT_EQUAL(got, 1);
        oracle_destroy(o);
    }
}

static void test_read_your_writes(void) {
    oracle *o = oracle_create(2, 0);
    oracle_copy_set(o, KEY, ORACLE_CACHE, 0, 1 * MS, 100 * MS, ORACLE_SET_FILL);
    oracle_commit(o, KEY, 1, 10 * MS, ORACLE_PLAN_PENDING);
    oracle_ack(o, 7, KEY, 1, 12 * MS);
    /* Before its ack the writer's read is stale but no violation. */
    oracle_verdict v = oracle_read(o, KEY, 7, 11 * MS, 13 * MS, 0, ORACLE_CACHE);
    CU_ASSERT_EQUAL(v.kind, ORACLE_VERDICT_STALE);
    CU_ASSERT_EQUAL(v.ryw_violation, 0);
    v = oracle_read(o, KEY, 7, 13 * MS, 13 * MS, 0, ORACLE_CACHE);
    CU_ASSERT_EQUAL(v.ryw_violation, 1);
    v = oracle_read(o, KEY, 8, 13 * MS, 13 * MS, 0, ORACLE_CACHE);
    CU_ASSERT_EQUAL(v.ryw_violation, 0); /* another client */
    /* A second acked write keeps the first one's time visible. */
    oracle_commit(o, KEY, 2, 20 * MS, ORACLE_PLAN_PENDING);
    oracle_ack(o, 7, KEY, 2, 30 * MS);
    v = oracle_read(o, KEY, 7, 25 * MS, 25 * MS, 0, ORACLE_CACHE);
    CU_ASSERT_EQUAL(v.ryw_violation, 1); /* v1 was acked at 12 ms */
    expect_u64("violations", oracle_get_counts(o)->ryw_violations, 2);
    oracle_finish(o, 300 * MS);
    oracle_destroy(o);
}

/* Many (client, key) acknowledgements force the table to grow. */
static void test_ack_table_growth(void) {
    oracle *o = oracle_create(4000, 0);
    for (uint32_t k = 0; k < 4000; k++) {
        oracle_commit(o, k, 1, (sim_time)k, ORACLE_PLAN_NONE_PATTERN);
        oracle_ack(o, k % 13, k, 1, (sim_time)k);
    }
    uint64_t violations = 0;
    for (uint32_t k = 0; k < 4000; k++) {
        oracle_copy_set(o, k, ORACLE_CACHE, 0, 5000, 9000, ORACLE_SET_FILL);
        violations += (uint64_t)oracle_read(o, k, k % 13, 5000, 5000, 0,
                                            ORACLE_CACHE).ryw_violation;
    }
    expect_u64("violations", violations, 4000);
    oracle_finish(o, 10000);
    oracle_destroy(o);
}

static void test_warmup(void) {
    oracle *o = oracle_create(1, 50 * MS);
    oracle_copy_set(o, KEY, ORACLE_CACHE, 0, 1 * MS, 1000 * MS, ORACLE_SET_FILL);
    oracle_commit(o, KEY, 1, 10 * MS, ORACLE_PLAN_NONE_PATTERN);
    oracle_read(o, KEY, 1, 20 * MS, 20 * MS, 0, ORACLE_CACHE);
    oracle_read(o, KEY, 1, 60 * MS, 60 * MS, 0, ORACLE_CACHE);
    oracle_finish(o, 2000 * MS);
    const oracle_counts *c = oracle_get_counts(o);
    expect_u64("reads counted", c->reads, 1);
    expect_u64("stale counted", c->stale, 1);
    expect_u64("ttl-only reads", c->stale_by_cause[ORACLE_CAUSE_TTL_ONLY], 1);
    expect_u64("window opened in warm-up not counted", c->windows, 0);
    oracle_destroy(o);
}

static void test_cause_names(void) {
    CU_ASSERT_STRING_EQUAL(oracle_cause_name(ORACLE_CAUSE_STALE_FILL), "stale-fill");
    CU_ASSERT_STRING_EQUAL(oracle_cause_name(ORACLE_CAUSE_INVALIDATION_FAILED),
                           "invalidation-failed");
    CU_ASSERT_STRING_EQUAL(oracle_cause_name(ORACLE_CAUSE_REPLICA_LAG), "replica-lag");
}

/* Further copies: local caches with and without a bus, a replica, a
 * write-behind DB, fills that inherit a cause, and per-path counts. */
static void test_local_copies(void) {
    oracle *o = oracle_create(1, 0);
    uint32_t plain = oracle_add_copy(o, ORACLE_COPY_LOCAL);
    uint32_t bus = oracle_add_copy(o, ORACLE_COPY_LOCAL_BUS);
    uint32_t bus2 = oracle_add_copy(o, ORACLE_COPY_LOCAL_BUS);
    CU_ASSERT(plain >= 2 && bus != plain && bus2 != bus);
    for (uint32_t c = plain; c <= bus2; c++)
        oracle_copy_set(o, KEY, c, 0, 1 * MS, 100 * MS, ORACLE_SET_FILL);
    oracle_commit(o, KEY, 1, 10 * MS, ORACLE_PLAN_PENDING);
    oracle_copy_remove(o, KEY, bus, 12 * MS); /* the message arrived */
    oracle_copy_invalidation_lost(o, KEY, bus2, 1, 12 * MS, ORACLE_CAUSE_BUS_LOST);
    oracle_read(o, KEY, 1, 20 * MS, 20 * MS, 0, plain);
    oracle_read(o, KEY, 1, 11 * MS, 11 * MS, 0, bus);
    oracle_read(o, KEY, 1, 20 * MS, 20 * MS, 0, bus2);
    oracle_finish(o, 300 * MS);
    const oracle_counts *c = oracle_get_counts(o);
    expect_u64("local", c->stale_by_cause[ORACLE_CAUSE_LOCAL_NOT_INVALIDATED], 1);
    expect_u64("bus lag", c->stale_by_cause[ORACLE_CAUSE_INVALIDATION_LAG], 1);
    expect_u64("bus lost", c->stale_by_cause[ORACLE_CAUSE_BUS_LOST], 1);
    expect_u64("windows", c->windows, 3);
    oracle_destroy(o);
}

static void test_replica_and_write_behind(void) {
    oracle *o = oracle_create(2, 0);
    uint32_t rep = oracle_add_copy(o, ORACLE_COPY_REPLICA);
    uint32_t dbb = oracle_add_copy(o, ORACLE_COPY_DB_BEHIND);
    /* Replicas are present and up to date before any commit. */
    oracle_verdict v = oracle_read(o, 1, 1, 1 * MS, 1 * MS, 0, rep);
    CU_ASSERT_EQUAL(v.kind, ORACLE_VERDICT_FRESH);
    oracle_commit(o, KEY, 1, 10 * MS, ORACLE_PLAN_PENDING);
    v = oracle_read(o, KEY, 1, 15 * MS, 15 * MS, 0, rep);
    CU_ASSERT_EQUAL(v.kind, ORACLE_VERDICT_STALE);
    CU_ASSERT_EQUAL(v.cause, ORACLE_CAUSE_REPLICA_LAG);
    oracle_copy_set(o, KEY, rep, 1, 30 * MS, SIM_TIME_MAX, ORACLE_SET_UPDATE);
    /* The cache refills from the lagging DB: it inherits write-behind-lag. */
    oracle_copy_fill_from(o, KEY, ORACLE_CACHE, 0, 40 * MS, 900 * MS, ORACLE_SET_FILL,
                          dbb);
    v = oracle_read(o, KEY, 1, 50 * MS, 50 * MS, 0, ORACLE_CACHE);
    CU_ASSERT_EQUAL(v.cause, ORACLE_CAUSE_WRITE_BEHIND_LAG);
    oracle_copy_set(o, KEY, dbb, 1, 60 * MS, SIM_TIME_MAX, ORACLE_SET_UPDATE);
    oracle_finish(o, 1000 * MS);
    const oracle_counts *c = oracle_get_counts(o);
    expect_u64("replica", c->stale_by_cause[ORACLE_CAUSE_REPLICA_LAG], 1);
    expect_u64("write-behind", c->stale_by_cause[ORACLE_CAUSE_WRITE_BEHIND_LAG], 1);
    /* Replica window 10..30 ms, DB window 10..60 ms, cache 40..900 ms. */
    expect_u64("windows", c->windows, 3);
    expect_time("longest", oracle_stale_window(o)->tally.max, 860 * MS);
    expect_time("shortest", oracle_stale_window(o)->tally.min, 20 * MS);
    oracle_destroy(o);
}

static void test_paths(void) {
    oracle *o = oracle_create(1, 0);
    oracle_copy_set(o, KEY, ORACLE_CACHE, 0, 1 * MS, 100 * MS, ORACLE_SET_FILL);
    oracle_commit_path(o, KEY, 1, 10 * MS, ORACLE_PLAN_NONE_PATH, 3);
    oracle_read(o, KEY, 1, 20 * MS, 20 * MS, 0, ORACLE_CACHE);
    oracle_read(o, KEY, 2, 30 * MS, 30 * MS, 0, ORACLE_CACHE);
    oracle_finish(o, 300 * MS);
    const oracle_counts *c = oracle_get_counts(o);
    expect_u64("path 3", c->stale_by_path[3], 2);
    expect_u64("path 0", c->stale_by_path[0], 0);
    expect_u64("missing", c->stale_by_cause[ORACLE_CAUSE_INVALIDATION_MISSING], 2);
    oracle_destroy(o);
}

/* Per-write convergence: until every copy stopped holding an older value. */
static void test_convergence(void) {
    oracle *o = oracle_create(1, 0);
    oracle_commit(o, KEY, 1, 1 * MS, ORACLE_PLAN_PENDING); /* nothing cached: 0 */
    oracle_copy_set(o, KEY, ORACLE_CACHE, 1, 2 * MS, 900 * MS, ORACLE_SET_FILL);
    oracle_commit(o, KEY, 2, 10 * MS, ORACLE_PLAN_PENDING);
    oracle_commit(o, KEY, 3, 14 * MS, ORACLE_PLAN_PENDING); /* waits for the same */
    oracle_copy_remove(o, KEY, ORACLE_CACHE, 20 * MS);
    oracle_copy_set(o, KEY, ORACLE_CACHE, 3, 30 * MS, 40 * MS, ORACLE_SET_FILL);
    oracle_commit(o, KEY, 4, 35 * MS, ORACLE_PLAN_PENDING); /* expires at 40 ms */
    oracle_commit(o, KEY, 5, 50 * MS, ORACLE_PLAN_PENDING); /* nothing cached: 0 */
    oracle_finish(o, 100 * MS);
    const sim_hist *h = oracle_convergence(o);
    expect_u64("writes", sim_hist_n(h), 5);
    expect_u64("immediate", h->zeros, 2);
    expect_time("longest", h->tally.max, 10 * MS);  /* v2: 10 -> 20 ms */
    expect_time("shortest nonzero", h->tally.min, 0);
    expect_time("sum", h->tally.mean * 5, (10 + 6 + 5) * MS);
    oracle_destroy(o);
}

/* Value age, fresh reads too: how old the value read was when the read began. */
static void test_value_age(void) {
    oracle *o = oracle_create(1, 0);
    oracle_read(o, KEY, 1, 5 * MS, 6 * MS, 0, ORACLE_SOURCE); /* v0: since 0 */
    oracle_commit(o, KEY, 1, 10 * MS, ORACLE_PLAN_NONE_PATTERN);
    oracle_read(o, KEY, 1, 30 * MS, 31 * MS, 1, ORACLE_SOURCE); /* fresh, 20 */
    oracle_read(o, KEY, 1, 8 * MS, 12 * MS, 1, ORACLE_SOURCE);  /* in flight */
    oracle_finish(o, 100 * MS);
    const sim_hist *h = oracle_value_age(o);
    expect_u64("reads", sim_hist_n(h), 3);
    expect_time("oldest", h->tally.max, 20 * MS);
    expect_time("in flight", h->tally.min, 0);
    expect_time("sum", h->tally.mean * 3, 25 * MS);
    oracle_destroy(o);
}

/* Running out of memory is an outside fault (oracle.h): a child process
 * with a capped address space commits to one key until the history cannot
 * grow; the oracle must say so and go on ignoring facts, never abort.  The
 * sanitizers reserve terabytes of shadow memory, so under them the cap
 * cannot be set: SKIP. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif

/* Address space in use now, bytes (0 if unknown). */
static size_t address_space(void) {
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%lu", &pages) != 1) pages = 0;
    fclose(f);
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

static void test_out_of_memory(void) {
    if (UNDER_ASAN) {
        fprintf(stderr, "\n    SKIP: no address-space cap under sanitizers\n");
        CU_PASS("SKIP: no address-space cap under sanitizers");
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        oracle *o = oracle_create(2, 0);
        size_t used = address_space();
        if (!o || used == 0) _exit(10);
        struct rlimit cap = {used + (32u << 20), used + (32u << 20)};
        if (setrlimit(RLIMIT_AS, &cap) != 0) _exit(11);
        uint32_t v = 0;
        while (!oracle_failed(o) && v < (64u << 20)) { /* 512 MiB */
            v++;
            oracle_commit(o, KEY, v, (sim_time)v, ORACLE_PLAN_NONE_PATTERN);
        }
        if (!oracle_failed(o)) _exit(12);
        /* Every later fact is ignored; reads come back without a verdict. */
        oracle_commit(o, 1, 1, (sim_time)v, ORACLE_PLAN_NONE_PATTERN);
        oracle_ack(o, 1, 1, 1, (sim_time)v);
        oracle_verdict r = oracle_read(o, KEY, 1, (sim_time)v, (sim_time)v,
                                       0, ORACLE_CACHE);
        oracle_finish(o, (sim_time)v + 1);
        _exit(r.kind == ORACLE_VERDICT_FRESH && oracle_latest(o, 1) == 0 ? 0 : 13);
    }
    int status = 0;
    CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "\n    child: %s %d (10 setup, 11 setrlimit, "
                        "12 never failed, 13 facts not ignored)\n",
                WIFEXITED(status) ? "exit" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        CU_FAIL("out of memory was not reported");
    }
}

static CU_TestInfo tests[] = {
    {"out of memory is reported, not an abort", test_out_of_memory},
    {"value age", test_value_age},
    {"per-write convergence", test_convergence},
    {"local copies and the bus", test_local_copies},
    {"replicas and a write-behind DB", test_replica_and_write_behind},
    {"write paths", test_paths},
    {"verdicts, age and lag", test_verdicts},
    {"window closed by a late DEL", test_window_invalidation_lag},
    {"window of a failed DEL", test_window_invalidation_failed},
    {"over-bound reads by final cause", test_over_bound_causes},
    {"failure of a later commit", test_failure_of_other_commit},
    {"stale fill, censored", test_stale_fill_censored},
    {"out-of-order update", test_out_of_order_update},
    {"a fill before the DEL", test_fill_before_the_del},
    {"plans name causes", test_plans},
    {"read-your-writes", test_read_your_writes},
    {"ack table growth", test_ack_table_growth},
    {"warm-up", test_warmup},
    {"cause names", test_cause_names},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("oracle", NULL, NULL, tests)
