/* History writer: a replication's operations as the JSON-lines history of
 * docs/history.md (version 1), for `stalesim run --history` and for audit.
 *
 * It is a tracer (trace_fn).  Every write appears: acknowledged (ok),
 * crashed after its commit, and still in flight at the end (pending, with its
 * committed version and committed_ns if it had committed).  Every answered
 * read appears with the copy that answered and the oracle's verdict; failed
 * reads appear with status fail.
 *
 * Order (docs/history.md): lines sorted by position, a read's completion or
 * a write's invocation, writes first at equal positions.  A write's line can
 * only be written once it completes, so completed operations wait in a heap
 * while some write invoked before them is in flight: memory is about
 * (operations/s) x (the longest write in flight), plus the writes in flight. */
#ifndef STALESIM_EXPERIMENTS_HISTORY_H
#define STALESIM_EXPERIMENTS_HISTORY_H

#include <stdio.h>

#include "models/scenario.h"
#include "models/trace.h"

typedef struct history_writer history_writer;

/* A writer to `out` (not owned).  The header line records `source` (e.g.
 * "simulation"), the scenario's file, seed, warm-up (unless chosen
 * automatically) and duration.  NULL if memory ran out. */
history_writer *history_writer_create(FILE *out, const scenario *sc,
                                      const char *source);
/* The trace_fn: ctx is the history_writer. */
void history_writer_trace(void *ctx, const trace_rec *rec);
/* Writes everything still held, writes in flight as pending.  Returns 0, or
 * -1 if memory ran out or writing failed (the FILE's error flag tells). */
int history_writer_finish(history_writer *h);
void history_writer_destroy(history_writer *h);

#endif
