/* Plot data from a results database or a RUN.json (see data.h).
 *
 * The database is read through results.h (the same reads as summarize), plus
 * one query of its own for the stored scenario text and overrides, which
 * results.h does not expose.  A RUN.json is parsed by SQLite's JSON functions
 * on an in-memory connection: SQLite is already linked, and its parser is
 * strict and well tested, so no JSON code of our own is needed. */
#include "plots/data.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "experiments/results.h"
#include "sim/dist.h"
#include "sim/errf.h"

#define JSON_MAX_BYTES (256u << 20)

static char *dup_str(const char *s) {
    size_t n = strlen(s ? s : "") + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s ? s : "", n);
    return p;
}

static void point_init(plot_point *pt) {
    memset(pt, 0, sizeof *pt);
    for (int d = 0; d < D_COUNT; d++) sim_hist_init(&pt->dist[d]);
    for (int m = 0; m < M_COUNT; m++) pt->mean[m] = pt->ci95[m] = NAN;
    pt->ttl_s = NAN;
    pt->max_staleness_s = NAN;
}

void plot_data_fini(plot_data *d) {
    if (!d) return;
    free(d->source);
    free(d->scenario_file);
    free(d->scenario_text);
    free(d->overrides);
    free(d->command_line);
    free(d->version);
    free(d->started_at);
    free(d->finished_at);
    for (size_t k = 0; k < d->nkeys; k++) free(d->key[k]);
    free(d->key);
    for (size_t p = 0; d->point && p < d->npoints; p++) {
        plot_point *pt = &d->point[p];
        for (size_t k = 0; pt->value && k < d->nkeys; k++) free(pt->value[k]);
        free(pt->value);
        for (int m = 0; m < M_COUNT; m++) free(pt->run[m]);
        for (int f = 0; pt->fam && f < WORLD_MAX_FAMILIES; f++)
            for (int m = 0; m < M_COUNT; m++) free(pt->fam[f].run[m]);
        free(pt->fam);
    }
    free(d->point);
    memset(d, 0, sizeof *d);
}

double plot_value_number(const char *text) {
    if (!text || !*text) return NAN;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end != text && !errno && *end == '\0') return v;
    sim_time t;
    char e[128];
    if (sim_duration_parse(text, &t, e, sizeof e) == 0) return sim_time_to_s(t);
    if (end != text && !errno && strcmp(end, "/s") == 0) return v;
    return NAN;
}

int plot_data_key(const plot_data *d, const char *key) {
    for (size_t k = 0; k < d->nkeys; k++)
        if (strcmp(d->key[k], key) == 0) return (int)k;
    return -1;
}

void plot_data_key_list(const plot_data *d, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    if (d->nkeys == 0) {
        snprintf(buf, len, "none");
        return;
    }
    for (size_t k = 0; k < d->nkeys && used < len; k++) {
        int n = snprintf(buf + used, len - used, "%s%s", k ? ", " : "",
                         d->key[k]);
        if (n < 0) break;
        used += (size_t)n;
    }
}

/* Mean and 95% half-width of the non-NaN values of x[0..n-1]. */
static void mean_ci(const double *x, size_t n, double *mean, double *ci) {
    double *v = n ? malloc(n * sizeof *v) : NULL;
    size_t k = 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            if (v) v[k] = x[i];
            k++;
            sum += x[i];
        }
    *mean = k ? sum / (double)k : NAN;
    *ci = v && k >= 2 ? sim_ci95(v, k) : NAN;
    free(v);
}

int plot_data_recognized(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char head[16];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n == 16 && memcmp(head, "SQLite format 3", 16) == 0) return 1;
    for (size_t i = 0; i < n; i++) {
        if (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' ||
            head[i] == '\t')
            continue;
        return head[i] == '{';
    }
    return 0;
}

/* ---- scenarios of points ------------------------------------------------------- */

int plot_data_point_scenario(const plot_data *d, size_t p, scenario *sc,
                             char *err, size_t errlen) {
    memset(sc, 0, sizeof *sc);
    if (!d->from_db) {
        sim_errf(err, errlen, "%s: a RUN.json has no scenario file to rerun",
             d->source);
        return PLOT_EINPUT;
    }
    char e[1024];
    if (scenario_init_defaults(sc, e, sizeof e) != 0) {
        sim_errf(err, errlen, "%s", e);
        return PLOT_ERUNTIME;
    }
    if (d->scenario_text && d->scenario_text[0] &&
        scenario_load_string(sc, d->scenario_file, d->scenario_text, e,
                             sizeof e) != 0) {
        sim_errf(err, errlen, "the stored scenario no longer loads: %s", e);
        return PLOT_EINPUT;
    }
    /* Relative paths in the scenario (traces) resolve against the file's
     * directory, as when the sweep loaded it. */
    if (d->scenario_file && strchr(d->scenario_file, '/')) {
        size_t n = (size_t)(strrchr(d->scenario_file, '/') - d->scenario_file);
        char *dir = malloc(n + 1);
        if (dir) {
            memcpy(dir, d->scenario_file, n);
            dir[n] = '\0';
            free(sc->basedir);
            sc->basedir = dir;
        }
    }
    const char *o = d->overrides ? d->overrides : "";
    while (*o) {
        size_t len = strcspn(o, "\n");
        char line[1024];
        if (len > 0 && len < sizeof line) {
            memcpy(line, o, len);
            line[len] = '\0';
            if (scenario_set(sc, line, e, sizeof e) != 0) {
                sim_errf(err, errlen, "the stored override no longer applies: %s",
                     e);
                return PLOT_EINPUT;
            }
        }
        o += len;
        if (*o) o++;
    }
    size_t nset = d->by_family && d->nkeys ? d->nkeys - 1 : d->nkeys;
    for (size_t k = 0; k < nset; k++) {
        char assign[1024];
        snprintf(assign, sizeof assign, "%s=%s", d->key[k],
                 d->point[p].value[k]);
        if (scenario_set(sc, assign, e, sizeof e) != 0) {
            sim_errf(err, errlen, "the stored point no longer applies: %s", e);
            return PLOT_EINPUT;
        }
    }
    if (scenario_validate(sc, e, sizeof e) != 0) {
        sim_errf(err, errlen, "the stored point no longer validates: %s", e);
        return PLOT_EINPUT;
    }
    if (d->by_family) {
        scenario view;
        if (scenario_family_view(sc, d->point[p].family, &view, e,
                                 sizeof e) != 0) {
            sim_errf(err, errlen, "the view of family %s no longer builds: %s",
                 d->family[d->point[p].family], e);
            return PLOT_EINPUT;
        }
        scenario_fini(sc);
        *sc = view;
    }
    return PLOT_OK;
}

/* ---- database ---------------------------------------------------------------------- */

typedef struct run_ctx {
    plot_data *d;
    plot_point *pt;
    size_t cap;
    int oom;
} run_ctx;

static int grow_runs(double **run, size_t cap) {
    for (int m = 0; m < M_COUNT; m++) {
        double *v = realloc(run[m], cap * sizeof *v);
        if (!v) return -1;
        run[m] = v;
    }
    return 0;
}

static int add_run(void *arg, uint32_t rep, const world_result *res) {
    (void)rep;
    run_ctx *c = arg;
    plot_point *pt = c->pt;
    plot_data *d = c->d;
    if (res->nfamilies > 0 && d->nfamilies == 0) {
        /* The family names of the first run with families. */
        d->nfamilies = res->nfamilies < WORLD_MAX_FAMILIES ? res->nfamilies
                                                           : WORLD_MAX_FAMILIES;
        for (int f = 0; f < d->nfamilies; f++)
            snprintf(d->family[f], sizeof d->family[f], "%s",
                     res->family_name[f]);
    }
    if (d->nfamilies > 0 && !pt->fam) {
        pt->fam = calloc(WORLD_MAX_FAMILIES, sizeof *pt->fam);
        if (!pt->fam) {
            c->oom = 1;
            return -1;
        }
        for (int f = 0; f < WORLD_MAX_FAMILIES; f++)
            for (int k = 0; k < D_COUNT; k++) sim_hist_init(&pt->fam[f].dist[k]);
        for (int f = 0; f < d->nfamilies && c->cap; f++) {
            if (grow_runs(pt->fam[f].run, c->cap) != 0) {
                c->oom = 1;
                return -1;
            }
            for (int m = 0; m < M_COUNT; m++)
                for (uint32_t r = 0; r < pt->nruns; r++)
                    pt->fam[f].run[m][r] = NAN;
        }
    }
    if (pt->nruns == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        int bad = grow_runs(pt->run, cap) != 0;
        for (int f = 0; !bad && pt->fam && f < d->nfamilies; f++)
            bad = grow_runs(pt->fam[f].run, cap) != 0;
        if (bad) {
            c->oom = 1;
            return -1;
        }
        c->cap = cap;
    }
    for (int m = 0; m < M_COUNT; m++) pt->run[m][pt->nruns] = res->metric[m];
    for (int f = 0; pt->fam && f < d->nfamilies; f++) {
        /* By name: a run's families are the scenario's, in its order. */
        int g = -1;
        for (int h = 0; h < res->nfamilies && h < WORLD_MAX_FAMILIES; h++)
            if (strcmp(res->family_name[h], d->family[f]) == 0) g = h;
        plot_family *pf = &pt->fam[f];
        for (int m = 0; m < M_COUNT; m++)
            pf->run[m][pt->nruns] = g >= 0 ? res->family_metric[g][m] : NAN;
        if (g < 0) continue;
        for (int k = 0; k < FD_COUNT; k++)
            sim_hist_merge(&pf->dist[world_family_dist[k]],
                           &res->family_dist[g][k]);
        for (int k = 0; k < CAUSE_COUNT; k++)
            pf->causes[k] += res->family_causes[g][k];
    }
    pt->nruns++;
    for (int k = 0; k < D_COUNT; k++) sim_hist_merge(&pt->dist[k], &res->dist[k]);
    for (int k = 0; k < CAUSE_COUNT; k++) pt->causes[k] += res->stale_by_cause[k];
    return 0;
}

/* 1 if the connection's last error says the file is damaged. */
static int damaged(sqlite3 *conn) {
    int code = conn ? sqlite3_errcode(conn) & 0xff : SQLITE_NOMEM;
    return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

/* The experiment's texts, which results.h does not read back. */
static int load_texts(plot_data *d, const char *path, char *err,
                      size_t errlen) {
    sqlite3 *conn = NULL;
    sqlite3_stmt *st = NULL;
    int rc = PLOT_ERUNTIME;
    /* As results.c does: a read-only connection to a writable WAL database
     * would leave its -wal and -shm files behind; nothing is written. */
    int flags = access(path, W_OK) == 0 ? SQLITE_OPEN_READWRITE
                                        : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path, &conn, flags, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(conn, 30000) != SQLITE_OK ||
        sqlite3_prepare_v2(conn, "SELECT scenario_file, scenario_text, "
                               "overrides, command_line, stalesim_version, "
                               "started_at, coalesce(finished_at, '') FROM "
                               "experiments "
                               "WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
        rc = damaged(conn) ? PLOT_EINPUT : PLOT_ERUNTIME;
        sim_errf(err, errlen, "%s: %s%s (while reading the scenario)", path,
             damaged(conn) ? "the database file is damaged: sqlite: "
                           : "sqlite: ",
             conn ? sqlite3_errmsg(conn) : "out of memory");
        goto out;
    }
    sqlite3_bind_int64(st, 1, d->experiment);
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        if (step != SQLITE_DONE && damaged(conn)) rc = PLOT_EINPUT;
        sim_errf(err, errlen, "%s: %s%s (while reading the scenario)", path,
             rc == PLOT_EINPUT ? "the database file is damaged: sqlite: "
                               : "sqlite: ",
             step == SQLITE_DONE ? "no such experiment" : sqlite3_errmsg(conn));
        goto out;
    }
    /* Texts a sweep stored: none is longer than a scenario file may be. */
    static const char *const column[] = {
        "scenario_file", "scenario_text", "overrides", "command_line",
        "stalesim_version", "started_at", "finished_at"};
    for (int i = 0; i < 7; i++)
        if (sqlite3_column_bytes(st, i) > SCENARIO_FILE_MAX) {
            sim_errf(err, errlen, "%s: experiment %lld's stored %s is %d bytes "
                 "(at most %d; not a database stalesim wrote)", path,
                 (long long)d->experiment, column[i],
                 sqlite3_column_bytes(st, i), SCENARIO_FILE_MAX);
            rc = PLOT_EINPUT;
            goto out;
        }
    d->scenario_file = dup_str((const char *)sqlite3_column_text(st, 0));
    d->scenario_text = dup_str((const char *)sqlite3_column_text(st, 1));
    d->overrides = dup_str((const char *)sqlite3_column_text(st, 2));
    d->command_line = dup_str((const char *)sqlite3_column_text(st, 3));
    d->version = dup_str((const char *)sqlite3_column_text(st, 4));
    d->started_at = dup_str((const char *)sqlite3_column_text(st, 5));
    d->finished_at = dup_str((const char *)sqlite3_column_text(st, 6));
    if (!d->scenario_file || !d->scenario_text || !d->overrides ||
        !d->command_line || !d->version || !d->started_at ||
        !d->finished_at) {
        sim_errf(err, errlen, "out of memory");
        goto out;
    }
    rc = PLOT_OK;
out:
    sqlite3_finalize(st);
    sqlite3_close(conn);
    return rc;
}

static int load_db(plot_data *d, const char *path, int64_t id, char *err,
                   size_t errlen) {
    results *r = NULL;
    results_experiment e;
    memset(&e, 0, sizeof e);
    int rc = results_open(&r, path, 1, err, errlen);
    if (rc == RESULTS_OK) rc = results_experiment_load(r, id, &e, err, errlen);
    if (rc != RESULTS_OK) {
        rc = rc == RESULTS_EINPUT ? PLOT_EINPUT : PLOT_ERUNTIME;
        goto out;
    }
    d->from_db = 1;
    d->experiment = e.id;
    d->key = calloc(e.nkeys + 1, sizeof *d->key);
    d->point = calloc(e.npoints + 1, sizeof *d->point);
    if (!d->key || !d->point) goto oom;
    for (size_t k = 0; k < e.nkeys; k++) {
        if (!(d->key[k] = dup_str(e.key[k]))) goto oom;
        d->nkeys++;
    }
    for (size_t p = 0; p < e.npoints; p++) {
        plot_point *pt = &d->point[p];
        point_init(pt);
        d->npoints++;
        pt->value = calloc(e.nkeys + 1, sizeof *pt->value);
        if (!pt->value) goto oom;
        for (size_t k = 0; k < e.nkeys; k++)
            if (!(pt->value[k] = dup_str(e.point[p].value[k]))) goto oom;
        pt->complete = e.point[p].done;
        pt->has_bins = 1;
        run_ctx c = {d, pt, 0, 0};
        rc = results_each_run(r, e.point[p].id, add_run, &c, err, errlen);
        if (c.oom) goto oom;
        if (rc != RESULTS_OK) {
            rc = rc == RESULTS_EINPUT ? PLOT_EINPUT : PLOT_ERUNTIME;
            goto out;
        }
        for (int m = 0; m < M_COUNT; m++)
            mean_ci(pt->run[m], pt->nruns, &pt->mean[m], &pt->ci95[m]);
    }
    rc = load_texts(d, path, err, errlen);
    if (rc != PLOT_OK) goto out;
    for (size_t p = 0; p < d->npoints; p++) {
        scenario sc;
        char e2[512];
        int src = plot_data_point_scenario(d, p, &sc, e2, sizeof e2);
        if (src == PLOT_OK) {
            d->point[p].ttl_s = sim_time_to_s(sc.cache.ttl);
            d->point[p].max_staleness_s =
                sim_time_to_s(sc.contract.max_staleness);
            snprintf(d->point[p].pattern, sizeof d->point[p].pattern, "%s",
                     sc.cache.pattern);
        } else if (!d->scenario_error[0]) {
            snprintf(d->scenario_error, sizeof d->scenario_error, "%s", e2);
        }
        scenario_fini(&sc);
        if (src == PLOT_ERUNTIME) {
            sim_errf(err, errlen, "%s", e2);
            rc = PLOT_ERUNTIME;
            goto out;
        }
    }
    rc = PLOT_OK;
    goto out;
oom:
    sim_errf(err, errlen, "out of memory");
    rc = PLOT_ERUNTIME;
out:
    results_experiment_fini(&e);
    results_close(r);
    return rc;
}

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
    for (int d = 0; d < D_COUNT; d++)
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
    c->d->scenario_file = dup_str(file ? file : c->path);
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
    for (int m = 0; m < M_COUNT; m++)
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
    for (int k = 0; k < CAUSE_COUNT; k++)
        if (name && strcmp(name, oracle_cause_name((oracle_cause)k)) == 0 &&
            n >= 0)
            c->pt->causes[k] = (uint64_t)n;
    return PLOT_OK;
}

static int load_json(plot_data *d, const char *path, char *err,
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
    point_init(pt);
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
    if (rc != PLOT_OK) goto out;
    /* The tallies the bins imply: n exactly, min and max bracketing every
     * value (quantiles are clamped to them). */
    pt->has_bins = c.nbins > 0;
    for (int k = 0; k < D_COUNT; k++) {
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

int plot_data_load(plot_data *d, const char *path, int64_t experiment,
                   char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    if (!(d->source = dup_str(path))) {
        sim_errf(err, errlen, "out of memory");
        return PLOT_ERUNTIME;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        sim_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return PLOT_EINPUT;
    }
    char head[16];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n == 16 && memcmp(head, "SQLite format 3", 16) == 0)
        return load_db(d, path, experiment, err, errlen);
    if (experiment != 0) {
        sim_errf(err, errlen, "--experiment: %s is not a results database", path);
        return PLOT_EINPUT;
    }
    return load_json(d, path, err, errlen);
}

/* ---- per key family ---------------------------------------------------------------- */

int plot_data_by_family(plot_data *out, const plot_data *d, char *err,
                        size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!d->from_db) {
        sim_errf(err, errlen, "--by family: %s is a single run; plot a sweep "
             "database (stalesim sweep ... --db FILE)", d->source);
        return PLOT_EINPUT;
    }
    if (d->nfamilies == 0) {
        sim_errf(err, errlen, "--by family: experiment %lld has no key families "
             "(no [family.NAME] section in its scenario)",
             (long long)d->experiment);
        return PLOT_EINPUT;
    }
    int nf = d->nfamilies;
    out->from_db = 1;
    out->by_family = 1;
    out->experiment = d->experiment;
    out->nfamilies = nf;
    memcpy(out->family, d->family, sizeof out->family);
    memcpy(out->scenario_error, d->scenario_error, sizeof out->scenario_error);
    out->source = dup_str(d->source);
    out->scenario_file = dup_str(d->scenario_file);
    out->scenario_text = dup_str(d->scenario_text);
    out->overrides = dup_str(d->overrides);
    out->command_line = dup_str(d->command_line);
    out->version = dup_str(d->version);
    out->started_at = dup_str(d->started_at);
    out->finished_at = dup_str(d->finished_at);
    out->key = calloc(d->nkeys + 2, sizeof *out->key);
    out->point = calloc(d->npoints * (size_t)nf + 1, sizeof *out->point);
    if (!out->source || !out->scenario_file || !out->scenario_text ||
        !out->overrides || !out->command_line || !out->version ||
        !out->started_at || !out->finished_at || !out->key || !out->point)
        goto oom;
    for (size_t k = 0; k <= d->nkeys; k++) {
        if (!(out->key[k] = dup_str(k < d->nkeys ? d->key[k] : "family")))
            goto oom;
        out->nkeys++;
    }
    for (size_t p = 0; p < d->npoints; p++) {
        const plot_point *src = &d->point[p];
        for (int f = 0; f < nf; f++) {
            plot_point *pt = &out->point[out->npoints];
            point_init(pt);
            out->npoints++;
            pt->family = f;
            pt->value = calloc(out->nkeys + 1, sizeof *pt->value);
            if (!pt->value) goto oom;
            for (size_t k = 0; k < out->nkeys; k++)
                if (!(pt->value[k] =
                          dup_str(k < d->nkeys ? src->value[k] : d->family[f])))
                    goto oom;
            pt->complete = src->complete;
            pt->has_bins = 1;
            pt->nruns = src->nruns;
            for (int m = 0; m < M_COUNT; m++) {
                pt->run[m] = malloc((src->nruns + 1) * sizeof(double));
                if (!pt->run[m]) goto oom;
                for (uint32_t r = 0; r < src->nruns; r++)
                    pt->run[m][r] = src->fam ? src->fam[f].run[m][r] : NAN;
                mean_ci(pt->run[m], pt->nruns, &pt->mean[m], &pt->ci95[m]);
            }
            if (src->fam) {
                memcpy(pt->dist, src->fam[f].dist, sizeof pt->dist);
                memcpy(pt->causes, src->fam[f].causes, sizeof pt->causes);
            }
            scenario sc;
            char e2[512];
            int src_rc = plot_data_point_scenario(
                out, out->npoints - 1, &sc, e2, sizeof e2);
            if (src_rc == PLOT_OK) {
                pt->ttl_s = sim_time_to_s(sc.cache.ttl);
                pt->max_staleness_s = sim_time_to_s(sc.contract.max_staleness);
                snprintf(pt->pattern, sizeof pt->pattern, "%s",
                         sc.cache.pattern);
            } else if (!out->scenario_error[0]) {
                snprintf(out->scenario_error, sizeof out->scenario_error, "%s",
                         e2);
            }
            scenario_fini(&sc);
        }
    }
    return PLOT_OK;
oom:
    sim_errf(err, errlen, "out of memory");
    return PLOT_ERUNTIME;
}

/* ---- selections ------------------------------------------------------------------ */

void plot_selection_fini(plot_selection *s) {
    if (!s) return;
    for (size_t g = 0; s->group && g < s->ngroups; g++) free(s->group[g].point);
    free(s->group);
    free(s->point);
    memset(s, 0, sizeof *s);
}

/* Two values of a key are the same: equal text, or equal numbers (30s is
 * 0.5m). */
static int same_value(const char *a, const char *b) {
    if (strcmp(a, b) == 0) return 1;
    double x = plot_value_number(a), y = plot_value_number(b);
    return !isnan(x) && x == y;
}

/* Does `value` match one of the comma-separated alternatives in `list`? */
static int value_in(const char *value, const char *list) {
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        char alt[256];
        if (len < sizeof alt) {
            memcpy(alt, p, len);
            alt[len] = '\0';
            if (same_value(value, alt)) return 1;
        }
        if (!p[len]) return 0;
        p += len + 1;
    }
}

void plot_point_label(const plot_data *d, size_t p, int skip1, int skip2,
                      char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    const plot_point *pt = &d->point[p];
    if (d->nkeys == 0) {
        snprintf(buf, len, "%s", pt->pattern[0] ? pt->pattern : "run");
        return;
    }
    for (size_t k = 0; k < d->nkeys && used < len; k++) {
        if ((int)k == skip1 || (int)k == skip2) continue;
        const char *name = strrchr(d->key[k], '.');
        name = name ? name + 1 : d->key[k];
        int n = strcmp(d->key[k], "cache.pattern") == 0 ||
                        (d->by_family && k + 1 == d->nkeys)
                    ? snprintf(buf + used, len - used, "%s%s",
                               used ? ", " : "", pt->value[k])
                    : snprintf(buf + used, len - used, "%s%s=%s",
                               used ? ", " : "", name, pt->value[k]);
        if (n < 0) break;
        used += (size_t)n;
    }
    if (!buf[0]) snprintf(buf, len, "all points");
}

static int group_key_equal(const plot_data *d, size_t a, size_t b, int by,
                           int x) {
    if (by >= 0)
        return same_value(d->point[a].value[by], d->point[b].value[by]);
    if (x < 0) return a == b;
    for (size_t k = 0; k < d->nkeys; k++)
        if ((int)k != x &&
            !same_value(d->point[a].value[k], d->point[b].value[k]))
            return 0;
    return 1;
}

static int bad_key(const plot_data *d, const char *opt, const char *key,
                   char *err, size_t errlen) {
    char keys[1024];
    plot_data_key_list(d, keys, sizeof keys);
    if (!d->from_db)
        sim_errf(err, errlen, "%s '%s': %s is a single run, nothing was varied "
             "(plot a sweep database for that)", opt, key, d->source);
    else
        sim_errf(err, errlen, "%s '%s': not a varied key of experiment %lld "
             "(varied: %s)", opt, key, (long long)d->experiment, keys);
    return PLOT_EINPUT;
}

/* x of point p for ordering (NaN for names). */
static double x_of(const plot_data *d, size_t p, int x) {
    return plot_value_number(d->point[p].value[x]);
}

/* Sorts a group's points by their numeric x value, stably (names keep grid
 * order); an insertion sort: groups are small. */
static void sort_by_x(const plot_data *d, int x, size_t *pt, size_t n) {
    for (size_t i = 1; i < n; i++) {
        size_t v = pt[i], j = i;
        double xv = x_of(d, v, x);
        while (j > 0 && !isnan(xv) && x_of(d, pt[j - 1], x) > xv) {
            pt[j] = pt[j - 1];
            j--;
        }
        pt[j] = v;
    }
}

int plot_select(plot_selection *s, const plot_data *d, const char *const *where,
                size_t nwhere, const char *by, const char *x, char *err,
                size_t errlen) {
    memset(s, 0, sizeof *s);
    s->by = s->x = -1;
    int rc = PLOT_EINPUT;
    int wkey[PLOT_MAX_WHERE];
    if (nwhere > PLOT_MAX_WHERE) {
        sim_errf(err, errlen, "--where: at most %d", PLOT_MAX_WHERE);
        return PLOT_EINPUT;
    }
    for (size_t w = 0; w < nwhere; w++) {
        const char *eq = strchr(where[w], '=');
        if (!eq || eq == where[w] || !eq[1]) {
            sim_errf(err, errlen, "--where '%s': expected KEY=VALUE, e.g. "
                 "cache.ttl=30s", where[w]);
            return PLOT_EINPUT;
        }
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(eq - where[w]), where[w]);
        wkey[w] = plot_data_key(d, key);
        if (wkey[w] < 0) return bad_key(d, "--where", key, err, errlen);
        size_t p = 0;
        while (p < d->npoints && !value_in(d->point[p].value[wkey[w]], eq + 1))
            p++;
        if (p == d->npoints) {
            char vals[1024] = "";
            size_t used = 0;
            for (size_t q = 0; q < d->npoints && used < sizeof vals; q++) {
                const char *v = d->point[q].value[wkey[w]];
                int seen = 0;
                for (size_t r = 0; r < q; r++)
                    if (strcmp(d->point[r].value[wkey[w]], v) == 0) seen = 1;
                if (seen) continue;
                int n = snprintf(vals + used, sizeof vals - used, "%s%s",
                                 used ? ", " : "", v);
                if (n > 0) used += (size_t)n;
            }
            sim_errf(err, errlen, "--where '%s': no point has %s = %s (its "
                 "values: %s)", where[w], key, eq + 1, vals);
            return PLOT_EINPUT;
        }
    }
    if (x) {
        s->x = plot_data_key(d, x);
        if (s->x < 0) return bad_key(d, "--x", x, err, errlen);
    }
    if (by && *by && strcmp(by, "point") != 0) {
        s->by = plot_data_key(d, by);
        if (s->by < 0) return bad_key(d, "--by", by, err, errlen);
        if (s->by == s->x) {
            sim_errf(err, errlen, "--by '%s': the same key as --x (curves would "
                 "have one point each)", by);
            return PLOT_EINPUT;
        }
    } else if (!by) {
        int k = plot_data_key(d, "cache.pattern");
        if (k >= 0 && k != s->x) s->by = k;
    }
    s->point = calloc(d->npoints + 1, sizeof *s->point);
    s->group = calloc(d->npoints + 1, sizeof *s->group);
    if (!s->point || !s->group) goto oom;
    for (size_t p = 0; p < d->npoints; p++) {
        size_t w = 0;
        const char *eq;
        while (w < nwhere && (eq = strchr(where[w], '=')) &&
               value_in(d->point[p].value[wkey[w]], eq + 1))
            w++;
        if (w == nwhere) s->point[s->n++] = p;
    }
    if (s->n == 0) {
        sim_errf(err, errlen, "--where: no point matches every condition");
        goto fail;
    }
    for (size_t i = 0; i < s->n; i++) {
        size_t p = s->point[i], g = 0;
        while (g < s->ngroups &&
               !group_key_equal(d, s->group[g].point[0], p, s->by, s->x))
            g++;
        plot_group *gr = &s->group[g];
        if (g == s->ngroups) {
            s->ngroups++;
            gr->point = calloc(s->n + 1, sizeof *gr->point);
            if (!gr->point) goto oom;
            if (s->by >= 0) {
                const char *name = strrchr(d->key[s->by], '.');
                name = name ? name + 1 : d->key[s->by];
                if (strcmp(d->key[s->by], "cache.pattern") == 0 ||
                    (d->by_family && (size_t)s->by + 1 == d->nkeys))
                    snprintf(gr->label, sizeof gr->label, "%s",
                             d->point[p].value[s->by]);
                else
                    snprintf(gr->label, sizeof gr->label, "%s=%s", name,
                             d->point[p].value[s->by]);
            } else {
                plot_point_label(d, p, s->x, -1, gr->label, sizeof gr->label);
            }
        }
        gr->point[gr->n++] = p;
    }
    if (s->x >= 0) {
        for (size_t g = 0; g < s->ngroups; g++)
            sort_by_x(d, s->x, s->group[g].point, s->group[g].n);
    }
    return PLOT_OK;
oom:
    sim_errf(err, errlen, "out of memory");
    rc = PLOT_ERUNTIME;
fail:
    plot_selection_fini(s);
    return rc;
}

/* ---- pooling ---------------------------------------------------------------------- */

int plot_pool_points(plot_pool *out, const plot_data *d, const size_t *idx,
                     size_t n) {
    memset(out, 0, sizeof *out);
    for (int k = 0; k < D_COUNT; k++) sim_hist_init(&out->dist[k]);
    for (int m = 0; m < M_COUNT; m++) out->mean[m] = out->ci95[m] = NAN;
    out->has_bins = 1;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const plot_point *pt = &d->point[idx[i]];
        total += pt->nruns;
        for (int k = 0; k < D_COUNT; k++) sim_hist_merge(&out->dist[k], &pt->dist[k]);
        for (int c = 0; c < CAUSE_COUNT; c++) out->causes[c] += pt->causes[c];
        if (!pt->has_bins) out->has_bins = 0;
    }
    out->runs = total;
    if (!d->from_db) {
        /* A RUN.json carries only its summary. */
        if (n == 1)
            for (int m = 0; m < M_COUNT; m++) {
                out->mean[m] = d->point[idx[0]].mean[m];
                out->ci95[m] = d->point[idx[0]].ci95[m];
            }
        return PLOT_OK;
    }
    double *v = malloc((total + 1) * sizeof *v);
    if (!v) return PLOT_ERUNTIME;
    for (int m = 0; m < M_COUNT; m++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            const plot_point *pt = &d->point[idx[i]];
            for (uint32_t r = 0; r < pt->nruns; r++) v[k++] = pt->run[m][r];
        }
        mean_ci(v, k, &out->mean[m], &out->ci95[m]);
    }
    free(v);
    return PLOT_OK;
}
