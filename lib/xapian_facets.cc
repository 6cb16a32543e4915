// SPDX-License-Identifier: GPL-2.0-or-later
// The facets of a search: FacetSpy counts the values of a slot over the
// match set, take_facets() puts the counts into the result.
#include "xapian_search_int.hh"

#include "period.h"
#include "schema.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace mg
{

void FacetSpy::operator()(const Xapian::Document &doc, double)
{
    seen_++;
    add(doc.get_value(slot_), 1);
}

void FacetSpy::absorb(const Xapian::ValueCountMatchSpy &spy)
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

void FacetSpy::add(const std::string &v, Xapian::doccount n)
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

std::string FacetSpy::name() const
{
    return std::string("morgue.facet.") + name_;
}

void take_facets(mg_xresult *res, const std::vector<FacetSpy *> &spies)
{
    if (spies.empty())
        return;
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
        f->values =
            static_cast<mg_facet_value *>(calloc(v.empty() ? 1 : v.size(), sizeof(mg_facet_value)));
        if (!f->values)
            throw std::bad_alloc();
        for (const auto &kv : v) {
            f->values[f->nvalues].value = dup_string(kv.first);
            f->values[f->nvalues].count = kv.second;
            f->nvalues++;
        }
    }
}

} // namespace mg

extern "C" {

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

} // extern "C"
