/* Trace: what happened in a replication, one record per step, for the
 * people who must understand it (stalesim explain) and for tools that check
 * histories (stalesim run --history).
 *
 * The world emits a record at every request invocation, every effect at a
 * server (GET, SET, DEL, DB read, commit), every fault and every answer, in
 * time order, to a tracer the caller installs.  Without a tracer nothing is
 * recorded and the cost is one branch per step. */
#ifndef STALESIM_MODELS_TRACE_H
#define STALESIM_MODELS_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/simtime.h"

typedef enum trace_op {
    TRACE_READ,          /* a client invokes a read */
    TRACE_WRITE,         /* a client invokes a write */
    TRACE_HIT,           /* the cache GET found `version` */
    TRACE_MISS,          /* the cache GET found nothing */
    TRACE_DB_READ,       /* the DB read returned `version` */
    TRACE_FILL,          /* the fill SET of `version` took effect */
    TRACE_FILL_FAILED,   /* the fill SET errored: nothing stored */
    TRACE_COMMIT,        /* `version` committed: in the DB (from_kind
                            ORACLE_COPY_SOURCE), or accepted by a write-behind cache
                            (ORACLE_COPY_SHARED), which then holds it */
    TRACE_DEL,           /* the DEL took effect: the entry is gone */
    TRACE_DEL_FAILED,    /* the DEL errored: nothing deleted */
    TRACE_DEL_TIMEOUT,   /* the caller gave up on its DEL (lands later or never) */
    TRACE_DEL_LATE,      /* a timed-out DEL took effect after all */
    TRACE_UPDATE,        /* the writer's SET of `version` took effect */
    TRACE_UPDATE_FAILED, /* the writer's SET errored */
    TRACE_CRASH,         /* the writer died after its commit */
    TRACE_READ_DONE,     /* the read answered `version` (verdict below) */
    TRACE_WRITE_DONE,    /* the write was acknowledged */
    TRACE_READ_FAILED,   /* the read ended with an error (no value) */
    /* Copies other than the shared cache; the copy is from_kind/from_rank: */
    TRACE_LOCAL_HIT,     /* the instance's local cache held `version` */
    TRACE_LOCAL_MISS,    /* the instance's local cache held nothing */
    TRACE_LOCAL_FILL,    /* the instance stored `version` in its local cache */
    TRACE_LOCAL_DROP,    /* the writer's own instance dropped its copy */
    TRACE_LOCAL_RESTART, /* a deploy restarted the instance: its copy is gone */
    TRACE_BUS_PUBLISH,   /* the writer published the invalidation of `version`
                            (from_kind/rank: the publishing instance) */
    TRACE_BUS_DELIVER,   /* the message reached the instance: copy dropped */
    TRACE_BUS_LOST,      /* the bus lost the message to the instance */
    TRACE_BUS_MISSED,    /* the instance was disconnected: message dropped */
    TRACE_REPLICA_APPLY, /* the replica applied `version` */
    TRACE_FLUSH_APPLY,   /* the DB behind a write-behind cache applied it */
    TRACE_CACHE_EMPTIED, /* the shared cache crashed or went down: the
                            entry is gone */
    TRACE_EVICTED,       /* the full shared cache evicted the entry (of
                            `version`) to make room for another SET */
    TRACE_SET_REFUSED,   /* the full shared cache refused the SET of
                            `version` (noeviction): an OOM error */
    TRACE_OP_COUNT
} trace_op;

/* Where a value came from. */
#define TRACE_FROM_SOURCE 0 /* the database */
#define TRACE_FROM_CACHE 1  /* the shared cache */

typedef struct trace_rec {
    sim_time t;        /* ns: when it happened */
    sim_time invoked;  /* ns: the request's invocation (s) */
    uint64_t request;  /* serial number of the request, from 1; 0 = none */
    uint32_t key;
    uint32_t client;
    uint32_t version;  /* the version read, stored, committed or acked */
    uint8_t op;        /* trace_op */
    uint8_t is_write;  /* the request is a write */
    uint8_t background; /* the request is a pattern's background work (a
                           refresh), no client's */
    /* from_kind/from_rank also name the copy of TRACE_DB_READ (the DB, a
     * replica, the DB behind a write-behind cache) and of the local, bus,
     * replica and flush steps. */
    /* TRACE_READ_DONE only: */
    uint8_t from;      /* TRACE_FROM_* */
    uint8_t from_kind; /* oracle_copy_kind of the copy that answered */
    uint32_t from_rank; /* which one of that kind (local instance, replica) */
    uint8_t verdict;   /* oracle_verdict_kind */
    uint8_t cause;     /* oracle_cause of a stale read, as of the read */
    uint8_t ryw;       /* 1: a read-your-writes violation */
    uint32_t lag;      /* versions behind */
    sim_time age;      /* ns: staleness of a stale read */
} trace_rec;

typedef void (*trace_fn)(void *ctx, const trace_rec *rec);

/* "commit", "del-failed", ... */
const char *trace_op_name(trace_op op);

/* The copy of record r (from_kind, from_rank) by the history format's names
 * (docs/history.md): "db", "cache", "local.N", "replica.N", "db-behind". */
void trace_copy_name(const trace_rec *r, char *buf, size_t len);
/* The same for people: "the DB", "the shared cache", "instance 2's local
 * cache", "replica 0", "the DB behind the write-behind cache". */
void trace_copy_text(const trace_rec *r, char *buf, size_t len);

#endif
