/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The analyser: UTF-8 text in, folded and stemmed terms with positions out.
 *
 * One analyser is used at index time, at query time and for snippets, so
 * the three can never disagree (architecture.md §2, §3). Pipeline per word:
 * UTF-8 decoding (bad bytes read as U+FFFD, which separates words) -> word
 * splitting by the morgue word rules -> NFKC + case folding + diacritics
 * stripped (utf8proc) -> Snowball stem (libstemmer). Words containing a digit
 * are not stemmed. docs/analysis.md states the rules for users; the unit
 * tests (tests/unit/test_analyzer.c) pin each one.
 *
 * An mg_analyzer holds a stemmer, a stem cache and scratch buffers: it is NOT
 * thread-safe. Use one per thread. Analysis allocates nothing per token. */
#ifndef MG_ANALYZER_H
#define MG_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

typedef struct mg_analyzer mg_analyzer;

/* Longest term (and word) emitted, in bytes; longer words are cut at a
 * character boundary (Xapian's limit on a term is 245 bytes, prefixes
 * included). Only the first 4 * MG_TERM_MAX bytes of a word are folded. */
#define MG_TERM_MAX 160

/* One token, as passed to the callback. Every pointer is borrowed and valid
 * only during the callback. */
typedef struct mg_token {
    const char *term; /* folded + stemmed (or just folded with MG_AN_NOSTEM) */
    size_t term_len;
    const char *word; /* folded, not stemmed (a final 's already dropped) */
    size_t word_len;
    unsigned pos; /* position: pos_base + index among emitted tokens */
    size_t start; /* byte offset of the word in the input text */
    size_t end;   /* byte offset just past it: "U.S." covers "U.S",
                     "Kim’s" covers "Kim’s", "'quoted'" covers "quoted" */
} mg_token;
/* term and word are NUL-terminated, never empty, valid UTF-8, at most
 * MG_TERM_MAX bytes. */

/* Return 0 to go on, non-zero to stop the analysis (mg_analyze returns it). */
typedef int (*mg_token_fn)(void *ctx, const mg_token *tok);

enum {
    MG_AN_NOSTEM = 1, /* emit folded words as terms, without stemming */
    MG_AN_GENERAL = 2 /* scan every word the general way, without the
                       * shortcut for plain ASCII words (the same tokens,
                       * slower: for tests that compare the two) */
};

/* A new analyser for a libstemmer language ("english", "french", ... or
 * "none" for no stemming); NULL lang means "english". Case does not matter,
 * and libstemmer's ISO 639 codes are accepted too ("en", "eng", "fr", "de",
 * "ru"...). NULL on error: MG_EINVAL for an unknown language, with as much of
 * "unknown language \"x\"; valid: arabic ... none" as fits in the message
 * while keeping every valid name (with libstemmer 2.2 only "valid
 * languages: ..." fits, so callers should name the rejected value
 * themselves); MG_ENOMEM. Caller frees with mg_analyzer_free(). */
mg_analyzer *mg_analyzer_new(const char *lang, mg_err *err);

/* Free; NULL is a no-op. */
void mg_analyzer_free(mg_analyzer *an);

/* The language name as given to mg_analyzer_new(), lower-cased ("english"
 * for NULL). Borrowed, lives as long as an. */
const char *mg_analyzer_lang(const mg_analyzer *an);

/* Split text (len bytes, need not be NUL-terminated, may be invalid UTF-8;
 * NULL when len is 0) into tokens and call fn for each, in order (fn may be
 * NULL: tokens are then only counted). Positions start at pos_base; flags is
 * 0 or a mix of MG_AN_NOSTEM and MG_AN_GENERAL. Returns the number of tokens emitted (>= 0); if fn
 * returns non-zero, analysis stops and that value is returned unchanged (so
 * a callback that must be told apart from a count returns a negative value,
 * e.g. -MG_ETOOBIG); or -MG_EINVAL (an or text NULL) or -MG_ENOMEM (the
 * stemmer failed) with err set. Linear in len; never reads past len. */
long mg_analyze(mg_analyzer *an, const char *text, size_t len, unsigned pos_base, int flags,
                mg_token_fn fn, void *ctx, mg_err *err);

/* Fold and stem one word as the analyser would (query terms, prefixes).
 * Writes at most cap-1 bytes plus NUL into out (cut at a character
 * boundary); returns the length, 0 (out = "") when the input holds no word,
 * or a negative mg_code (-MG_EINVAL when out is NULL or cap is 0). With
 * MG_AN_NOSTEM just folds. If the input holds more than one token, only the
 * first is used: "Jong-un" gives "jong", CJK text its first character;
 * callers wanting every token use mg_analyze(). */
long mg_analyze_word(mg_analyzer *an, const char *word, size_t len, int flags, char *out,
                     size_t cap, mg_err *err);

/* Fold a whole string to the form used in boolean field terms (source,
 * category, author): NFKC, case folding, accents stripped, typographic
 * apostrophes made ASCII, runs of white space (and control characters) made
 * one space, trimmed; invalid bytes read as U+FFFD. No splitting, no
 * stemming: "Müller, Jürgen" -> "muller, jurgen". Writes at most cap-1 bytes
 * plus NUL, cutting a longer result at a character boundary; returns the
 * length, or -MG_EINVAL (out NULL, cap 0) / -MG_ENOMEM. Allocates. */
long mg_fold_phrase(const char *text, size_t len, char *out, size_t cap, mg_err *err);

/* The NULL-terminated list of languages mg_analyzer_new() accepts: the
 * canonical names of sb_stemmer_list(), then "none". Static storage;
 * thread-safe. */
const char *const *mg_analyzer_languages(void);

#endif
