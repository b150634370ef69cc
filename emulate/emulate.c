/* The emulator's driver: scenario checks, client threads, real-time
 * arrivals, late DELs, replications and the measured result (emulate.h).
 *
 * Scheduling.  One mutex guards the next arrival (drawn from the
 * simulator's workload with the simulator's streams for (seed, rep)), a
 * binary heap of late DELs, and the read-through loads.  An idle thread
 * takes whatever is due first, waiting on a condition variable (timed on
 * CLOCK_REALTIME, at most 100 ms so that it notices a stop).  A thread
 * serving a request holds no lock. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulate/emu_internal.h"
#include "sim/dist.h"

const char *emu_op_name(emu_op k) {
    static const char *const names[EMU_OP_COUNT] = {"get", "set", "del",
                                                    "db_read", "db_write"};
    return names[k];
}

/* ---- what emulate cannot run ---------------------------------------------------- */

int emu_check_scenario(const scenario *sc, char *err, size_t errlen) {
    const char *p = sc->cache.pattern;
#define REFUSE(...)                                                         \
    do {                                                                    \
        snprintf(err, errlen, __VA_ARGS__);                                 \
        return -1;                                                          \
    } while (0)
    if (strcmp(p, "cache-aside") != 0 && strcmp(p, "ttl-only") != 0 &&
        strcmp(p, "read-through") != 0 && strcmp(p, "write-through") != 0)
        REFUSE("emulate cannot run [cache] pattern = %s: emulate runs "
               "cache-aside, ttl-only, read-through and write-through",
               p);
    if (sc->workload.trace[0])
        REFUSE("emulate cannot run [workload] trace = %s: traces are not "
               "emulated yet (synthetic arrivals only)",
               sc->workload.trace);
    if (sc->families.n > 0)
        REFUSE("emulate cannot run [family.%s]: key families are not "
               "emulated yet",
               sc->families.family[0].name);
    if (sc->paths.n > 0)
        REFUSE("emulate cannot run [path.%s]: write paths are not emulated "
               "yet",
               sc->paths.path[0].name);
    if (sc->local.instances > 0)
        REFUSE("emulate cannot run [local] instances = %u: local caches are "
               "not emulated yet",
               sc->local.instances);
    if (sc->db.replicas > 0)
        REFUSE("emulate cannot run [db] replicas = %u: read replicas are not "
               "emulated yet",
               sc->db.replicas);
    if (sc->cache.outage_rate > 0)
        REFUSE("emulate cannot run [cache] outage_rate: cache outages are not "
               "emulated yet");
    if (sc->cache.mitigations.outbox)
        REFUSE("emulate cannot run [cache] mitigations = outbox: the outbox "
               "relay is not emulated yet");
    if (sc->cache.sliding_ttl)
        REFUSE("emulate cannot run [cache] sliding_ttl = yes: not emulated "
               "yet");
    if (sc->cache.capacity > 0)
        REFUSE("emulate cannot run [cache] capacity: a bounded Redis "
               "(maxmemory) is not emulated yet");
    if (sc->run.warmup_auto)
        REFUSE("emulate cannot run [run] warmup = auto: give the warm-up as "
               "a duration");
    if (sc->workload.read_after_write > 0)
        REFUSE("emulate cannot run [workload] read_after_write: sessions are "
               "not emulated yet");
#undef REFUSE
    return 0;
}

/* ---- the schedule ------------------------------------------------------------------ */

static void late_push(emu_shared *sh, emu_late_del d) {
    size_t i = sh->nlate++;
    while (i > 0 && sh->late[(i - 1) / 2].at > d.at) {
        sh->late[i] = sh->late[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    sh->late[i] = d;
}

static emu_late_del late_pop(emu_shared *sh) {
    emu_late_del top = sh->late[0], last = sh->late[--sh->nlate];
    size_t i = 0, n = sh->nlate;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && sh->late[c + 1].at < sh->late[c].at) c++;
        if (sh->late[c].at >= last.at) break;
        sh->late[i] = sh->late[c];
        i = c;
    }
    if (n) sh->late[i] = last;
    return top;
}

int emu_schedule_late_del(emu_shared *sh, sim_time at, uint32_t key,
                          uint32_t version) {
    pthread_mutex_lock(&sh->mu);
    if (sh->nlate == sh->late_cap) {
        size_t cap = sh->late_cap ? 2 * sh->late_cap : 64;
        emu_late_del *p = realloc(sh->late, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&sh->mu);
            return -1;
        }
        sh->late = p;
        sh->late_cap = cap;
    }
    late_push(sh, (emu_late_del){at, key, version});
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    return 0;
}

static void advance_arrival(emu_shared *sh) {
    workload_op op;
    sh->have_next = workload_next(sh->load, &sh->arrivals, sh->next.at, &op) &&
                    op.at < sh->end;
    if (sh->have_next) sh->next = op;
}

static void *worker_main(void *arg) {
    emu_worker *w = arg;
    emu_shared *sh = w->sh;
    pthread_mutex_lock(&sh->mu);
    while (!sh->stop && !*sh->opt->stop) {
        sim_time now = emu_now(sh);
        if (sh->nlate && sh->late[0].at <= now) {
            emu_late_del d = late_pop(sh);
            pthread_mutex_unlock(&sh->mu);
            emu_send_late_del(w, &d);
            pthread_mutex_lock(&sh->mu);
            continue;
        }
        if (sh->have_next && sh->next.at <= now) {
            workload_op op = sh->next;
            uint64_t serial = ++sh->serial;
            if (now - op.at > SIM_MS) sh->late_starts++;
            advance_arrival(sh);
            pthread_mutex_unlock(&sh->mu);
            emu_serve(w, &op, serial);
            pthread_mutex_lock(&sh->mu);
            sh->done++;
            continue;
        }
        if (!sh->have_next && sh->nlate == 0) break;
        sim_time due = now + 100 * SIM_MS;
        if (sh->have_next && sh->next.at < due) due = sh->next.at;
        if (sh->nlate && sh->late[0].at < due) due = sh->late[0].at;
        int64_t abs = sh->t0 + due;
        struct timespec ts = {abs / 1000000000LL, abs % 1000000000LL};
        pthread_cond_timedwait(&sh->cv, &sh->mu, &ts);
    }
    /* Leaving: wake the others (a stop, or the end of the arrivals). */
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}

/* ---- results -------------------------------------------------------------------- */

void emu_result_destroy(emu_result *r) {
    if (!r) return;
    run_summary_destroy(r->sum);
    for (int k = 0; k < EMU_OP_COUNT; k++)
        for (int p = 0; p < 2; p++) free(r->samples[k][p]);
    free(r);
}

static emu_result *result_create(const scenario *sc) {
    emu_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    run_summary *s = r->sum = calloc(1, sizeof *s);
    if (!s) goto oom;
    s->reps = sc->run.reps;
    s->seed = sc->run.seed;
    s->warmup = sc->run.warmup;
    s->source = "emulation";
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        if (!(s->value[m] = calloc(s->reps, sizeof(double)))) goto oom;
    for (int d = 0; d < WORLD_DIST_COUNT; d++) sim_hist_init(&s->dist[d]);
    for (int k = 0; k < EMU_OP_COUNT; k++)
        for (int p = 0; p < EMU_PART_COUNT; p++)
            sim_hist_init(&r->latency[k][p]);
    return r;
oom:
    emu_result_destroy(r);
    return NULL;
}

/* Moves the threads' latency samples into r (pooled over replications). */
static int collect_samples(emu_shared *sh, emu_result *r) {
    for (unsigned i = 0; i < sh->nworkers; i++) {
        emu_worker *w = &sh->workers[i];
        for (int k = 0; k < EMU_OP_COUNT; k++) {
            emu_samples *rq = &w->samples[k][0], *rs = &w->samples[k][1];
            size_t n = rq->n < rs->n ? rq->n : rs->n;
            for (size_t j = 0; j < n; j++) {
                sim_hist_add(&r->latency[k][EMU_REQUEST], rq->v[j]);
                sim_hist_add(&r->latency[k][EMU_RESPONSE], rs->v[j]);
                sim_hist_add(&r->latency[k][EMU_TOTAL], rq->v[j] + rs->v[j]);
            }
            for (int p = 0; p < 2; p++) {
                emu_samples *src = &w->samples[k][p];
                size_t have = r->nsamples[k][p];
                sim_time *v = realloc(r->samples[k][p],
                                      (have + n + 1) * sizeof *v);
                if (!v) return -1;
                memcpy(v + have, src->v, n * sizeof *v);
                r->samples[k][p] = v;
                r->nsamples[k][p] = have + n;
                src->n = 0;
            }
        }
    }
    return 0;
}

/* ---- one replication ------------------------------------------------------------ */

static void progress_line(emu_shared *sh, int final) {
    FILE *out = sh->opt->progress;
    if (!out) return;
    double t = sim_time_to_s(emu_now(sh)), d = sim_time_to_s(sh->end);
    if (t > d) t = d;
    pthread_mutex_lock(&sh->mu);
    unsigned long long done = sh->done, late = sh->late_starts;
    pthread_mutex_unlock(&sh->mu);
    fprintf(out, "\rreplication %u/%u: %5.1f of %.1f s, %llu requests, %llu "
                 "started late   %s",
            sh->rep + 1, sh->sc->run.reps, t, d, done, late,
            final ? "\n" : "");
    fflush(out);
}

static int run_rep(emu_shared *sh, emu_result *r, uint32_t rep, char *err,
                   size_t errlen) {
    const scenario *sc = sh->sc;
    sh->rep = rep;
    if (emu_setup(sh->workers[0].conn, sc->workload.keys, err, errlen) != 0)
        return -1;
    if (sim_rng_init(&sh->arrivals, sc->run.seed, rep) != 0) goto oom;
    if (!(sh->load = workload_create(sc))) {
        sim_rng_fini(&sh->arrivals);
        goto oom;
    }
    for (unsigned i = 0; i < sh->nworkers; i++) {
        emu_worker *w = &sh->workers[i];
        w->nfacts = 0;
        memset(&w->counts, 0, sizeof w->counts);
        /* Each thread's own latency and fault streams: derived seeds that
         * no replication of the simulator uses. */
        if (sim_rng_init(&w->rng, sc->run.seed ^ 0x656d756c61746521ULL,
                         rep * 1000u + i) != 0) {
            while (i-- > 0) sim_rng_fini(&sh->workers[i].rng);
            goto oom_load;
        }
    }
    if (strcmp(sc->cache.pattern, "read-through") == 0 &&
        !(sh->loads = calloc(sc->workload.keys, sizeof *sh->loads))) {
        for (unsigned i = 0; i < sh->nworkers; i++)
            sim_rng_fini(&sh->workers[i].rng);
        goto oom_load;
    }
    sh->serial = sh->done = sh->late_starts = 0;
    sh->nlate = 0;
    sh->stop = 0;
    sh->next.at = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    sh->t0 = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + 20 * SIM_MS;
    sh->have_next = workload_next(sh->load, &sh->arrivals, 0, &sh->next) &&
                    sh->next.at < sh->end;
    unsigned started = 0;
    for (; started < sh->nworkers; started++)
        if (pthread_create(&sh->workers[started].thread, NULL, worker_main,
                           &sh->workers[started]) != 0)
            break;
    if (started < sh->nworkers) {
        pthread_mutex_lock(&sh->mu);
        sh->stop = 1;
        pthread_cond_broadcast(&sh->cv);
        pthread_mutex_unlock(&sh->mu);
    }
    sim_time last = 0;
    for (;;) {
        struct timespec nap = {0, 200000000L};
        nanosleep(&nap, NULL);
        pthread_mutex_lock(&sh->mu);
        int over = sh->stop || *sh->opt->stop ||
                   (!sh->have_next && sh->nlate == 0 &&
                    emu_now(sh) >= sh->end);
        pthread_mutex_unlock(&sh->mu);
        if (over) break;
        if (emu_now(sh) - last >= 500 * SIM_MS) {
            progress_line(sh, 0);
            last = emu_now(sh);
        }
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(sh->workers[i].thread, NULL);
    progress_line(sh, 1);
    workload_destroy(sh->load);
    sh->load = NULL;
    sim_rng_fini(&sh->arrivals);
    for (unsigned i = 0; i < sh->nworkers; i++) sim_rng_fini(&sh->workers[i].rng);
    free(sh->loads);
    sh->loads = NULL;
    for (unsigned i = 0; i < sh->nworkers; i++)
        if (sh->workers[i].failed) {
            snprintf(err, errlen, "%s", sh->workers[i].err);
            return -1;
        }
    if (started < sh->nworkers) {
        snprintf(err, errlen, "cannot start client threads: %s",
                 strerror(errno));
        return -1;
    }
    if (*sh->opt->stop) return 1;
    r->late_starts += sh->late_starts;
    if (collect_samples(sh, r) != 0) goto oom;
    return emu_judge(sh, r, rep, rep == 0 ? sh->opt->history : NULL, err,
                     errlen);
oom_load:
    workload_destroy(sh->load);
    sh->load = NULL;
    sim_rng_fini(&sh->arrivals);
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* Reads the per-operation response keys when this build has them. */
static int response_parts(emu_shared *sh, char *err, size_t errlen) {
    static const char *const keys[EMU_OP_COUNT][2] = {
        {"cache", "get_response"}, {"cache", "set_response"},
        {"cache", "del_response"}, {"db", "read_response"},
        {"db", "write_response"}};
    int idx[EMU_OP_COUNT];
    sh->split = 1;
    for (int k = 0; k < EMU_OP_COUNT; k++) {
        idx[k] = -1;
        for (size_t i = 0; i < scenario_key_count(); i++)
            if (strcmp(scenario_key_section(i), keys[k][0]) == 0 &&
                strcmp(scenario_key_name(i), keys[k][1]) == 0)
                idx[k] = (int)i;
        sh->split &= idx[k] >= 0;
    }
    for (int k = 0; sh->split && k < EMU_OP_COUNT; k++) {
        char why[512];
        if (sim_dist_parse(&sh->response[k], sh->sc->text[idx[k]],
                           sh->sc->basedir, why, sizeof why) != 0) {
            snprintf(err, errlen, "[%s] %s: %s", keys[k][0], keys[k][1], why);
            return -1;
        }
    }
    return 0;
}

int emu_run(const scenario *sc, const emu_options *opt, emu_result **out,
            char *err, size_t errlen) {
    *out = NULL;
    if (emu_check_scenario(sc, err, errlen) != 0) return -1;
    emu_result *r = result_create(sc);
    emu_shared sh;
    memset(&sh, 0, sizeof sh);
    int rc = -1;
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sh.sc = sc;
    sh.opt = opt;
    sh.end = sc->run.duration;
    sh.nworkers = sc->workload.clients < EMU_MAX_THREADS ? sc->workload.clients
                                                         : EMU_MAX_THREADS;
    r->threads = sh.nworkers;
    if (response_parts(&sh, err, errlen) != 0) {
        for (int k = 0; k < EMU_OP_COUNT; k++) sim_dist_fini(&sh.response[k]);
        emu_result_destroy(r);
        return -1;
    }
    pthread_mutex_init(&sh.mu, NULL);
    pthread_cond_init(&sh.cv, NULL);
    sh.workers = calloc(sh.nworkers, sizeof *sh.workers);
    if (!sh.workers) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (unsigned i = 0; i < sh.nworkers; i++) {
        sh.workers[i].sh = &sh;
        sh.workers[i].index = i;
        if (!(sh.workers[i].conn = emu_conn_open(&opt->target, err, errlen)))
            goto out;
    }
    double t0 = (double)clock() / CLOCKS_PER_SEC;
    struct timespec w0, w1;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    for (uint32_t rep = 0; rep < sc->run.reps; rep++) {
        rc = run_rep(&sh, r, rep, err, errlen);
        if (rc != 0) break;
    }
    (void)t0;
    clock_gettime(CLOCK_MONOTONIC, &w1);
    r->sum->wall_s = (double)(w1.tv_sec - w0.tv_sec) +
                     (double)(w1.tv_nsec - w0.tv_nsec) / 1e9;
    if (sh.workers[0].conn) {
        char why[512];
        if (emu_teardown(sh.workers[0].conn, why, sizeof why) != 0 && rc == 0) {
            snprintf(err, errlen, "cleaning up: %s", why);
            rc = -1;
        }
    }
out:
    for (unsigned i = 0; sh.workers && i < sh.nworkers; i++) {
        emu_conn_close(sh.workers[i].conn);
        free(sh.workers[i].facts);
        for (int k = 0; k < EMU_OP_COUNT; k++)
            for (int p = 0; p < 2; p++) free(sh.workers[i].samples[k][p].v);
    }
    free(sh.workers);
    free(sh.late);
    for (int k = 0; k < EMU_OP_COUNT; k++) sim_dist_fini(&sh.response[k]);
    pthread_mutex_destroy(&sh.mu);
    pthread_cond_destroy(&sh.cv);
    if (rc == 0)
        *out = r;
    else
        emu_result_destroy(r);
    return rc;
}
