/* What the scenario module's files (models/scenario*.c) share beyond
 * models/scenario.h: the key table's lookups, storing a value, write paths
 * and families as the reader meets them.  Not for other modules. */
#ifndef STALESIM_MODELS_SCENARIO_INTERNAL_H
#define STALESIM_MODELS_SCENARIO_INTERNAL_H

#include <stddef.h>

#include "models/scenario.h"

/* [cache] eviction's names, in the order of SCENARIO_EVICT_* (NULL-ended). */
extern const char *const scenario_eviction_choices[];

/* Key i (< scenario_key_count()), and the pattern whose parameter block
 * holds its field (-1: struct scenario itself). */
const scenario_key *scenario_key_row(size_t i, int *pattern);
const scenario_key *scenario_key_at(size_t i);
/* Where key i's value lives in sc. */
char *scenario_key_field(const scenario *sc, size_t i);
/* The index of key section.name, or -1. */
int scenario_key_find(const char *section, const char *name);
/* 1 if some key lives in [section]. */
int scenario_section_known(const char *section);

/* A malloc'ed copy of s, or NULL. */
char *scenario_strdup(const char *s);
/* Converts `value` for key ki and stores it in sc.  Returns 0, or -1 with
 * the reason (without location) in err. */
int scenario_apply_value(scenario *sc, size_t ki, const char *value,
                         char *err, size_t errlen);
/* Records value text and origin (line; -1: --set; 0: default) of key i;
 * the value is already applied.  Returns 0, or -1 out of memory. */
int scenario_remember(scenario *sc, size_t i, const char *value, int line);
/* Sets key `name` of write path `pname` (created on first use).  Returns
 * 0, or -1 with the reason. */
int scenario_apply_path(scenario *sc, const char *pname, const char *name,
                        const char *value, int line, char *err,
                        size_t errlen);

/* A [family.NAME] header at `line` (> 0), or the first --set of a family
 * (line -1).  Returns the family, or NULL with the reason. */
scenario_family *scenario_family_declare(scenario *sc, const char *fname,
                                         int line, char *err, size_t errlen);
/* Key `name` of family `fname` (declared on first use) set to `value`.
 * Returns 0, or -1 with the reason. */
int scenario_apply_family(scenario *sc, const char *fname, const char *name,
                          const char *value, int line, char *err,
                          size_t errlen);

#endif
