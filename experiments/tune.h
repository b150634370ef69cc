/* `stalesim tune`: design answers from the contract (docs/tune.md).
 *
 *   --find KEY      the boundary of the [contract] over a numeric key: the
 *                   largest (or smallest) value that meets it, as a bracket
 *                   holding the boundary with the stated confidence
 *                   (tune_find.c);
 *   --choose K=LIST the cheapest alternative of a grid of discrete choices
 *                   that meets the contract, per key family too
 *                   (tune_choose.c).
 * Both run on a study (study.h): common random numbers, stored and
 * resumable.  Each function prints its answer (text or JSON) to stdout, or
 * one error line, and returns the process exit code. */
#ifndef STALESIM_EXPERIMENTS_TUNE_H
#define STALESIM_EXPERIMENTS_TUNE_H

#include <stdint.h>
#include <stdio.h>

#include "experiments/grid.h"
#include "experiments/output.h"
#include "experiments/study.h"

typedef struct tune_options {
    const char *key;        /* --find */
    const char *range;      /* --range LO..HI as given, NULL: default */
    double lo, hi;          /* the range, in the key's number (s, /s, ...) */
    double tolerance;       /* --tolerance: the bracket's relative width */
    double confidence;      /* --confidence: of the bracket / the verdicts */
    uint32_t reps;          /* first look: the scenario's run.reps */
    uint32_t max_reps;      /* --max-reps: the last look */
    const grid *choose;     /* --choose axes (NULL: --find) */
    int minimize;           /* --minimize: a world_metric */
    output_format format;   /* text or json */
    const char *scenario_file; /* for the output, "(built-in default)" */
    const char *overrides;  /* the --set texts, one a line (confirm lines) */
} tune_options;

/* The kind of --find's key; -1 with a message for an unknown key, a [run]
 * or [contract] key, or one that is not a number. */
int tune_key_kind(const char *key, scenario_num_kind *kind, char *why,
                  size_t len);

/* The default range for --find when --range is not given: the key's value
 * divided and multiplied by 10 (a probability capped at 1, a count at
 * least 1).  Returns 0, or -1 with a reason (value 0: give --range). */
int tune_default_range(const scenario *sc, const char *key, double *lo,
                       double *hi, char *why, size_t whylen);

int tune_find(study *s, const tune_options *o);
int tune_choose(study *s, const tune_options *o);

/* Shared by both: metric m of configuration c as "9.71% +- 0.12%" (a
 * fraction metric) or "0.47 +- 0.01". */
void tune_fmt_metric(char *buf, size_t len, const study_config *c, int family,
                     int m);

/* "  confirm: stalesim check FILE --set ... --reps N": the command that
 * checks the answer (the study's overrides, then the answer's settings). */
void tune_confirm_line(FILE *out, const tune_options *o,
                       const char *const *settings, size_t n, uint32_t reps);

#endif
