/* The parameter grid of a sweep: the product of its --vary axes.
 *
 * One axis is one `--vary KEY=LIST` argument.  KEY is "section.key" exactly
 * as for --set.  LIST is comma-separated items (semicolon-separated instead
 * when it contains a ';', for values that hold commas themselves, such as
 * `lognormal:4ms,0.5;lognormal:8ms,0.5`).  An item is a literal value or a
 * range:
 *
 *   A..B*F   geometric: A, A*F, A*F^2, ... up to B (F > 1, A > 0)
 *   A..B+S   arithmetic: A, A+S, A+2S, ... up to B (S > 0), each value
 *            computed as A + i*S (no accumulated rounding) and B included
 *            when it is reached within a relative 1e-9
 *
 * A and B are numbers, durations (`1s..300s*2` -> 1s,2s,...,256s, printed by
 * sim_duration_format and computed in integer ns) or numbers with a common
 * suffix (`100/s..1000/s*10`).  Every value is applied to a scenario with
 * scenario_set when the axis is added, so an unknown key or a malformed value
 * is refused before anything runs.  Limits: no empty list or value, no value
 * twice on an axis, no key on two axes, at most GRID_MAX_VALUES values on an
 * axis and GRID_MAX_POINTS points.
 *
 * Point order is fixed: the first axis varies slowest, the last fastest
 * (point p's value index on the last axis is p mod n_last). */
#ifndef STALESIM_EXPERIMENTS_GRID_H
#define STALESIM_EXPERIMENTS_GRID_H

#include <stddef.h>

#define GRID_MAX_VALUES 10000
#define GRID_MAX_POINTS 100000

/* Read-only outside grid.c. */
typedef struct grid_axis {
    char *key;     /* "section.key" */
    char *spec;    /* the --vary argument as given, for messages */
    char **value;  /* n value texts, as applied with scenario_set */
    double *num;   /* numeric reading of each value: seconds for durations,
                      the number for numbers (suffix ignored), NaN for names */
    size_t n;
} grid_axis;

typedef struct grid {
    grid_axis *axis;
    size_t naxes;
    size_t npoints; /* product of the axis sizes; 1 without axes */
    /* The folder a value's relative file (empirical:FILE) is found in when
     * grid_add checks it: the scenario's, as --set and the points use (one
     * rule, docs/sweep.md); NULL: the working directory (no scenario file).
     * Borrowed. */
    const char *basedir;
} grid;

void grid_init(grid *g);
void grid_fini(grid *g);

/* Parses and checks one --vary argument and appends its axis.  Returns 0, or
 * -1 with a one-line message starting "--vary 'ARG': " (bad syntax, unknown
 * key, bad value, limits) or "out of memory"; g is unchanged on failure. */
int grid_add(grid *g, const char *arg, char *err, size_t errlen);

/* Key families: a --vary family.NAME.KEY axis must name a [family.NAME] of
 * the scenario (grid_add checks the key and values only).  Returns 0, or -1
 * with "--vary 'ARG': no [family.NAME] in the scenario (its families: ...)".
 */
struct scenario;
int grid_check_families(const grid *g, const struct scenario *sc, char *err,
                        size_t errlen);

/* Expands LIST (the text after '=') into values; for tests and grid_add.
 * On success *values is a malloc'd array of n malloc'd strings (free with
 * grid_free_values).  Returns 0 or -1 with a reason (no "--vary" prefix). */
int grid_expand(const char *list, char ***values, size_t *n, char *err,
                size_t errlen);
void grid_free_values(char **values, size_t n);

/* Index into axis a's values of point p (0 <= p < npoints). */
size_t grid_value_index(const grid *g, size_t p, size_t a);
static inline const char *grid_value(const grid *g, size_t p, size_t a) {
    return g->axis[a].value[grid_value_index(g, p, a)];
}

/* "key=value key=value" naming point p, written to buf (always terminated). */
void grid_point_label(const grid *g, size_t p, char *buf, size_t len);

/* A canonical text of the whole grid ("key=v1,v2\n" per axis, values
 * separated by ';' on an axis where one holds a comma): two grids are the
 * same iff their texts are equal.  malloc'd; NULL if memory ran out. */
char *grid_describe(const grid *g);

#endif
