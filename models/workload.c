/* Workload generation: arrivals (Poisson, constant, bursty), read/write mix,
 * key popularity, clients; scripted requests; trace files. */
#include "models/workload.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim/bigmem.h"
#include "sim/fileio.h"
#include "sim/check.h"
#include "sim/errf.h"
#include "sim/hash.h"
#include "sim/mt19937.h"
#include "sim/ziggurat.h"

/* One slot of the Walker alias table for key popularity, packed so that a
 * draw touches one cache line: keep slot i with probability keep/2^32, else
 * take `alias`.  Built by gsl_ran_discrete_preproc and repacked: GSL's own
 * table keeps F and A in two arrays of 8-byte entries, two cache misses per
 * draw on a table of a million keys, and its F is cumulative over slots
 * ((i + P(keep))/K), not the per-slot probability kept here. */
typedef struct key_alias {
    uint32_t keep;  /* P(keep slot) * 2^32, saturated */
    uint32_t alias; /* key chosen otherwise */
} key_alias;

/* Zipf draws are made in batches of KEY_BATCH arrivals, a batch ahead: when
 * the resolved keys run out, the drawn batch is resolved (its alias slots were
 * prefetched a batch ago) and the next batch is drawn, its KEY_BATCH alias
 * slots prefetched together.  Prefetches of cold lines issued together wait
 * for memory together (on this kind of machine one miss costs some 300 ns,
 * and a prefetch of an untranslated page holds up the instructions behind
 * it); the world prefetches the per-key state of the batch's keys the same
 * way (workload_resolved).  The KEYS stream is consumed in a fixed order
 * (slot, coin, slot, coin, ...) whatever the configuration, and arrival j
 * takes the j-th pair, batched or not: common random numbers stay intact,
 * and nothing else draws from KEYS, so drawing ahead changes no result. */
#define KEY_BATCH 8

typedef struct key_draw {
    uint32_t slot; /* uniform table slot */
    uint32_t coin; /* uniform 32-bit coin against slot.keep */
} key_draw;

/* A key family's share of the arrivals ([family.NAME]). */
typedef struct workload_family {
    double upto;         /* cumulative share of the arrival rate */
    double p_read;       /* P(its arrival is a read) */
    uint32_t first_key, nkeys;
    key_alias *zipf;     /* NULL: uniform within the family */
} workload_family;

struct workload {
    /* key families: nfam = 0 without [family.*] */
    int nfam;
    workload_family fam[SCENARIO_MAX_FAMILIES];
    /* synthetic */
    double rate;         /* arrivals per ns (reads + writes) */
    double p_read;       /* P(an arrival is a read) */
    scenario_arrivals arrivals;
    /* bursty */
    double rate_on, rate_off;   /* arrivals per ns in each period */
    double mean_on, mean_off;   /* ns: mean period lengths */
    int burst_started;          /* the first period has been drawn */
    int burst_on;               /* the current period is an on period */
    sim_time burst_end;         /* ns: when the current period ends */
    uint32_t nkeys, clients;
    key_alias *zipf;     /* NULL: uniform keys; else [nkeys] */
    double carry;        /* constant arrivals: fractional ns carried over */
    key_draw drawn[KEY_BATCH];  /* the next batch's draws, unresolved */
    uint32_t batch[KEY_BATCH];  /* resolved keys of the current batch */
    unsigned batch_next;        /* index of the next arrival's key in batch;
                                   KEY_BATCH: resolve the drawn batch */
    int drawn_primed;           /* the first batch has been drawn */
    uint32_t fresh_n;           /* keys resolved by the last workload_next */
    const uint32_t *fresh;      /* ... starting here (batch, or &last_key) */
    uint32_t last_key;          /* the last arrival's key (no batches) */
    /* scripted */
    workload_op *script;
    size_t nscript, next;
    workload_trace_shared *shared; /* non-NULL: script is its ops (borrowed) */
};

static workload *create_traced(const scenario *sc);

/* The packed alias table of Zipf(s) over n keys, or NULL on ENOMEM. */
static key_alias *build_alias(uint32_t n, double s) {
    double *weight = malloc(n * sizeof *weight);
    if (!weight) return NULL;
    for (uint32_t i = 0; i < n; i++) weight[i] = pow((double)i + 1, -s);
    gsl_ran_discrete_t *t = gsl_ran_discrete_preproc(n, weight);
    free(weight);
    key_alias *z = t ? sim_big_calloc(n, sizeof *z) : NULL;
    if (!z) {
        if (t) gsl_ran_discrete_free(t);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        double p = t->F[i] * (double)n - (double)i;
        p = p < 0 ? 0 : p > 1 ? 1 : p;
        double keep = ldexp(p, 32);
        z[i].keep = keep >= 4294967295.0 ? UINT32_MAX : (uint32_t)keep;
        z[i].alias = (uint32_t)t->A[i];
    }
    gsl_ran_discrete_free(t);
    return z;
}

/* Families: one arrival stream at the total rate; each family's share of
 * it, read share, key range and popularity. */
static int setup_families(workload *w, const scenario *sc, double *total) {
    w->nfam = sc->families.n;
    double sum = 0;
    scenario_family_range r[SCENARIO_MAX_FAMILIES];
    for (int i = 0; i < w->nfam; i++) {
        scenario_family_resolve(sc, i, &r[i]);
        sum += r[i].reads + r[i].writes;
    }
    double upto = 0;
    for (int i = 0; i < w->nfam; i++) {
        workload_family *f = &w->fam[i];
        double rate = r[i].reads + r[i].writes;
        upto += rate / sum;
        f->upto = i + 1 == w->nfam ? 1.0 : upto;
        f->p_read = rate > 0 ? r[i].reads / rate : 1;
        f->first_key = r[i].first_key;
        f->nkeys = r[i].nkeys;
        if (r[i].zipf_s > 0 && f->nkeys > 1) {
            f->zipf = build_alias(f->nkeys, r[i].zipf_s);
            if (!f->zipf) return -1;
        }
    }
    *total = sum;
    return 0;
}

workload *workload_create(const scenario *sc) {
    if (sc->workload.trace[0]) return create_traced(sc);
    workload *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    double total = sc->workload.reads + sc->workload.writes;
    if (sc->families.n > 0 && setup_families(w, sc, &total) != 0) {
        workload_destroy(w);
        return NULL;
    }
    w->rate = total / 1e9;
    w->p_read = sc->workload.reads / total;
    w->arrivals = sc->workload.arrivals;
    if (w->arrivals == SCENARIO_ARRIVALS_BURSTY) {
        double on = (double)sc->workload.burst_on;
        double off = (double)sc->workload.burst_off;
        double f = sc->workload.burst_factor;
        w->rate_off = w->rate * (on + off) / (f * on + off);
        w->rate_on = f * w->rate_off;
        w->mean_on = on;
        w->mean_off = off;
    }
    w->nkeys = sc->workload.keys;
    w->clients = sc->workload.clients;
    if (w->nfam == 0 && sc->workload.zipf_s > 0 && w->nkeys > 1) {
        double *weight = malloc(w->nkeys * sizeof *weight);
        if (!weight) {
            free(w);
            return NULL;
        }
        for (uint32_t i = 0; i < w->nkeys; i++)
            weight[i] = pow((double)i + 1, -sc->workload.zipf_s);
        gsl_ran_discrete_t *t = gsl_ran_discrete_preproc(w->nkeys, weight);
        free(weight);
        w->zipf = t ? sim_big_calloc(w->nkeys, sizeof *w->zipf) : NULL;
        if (!w->zipf) {
            if (t) gsl_ran_discrete_free(t);
            free(w);
            return NULL;
        }
        for (uint32_t i = 0; i < w->nkeys; i++) {
            /* GSL stores F[i] = (i + P(keep slot i)) / K, to compare with
             * the same uniform that chose the slot; take the P back out. */
            double p = t->F[i] * (double)w->nkeys - (double)i;
            p = p < 0 ? 0 : p > 1 ? 1 : p;
            double keep = ldexp(p, 32);
            w->zipf[i].keep = keep >= 4294967295.0 ? UINT32_MAX
                                                   : (uint32_t)keep;
            w->zipf[i].alias = (uint32_t)t->A[i];
        }
        gsl_ran_discrete_free(t);
    }
    return w;
}

workload *workload_create_scripted(const workload_op *ops, size_t n) {
    workload *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->script = malloc((n ? n : 1) * sizeof *ops);
    if (!w->script) {
        free(w);
        return NULL;
    }
    if (n) memcpy(w->script, ops, n * sizeof *ops);
    w->nscript = n;
    for (size_t i = 1; i < n; i++)
        SIM_CHECK(ops[i].at >= ops[i - 1].at, "script op %zu out of order", i);
    return w;
}

void workload_destroy(workload *w) {
    if (!w) return;
    sim_big_free(w->zipf, w->nkeys, sizeof *w->zipf);
    for (int i = 0; i < w->nfam; i++)
        sim_big_free(w->fam[i].zipf, w->fam[i].nkeys, sizeof *w->fam[i].zipf);
    if (w->shared) workload_trace_shared_release(w->shared);
    else free(w->script);
    free(w);
}

/* Draws the next batch's (slot, coin) pairs and prefetches their slots. */
static void draw_batch(workload *w, gsl_rng *keys) {
    for (unsigned i = 0; i < KEY_BATCH; i++) {
        w->drawn[i].slot = (uint32_t)sim_rng_uniform_int(keys, w->nkeys);
        w->drawn[i].coin = (uint32_t)sim_rng_word(keys); /* mt19937: 32 bits */
    }
    for (unsigned i = 0; i < KEY_BATCH; i++)
        __builtin_prefetch(&w->zipf[w->drawn[i].slot]);
}

/* Reports key (the arrival's own) as the one workload_resolved gives. */
static uint32_t report_key(workload *w, uint32_t key) {
    w->last_key = key;
    w->fresh = &w->last_key;
    w->fresh_n = 1;
    return key;
}

/* The key of the next arrival.  One key draws nothing: the KEYS stream
 * feeds only key draws, so leaving it untouched changes no other draw. */
static uint32_t draw_key(workload *w, gsl_rng *keys) {
    if (w->nkeys == 1) return report_key(w, 0);
    if (!w->zipf)
        return report_key(w, (uint32_t)sim_rng_uniform_int(keys, w->nkeys));
    w->fresh_n = 0;
    if (!w->drawn_primed) {
        draw_batch(w, keys);
        w->drawn_primed = 1;
        w->batch_next = KEY_BATCH;
    }
    if (w->batch_next == KEY_BATCH) {
        for (unsigned i = 0; i < KEY_BATCH; i++) {
            key_draw d = w->drawn[i];
            const key_alias *slot = &w->zipf[d.slot];
            w->batch[i] = slot->keep == UINT32_MAX || d.coin < slot->keep
                              ? d.slot
                              : slot->alias;
        }
        draw_batch(w, keys);
        w->batch_next = 0;
        w->fresh = w->batch;
        w->fresh_n = KEY_BATCH;
    }
    return w->batch[w->batch_next++];
}

size_t workload_resolved(const workload *w, const uint32_t **keys) {
    *keys = w->fresh;
    return w->fresh_n;
}

/* Draws a period length of mean `mean` ns, at least 1 ns so that time
 * always advances. */
static sim_time period_length(gsl_rng *arr, double mean) {
    double len = sim_exponential(arr, mean);
    if (len >= 9e18) return (sim_time)9e18;
    sim_time l = sim_time_round(len);
    return l > 0 ? l : 1;
}

/* The next bursty arrival after `now` (the previous arrival, or 0).  A gap
 * is drawn at the current period's rate; if it overruns the period, the
 * clock moves to the boundary, the next period is drawn and the gap redrawn
 * from there (the exponential forgets how long it has waited). */
static sim_time bursty_next(workload *w, gsl_rng *arr, sim_time now) {
    if (!w->burst_started) {
        w->burst_started = 1;
        w->burst_on = sim_rng_uniform(arr) <
                      w->mean_on / (w->mean_on + w->mean_off);
        w->burst_end = now + period_length(arr, w->burst_on ? w->mean_on
                                                            : w->mean_off);
    }
    sim_time t = now;
    for (;;) {
        double rate = w->burst_on ? w->rate_on : w->rate_off;
        double gap = sim_exponential(arr, 1.0 / rate);
        if ((double)t + gap <= (double)w->burst_end) {
            sim_time at = t + sim_time_round(gap);
            return at < w->burst_end ? at : w->burst_end;
        }
        t = w->burst_end;
        w->burst_on = !w->burst_on;
        w->burst_end = t + period_length(arr, w->burst_on ? w->mean_on
                                                          : w->mean_off);
    }
}

int workload_next(workload *w, const sim_rng *r, sim_time now,
                  workload_op *op) {
    if (w->script) {
        if (w->next == w->nscript) return 0;
        *op = w->script[w->next++];
        SIM_CHECK(op->at >= now, "script op at %lld before now %lld",
                  (long long)op->at, (long long)now);
        report_key(w, op->key);
        return 1;
    }
    gsl_rng *arr = sim_rng_stream(r, SIM_STREAM_ARRIVALS);
    if (w->arrivals == SCENARIO_ARRIVALS_BURSTY) {
        op->at = bursty_next(w, arr, now);
    } else {
        double gap; /* ns */
        if (w->arrivals == SCENARIO_ARRIVALS_POISSON) {
            gap = sim_exponential(arr, 1.0 / w->rate);
        } else {
            gap = 1.0 / w->rate + w->carry;
        }
        sim_time step = sim_time_round(gap);
        if (w->arrivals == SCENARIO_ARRIVALS_CONSTANT) w->carry = gap - (double)step;
        op->at = now + step;
    }
    if (w->nfam > 0) {
        /* The family by rate share (a draw only with two or more), then
         * the read/write mix and the key within it. */
        int f = 0;
        if (w->nfam > 1) {
            double u = sim_rng_uniform(arr);
            while (f + 1 < w->nfam && u >= w->fam[f].upto) f++;
        }
        const workload_family *fam = &w->fam[f];
        op->kind = sim_rng_uniform(arr) < fam->p_read ? WORKLOAD_READ : WORKLOAD_WRITE;
        op->client = (uint32_t)sim_rng_uniform_int(arr, w->clients);
        gsl_rng *keys = sim_rng_stream(r, SIM_STREAM_KEYS);
        uint32_t k = (uint32_t)sim_rng_uniform_int(keys, fam->nkeys);
        if (fam->zipf) {
            uint32_t coin = (uint32_t)sim_rng_word(keys);
            const key_alias *slot = &fam->zipf[k];
            if (!(slot->keep == UINT32_MAX || coin < slot->keep))
                k = slot->alias;
        }
        op->key = fam->first_key + k;
        report_key(w, op->key);
        return 1;
    }
    op->kind = sim_rng_uniform(arr) < w->p_read ? WORKLOAD_READ : WORKLOAD_WRITE;
    op->client = (uint32_t)sim_rng_uniform_int(arr, w->clients);
    op->key = draw_key(w, sim_rng_stream(r, SIM_STREAM_KEYS));
    return 1;
}

/* ---- traces ---------------------------------------------------------------- */

/* Names (keys, client ids) to dense indices in order of first appearance:
 * open addressing over FNV-1a hashes, the names kept NUL-terminated in one
 * growing arena. */
typedef struct name_map {
    uint32_t *slot;   /* [cap]: index + 1, 0 = empty */
    size_t cap;       /* power of two */
    uint64_t *hash;   /* [n]: hash of name i */
    size_t *off;      /* [n]: offset of name i in arena */
    size_t n, ncap;
    char *arena;
    size_t used, acap;
} name_map;

static void name_map_fini(name_map *m) {
    free(m->slot);
    free(m->hash);
    free(m->off);
    free(m->arena);
    memset(m, 0, sizeof *m);
}

static int name_map_rehash(name_map *m, size_t cap) {
    uint32_t *slot = calloc(cap, sizeof *slot);
    if (!slot) return -1;
    for (size_t i = 0; i < m->n; i++) {
        size_t j = (size_t)m->hash[i] & (cap - 1);
        while (slot[j]) j = (j + 1) & (cap - 1);
        slot[j] = (uint32_t)i + 1;
    }
    free(m->slot);
    m->slot = slot;
    m->cap = cap;
    return 0;
}

/* The index of `name`, added if new.  Returns 0, 1 when the map is full
 * (UINT32_MAX - 1 names), or -1 on ENOMEM. */
static int name_map_index(name_map *m, const char *name, uint32_t *index) {
    if (!m->slot && name_map_rehash(m, 1024) != 0) return -1;
    uint64_t h = sim_fnv1a(name);
    size_t j = (size_t)h & (m->cap - 1);
    for (; m->slot[j]; j = (j + 1) & (m->cap - 1)) {
        uint32_t i = m->slot[j] - 1;
        if (m->hash[i] == h && strcmp(m->arena + m->off[i], name) == 0) {
            *index = i;
            return 0;
        }
    }
    if (m->n >= UINT32_MAX - 1) return 1;
    size_t len = strlen(name) + 1;
    if (m->used + len > m->acap) {
        size_t acap = m->acap ? m->acap : 4096;
        while (m->used + len > acap) acap *= 2;
        char *a = realloc(m->arena, acap);
        if (!a) return -1;
        m->arena = a;
        m->acap = acap;
    }
    if (m->n == m->ncap) {
        size_t ncap = m->ncap ? 2 * m->ncap : 256;
        uint64_t *hs = realloc(m->hash, ncap * sizeof *hs);
        if (!hs) return -1;
        m->hash = hs;
        size_t *of = realloc(m->off, ncap * sizeof *of);
        if (!of) return -1;
        m->off = of;
        m->ncap = ncap;
    }
    memcpy(m->arena + m->used, name, len);
    m->off[m->n] = m->used;
    m->hash[m->n] = h;
    m->used += len;
    m->slot[j] = (uint32_t)m->n + 1;
    *index = (uint32_t)m->n++;
    if (2 * m->n > m->cap && name_map_rehash(m, 2 * m->cap) != 0) return -1;
    return 0;
}

/* Splits `line` at commas in place, trimming blanks around each field.
 * Returns the number of fields (all of them, even past max). */
static size_t split_fields(char *line, char **field, size_t max) {
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        while (*p == ' ' || *p == '\t') p++;
        size_t len = strlen(p);
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) p[--len] = 0;
        if (n < max) field[n] = p;
        n++;
        if (!comma) return n;
        p = comma + 1;
    }
}

/* A whole number >= 0 (digits only), at most `max`. */
/* Digits to a number <= max: 0, -1 when not all digits, -2 when larger
 * than max. */
static int parse_whole(const char *s, uint64_t max, uint64_t *out) {
    if (!isdigit((unsigned char)*s)) return -1;
    if (strspn(s, "0123456789") != strlen(s)) return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10) return -2;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Seconds as digits with an optional fraction ("12", "12.5", "0.000000001")
 * to exact ns; digits past the ninth decimal are dropped. */
#define TRACE_MAX_SECONDS UINT64_C(9000000000) /* keeps ns inside int64 */

static int parse_seconds(const char *s, sim_time *out) {
    const char *dot = strchr(s, '.');
    char whole[32];
    size_t wl = dot ? (size_t)(dot - s) : strlen(s);
    if (wl == 0 || wl >= sizeof whole) return -1;
    memcpy(whole, s, wl);
    whole[wl] = '\0';
    uint64_t sec;
    int rc = parse_whole(whole, TRACE_MAX_SECONDS, &sec);
    if (rc != 0) return rc;
    int64_t frac = 0, scale = 100000000; /* ns per unit of the next digit */
    if (dot) {
        const char *f = dot + 1;
        if (!*f) return -1;
        for (; *f; f++) {
            if (!isdigit((unsigned char)*f)) return -1;
            frac += (*f - '0') * scale;
            scale /= 10;
        }
    }
    *out = (sim_time)sec * SIM_S + frac;
    return 0;
}

/* ns as seconds without trailing zeros: "4", "3.25". */
static void format_seconds(sim_time ns, char *buf, size_t len) {
    int n = snprintf(buf, len, "%lld.%09lld", (long long)(ns / SIM_S),
                     (long long)(ns % SIM_S));
    if (n <= 0 || (size_t)n >= len) return;
    while (buf[n - 1] == '0') buf[--n] = '\0';
    if (buf[n - 1] == '.') buf[n - 1] = '\0';
}

static int ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

typedef enum trace_kind { TK_READ, TK_WRITE, TK_DELETE, TK_UNKNOWN } trace_kind;

static trace_kind twitter_kind(const char *op) {
    static const char *const reads[] = {"get", "gets"};
    static const char *const writes[] = {"set",    "add",     "replace",
                                         "cas",    "append",  "prepend",
                                         "incr",   "decr"};
    for (size_t i = 0; i < sizeof reads / sizeof *reads; i++)
        if (ieq(op, reads[i])) return TK_READ;
    for (size_t i = 0; i < sizeof writes / sizeof *writes; i++)
        if (ieq(op, writes[i])) return TK_WRITE;
    return ieq(op, "delete") ? TK_DELETE : TK_UNKNOWN;
}

void workload_trace_fini(workload_trace *t) {
    if (!t) return;
    free(t->ops);
    memset(t, 0, sizeof *t);
}

/* Appends one request; -1 on ENOMEM. */
static int trace_push(workload_trace *t, size_t *cap, sim_time at,
                      workload_kind kind, uint32_t key, uint32_t client) {
    if (t->n == *cap) {
        size_t c = *cap ? 2 * *cap : 1024;
        workload_op *ops = realloc(t->ops, c * sizeof *ops);
        if (!ops) return -1;
        t->ops = ops;
        *cap = c;
    }
    t->ops[t->n].at = at;
    t->ops[t->n].kind = kind;
    t->ops[t->n].key = key;
    t->ops[t->n].client = client;
    t->n++;
    return 0;
}

/* Twitter timestamps are whole seconds: the k requests of one second move to
 * second + j/k (j = 0..k-1), ops[i].at holding the second's ns until then. */
static void spread_seconds(workload_trace *t) {
    size_t i = 0;
    while (i < t->n) {
        size_t j = i;
        while (j < t->n && t->ops[j].at == t->ops[i].at) j++;
        uint64_t k = j - i;
        for (size_t q = i; q < j; q++)
            t->ops[q].at += (sim_time)((uint64_t)(q - i) * (uint64_t)SIM_S / k);
        i = j;
    }
}

/* A trace being read: where (for messages), its format, the names seen. */
typedef struct trace_reader {
    const char *name;   /* the file, for messages */
    int format;         /* TRACE_FORMAT_* */
    unsigned long lineno;
    name_map keys, clients;
    size_t cap;         /* room in t->ops */
    sim_time first, last; /* the first request's time, the latest's */
} trace_reader;

/* The fields of a Twitter line (timestamp,key,key_size,value_size,
 * client_id,operation,ttl): its time, kind and client.  0, -1 with the
 * message, or -2 when out of memory. */
static int twitter_line(trace_reader *rd, char **fld, sim_time *at,
                        trace_kind *kind, uint32_t *client, char *err,
                        size_t errlen) {
    const char *name = rd->name;
    unsigned long lineno = rd->lineno;
    uint64_t v;
    int wrc = parse_whole(fld[0], TRACE_MAX_SECONDS, &v);
    if (wrc != 0) {
        sim_errf(err, errlen,
                  wrc == -2 ? "%s:%lu: timestamp '%s' is too large "
                              "(at most 9000000000 seconds)"
                            : "%s:%lu: timestamp '%s' is not a whole "
                              "number of seconds",
                  name, lineno, fld[0]);
        return -1;
    }
    *at = (sim_time)v * SIM_S;
    static const char *const what[] = {"key size", "value size", "client id"};
    for (int i = 0; i < 3; i++)
        if ((wrc = parse_whole(fld[2 + i], UINT64_MAX, &v)) != 0) {
            sim_errf(err, errlen,
                      wrc == -2 ? "%s:%lu: %s '%s' is larger than 2^64-1"
                                : "%s:%lu: %s '%s' is not a whole number",
                      name, lineno, what[i], fld[2 + i]);
            return -1;
        }
    if ((wrc = parse_whole(fld[6], UINT64_MAX, &v)) != 0) {
        sim_errf(err, errlen,
                  wrc == -2 ? "%s:%lu: ttl '%s' is larger than 2^64-1"
                            : "%s:%lu: ttl '%s' is not a whole number",
                  name, lineno, fld[6]);
        return -1;
    }
    *kind = twitter_kind(fld[5]);
    if (*kind == TK_UNKNOWN) {
        sim_errf(err, errlen,
                  "%s:%lu: operation '%s' is not one of get, gets, set, add, "
                  "replace, cas, append, prepend, incr, decr, delete",
                  name, lineno, fld[5]);
        return -1;
    }
    /* Client ids by their value: "07" and "7" are one client. */
    uint64_t id = 0;
    parse_whole(fld[4], UINT64_MAX, &id);
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%llu", (unsigned long long)id);
    int got = name_map_index(&rd->clients, idtext, client);
    if (got < 0) return -2;
    if (got > 0) {
        sim_errf(err, errlen, "%s:%lu: more than %u clients", name, lineno,
                  (unsigned)(UINT32_MAX - 1));
        return -1;
    }
    return 0;
}

/* The fields of a CSV line (time,key,op): its time and kind; 0 or -1 with
 * the message. */
static int csv_line(const trace_reader *rd, char **fld, sim_time *at,
                    trace_kind *kind, char *err, size_t errlen) {
    int src = parse_seconds(fld[0], at);
    if (src != 0) {
        sim_errf(err, errlen,
                  src == -2
                      ? "%s:%lu: time '%s' is too large (at most "
                        "9000000000 seconds)"
                      : "%s:%lu: time '%s' is not a number of seconds "
                        ">= 0 (digits, optionally a fraction: 12 or "
                        "12.5)",
                  rd->name, rd->lineno, fld[0]);
        return -1;
    }
    *kind = ieq(fld[2], "read")    ? TK_READ
            : ieq(fld[2], "write") ? TK_WRITE
                                   : TK_UNKNOWN;
    if (*kind == TK_UNKNOWN) {
        sim_errf(err, errlen, "%s:%lu: op '%s' is not read or write",
                  rd->name, rd->lineno, fld[2]);
        return -1;
    }
    return 0;
}

/* One line of the trace (without its end of line; len bytes) into t.  0 (a
 * request, a blank line or the CSV header), -1 with the message, or -2
 * when out of memory. */
static int trace_line(trace_reader *rd, char *line, ssize_t len,
                      workload_trace *t, char *err, size_t errlen) {
    const char *name = rd->name;
    unsigned long lineno = rd->lineno;
    if (lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        memmove(line, line + 3, (size_t)len - 2); /* a UTF-8 BOM */
        len -= 3;
    }
    if (strspn(line, " \t") == (size_t)len) return 0; /* blank */
    if ((size_t)len != strlen(line)) {
        sim_errf(err, errlen, "%s:%lu: a NUL byte inside the line", name,
                  lineno);
        return -1;
    }
    char *fld[7];
    size_t nf = split_fields(line, fld, 7);
    int twitter = rd->format == SCENARIO_TRACE_FORMAT_TWITTER;
    if (rd->format == SCENARIO_TRACE_FORMAT_CSV && lineno == 1 && nf == 3 &&
        ieq(fld[0], "time") && ieq(fld[1], "key") && ieq(fld[2], "op"))
        return 0; /* header */
    if (nf != (twitter ? 7u : 3u)) {
        sim_errf(err, errlen,
                  twitter ? "%s:%lu: %zu comma-separated fields, expected 7 "
                            "(timestamp,key,key_size,value_size,client_id,"
                            "operation,ttl)"
                          : "%s:%lu: %zu comma-separated fields, expected 3 "
                            "(time,key,op)",
                  name, lineno, nf);
        return -1;
    }
    sim_time at;
    trace_kind kind;
    uint32_t client = 0;
    int rc = twitter ? twitter_line(rd, fld, &at, &kind, &client, err, errlen)
                     : csv_line(rd, fld, &at, &kind, err, errlen);
    if (rc != 0) return rc;
    if (!*fld[1]) {
        sim_errf(err, errlen, "%s:%lu: the key is empty", name, lineno);
        return -1;
    }
    if (t->n == 0) {
        rd->first = at;
    } else if (at < rd->last) {
        char prev[40];
        format_seconds(rd->last, prev, sizeof prev);
        sim_errf(err, errlen,
                  "%s:%lu: time goes back: %s s is before the previous "
                  "request's %s s (a trace must be in time order)",
                  name, lineno, fld[0], prev);
        return -1;
    }
    rd->last = at;
    uint32_t key;
    int got = name_map_index(&rd->keys, fld[1], &key);
    if (got < 0) return -2;
    if (got > 0) {
        sim_errf(err, errlen, "%s:%lu: more than %u distinct keys", name,
                  lineno, (unsigned)(UINT32_MAX - 1));
        return -1;
    }
    if (trace_push(t, &rd->cap, at - rd->first,
                   kind == TK_READ ? WORKLOAD_READ : WORKLOAD_WRITE, key, client) != 0)
        return -2;
    t->reads += kind == TK_READ;
    t->writes += kind != TK_READ;
    t->deletes += kind == TK_DELETE;
    return 0;
}

int workload_trace_read(FILE *f, const char *name, int format,
                        workload_trace *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    trace_reader rd;
    memset(&rd, 0, sizeof rd);
    rd.name = name;
    rd.format = format;
    char *line = NULL;
    size_t linecap = 0;
    int rc = -1;
    ssize_t len;
    errno = 0;
    while ((len = sim_file_getline(&line, &linecap, f, WORKLOAD_TRACE_LINE_MAX)) >= 0 ||
           len == -2) {
        rd.lineno++;
        if (len == -2) {
            sim_errf(err, errlen, "%s:%lu: line longer than %d bytes (not a "
                      "trace)", name, rd.lineno, WORKLOAD_TRACE_LINE_MAX);
            goto out;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        int lrc = trace_line(&rd, line, len, t, err, errlen);
        if (lrc == -2) goto oom;
        if (lrc != 0) goto out;
    }
    if (len == -3 || ferror(f)) {
        sim_errf(err, errlen, "%s: read error after line %lu: %s", name,
                  rd.lineno, strerror(errno ? errno : EIO));
        goto out;
    }
    if (t->n == 0) {
        sim_errf(err, errlen, "%s: the trace holds no requests", name);
        goto out;
    }
    if (format == SCENARIO_TRACE_FORMAT_TWITTER) spread_seconds(t);
    t->keys = (uint32_t)rd.keys.n;
    t->clients = format == SCENARIO_TRACE_FORMAT_TWITTER ? (uint32_t)rd.clients.n : 1;
    rc = 0;
    goto out;
oom:
    sim_errf(err, errlen, "%s:%lu: out of memory reading the trace", name,
              rd.lineno);
out:
    free(line);
    name_map_fini(&rd.keys);
    name_map_fini(&rd.clients);
    if (rc != 0) workload_trace_fini(t);
    return rc;
}

/* The trace's path: [workload] trace relative to sc->basedir unless
 * absolute.  Returns a malloc'd string or NULL on ENOMEM. */
static char *trace_path(const scenario *sc) {
    const char *file = sc->workload.trace;
    const char *dir = sc->basedir && *sc->basedir ? sc->basedir : ".";
    size_t n = strlen(dir) + strlen(file) + 2;
    char *path = malloc(n);
    if (!path) return NULL;
    if (file[0] == '/' || strcmp(dir, ".") == 0)
        snprintf(path, n, "%s", file);
    else
        snprintf(path, n, "%s%s%s", dir,
                 dir[strlen(dir) - 1] == '/' ? "" : "/", file);
    return path;
}

int workload_trace_load(const scenario *sc, workload_trace *t, char *err,
                        size_t errlen) {
    memset(t, 0, sizeof *t);
    char *path = trace_path(sc);
    if (!path) {
        sim_errf(err, errlen, "out of memory");
        return -1;
    }
    int rc = -1;
    char why[128];
    FILE *f = sim_file_open_regular(path, why, sizeof why);
    if (!f) {
        sim_errf(err, errlen, "%s: cannot open the trace ([workload] trace): "
                               "%s", path, why);
        goto out;
    }
    rc = workload_trace_read(f, path, sc->workload.trace_format, t, err,
                             errlen);
    fclose(f);
    if (rc == 0 && t->keys > sc->workload.keys) {
        sim_errf(err, errlen,
                  "%s: the trace has %u distinct keys; set [workload] keys "
                  ">= %u (it is %u)",
                  path, (unsigned)t->keys, (unsigned)t->keys,
                  (unsigned)sc->workload.keys);
        workload_trace_fini(t);
        rc = -1;
    }
out:
    free(path);
    return rc;
}

struct workload_trace_shared {
    size_t refs;
    char *path;      /* the file it was read from (trace_path) */
    int format;      /* TRACE_FORMAT_* */
    workload_trace t;
};

size_t workload_trace_shared_ops(const workload_trace_shared *s,
                                 uint32_t *keys) {
    if (keys) *keys = s ? s->t.keys : 0;
    return s ? s->t.n : 0;
}

void workload_trace_shared_retain(workload_trace_shared *s) {
    if (s) s->refs++;
}

void workload_trace_shared_release(workload_trace_shared *s) {
    if (!s || --s->refs > 0) return;
    workload_trace_fini(&s->t);
    free(s->path);
    free(s);
}

/* s holds sc's trace: same file, same format, and within [workload] keys. */
static int shared_matches(const workload_trace_shared *s, const scenario *sc) {
    if (!s || !sc->workload.trace[0] || s->format != sc->workload.trace_format
        || s->t.keys > sc->workload.keys)
        return 0;
    char *path = trace_path(sc);
    int same = path && strcmp(path, s->path) == 0;
    free(path);
    return same;
}

int workload_trace_attach(scenario *sc, const scenario *peer, char *err,
                          size_t errlen) {
    if (!sc->workload.trace[0]) {
        workload_trace_shared_release(sc->trace_shared);
        sc->trace_shared = NULL;
        return 0;
    }
    if (shared_matches(sc->trace_shared, sc)) return 0;
    workload_trace_shared *s = NULL;
    if (peer && shared_matches(peer->trace_shared, sc)) {
        s = peer->trace_shared;
        s->refs++;
    } else {
        s = calloc(1, sizeof *s);
        if (!s || !(s->path = trace_path(sc))) {
            free(s);
            sim_errf(err, errlen, "out of memory");
            return -1;
        }
        s->refs = 1;
        s->format = sc->workload.trace_format;
        if (workload_trace_load(sc, &s->t, err, errlen) != 0) {
            workload_trace_shared_release(s);
            return -1;
        }
    }
    workload_trace_shared_release(sc->trace_shared);
    sc->trace_shared = s;
    return 0;
}

int workload_trace_check(const scenario *sc, char *err, size_t errlen) {
    if (!sc->workload.trace[0]) return 0;
    workload_trace t;
    int rc = workload_trace_load(sc, &t, err, errlen);
    workload_trace_fini(&t);
    return rc;
}

/* A workload replaying the scenario's trace: the attached copy's ops
 * (borrowed, read-only) when it matches, else a fresh read whose ops it
 * takes over. */
static workload *create_traced(const scenario *sc) {
    if (shared_matches(sc->trace_shared, sc)) {
        workload *w = calloc(1, sizeof *w);
        if (!w) return NULL;
        w->shared = sc->trace_shared;
        w->shared->refs++;
        w->script = w->shared->t.ops;
        w->nscript = w->shared->t.n;
        return w;
    }
    workload_trace t;
    if (workload_trace_load(sc, &t, NULL, 0) != 0) return NULL;
    workload *w = calloc(1, sizeof *w);
    if (!w) {
        workload_trace_fini(&t);
        return NULL;
    }
    w->script = t.ops;
    w->nscript = t.n;
    return w;
}
