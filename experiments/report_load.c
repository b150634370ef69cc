/* Read latency and operation rates in `stalesim report` (see report.h):
 * what a reviewer sizes the shared cache (Redis) and the database with.
 *
 * Per point: the p50, p99 and p99.9 of the read latency (invoked ->
 * answered, from the runs' pooled `read_latency_s` histogram, so a quantile
 * is exact to the histogram's resolution), and the mean over replications
 * of every metric measured per second (DB reads and commits, shared-cache
 * operations: GETs, SETs, DELs, failed ones included; whatever rate
 * models/measures.h adds: GETs, SETs and DELs apart, bus messages,
 * evictions), each with its 95% Student-t half-width.  A rate no point has
 * (a database written before it was measured) is left out; one that is 0
 * at every point (no bus, no capacity) is named under the table instead. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli.h"
#include "experiments/report.h"
#include "plots/format.h"

/* The rates shown: every metric measured per second (world_metric_unit
 * "1/s"), in the order of models/measures.h, that some point of idx has
 * and is not 0 at every point (bus messages without a bus, evictions
 * without a capacity); those zero everywhere go to zero[0..*nzero-1]. */
static size_t rate_metrics(const plot_data *d, const size_t *idx, size_t n,
                           int *m, int *zero, size_t *nzero) {
    size_t k = 0;
    *nzero = 0;
    for (int x = 0; x < WORLD_METRIC_COUNT; x++) {
        if (strcmp(world_metric_unit((world_metric)x), "1/s") != 0) continue;
        int any = 0, nonzero = 0;
        for (size_t i = 0; i < n; i++) {
            double y = d->point[idx[i]].mean[x];
            any |= isfinite(y);
            nonzero |= isfinite(y) && y != 0;
        }
        if (nonzero) m[k++] = x;
        else if (any) zero[(*nzero)++] = x;
    }
    return k;
}

/* The point with the largest finite mean of metric m among idx[0..n-1];
 * -1 when none has one. */
static long largest(const plot_data *d, const size_t *idx, size_t n, int m) {
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        double y = d->point[idx[i]].mean[m];
        if (isfinite(y) && (best < 0 || y > d->point[best].mean[m]))
            best = (long)idx[i];
    }
    return best;
}

/* "Peak rates: DB reads/s 39.9 ± 0.6 at ttl=5s; ...". */
static void peak_sentence(FILE *out, const plot_data *d, const size_t *idx,
                          size_t n, size_t nkeys, const int *rate,
                          size_t nrates) {
    int any = 0;
    for (size_t i = 0; i < nrates; i++) {
        long p = largest(d, idx, n, rate[i]);
        if (p < 0 || !(d->point[p].mean[rate[i]] > 0)) continue;
        char r[64], label[512];
        report_mean_ci(r, sizeof r, d->point[p].mean[rate[i]],
                       d->point[p].ci95[rate[i]], 3);
        fprintf(out, "%s %s %s", any ? ";" : "Peak rates:",
                world_metric_brief((world_metric)rate[i]), r);
        if (nkeys > 0 && n > 1) {
            /* The label without the by-family data's "family" key. */
            int skip = nkeys < d->nkeys ? (int)nkeys : -1;
            plot_point_label(d, (size_t)p, skip, -1, label, sizeof label);
            fputs(" at ", out);
            report_md_text(out, label);
        }
        any = 1;
    }
    if (any)
        fputs(".  Size the shared cache and the database for the peak of "
              "the design chosen, with headroom.\n\n", out);
}

void report_load_table(FILE *out, const plot_data *d, const size_t *idx,
                       size_t n, size_t nkeys) {
    int rate[WORLD_METRIC_COUNT], zero[WORLD_METRIC_COUNT];
    size_t nzero, nrates = rate_metrics(d, idx, n, rate, zero, &nzero);
    fputs("Read latency (invoked -> answered, pooled over replications) and "
          "operation rates (means ± 95% CI), for sizing the shared cache and "
          "the database:\n\n|", out);
    for (size_t k = 0; k < nkeys; k++) {
        fputc(' ', out);
        report_md_text(out, d->key[k]);
        fputs(" |", out);
    }
    fputs(" read p50 | read p99 | read p99.9 |", out);
    for (size_t j = 0; j < nrates; j++)
        fprintf(out, " %s |", world_metric_brief((world_metric)rate[j]));
    fputs("\n|", out);
    for (size_t k = 0; k < nkeys; k++) fputs("---|", out);
    fputs("---:|---:|---:|", out);
    for (size_t j = 0; j < nrates; j++) fputs("---:|", out);
    fputc('\n', out);
    for (size_t i = 0; i < n; i++) {
        const plot_point *pt = &d->point[idx[i]];
        fputc('|', out);
        for (size_t k = 0; k < nkeys; k++) {
            fputc(' ', out);
            report_md_text(out, pt->value[k]);
            fputs(" |", out);
        }
        static const double q[3] = {0.5, 0.99, 0.999};
        for (int j = 0; j < 3; j++) {
            report_cell c;
            report_duration_cell(&c, &pt->dist[WORLD_DIST_READ_LATENCY], q[j],
                                 1);
            fprintf(out, " %s |", c.text);
        }
        for (size_t j = 0; j < nrates; j++) {
            char r[64];
            report_mean_ci(r, sizeof r, pt->mean[rate[j]], pt->ci95[rate[j]],
                           3);
            fprintf(out, " %s |", r);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
    for (size_t j = 0; j < nzero; j++)
        fprintf(out, "%s%s", j ? ", " : "Zero at every point (not shown): ",
                world_metric_brief((world_metric)zero[j]));
    if (nzero) fputs(".\n\n", out);
    peak_sentence(out, d, idx, n, nkeys, rate, nrates);
}

int report_section_load(const report_ctx *c) {
    const plot_data *d = c->d;
    size_t *idx = calloc(d->npoints + 1, sizeof *idx);
    if (!idx) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    for (size_t p = 0; p < d->npoints; p++) idx[p] = p;
    report_heading(c, 2);
    fputs("Load and latency\n\n", c->out);
    report_load_table(c->out, d, idx, d->npoints, d->nkeys);
    free(idx);
    return CLI_EXIT_OK;
}
