// SPDX-License-Identifier: GPL-2.0-or-later
// The write side of the C API over libxapian: databases, documents, compaction.
#include "xapian_internal.hh"
#include "xapian_shim.h"

#include "schema.h"
#include "topology.h"

#include <xapian.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <vector>

namespace
{

// Xapian reports a lock file it may not open or create as a DatabaseLockError
// too; its message ends with the system's reason.
bool lock_refused(const char *detail) noexcept
{
    static const int refusals[] = {EACCES, EPERM, EROFS};
    for (int e : refusals)
        if (strstr(detail, strerror(e)))
            return true;
    return false;
}

// The errno of a system error text of Xapian's (get_error_string()), for
// the errors a caller acts on (mg_err.detail); 0 for any other. Xapian 1.4
// hands out the text only.
int sys_errno(const char *sys)
{
    static const int known[] = {EMFILE, ENFILE, ENOSPC, ENOENT, EACCES, EPERM, EROFS, EIO};
    for (int e : known)
        if (sys && strcmp(sys, strerror(e)) == 0)
            return e;
    return 0;
}

// Set err from a Xapian exception as "what: Type: message (context): errno
// text". Builds no std::string, so reporting cannot itself throw.
int set_from_xapian(mg_err *err, int code, const char *what, const Xapian::Error &e) noexcept
{
    const char *sys = nullptr;
    try {
        sys = e.get_error_string(); // formats errno lazily, may allocate
    } catch (...) {
    }
    const char *ctx = e.get_context().c_str();
    char detail[200];
    snprintf(detail, sizeof detail, "%s%s%s%s%s%s", e.get_msg().c_str(), *ctx ? " (" : "", ctx,
             *ctx ? ")" : "", sys && *sys ? ": " : "", sys && *sys ? sys : "");
    if (code == MG_ELOCKED && lock_refused(detail))
        return mg_err_set(err, MG_EIO, "%s: permission denied: cannot take the write lock (%s)",
                          what, detail);
    if (code == MG_ELOCKED)
        return mg_err_set(err, code, "%s: database is locked by another writer (%s)", what, detail);
    return mg_err_set_detail(err, code, sys_errno(sys), "%s: %s: %s", what, e.get_type(), detail);
}

} // namespace

int mg_xapian_catch(mg_err *err, const char *what) noexcept
{
    if (!what)
        what = "xapian";
    try {
        throw;
    } catch (const Xapian::DatabaseLockError &e) {
        return set_from_xapian(err, MG_ELOCKED, what, e);
    } catch (const Xapian::DatabaseNotFoundError &e) {
        return set_from_xapian(err, MG_ENOTFOUND, what, e);
    } catch (const Xapian::DatabaseVersionError &e) {
        // An index written by an incompatible Xapian: not missing, not damaged.
        return set_from_xapian(err, MG_EDB, what, e);
    } catch (const Xapian::DatabaseOpeningError &e) {
        return set_from_xapian(err, MG_ENOTFOUND, what, e);
    } catch (const Xapian::DatabaseCreateError &e) {
        return set_from_xapian(err, MG_EIO, what, e); // mkdir or file creation failed
    } catch (const Xapian::DocNotFoundError &e) {
        return set_from_xapian(err, MG_ENOTFOUND, what, e);
    } catch (const Xapian::DatabaseCorruptError &e) {
        return set_from_xapian(err, MG_ECORRUPT, what, e);
    } catch (const Xapian::DatabaseModifiedError &e) {
        return set_from_xapian(err, MG_EMODIFIED, what, e);
    } catch (const Xapian::QueryParserError &e) {
        return set_from_xapian(err, MG_EQUERY, what, e);
    } catch (const Xapian::Error &e) {
        return set_from_xapian(err, MG_EDB, what, e);
    } catch (const std::bad_alloc &) {
        return mg_err_set(err, MG_ENOMEM, "%s: out of memory", what);
    } catch (const std::exception &e) {
        return mg_err_set(err, MG_EINTERNAL, "%s: unexpected exception: %s", what, e.what());
    } catch (...) {
        return mg_err_set(err, MG_EINTERNAL, "%s: unknown exception", what);
    }
}

namespace
{

std::atomic<mg_xapian_fatal_fn> g_fatal_fn{nullptr};
std::atomic<void *> g_fatal_ctx{nullptr};
std::atomic_flag g_dying = ATOMIC_FLAG_INIT;
std::terminate_handler g_saved_handler = nullptr;
bool g_installed = false;

[[noreturn]] void on_terminate() noexcept
{
    if (g_dying.test_and_set()) {
        for (;;)
            pause(); // the first failing thread ends the process
    }
    int en = errno; // a write that failed, when Xapian ends the process itself
    mg_err e;
    mg_err_clear(&e);
    std::exception_ptr p = std::current_exception();
    if (p) {
        try {
            std::rethrow_exception(p);
        } catch (...) {
            mg_xapian_catch(&e, "Xapian cannot go on");
        }
    } else {
        // Xapian called std::terminate itself (an exception from a
        // destructor run while unwinding): the exception is out of reach,
        // but the system error of the failed write is usually still here.
        mg_err_set(&e, MG_EIO,
                   "Xapian cannot go on: it failed while recovering from an error%s%s%s",
                   en ? " (last system error: " : "", en ? strerror(en) : "", en ? ")" : "");
    }
    mg_xapian_fatal_fn fn = g_fatal_fn.load();
    if (fn)
        fn(g_fatal_ctx.load(), &e);
    std::abort();
}

} // namespace

void mg_xapian_set_fatal(mg_xapian_fatal_fn fn, void *ctx) noexcept
{
    g_fatal_ctx.store(ctx);
    g_fatal_fn.store(fn);
    if (fn && !g_installed) {
        g_saved_handler = std::set_terminate(on_terminate);
        g_installed = true;
    } else if (!fn && g_installed) {
        std::set_terminate(g_saved_handler);
        g_installed = false;
    }
}

struct mg_xdb {
    Xapian::WritableDatabase db;
    bool in_txn = false; // a transaction is open: see mg_xdb_open()
    // A sharded index (topology.h): one handle per shard, db unused; each
    // article goes to the shard mg_shard_of() names.
    std::vector<mg_xdb *> sub;
};

struct mg_xdoc {
    Xapian::Document doc;
};

namespace
{

// Xapian reports a term over its limit only when the document is written,
// far from the code that made the term; check where the term is added.
int check_term(const char *term, size_t len, mg_err *err)
{
    if (!term || len == 0)
        return mg_err_set(err, MG_EINVAL, "empty term");
    if (len > MG_XDB_MAX_TERM)
        return mg_err_set(err, MG_EINVAL, "term of %zu bytes is over the %d-byte limit: %.40s...",
                          len, MG_XDB_MAX_TERM, term);
    return 0;
}

int check_uid(const char *uid_term, mg_err *err)
{
    if (!uid_term)
        return mg_err_set(err, MG_EINVAL, "no unique term");
    return check_term(uid_term, strlen(uid_term), err);
}

// Keep a batch of changes in a transaction, so that Xapian's automatic flush
// (every XAPIAN_FLUSH_THRESHOLD changes) writes postings to disk without
// committing a half batch: readers and a crash see whole batches only.
void begin(mg_xdb *x)
{
    x->db.begin_transaction(true);
    x->in_txn = true;
}

// The shard of a sharded handle that holds (or would hold) the article of
// a unique term ("Q" + id).
mg_xdb *shard_for_uid(mg_xdb *x, const char *uid_term)
{
    size_t p = strlen(MG_PFX_ID);
    const char *id = strncmp(uid_term, MG_PFX_ID, p) == 0 ? uid_term + p : uid_term;
    return x->sub[mg_shard_of(id, strlen(id), static_cast<unsigned>(x->sub.size()))];
}

} // namespace

extern "C" {

mg_xdb *mg_xdb_open(const char *path, int flags, mg_err *err) noexcept
{
    if (!path || !*path) {
        mg_err_set(err, MG_EINVAL, "open: no database path");
        return nullptr;
    }
    if (mg_topology_is(path)) {
        mg_topology t;
        int rc = mg_topology_load(path, &t, err);
        for (unsigned k = 0; !rc && k < t.n; k++)
            if (t.shards[k].remote)
                rc = mg_err_set(err, MG_EINVAL, "%.200s: a remote shard cannot be written here",
                                path);
        mg_xdb *x = nullptr;
        if (!rc) {
            std::vector<const char *> paths;
            for (unsigned k = 0; k < t.n; k++)
                paths.push_back(t.shards[k].alt[0]);
            x = mg_xdb_open_shards(paths.data(), paths.size(), flags, err);
        }
        mg_topology_free(&t);
        return x;
    }
    mg_xdb *x = nullptr;
    try {
        int xf = Xapian::DB_BACKEND_GLASS;
        if (flags & MG_XDB_OVERWRITE)
            xf |= Xapian::DB_CREATE_OR_OVERWRITE;
        else if (flags & MG_XDB_CREATE)
            xf |= Xapian::DB_CREATE_OR_OPEN;
        else
            xf |= Xapian::DB_OPEN;
        if (flags & MG_XDB_DANGEROUS)
            xf |= Xapian::DB_DANGEROUS;
        if (flags & MG_XDB_NOSYNC)
            xf |= Xapian::DB_NO_SYNC;
        x = new mg_xdb{Xapian::WritableDatabase(path, xf), false, {}};
        begin(x);
        return x;
    } catch (...) {
        char what[200];
        snprintf(what, sizeof what, "open %.180s", path);
        mg_xapian_catch(err, what);
        if (x) {
            try {
                x->db.close();
            } catch (...) {
            }
            delete x;
        }
        return nullptr;
    }
}

mg_xdb *mg_xdb_open_shards(const char *const *paths, size_t n, int flags, mg_err *err) noexcept
{
    mg_xdb *x = nullptr;
    try {
        x = new mg_xdb;
        for (size_t k = 0; k < n; k++) {
            mg_xdb *s = mg_xdb_open(paths[k], flags, err);
            if (!s) {
                mg_xdb_abandon(x);
                return nullptr;
            }
            x->sub.push_back(s);
        }
        return x;
    } catch (...) {
        mg_xapian_catch(err, "open shards");
        mg_xdb_abandon(x);
        return nullptr;
    }
}

size_t mg_xdb_shards(const mg_xdb *db) noexcept
{
    return db->sub.size();
}

int mg_xdb_commit(mg_xdb *db, mg_err *err) noexcept
{
    for (mg_xdb *s : db->sub)
        if (int rc = mg_xdb_commit(s, err))
            return rc;
    if (!db->sub.empty())
        return 0;
    try {
        if (db->in_txn) {
            db->in_txn = false;
            db->db.commit_transaction();
        } else {
            db->db.commit();
        }
        begin(db);
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "commit");
    }
}

int mg_xdb_close(mg_xdb *db, mg_err *err) noexcept
{
    if (!db)
        return 0;
    int rc = 0;
    if (!db->sub.empty()) {
        for (mg_xdb *s : db->sub)
            if (int c = mg_xdb_close(s, err); c && !rc)
                rc = c;
        delete db;
        return rc;
    }
    try {
        if (db->in_txn) {
            db->in_txn = false;
            db->db.commit_transaction();
        }
        db->db.close();
    } catch (...) {
        rc = mg_xapian_catch(err, "commit on close");
        try {
            db->db.close(); // aborts a transaction left open by the failure
        } catch (...) {
        }
    }
    delete db;
    return rc;
}

void mg_xdb_abandon(mg_xdb *db) noexcept
{
    if (!db)
        return;
    for (mg_xdb *s : db->sub)
        mg_xdb_abandon(s);
    if (!db->sub.empty()) {
        delete db;
        return;
    }
    try {
        if (db->in_txn)
            db->db.cancel_transaction();
    } catch (...) {
    }
    try {
        db->db.close();
    } catch (...) {
    }
    delete db;
}

int mg_xdb_replace(mg_xdb *db, const char *uid_term, const mg_xdoc *doc, mg_err *err) noexcept
{
    int rc = check_uid(uid_term, err);
    if (rc)
        return rc;
    if (!db->sub.empty())
        return mg_xdb_replace(shard_for_uid(db, uid_term), uid_term, doc, err);
    try {
        db->db.replace_document(uid_term, doc->doc);
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "replace document");
    }
}

int mg_xdb_add(mg_xdb *db, const mg_xdoc *doc, mg_err *err) noexcept
{
    try {
        if (!db->sub.empty()) {
            std::string id = doc->doc.get_value(MG_SLOT_ID);
            mg_xdb *s =
                db->sub[mg_shard_of(id.data(), id.size(), static_cast<unsigned>(db->sub.size()))];
            return mg_xdb_add(s, doc, err);
        }
        db->db.add_document(doc->doc);
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "add document");
    }
}

int mg_xdb_delete(mg_xdb *db, const char *uid_term, mg_err *err) noexcept
{
    int rc = check_uid(uid_term, err);
    if (rc)
        return rc;
    if (!db->sub.empty())
        return mg_xdb_delete(shard_for_uid(db, uid_term), uid_term, err);
    try {
        if (!db->db.term_exists(uid_term))
            return 0;
        db->db.delete_document(uid_term);
        return 1;
    } catch (...) {
        return mg_xapian_catch(err, "delete document");
    }
}

} // extern "C"

namespace
{

// The document id indexed by uid_term, or 0 when there is none.
Xapian::docid find_doc(Xapian::Database &db, const char *uid_term)
{
    Xapian::PostingIterator it = db.postlist_begin(uid_term);
    return it == db.postlist_end(uid_term) ? 0 : *it;
}

// Value slot of the document indexed by uid_term into buf, when want is
// NULL or the document holds want (want_len bytes) in check_slot.
long doc_value(Xapian::Database &db, const char *uid_term, unsigned check_slot, const void *want,
               size_t want_len, unsigned slot, void *buf, size_t cap, mg_err *err) noexcept
{
    int rc = check_uid(uid_term, err);
    if (rc)
        return rc;
    try {
        Xapian::docid did = find_doc(db, uid_term);
        if (!did)
            return mg_err_set(err, MG_ENOTFOUND, "no document %.200s", uid_term);
        Xapian::Document doc = db.get_document(did, Xapian::DOC_ASSUME_VALID);
        if (want) {
            std::string c = doc.get_value(check_slot);
            if (c.size() != want_len || memcmp(c.data(), want, want_len) != 0)
                return mg_err_set(err, MG_ENOTFOUND, "%.200s: value %u differs", uid_term,
                                  check_slot);
        }
        std::string v = doc.get_value(slot);
        if (cap)
            memcpy(buf, v.data(), v.size() < cap ? v.size() : cap);
        return (long)v.size();
    } catch (...) {
        return mg_xapian_catch(err, "get value");
    }
}

} // namespace

struct mg_xlook {
    Xapian::Database db;
};

extern "C" {

long mg_xdb_get_value(mg_xdb *db, const char *uid_term, unsigned slot, void *buf, size_t cap,
                      mg_err *err) noexcept
{
    if (!db->sub.empty() && uid_term)
        return mg_xdb_get_value(shard_for_uid(db, uid_term), uid_term, slot, buf, cap, err);
    return doc_value(db->db, uid_term, 0, nullptr, 0, slot, buf, cap, err);
}

mg_xlook *mg_xlook_open(const char *path, mg_err *err) noexcept
{
    try {
        return new mg_xlook{Xapian::Database(path)};
    } catch (...) {
        char what[200];
        snprintf(what, sizeof what, "open %.180s", path);
        mg_xapian_catch(err, what);
        return nullptr;
    }
}

void mg_xlook_free(mg_xlook *l) noexcept
{
    delete l;
}

long mg_xlook_value_if(mg_xlook *l, const char *uid_term, unsigned check_slot, const void *want,
                       size_t want_len, unsigned slot, void *buf, size_t cap, mg_err *err) noexcept
{
    return doc_value(l->db, uid_term, check_slot, want, want_len, slot, buf, cap, err);
}

int mg_xdb_get_record(mg_xdb *db, const char *uid_term, void **out, size_t *out_len,
                      mg_err *err) noexcept
{
    *out = nullptr;
    *out_len = 0;
    int rc = check_uid(uid_term, err);
    if (rc)
        return rc;
    if (!db->sub.empty())
        return mg_xdb_get_record(shard_for_uid(db, uid_term), uid_term, out, out_len, err);
    try {
        Xapian::docid did = find_doc(db->db, uid_term);
        if (!did)
            return mg_err_set(err, MG_ENOTFOUND, "no document %.200s", uid_term);
        std::string d = mg_stored_record(db->db.get_document(did, Xapian::DOC_ASSUME_VALID));
        void *p = malloc(d.size() ? d.size() : 1);
        if (!p)
            return mg_err_set(err, MG_ENOMEM, "get record: out of memory");
        memcpy(p, d.data(), d.size());
        *out = p;
        *out_len = d.size();
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "get record");
    }
}

int mg_xdb_each_term(mg_xdb *db, const char *prefix, mg_term_fn fn, void *ctx, mg_err *err) noexcept
{
    for (mg_xdb *s : db->sub) // the shards one after the other: no term is in two
        if (int r = mg_xdb_each_term(s, prefix, fn, ctx, err))
            return r;
    if (!db->sub.empty())
        return 0;
    try {
        std::string pfx = prefix ? prefix : "";
        for (Xapian::TermIterator it = db->db.allterms_begin(pfx), end = db->db.allterms_end(pfx);
             it != end; ++it) {
            const std::string &t = *it;
            int r = fn(ctx, t.c_str(), t.size());
            if (r)
                return r;
        }
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "list terms");
    }
}

long mg_xdb_doccount(mg_xdb *db, mg_err *err) noexcept
{
    if (!db->sub.empty()) {
        long sum = 0;
        for (mg_xdb *s : db->sub) {
            long n = mg_xdb_doccount(s, err);
            if (n < 0)
                return n;
            sum += n;
        }
        return sum;
    }
    try {
        return (long)db->db.get_doccount();
    } catch (...) {
        return mg_xapian_catch(err, "document count");
    }
}

long mg_xdb_revision(mg_xdb *db, mg_err *err) noexcept
{
    if (!db->sub.empty()) { // the highest: above 1 once a shard was committed to
        long most = 0;
        for (mg_xdb *s : db->sub) {
            long n = mg_xdb_revision(s, err);
            if (n < 0)
                return n;
            most = n > most ? n : most;
        }
        return most;
    }
    try {
        return (long)db->db.get_revision();
    } catch (...) {
        return mg_xapian_catch(err, "revision");
    }
}

int mg_xdb_set_metadata(mg_xdb *db, const char *key, const char *value, mg_err *err) noexcept
{
    if (!key || !*key)
        return mg_err_set(err, MG_EINVAL, "set metadata: empty key");
    for (mg_xdb *s : db->sub)
        if (int rc = mg_xdb_set_metadata(s, key, value, err))
            return rc;
    if (!db->sub.empty())
        return 0;
    try {
        db->db.set_metadata(key, value ? value : "");
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "set metadata");
    }
}

long mg_xdb_get_metadata(mg_xdb *db, const char *key, char *buf, size_t cap, mg_err *err) noexcept
{
    if (!key || !*key)
        return mg_err_set(err, MG_EINVAL, "get metadata: empty key");
    if (!db->sub.empty()) // the first shard's
        return mg_xdb_get_metadata(db->sub[0], key, buf, cap, err);
    try {
        std::string v = db->db.get_metadata(key);
        if (cap) {
            size_t n = v.size() < cap - 1 ? v.size() : cap - 1;
            memcpy(buf, v.data(), n);
            buf[n] = '\0';
        }
        return (long)v.size();
    } catch (...) {
        return mg_xapian_catch(err, "get metadata");
    }
}

int mg_xdb_compact(const char *const *srcs, size_t n, const char *dst, mg_err *err) noexcept
{
    if (!srcs || n == 0 || !dst || !*dst)
        return mg_err_set(err, MG_EINVAL, "compact: no source or no destination");
    struct stat st;
    if (stat(dst, &st) == 0)
        return mg_err_set(err, MG_EINVAL, "compact: destination %.200s already exists", dst);
    try {
        Xapian::Database all;
        for (size_t i = 0; i < n; i++)
            all.add_database(Xapian::Database(srcs[i])); // a stub of shards too
        unsigned flags = Xapian::Compactor::FULL;
        if (n > 3)
            flags |= Xapian::DBCOMPACT_MULTIPASS;
        all.compact(dst, flags);
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "compact");
    }
}

mg_xdoc *mg_xdoc_new(mg_err *err) noexcept
{
    try {
        return new mg_xdoc;
    } catch (...) {
        mg_xapian_catch(err, "new document");
        return nullptr;
    }
}

void mg_xdoc_free(mg_xdoc *doc) noexcept
{
    delete doc;
}

void mg_xdoc_clear(mg_xdoc *doc) noexcept
{
    try {
        doc->doc = Xapian::Document();
    } catch (...) {
        // Constructing an empty document only allocates; on failure clear in place.
        try {
            doc->doc.clear_terms();
            doc->doc.clear_values();
            doc->doc.set_data(std::string());
        } catch (...) {
        }
    }
}

int mg_xdoc_add_posting(mg_xdoc *doc, const char *term, size_t len, unsigned pos, unsigned wdfinc,
                        mg_err *err) noexcept
{
    int rc = check_term(term, len, err);
    if (rc)
        return rc;
    try {
        doc->doc.add_posting(std::string(term, len), pos, wdfinc);
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "add posting");
    }
}

int mg_xdoc_add_boolean(mg_xdoc *doc, const char *term, size_t len, mg_err *err) noexcept
{
    int rc = check_term(term, len, err);
    if (rc)
        return rc;
    try {
        doc->doc.add_boolean_term(std::string(term, len));
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "add term");
    }
}

int mg_xdoc_set_value(mg_xdoc *doc, unsigned slot, const void *val, size_t len,
                      mg_err *err) noexcept
{
    if (slot == Xapian::BAD_VALUENO)
        return mg_err_set(err, MG_EINVAL, "bad value slot %u", slot);
    try {
        // An empty value clears the slot; unlike remove_value(), add_value()
        // does not throw when the slot was never set.
        doc->doc.add_value(slot,
                           len ? std::string(static_cast<const char *>(val), len) : std::string());
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "set value");
    }
}

int mg_xdoc_set_data(mg_xdoc *doc, const void *data, size_t len, mg_err *err) noexcept
{
    try {
        doc->doc.set_data(std::string(static_cast<const char *>(data), len));
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "set data");
    }
}

int mg_xdoc_each_term(const mg_xdoc *doc, mg_xdoc_term_fn fn, void *ctx, mg_err *err) noexcept
{
    try {
        std::vector<unsigned> pos;
        for (Xapian::TermIterator it = doc->doc.termlist_begin(), end = doc->doc.termlist_end();
             it != end; ++it) {
            pos.clear();
            for (Xapian::PositionIterator p = it.positionlist_begin(), pend = it.positionlist_end();
                 p != pend; ++p)
                pos.push_back(*p);
            const std::string &t = *it;
            int r = fn(ctx, t.data(), t.size(), it.get_wdf(), pos.data(), pos.size());
            if (r)
                return r;
        }
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "list document terms");
    }
}

int mg_xdoc_each_value(const mg_xdoc *doc, mg_xdoc_value_fn fn, void *ctx, mg_err *err) noexcept
{
    try {
        for (Xapian::ValueIterator it = doc->doc.values_begin(), end = doc->doc.values_end();
             it != end; ++it) {
            const std::string &v = *it;
            int r = fn(ctx, it.get_valueno(), v.data(), v.size());
            if (r)
                return r;
        }
        return 0;
    } catch (...) {
        return mg_xapian_catch(err, "list document values");
    }
}

} // extern "C"
