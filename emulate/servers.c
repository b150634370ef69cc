/* Private Redis and PostgreSQL servers: start, stop, remove (servers.h).
 *
 * Children are started with fork + exec (never a shell), their output going
 * to log files in the temporary directory, whose last lines are quoted when
 * a start fails.  redis-server runs in its own session and receives SIGTERM
 * if stalesim dies (PR_SET_PDEATHSIG); pg_ctl detaches the postmaster into
 * its own session.  A kill -9 of stalesim can still leave the postmaster
 * running: its directory is then /tmp/stalesim-emulate-* (stop it with
 * pg_ctl stop -D DIR/pg/data). */
#define _DEFAULT_SOURCE /* mkdtemp, nftw, initgroups, setsid */
#define _XOPEN_SOURCE 700
#include "emulate/servers.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PATH_LEN 512

struct emu_servers {
    char dir[PATH_LEN];        /* the temporary directory ("" none) */
    char redis_sock[PATH_LEN]; /* "" until redis runs */
    pid_t redis_pid;
    char pg_dir[PATH_LEN];     /* DIR/pg: socket directory, owner postgres */
    char pg_data[PATH_LEN];    /* DIR/pg/data ("" until initdb ran) */
    char pg_bin[PATH_LEN];     /* directory of initdb/pg_ctl, "" = PATH */
    char conninfo[PATH_LEN * 2];
    int pg_started;
    uid_t run_uid;             /* the servers' user (postgres as root) */
    gid_t run_gid;
    int switch_user;           /* 1: run PostgreSQL tools as run_uid */
};

/* out = a + b, truncated to len (paths here are short: TMPDIR + ~40). */
static void join(char *out, size_t len, const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    if (na >= len) na = len - 1;
    memcpy(out, a, na);
    if (nb > len - 1 - na) nb = len - 1 - na;
    memcpy(out + na, b, nb);
    out[na + nb] = '\0';
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The last few lines of a log file, flattened into one line of msg. */
static void log_tail(const char *path, char *msg, size_t len) {
    msg[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    char buf[700];
    if (fseek(f, 0, SEEK_END) == 0) {
        long end = ftell(f);
        fseek(f, end > 600 ? end - 600 : 0, SEEK_SET);
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = '\0';
    char *start = strrchr(buf, '\n');
    start = start ? start + 1 : buf;
    for (char *p = buf; *p; p++)
        if (*p == '\n') *p = ' ';
    join(msg, len, start, "");
}

/* In a child: drop to the servers' user when asked. */
static void become(const emu_servers *s) {
    if (!s->switch_user) return;
    if (setgroups(0, NULL) != 0 || setgid(s->run_gid) != 0 ||
        setuid(s->run_uid) != 0)
        _exit(126);
}

/* Runs argv (argv[0] a path, or a name looked up in PATH) to completion with
 * output to `log`.  Returns its exit status, or -1 if it could not run. */
static int run_tool(const emu_servers *s, char *const argv[],
                    const char *log) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        setsid();
        become(s);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, 0);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- removal ------------------------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir) {
    if (dir[0]) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- redis -------------------------------------------------------------------- */

static int socket_accepts(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    join(a.sun_path, sizeof a.sun_path, path, "");
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static int start_redis(emu_servers *s, char *err, size_t errlen) {
    char sock[PATH_LEN], log[PATH_LEN];
    join(sock, sizeof sock, s->dir, "/redis.sock");
    join(log, sizeof log, s->dir, "/redis.log");
    char *argv[] = {"redis-server", "--port", "0", "--unixsocket", sock,
                    "--unixsocketperm", "700", "--save", "", "--appendonly",
                    "no", "--dir", s->dir, "--daemonize", "no", NULL};
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "starting redis-server: fork: %s",
                 strerror(errno));
        return -1;
    }
    if (pid == 0) {
        setsid();
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(1);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    s->redis_pid = pid;
    for (int i = 0; i < 1000; i++) { /* up to 10 s */
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->redis_pid = 0;
            char tail[400];
            log_tail(log, tail, sizeof tail);
            snprintf(err, errlen, "redis-server did not start%s%s%s",
                     WIFEXITED(st) && WEXITSTATUS(st) == 127
                         ? " (is the redis-server package installed? make deps)"
                         : "",
                     tail[0] ? ": " : "", tail);
            return -1;
        }
        if (socket_accepts(sock)) {
            snprintf(s->redis_sock, sizeof s->redis_sock, "%s", sock);
            return 0;
        }
        sleep_ms(10);
    }
    snprintf(err, errlen, "redis-server did not accept connections on %s "
                          "within 10 s", sock);
    return -1;
}

static void stop_redis(emu_servers *s) {
    if (s->redis_pid <= 0) return;
    kill(s->redis_pid, SIGTERM);
    for (int i = 0; i < 500; i++) { /* up to 5 s */
        if (waitpid(s->redis_pid, NULL, WNOHANG) == s->redis_pid) {
            s->redis_pid = 0;
            return;
        }
        sleep_ms(10);
    }
    kill(s->redis_pid, SIGKILL);
    waitpid(s->redis_pid, NULL, 0);
    s->redis_pid = 0;
}

/* ---- postgres ------------------------------------------------------------------ */

/* The bin directory of the newest /usr/lib/postgresql/N, "" if none. */
static void find_pg_bin(char *out, size_t len) {
    out[0] = '\0';
    glob_t g;
    if (glob("/usr/lib/postgresql/*/bin/pg_ctl", 0, NULL, &g) != 0) return;
    double best = -1;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        double v = strtod(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"), NULL);
        if (v > best) {
            best = v;
            snprintf(out, len, "%s", g.gl_pathv[i]);
            char *slash = strrchr(out, '/');
            if (slash) *slash = '\0';
        }
    }
    globfree(&g);
}

static void tool_path(const emu_servers *s, const char *name, char *out,
                      size_t len) {
    if (s->pg_bin[0])
        snprintf(out, len, "%s/%s", s->pg_bin, name);
    else
        snprintf(out, len, "%s", name);
}

pid_t emu_servers_pg_pid(const emu_servers *s) {
    if (!s || !s->pg_started) return 0;
    char path[PATH_LEN + 32];
    snprintf(path, sizeof path, "%s/postmaster.pid", s->pg_data);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1) pid = 0;
    fclose(f);
    return (pid_t)pid;
}

static int start_pg(emu_servers *s, unsigned max_connections, char *err,
                    size_t errlen) {
    find_pg_bin(s->pg_bin, sizeof s->pg_bin);
    join(s->pg_dir, sizeof s->pg_dir, s->dir, "/pg");
    if (mkdir(s->pg_dir, 0700) != 0 ||
        (s->switch_user && chown(s->pg_dir, s->run_uid, s->run_gid) != 0)) {
        snprintf(err, errlen, "creating %s: %s", s->pg_dir, strerror(errno));
        return -1;
    }
    char data[PATH_LEN], log[PATH_LEN], tool[PATH_LEN + 16];
    join(data, sizeof data, s->pg_dir, "/data");
    join(log, sizeof log, s->pg_dir, "/log");
    tool_path(s, "initdb", tool, sizeof tool);
    char *init[] = {tool, "-D", data, "--auth=trust", "--no-sync",
                    "--encoding=UTF8", "--locale=C", NULL};
    int rc = run_tool(s, init, log);
    if (rc != 0) {
        char tail[400];
        log_tail(log, tail, sizeof tail);
        snprintf(err, errlen, "initdb failed%s%s%s",
                 rc == 127 ? " (is the postgresql package installed? make deps)"
                 : s->switch_user
                     ? " (as root the `postgres` user must be able to enter "
                       "$TMPDIR)"
                     : "",
                 tail[0] ? ": " : "", tail);
        return -1;
    }
    snprintf(s->pg_data, sizeof s->pg_data, "%s", data);
    char opts[PATH_LEN + 256];
    snprintf(opts, sizeof opts,
             "-k %s -c listen_addresses= -c fsync=off -c "
             "synchronous_commit=off -c full_page_writes=off -c "
             "max_connections=%u",
             s->pg_dir, max_connections + 10);
    tool_path(s, "pg_ctl", tool, sizeof tool);
    char *start[] = {tool, "-D", data, "-l", log, "-w", "-t", "60",
                     "-o", opts, "start", NULL};
    s->pg_started = 1; /* stop even if start half-worked */
    if (run_tool(s, start, log) != 0) {
        char tail[400];
        log_tail(log, tail, sizeof tail);
        snprintf(err, errlen, "pg_ctl start failed%s%s", tail[0] ? ": " : "",
                 tail);
        return -1;
    }
    const char *user = "postgres";
    struct passwd *pw = getpwuid(getuid());
    if (!s->switch_user && pw) user = pw->pw_name;
    snprintf(s->conninfo, sizeof s->conninfo,
             "host=%s port=5432 user=%s dbname=postgres", s->pg_dir, user);
    return 0;
}

static void stop_pg(emu_servers *s) {
    if (!s->pg_started) return;
    pid_t pm = emu_servers_pg_pid(s);
    char tool[PATH_LEN + 16], log[PATH_LEN + 8];
    tool_path(s, "pg_ctl", tool, sizeof tool);
    join(log, sizeof log, s->pg_dir, "/log");
    char *stop[] = {tool, "-D", s->pg_data, "-m", "immediate", "-w", "-t",
                    "30", "stop", NULL};
    run_tool(s, stop, log);
    if (pm > 0) { /* make sure: the postmaster and its children */
        for (int i = 0; i < 500 && kill(pm, 0) == 0; i++) sleep_ms(10);
        if (kill(pm, 0) == 0) kill(pm, SIGKILL);
    }
    s->pg_started = 0;
}

/* ---- the set -------------------------------------------------------------------- */

emu_servers *emu_servers_start(int redis, int postgres,
                               unsigned max_connections, char *err,
                               size_t errlen) {
    emu_servers *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !tmp[0]) tmp = "/tmp";
    snprintf(s->dir, sizeof s->dir, "%s/stalesim-emulate-XXXXXX", tmp);
    if (!mkdtemp(s->dir)) {
        snprintf(err, errlen, "creating a temporary directory in %s: %s", tmp,
                 strerror(errno));
        s->dir[0] = '\0';
        free(s);
        return NULL;
    }
    s->run_uid = getuid();
    s->run_gid = getgid();
    if (getuid() == 0 && postgres) {
        struct passwd *pw = getpwnam("postgres");
        if (!pw) {
            snprintf(err, errlen,
                     "running as root, PostgreSQL needs the `postgres` user "
                     "(is the postgresql package installed? make deps)");
            goto fail;
        }
        s->run_uid = pw->pw_uid;
        s->run_gid = pw->pw_gid;
        s->switch_user = 1;
        chmod(s->dir, 0711); /* postgres must reach DIR/pg */
    }
    if (redis && start_redis(s, err, errlen) != 0) goto fail;
    if (postgres && start_pg(s, max_connections, err, errlen) != 0) goto fail;
    return s;
fail:
    emu_servers_stop(s);
    return NULL;
}

const char *emu_servers_dir(const emu_servers *s) { return s->dir; }
const char *emu_servers_redis_socket(const emu_servers *s) {
    return s->redis_sock;
}
const char *emu_servers_pg_conninfo(const emu_servers *s) {
    return s->conninfo;
}
pid_t emu_servers_redis_pid(const emu_servers *s) {
    return s ? s->redis_pid : 0;
}

void emu_servers_stop(emu_servers *s) {
    if (!s) return;
    stop_redis(s);
    stop_pg(s);
    remove_tree(s->dir);
    free(s);
}
