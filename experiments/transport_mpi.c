/* The MPI transport: `mpirun -n N stalesim sweep ...` runs rank 0 as the
 * coordinator (the only writer of the database) and ranks 1..N-1 as
 * workers, on as many machines as the MPI launcher spans.
 *
 * Every rank parses the same command line and builds the same job (the
 * transport contract: a worker computes any task from state built before
 * start), so only task numbers travel: an 8-byte sweep_task to a worker, a
 * header and the world_result bytes back (world_result holds no pointers).
 * Ranks of one job run the same binary, so the bytes mean the same thing.
 *
 * Load balancing is dynamic: a worker holds at most TRANSPORT_MPI_DEPTH
 * tasks and its result is its request for more: the coordinator hands the
 * next task to the worker with the fewest in hand.  Runs whose costs differ
 * by orders of magnitude keep every rank busy until the grid runs out.  A
 * depth of 1 (no task queued behind the one computed) costs a worker the
 * coordinator's commit, a few ms, between runs; a depth of 2 hid that but
 * left the last runs of a sweep queued behind slow ones on some ranks while
 * others idled (measured slower on a small sweep).
 *
 * Waiting.  Blocking MPI receives spin a core; on a machine shared by the
 * ranks that steals the workers' time.  Both sides instead poll with
 * MPI_Iprobe and sleep between polls, from 20 us doubling to 1 ms, which
 * adds at most 1 ms to a run's turnaround.  The coordinator sleeps in
 * pselect() with SIGINT and SIGTERM unblocked, as the local transport does,
 * so an interruption is noticed at once.
 *
 * Failure.  When a rank dies, the MPI launcher ends the job (OpenMPI's
 * mpirun terminates every other rank): the coordinator is killed or told
 * SIGTERM, and since every finished run was committed in its own
 * transaction, nothing finished is lost and the same command resumes.
 *
 * State.  MPI is initialised once per process, so the module keeps the
 * process's MPI state (rank, size, which workers were released) in one
 * static record; nothing else here is global. */
#define _DEFAULT_SOURCE /* pselect on every libc */
#include "experiments/transport.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "sim/errf.h"

int transport_mpi_launched(void) {
    /* OpenMPI's mpirun, and PMI/PMIx launchers (srun, hydra) */
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                                       "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

#ifndef STALESIM_MPI

int transport_mpi_built(void) { return 0; }

int transport_mpi_init(int *rank, int *size, char *err, size_t errlen) {
    *rank = 0;
    *size = 1;
    sim_errf(err, errlen, "this stalesim was built without MPI (rebuild "
             "with OpenMPI's mpicc present: make deps && make)");
    return -1;
}

int transport_mpi_serve(sweep_work_fn work, void *arg, char *err,
                        size_t errlen) {
    (void)work;
    (void)arg;
    sim_errf(err, errlen, "this stalesim was built without MPI");
    return -1;
}

int transport_mpi_finalize(int code) { return code; }

static transport *no_start(int jobs, sweep_work_fn work, void *work_arg,
                           volatile sig_atomic_t *stop, char *err,
                           size_t errlen) {
    (void)jobs;
    (void)work;
    (void)work_arg;
    (void)stop;
    sim_errf(err, errlen, "this stalesim was built without MPI");
    return NULL;
}

const transport_ops transport_mpi = {"mpi", no_start, NULL, NULL, NULL, NULL};

#else /* STALESIM_MPI */

#include <mpi.h>

enum { TAG_TASK = 1, TAG_STOP = 2, TAG_RESULT = 3 };

typedef struct result_head {
    sweep_task task;
    int32_t status; /* 0, or -1: the work function failed */
    uint32_t pad;
} result_head;

#define MSG_BYTES (sizeof(result_head) + sizeof(world_result))

/* The process's MPI state. */
static struct {
    int initialised, finalised;
    int rank, size;
    char *released;   /* coordinator: worker rank w was sent TAG_STOP */
    int *in_hand;     /* coordinator: tasks held by worker rank w */
} mpi;

struct transport {
    volatile sig_atomic_t *stop;
    unsigned char *buf; /* one result message */
};

int transport_mpi_built(void) { return 1; }

int transport_mpi_init(int *rank, int *size, char *err, size_t errlen) {
    if (!mpi.initialised) {
        if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
            sim_errf(err, errlen, "MPI_Init failed");
            return -1;
        }
        mpi.initialised = 1;
        MPI_Comm_rank(MPI_COMM_WORLD, &mpi.rank);
        MPI_Comm_size(MPI_COMM_WORLD, &mpi.size);
        if (mpi.rank == 0) {
            mpi.released = calloc((size_t)mpi.size, 1);
            mpi.in_hand = calloc((size_t)mpi.size, sizeof *mpi.in_hand);
            if (!mpi.released || !mpi.in_hand) {
                sim_errf(err, errlen, "out of memory");
                return -1;
            }
        }
    }
    *rank = mpi.rank;
    *size = mpi.size;
    return 0;
}

/* Sleeps `us` microseconds; with `unblock` the coordinator's SIGINT and
 * SIGTERM may cut it short. */
static void nap(long us, int unblock) {
    struct timespec ts = {0, us * 1000L};
    if (!unblock) {
        nanosleep(&ts, NULL);
        return;
    }
    sigset_t wait_mask;
    sigprocmask(SIG_BLOCK, NULL, &wait_mask);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    pselect(0, NULL, NULL, NULL, &ts, &wait_mask);
}

#define NAP_MIN_US 20
#define NAP_MAX_US 1000

int transport_mpi_serve(sweep_work_fn work, void *arg, char *err,
                        size_t errlen) {
    unsigned char *buf = malloc(MSG_BYTES);
    if (!buf) {
        sim_errf(err, errlen, "out of memory");
        return -1;
    }
    result_head head;
    memset(&head, 0, sizeof head);
    long wait_us = NAP_MIN_US;
    for (;;) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            nap(wait_us, 0);
            if (wait_us < NAP_MAX_US) wait_us *= 2;
            continue;
        }
        wait_us = NAP_MIN_US;
        if (st.MPI_TAG == TAG_STOP) {
            MPI_Recv(NULL, 0, MPI_BYTE, 0, TAG_STOP, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
            break;
        }
        MPI_Recv(&head.task, (int)sizeof head.task, MPI_BYTE, 0, TAG_TASK,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        world_result *res = (world_result *)(buf + sizeof head);
        head.status = work(arg, &head.task, res) == 0 ? 0 : -1;
        memcpy(buf, &head, sizeof head);
        MPI_Send(buf, (int)MSG_BYTES, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
    }
    free(buf);
    return 0;
}

/* Releases every worker that holds no task; 1 if some still hold one. */
static int release_workers(void) {
    int busy = 0;
    for (int w = 1; w < mpi.size; w++) {
        if (mpi.released[w]) continue;
        if (mpi.in_hand[w] > 0) {
            busy = 1;
            continue;
        }
        MPI_Send(NULL, 0, MPI_BYTE, w, TAG_STOP, MPI_COMM_WORLD);
        mpi.released[w] = 1;
    }
    return busy;
}

int transport_mpi_finalize(int code) {
    if (!mpi.initialised || mpi.finalised) return code;
    mpi.finalised = 1;
    if (mpi.rank == 0 && release_workers()) {
        /* Workers still computing a task the coordinator gave up on (an
         * interruption or a failure): only an abort stops them. */
        fflush(stdout);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, code ? code : 1);
    }
    free(mpi.released);
    free(mpi.in_hand);
    MPI_Finalize();
    return code;
}

static transport *mpi_start(int jobs, sweep_work_fn work, void *work_arg,
                            volatile sig_atomic_t *stop, char *err,
                            size_t errlen) {
    (void)jobs; /* the workers are the ranks */
    (void)work;
    (void)work_arg; /* the ranks compute with their own copy of the job */
    if (!mpi.initialised || mpi.rank != 0) {
        sim_errf(err, errlen, "the MPI transport runs on rank 0 of an MPI "
                 "job (mpirun -n N stalesim sweep ...)");
        return NULL;
    }
    if (mpi.size < 2) {
        sim_errf(err, errlen, "an MPI job of 1 rank has no workers: rank 0 "
                 "coordinates, ranks 1..N-1 compute (mpirun -n 2 or more)");
        return NULL;
    }
    transport *t = calloc(1, sizeof *t);
    if (t) t->buf = malloc(MSG_BYTES);
    if (!t || !t->buf) {
        if (t) free(t);
        sim_errf(err, errlen, "out of memory");
        return NULL;
    }
    t->stop = stop;
    return t;
}

static int mpi_capacity(const transport *t) {
    (void)t;
    return TRANSPORT_MPI_DEPTH * (mpi.size - 1);
}

static int mpi_submit(transport *t, const sweep_task *task, char *err,
                      size_t errlen) {
    (void)t;
    int best = 0;
    for (int w = 1; w < mpi.size; w++)
        if (!mpi.released[w] && mpi.in_hand[w] < TRANSPORT_MPI_DEPTH &&
            (best == 0 || mpi.in_hand[w] < mpi.in_hand[best]))
            best = w;
    if (best == 0) {
        sim_errf(err, errlen, "no MPI worker has room for a task");
        return -1;
    }
    sweep_task copy = *task;
    if (MPI_Send(&copy, (int)sizeof copy, MPI_BYTE, best, TAG_TASK,
                 MPI_COMM_WORLD) != MPI_SUCCESS) {
        sim_errf(err, errlen, "sending a task to rank %d failed", best);
        return -1;
    }
    mpi.in_hand[best]++;
    return 0;
}

static int mpi_receive(transport *t, sweep_task *task, world_result *result,
                       char *err, size_t errlen) {
    long wait_us = NAP_MIN_US;
    for (;;) {
        if (*t->stop) return 0;
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            nap(wait_us, 1);
            if (wait_us < NAP_MAX_US) wait_us *= 2;
            continue;
        }
        int from = st.MPI_SOURCE;
        if (MPI_Recv(t->buf, (int)MSG_BYTES, MPI_BYTE, from, TAG_RESULT,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            sim_errf(err, errlen, "receiving a result from rank %d failed",
                     from);
            return -1;
        }
        mpi.in_hand[from]--;
        result_head head;
        memcpy(&head, t->buf, sizeof head);
        if (head.status != 0) {
            sim_errf(err, errlen, "rank %d ran out of memory computing "
                     "replication %u of point %u", from, head.task.rep,
                     head.task.point);
            return -1;
        }
        *task = head.task;
        memcpy(result, t->buf + sizeof head, sizeof *result);
        return 1;
    }
}

static void mpi_stop(transport *t, int abort) {
    if (!t) return;
    /* Idle workers are released now; busy ones (abort) are left to
     * transport_mpi_finalize, which aborts the job. */
    (void)abort;
    release_workers();
    free(t->buf);
    free(t);
}

const transport_ops transport_mpi = {"mpi",        mpi_start,   mpi_capacity,
                                     mpi_submit,   mpi_receive, mpi_stop};

#endif /* STALESIM_MPI */
