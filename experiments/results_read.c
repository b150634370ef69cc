/* The reads of the SQLite results store: one run back bit for bit, an
 * experiment with its points (and the texts it was run from), every run of
 * a point.  An experiment is read in one read transaction, so a sweep
 * writing meanwhile cannot tear it. */
#include "experiments/results.h"
#include "experiments/results_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "models/scenario.h"
#include "sim/errf.h"
#include "sim/stats.h"

/* SELECT of a run; metrics the file has no column for read as NULL. */
static char *select_run_sql(const results *r) {
    size_t len = 256 + strlen(results_rare_select(r));
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        len += strlen(world_metric_name((world_metric)m)) + 8;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    p += sprintf(p, "SELECT id, events, wall_s");
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        p += r->has_metric[m]
                 ? sprintf(p, ", \"%s\"", world_metric_name((world_metric)m))
                 : sprintf(p, ", NULL");
    sprintf(p, "%s FROM runs WHERE point = ? AND rep = ?",
            results_rare_select(r));
    return s;
}

int results_dist_index(const char *name) {
    if (!name) return -1; /* a NULL name in a damaged file */
    for (int d = 0; d < WORLD_DIST_COUNT; d++)
        if (strcmp(name, world_dist_name((world_dist)d)) == 0) return d;
    return -1;
}

int results_cause_index(const char *name) {
    if (!name) return -1;
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
        if (strcmp(name, oracle_cause_name((oracle_cause)c)) == 0) return c;
    return -1;
}

int results_hist_whole(const sim_hist *h) {
    uint64_t sum = h->zeros;
    for (int i = 0; i < SIM_HIST_BINS; i++) {
        if (h->bins[i] > UINT64_MAX - sum) return 0;
        sum += h->bins[i];
    }
    return sum == h->tally.n;
}

double results_column_real(sqlite3_stmt *st, int i) {
    return sqlite3_column_type(st, i) == SQLITE_NULL
               ? NAN : sqlite3_column_double(st, i);
}

int results_read_run(results *r, int64_t point_id, uint32_t rep,
                     world_result *out, char *err, size_t errlen) {
    const char *what = "reading a run";
    sqlite3_stmt *st = results_cached_gen(r, RESULTS_ST_SELECT_RUN, select_run_sql, what, err,
                                  errlen);
    if (!st) return RESULTS_EIO;
    sqlite3_bind_int64(st, 1, point_id);
    sqlite3_bind_int64(st, 2, rep);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        sim_errf(err, errlen, "%s: no run %u of point %lld", r->path, rep,
             (long long)point_id);
        return RESULTS_EINPUT;
    }
    if (step != SQLITE_ROW) return results_sql_fail(r, what, err, errlen);
    int64_t run = sqlite3_column_int64(st, 0);
    out->events = (uint64_t)sqlite3_column_int64(st, 1);
    out->wall_s = sqlite3_column_double(st, 2);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) out->metric[m] = results_column_real(st, 3 + m);
    results_rare_read(st, 3 + WORLD_METRIC_COUNT, out);
    sqlite3_reset(st);
    for (int d = 0; d < WORLD_DIST_COUNT; d++) sim_hist_init(&out->dist[d]);
    memset(out->stale_by_cause, 0, sizeof out->stale_by_cause);
    memset(out->over_bound_by_cause, 0, sizeof out->over_bound_by_cause);

    st = results_cached(r, RESULTS_ST_SELECT_BINS,
                "SELECT name, bin, count FROM distributions WHERE run = ?",
                what, err, errlen);
    if (!st) return RESULTS_EIO;
    sqlite3_bind_int64(st, 1, run);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int d = results_dist_index((const char *)sqlite3_column_text(st, 0));
        int64_t bin = sqlite3_column_int64(st, 1);
        uint64_t c = (uint64_t)sqlite3_column_int64(st, 2);
        if (d < 0) continue; /* a distribution this build does not know */
        if (bin < -1 || bin >= SIM_HIST_BINS) {
            sim_errf(err, errlen, "%s: run %lld has bin %lld of '%s', outside "
                 "-1..%d", r->path, (long long)run, (long long)bin,
                 (const char *)sqlite3_column_text(st, 0), SIM_HIST_BINS - 1);
            sqlite3_reset(st);
            return RESULTS_EINPUT;
        }
        if (bin < 0) out->dist[d].zeros = c;
        else out->dist[d].bins[bin] = c;
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return results_sql_fail(r, what, err, errlen);

    st = results_cached(r, RESULTS_ST_SELECT_STATS,
                "SELECT name, n, mean_ns, m2_ns2, min_ns, max_ns FROM "
                "dist_stats WHERE run = ?",
                what, err, errlen);
    if (!st) return RESULTS_EIO;
    sqlite3_bind_int64(st, 1, run);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int d = results_dist_index((const char *)sqlite3_column_text(st, 0));
        if (d < 0) continue; /* a distribution this build does not know */
        sim_tally *t = &out->dist[d].tally;
        t->n = (uint64_t)sqlite3_column_int64(st, 1);
        t->mean = sqlite3_column_double(st, 2);
        t->m2 = sqlite3_column_double(st, 3);
        t->min = results_column_real(st, 4);
        t->max = results_column_real(st, 5);
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return results_sql_fail(r, what, err, errlen);
    for (int d = 0; d < WORLD_DIST_COUNT; d++)
        if (!results_hist_whole(&out->dist[d])) {
            sim_errf(err, errlen, "%s: run %lld: the bins of '%s' do not add "
                     "up to its count (a damaged database)", r->path,
                     (long long)run, world_dist_name((world_dist)d));
            return RESULTS_EINPUT;
        }

    st = results_cached(r, RESULTS_ST_SELECT_CAUSES,
                r->has_over_causes
                    ? "SELECT cause, stale_reads, over_bound_reads FROM "
                      "causes WHERE run = ?"
                    : "SELECT cause, stale_reads, NULL FROM causes WHERE "
                      "run = ?",
                what, err, errlen);
    if (!st) return RESULTS_EIO;
    sqlite3_bind_int64(st, 1, run);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int c = results_cause_index((const char *)sqlite3_column_text(st, 0));
        if (c >= 0) {
            out->stale_by_cause[c] = (uint64_t)sqlite3_column_int64(st, 1);
            /* NULL (not recorded) reads 0: results_point_over_causes says */
            out->over_bound_by_cause[c] = (uint64_t)sqlite3_column_int64(st, 2);
        }
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return results_sql_fail(r, what, err, errlen);
    return results_family_read(r, run, out, err, errlen);
}

int results_point_over_causes(results *r, int64_t point_id, int *recorded,
                              char *err, size_t errlen) {
    *recorded = 1;
    /* Is there a causes row (and, with families, a family_causes row) of
     * the point's runs without the count?  A file without the column has
     * none anywhere it has rows. */
    char sql[640];
    long long p = (long long)point_id;
    int at = snprintf(sql, sizeof sql,
                      "SELECT EXISTS (SELECT 1 FROM runs x JOIN causes c ON "
                      "c.run = x.id WHERE x.point = %lld%s)",
                      p, r->has_over_causes ? " AND c.over_bound_reads IS NULL"
                                            : "");
    if (r->has_families)
        snprintf(sql + at, sizeof sql - (size_t)at,
                 " OR EXISTS (SELECT 1 FROM runs x JOIN family_causes c ON "
                 "c.run = x.id WHERE x.point = %lld%s)",
                 p, r->has_fover_causes ? " AND c.over_bound_reads IS NULL"
                                        : "");
    int64_t missing;
    int rc = results_query_int(r, sql, &missing,
                               "reading the causes of over-bound reads", err,
                               errlen);
    if (rc == RESULTS_OK) *recorded = missing == 0;
    return rc;
}

/* ---- reading experiments ------------------------------------------------------ */

static char *column_dup(sqlite3_stmt *st, int i) {
    const unsigned char *t = sqlite3_column_text(st, i);
    return strdup(t ? (const char *)t : "");
}

void results_experiment_fini(results_experiment *e) {
    if (!e) return;
    free(e->scenario_file);
    free(e->scenario_hash);
    free(e->mode);
    free(e->command_line);
    free(e->version);
    free(e->started_at);
    free(e->finished_at);
    free(e->rare);
    free(e->scenario_text);
    free(e->overrides);
    for (size_t k = 0; k < e->nkeys; k++) free(e->key[k]);
    free(e->key);
    for (size_t p = 0; p < e->npoints; p++) {
        for (size_t k = 0; e->point[p].value && k < e->nkeys; k++)
            free(e->point[p].value[k]);
        free(e->point[p].value);
    }
    free(e->point);
    memset(e, 0, sizeof *e);
}

static const char reading_experiment[] = "reading the experiment";

static int load_oom(results *r, char *err, size_t errlen) {
    sim_errf(err, errlen, "%s: out of memory", r->path);
    return RESULTS_EIO;
}

/* Experiment id's row into e; *npoints: the points it claims. */
static int load_experiment_row(results *r, int64_t id, results_experiment *e,
                               int64_t *npoints, char *err, size_t errlen) {
    const char *what = reading_experiment;
    sqlite3_stmt *st = NULL;
    char sql[320];
    snprintf(sql, sizeof sql,
             "SELECT scenario_file, scenario_hash, mode, command_line, "
             "stalesim_version, started_at, coalesce(finished_at, ''), "
             "points, %s FROM experiments WHERE id = ?",
             results_rare_exp_column(r));
    int rc = results_prepare(r, sql, &st, what, err, errlen);
    if (rc != RESULTS_OK) return rc;
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        sim_errf(err, errlen, "%s: no experiment %lld", r->path, (long long)id);
        rc = RESULTS_EINPUT;
    } else if (step != SQLITE_ROW) {
        rc = results_sql_fail(r, what, err, errlen);
    } else {
        e->id = id;
        e->scenario_file = column_dup(st, 0);
        e->scenario_hash = column_dup(st, 1);
        e->mode = column_dup(st, 2);
        e->command_line = column_dup(st, 3);
        e->version = column_dup(st, 4);
        e->started_at = column_dup(st, 5);
        e->finished_at = column_dup(st, 6);
        *npoints = sqlite3_column_int64(st, 7);
        e->rare = column_dup(st, 8);
        if (!e->scenario_file || !e->scenario_hash || !e->mode ||
            !e->command_line || !e->version || !e->started_at ||
            !e->finished_at || !e->rare)
            rc = load_oom(r, err, errlen);
    }
    sqlite3_finalize(st);
    return rc;
}

/* The varied keys of experiment id, in grid order. */
static int load_keys(results *r, int64_t id, results_experiment *e,
                     char *err, size_t errlen) {
    sqlite3_stmt *st = NULL;
    int rc = results_prepare(r, "SELECT key FROM vary WHERE experiment = ? ORDER BY "
                            "position", &st, reading_experiment, err, errlen);
    if (rc != RESULTS_OK) return rc;
    sqlite3_bind_int64(st, 1, id);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        char **k = realloc(e->key, (e->nkeys + 1) * sizeof *k);
        if (!k) break;
        e->key = k;
        if (!(e->key[e->nkeys] = column_dup(st, 0))) break;
        e->nkeys++;
    }
    if (step == SQLITE_ROW) rc = load_oom(r, err, errlen);
    else if (step != SQLITE_DONE)
        rc = results_sql_fail(r, reading_experiment, err, errlen);
    sqlite3_finalize(st);
    return rc;
}

/* The points of experiment id (at most npoints), in index order, each with
 * room for its values. */
static int load_points(results *r, int64_t id, int64_t npoints,
                       results_experiment *e, char *err, size_t errlen) {
    /* A sweep writes the experiment and all its points in one transaction,
     * so an experiment has 1..GRID_MAX_POINTS points and holds all of them. */
    if (npoints < 1 || npoints > GRID_MAX_POINTS) {
        sim_errf(err, errlen, "%s: experiment %lld claims %lld points (a "
                 "damaged database)", r->path, (long long)id, (long long)npoints);
        return RESULTS_EINPUT;
    }
    e->point = calloc((size_t)npoints + 1, sizeof *e->point);
    if (!e->point) return load_oom(r, err, errlen);
    sqlite3_stmt *st = NULL;
    int rc = results_prepare(r, "SELECT id, idx, reps_target, reps_done, done, hit_cap "
                            "FROM points WHERE experiment = ? ORDER BY idx",
                         &st, reading_experiment, err, errlen);
    if (rc != RESULTS_OK) return rc;
    sqlite3_bind_int64(st, 1, id);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && e->npoints < (size_t)npoints) {
        results_point *p = &e->point[e->npoints++];
        p->id = sqlite3_column_int64(st, 0);
        p->index = (uint32_t)sqlite3_column_int64(st, 1);
        p->reps_target = (uint32_t)sqlite3_column_int64(st, 2);
        p->reps_done = (uint32_t)sqlite3_column_int64(st, 3);
        p->done = sqlite3_column_int(st, 4);
        p->hit_cap = sqlite3_column_int(st, 5);
        p->value = calloc(e->nkeys + 1, sizeof *p->value);
        if (!p->value) {
            rc = load_oom(r, err, errlen);
            break;
        }
    }
    if (rc == RESULTS_OK && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = results_sql_fail(r, reading_experiment, err, errlen);
    if (rc == RESULTS_OK && e->npoints != (size_t)npoints) {
        sim_errf(err, errlen, "%s: experiment %lld claims %lld points but holds "
                 "%zu (a damaged database)", r->path, (long long)id,
                 (long long)npoints, e->npoints);
        rc = RESULTS_EINPUT;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Every point's value of every key ("?" when none is stored). */
static int load_values(results *r, results_experiment *e, char *err,
                       size_t errlen) {
    sqlite3_stmt *st = NULL;
    int rc = results_prepare(r, "SELECT value FROM point_values WHERE point = ? AND "
                            "key = ?", &st, reading_experiment, err, errlen);
    if (rc != RESULTS_OK) return rc;
    for (size_t p = 0; p < e->npoints && rc == RESULTS_OK; p++)
        for (size_t k = 0; k < e->nkeys && rc == RESULTS_OK; k++) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, e->point[p].id);
            sqlite3_bind_text(st, 2, e->key[k], -1, SQLITE_STATIC);
            int step = sqlite3_step(st);
            if (step != SQLITE_ROW && step != SQLITE_DONE) {
                rc = results_sql_fail(r, reading_experiment, err, errlen);
                break;
            }
            e->point[p].value[k] =
                step == SQLITE_ROW ? column_dup(st, 0) : strdup("?");
            if (!e->point[p].value[k]) rc = load_oom(r, err, errlen);
        }
    sqlite3_finalize(st);
    return rc;
}

int results_experiment_load(results *r, int64_t id, results_experiment *e,
                            char *err, size_t errlen) {
    memset(e, 0, sizeof *e);
    const char *what = reading_experiment;
    int rc;
    if (id == 0) {
        rc = results_query_int(r, "SELECT coalesce(max(id), 0) FROM experiments", &id,
                               what, err, errlen);
        if (rc != RESULTS_OK) return rc;
        if (id == 0) {
            sim_errf(err, errlen, "%s: holds no experiment yet", r->path);
            return RESULTS_EINPUT;
        }
    }
    /* One read transaction, so a sweep writing meanwhile cannot tear it. */
    rc = results_exec(r, "BEGIN", what, err, errlen);
    if (rc != RESULTS_OK) return rc;
    int64_t npoints = 0;
    rc = load_experiment_row(r, id, e, &npoints, err, errlen);
    if (rc == RESULTS_OK) rc = load_keys(r, id, e, err, errlen);
    if (rc == RESULTS_OK) rc = load_points(r, id, npoints, e, err, errlen);
    if (rc == RESULTS_OK) rc = load_values(r, e, err, errlen);
    if (rc == RESULTS_OK) {
        rc = results_exec(r, "COMMIT", what, err, errlen);
    } else {
        results_rollback(r);
    }
    if (rc != RESULTS_OK) results_experiment_fini(e);
    return rc;
}

/* 1 if the connection's last error says the file is damaged. */
static int damaged(sqlite3 *conn) {
    int code = conn ? sqlite3_errcode(conn) & 0xff : SQLITE_NOMEM;
    return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

int results_experiment_texts(results *r, results_experiment *e, char *err,
                             size_t errlen) {
    sqlite3_stmt *st = NULL;
    int rc = RESULTS_EIO;
    if (sqlite3_prepare_v2(r->db, "SELECT scenario_file, scenario_text, "
                                  "overrides, command_line, stalesim_version, "
                                  "started_at, coalesce(finished_at, '') FROM "
                                  "experiments WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = damaged(r->db) ? RESULTS_EINPUT : RESULTS_EIO;
        sim_errf(err, errlen, "%s: %s%s (while reading the scenario)", r->path,
                 damaged(r->db) ? "the database file is damaged: sqlite: "
                                : "sqlite: ",
                 sqlite3_errmsg(r->db));
        goto out;
    }
    sqlite3_bind_int64(st, 1, e->id);
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        if (step != SQLITE_DONE && damaged(r->db)) rc = RESULTS_EINPUT;
        sim_errf(err, errlen, "%s: %s%s (while reading the scenario)", r->path,
                 rc == RESULTS_EINPUT ? "the database file is damaged: sqlite: "
                                      : "sqlite: ",
                 step == SQLITE_DONE ? "no such experiment"
                                     : sqlite3_errmsg(r->db));
        goto out;
    }
    /* Texts a sweep stored: none is longer than a scenario file may be. */
    static const char *const column[] = {
        "scenario_file", "scenario_text", "overrides", "command_line",
        "stalesim_version", "started_at", "finished_at"};
    for (int i = 0; i < 7; i++)
        if (sqlite3_column_bytes(st, i) > SCENARIO_FILE_MAX) {
            sim_errf(err, errlen, "%s: experiment %lld's stored %s is %d bytes "
                     "(at most %d; not a database stalesim wrote)", r->path,
                     (long long)e->id, column[i], sqlite3_column_bytes(st, i),
                     SCENARIO_FILE_MAX);
            rc = RESULTS_EINPUT;
            goto out;
        }
    free(e->scenario_text);
    free(e->overrides);
    e->scenario_text = column_dup(st, 1);
    e->overrides = column_dup(st, 2);
    if (!e->scenario_text || !e->overrides) {
        sim_errf(err, errlen, "out of memory");
        goto out;
    }
    rc = RESULTS_OK;
out:
    sqlite3_finalize(st);
    return rc;
}

int results_each_run(results *r, int64_t point_id, results_result_fn fn,
                     void *arg, char *err, size_t errlen) {
    const char *what = "reading the runs of a point";
    sqlite3_stmt *st;
    int rc = results_prepare(r, "SELECT rep FROM runs WHERE point = ? ORDER BY rep",
                             &st, what, err, errlen);
    if (rc != RESULTS_OK) return rc;
    sqlite3_bind_int64(st, 1, point_id);
    uint32_t *reps = NULL;
    size_t n = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            uint32_t *p = realloc(reps, cap * sizeof *p);
            if (!p) {
                step = SQLITE_NOMEM;
                break;
            }
            reps = p;
        }
        reps[n++] = (uint32_t)sqlite3_column_int64(st, 0);
    }
    if (step == SQLITE_NOMEM) {
        sim_errf(err, errlen, "%s: out of memory", r->path);
        rc = RESULTS_EIO;
    } else if (step != SQLITE_DONE) {
        rc = results_sql_fail(r, what, err, errlen);
    }
    sqlite3_finalize(st);
    world_result *res = rc == RESULTS_OK ? malloc(sizeof *res) : NULL;
    if (rc == RESULTS_OK && !res) {
        sim_errf(err, errlen, "%s: out of memory", r->path);
        rc = RESULTS_EIO;
    }
    for (size_t i = 0; i < n && rc == RESULTS_OK; i++) {
        rc = results_read_run(r, point_id, reps[i], res, err, errlen);
        if (rc == RESULTS_OK && fn(arg, reps[i], res) != 0) break;
    }
    free(res);
    free(reps);
    return rc;
}

int results_experiment_ids(results *r, int64_t **ids, size_t *n, char *err,
                           size_t errlen) {
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    const char *what = "listing the experiments";
    int rc = results_prepare(r, "SELECT id FROM experiments ORDER BY id", &st,
                             what, err, errlen);
    if (rc != RESULTS_OK) return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t *grown = realloc(*ids, (*n + 1) * sizeof *grown);
        if (!grown) {
            sqlite3_finalize(st);
            free(*ids);
            *ids = NULL;
            *n = 0;
            sim_errf(err, errlen, "%s: out of memory", r->path);
            return RESULTS_EIO;
        }
        *ids = grown;
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (step != SQLITE_DONE) {
        rc = results_sql_fail(r, what, err, errlen);
        sqlite3_finalize(st);
        free(*ids);
        *ids = NULL;
        *n = 0;
        return rc;
    }
    sqlite3_finalize(st);
    return RESULTS_OK;
}
