/* The local transport: `jobs` worker processes forked from the coordinator,
 * each with a task pipe (coordinator -> worker, 8-byte tasks, atomic) and a
 * result pipe (worker -> coordinator: a header and the world_result bytes).
 *
 * Workers share nothing with each other or the coordinator after the fork:
 * each builds its own world per task from the (copy-on-write) job.  They
 * ignore SIGINT and SIGTERM, so a Ctrl-C on the terminal, which reaches the
 * whole process group, is handled by the coordinator alone: it stops handing
 * out work and kills the workers itself, and never mistakes an interrupted
 * worker for a crashed one.  On Linux a worker is also killed when the
 * coordinator dies (PR_SET_PDEATHSIG), so a kill -9 of the sweep leaves no
 * worker computing for nothing; elsewhere an orphan ends at its next write.
 *
 * The coordinator waits in pselect() with SIGINT and SIGTERM unblocked only
 * there, so a signal that arrives at any other moment is still noticed
 * before it would block (the coordinator keeps them blocked otherwise). */
#define _DEFAULT_SOURCE /* kill, pselect on every libc */
#include "experiments/transport.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

typedef struct msg_head {
    sweep_task task;
    int32_t status; /* 0, or -1: the work function failed */
    uint32_t pad;
} msg_head;

typedef struct worker {
    pid_t pid;
    int task_fd;   /* write end, -1 when closed */
    int result_fd; /* read end, -1 when closed */
    int busy;
    sweep_task task; /* in flight when busy */
} worker;

struct transport {
    int n;
    worker *w;
    volatile sig_atomic_t *stop;
    struct sigaction old_pipe; /* restored by stop */
};

/* ---- byte I/O ---------------------------------------------------------------- */

/* Writes all of buf; retries on EINTR and short writes.  0 or -1 (errno). */
static int write_full(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads exactly len bytes.  Returns 1, 0 at end of file before the first
 * byte, -1 on error or end of file midway (errno EPIPE then). */
static int read_full(int fd, void *buf, size_t len) {
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) {
            if (got == 0) return 0;
            errno = EPIPE;
            return -1;
        }
        got += (size_t)n;
    }
    return 1;
}

/* ---- the worker process --------------------------------------------------- */

static void worker_main(int task_fd, int result_fd, pid_t parent,
                        sweep_work_fn work, void *arg) {
    struct sigaction ign, dfl;
    memset(&ign, 0, sizeof ign);
    memset(&dfl, 0, sizeof dfl);
    ign.sa_handler = SIG_IGN;
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&ign.sa_mask);
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGINT, &ign, NULL);
    sigaction(SIGTERM, &ign, NULL);
    sigaction(SIGPIPE, &dfl, NULL); /* a vanished coordinator ends us */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid() != parent) _exit(0); /* the coordinator is already gone */
    world_result *res = malloc(sizeof *res);
    msg_head head;
    memset(&head, 0, sizeof head);
    for (;;) {
        int rc = read_full(task_fd, &head.task, sizeof head.task);
        if (rc <= 0) break; /* end of work, or the coordinator is gone */
        /* Every byte sent is defined: the result's padding too. */
        if (res) memset(res, 0, sizeof *res);
        head.status = res && work(arg, &head.task, res) == 0 ? 0 : -1;
        if (write_full(result_fd, &head, sizeof head) != 0) break;
        if (head.status == 0 && write_full(result_fd, res, sizeof *res) != 0)
            break;
    }
    free(res);
    _exit(0);
}

/* ---- the coordinator's side -------------------------------------------------- */

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static void reap(pid_t pid) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}

static void local_stop(transport *t, int abort) {
    if (!t) return;
    for (int i = 0; i < t->n; i++) {
        if (abort && t->w[i].pid > 0) kill(t->w[i].pid, SIGKILL);
        close_fd(&t->w[i].task_fd); /* idle workers see end of file */
    }
    for (int i = 0; i < t->n; i++) {
        close_fd(&t->w[i].result_fd); /* a busy one gets EPIPE and ends */
        if (t->w[i].pid > 0) reap(t->w[i].pid);
        t->w[i].pid = 0;
    }
    sigaction(SIGPIPE, &t->old_pipe, NULL);
    free(t->w);
    free(t);
}

static transport *local_start(int jobs, sweep_work_fn work, void *work_arg,
                              volatile sig_atomic_t *stop, char *err,
                              size_t errlen) {
    /* Two descriptors a worker must stay below FD_SETSIZE for pselect. */
    if (jobs < 1 || jobs > TRANSPORT_LOCAL_MAX_JOBS) {
        snprintf(err, errlen, "%d workers: outside 1..%d", jobs,
                 TRANSPORT_LOCAL_MAX_JOBS);
        return NULL;
    }
    transport *t = calloc(1, sizeof *t);
    if (!t || !(t->w = calloc((size_t)jobs, sizeof *t->w))) {
        free(t);
        snprintf(err, errlen, "out of memory starting %d workers", jobs);
        return NULL;
    }
    t->stop = stop;
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    /* A write to a dead worker must fail with EPIPE, not kill us. */
    sigaction(SIGPIPE, &ign, &t->old_pipe);
    fflush(NULL); /* nothing buffered is written twice by a child */
    pid_t self = getpid();
    for (int i = 0; i < jobs; i++) {
        worker *w = &t->w[i];
        w->task_fd = w->result_fd = -1;
        int tp[2], rp[2];
        if (pipe(tp) != 0) {
            snprintf(err, errlen, "starting worker %d: pipe: %s", i + 1,
                     strerror(errno));
            goto fail;
        }
        if (pipe(rp) != 0) {
            snprintf(err, errlen, "starting worker %d: pipe: %s", i + 1,
                     strerror(errno));
            close(tp[0]);
            close(tp[1]);
            goto fail;
        }
        pid_t pid = fork();
        if (pid < 0) {
            snprintf(err, errlen, "starting worker %d: fork: %s", i + 1,
                     strerror(errno));
            close(tp[0]);
            close(tp[1]);
            close(rp[0]);
            close(rp[1]);
            goto fail;
        }
        if (pid == 0) {
            /* The child keeps only its own two ends. */
            for (int j = 0; j < i; j++) {
                close_fd(&t->w[j].task_fd);
                close_fd(&t->w[j].result_fd);
            }
            close(tp[1]);
            close(rp[0]);
            /* ... and none of the coordinator's bookkeeping (valgrind would
             * call it lost at the worker's exit). */
            free(t->w);
            free(t);
            worker_main(tp[0], rp[1], self, work, work_arg);
            _exit(0);
        }
        close(tp[0]);
        close(rp[1]);
        w->pid = pid;
        if (tp[1] >= FD_SETSIZE || rp[0] >= FD_SETSIZE) {
            snprintf(err, errlen, "starting worker %d: too many open files "
                     "for select()", i + 1);
            close(tp[1]);
            close(rp[0]);
            t->n = i + 1;
            goto fail;
        }
        w->task_fd = tp[1];
        w->result_fd = rp[0];
        t->n = i + 1;
    }
    return t;
fail:
    local_stop(t, 1);
    return NULL;
}

static int local_capacity(const transport *t) { return t->n; }

static int local_submit(transport *t, const sweep_task *task, char *err,
                        size_t errlen) {
    for (int i = 0; i < t->n; i++) {
        worker *w = &t->w[i];
        if (w->busy || w->task_fd < 0) continue;
        if (write_full(w->task_fd, task, sizeof *task) != 0) {
            snprintf(err, errlen, "worker %d (pid %ld) cannot take work: %s",
                     i + 1, (long)w->pid, strerror(errno));
            return -1;
        }
        w->busy = 1;
        w->task = *task;
        return 0;
    }
    snprintf(err, errlen, "no idle worker (more tasks than capacity)");
    return -1;
}

/* Describes how worker w ended, after its pipe closed. */
static void describe_death(worker *w, int i, char *err, size_t errlen) {
    int st = 0;
    pid_t pid = w->pid, r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
    }
    char how[64];
    if (r == pid && WIFSIGNALED(st))
        snprintf(how, sizeof how, "was killed by signal %d", WTERMSIG(st));
    else if (r == pid && WIFEXITED(st))
        snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(st));
    else
        snprintf(how, sizeof how, "vanished");
    if (r == pid) w->pid = 0; /* reaped */
    snprintf(err, errlen, "worker %d (pid %ld) %s while running point %u "
             "replication %u", i + 1, (long)pid, how, w->task.point,
             w->task.rep);
}

static int local_receive(transport *t, sweep_task *task, world_result *result,
                         char *err, size_t errlen) {
    sigset_t wait_mask;
    sigprocmask(SIG_BLOCK, NULL, &wait_mask);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    for (;;) {
        if (*t->stop) return 0;
        fd_set rd;
        FD_ZERO(&rd);
        int maxfd = -1;
        for (int i = 0; i < t->n; i++)
            if (t->w[i].busy && t->w[i].result_fd >= 0) {
                FD_SET(t->w[i].result_fd, &rd);
                if (t->w[i].result_fd > maxfd) maxfd = t->w[i].result_fd;
            }
        if (maxfd < 0) {
            snprintf(err, errlen, "waiting for a result with no task in "
                     "flight");
            return -1;
        }
        int n = pselect(maxfd + 1, &rd, NULL, NULL, NULL, &wait_mask);
        if (n < 0 && errno == EINTR) continue; /* *stop is checked above */
        if (n < 0) {
            snprintf(err, errlen, "waiting for workers: %s", strerror(errno));
            return -1;
        }
        for (int i = 0; i < t->n; i++) {
            worker *w = &t->w[i];
            if (!w->busy || w->result_fd < 0 || !FD_ISSET(w->result_fd, &rd))
                continue;
            msg_head head;
            int rc = read_full(w->result_fd, &head, sizeof head);
            if (rc == 1 && head.status == 0)
                rc = read_full(w->result_fd, result, sizeof *result);
            if (rc != 1) {
                if (rc < 0 && errno != EPIPE)
                    snprintf(err, errlen, "reading from worker %d: %s", i + 1,
                             strerror(errno));
                else
                    describe_death(w, i, err, errlen);
                return -1;
            }
            if (head.task.point != w->task.point ||
                head.task.rep != w->task.rep) {
                snprintf(err, errlen, "worker %d answered point %u rep %u "
                         "for point %u rep %u", i + 1, head.task.point,
                         head.task.rep, w->task.point, w->task.rep);
                return -1;
            }
            w->busy = 0;
            if (head.status != 0) {
                snprintf(err, errlen, "worker %d ran out of memory on point "
                         "%u replication %u", i + 1, head.task.point,
                         head.task.rep);
                return -1;
            }
            *task = head.task;
            return 1;
        }
    }
}

const transport_ops transport_local = {
    .name = "local",
    .start = local_start,
    .capacity = local_capacity,
    .submit = local_submit,
    .receive = local_receive,
    .stop = local_stop,
};
