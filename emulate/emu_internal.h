/* Shared between the emulator's driver (emulate.c), its protocols
 * (protocol.c) and its judge (judge.c); not for other modules. */
#ifndef STALESIM_EMULATE_EMU_INTERNAL_H
#define STALESIM_EMULATE_EMU_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "emulate/backend.h"
#include "emulate/emulate.h"
#include "models/oracle.h"
#include "models/world.h"
#include "sim/rng.h"

/* What happened, as the oracle will be told it.  Times are ns from the
 * replication's start (host CLOCK_REALTIME minus t0). */
typedef enum emu_fact_type {
    FACT_COMMIT,     /* t commit (PostgreSQL); t2 invoked; arg plan */
    FACT_INVAL_FAIL, /* the invalidation of commit `version` never lands */
    FACT_REMOVE,     /* DEL took effect at t (Redis); version: the commit it
                        invalidates, 0 before the commit */
    FACT_SET,        /* SET stored at t (Redis); t2 expires_at; arg kind */
    FACT_DB_READ,    /* a DB read's snapshot at t returned `version` */
    FACT_READ,       /* a read answered at t, invoked t2; arg 1 from cache */
    FACT_ACK,        /* a write acknowledged at t; t2 invoked */
    FACT_CRASH       /* a writer died after its commit (at t); t2 invoked */
} emu_fact_type;

typedef struct emu_fact {
    sim_time t, t2;
    uint64_t request; /* the arrival's serial number, from 1 */
    uint32_t key, version, client;
    uint8_t type, arg;
} emu_fact;

typedef struct emu_samples {
    sim_time *v;
    size_t n, cap;
} emu_samples;

/* A key's single-flight load (read-through), guarded by the shared mutex. */
typedef struct emu_load {
    uint32_t running; /* 1 while a load is in flight */
    uint32_t gen;     /* loads started so far */
    uint32_t filled;  /* the last load's SET stored */
    uint32_t version; /* what it stored */
} emu_load;

typedef struct emu_late_del {
    sim_time at; /* ns: when to send it */
    uint32_t key, version;
} emu_late_del;

struct emu_shared;

typedef struct emu_worker {
    struct emu_shared *sh;
    pthread_t thread;
    int started;
    unsigned index;
    emu_conn *conn;
    sim_rng rng;             /* latencies and faults of this thread */
    emu_fact *facts;
    size_t nfacts, cap;
    emu_samples samples[EMU_OP_COUNT][2]; /* request, response parts */
    world_counts counts;     /* after the warm-up */
    uint64_t tokens;         /* lease tokens made */
    int failed;
    char err[512];
} emu_worker;

typedef struct emu_shared {
    const scenario *sc;
    const emu_options *opt;
    uint32_t rep;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    workload *load;
    sim_rng arrivals;        /* the simulator's streams for (seed, rep) */
    workload_op next;        /* the next arrival */
    int have_next;
    uint64_t serial;         /* arrivals taken so far */
    emu_late_del *late;      /* binary heap by `at` */
    size_t nlate, late_cap;
    int64_t t0;              /* CLOCK_REALTIME ns at time 0 */
    sim_time end;            /* ns: arrivals stop here (run.duration) */
    int stop;                /* an error or a signal: workers leave */
    emu_load *loads;         /* [keys], read-through only */
    uint64_t done, late_starts;
    emu_worker *workers;
    unsigned nworkers;
    /* The response part of each operation ([cache] get_response, ...,
     * [db] read_response, write_response) when this build has those keys
     * (split = 1); else every operation uses [cache] response_latency. */
    int split;
    sim_dist response[EMU_OP_COUNT];
} emu_shared;

/* Host clock, ns from the replication's start. */
sim_time emu_now(const emu_shared *sh);

/* protocol.c: serve one arrival, or send a late DEL, on worker w.  On a
 * backend failure they set w->failed and w->err. */
void emu_serve(emu_worker *w, const workload_op *op, uint64_t serial);
void emu_send_late_del(emu_worker *w, const emu_late_del *d);
/* Schedules a DEL to be sent at `at` (under the shared mutex inside). */
int emu_schedule_late_del(emu_shared *sh, sim_time at, uint32_t key,
                          uint32_t version);
int emu_fact_add(emu_worker *w, const emu_fact *f);

/* judge.c: feeds every worker's facts, in time order, to a fresh oracle and
 * fills replication `rep` of r (metrics, distributions, causes, batches);
 * writes the history when asked. */
int emu_judge(emu_shared *sh, emu_result *r, uint32_t rep, FILE *history,
              char *err, size_t errlen);

#endif
