/* `make bench`: speed figures for the kernel and the models.
 *
 * Each benchmark warms up, then runs for about BENCH_SECONDS of wall time
 * (measured with CLOCK_MONOTONIC) and prints one line: what was measured, the
 * rate, and the setting that shapes it.
 *
 * The queue line times the event set alone.  The empty-model kernel line adds
 * the run loop and one dispatch call per event: the model holds a fixed
 * number of pending events, and every dispatched event reschedules itself
 * after an exponential delay read from a precomputed table, so the measured
 * cost is the queue plus the run loop and nothing else.  A real model can
 * only be slower; the gap between this line and a model's line is the
 * model's own cost.
 *
 * The sweep lines (bench_scale) run ./stalesim and mpirun: the coordinator's
 * capacity (finished runs received and committed per second, with a
 * scenario so short that workers are never the bottleneck) as SQLite commits
 * alone, with 2 local workers and with 2 MPI worker ranks; the merge rate;
 * the cost of a typical run; and one small sweep done with --jobs 2 and with
 * mpirun -n 3, one after the other.
 *
 * Memory: each model run resets the process's peak resident set first
 * (/proc/self/clear_refs), so an earlier run's peak does not hide its
 * growth; the 1e7-key run has a process of its own. */
#define _DEFAULT_SOURCE /* wait4 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "experiments/results.h"
#include "models/pattern.h"
#include "models/scenario.h"
#include "models/world.h"
#include "sim/sim.h"

#define BENCH_SECONDS 2.5
#define BENCH_CHUNK 5000000u   /* events between clock reads */
#define BENCH_WARMUP 2000000u  /* events before timing starts */
#define DELAY_TABLE_SIZE 16384 /* power of two */

static double wall_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fills a delay table with exponential draws of mean 1 ms (ns), fixed seed,
 * so every run of the benchmark replays the same event pattern. */
static void fill_delays(sim_time *delay, gsl_rng *r) {
    gsl_rng_set(r, 1);
    for (size_t i = 0; i < DELAY_TABLE_SIZE; i++)
        delay[i] = (sim_time)gsl_ran_exponential(r, (double)SIM_MS);
}

/* The empty model: a table of delays and a stop point. */
typedef struct empty_model {
    sim_time delay[DELAY_TABLE_SIZE]; /* ns, exponential with mean 1 ms */
    size_t next;                      /* next table index */
    uint64_t stop_at;                 /* sim_stop once s->events reaches it */
} empty_model;

static void empty_dispatch(void *model, sim *s, const sim_event *ev) {
    empty_model *m = model;
    sim_time d = m->delay[m->next++ & (DELAY_TABLE_SIZE - 1)];
    sim_schedule(s, d, ev->type, ev->a, ev->b);
    if (s->events >= m->stop_at) sim_stop(s);
}

/* Runs the empty model with `pending` events held; returns events/s or -1. */
static double kernel_rate(size_t pending) {
    double rate = -1;
    empty_model *m = malloc(sizeof *m);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    sim s;
    int sim_ok = 0;
    if (!m || !r || sim_init(&s, 0) != 0) goto oom;
    sim_ok = 1;

    fill_delays(m->delay, r);
    m->next = 0;
    for (size_t i = 0; i < pending; i++)
        sim_schedule(&s, m->delay[m->next++ & (DELAY_TABLE_SIZE - 1)], 0,
                     (uint32_t)i, 0);

    m->stop_at = BENCH_WARMUP;
    if (sim_run(&s, SIM_TIME_MAX, empty_dispatch, m) != 0) goto oom;

    uint64_t first = s.events;
    double t0 = wall_seconds(), t1 = t0;
    while (t1 - t0 < BENCH_SECONDS) {
        m->stop_at = s.events + BENCH_CHUNK;
        if (sim_run(&s, SIM_TIME_MAX, empty_dispatch, m) != 0) goto oom;
        t1 = wall_seconds();
    }
    rate = (double)(s.events - first) / (t1 - t0);
    goto out;
oom:
    fprintf(stderr, "stalesim-bench: out of memory\n");
out:
    if (sim_ok) sim_fini(&s);
    if (r) gsl_rng_free(r);
    free(m);
    return rate;
}

/* `count` hold operations on the bare queue: pop the earliest event, push it
 * back after the next table delay.  Returns 0, or -1 if a push failed (or
 * the queue was empty). */
static int queue_hold(sim_queue *q, const sim_time *delay, size_t *next,
                      uint64_t count) {
    for (uint64_t k = 0; k < count; k++) {
        sim_event ev;
        if (!sim_queue_pop(q, &ev)) return -1;
        sim_time d = delay[(*next)++ & (DELAY_TABLE_SIZE - 1)];
        if (sim_queue_push(q, ev.at + d, ev.type, ev.a, ev.b) != 0) return -1;
    }
    return 0;
}

/* The queue alone (no run loop, no dispatch call), `pending` events held.
 * Returns push+pop pairs per second, or -1. */
static double queue_rate(size_t pending) {
    double rate = -1;
    sim_time *delay = malloc(DELAY_TABLE_SIZE * sizeof *delay);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    sim_queue q;
    int q_ok = 0;
    if (!delay || !r || sim_queue_init(&q, 0) != 0) goto oom;
    q_ok = 1;

    fill_delays(delay, r);
    size_t next = 0;
    for (size_t i = 0; i < pending; i++)
        if (sim_queue_push(&q, delay[next++ & (DELAY_TABLE_SIZE - 1)], 0,
                           (uint32_t)i, 0) != 0)
            goto oom;

    if (queue_hold(&q, delay, &next, BENCH_WARMUP) != 0) goto oom;
    uint64_t done = 0;
    double t0 = wall_seconds(), t1 = t0;
    while (t1 - t0 < BENCH_SECONDS) {
        if (queue_hold(&q, delay, &next, BENCH_CHUNK) != 0) goto oom;
        done += BENCH_CHUNK;
        t1 = wall_seconds();
    }
    rate = (double)done / (t1 - t0);
    goto out;
oom:
    fprintf(stderr, "stalesim-bench: out of memory\n");
out:
    if (q_ok) sim_queue_fini(&q);
    if (r) gsl_rng_free(r);
    free(delay);
    return rate;
}

static int bench_kernel(void) {
    static const size_t pending[] = {1000, 10000};
    for (size_t i = 0; i < sizeof pending / sizeof pending[0]; i++) {
        double rate = kernel_rate(pending[i]);
        if (rate < 0) continue;
        printf("kernel (empty model)        %6.1f M events/s   "
               "(holding %zu pending)\n",
               rate / 1e6, pending[i]);
        fflush(stdout);
    }
    return 0;
}

static int bench_queue(void) {
    static const size_t pending[] = {1000, 10000};
    for (size_t i = 0; i < sizeof pending / sizeof pending[0]; i++) {
        double rate = queue_rate(pending[i]);
        if (rate < 0) continue;
        printf("queue alone (push+pop)      %6.1f M pairs/s    "
               "(holding %zu pending)\n",
               rate / 1e6, pending[i]);
        fflush(stdout);
    }
    return 0;
}

/* Peak resident memory of this process so far (since the last
 * reset_peak_rss), bytes: VmHWM of /proc/self/status, else ru_maxrss. */
static double peak_rss_bytes(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lf kB", &kib) == 1) break;
    if (f) fclose(f);
    if (kib >= 0) return kib * 1024.0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss * 1024.0; /* Linux: KiB */
}

/* Resets the peak to the current resident set (Linux: "5" into
 * /proc/self/clear_refs).  Returns 1 on success. */
static int reset_peak_rss(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return 0;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

/* CPU time of this process, s: on a shared machine the rate per CPU second
 * is the steadier figure (time spent waiting for a core is not counted). */
static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What one model run measured. */
typedef struct model_run {
    double events, requests; /* requests: reads + writes */
    double wall_s, cpu_s;    /* of world_run alone */
    double rss_growth;       /* bytes: peak RSS growth over create + run */
    uint32_t keys;
} model_run;

/* Runs replication 0 of the default scenario with `sets` applied (NULL
 * entries skipped).  Returns 0, or 1 after a one-line error on stderr. */
static int run_model(const char *label, const char *const *sets, size_t n,
                     model_run *out) {
    scenario sc;
    char err[512];
    if (scenario_init_defaults(&sc, err, sizeof err) != 0) goto bad;
    for (size_t i = 0; i < n; i++)
        if (sets[i] && scenario_set(&sc, sets[i], err, sizeof err) != 0)
            goto bad;
    if (scenario_validate(&sc, err, sizeof err) != 0) goto bad;

    reset_peak_rss(); /* without it the growth may read low, not high */
    double rss0 = peak_rss_bytes();
    world_result *res = malloc(sizeof *res);
    world *w = res ? world_create(&sc, 0) : NULL;
    double cpu0 = cpu_seconds();
    if (!w || world_run(w, res) != 0) {
        snprintf(err, sizeof err, "out of memory");
        world_destroy(w);
        free(res);
        goto bad;
    }
    out->cpu_s = cpu_seconds() - cpu0;
    out->rss_growth = peak_rss_bytes() - rss0;
    out->events = (double)res->events;
    out->requests = res->metric[WORLD_METRIC_READS] + res->metric[WORLD_METRIC_WRITES];
    out->wall_s = res->wall_s;
    out->keys = sc.workload.keys;
    world_destroy(w);
    free(res);
    scenario_fini(&sc);
    return 0;
bad:
    fprintf(stderr, "stalesim-bench: %s: %s\n", label, err);
    scenario_fini(&sc);
    return 1;
}

/* The single-key race: cache-aside on one key, 200 reads/s and 20 writes/s,
 * every latency at its exponential default (cache 0.5 ms, DB read 5 ms,
 * write 10 ms), no faults: fills race with commits and deletes all the
 * time.  One replication of 24 simulated hours (about 45 M events); the
 * target is 20 M events/s on one core. */
static int bench_race(void) {
    static const char *const sets[] = {
        "workload.keys=1", "workload.reads=200/s", "workload.writes=20/s",
        "run.duration=24h", "run.reps=1"};
    model_run m;
    if (run_model("race", sets, sizeof sets / sizeof sets[0], &m) != 0)
        return 1;
    printf("single-key race (200 r/s, 20 w/s)  %6.1f M events/s   "
           "(%.1f M per CPU s; %.0f M events, %.1f s)\n",
           m.events / m.wall_s / 1e6, m.events / m.cpu_s / 1e6,
           m.events / 1e6, m.wall_s);
    return 0;
}

/* The cache-aside model on a million keys with Zipf 0.99 popularity:
 * 200,000 reads/s and 2,000 writes/s (1% writes), 300 s TTL, the default
 * latencies, 1% of DELs failing, one replication of 120 simulated seconds
 * starting cold.  Events/s and simulated requests/s count the whole
 * replication.  Memory per key is the growth of the peak resident set over
 * the run (every per-key array, the alias table, the commit history, the
 * queue and the request pool) divided by the keys.  Targets: 12 M events/s,
 * at most 128 bytes/key. */
static const char *const zipf_sets[] = {
    "workload.keys=1000000", "workload.popularity=zipf:0.99",
    "workload.reads=200000/s", "workload.writes=2000/s",
    "cache.ttl=300s", "faults.del_fail=0.01", "run.duration=120s",
    "run.reps=1"};
#define NZIPF (sizeof zipf_sets / sizeof zipf_sets[0])

/* That world with `extra1`, `extra2` settings (either NULL). */
static int bench_cache_aside_with(const char *label, const char *mem_label,
                                  const char *extra1, const char *extra2) {
    const char *sets[NZIPF + 2];
    for (size_t i = 0; i < NZIPF; i++) sets[i] = zipf_sets[i];
    sets[NZIPF] = extra1;
    sets[NZIPF + 1] = extra2;
    model_run m;
    if (run_model(label, sets, NZIPF + 2, &m) != 0) return 1;
    printf("%-32s %6.1f M events/s   %5.2f M requests/s   "
           "(%.1f M per CPU s; %.0f M events, %.1f s)\n",
           label, m.events / m.wall_s / 1e6, m.requests / m.wall_s / 1e6,
           m.events / m.cpu_s / 1e6, m.events / 1e6, m.wall_s);
    printf("%-32s %6.0f bytes/key (peak RSS growth %.0f MiB over %u keys)\n",
           mem_label, m.rss_growth / m.keys, m.rss_growth / 1048576.0,
           m.keys);
    return 0;
}

static int bench_cache_aside(void) {
    return bench_cache_aside_with("cache-aside, 1e6 keys zipf 0.99",
                                  "cache-aside memory", NULL, NULL);
}

/* The same with the shared cache bounded to a tenth of the keys (LRU, then
 * LFU).  Each run measures from a reset peak (the kernel's clear_refs), so
 * the previous run's peak does not hide this one's. */
static int bench_capacity(void) {
    static const char *const policy[][2] = {
        {"capacity 1e5 of 1e6 keys, lru", "cache.eviction=lru"},
        {"capacity 1e5 of 1e6 keys, lfu", "cache.eviction=lfu"}};
    for (size_t i = 0; i < 2; i++) {
        if (!reset_peak_rss()) {
            printf("%-32s (no /proc/self/clear_refs: not measured)\n",
                   policy[i][0]);
            continue;
        }
        if (bench_cache_aside_with(policy[i][0], "  memory",
                                   "cache.capacity=100000",
                                   policy[i][1]) != 0)
            return 1;
    }
    return 0;
}

/* The same world on ten million keys for 60 simulated seconds, in a child
 * process so that its peak resident set is its own: the target is a run in
 * under 1.5 GB.  The figure is the child's whole peak (program, alias table
 * construction, every per-key array, history, queue). */
static int bench_ten_million(void) {
    pid_t pid = fork();
    if (pid < 0) {
        perror("stalesim-bench: fork");
        return 1;
    }
    if (pid == 0) {
        const char *sets[NZIPF + 2];
        for (size_t i = 0; i < NZIPF; i++) sets[i] = zipf_sets[i];
        sets[NZIPF] = "workload.keys=10000000";
        sets[NZIPF + 1] = "run.duration=60s";
        model_run m;
        if (run_model("1e7", sets, NZIPF + 2, &m) != 0) _exit(1);
        printf("cache-aside, 1e7 keys zipf 0.99  %6.1f M events/s   "
               "(%.0f M events, %.1f s)\n",
               m.events / m.wall_s / 1e6, m.events / 1e6, m.wall_s);
        fflush(stdout);
        _exit(0);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "stalesim-bench: 1e7: the run failed\n");
        return 1;
    }
    printf("cache-aside 1e7 keys memory      %6.0f MiB peak RSS (%.0f "
           "bytes/key)\n",
           (double)ru.ru_maxrss / 1024.0, (double)ru.ru_maxrss * 1024.0 / 1e7);
    return 0;
}

/* One line per pattern of the table (and local caches, replicas): 100,000
 * keys with Zipf 0.99, 100,000 reads/s and 1,000 writes/s, 60 simulated
 * seconds, default latencies. */
static int bench_patterns(void) {
    static const char *const extra[][3] = {
        {"local caches (4, pub/sub)", "local.instances=4", NULL},
        {"replicas (2)", "db.replicas=2", NULL},
        {"capacity 1e4 lru", "cache.capacity=10000", NULL},
        {"capacity 1e4 lfu", "cache.capacity=10000", "cache.eviction=lfu"}};
    size_t n = pattern_count() + sizeof extra / sizeof extra[0];
    for (size_t i = 0; i < n; i++) {
        char pat[64];
        const char *label, *setting, *setting2 = NULL;
        if (i < pattern_count()) {
            label = pattern_at(i)->name;
            snprintf(pat, sizeof pat, "cache.pattern=%s", label);
            setting = pat;
        } else {
            label = extra[i - pattern_count()][0];
            setting = extra[i - pattern_count()][1];
            setting2 = extra[i - pattern_count()][2];
        }
        const char *sets[] = {"workload.keys=100000",
                              "workload.popularity=zipf:0.99",
                              "workload.reads=100000/s",
                              "workload.writes=1000/s", "run.duration=60s",
                              "run.reps=1", setting, "local.bus=pubsub",
                              setting2};
        model_run m;
        if (run_model(label, sets, sizeof sets / sizeof sets[0], &m) != 0)
            return 1;
        printf("pattern %-26s %6.1f M events/s   %5.2f M requests/s\n", label,
               m.events / m.wall_s / 1e6, m.requests / m.wall_s / 1e6);
    }
    return 0;
}

/* ---- sweeps at scale -------------------------------------------------------------- */

#define SCALE_DIR_TEMPLATE "/tmp/stalesim-bench-XXXXXX"
#define CAPACITY_RUNS 400

/* Runs a shell command, its stdout into out (NUL-terminated); its exit
 * status, -1 if it could not run. */
static int capture(const char *cmd, char *out, size_t outlen) {
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    return pclose(p);
}

/* Runs a sweep command; *runs_per_s from its "(R runs/s" and *wall_s the
 * whole command's wall time (process and MPI start included).  0 or -1. */
static int timed_sweep(const char *cmd, double *runs_per_s, double *wall_s) {
    char out[8192];
    double t0 = wall_seconds();
    int st = capture(cmd, out, sizeof out);
    *wall_s = wall_seconds() - t0;
    const char *at = strstr(out, " runs run in ");
    double secs;
    if (st != 0 || !at || sscanf(at, " runs run in %lf s (%lf runs/s", &secs,
                                 runs_per_s) != 2) {
        fprintf(stderr, "stalesim-bench: '%s' failed (status %d): %s\n", cmd,
                st, out);
        return -1;
    }
    return 0;
}

/* SQLite commits alone: one stored run written again CAPACITY_RUNS times as
 * new replications, each in its own transaction. */
static int commit_rate(const char *path, double *rate) {
    results *r = NULL;
    results_experiment e;
    memset(&e, 0, sizeof e);
    world_result *res = malloc(sizeof *res);
    char err[1024];
    int ok = -1;
    if (!res || results_open(&r, path, 0, err, sizeof err) != RESULTS_OK ||
        results_experiment_load(r, 0, &e, err, sizeof err) != RESULTS_OK ||
        results_read_run(r, e.point[0].id, 0, res, err, sizeof err) !=
            RESULTS_OK) {
        fprintf(stderr, "stalesim-bench: %s\n", res ? err : "out of memory");
        goto out;
    }
    double t0 = wall_seconds();
    for (uint32_t i = 0; i < CAPACITY_RUNS; i++)
        if (results_write_run(r, e.point[0].id, 1000 + i, 1, res, err,
                              sizeof err) != RESULTS_OK) {
            fprintf(stderr, "stalesim-bench: %s\n", err);
            goto out;
        }
    *rate = CAPACITY_RUNS / (wall_seconds() - t0);
    ok = 0;
out:
    results_experiment_fini(&e);
    results_close(r);
    free(res);
    return ok;
}

static int bench_scale(void) {
    char dir[] = SCALE_DIR_TEMPLATE;
    if (!mkdtemp(dir)) {
        perror("stalesim-bench: mkdtemp");
        return 1;
    }
    int have_mpi = system("command -v mpirun >/dev/null 2>&1") == 0;
    const char *mpirun = geteuid() == 0
                             ? "mpirun --oversubscribe --allow-run-as-root"
                             : "mpirun --oversubscribe";
    char ini[128], cmd[1024];
    snprintf(ini, sizeof ini, "%s/trivial.ini", dir);
    FILE *f = fopen(ini, "w");
    if (!f) {
        perror("stalesim-bench: trivial.ini");
        return 1;
    }
    /* well under a millisecond per replication */
    fputs("[run]\nduration = 1s\nreps = 1\n[workload]\nkeys = 10\n"
          "reads = 20/s\nwrites = 1/s\nclients = 2\n", f);
    fclose(f);
    int rc = 1;
    double rate, wall, commit = 0, local2 = 0, mpi2 = 0;

    char cdb[160];
    snprintf(cdb, sizeof cdb, "%s/c.db", dir);
    snprintf(cmd, sizeof cmd, "./stalesim sweep %s --jobs 1 --db %s", ini,
             cdb);
    if (timed_sweep(cmd, &rate, &wall) != 0 || commit_rate(cdb, &commit) != 0)
        goto out;
    printf("sweep coordinator: commit only     %6.0f runs/s   (one SQLite "
           "transaction per run, synchronous=FULL)\n", commit);
    snprintf(cmd, sizeof cmd, "./stalesim sweep %s --reps %d --jobs 2 --db "
             "%s/l.db", ini, CAPACITY_RUNS, dir);
    if (timed_sweep(cmd, &local2, &wall) != 0) goto out;
    printf("sweep coordinator: 2 local workers %6.0f runs/s   (%d trivial "
           "runs received and committed)\n", local2, CAPACITY_RUNS);
    if (have_mpi) {
        snprintf(cmd, sizeof cmd, "%s -n 3 ./stalesim sweep %s --reps %d "
                 "--db %s/m.db 2>/dev/null", mpirun, ini, CAPACITY_RUNS, dir);
        if (timed_sweep(cmd, &mpi2, &wall) != 0) goto out;
        printf("sweep coordinator: 2 MPI ranks     %6.0f runs/s   (mpirun -n "
               "3, same runs)\n", mpi2);
    } else {
        printf("sweep coordinator: MPI             (no mpirun: skipped)\n");
    }
    /* merge: two shards of the trivial sweep into a new file */
    for (int i = 1; i <= 2; i++) {
        snprintf(cmd, sizeof cmd, "./stalesim sweep %s --reps %d --jobs 2 "
                 "--shard %d/2 --db %s/s%d.db", ini, CAPACITY_RUNS, i, dir, i);
        if (timed_sweep(cmd, &rate, &wall) != 0) goto out;
    }
    snprintf(cmd, sizeof cmd, "./stalesim merge %s/merged.db %s/s1.db "
             "%s/s2.db >/dev/null", dir, dir, dir);
    double t0 = wall_seconds();
    if (system(cmd) != 0) {
        fprintf(stderr, "stalesim-bench: '%s' failed\n", cmd);
        goto out;
    }
    printf("merge of 2 shards                  %6.0f runs/s   (%d runs, "
           "512 per transaction)\n",
           CAPACITY_RUNS / (wall_seconds() - t0), CAPACITY_RUNS);

    /* a typical run: the account-limits scenario as shipped (1 h) */
    snprintf(cmd, sizeof cmd, "./stalesim sweep experiments/scenarios/"
             "account-limits.ini --reps 2 --jobs 1 --db %s/t.db", dir);
    if (timed_sweep(cmd, &rate, &wall) != 0) goto out;
    double typical = 1 / rate;
    double cap = mpi2 > 0 ? mpi2 : local2;
    printf("typical run (account-limits, 1 h)  %6.2f s        -> one "
           "coordinator keeps up with ~%.0f workers at that cost\n",
           typical, cap * typical);

    /* the same small sweep, --jobs 2 against mpirun -n 3 */
    const char *small =
        "experiments/scenarios/account-limits.ini --vary "
        "cache.pattern=cache-aside,ttl-only --set run.duration=10m --reps 6";
    double lr, lw, mr = 0, mw = 0;
    snprintf(cmd, sizeof cmd, "./stalesim sweep %s --jobs 2 --db %s/j2.db",
             small, dir);
    if (timed_sweep(cmd, &lr, &lw) != 0) goto out;
    printf("small sweep (12 runs of 10 min):  --jobs 2    %5.2f runs/s, "
           "%5.1f s wall\n", lr, lw);
    if (have_mpi) {
        snprintf(cmd, sizeof cmd, "%s -n 3 ./stalesim sweep %s --db %s/m3.db "
                 "2>/dev/null", mpirun, small, dir);
        if (timed_sweep(cmd, &mr, &mw) != 0) goto out;
        printf("small sweep (12 runs of 10 min):  mpirun -n 3 %5.2f runs/s, "
               "%5.1f s wall (MPI start included)\n", mr, mw);
    }
    rc = 0;
out:
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "stalesim-bench: cannot remove %s\n", dir);
    return rc;
}

/* The sections, in the order `make bench` runs them; `stalesim-bench NAME...`
 * runs only the named ones, still in this order (e.g.
 * `build/stalesim-bench race zipf`). */
static const struct {
    const char *name;
    int (*run)(void);
} sections[] = {
    {"queue", bench_queue},       {"kernel", bench_kernel},
    {"zipf", bench_cache_aside},  {"capacity", bench_capacity},
    {"race", bench_race},         {"1e7", bench_ten_million},
    {"patterns", bench_patterns}, {"sweep", bench_scale},
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int a = 1; a < argc; a++) {
        size_t i = 0;
        while (i < NSECTIONS && strcmp(argv[a], sections[i].name) != 0) i++;
        if (i == NSECTIONS) {
            fprintf(stderr, "stalesim-bench: unknown section '%s' (queue, "
                            "kernel, zipf, capacity, race, 1e7, patterns, sweep)\n",
                    argv[a]);
            return 2;
        }
    }
    int rc = 0;
    for (size_t i = 0; i < NSECTIONS; i++) {
        int wanted = argc == 1;
        for (int a = 1; a < argc; a++)
            if (strcmp(argv[a], sections[i].name) == 0) wanted = 1;
        if (wanted && sections[i].run() != 0) rc = 1;
    }
    return rc;
}
