// SPDX-License-Identifier: GPL-2.0-or-later
// Counts of boolean queries of words read from their posting lists into a
// bitmap over document numbers: a relaxed query's total (the OR of its
// words, up to count_exact matches) costs a quarter of what the matcher's
// walk costs (bench/RESULTS-query.md). Deleted documents are in no posting
// list, so they are never counted.
#include "xapian_count.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

namespace
{

std::atomic<unsigned long long> g_runs{0};
std::atomic<bool> g_fast{true};

using Q = Xapian::Query;

uint64_t now_ns()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Whether every part of q is one this file counts.
bool countable(const Q &q)
{
    switch (q.get_type()) {
    case Q::LEAF_TERM:
    case Q::LEAF_MATCH_ALL:
    case Q::LEAF_MATCH_NOTHING:
        return true;
    case Q::OP_OR:
    case Q::OP_SYNONYM:
    case Q::OP_MAX:
    case Q::OP_AND:
    case Q::OP_FILTER:
    case Q::OP_AND_NOT:
    case Q::OP_AND_MAYBE:
    case Q::OP_SCALE_WEIGHT:
        for (size_t i = 0; i < q.get_num_subqueries(); i++)
            if (!countable(q.get_subquery(i)))
                return false;
        return q.get_num_subqueries() > 0;
    default: // positions, value ranges, posting sources, wildcards, XOR, ELITE_SET
        return false;
    }
}

// Whether q matches what an OR of its subqueries matches.
bool is_or(const Q &q)
{
    Q::op t = q.get_type();
    return t == Q::OP_OR || t == Q::OP_SYNONYM || t == Q::OP_MAX;
}

// q without the parts that change weights only: SCALE_WEIGHT's factor and
// AND_MAYBE's maybe side (the match set is the first side's).
Q matching(Q q)
{
    for (;;) {
        Q::op t = q.get_type();
        if (t == Q::OP_SCALE_WEIGHT || t == Q::OP_AND_MAYBE)
            q = q.get_subquery(0);
        else
            return q;
    }
}

// A number of documents q surely matches, from term frequencies alone
// (exact for live documents).
Xapian::doccount at_least(const Xapian::Database &db, const Q &q0)
{
    Q q = matching(q0);
    switch (q.get_type()) {
    case Q::LEAF_TERM:
        return db.get_termfreq(*q.get_terms_begin());
    case Q::LEAF_MATCH_ALL:
        return db.get_doccount();
    default:
        break;
    }
    if (!is_or(q))
        return 0;
    Xapian::doccount most = 0;
    for (size_t i = 0; i < q.get_num_subqueries(); i++)
        most = std::max(most, at_least(db, q.get_subquery(i)));
    return most;
}

// The postings a count reads in full: an AND, FILTER or AND_NOT reads each
// side to its end (an OR alone stops once it has enough), where the
// matcher stops after check matches. 0 for a query without such a part.
unsigned long long full_reads(const Xapian::Database &db, const Q &q0, bool whole)
{
    Q q = matching(q0);
    switch (q.get_type()) {
    case Q::LEAF_TERM:
        return whole ? db.get_termfreq(*q.get_terms_begin()) : 0;
    case Q::LEAF_MATCH_ALL:
        return whole ? db.get_doccount() : 0;
    case Q::LEAF_MATCH_NOTHING:
        return 0;
    default:
        break;
    }
    whole = whole || !is_or(q);
    unsigned long long n = 0;
    for (size_t i = 0; i < q.get_num_subqueries(); i++)
        n += full_reads(db, q.get_subquery(i), whole);
    return n;
}

// Past this many full reads per match wanted, the matcher, which skips
// ahead in an AND and stops at check matches, reads less.
constexpr unsigned long long MAX_READS_PER_MATCH = 4;
// One bitmap's document numbers at most (16 MiB): an index whose numbers
// went further (years of replaced articles) is counted by the matcher.
constexpr Xapian::docid MAX_BITMAP_DOCID = Xapian::docid{1} << 27;

// The documents of one evaluation, one bit per document number.
class Bitmap
{
  public:
    explicit Bitmap(Xapian::docid last) : w_((last >> 6) + 1, 0)
    {
    }
    // Set d's bit; whether it was clear.
    bool set(Xapian::docid d)
    {
        uint64_t m = uint64_t{1} << (d & 63), &w = w_[d >> 6];
        bool fresh = !(w & m);
        w |= m;
        return fresh;
    }
    // OR b in; how many bits were new.
    Xapian::doccount merge(const Bitmap &b)
    {
        Xapian::doccount n = 0;
        for (size_t i = 0; i < w_.size(); i++) {
            n += static_cast<Xapian::doccount>(__builtin_popcountll(b.w_[i] & ~w_[i]));
            w_[i] |= b.w_[i];
        }
        return n;
    }
    void keep(const Bitmap &b) // AND
    {
        for (size_t i = 0; i < w_.size(); i++)
            w_[i] &= b.w_[i];
    }
    void drop(const Bitmap &b) // AND NOT
    {
        for (size_t i = 0; i < w_.size(); i++)
            w_[i] &= ~b.w_[i];
    }
    Xapian::doccount count() const
    {
        Xapian::doccount n = 0;
        for (uint64_t w : w_)
            n += static_cast<Xapian::doccount>(__builtin_popcountll(w));
        return n;
    }

  private:
    std::vector<uint64_t> w_;
};

// One count: the database, the deadline, and whether it came.
class Counter
{
  public:
    Counter(const Xapian::Database &db, uint64_t deadline)
        : db_(db), last_(db.get_lastdocid()), deadline_(deadline)
    {
    }
    bool cut() const
    {
        return cut_;
    }
    Xapian::docid last() const
    {
        return last_;
    }

    // Set the bits of q's documents (q: any countable query) in into;
    // added grows by the bits that were clear, and the reading stops once
    // it reaches stop (0: never) or the deadline comes. Whether q was read
    // to its end.
    bool add(const Q &q0, Bitmap &into, Xapian::doccount &added, Xapian::doccount stop)
    {
        Q q = matching(q0);
        switch (q.get_type()) {
        case Q::LEAF_MATCH_NOTHING:
            return true;
        case Q::LEAF_TERM:
        case Q::LEAF_MATCH_ALL: {
            std::string term = q.get_type() == Q::LEAF_TERM ? *q.get_terms_begin() : "";
            if (late(true))
                return false;
            for (Xapian::PostingIterator p = db_.postlist_begin(term), end = db_.postlist_end(term);
                 p != end; ++p) {
                added += into.set(*p);
                if ((stop && added >= stop) || late(false))
                    return false;
            }
            return true;
        }
        default:
            break;
        }
        if (is_or(q)) {
            for (size_t i = 0; i < q.get_num_subqueries(); i++)
                if (!add(q.get_subquery(i), into, added, stop))
                    return false;
            return true;
        }
        // AND, FILTER, AND_NOT: the whole of each side, then combined
        Bitmap acc(last_);
        Xapian::doccount n = 0;
        if (!add(q.get_subquery(0), acc, n, 0))
            return false;
        for (size_t i = 1; i < q.get_num_subqueries(); i++) {
            Bitmap side(last_);
            n = 0;
            if (!add(q.get_subquery(i), side, n, 0))
                return false;
            if (q.get_type() == Q::OP_AND_NOT)
                acc.drop(side);
            else
                acc.keep(side);
        }
        added += into.merge(acc);
        return !(stop && added >= stop);
    }

  private:
    // Whether the deadline has come: looked at before each posting list
    // (at_start) and every 4,096 postings.
    bool late(bool at_start)
    {
        if (!deadline_ || (!at_start && ++ticks_ % 4096))
            return false;
        cut_ = now_ns() >= deadline_;
        return cut_;
    }

    const Xapian::Database &db_;
    Xapian::docid last_;
    uint64_t deadline_;
    unsigned ticks_ = 0;
    bool cut_ = false;
};

// seen matches of q are known (more may be): the estimate and upper bound
// from Xapian's statistics, never below seen.
void bounds(const Xapian::Database &db, const Q &q, Xapian::doccount seen, mg_xresult *res)
{
    Xapian::Enquire enq(db);
    enq.set_query(q);
    Xapian::MSet m = enq.get_mset(0, 0, static_cast<Xapian::doccount>(0));
    res->lower = seen;
    res->upper = std::max<unsigned long long>(m.get_matches_upper_bound(), seen);
    res->estimate = std::min<unsigned long long>(
        std::max<unsigned long long>(m.get_matches_estimated(), seen), res->upper);
}

} // namespace

extern "C" {

unsigned long long mg_xcount_fast_runs(void) noexcept
{
    return g_runs.load();
}

bool mg_xcount_set_fast(bool on) noexcept
{
    return g_fast.exchange(on);
}

} // extern "C"

namespace
{

// The two words of q when it is a query of two terms of type op (weights
// aside), else false.
bool two_words(const Q &q0, Q::op op, std::string &a, std::string &b)
{
    Q q = matching(q0);
    if (q.get_type() != op || q.get_num_subqueries() != 2)
        return false;
    Q x = matching(q.get_subquery(0)), y = matching(q.get_subquery(1));
    if (x.get_type() != Q::LEAF_TERM || y.get_type() != Q::LEAF_TERM)
        return false;
    a = *x.get_terms_begin();
    b = *y.get_terms_begin();
    return true;
}

} // namespace

bool mg_xcount_union(const Xapian::Database &db, const Xapian::Query &or_q,
                     const Xapian::Query &and_q, Xapian::doccount n_and, mg_xresult *res)
{
    std::string a, b, c, d;
    if (!g_fast.load() ||
        (!two_words(or_q, Q::OP_OR, a, b) && !two_words(or_q, Q::OP_SYNONYM, a, b)) ||
        !two_words(and_q, Q::OP_AND, c, d) || !((a == c && b == d) || (a == d && b == c)))
        return false;
    g_runs++;
    unsigned long long n =
        a == b ? db.get_termfreq(a)
               : static_cast<unsigned long long>(db.get_termfreq(a)) + db.get_termfreq(b) - n_and;
    res->cut = false;
    res->estimate = res->lower = res->upper = n;
    return true;
}

bool mg_xcount_plain(const Xapian::Database &db, const Xapian::Query &q, Xapian::doccount check,
                     uint64_t deadline_ns, mg_xresult *res)
{
    if (!g_fast.load() || check == 0 || !countable(q) || db.get_lastdocid() > MAX_BITMAP_DOCID ||
        full_reads(db, q, false) > MAX_READS_PER_MATCH * check)
        return false;
    g_runs++;
    res->cut = false;
    // one word alone has check matches or more: no reading
    Xapian::doccount sure = at_least(db, q);
    if (sure >= check) {
        bounds(db, q, sure, res);
        return true;
    }
    Counter c(db, deadline_ns);
    Bitmap seen(c.last());
    Xapian::doccount n = 0;
    bool whole = c.add(q, seen, n, check);
    if (whole) {
        res->estimate = res->lower = res->upper = n;
    } else if (c.cut()) { // mg_xsearch_run widens the counts of a cut run
        res->cut = true;
        res->estimate = res->lower = res->upper = n;
    } else {
        bounds(db, q, n, res);
    }
    return true;
}
