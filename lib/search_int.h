/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to the query engine (search.h): the searcher and the compiler's
 * state, shared by its files. Nothing outside them includes this. The files:
 *   search.c   the searcher (open, reopen, limits), error codes, running a
 *              request: the strict and the relaxed runs, totals, hits,
 *              export cursors
 *   search_run.c  one run of a request: the strict and the relaxed runs,
 *              counts, totals, hits
 *   compile.c  the syntax tree to a Xapian query (the compiler below):
 *              the walk, AND/OR/NOT, the relaxed query
 *   compile_words.c    words, phrases, word*, NEAR
 *   compile_filters.c  field filters, source:, the request's bounds
 *   suggest.c  "did you mean", from the compiler's unknown words
 *   facets.c   adding up the facets of two match sets
 *   lookup.c   get, copies, stats, the values of a field
 * An mg_searcher is used by one thread at a time (search.h). */
#ifndef MG_SEARCH_INT_H
#define MG_SEARCH_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "analyzer.h"
#include "err.h"
#include "query.h"
#include "search.h"
#include "snippet.h"
#include "stopwords.h"
#include "synonyms.h"
#include "xapian_search.h"

struct mg_searcher {
    mg_xsearch *xs;
    mg_analyzer *an;
    mg_stopset *stops; /* empty when off or the language has no list */
    mg_synonyms *syn;  /* NULL: none (lim.synonyms) */
    char *syn_path;    /* lim.synonyms copied, to read again in another language */
    mg_search_limits lim;
};

/* ---- compile.c, compile_words.c, compile_filters.c ---- */

enum role { R_NONE, R_POS, R_FILTER, R_NEG };

#define MAX_UNKNOWN 8

typedef struct unknown_word {
    size_t off, len; /* in the query text */
    char term[MG_TERM_MAX + 1];
} unknown_word;

typedef struct compiler {
    mg_searcher *s;
    const char *query;
    mg_hlset *hl;
    size_t nterms;
    bool relax;
    bool plain;      /* ORs without proximity pairs (a count's query) */
    size_t ands;     /* AND nodes with two or more weighted parts (relaxable) */
    size_t near_ors; /* ORs with proximity pairs (mg_xq_or_near) */
    size_t ors;      /* ORs of weighted parts (or_words) */
    size_t posits;   /* phrases and NEARs */
    bool stops;      /* stop words add no weight (the query has other words) */
    bool weightless; /* compile_text's last word weighs nothing */
    unknown_word unknown[MAX_UNKNOWN];
    size_t nunknown;
    mg_err *err;
    /* the request's MG_SLOT_ADDED range (mg_compile_check_added), "" = open */
    char added_lo[15], added_hi[15];
} compiler;

/* The request's added_since/added_until into c->added_lo/hi; MG_EINVAL
 * ("bad date") when one is not a date. */
int mg_compile_check_added(const mg_search_request *req, compiler *c, mg_err *err);

/* 1 when the tree (outside its NOTs) has something that weighs besides
 * stop words, 0 if not, or a negative mg_code. */
int mg_compile_has_content(compiler *c, const mg_qnode *n);

/* Compile the tree (relaxed when c->relax) with since/until (YYYYMMDD or
 * "") and source ("" or NULL: any) applied, into *out. */
int mg_compile_build(compiler *c, const mg_qnode *ast, const char *since, const char *until,
                     const char *source, mg_xq **out);

/* The relaxed query *or_q and the part of it strict lacks, *rest (when
 * strict is NULL: NULL, or *or_q without proximity pairs when none can
 * hold); rebuilds c's highlights and unknown words for it. plain: without
 * proximity pairs (a count's query). */
int mg_compile_build_rest(compiler *c, const mg_qnode *ast, const char *since, const char *until,
                          const char *source, mg_xq *strict, bool plain, mg_xq **or_q,
                          mg_xq **rest);

/* The steps of the compiler, for its files. Each returns 0 or a negative
 * mg_code with c->err set; a query they return is the caller's. */

/* mg_xq_combine of subs, which it frees; NULL after a failure. */
mg_xq *mg_compile_combine(compiler *c, int op, mg_xq **subs, size_t n, unsigned window);

/* A word or phrase: one term or a phrase of its terms into *out (NULL when
 * the analyser keeps none). */
int mg_compile_text(compiler *c, const mg_qnode *n, mg_xq **out);

/* word*: the synonym of the indexed terms it starts (MG_QE_WILD_BROAD over
 * max_wildcard of them). */
int mg_compile_prefix(compiler *c, const mg_qnode *n, mg_xq **out);

/* word~N: the synonym of the indexed terms within n->dist edits of the
 * word's term that start with its first letter, the closest
 * max_wildcard of them. */
int mg_compile_fuzzy(compiler *c, const mg_qnode *n, mg_xq **out);

/* NEAR: the words of its children within n->dist of each other. */
int mg_compile_near(compiler *c, const mg_qnode *n, mg_xq **out);

/* field:value (source:, author:, category:, id:) as a weightless term;
 * NULL after a failure. */
mg_xq *mg_compile_filter(compiler *c, const mg_qnode *n);

/* *q (consumed; NULL after a failure) filtered by the request's bounds:
 * since/until (YYYYMMDD or ""), c's added range, source ("" or NULL). */
int mg_compile_bounds(compiler *c, mg_xq **q, const char *since, const char *until,
                      const char *source);

/* ---- search_run.c ---- */

/* One run of req (no cursor, or a cursor's page from run_after) over the
 * parsed tree into res: hits, totals, facets, suggestion. On failure res
 * holds what was filled so far (mg_search_result_free frees it). */
int mg_search_run_page(mg_searcher *s, const mg_search_request *req, const mg_qnode *ast,
                       mg_search_result *res, mg_err *err);

/* ---- terms.c ---- */

/* The words that set q's best matches apart, req->terms of them, into
 * res->terms (search.h): o's BM25 and collapsing pick the sample. */
int mg_search_terms(mg_searcher *s, const mg_search_request *req, const mg_xq *q,
                    const mg_xrun_opts *o, mg_search_result *res, mg_err *err);

/* ---- suggest.c ---- */

/* The Damerau-Levenshtein distance of a and b (bytes), or max + 1 when it
 * is over max (or a word is over 40 bytes). */
size_t mg_edit_distance(const char *a, size_t la, const char *b, size_t lb, size_t max);

/* The query with each of c's unknown words replaced by the closest
 * frequent indexed word, or NULL (none, or out of memory). Caller frees. */
char *mg_suggest(compiler *c);

/* ---- facets.c ---- */

/* Add the counts of from[] into to[] (the same facets over two disjoint
 * match sets); takes over and frees from. */
int mg_facets_merge(mg_facet *to, size_t nto, mg_facet *from, size_t nfrom, mg_err *err);

/* qsort order of facet values: most frequent first, ties by value. */
int mg_facet_value_cmp(const void *a, const void *b);

#endif
