// SPDX-License-Identifier: GPL-2.0-or-later
// The search side of the C API over libxapian: read-only database with
// symlink-switch detection, query construction, Enquire, facets, collapse.
#include "xapian_search.h"
#include "xapian_internal.hh"

#include "schema.h"

#include <xapian.h>

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
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
};

struct mg_xq {
    Xapian::Query q;
};

namespace
{

// Resolve path to what it points at now, and that thing's identity.
bool resolve(const std::string &path, std::string &real, dev_t &dev, ino_t &ino)
{
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
    return true;
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
// split on MG_CAT_SEP (categories), or the year / month of the date slot.
class FacetSpy : public Xapian::MatchSpy
{
  public:
    enum Mode { WHOLE, SPLIT, YEAR, MONTH };
    FacetSpy(const char *name, Xapian::valueno slot, Mode mode)
        : name_(name), slot_(slot), mode_(mode)
    {
    }
    void operator()(const Xapian::Document &doc, double) override
    {
        std::string v = doc.get_value(slot_);
        if (v.empty())
            return;
        switch (mode_) {
        case WHOLE:
            counts_[v]++;
            break;
        case SPLIT: {
            size_t s = 0;
            while (s <= v.size()) {
                size_t e = v.find(MG_CAT_SEP, s);
                if (e == std::string::npos)
                    e = v.size();
                if (e > s)
                    counts_[v.substr(s, e - s)]++;
                s = e + 1;
            }
            break;
        }
        case YEAR:
            if (v.size() >= 4)
                counts_[v.substr(0, 4)]++;
            break;
        case MONTH:
            if (v.size() >= 6)
                counts_[v.substr(0, 4) + "-" + v.substr(4, 2)]++;
            break;
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
    const std::unordered_map<std::string, Xapian::doccount> &counts() const
    {
        return counts_;
    }

  private:
    const char *name_;
    Xapian::valueno slot_;
    Mode mode_;
    std::unordered_map<std::string, Xapian::doccount> counts_;
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
    return new mg_xq{q};
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
            mg_err_set(err, MG_ENOTFOUND, "open database %s: %s", path, strerror(errno));
            delete xs;
            return nullptr;
        }
        xs->db = Xapian::Database(xs->real);
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
        if (!resolve(xs->path, real, dev, ino))
            return mg_err_set(err, MG_ENOTFOUND, "reopen %s: %s", xs->path.c_str(),
                              strerror(errno));
        if (real != xs->real || dev != xs->dev || ino != xs->ino) {
            Xapian::Database fresh(real);
            xs->db = fresh;
            xs->real = real;
            xs->dev = dev;
            xs->ino = ino;
            return 1;
        }
        return xs->db.reopen() ? 1 : 0;
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
        return xs->db.get_termfreq(std::string(term, len));
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
        for (Xapian::TermIterator t = xs->db.allterms_begin(p); t != xs->db.allterms_end(p); ++t) {
            const std::string &term = *t;
            int r = fn(ctx, term.data(), term.size(), t.get_termfreq());
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
        std::string t(term, len);
        Xapian::PostingIterator p = xs->db.postlist_begin(t);
        if (p == xs->db.postlist_end(t))
            return mg_err_set(err, MG_ENOTFOUND, "no document with %s", t.c_str());
        std::string data = xs->db.get_document(*p).get_data();
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
        std::vector<Xapian::Query> v;
        v.reserve(n);
        for (size_t i = 0; i < n; i++)
            v.push_back(subs[i]->q);
        switch (op) {
        case MG_XQ_AND:
            return wrap(Xapian::Query(Xapian::Query::OP_AND, v.begin(), v.end()));
        case MG_XQ_OR:
            return wrap(Xapian::Query(Xapian::Query::OP_OR, v.begin(), v.end()));
        case MG_XQ_SYNONYM:
            return wrap(Xapian::Query(Xapian::Query::OP_SYNONYM, v.begin(), v.end()));
        case MG_XQ_PHRASE:
            return wrap(Xapian::Query(Xapian::Query::OP_PHRASE, v.begin(), v.end(), window));
        case MG_XQ_NEAR:
            return wrap(Xapian::Query(Xapian::Query::OP_NEAR, v.begin(), v.end(), window));
        case MG_XQ_AND_NOT:
        case MG_XQ_FILTER: {
            if (n == 0)
                return wrap(Xapian::Query());
            Xapian::Query rest(Xapian::Query::OP_OR, v.begin() + 1, v.end());
            if (n == 1)
                return wrap(v[0]);
            if (op == MG_XQ_FILTER) {
                rest = Xapian::Query(Xapian::Query::OP_AND, v.begin() + 1, v.end());
                return wrap(Xapian::Query(Xapian::Query::OP_FILTER, v[0], rest));
            }
            return wrap(Xapian::Query(Xapian::Query::OP_AND_NOT, v[0], rest));
        }
        }
        mg_err_set(err, MG_EINTERNAL, "query: unknown operator %d", op);
        return nullptr;
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
    try {
        bool l = lo && *lo, h = hi && *hi;
        if (l && h)
            return wrap(Xapian::Query(Xapian::Query::OP_VALUE_RANGE, MG_SLOT_DATE, lo, hi));
        if (l)
            return wrap(Xapian::Query(Xapian::Query::OP_VALUE_GE, MG_SLOT_DATE, lo));
        if (h)
            return wrap(Xapian::Query(Xapian::Query::OP_VALUE_LE, MG_SLOT_DATE, hi));
        return wrap(Xapian::Query::MatchAll);
    } catch (...) {
        mg_xapian_catch(err, "query");
        return nullptr;
    }
}

mg_xq *mg_xq_scale(const mg_xq *q, double factor, mg_err *err) noexcept
{
    try {
        return wrap(Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, q->q, factor));
    } catch (...) {
        mg_xapian_catch(err, "query");
        return nullptr;
    }
}

mg_xq *mg_xq_like(mg_xsearch *xs, const char *uid_term, size_t nterms, mg_xterm_fn fn, void *ctx,
                  mg_err *err) noexcept
{
    try {
        Xapian::PostingIterator p = xs->db.postlist_begin(uid_term);
        if (p == xs->db.postlist_end(uid_term)) {
            mg_err_set(err, MG_ENOTFOUND, "no document %s", uid_term);
            return nullptr;
        }
        Xapian::RSet rset;
        rset.add_document(*p);
        Xapian::Enquire enq(xs->db);
        StemDecider decider;
        Xapian::ESet eset = enq.get_eset(static_cast<Xapian::termcount>(nterms), rset, &decider);
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
    for (size_t i = 0; i < res->nhits; i++)
        free(res->hits[i].data);
    free(res->hits);
    res->hits = nullptr;
    res->nhits = 0;
}

int mg_xsearch_run(mg_xsearch *xs, const mg_xq *q, const mg_xrun_opts *o, mg_xresult *res,
                   mg_err *err) noexcept
{
    mg_err_clear(err);
    memset(res, 0, sizeof *res);
    std::vector<FacetSpy *> spies;
    try {
        Xapian::Enquire enq(xs->db);
        enq.set_query(q->q);
        if (o->ranking == MG_RANK_DFR)
            enq.set_weighting_scheme(Xapian::IneB2Weight());
        else
            enq.set_weighting_scheme(Xapian::BM25Weight(o->k1, 0, 1, o->b, 0.5));
        Xapian::MultiValueKeyMaker keys;
        if (o->sort == MG_SORT_NEWEST || o->sort == MG_SORT_OLDEST) {
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
            enq.set_collapse_key(MG_SLOT_COLLAPSE);
        static const struct {
            unsigned flag;
            const char *name;
            Xapian::valueno slot;
            FacetSpy::Mode mode;
        } kinds[] = {{MG_FACET_SOURCE, "source", MG_SLOT_SOURCE, FacetSpy::WHOLE},
                     {MG_FACET_CATEGORY, "category", MG_SLOT_CATS, FacetSpy::SPLIT},
                     {MG_FACET_YEAR, "year", MG_SLOT_DATE, FacetSpy::YEAR},
                     {MG_FACET_MONTH, "month", MG_SLOT_DATE, FacetSpy::MONTH}};
        for (const auto &k : kinds)
            if (o->facets & k.flag) {
                spies.push_back(new FacetSpy(k.name, k.slot, k.mode));
                enq.add_matchspy(spies.back());
            }
        Xapian::doccount n = xs->db.get_doccount();
        Xapian::doccount check = static_cast<Xapian::doccount>(
            std::min<size_t>(o->check_at_least, static_cast<size_t>(UINT_MAX)));
        if (!spies.empty())
            check = n; // facets over the whole match set
        Xapian::MSet mset = enq.get_mset(static_cast<Xapian::doccount>(o->offset),
                                         static_cast<Xapian::doccount>(o->limit), check);
        res->estimate = mset.get_matches_estimated();
        res->lower = mset.get_matches_lower_bound();
        res->upper = mset.get_matches_upper_bound();
        res->hits = static_cast<mg_xhit *>(calloc(mset.size() ? mset.size() : 1, sizeof(mg_xhit)));
        if (!res->hits)
            throw std::bad_alloc();
        for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
            mg_xhit *h = &res->hits[res->nhits];
            std::string data = it.get_document().get_data();
            h->data = malloc(data.size() ? data.size() : 1);
            if (!h->data)
                throw std::bad_alloc();
            memcpy(h->data, data.data(), data.size());
            h->len = data.size();
            h->score = it.get_weight();
            h->percent = it.get_percent();
            h->collapsed = it.get_collapse_count();
            res->nhits++;
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
                std::sort(v.begin(), v.end(), [](const auto &a, const auto &b) {
                    return a.second != b.second ? a.second > b.second : a.first < b.first;
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
        return 0;
    } catch (...) {
        for (FacetSpy *spy : spies)
            delete spy;
        mg_xresult_release(res);
        mg_xfacets_free(res->facets, res->nfacets);
        res->facets = nullptr;
        res->nfacets = 0;
        return mg_xapian_catch(err, "search");
    }
}

} // extern "C"
