/* How the sweep coordinator reaches its workers.
 *
 * A transport moves tasks (point, replication) to workers and world_result
 * values back; it knows nothing of grids, SQLite or stopping rules.  The
 * coordinator (sweep.c) drives it through this table only, so another
 * transport (MPI ranks across machines) replaces the local one without a
 * change to the coordinator or the runner.
 *
 * Contract:
 *  - start: launches up to `jobs` workers, each running
 *    work(work_arg, task, result) per task.  Every worker must be able to
 *    compute any task by itself: the work function reads only state built
 *    before start (forked memory locally; an MPI rank would rebuild the same
 *    state from the same command line).
 *  - capacity: how many tasks may be in flight at once.
 *  - submit: hands one task to an idle worker (the coordinator never has more
 *    than `capacity` tasks in flight).
 *  - receive: blocks until a worker returns a result and fills *task and
 *    *result.  Returns 1 with a result, 0 when *stop became nonzero (the
 *    coordinator's interruption flag, set by a signal handler), -1 on
 *    failure with a message (a worker died, an I/O error, a task the work
 *    function failed).
 *  - stop: ends every worker and releases everything.  abort = 0: let idle
 *    workers exit and wait for them; abort = 1: kill them at once (their
 *    current tasks are lost).  NULL does nothing.
 *
 * Results are plain bytes (world_result has no pointers), so any byte
 * channel carries them. */
#ifndef STALESIM_EXPERIMENTS_TRANSPORT_H
#define STALESIM_EXPERIMENTS_TRANSPORT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "models/world.h"

typedef struct sweep_task {
    uint32_t point; /* grid point index */
    uint32_t rep;   /* replication number: world stream */
} sweep_task;

/* Computes one task.  Returns 0, or -1 (out of memory). */
typedef int (*sweep_work_fn)(void *arg, const sweep_task *task,
                             world_result *out);

typedef struct transport transport;

typedef struct transport_ops {
    const char *name;
    transport *(*start)(int jobs, sweep_work_fn work, void *work_arg,
                        volatile sig_atomic_t *stop, char *err, size_t errlen);
    int (*capacity)(const transport *t);
    int (*submit)(transport *t, const sweep_task *task, char *err,
                  size_t errlen);
    int (*receive)(transport *t, sweep_task *task, world_result *result,
                   char *err, size_t errlen);
    void (*stop)(transport *t, int abort);
} transport_ops;

/* Worker processes forked on this machine, talking over pipes. */
#define TRANSPORT_LOCAL_MAX_JOBS 256
extern const transport_ops transport_local;

/* MPI ranks (transport_mpi.c): rank 0 coordinates through this table,
 * ranks 1..N-1 serve.  TRANSPORT_MPI_DEPTH: tasks a worker rank holds at
 * most (1: the one it computes; it asks for the next by returning it). */
#define TRANSPORT_MPI_DEPTH 1
extern const transport_ops transport_mpi;

/* 1 when this process was started by an MPI launcher (mpirun, srun):
 * decided from the launcher's environment, without calling MPI. */
int transport_mpi_launched(void);
/* 1 when this binary was built with MPI (make with mpicc present). */
int transport_mpi_built(void);
/* MPI_Init (once) and this process's rank and the job's size.  0, or -1
 * with a message (built without MPI, MPI_Init failed). */
int transport_mpi_init(int *rank, int *size, char *err, size_t errlen);
/* A worker rank's life: computes the tasks rank 0 sends until it is
 * released.  0, or -1 with a message. */
int transport_mpi_serve(sweep_work_fn work, void *arg, char *err,
                        size_t errlen);
/* Ends MPI in this process (nothing when it was never started) and returns
 * `code`.  On rank 0 it first releases every idle worker; if workers still
 * hold tasks (the sweep was interrupted or failed) it aborts the MPI job
 * with `code` instead, which does not return. */
int transport_mpi_finalize(int code);

#endif
