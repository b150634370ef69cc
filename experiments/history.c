/* History writer: see history.h.  Writes in flight are kept in invocation
 * order (an array; their number is bounded by the clients); completed
 * operations wait in a binary min-heap on (position, writes first, arrival)
 * until no write in flight was invoked before them. */
#include "experiments/history.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/output.h"
#include "models/oracle.h"

/* One operation, complete or in flight. */
typedef struct hop {
    sim_time position; /* ns: complete (reads) or invoke (writes) */
    uint64_t seq;      /* arrival order, ties */
    uint64_t request;
    sim_time invoke, complete, committed; /* ns; -1: none */
    uint32_t key, process, version;
    uint8_t is_write, has_version;
    uint8_t status;                 /* enum status */
    uint8_t from_kind, verdict, cause;
    uint32_t from_rank;
} hop;

enum status { ST_OK, ST_FAIL, ST_CRASHED, ST_PENDING };
static const char *const status_name[] = {"ok", "fail", "crashed", "pending"};

struct history_writer {
    FILE *out;
    const scenario *sc;
    const char *source;
    int header_done;
    int failed; /* memory ran out: the history is incomplete */
    uint64_t seq;
    hop *fly; /* writes in flight, in invocation order */
    size_t nfly, capfly;
    hop *heap; /* completed operations waiting for their turn */
    size_t nheap, capheap;
};

history_writer *history_writer_create(FILE *out, const scenario *sc,
                                      const char *source) {
    history_writer *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->out = out;
    h->sc = sc;
    h->source = source;
    return h;
}

void history_writer_destroy(history_writer *h) {
    if (!h) return;
    free(h->fly);
    free(h->heap);
    free(h);
}

/* a before b in the file? */
static int before(const hop *a, const hop *b) {
    if (a->position != b->position) return a->position < b->position;
    if (a->is_write != b->is_write) return a->is_write;
    return a->seq < b->seq;
}

static void heap_push(history_writer *h, const hop *op) {
    if (h->nheap == h->capheap) {
        size_t cap = h->capheap ? 2 * h->capheap : 256;
        hop *p = realloc(h->heap, cap * sizeof *p);
        if (!p) {
            h->failed = 1;
            return;
        }
        h->heap = p;
        h->capheap = cap;
    }
    size_t i = h->nheap++;
    h->heap[i] = *op;
    while (i > 0 && before(&h->heap[i], &h->heap[(i - 1) / 2])) {
        hop t = h->heap[i];
        h->heap[i] = h->heap[(i - 1) / 2];
        h->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static void heap_pop(history_writer *h) {
    h->heap[0] = h->heap[--h->nheap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->nheap && before(&h->heap[l], &h->heap[m])) m = l;
        if (r < h->nheap && before(&h->heap[r], &h->heap[m])) m = r;
        if (m == i) break;
        hop t = h->heap[i];
        h->heap[i] = h->heap[m];
        h->heap[m] = t;
        i = m;
    }
}

static void write_header(history_writer *h) {
    FILE *f = h->out;
    fputs("{\"stalesim_history\": 1, \"source\": ", f);
    output_json_string(f, h->source);
    fputs(", \"scenario\": ", f);
    output_json_string(f, h->sc->path ? h->sc->path : "");
    fprintf(f, ", \"seed\": %llu, \"replication\": 0",
            (unsigned long long)h->sc->run.seed);
    if (!h->sc->run.warmup_auto)
        fprintf(f, ", \"warmup_ns\": %lld", (long long)h->sc->run.warmup);
    fprintf(f, ", \"end_ns\": %lld}\n", (long long)h->sc->run.duration);
    h->header_done = 1;
}

static void from_name(const hop *op, char *buf, size_t n) {
    switch ((oracle_copy_kind)op->from_kind) {
    case ORACLE_COPY_SOURCE: snprintf(buf, n, "db"); break;
    case ORACLE_COPY_SHARED: snprintf(buf, n, "cache"); break;
    case ORACLE_COPY_LOCAL:
    case ORACLE_COPY_LOCAL_BUS: snprintf(buf, n, "local.%u", op->from_rank); break;
    case ORACLE_COPY_DB_BEHIND: snprintf(buf, n, "db-behind"); break;
    case ORACLE_COPY_REPLICA: snprintf(buf, n, "replica.%u", op->from_rank); break;
    default: snprintf(buf, n, "copy.%u", op->from_rank); break;
    }
}

static void write_op(history_writer *h, const hop *op) {
    static const char *const verdicts[] = {"fresh", "concurrent", "stale"};
    FILE *f = h->out;
    if (!h->header_done) write_header(h);
    fprintf(f,
            "{\"process\": %u, \"request\": %llu, \"key\": %u, \"op\": \"%s\", "
            "\"value\": ",
            op->process, (unsigned long long)op->request, op->key,
            op->is_write ? "write" : "read");
    if (op->has_version)
        fprintf(f, "%u", op->version);
    else
        fputs("null", f);
    fprintf(f, ", \"invoke_ns\": %lld, \"complete_ns\": ", (long long)op->invoke);
    if (op->complete >= 0)
        fprintf(f, "%lld", (long long)op->complete);
    else
        fputs("null", f);
    fprintf(f, ", \"status\": \"%s\"", status_name[op->status]);
    if (op->is_write && op->committed >= 0)
        fprintf(f, ", \"committed_ns\": %lld", (long long)op->committed);
    if (!op->is_write && op->status == ST_OK) {
        char from[32];
        from_name(op, from, sizeof from);
        fprintf(f, ", \"from\": \"%s\", \"verdict\": \"%s\"", from,
                verdicts[op->verdict]);
        if (op->verdict == ORACLE_VERDICT_STALE)
            fprintf(f, ", \"cause\": \"%s\"",
                    oracle_cause_name((oracle_cause)op->cause));
    }
    fputs("}\n", f);
}

/* Writes every held operation that no write in flight can precede. */
static void drain(history_writer *h) {
    while (h->nheap > 0 &&
           (h->nfly == 0 || h->heap[0].position < h->fly[0].position)) {
        write_op(h, &h->heap[0]);
        heap_pop(h);
    }
}

static hop *find_fly(history_writer *h, uint64_t serial) {
    for (size_t i = 0; i < h->nfly; i++)
        if (h->fly[i].request == serial) return &h->fly[i];
    return NULL;
}

/* Moves in-flight write `op` (a pointer into fly) to the heap as `status`. */
static void land(history_writer *h, hop *op, enum status status,
                 sim_time complete) {
    op->status = (uint8_t)status;
    op->complete = complete;
    heap_push(h, op);
    size_t i = (size_t)(op - h->fly);
    memmove(&h->fly[i], &h->fly[i + 1], (h->nfly - i - 1) * sizeof *h->fly);
    h->nfly--;
}

void history_writer_trace(void *ctx, const trace_rec *r) {
    history_writer *h = ctx;
    hop op, *w;
    switch ((trace_op)r->op) {
    case TRACE_WRITE:
        if (h->nfly == h->capfly) {
            size_t cap = h->capfly ? 2 * h->capfly : 64;
            hop *p = realloc(h->fly, cap * sizeof *p);
            if (!p) {
                h->failed = 1;
                return;
            }
            h->fly = p;
            h->capfly = cap;
        }
        memset(&op, 0, sizeof op);
        op.position = op.invoke = r->invoked;
        op.seq = h->seq++;
        op.request = r->request;
        op.complete = op.committed = -1;
        op.key = r->key;
        op.process = r->client;
        op.is_write = 1;
        op.status = ST_PENDING;
        h->fly[h->nfly++] = op;
        return;
    case TRACE_COMMIT:
        if (r->request && (w = find_fly(h, r->request))) {
            w->committed = r->t;
            w->version = r->version;
            w->has_version = 1;
        }
        return;
    case TRACE_WRITE_DONE:
    case TRACE_CRASH:
        if (!(w = find_fly(h, r->request))) return;
        if (r->op == TRACE_WRITE_DONE)
            land(h, w, ST_OK, r->t);
        else
            land(h, w, ST_CRASHED, -1);
        break;
    case TRACE_READ_DONE:
    case TRACE_READ_FAILED:
        memset(&op, 0, sizeof op);
        op.position = op.complete = r->t;
        op.seq = h->seq++;
        op.request = r->request;
        op.invoke = r->invoked;
        op.committed = -1;
        op.key = r->key;
        op.process = r->client;
        op.status = r->op == TRACE_READ_DONE ? ST_OK : ST_FAIL;
        op.has_version = r->op == TRACE_READ_DONE;
        op.version = r->version;
        op.from_kind = r->from_kind;
        op.from_rank = r->from_rank;
        op.verdict = r->verdict;
        op.cause = r->cause;
        heap_push(h, &op);
        break;
    default:
        return;
    }
    drain(h);
}

int history_writer_finish(history_writer *h) {
    while (h->nfly > 0) land(h, &h->fly[0], ST_PENDING, -1);
    drain(h);
    if (!h->header_done) write_header(h);
    return h->failed || ferror(h->out) ? -1 : 0;
}
