/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FNV-1a 64 over bytes, and a mixer that finishes it for table indexing.
 * FNV-1a is the same on every machine and in every run; a value that is
 * stored (in an index, a record) must keep its function for good, so add a
 * new function here rather than change one. */
#ifndef MG_HASH_H
#define MG_HASH_H

#include <stddef.h>
#include <stdint.h>

#define MG_FNV64_OFFSET 0xcbf29ce484222325ULL
#define MG_FNV64_PRIME 0x100000001b3ULL

/* FNV-1a 64 of n bytes at p, continued from h (MG_FNV64_OFFSET to start). */
static inline uint64_t mg_fnv1a64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= MG_FNV64_PRIME;
    }
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
