/* Shared by the files of `stalesim report`:
 *   cmd_report.c       the command: options, the output paths, which
 *                      experiments, the document written all or nothing
 *   report_sections.c  one experiment's head, scenario, contract verdicts
 *                      and comparison table
 *   report_family.c    its per-family sections (verdict, table, plots)
 *   report_load.c      its read latency and operation rates (sizing)
 *   report_causes.c    the causes of its reads over the contract's bound
 *   report_multi.c     several experiments side by side
 *   report_plots.c     the Plots section and the commands that redraw them
 *
 * Heading levels: one experiment alone has its sections at `##`; among
 * several, each experiment is a `##` and its sections go one level deeper
 * (report_ctx.depth). */
#ifndef STALESIM_EXPERIMENTS_REPORT_H
#define STALESIM_EXPERIMENTS_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "experiments/contract.h"
#include "experiments/plotdata.h"
#include "sim/fileio.h"

/* Where one experiment's part of the document and its plots go. */
typedef struct report_ctx {
    const plot_data *d;
    const char *db_path;
    const char *dir;    /* directory of the document, with '/', or "" */
    const char *prefix; /* its base name without .md */
    const char *size;
    const char *tag;    /* in its PNG names after the prefix: "" alone,
                           "e2-" among several experiments */
    int depth;          /* 0 alone, 1 among several: added heading level */
    FILE *out;          /* the document */
    FILE *repro;        /* the Reproduce section, collected */
    sim_outset *files;  /* every file of the report, renamed into place
                           together at the end (sim/fileio.h) */
} report_ctx;

/* ---- text ------------------------------------------------------------------- */

/* Text in a Markdown paragraph or table cell, its special characters
 * escaped. */
void report_md_text(FILE *out, const char *t);

/* `level + c->depth` '#' and a space: the start of a heading whose text the
 * caller writes (level 2 is a section of one experiment alone). */
void report_heading(const report_ctx *c, int level);

/* One line of the Reproduce block: `stalesim` and the words, each a shell
 * word. */
void report_repro_line(FILE *f, const char *const *words, size_t n);

/* The experiment's id as an --experiment argument, into buf. */
const char *report_exp_arg(char *buf, size_t len, const plot_data *d);

/* ---- figures ------------------------------------------------------------------ */

/* A table cell and the figure it is ranked by. */
typedef struct report_cell {
    char text[96];
    double key; /* ranked figure; NaN unranked, INFINITY worst */
} report_cell;

/* Quantile q (q < 0: the maximum) of h in seconds; with no sample: "-" and
 * key 0 when none_best (nothing to see is best), else "still open" and key
 * INFINITY. */
void report_duration_cell(report_cell *c, const sim_hist *h, double q,
                          int none_best);

/* "0.012 ± 0.003" (mean and 95% half-width, `digits` significant) or the
 * mean alone without a finite half-width. */
void report_mean_ci(char *buf, size_t len, double mean, double ci, int digits);

/* "invalidation-failed (97%)" or "-": the largest of causes[ORACLE_CAUSE_COUNT]
 * and its share. */
void report_top_cause(char *buf, size_t len, const uint64_t *causes);

/* Marks the best cell of each of ncol columns of cells[nrows][ncol]:
 * best[c] is a row, or -1 (no finite figure).  better[c] is -1 (lower is
 * better) or +1. */
void report_best(const report_cell *cells, size_t nrows, int ncol,
                 const int *better, int *best);

/* 1 when cell x is to be shown in bold against the best cell b of its
 * column (equal figure, or equal text when `by_text`). */
int report_is_best(const report_cell *x, const report_cell *b, int by_text);

/* ---- the verdicts -------------------------------------------------------------- */

typedef struct report_verdict {
    int judged;            /* 0: not judged, `why` says why */
    contract_clause cl[2]; /* staleness, stale fraction */
    contract_state state;  /* both clauses together */
    char why[160];
} report_verdict;

typedef struct report_contract {
    int known;
    double quantile, max_staleness_s, max_stale_fraction;
} report_contract;

/* Point p of d judged with `stalesim check`'s rule on its stored runs; the
 * first scenario rebuilt fills *ct. */
void report_judge_point(const plot_data *d, size_t p, report_verdict *v,
                        report_contract *ct);
const char *report_state_word(contract_state s);
/* "**met**", "VIOLATED", ... or the reason it was not judged. */
void report_verdict_cell(FILE *out, const report_verdict *v);

/* ---- one experiment's sections ------------------------------------------------- */

/* Title (alone) or experiment heading (among several), then what was run. */
void report_section_head(const report_ctx *c);
void report_section_scenario(const report_ctx *c);
/* Judges every point into v[d->npoints]. */
void report_section_contract(const report_ctx *c, report_verdict *v);
void report_section_table(const report_ctx *c);
/* With key families only: CLI_EXIT_OK or an exit code after printing. */
int report_section_families(const report_ctx *c);
/* Read latency and operation rates per point: CLI_EXIT_OK or an exit code. */
int report_section_load(const report_ctx *c);
/* Their table for points idx[0..n-1] of d, with its first nkeys keys, and
 * the sentence on the peak rates. */
void report_load_table(FILE *out, const plot_data *d, const size_t *idx,
                       size_t n, size_t nkeys);

/* Under the contract: the causes of the reads over its bound, per point.
 * CLI_EXIT_OK or an exit code. */
int report_section_over_causes(const report_ctx *c);
/* Their table for points idx[0..n-1] of d, with its first nkeys keys (or
 * one sentence when the database does not have them). */
void report_over_causes_table(FILE *out, const plot_data *d,
                              const size_t *idx, size_t n, size_t nkeys);

/* The plots (window-cdf, age-hist, vs, tradeoff, causes) and the timeline
 * of one stale read, each a PNG with its sentence.  CLI_EXIT_OK or the exit
 * code, after printing the error. */
int report_section_plots(const report_ctx *c);
int report_section_timeline(const report_ctx *c);

/* The plots of data `d` selected by `where` (NULL: all), as PNGs named
 * PREFIX-TAGKIND.png with a heading at `level`, their redraw commands with
 * the extra words `plot_args` (e.g. "--where", "family=x").  Used for the
 * Plots section and for each family. */
int report_plot_set(const report_ctx *c, const plot_data *d,
                    const char *const *where, size_t nwhere, const char *tag,
                    int level, const char *const *plot_args, size_t nargs);

/* ---- several experiments -------------------------------------------------------- */

/* The title, the list of experiments and the table of every point of
 * every experiment exps[0..n-1], exps[0] the baseline.  CLI_EXIT_OK or an exit
 * code after printing. */
int report_section_compared(FILE *out, const char *db_path,
                            const plot_data *exps, size_t n);

#endif
