/* An in-memory SQLite VFS for the database fuzz harness (fuzz_db): the
 * mutated database is read by SQLite from the harness's buffer, not from a
 * file, so an input costs no system call per statement (SQLite locks,
 * checks for a hot journal and re-reads the header around every statement
 * of a reader; on this machine those system calls were about 40% of the
 * harness's time).  Everything above the VFS, SQLite's pager, b-tree and
 * query engine and all of stalesim's reader code, runs unchanged.
 *
 * Not thread-safe; for the fuzz harnesses only. */
#ifndef STALESIM_TESTS_FUZZ_MEMVFS_H
#define STALESIM_TESTS_FUZZ_MEMVFS_H

#include <stddef.h>

#include <sqlite3.h>

/* Makes `path` (absolute, as the reader will name it) a database file of
 * the bytes data[0..size-1] held in memory, and the VFS the default, so
 * that sqlite3_open_v2(path) reads it from there; its -journal and -wal
 * live in memory too.  Other names still go to the previous default VFS.
 * Returns 0, or -1 (out of memory, path too long). */
int memvfs_put(const char *path, const void *data, size_t size);

/* Frees the files and restores the previous default VFS. */
void memvfs_clear(void);

#endif
