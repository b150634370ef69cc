/* Suite "queue": the 4-ary heap against a naive sorted array.
 *
 * The reference keeps events sorted latest-first with insertion sort, so its
 * earliest event is simply the last element.  Both structures receive the same
 * random pushes and pops (fixed GSL seed) and must agree on every popped
 * record, including seq and payload, on the length and on the peeked event.
 * Narrow time ranges force many equal times, so the FIFO tie-break and the
 * heap's tie fallback path are exercised as well as the fast path. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "sim/queue.h"
#include "tests/testing.h"

/* ---- The reference: a sorted array, latest first. ---- */

typedef struct ref_queue {
    sim_event *ev; /* ev[len-1] is the earliest */
    size_t len;
    size_t cap;
    uint64_t next_seq;
} ref_queue;

static int ref_before(const sim_event *x, const sim_event *y) {
    if (x->at != y->at) return x->at < y->at;
    return x->seq < y->seq;
}

static int ref_push(ref_queue *r, sim_time at, uint32_t type, uint32_t a,
                    uint64_t b) {
    if (r->len == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        sim_event *ev = realloc(r->ev, cap * sizeof *ev);
        if (!ev) return -1;
        r->ev = ev;
        r->cap = cap;
    }
    sim_event e = {
        .at = at, .seq = r->next_seq++, .type = type, .a = a, .b = b};
    size_t i = r->len++;
    while (i > 0 && ref_before(&r->ev[i - 1], &e)) {
        r->ev[i] = r->ev[i - 1];
        i--;
    }
    r->ev[i] = e;
    return 0;
}

static int ref_pop(ref_queue *r, sim_event *out) {
    if (r->len == 0) return 0;
    *out = r->ev[--r->len];
    return 1;
}

/* ---- Assertions that print what they compared. ---- */

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

static int same_event(const sim_event *x, const sim_event *y) {
    return x->at == y->at && x->seq == y->seq && x->type == y->type &&
           x->a == y->a && x->b == y->b;
}

static void print_event(const char *label, const sim_event *e) {
    fprintf(stderr, "  %s {at %" PRId64 ", seq %" PRIu64 ", type %" PRIu32
                    ", a %" PRIu32 ", b %" PRIu64 "}\n",
            label, e->at, e->seq, e->type, e->a, e->b);
}

#define ASSERT_SAME_EVENT(got, want, step)                                    \
    do {                                                                      \
        if (!same_event((got), (want))) {                                     \
            fprintf(stderr, "\n  step %zu: events differ\n", (size_t)(step)); \
            print_event("got ", (got));                                       \
            print_event("want", (want));                                      \
        }                                                                     \
        CU_ASSERT_FATAL(same_event((got), (want)));                           \
    } while (0)

/* ---- Tests. ---- */

/* One phase of random operations: push with probability `p_push`, at a time
 * drawn uniformly from [0, time_range). */
typedef struct phase {
    double p_push;
    size_t steps;
    unsigned long time_range; /* ns */
} phase;

static void run_phase(sim_queue *q, ref_queue *r, gsl_rng *rng,
                      const phase *ph, size_t *step, size_t *max_len) {
    for (size_t k = 0; k < ph->steps; k++, (*step)++) {
        if (gsl_rng_uniform(rng) < ph->p_push) {
            sim_time at = (sim_time)gsl_rng_uniform_int(rng, ph->time_range);
            uint32_t type = (uint32_t)gsl_rng_uniform_int(rng, 8);
            uint32_t a = (uint32_t)*step;
            uint64_t b = ((uint64_t)gsl_rng_get(rng) << 32) | gsl_rng_get(rng);
            ASSERT_EQ_FATAL(sim_queue_push(q, at, type, a, b), 0);
            ASSERT_EQ_FATAL(ref_push(r, at, type, a, b), 0);
        } else {
            sim_event got = {0}, want = {0};
            int got_one = sim_queue_pop(q, &got);
            int want_one = ref_pop(r, &want);
            ASSERT_EQ_FATAL(got_one, want_one);
            if (got_one) ASSERT_SAME_EVENT(&got, &want, *step);
        }
        ASSERT_EQ_FATAL(sim_queue_len(q), r->len);
        const sim_event *top = sim_queue_peek(q);
        if (r->len == 0) {
            CU_ASSERT_PTR_NULL_FATAL(top);
        } else {
            CU_ASSERT_PTR_NOT_NULL_FATAL(top);
            ASSERT_SAME_EVENT(top, &r->ev[r->len - 1], *step);
        }
        if (r->len > *max_len) *max_len = r->len;
    }
}

static void test_matches_sorted_array(void) {
    static const phase phases[] = {
        {0.75, 20000, 50},         /* grow from 4 slots; many equal times */
        {0.50, 40000, 50},         /* steady mix */
        {0.50, 40000, 1000000000}, /* distinct times: the fast path */
        {0.60, 20000, 3},          /* almost everything ties */
        {0.50, 20000, 1000},       /* some ties */
        {0.25, 40000, 1000},       /* drain mostly */
    };
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rng);
    gsl_rng_set(rng, 20240611);
    sim_queue q;
    ASSERT_EQ_FATAL(sim_queue_init(&q, 4), 0);
    ref_queue r = {0};
    size_t step = 0, max_len = 0;

    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++)
        run_phase(&q, &r, rng, &phases[i], &step, &max_len);

    /* Drain what is left, checking every record. */
    sim_event got, want;
    while (ref_pop(&r, &want)) {
        ASSERT_EQ_FATAL(sim_queue_pop(&q, &got), 1);
        ASSERT_SAME_EVENT(&got, &want, step);
        step++;
    }
    ASSERT_EQ(sim_queue_pop(&q, &got), 0);
    ASSERT_EQ(sim_queue_len(&q), 0);

    /* The run must have grown the array well past its 4 initial slots. */
    if (max_len < 1000 || q.cap < max_len)
        fprintf(stderr, "\n  max_len %zu cap %zu\n", max_len, q.cap);
    CU_ASSERT(max_len >= 1000);
    CU_ASSERT(q.cap >= max_len);

    free(r.ev);
    sim_queue_fini(&q);
    gsl_rng_free(rng);
}

/* Events at the same time leave in push order, whatever else is queued. */
static void test_fifo_at_equal_times(void) {
    sim_queue q;
    ASSERT_EQ_FATAL(sim_queue_init(&q, 0), 0);
    for (uint32_t i = 0; i < 500; i++) {
        ASSERT_EQ_FATAL(sim_queue_push(&q, 7, 1, i, 0), 0);
        /* Interleave earlier and later events. */
        ASSERT_EQ_FATAL(sim_queue_push(&q, 3, 0, i, 0), 0);
        ASSERT_EQ_FATAL(sim_queue_push(&q, 9, 2, i, 0), 0);
    }
    sim_event e;
    for (uint32_t type = 0; type < 3; type++) {
        for (uint32_t i = 0; i < 500; i++) {
            ASSERT_EQ_FATAL(sim_queue_pop(&q, &e), 1);
            ASSERT_EQ_FATAL(e.type, type);
            ASSERT_EQ_FATAL(e.a, i);
        }
    }
    ASSERT_EQ(sim_queue_pop(&q, &e), 0);
    sim_queue_fini(&q);
}

/* seq counts pushes from 0 and is what pop returns. */
static void test_seq_assigned_at_push(void) {
    sim_queue q;
    ASSERT_EQ_FATAL(sim_queue_init(&q, 2), 0);
    for (int i = 0; i < 10; i++)
        ASSERT_EQ_FATAL(sim_queue_push(&q, 100 - i, 0, 0, 0), 0);
    ASSERT_EQ(q.next_seq, 10);
    sim_event e;
    for (int i = 9; i >= 0; i--) {
        ASSERT_EQ_FATAL(sim_queue_pop(&q, &e), 1);
        ASSERT_EQ(e.at, 100 - i);
        ASSERT_EQ(e.seq, (uint64_t)i);
    }
    sim_queue_fini(&q);
}

static void test_peek(void) {
    sim_queue q;
    ASSERT_EQ_FATAL(sim_queue_init(&q, 0), 0);
    CU_ASSERT_PTR_NULL(sim_queue_peek(&q));
    ASSERT_EQ_FATAL(sim_queue_push(&q, 50, 1, 10, 100), 0);
    ASSERT_EQ_FATAL(sim_queue_push(&q, 20, 2, 20, 200), 0);
    ASSERT_EQ_FATAL(sim_queue_push(&q, 80, 3, 30, 300), 0);

    const sim_event *top = sim_queue_peek(&q);
    CU_ASSERT_PTR_NOT_NULL_FATAL(top);
    ASSERT_EQ(top->at, 20);
    ASSERT_EQ(top->type, 2);
    ASSERT_EQ(top->a, 20);
    ASSERT_EQ(top->b, 200);
    /* Peeking removes nothing. */
    ASSERT_EQ(sim_queue_len(&q), 3);
    CU_ASSERT_PTR_EQUAL(sim_queue_peek(&q), top);

    sim_event e;
    ASSERT_EQ_FATAL(sim_queue_pop(&q, &e), 1);
    ASSERT_EQ(e.at, 20);
    top = sim_queue_peek(&q);
    CU_ASSERT_PTR_NOT_NULL_FATAL(top);
    ASSERT_EQ(top->at, 50);
    sim_queue_fini(&q);
}

static void test_empty_pop(void) {
    sim_queue q;
    ASSERT_EQ_FATAL(sim_queue_init(&q, 0), 0);
    sim_event e = {.at = -1, .seq = 99, .type = 7, .a = 8, .b = 9};
    ASSERT_EQ(sim_queue_pop(&q, &e), 0);
    ASSERT_EQ(e.at, -1); /* *out untouched */
    ASSERT_EQ(sim_queue_len(&q), 0);

    /* Empty again after one push and pop. */
    ASSERT_EQ_FATAL(sim_queue_push(&q, 5, 0, 0, 0), 0);
    ASSERT_EQ(sim_queue_pop(&q, &e), 1);
    ASSERT_EQ(sim_queue_pop(&q, &e), 0);
    CU_ASSERT_PTR_NULL(sim_queue_peek(&q));
    sim_queue_fini(&q);
    /* fini leaves an empty queue that can be finished again. */
    ASSERT_EQ(sim_queue_len(&q), 0);
    sim_queue_fini(&q);
}

/* Negative and extreme times order correctly. */
static void test_extreme_times(void) {
    static const sim_time at[] = {0, SIM_TIME_MAX, -5, INT64_MIN, 1,
                                  SIM_TIME_MAX, INT64_MIN, 0};
    static const sim_time want[] = {INT64_MIN, INT64_MIN, -5, 0, 0, 1,
                                    SIM_TIME_MAX, SIM_TIME_MAX};
    sim_queue q;
    ASSERT_EQ_FATAL(sim_queue_init(&q, 1), 0);
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        ASSERT_EQ_FATAL(sim_queue_push(&q, at[i], 0, (uint32_t)i, 0), 0);
    sim_event e;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ASSERT_EQ_FATAL(sim_queue_pop(&q, &e), 1);
        ASSERT_EQ(e.at, want[i]);
    }
    sim_queue_fini(&q);
}

static CU_TestInfo tests[] = {
    {"matches a sorted array on random operations", test_matches_sorted_array},
    {"FIFO at equal times", test_fifo_at_equal_times},
    {"seq assigned at push", test_seq_assigned_at_push},
    {"peek", test_peek},
    {"pop on empty", test_empty_pop},
    {"extreme times", test_extreme_times},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("queue", NULL, NULL, tests)
