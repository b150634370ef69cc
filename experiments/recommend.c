/* The report's Recommendation section (see recommend.h).  Everything shown
 * comes from the studies table as the commands stored it: the answer text
 * exactly as printed (fenced), the ranked inputs of a sensitivity study
 * (study_inputs) as a table and a tornado plot.  Names and values read from
 * the database are escaped for Markdown and reach gnuplot only through
 * plots/tornado.c (gp_quote). */
#include "experiments/recommend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli.h"
#include "experiments/results.h"
#include "experiments/shell.h"
#include "models/world.h"
#include "plots/format.h"
#include "plots/gnuplot.h"
#include "plots/tornado.h"

static void md(FILE *out, const char *t) {
    for (; *t; t++) {
        if (strchr("|*_`[]<>\\", *t)) fputc('\\', out);
        fputc(*t == '\n' || *t == '\r' ? ' ' : *t, out);
    }
}

static int fence_len(const char *text) {
    int best = 0, run = 0;
    for (; *text; text++) {
        run = *text == '`' ? run + 1 : 0;
        if (run > best) best = run;
    }
    return best >= 3 ? best + 1 : 3;
}

static void fenced(FILE *out, const char *text) {
    int n = fence_len(text);
    for (int i = 0; i < n; i++) fputc('`', out);
    fputs("text\n", out);
    for (const char *p = text; *p; p++)
        fputc((unsigned char)*p < 0x20 && *p != '\n' ? ' ' : *p, out);
    if (text[0] && text[strlen(text) - 1] != '\n') fputc('\n', out);
    for (int i = 0; i < n; i++) fputc('`', out);
    fputs("\n\n", out);
}

/* The string value of "key": in a JSON text (no escapes expected in names
 * stalesim writes; an escaped one is cut at its backslash). */
static void json_str(const char *json, const char *key, char *buf,
                     size_t len) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(json, pat);
    buf[0] = '\0';
    if (!p) return;
    p += strlen(pat);
    size_t n = 0;
    while (p[n] && p[n] != '"' && p[n] != '\\' && n + 1 < len) n++;
    memcpy(buf, p, n);
    buf[n] = '\0';
}

/* The line of text starting (after spaces) with `head`, into buf. */
static int text_line(const char *text, const char *head, char *buf,
                     size_t len) {
    for (const char *p = text; p && *p;) {
        const char *q = p;
        while (*q == ' ') q++;
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - q) : strlen(q);
        if (strncmp(q, head, strlen(head)) == 0) {
            snprintf(buf, len, "%.*s", (int)n, q);
            return 1;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static void command_of(FILE *out, FILE *repro, const results_study *s) {
    if (shell_line_is_safe(s->command_line)) {
        fputs("Command: `", out);
        fputs(s->command_line, out);
        fputs("`\n\n", out);
        fprintf(repro, "%s\n", s->command_line);
    }
}

int recommend_count(const char *db_path) {
    results *r;
    char err[1024];
    if (results_open(&r, db_path, 1, err, sizeof err) != RESULTS_OK) return 0;
    results_study *s;
    size_t n;
    int rc = results_study_list(r, &s, &n, err, sizeof err);
    results_close(r);
    if (rc != RESULTS_OK) {
        cli_fail(CLI_EXIT_RUNTIME, "%s", err);
        return -1;
    }
    results_study_list_free(s, n);
    return (int)n;
}

static int is_fraction(const char *metric) {
    return strcmp(metric, "stale_read_fraction") == 0 ||
           strcmp(metric, "hit_ratio") == 0 ||
           strcmp(metric, "over_max_staleness_fraction") == 0 ||
           strcmp(metric, "local_hit_ratio") == 0;
}

static void fmt_y(char *buf, size_t len, int fraction, double y) {
    if (fraction)
        plot_fmt_percent(buf, len, y);
    else
        plot_fmt_sig(buf, len, y, 3);
}

/* The tornado of study s drawn to target tg, into `files` when not NULL
 * (renamed with the report's other files), else in place; the sentence
 * into sentence. */
static int tornado_draw(const results_study *s, const gp_target *tg,
                        sim_outset *files, char *sentence, size_t slen) {
    char err[1024], title[160], sub[512], metric[64];
    json_str(s->answer_json, "metric", metric, sizeof metric);
    const char *fp = strstr(s->answer_json, "\"factor\": ");
    double factor = fp ? strtod(fp + 10, NULL) : 2;
    size_t n = 0;
    for (size_t i = 0; i < s->ninputs; i++)
        n += strcmp(s->input[i].method, "oat") == 0;
    plot_tornado_bar *bar = calloc(n ? n : 1, sizeof *bar);
    char (*label)[300] = calloc(n ? n : 1, sizeof *label);
    int code = CLI_EXIT_OK;
    if (!bar || !label) {
        free(bar);
        free(label);
        return cli_fail(CLI_EXIT_RUNTIME, "out of memory");
    }
    double base = NAN;
    size_t k = 0;
    for (size_t i = 0; i < s->ninputs; i++) {
        const results_study_input *x = &s->input[i];
        if (strcmp(x->method, "oat") != 0) continue;
        snprintf(label[k], sizeof label[k], "%s %s..%s", x->key, x->low,
                 x->high);
        bar[k] = (plot_tornado_bar){label[k], x->y_low, x->y_high};
        if (isnan(base)) base = x->y_base;
        k++;
    }
    /* In the registry's words: "stale-read fraction", not its name. */
    const char *words = metric, *axis = NULL;
    for (int m = 0; m < WORLD_METRIC_COUNT; m++)
        if (strcmp(metric, world_metric_name((world_metric)m)) == 0) {
            words = world_metric_brief((world_metric)m);
            axis = world_metric_label((world_metric)m);
        }
    snprintf(title, sizeof title, "Sensitivity of the %s", words);
    const char *slash = strrchr(s->scenario_file, '/');
    snprintf(sub, sizeof sub, "%s; each input / and x %g",
             slash ? slash + 1 : s->scenario_file, factor);
    plot_tornado pt = {title, sub,    words, is_fraction(metric), base,
                       factor, bar, k, axis};
    gp *g;
    if (gp_open(&g, tg, err, sizeof err) != GP_OK)
        code = cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    else {
        plot_tornado_draw(g, &pt);
        if ((files ? gp_close_staged(g, files, err, sizeof err)
                   : gp_close(g, err, sizeof err)) != GP_OK)
            code = cli_fail(CLI_EXIT_RUNTIME, "%s: %s",
                            tg->path ? tg->path : "gnuplot", err);
    }
    plot_tornado_describe(&pt, sentence, slen);
    free(bar);
    free(label);
    return code;
}

static int tornado_png(const recommend_target *t, const results_study *s,
                       char *link, size_t linklen, char *sentence,
                       size_t slen) {
    char path[4096], err[1024];
    snprintf(link, linklen, "%s-tornado.png", t->prefix);
    snprintf(path, sizeof path, "%s%s", t->dir, link);
    gp_target tg;
    if (gp_target_parse(&tg, path, t->size, 0, err, sizeof err) != GP_OK)
        return cli_fail(CLI_EXIT_INPUT, "%s", err);
    return tornado_draw(s, &tg, t->files, sentence, slen);
}

int recommend_plot_tornado(const char *db_path, const gp_target *tg) {
    results *r;
    char err[1024], sentence[1024];
    int rc = results_open(&r, db_path, 1, err, sizeof err);
    if (rc != RESULTS_OK)
        return cli_fail(rc == RESULTS_EINPUT ? CLI_EXIT_INPUT : CLI_EXIT_RUNTIME, "%s",
                        err);
    results_study *s;
    size_t n;
    rc = results_study_list(r, &s, &n, err, sizeof err);
    results_close(r);
    if (rc != RESULTS_OK) return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    const results_study *pick = NULL;
    for (size_t i = n; i-- > 0 && !pick;)
        if (strcmp(s[i].kind, "sensitivity") == 0 && s[i].ninputs &&
            strcmp(s[i].input[0].method, "oat") == 0)
            pick = &s[i];
    int code;
    if (!pick)
        code = cli_fail(CLI_EXIT_INPUT, "%s: no one-at-a-time sensitivity study "
                        "stored (stalesim sensitivity SCENARIO --db %s)",
                        db_path, db_path);
    else {
        code = tornado_draw(pick, tg, NULL, sentence, sizeof sentence);
        if (code == CLI_EXIT_OK) {
            if (tg->path)
                printf("%s: %s\n", tg->path, sentence);
            else
                printf("%s\n", sentence);
            if (fflush(stdout) != 0)
                code = cli_fail(CLI_EXIT_RUNTIME, "writing to stdout failed");
        }
    }
    results_study_list_free(s, n);
    return code;
}

static int oat_section(const recommend_target *t, const results_study *s) {
    FILE *out = t->out;
    char metric[64], fac[32], link[600], sentence[1024];
    json_str(s->answer_json, "metric", metric, sizeof metric);
    const char *f = strstr(s->answer_json, "\"factor\": ");
    double factor = f ? strtod(f + 10, NULL) : 2;
    snprintf(fac, sizeof fac, "%g", factor);
    int fraction = is_fraction(metric);
    fprintf(out, "### What moves %s most (study %lld)\n\n", metric,
            (long long)s->id);
    fprintf(out, "Each input the scenario sets was divided and multiplied by "
            "%s with every other input fixed, on common random numbers; the "
            "swing is %s(up) - %s(down) with its 95%% interval over paired "
            "replications.\n\n", fac, metric, metric);
    fputs("| rank | input | down, base, up | metric down, base, up | swing "
          "(95% CI) | elasticity |\n|---:|---|---|---|---|---:|\n", out);
    size_t rank = 0;
    for (size_t i = 0; i < s->ninputs; i++) {
        const results_study_input *x = &s->input[i];
        if (strcmp(x->method, "oat") != 0) continue;
        char y[3][48], sw[48], ci[48];
        fmt_y(y[0], sizeof y[0], fraction, x->y_low);
        fmt_y(y[1], sizeof y[1], fraction, x->y_base);
        fmt_y(y[2], sizeof y[2], fraction, x->y_high);
        fmt_y(sw, sizeof sw, fraction, x->effect);
        fmt_y(ci, sizeof ci, fraction, x->effect_ci);
        fprintf(out, "| %zu | ", ++rank);
        md(out, x->key);
        fputs(" | ", out);
        md(out, x->low);
        fputs(", ", out);
        md(out, x->base);
        fputs(", ", out);
        md(out, x->high);
        fprintf(out, " | %s, %s, %s | %s%s +- %s%s | %.3g |\n", y[0], y[1],
                y[2], rank == 1 ? "**" : "", sw, ci, rank == 1 ? "**" : "",
                x->total);
    }
    fputc('\n', out);
    if (rank == 0) return CLI_EXIT_OK;
    int code = tornado_png(t, s, link, sizeof link, sentence,
                           sizeof sentence);
    if (code != CLI_EXIT_OK) return code;
    fprintf(out, "![tornado](%s)\n\n", link);
    md(out, sentence);
    fputs("\n\n", out);
    command_of(out, t->repro, s);
    return CLI_EXIT_OK;
}

static void sobol_section(const recommend_target *t, const results_study *s) {
    FILE *out = t->out;
    char metric[64];
    json_str(s->answer_json, "metric", metric, sizeof metric);
    uint64_t runs = 0;
    fprintf(out, "### Sobol indices of %s (study %lld)\n\n", metric,
            (long long)s->id);
    fputs("| input | range | first order (+- 95%) | total (+- 95%) |\n"
          "|---|---|---|---|\n", out);
    for (size_t i = 0; i < s->ninputs; i++) {
        const results_study_input *x = &s->input[i];
        if (strcmp(x->method, "sobol") != 0) continue;
        runs = x->runs;
        fputs("| ", out);
        md(out, x->key);
        fputs(" | ", out);
        md(out, x->low);
        fputs("..", out);
        md(out, x->high);
        fprintf(out, " | %.3f +- %.3f | %.3f +- %.3f |\n", x->effect,
                x->effect_ci, x->total, x->total_ci);
    }
    fprintf(out, "\n%llu runs (GSL quasi-random Sobol sequence; intervals by "
            "bootstrap over the rows).\n\n", (unsigned long long)runs);
    command_of(out, t->repro, s);
}

static void answer_section(const recommend_target *t, const results_study *s) {
    FILE *out = t->out;
    char key[160], line[1024];
    if (strcmp(s->kind, "find") == 0) {
        json_str(s->answer_json, "key", key, sizeof key);
        fprintf(out, "### Boundary of the contract over %s (study %lld)\n\n",
                key, (long long)s->id);
        if (text_line(s->answer_text, "meets at ", line, sizeof line)) {
            fputs("**", out);
            md(out, line);
            fputs(".**", out);
        }
        if (text_line(s->answer_text, "cost at ", line, sizeof line)) {
            fputs(" The ", out);
            md(out, line);
            fputc('.', out);
        }
    } else {
        fprintf(out, "### Cheapest design that meets the contract (study "
                "%lld)\n\n", (long long)s->id);
        if (text_line(s->answer_text, "answer: ", line, sizeof line)) {
            fputs("**", out);
            md(out, line);
            fputs("**", out);
        } else if (text_line(s->answer_text, "no alternative", line,
                             sizeof line)) {
            fputs("**", out);
            md(out, line);
            fputs(".**", out);
        }
        if (text_line(s->answer_text, "runner-up: ", line, sizeof line)) {
            fputs("\n\n", out);
            md(out, line);
        }
    }
    fputs("\n\n", out);
    fenced(out, s->answer_text);
    command_of(out, t->repro, s);
}

int recommend_section(const recommend_target *t) {
    results *r;
    char err[1024];
    if (results_open(&r, t->db_path, 1, err, sizeof err) != RESULTS_OK)
        return CLI_EXIT_OK; /* the caller reports an unreadable database */
    results_study *s;
    size_t n;
    int rc = results_study_list(r, &s, &n, err, sizeof err);
    results_close(r);
    if (rc != RESULTS_OK) return cli_fail(CLI_EXIT_RUNTIME, "%s", err);
    if (n == 0) return CLI_EXIT_OK;
    fputs("## Recommendation\n\nThe design answers stored in this database "
          "(`stalesim tune`, `stalesim sensitivity` with `--db`), the "
          "latest of each question.  Verdicts use the rule of `stalesim "
          "check` on common random numbers.\n\n", t->out);
    /* The latest of each: find, choose, one at a time, Sobol. */
    int shown[4] = {0, 0, 0, 0}, code = CLI_EXIT_OK;
    for (size_t i = n; i-- > 0 && code == CLI_EXIT_OK;) {
        const results_study *x = &s[i];
        int which = strcmp(x->kind, "find") == 0     ? 0
                    : strcmp(x->kind, "choose") == 0 ? 1
                    : x->ninputs && strcmp(x->input[0].method, "sobol") == 0
                        ? 3
                        : 2;
        if (shown[which]++) continue;
        if (which <= 1)
            answer_section(t, x);
        else if (which == 2)
            code = oat_section(t, x);
        else
            sobol_section(t, x);
    }
    results_study_list_free(s, n);
    return code;
}
