/* `stalesim compare`: caching patterns side by side on identical traffic.
 *
 * Every named pattern runs the same scenario with only cache.pattern changed
 * (applied with scenario_set, so validation and provenance are the usual
 * ones) and the same seed.  Replication r of every pattern draws its arrivals,
 * read/write choices, keys and clients from streams derived from (seed, r)
 * alone (sim/rng.h), so the patterns see identical requests and a difference
 * between two rows is the pattern's, not noise from different traffic
 * (common random numbers).  Latency and fault draws come from their own
 * streams; a pattern that issues more cache operations consumes them
 * differently, which is part of what is compared.  With warmup = auto,
 * MSER-5 picks a warm-up per pattern; rows measured over different spans
 * would not compare, so every pattern whose choice was shorter is rerun from
 * the longest one.  By default every pattern of the table runs, except any
 * the scenario does not validate for (named under the table); a pattern
 * named in --patterns must apply.
 *
 * The default output is a Markdown table a reviewer can paste: one row per
 * pattern, human units for durations, the best value of each ranked column in
 * bold (every tied value bold; a value ties when it equals the best or prints
 * the same), and one line saying what was held equal.  `text` is the same
 * table without Markdown; json and csv carry every metric with the names of
 * DESIGN.md section 5.  With key families, every format adds each family's
 * figures of the same runs: a table per family, a json "families" object,
 * csv rows under a first column `family`.  Patterns run one after another in this process; on a
 * terminal, stderr shows which one is running. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/cli.h"
#include "plots/format.h"
#include "experiments/output.h"
#include "experiments/commands.h"
#include "experiments/run.h"
#include "experiments/version.h"
#include "models/pattern.h"
#include "models/rare.h"
#include "models/scenario.h"
#include "sim/stats.h"

typedef enum compare_format {
    CMP_MARKDOWN,
    CMP_TEXT,
    CMP_JSON,
    CMP_CSV
} compare_format;

/* ---- number formatting ----------------------------------------------------- */

/* Decimal exponent of x as printed with `sig` significant digits (so 9.96
 * with 2 digits is exponent 1, "10"); 0 for x == 0. */
static int exponent_at(double x, int sig) {
    if (x == 0 || !isfinite(x)) return 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%.*e", sig - 1, x);
    const char *e = strchr(buf, 'e');
    return e ? atoi(e + 1) : 0;
}

/* x with `sig` significant digits: fixed notation from 1e-3 up to 1e6, else
 * compact scientific ("1.2e-4", never "1.2e-04"). */
static void fmt_sig(char *buf, size_t len, double x, int sig) {
    if (!isfinite(x)) {
        snprintf(buf, len, "-");
        return;
    }
    if (x == 0) {
        snprintf(buf, len, "0");
        return;
    }
    int e = exponent_at(x, sig);
    if (e < -3 || e > 5) {
        char m[64];
        snprintf(m, sizeof m, "%.*e", sig - 1, x);
        char *ep = strchr(m, 'e');
        if (ep) *ep = '\0';
        snprintf(buf, len, "%se%d", m, e);
        return;
    }
    int decimals = sig - 1 - e;
    snprintf(buf, len, "%.*f", decimals > 0 ? decimals : 0, x);
}

/* A duration in seconds in human units, 3 significant digits: "850us",
 * "4.2ms", "60s", "5min", "2.1h"; "0" for zero and "-" when there is none
 * (NaN). */
static void fmt_duration(char *buf, size_t len, double s) {
    if (s == 0)
        snprintf(buf, len, "0");
    else
        plot_fmt_duration(buf, len, s);
}

/* Columns on a terminal: bytes that do not continue a UTF-8 sequence. */
static int display_width(const char *s) {
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        w += (*p & 0xC0) != 0x80;
    return w;
}

/* ---- the table ------------------------------------------------------------------ */

enum { COL_PATTERN, COL_STALE, COL_AGE_P99, COL_AGE_MAX, COL_WINDOW_P99,
       COL_HIT, COL_DB_READS, COL_LOST, COL_CAUSE, NCOLS };

static const struct {
    const char *title; /* table header */
    const char *id;    /* name in json/csv "best" (DESIGN.md section 5) */
    int better;        /* -1 lowest is best, +1 highest, 0 not ranked */
} columns[NCOLS] = {
    {"pattern", "pattern", 0},
    {"stale-read fraction (95% CI)", "stale_read_fraction", -1},
    {"p99 stale age", "stale_age_s.p99", -1},
    {"max stale age", "stale_age_s.max", -1},
    {"p99 stale window", "stale_window_s.p99", -1},
    {"hit ratio", "hit_ratio", +1},
    {"DB reads/s", "db_reads_per_s", -1},
    {"lost writes", "lost_writes", -1},
    {"top cause", "top_cause", 0},
};

typedef struct cell {
    char text[96]; /* as printed */
    char tie[96];  /* the ranked figure as printed: equal text is a tie */
    double key;    /* the ranked figure; NaN: not ranked */
    int best;
} cell;

/* A pattern the scenario does not apply to (default list only). */
typedef struct skipped_pattern {
    const char *name;
    char reason[1024]; /* scenario_validate's message */
} skipped_pattern;

typedef struct compare_row {
    const pattern_ops *pattern;
    run_summary *sum;
    int family;        /* key family whose figures fill the row; -1: totals */
    cell cells[NCOLS];
    int top_cause;     /* oracle_cause, or -1 with no stale read */
    double top_share;  /* of all stale reads */
} compare_row;

static double sum_metric(const run_summary *s, int f, world_metric m) {
    double t = 0;
    const double *v = f < 0 ? s->value[m] : s->family_value[f][m];
    for (uint32_t r = 0; r < s->reps; r++) t += v[r];
    return t;
}

/* Metric m of the row's totals or family. */
static run_stat row_stat(const compare_row *row, world_metric m) {
    return row->family < 0 ? run_summary_stat(row->sum, m)
                           : run_summary_family_stat(row->sum, row->family, m);
}

/* The pooled stale-age (fd = WORLD_FDIST_STALE_AGE) or stale-window histogram. */
static const sim_hist *row_dist(const compare_row *row, int fd) {
    return row->family < 0 ? &row->sum->dist[world_family_dist[fd]]
                           : &row->sum->family_dist[row->family][fd];
}

/* A duration cell from a pooled histogram: quantile q, or the max (q < 0).
 * No values and nothing stale at all: "-", ranked as 0 (no staleness is the
 * best there is).  No values because every stale window was still open at
 * the end of the run: "still open", ranked worst (they lasted longer than the
 * run could measure). */
static void duration_cell(cell *c, const sim_hist *h, double q,
                          int none_is_best) {
    double v = NAN;
    if (sim_hist_n(h) > 0)
        v = (q < 0 ? h->tally.max : sim_hist_quantile(h, q)) / 1e9;
    if (isfinite(v) || none_is_best)
        fmt_duration(c->text, sizeof c->text, v);
    else
        snprintf(c->text, sizeof c->text, "still open");
    snprintf(c->tie, sizeof c->tie, "%s", c->text);
    c->key = isfinite(v) ? v : none_is_best ? 0 : INFINITY;
}

static void fill_row(compare_row *row) {
    const run_summary *s = row->sum;
    cell *c = row->cells;
    snprintf(c[COL_PATTERN].text, sizeof c[COL_PATTERN].text, "%s",
             row->pattern->name);
    c[COL_PATTERN].key = NAN;

    run_stat st = row_stat(row, WORLD_METRIC_STALE_READ_FRACTION);
    int sig = 2;
    if (isfinite(st.ci95) && st.ci95 > 0 && st.mean > 0) {
        int d = exponent_at(st.mean, 2) - exponent_at(st.ci95, 1) + 1;
        sig = d > sig ? (d < 6 ? d : 6) : sig;
    }
    fmt_sig(c[COL_STALE].tie, sizeof c[COL_STALE].tie, st.mean, sig);
    if (isfinite(st.ci95)) {
        char ci[48];
        fmt_sig(ci, sizeof ci, st.ci95, 1);
        char both[200];
        snprintf(both, sizeof both, "%s ± %s", c[COL_STALE].tie, ci);
        snprintf(c[COL_STALE].text, sizeof c[COL_STALE].text, "%.95s", both);
    } else {
        snprintf(c[COL_STALE].text, sizeof c[COL_STALE].text, "%s",
                 c[COL_STALE].tie);
    }
    c[COL_STALE].key = st.mean;

    int no_stale_reads = sim_hist_n(row_dist(row, WORLD_FDIST_STALE_AGE)) == 0;
    duration_cell(&c[COL_AGE_P99], row_dist(row, WORLD_FDIST_STALE_AGE), 0.99, no_stale_reads);
    duration_cell(&c[COL_AGE_MAX], row_dist(row, WORLD_FDIST_STALE_AGE), -1, no_stale_reads);
    duration_cell(&c[COL_WINDOW_P99], row_dist(row, WORLD_FDIST_STALE_WINDOW), 0.99,
                  sum_metric(s, row->family, WORLD_METRIC_CENSORED_WINDOWS) == 0);

    st = row_stat(row, WORLD_METRIC_HIT_RATIO);
    char pct[48];
    fmt_sig(pct, sizeof pct, 100 * st.mean, 3);
    snprintf(c[COL_HIT].text, sizeof c[COL_HIT].text, "%s%%", pct);
    snprintf(c[COL_HIT].tie, sizeof c[COL_HIT].tie, "%s", c[COL_HIT].text);
    c[COL_HIT].key = st.mean;

    st = row_stat(row, WORLD_METRIC_DB_READS_PER_S);
    fmt_sig(c[COL_DB_READS].text, sizeof c[COL_DB_READS].text, st.mean, 3);
    snprintf(c[COL_DB_READS].tie, sizeof c[COL_DB_READS].tie, "%s",
             c[COL_DB_READS].text);
    c[COL_DB_READS].key = st.mean;

    st = row_stat(row, WORLD_METRIC_LOST_WRITES);
    fmt_sig(c[COL_LOST].text, sizeof c[COL_LOST].text, st.mean, 2);
    snprintf(c[COL_LOST].tie, sizeof c[COL_LOST].tie, "%s", c[COL_LOST].text);
    c[COL_LOST].key = st.mean;

    const uint64_t *causes =
        row->family < 0 ? s->causes : s->family_causes[row->family];
    uint64_t total = 0, top = 0;
    row->top_cause = -1;
    row->top_share = NAN;
    for (int k = 0; k < ORACLE_CAUSE_COUNT; k++) {
        total += causes[k];
        if (causes[k] > top) {
            top = causes[k];
            row->top_cause = k;
        }
    }
    if (row->top_cause >= 0) {
        row->top_share = (double)top / (double)total;
        /* 3 digits, and never "100%" for a cause that is not the only one. */
        char share[48];
        fmt_sig(share, sizeof share, 100 * row->top_share, 3);
        if (top < total && atof(share) >= 100)
            snprintf(share, sizeof share, ">99.9");
        snprintf(c[COL_CAUSE].text, sizeof c[COL_CAUSE].text, "%s (%s%%)",
                 oracle_cause_name((oracle_cause)row->top_cause), share);
    } else {
        snprintf(c[COL_CAUSE].text, sizeof c[COL_CAUSE].text, "-");
    }
    c[COL_CAUSE].key = NAN;
}

/* Marks the best cell of every ranked column, ties included. */
static void mark_best(compare_row *rows, size_t n) {
    for (int col = 0; col < NCOLS; col++) {
        if (columns[col].better == 0) continue;
        int bi = -1;
        for (size_t i = 0; i < n; i++) {
            double k = rows[i].cells[col].key;
            if (isnan(k)) continue;
            if (bi < 0 || (columns[col].better < 0
                               ? k < rows[bi].cells[col].key
                               : k > rows[bi].cells[col].key))
                bi = (int)i;
        }
        /* Nothing measurable (every value still open): no winner. */
        if (bi < 0 || isinf(rows[bi].cells[col].key)) continue;
        const cell *b = &rows[bi].cells[col];
        for (size_t i = 0; i < n; i++) {
            cell *c = &rows[i].cells[col];
            c->best = isfinite(c->key) &&
                      (c->key == b->key || strcmp(c->tie, b->tie) == 0);
        }
    }
}

/* The warm-up every row used, as printed: the file's text, or with
 * warmup = auto the longest MSER-5 choice among the patterns. */
static void warmup_text(char *buf, size_t len, const scenario *sc,
                        const compare_row *rows) {
    if (!sc->run.warmup_auto) {
        snprintf(buf, len, "%s", scenario_text(sc, "run", "warmup"));
        return;
    }
    char d[48];
    fmt_duration(d, sizeof d, sim_time_to_s(rows[0].sum->warmup));
    snprintf(buf, len, "%s, auto: the longest MSER-5 choice of any pattern", d);
}

/* The line under the table: what every row shared. */
static void print_held_equal(FILE *out, const scenario *sc,
                             const compare_row *rows) {
    uint32_t reps = rows[0].sum->reps;
    char warmup[128];
    warmup_text(warmup, sizeof warmup, sc, rows);
    fprintf(out,
            "Held equal: seed %llu, %u replication%s x %s (warm-up %s), "
            "%s reads + %s writes over %s keys (%s, %s arrivals); replication "
            "r of every pattern uses the same random streams, so every "
            "pattern saw identical arrivals, keys and writes.",
            (unsigned long long)sc->run.seed, reps, reps == 1 ? "" : "s",
            scenario_text(sc, "run", "duration"), warmup,
            scenario_text(sc, "workload", "reads"),
            scenario_text(sc, "workload", "writes"),
            scenario_text(sc, "workload", "keys"),
            scenario_text(sc, "workload", "popularity"),
            scenario_text(sc, "workload", "arrivals"));
}

/* One table line: cells padded to their column, names left-aligned and
 * numbers right-aligned. */
static void print_line(FILE *out, int md, char text[NCOLS][160],
                       const int width[NCOLS]) {
    for (int col = 0; col < NCOLS; col++) {
        int pad = width[col] - display_width(text[col]);
        int left = col == COL_PATTERN || col == COL_CAUSE;
        int trail = left && (md || col + 1 < NCOLS) ? pad : 0;
        fprintf(out, "%s%*s%s%*s", md ? (col ? " | " : "| ") : (col ? "  " : ""),
                left ? 0 : pad, "", text[col], trail, "");
    }
    fputs(md ? " |\n" : "\n", out);
}

/* The header, the rule and one line per row. */
static void print_grid(FILE *out, compare_format f, const compare_row *rows,
                       size_t n) {
    int md = f == CMP_MARKDOWN;
    const char *open = md ? "**" : "", *close = md ? "**" : " *";
    char text[NCOLS][160];
    int width[NCOLS];
    for (int col = 0; col < NCOLS; col++)
        width[col] = display_width(columns[col].title);
    for (size_t i = 0; i < n; i++)
        for (int col = 0; col < NCOLS; col++) {
            const cell *c = &rows[i].cells[col];
            snprintf(text[col], sizeof text[col], "%s%s%s", c->best ? open : "",
                     c->text, c->best ? close : "");
            int w = display_width(text[col]);
            if (w > width[col]) width[col] = w;
        }
    for (int col = 0; col < NCOLS; col++)
        snprintf(text[col], sizeof text[col], "%s", columns[col].title);
    print_line(out, md, text, width);
    for (int col = 0; col < NCOLS; col++) {
        /* Markdown: ---: right-aligns a column; text: a plain rule. */
        int left = col == COL_PATTERN || col == COL_CAUSE, w = width[col];
        if (w > (int)sizeof text[col] - 1) w = (int)sizeof text[col] - 1;
        memset(text[col], '-', (size_t)w);
        text[col][w] = '\0';
        if (md && !left) text[col][w - 1] = ':';
    }
    print_line(out, md, text, width);
    for (size_t i = 0; i < n; i++) {
        for (int col = 0; col < NCOLS; col++) {
            const cell *c = &rows[i].cells[col];
            snprintf(text[col], sizeof text[col], "%s%s%s", c->best ? open : "",
                     c->text, c->best ? close : "");
        }
        print_line(out, md, text, width);
    }
}

/* Family k's rows (fam[n]): the same runs as the totals' rows, filled from
 * that family's figures, best marked within the family. */
static void family_rows(compare_row *fam, const compare_row *rows, size_t n,
                        int k) {
    for (size_t i = 0; i < n; i++) {
        memset(&fam[i], 0, sizeof fam[i]);
        fam[i].pattern = rows[i].pattern;
        fam[i].sum = rows[i].sum;
        fam[i].family = k;
        fill_row(&fam[i]);
    }
    mark_best(fam, n);
}

/* Key families: one table per family after the totals. */
static void print_family_tables(FILE *out, compare_format f,
                                const scenario *sc, const compare_row *rows,
                                size_t n) {
    compare_row *fam = calloc(n ? n : 1, sizeof *fam);
    if (!fam) return;
    for (int k = 0; k < sc->families.n; k++) {
        family_rows(fam, rows, n, k);
        const scenario_family *fd = &sc->families.family[k];
        fprintf(out, "\n%sfamily %s%s%s\n\n", f == CMP_MARKDOWN ? "### " : "",
                fd->name, fd->bypass ? " (bypass: every read goes to the DB)"
                                     : "",
                f == CMP_MARKDOWN ? "" : ":");
        print_grid(out, f, fam, n);
    }
    free(fam);
}

static void print_table(FILE *out, compare_format f, const scenario *sc,
                        const compare_row *rows, size_t n,
                        const skipped_pattern *skipped, size_t nskipped) {
    int md = f == CMP_MARKDOWN;
    print_grid(out, f, rows, n);
    fputc('\n', out);
    print_held_equal(out, sc, rows);
    if (sc->local.instances > 0)
        for (size_t i = 0; i < n; i++)
            if (strcmp(rows[i].pattern->name, "none") == 0)
                fprintf(out, "\nnone: the no-cache baseline, without the "
                             "scenario's %u local instance caches either "
                             "(every other row keeps them).\n",
                        sc->local.instances);
    for (size_t i = 0; i < nskipped; i++)
        fprintf(out, "%s%s (%s)",
                i ? "; " : "\nNot run, the scenario does not apply: ",
                skipped[i].name, skipped[i].reason);
    fprintf(out, "\n%s: lowest stale fraction, ages, window, DB load and lost "
                 "writes; highest hit ratio (ties all marked). ± is the 95%% "
                 "Student-t half-width over replications.\n",
            md ? "Bold: best per column" : "*: best per column");
    if (rows[0].sum->rare_boost > 0) {
        /* --rare: each pattern's boost, its faults and overlaps. */
        fputc('\n', out);
        for (size_t i = 0; i < n; i++) {
            char indent[64];
            snprintf(indent, sizeof indent, "%s: ", rows[i].pattern->name);
            output_text_rare(out, indent, rows[i].sum);
        }
    }
    if (sc->families.n > 0) {
        fprintf(out, "\nPer key family (the same runs; a family's own "
                     "pattern, bypass and overrides are kept):\n");
        print_family_tables(out, f, sc, rows, n);
    }
}

/* ---- JSON and CSV ------------------------------------------------------------------ */



/* The distribution figures of section 5, seconds; NaN when empty. */
static void dist_figures(const sim_hist *h, double v[OUTPUT_NQUANTILES + 2]) {
    v[0] = h->tally.n ? h->tally.mean / 1e9 : NAN;
    for (int q = 0; q < OUTPUT_NQUANTILES; q++)
        v[1 + q] = sim_hist_quantile(h, output_quantiles[q]) / 1e9;
    v[OUTPUT_NQUANTILES + 1] = h->tally.n ? h->tally.max / 1e9 : NAN;
}

/* The distributions of a row: every one for the totals, the family ones
 * (world_family_dist) for a family. */
static int row_ndists(const compare_row *row) {
    return row->family < 0 ? WORLD_DIST_COUNT : WORLD_FDIST_COUNT;
}

static const sim_hist *row_hist(const compare_row *row, int d,
                                const char **name) {
    if (row->family < 0) {
        *name = world_dist_name((world_dist)d);
        return &row->sum->dist[d];
    }
    *name = world_dist_name(world_family_dist[d]);
    return &row->sum->family_dist[row->family][d];
}

/* One entry of a "patterns" array (the i-th), every line indented by ind
 * more; a family's entry has no events or wall_s (those are the run's). */
static void json_pattern(FILE *out, const compare_row *row, size_t i,
                         const char *ind) {
    const run_summary *s = row->sum;
    const uint64_t *causes =
        row->family < 0 ? s->causes : s->family_causes[row->family];
    fprintf(out, "%s\n%s  {\"pattern\": ", i ? "," : "", ind);
    output_json_string(out, row->pattern->name);
    fprintf(out, ",\n%s   \"metrics\": {", ind);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        run_stat st = row_stat(row, (world_metric)m);
        fprintf(out, "%s\n%s    \"%s\": {\"mean\": ", m ? "," : "", ind,
                world_metric_name((world_metric)m));
        output_json_number(out, st.mean);
        fputs(", \"ci95\": ", out);
        output_json_number(out, st.ci95);
        fputs(", \"min\": ", out);
        output_json_number(out, st.min);
        fputs(", \"max\": ", out);
        output_json_number(out, st.max);
        fputc('}', out);
    }
    fprintf(out, "},\n%s   \"distributions\": {", ind);
    for (int d = 0; d < row_ndists(row); d++) {
        const char *name;
        const sim_hist *h = row_hist(row, d, &name);
        double v[OUTPUT_NQUANTILES + 2];
        dist_figures(h, v);
        fprintf(out, "%s\n%s    \"%s\": {\"n\": %llu, \"mean\": ",
                d ? "," : "", ind, name, (unsigned long long)sim_hist_n(h));
        output_json_number(out, v[0]);
        for (int q = 0; q < OUTPUT_NQUANTILES; q++) {
            fprintf(out, ", \"%s\": ", output_quantile_names[q]);
            output_json_number(out, v[1 + q]);
        }
        fputs(", \"max\": ", out);
        output_json_number(out, v[OUTPUT_NQUANTILES + 1]);
        fputc('}', out);
    }
    fprintf(out, "},\n%s   \"causes\": {", ind);
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
        fprintf(out, "%s\"%s\": %llu", c ? ", " : "",
                oracle_cause_name((oracle_cause)c),
                (unsigned long long)causes[c]);
    fprintf(out, "},\n%s   \"top_cause\": ", ind);
    if (row->top_cause >= 0) {
        fputs("{\"name\": ", out);
        output_json_string(out, oracle_cause_name((oracle_cause)row->top_cause));
        fputs(", \"share\": ", out);
        output_json_number(out, row->top_share);
        fputc('}', out);
    } else {
        fputs("null", out);
    }
    fputs(", \"best\": [", out);
    int k = 0;
    for (int col = 0; col < NCOLS; col++)
        if (row->cells[col].best)
            fprintf(out, "%s\"%s\"", k++ ? ", " : "", columns[col].id);
    if (row->family < 0) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, ",\n%s   ", ind);
        fputc(']', out);
        output_json_rare(out, prefix, s);
        fprintf(out, ",\n%s   \"events\": %llu, \"wall_s\": %.3f}", ind,
                (unsigned long long)s->events, s->wall_s);
    }
    else
        fputs("]}", out);
}

static void print_json(FILE *out, const scenario *sc, const compare_row *rows,
                       size_t n, const skipped_pattern *skipped,
                       size_t nskipped) {
    fprintf(out, "{\"stalesim\": \"%s\", \"command\": \"compare\",\n"
                 " \"scenario\": ",
            STALESIM_VERSION);
    output_json_scenario(out, sc);
    fprintf(out, ",\n \"reps\": %u, \"seed\": %llu,\n \"held_equal\": {",
            rows[0].sum->reps, (unsigned long long)sc->run.seed);
    static const char *const held[][2] = {
        {"run", "duration"},      {"run", "warmup"},
        {"workload", "keys"},     {"workload", "popularity"},
        {"workload", "reads"},    {"workload", "writes"},
        {"workload", "arrivals"}, {"workload", "clients"}};
    for (size_t i = 0; i < sizeof held / sizeof held[0]; i++) {
        fprintf(out, "%s\"%s\": ", i ? ", " : "", held[i][1]);
        output_json_string(out, scenario_text(sc, held[i][0], held[i][1]));
    }
    fputs(", \"warmup_s\": ", out);
    output_json_number(out, sim_time_to_s(rows[0].sum->warmup));
    fputs("},\n \"skipped\": [", out);
    for (size_t i = 0; i < nskipped; i++) {
        fputs(i ? ", {\"pattern\": " : "{\"pattern\": ", out);
        output_json_string(out, skipped[i].name);
        fputs(", \"reason\": ", out);
        output_json_string(out, skipped[i].reason);
        fputc('}', out);
    }
    fputs("],\n \"patterns\": [", out);
    for (size_t i = 0; i < n; i++) json_pattern(out, &rows[i], i, "");
    fputs("\n ]", out);
    /* Key families: the same per-pattern entries from each family's figures
     * of the same runs, best marked within the family (as its table). */
    compare_row *fam = sc->families.n ? calloc(n, sizeof *fam) : NULL;
    if (fam) {
        fputs(",\n \"families\": {", out);
        for (int k = 0; k < sc->families.n; k++) {
            const scenario_family *fd = &sc->families.family[k];
            family_rows(fam, rows, n, k);
            fputs(k ? ",\n  " : "\n  ", out);
            output_json_string(out, fd->name);
            fprintf(out, ": {\"bypass\": %s, \"patterns\": [",
                    fd->bypass ? "true" : "false");
            for (size_t i = 0; i < n; i++) json_pattern(out, &fam[i], i, "  ");
            fputs("\n  ]}", out);
        }
        fputs("\n }", out);
        free(fam);
    }
    fputs("}\n", out);
}

/* ",x": a field after the ones before it. */
static void csv_field(FILE *out, double x) {
    fputc(',', out);
    output_csv_number(out, x);
}

/* One CSV row: the row's totals or family figures.  A family has only the
 * world_family_dist distributions; the others' columns are empty. */
static void csv_row(FILE *out, const compare_row *row, const char *family) {
    const run_summary *s = row->sum;
    if (family) fprintf(out, "%s,", family);
    fprintf(out, "%s,%u,%llu", row->pattern->name, s->reps,
            (unsigned long long)s->seed);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++) {
        run_stat st = row_stat(row, (world_metric)m);
        csv_field(out, st.mean);
        csv_field(out, st.ci95);
        csv_field(out, st.min);
        csv_field(out, st.max);
    }
    for (int d = 0; d < WORLD_DIST_COUNT; d++) {
        const sim_hist *h = &s->dist[d];
        if (row->family >= 0) {
            h = NULL;
            for (int fd = 0; fd < WORLD_FDIST_COUNT; fd++)
                if (world_family_dist[fd] == (world_dist)d)
                    h = &s->family_dist[row->family][fd];
        }
        if (!h) {
            for (int k = 0; k < OUTPUT_NQUANTILES + 3; k++) fputc(',', out);
            continue;
        }
        double v[OUTPUT_NQUANTILES + 2];
        dist_figures(h, v);
        fprintf(out, ",%llu", (unsigned long long)sim_hist_n(h));
        for (int k = 0; k < OUTPUT_NQUANTILES + 2; k++) csv_field(out, v[k]);
    }
    const uint64_t *causes =
        row->family < 0 ? s->causes : s->family_causes[row->family];
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
        fprintf(out, ",%llu", (unsigned long long)causes[c]);
    fprintf(out, ",%s",
            row->top_cause >= 0
                ? oracle_cause_name((oracle_cause)row->top_cause)
                : "");
    csv_field(out, row->top_share);
    fputs(",\"", out);
    int k = 0;
    for (int col = 0; col < NCOLS; col++)
        if (row->cells[col].best)
            fprintf(out, "%s%s", k++ ? ";" : "", columns[col].id);
    fputc('"', out);
    if (s->rare_boost > 0) /* --rare: the pattern's own figures */
        output_csv_rare_fields(out, row->family < 0 ? s : NULL);
    fputc('\n', out);
}

/* Wide: one row per pattern, like the table; columns NAME.FIELD.  With key
 * families, a first column `family`: the totals' rows are "(total)", then
 * one row per family and pattern, its best marked within the family. */
static void print_csv(FILE *out, const scenario *sc, const compare_row *rows,
                      size_t n) {
    static const char *const fields[] = {"mean", "ci95", "min", "max"};
    int families = sc->families.n > 0;
    fputs(families ? "family,pattern,reps,seed" : "pattern,reps,seed", out);
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        for (int f = 0; f < 4; f++)
            fprintf(out, ",%s.%s", world_metric_name((world_metric)m), fields[f]);
    for (int d = 0; d < WORLD_DIST_COUNT; d++) {
        const char *name = world_dist_name((world_dist)d);
        fprintf(out, ",%s.n,%s.mean", name, name);
        for (int q = 0; q < OUTPUT_NQUANTILES; q++)
            fprintf(out, ",%s.%s", name, output_quantile_names[q]);
        fprintf(out, ",%s.max", name);
    }
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
        fprintf(out, ",causes.%s", oracle_cause_name((oracle_cause)c));
    fputs(",top_cause,top_cause_share,best", out);
    if (n && rows[0].sum->rare_boost > 0) output_csv_rare_header(out);
    fputc('\n', out);
    for (size_t i = 0; i < n; i++)
        csv_row(out, &rows[i], families ? "(total)" : NULL);
    compare_row *fam = families ? calloc(n, sizeof *fam) : NULL;
    if (!fam) return;
    for (int k = 0; k < sc->families.n; k++) {
        family_rows(fam, rows, n, k);
        for (size_t i = 0; i < n; i++)
            csv_row(out, &fam[i], sc->families.family[k].name);
    }
    free(fam);
}

/* ---- the command ---------------------------------------------------------------------- */

enum { COMPARE_PATTERNS = 1, COMPARE_FORMAT, COMPARE_JOBS };

static const cli_opt compare_opts[] = {
    {COMPARE_PATTERNS, "--patterns", NULL, "L", 0,
     "comma-separated pattern names, in the order to show\n"
     "(default: every pattern, `stalesim patterns`)"},
    {COMPARE_FORMAT, "--format", NULL, "F", 0,
     "markdown (default), text, json or csv"},
    {COMPARE_JOBS, "--jobs", NULL, "N", 0, CLI_JOBS_HELP},
    CLI_RARE_OPTS,
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_compare_spec = {
    "compare", "[SCENARIO.ini]", NULL, 1, compare_opts,
    "Runs the scenario once per caching pattern, changing only\n"
    "cache.pattern, with the same seed: replication r of every pattern\n"
    "sees identical arrivals, keys and writes (common random numbers),\n"
    "so the rows differ by the pattern alone.  Prints one row per\n"
    "pattern: stale-read fraction with its 95% interval, p99 and max\n"
    "stale age, p99 stale window, hit ratio, DB reads/s, lost writes and\n"
    "the top cause of stale reads, the best value per column in bold.\n",
    NULL};

/* Parses "a,b,c" into pattern rows (at most `cap`).  Returns the count, or
 * -1 after printing an error. */
static int parse_patterns(const char *list, const pattern_ops **out,
                          size_t cap) {
    size_t n = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char name[64];
        if (len == 0 || len >= sizeof name) {
            cli_fail(CLI_EXIT_INPUT, "--patterns: '%s' has an empty or overlong "
                                 "name", list);
            return -1;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        const pattern_ops *pat = pattern_find(name);
        if (!pat) {
            char known[512];
            pattern_list(known, sizeof known);
            cli_fail(CLI_EXIT_INPUT, "--patterns: unknown pattern '%s' (known: %s)",
                     name, known);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if (out[i] == pat) {
                cli_fail(CLI_EXIT_INPUT, "--patterns: '%s' is named twice", name);
                return -1;
            }
        if (n == cap) {
            cli_fail(CLI_EXIT_INPUT, "--patterns: more names than patterns");
            return -1;
        }
        out[n++] = pat;
        if (!comma) break;
        p = comma + 1;
    }
    return (int)n;
}

/* Applies cache.pattern=NAME the way --set does. */
static int set_pattern(scenario *sc, const char *name, char *err, size_t len) {
    char assign[128];
    snprintf(assign, sizeof assign, "cache.pattern=%s", name);
    return scenario_set(sc, assign, err, len);
}

/* A comparison: what the command line asked for, then the rows run. */
typedef struct comparison {
    const char *file, *format_name, *list; /* list: --patterns, or NULL */
    int jobs;
    compare_format format;
    cli_overrides sets;
    size_t cap, n;               /* patterns known, patterns chosen */
    const pattern_ops **chosen;
    compare_row *rows;           /* nrun of them, in the order chosen */
    size_t nrun;
    skipped_pattern *skipped;    /* the default list's patterns that do not
                                    apply to the scenario */
    size_t nskipped;
    run_options ro;
    int progress;                /* a progress line on stderr (a tty) */
} comparison;

/* Reads and checks the flags and the pattern list.  -1: go on; otherwise
 * the exit code (--help: 0). */
static int compare_parse(comparison *c, int argc, char **argv) {
    cli_args args;
    cli_args_init(&args, &cmd_compare_spec, argc, argv, &c->sets);
    const char *v;
    for (int id; (id = cli_next(&args, &v)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_compare_spec);
            return CLI_EXIT_OK;
        }
        if (id == CLI_ERROR) return cli_error_code(&args);
        if (id == COMPARE_JOBS) {
            if (cli_parse_jobs(v, &c->jobs) != CLI_EXIT_OK) return CLI_EXIT_INPUT;
        } else if (id == COMPARE_FORMAT) {
            c->format_name = v;
        } else if (id == COMPARE_PATTERNS) {
            c->list = v;
        } else if (c->file) {
            return cli_fail_extra(&cmd_compare_spec, "scenario file", c->file,
                                  v);
        } else {
            c->file = v;
        }
    }
    const char *f = c->format_name;
    if (strcmp(f, "markdown") == 0) c->format = CMP_MARKDOWN;
    else if (strcmp(f, "text") == 0) c->format = CMP_TEXT;
    else if (strcmp(f, "json") == 0) c->format = CMP_JSON;
    else if (strcmp(f, "csv") == 0) c->format = CMP_CSV;
    else
        return cli_fail(CLI_EXIT_INPUT, "--format: '%s' is not markdown, text, "
                        "json or csv", f);
    if (c->list) {
        int k = parse_patterns(c->list, c->chosen, c->cap);
        if (k < 0) return CLI_EXIT_INPUT;
        c->n = (size_t)k;
    } else {
        for (size_t i = 0; i < c->cap; i++) c->chosen[c->n++] = pattern_at(i);
    }
    if (c->n == 0) return cli_fail(CLI_EXIT_INPUT, "compare: no pattern to run");
    return -1;
}

/* Every chosen pattern that the scenario validates for; by default, a
 * pattern it does not apply to is skipped and named under the table, while
 * a pattern named in --patterns must apply. */
static int run_patterns(comparison *c, scenario *sc) {
    char err[1024];
    /* The none row is the true no-cache baseline: no shared cache and no
     * instance caches either; every other row keeps the scenario's [local]. */
    char instances[64];
    snprintf(instances, sizeof instances, "local.instances=%s",
             scenario_text(sc, "local", "instances"));
    for (size_t i = 0; i < c->n; i++) {
        const pattern_ops *pat = c->chosen[i];
        int baseline = strcmp(pat->name, "none") == 0;
        if (scenario_set(sc, baseline ? "local.instances=0" : instances, err,
                         sizeof err) != 0 ||
            set_pattern(sc, pat->name, err, sizeof err) != 0 ||
            scenario_validate(sc, err, sizeof err) != 0) {
            if (c->list)
                return cli_fail(CLI_EXIT_INPUT, "compare: pattern '%s': %s",
                                pat->name, err);
            skipped_pattern *sk = &c->skipped[c->nskipped++];
            sk->name = pat->name;
            snprintf(sk->reason, sizeof sk->reason, "%s", err);
            continue;
        }
        /* --rare without --boost: each pattern's own automatic boost (its
         * boosted faults differ: update-SETs fail only where it updates). */
        if (c->sets.rare && c->sets.boost <= 0)
            sc->rare_boost = rare_auto_boost(sc);
        if (c->progress)
            fprintf(stderr, "\rcompare: %s (%zu/%zu)...\033[K", pat->name,
                    i + 1, c->n);
        compare_row *row = &c->rows[c->nrun];
        row->pattern = pat;
        row->family = -1;
        row->sum = run_scenario_opts(sc, NULL, NULL, &c->ro, err, sizeof err);
        if (!row->sum) {
            if (c->progress) fputs("\r\033[K", stderr);
            return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
        }
        run_warn_rare(sc, row->sum, stderr);
        c->nrun++;
    }
    if (c->nrun == 0)
        return cli_fail(CLI_EXIT_INPUT, "compare: no pattern applies to %s: %s",
                        sc->path, c->nskipped ? c->skipped[0].reason : "");
    return CLI_EXIT_OK;
}

/* warmup = auto: MSER-5 chose per pattern; the rows must count the same
 * span, so every pattern is rerun from the longest choice (each is past
 * its transient there). */
static int rerun_common_warmup(comparison *c, scenario *sc) {
    char err[1024];
    sim_time longest = 0;
    for (size_t i = 0; i < c->nrun; i++)
        if (c->rows[i].sum->warmup > longest) longest = c->rows[i].sum->warmup;
    for (size_t i = 0; i < c->nrun; i++) {
        compare_row *row = &c->rows[i];
        if (row->sum->warmup == longest) continue;
        if (set_pattern(sc, row->pattern->name, err, sizeof err) != 0)
            return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
        /* A shallow copy (as run.c makes) with only the warm-up fixed;
         * sc still owns everything, so it is not finalized. */
        scenario fixed = *sc;
        fixed.run.warmup = longest;
        fixed.run.warmup_auto = 0;
        if (c->progress)
            fprintf(stderr, "\rcompare: %s again from the common warm-up"
                            "...\033[K", row->pattern->name);
        run_summary *again =
            run_scenario_opts(&fixed, NULL, NULL, &c->ro, err, sizeof err);
        if (!again) {
            if (c->progress) fputs("\r\033[K", stderr);
            return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
        }
        run_summary_destroy(row->sum);
        row->sum = again;
    }
    return CLI_EXIT_OK;
}

/* The rows of c over sc, in c->format on stdout. */
static int compare_print(const comparison *c, const scenario *sc) {
    switch (c->format) {
    case CMP_MARKDOWN:
    case CMP_TEXT:
        print_table(stdout, c->format, sc, c->rows, c->nrun, c->skipped,
                    c->nskipped);
        break;
    case CMP_JSON:
        print_json(stdout, sc, c->rows, c->nrun, c->skipped, c->nskipped);
        break;
    case CMP_CSV: print_csv(stdout, sc, c->rows, c->nrun); break;
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        return cli_fail(CLI_EXIT_RUNTIME, "writing the results: %s",
                        strerror(errno));
    return CLI_EXIT_OK;
}

/* Runs the comparison of c over its scenario and prints it. */
static int compare_run(comparison *c, scenario *sc) {
    char err[1024];
    char original[sizeof sc->cache.pattern];
    int code = cli_load_scenario(sc, c->file, &c->sets);
    if (code != CLI_EXIT_OK) return code;
    snprintf(original, sizeof original, "%s", sc->cache.pattern);
    c->progress = isatty(STDERR_FILENO);
    /* compare draws its own progress line (which pattern) */
    c->ro = (run_options){c->jobs ? c->jobs : run_default_jobs(), NULL,
                          "compare"};
    code = run_patterns(c, sc);
    if (code == CLI_EXIT_OK && sc->run.warmup_auto)
        code = rerun_common_warmup(c, sc);
    if (code != CLI_EXIT_OK) return code;
    if (c->progress) fputs("\r\033[K", stderr);
    for (size_t i = 0; i < c->nrun; i++) fill_row(&c->rows[i]);
    /* The echo shows the file's own pattern; the rows name theirs. */
    if (set_pattern(sc, original, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    mark_best(c->rows, c->nrun);
    return compare_print(c, sc);
}

int cmd_compare(int argc, char **argv) {
    comparison c;
    memset(&c, 0, sizeof c);
    c.format_name = "markdown";
    c.cap = pattern_count();
    c.chosen = calloc(c.cap ? c.cap : 1, sizeof *c.chosen);
    c.rows = calloc(c.cap ? c.cap : 1, sizeof *c.rows);
    c.skipped = calloc(c.cap ? c.cap : 1, sizeof *c.skipped);
    scenario sc;
    memset(&sc, 0, sizeof sc);
    int code;
    if (!c.chosen || !c.rows || !c.skipped)
        code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    else if ((code = compare_parse(&c, argc, argv)) < 0) /* -1: go on */
        code = compare_run(&c, &sc);
    for (size_t i = 0; c.rows && i < c.cap; i++)
        run_summary_destroy(c.rows[i].sum);
    free(c.rows);
    free(c.chosen);
    free(c.skipped);
    scenario_fini(&sc);
    cli_overrides_fini(&c.sets);
    return code;
}
