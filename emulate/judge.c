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

/* ---- history ------------------------------------------------------------------ */

static void history_read(FILE *h, const emu_fact *x, oracle_verdict v) {
    static const char *const verdicts[] = {"fresh", "concurrent", "stale"};
    fprintf(h,
            "{\"process\": %" PRIu32 ", \"request\": %" PRIu64
            ", \"key\": %" PRIu32 ", \"op\": \"read\", \"value\": %" PRIu32
            ", \"invoke_ns\": %lld, \"complete_ns\": %lld, \"status\": \"ok\", "
            "\"from\": \"%s\", \"verdict\": \"%s\"}\n",
            x->client, x->request, x->key, x->version, (long long)x->t2,
            (long long)x->t, x->arg ? "cache" : "db", verdicts[v.kind]);
}

static void history_write(FILE *h, const emu_fact *x, const oracle *o) {
    sim_time c = oracle_commit_time(o, x->key, x->version);
    fprintf(h,
            "{\"process\": %" PRIu32 ", \"request\": %" PRIu64
            ", \"key\": %" PRIu32 ", \"op\": \"write\", \"value\": %" PRIu32
            ", \"invoke_ns\": %lld, ",
            x->client, x->request, x->key, x->version, (long long)x->t2);
    if (x->type == FACT_ACK)
        fprintf(h, "\"complete_ns\": %lld, \"status\": \"ok\", "
                   "\"committed_ns\": %lld}\n",
                (long long)x->t, (long long)c);
    else
        fprintf(h, "\"complete_ns\": null, \"status\": \"crashed\", "
                   "\"committed_ns\": %lld}\n",
                (long long)c);
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

static void judge_read(judging *j, const emu_fact *x, FILE *history) {
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
    if (history) history_read(history, x, v);
    if (x->t2 < j->sh->sc->run.warmup) return;
    if (copy == ORACLE_CACHE) j->wc.reads_from_cache++;
    sim_hist_add(&j->read_latency, x->t - x->t2);
    int b = j->batches ? batch_of(j, x->t2) : -1;
    if (b >= 0) {
        j->r->batch_reads[b]++;
        j->r->batch_stale[b] += v.kind == VERDICT_STALE;
        j->r->batch_hits[b] += copy == ORACLE_CACHE;
    }
}

static void judge_fact(judging *j, const emu_fact *x, FILE *history) {
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
        if (x->arg == SET_UPDATE) lag(j, x);
        break;
    case FACT_DB_READ: {
        if (x->t >= j->sh->sc->run.warmup && x->t < j->sh->end)
            j->wc.db_reads++;
        int b = j->batches ? batch_of(j, x->t) : -1;
        if (b >= 0) j->r->batch_db_reads[b]++;
        break;
    }
    case FACT_READ:
        judge_read(j, x, history);
        break;
    case FACT_ACK:
        oracle_ack(o, x->client, x->key, x->version, x->t);
        if (history) history_write(history, x, o);
        break;
    case FACT_CRASH:
        oracle_invalidation_failed(o, x->key, x->version, x->t);
        if (history) history_write(history, x, o);
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
    for (size_t i = 0; i < n; i++) judge_fact(&j, &f[i], history);
    sim_time end = sh->end;
    if (n > 0 && f[n - 1].t > end) end = f[n - 1].t;
    oracle_finish(j.o, end);
    r->clock_conflicts += (uint64_t)conflicts + (uint64_t)j.skipped;

    for (unsigned i = 0; i < sh->nworkers; i++) {
        const world_counts *w = &sh->workers[i].counts;
        j.wc.writes += w->writes;
        j.wc.invalidations += w->invalidations;
        j.wc.invalidations_failed += w->invalidations_failed;
        j.wc.invalidations_timed_out += w->invalidations_timed_out;
        j.wc.writer_crashes += w->writer_crashes;
    }
    const oracle_counts *oc = oracle_get_counts(j.o);
    double m[M_COUNT];
    double span = sim_time_to_s(sh->end - sc->run.warmup);
    world_fill_metrics(oc, &j.wc, span > 0 ? span : 1e-9, 0, m);
    run_summary *s = r->sum;
    for (int k = 0; k < M_COUNT; k++) s->value[k][rep] = m[k];
    sim_hist_merge(&s->dist[D_STALE_AGE], oracle_stale_age(j.o));
    sim_hist_merge(&s->dist[D_STALE_WINDOW], oracle_stale_window(j.o));
    sim_hist_merge(&s->dist[D_INVALIDATION_LAG], &j.invalidation_lag);
    sim_hist_merge(&s->dist[D_READ_LATENCY], &j.read_latency);
    sim_hist_merge(&s->dist[D_CONVERGENCE], oracle_convergence(j.o));
    sim_hist_merge(&s->dist[D_VALUE_AGE], oracle_value_age(j.o));
    for (int k = 0; k < CAUSE_COUNT; k++) s->causes[k] += oc->stale_by_cause[k];
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
    commits_fini(&c);
    free(f);
    return -1;
}
