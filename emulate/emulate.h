/* `stalesim emulate`: a scenario's workload run in real time against a real
 * Redis and a real PostgreSQL, its history judged by the simulator's oracle.
 *
 * Clients.  The arrivals are the simulator's (models/workload.c: the same
 * generator, seed and replication numbers, so request i of replication r is
 * the same key, kind and client as in `stalesim run`), each started at its
 * arrival instant of real time.  They are served by a pool of threads with
 * one blocking Redis connection and one blocking PostgreSQL connection each
 * (min(clients, EMU_MAX_THREADS) threads): a request occupies its thread
 * from start to acknowledgement, as a request occupies an application
 * thread and its pooled connections.  When every thread is busy an arrival
 * waits for one; such late starts are counted (`late_starts`) and the read
 * is judged from its real start.
 *
 * Protocols (emulate/protocol.c) run the pattern's real steps: GET; on a
 * miss SELECT then SET with PX; writes commit with UPDATE and then DEL,
 * SET, or nothing as the pattern says; with the mitigations that have a
 * Redis form.  Faults are drawn at the client with the scenario's
 * probabilities (models/faults.c), and scenario latencies are added as
 * client-side sleeps before each operation is sent (--real-latency: none).
 *
 * Judging (emulate/judge.c) turns what happened into the oracle's facts,
 * ordered by time: commits at PostgreSQL's clock, cache effects at Redis's
 * clock (TIME inside each script), reads at the client's invocation and
 * answer.  All three are CLOCK_REALTIME of one host; times in the output are
 * ns from the start of the replication. */
#ifndef STALESIM_EMULATE_EMULATE_H
#define STALESIM_EMULATE_EMULATE_H

#include <signal.h>
#include <stdio.h>

#include "emulate/backend.h"
#include "experiments/run.h"
#include "models/scenario.h"
#include "sim/stats.h"

#define EMU_MAX_THREADS 64

/* Operation kinds whose latency is measured. */
typedef enum emu_op {
    EMU_GET,
    EMU_SET,
    EMU_DEL,
    EMU_DB_READ,
    EMU_DB_WRITE,
    EMU_OP_COUNT
} emu_op;
const char *emu_op_name(emu_op k); /* "get", "set", "del", "db_read", ... */

/* Parts of an operation's latency: from the caller deciding to issue it
 * (before any scenario delay) to the effect on the server, from the effect
 * to the reply, and the two together. */
typedef enum emu_part { EMU_REQUEST, EMU_RESPONSE, EMU_TOTAL, EMU_PART_COUNT } emu_part;

/* Time batches for batch-means intervals over a single replication. */
#define EMU_BATCHES 10

/* Everything emulate measured. */
typedef struct emu_result {
    run_summary *sum; /* as `run` prints it; metrics per replication */
    sim_hist latency[EMU_OP_COUNT][EMU_PART_COUNT]; /* ns, pooled */
    /* Samples of the request and response parts, ns (for empirical:). */
    sim_time *samples[EMU_OP_COUNT][2];
    size_t nsamples[EMU_OP_COUNT][2];
    /* Per time batch of replication 0 after the warm-up: reads, stale reads,
     * reads answered from the cache, DB reads, and the batch's length. */
    double batch_reads[EMU_BATCHES], batch_stale[EMU_BATCHES];
    double batch_hits[EMU_BATCHES], batch_db_reads[EMU_BATCHES];
    double batch_s;
    uint64_t late_starts;     /* arrivals started > 1 ms after their time */
    uint64_t clock_conflicts; /* facts the clocks could not order (judge.c) */
    uint64_t threads;
} emu_result;

void emu_result_destroy(emu_result *r);

typedef struct emu_options {
    emu_target target;          /* where the servers are */
    int real_latency;           /* 1: add no scenario latency */
    FILE *progress;             /* a terminal for the progress line, or NULL */
    FILE *history;              /* replication 0's operations, or NULL */
    volatile sig_atomic_t *stop; /* set by a signal: stop soon */
} emu_options;

/* Checks that emulate can run sc faithfully.  Returns 0, or -1 with
 * "emulate cannot run KEY = VALUE: reason" (the feature is named). */
int emu_check_scenario(const scenario *sc, char *err, size_t errlen);

/* Runs sc.run.reps replications of sc.run.duration of real time.  Returns 0
 * and *out; 1 if interrupted (*out NULL); -1 with a message on a server or
 * connection failure. */
int emu_run(const scenario *sc, const emu_options *opt, emu_result **out,
            char *err, size_t errlen);

#endif
