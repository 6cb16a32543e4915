/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stop words: the function words of a language, which a query still matches
 * but which add no weight to a ranking (docs/query-language.md, "Ranking").
 *
 * The set holds the words' stems as the searcher's analyser makes them, so
 * "being" and "doing" are found however a query spells them. Only English
 * has a list; for other languages the set is empty and every word weighs. */
#ifndef MG_STOPWORDS_H
#define MG_STOPWORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "analyzer.h"
#include "err.h"

typedef struct mg_stopset mg_stopset;

/* The stop words of the analyser's language, stemmed with it. An empty set
 * (never NULL on success) for a language without a list, or for a NULL an. NULL on MG_ENOMEM.
 * Free with mg_stopset_free(). */
mg_stopset *mg_stopset_new(mg_analyzer *an, mg_err *err);

/* Free; NULL is a no-op. */
void mg_stopset_free(mg_stopset *set);

/* Whether term (len bytes: an analysed, stemmed token) is a stop word's stem.
 * false for a NULL or empty set. */
bool mg_stopset_has(const mg_stopset *set, const char *term, size_t len);

/* The number of stems in the set (0 for a language without a list). */
size_t mg_stopset_size(const mg_stopset *set);

/* The NULL-terminated word list for lang (a name mg_analyzer_new()
 * accepts), or NULL when the language has none. */
const char *const *mg_stopwords_for(const char *lang);

#endif
