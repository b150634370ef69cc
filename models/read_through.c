/* Read-through: the cache loads on a miss, and concurrent misses of one key
 * share one load (single-flight).
 *
 * The client asks the cache; on a miss the cache reads the DB and stores
 * what it read (a fill: the DB read latency, then the SET latency of the
 * cache writing its own entry) and answers.  While that load is in flight,
 * further misses of the key do not load: they wait, and when the fill takes
 * effect every waiter is answered with the stored version, from the cache
 * copy (so a waiter that joined after a newer commit reads a stale value,
 * cause stale-fill, like any reader of that entry).  If the fill did not
 * store (it failed, a lease voided it, versioned-set refused it, the cache
 * went down) the waiters GET again.  The loading request itself returns
 * what it read, as in cache-aside.
 *
 * Everything else is cache-aside's (models/cache_aside.c): writes invalidate
 * as [cache] invalidation says, and the mitigations apply.  lease:herd is
 * mostly moot here: a second miss joins the load before it could ask for a
 * lease.  hit_ratio counts waiters as answered by the cache (they cost no DB
 * read); db_reads_per_s shows the saving.
 *
 * The loads in flight are cache-server state: a per-key table in the store
 * (models/store.h), allocated on first use, no allocation per event. */
#include "models/cache_aside.h"
#include "models/pattern.h"
#include "models/world.h"

enum step {
    RT_ANSWER = CACHE_STEP_PRIVATE /* a waiter answered from the fill */
};

static void on_read(world *w, uint32_t rq);

static int join_load(world *w, uint32_t rq) {
    uint32_t key = world_req(w, rq)->key;
    if (!store_load_running(w->cache, key)) return 0;
    return store_load_join(w->cache, key, rq) < 0 ? -1 : 1;
}

static int start_load(world *w, uint32_t rq) {
    return store_load_join(w->cache, world_req(w, rq)->key, rq);
}

static void end_load(world *w, uint32_t rq, int filled) {
    uint32_t key = world_req(w, rq)->key, version = world_req(w, rq)->version;
    uint32_t q = store_load_end(w->cache, key, rq);
    while (q != STORE_NO_REQUEST) {
        uint32_t next = store_load_next(w->cache, q); /* before q ends */
        if (filled) {
            world_req(w, q)->version = version;
            world_respond(w, q, RT_ANSWER);
        } else {
            on_read(w, q); /* GET again */
        }
        q = next;
    }
}

static const cache_variant read_through = {0, 0, join_load, start_load,
                                           end_load};

static void on_read(world *w, uint32_t rq) {
    cache_family_read(w, &read_through, rq);
}

static void on_write(world *w, uint32_t rq) {
    cache_family_write(w, &read_through, rq);
}

static void on_step(world *w, uint32_t rq, uint32_t step) {
    if (step == RT_ANSWER)
        world_finish_read(w, rq, world_req(w, rq)->version, ORACLE_CACHE);
    else
        cache_family_step(w, &read_through, rq, step);
}

const pattern_ops pattern_read_through = {
    .name = "read-through",
    .summary = "the cache loads on a miss; concurrent misses of a key share "
               "one load; writes invalidate as cache-aside",
    .flags = PATTERN_FOLLOWS_INVALIDATION,
    .on_read = on_read,
    .on_write = on_write,
    .on_step = on_step,
};
