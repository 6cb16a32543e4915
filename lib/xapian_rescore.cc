// SPDX-License-Identifier: GPL-2.0-or-later
// The two-stage ranking: the page of a query with proximity pairs, or
// sorted by relevance and recency.
//
// The ranking is a function of the query alone, never of the page:
//  1. candidates: the documents whose weight under the plain query (no
//     pairs: BM25 alone, matched with Xapian's pruning) times the most the
//     pairs can multiply it by (pairs_reach()) reaches the depth-th best
//     plain weight: every document that could rank among the first depth
//     after rescoring, so those are the exhaustive match's (and the set does
//     not depend on document numbering);
//  2. the candidates ranked by that weight plus what their proximity pairs
//     add, read from their positions (pair_bonus(): the weight the NEAR
//     pairs of an exhaustive match would give them), times the recency
//     decay when asked; ties by id, copies folded into the best ranked (and
//     the copies outside the candidates counted there);
//  3. then every other match by its plain weight (ties by id, copies
//     folded), the candidates and their copies left out.
// Past the first depth hits the ranking can differ from the exhaustive one:
// a document outside the candidates that its pairs would have lifted.
//
// A page that ends within the depth starts with the candidates of its own
// end (page_settled()): when its hits all pass the edge no document outside
// them reaches, they are the exhaustive match's, as at the full depth; else
// the page is ranked at the full depth. Pages are windows into one ranking
// whatever depth settled them.
//
// The pairs are not matched by Xapian here: restricted to the candidates
// (an AND with them, or an AND_MAYBE) Xapian 1.4 check()s the OR of NEARs,
// and OrPostList::check() adds the weight of a NEAR that failed its
// position test (see mg_xq_or_near()).
#include "xapian_search_int.hh"

#include "schema.h"

#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

using namespace mg; // xapian_search_int.hh

namespace
{

std::atomic<unsigned long long> g_ranked{0}; // mg_xrescore_ranked()

// The sub-databases of a combination of local shards, by their uuids in
// the order Xapian numbers them (a combined document number d is number
// (d - 1) / n + 1 of sub-database (d - 1) % n); empty for one database.
std::vector<std::string> shard_uuids(const Xapian::Database &db)
{
    std::vector<std::string> ids;
    if (db.size() < 2)
        return ids;
    std::string all = db.get_uuid();
    for (size_t at = 0;;) {
        size_t colon = all.find(':', at);
        ids.push_back(all.substr(at, colon == std::string::npos ? colon : colon - at));
        if (colon == std::string::npos)
            break;
        at = colon + 1;
    }
    return ids;
}

// The given documents (sorted, by their numbers in the combined database
// whose sub-databases are shards: see shard_uuids()), weighing nothing:
// AND_NOT excludes them, AND keeps only them. Over shards Xapian runs a
// clone in each shard, which keeps that shard's documents, renumbered.
class Candidates : public Xapian::PostingSource
{
    std::vector<Xapian::docid> all_, ids_;
    std::vector<std::string> shards_;
    size_t at_ = 0;
    bool started_ = false;

  public:
    Candidates(std::vector<Xapian::docid> ids, std::vector<std::string> shards)
        : all_(std::move(ids)), shards_(std::move(shards))
    {
        if (shards_.empty())
            ids_ = all_;
    }
    Candidates *clone() const override
    {
        return new Candidates(all_, shards_);
    }
    // (asked after init(): this shard's)
    Xapian::doccount get_termfreq_min() const override
    {
        return ids_.size();
    }
    Xapian::doccount get_termfreq_est() const override
    {
        return ids_.size();
    }
    Xapian::doccount get_termfreq_max() const override
    {
        return ids_.size();
    }
    void init(const Xapian::Database &db) override
    {
        at_ = 0;
        started_ = false;
        set_maxweight(0);
        if (shards_.empty())
            return;
        // which shard this clone runs in (the view checked that the
        // uuids are distinct: shards_usable())
        auto s = std::find(shards_.begin(), shards_.end(), db.get_uuid());
        if (s == shards_.end())
            throw Xapian::InvalidOperationError("Candidates: a database of no known shard");
        auto k = static_cast<Xapian::docid>(s - shards_.begin());
        auto n = static_cast<Xapian::docid>(shards_.size());
        ids_.clear();
        for (Xapian::docid d : all_)
            if ((d - 1) % n == k)
                ids_.push_back((d - 1) / n + 1);
    }
    void next(double) override
    {
        at_ += started_;
        started_ = true;
    }
    void skip_to(Xapian::docid to, double) override
    {
        started_ = true;
        while (at_ < ids_.size() && ids_[at_] < to)
            at_++;
    }
    bool at_end() const override
    {
        return started_ && at_ >= ids_.size();
    }
    Xapian::docid get_docid() const override
    {
        return ids_[at_];
    }
    double get_weight() const override
    {
        return 0;
    }
    std::string get_description() const override
    {
        return "Candidates()";
    }
};

Xapian::Query candidates_query(const mg_xsearch *xs, std::vector<Xapian::docid> ids)
{
    std::sort(ids.begin(), ids.end());
    return Xapian::Query((new Candidates(std::move(ids), shard_uuids(xs->db)))->release());
}

// Whether the candidates of a combination of databases (shards, or a stub
// naming several) can find their shards: every one local (its database
// here), with a uuid of its own.
bool shards_usable(const mg_xsearch *xs)
{
    if (xs->remote)
        return false;
    std::vector<std::string> ids = shard_uuids(xs->db);
    std::sort(ids.begin(), ids.end());
    return std::adjacent_find(ids.begin(), ids.end()) == ids.end() &&
           (ids.empty() || !ids.front().empty());
}

// Whether two position lists (ascending) hold positions of two different
// occurrences fewer than window apart (Xapian's NEAR of two terms).
bool within(const std::vector<Xapian::termpos> &a, const std::vector<Xapian::termpos> &b,
            unsigned window)
{
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        Xapian::termpos x = a[i], y = b[j];
        if (x != y && (x < y ? y - x : x - y) < window)
            return true;
        if (x <= y)
            i++;
        else
            j++;
    }
    return false;
}

// What the proximity pairs of q add to each candidate (docs: the
// candidates' numbers; bonus: one per candidate). Xapian's BM25 for each
// term of a pair a document holds within the window (lib/xapian_weight.hh,
// wqf 1, min_normlen 0.5), times the pair's factor: the weight the
// mg_xq_or_near() NEAR pairs give it.
void pair_bonus(mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o,
                const std::vector<Xapian::docid> &docs, std::vector<double> &bonus)
{
    const Xapian::Database &db = xs->db;
    std::vector<size_t> order(docs.size());
    for (size_t i = 0; i < order.size(); i++)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return docs[x] < docs[y]; });
    // each term's wdf in each candidate (0: absent)
    std::unordered_map<std::string, std::vector<Xapian::termcount>> wdf;
    for (const mg_near_pair &p : q->pairs)
        for (const std::string *t : {&p.a, &p.b}) {
            if (wdf.count(*t))
                continue;
            std::vector<Xapian::termcount> &w = wdf[*t];
            w.assign(docs.size(), 0);
            Xapian::PostingIterator it = db.postlist_begin(*t), end = db.postlist_end(*t);
            for (size_t k = 0; k < order.size() && it != end; k++) {
                it.skip_to(docs[order[k]]);
                if (it != end && *it == docs[order[k]])
                    w[order[k]] = it.get_wdf();
            }
        }
    double N = db.get_doccount(), avdl = db.get_avlength();
    auto idf = [&](const std::string &t) {
        double n = db.get_termfreq(t);
        double r = (N - n + 0.5) / (n + 0.5);
        return std::log(r < 2 ? r * 0.5 + 1 : r);
    };
    auto tf = [&](double f, double len) {
        double norm = (1 - o->b) + o->b * std::max(avdl > 0 ? len / avdl : 0, 0.5);
        return (o->k1 + 1) * f / (o->k1 * norm + f);
    };
    std::unordered_map<std::string, double> idfs;
    for (const auto &t : wdf)
        idfs[t.first] = idf(t.first);
    bonus.assign(docs.size(), 0);
    for (size_t k = 0; k < docs.size(); k++) {
        double len = -1;
        std::unordered_map<std::string, std::vector<Xapian::termpos>> pos;
        auto positions = [&](const std::string &t) -> const std::vector<Xapian::termpos> & {
            auto at = pos.find(t);
            if (at != pos.end())
                return at->second;
            std::vector<Xapian::termpos> &v = pos[t];
            for (Xapian::PositionIterator p = db.positionlist_begin(docs[k], t);
                 p != db.positionlist_end(docs[k], t); ++p)
                v.push_back(*p);
            return v;
        };
        for (const mg_near_pair &p : q->pairs) {
            Xapian::termcount fa = wdf[p.a][k], fb = wdf[p.b][k];
            if (!fa || !fb || !within(positions(p.a), positions(p.b), p.window))
                continue;
            if (len < 0)
                len = db.get_doclength(docs[k]);
            bonus[k] += p.factor * idfs[p.a] * tf(fa, len) + p.factor * idfs[p.b] * tf(fb, len);
        }
    }
}

struct Ranked {
    Xapian::docid did;
    double weight; // plain weight plus the pairs' bonus
    double key;    // the rank key: weight, or its log2 less the age in half-lives
    double score;  // reported: weight, or weight times the decay
    size_t at;     // index in the first stage's MSet
    std::string id;
    unsigned folded;
};

// Days since 1970 of a date slot value ("YYYYMMDDhhmm..."), or false.
bool date_days(const std::string &v, double *days)
{
    if (v.size() < 8)
        return false;
    struct tm tm = {};
    int hh = 0, mi = 0;
    if (sscanf(v.c_str(), "%4d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return false;
    if (v.size() >= 12)
        sscanf(v.c_str() + 8, "%2d%2d", &hh, &mi);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *days = static_cast<double>(timegm(&tm)) / 86400.0 + (hh * 60 + mi) / 1440.0;
    return true;
}

// Times the recency decay (MG_SORT_RECENCY), given each one's date in
// days (when dated): the age from the newest (any reference gives the same
// order), undated ones as old as the oldest dated one.
void decay(const mg_xrun_opts *o, std::vector<Ranked> &r, const std::vector<double> &days,
           const std::vector<bool> &dated)
{
    double newest = -1e18, oldest = 1e18;
    for (size_t i = 0; i < r.size(); i++)
        if (dated[i]) {
            newest = std::max(newest, days[i]);
            oldest = std::min(oldest, days[i]);
        }
    double half = o->half_life > 0 ? o->half_life : MG_HALF_LIFE_DAYS;
    for (size_t i = 0; i < r.size(); i++) {
        double age = newest < oldest ? 0 : newest - (dated[i] ? days[i] : oldest);
        // (a query that weighs nothing, "*": by age alone)
        r[i].key = std::log2(std::max(r[i].weight, 1e-300)) - age / half;
        r[i].score = r[i].weight * std::exp2(-age / half);
    }
}

// The same, the dates read from the value stream.
void decay(mg_xsearch *xs, const mg_xrun_opts *o, std::vector<Ranked> &r)
{
    std::vector<std::pair<Xapian::docid, size_t>> by_doc;
    for (size_t i = 0; i < r.size(); i++)
        by_doc.emplace_back(r[i].did, i);
    std::sort(by_doc.begin(), by_doc.end());
    std::vector<double> days(r.size(), 0);
    std::vector<bool> dated(r.size(), false);
    Xapian::ValueIterator v = xs->db.valuestream_begin(MG_SLOT_DATE),
                          end = xs->db.valuestream_end(MG_SLOT_DATE);
    for (const auto &d : by_doc) {
        if (v == end)
            break;
        // (over shards check() moves on to the next document with a date
        // when this one has none: true, but elsewhere)
        if (v.check(d.first) && v != end && v.get_docid() == d.first &&
            date_days(*v, &days[d.second]))
            dated[d.second] = true;
    }
    decay(o, r, days, dated);
}

// The rank key of a weight: the weight to 2^-30 (about 1e-9). Xapian sums
// the weights of an OR's words in an order that depends on how far it has
// pruned, so the first stage at two depths can give one document weights a
// few ulps apart; to 2^-30 they are one key, and equal keys go by id.
// Without it a tie could fall one way on a page and the other way on the
// next, which looked deeper.
double rank_key(double weight)
{
    return std::nearbyint(std::ldexp(weight, 30)) / 1073741824.0;
}

// Rank the candidates, the first n of m (step 2 above), into out, copies
// folded.
void rank_candidates(mg_xsearch *xs, const mg_xq *q, const Xapian::MSet &m, size_t n,
                     const mg_xrun_opts *o, std::vector<Ranked> &out)
{
    std::vector<Ranked> r;
    r.reserve(n);
    size_t at = 0;
    for (Xapian::MSetIterator it = m.begin(); it != m.end() && at < n; ++it, ++at)
        r.push_back({*it, it.get_weight(), 0, 0, at, std::string(), 0});
    if (!q->pairs.empty() && o->ranking == MG_RANK_BM25) {
        std::vector<Xapian::docid> docs;
        for (const Ranked &h : r)
            docs.push_back(h.did);
        std::vector<double> bonus;
        pair_bonus(xs, q, o, docs, bonus);
        for (size_t i = 0; i < r.size(); i++)
            r[i].weight += bonus[i];
    }
    for (Ranked &h : r) {
        h.score = h.weight;
        h.key = rank_key(h.weight);
    }
    if (o->sort == MG_SORT_RECENCY)
        decay(xs, o, r);
    std::sort(r.begin(), r.end(), [](const Ranked &a, const Ranked &b) {
        return a.key != b.key ? a.key > b.key : a.did < b.did;
    });
    // Equal keys go in id order (the ranking must not depend on document
    // numbering). Reading ids costs: only for the runs of equal keys that
    // hold copies (which of them stands for its group) or reach the page.
    bool collapse = o->collapse && !xs->dups.empty();
    auto by_id = [&](std::vector<Ranked> &v, size_t i, size_t j) {
        for (size_t k = i; k < j; k++)
            if (v[k].id.empty())
                v[k].id = xs->db.get_document(v[k].did).get_value(MG_SLOT_ID);
        std::sort(v.begin() + static_cast<std::ptrdiff_t>(i),
                  v.begin() + static_cast<std::ptrdiff_t>(j),
                  [](const Ranked &a, const Ranked &b) { return a.id < b.id; });
    };
    auto runs = [](const std::vector<Ranked> &v, const std::function<void(size_t, size_t)> &fn) {
        for (size_t i = 0; i < v.size();) {
            size_t j = i + 1;
            while (j < v.size() && v[j].key == v[i].key)
                j++;
            if (j - i > 1)
                fn(i, j);
            i = j;
        }
    };
    runs(r, [&](size_t i, size_t j) {
        for (size_t k = i; collapse && k < j; k++)
            if (xs->dups.count(r[k].did)) {
                by_id(r, i, j);
                return;
            }
    });
    std::unordered_map<Xapian::docid, size_t> groups; // first of the copies -> index in out
    out.clear();
    for (Ranked &h : r) {
        if (collapse) {
            auto dup = xs->dups.find(h.did);
            if (dup != xs->dups.end()) {
                auto in = groups.emplace(dup->second, out.size());
                if (!in.second) {
                    out[in.first->second].folded++;
                    continue;
                }
            }
        }
        out.push_back(std::move(h));
    }
    size_t end = o->offset + o->limit;
    runs(out, [&](size_t i, size_t j) {
        if (i < end && j > o->offset)
            by_id(out, i, j);
    });
}

// A weight a few rank-key steps (rank_key()) below w, and below it by
// more than Xapian's rounding of a weight: the candidates reach down to
// it, so a page whose last hit weighs the depth-th weight itself (a tie,
// common among short articles) is still settled by page_settled().
double below(double w)
{
    return w - std::max(w * 2e-9, std::ldexp(1.0, -28));
}

constexpr Xapian::doccount MAX_CANDIDATES = 10; // times the depth
constexpr size_t MIN_DEPTH = 20;                // the first depth of a page within the depth
constexpr Xapian::doccount FIRST_REACH = 4;     // see first_stage()
// Past this many pairs (a query of more than 9 words) a page seldom settles
// at its own depth: the weights of long ORs lie close together (on
// 1,000,000 articles, 2 pages of 58 with 16 pairs or more), and the match
// for it would only add to the full depth's
constexpr size_t MAX_WIDE_PAIRS = 8;

// The first stage at depth: the candidates' numbers (step 1 above), from
// the query of enq (under the deadline), and the MSet they lead. reach: how
// many times its plain weight a document can weigh after rescoring; every
// document that could then pass the depth-th plain weight is a candidate,
// so the first depth of the ranking are those of an exhaustive match.
// *edge: a weight no document outside the candidates reaches after
// rescoring (just below() the depth-th plain weight); 0 when every match
// is a candidate.
//
// wide (a page's own depth, below the full one): one match of FIRST_REACH
// times the depth, whose matches are the candidates; when some in reach may
// be past them (*short_of), *edge is the last one's weight, which no
// document past them without a pair passes, and the page may still settle
// on them (page_settled(), with pair_edge()). Else (the full depth) the
// matches in reach of the depth-th weight: one more match, pruned from the
// start by that weight (Xapian keeps a document of the cutoff weight
// itself), at most MAX_CANDIDATES times the depth: past that, of equal
// weights (a query that weighs nothing, sorted by recency), Xapian's order
// (document number) decides.
Xapian::MSet first_stage(Xapian::Enquire &enq, Xapian::doccount depth, bool wide,
                         Xapian::doccount check, double reach, std::vector<Xapian::docid> &cands,
                         double *edge, bool *short_of, mg_xresult *counts)
{
    *short_of = false;
    Xapian::doccount want = wide ? depth * FIRST_REACH : depth;
    Xapian::MSet m = enq.get_mset(0, want, std::max(check, depth));
    counts->estimate = m.get_matches_estimated();
    counts->lower = m.get_matches_lower_bound();
    counts->upper = m.get_matches_upper_bound();
    *edge = 0;
    size_t n = m.size();
    if (n >= depth) {
        *edge = below(m[depth - 1].get_weight());
        double cut = *edge / reach;
        double last = m[static_cast<Xapian::doccount>(n - 1)].get_weight();
        if (n < want || last < cut) {
            while (n > depth && m[static_cast<Xapian::doccount>(n - 1)].get_weight() < cut)
                n--;
        } else if (wide) {
            // Past them, a document without a pair weighs what it weighed
            // (the caller bounds those with a pair: pair_edge()); a margin
            // for the rounding of a weight plus its bonus
            *edge = std::max(*edge, last * (1 + 1e-9));
            *short_of = true;
        } else {
            enq.set_cutoff(0, cut);
            m = enq.get_mset(0, depth * MAX_CANDIDATES, check);
            enq.set_cutoff(0, 0);
            n = m.size();
        }
    }
    cands.clear();
    Xapian::MSetIterator it = m.begin();
    for (size_t k = 0; k < n; ++k, ++it)
        cands.push_back(*it);
    return m;
}

// What a document outside the candidates that holds the two words of a pair
// (so the only ones the pairs lift) can weigh after rescoring: the best
// plain weight among them (one hit, matched with pruning) times reach, with
// a margin for rounding; 0 when there is none.
double pair_edge(mg_xsearch *xs, const mg_xq *q, const Xapian::Query &first, const mg_xrun_opts *o,
                 const std::vector<Xapian::docid> &cands, double reach, uint64_t deadline,
                 bool *cut)
{
    std::vector<Xapian::Query> both;
    for (const mg_near_pair &p : q->pairs)
        both.emplace_back(Xapian::Query::OP_AND, Xapian::Query(p.a), Xapian::Query(p.b));
    Xapian::Query paired(Xapian::Query::OP_FILTER, first,
                         Xapian::Query(Xapian::Query::OP_OR, both.begin(), both.end()));
    Xapian::Enquire e(xs->db);
    e.set_query(
        Xapian::Query(Xapian::Query::OP_AND,
                      Xapian::Query(Xapian::Query::OP_AND_NOT, paired, candidates_query(xs, cands)),
                      deadline_query(deadline, cut)));
    set_weighting(e, o, false);
    Xapian::MSet m = e.get_mset(0, 1);
    return m.empty() ? 0 : m[0].get_weight() * reach * (1 + 1e-9);
}

// Whether the first end hits of ranked (candidates at some depth, ranked
// by relevance) are those of the ranking at any greater depth: each one's
// rank key is above that of edge, a weight no document outside the
// candidates reaches (so none ties with them either). Then the page is a
// window into the one ranking, whatever depth found it.
bool page_settled(const std::vector<Ranked> &ranked, size_t end, double edge)
{
    return edge == 0 || (ranked.size() >= end && ranked[end - 1].key > rank_key(edge));
}

// How many times its plain weight a document can weigh with the pairs of
// q: each pair adds its factor times what its two words weigh, and the
// plain query weighs each word at least once. A match that lacks the term
// without (none: "") gains nothing from the pairs of that term.
double pairs_reach(const mg_xq *q, const std::string &without = std::string())
{
    std::unordered_map<std::string, double> per_word;
    double most = 0;
    for (const mg_near_pair &p : q->pairs) {
        if (!without.empty() && (p.a == without || p.b == without))
            continue;
        most = std::max(most, per_word[p.a] += p.factor);
        most = std::max(most, per_word[p.b] += p.factor);
    }
    return 1 + most;
}

// The same for any match of q: when every match lacks one of some terms
// (the partial matches of a relaxed query), the most over which one.
double match_reach(const mg_xq *q)
{
    if (q->lacks.empty())
        return pairs_reach(q);
    double most = 1;
    for (const std::string &t : q->lacks)
        most = std::max(most, pairs_reach(q, t));
    return most;
}

// Those of docs (none of them a hit of the page's ranking so far) that
// match q: a match restricted to them, weighing nothing.
std::vector<Xapian::docid> matching_of(mg_xsearch *xs, const mg_xq *q,
                                       const std::vector<Xapian::docid> &docs)
{
    std::vector<Xapian::docid> found;
    if (docs.empty())
        return found;
    Xapian::Enquire e(xs->db);
    e.set_query(Xapian::Query(
        Xapian::Query::OP_SCALE_WEIGHT,
        Xapian::Query(Xapian::Query::OP_AND, q->plain, candidates_query(xs, docs)), 0.0));
    Xapian::MSet m = e.get_mset(0, static_cast<Xapian::doccount>(docs.size()));
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
        found.push_back(*it);
    return found;
}

// The number of the candidates' copies outside them that match q (added to
// their group's hit), and all of them into out.
void fold_outside(mg_xsearch *xs, const mg_xq *q, const std::vector<Xapian::docid> &cands,
                  std::vector<Ranked> &ranked, std::vector<Xapian::docid> &out)
{
    std::unordered_map<Xapian::docid, size_t> hit_of; // first of the copies -> index
    for (size_t i = 0; i < ranked.size(); i++) {
        auto dup = xs->dups.find(ranked[i].did);
        if (dup != xs->dups.end())
            hit_of.emplace(dup->second, i);
    }
    std::vector<Xapian::docid> sorted = cands, extra;
    std::sort(sorted.begin(), sorted.end());
    for (const auto &g : hit_of)
        for (Xapian::docid d : xs->groups[g.first])
            if (!std::binary_search(sorted.begin(), sorted.end(), d))
                extra.push_back(d);
    out.insert(out.end(), extra.begin(), extra.end());
    for (Xapian::docid d : matching_of(xs, q, extra))
        ranked[hit_of[xs->dups[d]]].folded++;
}

// The copies of the rest's hits (past the candidates) that match q, counted
// as the candidates' are: Xapian's count is only of those its pruned match
// met, which depends on how the index is split. None of them is a
// candidate or a candidate's copy (their groups are left out of the rest).
void count_rest_copies(mg_xsearch *xs, const mg_xq *q, mg_xresult *rest)
{
    std::unordered_map<Xapian::docid, size_t> hit_of; // first of the copies -> index
    std::vector<Xapian::docid> others;
    for (size_t i = 0; i < rest->nhits; i++) {
        auto dup = xs->dups.find(rest->hits[i].did);
        if (dup == xs->dups.end())
            continue;
        hit_of.emplace(dup->second, i);
        rest->hits[i].collapsed = 0;
        for (Xapian::docid d : xs->groups[dup->second])
            if (d != rest->hits[i].did)
                others.push_back(d);
    }
    for (Xapian::docid d : matching_of(xs, q, others))
        rest->hits[hit_of[xs->dups[d]]].collapsed++;
}

// A page of the two-stage ranking (see above).
int rescore_run(mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o, mg_xresult *res, mg_err *err)
{
    uint64_t deadline = o->deadline_ns ? o->deadline_ns : UINT64_MAX;
    // the pairs' bonus is computed for BM25; another model ranks the
    // candidates of the whole query, matched in full
    bool bonus = !q->pairs.empty() && o->ranking == MG_RANK_BM25;
    const Xapian::Query &first = q->differs && !bonus ? q->q : q->plain;
    bool full1 = q->differs ? !bonus || !prunable(q->plain) : o->exhaustive;
    if (o->collapse)
        count_dups(xs);

    Xapian::Enquire e1(xs->db);
    e1.set_query(Xapian::Query(Xapian::Query::OP_AND, first, deadline_query(deadline, &res->cut)));
    set_weighting(e1, o, false); // never over shards (run_once)
    Xapian::doccount check = static_cast<Xapian::doccount>(
        std::min<size_t>(o->check_at_least, static_cast<size_t>(UINT_MAX)));
    if (full1)
        check = xs->db.get_doccount();
    // A page within the depth starts at its own end, and goes to the full
    // depth only when it is not settled there (page_settled()): the pairs
    // are read for a few candidates, not for a thousand. Recency's key is
    // not the weight that the edge bounds: its candidates are always at
    // the full depth.
    auto full = static_cast<Xapian::doccount>(o->rescore_depth);
    size_t end = o->offset + o->limit;
    Xapian::doccount depth = full;
    if (o->sort == MG_SORT_RELEVANCE && end < full && q->pairs.size() <= MAX_WIDE_PAIRS)
        depth = static_cast<Xapian::doccount>(std::max<size_t>(end, MIN_DEPTH));
    double reach = bonus ? match_reach(q) : 1, edge;
    std::vector<Xapian::docid> cands;
    std::vector<Ranked> ranked; // m1's first cands.size() are the candidates
    Xapian::MSet m1;
    for (;;) {
        bool short_of;
        m1 = first_stage(e1, depth, depth < full, check, reach, cands, &edge, &short_of, res);
        rank_candidates(xs, q, m1, cands.size(), o, ranked);
        g_ranked += cands.size();
        if (depth >= full || res->cut)
            break;
        if (short_of && page_settled(ranked, end, edge))
            edge = std::max(edge, pair_edge(xs, q, first, o, cands, reach, deadline, &res->cut));
        if (page_settled(ranked, end, edge))
            break;
        depth = full;
    }
    std::vector<Xapian::docid> out = cands; // what the rest leaves out
    if (o->collapse && !xs->dups.empty())
        fold_outside(xs, q, cands, ranked, out);

    size_t last = std::min(end, ranked.size());
    mg_xresult rest = {};
    if (end > ranked.size() && !cands.empty() && res->upper > cands.size()) {
        // the page reaches past the candidates: the rest by the plain weight
        Xapian::Query t(Xapian::Query::OP_AND_NOT, first, candidates_query(xs, out));
        mg_xq tail{t, t, {}, false};
        mg_xrun_opts ot = *o;
        ot.sort = MG_SORT_RELEVANCE;
        ot.facets = 0;
        ot.rescore_depth = 0;
        ot.exhaustive = full1;
        ot.offset = o->offset > ranked.size() ? o->offset - ranked.size() : 0;
        ot.limit = end - std::max(o->offset, ranked.size());
        ot.check_at_least = ot.offset + ot.limit;
        int rc = mg_xsearch_run(xs, &tail, &ot, &rest, err);
        if (rc < 0)
            return rc;
        res->cut |= rest.cut;
        // (counted by the rest's run when every document has its term)
        if (o->collapse && !xs->dups.empty() && !dup_terms(xs)) {
            try {
                count_rest_copies(xs, q, &rest);
            } catch (...) {
                mg_xresult_release(&rest);
                throw;
            }
        }
    }
    try {
        alloc_hits(res, (last > o->offset ? last - o->offset : 0) + rest.nhits);
        for (size_t r = o->offset; r < last; r++) {
            mg_xhit *h = &res->hits[res->nhits++];
            Xapian::MSetIterator it = m1[static_cast<Xapian::doccount>(ranked[r].at)];
            take_hit(h, it, it.get_document(), o->want_data);
            h->score = ranked[r].score;
            h->percent = std::min(100, m1.convert_to_percent(ranked[r].weight));
            h->collapsed = ranked[r].folded;
        }
        for (size_t r = 0; r < rest.nhits; r++) {
            res->hits[res->nhits] = rest.hits[r];
            res->hits[res->nhits++].percent = m1.convert_to_percent(rest.hits[r].score);
            rest.hits[r].data = nullptr;
        }
    } catch (...) {
        mg_xresult_release(&rest);
        throw;
    }
    mg_xresult_release(&rest);
    return 0;
}

} // namespace

namespace mg
{

// Two stages need morgue's own posting source of candidates: over remote
// shards, whose xapian-tcpsrv does not know it, the pairs are matched in
// full, as with rescore_depth off (docs/scaling.md).
bool wants_rescore(const mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o)
{
    return o->rescore_depth > 0 && o->limit > 0 && !o->count_only && shards_usable(xs) &&
           (o->sort == MG_SORT_RECENCY ||
            (o->sort == MG_SORT_RELEVANCE && !q->pairs.empty() && o->ranking == MG_RANK_BM25));
}

void recency_order(const Xapian::MSet &m, size_t n, const mg_xrun_opts *o,
                   std::vector<std::pair<size_t, double>> &order)
{
    std::vector<Ranked> r;
    std::vector<double> days(n, 0);
    std::vector<bool> dated(n, false);
    Xapian::MSetIterator it = m.begin();
    for (size_t i = 0; i < n && it != m.end(); ++i, ++it) {
        Xapian::Document d = it.get_document();
        r.push_back({*it, it.get_weight(), 0, 0, i, d.get_value(MG_SLOT_ID), 0});
        dated[i] = date_days(d.get_value(MG_SLOT_DATE), &days[i]);
    }
    decay(o, r, days, dated);
    std::sort(r.begin(), r.end(), [](const Ranked &a, const Ranked &b) {
        return a.key != b.key ? a.key > b.key : a.id < b.id;
    });
    order.clear();
    for (const Ranked &h : r)
        order.emplace_back(h.at, h.score);
}

int rescore_page(mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o, mg_xresult *res,
                 mg_err *err)
{
    int rc = rescore_run(xs, q, o, res, err);
    if (rc < 0 || !o->facets)
        return rc;
    // facets and exact counts over every match, as the full Enquire
    // gives them: a count of the plain query
    Xapian::Query none(Xapian::Query::OP_SCALE_WEIGHT, q->plain, 0.0);
    mg_xq counted{none, none, {}, false};
    mg_xrun_opts of = *o;
    of.offset = of.limit = 0;
    of.count_only = true;
    of.sort = MG_SORT_RELEVANCE;
    mg_xresult fr = {};
    if ((rc = mg_xsearch_run(xs, &counted, &of, &fr, err)) < 0) {
        mg_xresult_release(res);
        return rc;
    }
    res->facets = fr.facets;
    res->nfacets = fr.nfacets;
    res->estimate = fr.estimate;
    res->lower = fr.lower;
    res->upper = fr.upper;
    res->cut |= fr.cut;
    return 0;
}

} // namespace mg

extern "C" unsigned long long mg_xrescore_ranked(void) noexcept
{
    return g_ranked.load();
}
