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

/*
 * Opens `path` for writing that bypasses the page cache (O_RDWR | O_CREAT | O_CLOEXEC | O_DIRECT,
 * mode 0644), a flag the Swift Glibc module does not export. Returns the descriptor, or -1 with
 * errno set (EINVAL where the file system refuses O_DIRECT).
 */
int libra_open_direct(const char *path);

/* Turns O_DIRECT off on an open descriptor (a device that wants larger blocks). 0, or -1 and errno. */
int libra_clear_direct(int fd);

#endif
