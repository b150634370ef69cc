/* Printing a run summary: a readable text table, JSON, or CSV, all with the
 * names of DESIGN.md section 5. */
#ifndef STALESIM_EXPERIMENTS_OUTPUT_H
#define STALESIM_EXPERIMENTS_OUTPUT_H

#include <stdio.h>

#include "experiments/run.h"
#include "models/scenario.h"

typedef enum output_format {
    OUTPUT_FORMAT_TEXT,
    OUTPUT_FORMAT_JSON,
    OUTPUT_FORMAT_CSV
} output_format;

/* The quantiles every output reports of a distribution (p50, p90, p99,
 * p999), with their names. */
#define OUTPUT_NQUANTILES 4
extern const double output_quantiles[OUTPUT_NQUANTILES];
extern const char *const output_quantile_names[OUTPUT_NQUANTILES];

/* "text", "json" or "csv".  Returns 0, or -1 for another name. */
int output_parse_format(const char *name, output_format *f);

/* Writes the summary.  Returns 0, or -1 if writing failed (EPIPE, disk). */
int output_summary(FILE *out, output_format f, const scenario *sc,
                   const run_summary *s);

/* JSON scalars as every machine format writes them: a string with quotes,
 * backslashes and control characters escaped; a number with 10 significant
 * digits, or null when not finite. */
/* A number in a text table's column: " %11.6g" (" %11.4e" when very small
 * or large), " %11s" "-" when not finite. */
void output_text_number(FILE *out, double x);
/* A number as a CSV field: "%.10g", nothing when not finite. */
void output_csv_number(FILE *out, double x);
void output_json_string(FILE *out, const char *s);
void output_json_number(FILE *out, double x);
/* The resolved scenario as a JSON object: {"file": ..., "run": {...}, ...}. */
void output_json_scenario(FILE *out, const scenario *sc);

/* Under --rare (s->rare_boost > 0; nothing otherwise), what importance
 * sampling did (docs/rare-events.md): output_json_rare writes the member
 * `"rare": {"boost": B, "ess": E, "faults": N, "weighted_stale_reads": N,
 * "overlaps": N, "overlap_stale_reads": N}` preceded by `prefix` (e.g.
 * ",\n "); output_text_rare writes one line, each preceded by `indent`. */
void output_json_rare(FILE *out, const char *prefix, const run_summary *s);
void output_text_rare(FILE *out, const char *indent, const run_summary *s);
/* The same figures as wide CSV columns (compare --rare): the header
 * ",rare.boost,rare.ess,rare.faults,rare.weighted_stale_reads,
 * rare.overlaps,rare.overlap_stale_reads" and a row's fields (s NULL: empty
 * fields, e.g. a family's row). */
void output_csv_rare_header(FILE *out);
void output_csv_rare_fields(FILE *out, const run_summary *s);

#endif
