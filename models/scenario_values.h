/* Parsers of typed scenario values, shared by the scenario module's files.
 * Each returns 0, or -1 with a one-line reason (no file or key: the caller
 * adds those) in err. */
#ifndef STALESIM_MODELS_SCENARIO_VALUES_H
#define STALESIM_MODELS_SCENARIO_VALUES_H

#include <stddef.h>

#include "models/scenario.h"
#include "sim/errf.h"

/* A whole-string decimal number (finite). */
int scenario_parse_double(const char *s, double *out);
/* yes/no, true/false, on/off, 1/0. */
int scenario_parse_bool(const char *s, int *out);
/* "bursty:ON,OFF,FACTOR" into sc's workload burst fields. */
int scenario_parse_bursty(scenario *sc, const char *value, char *err,
                          size_t errlen);
/* The [cache] mitigations list into sc->cache.mitigations. */
int scenario_parse_mitigations(scenario *sc, const char *value, char *err,
                               size_t errlen);
/* The scenario modules' name for sim_errf (sim/errf.h), the one message
 * formatter. */
#define scenario_err sim_errf

#endif
