/* The cache store: a dense array of entries indexed by key, and the lease and
 * load-in-flight state a cache server keeps beside them when used. */
#include "models/store.h"

#include <stdlib.h>

#include "sim/bigmem.h"
#include "sim/check.h"

typedef struct entry {
    sim_time expires_at; /* ns; 0 = no entry (an entry set at t expires > t >= 0) */
    uint32_t version;
    uint32_t pad;
} entry;

struct store {
    uint32_t nkeys;
    entry *e;
    /* Leases, allocated by the first store_lease_issue. */
    uint32_t *lease_gen;  /* [nkeys]: generation; moved on by every delete */
    sim_time *herd_until; /* [nkeys] ns, herd control only: the outstanding
                             token blocks others until then (0: none) */
    /* Read-through loads, allocated by the first store_load_join.  The
     * members of a key's load form a stack, newest first: load_top[key] is
     * 1 + the newest member's slot (0: no load), load_next[rq] is 1 + the
     * next older member (0: rq is the loader). */
    uint32_t *load_top;   /* [nkeys] */
    uint32_t *load_next;  /* [load_cap], indexed by request slot */
    uint32_t load_cap;
};

store *store_create(uint32_t nkeys) {
    store *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->nkeys = nkeys;
    s->e = sim_big_calloc(nkeys, sizeof *s->e);
    if (!s->e) {
        free(s);
        return NULL;
    }
    return s;
}

void store_destroy(store *s) {
    if (!s) return;
    sim_big_free(s->e, s->nkeys, sizeof *s->e);
    sim_big_free(s->lease_gen, s->nkeys, sizeof *s->lease_gen);
    sim_big_free(s->herd_until, s->nkeys, sizeof *s->herd_until);
    sim_big_free(s->load_top, s->nkeys, sizeof *s->load_top);
    free(s->load_next);
    free(s);
}

int store_get(store *s, uint32_t key, sim_time t, uint32_t *version) {
    SIM_CHECK(key < s->nkeys, "key %u of %u", key, s->nkeys);
    entry *e = &s->e[key];
    if (e->expires_at <= t) {
        e->expires_at = 0;
        return 0;
    }
    *version = e->version;
    return 1;
}

int store_peek(const store *s, uint32_t key, sim_time t, uint32_t *version,
               sim_time *expires_at) {
    SIM_CHECK(key < s->nkeys, "key %u of %u", key, s->nkeys);
    const entry *e = &s->e[key];
    if (e->expires_at <= t) return 0;
    if (version) *version = e->version;
    if (expires_at) *expires_at = e->expires_at;
    return 1;
}

void store_set(store *s, uint32_t key, uint32_t version, sim_time expires_at) {
    SIM_CHECK(key < s->nkeys && expires_at > 0, "key %u expires %lld", key,
              (long long)expires_at);
    s->e[key].version = version;
    s->e[key].expires_at = expires_at;
}

void store_touch(store *s, uint32_t key, sim_time expires_at) {
    SIM_CHECK(key < s->nkeys && s->e[key].expires_at > 0, "key %u", key);
    s->e[key].expires_at = expires_at;
}

int store_del(store *s, uint32_t key, sim_time t) {
    SIM_CHECK(key < s->nkeys, "key %u of %u", key, s->nkeys);
    int live = s->e[key].expires_at > t;
    s->e[key].expires_at = 0;
    store_lease_void(s, key);
    return live;
}

void store_prefetch(const store *s, uint32_t key) {
    if (key < s->nkeys) __builtin_prefetch(&s->e[key]);
}

/* ---- leases ------------------------------------------------------------------ */

int store_lease_issue(store *s, uint32_t key, sim_time t, sim_time herd,
                      uint32_t *token) {
    SIM_CHECK(key < s->nkeys, "key %u of %u", key, s->nkeys);
    if (!s->lease_gen) {
        s->lease_gen = sim_big_calloc(s->nkeys, sizeof *s->lease_gen);
        if (!s->lease_gen) return -1;
    }
    if (herd > 0) {
        if (!s->herd_until) {
            s->herd_until = sim_big_calloc(s->nkeys, sizeof *s->herd_until);
            if (!s->herd_until) return -1;
        }
        if (t < s->herd_until[key]) return 0;
        s->herd_until[key] = herd < SIM_TIME_MAX - t ? t + herd : SIM_TIME_MAX;
    }
    *token = s->lease_gen[key] & STORE_LEASE_MASK;
    return 1;
}

int store_lease_redeem(store *s, uint32_t key, uint32_t token) {
    SIM_CHECK(key < s->nkeys && s->lease_gen, "key %u: no lease issued", key);
    if ((s->lease_gen[key] & STORE_LEASE_MASK) != (token & STORE_LEASE_MASK))
        return 0;
    if (s->herd_until) s->herd_until[key] = 0;
    return 1;
}

void store_lease_void(store *s, uint32_t key) {
    if (s->lease_gen) s->lease_gen[key]++;
    if (s->herd_until) s->herd_until[key] = 0;
}

/* ---- read-through loads ------------------------------------------------------ */

int store_load_running(const store *s, uint32_t key) {
    SIM_CHECK(key < s->nkeys, "key %u of %u", key, s->nkeys);
    return s->load_top && s->load_top[key] != 0;
}

int store_load_join(store *s, uint32_t key, uint32_t rq) {
    SIM_CHECK(key < s->nkeys && rq < UINT32_MAX - 1, "key %u, request %u",
              key, rq);
    if (!s->load_top) {
        s->load_top = sim_big_calloc(s->nkeys, sizeof *s->load_top);
        if (!s->load_top) return -1;
    }
    if (rq >= s->load_cap) {
        uint32_t cap = s->load_cap ? s->load_cap : 64;
        while (cap <= rq) cap *= 2;
        uint32_t *n = realloc(s->load_next, cap * sizeof *n);
        if (!n) return -1;
        s->load_next = n;
        s->load_cap = cap;
    }
    s->load_next[rq] = s->load_top[key];
    s->load_top[key] = rq + 1;
    return 0;
}

uint32_t store_load_end(store *s, uint32_t key, uint32_t loader) {
    SIM_CHECK(store_load_running(s, key), "key %u: no load to end", key);
    /* Reverse the stack into arrival order: loader, first waiter, ... */
    uint32_t top = s->load_top[key], prev = 0;
    s->load_top[key] = 0;
    while (top) {
        uint32_t rq = top - 1, older = s->load_next[rq];
        s->load_next[rq] = prev;
        prev = top;
        top = older;
    }
    SIM_CHECK(prev == loader + 1, "key %u: load ended by %u, started by %u",
              key, loader, prev - 1);
    uint32_t first = s->load_next[loader];
    return first ? first - 1 : STORE_NO_REQUEST;
}

uint32_t store_load_next(const store *s, uint32_t rq) {
    SIM_CHECK(rq < s->load_cap, "request %u never waited", rq);
    uint32_t n = s->load_next[rq];
    return n ? n - 1 : STORE_NO_REQUEST;
}
