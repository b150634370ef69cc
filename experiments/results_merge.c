/* Merging the shards of a sweep into one experiment (see results.h).
 *
 * A shard file holds the same experiment as the unsharded sweep (the shard
 * is not part of an experiment's identity), with only its slice of the runs.
 * The merge therefore needs no mapping of grids: point idx p of every shard
 * is point idx p of the output, and a run is copied as results_read_run
 * reads it and results_write_run writes it, so it reads back bit for bit
 * (timing columns included) wherever it was computed.
 *
 * Order of work: every shard's experiment is read and compared first, so a
 * mismatch writes nothing; then the output's experiment is found or created
 * in one transaction; then runs are copied in batches of MERGE_BATCH runs
 * per transaction (a kill loses at most the batch in progress, and the next
 * merge copies it again); then the points' done flags and finished_at. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/results_internal.h"

#define MERGE_BATCH 512

/* What a shard's experiment is, and its points by grid index. */
typedef struct shard_point {
    int64_t id;          /* in the shard file */
    char *label;
    int64_t reps_target;
    int done, hit_cap;
    double rel_halfwidth;
} shard_point;

typedef struct shard_exp {
    int64_t id;
    char *scenario_file, *scenario_text, *scenario_hash, *overrides, *grid;
    char *mode, *command_line, *version;
    char *rare;          /* experiments.rare: "" plain, "auto", a boost */
    double precision;    /* NaN: fixed mode */
    int64_t max_reps;    /* 0: fixed mode */
    size_t npoints;
    shard_point *point;
} shard_exp;

static void shard_exp_fini(shard_exp *e) {
    free(e->scenario_file);
    free(e->scenario_text);
    free(e->scenario_hash);
    free(e->overrides);
    free(e->grid);
    free(e->mode);
    free(e->command_line);
    free(e->version);
    free(e->rare);
    for (size_t p = 0; e->point && p < e->npoints; p++) free(e->point[p].label);
    free(e->point);
    memset(e, 0, sizeof *e);
}

static char *column_dup(sqlite3_stmt *st, int i) {
    const unsigned char *t = sqlite3_column_text(st, i);
    return strdup(t ? (const char *)t : "");
}

static int oom(results *r, char *err, size_t errlen) {
    sim_errf(err, errlen, "%s: out of memory", r->path);
    return RESULTS_EIO;
}

/* Reads the latest experiment of r and its points. */
static int shard_exp_load(results *r, shard_exp *e, char *err, size_t errlen) {
    const char *what = "reading the shard's experiment";
    memset(e, 0, sizeof *e);
    sqlite3_stmt *st;
    char sql[320];
    snprintf(sql, sizeof sql,
             "SELECT id, scenario_file, scenario_text, scenario_hash, "
             "overrides, grid, mode, precision, max_reps, points, "
             "command_line, stalesim_version, %s FROM experiments "
             "ORDER BY id DESC LIMIT 1",
             results_rare_exp_column(r));
    int rc = results_prepare(r, sql, &st, what, err, errlen);
    if (rc != RESULTS_OK) return rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        sqlite3_finalize(st);
        sim_errf(err, errlen, "%s: holds no sweep experiment (not a shard of "
                 "`stalesim sweep --shard`)", r->path);
        return RESULTS_EINPUT;
    }
    if (step != SQLITE_ROW) {
        rc = results_sql_fail(r, what, err, errlen);
        sqlite3_finalize(st);
        return rc;
    }
    e->id = sqlite3_column_int64(st, 0);
    e->scenario_file = column_dup(st, 1);
    e->scenario_text = column_dup(st, 2);
    e->scenario_hash = column_dup(st, 3);
    e->overrides = column_dup(st, 4);
    e->grid = column_dup(st, 5);
    e->mode = column_dup(st, 6);
    e->precision = results_column_real(st, 7);
    e->max_reps = sqlite3_column_int64(st, 8);
    int64_t np = sqlite3_column_int64(st, 9);
    e->command_line = column_dup(st, 10);
    e->version = column_dup(st, 11);
    e->rare = column_dup(st, 12);
    sqlite3_finalize(st);
    if (!e->scenario_file || !e->scenario_text || !e->scenario_hash ||
        !e->overrides || !e->grid || !e->mode || !e->command_line ||
        !e->version || !e->rare)
        return oom(r, err, errlen);
    if (np < 1 || np > 100000000) {
        sim_errf(err, errlen, "%s: experiment %lld records %lld points; the "
                 "file was changed by hand", r->path, (long long)e->id,
                 (long long)np);
        return RESULTS_EINPUT;
    }
    e->npoints = (size_t)np;
    e->point = calloc(e->npoints, sizeof *e->point);
    if (!e->point) return oom(r, err, errlen);
    rc = results_prepare(r,
                 "SELECT idx, id, label, reps_target, done, hit_cap, "
                 "rel_halfwidth FROM points WHERE experiment = ?",
                 &st, "reading the shard's points", err, errlen);
    if (rc != RESULTS_OK) return rc;
    sqlite3_bind_int64(st, 1, e->id);
    size_t seen = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t idx = sqlite3_column_int64(st, 0);
        if (idx < 0 || (uint64_t)idx >= e->npoints || e->point[idx].id)
            continue;
        shard_point *p = &e->point[idx];
        p->id = sqlite3_column_int64(st, 1);
        p->label = column_dup(st, 2);
        p->reps_target = sqlite3_column_int64(st, 3);
        p->done = sqlite3_column_int(st, 4) != 0;
        p->hit_cap = sqlite3_column_int(st, 5) != 0;
        p->rel_halfwidth = results_column_real(st, 6);
        if (!p->label) {
            sqlite3_finalize(st);
            return oom(r, err, errlen);
        }
        seen++;
    }
    if (step != SQLITE_DONE) rc = results_sql_fail(r, what, err, errlen);
    sqlite3_finalize(st);
    if (rc == RESULTS_OK && seen != e->npoints) {
        sim_errf(err, errlen, "%s: experiment %lld has %zu of its %zu points; "
                 "the file was changed by hand", r->path, (long long)e->id,
                 seen, e->npoints);
        rc = RESULTS_EINPUT;
    }
    return rc;
}

/* The first line of a text, at most 60 bytes of it, for a message. */
static void excerpt(const char *text, char *out, size_t outlen) {
    size_t n = strcspn(text, "\n");
    if (n > 60) n = 60;
    snprintf(out, outlen, "%.*s%s", (int)n, text,
             text[n] ? "..." : "");
}

/* Names how experiment b (of file bname) differs from a (of aname), or
 * returns RESULTS_OK when they are the same experiment. */
static int same_experiment(const shard_exp *a, const char *aname,
                           const shard_exp *b, const char *bname, char *err,
                           size_t errlen) {
    const char *what = NULL;
    const char *av = NULL, *bv = NULL;
    if (strcmp(a->version, b->version) != 0) {
        what = "stalesim version";
        av = a->version;
        bv = b->version;
    } else if (strcmp(a->scenario_text, b->scenario_text) != 0) {
        what = "scenario text";
        av = a->scenario_hash;
        bv = b->scenario_hash;
    } else if (strcmp(a->grid, b->grid) != 0) {
        what = "grid (--vary)";
        av = a->grid;
        bv = b->grid;
    } else if (strcmp(a->overrides, b->overrides) != 0) {
        what = "overrides (--set, --reps, --seed)";
        av = a->overrides;
        bv = b->overrides;
    } else if (strcmp(a->mode, b->mode) != 0) {
        what = "mode";
        av = a->mode;
        bv = b->mode;
    } else if (strcmp(a->rare, b->rare) != 0) {
        what = "rare-event setting (--rare, --boost)";
        av = a->rare;
        bv = b->rare;
    } else if (a->npoints != b->npoints) {
        what = "number of points";
        av = bv = "";
    }
    if (!what) return RESULTS_OK;
    char ax[80], bx[80];
    excerpt(av, ax, sizeof ax);
    excerpt(bv, bx, sizeof bx);
    sim_errf(err, errlen, "%s: not a shard of the same sweep as %s: its %s "
             "differs ('%s' against '%s')", bname, aname, what, bx, ax);
    return RESULTS_EINPUT;
}

/* ---- the output's experiment ------------------------------------------------ */

/* Looks in out for the shards' experiment: *id and *resumed = 1 when
 * found (made by the same version), else *resumed untouched. */
static int find_experiment(results *out, const shard_exp *e, int64_t *id,
                           int *resumed, char *err, size_t errlen) {
    sqlite3_stmt *st = NULL;
    int rc = results_prepare(out,
                 "SELECT id, stalesim_version, points FROM experiments WHERE "
                 "scenario_hash = ? AND scenario_text = ? AND overrides = ? "
                 "AND grid = ? AND mode = ? AND rare = ? "
                 "ORDER BY id DESC LIMIT 1",
                 &st, "looking for the experiment", err, errlen);
    if (rc != RESULTS_OK) return rc;
    results_bind_text(st, 1, e->scenario_hash);
    results_bind_text(st, 2, e->scenario_text);
    results_bind_text(st, 3, e->overrides);
    results_bind_text(st, 4, e->grid);
    results_bind_text(st, 5, e->mode);
    results_bind_text(st, 6, e->rare);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *resumed = 1;
        const char *v = (const char *)sqlite3_column_text(st, 1);
        if (!v || strcmp(v, e->version) != 0) {
            sim_errf(err, errlen, "%s: experiment %lld there was made by "
                     "stalesim %s, the shards by %s; merge into another "
                     "file", out->path, (long long)*id, v ? v : "?",
                     e->version);
            rc = RESULTS_EINPUT;
        }
    } else if (step != SQLITE_DONE) {
        rc = results_sql_fail(out, "looking for the experiment", err, errlen);
    }
    sqlite3_finalize(st);
    return rc;
}

/* point_id[p]: the row of point p of experiment id in out, which must have
 * all e->npoints of them. */
static int read_point_ids(results *out, const shard_exp *e, int64_t id,
                          int64_t *point_id, char *err, size_t errlen) {
    sqlite3_stmt *st = NULL;
    int rc = results_prepare(out, "SELECT idx, id FROM points WHERE experiment = ?",
                     &st, "reading the points", err, errlen);
    if (rc != RESULTS_OK) return rc;
    sqlite3_bind_int64(st, 1, id);
    size_t seen = 0;
    int step;
    for (size_t p = 0; p < e->npoints; p++) point_id[p] = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t idx = sqlite3_column_int64(st, 0);
        if (idx >= 0 && (uint64_t)idx < e->npoints && !point_id[idx]) {
            point_id[idx] = sqlite3_column_int64(st, 1);
            seen++;
        }
    }
    if (step != SQLITE_DONE) {
        rc = results_sql_fail(out, "reading the points", err, errlen);
    } else if (seen != e->npoints) {
        sim_errf(err, errlen, "%s: experiment %lld has %zu of its %zu "
                 "points; the file was changed by hand", out->path,
                 (long long)id, seen, e->npoints);
        rc = RESULTS_EINPUT;
    }
    sqlite3_finalize(st);
    return rc;
}

static const char copying[] = "copying the experiment";

/* The shard's experiment row, new in out: *id. */
static int insert_experiment(results *out, const shard_exp *e, int64_t *id,
                             char *err, size_t errlen) {
    sqlite3_stmt *st = NULL;
    int rc = results_prepare(out,
                 "INSERT INTO experiments(scenario_file, scenario_text, "
                 "scenario_hash, overrides, grid, mode, precision, max_reps, "
                 "points, command_line, stalesim_version, rare, started_at) "
                 "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,strftime('%Y-%m-%dT%H:%M:%SZ',"
                 "'now'))",
                 &st, copying, err, errlen);
    if (rc != RESULTS_OK) return rc;
    results_bind_text(st, 1, e->scenario_file);
    results_bind_text(st, 2, e->scenario_text);
    results_bind_text(st, 3, e->scenario_hash);
    results_bind_text(st, 4, e->overrides);
    results_bind_text(st, 5, e->grid);
    results_bind_text(st, 6, e->mode);
    sqlite3_bind_double(st, 7, e->precision); /* NaN -> NULL */
    if (e->max_reps) sqlite3_bind_int64(st, 8, e->max_reps);
    else sqlite3_bind_null(st, 8);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)e->npoints);
    results_bind_text(st, 10, e->command_line);
    results_bind_text(st, 11, e->version);
    results_bind_text(st, 12, e->rare);
    rc = results_step_done(out, st, copying, err, errlen);
    if (rc == RESULTS_OK) *id = sqlite3_last_insert_rowid(out->db);
    sqlite3_finalize(st);
    return rc;
}

/* The grid rows (vary) of the shard's experiment, as rows of id in out. */
static int copy_grid(results *out, results *src, const shard_exp *e,
                     int64_t id, char *err, size_t errlen) {
    sqlite3_stmt *in = NULL, *ins = NULL;
    int rc, step = SQLITE_DONE;
    if ((rc = results_prepare(src, "SELECT position, key, spec, n_values FROM vary "
                           "WHERE experiment = ? ORDER BY position",
                      &in, copying, err, errlen)) != RESULTS_OK ||
        (rc = results_prepare(out, "INSERT INTO vary(experiment, position, key, spec, "
                           "n_values) VALUES (?,?,?,?,?)",
                      &ins, copying, err, errlen)) != RESULTS_OK)
        goto out;
    sqlite3_bind_int64(in, 1, e->id);
    while ((step = sqlite3_step(in)) == SQLITE_ROW && rc == RESULTS_OK) {
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, id);
        for (int c = 0; c < 4; c++)
            sqlite3_bind_value(ins, 2 + c, sqlite3_column_value(in, c));
        rc = results_step_done(out, ins, copying, err, errlen);
    }
    if (rc == RESULTS_OK && step != SQLITE_DONE)
        rc = results_sql_fail(src, copying, err, errlen);
out:
    sqlite3_finalize(in);
    sqlite3_finalize(ins);
    return rc;
}

/* The shard's points as points of id in out (point_id[p]: the new rows),
 * then each point's values. */
static int copy_points(results *out, results *src, const shard_exp *e,
                       int64_t id, int64_t *point_id, char *err,
                       size_t errlen) {
    sqlite3_stmt *in = NULL, *ins = NULL;
    int rc, step = SQLITE_DONE;
    if ((rc = results_prepare(out, "INSERT INTO points(experiment, idx, label, "
                           "reps_target) VALUES (?,?,?,?)",
                      &ins, copying, err, errlen)) != RESULTS_OK)
        return rc;
    for (size_t p = 0; p < e->npoints && rc == RESULTS_OK; p++) {
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, id);
        sqlite3_bind_int64(ins, 2, (sqlite3_int64)p);
        results_bind_text(ins, 3, e->point[p].label);
        sqlite3_bind_int64(ins, 4, e->point[p].reps_target);
        rc = results_step_done(out, ins, copying, err, errlen);
        point_id[p] = sqlite3_last_insert_rowid(out->db);
    }
    sqlite3_finalize(ins);
    ins = NULL;
    if (rc != RESULTS_OK) return rc;
    if ((rc = results_prepare(src, "SELECT key, value, value_num FROM point_values "
                           "WHERE point = ?",
                      &in, copying, err, errlen)) != RESULTS_OK ||
        (rc = results_prepare(out, "INSERT INTO point_values(point, key, value, "
                           "value_num) VALUES (?,?,?,?)",
                      &ins, copying, err, errlen)) != RESULTS_OK)
        goto out;
    for (size_t p = 0; p < e->npoints && rc == RESULTS_OK; p++) {
        sqlite3_reset(in);
        sqlite3_bind_int64(in, 1, e->point[p].id);
        while (rc == RESULTS_OK && (step = sqlite3_step(in)) == SQLITE_ROW) {
            sqlite3_reset(ins);
            sqlite3_bind_int64(ins, 1, point_id[p]);
            for (int c = 0; c < 3; c++)
                sqlite3_bind_value(ins, 2 + c, sqlite3_column_value(in, c));
            rc = results_step_done(out, ins, copying, err, errlen);
        }
        if (rc == RESULTS_OK && step != SQLITE_DONE)
            rc = results_sql_fail(src, copying, err, errlen);
    }
out:
    sqlite3_finalize(in);
    sqlite3_finalize(ins);
    return rc;
}

/* Finds the experiment in out (same identity as the shards'), checking its
 * version, or copies it in from shard s with its grid rows and points; in
 * one transaction. */
static int open_output(results *out, results *src, const shard_exp *e,
                       int64_t *id, int *resumed, int64_t *point_id,
                       char *err, size_t errlen) {
    int rc = results_exec(out, "BEGIN IMMEDIATE", "starting the merge", err,
                          errlen);
    if (rc != RESULTS_OK) return rc;
    rc = find_experiment(out, e, id, resumed, err, errlen);
    if (rc == RESULTS_OK && *resumed)
        rc = read_point_ids(out, e, *id, point_id, err, errlen);
    else if (rc == RESULTS_OK) {
        /* A new experiment: the shard's row, its grid, its points. */
        rc = insert_experiment(out, e, id, err, errlen);
        if (rc == RESULTS_OK) *resumed = 0;
        if (rc == RESULTS_OK) rc = copy_grid(out, src, e, *id, err, errlen);
        if (rc == RESULTS_OK)
            rc = copy_points(out, src, e, *id, point_id, err, errlen);
    }
    if (rc == RESULTS_OK)
        rc = results_exec(out, "COMMIT", "committing the experiment", err,
                          errlen);
    if (rc != RESULTS_OK) results_rollback(out);
    return rc;
}

/* Records each point's configuration key (for reuse by configuration) as
 * the shard recorded it, when the shard has one and out does not. */
static int copy_configs(results *out, results *src, const shard_exp *e,
                        const int64_t *point_id, char *err, size_t errlen) {
    if (!results_table_exists(src, "point_configs")) return RESULTS_OK;
    sqlite3_stmt *st;
    int rc = results_prepare(src, "SELECT config FROM point_configs WHERE point = ?",
                     &st, "reading the point configurations", err, errlen);
    for (size_t p = 0; p < e->npoints && rc == RESULTS_OK; p++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, e->point[p].id);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            char *config = column_dup(st, 0);
            if (!config) rc = oom(out, err, errlen);
            else
                rc = results_point_config(out, point_id[p], config, err,
                                          errlen);
            free(config);
        } else if (step != SQLITE_DONE) {
            rc = results_sql_fail(src, "reading the point configurations",
                                  err, errlen);
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- runs --------------------------------------------------------------------- */

/* Copies every run of the shard's points that out lacks. */
static int copy_runs(results *out, results *src, const shard_exp *e,
                     const int64_t *point_id, results_merge_report *rep,
                     char *err, size_t errlen) {
    sqlite3_stmt *have = NULL, *runs = NULL;
    world_result *res = malloc(sizeof *res);
    uint8_t *present = NULL;
    size_t npresent = 0;
    unsigned batch = 0;
    if (!res) return oom(out, err, errlen);
    int rc = results_prepare(out, "SELECT rep FROM runs WHERE point = ?", &have,
                     "reading the stored runs", err, errlen);
    if (rc == RESULTS_OK)
        rc = results_prepare(src, "SELECT rep, seed FROM runs WHERE point = ? ORDER "
                          "BY rep",
                     &runs, "reading the shard's runs", err, errlen);
    for (size_t p = 0; p < e->npoints && rc == RESULTS_OK; p++) {
        /* which replications out already holds */
        size_t need = (size_t)(e->point[p].reps_target > 0
                                   ? e->point[p].reps_target : 1);
        if (need > npresent) {
            uint8_t *bigger = realloc(present, need);
            if (!bigger) {
                rc = oom(out, err, errlen);
                break;
            }
            present = bigger;
            npresent = need;
        }
        memset(present, 0, npresent);
        sqlite3_reset(have);
        sqlite3_bind_int64(have, 1, point_id[p]);
        int step;
        while ((step = sqlite3_step(have)) == SQLITE_ROW) {
            int64_t r = sqlite3_column_int64(have, 0);
            if (r >= 0 && (uint64_t)r < npresent) present[r] = 1;
        }
        if (step != SQLITE_DONE) {
            rc = results_sql_fail(out, "reading the stored runs", err, errlen);
            break;
        }
        sqlite3_reset(runs);
        sqlite3_bind_int64(runs, 1, e->point[p].id);
        while (rc == RESULTS_OK && (step = sqlite3_step(runs)) == SQLITE_ROW) {
            int64_t r = sqlite3_column_int64(runs, 0);
            uint64_t seed = (uint64_t)sqlite3_column_int64(runs, 1);
            if (r < 0 || r > UINT32_MAX) continue;
            if ((uint64_t)r < npresent && present[r]) {
                rep->runs_duplicate++;
                continue;
            }
            rc = results_read_run(src, e->point[p].id, (uint32_t)r, res, err,
                                  errlen);
            if (rc != RESULTS_OK) break;
            if (batch == 0 &&
                (rc = results_begin(out, err, errlen)) != RESULTS_OK)
                break;
            rc = results_write_run(out, point_id[p], (uint32_t)r, seed, res,
                                   err, errlen);
            if (rc == RESULTS_EXISTS) { /* beyond reps_target, seen twice */
                rep->runs_duplicate++;
                rc = RESULTS_OK;
            } else if (rc == RESULTS_OK) {
                rep->runs_copied++;
                if ((uint64_t)r < npresent) present[r] = 1;
                if (++batch == MERGE_BATCH) {
                    batch = 0;
                    rc = results_commit(out, err, errlen);
                }
            }
        }
        if (rc == RESULTS_OK && step != SQLITE_DONE)
            rc = results_sql_fail(src, "reading the shard's runs", err, errlen);
    }
    if (batch > 0) {
        if (rc == RESULTS_OK) rc = results_commit(out, err, errlen);
        else results_rollback(out);
    }
    sqlite3_finalize(have);
    sqlite3_finalize(runs);
    free(present);
    free(res);
    return rc;
}

/* ---- completion ----------------------------------------------------------------- */

/* Marks done the points a shard decided and, in fixed mode, those holding
 * every replication; stamps finished_at when all are done. */
static int finish_points(results *out, const shard_exp *shards, size_t n,
                         int64_t id, const int64_t *point_id,
                         results_merge_report *rep, char *err, size_t errlen) {
    const shard_exp *e = &shards[0];
    int fixed = isnan(e->precision);
    sqlite3_stmt *st = NULL;
    int rc = results_begin(out, err, errlen);
    if (rc != RESULTS_OK) return rc;
    rc = results_prepare(out, "SELECT done, reps_done, reps_target FROM points WHERE "
                      "id = ?",
                 &st, "reading the points", err, errlen);
    for (size_t p = 0; p < e->npoints && rc == RESULTS_OK; p++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, point_id[p]);
        if (sqlite3_step(st) != SQLITE_ROW) {
            rc = results_sql_fail(out, "reading the points", err, errlen);
            break;
        }
        int done = sqlite3_column_int(st, 0) != 0;
        int complete = sqlite3_column_int64(st, 1) >= sqlite3_column_int64(st, 2);
        sqlite3_reset(st);
        if (!done) {
            const shard_point *decided = NULL;
            for (size_t s = 0; s < n && !decided; s++)
                if (shards[s].point[p].done) decided = &shards[s].point[p];
            if (decided)
                rc = results_point_done(out, point_id[p], decided->hit_cap,
                                        decided->rel_halfwidth, err, errlen);
            else if (fixed && complete)
                rc = results_point_done(out, point_id[p], 0, NAN, err, errlen);
            done = decided || (fixed && complete);
        }
        if (done) rep->points_done++;
    }
    sqlite3_finalize(st);
    if (rc == RESULTS_OK && rep->points_done == e->npoints)
        rc = results_experiment_finished(out, id, err, errlen);
    if (rc == RESULTS_OK) return results_commit(out, err, errlen);
    results_rollback(out);
    return rc;
}

int results_merge_check(results *const *shard, size_t nshards, char *err,
                        size_t errlen) {
    shard_exp first, other;
    if (nshards == 0) return RESULTS_OK;
    int rc = shard_exp_load(shard[0], &first, err, errlen);
    for (size_t s = 1; s < nshards && rc == RESULTS_OK; s++) {
        rc = shard_exp_load(shard[s], &other, err, errlen);
        if (rc == RESULTS_OK)
            rc = same_experiment(&first, shard[0]->path, &other,
                                 shard[s]->path, err, errlen);
        shard_exp_fini(&other);
    }
    shard_exp_fini(&first);
    return rc;
}

int results_merge(results *out, results *const *shard, size_t nshards,
                  results_merge_report *report, char *err, size_t errlen) {
    memset(report, 0, sizeof *report);
    shard_exp *e = calloc(nshards ? nshards : 1, sizeof *e);
    int64_t *point_id = NULL;
    if (!e) return oom(out, err, errlen);
    int rc = RESULTS_OK;
    for (size_t s = 0; s < nshards && rc == RESULTS_OK; s++) {
        rc = shard_exp_load(shard[s], &e[s], err, errlen);
        if (rc == RESULTS_OK && s > 0)
            rc = same_experiment(&e[0], shard[0]->path, &e[s], shard[s]->path,
                                 err, errlen);
    }
    if (rc != RESULTS_OK || nshards == 0) goto out;
    report->points = e[0].npoints;
    point_id = calloc(e[0].npoints, sizeof *point_id);
    if (!point_id) {
        rc = oom(out, err, errlen);
        goto out;
    }
    rc = open_output(out, shard[0], &e[0], &report->experiment,
                     &report->resumed, point_id, err, errlen);
    for (size_t s = 0; s < nshards && rc == RESULTS_OK; s++) {
        rc = copy_configs(out, shard[s], &e[s], point_id, err, errlen);
        if (rc == RESULTS_OK)
            rc = copy_runs(out, shard[s], &e[s], point_id, report, err,
                           errlen);
    }
    if (rc == RESULTS_OK)
        rc = finish_points(out, e, nshards, report->experiment, point_id,
                           report, err, errlen);
    if (rc == RESULTS_OK) {
        sqlite3_stmt *st;
        rc = results_prepare(out, "SELECT count(*) FROM runs r JOIN points p ON p.id "
                          "= r.point WHERE p.experiment = ?",
                     &st, "counting the runs", err, errlen);
        if (rc == RESULTS_OK) {
            sqlite3_bind_int64(st, 1, report->experiment);
            if (sqlite3_step(st) == SQLITE_ROW)
                report->runs_stored = (uint64_t)sqlite3_column_int64(st, 0);
            else
                rc = results_sql_fail(out, "counting the runs", err, errlen);
            sqlite3_finalize(st);
        }
    }
out:
    for (size_t s = 0; s < nshards; s++) shard_exp_fini(&e[s]);
    free(e);
    free(point_id);
    return rc;
}
