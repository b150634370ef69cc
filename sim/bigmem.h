/* Large zeroed arrays for per-key state.
 *
 * A million keys spread each model's state over tens of megabytes that are
 * touched at random; with 4 KiB pages nearly every access misses the TLB.
 * sim_big_calloc maps such arrays with mmap and asks for transparent huge
 * pages (MADV_HUGEPAGE, a hint the kernel may ignore); small arrays use
 * aligned_alloc.  Either way the array starts on a 64-byte boundary (a cache
 * line), so a 64-byte record never straddles two lines.  Free them only with
 * sim_big_free, passing the same sizes. */
#ifndef STALESIM_SIM_BIGMEM_H
#define STALESIM_SIM_BIGMEM_H

#include <stddef.h>

/* n * size zeroed bytes, or NULL (overflow or memory exhausted). */
void *sim_big_calloc(size_t n, size_t size);
void sim_big_free(void *p, size_t n, size_t size);

#endif
