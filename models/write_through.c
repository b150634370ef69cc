/* Write-through: a write commits to the DB, then SETs the committed version
 * in the cache (an update, whatever [cache] invalidation says).
 *
 * Concurrent writers of a key race twice: their commits take versions in
 * one order, their SETs land in the order their (random) SET latencies
 * allow.  A SET of an older version landing after a newer one leaves the
 * cache holding the superseded value until the next SET or the TTL: cause
 * out-of-order-update.  `versioned-set` refuses such a SET.  A failed SET
 * leaves the old value until the TTL (invalidation-failed).  Reads are
 * cache-aside's, fills and their races included; a lease is voided by an
 * update-SET as by a DEL.  The protocol is models/cache_aside.c's. */
#include "models/cache_aside.h"
#include "models/pattern.h"
#include "models/world.h"

static const cache_variant write_through = {0, 1, NULL, NULL, NULL};

static void on_read(world *w, uint32_t rq) {
    cache_family_read(w, &write_through, rq);
}

static void on_write(world *w, uint32_t rq) {
    cache_family_write(w, &write_through, rq);
}

static void on_step(world *w, uint32_t rq, uint32_t step) {
    cache_family_step(w, &write_through, rq, step);
}

const pattern_ops pattern_write_through = {
    .name = "write-through",
    .summary = "cache-aside reads; a write commits, then SETs the new value "
               "(SETs can land out of order)",
    .on_read = on_read,
    .on_write = on_write,
    .on_step = on_step,
};
