/* The workload: when requests arrive, whether each reads or writes, which key
 * and which client.
 *
 * Synthetic arrivals form one stream at the total rate reads + writes
 * (Poisson, evenly spaced, or bursty); each arrival is a read with
 * probability reads/(reads + writes).  Inter-arrival times, the read/write
 * choice and the client come from the ARRIVALS stream, keys from the KEYS
 * stream, and nothing else draws from them: replication r of two
 * configurations sees identical requests.  Keys are uniform or Zipf: key i
 * (0 = most popular) has weight 1/(i+1)^s, sampled in O(1) with a Walker alias
 * table (gsl_ran_discrete).
 *
 * Bursty arrivals (bursty:ON,OFF,FACTOR) alternate exponential on and off
 * periods of means ON and OFF; the rate when on is FACTOR times the rate when
 * off, and the base (off) rate is set so that the long-run mean is still
 * reads + writes: base = R (ON + OFF) / (FACTOR ON + OFF).  Gaps are
 * exponential at the current period's rate and redrawn at each period
 * boundary (exact, by memorylessness).  The first period is on with
 * probability ON / (ON + OFF), so the process is stationary from time 0.
 * Period lengths come from the ARRIVALS stream too, so poisson and constant
 * workloads draw exactly what they always drew.
 *
 * A scripted workload replays a fixed list of requests instead (tests), and a
 * trace workload ([workload] trace = FILE) replays a file: the Twitter cache
 * trace format or a `time,key,op` CSV (see workload_trace_read).  A trace
 * replaces the synthetic arrivals entirely (rates, arrivals, popularity and
 * clients are then unused); it starts at time 0 and plays once per
 * replication, cut off by the run's duration. */
#ifndef STALESIM_MODELS_WORKLOAD_H
#define STALESIM_MODELS_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "models/scenario.h"
#include "sim/rng.h"
#include "sim/simtime.h"

typedef enum workload_kind { WORKLOAD_READ, WORKLOAD_WRITE } workload_kind;

typedef struct workload_op {
    sim_time at; /* ns: arrival time */
    workload_kind kind;
    uint32_t key;
    uint32_t client;
} workload_op;

typedef struct workload workload;

/* A trace read into memory.  Keys (and Twitter client ids) are numbered
 * densely 0, 1, ... in order of first appearance. */
typedef struct workload_trace {
    workload_op *ops;  /* [n], sorted by `at`; ns from the first request */
    size_t n;
    uint32_t keys;     /* distinct keys */
    uint32_t clients;  /* distinct clients (csv: 1, every request is client 0) */
    size_t reads, writes, deletes; /* by operation; deletes are writes too */
} workload_trace;

#define WORKLOAD_TRACE_LINE_MAX 4096 /* bytes of one trace line */

/* Reads a whole trace from f; `name` stands for the file in messages.
 *
 * twitter: "timestamp,key,key_size,value_size,client_id,operation,ttl", one
 *   request a line; timestamp, sizes, client id and TTL whole numbers >= 0
 *   (sizes and TTL are checked, then ignored: the scenario's TTL applies).
 *   get/gets are reads; set/add/replace/cas/append/prepend/incr/decr are
 *   writes; delete is a write too (a commit followed by the pattern's
 *   invalidation: in a cache trace a delete is the application invalidating
 *   after it changed the source of truth).  The k requests of one second are
 *   spread evenly over it: the j-th (from 0) at second + j/k.
 * csv: "time,key,op", time in seconds (digits with an optional fraction, up
 *   to ns), op `read` or `write`; an optional header line `time,key,op`.  All
 *   requests are client 0.
 * Both: operations are case-insensitive and fields may be padded with blanks;
 *   blank lines are skipped; times must not go back; time 0 of the run is the
 *   first request's time.
 * Returns 0 and fills *t (free with workload_trace_fini), or -1 with a
 * one-line message "NAME:LINE: reason" (or "NAME: reason") and *t empty. */
int workload_trace_read(FILE *f, const char *name, int format,
                        workload_trace *t, char *err, size_t errlen);

/* Reads the scenario's trace ([workload] trace, relative to sc->basedir
 * unless absolute, in [workload] trace_format) and checks that [workload]
 * keys covers its distinct keys.  Returns 0, or -1 with a one-line message. */
int workload_trace_load(const scenario *sc, workload_trace *t, char *err,
                        size_t errlen);

/* 0 when the scenario has no trace or its trace loads; else -1 with the
 * message of workload_trace_load.  For the CLI, so that a bad trace is bad
 * input (exit 2) before any replication runs. */
int workload_trace_check(const scenario *sc, char *err, size_t errlen);

void workload_trace_fini(workload_trace *t);

/* A trace read once per command and shared read-only: every replication of
 * a run, every forked worker (copy-on-write) and every scenario copied from
 * it replays the same ops instead of parsing the file again.  It remembers
 * the file (resolved path) and format it was read from; a scenario whose
 * [workload] trace or trace_format differs (a --set, a sweep axis) does not
 * use it.  Reference counts are not atomic: attach, copy and finalise
 * scenarios in one thread. */
typedef struct workload_trace_shared workload_trace_shared;

/* Reads the scenario's trace once and attaches it to sc->trace_shared
 * (dropping a previous one that no longer matches), checking [workload]
 * keys as workload_trace_load does.  If `peer` (may be NULL) holds the same
 * trace, its copy is shared instead of reading the file again.  Nothing
 * happens for a scenario without a trace.  Returns 0, or -1 with
 * workload_trace_load's message. */
int workload_trace_attach(scenario *sc, const scenario *peer, char *err,
                          size_t errlen);

/* The attached trace's requests (and its distinct keys in *keys); 0 for
 * NULL. */
size_t workload_trace_shared_ops(const workload_trace_shared *s,
                                 uint32_t *keys);

/* Reference counting for scenario_copy and scenario_fini (NULL: nothing). */
void workload_trace_shared_retain(workload_trace_shared *s);
void workload_trace_shared_release(workload_trace_shared *s);

/* The scenario's workload: its trace if [workload] trace is set (the
 * attached copy when it matches, else read from the file), else the
 * synthetic arrivals.  Returns NULL on ENOMEM, or when the trace cannot be
 * loaded (workload_trace_check says why). */
workload *workload_create(const scenario *sc);
/* Replays ops[0..n-1] (sorted by `at`; copied). */
workload *workload_create_scripted(const workload_op *ops, size_t n);
void workload_destroy(workload *w);

/* The next arrival after `now`, drawn from r.  Returns 1, or 0 when a
 * scripted workload is exhausted (synthetic ones never are). */
int workload_next(workload *w, const sim_rng *r, sim_time now,
                  workload_op *op);

/* The keys the last workload_next resolved, in arrival order, for
 * prefetching their state (performance only): a Zipf workload resolves its
 * keys a batch at a time (the arrival just returned is then the first) and
 * reports none in between; every other workload reports the arrival's own
 * key.  *keys stays valid until the next workload_next. */
size_t workload_resolved(const workload *w, const uint32_t **keys);

#endif
