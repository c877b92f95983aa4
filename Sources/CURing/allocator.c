#include "Allocator.h"

/* Any C library header: it defines __GLIBC__ on glibc. */
#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>

int libra_allocator_keep_freed(int mapping_threshold_bytes, int trim_threshold_bytes) {
    return mallopt(M_MMAP_THRESHOLD, mapping_threshold_bytes) == 1 && mallopt(M_TRIM_THRESHOLD, trim_threshold_bytes) == 1;
}

long long libra_allocator_in_use_bytes(void) {
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
    struct mallinfo2 info = mallinfo2();
    return (long long)(info.uordblks + info.hblkhd);
#else
    /* mallinfo2 came with glibc 2.33; mallinfo's int fields overflow past 2 GiB. */
    return -1;
#endif
}

int libra_allocator_trim(void) { return malloc_trim(0); }
#else
int libra_allocator_keep_freed(int mapping_threshold_bytes, int trim_threshold_bytes) {
    (void)mapping_threshold_bytes;
    (void)trim_threshold_bytes;
    return 0;
}

long long libra_allocator_in_use_bytes(void) { return -1; }

int libra_allocator_trim(void) { return 0; }
#endif
