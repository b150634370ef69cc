/* The timeline of one explained stale read (see timeline.h).  The tracing
 * and the state reconstruction are the explainer's; this file only lays the
 * captured steps out on lanes. */
#include "plots/timeline.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/oracle.h"
#include "models/world.h"
#include "plots/data.h"
#include "plots/format.h"
#include "plots/kinds.h"
#include "sim/errf.h"

#define MAX_CLIENT_LANES 5 /* further clients share an "other clients" lane */

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
            c->seen[rec->key] = 0;
            break;
        case TRACE_READ_DONE:
            if (rec->verdict == VERDICT_STALE && rec->cause < 16) {
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

void plot_story_fini(plot_story *s) {
    if (!s) return;
    free(s->step);
    memset(s, 0, sizeof *s);
}

int plot_story_capture(plot_story *s, const scenario *sc, unsigned nth,
                       int cause, uint32_t rep, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    int rc = PLOT_ERUNTIME;
    unsigned wanted = nth ? nth : PLOT_STORY_SCAN;
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
        rc = PLOT_EINPUT;
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
    s->step = malloc((n ? n : 1) * sizeof *s->step);
    if (!s->step || !st || n == 0) {
        sim_errf(err, errlen, "out of memory");
        goto out;
    }
    memcpy(s->step, st, n * sizeof *s->step);
    s->n = n;
    s->index = nth ? nth : 0;
    s->rep = rep;
    const char *base = strrchr(sc->path, '/');
    snprintf(s->context, sizeof s->context, "%s, %s, TTL %s, replication %u",
             base ? base + 1 : sc->path, sc->cache.pattern,
             scenario_text(sc, "cache", "ttl"), rep);
    rc = PLOT_OK;
out:
    world_destroy(w);
    free(res);
    free(seen);
    explainer_destroy(e);
    return rc;
}

/* ---- layout ----------------------------------------------------------------------- */

enum { LANE_DB = 0, LANE_CACHE = 1, LANE_CLIENT0 = 2 };

static int server_lane(trace_op op) {
    switch (op) {
    case TRACE_HIT:
    case TRACE_MISS:
    case TRACE_FILL:
    case TRACE_FILL_FAILED:
    case TRACE_DEL:
    case TRACE_DEL_FAILED:
    case TRACE_DEL_LATE:
    case TRACE_UPDATE:
    case TRACE_UPDATE_FAILED:
        return LANE_CACHE;
    case TRACE_DB_READ:
    case TRACE_COMMIT:
        return LANE_DB;
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
    case TRACE_FILL: snprintf(buf, len, "fill SET v%u", r->version); break;
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
        if (r->verdict == VERDICT_STALE)
            snprintf(buf, len, "STALE v%u", r->version);
        else
            snprintf(buf, len, "got v%u (overtaken)", r->version);
        break;
    case TRACE_WRITE_DONE: snprintf(buf, len, "ack v%u", r->version); break;
    default: snprintf(buf, len, "?"); break;
    }
}

/* The step of the commit the read missed, or -1. */
static int missed_commit(const plot_story *s) {
    const trace_rec *read = &s->step[s->n - 1].rec;
    for (unsigned i = 0; i + 1 < s->n; i++)
        if (s->step[i].rec.op == TRACE_COMMIT &&
            s->step[i].rec.version == read->version + 1)
            return (int)i;
    return -1;
}

/* Where the stale window opens: the first step from which the answering
 * copy stayed older than the DB up to the read (a cache copy), else the
 * missed commit, else the first step. */
static unsigned window_start(const plot_story *s) {
    const trace_rec *read = &s->step[s->n - 1].rec;
    int commit = missed_commit(s);
    if (read->from == TRACE_FROM_CACHE && s->n >= 2) {
        unsigned j = s->n - 1;
        while (j > 0) {
            const explain_step *p = &s->step[j - 1];
            if (!(p->cached_after && p->cache_after < p->db_after)) break;
            j--;
        }
        if (j < s->n - 1) return j;
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

static const char *cause_gist(int cause) {
    switch (cause) {
    case CAUSE_TTL_ONLY: return "writes never invalidate, the TTL alone ends "
                                "the window";
    case CAUSE_INVALIDATION_FAILED: return "the write's invalidation never "
                                           "took effect";
    case CAUSE_INVALIDATION_MISSING: return "this write path does not "
                                            "invalidate";
    case CAUSE_INVALIDATION_LAG: return "the read came between the commit and "
                                        "its invalidation";
    case CAUSE_STALE_FILL: return "a fill stored a value read before the "
                                  "commit, after the invalidation";
    case CAUSE_OUT_OF_ORDER_UPDATE: return "writers' SETs landed out of "
                                           "order";
    default: return "see stalesim explain";
    }
}

void plot_story_describe(const plot_story *s, char *buf, size_t len) {
    const trace_rec *r = &s->step[s->n - 1].rec;
    char age[32];
    plot_fmt_duration(age, sizeof age, (double)r->age / 1e9);
    char which[32] = "A stale read";
    if (s->index) snprintf(which, sizeof which, "Stale read %u", s->index);
    snprintf(buf, len, "%s of replication %u (key %u, client %u) "
             "returned v%u from the %s %s after v%u committed; cause %s: %s.",
             which, s->rep, r->key, r->client, r->version,
             r->from == TRACE_FROM_CACHE ? "cache" : "DB", age,
             r->version + 1, oracle_cause_name((oracle_cause)r->cause),
             cause_gist(r->cause));
}

int plot_story_draw(const plot_story *s, gp *g) {
    const trace_rec *read = &s->step[s->n - 1].rec;
    /* Client lanes, in order of first appearance; the reader and the
     * writer of the missed commit always get their own, the rest share one
     * "other clients" lane past MAX_CLIENT_LANES. */
    uint32_t client[MAX_CLIENT_LANES];
    int writes[MAX_CLIENT_LANES] = {0}, nclient = 0, others = 0;
    int lane[64];
    int commit = missed_commit(s);
    client[nclient++] = read->client;
    if (commit >= 0 && s->step[commit].rec.request &&
        s->step[commit].rec.client != read->client)
        client[nclient++] = s->step[commit].rec.client;
    for (unsigned i = 0; i < s->n && i < 64; i++) {
        const trace_rec *r = &s->step[i].rec;
        if (!r->request) continue;
        int c = 0;
        while (c < nclient && client[c] != r->client) c++;
        if (c == nclient && nclient < MAX_CLIENT_LANES) client[nclient++] = r->client;
    }
    for (unsigned i = 0; i < s->n && i < 64; i++) {
        const trace_rec *r = &s->step[i].rec;
        lane[i] = server_lane((trace_op)r->op);
        if (!r->request) {
            if (lane[i] < 0) lane[i] = LANE_CACHE;
            continue;
        }
        int c = 0;
        while (c < nclient && client[c] != r->client) c++;
        if (c < nclient && r->is_write) writes[c] = 1;
        if (c == nclient) others = 1;
        if (lane[i] < 0) lane[i] = LANE_CLIENT0 + c; /* c == nclient: others */
    }
    unsigned n = s->n < 64 ? s->n : 64;
    sim_time origin = commit >= 0 ? s->step[commit].rec.t : s->step[0].rec.t;
    unsigned w0 = window_start(s);
    double top = LANE_CLIENT0 + nclient - 1 + others + 0.9;

    plot_style_common(g);
    char t1[256], qt[1700];
    if (s->index)
        snprintf(t1, sizeof t1, "Stale read %u, key %u: %s", s->index,
                 read->key, oracle_cause_name((oracle_cause)read->cause));
    else
        snprintf(t1, sizeof t1, "A stale read of key %u: %s", read->key,
                 oracle_cause_name((oracle_cause)read->cause));
    gp_printf(g, "set title %s font ',13'\n",
              gp_quote_lines(qt, sizeof qt, t1, s->context, 0));
    char xl[160];
    snprintf(xl, sizeof xl, "time relative to %s (steps evenly spaced)",
             commit >= 0 ? "the commit the read missed" : "the first step");
    char qx[200];
    gp_printf(g, "set xlabel %s\nset ylabel ''\n", gp_quote(qx, sizeof qx, xl));
    gp_printf(g, "set xrange [-0.7:%.3f]\nset yrange [-0.6:%.3f]\n",
              (double)n - 0.3, top + 0.5);
    gp_printf(g, "set grid noxtics ytics\nset border 1\nset key below nobox noopaque "
                 "horizontal\nset ytics scale 0 (");
    gp_printf(g, "'DB' %d, 'cache' %d", LANE_DB, LANE_CACHE);
    for (int c = 0; c < nclient; c++)
    {
        char cl[64], qc[80];
        snprintf(cl, sizeof cl, "client %u%s", client[c],
                 client[c] == read->client && !writes[c] ? " (reader)"
                 : writes[c] && client[c] != read->client ? " (writer)"
                                                           : "");
        gp_printf(g, ", %s %d", gp_quote(qc, sizeof qc, cl), LANE_CLIENT0 + c);
    }
    if (others) gp_printf(g, ", 'other clients' %d", LANE_CLIENT0 + nclient);
    gp_printf(g, ")\nset xtics %s(", n > 8 && !gp_is_text(g) ? "font ',9' " : "");
    for (unsigned i = 0; i < n; i++) {
        char tt[48];
        rel_time(tt, sizeof tt, s->step[i].rec.t, origin);
        char qt2[64];
        gp_printf(g, "%s%s %u", i ? ", " : "", gp_quote(qt2, sizeof qt2, tt), i);
    }
    gp_printf(g, ")\n");

    /* The stale window: from where the copy went stale to the read. */
    char wl[200], d[32];
    plot_fmt_duration(d, sizeof d,
                      (double)(read->t - s->step[w0].rec.t) / 1e9);
    snprintf(wl, sizeof wl, "stale window (open %s%s at the read)",
             commit < 0 && w0 == 0 ? "at least " : "", d);
    gp_block_begin(g, "win");
    gp_printf(g, "%.3f -0.6 %.3f\n%.3f -0.6 %.3f\n", (double)w0 - 0.15,
              top + 0.5, (double)(n - 1) + 0.15, top + 0.5);
    gp_block_end(g);

    /* Steps: x lane label kind (0 client step, 1 server effect, 2 the
     * missed commit, 3 the stale read). */
    gp_block_begin(g, "steps");
    for (unsigned i = 0; i < n; i++) {
        const trace_rec *r = &s->step[i].rec;
        char txt[64], q[96];
        short_text(r, txt, sizeof txt);
        int kind = i == n - 1 ? 3 : (int)i == commit ? 2
                                   : lane[i] >= LANE_CLIENT0 ? 0 : 1;
        gp_printf(g, "%u %d %s %d\n", i, lane[i], gp_datum(q, sizeof q, txt),
                  kind);
    }
    gp_block_end(g);
    /* Connectors: the client that caused a server step, down to it. */
    gp_block_begin(g, "links");
    for (unsigned i = 0; i < n; i++) {
        const trace_rec *r = &s->step[i].rec;
        if (!r->request || lane[i] >= LANE_CLIENT0) continue;
        int c = 0;
        while (c < nclient && client[c] != r->client) c++;
        gp_printf(g, "%u %d 0 %d\n", i, LANE_CLIENT0 + c,
                  lane[i] - (LANE_CLIENT0 + c));
    }
    gp_printf(g, "-10 -10 0 0\n"); /* never empty */
    gp_block_end(g);
    char wtitle[300];
    gp_quote(wtitle, sizeof wtitle, wl);
    gp_printf(g,
              "plot $win using 1:2:3 with filledcurves fs transparent solid "
              "0.18 noborder lc rgb '#d62728' title %s, \\\n"
              "  $links using 1:2:3:4 with vectors nohead dt 3 lw 1 "
              "lc rgb '#888888' title 'operation takes effect', \\\n"
              "  $steps using 1:($4 < 2 ? $2 : NaN) with points pt 7 ps 1.3 "
              "lc rgb '#1f77b4' title 'step', \\\n"
              "  $steps using 1:($4 == 2 ? $2 : NaN) with points pt 5 ps 1.8 "
              "lc rgb '#2ca02c' title 'the commit the read missed', \\\n"
              "  $steps using 1:($4 == 3 ? $2 : NaN) with points pt 9 ps 2.2 "
              "lc rgb '#d62728' title 'the stale read', \\\n"
              "  $steps using 1:2:3 with labels left rotate by 25 "
              "offset 0.4,0.7 font ',9' notitle\n",
              wtitle);
    return gp_printf(g, "%s", "");
}
