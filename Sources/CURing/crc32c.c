#include "CRC32C.h"

#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int libra_crc32c_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

__attribute__((target("sse4.2")))
uint32_t libra_crc32c_update(uint32_t state, const void *bytes, size_t length) {
    const unsigned char *next = bytes;
    uint64_t wide = state;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, next, 8);
        wide = _mm_crc32_u64(wide, word);
        next += 8;
        length -= 8;
    }
    uint32_t narrow = (uint32_t)wide;
    while (length > 0) {
        narrow = _mm_crc32_u8(narrow, *next);
        next += 1;
        length -= 1;
    }
    return narrow;
}

#else

int libra_crc32c_available(void) { return 0; }

/* Never called where `libra_crc32c_available` says 0: the Swift code computes it instead. */
uint32_t libra_crc32c_update(uint32_t state, const void *bytes, size_t length) {
    (void)bytes;
    (void)length;
    return state;
}

#endif
