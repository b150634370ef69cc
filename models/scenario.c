/* Scenario files: the key table, parsing through inih, overrides, validation.
 *
 * inih hands us (section, key, value) triples but, as packaged by Debian, not
 * line numbers; we feed it through ini_parse_stream with our own line reader,
 * which counts lines, so every message can name FILE:LINE.  The reader also
 * refuses lines longer than inih's buffer instead of letting them be split.
 *
 * A value may end with an inline comment introduced by " ;" (inih) or " #"
 * (stripped here).  Each key may be given once per file. */
#include "models/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "models/oracle.h"
#include "sim/fileio.h"
#include "models/pattern.h"
#include "models/scenario_values.h"
#include "models/workload.h"
#include "sim/check.h"

static int apply_family(scenario *sc, const char *fname, const char *name,
                        const char *value, int line, char *err,
                        size_t errlen);
static scenario_family *family_declare(scenario *sc, const char *fname,
                                       int line, char *err, size_t errlen);
static int validate_capacity(const scenario *sc, char *err, size_t errlen);



static const char *const routing_choices[] = {"random", "round-robin",
                                              "sticky", NULL};
static const char *const bus_choices[] = {"none", "pubsub", NULL};
static const char *const tier_choices[] = {"alone", "shared", NULL};
static const char *const fallback_choices[] = {"db", "fail", NULL};
static const char *const trace_format_choices[] = {"twitter", "csv", NULL};
static const char *const eviction_choices[] = {"lru", "lfu", "volatile-ttl",
                                               "noeviction", NULL};

#define OFF(field) offsetof(scenario, field)
#define LINE_MAX_BYTES 200 /* inih's INI_MAX_LINE as packaged */

/* Rows: section, key, type, field, default, meaning, built (, choices).
 * The key order is the order of `stalesim keys` and of the JSON echo. */
static const scenario_key head_keys[] = {
    {"run", "duration", SCENARIO_KT_DURATION, OFF(run.duration), "1h",
     "simulated time per replication", 1, NULL},
    {"run", "warmup", SCENARIO_KT_WARMUP, OFF(run.warmup), "0s",
     "reads invoked before this are simulated but not counted; `auto`: "
     "chosen by MSER-5", 1, NULL},
    {"run", "reps", SCENARIO_KT_U32, OFF(run.reps), "10",
     "independent replications; CIs are over them", 1, NULL},
    {"run", "seed", SCENARIO_KT_U64, OFF(run.seed), "1",
     "replication r of seed S always sees the same arrivals", 1, NULL},
    {"workload", "keys", SCENARIO_KT_U32, OFF(workload.keys), "10000",
     "number of distinct keys", 1, NULL},
    {"workload", "popularity", SCENARIO_KT_POPULARITY, OFF(workload.zipf_s), "uniform",
     "`uniform` or `zipf:S` (key i has weight 1/(i+1)^S)", 1, NULL},
    {"workload", "reads", SCENARIO_KT_RATE, OFF(workload.reads), "1000/s",
     "total read rate over all keys", 1, NULL},
    {"workload", "writes", SCENARIO_KT_RATE, OFF(workload.writes), "10/s",
     "total write rate over all keys", 1, NULL},
    {"workload", "arrivals", SCENARIO_KT_ARRIVALS, OFF(workload.arrivals), "poisson",
     "`poisson`, `constant` (evenly spaced) or `bursty:ON,OFF,FACTOR` "
     "(exponential on/off periods of mean ON and OFF; the rate is FACTOR "
     "times higher when on, the long-run mean unchanged)", 1, NULL},
    {"workload", "clients", SCENARIO_KT_U32, OFF(workload.clients), "100",
     "clients issuing requests (read-your-writes is checked per client)", 1, NULL},
    {"workload", "read_after_write", SCENARIO_KT_PROB, OFF(workload.read_after_write),
     "0", "P(a writer reads its key back after its ack: a session's "
     "read-your-writes check)", 1, NULL},
    {"workload", "read_after_write_delay", SCENARIO_KT_DIST,
     OFF(workload.read_after_write_delay), "exp:100ms",
     "from the ack to that read", 1, NULL},
    {"workload", "trace", SCENARIO_KT_PATH, OFF(workload.trace), "",
     "replay this trace instead of the synthetic arrivals (relative to the "
     "scenario's folder)", 1, NULL},
    {"workload", "trace_format", SCENARIO_KT_ENUM, OFF(workload.trace_format),
     "twitter", "`twitter` (Twitter cache trace) or `csv` (time,key,op)", 1,
     trace_format_choices},
    {"db", "read_latency", SCENARIO_KT_DIST, OFF(db.read_latency), "exp:5ms",
     "DB read request latency", 1, NULL},
    {"db", "write_latency", SCENARIO_KT_DIST, OFF(db.write_latency), "exp:10ms",
     "DB write request latency (the commit is at its end)", 1, NULL},
    {"db", "read_response", SCENARIO_KT_DIST, OFF(db.read_response), "0",
     "DB read: from its snapshot (effect) to the caller resuming", 1, NULL},
    {"db", "write_response", SCENARIO_KT_DIST, OFF(db.write_response), "0",
     "DB write: from its commit to the caller resuming", 1, NULL},
    {"db", "replicas", SCENARIO_KT_COUNT, OFF(db.replicas), "0",
     "read replicas; fills read from a random one", 1, NULL},
    {"db", "replica_lag", SCENARIO_KT_DIST, OFF(db.replica_lag), "exp:50ms",
     "from a commit to a replica applying it", 1, NULL},
    {"cache", "pattern", SCENARIO_KT_PATTERN, OFF(cache.pattern),
     PATTERN_DEFAULT,
     "a row of the pattern table, `stalesim patterns`:", 1, NULL},
    {"cache", "ttl", SCENARIO_KT_DURATION, OFF(cache.ttl), "300s",
     "time to live from the SET's effect; `0` never expires", 1, NULL},
    {"cache", "sliding_ttl", SCENARIO_KT_BOOL, OFF(cache.sliding_ttl), "no",
     "`yes`: a hit restarts the TTL", 1, NULL},
    {"cache", "get_latency", SCENARIO_KT_DIST, OFF(cache.get_latency), "exp:0.5ms",
     "cache GET request latency", 1, NULL},
    {"cache", "set_latency", SCENARIO_KT_DIST, OFF(cache.set_latency), "exp:0.5ms",
     "cache SET request latency", 1, NULL},
    {"cache", "del_latency", SCENARIO_KT_DIST, OFF(cache.del_latency), "exp:0.5ms",
     "cache DEL request latency", 1, NULL},
    {"cache", "get_response", SCENARIO_KT_DIST, OFF(cache.get_response), "0",
     "cache GET: from its effect to the caller resuming", 1, NULL},
    {"cache", "set_response", SCENARIO_KT_DIST, OFF(cache.set_response), "0",
     "cache SET: from its effect to the caller resuming", 1, NULL},
    {"cache", "del_response", SCENARIO_KT_DIST, OFF(cache.del_response), "0",
     "cache DEL: from its effect to the caller resuming", 1, NULL},
    {"cache", "response_latency", SCENARIO_KT_DIST, OFF(cache.response_latency), "0",
     "the response part of every operation whose own *_response is 0",
     1, NULL},
    {"cache", "timeout", SCENARIO_KT_DURATION, OFF(cache.timeout), "100ms",
     "how long a caller waits on a timed-out operation", 1, NULL},
    {"cache", "invalidation", SCENARIO_KT_INVALIDATION, OFF(cache.invalidation),
     "delete-after-write",
     "`delete-after-write`, `delete-before-write`, `update-after-write` or "
     "`none`", 1, NULL},
    {"cache", "ttl_jitter", SCENARIO_KT_PROB, OFF(cache.ttl_jitter), "0",
     "each TTL is drawn uniformly in ttl*(1 +- jitter)", 1, NULL},
    {"cache", "mitigations", SCENARIO_KT_MITIGATIONS, OFF(cache.mitigations), "",
     "comma-separated: `lease`, `lease:herd=D`, `versioned-set`, "
     "`double-delete:D`, `retry-delete:N`, `outbox:DIST`; `none` (or empty) "
     "for none", 1, NULL},
    {"cache", "lease_retry", SCENARIO_KT_DURATION, OFF(cache.lease_retry), "10ms",
     "with lease:herd, how long a miss without a lease waits before "
     "retrying", 1, NULL},
    {"cache", "outage_rate", SCENARIO_KT_RATE, OFF(cache.outage_rate), "0/s",
     "cache outages start as a Poisson process", 1, NULL},
    {"cache", "outage_duration", SCENARIO_KT_DIST, OFF(cache.outage_duration),
     "exp:30s", "how long an outage lasts (the cache is emptied)", 1, NULL},
    {"cache", "outage_fallback", SCENARIO_KT_ENUM, OFF(cache.outage_fallback), "db",
     "during an outage reads go to the `db` or `fail`", 1,
     fallback_choices},
    {"cache", "capacity", SCENARIO_KT_CAPACITY, OFF(cache.capacity), "0",
     "the shared cache's size: `0` unbounded, a whole number of entries, or "
     "a size (`64MB`, `1GiB`) of values drawn from value_size "
     "(docs/capacity.md)", 1, NULL},
    {"cache", "eviction", SCENARIO_KT_ENUM, OFF(cache.eviction), "lru",
     "when a SET does not fit: `lru`, `lfu`, `volatile-ttl` (evict) or "
     "`noeviction` (the SET fails: oom_errors), as Redis's maxmemory-policy",
     1, eviction_choices},
    {"cache", "value_size", SCENARIO_KT_SIZE_DIST, OFF(cache.value_size), "0",
     "bytes of each stored value (a distribution of sizes: `const:2KB`, "
     "`lognormal:1KB,1`); needed by a capacity in bytes", 1, NULL},
    {"local", "instances", SCENARIO_KT_COUNT, OFF(local.instances), "0",
     "application instances with an in-process cache (0: none)", 1, NULL},
    {"local", "ttl", SCENARIO_KT_DURATION, OFF(local.ttl), "5s",
     "TTL of the local caches", 1, NULL},
    {"local", "routing", SCENARIO_KT_ENUM, OFF(local.routing), "random",
     "`random`, `round-robin` or `sticky` (by client)", 1, routing_choices},
    {"local", "tier", SCENARIO_KT_ENUM, OFF(local.tier), "shared",
     "`alone` (local caches over the DB) or `shared` (in front of the "
     "[cache] pattern)", 1, tier_choices},
    {"local", "bus", SCENARIO_KT_ENUM, OFF(local.bus), "none",
     "invalidation bus between instances: `none` or `pubsub`", 1, bus_choices},
    {"local", "bus_loss", SCENARIO_KT_PROB, OFF(local.bus_loss), "0",
     "P(an invalidation message is lost)", 1, NULL},
    {"local", "bus_latency", SCENARIO_KT_DIST, OFF(local.bus_latency), "exp:1ms",
     "publish to delivery", 1, NULL},
    {"local", "reconnect_rate", SCENARIO_KT_RATE, OFF(local.reconnect_rate), "0/s",
     "per instance: bus disconnections (messages are lost until it "
     "reconnects)", 1, NULL},
    {"local", "reconnect_duration", SCENARIO_KT_DIST, OFF(local.reconnect_duration),
     "exp:2s", "how long a disconnection lasts", 1, NULL},
    {"local", "deploy_interval", SCENARIO_KT_DURATION, OFF(local.deploy_interval),
     "0", "a deploy every this long restarts instances (0: never)", 1, NULL},
    {"local", "deploy_fraction", SCENARIO_KT_PROB, OFF(local.deploy_fraction), "0.5",
     "share of instances a deploy restarts (their caches are emptied)", 1, NULL},
    {"local", "sample_interval", SCENARIO_KT_DURATION, OFF(local.sample_interval),
     "100ms", "how often instance_disagreement samples a key", 1, NULL},
};

/* Then the patterns' keys, in table order (models/pattern.h), then these. */
static const scenario_key tail_keys[] = {
    {"faults", "del_fail", SCENARIO_KT_PROB, OFF(faults.del_fail), "0",
     "P(a DEL errors and has no effect)", 1, NULL},
    {"faults", "del_timeout", SCENARIO_KT_PROB, OFF(faults.del_timeout), "0",
     "P(a DEL times out: the caller gives up after `timeout`)", 1, NULL},
    {"faults", "del_timeout_applies", SCENARIO_KT_PROB,
     OFF(faults.del_timeout_applies), "0",
     "P(a timed-out DEL still takes effect, at its normal time)", 1, NULL},
    {"faults", "set_fail", SCENARIO_KT_PROB, OFF(faults.set_fail), "0",
     "P(a SET errors and has no effect)", 1, NULL},
    {"faults", "crash_after_commit", SCENARIO_KT_PROB, OFF(faults.crash_after_commit),
     "0", "P(a writer dies between its commit and its invalidation)", 1, NULL},
    {"contract", "max_staleness", SCENARIO_KT_DURATION, OFF(contract.max_staleness),
     "5s",
     "freshness contract: staleness bound at `quantile` (`stalesim check`)", 1, NULL},
    {"contract", "quantile", SCENARIO_KT_FRACTION, OFF(contract.quantile), "0.999",
     "freshness contract: quantile of reads the bound covers", 1, NULL},
    {"contract", "max_stale_fraction", SCENARIO_KT_PROB,
     OFF(contract.max_stale_fraction), "1e-4",
     "freshness contract: largest acceptable stale-read fraction", 1, NULL},
};

#define NHEAD (sizeof head_keys / sizeof head_keys[0])
#define NTAIL (sizeof tail_keys / sizeof tail_keys[0])

/* Every declared key: the head rows, each pattern's rows, the tail rows. */
static size_t key_total(void) {
    size_t n = NHEAD + NTAIL;
    for (size_t p = 0; p < pattern_count(); p++) n += pattern_at(p)->nkeys;
    SIM_CHECK(n <= SCENARIO_MAX_KEYS, "%zu keys: raise SCENARIO_MAX_KEYS", n);
    return n;
}
#define NKEYS key_total()

/* Key i, and the pattern whose block holds its field (-1: struct scenario). */
static const scenario_key *key_find_row(size_t i, int *pattern) {
    *pattern = -1;
    if (i < NHEAD) return &head_keys[i];
    i -= NHEAD;
    for (size_t p = 0; p < pattern_count(); p++) {
        const pattern_ops *ops = pattern_at(p);
        if (i < ops->nkeys) {
            *pattern = (int)p;
            return &ops->keys[i];
        }
        i -= ops->nkeys;
    }
    SIM_CHECK(i < NTAIL, "key index %zu past the table", i);
    return &tail_keys[i];
}

static const scenario_key *key_at(size_t i) {
    int p;
    return key_find_row(i, &p);
}

/* Where key i's value lives in sc. */
static char *key_field(const scenario *sc, size_t i) {
    int p;
    const scenario_key *k = key_find_row(i, &p);
    char *base = p < 0 ? (char *)sc : (char *)sc->pattern[p].bytes;
    return base + k->offset;
}

size_t scenario_key_count(void) { return NKEYS; }
const char *scenario_key_section(size_t i) { return key_at(i)->section; }
const char *scenario_key_name(size_t i) { return key_at(i)->name; }
const char *scenario_key_default(size_t i) { return key_at(i)->def; }
const char *scenario_key_doc(size_t i) { return key_at(i)->doc; }
int scenario_key_built(size_t i) { return key_at(i)->built; }

scenario_num_kind scenario_key_num_kind(size_t i) {
    switch (key_at(i)->type) {
    case SCENARIO_KT_DURATION: return SCENARIO_NUM_DURATION;
    case SCENARIO_KT_RATE: return SCENARIO_NUM_RATE;
    case SCENARIO_KT_PROB: return SCENARIO_NUM_PROB;
    case SCENARIO_KT_FRACTION: return SCENARIO_NUM_FRACTION;
    case SCENARIO_KT_COUNT: return SCENARIO_NUM_COUNT;
    case SCENARIO_KT_U32: return SCENARIO_NUM_COUNT1;
    case SCENARIO_KT_DIST: return SCENARIO_NUM_DIST;
    default: return SCENARIO_NUM_NONE;
    }
}

/* Keys whose field is a sim_dist (owning an empirical table). */
static int is_dist(scenario_key_type t) {
    return t == SCENARIO_KT_DIST || t == SCENARIO_KT_SIZE_DIST;
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int find_key(const char *section, const char *name) {
    for (size_t i = 0, n = NKEYS; i < n; i++)
        if (strcmp(key_at(i)->section, section) == 0 &&
            strcmp(key_at(i)->name, name) == 0)
            return (int)i;
    return -1;
}

const char *scenario_text(const scenario *sc, const char *section,
                          const char *name) {
    int i = find_key(section, name);
    return i < 0 ? "?" : sc->text[i];
}

static int known_section(const char *section) {
    for (size_t i = 0, n = NKEYS; i < n; i++)
        if (strcmp(key_at(i)->section, section) == 0) return 1;
    return 0;
}

/* [path.NAME] write paths are simulated (per-path causes and counts). */
#define PATHS_BUILT 1

/* Sections of DESIGN.md that this build does not simulate yet. */
static int reserved_section(const char *section) {
    return !PATHS_BUILT && strncmp(section, "path.", 5) == 0;
}

static int family_section(const char *section) {
    return strncmp(section, "family.", 7) == 0;
}

static int path_section(const char *section) {
    return PATHS_BUILT && strncmp(section, "path.", 5) == 0;
}

/* Sets key `name` of write path `pname` (created on first use).  Returns 0,
 * or -1 with the reason. */
static int apply_path(scenario *sc, const char *pname, const char *name,
                      const char *value, int line, char *err, size_t errlen) {
    if (!*pname || strlen(pname) >= sizeof sc->paths.path[0].name) {
        scenario_err(err, errlen, "path name must be 1..%zu characters",
                sizeof sc->paths.path[0].name - 1);
        return -1;
    }
    scenario_path *p = NULL;
    for (int i = 0; i < sc->paths.n; i++)
        if (strcmp(sc->paths.path[i].name, pname) == 0) p = &sc->paths.path[i];
    if (!p) {
        if (sc->paths.n == SCENARIO_MAX_PATHS) {
            scenario_err(err, errlen, "more than %d write paths", SCENARIO_MAX_PATHS);
            return -1;
        }
        p = &sc->paths.path[sc->paths.n++];
        memset(p, 0, sizeof *p);
        snprintf(p->name, sizeof p->name, "%s", pname);
        p->share = -1; /* must be given */
        p->invalidates = 1;
        p->line = line;
    }
    int *given = strcmp(name, "share") == 0         ? &p->share_line
                 : strcmp(name, "invalidates") == 0 ? &p->invalidates_line
                                                    : NULL;
    if (given && line > 0 && *given > 0) {
        scenario_err(err, errlen, "given twice in [path.%s] (first at line %d)",
                pname, *given);
        return -1;
    }
    if (given && line > 0) *given = line;
    if (strcmp(name, "share") == 0) {
        double v;
        if (scenario_parse_double(value, &v) != 0 || v < 0 || v > 1) {
            scenario_err(err, errlen, "share '%s' is not a number in [0,1]", value);
            return -1;
        }
        p->share = v;
    } else if (strcmp(name, "invalidates") == 0) {
        if (scenario_parse_bool(value, &p->invalidates) != 0) {
            scenario_err(err, errlen, "'%s' is not yes or no", value);
            return -1;
        }
    } else {
        scenario_err(err, errlen, "unknown key in [path.%s] (share, invalidates)",
                pname);
        return -1;
    }
    return 0;
}

/* Converts `value` for key k and stores it in sc.  Returns 0, or -1 with the
 * reason (without location) in err. */
static int apply_value(scenario *sc, size_t ki, const char *value,
                       char *err, size_t errlen) {
    const scenario_key *k = key_at(ki);
    char *field = key_field(sc, ki);
    if (!k->built && strcmp(value, k->def) != 0) {
        scenario_err(err, errlen,
                "this build does not simulate [%s] %s yet; only the default "
                "'%s' is accepted",
                k->section, k->name, k->def);
        return -1;
    }
    switch (k->type) {
    case SCENARIO_KT_WARMUP:
        sc->run.warmup_auto = strcmp(value, "auto") == 0;
        if (sc->run.warmup_auto) {
            *(sim_time *)field = 0;
            return 0;
        }
        return sim_duration_parse(value, (sim_time *)field, err, errlen);
    case SCENARIO_KT_DURATION:
        return sim_duration_parse(value, (sim_time *)field, err, errlen);
    case SCENARIO_KT_DIST: {
        sim_dist d;
        if (sim_dist_parse(&d, value, sc->basedir, err, errlen) != 0)
            return -1;
        sim_dist_fini((sim_dist *)field);
        *(sim_dist *)field = d;
        return 0;
    }
    case SCENARIO_KT_RATE:
        return sim_rate_parse(value, (double *)field, err, errlen);
    case SCENARIO_KT_POSITIVE: {
        double x;
        if (scenario_parse_double(value, &x) != 0 || !(x > 0) || isinf(x)) {
            scenario_err(err, errlen, "'%s' is not a number greater than 0",
                         value);
            return -1;
        }
        *(double *)field = x;
        return 0;
    }
    case SCENARIO_KT_PROB:
    case SCENARIO_KT_FRACTION: {
        double p;
        if (scenario_parse_double(value, &p) != 0) {
            scenario_err(err, errlen, "'%s' is not a number", value);
            return -1;
        }
        if (k->type == SCENARIO_KT_PROB && (p < 0 || p > 1)) {
            scenario_err(err, errlen, "probability %s is outside [0,1]", value);
            return -1;
        }
        if (k->type == SCENARIO_KT_FRACTION && (p <= 0 || p >= 1)) {
            scenario_err(err, errlen, "%s must lie strictly between 0 and 1", value);
            return -1;
        }
        *(double *)field = p;
        return 0;
    }
    case SCENARIO_KT_U32:
    case SCENARIO_KT_U64: {
        char *end;
        if (!isdigit((unsigned char)value[0])) {
            scenario_err(err, errlen, "'%s' is not a whole number", value);
            return -1;
        }
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (*end) {
            scenario_err(err, errlen, "'%s' is not a whole number", value);
            return -1;
        }
        if (errno == ERANGE) {
            scenario_err(err, errlen, "%s is too large (at most %llu)", value,
                         k->type == SCENARIO_KT_U32 ? (unsigned long long)UINT32_MAX
                                           : (unsigned long long)UINT64_MAX);
            return -1;
        }
        if (k->type == SCENARIO_KT_U32) {
            if (v < 1 || v > UINT32_MAX) {
                scenario_err(err, errlen, "%s is outside [1, %u]", value,
                        (unsigned)UINT32_MAX);
                return -1;
            }
            *(uint32_t *)field = (uint32_t)v;
        } else {
            *(uint64_t *)field = (uint64_t)v;
        }
        return 0;
    }
    case SCENARIO_KT_BOOL:
        if (scenario_parse_bool(value, (int *)field) != 0) {
            scenario_err(err, errlen, "'%s' is not yes or no", value);
            return -1;
        }
        return 0;
    case SCENARIO_KT_POPULARITY:
        if (strcmp(value, "uniform") == 0) {
            *(double *)field = 0;
            return 0;
        }
        if (strncmp(value, "zipf:", 5) == 0) {
            double s;
            if (scenario_parse_double(value + 5, &s) != 0 || s <= 0 || s > 10) {
                scenario_err(err, errlen,
                        "zipf exponent in '%s' must be a number in (0, 10]",
                        value);
                return -1;
            }
            *(double *)field = s;
            return 0;
        }
        scenario_err(err, errlen, "'%s' is not uniform or zipf:S", value);
        return -1;
    case SCENARIO_KT_ARRIVALS:
        if (strcmp(value, "poisson") == 0)
            *(scenario_arrivals *)field = SCENARIO_ARRIVALS_POISSON;
        else if (strcmp(value, "constant") == 0)
            *(scenario_arrivals *)field = SCENARIO_ARRIVALS_CONSTANT;
        else if (strncmp(value, "bursty:", 7) == 0)
            return scenario_parse_bursty(sc, value, err, errlen);
        else {
            scenario_err(err, errlen,
                    "'%s' is not poisson, constant or bursty:ON,OFF,FACTOR",
                    value);
            return -1;
        }
        return 0;
    case SCENARIO_KT_COUNT: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (!isdigit((unsigned char)value[0]) || *end) {
            scenario_err(err, errlen, "'%s' is not a whole number >= 0", value);
            return -1;
        }
        if (errno == ERANGE || v > UINT32_MAX) {
            scenario_err(err, errlen, "%s is outside [0, %u]", value,
                         (unsigned)UINT32_MAX);
            return -1;
        }
        *(uint32_t *)field = (uint32_t)v;
        return 0;
    }
    case SCENARIO_KT_ENUM: {
        char list[256] = "";
        for (int i = 0; k->choices[i]; i++) {
            if (strcmp(value, k->choices[i]) == 0) {
                *(int *)field = i;
                return 0;
            }
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     i ? ", " : "", k->choices[i]);
        }
        scenario_err(err, errlen, "'%s' is not one of %s", value, list);
        return -1;
    }
    case SCENARIO_KT_PATH:
        if (strlen(value) >= SCENARIO_PATH_MAX) {
            scenario_err(err, errlen, "file name longer than %d bytes",
                    SCENARIO_PATH_MAX - 1);
            return -1;
        }
        snprintf(field, SCENARIO_PATH_MAX, "%s", value);
        return 0;
    case SCENARIO_KT_MITIGATIONS:
        return scenario_parse_mitigations(sc, value, err, errlen);
    case SCENARIO_KT_CAPACITY: {
        /* A whole number is entries; a size with its unit is bytes. */
        const char *v = value;
        while (isdigit((unsigned char)*v)) v++;
        if (v != value && *v == '\0') {
            errno = 0;
            unsigned long long n = strtoull(value, NULL, 10);
            if (errno == ERANGE || n > UINT32_MAX) {
                scenario_err(err, errlen, "%s entries is more than %u", value,
                             (unsigned)UINT32_MAX);
                return -1;
            }
            sc->cache.capacity = n;
            sc->cache.capacity_bytes = 0;
            return 0;
        }
        uint64_t bytes;
        char why[200];
        if (sim_size_parse(value, &bytes, why, sizeof why) != 0) {
            scenario_err(err, errlen, "'%s' is not 0, a number of entries or "
                         "a size such as 64MB (%s)", value, why);
            return -1;
        }
        sc->cache.capacity = bytes;
        sc->cache.capacity_bytes = bytes > 0;
        return 0;
    }
    case SCENARIO_KT_SIZE_DIST: {
        sim_dist d;
        if (sim_dist_parse_size(&d, value, sc->basedir, err, errlen) != 0)
            return -1;
        sim_dist_fini((sim_dist *)field);
        *(sim_dist *)field = d;
        return 0;
    }
    case SCENARIO_KT_PATTERN: {
        const pattern_ops *p = pattern_find(value);
        if (!p) {
            char names[256];
            pattern_list(names, sizeof names);
            scenario_err(err, errlen, "unknown pattern '%s' (this build has: %s)",
                    value, names);
            return -1;
        }
        snprintf(field, sizeof sc->cache.pattern, "%s", p->name);
        return 0;
    }
    case SCENARIO_KT_INVALIDATION: {
        static const char *names[] = {"delete-after-write",
                                      "delete-before-write",
                                      "update-after-write", "none"};
        for (int i = 0; i < 4; i++)
            if (strcmp(value, names[i]) == 0) {
                *(scenario_invalidation *)field = (scenario_invalidation)i;
                return 0;
            }
        scenario_err(err, errlen,
                "'%s' is not delete-after-write, delete-before-write, "
                "update-after-write or none",
                value);
        return -1;
    }
    }
    scenario_err(err, errlen, "internal: unknown key type");
    return -1;
}

/* Records value text and origin of key i; the value is already applied. */
static int remember(scenario *sc, size_t i, const char *value, int line) {
    char *t = dup_str(value);
    if (!t) return -1;
    free(sc->text[i]);
    sc->text[i] = t;
    sc->line[i] = line;
    return 0;
}

int scenario_init_defaults(scenario *sc, char *err, size_t errlen) {
    memset(sc, 0, sizeof *sc);
    sc->path = dup_str("(built-in default)");
    sc->basedir = dup_str(".");
    if (!sc->path || !sc->basedir) {
        scenario_err(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0, n = NKEYS; i < n; i++) {
        char why[256];
        const scenario_key *k = key_at(i);
        if (apply_value(sc, i, k->def, why, sizeof why) != 0) {
            scenario_err(err, errlen, "internal: default of %s.%s: %s",
                    k->section, k->name, why);
            return -1;
        }
        if (remember(sc, i, k->def, 0) != 0) {
            scenario_err(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* ---- file parsing ------------------------------------------------------ */

typedef struct parse_state {
    scenario *sc;
    const char *name; /* file name for messages */
    int line;         /* line most recently handed to inih */
    int seen[SCENARIO_MAX_KEYS]; /* line where each key was given, 0 if not */
    char *err;
    size_t errlen;
    int failed;       /* 1 once err holds a message */
    int failed_line;  /* the line that message is about */
    /* source: a FILE or a string */
    FILE *file;
    const char *text;
} parse_state;


static char *read_line(char *buf, int size, void *stream) {
    parse_state *ps = stream;
    char *got = NULL;
    int nul = 0; /* a NUL byte inside this line */
    if (ps->file) {
        /* fgets cannot tell a NUL byte from the end of the line: read the
         * bytes one by one. */
        int c = EOF, n = 0;
        while (n < size - 1 && (c = getc(ps->file)) != EOF) {
            if (c == '\0') nul = 1;
            buf[n++] = (char)c;
            if (c == '\n') break;
        }
        buf[n] = '\0';
        got = n > 0 ? buf : NULL;
    } else if (ps->text && *ps->text) {
        const char *nl = strchr(ps->text, '\n');
        size_t n = nl ? (size_t)(nl - ps->text) + 1 : strlen(ps->text);
        if (n > (size_t)size - 1) n = (size_t)size - 1;
        memcpy(buf, ps->text, n);
        buf[n] = '\0';
        ps->text += n;
        got = buf;
    }
    if (!got) return NULL;
    ps->line++;
    if (nul && !ps->failed) {
        scenario_err(ps->err, ps->errlen, "%s:%d: a NUL byte in the line "
                     "(a scenario is text)", ps->name, ps->line);
        ps->failed = 1;
        ps->failed_line = ps->line;
    }
    size_t len = strlen(buf);
    int at_end;
    if (ps->file) {
        /* feof is not yet set when the last line exactly fills buf. */
        int c = getc(ps->file);
        at_end = c == EOF;
        if (c != EOF) ungetc(c, ps->file);
    } else {
        at_end = !*ps->text;
    }
    if (len == (size_t)size - 1 && buf[len - 1] != '\n' && !at_end &&
        !ps->failed) {
        scenario_err(ps->err, ps->errlen, "%s:%d: line longer than %d characters",
                ps->name, ps->line, size - 3);
        ps->failed = 1;
        ps->failed_line = ps->line;
        /* Skip the rest of the physical line. */
        if (ps->file) {
            int c;
            while ((c = fgetc(ps->file)) != EOF && c != '\n') {}
        } else {
            const char *nl = strchr(ps->text, '\n');
            ps->text = nl ? nl + 1 : ps->text + strlen(ps->text);
        }
        buf[0] = '\0';
    }
    /* Indentation means nothing in a scenario: drop it, or inih would take an
     * indented "key = value" for a continuation of the previous value. */
    size_t lead = strspn(buf, " \t");
    if (lead) memmove(buf, buf + lead, strlen(buf + lead) + 1);
    /* inih reports keys, not section headers: check the headers here, so a
     * misspelled section with nothing under it is still refused. */
    char *close = buf[0] == '[' ? strchr(buf, ']') : NULL;
    if (close && !ps->failed) {
        char name[LINE_MAX_BYTES];
        size_t n = (size_t)(close - buf - 1);
        memcpy(name, buf + 1, n);
        name[n] = '\0';
        if (reserved_section(name)) {
            scenario_err(ps->err, ps->errlen,
                    "%s:%d: section [%s] is not simulated by this build yet",
                    ps->name, ps->line, name);
            ps->failed = 1;
            ps->failed_line = ps->line;
        } else if (family_section(name)) {
            char why[256];
            if (family_declare(ps->sc, name + 7, ps->line, why, sizeof why) ==
                NULL) {
                scenario_err(ps->err, ps->errlen, "%s:%d: [%s]: %s", ps->name,
                        ps->line, name, why);
                ps->failed = 1;
                ps->failed_line = ps->line;
            }
        } else if (!known_section(name) && !path_section(name)) {
            scenario_err(ps->err, ps->errlen, "%s:%d: unknown section [%s]",
                    ps->name, ps->line, name);
            ps->failed = 1;
            ps->failed_line = ps->line;
        }
    }
    return got;
}

/* Removes an inline " #..." comment and trailing blanks (inih already took
 * " ;" comments and surrounding blanks). */
static void strip_hash_comment(char *v) {
    for (char *p = v; *p; p++)
        if (*p == '#' && (p == v || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            break;
        }
    size_t n = strlen(v);
    while (n && isspace((unsigned char)v[n - 1])) v[--n] = '\0';
}

static int on_pair(void *user, const char *section, const char *name,
                   const char *value) {
    parse_state *ps = user;
    if (ps->failed) return 1;
    ps->failed_line = ps->line; /* used only once failed is set */
    char v[LINE_MAX_BYTES + 8];
    snprintf(v, sizeof v, "%s", value);
    strip_hash_comment(v);

    if (!*section) {
        scenario_err(ps->err, ps->errlen,
                "%s:%d: key '%s' appears before any [section]", ps->name,
                ps->line, name);
        ps->failed = 1;
        return 1;
    }
    if (path_section(section)) {
        char why[256];
        if (apply_path(ps->sc, section + 5, name, v, ps->line, why,
                       sizeof why) != 0) {
            scenario_err(ps->err, ps->errlen, "%s:%d: key '%s': %s", ps->name,
                    ps->line, name, why);
            ps->failed = 1;
            ps->failed_line = ps->line;
        }
        return 1;
    }
    if (family_section(section)) {
        char why[320];
        if (apply_family(ps->sc, section + 7, name, v, ps->line, why,
                         sizeof why) != 0) {
            scenario_err(ps->err, ps->errlen, "%s:%d: key '%s': %s", ps->name,
                    ps->line, name, why);
            ps->failed = 1;
            ps->failed_line = ps->line;
        }
        return 1;
    }
    int i = find_key(section, name);
    if (i < 0) {
        if (reserved_section(section))
            scenario_err(ps->err, ps->errlen,
                    "%s:%d: key '%s': section [%s] is not simulated by this "
                    "build yet",
                    ps->name, ps->line, name, section);
        else if (!known_section(section))
            scenario_err(ps->err, ps->errlen, "%s:%d: key '%s': unknown section [%s]",
                    ps->name, ps->line, name, section);
        else
            scenario_err(ps->err, ps->errlen,
                    "%s:%d: key '%s': unknown key in [%s] (`stalesim keys` "
                    "lists them)",
                    ps->name, ps->line, name, section);
        ps->failed = 1;
        return 1;
    }
    if (ps->seen[i]) {
        scenario_err(ps->err, ps->errlen,
                "%s:%d: key '%s': given twice in [%s] (first at line %d)",
                ps->name, ps->line, name, section, ps->seen[i]);
        ps->failed = 1;
        return 1;
    }
    ps->seen[i] = ps->line;
    char why[256];
    if (apply_value(ps->sc, (size_t)i, v, why, sizeof why) != 0) {
        scenario_err(ps->err, ps->errlen, "%s:%d: key '%s': %s", ps->name, ps->line,
                name, why);
        ps->failed = 1;
        return 1;
    }
    if (remember(ps->sc, (size_t)i, v, ps->line) != 0) {
        scenario_err(ps->err, ps->errlen, "out of memory");
        ps->failed = 1;
    }
    return 1;
}

static int run_parse(parse_state *ps) {
    int rc = ini_parse_stream(read_line, ps, on_pair, ps);
    /* inih goes on after a malformed line and returns the first one; report
     * whichever error comes first in the file. */
    if (ps->failed && !(rc > 0 && rc < ps->failed_line)) return -1;
    if (rc > 0) {
        scenario_err(ps->err, ps->errlen,
                "%s:%d: malformed line (expected 'key = value' or "
                "'[section]')",
                ps->name, rc);
        return -1;
    }
    if (rc < 0) {
        scenario_err(ps->err, ps->errlen, "%s: cannot be parsed (out of memory)",
                ps->name);
        return -1;
    }
    return 0;
}

static int set_basedir(scenario *sc, const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash) {
        dir = dup_str(".");
    } else {
        size_t n = (size_t)(slash - path);
        if (n == 0) n = 1; /* "/x.ini" -> "/" */
        dir = malloc(n + 1);
        if (dir) {
            memcpy(dir, path, n);
            dir[n] = '\0';
        }
    }
    char *p = dup_str(path);
    if (!dir || !p) {
        free(dir);
        free(p);
        return -1;
    }
    free(sc->basedir);
    free(sc->path);
    sc->basedir = dir;
    sc->path = p;
    return 0;
}

int scenario_load(scenario *sc, const char *path, char *err, size_t errlen) {
    char why[128];
    FILE *f = sim_file_open_regular(path, why, sizeof why);
    if (!f) {
        scenario_err(err, errlen, "%s: cannot open: %s", path,
                     why);
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && st.st_size > SCENARIO_FILE_MAX) {
        scenario_err(err, errlen, "%s: %lld bytes; a scenario file may have "
                     "at most %d", path, (long long)st.st_size,
                     SCENARIO_FILE_MAX);
        fclose(f);
        return -1;
    }
    if (set_basedir(sc, path) != 0) {
        fclose(f);
        scenario_err(err, errlen, "out of memory");
        return -1;
    }
    parse_state ps = {.sc = sc, .name = path, .err = err, .errlen = errlen,
                      .file = f};
    int rc = run_parse(&ps);
    if (rc == 0 && ferror(f)) {
        scenario_err(err, errlen, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

int scenario_load_string(scenario *sc, const char *name, const char *text,
                         char *err, size_t errlen) {
    char *p = dup_str(name);
    if (!p) {
        scenario_err(err, errlen, "out of memory");
        return -1;
    }
    free(sc->path);
    sc->path = p; /* validate's messages name it too */
    parse_state ps = {.sc = sc, .name = name, .err = err, .errlen = errlen,
                      .text = text};
    return run_parse(&ps);
}

int scenario_set(scenario *sc, const char *assignment, char *err,
                 size_t errlen) {
    const char *eq = strchr(assignment, '=');
    if (eq && strncmp(assignment, "family.", 7) == 0) {
        /* family.NAME.KEY=VALUE, where KEY may itself be section.key: the
         * family's name ends at the first dot after "family.". */
        const char *fname = assignment + 7;
        const char *dot = memchr(fname, '.', (size_t)(eq - fname));
        char fam[64], name[64], value[LINE_MAX_BYTES];
        size_t lf = dot ? (size_t)(dot - fname) : 0;
        size_t ln = dot ? (size_t)(eq - dot - 1) : 0;
        if (!dot || lf == 0 || lf >= sizeof fam || ln == 0 ||
            ln >= sizeof name) {
            scenario_err(err, errlen,
                    "--set '%s': expected family.NAME.KEY=VALUE, e.g. "
                    "family.display.cache.ttl=60s",
                    assignment);
            return -1;
        }
        memcpy(fam, fname, lf);
        fam[lf] = '\0';
        memcpy(name, dot + 1, ln);
        name[ln] = '\0';
        snprintf(value, sizeof value, "%s", eq + 1);
        char why[320];
        if (apply_family(sc, fam, name, value, -1, why, sizeof why) != 0) {
            scenario_err(err, errlen, "--set 'family.%s.%s': %s", fam, name, why);
            return -1;
        }
        return 0;
    }
    const char *dot = NULL;
    for (const char *p = assignment; eq && p < eq; p++)
        if (*p == '.') dot = p;
    if (!eq || !dot) {
        scenario_err(err, errlen,
                "--set '%s': expected section.key=value, e.g. cache.ttl=60s",
                assignment);
        return -1;
    }
    char section[64], name[64], value[LINE_MAX_BYTES];
    size_t ls = (size_t)(dot - assignment), ln = (size_t)(eq - dot - 1);
    if (ls == 0 || ls >= sizeof section || ln == 0 || ln >= sizeof name) {
        scenario_err(err, errlen, "--set '%s': expected section.key=value",
                assignment);
        return -1;
    }
    memcpy(section, assignment, ls);
    section[ls] = '\0';
    memcpy(name, dot + 1, ln);
    name[ln] = '\0';
    snprintf(value, sizeof value, "%s", eq + 1);
    if (path_section(section)) {
        char why[256];
        if (apply_path(sc, section + 5, name, value, -1, why, sizeof why) != 0) {
            scenario_err(err, errlen, "--set '%s.%s': %s", section, name, why);
            return -1;
        }
        return 0;
    }
    int i = find_key(section, name);
    if (i < 0) {
        scenario_err(err, errlen, "--set '%s.%s': %s", section, name,
                reserved_section(section)
                    ? "not simulated by this build yet"
                : known_section(section) ? "unknown key"
                                         : "unknown section");
        return -1;
    }
    char why[256];
    if (apply_value(sc, (size_t)i, value, why, sizeof why) != 0) {
        scenario_err(err, errlen, "--set '%s.%s': %s", section, name, why);
        return -1;
    }
    if (remember(sc, (size_t)i, value, -1) != 0) {
        scenario_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void scenario_key_where(const scenario *sc, const char *section,
                        const char *name, char *buf, size_t len) {
    int i = find_key(section, name);
    int line = i >= 0 ? sc->line[i] : 0;
    if (line > 0)
        snprintf(buf, len, "%s:%d: key '%s'", sc->path, line, name);
    else if (line < 0)
        snprintf(buf, len, "--set '%s.%s'", section, name);
    else
        snprintf(buf, len, "%s: key '%s' (default)", sc->path, name);
}

static int validate_families(const scenario *sc, char *err, size_t errlen);

/* Oracle copies sc's pattern registers beside the source and the shared
 * cache (write-behind's DB). */
static unsigned pattern_copies(const scenario *sc) {
    const pattern_ops *p = pattern_find(sc->cache.pattern);
    return p ? p->oracle_copies : 0;
}

int scenario_validate(const scenario *sc, char *err, size_t errlen) {
    char at[512];
    if (sc->run.duration <= 0) {
        scenario_key_where(sc, "run", "duration", at, sizeof at);
        scenario_err(err, errlen, "%s: duration must be greater than 0", at);
        return -1;
    }
    if (sc->run.reps > SCENARIO_MAX_REPS) {
        scenario_key_where(sc, "run", "reps", at, sizeof at);
        scenario_err(err, errlen, "%s: %u replications is more than the limit "
                     "of %d", at, (unsigned)sc->run.reps, SCENARIO_MAX_REPS);
        return -1;
    }
    if (sc->run.warmup >= sc->run.duration) {
        scenario_key_where(sc, "run", "warmup", at, sizeof at);
        scenario_err(err, errlen, "%s: warmup must be shorter than duration", at);
        return -1;
    }
    if (!sc->workload.trace[0] && sc->workload.reads + sc->workload.writes <= 0) {
        scenario_key_where(sc, "workload", "reads", at, sizeof at);
        scenario_err(err, errlen, "%s: reads and writes are both 0: nothing to "
                             "simulate", at);
        return -1;
    }
    if (sc->paths.n > 0) {
        double total = 0;
        for (int i = 0; i < sc->paths.n; i++) {
            const scenario_path *p = &sc->paths.path[i];
            if (p->share < 0) {
                scenario_err(err, errlen, "%s:%d: [path.%s] needs a share",
                        sc->path, p->line, p->name);
                return -1;
            }
            total += p->share;
        }
        if (fabs(total - 1) > 1e-9) {
            scenario_err(err, errlen,
                    "%s:%d: [path.%s]: the write paths' shares sum to %g, "
                    "not 1",
                    sc->path, sc->paths.path[0].line, sc->paths.path[0].name,
                    total);
            return -1;
        }
    }
    /* Every replica and every instance's local cache is a copy of each key
     * that the oracle tracks; it has room for ORACLE_MAX_COPIES. */
    uint64_t copies = 2 + (uint64_t)sc->db.replicas +
                      (uint64_t)sc->local.instances +
                      pattern_copies(sc);
    if (copies > ORACLE_MAX_COPIES) {
        int inst = sc->local.instances >= sc->db.replicas;
        scenario_key_where(sc, inst ? "local" : "db", inst ? "instances" : "replicas", at,
              sizeof at);
        scenario_err(err, errlen,
                "%s: local.instances (%u) + db.replicas (%u) make %llu "
                "copies of each key; the limit is %d (source, shared cache%s "
                "and local.instances + db.replicas <= %d)",
                at, (unsigned)sc->local.instances, (unsigned)sc->db.replicas,
                (unsigned long long)copies, ORACLE_MAX_COPIES,
                copies - 2 - sc->db.replicas - sc->local.instances
                    ? ", the pattern's own copy" : "",
                ORACLE_MAX_COPIES - 2 -
                    (int)(copies - 2 - sc->db.replicas - sc->local.instances));
        return -1;
    }
    if (sc->cache.ttl_jitter >= 1) {
        scenario_key_where(sc, "cache", "ttl_jitter", at, sizeof at);
        scenario_err(err, errlen, "%s: ttl_jitter must be below 1", at);
        return -1;
    }
    if (validate_capacity(sc, err, errlen) != 0) return -1;
    if (sc->faults.del_fail + sc->faults.del_timeout > 1) {
        scenario_key_where(sc, "faults", "del_timeout", at, sizeof at);
        scenario_err(err, errlen,
                "%s: del_fail + del_timeout exceed 1 (they are exclusive "
                "outcomes of one DEL)",
                at);
        return -1;
    }
    const pattern_ops *p = pattern_find(sc->cache.pattern);
    if (p && p->validate && p->validate(sc, err, errlen) != 0) return -1;
    return validate_families(sc, err, errlen);
}

/* [cache] capacity, eviction and value_size agree with each other and with
 * the pattern. */
static int validate_capacity(const scenario *sc, char *err, size_t errlen) {
    char at[SCENARIO_PATH_MAX + 64];
    int sized = !sim_dist_is_zero(&sc->cache.value_size);
    if (sc->cache.capacity_bytes && !sized) {
        scenario_key_where(sc, "cache", "capacity", at, sizeof at);
        scenario_err(err, errlen, "%s: a capacity in bytes needs [cache] "
                     "value_size (the size of each value, e.g. const:1KB)", at);
        return -1;
    }
    if (sized && sc->cache.capacity > 0 && !sc->cache.capacity_bytes) {
        scenario_key_where(sc, "cache", "value_size", at, sizeof at);
        scenario_err(err, errlen, "%s: value_size counts only against a "
                     "capacity in bytes, and capacity is %llu entries (write "
                     "it with a unit, e.g. 64MB, or drop value_size)", at,
                     (unsigned long long)sc->cache.capacity);
        return -1;
    }
    const pattern_ops *p = pattern_find(sc->cache.pattern);
    if (sc->cache.capacity > 0 && p && (p->flags & PATTERN_CACHE_COMMITS) &&
        (sc->cache.eviction == SCENARIO_EVICT_NOEVICTION ||
         sc->cache.eviction == SCENARIO_EVICT_VOLATILE_TTL)) {
        scenario_key_where(sc, "cache", "eviction", at, sizeof at);
        scenario_err(err, errlen, "%s: with %s the cache accepts the writes; "
                     "a full cache refusing one (%s) is not simulated: use lru "
                     "or lfu", at, p->name,
                     eviction_choices[sc->cache.eviction]);
        return -1;
    }
    return 0;
}

void scenario_fini(scenario *sc) {
    if (!sc) return;
    for (size_t i = 0, n = NKEYS; i < n; i++) {
        if (is_dist(key_at(i)->type))
            sim_dist_fini((sim_dist *)key_field(sc, i));
        free(sc->text[i]);
        sc->text[i] = NULL;
    }
    sim_dist_fini(&sc->cache.mitigations.outbox_lag);
    free(sc->path);
    free(sc->basedir);
    sc->path = sc->basedir = NULL;
    workload_trace_shared_release(sc->trace_shared);
    sc->trace_shared = NULL;
}

/* ---- key families ------------------------------------------------------- */

/* The keys a family may override: whatever a request reads ([cache] and
 * [faults] keys, the [local] keys used per request, the contract).  The
 * cache outage process and the local instances' layout are world-wide. */
static int family_overridable(size_t i) {
    int p;
    const scenario_key *k = key_find_row(i, &p);
    if (p >= 0) return pattern_at((size_t)p)->keys_per_family;
    if (strcmp(k->section, "cache") == 0)
        return strcmp(k->name, "outage_rate") != 0 &&
               strcmp(k->name, "outage_duration") != 0 &&
               strcmp(k->name, "capacity") != 0 &&
               strcmp(k->name, "eviction") != 0 &&
               strcmp(k->name, "value_size") != 0;
    if (strcmp(k->section, "local") == 0)
        return strcmp(k->name, "ttl") == 0 ||
               strcmp(k->name, "bus_loss") == 0 ||
               strcmp(k->name, "bus_latency") == 0;
    return strcmp(k->section, "faults") == 0 ||
           strcmp(k->section, "contract") == 0;
}

static scenario_family *family_find(scenario *sc, const char *fname) {
    for (int i = 0; i < sc->families.n; i++)
        if (strcmp(sc->families.family[i].name, fname) == 0)
            return &sc->families.family[i];
    return NULL;
}

/* A [family.NAME] header at `line` (> 0), or the first --set of a family
 * (line -1).  A name declared twice in a file is refused. */
static scenario_family *family_declare(scenario *sc, const char *fname,
                                       int line, char *err, size_t errlen) {
    if (!*fname || strlen(fname) >= sizeof sc->families.family[0].name ||
        strchr(fname, '.')) {
        scenario_err(err, errlen,
                "family name must be 1..%zu characters without '.'",
                sizeof sc->families.family[0].name - 1);
        return NULL;
    }
    scenario_family *f = family_find(sc, fname);
    if (f) {
        if (line > 0 && f->line > 0) {
            scenario_err(err, errlen, "family '%s' declared twice (first at line "
                                 "%d)", fname, f->line);
            return NULL;
        }
        return f;
    }
    if (sc->families.n == SCENARIO_MAX_FAMILIES) {
        scenario_err(err, errlen, "more than %d families", SCENARIO_MAX_FAMILIES);
        return NULL;
    }
    f = &sc->families.family[sc->families.n++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", fname);
    f->line = line;
    return f;
}

/* "2000" (a count), or "0.2" (a share: a value with a '.' or below 1). */
static int parse_key_amount(const char *value, scenario_amount *a, char *err,
                            size_t errlen) {
    double v;
    if (scenario_parse_double(value, &v) != 0 || v < 0) {
        scenario_err(err, errlen, "'%s' is not a count (2000) or a share of "
                             "[workload] keys (0.2)", value);
        return -1;
    }
    if (strchr(value, '.') || v < 1) {
        if (v <= 0 || v > 1) {
            scenario_err(err, errlen, "share %s is outside (0,1]", value);
            return -1;
        }
        a->is_share = 1;
        a->share = v;
    } else {
        if (v != floor(v)) {
            scenario_err(err, errlen, "'%s' is not a whole number of keys", value);
            return -1;
        }
        if (v > UINT32_MAX) {
            scenario_err(err, errlen, "%s keys is more than %u", value,
                         (unsigned)UINT32_MAX);
            return -1;
        }
        a->is_share = 0;
        a->value = v;
    }
    a->given = 1;
    return 0;
}

/* "300/s" (a rate) or "0.3" (a share of the [workload] total). */
static int parse_rate_amount(const char *value, scenario_amount *a, char *err,
                             size_t errlen) {
    if (strchr(value, '/')) {
        if (sim_rate_parse(value, &a->value, err, errlen) != 0) return -1;
        a->is_share = 0;
    } else {
        double v;
        if (scenario_parse_double(value, &v) != 0 || v < 0 || v > 1) {
            scenario_err(err, errlen, "'%s' is not a rate (N/s) or a share in "
                                 "[0,1] of the [workload] total", value);
            return -1;
        }
        a->is_share = 1;
        a->share = v;
    }
    a->given = 1;
    return 0;
}

/* The table key an override names: "section.key", or a bare name unique
 * among [cache], [local] and [faults] ("ttl" is cache.ttl).  -1 with the
 * reason otherwise. */
static int override_key(const char *name, char *err, size_t errlen) {
    const char *dot = strchr(name, '.');
    int i = -1;
    if (dot) {
        char section[64];
        size_t n = (size_t)(dot - name);
        if (n >= sizeof section) n = sizeof section - 1;
        memcpy(section, name, n);
        section[n] = '\0';
        i = find_key(section, dot + 1);
    } else if (strcmp(name, "ttl") == 0) {
        i = find_key("cache", "ttl");
    } else {
        static const char *const sections[] = {"cache", "local", "faults"};
        for (int s = 0; s < 3; s++) {
            int j = find_key(sections[s], name);
            if (j < 0) continue;
            if (i >= 0) {
                scenario_err(err, errlen, "ambiguous: write %s.%s or %s.%s",
                        key_at((size_t)i)->section, name,
                        key_at((size_t)j)->section, name);
                return -1;
            }
            i = j;
        }
    }
    if (i < 0) {
        scenario_err(err, errlen,
                "unknown key in a family (keys, popularity, reads, writes, "
                "bypass, contract.*, or a [cache], [local] or [faults] key)");
        return -1;
    }
    if (!family_overridable((size_t)i)) {
        scenario_err(err, errlen, "%s.%s cannot vary per family (it is "
                             "world-wide)", key_at((size_t)i)->section,
                key_at((size_t)i)->name);
        return -1;
    }
    return i;
}

/* Checks `value` for key k on a scratch scenario (with sc's folder, for
 * empirical distributions). */
static int check_value(const scenario *sc, size_t k,
                       const char *value, char *err, size_t errlen) {
    scenario *tmp = malloc(sizeof *tmp);
    char why[256];
    if (!tmp || scenario_init_defaults(tmp, why, sizeof why) != 0) {
        if (tmp) scenario_fini(tmp);
        free(tmp);
        scenario_err(err, errlen, "out of memory");
        return -1;
    }
    char *dir = dup_str(sc->basedir ? sc->basedir : ".");
    if (dir) {
        free(tmp->basedir);
        tmp->basedir = dir;
    }
    int rc = apply_value(tmp, k, value, err, errlen);
    scenario_fini(tmp);
    free(tmp);
    return rc;
}

static int apply_family(scenario *sc, const char *fname, const char *name,
                        const char *value, int line, char *err,
                        size_t errlen) {
    scenario_family *f = family_find(sc, fname);
    if (!f) f = family_declare(sc, fname, line, err, errlen);
    if (!f) return -1;
    if (strcmp(name, "keys") == 0)
        return parse_key_amount(value, &f->keys, err, errlen);
    if (strcmp(name, "reads") == 0)
        return parse_rate_amount(value, &f->reads, err, errlen);
    if (strcmp(name, "writes") == 0)
        return parse_rate_amount(value, &f->writes, err, errlen);
    if (strcmp(name, "bypass") == 0) {
        if (scenario_parse_bool(value, &f->bypass) != 0) {
            scenario_err(err, errlen, "'%s' is not yes or no", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "popularity") == 0) {
        double z;
        if (strcmp(value, "uniform") == 0) {
            z = 0;
        } else if (strncmp(value, "zipf:", 5) == 0 &&
                   scenario_parse_double(value + 5, &z) == 0 && z > 0 && z <= 10) {
        } else {
            scenario_err(err, errlen, "'%s' is not uniform or zipf:S (S in "
                                 "(0, 10])", value);
            return -1;
        }
        f->has_popularity = 1;
        f->zipf_s = z;
        return 0;
    }
    int k = override_key(name, err, errlen);
    if (k < 0) return -1;
    if (strlen(value) >= SCENARIO_VALUE_MAX) {
        scenario_err(err, errlen, "value longer than %d characters",
                SCENARIO_VALUE_MAX - 1);
        return -1;
    }
    if (check_value(sc, (size_t)k, value, err, errlen) != 0) return -1;
    scenario_override *o = NULL;
    for (int j = 0; j < f->noverrides; j++)
        if (f->override[j].key == k) o = &f->override[j];
    if (o && line > 0 && o->line > 0) {
        scenario_err(err, errlen, "%s.%s given twice in [family.%s] (first at "
                             "line %d)", key_at((size_t)k)->section,
                key_at((size_t)k)->name,
                fname, o->line);
        return -1;
    }
    if (!o) {
        if (f->noverrides == SCENARIO_MAX_OVERRIDES) {
            scenario_err(err, errlen, "more than %d overrides in a family",
                    SCENARIO_MAX_OVERRIDES);
            return -1;
        }
        o = &f->override[f->noverrides++];
    }
    o->key = k;
    o->line = line;
    snprintf(o->value, sizeof o->value, "%s", value);
    return 0;
}

static uint32_t family_key_count(const scenario *sc, const scenario_family *f) {
    if (!f->keys.is_share) return (uint32_t)f->keys.value;
    double n = floor(f->keys.share * (double)sc->workload.keys + 0.5);
    return n < 0 ? 0 : n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

uint32_t scenario_total_keys(const scenario *sc) {
    if (sc->families.n == 0) return sc->workload.keys;
    uint64_t total = 0;
    for (int i = 0; i < sc->families.n; i++)
        total += family_key_count(sc, &sc->families.family[i]);
    return total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
}

void scenario_family_resolve(const scenario *sc, int f,
                             scenario_family_range *out) {
    memset(out, 0, sizeof *out);
    if (sc->families.n == 0) {
        out->nkeys = sc->workload.keys;
        out->reads = sc->workload.reads;
        out->writes = sc->workload.writes;
        out->zipf_s = sc->workload.zipf_s;
        return;
    }
    uint32_t first = 0;
    for (int i = 0; i < f; i++)
        first += family_key_count(sc, &sc->families.family[i]);
    const scenario_family *fam = &sc->families.family[f];
    out->first_key = first;
    out->nkeys = family_key_count(sc, fam);
    uint32_t total = scenario_total_keys(sc);
    double share = total ? (double)out->nkeys / (double)total : 0;
    out->reads = !fam->reads.given    ? share * sc->workload.reads
                 : fam->reads.is_share ? fam->reads.share * sc->workload.reads
                                       : fam->reads.value;
    out->writes = !fam->writes.given ? share * sc->workload.writes
                  : fam->writes.is_share
                      ? fam->writes.share * sc->workload.writes
                      : fam->writes.value;
    out->zipf_s = fam->has_popularity ? fam->zipf_s : sc->workload.zipf_s;
}

int scenario_copy(scenario *dst, const scenario *src) {
    *dst = *src;
    size_t nkeys = NKEYS;
    for (size_t i = 0; i < nkeys; i++) {
        dst->text[i] = NULL;
        if (is_dist(key_at(i)->type))
            ((sim_dist *)key_field(dst, i))->values = NULL;
    }
    dst->cache.mitigations.outbox_lag.values = NULL;
    dst->path = dst->basedir = NULL;
    int ok = 1;
    for (size_t i = 0; i < nkeys; i++) {
        if (src->text[i] && !(dst->text[i] = dup_str(src->text[i]))) ok = 0;
        if (is_dist(key_at(i)->type) &&
            sim_dist_copy((sim_dist *)key_field(dst, i),
                          (const sim_dist *)key_field(src, i)) != 0)
            ok = 0;
    }
    if (sim_dist_copy(&dst->cache.mitigations.outbox_lag,
                      &src->cache.mitigations.outbox_lag) != 0)
        ok = 0;
    if (src->path && !(dst->path = dup_str(src->path))) ok = 0;
    if (src->basedir && !(dst->basedir = dup_str(src->basedir))) ok = 0;
    workload_trace_shared_retain(dst->trace_shared);
    if (!ok) {
        scenario_fini(dst);
        return -1;
    }
    return 0;
}

int scenario_family_view(const scenario *base, int family, scenario *out,
                         char *err, size_t errlen) {
    if (scenario_copy(out, base) != 0) {
        scenario_err(err, errlen, "out of memory");
        return -1;
    }
    const scenario_family *f = &base->families.family[family];
    for (int j = 0; j < f->noverrides; j++) {
        const scenario_override *o = &f->override[j];
        const scenario_key *k = key_at((size_t)o->key);
        char why[256];
        if (apply_value(out, (size_t)o->key, o->value, why, sizeof why) != 0) {
            if (o->line > 0)
                scenario_err(err, errlen, "%s:%d: key '%s.%s': %s", base->path,
                        o->line, k->section, k->name, why);
            else
                scenario_err(err, errlen, "--set 'family.%s.%s.%s': %s", f->name,
                        k->section, k->name, why);
            scenario_fini(out);
            return -1;
        }
        if (remember(out, (size_t)o->key, o->value, o->line) != 0) {
            scenario_err(err, errlen, "out of memory");
            scenario_fini(out);
            return -1;
        }
    }
    if (f->bypass) snprintf(out->cache.pattern, sizeof out->cache.pattern,
                            "%s", pattern_no_cache()->name);
    scenario_family_range r;
    scenario_family_resolve(base, family, &r);
    out->workload.keys = scenario_total_keys(base);
    out->workload.reads = r.reads;
    out->workload.writes = r.writes;
    out->workload.zipf_s = r.zipf_s;
    out->families.n = 0;
    return 0;
}

/* The families' cross-key checks (scenario_validate). */
static int validate_families(const scenario *sc, char *err, size_t errlen) {
    if (sc->families.n == 0) return 0;
    if (sc->workload.trace[0]) {
        const scenario_family *f = &sc->families.family[0];
        scenario_err(err, errlen, "%s:%d: [family.%s]: families need synthetic "
                             "arrivals ([workload] trace is set)",
                sc->path, f->line, f->name);
        return -1;
    }
    double rate = 0;
    uint64_t total = 0;
    /* A pattern whose cache takes the commits owns every key's truth. */
    const pattern_ops *base_p = pattern_find(sc->cache.pattern);
    int base_owns = base_p && (base_p->flags & PATTERN_CACHE_COMMITS);
    for (int i = 0; i < sc->families.n; i++) {
        const scenario_family *f = &sc->families.family[i];
        if (!f->keys.given) {
            scenario_err(err, errlen, "%s:%d: [family.%s] needs keys (a count or "
                                 "a share of [workload] keys)",
                    sc->path, f->line, f->name);
            return -1;
        }
        scenario_family_range r;
        scenario_family_resolve(sc, i, &r);
        if (r.nkeys < 1) {
            scenario_err(err, errlen, "%s:%d: [family.%s]: keys = %g of %u "
                                 "[workload] keys is no key at all",
                    sc->path, f->line, f->name, f->keys.share,
                    (unsigned)sc->workload.keys);
            return -1;
        }
        total += r.nkeys;
        rate += r.reads + r.writes;
        scenario *v = malloc(sizeof *v);
        if (!v) {
            scenario_err(err, errlen, "out of memory");
            return -1;
        }
        if (scenario_family_view(sc, i, v, err, errlen) != 0) {
            free(v);
            return -1;
        }
        char why[512];
        int rc = scenario_validate(v, why, sizeof why);
        const pattern_ops *fam_p = pattern_find(v->cache.pattern);
        int owns = fam_p && (fam_p->flags & PATTERN_CACHE_COMMITS);
        scenario_fini(v);
        free(v);
        if (rc != 0) {
            scenario_err(err, errlen, "[family.%s]: %s", f->name, why);
            return -1;
        }
        if (owns != base_owns) {
            scenario_err(err, errlen,
                    "%s:%d: [family.%s]: %s cannot be mixed with "
                    "other patterns (or bypass) across families",
                    sc->path, f->line, f->name,
                    (owns ? fam_p : base_p)->name);
            return -1;
        }
    }
    if (total > UINT32_MAX) {
        scenario_err(err, errlen, "%s: the families hold more than %u keys",
                sc->path, (unsigned)UINT32_MAX);
        return -1;
    }
    if (rate <= 0) {
        scenario_err(err, errlen, "%s: the families' reads and writes are all 0: "
                             "nothing to simulate", sc->path);
        return -1;
    }
    return 0;
}

void scenario_print_reference(FILE *out) {
    const char *section = "";
    fprintf(out, "| section | key | default | meaning |\n");
    fprintf(out, "|---|---|---|---|\n");
    for (size_t i = 0, n = NKEYS; i < n; i++) {
        const scenario_key *k = key_at(i);
        int first = strcmp(section, k->section) != 0;
        section = k->section;
        fprintf(out, "| %s%s%s | `%s` | `%s` | %s", first ? "[" : "",
                first ? section : "", first ? "]" : "", k->name,
                *k->def ? k->def : "(empty)", k->doc);
        if (k->type == SCENARIO_KT_PATTERN) { /* the names, from the table */
            for (size_t p = 0; p < pattern_count(); p++)
                fprintf(out, "%s`%s`", p ? ", " : " ", pattern_at(p)->name);
        }
        fprintf(out, "%s |\n",
                k->built ? "" : " (not simulated yet: default only)");
    }
}
