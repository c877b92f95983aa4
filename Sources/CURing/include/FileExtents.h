#ifndef LIBRA_FILE_EXTENTS_H
#define LIBRA_FILE_EXTENTS_H

#include <stdint.h>

/// Bytes of the file that the file system holds as reserved but unwritten extents (space from
/// fallocate that no write has reached), as FIEMAP reports them: how one checks that a log
/// segment was zero-filled rather than only reserved. Returns a negative errno where the file
/// system cannot say (EOPNOTSUPP on tmpfs, for one).
int64_t libra_file_unwritten_bytes(int fd);

#endif
