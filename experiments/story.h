/* The story of one stale read for the timeline plot: runs a replication of
 * a scenario with the explainer attached, picks the read, and lays its steps
 * out as plots/timeline.h draws them (lanes, labels, relative times, the
 * stale window, the sentence). */
#ifndef STALESIM_EXPERIMENTS_STORY_H
#define STALESIM_EXPERIMENTS_STORY_H

#include <stddef.h>
#include <stdint.h>

#include "models/scenario.h"
#include "plots/timeline.h"

enum {
    STORY_OK = 0,
    STORY_EINPUT = -1,  /* the replication has too few such stale reads */
    STORY_ERUNTIME = -2 /* memory */
};

#define STORY_SCAN 50 /* stale reads nth == 0 looks through */

/* Runs replication `rep` of sc until its `nth` stale read (from 1) of cause
 * `cause` (an oracle_cause as known when the read ends; -1 any) and lays
 * that read's story out into *s.  nth == 0 picks a telling story: only the
 * first stale read of each cause in a key's window reaches the explainer (a
 * hot key's repeated stale reads would push the commit out of its window),
 * and of the first STORY_SCAN captured, the first that holds the commit the
 * read missed (else the first).  Returns STORY_OK; STORY_EINPUT when the
 * replication has fewer such stale reads (the message says how many);
 * STORY_ERUNTIME for memory. */
int story_capture(plot_story *s, const scenario *sc, unsigned nth, int cause,
                  uint32_t rep, char *err, size_t errlen);

#endif
