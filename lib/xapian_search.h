/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The search side of the C API over libxapian: a read-only database that
 * follows the published symlink, query construction, and one Enquire run with
 * sorting, collapsing and facets (architecture.md §1, §7).
 *
 * Opaque handles; every function is noexcept on the C++ side and maps any
 * exception to an mg_code plus message through mg_xapian_catch(). A
 * mg_xsearch is not thread-safe: one per thread. */
#ifndef MG_XAPIAN_SEARCH_H
#define MG_XAPIAN_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "xapian_shim.h" /* first: err.h with C linkage; MG_NOEXCEPT */

#ifdef __cplusplus
extern "C" {
#endif

#include "search.h" /* mg_facet, enum mg_sort */

typedef struct mg_xsearch mg_xsearch; /* a read-only database */
typedef struct mg_xq mg_xq;           /* a query (a Xapian::Query) */

/* Open the database at path, resolving symlinks first, and a Xapian stub
 * that names one local database (a stub file, or a directory holding a
 * XAPIANDB stub, as xapian-replicate keeps its copy): the directory actually
 * open is remembered, so a later switch of the link or the stub is noticed.
 * NULL on failure (MG_ENOTFOUND, MG_EDB, ...). Free with mg_xsearch_free(). */
mg_xsearch *mg_xsearch_open(const char *path, mg_err *err) MG_NOEXCEPT;
void mg_xsearch_free(mg_xsearch *xs) MG_NOEXCEPT; /* NULL is a no-op */

/* See the latest commit. When path now resolves to another directory (or the
 * stub file was replaced), the old database is closed and the new one opened.
 * Returns 1 when the view changed, 0 when not, or a negative mg_code (the old
 * view is kept). */
int mg_xsearch_reopen(mg_xsearch *xs, mg_err *err) MG_NOEXCEPT;

/* The directory (or stub) actually open. Borrowed, valid until the next
 * reopen. */
const char *mg_xsearch_path(const mg_xsearch *xs) MG_NOEXCEPT;

unsigned long long mg_xsearch_doccount(mg_xsearch *xs) MG_NOEXCEPT;
unsigned long long mg_xsearch_revision(mg_xsearch *xs) MG_NOEXCEPT;
/* Over shards (a topology): a stamp of every shard's contents that changes
 * when any shard changes, remote ones too (mg::ShardSet::stamp), for export
 * cursors; a shard that fails is left out as a search would. 0 for one
 * database, or when the shards keep failing. */
unsigned long long mg_xsearch_stamp(mg_xsearch *xs) MG_NOEXCEPT;

/* Metadata value into buf (cap-1 bytes plus NUL); returns its length (0 if
 * unset) or a negative mg_code. */
long mg_xsearch_metadata(mg_xsearch *xs, const char *key, char *buf, size_t cap,
                         mg_err *err) MG_NOEXCEPT;

/* Number of documents indexed by term[0..len) (0 when absent), or a negative
 * mg_code. */
long long mg_xsearch_termfreq(mg_xsearch *xs, const char *term, size_t len,
                              mg_err *err) MG_NOEXCEPT;

/* Call fn(ctx, term, len, termfreq) for each term starting with prefix, in
 * order; fn returns non-zero to stop. Returns 0, fn's value or a negative
 * mg_code. */
typedef int (*mg_xterm_fn)(void *ctx, const char *term, size_t len, unsigned long long freq);
int mg_xsearch_each_term(mg_xsearch *xs, const char *prefix, size_t len, mg_xterm_fn fn, void *ctx,
                         mg_err *err) MG_NOEXCEPT;

/* The data (stored record) of the first document indexed by term, into a
 * malloc'd buffer (caller frees). 0, -MG_ENOTFOUND or another negative code. */
int mg_xsearch_term_data(mg_xsearch *xs, const char *term, size_t len, void **out, size_t *out_len,
                         mg_err *err) MG_NOEXCEPT;

/* The ids of the documents that share the collapse key (the slot searches
 * fold on, see MG_SLOT_NEARDUP) of the document indexed by term, that
 * document left out, in id order: fn is called with each (a borrowed,
 * NUL-terminated id) until it returns non-zero. Returns how many there are,
 * -MG_ENOTFOUND when no document has term, or another negative code. */
typedef int (*mg_xid_fn)(void *ctx, const char *id);
long mg_xsearch_copies(mg_xsearch *xs, const char *term, size_t len, mg_xid_fn fn, void *ctx,
                       mg_err *err) MG_NOEXCEPT;

/* ---- queries. Constructors copy what they are given (the sub-queries stay
 * the caller's to free); NULL on failure. ---- */

enum mg_xq_op {
    MG_XQ_AND,
    MG_XQ_OR,
    MG_XQ_AND_NOT, /* subs[0] without any of subs[1..] */
    MG_XQ_FILTER,  /* subs[0] weighted, restricted by subs[1..] (unweighted) */
    MG_XQ_PHRASE,  /* in order, within window positions (0: as many as terms) */
    MG_XQ_NEAR,    /* any order, within window positions */
    MG_XQ_SYNONYM  /* any, weighted as one term (wildcard expansions) */
};

mg_xq *mg_xq_term(const char *term, size_t len, mg_err *err) MG_NOEXCEPT;
mg_xq *mg_xq_combine(int op, mg_xq *const *subs, size_t n, unsigned window,
                     mg_err *err) MG_NOEXCEPT;
/* The OR of subs, plus factor times the weight of each pair of consecutive
 * plain terms among subs (other kinds are passed over) that a document holds
 * within window positions of each other: OR(subs) OR factor * OR(t1 NEAR t2,
 * t2 NEAR t3, ...). Matches exactly what OR(subs) matches; a NEAR pair
 * weighs what its two terms weigh. */
mg_xq *mg_xq_or_near(mg_xq *const *subs, size_t n, unsigned window, double factor,
                     mg_err *err) MG_NOEXCEPT;
mg_xq *mg_xq_all(mg_err *err) MG_NOEXCEPT;
/* Documents whose date slot lies in [lo, hi] ("" = open end). */
mg_xq *mg_xq_date_range(const char *lo, const char *hi, mg_err *err) MG_NOEXCEPT;
/* The same for any value slot (compared as strings). */
mg_xq *mg_xq_value_range(unsigned slot, const char *lo, const char *hi, mg_err *err) MG_NOEXCEPT;
/* q with its weight multiplied by factor (0: a pure filter). */
mg_xq *mg_xq_scale(const mg_xq *q, double factor, mg_err *err) MG_NOEXCEPT;
/* q without its proximity pairs (mg_xq_or_near): the same matches, the
 * same weights wherever no pair holds. */
mg_xq *mg_xq_plain(const mg_xq *q, mg_err *err) MG_NOEXCEPT;
/* More like the document indexed by uid_term: an OR of the nterms best
 * expansion terms (Xapian's relevance-set expansion over unprefixed stems),
 * excluding that document. fn (may be NULL) is called with each term chosen.
 * -MG_ENOTFOUND in err when there is no such document. */
mg_xq *mg_xq_like(mg_xsearch *xs, const char *uid_term, size_t nterms, mg_xterm_fn fn, void *ctx,
                  mg_err *err) MG_NOEXCEPT;
bool mg_xq_empty(const mg_xq *q) MG_NOEXCEPT; /* matches nothing by construction */
void mg_xq_free(mg_xq *q) MG_NOEXCEPT;        /* NULL is a no-op */
/* Xapian's description of q (for "parsed"); caller frees. NULL on OOM. */
char *mg_xq_describe(const mg_xq *q) MG_NOEXCEPT;

/* ---- running ---- */

typedef struct mg_xrun_opts {
    size_t offset, limit;
    int sort;              /* enum mg_sort */
    bool collapse;         /* on MG_SLOT_COLLAPSE */
    unsigned facets;       /* MG_FACET_* */
    double k1, b;          /* BM25 */
    int ranking;           /* MG_RANK_* */
    double delta;          /* MG_RANK_BM25PLUS, MG_RANK_BM25L */
    size_t check_at_least; /* count at least this many matches */
    bool want_data;        /* hits carry the whole record (else the card, if any) */
    bool count_only;       /* fetch no hit: nhits is how many the page would hold */
    /* look at every match (no pruning by weight): for ORs holding a phrase,
     * a NEAR or proximity pairs (mg_xq_or_near), which Xapian 1.4's pruned
     * matcher can mis-weight or drop documents of */
    bool exhaustive;
    /* refuse (MG_EINVAL "too costly: ...") a query whose NEARs of three or
     * more parts cost more than this: for each term repeated in one, the
     * documents holding it times the square of its repeats; 0: no cap */
    unsigned long long max_cost;
    /* CLOCK_MONOTONIC ns after which the matcher looks at no more documents
     * (the result is then partial: mg_xresult.cut); 0: none. The query
     * is ANDed with a posting source that ends at the deadline either way
     * (Xapian's percentages of some hits differ with it: they must not
     * depend on the budget). */
    unsigned long long deadline_ns;
    /* Two-stage ranking (xapian_rescore.cc, rescore_run()) for a page by
     * relevance of a query with proximity pairs, and for MG_SORT_RECENCY:
     * the documents that could rank among the first rescore_depth, by BM25
     * alone (matched with pruning), are ranked by the whole query (and
     * recency), the rest follow by BM25 alone; facets and exact counts
     * come from a count. 0: off (such queries match exhaustively,
     * exhaustive set). */
    size_t rescore_depth;
    double half_life; /* MG_SORT_RECENCY: days; 0: MG_HALF_LIFE_DAYS */
} mg_xrun_opts;

typedef struct mg_xhit {
    double score;
    int percent;
    unsigned collapsed;
    unsigned did; /* the document's number in the view (a Xapian docid) */
    void *data;   /* the stored record or its card (an mg_record_decode() input), malloc'd */
    size_t len;
} mg_xhit;

typedef struct mg_xresult {
    mg_xhit *hits;
    size_t nhits;
    unsigned long long estimate, lower, upper;
    mg_facet *facets; /* malloc'd, values and strings too (mg_search_result_free frees) */
    size_t nfacets;
    bool cut;  /* the deadline ended the match: hits, counts and facets are partial */
    bool late; /* over remote shards, which are not stopped: the match ended after
                * the deadline, with whole hits, counts and facets */
} mg_xresult;

/* Run q. On success *res is filled (release with mg_xresult_release()).
 * MG_EMODIFIED when the database changed under the reader: reopen, retry. */
int mg_xsearch_run(mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o, mg_xresult *res,
                   mg_err *err) MG_NOEXCEPT;

/* How many candidates the second stage of the two-stage ranking has ranked
 * in this process so far (for tests and benchmarks: how deep pages go).
 * Thread-safe. */
unsigned long long mg_xrescore_ranked(void) MG_NOEXCEPT;

/* The matches of or_q when it is the OR of two words and and_q the AND of the
 * same two words with n_and matches, exactly (xapian_count.h,
 * mg_xcount_union): 1 with res's counts filled (exact); 0 when the queries
 * are not of that shape or xs has remote shards (count the OR instead: a
 * network error there is left to the run that meets it, which leaves the
 * shard out); or a negative mg_code. */
int mg_xsearch_count_union(mg_xsearch *xs, const mg_xq *or_q, const mg_xq *and_q,
                           unsigned long long n_and, mg_xresult *res, mg_err *err) MG_NOEXCEPT;

/* The shards of a topology (topology.h) left out of the view now, because
 * they could not be reached (at most the shards of the topology; 0 for a
 * single database): their names, in topology order. A search or a get
 * leaves out a shard that fails under it and tries again on the others;
 * mg_xsearch_reopen() takes back those that answer again. */
size_t mg_xsearch_nmissing(const mg_xsearch *xs) MG_NOEXCEPT;
const char *mg_xsearch_missing(const mg_xsearch *xs, size_t i) MG_NOEXCEPT; /* NULL past the end */

/* Copy the shards missing from xs's view into res (search.h). An export
 * page (export true) must not skip articles: with a shard missing it is an
 * error (MG_EDB, "unavailable") instead. lib/search_shards.c. */
int mg_search_note_missing(mg_xsearch *xs, mg_search_result *res, bool export_page, mg_err *err);

/* Process-wide, before any topology is opened: the timeout of each remote
 * shard operation and connection, in ms, and where to log a shard going
 * away and coming back (once each, from any thread; NULL: nowhere). */
void mg_xsearch_configure_shards(unsigned timeout_ms,
                                 void (*log)(int level, const char *msg)) MG_NOEXCEPT;

/* The words that set q's best matches apart (search.h, request "terms"):
 * Xapian's expansion set (ESet, by the Bo1 scheme: a word weighs more the
 * more of the sample holds it and the fewer of the other articles do) over
 * the sample, q's
 * best `sample` matches by BM25 (o's parameters), syndicated copies
 * folded when o->collapse. Only unprefixed stems with a letter that keep()
 * accepts, that q does not hold and that 3% of the sample holds are taken,
 * at most n, best first. The sample's
 * stored records come along, best match first, for the words as written.
 * The sample's match stops at o->deadline_ns, as mg_xsearch_run()'s does. */
typedef struct mg_xterms {
    char **stems; /* NUL-terminated, malloc'd */
    size_t nstems;
    void **records; /* mg_record_decode() inputs, malloc'd */
    size_t *record_lens;
    size_t nrecords; /* the sample's size: at most `sample` */
    bool cut;        /* o's deadline ended the sample's match: it is what was found */
} mg_xterms;

typedef bool (*mg_xterm_keep_fn)(void *ctx, const char *term, size_t len);

/* 0 with *out filled (release with mg_xterms_release()), or a negative
 * mg_code (MG_EMODIFIED: reopen and retry). */
int mg_xsearch_terms(mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o, size_t sample, size_t n,
                     mg_xterm_keep_fn keep, void *ctx, mg_xterms *out, mg_err *err) MG_NOEXCEPT;
void mg_xterms_release(mg_xterms *t) MG_NOEXCEPT; /* NULL is a no-op */

/* Free the hits' data and the hits array (not the facets, which the caller
 * takes over or frees with mg_xfacets_free()). */
void mg_xresult_release(mg_xresult *res) MG_NOEXCEPT;
void mg_xfacets_free(mg_facet *f, size_t n) MG_NOEXCEPT;

#ifdef __cplusplus
}
#endif
#endif
