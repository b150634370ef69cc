/* Audit: see audit.h and docs/audit.md.  Lines are parsed with jansson (one
 * json_loadb per line, so a malformed line is reported alone and nothing but
 * the current line is held); keys and copy names are interned in one small
 * open-addressing table each. */
#include "experiments/audit.h"
#include "sim/fileio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sim/check.h"
#include "sim/hash.h"

#define MAX_COPIES 4096 /* distinct `from` names */

/* One written version of a key. */
typedef struct wver {
    uint32_t version; /* 0: empty slot */
    uint64_t writer;  /* hash of the process */
    sim_time lo, hi;  /* ns: the commit happened in [lo, hi] */
    sim_time ack;     /* ns: acknowledged (status ok), else SIM_TIME_MAX */
    uint64_t line;
} wver;

/* A copy's stale window of a key, as readers saw it. */
typedef struct owin {
    uint32_t copy, version;
    sim_time first, last; /* ns: invoke of its first and last stale read */
    int counted;          /* opened after the warm-up */
} owin;

typedef struct kstate {
    uint32_t max_version; /* highest version written so far */
    uint32_t nwin, capwin;
    owin *win;
    wver *ring; /* [depth], version v at v % depth */
    char *name; /* "i:123" or "s:text" */
} kstate;

/* String -> index, open addressing on a 64-bit hash. */
typedef struct strmap {
    uint64_t *hash;
    uint32_t *idx; /* UINT32_MAX: empty */
    size_t cap, n;
} strmap;

struct audit {
    audit_options opt;
    audit_result r;
    strmap keymap, copymap;
    kstate **keys;
    size_t capkeys;
    char **copy;
    size_t capcopy;
    uint8_t copy_local[MAX_COPIES]; /* 1: a local instance's cache */
    uint8_t copy_hit[MAX_COPIES];   /* 1: a cache copy (a hit) */
    size_t line_cap; /* bytes of the longest line buffer so far */
    sim_time prev_pos;
    int prev_write;
    uint64_t prev_line;
};


/* The name's hash, never 0 (0 marks an empty slot). */
static uint64_t fnv(const char *s) {
    uint64_t h = sim_fnv1a(s);
    return h ? h : 1;
}

static int strmap_grow(strmap *m) {
    size_t cap = m->cap ? 2 * m->cap : 1024;
    uint64_t *h = calloc(cap, sizeof *h);
    uint32_t *ix = malloc(cap * sizeof *ix);
    if (!h || !ix) {
        free(h);
        free(ix);
        return -1;
    }
    for (size_t i = 0; i < cap; i++) ix[i] = UINT32_MAX;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->idx[i] == UINT32_MAX) continue;
        size_t j = m->hash[i] & (cap - 1);
        while (ix[j] != UINT32_MAX) j = (j + 1) & (cap - 1);
        h[j] = m->hash[i];
        ix[j] = m->idx[i];
    }
    free(m->hash);
    free(m->idx);
    m->hash = h;
    m->idx = ix;
    m->cap = cap;
    return 0;
}

/* The slot of `name` (hash h) in m: its index, or UINT32_MAX with *slot free. */
static uint32_t strmap_find(const strmap *m, uint64_t h, const char *name,
                            char *const *names, size_t *slot) {
    size_t j = h & (m->cap - 1);
    while (m->idx[j] != UINT32_MAX) {
        if (m->hash[j] == h && strcmp(names[m->idx[j]], name) == 0) {
            *slot = j;
            return m->idx[j];
        }
        j = (j + 1) & (m->cap - 1);
    }
    *slot = j;
    return UINT32_MAX;
}

audit *audit_create(const audit_options *opt) {
    audit *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->opt = *opt;
    if (a->opt.depth < 2) a->opt.depth = 2;
    if (strmap_grow(&a->keymap) != 0 || strmap_grow(&a->copymap) != 0) {
        audit_destroy(a);
        return NULL;
    }
    sim_hist_init(&a->r.stale_age_min);
    sim_hist_init(&a->r.stale_age_max);
    sim_hist_init(&a->r.stale_window);
    sim_hist_init(&a->r.read_latency);
    a->r.batch_width = SIM_MS;
    a->prev_pos = INT64_MIN;
    return a;
}

void audit_destroy(audit *a) {
    if (!a) return;
    for (size_t i = 0; i < a->r.keys; i++) {
        free(a->keys[i]->win);
        free(a->keys[i]);
    }
    free(a->keys);
    for (size_t i = 0; i < a->copymap.n; i++) free(a->copy[i]);
    free(a->copy);
    free(a->keymap.hash);
    free(a->keymap.idx);
    free(a->copymap.hash);
    free(a->copymap.idx);
    free(a);
}

const audit_result *audit_get_result(const audit *a) { return &a->r; }

size_t audit_memory(const audit *a) {
    size_t n = sizeof *a + a->line_cap;
    n += a->keymap.cap * (sizeof *a->keymap.hash + sizeof *a->keymap.idx);
    n += a->copymap.cap * (sizeof *a->copymap.hash + sizeof *a->copymap.idx);
    n += a->capkeys * sizeof *a->keys + a->capcopy * sizeof *a->copy;
    for (size_t i = 0; i < a->r.keys; i++) {
        const kstate *k = a->keys[i];
        n += sizeof *k + a->opt.depth * sizeof(wver) + strlen(k->name) + 1 +
             k->capwin * sizeof(owin);
    }
    for (size_t i = 0; i < a->copymap.n; i++) n += strlen(a->copy[i]) + 1;
    return n;
}

/* ---- interning ------------------------------------------------------------------ */

/* The index of key `name` (hash h), or UINT32_MAX with *slot free; the
 * table holds indices into a->keys, whose states carry the names. */
static uint32_t find_key(const audit *a, uint64_t h, const char *name,
                         size_t *slot) {
    const strmap *m = &a->keymap;
    size_t j = h & (m->cap - 1);
    while (m->idx[j] != UINT32_MAX) {
        if (m->hash[j] == h && strcmp(a->keys[m->idx[j]]->name, name) == 0) {
            *slot = j;
            return m->idx[j];
        }
        j = (j + 1) & (m->cap - 1);
    }
    *slot = j;
    return UINT32_MAX;
}

/* The state of key `name`, created on first sight; NULL if memory ran out. */
static kstate *intern_key(audit *a, const char *name) {
    uint64_t h = fnv(name);
    size_t slot;
    uint32_t i = find_key(a, h, name, &slot);
    if (i != UINT32_MAX) return a->keys[i];
    if (2 * (a->keymap.n + 1) > a->keymap.cap) {
        if (strmap_grow(&a->keymap) != 0) return NULL;
        find_key(a, h, name, &slot);
    }
    if (a->r.keys == a->capkeys) {
        size_t cap = a->capkeys ? 2 * a->capkeys : 1024;
        kstate **p = realloc(a->keys, cap * sizeof *p);
        if (!p) return NULL;
        a->keys = p;
        a->capkeys = cap;
    }
    size_t len = strlen(name) + 1, depth = a->opt.depth;
    kstate *k = calloc(1, sizeof *k + depth * sizeof(wver) + len);
    if (!k) return NULL;
    k->ring = (wver *)(k + 1);
    k->name = (char *)(k->ring + depth);
    memcpy(k->name, name, len);
    a->keys[a->r.keys] = k;
    a->keymap.hash[slot] = h;
    a->keymap.idx[slot] = (uint32_t)a->r.keys++;
    a->keymap.n++;
    return k;
}

/* The id of copy `name`; UINT32_MAX if memory ran out or too many names. */
static uint32_t intern_copy(audit *a, const char *name) {
    uint64_t h = fnv(name);
    size_t slot;
    uint32_t i = strmap_find(&a->copymap, h, name, a->copy, &slot);
    if (i != UINT32_MAX) return i;
    if (a->copymap.n >= MAX_COPIES) return UINT32_MAX;
    if (2 * (a->copymap.n + 1) > a->copymap.cap) {
        if (strmap_grow(&a->copymap) != 0) return UINT32_MAX;
        strmap_find(&a->copymap, h, name, a->copy, &slot);
    }
    if (a->copymap.n == a->capcopy) {
        size_t cap = a->capcopy ? 2 * a->capcopy : 16;
        char **p = realloc(a->copy, cap * sizeof *p);
        if (!p) return UINT32_MAX;
        a->copy = p;
        a->capcopy = cap;
    }
    char *s = strdup(name);
    if (!s) return UINT32_MAX;
    uint32_t id = (uint32_t)a->copymap.n++;
    a->copy[id] = s;
    a->copy_local[id] = strncmp(name, "local.", 6) == 0;
    a->copy_hit[id] = a->copy_local[id] || strcmp(name, "cache") == 0;
    a->copymap.hash[slot] = h;
    a->copymap.idx[slot] = id;
    return id;
}

/* ---- one line ------------------------------------------------------------------- */

/* A bad line: the message, return code 2. */
static int bad(char *err, size_t errlen, const char *name, uint64_t line,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int bad(char *err, size_t errlen, const char *name, uint64_t line,
               const char *fmt, ...) {
    int n = snprintf(err, errlen, "%s:%llu: ", name, (unsigned long long)line);
    if (n < 0 || (size_t)n >= errlen) return 2;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return 2;
}

/* Field `f` of o as a time (integer ns >= 0); null allowed when *is_null is
 * not NULL.  Returns 0, or -1 with the reason in why. */
static int get_time(json_t *o, const char *f, int required, sim_time *out,
                    int *is_null, const char **why) {
    json_t *v = json_object_get(o, f);
    if (!v) {
        if (!required) {
            if (is_null) *is_null = 1;
            return 0;
        }
        *why = "missing";
        return -1;
    }
    if (json_is_null(v) && is_null) {
        *is_null = 1;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        *why = is_null ? "must be an integer >= 0 (ns) or null"
                       : "must be an integer >= 0 (ns)";
        return -1;
    }
    if (is_null) *is_null = 0;
    *out = (sim_time)json_integer_value(v);
    return 0;
}

/* The text of an integer-or-string field, type-tagged ("i:5", "s:5"). */
static int tagged(json_t *v, char *buf, size_t n) {
    if (json_is_integer(v))
        snprintf(buf, n, "i:%lld", (long long)json_integer_value(v));
    else if (json_is_string(v))
        snprintf(buf, n, "s:%s", json_string_value(v));
    else
        return -1;
    return 0;
}

/* The header line: version, warmup_ns, end_ns. */
static int take_header(audit *a, json_t *o, const char *name, uint64_t line,
                       char *err, size_t errlen) {
    json_t *v = json_object_get(o, "stalesim_history");
    if (!json_is_integer(v) || json_integer_value(v) != 1)
        return bad(err, errlen, name, line,
                   "field 'stalesim_history': version 1 expected");
    const char *why = NULL;
    int none = 1;
    sim_time t = 0;
    if (get_time(o, "warmup_ns", 0, &t, &none, &why) != 0)
        return bad(err, errlen, name, line, "field 'warmup_ns': %s", why);
    if (!none && !a->opt.warmup_given) a->opt.warmup = t;
    if (get_time(o, "end_ns", 0, &t, &none, &why) != 0)
        return bad(err, errlen, name, line, "field 'end_ns': %s", why);
    if (!none) a->r.end = t;
    a->r.have_header = 1;
    return 0;
}

/* Counts a read at invoke time t in the time batches. */
static void batch_add(audit_result *r, sim_time t, int stale, int over) {
    if (r->nbatches == 0) r->batch_t0 = t;
    sim_time d = t > r->batch_t0 ? t - r->batch_t0 : 0;
    while (d / r->batch_width >= AUDIT_BATCHES) {
        for (int i = 0; i < AUDIT_BATCHES / 2; i++) {
            r->batch_reads[i] = r->batch_reads[2 * i] + r->batch_reads[2 * i + 1];
            r->batch_stale[i] = r->batch_stale[2 * i] + r->batch_stale[2 * i + 1];
            r->batch_over[i] = r->batch_over[2 * i] + r->batch_over[2 * i + 1];
        }
        for (int i = AUDIT_BATCHES / 2; i < AUDIT_BATCHES; i++)
            r->batch_reads[i] = r->batch_stale[i] = r->batch_over[i] = 0;
        r->batch_width *= 2;
        r->nbatches = (r->nbatches + 1) / 2;
    }
    uint32_t i = (uint32_t)(d / r->batch_width);
    if (i + 1 > r->nbatches) r->nbatches = i + 1;
    r->batch_reads[i]++;
    r->batch_stale[i] += (uint64_t)stale;
    r->batch_over[i] += (uint64_t)over;
}

size_t audit_batch_fractions(const audit_result *r, const uint64_t *num,
                             double *x) {
    size_t n = 0;
    for (uint32_t i = 0; i < r->nbatches; i++)
        if (r->batch_reads[i])
            x[n++] = (double)num[i] / (double)r->batch_reads[i];
    return n;
}

/* Closes window w of a key at its last stale read. */
static void close_window(audit *a, const owin *w, int censored) {
    if (!w->counted) return;
    if (censored) {
        a->r.censored_windows++;
        return;
    }
    a->r.windows++;
    sim_hist_add(&a->r.stale_window, w->last - w->first);
}

/* A read from copy c of key k returned v at s: stale or not. */
static int track_window(audit *a, kstate *k, uint32_t c, uint32_t v,
                        sim_time s, int stale) {
    for (uint32_t i = 0; i < k->nwin; i++) {
        owin *w = &k->win[i];
        if (w->copy != c) continue;
        if (stale && w->version == v) {
            if (s > w->last) w->last = s;
            return 0;
        }
        close_window(a, w, 0);
        k->win[i] = k->win[--k->nwin];
        break;
    }
    if (!stale) return 0;
    if (k->nwin == k->capwin) {
        uint32_t cap = k->capwin ? 2 * k->capwin : 2;
        owin *p = realloc(k->win, cap * sizeof *p);
        if (!p) return -1;
        k->win = p;
        k->capwin = cap;
    }
    k->win[k->nwin++] = (owin){c, v, s, s, s >= a->opt.warmup};
    return 0;
}

static const char *const verdict_names[] = {"fresh", "concurrent", "stale"};

/* A write line. */
static int take_write(audit *a, json_t *o, kstate *k, uint64_t writer,
                      sim_time invoke, sim_time complete, int no_complete,
                      const char *status, const char *name, uint64_t line,
                      char *err, size_t errlen) {
    static const char *const ok_status[] = {"ok", "fail", "crashed",
                                            "pending", "info"};
    int known = 0;
    for (size_t i = 0; i < 5; i++) known |= strcmp(status, ok_status[i]) == 0;
    if (!known)
        return bad(err, errlen, name, line,
                   "field 'status': '%s' is not ok, fail, crashed, pending or "
                   "info",
                   status);
    if (invoke >= a->opt.warmup) a->r.writes++;
    json_t *v = json_object_get(o, "value");
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1 ||
        json_integer_value(v) > UINT32_MAX)
        return bad(err, errlen, name, line,
                   "field 'value': a write's version must be an integer >= 1 "
                   "or null");
    if (strcmp(status, "fail") == 0)
        return bad(err, errlen, name, line,
                   "field 'value': a failed write has no version (null)");
    uint32_t ver = (uint32_t)json_integer_value(v);
    const char *why = NULL;
    int none = 1;
    sim_time committed = 0;
    if (get_time(o, "committed_ns", 0, &committed, &none, &why) != 0)
        return bad(err, errlen, name, line, "field 'committed_ns': %s", why);
    if (!none && committed < invoke)
        return bad(err, errlen, name, line,
                   "field 'committed_ns': %lld is before invoke_ns %lld",
                   (long long)committed, (long long)invoke);
    if (!none && !no_complete && committed > complete)
        return bad(err, errlen, name, line,
                   "field 'committed_ns': %lld is after complete_ns %lld",
                   (long long)committed, (long long)complete);
    int acked = strcmp(status, "ok") == 0 && !no_complete;
    if (invoke >= a->opt.warmup) {
        a->r.writes_committed++;
        a->r.writes_exact += (uint64_t)!none;
    }
    uint32_t depth = a->opt.depth;
    if (k->max_version >= depth && ver <= k->max_version - depth)
        return 0; /* older than everything kept: it cannot change a verdict */
    wver *slot = &k->ring[ver % depth];
    if (slot->version == ver)
        return bad(err, errlen, name, line,
                   "key %s: version %u written twice (first at line %llu)",
                   k->name + 2, ver, (unsigned long long)slot->line);
    if (slot->version > ver) return 0;
    slot->version = ver;
    slot->writer = writer;
    slot->lo = none ? invoke : committed;
    slot->hi = !none ? committed : acked ? complete : SIM_TIME_MAX;
    slot->ack = acked ? complete : SIM_TIME_MAX;
    slot->line = line;
    if (ver > k->max_version) k->max_version = ver;
    return 0;
}

/* A read line. */
static int take_read(audit *a, json_t *o, kstate *k, uint64_t reader,
                     sim_time s, sim_time e, const char *status,
                     const char *name, uint64_t line, char *err,
                     size_t errlen) {
    int counted = s >= a->opt.warmup;
    if (strcmp(status, "fail") == 0) {
        a->r.failed_reads += (uint64_t)counted;
        return 0;
    }
    if (strcmp(status, "ok") != 0)
        return bad(err, errlen, name, line,
                   "field 'status': '%s' is not ok or fail (a read)", status);
    json_t *v = json_object_get(o, "value");
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > UINT32_MAX)
        return bad(err, errlen, name, line,
                   "field 'value': an answered read's version must be an "
                   "integer >= 0");
    uint32_t ver = (uint32_t)json_integer_value(v);
    json_t *fr = json_object_get(o, "from");
    if (fr && !json_is_string(fr))
        return bad(err, errlen, name, line, "field 'from': must be a string");
    uint32_t copy = intern_copy(a, fr ? json_string_value(fr) : "?");
    if (copy == UINT32_MAX)
        return bad(err, errlen, name, line,
                   "field 'from': more than %d distinct names (or out of "
                   "memory)",
                   MAX_COPIES);
    uint32_t depth = a->opt.depth;
    int old = k->max_version >= depth && ver <= k->max_version - depth;
    if (ver > 0 && !old && k->ring[ver % depth].version != ver) {
        /* Its write was invoked before the read completed, so it would have
         * come first: no write ever made this version. */
        if (a->r.unwritten_reads < AUDIT_SHOW_UNWRITTEN) {
            audit_unwritten *u = &a->r.unwritten[a->r.unwritten_reads];
            u->line = line;
            u->version = ver;
            snprintf(u->key, sizeof u->key, "%s", k->name + 2);
        }
        a->r.unwritten_reads++;
        return 0;
    }
    /* Version v+1 committed in [L, H]: H the earliest settled end of a newer
     * version's interval, L the latest start of an interval up to v+1. */
    sim_time H = SIM_TIME_MAX, L = INT64_MIN;
    int newer = 0;
    for (uint32_t i = 0; i < depth; i++) {
        const wver *w = &k->ring[i];
        if (!w->version) continue;
        if (w->version > ver) {
            newer = 1;
            if (w->hi < H) H = w->hi;
        }
        if (w->version <= ver + 1 && w->lo > L) L = w->lo;
    }
    /* Version v+1 not written yet: by the ordering rule its write was invoked
     * after e, so it committed after e (fresh), unless it may have dropped
     * out of the versions kept. */
    int next_known = k->ring[(ver + 1) % depth].version == ver + 1;
    int next_old = k->max_version >= depth && ver + 1 <= k->max_version - depth;
    if (!newer || (!next_known && !next_old)) L = SIM_TIME_MAX;
    if (L > H) L = H; /* inconsistent intervals: trust the settled end */
    sim_time age_min = 0, age_max = 0;
    oracle_verdict_kind kind = oracle_judge(s, e, L, H, &age_min, &age_max);
    if (track_window(a, k, copy, ver, s, kind == ORACLE_VERDICT_STALE) != 0)
        return 3;
    if (!counted) return 0;
    audit_result *r = &a->r;
    r->reads++;
    r->hits += (uint64_t)a->copy_hit[copy];
    r->local_hits += (uint64_t)a->copy_local[copy];
    sim_hist_add(&r->read_latency, e - s);
    if (newer && ver + 1 + depth <= k->max_version) r->beyond_depth++;
    int over = 0;
    if (kind == ORACLE_VERDICT_FRESH) r->fresh++;
    if (kind == ORACLE_VERDICT_CONCURRENT) r->concurrent++;
    if (kind == ORACLE_VERDICT_STALE) {
        r->stale++;
        sim_hist_add(&r->stale_age_min, age_min);
        sim_hist_add(&r->stale_age_max, age_max);
        over = age_max > a->opt.bound;
        r->over_bound += (uint64_t)over;
        for (uint32_t i = 0; i < depth; i++) {
            const wver *w = &k->ring[i];
            if (w->version > ver && w->writer == reader && w->ack <= s) {
                r->ryw_violations++;
                break;
            }
        }
        json_t *c = json_object_get(o, "cause");
        if (c) {
            int found = -1;
            for (int j = 0; j < ORACLE_CAUSE_COUNT && json_is_string(c); j++)
                if (strcmp(json_string_value(c),
                           oracle_cause_name((oracle_cause)j)) == 0)
                    found = j;
            if (found < 0)
                return bad(err, errlen, name, line,
                           "field 'cause': not a cause stalesim knows "
                           "(stalesim run --help lists them)");
            r->causes[found]++;
            r->causes_given++;
        }
    }
    json_t *vd = json_object_get(o, "verdict");
    if (vd) {
        int found = -1;
        for (int j = 0; j < 3 && json_is_string(vd); j++)
            if (strcmp(json_string_value(vd), verdict_names[j]) == 0) found = j;
        if (found < 0)
            return bad(err, errlen, name, line,
                       "field 'verdict': not fresh, concurrent or stale");
        r->verdicts_given++;
        r->verdict_disagreements += (uint64_t)(found != (int)kind);
    }
    batch_add(r, s, kind == ORACLE_VERDICT_STALE, over);
    return 0;
}

/* One operation line (already parsed). */
static int take_op(audit *a, json_t *o, const char *name, uint64_t line,
                   char *err, size_t errlen) {
    char keytext[512], proctext[512];
    json_t *op = json_object_get(o, "op");
    if (!json_is_string(op))
        return bad(err, errlen, name, line,
                   "field 'op': missing or not \"read\"/\"write\"");
    int is_write = strcmp(json_string_value(op), "write") == 0;
    if (!is_write && strcmp(json_string_value(op), "read") != 0)
        return bad(err, errlen, name, line,
                   "field 'op': '%s' is not read or write",
                   json_string_value(op));
    json_t *kv = json_object_get(o, "key");
    if (!kv || tagged(kv, keytext, sizeof keytext) != 0)
        return bad(err, errlen, name, line,
                   "field 'key': missing or not an integer or string");
    json_t *pv = json_object_get(o, "process");
    if (!pv || tagged(pv, proctext, sizeof proctext) != 0)
        return bad(err, errlen, name, line,
                   "field 'process': missing or not an integer or string");
    json_t *st = json_object_get(o, "status");
    if (!json_is_string(st))
        return bad(err, errlen, name, line, "field 'status': missing");
    const char *status = json_string_value(st);
    const char *why = NULL;
    sim_time s = 0, e = 0;
    int no_complete = 0;
    if (get_time(o, "invoke_ns", 1, &s, NULL, &why) != 0)
        return bad(err, errlen, name, line, "field 'invoke_ns': %s", why);
    if (get_time(o, "complete_ns", 1, &e, &no_complete, &why) != 0)
        return bad(err, errlen, name, line, "field 'complete_ns': %s", why);
    if (!no_complete && e < s)
        return bad(err, errlen, name, line,
                   "field 'complete_ns': %lld is before invoke_ns %lld",
                   (long long)e, (long long)s);
    int failed_read = !is_write && strcmp(status, "fail") == 0;
    if (!is_write && no_complete && !failed_read)
        return bad(err, errlen, name, line,
                   "field 'complete_ns': an answered read needs one");
    sim_time pos = is_write || no_complete ? s : e;
    if (pos < a->prev_pos || (pos == a->prev_pos && is_write && !a->prev_write))
        return bad(err, errlen, name, line,
                   "out of order: position %lld ns is before line %llu's %lld "
                   "ns (lines are sorted by a read's complete_ns, a write's "
                   "invoke_ns, writes first; docs/history.md)",
                   (long long)pos, (unsigned long long)a->prev_line,
                   (long long)a->prev_pos);
    a->prev_pos = pos;
    a->prev_write = is_write;
    a->prev_line = line;
    if (a->r.lines == 0 || s < a->r.first_t) a->r.first_t = s;
    sim_time last = no_complete ? s : e;
    if (last > a->r.last_t) a->r.last_t = last;
    kstate *k = intern_key(a, keytext);
    if (!k) return 3;
    uint64_t who = fnv(proctext);
    if (is_write)
        return take_write(a, o, k, who, s, e, no_complete, status, name, line,
                          err, errlen);
    return take_read(a, o, k, who, s, e, status, name, line, err, errlen);
}

int audit_stream(audit *a, FILE *in, const char *name, char *err,
                 size_t errlen) {
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t line = 0;
    int rc = 0;
    errno = 0;
    /* Lines are capped: a file (or stdin) without newlines cannot grow
     * the buffer until memory runs out. */
    while ((len = sim_file_getline(&buf, &cap, in, AUDIT_LINE_MAX)) >= 0) {
        line++;
        if (cap > a->line_cap) a->line_cap = cap;
        json_error_t je;
        json_t *o = json_loadb(buf, (size_t)len, 0, &je);
        if (!o) {
            rc = bad(err, errlen, name, line, "not JSON: %s (column %d)",
                     je.text, je.column);
            break;
        }
        if (!json_is_object(o))
            rc = bad(err, errlen, name, line, "not a JSON object");
        else if (line == 1 && json_object_get(o, "stalesim_history"))
            rc = take_header(a, o, name, line, err, errlen);
        else {
            rc = take_op(a, o, name, line, err, errlen);
            a->r.lines++;
        }
        json_decref(o);
        if (rc == 3) snprintf(err, errlen, "%s:%llu: out of memory", name,
                              (unsigned long long)line);
        if (rc) break;
    }
    if (!rc && len == -2)
        rc = bad(err, errlen, name, line + 1, "line longer than %d bytes (not "
                 "a history line)", AUDIT_LINE_MAX);
    else if (!rc && len == -3 && errno == ENOMEM) {
        bad(err, errlen, name, line + 1, "out of memory");
        rc = 3;
    }
    free(buf);
    if (!rc && ferror(in)) {
        snprintf(err, errlen, "%s: read error: %s", name, strerror(errno));
        rc = 3;
    }
    if (rc) return rc;
    /* Windows still open at the end: censored. */
    for (size_t i = 0; i < a->r.keys; i++)
        for (uint32_t j = 0; j < a->keys[i]->nwin; j++)
            close_window(a, &a->keys[i]->win[j], 1);
    a->r.warmup = a->opt.warmup;
    if (!a->r.end) a->r.end = a->r.last_t;
    return 0;
}
