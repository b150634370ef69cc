/* Read replicas: copies of the database that apply each commit after a lag.
 *
 * Every commit reaches replica i after a lag drawn from [db] replica_lag
 * (LATENCY stream).  A replica applies the log in order, so applying version
 * v means it holds every version up to v: an apply that arrives after a later
 * one changes nothing.  DB reads go to a replica chosen uniformly (MISC
 * stream) when there are any; writes go to the primary.  4 bytes per key per
 * replica. */
#ifndef STALESIM_MODELS_REPLICAS_H
#define STALESIM_MODELS_REPLICAS_H

#include <stdint.h>

#include "sim/simtime.h"

typedef struct replicas replicas;

/* `count` replicas of keys 0..nkeys-1, all at version 0.  NULL on ENOMEM. */
replicas *replicas_create(uint32_t count, uint32_t nkeys);
void replicas_destroy(replicas *r);

uint32_t replicas_count(const replicas *r);
/* The version replica i returns for key now. */
uint32_t replicas_read(const replicas *r, uint32_t i, uint32_t key);
/* Replica i applies version v of key; returns 1 if that moved it forward. */
int replicas_apply(replicas *r, uint32_t i, uint32_t key, uint32_t version);

#endif
