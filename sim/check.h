/* Always-on invariant checks.
 *
 * A broken invariant (clock going back, an event scheduled in the past, a
 * version going down) is a bug in stalesim, not bad input: SIM_CHECK prints
 * the file, line, the failed condition and the values given, then aborts.
 * Unlike assert() it is never compiled out. */
#ifndef STALESIM_SIM_CHECK_H
#define STALESIM_SIM_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define SIM_CHECK(cond, ...)                                                  \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "stalesim: bug: %s:%d: invariant '%s' broken: ",  \
                    __FILE__, __LINE__, #cond);                               \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
            abort();                                                          \
        }                                                                     \
    } while (0)

#endif
