/* The gnuplot pipe (see gnuplot.h).
 *
 * gnuplot runs as `sh -c "exec GNUPLOT 2>ERRFILE"` under popen, GNUPLOT being
 * the absolute path found on PATH beforehand (so "not installed" is reported
 * as such, not as a shell's "command not found").  The terminal is checked
 * inside the script against GPVAL_TERMINALS: a missing one makes gnuplot
 * print our message and exit with status GP_NO_TERMINAL. */
#define _DEFAULT_SOURCE /* TIOCGWINSZ, fchmod */
#include "plots/gnuplot.h"
#include "sim/errf.h"
#include "sim/fileio.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GP_NO_TERMINAL 4 /* exit status of the script's terminal check */
#define FONT "Sans,11"

struct gp {
    FILE *pipe;
    const gp_target *t;
    char *tmp_out;  /* temporary output beside the target; NULL for dumb */
    char *err_path; /* gnuplot's stderr */
    int write_errno; /* first failed write's errno, 0 if none */
    int in_block;
    gp_guard guard;  /* the inertness check over everything sent */
    char refused[160]; /* why the guard stopped the script; "" if it did not */
    struct sigaction old_pipe;
};

const char *gp_extensions(void) { return ".png, .svg or .pdf"; }

/* ---- the target ------------------------------------------------------------ */

static int parse_size(const char *s, int *w, int *h) {
    char *end;
    errno = 0;
    long a = strtol(s, &end, 10);
    if (errno || end == s || (*end != 'x' && *end != 'X') || !isdigit((unsigned char)*s))
        return -1;
    const char *p = end + 1;
    if (!isdigit((unsigned char)*p)) return -1;
    long b = strtol(p, &end, 10);
    if (errno || *end) return -1;
    if (a < 1 || b < 1 || a > 100000 || b > 100000) return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

int gp_target_parse(gp_target *t, const char *output, const char *size,
                    int stdout_is_tty, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    if (!output) {
        if (!stdout_is_tty) {
            sim_errf(err, errlen, "no -o FILE: stdout is not a terminal (give "
                 "-o FILE%s to write an image, or -o - for text)",
                 " with .png, .svg or .pdf");
            return GP_EUSAGE;
        }
        output = "-";
    }
    if (strcmp(output, "-") == 0) {
        t->format = GP_DUMB;
        t->path = NULL;
        t->width = GP_DUMB_WIDTH;
        t->height = GP_DUMB_HEIGHT;
        struct winsize ws;
        if (stdout_is_tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
            ws.ws_col >= 40 && ws.ws_row >= 12) {
            t->width = ws.ws_col;
            t->height = ws.ws_row - 2 > 40 ? 40 : ws.ws_row - 2;
        }
    } else {
        for (const unsigned char *p = (const unsigned char *)output; *p; p++)
            if (*p < 0x20 || *p == 0x7f) {
                sim_errf(err, errlen, "-o: the file name contains a control "
                     "character (byte 0x%02x at offset %zu): refused",
                     *p, (size_t)(p - (const unsigned char *)output));
                return GP_EUSAGE;
            }
        const char *dot = strrchr(output, '.'), *slash = strrchr(output, '/');
        if (dot && slash && dot < slash) dot = NULL;
        if (dot && strcasecmp(dot, ".png") == 0) t->format = GP_PNG;
        else if (dot && strcasecmp(dot, ".svg") == 0) t->format = GP_SVG;
        else if (dot && strcasecmp(dot, ".pdf") == 0) t->format = GP_PDF;
        else {
            sim_errf(err, errlen, "-o '%s': the extension must be %s (or -o - "
                 "for text on stdout)", output, gp_extensions());
            return GP_EUSAGE;
        }
        t->path = output;
        t->width = GP_DEFAULT_WIDTH;
        t->height = GP_DEFAULT_HEIGHT;
    }
    if (size) {
        int w, h;
        int dumb = t->format == GP_DUMB;
        int lo_w = dumb ? 20 : 100, lo_h = dumb ? 10 : 100;
        int hi = dumb ? 1000 : 10000;
        if (parse_size(size, &w, &h) != 0 || w < lo_w || h < lo_h || w > hi ||
            h > hi) {
            sim_errf(err, errlen, "--size '%s': expected WIDTHxHEIGHT %s from "
                 "%dx%d to %dx%d, e.g. %s", size,
                 dumb ? "in characters" : "in pixels", lo_w, lo_h, hi, hi,
                 dumb ? "100x30" : "900x600");
            return GP_EUSAGE;
        }
        t->width = w;
        t->height = h;
    }
    return GP_OK;
}

int gp_find_program(const char *name, char *found, size_t foundlen) {
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    const char *p = path;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        char full[4096];
        int n = len ? snprintf(full, sizeof full, "%.*s/%s", (int)len, p, name)
                    : snprintf(full, sizeof full, "./%s", name);
        struct stat st;
        if (n > 0 && (size_t)n < sizeof full && stat(full, &st) == 0 &&
            S_ISREG(st.st_mode) && access(full, X_OK) == 0) {
            if (found && foundlen) snprintf(found, foundlen, "%s", full);
            return 1;
        }
        if (!colon) return 0;
        p = colon + 1;
    }
}

int gp_is_text(const gp *g) { return g->t->format == GP_DUMB; }

const gp_target *gp_target_of(const gp *g) { return g->t; }

/* ---- writing ------------------------------------------------------------------- */

/* ---- the guard: nothing but inert text reaches gnuplot ---------------------- */

/* gnuplot executes text in three ways we must never produce from data:
 * backquotes (command substitution, also inside double-quoted strings),
 * system(...) and @macros, and a newline that starts a new command.  Every
 * string from outside (file names, family names, --vary values, names read
 * from a results database) goes through gp_quote or gp_datum, which cannot
 * produce any of them.  The guard re-checks everything sent, so that a
 * future caller who forgets to quote gets a refused plot, not a shell:
 *   - outside single quotes: no backquote, no '@', no identifier `system`;
 *   - a line never ends inside a quoted string (a newline from data);
 *   - inside a datablock, no line is the block's terminator but the one
 *     gp_block_end writes.
 * Returns 0, or -1 with why filled in. */
static int word_is(const gp_guard *s, const char *w) {
    return s->wlen == strlen(w) && memcmp(s->word, w, s->wlen) == 0;
}

int gp_guard_feed(gp_guard *s, const char *text, size_t n, char *why,
                  size_t whylen) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (s->in_block) { /* data rows: only the terminator matters */
            if (c == '\n') {
                s->col = 0;
                continue;
            }
            /* gnuplot ends the block at a line that starts with EOD. */
            if (s->col < 3) s->line[s->col] = (char)c;
            if (++s->col == 3 && memcmp(s->line, "EOD", 3) == 0 &&
                !s->block_end) {
                sim_errf(why, whylen, "a data row starts with EOD");
                return -1;
            }
            continue;
        }
        int ident = isalnum(c) || c == '_';
        if (!ident && !s->quote && word_is(s, "system")) {
            sim_errf(why, whylen, "system() outside a string");
            return -1;
        }
        if (!ident || s->quote) s->wlen = 0;
        if (c == '\n') {
            if (s->quote) {
                sim_errf(why, whylen, "a line break inside a quoted string");
                return -1;
            }
            s->wlen = 0;
            continue;
        }
        if (s->quote == '\'') {
            if (c == '\'') s->quote = 0; /* '' re-opens on the next quote */
        } else if (s->quote == '"') {
            if (c == '`') {
                sim_errf(why, whylen, "a backquote in a double-quoted string");
                return -1;
            }
            if (s->escape) s->escape = 0;
            else if (c == '\\') s->escape = 1;
            else if (c == '"') s->quote = 0;
        } else if (c == '\'' || c == '"') {
            s->quote = (int)c;
        } else if (c == '`' || c == '@') {
            sim_errf(why, whylen, "'%c' outside a single-quoted string", c);
            return -1;
        } else if (ident && s->wlen < sizeof s->word) {
            s->word[s->wlen++] = (char)c;
        }
    }
    return 0;
}

/* Sends n bytes through the guard; the first refusal or failed write is
 * sticky. */
static int gp_send(gp *g, const char *text, size_t n) {
    if (g->write_errno) return -1;
    if (gp_guard_feed(&g->guard, text, n, g->refused, sizeof g->refused)) {
        g->write_errno = EINVAL;
        return -1;
    }
    errno = 0;
    if (fwrite(text, 1, n, g->pipe) != n || ferror(g->pipe)) {
        g->write_errno = errno ? errno : EIO;
        return -1;
    }
    return 0;
}

int gp_printf(gp *g, const char *fmt, ...) {
    if (g->write_errno) return -1;
    char small[1024], *buf = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        g->write_errno = EINVAL;
        return -1;
    }
    if ((size_t)n >= sizeof small) {
        if (!(buf = malloc((size_t)n + 1))) {
            g->write_errno = ENOMEM;
            return -1;
        }
        va_start(ap, fmt);
        vsnprintf(buf, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    int rc = gp_send(g, buf, (size_t)n);
    if (buf != small) free(buf);
    return rc;
}

/* Copies text into buf between quote characters q, control characters made
 * spaces.  A q inside is written as `alt` when alt is not 0 (datablock
 * fields); otherwise (single quotes) it closes the string and is joined in
 * as "'", giving 'it'."'".'s'.  gnuplot's own doubling of quotes is not
 * used: its scanner reads three quotes in a row as an empty string and a
 * stray quote.  Cut to fit len, never inside the join. */
static char *quote_into(char *buf, size_t len, const char *text, char q,
                        char alt) {
    static const char join[] = "'.\"'\".'";
    size_t o = 0;
    if (len < 3) {
        if (len) buf[0] = '\0';
        return buf;
    }
    buf[o++] = q;
    for (const unsigned char *p = (const unsigned char *)(text ? text : "");
         *p; p++) {
        char c = *p < 0x20 || *p == 0x7f ? ' ' : (char)*p;
        if (c == q && !alt) {
            if (o + sizeof join + 1 > len) break;
            memcpy(buf + o, join, sizeof join - 1);
            o += sizeof join - 1;
            continue;
        }
        if (c == q) c = alt;
        if (o + 2 >= len) break;
        buf[o++] = c;
    }
    buf[o++] = q;
    buf[o] = '\0';
    return buf;
}

char *gp_quote(char *buf, size_t len, const char *text) {
    return quote_into(buf, len, text, '\'', 0);
}

char *gp_quote_lines(char *buf, size_t len, const char *first,
                     const char *second, int blank_third) {
    char a[512], b[1024];
    gp_quote(a, sizeof a, first);
    gp_quote(b, sizeof b, second);
    snprintf(buf, len, "%s.\"\\n\".%s%s", a, b,
             blank_third ? ".\"\\n\"" : "");
    /* A cut expression would not parse: fall back to the first line. */
    if (strlen(buf) + 1 >= len) gp_quote(buf, len, first);
    return buf;
}

char *gp_datum(char *buf, size_t len, const char *text) {
    return quote_into(buf, len, text, '"', '\'');
}

int gp_block_begin(gp *g, const char *name) {
    int rc = gp_printf(g, "$%s << EOD\n", name);
    g->in_block = 1;
    g->guard.in_block = 1;
    g->guard.col = 0;
    return rc;
}

int gp_block_end(gp *g) {
    /* A row left without its newline would swallow the terminator. */
    if (g->guard.col) gp_printf(g, "\n");
    g->guard.block_end = 1;
    int rc = gp_printf(g, "EOD\n");
    g->guard.block_end = 0;
    g->guard.in_block = 0;
    g->in_block = 0;
    return rc;
}

/* Shell single-quoting of s into buf; -1 if it does not fit. */
static int shell_quote(char *buf, size_t len, const char *s) {
    size_t o = 0;
    if (len < 3) return -1;
    buf[o++] = '\'';
    for (; *s; s++) {
        if (*s == '\'') {
            if (o + 5 >= len) return -1;
            memcpy(buf + o, "'\\''", 4);
            o += 4;
        } else {
            if (o + 2 >= len) return -1;
            buf[o++] = *s;
        }
    }
    if (o + 2 > len) return -1;
    buf[o++] = '\'';
    buf[o] = '\0';
    return 0;
}

static const char *terminal_name(gp_format f) {
    switch (f) {
    case GP_PNG: return "pngcairo";
    case GP_SVG: return "svg";
    case GP_PDF: return "pdfcairo";
    case GP_DUMB: return "dumb";
    }
    return "dumb";
}

/* The temporary output file beside path (sim/fileio.h). */
static char *temp_beside(const char *path, char *err, size_t errlen) {
    char why[256];
    char *tmp = sim_file_temp_beside(path, why, sizeof why);
    if (!tmp) sim_errf(err, errlen, "cannot write '%s': %s", path, why);
    return tmp;
}

static void gp_free(gp *g) {
    if (g->tmp_out) {
        unlink(g->tmp_out);
        free(g->tmp_out);
    }
    if (g->err_path) {
        unlink(g->err_path);
        free(g->err_path);
    }
    free(g);
}

int gp_open(gp **out, const gp_target *t, char *err, size_t errlen) {
    *out = NULL;
    char prog[4096];
    if (!gp_find_program("gnuplot", prog, sizeof prog)) {
        sim_errf(err, errlen, "gnuplot not found on PATH: plots are drawn by "
             "gnuplot (Debian/Ubuntu: apt-get install gnuplot-nox)");
        return GP_ERUNTIME;
    }
    gp *g = calloc(1, sizeof *g);
    if (!g) {
        sim_errf(err, errlen, "out of memory");
        return GP_ERUNTIME;
    }
    g->t = t;
    const char *tmpdir = getenv("TMPDIR");
    if (!tmpdir || !*tmpdir) tmpdir = "/tmp";
    size_t elen = strlen(tmpdir) + 40;
    g->err_path = malloc(elen);
    if (!g->err_path) {
        sim_errf(err, errlen, "out of memory");
        gp_free(g);
        return GP_ERUNTIME;
    }
    snprintf(g->err_path, elen, "%s/stalesim-gnuplot-XXXXXX", tmpdir);
    int fd = mkstemp(g->err_path);
    if (fd < 0) {
        sim_errf(err, errlen, "cannot create a temporary file in %s: %s", tmpdir,
             strerror(errno));
        free(g->err_path);
        g->err_path = NULL;
        gp_free(g);
        return GP_ERUNTIME;
    }
    close(fd);
    if (t->path && !(g->tmp_out = temp_beside(t->path, err, errlen))) {
        gp_free(g);
        return GP_ERUNTIME;
    }
    char qprog[8192], qerr[8192], cmd[16500];
    if (shell_quote(qprog, sizeof qprog, prog) != 0 ||
        shell_quote(qerr, sizeof qerr, g->err_path) != 0) {
        sim_errf(err, errlen, "path of gnuplot or of the temporary directory too "
             "long");
        gp_free(g);
        return GP_ERUNTIME;
    }
    snprintf(cmd, sizeof cmd, "exec %s 2>%s", qprog, qerr);
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &g->old_pipe);
    /* gnuplot inherits stdout (the dumb terminal draws there): what we
     * printed must come first. */
    fflush(stdout);
    fflush(stderr);
    g->pipe = popen(cmd, "w");
    if (!g->pipe) {
        sim_errf(err, errlen, "cannot start gnuplot (%s): %s", prog,
             strerror(errno));
        sigaction(SIGPIPE, &g->old_pipe, NULL);
        gp_free(g);
        return GP_ERUNTIME;
    }
    const char *term = terminal_name(t->format);
    gp_printf(g,
              "if (strstrt(' '.GPVAL_TERMINALS.' ', ' %s ') == 0) {\n"
              "  print 'this gnuplot has no %s terminal (a cairo build is "
              "needed, e.g. Debian gnuplot-nox)'\n"
              "  exit status %d\n"
              "}\n",
              term, term, GP_NO_TERMINAL);
    gp_printf(g, "set encoding utf8\n");
    switch (t->format) {
    case GP_PNG:
        gp_printf(g, "set terminal pngcairo size %d,%d noenhanced font '%s' "
                     "linewidth 1.5\n", t->width, t->height, FONT);
        break;
    case GP_SVG:
        gp_printf(g, "set terminal svg size %d,%d noenhanced font '%s' "
                     "linewidth 1.5 background '#ffffff'\n", t->width,
                  t->height, FONT);
        break;
    case GP_PDF:
        gp_printf(g, "set terminal pdfcairo size %.2fin,%.2fin noenhanced "
                     "font '%s' linewidth 1.5\n", t->width / 100.0,
                  t->height / 100.0, FONT);
        break;
    case GP_DUMB:
        gp_printf(g, "set terminal dumb size %d,%d noenhanced\n", t->width,
                  t->height);
        break;
    }
    if (g->tmp_out) {
        char q[8192];
        if (strlen(g->tmp_out) * 7 + 3 > sizeof q) {
            sim_errf(err, errlen, "output path too long");
            gp_abort(g);
            return GP_ERUNTIME;
        }
        gp_printf(g, "set output %s\n", gp_quote(q, sizeof q, g->tmp_out));
    }
    *out = g;
    return GP_OK;
}

/* The line of gnuplot's stderr that says what went wrong: the first that is
 * not blank, not an echo of the command ("gnuplot> ..."), not a caret line
 * and not a warning (a warning is the fallback), without its "line N: "
 * prefix (a line of our script, meaningless to the user). */
static void first_error_line(const char *path, char *buf, size_t len) {
    char warn[512] = "", line[512];
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || strncmp(p, "gnuplot>", 8) == 0 ||
            strspn(p, "^ \t") == strlen(p))
            continue;
        if (strncmp(p, "line ", 5) == 0) {
            char *colon = strchr(p, ':');
            if (colon && strspn(p + 5, "0123456789") == (size_t)(colon - p - 5))
                for (p = colon + 1; *p == ' '; p++) {}
        }
        if (strncmp(p, "warning:", 8) == 0) {
            if (!warn[0]) snprintf(warn, sizeof warn, "%s", p);
            continue;
        }
        snprintf(buf, len, "%s", p);
        break;
    }
    fclose(f);
    if (!buf[0] && warn[0]) snprintf(buf, len, "%s", warn);
}

/* 1 if the file gnuplot wrote ends as a whole file of its format does (a
 * PNG's IEND chunk, an SVG's </svg>, a PDF's %%EOF): a terminal driver that
 * ignores write errors (a full disk) leaves a truncated file and exit 0. */
static int whole_file(const char *path, gp_format format) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char tail[64];
    size_t n = 0;
    if (fseek(f, -(long)sizeof tail, SEEK_END) != 0) rewind(f);
    n = fread(tail, 1, sizeof tail, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) return 0;
    static const char iend[] = "\0\0\0\0IEND\xAE\x42\x60\x82";
    switch (format) {
    case GP_PNG:
        return n >= 12 && memcmp(tail + n - 12, iend, 12) == 0;
    case GP_SVG:
    case GP_PDF: {
        const char *mark = format == GP_SVG ? "</svg>" : "%%EOF";
        size_t m = strlen(mark);
        while (n && (tail[n - 1] == '\n' || tail[n - 1] == '\r')) n--;
        return n >= m && memcmp(tail + n - m, mark, m) == 0;
    }
    case GP_DUMB:
        return 1;
    }
    return 0;
}

/* gp_close and gp_close_staged: with `set`, the whole file joins it
 * instead of being renamed. */
static int finish(gp *g, sim_outset *set, char *err, size_t errlen) {
    if (!g) return GP_OK;
    int rc = GP_ERUNTIME;
    if (g->in_block) gp_block_end(g);
    if (g->tmp_out) gp_printf(g, "unset output\n");
    gp_printf(g, "exit\n");
    if (!g->write_errno && fflush(g->pipe) != 0)
        g->write_errno = errno ? errno : EIO;
    int status = pclose(g->pipe);
    g->pipe = NULL;
    sigaction(SIGPIPE, &g->old_pipe, NULL);
    char why[512];
    first_error_line(g->err_path, why, sizeof why);
    if (g->refused[0]) {
        sim_errf(err, errlen, "refused to send gnuplot unsafe text (%s); nothing "
             "was written", g->refused);
    } else if (status == -1) {
        sim_errf(err, errlen, "waiting for gnuplot: %s", strerror(errno));
    } else if (WIFSIGNALED(status)) {
        sim_errf(err, errlen, "gnuplot was killed by signal %d%s%s",
             WTERMSIG(status), why[0] ? ": " : "", why);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        sim_errf(err, errlen, "gnuplot could not be started%s%s",
             why[0] ? ": " : "", why);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        sim_errf(err, errlen, "gnuplot failed (exit %d): %s", WEXITSTATUS(status),
             why[0] ? why : "no message");
    } else if (g->write_errno) {
        sim_errf(err, errlen, "writing to gnuplot: %s%s%s",
             strerror(g->write_errno), why[0] ? ": " : "", why);
    } else if (g->tmp_out) {
        struct stat st;
        if (stat(g->tmp_out, &st) != 0 || st.st_size == 0) {
            sim_errf(err, errlen, "gnuplot wrote nothing to '%s'%s%s", g->t->path,
                 why[0] ? ": " : "", why);
        } else if (!whole_file(g->tmp_out, g->t->format)) {
            sim_errf(err, errlen, "cannot write '%s': gnuplot left it incomplete "
                 "(disk full or file size limit?)%s%s", g->t->path,
                 why[0] ? ": " : "", why);
        } else if (set) {
            char *tmp = g->tmp_out;
            g->tmp_out = NULL; /* the set owns it, or adopt removed it */
            if (sim_outset_adopt(set, g->t->path, tmp, why, sizeof why) != 0)
                sim_errf(err, errlen, "cannot write '%s': %s", g->t->path,
                         why);
            else
                rc = GP_OK;
        } else if (rename(g->tmp_out, g->t->path) != 0) {
            sim_errf(err, errlen, "cannot write '%s': %s", g->t->path,
                 strerror(errno));
        } else {
            free(g->tmp_out);
            g->tmp_out = NULL;
            rc = GP_OK;
        }
    } else {
        rc = GP_OK;
    }
    gp_free(g);
    return rc;
}

int gp_close(gp *g, char *err, size_t errlen) {
    return finish(g, NULL, err, errlen);
}

int gp_close_staged(gp *g, sim_outset *set, char *err, size_t errlen) {
    return finish(g, set, err, errlen);
}

void gp_abort(gp *g) {
    if (!g) return;
    if (g->pipe) {
        /* gnuplot sees the end of its input and exits; nothing is drawn
         * that is kept. */
        pclose(g->pipe);
        sigaction(SIGPIPE, &g->old_pipe, NULL);
    }
    gp_free(g);
}
