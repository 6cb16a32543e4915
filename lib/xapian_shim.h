/* SPDX-License-Identifier: GPL-2.0-or-later */
/* C API over libxapian for writing and maintaining an index (DESIGN.md §1).
 *
 * Opaque handles; every function is noexcept on the C++ side and maps any
 * exception to an mg_code plus message (lock -> MG_ELOCKED, missing database
 * -> MG_ENOTFOUND, corruption -> MG_ECORRUPT, out of memory -> MG_ENOMEM,
 * anything else -> MG_EDB). No Xapian type appears here. Search-side
 * functions are in xapian_search.h. */
#ifndef MG_XAPIAN_SHIM_H
#define MG_XAPIAN_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mg_xdb mg_xdb;   /* a writable database */
typedef struct mg_xdoc mg_xdoc; /* a document being built */

enum {
    MG_XDB_CREATE = 1,    /* create if missing (else open existing only) */
    MG_XDB_OVERWRITE = 2, /* create, replacing any database at path */
    MG_XDB_DANGEROUS = 4  /* Xapian DB_DANGEROUS: only for a fresh private shard */
};

/* Open a writable database at path. Fails with MG_ELOCKED when another writer
 * holds it. Caller frees with mg_xdb_close(). */
mg_xdb *mg_xdb_open(const char *path, int flags, mg_err *err);

/* Commit pending changes (if any) and close; NULL is a no-op. Returns 0 or a
 * negative mg_code (the handle is freed either way). */
int mg_xdb_close(mg_xdb *db, mg_err *err);

/* Close without committing: pending changes are discarded. NULL: no-op. */
void mg_xdb_abandon(mg_xdb *db);

/* Commit pending changes atomically. */
int mg_xdb_commit(mg_xdb *db, mg_err *err);

/* Add or replace the document whose unique term (e.g. "Qreuters-1") is
 * uid_term. The document is not consumed. */
int mg_xdb_replace(mg_xdb *db, const char *uid_term, const mg_xdoc *doc, mg_err *err);

/* Delete the document(s) indexed by uid_term. Returns 1 if one existed, 0 if
 * not, or a negative mg_code. */
int mg_xdb_delete(mg_xdb *db, const char *uid_term, mg_err *err);

/* Read value slot of the document indexed by uid_term into buf (at most cap
 * bytes). Returns the value's length (which may exceed cap: then it is
 * truncated), -MG_ENOTFOUND when there is no such document, or another
 * negative mg_code. An empty value gives 0. */
long mg_xdb_get_value(mg_xdb *db, const char *uid_term, unsigned slot, void *buf, size_t cap,
                      mg_err *err);

/* Call fn for every term starting with prefix, in sorted order (the prefix is
 * included in the term passed). fn returns non-zero to stop. Returns 0, the
 * callback's value, or a negative mg_code. */
typedef int (*mg_term_fn)(void *ctx, const char *term, size_t len);
int mg_xdb_each_term(mg_xdb *db, const char *prefix, mg_term_fn fn, void *ctx, mg_err *err);

/* Number of documents (committed and pending). */
long mg_xdb_doccount(mg_xdb *db, mg_err *err);

/* Database metadata. get: copies at most cap-1 bytes plus NUL, returns the
 * length (0 if unset) or a negative mg_code. */
int mg_xdb_set_metadata(mg_xdb *db, const char *key, const char *value, mg_err *err);
long mg_xdb_get_metadata(mg_xdb *db, const char *key, char *buf, size_t cap, mg_err *err);

/* Merge the databases srcs[0..n) into a new compacted database at dst (which
 * must not exist). Document ids are renumbered in order of srcs. */
int mg_xdb_compact(const char *const *srcs, size_t n, const char *dst, mg_err *err);

/* Documents. */
mg_xdoc *mg_xdoc_new(mg_err *err);
void mg_xdoc_free(mg_xdoc *doc); /* NULL is a no-op */
void mg_xdoc_clear(mg_xdoc *doc); /* empty it for reuse */
/* Add a positional posting of term (wdf grows by wdfinc, usually 1). */
int mg_xdoc_add_posting(mg_xdoc *doc, const char *term, size_t len, unsigned pos,
                        unsigned wdfinc, mg_err *err);
/* Add a boolean term with no position and wdf 0 (filters: Q, K, XS, D, ...). */
int mg_xdoc_add_boolean(mg_xdoc *doc, const char *term, size_t len, mg_err *err);
int mg_xdoc_set_value(mg_xdoc *doc, unsigned slot, const void *val, size_t len, mg_err *err);
int mg_xdoc_set_data(mg_xdoc *doc, const void *data, size_t len, mg_err *err);

#ifdef __cplusplus
}
#endif
#endif
