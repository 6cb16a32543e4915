/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One run of a request (search.c calls it for a page, and for a cursor's
 * page): compile the tree, run the AND's page, count its matches, go on
 * with the relaxed query's partial matches (the OR's that are not AND
 * matches) when the AND's are too few, then fill the totals and the hits. */
#include "search_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docbuild.h"
#include "query.h"
#include "snippet.h"
#include "stopwords.h"
#include "xapian_search.h"

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
    if (req->terms > MG_MAX_TERMS)
        return mg_err_set(err, MG_EINVAL, "bad request: terms %zu is over %d", req->terms,
                          MG_MAX_TERMS);
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
 * Proximity pairs (mg_xq_or_near) are mis-weighted besides
 * (bench/RESULTS-query.md). */
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

/* Whether a run's own counts are those count_matches() would give: facets
 * made them exact, or they are exact and under check. (Exact over check,
 * a count would give an estimate: paging would change the total.) */
static bool counts_usable(const mg_xrun_opts *o, const mg_xresult *r, size_t check)
{
    return o->facets || (r->lower == r->upper && r->upper < check);
}

/* Count (and facet) the whole ranking of a relaxed query: the plain OR
 * (the same matches as with proximity pairs), whose matches are the AND's
 * and the partial ones. Cheaper than counting the partial ones apart (an OR
 * without the AND). The OR of two words needs no count past its AND's
 * exact one (all): it follows from the words' frequencies. */
static int count_relaxed(compiler *c, const mg_qnode *ast, const char *since, const char *until,
                         const char *source, const mg_xq *strict, const mg_xresult *all,
                         const mg_xrun_opts *o, size_t check, mg_xresult *out)
{
    mg_xq *or_q, *rest;
    int rc = mg_compile_build_rest(c, ast, since, until, source, NULL, true, &or_q, &rest);
    if (rc == 0 && !o->facets && all->lower == all->upper && !all->cut)
        rc = mg_xsearch_count_union(c->s->xs, or_q, strict, all->upper, out, c->err);
    if (rc == 0)
        rc = count_matches(c->s, or_q, o, check, out, c->err);
    else if (rc > 0)
        rc = 0;
    mg_xq_free(or_q);
    mg_xq_free(rest);
    return rc;
}

/* The number of AND hits (copies folded, as ranked) when they end before
 * offset + limit; xr is the AND's page at offset, whose cut or late is set
 * when the time budget ended the count or came before it ended. */
static int count_and(mg_searcher *s, const mg_xq *q, const mg_xrun_opts *o, mg_xresult *xr,
                     size_t *n_and, mg_err *err)
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
    xr->cut |= first.cut;
    xr->late |= first.late;
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

/* A run's state, from the request to its result. The runs (mg_xresult) are
 * released by run_release whatever step failed. */
typedef struct run {
    mg_searcher *s;
    const mg_search_request *req;
    const mg_qnode *ast;
    mg_err *err;
    size_t limit;
    size_t check; /* exact counts up to this; the same on every page */
    char since[15], until[15];
    compiler c;
    mg_xrun_opts o;
    mg_xq *q;          /* the strict query */
    mg_xq *or_q;       /* the relaxed query, when relaxing */
    mg_xq *rest;       /* or_q without q's matches (NULL when q matched nothing) */
    mg_xresult xr;     /* the strict query's page */
    mg_xresult xr2;    /* the page's partial matches (from rest or or_q) */
    mg_xresult xa;     /* the strict query's count, when xr's is not usable */
    mg_xresult xc;     /* the relaxed query's count, when xr2's is not usable */
    mg_xresult *all;   /* the strict query's counts: &xr or &xa */
    mg_xresult *some;  /* the partial matches' counts (&xr2), or NULL */
    mg_xresult *whole; /* the whole ranking's counts (&xc), or NULL */
    bool relax;
} run;

/* Check the request, set up the compiler and the run's options. */
static int run_start(run *r)
{
    const mg_searcher *s = r->s;
    const mg_search_request *req = r->req;
    int rc = check_request(s, req, &r->limit, r->since, r->until, r->err);
    if (rc < 0)
        return rc;
    r->c = (compiler){.s = r->s, .query = req->query, .err = r->err};
    if ((rc = mg_compile_check_added(req, &r->c, r->err)) < 0)
        return rc;
    r->c.hl = mg_hlset_new();
    if (!r->c.hl)
        return mg_err_set(r->err, MG_ENOMEM, "out of memory");
    r->check = s->lim.count_exact;
    r->o = (mg_xrun_opts){.offset = req->offset,
                          .limit = r->limit,
                          .sort = req->sort,
                          .collapse = !req->no_collapse,
                          .facets = req->facets,
                          .k1 = s->lim.bm25_k1,
                          .b = s->lim.bm25_b,
                          .ranking = s->lim.ranking,
                          .delta = s->lim.bm25_delta,
                          .check_at_least = req->offset + r->limit,
                          .want_data = req->snippets,
                          .max_cost = s->lim.max_cost,
                          .rescore_depth = rescore_depth(s, req),
                          .half_life = req->half_life};
    if (s->lim.budget_ms) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        r->o.deadline_ns = (unsigned long long)ts.tv_sec * 1000000000u +
                           (unsigned long long)ts.tv_nsec +
                           (unsigned long long)s->lim.budget_ms * 1000000u;
    }
    return 0;
}

/* The strict query: stop words weigh nothing when other words do. */
static int run_compile(run *r)
{
    int rc;
    if (mg_stopset_size(r->s->stops) > 0) {
        if ((rc = mg_compile_has_content(&r->c, r->ast)) < 0)
            return rc;
        r->c.stops = rc > 0;
    }
    return mg_compile_build(&r->c, r->ast, r->since, r->until, r->req->source, &r->q);
}

/* The strict query's page, and its counts: the page's own when they are
 * exact and under check (the count would find the same) or facets made
 * them exact; else a count. */
static int run_strict(run *r)
{
    int rc;
    r->o.exhaustive = unprunable(&r->c);
    if ((rc = mg_xsearch_run(r->s->xs, r->q, &r->o, &r->xr, r->err)) < 0)
        return rc;
    r->all = &r->xr;
    if (!counts_usable(&r->o, &r->xr, r->check)) {
        if ((rc = count_matches(r->s, r->q, &r->o, r->check, &r->xa, r->err)) < 0)
            return rc;
        r->all = &r->xa;
    }
    return 0;
}

/* Relaxed: the ranking goes on past the AND's matches with the OR's that
 * are not AND matches, unless no page can reach them (the AND has
 * max_window matches or more). Whether it does, and the totals, are
 * decided from the whole match sets, never from this page. Runs the
 * partial matches' page when the AND ends before this page does, and
 * counts the whole ranking when that page's counts are not usable. */
static int run_relaxed(run *r)
{
    const mg_search_request *req = r->req;
    int rc;
    r->relax = !req->no_relax && r->c.ands > 0 && r->all->lower < r->s->lim.max_window;
    if (!r->relax)
        return 0;
    mg_xq *strict = r->all->upper > 0 ? r->q : NULL;
    if ((rc = mg_compile_build_rest(&r->c, r->ast, r->since, r->until, req->source, strict, false,
                                    &r->or_q, &r->rest)) < 0)
        return rc;
    if (r->xr.nhits < r->limit) { /* the AND ends before this page does */
        size_t n_and;
        if ((rc = count_and(r->s, r->q, &r->o, &r->xr, &n_and, r->err)) < 0)
            return rc;
        mg_xrun_opts o2 = r->o;
        o2.exhaustive = unprunable(&r->c);
        o2.offset = req->offset > n_and ? req->offset - n_and : 0;
        o2.limit = r->limit - r->xr.nhits;
        o2.check_at_least = o2.offset + o2.limit;
        if ((rc = mg_xsearch_run(r->s->xs, r->rest ? r->rest : r->or_q, &o2, &r->xr2, r->err)) < 0)
            return rc;
        /* usable when the whole ranking's count would be exact too */
        const mg_xresult *all = r->all;
        if (r->o.facets || (all->lower == all->upper && r->xr2.lower == r->xr2.upper &&
                            all->upper + r->xr2.upper < r->check))
            r->some = &r->xr2;
    }
    if (!r->some) {
        if ((rc = count_relaxed(&r->c, r->ast, r->since, r->until, req->source, r->q, r->all, &r->o,
                                r->check, &r->xc)) < 0)
            return rc;
        r->whole = &r->xc;
    }
    return 0;
}

/* Whether the ranking went on past the AND's matches, and its facets: the
 * partial matches' added to the page's, or the whole ranking's. */
static int merge_relaxed(run *r)
{
    mg_xresult *some = r->some, *whole = r->whole;
    if (some) {
        r->relax = some->upper > 0;
        if (some->facets) {
            int rc =
                mg_facets_merge(r->xr.facets, r->xr.nfacets, some->facets, some->nfacets, r->err);
            some->facets = NULL;
            some->nfacets = 0;
            if (rc < 0)
                return rc;
        }
    } else if (whole) {
        r->relax = whole->upper > r->all->lower;
        if (whole->facets) { /* the OR's facets are the ranking's */
            mg_xfacets_free(r->xr.facets, r->xr.nfacets);
            r->xr.facets = whole->facets;
            r->xr.nfacets = whole->nfacets;
            whole->facets = NULL;
            whole->nfacets = 0;
        }
    }
    return 0;
}

/* The AND's counts and the whole ranking's into res. */
static void fill_totals(const run *r, mg_search_result *res)
{
    const mg_xresult *all = r->all, *some = r->some;
    res->relaxed = r->relax;
    res->all_estimate = all->estimate;
    res->all_lower = all->lower;
    res->all_upper = all->upper;
    res->all_exact = all->lower == all->upper;
    if (r->relax && some) {
        res->total_estimate = all->estimate + some->estimate;
        res->total_lower = all->lower + some->lower;
        res->total_upper = all->upper + some->upper;
    } else {
        const mg_xresult *t = r->relax ? r->whole : all;
        res->total_estimate = t->estimate;
        res->total_lower = t->lower;
        res->total_upper = t->upper;
    }
    /* the time budget ended one of the runs: hits or counts may be short;
     * or it came before remote shards answered, whose runs are whole */
    bool cut = r->xr.cut || r->xr2.cut || r->xa.cut || r->xc.cut;
    bool late = r->xr.late || r->xr2.late || r->xa.late || r->xc.late;
    res->partial = cut || late;
    res->late = late && !cut;
    if (cut) {
        /* a cut count is what it had seen, which may be less than what
         * the page shows: a hit at rank r means r matches */
        size_t nxr = r->xr.nhits, nxr2 = r->xr2.nhits;
        unsigned long long and_seen = nxr ? r->req->offset + nxr : 0;
        unsigned long long seen = nxr + nxr2 ? r->req->offset + nxr + nxr2 : 0;
        raise_lower(&res->all_lower, &res->all_estimate, &res->all_upper, and_seen);
        raise_lower(&res->total_lower, &res->total_estimate, &res->total_upper, seen);
        res->all_exact = res->all_lower == res->all_upper;
    }
    res->total_exact = res->total_lower == res->total_upper;
}

/* The facets, the query as run, the hits (the AND's, then the partial
 * matches') and the spelling suggestion into res. */
static int fill_hits(run *r, mg_search_result *res)
{
    const mg_search_request *req = r->req;
    size_t nxr = r->xr.nhits, n = r->xr.nhits + r->xr2.nhits;
    res->facets = r->xr.facets;
    res->nfacets = r->xr.nfacets;
    r->xr.facets = NULL;
    r->xr.nfacets = 0;
    res->parsed = mg_xq_describe(r->relax ? r->or_q : r->q);
    res->hits = calloc(n ? n : 1, sizeof *res->hits);
    if (!res->hits)
        return mg_err_set(r->err, MG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        mg_hit *h = &res->hits[res->nhits++];
        h->rank = (unsigned)(req->offset + i + 1);
        h->partial = i >= nxr;
        const mg_xhit *xh = i < nxr ? &r->xr.hits[i] : &r->xr2.hits[i - nxr];
        int rc = fill_hit(r->s, req, r->c.hl, xh, h, r->err);
        if (rc < 0)
            return rc;
    }
    res->suggestion = mg_suggest(&r->c);
    return 0;
}

static void run_release(run *r)
{
    mg_xresult_release(&r->xr);
    mg_xfacets_free(r->xr.facets, r->xr.nfacets);
    mg_xresult_release(&r->xr2);
    mg_xfacets_free(r->xr2.facets, r->xr2.nfacets);
    mg_xresult_release(&r->xa);
    mg_xresult_release(&r->xc);
    mg_xfacets_free(r->xc.facets, r->xc.nfacets);
    mg_xq_free(r->q);
    mg_xq_free(r->or_q);
    mg_xq_free(r->rest);
    mg_hlset_free(r->c.hl);
}

int mg_search_run_page(mg_searcher *s, const mg_search_request *req, const mg_qnode *ast,
                       mg_search_result *res, mg_err *err)
{
    run r = {.s = s, .req = req, .ast = ast, .err = err};
    int rc = run_start(&r);
    if (rc == 0)
        rc = run_compile(&r);
    if (rc == 0)
        rc = run_strict(&r);
    if (rc == 0)
        rc = run_relaxed(&r);
    if (rc == 0)
        rc = merge_relaxed(&r);
    if (rc == 0) {
        fill_totals(&r, res);
        rc = fill_hits(&r, res);
    }
    /* the words of the articles with every word, or of the relaxed
     * ranking's when none has */
    if (rc == 0 && req->terms)
        rc = mg_search_terms(s, req, r.all->upper == 0 && r.relax ? r.or_q : r.q, &r.o, res, err);
    run_release(&r);
    return rc;
}
