#ifndef LIBRA_ALLOCATOR_H
#define LIBRA_ALLOCATOR_H

/*
 * glibc's mallopt, whose header (malloc.h) the Swift Glibc module does not include. Sets the
 * size from which blocks get a mapping of their own and the free heap top kept before trimming.
 * Returns 1 when both settings were taken, 0 otherwise (or on a C library without mallopt).
 */
int libra_allocator_keep_freed(int mapping_threshold_bytes, int trim_threshold_bytes);

#endif
