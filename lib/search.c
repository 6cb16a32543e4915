/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The query engine: open a searcher, name its errors, parse a request and
 * run it (search_run.c: the AND's matches ranked first, then those of the OR
 * that are not AND matches), page an export with cursors, free results.
 * search_int.h lists the engine's files. */
#include "search.h"
#include "search_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "gens.h"
#include "query.h"
#include "schema.h"
#include "snippet.h"
#include "stopwords.h"
#include "xapian_search.h"

void mg_search_limits_default(mg_search_limits *lim)
{
    *lim = (mg_search_limits){.max_query_bytes = 4096,
                              .max_terms = 64,
                              .max_wildcard = 100,
                              .min_prefix = 2,
                              .max_limit = 1000,
                              .max_window = MG_MAX_WINDOW,
                              .count_exact = MG_COUNT_EXACT,
                              .bm25_k1 = MG_BM25_K1,
                              .bm25_b = MG_BM25_B};
}

/* Fill unset (zero) fields of *lim with the defaults. */
static void limits_complete(mg_search_limits *lim)
{
    mg_search_limits d;
    mg_search_limits_default(&d);
    if (!lim->max_query_bytes)
        lim->max_query_bytes = d.max_query_bytes;
    if (!lim->max_terms)
        lim->max_terms = d.max_terms;
    if (!lim->max_wildcard)
        lim->max_wildcard = d.max_wildcard;
    if (!lim->min_prefix)
        lim->min_prefix = d.min_prefix;
    if (!lim->max_limit)
        lim->max_limit = d.max_limit;
    if (!lim->max_window)
        lim->max_window = d.max_window;
    if (!lim->count_exact)
        lim->count_exact = d.count_exact;
    if (!lim->max_cost)
        lim->max_cost = MG_MAX_COST;
    if (lim->bm25_k1 == 0 && lim->bm25_b == 0) {
        lim->bm25_k1 = d.bm25_k1;
        lim->bm25_b = d.bm25_b;
    }
    if (lim->bm25_delta == 0)
        lim->bm25_delta = lim->ranking == MG_RANK_BM25L ? 0.5 : 1.0;
    if (lim->proximity == 0)
        lim->proximity = MG_PROXIMITY;
    if (lim->proximity_window == 0)
        lim->proximity_window = MG_PROXIMITY_WINDOW;
    if (lim->rescore_depth == 0)
        lim->rescore_depth = MG_RESCORE_DEPTH;
}

static mg_analyzer *analyzer_for(mg_xsearch *xs, mg_err *err)
{
    char lang[64];
    long n = mg_xsearch_metadata(xs, MG_META_LANG, lang, sizeof lang, err);
    if (n < 0)
        return NULL;
    return mg_analyzer_new(n > 0 ? lang : "english", err);
}

/* The stop words of the searcher's language, or an empty set when they are
 * turned off. */
static mg_stopset *stopset_for(mg_searcher *s, mg_err *err)
{
    return mg_stopset_new(s->lim.stopwords < 0 ? NULL : s->an, err);
}

mg_searcher *mg_searcher_open(const char *path, const mg_search_limits *lim, mg_err *err)
{
    mg_err_clear(err);
    mg_searcher *s = calloc(1, sizeof *s);
    if (!s) {
        mg_err_set(err, MG_ENOMEM, "out of memory");
        return NULL;
    }
    if (lim)
        s->lim = *lim;
    limits_complete(&s->lim);
    s->xs = mg_xsearch_open(path, err);
    if (s->lim.synonyms && !(s->syn_path = strdup(s->lim.synonyms))) {
        mg_err_set(err, MG_ENOMEM, "out of memory");
        mg_searcher_free(s);
        return NULL;
    }
    s->lim.synonyms = s->syn_path; /* the caller's string need not outlive the call */
    if (!s->xs || !(s->an = analyzer_for(s->xs, err)) || !(s->stops = stopset_for(s, err)) ||
        (s->syn_path && !(s->syn = mg_synonyms_load(s->syn_path, s->an, err)))) {
        mg_searcher_free(s);
        return NULL;
    }
    return s;
}

void mg_searcher_free(mg_searcher *s)
{
    if (!s)
        return;
    mg_xsearch_free(s->xs);
    mg_analyzer_free(s->an);
    mg_stopset_free(s->stops);
    mg_synonyms_free(s->syn);
    free(s->syn_path);
    free(s);
}

int mg_searcher_reopen(mg_searcher *s, mg_err *err)
{
    int r = mg_xsearch_reopen(s->xs, err);
    if (r == 1) {
        /* a rebuild may have changed the language */
        mg_err e2;
        mg_analyzer *an = analyzer_for(s->xs, &e2);
        if (an && strcmp(mg_analyzer_lang(an), mg_analyzer_lang(s->an)) != 0) {
            mg_analyzer *old = s->an;
            s->an = an;
            mg_stopset *stops = stopset_for(s, &e2);
            /* the synonyms' stems are the language's too */
            mg_synonyms *syn = s->syn_path ? mg_synonyms_load(s->syn_path, an, &e2) : NULL;
            if (stops && (syn || !s->syn_path)) {
                mg_analyzer_free(old);
                mg_stopset_free(s->stops);
                s->stops = stops;
                mg_synonyms_free(s->syn);
                s->syn = syn;
            } else { /* out of memory, or the file gone bad: keep the old language whole */
                s->an = old;
                mg_analyzer_free(an);
                mg_stopset_free(stops);
                mg_synonyms_free(syn);
            }
        } else
            mg_analyzer_free(an);
    }
    return r;
}

/* ---- errors ---- */

static const char *const request_errors[] = {
    [MG_RE_BAD_DATE] = "bad_date",         [MG_RE_BAD_PAGING] = "bad_paging",
    [MG_RE_BAD_SORT] = "bad_sort",         [MG_RE_BAD_CURSOR] = "bad_cursor",
    [MG_RE_STALE_CURSOR] = "stale_cursor", [MG_RE_TOO_COSTLY] = "too_costly",
};

const char *mg_search_error_code(const mg_err *err)
{
    if (!err)
        return "internal";
    const char *q = mg_query_error_code(err);
    if (q)
        return q;
    switch (err->code) {
    case MG_EQUERY:
        return "bad_query";
    case MG_EINVAL:
        if (err->detail > 0 &&
            (size_t)err->detail < sizeof request_errors / sizeof request_errors[0])
            return request_errors[err->detail];
        return "bad_request";
    case MG_ENOTFOUND:
        return "not_found";
    case MG_ETOOBIG:
        return "too_big";
    case MG_EDB:
    case MG_EIO:
    case MG_ECORRUPT:
    case MG_EMODIFIED:
    case MG_ELOCKED:
        return "unavailable";
    default:
        return "internal";
    }
}

/* ---- results ---- */

static void hit_release(mg_hit *h)
{
    free(h->id);
    free(h->title);
    free(h->date);
    free(h->source);
    free(h->url);
    for (size_t i = 0; i < h->ncategories; i++)
        free(h->categories[i]);
    free(h->categories);
    free(h->snippet);
}

void mg_search_result_free(mg_search_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nhits; i++)
        hit_release(&r->hits[i]);
    free(r->hits);
    free(r->suggestion);
    free(r->next);
    mg_xfacets_free(r->facets, r->nfacets);
    free(r->parsed);
    for (size_t i = 0; i < r->nmissing; i++)
        free(r->missing_shards[i]);
    free(r->missing_shards);
    for (size_t i = 0; i < r->nterms; i++) {
        free(r->terms[i].word);
        free(r->terms[i].stem);
    }
    free(r->terms);
    free(r);
}

/* ---- export cursors ---- */

/* The revision an export cursor names: the index's, or over shards a stamp
 * of them all (mg_xsearch_stamp), which changes when any shard changes, a
 * remote one too. */
static unsigned long long current_revision(mg_searcher *s)
{
    unsigned long long stamp = mg_xsearch_stamp(s->xs);
    if (stamp)
        return stamp;
    return mg_gen_revision(mg_gen_of_path(mg_xsearch_path(s->xs)), mg_xsearch_revision(s->xs));
}

/* "REVISION.RANK.ID" (search.h, "after") into its parts; *id points into t. */
static int parse_cursor(const char *t, unsigned long long *rev, size_t *rank, const char **id,
                        mg_err *err)
{
    char *end = (char *)(uintptr_t)t;
    unsigned long long r = 0;
    *rev = 0;
    if (*t >= '0' && *t <= '9') {
        *rev = strtoull(t, &end, 10);
        if (*end == '.' && end[1] >= '0' && end[1] <= '9')
            r = strtoull(end + 1, &end, 10);
    }
    if (r == 0 || r > SIZE_MAX / 2 || *end != '.' || !end[1])
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_CURSOR,
                                 "bad cursor: '%.60s' is not a \"next\" of a reply", t);
    *rank = (size_t)r;
    *id = end + 1;
    return 0;
}

/* The page after a cursor: the ranking from the cursor's hit on (fetched
 * again, to check that it still stands at its rank), that hit left out. */
static int run_after(mg_searcher *s, const mg_search_request *req, const mg_qnode *ast,
                     mg_search_result *res, mg_err *err)
{
    unsigned long long rev = 0;
    size_t rank = 0;
    const char *id = NULL;
    if (parse_cursor(req->after, &rev, &rank, &id, err) < 0)
        return -err->code;
    if (req->offset)
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_CURSOR,
                                 "bad cursor: after does not go with an offset");
    size_t limit = req->limit ? req->limit : 10;
    if (limit > s->lim.max_limit)
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_PAGING,
                                 "bad paging: limit %zu is over %zu", limit, s->lim.max_limit);
    /* (with a shard missing the stamp differs, but the page is refused as
     * unavailable, to be tried again: mg_search_note_missing) */
    if (mg_xsearch_nmissing(s->xs) == 0 && rev != current_revision(s))
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_STALE_CURSOR,
                                 "stale cursor: the index changed since (revision %llu, now %llu); "
                                 "start again",
                                 rev, current_revision(s));
    mg_search_request r = *req;
    r.offset = rank - 1;
    r.limit = limit + 1;
    int rc = mg_search_run_page(s, &r, ast, res, err);
    if (rc < 0)
        return rc;
    if (res->nhits == 0 || strcmp(res->hits[0].id, id) != 0)
        return mg_err_set_detail(
            err, MG_EINVAL, MG_RE_STALE_CURSOR,
            "stale cursor: '%.60s' is no longer hit %zu of this query; start again", id, rank);
    hit_release(&res->hits[0]);
    memmove(res->hits, res->hits + 1, (res->nhits - 1) * sizeof *res->hits);
    res->nhits--;
    return 0;
}

/* The cursor of a full page's last hit; NULL (no error) after a short page:
 * the ranking ends there. */
static int set_next(mg_searcher *s, const mg_search_request *req, mg_search_result *res,
                    mg_err *err)
{
    size_t limit = req->limit ? req->limit : 10;
    if (res->nhits < limit || res->nhits == 0)
        return 0;
    const mg_hit *h = &res->hits[res->nhits - 1];
    size_t n = strlen(h->id) + 48;
    if (!(res->next = malloc(n)))
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    snprintf(res->next, n, "%llu.%u.%s", current_revision(s), h->rank, h->id);
    return 0;
}

int mg_search_run(mg_searcher *s, const mg_search_request *req, mg_search_result **out, mg_err *err)
{
    mg_err local;
    if (!err)
        err = &local;
    mg_err_clear(err);
    *out = NULL;
    if (!s || !req)
        return mg_err_set(err, MG_EINVAL, "mg_search_run: no searcher or request");
    const char *qs = req->query ? req->query : "";
    mg_query_opts qo = {.max_bytes = s->lim.max_query_bytes,
                        .max_terms = s->lim.max_terms,
                        .min_prefix = s->lim.min_prefix};
    mg_qnode *ast;
    int rc = mg_query_parse(qs, strlen(qs), &qo, &ast, err);
    if (rc < 0)
        return rc;
    mg_search_request r = *req;
    r.query = qs;
    for (int attempt = 0; attempt < 2; attempt++) {
        mg_search_result *res = calloc(1, sizeof *res);
        if (!res) {
            rc = mg_err_set(err, MG_ENOMEM, "out of memory");
            break;
        }
        rc = r.after ? run_after(s, &r, ast, res, err) : mg_search_run_page(s, &r, ast, res, err);
        /* An export must not skip hits: a page the time budget cut short
         * is an error, never a silent gap in the ranking (a page only late,
         * whole, is served). */
        if (rc == 0 && (r.cursor || r.after) && res->partial && !res->late)
            rc = mg_err_set_detail(
                err, MG_EINVAL, MG_RE_TOO_COSTLY,
                "too costly: this page of the export (hits %zu-%zu) could not be "
                "matched within the time budget of %u ms",
                r.offset + 1, r.offset + (r.limit ? r.limit : 10), s->lim.budget_ms);
        if (rc == 0)
            rc = mg_search_note_missing(s->xs, res, r.cursor || r.after, err);
        if (rc == 0 && (r.cursor || r.after))
            rc = set_next(s, &r, res, err);
        if (rc == 0) {
            *out = res;
            break;
        }
        mg_search_result_free(res);
        if (rc != -MG_EMODIFIED || attempt == 1)
            break;
        mg_err e2;
        if (mg_searcher_reopen(s, &e2) < 0)
            break;
    }
    mg_query_free(ast);
    return rc;
}
