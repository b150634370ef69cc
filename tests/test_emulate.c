/* The emulator against real servers: private Redis and PostgreSQL started
 * and removed (no process, no directory left), cache-aside with failed DELs
 * measured stale for that cause, the fault-free zero-latency case never
 * stale, refusals by name, unreachable servers.  Each run takes a few
 * seconds of real time; the servers are private to the test (own temporary
 * directory, unix sockets only). */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emulate/backend.h"
#include "emulate/servers.h"
#include "tests/testing.h"

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static int alive(pid_t pid) { return pid > 0 && kill(pid, 0) == 0; }

/* Entries of a directory other than . and .. (-1 if it cannot be read). */
static int entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* The suite's own servers: started by the first test, used by the runs
 * through --redis and --postgres, stopped by the last. */
static emu_servers *shared;

static void test_servers_start(void) {
    char err[1024];
    emu_servers *s = shared = emu_servers_start(1, 1, 12, err, sizeof err);
    if (!s) fprintf(stderr, "\n  %s\n", err);
    CU_ASSERT_FATAL(s != NULL);
    pid_t rp = emu_servers_redis_pid(s), pp = emu_servers_pg_pid(s);
    CU_ASSERT(exists(emu_servers_dir(s)));
    CU_ASSERT(exists(emu_servers_redis_socket(s)));
    CU_ASSERT(alive(rp));
    CU_ASSERT(alive(pp));
    /* Both answer, and the table and keys come and go. */
    emu_target t;
    memset(&t, 0, sizeof t);
    snprintf(t.redis, sizeof t.redis, "unix:%s", emu_servers_redis_socket(s));
    snprintf(t.pg, sizeof t.pg, "%s", emu_servers_pg_conninfo(s));
    emu_conn *c = emu_conn_open(&t, err, sizeof err);
    if (!c) fprintf(stderr, "\n  %s\n", err);
    CU_ASSERT_FATAL(c != NULL);
    CU_ASSERT(emu_setup(c, 10, err, sizeof err) == 0);
    uint32_t v = 99;
    int64_t at1 = 0, at2 = 0, eff = 0;
    CU_ASSERT(emu_db_write(c, 3, &v, &at1, err, sizeof err) == 0);
    CU_ASSERT_EQUAL(v, 1);
    CU_ASSERT(emu_db_read(c, 3, 0, &v, &at2, err, sizeof err) == 0);
    CU_ASSERT_EQUAL(v, 1);
    CU_ASSERT(at2 >= at1);
    int stored = 0, hit = 0;
    CU_ASSERT(emu_cache_set(c, 3, 1, 10000, NULL, 1, 0, &stored, &eff, err,
                            sizeof err) == 0);
    CU_ASSERT(stored);
    /* versioned-set keeps the higher version */
    CU_ASSERT(emu_cache_set(c, 3, 0, 10000, NULL, 1, 0, &stored, &eff, err,
                            sizeof err) == 0);
    CU_ASSERT(!stored);
    CU_ASSERT(emu_cache_get(c, 3, LEASE_NONE, "", 1, &hit, &v, NULL, &eff,
                            err, sizeof err) == 0);
    CU_ASSERT(hit && v == 1);
    CU_ASSERT(emu_cache_del(c, 3, &eff, err, sizeof err) == 0);
    char tok[EMU_TOKEN_LEN], tok2[EMU_TOKEN_LEN];
    CU_ASSERT(emu_cache_get(c, 3, LEASE_HERD, "a", 1000, &hit, &v, tok, &eff,
                            err, sizeof err) == 0);
    CU_ASSERT(!hit && strcmp(tok, "a") == 0);
    CU_ASSERT(emu_cache_get(c, 3, LEASE_HERD, "b", 1000, &hit, &v, tok2, &eff,
                            err, sizeof err) == 0);
    CU_ASSERT(!hit && tok2[0] == '\0'); /* refused: one token at a time */
    CU_ASSERT(emu_cache_del(c, 3, &eff, err, sizeof err) == 0); /* voids it */
    CU_ASSERT(emu_cache_set(c, 3, 1, 1000, "a", 0, 0, &stored, &eff, err,
                            sizeof err) == 0);
    CU_ASSERT(!stored); /* the lease was voided by the DEL */
    CU_ASSERT(emu_teardown(c, err, sizeof err) == 0);
    emu_conn_close(c);
}

static void test_servers_stop(void) {
    CU_ASSERT_FATAL(shared != NULL);
    char dir[600];
    snprintf(dir, sizeof dir, "%s", emu_servers_dir(shared));
    pid_t rp = emu_servers_redis_pid(shared), pp = emu_servers_pg_pid(shared);
    CU_ASSERT(alive(rp) && alive(pp));
    emu_servers_stop(shared);
    shared = NULL;
    CU_ASSERT(!exists(dir));
    CU_ASSERT(!alive(rp));
    for (int i = 0; i < 100 && alive(pp); i++) usleep(20000);
    CU_ASSERT(!alive(pp));
}

static const char scenario_text[] =
    "[run]\nduration = 2s\nseed = 5\n"
    "[workload]\nkeys = 50\nreads = 300/s\nwrites = 30/s\nclients = 8\n"
    "[db]\nread_latency = 0\nwrite_latency = 0\n"
    "[cache]\npattern = cache-aside\nttl = 30s\nget_latency = 0\n"
    "set_latency = 0\ndel_latency = 0\n";

/* The CSV value of section,name,field (NaN if absent). */
static double csv_value(const char *csv, const char *prefix) {
    const char *p = strstr(csv, prefix);
    return p ? strtod(p + strlen(prefix), NULL) : -1;
}

/* Runs emulate with TMPDIR set to a fresh directory and checks that it is
 * empty afterwards: no server directory left. */
static void run_private(cli_run *r, const char *args) {
    char tmp[] = "/tmp/stalesim-test-emu-XXXXXX";
    CU_ASSERT_FATAL(mkdtemp(tmp) != NULL);
    chmod(tmp, 0711); /* the postgres user must reach its directory */
    setenv("TMPDIR", tmp, 1);
    RUN(r, args);
    unsetenv("TMPDIR");
    CU_ASSERT_EQUAL(entries(tmp), 0);
    rmdir(tmp);
}

static void test_failed_deletes_measured(void) {
    char *f = testing_temp_file(scenario_text);
    CU_ASSERT_FATAL(f != NULL);
    char args[1024];
    cli_run r;
    CU_ASSERT_FATAL(shared != NULL);
    char *hist = testing_temp_file("");
    CU_ASSERT_FATAL(hist != NULL);
    snprintf(args, sizeof args,
             "emulate %s --set faults.del_fail=0.5 --format csv "
             "--redis unix:%s --postgres '%s' --history %s",
             f, emu_servers_redis_socket(shared),
             emu_servers_pg_conninfo(shared), hist);
    RUN(&r, args);
    CU_ASSERT_EQUAL(r.status, 0);
    if (r.status != 0) fprintf(stderr, "\n  %s\n", r.err);
    double stale = csv_value(r.out, "metrics,stale_reads,mean,");
    double failed = csv_value(r.out, "causes,invalidation-failed,stale_reads,");
    CU_ASSERT(stale > 0);
    /* audit judges the emulated history exactly as emulate did. */
    cli_run a;
    snprintf(args, sizeof args, "audit %s --format csv", hist);
    RUN(&a, args);
    CU_ASSERT_EQUAL(a.status, 0);
    CU_ASSERT_EQUAL(csv_value(a.out, "metrics,reads,mean,"),
                    csv_value(r.out, "metrics,reads,mean,"));
    CU_ASSERT_EQUAL(csv_value(a.out, "metrics,stale_reads,mean,"), stale);
    CU_ASSERT_EQUAL(csv_value(a.out, "metrics,concurrent_reads,mean,"),
                    csv_value(r.out, "metrics,concurrent_reads,mean,"));
    CU_ASSERT_EQUAL(csv_value(a.out, "metrics,verdict_disagreements,mean,"),
                    0);
    testing_run_free(&a);
    testing_remove_temp(hist);
    CU_ASSERT(failed > 0);
    /* Real servers have real latency, so on a loaded machine a read can
     * still fall between a commit and its DEL (invalidation-lag) or a fill
     * race a write (stale-fill).  Every stale read has a cause, and with
     * half the deletes failing, failed invalidations are most of them. */
    double all = 0;
    for (const char *p = strstr(r.out, "causes,"); p;
         p = strstr(p + 1, "causes,")) {
        const char *v = strstr(p, ",stale_reads,");
        const char *eol = strchr(p, '\n');
        if (v && (!eol || v < eol)) all += strtod(v + 13, NULL);
    }
    CU_ASSERT(all == stale);
    CU_ASSERT(failed > stale / 2);
    if (all != stale || failed <= stale / 2)
        fprintf(stderr, "\n  stale %g, by cause %g, invalidation-failed %g\n",
                stale, all, failed);
    CU_ASSERT(csv_value(r.out, "metrics,invalidations_failed,mean,") > 0);
    /* Every GET, SET and DEL that reached Redis, by kind and in total (each
     * printed to 10 significant digits: the sum within 2 in 1e10 of each). */
    double gets = csv_value(r.out, "metrics,cache_gets_per_s,mean,"),
           sets = csv_value(r.out, "metrics,cache_sets_per_s,mean,"),
           dels = csv_value(r.out, "metrics,cache_dels_per_s,mean,"),
           ops = csv_value(r.out, "metrics,cache_ops_per_s,mean,");
    EXPECT(gets > 0 && sets > 0 && dels > 0 &&
               fabs(gets + sets + dels - ops) <= 2e-9 * ops,
           "GETs %g + SETs %g + DELs %g per s vs %g operations per s", gets,
           sets, dels, ops);
    CU_ASSERT(strstr(r.out, "run,source,value,emulation") != NULL);
    CU_ASSERT(strstr(r.out, "measured_latency,db_read_request,n,") != NULL);
    testing_run_free(&r);

    /* No faults, no added latency, one client thread: no request overlaps
     * another, so no race can make a read stale, whatever the host's
     * latencies. */
    snprintf(args, sizeof args,
             "emulate %s --real-latency --set workload.clients=1 "
             "--scale 0.5 --format csv",
             f);
    run_private(&r, args);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(csv_value(r.out, "metrics,reads,mean,") > 150);
    CU_ASSERT_EQUAL(csv_value(r.out, "metrics,stale_reads,mean,"), 0);
    testing_run_free(&r);
    testing_remove_temp(f);
}

static void test_refusals(void) {
    char *f = testing_temp_file(scenario_text);
    CU_ASSERT_FATAL(f != NULL);
    static const struct {
        const char *set, *name;
    } cases[] = {{"cache.pattern=write-behind", "write-behind"},
                 {"local.instances=2", "instances"},
                 {"db.replicas=1", "replicas"},
                 {"cache.mitigations=outbox:exp:10ms", "outbox"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[1024];
        cli_run r;
        snprintf(args, sizeof args, "emulate %s --set %s", f, cases[i].set);
        RUN(&r, args);
        CU_ASSERT_EQUAL(r.status, 2);
        if (!strstr(r.err, cases[i].name))
            fprintf(stderr, "\n  %s: %s\n", cases[i].set, r.err);
        CU_ASSERT(strstr(r.err, cases[i].name) != NULL);
        CU_ASSERT(strstr(r.err, "emulate cannot run") != NULL);
        testing_run_free(&r);
    }
    testing_remove_temp(f);
}

static void test_unreachable_servers(void) {
    char *f = testing_temp_file(scenario_text);
    CU_ASSERT_FATAL(f != NULL);
    char args[1024];
    cli_run r;
    snprintf(args, sizeof args,
             "emulate %s --redis unix:/nonexistent/redis.sock "
             "--postgres 'host=/nonexistent port=1 dbname=x'",
             f);
    RUN(&r, args);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(strstr(r.err, "cannot connect to Redis at unix:/nonexistent") !=
              NULL);
    testing_run_free(&r);
    /* A private Redis, an unreachable PostgreSQL. */
    snprintf(args, sizeof args,
             "emulate %s --postgres 'host=/nonexistent port=1 dbname=x'", f);
    run_private(&r, args);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(strstr(r.err, "cannot connect to PostgreSQL") != NULL);
    testing_run_free(&r);
    snprintf(args, sizeof args, "emulate %s --redis http://x", f);
    RUN(&r, args);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(strstr(r.err, "--redis 'http://x'") != NULL);
    testing_run_free(&r);
    testing_remove_temp(f);
}

/* SIGINT in the middle of a run: exit 3, servers stopped, nothing left. */
static void test_interrupt_cleans_up(void) {
    char *f = testing_temp_file(scenario_text);
    CU_ASSERT_FATAL(f != NULL);
    char tmp[] = "/tmp/stalesim-test-emu-XXXXXX";
    CU_ASSERT_FATAL(mkdtemp(tmp) != NULL);
    chmod(tmp, 0711);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        setenv("TMPDIR", tmp, 1);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execl(testing_stalesim(), "stalesim", "emulate", f, "--duration",
              "60s", (char *)NULL);
        _exit(127);
    }
    /* Wait until the servers are up and the run has begun. */
    char sock[700] = "";
    for (int i = 0; i < 300; i++) {
        DIR *d = opendir(tmp);
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (strncmp(e->d_name, "stalesim-emulate-", 17) == 0)
                snprintf(sock, sizeof sock, "%s/%s/pg/data/postmaster.pid", tmp,
                         e->d_name);
        if (d) closedir(d);
        if (sock[0] && exists(sock)) break;
        usleep(50000);
    }
    CU_ASSERT(sock[0] && exists(sock));
    sleep(2);
    kill(pid, SIGINT);
    int st = 0;
    waitpid(pid, &st, 0);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 3);
    CU_ASSERT_EQUAL(entries(tmp), 0);
    rmdir(tmp);
    testing_remove_temp(f);
}

/* A lease makes the stale-fill race impossible: the writer's DEL deletes
 * the token, so a fill that read before the commit is refused by Redis. */
static void test_lease_prevents_stale_fill(void) {
    CU_ASSERT_FATAL(shared != NULL);
    char args[1024];
    cli_run r;
    snprintf(args, sizeof args,
             "emulate experiments/validation/lease.ini --duration 3s "
             "--format csv --redis unix:%s --postgres '%s'",
             emu_servers_redis_socket(shared),
             emu_servers_pg_conninfo(shared));
    RUN(&r, args);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(csv_value(r.out, "metrics,reads,mean,") > 500);
    CU_ASSERT(csv_value(r.out, "metrics,db_reads_per_s,mean,") > 0);
    CU_ASSERT_EQUAL(csv_value(r.out, "causes,stale-fill,stale_reads,"), 0);
    testing_run_free(&r);
}

/* make validate: the validation catalog, each scenario emulated and
 * predicted.  The two scenarios docs/emulate.md reports as agreeing must
 * agree on the stale-read fraction; every run prints its comparison. */
static void test_catalog(void) {
    if (!testing_validate()) return;
    static const struct {
        const char *file;
        int must_agree;
    } cat[] = {{"ttl-only", 1},
               {"failed-deletes", 1},
               {"stale-fill-late-snapshot", 0},
               {"stale-fill-early-snapshot", 0},
               {"write-through-race", 0},
               {"lease", 0},
               {"stale-fill-slow", 0}};
    for (size_t i = 0; i < sizeof cat / sizeof cat[0]; i++) {
        char args[512];
        cli_run r;
        snprintf(args, sizeof args,
                 "emulate experiments/validation/%s.ini --validate "
                 "--format csv",
                 cat[i].file);
        run_private(&r, args);
        CU_ASSERT_EQUAL(r.status, 0);
        double m = csv_value(r.out, "validation,stale_read_fraction,measured,");
        double p = csv_value(r.out, "validation,stale_read_fraction,predicted,");
        double agree = csv_value(r.out, "validation,stale_read_fraction,agree,");
        fprintf(stderr, "\n  %-26s stale-read fraction measured %.4g, "
                        "predicted %.4g: %s",
                cat[i].file, m, p, agree == 1 ? "agree" : "DISAGREE");
        CU_ASSERT(m >= 0 && p >= 0);
        if (cat[i].must_agree) CU_ASSERT(agree == 1);
        testing_run_free(&r);
    }
}

static CU_TestInfo tests[] = {
    {"private servers start and answer", test_servers_start},
    {"failed deletes are measured stale, none without faults",
     test_failed_deletes_measured},
    {"a lease leaves no stale fill", test_lease_prevents_stale_fill},
    {"features emulate cannot run are refused by name", test_refusals},
    {"unreachable servers give a clear error", test_unreachable_servers},
    {"Ctrl-C stops the run and removes the servers", test_interrupt_cleans_up},
    {"stopped servers leave no process and no directory", test_servers_stop},
    {"validation catalog (make validate)", test_catalog},
    CU_TEST_INFO_NULL};

static int cleanup(void) {
    emu_servers_stop(shared); /* if a test failed before stopping them */
    shared = NULL;
    return 0;
}

TESTS_REGISTER("emulate", NULL, cleanup, tests)
