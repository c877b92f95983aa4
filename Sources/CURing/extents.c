#include "FileExtents.h"

#if defined(__linux__)
#include <errno.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>

enum { extents_per_call = 64 };

int64_t libra_file_unwritten_bytes(int fd) {
    union {
        struct fiemap map;
        char bytes[sizeof(struct fiemap) + extents_per_call * sizeof(struct fiemap_extent)];
    } buffer;
    uint64_t start = 0;
    int64_t unwritten = 0;
    for (;;) {
        memset(&buffer, 0, sizeof buffer);
        buffer.map.fm_start = start;
        buffer.map.fm_length = ~0ULL - start;
        buffer.map.fm_flags = FIEMAP_FLAG_SYNC;
        buffer.map.fm_extent_count = extents_per_call;
        if (ioctl(fd, FS_IOC_FIEMAP, &buffer.map) != 0) return -errno;
        if (buffer.map.fm_mapped_extents == 0) return unwritten;
        for (unsigned index = 0; index < buffer.map.fm_mapped_extents; index++) {
            const struct fiemap_extent *extent = &buffer.map.fm_extents[index];
            if (extent->fe_flags & FIEMAP_EXTENT_UNWRITTEN) unwritten += (int64_t)extent->fe_length;
            if (extent->fe_flags & FIEMAP_EXTENT_LAST) return unwritten;
            start = extent->fe_logical + extent->fe_length;
        }
    }
}
#else
#include <errno.h>

int64_t libra_file_unwritten_bytes(int fd) {
    (void)fd;
    return -ENOTSUP;
}
#endif
