/* The scenario's key table: every key's section, name, type, field, default
 * and meaning (the head rows here, each pattern's rows from its table entry,
 * the tail rows here), and the lookups over it. */
#include "models/scenario.h"

#include <stdio.h>
#include <string.h>

#include "models/pattern.h"
#include "models/scenario_internal.h"
#include "sim/check.h"

static const char *const routing_choices[] = {"random", "round-robin",
                                              "sticky", NULL};
static const char *const bus_choices[] = {"none", "pubsub", NULL};
static const char *const tier_choices[] = {"alone", "shared", NULL};
static const char *const fallback_choices[] = {"db", "fail", NULL};
static const char *const trace_format_choices[] = {"twitter", "csv", NULL};
const char *const scenario_eviction_choices[] = {"lru", "lfu",
                                                 "volatile-ttl", "noeviction",
                                                 NULL};

#define OFF(field) offsetof(scenario, field)

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
     1, scenario_eviction_choices},
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
const scenario_key *scenario_key_row(size_t i, int *pattern) {
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

const scenario_key *scenario_key_at(size_t i) {
    int p;
    return scenario_key_row(i, &p);
}

/* Where key i's value lives in sc. */
char *scenario_key_field(const scenario *sc, size_t i) {
    int p;
    const scenario_key *k = scenario_key_row(i, &p);
    char *base = p < 0 ? (char *)sc : (char *)sc->pattern[p].bytes;
    return base + k->offset;
}

size_t scenario_key_count(void) { return NKEYS; }
const char *scenario_key_section(size_t i) { return scenario_key_at(i)->section; }
const char *scenario_key_name(size_t i) { return scenario_key_at(i)->name; }
const char *scenario_key_default(size_t i) { return scenario_key_at(i)->def; }
const char *scenario_key_doc(size_t i) { return scenario_key_at(i)->doc; }
int scenario_key_built(size_t i) { return scenario_key_at(i)->built; }

scenario_num_kind scenario_key_num_kind(size_t i) {
    switch (scenario_key_at(i)->type) {
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

int scenario_key_find(const char *section, const char *name) {
    for (size_t i = 0, n = NKEYS; i < n; i++)
        if (strcmp(scenario_key_at(i)->section, section) == 0 &&
            strcmp(scenario_key_at(i)->name, name) == 0)
            return (int)i;
    return -1;
}

const char *scenario_text(const scenario *sc, const char *section,
                          const char *name) {
    int i = scenario_key_find(section, name);
    return i < 0 ? "?" : sc->text[i];
}

int scenario_section_known(const char *section) {
    for (size_t i = 0, n = NKEYS; i < n; i++)
        if (strcmp(scenario_key_at(i)->section, section) == 0) return 1;
    return 0;
}

void scenario_print_reference(FILE *out) {
    const char *section = "";
    fprintf(out, "| section | key | default | meaning |\n");
    fprintf(out, "|---|---|---|---|\n");
    for (size_t i = 0, n = NKEYS; i < n; i++) {
        const scenario_key *k = scenario_key_at(i);
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
