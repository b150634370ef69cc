/* Key families ([family.NAME] and --set family.NAME.KEY=VALUE): their
 * declaration, sizes, rates and overrides, and each family's view of the
 * scenario. */
#include "models/scenario.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/pattern.h"
#include "models/scenario_internal.h"
#include "models/scenario_values.h"

/* The keys a family may override: whatever a request reads ([cache] and
 * [faults] keys, the [local] keys used per request, the contract).  The
 * cache outage process and the local instances' layout are world-wide. */
static int family_overridable(size_t i) {
    int p;
    const scenario_key *k = scenario_key_row(i, &p);
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
scenario_family *scenario_family_declare(scenario *sc, const char *fname,
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
        i = scenario_key_find(section, dot + 1);
    } else if (strcmp(name, "ttl") == 0) {
        i = scenario_key_find("cache", "ttl");
    } else {
        static const char *const sections[] = {"cache", "local", "faults"};
        for (int s = 0; s < 3; s++) {
            int j = scenario_key_find(sections[s], name);
            if (j < 0) continue;
            if (i >= 0) {
                scenario_err(err, errlen, "ambiguous: write %s.%s or %s.%s",
                        scenario_key_at((size_t)i)->section, name,
                                        scenario_key_at((size_t)j)->section, name);
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
                             "world-wide)", scenario_key_at((size_t)i)->section,
                scenario_key_at((size_t)i)->name);
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
    char *dir = scenario_strdup(sc->basedir ? sc->basedir : ".");
    if (dir) {
        free(tmp->basedir);
        tmp->basedir = dir;
    }
    int rc = scenario_apply_value(tmp, k, value, err, errlen);
    scenario_fini(tmp);
    free(tmp);
    return rc;
}

int scenario_apply_family(scenario *sc, const char *fname, const char *name,
                          const char *value, int line, char *err,
                          size_t errlen) {
    scenario_family *f = family_find(sc, fname);
    if (!f) f = scenario_family_declare(sc, fname, line, err, errlen);
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
                             "line %d)", scenario_key_at((size_t)k)->section,
                scenario_key_at((size_t)k)->name,
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

int scenario_family_view(const scenario *base, int family, scenario *out,
                         char *err, size_t errlen) {
    if (scenario_copy(out, base) != 0) {
        scenario_err(err, errlen, "out of memory");
        return -1;
    }
    const scenario_family *f = &base->families.family[family];
    for (int j = 0; j < f->noverrides; j++) {
        const scenario_override *o = &f->override[j];
        const scenario_key *k = scenario_key_at((size_t)o->key);
        char why[256];
        if (scenario_apply_value(out, (size_t)o->key, o->value, why, sizeof why) != 0) {
            if (o->line > 0)
                scenario_err(err, errlen, "%s:%d: key '%s.%s': %s", base->path,
                        o->line, k->section, k->name, why);
            else
                scenario_err(err, errlen, "--set 'family.%s.%s.%s': %s", f->name,
                        k->section, k->name, why);
            scenario_fini(out);
            return -1;
        }
        if (scenario_remember(out, (size_t)o->key, o->value, o->line) != 0) {
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
