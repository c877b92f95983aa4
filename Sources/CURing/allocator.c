#include "Allocator.h"

/* Any C library header: it defines __GLIBC__ on glibc. */
#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>

int libra_allocator_keep_freed(int mapping_threshold_bytes, int trim_threshold_bytes) {
    return mallopt(M_MMAP_THRESHOLD, mapping_threshold_bytes) == 1 && mallopt(M_TRIM_THRESHOLD, trim_threshold_bytes) == 1;
}
#else
int libra_allocator_keep_freed(int mapping_threshold_bytes, int trim_threshold_bytes) {
    (void)mapping_threshold_bytes;
    (void)trim_threshold_bytes;
    return 0;
}
#endif
