/* Huge-page-backed arrays (see bigmem.h). */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE, MAP_ANONYMOUS */
#include "sim/bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BIG_THRESHOLD ((size_t)4 << 20) /* below this, aligned_alloc */
#define BIG_ALIGN 64                      /* bytes: a cache line */

void *sim_big_calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return NULL;
    size_t bytes = n * size;
    if (bytes < BIG_THRESHOLD) {
        /* Cache-line aligned like the mapped arrays (a page or more). */
        size_t rounded = (bytes + BIG_ALIGN - 1) / BIG_ALIGN * BIG_ALIGN;
        void *p = aligned_alloc(BIG_ALIGN, rounded ? rounded : BIG_ALIGN);
        if (p) memset(p, 0, rounded ? rounded : BIG_ALIGN);
        return p;
    }
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failure is harmless */
#endif
    return p;
}

void sim_big_free(void *p, size_t n, size_t size) {
    if (!p) return;
    size_t bytes = n * size;
    if (bytes < BIG_THRESHOLD)
        free(p);
    else
        munmap(p, bytes);
}
