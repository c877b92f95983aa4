#ifndef C_EPOLL_H
#define C_EPOLL_H

// epoll for `libra-bench load`'s socket loop: Glibc's Swift module leaves sys/epoll.h out.
#include <sys/epoll.h>

#endif
