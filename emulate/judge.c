/* Judging an emulated replication: its facts, in time order, through the
 * simulator's oracle (models/oracle.h), into `run`'s metrics.
 *
 * The clocks.  Commits carry PostgreSQL's clock_timestamp() taken inside the
 * UPDATE; cache effects carry Redis's TIME taken inside the Lua script; reads
 * carry the client's CLOCK_REALTIME at invocation and answer.  On one host
 * these are one clock (microseconds on the servers' side).  Two corrections
 * make the facts consistent with what the servers showed:
 *   - a commit becomes visible a few microseconds after the UPDATE read the
 *     clock (the commit record is written after it); a DB read whose
 *     snapshot (clock_timestamp() in its select list) returned version v
 *     proves that v+1 was not visible yet, so commit(v+1) is moved to just
 *     after that snapshot;
 *   - nothing can show a version before its commit: commit(v) is moved no
 *     later than the first read answer, SET or DB snapshot that carries v
 *     or a newer version, nor later than the write's acknowledgement.
 * When the two bounds cross (clock reads on different cores disagreeing by
 * more than the gap), the upper bound wins and the fact is counted in
 * clock_conflicts; a DB read that would then look stale from the source of
 * truth is left out of the judgement and counted there too.  Both are
 * printed; on one host they are rare (none in the catalog's runs).
 *
 * Facts of equal time are ordered commit, failed invalidation, DEL, SET, DB
 * read, read, acknowledgement; commits of one key by version. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emulate/emu_internal.h"
#include "experiments/output.h"

static int type_rank(uint8_t t) {
    static const int rank[] = {[FACT_COMMIT] = 0, [FACT_INVAL_FAIL] = 1,
                               [FACT_REMOVE] = 2, [FACT_SET] = 3,
                               [FACT_DB_READ] = 4, [FACT_READ] = 5,
                               [FACT_ACK] = 6, [FACT_CRASH] = 7};
    return rank[t];
}

static int fact_cmp(const void *a, const void *b) {
    const emu_fact *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    int rx = type_rank(x->type), ry = type_rank(y->type);
    if (rx != ry) return rx - ry;
    if (x->version != y->version) return x->version < y->version ? -1 : 1;
    return x->request < y->request ? -1 : x->request > y->request;
}

/* Commit times per key and version, in one array: key k's version v is at
 * off[k] + v - 1. */
typedef struct commits {
    size_t *off;   /* [keys + 1] */
    sim_time *at;  /* commit times */
    sim_time *upper; /* the earliest fact showing that version or newer */
} commits;

static void commits_fini(commits *c) {
    free(c->off);
    free(c->at);
    free(c->upper);
}

/* Applies the two corrections of the file comment to the commit facts.
 * Returns the number of conflicts, or -1 on ENOMEM. */
static long correct_commits(emu_fact *f, size_t n, uint32_t keys,
                            commits *c) {
    memset(c, 0, sizeof *c);
    c->off = calloc((size_t)keys + 1, sizeof *c->off);
    if (!c->off) return -1;
    size_t *count = c->off; /* counted in off[k+1] first */
    for (size_t i = 0; i < n; i++)
        if (f[i].type == FACT_COMMIT) count[f[i].key + 1]++;
    for (uint32_t k = 0; k < keys; k++) c->off[k + 1] += c->off[k];
    size_t total = c->off[keys];
    c->at = malloc((total + 1) * sizeof *c->at);
    c->upper = malloc((total + 1) * sizeof *c->upper);
    if (!c->at || !c->upper) return -1;
    for (size_t i = 0; i < total; i++) c->upper[i] = SIM_TIME_MAX;
    for (size_t i = 0; i < n; i++)
        if (f[i].type == FACT_COMMIT)
            c->at[c->off[f[i].key] + f[i].version - 1] = f[i].t;
    /* Lower bounds from DB snapshots, upper bounds from what showed a
     * version. */
    for (size_t i = 0; i < n; i++) {
        const emu_fact *x = &f[i];
        size_t nv = c->off[x->key + 1] - c->off[x->key];
        sim_time *at = c->at + c->off[x->key];
        sim_time *up = c->upper + c->off[x->key];
        if (x->type == FACT_DB_READ && x->version < nv &&
            at[x->version] <= x->t)
            at[x->version] = x->t + 1;
        int shows = x->type == FACT_READ || x->type == FACT_SET ||
                    x->type == FACT_DB_READ || x->type == FACT_ACK ||
                    x->type == FACT_CRASH;
        if (shows && x->version >= 1 && x->version <= nv &&
            x->t < up[x->version - 1])
            up[x->version - 1] = x->t;
    }
    long conflicts = 0;
    for (uint32_t k = 0; k < keys; k++) {
        sim_time *at = c->at + c->off[k], *up = c->upper + c->off[k];
        size_t nv = c->off[k + 1] - c->off[k];
        for (size_t v = nv; v-- > 1;)
            if (up[v] < up[v - 1]) up[v - 1] = up[v];
        for (size_t v = 0; v < nv; v++) {
            if (v > 0 && at[v] < at[v - 1]) at[v] = at[v - 1];
            if (at[v] > up[v]) {
                at[v] = up[v];
                conflicts++;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (f[i].type == FACT_COMMIT)
            f[i].t = c->at[c->off[f[i].key] + f[i].version - 1];
    return conflicts;
}

/* ---- history (docs/history.md, version 1) ------------------------------------ */

/* One operation line, held until every line is known: the format wants them
 * in order of position (a read's answer, a write's invocation), writes
 * first at equal positions. */
typedef struct hist_line {
    emu_fact f;
    sim_time position, committed;
    uint8_t is_write, verdict, cause;
} hist_line;

typedef struct hist_lines {
    hist_line *v;
    size_t n, cap;
    int failed; /* out of memory */
} hist_lines;

static void hist_push(hist_lines *h, const hist_line *l) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 1024;
        hist_line *p = realloc(h->v, cap * sizeof *p);
        if (!p) {
            h->failed = 1;
            return;
        }
        h->v = p;
        h->cap = cap;
    }
    h->v[h->n++] = *l;
}

static int hist_cmp(const void *a, const void *b) {
    const hist_line *x = a, *y = b;
    if (x->position != y->position) return x->position < y->position ? -1 : 1;
    if (x->is_write != y->is_write) return x->is_write ? -1 : 1;
    return x->f.request < y->f.request ? -1 : x->f.request > y->f.request;
}

static void hist_print(FILE *h, const hist_line *l) {
    static const char *const verdicts[] = {"fresh", "concurrent", "stale"};
    const emu_fact *x = &l->f;
    fprintf(h,
            "{\"process\": %" PRIu32 ", \"request\": %" PRIu64
            ", \"key\": %" PRIu32 ", \"op\": \"%s\", \"value\": %" PRIu32
            ", \"invoke_ns\": %lld, ",
            x->client, x->request, x->key, l->is_write ? "write" : "read",
            x->version, (long long)x->t2);
    if (!l->is_write) {
        fprintf(h, "\"complete_ns\": %lld, \"status\": \"ok\", \"from\": "
                   "\"%s\", \"verdict\": \"%s\"",
                (long long)x->t, x->arg ? "cache" : "db", verdicts[l->verdict]);
        if (l->verdict == ORACLE_VERDICT_STALE)
            fprintf(h, ", \"cause\": \"%s\"",
                    oracle_cause_name((oracle_cause)l->cause));
        fputs("}\n", h);
    } else if (x->type == FACT_ACK) {
        fprintf(h, "\"complete_ns\": %lld, \"status\": \"ok\", "
                   "\"committed_ns\": %lld}\n",
                (long long)x->t, (long long)l->committed);
    } else {
        fprintf(h, "\"complete_ns\": null, \"status\": \"crashed\", "
                   "\"committed_ns\": %lld}\n",
                (long long)l->committed);
    }
}

static void hist_read(hist_lines *h, const emu_fact *x, oracle_verdict v) {
    hist_line l = {*x, x->t, 0, 0, (uint8_t)v.kind, (uint8_t)v.cause};
    hist_push(h, &l);
}

static void hist_write(hist_lines *h, const emu_fact *x, const oracle *o) {
    hist_line l = {*x, x->t2, oracle_commit_time(o, x->key, x->version), 1, 0,
                   0};
    hist_push(h, &l);
}

/* Writes the header and every line in the format's order. */
static void hist_flush(FILE *out, hist_lines *h, const emu_shared *sh,
                       sim_time end) {
    qsort(h->v, h->n, sizeof *h->v, hist_cmp);
    fputs("{\"stalesim_history\": 1, \"source\": \"emulation\", "
          "\"scenario\": ",
          out);
    output_json_string(out, sh->sc->path);
    fprintf(out,
            ", \"seed\": %llu, \"replication\": %u, \"warmup_ns\": %lld, "
            "\"end_ns\": %lld, \"clock\": \"host CLOCK_REALTIME, ns from the "
            "replication's start; committed_ns from PostgreSQL "
            "clock_timestamp()\"}\n",
            (unsigned long long)sh->sc->run.seed, sh->rep,
            (long long)sh->sc->run.warmup, (long long)end);
    for (size_t i = 0; i < h->n; i++) hist_print(out, &h->v[i]);
}

/* ---- the judgement ------------------------------------------------------------ */

typedef struct judging {
    emu_shared *sh;
    emu_result *r;
    oracle *o;
    world_counts wc;
    sim_hist read_latency, invalidation_lag;
    int batches;   /* 1: fill r's batches (replication 0) */
    sim_time batch; /* ns */
    long skipped;
    hist_lines *history; /* NULL: none */
} judging;

static int batch_of(const judging *j, sim_time t) {
    sim_time warm = j->sh->sc->run.warmup;
    if (t < warm || t >= j->sh->end || j->batch <= 0) return -1;
    sim_time b = (t - warm) / j->batch;
    return b < EMU_BATCHES ? (int)b : EMU_BATCHES - 1;
}

static void lag(judging *j, const emu_fact *x) {
    if (x->version == 0 || x->version > oracle_latest(j->o, x->key)) return;
    sim_time c = oracle_commit_time(j->o, x->key, x->version);
    if (c >= j->sh->sc->run.warmup && x->t >= c)
        sim_hist_add(&j->invalidation_lag, x->t - c);
}

static void judge_read(judging *j, const emu_fact *x) {
    oracle *o = j->o;
    uint32_t latest = oracle_latest(o, x->key);
    uint32_t copy = x->arg ? ORACLE_CACHE : ORACLE_SOURCE;
    if (x->version > latest ||
        (copy == ORACLE_SOURCE && x->version < latest &&
         oracle_commit_time(o, x->key, x->version + 1) <= x->t2)) {
        j->skipped++; /* the clocks could not order it */
        return;
    }
    oracle_verdict v = oracle_read(o, x->key, x->client, x->t2, x->t,
                                   x->version, copy);
    if (j->history) hist_read(j->history, x, v);
    if (x->t2 < j->sh->sc->run.warmup) return;
    if (copy == ORACLE_CACHE) j->wc.reads_from_cache++;
    sim_hist_add(&j->read_latency, x->t - x->t2);
    int b = j->batches ? batch_of(j, x->t2) : -1;
    if (b >= 0) {
        j->r->batch_reads[b]++;
        j->r->batch_stale[b] += v.kind == ORACLE_VERDICT_STALE;
        j->r->batch_hits[b] += copy == ORACLE_CACHE;
    }
}

static void judge_fact(judging *j, const emu_fact *x) {
    oracle *o = j->o;
    switch ((emu_fact_type)x->type) {
    case FACT_COMMIT:
        oracle_commit(o, x->key, x->version, x->t, (oracle_plan)x->arg);
        break;
    case FACT_INVAL_FAIL:
        if (x->version >= 1 && x->version <= oracle_latest(o, x->key))
            oracle_invalidation_failed(o, x->key, x->version, x->t);
        break;
    case FACT_REMOVE:
        oracle_copy_remove(o, x->key, ORACLE_CACHE, x->t);
        lag(j, x);
        break;
    case FACT_SET:
        if (x->version > oracle_latest(o, x->key)) {
            j->skipped++;
            break;
        }
        oracle_copy_fill_from(o, x->key, ORACLE_CACHE, x->version, x->t,
                              x->t2 > x->t ? x->t2 : x->t + 1,
                              (oracle_set_kind)x->arg, ORACLE_SOURCE);
        if (x->arg == ORACLE_SET_UPDATE) lag(j, x);
        break;
    case FACT_DB_READ: {
        if (x->t >= j->sh->sc->run.warmup && x->t < j->sh->end)
            j->wc.db_reads++;
        int b = j->batches ? batch_of(j, x->t) : -1;
        if (b >= 0) j->r->batch_db_reads[b]++;
        break;
    }
    case FACT_READ:
        judge_read(j, x);
        break;
    case FACT_ACK:
        oracle_ack(o, x->client, x->key, x->version, x->t);
        if (j->history) hist_write(j->history, x, o);
        break;
    case FACT_CRASH:
        oracle_invalidation_failed(o, x->key, x->version, x->t);
        if (j->history) hist_write(j->history, x, o);
        break;
    }
}

/* Every thread's facts in one array. */
static emu_fact *gather(emu_shared *sh, size_t *n) {
    size_t total = 0;
    for (unsigned i = 0; i < sh->nworkers; i++) total += sh->workers[i].nfacts;
    emu_fact *f = malloc((total + 1) * sizeof *f);
    if (!f) return NULL;
    size_t k = 0;
    for (unsigned i = 0; i < sh->nworkers; i++) {
        memcpy(f + k, sh->workers[i].facts,
               sh->workers[i].nfacts * sizeof *f);
        k += sh->workers[i].nfacts;
    }
    *n = total;
    return f;
}

int emu_judge(emu_shared *sh, emu_result *r, uint32_t rep, FILE *history,
              char *err, size_t errlen) {
    const scenario *sc = sh->sc;
    size_t n = 0;
    commits c;
    memset(&c, 0, sizeof c);
    judging j;
    memset(&j, 0, sizeof j);
    emu_fact *f = gather(sh, &n);
    if (!f) goto oom;
    long conflicts = correct_commits(f, n, sc->workload.keys, &c);
    if (conflicts < 0) goto oom;
    qsort(f, n, sizeof *f, fact_cmp);
    j.sh = sh;
    j.r = r;
    j.batches = rep == 0;
    j.batch = (sh->end - sc->run.warmup) / EMU_BATCHES;
    if (j.batches) r->batch_s = sim_time_to_s(j.batch);
    sim_hist_init(&j.read_latency);
    sim_hist_init(&j.invalidation_lag);
    if (!(j.o = oracle_create(sc->workload.keys, sc->run.warmup))) goto oom;
    oracle_set_bound(j.o, sc->contract.max_staleness);
    hist_lines lines = {NULL, 0, 0, 0};
    if (history) j.history = &lines;
    for (size_t i = 0; i < n; i++) judge_fact(&j, &f[i]);
    sim_time end = sh->end;
    if (n > 0 && f[n - 1].t > end) end = f[n - 1].t;
    oracle_finish(j.o, end);
    if (history && !lines.failed) hist_flush(history, &lines, sh, end);
    free(lines.v);
    if (lines.failed) goto oom;
    r->clock_conflicts += (uint64_t)conflicts + (uint64_t)j.skipped;

    for (unsigned i = 0; i < sh->nworkers; i++) {
        const world_counts *w = &sh->workers[i].counts;
        j.wc.writes += w->writes;
        j.wc.invalidations += w->invalidations;
        j.wc.invalidations_failed += w->invalidations_failed;
        j.wc.invalidations_timed_out += w->invalidations_timed_out;
        j.wc.writer_crashes += w->writer_crashes;
        j.wc.cache_ops += w->cache_ops;
        j.wc.cache_gets += w->cache_gets;
        j.wc.cache_sets += w->cache_sets;
        j.wc.cache_dels += w->cache_dels;
    }
    const oracle_counts *oc = oracle_get_counts(j.o);
    double m[WORLD_METRIC_COUNT];
    double span = sim_time_to_s(sh->end - sc->run.warmup);
    world_fill_metrics(oc, &j.wc, span > 0 ? span : 1e-9, 0, m);
    run_summary *s = r->sum;
    for (int k = 0; k < WORLD_METRIC_COUNT; k++) s->value[k][rep] = m[k];
    sim_hist_merge(&s->dist[WORLD_DIST_STALE_AGE], oracle_stale_age(j.o));
    sim_hist_merge(&s->dist[WORLD_DIST_STALE_WINDOW], oracle_stale_window(j.o));
    sim_hist_merge(&s->dist[WORLD_DIST_INVALIDATION_LAG], &j.invalidation_lag);
    sim_hist_merge(&s->dist[WORLD_DIST_READ_LATENCY], &j.read_latency);
    sim_hist_merge(&s->dist[WORLD_DIST_CONVERGENCE], oracle_convergence(j.o));
    sim_hist_merge(&s->dist[WORLD_DIST_VALUE_AGE], oracle_value_age(j.o));
    for (int k = 0; k < ORACLE_CAUSE_COUNT; k++) s->causes[k] += oc->stale_by_cause[k];
    s->events += sh->serial;
    oracle_destroy(j.o);
    commits_fini(&c);
    free(f);
    if (history && ferror(history)) {
        snprintf(err, errlen, "--history: writing failed");
        return -1;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory judging the history");
    oracle_destroy(j.o);
    commits_fini(&c);
    free(f);
    return -1;
}
