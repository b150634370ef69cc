/* A cache store: one entry slot per key holding (version, expires_at).
 *
 * The store is the cache server's memory, nothing more: it answers GET, SET
 * and DEL at the instant they take effect at the server.  Latencies, faults
 * and what the caller does with the answer belong to the pattern.  An entry is
 * valid while t < expires_at; expiry is lazy (checked on access), which is
 * exact because every access passes the current time.  16 bytes per key.
 *
 * Two pieces of server state exist only when a scenario uses them, and are
 * allocated on first use:
 *   leases (memcache semantics): 4 bytes per key, plus 8 with lease:herd;
 *   read-through loads in flight (single-flight): 4 bytes per key, plus 4
 *   per request slot that ever waited.
 *
 * Capacity ([cache] capacity, docs/capacity.md) is the third: a bounded store
 * keeps its resident entries in slots (the slot number lives in the entry, so
 * an unbounded store pays nothing), 40 to 70 bytes per resident entry by
 * policy (docs/capacity.md), never per key. */
#ifndef STALESIM_MODELS_STORE_H
#define STALESIM_MODELS_STORE_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "sim/simtime.h"

typedef struct store store;

#define STORE_NO_REQUEST UINT32_MAX

/* Returns NULL if memory is exhausted. */
store *store_create(uint32_t nkeys);
void store_destroy(store *s);

/* 1 and *version on a hit at time t, 0 on a miss (absent or expired). */
int store_get(store *s, uint32_t key, sim_time t, uint32_t *version);

/* Like store_get without touching anything: 1 and the live entry's version
 * and expiry (either pointer may be NULL), or 0. */
int store_peek(const store *s, uint32_t key, sim_time t, uint32_t *version,
               sim_time *expires_at);

/* Stores version until expires_at (SIM_TIME_MAX: never), replacing any
 * entry.  Unbounded stores only (a bounded one takes store_put). */
void store_set(store *s, uint32_t key, uint32_t version, sim_time expires_at);

/* ---- capacity and eviction --------------------------------------------------
 * A bounded store holds at most `capacity` units: entries, or (bytes) the sum
 * of the stored values' sizes.  Only live entries count: an entry frees its
 * room the instant it expires (as if Redis's active expiry were immediate).
 * A SET that does not fit evicts live entries by the policy until it fits,
 * each reported to the eviction callback before the SET stores; or is
 * refused (Redis's OOM error), the cache keeping what it held:
 *   lru           the least recently used entry (GET hit or SET), exactly;
 *   lfu           the lowest Redis LFU counter (logarithmic 8-bit counter,
 *                 log factor 10, start 5, minus one per idle minute), found
 *                 exactly rather than by sampling; ties: least recently used;
 *   volatile-ttl  the entry nearest its expiry among those with a TTL;
 *                 refused when none has one;
 *   noeviction    refused.
 * A value larger than the whole capacity is refused without evicting. */
typedef enum store_eviction {
    STORE_EVICT_LRU,
    STORE_EVICT_LFU,
    STORE_EVICT_VOLATILE_TTL,
    STORE_EVICT_NOEVICTION
} store_eviction;

/* Called for every live entry evicted (key, the version it held), at the
 * instant of the SET, after the entry is gone. */
typedef void (*store_evict_fn)(void *ctx, uint32_t key, uint32_t version);

/* Bounds an empty store (capacity >= 1; bytes: capacity counts value bytes).
 * `rng` draws lfu's increments (it must outlive the store).  Returns 0, or
 * -1 if memory is exhausted. */
int store_bound(store *s, uint64_t capacity, int bytes, store_eviction policy,
                gsl_rng *rng, store_evict_fn evicted, void *ctx);

/* A SET of a `size`-byte value (bytes capacity; ignored otherwise) taking
 * effect at t: 1 if stored (as store_set), 0 if refused (nothing changed but
 * the entries evicted before the refusal), -1 if memory is exhausted. */
int store_put(store *s, uint32_t key, uint32_t version, sim_time expires_at,
              sim_time t, uint32_t size);

/* Units in use now by live entries (0 for an unbounded store). */
uint64_t store_used(store *s, sim_time t);

/* Moves the expiry of a live entry (sliding TTL). */
void store_touch(store *s, uint32_t key, sim_time expires_at);

/* Removes the entry; returns 1 if a live entry was removed at time t.  A
 * delete also voids every lease token of the key issued before it. */
int store_del(store *s, uint32_t key, sim_time t);

/* A hint that key's entry is about to be used (performance only). */
void store_prefetch(const store *s, uint32_t key);

/* ---- leases ---------------------------------------------------------------
 * Every miss may take a token: the key's lease generation at that instant,
 * kept to STORE_LEASE_BITS bits.  store_del and store_lease_void move the
 * generation on, voiding every token issued before; a SET whose token is void
 * must be dropped.  (Tokens wrap: a SET is wrongly accepted only if exactly
 * 2^24 deletes of its key landed while it was in flight.)
 *
 * Herd control (herd > 0): at most one token per key is outstanding; it
 * stays outstanding for `herd` ns unless a valid SET redeems it or a delete
 * voids it first.  Meanwhile other misses get no token. */
#define STORE_LEASE_BITS 24
#define STORE_LEASE_MASK ((1u << STORE_LEASE_BITS) - 1)

/* Issues a token for a miss on key at t.  Returns 1 and *token; 0 when the
 * herd limit refuses one; -1 if memory is exhausted (nothing issued). */
int store_lease_issue(store *s, uint32_t key, sim_time t, sim_time herd,
                      uint32_t *token);
/* A SET carrying token reaches the server: 1 if it may store (no delete
 * since the token was issued; the outstanding herd token is then redeemed),
 * 0 if the token is void. */
int store_lease_redeem(store *s, uint32_t key, uint32_t token);
/* Voids every token of key issued so far (a writer's update-SET). */
void store_lease_void(store *s, uint32_t key);

/* ---- read-through loads in flight -----------------------------------------
 * At most one load per key: the first request that misses loads, the others
 * wait for it.  Requests are pool slots, held until store_load_end. */

/* 1 if a load of key is in flight. */
int store_load_running(const store *s, uint32_t key);
/* rq starts the load of key (none in flight) or waits for the one in
 * flight.  Returns 0, or -1 if memory is exhausted (rq not registered). */
int store_load_join(store *s, uint32_t key, uint32_t rq);
/* Ends the load of key started by `loader`.  Returns its first waiter in
 * arrival order (STORE_NO_REQUEST: none); store_load_next gives the others.
 * Read a waiter's successor before finishing the waiter's request. */
uint32_t store_load_end(store *s, uint32_t key, uint32_t loader);
uint32_t store_load_next(const store *s, uint32_t rq);

#endif
