/* Read replicas: one version array per replica. */
#include "models/replicas.h"

#include <stdlib.h>

#include "sim/bigmem.h"
#include "sim/check.h"

struct replicas {
    uint32_t count, nkeys;
    uint32_t **version; /* [count][nkeys] */
};

replicas *replicas_create(uint32_t count, uint32_t nkeys) {
    replicas *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->count = count;
    r->nkeys = nkeys;
    r->version = calloc(count ? count : 1, sizeof *r->version);
    if (!r->version) {
        free(r);
        return NULL;
    }
    for (uint32_t i = 0; i < count; i++) {
        r->version[i] = sim_big_calloc(nkeys, sizeof **r->version);
        if (!r->version[i]) {
            replicas_destroy(r);
            return NULL;
        }
    }
    return r;
}

void replicas_destroy(replicas *r) {
    if (!r) return;
    for (uint32_t i = 0; i < r->count && r->version; i++)
        sim_big_free(r->version[i], r->nkeys, sizeof **r->version);
    free(r->version);
    free(r);
}

uint32_t replicas_count(const replicas *r) { return r ? r->count : 0; }

uint32_t replicas_read(const replicas *r, uint32_t i, uint32_t key) {
    SIM_CHECK(i < r->count && key < r->nkeys, "replica %u key %u", i, key);
    return r->version[i][key];
}

int replicas_apply(replicas *r, uint32_t i, uint32_t key, uint32_t version) {
    SIM_CHECK(i < r->count && key < r->nkeys, "replica %u key %u", i, key);
    if (version <= r->version[i][key]) return 0;
    r->version[i][key] = version;
    return 1;
}
