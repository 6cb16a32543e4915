/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The query engine: open a searcher, parse and compile a request's query
 * (compile.c), run it (the AND's matches ranked first, then those of the OR
 * that are not AND matches), and turn the matches into hits with snippets,
 * facets (facets.c) and a spelling suggestion (suggest.c). search_int.h
 * lists the engine's files. */
#include "search.h"
#include "search_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer.h"
#include "docbuild.h"
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
                              .max_window = 10000,
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
    if (!s->xs || !(s->an = analyzer_for(s->xs, err)) || !(s->stops = stopset_for(s, err))) {
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
            if (stops) {
                mg_analyzer_free(old);
                mg_stopset_free(s->stops);
                s->stops = stops;
            } else { /* out of memory: keep the old language whole */
                s->an = old;
                mg_analyzer_free(an);
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

/* ---- running ---- */

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
    free(r);
}

static int fill_hit(mg_searcher *s, const mg_search_request *req, const mg_hlset *hl,
                    const mg_xhit *xh, mg_hit *h, mg_err *err)
{
    mg_record rec;
    mg_record_init(&rec);
    h->score = xh->score;
    h->percent = xh->percent;
    h->collapsed = xh->collapsed;
    if (mg_record_decode(xh->data, xh->len, &rec, err) < 0)
        return -err->code;
    /* take the strings over from the record */
    h->id = rec.id;
    h->title = rec.title;
    h->date = rec.date;
    h->source = rec.source;
    h->url = rec.url;
    h->categories = rec.categories;
    h->ncategories = rec.ncategories;
    rec.id = rec.title = rec.date = rec.source = rec.url = NULL;
    rec.categories = NULL;
    rec.ncategories = 0;
    int rc = 0;
    if (req->snippets) {
        mg_snippet_opts so = {.bytes = req->snippet_bytes,
                              .hl_start = req->hl_start,
                              .hl_end = req->hl_end,
                              .html = req->html};
        const char *text = rec.body && rec.body[0] ? rec.body : h->title;
        h->snippet = mg_snippet_make(s->an, hl, text, strlen(text), &so, err);
        if (!h->snippet)
            rc = -err->code;
    }
    mg_record_release(&rec);
    return rc;
}

static int check_request(const mg_searcher *s, const mg_search_request *req, size_t *limit,
                         char since[15], char until[15], mg_err *err)
{
    *limit = req->limit ? req->limit : 10;
    /* a cursor's page also fetches the hit before it (run_after) */
    size_t max_limit = s->lim.max_limit + (req->after ? 1 : 0);
    if (*limit > max_limit)
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_PAGING,
                                 "bad paging: limit %zu is over %zu", *limit, s->lim.max_limit);
    if (!req->after &&
        (req->offset > s->lim.max_window || req->offset + *limit > s->lim.max_window))
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_PAGING,
                                 "bad paging: offset+limit %zu is over %zu", req->offset + *limit,
                                 s->lim.max_window);
    if (req->sort < MG_SORT_RELEVANCE || req->sort > MG_SORT_RECENCY)
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_SORT, "bad sort: %d", req->sort);
    if (!(req->half_life >= 0 && req->half_life < 1e9))
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_SORT, "bad sort: half-life %g days",
                                 req->half_life);
    const char *why;
    since[0] = until[0] = '\0';
    if (req->since && req->since[0] &&
        mg_query_date_bound(req->since, strlen(req->since), false, since, &why) < 0)
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_DATE, "bad date in since: '%.40s' (%s)",
                                 req->since, why);
    if (req->until && req->until[0] &&
        mg_query_date_bound(req->until, strlen(req->until), true, until, &why) < 0)
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_DATE, "bad date in until: '%.40s' (%s)",
                                 req->until, why);
    if (since[0] && until[0] && strcmp(since, until) > 0)
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_DATE,
                                 "bad date range: since %s is after until %s", req->since,
                                 req->until);
    return 0;
}

/* Whether Xapian 1.4's matcher must look at every match. Once it prunes by
 * weight for a small page, an OR decays to an AND_MAYBE and that to an AND,
 * which AndMaybePostList::next() starts one past the later of its two
 * sides: when the maybe side stood ahead (a check() that moved it on), the
 * document it stood on is skipped. A phrase or NEAR in an OR (explicit, the
 * relaxed query's, or its rest under an AND_NOT) runs out early and sets
 * this off on the first pages; plain-term ORs were only seen to lose a
 * document deep in the fixture of test_search_paths (offset 100 and more).
 * Proximity pairs (mg_xq_or_near) are mis-weighted besides.
 * bench/RESULTS-query.md, session 5. */
static bool unprunable(const compiler *c)
{
    return c->near_ors > 0 || (c->ors > 0 && c->posits > 0);
}

/* Count the matches of q (and facet them when o asks), the same way on
 * every page of a query: as a boolean query (no weights, so nothing is
 * pruned), no hits, copies counted, exact up to check matches. The counts
 * of a ranked page depend on its offset once collapsing is on. */
static int count_matches(mg_searcher *s, const mg_xq *q, const mg_xrun_opts *o, size_t check,
                         mg_xresult *out, mg_err *err)
{
    mg_xq *count = mg_xq_scale(q, 0.0, err);
    if (!count)
        return -err->code;
    mg_xrun_opts oc = *o;
    oc.offset = oc.limit = 0;
    oc.collapse = false;
    oc.want_data = false;
    oc.exhaustive = false;
    oc.check_at_least = check;
    int rc = mg_xsearch_run(s->xs, count, &oc, out, err);
    mg_xq_free(count);
    return rc;
}

/* Whether a run's own counts are those count_matches() would give: facets
 * made them exact, or they are exact and under check. (Exact over check,
 * a count would give an estimate: paging would change the total.) */
/* At least n: a count's lower bound raised to n, its estimate and upper
 * bound with it. */
static void raise_lower(unsigned long long *lower, unsigned long long *estimate,
                        unsigned long long *upper, unsigned long long n)
{
    if (*lower < n)
        *lower = n;
    if (*estimate < *lower)
        *estimate = *lower;
    if (*upper < *estimate)
        *upper = *estimate;
}

static bool counts_usable(const mg_xrun_opts *o, const mg_xresult *r, size_t check)
{
    return o->facets || (r->lower == r->upper && r->upper < check);
}

/* Count (and facet) the whole ranking of a relaxed query: the plain OR
 * (the same matches as with proximity pairs), whose matches are the AND's
 * and the partial ones. Cheaper than counting the partial ones apart (an OR
 * without the AND). */
static int count_relaxed(compiler *c, const mg_qnode *ast, const char *since, const char *until,
                         const char *source, const mg_xrun_opts *o, size_t check, mg_xresult *out)
{
    mg_xq *or_q, *rest;
    int rc = mg_compile_build_rest(c, ast, since, until, source, NULL, true, &or_q, &rest);
    if (rc == 0)
        rc = count_matches(c->s, or_q, o, check, out, c->err);
    mg_xq_free(or_q);
    mg_xq_free(rest);
    return rc;
}

/* The number of AND hits (copies folded, as ranked) when they end before
 * offset + limit; xr is the AND's page at offset. *cut is set when the time
 * budget ended the count. */
static int count_and(mg_searcher *s, const mg_xq *q, const mg_xrun_opts *o, const mg_xresult *xr,
                     size_t *n_and, bool *cut, mg_err *err)
{
    if (xr->nhits > 0 || o->offset == 0) { /* the AND ends on this page */
        *n_and = o->offset + xr->nhits;
        return 0;
    }
    if (!o->collapse && xr->lower == xr->upper) { /* exact, nothing folded */
        *n_and = (size_t)xr->upper;
        return 0;
    }
    /* a page past the AND's end: its count includes copies that collapsing
     * folds, so count the ranked hits before this page */
    mg_xresult first = {0};
    mg_xrun_opts o1 = *o;
    o1.limit = o1.offset;
    o1.offset = 0;
    o1.facets = 0;
    o1.want_data = false;
    o1.count_only = true;
    int rc = mg_xsearch_run(s->xs, q, &o1, &first, err);
    *n_and = first.nhits;
    *cut |= first.cut;
    mg_xresult_release(&first);
    return rc;
}

/* The depth of the two-stage ranking (mg_xrun_opts), which recency needs. */
static size_t rescore_depth(const mg_searcher *s, const mg_search_request *req)
{
    if (s->lim.rescore_depth > 0)
        return (size_t)s->lim.rescore_depth;
    return req->sort == MG_SORT_RECENCY ? MG_RESCORE_DEPTH : 0;
}

static int run_once(mg_searcher *s, const mg_search_request *req, const mg_qnode *ast,
                    mg_search_result *res, mg_err *err)
{
    size_t limit;
    char since[15], until[15];
    int rc = check_request(s, req, &limit, since, until, err);
    if (rc < 0)
        return rc;
    compiler c = {.s = s, .query = req->query, .err = err};
    if ((rc = mg_compile_check_added(req, &c, err)) < 0)
        return rc;
    c.hl = mg_hlset_new();
    if (!c.hl)
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    mg_xq *q = NULL, *or_q = NULL, *rest = NULL;
    mg_xresult xr = {0}, xr2 = {0}, xa = {0}, xc = {0};
    /* the same on every page, so that paging never changes the totals */
    size_t check = s->lim.count_exact;
    mg_xrun_opts o = {.offset = req->offset,
                      .limit = limit,
                      .sort = req->sort,
                      .collapse = !req->no_collapse,
                      .facets = req->facets,
                      .k1 = s->lim.bm25_k1,
                      .b = s->lim.bm25_b,
                      .ranking = s->lim.ranking,
                      .delta = s->lim.bm25_delta,
                      .check_at_least = req->offset + limit,
                      .want_data = req->snippets,
                      .max_cost = s->lim.max_cost,
                      .rescore_depth = rescore_depth(s, req),
                      .half_life = req->half_life};
    if (s->lim.budget_ms) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        o.deadline_ns = (unsigned long long)ts.tv_sec * 1000000000u +
                        (unsigned long long)ts.tv_nsec +
                        (unsigned long long)s->lim.budget_ms * 1000000u;
    }
    if (mg_stopset_size(s->stops) > 0) {
        if ((rc = mg_compile_has_content(&c, ast)) < 0)
            goto out;
        c.stops = rc > 0;
    }
    if ((rc = mg_compile_build(&c, ast, since, until, req->source, &q)) < 0)
        goto out;
    o.exhaustive = unprunable(&c);
    if ((rc = mg_xsearch_run(s->xs, q, &o, &xr, err)) < 0)
        goto out;
    /* The page's own counts when they are exact and under check (the count
     * would find the same) or facets made them exact; else a count. */
    mg_xresult *all = &xr;
    if (!counts_usable(&o, &xr, check)) {
        if ((rc = count_matches(s, q, &o, check, &xa, err)) < 0)
            goto out;
        all = &xa;
    }
    /* Relaxed: the ranking goes on past the AND's matches with the OR's
     * that are not AND matches, unless no page can reach them (the AND has
     * max_window matches or more). Whether it does, and the totals, are
     * decided from the whole match sets, never from this page. */
    bool relax = !req->no_relax && c.ands > 0 && all->lower < s->lim.max_window;
    mg_xq *strict = all->upper > 0 ? q : NULL;
    /* the partial matches' counts (from this page), or the whole ranking's */
    mg_xresult *some = NULL, *whole = NULL;
    if (relax && (rc = mg_compile_build_rest(&c, ast, since, until, req->source, strict, false,
                                             &or_q, &rest)) < 0)
        goto out;
    if (relax && xr.nhits < limit) { /* the AND ends before this page does */
        size_t n_and;
        if ((rc = count_and(s, q, &o, &xr, &n_and, &xr.cut, err)) < 0)
            goto out;
        mg_xrun_opts o2 = o;
        o2.exhaustive = unprunable(&c);
        o2.offset = req->offset > n_and ? req->offset - n_and : 0;
        o2.limit = limit - xr.nhits;
        o2.check_at_least = o2.offset + o2.limit;
        if ((rc = mg_xsearch_run(s->xs, rest ? rest : or_q, &o2, &xr2, err)) < 0)
            goto out;
        /* usable when the whole ranking's count would be exact too */
        if (o.facets ||
            (all->lower == all->upper && xr2.lower == xr2.upper && all->upper + xr2.upper < check))
            some = &xr2;
    }
    if (relax && !some) {
        if ((rc = count_relaxed(&c, ast, since, until, req->source, &o, check, &xc)) < 0)
            goto out;
        whole = &xc;
    }
    if (some) {
        relax = some->upper > 0;
        if (some->facets) {
            rc = mg_facets_merge(xr.facets, xr.nfacets, some->facets, some->nfacets, err);
            some->facets = NULL;
            some->nfacets = 0;
            if (rc < 0)
                goto out;
        }
    } else if (whole) {
        relax = whole->upper > all->lower;
        if (whole->facets) { /* the OR's facets are the ranking's */
            mg_xfacets_free(xr.facets, xr.nfacets);
            xr.facets = whole->facets;
            xr.nfacets = whole->nfacets;
            whole->facets = NULL;
            whole->nfacets = 0;
        }
    }
    res->relaxed = relax;
    res->all_estimate = all->estimate;
    res->all_lower = all->lower;
    res->all_upper = all->upper;
    res->all_exact = all->lower == all->upper;
    if (relax && some) {
        res->total_estimate = all->estimate + some->estimate;
        res->total_lower = all->lower + some->lower;
        res->total_upper = all->upper + some->upper;
    } else {
        const mg_xresult *t = relax ? whole : all;
        res->total_estimate = t->estimate;
        res->total_lower = t->lower;
        res->total_upper = t->upper;
    }
    /* the time budget ended one of the runs: hits or counts may be short */
    res->partial = xr.cut || xr2.cut || xa.cut || xc.cut;
    if (res->partial) {
        /* a cut count is what it had seen, which may be less than what
         * the page shows: a hit at rank r means r matches */
        unsigned long long and_seen = xr.nhits ? req->offset + xr.nhits : 0;
        unsigned long long seen = xr.nhits + xr2.nhits ? req->offset + xr.nhits + xr2.nhits : 0;
        raise_lower(&res->all_lower, &res->all_estimate, &res->all_upper, and_seen);
        raise_lower(&res->total_lower, &res->total_estimate, &res->total_upper, seen);
        res->all_exact = res->all_lower == res->all_upper;
    }
    res->total_exact = res->total_lower == res->total_upper;
    res->facets = xr.facets;
    res->nfacets = xr.nfacets;
    xr.facets = NULL;
    xr.nfacets = 0;
    res->parsed = mg_xq_describe(relax ? or_q : q);
    res->hits = calloc(xr.nhits + xr2.nhits ? xr.nhits + xr2.nhits : 1, sizeof *res->hits);
    if (!res->hits) {
        rc = mg_err_set(err, MG_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < xr.nhits + xr2.nhits; i++) {
        mg_hit *h = &res->hits[res->nhits++];
        h->rank = (unsigned)(req->offset + i + 1);
        h->partial = i >= xr.nhits;
        const mg_xhit *xh = i < xr.nhits ? &xr.hits[i] : &xr2.hits[i - xr.nhits];
        if ((rc = fill_hit(s, req, c.hl, xh, h, err)) < 0)
            goto out;
    }
    res->suggestion = mg_suggest(&c);
out:
    mg_xresult_release(&xr);
    mg_xfacets_free(xr.facets, xr.nfacets);
    mg_xresult_release(&xr2);
    mg_xfacets_free(xr2.facets, xr2.nfacets);
    mg_xresult_release(&xa);
    mg_xresult_release(&xc);
    mg_xfacets_free(xc.facets, xc.nfacets);
    mg_xq_free(q);
    mg_xq_free(or_q);
    mg_xq_free(rest);
    mg_hlset_free(c.hl);
    return rc;
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
    int rc = run_once(s, &r, ast, res, err);
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
        rc = r.after ? run_after(s, &r, ast, res, err) : run_once(s, &r, ast, res, err);
        /* An export must not skip hits: a page the time budget cut short
         * is an error, never a silent gap in the ranking. */
        if (rc == 0 && (r.cursor || r.after) && res->partial)
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
