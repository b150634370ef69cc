/* The "Recommendation" section of `stalesim report`: the design answers a
 * database holds (`stalesim tune` and `stalesim sensitivity` with --db):
 * the latest boundary (--find), the latest cheapest design (--choose), the
 * latest one-at-a-time sensitivity with its tornado plot (drawn beside the
 * document) and the latest Sobol indices, each with its uncertainty and the
 * command that produced it. */
#ifndef STALESIM_EXPERIMENTS_RECOMMEND_H
#define STALESIM_EXPERIMENTS_RECOMMEND_H

#include <stdio.h>

#include "sim/fileio.h"

typedef struct recommend_target {
    const char *db_path;
    const char *dir;    /* the document's directory, with '/', or "" */
    const char *prefix; /* its base name without .md */
    const char *size;   /* PNG size "WxH" or NULL */
    FILE *out;          /* the document */
    FILE *repro;        /* the Reproduce block's lines */
    sim_outset *files;  /* the report's files: its plot joins them */
} recommend_target;

/* Number of finished studies in the database (0 when it has none or no
 * study tables); -1 with a message on stderr when it cannot be read. */
int recommend_count(const char *db_path);

/* Writes the section (nothing when the database holds no study).  Returns
 * an exit code (CLI_EXIT_OK, or after printing an error). */
int recommend_section(const recommend_target *t);

/* `stalesim plot DB --kind tornado`: the latest one-at-a-time study's
 * tornado to tg; prints the sentence.  Returns an exit code. */
struct gp_target;
int recommend_plot_tornado(const char *db_path, const struct gp_target *tg);

#endif
