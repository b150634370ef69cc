/* The timeline plot: one stale read, explained by experiments/explain.c,
 * drawn as lanes — the clients involved, the cache, the DB — with each
 * recorded step on its lane, a connector from the client to the server where
 * its operation took effect, and the stale window shaded up to the read.
 *
 * Steps are spaced evenly along x and the x tics give their times relative
 * to the commit the read missed: a fill race lasts milliseconds and the
 * stale read may come minutes later, which no linear time axis shows at
 * once.  The shaded span is where the copy that answered held an older
 * version than the DB (reconstructed by the explainer), labelled with how
 * long it had lasted when the read came. */
#ifndef STALESIM_PLOTS_TIMELINE_H
#define STALESIM_PLOTS_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "experiments/explain.h"
#include "models/scenario.h"
#include "plots/gnuplot.h"

typedef struct plot_story {
    explain_step *step; /* oldest first, the stale read last (owned) */
    unsigned n;
    unsigned index;      /* which stale read of the replication, from 1;
                            0 when picked by nth == 0 */
    uint32_t rep;
    char context[512];   /* "account-limits.ini, cache-aside, TTL 300s" */
} plot_story;

#define PLOT_STORY_SCAN 50 /* stale reads nth == 0 looks through */

/* Runs replication `rep` of sc until its `nth` stale read (from 1) of cause
 * `cause` (an oracle_cause as known when the read ends; -1 any) and keeps
 * that read's story.  nth == 0 picks a telling story: only the first stale
 * read of each cause in a key's window reaches the explainer (a hot key's
 * repeated stale reads would push the commit out of its window), and of the
 * first PLOT_STORY_SCAN captured, the first that holds the commit the read
 * missed (else the first).  Returns PLOT_OK; PLOT_EINPUT when the replication has
 * fewer such stale reads (the message says how many); PLOT_ERUNTIME for
 * memory.  Free with plot_story_fini in every case. */
int plot_story_capture(plot_story *s, const scenario *sc, unsigned nth,
                       int cause, uint32_t rep, char *err, size_t errlen);
void plot_story_fini(plot_story *s);

/* One sentence: "Stale read 1 (key 42, client 17) returned v3 20.5s after
 * v4 committed; cause invalidation-failed: ...". */
void plot_story_describe(const plot_story *s, char *buf, size_t len);

/* Sends the plot.  Returns 0 or -1 (a write failed; gp_close reports). */
int plot_story_draw(const plot_story *s, gp *g);

#endif
