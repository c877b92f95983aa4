#ifndef LIBRA_ALLOCATOR_H
#define LIBRA_ALLOCATOR_H

/*
 * glibc's mallopt, whose header (malloc.h) the Swift Glibc module does not include. Sets the
 * size from which blocks get a mapping of their own and the free heap top kept before trimming.
 * Returns 1 when both settings were taken, 0 otherwise (or on a C library without mallopt).
 */
int libra_allocator_keep_freed(int mapping_threshold_bytes, int trim_threshold_bytes);

/* Bytes allocated and not freed, in glibc's heaps and its own mappings (mallinfo2's uordblks +
 * hblkhd); -1 without glibc 2.33 or later. */
long long libra_allocator_in_use_bytes(void);

/* glibc's malloc_trim(0): hands free pages of every heap back to the kernel. Returns 1 if any were. */
int libra_allocator_trim(void);

#endif
