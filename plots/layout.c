/* Text layout for the plots (see layout.h). */
#include "plots/layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plot_cells_of(const gp_target *t, plot_cells *c) {
    if (t->format == GP_DUMB) {
        c->cols = t->width;
        c->rows = t->height;
        c->title_cols = c->cols;
    } else {
        c->cols = t->width / PLOT_CELL_W;
        c->rows = t->height / PLOT_CELL_H;
        c->title_cols = c->cols / PLOT_TITLE_SCALE;
    }
    c->plot_cols = c->cols - PLOT_MARGIN_COLS;
    c->plot_rows = c->rows - PLOT_MARGIN_ROWS;
    if (c->plot_cols < 10) c->plot_cols = 10;
    if (c->plot_rows < 5) c->plot_rows = 5;
}

/* Copies n bytes of s into a line, cut to fit. */
static void put_line(char *dst, const char *s, size_t n) {
    if (n > PLOT_WRAP_LINE - 1) n = PLOT_WRAP_LINE - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

size_t plot_wrap(const char *text, size_t width,
                 char (*line)[PLOT_WRAP_LINE], size_t maxlines) {
    if (width < 8) width = 8;
    if (width > PLOT_WRAP_LINE - 4) width = PLOT_WRAP_LINE - 4;
    size_t n = 0;
    const char *p = text ? text : "";
    while (*p == ' ') p++;
    if (!*p || !maxlines) {
        if (maxlines) line[0][0] = '\0';
        return 1;
    }
    while (*p && n < maxlines) {
        size_t rest = strlen(p);
        if (rest <= width) {
            put_line(line[n++], p, rest);
            return n;
        }
        if (n == maxlines - 1) { /* the last line: say that text follows */
            put_line(line[n], p, width - 3);
            strcat(line[n++], "...");
            return n;
        }
        /* Break at the last space within width; a longer word is cut. */
        size_t cut = width;
        while (cut > 0 && p[cut] != ' ') cut--;
        size_t next = cut;
        if (cut == 0) cut = next = width;
        while (cut > 0 && p[cut - 1] == ' ') cut--;
        put_line(line[n++], p, cut);
        p += next;
        while (*p == ' ') p++;
    }
    return n;
}

char *plot_title_expr(char *buf, size_t len, const plot_cells *cells,
                      const char *what, const char *context, int blank_last) {
    enum { MAXL = 6 };
    char line[2 * MAXL][PLOT_WRAP_LINE];
    size_t width = cells->title_cols > 12 ? (size_t)cells->title_cols - 4 : 8;
    size_t n = plot_wrap(what, width, line, MAXL);
    if (context && context[0])
        n += plot_wrap(context, width, line + n, MAXL);
    if (!len) return buf;
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < n + (blank_last ? 1 : 0); i++) {
        char q[4 * PLOT_WRAP_LINE];
        gp_quote(q, sizeof q, i < n ? line[i] : "");
        size_t need = strlen(q) + (i ? 6 : 0);
        if (used + need + 1 > len) break; /* whole lines only */
        if (i) strcpy(buf + used, ".\"\\n\".");
        strcpy(buf + used + (i ? 6 : 0), q);
        used += need;
    }
    if (!used) gp_quote(buf, len, "");
    return buf;
}

void plot_title(gp *g, const char *what, const char *context) {
    plot_cells c;
    plot_cells_of(gp_target_of(g), &c);
    char q[4096];
    plot_title_expr(q, sizeof q, &c, what, context, gp_is_text(g));
    gp_printf(g, "set title %s%s\n", q, gp_is_text(g) ? "" : " font ',13'");
}

typedef struct span {
    double from, to;
    size_t i;
} span;

static int by_from(const void *a, const void *b) {
    const span *x = a, *y = b;
    if (x->from != y->from) return x->from < y->from ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int plot_label_rows(const double *from, const double *to, size_t n,
                    double gap, int maxrows, int *row) {
    span *s = malloc((n ? n : 1) * sizeof *s);
    double *end = malloc((maxrows > 0 ? (size_t)maxrows : 1) * sizeof *end);
    int used = 0;
    if (!s || !end) { /* no memory: no labels (the lines stay) */
        for (size_t i = 0; i < n; i++) row[i] = -1;
        free(s);
        free(end);
        return 0;
    }
    for (size_t i = 0; i < n; i++) s[i] = (span){from[i], to[i], i};
    qsort(s, n, sizeof *s, by_from);
    for (size_t k = 0; k < n; k++) {
        int r = 0;
        while (r < used && s[k].from < end[r] + gap) r++;
        if (r >= maxrows) {
            row[s[k].i] = -1;
            continue;
        }
        if (r == used) used++;
        end[r] = s[k].to;
        row[s[k].i] = r;
    }
    free(s);
    free(end);
    return used;
}

/* 1 when label i keeps gap away from every kept label. */
static int fits(const double *at, const double *w, const int *keep, size_t n,
                size_t i, double gap) {
    for (size_t j = 0; j < n; j++) {
        if (j == i || !keep[j]) continue;
        double need = (w[i] + w[j]) / 2 + gap;
        if ((at[i] > at[j] ? at[i] - at[j] : at[j] - at[i]) < need) return 0;
    }
    return 1;
}

size_t plot_thin_labels(const double *at, const double *w, const int *must,
                        size_t n, double gap, int *keep) {
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) keep[i] = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            if (keep[i] || (pass == 0 && !(must && must[i]))) continue;
            if (fits(at, w, keep, n, i, gap)) {
                keep[i] = 1;
                kept++;
            }
        }
    return kept;
}
