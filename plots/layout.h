/* Text layout for the plots: how much text fits where, so that no title is
 * cut, no two mark labels overlap and no tick label repeats its neighbour.
 *
 * gnuplot places text itself and cannot say beforehand how wide it will
 * be, so sizes are estimated in character cells: on the dumb terminal a
 * cell is one character; on the cairo terminals (Sans 11) a cell is taken
 * as PLOT_CELL_W x PLOT_CELL_H pixels, a little wider and taller than the
 * font's average glyph, so an estimate errs towards more room.  The plot
 * area is the canvas less the margins gnuplot leaves for tics, labels,
 * title and key (PLOT_MARGIN_*), again on the generous side.
 *
 * Everything here is plain computation on strings and numbers (no gnuplot
 * state), so the rules can be tested without drawing. */
#ifndef STALESIM_PLOTS_LAYOUT_H
#define STALESIM_PLOTS_LAYOUT_H

#include <stddef.h>

#include "plots/gnuplot.h"

#define PLOT_CELL_W 8.5   /* px per character, cairo terminals, Sans 11 */
#define PLOT_CELL_H 17.0  /* px per text line */
#define PLOT_TITLE_SCALE 1.2 /* the title's font (13) against the body's */
#define PLOT_MARGIN_COLS 14.0 /* y tics and label, right edge */
#define PLOT_MARGIN_ROWS 11.0 /* title, x tics and label, key */

/* The canvas and the plot area of a target, in character cells. */
typedef struct plot_cells {
    double cols, rows;           /* the whole canvas */
    double plot_cols, plot_rows; /* the graph area (at least 10 x 5) */
    double title_cols;           /* characters of the title font per line */
} plot_cells;

void plot_cells_of(const gp_target *t, plot_cells *c);

/* Word-wraps text into lines of at most width characters (bytes; a word
 * longer than a line is broken inside), at most maxlines of them, each cut
 * to linelen - 1 bytes.  Never drops text silently: when the lines run out,
 * the last one ends in "...".  Returns the number of lines (>= 1). */
#define PLOT_WRAP_LINE 256
size_t plot_wrap(const char *text, size_t width,
                 char (*line)[PLOT_WRAP_LINE], size_t maxlines);

/* The title expression for `set title`: what and context, each wrapped to
 * the title width of cells, quoted line by line (gp_quote) and joined with
 * "\n"; blank_last adds an empty line (the dumb terminal's y label goes
 * there).  Returns buf; a title that does not fit len keeps its first
 * lines. */
char *plot_title_expr(char *buf, size_t len, const plot_cells *cells,
                      const char *what, const char *context, int blank_last);

/* Sends `set title ...` for the target of g (font 13 on images). */
void plot_title(gp *g, const char *what, const char *context);

/* Rows for labels along one axis: label i spans [from[i], to[i]] (any unit,
 * from <= to), labels come in any order.  Each gets the lowest row (0 is
 * the first) where it keeps `gap` away from every label already in that
 * row, in order of from.  row[i] is its row, or -1 when it needs a row
 * beyond maxrows - 1 (not drawn).  Returns the rows used. */
int plot_label_rows(const double *from, const double *to, size_t n,
                    double gap, int maxrows, int *row);

/* Which of n tick labels along an axis to keep: label i is centred at
 * at[i] and w[i] wide (same unit); must[i] != 0 for those to keep first.
 * Every kept label stays `gap` apart from the others; among the rest,
 * left to right, a label is kept when it fits.  keep[i] is 0 or 1.
 * Returns the number kept. */
size_t plot_thin_labels(const double *at, const double *w, const int *must,
                        size_t n, double gap, int *keep);

#endif
