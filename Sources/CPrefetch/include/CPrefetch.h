#ifndef C_PREFETCH_H
#define C_PREFETCH_H

// Cache warming (Engine/Execution/ShardState+Warm.swift): a prefetch asks for a cache line and
// does not wait for it, so a loop can have many misses in flight without stalling on any.
// Swift has no prefetch of its own; these inline into the Swift code that calls them.

static inline __attribute__((always_inline)) void libra_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

// The lines from `address` through `address + byteCount - 1`.
static inline __attribute__((always_inline)) void libra_prefetch_range(const void *address, long byteCount) {
    const char *line = (const char *)((unsigned long)address & ~63UL);
    const char *end = (const char *)address + byteCount;
    for (; line < end; line += 64) __builtin_prefetch(line, 0, 3);
}

#endif
