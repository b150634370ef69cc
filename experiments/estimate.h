/* Estimate: what a scenario will cost before it runs — bytes of memory and
 * events per replication — so that a run that cannot fit the machine (or a
 * --max-memory bound) is refused at once with the key to blame, and a run
 * that will take very long is announced (docs/limits.md).
 *
 * Memory of one replication's world, from the scenario:
 *   - keys touched: keys x (1 - exp(-requests / keys)), each holding the DB
 *     version, the shared cache entry and the oracle's history and copy
 *     state (ESTIMATE_KEY_BYTES), plus per local instance and per replica
 *     their copy of it;
 *   - Zipf popularity: the alias table over every key and, while it is
 *     built, GSL's tables (ESTIMATE_ZIPF_KEY_BYTES a key);
 *   - commits: the oracle keeps every commit time (8 bytes, doubled
 *     arrays);
 *   - requests in flight: the request rate times the sum of the mean
 *     latencies (Little's law), each a request slot and its events.
 * A trace is held once, shared by every replication and worker.  The
 * per-key constants were measured (RSS of runs touching every key) and are
 * a model, not a bound: docs/limits.md lists estimate against measured RSS
 * for catalog scenarios.
 *
 * Events per replication are the requests times ESTIMATE_EVENTS_PER_REQUEST;
 * the time at ESTIMATE_EVENTS_PER_SECOND per worker. */
#ifndef STALESIM_EXPERIMENTS_ESTIMATE_H
#define STALESIM_EXPERIMENTS_ESTIMATE_H

#include <stddef.h>
#include <stdio.h>

#include "models/scenario.h"

#define ESTIMATE_BASE_BYTES (10.0 * 1024 * 1024) /* the process itself */
#define ESTIMATE_KEY_BYTES 190.0      /* a touched key, no locals/replicas */
#define ESTIMATE_LOCAL_KEY_BYTES 52.0 /* a touched key, per local instance */
#define ESTIMATE_REPLICA_KEY_BYTES 24.0 /* a touched key, per replica */
#define ESTIMATE_ZIPF_KEY_BYTES 56.0  /* every key: alias table + build */
#define ESTIMATE_COMMIT_BYTES 12.0    /* a commit's time, doubled arrays */
/* Address space every key reserves (per-key arrays allocated whole, pages
 * filled lazily): more than the machine holds fails at once (exit 3). */
#define ESTIMATE_KEY_RESERVE_BYTES 128.0
#define ESTIMATE_EVENTS_PER_REQUEST 2.6
#define ESTIMATE_EVENTS_PER_SECOND 2.5e6 /* one worker, this design's mix */
#define ESTIMATE_LONG_SECONDS 3600.0  /* warn above: an hour of work */
/* The sweep coordinator's bookkeeping: a planned run (its done flag and
 * metric value) and a point (its scenario and labels). */
#define ESTIMATE_RUN_BYTES 9.0
#define ESTIMATE_POINT_BYTES ((double)sizeof(scenario) + 1024.0)

typedef struct estimate {
    double world_bytes;  /* one replication's world, peak */
    double reserve_bytes; /* its per-key arrays, touched or not */
    double shared_bytes; /* held once for every replication (the trace) */
    double requests;     /* per replication */
    double events;       /* per replication */
    /* The largest term of world_bytes + shared_bytes and its key:
     * "workload.keys", "workload.reads", "workload.writes",
     * "local.instances", "db.replicas", "workload.trace". */
    const char *key;
    double key_bytes;
    char key_text[160];  /* what the key holds, "2.5e+08 keys, zipf" */
} estimate;

/* Fills *e for sc (which must be validated; its trace attached, else the
 * trace's size is taken as unknown and not counted). */
void estimate_scenario(const scenario *sc, estimate *e);

/* The machine's physical memory in bytes (sysconf), 0 if unknown. */
double estimate_machine_bytes(void);

/* Parses a --max-memory SIZE: a number of bytes with an optional K, M, G
 * or T suffix (powers of 1024; "B" and "iB" accepted: 512M, 2GiB, 1.5G).
 * Returns 0 and *bytes > 0, or -1. */
int estimate_parse_size(const char *text, double *bytes);

/* "1.5 GiB": bytes for people. */
void estimate_format_bytes(double bytes, char *buf, size_t len);

/* Refuses a run that cannot fit: the world of one replication times
 * `workers` at once (>= 1) plus `extra` bytes (a sweep's bookkeeping) plus
 * the shared trace, against `limit` bytes (0: the machine's memory).
 * Returns 0, or -1 with a one-line message naming sc's file and the key
 * (`what` names the limit: "--max-memory 1G" or NULL for the machine). */
int estimate_check(const scenario *sc, const estimate *e, int workers,
                   double extra, double limit, const char *what, char *err,
                   size_t errlen);

/* Prints "stalesim: warning: FILE: about N events per replication x R
 * replications: this will take about T (...)" to out when the work of
 * `runs` replications on `workers` workers exceeds ESTIMATE_LONG_SECONDS.
 * `events` is the sum of the runs' events.  Returns 1 if it warned. */
int estimate_warn_long(const scenario *sc, double events, double runs,
                       int workers, FILE *out);

#endif
