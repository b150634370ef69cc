/* The sweep grid: --vary parsing, range expansion, point enumeration.
 *
 * Ranges are expanded without accumulating floating-point error: value i is
 * computed from A and i alone (A + i*S, A*F^i), durations in integer ns.
 * Values are kept as the text that scenario_set receives, so what the
 * database records is exactly what ran. */
#include "experiments/grid.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/scenario.h"
#include "sim/dist.h"
#include "sim/errf.h"

#define REL_EPS 1e-9 /* "B is reached" tolerance of floating ranges */

static char *dup_span(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void grid_init(grid *g) {
    g->axis = NULL;
    g->naxes = 0;
    g->npoints = 1;
    g->basedir = NULL;
}

void grid_free_values(char **values, size_t n) {
    if (!values) return;
    for (size_t i = 0; i < n; i++) free(values[i]);
    free(values);
}

static void axis_fini(grid_axis *a) {
    free(a->key);
    free(a->spec);
    grid_free_values(a->value, a->n);
    free(a->num);
    memset(a, 0, sizeof *a);
}

void grid_fini(grid *g) {
    if (!g) return;
    for (size_t i = 0; i < g->naxes; i++) axis_fini(&g->axis[i]);
    free(g->axis);
    grid_init(g);
}

/* ---- value lists -------------------------------------------------------- */

/* A growing list of value texts. */
typedef struct vlist {
    char **v;
    size_t n, cap;
} vlist;

static int vlist_push(vlist *l, char *s) {
    if (!s) return -1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **p = realloc(l->v, cap * sizeof *p);
        if (!p) {
            free(s);
            return -1;
        }
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

/* A number with an optional unit suffix: "5ms", "0.002", "100/s". */
typedef struct endpoint {
    double num;        /* the number as written */
    char suffix[16];   /* "" for a plain number */
    int is_duration;   /* suffix is a time unit */
    sim_time ns;       /* the duration, when is_duration */
} endpoint;

static int is_time_unit(const char *s) {
    static const char *const units[] = {"ns", "us", "ms", "s", "m", "h"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(s, units[i]) == 0) return 1;
    return 0;
}

/* Length of the decimal number at s[0..len) (sign, digits, fraction,
 * exponent), or 0 if there is none. */
static size_t scan_number(const char *s, size_t len) {
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '-' || s[i] == '+')) i++;
    while (i < len && isdigit((unsigned char)s[i])) i++, digits++;
    if (i < len && s[i] == '.' && !(i + 1 < len && s[i + 1] == '.')) {
        i++;
        while (i < len && isdigit((unsigned char)s[i])) i++, digits++;
    }
    if (digits == 0) return 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < len && (s[j] == '-' || s[j] == '+')) j++;
        if (j < len && isdigit((unsigned char)s[j])) {
            while (j < len && isdigit((unsigned char)s[j])) j++;
            i = j;
        }
    }
    return i;
}

static int is_suffix_char(char c) {
    return isalpha((unsigned char)c) || c == '/' || c == '%';
}

/* Length of number + suffix at s[0..len), 0 if s does not start with one. */
static size_t scan_endpoint(const char *s, size_t len) {
    size_t i = scan_number(s, len);
    if (i == 0) return 0;
    while (i < len && is_suffix_char(s[i])) i++;
    return i;
}

/* Parses s[0..len) as one endpoint; `what` names it in messages. */
static int parse_endpoint(const char *s, size_t len, const char *what,
                          endpoint *e, char *err, size_t errlen) {
    char text[64];
    if (len == 0 || len >= sizeof text || scan_endpoint(s, len) != len) {
        sim_errf(err, errlen, "%s '%.*s' is not a number (with an optional unit)",
             what, (int)(len < 60 ? len : 60), s);
        return -1;
    }
    memcpy(text, s, len);
    text[len] = '\0';
    size_t nlen = scan_number(text, len);
    if (len - nlen >= sizeof e->suffix) {
        sim_errf(err, errlen, "%s '%s' has a unit that is too long", what, text);
        return -1;
    }
    memcpy(e->suffix, text + nlen, len - nlen + 1);
    char numtext[64];
    memcpy(numtext, text, nlen);
    numtext[nlen] = '\0';
    e->num = strtod(numtext, NULL);
    if (!isfinite(e->num)) {
        sim_errf(err, errlen, "%s '%s' is not a finite number", what, text);
        return -1;
    }
    e->is_duration = is_time_unit(e->suffix);
    e->ns = 0;
    if (e->is_duration) {
        char why[256];
        if (sim_duration_parse(text, &e->ns, why, sizeof why) != 0) {
            sim_errf(err, errlen, "%s: %s", what, why);
            return -1;
        }
    }
    return 0;
}

static char *format_duration(sim_time ns) {
    char buf[64];
    sim_duration_format(ns, buf, sizeof buf);
    return dup_span(buf, strlen(buf));
}

static char *format_number(double x, const char *suffix) {
    char buf[96];
    if (x == 0) x = 0; /* no "-0" */
    snprintf(buf, sizeof buf, "%.15g%s", x, suffix);
    return dup_span(buf, strlen(buf));
}

/* A range item being expanded: its text (for messages), its ends and its
 * factor or step.  dur: a duration range (av, bv in ns), else numbers. */
typedef struct range_item {
    const char *s;
    size_t len;
    endpoint a, b, st;
    double av, bv;
    int dur;
} range_item;

static int range_oom(char *err, size_t errlen) {
    sim_errf(err, errlen, "out of memory");
    return -1;
}

/* A..B*F: A, A*F, A*F^2, ... up to B (B itself when within REL_EPS). */
static int expand_geometric(const range_item *r, vlist *out, char *err,
                            size_t errlen) {
    int len = (int)r->len;
    if (r->st.suffix[0]) {
        sim_errf(err, errlen, "range '%.*s': the factor F must be a plain "
             "number", len, r->s);
        return -1;
    }
    if (!(r->st.num > 1)) {
        sim_errf(err, errlen, "range '%.*s': the factor must be greater than "
             "1", len, r->s);
        return -1;
    }
    if (!(r->av > 0)) {
        sim_errf(err, errlen, "range '%.*s': a geometric range must start "
             "above 0", len, r->s);
        return -1;
    }
    double count = floor(log(r->bv / r->av) / log(r->st.num) + REL_EPS) + 1;
    if (!(count <= GRID_MAX_VALUES)) {
        sim_errf(err, errlen, "range '%.*s' has more than %d values", len,
             r->s, GRID_MAX_VALUES);
        return -1;
    }
    for (int i = 0; i < (int)count; i++) {
        double v = r->av * pow(r->st.num, i);
        if (v > r->bv * (1 + REL_EPS)) break;
        if (v >= r->bv * (1 - REL_EPS)) v = r->bv;
        char *t = r->dur ? format_duration((sim_time)llround(v))
                         : format_number(v, r->a.suffix);
        if (vlist_push(out, t) != 0) return range_oom(err, errlen);
    }
    return 0;
}

/* A..B+S of durations: exact in ns. */
static int expand_duration_steps(const range_item *r, vlist *out, char *err,
                                 size_t errlen) {
    int len = (int)r->len;
    const endpoint *st = &r->st;
    if (!st->is_duration && !(st->num == 0 && !st->suffix[0])) {
        sim_errf(err, errlen, "range '%.*s': the step of a duration range "
             "needs a unit (e.g. +5s)", len, r->s);
        return -1;
    }
    if (st->ns <= 0) {
        sim_errf(err, errlen, "range '%.*s': the step must be greater than 0",
             len, r->s);
        return -1;
    }
    sim_time n = (r->b.ns - r->a.ns) / st->ns + 1;
    if (n > GRID_MAX_VALUES) {
        sim_errf(err, errlen, "range '%.*s' has more than %d values", len,
             r->s, GRID_MAX_VALUES);
        return -1;
    }
    for (sim_time i = 0; i < n; i++)
        if (vlist_push(out, format_duration(r->a.ns + i * st->ns)) != 0)
            return range_oom(err, errlen);
    return 0;
}

/* A..B+S of numbers (B itself when the last step lands within REL_EPS). */
static int expand_number_steps(const range_item *r, vlist *out, char *err,
                               size_t errlen) {
    int len = (int)r->len;
    const endpoint *st = &r->st;
    if (st->is_duration ||
        (st->suffix[0] && strcmp(st->suffix, r->a.suffix) != 0)) {
        sim_errf(err, errlen, "range '%.*s': the step has another unit than the "
             "range", len, r->s);
        return -1;
    }
    if (!(st->num > 0)) {
        sim_errf(err, errlen, "range '%.*s': the step must be greater than 0",
             len, r->s);
        return -1;
    }
    double steps = (r->bv - r->av) / st->num;
    if (!(steps + 1 <= GRID_MAX_VALUES + REL_EPS)) {
        sim_errf(err, errlen, "range '%.*s' has more than %d values", len, r->s,
             GRID_MAX_VALUES);
        return -1;
    }
    int n = (int)floor(steps + REL_EPS) + 1;
    for (int i = 0; i < n; i++) {
        double v = r->av + i * st->num;
        if (fabs(v - r->bv) <= REL_EPS * fmax(fabs(r->bv), st->num)) v = r->bv;
        if (vlist_push(out, format_number(v, r->a.suffix)) != 0)
            return range_oom(err, errlen);
    }
    return 0;
}

/* Expands one range item s[0..len) (it contains ".."). */
static int expand_range(const char *s, size_t len, vlist *out, char *err,
                        size_t errlen) {
    range_item r = {.s = s, .len = len};
    const char *dots = strstr(s, "..");
    size_t alen = (size_t)(dots - s);
    const char *rest = dots + 2;
    size_t rlen = len - alen - 2;
    size_t blen = scan_endpoint(rest, rlen);
    if (blen == 0 || blen >= rlen || (rest[blen] != '*' && rest[blen] != '+')) {
        sim_errf(err, errlen,
             "range '%.*s' is not A..B*F (geometric) or A..B+S (arithmetic)",
             (int)len, s);
        return -1;
    }
    char op = rest[blen];
    const char *step = rest + blen + 1;
    size_t slen = rlen - blen - 1;
    endpoint *a = &r.a, *b = &r.b;
    if (parse_endpoint(s, alen, "range start", a, err, errlen) != 0 ||
        parse_endpoint(rest, blen, "range end", b, err, errlen) != 0 ||
        parse_endpoint(step, slen, op == '*' ? "range factor" : "range step",
                       &r.st, err, errlen) != 0)
        return -1;

    /* A bare 0 next to a duration is the duration 0. */
    if (a->is_duration && !b->is_duration && b->num == 0 && !b->suffix[0])
        b->is_duration = 1, b->ns = 0;
    if (b->is_duration && !a->is_duration && a->num == 0 && !a->suffix[0])
        a->is_duration = 1, a->ns = 0;
    r.dur = a->is_duration;
    if (a->is_duration != b->is_duration) {
        sim_errf(err, errlen, "range '%.*s' mixes a duration and a number",
             (int)len, s);
        return -1;
    }
    if (!r.dur && strcmp(a->suffix, b->suffix) != 0) {
        sim_errf(err, errlen, "range '%.*s': start and end have different units "
             "('%s' and '%s')", (int)len, s, a->suffix, b->suffix);
        return -1;
    }
    r.av = r.dur ? (double)a->ns : a->num;
    r.bv = r.dur ? (double)b->ns : b->num;
    if (r.av > r.bv) {
        sim_errf(err, errlen, "range '%.*s': the start is greater than the end",
             (int)len, s);
        return -1;
    }
    if (op == '*') return expand_geometric(&r, out, err, errlen);
    if (r.dur) return expand_duration_steps(&r, out, err, errlen);
    return expand_number_steps(&r, out, err, errlen);
}

/* 1 if item s[0..len) is meant as a range: it holds ".." after a number. */
static int is_range(const char *s, size_t len) {
    const char *dots = strstr(s, "..");
    return dots && (size_t)(dots - s) < len && scan_number(s, len) > 0 &&
           dots > s;
}

typedef struct {
    const char *text;
    size_t pos; /* its position in the list */
} placed_value;

static int by_text_then_position(const void *a, const void *b) {
    const placed_value *x = a, *y = b;
    int c = strcmp(x->text, y->text);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* The position of the first value equal to an earlier one (the earliest
 * second occurrence of any text), n if all differ, SIZE_MAX when out of
 * memory.  Sorted, not compared pairwise: an axis may hold GRID_MAX_VALUES
 * values, 5e7 comparisons pairwise (0.1 s; the fuzzer's slowest input). */
static size_t first_repeat(char *const *v, size_t n) {
    if (n < 2) return n;
    placed_value *p = malloc(n * sizeof *p);
    if (!p) return SIZE_MAX;
    for (size_t i = 0; i < n; i++) p[i] = (placed_value){v[i], i};
    qsort(p, n, sizeof *p, by_text_then_position);
    size_t first = n;
    for (size_t k = 1; k < n; k++) /* p[k] second of its run of equals */
        if (strcmp(p[k].text, p[k - 1].text) == 0 &&
            (k < 2 || strcmp(p[k - 1].text, p[k - 2].text) != 0) &&
            p[k].pos < first)
            first = p[k].pos;
    free(p);
    return first;
}

int grid_expand(const char *list, char ***values, size_t *n, char *err,
                size_t errlen) {
    vlist out = {0};
    char sep = strchr(list, ';') ? ';' : ',';
    const char *p = list;
    if (!*list) {
        sim_errf(err, errlen, "the list of values is empty");
        return -1;
    }
    for (;;) {
        const char *end = strchr(p, sep);
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        while (len > 0 && isspace((unsigned char)*s)) s++, len--;
        while (len > 0 && isspace((unsigned char)s[len - 1])) len--;
        if (len == 0) {
            sim_errf(err, errlen, "empty value in the list (two '%c' in a row, or "
                 "one at an end)", sep);
            goto fail;
        }
        char *item = dup_span(s, len);
        if (!item) {
            sim_errf(err, errlen, "out of memory");
            goto fail;
        }
        if (is_range(item, len)) {
            int rc = expand_range(item, len, &out, err, errlen);
            free(item);
            if (rc != 0) goto fail;
        } else if (vlist_push(&out, item) != 0) {
            sim_errf(err, errlen, "out of memory");
            goto fail;
        }
        if (out.n > GRID_MAX_VALUES) {
            sim_errf(err, errlen, "more than %d values", GRID_MAX_VALUES);
            goto fail;
        }
        if (!end) break;
        p = end + 1;
    }
    size_t twice = first_repeat(out.v, out.n);
    if (twice == SIZE_MAX) {
        sim_errf(err, errlen, "out of memory");
        goto fail;
    }
    if (twice < out.n) {
        sim_errf(err, errlen, "value '%s' appears twice", out.v[twice]);
        goto fail;
    }
    *values = out.v;
    *n = out.n;
    return 0;
fail:
    grid_free_values(out.v, out.n);
    return -1;
}

/* ---- axes ----------------------------------------------------------------- */

/* The reason in a scenario_set message "--set 'K': reason". */
static const char *set_reason(const char *msg) {
    const char *r = strstr(msg, "': ");
    return r ? r + 3 : msg;
}

/* Reasons apply_family gives for a bad family key (not a bad value). */
static int family_key_reason(const char *why) {
    static const char *const starts[] = {"unknown key in a family",
                                         "ambiguous", "expected family",
                                         "family name"};
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++)
        if (strncmp(why, starts[i], strlen(starts[i])) == 0) return 1;
    return strstr(why, "cannot vary per family") != NULL;
}

static int key_declared(const char *key) {
    for (size_t i = 0; i < scenario_key_count(); i++) {
        const char *sec = scenario_key_section(i);
        size_t ls = strlen(sec);
        if (strncmp(key, sec, ls) == 0 && key[ls] == '.' &&
            strcmp(key + ls + 1, scenario_key_name(i)) == 0)
            return 1;
    }
    return 0;
}

/* The numeric reading of a value: seconds for a duration, the number of a
 * number (with any suffix), NaN for anything else. */
static double value_num(const char *v) {
    size_t len = strlen(v), n = scan_endpoint(v, len);
    if (n == 0 || n != len) return NAN;
    endpoint e;
    if (parse_endpoint(v, len, "value", &e, NULL, 0) != 0) return NAN;
    return e.is_duration ? (double)e.ns / 1e9 : e.num;
}

int grid_add(grid *g, const char *arg, char *err, size_t errlen) {
    grid_axis ax;
    memset(&ax, 0, sizeof ax);
    scenario probe;
    memset(&probe, 0, sizeof probe);
    char why[1024];
    const char *eq = strchr(arg, '=');
    const char *dot = eq ? memchr(arg, '.', (size_t)(eq - arg)) : NULL;
    if (!eq || !dot || dot == arg || dot + 1 == eq) {
        sim_errf(err, errlen, "--vary '%s': expected SECTION.KEY=LIST, e.g. "
             "cache.ttl=1s,5s,60s", arg);
        return -1;
    }
    ax.key = dup_span(arg, (size_t)(eq - arg));
    ax.spec = dup_span(arg, strlen(arg));
    if (!ax.key || !ax.spec) goto oom;
    for (size_t i = 0; i < g->naxes; i++)
        if (strcmp(g->axis[i].key, ax.key) == 0) {
            sim_errf(err, errlen, "--vary '%s': key '%s' is already varied by "
                 "--vary '%s'", arg, ax.key, g->axis[i].spec);
            goto fail;
        }
    if (grid_expand(eq + 1, &ax.value, &ax.n, why, sizeof why) != 0) {
        sim_errf(err, errlen, "--vary '%s': %s", arg, why);
        goto fail;
    }
    if (scenario_init_defaults(&probe, why, sizeof why) != 0) goto oom;
    if (g->basedir) {
        char *dir = strdup(g->basedir);
        if (!dir) goto oom;
        free(probe.basedir);
        probe.basedir = dir;
    }
    for (size_t i = 0; i < ax.n; i++) {
        char assign[1200];
        snprintf(assign, sizeof assign, "%s=%s", ax.key, ax.value[i]);
        if (scenario_set(&probe, assign, why, sizeof why) == 0) continue;
        int family = strncmp(ax.key, "family.", 7) == 0;
        if (family ? family_key_reason(set_reason(why))
                   : !key_declared(ax.key))
            sim_errf(err, errlen, "--vary '%s': key '%s': %s", arg, ax.key,
                 set_reason(why));
        else
            sim_errf(err, errlen, "--vary '%s': value '%s': %s", arg, ax.value[i],
                 set_reason(why));
        goto fail;
    }
    if (g->npoints * ax.n > GRID_MAX_POINTS) {
        sim_errf(err, errlen, "--vary '%s': the grid would have %zu points (the "
             "limit is %d)", arg, g->npoints * ax.n, GRID_MAX_POINTS);
        goto fail;
    }
    ax.num = malloc(ax.n * sizeof *ax.num);
    if (!ax.num) goto oom;
    for (size_t i = 0; i < ax.n; i++) ax.num[i] = value_num(ax.value[i]);
    grid_axis *axes = realloc(g->axis, (g->naxes + 1) * sizeof *axes);
    if (!axes) goto oom;
    g->axis = axes;
    g->axis[g->naxes++] = ax;
    g->npoints *= ax.n;
    scenario_fini(&probe);
    return 0;
oom:
    sim_errf(err, errlen, "out of memory");
fail:
    scenario_fini(&probe);
    axis_fini(&ax);
    return -1;
}

int grid_check_families(const grid *g, const scenario *sc, char *err,
                        size_t errlen) {
    for (size_t a = 0; a < g->naxes; a++) {
        const char *key = g->axis[a].key;
        if (strncmp(key, "family.", 7) != 0) continue;
        const char *name = key + 7, *dot = strchr(name, '.');
        size_t len = dot ? (size_t)(dot - name) : strlen(name);
        int found = 0;
        for (int f = 0; f < sc->families.n && !found; f++)
            found = strlen(sc->families.family[f].name) == len &&
                    strncmp(sc->families.family[f].name, name, len) == 0;
        if (found) continue;
        char names[512] = "";
        size_t used = 0;
        for (int f = 0; f < sc->families.n && used < sizeof names; f++) {
            int n = snprintf(names + used, sizeof names - used, "%s%s",
                             f ? ", " : "", sc->families.family[f].name);
            if (n > 0) used += (size_t)n;
        }
        sim_errf(err, errlen, "--vary '%s': no [family.%.*s] in the scenario "
             "(its families: %s)", g->axis[a].spec, (int)len, name,
             sc->families.n ? names : "none");
        return -1;
    }
    return 0;
}

size_t grid_value_index(const grid *g, size_t p, size_t a) {
    size_t stride = 1;
    for (size_t i = g->naxes; i-- > a + 1;) stride *= g->axis[i].n;
    return (p / stride) % g->axis[a].n;
}

void grid_point_label(const grid *g, size_t p, char *buf, size_t len) {
    if (!buf || len == 0) return;
    buf[0] = '\0';
    size_t used = 0;
    for (size_t a = 0; a < g->naxes && used < len; a++) {
        int n = snprintf(buf + used, len - used, "%s%s=%s", a ? " " : "",
                         g->axis[a].key, grid_value(g, p, a));
        if (n < 0) break;
        used += (size_t)n;
    }
}

char *grid_describe(const grid *g) {
    size_t len = 1;
    for (size_t a = 0; a < g->naxes; a++) {
        len += strlen(g->axis[a].key) + 2;
        for (size_t i = 0; i < g->axis[a].n; i++)
            len += strlen(g->axis[a].value[i]) + 1;
    }
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    for (size_t a = 0; a < g->naxes; a++) {
        char sep = ',';
        for (size_t i = 0; i < g->axis[a].n; i++)
            if (strchr(g->axis[a].value[i], ',')) sep = ';';
        p += sprintf(p, "%s=", g->axis[a].key);
        for (size_t i = 0; i < g->axis[a].n; i++)
            p += sprintf(p, "%s%s", i ? (sep == ';' ? ";" : ",") : "",
                         g->axis[a].value[i]);
        *p++ = '\n';
    }
    *p = '\0';
    return s;
}
