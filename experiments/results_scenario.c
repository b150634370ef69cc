/* The scenario of a stored point, rebuilt as the sweep built it (see
 * results.h): plot, report and check --db judge stored runs against it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/results.h"
#include "models/scenario.h"
#include "sim/errf.h"

/* Applies "section.key=value" texts, one a line; what names them in
 * messages ("override", "point"). */
static int apply_lines(scenario *sc, const char *lines, const char *what,
                       char *err, size_t errlen) {
    char e[1024];
    const char *o = lines ? lines : "";
    while (*o) {
        size_t len = strcspn(o, "\n");
        char line[1024];
        if (len > 0 && len < sizeof line) {
            memcpy(line, o, len);
            line[len] = '\0';
            if (scenario_set(sc, line, e, sizeof e) != 0) {
                sim_errf(err, errlen, "the stored %s no longer applies: %s",
                         what, e);
                return RESULTS_EINPUT;
            }
        }
        o += len;
        if (*o) o++;
    }
    return RESULTS_OK;
}

int results_point_scenario(const char *file, const char *text,
                           const char *overrides, size_t nkeys,
                           char *const *key, char *const *value, scenario *sc,
                           char *err, size_t errlen) {
    memset(sc, 0, sizeof *sc);
    char e[1024];
    if (scenario_init_defaults(sc, e, sizeof e) != 0) {
        sim_errf(err, errlen, "%s", e);
        return RESULTS_EIO;
    }
    if (text && text[0] &&
        scenario_load_string(sc, file, text, e, sizeof e) != 0) {
        sim_errf(err, errlen, "the stored scenario no longer loads: %s", e);
        return RESULTS_EINPUT;
    }
    /* Relative paths in the scenario (traces) resolve against the file's
     * directory, as when the sweep loaded it. */
    if (file && strchr(file, '/')) {
        size_t n = (size_t)(strrchr(file, '/') - file);
        char *dir = malloc(n + 1);
        if (!dir) {
            sim_errf(err, errlen, "out of memory");
            return RESULTS_EIO;
        }
        memcpy(dir, file, n);
        dir[n] = '\0';
        free(sc->basedir);
        sc->basedir = dir;
    }
    int rc = apply_lines(sc, overrides, "override", err, errlen);
    if (rc != RESULTS_OK) return rc;
    for (size_t k = 0; k < nkeys; k++) {
        char assign[1024];
        snprintf(assign, sizeof assign, "%s=%s", key[k], value[k]);
        if (scenario_set(sc, assign, e, sizeof e) != 0) {
            sim_errf(err, errlen, "the stored point no longer applies: %s", e);
            return RESULTS_EINPUT;
        }
    }
    if (scenario_validate(sc, e, sizeof e) != 0) {
        sim_errf(err, errlen, "the stored point no longer validates: %s", e);
        return RESULTS_EINPUT;
    }
    return RESULTS_OK;
}
