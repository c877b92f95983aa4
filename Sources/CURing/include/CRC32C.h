#ifndef LIBRA_CRC32C_H
#define LIBRA_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * CRC-32C with the processor's instruction (SSE 4.2 on x86-64), for the log's checksums. Swift
 * cannot use the instruction itself without compiling everything for SSE 4.2, so this C shim
 * compiles just these functions for it and checks at run time that the processor has it.
 */

/* 1 when libra_crc32c_update may be called on this processor, else 0. */
int libra_crc32c_available(void);

/*
 * Continues a CRC-32C over `length` bytes. `state` and the result are the raw register (not
 * inverted): start from 0xFFFFFFFF and invert the final state, as CRC-32C is defined.
 */
uint32_t libra_crc32c_update(uint32_t state, const void *bytes, size_t length);

#endif
