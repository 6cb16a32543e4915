// SPDX-License-Identifier: GPL-2.0-or-later
// BM25, BM25+ and BM25L as a Xapian::Weight (the formulas: xapian_weight.hh).
#include "xapian_weight.hh"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mg
{

Bm25Weight::Bm25Weight(const Bm25Params &params) : p(params)
{
    need_stat(COLLECTION_SIZE);
    need_stat(TERMFREQ);
    need_stat(WDF);
    need_stat(WDF_MAX);
    need_stat(AVERAGE_LENGTH);
    need_stat(DOC_LENGTH);
    need_stat(DOC_LENGTH_MIN);
    if (p.k3 != 0)
        need_stat(WQF);
}

Bm25Weight *Bm25Weight::clone() const
{
    return new Bm25Weight(p);
}

void Bm25Weight::init(double factor)
{
    double avdl = get_average_length();
    inv_avdl = avdl > 0 ? 1 / avdl : 0;
    if (factor == 0) { // the term-independent part: none
        termweight = 0;
        return;
    }
    double n = get_termfreq(), N = get_collection_size();
    double r = (N - n + 0.5) / (n + 0.5);
    double idf = std::log(r < 2 ? r * 0.5 + 1 : r);
    double qtf = 1;
    if (p.k3 != 0) {
        double wqf = get_wqf();
        qtf = (p.k3 + 1) * wqf / (p.k3 + wqf);
    }
    termweight = idf * qtf * factor;
}

std::string Bm25Weight::name() const
{
    return "mg::Bm25Weight";
}

// Only for remote databases, which morgue does not use; exact anyway: the
// five doubles in host byte order, then the tf variant.
std::string Bm25Weight::serialise() const
{
    const double v[] = {p.k1, p.b, p.k3, p.min_normlen, p.delta};
    std::string s(reinterpret_cast<const char *>(v), sizeof v);
    s += static_cast<char>(p.tf);
    return s;
}

Bm25Weight *Bm25Weight::unserialise(const std::string &s) const
{
    double v[5];
    if (s.size() != sizeof v + 1)
        throw Xapian::SerialisationError("mg::Bm25Weight: bad parameters");
    std::memcpy(v, s.data(), sizeof v);
    Bm25Params q;
    q.k1 = v[0];
    q.b = v[1];
    q.k3 = v[2];
    q.min_normlen = v[3];
    q.delta = v[4];
    q.tf = s.back();
    return new Bm25Weight(q);
}

double Bm25Weight::tf_part(double wdf, double doclen) const
{
    if (wdf <= 0)
        return 0;
    double len = (1 - p.b) + p.b * std::max(doclen * inv_avdl, p.min_normlen);
    switch (p.tf) {
    case Bm25Params::PLUS:
        return (p.k1 + 1) * wdf / (p.k1 * len + wdf) + p.delta;
    case Bm25Params::L: {
        double c = wdf / len + p.delta;
        return (p.k1 + 1) * c / (p.k1 + c);
    }
    default:
        return (p.k1 + 1) * wdf / (p.k1 * len + wdf);
    }
}

double Bm25Weight::get_sumpart(Xapian::termcount wdf, Xapian::termcount doclen,
                               Xapian::termcount) const
{
    return termweight * tf_part(wdf, doclen);
}

// tf_part grows with wdf and shrinks with the length, and a document holding
// wdf occurrences is at least wdf long (and at least the shortest document):
// so the most any document can score is at wdf_max with that length.
double Bm25Weight::get_maxpart() const
{
    double wdf = get_wdf_upper_bound();
    double len = std::max<double>(wdf, get_doclength_lower_bound());
    return termweight * tf_part(wdf, len);
}

double Bm25Weight::get_sumextra(Xapian::termcount, Xapian::termcount) const
{
    return 0;
}

double Bm25Weight::get_maxextra() const
{
    return 0;
}

} // namespace mg
