/* Local caches: application instances, each with its own in-process cache.
 *
 * [local] instances N > 0 puts N instances in front of the [cache] pattern
 * (tier = shared: a local miss goes through the shared cache's read path) or
 * directly in front of the DB (tier = alone).  Requests are routed to an
 * instance at random, round-robin, or sticky by client.  A local GET costs no
 * time (it is a memory read); a miss continues below and the answer is stored
 * locally with [local] ttl.
 *
 * Invalidation: the instance that writes drops its own copy at the commit.
 * With bus = pubsub it also publishes the invalidation; every other instance
 * drops its copy when the message arrives (bus_latency), unless the message
 * is lost (bus_loss) or the instance is disconnected (Poisson disconnections
 * at reconnect_rate lasting reconnect_duration): then that copy lives until
 * its TTL (cause bus-lost).  With bus = none the others keep their copies
 * (local-not-invalidated).  Deploys every deploy_interval restart a share of
 * the instances, emptying their caches.
 *
 * instance_disagreement: every sample_interval the key of the next arrival
 * (so keys are sampled by popularity) is inspected; a sample disagrees when
 * two instances hold live copies of different versions.
 *
 * Memory: 16 bytes per key per instance. */
#ifndef STALESIM_MODELS_LOCAL_H
#define STALESIM_MODELS_LOCAL_H

#include <stdint.h>

#include "models/world.h"

typedef struct local_caches local_caches;

/* Creates the instances of w's scenario and registers their oracle copies.
 * NULL on ENOMEM. */
local_caches *local_create(world *w);
void local_destroy(local_caches *l);

/* Schedules deploys, disconnections and sampling.  Call once before the run. */
void local_start(world *w);

/* Routes request rq to an instance (sets r->instance). */
void local_route(world *w, uint32_t rq);
/* A read at its instance: returns 1 if the local cache answered (the request
 * is finished), 0 on a miss (r->local_miss is set). */
int local_read(world *w, uint32_t rq);
/* A read that missed locally is answered with `version` from copy `from`:
 * the instance keeps it. */
void local_fill(world *w, uint32_t rq, uint32_t version, uint32_t from);
/* Request rq committed: its instance drops its copy; the bus tells others. */
void local_on_commit(world *w, uint32_t rq);
void local_on_event(world *w, const sim_event *ev);

/* 1 if `copy` is an instance's cache. */
int local_is_copy(const local_caches *l, uint32_t copy);
/* Share of samples in which two instances disagreed (0 with no samples). */
double local_disagreement(const local_caches *l);

#endif
