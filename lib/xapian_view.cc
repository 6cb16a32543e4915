// SPDX-License-Identifier: GPL-2.0-or-later
// The view of a database that a searcher holds: the database a path, a
// symlink or a Xapian stub names (or a topology's shards, combined),
// reopened when that changes or a new revision is committed; its lookups
// by term, and the copies of a document (the view's map of copies).
#include "xapian_search_int.hh"

#include "schema.h"
#include "topology.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

using namespace mg; // xapian_search_int.hh

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
    if (sp == std::string::npos ||
        (l.compare(0, sp, "auto") != 0 && l.compare(0, sp, "glass") != 0))
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

// The near-duplicate term of a slot 8 value (8 bytes).
std::string dup_term(const std::string &key)
{
    char t[MG_DUP_TERM_LEN + 1];
    mg_dup_term(reinterpret_cast<const unsigned char *>(key.data()), t);
    return std::string(t, MG_DUP_TERM_LEN);
}

// The document indexed by a unique term, or 0.
Xapian::docid doc_by_term(const Xapian::Database &db, const std::string &t)
{
    Xapian::PostingIterator p = db.postlist_begin(t);
    return p == db.postlist_end(t) ? 0 : *p;
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
        // in turn: a search for the key instead (its term when every
        // document has one, else a range of one value: a scan on each
        // shard's side)
        Xapian::Enquire enq(xs->db);
        if (slot == MG_SLOT_NEARDUP && key.size() == 8 && dup_terms(xs))
            enq.set_query(Xapian::Query(dup_term(key)));
        else
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
} // namespace

namespace mg
{

// The slot duplicates fold on: the near-duplicate key when every document
// has one (an index built by schema 3), else the text hash, which older
// documents have too.
Xapian::valueno collapse_slot(const Xapian::Database &db)
{
    Xapian::doccount n = db.get_doccount();
    return n && db.get_value_freq(MG_SLOT_NEARDUP) == n ? MG_SLOT_NEARDUP : MG_SLOT_COLLAPSE;
}

bool dup_terms(mg_xsearch *xs)
{
    if (!xs->dupterms_valid) {
        auto has = [](const Xapian::Database &db) {
            return db.get_metadata(MG_META_DUPTERMS) == "1";
        };
        xs->dupterms = xs->shards ? xs->shards->every(has) : has(xs->db);
        xs->dupterms_valid = true;
    }
    return xs->dupterms;
}

void exact_copies(mg_xsearch *xs, const Xapian::Query &q, const std::vector<std::string> &keys,
                  mg_xresult *res)
{
    std::vector<Xapian::Query> terms;
    for (const std::string &k : keys)
        if (k.size() == 8)
            terms.emplace_back(dup_term(k));
    if (terms.empty())
        return;
    Xapian::Enquire e(xs->db);
    e.set_query(Xapian::Query(Xapian::Query::OP_FILTER, q,
                              Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end())));
    e.set_weighting_scheme(Xapian::BoolWeight());
    Xapian::ValueCountMatchSpy spy(MG_SLOT_NEARDUP);
    e.add_matchspy(&spy);
    e.get_mset(0, 0, xs->db.get_doccount());
    std::unordered_map<std::string, Xapian::doccount> n;
    for (Xapian::TermIterator v = spy.values_begin(); v != spy.values_end(); ++v)
        n[*v] = v.get_termfreq();
    for (size_t i = 0; i < res->nhits && i < keys.size(); i++) {
        auto at = n.find(keys[i]);
        if (at != n.end() && at->second > 0)
            res->hits[i].collapsed = at->second - 1;
    }
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

} // namespace mg

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
            xs->dups_valid = xs->dupterms_valid = false;
            return 1;
        }
        if (xs->shards) {
            bool changed = xs->shards->refresh();
            changed |= xs->shards->reopen();
            if (!changed)
                return 0;
            xs->db = xs->shards->db();
            xs->dups_valid = xs->dupterms_valid = false;
            return 1;
        }
        if (!xs->db.reopen())
            return 0;
        xs->dups_valid = xs->dupterms_valid = false;
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

unsigned long long mg_xsearch_stamp(mg_xsearch *xs) noexcept
{
    try {
        if (!xs->shards)
            return 0;
        return with_shards(xs, [xs] { return xs->shards->stamp(); });
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

void mg_xsearch_configure_shards(unsigned timeout_ms,
                                 void (*log)(int level, const char *msg)) noexcept
{
    g_shard_log = log;
    mg::shards_configure(timeout_ms, log ? shard_log : nullptr, nullptr);
}

} // extern "C"
