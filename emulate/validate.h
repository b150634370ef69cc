/* `stalesim emulate --validate`: the simulator's prediction, made with the
 * latencies just measured, beside the measurement.
 *
 * The prediction simulates the same scenario (same arrivals, TTL, faults,
 * mitigations) with every operation's latency replaced by what emulate
 * measured, as `empirical:` distributions of the raw samples (no fitting):
 * the request part (from the caller deciding to send to the effect on the
 * server, scenario delay included) becomes `*_latency`, and the response
 * part (effect to reply) becomes the operation's response key
 * ([db] read_response, ... when this build has them; else the samples of
 * every operation pooled into [cache] response_latency).  It runs
 * EMU_VALIDATE_REPS replications of the emulated duration.
 *
 * Each figure is printed with its 95% interval: the prediction's over its
 * replications (Student t); the measurement's over replications when there
 * are several, else batch means over EMU_BATCHES equal time slices of the
 * one replication (Student t, batches with no reads left out); quantiles
 * (stale age p50, p99) with the distribution-free order-statistic interval
 * of the pooled histogram.  A figure agrees when the difference is within
 * the combined interval (sqrt(h1^2 + h2^2), or the quantile intervals
 * overlap) or within 15% of the measured value. */
#ifndef STALESIM_EMULATE_VALIDATE_H
#define STALESIM_EMULATE_VALIDATE_H

#include <stdio.h>

#include "emulate/emulate.h"
#include "experiments/output.h"

#define EMU_VALIDATE_REPS 20

/* Simulates sc with r's latencies and prints measured, predicted and the
 * comparison in format f.  Returns 0, or -1 with a message. */
int emu_validate(const scenario *sc, const emu_result *r, output_format f,
                 FILE *out, char *err, size_t errlen);

#endif
