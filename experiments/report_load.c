/* Read latency and operation rates in `stalesim report` (see report.h):
 * what a reviewer sizes the shared cache (Redis) and the database with.
 *
 * Per point: the p50, p99 and p99.9 of the read latency (invoked ->
 * answered, from the runs' pooled `read_latency_s` histogram, so a quantile
 * is exact to the histogram's resolution), and the means over replications
 * of the shared-cache operations per second (GETs, SETs, DELs, failed ones
 * included), the DB reads and the DB commits per second, each with its 95%
 * Student-t half-width. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli.h"
#include "experiments/report.h"
#include "plots/format.h"

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

/* "Peak rates: shared-cache operations 912 ± 20 per second at ttl=5s;
 * ...". */
static void peak_sentence(FILE *out, const plot_data *d, const size_t *idx,
                          size_t n, size_t nkeys) {
    static const struct {
        int m;
        const char *what;
    } peaks[] = {{WORLD_METRIC_CACHE_OPS_PER_S, "shared-cache operations"},
                 {WORLD_METRIC_DB_READS_PER_S, "DB reads"},
                 {WORLD_METRIC_DB_WRITES_PER_S, "DB commits"}};
    int any = 0;
    for (size_t i = 0; i < sizeof peaks / sizeof peaks[0]; i++) {
        long p = largest(d, idx, n, peaks[i].m);
        if (p < 0 || !(d->point[p].mean[peaks[i].m] > 0)) continue;
        char rate[64], label[512];
        report_mean_ci(rate, sizeof rate, d->point[p].mean[peaks[i].m],
                       d->point[p].ci95[peaks[i].m], 3);
        fprintf(out, "%s %s %s per second", any ? ";" : "Peak rates:",
                peaks[i].what, rate);
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
    fputs("Read latency (invoked -> answered, pooled over replications) and "
          "operation rates per second (means ± 95% CI), for sizing the "
          "shared cache and the database:\n\n|", out);
    for (size_t k = 0; k < nkeys; k++) {
        fputc(' ', out);
        report_md_text(out, d->key[k]);
        fputs(" |", out);
    }
    fputs(" read p50 | read p99 | read p99.9 | cache ops/s | DB reads/s | "
          "DB writes/s |\n|", out);
    for (size_t k = 0; k < nkeys; k++) fputs("---|", out);
    fputs("---:|---:|---:|---:|---:|---:|\n", out);
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
            report_duration_cell(&c, &pt->dist[WORLD_DIST_READ_LATENCY], q[j], 1);
            fprintf(out, " %s |", c.text);
        }
        static const int rate[3] = {WORLD_METRIC_CACHE_OPS_PER_S, WORLD_METRIC_DB_READS_PER_S,
                                    WORLD_METRIC_DB_WRITES_PER_S};
        for (int j = 0; j < 3; j++) {
            char r[64];
            report_mean_ci(r, sizeof r, pt->mean[rate[j]], pt->ci95[rate[j]],
                           3);
            fprintf(out, " %s |", r);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
    peak_sentence(out, d, idx, n, nkeys);
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
