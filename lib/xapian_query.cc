// SPDX-License-Identifier: GPL-2.0-or-later
// The queries of the search side (mg_xq): terms, operators, ranges, the
// proximity pairs of an OR, "more like this"; and what a query asks of the
// matcher before it runs: whether pruning keeps its documents, and the
// positional work of its NEARs.
#include "xapian_search_int.hh"

#include "schema.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

using namespace mg; // xapian_search_int.hh

namespace
{

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

// The terms of q into terms when q is an AND of terms (through filters and
// weight scales): a document that holds every one matches q. false when it
// is anything else.
bool and_of_terms(const Xapian::Query &q, std::vector<std::string> &terms)
{
    switch (q.get_type()) {
    case Xapian::Query::LEAF_TERM:
        terms.push_back(*q.get_terms_begin());
        return true;
    case Xapian::Query::OP_AND:
    case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_SCALE_WEIGHT:
        for (size_t i = 0; i < q.get_num_subqueries(); i++)
            if (!and_of_terms(q.get_subquery(i), terms))
                return false;
        return q.get_num_subqueries() > 0;
    default:
        return false;
    }
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

// The queries of subs into v, their pair-less forms into plain; whether a
// part holds proximity pairs of its own (plain then differs).
bool parts_of(mg_xq *const *subs, size_t n, std::vector<Xapian::Query> &v,
              std::vector<Xapian::Query> &plain)
{
    bool inner = false;
    v.reserve(n);
    plain.reserve(n);
    for (size_t i = 0; i < n; i++) {
        v.push_back(subs[i]->q);
        plain.push_back(subs[i]->plain);
        inner |= subs[i]->differs;
    }
    return inner;
}

} // namespace

namespace mg
{

bool prunable(const Xapian::Query &q)
{
    bool ors = false, posits = false;
    shape(q, &ors, &posits);
    return !(ors && posits);
}

int check_cost(const mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o, mg_err *err)
{
    if (!o->max_cost)
        return 0;
    unsigned widest = 0;
    unsigned long long cost = positional_cost(xs->db, q->q, &widest);
    if (cost > o->max_cost)
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_TOO_COSTLY,
                                 "too costly: a NEAR of %u words repeating common words "
                                 "(cost %llu, cap %llu): repeat fewer or rarer words",
                                 widest, cost, o->max_cost);
    return 0;
}

} // namespace mg

extern "C" {

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
        bool inner = parts_of(subs, n, v, plain);
        Xapian::Query q = combine(op, v, window);
        mg_xq *x = new mg_xq{q, inner ? combine(op, plain, window) : q, {}, inner};
        // the weighted parts: all of an AND or OR, the first of the others
        size_t weighted = op == MG_XQ_AND || op == MG_XQ_OR ? n : std::min<size_t>(n, 1);
        for (size_t i = 0; i < weighted; i++)
            x->pairs.insert(x->pairs.end(), subs[i]->pairs.begin(), subs[i]->pairs.end());
        // what every match lacks: the first part's (an AND's matches are
        // its matches too), or, leaving out an AND of terms, one of those
        if (n > 0 && (op == MG_XQ_AND || op == MG_XQ_AND_NOT || op == MG_XQ_FILTER))
            x->lacks = subs[0]->lacks;
        std::vector<std::string> terms;
        if (x->lacks.empty() && op == MG_XQ_AND_NOT) {
            for (size_t i = 1; i < n && x->lacks.empty(); i++) {
                if (and_of_terms(subs[i]->plain, terms))
                    x->lacks.swap(terms);
                terms.clear();
            }
        }
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
        bool inner = parts_of(subs, n, v, plain); // a part holds pairs of its own
        for (size_t i = 0; i < n; i++)
            if (subs[i]->q.get_type() == Xapian::Query::LEAF_TERM)
                terms.push_back(subs[i]->q);
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
            x->pairs.push_back(
                {*terms[i].get_terms_begin(), *terms[i + 1].get_terms_begin(), window, factor});
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

mg_xq *mg_xq_plain(const mg_xq *q, mg_err *err) noexcept
{
    try {
        return new mg_xq{q->plain, q->plain, {}, false, q->lacks};
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
            return new mg_xq{plain, plain, {}, false, q->lacks};
        mg_xq *x = new mg_xq{Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, q->q, factor), plain,
                             q->pairs, true, q->lacks};
        for (mg_near_pair &p : x->pairs)
            p.factor *= factor;
        return x;
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

} // extern "C"
