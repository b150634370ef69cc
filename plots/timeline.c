/* The timeline of one stale read (see timeline.h): the story arrives laid
 * out; this file only turns it into gnuplot commands. */
#include "plots/timeline.h"

#include <stdio.h>

#include "plots/kinds.h"

int plot_story_draw(const plot_story *s, gp *g) {
    unsigned n = s->n;
    double top = s->client0 + s->nclients - 1 + s->others + 0.9;

    plot_style_common(g);
    char qt[1700];
    gp_printf(g, "set title %s font ',13'\n",
              gp_quote_lines(qt, sizeof qt, s->title, s->context, 0));
    char qx[200];
    gp_printf(g, "set xlabel %s\nset ylabel ''\n",
              gp_quote(qx, sizeof qx, s->xlabel));
    gp_printf(g, "set xrange [-0.7:%.3f]\nset yrange [-0.6:%.3f]\n",
              (double)n - 0.3, top + 0.5);
    gp_printf(g, "set grid noxtics ytics\nset border 1\nset key below nobox noopaque "
                 "horizontal\nset ytics scale 0 (");
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
    gp_printf(g, ")\nset xtics %s(", n > 8 && !gp_is_text(g) ? "font ',9' " : "");
    for (unsigned i = 0; i < n; i++) {
        char qt2[64];
        gp_printf(g, "%s%s %u", i ? ", " : "",
                  gp_quote(qt2, sizeof qt2, s->step[i].time), i);
    }
    gp_printf(g, ")\n");

    /* The stale window: from where the copy went stale to the read. */
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
    char wtitle[300];
    gp_quote(wtitle, sizeof wtitle, s->window);
    gp_printf(g,
              "plot $win using 1:2:3 with filledcurves fs transparent solid "
              "0.18 noborder lc rgb '#d62728' title %s, \\\n"
              "  $links using 1:2:3:4 with vectors nohead dt 3 lw 1 "
              "lc rgb '#888888' title 'operation takes effect', \\\n"
              "  $steps using 1:($4 < 2 ? $2 : NaN) with points pt 7 ps 1.3 "
              "lc rgb '#1f77b4' title 'step', \\\n"
              "  $steps using 1:($4 == 2 ? $2 : NaN) with points pt 5 ps 1.8 "
              "lc rgb '#2ca02c' title 'the commit the read missed', \\\n"
              "  $steps using 1:($4 == 3 ? $2 : NaN) with points pt 9 ps 2.2 "
              "lc rgb '#d62728' title 'the stale read', \\\n"
              "  $steps using 1:2:3 with labels left rotate by 25 "
              "offset 0.4,0.7 font ',9' notitle\n",
              wtitle);
    return gp_printf(g, "%s", "");
}
