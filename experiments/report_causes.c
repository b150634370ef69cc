/* The causes of over-bound reads in `stalesim report` (see report.h): a
 * contract on staleness is broken by the reads staler than its
 * max_staleness, and what to fix is what caused those, which may not be
 * what causes most stale reads (short ttl-expiry windows are many and
 * harmless; one failed invalidation can leave a key stale for a TTL).
 *
 * Per point: the stale reads and those over the bound, summed over the
 * stored replications (the `causes` table: count and over_bound_reads),
 * and every cause of the over-bound ones with its count and share.  A
 * point whose runs were stored before over_bound_reads was recorded says
 * so instead of showing zeros. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli.h"
#include "experiments/report.h"
#include "models/oracle.h"
#include "plots/format.h"

/* "invalidation-failed 120 (80%), ttl-expiry 30 (20%)" or "-". */
static void cause_list(FILE *out, const uint64_t *over) {
    uint64_t total = 0;
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) total += over[c];
    if (!total) {
        fputs("-", out);
        return;
    }
    int done[ORACLE_CAUSE_COUNT] = {0};
    for (int n = 0; n < ORACLE_CAUSE_COUNT; n++) {
        int top = -1; /* the largest not yet listed, earliest on ties */
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
            if (!done[c] && over[c] && (top < 0 || over[c] > over[top])) top = c;
        if (top < 0) break;
        done[top] = 1;
        char s[32];
        plot_fmt_sig(s, sizeof s, 100.0 * (double)over[top] / (double)total, 3);
        if (over[top] < total && atof(s) >= 100) snprintf(s, sizeof s, ">99.9");
        fprintf(out, "%s%s %llu (%s%%)", n ? ", " : "",
                oracle_cause_name((oracle_cause)top),
                (unsigned long long)over[top], s);
    }
}

void report_over_causes_table(FILE *out, const plot_data *d,
                              const size_t *idx, size_t n, size_t nkeys) {
    size_t recorded = 0;
    for (size_t i = 0; i < n; i++) recorded += d->point[idx[i]].over_causes_known;
    if (recorded == 0) {
        fputs("The causes of the reads over the bound are not in this "
              "database: its runs were stored before stalesim recorded them "
              "(run the sweep again into a new file to have them).\n\n", out);
        return;
    }
    fputs("What caused the reads staler than the bound (summed over the "
          "stored replications; a contract on staleness is kept by fixing "
          "these, not the most frequent stale reads):\n\n|", out);
    for (size_t k = 0; k < nkeys; k++) {
        fputc(' ', out);
        report_md_text(out, d->key[k]);
        fputs(" |", out);
    }
    fputs(" stale reads | over the bound | causes of the over-bound reads "
          "|\n|", out);
    for (size_t k = 0; k < nkeys; k++) fputs("---|", out);
    fputs("---:|---:|---|\n", out);
    for (size_t i = 0; i < n; i++) {
        const plot_point *pt = &d->point[idx[i]];
        fputc('|', out);
        for (size_t k = 0; k < nkeys; k++) {
            fputc(' ', out);
            report_md_text(out, pt->value[k]);
            fputs(" |", out);
        }
        uint64_t stale = 0, over = 0;
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) {
            stale += pt->causes[c];
            over += pt->over_causes[c];
        }
        if (!pt->over_causes_known) {
            fprintf(out, " %llu | - | not recorded (runs stored by an older "
                         "stalesim) |\n", (unsigned long long)stale);
            continue;
        }
        fprintf(out, " %llu | %llu | ", (unsigned long long)stale,
                (unsigned long long)over);
        cause_list(out, pt->over_causes);
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

int report_section_over_causes(const report_ctx *c) {
    const plot_data *d = c->d;
    size_t *idx = calloc(d->npoints + 1, sizeof *idx);
    if (!idx) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    for (size_t p = 0; p < d->npoints; p++) idx[p] = p;
    report_heading(c, 3);
    fputs("Causes of the reads over the bound\n\n", c->out);
    report_over_causes_table(c->out, d, idx, d->npoints, d->nkeys);
    free(idx);
    return CLI_EXIT_OK;
}
