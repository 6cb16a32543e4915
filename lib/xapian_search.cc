// SPDX-License-Identifier: GPL-2.0-or-later
// One search over the view (xapian_view.cc): the Enquire run of a query
// with its sort, collapse and facets, under a deadline, and the fast
// page of a plain ranking. The other search files: xapian_search_int.hh.
#include "xapian_search.h"
#include "xapian_count.h"
#include "xapian_internal.hh"
#include "xapian_search_int.hh"
#include "xapian_shards.hh"
#include "xapian_weight.hh"

#include "period.h"
#include "schema.h"

#include <xapian.h>

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <climits>
#include <cstdio>
#include <memory>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

using namespace mg; // xapian_search_int.hh

namespace mg
{

void set_weighting(Xapian::Enquire &enq, const mg_xrun_opts *o, bool remote)
{
    if (o->ranking == MG_RANK_DFR) {
        enq.set_weighting_scheme(Xapian::IneB2Weight());
    } else if ((o->ranking == MG_RANK_BM25PLUS || o->ranking == MG_RANK_BM25L) && !remote) {
        // (morgue's own weight: xapian-tcpsrv does not know it, so remote
        // shards rank by plain BM25)
        mg::Bm25Params p;
        p.k1 = o->k1;
        p.b = o->b;
        p.delta = o->delta;
        p.tf = o->ranking == MG_RANK_BM25PLUS ? mg::Bm25Params::PLUS : mg::Bm25Params::L;
        enq.set_weighting_scheme(mg::Bm25Weight(p));
    } else {
        enq.set_weighting_scheme(Xapian::BM25Weight(o->k1, 0, 1, o->b, 0.5));
    }
}

// Copy one hit out: its card when that is all the caller needs and the
// document has one, else the whole stored record.
void take_hit(mg_xhit *h, const Xapian::MSetIterator &it, const Xapian::Document &doc,
              bool want_data)
{
    std::string data;
    if (!want_data)
        data = doc.get_value(MG_SLOT_CARD);
    if (data.empty())
        data = mg_stored_record(doc);
    h->data = malloc(data.size() ? data.size() : 1);
    if (!h->data)
        throw std::bad_alloc();
    memcpy(h->data, data.data(), data.size());
    h->len = data.size();
    h->score = it.get_weight();
    h->percent = it.get_percent();
    h->collapsed = it.get_collapse_count();
    h->did = *it;
}

void alloc_hits(mg_xresult *res, size_t n)
{
    res->hits = static_cast<mg_xhit *>(calloc(n ? n : 1, sizeof(mg_xhit)));
    if (!res->hits)
        throw std::bad_alloc();
}

} // namespace mg

namespace
{

// Deeper pages than this always take the full Enquire.
constexpr size_t FAST_MAX_OFFSET = 200;

// The page by relevance from Xapian's plain ranking (docid tie-break, no
// collapse key), which spares the matcher reading two values for every
// candidate. The ranks from the first to somewhat past the page are
// fetched; runs of equal weight are put in id order and copies folded into
// the best-ranked one (from the map of copies, no value read), as the full
// Enquire does. That is the full Enquire's page provided every
// document not fetched ranks after the page: all matches were fetched, or
// the last fetched weighs strictly less than the page's last hit (a tie
// might continue past the window). false: run the full Enquire.
bool fast_page(mg_xsearch *xs, const Xapian::Query &q, Xapian::Enquire &enq, const mg_xrun_opts *o,
               Xapian::doccount check, mg_xresult *res)
{
    if (o->offset > FAST_MAX_OFFSET)
        return false;
    bool collapse = o->collapse && !xs->dups.empty();
    size_t end = o->offset + o->limit;                      // one past the page
    size_t want = end + 1 + std::max<size_t>(o->limit, 10); // room for ties and copies
    Xapian::MSet m = enq.get_mset(0, static_cast<Xapian::doccount>(want),
                                  std::max(check, static_cast<Xapian::doccount>(want)));
    bool all = m.size() < want;

    struct Hit {
        Xapian::MSetIterator it;
        double weight;
        std::string id; // read only inside a run of equal weights
        unsigned folded;
    };
    std::vector<Hit> ranked;
    ranked.reserve(m.size());
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
        ranked.push_back({it, it.get_weight(), std::string(), 0});
    for (size_t i = 0; i < ranked.size();) {
        size_t j = i + 1;
        while (j < ranked.size() && ranked[j].weight == ranked[i].weight)
            j++;
        if (j - i > 1) {
            for (size_t k = i; k < j; k++)
                ranked[k].id = ranked[k].it.get_document().get_value(MG_SLOT_ID);
            std::sort(ranked.begin() + static_cast<std::ptrdiff_t>(i),
                      ranked.begin() + static_cast<std::ptrdiff_t>(j),
                      [](const Hit &x, const Hit &y) { return x.id < y.id; });
        }
        i = j;
    }
    std::vector<Hit> kept;
    std::unordered_map<Xapian::docid, size_t> groups; // group -> index in kept
    for (Hit &h : ranked) {
        if (collapse) {
            auto dup = xs->dups.find(*h.it);
            if (dup != xs->dups.end()) {
                auto at = groups.emplace(dup->second, kept.size());
                if (!at.second) {
                    kept[at.first->second].folded++;
                    continue;
                }
            }
        }
        kept.push_back(h);
    }
    if (!all && (kept.size() <= end || !(ranked.back().weight < kept[end - 1].weight)))
        return false;

    size_t last = std::min(end, kept.size());
    alloc_hits(res, last > o->offset ? last - o->offset : 0);
    bool exact = collapse && dup_terms(xs);
    std::vector<std::string> keys;
    for (size_t r = o->offset; r < last; r++) {
        mg_xhit *h = &res->hits[res->nhits++];
        Xapian::Document doc = kept[r].it.get_document();
        take_hit(h, kept[r].it, doc, o->want_data);
        h->collapsed = kept[r].folded;
        // (a hit without copies, or with every copy folded in, is exact)
        auto dup = xs->dups.find(*kept[r].it);
        if (exact && dup != xs->dups.end() && kept[r].folded + 1 < xs->groups[dup->second].size())
            keys.push_back(doc.get_value(MG_SLOT_NEARDUP));
        else
            keys.emplace_back();
    }
    if (exact)
        exact_copies(xs, q, keys, res);
    // Totals count every matching article, copies included (as the facets
    // do): no collapse key was set, so these are those counts.
    res->estimate = m.get_matches_estimated();
    res->lower = m.get_matches_lower_bound();
    res->upper = m.get_matches_upper_bound();
    return true;
}

uint64_t monotonic_ns()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Every document, weighing nothing, until a deadline (CLOCK_MONOTONIC ns),
// then none. ANDed with a query it ends the match at the deadline: the
// matcher asks it about each candidate, and in an AND a phrase's or NEAR's
// positional check runs over the AND of its terms and this. *cut records
// that it ended the match. It claims every document and adds no weight, so
// the weights, percentages, estimates and bounds do not change. (Under an
// OP_FILTER instead, Xapian 1.4 would count it as a query term that never
// matches, and lower every percentage.)
class Deadline : public Xapian::PostingSource
{
    uint64_t deadline_;
    bool *cut_;
    Xapian::docid did_ = 0, last_ = 0;
    Xapian::doccount n_ = 0;
    bool over_ = false;
    unsigned calls_ = 0;

    void look()
    {
        if (calls_++ % 16 == 0 && monotonic_ns() >= deadline_) {
            over_ = true;
            *cut_ = true;
        }
    }

  public:
    Deadline(uint64_t deadline, bool *cut) : deadline_(deadline), cut_(cut)
    {
    }
    // one per shard of a sharded index, all noting the cut in one place
    Deadline *clone() const override
    {
        return new Deadline(deadline_, cut_);
    }
    Xapian::doccount get_termfreq_min() const override
    {
        return n_;
    }
    Xapian::doccount get_termfreq_est() const override
    {
        return n_;
    }
    Xapian::doccount get_termfreq_max() const override
    {
        return n_;
    }
    void init(const Xapian::Database &db) override
    {
        did_ = 0;
        last_ = db.get_lastdocid();
        n_ = db.get_doccount();
        over_ = false;
        calls_ = 0;
        set_maxweight(0);
    }
    void next(double) override
    {
        ++did_;
        look();
    }
    void skip_to(Xapian::docid to, double) override
    {
        did_ = to > did_ ? to : did_ + (did_ == 0);
        look();
    }
    bool at_end() const override
    {
        return over_ || did_ > last_;
    }
    Xapian::docid get_docid() const override
    {
        return did_;
    }
    double get_weight() const override
    {
        return 0;
    }
    std::string get_description() const override
    {
        return "Deadline()";
    }
};

} // namespace

namespace mg
{

Xapian::Query deadline_query(uint64_t deadline, bool *cut)
{
    return Xapian::Query((new Deadline(deadline, cut))->release());
}

} // namespace mg

extern "C" {

void mg_xresult_release(mg_xresult *res) noexcept
{
    if (!res)
        return;
    for (size_t i = 0; res->hits && i < res->nhits; i++)
        free(res->hits[i].data);
    free(res->hits);
    res->hits = nullptr;
    res->nhits = 0;
}

} // extern "C"

namespace
{

// One try of mg_xsearch_run. A network error of a shard is thrown (after
// cleaning up), for the caller to leave the shard out and try again.
int run_once(mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o, mg_xresult *res, mg_err *err)
{
    mg_err_clear(err);
    memset(res, 0, sizeof *res);
    std::vector<FacetSpy *> spies;
    std::vector<Xapian::ValueCountMatchSpy *> vspies; // remote: in the FacetSpy's place
    auto cleanup = [&] {
        for (FacetSpy *spy : spies)
            delete spy;
        for (Xapian::ValueCountMatchSpy *spy : vspies)
            delete spy;
        mg_xresult_release(res);
        mg_xfacets_free(res->facets, res->nfacets);
        res->facets = nullptr;
        res->nfacets = 0;
    };
    try {
        int rc = check_cost(xs, q, o, err);
        if (rc < 0)
            return rc;
        if (wants_rescore(xs, q, o))
            return rescore_page(xs, q, o, res, err);
        // a count of words from their posting lists (xapian_count.cc)
        if (o->limit == 0 && o->offset == 0 && !o->facets && !o->collapse && !xs->shards &&
            mg_xcount_plain(xs->db, q->q, o->exhaustive ? xs->db.get_doccount() : o->check_at_least,
                            o->deadline_ns, res))
            return 0;
        Xapian::Enquire enq(xs->db);
        // Always under the deadline (one that never comes without a
        // budget): its presence changes Xapian's percentages of some
        // hits, which must not depend on whether a budget is set. A remote
        // shard takes no posting source of ours, and Xapian's own time
        // limit is not safe (1.4's timer thread can write into the frame
        // of a get_mset that has returned): over remote shards the match
        // runs to its end, and a reply past the deadline counts as cut.
        if (xs->remote) {
            enq.set_query(q->q);
        } else {
            enq.set_query(Xapian::Query(
                Xapian::Query::OP_AND, q->q,
                Xapian::Query(
                    (new Deadline(o->deadline_ns ? o->deadline_ns : UINT64_MAX, &res->cut))
                        ->release())));
        }
        set_weighting(enq, o, xs->remote);
        Xapian::doccount check = static_cast<Xapian::doccount>(
            std::min<size_t>(o->check_at_least, static_cast<size_t>(UINT_MAX)));
        if (o->exhaustive) // the matcher raises no weight floor before this
            check = xs->db.get_doccount();
        // (not over remote shards: the map of copies reads a value stream,
        // which the remote backend reads a document at a time)
        if (o->sort == MG_SORT_RELEVANCE && !o->facets && o->limit > 0 && !o->count_only &&
            !xs->remote) {
            if (o->collapse)
                count_dups(xs);
            if (fast_page(xs, q->q, enq, o, check, res))
                return 0;
            mg_xresult_release(res);
            memset(res, 0, sizeof *res);
        }
        Xapian::MultiValueKeyMaker keys;
        if (o->limit == 0) {
            // No hit to order (a count): any order but Xapian's own would
            // read a value of every match, and keep the matcher from
            // stopping once it has seen check matches of a boolean query
            // (47 ms instead of 0.5 for a count of 400,000 matches).
        } else if ((o->sort == MG_SORT_NEWEST || o->sort == MG_SORT_OLDEST) && xs->remote) {
            // The remote backend takes no key maker: by the date slot alone,
            // ties by relevance, undated documents first when oldest first
            // (docs/scaling.md).
            enq.set_sort_by_value_then_relevance(MG_SLOT_DATE, o->sort == MG_SORT_NEWEST);
        } else if (o->sort == MG_SORT_NEWEST || o->sort == MG_SORT_OLDEST) {
            bool newest = o->sort == MG_SORT_NEWEST;
            // Undated documents go last either way.
            keys.add_value(MG_SLOT_DATE, newest, newest ? "" : "~");
            keys.add_value(MG_SLOT_ID, false);
            enq.set_sort_by_key_then_relevance(&keys, false);
        } else {
            // Ties by id: the ranking must not depend on document numbering
            // (the thread count of the build).
            enq.set_sort_by_relevance_then_value(MG_SLOT_ID, false);
        }
        if (o->collapse)
            enq.set_collapse_key(collapse_slot(xs->db));
        static const struct {
            unsigned flag;
            const char *name;
            Xapian::valueno slot;
            FacetSpy::Mode mode;
            int period;
        } kinds[] = {{MG_FACET_SOURCE, "source", MG_SLOT_SOURCE, FacetSpy::WHOLE, 0},
                     {MG_FACET_CATEGORY, "category", MG_SLOT_CATS, FacetSpy::SPLIT, 0},
                     {MG_FACET_YEAR, "year", MG_SLOT_DATE, FacetSpy::DATE, MG_PERIOD_YEAR},
                     {MG_FACET_MONTH, "month", MG_SLOT_DATE, FacetSpy::DATE, MG_PERIOD_MONTH},
                     {MG_FACET_WEEK, "week", MG_SLOT_DATE, FacetSpy::DATE, MG_PERIOD_WEEK},
                     {MG_FACET_DAY, "day", MG_SLOT_DATE, FacetSpy::DATE, MG_PERIOD_DAY}};
        for (const auto &k : kinds)
            if (o->facets & k.flag) {
                spies.push_back(new FacetSpy(k.name, k.slot, k.mode, k.period));
                if (xs->remote) { // xapian-tcpsrv knows only the built-in spies
                    vspies.push_back(new Xapian::ValueCountMatchSpy(k.slot));
                    enq.add_matchspy(vspies.back());
                } else {
                    enq.add_matchspy(spies.back());
                }
            }
        if (!spies.empty())
            check = xs->db.get_doccount(); // facets over the whole match set
        // Over remote shards a page is matched from the first hit, then
        // its own documents fetched in one exchange: Xapian 1.4's
        // MSet::fetch() reads outside the MSet (and crashes) when the MSet
        // does not start at the first hit. Each shard sends offset + limit
        // hits either way.
        // relevance+recency without the two stages (over remote shards):
        // the first rescore_depth hits by relevance, ranked by recency
        // (recency_order()), then the others
        size_t recent = o->limit > 0 && !o->count_only && o->sort == MG_SORT_RECENCY &&
                                o->offset < o->rescore_depth
                            ? o->rescore_depth
                            : 0;
        size_t skip = (xs->remote || recent) && o->limit > 0 && !o->count_only ? o->offset : 0;
        Xapian::MSet mset =
            enq.get_mset(static_cast<Xapian::doccount>(o->offset - skip),
                         static_cast<Xapian::doccount>(std::max(o->limit + skip, recent)), check);
        for (size_t i = 0; i < vspies.size(); i++)
            spies[i]->absorb(*vspies[i]);
        if (xs->remote && o->deadline_ns && monotonic_ns() >= o->deadline_ns)
            res->late = true;
        // Every matching article, copies included, as the facets count;
        // exact when facets looked at every match (Xapian's own counts are
        // estimates once collapsing is on).
        res->estimate = mset.get_uncollapsed_matches_estimated();
        res->lower = mset.get_uncollapsed_matches_lower_bound();
        res->upper = mset.get_uncollapsed_matches_upper_bound();
        if (!spies.empty())
            res->estimate = res->lower = res->upper = spies.front()->seen();
        if (o->count_only) {
            res->nhits = mset.size();
        } else {
            size_t end = std::min<size_t>(mset.size(), skip + o->limit);
            alloc_hits(res, end > skip ? end - skip : 0);
            // each hit's near-duplicate key, for its exact copy count
            bool exact = o->collapse && dup_terms(xs);
            std::vector<std::string> dupkeys;
            if (recent && mset.size() > skip) {
                size_t n = std::min<size_t>(recent, mset.size()), upto = std::max(n, end);
                mset.fetch(mset.begin(), upto < mset.size()
                                             ? mset[static_cast<Xapian::doccount>(upto)]
                                             : mset.end());
                std::vector<std::pair<size_t, double>> order;
                recency_order(mset, n, o, order);
                for (size_t r = skip; r < end; r++) {
                    auto at = static_cast<Xapian::doccount>(r < n ? order[r].first : r);
                    Xapian::MSetIterator it = mset[at];
                    mg_xhit *h = &res->hits[res->nhits++];
                    Xapian::Document doc = it.get_document();
                    take_hit(h, it, doc, o->want_data);
                    if (r < n)
                        h->score = order[r].second;
                    if (exact)
                        dupkeys.push_back(doc.get_value(MG_SLOT_NEARDUP));
                }
            } else if (mset.size() > skip) {
                Xapian::MSetIterator from = mset[static_cast<Xapian::doccount>(skip)];
                if (xs->remote) // the page's documents in one exchange, not one by one
                    mset.fetch(from, mset.end());
                for (Xapian::MSetIterator it = from; it != mset.end(); ++it) {
                    Xapian::Document doc = it.get_document();
                    take_hit(&res->hits[res->nhits++], it, doc, o->want_data);
                    if (exact)
                        dupkeys.push_back(doc.get_value(MG_SLOT_NEARDUP));
                }
            }
            if (exact)
                exact_copies(xs, q->q, dupkeys, res);
        }
        take_facets(res, spies);
        for (FacetSpy *spy : spies)
            delete spy;
        for (Xapian::ValueCountMatchSpy *spy : vspies)
            delete spy;
        return 0;
    } catch (const Xapian::NetworkError &) {
        cleanup();
        if (xs->shards)
            throw;
        return mg_xapian_catch(err, "search");
    } catch (...) {
        cleanup();
        return mg_xapian_catch(err, "search");
    }
}

// The counts of a run the deadline cut: the matcher took the deadline's end
// for the end of the matches, so its bounds, both equal to what it had seen,
// claim an exact count. What it saw is a lower bound; the upper bound and the
// estimate are Xapian's for the whole query, from the statistics alone (no
// document is matched: no maximum, no minimum checked), never below what
// was seen. Facets stay those of the documents seen (docs/protocol.md).
void widen_cut_counts(mg_xsearch *xs, const mg_xq *q, mg_xresult *res)
{
    Xapian::Enquire enq(xs->db);
    enq.set_query(q->q);
    Xapian::MSet m = enq.get_mset(0, 0, static_cast<Xapian::doccount>(0));
    unsigned long long up = std::max<unsigned long long>(m.get_matches_upper_bound(), res->lower);
    unsigned long long est = m.get_matches_estimated();
    res->upper = std::max(res->upper, up);
    res->estimate = std::min(std::max(est, res->lower), res->upper);
}

} // namespace

extern "C" {

int mg_xsearch_count_union(mg_xsearch *xs, const mg_xq *or_q, const mg_xq *and_q,
                           unsigned long long n_and, mg_xresult *res, mg_err *err) noexcept
{
    if (xs->remote || n_and > UINT_MAX)
        return 0;
    try {
        return mg_xcount_union(xs->db, or_q->q, and_q->q, static_cast<Xapian::doccount>(n_and), res)
                   ? 1
                   : 0;
    } catch (...) {
        return mg_xapian_catch(err, "count");
    }
}

int mg_xsearch_run(mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o, mg_xresult *res,
                   mg_err *err) noexcept
{
    for (size_t tries = 0;; tries++) {
        try {
            int rc = run_once(xs, q, o, res, err);
            // (over remote shards a run is never cut, only late: its
            // counts are whole)
            if (rc == 0 && res->cut && !xs->remote) {
                try {
                    widen_cut_counts(xs, q, res);
                } catch (...) {
                    mg_xresult_release(res);
                    mg_xfacets_free(res->facets, res->nfacets);
                    res->facets = nullptr;
                    res->nfacets = 0;
                    throw;
                }
            }
            return rc;
        } catch (const Xapian::NetworkError &e) {
            try {
                if (tries > xs->shards->size() || !xs->shards->failed(e))
                    return mg_xapian_catch(err, "search");
                xs->db = xs->shards->db();
                xs->dups_valid = xs->dupterms_valid = false;
            } catch (...) {
                return mg_xapian_catch(err, "search");
            }
        } catch (...) {
            return mg_xapian_catch(err, "search");
        }
    }
}

} // extern "C"
