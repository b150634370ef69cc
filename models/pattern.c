/* The pattern table: one row per pattern, in the order `stalesim patterns`
 * lists them and their keys appear in `stalesim keys`. */
#include "models/pattern.h"

#include <stdio.h>
#include <string.h>

#include "sim/check.h"

extern const pattern_ops pattern_none;
extern const pattern_ops pattern_ttl_only;
extern const pattern_ops pattern_cache_aside;
extern const pattern_ops pattern_read_through;
extern const pattern_ops pattern_write_through;
extern const pattern_ops pattern_write_behind;
extern const pattern_ops pattern_refresh_ahead;
extern const pattern_ops pattern_adaptive;

static const pattern_ops *const table[] = {
    &pattern_none,
    &pattern_ttl_only,
    &pattern_cache_aside,
    &pattern_read_through,
    &pattern_write_through,
    &pattern_write_behind,
    &pattern_refresh_ahead,
    &pattern_adaptive,
};

#define NPATTERNS (sizeof table / sizeof table[0])
_Static_assert(NPATTERNS <= SCENARIO_MAX_PATTERNS,
               "raise SCENARIO_MAX_PATTERNS");

const pattern_ops *pattern_find(const char *name) {
    for (size_t i = 0; i < NPATTERNS; i++)
        if (strcmp(table[i]->name, name) == 0) return table[i];
    return NULL;
}

void pattern_list(char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NPATTERNS && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                         table[i]->name);
        if (n < 0) break;
        used += (size_t)n;
    }
}

size_t pattern_count(void) { return NPATTERNS; }
const pattern_ops *pattern_at(size_t i) {
    return i < NPATTERNS ? table[i] : NULL;
}

size_t pattern_index(const pattern_ops *p) {
    for (size_t i = 0; i < NPATTERNS; i++)
        if (table[i] == p) return i;
    SIM_CHECK(0, "pattern '%s' is not a row of the table", p->name);
    return 0;
}

const pattern_ops *pattern_no_cache(void) {
    for (size_t i = 0; i < NPATTERNS; i++)
        if (table[i]->flags & PATTERN_NO_CACHE) return table[i];
    SIM_CHECK(0, "no row of the pattern table stands for no cache");
    return NULL;
}

const void *pattern_params(const scenario *sc, const pattern_ops *p) {
    return sc->pattern[pattern_index(p)].bytes;
}
