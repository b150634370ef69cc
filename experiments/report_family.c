/* The "Per family" section of `stalesim report` (see report.h): with
 * `[family.NAME]` sections in the scenario, each family's verdict against
 * its own contract (the family's view of each point's scenario), a table
 * per point from the family tables, the causes of its reads over its bound,
 * its read latency and operation rates, and its own plots (`plot --where family=NAME` of the by-family data). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli.h"
#include "experiments/report.h"
#include "models/pattern.h"
#include "plots/format.h"

/* Counts of one family's verdicts over the points. */
typedef struct family_tally {
    size_t npts, nmet, nviol, nundem;
    report_contract ct;
} family_tally;

/* Judges family f at every point into v[p * nf + f]. */
static void judge_family(const plot_data *fd, size_t npts, int f,
                         report_verdict *v, family_tally *t) {
    memset(t, 0, sizeof *t);
    t->npts = npts;
    size_t nf = (size_t)fd->nfamilies;
    for (size_t p = 0; p < npts; p++) {
        size_t i = p * nf + (size_t)f;
        report_judge_point(fd, i, &v[i], &t->ct);
        if (!v[i].judged) continue;
        if (v[i].state == CONTRACT_MET) t->nmet++;
        else if (v[i].state == CONTRACT_VIOLATED) t->nviol++;
        else t->nundem++;
    }
}

/* "Pattern `x`.  Its contract: ...  Verdict: ...". */
static void family_summary(FILE *out, const plot_point *first,
                           const family_tally *t) {
    if (first->pattern[0]) {
        fputs("Pattern `", out);
        fputs(first->pattern, out);
        fputs("`", out);
        if (strcmp(first->pattern, pattern_no_cache()->name) == 0)
            fputs(" (reads go to the source of truth)", out);
        fputs(".  ", out);
    }
    if (t->ct.known) {
        char ms[32], q[32], frac[32];
        plot_fmt_duration(ms, sizeof ms, t->ct.max_staleness_s);
        snprintf(q, sizeof q, "%.10g%%", 100 * t->ct.quantile);
        plot_fmt_percent(frac, sizeof frac, t->ct.max_stale_fraction);
        fprintf(out, "Its contract: at least %s of reads no staler than %s, "
                     "at most %s of reads stale.  ", q, ms, frac);
    }
    fputs("Verdict: ", out);
    size_t npts = t->npts, njudged = t->nmet + t->nviol + t->nundem;
    if (njudged == 0)
        fputs("not judged", out);
    else if (t->nmet == npts)
        fprintf(out, "**met** at %s %zu point%s", npts == 1 ? "its" : "all",
                npts, npts == 1 ? "" : "s");
    else if (t->nviol)
        fprintf(out, "VIOLATED at %zu of %zu point%s", t->nviol, npts,
                npts == 1 ? "" : "s");
    else
        fprintf(out, "not demonstrated at %zu of %zu point%s", t->nundem, npts,
                npts == 1 ? "" : "s");
    if (njudged && t->nmet && t->nmet < npts)
        fprintf(out, " (met at %zu)", t->nmet);
    fputs(".\n\n", out);
}

/* The family's table: one row per point (the varied keys without the
 * by-family data's last key, "family"). */
static void family_table(FILE *out, const plot_data *fd, size_t npts, int f,
                         const report_verdict *v) {
    size_t nf = (size_t)fd->nfamilies;
    fputc('|', out);
    for (size_t k = 0; k + 1 < fd->nkeys; k++) {
        fputc(' ', out);
        report_md_text(out, fd->key[k]);
        fputs(" |", out);
    }
    fputs(" runs | stale-read fraction (95% CI) | p99 stale age | hit "
          "ratio | DB reads/s | top cause | verdict |\n|", out);
    for (size_t k = 0; k + 1 < fd->nkeys; k++) fputs("---|", out);
    fputs("---:|---:|---:|---:|---:|---|---|\n", out);
    for (size_t p = 0; p < npts; p++) {
        size_t i = p * nf + (size_t)f;
        const plot_point *pt = &fd->point[i];
        fputc('|', out);
        for (size_t k = 0; k + 1 < fd->nkeys; k++) {
            fputc(' ', out);
            report_md_text(out, pt->value[k]);
            fputs(" |", out);
        }
        char m[64], hit[32], dbr[32], cause[96];
        report_cell age;
        memset(&age, 0, sizeof age);
        report_mean_ci(m, sizeof m, pt->mean[WORLD_METRIC_STALE_READ_FRACTION],
                       pt->ci95[WORLD_METRIC_STALE_READ_FRACTION], 2);
        report_duration_cell(&age, &pt->dist[WORLD_DIST_STALE_AGE], 0.99,
                             sim_hist_n(&pt->dist[WORLD_DIST_STALE_AGE]) == 0);
        plot_fmt_percent(hit, sizeof hit, pt->mean[WORLD_METRIC_HIT_RATIO]);
        plot_fmt_sig(dbr, sizeof dbr, pt->mean[WORLD_METRIC_DB_READS_PER_S], 3);
        report_top_cause(cause, sizeof cause, pt->causes);
        fprintf(out, " %u%s | %s | %s | %s | %s | %s | ", pt->nruns,
                pt->complete ? "" : " (incomplete)", m, age.text, hit, dbr,
                cause);
        report_verdict_cell(out, &v[i]);
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

/* Family f's causes of over-bound reads, read latency and rates, then its
 * plots (PNG names
 * PREFIX-TAGfN-KIND.png: the family's number, never its name, reaches the
 * file system). */
static int family_load_and_plots(const report_ctx *c, const plot_data *fd,
                                 size_t npts, int f) {
    size_t nf = (size_t)fd->nfamilies;
    size_t *idx = calloc(npts + 1, sizeof *idx);
    if (!idx) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    for (size_t p = 0; p < npts; p++) idx[p] = p * nf + (size_t)f;
    report_over_causes_table(c->out, fd, idx, npts, fd->nkeys - 1);
    report_load_table(c->out, fd, idx, npts, fd->nkeys - 1);
    free(idx);
    char where[64], tag[48];
    snprintf(where, sizeof where, "family=%s", fd->family[f]);
    snprintf(tag, sizeof tag, "%sf%d-", c->tag, f + 1);
    const char *w[] = {where};
    const char *args[] = {"--where", where};
    return report_plot_set(c, fd, w, 1, tag, 4, args, 2);
}

int report_section_families(const report_ctx *c) {
    FILE *out = c->out;
    plot_data fd;
    char err[1024];
    int rc = plot_data_by_family(&fd, c->d, err, sizeof err);
    if (rc != PLOT_OK) {
        plot_data_fini(&fd);
        return rc == PLOT_EINPUT ? CLI_EXIT_OK : cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    }
    report_verdict *v = calloc(fd.npoints + 1, sizeof *v);
    if (!v) {
        plot_data_fini(&fd);
        return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    }
    report_heading(c, 2);
    fputs("Per family\n\nThe scenario has key families (`[family.NAME]`): "
          "each is judged against its own contract (`contract.*` of its "
          "section, else `[contract]`) with the same rule, on its own "
          "per-replication figures (the `family_runs` table), tabled per "
          "point from the family tables, and drawn on its own.\n\n", out);
    int code = CLI_EXIT_OK;
    for (int f = 0; f < fd.nfamilies && code == CLI_EXIT_OK; f++) {
        family_tally t;
        judge_family(&fd, c->d->npoints, f, v, &t);
        report_heading(c, 3);
        fputs("Family ", out);
        report_md_text(out, fd.family[f]);
        fputs("\n\n", out);
        family_summary(out, &fd.point[(size_t)f], &t);
        family_table(out, &fd, c->d->npoints, f, v);
        code = family_load_and_plots(c, &fd, c->d->npoints, f);
    }
    free(v);
    plot_data_fini(&fd);
    return code;
}
