// SPDX-License-Identifier: GPL-2.0-or-later
// The lower-bounded BM25 variants of Lv & Zhai (CIKM 2011), BM25+ and BM25L,
// as a Xapian weighting scheme (plain Okapi BM25 too, equal to Xapian's
// BM25Weight with k2 0, k3 1, min_normlen 0.5). Used by lib/xapian_search.cc
// for MORGUE_RANKING=bm25plus|bm25l; tests/unit/test_ranking.c checks it.
#ifndef MG_XAPIAN_WEIGHT_HH
#define MG_XAPIAN_WEIGHT_HH

#include <xapian.h>

#include <string>

namespace mg
{

struct Bm25Params {
    enum Tf { OKAPI = 0, PLUS = 1, L = 2 };
    double k1 = 1.2, b = 0.75;
    double k3 = 1;            // query-term frequency saturation (0: ignore wqf)
    double min_normlen = 0.5; // floor of doclen / average doclen
    double delta = 0;         // PLUS: added to a matched term's tf part; L: shift of c(t,d)
    int tf = OKAPI;
};

// For one query term t of a document d (tf = wdf, L = (1-b) + b * max(
// doclen / avgdl, min_normlen)), with qtf = (k3+1) wqf / (k3 + wqf) (1 if k3 is
// 0), the weight is idf(t) * qtf * factor times
//   OKAPI  (k1+1) tf / (k1 L + tf)
//   PLUS   (k1+1) tf / (k1 L + tf) + delta                  (tf > 0)
//   L      (k1+1) (c + delta) / (k1 + c + delta), c = tf/L   (tf > 0)
// and idf as Xapian's BM25Weight, with N documents of which n contain t:
// log(r) with r = (N-n+0.5)/(n+0.5), replaced by log(1 + r/2) when r < 2.
class Bm25Weight : public Xapian::Weight
{
  public:
    explicit Bm25Weight(const Bm25Params &p);
    Bm25Weight *clone() const override;
    void init(double factor) override;
    std::string name() const override;
    std::string serialise() const override;
    Bm25Weight *unserialise(const std::string &s) const override;
    double get_sumpart(Xapian::termcount wdf, Xapian::termcount doclen,
                       Xapian::termcount uniqterms) const override;
    double get_maxpart() const override;
    double get_sumextra(Xapian::termcount doclen, Xapian::termcount uniqterms) const override;
    double get_maxextra() const override;

  private:
    double tf_part(double wdf, double doclen) const; // no idf, no qtf
    Bm25Params p;
    double termweight = 0; // idf * qtf * factor
    double inv_avdl = 0;   // 1 / average document length (0 when unknown)
};

} // namespace mg

#endif
