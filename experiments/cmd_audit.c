/* `stalesim audit HISTORY`: the oracle's figures for a recorded history
 * (docs/history.md), from a simulation, from emulate, or from a user's own
 * instrumentation, and the [contract] verdict on them.
 *
 * The figures come from experiments/audit.c in one streaming pass.  The
 * stale-read fraction's interval is by batch means over time (the history is
 * one long run, not independent replications): the reads are split into
 * AUDIT_BATCHES equal spans of invoke time (the span doubles as the history
 * outgrows them, so there are between 33 and 64 batches once the history is
 * longer than 64 ms), each batch's stale fraction is one observation, and the
 * 95% Student-t half-width of their mean is reported around the overall
 * fraction.  The contract is judged on the same batch values by the rule
 * `check` uses on replications (experiments/contract.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/audit.h"
#include "experiments/cli.h"
#include "sim/fileio.h"
#include "experiments/commands.h"
#include "experiments/contract.h"
#include "experiments/output.h"
#include "experiments/version.h"
#include "models/scenario.h"

enum {
    AUDIT_OPT_CONTRACT = 1, AUDIT_OPT_SCENARIO, AUDIT_OPT_WARMUP,
    AUDIT_OPT_DEPTH, AUDIT_OPT_FORMAT
};

static const cli_opt audit_opts[] = {
    {AUDIT_OPT_CONTRACT, "--contract", NULL, "K=V", CLI_OPT_REPEAT,
     "a [contract] key: max_staleness, quantile,\n"
     "max_stale_fraction (repeatable, or comma-separated)"},
    {AUDIT_OPT_SCENARIO, "--scenario", NULL, "FILE", 0,
     "take the [contract] section of scenario FILE"},
    {AUDIT_OPT_WARMUP, "--warmup", NULL, "D", 0,
     "reads invoked before D are not counted\n"
     "(default: the header's warmup_ns, else 0)"},
    {AUDIT_OPT_DEPTH, "--depth", NULL, "N", 0,
     "versions kept per key (default 16)"},
    {AUDIT_OPT_FORMAT, "--format", NULL, "F", 0, "text (default), json or csv"},
    {0, NULL, NULL, NULL, 0, NULL}};

const cli_spec cmd_audit_spec = {
    "audit", "HISTORY", NULL, 0, audit_opts,
    "Judges a recorded history (JSON lines, docs/history.md; `-` reads\n"
    "stdin) with stalesim's oracle, in one streaming pass: stale-read\n"
    "fraction with a 95% batch-means interval, stale age (both bounds\n"
    "when commit instants are only known as invoke/ack intervals) and\n"
    "observed stale windows, read-your-writes violations, and reads of\n"
    "versions never written (reported with their line).\n",
    "exit: 0 judged (contract met, if one was given), 1 contract not met\n"
    "or a read of a version never written, 2 bad usage or a malformed\n"
    "line (FILE:LINE: field ...), 3 I/O failure.\n"};

/* One figure: a value with its batch interval (NaN when it has none). */
typedef struct figure {
    const char *name;
    double mean, ci95, min, max;
} figure;

enum { NFIG = 17, NDIST = 5 };

typedef struct verdicts {
    int judged;
    contract_clause clause[2]; /* 0: staleness at the quantile, 1: fraction */
    char rule[2][160];
} verdicts;

/* A fraction figure with its batch-means interval. */
static figure batch_figure(const char *name, const audit_result *r,
                           const uint64_t *num, uint64_t total) {
    double x[AUDIT_BATCHES];
    size_t n = audit_batch_fractions(r, num, x);
    figure f = {name, r->reads ? (double)total / (double)r->reads : 0, NAN,
                NAN, NAN};
    f.ci95 = n >= 2 ? sim_ci95(x, n) : NAN;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || x[i] < f.min) f.min = x[i];
        if (i == 0 || x[i] > f.max) f.max = x[i];
    }
    return f;
}

static figure count_figure(const char *name, double v) {
    figure f = {name, v, NAN, v, v};
    return f;
}

static void figures(const audit_result *r, figure *f) {
    double reads = (double)r->reads;
    int i = 0;
    f[i++] = batch_figure("stale_read_fraction", r, r->batch_stale, r->stale);
    f[i++] = count_figure("hit_ratio", reads > 0 ? (double)r->hits / reads : 0);
    f[i++] = count_figure("local_hit_ratio",
                          reads > 0 ? (double)r->local_hits / reads : 0);
    f[i++] = batch_figure("over_max_staleness_fraction", r, r->batch_over,
                          r->over_bound);
    f[i++] = count_figure("reads", reads);
    f[i++] = count_figure("writes", (double)r->writes);
    f[i++] = count_figure("stale_reads", (double)r->stale);
    f[i++] = count_figure("concurrent_reads", (double)r->concurrent);
    f[i++] = count_figure("fresh_reads", (double)r->fresh);
    f[i++] = count_figure("failed_reads", (double)r->failed_reads);
    f[i++] = count_figure("stale_windows", (double)r->windows);
    f[i++] = count_figure("censored_windows", (double)r->censored_windows);
    f[i++] = count_figure("ryw_violations", (double)r->ryw_violations);
    f[i++] = count_figure("unwritten_reads", (double)r->unwritten_reads);
    f[i++] = count_figure("verdict_disagreements",
                          (double)r->verdict_disagreements);
    f[i++] = count_figure("beyond_depth_reads", (double)r->beyond_depth);
    f[i++] = count_figure("writes_with_commit_time", (double)r->writes_exact);
}

static const char *mode_of(const audit_result *r) {
    if (r->writes_committed == 0 || r->writes_exact == r->writes_committed)
        return "exact";
    return r->writes_exact == 0 ? "interval" : "mixed";
}

static void dists(const audit_result *r, const sim_hist **h,
                  const char **names) {
    names[0] = "stale_age_s";
    h[0] = &r->stale_age_max; /* the upper bound: conservative */
    names[1] = "stale_age_min_s";
    h[1] = &r->stale_age_min;
    names[2] = "stale_age_max_s";
    h[2] = &r->stale_age_max;
    names[3] = "stale_window_s";
    h[3] = &r->stale_window;
    names[4] = "read_latency_s";
    h[4] = &r->read_latency;
}


/* The contract on the batch values. */
static void judge(const audit_result *r, const scenario *sc, verdicts *v) {
    double x[AUDIT_BATCHES];
    double least = contract_resolution((double)r->reads);
    size_t n = audit_batch_fractions(r, r->batch_over, x);
    v->clause[0] = contract_judge(x, n, 1 - sc->contract.quantile, least);
    n = audit_batch_fractions(r, r->batch_stale, x);
    v->clause[1] = contract_judge(x, n, sc->contract.max_stale_fraction, least);
    char bound[48];
    sim_duration_format(sc->contract.max_staleness, bound, sizeof bound);
    snprintf(v->rule[0], sizeof v->rule[0],
             "reads staler than %s <= %.6g (quantile %.6g)", bound,
             1 - sc->contract.quantile, sc->contract.quantile);
    snprintf(v->rule[1], sizeof v->rule[1], "stale_read_fraction <= %.6g",
             sc->contract.max_stale_fraction);
}

static const char *state_name(contract_state s) {
    return s == CONTRACT_MET ? "met"
           : s == CONTRACT_UNDEMONSTRATED ? "not demonstrated"
                                          : "violated";
}

static void print_json(FILE *out, const char *file, uint32_t depth,
                       const audit_result *r, const verdicts *v) {
    figure f[NFIG];
    const sim_hist *h[NDIST];
    const char *dn[NDIST];
    figures(r, f);
    dists(r, h, dn);
    fprintf(out, "{\"stalesim\": \"%s\",\n \"audit\": {\"file\": ",
            STALESIM_VERSION);
    output_json_string(out, file);
    fprintf(out,
            ", \"lines\": %llu, \"keys\": %llu, \"mode\": \"%s\", \"depth\": "
            "%u, \"warmup_s\": ",
            (unsigned long long)r->lines, (unsigned long long)r->keys,
            mode_of(r), depth);
    output_json_number(out, (double)r->warmup / 1e9);
    fputs(", \"span_s\": ", out);
    output_json_number(out, (double)(r->end - r->first_t) / 1e9);
    fprintf(out, ", \"batches\": %u, \"batch_s\": ", r->nbatches);
    output_json_number(out, (double)r->batch_width / 1e9);
    fputs("},\n \"metrics\": {", out);
    for (int i = 0; i < NFIG; i++) {
        fprintf(out, "%s\n  \"%s\": {\"mean\": ", i ? "," : "", f[i].name);
        output_json_number(out, f[i].mean);
        fputs(", \"ci95\": ", out);
        output_json_number(out, f[i].ci95);
        fputs(", \"min\": ", out);
        output_json_number(out, f[i].min);
        fputs(", \"max\": ", out);
        output_json_number(out, f[i].max);
        fputc('}', out);
    }
    fputs("},\n \"distributions\": {", out);
    for (int d = 0; d < NDIST; d++) {
        fprintf(out, "%s\n  \"%s\": {\"n\": %llu, \"mean\": ", d ? "," : "",
                dn[d], (unsigned long long)sim_hist_n(h[d]));
        output_json_number(out, h[d]->tally.n ? h[d]->tally.mean / 1e9 : NAN);
        for (int q = 0; q < OUTPUT_NQUANTILES; q++) {
            fprintf(out, ", \"%s\": ", output_quantile_names[q]);
            output_json_number(
                out, sim_hist_quantile(h[d], output_quantiles[q]) / 1e9);
        }
        fputs(", \"max\": ", out);
        output_json_number(out, h[d]->tally.n ? h[d]->tally.max / 1e9 : NAN);
        fputc('}', out);
    }
    fputs("},\n \"causes\": {", out);
    for (int c = 0, k = 0; c < ORACLE_CAUSE_COUNT && r->causes_given; c++)
        if (r->causes[c])
            fprintf(out, "%s\"%s\": %llu", k++ ? ", " : "",
                    oracle_cause_name((oracle_cause)c),
                    (unsigned long long)r->causes[c]);
    fputs("},\n \"unwritten\": [", out);
    for (uint64_t i = 0; i < r->unwritten_reads && i < AUDIT_SHOW_UNWRITTEN;
         i++) {
        fprintf(out, "%s{\"line\": %llu, \"key\": ", i ? ", " : "",
                (unsigned long long)r->unwritten[i].line);
        output_json_string(out, r->unwritten[i].key);
        fprintf(out, ", \"version\": %u}", r->unwritten[i].version);
    }
    fputc(']', out);
    if (v->judged) {
        fputs(",\n \"contract\": {", out);
        static const char *const cn[] = {"staleness", "stale_fraction"};
        for (int c = 0; c < 2; c++) {
            fprintf(out, "%s\"%s\": {\"rule\": ", c ? ", " : "", cn[c]);
            output_json_string(out, v->rule[c]);
            fputs(", \"mean\": ", out);
            output_json_number(out, v->clause[c].mean);
            fputs(", \"upper95\": ", out);
            output_json_number(out, v->clause[c].upper);
            fprintf(out, ", \"state\": \"%s\"}", state_name(v->clause[c].state));
        }
        fputc('}', out);
    }
    fputs("}\n", out);
}

static void print_csv(FILE *out, const audit_result *r, const verdicts *v) {
    figure f[NFIG];
    const sim_hist *h[NDIST];
    const char *dn[NDIST];
    figures(r, f);
    dists(r, h, dn);
    fputs("section,name,field,value\n", out);
    fprintf(out, "audit,mode,value,%s\naudit,lines,value,%llu\n", mode_of(r),
            (unsigned long long)r->lines);
    static const char *const fields[] = {"mean", "ci95", "min", "max"};
    for (int i = 0; i < NFIG; i++) {
        double x[4] = {f[i].mean, f[i].ci95, f[i].min, f[i].max};
        for (int k = 0; k < 4; k++) {
            fprintf(out, "metrics,%s,%s,", f[i].name, fields[k]);
            output_csv_number(out, x[k]);
            fputc('\n', out);
        }
    }
    for (int d = 0; d < NDIST; d++) {
        fprintf(out, "distributions,%s,n,%llu\n", dn[d],
                (unsigned long long)sim_hist_n(h[d]));
        for (int q = 0; q < OUTPUT_NQUANTILES; q++) {
            fprintf(out, "distributions,%s,%s,", dn[d], output_quantile_names[q]);
            output_csv_number(out, sim_hist_quantile(h[d], output_quantiles[q]) / 1e9);
            fputc('\n', out);
        }
        fprintf(out, "distributions,%s,max,", dn[d]);
        output_csv_number(out, h[d]->tally.n ? h[d]->tally.max / 1e9 : NAN);
        fputc('\n', out);
    }
    for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
        if (r->causes[c])
            fprintf(out, "causes,%s,stale_reads,%llu\n",
                    oracle_cause_name((oracle_cause)c),
                    (unsigned long long)r->causes[c]);
    for (int c = 0; v->judged && c < 2; c++)
        fprintf(out, "contract,%s,state,%s\n", c ? "stale_fraction" : "staleness",
                state_name(v->clause[c].state));
}

static void print_text(FILE *out, const char *file, const audit_result *r,
                       const verdicts *v) {
    figure f[NFIG];
    const sim_hist *h[NDIST];
    const char *dn[NDIST];
    figures(r, f);
    dists(r, h, dn);
    char warm[48], width[48];
    sim_duration_format(r->warmup, warm, sizeof warm);
    sim_duration_format(r->batch_width, width, sizeof width);
    fprintf(out,
            "stalesim %s audit: %s\n%llu lines, %llu keys, %s commit times; "
            "warm-up %s; %u batches of %s\n\n",
            STALESIM_VERSION, file, (unsigned long long)r->lines,
            (unsigned long long)r->keys, mode_of(r), warm, r->nbatches, width);
    fprintf(out, "%-28s %11s %11s %11s %11s\n", "metric", "value", "+-95%",
            "min batch", "max batch");
    for (int i = 0; i < NFIG; i++) {
        fprintf(out, "%-28s", f[i].name);
        output_text_number(out, f[i].mean);
        output_text_number(out, f[i].ci95);
        output_text_number(out, isfinite(f[i].ci95) ? f[i].min : NAN);
        output_text_number(out, isfinite(f[i].ci95) ? f[i].max : NAN);
        fputc('\n', out);
    }
    fprintf(out, "\n%-20s %9s %11s %11s %11s %11s %11s %11s\n",
            "distribution (s)", "n", "mean", "p50", "p90", "p99", "p999",
            "max");
    for (int d = 0; d < NDIST; d++) {
        fprintf(out, "%-20s %9llu", dn[d], (unsigned long long)sim_hist_n(h[d]));
        output_text_number(out, h[d]->tally.n ? h[d]->tally.mean / 1e9 : NAN);
        for (int q = 0; q < OUTPUT_NQUANTILES; q++)
            output_text_number(out, sim_hist_quantile(h[d], output_quantiles[q]) / 1e9);
        output_text_number(out, h[d]->tally.n ? h[d]->tally.max / 1e9 : NAN);
        fputc('\n', out);
    }
    if (r->causes_given) {
        fprintf(out, "\ncauses recorded with the stale reads: %llu of %llu\n",
                (unsigned long long)r->causes_given,
                (unsigned long long)r->stale);
        for (int c = 0; c < ORACLE_CAUSE_COUNT; c++)
            if (r->causes[c])
                fprintf(out, "  %-24s %11llu\n",
                        oracle_cause_name((oracle_cause)c),
                        (unsigned long long)r->causes[c]);
    }
    if (r->beyond_depth)
        fprintf(out,
                "\nnote: %llu reads returned a version older than the %s "
                "versions kept per key; raise --depth for exact ages\n",
                (unsigned long long)r->beyond_depth, "last");
    for (int c = 0; v->judged && c < 2; c++)
        fprintf(out, "%scontract %s: %s (mean %.4g, 95%% upper bound %.4g)\n",
                c ? "" : "\n", v->rule[c], state_name(v->clause[c].state),
                v->clause[c].mean, v->clause[c].upper);
}

/* Adds "--set contract.KEY=VALUE" for every item of a --contract value. */
static int take_contract(const char *value, cli_overrides *sets) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", value);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char text[300];
        if (!strchr(item, '='))
            return cli_fail(CLI_EXIT_INPUT,
                            "--contract: '%s' is not KEY=VALUE (keys: "
                            "max_staleness, quantile, max_stale_fraction)",
                            item);
        snprintf(text, sizeof text, "contract.%s", item);
        int code = cli_overrides_add(sets, "--set", text);
        if (code != CLI_EXIT_OK) return code;
    }
    return CLI_EXIT_OK;
}

/* What the command line asked for. */
typedef struct audit_cli {
    const char *file, *format_name, *scen, *warmup;
    long depth;
    int have_contract;
    output_format format;
    cli_overrides sets; /* --contract and --warmup as scenario overrides */
} audit_cli;

/* One flag into c; CLI_EXIT_OK, or the exit code after the message. */
static int audit_flag(audit_cli *c, int id, const char *val) {
    switch (id) {
    case AUDIT_OPT_FORMAT: c->format_name = val; break;
    case AUDIT_OPT_CONTRACT:
        c->have_contract = 1;
        return take_contract(val, &c->sets);
    case AUDIT_OPT_SCENARIO: c->scen = val; break;
    case AUDIT_OPT_WARMUP: c->warmup = val; break;
    case AUDIT_OPT_DEPTH: {
        char *end;
        errno = 0;
        c->depth = strtol(val, &end, 10);
        if (errno || *end || c->depth < 2 || c->depth > 4096)
            return cli_fail(CLI_EXIT_INPUT, "--depth: '%s' is not an integer in "
                            "2..4096", val);
        break;
    }
    default: /* CLI_OPERAND */
        if (c->file)
            return cli_fail_extra(&cmd_audit_spec, "history", c->file, val);
        c->file = val;
    }
    return CLI_EXIT_OK;
}

/* Reads and checks the flags.  -1: go on; otherwise the exit code (--help:
 * 0). */
static int audit_parse(audit_cli *c, int argc, char **argv) {
    cli_args args;
    cli_args_init(&args, &cmd_audit_spec, argc, argv, NULL);
    const char *val;
    for (int id; (id = cli_next(&args, &val)) != CLI_END;) {
        if (id == CLI_HELP) {
            cli_usage(stdout, &cmd_audit_spec);
            return CLI_EXIT_OK;
        }
        if (id == CLI_ERROR) return cli_error_code(&args);
        int code = audit_flag(c, id, val);
        if (code != CLI_EXIT_OK) return code;
    }
    if (!c->file)
        return cli_fail(CLI_EXIT_INPUT, "audit: which history? (stalesim audit "
                        "--help)");
    if (output_parse_format(c->format_name, &c->format) != 0)
        return cli_fail(CLI_EXIT_INPUT, "--format: '%s' is not text, json or csv",
                        c->format_name);
    if (c->warmup) {
        char text[300];
        if (strcmp(c->warmup, "auto") == 0)
            return cli_fail(CLI_EXIT_INPUT, "--warmup: give a duration (auto "
                            "needs replications; audit has one history)");
        snprintf(text, sizeof text, "run.warmup=%s", c->warmup);
        int code = cli_overrides_add(&c->sets, "--warmup", text);
        if (code != CLI_EXIT_OK) return code;
    }
    return -1;
}

/* Reads the history c->file (`-`: stdin) into a. */
static int audit_read(const audit_cli *c, audit *a) {
    char err[1024];
    /* A FIFO or a device named as the file would block or never end;
     * `-` reads stdin on purpose. */
    char why[128] = "";
    int is_stdin = strcmp(c->file, "-") == 0;
    FILE *in = is_stdin ? stdin
                        : sim_file_open_regular(c->file, why, sizeof why);
    if (!in) return cli_fail(CLI_EXIT_INPUT, "%s: cannot open: %s", c->file, why);
    int rc = audit_stream(a, in, is_stdin ? "(stdin)" : c->file, err,
                          sizeof err);
    if (!is_stdin) fclose(in);
    if (rc != 0) return cli_fail(rc == 2 ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s", err);
    return CLI_EXIT_OK;
}

/* The warnings, the result in c->format on stdout, and the exit code: 1
 * when a read returned a version never written or a clause is not met. */
static int audit_report(const audit_cli *c, const scenario *sc,
                        const audit_result *r) {
    verdicts v;
    memset(&v, 0, sizeof v);
    if (c->have_contract || c->scen) {
        judge(r, sc, &v);
        v.judged = 1;
    }
    for (uint64_t i = 0; i < r->unwritten_reads && i < AUDIT_SHOW_UNWRITTEN; i++)
        fprintf(stderr,
                "stalesim: %s:%llu: key %s: read returned version %u, never "
                "written\n",
                c->file, (unsigned long long)r->unwritten[i].line,
                r->unwritten[i].key, r->unwritten[i].version);
    if (r->unwritten_reads > AUDIT_SHOW_UNWRITTEN)
        fprintf(stderr, "stalesim: ... %llu reads of unwritten versions in all\n",
                (unsigned long long)r->unwritten_reads);
    if (c->format == OUTPUT_FORMAT_JSON)
        print_json(stdout, c->file, (uint32_t)c->depth, r, &v);
    else if (c->format == OUTPUT_FORMAT_CSV)
        print_csv(stdout, r, &v);
    else
        print_text(stdout, c->file, r, &v);
    if (fflush(stdout) != 0)
        return cli_fail(CLI_EXIT_RUNTIME, "writing the results: %s",
                        strerror(errno));
    int code = CLI_EXIT_OK;
    if (r->unwritten_reads) code = CLI_EXIT_VIOLATED;
    for (int k = 0; v.judged && k < 2; k++)
        if (v.clause[k].state != CONTRACT_MET) code = CLI_EXIT_VIOLATED;
    return code;
}

int cmd_audit(int argc, char **argv) {
    audit_cli c;
    memset(&c, 0, sizeof c);
    c.format_name = "text";
    c.depth = AUDIT_DEFAULT_DEPTH;
    scenario sc;
    memset(&sc, 0, sizeof sc);
    audit *a = NULL;
    int code = audit_parse(&c, argc, argv); /* -1: go on */
    if (code < 0) {
        code = cli_load_scenario(&sc, c.scen, &c.sets);
        audit_options opt = {sc.run.warmup, c.warmup != NULL,
                             sc.contract.max_staleness, (uint32_t)c.depth};
        if (code == CLI_EXIT_OK && !(a = audit_create(&opt)))
            code = cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        if (code == CLI_EXIT_OK) code = audit_read(&c, a);
        if (code == CLI_EXIT_OK) code = audit_report(&c, &sc, audit_get_result(a));
    }
    audit_destroy(a);
    scenario_fini(&sc);
    cli_overrides_fini(&c.sets);
    return code;
}
