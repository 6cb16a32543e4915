/* SPDX-License-Identifier: GPL-2.0-or-later */
/* C API over libxapian for writing and maintaining an index (architecture.md §1).
 *
 * Opaque handles; every function is noexcept on the C++ side and maps any
 * exception to an mg_code plus message (lock -> MG_ELOCKED, missing database
 * -> MG_ENOTFOUND, corruption -> MG_ECORRUPT, out of memory -> MG_ENOMEM,
 * anything else -> MG_EDB; the full map is in xapian_internal.hh). No Xapian
 * type appears here. Search-side functions are in xapian_search.h.
 *
 * Threads: a handle (mg_xdb or mg_xdoc) is used by one thread at a time;
 * different handles may be used in parallel (one shard writer per thread).
 * err may be NULL everywhere. */
#ifndef MG_XAPIAN_SHIM_H
#define MG_XAPIAN_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The C++ definitions are noexcept; say so to C++ callers too. */
#ifndef MG_NOEXCEPT
#ifdef __cplusplus
#define MG_NOEXCEPT noexcept
#else
#define MG_NOEXCEPT
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mg_xdb mg_xdb;   /* a writable database */
typedef struct mg_xdoc mg_xdoc; /* a document being built */

enum {
    MG_XDB_CREATE = 1,    /* create if missing (else open existing only) */
    MG_XDB_OVERWRITE = 2, /* create, replacing any database at path */
    MG_XDB_DANGEROUS = 4, /* Xapian DB_DANGEROUS: only for a fresh private shard */
    MG_XDB_NOSYNC = 8     /* Xapian DB_NO_SYNC: commits skip fsync(). Only for a
                           * private shard that is compacted afterwards (the
                           * compacted result is synced) or thrown away */
};

/* Open a writable glass database at path. Without MG_XDB_CREATE or
 * MG_XDB_OVERWRITE the database must exist (else MG_ENOTFOUND). Fails at once
 * with MG_ELOCKED ("... locked ...") when another writer, in this process or
 * another, holds it, and with MG_EIO ("... permission denied ...") when the
 * lock file may not be opened or created. Changes are invisible to readers and survive a crash
 * only once mg_xdb_commit() (or mg_xdb_close()) returns: the handle keeps a
 * transaction open, so Xapian never commits half a batch on its own. Caller
 * frees with mg_xdb_close() or mg_xdb_abandon(). Returns NULL on failure. */
mg_xdb *mg_xdb_open(const char *path, int flags, mg_err *err) MG_NOEXCEPT;

/* A sharded index (topology.h): one handle over the databases at paths[0..n)
 * (opened with flags), each article in the shard mg_shard_of() names by its
 * id: mg_xdb_replace/_delete/_get_value/_get_record by the unique term,
 * mg_xdb_add by the document's MG_SLOT_ID. Commits, metadata writes and
 * closes go to every shard in turn (a commit is atomic per shard, not over
 * the shards); counts are summed, mg_xdb_revision is the highest, metadata
 * is read from the first. mg_xdb_open() gives one when path is a topology
 * of local shards. */
mg_xdb *mg_xdb_open_shards(const char *const *paths, size_t n, int flags, mg_err *err) MG_NOEXCEPT;
/* How many shards db has: 0 for a single database. */
size_t mg_xdb_shards(const mg_xdb *db) MG_NOEXCEPT;

/* Commit pending changes (if any) and close; NULL is a no-op. Returns 0 or a
 * negative mg_code (the handle is freed either way). */
int mg_xdb_close(mg_xdb *db, mg_err *err) MG_NOEXCEPT;

/* Close without committing: pending changes are discarded. NULL: no-op. */
void mg_xdb_abandon(mg_xdb *db) MG_NOEXCEPT;

/* Commit pending changes atomically (durably unless MG_XDB_NOSYNC). */
int mg_xdb_commit(mg_xdb *db, mg_err *err) MG_NOEXCEPT;

/* Add or replace the document whose unique term (e.g. "Qreuters-1") is
 * uid_term; the document should itself hold uid_term as a boolean term. The
 * document is not consumed. */
int mg_xdb_replace(mg_xdb *db, const char *uid_term, const mg_xdoc *doc, mg_err *err) MG_NOEXCEPT;

/* Add a document without looking for an existing one: for a fresh shard
 * that the caller knows holds no document with the same unique term (a
 * lookup per document is what it saves). */
int mg_xdb_add(mg_xdb *db, const mg_xdoc *doc, mg_err *err) MG_NOEXCEPT;

/* Delete the document(s) indexed by uid_term. Returns 1 if one existed, 0 if
 * not, or a negative mg_code. */
int mg_xdb_delete(mg_xdb *db, const char *uid_term, mg_err *err) MG_NOEXCEPT;

/* Read value slot of the document indexed by uid_term into buf (at most cap
 * bytes). Returns the value's length (which may exceed cap: then it is
 * truncated), -MG_ENOTFOUND when there is no such document, or another
 * negative mg_code. An empty value gives 0. */
long mg_xdb_get_value(mg_xdb *db, const char *uid_term, unsigned slot, void *buf, size_t cap,
                      mg_err *err) MG_NOEXCEPT;

/* A read-only handle on a committed database, for looking documents up
 * by id while another handle writes elsewhere (a rebuild's shard worker
 * reads the live generation through its own). */
typedef struct mg_xlook mg_xlook;
mg_xlook *mg_xlook_open(const char *path, mg_err *err) MG_NOEXCEPT; /* NULL on failure */
void mg_xlook_free(mg_xlook *l) MG_NOEXCEPT;                        /* NULL is a no-op */
/* When the document indexed by uid_term holds want (want_len bytes) in
 * value check_slot: its value slot into buf, as mg_xdb_get_value. Else
 * -MG_ENOTFOUND (no such document, or another value), or another negative
 * mg_code. One lookup of the id for both values. */
long mg_xlook_value_if(mg_xlook *l, const char *uid_term, unsigned check_slot, const void *want,
                       size_t want_len, unsigned slot, void *buf, size_t cap,
                       mg_err *err) MG_NOEXCEPT;

/* Copy the stored record of the document indexed by uid_term (value slot
 * MG_SLOT_RECORD, or the document data of a schema-1 document) into a
 * malloc'd buffer (*out, *out_len; caller frees). Returns 0, -MG_ENOTFOUND,
 * or another negative mg_code. */
int mg_xdb_get_record(mg_xdb *db, const char *uid_term, void **out, size_t *out_len,
                      mg_err *err) MG_NOEXCEPT;

/* Call fn for every term starting with prefix, in sorted order (the prefix is
 * included in the term passed). fn returns non-zero to stop. Returns 0, the
 * callback's value, or a negative mg_code. */
typedef int (*mg_term_fn)(void *ctx, const char *term, size_t len);
int mg_xdb_each_term(mg_xdb *db, const char *prefix, mg_term_fn fn, void *ctx,
                     mg_err *err) MG_NOEXCEPT;

/* Number of documents (committed and pending). */
long mg_xdb_doccount(mg_xdb *db, mg_err *err) MG_NOEXCEPT;

/* The revision of the last commit (pending changes do not count), or a
 * negative mg_code. A database written by mg_xdb_compact() has revision 1
 * and every commit that changes it adds one, so a revision of 1 means
 * nothing was committed since it was compacted. */
long mg_xdb_revision(mg_xdb *db, mg_err *err) MG_NOEXCEPT;

/* Database metadata. get: copies at most cap-1 bytes plus NUL, returns the
 * length (0 if unset) or a negative mg_code. */
int mg_xdb_set_metadata(mg_xdb *db, const char *key, const char *value, mg_err *err) MG_NOEXCEPT;
long mg_xdb_get_metadata(mg_xdb *db, const char *key, char *buf, size_t cap,
                         mg_err *err) MG_NOEXCEPT;

/* Merge the databases srcs[0..n) (closed, or at least committed; each a
 * database directory or a Xapian stub file listing several) into a new
 * compacted glass database at dst, which must not exist (MG_EINVAL if it
 * does). Document ids are renumbered: those of srcs[0] come first, each
 * further source follows on. With more than 3 sources the postlists are
 * merged in several passes (DBCOMPACT_MULTIPASS). The result is synced. For
 * metadata keys set in several sources the value of the first source wins. */
int mg_xdb_compact(const char *const *srcs, size_t n, const char *dst, mg_err *err) MG_NOEXCEPT;

/* Xapian 1.4 can throw from a destructor while it unwinds from a failed
 * write (the disk full inside a commit does it): C++ then calls
 * std::terminate, and no catch can stop the process from ending. This
 * installs a std::terminate handler that turns the exception into an
 * mg_err ("Xapian cannot go on: DatabaseError: Error writing block 52: No
 * space left on device") and calls fn(ctx, &err) on the failing thread, so
 * that the caller can clean up, report the cause and end the process
 * (_exit). If fn returns, the process aborts; a second thread failing
 * meanwhile waits for the first to end the process. NULL restores the
 * handler there was before. Process-wide: install it from one thread. */
typedef void (*mg_xapian_fatal_fn)(void *ctx, const mg_err *err);
void mg_xapian_set_fatal(mg_xapian_fatal_fn fn, void *ctx) MG_NOEXCEPT;

/* Documents. Terms are at most MG_XDB_MAX_TERM bytes (Xapian's glass limit)
 * and not empty: a longer or empty term is refused with MG_EINVAL. */
#define MG_XDB_MAX_TERM 245

/* A new empty document; caller frees with mg_xdoc_free(). */
mg_xdoc *mg_xdoc_new(mg_err *err) MG_NOEXCEPT;
void mg_xdoc_free(mg_xdoc *doc) MG_NOEXCEPT;  /* NULL is a no-op */
void mg_xdoc_clear(mg_xdoc *doc) MG_NOEXCEPT; /* empty it for reuse */
/* Add a positional posting of term (term[0..len), wdf grows by wdfinc,
 * usually 1). */
int mg_xdoc_add_posting(mg_xdoc *doc, const char *term, size_t len, unsigned pos, unsigned wdfinc,
                        mg_err *err) MG_NOEXCEPT;
/* Add a boolean term with no position and wdf 0 (filters: Q, K, XS, D, ...). */
int mg_xdoc_add_boolean(mg_xdoc *doc, const char *term, size_t len, mg_err *err) MG_NOEXCEPT;
/* Set value slot (bytes val[0..len), copied); an empty value removes it. */
int mg_xdoc_set_value(mg_xdoc *doc, unsigned slot, const void *val, size_t len,
                      mg_err *err) MG_NOEXCEPT;
/* Set the document data (copied). morgue's schema 2 leaves it empty: the
 * stored record goes in value slot MG_SLOT_RECORD (schema.h). */
int mg_xdoc_set_data(mg_xdoc *doc, const void *data, size_t len, mg_err *err) MG_NOEXCEPT;

/* Read a document being built back (tests; bench/index_floor replays what
 * docbuild made). mg_xdoc_each_term calls fn for every term of doc in sorted
 * order with its wdf and its positions pos[0..npos) in ascending order (npos
 * 0, pos maybe NULL, for a term without positions; term and pos are valid
 * during the call only); mg_xdoc_each_value calls fn for every set value slot in ascending
 * order. fn returns non-zero to stop. Both return 0, fn's value, or a
 * negative mg_code. */
typedef int (*mg_xdoc_term_fn)(void *ctx, const char *term, size_t len, unsigned wdf,
                               const unsigned *pos, size_t npos);
int mg_xdoc_each_term(const mg_xdoc *doc, mg_xdoc_term_fn fn, void *ctx, mg_err *err) MG_NOEXCEPT;
typedef int (*mg_xdoc_value_fn)(void *ctx, unsigned slot, const void *val, size_t len);
int mg_xdoc_each_value(const mg_xdoc *doc, mg_xdoc_value_fn fn, void *ctx, mg_err *err) MG_NOEXCEPT;

#ifdef __cplusplus
}
#endif
#endif
