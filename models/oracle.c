/* The oracle: judges reads against the commit history and tracks the stale
 * windows of every copy.  See oracle.h for the semantics it implements.
 *
 * Copy state is settled lazily: an entry that expired at time x is noticed at
 * the next fact touching the copy (or at the end) and its window, if any, is
 * closed at x exactly, so no expiry events are needed. */
#include "models/oracle.h"

#include <stdlib.h>
#include <string.h>

#include "models/oracle_internal.h"
#include "sim/bigmem.h"
#include "sim/check.h"

static const struct {
    const char *name, *gist, *story;
} cause_info[ORACLE_CAUSE_COUNT] = {
#define ORACLE_CAUSE_INFO(id, name, gist, story) {name, gist, story},
    ORACLE_CAUSES(ORACLE_CAUSE_INFO)
#undef ORACLE_CAUSE_INFO
};

const char *oracle_cause_name(oracle_cause c) {
    return (unsigned)c < ORACLE_CAUSE_COUNT ? cause_info[c].name : "?";
}

const char *oracle_cause_gist(oracle_cause c) {
    return (unsigned)c < ORACLE_CAUSE_COUNT ? cause_info[c].gist
                                     : "see stalesim explain";
}

const char *oracle_cause_story(oracle_cause c) {
    return (unsigned)c < ORACLE_CAUSE_COUNT ? cause_info[c].story
                                     : "see the steps above";
}

int oracle_cause_parse(const char *name) {
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
        if (strcmp(name, cause_info[c].name) == 0) return c;
    return -1;
}


oracle *oracle_create(uint32_t nkeys, sim_time warmup) {
    oracle *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->nkeys = nkeys;
    o->warmup = warmup;
    o->bound = SIM_TIME_MAX;
    o->ncopies = 2;
    o->kind[ORACLE_SOURCE] = ORACLE_COPY_SOURCE;
    o->kind[ORACLE_CACHE] = ORACLE_COPY_SHARED;
    o->keys = sim_big_calloc(nkeys, sizeof *o->keys);
    o->acks_cap = 1024;
    o->acks = malloc(o->acks_cap * sizeof *o->acks);
    if (!o->keys || !o->acks) {
        oracle_destroy(o);
        return NULL;
    }
    for (size_t i = 0; i < o->acks_cap; i++) o->acks[i].id = ACK_EMPTY;
    sim_hist_init(&o->stale_age);
    sim_hist_init(&o->stale_window);
    sim_hist_init(&o->convergence);
    sim_hist_init(&o->value_age);
    sim_tally_init(&o->censored);
    return o;
}

void oracle_set_bound(oracle *o, sim_time bound) { o->bound = bound; }

int oracle_set_families(oracle *o, int n, const uint32_t *first_key,
                        const sim_time *bound) {
    SIM_CHECK(n >= 1 && n <= ORACLE_MAX_FAMILIES && o->nfam == 0 &&
                  o->ncopies == 2,
              "families %d (before any copy is added)", n);
    o->key_family = sim_big_calloc(o->nkeys, 1);
    o->fam = calloc((size_t)n, sizeof *o->fam);
    if (!o->key_family || !o->fam) return -1;
    o->nfam = n;
    for (int f = 0; f < n; f++) {
        uint32_t end = f + 1 < n ? first_key[f + 1] : o->nkeys;
        SIM_CHECK(first_key[f] <= end && end <= o->nkeys,
                  "family %d: keys %u..%u of %u", f, first_key[f], end,
                  o->nkeys);
        for (uint32_t k = first_key[f]; k < end; k++) {
            o->key_family[k] = (uint8_t)f;
            o->keys[k].cache.family = (uint8_t)f;
        }
        o->fam[f].bound = bound ? bound[f] : SIM_TIME_MAX;
        sim_hist_init(&o->fam[f].stale_age);
        sim_hist_init(&o->fam[f].stale_window);
        sim_hist_init(&o->fam[f].convergence);
        sim_hist_init(&o->fam[f].value_age);
    }
    return 0;
}

const oracle_family *oracle_get_family(const oracle *o, int f) {
    return f >= 0 && f < o->nfam ? &o->fam[f] : NULL;
}

void oracle_destroy(oracle *o) {
    if (!o) return;
    if (o->keys)
        for (uint32_t k = 0; k < o->nkeys; k++) free(o->keys[k].hist.commit_at);
    sim_big_free(o->keys, o->nkeys, sizeof *o->keys);
    sim_big_free(o->head, o->head ? o->nkeys : 0, sizeof *o->head);
    sim_big_free(o->key_family, o->key_family ? o->nkeys : 0, 1);
    free(o->fam);
    free(o->nodes);
    free(o->acks);
    free(o->over);
    free(o->marks);
    free(o);
}

int oracle_failed(const oracle *o) { return o->failed; }

uint32_t oracle_add_copy(oracle *o, oracle_copy_kind kind) {
    SIM_CHECK(o->ncopies < ORACLE_MAX_COPIES, "more than %d copies", ORACLE_MAX_COPIES);
    SIM_CHECK(kind != ORACLE_COPY_SOURCE && kind != ORACLE_COPY_SHARED, "kind %d", kind);
    if (!o->head) {
        o->head = sim_big_calloc(o->nkeys, sizeof *o->head);
        if (!o->head) return ORACLE_NO_COPY;
        for (uint32_t k = 0; k < o->nkeys; k++) o->head[k] = NO_NODE;
    }
    if (kind == ORACLE_COPY_DB_BEHIND || kind == ORACLE_COPY_REPLICA) o->has_always = 1;
    o->kind[o->ncopies] = (uint8_t)kind;
    return o->ncopies++;
}

static int always_present(oracle_copy_kind k) {
    return k == ORACLE_COPY_DB_BEHIND || k == ORACLE_COPY_REPLICA;
}

/* The node of (key, copy), or NULL; created when `create` (NULL then only
 * when memory ran out: o->failed is set). */
static copy_state *node_of(oracle *o, uint32_t key, uint32_t copy,
                           int create) {
    if (!o->head) return NULL;
    for (uint32_t n = o->head[key]; n != NO_NODE; n = o->nodes[n].next)
        if (o->nodes[n].copy == copy) return &o->nodes[n].st;
    if (!create) return NULL;
    if (o->nnodes == o->nodes_cap) {
        uint32_t cap = o->nodes_cap ? 2 * o->nodes_cap : 1024;
        copy_node *p = cap > o->nodes_cap ? realloc(o->nodes, cap * sizeof *p)
                                          : NULL;
        if (!p) {
            o->failed = 1;
            return NULL;
        }
        o->nodes = p;
        o->nodes_cap = cap;
    }
    uint32_t n = o->nnodes++;
    memset(&o->nodes[n], 0, sizeof o->nodes[n]);
    o->nodes[n].copy = copy;
    o->nodes[n].key = key;
    o->nodes[n].next = o->head[key];
    o->head[key] = n;
    if (o->nfam) o->nodes[n].st.family = o->key_family[key];
    if (always_present((oracle_copy_kind)o->kind[copy])) {
        /* Up to date with every commit so far. */
        o->nodes[n].st.present = 1;
        o->nodes[n].st.expires_at = SIM_TIME_MAX;
        o->nodes[n].st.version = o->keys[key].hist.latest;
    }
    return &o->nodes[n].st;
}

copy_state *oracle_copy_state(oracle *o, uint32_t key, uint32_t copy) {
    return copy == ORACLE_CACHE ? &o->keys[key].cache
                                : node_of(o, key, copy, 0);
}

static copy_state *copy_of(oracle *o, uint32_t key, uint32_t copy) {
    SIM_CHECK(key < o->nkeys, "key %u of %u", key, o->nkeys);
    SIM_CHECK(copy != ORACLE_SOURCE && copy < o->ncopies,
              "copy %u has no stale windows", copy);
    if (copy == ORACLE_CACHE) return &o->keys[key].cache;
    return node_of(o, key, copy, 1);
}

/* 1 if c is a shared cache copy: inside the key records (up to the array's
 * end, not &keys[nkeys].cache: the node pool may start right behind it). */
static int is_shared(const oracle *o, const copy_state *c) {
    const char *p = (const char *)c, *base = (const char *)o->keys;
    return p >= base && p < base + (size_t)o->nkeys * sizeof(key_state);
}

/* The key a copy state belongs to: the shared cache's states sit in the key
 * records; any other is the first member of its pool node. */
static uint32_t key_of(const oracle *o, const copy_state *c) {
    const char *p = (const char *)c, *base = (const char *)o->keys;
    if (is_shared(o, c)) return (uint32_t)((size_t)(p - base) / sizeof *o->keys);
    return ((const copy_node *)(const void *)c)->key;
}

/* Per-write convergence: when the last window opened by commits on a key
 * closes, every write since the key was last fully converged is reflected
 * by every copy; each converged `at - its commit time`. */
static void converged(oracle *o, uint32_t key, sim_time span) {
    sim_hist_add(&o->convergence, span);
    if (o->nfam) sim_hist_add(&o->fam[o->key_family[key]].convergence, span);
}

static void windows_converged(oracle *o, uint32_t key, key_history *h,
                              sim_time at) {
    for (uint32_t v = h->pending_from; v >= 1 && v <= h->latest; v++)
        if (h->commit_at[v - 1] >= o->warmup)
            converged(o, key, at - h->commit_at[v - 1]);
    h->pending_from = 0;
}

static void settle(oracle *o, copy_state *c, sim_time t);

static uint64_t over_id(const oracle *o, const copy_state *c) {
    uint32_t copy = is_shared(o, c)
                        ? ORACLE_CACHE
                        : ((const copy_node *)(const void *)c)->copy;
    return (uint64_t)key_of(o, c) << 32 | copy;
}

static over_slot *over_find(oracle *o, uint64_t id, int insert) {
    if (!o->over) return NULL;
    size_t mask = o->over_cap - 1;
    for (size_t i = oracle_mix64(id) & mask;; i = (i + 1) & mask) {
        if (o->over[i].id == id) return &o->over[i];
        if (o->over[i].id == ACK_EMPTY) {
            if (!insert) return NULL;
            o->over[i].id = id;
            o->over[i].total = o->over[i].fam = 0;
            o->nover++;
            return &o->over[i];
        }
    }
}

/* Removes slot i, shifting back the slots of its probe run. */
static void over_remove(oracle *o, over_slot *slot) {
    size_t mask = o->over_cap - 1, i = (size_t)(slot - o->over);
    for (size_t j = (i + 1) & mask; o->over[j].id != ACK_EMPTY;
         j = (j + 1) & mask) {
        size_t home = oracle_mix64(o->over[j].id) & mask;
        /* j may move to i if its home is not in (i, j] cyclically */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            o->over[i] = o->over[j];
            i = j;
        }
    }
    o->over[i].id = ACK_EMPTY;
    o->nover--;
}

static void over_add(oracle *o, const copy_state *c, int total, int fam) {
    if ((o->nover + 1) * 2 > o->over_cap) {
        size_t old_cap = o->over_cap, cap = old_cap ? 2 * old_cap : 64;
        over_slot *old = o->over, *n = malloc(cap * sizeof *n);
        SIM_CHECK(n != NULL, "out of memory for %zu over-bound windows",
                  o->nover);
        for (size_t i = 0; i < cap; i++) n[i].id = ACK_EMPTY;
        o->over = n;
        o->over_cap = cap;
        o->nover = 0;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].id != ACK_EMPTY) *over_find(o, old[i].id, 1) = old[i];
        free(old);
    }
    over_slot *slot = over_find(o, over_id(o, c), 1);
    slot->total += (uint32_t)total;
    slot->fam += (uint32_t)fam;
}

static void close_window(oracle *o, copy_state *c, sim_time at, int censored) {
    SIM_CHECK(c->window && at >= c->window_at, "close at %lld, opened %lld",
              (long long)at, (long long)c->window_at);
    /* A window that closes at the instant it opened, unread (a zero-latency
     * DEL right behind its commit), never exposed a stale value: not counted. */
    int empty = at == c->window_at && c->window_reads == 0;
    if (c->window_at >= o->warmup && !empty) {
        if (censored) {
            o->counts.censored_windows++;
            sim_tally_add(&o->censored, (double)(at - c->window_at));
        } else {
            o->counts.windows++;
            sim_hist_add(&o->stale_window, at - c->window_at);
        }
        o->counts.windows_by_cause[c->cause]++;
        if (o->nfam) {
            oracle_family *f = &o->fam[c->family];
            if (censored)
                f->counts.censored_windows++;
            else {
                f->counts.windows++;
                sim_hist_add(&f->stale_window, at - c->window_at);
            }
            f->counts.windows_by_cause[c->cause]++;
        }
    }
    o->counts.stale_by_cause[c->cause] += c->window_reads;
    o->counts.stale_by_path[c->path] += c->window_reads;
    if (o->nfam) {
        o->fam[c->family].counts.stale_by_cause[c->cause] += c->window_reads;
        o->fam[c->family].counts.stale_by_path[c->path] += c->window_reads;
    }
    over_slot *over = c->window_reads && o->nover
                          ? over_find(o, over_id(o, c), 0)
                          : NULL;
    if (over) {
        o->counts.over_bound_by_cause[c->cause] += over->total;
        if (o->nfam)
            o->fam[c->family].counts.over_bound_by_cause[c->cause] += over->fam;
        over_remove(o, over);
    }
    c->last_cause = c->cause;
    c->last_path = c->path;
    c->window = 0;
    c->window_reads = 0;
    if (c->commit_window) {
        c->commit_window = 0;
        uint32_t key = key_of(o, c);
        key_history *h = &o->keys[key].hist;
        SIM_CHECK(h->open_commit_windows > 0, "commit windows underflow");
        if (--h->open_commit_windows == 0) {
            if (censored)
                h->pending_from = 0; /* never converged within the run */
            else
                windows_converged(o, key, h, at);
        }
    }
}

static void open_window(copy_state *c, sim_time at, oracle_cause cause,
                        uint8_t path) {
    c->window = 1;
    c->path = path;
    c->window_at = at;
    c->cause = (uint8_t)cause;
    c->window_reads = 0;
}

/* Applies an expiry that happened at or before t. */
static void settle(oracle *o, copy_state *c, sim_time t) {
    if (c->present && c->expires_at <= t) {
        if (c->window) close_window(o, c, c->expires_at, 0);
        c->present = 0;
    }
}

void oracle_settle(oracle *o, copy_state *c, sim_time t) { settle(o, c, t); }

/* The cause of a window a commit opens on a copy of this kind. */
static oracle_cause commit_cause(oracle_copy_kind kind, oracle_plan plan) {
    switch (kind) {
    case ORACLE_COPY_DB_BEHIND: return ORACLE_CAUSE_WRITE_BEHIND_LAG;
    case ORACLE_COPY_REPLICA: return ORACLE_CAUSE_REPLICA_LAG;
    default: break;
    }
    if (plan == ORACLE_PLAN_NONE_PATH) return ORACLE_CAUSE_INVALIDATION_MISSING;
    if (kind == ORACLE_COPY_LOCAL) return ORACLE_CAUSE_LOCAL_NOT_INVALIDATED;
    if (kind == ORACLE_COPY_LOCAL_BUS) return ORACLE_CAUSE_INVALIDATION_LAG;
    switch (plan) {
    case ORACLE_PLAN_NONE_PATTERN: return ORACLE_CAUSE_TTL_ONLY;
    case ORACLE_PLAN_DONE_BEFORE: return ORACLE_CAUSE_STALE_FILL;
    case ORACLE_PLAN_FAILED_BEFORE: return ORACLE_CAUSE_INVALIDATION_FAILED;
    default: return ORACLE_CAUSE_INVALIDATION_LAG;
    }
}

static void commit_opens(oracle *o, copy_state *c, oracle_copy_kind kind,
                         uint32_t version, sim_time t, oracle_plan plan,
                         uint8_t path, key_history *h) {
    settle(o, c, t);
    oracle_cause cause = commit_cause(kind, plan);
    c->inval_pending = cause == ORACLE_CAUSE_INVALIDATION_LAG;
    if (c->present && !c->window && c->version < version) {
        open_window(c, t, cause, path);
        c->commit_window = 1;
        h->open_commit_windows++;
    }
}

void oracle_commit(oracle *o, uint32_t key, uint32_t version, sim_time t,
                   oracle_plan plan) {
    oracle_commit_path(o, key, version, t, plan, 0);
}

void oracle_commit_path(oracle *o, uint32_t key, uint32_t version, sim_time t,
                        oracle_plan plan, unsigned path) {
    SIM_CHECK(key < o->nkeys, "key %u", key);
    SIM_CHECK(path < ORACLE_MAX_PATHS, "path %u", path);
    if (o->failed) return;
    key_history *h = &o->keys[key].hist;
    SIM_CHECK(version == h->latest + 1, "key %u commits version %u after %u",
              key, version, h->latest);
    SIM_CHECK(h->latest == 0 || t >= h->latest_at,
              "key %u commit at %lld before previous", key, (long long)t);
    /* Expiries up to now happen before this commit (they may converge
     * earlier writes). */
    settle(o, &o->keys[key].cache, t);
    for (uint32_t n = o->head ? o->head[key] : NO_NODE; n != NO_NODE;
         n = o->nodes[n].next)
        settle(o, &o->nodes[n].st, t);
    /* Copies that hold every key exist from the key's first commit on,
     * up to date with the commits before this one. */
    if (o->has_always)
        for (uint32_t c = 2; c < o->ncopies; c++)
            if (always_present((oracle_copy_kind)o->kind[c]) &&
                !node_of(o, key, c, 1))
                return; /* out of memory: o->failed */
    if (h->latest == h->cap) {
        uint32_t cap = h->cap ? h->cap * 2 : 2;
        sim_time *p = cap > h->cap ? realloc(h->commit_at, cap * sizeof *p)
                                   : NULL;
        if (!p) {
            o->failed = 1;
            return;
        }
        h->commit_at = p;
        h->cap = cap;
    }
    h->commit_at[h->latest++] = t;
    h->latest_at = t;
    if (t >= o->warmup) {
        o->counts.commits++;
        if (o->nfam) o->fam[o->key_family[key]].counts.commits++;
    }

    commit_opens(o, &o->keys[key].cache, ORACLE_COPY_SHARED, version, t, plan,
                 (uint8_t)path, h);
    for (uint32_t n = o->head ? o->head[key] : NO_NODE; n != NO_NODE;
         n = o->nodes[n].next)
        commit_opens(o, &o->nodes[n].st,
                     (oracle_copy_kind)o->kind[o->nodes[n].copy], version, t,
                     plan, (uint8_t)path, h);
    if (h->open_commit_windows == 0) {
        /* No copy held an older value: reflected everywhere at once. */
        if (t >= o->warmup) converged(o, key, 0);
    } else if (h->pending_from == 0) {
        h->pending_from = version;
    }
}

void oracle_invalidation_failed(oracle *o, uint32_t key, uint32_t version,
                                sim_time t) {
    oracle_copy_invalidation_lost(o, key, ORACLE_CACHE, version, t,
                                  ORACLE_CAUSE_INVALIDATION_FAILED);
}

void oracle_copy_invalidation_lost(oracle *o, uint32_t key, uint32_t copy,
                                   uint32_t version, sim_time t,
                                   oracle_cause cause) {
    if (o->failed) return;
    copy_state *c = copy == ORACLE_CACHE ? &o->keys[key].cache
                                         : node_of(o, key, copy, 0);
    if (!c) return;
    settle(o, c, t);
    if (version == o->keys[key].hist.latest) c->inval_pending = 0;
    /* Only the invalidation of the commit that opened the window decides. */
    if (c->window && c->cause == ORACLE_CAUSE_INVALIDATION_LAG &&
        c->version + 1 == version)
        c->cause = (uint8_t)cause;
}

/* The cause a fill from copy `from` passes on: the cause of the stale
 * window `from` holds `version` in, if any. */
static int inherited_cause(oracle *o, uint32_t key, uint32_t from,
                           uint32_t version, sim_time t) {
    if (from == ORACLE_SOURCE) return -1;
    copy_state *f = from == ORACLE_CACHE ? &o->keys[key].cache
                                         : node_of(o, key, from, 0);
    if (!f) return -1;
    settle(o, f, t);
    if (f->window && f->version == version) return f->cause;
    oracle_copy_kind k = (oracle_copy_kind)o->kind[from];
    if (k == ORACLE_COPY_DB_BEHIND) return ORACLE_CAUSE_WRITE_BEHIND_LAG;
    if (k == ORACLE_COPY_REPLICA) return ORACLE_CAUSE_REPLICA_LAG;
    return -1;
}

void oracle_copy_set(oracle *o, uint32_t key, uint32_t copy, uint32_t version,
                     sim_time t, sim_time expires_at, oracle_set_kind kind) {
    oracle_copy_fill_from(o, key, copy, version, t, expires_at, kind,
                          ORACLE_SOURCE);
}

void oracle_copy_fill_from(oracle *o, uint32_t key, uint32_t copy,
                           uint32_t version, sim_time t, sim_time expires_at,
                           oracle_set_kind kind, uint32_t from) {
    if (o->failed) return;
    int inherited = inherited_cause(o, key, from, version, t);
    /* A superseded value taken from a marked copy carries its weight on. */
    double passed = 1;
    uint32_t passed_v = 0;
    uint64_t passed_event = 0;
    if (o->nmarks && from != ORACLE_SOURCE && inherited >= 0) {
        copy_state *f = from == ORACLE_CACHE ? &o->keys[key].cache
                                             : node_of(o, key, from, 0);
        fault_mark *m = oracle_mark_find(o, (uint64_t)key << 32 | from, 0);
        int overlap;
        if (f && m && f->window && f->version == version) {
            passed = oracle_mark_weight(o, key, from, f, version, t, &overlap);
            passed_v = m->v;
            passed_event = m->event;
        }
    }
    copy_state *c = copy_of(o, key, copy);
    if (!c) return; /* out of memory: o->failed */
    settle(o, c, t);
    /* An update that replaces a newer value is out of order. */
    int replaced_newer = c->present && c->version > version;
    uint32_t latest = o->keys[key].hist.latest;
    SIM_CHECK(version <= latest, "key %u set to version %u, latest %u", key,
              version, latest);
    SIM_CHECK(expires_at > t, "entry expires at %lld, set at %lld",
              (long long)expires_at, (long long)t);
    if (c->present && c->window && c->version != version)
        close_window(o, c, t, 0);
    c->present = 1;
    c->version = version;
    c->expires_at = expires_at;
    if (version == latest) c->inval_pending = 0; /* brought up to date */
    if (!c->window && version < latest) {
        oracle_copy_kind ck = (oracle_copy_kind)o->kind[copy];
        /* A superseded value stored while the newer commit's invalidation is
         * still on its way will be removed by it: invalidation-lag (or
         * -failed, if that invalidation is lost). */
        oracle_cause cause =
            always_present(ck)                     ? commit_cause(ck, ORACLE_PLAN_PENDING)
            : kind == ORACLE_SET_UPDATE && replaced_newer ? ORACLE_CAUSE_OUT_OF_ORDER_UPDATE
            : inherited >= 0                       ? (oracle_cause)inherited
            : c->inval_pending                     ? ORACLE_CAUSE_INVALIDATION_LAG
            : kind == ORACLE_SET_FILL                     ? ORACLE_CAUSE_STALE_FILL
            : kind == ORACLE_SET_REFRESH                  ? ORACLE_CAUSE_REFRESH_RACE
                                                   : ORACLE_CAUSE_OUT_OF_ORDER_UPDATE;
        open_window(c, t, cause, 0);
        if (passed != 1)
            oracle_mark_set(o, key, copy, c, passed_v, t, passed,
                            passed_event);
    }
}

void oracle_copy_remove(oracle *o, uint32_t key, uint32_t copy, sim_time t) {
    if (o->failed) return;
    copy_state *c = copy == ORACLE_CACHE ? copy_of(o, key, copy)
                                         : node_of(o, key, copy, 0);
    if (!c) return;
    settle(o, c, t);
    if (c->present && c->window) close_window(o, c, t, 0);
    c->present = 0;
    c->inval_pending = 0; /* a removal after the commit is its invalidation */
}

/* ---- read-your-writes ---------------------------------------------------- */

static ack_slot *ack_find(oracle *o, uint64_t id, int insert) {
    size_t mask = o->acks_cap - 1;
    for (size_t i = oracle_mix64(id) & mask;; i = (i + 1) & mask) {
        if (o->acks[i].id == id) return &o->acks[i];
        if (o->acks[i].id == ACK_EMPTY) {
            if (!insert) return NULL;
            o->acks[i].id = id;
            o->acks[i].ack_new = o->acks[i].ack_old = SIM_TIME_MAX;
            o->acks[i].ver_new = o->acks[i].ver_old = 0;
            o->nacks++;
            return &o->acks[i];
        }
    }
}

/* Doubles the acknowledgement table; -1 (nothing changed) on ENOMEM. */
static int ack_grow(oracle *o) {
    ack_slot *old = o->acks;
    size_t old_cap = o->acks_cap;
    ack_slot *n = malloc(2 * old_cap * sizeof *n);
    if (!n) return -1;
    o->acks = n;
    o->acks_cap = 2 * old_cap;
    for (size_t i = 0; i < o->acks_cap; i++) n[i].id = ACK_EMPTY;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].id != ACK_EMPTY) *ack_find(o, old[i].id, 1) = old[i];
    free(old);
    return 0;
}

void oracle_ack(oracle *o, uint32_t client, uint32_t key, uint32_t version,
                sim_time t) {
    if (o->failed) return;
    if ((o->nacks + 1) * 4 > o->acks_cap * 3 && ack_grow(o) != 0) {
        o->failed = 1;
        return;
    }
    ack_slot *a = ack_find(o, (uint64_t)client << 32 | key, 1);
    if (version <= a->ver_new) return; /* an older write acked late */
    a->ver_old = a->ver_new;
    a->ack_old = a->ack_new;
    a->ver_new = version;
    a->ack_new = t;
}

/* The highest version client's write of key acknowledged at or before s. */
static uint32_t acked_by(oracle *o, uint32_t client, uint32_t key, sim_time s) {
    ack_slot *a = ack_find(o, (uint64_t)client << 32 | key, 0);
    if (!a) return 0;
    if (a->ack_new <= s) return a->ver_new;
    if (a->ack_old <= s) return a->ver_old;
    return 0;
}

/* ---- reads ----------------------------------------------------------------- */

oracle_verdict_kind oracle_judge(sim_time invoked, sim_time answered,
                                 sim_time next_lo, sim_time next_hi,
                                 sim_time *age_min, sim_time *age_max) {
    SIM_CHECK(next_lo <= next_hi, "commit interval [%lld, %lld]",
              (long long)next_lo, (long long)next_hi);
    if (next_hi <= invoked) {
        *age_min = invoked - next_hi;
        *age_max = invoked - next_lo;
        return ORACLE_VERDICT_STALE;
    }
    return next_lo <= answered ? ORACLE_VERDICT_CONCURRENT : ORACLE_VERDICT_FRESH;
}

oracle_copy_kind oracle_copy_kind_of(const oracle *o, uint32_t copy) {
    SIM_CHECK(copy < o->ncopies, "copy %u of %u", copy, o->ncopies);
    if (copy == ORACLE_SOURCE) return ORACLE_COPY_SOURCE;
    if (copy == ORACLE_CACHE) return ORACLE_COPY_SHARED;
    return (oracle_copy_kind)o->kind[copy];
}

uint32_t oracle_copy_rank(const oracle *o, uint32_t copy) {
    oracle_copy_kind k = oracle_copy_kind_of(o, copy);
    if (copy <= ORACLE_CACHE) return 0;
    uint32_t rank = 0;
    for (uint32_t c = 2; c < copy; c++) rank += o->kind[c] == k;
    return rank;
}

oracle_verdict oracle_read(oracle *o, uint32_t key, uint32_t client,
                           sim_time invoked, sim_time answered,
                           uint32_t version, uint32_t copy) {
    return oracle_read_lr(o, key, client, invoked, answered, version, copy, 1);
}

oracle_verdict oracle_read_lr(oracle *o, uint32_t key, uint32_t client,
                              sim_time invoked, sim_time answered,
                              uint32_t version, uint32_t copy, double lr) {
    SIM_CHECK(key < o->nkeys, "key %u", key);
    SIM_CHECK(answered >= invoked, "answered %lld before invoked %lld",
              (long long)answered, (long long)invoked);
    key_history *h = &o->keys[key].hist;
    SIM_CHECK(version <= h->latest, "key %u read version %u, latest %u", key,
              version, h->latest);
    oracle_verdict v = {ORACLE_VERDICT_FRESH, 0, 0, 0, ORACLE_CAUSE_TTL_ONLY};
    if (o->failed) return v; /* nothing is counted any more */
    int counted = invoked >= o->warmup;
    sim_time superseded = /* commit of version+1 */
        version < h->latest ? commit_time(h, version + 1) : SIM_TIME_MAX;
    sim_time age_max = 0;
    v.kind = oracle_judge(invoked, answered, superseded, superseded, &v.age,
                          &age_max);
    if (v.kind == ORACLE_VERDICT_STALE) {
        uint32_t at_s = h->latest;
        while (at_s > version + 1 && h->commit_at[at_s - 1] > invoked) at_s--;
        v.lag = at_s - version;
        v.ryw_violation = acked_by(o, client, key, invoked) > version;
    }
    if (!counted) {
        /* A stale read before warm-up still belongs to its window, but is not
         * counted; nothing else to do. */
        return v;
    }
    o->counts.reads++;
    sim_time value_at = version ? commit_time(h, version) : 0;
    sim_time value_age = invoked > value_at ? invoked - value_at : 0;
    sim_hist_add(&o->value_age, value_age);
    oracle_family *fam = o->nfam ? &o->fam[o->key_family[key]] : NULL;
    if (fam) {
        fam->counts.reads++;
        sim_hist_add(&fam->value_age, value_age);
        fam->counts.fresh += (uint64_t)(v.kind == ORACLE_VERDICT_FRESH);
        fam->counts.concurrent += (uint64_t)(v.kind == ORACLE_VERDICT_CONCURRENT);
        if (v.kind == ORACLE_VERDICT_STALE) {
            fam->counts.stale++;
            fam->counts.ryw_violations += (uint64_t)v.ryw_violation;
            fam->counts.over_bound += (uint64_t)(v.age > fam->bound);
            sim_hist_add(&fam->stale_age, v.age);
        }
    }
    if (v.kind == ORACLE_VERDICT_FRESH) {
        o->counts.fresh++;
    } else if (v.kind == ORACLE_VERDICT_CONCURRENT) {
        o->counts.concurrent++;
    } else {
        o->counts.stale++;
        o->counts.ryw_violations += (uint64_t)v.ryw_violation;
        o->counts.over_bound += (uint64_t)(v.age > o->bound);
        sim_hist_add(&o->stale_age, v.age);
        SIM_CHECK(copy != ORACLE_SOURCE,
                  "key %u: the source of truth served stale version %u", key,
                  version);
        copy_state *c = copy_of(o, key, copy);
        if (!c) return v; /* out of memory: o->failed */
        settle(o, c, answered);
        int over = v.age > o->bound, fover = fam && v.age > fam->bound;
        int overlap = 0;
        double wt = c->window && c->version == version
                        ? oracle_mark_weight(o, key, copy, c, version, answered,
                                      &overlap)
                        : 1;
        wt *= lr;
        o->counts.stale_w += wt;
        o->counts.stale_w2 += wt * wt;
        o->counts.over_bound_w += over ? wt : 0;
        o->counts.weighted_stale += (uint64_t)(wt != 1);
        o->counts.overlap_stale += (uint64_t)overlap;
        if (fam) {
            fam->counts.stale_w += wt;
            fam->counts.stale_w2 += wt * wt;
            fam->counts.over_bound_w += fover ? wt : 0;
            fam->counts.weighted_stale += (uint64_t)(wt != 1);
            fam->counts.overlap_stale += (uint64_t)overlap;
        }
        if (c->window && c->version == version) {
            c->window_reads++; /* attributed when the window closes */
            if (over || fover) over_add(o, c, over, fover);
            v.cause = (oracle_cause)c->cause;
        } else {
            /* The copy changed between the read's effect and its answer: the
             * window it came from has closed and its cause is final. */
            o->counts.stale_by_cause[c->last_cause]++;
            o->counts.stale_by_path[c->last_path]++;
            o->counts.over_bound_by_cause[c->last_cause] += (uint64_t)over;
            if (fam) {
                fam->counts.stale_by_cause[c->last_cause]++;
                fam->counts.stale_by_path[c->last_path]++;
                fam->counts.over_bound_by_cause[c->last_cause] +=
                    (uint64_t)fover;
            }
            v.cause = (oracle_cause)c->last_cause;
        }
    }
    return v;
}

void oracle_finish(oracle *o, sim_time end) {
    SIM_CHECK(!o->finished, "oracle finished twice");
    o->finished = 1;
    for (uint32_t k = 0; k < o->nkeys; k++) {
        copy_state *c = &o->keys[k].cache;
        settle(o, c, end);
        if (c->window) close_window(o, c, end, 1);
    }
    for (uint32_t n = 0; n < o->nnodes; n++) {
        copy_state *c = &o->nodes[n].st;
        settle(o, c, end);
        if (c->window) close_window(o, c, end, 1);
    }
}

uint32_t oracle_latest(const oracle *o, uint32_t key) {
    return o->keys[key].hist.latest;
}

sim_time oracle_commit_time(const oracle *o, uint32_t key, uint32_t version) {
    SIM_CHECK(version >= 1 && version <= o->keys[key].hist.latest,
              "key %u version %u", key, version);
    return commit_time(&o->keys[key].hist, version);
}

void oracle_prefetch(const oracle *o, uint32_t key) {
    if (key < o->nkeys) __builtin_prefetch(&o->keys[key]); /* one line */
}

const oracle_counts *oracle_get_counts(const oracle *o) { return &o->counts; }
const sim_hist *oracle_stale_age(const oracle *o) { return &o->stale_age; }
const sim_hist *oracle_value_age(const oracle *o) { return &o->value_age; }

const sim_hist *oracle_convergence(const oracle *o) {
    return &o->convergence;
}

const sim_hist *oracle_stale_window(const oracle *o) {
    return &o->stale_window;
}
const sim_tally *oracle_censored_window(const oracle *o) {
    return &o->censored;
}
