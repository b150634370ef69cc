/* The database: a dense array of versions. */
#include "models/db.h"

#include <stdlib.h>

#include "sim/bigmem.h"
#include "sim/check.h"

struct db {
    uint32_t nkeys;
    uint32_t *version;
};

db *db_create(uint32_t nkeys) {
    db *d = malloc(sizeof *d);
    if (!d) return NULL;
    d->nkeys = nkeys;
    d->version = sim_big_calloc(nkeys, sizeof *d->version);
    if (!d->version) {
        free(d);
        return NULL;
    }
    return d;
}

void db_destroy(db *d) {
    if (!d) return;
    sim_big_free(d->version, d->nkeys, sizeof *d->version);
    free(d);
}

uint32_t db_read(const db *d, uint32_t key) {
    SIM_CHECK(key < d->nkeys, "key %u of %u", key, d->nkeys);
    return d->version[key];
}

uint32_t db_commit(db *d, uint32_t key) {
    SIM_CHECK(key < d->nkeys, "key %u of %u", key, d->nkeys);
    SIM_CHECK(d->version[key] < UINT32_MAX, "key %u version overflow", key);
    return ++d->version[key];
}

void db_prefetch(const db *d, uint32_t key) {
    if (key < d->nkeys) __builtin_prefetch(&d->version[key]);
}

int db_apply(db *d, uint32_t key, uint32_t version) {
    SIM_CHECK(key < d->nkeys, "key %u of %u", key, d->nkeys);
    if (version <= d->version[key]) return 0;
    d->version[key] = version;
    return 1;
}
