/* The pattern table: every caching pattern is one row.
 *
 * A pattern is a request state machine.  on_read / on_write start a request
 * that the world has just created; on_step continues it when an event the
 * pattern scheduled (world_after) or a response (world_respond) arrives.  A
 * pattern finishes every request exactly once, with world_finish_read or
 * world_finish_write, or abandons it with world_abandon (a crashed writer).
 * Step numbers are private to each pattern.  Adding a pattern is one file and
 * one row in pattern.c; the kernel and the oracle do not change. */
#ifndef STALESIM_MODELS_PATTERN_H
#define STALESIM_MODELS_PATTERN_H

#include <stddef.h>
#include <stdint.h>

typedef struct world world;

typedef struct pattern_ops {
    const char *name;
    const char *summary; /* one line for --help and the README */
    void (*on_read)(world *w, uint32_t rq);
    void (*on_write)(world *w, uint32_t rq);
    void (*on_step)(world *w, uint32_t rq, uint32_t step);
} pattern_ops;

extern const pattern_ops pattern_none;
extern const pattern_ops pattern_ttl_only;
extern const pattern_ops pattern_cache_aside;
extern const pattern_ops pattern_read_through;
extern const pattern_ops pattern_write_through;
extern const pattern_ops pattern_write_behind;

/* The row named `name`, or NULL. */
const pattern_ops *pattern_find(const char *name);
/* Writes "none, ttl-only, ..." into buf. */
void pattern_list(char *buf, size_t len);
size_t pattern_count(void);
const pattern_ops *pattern_at(size_t i);

#endif
