#include "CURing.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>

struct libra_ring {
    struct io_uring ring;
};

int libra_ring_create(unsigned entries, struct libra_ring **out) {
    struct libra_ring *ring = calloc(1, sizeof(*ring));
    if (ring == NULL) return -ENOMEM;
    int result = io_uring_queue_init(entries, &ring->ring, 0);
    if (result < 0) {
        free(ring);
        return result;
    }
    *out = ring;
    return 0;
}

void libra_ring_destroy(struct libra_ring *ring) {
    if (ring == NULL) return;
    io_uring_queue_exit(&ring->ring);
    free(ring);
}

/* Submits what is queued, retrying when interrupted. */
static int submit(struct libra_ring *ring) {
    int submitted;
    do {
        submitted = io_uring_submit(&ring->ring);
    } while (submitted == -EINTR);
    return submitted < 0 ? submitted : 0;
}

/* Waits for `count` completions; reports each one's result by its user data (0 write, 1 sync). */
static int wait_completions(struct libra_ring *ring, unsigned count, int64_t results[2]) {
    for (unsigned seen = 0; seen < count; seen++) {
        struct io_uring_cqe *cqe = NULL;
        int waited;
        do {
            waited = io_uring_wait_cqe(&ring->ring, &cqe);
        } while (waited == -EINTR);
        if (waited < 0) return waited;
        uint64_t which = io_uring_cqe_get_data64(cqe);
        if (which < 2) results[which] = cqe->res;
        io_uring_cqe_seen(&ring->ring, cqe);
    }
    return 0;
}

int64_t libra_ring_write(struct libra_ring *ring, int fd, const void *buffer, uint32_t length, uint64_t offset, int datasync) {
    struct io_uring_sqe *write = io_uring_get_sqe(&ring->ring);
    if (write == NULL) return -EBUSY;
    io_uring_prep_write(write, fd, buffer, length, offset);
    io_uring_sqe_set_data64(write, 0);
    unsigned count = 1;
    if (datasync) {
        write->flags |= IOSQE_IO_LINK;
        struct io_uring_sqe *sync = io_uring_get_sqe(&ring->ring);
        if (sync == NULL) return -EBUSY;
        io_uring_prep_fsync(sync, fd, IORING_FSYNC_DATASYNC);
        io_uring_sqe_set_data64(sync, 1);
        count = 2;
    }
    int submitted = submit(ring);
    if (submitted < 0) return submitted;
    int64_t results[2] = {0, 0};
    int waited = wait_completions(ring, count, results);
    if (waited < 0) return waited;
    if (results[0] < 0) return results[0];
    if (datasync && (uint64_t)results[0] == length && results[1] < 0) return results[1];
    /* A short write cancels the linked sync (-ECANCELED); the caller sees the short count. */
    return results[0];
}

int libra_ring_datasync(struct libra_ring *ring, int fd) {
    struct io_uring_sqe *sync = io_uring_get_sqe(&ring->ring);
    if (sync == NULL) return -EBUSY;
    io_uring_prep_fsync(sync, fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(sync, 1);
    int submitted = submit(ring);
    if (submitted < 0) return submitted;
    int64_t results[2] = {0, 0};
    int waited = wait_completions(ring, 1, results);
    if (waited < 0) return waited;
    return (int)results[1];
}
