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
 * model's own cost. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <sys/resource.h>

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
 * back after the next table delay.  Returns 0, or -1 if a push failed. */
static int queue_hold(sim_queue *q, const sim_time *delay, size_t *next,
                      uint64_t count) {
    for (uint64_t k = 0; k < count; k++) {
        sim_event ev;
        sim_queue_pop(q, &ev);
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

static void bench_kernel(void) {
    static const size_t pending[] = {1000, 10000};
    for (size_t i = 0; i < sizeof pending / sizeof pending[0]; i++) {
        double rate = kernel_rate(pending[i]);
        if (rate < 0) continue;
        printf("kernel (empty model)        %6.1f M events/s   "
               "(holding %zu pending)\n",
               rate / 1e6, pending[i]);
        fflush(stdout);
    }
}

static void bench_queue(void) {
    static const size_t pending[] = {1000, 10000};
    for (size_t i = 0; i < sizeof pending / sizeof pending[0]; i++) {
        double rate = queue_rate(pending[i]);
        if (rate < 0) continue;
        printf("queue alone (push+pop)      %6.1f M pairs/s    "
               "(holding %zu pending)\n",
               rate / 1e6, pending[i]);
        fflush(stdout);
    }
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

/* The cache-aside model (with `extra1`, `extra2` settings, either NULL) on
 * a million keys with Zipf 0.99 popularity:
 * 200,000 reads/s and 2,000 writes/s (1% writes), 300 s TTL, the default
 * latencies, 1% of DELs failing, one replication of 120 simulated seconds
 * starting cold.  Events/s and simulated requests/s count the whole
 * replication.  Memory per key is the growth of the peak resident set over
 * the run (every per-key array, the alias table, the commit history, the
 * queue and the request pool) divided by the keys. */
static int bench_cache_aside_with(const char *label, const char *mem_label,
                                   const char *extra1, const char *extra2) {
    const char *const sets[] = {
        "workload.keys=1000000", "workload.popularity=zipf:0.99",
        "workload.reads=200000/s", "workload.writes=2000/s",
        "cache.ttl=300s", "faults.del_fail=0.01", "run.duration=120s",
        "run.reps=1", extra1, extra2};
    scenario sc;
    char err[512];
    if (scenario_init_defaults(&sc, err, sizeof err) != 0) goto bad;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        if (sets[i] && scenario_set(&sc, sets[i], err, sizeof err) != 0)
            goto bad;
    if (scenario_validate(&sc, err, sizeof err) != 0) goto bad;

    double rss0 = peak_rss_bytes();
    world_result *res = malloc(sizeof *res);
    world *w = res ? world_create(&sc, 0) : NULL;
    if (!w || world_run(w, res) != 0) {
        snprintf(err, sizeof err, "out of memory");
        world_destroy(w);
        free(res);
        goto bad;
    }
    double rss1 = peak_rss_bytes();
    double requests = res->metric[M_READS] + res->metric[M_WRITES];
    printf("%-32s %6.1f M events/s   "
           "%5.2f M requests/s   (%.0f M events, %.1f s)\n", label,
           (double)res->events / res->wall_s / 1e6,
           requests / res->wall_s / 1e6, (double)res->events / 1e6,
           res->wall_s);
    printf("%-32s %6.0f bytes/key (peak RSS "
           "growth %.0f MiB over %u keys)\n", mem_label,
           (rss1 - rss0) / sc.workload.keys, (rss1 - rss0) / 1048576.0,
           sc.workload.keys);
    world_destroy(w);
    free(res);
    scenario_fini(&sc);
    return 0;
bad:
    fprintf(stderr, "stalesim-bench: %s\n", err);
    scenario_fini(&sc);
    return 1;
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

static int bench_cache_aside(void) {
    return bench_cache_aside_with("cache-aside, 1e6 keys zipf 0.99",
                                  "cache-aside memory", NULL, NULL);
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
        scenario sc;
        char err[512], pat[64];
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
        if (scenario_init_defaults(&sc, err, sizeof err) != 0) goto bad;
        for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++)
            if (sets[k] && scenario_set(&sc, sets[k], err, sizeof err) != 0)
                goto bad;
        if (scenario_validate(&sc, err, sizeof err) != 0) goto bad;
        world_result *res = malloc(sizeof *res);
        world *w = res ? world_create(&sc, 0) : NULL;
        if (!w || world_run(w, res) != 0) {
            snprintf(err, sizeof err, "out of memory");
            world_destroy(w);
            free(res);
            goto bad;
        }
        printf("pattern %-26s %6.1f M events/s   %5.2f M requests/s\n", label,
               (double)res->events / res->wall_s / 1e6,
               (res->metric[M_READS] + res->metric[M_WRITES]) / res->wall_s /
                   1e6);
        world_destroy(w);
        free(res);
        scenario_fini(&sc);
        continue;
    bad:
        fprintf(stderr, "stalesim-bench: %s: %s\n", label, err);
        scenario_fini(&sc);
        return 1;
    }
    return 0;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    bench_queue();
    bench_kernel();
    if (bench_cache_aside() != 0) return 1;
    if (bench_capacity() != 0) return 1;
    return bench_patterns();
}
