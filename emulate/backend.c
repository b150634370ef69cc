/* Connections to the real Redis and PostgreSQL, and their operations
 * (backend.h). */
#include "emulate/backend.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

/* Every script returns {seconds, microseconds, result} from TIME. */
static const char script_get[] =
    "if redis.replicate_commands then redis.replicate_commands() end "
    "local t = redis.call('TIME') "
    "local v = redis.call('GET', KEYS[1]) "
    "if v then return {t[1], t[2], v, ''} end "
    "if ARGV[1] == 'none' then return {t[1], t[2], false, ''} end "
    "if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then "
    "  return {t[1], t[2], false, ARGV[2]} end "
    "if ARGV[1] == 'herd' then return {t[1], t[2], false, ''} end "
    "return {t[1], t[2], false, redis.call('GET', KEYS[2]) or ''}";

static const char script_set[] =
    "if redis.replicate_commands then redis.replicate_commands() end "
    "local t = redis.call('TIME') "
    "if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then "
    "  return {t[1], t[2], 0} end "
    "if ARGV[4] == '1' then "
    "  local cur = redis.call('GET', KEYS[1]) "
    "  if cur and tonumber(cur) >= tonumber(ARGV[1]) then "
    "    return {t[1], t[2], 0} end end "
    "if tonumber(ARGV[2]) > 0 then "
    "  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) "
    "else redis.call('SET', KEYS[1], ARGV[1]) end "
    "if ARGV[5] == '1' then redis.call('DEL', KEYS[2]) end "
    "return {t[1], t[2], 1}";

static const char script_del[] =
    "if redis.replicate_commands then redis.replicate_commands() end "
    "local t = redis.call('TIME') "
    "local n = redis.call('DEL', KEYS[1], KEYS[2]) "
    "return {t[1], t[2], n}";

enum { S_GET, S_SET, S_DEL, NSCRIPTS };

struct emu_conn {
    redisContext *r;
    PGconn *pg;
    char sha[NSCRIPTS][48];
};

int emu_parse_redis(const char *url, emu_target *t, char *err, size_t errlen) {
    t->redis_db = 0;
    const char *path = NULL;
    if (strncmp(url, "unix://", 7) == 0) path = url + 7;
    else if (strncmp(url, "unix:", 5) == 0) path = url + 5;
    else if (url[0] == '/') path = url;
    if (path) {
        if (!path[0]) {
            snprintf(err, errlen, "--redis '%s': no socket path", url);
            return -1;
        }
        snprintf(t->redis, sizeof t->redis, "unix:%s", path);
        return 0;
    }
    if (strncmp(url, "redis://", 8) != 0) {
        snprintf(err, errlen,
                 "--redis '%s': expected redis://HOST[:PORT][/DB] or "
                 "unix:PATH",
                 url);
        return -1;
    }
    const char *h = url + 8;
    if (strchr(h, '@')) {
        snprintf(err, errlen,
                 "--redis '%s': passwords in the URL are not supported", url);
        return -1;
    }
    char host[256];
    size_t n = strcspn(h, ":/");
    if (n == 0 || n >= sizeof host) {
        snprintf(err, errlen, "--redis '%s': no host", url);
        return -1;
    }
    memcpy(host, h, n);
    host[n] = '\0';
    long port = 6379;
    const char *p = h + n;
    char *end;
    if (*p == ':') {
        port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535 || (*end && *end != '/')) {
            snprintf(err, errlen, "--redis '%s': bad port", url);
            return -1;
        }
        p = end;
    }
    if (*p == '/' && p[1]) {
        long db = strtol(p + 1, &end, 10);
        if (*end || db < 0 || db > 1000000) {
            snprintf(err, errlen, "--redis '%s': bad database number", url);
            return -1;
        }
        t->redis_db = (int)db;
    }
    snprintf(t->redis, sizeof t->redis, "%s:%ld", host, port);
    return 0;
}

/* ---- connections ---------------------------------------------------------------- */

static redisContext *redis_connect(const emu_target *t, char *err,
                                   size_t errlen) {
    struct timeval tv = {5, 0};
    redisContext *r;
    if (strncmp(t->redis, "unix:", 5) == 0) {
        r = redisConnectUnixWithTimeout(t->redis + 5, tv);
    } else {
        char host[512];
        snprintf(host, sizeof host, "%s", t->redis);
        char *colon = strrchr(host, ':');
        int port = 6379;
        if (colon) {
            *colon = '\0';
            port = atoi(colon + 1);
        }
        r = redisConnectWithTimeout(host, port, tv);
    }
    if (!r || r->err) {
        snprintf(err, errlen, "cannot connect to Redis at %s: %s", t->redis,
                 r ? r->errstr : "out of memory");
        if (r) redisFree(r);
        return NULL;
    }
    struct timeval cmd = {30, 0};
    redisSetTimeout(r, cmd);
    return r;
}

emu_conn *emu_conn_open(const emu_target *t, char *err, size_t errlen) {
    emu_conn *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!(c->r = redis_connect(t, err, errlen))) goto fail;
    if (t->redis_db) {
        redisReply *rep = redisCommand(c->r, "SELECT %d", t->redis_db);
        int ok = rep && rep->type == REDIS_REPLY_STATUS;
        if (rep) freeReplyObject(rep);
        if (!ok) {
            snprintf(err, errlen, "Redis at %s: SELECT %d failed", t->redis,
                     t->redis_db);
            goto fail;
        }
    }
    const char *text[NSCRIPTS] = {script_get, script_set, script_del};
    for (int i = 0; i < NSCRIPTS; i++) {
        redisReply *rep = redisCommand(c->r, "SCRIPT LOAD %s", text[i]);
        if (!rep || rep->type != REDIS_REPLY_STRING ||
            rep->len >= (int)sizeof c->sha[i]) {
            snprintf(err, errlen, "Redis at %s: SCRIPT LOAD failed: %s",
                     t->redis,
                     rep && rep->type == REDIS_REPLY_ERROR ? rep->str
                                                           : c->r->errstr);
            if (rep) freeReplyObject(rep);
            goto fail;
        }
        memcpy(c->sha[i], rep->str, (size_t)rep->len + 1);
        freeReplyObject(rep);
    }
    c->pg = PQconnectdb(t->pg);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s",
                 c->pg ? PQerrorMessage(c->pg) : "out of memory");
        msg[strcspn(msg, "\n")] = '\0';
        snprintf(err, errlen, "cannot connect to PostgreSQL (%s): %s", t->pg,
                 msg);
        goto fail;
    }
    PGresult *res = PQexec(c->pg, "SET client_min_messages = warning");
    PQclear(res);
    return c;
fail:
    emu_conn_close(c);
    return NULL;
}

void emu_conn_close(emu_conn *c) {
    if (!c) return;
    if (c->r) redisFree(c->r);
    if (c->pg) PQfinish(c->pg);
    free(c);
}

/* ---- Redis operations ----------------------------------------------------------- */

static int redis_fail(emu_conn *c, redisReply *rep, const char *what,
                      char *err, size_t errlen) {
    snprintf(err, errlen, "Redis %s: %s", what,
             rep && rep->type == REDIS_REPLY_ERROR ? rep->str
             : c->r->err                          ? c->r->errstr
                                                  : "unexpected reply");
    if (rep) freeReplyObject(rep);
    return -1;
}

/* Runs script i on key (and its lease key) with the given ARGV.  Returns the
 * reply (an array of >= 3 whose first two are TIME's) or NULL. */
static redisReply *run_script(emu_conn *c, int i, uint32_t key, int nargs,
                              const char **args, int64_t *effect) {
    char k[64], lk[64];
    snprintf(k, sizeof k, EMU_PREFIX "%" PRIu32, key);
    snprintf(lk, sizeof lk, EMU_PREFIX "L:%" PRIu32, key);
    const char *argv[12];
    size_t len[12];
    int n = 0;
    argv[n++] = "EVALSHA";
    argv[n++] = c->sha[i];
    argv[n++] = "2";
    argv[n++] = k;
    argv[n++] = lk;
    for (int a = 0; a < nargs; a++) argv[n++] = args[a];
    for (int a = 0; a < n; a++) len[a] = strlen(argv[a]);
    redisReply *rep = redisCommandArgv(c->r, n, argv, len);
    long long tv[2];
    int ok = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements >= 3;
    for (int e = 0; ok && e < 2; e++) { /* TIME's fields come as strings */
        const redisReply *x = rep->element[e];
        if (x->type == REDIS_REPLY_INTEGER)
            tv[e] = x->integer;
        else if (x->type == REDIS_REPLY_STRING)
            tv[e] = strtoll(x->str, NULL, 10);
        else
            ok = 0;
    }
    if (!ok) {
        if (rep && rep->type == REDIS_REPLY_ARRAY) {
            freeReplyObject(rep);
            rep = NULL;
        }
        return rep; /* an error reply or NULL: the caller reports */
    }
    *effect = tv[0] * 1000000000LL + tv[1] * 1000LL;
    return rep;
}

static int parse_version(const char *s, uint32_t *v) {
    char *end;
    unsigned long x = strtoul(s, &end, 10);
    if (end == s || *end || x > UINT32_MAX) return -1;
    *v = (uint32_t)x;
    return 0;
}

int emu_cache_get(emu_conn *c, uint32_t key, emu_lease_mode lease,
                  const char *mine, int64_t px, int *hit, uint32_t *version,
                  char token[EMU_TOKEN_LEN], int64_t *effect, char *err,
                  size_t errlen) {
    static const char *const modes[] = {"none", "share", "herd"};
    char pxs[32];
    snprintf(pxs, sizeof pxs, "%" PRId64, px > 0 ? px : 1);
    const char *args[3] = {modes[lease], mine ? mine : "", pxs};
    redisReply *rep = run_script(c, S_GET, key, 3, args, effect);
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 4)
        return redis_fail(c, rep, "GET", err, errlen);
    redisReply *v = rep->element[2], *tok = rep->element[3];
    *hit = v->type == REDIS_REPLY_STRING;
    if (*hit && parse_version(v->str, version) != 0) {
        snprintf(err, errlen, "Redis GET of key %u: cached value '%s' is no "
                              "version",
                 key, v->str);
        freeReplyObject(rep);
        return -1;
    }
    if (token) {
        token[0] = '\0';
        if (tok->type == REDIS_REPLY_STRING)
            snprintf(token, EMU_TOKEN_LEN, "%s", tok->str);
    }
    freeReplyObject(rep);
    return 0;
}

int emu_cache_set(emu_conn *c, uint32_t key, uint32_t version, int64_t px,
                  const char *token, int versioned, int void_lease,
                  int *stored, int64_t *effect, char *err, size_t errlen) {
    char vs[16], pxs[32];
    snprintf(vs, sizeof vs, "%" PRIu32, version);
    snprintf(pxs, sizeof pxs, "%" PRId64, px > 0 ? px : 0);
    const char *args[5] = {vs, pxs, token ? token : "", versioned ? "1" : "0",
                           void_lease ? "1" : "0"};
    redisReply *rep = run_script(c, S_SET, key, 5, args, effect);
    if (!rep || rep->type != REDIS_REPLY_ARRAY ||
        rep->element[2]->type != REDIS_REPLY_INTEGER)
        return redis_fail(c, rep, "SET", err, errlen);
    *stored = rep->element[2]->integer == 1;
    freeReplyObject(rep);
    return 0;
}

int emu_cache_del(emu_conn *c, uint32_t key, int64_t *effect, char *err,
                  size_t errlen) {
    redisReply *rep = run_script(c, S_DEL, key, 0, NULL, effect);
    if (!rep || rep->type != REDIS_REPLY_ARRAY)
        return redis_fail(c, rep, "DEL", err, errlen);
    freeReplyObject(rep);
    return 0;
}

/* ---- PostgreSQL operations --------------------------------------------------------- */

static int pg_fail(emu_conn *c, PGresult *res, const char *what, char *err,
                   size_t errlen) {
    char msg[400];
    snprintf(msg, sizeof msg, "%s",
             res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
    msg[strcspn(msg, "\n")] = '\0';
    snprintf(err, errlen, "PostgreSQL %s: %s", what, msg);
    PQclear(res);
    return -1;
}

/* One row of (version, microseconds since the epoch). */
static int pg_row(emu_conn *c, PGresult *res, const char *what,
                  uint32_t *version, int64_t *at, char *err, size_t errlen) {
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        return pg_fail(c, PQresultStatus(res) == PGRES_TUPLES_OK ? NULL : res,
                       what, err, errlen);
    long long us = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    if (parse_version(PQgetvalue(res, 0, 0), version) != 0) {
        PQclear(res);
        snprintf(err, errlen, "PostgreSQL %s: bad version", what);
        return -1;
    }
    *at = (int64_t)us * 1000;
    PQclear(res);
    return 0;
}

#define US_NOW "(extract(epoch from clock_timestamp()) * 1000000)::int8"

int emu_db_read(emu_conn *c, uint32_t key, int64_t sleep_ns,
                uint32_t *version, int64_t *effect, char *err, size_t errlen) {
    char k[16], sl[32];
    snprintf(k, sizeof k, "%" PRIu32, key);
    snprintf(sl, sizeof sl, "%.9f", (double)sleep_ns / 1e9);
    const char *params[2] = {k, sl};
    PGresult *res =
        sleep_ns > 0
            ? PQexecParams(c->pg,
                           "SELECT version, " US_NOW ", pg_sleep($2::float8) "
                           "FROM " EMU_TABLE " WHERE k = $1::int4",
                           2, NULL, params, NULL, NULL, 0)
            : PQexecParams(c->pg,
                           "SELECT version, " US_NOW " FROM " EMU_TABLE
                           " WHERE k = $1::int4",
                           1, NULL, params, NULL, NULL, 0);
    if (!res) return pg_fail(c, NULL, "read", err, errlen);
    return pg_row(c, res, "read", version, effect, err, errlen);
}

int emu_db_write(emu_conn *c, uint32_t key, uint32_t *version,
                 int64_t *commit, char *err, size_t errlen) {
    char k[16];
    snprintf(k, sizeof k, "%" PRIu32, key);
    const char *params[1] = {k};
    PGresult *res = PQexecParams(c->pg,
                                 "UPDATE " EMU_TABLE
                                 " SET version = version + 1 WHERE k = "
                                 "$1::int4 RETURNING version, " US_NOW,
                                 1, NULL, params, NULL, NULL, 0);
    if (!res) return pg_fail(c, NULL, "write", err, errlen);
    return pg_row(c, res, "write", version, commit, err, errlen);
}

/* ---- set-up and clean-up ------------------------------------------------------------ */

static int pg_exec(emu_conn *c, const char *sql, char *err, size_t errlen) {
    PGresult *res = PQexec(c->pg, sql);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        return pg_fail(c, res, "set-up", err, errlen);
    PQclear(res);
    return 0;
}

/* Deletes every key under the prefix (SCAN + DEL). */
static int redis_clear(emu_conn *c, char *err, size_t errlen) {
    char cursor[32] = "0";
    do {
        redisReply *rep = redisCommand(c->r, "SCAN %s MATCH %s* COUNT 1000",
                                       cursor, EMU_PREFIX);
        if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2)
            return redis_fail(c, rep, "SCAN", err, errlen);
        snprintf(cursor, sizeof cursor, "%s", rep->element[0]->str);
        redisReply *keys = rep->element[1];
        for (size_t i = 0; i < keys->elements; i++) {
            redisReply *d = redisCommand(c->r, "DEL %b", keys->element[i]->str,
                                         (size_t)keys->element[i]->len);
            if (!d) {
                freeReplyObject(rep);
                return redis_fail(c, NULL, "DEL", err, errlen);
            }
            freeReplyObject(d);
        }
        freeReplyObject(rep);
    } while (strcmp(cursor, "0") != 0);
    return 0;
}

int emu_setup(emu_conn *c, uint32_t nkeys, char *err, size_t errlen) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO " EMU_TABLE " SELECT g, 0 FROM "
             "generate_series(0, %" PRIu32 ") g",
             nkeys - 1);
    if (pg_exec(c, "DROP TABLE IF EXISTS " EMU_TABLE, err, errlen) != 0 ||
        pg_exec(c,
                "CREATE TABLE " EMU_TABLE
                " (k integer PRIMARY KEY, version bigint NOT NULL)",
                err, errlen) != 0 ||
        pg_exec(c, sql, err, errlen) != 0 ||
        pg_exec(c, "ANALYZE " EMU_TABLE, err, errlen) != 0)
        return -1;
    return redis_clear(c, err, errlen);
}

int emu_teardown(emu_conn *c, char *err, size_t errlen) {
    if (pg_exec(c, "DROP TABLE IF EXISTS " EMU_TABLE, err, errlen) != 0)
        return -1;
    return redis_clear(c, err, errlen);
}
