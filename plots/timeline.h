/* The timeline plot: one stale read drawn as lanes — the clients involved,
 * the cache, the DB — with each step on its lane, a connector from the
 * client to the server where its operation took effect, and the stale
 * window shaded up to the read.
 *
 * The story arrives laid out (experiments/story.c runs the scenario, picks
 * the read and decides the lanes, labels and times): this file only draws
 * it.  Steps are spaced evenly along x and the x tics give their times
 * relative to the commit the read missed: a fill race lasts milliseconds and
 * the stale read may come minutes later, which no linear time axis shows at
 * once. */
#ifndef STALESIM_PLOTS_TIMELINE_H
#define STALESIM_PLOTS_TIMELINE_H

#include <stddef.h>

#include "plots/gnuplot.h"

#define PLOT_STORY_STEPS 64  /* steps drawn at most */
#define PLOT_STORY_CLIENTS 5 /* client lanes; further clients share one */

/* Lanes along y, bottom up: the DB, the cache, then up to two more server
 * lanes (the copy that answered, the bus; plot_story.server), then the
 * client lanes from plot_story.client0. */
enum { PLOT_LANE_DB = 0, PLOT_LANE_CACHE = 1, PLOT_LANE_CLIENT0 = 2 };

typedef enum plot_step_kind {
    PLOT_STEP_CLIENT = 0, /* a client's own step */
    PLOT_STEP_SERVER = 1, /* an operation taking effect at the cache or DB */
    PLOT_STEP_COMMIT = 2, /* the commit the read missed */
    PLOT_STEP_READ = 3    /* the stale read (the last step) */
} plot_step_kind;

typedef struct plot_story_step {
    int lane;         /* PLOT_LANE_*, a server lane, or client0 + client */
    int link;         /* the client lane whose operation this is, drawn as a
                         connector to `lane`; -1: none */
    plot_step_kind kind;
    char text[64];    /* "GET hit v3", "commit v4", "STALE v3" */
    char time[48];    /* x tic: time relative to the origin, "+4.2ms" */
} plot_story_step;

/* One story, laid out.  Every string is plain text; the drawing quotes it. */
typedef struct plot_story {
    plot_story_step step[PLOT_STORY_STEPS];
    unsigned n;                      /* steps drawn, the read last */
    char client[PLOT_STORY_CLIENTS][64]; /* client lane names, bottom up */
    int nclients;
    int others;                      /* 1: an "other clients" lane on top */
    char server[2][64];              /* lanes PLOT_LANE_CLIENT0 + i: "bus",
                                        "instance 1's local cache" */
    int nservers;
    int client0;                     /* lane of client[0] */
    unsigned window_from;            /* first step of the shaded window */
    char window[200];                /* its legend entry */
    char title[256];                 /* "Stale read 1, key 42: stale-fill" */
    char context[512];               /* second title line */
    char xlabel[160];
    char sentence[1024];             /* what the plot shows, one sentence */
} plot_story;

/* Sends the plot.  Returns 0 or -1 (a write failed; gp_close reports). */
int plot_story_draw(const plot_story *s, gp *g);

#endif
