// SPDX-License-Identifier: GPL-2.0-or-later
// The search side of the C API over libxapian: read-only database with
// symlink-switch detection, query construction, Enquire, facets, collapse.
#include "xapian_search.h"
#include "xapian_count.h"
#include "xapian_internal.hh"
#include "xapian_shards.hh"
#include "xapian_weight.hh"

#include "period.h"
#include "schema.h"
#include "topology.h"

#include <xapian.h>

#include <sys/stat.h>
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
};

namespace
{

// The lines of a Xapian stub file that name databases (no comments, no
// blank lines); false when it cannot be read or is over 64 KiB.
bool stub_lines(const std::string &stub, std::vector<std::string> &lines)
{
    FILE *f = fopen(stub.c_str(), "r");
    if (!f)
        return false;
    char buf[4096];
    size_t total = 0;
    while (fgets(buf, sizeof buf, f)) {
        total += strlen(buf);
        std::string l(buf);
        while (!l.empty() && strchr(" \t\r\n", l.back()))
            l.pop_back();
        size_t b = l.find_first_not_of(" \t");
        if (b != std::string::npos && l[b] != '#')
            lines.push_back(l.substr(b));
    }
    bool good = !ferror(f) && total <= 65536;
    fclose(f);
    return good;
}

// The database directory a stub file names, when it names exactly one local
// database ("auto PATH" or "glass PATH", PATH relative to the stub's
// directory); "" otherwise.
std::string stub_target(const std::string &stub)
{
    std::vector<std::string> lines;
    if (!stub_lines(stub, lines) || lines.size() != 1)
        return "";
    const std::string &l = lines[0];
    size_t sp = l.find_first_of(" \t");
    if (sp == std::string::npos || (l.compare(0, sp, "auto") != 0 && l.compare(0, sp, "glass") != 0))
        return "";
    std::string target = l.substr(l.find_first_not_of(" \t", sp));
    if (target[0] != '/')
        target = stub.substr(0, stub.rfind('/') + 1) + target;
    return target;
}

// Resolve path to what it points at now, and that thing's identity. A
// symlink is followed. So is a stub database that names one local database:
// a stub file, or a directory holding one named XAPIANDB, which is how
// xapian-replicate keeps its copy (XAPIANDB names replica_0 or replica_1
// and is replaced by rename(2) when a full copy arrives, and the copy it
// named is then deleted). Any other stub is identified by the stub file
// itself, so that replacing it is seen too.
bool resolve(const std::string &path, std::string &real, dev_t &dev, ino_t &ino)
{
    // Twice: the database a stub named may be deleted just after the stub
    // was replaced, between our reading it and opening the database.
    for (int attempt = 0; attempt < 2; attempt++) {
        char *r = realpath(path.c_str(), nullptr);
        if (!r)
            return false;
        real = r;
        free(r);
        struct stat st;
        if (stat(real.c_str(), &st) != 0)
            return false;
        dev = st.st_dev;
        ino = st.st_ino;
        std::string stub = S_ISDIR(st.st_mode) ? real + "/XAPIANDB" : real;
        struct stat sst;
        if (stat(stub.c_str(), &sst) != 0 || !S_ISREG(sst.st_mode))
            return true; // a database directory
        std::string target = stub_target(stub);
        if (target.empty()) { // some other stub: its own identity
            dev = sst.st_dev;
            ino = sst.st_ino;
            return true;
        }
        if ((r = realpath(target.c_str(), nullptr)) != nullptr) {
            std::string t = r;
            free(r);
            if (stat(t.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
                real = t;
                dev = st.st_dev;
                ino = st.st_ino;
                return true;
            }
        }
    }
    return false;
}

char *dup_string(const std::string &s)
{
    char *p = static_cast<char *>(malloc(s.size() + 1));
    if (!p)
        throw std::bad_alloc();
    memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    return p;
}

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
    void operator()(const Xapian::Document &doc, double) override
    {
        seen_++;
        add(doc.get_value(slot_), 1);
    }
    // The counts of a ValueCountMatchSpy on the same slot instead (a
    // built-in spy, which crosses the remote backend): the same result.
    void absorb(const Xapian::ValueCountMatchSpy &spy)
    {
        seen_ = spy.get_total();
        Xapian::doccount valued = 0;
        for (Xapian::TermIterator it = spy.values_begin(); it != spy.values_end(); ++it) {
            add(*it, it.get_termfreq());
            valued += it.get_termfreq();
        }
        if (mode_ == DATE && seen_ > valued) // no value: undated
            counts_[MG_FACET_UNDATED] += seen_ - valued;
    }
    void add(const std::string &v, Xapian::doccount n)
    {
        if (mode_ == DATE) {
            char key[MG_PERIOD_KEY_MAX];
            if (mg_period_key(period_, v.data(), v.size(), key) == 0)
                counts_[key] += n;
            else
                counts_[MG_FACET_UNDATED] += n;
            return;
        }
        if (v.empty())
            return;
        if (mode_ == WHOLE) {
            counts_[v] += n;
            return;
        }
        size_t s = 0;
        while (s <= v.size()) {
            size_t e = v.find(MG_CAT_SEP, s);
            if (e == std::string::npos)
                e = v.size();
            if (e > s)
                counts_[v.substr(s, e - s)] += n;
            s = e + 1;
        }
    }
    std::string name() const override
    {
        return std::string("morgue.facet.") + name_;
    }
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

// Only unprefixed stems (no boolean or title terms) make "more like this".
class StemDecider : public Xapian::ExpandDecider
{
  public:
    bool operator()(const std::string &term) const override
    {
        unsigned char c = term.empty() ? 'A' : static_cast<unsigned char>(term[0]);
        return !(c >= 'A' && c <= 'Z') && term.size() > 1;
    }
};

mg_xq *wrap(const Xapian::Query &q)
{
    return new mg_xq{q, q, {}, false};
}

// The document indexed by a unique term, or 0.
Xapian::docid doc_by_term(const Xapian::Database &db, const std::string &t)
{
    Xapian::PostingIterator p = db.postlist_begin(t);
    return p == db.postlist_end(t) ? 0 : *p;
}

// The slot duplicates fold on: the near-duplicate key when every document
// has one (an index built by schema 3), else the text hash, which older
// documents have too.
Xapian::valueno collapse_slot(const Xapian::Database &db)
{
    Xapian::doccount n = db.get_doccount();
    return n && db.get_value_freq(MG_SLOT_NEARDUP) == n ? MG_SLOT_NEARDUP : MG_SLOT_COLLAPSE;
}

// Find the documents that share their collapse key with another (news
// archives have few: syndicated copies), once per view of the database, so
// that a search reads no collapse key at all.
void count_dups(mg_xsearch *xs)
{
    if (xs->dups_valid)
        return;
    std::vector<std::pair<std::string, Xapian::docid>> keys;
    keys.reserve(xs->db.get_doccount());
    Xapian::valueno slot = collapse_slot(xs->db);
    for (Xapian::ValueIterator it = xs->db.valuestream_begin(slot);
         it != xs->db.valuestream_end(slot); ++it)
        keys.emplace_back(*it, it.get_docid());
    std::sort(keys.begin(), keys.end());
    std::unordered_map<Xapian::docid, Xapian::docid> dups;
    std::unordered_map<Xapian::docid, std::vector<Xapian::docid>> groups;
    for (size_t i = 0; i < keys.size();) {
        size_t j = i + 1;
        while (j < keys.size() && keys[j].first == keys[i].first)
            j++;
        if (j - i > 1)
            for (size_t k = i; k < j; k++) {
                dups.emplace(keys[k].second, keys[i].second);
                groups[keys[i].second].push_back(keys[k].second);
            }
        i = j;
    }
    xs->dups.swap(dups);
    xs->groups.swap(groups);
    xs->dups_valid = true;
}

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
}

void alloc_hits(mg_xresult *res, size_t n)
{
    res->hits = static_cast<mg_xhit *>(calloc(n ? n : 1, sizeof(mg_xhit)));
    if (!res->hits)
        throw std::bad_alloc();
}

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
bool fast_page(mg_xsearch *xs, Xapian::Enquire &enq, const mg_xrun_opts *o, Xapian::doccount check,
               mg_xresult *res)
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
    for (size_t r = o->offset; r < last; r++) {
        mg_xhit *h = &res->hits[res->nhits++];
        take_hit(h, kept[r].it, kept[r].it.get_document(), o->want_data);
        h->collapsed = kept[r].folded;
    }
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
    Deadline(uint64_t deadline, bool *cut) : deadline_(deadline), cut_(cut) {}
    // one per shard of a sharded index, all noting the cut in one place
    Deadline *clone() const override { return new Deadline(deadline_, cut_); }
    Xapian::doccount get_termfreq_min() const override { return n_; }
    Xapian::doccount get_termfreq_est() const override { return n_; }
    Xapian::doccount get_termfreq_max() const override { return n_; }
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
    bool at_end() const override { return over_ || did_ > last_; }
    Xapian::docid get_docid() const override { return did_; }
    double get_weight() const override { return 0; }
    std::string get_description() const override { return "Deadline()"; }
};

// The positional work a query asks for, before matching. Checking the
// positions of a NEAR costs little for distinct words, but grows steeply
// with a word repeated in it ("the NEAR the NEAR the ..."): each NEAR
// costs, for each word repeated in it, the documents holding the word times
// the square of its repeats. (A phrase checks positions in order: its cost
// stays linear, and the time budget bounds it.)
unsigned long long positional_cost(const Xapian::Database &db, const Xapian::Query &q,
                                   unsigned *widest)
{
    size_t n = q.get_num_subqueries();
    int op = q.get_type();
    if (op == Xapian::Query::OP_NEAR && n >= 3) {
        std::unordered_map<std::string, unsigned long long> repeats;
        for (size_t i = 0; i < n; i++) { // each part (get_terms_begin() folds repeats)
            Xapian::Query part = q.get_subquery(i);
            for (Xapian::TermIterator t = part.get_terms_begin(); t != part.get_terms_end(); ++t)
                repeats[*t]++;
        }
        unsigned long long cost = 0;
        for (const auto &r : repeats)
            if (r.second > 1)
                cost += db.get_termfreq(r.first) * r.second * r.second;
        if (n > *widest)
            *widest = static_cast<unsigned>(n);
        return cost;
    }
    unsigned long long cost = 0;
    for (size_t i = 0; i < n; i++)
        cost += positional_cost(db, q.get_subquery(i), widest);
    return cost;
}

// The ids of the documents with the collapse key of self, self left out.
void find_copies(mg_xsearch *xs, Xapian::docid self, std::vector<std::string> &ids)
{
    Xapian::valueno slot = collapse_slot(xs->db);
    std::string key = xs->db.get_document(self).get_value(slot);
    if (key.empty())
        return;
    if (xs->remote) {
        // A value stream over the remote backend reads every document
        // in turn: a search for the key instead.
        Xapian::Enquire enq(xs->db);
        enq.set_query(Xapian::Query(Xapian::Query::OP_VALUE_RANGE, slot, key, key));
        enq.set_weighting_scheme(Xapian::BoolWeight());
        Xapian::MSet m = enq.get_mset(0, xs->db.get_doccount());
        for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
            if (*it != self)
                ids.push_back(it.get_document().get_value(MG_SLOT_ID));
        return;
    }
    // A scan of one value stream: a get, not a search, and cheaper than a
    // term per key in every document.
    for (Xapian::ValueIterator it = xs->db.valuestream_begin(slot);
         it != xs->db.valuestream_end(slot); ++it)
        if (*it == key && it.get_docid() != self)
            ids.push_back(xs->db.get_document(it.get_docid()).get_value(MG_SLOT_ID));
}

// Open the database or topology at real into xs (the old view is kept
// when this throws).
void open_view(mg_xsearch *xs, const std::string &real)
{
    if (mg_topology_is(real.c_str())) {
        auto fresh = std::make_unique<mg::ShardSet>(real);
        xs->db = fresh->db();
        xs->remote = fresh->remote();
        xs->shards = std::move(fresh);
    } else {
        xs->db = Xapian::Database(real);
        xs->shards.reset();
        xs->remote = false;
    }
}

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
            xs->dups_valid = false;
        }
    }
}

// ---- two-stage ranking (issue 19): the page of a query with proximity
// pairs, or sorted by relevance and recency ----
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
// The pairs are not matched by Xapian here: restricted to the candidates
// (an AND with them, or an AND_MAYBE) Xapian 1.4 check()s the OR of NEARs,
// and OrPostList::check() adds the weight of a NEAR that failed its
// position test (see mg_xq_or_near()).

// The given documents (sorted), weighing nothing: AND_NOT excludes them,
// AND keeps only them.
class Candidates : public Xapian::PostingSource
{
    std::vector<Xapian::docid> ids_;
    size_t at_ = 0;
    bool started_ = false;

  public:
    explicit Candidates(std::vector<Xapian::docid> ids) : ids_(std::move(ids)) {}
    Xapian::doccount get_termfreq_min() const override { return ids_.size(); }
    Xapian::doccount get_termfreq_est() const override { return ids_.size(); }
    Xapian::doccount get_termfreq_max() const override { return ids_.size(); }
    void init(const Xapian::Database &) override
    {
        at_ = 0;
        started_ = false;
        set_maxweight(0);
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
    bool at_end() const override { return started_ && at_ >= ids_.size(); }
    Xapian::docid get_docid() const override { return ids_[at_]; }
    double get_weight() const override { return 0; }
    std::string get_description() const override { return "Candidates()"; }
};

Xapian::Query candidates_query(std::vector<Xapian::docid> ids)
{
    std::sort(ids.begin(), ids.end());
    return Xapian::Query((new Candidates(std::move(ids)))->release());
}

// Whether a query holds an OR and a phrase or NEAR: Xapian 1.4's pruned
// matcher can drop documents of such a query (search_run.c, unprunable()).
void shape(const Xapian::Query &q, bool *ors, bool *posits)
{
    int op = q.get_type();
    *ors |= op == Xapian::Query::OP_OR;
    *posits |= op == Xapian::Query::OP_PHRASE || op == Xapian::Query::OP_NEAR;
    for (size_t i = 0; i < q.get_num_subqueries(); i++)
        shape(q.get_subquery(i), ors, posits);
}

bool prunable(const Xapian::Query &q)
{
    bool ors = false, posits = false;
    shape(q, &ors, &posits);
    return !(ors && posits);
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

struct Ranked {
    Xapian::docid did;
    double weight; // plain weight plus the pairs' bonus
    double key;    // the rank key: weight, or its log2 less the age in half-lives
    double score;  // reported: weight, or weight times the decay
    size_t at;     // index in the first stage's MSet
    std::string id;
    unsigned folded;
};

// Times the recency decay (MG_SORT_RECENCY): the age from the newest
// candidate (any reference gives the same order), undated ones as old as
// the oldest dated one.
void decay(mg_xsearch *xs, const mg_xrun_opts *o, std::vector<Ranked> &r)
{
    std::vector<std::pair<Xapian::docid, size_t>> by_doc;
    for (size_t i = 0; i < r.size(); i++)
        by_doc.emplace_back(r[i].did, i);
    std::sort(by_doc.begin(), by_doc.end());
    std::vector<double> days(r.size(), 0);
    std::vector<bool> dated(r.size(), false);
    Xapian::ValueIterator v = xs->db.valuestream_begin(MG_SLOT_DATE);
    double newest = -1e18, oldest = 1e18;
    for (const auto &d : by_doc)
        if (v.check(d.first) && date_days(*v, &days[d.second])) {
            dated[d.second] = true;
            newest = std::max(newest, days[d.second]);
            oldest = std::min(oldest, days[d.second]);
        }
    double half = o->half_life > 0 ? o->half_life : MG_HALF_LIFE_DAYS;
    for (size_t i = 0; i < r.size(); i++) {
        double age = newest < oldest ? 0 : newest - (dated[i] ? days[i] : oldest);
        // (a query that weighs nothing, "*": by age alone)
        r[i].key = std::log2(std::max(r[i].weight, 1e-300)) - age / half;
        r[i].score = r[i].weight * std::exp2(-age / half);
    }
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
    for (Ranked &h : r)
        h.key = h.score = h.weight;
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

constexpr Xapian::doccount MAX_CANDIDATES = 10; // times the depth

// The first stage: the candidates' numbers (step 1 above), from the query
// of enq (under the deadline), and the MSet they lead. reach: how many
// times its plain weight a document can weigh after rescoring; every
// document that could then pass the depth-th plain weight is a candidate,
// so the first depth of the ranking are those of an exhaustive match.
Xapian::MSet first_stage(Xapian::Enquire &enq, const mg_xrun_opts *o, Xapian::doccount check,
                         double reach, std::vector<Xapian::docid> &cands, mg_xresult *counts)
{
    auto depth = static_cast<Xapian::doccount>(o->rescore_depth);
    Xapian::MSet m = enq.get_mset(0, depth, std::max(check, depth));
    counts->estimate = m.get_matches_estimated();
    counts->lower = m.get_matches_lower_bound();
    counts->upper = m.get_matches_upper_bound();
    if (m.size() == depth) {
        // Those within reach of the depth-th weight: one more match, pruned
        // from the start by that weight (Xapian keeps a document of the
        // cutoff weight itself). At most MAX_CANDIDATES times the depth:
        // past that, of equal weights (a query that weighs nothing, sorted
        // by recency), Xapian's order (document number) decides.
        double edge = m[depth - 1].get_weight() / reach;
        enq.set_cutoff(0, edge);
        m = enq.get_mset(0, depth * MAX_CANDIDATES, check);
        enq.set_cutoff(0, 0);
    }
    cands.clear();
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
        cands.push_back(*it);
    return m;
}

// How many times its plain weight a document can weigh with the pairs of
// q: each pair adds its factor times what its two words weigh, and the
// plain query weighs each word at least once.
double pairs_reach(const mg_xq *q)
{
    std::unordered_map<std::string, double> per_word;
    double most = 0;
    for (const mg_near_pair &p : q->pairs) {
        most = std::max(most, per_word[p.a] += p.factor);
        most = std::max(most, per_word[p.b] += p.factor);
    }
    return 1 + most;
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
    if (extra.empty())
        return;
    out.insert(out.end(), extra.begin(), extra.end());
    Xapian::Enquire e(xs->db);
    e.set_query(Xapian::Query(
        Xapian::Query::OP_SCALE_WEIGHT,
        Xapian::Query(Xapian::Query::OP_AND, q->plain, candidates_query(extra)), 0.0));
    Xapian::MSet m = e.get_mset(0, static_cast<Xapian::doccount>(extra.size()));
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
        ranked[hit_of[xs->dups[*it]]].folded++;
}

// A page of the two-stage ranking (see above).
int rescore_run(mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o, mg_xresult *res,
                mg_err *err)
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
    e1.set_query(Xapian::Query(Xapian::Query::OP_AND, first,
                               Xapian::Query((new Deadline(deadline, &res->cut))->release())));
    set_weighting(e1, o, false); // never over shards (run_once)
    Xapian::doccount check = static_cast<Xapian::doccount>(
        std::min<size_t>(o->check_at_least, static_cast<size_t>(UINT_MAX)));
    if (full1)
        check = xs->db.get_doccount();
    std::vector<Xapian::docid> cands;
    Xapian::MSet m1 = first_stage(e1, o, check, bonus ? pairs_reach(q) : 1, cands, res);
    std::vector<Ranked> ranked; // m1's first cands.size() are the candidates
    rank_candidates(xs, q, m1, cands.size(), o, ranked);
    std::vector<Xapian::docid> out = cands; // what the rest leaves out
    if (o->collapse && !xs->dups.empty())
        fold_outside(xs, q, cands, ranked, out);

    size_t end = o->offset + o->limit;
    size_t last = std::min(end, ranked.size());
    mg_xresult rest = {};
    if (end > ranked.size() && !cands.empty() && res->upper > cands.size()) {
        // the page reaches past the candidates: the rest by the plain weight
        Xapian::Query t(Xapian::Query::OP_AND_NOT, first, candidates_query(out));
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

// The Xapian query of op over v (mg_xq_combine()); std::invalid_argument
// for an unknown op.
Xapian::Query combine(int op, const std::vector<Xapian::Query> &v, unsigned window)
{
    switch (op) {
    case MG_XQ_AND:
        return Xapian::Query(Xapian::Query::OP_AND, v.begin(), v.end());
    case MG_XQ_OR:
        return Xapian::Query(Xapian::Query::OP_OR, v.begin(), v.end());
    case MG_XQ_SYNONYM:
        return Xapian::Query(Xapian::Query::OP_SYNONYM, v.begin(), v.end());
    case MG_XQ_PHRASE:
        return Xapian::Query(Xapian::Query::OP_PHRASE, v.begin(), v.end(), window);
    case MG_XQ_NEAR:
        return Xapian::Query(Xapian::Query::OP_NEAR, v.begin(), v.end(), window);
    case MG_XQ_AND_NOT:
    case MG_XQ_FILTER: {
        if (v.empty())
            return Xapian::Query();
        if (v.size() == 1)
            return v[0];
        if (op == MG_XQ_FILTER)
            return Xapian::Query(Xapian::Query::OP_FILTER, v[0],
                                 Xapian::Query(Xapian::Query::OP_AND, v.begin() + 1, v.end()));
        return Xapian::Query(Xapian::Query::OP_AND_NOT, v[0],
                             Xapian::Query(Xapian::Query::OP_OR, v.begin() + 1, v.end()));
    }
    }
    throw std::invalid_argument("operator");
}

} // namespace

extern "C" {

mg_xsearch *mg_xsearch_open(const char *path, mg_err *err) noexcept
{
    mg_err_clear(err);
    if (!path || !*path) {
        mg_err_set(err, MG_EINVAL, "open database: no path given");
        return nullptr;
    }
    mg_xsearch *xs = nullptr;
    try {
        xs = new mg_xsearch;
        xs->path = path;
        if (!resolve(xs->path, xs->real, xs->dev, xs->ino)) {
            int en = errno;
            mg_err_set_detail(err, MG_ENOTFOUND, en, "open database %s: %s", path, strerror(en));
            delete xs;
            return nullptr;
        }
        open_view(xs, xs->real);
        return xs;
    } catch (...) {
        delete xs;
        mg_xapian_catch(err, path);
        return nullptr;
    }
}

void mg_xsearch_free(mg_xsearch *xs) noexcept
{
    try {
        delete xs;
    } catch (...) {
    }
}

int mg_xsearch_reopen(mg_xsearch *xs, mg_err *err) noexcept
{
    mg_err_clear(err);
    try {
        std::string real;
        dev_t dev;
        ino_t ino;
        if (!resolve(xs->path, real, dev, ino)) {
            int en = errno;
            return mg_err_set_detail(err, MG_ENOTFOUND, en, "reopen %s: %s", xs->path.c_str(),
                                     strerror(en));
        }
        if (real != xs->real || dev != xs->dev || ino != xs->ino) {
            open_view(xs, real);
            xs->real = real;
            xs->dev = dev;
            xs->ino = ino;
            xs->dups_valid = false;
            return 1;
        }
        if (xs->shards) {
            bool changed = xs->shards->refresh();
            changed |= xs->shards->reopen();
            if (!changed)
                return 0;
            xs->db = xs->shards->db();
            xs->dups_valid = false;
            return 1;
        }
        if (!xs->db.reopen())
            return 0;
        xs->dups_valid = false;
        return 1;
    } catch (...) {
        return mg_xapian_catch(err, xs->path.c_str());
    }
}

const char *mg_xsearch_path(const mg_xsearch *xs) noexcept
{
    return xs->real.c_str();
}

unsigned long long mg_xsearch_doccount(mg_xsearch *xs) noexcept
{
    try {
        return xs->db.get_doccount();
    } catch (...) {
        return 0;
    }
}

unsigned long long mg_xsearch_revision(mg_xsearch *xs) noexcept
{
    try {
        if (xs->shards)
            return xs->shards->revision();
        return xs->db.get_revision();
    } catch (...) {
        return 0;
    }
}

long mg_xsearch_metadata(mg_xsearch *xs, const char *key, char *buf, size_t cap,
                         mg_err *err) noexcept
{
    mg_err_clear(err);
    try {
        std::string v = xs->db.get_metadata(key);
        if (cap) {
            size_t n = std::min(v.size(), cap - 1);
            memcpy(buf, v.data(), n);
            buf[n] = '\0';
        }
        return static_cast<long>(v.size());
    } catch (...) {
        return mg_xapian_catch(err, "metadata");
    }
}

long long mg_xsearch_termfreq(mg_xsearch *xs, const char *term, size_t len, mg_err *err) noexcept
{
    mg_err_clear(err);
    try {
        return with_shards(xs, [&] { return xs->db.get_termfreq(std::string(term, len)); });
    } catch (...) {
        return mg_xapian_catch(err, "termfreq");
    }
}

int mg_xsearch_each_term(mg_xsearch *xs, const char *prefix, size_t len, mg_xterm_fn fn, void *ctx,
                         mg_err *err) noexcept
{
    mg_err_clear(err);
    try {
        std::string p(prefix, len);
        // (the terms are read first, so that fn sees each once after a retry)
        std::vector<std::pair<std::string, Xapian::doccount>> terms;
        with_shards(xs, [&] {
            terms.clear();
            for (Xapian::TermIterator t = xs->db.allterms_begin(p); t != xs->db.allterms_end(p);
                 ++t)
                terms.emplace_back(*t, t.get_termfreq());
            return 0;
        });
        for (const auto &t : terms) {
            int r = fn(ctx, t.first.data(), t.first.size(), t.second);
            if (r)
                return r;
        }
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "terms");
    }
}

int mg_xsearch_term_data(mg_xsearch *xs, const char *term, size_t len, void **out, size_t *out_len,
                         mg_err *err) noexcept
{
    mg_err_clear(err);
    *out = nullptr;
    *out_len = 0;
    try {
        Xapian::docid did = 0;
        std::string data = with_shards(xs, [&] {
            did = doc_by_term(xs->db, std::string(term, len));
            return did ? mg_stored_record(xs->db.get_document(did)) : std::string();
        });
        if (!did && xs->shards && !xs->shards->missing().empty())
            return mg_err_set(err, MG_EDB,
                              "no document with %.*s on the shards reachable (%zu missing, "
                              "among them %.100s)",
                              (int)len, term, xs->shards->missing().size(),
                              xs->shards->missing()[0].c_str());
        if (!did)
            return mg_err_set(err, MG_ENOTFOUND, "no document with %.*s", (int)len, term);
        void *buf = malloc(data.size() ? data.size() : 1);
        if (!buf)
            throw std::bad_alloc();
        memcpy(buf, data.data(), data.size());
        *out = buf;
        *out_len = data.size();
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "get document");
    }
}

long mg_xsearch_copies(mg_xsearch *xs, const char *term, size_t len, mg_xid_fn fn, void *ctx,
                       mg_err *err) noexcept
{
    mg_err_clear(err);
    try {
        Xapian::docid self = 0;
        std::vector<std::string> ids;
        with_shards(xs, [&] {
            ids.clear();
            self = doc_by_term(xs->db, std::string(term, len));
            if (self)
                find_copies(xs, self, ids);
            return 0;
        });
        if (!self)
            return mg_err_set(err, MG_ENOTFOUND, "no document with %.*s", (int)len, term);
        std::sort(ids.begin(), ids.end());
        for (const std::string &id : ids)
            if (fn(ctx, id.c_str()))
                break;
        return static_cast<long>(ids.size());
    } catch (...) {
        return mg_xapian_catch(err, "copies");
    }
}

mg_xq *mg_xq_term(const char *term, size_t len, mg_err *err) noexcept
{
    try {
        return wrap(Xapian::Query(std::string(term, len)));
    } catch (...) {
        mg_xapian_catch(err, "query");
        return nullptr;
    }
}

mg_xq *mg_xq_combine(int op, mg_xq *const *subs, size_t n, unsigned window, mg_err *err) noexcept
{
    try {
        std::vector<Xapian::Query> v, plain;
        bool inner = false;
        v.reserve(n);
        plain.reserve(n);
        for (size_t i = 0; i < n; i++) {
            v.push_back(subs[i]->q);
            plain.push_back(subs[i]->plain);
            inner |= subs[i]->differs;
        }
        Xapian::Query q = combine(op, v, window);
        mg_xq *x = new mg_xq{q, inner ? combine(op, plain, window) : q, {}, inner};
        // the weighted parts: all of an AND or OR, the first of the others
        size_t weighted = op == MG_XQ_AND || op == MG_XQ_OR ? n : std::min<size_t>(n, 1);
        for (size_t i = 0; i < weighted; i++)
            x->pairs.insert(x->pairs.end(), subs[i]->pairs.begin(), subs[i]->pairs.end());
        return x;
    } catch (const std::invalid_argument &) {
        mg_err_set(err, MG_EINTERNAL, "query: unknown operator %d", op);
        return nullptr;
    } catch (...) {
        mg_xapian_catch(err, "query");
        return nullptr;
    }
}

// Such queries run with exhaustive set, so nothing is pruned: once Xapian
// 1.4.22 prunes by weight, the pairs end up on the maybe side and are
// check()ed, and OrPostList::check() records a branch whose check fails (a
// NEAR failing its position test) as standing on the next document; when
// the other branch stands there, the failed NEAR's weight is added (read
// from wherever its postlist stands). Hanging each pair on its own
// AND_MAYBE avoided that (the pages agreed), but checks the NEARs at every
// candidate of the OR: four times the instructions of the unpruned OR on
// relaxed Reuters queries (bench/RESULTS-query.md).
mg_xq *mg_xq_or_near(mg_xq *const *subs, size_t n, unsigned window, double factor,
                     mg_err *err) noexcept
{
    try {
        std::vector<Xapian::Query> v, plain, terms, pairs;
        bool inner = false; // a part holds pairs of its own
        v.reserve(n);
        plain.reserve(n);
        for (size_t i = 0; i < n; i++) {
            v.push_back(subs[i]->q);
            plain.push_back(subs[i]->plain);
            inner |= subs[i]->differs;
            if (subs[i]->q.get_type() == Xapian::Query::LEAF_TERM)
                terms.push_back(subs[i]->q);
        }
        Xapian::Query any(Xapian::Query::OP_OR, v.begin(), v.end());
        Xapian::Query any_plain =
            inner ? Xapian::Query(Xapian::Query::OP_OR, plain.begin(), plain.end()) : any;
        mg_xq *x = new mg_xq{any, any_plain, {}, inner};
        for (size_t i = 0; i < n; i++)
            x->pairs.insert(x->pairs.end(), subs[i]->pairs.begin(), subs[i]->pairs.end());
        if (factor <= 0 || terms.size() < 2)
            return x;
        for (size_t i = 0; i + 1 < terms.size(); i++) {
            const Xapian::Query pair[2] = {terms[i], terms[i + 1]};
            pairs.emplace_back(Xapian::Query::OP_NEAR, pair, pair + 2, window);
            x->pairs.push_back({*terms[i].get_terms_begin(), *terms[i + 1].get_terms_begin(),
                                window, factor});
        }
        Xapian::Query near(Xapian::Query::OP_OR, pairs.begin(), pairs.end());
        x->q = Xapian::Query(Xapian::Query::OP_OR, any,
                             Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, near, factor));
        x->differs = true;
        return x;
    } catch (...) {
        mg_xapian_catch(err, "query");
        return nullptr;
    }
}

mg_xq *mg_xq_all(mg_err *err) noexcept
{
    try {
        return wrap(Xapian::Query::MatchAll);
    } catch (...) {
        mg_xapian_catch(err, "query");
        return nullptr;
    }
}

mg_xq *mg_xq_date_range(const char *lo, const char *hi, mg_err *err) noexcept
{
    return mg_xq_value_range(MG_SLOT_DATE, lo, hi, err);
}

mg_xq *mg_xq_value_range(unsigned slot, const char *lo, const char *hi, mg_err *err) noexcept
{
    try {
        bool l = lo && *lo, h = hi && *hi;
        if (l && h)
            return wrap(Xapian::Query(Xapian::Query::OP_VALUE_RANGE, slot, lo, hi));
        if (l)
            return wrap(Xapian::Query(Xapian::Query::OP_VALUE_GE, slot, lo));
        if (h)
            return wrap(Xapian::Query(Xapian::Query::OP_VALUE_LE, slot, hi));
        return wrap(Xapian::Query::MatchAll);
    } catch (...) {
        mg_xapian_catch(err, "query");
        return nullptr;
    }
}

mg_xq *mg_xq_scale(const mg_xq *q, double factor, mg_err *err) noexcept
{
    try {
        Xapian::Query plain(Xapian::Query::OP_SCALE_WEIGHT, q->plain, factor);
        // weighing nothing, the pairs change nothing but the cost
        if (!q->differs || factor == 0)
            return new mg_xq{plain, plain, {}, false};
        mg_xq *x = new mg_xq{Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, q->q, factor), plain,
                             q->pairs, true};
        for (mg_near_pair &p : x->pairs)
            p.factor *= factor;
        return x;
    } catch (...) {
        mg_xapian_catch(err, "query");
        return nullptr;
    }
}

mg_xq *mg_xq_plain(const mg_xq *q, mg_err *err) noexcept
{
    try {
        return new mg_xq{q->plain, q->plain, {}, false};
    } catch (...) {
        mg_xapian_catch(err, "query");
        return nullptr;
    }
}

mg_xq *mg_xq_like(mg_xsearch *xs, const char *uid_term, size_t nterms, mg_xterm_fn fn, void *ctx,
                  mg_err *err) noexcept
{
    try {
        bool found = true;
        Xapian::ESet eset = with_shards(xs, [&] {
            Xapian::PostingIterator p = xs->db.postlist_begin(uid_term);
            found = p != xs->db.postlist_end(uid_term);
            if (!found)
                return Xapian::ESet();
            Xapian::RSet rset;
            rset.add_document(*p);
            Xapian::Enquire enq(xs->db);
            StemDecider decider;
            return enq.get_eset(static_cast<Xapian::termcount>(nterms), rset, &decider);
        });
        if (!found) {
            mg_err_set(err, MG_ENOTFOUND, "no document %s", uid_term);
            return nullptr;
        }
        std::vector<Xapian::Query> terms;
        for (Xapian::ESetIterator t = eset.begin(); t != eset.end(); ++t) {
            const std::string &term = *t;
            terms.emplace_back(term);
            if (fn)
                fn(ctx, term.data(), term.size(), 0);
        }
        Xapian::Query like(Xapian::Query::OP_OR, terms.begin(), terms.end());
        return wrap(Xapian::Query(Xapian::Query::OP_AND_NOT, like, Xapian::Query(uid_term)));
    } catch (...) {
        mg_xapian_catch(err, "like");
        return nullptr;
    }
}

bool mg_xq_empty(const mg_xq *q) noexcept
{
    return q->q.empty();
}

void mg_xq_free(mg_xq *q) noexcept
{
    try {
        delete q;
    } catch (...) {
    }
}

char *mg_xq_describe(const mg_xq *q) noexcept
{
    try {
        return dup_string(q->q.get_description());
    } catch (...) {
        return nullptr;
    }
}

void mg_xfacets_free(mg_facet *f, size_t n) noexcept
{
    if (!f)
        return;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < f[i].nvalues; k++)
            free(f[i].values[k].value);
        free(f[i].values);
    }
    free(f);
}

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
        if (o->max_cost) {
            unsigned widest = 0;
            unsigned long long cost = positional_cost(xs->db, q->q, &widest);
            if (cost > o->max_cost)
                return mg_err_set_detail(err, MG_EINVAL, MG_RE_TOO_COSTLY,
                                         "too costly: a NEAR of %u words repeating common words "
                                         "(cost %llu, cap %llu): repeat fewer or rarer words",
                                         widest, cost, o->max_cost);
        }
        // Two stages need morgue's own posting source of candidates, which
        // holds the combined database's document numbers: over shards (and
        // remote ones, whose xapian-tcpsrv does not know it) the pairs are
        // matched in full, as with rescore_depth off (docs/scaling.md).
        if (o->rescore_depth > 0 && o->limit > 0 && !o->count_only && !xs->shards &&
            (o->sort == MG_SORT_RECENCY ||
             (o->sort == MG_SORT_RELEVANCE && !q->pairs.empty() && o->ranking == MG_RANK_BM25))) {
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
        // a count of words from their posting lists (xapian_count.cc)
        if (o->limit == 0 && o->offset == 0 && !o->facets && !o->collapse && !xs->shards &&
            mg_xcount_plain(xs->db, q->q, o->exhaustive ? xs->db.get_doccount() : o->check_at_least,
                            o->deadline_ns, res))
            return 0;
        Xapian::Enquire enq(xs->db);
        // Always under the deadline (one that never comes without a
        // budget): its presence changes Xapian's percentages of some
        // hits, which must not depend on whether a budget is set. A remote
        // shard takes no posting source of ours: Xapian's time limit
        // instead, and the result counts as cut when the time ran out.
        if (xs->remote) {
            enq.set_query(q->q);
            if (o->deadline_ns) {
                uint64_t now = monotonic_ns();
                double left = o->deadline_ns > now ? (o->deadline_ns - now) / 1e9 : 1e-6;
                enq.set_time_limit(left);
            }
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
            if (fast_page(xs, enq, o, check, res))
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
        Xapian::MSet mset = enq.get_mset(static_cast<Xapian::doccount>(o->offset),
                                         static_cast<Xapian::doccount>(o->limit), check);
        for (size_t i = 0; i < vspies.size(); i++)
            spies[i]->absorb(*vspies[i]);
        if (xs->remote && o->deadline_ns && monotonic_ns() >= o->deadline_ns)
            res->cut = true;
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
            alloc_hits(res, mset.size());
            if (xs->remote) // the page's documents in one exchange, not one by one
                mset.fetch();
            for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it)
                take_hit(&res->hits[res->nhits++], it, it.get_document(), o->want_data);
        }
        if (!spies.empty()) {
            res->facets = static_cast<mg_facet *>(calloc(spies.size(), sizeof(mg_facet)));
            if (!res->facets)
                throw std::bad_alloc();
            for (FacetSpy *spy : spies) {
                mg_facet *f = &res->facets[res->nfacets++];
                f->name = spy->facet_name();
                std::vector<std::pair<std::string, Xapian::doccount>> v(spy->counts().begin(),
                                                                        spy->counts().end());
                // periods in date order (MG_FACET_UNDATED sorts last), others
                // most frequent first
                bool by_date = spy->by_date();
                std::sort(v.begin(), v.end(), [by_date](const auto &a, const auto &b) {
                    if (by_date || a.second == b.second)
                        return a.first < b.first;
                    return a.second > b.second;
                });
                f->values = static_cast<mg_facet_value *>(
                    calloc(v.empty() ? 1 : v.size(), sizeof(mg_facet_value)));
                if (!f->values)
                    throw std::bad_alloc();
                for (const auto &kv : v) {
                    f->values[f->nvalues].value = dup_string(kv.first);
                    f->values[f->nvalues].count = kv.second;
                    f->nvalues++;
                }
            }
        }
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

int mg_xsearch_run(mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o, mg_xresult *res,
                   mg_err *err) noexcept
{
    for (size_t tries = 0;; tries++) {
        try {
            int rc = run_once(xs, q, o, res, err);
            if (rc == 0 && res->cut) {
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
                xs->dups_valid = false;
            } catch (...) {
                return mg_xapian_catch(err, "search");
            }
        } catch (...) {
            return mg_xapian_catch(err, "search");
        }
    }
}

size_t mg_xsearch_nmissing(const mg_xsearch *xs) noexcept
{
    return xs->shards ? xs->shards->missing().size() : 0;
}

const char *mg_xsearch_missing(const mg_xsearch *xs, size_t i) noexcept
{
    return xs->shards && i < xs->shards->missing().size() ? xs->shards->missing()[i].c_str()
                                                          : nullptr;
}

namespace
{
void (*g_shard_log)(int level, const char *msg);
void shard_log(void *, int level, const char *msg)
{
    if (g_shard_log)
        g_shard_log(level, msg);
}
} // namespace

void mg_xsearch_configure_shards(unsigned timeout_ms, void (*log)(int level, const char *msg)) noexcept
{
    g_shard_log = log;
    mg::shards_configure(timeout_ms, log ? shard_log : nullptr, nullptr);
}

} // extern "C"
