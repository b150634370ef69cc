/* Private, throw-away Redis and PostgreSQL servers for `stalesim emulate`.
 *
 * emu_servers_start makes one temporary directory (mkdtemp under $TMPDIR or
 * /tmp, named stalesim-emulate-XXXXXX) and starts, as asked:
 *   - redis-server on a unix socket in it (no TCP port, persistence off:
 *     no RDB snapshots, no AOF), in its own session so that a Ctrl-C at the
 *     terminal reaches stalesim only;
 *   - a PostgreSQL cluster made by initdb in it (trust authentication, fsync
 *     off) and started by pg_ctl, listening only on a unix socket in it.
 *     initdb and pg_ctl are taken from the newest /usr/lib/postgresql/N/bin
 *     (or PATH).  When stalesim runs as root they run as the `postgres` user,
 *     which then owns the cluster's directory.
 * emu_servers_stop stops both (redis: SIGTERM, then SIGKILL after 5 s;
 * PostgreSQL: pg_ctl stop -m immediate) and removes the directory with
 * everything in it.  Call it on every path out, errors and interrupts
 * included; it is safe on a partly started set and on NULL.
 *
 * Nothing here touches a system-wide server: the sockets are private paths,
 * and no TCP port is opened. */
#ifndef STALESIM_EMULATE_SERVERS_H
#define STALESIM_EMULATE_SERVERS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct emu_servers emu_servers;

/* Starts the servers asked for (redis and/or postgres), PostgreSQL with room
 * for `max_connections` clients.  Returns the set, or NULL with a one-line
 * message in err (everything started so far is stopped and removed). */
emu_servers *emu_servers_start(int redis, int postgres,
                               unsigned max_connections, char *err,
                               size_t errlen);

/* The temporary directory, the Redis socket path and a libpq conninfo
 * string for the private servers ("" for a server not started). */
const char *emu_servers_dir(const emu_servers *s);
const char *emu_servers_redis_socket(const emu_servers *s);
const char *emu_servers_pg_conninfo(const emu_servers *s);
/* Process id of the redis-server (0 if none), for tests. */
pid_t emu_servers_redis_pid(const emu_servers *s);
/* Process id of the postmaster (0 if none), for tests. */
pid_t emu_servers_pg_pid(const emu_servers *s);

/* Stops everything started and removes the directory.  NULL does nothing. */
void emu_servers_stop(emu_servers *s);

#endif
