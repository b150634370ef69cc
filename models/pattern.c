/* The pattern table. */
#include "models/pattern.h"

#include <stdio.h>
#include <string.h>

static const pattern_ops *const table[] = {
    &pattern_none,
    &pattern_ttl_only,
    &pattern_cache_aside,
    &pattern_read_through,
    &pattern_write_through,
    &pattern_write_behind,
};

#define NPATTERNS (sizeof table / sizeof table[0])

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
