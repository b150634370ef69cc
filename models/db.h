/* The database: the source of truth, one integer version per key.
 *
 * A DB-first write's commit is db_commit at the instant the write takes effect;
 * a DB read returns the version at the instant it takes effect.  Latencies are
 * drawn by the pattern.  4 bytes per key. */
#ifndef STALESIM_MODELS_DB_H
#define STALESIM_MODELS_DB_H

#include <stdint.h>

typedef struct db db;

/* Every key starts at version 0.  Returns NULL if memory is exhausted. */
db *db_create(uint32_t nkeys);
void db_destroy(db *d);

/* The version a read taking effect now returns. */
uint32_t db_read(const db *d, uint32_t key);

/* Write-behind: a flushed write lands; the DB moves to `version` if that is
 * newer.  Returns 1 if it moved. */
int db_apply(db *d, uint32_t key, uint32_t version);

/* Commits the next version of key and returns it. */
uint32_t db_commit(db *d, uint32_t key);

/* A hint that key is about to be used (performance only). */
void db_prefetch(const db *d, uint32_t key);

#endif
