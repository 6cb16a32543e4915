/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growing a heap buffer by doubling: what the reply writer (jsonw.c) and
 * the snippet writer (snippet.c) share. */
#ifndef MG_GROW_H
#define MG_GROW_H

#include <stdbool.h>
#include <stddef.h>

/* Make *buf (of *cap bytes, NULL when 0) hold at least need bytes: the
 * capacity doubles from first (when 0) until it does, but never goes past
 * max. false, with *buf and *cap as they were, when need is over max or
 * realloc fails. */
bool mg_grow(char **buf, size_t *cap, size_t need, size_t first, size_t max);

#endif
