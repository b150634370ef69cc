/* `stalesim summarize DB`: for every point of a sweep (or every group of
 * points sharing the values of the --by keys, their runs pooled), each
 * metric's mean and 95% half-width and each distribution's quantiles, read
 * back from the database (opened read-only).  The printing is in
 * summary_print.c.  Exit 0, 2 bad usage or input, 3 runtime failure. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/results.h"
#include "experiments/summary.h"

enum { SUM_EXPERIMENT = 1, SUM_BY, SUM_FORMAT };

static const cli_opt summarize_opts[] = {
    {SUM_EXPERIMENT, "--experiment", NULL, "ID", 0,
     "which experiment (default: the latest)"},
    {SUM_BY, "--by", NULL, "KEY", CLI_OPT_REPEAT,
     "group by this varied key (repeatable, or comma-separated)"},
    {SUM_FORMAT, "--format", NULL, "F", 0,
     "text (default), csv, json or markdown"},
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_summarize_spec = {
    "summarize", "DB", NULL, 0, summarize_opts,
    "For every point of a sweep (or every group of points sharing the values "
    "of\n"
    "the --by keys, their runs pooled): each metric's mean, 95% Student-t\n"
    "half-width and number of runs, and the quantiles p50, p90, p99, p999 "
    "and\n"
    "max of every distribution from the stored histogram bins.\n",
    NULL};

/* Pools one run's metrics, distributions (NULL: none) and causes. */
static int group_add(summary_group *g, const double *metric,
                     const sim_hist *const *dist, const uint64_t *causes) {
    g->runs++;
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        double x = metric[m];
        if (isnan(x)) continue;
        if (g->n[m] == g->cap[m]) {
            size_t cap = g->cap[m] ? 2 * g->cap[m] : 16;
            double *p = realloc(g->value[m], cap * sizeof *p);
            if (!p) {
                g->oom = 1;
                return -1;
            }
            g->value[m] = p;
            g->cap[m] = cap;
        }
        g->value[m][g->n[m]++] = x;
    }
    for (int d = 0; d < WORLD_DIST_COUNT; d++)
        if (dist[d]) sim_hist_merge(&g->dist[d], dist[d]);
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) g->causes[c] += causes[c];
    return 0;
}

/* A boosted run's importance-sampling figures (sweep --rare). */
static void group_add_rare(summary_group *g, const world_result *res) {
    if (!(res->rare_boost > 0)) return;
    if (!g->rare_runs++ || res->rare_boost < g->rare_boost_lo)
        g->rare_boost_lo = res->rare_boost;
    if (res->rare_boost > g->rare_boost_hi) g->rare_boost_hi = res->rare_boost;
    g->rare_w += res->rare_stale_w;
    g->rare_w2 += res->rare_stale_w2;
    g->rare_faults += res->rare_faults;
    g->rare_weighted += res->rare_weighted;
    g->rare_overlaps += res->rare_overlaps;
    g->rare_overlap_stale += res->rare_overlap_stale;
}

static int group_add_run(void *arg, uint32_t rep, const world_result *res) {
    (void)rep;
    group_add_rare(arg, res);
    const sim_hist *dist[WORLD_DIST_COUNT];
    for (int d = 0; d < WORLD_DIST_COUNT; d++) dist[d] = &res->dist[d];
    return group_add(arg, res->metric, dist, res->stale_by_cause);
}

static void summary_fini(summary *s) {
    for (size_t i = 0; i < s->ngroups; i++)
        for (int m = 0; m < WORLD_METRIC_COUNT; m++) free(s->group[i].value[m]);
    free(s->group);
    free(s->by);
    results_experiment_fini(&s->e);
}

/* --by family: the group of point p's by-key values and `family`, created
 * when new (s->group has room for every point times every family). */
static summary_group *family_group(summary *s, size_t p, const char *family) {
    const results_point *pt = &s->e.point[p];
    size_t gi = 0;
    for (; gi < s->ngroups; gi++) {
        const summary_group *g = &s->group[gi];
        if (strcmp(g->family, family) != 0) continue;
        const results_point *f = &s->e.point[g->first];
        size_t k = 0;
        while (k < s->nby &&
               (s->by[k] == BY_FAMILY ||
                strcmp(f->value[s->by[k]], pt->value[s->by[k]]) == 0))
            k++;
        if (k == s->nby) break;
    }
    summary_group *g = &s->group[gi];
    if (gi == s->ngroups) {
        s->ngroups++;
        g->first = p;
        snprintf(g->family, sizeof g->family, "%s", family);
        for (int d = 0; d < WORLD_DIST_COUNT; d++) sim_hist_init(&g->dist[d]);
    }
    if (g->last_point != p + 1) {
        g->last_point = p + 1;
        g->points++;
        if (!pt->done) g->incomplete = 1;
    }
    return g;
}

typedef struct family_ctx {
    summary *s;
    size_t point;
    int oom;
} family_ctx;

static int family_add_run(void *arg, uint32_t rep, const world_result *res) {
    (void)rep;
    family_ctx *c = arg;
    summary_group *g = family_group(c->s, c->point, TOTAL_FAMILY);
    if (group_add_run(g, rep, res) != 0) {
        c->oom = 1;
        return -1;
    }
    for (int f = 0; f < res->nfamilies; f++) {
        const sim_hist *dist[WORLD_DIST_COUNT] = {NULL};
        for (int d = 0; d < WORLD_FDIST_COUNT; d++)
            dist[world_family_dist[d]] = &res->family_dist[f][d];
        g = family_group(c->s, c->point, res->family_name[f]);
        if (group_add(g, res->family_metric[f], dist,
                      res->family_causes[f]) != 0) {
            c->oom = 1;
            return -1;
        }
    }
    return 0;
}

/* Appends the keys of a --by argument (comma-separated) to s->by. */
static int add_by(summary *s, const char *arg) {
    const char *p = arg;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 6 && strncmp(p, "family", 6) == 0) {
            if (s->by_family)
                return cli_fail(CLI_EXIT_INPUT, "--by 'family': given twice");
            s->by_family = 1;
            s->by[s->nby++] = BY_FAMILY;
            if (!end) break;
            p = end + 1;
            continue;
        }
        size_t k = 0;
        while (k < s->e.nkeys &&
               !(strlen(s->e.key[k]) == len && strncmp(s->e.key[k], p, len) == 0))
            k++;
        if (k == s->e.nkeys) {
            char keys[1024] = "";
            size_t used = 0;
            for (size_t j = 0; j < s->e.nkeys && used < sizeof keys; j++) {
                int n = snprintf(keys + used, sizeof keys - used, "%s%s",
                                 j ? ", " : "", s->e.key[j]);
                if (n > 0) used += (size_t)n;
            }
            return cli_fail(CLI_EXIT_INPUT, "--by '%.*s': not a varied key of "
                            "experiment %lld (its keys: %s) nor `family`",
                            (int)len, p,
                            (long long)s->e.id,
                            s->e.nkeys ? keys : "none");
        }
        for (size_t j = 0; j < s->nby; j++)
            if (s->by[j] == k)
                return cli_fail(CLI_EXIT_INPUT, "--by '%.*s': given twice",
                                (int)len, p);
        s->by[s->nby++] = k;
        if (!end) break;
        p = end + 1;
    }
    return CLI_EXIT_OK;
}

/* What the command line asked for. */
typedef struct summarize_cli {
    const char *db_path, *format_name;
    const char **by; /* the --by arguments, nby of them */
    int nby;
    long long exp_id; /* 0: the latest */
    summary_format format;
} summarize_cli;

/* Reads the flags into c.  -1: go on; otherwise the exit code (--help: 0). */
static int summarize_parse(summarize_cli *c, int argc, char **argv) {
    cli_args args;
    cli_args_init(&args, &cmd_summarize_spec, argc, argv, NULL);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_summarize_spec);
            return CLI_EXIT_OK;
        }
        if (id == CLI_ERROR) return cli_error_code(&args);
        if (id == SUM_BY) {
            c->by[c->nby++] = v;
        } else if (id == SUM_EXPERIMENT) {
            c->exp_id = cli_parse_whole(v, 1, INT64_MAX);
            if (c->exp_id < 0)
                return cli_fail(CLI_EXIT_INPUT, "--experiment: '%s' is not an "
                                "experiment id (a whole number from 1)", v);
        } else if (id == SUM_FORMAT) {
            c->format_name = v;
        } else if (c->db_path) {
            return cli_fail_extra(&cmd_summarize_spec, "database", c->db_path,
                                  v);
        } else {
            c->db_path = v;
        }
    }
    const char *f = c->format_name;
    if (strcmp(f, "text") == 0) c->format = SUMMARY_TEXT;
    else if (strcmp(f, "csv") == 0) c->format = SUMMARY_CSV;
    else if (strcmp(f, "json") == 0) c->format = SUMMARY_JSON;
    else if (strcmp(f, "markdown") == 0) c->format = SUMMARY_MARKDOWN;
    else
        return cli_fail(CLI_EXIT_INPUT, "--format: '%s' is not text, csv, json or "
                        "markdown", f);
    if (!c->db_path)
        return cli_fail(CLI_EXIT_INPUT, "summarize: which database? (stalesim "
                        "summarize DB)");
    return -1;
}

/* The exit code of a failed pooling: out of memory, or rc's. */
static int pool_fail(int oom, int rc, const char *err) {
    if (oom) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    return cli_fail(rc == RESULTS_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s",
                    err);
}

/* --by family: per point, the totals and each family's figures. */
static int pool_families(summary *s, results *rdb) {
    char err[2048];
    for (size_t p = 0; p < s->e.npoints; p++) {
        family_ctx fc = {s, p, 0};
        int rc = results_each_run(rdb, s->e.point[p].id, family_add_run, &fc,
                                  err, sizeof err);
        if (fc.oom || rc != RESULTS_OK) return pool_fail(fc.oom, rc, err);
    }
    return CLI_EXIT_OK;
}

/* Groups of points sharing the --by values, in the order of their first
 * point. */
static int pool_points(summary *s, results *rdb) {
    char err[2048];
    for (size_t p = 0; p < s->e.npoints; p++) {
        const results_point *pt = &s->e.point[p];
        /* Every point is its own group when grouped by every key (grid
         * points differ in at least one value). */
        size_t gi = s->nby == s->e.nkeys ? s->ngroups : 0;
        for (; gi < s->ngroups; gi++) {
            const results_point *f = &s->e.point[s->group[gi].first];
            size_t k = 0;
            while (k < s->nby &&
                   strcmp(f->value[s->by[k]], pt->value[s->by[k]]) == 0)
                k++;
            if (k == s->nby) break;
        }
        summary_group *g = &s->group[gi];
        if (gi == s->ngroups) {
            s->ngroups++;
            g->first = p;
            for (int d = 0; d < WORLD_DIST_COUNT; d++) sim_hist_init(&g->dist[d]);
        }
        g->points++;
        if (!pt->done) g->incomplete = 1;
        int rc = results_each_run(rdb, pt->id, group_add_run, g, err,
                                  sizeof err);
        if (g->oom || rc != RESULTS_OK) return pool_fail(g->oom, rc, err);
    }
    return CLI_EXIT_OK;
}

/* Loads the experiment of c into s, its groups pooled. */
static int summarize_load(const summarize_cli *c, results *rdb, summary *s) {
    char err[2048];
    int rc = results_experiment_load(rdb, c->exp_id, &s->e, err, sizeof err);
    if (rc != RESULTS_OK)
        return cli_fail(rc == RESULTS_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s",
                        err);
    s->by = calloc(s->e.nkeys + 2, sizeof *s->by);
    s->group = calloc(s->e.npoints * (WORLD_MAX_FAMILIES + 1) + 1,
                      sizeof *s->group);
    if (!s->by || !s->group) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    for (int i = 0; i < c->nby; i++) {
        int code = add_by(s, c->by[i]);
        if (code != CLI_EXIT_OK) return code;
    }
    if (c->nby == 0)
        for (size_t k = 0; k < s->e.nkeys; k++) s->by[s->nby++] = k;
    return s->by_family ? pool_families(s, rdb) : pool_points(s, rdb);
}

int cmd_summarize(int argc, char **argv) {
    summarize_cli c;
    memset(&c, 0, sizeof c);
    c.format_name = "text";
    results *rdb = NULL;
    summary s;
    memset(&s, 0, sizeof s);
    char err[2048];
    int code;
    c.by = calloc((size_t)argc + 1, sizeof *c.by);
    if (!c.by) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    code = summarize_parse(&c, argc, argv); /* -1: go on */
    if (code < 0) {
        int rc = results_open(&rdb, c.db_path, 1, err, sizeof err);
        code = rc == RESULTS_OK
                   ? summarize_load(&c, rdb, &s)
                   : cli_fail(rc == RESULTS_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME,
                              "%s", err);
        if (code == CLI_EXIT_OK) {
            summary_print(stdout, c.format, &s, c.db_path);
            if (fflush(stdout) != 0 || ferror(stdout))
                code = cli_fail(CLI_EXIT_RUNTIME, "writing the summary: %s",
                                strerror(errno));
        }
    }
    summary_fini(&s);
    results_close(rdb);
    free(c.by);
    return code;
}
