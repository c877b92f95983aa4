#ifndef LIBRA_EXTENTS_H
#define LIBRA_EXTENTS_H

#include <stdint.h>

/*
 * How many bytes of an open file lie in extents the file system marks "unwritten": reserved
 * (fallocate) but never written, so that making a first write to them durable also commits
 * file-system metadata. Asks the FIEMAP ioctl, whose structures the Swift Glibc module lacks.
 * Returns 0 and sets *bytes on success; -errno on failure (-EOPNOTSUPP where the file system
 * cannot tell).
 */
int libra_unwritten_bytes(int fd, uint64_t *bytes);

#endif
