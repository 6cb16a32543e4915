/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The morgue query language: parse a query string into a syntax tree.
 *
 * Syntax (docs/query-language.md is the user's manual):
 *   word word          both (default AND)      a OR b, a AND b (|| &&)
 *   NOT word, -word    without                 ( ... )  grouping
 *   "a phrase"         positional, on stems    word*    prefix
 *   a NEAR/5 b         at most 5 words apart   *        every document
 *   "a b"~5            a NEAR/5 b              word~, word~N  fuzzy (N edits)
 *   title:WORD|"PHRASE"|PREFIX*|( ... )        source:V author:V category:V
 *   id:ID  like:ID     date:A..B, date:..B, date:A.., date:A (A, B: YYYY,
 *                      YYYY-MM, YYYY-MM-DD)
 * Operators are upper case (lower-case "or" is a word). A field needs its
 * value right after the colon ("Science: Objective" is two words).
 *
 * The parser does not analyse words (no stemming, no folding): the search
 * layer does that with the index's analyser. It is pure C with no Xapian, so
 * it is fuzzed on its own (tests/fuzz/fuzz_query.c). */
#ifndef MG_QUERY_H
#define MG_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

typedef enum mg_qkind {
    MG_QN_AND,    /* children: all must match (NOT children exclude) */
    MG_QN_OR,     /* children: any */
    MG_QN_NOT,    /* one child, to exclude (only as a child of AND/OR) */
    MG_QN_WORD,   /* text: one word (may analyse into several tokens) */
    MG_QN_PREFIX, /* text: the prefix of word* (without the star) */
    MG_QN_PHRASE, /* text: the words between the quotes */
    MG_QN_NEAR,   /* children: WORD nodes; dist: max words between them */
    MG_QN_FILTER, /* field (SOURCE, AUTHOR, CATEGORY, ID) = text, exact */
    MG_QN_DATE,   /* lo..hi, "YYYYMMDDhhmmss" each, "" for an open end */
    MG_QN_LIKE,   /* text: the id of the document to find more like */
    MG_QN_ALL,    /* every document (a lone "*") */
    MG_QN_FUZZY   /* text: the word of word~ or word~N; dist: the edits allowed */
} mg_qkind;

typedef enum mg_qfield {
    MG_QF_NONE = 0, /* free text (title and body) */
    MG_QF_TITLE,    /* WORD, PREFIX, PHRASE: only in the title */
    MG_QF_SOURCE,
    MG_QF_AUTHOR,
    MG_QF_CATEGORY,
    MG_QF_ID
} mg_qfield;

typedef struct mg_qnode mg_qnode;
struct mg_qnode {
    mg_qkind kind;
    mg_qfield field;
    char *text; /* WORD, PREFIX, PHRASE, FILTER, LIKE, FUZZY: owned, NUL-terminated */
    size_t text_len;
    char lo[15], hi[15]; /* DATE */
    unsigned dist;       /* NEAR: words between; FUZZY: edits */
    size_t col;          /* 1-based column (in characters) where the node starts */
    size_t off;          /* byte offset where the node starts (WORD: its text) */
    mg_qnode **kids;     /* AND, OR, NOT, NEAR: owned */
    size_t nkids;
};

typedef struct mg_query_opts {
    size_t max_bytes;  /* 0: 4096 */
    size_t max_terms;  /* 0: 64; counts words, phrase words and filters */
    size_t min_prefix; /* 0: 2; characters before the * of word* */
} mg_query_opts;

/* Limits of the language itself. */
#define MG_QUERY_MAX_DEPTH 32 /* nested parentheses / NOTs */
#define MG_QUERY_NEAR_DEFAULT 10
#define MG_QUERY_NEAR_MAX 100
#define MG_QUERY_FUZZY_MAX 2 /* edits of word~N */

/* Stable error kinds, in mg_err.detail of an MG_EQUERY error. Each error
 * message starts with the kind's text (mg_query_errors[kind].text),
 * followed by where and what, e.g. "unbalanced quote at column 7: no
 * closing \"". */
typedef enum mg_qerr {
    MG_QE_EMPTY = 1,  /* empty_query (0: no kind) */
    MG_QE_TOO_LONG,   /* query_too_long */
    MG_QE_TOO_MANY,   /* too_many_terms */
    MG_QE_QUOTE,      /* unbalanced_quote */
    MG_QE_PAREN,      /* unbalanced_paren */
    MG_QE_FIELD,      /* unknown_field */
    MG_QE_VALUE,      /* missing_value: "title:" with nothing after it */
    MG_QE_DATE,       /* bad_date */
    MG_QE_WILD_SHORT, /* wildcard_too_short */
    MG_QE_WILD_BROAD, /* wildcard_too_broad (raised by the search layer) */
    MG_QE_OPERAND,    /* missing_operand: "a OR", "NOT", "(a AND)" */
    MG_QE_NEAR,       /* bad_near */
    MG_QE_DEPTH,      /* query_too_deep */
    MG_QE_LIKE,       /* like_not_found (raised by the search layer) */
    MG_QE_NOWORDS,    /* no_words: nothing searchable left after analysis */
    MG_QE_SYNTAX,     /* unsupported_syntax: word^2 (boost), word~3 (too many edits) */
    MG_QE_COUNT
} mg_qerr;

typedef struct mg_query_error_kind {
    const char *code; /* stable wire code, e.g. "unbalanced_quote" */
    const char *text; /* how the message starts, e.g. "unbalanced quote" */
} mg_query_error_kind;

extern const mg_query_error_kind mg_query_errors[MG_QE_COUNT];

/* Record a query error of the given kind in *err (code MG_EQUERY, detail
 * kind, message "TEXT" followed by the formatted detail, e.g. " at column
 * 3: ..."). Returns -MG_EQUERY. */
int mg_query_err(mg_err *err, mg_qerr kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The stable code of a query error ("unbalanced_quote", ...), from err's
 * detail; NULL when err is not one of ours. */
const char *mg_query_error_code(const mg_err *err);

/* Parse query[0..len) (any bytes; invalid UTF-8 is left to the analyser).
 * opts may be NULL for the defaults. On success *out is the tree (caller frees
 * with mg_query_free()) and 0 is returned; on failure *out is NULL and the
 * return is -MG_EQUERY with an error of one of the kinds above. */
int mg_query_parse(const char *query, size_t len, const mg_query_opts *opts, mg_qnode **out,
                   mg_err *err);

/* Free a tree; NULL is a no-op. */
void mg_query_free(mg_qnode *n);

/* The tree as a readable, unambiguous string, e.g.
 * AND(WORD"kim" PHRASE"jong un" NOT(WORD"seoul") DATE[19870101000000..]),
 * for debugging and tests. Caller frees; NULL when out of memory. */
char *mg_query_render(const mg_qnode *n);

/* The 1-based column (in UTF-8 characters) of byte offset off in q. */
size_t mg_query_column(const char *q, size_t off);

/* Turn a date bound as users write it (YYYY, YYYY-MM, YYYY-MM-DD, also with
 * "Thh:mm[:ss]") into the 14-digit form of MG_SLOT_DATE, at the start of the
 * period (upper == false) or at its end (upper == true). A day counted back
 * from today (UTC) works too: "today", "yesterday", and N days, weeks,
 * months or years ago as "Nd", "Nw", "Nm", "Ny" (N: 0 to 99999; a month or
 * year back keeps the day of the month, or takes the month's last day when
 * it has fewer: 31 March less 1m is 28 or 29 February); it covers that
 * whole day. Case does not matter in these. Returns 0, or -1 when the text
 * is not such a date, names no real day or counts back before the year 1
 * (why in *why, static). */
int mg_query_date_bound(const char *s, size_t len, bool upper, char out[15], const char **why);

/* The day relative dates count back from: "YYYYMMDD", or NULL (the
 * default) for the current day of the system clock, in UTC. For tests, and
 * for a tool that replays queries as of a day. Set it before queries run,
 * not while they do (it is not synchronised). Returns 0, or -1 (and
 * changes nothing) when day is not a real YYYYMMDD. */
int mg_query_set_today(const char *day);

#endif
