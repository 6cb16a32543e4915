/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Snippets: the best short window of an article's text for a query, with
 * every matching word highlighted.
 *
 * Matching uses the same analyser as indexing and querying, so a word is
 * highlighted when its stem is one of the query's stems ("parade" highlights
 * "parades"; "muller" highlights "Müller") or when its folded form starts
 * with one of the query's prefixes (word*). Adjacent highlighted tokens joined
 * by punctuation alone are highlighted as one ("Jong-un"). Cost: one cheap
 * byte scan of the text, and the analyser only over the pieces of it where a
 * matching word could start, each distinct short piece once per set (for
 * languages whose stemmers may change a word's first letter, the analyser
 * over all of the text); no quadratic loops. */
#ifndef MG_SNIPPET_H
#define MG_SNIPPET_H

#include <stdbool.h>
#include <stddef.h>

#include "analyzer.h"
#include "err.h"

/* The set of stems and prefixes to highlight. It also remembers what the
 * snippets made with it found in short pieces of text, so mg_snippet_make()
 * writes to it: one set must not be used by two threads at once. */
typedef struct mg_hlset mg_hlset;

/* A new empty set; caller frees with mg_hlset_free(). NULL when out of
 * memory. */
mg_hlset *mg_hlset_new(void);
void mg_hlset_free(mg_hlset *hl); /* NULL is a no-op */

/* Add a stem (as mg_analyze emits it in mg_token.term) or a folded prefix
 * (compared with mg_token.word). Duplicates are ignored. Returns 0 or
 * -MG_ENOMEM. */
int mg_hlset_add_term(mg_hlset *hl, const char *term, size_t len);
int mg_hlset_add_prefix(mg_hlset *hl, const char *prefix, size_t len);

/* Number of distinct stems and prefixes in the set. */
size_t mg_hlset_count(const mg_hlset *hl);

typedef struct mg_snippet_opts {
    size_t bytes;         /* about this long (text only); 0 means 200 */
    const char *hl_start; /* put around highlighted words; NULL means "" */
    const char *hl_end;
    bool html; /* HTML-escape the text (the markers are copied as given) */
} mg_snippet_opts;

/* The snippet of text[0..len) as a new NUL-terminated string (caller frees).
 * White space runs become one space; the window starts and ends on word
 * boundaries (never inside a UTF-8 character), with "…" where text was left
 * out. Invalid UTF-8 in text comes out as U+FFFD. hl may be NULL or empty (the
 * start of the text is returned). NULL on error (out of memory, analyser
 * failure; err says which). The result depends only on an's language, hl's
 * entries, text and opts. */
char *mg_snippet_make(mg_analyzer *an, const mg_hlset *hl, const char *text, size_t len,
                      const mg_snippet_opts *opts, mg_err *err);

/* The same snippet, always found by analysing the whole text: the reference
 * mg_snippet_make() must agree with byte for byte (for tests and
 * benchmarks; slower). */
char *mg_snippet_make_full(mg_analyzer *an, const mg_hlset *hl, const char *text, size_t len,
                           const mg_snippet_opts *opts, mg_err *err);

#endif
