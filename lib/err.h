/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error values: a code plus a message in a caller-owned buffer. */
#ifndef MG_ERR_H
#define MG_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Codes are only ever appended; their numbers are stable. */
typedef enum mg_code {
    MG_OK = 0,
    MG_ENOMEM = 1,     /* out of memory */
    MG_EIO = 2,        /* a file or socket operation failed */
    MG_EINVAL = 3,     /* bad argument or option value */
    MG_ELOCKED = 4,    /* another writer holds the index */
    MG_ENOTFOUND = 5,  /* no such database, document or file */
    MG_ECORRUPT = 6,   /* damaged database or stored record */
    MG_EQUERY = 7,     /* query could not be parsed or is over a cap */
    MG_EDB = 8,        /* any other database error */
    MG_ETOOBIG = 9,    /* a size cap was exceeded */
    MG_EFORMAT = 10,   /* malformed input record */
    MG_EMODIFIED = 11, /* database changed under a reader; reopen and retry */
    MG_EINTERNAL = 12  /* a bug: an unexpected exception or state */
} mg_code;

/* The kinds of MG_EINVAL that a search request's fields can cause, each
 * with its own code in the wire protocol (search.h, mg_search_error_code).
 * Only ever appended. */
typedef enum mg_reqerr {
    MG_RE_NONE = 0,
    MG_RE_BAD_DATE = 1,     /* since, until, added_since, added_until */
    MG_RE_BAD_PAGING = 2,   /* limit, offset over the caps */
    MG_RE_BAD_SORT = 3,     /* sort */
    MG_RE_BAD_CURSOR = 4,   /* after is not a "next" of a reply */
    MG_RE_STALE_CURSOR = 5, /* the index or the ranking changed since */
    MG_RE_TOO_COSTLY = 6    /* a NEAR over max_cost, an export page over the budget */
} mg_reqerr;

typedef struct mg_err {
    int code; /* an mg_code; MG_OK when nothing went wrong */
    /* What exactly, set by the function that raises the error: an mg_qerr
     * (query.h) with MG_EQUERY, an mg_reqerr with MG_EINVAL, the errno
     * of the system call that failed under Xapian (EMFILE, ENFILE, ENOSPC,
     * ENOENT, EACCES, EPERM, EROFS, EIO) with the other codes; 0 when the
     * code says it all. The protocol's error codes come from code and
     * detail, never from the message, which may be reworded. */
    int detail;
    char msg[256]; /* NUL-terminated, human-readable, no trailing newline */
} mg_err;

/* Record an error in *err (which may be NULL) and return -code, so failure
 * paths are one line: `return mg_err_set(err, MG_EIO, "open %s: %s", ...)`.
 * Never allocates. */
int mg_err_set(mg_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* mg_err_set with a detail (mg_err.detail). */
int mg_err_set_detail(mg_err *err, int code, int detail, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reset *err to MG_OK, no detail, an empty message. NULL is a no-op. */
void mg_err_clear(mg_err *err);

/* A short stable name for a code ("locked", "not_found", ...), used in the
 * wire protocol and in messages. Never NULL. */
const char *mg_code_name(int code);

#ifdef __cplusplus
}
#endif
#endif
