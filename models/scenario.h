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
    SCENARIO_ARRIVALS_POISSON,
    SCENARIO_ARRIVALS_CONSTANT,
    SCENARIO_ARRIVALS_BURSTY
} scenario_arrivals;

enum { SCENARIO_ROUTING_RANDOM, SCENARIO_ROUTING_ROUND_ROBIN, SCENARIO_ROUTING_STICKY };
enum { SCENARIO_BUS_NONE, SCENARIO_BUS_PUBSUB };
enum { SCENARIO_TIER_ALONE, SCENARIO_TIER_SHARED };
enum { SCENARIO_FALLBACK_DB, SCENARIO_FALLBACK_FAIL };
enum { SCENARIO_TRACE_FORMAT_TWITTER, SCENARIO_TRACE_FORMAT_CSV };
/* [cache] eviction, in the order of store_eviction (models/store.h). */
enum {
    SCENARIO_EVICT_LRU,
    SCENARIO_EVICT_LFU,
    SCENARIO_EVICT_VOLATILE_TTL,
    SCENARIO_EVICT_NOEVICTION
};

#define SCENARIO_PATH_MAX 512 /* bytes of a file name */
#define SCENARIO_MAX_PATHS 8  /* [path.NAME] sections */
#define SCENARIO_FILE_MAX (1 << 20) /* bytes of a scenario file (and of the
                                       scenario text a database stores) */
#define SCENARIO_MAX_REPS 1000000 /* [run] reps; a sweep bounds points x reps */

/* [cache] mitigations; all off by default. */
typedef struct scenario_mitigations {
    int lease;               /* memcache leases */
    sim_time lease_herd;     /* ns; > 0: one lease per key per interval */
    int versioned_set;       /* a SET only replaces an older version */
    sim_time double_delete;  /* ns; > 0: a second DEL this long after */
    uint32_t retry_delete;   /* retries after a failed or timed-out DEL */
    int outbox;              /* invalidation through a reliable outbox */
    sim_dist outbox_lag;     /* commit -> the outbox's DEL */
} scenario_mitigations;

/* A [path.NAME] write path. */
typedef struct scenario_path {
    char name[32];
    double share;    /* of all writes; the shares sum to 1 */
    int invalidates; /* 0: this path forgets to invalidate */
    int line;        /* where it was declared */
    int share_line, invalidates_line; /* where the file gave each (0: not) */
} scenario_path;

typedef enum scenario_invalidation {
    SCENARIO_INVALIDATION_DELETE_AFTER_WRITE,
    SCENARIO_INVALIDATION_DELETE_BEFORE_WRITE,
    SCENARIO_INVALIDATION_UPDATE_AFTER_WRITE,
    SCENARIO_INVALIDATION_NONE
} scenario_invalidation;

#define SCENARIO_MAX_KEYS 96 /* declared keys; checked at compile time */

#define SCENARIO_MAX_FAMILIES 8   /* [family.NAME] sections */
#define SCENARIO_MAX_OVERRIDES 16 /* overrides of [cache]/[local]/[faults]/
                                     [contract] keys per family */
#define SCENARIO_VALUE_MAX 208    /* bytes of an override's value text */

/* An amount given as a count or rate, or as a share of a [workload] total. */
typedef struct scenario_amount {
    int given;    /* 0: the default applies */
    int is_share; /* 1: `share` of the [workload] total; 0: `value` */
    double value; /* keys: a count; reads/writes: per s */
    double share; /* in (0,1] for keys, [0,1] for rates */
} scenario_amount;

/* One override of a table key inside a [family.NAME] section. */
typedef struct scenario_override {
    int key;  /* index in the key table */
    int line; /* > 0 line in the file, -1 --set */
    char value[SCENARIO_VALUE_MAX];
} scenario_override;

/* A [family.NAME] key family: a consecutive range of keys with its own
 * traffic, overrides and contract.  Families partition the key space in
 * declaration order. */
typedef struct scenario_family {
    char name[32];
    int line;              /* where it was declared (-1: by --set) */
    scenario_amount keys;  /* must be given */
    scenario_amount reads, writes; /* default: the family's share of keys */
    int has_popularity;
    double zipf_s;         /* with has_popularity; else [workload]'s */
    int bypass;            /* 1: reads go to the source of truth */
    int noverrides;
    scenario_override override[SCENARIO_MAX_OVERRIDES];
} scenario_family;

/* A family's resolved traffic (scenario_family_resolve). */
typedef struct scenario_family_range {
    uint32_t first_key, nkeys;
    double reads, writes; /* per s */
    double zipf_s;
} scenario_family_range;

/* The type of a key's value: how its text is parsed and what its field
 * holds. */
typedef enum scenario_key_type {
    SCENARIO_KT_DURATION,   /* sim_time, >= 0 */
    SCENARIO_KT_WARMUP,     /* duration or "auto" (run.warmup only) */
    SCENARIO_KT_DIST,       /* sim_dist */
    SCENARIO_KT_RATE,       /* double per s, >= 0 */
    SCENARIO_KT_PROB,       /* double in [0,1] */
    SCENARIO_KT_FRACTION,   /* double in (0,1) */
    SCENARIO_KT_U32,        /* uint32 >= 1 */
    SCENARIO_KT_U64,        /* uint64 */
    SCENARIO_KT_BOOL,       /* int: yes/no/true/false/1/0 */
    SCENARIO_KT_POPULARITY, /* double: uniform | zipf:S (workload only) */
    SCENARIO_KT_ARRIVALS,   /* poisson | constant | bursty (workload only) */
    SCENARIO_KT_PATTERN,    /* char[32]: a name in the pattern table */
    SCENARIO_KT_INVALIDATION, /* scenario_invalidation */
    SCENARIO_KT_COUNT,      /* uint32 >= 0 */
    SCENARIO_KT_ENUM,       /* int: index in `choices` */
    SCENARIO_KT_PATH,       /* char[SCENARIO_PATH_MAX]: may be empty */
    SCENARIO_KT_MITIGATIONS, /* scenario_mitigations (cache only) */
    SCENARIO_KT_POSITIVE,   /* double > 0 (a plain number: a factor) */
    SCENARIO_KT_CAPACITY,   /* scenario_capacity ([cache] capacity only) */
    SCENARIO_KT_SIZE_DIST   /* sim_dist over sizes in bytes */
} scenario_key_type;

/* One declared key.  The table in scenario.c holds the world's keys; each
 * pattern declares its own (models/pattern.h), with offsets into its
 * parameter block instead of struct scenario. */
typedef struct scenario_key {
    const char *section;
    const char *name;
    scenario_key_type type;
    size_t offset; /* into struct scenario, or the pattern's block */
    const char *def;
    const char *doc;
    int built;     /* 0: the model ignores it yet, so only `def` is accepted */
    const char *const *choices; /* SCENARIO_KT_ENUM: NULL-terminated */
} scenario_key;

/* Pattern parameter blocks (models/pattern.h): one per row of the pattern
 * table, each at most SCENARIO_PATTERN_BYTES. */
#define SCENARIO_MAX_PATTERNS 16
#define SCENARIO_PATTERN_BYTES 128
typedef union scenario_pattern_block {
    max_align_t align;
    unsigned char bytes[SCENARIO_PATTERN_BYTES];
} scenario_pattern_block;

/* Fields are read-only outside scenario.c once parsed. */
struct workload_trace_shared; /* models/workload.h */

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
        sim_time burst_on, burst_off; /* ns: mean on and off periods */
        double burst_factor;          /* on-rate / off-rate, >= 1 */
        uint32_t clients;    /* >= 1: reads and writes pick one uniformly */
        double read_after_write;      /* P(a writer reads its key back) */
        sim_dist read_after_write_delay;
        char trace[SCENARIO_PATH_MAX]; /* "" = synthetic arrivals */
        int trace_format;
    } workload;
    struct {
        sim_dist read_latency;  /* request latency of a DB read */
        sim_dist write_latency; /* request latency of a DB write (to commit) */
        sim_dist read_response;  /* DB read: its effect -> the caller resumes */
        sim_dist write_response; /* DB write: the commit -> the caller resumes */
        uint32_t replicas;
        sim_dist replica_lag;   /* commit -> a replica applies it */
    } db;
    struct {
        char pattern[32];       /* a name in the pattern table */
        sim_time ttl;           /* ns from the SET's effect; 0 = never expires */
        int sliding_ttl;        /* 1: a hit restarts the TTL */
        sim_dist get_latency, set_latency, del_latency;
        sim_dist get_response, set_response, del_response; /* effect ->
                                                caller resumes (0: see
                                                response_latency) */
        sim_dist response_latency; /* every remote op: effect -> caller resumes */
        sim_time timeout;       /* ns a caller waits before giving up */
        scenario_invalidation invalidation;
        double ttl_jitter;      /* in [0,1): TTL drawn in ttl*(1 +- jitter) */
        scenario_mitigations mitigations;
        sim_time lease_retry;   /* ns */
        double outage_rate;     /* per s */
        sim_dist outage_duration;
        int outage_fallback;
        uint64_t capacity;      /* 0: unbounded; else entries, or bytes
                                   when capacity_bytes */
        int capacity_bytes;     /* 1: capacity counts value bytes */
        int eviction;           /* SCENARIO_EVICT_* (store_eviction order) */
        sim_dist value_size;    /* bytes of each stored value */
    } cache;
    struct {
        uint32_t instances;     /* 0: no local caches */
        sim_time ttl;           /* ns */
        int routing, tier, bus;
        double bus_loss;
        sim_dist bus_latency;
        double reconnect_rate;  /* per s, per instance */
        sim_dist reconnect_duration;
        sim_time deploy_interval; /* ns; 0: no deploys */
        double deploy_fraction;
        sim_time sample_interval; /* ns */
    } local;
    struct {
        int n;                   /* 0: one implicit path that invalidates */
        scenario_path path[SCENARIO_MAX_PATHS];
    } paths;
    struct {
        int n;                   /* 0: no families (one implicit family) */
        scenario_family family[SCENARIO_MAX_FAMILIES];
    } families;
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
    /* The patterns' own keys (models/pattern.h): one block per row of the
     * pattern table, laid out by the pattern; pattern_params reads it. */
    scenario_pattern_block pattern[SCENARIO_MAX_PATTERNS];

    /* Importance sampling of fault draws (models/rare.h): the boost b of
     * the boosted fault probabilities, >= 1 under --rare or --boost (1:
     * nothing to boost); 0: off.  Up to 1 every fault is drawn at its true
     * probability.  Not a key: set by the
     * command line, copied into family views, never echoed. */
    double rare_boost;

    /* Provenance of every key, indexed like the key table: the text of its
     * value as given, and where: line > 0 in `path`, 0 default, -1 --set. */
    char *text[SCENARIO_MAX_KEYS];
    int line[SCENARIO_MAX_KEYS];
    char *path;    /* scenario file, or "(built-in default)" */
    char *basedir; /* directory of the file, for relative paths */
    /* [workload] trace read once and shared read-only by every copy of
     * this scenario, every replication and (copy-on-write) every forked
     * worker (workload_trace_attach); NULL: each workload_create reads it.
     * scenario_copy takes a reference, scenario_fini drops one. */
    struct workload_trace_shared *trace_shared;
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

/* A deep copy of src into *dst (every text, path and distribution is
 * duplicated; scenario_fini works on it).  Returns 0, or -1 on ENOMEM (then
 * *dst needs no scenario_fini). */
int scenario_copy(scenario *dst, const scenario *src);

/* Key families.  scenario_family_resolve computes family f's key range and
 * rates from the base scenario (families take consecutive key ranges in
 * declaration order; a share of keys is rounded to the nearest count).
 * scenario_total_keys is the sum of the families' counts ([workload] keys
 * without families). */
void scenario_family_resolve(const scenario *sc, int f,
                             scenario_family_range *out);
uint32_t scenario_total_keys(const scenario *sc);

/* Family f's view: a deep copy of base with the family's overrides (and
 * contract) applied, bypass turning its pattern into `none`, [workload] keys
 * set to the total key count, and no families of its own.  Returns 0, or -1
 * with "FILE:LINE: key 'K': reason" in err (out is then finalised). */
int scenario_family_view(const scenario *base, int family, scenario *out,
                         char *err, size_t errlen);

/* Iteration over the declared keys, for output and documentation. */
size_t scenario_key_count(void);
const char *scenario_key_section(size_t i);
const char *scenario_key_name(size_t i);
const char *scenario_key_default(size_t i);
const char *scenario_key_doc(size_t i);
/* 0 for keys of features not simulated yet (only the default is accepted). */
int scenario_key_built(size_t i);

/* The text of key section.name as resolved in sc (the file's value, an
 * override's, or the default), or "?" for a key that does not exist. */
const char *scenario_text(const scenario *sc, const char *section,
                          const char *name);

/* What kind of number key i holds, for the commands that search or scale
 * a key (tune, sensitivity): durations (ns), rates (per s), probabilities,
 * whole numbers (>= 1 or >= 0), distributions; SCENARIO_NUM_NONE for names,
 * booleans, files, lists. */
typedef enum scenario_num_kind {
    SCENARIO_NUM_NONE,
    SCENARIO_NUM_DURATION,
    SCENARIO_NUM_RATE,
    SCENARIO_NUM_PROB,     /* [0,1] */
    SCENARIO_NUM_FRACTION, /* (0,1) */
    SCENARIO_NUM_COUNT,    /* whole number >= 0 */
    SCENARIO_NUM_COUNT1,   /* whole number >= 1 */
    SCENARIO_NUM_DIST      /* a distribution: scaled through its text */
} scenario_num_kind;
scenario_num_kind scenario_key_num_kind(size_t i);

/* "FILE:LINE: key 'K'" for key section.name of sc, honest about where the
 * value came from (the file, --set, or the default): for messages of
 * validation hooks. */
void scenario_key_where(const scenario *sc, const char *section,
                        const char *name, char *buf, size_t len);

/* Prints the key reference (section, key, default, meaning) as Markdown. */
void scenario_print_reference(FILE *out);

#endif
