/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The wire protocol: JSON requests in, JSON replies out, version "v":1.
 * docs/protocol.md is its definition, the one place that lists the
 * operations, their fields, the replies and the error codes; this header
 * is the C side only. The daemon wraps it in ZeroMQ; the offline CLI calls
 * it in-process, so both print identical results. Validation is strict:
 * every field must have its documented type and range, and an unknown
 * field is an error, not silently ignored. */
#ifndef MG_PROTOCOL_H
#define MG_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#include "jsonw.h"
#include "search.h"

#define MG_PROTO_VERSION 1
#define MG_PROTO_MAX_DEPTH 16          /* deeper JSON is refused */
#define MG_PROTO_MAX_MARKER 64         /* bytes of a snippet "start"/"end" marker */
#define MG_PROTO_MAX_REPLY (16u << 20) /* bytes of a reply; past it: error too_big */
#define MG_PROTO_MAX_TAG 256           /* bytes of a request's "tag" */

/* What a caller may add to replies. */
typedef struct mg_proto_hooks {
    /* Called while a successful "stats" reply is written, after its "stats"
     * member: it may add members to the reply object (mg_jw_key() and a
     * value each). info is the engine's. NULL: nothing added. */
    void (*stats_extra)(void *arg, mg_jw *w, const mg_searcher_info *info);
    void *arg;
    /* Called for a valid "metrics" request: writes the member "metrics" (a
     * key and a string value). info is NULL when no index is open. -1: out
     * of memory. NULL: "metrics" fails with "unavailable". */
    int (*metrics)(void *arg, mg_jw *w, const mg_searcher_info *info);
} mg_proto_hooks;

/* Handle one request given as raw bytes (any bytes at all: invalid UTF-8,
 * not JSON, wrong types -> an error reply) and write the reply's JSON text
 * into out (emptied first; the buffer is reused, so a caller that keeps one
 * writer allocates nothing per request). s may be NULL (no index open):
 * valid search/get/stats requests then fail with code "unavailable"
 * (invalid ones still get their own error). hooks may be NULL.
 * Returns 1 for an "ok":true reply, 0 for an error reply (*code, when code
 * is not NULL, is then its static error code), -1 when not even an error
 * reply could be written (out of memory: out is empty). took_us is
 * filled in. A reply that would pass MG_PROTO_MAX_REPLY bytes (or out's
 * own max, when smaller) is replaced by the error "too_big". */
int mg_proto_handle(mg_searcher *s, const char *req, size_t len, const mg_proto_hooks *hooks,
                    mg_jw *out, const char **code);

/* What mg_proto_run() tells about a request besides the reply. */
typedef struct mg_proto_info {
    const char *code; /* static error code; NULL for an ok reply */
    const char *op;   /* static op name; NULL when the request has no known op */
    long long hits;   /* hits in an ok search reply; -1 otherwise */
} mg_proto_info;

/* mg_proto_handle(), filling *info (not NULL) instead of *code. */
int mg_proto_run(mg_searcher *s, const char *req, size_t len, const mg_proto_hooks *hooks,
                 mg_jw *out, mg_proto_info *info);

/* Write a whole error reply {"v":1,"ok":false,"took_us":N,"error":{...}}
 * into out (emptied first). code is a stable string (docs/protocol.md lists
 * them); message may be any bytes (invalid UTF-8 is repaired). */
void mg_proto_error(mg_jw *out, const char *code, const char *message, unsigned long long took_us);

#endif
