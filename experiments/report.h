/* Shared by the two files of `stalesim report`: cmd_report.c (the command,
 * the verdicts, the scenario, contract, comparison and family sections) and
 * report_plots.c (the Plots section and the commands that redraw them). */
#ifndef STALESIM_EXPERIMENTS_REPORT_H
#define STALESIM_EXPERIMENTS_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "experiments/plotdata.h"

/* Where the document and its plots go. */
typedef struct report_ctx {
    const plot_data *d;
    const char *db_path;
    const char *dir;    /* directory of the document, with '/', or "" */
    const char *prefix; /* its base name without .md */
    const char *size;
    FILE *out;          /* the document */
    FILE *repro;        /* the Reproduce section, collected */
} report_ctx;

/* Text in a Markdown paragraph or table cell, its special characters
 * escaped. */
void report_md_text(FILE *out, const char *t);

/* One line of the Reproduce block: `stalesim` and the words, each a shell
 * word. */
void report_repro_line(FILE *f, const char *const *words, size_t n);

/* The plots (window-cdf, age-hist, vs, tradeoff, causes) and the timeline
 * of one stale read, each a PNG with its sentence.  EXIT_OK or the exit
 * code, after printing the error. */
int report_section_plots(const report_ctx *c);
int report_section_timeline(const report_ctx *c);

#endif
