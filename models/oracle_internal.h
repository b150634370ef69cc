/* What the oracle's files share (models/oracle.c, models/oracle_marks.c):
 * the oracle's state and the helpers they call across files.  Nothing
 * outside models/oracle*.c includes it. */
#ifndef STALESIM_MODELS_ORACLE_INTERNAL_H
#define STALESIM_MODELS_ORACLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "models/oracle.h"

typedef struct key_history {
    sim_time *commit_at; /* commit_at[i]: commit time of version i+1, ns */
    sim_time latest_at;  /* ns: commit_at[latest-1], 0 before the first: read
                            without chasing commit_at */
    uint32_t latest;     /* latest committed version */
    uint32_t cap;        /* slots in commit_at */
    uint32_t pending_from; /* first write not yet reflected by every copy
                              (0: all converged) */
    uint32_t open_commit_windows; /* windows commits opened, still open */
} key_history;

typedef struct copy_state {
    sim_time expires_at;   /* ns; SIM_TIME_MAX = never; valid when present */
    sim_time window_at;    /* ns; when the open window opened */
    uint32_t version;      /* held version, valid when present */
    uint32_t window_reads; /* stale reads served from the open window */
    uint8_t cause;         /* oracle_cause of the open window */
    uint8_t last_cause;    /* cause of the last closed window */
    uint8_t path;          /* write path of the commit that opened it */
    uint8_t last_path;
    uint8_t family;        /* key family of its key (oracle_set_families) */
    unsigned present : 1;
    unsigned window : 1;        /* 1 while a stale window is open */
    unsigned inval_pending : 1; /* the latest commit's invalidation of this
                                   copy is on its way (present or not) */
    unsigned commit_window : 1; /* the open window was opened by a commit */
} copy_state;

/* What the oracle keeps per key, in one 64-byte record (64-byte aligned:
 * sim_big_calloc), so that the facts about a key touch one cache line. */
typedef struct key_state {
    key_history hist;
    copy_state cache; /* the shared cache copy */
} key_state;
_Static_assert(sizeof(key_history) == 32 && sizeof(copy_state) == 32 &&
                   sizeof(key_state) == 64,
               "an oracle key record is one 64-byte cache line");
_Static_assert(ORACLE_CAUSE_COUNT <= 256 && ORACLE_MAX_FAMILIES <= 256, "bytes");

/* Commit time of version v of a key (1 <= v <= latest), ns. */
static inline sim_time commit_time(const key_history *h, uint32_t v) {
    return v == h->latest ? h->latest_at : h->commit_at[v - 1];
}

/* A copy other than the shared cache, kept per key in a singly linked list
 * of pool nodes (only keys that have such copies use any memory). */
typedef struct copy_node {
    copy_state st;
    uint32_t copy; /* copy id */
    uint32_t next; /* pool index of the next node of this key; NO_NODE ends */
    uint32_t key;
} copy_node;
#define NO_NODE UINT32_MAX

/* Read-your-writes: the last two acknowledged versions of (client, key). */
typedef struct ack_slot {
    uint64_t id; /* client << 32 | key; ACK_EMPTY when free */
    uint32_t ver_new, ver_old;
    sim_time ack_new, ack_old; /* ns; ack_old = SIM_TIME_MAX when none */
} ack_slot;
#define ACK_EMPTY UINT64_MAX

/* Over-bound reads served from a window still open, by (key, copy id): the
 * window's cause is final only when it closes, so they are attributed then.
 * Only windows that served such a read have a slot: no per-key memory. */
typedef struct over_slot {
    uint64_t id;          /* key << 32 | copy id; ACK_EMPTY when free */
    uint32_t total, fam;  /* over the scenario's bound / the family's bound */
} over_slot;

/* A boosted fault's mark on (key, copy id) (oracle_fault_mark): reads of
 * versions < v served at or after `from` weigh w; the mark it replaced while
 * that one still held is kept as prev (reads between the two instants). */
typedef struct fault_mark {
    uint64_t id;            /* key << 32 | copy id; ACK_EMPTY when free */
    sim_time from, prev_from; /* ns */
    double w, prev_w;       /* likelihood ratios (products when chained) */
    uint32_t v, prev_v;     /* commits whose invalidation was lost; prev_v
                               0: no previous mark */
    uint8_t overlap, prev_overlap; /* chained across different commits */
    uint64_t event;         /* the Poisson event of the latest mark
                               (oracle_fault_mark_event); 0: a draw's */
} fault_mark;

struct oracle {
    uint32_t nkeys;
    sim_time warmup; /* ns */
    sim_time bound;  /* ns: stale reads older than this count as over_bound */
    key_state *keys;    /* [nkeys]: commit history and shared cache copy */
    uint8_t kind[ORACLE_MAX_COPIES]; /* oracle_copy_kind by copy id */
    uint32_t ncopies;         /* ids 0 .. ncopies-1 are in use */
    int has_always;           /* some copy kind is always present */
    uint32_t *head;           /* [nkeys] first node, or NO_NODE; lazily */
    copy_node *nodes;
    uint32_t nnodes, nodes_cap;
    ack_slot *acks;
    size_t nacks, acks_cap; /* acks_cap is a power of two */
    over_slot *over;        /* [over_cap], NULL until the first one */
    size_t nover, over_cap; /* over_cap is a power of two */
    fault_mark *marks;       /* [marks_cap], NULL until the first mark */
    size_t nmarks, marks_cap; /* marks_cap is a power of two */
    oracle_counts counts;
    sim_hist stale_age;
    sim_hist stale_window;
    sim_hist convergence; /* per write: commit -> reflected by every copy */
    sim_hist value_age;   /* per read: invoked -> commit of the value read */
    sim_tally censored;
    int finished;
    int failed; /* memory ran out: facts since are ignored (oracle_failed) */
    /* Key families (oracle_set_families): counted apart as well. */
    int nfam;                 /* 0: none */
    uint8_t *key_family;      /* [nkeys] when nfam > 0 */
    oracle_family *fam;       /* [nfam] */
};

/* A 64-bit mixer for the open-addressed tables (acks, over-bound, marks). */
static inline uint64_t oracle_mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* Applies an expiry of copy state c that happened at or before t (closing
 * its window at the expiry). */
void oracle_settle(oracle *o, copy_state *c, sim_time t);
/* The state of (key, copy), or NULL when that copy never held the key
 * (created for neither). */
copy_state *oracle_copy_state(oracle *o, uint32_t key, uint32_t copy);

/* ---- importance-sampling marks (models/oracle_marks.c) ---- */

/* The mark of id (key << 32 | copy id), or NULL; inserted (zeroed) when
 * `insert` (the caller reserved room first: oracle_mark_set does). */
fault_mark *oracle_mark_find(oracle *o, uint64_t id, int insert);
/* The weight of a stale read of `version` served at t from copy state c
 * (whose open window holds it) of (key, copy); *overlap set when the weight
 * chains faults of different commits. */
double oracle_mark_weight(oracle *o, uint32_t key, uint32_t copy,
                          const copy_state *c, uint32_t version, sim_time t,
                          int *overlap);
/* Sets the mark of (key, copy) for `event` (0: a fault draw's); c is the
 * copy's state (NULL: none yet). */
void oracle_mark_set(oracle *o, uint32_t key, uint32_t copy,
                     const copy_state *c, uint32_t version, sim_time from,
                     double lr, uint64_t event);

#endif
