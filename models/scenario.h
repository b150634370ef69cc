/* Scenario: an INI file turned into a validated, typed description of one
 * caching design, its workload and its faults.
 *
 * Every key is declared once in a table in scenario.c (section, key, type,
 * default, documentation); parsing, defaults, --set overrides, the resolved
 * echo in the output and `stalesim keys` all read that table, so a key cannot
 * be parsed without being documented.  Unknown sections or keys, malformed
 * values, probabilities outside [0,1] and negative rates are refused with a
 * message naming FILE:LINE and the key.  Keys of DESIGN.md that this build
 * does not simulate yet are accepted only at their default value and refused
 * otherwise, with a message saying so. */
#ifndef STALESIM_MODELS_SCENARIO_H
#define STALESIM_MODELS_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/dist.h"
#include "sim/simtime.h"

typedef enum scenario_arrivals {
    ARRIVALS_POISSON,
    ARRIVALS_CONSTANT
} scenario_arrivals;

typedef enum scenario_invalidation {
    INVALIDATION_DELETE_AFTER_WRITE,
    INVALIDATION_DELETE_BEFORE_WRITE,
    INVALIDATION_UPDATE_AFTER_WRITE,
    INVALIDATION_NONE
} scenario_invalidation;

#define SCENARIO_MAX_KEYS 64 /* declared keys; checked at start-up */

/* Fields are read-only outside scenario.c once parsed. */
typedef struct scenario {
    struct {
        sim_time duration; /* ns, > 0 */
        sim_time warmup;   /* ns, < duration: reads invoked earlier are not counted */
        int warmup_auto;   /* 1: chosen by MSER-5 at run time (warmup is 0 here) */
        uint32_t reps;     /* >= 1 */
        uint64_t seed;
    } run;
    struct {
        uint32_t keys;       /* >= 1 */
        double zipf_s;       /* 0 = uniform popularity, else Zipf exponent */
        double reads;        /* per s, total over all keys */
        double writes;       /* per s */
        scenario_arrivals arrivals;
        uint32_t clients;    /* >= 1: reads and writes pick one uniformly */
    } workload;
    struct {
        sim_dist read_latency;  /* request latency of a DB read */
        sim_dist write_latency; /* request latency of a DB write (to commit) */
    } db;
    struct {
        char pattern[32];       /* a name in the pattern table */
        sim_time ttl;           /* ns from the SET's effect; 0 = never expires */
        int sliding_ttl;        /* 1: a hit restarts the TTL */
        sim_dist get_latency, set_latency, del_latency;
        sim_dist response_latency; /* every remote op: effect -> caller resumes */
        sim_time timeout;       /* ns a caller waits before giving up */
        scenario_invalidation invalidation;
    } cache;
    struct {
        double del_fail;           /* P(DEL errors and has no effect) */
        double del_timeout;        /* P(DEL times out at the caller) */
        double del_timeout_applies;/* P(a timed-out DEL still takes effect) */
        double set_fail;           /* P(SET errors and has no effect) */
        double crash_after_commit; /* P(writer dies between commit and invalidation) */
    } faults;
    struct {
        sim_time max_staleness; /* ns */
        double quantile;
        double max_stale_fraction;
    } contract;

    /* Provenance of every key, indexed like the key table: the text of its
     * value as given, and where: line > 0 in `path`, 0 default, -1 --set. */
    char *text[SCENARIO_MAX_KEYS];
    int line[SCENARIO_MAX_KEYS];
    char *path;    /* scenario file, or "(built-in default)" */
    char *basedir; /* directory of the file, for relative paths */
} scenario;

/* Fills *sc with every default (the built-in scenario).  Returns 0, or -1 with
 * a message (memory).  Always pair with scenario_fini. */
int scenario_init_defaults(scenario *sc, char *err, size_t errlen);

/* Parses FILE over the current values.  Returns 0, or -1 with a one-line
 * message "FILE:LINE: key 'K': reason" (or "FILE: reason"). */
int scenario_load(scenario *sc, const char *path, char *err, size_t errlen);

/* Parses INI text over the current values (tests; `name` stands for the file
 * in messages). */
int scenario_load_string(scenario *sc, const char *name, const char *text,
                         char *err, size_t errlen);

/* Applies one "section.key=value" override.  Returns 0 or -1 with a message
 * "--set 'section.key': reason". */
int scenario_set(scenario *sc, const char *assignment, char *err, size_t errlen);

/* Cross-key checks after everything is applied (warmup < duration, a pattern
 * that exists, ...).  Returns 0 or -1 with a message naming the key. */
int scenario_validate(const scenario *sc, char *err, size_t errlen);

void scenario_fini(scenario *sc);

/* Iteration over the declared keys, for output and documentation. */
size_t scenario_key_count(void);
const char *scenario_key_section(size_t i);
const char *scenario_key_name(size_t i);
const char *scenario_key_default(size_t i);
const char *scenario_key_doc(size_t i);

/* Prints the key reference (section, key, default, meaning) as Markdown. */
void scenario_print_reference(FILE *out);

#endif
