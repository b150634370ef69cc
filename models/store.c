/* The cache store: a dense array of entries indexed by key. */
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
};

store *store_create(uint32_t nkeys) {
    store *s = malloc(sizeof *s);
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
    return live;
}

void store_prefetch(const store *s, uint32_t key) {
    if (key < s->nkeys) __builtin_prefetch(&s->e[key]);
}
