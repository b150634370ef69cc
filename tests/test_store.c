/* The cache store (models/store.c): hits and misses around the expiry
 * instant, SET replacing, DEL's answer, sliding expiry, lease tokens voided
 * by deletes and herd control, read-through loads in flight with their
 * waiters in arrival order, and capacity: each eviction policy's victim,
 * refusals, bytes, and room freed by expiry. */
#include <stdint.h>

#include <gsl/gsl_rng.h>

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

/* What the eviction callback saw. */
typedef struct evictions {
    uint32_t key[16], version[16];
    int n;
} evictions;

static void note_eviction(void *ctx, uint32_t key, uint32_t version) {
    evictions *ev = ctx;
    if (ev->n < 16) {
        ev->key[ev->n] = key;
        ev->version[ev->n] = version;
    }
    ev->n++;
}

static void test_lru(void) {
    store *s = store_create(8);
    evictions ev = {{0}, {0}, 0};
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    EXPECT(store_bound(s, 3, 0, STORE_EVICT_LRU, NULL, note_eviction, &ev) ==
           0, "bound");
    uint32_t v;
    for (uint32_t k = 0; k < 3; k++)
        EXPECT(store_put(s, k, 10 + k, SIM_TIME_MAX, k, 1) == 1, "put %u", k);
    EXPECT(store_get(s, 0, 5, &v) == 1, "hit on 0"); /* 1 is now the LRU */
    EXPECT(store_put(s, 2, 20, SIM_TIME_MAX, 6, 1) == 1 && ev.n == 0,
           "an overwrite evicted (%d)", ev.n);
    EXPECT(store_put(s, 3, 13, SIM_TIME_MAX, 7, 1) == 1, "put 3");
    EXPECT(ev.n == 1 && ev.key[0] == 1 && ev.version[0] == 11,
           "evicted %d: key %u v%u, want key 1 v11", ev.n, ev.key[0],
           ev.version[0]);
    EXPECT(store_get(s, 1, 8, &v) == 0, "evicted key 1 still hits");
    EXPECT(store_used(s, 8) == 3, "used %llu",
           (unsigned long long)store_used(s, 8));
    /* The order is 3, 2, 0 (most recent first): 0 goes next, then 2. */
    store_put(s, 4, 14, SIM_TIME_MAX, 9, 1);
    store_put(s, 5, 15, SIM_TIME_MAX, 10, 1);
    EXPECT(ev.n == 3 && ev.key[1] == 0 && ev.key[2] == 2,
           "evicted %d: %u, %u; want 0, 2", ev.n, ev.key[1], ev.key[2]);
    /* A DEL frees its room: no eviction for the next new key. */
    EXPECT(store_del(s, 3, 11) == 1, "DEL");
    store_put(s, 6, 16, SIM_TIME_MAX, 12, 1);
    EXPECT(ev.n == 3, "a DEL's room was not reused (%d evictions)", ev.n);
    store_destroy(s);
}

static void test_expired_room(void) {
    store *s = store_create(8);
    evictions ev = {{0}, {0}, 0};
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    store_bound(s, 2, 0, STORE_EVICT_LRU, NULL, note_eviction, &ev);
    store_put(s, 0, 1, 100, 0, 1); /* expires at 100 */
    store_put(s, 1, 1, SIM_TIME_MAX, 1, 1);
    EXPECT(store_used(s, 99) == 2 && store_used(s, 100) == 1,
           "an expired entry still takes room");
    store_put(s, 2, 1, SIM_TIME_MAX, 150, 1);
    EXPECT(ev.n == 0, "an expired entry was counted as an eviction (%d)",
           ev.n);
    /* Lazy expiry through a GET frees the room too. */
    store_put(s, 1, 2, 300, 200, 1);
    uint32_t v;
    EXPECT(store_get(s, 1, 300, &v) == 0, "hit at the expiry instant");
    store_put(s, 3, 1, SIM_TIME_MAX, 301, 1);
    EXPECT(ev.n == 0 && store_used(s, 301) == 2, "evictions %d, used %llu",
           ev.n, (unsigned long long)store_used(s, 301));
    /* Sliding expiry moves the entry's place in the expiry order. */
    store_del(s, 2, 302);
    store_put(s, 4, 1, 400, 302, 1);
    store_touch(s, 4, 1000);
    EXPECT(store_used(s, 500) == 2, "a touched entry expired at its old time");
    store_destroy(s);
}

static void test_volatile_ttl_and_noeviction(void) {
    evictions ev = {{0}, {0}, 0};
    store *s = store_create(8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    store_bound(s, 3, 0, STORE_EVICT_VOLATILE_TTL, NULL, note_eviction, &ev);
    store_put(s, 0, 1, 900, 0, 1);
    store_put(s, 1, 1, SIM_TIME_MAX, 0, 1); /* no TTL: never a victim */
    store_put(s, 2, 1, 500, 0, 1);
    EXPECT(store_put(s, 3, 1, 800, 10, 1) == 1 && ev.n == 1 && ev.key[0] == 2,
           "volatile-ttl evicted %d (key %u), want key 2", ev.n, ev.key[0]);
    EXPECT(store_put(s, 4, 1, SIM_TIME_MAX, 11, 1) == 1 && ev.key[1] == 3,
           "volatile-ttl evicted key %u, want 3 (expires first)", ev.key[1]);
    EXPECT(store_put(s, 5, 1, 700, 12, 1) == 1 && ev.key[2] == 0,
           "volatile-ttl evicted key %u, want 0", ev.key[2]);
    /* Now 1, 4 have no TTL and 5 has one: 5 goes, then nothing can. */
    EXPECT(store_put(s, 6, 1, SIM_TIME_MAX, 13, 1) == 1 && ev.key[3] == 5,
           "evicted key %u, want 5", ev.key[3]);
    EXPECT(store_put(s, 7, 1, 100, 14, 1) == 0 && ev.n == 4,
           "a SET with nothing volatile to evict was not refused");
    uint32_t v;
    EXPECT(store_get(s, 6, 15, &v) == 1 && store_get(s, 7, 15, &v) == 0,
           "a refused SET changed the cache");
    /* An overwrite needs no new room, even when full. */
    EXPECT(store_put(s, 6, 2, SIM_TIME_MAX, 16, 1) == 1 &&
           store_get(s, 6, 17, &v) == 1 && v == 2, "overwrite refused");
    store_destroy(s);

    ev.n = 0;
    s = store_create(4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    store_bound(s, 2, 0, STORE_EVICT_NOEVICTION, NULL, note_eviction, &ev);
    store_put(s, 0, 1, SIM_TIME_MAX, 0, 1);
    store_put(s, 1, 1, 50, 0, 1);
    EXPECT(store_put(s, 2, 1, SIM_TIME_MAX, 10, 1) == 0, "full cache took a "
           "new key under noeviction");
    EXPECT(store_put(s, 0, 2, SIM_TIME_MAX, 11, 1) == 1, "noeviction refused "
           "an overwrite that fits");
    EXPECT(store_put(s, 2, 1, SIM_TIME_MAX, 50, 1) == 1 && ev.n == 0,
           "the room of an expired entry was not free (evictions %d)", ev.n);
    store_destroy(s);
}

static void test_bytes(void) {
    evictions ev = {{0}, {0}, 0};
    store *s = store_create(8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    store_bound(s, 1000, 1, STORE_EVICT_LRU, NULL, note_eviction, &ev);
    store_put(s, 0, 1, SIM_TIME_MAX, 0, 400);
    store_put(s, 1, 1, SIM_TIME_MAX, 1, 400);
    EXPECT(store_used(s, 2) == 800, "used %llu bytes",
           (unsigned long long)store_used(s, 2));
    /* 700 bytes need both out (LRU: 0 first, then 1). */
    EXPECT(store_put(s, 2, 1, SIM_TIME_MAX, 3, 700) == 1 && ev.n == 2 &&
           ev.key[0] == 0 && ev.key[1] == 1, "evicted %d", ev.n);
    EXPECT(store_put(s, 3, 1, SIM_TIME_MAX, 4, 1001) == 0 && ev.n == 2,
           "a value larger than the cache was stored or evicted");
    /* Growing an entry in place evicts others, never itself. */
    store_put(s, 4, 1, SIM_TIME_MAX, 5, 300);
    EXPECT(store_put(s, 2, 2, SIM_TIME_MAX, 6, 900) == 1 && ev.n == 3 &&
           ev.key[2] == 4 && store_used(s, 7) == 900,
           "evicted %d (last key %u), used %llu", ev.n, ev.key[2],
           (unsigned long long)store_used(s, 7));
    store_destroy(s);
}

static void test_lfu(void) {
    evictions ev = {{0}, {0}, 0};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    store *s = store_create(200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    store_bound(s, 2, 0, STORE_EVICT_LFU, r, note_eviction, &ev);
    uint32_t v;
    store_put(s, 0, 1, SIM_TIME_MAX, 0, 1);
    store_put(s, 1, 1, SIM_TIME_MAX, 1, 1);
    /* Key 0 read often: its counter climbs (from 5, by 1/(10(c-5)+1)). */
    for (int i = 0; i < 200; i++) store_get(s, 0, 2 + i, &v);
    store_put(s, 2, 1, SIM_TIME_MAX, 300, 1);
    EXPECT(ev.n == 1 && ev.key[0] == 1, "lfu evicted key %u, want the "
           "rarely read 1", ev.key[0]);
    /* Equal counters: the least recently used goes. */
    store_put(s, 3, 1, SIM_TIME_MAX, 301, 1);
    EXPECT(ev.n == 2 && ev.key[1] == 2, "lfu evicted key %u, want 2",
           ev.key[1]);
    /* Idle minutes decay a counter: after an hour key 0's is 0, below a
     * new key's 5. */
    sim_time later = 301 + 60 * SIM_MIN;
    store_put(s, 4, 1, SIM_TIME_MAX, later, 1);
    EXPECT(ev.n == 3 && ev.key[2] == 3, "lfu evicted key %u, want 3 "
           "(counter 5 - 60 idle minutes, stamped earlier than 0's)",
           ev.key[2]);
    store_put(s, 5, 1, SIM_TIME_MAX, later + 1, 1);
    EXPECT(ev.n == 4 && ev.key[3] == 0, "lfu evicted key %u, want the "
           "decayed 0", ev.key[3]);
    store_destroy(s);
    gsl_rng_free(r);
}

static CU_TestInfo tests[] = {
    {"get, set, expiry, delete, touch", test_get_set_expiry},
    {"leases and herd control", test_leases},
    {"read-through loads in flight", test_loads},
    {"capacity: lru order, overwrites, DEL", test_lru},
    {"capacity: expired entries free their room", test_expired_room},
    {"capacity: volatile-ttl and noeviction", test_volatile_ttl_and_noeviction},
    {"capacity: bytes", test_bytes},
    {"capacity: lfu counter, ties and decay", test_lfu},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("store", NULL, NULL, tests)
