/* The one string hash: 64-bit FNV-1a.  Used where a stable, portable hash of
 * a name or a text is needed (trace key names, stored scenario texts); the
 * value must never change, since databases keep it. */
#ifndef STALESIM_SIM_HASH_H
#define STALESIM_SIM_HASH_H

#include <stdint.h>

/* FNV-1a 64 of the NUL-terminated string s. */
static inline uint64_t sim_fnv1a(const char *s) {
    uint64_t h = UINT64_C(0xcbf29ce484222325); /* offset basis */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * UINT64_C(0x100000001b3); /* FNV prime */
    return h;
}

#endif
