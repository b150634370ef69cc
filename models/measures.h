/* Every measure a run reports, named once: the per-replication metrics, the
 * distributions and the per-family figures, each with its output name, unit,
 * how it is shown, its plot label and its one-line meaning.  world.h builds
 * its enums from these lists and measures.c its tables; output, the results
 * database, compare, summarize and the plots all take names, labels and
 * docs from here.  Adding a metric is one line below plus its counter
 * (world_effects.c counts, world_fill_metrics in world.c computes every
 * metric of a replication).
 *
 * X(ID, name, unit, shown, scale, label, brief, doc)
 *   ID     the constant is WORLD_METRIC_<ID> (WORLD_DIST_<ID>, WORLD_FIGURE_<ID>)
 *   name   the name in JSON, CSV and the results database (a column)
 *   unit   what one unit of the value is
 *   shown  WORLD_SHOWN_SHARE: a share shown as a percentage, higher is
 *          better (hit ratios); WORLD_SHOWN_NUMBER: significant digits
 *   scale  a plot axis's default for it (stalesim plot --log/--linear
 *          override): WORLD_SCALE_LOG for counts and fractions of failures
 *          and anomalies, rare and compared by ratios (a linear axis
 *          flattens the smaller curves onto zero); WORLD_SCALE_LINEAR for
 *          shares of success (hit ratios); WORLD_SCALE_AUTO (log when the
 *          values drawn span two decades) for rates and volumes
 *   label  its plot axis label, with the unit ("... per replication")
 *   brief  its name in a sentence and a plot title ("stale reads")
 *   doc    what it counts, one line (docs/output.md) */
#ifndef STALESIM_MODELS_MEASURES_H
#define STALESIM_MODELS_MEASURES_H

enum { WORLD_SHOWN_NUMBER, WORLD_SHOWN_SHARE };
enum { WORLD_SCALE_AUTO, WORLD_SCALE_LOG, WORLD_SCALE_LINEAR };

#define WORLD_METRICS(X)                                                      \
    X(STALE_READ_FRACTION, "stale_read_fraction", "fraction of reads",        \
      WORLD_SHOWN_NUMBER, WORLD_SCALE_LOG,                                    \
      "stale-read fraction (of all reads)", "stale-read fraction",            \
      "stale reads / all reads (after warm-up)")                              \
    X(HIT_RATIO, "hit_ratio", "fraction of reads", WORLD_SHOWN_SHARE,         \
      WORLD_SCALE_LINEAR, "hit ratio (reads answered by a cache)",            \
      "hit ratio", "reads answered by a cache copy / all reads")              \
    X(DB_READS_PER_S, "db_reads_per_s", "1/s", WORLD_SHOWN_NUMBER,            \
      WORLD_SCALE_AUTO, "DB reads/s", "DB reads/s",                           \
      "DB read operations per second")                                        \
    X(DB_WRITES_PER_S, "db_writes_per_s", "1/s", WORLD_SHOWN_NUMBER,          \
      WORLD_SCALE_AUTO, "DB writes/s", "DB writes/s",                         \
      "DB commits per second")                                                \
    X(READS, "reads", "reads", WORLD_SHOWN_NUMBER, WORLD_SCALE_AUTO,          \
      "reads per replication", "reads", "reads answered")                     \
    X(WRITES, "writes", "writes", WORLD_SHOWN_NUMBER, WORLD_SCALE_AUTO,       \
      "writes per replication", "writes", "writes issued")                    \
    X(STALE_READS, "stale_reads", "reads", WORLD_SHOWN_NUMBER,                \
      WORLD_SCALE_LOG, "stale reads per replication", "stale reads",          \
      "reads that returned a superseded version")                             \
    X(CONCURRENT_READS, "concurrent_reads", "reads", WORLD_SHOWN_NUMBER,      \
      WORLD_SCALE_LOG, "reads superseded in flight, per replication",         \
      "concurrent reads",                                                     \
      "reads superseded only while in flight (not stale)")                    \
    X(STALE_WINDOWS, "stale_windows", "windows", WORLD_SHOWN_NUMBER,          \
      WORLD_SCALE_LOG, "closed stale windows per replication",                \
      "stale windows", "stale windows that closed")                           \
    X(CENSORED_WINDOWS, "censored_windows", "windows", WORLD_SHOWN_NUMBER,    \
      WORLD_SCALE_LOG, "stale windows open at the end, per replication",      \
      "open stale windows", "stale windows still open at the end")            \
    X(INVALIDATIONS, "invalidations", "invalidations", WORLD_SHOWN_NUMBER,    \
      WORLD_SCALE_AUTO, "invalidations per replication", "invalidations",     \
      "invalidations issued after commits")                                   \
    X(INVALIDATIONS_FAILED, "invalidations_failed", "invalidations",          \
      WORLD_SHOWN_NUMBER, WORLD_SCALE_LOG,                                    \
      "failed invalidations per replication", "failed invalidations",         \
      "invalidations that never took effect")                                 \
    X(INVALIDATIONS_TIMED_OUT, "invalidations_timed_out", "invalidations",    \
      WORLD_SHOWN_NUMBER, WORLD_SCALE_LOG,                                    \
      "timed-out invalidations per replication", "timed-out invalidations",   \
      "invalidations whose caller timed out")                                 \
    X(WRITER_CRASHES, "writer_crashes", "writers", WORLD_SHOWN_NUMBER,        \
      WORLD_SCALE_LOG, "writer crashes per replication", "writer crashes",    \
      "writers that died between commit and invalidation")                    \
    X(RYW_VIOLATIONS, "ryw_violations", "reads", WORLD_SHOWN_NUMBER,          \
      WORLD_SCALE_LOG, "read-your-writes violations per replication",         \
      "read-your-writes violations",                                          \
      "reads older than the client's own acknowledged write")                 \
    X(LOST_WRITES, "lost_writes", "writes", WORLD_SHOWN_NUMBER,               \
      WORLD_SCALE_LOG, "lost writes per replication", "lost writes",          \
      "acknowledged writes never made durable")                               \
    X(INSTANCE_DISAGREEMENT, "instance_disagreement",                         \
      "fraction of samples", WORLD_SHOWN_NUMBER, WORLD_SCALE_LOG,             \
      "instance disagreement (fraction)", "instance disagreement",            \
      "fraction of sampled (key, time) points where instances disagree")      \
    X(OVER_MAX_STALENESS_FRACTION, "over_max_staleness_fraction",             \
      "fraction of reads", WORLD_SHOWN_NUMBER, WORLD_SCALE_LOG,               \
      "reads staler than the contract bound (fraction)",                      \
      "over-bound read fraction",                                             \
      "reads staler than [contract] max_staleness / all reads")               \
    X(LOCAL_HIT_RATIO, "local_hit_ratio", "fraction of reads",                \
      WORLD_SHOWN_SHARE, WORLD_SCALE_LINEAR,                                  \
      "local hit ratio (reads answered by a local cache)",                    \
      "local hit ratio",                                                      \
      "reads answered by an instance's local cache / all reads")              \
    X(CACHE_CRASHES, "cache_crashes", "crashes", WORLD_SHOWN_NUMBER,          \
      WORLD_SCALE_LOG, "cache node crashes per replication",                  \
      "cache crashes", "write-behind cache node crashes")                     \
    X(FAILED_READS, "failed_reads", "reads", WORLD_SHOWN_NUMBER,              \
      WORLD_SCALE_LOG, "failed reads per replication", "failed reads",        \
      "reads that ended with an error (cache outage with outage_fallback = "  \
      "fail)")                                                                \
    X(CACHE_OPS_PER_S, "cache_ops_per_s", "1/s", WORLD_SHOWN_NUMBER,          \
      WORLD_SCALE_AUTO, "cache operations/s", "cache operations/s",           \
      "shared-cache operations per second: GETs, SETs (fills, updates, "      \
      "refreshes, write-behind commits) and DELs, failed ones included")      \
    X(EVICTIONS, "evictions", "entries", WORLD_SHOWN_NUMBER,                  \
      WORLD_SCALE_AUTO, "evictions per replication", "evictions",             \
      "live entries the shared cache evicted to make room ([cache] "          \
      "capacity)")                                                            \
    X(OOM_ERRORS, "oom_errors", "SETs", WORLD_SHOWN_NUMBER,                   \
      WORLD_SCALE_LOG, "SETs refused by a full cache, per replication",       \
      "refused SETs",                                                         \
      "SETs a full shared cache refused (eviction = noeviction, or "          \
      "volatile-ttl with no key to evict): the old value stays")            \
    X(CACHE_GETS_PER_S, "cache_gets_per_s", "1/s", WORLD_SHOWN_NUMBER,        \
      WORLD_SCALE_AUTO, "cache GETs/s", "cache GETs/s",                       \
      "shared-cache GETs per second (GETs + SETs + DELs = cache_ops_per_s)")  \
    X(CACHE_SETS_PER_S, "cache_sets_per_s", "1/s", WORLD_SHOWN_NUMBER,        \
      WORLD_SCALE_AUTO, "cache SETs/s", "cache SETs/s",                       \
      "shared-cache SETs per second: fills, updates, refreshes, write-behind " \
      "commits, failed and refused ones included")                            \
    X(CACHE_DELS_PER_S, "cache_dels_per_s", "1/s", WORLD_SHOWN_NUMBER,        \
      WORLD_SCALE_AUTO, "cache DELs/s", "cache DELs/s",                       \
      "shared-cache DELs per second, failed and timed-out ones included")     \
    X(EVICTIONS_PER_S, "evictions_per_s", "1/s", WORLD_SHOWN_NUMBER,          \
      WORLD_SCALE_AUTO, "evictions/s", "evictions/s",                         \
      "evictions per second (see evictions)")                                 \
    X(BUS_PUBLISHED_PER_S, "bus_published_per_s", "1/s", WORLD_SHOWN_NUMBER,  \
      WORLD_SCALE_AUTO, "bus messages published/s",                           \
      "bus messages published/s",                                             \
      "invalidation messages published on the [local] pub/sub bus per "       \
      "second: one per commit made through an instance")                      \
    X(BUS_DELIVERED_PER_S, "bus_delivered_per_s", "1/s", WORLD_SHOWN_NUMBER,  \
      WORLD_SCALE_AUTO, "bus messages delivered/s",                           \
      "bus messages delivered/s",                                             \
      "bus messages that reached a connected subscriber (an instance other "  \
      "than the publisher), per second")                                      \
    X(BUS_LOST_PER_S, "bus_lost_per_s", "1/s", WORLD_SHOWN_NUMBER,            \
      WORLD_SCALE_AUTO, "bus messages lost/s", "bus messages lost/s",         \
      "bus messages lost on the way to a subscriber ([local] bus_loss), per " \
      "second")                                                               \
    X(BUS_MISSED_PER_S, "bus_missed_per_s", "1/s", WORLD_SHOWN_NUMBER,        \
      WORLD_SCALE_AUTO, "bus messages missed/s", "bus messages missed/s",     \
      "bus messages that arrived while their subscriber was disconnected, "   \
      "per second (delivered + lost + missed = published x (instances - 1))")

/* X(ID, name, doc): distributions in seconds (kept in ns), WORLD_D_<ID>;
 * every one is kept per key family too (WORLD_FD_<ID>). */
#define WORLD_DISTS(X)                                                        \
    X(STALE_AGE, "stale_age_s",                                               \
      "per stale read: its start - the commit time of the next version")      \
    X(STALE_WINDOW, "stale_window_s", "per closed stale window: its length")  \
    X(INVALIDATION_LAG, "invalidation_lag_s",                                 \
      "per effective invalidation: commit -> effect")                         \
    X(READ_LATENCY, "read_latency_s", "per read: invoked -> answered")        \
    X(DURABILITY_LAG, "durability_lag_s",                                     \
      "per write: acknowledgement -> the DB applying it")                     \
    X(CONVERGENCE, "convergence_s",                                           \
      "per write: commit -> reflected by every copy")                         \
    X(VALUE_AGE, "value_age_s",                                               \
      "per read: invoked -> commit of the value read")

/* X(ID, name, doc): figures kept per key family only, WORLD_F_<ID>. */
#define WORLD_FAMILY_FIGURES(X)                                               \
    X(HITS, "hits", "reads answered by a cache copy")                         \
    X(MISSES, "misses", "reads answered from the source of truth")            \
    X(BYPASS_READS, "bypass_reads",                                           \
      "reads of a bypass family (all to the DB)")                             \
    X(INVALIDATIONS_SUCCEEDED, "invalidations_succeeded",                     \
      "invalidations issued - failed")                                        \
    X(FALLBACK_DB_READS, "fallback_db_reads",                                 \
      "cache errors turned into DB reads")

#endif
