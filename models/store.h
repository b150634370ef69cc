/* A cache store: one entry slot per key holding (version, expires_at).
 *
 * The store is the cache server's memory, nothing more: it answers GET, SET
 * and DEL at the instant they take effect at the server.  Latencies, faults
 * and what the caller does with the answer belong to the pattern.  An entry is
 * valid while t < expires_at; expiry is lazy (checked on access), which is
 * exact because every access passes the current time.  16 bytes per key. */
#ifndef STALESIM_MODELS_STORE_H
#define STALESIM_MODELS_STORE_H

#include <stdint.h>

#include "sim/simtime.h"

typedef struct store store;

/* Returns NULL if memory is exhausted. */
store *store_create(uint32_t nkeys);
void store_destroy(store *s);

/* 1 and *version on a hit at time t, 0 on a miss (absent or expired). */
int store_get(store *s, uint32_t key, sim_time t, uint32_t *version);

/* Stores version until expires_at (SIM_TIME_MAX: never), replacing any entry. */
void store_set(store *s, uint32_t key, uint32_t version, sim_time expires_at);

/* Moves the expiry of a live entry (sliding TTL). */
void store_touch(store *s, uint32_t key, sim_time expires_at);

/* Removes the entry; returns 1 if a live entry was removed at time t. */
int store_del(store *s, uint32_t key, sim_time t);

/* A hint that key's entry is about to be used (performance only). */
void store_prefetch(const store *s, uint32_t key);

#endif
