/* Typed values of scenario keys that need more than one token: numbers,
 * booleans, bursty arrivals and the mitigation list.  Used by scenario.c,
 * which owns the key table; split out to keep that file one module. */
#include "models/scenario_values.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 200 /* inih's INI_MAX_LINE as packaged */

/* Parses a whole-string decimal number; 0 on success. */
int scenario_parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE) return -1;
    while (isspace((unsigned char)*end)) end++;
    if (*end) return -1;
    if (v != v || v == HUGE_VAL || v == -HUGE_VAL) return -1;
    *out = v;
    return 0;
}

int scenario_parse_bool(const char *s, int *out) {
    static const char *yes[] = {"yes", "true", "on", "1"};
    static const char *no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0) return *out = 1, 0;
        if (strcmp(s, no[i]) == 0) return *out = 0, 0;
    }
    return -1;
}

/* "bursty:ON,OFF,FACTOR" into the workload's burst fields. */
int scenario_parse_bursty(scenario *sc, const char *value, char *err,
                        size_t errlen) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s", value + 7);
    char *on = buf, *off = strchr(on, ','), *factor = off ? strchr(off + 1, ',') : NULL;
    if (!off || !factor) {
        scenario_err(err, errlen, "'%s' is not bursty:ON,OFF,FACTOR (e.g. "
                             "bursty:1s,9s,10)", value);
        return -1;
    }
    *off++ = '\0';
    *factor++ = '\0';
    sim_time t_on, t_off;
    double f;
    char why[160];
    if (sim_duration_parse(on, &t_on, why, sizeof why) != 0 ||
        sim_duration_parse(off, &t_off, why, sizeof why) != 0) {
        scenario_err(err, errlen, "bursty: %s", why);
        return -1;
    }
    if (t_on <= 0 || t_off <= 0 || scenario_parse_double(factor, &f) != 0 || f < 1) {
        scenario_err(err, errlen, "bursty: ON and OFF must be > 0 and FACTOR a "
                             "number >= 1 in '%s'", value);
        return -1;
    }
    sc->workload.arrivals = SCENARIO_ARRIVALS_BURSTY;
    sc->workload.burst_on = t_on;
    sc->workload.burst_off = t_off;
    sc->workload.burst_factor = f;
    return 0;
}

static const char *const mitigation_names[] = {
    "lease", "versioned-set", "double-delete", "retry-delete", "outbox", NULL};

static int is_mitigation_start(const char *t) {
    for (int i = 0; mitigation_names[i]; i++) {
        size_t n = strlen(mitigation_names[i]);
        if (strncmp(t, mitigation_names[i], n) == 0 &&
            (t[n] == '\0' || t[n] == ':' || t[n] == ',' || t[n] == ' ' ||
             t[n] == '\t'))
            return 1;
    }
    return 0;
}

/* "lease, versioned-set, double-delete:500ms, retry-delete:3,
 * outbox:lognormal:10ms,0.5": commas separate items, except inside an
 * outbox's distribution (up to the next known mitigation name). */
int scenario_parse_mitigations(scenario *sc, const char *value, char *err,
                             size_t errlen) {
    scenario_mitigations m;
    memset(&m, 0, sizeof m);
    char buf[LINE_MAX_BYTES + 8];
    snprintf(buf, sizeof buf, "%s", value);
    char *items[16];
    int n = 0;
    for (char *p = buf; *p;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        if (n == 16) {
            scenario_err(err, errlen, "too many mitigations");
            return -1;
        }
        items[n++] = p;
        char *c = p;
        for (;;) {
            c = strchr(c, ',');
            if (!c) break;
            char *next = c + 1;
            while (*next == ' ' || *next == '\t') next++;
            /* Only an outbox's distribution may contain a comma. */
            if (strncmp(p, "outbox:", 7) != 0 || is_mitigation_start(next))
                break;
            c++;
        }
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    char why[160];
    /* "none" alone: no mitigation (so a --vary or --choose list can offer
     * it beside the others). */
    if (n == 1 && strcmp(items[0], "none") == 0) n = 0;
    for (int i = 0; i < n; i++) {
        char *t = items[i];
        size_t len = strlen(t);
        while (len && (t[len - 1] == ' ' || t[len - 1] == '\t')) t[--len] = 0;
        char *arg = strchr(t, ':');
        if (arg) *arg++ = '\0';
        if (strcmp(t, "lease") == 0) {
            m.lease = 1;
            if (arg) {
                if (strncmp(arg, "herd=", 5) != 0 ||
                    sim_duration_parse(arg + 5, &m.lease_herd, why,
                                       sizeof why) != 0 ||
                    m.lease_herd <= 0) {
                    scenario_err(err, errlen,
                            "'lease:%s': expected lease:herd=DURATION", arg);
                    return -1;
                }
            }
        } else if (strcmp(t, "versioned-set") == 0 && !arg) {
            m.versioned_set = 1;
        } else if (strcmp(t, "double-delete") == 0 && arg) {
            if (sim_duration_parse(arg, &m.double_delete, why, sizeof why) !=
                    0 ||
                m.double_delete <= 0) {
                scenario_err(err, errlen, "'double-delete:%s': expected a delay "
                                     "> 0 such as 500ms", arg);
                return -1;
            }
        } else if (strcmp(t, "retry-delete") == 0 && arg) {
            char *end;
            unsigned long r = strtoul(arg, &end, 10);
            if (!isdigit((unsigned char)arg[0]) || *end || r < 1 || r > 100) {
                scenario_err(err, errlen, "'retry-delete:%s': expected 1..100 "
                                     "retries", arg);
                return -1;
            }
            m.retry_delete = (uint32_t)r;
        } else if (strcmp(t, "outbox") == 0 && arg) {
            if (sim_dist_parse(&m.outbox_lag, arg, sc->basedir, why,
                               sizeof why) != 0) {
                scenario_err(err, errlen, "'outbox:%s': %s", arg, why);
                return -1;
            }
            m.outbox = 1;
        } else {
            scenario_err(err, errlen,
                    "unknown mitigation '%s%s%s' (lease, lease:herd=D, "
                    "versioned-set, double-delete:D, retry-delete:N, "
                    "outbox:DIST)",
                    t, arg ? ":" : "", arg ? arg : "");
            sim_dist_fini(&m.outbox_lag);
            return -1;
        }
    }
    sim_dist_fini(&sc->cache.mitigations.outbox_lag);
    sc->cache.mitigations = m;
    return 0;
}

