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
    TRACE_COMMIT,        /* `version` committed in the DB */
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

#endif
