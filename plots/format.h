/* Numbers for people: durations in human units, significant digits and
 * percentages, as plot titles, legends, sentences and the review report
 * print them.  The rules are those of `stalesim compare` and `check`, so a
 * figure reads the same in the table and under the plot. */
#ifndef STALESIM_PLOTS_FORMAT_H
#define STALESIM_PLOTS_FORMAT_H

#include <stddef.h>

/* A duration in seconds, 3 significant digits: "850us", "4.2ms", "60s",
 * "5min", "2.1h"; "0s" for 0 and "-" for NaN.  Returns buf. */
char *plot_fmt_duration(char *buf, size_t len, double s);

/* x with `sig` significant digits, fixed from 1e-3 to 1e6, else compact
 * scientific ("1.2e-4"); "-" for NaN.  Returns buf. */
char *plot_fmt_sig(char *buf, size_t len, double x, int sig);

/* A fraction as a percentage, 2 significant digits: "0.31%", "0%", "3.1e-6%".
 * Returns buf. */
char *plot_fmt_percent(char *buf, size_t len, double x);

#endif
