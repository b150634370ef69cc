/* Key families ([family.NAME]): parsing and its errors, the per-family
 * view, a family measured beside another against the same family alone, a
 * bypass family, `check` per family, and family-less output pinned to the
 * build before families (tests/fixtures/account-limits-2m.json). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "experiments/run.h"
#include "models/scenario.h"
#include "tests/testing.h"

/* Parses text as "t.ini"; returns 0 or -1 with the message in err. */
static int load(scenario *sc, const char *text, char *err, size_t len) {
    if (scenario_init_defaults(sc, err, len) != 0) return -1;
    if (scenario_load_string(sc, "t.ini", text, err, len) != 0) return -1;
    return scenario_validate(sc, err, len);
}

static void expect_error(const char *text, const char *want) {
    scenario sc;
    char err[1024] = "";
    int rc = load(&sc, text, err, sizeof err);
    EXPECT(rc != 0 && strstr(err, want), "rc %d, message [%s], wanted [%s]",
           rc, err, want);
    scenario_fini(&sc);
}

static void test_parse_errors(void) {
    expect_error("[family.a]\nkeys = 10\nnonsense = 1\n",
                 "t.ini:3: key 'nonsense': unknown key in a family");
    expect_error("[family.a]\nkeys = 1.5\n", "t.ini:2: key 'keys': share 1.5 "
                                             "is outside (0,1]");
    expect_error("[family.a]\nkeys = 10\nreads = 1.2\n",
                 "t.ini:3: key 'reads'");
    expect_error("[family.a]\nkeys = 10\n[family.a]\nkeys = 20\n",
                 "t.ini:3: [family.a]: family 'a' declared twice (first at "
                 "line 1)");
    /* `ttl` is cache.ttl: giving both is the same key twice. */
    expect_error("[family.a]\nkeys = 10\nttl = 5s\ncache.ttl = 6s\n",
                 "t.ini:4: key 'cache.ttl': cache.ttl given twice in "
                 "[family.a] (first at line 3)");
    expect_error("[family.a]\nkeys = 10\nlocal.instances = 3\n",
                 "t.ini:3: key 'local.instances': local.instances cannot "
                 "vary per family");
    expect_error("[family.a]\nkeys = 10\ncache.ttl = soon\n",
                 "t.ini:3: key 'cache.ttl'");
    expect_error("[family.a]\nreads = 0.5\n",
                 "t.ini:1: [family.a] needs keys");
    expect_error("[family.a]\nkeys = 10\nfaults.del_fail = 0.7\n"
                 "faults.del_timeout = 0.7\n",
                 "[family.a]: t.ini:4: key 'del_timeout': del_fail + del_timeout exceed 1");
}

static void test_view_and_set(void) {
    scenario sc, v;
    char err[1024] = "";
    int rc = load(&sc,
                  "[workload]\nkeys = 1000\nreads = 100/s\nwrites = 10/s\n"
                  "[family.display]\nkeys = 0.25\ncache.ttl = 60s\n"
                  "[family.quota]\nkeys = 750\nbypass = yes\nreads = 0.5\n"
                  "contract.max_staleness = 1s\n",
                  err, sizeof err);
    EXPECT(rc == 0, "load: %s", err);
    if (rc != 0) {
        scenario_fini(&sc);
        return;
    }
    EXPECT(scenario_set(&sc, "family.display.cache.ttl=90s", err,
                        sizeof err) == 0,
           "--set: %s", err);
    EXPECT(scenario_set(&sc, "family.display.ttl=9s", err, sizeof err) == 0,
           "--set bare ttl: %s", err);
    EXPECT(scenario_set(&sc, "family.display.cache.ttl=x", err, sizeof err) !=
                   0 &&
               strstr(err, "--set 'family.display.cache.ttl'"),
           "bad --set: [%s]", err);
    scenario_family_range r;
    scenario_family_resolve(&sc, 1, &r);
    EXPECT(r.first_key == 250 && r.nkeys == 750 && fabs(r.reads - 50) < 1e-9 &&
               fabs(r.writes - 7.5) < 1e-9,
           "quota: first %u n %u reads %g writes %g", r.first_key, r.nkeys,
           r.reads, r.writes);
    EXPECT(scenario_total_keys(&sc) == 1000, "total %u",
           scenario_total_keys(&sc));
    EXPECT(scenario_family_view(&sc, 0, &v, err, sizeof err) == 0, "%s", err);
    EXPECT(v.cache.ttl == 9 * SIM_S && strcmp(v.cache.pattern, "cache-aside") == 0
               && v.families.n == 0,
           "display view ttl %lld pattern %s", (long long)v.cache.ttl,
           v.cache.pattern);
    scenario_fini(&v);
    EXPECT(scenario_family_view(&sc, 1, &v, err, sizeof err) == 0, "%s", err);
    EXPECT(strcmp(v.cache.pattern, "none") == 0 &&
               v.contract.max_staleness == SIM_S && v.cache.ttl == 300 * SIM_S,
           "quota view pattern %s bound %lld", v.cache.pattern,
           (long long)v.contract.max_staleness);
    scenario_fini(&v);
    scenario_fini(&sc);
}

/* |a - b| within their combined 95% intervals (and a small absolute slack
 * for figures at zero). */
static void expect_close(const char *what, run_stat a, run_stat b,
                         double slack) {
    double tol = a.ci95 + b.ci95 + slack;
    EXPECT(fabs(a.mean - b.mean) <= tol, "%s: %g +- %g beside, %g +- %g alone",
           what, a.mean, a.ci95, b.mean, b.ci95);
}

#define COMMON                                                               \
    "[run]\nduration = 2m\nreps = 6\nseed = 5\n"                             \
    "[workload]\npopularity = zipf:0.9\n"                                    \
    "[faults]\ndel_fail = 0.05\n"

static void test_alone_and_beside(void) {
    scenario both, alone;
    char err[1024] = "";
    int rc = load(&both,
                  COMMON "[workload]\nkeys = 3000\nreads = 1500/s\n"
                         "writes = 30/s\n"
                         "[family.a]\nkeys = 1000\nreads = 500/s\n"
                         "writes = 20/s\ncache.ttl = 20s\n"
                         "[family.b]\nkeys = 2000\nreads = 1000/s\n"
                         "writes = 10/s\n",
                  err, sizeof err);
    EXPECT(rc == 0, "both: %s", err);
    int rc2 = load(&alone,
                   COMMON "[workload]\nkeys = 1000\nreads = 500/s\n"
                          "writes = 20/s\n[cache]\nttl = 20s\n",
                   err, sizeof err);
    EXPECT(rc2 == 0, "alone: %s", err);
    if (rc == 0 && rc2 == 0) {
        run_summary *sb = run_scenario(&both, err, sizeof err);
        run_summary *sa = run_scenario(&alone, err, sizeof err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(sb);
        CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
        EXPECT(sb->nfamilies == 2 && sa->nfamilies == 0, "families %d %d",
               sb->nfamilies, sa->nfamilies);
        expect_close("stale_read_fraction",
                     run_summary_family_stat(sb, 0, WORLD_METRIC_STALE_READ_FRACTION),
                     run_summary_stat(sa, WORLD_METRIC_STALE_READ_FRACTION), 1e-4);
        expect_close("hit_ratio", run_summary_family_stat(sb, 0, WORLD_METRIC_HIT_RATIO),
                     run_summary_stat(sa, WORLD_METRIC_HIT_RATIO), 1e-3);
        expect_close("reads", run_summary_family_stat(sb, 0, WORLD_METRIC_READS),
                     run_summary_stat(sa, WORLD_METRIC_READS), 100);
        expect_close("invalidations_failed",
                     run_summary_family_stat(sb, 0, WORLD_METRIC_INVALIDATIONS_FAILED),
                     run_summary_stat(sa, WORLD_METRIC_INVALIDATIONS_FAILED), 1);
        /* The families add up to the totals. */
        for (uint32_t r = 0; r < sb->reps; r++) {
            double sum = sb->family_value[0][WORLD_METRIC_STALE_READS][r] +
                         sb->family_value[1][WORLD_METRIC_STALE_READS][r];
            EXPECT(sum == sb->value[WORLD_METRIC_STALE_READS][r],
                   "rep %u: families %g, total %g", r, sum,
                   sb->value[WORLD_METRIC_STALE_READS][r]);
            sum = sb->family_value[0][WORLD_METRIC_READS][r] +
                  sb->family_value[1][WORLD_METRIC_READS][r];
            EXPECT(sum == sb->value[WORLD_METRIC_READS][r], "rep %u reads: %g vs %g", r,
                   sum, sb->value[WORLD_METRIC_READS][r]);
        }
        run_summary_destroy(sb);
        run_summary_destroy(sa);
    }
    scenario_fini(&both);
    scenario_fini(&alone);
}

static void test_bypass(void) {
    scenario sc;
    char err[1024] = "";
    int rc = load(&sc,
                  "[run]\nduration = 1m\nreps = 3\n"
                  "[workload]\nkeys = 2000\nreads = 1000/s\nwrites = 50/s\n"
                  "[faults]\ndel_fail = 0.2\n"
                  "[family.display]\nkeys = 0.5\n"
                  "[family.quota]\nkeys = 0.5\nbypass = yes\n",
                  err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    if (rc != 0) {
        scenario_fini(&sc);
        return;
    }
    run_summary *s = run_scenario(&sc, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    for (uint32_t r = 0; r < s->reps; r++) {
        double reads = s->family_value[1][WORLD_METRIC_READS][r];
        double dbr = s->family_value[1][WORLD_METRIC_DB_READS_PER_S][r] * 60;
        EXPECT(s->family_value[1][WORLD_METRIC_STALE_READS][r] == 0 && reads > 20000,
               "rep %u: quota %g stale of %g reads", r,
               s->family_value[1][WORLD_METRIC_STALE_READS][r], reads);
        EXPECT(s->family_value[1][WORLD_METRIC_HIT_RATIO][r] == 0 &&
                   fabs(dbr - reads) < 5 &&
                   s->family_figure[1][WORLD_FIGURE_BYPASS_READS][r] >= reads,
               "rep %u: hit ratio %g, %g DB reads for %g reads, bypass %g",
               r, s->family_value[1][WORLD_METRIC_HIT_RATIO][r], dbr, reads,
               s->family_figure[1][WORLD_FIGURE_BYPASS_READS][r]);
        EXPECT(s->family_value[0][WORLD_METRIC_STALE_READS][r] > 0,
               "rep %u: display has no stale read", r);
    }
    run_summary_destroy(s);
    scenario_fini(&sc);
}

/* ---- through the binary -------------------------------------------------- */

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    int c;
    while (b && (c = fgetc(f)) != EOF) {
        if (n + 1 == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
        }
        b[n++] = (char)c;
    }
    fclose(f);
    if (b) b[n] = '\0';
    return b;
}

/* Runs the binary with args; returns its exit status and its stdout. */
static int run_bin(const char *args, char **out) {
    char path[] = "/tmp/stalesim-fam-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    close(fd);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s </dev/null >'%s' 2>/dev/null",
             testing_stalesim(), args, path);
    int st = system(cmd);
    *out = slurp(path);
    unlink(path);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Removes `, "wall_s": X` and `, "events_per_s": X` (wall-clock fields). */
static void strip_wall(char *s) {
    static const char *const keys[] = {", \"wall_s\": ", ", \"events_per_s\": "};
    for (int k = 0; k < 2; k++) {
        char *p = strstr(s, keys[k]);
        if (!p) continue;
        char *e = p + strlen(keys[k]);
        while (*e && strchr("0123456789.eE+-", *e)) e++;
        memmove(p, e, strlen(e) + 1);
    }
}

static void test_no_family_output_unchanged(void) {
    char *out = NULL;
    int rc = run_bin("run experiments/scenarios/account-limits.ini --reps 2 "
                     "--set run.duration=2m --format json",
                     &out);
    char *want = slurp("tests/fixtures/account-limits-2m.json");
    CU_ASSERT_PTR_NOT_NULL_FATAL(want);
    EXPECT(rc == 0 && out, "exit %d", rc);
    if (out) {
        strip_wall(out);
        size_t i = 0;
        while (out[i] && out[i] == want[i]) i++;
        EXPECT(strcmp(out, want) == 0,
               "differs from the fixture at byte %zu: [%.80s] vs [%.80s]", i,
               out + i, want + i);
    }
    free(out);
    free(want);
}

static void test_check_names_family(void) {
    char path[] = "/tmp/stalesim-fam-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    const char *text =
        "[run]\nduration = 1m\nreps = 3\n"
        "[workload]\nkeys = 1000\nreads = 500/s\nwrites = 20/s\n"
        "[faults]\ndel_fail = 0.3\n"
        "[contract]\nmax_stale_fraction = 1\nquantile = 0.5\n"
        "max_staleness = 1h\n"
        "[family.relaxed]\nkeys = 0.5\n"
        "[family.strict]\nkeys = 0.5\ncontract.max_stale_fraction = 1e-6\n";
    CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    char args[256], *out = NULL;
    snprintf(args, sizeof args, "check '%s'", path);
    int rc = run_bin(args, &out);
    EXPECT(rc == 1 && out &&
               strstr(out, "family strict: VIOLATED: ") &&
               strstr(out, "family relaxed: MET: ") &&
               strstr(out, "check: family strict: contract not met") &&
               !strstr(out, "check: family relaxed"),
           "exit %d, stdout [%.1500s]", rc, out ? out : "");
    free(out);
    /* The same file with the strict family relaxed passes. */
    snprintf(args, sizeof args,
             "check '%s' --set family.strict.contract.max_stale_fraction=1",
             path);
    rc = run_bin(args, &out);
    EXPECT(rc == 0, "exit %d, stdout [%.1500s]", rc, out ? out : "");
    free(out);
    unlink(path);
}


/* ---- sweep, summarize and compare on families ----------------------------- */

static const char two_families[] =
    "[run]\nduration = 30s\nreps = 2\n"
    "[workload]\nkeys = 1000\nreads = 500/s\nwrites = 20/s\n"
    "[cache]\nttl = 5s\n"
    "[faults]\ndel_fail = 0.2\n"
    "[family.a]\nkeys = 0.5\n"
    "[family.b]\nkeys = 0.5\nbypass = yes\n";

static void write_file(char *path, const char *text) {
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

static long long sql_int(const char *dbf, const char *sql) {
    sqlite3 *c = NULL;
    long long v = -1;
    if (sqlite3_open_v2(dbf, &c, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(c);
    return v;
}

static void sql_exec(const char *dbf, const char *sql) {
    sqlite3 *c = NULL;
    CU_ASSERT_FATAL(sqlite3_open(dbf, &c) == SQLITE_OK);
    CU_ASSERT(sqlite3_exec(c, sql, NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(c);
}

static void remove_db(const char *dbf) {
    char p[256];
    unlink(dbf);
    snprintf(p, sizeof p, "%s-wal", dbf);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", dbf);
    unlink(p);
}

static void test_sweep_vary_family(void) {
    char ini[] = "/tmp/stalesim-fam-XXXXXX";
    write_file(ini, two_families);
    char dbf[64], args[512], *out = NULL;
    snprintf(dbf, sizeof dbf, "%s.dbf", ini);
    remove_db(dbf);
    snprintf(args, sizeof args, "sweep '%s' --jobs 2 --vary "
             "family.a.ttl=1s,60s --db '%s'", ini, dbf);
    int rc = run_bin(args, &out);
    EXPECT(rc == 0, "sweep exit %d [%s]", rc, out ? out : "");
    free(out);
    /* One family_runs row per run and family, in declaration order. */
    EXPECT(sql_int(dbf, "SELECT count(*) FROM family_runs") == 8,
           "family_runs rows");
    EXPECT(sql_int(dbf, "SELECT count(*) FROM family_runs WHERE idx = 1 AND "
                       "family = 'b'") == 4, "family b rows");
    /* The bypass family: no hit, no stale read, no stale-age bin. */
    EXPECT(sql_int(dbf, "SELECT count(*) FROM family_runs WHERE family = 'b' "
                       "AND (hits <> 0 OR stale_reads <> 0 OR misses = 0)") == 0,
           "bypass family figures");
    EXPECT(sql_int(dbf, "SELECT count(*) FROM family_distributions WHERE "
                       "family = 'b' AND name = 'stale_age_s'") == 0,
           "bypass family stale ages");
    EXPECT(sql_int(dbf, "SELECT count(*) FROM family_distributions WHERE "
                       "family = 'a' AND name = 'stale_age_s'") > 0,
           "family a stale ages");
    EXPECT(sql_int(dbf, "SELECT count(*) FROM family_causes WHERE family = "
                       "'a'") > 0, "family a causes");
    /* The varied TTL reached family a only: its hits grow with the TTL,
     * family b's figures are the same at both points. */
    EXPECT(sql_int(dbf, "SELECT (SELECT sum(f.hits) FROM family_runs f JOIN "
                       "runs r ON r.id = f.run JOIN point_values v ON "
                       "v.point = r.point WHERE f.family = 'a' AND v.value = "
                       "'60s') > (SELECT sum(f.hits) FROM family_runs f JOIN "
                       "runs r ON r.id = f.run JOIN point_values v ON "
                       "v.point = r.point WHERE f.family = 'a' AND v.value = "
                       "'1s')") == 1, "family a hits grow with its TTL");
    /* The totals are the sum of the families' reads. */
    EXPECT(sql_int(dbf, "SELECT count(*) FROM runs r WHERE r.reads <> (SELECT "
                       "sum(reads) FROM family_runs f WHERE f.run = r.id)")
               == 0, "totals = sum of families");

    snprintf(args, sizeof args, "summarize '%s' --by family --format csv", dbf);
    rc = run_bin(args, &out);
    EXPECT(rc == 0 && out && strncmp(out, "family,points,runs,", 19) == 0 &&
               strstr(out, "\n(total),2,4,") && strstr(out, "\na,2,4,") &&
               strstr(out, "\nb,2,4,"),
           "summarize --by family: exit %d [%.600s]", rc, out ? out : "");
    free(out);
    snprintf(args, sizeof args, "summarize '%s' --by family.a.ttl,family", dbf);
    rc = run_bin(args, &out);
    EXPECT(rc == 0 && out &&
               strstr(out, "== family.a.ttl=1s family=a  (1 point, 2 runs)") &&
               strstr(out, "== family.a.ttl=60s family=b  (1 point, 2 runs)"),
           "summarize --by key,family: exit %d [%.600s]", rc, out ? out : "");
    free(out);

    /* A file of this schema version without the family tables (written
     * before them) is read as family-less and gets them when written. */
    sql_exec(dbf, "DROP TABLE family_runs; DROP TABLE family_causes; "
                 "DROP TABLE family_distributions; DROP TABLE "
                 "family_dist_stats;");
    snprintf(args, sizeof args, "summarize '%s' --by family --format csv", dbf);
    rc = run_bin(args, &out);
    EXPECT(rc == 0 && out && strstr(out, "\n(total),2,4,") &&
               !strstr(out, "\na,"), "old file: exit %d [%.400s]", rc,
           out ? out : "");
    free(out);
    snprintf(args, sizeof args, "sweep '%s' --jobs 2 --vary "
             "family.a.ttl=2s --db '%s'", ini, dbf);
    rc = run_bin(args, &out);
    EXPECT(rc == 0, "sweep on an old file: exit %d", rc);
    free(out);
    EXPECT(sql_int(dbf, "SELECT count(*) FROM family_runs") == 4,
           "tables re-created on an old file");

    /* A family the scenario does not declare, and a world-wide key. */
    snprintf(args, sizeof args, "sweep '%s' --vary family.c.ttl=1s --db "
             "'%s'", ini, dbf);
    EXPECT(run_bin(args, &out) == 2, "undeclared family refused");
    free(out);
    snprintf(args, sizeof args, "sweep '%s' --vary "
             "family.a.outage_rate=1 --db '%s'", ini, dbf);
    EXPECT(run_bin(args, &out) == 2, "world-wide key refused");
    free(out);
    remove_db(dbf);
    unlink(ini);
}

/* compare --format json of the two-family scenario (a; b bypassing) with
 * --patterns cache-aside,ttl-only: a "families" object {a, b}, each with
 * the same pattern entries as the totals and the same fields; the
 * families' reads add up to the totals'; bypass family b has no stale reads,
 * no hits and no top cause; family a has every stale read. */
static double metric_mean(json_t *pat, const char *name) {
    json_t *m = json_object_get(
        json_object_get(json_object_get(pat, "metrics"), name), "mean");
    return json_is_number(m) ? json_number_value(m) : NAN;
}

static void check_compare_families_json(const char *out) {
    json_error_t jerr;
    json_t *d = json_loads(out, 0, &jerr);
    EXPECT(d != NULL, "compare json does not parse: line %d: %s", jerr.line,
           jerr.text);
    if (!d) return;
    json_t *P = json_object_get(d, "patterns"), *F = json_object_get(d, "families");
    static const char *const fams[] = {"a", "b"};
    static const char *const names[] = {"cache-aside", "ttl-only"};
    static const char *const fields[] = {"pattern", "metrics", "distributions",
                                         "causes", "top_cause", "best"};
    size_t nf = 0;
    const char *fk;
    json_t *fv;
    json_object_foreach(F, fk, fv) {
        EXPECT(nf < 2 && strcmp(fk, fams[nf]) == 0, "family %zu is %s", nf, fk);
        nf++;
    }
    EXPECT(nf == 2, "%zu families", nf);
    EXPECT(json_is_true(json_object_get(json_object_get(F, "b"), "bypass")) &&
           json_is_false(json_object_get(json_object_get(F, "a"), "bypass")),
           "bypass flags");
    EXPECT(json_array_size(P) == 2, "%zu patterns", json_array_size(P));
    for (size_t i = 0; i < json_array_size(P) && i < 2; i++)
    {
        const char *name =
            json_string_value(json_object_get(json_array_get(P, i), "pattern"));
        EXPECT(name && strcmp(name, names[i]) == 0, "pattern %zu", i);
    }
    json_t *m0 = json_object_get(json_array_get(P, 0), "metrics"),
           *d0 = json_object_get(json_array_get(P, 0), "distributions");
    for (size_t f = 0; f < 2; f++) {
        json_t *fp = json_object_get(json_object_get(F, fams[f]), "patterns");
        EXPECT(json_array_size(fp) == 2, "family %s: %zu patterns", fams[f],
               json_array_size(fp));
        for (size_t i = 0; i < json_array_size(fp) && i < 2; i++) {
            json_t *p = json_array_get(fp, i);
            EXPECT(json_object_size(p) == 6, "family %s pattern %zu: %zu "
                   "fields", fams[f], i, json_object_size(p));
            for (size_t k = 0; k < 6; k++)
                EXPECT(json_object_get(p, fields[k]) != NULL, "%s[%zu].%s",
                       fams[f], i, fields[k]);
            EXPECT(json_object_size(json_object_get(p, "metrics")) ==
                   json_object_size(m0), "%s[%zu] metrics", fams[f], i);
            const char *dk;
            json_t *dv;
            json_object_foreach(json_object_get(p, "distributions"), dk, dv)
                EXPECT(json_object_get(d0, dk) != NULL, "%s[%zu] has %s, the "
                       "totals do not", fams[f], i, dk);
        }
    }
    json_t *fa = json_object_get(json_object_get(F, "a"), "patterns"),
           *fb = json_object_get(json_object_get(F, "b"), "patterns");
    for (size_t i = 0; i < 2; i++) {
        double total = metric_mean(json_array_get(P, i), "reads");
        double sum = metric_mean(json_array_get(fa, i), "reads") +
                     metric_mean(json_array_get(fb, i), "reads");
        EXPECT(fabs(sum - total) <= 1e-6 * total, "reads: %g + ... = %g, "
               "total %g", metric_mean(json_array_get(fa, i), "reads"), sum,
               total);
        json_t *b = json_array_get(fb, i);
        EXPECT(metric_mean(b, "stale_reads") == 0 &&
               metric_mean(b, "hit_ratio") == 0 &&
               json_is_null(json_object_get(b, "top_cause")),
               "bypass family b, pattern %zu", i);
    }
    double sa = metric_mean(json_array_get(fa, 0), "stale_reads");
    EXPECT(sa > 0 && sa == metric_mean(json_array_get(P, 0), "stale_reads"),
           "family a's stale reads %g, total %g", sa,
           metric_mean(json_array_get(P, 0), "stale_reads"));
    json_decref(d);
}

static void test_compare_families(void) {
    char ini[] = "/tmp/stalesim-fam-XXXXXX";
    write_file(ini, two_families);
    char args[512], *out = NULL;
    snprintf(args, sizeof args, "compare '%s' --patterns cache-aside,ttl-only "
             "--format text", ini);
    int rc = run_bin(args, &out);
    const char *a = out ? strstr(out, "\nfamily a:\n") : NULL;
    const char *b = out ? strstr(out, "\nfamily b (bypass") : NULL;
    EXPECT(rc == 0 && a && b && a < b && strstr(out, "Held equal") < a,
           "compare: exit %d [%.3000s]", rc, out ? out : "");
    /* The bypass family's table: nothing stale, no hit, for both rows. */
    if (b) {
        const char *row = strstr(b, "\ncache-aside");
        EXPECT(row && strstr(row, " 0% "), "bypass row [%.300s]",
               row ? row : "");
    }
    free(out);

    /* json: a "families" object, the totals' per-pattern entries per
     * family; the families' reads add up to the totals'. */
    snprintf(args, sizeof args, "compare '%s' --patterns cache-aside,ttl-only "
             "--format json", ini);
    rc = run_bin(args, &out);
    EXPECT(rc == 0 && out && strstr(out, "\n \"families\": {"),
           "compare json: exit %d [%.600s]", rc, out ? out : "");
    if (rc == 0 && out) check_compare_families_json(out);
    free(out);

    /* csv: a first column `family`, the totals as "(total)", then one row
     * per family and pattern, every row as wide as the header. */
    snprintf(args, sizeof args, "compare '%s' --patterns cache-aside,ttl-only "
             "--format csv", ini);
    rc = run_bin(args, &out);
    EXPECT(rc == 0 && out &&
               strncmp(out, "family,pattern,reps,seed,", 25) == 0 &&
               strstr(out, "\n(total),cache-aside,") &&
               strstr(out, "\n(total),ttl-only,") &&
               strstr(out, "\na,cache-aside,") && strstr(out, "\na,ttl-only,") &&
               strstr(out, "\nb,cache-aside,2,1,0,") && strstr(out, "\nb,ttl-only,"),
           "compare csv: exit %d [%.600s]", rc, out ? out : "");
    if (out) {
        int lines = 0, fields = -1, same = 1;
        for (const char *p = out; *p; lines++) {
            const char *e = strchr(p, '\n');
            if (!e) e = p + strlen(p);
            int f = 1;
            for (const char *q = p; q < e; q++) f += *q == ',';
            if (fields < 0) fields = f;
            same &= f == fields;
            p = *e ? e + 1 : e;
        }
        EXPECT(lines == 7 && same, "csv: %d lines, widths equal %d", lines,
               same);
    }
    free(out);
    unlink(ini);

    /* Without families: neither a family column nor a "families" object. */
    rc = run_bin("compare --set run.duration=10s --reps 2 --patterns "
                 "cache-aside --format csv", &out);
    EXPECT(rc == 0 && out && strncmp(out, "pattern,reps,seed,", 18) == 0 &&
               !strstr(out, "(total)"),
           "family-less csv: exit %d [%.300s]", rc, out ? out : "");
    free(out);
    rc = run_bin("compare --set run.duration=10s --reps 2 --patterns "
                 "cache-aside --format json", &out);
    EXPECT(rc == 0 && out && !strstr(out, "\"families\"") &&
               strstr(out, "\n ]}\n"),
           "family-less json: exit %d [%.300s]", rc, out ? out : "");
    free(out);
}

static CU_TestInfo tests[] = {
    {"parse errors name FILE:LINE and the key", test_parse_errors},
    {"view, --set family.NAME.section.key, resolve", test_view_and_set},
    {"a family beside another measures as alone", test_alone_and_beside},
    {"bypass: no stale read, every read to the DB", test_bypass},
    {"no [family.*]: output byte-identical to before", test_no_family_output_unchanged},
    {"check fails naming the family", test_check_names_family},
    {"sweep --vary family.NAME.KEY, family tables, summarize --by family",
     test_sweep_vary_family},
    {"compare: one table per family", test_compare_families},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("families", NULL, NULL, tests)
