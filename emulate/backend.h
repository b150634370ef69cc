/* The real cache and database as the emulator's clients see them: one Redis
 * connection (hiredis, blocking) and one PostgreSQL connection (libpq,
 * blocking) per client thread, and the handful of operations the protocols
 * need, each reporting the instant it took effect on the server.
 *
 * Cache (Redis).  Key k is stored under PREFIX k (PREFIX = "stalesim:emu:");
 * its value is the decimal version it caches.  A lease token of key k lives
 * under PREFIX L: k.  Every cache operation is a short Lua script (loaded once
 * per connection, run with EVALSHA) that does its work and calls TIME, so the
 * reply carries the server's clock at the instant of the effect; Redis runs
 * a script atomically, so that instant is exact to its microsecond.
 *   get     GET; on a miss, with a lease mode, also takes or shares the lease
 *           token (SET NX PX): `share` hands every misser the current token,
 *           `herd` refuses a second one while a token is outstanding;
 *   set     SET [PX ttl] unless (lease) the key's token is not the caller's,
 *           or (versioned) the cached version is as new already; an update
 *           (void_lease) also deletes the lease token;
 *   del     DEL the key and its lease token.
 * Database (PostgreSQL).  Table TABLE(k integer primary key, version bigint),
 * one row per key (TABLE = "stalesim_kv").  A read is one SELECT in its own
 * transaction; its effect instant is clock_timestamp() evaluated in the
 * select list (just after the statement took its snapshot); with a
 * `response` delay the same SELECT then runs pg_sleep, so the snapshot comes
 * first and the time is spent returning.  A write is one UPDATE ... SET
 * version = version + 1 RETURNING version, clock_timestamp() in its own
 * transaction; that instant is the commit's (the commit itself becomes
 * visible a few microseconds later; see emulate/judge.c for the correction).
 *
 * Times are ns since the Unix epoch (the servers' CLOCK_REALTIME, exact to
 * the microsecond).  Every function returns 0, or -1 with a one-line message
 * (a lost connection, an unexpected reply). */
#ifndef STALESIM_EMULATE_BACKEND_H
#define STALESIM_EMULATE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#define EMU_PREFIX "stalesim:emu:"
#define EMU_TABLE "stalesim_kv"

/* Where the servers are. */
typedef struct emu_target {
    char redis[512];   /* "unix:PATH" or "HOST:PORT" (see emu_parse_redis) */
    int redis_db;      /* SELECT this database first (0 default) */
    char pg[1024];     /* a libpq conninfo string or URI */
} emu_target;

/* Parses --redis URL: redis://HOST[:PORT][/DB], unix:PATH, unix://PATH or
 * an absolute socket path.  Returns 0, or -1 with a reason. */
int emu_parse_redis(const char *url, emu_target *t, char *err, size_t errlen);

typedef struct emu_conn emu_conn;

/* Connects to both servers and loads the scripts.  NULL + message on
 * failure (the message names the server and what it said). */
emu_conn *emu_conn_open(const emu_target *t, char *err, size_t errlen);
void emu_conn_close(emu_conn *c);

/* Creates the table with nkeys rows at version 0 (replacing an older one of
 * this name) and deletes every key under the prefix. */
int emu_setup(emu_conn *c, uint32_t nkeys, char *err, size_t errlen);
/* Drops the table and deletes every key under the prefix. */
int emu_teardown(emu_conn *c, char *err, size_t errlen);

typedef enum emu_lease_mode { LEASE_NONE, LEASE_SHARE, LEASE_HERD } emu_lease_mode;

#define EMU_TOKEN_LEN 40

/* GET key.  *hit and *version say what was cached.  On a miss with a lease
 * mode, *token receives the lease token to fill with ("" when a herd lease
 * was refused); `mine` is the token offered, px the lease's lifetime, ms. */
int emu_cache_get(emu_conn *c, uint32_t key, emu_lease_mode lease,
                  const char *mine, int64_t px, int *hit, uint32_t *version,
                  char token[EMU_TOKEN_LEN], int64_t *effect, char *err,
                  size_t errlen);
/* SET key = version with a TTL of px ms (0: none).  token: fill only while
 * it is the key's lease token (NULL: no lease check); versioned: only over
 * an absent or older entry; void_lease: delete the lease token too.
 * *stored says whether it stored. */
int emu_cache_set(emu_conn *c, uint32_t key, uint32_t version, int64_t px,
                  const char *token, int versioned, int void_lease,
                  int *stored, int64_t *effect, char *err, size_t errlen);
/* DEL key (and its lease token). */
int emu_cache_del(emu_conn *c, uint32_t key, int64_t *effect, char *err,
                  size_t errlen);

/* SELECT the key's version; sleep_ns > 0 runs pg_sleep after the snapshot. */
int emu_db_read(emu_conn *c, uint32_t key, int64_t sleep_ns,
                uint32_t *version, int64_t *effect, char *err, size_t errlen);
/* The write transaction: the new version and its commit instant. */
int emu_db_write(emu_conn *c, uint32_t key, uint32_t *version,
                 int64_t *commit, char *err, size_t errlen);

#endif
