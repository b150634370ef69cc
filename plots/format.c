/* Human-readable numbers (see format.h). */
#include "plots/format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *plot_fmt_duration(char *buf, size_t len, double s) {
    static const struct {
        const char *unit;
        double scale, limit; /* seconds per unit; move up at this value */
    } units[] = {{"ns", 1e-9, 1000}, {"us", 1e-6, 1000}, {"ms", 1e-3, 1000},
                 {"s", 1, 100},      {"min", 60, 100},   {"h", 3600, 0}};
    if (!isfinite(s)) {
        snprintf(buf, len, "-");
        return buf;
    }
    if (s == 0) {
        snprintf(buf, len, "0s");
        return buf;
    }
    size_t u = 0, nu = sizeof units / sizeof units[0];
    while (u + 1 < nu && fabs(s) >= units[u].limit * units[u].scale) u++;
    char num[64];
    for (;;) {
        snprintf(num, sizeof num, "%.3g", s / units[u].scale);
        /* Rounding can reach the next unit: 999.7ms prints as 1000ms. */
        if (u + 1 < nu && fabs(atof(num)) >= units[u].limit) {
            u++;
            continue;
        }
        break;
    }
    /* %g turns 1000 h and more into exponent notation, which the duration
     * parser does not read: print whole hours instead. */
    if (u + 1 == nu && fabs(s / units[u].scale) >= 1000)
        snprintf(num, sizeof num, "%.0f", s / units[u].scale);
    snprintf(buf, len, "%s%s", num, units[u].unit);
    return buf;
}

/* Decimal exponent of x printed with `sig` significant digits. */
static int exponent_at(double x, int sig) {
    if (x == 0 || !isfinite(x)) return 0;
    char b[64];
    snprintf(b, sizeof b, "%.*e", sig - 1, x);
    const char *e = strchr(b, 'e');
    return e ? atoi(e + 1) : 0;
}

char *plot_fmt_sig(char *buf, size_t len, double x, int sig) {
    if (!isfinite(x)) {
        snprintf(buf, len, "-");
        return buf;
    }
    if (x == 0) {
        snprintf(buf, len, "0");
        return buf;
    }
    int e = exponent_at(x, sig);
    if (e < -3 || e > 5) {
        char m[64];
        snprintf(m, sizeof m, "%.*e", sig - 1, x);
        char *ep = strchr(m, 'e');
        if (ep) *ep = '\0';
        snprintf(buf, len, "%se%d", m, e);
        return buf;
    }
    int decimals = sig - 1 - e;
    snprintf(buf, len, "%.*f", decimals > 0 ? decimals : 0, x);
    return buf;
}

char *plot_fmt_percent(char *buf, size_t len, double x) {
    double p = 100 * x;
    if (!isfinite(p)) {
        snprintf(buf, len, "-");
        return buf;
    }
    if (p == 0) {
        snprintf(buf, len, "0%%");
        return buf;
    }
    char num[64];
    if (fabs(p) < 1e-4) {
        plot_fmt_sig(num, sizeof num, p, 2);
    } else {
        int e = (int)floor(log10(fabs(p)));
        int decimals = 1 - e;
        snprintf(num, sizeof num, "%.*f", decimals > 0 ? decimals : 0, p);
        if (strchr(num, '.')) {
            size_t n = strlen(num);
            while (n > 0 && num[n - 1] == '0') num[--n] = '\0';
            if (n > 0 && num[n - 1] == '.') num[n - 1] = '\0';
        }
    }
    snprintf(buf, len, "%s%%", num);
    return buf;
}
