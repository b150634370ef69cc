/* No cache: every read goes to the DB, every write commits.  The baseline for
 * DB load and latency; it never serves a stale read. */
#include "models/pattern.h"
#include "models/world.h"

enum step { R_DB, R_DONE, W_COMMIT, W_DONE };

static void on_read(world *w, uint32_t rq) {
    world_after(w, world_latency(w, &world_rsc(w, rq)->db.read_latency), rq, R_DB);
}

static void on_write(world *w, uint32_t rq) {
    world_after(w, world_latency(w, &world_rsc(w, rq)->db.write_latency), rq, W_COMMIT);
}

static void on_step(world *w, uint32_t rq, uint32_t step) {
    request *r = world_req(w, rq);
    switch ((enum step)step) {
    case R_DB:
        world_db_read(w, rq);
        world_respond(w, rq, R_DONE);
        break;
    case R_DONE:
        world_finish_read(w, rq, r->version, ORACLE_SOURCE);
        break;
    case W_COMMIT:
        world_db_commit(w, rq, ORACLE_PLAN_NONE_PATTERN);
        world_respond(w, rq, W_DONE);
        break;
    case W_DONE:
        world_finish_write(w, rq);
        break;
    }
}

const pattern_ops pattern_none = {
    .name = "none",
    .summary = "no cache: reads and writes go to the DB",
    .flags = PATTERN_NO_CACHE,
    .on_read = on_read,
    .on_write = on_write,
    .on_step = on_step,
};
