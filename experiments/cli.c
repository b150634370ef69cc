/* The command line: subcommands, their flags and help, and exit codes.
 *
 * Help goes to stdout, errors to stderr as one line
 * "stalesim: error: ..." and a named exit code: 0 success, 1 contract
 * violated, 2 bad usage or input, 3 runtime or I/O failure. */
#include "experiments/cli.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "experiments/commands.h"
#include "models/rare.h"
#include "experiments/estimate.h"
#include "models/workload.h"
#include "experiments/version.h"
#include "experiments/shell.h"

int cli_fail(int code, const char *fmt, ...) {
    va_list ap;
    char *msg = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&msg, &len);
    if (m) {
        va_start(ap, fmt);
        vfprintf(m, fmt, ap);
        va_end(ap);
    }
    if (!m || fclose(m) != 0) {
        free(msg);
        fputs("stalesim: error: out of memory\n", stderr);
        return code;
    }
    /* One line whatever the message quotes: a control character (a newline
     * in a file name, an escape sequence) is shown as \n, \t or \xHH.  The
     * line is built first and written with one call: stderr is unbuffered,
     * and a character at a time is a system call each (and interleaves
     * with the lines of other processes sharing the terminal). */
    char *line = malloc(sizeof "stalesim: error: \n" + 4 * len);
    if (!line) {
        free(msg);
        fputs("stalesim: error: out of memory\n", stderr);
        return code;
    }
    char *w = line + sprintf(line, "stalesim: error: ");
    for (const unsigned char *c = (const unsigned char *)msg; *c; c++) {
        if (*c == '\n') w += sprintf(w, "\\n");
        else if (*c == '\t') w += sprintf(w, "\\t");
        else if (*c < 0x20 || *c == 0x7f) w += sprintf(w, "\\x%02x", *c);
        else *w++ = (char)*c;
    }
    *w++ = '\n';
    fwrite(line, 1, (size_t)(w - line), stderr);
    free(line);
    free(msg);
    return code;
}

int cli_open_output(sim_outfile *o, const char *flag, const char *path) {
    char why[256];
    if (shell_has_control(path))
        return cli_fail(CLI_EXIT_INPUT, "%s '%s': the file name holds a control "
                        "character: refused", flag, path);
    if (!*path)
        return cli_fail(CLI_EXIT_INPUT, "%s: an empty file name", flag);
    if (sim_file_check_regular(path, why, sizeof why) != 0 && errno != ENOENT)
        return cli_fail(errno == 0 ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME,
                        "%s '%s': %s", flag, path, why);
    if (sim_outfile_open(o, path, why, sizeof why) != 0)
        return cli_fail(CLI_EXIT_RUNTIME, "%s '%s': cannot write: %s", flag, path,
                        why);
    return CLI_EXIT_OK;
}

void cli_overrides_fini(cli_overrides *o) {
    free(o->item);
    o->item = NULL;
    o->n = o->cap = 0;
}

int cli_overrides_have(const cli_overrides *o, const char *flag) {
    for (int i = 0; o && i < o->n; i++)
        if (strcmp(o->item[i].flag, flag) == 0) return 1;
    return 0;
}

char *cli_overrides_join(const cli_overrides *o) {
    size_t len = 1;
    for (int i = 0; i < o->n; i++) len += strlen(o->item[i].text) + 1;
    char *s = malloc(len);
    if (!s) return NULL;
    s[0] = '\0';
    for (int i = 0; i < o->n; i++) {
        strcat(s, o->item[i].text);
        strcat(s, "\n");
    }
    return s;
}

long long cli_parse_whole(const char *text, long long lo, long long hi) {
    if (!text || !*text) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || text[0] == '-' || text[0] == '+' || v < lo || v > hi)
        return -1;
    return v;
}

int cli_parse_count(const char *flag, const char *s, unsigned long max,
                    unsigned long *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-' || v < 1 || v > max)
        return cli_fail(CLI_EXIT_INPUT, "%s: '%s' is not a whole number in "
                        "1..%lu", flag, s, max);
    *out = v;
    return CLI_EXIT_OK;
}

/* ---- options ------------------------------------------------------------ */

enum { OPT_SET = 1000001, OPT_REPS, OPT_SEED };
enum { OPT_RARE = CLI_OPT_RARE, OPT_BOOST = CLI_OPT_BOOST };
_Static_assert((int)OPT_SEED < (int)OPT_RARE, "option ids");
enum { OPT_MAX_MEMORY = 1000010 };
_Static_assert((int)OPT_BOOST < (int)OPT_MAX_MEMORY, "option ids");

/* The scenario flags every scenario-taking command shares. */
static const cli_opt scenario_opts[] = {
    {OPT_SET, "--set", NULL, "S.K=V", CLI_OPT_REPEAT,
     "override one key after the file, e.g. --set cache.ttl=60s"},
    {OPT_REPS, "--reps", NULL, "N", 0,
     "replications (same as --set run.reps=N)"},
    {OPT_SEED, "--seed", NULL, "S", 0, "seed (same as --set run.seed=S)"},
    {OPT_MAX_MEMORY, "--max-memory", NULL, "SIZE", 0,
     "refuse a run estimated to need more memory than SIZE\n"
     "(512M, 2G; default: the machine's memory; docs/limits.md)"},
    {0, NULL, NULL, NULL, 0, NULL}};


void cli_args_init(cli_args *p, const cli_spec *spec, int argc, char **argv,
                   cli_overrides *sets) {
    p->spec = spec;
    p->argc = argc;
    p->argv = argv;
    p->i = 0;
    p->operands_only = 0;
    p->sets = sets;
    p->code = CLI_EXIT_OK;
}

int cli_error_code(const cli_args *p) { return p->code; }

static int matches(const char *spelling, const char *a, size_t len) {
    return spelling && strlen(spelling) == len && strncmp(spelling, a, len) == 0;
}

static const cli_opt *find_opt(const cli_spec *spec, const char *a,
                               size_t len) {
    for (const cli_opt *o = spec->opt; o && o->name; o++)
        if (matches(o->name, a, len) || matches(o->alias, a, len)) return o;
    for (const cli_opt *o = scenario_opts; spec->scenario_flags && o->name; o++)
        if (matches(o->name, a, len)) return o;
    return NULL;
}

int cli_overrides_add(cli_overrides *o, const char *flag, const char *text) {
    if (o->n == o->cap) {
        int cap = o->cap ? 2 * o->cap : 8;
        cli_override *item = realloc(o->item, (size_t)cap * sizeof *item);
        if (!item) return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
        o->item = item;
        o->cap = cap;
    }
    cli_override *ov = &o->item[o->n];
    ov->flag = flag;
    int n = snprintf(ov->text, sizeof ov->text, "%s", text);
    if (n < 0 || (size_t)n >= sizeof ov->text)
        return cli_fail(CLI_EXIT_INPUT, "%s: value too long", flag);
    o->n++;
    return CLI_EXIT_OK;
}

/* Appends --set/--reps/--seed's value as "section.key=value". */
static int add_override(cli_args *p, const cli_opt *o, const char *v) {
    if (o->id == OPT_MAX_MEMORY) {
        if (estimate_parse_size(v, &p->sets->max_memory) != 0)
            return p->code = cli_fail(CLI_EXIT_INPUT, "--max-memory: '%s' is not a "
                                      "size (bytes, or with K, M, G or T: "
                                      "512M, 2G)", v);
        p->sets->max_memory_text = v;
        return p->code = CLI_EXIT_OK;
    }
    char text[sizeof p->sets->item->text + 1];
    int n = o->id == OPT_SET
                ? snprintf(text, sizeof text, "%s", v)
                : snprintf(text, sizeof text, "run.%s=%s",
                           o->id == OPT_REPS ? "reps" : "seed", v);
    if (n < 0 || (size_t)n >= sizeof text)
        return p->code = cli_fail(CLI_EXIT_INPUT, "%s: value too long", o->name);
    return p->code = cli_overrides_add(p->sets, o->name, text);
}

int cli_next(cli_args *p, const char **value) {
    for (;;) {
        *value = NULL;
        if (p->i >= p->argc) return CLI_END;
        const char *a = p->argv[p->i++];
        if (p->operands_only || a[0] != '-' || a[1] == '\0') {
            *value = a;
            return CLI_OPERAND;
        }
        if (strcmp(a, "--") == 0) {
            p->operands_only = 1;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) return CLI_HELP;
        const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const cli_opt *o = find_opt(p->spec, a, len);
        if (!o) {
            p->code = cli_fail(CLI_EXIT_INPUT,
                               "%s: unknown option '%.*s' (stalesim %s --help)",
                               p->spec->name, (int)len, a, p->spec->name);
            return CLI_ERROR;
        }
        if (!o->value) {
            if (!eq && o->id == OPT_RARE) {
                p->sets->rare = 1;
                continue;
            }
            if (!eq) return o->id;
            p->code = cli_fail(CLI_EXIT_INPUT, "%s takes no value", o->name);
            return CLI_ERROR;
        }
        if (eq) {
            *value = eq + 1;
        } else if (p->i < p->argc) {
            *value = p->argv[p->i++];
        } else {
            p->code = cli_fail(CLI_EXIT_INPUT, "%s needs a value", o->name);
            return CLI_ERROR;
        }
        if (o->id < OPT_SET) return o->id;
        if (o->id == OPT_BOOST) {
            char *end;
            errno = 0;
            double b = strtod(*value, &end);
            if (!**value || *end || errno || !isfinite(b) || b < 1) {
                p->code = cli_fail(CLI_EXIT_INPUT,
                                   "--boost: '%s' is not a number >= 1",
                                   *value);
                return CLI_ERROR;
            }
            p->sets->rare = 1;
            p->sets->boost = b;
            continue;
        }
        if (add_override(p, o, *value) != CLI_EXIT_OK) return CLI_ERROR;
    }
}

int cli_fail_extra(const cli_spec *spec, const char *what, const char *first,
                   const char *arg) {
    return cli_fail(CLI_EXIT_INPUT, "%s: more than one %s ('%s', '%s')", spec->name,
                    what, first, arg);
}

/* "--name V", or "-o, --output V" for a name with another spelling. */
static void opt_label(char *buf, size_t len, const cli_opt *o) {
    snprintf(buf, len, "%s%s%s%s%s", o->name, o->alias ? ", " : "",
             o->alias ? o->alias : "", o->value ? " " : "",
             o->value ? o->value : "");
}

#define USAGE_WIDTH 79 /* columns of the usage line before it wraps */
#define HELP_COLUMN 16 /* where an option's help starts */

/* Appends one word to the usage line, wrapping under the operands. */
static void usage_word(FILE *out, const char *word, int *col, int indent) {
    int n = (int)strlen(word);
    if (*col + 1 + n > USAGE_WIDTH && *col > indent) {
        fprintf(out, "\n%*s", indent, "");
        *col = indent;
    } else {
        fputc(' ', out);
        (*col)++;
    }
    fputs(word, out);
    *col += n;
}

static void usage_opt_words(FILE *out, const cli_opt *opt, int *col,
                            int indent) {
    for (const cli_opt *o = opt; o && o->name; o++) {
        char word[128];
        int req = o->flags & CLI_OPT_REQUIRED;
        snprintf(word, sizeof word, "%s%s%s%s%s%s", req ? "" : "[", o->name,
                 o->value ? " " : "", o->value ? o->value : "", req ? "" : "]",
                 o->flags & CLI_OPT_REPEAT ? "..." : "");
        usage_word(out, word, col, indent);
    }
}

static void help_lines(FILE *out, const cli_opt *opt) {
    for (const cli_opt *o = opt; o && o->name; o++) {
        char label[128];
        opt_label(label, sizeof label, o);
        int n = fprintf(out, "  %s", label);
        fprintf(out, "%*s", n < HELP_COLUMN - 1 ? HELP_COLUMN - n : 2, "");
        for (const char *h = o->help; *h;) {
            const char *nl = strchr(h, '\n');
            size_t len = nl ? (size_t)(nl - h) : strlen(h);
            fprintf(out, "%.*s\n", (int)len, h);
            if (!nl) break;
            h = nl + 1;
            if (*h) fprintf(out, "%*s", HELP_COLUMN, "");
        }
    }
}

void cli_usage(FILE *out, const cli_spec *spec) {
    int col = fprintf(out, "usage: stalesim %s", spec->name);
    int indent = col + 1;
    if (spec->operands && *spec->operands)
        usage_word(out, spec->operands, &col, indent);
    usage_opt_words(out, spec->opt, &col, indent);
    if (spec->scenario_flags) usage_opt_words(out, scenario_opts, &col, indent);
    fputc('\n', out);
    if (spec->forms) fputs(spec->forms, out);
    if (spec->about) fprintf(out, "\n%s", spec->about);
    if ((spec->opt && spec->opt->name) || spec->scenario_flags) {
        fputc('\n', out);
        help_lines(out, spec->opt);
        if (spec->scenario_flags) help_lines(out, scenario_opts);
    }
    if (spec->after) fprintf(out, "\n%s", spec->after);
}

int cli_parse_jobs(const char *v, int *jobs) {
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || v[0] == '-' || n < 1 || n > 256)
        return cli_fail(CLI_EXIT_INPUT,
                        "--jobs: '%s' is not a whole number in 1..256", v);
    *jobs = (int)n;
    return CLI_EXIT_OK;
}

int cli_load_scenario(scenario *sc, const char *file, const cli_overrides *o) {
    char err[1024];
    if (scenario_init_defaults(sc, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    if (file && scenario_load(sc, file, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    for (int i = 0; o && i < o->n; i++) {
        if (scenario_set(sc, o->item[i].text, err, sizeof err) == 0) continue;
        /* --reps and --seed are reported under their own names. */
        const char *reason = strstr(err, "': ");
        if (strcmp(o->item[i].flag, "--set") != 0 && reason)
            return cli_fail(CLI_EXIT_INPUT, "%s: %s", o->item[i].flag, reason + 3);
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    }
    if (scenario_validate(sc, err, sizeof err) != 0 ||
        workload_trace_attach(sc, NULL, err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    if (o && o->rare)
        sc->rare_boost = o->boost > 0 ? o->boost : rare_auto_boost(sc);
    estimate e;
    estimate_scenario(sc, &e);
    char limit[96];
    if (estimate_check(sc, &e, 1, 0, o ? o->max_memory : 0,
                       o ? cli_memory_limit_text(o, limit, sizeof limit) : NULL,
                       err, sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    return CLI_EXIT_OK;
}

const char *cli_memory_limit_text(const cli_overrides *o, char *buf,
                                  size_t len) {
    if (!o || !o->max_memory_text) return NULL;
    snprintf(buf, len, "--max-memory %s", o->max_memory_text);
    return buf;
}

int cli_check_cost(const scenario *sc, const cli_overrides *o, int workers,
                   double runs) {
    estimate e;
    estimate_scenario(sc, &e);
    int at_once = runs < workers ? (int)runs : workers;
    char err[1024], limit[96];
    if (estimate_check(sc, &e, at_once, 0, o ? o->max_memory : 0,
                       cli_memory_limit_text(o, limit, sizeof limit), err,
                       sizeof err) != 0)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    estimate_warn_long(sc, e.events * runs, runs, workers, stderr);
    return CLI_EXIT_OK;
}

static const struct {
    const cli_spec *spec;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {&cmd_run_spec, cmd_run,
     "simulate a scenario: stale reads, windows, causes, with 95% CIs"},
    {&cmd_sweep_spec, cmd_sweep,
     "run a grid of scenario variations into a SQLite database"},
    {&cmd_merge_spec, cmd_merge,
     "put the shards of a sweep (sweep --shard I/N) into one database"},
    {&cmd_summarize_spec, cmd_summarize,
     "means, CIs and quantiles per point of a sweep database"},
    {&cmd_compare_spec, cmd_compare,
     "patterns side by side on the same arrivals (Markdown table)"},
    {&cmd_check_spec, cmd_check,
     "the scenario's freshness contract: exit 0 met, 1 violated"},
    {&cmd_audit_spec, cmd_audit,
     "judge a recorded history (JSON lines) with the same oracle"},
    {&cmd_explain_spec, cmd_explain,
     "timelines of the first stale reads: what happened, step by step"},
    {&cmd_tune_spec, cmd_tune,
     "the largest value, or cheapest design, that meets the contract"},
    {&cmd_sensitivity_spec, cmd_sensitivity,
     "which inputs move staleness most: tornado and Sobol indices"},
    {&cmd_plot_spec, cmd_plot,
     "one plot of a sweep, a run or a stale read, drawn by gnuplot"},
    {&cmd_report_spec, cmd_report,
     "a Markdown design review of a sweep, with its plots"},
    {&cmd_emulate_spec, cmd_emulate,
     "run a scenario against a real Redis and PostgreSQL and judge it"},
    {&cmd_keys_spec, cmd_keys,
     "every scenario key with its default (Markdown)"},
    {&cmd_patterns_spec, cmd_patterns,
     "the caching patterns this build simulates"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage_main(FILE *out) {
    fputs("usage: stalesim COMMAND [ARGS]\n"
          "\n"
          "How often does a caching design serve stale data, and for how long?\n"
          "\n"
          "commands:\n",
          out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-11s %s\n", commands[i].spec->name,
                commands[i].summary);
    fputs("  help [COMMAND]  this text, or a command's (also COMMAND --help)\n"
          "  --version   print the version\n"
          "\n"
          "exit codes: 0 ok, 1 contract violated, 2 bad usage or input,\n"
          "            3 runtime or I/O failure\n",
          out);
}

int cli_main(int argc, char **argv) {
    /* GSL's default handler aborts; every GSL call we make checks its result
     * (an allocation returning NULL becomes exit 3). */
    gsl_set_error_handler_off();
    /* A file size limit (RLIMIT_FSIZE) makes a write fail with EFBIG, which
     * every writer reports (exit 3, the destination untouched), instead of
     * killing the process in the middle of a file. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        usage_main(stderr);
        return CLI_EXIT_INPUT;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        usage_main(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("stalesim %s\n", STALESIM_VERSION);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            usage_main(stdout);
            return CLI_EXIT_OK;
        }
        for (size_t i = 0; i < NCOMMANDS; i++)
            if (strcmp(argv[2], commands[i].spec->name) == 0) {
                cli_usage(stdout, commands[i].spec);
                return CLI_EXIT_OK;
            }
        return cli_fail(CLI_EXIT_INPUT, "help: unknown command '%s'", argv[2]);
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(cmd, commands[i].spec->name) == 0)
            return commands[i].fn(argc - 2, argv + 2);
    return cli_fail(CLI_EXIT_INPUT, "unknown command '%s' (stalesim --help)", cmd);
}
