/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The analyser: UTF-8 text in, folded and stemmed terms with positions out.
 *
 * One analyser is used at index time, at query time and for snippets, so
 * the three can never disagree (DESIGN.md §2, §3). Pipeline per word:
 * UTF-8 repair (bad bytes read as U+FFFD) -> word splitting by the morgue word
 * rules -> NFKC + case folding + accent stripping (utf8proc) -> Snowball stem
 * (libstemmer). Words made of digits are not stemmed.
 *
 * An mg_analyzer holds a stemmer and scratch buffers: it is NOT thread-safe.
 * Use one per thread. */
#ifndef MG_ANALYZER_H
#define MG_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

typedef struct mg_analyzer mg_analyzer;

/* Longest term emitted, in bytes; longer words are cut at a character
 * boundary (Xapian's limit on a term is 245 bytes, prefixes included). */
#define MG_TERM_MAX 160

/* One token, as passed to the callback. Every pointer is borrowed and valid
 * only during the callback. */
typedef struct mg_token {
    const char *term; /* folded + stemmed (or just folded with MG_AN_NOSTEM) */
    size_t term_len;
    const char *word; /* folded, not stemmed */
    size_t word_len;
    unsigned pos;     /* position: pos_base + index of the token in the text */
    size_t start;     /* byte offset of the word in the input text */
    size_t end;       /* byte offset just past it */
} mg_token;

/* Return 0 to go on, non-zero to stop the analysis (mg_analyze returns it). */
typedef int (*mg_token_fn)(void *ctx, const mg_token *tok);

enum {
    MG_AN_NOSTEM = 1 /* emit folded words as terms, without stemming */
};

/* A new analyser for a libstemmer language ("english", "french", ... or
 * "none" for no stemming). NULL on error (unknown language: the message
 * lists the valid names; MG_EINVAL). Caller frees with mg_analyzer_free(). */
mg_analyzer *mg_analyzer_new(const char *lang, mg_err *err);

/* Free; NULL is a no-op. */
void mg_analyzer_free(mg_analyzer *an);

/* The language this analyser stems for. Borrowed, lives as long as an. */
const char *mg_analyzer_lang(const mg_analyzer *an);

/* Split text (len bytes, need not be NUL-terminated, may be invalid UTF-8)
 * into tokens and call fn for each, in order. Positions start at pos_base.
 * Returns the number of tokens emitted (>= 0), or the callback's non-zero
 * value if it stopped early (as a negative number if it returned one), or a
 * negative mg_code on failure (out of memory). Linear in len. */
long mg_analyze(mg_analyzer *an, const char *text, size_t len, unsigned pos_base,
                int flags, mg_token_fn fn, void *ctx, mg_err *err);

/* Fold and stem one word as the analyser would (query terms, prefixes).
 * Writes at most cap-1 bytes plus NUL into out; returns the length, or a
 * negative mg_code. With MG_AN_NOSTEM just folds. If the input holds more
 * than one word, only the first is used. */
long mg_analyze_word(mg_analyzer *an, const char *word, size_t len, int flags,
                     char *out, size_t cap, mg_err *err);

/* Fold a whole string to the form used in boolean field terms (source,
 * category, author): NFKC, case folding, accents stripped, runs of white space
 * made one space, trimmed. No splitting, no stemming. Writes at most cap-1
 * bytes plus NUL; returns the length or a negative mg_code. */
long mg_fold_phrase(const char *text, size_t len, char *out, size_t cap, mg_err *err);

/* The NULL-terminated list of languages mg_analyzer_new() accepts.
 * Static storage. */
const char *const *mg_analyzer_languages(void);

#endif
