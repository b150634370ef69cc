/* The timeline of one stale read (see timeline.h): the story arrives laid
 * out; this file only turns it into gnuplot commands.
 *
 * Time tics: consecutive steps at the same printed time ("-61.2s" five
 * times) share one label, centred under them, with an unlabelled tic at
 * each step; labels that would still overlap are thinned, keeping the
 * missed commit's and the read's (plot_thin_labels).  The x range leaves
 * room right of the last step for the step labels, which run right of
 * their points. */
#include "plots/timeline.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plots/kinds.h"
#include "plots/layout.h"

#define STEP_FONT 0.82 /* the step labels' and tics' font (9) to the body's */
#define COS25 0.906    /* the step labels are rotated by 25 degrees */

/* Width of step text in body characters as drawn (rotated on images). */
static double step_text_w(const gp *g, const char *text) {
    double w = (double)strlen(text);
    return gp_is_text(g) ? w : w * STEP_FONT * COS25;
}

/* Room (in steps) to add right of the last step so that every step label,
 * which starts at its point and runs right, stays inside the graph: x runs
 * from -0.7 to n - 0.3 + room over cols characters. */
static double right_room(const plot_story *s, const gp *g, double cols) {
    double room = 0;
    for (; room < 2.0 * s->n + 4; room += 0.25) {
        double step = cols / ((double)s->n + 0.4 + room), worst = 0;
        for (unsigned i = 0; i < s->n; i++) {
            double over = 1 + step_text_w(g, s->step[i].text) -
                          ((double)s->n - 0.3 - i + room) * step;
            if (over > worst) worst = over;
        }
        if (worst <= 0) break;
    }
    return room;
}

/* The x tics: one label per run of equal times, thinned to fit. */
static void time_tics(const plot_story *s, gp *g, double step) {
    unsigned n = s->n, nrun = 0, from[PLOT_STORY_STEPS];
    double at[PLOT_STORY_STEPS], w[PLOT_STORY_STEPS];
    int must[PLOT_STORY_STEPS], keep[PLOT_STORY_STEPS];
    double font = gp_is_text(g) || n <= 8 ? 1 : STEP_FONT;
    for (unsigned i = 0; i < n; nrun++) {
        unsigned j = i;
        while (j + 1 < n && strcmp(s->step[j + 1].time, s->step[i].time) == 0)
            j++;
        from[nrun] = i;
        at[nrun] = ((double)(i + j) / 2 + 0.7) * step;
        w[nrun] = (double)strlen(s->step[i].time) * font;
        must[nrun] = 0;
        for (unsigned k = i; k <= j; k++)
            if (s->step[k].kind == PLOT_STEP_COMMIT ||
                s->step[k].kind == PLOT_STEP_READ)
                must[nrun] = 1;
        i = j + 1;
    }
    plot_thin_labels(at, w, must, nrun, 1.0, keep);
    gp_printf(g, "set xtics scale 0,1 %s(",
              font < 1 ? "font ',9' " : "");
    int first = 1;
    for (unsigned r = 0; r < nrun; r++) {
        unsigned i = from[r], j = r + 1 < nrun ? from[r + 1] - 1 : n - 1;
        if (keep[r]) {
            char q[64];
            gp_printf(g, "%s%s %.10g 0", first ? "" : ", ",
                      gp_quote(q, sizeof q, s->step[i].time),
                      (double)(i + j) / 2);
            first = 0;
        }
        for (unsigned k = i; k <= j; k++) { /* a minor tic at each step */
            gp_printf(g, "%s'' %u 1", first ? "" : ", ", k);
            first = 0;
        }
    }
    gp_printf(g, ")\n");
}

/* The lanes along y, bottom up. */
static void lane_tics(const plot_story *s, gp *g) {
    gp_printf(g, "set ytics scale 0 (");
    gp_printf(g, "'DB' %d, 'cache' %d", PLOT_LANE_DB, PLOT_LANE_CACHE);
    for (int i = 0; i < s->nservers; i++) {
        char qs[96];
        gp_printf(g, ", %s %d", gp_quote(qs, sizeof qs, s->server[i]),
                  PLOT_LANE_CLIENT0 + i);
    }
    for (int c = 0; c < s->nclients; c++) {
        char qc[80];
        gp_printf(g, ", %s %d", gp_quote(qc, sizeof qc, s->client[c]),
                  s->client0 + c);
    }
    if (s->others)
        gp_printf(g, ", 'other clients' %d", s->client0 + s->nclients);
    gp_printf(g, ")\n");
}

/* The datablocks: the window, the steps, the connectors. */
static void story_blocks(const plot_story *s, gp *g, double top) {
    unsigned n = s->n;
    gp_block_begin(g, "win");
    gp_printf(g, "%.3f -0.6 %.3f\n%.3f -0.6 %.3f\n",
              (double)s->window_from - 0.15, top + 0.5, (double)(n - 1) + 0.15,
              top + 0.5);
    gp_block_end(g);
    /* Steps: x lane label kind. */
    gp_block_begin(g, "steps");
    for (unsigned i = 0; i < n; i++) {
        char q[96];
        gp_printf(g, "%u %d %s %d\n", i, s->step[i].lane,
                  gp_datum(q, sizeof q, s->step[i].text), (int)s->step[i].kind);
    }
    gp_block_end(g);
    /* Connectors: the client that caused a server step, down to it. */
    gp_block_begin(g, "links");
    for (unsigned i = 0; i < n; i++) {
        const plot_story_step *st = &s->step[i];
        if (st->link < 0) continue;
        gp_printf(g, "%u %d 0 %d\n", i, st->link, st->lane - st->link);
    }
    gp_printf(g, "-10 -10 0 0\n"); /* never empty */
    gp_block_end(g);
}

/* The graph's width in characters: the canvas less the lane names on the
 * left (the y tics) and a little on the right. */
static double graph_cols(const plot_story *s, const plot_cells *c) {
    size_t left = strlen("other clients");
    for (int i = 0; i < s->nservers; i++)
        if (strlen(s->server[i]) > left) left = strlen(s->server[i]);
    for (int i = 0; i < s->nclients; i++)
        if (strlen(s->client[i]) > left) left = strlen(s->client[i]);
    double cols = c->cols - (double)left - 6;
    return cols > 10 ? cols : 10;
}

int plot_story_draw(const plot_story *s, gp *g) {
    unsigned n = s->n;
    double top = s->client0 + s->nclients - 1 + s->others + 0.9;
    plot_cells c;
    plot_cells_of(gp_target_of(g), &c);
    plot_style_common(g);
    plot_title(g, s->title, s->context);
    char qx[200];
    gp_printf(g, "set xlabel %s\nset ylabel ''\n",
              gp_quote(qx, sizeof qx, s->xlabel));
    double cols = graph_cols(s, &c);
    double room = right_room(s, g, cols);
    gp_printf(g, "set xrange [-0.7:%.3f]\nset yrange [-0.6:%.3f]\n",
              (double)n - 0.3 + room, top + 0.5);
    gp_printf(g, "set grid noxtics ytics\nset border 1\n"
                 "set key below nobox noopaque horizontal\n");
    /* gnuplot underestimates the cairo font's width: a key laid out in
     * columns by its estimate loses the last column's samples past the
     * canvas edge.  Samples first and narrower columns keep them in. */
    if (gp_is_text(g)) gp_printf(g, "unset grid\n");
    else gp_printf(g, "set key reverse Left samplen 1.5 width -2\n");
    lane_tics(s, g);
    time_tics(s, g, cols / ((double)n + 0.4 + room));
    story_blocks(s, g, top);
    char wtitle[300];
    gp_quote(wtitle, sizeof wtitle, s->window);
    /* The stale window: shaded from where the copy went stale to the read;
     * text cannot shade (a fill would cover every step), so its edges are
     * drawn there instead. */
    if (gp_is_text(g))
        gp_printf(g, "plot $win using 1:2:(0):($3-$2) with vectors nohead "
                     "lt 2 title %s, \\\n", wtitle);
    else
        gp_printf(g, "plot $win using 1:2:3 with filledcurves fs transparent "
                     "solid 0.18 noborder lc rgb '#d62728' title %s, \\\n",
                  wtitle);
    gp_printf(g,
              "  $links using 1:2:3:4 with vectors nohead dt 3 lw 1 "
              "lc rgb '#888888' title 'operation takes effect', \\\n"
              "  $steps using 1:($4 < 2 ? $2 : NaN) with points pt 7 ps 1.3 "
              "lc rgb '#1f77b4' title 'step', \\\n"
              "  $steps using 1:($4 == 2 ? $2 : NaN) with points pt 5 ps 1.8 "
              "lc rgb '#2ca02c' title 'the commit the read missed', \\\n"
              "  $steps using 1:($4 == 3 ? $2 : NaN) with points pt 9 ps 2.2 "
              "lc rgb '#d62728' title 'the stale read', \\\n"
              "  $steps using 1:2:3 with labels left rotate by 25 "
              "offset 0.4,0.7 font ',9' notitle\n");
    return gp_printf(g, "%s", "");
}
