/* The oracle: the one place that decides what "stale" means.
 *
 * It consumes a plain stream of facts, in time order, and nothing else of the
 * simulator, so the same code can judge histories recorded elsewhere:
 *   commit     version v of key k became the truth at t (v = previous + 1);
 *              with the commit comes the write path's invalidation plan;
 *   inval-fail the invalidation meant for commit v of k will never take effect;
 *   copy-set   copy c of key k now holds version v from t until expires_at
 *              (a fill from a read, or an update from a writer);
 *   copy-remove copy c of key k was deleted at t;
 *   ack        client c was told at t that its write of version v of k is done;
 *   read       client c read key k, invoked at s, answered at e with version v
 *              taken from copy c (or from the source of truth).
 *
 * Semantics (DESIGN.md section 1, binding):
 *   - a read invoked at s returning v is STALE iff a version > v committed at
 *     or before s; its age is s - commit_time(v+1) and its version lag is
 *     latest_committed(s) - v.  A read superseded only while in flight
 *     (commit in (s, e]) is CONCURRENT; otherwise it is FRESH.
 *   - a stale window of a copy opens when the copy holds a version older than
 *     the latest commit and closes when the copy is removed, expires, or is
 *     overwritten.  An overwrite with a different version closes the window and
 *     may open a new one with the new value's provenance.  Windows open at the
 *     end of the run are closed there and counted apart as censored.  A
 *     window that closes at the instant it opened with no read served from it
 *     exposed nothing and is not counted.
 *   - every window carries one cause, and every stale read served from it the
 *     same cause.  A window opened by a commit takes its cause from that
 *     commit's invalidation plan (ttl-only, invalidation-missing,
 *     invalidation-failed, stale-fill for delete-before-write refills, or
 *     invalidation-lag, which turns into invalidation-failed if an inval-fail
 *     fact for the opening commit arrives).  A window opened by a SET of an
 *     already superseded version is stale-fill (a fill), refresh-race (a
 *     background refresh) or out-of-order-update (a writer's update).  Because the cause of a window can still change while
 *     it is open, stale reads are attributed to causes when their window
 *     closes; the age of each stale read is recorded at once.
 *   - a read-your-writes violation is a read by client c returning a version
 *     older than one whose write c had been acknowledged at or before s.
 *     Every such read is also stale, so only stale reads are checked.
 *   - reads invoked before `warmup`, and windows opened before it, are judged
 *     (the state must be right) but not counted.
 *
 * Memory: per key, one 64-byte record (a cache line: the facts about a key
 * touch one line): 32 bytes of commit bookkeeping and 32 of state for the
 * shared cache copy; plus 8 bytes per commit (every commit time is kept, so
 * the age of an arbitrarily old value is exact). */
#ifndef STALESIM_MODELS_ORACLE_H
#define STALESIM_MODELS_ORACLE_H

#include <stdint.h>

#include "sim/simtime.h"
#include "sim/stats.h"

typedef struct oracle oracle;

/* Every cause of a stale window, named once: X(ID, name, gist, story), the
 * constant ORACLE_CAUSE_<ID>, its DESIGN.md name, what it means in a sentence (the
 * timeline plot, `stalesim explain`'s list) and its story (the paragraph
 * `stalesim explain` prints under a stale read of that cause).  Adding a
 * cause is one line here and the rule that assigns it (oracle.c). */
#define ORACLE_CAUSES(X)                                                      \
    X(TTL_ONLY, "ttl-only",                                                   \
      "writes never invalidate, the TTL alone ends the window",               \
      "writes never invalidate this cache: the old value is served until "    \
      "its TTL runs out")                                                     \
    X(INVALIDATION_FAILED, "invalidation-failed",                             \
      "the write's invalidation never took effect",                           \
      "the write committed, but its invalidation never took effect "          \
      "(failed, timed out, or the writer died), so the cache kept the old "   \
      "value until it expired")                                               \
    X(INVALIDATION_MISSING, "invalidation-missing",                           \
      "this write path does not invalidate",                                  \
      "the write path does not invalidate the cache")                         \
    X(INVALIDATION_LAG, "invalidation-lag",                                   \
      "the read came between the commit and its invalidation",                \
      "the read came between the commit and its invalidation taking effect")  \
    X(STALE_FILL, "stale-fill",                                               \
      "a fill stored a value read before the commit, after the invalidation", \
      "a reader fetched the old value from the DB before the commit and "     \
      "stored it in the cache after the invalidation: the stale write-back "  \
      "race")                                                                 \
    X(OUT_OF_ORDER_UPDATE, "out-of-order-update",                             \
      "writers' SETs landed out of order",                                    \
      "writers' cache updates landed out of order, leaving an older version " \
      "on top")                                                               \
    X(LOCAL_NOT_INVALIDATED, "local-not-invalidated",                         \
      "the instance's local copy outlived the change",                        \
      "the instance's local copy outlived the change: nothing tells an "      \
      "instance about another's writes, so only its local TTL ends the "      \
      "window")                                                               \
    X(BUS_LOST, "bus-lost",                                                   \
      "the invalidation message to the answering instance never arrived",     \
      "the invalidation message to the instance that answered was lost (or "  \
      "arrived while it was disconnected), so its local copy lived on until " \
      "its TTL")                                                              \
    X(WRITE_BEHIND_LAG, "write-behind-lag",                                   \
      "the DB was behind writes the cache had acknowledged",                  \
      "the DB (or a fill from it) was behind writes the write-behind cache "  \
      "had already acknowledged")                                             \
    X(REPLICA_LAG, "replica-lag", "the replica had not applied the commit",   \
      "the read went to a replica that had not applied the commit yet")       \
    X(REFRESH_RACE, "refresh-race",                                           \
      "a background refresh stored a value read before the commit, after "    \
      "the invalidation",                                                     \
      "a background refresh (no client waiting) read the DB just before the " \
      "commit and stored the old value after the invalidation, with a whole " \
      "new TTL: the refresh's own stale write-back race")

#define ORACLE_ENUM_CAUSE(id, ...) ORACLE_CAUSE_##id,
typedef enum oracle_cause {
    ORACLE_CAUSES(ORACLE_ENUM_CAUSE)
    ORACLE_CAUSE_COUNT
} oracle_cause;
#undef ORACLE_ENUM_CAUSE

/* The DESIGN.md name of a cause, e.g. "stale-fill" ("?" out of range). */
const char *oracle_cause_name(oracle_cause c);
/* What the cause means, in a sentence ("see stalesim explain" if none). */
const char *oracle_cause_gist(oracle_cause c);
/* Its story for `stalesim explain` ("see the steps above" if none). */
const char *oracle_cause_story(oracle_cause c);
/* The cause named `name`, or -1. */
int oracle_cause_parse(const char *name);

/* What the write path does about cached copies of a commit. */
typedef enum oracle_plan {
    ORACLE_PLAN_NONE_PATTERN, /* the pattern never invalidates (ttl-only) */
    ORACLE_PLAN_NONE_PATH,    /* this write path forgets to invalidate */
    ORACLE_PLAN_PENDING,      /* an invalidation follows the commit */
    ORACLE_PLAN_DONE_BEFORE,  /* invalidated (successfully) before the commit */
    ORACLE_PLAN_FAILED_BEFORE /* tried to invalidate before the commit and failed */
} oracle_plan;

typedef enum oracle_set_kind {
    ORACLE_SET_FILL,  /* a reader's miss path storing what it read */
    ORACLE_SET_UPDATE, /* a writer storing the value it committed */
    ORACLE_SET_REFRESH /* a background refresh (no client waiting) storing what it
                   read: a superseded value opens a refresh-race window */
} oracle_set_kind;

/* Copy identifiers: the source of truth and the shared cache are fixed;
 * further copies (local caches, a write-behind DB, replicas) are registered
 * with oracle_add_copy and take ids 2, 3, ... */
#define ORACLE_SOURCE 0u
#define ORACLE_CACHE 1u
/* Copies the oracle tracks per key, the source and the shared cache
 * included: scenario_validate refuses scenarios that would need more
 * (2 + db.replicas + local.instances + 1 for write-behind's DB). */
#define ORACLE_MAX_COPIES 1024
#define ORACLE_MAX_PATHS 8 /* write paths told apart in stale_by_path */

/* What a copy is: it decides the cause of the windows a commit opens on it. */
typedef enum oracle_copy_kind {
    ORACLE_COPY_SOURCE,    /* the truth itself: never stale */
    ORACLE_COPY_SHARED,    /* the shared cache: the commit's plan decides */
    ORACLE_COPY_LOCAL,     /* an instance's cache with no invalidation bus:
                       local-not-invalidated */
    ORACLE_COPY_LOCAL_BUS, /* an instance's cache invalidated over a bus:
                       invalidation-lag, or bus-lost if the message is lost */
    ORACLE_COPY_DB_BEHIND, /* the DB behind a write-behind cache: write-behind-lag;
                       always present, never expires */
    ORACLE_COPY_REPLICA    /* a read replica: replica-lag; always present */
} oracle_copy_kind;

typedef enum oracle_verdict_kind {
    ORACLE_VERDICT_FRESH,
    ORACLE_VERDICT_CONCURRENT,
    ORACLE_VERDICT_STALE
} oracle_verdict_kind;

typedef struct oracle_verdict {
    oracle_verdict_kind kind;
    sim_time age;      /* ns, stale reads only */
    uint32_t lag;      /* versions behind at s, stale reads only */
    int ryw_violation; /* 1 if it broke read-your-writes */
    oracle_cause cause; /* stale reads: the window's cause as of the read
                           (invalidation-lag may still become -failed) */
} oracle_verdict;

/* The one rule that says what a read was, over commit instants known exactly
 * or only as intervals (audit judges recorded histories with it; oracle_read
 * uses it with exact instants).  A read invoked at `invoked` (s), answered at
 * `answered` (e), returned version v; version v+1 committed no earlier than
 * `next_lo` (L) and no later than `next_hi` (H), ns; SIM_TIME_MAX for both
 * when no newer version is known.  STALE iff H <= s; else CONCURRENT iff
 * L <= e; else FRESH.  For a stale read, *age_min = s - H and
 * *age_max = s - L (equal when the commit instant is exact); both are left
 * alone otherwise.  Requires L <= H. */
oracle_verdict_kind oracle_judge(sim_time invoked, sim_time answered,
                                 sim_time next_lo, sim_time next_hi,
                                 sim_time *age_min, sim_time *age_max);

/* What the oracle measured; counts exclude the warm-up. */
typedef struct oracle_counts {
    uint64_t reads, fresh, concurrent, stale;
    uint64_t over_bound;       /* stale reads with age > the bound */
    uint64_t ryw_violations;
    uint64_t commits;
    uint64_t windows;          /* closed stale windows */
    uint64_t censored_windows; /* still open at the end */
    uint64_t stale_by_cause[ORACLE_CAUSE_COUNT];  /* final after oracle_finish */
    /* the over_bound reads by their window's final cause (idem) */
    uint64_t over_bound_by_cause[ORACLE_CAUSE_COUNT];
    uint64_t stale_by_path[ORACLE_MAX_PATHS]; /* by the opening commit's path */
    uint64_t windows_by_cause[ORACLE_CAUSE_COUNT];
    /* Importance sampling (oracle_fault_mark): every counted stale read
     * weighs the likelihood ratio of the boosted faults that kept its
     * window open, 1 when none did.  Without marks stale_w == stale and
     * over_bound_w == over_bound exactly. */
    double stale_w;       /* sum of the stale reads' weights */
    double stale_w2;      /* sum of their squares (effective sample size) */
    double over_bound_w;  /* sum of the over_bound reads' weights */
    uint64_t weighted_stale; /* stale reads whose weight is not 1 */
    uint64_t overlap_stale;  /* ... of them, kept stale by faults of two or
                                more commits (the approximation's limit) */
    uint64_t fault_marks;    /* boosted faults reported (all of the run):
                                draws that failed, Poisson events */
    uint64_t overlaps;       /* of them, made while an earlier commit's
                                fault still kept the copy stale */
} oracle_counts;

/* What the oracle measured about one key family (oracle_set_families):
 * the same counts restricted to its keys, its stale-age and stale-window
 * histograms, and over_bound against the family's own bound. */
#define ORACLE_MAX_FAMILIES 8
typedef struct oracle_family {
    oracle_counts counts;
    sim_hist stale_age, stale_window; /* ns */
    sim_hist convergence, value_age;  /* ns, as oracle_convergence/value_age */
    sim_time bound;                   /* ns */
} oracle_family;

/* Creates an oracle for keys 0..nkeys-1, all at version 0 with no copy.
 * Returns NULL if memory is exhausted. */
oracle *oracle_create(uint32_t nkeys, sim_time warmup);
void oracle_destroy(oracle *o);

/* Counts stale reads older than `bound` ns apart (a freshness contract's
 * staleness bound; default: never). */
void oracle_set_bound(oracle *o, sim_time bound);

/* Key families: family f holds keys first_key[f] .. first_key[f+1]-1 (the
 * last up to nkeys-1); bound[f] is its staleness bound (NULL: never).
 * Everything is then also counted per family; the totals do not change.
 * Call once, before oracle_add_copy.  Returns 0 or -1 on ENOMEM. */
int oracle_set_families(oracle *o, int n, const uint32_t *first_key,
                        const sim_time *bound);
/* Family f's figures, or NULL without families. */
const oracle_family *oracle_get_family(const oracle *o, int f);

/* Registers a further copy of every key; returns its id, or ORACLE_NO_COPY
 * if memory ran out (nothing registered).  Copies that are always present
 * (a write-behind DB, replicas) start up to date. */
#define ORACLE_NO_COPY UINT32_MAX
uint32_t oracle_add_copy(oracle *o, oracle_copy_kind kind);

/* What copy `copy` is, and its rank among the copies of that kind (local
 * instance N, replica N; 0 for the source and the shared cache). */
oracle_copy_kind oracle_copy_kind_of(const oracle *o, uint32_t copy);
uint32_t oracle_copy_rank(const oracle *o, uint32_t copy);

/* Running out of memory while recording a fact (a key's commit history, a
 * further copy's state, the acknowledgement table growing) is an outside
 * fault, as in the kernel (sim/sim.h): the fact is dropped, the oracle is
 * marked failed and stays so, and every later fact is ignored.  The caller
 * checks oracle_failed and reports the run as failed (its figures are
 * incomplete); nothing aborts. */
int oracle_failed(const oracle *o);

void oracle_commit(oracle *o, uint32_t key, uint32_t version, sim_time t,
                   oracle_plan plan);
/* The same, for a write made through write path `path` (< ORACLE_MAX_PATHS);
 * oracle_commit is path 0. */
void oracle_commit_path(oracle *o, uint32_t key, uint32_t version, sim_time t,
                        oracle_plan plan, unsigned path);
/* The invalidation of commit `version` meant for `copy` will never arrive
 * (a lost bus message: cause bus-lost; a failed DEL: invalidation-failed). */
void oracle_copy_invalidation_lost(oracle *o, uint32_t key, uint32_t copy,
                                   uint32_t version, sim_time t,
                                   oracle_cause cause);
void oracle_invalidation_failed(oracle *o, uint32_t key, uint32_t version,
                                sim_time t);
void oracle_copy_set(oracle *o, uint32_t key, uint32_t copy, uint32_t version,
                     sim_time t, sim_time expires_at, oracle_set_kind kind);
/* copy_set for a value taken from copy `from` (ORACLE_SOURCE: the truth):
 * a superseded value inherits the cause of the stale window it came from. */
void oracle_copy_fill_from(oracle *o, uint32_t key, uint32_t copy,
                           uint32_t version, sim_time t, sim_time expires_at,
                           oracle_set_kind kind, uint32_t from);
void oracle_copy_remove(oracle *o, uint32_t key, uint32_t copy, sim_time t);
/* Importance sampling (models/rare.h): a boosted fault drawn at `now` left
 * copy `copy` of `key` holding a value older than `version` (the commit whose
 * invalidation it lost) from `from` (ns, >= now: when the invalidation would
 * have taken effect) on; lr is the likelihood ratio of its draw.  Every
 * stale read of a version < `version` that this copy serves at or after
 * `from`, from a window opened no later than `from`, weighs lr.  A second
 * mark on the same copy while the first still holds (the copy still holds a
 * value older than its commit) multiplies the ratios: a retry of the same
 * commit's invalidation, or an overlap when the commits differ (counted).
 * A fill from a marked copy passes the mark on to the copy filled. */
void oracle_fault_mark(oracle *o, uint32_t key, uint32_t copy,
                       uint32_t version, sim_time now, sim_time from,
                       double lr);
/* The same for one consequence of one event of a boosted Poisson process
 * (models/rare.h: an instance's disconnection that loses an invalidation
 * message): lr is the ratio of the event (lambda / lambda'), `event` (not 0)
 * names it.  A further mark of the same event on a copy it still keeps stale
 * (the same disconnection losing a later commit's message too) changes
 * nothing: one event, one ratio, no overlap.  Not counted as a fault:
 * oracle_fault_event counts the event once, when it happens. */
void oracle_fault_mark_event(oracle *o, uint32_t key, uint32_t copy,
                             uint32_t version, sim_time now, sim_time from,
                             double lr, uint64_t event);
/* The event number of marks left by fills that stem from a boosted event
 * (a local copy of a write-behind crash's refill, models/local.c): one
 * mark, its ratio, whatever refill made it (Poisson events count from 1). */
#define ORACLE_EVENT_REFILL UINT64_MAX
void oracle_fault_event(oracle *o);
/* A boosted event met the consequences of an earlier one (a cache outage
 * finding keys an earlier outage's ratio still weighs, stale): counted in
 * overlaps. */
void oracle_fault_overlap(oracle *o);
/* A read invoked at `invoked` that a boosted event (a cache outage) served
 * otherwise would have returned `version` without it (a hit of the copy the
 * outage emptied): if that version was superseded by `invoked`, `weight`
 * (1 - the event's ratio) counts as a stale read's weight, and as an
 * over-bound one's when it was that old.  The read itself is judged by
 * oracle_read_lr as usual; only stale_w, stale_w2 and over_bound_w change
 * (docs/rare-events.md, "Cache outages"). */
void oracle_counterfactual(oracle *o, uint32_t key, sim_time invoked,
                           uint32_t version, double weight);
/* The weight the marks give a stale read of what copy `copy` of key holds
 * at `now`, in its open window (whenever the marks start): 1 when the copy
 * is absent, fresh or unmarked. */
double oracle_copy_weight(oracle *o, uint32_t key, uint32_t copy,
                          sim_time now);
void oracle_ack(oracle *o, uint32_t client, uint32_t key, uint32_t version,
                sim_time t);
oracle_verdict oracle_read(oracle *o, uint32_t key, uint32_t client,
                           sim_time invoked, sim_time answered,
                           uint32_t version, uint32_t copy);
/* oracle_read of a read whose answer stems from a boosted event of ratio lr
 * (--rare; a write-behind crash, models/rare.h): if stale it weighs lr times
 * what the marks of its copy give it (1: oracle_read). */
oracle_verdict oracle_read_lr(oracle *o, uint32_t key, uint32_t client,
                              sim_time invoked, sim_time answered,
                              uint32_t version, uint32_t copy, double lr);

/* Closes every open window at `end` as censored and settles causes.  Call
 * once, after the last fact. */
void oracle_finish(oracle *o, sim_time end);

/* Latest committed version of a key. */
uint32_t oracle_latest(const oracle *o, uint32_t key);
/* Commit time of version v >= 1 of key (ns). */
sim_time oracle_commit_time(const oracle *o, uint32_t key, uint32_t version);

/* A hint that facts about key are coming (performance only). */
void oracle_prefetch(const oracle *o, uint32_t key);

const oracle_counts *oracle_get_counts(const oracle *o);
const sim_hist *oracle_stale_age(const oracle *o);    /* per stale read */
const sim_hist *oracle_stale_window(const oracle *o); /* per closed window */
/* Per write after warm-up: from its commit until every copy that held an
 * older value no longer does (removed, expired or overwritten); 0 when no
 * copy held one.  Writes still unreflected at the end are left out. */
const sim_hist *oracle_convergence(const oracle *o);
/* Per read after warm-up, fresh or not: invoked - commit time of the version
 * returned (version 0 counts from the start of the run; 0 for a version
 * committed while the read was in flight). */
const sim_hist *oracle_value_age(const oracle *o);
const sim_tally *oracle_censored_window(const oracle *o); /* open durations */

#endif
