#ifndef LIBRA_THREAD_H
#define LIBRA_THREAD_H

/// Names the calling thread (at most 15 bytes are kept), so that it can be told apart in
/// top -H, perf and /proc. Returns 0, or an errno value.
int libra_thread_set_name(const char *name);

#endif
