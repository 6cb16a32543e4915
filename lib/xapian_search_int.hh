// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the search side's C++ files (xapian_search.h's insides): the
// handle of a database view, the query with its proximity pairs, and the
// helpers each file lends the others. Files:
//   xapian_view.cc     the view: open, reopen, stubs, shards, lookups, copies
//   xapian_query.cc    the mg_xq builders, a query's shape and positional cost
//   xapian_search.cc   one search: the Enquire, its deadline, the fast page
//   xapian_rescore.cc  the two-stage ranking and the recency decay
//   xapian_facets.cc   the facet counts of a match set
#ifndef MG_XAPIAN_SEARCH_INT_HH
#define MG_XAPIAN_SEARCH_INT_HH

#include "xapian_search.h"
#include "xapian_internal.hh"
#include "xapian_shards.hh"

#include <xapian.h>

#include <sys/types.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

struct mg_xsearch {
    std::string path; // as given
    std::string real; // the directory (or stub file) actually open
    dev_t dev = 0;
    ino_t ino = 0;
    Xapian::Database db;
    // A topology (topology.h): its shards, db their combination; remote:
    // some are behind xapian-tcpsrv, which takes Xapian's built-in pieces
    // only (docs/scaling.md).
    std::unique_ptr<mg::ShardSet> shards;
    bool remote = false;
    // The documents whose collapse key more than one document holds, in
    // this view, each mapped to the first of its group (dups_valid false:
    // not counted yet; a reopen clears it).
    bool dups_valid = false;
    std::unordered_map<Xapian::docid, Xapian::docid> dups; // document -> first of its copies
    // the first of each group of copies -> every document of the group
    std::unordered_map<Xapian::docid, std::vector<Xapian::docid>> groups;
    // Whether every document has its near-duplicate term (MG_META_DUPTERMS
    // on every database of the view; dupterms_valid false: not asked yet).
    bool dupterms_valid = false;
    bool dupterms = false;
};

// A proximity pair of q (mg_xq_or_near): a document holding both terms
// within window positions gains what they weigh there, times factor.
struct mg_near_pair {
    std::string a, b;
    unsigned window;
    double factor;
};

// A query, and the same query without its proximity pairs: the two match
// the same documents. plain is what the first stage of a two-stage ranking
// matches with pruning (rescore_run()); pairs, those of q that add weight
// (none from the excluding side of an AND_NOT or a filter), what its second
// stage adds from positions.
struct mg_xq {
    Xapian::Query q;
    Xapian::Query plain;
    std::vector<mg_near_pair> pairs;
    bool differs; // q holds proximity pairs (plain is another query)
    // Terms of which every match lacks at least one (a query that leaves
    // out the matches of an AND of these terms, as the partial matches of
    // a relaxed query do), so their pairs cannot all add weight to one
    // match (pairs_reach()); empty when not known.
    std::vector<std::string> lacks = {};
};

namespace mg
{

// A malloc()ed copy of s (the caller frees it); std::bad_alloc when out of
// memory.
inline char *dup_string(const std::string &s)
{
    char *p = static_cast<char *>(malloc(s.size() + 1));
    if (!p)
        throw std::bad_alloc();
    memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    return p;
}

// ---- xapian_view.cc ----

// The slot duplicates fold on (the near-duplicate key or the text hash).
Xapian::valueno collapse_slot(const Xapian::Database &db);

// Fill xs->dups and xs->groups, once per view of the database.
void count_dups(mg_xsearch *xs);

// Whether every document of the view has its near-duplicate term
// (MG_PFX_DUP), asked once per view.
bool dup_terms(mg_xsearch *xs);

// The copy count of each hit of res (collapsed), exactly: the documents
// that match q with the hit's near-duplicate key (keys[i], the hit's slot
// 8 value), less the hit. One match of q restricted to those keys' terms,
// so only when dup_terms(). Over remote shards too (built-in pieces only),
// where Xapian's own count misses the copies a shard did not send.
void exact_copies(mg_xsearch *xs, const Xapian::Query &q, const std::vector<std::string> &keys,
                  mg_xresult *res);

// Call f; when a shard fails under it (a network error), leave the shard
// out and call f again, on the shards that remain.
template <class F> auto with_shards(mg_xsearch *xs, F f) -> decltype(f())
{
    for (size_t tries = 0;; tries++) {
        try {
            return f();
        } catch (const Xapian::NetworkError &e) {
            if (!xs->shards || tries > xs->shards->size() || !xs->shards->failed(e))
                throw;
            xs->db = xs->shards->db();
            xs->dups_valid = xs->dupterms_valid = false;
        }
    }
}

// ---- xapian_query.cc ----

// Whether Xapian 1.4's pruned matcher keeps every document of q (it holds
// no OR together with a phrase or NEAR).
bool prunable(const Xapian::Query &q);

// 0 when the positional work q asks for is within o->max_cost (or there is
// no cap), else -MG_EINVAL with detail MG_RE_TOO_COSTLY in err.
int check_cost(const mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o, mg_err *err);

// ---- xapian_search.cc ----

// Set the weighting scheme of o->ranking (plain BM25 for morgue's own
// schemes when remote).
void set_weighting(Xapian::Enquire &enq, const mg_xrun_opts *o, bool remote);

// Copy one hit out of an MSet into h; std::bad_alloc when out of memory.
void take_hit(mg_xhit *h, const Xapian::MSetIterator &it, const Xapian::Document &doc,
              bool want_data);

// res->hits: room for n hits (zeroed); std::bad_alloc when out of memory.
void alloc_hits(mg_xresult *res, size_t n);

// A query of every document until the deadline (CLOCK_MONOTONIC ns), then
// none, weighing nothing; *cut is set when it ends a match (the Deadline
// posting source: see there).
Xapian::Query deadline_query(uint64_t deadline, bool *cut);

// ---- xapian_rescore.cc ----

// Whether the page of o is ranked in two stages: by relevance with
// proximity pairs (BM25), or by relevance and recency (not over shards).
bool wants_rescore(const mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o);

// A page of the two-stage ranking (rescore_run()), with the facets and the
// exact counts of every match when o asks for facets. 0 or a negative
// mg_code; Xapian errors are thrown.
int rescore_page(mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o, mg_xresult *res,
                 mg_err *err);

// relevance+recency over remote shards, where the two stages cannot run
// (docs/scaling.md): the first n hits of m (a match by relevance, copies
// folded by Xapian, those n documents fetched) ranked by their weight times
// the recency decay, ties by id: each one's index in m and its score, in
// that order.
void recency_order(const Xapian::MSet &m, size_t n, const mg_xrun_opts *o,
                   std::vector<std::pair<size_t, double>> &order);

// ---- xapian_facets.cc ----

// Counts values of one slot over the whole match set: whole values, values
// split on MG_CAT_SEP (categories), or the period (mg_period) of the date
// slot, documents without a date in MG_FACET_UNDATED.
class FacetSpy : public Xapian::MatchSpy
{
  public:
    enum Mode { WHOLE, SPLIT, DATE };
    FacetSpy(const char *name, Xapian::valueno slot, Mode mode, int period = 0)
        : name_(name), slot_(slot), mode_(mode), period_(period)
    {
    }
    void operator()(const Xapian::Document &doc, double) override;
    // The counts of a ValueCountMatchSpy on the same slot instead (a
    // built-in spy, which crosses the remote backend): the same result.
    void absorb(const Xapian::ValueCountMatchSpy &spy);
    // Count n documents holding the value v of the slot.
    void add(const std::string &v, Xapian::doccount n);
    std::string name() const override;
    const char *facet_name() const
    {
        return name_;
    }
    bool by_date() const
    {
        return mode_ == DATE;
    }
    const std::unordered_map<std::string, Xapian::doccount> &counts() const
    {
        return counts_;
    }
    // Documents looked at: every match, copies included, when the match
    // ran with check_at_least at the database size.
    Xapian::doccount seen() const
    {
        return seen_;
    }

  private:
    const char *name_;
    Xapian::valueno slot_;
    Mode mode_;
    int period_;
    std::unordered_map<std::string, Xapian::doccount> counts_;
    Xapian::doccount seen_ = 0;
};

// The spies' counts into res->facets (none when spies is empty): periods in
// date order, other values most frequent first. std::bad_alloc when out of
// memory (what was built is in res, for mg_xfacets_free()).
void take_facets(mg_xresult *res, const std::vector<FacetSpy *> &spies);

} // namespace mg

#endif
