/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmorgue-client: talk to morgued from C (docs/client.md).
 *
 * Depends only on libzmq and jansson (pkg-config morgue-client). A client
 * connects to one or several morgued endpoints; requests are spread over the
 * endpoints that are up (a REQ socket connected to all of them, with
 * ZMQ_IMMEDIATE), and each request waits timeout_ms for a reply, then is
 * resent on a fresh socket up to `retries` more times (the zguide's Lazy
 * Pirate). A client is not thread-safe: use one per thread.
 *
 *     mg_client_err err;
 *     mg_client *c = mg_client_new(NULL, 0, NULL, &err);   // the default endpoints
 *     mg_client_query q = {.query = "military parade", .limit = 5};
 *     mg_client_results *r;
 *     if (c && mg_client_search(c, &q, &r, &err) == 0) {
 *         for (size_t i = 0; i < r->nhits; i++)
 *             printf("%s  %s\n", r->hits[i].id, r->hits[i].title);
 *         mg_client_results_free(r);
 *     } else {
 *         fprintf(stderr, "%s\n", err.msg);
 *     }
 *     mg_client_free(c);
 *
 * Strings in results are owned by the result and valid until its _free.
 *
 * This library (client/morgue_client*.[ch], with lib/transport.[ch]) is
 * under the GNU Lesser General Public License 2.1 or later
 * (COPYING.LGPL-2.1): programs of any licence may link it. */
#ifndef MORGUE_CLIENT_H
#define MORGUE_CLIENT_H

/* The morgue release this header came with (lib/version.h's MORGUE_VERSION). */
#define MORGUE_CLIENT_VERSION "0.1.0"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes (stable; only ever appended). */
typedef enum mg_client_code {
    MG_CLIENT_OK = 0,
    MG_CLIENT_ENOMEM = 1,   /* out of memory */
    MG_CLIENT_EINVAL = 2,   /* bad argument, endpoint or key */
    MG_CLIENT_ETIMEOUT = 3, /* no reply from any endpoint after every retry */
    MG_CLIENT_EREPLY = 4,   /* the reply was not a valid protocol reply */
    MG_CLIENT_ESERVER = 5,  /* the daemon answered with an error: see server_code */
    MG_CLIENT_EZMQ = 6,     /* a ZeroMQ call failed */
    MG_CLIENT_EIO = 7,      /* reading or writing a key file failed */
    MG_CLIENT_ENOSOCK = 8,  /* every endpoint is an ipc:// socket file that does not exist */
    MG_CLIENT_EAGAIN = 9    /* mg_client_recv: no reply yet; mg_client_send: its queue
                             * is full, try again later */
} mg_client_code;

typedef struct mg_client_err {
    int code;             /* an mg_client_code */
    char server_code[64]; /* for MG_CLIENT_ESERVER: the protocol's error code, e.g. "bad_query" */
    char msg[512];        /* human-readable, no trailing newline */
} mg_client_err;

typedef struct mg_client_opts {
    int timeout_ms;         /* per attempt; default 2000 */
    int retries;            /* extra attempts after a timeout; default 2 */
    const char *server_key; /* CURVE: the daemon's Z85 public key (40 chars), or NULL */
    const char *public_key; /* CURVE: this client's Z85 key pair */
    const char *secret_key;
    long max_reply; /* largest reply accepted, bytes; default 64 MiB */
} mg_client_opts;

/* Fill *o with the defaults above. */
void mg_client_opts_default(mg_client_opts *o);

/* The default ipc endpoint, as morgued binds it: ipc://$XDG_RUNTIME_DIR/morgued.sock,
 * or ipc:///tmp/morgued-UID.sock when XDG_RUNTIME_DIR is unset. */
void mg_client_default_ipc(char *out, size_t outsz);
#define MG_CLIENT_DEFAULT_TCP "tcp://127.0.0.1:5555"

/* Connect to endpoints[0..n) (tcp:// or ipc://). n == 0 means the defaults:
 * $MORGUE_ENDPOINT when set (several may be separated by commas or spaces),
 * else the default ipc endpoint and MG_CLIENT_DEFAULT_TCP. opts may be NULL
 * for the defaults. Nothing is sent yet, so an unreachable daemon is only
 * noticed by the first request. Returns NULL on error (see *err). Caller
 * frees with mg_client_free(). */
typedef struct mg_client mg_client;

/* Whether ep[0..len) is an endpoint morgue can use: "ipc://PATH" (a path
 * that fits a unix socket address) or "tcp://HOST:PORT", HOST a name, an
 * IPv4 address or a bracketed IPv6 address, PORT a number 1..65535; no
 * control characters or spaces. With MG_CLIENT_EP_BIND (morgued's --bind),
 * HOST may also be "*" (every interface) and PORT "*" (any free port). A
 * tcp source address ("tcp://SOURCE;HOST:PORT", libzmq's form) is checked
 * like HOST, its ":PORT" optional. 0, or -MG_CLIENT_EINVAL with a message
 * that says what is wrong. */
#define MG_CLIENT_EP_BIND 1
int mg_client_check_endpoint(const char *ep, size_t len, int flags, mg_client_err *err);

mg_client *mg_client_new(const char *const *endpoints, size_t n, const mg_client_opts *opts,
                         mg_client_err *err);

/* mg_client_new() on the caller's ZeroMQ context (zmq_ctx_new()), so that
 * many clients share its I/O thread; NULL: a context of the client's own.
 * The context is borrowed: free every client on it before zmq_ctx_term(). */
mg_client *mg_client_new_with_context(void *zmq_ctx, const char *const *endpoints, size_t n,
                                      const mg_client_opts *opts, mg_client_err *err);
void mg_client_free(mg_client *c); /* NULL is a no-op */

/* Whether ep[0..len) is an ipc:// endpoint whose socket file does not
 * exist. Every call fails at once with MG_CLIENT_ENOSOCK, without waiting
 * for its timeout, when this holds for each of a client's endpoints. */
bool mg_client_ipc_missing(const char *ep, size_t len);

/* The endpoints as one string ("ipc://... tcp://..."), for messages. Valid
 * until mg_client_free(). */
const char *mg_client_endpoints(const mg_client *c);

/* The raw escape hatch: send one request (any JSON text, docs/protocol.md)
 * and receive the reply text, with timeout and retries. On success returns 0
 * and *reply is a malloc'd NUL-terminated string (caller frees), *reply_len
 * its length (reply_len may be NULL). The reply is returned as is, even an
 * error reply. Fails with MG_CLIENT_ETIMEOUT, MG_CLIENT_EZMQ, ... */
int mg_client_request(mg_client *c, const char *req, size_t len, char **reply, size_t *reply_len,
                      mg_client_err *err);

/* ---- per-call settings ---- */

#define MG_CLIENT_MAX_TAG 256 /* bytes of a tag, as the protocol caps it */

/* What one call may set for itself; zero fields keep the client's. */
typedef struct mg_client_call {
    int timeout_ms;  /* per attempt; 0: the client's opts.timeout_ms */
    int attempts;    /* 0: the client's opts.retries + 1 */
    const char *tag; /* NULL, or sent as the request's "tag": a reply that
                      * does not carry it back is MG_CLIENT_EREPLY */
} mg_client_call;

/* mg_client_request() (and below, _search, _get, _stats_get, _ping) with
 * the settings of call (NULL: the client's). A tagged raw request must be
 * a JSON object. */
int mg_client_request_with(mg_client *c, const mg_client_call *call, const char *req, size_t len,
                           char **reply, size_t *reply_len, mg_client_err *err);

/* ---- event loops (libuv, epoll, ...) ----
 *
 * A client also has a DEALER socket for requests in flight together:
 * mg_client_send() queues one without waiting, mg_client_recv() takes a
 * reply that has arrived, with the tag of its request, so the caller
 * matches replies to requests (they may come back in any order). Nothing
 * here retries or times out: the caller's loop does, by tag.
 *
 * The descriptor of mg_client_fd() is ZeroMQ's ZMQ_FD: readable means
 * "look", edge-triggered. When it is readable, and after every
 * mg_client_send(), call mg_client_recv() until it returns
 * -MG_CLIENT_EAGAIN. Never read or write the descriptor itself. */

/* The descriptor to poll for POLLIN into *fd. 0, or a negative code. */
int mg_client_fd(mg_client *c, int *fd, mg_client_err *err);

/* Queue req (any JSON object) with "tag":tag added (tag NULL: as is; at
 * most MG_CLIENT_MAX_TAG bytes). Never blocks: requests wait in the queue
 * while no daemon is connected yet; -MG_CLIENT_EAGAIN when it is full
 * (1000 requests). */
int mg_client_send(mg_client *c, const char *req, size_t len, const char *tag, mg_client_err *err);

/* Take one reply: 0 with *reply (malloc'd, NUL-terminated, caller frees;
 * an error reply too), *reply_len (may be NULL) and its tag in
 * tag[0..tagsz) ("" when it has none; tag may be NULL). -MG_CLIENT_EAGAIN
 * when none has arrived. Parse it with mg_client_results_parse() and
 * friends. */
int mg_client_recv(mg_client *c, char **reply, size_t *reply_len, char *tag, size_t tagsz,
                   mg_client_err *err);

/* ---- search ---- */

enum { /* facet flags, as in the protocol */
       MG_CLIENT_FACET_SOURCE = 1,
       MG_CLIENT_FACET_CATEGORY = 2,
       MG_CLIENT_FACET_YEAR = 4,
       MG_CLIENT_FACET_MONTH = 8,
       MG_CLIENT_FACET_WEEK = 16, /* ISO 8601 weeks, "YYYY-Www" */
       MG_CLIENT_FACET_DAY = 32
};

typedef struct mg_client_query {
    const char *query;         /* the morgue query language (docs/query-language.md) */
    const char *source;        /* NULL, or only hits from this source (name or its start) */
    size_t offset, limit;      /* limit 0: the daemon's default (10) */
    const char *sort;          /* NULL/"relevance", "newest", "oldest", "relevance+recency" */
    const char *since, *until; /* NULL or YYYY, YYYY-MM, YYYY-MM-DD, or a day back
                                * from the daemon's today: "7d", "yesterday", ... */
    unsigned facets;           /* MG_CLIENT_FACET_* */
    bool no_snippets;          /* true: do not build snippets (faster) */
    size_t snippet_bytes;      /* 0: the daemon's default */
    const char *hl_start;      /* highlight markers around matches; NULL: none */
    const char *hl_end;
    bool html;         /* HTML-escape snippet text (not the markers) */
    bool no_collapse;  /* keep syndicated duplicates apart */
    bool no_relax;     /* only hits with every word (protocol "relax": false) */
    bool no_hits;      /* counts and facets only ("limit":0; limit is ignored) */
    bool cursor;       /* ask for results->next, to page past 10,000 hits */
    const char *after; /* NULL, or the next of the previous page (offset 0) */
} mg_client_query;

typedef struct mg_client_hit {
    unsigned rank; /* 1-based over the whole result list */
    double score;
    int percent;
    const char *id, *title, *date, *source, *url;
    const char *snippet; /* NULL when snippets were not asked for */
    const char **categories;
    size_t ncategories;
    unsigned collapsed; /* near-duplicates folded into this hit */
    bool partial;       /* "matched":"some": a relaxed hit with only some of the words */
} mg_client_hit;

typedef struct mg_client_facet_value {
    const char *value;
    unsigned long count;
} mg_client_facet_value;

typedef struct mg_client_facet {
    const char *name; /* "source", "category", "year", "month", "week", "day" */
    mg_client_facet_value *values;
    size_t nvalues;
} mg_client_facet;

typedef struct mg_client_term {
    const char *word; /* as the sample most often writes it */
    const char *stem; /* the indexed term */
    unsigned docs;    /* the sample's articles that hold it */
} mg_client_term;

typedef struct mg_client_results {
    mg_client_hit *hits;
    size_t nhits;
    /* Every match of the ranking: those with every word, then (relaxed)
     * those with some; exact when total_exact (lower == upper). */
    unsigned long long total_estimate, total_lower, total_upper;
    bool total_exact;
    /* The matches with every word alone (as total when not relaxed). */
    unsigned long long all_estimate, all_lower, all_upper;
    bool all_exact;
    bool relaxed;           /* matches with only some of the words follow them */
    const char *suggestion; /* "did you mean" query, or NULL */
    const char *parsed;     /* the query as understood, or NULL */
    const char *next;       /* with cursor or after: the next page's after;
                             * NULL when the ranking ended */
    mg_client_facet *facets;
    size_t nfacets;
    long long took_us; /* time the daemon spent */
    const char *json;  /* the whole reply text */
    size_t json_len;
    void *internal_;
    /* "partial": the hits, counts and facets are not the whole index's:
     * the time budget ended the match, or shards of a sharded index could
     * not be reached (their names in missing_shards). */
    bool partial;
    const char **missing_shards;
    size_t nmissing;
    /* With "terms" asked (mg_client_search_ex): the words that set the
     * best matches apart, best first, and the number of matches they were
     * taken from (docs/protocol.md); NULL and 0 otherwise. (The library
     * allocates this struct, so fields are only ever added at its end.) */
    mg_client_term *terms;
    size_t nterms;
    size_t terms_sample;
} mg_client_results;

/* Run a search. On success returns 0 and *out is a new result (caller frees
 * with mg_client_results_free()). A query the daemon rejects is
 * MG_CLIENT_ESERVER with err->server_code and the daemon's message; a
 * string of q that is not valid UTF-8 is MG_CLIENT_EINVAL, unsent (so is
 * mg_client_get()'s id). */
int mg_client_search(mg_client *c, const mg_client_query *q, mg_client_results **out,
                     mg_client_err *err);
int mg_client_search_with(mg_client *c, const mg_client_call *call, const mg_client_query *q,
                          mg_client_results **out, mg_client_err *err);
void mg_client_results_free(mg_client_results *r); /* NULL is a no-op */

/* The request mg_client_search() sends, as JSON text (malloc'd, caller
 * frees; *len may be NULL). NULL when out of memory, q->query is NULL or
 * one of q's strings is not valid UTF-8 (which JSON cannot carry). */
char *mg_client_search_request(const mg_client_query *q, size_t *len);

/* A search with the request fields of docs/protocol.md that
 * mg_client_query does not carry (the caller allocates that struct, so it
 * never grows): extra is the text of a JSON object whose fields are added
 * to q's request, replacing any q sets, e.g. {"terms":20} or
 * {"sort":"relevance+recency","half_life":7}; NULL adds nothing.
 * MG_CLIENT_EINVAL when extra is not a JSON object. */
int mg_client_search_ex(mg_client *c, const mg_client_call *call, const mg_client_query *q,
                        const char *extra, mg_client_results **out, mg_client_err *err);
/* Its request as JSON text (malloc'd, caller frees); NULL when q->query is
 * NULL, extra is not a JSON object, or out of memory. */
char *mg_client_search_request_ex(const mg_client_query *q, const char *extra, size_t *len);

/* Parse a search reply (text as the daemon sends it, or as
 * mg_proto_handle() produces it in-process). Same results and errors as
 * mg_client_search(). */
int mg_client_results_parse(const char *reply, size_t len, mg_client_results **out,
                            mg_client_err *err);

/* ---- get ---- */

typedef struct mg_client_doc {
    const char *id, *title, *date, *source, *url, *author, *lang, *body;
    const char **categories;
    size_t ncategories;
    long long took_us;
    const char *json; /* the whole reply text */
    size_t json_len;
    void *internal_;
} mg_client_doc;

/* Fetch one stored article by id. A missing id is MG_CLIENT_ESERVER with
 * server_code "not_found". Caller frees *out with mg_client_doc_free(). */
int mg_client_get(mg_client *c, const char *id, mg_client_doc **out, mg_client_err *err);
int mg_client_get_with(mg_client *c, const mg_client_call *call, const char *id,
                       mg_client_doc **out, mg_client_err *err);
void mg_client_doc_free(mg_client_doc *d); /* NULL is a no-op */
char *mg_client_get_request(const char *id, size_t *len);
int mg_client_doc_parse(const char *reply, size_t len, mg_client_doc **out, mg_client_err *err);

/* ---- stats and ping ---- */

typedef struct mg_client_stats {
    long long documents, revision; /* -1 when the reply lacks them */
    long long index_age_s;         /* seconds since the last index commit, or -1 */
    long long uptime_s, queries, errors, latency_p50_us, latency_p99_us,
        workers;      /* daemon; -1 offline */
    const char *json; /* the whole reply text (also has index path, language, ...) */
    size_t json_len;
    void *internal_;
} mg_client_stats;

int mg_client_stats_get(mg_client *c, mg_client_stats **out, mg_client_err *err);
int mg_client_stats_with(mg_client *c, const mg_client_call *call, mg_client_stats **out,
                         mg_client_err *err);
void mg_client_stats_free(mg_client_stats *s); /* NULL is a no-op */
int mg_client_stats_parse(const char *reply, size_t len, mg_client_stats **out, mg_client_err *err);

/* The daemon's counters in the Prometheus text exposition format (the
 * "metrics" op): 0 and *text (malloc'd, caller frees). */
int mg_client_metrics(mg_client *c, char **text, mg_client_err *err);

/* Round trip to a daemon: 0 and *rtt_us (may be NULL) on a pong. */
int mg_client_ping(mg_client *c, long long *rtt_us, mg_client_err *err);
int mg_client_ping_with(mg_client *c, const mg_client_call *call, long long *rtt_us,
                        mg_client_err *err);

/* ---- CURVE keys ---- */

/* Write a new CURVE key pair: PREFIX.key (the Z85 secret key, mode 0600) and
 * PREFIX.pub (the Z85 public key). Refuses to overwrite existing files. */
int mg_client_keygen(const char *prefix, mg_client_err *err);

/* Read a Z85 key (40 characters) from a key file written by
 * mg_client_keygen() (first non-comment line), or take `file_or_key` itself
 * when it is a 40-character Z85 key. out gets 41 bytes with the NUL. */
int mg_client_read_key(const char *file_or_key, char out[41], mg_client_err *err);

/* Refuse a public key where a secret key is wanted: file_or_key, from which
 * mg_client_read_key() read secret, is a file named *.pub without the
 * "# morgue CURVE secret key" line mg_client_keygen() writes, or that line
 * names a public key that secret does not give (a damaged or mixed-up key
 * file). 0, or -MG_CLIENT_EINVAL with a message saying which. A key given
 * inline, or a file written by hand, cannot be told apart and passes. */
int mg_client_check_secret_key(const char *file_or_key, const char *secret, mg_client_err *err);

/* The public key of a Z85 secret key (both 40 characters). */
int mg_client_public_key(const char *secret, char out[41], mg_client_err *err);

#ifdef __cplusplus
}
#endif

#endif
