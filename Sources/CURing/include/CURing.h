#ifndef LIBRA_CURING_H
#define LIBRA_CURING_H

#include <stdint.h>

/*
 * A small opaque API over liburing for the write-ahead log. liburing.h is included only by
 * the implementation: importing it into Swift clashes with the Glibc module on this toolchain.
 * Every function returns 0 or a byte count on success and a negative errno on failure.
 */

struct libra_ring;

/* Creates a ring with room for `entries` submissions. */
int libra_ring_create(unsigned entries, struct libra_ring **out);

void libra_ring_destroy(struct libra_ring *ring);

/*
 * Writes `length` bytes at `offset` and, when `datasync` is set, an fdatasync linked to the
 * write (it runs only if the write completed in full), then waits for both completions.
 * Returns the bytes written (a short write is returned as such, without the sync), or a
 * negative errno from the write or the sync.
 */
int64_t libra_ring_write(struct libra_ring *ring, int fd, const void *buffer, uint32_t length, uint64_t offset, int datasync);

/* An fdatasync through the ring. */
int libra_ring_datasync(struct libra_ring *ring, int fd);

/* The processor's CRC-32C instruction, for the log's checksums (CRC32C.h). */
#include "CRC32C.h"

/* glibc allocator settings for a long-running process (Allocator.h). */
#include "Allocator.h"

/* Thread names (Thread.h). */
#include "Thread.h"

/* Unwritten (reserved, never written) extents of a file, for tests of preallocation (Extents.h). */
#include "Extents.h"

#endif
