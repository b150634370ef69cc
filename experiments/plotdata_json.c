/* A `stalesim run --format json` file as plot data (see plotdata.h): one
 * point with the file's means and half-widths, its histograms rebuilt from
 * the "bins" arrays.  The document is parsed by SQLite's JSON functions on an
 * in-memory connection: SQLite is already linked, and its parser is strict
 * and well tested, so no JSON code of our own is needed. */
#include "experiments/plotdata.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "sim/dist.h"
#include "sim/errf.h"

#define JSON_MAX_BYTES (256u << 20)

/* ---- RUN.json ---------------------------------------------------------------------- */

static char *slurp(const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        sim_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 0 ||
        (unsigned long long)st.st_size > JSON_MAX_BYTES) {
        sim_errf(err, errlen, "%s: not a RUN.json of a sensible size", path);
        fclose(f);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        sim_errf(err, errlen, "out of memory");
        fclose(f);
        return NULL;
    }
    size_t got = fread(buf, 1, n, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != n) {
        sim_errf(err, errlen, "%s: read error", path);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static double col_real(sqlite3_stmt *st, int i) {
    int t = sqlite3_column_type(st, i);
    return t == SQLITE_INTEGER || t == SQLITE_FLOAT ? sqlite3_column_double(st, i)
                                                    : NAN;
}

static int dist_named(const char *name) {
    for (int d = 0; d < WORLD_DIST_COUNT; d++)
        if (name && strcmp(name, world_dist_name((world_dist)d)) == 0) return d;
    return -1;
}

/* Runs one query over the document; calls row() for each row.  Returns
 * PLOT_OK, or the failure. */
typedef int (*json_row_fn)(void *arg, sqlite3_stmt *st, char *err,
                           size_t errlen);
static int json_query(sqlite3 *conn, const char *doc, const char *sql,
                      json_row_fn row, void *arg, char *err, size_t errlen) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK) {
        sim_errf(err, errlen, "sqlite: %s (while reading JSON)", sqlite3_errmsg(conn));
        return PLOT_ERUNTIME;
    }
    sqlite3_bind_text(st, 1, doc, -1, SQLITE_STATIC);
    int step, rc = PLOT_OK;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if ((rc = row(arg, st, err, errlen)) != PLOT_OK) break;
    if (rc == PLOT_OK && step != SQLITE_DONE) {
        sim_errf(err, errlen, "malformed RUN.json: %s", sqlite3_errmsg(conn));
        rc = PLOT_EINPUT;
    }
    sqlite3_finalize(st);
    return rc;
}

typedef struct json_ctx {
    plot_data *d;
    plot_point *pt;
    const char *path;
    int nbins;
} json_ctx;

static int json_head(void *arg, sqlite3_stmt *st, char *err, size_t errlen) {
    json_ctx *c = arg;
    const char *metrics = (const char *)sqlite3_column_text(st, 0);
    const char *dists = (const char *)sqlite3_column_text(st, 1);
    if (!metrics || strcmp(metrics, "object") != 0 || !dists ||
        strcmp(dists, "object") != 0) {
        sim_errf(err, errlen, "%s: not the JSON of `stalesim run --format json` "
             "(no \"metrics\" and \"distributions\" objects)", c->path);
        return PLOT_EINPUT;
    }
    const char *file = (const char *)sqlite3_column_text(st, 2);
    const char *pattern = (const char *)sqlite3_column_text(st, 3);
    const char *ttl = (const char *)sqlite3_column_text(st, 4);
    const char *maxst = (const char *)sqlite3_column_text(st, 5);
    c->d->scenario_file = strdup(file ? file : c->path);
    if (!c->d->scenario_file) {
        sim_errf(err, errlen, "out of memory");
        return PLOT_ERUNTIME;
    }
    snprintf(c->pt->pattern, sizeof c->pt->pattern, "%s",
             pattern ? pattern : "");
    sim_time t;
    char e[128];
    if (ttl && sim_duration_parse(ttl, &t, e, sizeof e) == 0)
        c->pt->ttl_s = sim_time_to_s(t);
    if (maxst && sim_duration_parse(maxst, &t, e, sizeof e) == 0)
        c->pt->max_staleness_s = sim_time_to_s(t);
    double reps = col_real(st, 6);
    c->pt->nruns = isfinite(reps) && reps >= 0 ? (uint32_t)reps : 0;
    return PLOT_OK;
}

static int json_metric(void *arg, sqlite3_stmt *st, char *err, size_t errlen) {
    (void)err;
    (void)errlen;
    json_ctx *c = arg;
    const char *name = (const char *)sqlite3_column_text(st, 0);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        if (name && strcmp(name, world_metric_name((world_metric)m)) == 0) {
            c->pt->mean[m] = col_real(st, 1);
            c->pt->ci95[m] = col_real(st, 2);
        }
    return PLOT_OK;
}

static int json_dist(void *arg, sqlite3_stmt *st, char *err, size_t errlen) {
    (void)err;
    (void)errlen;
    json_ctx *c = arg;
    int d = dist_named((const char *)sqlite3_column_text(st, 0));
    if (d < 0) return PLOT_OK;
    sim_tally *t = &c->pt->dist[d].tally;
    t->mean = col_real(st, 1) * 1e9;
    t->max = col_real(st, 2) * 1e9;
    return PLOT_OK;
}

static int json_bin(void *arg, sqlite3_stmt *st, char *err, size_t errlen) {
    json_ctx *c = arg;
    int d = dist_named((const char *)sqlite3_column_text(st, 0));
    if (d < 0) return PLOT_OK;
    double lo = col_real(st, 1), hi = col_real(st, 2), n = col_real(st, 3);
    if (!(n >= 0) || n != floor(n) || !(lo >= 0) || !(hi >= lo)) {
        sim_errf(err, errlen, "%s: distribution %s: a bin is not [lo_s, hi_s, "
             "count]", c->path, world_dist_name((world_dist)d));
        return PLOT_EINPUT;
    }
    sim_hist *h = &c->pt->dist[d];
    c->nbins++;
    if (lo == 0 && hi == 0) {
        h->zeros += (uint64_t)n;
    } else {
        double lo_ns = lo * 1e9;
        long i = lround(log10(lo_ns) * SIM_HIST_PER_DECADE);
        double blo, bhi;
        if (i < 0 || i >= SIM_HIST_BINS) {
            sim_errf(err, errlen, "%s: distribution %s: bin [%g, %g] is outside "
                 "the histogram", c->path, world_dist_name((world_dist)d), lo,
                 hi);
            return PLOT_EINPUT;
        }
        sim_hist_bin_bounds((int)i, &blo, &bhi);
        if (fabs(blo / lo_ns - 1) > 1e-6) {
            sim_errf(err, errlen, "%s: distribution %s: [%g, %g] is not a bin of "
                 "stalesim's histogram", c->path,
                 world_dist_name((world_dist)d), lo, hi);
            return PLOT_EINPUT;
        }
        h->bins[i] += (uint64_t)n;
    }
    return PLOT_OK;
}

static int json_cause(void *arg, sqlite3_stmt *st, char *err, size_t errlen) {
    (void)err;
    (void)errlen;
    json_ctx *c = arg;
    const char *name = (const char *)sqlite3_column_text(st, 0);
    double n = col_real(st, 1);
    for (int k = 0; k < ORACLE_CAUSE_COUNT; k++)
        if (name && strcmp(name, oracle_cause_name((oracle_cause)k)) == 0 &&
            n >= 0)
            c->pt->causes[k] = (uint64_t)n;
    return PLOT_OK;
}

/* "over_bound_causes" (a RUN.json from before it existed has none). */
static int json_over_cause(void *arg, sqlite3_stmt *st, char *err,
                           size_t errlen) {
    (void)err;
    (void)errlen;
    json_ctx *c = arg;
    const char *name = (const char *)sqlite3_column_text(st, 0);
    double n = col_real(st, 1);
    c->pt->over_causes_known = 1;
    for (int k = 0; k < ORACLE_CAUSE_COUNT; k++)
        if (name && strcmp(name, oracle_cause_name((oracle_cause)k)) == 0 &&
            n >= 0)
            c->pt->over_causes[k] = (uint64_t)n;
    return PLOT_OK;
}

int plot_data_load_json(plot_data *d, const char *path, char *err,
                        size_t errlen) {
    char *doc = slurp(path, err, errlen);
    if (!doc) return errno == ENOMEM ? PLOT_ERUNTIME : PLOT_EINPUT;
    sqlite3 *conn = NULL;
    sqlite3_stmt *st = NULL;
    int rc = PLOT_ERUNTIME;
    if (sqlite3_open(":memory:", &conn) != SQLITE_OK) {
        sim_errf(err, errlen, "sqlite: cannot open an in-memory database");
        goto out;
    }
    if (sqlite3_prepare_v2(conn, "SELECT json_valid(?1)", -1, &st, NULL) !=
        SQLITE_OK) {
        sim_errf(err, errlen, "sqlite: %s (JSON functions missing?)",
             sqlite3_errmsg(conn));
        goto out;
    }
    sqlite3_bind_text(st, 1, doc, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 1) {
        sim_errf(err, errlen, "%s: neither a stalesim database nor valid JSON",
             path);
        rc = PLOT_EINPUT;
        goto out;
    }
    d->point = calloc(1, sizeof *d->point);
    if (!d->point) {
        sim_errf(err, errlen, "out of memory");
        goto out;
    }
    d->npoints = 1;
    plot_point *pt = &d->point[0];
    plot_point_init(pt);
    pt->complete = 1;
    json_ctx c = {d, pt, path, 0};
    rc = json_query(conn, doc,
                    "SELECT json_type(?1, '$.metrics'), "
                    "json_type(?1, '$.distributions'), "
                    "json_extract(?1, '$.scenario.file'), "
                    "json_extract(?1, '$.scenario.cache.pattern'), "
                    "json_extract(?1, '$.scenario.cache.ttl'), "
                    "json_extract(?1, '$.scenario.contract.max_staleness'), "
                    "json_extract(?1, '$.reps')",
                    json_head, &c, err, errlen);
    if (rc == PLOT_OK)
        rc = json_query(conn, doc,
                        "SELECT key, json_extract(value, '$.mean'), "
                        "json_extract(value, '$.ci95') FROM "
                        "json_each(?1, '$.metrics')",
                        json_metric, &c, err, errlen);
    if (rc == PLOT_OK)
        rc = json_query(conn, doc,
                        "SELECT key, json_extract(value, '$.mean'), "
                        "json_extract(value, '$.max') FROM "
                        "json_each(?1, '$.distributions')",
                        json_dist, &c, err, errlen);
    if (rc == PLOT_OK)
        rc = json_query(conn, doc,
                        "SELECT d.key, json_extract(b.value, '$[0]'), "
                        "json_extract(b.value, '$[1]'), "
                        "json_extract(b.value, '$[2]') FROM "
                        "json_each(?1, '$.distributions') AS d, "
                        "json_each(d.value, '$.bins') AS b",
                        json_bin, &c, err, errlen);
    if (rc == PLOT_OK)
        rc = json_query(conn, doc,
                        "SELECT key, value FROM json_each(?1, '$.causes')",
                        json_cause, &c, err, errlen);
    if (rc == PLOT_OK)
        rc = json_query(conn, doc,
                        "SELECT key, value FROM "
                        "json_each(?1, '$.over_bound_causes')",
                        json_over_cause, &c, err, errlen);
    if (rc != PLOT_OK) goto out;
    /* The tallies the bins imply: n exactly, min and max bracketing every
     * value (quantiles are clamped to them). */
    pt->has_bins = c.nbins > 0;
    for (int k = 0; k < WORLD_DIST_COUNT; k++) {
        sim_hist *h = &pt->dist[k];
        uint64_t n = h->zeros;
        int first = -1, last = -1;
        for (int i = 0; i < SIM_HIST_BINS; i++)
            if (h->bins[i]) {
                n += h->bins[i];
                if (first < 0) first = i;
                last = i;
            }
        h->tally.n = n;
        if (n == 0) {
            sim_tally_init(&h->tally);
            continue;
        }
        double lo, hi;
        h->tally.min = 0;
        if (!h->zeros && first >= 0) {
            sim_hist_bin_bounds(first, &lo, &hi);
            h->tally.min = lo;
        }
        double top = 0;
        if (last >= 0) sim_hist_bin_bounds(last, &lo, &top);
        if (!(h->tally.max >= h->tally.min) || h->tally.max > top)
            h->tally.max = top;
        if (!isfinite(h->tally.mean)) h->tally.mean = NAN;
        h->tally.m2 = 0;
    }
    rc = PLOT_OK;
out:
    sqlite3_finalize(st);
    sqlite3_close(conn);
    free(doc);
    return rc;
}

