/* End-to-end tests of `stalesim sweep --rare` and of what reads its runs
 * (docs/rare-events.md, docs/sweep.md), through the real binary.
 *
 * What is pinned.  A --rare sweep stores every run with the boost of its
 * point (each point its own automatic boost, or --boost B) and its
 * importance-sampling figures; summarized, a point's figures and weighted
 * stale fraction equal those of `run --rare` of the same scenario and seed.
 * A plain run and a boosted run, or runs of two boosts, are never resumed,
 * reused or pooled as one, in either order: a --rare sweep of a grid swept
 * plainly runs everything, a --rare re-run reuses all, a --boost equal to a
 * point's automatic boost reuses exactly that point.  Forked workers
 * (--jobs 1 and 2), MPI ranks (mpirun -n 3, where mpirun exists) and
 * shards put back together by merge store the same runs.  `check --db` on a
 * boosted point gives `check --rare`'s verdict byte for byte.  summarize
 * says the experiment is weighted and gives the effective sample size in
 * every format; a plain experiment's output has none of it.  A file from
 * before the rare-event columns reads as plain and gets them on writing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <jansson.h>
#include <sqlite3.h>

#include "tests/testing.h"

/* del_fail 1e-4: the automatic boost is 100 (p' = 1%), 1e-5 gives 1000;
 * about 40 boosted faults per point over 3 replications. */
static const char scenario_text[] =
    "[run]\nduration = 60s\nreps = 3\nseed = 7\n"
    "[workload]\nkeys = 200\nreads = 400/s\nwrites = 20/s\n"
    "[cache]\npattern = cache-aside\nttl = 30s\n"
    "[faults]\ndel_fail = 1e-4\n"
    "[contract]\nmax_staleness = 1s\nquantile = 0.9999\n"
    "max_stale_fraction = 1e-4\n";

#define GRID "--vary faults.del_fail=1e-4,1e-5"

static char *ini;
static char dir[64], rare_db[128];

static const char *in_dir(const char *name) {
    static char buf[4][160];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

/* `stalesim ARGS` must exit 0; its stdout (malloc'd). */
static char *ok_(int line, const char *args) {
    cli_run r;
    testing_run_(__FILE__, line, &r, args);
    EXPECT(r.status == 0, "line %d: exit %d for [%s]: %s", line, r.status,
           args, r.err);
    free(r.err);
    return r.out;
}
#define OK(args) ok_(__LINE__, args)

static int suite_init(void) {
    snprintf(dir, sizeof dir, "/tmp/stalesim-test-rs-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    snprintf(rare_db, sizeof rare_db, "%s/rare.db", dir);
    ini = testing_temp_file(scenario_text);
    if (!ini) return 1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' sweep '%s' --rare " GRID " --jobs 2 --db '%s' >/dev/null "
             "2>&1",
             testing_stalesim(), ini, rare_db);
    return system(cmd) == 0 ? 0 : 1;
}

static int suite_clean(void) {
    testing_remove_temp(ini);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}

/* ---- what a --rare sweep stores ---------------------------------------------- */

static double jnum(json_t *o, const char *path1, const char *path2) {
    json_t *v = json_object_get(o, path1);
    if (v && path2) v = json_object_get(v, path2);
    return v && json_is_number(v) ? json_number_value(v) : NAN;
}

/* The summarize JSON group of point `del_fail` against `run --rare` of that
 * configuration: the same boost, faults, weighted stale reads, overlaps,
 * effective sample size and weighted stale fraction. */
static void expect_point_is_run(json_t *groups, const char *del_fail,
                                double boost) {
    json_t *g = NULL;
    size_t i;
    json_t *each;
    json_array_foreach(groups, i, each) {
        json_t *v = json_object_get(json_object_get(each, "values"),
                                    "faults.del_fail");
        if (v && strcmp(json_string_value(v), del_fail) == 0) g = each;
    }
    EXPECT(g != NULL, "no group of faults.del_fail=%s", del_fail);
    if (!g) return;
    char a[512];
    snprintf(a, sizeof a, "run '%s' --rare --set faults.del_fail=%s --format "
             "json", ini, del_fail);
    char *out = OK(a);
    json_t *run = json_loads(out, 0, NULL);
    free(out);
    EXPECT(run != NULL, "run --format json does not parse");
    if (!run) return;
    json_t *rr = json_object_get(run, "rare"), *gr = json_object_get(g, "rare");
    EXPECT(rr && gr, "a rare member is missing (run %p, summarize %p)",
           (void *)rr, (void *)gr);
    static const char *field[] = {"boost", "ess", "faults",
                                  "weighted_stale_reads", "overlaps",
                                  "overlap_stale_reads"};
    for (size_t f = 0; rr && gr && f < sizeof field / sizeof *field; f++) {
        double x = jnum(rr, field[f], NULL), y = jnum(gr, field[f], NULL);
        EXPECT(x == y || fabs(x - y) <= 1e-12 * fabs(x),
               "del_fail %s: rare.%s %.17g (run) against %.17g (stored)",
               del_fail, field[f], x, y);
    }
    EXPECT(fabs(jnum(gr, "boost", NULL) - boost) <= 1e-9 * boost,
           "del_fail %s: boost %.17g, expected %g", del_fail,
           jnum(gr, "boost", NULL), boost);
    EXPECT(jnum(gr, "faults", NULL) >= 30,
           "del_fail %s: only %g boosted faults", del_fail,
           jnum(gr, "faults", NULL));
    json_t *rm = json_object_get(json_object_get(run, "metrics"),
                                 "stale_read_fraction");
    json_t *gm = json_object_get(json_object_get(g, "metrics"),
                                 "stale_read_fraction");
    double x = jnum(rm, "mean", NULL), y = jnum(gm, "mean", NULL);
    EXPECT(x > 0 && fabs(x - y) <= 1e-12 * x,
           "del_fail %s: stale_read_fraction %.17g (run --rare) against "
           "%.17g (stored)", del_fail, x, y);
    json_decref(run);
}

static void test_stores_weighted(void) {
    EXPECT(testing_db_int(rare_db, "SELECT count(*) FROM runs") == 6 &&
               testing_db_int(rare_db, "SELECT count(*) FROM runs WHERE "
                              "rare_boost IS NULL") == 0,
           "6 boosted runs expected");
    EXPECT(testing_db_int(rare_db, "SELECT count(*) FROM experiments WHERE "
                          "rare = 'auto'") == 1,
           "experiments.rare is not 'auto'");
    EXPECT(testing_db_int(rare_db, "SELECT count(*) FROM runs WHERE "
                          "rare_ess > 0 AND abs(rare_ess - rare_weight_sum * "
                          "rare_weight_sum / rare_weight_sq_sum) <= 1e-9 * "
                          "rare_ess") == 6,
           "runs.rare_ess is not each run's sum^2 / sq_sum");
    char a[512];
    snprintf(a, sizeof a, "summarize '%s' --format json", rare_db);
    char *out = OK(a);
    json_t *s = json_loads(out, 0, NULL);
    EXPECT(s != NULL, "summarize --format json does not parse: %.300s", out);
    free(out);
    if (!s) return;
    json_t *e = json_object_get(s, "experiment");
    EXPECT(json_is_string(json_object_get(e, "rare")) &&
               strcmp(json_string_value(json_object_get(e, "rare")),
                      "auto") == 0,
           "experiment.rare is not \"auto\"");
    json_t *groups = json_object_get(s, "groups");
    expect_point_is_run(groups, "1e-4", 100);
    expect_point_is_run(groups, "1e-5", 1000);
    json_decref(s);
}

/* ---- identity: plain and boosted runs are never taken for each other -------- */

/* The sweep's stdout holds every needle. */
static void sweep_expect_(int line, const char *db, const char *flags,
                          const char *const *needles, size_t n) {
    char a[512];
    snprintf(a, sizeof a, "sweep '%s' " GRID " %s --jobs 2 --db '%s'", ini,
             flags, db);
    char *out = ok_(line, a);
    for (size_t i = 0; out && i < n; i++)
        EXPECT(strstr(out, needles[i]) != NULL,
               "line %d: [%s]: no '%s' in [%s]", line, flags, needles[i],
               out);
    free(out);
}
#define SWEEP_EXPECT(db, flags, ...)                                          \
    do {                                                                      \
        static const char *const n_[] = {__VA_ARGS__};                        \
        sweep_expect_(__LINE__, db, flags, n_, sizeof n_ / sizeof *n_);       \
    } while (0)

static void test_never_pooled(void) {
    const char *db = in_dir("identity.db");
    SWEEP_EXPECT(db, "", "experiment 1 (new)", "6 runs run");
    /* plain, then boosted: everything runs again, nothing is reused */
    SWEEP_EXPECT(db, "--rare", "experiment 2 (new)", "6 runs run",
                 "0 already stored");
    /* the --rare re-run reuses all, the plain re-run too */
    SWEEP_EXPECT(db, "--rare", "experiment 2 (resumed)", "0 runs run",
                 "6 already stored");
    SWEEP_EXPECT(db, "", "experiment 1 (resumed)", "0 runs run",
                 "6 already stored");
    /* --boost 100 is the 1e-4 point's automatic boost: a new experiment
     * that reuses exactly that point's runs */
    SWEEP_EXPECT(db, "--boost 100", "experiment 3 (new)", "3 runs run",
                 "3 of them reused", "boosted x100;");
    /* another boost shares nothing */
    SWEEP_EXPECT(db, "--boost 50", "experiment 4 (new)", "6 runs run",
                 "0 already stored");
    char sql[512];
    /* every run is of its experiment's kind and boost */
    EXPECT(testing_db_int(db, "SELECT count(*) FROM runs r JOIN points p ON "
                          "p.id = r.point JOIN experiments e ON e.id = "
                          "p.experiment WHERE (e.rare = '') != (r.rare_boost "
                          "IS NULL) OR (e.rare NOT IN ('', 'auto') AND "
                          "r.rare_boost != CAST(e.rare AS REAL))") == 0,
           "a run of another kind or boost than its experiment");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT point FROM runs "
             "GROUP BY point HAVING count(DISTINCT coalesce(rare_boost, 0)) "
             "> 1)");
    EXPECT(testing_db_int(db, sql) == 0, "a point mixing boosts");
    /* the reused runs are the boosted runs of the --rare sweep */
    EXPECT(testing_db_int(db, "SELECT count(*) FROM runs a JOIN points pa ON "
                          "pa.id = a.point JOIN runs b ON b.rep = a.rep JOIN "
                          "points pb ON pb.id = b.point WHERE pa.experiment "
                          "= 3 AND pb.experiment = 2 AND pa.idx = 0 AND "
                          "pb.idx = 0 AND a.stale_read_fraction = "
                          "b.stale_read_fraction AND a.rare_boost = "
                          "b.rare_boost AND a.rare_weight_sq_sum = "
                          "b.rare_weight_sq_sum") == 3,
           "experiment 3 point 0 is not a copy of experiment 2's");
    EXPECT(testing_db_int(db, "SELECT count(*) FROM runs WHERE rare_boost = "
                          "50") == 6, "--boost 50 stored as 50");
}

/* A point with no fault to boost: warned of, stored with boost 1, and not
 * reused by the plain sweep of the same point. */
static void test_nothing_to_boost(void) {
    const char *db = in_dir("nothing.db");
    char a[512];
    cli_run r;
    snprintf(a, sizeof a, "sweep '%s' --rare --vary faults.del_fail=0,1e-4 "
             "--jobs 2 --db '%s'", ini, db);
    RUN(&r, a);
    EXPECT(r.status == 0 &&
               strstr(r.err, "stalesim: warning: sweep --rare: "
                             "faults.del_fail=0 has no fault that --rare "
                             "boosts") &&
               !strstr(r.err, "faults.del_fail=1e-4 has no"),
           "exit %d [%s]", r.status, r.err);
    testing_run_free(&r);
    EXPECT(testing_db_int(db, "SELECT count(*) FROM runs r JOIN points p ON "
                          "p.id = r.point WHERE p.idx = 0 AND r.rare_boost = "
                          "1") == 3,
           "the point without faults is not stored with boost 1");
    SWEEP_EXPECT(db, "", "experiment 2 (new)", "6 runs run",
                 "0 already stored");
}

/* ---- workers ------------------------------------------------------------------- */

static void test_workers_agree(void) {
    const char *one = in_dir("one.db");
    char a[512];
    snprintf(a, sizeof a, "sweep '%s' --rare " GRID " --jobs 1 --db '%s'",
             ini, one);
    free(OK(a));
    char *x = testing_dump_results(rare_db), *y = testing_dump_results(one);
    EXPECT(x && strstr(x, "rare:\n") && strstr(x, "|100|"),
           "the dump has no rare figures: %.300s", x ? x : "(null)");
    EXPECT_SAME_DUMP("--rare: --jobs 2 against --jobs 1", x, y);
    free(y);
    /* two shards put back together */
    char s1[160], s2[160], merged[160];
    snprintf(s1, sizeof s1, "%s", in_dir("s1.db"));
    snprintf(s2, sizeof s2, "%s", in_dir("s2.db"));
    snprintf(merged, sizeof merged, "%s", in_dir("merged.db"));
    snprintf(a, sizeof a, "sweep '%s' --rare " GRID " --shard 1/2 --jobs 1 "
             "--db '%s'", ini, s1);
    free(OK(a));
    snprintf(a, sizeof a, "sweep '%s' --rare " GRID " --shard 2/2 --jobs 1 "
             "--db '%s'", ini, s2);
    free(OK(a));
    snprintf(a, sizeof a, "merge '%s' '%s' '%s'", merged, s1, s2);
    free(OK(a));
    y = testing_dump_results(merged);
    EXPECT_SAME_DUMP("--rare: merged shards against one sweep", x, y);
    free(y);
    free(x);
    /* a plain shard is not a shard of the --rare sweep */
    const char *plain = in_dir("plain-shard.db");
    snprintf(a, sizeof a, "sweep '%s' " GRID " --shard 2/2 --jobs 1 --db "
             "'%s'", ini, plain);
    free(OK(a));
    cli_run r;
    snprintf(a, sizeof a, "merge '%s' '%s' '%s'", in_dir("bad-merge.db"), s1,
             plain);
    RUN(&r, a);
    EXPECT(r.status == 2 && strstr(r.err, "rare-event setting"),
           "exit %d [%s]", r.status, r.err);
    testing_run_free(&r);
}

static int have_mpirun(void) {
    return system("command -v mpirun >/dev/null 2>&1") == 0;
}
TESTS_NEED("raresweep", "mpirun -n 3 stores the same weighted runs",
           have_mpirun, "no mpirun")

static void test_mpi(void) {
    const char *db = in_dir("mpi.db");
    char cmd[1024];
    /* OpenMPI's plugins leak what they allocate (as suite scale notes, its
     * ranks run without LeakSanitizer under make test-asan). */
    snprintf(cmd, sizeof cmd,
             "ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} "
             "mpirun -n 3 --oversubscribe %s '%s' sweep '%s' --rare " GRID
             " --db '%s' >/dev/null 2>&1",
             geteuid() == 0 ? "--allow-run-as-root" : "", testing_stalesim(),
             ini, db);
    EXPECT(system(cmd) == 0, "%s", cmd);
    char *x = testing_dump_results(rare_db), *y = testing_dump_results(db);
    EXPECT_SAME_DUMP("--rare: mpirun -n 3 against --jobs 2", x, y);
    free(x);
    free(y);
}

/* ---- check --db ------------------------------------------------------------------ */

/* `check FRESH` and `check --db DB STORED`: the same exit code, stdout
 * equal after check --db's first line, which says the runs are weighted
 * with `boost`. */
static void expect_same_verdict_(int line, const char *fresh, const char *db,
                                 const char *stored, const char *boost) {
    char a[1024];
    cli_run f, s;
    snprintf(a, sizeof a, "check '%s' --jobs 2 %s", ini, fresh);
    testing_run_(__FILE__, line, &f, a);
    snprintf(a, sizeof a, "check --db '%s' %s", db, stored);
    testing_run_(__FILE__, line, &s, a);
    EXPECT(f.status == s.status && (f.status == 0 || f.status == 1),
           "line %d: exit %d fresh, %d stored [%s]", line, f.status, s.status,
           s.err);
    const char *nl = strchr(s.out, '\n');
    char want[96];
    snprintf(want, sizeof want, "rare-event weighted (sweep --rare, boost %s)",
             boost);
    EXPECT(nl && strstr(s.out, want) && strstr(s.out, want) < nl,
           "line %d: the first line does not say '%s': [%.300s]", line, want,
           s.out);
    EXPECT(strstr(f.out, "rare-event estimation (--rare)") &&
               strstr(f.out, "the floor is divided by the boost"),
           "line %d: check --rare did not estimate: [%.300s]", line, f.out);
    EXPECT(nl && strcmp(f.out, nl + 1) == 0,
           "line %d: verdicts differ: fresh [%s] stored [%s]", line, f.out,
           nl ? nl + 1 : "");
    testing_run_free(&f);
    testing_run_free(&s);
}
#define EXPECT_SAME_VERDICT(fresh, db, stored, boost)                         \
    expect_same_verdict_(__LINE__, fresh, db, stored, boost)

static void test_check_db(void) {
    EXPECT_SAME_VERDICT("--rare --set faults.del_fail=1e-5", rare_db,
                        "--where faults.del_fail=1e-5", "1000");
    EXPECT_SAME_VERDICT("--rare", rare_db, "--where faults.del_fail=1e-4",
                        "100");
    /* --boost by hand, nothing varied */
    const char *db = in_dir("boost.db");
    char a[512];
    snprintf(a, sizeof a, "sweep '%s' --boost 30 --jobs 2 --db '%s'", ini,
             db);
    free(OK(a));
    EXPECT_SAME_VERDICT("--boost 30", db, "", "30");
    cli_run r;
    snprintf(a, sizeof a, "check --db '%s' --rare", db);
    RUN(&r, a);
    EXPECT(r.status == 2 && strstr(r.err, "--rare and --boost do not apply"),
           "exit %d [%s]", r.status, r.err);
    testing_run_free(&r);
}

/* ---- summarize ------------------------------------------------------------------- */

/* The number of fields of a CSV line without quotes. */
static size_t csv_fields(const char *line, size_t len) {
    size_t n = 1;
    for (size_t i = 0; i < len; i++) n += line[i] == ',';
    return n;
}

static void test_summarize(void) {
    char a[512];
    snprintf(a, sizeof a, "summarize '%s'", rare_db);
    char *out = OK(a);
    EXPECT(out && strstr(out, "rare-event estimation (sweep --rare)") &&
               strstr(out, "rare-event estimation: boost x100, ") &&
               strstr(out, "rare-event estimation: boost x1000, ") &&
               strstr(out, "effective sample size"),
           "[%s]", out);
    free(out);
    snprintf(a, sizeof a, "summarize '%s' --format csv", rare_db);
    out = OK(a);
    const char *nl = out ? strchr(out, '\n') : NULL;
    EXPECT(nl && strstr(out, ",rare_boost_min,rare_boost_max,rare_ess,") &&
               strstr(out, ",rare_overlap_stale_reads\n") &&
               csv_fields(out, (size_t)(nl - out)) ==
                   csv_fields(nl + 1, strcspn(nl + 1, "\n")),
           "[%s]", out);
    free(out);
    snprintf(a, sizeof a, "summarize '%s' --format markdown", rare_db);
    out = OK(a);
    EXPECT(out && strstr(out, "Rare-event estimation (`sweep --rare`)") &&
               strstr(out, " boost | ESS |\n") && strstr(out, " | 100 | "),
           "[%s]", out);
    free(out);
    /* a plain experiment says none of it */
    const char *db = in_dir("plain.db");
    snprintf(a, sizeof a, "sweep '%s' " GRID " --jobs 2 --db '%s'", ini, db);
    free(OK(a));
    static const char *const fmt[] = {"text", "csv", "json", "markdown"};
    for (size_t f = 0; f < 4; f++) {
        snprintf(a, sizeof a, "summarize '%s' --format %s", db, fmt[f]);
        out = OK(a);
        EXPECT(out && !strstr(out, "rare") && !strstr(out, "Rare") &&
                   !strstr(out, "ESS"),
               "%s of a plain experiment: [%.400s]", fmt[f], out);
        free(out);
    }
}

/* ---- report ----------------------------------------------------------------------- */

/* The verdict word check --db gives the point del_fail of db, as report
 * writes it. */
static const char *check_word(const char *db, const char *del_fail) {
    char a[512];
    cli_run r;
    snprintf(a, sizeof a, "check --db '%s' --where faults.del_fail=%s", db,
             del_fail);
    RUN(&r, a);
    const char *nl = strchr(r.out, '\n');
    const char *w = !nl                                   ? "?"
                    : strncmp(nl + 1, "check: MET", 10) == 0 ? "met"
                    : strncmp(nl + 1, "check: VIOLATED", 15) == 0
                        ? "VIOLATED"
                        : "not demonstrated";
    testing_run_free(&r);
    return w;
}

static void test_report(void) {
    char a[512], doc[160];
    snprintf(doc, sizeof doc, "%s", in_dir("review.md"));
    snprintf(a, sizeof a, "report '%s' -o '%s' --size 400x300", rare_db, doc);
    free(OK(a));
    char *md = testing_slurp(doc);
    EXPECT(md && strstr(md, "**Rare-event estimation** (`sweep --rare`)") &&
               strstr(md, "Boost x100 to x1000;") &&
               strstr(md, "effective sample size of the stale reads' "
                          "weights"),
           "[%.1500s]", md ? md : "(none)");
    /* the verdicts are check --db's, which are check --rare's */
    static const char *const point[] = {"1e-4", "1e-5"};
    for (size_t i = 0; md && i < 2; i++) {
        char want[96];
        snprintf(want, sizeof want, "**del\\_fail=%s**: %s", point[i],
                 check_word(rare_db, point[i]));
        EXPECT(strstr(md, want) != NULL, "no '%s' in the report", want);
    }
    /* the timeline reruns a boosted replication: the stored one */
    EXPECT(md && strstr(md, "](review-timeline.png)") &&
               strstr(md, "rerun with its faults boosted x"),
           "no timeline drawn: [%.400s]",
           md && strstr(md, "step by step") ? strstr(md, "step by step")
                                             : "");
    free(md);
}

/* ---- compare --rare ----------------------------------------------------------------- */

/* Field `col` (0-based) of a CSV line whose fields hold no comma. */
static double csv_field_num(const char *line, size_t col) {
    for (size_t i = 0; i < col && line; i++) {
        line = strchr(line, ',');
        if (line) line++;
    }
    return line && *line != ',' && *line != '\n' ? strtod(line, NULL) : NAN;
}

/* The index of column `name` in a CSV header line, or -1. */
static long csv_column(const char *header, const char *name) {
    size_t n = strlen(name), col = 0;
    for (const char *p = header; *p && *p != '\n'; col++) {
        size_t len = strcspn(p, ",\n");
        if (len == n && strncmp(p, name, n) == 0) return (long)col;
        p += len + (p[len] == ',');
    }
    return -1;
}

static void test_compare(void) {
    char a[512];
    snprintf(a, sizeof a, "compare '%s' --rare --patterns "
             "cache-aside,write-through --jobs 2 --format json", ini);
    char *out = OK(a);
    json_t *j = out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    EXPECT(j != NULL, "compare --format json does not parse");
    snprintf(a, sizeof a, "compare '%s' --rare --patterns "
             "cache-aside,write-through --jobs 2 --format csv", ini);
    char *csv = OK(a);
    static const char *const field[] = {"boost", "ess", "faults",
                                        "weighted_stale_reads", "overlaps",
                                        "overlap_stale_reads"};
    json_t *pats = json_object_get(j, "patterns");
    EXPECT(json_array_size(pats) == 2, "%zu patterns in the JSON",
           json_array_size(pats));
    const char *row = csv ? strchr(csv, '\n') : NULL;
    for (size_t i = 0; csv && row && i < json_array_size(pats); i++) {
        row++;
        json_t *rare = json_object_get(json_array_get(pats, i), "rare");
        EXPECT(rare != NULL, "pattern %zu has no rare member", i);
        for (size_t f = 0; rare && f < 6; f++) {
            char name[64];
            snprintf(name, sizeof name, "rare.%s", field[f]);
            long col = csv_column(csv, name);
            double x = jnum(rare, field[f], NULL),
                   y = col < 0 ? NAN : csv_field_num(row, (size_t)col);
            EXPECT(col >= 0 && fabs(x - y) <= 1e-9 * fabs(x),
                   "pattern %zu: %s %.10g in the JSON, %.10g in the CSV "
                   "(column %ld)", i, name, x, y, col);
        }
        row = strchr(row, '\n');
    }
    EXPECT(j && jnum(json_object_get(json_array_get(pats, 0), "rare"),
                     "faults", NULL) >= 30,
           "cache-aside: too few boosted faults");
    free(csv);
    json_decref(j);
    /* plain compare: no rare column */
    snprintf(a, sizeof a, "compare '%s' --patterns cache-aside --jobs 2 "
             "--format csv", ini);
    csv = OK(a);
    EXPECT(csv && !strstr(csv, "rare."), "[%.300s]", csv);
    free(csv);
}

/* ---- older files ------------------------------------------------------------------ */

static void test_older_file(void) {
    const char *db = in_dir("old.db");
    char a[512];
    snprintf(a, sizeof a, "sweep '%s' " GRID " --jobs 2 --db '%s'", ini, db);
    free(OK(a));
    /* as a build before the rare-event columns left it */
    sqlite3 *conn;
    int rc = sqlite3_open(db, &conn);
    static const char *const col[] = {
        "rare_boost", "rare_faults", "rare_weighted_stale_reads",
        "rare_weight_sum", "rare_weight_sq_sum", "rare_overlaps",
        "rare_overlap_stale_reads", "rare_ess"};
    for (size_t i = 0; rc == SQLITE_OK && i < 8; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "ALTER TABLE runs DROP COLUMN %s", col[i]);
        rc = sqlite3_exec(conn, sql, NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(conn, "ALTER TABLE experiments DROP COLUMN rare",
                          NULL, NULL, NULL);
    EXPECT(rc == SQLITE_OK, "%s", sqlite3_errmsg(conn));
    sqlite3_close(conn);
    /* read-only readers take it as plain */
    snprintf(a, sizeof a, "summarize '%s' --format json", db);
    char *out = OK(a);
    EXPECT(out && !strstr(out, "rare"), "[%.300s]", out);
    free(out);
    snprintf(a, sizeof a, "check --db '%s' --where faults.del_fail=1e-4", db);
    cli_run r;
    RUN(&r, a);
    EXPECT((r.status == 0 || r.status == 1) && !strstr(r.out, "rare"),
           "exit %d [%s] [%s]", r.status, r.out, r.err);
    testing_run_free(&r);
    /* a writer adds the columns: the plain experiment resumes as plain,
     * a --rare sweep is a new one */
    SWEEP_EXPECT(db, "", "experiment 1 (resumed)", "0 runs run");
    SWEEP_EXPECT(db, "--rare", "experiment 2 (new)", "6 runs run");
    EXPECT(testing_db_int(db, "SELECT count(*) FROM runs WHERE rare_boost IS "
                          "NULL") == 6,
           "the plain runs did not stay plain");
}

static CU_TestInfo tests[] = {
    {"a --rare sweep stores run --rare's weighted runs", test_stores_weighted},
    {"plain and boosted runs are never reused for each other",
     test_never_pooled},
    {"a point with nothing to boost", test_nothing_to_boost},
    {"--jobs 1, --jobs 2 and merged shards store the same runs",
     test_workers_agree},
    {"mpirun -n 3 stores the same weighted runs", test_mpi},
    {"check --db: the verdict of check --rare", test_check_db},
    {"summarize: weighted, with the effective sample size", test_summarize},
    {"report: weighted, judged as check --rare judges", test_report},
    {"compare --rare: per-pattern figures in CSV and JSON", test_compare},
    {"a file from before the rare-event columns", test_older_file},
    CU_TEST_INFO_NULL};

TESTS_REGISTER("raresweep", suite_init, suite_clean, tests)
