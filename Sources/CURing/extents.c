#define _GNU_SOURCE
#include "Extents.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

enum { extents_per_call = 64 };

int libra_unwritten_bytes(int fd, uint64_t *bytes) {
    size_t size = sizeof(struct fiemap) + extents_per_call * sizeof(struct fiemap_extent);
    struct fiemap *map = malloc(size);
    if (map == NULL) return -ENOMEM;
    uint64_t start = 0;
    uint64_t total = 0;
    for (;;) {
        memset(map, 0, size);
        map->fm_start = start;
        map->fm_length = FIEMAP_MAX_OFFSET - start;
        map->fm_extent_count = extents_per_call;
        if (ioctl(fd, FS_IOC_FIEMAP, map) != 0) {
            int code = errno;
            free(map);
            return -code;
        }
        if (map->fm_mapped_extents == 0) break;
        int last = 0;
        for (uint32_t index = 0; index < map->fm_mapped_extents; index++) {
            struct fiemap_extent *extent = &map->fm_extents[index];
            if (extent->fe_flags & FIEMAP_EXTENT_UNWRITTEN) total += extent->fe_length;
            if (extent->fe_flags & FIEMAP_EXTENT_LAST) last = 1;
            start = extent->fe_logical + extent->fe_length;
        }
        if (last) break;
    }
    free(map);
    *bytes = total;
    return 0;
}

int libra_open_direct(const char *path) {
    return open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_DIRECT, 0644);
}

int libra_clear_direct(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags & ~O_DIRECT);
}
