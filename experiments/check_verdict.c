/* The verdict of `stalesim check` (check.h): is the scenario's freshness
 * contract met, with 95% confidence?
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
#include "experiments/check.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "experiments/contract.h"
#include "experiments/output.h"
#include "models/pattern.h"
#include "plots/format.h"
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
    if (over)
        fmt_causes(a, sizeof a, over);
    else /* stored runs of a build that did not record them */
        snprintf(a, sizeof a, "not recorded (the runs were stored by an "
                              "older stalesim; sweep again to have them)");
    fmt_causes(b, sizeof b, all);
    printf("%scauses of reads staler than %s (staleness clause): %s\n", indent,
           bound, a);
    printf("%scauses of all stale reads (stale-fraction clause): %s\n",
           indent, b);
}

/* ---- the clauses of one contract ----------------------------------------------- */

static const char *const verdict_word[] = {"MET", "NOT DEMONSTRATED",
                                           "VIOLATED"};

/* The two clauses of a contract, their rules, the bound's text and the
 * reads they rest on. */
typedef struct totals {
    clause cl[2];     /* staleness, stale fraction */
    char rule[2][160];
    char bound[64];
    double reads, least;
} totals;

/* Judges the contract of sc (the scenario, or a family's view) on the
 * per-replication values value[m][r] (the totals' or a family's). */
static void judge_clauses(const scenario *sc, double *const *value,
                          const run_summary *sum, totals *t) {
    size_t n = sum->reps;
    char q[32];
    fmt_duration(t->bound, sizeof t->bound,
                 sim_time_to_s(sc->contract.max_staleness));
    fmt_quantile(q, sizeof q, sc->contract.quantile);
    t->reads = 0;
    for (size_t r = 0; r < n; r++) t->reads += value[WORLD_METRIC_READS][r];
    t->least = floor_of(sum, t->reads);
    t->cl[0] = judge(value[WORLD_METRIC_OVER_MAX_STALENESS_FRACTION], n,
                     1 - sc->contract.quantile, t->least);
    t->cl[1] = judge(value[WORLD_METRIC_STALE_READ_FRACTION], n,
                     sc->contract.max_stale_fraction, t->least);
    snprintf(t->rule[0], sizeof t->rule[0], "%s <= %s", q, t->bound);
    snprintf(t->rule[1], sizeof t->rule[1], "max_stale_fraction = %s",
             scenario_text(sc, "contract", "max_stale_fraction"));
}

/* The deciding clause: the worst state, then the closest to its allowance
 * (the staleness clause on a tie). */
static int deciding(const totals *t) {
    const clause *cl = t->cl;
    return cl[1].state > cl[0].state ||
           (cl[1].state == cl[0].state && pressure(&cl[1]) > pressure(&cl[0]));
}

/* The worse of the two states. */
static int worst(const totals *t) {
    return t->cl[0].state > t->cl[1].state ? (int)t->cl[0].state
                                           : (int)t->cl[1].state;
}

/* ---- key families ---------------------------------------------------------------- */

/* Judges family f against its own contract (its view: the family's
 * contract.* overrides over [contract]) on its per-replication values, and
 * prints one verdict line plus why: its pattern and the causes of its
 * stale reads.  Returns the worse clause state, or -1 on bad input. */
static int check_family(const scenario *sc, const run_summary *sum, int f,
                        int over_known) {
    scenario view;
    char err[512];
    if (scenario_family_view(sc, f, &view, err, sizeof err) != 0) {
        cli_fail(CLI_EXIT_INPUT, "%s", err);
        return -1;
    }
    const char *name = sc->families.family[f].name;
    totals t;
    judge_clauses(&view, sum->family_value[f], sum, &t);
    int d = deciding(&t);
    char subject[160], upper[64], allowed[64];
    clause_subject(subject, sizeof subject, d == 0, t.cl[d].mean, t.bound);
    fmt_percent(upper, sizeof upper, t.cl[d].upper);
    fmt_percent(allowed, sizeof allowed, t.cl[d].allowed);
    printf("family %s: %s: %s (95%% upper bound %s), its contract allows %s "
           "(%s)\n",
           name, verdict_word[t.cl[d].state], subject, upper, allowed,
           t.rule[d]);
    /* Why: the pattern it runs and what its stale reads came from. */
    int bypass = sc->families.family[f].bypass;
    printf("  pattern %s%s, ttl %s\n",
           bypass ? pattern_no_cache()->name : view.cache.pattern,
           bypass ? " (bypass: reads go to the source of truth)" : "",
           scenario_text(&view, "cache", "ttl"));
    print_causes("  ", t.bound, over_known ? sum->family_over_causes[f] : NULL,
                 sum->family_causes[f]);
    scenario_fini(&view);
    return worst(&t);
}

/* ---- the verdict ----------------------------------------------------------------- */

/* The deciding line (the worst state, then the clause closest to its
 * allowance, the staleness clause on a tie) and one line per clause. */
static void print_clauses(const totals *t) {
    const clause *cl = t->cl;
    int d = deciding(t);
    char subject[160], upper[64], allowed[64];
    clause_subject(subject, sizeof subject, d == 0, cl[d].mean, t->bound);
    fmt_percent(upper, sizeof upper, cl[d].upper);
    fmt_percent(allowed, sizeof allowed, cl[d].allowed);
    if (cl[d].state == CLAUSE_UNDEMONSTRATED)
        printf("check: NOT DEMONSTRATED: %s, within the %s allowed (%s), but "
               "the 95%% upper bound is %s: not demonstrated with 95%% "
               "confidence: run more replications\n",
               subject, allowed, t->rule[d], upper);
    else
        printf("check: %s: %s (95%% upper bound %s), contract allows %s (%s)\n",
               verdict_word[cl[d].state], subject, upper, allowed,
               t->rule[d]);
    static const char *const state_text[] = {
        "met with 95% confidence",
        "met on the mean, not demonstrated with 95% confidence: run more "
        "replications",
        "VIOLATED"};
    static const char *const clause_name[] = {"staleness", "stale fraction"};
    for (int k = 0; k < 2; k++) {
        clause_subject(subject, sizeof subject, k == 0, cl[k].mean, t->bound);
        fmt_percent(upper, sizeof upper, cl[k].upper);
        fmt_percent(allowed, sizeof allowed, cl[k].allowed);
        printf("  %-15s (%s): %s (95%% upper bound %s), allowed %s: %s\n",
               clause_name[k], t->rule[k], subject, upper, allowed,
               state_text[cl[k].state]);
    }
}

/* Nines of reads consistent within the bound. */
static void print_consistency(const totals *t) {
    const clause *a = &t->cl[0];
    double nines_lo = a->upper < 1 ? -log10(a->upper) : 0;
    if (a->mean > 0) {
        char pct[64];
        fmt_consistent(pct, sizeof pct, a->mean);
        printf("  consistency: %s of reads (%.1f nines; at least %.1f with 95%% "
               "confidence) were no staler than %s\n",
               pct, -log10(a->mean), nines_lo, t->bound);
    } else {
        printf("  consistency: 100%% of reads (none of %.0f; at least %.1f "
               "nines with 95%% confidence) were no staler than %s\n",
               t->reads, nines_lo, t->bound);
    }
}

/* Convergence, per write: from its commit until every copy that held an
 * older value stopped holding it. */
static void print_convergence(const scenario *sc, const run_summary *sum) {
    const sim_hist *cv = &sum->dist[WORLD_DIST_CONVERGENCE];
    double censored = 0;
    for (size_t r = 0; r < sum->reps; r++)
        censored += sum->value[WORLD_METRIC_CENSORED_WINDOWS][r];
    if (sim_hist_n(cv) == 0) {
        printf("  convergence: no write committed after the warm-up\n");
        return;
    }
    char p99[64], p999[64], longest[64], bound_s[64];
    fmt_duration(p99, sizeof p99, sim_hist_quantile(cv, 0.99) / 1e9);
    fmt_duration(p999, sizeof p999, sim_hist_quantile(cv, 0.999) / 1e9);
    fmt_duration(longest, sizeof longest, cv->tally.max / 1e9);
    fmt_duration(bound_s, sizeof bound_s,
                 sim_time_to_s(sc->contract.max_staleness));
    double within = sim_hist_cdf(cv, (double)sc->contract.max_staleness);
    printf("  convergence: %.4g%% of writes were reflected by every cache "
           "copy within %s; p99 %s, p99.9 %s, longest %s (%llu writes",
           100 * within, bound_s, p99, p999, longest,
           (unsigned long long)sim_hist_n(cv));
    if (censored > 0)
        printf("; writes whose copies were still stale at the end are "
               "not included");
    printf(")\n");
}

/* How it was measured: replications, span, seed, reads, the t quantile and
 * the floor of the bounds. */
static void print_measured(const scenario *sc, const run_summary *sum,
                           const totals *t) {
    size_t n = sum->reps;
    char floor_text[64], warmup[64];
    fmt_percent(floor_text, sizeof floor_text, t->least);
    fmt_duration(warmup, sizeof warmup, sim_time_to_s(sum->warmup));
    printf("  (%zu replications x %s, warm-up %s%s, seed %llu, %.0f reads; "
           "upper bounds are one-sided 95%% Student-t, t(0.95, %zu) = %.3g, "
           "floored at %s = 1 - 0.05^(1/reads))\n",
           n, scenario_text(sc, "run", "duration"), warmup,
           sc->run.warmup_auto ? " (auto)" : "",
           (unsigned long long)sc->run.seed, t->reads, n - 1,
           gsl_cdf_tdist_Pinv(0.95, (double)(n - 1)), floor_text);
    if (sum->rare_boost > 1)
        printf("  (--rare: the fractions, bounds and nines are importance-"
               "sampling estimates at the true fault rates; the floor is "
               "divided by the boost %.4g; the cause counts are of the "
               "boosted run)\n",
               sum->rare_boost);
}

/* A verdict per family, each against its own contract; any family short of
 * MET fails the check, and is named again at the end.  CLI_EXIT_OK, or
 * CLI_EXIT_VIOLATED, or CLI_EXIT_INPUT after printing the error. */
static int check_families(const check_input *in) {
    const scenario *sc = in->sc;
    int failed[SCENARIO_MAX_FAMILIES], nfailed = 0;
    printf("\nper family (each against its own contract; default "
           "[contract]):\n");
    for (int f = 0; f < sc->families.n; f++) {
        int st = check_family(sc, in->sum, f, in->over_causes_known);
        if (st < 0) return CLI_EXIT_INPUT;
        if (st != CLAUSE_MET) failed[nfailed++] = f;
    }
    for (int i = 0; i < nfailed; i++)
        printf("check: family %s: contract not met (see above)\n",
               sc->families.family[failed[i]].name);
    return nfailed ? CLI_EXIT_VIOLATED : CLI_EXIT_OK;
}

static int stdout_failed(void) {
    if (fflush(stdout) == 0 && !ferror(stdout)) return 0;
    cli_fail(CLI_EXIT_RUNTIME, "writing the verdict: %s", strerror(errno));
    return 1;
}

int check_print_verdict(const check_input *in) {
    const scenario *sc = in->sc;
    const run_summary *sum = in->sum;
    totals t;
    judge_clauses(sc, sum->value, sum, &t);
    print_clauses(&t);
    print_causes("  ", t.bound, in->over_causes_known ? sum->over_causes : NULL,
                 sum->causes);
    output_text_rare(stdout, "  ", sum);
    print_consistency(&t);
    print_convergence(sc, sum);
    print_measured(sc, sum, &t);
    if (stdout_failed()) return CLI_EXIT_RUNTIME;
    int code = worst(&t) == CLAUSE_MET ? CLI_EXIT_OK : CLI_EXIT_VIOLATED;
    if (sc->families.n > 0) {
        int fam = check_families(in);
        if (fam == CLI_EXIT_INPUT) return CLI_EXIT_INPUT;
        if (fam != CLI_EXIT_OK) code = fam;
        if (stdout_failed()) return CLI_EXIT_RUNTIME;
    }
    return code;
}
