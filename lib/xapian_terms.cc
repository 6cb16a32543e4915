// SPDX-License-Identifier: GPL-2.0-or-later
// The words that set a query's best matches apart (request "terms"):
// Xapian's expansion set (Bo1) over a sample of the best matches, and the
// sample's stored records, from which lib/terms.c takes the words as
// written.
#include "xapian_search_int.hh"

#include "xapian_internal.hh"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

using namespace mg; // xapian_search_int.hh

namespace
{

// Whether term is an unprefixed stem (no boolean or title term) with a
// letter.
bool word_stem(const std::string &term)
{
    if (term.size() < 2 || (term[0] >= 'A' && term[0] <= 'Z'))
        return false;
    for (unsigned char c : term)
        if (c >= 0x80 || (c >= 'a' && c <= 'z'))
            return true;
    return false;
}

// The candidates: the word stems that at least `least` of the sample's
// documents hold, not in the query (skip), and accepted by the caller.
// A word one or two articles of a hundred use is rarely what the subject
// is about, and Bo1 can rank such a word high when the index hardly
// holds it (a garbled word, a typo); fewer candidates are fewer lookups
// of their frequencies in the whole index, too.
std::unordered_set<std::string> candidates(const Xapian::Database &db, const Xapian::MSet &sample,
                                           Xapian::doccount least,
                                           const std::unordered_set<std::string> &skip,
                                           mg_xterm_keep_fn keep, void *ctx)
{
    std::unordered_map<std::string, Xapian::doccount> held;
    for (Xapian::MSetIterator it = sample.begin(); it != sample.end(); ++it)
        for (Xapian::TermIterator t = db.termlist_begin(*it); t != db.termlist_end(*it); ++t)
            if (word_stem(*t))
                held[*t]++;
    std::unordered_set<std::string> out;
    for (const auto &h : held)
        if (h.second >= least && !skip.count(h.first) &&
            (!keep || keep(ctx, h.first.data(), h.first.size())))
            out.insert(h.first);
    return out;
}

// A word must be held by 3% of the sample (3 of 100; 1 of up to 33).
Xapian::doccount terms_least(Xapian::doccount sample)
{
    return std::max<Xapian::doccount>(1, (sample * 3 + 99) / 100);
}

class TermDecider : public Xapian::ExpandDecider
{
  public:
    explicit TermDecider(const std::unordered_set<std::string> &take) : take_(take)
    {
    }
    bool operator()(const std::string &term) const override
    {
        return take_.count(term) > 0;
    }

  private:
    const std::unordered_set<std::string> &take_;
};

} // namespace

extern "C" {

void mg_xterms_release(mg_xterms *t) noexcept
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nstems; i++)
        free(t->stems[i]);
    free(t->stems);
    for (size_t i = 0; i < t->nrecords; i++)
        free(t->records[i]);
    free(t->records);
    free(t->record_lens);
    *t = mg_xterms{};
}

int mg_xsearch_terms(mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o, size_t sample, size_t n,
                     mg_xterm_keep_fn keep, void *ctx, mg_xterms *out, mg_err *err) noexcept
{
    mg_err_clear(err);
    *out = mg_xterms{};
    try {
        std::vector<std::string> stems, records;
        bool cut = false;
        with_shards(xs, [&] {
            stems.clear();
            records.clear();
            cut = false;
            Xapian::Enquire enq(xs->db);
            // under the search's deadline, as its own match is (a remote
            // shard takes no posting source of ours: xapian_search.cc)
            if (xs->remote)
                enq.set_query(q->plain);
            else
                enq.set_query(Xapian::Query(
                    Xapian::Query::OP_AND, q->plain,
                    deadline_query(o->deadline_ns ? o->deadline_ns : UINT64_MAX, &cut)));
            set_weighting(enq, o, xs->remote);
            if (o->collapse)
                enq.set_collapse_key(collapse_slot(xs->db));
            Xapian::MSet m = enq.get_mset(0, static_cast<Xapian::doccount>(sample));
            if (m.empty())
                return 0;
            m.fetch(); // over remote shards: the documents in one go, not one at a time
            Xapian::RSet rset;
            for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it) {
                rset.add_document(*it);
                records.push_back(mg_stored_record(it.get_document()));
            }
            std::unordered_set<std::string> skip(q->plain.get_terms_begin(),
                                                 q->plain.get_terms_end());
            std::unordered_set<std::string> take =
                candidates(xs->db, m, terms_least(m.size()), skip, keep, ctx);
            TermDecider decider(take);
            // Bose-Einstein (DFR) rather than the default (Robertson's
            // selection value), which puts words nearly every article
            // holds ("said", "reuter") near the top
            enq.set_expansion_scheme("bo1");
            Xapian::ESet e = enq.get_eset(static_cast<Xapian::termcount>(n), rset, &decider);
            for (Xapian::ESetIterator t = e.begin(); t != e.end(); ++t)
                stems.push_back(*t);
            return 0;
        });
        mg_xterms t{};
        try {
            t.stems = static_cast<char **>(calloc(stems.size() + 1, sizeof *t.stems));
            t.records = static_cast<void **>(calloc(records.size() + 1, sizeof *t.records));
            t.record_lens =
                static_cast<size_t *>(calloc(records.size() + 1, sizeof *t.record_lens));
            if (!t.stems || !t.records || !t.record_lens)
                throw std::bad_alloc();
            for (const std::string &s : stems)
                t.stems[t.nstems++] = dup_string(s);
            for (const std::string &r : records) {
                t.records[t.nrecords] = dup_string(r);
                t.record_lens[t.nrecords++] = r.size();
            }
        } catch (...) {
            mg_xterms_release(&t);
            throw;
        }
        t.cut = cut;
        *out = t;
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "terms");
    }
}

} // extern "C"
