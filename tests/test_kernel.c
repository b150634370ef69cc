/* Suite "kernel": the run loop.
 *
 * A tiny scripted model logs every event it receives and, depending on the
 * event type, stops the run, schedules children (one with zero delay), keeps
 * rescheduling itself at the same instant, or simulates memory exhaustion.
 * Each test schedules a fixed timeline and checks the exact log, `now`, the
 * events counter and what is left queued.  The two invariant checks (an event
 * scheduled in the past, the clock going back) must abort: they run in a
 * forked child. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/sim.h"
#include "tests/testing.h"

#define CHECK_EQ(got, want, fatal)                                            \
    do {                                                                      \
        long long got_ = (long long)(got), want_ = (long long)(want);         \
        if (got_ != want_)                                                    \
            fprintf(stderr, "\n  %s:%d: %s is %lld, want %lld\n", __FILE__,   \
                    __LINE__, #got, got_, want_);                             \
        CU_assertImplementation(got_ == want_, __LINE__, #got " == " #want,   \
                                __FILE__, "", fatal);                         \
    } while (0)
#define ASSERT_EQ(got, want) CHECK_EQ(got, want, CU_FALSE)
#define ASSERT_EQ_FATAL(got, want) CHECK_EQ(got, want, CU_TRUE)

/* ---- The scripted model. ---- */

enum {
    EV_RECORD = 1, /* log only */
    EV_STOP,       /* log, then sim_stop */
    EV_SPAWN,      /* log; schedule RECORDs now (a+100) and at +5 ns (a+200) */
    EV_CHAIN,      /* log, then reschedule itself with zero delay while b > 0 */
    EV_FAIL,       /* log, then mark the kernel out of memory */
    EV_LANE        /* log, then re-arm the lane 10 ns later (a+1) while b > 0 */
};

#define LOG_MAX 256

typedef struct logged {
    sim_time now; /* ns, sim_now() inside the handler */
    sim_time at;  /* ns, the event's own time */
    uint32_t type;
    uint32_t a;
    uint64_t b;
} logged;

typedef struct script {
    logged log[LOG_MAX];
    size_t n;
} script;

static void script_dispatch(void *model, sim *s, const sim_event *ev) {
    script *m = model;
    if (m->n < LOG_MAX)
        m->log[m->n] = (logged){sim_now(s), ev->at, ev->type, ev->a, ev->b};
    m->n++;
    switch (ev->type) {
    case EV_STOP:
        sim_stop(s);
        break;
    case EV_SPAWN:
        sim_schedule(s, 0, EV_RECORD, ev->a + 100, 0);
        sim_schedule(s, 5, EV_RECORD, ev->a + 200, 0);
        break;
    case EV_CHAIN:
        if (ev->b > 0) sim_schedule(s, 0, EV_CHAIN, ev->a, ev->b - 1);
        break;
    case EV_FAIL:
        s->failed = 1;
        break;
    case EV_LANE:
        if (ev->b > 0) sim_schedule_lane(s, ev->at + 10, EV_LANE, ev->a + 1, ev->b - 1);
        break;
    default:
        break;
    }
}

/* Checks log entry i against (at, a); `now` must equal the event's time. */
#define ASSERT_LOGGED(m, i, want_at, want_a)                                  \
    do {                                                                      \
        ASSERT_EQ_FATAL((m)->n > (i), 1);                                     \
        ASSERT_EQ((m)->log[i].at, (want_at));                                 \
        ASSERT_EQ((m)->log[i].now, (want_at));                                \
        ASSERT_EQ((m)->log[i].a, (want_a));                                   \
    } while (0)

/* ---- Tests. ---- */

static void test_order_by_time(void) {
    static const sim_time at[] = {50, 10, 40, 20, 30};
    sim s;
    script m = {.n = 0};
    ASSERT_EQ_FATAL(sim_init(&s, 0), 0);
    for (uint32_t i = 0; i < 5; i++)
        sim_schedule_at(&s, at[i], EV_RECORD, i, 0);

    ASSERT_EQ(sim_run(&s, SIM_TIME_MAX, script_dispatch, &m), 0);
    ASSERT_EQ_FATAL(m.n, 5);
    ASSERT_LOGGED(&m, 0, 10, 1);
    ASSERT_LOGGED(&m, 1, 20, 3);
    ASSERT_LOGGED(&m, 2, 30, 4);
    ASSERT_LOGGED(&m, 3, 40, 2);
    ASSERT_LOGGED(&m, 4, 50, 0);
    ASSERT_EQ(s.events, 5);
    /* until = SIM_TIME_MAX leaves the clock at the last event. */
    ASSERT_EQ(sim_now(&s), 50);
    ASSERT_EQ(sim_queue_len(&s.queue), 0);
    sim_fini(&s);
}

static void test_fifo_at_equal_times(void) {
    sim s;
    script m = {.n = 0};
    ASSERT_EQ_FATAL(sim_init(&s, 0), 0);
    sim_schedule_at(&s, 20, EV_RECORD, 100, 0);
    for (uint32_t i = 0; i < 6; i++) {
        sim_schedule_at(&s, 10, EV_RECORD, i, 0);
        sim_schedule_at(&s, 5 + i % 2, EV_RECORD, 50 + i, 0);
    }
    ASSERT_EQ(sim_run(&s, SIM_TIME_MAX, script_dispatch, &m), 0);
    ASSERT_EQ_FATAL(m.n, 13);
    /* At 5: 50, 52, 54; at 6: 51, 53, 55; at 10: 0..5; at 20: 100. */
    static const sim_time want_at[] = {5, 5, 5, 6, 6, 6, 10,
                                       10, 10, 10, 10, 10, 20};
    static const uint32_t want_a[] = {50, 52, 54, 51, 53, 55, 0,
                                      1, 2, 3, 4, 5, 100};
    for (size_t i = 0; i < 13; i++) ASSERT_LOGGED(&m, i, want_at[i], want_a[i]);
    sim_fini(&s);
}

static void test_until(void) {
    sim s;
    script m = {.n = 0};
    ASSERT_EQ_FATAL(sim_init(&s, 0), 0);
    sim_schedule_at(&s, 10, EV_RECORD, 1, 0);
    sim_schedule_at(&s, 20, EV_RECORD, 2, 0);
    sim_schedule_at(&s, 30, EV_RECORD, 3, 0);

    /* Events at exactly `until` run; later ones stay queued. */
    ASSERT_EQ(sim_run(&s, 20, script_dispatch, &m), 0);
    ASSERT_EQ_FATAL(m.n, 2);
    ASSERT_LOGGED(&m, 1, 20, 2);
    ASSERT_EQ(sim_now(&s), 20);
    ASSERT_EQ(sim_queue_len(&s.queue), 1);

    /* Nothing due: the clock still advances to `until`. */
    ASSERT_EQ(sim_run(&s, 25, script_dispatch, &m), 0);
    ASSERT_EQ(m.n, 2);
    ASSERT_EQ(sim_now(&s), 25);
    ASSERT_EQ(sim_queue_len(&s.queue), 1);

    /* Queue empties before `until`: the clock ends at `until`. */
    ASSERT_EQ(sim_run(&s, 100, script_dispatch, &m), 0);
    ASSERT_EQ_FATAL(m.n, 3);
    ASSERT_LOGGED(&m, 2, 30, 3);
    ASSERT_EQ(sim_now(&s), 100);
    ASSERT_EQ(s.events, 3);

    /* A relative schedule counts from the advanced clock. */
    sim_schedule(&s, 7, EV_RECORD, 4, 0);
    ASSERT_EQ(sim_run(&s, SIM_TIME_MAX, script_dispatch, &m), 0);
    ASSERT_LOGGED(&m, 3, 107, 4);
    ASSERT_EQ(sim_now(&s), 107);
    sim_fini(&s);
}

static void test_stop(void) {
    sim s;
    script m = {.n = 0};
    ASSERT_EQ_FATAL(sim_init(&s, 0), 0);
    sim_schedule_at(&s, 10, EV_RECORD, 1, 0);
    sim_schedule_at(&s, 20, EV_STOP, 2, 0);
    sim_schedule_at(&s, 20, EV_RECORD, 3, 0);
    sim_schedule_at(&s, 30, EV_RECORD, 4, 0);

    /* Stops right after the EV_STOP event, not at `until`. */
    ASSERT_EQ(sim_run(&s, 1000, script_dispatch, &m), 0);
    ASSERT_EQ_FATAL(m.n, 2);
    ASSERT_LOGGED(&m, 1, 20, 2);
    ASSERT_EQ(sim_now(&s), 20);
    ASSERT_EQ(s.stopping, 0);
    ASSERT_EQ(s.events, 2);
    ASSERT_EQ(sim_queue_len(&s.queue), 2);

    /* The next run resumes with the event at the same instant. */
    ASSERT_EQ(sim_run(&s, 1000, script_dispatch, &m), 0);
    ASSERT_EQ_FATAL(m.n, 4);
    ASSERT_LOGGED(&m, 2, 20, 3);
    ASSERT_LOGGED(&m, 3, 30, 4);
    ASSERT_EQ(sim_now(&s), 1000);
    ASSERT_EQ(s.events, 4);
    sim_fini(&s);
}

static void test_events_counter(void) {
    sim s;
    script m = {.n = 0};
    ASSERT_EQ_FATAL(sim_init(&s, 0), 0);
    ASSERT_EQ(s.events, 0);
    for (uint32_t i = 0; i < 100; i++)
        sim_schedule_at(&s, (sim_time)i * 10, EV_RECORD, i, 0);
    ASSERT_EQ(sim_run(&s, 495, script_dispatch, &m), 0);
    ASSERT_EQ(s.events, 50);
    ASSERT_EQ(sim_run(&s, SIM_TIME_MAX, script_dispatch, &m), 0);
    ASSERT_EQ(s.events, 100);
    ASSERT_EQ(m.n, 100);
    sim_fini(&s);
}

static void test_handler_schedules(void) {
    sim s;
    script m = {.n = 0};
    ASSERT_EQ_FATAL(sim_init(&s, 0), 0);
    sim_schedule_at(&s, 10, EV_SPAWN, 1, 0);
    sim_schedule_at(&s, 10, EV_RECORD, 2, 0);
    sim_schedule_at(&s, 12, EV_RECORD, 3, 0);

    ASSERT_EQ(sim_run(&s, SIM_TIME_MAX, script_dispatch, &m), 0);
    ASSERT_EQ_FATAL(m.n, 5);
    ASSERT_LOGGED(&m, 0, 10, 1);
    /* The zero-delay child runs at 10, after what was already due at 10. */
    ASSERT_LOGGED(&m, 1, 10, 2);
    ASSERT_LOGGED(&m, 2, 10, 101);
    ASSERT_LOGGED(&m, 3, 12, 3);
    ASSERT_LOGGED(&m, 4, 15, 201);
    ASSERT_EQ(sim_now(&s), 15);
    sim_fini(&s);
}

/* A handler that keeps rescheduling itself at the same instant. */
static void test_zero_delay_chain(void) {
    sim s;
    script m = {.n = 0};
    ASSERT_EQ_FATAL(sim_init(&s, 4), 0);
    sim_schedule_at(&s, 5, EV_CHAIN, 7, 100);
    sim_schedule_at(&s, 5, EV_RECORD, 8, 0);
    sim_schedule_at(&s, 6, EV_RECORD, 9, 0);

    ASSERT_EQ(sim_run(&s, 1000, script_dispatch, &m), 0);
    ASSERT_EQ_FATAL(m.n, 103);
    ASSERT_LOGGED(&m, 0, 5, 7);
    ASSERT_LOGGED(&m, 1, 5, 8);
    for (size_t i = 2; i < 102; i++) {
        ASSERT_LOGGED(&m, i, 5, 7);
        ASSERT_EQ(m.log[i].b, 101 - i);
    }
    ASSERT_LOGGED(&m, 102, 6, 9);
    ASSERT_EQ(s.events, 103);
    ASSERT_EQ(sim_now(&s), 1000);
    sim_fini(&s);
}

/* Out of memory (simulated by setting `failed`) ends the run with -1, after
 * the current event, and every later run too. */
static void test_failed(void) {
    sim s;
    script m = {.n = 0};
    ASSERT_EQ_FATAL(sim_init(&s, 0), 0);
    sim_schedule_at(&s, 10, EV_FAIL, 1, 0);
    sim_schedule_at(&s, 20, EV_RECORD, 2, 0);
    ASSERT_EQ(sim_run(&s, 1000, script_dispatch, &m), -1);
    ASSERT_EQ(m.n, 1);
    ASSERT_EQ(sim_now(&s), 10);
    ASSERT_EQ(sim_run(&s, 1000, script_dispatch, &m), -1);
    ASSERT_EQ(m.n, 1);
    sim_fini(&s);
}

/* The lane's event fires exactly where a queued one pushed at the same
 * moment would: by time, and by push order at equal times; it waits past
 * `until` like a queued one. */
static void test_lane(void) {
    sim s;
    script m = {.n = 0};
    ASSERT_EQ_FATAL(sim_init(&s, 0), 0);
    sim_schedule_at(&s, 10, EV_RECORD, 1, 0);
    sim_schedule_lane(&s, 10, EV_LANE, 2, 2); /* then at 20 (3), 30 (4) */
    sim_schedule_at(&s, 10, EV_RECORD, 5, 0);
    sim_schedule_at(&s, 7, EV_RECORD, 6, 0);
    sim_schedule_at(&s, 20, EV_RECORD, 7, 0); /* before the lane's 20 */
    sim_schedule_at(&s, 25, EV_RECORD, 8, 0);
    ASSERT_EQ(sim_run(&s, 22, script_dispatch, &m), 0);
    ASSERT_EQ_FATAL(m.n, 6);
    ASSERT_LOGGED(&m, 0, 7, 6);
    ASSERT_LOGGED(&m, 1, 10, 1);
    ASSERT_LOGGED(&m, 2, 10, 2);
    ASSERT_LOGGED(&m, 3, 10, 5);
    ASSERT_LOGGED(&m, 4, 20, 7);
    ASSERT_LOGGED(&m, 5, 20, 3);
    ASSERT_EQ(sim_now(&s), 22);
    ASSERT_EQ(s.lane_pending, 1); /* 4 at 30 waits */
    ASSERT_EQ(sim_run(&s, SIM_TIME_MAX, script_dispatch, &m), 0);
    ASSERT_EQ_FATAL(m.n, 8);
    ASSERT_LOGGED(&m, 6, 25, 8);
    ASSERT_LOGGED(&m, 7, 30, 4);
    ASSERT_EQ(s.lane_pending, 0);
    ASSERT_EQ(s.events, 8);
    sim_fini(&s);
}

/* ---- Broken invariants abort (checked in a forked child). ---- */

/* Runs `fn` in a child with stderr silenced; 1 if the child died of SIGABRT. */
static int aborts(void (*fn)(void)) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, STDERR_FILENO);
        fn();
        _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) return 0;
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT))
        fprintf(stderr, "\n  child status %d: expected death by SIGABRT\n",
                status);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void no_dispatch(void *model, sim *s, const sim_event *ev) {
    (void)model, (void)s, (void)ev;
}

static void schedule_in_past(void) {
    sim s;
    if (sim_init(&s, 0) != 0) _exit(3);
    sim_run(&s, 100, no_dispatch, NULL); /* now = 100 */
    sim_schedule_at(&s, 99, EV_RECORD, 0, 0);
}

static void clock_going_back(void) {
    sim s;
    if (sim_init(&s, 0) != 0) _exit(3);
    sim_run(&s, 100, no_dispatch, NULL);
    /* Bypass sim_schedule_at, as a corrupted queue would. */
    sim_queue_push(&s.queue, 50, EV_RECORD, 0, 0);
    sim_run(&s, 200, no_dispatch, NULL);
}

static void second_lane_event(void) {
    sim s;
    if (sim_init(&s, 0) != 0) _exit(3);
    sim_schedule_lane(&s, 10, EV_LANE, 0, 0);
    sim_schedule_lane(&s, 20, EV_LANE, 1, 0); /* one is already pending */
}

static void test_invariants_abort(void) {
    CU_ASSERT(aborts(schedule_in_past));
    CU_ASSERT(aborts(clock_going_back));
    CU_ASSERT(aborts(second_lane_event));
}

static CU_TestInfo tests[] = {
    {"events run in time order", test_order_by_time},
    {"FIFO at equal times", test_fifo_at_equal_times},
    {"until leaves later events queued and sets now", test_until},
    {"sim_stop", test_stop},
    {"events counter", test_events_counter},
    {"handlers schedule new events", test_handler_schedules},
    {"zero-delay chain at one instant", test_zero_delay_chain},
    {"failed run returns -1", test_failed},
    {"the lane fires in queue order", test_lane},
    {"broken invariants abort", test_invariants_abort},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("kernel", NULL, NULL, tests)
