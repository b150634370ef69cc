/* The world: one replication of a scenario — clients, the database, the
 * shared cache and the oracle — wired to the kernel.
 *
 * The world owns the request pool and the event dispatch.  Patterns drive
 * requests through it with the helpers below, which also report every fact to
 * the oracle and count what the replication measures, so a pattern file holds
 * only its protocol.  The struct is visible to pattern files; everything else
 * uses the functions.
 *
 * Timing model (DESIGN.md section 1): a remote operation issued at t takes
 * effect at t + request latency; the caller resumes after a further response
 * latency (0 by default, in which case the continuation runs inside the same
 * event).  A timed-out operation resumes its caller at t + timeout. */
#ifndef STALESIM_MODELS_WORLD_H
#define STALESIM_MODELS_WORLD_H

#include <stdint.h>

#include "models/db.h"
#include "models/faults.h"
#include "models/oracle.h"
#include "models/pattern.h"
#include "models/scenario.h"
#include "models/replicas.h"
#include "models/store.h"
#include "models/trace.h"
#include "models/workload.h"
#include "sim/rng.h"
#include "sim/sim.h"
#include "sim/stats.h"
#include "models/measures.h"

/* One request in flight.  Slots are reused; hold indices, never pointers,
 * across calls that may start requests. */
/* The remote operations whose answer travels back to the caller: each has
 * a request part (its *_latency, ending at the effect) and a response part
 * (its *_response, from the effect to the caller resuming; docs/latency.md). */
typedef enum world_op {
    WORLD_OP_GET,
    WORLD_OP_SET,
    WORLD_OP_DEL,
    WORLD_OP_DB_READ,
    WORLD_OP_DB_WRITE,
    WORLD_OP_COUNT
} world_op;

typedef struct request {
    sim_time invoked;      /* ns: s, when the client issued it */
    sim_time commit_at;    /* ns: write: when it committed */
    sim_time del_effect_at;/* ns: a timed-out DEL's late effect, else MAX */
    double rare_lr;        /* --rare, 1: none.  A write: the product of the
                              likelihood ratios of its boosted DEL faults
                              before its commit (delete-before-write).  A
                              read: the ratio of the boosted event its answer
                              stems from (a write-behind crash whose emptied
                              cache it refills or whose copy it read; a cache
                              outage whose emptied key it reads:
                              models/refill_marks.h); world_finish_read
                              weighs it stale by it */
    uint32_t key;
    uint32_t client;
    uint32_t version;      /* read: value obtained; write: version committed */
    uint8_t kind;          /* workload_kind */
    uint8_t plan;          /* oracle_plan decided before the commit */
    uint8_t path;          /* write path (index in sc->paths), 0 if none */
    uint8_t local_miss;    /* 1: its instance's local cache missed */
    uint8_t family;        /* key family of its key (0 without families) */
    uint8_t last_op;       /* world_op of its latest effect (the response) */
    uint8_t background;    /* 1: a pattern's background request (no client
                              waits for it: world_start_background) */
    uint8_t pattern_mark;  /* private to the pattern serving it; 0 when the
                              request starts */
    uint8_t rare_diverged; /* --rare: a read invoked while a boosted outage
                              kept its key from what the cache would hold
                              (REFILL_DIVERGED): rare_lr is that outage's,
                              rare_ghost the version the cache would have
                              served it and rare_ghost_w that answer's
                              weight (models/outage.c) */
    uint32_t instance;     /* application instance serving it, or NONE */
    uint32_t source;       /* oracle copy its DB read came from */
    uint32_t rare_ghost;   /* see rare_diverged */
    double rare_ghost_w;
    uint64_t serial;       /* 1, 2, ...: the request's number in the run */
} request;

#define WORLD_NO_REQUEST UINT32_MAX
#define WORLD_NO_INSTANCE UINT32_MAX

/* Events of the world's modules, for sim_schedule from their files. */
enum world_event {
    WORLD_EV_ARRIVAL,       /* the next workload arrival */
    WORLD_EV_STEP,          /* a = request slot, b = pattern step */
    WORLD_EV_DEL_LATE,      /* a = key, b = commit version: a timed-out DEL lands */
    WORLD_EV_REPLICA_APPLY, /* a = key, b = replica << 32 | version */
    WORLD_EV_LOCAL,         /* local caches: a, b theirs (models/local.c) */
    WORLD_EV_PATTERN,       /* a pattern's own: a = table index << 24 | its a */
    WORLD_EV_COUNT          /* further events of other modules start here */
};

/* Per-replication metrics (DESIGN.md section 5), in output order. */
#define WORLD_ENUM_METRIC(id, ...) WORLD_METRIC_##id,
typedef enum world_metric {
    WORLD_METRICS(WORLD_ENUM_METRIC)
    WORLD_METRIC_COUNT
} world_metric;
#undef WORLD_ENUM_METRIC

/* The registry's fields of metric m (models/measures.h). */
const char *world_metric_name(world_metric m);
const char *world_metric_doc(world_metric m);
const char *world_metric_unit(world_metric m);
/* The axis label, or NULL when the metric has none of its own. */
const char *world_metric_label(world_metric m);
/* The name in a sentence ("stale-read fraction"; the name if none). */
const char *world_metric_brief(world_metric m);
/* WORLD_SHOWN_SHARE or WORLD_SHOWN_NUMBER. */
int world_metric_shown(world_metric m);
/* A plot axis's default: WORLD_SCALE_AUTO, _LOG or _LINEAR. */
int world_metric_scale(world_metric m);

#define WORLD_ENUM_DIST(id, ...) WORLD_DIST_##id,
typedef enum world_dist {
    WORLD_DISTS(WORLD_ENUM_DIST)
    WORLD_DIST_COUNT
} world_dist;
#undef WORLD_ENUM_DIST

const char *world_dist_name(world_dist d);
const char *world_dist_doc(world_dist d);

/* Figures kept per key family only (the seed's observability list), beside
 * the per-family metrics. */
#define WORLD_ENUM_FIGURE(id, ...) WORLD_FIGURE_##id,
typedef enum world_family_figure {
    WORLD_FAMILY_FIGURES(WORLD_ENUM_FIGURE)
    WORLD_FIGURE_COUNT
} world_family_figure;
#undef WORLD_ENUM_FIGURE

const char *world_family_figure_name(world_family_figure f);

/* Distributions kept per family: every one, in the same order. */
#define WORLD_ENUM_FDIST(id, ...) WORLD_FDIST_##id,
enum {
    WORLD_DISTS(WORLD_ENUM_FDIST)
    WORLD_FDIST_COUNT /* every distribution: per family as in total */
};
#undef WORLD_ENUM_FDIST
extern const world_dist world_family_dist[WORLD_FDIST_COUNT];

#define WORLD_MAX_FAMILIES SCENARIO_MAX_FAMILIES

/* Everything one replication measured.  Large (histograms); heap-allocate. */
typedef struct world_result {
    double metric[WORLD_METRIC_COUNT];
    sim_hist dist[WORLD_DIST_COUNT]; /* ns */
    uint64_t stale_by_cause[ORACLE_CAUSE_COUNT];
    uint64_t over_bound_by_cause[ORACLE_CAUSE_COUNT]; /* stale reads staler than
                                                   contract.max_staleness */
    uint64_t stale_by_path[ORACLE_MAX_PATHS]; /* by the write path at fault */
    uint64_t writes_by_path[ORACLE_MAX_PATHS];
    uint64_t events;
    double wall_s;
    /* Importance sampling (models/rare.h; all 1-weights without a boost):
     * the stale reads' weights summed and squared-summed, how many weighed
     * other than 1, how many chained faults of two commits, and the boosted
     * faults and overlapping faults reported. */
    double rare_stale_w, rare_stale_w2;
    uint64_t rare_weighted, rare_overlap_stale, rare_faults, rare_overlaps;
    double rare_boost; /* the scenario's rare_boost the faults were drawn
                          under (0: off); a stored run says it was weighted */
    /* Per key family ([family.NAME]); nfamilies = 0 without families. */
    int nfamilies;
    char family_name[WORLD_MAX_FAMILIES][32]; /* [family.NAME] names */
    double family_metric[WORLD_MAX_FAMILIES][WORLD_METRIC_COUNT];
    double family_figure[WORLD_MAX_FAMILIES][WORLD_FIGURE_COUNT];
    uint64_t family_causes[WORLD_MAX_FAMILIES][ORACLE_CAUSE_COUNT];
    uint64_t family_over_causes[WORLD_MAX_FAMILIES][ORACLE_CAUSE_COUNT]; /* over
                                                        the family's bound */
    sim_hist family_dist[WORLD_MAX_FAMILIES][WORLD_FDIST_COUNT]; /* ns */
} world_result;

typedef struct world_counts world_counts;

/* The per-replication metrics m[WORLD_METRIC_COUNT] from an oracle's counts and the
 * world's (span_s: seconds after the warm-up; disagreement: the instance
 * disagreement sampled).  Also used by the emulator (emulate/judge.c). */
void world_fill_metrics(const oracle_counts *oc, const world_counts *wc,
                        double span_s, double disagreement, double *m);

struct world_counts {
    uint64_t reads_from_cache; /* answered by a cache copy, after warm-up */
    uint64_t db_reads;         /* DB read operations after warm-up */
    uint64_t writes;           /* write requests invoked after warm-up */
    uint64_t invalidations, invalidations_failed, invalidations_timed_out;
    uint64_t writer_crashes;
    uint64_t local_hits;       /* reads answered by an instance's cache */
    uint64_t lost_writes;      /* acknowledged, never durable */
    uint64_t cache_crashes;
    uint64_t failed_reads;     /* reads ended by an error (cache outage) */
    uint64_t evictions;        /* live shared-cache entries evicted */
    uint64_t oom_errors;       /* SETs a full shared cache refused */
    uint64_t writes_by_path[ORACLE_MAX_PATHS];
    uint64_t fallback_reads;   /* families only: outage reads sent to the DB */
    uint64_t bypass_reads;     /* families only: reads of a bypass family */
    uint64_t cache_ops;        /* shared-cache operations after warm-up:
                                  cache_gets + cache_sets + cache_dels */
    uint64_t cache_gets, cache_sets, cache_dels;
    /* [local] bus = pubsub, counted when each happens after warm-up: one
     * message published per commit through an instance; each of its
     * instances - 1 copies is delivered, lost (bus_loss) or missed (its
     * subscriber disconnected) when it arrives. */
    uint64_t bus_published, bus_delivered, bus_lost, bus_missed;
};

/* One key family as the world runs it.  Without [family.*] there is one
 * implicit family whose view is the base scenario itself. */
typedef struct world_family {
    const scenario *sc;         /* its view: every per-request parameter */
    scenario *view;             /* owned copy (families only), else NULL */
    const pattern_ops *pattern; /* `none` for a bypass family */
    uint32_t first_key, nkeys;
    int bypass;
    int zero_response;          /* every response part is const 0 */
    const sim_dist *response[WORLD_OP_COUNT]; /* each op's response part:
                                   its *_response, else response_latency */
    world_counts counts;        /* families only: its share of the counts */
    sim_hist invalidation_lag;  /* families only */
    sim_hist read_latency;      /* families only */
    sim_hist durability_lag;    /* families only */
} world_family;

struct local_caches;
struct refill_marks;

struct world {
    const scenario *sc;         /* the base scenario (world-wide events) */
    const pattern_ops *pattern; /* family 0's (the only one without
                                   families) */
    int nfam;                   /* [family.*] sections; 0: one implicit */
    world_family fam[WORLD_MAX_FAMILIES];
    uint8_t *key_family;        /* [keys] family of each key (families) */
    scenario *base_view;        /* families: base with keys = the total */
    sim sim;
    sim_rng rng;
    workload *load;
    db *db;
    store *cache;
    oracle *oracle;
    workload_op next_op;  /* the arrival scheduled next */
    request *req;         /* request pool */
    uint32_t *free_slots; /* stack of free pool indices */
    uint32_t nfree, cap;
    int zero_response;    /* response latency is const 0 */
    int cache_down;       /* 1 during a cache outage: cache operations fail */
    world_counts counts;
    sim_hist read_latency, invalidation_lag;
    uint64_t serial;      /* requests started */
    struct replicas *replicas; /* NULL: reads go to the primary */
    uint32_t replica_copy;     /* oracle copy id of replica 0 */
    struct local_caches *local; /* NULL: no instance caches */
    /* Private state of each pattern in use, by pattern table index (NULL:
     * not in use, or stateless). */
    void *pstate[SCENARIO_MAX_PATTERNS];
    uint32_t db_copy;     /* oracle copy DB reads come from (a pattern's
                             db_copy hook), else ORACLE_SOURCE */
    int own_failures;     /* a pattern in use models the cache's failures:
                             no [cache] outages (PATTERN_OWN_FAILURES) */
    double outage_rate;   /* per s: [cache] outages as simulated (boosted
                             under --rare: models/rare.h) */
    double outage_lr;     /* outage_rate true / simulated; 1: not boosted */
    /* --rare with a cache-emptying event boosted (a write-behind crash, a
     * cache outage), else NULL: models/refill_marks.h. */
    struct refill_marks *refill;
    sim_hist durability_lag;
    trace_fn tracer;      /* NULL: no trace */
    void *tracer_ctx;
};

/* A replication of sc (rep numbers from 0), synthetic workload.  The scenario
 * must outlive the world.  Returns NULL on ENOMEM. */
world *world_create(const scenario *sc, uint32_t rep);
/* The same with a scripted list of requests instead of the workload. */
world *world_create_scripted(const scenario *sc, uint32_t rep,
                             const workload_op *ops, size_t nops);
void world_destroy(world *w);

/* Ends the run after the current event (world_run then returns normally;
 * its results cover the time simulated). */
void world_stop(world *w);

/* Installs a tracer that receives every step of the run (NULL: none). */
void world_set_tracer(world *w, trace_fn fn, void *ctx);
/* Emits a trace record of step `op` about oracle copy `copy` (a local
 * instance, the bus, a replica, the DB behind a write-behind cache), for
 * request rq or WORLD_NO_REQUEST; nothing without a tracer. */
void world_trace_copy(world *w, trace_op op, uint32_t rq, uint32_t key,
                      uint32_t version, uint32_t copy);

/* Runs to the scenario's duration and fills *out.  Returns 0, or -1 if memory
 * ran out (then *out is incomplete). */
int world_run(world *w, world_result *out);

/* ---- helpers for pattern files ----------------------------------------- */

static inline request *world_req(world *w, uint32_t rq) { return &w->req[rq]; }
/* The scenario every parameter of request rq comes from: its family's view
 * (the base scenario without families). */
static inline const scenario *world_rsc(const world *w, uint32_t rq) {
    return w->fam[w->req[rq].family].sc;
}
/* The pattern that serves request rq. */
static inline const pattern_ops *world_rpattern(const world *w, uint32_t rq) {
    return w->fam[w->req[rq].family].pattern;
}
/* The family of a key (0 without families). */
static inline int world_key_family(const world *w, uint32_t key) {
    return w->nfam ? w->key_family[key] : 0;
}
/* Counts one more `field` in the totals and in family f's share. */
#define WORLD_COUNT(w, f, field)                                            \
    do {                                                                    \
        (w)->counts.field++;                                                \
        if ((w)->nfam) (w)->fam[(f)].counts.field++;                        \
    } while (0)
static inline sim_time world_now(const world *w) { return w->sim.now; }

/* A draw from the LATENCY stream. */
sim_time world_latency(world *w, const sim_dist *d);
/* Continues request rq at `step` after `delay` ns. */
void world_after(world *w, sim_time delay, uint32_t rq, uint32_t step);
/* Continues rq at `step` after the response part of its latest remote
 * operation (inline when that part is 0). */
void world_respond(world *w, uint32_t rq, uint32_t step);
/* The same after operation `op` (a failure path that reached no effect
 * helper); world_respond uses the request's latest effect. */
void world_respond_op(world *w, uint32_t rq, uint32_t step, world_op op);

/* Cache effects at the current instant, for request rq (the store, the
 * oracle and the trace agree).  The key is the request's. */
int world_cache_get(world *w, uint32_t rq, uint32_t *version);
/* The fill SET of r->version took effect (ok) or errored (!ok).  Returns
 * whether it stored: 0 also when a full cache refused it ([cache]
 * capacity; counted in oom_errors). */
int world_cache_fill(world *w, uint32_t rq, int ok);
/* The writer's update-SET of its committed r->version took effect or
 * errored (an error, or a full cache refusing it, is a failed
 * invalidation). */
void world_cache_update(world *w, uint32_t rq, int ok);
/* The DEL took effect: the entry is gone.  `version` is the commit it
 * invalidates, or 0 when issued before the commit. */
void world_cache_invalidate(world *w, uint32_t rq, uint32_t version);
/* The DEL errored: nothing was deleted. */
void world_cache_del_failed(world *w, uint32_t rq, uint32_t version);
/* The caller gave up on its DEL; it lands later (see _late) or never. */
void world_cache_del_timeout(world *w, uint32_t rq, uint32_t version,
                             int lands_later);
/* A timed-out DEL lands at now + delay, whatever its request does. */
void world_cache_invalidate_late(world *w, uint32_t rq, uint32_t version,
                                 sim_time delay);
/* Importance sampling (models/rare.h): a boosted fault of likelihood ratio
 * lr, drawn now by rq, leaves copy `copy` of rq's key holding a value older
 * than commit `version` from `at` (ns, >= now: when the lost invalidation
 * would have taken effect) on.  Nothing when lr is 1 (no boost, or no
 * fault) or version is 0 (before the commit: not boosted). */
void world_fault_mark(world *w, uint32_t rq, uint32_t copy, uint32_t version,
                      sim_time at, double lr);
/* Counts an invalidation attempt (a DEL or an update-SET) by rq. */
void world_invalidation_issued(world *w, uint32_t rq);
/* Counts a read that a cache error sent to the DB (outage_fallback = db). */
void world_fallback_read(world *w, uint32_t rq);

/* 1 unless rq's write path forgets to invalidate ([path.NAME] invalidates =
 * no). */
int world_path_invalidates(const world *w, uint32_t rq);

/* Database effects at the current instant.  A read stores the version in
 * r->version and returns it (from a replica when there are replicas: then
 * r->source names it); a commit records version and commit time. */
uint32_t world_db_read(world *w, uint32_t rq);
uint32_t world_db_commit(world *w, uint32_t rq, oracle_plan plan);
/* For a pattern whose cache takes the commits (PATTERN_CACHE_COMMITS): the
 * cache accepting rq's write is its commit; the cache holds the new version
 * from this instant.  Returns the version. */
uint32_t world_cache_commit(world *w, uint32_t rq);

/* ---- helpers for a pattern's lifecycle (models/pattern.h) ------------- */

/* Pattern p's private state in w (NULL if p is not in use or stateless). */
static inline void *world_pattern_state(const world *w, const pattern_ops *p) {
    return w->pstate[pattern_index(p)];
}
/* Schedules an event of pattern p `delay` ns from now (or at absolute time
 * `at`): p->on_event receives a (< 2^24) and b. */
void world_pattern_schedule(world *w, const pattern_ops *p, sim_time delay,
                            uint32_t a, uint64_t b);
void world_pattern_schedule_at(world *w, const pattern_ops *p, sim_time at,
                               uint32_t a, uint64_t b);
/* The random stream of the patterns' own draws (its draws leave every other
 * stream, so every other pattern's run, unchanged). */
gsl_rng *world_pattern_rng(world *w);
/* Empties the shared cache now (a crash or an outage): every live entry is
 * removed, its copy in the oracle too. */
void world_cache_clear(world *w);
/* The refill marks (models/refill_marks.h), created on the first call for
 * the world's keys (`diverged`: with ghosts, for outages); NULL when memory
 * ran out.  A pattern whose own event empties the cache (write-behind's
 * crash) calls it from create when the event is boosted. */
struct refill_marks *world_refill_marks(world *w, int diverged);
/* --rare with outages boosted (nothing otherwise), for request rq: an
 * operation the outage made fail, so the cache no longer holds what it
 * would without it.  fill_lost: a miss the outage kept from storing
 * `version` (a fill failing, a read sent to the DB or failed), which the
 * cache would have stored unless it held the key; update_lost: the
 * writer's update-SET of r->version, which it would have stored; del_lost:
 * the DEL, which would have emptied the key (what the outage did too). */
void world_outage_fill_lost(world *w, uint32_t rq, uint32_t version);
void world_outage_update_lost(world *w, uint32_t rq);
void world_outage_del_lost(world *w, uint32_t rq);
/* --rare with outages boosted: what a read of key reaching the shared cache
 * now would be served without the outages, when that is a hit: 1 with its
 * version and the weight its stale read takes (the ghost of a diverged key;
 * else the cache's copy, unless a fill carrying a ratio stored it, whose
 * counterpart the marks do not know); 0 for a miss (a fresh DB answer). */
int world_outage_shared_view(world *w, uint32_t key, uint32_t *version,
                             double *weight);
/* A write acknowledged at `acked_at` reached the DB now (write-behind's
 * durability lag, counted after the warm-up). */
void world_durable(world *w, uint32_t key, sim_time acked_at);
/* Ends the run at the next event with an out-of-memory failure (world_run
 * returns -1). */
void world_out_of_memory(world *w);

/* Background requests: work a pattern does on a key that answers no client
 * (a refresh: a DB read and a SET).  world_start_background takes a request
 * slot for `key` now, served by the pattern of the key's family (its on_step
 * receives `step` at once, inside this call); it returns the slot, or
 * WORLD_NO_REQUEST when memory ran out (the run then fails).  Call it from
 * an event of its own (on_event), never from inside another request's step
 * that still holds a request pointer: the pool may move.  The request uses
 * the effect helpers like any other (its DB reads count as DB reads, its
 * cache operations as cache operations) and ends with
 * world_finish_background; the oracle never judges it. */
uint32_t world_start_background(world *w, uint32_t key, uint32_t step);
/* The background request's SET of r->version (what its DB read returned)
 * took effect (ok) or errored (!ok): stored with a fresh TTL; a superseded
 * value opens a refresh-race window. */
void world_cache_refresh(world *w, uint32_t rq, int ok);
void world_finish_background(world *w, uint32_t rq);

/* Ends a read that returns `version` taken from `copy` (ORACLE_CACHE, or
 * ORACLE_SOURCE for "where its DB read went", r->source). */
void world_finish_read(world *w, uint32_t rq, uint32_t version, uint32_t copy);
/* Ends a read with an error (a cache outage with outage_fallback = fail):
 * counted in failed_reads, not judged by the oracle, not a read. */
void world_fail_read(world *w, uint32_t rq);
/* Ends a write acknowledged to its client now. */
void world_finish_write(world *w, uint32_t rq);
/* Ends a write whose writer died right after its commit: no invalidation,
 * no acknowledgement. */
void world_writer_crash(world *w, uint32_t rq);

#endif
