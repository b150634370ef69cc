/* The tornado plot (see tornado.h). */
#include "plots/tornado.h"

#include <math.h>
#include <stdio.h>

#include "plots/format.h"
#include "plots/layout.h"

/* A value on the axis: percent for fractions. */
static double axis(const plot_tornado *t, double y) {
    return t->percent ? 100 * y : y;
}

int plot_tornado_draw(gp *g, const plot_tornado *t) {
    char q[1200], f[300];
    size_t n = t->n;
    plot_title(g, t->title, t->subtitle);
    gp_printf(g, "set grid xtics lc rgb '#d8d8d8' lw 1 dt 1\n"
                 "set border 3 lw 1\nset tics nomirror out\n"
                 "set key below nobox\nset bmargin 5\n"
                 "set style fill solid 0.85 border -1\n");
    snprintf(f, sizeof f, "%s%s", t->axis ? t->axis : t->metric,
             t->percent ? ", in %" : "");
    gp_printf(g, "set xlabel %s\n", gp_quote(q, sizeof q, f));
    /* Largest on top: bar i at height n-1-i, labelled by its input. */
    gp_printf(g, "set yrange [-0.7:%g]\nset ytics (", (double)n - 0.3);
    for (size_t i = 0; i < n; i++)
        gp_printf(g, "%s%s %zu", i ? ", " : "",
                  gp_quote(q, sizeof q, t->bar[i].label), n - 1 - i);
    gp_printf(g, ")\n");
    double lo = axis(t, t->base), hi = lo;
    for (size_t i = 0; i < n; i++) {
        double a = axis(t, t->bar[i].y_low), b = axis(t, t->bar[i].y_high);
        if (isfinite(a)) lo = fmin(lo, a), hi = fmax(hi, a);
        if (isfinite(b)) lo = fmin(lo, b), hi = fmax(hi, b);
    }
    double pad = (hi - lo) * 0.08;
    if (!(pad > 0)) pad = fabs(hi) * 0.1 + 1e-12;
    gp_printf(g, "set xrange [%.17g:%.17g]\n", lo - pad, hi + pad);
    gp_printf(g, "set arrow 1 from %.17g, graph 0 to %.17g, graph 1 nohead "
                 "dt 2 lw 1.5 lc rgb '#333333'\n",
              axis(t, t->base), axis(t, t->base));
    /* Rows: height, centre, half-width and colour of one bar; the longer
     * of an input's two bars first, so that the shorter one, drawn over
     * it, stays visible when both lie on the same side of the base. */
    static const unsigned down_rgb = 0x1f77b4, up_rgb = 0xd62728;
    gp_block_begin(g, "tornado");
    double base = axis(t, t->base);
    for (size_t i = 0; i < n; i++) {
        double a = axis(t, t->bar[i].y_low), b = axis(t, t->bar[i].y_high);
        if (!isfinite(a)) a = base;
        if (!isfinite(b)) b = base;
        int up_first = fabs(b - base) > fabs(a - base);
        for (int k = 0; k < 2; k++) {
            int up = k == 0 ? up_first : !up_first;
            double y = up ? b : a;
            gp_printf(g, "%zu %.17g %.17g %u\n", n - 1 - i, (y + base) / 2,
                      fabs(y - base) / 2, up ? up_rgb : down_rgb);
        }
    }
    gp_block_end(g);
    char down[64], up[64], qd[160], qu[160];
    snprintf(down, sizeof down, "input / %g", t->factor);
    snprintf(up, sizeof up, "input x %g", t->factor);
    return gp_printf(g, "plot $tornado using 2:1:3:(0.35):4 with boxxyerror "
                        "lc rgb variable notitle, keyentry with boxes "
                        "lc rgb '#1f77b4' title %s, keyentry with boxes "
                        "lc rgb '#d62728' title %s\n",
                     gp_quote(qd, sizeof qd, down), gp_quote(qu, sizeof qu, up));
}

void plot_tornado_describe(const plot_tornado *t, char *buf, size_t len) {
    if (t->n == 0) {
        snprintf(buf, len, "No input was varied.");
        return;
    }
    char a[64], b[64], c[64];
    const plot_tornado_bar *x = &t->bar[0];
    if (t->percent) {
        plot_fmt_percent(a, sizeof a, x->y_low);
        plot_fmt_percent(b, sizeof b, x->y_high);
        plot_fmt_percent(c, sizeof c, t->base);
    } else {
        plot_fmt_sig(a, sizeof a, x->y_low, 3);
        plot_fmt_sig(b, sizeof b, x->y_high, 3);
        plot_fmt_sig(c, sizeof c, t->base, 3);
    }
    snprintf(buf, len, "%s moves %s most: %s with it divided by %g, %s with "
             "it multiplied by %g, around %s at the base.", x->label,
             t->metric, a, t->factor, b, t->factor, c);
}
