/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FNV-1a, 64 and 32 bits, over bytes, and a mixer that finishes a hash for
 * table indexing: the one copy of each in the library. FNV-1a is the same
 * on every machine and in every run; a value that is stored (in an index,
 * a record) must keep its function for good, so add a new function here
 * rather than change one (tests/unit/test_hash.c pins the values). */
#ifndef MG_HASH_H
#define MG_HASH_H

#include <stddef.h>
#include <stdint.h>

#define MG_FNV64_OFFSET 0xcbf29ce484222325ULL
#define MG_FNV64_PRIME 0x100000001b3ULL
#define MG_FNV32_OFFSET 0x811c9dc5u
#define MG_FNV32_PRIME 0x01000193u

/* FNV-1a is one multiply per byte in a chain; unrolled four times, the
 * loops cost ~3 instructions a byte instead of ~5 (same values). */

/* FNV-1a 64 of n bytes at p, continued from h (MG_FNV64_OFFSET to start). */
static inline uint64_t mg_fnv1a64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p; /* (a cast for C++) */
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        h = (h ^ s[i]) * MG_FNV64_PRIME;
        h = (h ^ s[i + 1]) * MG_FNV64_PRIME;
        h = (h ^ s[i + 2]) * MG_FNV64_PRIME;
        h = (h ^ s[i + 3]) * MG_FNV64_PRIME;
    }
    for (; i < n; i++)
        h = (h ^ s[i]) * MG_FNV64_PRIME;
    return h;
}

/* FNV-1a 32 of n bytes at p, continued from h (MG_FNV32_OFFSET to start). */
static inline uint32_t mg_fnv1a32(uint32_t h, const void *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p; /* (a cast for C++) */
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        h = (h ^ s[i]) * MG_FNV32_PRIME;
        h = (h ^ s[i + 1]) * MG_FNV32_PRIME;
        h = (h ^ s[i + 2]) * MG_FNV32_PRIME;
        h = (h ^ s[i + 3]) * MG_FNV32_PRIME;
    }
    for (; i < n; i++)
        h = (h ^ s[i]) * MG_FNV32_PRIME;
    return h;
}

/* FNV's low bits are weak for indexing a power-of-two table: this mixer
 * (MurmurHash3's 64-bit finaliser) spreads every input bit over all 64. */
static inline uint64_t mg_hash_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

#endif
