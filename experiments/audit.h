/* Audit: the oracle's judgement over a recorded history (docs/history.md),
 * streamed line by line.
 *
 * Each read is judged when its line arrives, by oracle_judge (the same rule
 * `run` uses), from what the history said about the writes of its key: the
 * ordering rule of the format (reads by completion, writes by invocation)
 * guarantees every write that can matter was read before.
 *
 * Memory: per key, its name, the highest version written, and the last
 * `depth` written versions (48 bytes each: version, writer, commit interval
 * [lo, hi], acknowledgement, line), plus one 24-byte record per copy whose
 * stale window of that key is open; per distinct `from` name, its text; and a
 * fixed set of histograms and 64 time batches.  Nothing grows with the length
 * of the history. */
#ifndef STALESIM_EXPERIMENTS_AUDIT_H
#define STALESIM_EXPERIMENTS_AUDIT_H

#include <stdint.h>
#include <stdio.h>

#include "models/oracle.h"
#include "sim/simtime.h"
#include "sim/stats.h"

#define AUDIT_BATCHES 64      /* time batches for the batch-means CI */
#define AUDIT_DEFAULT_DEPTH 16 /* versions kept per key */
#define AUDIT_SHOW_UNWRITTEN 10 /* reads of unwritten versions kept to show */

typedef struct audit audit;

typedef struct audit_options {
    sim_time warmup;     /* ns; reads invoked earlier are judged, not counted */
    int warmup_given;    /* 0: the header's warmup_ns (else 0) */
    sim_time bound;      /* ns: max_staleness, for over_bound */
    uint32_t depth;      /* versions kept per key (>= 2) */
} audit_options;

/* A read that returned a version no write of its key had committed. */
typedef struct audit_unwritten {
    uint64_t line;
    uint32_t version;
    char key[64]; /* as written in the history (truncated) */
} audit_unwritten;

/* What the audit measured (read-only outside audit.c).  Counts exclude reads
 * invoked before the warm-up, and writes invoked before it. */
typedef struct audit_result {
    uint64_t lines, keys;
    uint64_t reads, fresh, concurrent, stale, failed_reads;
    uint64_t writes, writes_committed, writes_exact; /* exact: committed_ns */
    uint64_t hits, local_hits;      /* reads from `cache` / `local.*` */
    uint64_t ryw_violations, over_bound;
    uint64_t windows, censored_windows;
    uint64_t unwritten_reads;
    uint64_t verdicts_given, verdict_disagreements;
    uint64_t beyond_depth; /* reads older than the versions kept */
    uint64_t causes[ORACLE_CAUSE_COUNT], causes_given;
    audit_unwritten unwritten[AUDIT_SHOW_UNWRITTEN];
    sim_hist stale_age_min, stale_age_max; /* ns; equal in exact mode */
    sim_hist stale_window;                 /* ns, observed (docs/audit.md) */
    sim_hist read_latency;                 /* ns */
    sim_time warmup, first_t, last_t, end; /* ns */
    int have_header;
    /* Batches of equal invoke time from the first counted read: batch i
     * covers [t0 + i*width, t0 + (i+1)*width). */
    sim_time batch_t0, batch_width;
    uint32_t nbatches;
    uint64_t batch_reads[AUDIT_BATCHES], batch_stale[AUDIT_BATCHES],
        batch_over[AUDIT_BATCHES];
} audit_result;

/* NULL if memory ran out. */
audit *audit_create(const audit_options *opt);
void audit_destroy(audit *a);

#define AUDIT_LINE_MAX (1 << 20) /* bytes of one history line */

/* Reads the history from `in` (named `name` in messages) to its end, then
 * closes open windows.  Returns 0; 2 for bad input with "NAME:LINE: ..." in
 * err; 3 for I/O errors or exhausted memory.  Call once. */
int audit_stream(audit *a, FILE *in, const char *name, char *err,
                 size_t errlen);

const audit_result *audit_get_result(const audit *a);

/* Bytes the audit holds now (key states, windows, tables, the line buffer):
 * what the streaming promise is about, for tests and `--format json`. */
size_t audit_memory(const audit *a);

/* The per-batch fractions x[i] = num[i] / reads[i] of the batches with reads,
 * into x (AUDIT_BATCHES long); returns how many. */
size_t audit_batch_fractions(const audit_result *r, const uint64_t *num,
                             double *x);

#endif
