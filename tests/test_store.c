/* The cache store (models/store.c): hits and misses around the expiry
 * instant, SET replacing, DEL's answer, sliding expiry, lease tokens voided
 * by deletes and herd control, and read-through loads in flight with their
 * waiters in arrival order. */
#include <stdint.h>

#include "models/store.h"
#include "tests/testing.h"

static void test_get_set_expiry(void) {
    store *s = store_create(4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    uint32_t v = 99;
    EXPECT(store_get(s, 0, 0, &v) == 0, "empty store hit (v %u)", v);
    store_set(s, 0, 3, 100);
    EXPECT(store_get(s, 0, 99, &v) == 1 && v == 3, "before expiry: v %u", v);
    /* Valid while t < expires_at: at the instant itself it is gone. */
    EXPECT(store_get(s, 0, 100, &v) == 0, "hit at the expiry instant");
    EXPECT(store_get(s, 0, 50, &v) == 0, "an expired entry came back");
    store_set(s, 1, 5, SIM_TIME_MAX);
    store_set(s, 1, 7, SIM_TIME_MAX); /* replaces */
    sim_time exp = 0;
    EXPECT(store_peek(s, 1, 1000000, &v, &exp) == 1 && v == 7 &&
           exp == SIM_TIME_MAX, "peek: v %u exp %lld", v, (long long)exp);
    EXPECT(store_peek(s, 2, 0, NULL, NULL) == 0, "peek of an absent key");
    store_set(s, 2, 1, 10);
    store_touch(s, 2, 20); /* sliding TTL */
    EXPECT(store_get(s, 2, 15, &v) == 1 && v == 1, "touched entry expired");
    EXPECT(store_del(s, 2, 16) == 1, "DEL of a live entry");
    EXPECT(store_del(s, 2, 16) == 0, "second DEL removed something");
    store_set(s, 3, 1, 10);
    EXPECT(store_del(s, 3, 10) == 0, "DEL of an expired entry counted live");
    store_destroy(s);
    store_destroy(NULL);
}

static void test_leases(void) {
    store *s = store_create(2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    uint32_t a, b;
    EXPECT(store_lease_issue(s, 0, 0, 0, &a) == 1, "no token");
    EXPECT(store_lease_redeem(s, 0, a) == 1, "fresh token refused");
    EXPECT(store_lease_issue(s, 0, 1, 0, &b) == 1, "no second token");
    EXPECT(store_del(s, 0, 2) == 0, "DEL of an absent entry counted live");
    EXPECT(store_lease_redeem(s, 0, b) == 0, "token survived a DEL");
    EXPECT(store_lease_issue(s, 0, 3, 0, &a) == 1, "no token after DEL");
    store_lease_void(s, 0);
    EXPECT(store_lease_redeem(s, 0, a) == 0, "token survived a void");
    /* Herd control: one outstanding token per key for `herd` ns. */
    EXPECT(store_lease_issue(s, 1, 100, 50, &a) == 1, "herd: first token");
    EXPECT(store_lease_issue(s, 1, 120, 50, &b) == 0, "herd: second token");
    EXPECT(store_lease_issue(s, 1, 150, 50, &b) == 1, "herd: token after "
           "the first one's time ran out");
    EXPECT(store_lease_redeem(s, 1, b) == 1, "herd token refused");
    EXPECT(store_lease_issue(s, 1, 151, 50, &a) == 1, "herd: no token "
           "after the outstanding one was redeemed");
    store_destroy(s);
}

static void test_loads(void) {
    store *s = store_create(3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    EXPECT(!store_load_running(s, 0), "load before any join");
    EXPECT(store_load_join(s, 0, 10) == 0, "join");
    EXPECT(store_load_running(s, 0) && !store_load_running(s, 1),
           "running flags");
    EXPECT(store_load_join(s, 0, 11) == 0 && store_load_join(s, 0, 12) == 0,
           "waiters");
    uint32_t w = store_load_end(s, 0, 10);
    EXPECT(w == 11, "first waiter %u, want 11", w);
    w = store_load_next(s, w);
    EXPECT(w == 12, "second waiter %u, want 12", w);
    EXPECT(store_load_next(s, w) == STORE_NO_REQUEST, "a third waiter");
    EXPECT(!store_load_running(s, 0), "load still running after its end");
    EXPECT(store_load_join(s, 2, 4) == 0, "join");
    EXPECT(store_load_end(s, 2, 4) == STORE_NO_REQUEST, "waiters of a lone "
           "load");
    store_destroy(s);
}

static CU_TestInfo tests[] = {
    {"get, set, expiry, delete, touch", test_get_set_expiry},
    {"leases and herd control", test_leases},
    {"read-through loads in flight", test_loads},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("store", NULL, NULL, tests)
