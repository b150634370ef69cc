/* The cache store: a dense array of entries indexed by key, and the lease and
 * load-in-flight state a cache server keeps beside them when used.
 *
 * A bounded store (store_bound) also keeps its resident entries in slots:
 * entry.slot is 1 + the entry's slot (0: not resident).  Invariant: an entry
 * is resident iff its expires_at != 0; every resident entry sits in the
 * expiry heap, and, by policy, in the LRU list or the LFU heap.  Slot arrays
 * grow by doubling up to nkeys, so memory follows the resident entries. */
#include "models/store.h"

#include <stdlib.h>
#include <string.h>

#include "sim/bigmem.h"
#include "sim/check.h"
#include "sim/mt19937.h"

typedef struct entry {
    sim_time expires_at; /* ns; 0 = no entry (an entry set at t expires > t >= 0) */
    uint32_t version;
    uint32_t slot; /* bounded stores: 1 + its slot, 0 none; else 0 */
} entry;

#define NO_SLOT UINT32_MAX

/* Capacity is the exception: keep the unbounded paths straight. */
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* A binary min-heap of slots by (k1, k2), the keys copied into the nodes so
 * that sifting reads one array; pos[slot] is 1 + its index (0: not in it). */
typedef struct heap_node {
    int64_t k1, k2;
    uint32_t slot;
} heap_node;

typedef struct slot_heap {
    heap_node *h;
    uint32_t *pos;
    uint32_t n;
} slot_heap;

/* Redis's LFU defaults (redis.conf: lfu-log-factor 10, lfu-decay-time 1). */
#define LFU_INIT_VAL 5
#define LFU_LOG_FACTOR 10
#define LFU_DECAY SIM_MIN /* ns per decrement of an idle key's counter */

/* The capacity state of a bounded store. */
typedef struct bound {
    uint64_t capacity, used; /* entries, or value bytes */
    int bytes;
    store_eviction policy;
    gsl_rng *rng;
    store_evict_fn evicted;
    void *ctx;
    uint32_t cap;            /* slots allocated */
    uint32_t nused;          /* slots ever handed out (free ones below) */
    uint32_t *free_slots, nfree;
    uint32_t *key;           /* [cap] the slot's key */
    uint32_t *size;          /* [cap] bytes (bytes capacity only) */
    slot_heap expiry;        /* by (expires_at, 0): expired entries on top */
    uint32_t *prev, *next;   /* [cap] lru: the list, most recent first */
    uint32_t head, tail;     /* lru: slots, NO_SLOT when empty */
    slot_heap lfu;           /* lfu: by (counter + minute of its last
                                decrement, last access ns) */
    uint8_t *count;          /* [cap] lfu: the counter */
    uint32_t *minute;        /* [cap] lfu: minute of its last decrement */
} bound;

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
    bound *b;             /* NULL: unbounded */
};

static void bound_free(bound *b);
static void bound_remove(store *s, uint32_t key);
static void bound_access(store *s, uint32_t key, sim_time t);
static void bound_touch(store *s, uint32_t key);

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
    bound_free(s->b);
    free(s);
}

int store_get(store *s, uint32_t key, sim_time t, uint32_t *version) {
    SIM_CHECK(key < s->nkeys, "key %u of %u", key, s->nkeys);
    entry *e = &s->e[key];
    if (e->expires_at <= t) {
        if (UNLIKELY(e->slot)) bound_remove(s, key); /* lazy expiry */
        e->expires_at = 0;
        return 0;
    }
    if (UNLIKELY(s->b != NULL)) bound_access(s, key, t);
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
    SIM_CHECK(key < s->nkeys && expires_at > 0 && !s->b, "key %u expires %lld",
              key, (long long)expires_at);
    s->e[key].version = version;
    s->e[key].expires_at = expires_at;
}

void store_touch(store *s, uint32_t key, sim_time expires_at) {
    SIM_CHECK(key < s->nkeys && s->e[key].expires_at > 0 && expires_at > 0,
              "key %u", key);
    s->e[key].expires_at = expires_at;
    if (UNLIKELY(s->b != NULL)) bound_touch(s, key);
}

int store_del(store *s, uint32_t key, sim_time t) {
    SIM_CHECK(key < s->nkeys, "key %u of %u", key, s->nkeys);
    int live = s->e[key].expires_at > t;
    if (UNLIKELY(s->e[key].slot)) bound_remove(s, key);
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

/* ---- capacity and eviction --------------------------------------------------- */

/* Heap order: expiry by expires_at; lfu by counter + minute (the counter
 * after decay is that sum minus the current minute, floored at 0, so the
 * order holds whatever the time), then by last access. */
static int node_less(const heap_node *a, const heap_node *b) {
    return a->k1 < b->k1 || (a->k1 == b->k1 && a->k2 < b->k2);
}

static void heap_place(slot_heap *h, uint32_t i, heap_node x) {
    h->h[i] = x;
    h->pos[x.slot] = i + 1;
}

static void heap_up(slot_heap *h, uint32_t i) {
    heap_node x = h->h[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!node_less(&x, &h->h[parent])) break;
        heap_place(h, i, h->h[parent]);
        i = parent;
    }
    heap_place(h, i, x);
}

static void heap_down(slot_heap *h, uint32_t i) {
    heap_node x = h->h[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && node_less(&h->h[c + 1], &h->h[c])) c++;
        if (!node_less(&h->h[c], &x)) break;
        heap_place(h, i, h->h[c]);
        i = c;
    }
    heap_place(h, i, x);
}

static void heap_push(slot_heap *h, uint32_t slot, int64_t k1, int64_t k2) {
    heap_node x = {k1, k2, slot};
    heap_place(h, h->n++, x);
    heap_up(h, h->n - 1);
}

/* Gives slot new keys and restores the order. */
static void heap_update(slot_heap *h, uint32_t slot, int64_t k1, int64_t k2) {
    uint32_t i = h->pos[slot] - 1;
    h->h[i].k1 = k1;
    h->h[i].k2 = k2;
    heap_up(h, i);
    heap_down(h, h->pos[slot] - 1);
}

static const heap_node *heap_node_of(const slot_heap *h, uint32_t slot) {
    return &h->h[h->pos[slot] - 1];
}

static void heap_remove(slot_heap *h, uint32_t slot) {
    uint32_t i = h->pos[slot] - 1;
    h->pos[slot] = 0;
    heap_node last = h->h[--h->n];
    if (i == h->n) return;
    heap_place(h, i, last);
    heap_up(h, i);
    heap_down(h, h->pos[last.slot] - 1);
}

static void list_unlink(bound *b, uint32_t slot) {
    uint32_t p = b->prev[slot], n = b->next[slot];
    if (p != NO_SLOT) b->next[p] = n; else b->head = n;
    if (n != NO_SLOT) b->prev[n] = p; else b->tail = p;
}

static void list_push_front(bound *b, uint32_t slot) {
    b->prev[slot] = NO_SLOT;
    b->next[slot] = b->head;
    if (b->head != NO_SLOT) b->prev[b->head] = slot; else b->tail = slot;
    b->head = slot;
}

static void bound_free(bound *b) {
    if (!b) return;
    free(b->free_slots);
    free(b->key);
    free(b->size);
    free(b->expiry.h);
    free(b->expiry.pos);
    free(b->prev);
    free(b->next);
    free(b->lfu.h);
    free(b->lfu.pos);
    free(b->count);
    free(b->minute);
    free(b);
}

/* p (old elements of `size` bytes) grown to cap elements, the new ones
 * zeroed; NULL on ENOMEM (then p is untouched). */
static void *grow(void *p, uint32_t old, uint32_t cap, size_t size) {
    unsigned char *n = realloc(p, (size_t)cap * size);
    if (n) memset(n + (size_t)old * size, 0, (size_t)(cap - old) * size);
    return n;
}

#define GROW(field)                                                           \
    do {                                                                      \
        void *n_ = grow(b->field, old, cap, sizeof *b->field);                \
        if (!n_) return -1;                                                   \
        b->field = n_;                                                        \
    } while (0)

/* Makes room for more slots.  Returns 0 or -1 on ENOMEM (the arrays grown
 * so far keep their contents; cap moves only when all have grown). */
static int bound_grow(store *s) {
    bound *b = s->b;
    uint32_t old = b->cap;
    uint32_t cap = old ? (old > UINT32_MAX / 2 ? s->nkeys : old * 2) : 64;
    if (cap > s->nkeys) cap = s->nkeys;
    SIM_CHECK(cap > old, "%u slots for %u keys", old, s->nkeys);
    GROW(free_slots);
    GROW(key);
    GROW(expiry.h);
    GROW(expiry.pos);
    if (b->bytes) GROW(size);
    if (b->policy == STORE_EVICT_LRU) {
        GROW(prev);
        GROW(next);
    }
    if (b->policy == STORE_EVICT_LFU) {
        GROW(lfu.h);
        GROW(lfu.pos);
        GROW(count);
        GROW(minute);
    }
    b->cap = cap;
    return 0;
}
#undef GROW

int store_bound(store *s, uint64_t capacity, int bytes, store_eviction policy,
                gsl_rng *rng, store_evict_fn evicted, void *ctx) {
    SIM_CHECK(!s->b && capacity >= 1 && (policy != STORE_EVICT_LFU || rng),
              "capacity %llu, policy %d", (unsigned long long)capacity,
              (int)policy);
    s->b = calloc(1, sizeof *s->b);
    if (!s->b) return -1;
    bound *b = s->b;
    b->capacity = capacity;
    b->bytes = bytes;
    b->policy = policy;
    b->rng = rng;
    b->evicted = evicted;
    b->ctx = ctx;
    b->head = b->tail = NO_SLOT;
    return 0;
}

/* The units key's resident value takes. */
static uint64_t units(const store *s, uint32_t slot) {
    return s->b->bytes ? s->b->size[slot] : 1;
}

/* The minute of time t, for lfu's decay. */
static uint32_t lfu_minute(sim_time t) {
    sim_time m = t / LFU_DECAY;
    return m > UINT32_MAX - 256 ? UINT32_MAX - 256 : (uint32_t)m;
}

/* The lfu heap's keys of slot. */
static void lfu_keys(const bound *b, uint32_t slot, int64_t *k1) {
    *k1 = (int64_t)b->count[slot] + b->minute[slot];
}

/* Redis's LFUDecrAndReturn and LFULogIncr (evict.c), then the new stamp. */
static void lfu_count_access(bound *b, uint32_t slot, sim_time t) {
    uint32_t now = lfu_minute(t), idle = now - b->minute[slot];
    uint32_t c = b->count[slot];
    c = idle >= c ? 0 : c - idle;
    if (c < 255) {
        double base = c > LFU_INIT_VAL ? c - LFU_INIT_VAL : 0;
        if (sim_rng_uniform(b->rng) < 1.0 / (base * LFU_LOG_FACTOR + 1)) c++;
    }
    b->count[slot] = (uint8_t)c;
    b->minute[slot] = now;
}

/* Takes key out of every structure and frees its room (no callback). */
static void bound_remove(store *s, uint32_t key) {
    bound *b = s->b;
    uint32_t slot = s->e[key].slot - 1;
    heap_remove(&b->expiry, slot);
    if (b->policy == STORE_EVICT_LRU) list_unlink(b, slot);
    if (b->policy == STORE_EVICT_LFU) heap_remove(&b->lfu, slot);
    b->used -= units(s, slot);
    b->free_slots[b->nfree++] = slot;
    s->e[key].slot = 0;
}

static void bound_access(store *s, uint32_t key, sim_time t) {
    bound *b = s->b;
    uint32_t slot = s->e[key].slot - 1;
    if (b->policy == STORE_EVICT_LRU) {
        list_unlink(b, slot);
        list_push_front(b, slot);
    } else if (b->policy == STORE_EVICT_LFU) {
        lfu_count_access(b, slot, t);
        int64_t k1;
        lfu_keys(b, slot, &k1);
        heap_update(&b->lfu, slot, k1, t);
    }
}

static void bound_touch(store *s, uint32_t key) {
    heap_update(&s->b->expiry, s->e[key].slot - 1, s->e[key].expires_at, 0);
}

/* Frees the room of every entry expired at t (not evictions). */
static void reclaim_expired(store *s, sim_time t) {
    slot_heap *h = &s->b->expiry;
    while (h->n > 0 && h->h[0].k1 <= t) {
        uint32_t key = s->b->key[h->h[0].slot];
        bound_remove(s, key);
        s->e[key].expires_at = 0;
    }
}

/* The policy's victim among the resident entries, or NO_SLOT. */
static uint32_t victim(const store *s) {
    const bound *b = s->b;
    switch (b->policy) {
    case STORE_EVICT_LRU: return b->tail;
    case STORE_EVICT_LFU: return b->lfu.n ? b->lfu.h[0].slot : NO_SLOT;
    case STORE_EVICT_VOLATILE_TTL:
        return b->expiry.n && b->expiry.h[0].k1 != SIM_TIME_MAX
                   ? b->expiry.h[0].slot
                   : NO_SLOT;
    case STORE_EVICT_NOEVICTION: return NO_SLOT;
    }
    return NO_SLOT;
}

/* Puts key (not resident) into a free slot with its value's size.  Returns
 * the slot, or NO_SLOT on ENOMEM. */
static uint32_t bound_insert(store *s, uint32_t key, uint64_t size) {
    bound *b = s->b;
    if (b->nfree == 0) {
        if (b->nused == b->cap && bound_grow(s) != 0) return NO_SLOT;
        b->free_slots[b->nfree++] = b->nused++;
    }
    uint32_t slot = b->free_slots[--b->nfree];
    b->key[slot] = key;
    if (b->bytes) b->size[slot] = (uint32_t)size;
    b->used += size;
    s->e[key].slot = slot + 1;
    return slot;
}

int store_put(store *s, uint32_t key, uint32_t version, sim_time expires_at,
              sim_time t, uint32_t size) {
    SIM_CHECK(key < s->nkeys && expires_at > t, "key %u expires %lld at %lld",
              key, (long long)expires_at, (long long)t);
    entry *e = &s->e[key];
    bound *b = s->b;
    if (LIKELY(b == NULL)) {
        e->version = version;
        e->expires_at = expires_at;
        return 1;
    }
    uint64_t need = b->bytes ? size : 1;
    if (need > b->capacity) return 0; /* larger than the whole cache */
    reclaim_expired(s, t);
    /* Lazy expiry may have left an expired entry of key off the heap top:
     * reclaim_expired took every expired one, so a resident key is live. */
    int resident = e->slot != 0;
    uint64_t mine = resident ? units(s, e->slot - 1) : 0;
    if (b->used - mine + need > b->capacity) {
        if (b->policy == STORE_EVICT_NOEVICTION) return 0;
        /* Evict others: key itself is out of the policy's reach meanwhile. */
        uint8_t count = 0;
        uint32_t minute = 0;
        sim_time touched = 0;
        if (resident) {
            uint32_t slot = e->slot - 1;
            if (b->policy == STORE_EVICT_LFU) {
                count = b->count[slot];
                minute = b->minute[slot];
                touched = heap_node_of(&b->lfu, slot)->k2;
            }
            bound_remove(s, key);
        }
        int refused = 0;
        while (b->used + need > b->capacity) {
            uint32_t v = victim(s);
            if (v == NO_SLOT) {
                refused = 1;
                break;
            }
            uint32_t vk = b->key[v];
            bound_remove(s, vk);
            s->e[vk].expires_at = 0;
            if (b->evicted) b->evicted(b->ctx, vk, s->e[vk].version);
        }
        if (resident) { /* back in, as it was; the SET below updates it */
            uint32_t slot = bound_insert(s, key, mine);
            if (slot == NO_SLOT) return -1;
            heap_push(&b->expiry, slot, e->expires_at, 0);
            if (b->policy == STORE_EVICT_LRU) list_push_front(b, slot);
            if (b->policy == STORE_EVICT_LFU) {
                b->count[slot] = count;
                b->minute[slot] = minute;
                heap_push(&b->lfu, slot, (int64_t)count + minute, touched);
            }
        }
        if (refused) return 0;
    }
    if (e->slot) { /* an overwrite: an access to the key */
        uint32_t slot = e->slot - 1;
        b->used = b->used - units(s, slot) + need;
        if (b->bytes) b->size[slot] = size;
        e->version = version;
        e->expires_at = expires_at;
        heap_update(&b->expiry, slot, expires_at, 0);
        bound_access(s, key, t);
        return 1;
    }
    uint32_t slot = bound_insert(s, key, need);
    if (slot == NO_SLOT) return -1;
    e->version = version;
    e->expires_at = expires_at;
    heap_push(&b->expiry, slot, expires_at, 0);
    if (b->policy == STORE_EVICT_LRU) list_push_front(b, slot);
    if (b->policy == STORE_EVICT_LFU) {
        b->count[slot] = LFU_INIT_VAL;
        b->minute[slot] = lfu_minute(t);
        heap_push(&b->lfu, slot, (int64_t)LFU_INIT_VAL + b->minute[slot], t);
    }
    return 1;
}

uint64_t store_used(store *s, sim_time t) {
    if (!s->b) return 0;
    reclaim_expired(s, t);
    return s->b->used;
}
