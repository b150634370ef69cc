/* Reading sweep databases from tests: exact dumps of what a sweep stored,
 * for comparing databases made different ways (--jobs, interruption,
 * transports, merged shards). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <sqlite3.h>

#include "models/world.h"
#include "tests/testing.h"

sqlite3 *testing_db_open(const char *path) {
    sqlite3 *conn = NULL;
    if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(conn);
        return NULL;
    }
    sqlite3_busy_timeout(conn, 5000);
    return conn;
}

/* One integer from a query; -1 on any failure (no file, no table yet). */
long long testing_db_int(const char *path, const char *sql) {
    sqlite3 *conn = testing_db_open(path);
    long long v = -1;
    sqlite3_stmt *st;
    if (conn && sqlite3_prepare_v2(conn, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(conn);
    return v;
}

/* Appends every row of `sql` to a growing text, each value exact (REAL with
 * 17 digits, NULL as NULL). */
typedef struct text {
    char *s;
    size_t len, cap;
    int bad;
} text;

static void text_add(text *t, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL,
                          t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->bad = 1;
            return;
        }
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 65536;
        while (cap < t->len + (size_t)n + 1) cap *= 2;
        char *p = realloc(t->s, cap);
        if (!p) {
            t->bad = 1;
            return;
        }
        t->s = p;
        t->cap = cap;
    }
}

static void dump_query(text *t, sqlite3 *conn, const char *sql) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK) {
        text_add(t, "ERROR %s: %s\n", sql, sqlite3_errmsg(conn));
        t->bad = 1;
        return;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            switch (sqlite3_column_type(st, i)) {
            case SQLITE_INTEGER:
                text_add(t, "%lld", (long long)sqlite3_column_int64(st, i));
                break;
            case SQLITE_FLOAT:
                text_add(t, "%.17g", sqlite3_column_double(st, i));
                break;
            case SQLITE_NULL: text_add(t, "NULL"); break;
            default: text_add(t, "%s", sqlite3_column_text(st, i));
            }
            text_add(t, i + 1 < sqlite3_column_count(st) ? "|" : "\n");
        }
    }
    sqlite3_finalize(st);
}

/* Everything a sweep stored that must not depend on --jobs, interruption or
 * completion order, keyed by point values and replication (not by row ids,
 * wall time or timestamps).  NULL if the database cannot be read. */
char *testing_dump_results(const char *path) {
    sqlite3 *conn = testing_db_open(path);
    if (!conn) return NULL;
    text t = {0};
    char sql[4096];
    int n = snprintf(sql, sizeof sql,
                     "SELECT (SELECT group_concat(key || '=' || value, ' ') FROM "
                     "(SELECT key, value FROM point_values WHERE point = p.id "
                     "ORDER BY key)), r.rep, r.seed, r.events");
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        n += snprintf(sql + n, sizeof sql - (size_t)n, ", r.\"%s\"",
                      world_metric_name((world_metric)m));
    snprintf(sql + n, sizeof sql - (size_t)n,
             " FROM runs r JOIN points p ON p.id = r.point ORDER BY 1, 2");
    text_add(&t, "runs:\n");
    dump_query(&t, conn, sql);
    text_add(&t, "points:\n");
    dump_query(&t, conn, "SELECT label, reps_target, reps_done, done, hit_cap, "
                         "rel_halfwidth FROM points ORDER BY label");
    text_add(&t, "distributions:\n");
    dump_query(&t, conn, "SELECT p.label, r.rep, d.name, d.bin, d.lo_s, "
                         "d.hi_s, d.count FROM distributions d JOIN runs r ON "
                         "r.id = d.run JOIN points p ON p.id = r.point ORDER "
                         "BY 1, 2, 3, 4");
    text_add(&t, "dist_stats:\n");
    dump_query(&t, conn, "SELECT p.label, r.rep, s.name, s.n, s.mean_ns, "
                         "s.m2_ns2, s.min_ns, s.max_ns FROM dist_stats s JOIN "
                         "runs r ON r.id = s.run JOIN points p ON p.id = "
                         "r.point ORDER BY 1, 2, 3");
    text_add(&t, "causes:\n");
    dump_query(&t, conn, "SELECT p.label, r.rep, c.cause, c.stale_reads FROM "
                         "causes c JOIN runs r ON r.id = c.run JOIN points p "
                         "ON p.id = r.point ORDER BY 1, 2, 3");
    /* sweep --rare's figures, in a file that has their columns */
    if (sqlite3_table_column_metadata(conn, "main", "runs", "rare_boost",
                                      NULL, NULL, NULL, NULL,
                                      NULL) == SQLITE_OK) {
        text_add(&t, "rare:\n");
        dump_query(&t, conn, "SELECT p.label, r.rep, r.rare_boost, "
                             "r.rare_faults, r.rare_weighted_stale_reads, "
                             "r.rare_weight_sum, r.rare_weight_sq_sum, "
                             "r.rare_overlaps, r.rare_overlap_stale_reads, "
                             "r.rare_ess FROM runs r JOIN points p ON p.id = r.point "
                             "ORDER BY 1, 2");
    }
    sqlite3_close(conn);
    if (t.bad) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

/* Requires two dumps to be equal, showing the first difference. */
void testing_expect_same_dump_(int line, const char *what, const char *a,
                              const char *b) {
    char m[2048];
    if (!a || !b) {
        snprintf(m, sizeof m, "%s: cannot dump a database", what);
    } else if (strcmp(a, b) == 0) {
        CU_PASS(what);
        return;
    } else {
        size_t i = 0;
        while (a[i] && a[i] == b[i]) i++;
        size_t from = i > 200 ? i - 200 : 0;
        snprintf(m, sizeof m, "%s differ at byte %zu:\n[...%.400s]\nvs\n"
                 "[...%.400s]", what, i, a + from, b + from);
    }
    fprintf(stderr, "\n  %s:%d: %s\n", __FILE__, line, m);
    CU_assertImplementation(CU_FALSE, (unsigned)line, m, __FILE__, "",
                            CU_FALSE);
}

