/* Trace record names. */
#include "models/trace.h"

static const char *const names[TRACE_OP_COUNT] = {
    "read",    "write",         "hit",         "miss",       "db-read",
    "fill",    "fill-failed",   "commit",      "del",        "del-failed",
    "del-timeout", "del-late",  "update",      "update-failed", "crash",
    "read-done", "write-done", "read-failed"};

const char *trace_op_name(trace_op op) {
    return (unsigned)op < TRACE_OP_COUNT ? names[op] : "?";
}
