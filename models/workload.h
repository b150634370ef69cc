/* The workload: when requests arrive, whether each reads or writes, which key
 * and which client.
 *
 * Synthetic arrivals form one stream at the total rate reads + writes (Poisson
 * or evenly spaced); each arrival is a read with probability reads/(reads +
 * writes).  Inter-arrival times, the read/write choice and the client come from
 * the ARRIVALS stream, keys from the KEYS stream, and nothing else draws from
 * them: replication r of two configurations sees identical requests.  Keys are
 * uniform or Zipf: key i (0 = most popular) has weight 1/(i+1)^s, sampled in
 * O(1) with a Walker alias table (gsl_ran_discrete).
 *
 * A scripted workload replays a fixed list of requests instead (tests,
 * traces). */
#ifndef STALESIM_MODELS_WORKLOAD_H
#define STALESIM_MODELS_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "models/scenario.h"
#include "sim/rng.h"
#include "sim/simtime.h"

typedef enum workload_kind { OP_READ, OP_WRITE } workload_kind;

typedef struct workload_op {
    sim_time at; /* ns: arrival time */
    workload_kind kind;
    uint32_t key;
    uint32_t client;
} workload_op;

typedef struct workload workload;

/* Synthetic workload from the scenario.  Returns NULL on ENOMEM. */
workload *workload_create(const scenario *sc);
/* Replays ops[0..n-1] (sorted by `at`; copied). */
workload *workload_create_scripted(const workload_op *ops, size_t n);
void workload_destroy(workload *w);

/* The next arrival after `now`, drawn from r.  Returns 1, or 0 when a
 * scripted workload is exhausted (synthetic ones never are). */
int workload_next(workload *w, const sim_rng *r, sim_time now,
                  workload_op *op);

#endif
