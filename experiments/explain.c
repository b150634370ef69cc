/* Stale-read timelines (see explain.h). */
#include "experiments/explain.h"

#include <stdlib.h>
#include <string.h>

#include "models/oracle.h"

#define EXPLAIN_RING 20 /* steps remembered per key */

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
    case TRACE_LOCAL_HIT:
    case TRACE_LOCAL_MISS:
        return 0;
    case TRACE_READ_DONE:
        return r->verdict != ORACLE_VERDICT_FRESH;
    default:
        return 1;
    }
}

/* Updates the key's reconstructed state with one step. */
static void apply(key_log *l, const trace_rec *r) {
    switch ((trace_op)r->op) {
    case TRACE_COMMIT:
        l->db = r->version;
        if (r->from_kind == ORACLE_COPY_SHARED) { /* a write-behind cache's commit */
            l->cached = 1;
            l->cache = r->version;
        }
        break;
    case TRACE_HIT: l->cached = 1; l->cache = r->version; break;
    case TRACE_MISS: l->cached = 0; break;
    case TRACE_FILL:
    case TRACE_UPDATE: l->cached = 1; l->cache = r->version; break;
    case TRACE_DEL:
    case TRACE_DEL_LATE:
    case TRACE_CACHE_EMPTIED:
    case TRACE_EVICTED: l->cached = 0; break;
    default: break;
    }
}

static int is_local(uint8_t kind) {
    return kind == ORACLE_COPY_LOCAL || kind == ORACLE_COPY_LOCAL_BUS;
}

int explain_tracks_copy(const trace_rec *read) {
    return read->from_kind != ORACLE_COPY_SOURCE && read->from_kind != ORACLE_COPY_SHARED;
}

int explain_same_copy(const trace_rec *r, const trace_rec *served) {
    if (is_local(r->from_kind))
        return is_local(served->from_kind) &&
               r->from_rank == served->from_rank;
    return r->from_kind == served->from_kind &&
           r->from_rank == served->from_rank;
}

/* 1 if step r concerns a local instance or replica other than the one that
 * answered `read` (its story would only crowd the table). */
static int about_other_copy(const trace_rec *r, const trace_rec *read) {
    switch ((trace_op)r->op) {
    case TRACE_LOCAL_FILL:
    case TRACE_LOCAL_DROP:
    case TRACE_LOCAL_RESTART:
    case TRACE_BUS_DELIVER:
    case TRACE_BUS_LOST:
    case TRACE_BUS_MISSED:
    case TRACE_REPLICA_APPLY:
        return !explain_same_copy(r, read);
    default:
        return 0;
    }
}

/* Fills the copy_* fields of a captured story: what the copy that answered
 * its stale read held after each step, as far as the steps tell. */
static void track_copy(story *st) {
    const trace_rec *read = &st->steps[st->n - 1].rec;
    uint8_t known = 0, held = 0;
    uint32_t v = 0;
    for (unsigned i = 0; i < st->n; i++) {
        step *s = &st->steps[i];
        const trace_rec *r = &s->rec;
        if (explain_tracks_copy(read) && explain_same_copy(r, read)) {
            switch ((trace_op)r->op) {
            case TRACE_LOCAL_FILL:
            case TRACE_REPLICA_APPLY:
            case TRACE_FLUSH_APPLY:
            case TRACE_DB_READ:
            case TRACE_READ_DONE:
                known = held = 1;
                v = r->version;
                break;
            case TRACE_LOCAL_DROP:
            case TRACE_LOCAL_RESTART:
            case TRACE_BUS_DELIVER:
                known = 1;
                held = 0;
                break;
            default: break;
            }
        }
        s->copy_known = known;
        s->copy_held = held;
        s->copy_after = v;
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
    if (r->op == TRACE_READ_DONE && r->verdict == ORACLE_VERDICT_STALE &&
        r->invoked >= e->warmup &&
        (e->only_cause < 0 || r->cause == e->only_cause)) {
        story *st = &e->stories[e->found++];
        st->n = 0;
        for (unsigned i = 0; i < l->n; i++) {
            unsigned at = (l->head + EXPLAIN_RING - l->n + i) % EXPLAIN_RING;
            if (about_other_copy(&l->ring[at].rec, r)) continue;
            st->steps[st->n++] = l->ring[at];
        }
        track_copy(st);
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
    char span[32], copy[64];
    trace_copy_text(r, copy, sizeof copy);
    switch ((trace_op)r->op) {
    case TRACE_READ: snprintf(buf, len, "read invoked"); break;
    case TRACE_WRITE: snprintf(buf, len, "write invoked"); break;
    case TRACE_HIT: snprintf(buf, len, "cache GET hit: v%u", r->version); break;
    case TRACE_MISS: snprintf(buf, len, "cache GET miss"); break;
    case TRACE_DB_READ:
        if (r->from_kind == ORACLE_COPY_SOURCE)
            snprintf(buf, len, "DB read returned v%u", r->version);
        else
            snprintf(buf, len, "DB read from %s returned v%u", copy,
                     r->version);
        break;
    case TRACE_FILL:
        snprintf(buf, len, "%s: SET v%u took effect",
                 r->background ? "refresh" : "fill", r->version);
        break;
    case TRACE_FILL_FAILED:
        snprintf(buf, len, "%s: SET v%u failed, nothing stored",
                 r->background ? "refresh" : "fill", r->version);
        break;
    case TRACE_COMMIT:
        if (r->from_kind == ORACLE_COPY_SHARED)
            snprintf(buf, len, "commit v%u: the write-behind cache accepted it",
                     r->version);
        else
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
        if (r->verdict == ORACLE_VERDICT_STALE) {
            fmt_span(r->age, span, sizeof span);
            snprintf(buf, len, "read answered v%u from %s: STALE (%s old)",
                     r->version, copy, span);
        } else {
            snprintf(buf, len, "read answered v%u from %s: overtaken in "
                     "flight", r->version, copy);
        }
        break;
    case TRACE_LOCAL_HIT:
        snprintf(buf, len, "%s held v%u", copy, r->version);
        break;
    case TRACE_LOCAL_MISS: snprintf(buf, len, "%s held nothing", copy); break;
    case TRACE_LOCAL_FILL:
        snprintf(buf, len, "%s stored v%u", copy, r->version);
        break;
    case TRACE_LOCAL_DROP:
        snprintf(buf, len, "the writer's instance %u dropped its copy",
                 r->from_rank);
        break;
    case TRACE_LOCAL_RESTART:
        snprintf(buf, len, "deploy restarted instance %u: its copy is gone",
                 r->from_rank);
        break;
    case TRACE_BUS_PUBLISH:
        snprintf(buf, len, "bus: instance %u published the invalidation of v%u",
                 r->from_rank, r->version);
        break;
    case TRACE_BUS_DELIVER:
        snprintf(buf, len, "bus: message for v%u reached instance %u: copy "
                 "dropped", r->version, r->from_rank);
        break;
    case TRACE_BUS_LOST:
        snprintf(buf, len, "bus: message for v%u to instance %u LOST",
                 r->version, r->from_rank);
        break;
    case TRACE_BUS_MISSED:
        snprintf(buf, len, "bus: instance %u was disconnected: message for "
                 "v%u dropped", r->from_rank, r->version);
        break;
    case TRACE_REPLICA_APPLY:
        snprintf(buf, len, "replica %u applied v%u", r->from_rank, r->version);
        break;
    case TRACE_FLUSH_APPLY:
        snprintf(buf, len, "write-behind flush: the DB applied v%u",
                 r->version);
        break;
    case TRACE_CACHE_EMPTIED:
        snprintf(buf, len, "the cache crashed or went down: entry gone");
        break;
    case TRACE_EVICTED:
        snprintf(buf, len, "the full cache evicted v%u to make room: entry "
                 "gone", r->version);
        break;
    case TRACE_SET_REFUSED:
        snprintf(buf, len, "the full cache refused the SET of v%u (OOM "
                 "error): it keeps what it held", r->version);
        break;
    case TRACE_READ_FAILED:
        snprintf(buf, len, "read failed: an error, no value");
        break;
    case TRACE_WRITE_DONE:
        snprintf(buf, len, "write of v%u acknowledged", r->version);
        break;
    default: snprintf(buf, len, "?"); break;
    }
}

/* Who performed step r, for the actor column. */
static void actor_of(const trace_rec *r, char *buf, size_t len) {
    if (r->request && r->background) {
        snprintf(buf, len, "background refresh (#%llu)",
                 (unsigned long long)r->request);
        return;
    }
    if (r->request) {
        snprintf(buf, len, "client %u (%s #%llu)", r->client,
                 r->is_write ? "write" : "read",
                 (unsigned long long)r->request);
        return;
    }
    switch ((trace_op)r->op) {
    case TRACE_BUS_DELIVER:
    case TRACE_BUS_LOST:
    case TRACE_BUS_MISSED: snprintf(buf, len, "bus"); break;
    case TRACE_LOCAL_RESTART: snprintf(buf, len, "deploy"); break;
    case TRACE_REPLICA_APPLY:
        snprintf(buf, len, "replica %u", r->from_rank);
        break;
    case TRACE_FLUSH_APPLY: snprintf(buf, len, "write-behind flusher"); break;
    default: snprintf(buf, len, "cache server"); break;
    }
}

/* The mark column of step s of a story whose stale read is `read`. */
static void mark_of(const step *s, int last, const trace_rec *read,
                    char *buf, size_t len) {
    const trace_rec *r = &s->rec;
    int next = r->version == read->version + 1;
    buf[0] = 0;
    if (r->op == TRACE_COMMIT && next)
        snprintf(buf, len, "the commit the read missed");
    else if (last)
        snprintf(buf, len, "the stale read");
    else if (r->op == TRACE_FILL && r->version == read->version &&
             s->db_after > r->version)
        snprintf(buf, len, "stored the superseded v%u", read->version);
    else if ((r->op == TRACE_DEL_FAILED || r->op == TRACE_DEL_TIMEOUT ||
              r->op == TRACE_CRASH || r->op == TRACE_UPDATE_FAILED) && next)
        snprintf(buf, len, "the invalidation that failed");
    else if ((r->op == TRACE_BUS_LOST || r->op == TRACE_BUS_MISSED) && next &&
             explain_same_copy(r, read))
        snprintf(buf, len, "the invalidation that never arrived");
    else if (r->op == TRACE_LOCAL_FILL && r->version == read->version &&
             explain_same_copy(r, read))
        snprintf(buf, len, "the copy the read was served from");
}

static int print_story(const story *st, unsigned index, unsigned total,
                       FILE *out) {
    const trace_rec *read = &st->steps[st->n - 1].rec;
    char t[32], age[32], line[160], served[64], served_name[32];
    int tracked = explain_tracks_copy(read);
    fmt_time(read->invoked, t, sizeof t);
    fmt_span(read->age, age, sizeof age);
    trace_copy_text(read, served, sizeof served);
    trace_copy_name(read, served_name, sizeof served_name);
    fprintf(out,
            "## Stale read %u of %u: key %u, client %u, invoked at %s s\n\n",
            index, total, read->key, read->client, t);
    fprintf(out,
            "It returned v%u from %s (`%s`), %u version%s behind; v%u had "
            "committed %s before the read began.%s\n",
            read->version, served, served_name, read->lag,
            read->lag == 1 ? "" : "s", read->version + 1, age,
            read->ryw ? " The client had written a newer version itself "
                        "(read-your-writes violated)."
                      : "");
    fprintf(out, "Cause: **%s**: %s.\n\n",
            oracle_cause_name((oracle_cause)read->cause),
            oracle_cause_story((oracle_cause)read->cause));
    if (tracked) {
        /* Behind a write-behind cache the truth is not the DB's content. */
        fprintf(out, "| time (s) | actor | event | %s | cache | %s | |\n",
                read->from_kind == ORACLE_COPY_DB_BEHIND ? "truth" : "DB",
                served_name);
        fprintf(out, "|---:|---|---|---|---|---|---|\n");
    } else {
        fprintf(out, "| time (s) | actor | event | DB | cache | |\n");
        fprintf(out, "|---:|---|---|---|---|---|\n");
    }
    for (unsigned i = 0; i < st->n; i++) {
        const step *s = &st->steps[i];
        const trace_rec *r = &s->rec;
        char actor[64], cache[24], copy[24] = "", mark[64];
        fmt_time(r->t, t, sizeof t);
        actor_of(r, actor, sizeof actor);
        describe(r, line, sizeof line);
        if (s->cached_after)
            snprintf(cache, sizeof cache, "v%u", s->cache_after);
        else
            snprintf(cache, sizeof cache, "(none)");
        if (tracked && !s->copy_known)
            snprintf(copy, sizeof copy, "?");
        else if (tracked && s->copy_held)
            snprintf(copy, sizeof copy, "v%u", s->copy_after);
        else if (tracked)
            snprintf(copy, sizeof copy, "(none)");
        mark_of(s, i == st->n - 1, read, mark, sizeof mark);
        if (tracked)
            fprintf(out, "| %s | %s | %s | v%u | %s | %s | %s |\n", t, actor,
                    line, s->db_after, cache, copy, mark);
        else
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
