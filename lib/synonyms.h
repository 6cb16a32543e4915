/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Synonyms for the query: groups of words a search treats as one
 * (a renamed place, a name transliterated several ways), read from a text
 * file the operator keeps (docs/query-language.md, *Synonyms*):
 *
 *   # renamed places
 *   mumbai bombay
 *   kyiv kiev
 *   gaddafi qaddafi kadhafi gadhafi
 *
 * One group a line, its words separated by spaces or commas; '#' starts a
 * comment. Each word is analysed as the index analyses text (folded,
 * stemmed), so a group holds stems; a stem is in one group at most. */
#ifndef MG_SYNONYMS_H
#define MG_SYNONYMS_H

#include <stddef.h>

#include "analyzer.h"
#include "err.h"

#define MG_SYN_MAX_FILE (1u << 20) /* bytes of a synonyms file */
#define MG_SYN_MAX_GROUP 32        /* words of one group */
#define MG_SYN_MAX_GROUPS 10000    /* groups of one file */

typedef struct mg_synonyms mg_synonyms;

/* Read the file at path, analysing its words with an. NULL on error, with
 * err: MG_EIO (the file cannot be read, or is no regular file: a FIFO
 * would make the open wait for a writer), MG_ETOOBIG (over a cap above),
 * MG_EFORMAT for a bad line ("PATH:LINE: reason": a group of fewer than two
 * distinct words, a word that is several words to the analyser, a word
 * already in another group, invalid UTF-8), MG_ENOMEM. */
mg_synonyms *mg_synonyms_load(const char *path, mg_analyzer *an, mg_err *err);
void mg_synonyms_free(mg_synonyms *s); /* NULL is a no-op */

/* The group of stem (its stems, stem among them, in the file's order), or
 * NULL when it is in none (or s is NULL). *n is set to its size. */
const char *const *mg_synonyms_of(const mg_synonyms *s, const char *stem, size_t *n);

/* Groups read. */
size_t mg_synonyms_groups(const mg_synonyms *s);

#endif
