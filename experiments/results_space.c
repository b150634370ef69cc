/* Room to grow (results.h, "Space"): a full disk or a file size limit
 * (RLIMIT_FSIZE, `ulimit -f`) met by a results database opened for writing.
 *
 * Two writes can meet it: appending a transaction to the WAL (the commit
 * fails, SQLite rolls it back, the error reaches the caller at once) and a
 * checkpoint copying the WAL into the database file.  SQLite's own
 * automatic checkpoint runs after a commit and ignores its failure: the
 * pages stay in the WAL, the commit reports success and the WAL grows on
 * until it meets the limit too, or the command ends with exit 0 and a
 * database file that cannot take its WAL.  So a writing connection
 * checkpoints through its own WAL hook, every RESULTS_CHECKPOINT_PAGES pages
 * (PASSIVE, what SQLite's automatic checkpoint does), and keeps the first
 * failure; from then on a commit hook turns every commit into a rollback,
 * so nothing more is written, and every error names that failure.  The
 * runs committed before it are whole, in the database file and its WAL;
 * the next connection with room folds the WAL in.
 *
 * The reason is named from what the system says: a finite RLIMIT_FSIZE
 * that the database or its WAL has reached (within one page and a frame
 * header, the largest single write SQLite makes to them), SQLITE_FULL or
 * ENOSPC for a full disk, EDQUOT for a quota. */
#include "experiments/results.h"
#include "experiments/results_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

/* Pages in the WAL that start a checkpoint: 256 of 4 KiB, 1 MiB (SQLite's
 * automatic checkpoint waits for 1000).  At most that much of the
 * committed runs lives only in the WAL when the database file stops
 * growing; one more fsync of the file per MiB is nothing next to a run's. */
#define RESULTS_CHECKPOINT_PAGES 256

/* The largest write SQLite makes to the database file or the WAL: one page
 * (at most 64 KiB) and a WAL frame header. */
#define RESULTS_LARGEST_WRITE (65536 + 24)

#define CHECKPOINTING                                                         \
    "checkpointing: copying committed runs from the WAL into the database "  \
    "file"

static long long file_size(const char *path, const char *suffix) {
    char p[4096];
    snprintf(p, sizeof p, "%s%s", path, suffix);
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

/* Why a write with SQLite's `code` and the system's `sys_errno` failed,
 * into buf, when it is lack of room; 0 (buf untouched) otherwise. */
static int space_reason(const results *r, int code, int sys_errno, char *buf,
                        size_t len) {
    int primary = code & 0xff;
    if (primary != SQLITE_FULL && primary != SQLITE_IOERR) return 0;
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        long long big = file_size(r->path, "");
        long long wal = file_size(r->path, "-wal");
        if (wal > big) big = wal;
        if (sys_errno == EFBIG ||
            big + RESULTS_LARGEST_WRITE > (long long)rl.rlim_cur) {
            snprintf(buf, len, "file too large: the file size limit (ulimit "
                     "-f) is %llu bytes", (unsigned long long)rl.rlim_cur);
            return 1;
        }
    }
    if (primary == SQLITE_FULL || sys_errno == ENOSPC) {
        snprintf(buf, len, "the disk is full (SQLITE_FULL)");
        return 1;
    }
    if (sys_errno == EFBIG) {
        snprintf(buf, len, "file too large (EFBIG)");
        return 1;
    }
#ifdef EDQUOT
    if (sys_errno == EDQUOT) {
        snprintf(buf, len, "the disk quota is exhausted (EDQUOT)");
        return 1;
    }
#endif
    return 0;
}

/* Records the connection's last error as the first failure to grow, if it
 * is one (and no failure is recorded yet); 1 if a failure is recorded. */
static int note_failure(results *r, const char *what) {
    if (r->space_failed) return 1;
    int code = sqlite3_extended_errcode(r->db);
    if (!space_reason(r, code, sqlite3_system_errno(r->db), r->space_why,
                      sizeof r->space_why))
        return 0;
    snprintf(r->space_what, sizeof r->space_what, "%s", what);
    r->space_failed = RESULTS_SPACE_FULL;
    return 1;
}

static int on_wal(void *arg, sqlite3 *conn, const char *name, int pages) {
    results *r = arg;
    if (pages < RESULTS_CHECKPOINT_PAGES || r->space_failed) return SQLITE_OK;
    int rc = sqlite3_wal_checkpoint_v2(conn, name, SQLITE_CHECKPOINT_PASSIVE,
                                       NULL, NULL);
    /* BUSY: another connection holds the checkpoint; it will be tried
     * again at the next commit. */
    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY &&
        (rc & 0xff) != SQLITE_LOCKED && !note_failure(r, CHECKPOINTING)) {
        /* Not lack of room (an I/O error): the same rule, in SQLite's
         * words. */
        snprintf(r->space_why, sizeof r->space_why, "sqlite: %s",
                 sqlite3_errmsg(conn));
        snprintf(r->space_what, sizeof r->space_what, CHECKPOINTING);
        r->space_failed = RESULTS_SPACE_IOERR;
    }
    return SQLITE_OK; /* the commit itself succeeded */
}

static int on_commit(void *arg) {
    const results *r = arg;
    return r->space_failed; /* nonzero: the commit becomes a rollback */
}

void results_space_watch(results *r) {
    sqlite3_wal_hook(r->db, on_wal, r);
    sqlite3_commit_hook(r->db, on_commit, r);
}

int results_space_fail(results *r, const char *what, char *err,
                       size_t errlen) {
    if (!r->db || !note_failure(r, what)) return 0;
    if (strcmp(what, r->space_what) == 0)
        sim_errf(err, errlen, "%s: cannot grow: %s (while %s)", r->path,
                 r->space_why, what);
    else
        sim_errf(err, errlen, "%s: cannot grow: %s (while %s; first met "
                 "while %s)", r->path, r->space_why, what, r->space_what);
    return 1;
}

int results_space_check(results *r, char *err, size_t errlen) {
    if (!r->space_failed) return RESULTS_OK;
    sim_errf(err, errlen, "%s: cannot grow: %s (while %s)", r->path,
             r->space_why, r->space_what);
    return RESULTS_EIO;
}

int results_checkpoint(results *r, char *err, size_t errlen) {
    if (r->space_failed) return results_space_check(r, err, errlen);
    int rc = sqlite3_wal_checkpoint_v2(r->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                       NULL, NULL);
    if (rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY ||
        (rc & 0xff) == SQLITE_LOCKED)
        return RESULTS_OK;
    return results_sql_fail(r, "checkpointing at the end: copying the last "
                               "committed runs from the WAL into the "
                               "database file", err, errlen);
}

int results_out_of_space(const results *r) {
    return r && r->space_failed == RESULTS_SPACE_FULL;
}
