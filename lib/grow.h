/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growing a heap buffer or array by doubling: what the reply writer
 * (jsonw.c), the snippet writer (snippet.c) and the lists the library
 * collects (terms, values, spans, entries) share. */
#ifndef MG_GROW_H
#define MG_GROW_H

#include <stdbool.h>
#include <stddef.h>

/* Make *buf (of *cap bytes, NULL when 0) hold at least need bytes: the
 * capacity doubles from first (when 0) until it does, but never goes past
 * max. false, with *buf and *cap as they were, when need is over max or
 * realloc fails. */
bool mg_grow(char **buf, size_t *cap, size_t need, size_t first, size_t max);

/* Make the array that array points to (a T **, its T * NULL when *cap is
 * 0) hold at least need elements of size bytes: the capacity, *cap
 * elements, doubles from first (when 0) until it does. false, with the
 * array and *cap as they were, when the bytes would overflow or realloc
 * fails. Typical use, before storing element n:
 *     if (n == cap && !mg_grow_array(&v, &cap, n + 1, sizeof *v, 64)) ... */
bool mg_grow_array(void *array, size_t *cap, size_t need, size_t size, size_t first);

#endif
