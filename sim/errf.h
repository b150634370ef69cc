/* The one formatter of error messages into a caller's buffer.
 *
 * Every module that reports a fault from outside (STYLE.md, "Errors") fills
 * a caller-supplied `char *err, size_t errlen` through this function. */
#ifndef STALESIM_SIM_ERRF_H
#define STALESIM_SIM_ERRF_H

#include <stddef.h>

/* printf into err[0..errlen), always terminated and truncated to fit; does
 * nothing when err is NULL or errlen is 0. */
void sim_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* printf appended to the text already in buf[0..len), always terminated and
 * truncated to fit; does nothing when buf is already full. */
void sim_catf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
