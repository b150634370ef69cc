/* The sweep coordinator: job building, resume, dispatch, stopping rules,
 * progress, and the one place that writes results.
 *
 * Dispatch.  Fixed mode walks the missing (point, rep) pairs in point-major
 * order.  Precision mode keeps a small set of active points: a point's next
 * replication is handed out when it is certainly needed (fewer than
 * SWEEP_MIN_REPS dispatched, or none in flight and no decision yet); when no
 * such work exists the next point is activated; only when the grid is
 * exhausted are idle workers given speculative replications of undecided
 * points.  A result is stored only when it extends the point's contiguous
 * prefix; later ones wait in a buffer (which grows: a slow early replication
 * may leave several later ones waiting) until the gap fills, and are dropped
 * if the point is decided first.
 *
 * The only mutable global is the signal flag, which a handler must reach. */
#define _DEFAULT_SOURCE /* sigaction flags on every libc */
#include "experiments/sweep.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_statistics_double.h>

#include "experiments/run.h"
#include "experiments/version.h"
#include "models/rare.h"
#include "models/workload.h"
#include "sim/fileio.h"
#include "sim/stats.h"
#include "sim/errf.h"

/* ---- the job ------------------------------------------------------------------- */

/* Reads a whole regular file of at most SCENARIO_FILE_MAX bytes into a
 * NUL-terminated string; NULL with the reason in why (errno ENOMEM when
 * memory ran out). */
static char *read_text(const char *path, char *why, size_t whylen) {
    FILE *f = sim_file_open_regular(path, why, whylen);
    if (!f) return NULL;
    snprintf(why, whylen, "%s", strerror(EIO));
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (len + 1 < cap) break;
        if (len > SCENARIO_FILE_MAX) { /* scenario_load refuses it too */
            free(buf);
            buf = NULL;
            snprintf(why, whylen, "more than %d bytes", SCENARIO_FILE_MAX);
            break;
        }
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            errno = ENOMEM;
            snprintf(why, whylen, "%s", strerror(ENOMEM));
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (buf && bad) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    if (buf) buf[len] = '\0';
    return buf;
}

void sweep_job_fini(sweep_job *job) {
    if (!job) return;
    if (job->point)
        for (size_t p = 0; p < job->grid.npoints; p++)
            scenario_fini(&job->point[p]);
    free(job->point);
    free(job->reps_target);
    free(job->scenario_file);
    free(job->scenario_text);
    free(job->overrides);
    grid_fini(&job->grid);
    memset(job, 0, sizeof *job);
    grid_init(&job->grid);
}

/* Rewrites a validation message about a varied key ("--set 'K': why") into
 * one naming the --vary argument and the value. */
static void blame_vary(const sweep_job *job, size_t p, const char *msg,
                       char *err, size_t errlen) {
    const grid *g = &job->grid;
    if (strncmp(msg, "--set '", 7) == 0) {
        for (size_t a = 0; a < g->naxes; a++) {
            size_t n = strlen(g->axis[a].key);
            if (strncmp(msg + 7, g->axis[a].key, n) == 0 &&
                strncmp(msg + 7 + n, "': ", 3) == 0) {
                sim_errf(err, errlen, "--vary '%s': value '%s': %s",
                     g->axis[a].spec, grid_value(g, p, a), msg + 10 + n);
                return;
            }
        }
    }
    char label[512];
    grid_point_label(g, p, label, sizeof label);
    if (g->naxes)
        sim_errf(err, errlen, "%s (at the point %s)", msg, label);
    else
        sim_errf(err, errlen, "%s", msg);
}

int sweep_job_build(sweep_job *job, const char *file, const char *const *sets,
                    size_t nsets, grid *g, double precision, uint32_t max_reps,
                    const scenario *loaded, char *err, size_t errlen) {
    memset(job, 0, sizeof *job);
    job->grid = *g;
    grid_init(g);
    job->precision = precision;
    job->max_reps = isnan(precision) ? 0 : max_reps;
    size_t olen = 1;
    for (size_t i = 0; i < nsets; i++) olen += strlen(sets[i]) + 1;
    job->overrides = malloc(olen);
    if (!job->overrides) goto oom;
    job->overrides[0] = '\0';
    for (size_t i = 0; i < nsets; i++) {
        strcat(job->overrides, sets[i]);
        strcat(job->overrides, "\n");
    }
    if (file) {
        job->scenario_file = strdup(file);
        if (!job->scenario_file) goto oom;
        char rwhy[128];
        errno = 0;
        job->scenario_text = read_text(file, rwhy, sizeof rwhy);
        if (!job->scenario_text) {
            sim_errf(err, errlen, "%s: cannot open: %s", file, rwhy);
            return errno == ENOMEM ? SWEEP_EIO : SWEEP_EINPUT;
        }
    } else {
        job->scenario_text = strdup("");
        if (!job->scenario_text) goto oom;
    }
    size_t np = job->grid.npoints;
    job->point = calloc(np, sizeof *job->point);
    job->reps_target = calloc(np, sizeof *job->reps_target);
    if (!job->point || !job->reps_target) goto oom;
    char why[1024];
    for (size_t p = 0; p < np; p++) {
        scenario *sc = &job->point[p];
        if (scenario_init_defaults(sc, why, sizeof why) != 0) goto oom;
        if (file && scenario_load(sc, file, why, sizeof why) != 0) {
            sim_errf(err, errlen, "%s", why);
            return SWEEP_EINPUT;
        }
        for (size_t i = 0; i < nsets; i++)
            if (scenario_set(sc, sets[i], why, sizeof why) != 0) {
                sim_errf(err, errlen, "%s", why);
                return SWEEP_EINPUT;
            }
        for (size_t a = 0; a < job->grid.naxes; a++) {
            char assign[1200];
            snprintf(assign, sizeof assign, "%s=%s", job->grid.axis[a].key,
                     grid_value(&job->grid, p, a));
            if (scenario_set(sc, assign, why, sizeof why) != 0) {
                blame_vary(job, p, why, err, errlen);
                return SWEEP_EINPUT;
            }
        }
        if (scenario_validate(sc, why, sizeof why) != 0) {
            blame_vary(job, p, why, err, errlen);
            return SWEEP_EINPUT;
        }
        /* The trace is read once and shared by the points that replay it
         * (and, copy-on-write, by the workers forked later). */
        if (workload_trace_attach(sc, p ? &job->point[p - 1] : loaded, why,
                                  sizeof why) != 0) {
            blame_vary(job, p, why, err, errlen);
            return SWEEP_EINPUT;
        }
        job->reps_target[p] = isnan(precision) ? sc->run.reps : max_reps;
    }
    /* What ran must be what is recorded: the file may not change meanwhile. */
    if (file) {
        char rwhy[128];
        char *again = read_text(file, rwhy, sizeof rwhy);
        int same = again && strcmp(again, job->scenario_text) == 0;
        free(again);
        if (!same) {
            sim_errf(err, errlen, "%s: changed while the sweep was loading it",
                 file);
            return SWEEP_EINPUT;
        }
    }
    return SWEEP_OK;
oom:
    sim_errf(err, errlen, "out of memory building the sweep");
    return SWEEP_EIO;
}

void sweep_job_boost(sweep_job *job, double boost) {
    if (boost > 0)
        snprintf(job->rare, sizeof job->rare, "%.17g", boost);
    else
        snprintf(job->rare, sizeof job->rare, "auto");
    for (size_t p = 0; p < job->grid.npoints; p++)
        job->point[p].rare_boost =
            boost > 0 ? boost : rare_auto_boost(&job->point[p]);
}

int sweep_work(void *arg, const sweep_task *task, world_result *out) {
    const sweep_job *job = arg;
    if (task->point >= job->grid.npoints) return -1;
    return run_replication(&job->point[task->point], task->rep, out);
}

int sweep_precision_met(const double *x, size_t n, double p,
                        double *rel_halfwidth) {
    *rel_halfwidth = NAN;
    if (n < 2) return 0;
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i])) return 0;
    double mean = gsl_stats_mean(x, 1, n), hw = sim_ci95(x, n);
    if (mean > 0)
        *rel_halfwidth = hw / mean;
    else if (hw == 0)
        *rel_halfwidth = 0;
    else
        *rel_halfwidth = INFINITY;
    return n >= SWEEP_MIN_REPS && hw <= p * mean;
}

int sweep_shard_owns(const sweep_job *job, uint32_t shard, uint32_t nshards,
                     size_t point, uint32_t rep) {
    if (nshards <= 1) return 1;
    if (!isnan(job->precision)) return point % nshards == shard;
    uint64_t index = rep;
    for (size_t p = 0; p < point; p++) index += job->reps_target[p];
    return index % nshards == shard;
}

/* ---- signals -------------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { interrupted = sig; }

typedef struct signal_state {
    struct sigaction old_int, old_term;
    sigset_t old_mask;
} signal_state;

/* Installs the handlers and blocks both signals (the transport unblocks them
 * while it waits). */
static void signals_catch(signal_state *s) {
    interrupted = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a wait must return */
    sigaction(SIGINT, &sa, &s->old_int);
    sigaction(SIGTERM, &sa, &s->old_term);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &s->old_mask);
}

static void signals_restore(signal_state *s) {
    /* Unblock first: a signal pending now reaches our handler, harmlessly. */
    sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
    sigaction(SIGINT, &s->old_int, NULL);
    sigaction(SIGTERM, &s->old_term, NULL);
}

/* ---- coordinator state --------------------------------------------------------- */

/* REP_FOREIGN: missing, and another shard's to compute. */
enum { REP_MISSING = 0, REP_STORED = 1, REP_PENDING = 2, REP_FOREIGN = 3 };

typedef struct point_state {
    uint32_t target;   /* fixed: reps to run; precision: max_reps */
    uint32_t stored;   /* runs in the database */
    uint32_t prefix;   /* reps 0..prefix-1 are all stored */
    uint32_t next;     /* precision: next rep to hand out */
    uint32_t inflight; /* dispatched, not yet received */
    int decided, hit_cap, active;
    int foreign;       /* precision mode, sharded: another shard's point */
    double rel_hw;
    double *x;         /* precision: stale_read_fraction of the prefix */
    uint8_t *rep;      /* REP_* of each rep < target */
} point_state;

typedef struct held {
    int used;
    sweep_task task;
    world_result *res;
} held;

typedef struct coord {
    const sweep_job *job;
    results *db;
    const sweep_options *opt;
    sweep_report *rep;
    int64_t *point_id;
    point_state *ps;
    size_t np;
    int precise;
    /* fixed-mode cursor */
    size_t cur_p;
    uint32_t cur_r;
    /* precision mode */
    size_t next_point;  /* first point never activated */
    size_t *active;     /* activated, maybe decided since */
    size_t nactive;
    held *hold;
    int nhold;
    uint64_t runs_total; /* fixed mode: runs this process may store */
    size_t points_mine;  /* points not foreign */
    /* progress */
    double t0, last_draw;
    int drawn;
    unsigned lines_drawn; /* progress_every > 0: lines printed */
    char *err;
    size_t errlen;
} coord;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_stored_run(void *arg, uint32_t point, uint32_t rep,
                         double srf) {
    coord *c = arg;
    if (point >= c->np) return 0;
    point_state *ps = &c->ps[point];
    if (rep >= ps->target || ps->rep[rep] == REP_STORED) return 0;
    ps->rep[rep] = REP_STORED;
    ps->stored++;
    c->rep->runs_skipped++;
    if (c->precise && rep == ps->prefix) {
        if (!ps->x && !(ps->x = malloc(ps->target * sizeof *ps->x))) return -1;
        ps->x[ps->prefix++] = srf;
    }
    return 0;
}

/* Re-derives a point's precision decision from its stored prefix: the first
 * n at which the rule holds. */
static void decide_from_prefix(coord *c, point_state *ps) {
    double rel = NAN;
    for (uint32_t n = SWEEP_MIN_REPS; n <= ps->prefix; n++)
        if (sweep_precision_met(ps->x, n, c->job->precision, &rel)) {
            ps->decided = 1;
            ps->rel_hw = rel;
            return;
        }
    if (ps->prefix >= ps->target) {
        sweep_precision_met(ps->x, ps->prefix, c->job->precision, &rel);
        ps->decided = ps->hit_cap = 1;
        ps->rel_hw = rel;
    }
}

static void point_decided(coord *c, point_state *ps) {
    c->rep->points_done++;
    if (ps->hit_cap) c->rep->points_capped++;
    free(ps->x);
    ps->x = NULL;
}

/* ---- reuse by configuration -------------------------------------------------------- */

/* Point p's configuration key: the version, the scenario's text, the --set
 * texts, every resolved key but run.reps (which does not change a
 * replication) and, under --rare, the boost, hashed; "VERSION/HASH/LENGTH".
 * A plain point's key has no boost line, as before --rare existed. */
static int point_config(const sweep_job *job, size_t p, char *out,
                        size_t outlen) {
    const scenario *sc = &job->point[p];
    size_t len = strlen(STALESIM_VERSION) + strlen(job->scenario_text) +
                 strlen(job->overrides) + 16;
    for (size_t i = 0; i < scenario_key_count(); i++)
        len += strlen(scenario_key_section(i)) + strlen(scenario_key_name(i)) +
               (sc->text[i] ? strlen(sc->text[i]) : 0) + 3;
    len += 64; /* the boost line */
    char *text = malloc(len), *at = text;
    if (!text) return -1;
    at += sprintf(at, "%s\n%s\n", STALESIM_VERSION, job->scenario_text);
    /* --set lines, run.reps left out */
    for (const char *l = job->overrides; *l;) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        if (strncmp(l, "run.reps=", 9) != 0) {
            memcpy(at, l, n);
            at += n;
            *at++ = '\n';
        }
        l += n + (e != NULL);
    }
    for (size_t i = 0; i < scenario_key_count(); i++) {
        if (strcmp(scenario_key_section(i), "run") == 0 &&
            strcmp(scenario_key_name(i), "reps") == 0)
            continue;
        at += sprintf(at, "%s.%s=%s\n", scenario_key_section(i),
                      scenario_key_name(i), sc->text[i] ? sc->text[i] : "");
    }
    if (sc->rare_boost > 0) at += sprintf(at, "rare.boost=%.17g\n", sc->rare_boost);
    char hash[17];
    results_hash_text(text, hash);
    snprintf(out, outlen, "%s/%s/%zu", STALESIM_VERSION, hash,
             (size_t)(at - text));
    free(text);
    return 0;
}

/* Records every point's configuration (one transaction), then copies in
 * the runs that points of the same configuration already hold (each copy
 * its own transaction, as a computed run).  Returns 0, or -1 with a
 * message. */
static int reuse_runs(const sweep_job *job, results *rdb, coord *c,
                      sweep_report *report, char *err, size_t errlen) {
    char (*config)[96] = calloc(c->np ? c->np : 1, sizeof *config);
    if (!config) {
        sim_errf(err, errlen, "out of memory running the sweep");
        return -1;
    }
    int rc = -1;
    for (size_t p = 0; p < c->np; p++)
        if (point_config(job, p, config[p], sizeof config[p]) != 0) {
            sim_errf(err, errlen, "out of memory running the sweep");
            goto out;
        }
    if (results_begin(rdb, err, errlen) != RESULTS_OK) goto out;
    for (size_t p = 0; p < c->np; p++)
        if (results_point_config(rdb, c->point_id[p], config[p], err,
                                 errlen) != RESULTS_OK) {
            results_rollback(rdb);
            goto out;
        }
    if (results_commit(rdb, err, errlen) != RESULTS_OK) goto out;
    for (size_t p = 0; p < c->np; p++) {
        uint64_t copied = 0;
        if (results_reuse_runs(rdb, c->point_id[p], config[p], c->ps[p].target,
                               job->point[p].families.n > 0, &copied, err,
                               errlen) != RESULTS_OK)
            goto out;
        report->runs_reused += copied;
    }
    rc = 0;
out:
    free(config);
    return rc;
}

/* ---- progress --------------------------------------------------------------------- */

static void format_eta(double s, char *buf, size_t len) {
    if (!isfinite(s) || s < 0) {
        snprintf(buf, len, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, len, "%lds", t);
}

static void progress(coord *c, int final) {
    FILE *out = c->opt->progress;
    if (!out) return;
    double t = now_s();
    if (c->opt->progress_every > 0) {
        /* lines: the first after `every` seconds, the last only if there
         * was a first */
        if (!c->drawn) {
            c->drawn = 1;
            c->last_draw = t;
            return;
        }
        if (final ? !c->lines_drawn : t - c->last_draw < c->opt->progress_every)
            return;
        c->lines_drawn++;
    } else if (!final && c->drawn && t - c->last_draw < 0.1) {
        return;
    }
    c->last_draw = t;
    c->drawn = 1;
    const sweep_report *r = c->rep;
    double elapsed = t - c->t0;
    double rate = elapsed > 0 ? (double)r->runs_run / elapsed : 0;
    double frac, eta;
    char runs[64];
    if (c->precise) {
        frac = c->points_mine ? (double)r->points_done / (double)c->points_mine
                              : 1;
        snprintf(runs, sizeof runs, "runs %llu",
                 (unsigned long long)(r->runs_run + r->runs_skipped));
        /* points still to decide, at the pace of those decided so far */
        size_t now_done = r->points_done;
        eta = NAN;
        if (r->runs_run > 0 && now_done > 0 && now_done < c->points_mine)
            eta = elapsed * (double)(c->points_mine - now_done) /
                  (double)now_done;
        else if (now_done >= c->points_mine)
            eta = 0;
    } else {
        uint64_t have = r->runs_run + r->runs_skipped;
        frac = c->runs_total ? (double)have / (double)c->runs_total : 1;
        snprintf(runs, sizeof runs, "runs %llu/%llu", (unsigned long long)have,
                 (unsigned long long)c->runs_total);
        eta = rate > 0 ? (double)(c->runs_total - have) / rate : NAN;
    }
    char bar[21], etas[32];
    int filled = (int)(frac * 20 + 1e-9);
    for (int i = 0; i < 20; i++) bar[i] = i < filled ? '#' : '.';
    bar[20] = '\0';
    format_eta(eta, etas, sizeof etas);
    int lines = c->opt->progress_every > 0;
    fprintf(out, "%s[%s] points %zu/%zu  %s  %.1f runs/s  ETA %s%s",
            lines ? "" : "\r", bar, r->points_done,
            c->precise ? c->points_mine : r->points, runs, rate, etas,
            lines ? "\n" : "\033[K");
    if (final && !lines) fputc('\n', out);
    fflush(out);
}

/* ---- dispatch ------------------------------------------------------------------------ */

/* The next task of fixed mode; 0 when none is left. */
static int next_fixed(coord *c, sweep_task *t) {
    for (; c->cur_p < c->np; c->cur_p++, c->cur_r = 0) {
        point_state *ps = &c->ps[c->cur_p];
        for (; c->cur_r < ps->target; c->cur_r++)
            if (ps->rep[c->cur_r] == REP_MISSING) {
                t->point = (uint32_t)c->cur_p;
                t->rep = c->cur_r++;
                return 1;
            }
    }
    return 0;
}

static int take_rep(point_state *ps, size_t p, sweep_task *t) {
    while (ps->next < ps->target && ps->rep[ps->next] != REP_MISSING)
        ps->next++;
    if (ps->next >= ps->target) return 0;
    t->point = (uint32_t)p;
    t->rep = ps->next++;
    return 1;
}

/* The next task of precision mode; 0 when nothing may be handed out now. */
static int next_precise(coord *c, sweep_task *t) {
    /* drop decided points from the active set */
    size_t k = 0;
    for (size_t i = 0; i < c->nactive; i++)
        if (!c->ps[c->active[i]].decided || c->ps[c->active[i]].inflight)
            c->active[k++] = c->active[i];
    c->nactive = k;
    /* 1. work that is certainly needed */
    for (size_t i = 0; i < c->nactive; i++) {
        point_state *ps = &c->ps[c->active[i]];
        if (ps->decided) continue;
        if ((ps->next < SWEEP_MIN_REPS || ps->inflight == 0) &&
            take_rep(ps, c->active[i], t))
            return 1;
    }
    /* 2. a new point */
    while (c->next_point < c->np) {
        size_t p = c->next_point++;
        point_state *ps = &c->ps[p];
        if (ps->decided || ps->foreign) continue;
        ps->active = 1;
        c->active[c->nactive++] = p;
        if (take_rep(ps, p, t)) return 1;
    }
    /* 3. speculation, for the point with the fewest runs in flight */
    point_state *best = NULL;
    size_t best_p = 0;
    for (size_t i = 0; i < c->nactive; i++) {
        point_state *ps = &c->ps[c->active[i]];
        if (ps->decided || ps->next >= ps->target) continue;
        if (!best || ps->inflight < best->inflight) {
            best = ps;
            best_p = c->active[i];
        }
    }
    return best ? take_rep(best, best_p, t) : 0;
}

/* ---- storing -------------------------------------------------------------------------- */

static int store_run(coord *c, const sweep_task *t, const world_result *res) {
    point_state *ps = &c->ps[t->point];
    uint64_t seed = c->job->point[t->point].run.seed;
    int rc = results_write_run(c->db, c->point_id[t->point], t->rep, seed, res,
                               c->err, c->errlen);
    if (rc != RESULTS_OK && rc != RESULTS_EXISTS) return -1;
    ps->rep[t->rep] = REP_STORED;
    ps->stored++;
    if (rc == RESULTS_EXISTS)
        c->rep->runs_elsewhere++; /* the same replication, stored already */
    else
        c->rep->runs_run++;
    return 0;
}

static int mark_done(coord *c, size_t p) {
    point_state *ps = &c->ps[p];
    point_decided(c, ps);
    return results_point_done(c->db, c->point_id[p], ps->hit_cap, ps->rel_hw,
                              c->err, c->errlen) == RESULTS_OK ? 0 : -1;
}

static int handle_fixed(coord *c, const sweep_task *t, const world_result *res) {
    point_state *ps = &c->ps[t->point];
    ps->inflight--;
    if (store_run(c, t, res) != 0) return -1;
    if (ps->stored >= ps->target && !ps->decided) {
        ps->decided = 1;
        ps->rel_hw = NAN;
        return mark_done(c, t->point);
    }
    return 0;
}

/* Stores rep `prefix` of point p and applies the rule. */
static int extend_prefix(coord *c, const sweep_task *t, const world_result *res) {
    point_state *ps = &c->ps[t->point];
    if (!ps->x && !(ps->x = malloc(ps->target * sizeof *ps->x))) {
        sim_errf(c->err, c->errlen, "out of memory");
        return -1;
    }
    if (store_run(c, t, res) != 0) return -1;
    ps->x[ps->prefix++] = res->metric[WORLD_METRIC_STALE_READ_FRACTION];
    double rel;
    if (sweep_precision_met(ps->x, ps->prefix, c->job->precision, &rel)) {
        ps->decided = 1;
    } else if (ps->prefix >= ps->target) {
        ps->decided = ps->hit_cap = 1;
    }
    if (!ps->decided) return 0;
    ps->rel_hw = rel;
    return mark_done(c, t->point);
}

static int handle_precise(coord *c, const sweep_task *t,
                          const world_result *res) {
    point_state *ps = &c->ps[t->point];
    ps->inflight--;
    if (ps->decided || t->rep != ps->prefix) {
        if (ps->decided) {
            ps->rep[t->rep] = REP_MISSING;
            c->rep->runs_discarded++;
            return 0;
        }
        /* A gap before it: hold it.  The buffer grows: while an early
         * replication is slow, speculation may finish any number of later
         * ones (bounded by the point's max_reps). */
        int free_slot = 0;
        while (free_slot < c->nhold && c->hold[free_slot].used) free_slot++;
        if (free_slot == c->nhold) {
            int more = c->nhold ? 2 * c->nhold : 4;
            held *bigger = realloc(c->hold, (size_t)more * sizeof *bigger);
            if (!bigger) {
                sim_errf(c->err, c->errlen, "out of memory");
                return -1;
            }
            memset(bigger + c->nhold, 0,
                   (size_t)(more - c->nhold) * sizeof *bigger);
            c->hold = bigger;
            c->nhold = more;
        }
        for (int i = free_slot; i < c->nhold; i++)
            if (!c->hold[i].used) {
                if (!c->hold[i].res &&
                    !(c->hold[i].res = malloc(sizeof *c->hold[i].res))) {
                    sim_errf(c->err, c->errlen, "out of memory");
                    return -1;
                }
                memcpy(c->hold[i].res, res, sizeof *res);
                c->hold[i].task = *t;
                c->hold[i].used = 1;
                return 0;
            }
        sim_errf(c->err, c->errlen, "no room to hold an early result");
        return -1;
    }
    if (extend_prefix(c, t, res) != 0) return -1;
    /* held results that now continue the prefix, or that are moot */
    for (int again = 1; again;) {
        again = 0;
        for (int i = 0; i < c->nhold; i++) {
            held *h = &c->hold[i];
            if (!h->used || h->task.point != t->point) continue;
            if (ps->decided) {
                h->used = 0;
                ps->rep[h->task.rep] = REP_MISSING;
                c->rep->runs_discarded++;
            } else if (h->task.rep == ps->prefix) {
                h->used = 0;
                if (extend_prefix(c, &h->task, h->res) != 0) return -1;
                again = 1;
            }
        }
    }
    return 0;
}

/* ---- the run ------------------------------------------------------------------------ */

static void coord_fini(coord *c) {
    if (c->ps)
        for (size_t p = 0; p < c->np; p++) {
            free(c->ps[p].x);
            free(c->ps[p].rep);
        }
    free(c->ps);
    free(c->point_id);
    free(c->active);
    if (c->hold)
        for (int i = 0; i < c->nhold; i++) free(c->hold[i].res);
    free(c->hold);
}

/* The coordinator's tables for job's points; -1 when out of memory. */
static int coord_alloc(coord *c, const sweep_job *job) {
    c->point_id = calloc(c->np, sizeof *c->point_id);
    c->ps = calloc(c->np, sizeof *c->ps);
    c->active = calloc(c->np, sizeof *c->active);
    if (!c->point_id || !c->ps || !c->active) return -1;
    for (size_t p = 0; p < c->np; p++) {
        c->ps[p].target = job->reps_target[p];
        c->ps[p].rel_hw = NAN;
        c->ps[p].rep = calloc(c->ps[p].target ? c->ps[p].target : 1, 1);
        if (!c->ps[p].rep) return -1;
    }
    return 0;
}

/* The experiment of the job in the database, new or resumed: its id and
 * its points' rows.  SWEEP_OK, SWEEP_EINPUT or SWEEP_EIO. */
static int open_experiment(coord *c) {
    const sweep_job *job = c->job;
    char mode[96];
    if (c->precise) {
        /* the shortest text that reads back as the same P */
        char ptext[40];
        snprintf(ptext, sizeof ptext, "%.15g", job->precision);
        if (strtod(ptext, NULL) != job->precision)
            snprintf(ptext, sizeof ptext, "%.17g", job->precision);
        snprintf(mode, sizeof mode, "precision %s max-reps %u", ptext,
                 job->max_reps);
    } else {
        snprintf(mode, sizeof mode, "reps");
    }
    results_experiment_spec spec = {
        .scenario_file = job->scenario_file ? job->scenario_file
                                            : "(built-in default)",
        .scenario_text = job->scenario_text,
        .overrides = job->overrides,
        .mode = mode,
        .precision = job->precision,
        .max_reps = job->max_reps,
        .command_line = c->opt->command_line,
        .grid = &job->grid,
        .reps_target = job->reps_target,
        .rare = job->rare,
    };
    int rc = results_experiment_open(c->db, &spec, &c->rep->experiment,
                                     &c->rep->resumed, c->point_id, c->err,
                                     c->errlen);
    if (rc == RESULTS_OK) return SWEEP_OK;
    return rc == RESULTS_EINPUT ? SWEEP_EINPUT : SWEEP_EIO;
}

/* What the experiment already holds: runs reused from points of the same
 * configuration, the stored runs, the points they decide (marked now when
 * a kill came between a point's last run and its mark, in one
 * transaction).  0, or -1 with the message in c->err. */
static int take_stored(coord *c) {
    results *rdb = c->db;
    char *err = c->err;
    size_t errlen = c->errlen;
    if (reuse_runs(c->job, rdb, c, c->rep, err, errlen) != 0) return -1;
    if (results_each_stored_run(rdb, c->rep->experiment, on_stored_run, c,
                                err, errlen) != RESULTS_OK)
        return -1;
    for (size_t p = 0; p < c->np; p++) {
        point_state *ps = &c->ps[p];
        if (c->precise)
            decide_from_prefix(c, ps);
        else if (ps->stored >= ps->target)
            ps->decided = 1;
        if (ps->decided) point_decided(c, ps);
        ps->next = c->precise ? ps->prefix : 0;
    }
    if (c->rep->points_done == 0) return 0;
    if (results_begin(rdb, err, errlen) != RESULTS_OK) return -1;
    for (size_t p = 0; p < c->np; p++) {
        point_state *ps = &c->ps[p];
        if (ps->decided &&
            results_point_done(rdb, c->point_id[p], ps->hit_cap, ps->rel_hw,
                               err, errlen) != RESULTS_OK) {
            results_rollback(rdb);
            return -1;
        }
    }
    return results_commit(rdb, err, errlen) == RESULTS_OK ? 0 : -1;
}

/* A shard leaves the others' runs (fixed) or points (precision). */
static void leave_other_shards(coord *c) {
    const sweep_options *opt = c->opt;
    c->points_mine = c->np;
    if (opt->nshards <= 1) return;
    uint64_t index = 0; /* the run index of sweep_shard_owns */
    for (size_t p = 0; p < c->np; p++) {
        point_state *ps = &c->ps[p];
        if (c->precise) {
            ps->foreign = p % opt->nshards != opt->shard;
            if (ps->foreign) c->points_mine--;
            continue;
        }
        for (uint32_t r = 0; r < ps->target; r++, index++)
            if (index % opt->nshards == opt->shard)
                c->rep->runs_shard++;
            else if (ps->rep[r] == REP_MISSING)
                ps->rep[r] = REP_FOREIGN;
    }
}

/* The runs left to do (and c->runs_total: the runs this process may
 * store). */
static uint64_t missing_runs(coord *c) {
    uint64_t missing = 0;
    c->runs_total = 0;
    for (size_t p = 0; p < c->np; p++) {
        const point_state *ps = &c->ps[p];
        for (uint32_t r = 0; r < ps->target; r++) {
            if (ps->rep[r] != REP_FOREIGN) c->runs_total++;
            if (!ps->decided && !ps->foreign && ps->rep[r] == REP_MISSING)
                missing++;
        }
    }
    return missing;
}

/* The missing runs through `jobs` workers of the transport, each result
 * stored as it comes (res: room for one).  SWEEP_OK, SWEEP_INTERRUPTED (a
 * signal: the workers stopped) or SWEEP_EIO with the message in c->err. */
static int work(coord *c, const transport_ops *tops, int jobs,
                world_result *res) {
    char *err = c->err;
    size_t errlen = c->errlen;
    int status = SWEEP_EIO;
    transport *tr = tops->start(jobs, sweep_work, (void *)c->job,
                                &interrupted, err, errlen);
    if (!tr) return SWEEP_EIO;
    c->nhold = c->rep->workers = tops->capacity(tr);
    c->hold = calloc((size_t)c->nhold, sizeof *c->hold);
    if (!c->hold) {
        sim_errf(err, errlen, "out of memory running the sweep");
        goto out;
    }
    int inflight = 0;
    progress(c, 0);
    for (;;) {
        sweep_task t;
        while (!interrupted && inflight < tops->capacity(tr) &&
               (c->precise ? next_precise(c, &t) : next_fixed(c, &t))) {
            if (tops->submit(tr, &t, err, errlen) != 0) goto out;
            c->ps[t.point].inflight++;
            c->ps[t.point].rep[t.rep] = REP_PENDING;
            inflight++;
        }
        if (interrupted) break;
        if (inflight == 0) break;
        int got = tops->receive(tr, &t, res, err, errlen);
        if (got < 0) goto out;
        if (got == 0) break; /* interrupted */
        inflight--;
        if ((c->precise ? handle_precise(c, &t, res)
                        : handle_fixed(c, &t, res)) != 0)
            goto out;
        /* The run is committed; a checkpoint after it may have found the
         * file unable to grow: stop now, not when the WAL is full too. */
        if (results_space_check(c->db, err, errlen) != RESULTS_OK) goto out;
        progress(c, 0);
    }
    if (interrupted) {
        tops->stop(tr, 1);
        return SWEEP_INTERRUPTED;
    }
    tops->stop(tr, 0);
    return SWEEP_OK;
out:
    tops->stop(tr, 1);
    return status;
}

int sweep_run(const sweep_job *job, results *rdb, const sweep_options *opt,
              sweep_report *report, char *err, size_t errlen) {
    coord c;
    memset(&c, 0, sizeof c);
    memset(report, 0, sizeof *report);
    c.job = job;
    c.db = rdb;
    c.opt = opt;
    c.rep = report;
    c.np = job->grid.npoints;
    c.precise = !isnan(job->precision);
    c.err = err;
    c.errlen = errlen;
    c.t0 = now_s();
    report->points = c.np;
    const transport_ops *tops = opt->transport ? opt->transport
                                               : &transport_local;
    signal_state sig;
    int caught = 0, status = SWEEP_EIO;
    world_result *res = malloc(sizeof *res);
    if (coord_alloc(&c, job) != 0 || !res) {
        sim_errf(err, errlen, "out of memory running the sweep");
        goto out;
    }
    status = open_experiment(&c);
    if (status != SWEEP_OK) goto out;
    status = SWEEP_EIO;
    if (take_stored(&c) != 0 ||
        results_space_check(rdb, err, errlen) != RESULTS_OK)
        goto out;
    leave_other_shards(&c);
    /* Work, if any is left. */
    int jobs = opt->jobs < 1 ? 1 : opt->jobs;
    uint64_t missing = missing_runs(&c);
    if (missing > 0) {
        if ((uint64_t)jobs > missing) jobs = (int)missing;
        signals_catch(&sig);
        caught = 1;
        status = work(&c, tops, jobs, res);
        if (status != SWEEP_OK) goto out;
        status = SWEEP_EIO;
    }
    if (report->points_done == c.np &&
        results_experiment_finished(rdb, report->experiment, err, errlen) !=
            RESULTS_OK)
        goto out;
    /* Everything into the database file now: the checkpoint at close
     * ignores a file that cannot grow. */
    if (results_checkpoint(rdb, err, errlen) != RESULTS_OK) goto out;
    status = SWEEP_OK;
out:
    if (c.drawn) progress(&c, 1);
    if (caught) signals_restore(&sig);
    for (size_t p = 0; c.ps && p < c.np; p++) report->runs_stored += c.ps[p].stored;
    report->wall_s = now_s() - c.t0;
    free(res);
    coord_fini(&c);
    return status;
}
