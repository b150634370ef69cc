/* Trace record names. */
#include "models/trace.h"

#include <stdio.h>

#include "models/oracle.h"

static const char *const names[TRACE_OP_COUNT] = {
    "read",    "write",         "hit",         "miss",       "db-read",
    "fill",    "fill-failed",   "commit",      "del",        "del-failed",
    "del-timeout", "del-late",  "update",      "update-failed", "crash",
    "read-done", "write-done", "read-failed",
    "local-hit", "local-miss", "local-fill", "local-drop", "local-restart",
    "bus-publish", "bus-deliver", "bus-lost", "bus-missed",
    "replica-apply", "flush-apply", "cache-emptied", "evicted", "set-refused"};

const char *trace_op_name(trace_op op) {
    return (unsigned)op < TRACE_OP_COUNT ? names[op] : "?";
}

void trace_copy_name(const trace_rec *r, char *buf, size_t len) {
    switch ((oracle_copy_kind)r->from_kind) {
    case ORACLE_COPY_SOURCE: snprintf(buf, len, "db"); break;
    case ORACLE_COPY_SHARED: snprintf(buf, len, "cache"); break;
    case ORACLE_COPY_LOCAL:
    case ORACLE_COPY_LOCAL_BUS: snprintf(buf, len, "local.%u", r->from_rank); break;
    case ORACLE_COPY_DB_BEHIND: snprintf(buf, len, "db-behind"); break;
    case ORACLE_COPY_REPLICA: snprintf(buf, len, "replica.%u", r->from_rank); break;
    default: snprintf(buf, len, "copy.%u", r->from_rank); break;
    }
}

void trace_copy_text(const trace_rec *r, char *buf, size_t len) {
    switch ((oracle_copy_kind)r->from_kind) {
    case ORACLE_COPY_SOURCE: snprintf(buf, len, "the DB"); break;
    case ORACLE_COPY_SHARED: snprintf(buf, len, "the shared cache"); break;
    case ORACLE_COPY_LOCAL:
    case ORACLE_COPY_LOCAL_BUS:
        snprintf(buf, len, "instance %u's local cache", r->from_rank);
        break;
    case ORACLE_COPY_DB_BEHIND:
        snprintf(buf, len, "the DB behind the write-behind cache");
        break;
    case ORACLE_COPY_REPLICA: snprintf(buf, len, "replica %u", r->from_rank); break;
    default: snprintf(buf, len, "copy %u", r->from_rank); break;
    }
}
