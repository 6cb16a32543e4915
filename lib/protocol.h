/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The wire protocol (docs/protocol.md): JSON requests in, JSON replies out,
 * version "v":1. The daemon wraps this in ZeroMQ; the offline CLI calls it
 * in-process, so both print identical results.
 *
 * Request:  {"v":1,"op":"search"|"get"|"stats"|"values"|"ping", ...}
 * Reply:    {"v":1,"ok":true,"took_us":N, ...}
 * Failure:  {"v":1,"ok":false,"took_us":N,"error":{"code":"...","message":"..."}}
 *
 * Validation is strict: "v" (the integer 1) and "op" (a string) are required,
 * every field must have its documented type and range, and unknown fields are
 * refused (a misspelt "limt" is an error, not silently ignored).
 *
 * op "search" — fields (only "query" is required):
 *   query     string, the query language (docs/query-language.md)
 *   offset    integer >= 0 (default 0)
 *   limit     integer 0..1000 (default 10; 0: no hits, the totals and
 *             facets alone); offset+limit <= 10000
 *   sort      "relevance" (default) | "newest" | "oldest"
 *   since     string date YYYY[-MM[-DD]] (inclusive: the start of the period)
 *   until     string date YYYY[-MM[-DD]] (inclusive: the end of the period)
 *   source    string: only articles of this source, by name or its start
 *             (as source:"...")
 *   facets    array of "source" | "category" | "year" | "month" | "week" |
 *             "day"
 *   collapse  bool, fold near-duplicates (same text hash); default true
 *   relax     bool, rank the articles with some of the words after those
 *             with all of them; default true
 *   cursor    bool: add "next" to the reply (default false)
 *   after     string: the "next" of the previous page; this page is the
 *             limit hits after it, past the 10000 window (offset must be 0)
 *   snippet   false (no snippets), true (defaults), or an object
 *             {"bytes":20..2000 (default 200), "start":"marker", "end":"marker"
 *              (each at most MG_PROTO_MAX_MARKER bytes),
 *              "html":bool (HTML-escape the text, not the markers)};
 *             default: snippets of 200 bytes without markers
 * Reply:
 *   "total":{"estimate":N,"lower":N,"upper":N,"exact":bool} (articles in
 *            the whole ranking, copies included; the same on every page),
 *   "total_all":{...} (the same for the articles with every word),
 *   "partial":true (only when the searcher's budget_ms ended the match),
 *   "relaxed":bool, "suggestion":string|null ("did you mean" query),
 *   "parsed":string (the query as run, Xapian's description),
 *   "hits":[{"rank":N (1-based, from offset+1),"score":float,"percent":0..100,
 *            "id","title","date" (ISO 8601 or ""),"source","url":strings,
 *            "categories":[strings],"snippet":string|null,
 *            "collapsed":N (near-duplicates folded into this hit),
 *            "matched":"all"|"some" (every word, or a relaxed hit)}],
 *   "next":string|null (with cursor or after: the after of the next page,
 *            null after the last one),
 *   "facets":{"source":[{"value":string,"count":N}],...} (only the facets
 *            asked for; counted over every article total counts, partial
 *            matches included; source and category most frequent first;
 *            the date facets in date order, "year" values "YYYY", "month"
 *            "YYYY-MM", "week" "YYYY-Www" (ISO 8601), "day" "YYYY-MM-DD",
 *            then "undated" (articles without a date), adding up to total)
 *
 * op "get" — {"id":string}. Reply: "doc":{"id","title","date","source","url",
 *   "author","lang","body":strings,"categories":[strings]}.
 * op "stats" — no fields. Reply: "stats":{"documents":N,"revision":N,
 *   "updated":ISO string|null,"lang":string,"path":string} (the daemon adds
 *   its own fields).
 * op "values" — {"field":"source"|"category","limit":1..100000 (default
 *   100)}. Reply: "field":string,"total":N (distinct values),
 *   "values":[{"value":string,"count":N}] (most frequent first).
 * op "ping" — no fields. Reply: "pong":true (works without an index).
 * op "metrics" — no fields. Reply: "metrics":string, the daemon's counters
 *   in the Prometheus text exposition format (morgued only: elsewhere
 *   "unavailable"; works without an index).
 *
 * Any request may carry "tag": a string of at most MG_PROTO_MAX_TAG bytes,
 * echoed as the reply's "tag" (ok or error), so that a client with several
 * requests in flight can match the replies.
 *
 * Error codes ("error":{"code":...}), stable:
 *   protocol:  bad_json (not JSON, or not valid UTF-8), too_deep (nested past
 *              MG_PROTO_MAX_DEPTH), bad_request (wrong type, out of range,
 *              missing or unknown field; the message names the field),
 *              unsupported_version ("v" is not 1), unknown_op, not_found (get:
 *              no such id), unavailable (no index open, database error),
 *              internal (a bug or out of memory)
 *   query:     empty_query, query_too_long, too_many_terms, unbalanced_quote,
 *              unbalanced_paren, unknown_field, missing_value, bad_date,
 *              wildcard_too_short, wildcard_too_broad, missing_operand,
 *              bad_near, query_too_deep, like_not_found, no_words
 *   request:   bad_date (since/until), bad_paging (limit/offset over the caps),
 *              bad_cursor (after is not a next), stale_cursor (the index
 *              changed since the cursor, or its hit moved)
 *              too_costly (a NEAR repeating common words), too_big (a reply
 *              over MG_PROTO_MAX_REPLY bytes)
 *   Messages point at the offending part, e.g. "unbalanced quote at column 7:
 *   no closing \"", "unknown field 'titel:' at column 1 (fields: ...)". */
#ifndef MG_PROTOCOL_H
#define MG_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#include "jsonw.h"
#include "search.h"

#define MG_PROTO_VERSION 1
#define MG_PROTO_MAX_DEPTH 16 /* deeper JSON is refused */
#define MG_PROTO_MAX_MARKER 64 /* bytes of a snippet "start"/"end" marker */
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
