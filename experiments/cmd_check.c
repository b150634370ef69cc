/* `stalesim check`: is the scenario's freshness contract met, with 95%
 * confidence?
 *
 * The [contract] section states two clauses (the seed article's "allowed
 * staleness", made measurable):
 *   (a) staleness at a quantile: at least `quantile` of reads are no staler
 *       than `max_staleness`, i.e. the fraction of reads staler than
 *       max_staleness (metric over_max_staleness_fraction) is at most
 *       1 - quantile;
 *   (b) stale fraction: stale_read_fraction is at most max_stale_fraction.
 * Each clause is judged on its per-replication values x_1..x_n, which are
 * independent (one seed per replication), through the one-sided 95% Student-t
 * upper bound of their mean, mean + t(0.95, n-1) s / sqrt(n), floored at
 * the run's resolution: with no event in N reads (s = 0) the t bound would be
 * 0, claiming any allowance however small, so the bound is never below
 * 1 - 0.05^(1/N) (about 3/N, the exact binomial bound for zero events in N
 * independent reads; reads of one stale window are not independent, so even
 * this is optimistic, but it is no longer absurd).  A clause is
 * met when that bound is within its allowance; "met on the mean" alone is
 * not enough (exit 1, asking for more replications); it is violated when the
 * mean itself is over.  The contract is met (exit 0) only when both clauses
 * are met with confidence.  One replication gives no spread, so check refuses
 * to judge it (exit 2).
 *
 * Besides the verdict it prints the consistency of reads within the bound in
 * nines (Meta's "N nines of reads are consistent within M") and, per write,
 * how long until every cache copy reflected it ("converged within M"). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "experiments/cli.h"
#include "plots/format.h"
#include "experiments/commands.h"
#include "models/pattern.h"
#include "experiments/contract.h"
#include "experiments/output.h"
#include "experiments/run.h"
#include "models/scenario.h"
#include "sim/stats.h"

/* ---- formatting ------------------------------------------------------------------ */

/* Durations in human units ("850us", "4.2ms", "5min"), as compare prints
 * them. */
static void fmt_duration(char *buf, size_t len, double s) {
    plot_fmt_duration(buf, len, s);
}

/* Removes trailing zeros after a decimal point, and the point if bare. */
static void trim_zeros(char *s) {
    if (!strchr(s, '.') || strchr(s, 'e')) return;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '0') s[--n] = '\0';
    if (n > 0 && s[n - 1] == '.') s[n - 1] = '\0';
}

/* A fraction as a percentage with 2 significant digits: "0.31%", "0.0042%",
 * "0%"; scientific below 1e-4 %. */
static void fmt_percent(char *buf, size_t len, double x) {
    double p = 100 * x;
    if (!isfinite(p)) {
        snprintf(buf, len, "-");
        return;
    }
    if (p == 0) {
        snprintf(buf, len, "0%%");
        return;
    }
    char num[32];
    if (fabs(p) < 1e-4) {
        snprintf(num, sizeof num, "%.1e", p);
        /* "3.1e-06" -> "3.1e-6" */
        char *e = strchr(num, 'e');
        if (e) snprintf(e, sizeof num - (size_t)(e - num), "e%d", atoi(e + 1));
    } else {
        int e = (int)floor(log10(fabs(p)));
        int decimals = 1 - e;
        snprintf(num, sizeof num, "%.*f", decimals > 0 ? decimals : 0, p);
        trim_zeros(num);
    }
    snprintf(buf, len, "%s%%", num);
}

/* "p99.9" for 0.999. */
static void fmt_quantile(char *buf, size_t len, double q) {
    snprintf(buf, len, "p%.10g", 100 * q);
}

/* The share of reads that were consistent, 1 - x, as a percentage with
 * enough decimals to show its nines: 99.97%, 99.9988%. */
static void fmt_consistent(char *buf, size_t len, double x) {
    if (x <= 0) {
        snprintf(buf, len, "100%%");
        return;
    }
    int decimals = (int)ceil(-log10(x)) - 1;
    if (decimals < 1) decimals = 1;
    char num[32];
    snprintf(num, sizeof num, "%.*f", decimals, 100 * (1 - x));
    trim_zeros(num);
    snprintf(buf, len, "%s%%", num);
}

/* ---- the clauses ------------------------------------------------------------------- */

typedef enum clause_state {
    CLAUSE_MET,           /* upper bound within the allowance */
    CLAUSE_UNDEMONSTRATED,/* mean within, upper bound over */
    CLAUSE_VIOLATED       /* mean over */
} clause_state;

typedef struct clause {
    double mean, upper; /* per-replication mean and its one-sided 95% bound */
    double allowed;     /* the largest acceptable fraction */
    clause_state state;
} clause;

/* The rule itself is shared with `stalesim report` (experiments/contract.h),
 * so both give the same verdict on the same numbers; the enums agree. */
static double resolution(double reads) { return contract_resolution(reads); }

/* The floor of a run's upper bounds: the reads' resolution, divided by the
 * boost under --rare (docs/rare-events.md): with every boosted fault b times
 * likelier, none seen in N reads bounds their true rate b times lower. */
static double floor_of(const run_summary *sum, double reads) {
    double least = resolution(reads);
    return sum->rare_boost > 1 ? least / sum->rare_boost : least;
}

static clause judge(const double *x, size_t n, double allowed, double least) {
    contract_clause k = contract_judge(x, n, allowed, least);
    clause c = {k.mean, k.upper, k.allowed, (clause_state)k.state};
    return c;
}

/* How close a clause is to its allowance (> 1: over): the deciding figure is
 * the mean for a violation, the upper bound otherwise. */
static double pressure(const clause *c) {
    double v = c->state == CLAUSE_VIOLATED ? c->mean : c->upper;
    if (c->allowed > 0) return v / c->allowed;
    return v > 0 ? INFINITY : 0;
}

/* "0.31% of reads were staler than 60s" / "0.0083% of reads were stale". */
static void clause_subject(char *buf, size_t len, int staleness, double value,
                           const char *bound) {
    char pct[64];
    fmt_percent(pct, sizeof pct, value);
    if (staleness)
        snprintf(buf, len, "%s of reads were staler than %s", pct, bound);
    else
        snprintf(buf, len, "%s of reads were stale", pct);
}

/* ---- causes ------------------------------------------------------------------------- */

/* "412 reads: 71% bus-lost, 29% local-not-invalidated" (the three leading
 * causes, largest first; "none" without a read). */
static void fmt_causes(char *buf, size_t len, const uint64_t *by_cause) {
    uint64_t total = 0;
    int used[ORACLE_CAUSE_COUNT] = {0};
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++) total += by_cause[c];
    if (total == 0) {
        snprintf(buf, len, "none");
        return;
    }
    size_t at = (size_t)snprintf(buf, len, "%llu read%s:",
                                 (unsigned long long)total,
                                 total == 1 ? "" : "s");
    for (int k = 0; k < 3 && at < len; k++) {
        int top = -1;
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
            if (!used[c] && by_cause[c] &&
                (top < 0 || by_cause[c] > by_cause[top]))
                top = c;
        if (top < 0) break;
        used[top] = 1;
        double pct = 100.0 * (double)by_cause[top] / (double)total;
        at += (size_t)snprintf(buf + at, len - at, "%s %.3g%% %s",
                               k ? "," : "", pct,
                               oracle_cause_name((oracle_cause)top));
    }
}

/* Two lines: the causes of the reads over the staleness bound (what the
 * staleness clause counts) and of all stale reads (the stale-fraction
 * clause's), said apart. */
static void print_causes(const char *indent, const char *bound,
                         const uint64_t *over, const uint64_t *all) {
    char a[512], b[512];
    fmt_causes(a, sizeof a, over);
    fmt_causes(b, sizeof b, all);
    printf("%scauses of reads staler than %s (staleness clause): %s\n", indent,
           bound, a);
    printf("%scauses of all stale reads (stale-fraction clause): %s\n",
           indent, b);
}

/* ---- key families ---------------------------------------------------------------- */

/* Judges family f against its own contract (its view: the family's
 * contract.* overrides over [contract]) on its per-replication values, and
 * prints one verdict line plus why: its pattern and the leading cause of
 * its stale reads.  Returns the worse clause state, or -1 on bad input. */
static int check_family(const scenario *sc, const run_summary *sum, int f) {
    scenario view;
    char err[512];
    if (scenario_family_view(sc, f, &view, err, sizeof err) != 0) {
        cli_fail(CLI_EXIT_INPUT, "%s", err);
        return -1;
    }
    const char *name = sc->families.family[f].name;
    size_t n = sum->reps;
    double reads = 0;
    for (size_t r = 0; r < n; r++) reads += sum->family_value[f][WORLD_METRIC_READS][r];
    double least = floor_of(sum, reads);
    clause cl[2];
    cl[0] = judge(sum->family_value[f][WORLD_METRIC_OVER_MAX_STALENESS_FRACTION], n,
                  1 - view.contract.quantile, least);
    cl[1] = judge(sum->family_value[f][WORLD_METRIC_STALE_READ_FRACTION], n,
                  view.contract.max_stale_fraction, least);
    char bound[64], q[32], rule[2][160];
    fmt_duration(bound, sizeof bound,
                 sim_time_to_s(view.contract.max_staleness));
    fmt_quantile(q, sizeof q, view.contract.quantile);
    snprintf(rule[0], sizeof rule[0], "%s <= %s", q, bound);
    snprintf(rule[1], sizeof rule[1], "max_stale_fraction = %s",
             scenario_text(&view, "contract", "max_stale_fraction"));
    int d = 0;
    if (cl[1].state > cl[0].state ||
        (cl[1].state == cl[0].state && pressure(&cl[1]) > pressure(&cl[0])))
        d = 1;
    char subject[160], upper[64], allowed[64];
    clause_subject(subject, sizeof subject, d == 0, cl[d].mean, bound);
    fmt_percent(upper, sizeof upper, cl[d].upper);
    fmt_percent(allowed, sizeof allowed, cl[d].allowed);
    static const char *const verdict[] = {"MET", "NOT DEMONSTRATED",
                                          "VIOLATED"};
    printf("family %s: %s: %s (95%% upper bound %s), its contract allows %s "
           "(%s)\n",
           name, verdict[cl[d].state], subject, upper, allowed, rule[d]);
    /* Why: the pattern it runs and what its stale reads came from. */
    printf("  pattern %s%s, ttl %s\n",
           sc->families.family[f].bypass ? pattern_no_cache()->name
                                         : view.cache.pattern,
           sc->families.family[f].bypass ? " (bypass: reads go to the source "
                                           "of truth)"
                                         : "",
           scenario_text(&view, "cache", "ttl"));
    print_causes("  ", bound, sum->family_over_causes[f],
                 sum->family_causes[f]);
    scenario_fini(&view);
    return cl[0].state > cl[1].state ? (int)cl[0].state : (int)cl[1].state;
}

/* ---- the command ------------------------------------------------------------------- */

enum { CHECK_JOBS = 1 };

static const cli_opt check_opts[] = {
    {CHECK_JOBS, "--jobs", NULL, "N", 0, CLI_JOBS_HELP},
    CLI_RARE_OPTS,
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_check_spec = {
    "check", "[SCENARIO.ini]", NULL, 1, check_opts,
    "Judges the scenario's [contract] over its replications:\n"
    "  staleness       at least `quantile` of reads are no staler than\n"
    "                  `max_staleness` (reads staler than it <= 1 - quantile)\n"
    "  stale fraction  stale_read_fraction <= `max_stale_fraction`\n"
    "A clause is met when the one-sided 95% Student-t upper bound of its\n"
    "per-replication mean is within the allowance; at least 2\n"
    "replications are needed.  Prints a one-line verdict naming the\n"
    "deciding figure, one line per clause, the nines of reads consistent\n"
    "within max_staleness, and how fast stale copies converged.\n",
    "exit: 0 met with 95% confidence; 1 violated, or met on the mean but\n"
    "not demonstrated with 95% confidence; 2 bad input; 3 runtime "
    "failure\n"};

int cmd_check(int argc, char **argv) {
    const char *file = NULL;
    cli_overrides sets = {0};
    int jobs = 0;
    scenario sc;
    run_summary *sum = NULL;
    char err[1024];
    int code = CLI_EXIT_INPUT;
    memset(&sc, 0, sizeof sc);
    cli_args args;
    cli_args_init(&args, &cmd_check_spec, argc, argv, &sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_check_spec);
            code = CLI_EXIT_OK;
            goto out;
        }
        if (id == CLI_ERROR) {
            code = cli_error_code(&args);
            goto out;
        }
        if (id == CHECK_JOBS) {
            if (cli_parse_jobs(v, &jobs) != CLI_EXIT_OK) goto out;
            continue;
        }
        if (file) {
            cli_fail_extra(&cmd_check_spec, "scenario file", file, v);
            goto out;
        }
        file = v;
    }
    code = cli_load_scenario(&sc, file, &sets);
    if (code != CLI_EXIT_OK) goto out;
    if (sc.run.reps < 2) {
        code = cli_fail(CLI_EXIT_INPUT,
                        "check needs at least 2 replications to bound the "
                        "contract with 95%% confidence (run.reps is %u; try "
                        "--reps 10)",
                        sc.run.reps);
        goto out;
    }
    run_options ro = {jobs ? jobs : run_default_jobs(),
                      isatty(STDERR_FILENO) ? stderr : NULL, "check"};
    sum = run_scenario_opts(&sc, NULL, NULL, &ro, err, sizeof err);
    if (!sum) {
        code = cli_fail(CLI_EXIT_RUNTIME, "%s", err);
        goto out;
    }
    run_warn_short(&sc, sum, stderr);
    run_warn_rare(&sc, sum, stderr);

    size_t n = sum->reps;
    char bound[64], q[32];
    fmt_duration(bound, sizeof bound, sim_time_to_s(sc.contract.max_staleness));
    fmt_quantile(q, sizeof q, sc.contract.quantile);
    double reads = 0;
    for (size_t r = 0; r < n; r++) reads += sum->value[WORLD_METRIC_READS][r];
    double least = floor_of(sum, reads);
    clause cl[2];
    cl[0] = judge(sum->value[WORLD_METRIC_OVER_MAX_STALENESS_FRACTION], n,
                  1 - sc.contract.quantile, least);
    cl[1] = judge(sum->value[WORLD_METRIC_STALE_READ_FRACTION], n,
                  sc.contract.max_stale_fraction, least);
    char rule[2][160];
    snprintf(rule[0], sizeof rule[0], "%s <= %s", q, bound);
    snprintf(rule[1], sizeof rule[1], "max_stale_fraction = %s",
             scenario_text(&sc, "contract", "max_stale_fraction"));

    /* The deciding clause: the worst state, then the closest to its
     * allowance (the staleness clause on a tie). */
    int d = 0;
    if (cl[1].state > cl[0].state ||
        (cl[1].state == cl[0].state && pressure(&cl[1]) > pressure(&cl[0])))
        d = 1;
    char subject[160], upper[64], allowed[64];
    clause_subject(subject, sizeof subject, d == 0, cl[d].mean, bound);
    fmt_percent(upper, sizeof upper, cl[d].upper);
    fmt_percent(allowed, sizeof allowed, cl[d].allowed);
    switch (cl[d].state) {
    case CLAUSE_MET:
    case CLAUSE_VIOLATED:
        printf("check: %s: %s (95%% upper bound %s), contract allows %s (%s)\n",
               cl[d].state == CLAUSE_MET ? "MET" : "VIOLATED", subject, upper,
               allowed, rule[d]);
        break;
    case CLAUSE_UNDEMONSTRATED:
        printf("check: NOT DEMONSTRATED: %s, within the %s allowed (%s), but "
               "the 95%% upper bound is %s: not demonstrated with 95%% "
               "confidence: run more replications\n",
               subject, allowed, rule[d], upper);
        break;
    }

    static const char *const state_text[] = {
        "met with 95% confidence",
        "met on the mean, not demonstrated with 95% confidence: run more "
        "replications",
        "VIOLATED"};
    static const char *const clause_name[] = {"staleness", "stale fraction"};
    for (int k = 0; k < 2; k++) {
        clause_subject(subject, sizeof subject, k == 0, cl[k].mean, bound);
        fmt_percent(upper, sizeof upper, cl[k].upper);
        fmt_percent(allowed, sizeof allowed, cl[k].allowed);
        printf("  %-15s (%s): %s (95%% upper bound %s), allowed %s: %s\n",
               clause_name[k], rule[k], subject, upper, allowed,
               state_text[cl[k].state]);
    }

    print_causes("  ", bound, sum->over_causes, sum->causes);
    output_text_rare(stdout, "  ", sum);

    /* Nines of reads consistent within the bound. */
    const clause *a = &cl[0];
    double nines_lo = a->upper < 1 ? -log10(a->upper) : 0;
    if (a->mean > 0) {
        char pct[64];
        fmt_consistent(pct, sizeof pct, a->mean);
        printf("  consistency: %s of reads (%.1f nines; at least %.1f with 95%% "
               "confidence) were no staler than %s\n",
               pct, -log10(a->mean), nines_lo, bound);
    } else {
        printf("  consistency: 100%% of reads (none of %.0f; at least %.1f "
               "nines with 95%% confidence) were no staler than %s\n",
               reads, nines_lo, bound);
    }

    /* Convergence, per write: from its commit until every copy that held an
     * older value stopped holding it. */
    const sim_hist *cv = &sum->dist[WORLD_DIST_CONVERGENCE];
    double censored = 0;
    for (size_t r = 0; r < n; r++) censored += sum->value[WORLD_METRIC_CENSORED_WINDOWS][r];
    if (sim_hist_n(cv) > 0) {
        char p99[64], p999[64], longest[64], bound_s[64];
        fmt_duration(p99, sizeof p99, sim_hist_quantile(cv, 0.99) / 1e9);
        fmt_duration(p999, sizeof p999, sim_hist_quantile(cv, 0.999) / 1e9);
        fmt_duration(longest, sizeof longest, cv->tally.max / 1e9);
        fmt_duration(bound_s, sizeof bound_s,
                     sim_time_to_s(sc.contract.max_staleness));
        double within = sim_hist_cdf(cv, (double)sc.contract.max_staleness);
        printf("  convergence: %.4g%% of writes were reflected by every cache "
               "copy within %s; p99 %s, p99.9 %s, longest %s (%llu writes",
               100 * within, bound_s, p99, p999, longest,
               (unsigned long long)sim_hist_n(cv));
        if (censored > 0)
            printf("; writes whose copies were still stale at the end are "
                   "not included");
        printf(")\n");
    } else {
        printf("  convergence: no write committed after the warm-up\n");
    }
    fmt_percent(upper, sizeof upper, least);
    char warmup[64];
    fmt_duration(warmup, sizeof warmup, sim_time_to_s(sum->warmup));
    printf("  (%zu replications x %s, warm-up %s%s, seed %llu, %.0f reads; "
           "upper bounds are one-sided 95%% Student-t, t(0.95, %zu) = %.3g, "
           "floored at %s = 1 - 0.05^(1/reads))\n",
           n, scenario_text(&sc, "run", "duration"), warmup,
           sc.run.warmup_auto ? " (auto)" : "",
           (unsigned long long)sc.run.seed, reads, n - 1,
           gsl_cdf_tdist_Pinv(0.95, (double)(n - 1)), upper);
    if (sum->rare_boost > 1)
        printf("  (--rare: the fractions, bounds and nines are importance-"
               "sampling estimates at the true fault rates; the floor is "
               "divided by the boost %.4g; the cause counts are of the "
               "boosted run)\n",
               sum->rare_boost);

    if (fflush(stdout) != 0 || ferror(stdout)) {
        code = cli_fail(CLI_EXIT_RUNTIME, "writing the verdict: %s",
                        strerror(errno));
        goto out;
    }
    code = cl[0].state == CLAUSE_MET && cl[1].state == CLAUSE_MET
               ? CLI_EXIT_OK
               : CLI_EXIT_VIOLATED;
    if (sc.families.n > 0) {
        /* A verdict per family, each against its own contract; any family
         * short of MET fails the check, and is named again at the end. */
        int failed[SCENARIO_MAX_FAMILIES], nfailed = 0;
        printf("\nper family (each against its own contract; default "
               "[contract]):\n");
        for (int f = 0; f < sc.families.n; f++) {
            int st = check_family(&sc, sum, f);
            if (st < 0) {
                code = CLI_EXIT_INPUT;
                goto out;
            }
            if (st != CLAUSE_MET) failed[nfailed++] = f;
        }
        for (int i = 0; i < nfailed; i++)
            printf("check: family %s: contract not met (see above)\n",
                   sc.families.family[failed[i]].name);
        if (nfailed) code = CLI_EXIT_VIOLATED;
        if (fflush(stdout) != 0 || ferror(stdout)) {
            code = cli_fail(CLI_EXIT_RUNTIME, "writing the verdict: %s",
                            strerror(errno));
            goto out;
        }
    }
out:
    run_summary_destroy(sum);
    scenario_fini(&sc);
    cli_overrides_fini(&sets);
    return code;
}
