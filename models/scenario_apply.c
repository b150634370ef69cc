/* A key's value checked, converted and stored in the scenario (and its text
 * remembered); the defaults, a scenario's copy and its release. */
#include "models/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/pattern.h"
#include "models/scenario_internal.h"
#include "models/scenario_values.h"
#include "models/workload.h"

/* Keys whose field is a sim_dist (owning an empirical table). */
static int is_dist(scenario_key_type t) {
    return t == SCENARIO_KT_DIST || t == SCENARIO_KT_SIZE_DIST;
}

char *scenario_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Sets key `name` of write path `pname` (created on first use).  Returns 0,
 * or -1 with the reason. */
int scenario_apply_path(scenario *sc, const char *pname, const char *name,
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

static int apply_probability(const scenario_key *k, char *field, const char *value,
        char *err, size_t errlen) {
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

static int apply_whole(const scenario_key *k, char *field, const char *value,
        char *err, size_t errlen) {
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

static int apply_count(char *field, const char *value,
        char *err, size_t errlen) {
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

static int apply_enum(const scenario_key *k, char *field, const char *value,
        char *err, size_t errlen) {
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

static int apply_capacity(scenario *sc, const char *value,
        char *err, size_t errlen) {
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

static int apply_pattern(scenario *sc, char *field, const char *value,
        char *err, size_t errlen) {
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

static int apply_invalidation(char *field, const char *value,
        char *err, size_t errlen) {
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

/* Converts `value` for key k and stores it in sc.  Returns 0, or -1 with the
 * reason (without location) in err. */
int scenario_apply_value(scenario *sc, size_t ki, const char *value,
                         char *err, size_t errlen) {
    const scenario_key *k = scenario_key_at(ki);
    char *field = scenario_key_field(sc, ki);
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
    case SCENARIO_KT_FRACTION:
        return apply_probability(k, field, value, err, errlen);
    case SCENARIO_KT_U32:
    case SCENARIO_KT_U64:
        return apply_whole(k, field, value, err, errlen);
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
    case SCENARIO_KT_COUNT:
        return apply_count(field, value, err, errlen);
    case SCENARIO_KT_ENUM:
        return apply_enum(k, field, value, err, errlen);
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
    case SCENARIO_KT_CAPACITY:
        return apply_capacity(sc, value, err, errlen);
    case SCENARIO_KT_SIZE_DIST: {
        sim_dist d;
        if (sim_dist_parse_size(&d, value, sc->basedir, err, errlen) != 0)
            return -1;
        sim_dist_fini((sim_dist *)field);
        *(sim_dist *)field = d;
        return 0;
    }
    case SCENARIO_KT_PATTERN:
        return apply_pattern(sc, field, value, err, errlen);
    case SCENARIO_KT_INVALIDATION:
        return apply_invalidation(field, value, err, errlen);
    }
    scenario_err(err, errlen, "internal: unknown key type");
    return -1;
}

/* Records value text and origin of key i; the value is already applied. */
int scenario_remember(scenario *sc, size_t i, const char *value, int line) {
    char *t = scenario_strdup(value);
    if (!t) return -1;
    free(sc->text[i]);
    sc->text[i] = t;
    sc->line[i] = line;
    return 0;
}

int scenario_init_defaults(scenario *sc, char *err, size_t errlen) {
    memset(sc, 0, sizeof *sc);
    sc->path = scenario_strdup("(built-in default)");
    sc->basedir = scenario_strdup(".");
    if (!sc->path || !sc->basedir) {
        scenario_err(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0, n = scenario_key_count(); i < n; i++) {
        char why[256];
        const scenario_key *k = scenario_key_at(i);
        if (scenario_apply_value(sc, i, k->def, why, sizeof why) != 0) {
            scenario_err(err, errlen, "internal: default of %s.%s: %s",
                    k->section, k->name, why);
            return -1;
        }
        if (scenario_remember(sc, i, k->def, 0) != 0) {
            scenario_err(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

void scenario_fini(scenario *sc) {
    if (!sc) return;
    for (size_t i = 0, n = scenario_key_count(); i < n; i++) {
        if (is_dist(scenario_key_at(i)->type))
            sim_dist_fini((sim_dist *)scenario_key_field(sc, i));
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

int scenario_copy(scenario *dst, const scenario *src) {
    *dst = *src;
    size_t nkeys = scenario_key_count();
    for (size_t i = 0; i < nkeys; i++) {
        dst->text[i] = NULL;
        if (is_dist(scenario_key_at(i)->type))
            ((sim_dist *)scenario_key_field(dst, i))->values = NULL;
    }
    dst->cache.mitigations.outbox_lag.values = NULL;
    dst->path = dst->basedir = NULL;
    int ok = 1;
    for (size_t i = 0; i < nkeys; i++) {
        if (src->text[i] && !(dst->text[i] = scenario_strdup(src->text[i]))) ok = 0;
        if (is_dist(scenario_key_at(i)->type) &&
            sim_dist_copy((sim_dist *)scenario_key_field(dst, i),
                          (const sim_dist *)scenario_key_field(src, i)) != 0)
            ok = 0;
    }
    if (sim_dist_copy(&dst->cache.mitigations.outbox_lag,
                      &src->cache.mitigations.outbox_lag) != 0)
        ok = 0;
    if (src->path && !(dst->path = scenario_strdup(src->path))) ok = 0;
    if (src->basedir && !(dst->basedir = scenario_strdup(src->basedir))) ok = 0;
    workload_trace_shared_retain(dst->trace_shared);
    if (!ok) {
        scenario_fini(dst);
        return -1;
    }
    return 0;
}
