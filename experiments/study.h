/* Studies: the engine under `stalesim tune` and `stalesim sensitivity`.
 *
 * A study evaluates configurations of one base scenario (the file and its
 * --set overrides), each configuration being a few more "section.key=value"
 * settings, on replications 0..n-1.  Replication r of every configuration
 * uses world stream r (run_replication), so all configurations see the same
 * arrivals, faults and latencies draw for draw: common random numbers, which
 * make the differences between configurations far less noisy than the
 * configurations themselves.
 *
 * With a database the study is stored (results_study_*): every replication
 * is committed as it finishes, and running the same command again finds the
 * study and computes only what is missing, so an interrupted search resumes
 * where it stopped and a finished one is answered from the file.  With jobs
 * > 1 the replications of one request run in forked workers
 * (transport_local); only this process writes the database.
 *
 * Judging a configuration against the contract uses the rule of `stalesim
 * check` (experiments/contract.h) at a stated confidence. */
#ifndef STALESIM_EXPERIMENTS_STUDY_H
#define STALESIM_EXPERIMENTS_STUDY_H

#include <stddef.h>
#include <stdint.h>

#include "experiments/contract.h"
#include "experiments/results.h"
#include "models/scenario.h"
#include "models/world.h"

enum study_status {
    STUDY_OK = 0,
    STUDY_EINPUT = -1, /* bad key, value or database: exit 2 */
    STUDY_EIO = -2     /* memory, workers, SQLite: exit 3 */
};

/* One configuration.  Read-only outside study.c. */
typedef struct study_config {
    char *label;  /* "cache.ttl=90s" or "cache.pattern=x cache.ttl=y"; its
                     identity in the database */
    scenario sc;  /* base + settings, validated */
    int nfamilies;
    scenario view[SCENARIO_MAX_FAMILIES]; /* each family's view (contract) */
    uint32_t n;   /* replications 0..n-1 are in value */
    uint32_t cap;
    double *value[WORLD_METRIC_COUNT];                        /* [cap] */
    double *fvalue[SCENARIO_MAX_FAMILIES][WORLD_METRIC_COUNT]; /* [cap] */
} study_config;

typedef struct study study;

typedef struct study_options {
    const char *db_path;       /* NULL: nothing stored */
    const char *kind;          /* "find", "choose", "sensitivity" */
    const char *spec;          /* canonical text of the options (identity) */
    const char *scenario_file; /* as given, NULL for the built-in default */
    const char *overrides;     /* the --set texts, one a line */
    const char *command_line;  /* recorded */
    int jobs;                  /* >= 1 */
} study_options;

/* Opens the study of `base` (validated; copied).  Returns a study_status;
 * *out is NULL on failure. */
int study_open(study **out, const scenario *base, const study_options *o,
               char *err, size_t errlen);
void study_close(study *s);
const scenario *study_base(const study *s);
int study_resumed(const study *s);
/* Replications computed by this process, and found stored. */
uint64_t study_runs_computed(const study *s);
uint64_t study_runs_loaded(const study *s);

/* The identity text of a study: its kind, the stalesim version, the
 * scenario file's bytes (NULL file: the built-in default), the overrides
 * and a canonical text of the options.  malloc'd; NULL with a message (unreadable file, memory). */
char *study_spec(const char *kind, const char *file, const char *overrides,
                 const char *options, char *err, size_t errlen);

/* A configuration: the base with settings[0..n-1] applied ("section.key=
 * value", --set syntax), validated, and what the database holds of it
 * loaded.  STUDY_EINPUT with "LABEL: reason" for a setting that does not
 * apply.  The study owns it (freed by study_close). */
int study_config_get(study *s, const char *const *settings, size_t n,
                     study_config **out, char *err, size_t errlen);

/* Makes sure every configuration c[0..nc-1] has replications 0..reps-1,
 * computing the missing ones (in parallel with jobs > 1) and storing each. */
int study_run(study *s, study_config *const *c, size_t nc, uint32_t reps,
              char *err, size_t errlen);

/* Stores the answer (no-op without a database). */
int study_finish(study *s, const char *text, const char *json,
                 const results_study_input *in, size_t nin, char *err,
                 size_t errlen);

/* ---- judging ---------------------------------------------------------------- */

/* Which contract: the whole one as `check` judges it (the totals against
 * [contract] and every family against its own), or one family's. */
#define STUDY_SCOPE_ALL (-1)

typedef enum study_state {
    STUDY_MET,       /* every clause's upper bound within its allowance */
    STUDY_UNDECIDED, /* neither */
    STUDY_VIOLATED   /* some clause's lower bound over its allowance */
} study_state;

typedef struct study_verdict {
    study_state state;
    /* The deciding clause: the violated one, else the one closest to its
     * allowance; why: "stale fraction 0.31% (bound 0.35%) > 0.01% allowed"
     * with its family when it is a family's. */
    char why[256];
    double pressure; /* deciding figure / allowance (> 1: over) */
} study_verdict;

/* Judges c's replications 0..c->n-1 at one-sided confidence `conf` per
 * bound: met when every clause's upper bound is within its allowance,
 * violated when some clause's lower bound is over it.  At conf = 0.95 "met"
 * is exactly check's MET; study_check gives check's three states. */
void study_judge(const study_config *c, int scope, double conf,
                 study_verdict *out);
/* check's rule (contract_judge, 95%): MET, UNDEMONSTRATED (as
 * STUDY_UNDECIDED) or VIOLATED. */
void study_check(const study_config *c, int scope, study_verdict *out);

/* Mean and 95% half-width of metric m over c's replications (family f, or
 * -1 for the totals). */
void study_stat(const study_config *c, int family, world_metric m,
                double *mean, double *ci95);

/* ---- values ------------------------------------------------------------------ */

/* Index of "section.key" (or "family.NAME.section.key": its key) in the
 * scenario key table, or -1. */
int study_key_index(const char *key);

/* The number a value text stands for: seconds for a duration, per second
 * for a rate, the number otherwise; NaN when it is not one of kind k. */
double study_value_number(scenario_num_kind k, const char *text);

/* A value of kind k as scenario text, rounded to 4 significant digits
 * (counts: to a whole number): "2.094s", "0.05/s", "0.002", "3". */
void study_value_text(scenario_num_kind k, double x, char *buf, size_t len);

/* "cache.ttl" -> its metric by name ("stale_read_fraction"), or -1. */
int study_metric_parse(const char *name);

#endif
