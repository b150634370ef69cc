/* The story of one stale read for the timeline plot (story.h): the run
 * with the explainer attached, the pick, and the layout.  The tracing and
 * the state reconstruction are the explainer's; plots/timeline.c draws. */
#include "experiments/story.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/explain.h"
#include "models/oracle.h"
#include "models/world.h"
#include "plots/format.h"
#include "sim/errf.h"

/* The lanes between the cache and the clients: the copy that answered the
 * stale read when it is neither the cache nor the DB (an instance's local
 * cache, a replica, the DB behind a write-behind cache), then the bus when
 * a step used it. */
typedef struct lanes {
    int copy;    /* lane of the answering copy, or -1 */
    int bus;     /* lane of the invalidation bus, or -1 */
    int client0; /* the first client lane */
} lanes;

static int is_bus(trace_op op) {
    return op == TRACE_BUS_PUBLISH || op == TRACE_BUS_DELIVER ||
           op == TRACE_BUS_LOST || op == TRACE_BUS_MISSED;
}

static lanes lay_lanes(const explain_step *st, unsigned n) {
    const trace_rec *read = &st[n - 1].rec;
    lanes l = {-1, -1, PLOT_LANE_CLIENT0};
    if (explain_tracks_copy(read)) l.copy = l.client0++;
    for (unsigned i = 0; i < n; i++)
        if (is_bus((trace_op)st[i].rec.op)) {
            l.bus = l.client0++;
            break;
        }
    return l;
}

/* The server lane of a step, or -1 for the client's own step. */
static int server_lane(const trace_rec *r, const trace_rec *read,
                       const lanes *l) {
    int own = l->copy >= 0 && explain_same_copy(r, read);
    switch ((trace_op)r->op) {
    case TRACE_HIT:
    case TRACE_MISS:
    case TRACE_FILL:
    case TRACE_FILL_FAILED:
    case TRACE_DEL:
    case TRACE_DEL_FAILED:
    case TRACE_DEL_LATE:
    case TRACE_UPDATE:
    case TRACE_UPDATE_FAILED:
    case TRACE_CACHE_EMPTIED:
    case TRACE_EVICTED:
    case TRACE_SET_REFUSED:
        return PLOT_LANE_CACHE;
    case TRACE_DB_READ:
    case TRACE_REPLICA_APPLY:
    case TRACE_FLUSH_APPLY:
        return own ? l->copy : PLOT_LANE_DB;
    case TRACE_COMMIT:
        return PLOT_LANE_DB;
    case TRACE_LOCAL_HIT:
    case TRACE_LOCAL_MISS:
    case TRACE_LOCAL_FILL:
    case TRACE_LOCAL_DROP:
    case TRACE_LOCAL_RESTART:
        return own ? l->copy : PLOT_LANE_CACHE;
    case TRACE_BUS_PUBLISH:
    case TRACE_BUS_DELIVER:
    case TRACE_BUS_LOST:
    case TRACE_BUS_MISSED:
        return l->bus >= 0 ? l->bus : PLOT_LANE_CACHE;
    default:
        return -1; /* the client's own step */
    }
}

static void short_text(const trace_rec *r, char *buf, size_t len) {
    switch ((trace_op)r->op) {
    case TRACE_READ: snprintf(buf, len, "read"); break;
    case TRACE_WRITE: snprintf(buf, len, "write"); break;
    case TRACE_HIT: snprintf(buf, len, "GET hit v%u", r->version); break;
    case TRACE_MISS: snprintf(buf, len, "GET miss"); break;
    case TRACE_DB_READ: snprintf(buf, len, "DB read v%u", r->version); break;
    case TRACE_FILL:
        snprintf(buf, len, "%s SET v%u", r->background ? "refresh" : "fill",
                 r->version);
        break;
    case TRACE_FILL_FAILED: snprintf(buf, len, "fill failed"); break;
    case TRACE_COMMIT: snprintf(buf, len, "commit v%u", r->version); break;
    case TRACE_DEL: snprintf(buf, len, "DEL"); break;
    case TRACE_DEL_FAILED: snprintf(buf, len, "DEL failed"); break;
    case TRACE_DEL_TIMEOUT: snprintf(buf, len, "DEL timed out"); break;
    case TRACE_DEL_LATE: snprintf(buf, len, "late DEL"); break;
    case TRACE_UPDATE: snprintf(buf, len, "SET v%u", r->version); break;
    case TRACE_UPDATE_FAILED: snprintf(buf, len, "SET v%u failed", r->version);
        break;
    case TRACE_CRASH: snprintf(buf, len, "writer crashed"); break;
    case TRACE_READ_DONE:
        if (r->verdict == ORACLE_VERDICT_STALE)
            snprintf(buf, len, "STALE v%u", r->version);
        else
            snprintf(buf, len, "got v%u (overtaken)", r->version);
        break;
    case TRACE_WRITE_DONE: snprintf(buf, len, "ack v%u", r->version); break;
    case TRACE_LOCAL_HIT: snprintf(buf, len, "local hit v%u", r->version);
        break;
    case TRACE_LOCAL_MISS: snprintf(buf, len, "local miss"); break;
    case TRACE_LOCAL_FILL: snprintf(buf, len, "stored v%u", r->version); break;
    case TRACE_LOCAL_DROP: snprintf(buf, len, "dropped"); break;
    case TRACE_LOCAL_RESTART: snprintf(buf, len, "restarted"); break;
    case TRACE_BUS_PUBLISH: snprintf(buf, len, "publish v%u", r->version);
        break;
    case TRACE_BUS_DELIVER: snprintf(buf, len, "delivered to %u",
                                     r->from_rank);
        break;
    case TRACE_BUS_LOST: snprintf(buf, len, "LOST to %u", r->from_rank);
        break;
    case TRACE_BUS_MISSED: snprintf(buf, len, "%u offline: dropped",
                                    r->from_rank);
        break;
    case TRACE_REPLICA_APPLY: snprintf(buf, len, "applied v%u", r->version);
        break;
    case TRACE_FLUSH_APPLY: snprintf(buf, len, "flushed v%u", r->version);
        break;
    case TRACE_CACHE_EMPTIED: snprintf(buf, len, "cache emptied"); break;
    case TRACE_EVICTED: snprintf(buf, len, "evicted v%u", r->version); break;
    case TRACE_SET_REFUSED: snprintf(buf, len, "SET v%u refused (OOM)",
                                     r->version);
        break;
    case TRACE_READ_FAILED: snprintf(buf, len, "read failed"); break;
    default: snprintf(buf, len, "?"); break;
    }
}

/* The step of the commit the read missed, or -1. */
static int missed_commit(const explain_step *st, unsigned n) {
    const trace_rec *read = &st[n - 1].rec;
    for (unsigned i = 0; i + 1 < n; i++)
        if (st[i].rec.op == TRACE_COMMIT &&
            st[i].rec.version == read->version + 1)
            return (int)i;
    return -1;
}

/* Where the stale window opens: the first step from which the answering
 * copy stayed older than the DB up to the read (a cache copy), else the
 * missed commit, else the first step. */
static unsigned window_start(const explain_step *st, unsigned n) {
    const trace_rec *read = &st[n - 1].rec;
    int commit = missed_commit(st, n);
    if (explain_tracks_copy(read) && n >= 2) {
        unsigned j = n - 1;
        while (j > 0) {
            const explain_step *p = &st[j - 1];
            if (!(p->copy_held && p->copy_after < p->db_after)) break;
            j--;
        }
        if (j < n - 1) return j;
    } else if (read->from == TRACE_FROM_CACHE && n >= 2) {
        unsigned j = n - 1;
        while (j > 0) {
            const explain_step *p = &st[j - 1];
            if (!(p->cached_after && p->cache_after < p->db_after)) break;
            j--;
        }
        if (j < n - 1) return j;
    }
    return commit >= 0 ? (unsigned)commit : 0;
}

/* Time of step i relative to the origin, in human units with a sign. */
static void rel_time(char *buf, size_t len, sim_time t, sim_time origin) {
    char d[32];
    if (t == origin) {
        snprintf(buf, len, "0");
        return;
    }
    plot_fmt_duration(d, sizeof d, fabs((double)(t - origin)) / 1e9);
    snprintf(buf, len, "%s%s", t < origin ? "-" : "+", d);
}

/* The sentence under the plot. */
static void describe(const explain_step *st, unsigned n, unsigned index,
                     uint32_t rep, char *buf, size_t len) {
    const trace_rec *r = &st[n - 1].rec;
    char age[32];
    plot_fmt_duration(age, sizeof age, (double)r->age / 1e9);
    char which[32] = "A stale read", copy[64];
    trace_copy_text(r, copy, sizeof copy);
    if (index) snprintf(which, sizeof which, "Stale read %u", index);
    snprintf(buf, len, "%s of replication %u (key %u, client %u) "
             "returned v%u from %s %s after v%u committed; cause %s: %s.",
             which, rep, r->key, r->client, r->version, copy, age,
             r->version + 1, oracle_cause_name((oracle_cause)r->cause),
             oracle_cause_gist((oracle_cause)r->cause));
}

/* Lays the story steps st[0..n-1] (the stale read last) out: client lanes
 * in order of first appearance, the reader and the writer of the missed
 * commit always on their own, the rest sharing one "other clients" lane past
 * PLOT_STORY_CLIENTS; times relative to the missed commit (else the first
 * step); the window from where the answering copy went stale. */
static void lay_out(plot_story *s, const explain_step *st, unsigned nsteps,
                    unsigned index, uint32_t rep, const char *context) {
    const trace_rec *read = &st[nsteps - 1].rec;
    uint32_t client[PLOT_STORY_CLIENTS];
    int writes[PLOT_STORY_CLIENTS] = {0}, nclient = 0, others = 0;
    int lane[PLOT_STORY_STEPS];
    int commit = missed_commit(st, nsteps);
    lanes ln = lay_lanes(st, nsteps);
    const int client0 = ln.client0;
    client[nclient++] = read->client;
    if (commit >= 0 && st[commit].rec.request &&
        st[commit].rec.client != read->client)
        client[nclient++] = st[commit].rec.client;
    for (unsigned i = 0; i < nsteps && i < PLOT_STORY_STEPS; i++) {
        const trace_rec *r = &st[i].rec;
        if (!r->request) continue;
        int c = 0;
        while (c < nclient && client[c] != r->client) c++;
        if (c == nclient && nclient < PLOT_STORY_CLIENTS)
            client[nclient++] = r->client;
    }
    unsigned n = nsteps < PLOT_STORY_STEPS ? nsteps : PLOT_STORY_STEPS;
    sim_time origin = commit >= 0 ? st[commit].rec.t : st[0].rec.t;
    for (unsigned i = 0; i < n; i++) {
        const trace_rec *r = &st[i].rec;
        plot_story_step *out = &s->step[i];
        out->link = -1;
        lane[i] = server_lane(r, read, &ln);
        if (!r->request) {
            if (lane[i] < 0) lane[i] = PLOT_LANE_CACHE;
        } else {
            int c = 0;
            while (c < nclient && client[c] != r->client) c++;
            if (c < nclient && r->is_write) writes[c] = 1;
            if (c == nclient) others = 1;
            if (lane[i] < 0)
                lane[i] = client0 + c; /* c == nclient: others */
            else
                out->link = client0 + c;
        }
        out->lane = lane[i];
        out->kind = i == n - 1           ? PLOT_STEP_READ
                    : (int)i == commit   ? PLOT_STEP_COMMIT
                    : lane[i] >= client0 ? PLOT_STEP_CLIENT
                                                   : PLOT_STEP_SERVER;
        short_text(r, out->text, sizeof out->text);
        rel_time(out->time, sizeof out->time, r->t, origin);
    }
    s->n = n;
    for (int c = 0; c < nclient; c++)
        snprintf(s->client[c], sizeof s->client[c], "client %u%s", client[c],
                 client[c] == read->client && !writes[c] ? " (reader)"
                 : writes[c] && client[c] != read->client ? " (writer)"
                                                           : "");
    s->nclients = nclient;
    s->others = others;
    s->client0 = client0;
    s->nservers = 0;
    if (ln.copy >= 0) {
        char cn[64];
        trace_copy_text(read, cn, sizeof cn);
        snprintf(s->server[s->nservers++], sizeof s->server[0], "%s",
                 strncmp(cn, "the ", 4) == 0 ? cn + 4 : cn);
    }
    if (ln.bus >= 0)
        snprintf(s->server[s->nservers++], sizeof s->server[0], "bus");
    unsigned w0 = window_start(st, nsteps);
    s->window_from = w0;
    char d[32];
    plot_fmt_duration(d, sizeof d, (double)(read->t - st[w0].rec.t) / 1e9);
    snprintf(s->window, sizeof s->window, "stale window (open %s%s at the read)",
             commit < 0 && w0 == 0 ? "at least " : "", d);
    if (index)
        snprintf(s->title, sizeof s->title, "Stale read %u, key %u: %s", index,
                 read->key, oracle_cause_name((oracle_cause)read->cause));
    else
        snprintf(s->title, sizeof s->title, "A stale read of key %u: %s",
                 read->key, oracle_cause_name((oracle_cause)read->cause));
    snprintf(s->context, sizeof s->context, "%s", context);
    snprintf(s->xlabel, sizeof s->xlabel,
             "time relative to %s (steps evenly spaced)",
             commit >= 0 ? "the commit the read missed" : "the first step");
    describe(st, nsteps, index, rep, s->sentence, sizeof s->sentence);
}

typedef struct capture_ctx {
    explainer *e;
    world *w;
    uint16_t *seen; /* per key: causes of the stale reads passed on since the
                       key's state last changed; NULL: pass everything */
    uint32_t nkeys;
} capture_ctx;

/* Feeds the explainer.  With `seen`, a stale read of a key is passed on only
 * if it is the first of its cause since the key last changed: the reads that
 * follow in the same window would fill the explainer's window and push out
 * the commit and the invalidation that explain them.  The explainer's state
 * reconstruction does not use read answers, so it is unaffected. */
static void on_trace(void *ctx, const trace_rec *rec) {
    capture_ctx *c = ctx;
    if (c->seen && rec->key < c->nkeys) {
        switch ((trace_op)rec->op) {
        case TRACE_COMMIT:
        case TRACE_DEL:
        case TRACE_DEL_LATE:
        case TRACE_FILL:
        case TRACE_UPDATE:
        case TRACE_LOCAL_FILL:
        case TRACE_LOCAL_DROP:
        case TRACE_LOCAL_RESTART:
        case TRACE_BUS_DELIVER:
        case TRACE_REPLICA_APPLY:
        case TRACE_FLUSH_APPLY:
        case TRACE_CACHE_EMPTIED:
        case TRACE_EVICTED:
            c->seen[rec->key] = 0;
            break;
        case TRACE_READ_DONE:
            if (rec->verdict == ORACLE_VERDICT_STALE && rec->cause < 16) {
                uint16_t bit = (uint16_t)(1u << rec->cause);
                if (c->seen[rec->key] & bit) return;
                c->seen[rec->key] |= bit;
            }
            break;
        default: break;
        }
    }
    explainer_trace(c->e, rec);
    if (explainer_done(c->e)) world_stop(c->w);
}

int story_capture(plot_story *s, const scenario *sc, unsigned nth, int cause,
                  uint32_t rep, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    int rc = STORY_ERUNTIME;
    unsigned wanted = nth ? nth : STORY_SCAN;
    explainer *e =
        explainer_create(sc->workload.keys, wanted, sc->run.warmup, cause);
    world_result *res = malloc(sizeof *res);
    uint16_t *seen = nth ? NULL : calloc(sc->workload.keys + 1, sizeof *seen);
    world *w = e && res && (nth || seen) ? world_create(sc, rep) : NULL;
    if (!w) {
        sim_errf(err, errlen, "out of memory");
        goto out;
    }
    capture_ctx ctx = {e, w, seen, sc->workload.keys};
    world_set_tracer(w, on_trace, &ctx);
    if (world_run(w, res) != 0 || explainer_failed(e)) {
        sim_errf(err, errlen, "out of memory");
        goto out;
    }
    if (explainer_count(e) < (nth ? nth : 1)) {
        char d[32];
        sim_errf(err, errlen, "replication %u of %s has %u stale read%s%s%s in "
             "%s simulated%s", rep, sc->path,
             explainer_count(e), explainer_count(e) == 1 ? "" : "s",
             cause >= 0 ? " of cause " : "",
             cause >= 0 ? oracle_cause_name((oracle_cause)cause) : "",
             plot_fmt_duration(d, sizeof d, sim_time_to_s(sc->run.duration)),
             nth > 1 ? "; --stale asks for more" : "");
        rc = STORY_EINPUT;
        goto out;
    }
    /* nth == 0: the first story that holds the commit the read missed (a
     * hot key's earlier stale reads can push it out of the explainer's
     * window), else the first. */
    unsigned pick = nth ? nth - 1 : 0, n;
    for (unsigned i = 0; !nth && i < explainer_count(e); i++) {
        const explain_step *cand = explainer_story(e, i, &n);
        int has_commit = 0;
        for (unsigned j = 0; cand && j + 1 < n; j++)
            if (cand[j].rec.op == TRACE_COMMIT &&
                cand[j].rec.version == cand[n - 1].rec.version + 1)
                has_commit = 1;
        if (has_commit) {
            pick = i;
            break;
        }
    }
    const explain_step *st = explainer_story(e, pick, &n);
    if (!st || n == 0) {
        sim_errf(err, errlen, "out of memory");
        goto out;
    }
    const char *base = strrchr(sc->path, '/');
    char context[512];
    snprintf(context, sizeof context, "%s, %s, TTL %s, replication %u",
             base ? base + 1 : sc->path, sc->cache.pattern,
             scenario_text(sc, "cache", "ttl"), rep);
    lay_out(s, st, n, nth ? nth : 0, rep, context);
    rc = STORY_OK;
out:
    world_destroy(w);
    free(res);
    free(seen);
    explainer_destroy(e);
    return rc;
}

