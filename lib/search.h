/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The query engine: open a searcher on a database, run a request, get hits,
 * totals, facets and a spelling suggestion. Knows nothing about sockets; the
 * daemon and the offline CLI both call it (through protocol.h).
 *
 * An mg_searcher owns one Xapian database handle, an analyser and a stemmer:
 * it is NOT thread-safe. Use one per thread. */
#ifndef MG_SEARCH_H
#define MG_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "record.h"

typedef struct mg_searcher mg_searcher;

typedef struct mg_search_limits {
    size_t max_query_bytes; /* default 4096 */
    size_t max_terms;       /* default 64 */
    size_t max_wildcard;    /* expansions of one word*; default 100 */
    size_t min_prefix;      /* shortest word* prefix; default 2 */
    size_t max_limit;       /* default 1000 */
    size_t max_window;      /* offset+limit; default MG_MAX_WINDOW */
    /* Totals are counted exactly up to this many matches (Xapian's
     * check_at_least of a count that is the same on every page of a query,
     * so paging never changes them); past it they are an estimate with
     * bounds. Default MG_COUNT_EXACT. */
    size_t count_exact;
    /* BM25 parameters (Xapian's BM25Weight k1 and b). Defaults chosen on
     * TIME, CISI, MED and NPL together: see docs/query-language.md. The
     * programs take MORGUE_BM25="k1,b" or "k1,b,delta" from the environment
     * (mg_search_limits_from_env, for sweeps). */
    double bm25_k1; /* default MG_BM25_K1 */
    double bm25_b;  /* default MG_BM25_B */
    /* The ranking model: MG_RANK_BM25 (default); MG_RANK_DFR (Xapian's
     * IneB2, divergence from randomness; no parameters); MG_RANK_BM25PLUS or
     * MG_RANK_BM25L (Lv & Zhai's lower-bounded BM25: a matched term's tf part
     * is raised by bm25_delta, see lib/xapian_weight.hh), with k1 and b as
     * above. For comparison only: neither beats the default on the four test
     * collections (bench/RESULTS-query.md). Environment (through
     * mg_search_limits_from_env): MORGUE_RANKING=bm25|dfr|bm25plus|bm25l. */
    int ranking;
    double bm25_delta; /* BM25+ / BM25L only; 0: the literature's 1.0 / 0.5 */
    /* Proximity in ORs (the hits a relaxed AND adds after its own, and
     * explicit ORs): each pair of consecutive words of the OR adds proximity
     * times its two words' weight to a document that has them within
     * proximity_window positions (an unordered NEAR). The strict AND is not
     * changed, nor what matches. 0: the default MG_PROXIMITY, below 0:
     * off; window 0: MG_PROXIMITY_WINDOW. MORGUE_PROXIMITY="factor" or
     * "factor,window" sets both (mg_search_limits_from_env; "0": off). A
     * query with pairs is ranked in two stages (rescore_depth below), or
     * with that off matched without pruning by weight
     * (mg_xrun_opts.exhaustive). bench/RESULTS-query.md. */
    double proximity;
    unsigned proximity_window;
    /* Stop words (lib/stopwords.c: English function words such as "the",
     * "of", "which"): 0 (default) on, below 0 off. On, a stop word in a
     * query is still matched but adds no weight, unless the query has no
     * other word ("the who", "to be or not to be"); a phrase keeps every
     * word's weight. MORGUE_STOPWORDS=0 turns them off
     * (mg_search_limits_from_env). */
    int stopwords;
    /* Caps against queries that would hold a thread for seconds.
     * budget_ms: a search's matching stops after about this many
     * milliseconds and returns what it found, marked partial (0, the
     * default: no budget). max_cost: a query whose NEARs of three or more
     * words cost more than this (for each word repeated in one, the
     * documents holding it times the square of its repeats: the positional
     * check's work grows that way) is refused with "too_costly" before
     * matching; 0: MG_MAX_COST. */
    unsigned long long max_cost;
    unsigned budget_ms;
    /* Two-stage ranking of queries with proximity pairs: the documents
     * that could rank among the first rescore_depth, by BM25 alone (matched
     * with Xapian's pruning), are ranked again with the pairs, read from
     * their positions; every other match follows by BM25 alone (the first
     * rescore_depth hits are those of an exhaustive match). The same for every page of a
     * query, so pages are windows into one ranking (a page ending within
     * the depth ranks only the candidates its own end needs, and gets the
     * same hits). 0: MG_RESCORE_DEPTH;
     * below 0: off (such queries are matched in full, without pruning).
     * MORGUE_RESCORE="depth" ("0": off) sets it (mg_search_limits_from_env).
     * bench/RESULTS-query.md. */
    long rescore_depth;
    /* NULL, or the path of a synonyms file (synonyms.h): a query word of a
     * group matches any word of it (docs/query-language.md, *Synonyms*).
     * Read when the searcher opens (mg_searcher_open fails on a bad file,
     * saying where), so morgued takes an edit on SIGHUP.
     * MORGUE_SYNONYMS="path" sets it (mg_search_limits_from_env). */
    const char *synonyms;
} mg_search_limits;

enum { MG_RANK_BM25 = 0, MG_RANK_DFR = 1, MG_RANK_BM25PLUS = 2, MG_RANK_BM25L = 3 };

#define MG_BM25_K1 1.6
#define MG_BM25_B 0.75
#define MG_PROXIMITY 0.1 /* measured: bench/RESULTS-query.md */
#define MG_PROXIMITY_WINDOW 8
#define MG_COUNT_EXACT 10000 /* docs/query-language.md, "Totals" */
#define MG_MAX_WINDOW 10000  /* offset+limit of a page: the ranking's reach */
#define MG_MAX_COST 300000ULL
/* Fuzzy words (word~) in one query at most: each reads every indexed word
 * of its first letter (about 8 ms on 1,000,000 articles); more are
 * refused with "too_costly". */
#define MG_MAX_FUZZY 10
#define MG_RESCORE_DEPTH 1000
#define MG_HALF_LIFE_DAYS 30.0 /* MG_SORT_RECENCY's default half-life */

/* Fill *lim with the defaults above. */
void mg_search_limits_default(mg_search_limits *lim);

/* Apply the ranking settings of the environment to *lim, over what it
 * holds: MORGUE_RANKING (ranking), MORGUE_BM25 (bm25_k1, bm25_b,
 * bm25_delta), MORGUE_STOPWORDS (stopwords), MORGUE_PROXIMITY (proximity,
 * proximity_window), MORGUE_RESCORE (rescore_depth), MORGUE_SYNONYMS
 * (synonyms: the variable's own string, not a copy), in the forms given
 * above; a variable that is unset or
 * malformed changes nothing. lookup is getenv, or a stand-in: the library
 * reads no environment itself, so morgued, morgue and the benchmarks call
 * this before mg_searcher_open(). */
void mg_search_limits_from_env(mg_search_limits *lim, char *(*lookup)(const char *name));

/* Open the database at path (a directory, or a symlink to one, as
 * morgue-index publishes). lim may be NULL for defaults. Caller frees with
 * mg_searcher_free(). */
mg_searcher *mg_searcher_open(const char *path, const mg_search_limits *lim, mg_err *err);
void mg_searcher_free(mg_searcher *s); /* NULL is a no-op */

/* Make the searcher see the latest committed index: cheap when nothing
 * changed; when path's symlink now points at a new rebuild, closes the old
 * database and opens the new one. Returns 1 if it now sees a newer revision,
 * 0 if unchanged, or a negative mg_code (the old view is kept). */
int mg_searcher_reopen(mg_searcher *s, mg_err *err);

/* MG_SORT_RECENCY ("relevance+recency"): the candidates of the two-stage
 * ranking (rescore_depth, at least MG_RESCORE_DEPTH when that is off) by
 * relevance times 2^(-age / half_life), the age in days from the newest
 * candidate (undated ones as old as the oldest); the rest by relevance. */
enum mg_sort { MG_SORT_RELEVANCE = 0, MG_SORT_NEWEST = 1, MG_SORT_OLDEST = 2, MG_SORT_RECENCY = 3 };

enum { /* facet flags */
       MG_FACET_SOURCE = 1,
       MG_FACET_CATEGORY = 2,
       MG_FACET_YEAR = 4,
       MG_FACET_MONTH = 8,
       MG_FACET_WEEK = 16, /* ISO 8601 weeks, "YYYY-Www" (period.h) */
       MG_FACET_DAY = 32
};

/* The bucket of a date facet (year, month, week, day) that counts the
 * matches without a date, so that its buckets add up to the total. It
 * sorts after every period. */
#define MG_FACET_UNDATED "undated"

typedef struct mg_search_request {
    const char *query;    /* the morgue query language (docs/query-language.md) */
    size_t offset, limit; /* limit 0 means 10 */
    int sort;             /* enum mg_sort */
    const char *since;    /* NULL or a date (YYYY, YYYY-MM, YYYY-MM-DD) */
    const char *until;
    unsigned facets;      /* MG_FACET_* flags */
    bool no_collapse;     /* true: keep syndicated duplicates apart */
    bool no_relax;        /* true: the AND hits only, never those with some words */
    bool snippets;        /* build snippets */
    size_t snippet_bytes; /* about this long; 0 means 200 */
    const char *hl_start; /* highlight markers; NULL means "" */
    const char *hl_end;
    bool html;          /* HTML-escape the snippet text (not the markers) */
    const char *source; /* NULL or only articles of this source: its folded
                         * name, else the sources it starts (as source:) */
    /* Export cursors. cursor: set the result's next. after: NULL, or a
     * result's next: this page is the limit hits that follow that hit in the
     * ranking, past max_window too (offset must be 0). Each page runs the
     * query up to its position (Xapian's match of offset+limit documents);
     * nothing is kept between pages. Error "stale_cursor" when the index
     * has another revision, or the cursor's hit is not at its rank any
     * more; "bad_cursor" when after is not a cursor. */
    bool cursor;
    const char *after;
    /* NULL or only articles that entered the index (or last changed) in
     * this range of MG_SLOT_ADDED, both ends included: YYYYMMDDhhmmss UTC
     * or a leading part of it (YYYY, YYYYMM, ...), '-', ':', 'T', 'Z' and
     * spaces ignored ("2026-12-06T03:00Z"). Error "bad_date". */
    const char *added_since;
    const char *added_until;
    /* MG_SORT_RECENCY: the half-life in days (0: MG_HALF_LIFE_DAYS); other
     * sorts ignore it. Error "bad_sort" when negative or not finite. */
    double half_life;
    /* 0, or up to this many words that set the best matches apart
     * (mg_search_result.terms; at most MG_MAX_TERMS, else "bad_request"). */
    size_t terms;
} mg_search_request;

/* The words that set a query's matches apart (request "terms") are taken
 * from the best MG_TERMS_SAMPLE matches (by BM25, copies folded) of the
 * query as written, every word in them (of the relaxed query's when none
 * has every word): Xapian's expansion set by its Bo1 scheme, which weighs
 * a word up the more of the sample holds it and down the more of the
 * whole index does.
 * The query's own words, stop words and words fewer than 3% of the sample
 * hold are left out. A request asks for at most MG_MAX_TERMS. The time
 * budget (budget_ms) stops the sample's match as it stops the search's:
 * the result is then partial, its words those of the sample found. */
#define MG_TERMS_SAMPLE 100
#define MG_MAX_TERMS 100

typedef struct mg_term {
    char *word;    /* as the sample most often writes it (folded, unstemmed) */
    char *stem;    /* the indexed term (what a query for word matches) */
    unsigned docs; /* the sample's articles that hold it */
} mg_term;

typedef struct mg_hit {
    unsigned rank; /* 1-based, counting from offset+1 */
    double score;
    int percent;
    char *id, *title, *date, *source, *url;
    char **categories;
    size_t ncategories;
    char *snippet;      /* NULL when not asked for */
    unsigned collapsed; /* near-duplicates folded into this hit */
    bool partial;       /* a relaxed hit: only some of the words ("matched":"some") */
} mg_hit;

typedef struct mg_facet_value {
    char *value;
    unsigned long count;
} mg_facet_value;

typedef struct mg_facet {
    const char *name;       /* "source", "category", "year", "month", "week", "day" (static) */
    mg_facet_value *values; /* date facets: in date order, MG_FACET_UNDATED last;
                             * others: most frequent first, ties by value */
    size_t nvalues;
} mg_facet;

/* A query's ranking, when relaxed: every document with all the words (the
 * AND) in its own order, then the documents with only some of them (the OR
 * without the AND) in theirs. A page at offset/limit is a window into that
 * one ranking, so the hits never depend on the page size. */
typedef struct mg_search_result {
    mg_hit *hits;
    size_t nhits;
    /* Matching articles in the whole ranking (copies included): the full
     * matches plus, when relaxed, the partial ones. Exact when
     * total_lower == total_upper (total_exact). */
    unsigned long long total_estimate, total_lower, total_upper;
    bool total_exact;
    /* The full matches alone (the same as total when not relaxed). */
    unsigned long long all_estimate, all_lower, all_upper;
    bool all_exact;
    bool relaxed;     /* documents with only some of the words follow the
                       * full matches in the ranking (hits with partial set) */
    char *suggestion; /* "did you mean" query, or NULL */
    mg_facet *facets;
    size_t nfacets;
    char *parsed; /* the query as understood (for debugging), or NULL */
    /* with cursor or after: "REVISION.RANK.ID" of the last hit of a full
     * page (the after of the next page), NULL when the ranking ended */
    char *next;
    bool partial; /* the time budget (budget_ms) ended the match: the hits,
                   * counts and facets are those found until then (unless
                   * late) */
    bool late;    /* partial only because remote shards, which the budget does
                   * not stop, answered after it: hits, counts, facets whole */
    /* The shards of a sharded index that could not be reached: the hits,
     * counts and facets are those of the others (docs/scaling.md). */
    char **missing_shards;
    size_t nmissing;
    /* request terms: the words, best first, and the sample's size (the
     * matches they were taken from, at most MG_TERMS_SAMPLE) */
    mg_term *terms;
    size_t nterms;
    size_t terms_sample;
} mg_search_result;

/* Run a request. On success *out is a new result (caller frees with
 * mg_search_result_free()). Errors: MG_EQUERY (bad query; the message points
 * at the offending part), MG_EINVAL (bad paging/sort/since/until), MG_EDB,
 * ... mg_search_error_code() names the exact kind. The engine retries once
 * after a reopen when the database was modified under it. */
int mg_search_run(mg_searcher *s, const mg_search_request *req, mg_search_result **out,
                  mg_err *err);
void mg_search_result_free(mg_search_result *r); /* NULL is a no-op */

/* The stable code string of an error from this module (the wire protocol's
 * "error.code"), from err's code and detail (err.h), never its message.
 * Query errors (MG_EQUERY, detail an mg_qerr): "empty_query", "query_too_long",
 * "too_many_terms", "unbalanced_quote", "unbalanced_paren", "unknown_field",
 * "missing_value", "bad_date", "wildcard_too_short", "wildcard_too_broad",
 * "missing_operand", "bad_near", "query_too_deep", "like_not_found",
 * "no_words" (see query.h). Request errors (MG_EINVAL, detail an
 * mg_reqerr): "bad_date" (since/until/added_*), "bad_paging" (limit/offset
 * over the caps), "bad_sort", "bad_cursor", "stale_cursor" (after),
 * "too_costly" (a NEAR over the limits' max_cost, an export page over the
 * budget), otherwise "bad_request". Others: "not_found", "unavailable" (database errors),
 * "internal". Never NULL; static storage. */
const char *mg_search_error_code(const mg_err *err);

/* The stored record of a document by id. 0 on success (*rec filled; caller
 * releases), -MG_ENOTFOUND, -MG_ECORRUPT, ... */
int mg_searcher_get(mg_searcher *s, const char *id, mg_record *rec, mg_err *err);

/* The ids of the copies a search folds into the document id (the documents
 * with its collapse key, id left out, in id order): fn is called with each
 * (borrowed, NUL-terminated) until it returns non-zero. Returns how many
 * there are (0: none), -MG_ENOTFOUND "no document with id '...'", or
 * another negative code. */
long mg_searcher_copies(mg_searcher *s, const char *id, int (*fn)(void *ctx, const char *id),
                        void *ctx, mg_err *err);

typedef struct mg_searcher_info {
    unsigned long long documents;
    /* Never goes backwards across updates, --compact and --rebuild:
     * generation * 10^10 + the Xapian revision (gens.h, mg_gen_revision). */
    unsigned long long revision;
    unsigned long long xapian_revision; /* of the generation open; 1 after a rebuild */
    long long updated_unix;             /* time of the last commit (metadata), or -1 */
    char added[15];                     /* MG_META_ADDED: the last finished indexing run, or "" */
    char lang[32];
    char path[4096]; /* the database directory actually open */
} mg_searcher_info;

int mg_searcher_stats(mg_searcher *s, mg_searcher_info *st, mg_err *err);

/* The values of a field over the whole index, for finding a name to search
 * for. */
typedef struct mg_values {
    mg_facet_value *values; /* the most frequent first, ties by folded name */
    size_t n;
    size_t total; /* distinct values in the index (n is at most limit) */
} mg_values;

/* The sources (field "source") or categories ("category") of the index,
 * with the number of articles of each: one value per folded name (the
 * names source: and category: match, in any case and without accents),
 * shown as the first article holding it spells it. Costs one walk of the
 * field's terms and one stored record per value returned. On success
 * *out is filled (release with mg_values_release()); MG_EINVAL for another
 * field ("bad_request"). */
int mg_search_values(mg_searcher *s, const char *field, size_t limit, mg_values *out, mg_err *err);
void mg_values_release(mg_values *v); /* NULL is a no-op */

#endif
