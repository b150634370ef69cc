/* Stale-read timelines (see explain.h). */
#include "experiments/explain.h"

#include <stdlib.h>
#include <string.h>

#include "models/oracle.h"

#define EXPLAIN_RING 12 /* steps remembered per key */

typedef explain_step step;

typedef struct key_log {
    step ring[EXPLAIN_RING];
    unsigned n, head; /* steps held; next slot to write */
    uint32_t db;      /* current DB version */
    uint32_t cache;   /* current cached version, when `cached` */
    uint8_t cached;
} key_log;

typedef struct story {
    step steps[EXPLAIN_RING + 1]; /* oldest first; the stale read last */
    unsigned n;
} story;

struct explainer {
    uint32_t nkeys;
    unsigned wanted, found;
    sim_time warmup;
    int only_cause; /* -1: any */
    key_log **logs; /* [nkeys], allocated on first use */
    story *stories; /* [wanted] */
    int failed;
};

explainer *explainer_create(uint32_t nkeys, unsigned wanted, sim_time warmup,
                            int only_cause) {
    explainer *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->nkeys = nkeys;
    e->wanted = wanted;
    e->warmup = warmup;
    e->only_cause = only_cause;
    e->logs = calloc(nkeys, sizeof *e->logs);
    e->stories = calloc(wanted ? wanted : 1, sizeof *e->stories);
    if (!e->logs || !e->stories) {
        explainer_destroy(e);
        return NULL;
    }
    return e;
}

void explainer_destroy(explainer *e) {
    if (!e) return;
    if (e->logs)
        for (uint32_t k = 0; k < e->nkeys; k++) free(e->logs[k]);
    free(e->logs);
    free(e->stories);
    free(e);
}

int explainer_done(const explainer *e) { return e->found >= e->wanted; }
unsigned explainer_count(const explainer *e) { return e->found; }
int explainer_failed(const explainer *e) { return e->failed; }

const explain_step *explainer_story(const explainer *e, unsigned i,
                                    unsigned *n) {
    *n = i < e->found ? e->stories[i].n : 0;
    return i < e->found ? e->stories[i].steps : NULL;
}

static int interesting(const trace_rec *r) {
    switch ((trace_op)r->op) {
    case TRACE_READ:
    case TRACE_HIT:
        return 0;
    case TRACE_READ_DONE:
        return r->verdict != VERDICT_FRESH;
    default:
        return 1;
    }
}

/* Updates the key's reconstructed state with one step. */
static void apply(key_log *l, const trace_rec *r) {
    switch ((trace_op)r->op) {
    case TRACE_COMMIT: l->db = r->version; break;
    case TRACE_HIT: l->cached = 1; l->cache = r->version; break;
    case TRACE_MISS: l->cached = 0; break;
    case TRACE_FILL:
    case TRACE_UPDATE: l->cached = 1; l->cache = r->version; break;
    case TRACE_DEL:
    case TRACE_DEL_LATE: l->cached = 0; break;
    default: break;
    }
}

void explainer_trace(void *ctx, const trace_rec *r) {
    explainer *e = ctx;
    if (r->key >= e->nkeys || explainer_done(e)) return;
    key_log *l = e->logs[r->key];
    if (!l) {
        l = e->logs[r->key] = calloc(1, sizeof *l);
        if (!l) {
            e->failed = 1;
            return;
        }
    }
    apply(l, r);
    if (!interesting(r)) return;
    step *s = &l->ring[l->head];
    s->rec = *r;
    s->db_after = l->db;
    s->cache_after = l->cache;
    s->cached_after = l->cached;
    l->head = (l->head + 1) % EXPLAIN_RING;
    if (l->n < EXPLAIN_RING) l->n++;
    if (r->op == TRACE_READ_DONE && r->verdict == VERDICT_STALE &&
        r->invoked >= e->warmup &&
        (e->only_cause < 0 || r->cause == e->only_cause)) {
        story *st = &e->stories[e->found++];
        st->n = 0;
        for (unsigned i = 0; i < l->n; i++) {
            unsigned at = (l->head + EXPLAIN_RING - l->n + i) % EXPLAIN_RING;
            st->steps[st->n++] = l->ring[at];
        }
    }
}

/* ---- printing ------------------------------------------------------------- */

static void fmt_time(sim_time t, char *buf, size_t len) {
    snprintf(buf, len, "%.6f", (double)t / 1e9);
}

static void fmt_span(sim_time t, char *buf, size_t len) {
    if (t < SIM_MS)
        snprintf(buf, len, "%.0f us", (double)t / 1e3);
    else if (t < SIM_S)
        snprintf(buf, len, "%.1f ms", (double)t / 1e6);
    else if (t < 120 * SIM_S)
        snprintf(buf, len, "%.2f s", (double)t / 1e9);
    else
        snprintf(buf, len, "%.1f min", (double)t / 6e10);
}

static void describe(const trace_rec *r, char *buf, size_t len) {
    char span[32];
    switch ((trace_op)r->op) {
    case TRACE_READ: snprintf(buf, len, "read invoked"); break;
    case TRACE_WRITE: snprintf(buf, len, "write invoked"); break;
    case TRACE_HIT: snprintf(buf, len, "cache GET hit: v%u", r->version); break;
    case TRACE_MISS: snprintf(buf, len, "cache GET miss"); break;
    case TRACE_DB_READ:
        snprintf(buf, len, "DB read returned v%u", r->version);
        break;
    case TRACE_FILL:
        snprintf(buf, len, "fill: SET v%u took effect", r->version);
        break;
    case TRACE_FILL_FAILED:
        snprintf(buf, len, "fill: SET v%u failed, nothing stored", r->version);
        break;
    case TRACE_COMMIT:
        snprintf(buf, len, "commit v%u in the DB", r->version);
        break;
    case TRACE_DEL:
        snprintf(buf, len, "DEL took effect: entry removed");
        break;
    case TRACE_DEL_FAILED:
        snprintf(buf, len, "DEL failed: nothing deleted");
        break;
    case TRACE_DEL_TIMEOUT:
        snprintf(buf, len, "DEL timed out: the writer gave up on it");
        break;
    case TRACE_DEL_LATE:
        snprintf(buf, len, "timed-out DEL landed late: entry removed");
        break;
    case TRACE_UPDATE:
        snprintf(buf, len, "update: SET v%u took effect", r->version);
        break;
    case TRACE_UPDATE_FAILED:
        snprintf(buf, len, "update: SET v%u failed", r->version);
        break;
    case TRACE_CRASH:
        snprintf(buf, len, "writer crashed after its commit: no DEL, no ack");
        break;
    case TRACE_READ_DONE:
        if (r->verdict == VERDICT_STALE) {
            fmt_span(r->age, span, sizeof span);
            snprintf(buf, len, "read answered v%u from the %s: STALE (%s old)",
                     r->version,
                     r->from == TRACE_FROM_CACHE ? "cache" : "DB", span);
        } else {
            snprintf(buf, len, "read answered v%u: overtaken in flight",
                     r->version);
        }
        break;
    case TRACE_WRITE_DONE:
        snprintf(buf, len, "write of v%u acknowledged", r->version);
        break;
    default: snprintf(buf, len, "?"); break;
    }
}

static const char *why(oracle_cause c) {
    switch (c) {
    case CAUSE_INVALIDATION_FAILED:
        return "the write committed, but its invalidation never took effect "
               "(failed, timed out, or the writer died), so the cache kept the "
               "old value until it expired";
    case CAUSE_STALE_FILL:
        return "a reader fetched the old value from the DB before the commit "
               "and stored it in the cache after the invalidation: the stale "
               "write-back race";
    case CAUSE_INVALIDATION_LAG:
        return "the read came between the commit and its invalidation taking "
               "effect";
    case CAUSE_TTL_ONLY:
        return "writes never invalidate this cache: the old value is served "
               "until its TTL runs out";
    case CAUSE_OUT_OF_ORDER_UPDATE:
        return "writers' cache updates landed out of order, leaving an older "
               "version on top";
    case CAUSE_INVALIDATION_MISSING:
        return "the write path does not invalidate the cache";
    default:
        return "see the steps above";
    }
}

static int print_story(const story *st, unsigned index, unsigned total,
                       FILE *out) {
    const trace_rec *read = &st->steps[st->n - 1].rec;
    char t[32], age[32], line[160];
    fmt_time(read->invoked, t, sizeof t);
    fmt_span(read->age, age, sizeof age);
    fprintf(out,
            "## Stale read %u of %u: key %u, client %u, invoked at %s s\n\n",
            index, total, read->key, read->client, t);
    fprintf(out,
            "It returned v%u, %u version%s behind; v%u had committed %s "
            "before the read began.%s\n",
            read->version, read->lag, read->lag == 1 ? "" : "s",
            read->version + 1, age,
            read->ryw ? " The client had written a newer version itself "
                        "(read-your-writes violated)."
                      : "");
    fprintf(out, "Cause: **%s**: %s.\n\n",
            oracle_cause_name((oracle_cause)read->cause),
            why((oracle_cause)read->cause));
    fprintf(out, "| time (s) | actor | event | DB | cache | |\n");
    fprintf(out, "|---:|---|---|---|---|---|\n");
    for (unsigned i = 0; i < st->n; i++) {
        const step *s = &st->steps[i];
        const trace_rec *r = &s->rec;
        char actor[64], cache[24], mark[64] = "";
        fmt_time(r->t, t, sizeof t);
        if (r->request)
            snprintf(actor, sizeof actor, "client %u (%s #%llu)", r->client,
                     r->is_write ? "write" : "read",
                     (unsigned long long)r->request);
        else
            snprintf(actor, sizeof actor, "cache server");
        describe(r, line, sizeof line);
        if (s->cached_after)
            snprintf(cache, sizeof cache, "v%u", s->cache_after);
        else
            snprintf(cache, sizeof cache, "(none)");
        if (r->op == TRACE_COMMIT && r->version == read->version + 1)
            snprintf(mark, sizeof mark, "the commit the read missed");
        else if (i == st->n - 1)
            snprintf(mark, sizeof mark, "the stale read");
        else if (r->op == TRACE_FILL && r->version == read->version &&
                 s->db_after > r->version)
            snprintf(mark, sizeof mark, "stored the superseded v%u",
                     read->version);
        else if ((r->op == TRACE_DEL_FAILED || r->op == TRACE_DEL_TIMEOUT ||
                  r->op == TRACE_CRASH || r->op == TRACE_UPDATE_FAILED) &&
                 r->version == read->version + 1)
            snprintf(mark, sizeof mark, "the invalidation that failed");
        fprintf(out, "| %s | %s | %s | v%u | %s | %s |\n", t, actor, line,
                s->db_after, cache, mark);
    }
    fputc('\n', out);
    return ferror(out) ? -1 : 0;
}

int explainer_print(const explainer *e, FILE *out) {
    for (unsigned i = 0; i < e->found; i++)
        if (print_story(&e->stories[i], i + 1, e->found, out) != 0) return -1;
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
