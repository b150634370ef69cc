/* The checks of a whole scenario, across keys, write paths and families
 * (scenario_validate): what no single value can tell. */
#include "models/scenario.h"

#include <math.h>
#include <stdlib.h>

#include "models/oracle.h"
#include "models/pattern.h"
#include "models/scenario_internal.h"
#include "models/scenario_values.h"

static int validate_capacity(const scenario *sc, char *err, size_t errlen);
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
                     scenario_eviction_choices[sc->cache.eviction]);
        return -1;
    }
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
