/* `make bench`: speed figures for the kernel and the models.
 *
 * Each benchmark warms up, then runs for about BENCH_SECONDS of wall time
 * (measured with CLOCK_MONOTONIC) and prints one line: what was measured, the
 * rate, and the setting that shapes it.
 *
 * The empty-model kernel bound holds a fixed number of pending events: every
 * dispatched event reschedules itself after an exponential delay read from a
 * precomputed table, so the measured cost is the queue plus the run loop and
 * nothing else.  A real model can only be slower; the gap between this line
 * and a model's line is the model's own cost. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

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

    gsl_rng_set(r, 1);
    for (size_t i = 0; i < DELAY_TABLE_SIZE; i++)
        m->delay[i] = (sim_time)gsl_ran_exponential(r, (double)SIM_MS);
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

int main(void) {
    bench_kernel();

    /* ---- Model benchmarks go here (lead engineer): e.g. bench_cache_aside()
     * printing simulated requests/s beside the empty-model bound above. ---- */

    return 0;
}
