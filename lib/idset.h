/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ids an indexing run has seen: a set of 64-bit id hashes, each with the
 * file and line where it was first seen, and the file names interned in one
 * arena. Used by the indexer (lib/index*.c) to report duplicate ids and to
 * find the ids --delete-missing removes. Not thread-safe: one thread (the
 * reader) fills them. */
#ifndef MG_IDSET_H
#define MG_IDSET_H

#include <stddef.h>
#include <stdint.h>

/* 16 bytes per id: its hash and where it was first seen (an index into an
 * mg_names, and the line). Two ids sharing a 64-bit hash (odds around 1 in
 * 10^7 for 10^6 ids) would be reported as a duplicate and spare one missing
 * id from --delete-missing: never a wrong deletion. */
typedef struct mg_idslot {
    uint64_t h; /* 0: empty */
    uint32_t file;
    uint32_t line;
} mg_idslot;

/* A zeroed mg_idset is empty; free its memory with mg_idset_release(). */
typedef struct mg_idset {
    mg_idslot *s;
    size_t cap, n; /* cap is a power of two */
} mg_idset;

/* The key of the id s[0..n) in the set: FNV-1a, mixed (hash.h); never 0. */
uint64_t mg_idset_hash(const char *s, size_t n);
/* Insert h; returns 1 and the existing slot in *old when already present,
 * 0 when inserted, -1 when out of memory (the set is unchanged). */
int mg_idset_put(mg_idset *set, uint64_t h, uint32_t file, uint32_t line, mg_idslot *old);
/* 1 when h is in the set, else 0. */
int mg_idset_has(const mg_idset *set, uint64_t h);
/* Free the set's memory and leave it empty. */
void mg_idset_release(mg_idset *set);

/* File names for "first seen at FILE:LINE", interned in one arena. A zeroed
 * mg_names is empty; free its memory with mg_names_release(). */
typedef struct mg_names {
    char *buf;
    size_t len, cap;
    size_t *off;
    size_t n, ncap;
} mg_names;

/* The index of name, added unless it is the last one added (names come in
 * runs: every record of a file); -1 when out of memory. */
long mg_names_add(mg_names *nm, const char *name);
/* The name at index i (from mg_names_add); valid until the next add. */
const char *mg_names_get(const mg_names *nm, size_t i);
/* Free the names' memory and leave it empty. */
void mg_names_release(mg_names *nm);

#endif
