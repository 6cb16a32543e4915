/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmorgue-client: requests to morgued over ZeroMQ with timeouts and Lazy
 * Pirate retries, request building and typed reply parsing. Only libzmq and
 * jansson, and of the engine library only lib/transport.c (what morgued
 * and its clients agree on, compiled in). */
#include "morgue_client.h"
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#define MAX_ENDPOINTS 64

struct mg_client {
    void *ctx;
    bool own_ctx; /* false: the caller's context (mg_client_new_with_context) */
    void *sock;   /* NULL between a timeout and the next attempt */
    void *async;  /* the DEALER of mg_client_send/recv, opened on first use */
    char **eps;
    size_t neps;
    char *eps_str;
    mg_client_opts o;
    bool curve;
    char server_key[41], public_key[41], secret_key[41];
};

static int fail(mg_client_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(mg_client_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
        err->server_code[0] = '\0';
    }
    return -code;
}

static void clear(mg_client_err *err)
{
    if (err) {
        err->code = MG_CLIENT_OK;
        err->server_code[0] = '\0';
        err->msg[0] = '\0';
    }
}

void mg_client_opts_default(mg_client_opts *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_ms = 2000;
    o->retries = 2;
    o->max_reply = 64L << 20;
}

void mg_client_default_ipc(char *out, size_t outsz)
{
    mg_transport_default_ipc(out, outsz);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mg_client_check_endpoint(const char *ep, size_t len, int flags, mg_client_err *err)
{
    char msg[sizeof err->msg];
    int tflags = flags & MG_CLIENT_EP_BIND ? MG_TRANSPORT_EP_BIND : 0;
    if (mg_transport_check_endpoint(ep, len, tflags, msg, sizeof msg) != 0)
        return fail(err, MG_CLIENT_EINVAL, "%s", msg);
    return 0;
}

static int add_endpoint(mg_client *c, const char *ep, size_t len, mg_client_err *err)
{
    if (c->neps == MAX_ENDPOINTS)
        return fail(err, MG_CLIENT_EINVAL, "at most %d endpoints", MAX_ENDPOINTS);
    int rc = mg_client_check_endpoint(ep, len, 0, err);
    if (rc < 0)
        return rc;
    char *copy = strndup(ep, len);
    if (!copy)
        return fail(err, MG_CLIENT_ENOMEM, "out of memory");
    c->eps[c->neps++] = copy;
    return 0;
}

/* A socket of type (ZMQ_REQ or ZMQ_DEALER) connected to every endpoint, in
 * *out. For REQ, ZMQ_IMMEDIATE keeps requests off endpoints that are not
 * up, so one live daemon is enough. A DEALER queues its requests until its
 * connections are up, so the first send after mg_client_new() does not
 * fail (the caller's loop times out what is never answered). */
static int open_socket(mg_client *c, int type, void **out, mg_client_err *err)
{
    void *s = zmq_socket(c->ctx, type);
    if (!s)
        return fail(err, MG_CLIENT_EZMQ, "zmq_socket: %s", zmq_strerror(errno));
    int zero = 0, one = 1;
    int64_t maxmsg = c->o.max_reply;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (type == ZMQ_REQ)
        zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof one);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(s, ZMQ_IPV6, &one, sizeof one);
    if (c->curve && (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, c->server_key, 40) != 0 ||
                     zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, c->public_key, 40) != 0 ||
                     zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, c->secret_key, 40) != 0)) {
        int e = errno;
        zmq_close(s);
        return fail(err, MG_CLIENT_EZMQ, "CURVE keys: %s", zmq_strerror(e));
    }
    for (size_t i = 0; i < c->neps; i++)
        if (zmq_connect(s, c->eps[i]) != 0) {
            int e = errno;
            zmq_close(s);
            return fail(err, MG_CLIENT_EINVAL, "connect %s: %s", c->eps[i], zmq_strerror(e));
        }
    *out = s;
    return 0;
}

mg_client *mg_client_new(const char *const *endpoints, size_t n, const mg_client_opts *opts,
                         mg_client_err *err)
{
    return mg_client_new_with_context(NULL, endpoints, n, opts, err);
}

mg_client *mg_client_new_with_context(void *zmq_ctx, const char *const *endpoints, size_t n,
                                      const mg_client_opts *opts, mg_client_err *err)
{
    clear(err);
    mg_client *c = calloc(1, sizeof *c);
    if (!c || !(c->eps = calloc(MAX_ENDPOINTS, sizeof *c->eps))) {
        free(c);
        fail(err, MG_CLIENT_ENOMEM, "out of memory");
        return NULL;
    }
    if (opts)
        c->o = *opts;
    else
        mg_client_opts_default(&c->o);
    if (c->o.timeout_ms <= 0)
        c->o.timeout_ms = 2000;
    if (c->o.retries < 0)
        c->o.retries = 0;
    if (c->o.max_reply <= 0)
        c->o.max_reply = 64L << 20;

    int rc = 0;
    const char *env = getenv("MORGUE_ENDPOINT");
    if (n > 0) {
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = add_endpoint(c, endpoints[i], strlen(endpoints[i]), err);
    } else if (env && *env) {
        for (const char *p = env; *p && rc == 0;) {
            p += strspn(p, ", \t");
            size_t len = strcspn(p, ", \t");
            if (len)
                rc = add_endpoint(c, p, len, err);
            p += len;
        }
    } else {
        char ipc[4200];
        mg_client_default_ipc(ipc, sizeof ipc);
        rc = add_endpoint(c, ipc, strlen(ipc), err);
        if (rc == 0)
            rc = add_endpoint(c, MG_CLIENT_DEFAULT_TCP, strlen(MG_CLIENT_DEFAULT_TCP), err);
    }
    if (rc == 0 && c->neps == 0)
        rc = fail(err, MG_CLIENT_EINVAL, "no endpoint");

    if (rc == 0 && (c->o.server_key || c->o.public_key || c->o.secret_key)) {
        if (!c->o.server_key || !c->o.secret_key)
            rc = fail(err, MG_CLIENT_EINVAL,
                      "CURVE needs the server's public key and this client's secret key");
        else if (strlen(c->o.server_key) != 40 || strlen(c->o.secret_key) != 40)
            rc = fail(err, MG_CLIENT_EINVAL, "CURVE keys are 40 Z85 characters");
        else if (!zmq_has("curve"))
            rc = fail(err, MG_CLIENT_EINVAL, "this libzmq was built without CURVE");
        if (rc == 0) {
            memcpy(c->server_key, c->o.server_key, 41);
            memcpy(c->secret_key, c->o.secret_key, 41);
            if (c->o.public_key && strlen(c->o.public_key) == 40)
                memcpy(c->public_key, c->o.public_key, 41);
            else
                rc = mg_client_public_key(c->secret_key, c->public_key, err);
            c->curve = rc == 0;
        }
        c->o.server_key = c->o.public_key = c->o.secret_key = NULL; /* not kept borrowed */
    }

    if (rc == 0) {
        size_t total = 1;
        for (size_t i = 0; i < c->neps; i++)
            total += strlen(c->eps[i]) + 1;
        if (!(c->eps_str = malloc(total)))
            rc = fail(err, MG_CLIENT_ENOMEM, "out of memory");
        else {
            c->eps_str[0] = '\0';
            for (size_t i = 0; i < c->neps; i++) {
                if (i)
                    strcat(c->eps_str, " ");
                strcat(c->eps_str, c->eps[i]);
            }
        }
    }
    c->ctx = zmq_ctx;
    c->own_ctx = !zmq_ctx;
    if (rc == 0 && c->own_ctx && !(c->ctx = zmq_ctx_new()))
        rc = fail(err, MG_CLIENT_EZMQ, "zmq_ctx_new: %s", zmq_strerror(errno));
    if (rc == 0)
        rc = open_socket(c, ZMQ_REQ, &c->sock, err);
    if (rc != 0) {
        mg_client_free(c);
        return NULL;
    }
    return c;
}

void mg_client_free(mg_client *c)
{
    if (!c)
        return;
    if (c->sock)
        zmq_close(c->sock);
    if (c->async)
        zmq_close(c->async);
    if (c->ctx && c->own_ctx)
        zmq_ctx_term(c->ctx);
    for (size_t i = 0; i < c->neps; i++)
        free(c->eps[i]);
    free(c->eps);
    free(c->eps_str);
    memset(c->secret_key, 0, sizeof c->secret_key);
    free(c);
}

const char *mg_client_endpoints(const mg_client *c)
{
    return c ? c->eps_str : "";
}

/* Wait for ev on the socket until deadline; 1 ready, 0 timed out, <0 error. */
static int wait_for(void *sock, short ev, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left < 0)
            left = 0;
        zmq_pollitem_t it = {sock, 0, ev, 0};
        int rc = zmq_poll(&it, 1, (long)left);
        if (rc < 0 && errno == EINTR && left > 0)
            continue;
        if (rc < 0)
            return -1;
        return (it.revents & ev) ? 1 : 0;
    }
}

bool mg_client_ipc_missing(const char *ep, size_t len)
{
    char path[sizeof((struct sockaddr_un *)0)->sun_path];
    if (len < 6 || strncmp(ep, "ipc://", 6) != 0 || len - 6 >= sizeof path)
        return false;
    memcpy(path, ep + 6, len - 6);
    path[len - 6] = '\0';
    struct stat st;
    return stat(path, &st) != 0;
}

/* MG_CLIENT_ENOSOCK when every endpoint is an ipc:// socket file that does
 * not exist: no daemon can answer, so do not wait for the timeouts. */
static int check_sockets(const mg_client *c, mg_client_err *err)
{
    for (size_t i = 0; i < c->neps; i++)
        if (!mg_client_ipc_missing(c->eps[i], strlen(c->eps[i])))
            return 0;
    return fail(err, MG_CLIENT_ENOSOCK, "no daemon at %s (no such socket file)", c->eps_str);
}

/* req with "tag":tag added (malloc'd, *len set), or NULL when req is not a
 * JSON object or out of memory. */
static char *add_tag(const char *req, size_t *len, const char *tag)
{
    json_t *o = json_loadb(req, *len, 0, NULL);
    char *s = NULL;
    if (json_is_object(o) && json_object_set_new(o, "tag", json_string(tag)) == 0)
        s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s)
        *len = strlen(s);
    return s;
}

/* The "tag" of a reply into tag[tagsz] ("" when none); false when the reply
 * is not a JSON object. */
static bool reply_tag(const char *reply, size_t len, char *tag, size_t tagsz)
{
    json_t *o = json_loadb(reply, len, 0, NULL);
    const char *t = json_string_value(json_object_get(o, "tag"));
    if (tag && tagsz)
        snprintf(tag, tagsz, "%s", t ? t : "");
    bool ok = json_is_object(o);
    json_decref(o);
    return ok;
}

int mg_client_request(mg_client *c, const char *req, size_t len, char **reply, size_t *reply_len,
                      mg_client_err *err)
{
    return mg_client_request_with(c, NULL, req, len, reply, reply_len, err);
}

static int request_attempts(mg_client *c, const mg_client_call *call, const char *req, size_t len,
                            char **reply, size_t *reply_len, mg_client_err *err);

int mg_client_request_with(mg_client *c, const mg_client_call *call, const char *req, size_t len,
                           char **reply, size_t *reply_len, mg_client_err *err)
{
    clear(err);
    *reply = NULL;
    if (!c || !req)
        return fail(err, MG_CLIENT_EINVAL, "no client or no request");
    if (!call || !call->tag)
        return request_attempts(c, call, req, len, reply, reply_len, err);
    if (strlen(call->tag) > MG_CLIENT_MAX_TAG)
        return fail(err, MG_CLIENT_EINVAL, "a tag is at most %d bytes", MG_CLIENT_MAX_TAG);
    char *tagged = add_tag(req, &len, call->tag);
    if (!tagged)
        return fail(err, MG_CLIENT_EINVAL, "a tagged request must be a JSON object");
    int rc = request_attempts(c, call, tagged, len, reply, reply_len, err);
    free(tagged);
    char tag[MG_CLIENT_MAX_TAG + 1];
    if (rc == 0 && (!reply_tag(*reply, reply_len ? *reply_len : strlen(*reply), tag, sizeof tag) ||
                    strcmp(tag, call->tag) != 0)) {
        free(*reply);
        *reply = NULL;
        return fail(err, MG_CLIENT_EREPLY, "the reply from %s does not carry the tag '%s'",
                    c->eps_str, call->tag);
    }
    return rc;
}

static int request_attempts(mg_client *c, const mg_client_call *call, const char *req, size_t len,
                            char **reply, size_t *reply_len, mg_client_err *err)
{
    int timeout_ms = call && call->timeout_ms > 0 ? call->timeout_ms : c->o.timeout_ms;
    int attempts = call && call->attempts > 0 ? call->attempts : c->o.retries + 1;
    if (check_sockets(c, err) != 0)
        return -MG_CLIENT_ENOSOCK;
    for (int a = 0; a < attempts; a++) {
        if (!c->sock && open_socket(c, ZMQ_REQ, &c->sock, err) != 0)
            return -err->code;
        int64_t deadline = now_ms() + timeout_ms;
        int rc = wait_for(c->sock, ZMQ_POLLOUT, deadline);
        if (rc > 0 && zmq_send(c->sock, req, len, ZMQ_DONTWAIT) == (int)len)
            rc = wait_for(c->sock, ZMQ_POLLIN, deadline);
        else if (rc > 0)
            rc = -1;
        if (rc > 0) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                return fail(err, MG_CLIENT_EZMQ, "receive: %s", zmq_strerror(errno));
            }
            if (zmq_msg_more(&m)) {
                zmq_msg_close(&m);
                /* Not a morgued reply; the socket is out of step now. */
                zmq_close(c->sock);
                c->sock = NULL;
                return fail(err, MG_CLIENT_EREPLY, "reply from %s has several frames", c->eps_str);
            }
            size_t n = zmq_msg_size(&m);
            char *out = malloc(n + 1);
            if (!out) {
                zmq_msg_close(&m);
                return fail(err, MG_CLIENT_ENOMEM, "out of memory");
            }
            memcpy(out, zmq_msg_data(&m), n);
            out[n] = '\0';
            zmq_msg_close(&m);
            *reply = out;
            if (reply_len)
                *reply_len = n;
            return 0;
        }
        if (rc < 0 && errno != EAGAIN)
            return fail(err, MG_CLIENT_EZMQ, "%s: %s", c->eps_str, zmq_strerror(errno));
        /* Lazy Pirate: a REQ socket that lost its reply is stuck; start over
         * on a fresh one (which also reconnects). */
        zmq_close(c->sock);
        c->sock = NULL;
    }
    return fail(err, MG_CLIENT_ETIMEOUT, "no reply from %s (%d attempt%s of %d ms)", c->eps_str,
                attempts, attempts == 1 ? "" : "s", timeout_ms);
}

/* ---- event loops: a DEALER socket, replies matched by tag ---- */

static int async_socket(mg_client *c, mg_client_err *err)
{
    return c->async ? 0 : open_socket(c, ZMQ_DEALER, &c->async, err);
}

int mg_client_fd(mg_client *c, int *fd, mg_client_err *err)
{
    clear(err);
    if (!c || !fd)
        return fail(err, MG_CLIENT_EINVAL, "no client");
    int rc = async_socket(c, err);
    size_t sz = sizeof *fd;
    if (rc == 0 && zmq_getsockopt(c->async, ZMQ_FD, fd, &sz) != 0)
        rc = fail(err, MG_CLIENT_EZMQ, "ZMQ_FD: %s", zmq_strerror(errno));
    return rc;
}

int mg_client_send(mg_client *c, const char *req, size_t len, const char *tag, mg_client_err *err)
{
    clear(err);
    if (!c || !req)
        return fail(err, MG_CLIENT_EINVAL, "no client or no request");
    if (tag && strlen(tag) > MG_CLIENT_MAX_TAG)
        return fail(err, MG_CLIENT_EINVAL, "a tag is at most %d bytes", MG_CLIENT_MAX_TAG);
    int rc = check_sockets(c, err);
    if (rc == 0)
        rc = async_socket(c, err);
    if (rc != 0)
        return rc;
    char *tagged = tag ? add_tag(req, &len, tag) : NULL;
    if (tag && !tagged)
        return fail(err, MG_CLIENT_EINVAL, "a tagged request must be a JSON object");
    /* an empty delimiter first, as a REQ socket sends */
    bool sent = zmq_send(c->async, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 0 &&
                zmq_send(c->async, tagged ? tagged : req, len, ZMQ_DONTWAIT) == (int)len;
    int e = errno;
    free(tagged);
    if (!sent && e == EAGAIN)
        return fail(err, MG_CLIENT_EAGAIN, "the queue of requests to %s is full", c->eps_str);
    if (!sent)
        return fail(err, MG_CLIENT_EZMQ, "send: %s", zmq_strerror(e));
    return 0;
}

int mg_client_recv(mg_client *c, char **reply, size_t *reply_len, char *tag, size_t tagsz,
                   mg_client_err *err)
{
    clear(err);
    *reply = NULL;
    if (tag && tagsz)
        tag[0] = '\0';
    if (!c)
        return fail(err, MG_CLIENT_EINVAL, "no client");
    int rc = async_socket(c, err);
    if (rc != 0)
        return rc;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, c->async, ZMQ_DONTWAIT) < 0) {
            int e = errno;
            zmq_msg_close(&m);
            if (e == EAGAIN)
                return fail(err, MG_CLIENT_EAGAIN, "no reply waiting");
            return fail(err, MG_CLIENT_EZMQ, "receive: %s", zmq_strerror(e));
        }
        size_t n = zmq_msg_size(&m);
        if (n == 0 && zmq_msg_more(&m)) { /* the delimiter */
            zmq_msg_close(&m);
            continue;
        }
        char *out = zmq_msg_more(&m) ? NULL : malloc(n + 1);
        if (out) {
            memcpy(out, zmq_msg_data(&m), n);
            out[n] = '\0';
        }
        bool more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        if (more) {
            while (more) { /* not a morgued reply: drop the rest */
                zmq_msg_init(&m);
                more = zmq_msg_recv(&m, c->async, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&m);
                zmq_msg_close(&m);
            }
            return fail(err, MG_CLIENT_EREPLY, "reply from %s has several frames", c->eps_str);
        }
        if (!out)
            return fail(err, MG_CLIENT_ENOMEM, "out of memory");
        reply_tag(out, n, tag, tagsz);
        *reply = out;
        if (reply_len)
            *reply_len = n;
        return 0;
    }
}

/* ---- requests ---- */

static char *dump(json_t *req, size_t *len)
{
    char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (s && len)
        *len = strlen(s);
    return s;
}

static json_t *request(const char *op)
{
    json_t *r = json_object();
    if (r) {
        json_object_set_new(r, "v", json_integer(1));
        json_object_set_new(r, "op", json_string(op));
    }
    return r;
}

static void set_str(json_t *o, const char *key, const char *v)
{
    if (v)
        json_object_set_new(o, key, json_string(v));
}

char *mg_client_search_request(const mg_client_query *q, size_t *len)
{
    if (!q || !q->query)
        return NULL;
    json_t *r = request("search");
    if (!r)
        return NULL;
    set_str(r, "query", q->query);
    set_str(r, "source", q->source);
    if (q->offset)
        json_object_set_new(r, "offset", json_integer((json_int_t)q->offset));
    if (q->limit || q->no_hits)
        json_object_set_new(r, "limit", json_integer(q->no_hits ? 0 : (json_int_t)q->limit));
    set_str(r, "sort", q->sort);
    set_str(r, "since", q->since);
    set_str(r, "until", q->until);
    if (q->facets) {
        static const char *const names[] = {"source", "category", "year", "month", "week", "day"};
        json_t *f = json_array();
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (q->facets & (1u << i))
                json_array_append_new(f, json_string(names[i]));
        json_object_set_new(r, "facets", f);
    }
    /* "snippet": false, or {"bytes", "start", "end", "html"} when any is set */
    if (q->no_snippets) {
        json_object_set_new(r, "snippet", json_false());
    } else if (q->snippet_bytes || q->hl_start || q->hl_end || q->html) {
        json_t *sn = json_object();
        if (q->snippet_bytes)
            json_object_set_new(sn, "bytes", json_integer((json_int_t)q->snippet_bytes));
        set_str(sn, "start", q->hl_start);
        set_str(sn, "end", q->hl_end);
        if (q->html)
            json_object_set_new(sn, "html", json_true());
        json_object_set_new(r, "snippet", sn);
    }
    if (q->no_collapse)
        json_object_set_new(r, "collapse", json_false());
    if (q->no_relax)
        json_object_set_new(r, "relax", json_false());
    if (q->cursor)
        json_object_set_new(r, "cursor", json_true());
    set_str(r, "after", q->after);
    return dump(r, len);
}

char *mg_client_get_request(const char *id, size_t *len)
{
    if (!id)
        return NULL;
    json_t *r = request("get");
    if (r)
        set_str(r, "id", id);
    return dump(r, len);
}

/* ---- replies ---- */

/* Parse reply text and check the envelope: 0 with *root (caller decrefs)
 * for an ok reply, MG_CLIENT_ESERVER for an error reply, MG_CLIENT_EREPLY
 * for anything else. */
static int envelope(const char *reply, size_t len, json_t **root, long long *took_us,
                    mg_client_err *err)
{
    clear(err);
    *root = NULL;
    json_error_t je;
    json_t *r = json_loadb(reply, len, 0, &je);
    if (!json_is_object(r)) {
        json_decref(r);
        return fail(err, MG_CLIENT_EREPLY, "the reply is not a JSON object: %s", je.text);
    }
    json_t *v = json_object_get(r, "v");
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        json_decref(r);
        return fail(err, MG_CLIENT_EREPLY, "the reply is not protocol version 1");
    }
    if (took_us)
        *took_us = json_integer_value(json_object_get(r, "took_us"));
    if (!json_is_true(json_object_get(r, "ok"))) {
        json_t *e = json_object_get(r, "error");
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        fail(err, MG_CLIENT_ESERVER, "%s", msg ? msg : "the daemon reported an error");
        if (err)
            snprintf(err->server_code, sizeof err->server_code, "%s", code ? code : "unknown");
        json_decref(r);
        return -MG_CLIENT_ESERVER;
    }
    *root = r;
    return 0;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *str0(json_t *o, const char *key)
{
    const char *s = str(o, key);
    return s ? s : "";
}

static unsigned long long num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        return json_integer_value(v) < 0 ? 0 : (unsigned long long)json_integer_value(v);
    return json_is_real(v) && json_real_value(v) > 0 ? (unsigned long long)json_real_value(v) : 0;
}

static long long num_or(json_t *o, const char *key, long long dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* An array of strings as borrowed pointers; NULL array when empty. */
static int strings(json_t *arr, const char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return 0;
    const char **v = calloc(json_array_size(arr), sizeof *v);
    if (!v)
        return -1;
    size_t i, k = 0;
    json_t *x;
    json_array_foreach(arr, i, x) if (json_is_string(x)) v[k++] = json_string_value(x);
    *out = v;
    *n = k;
    return 0;
}

static int facet_values(json_t *arr, mg_client_facet *f)
{
    size_t i, k = 0;
    json_t *x;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return 0;
    if (!(f->values = calloc(json_array_size(arr), sizeof *f->values)))
        return -1;
    json_array_foreach(arr, i, x)
    {
        const char *v = str(x, "value");
        if (!v)
            continue;
        f->values[k].value = v;
        f->values[k].count = (unsigned long)num(x, "count");
        k++;
    }
    f->nvalues = k;
    return 0;
}

void mg_client_results_free(mg_client_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nhits; i++)
        free(r->hits[i].categories);
    free(r->hits);
    for (size_t i = 0; i < r->nfacets; i++)
        free(r->facets[i].values);
    free(r->facets);
    free(r->missing_shards);
    json_decref(r->internal_);
    free(r);
}

/* Allocate a result struct of size sz with a copy of the reply text after
 * it, so one free() releases both. */
static void *alloc_with_text(size_t sz, const char *text, size_t len, const char **json)
{
    char *p = calloc(1, sz + len + 1);
    if (p) {
        memcpy(p + sz, text, len);
        *json = p + sz;
    }
    return p;
}

/* {"estimate","lower","upper","exact"} */
static void count_of(json_t *o, unsigned long long *estimate, unsigned long long *lower,
                     unsigned long long *upper, bool *exact)
{
    *estimate = num(o, "estimate");
    *lower = num(o, "lower");
    *upper = num(o, "upper");
    *exact = json_is_true(json_object_get(o, "exact"));
}

int mg_client_results_parse(const char *reply, size_t len, mg_client_results **out,
                            mg_client_err *err)
{
    *out = NULL;
    json_t *root;
    const char *json;
    long long took = 0;
    int rc = envelope(reply, len, &root, &took, err);
    if (rc != 0)
        return rc;
    mg_client_results *r = alloc_with_text(sizeof *r, reply, len, &json);
    if (!r) {
        json_decref(root);
        return fail(err, MG_CLIENT_ENOMEM, "out of memory");
    }
    r->internal_ = root;
    r->json = json;
    r->json_len = len;
    r->took_us = took;

    json_t *total = json_object_get(root, "total");
    if (json_is_object(total)) {
        count_of(total, &r->total_estimate, &r->total_lower, &r->total_upper, &r->total_exact);
    } else {
        r->total_estimate = num(root, "total");
        r->total_lower = r->total_upper = r->total_estimate;
    }
    json_t *all = json_object_get(root, "total_all");
    if (json_is_object(all)) {
        count_of(all, &r->all_estimate, &r->all_lower, &r->all_upper, &r->all_exact);
    } else { /* a daemon before total_all */
        r->all_estimate = r->total_estimate;
        r->all_lower = r->total_lower;
        r->all_upper = r->total_upper;
        r->all_exact = r->total_exact;
    }
    r->relaxed = json_is_true(json_object_get(root, "relaxed"));
    r->partial = json_is_true(json_object_get(root, "partial"));
    if (strings(json_object_get(root, "missing_shards"), &r->missing_shards, &r->nmissing) != 0) {
        mg_client_results_free(r);
        return fail(err, MG_CLIENT_ENOMEM, "out of memory");
    }
    r->suggestion = str(root, "suggestion");
    r->next = str(root, "next");
    r->parsed = str(root, "parsed");

    json_t *hits = json_object_get(root, "hits");
    if (!json_is_array(hits)) {
        mg_client_results_free(r);
        return fail(err, MG_CLIENT_EREPLY, "the reply has no \"hits\" array");
    }
    if (json_array_size(hits) && !(r->hits = calloc(json_array_size(hits), sizeof *r->hits)))
        goto nomem;
    size_t i;
    json_t *h;
    json_array_foreach(hits, i, h)
    {
        mg_client_hit *x = &r->hits[r->nhits];
        if (!json_is_object(h))
            continue;
        x->rank = (unsigned)num(h, "rank");
        x->score = json_number_value(json_object_get(h, "score"));
        x->percent = (int)num(h, "percent");
        x->id = str0(h, "id");
        x->title = str0(h, "title");
        x->date = str0(h, "date");
        x->source = str0(h, "source");
        x->url = str0(h, "url");
        x->snippet = str(h, "snippet");
        x->collapsed = (unsigned)num(h, "collapsed");
        x->partial = strcmp(str0(h, "matched"), "some") == 0;
        r->nhits++;
        if (strings(json_object_get(h, "categories"), &x->categories, &x->ncategories) != 0)
            goto nomem;
    }

    /* Facets: {"source":[{"value":..,"count":..},..],..} */
    json_t *facets = json_object_get(root, "facets");
    if (json_is_object(facets) && json_object_size(facets)) {
        if (!(r->facets = calloc(json_object_size(facets), sizeof *r->facets)))
            goto nomem;
        const char *name;
        json_t *vals;
        json_object_foreach(facets, name, vals)
        {
            mg_client_facet *f = &r->facets[r->nfacets++];
            f->name = name;
            if (facet_values(vals, f) != 0)
                goto nomem;
        }
    }
    *out = r;
    return 0;
nomem:
    mg_client_results_free(r);
    return fail(err, MG_CLIENT_ENOMEM, "out of memory");
}

/* Send req (freed here; NULL means it could not be built) and parse the
 * reply with parse into *out. */
typedef int (*parse_fn)(const char *reply, size_t len, void **out, mg_client_err *err);
static int roundtrip(mg_client *c, const mg_client_call *call, char *req, size_t len,
                     parse_fn parse, void **out, mg_client_err *err)
{
    *out = NULL;
    if (!req)
        return fail(err, MG_CLIENT_ENOMEM, "out of memory");
    char *reply;
    size_t rlen;
    int rc = mg_client_request_with(c, call, req, len, &reply, &rlen, err);
    free(req);
    if (rc != 0)
        return rc;
    rc = parse(reply, rlen, out, err);
    free(reply);
    return rc;
}

static int parse_results(const char *reply, size_t len, void **out, mg_client_err *err)
{
    return mg_client_results_parse(reply, len, (mg_client_results **)out, err);
}

static int parse_doc(const char *reply, size_t len, void **out, mg_client_err *err)
{
    return mg_client_doc_parse(reply, len, (mg_client_doc **)out, err);
}

static int parse_stats(const char *reply, size_t len, void **out, mg_client_err *err)
{
    return mg_client_stats_parse(reply, len, (mg_client_stats **)out, err);
}

int mg_client_search(mg_client *c, const mg_client_query *q, mg_client_results **out,
                     mg_client_err *err)
{
    return mg_client_search_with(c, NULL, q, out, err);
}

int mg_client_search_with(mg_client *c, const mg_client_call *call, const mg_client_query *q,
                          mg_client_results **out, mg_client_err *err)
{
    *out = NULL;
    if (!q || !q->query)
        return fail(err, MG_CLIENT_EINVAL, "no query");
    size_t len = 0;
    char *req = mg_client_search_request(q, &len);
    return roundtrip(c, call, req, len, parse_results, (void **)out, err);
}

void mg_client_doc_free(mg_client_doc *d)
{
    if (!d)
        return;
    free(d->categories);
    json_decref(d->internal_);
    free(d);
}

int mg_client_doc_parse(const char *reply, size_t len, mg_client_doc **out, mg_client_err *err)
{
    *out = NULL;
    json_t *root;
    const char *json;
    long long took = 0;
    int rc = envelope(reply, len, &root, &took, err);
    if (rc != 0)
        return rc;
    /* The record is in "doc" (or at the top level). */
    json_t *doc = json_object_get(root, "doc");
    if (!json_is_object(doc))
        doc = root;
    if (!str(doc, "id")) {
        json_decref(root);
        return fail(err, MG_CLIENT_EREPLY, "the reply has no document id");
    }
    mg_client_doc *d = alloc_with_text(sizeof *d, reply, len, &json);
    if (!d) {
        json_decref(root);
        return fail(err, MG_CLIENT_ENOMEM, "out of memory");
    }
    d->internal_ = root;
    d->json = json;
    d->json_len = len;
    d->took_us = took;
    d->id = str0(doc, "id");
    d->title = str0(doc, "title");
    d->date = str0(doc, "date");
    d->source = str0(doc, "source");
    d->url = str0(doc, "url");
    d->author = str0(doc, "author");
    d->lang = str0(doc, "lang");
    d->body = str0(doc, "body");
    if (strings(json_object_get(doc, "categories"), &d->categories, &d->ncategories) != 0) {
        mg_client_doc_free(d);
        return fail(err, MG_CLIENT_ENOMEM, "out of memory");
    }
    *out = d;
    return 0;
}

int mg_client_get(mg_client *c, const char *id, mg_client_doc **out, mg_client_err *err)
{
    return mg_client_get_with(c, NULL, id, out, err);
}

int mg_client_get_with(mg_client *c, const mg_client_call *call, const char *id,
                       mg_client_doc **out, mg_client_err *err)
{
    *out = NULL;
    if (!id)
        return fail(err, MG_CLIENT_EINVAL, "no id");
    size_t len = 0;
    char *req = mg_client_get_request(id, &len);
    return roundtrip(c, call, req, len, parse_doc, (void **)out, err);
}

void mg_client_stats_free(mg_client_stats *s)
{
    if (!s)
        return;
    json_decref(s->internal_);
    free(s);
}

int mg_client_stats_parse(const char *reply, size_t len, mg_client_stats **out, mg_client_err *err)
{
    *out = NULL;
    json_t *root;
    const char *json;
    int rc = envelope(reply, len, &root, NULL, err);
    if (rc != 0)
        return rc;
    mg_client_stats *s = alloc_with_text(sizeof *s, reply, len, &json);
    if (!s) {
        json_decref(root);
        return fail(err, MG_CLIENT_ENOMEM, "out of memory");
    }
    s->internal_ = root;
    s->json = json;
    s->json_len = len;
    json_t *ix = json_object_get(root, "stats");
    s->documents = num_or(ix, "documents", -1);
    s->revision = num_or(ix, "revision", -1);
    s->index_age_s = -1;
    const char *updated = str(ix, "updated"); /* "YYYY-MM-DDThh:mm:ssZ" */
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (updated && strptime(updated, "%Y-%m-%dT%H:%M:%SZ", &tm))
        s->index_age_s = (long long)(time(NULL) - timegm(&tm));
    json_t *d = json_object_get(root, "daemon");
    s->uptime_s = num_or(d, "uptime_s", -1);
    s->queries = num_or(d, "queries", -1);
    s->errors = num_or(d, "errors", -1);
    s->latency_p50_us = num_or(d, "latency_p50_us", -1);
    s->latency_p99_us = num_or(d, "latency_p99_us", -1);
    s->workers = num_or(d, "workers", -1);
    *out = s;
    return 0;
}

int mg_client_stats_get(mg_client *c, mg_client_stats **out, mg_client_err *err)
{
    return mg_client_stats_with(c, NULL, out, err);
}

int mg_client_stats_with(mg_client *c, const mg_client_call *call, mg_client_stats **out,
                         mg_client_err *err)
{
    size_t len = 0;
    char *req = dump(request("stats"), &len);
    return roundtrip(c, call, req, len, parse_stats, (void **)out, err);
}

static int parse_metrics(const char *reply, size_t len, void **out, mg_client_err *err)
{
    json_t *root;
    *out = NULL;
    int rc = envelope(reply, len, &root, NULL, err);
    if (rc != 0)
        return rc;
    const char *text = str(root, "metrics");
    if (!text)
        rc = fail(err, MG_CLIENT_EREPLY, "the reply has no \"metrics\" text");
    else if (!(*out = strdup(text)))
        rc = fail(err, MG_CLIENT_ENOMEM, "out of memory");
    json_decref(root);
    return rc;
}

int mg_client_metrics(mg_client *c, char **text, mg_client_err *err)
{
    size_t len = 0;
    char *req = dump(request("metrics"), &len);
    return roundtrip(c, NULL, req, len, parse_metrics, (void **)text, err);
}

static int parse_pong(const char *reply, size_t len, void **out, mg_client_err *err)
{
    json_t *root;
    int rc = envelope(reply, len, &root, NULL, err);
    json_decref(root);
    *out = NULL;
    return rc;
}

int mg_client_ping(mg_client *c, long long *rtt_us, mg_client_err *err)
{
    return mg_client_ping_with(c, NULL, rtt_us, err);
}

int mg_client_ping_with(mg_client *c, const mg_client_call *call, long long *rtt_us,
                        mg_client_err *err)
{
    size_t len = 0;
    char *req = dump(request("ping"), &len);
    void *none;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = roundtrip(c, call, req, len, parse_pong, &none, err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == 0 && rtt_us)
        *rtt_us = (long long)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
    return rc;
}

/* ---- keys ---- */

static int write_file(const char *path, const char *text, mode_t mode, mg_client_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return fail(err, MG_CLIENT_EIO, "%s: %s", path, strerror(errno));
    size_t n = strlen(text);
    bool ok = write(fd, text, n) == (ssize_t)n;
    ok = (fsync(fd) == 0) && ok;
    if (close(fd) != 0 || !ok) {
        unlink(path);
        return fail(err, MG_CLIENT_EIO, "%s: %s", path, strerror(errno));
    }
    return 0;
}

int mg_client_keygen(const char *prefix, mg_client_err *err)
{
    clear(err);
    char pub[41], sec[41];
    if (!zmq_has("curve"))
        return fail(err, MG_CLIENT_EINVAL, "this libzmq was built without CURVE");
    if (zmq_curve_keypair(pub, sec) != 0)
        return fail(err, MG_CLIENT_EZMQ, "zmq_curve_keypair: %s", zmq_strerror(errno));
    char keyfile[4096], pubfile[4096], text[256];
    if ((size_t)snprintf(keyfile, sizeof keyfile, "%s.key", prefix) >= sizeof keyfile ||
        (size_t)snprintf(pubfile, sizeof pubfile, "%s.pub", prefix) >= sizeof pubfile)
        return fail(err, MG_CLIENT_EINVAL, "key file name too long");
    snprintf(text, sizeof text, "# morgue CURVE secret key: keep it private. Public key: %s\n%s\n",
             pub, sec);
    int rc = write_file(keyfile, text, 0600, err);
    memset(text, 0, sizeof text);
    memset(sec, 0, sizeof sec);
    if (rc != 0)
        return rc;
    snprintf(text, sizeof text, "%s\n", pub);
    if ((rc = write_file(pubfile, text, 0644, err)) != 0)
        unlink(keyfile);
    return rc;
}

int mg_client_read_key(const char *file_or_key, char out[41], mg_client_err *err)
{
    clear(err);
    uint8_t bin[32];
    FILE *f = fopen(file_or_key, "r");
    if (!f) {
        int e = errno;
        if (strlen(file_or_key) == 40 && zmq_z85_decode(bin, file_or_key)) {
            memcpy(out, file_or_key, 41);
            return 0;
        }
        if (strlen(file_or_key) == 40 && e == ENOENT)
            return fail(err, MG_CLIENT_EINVAL,
                        "'%s' is neither a key file nor a 40-character Z85 key (Z85: "
                        "0-9 a-z A-Z .-:+=^!/*?&<>()[]{}@%%$#)",
                        file_or_key);
        return fail(err, MG_CLIENT_EIO, "%s: %s", file_or_key, strerror(e));
    }
    char line[256];
    int rc = fail(err, MG_CLIENT_EINVAL, "%s: no key in the file", file_or_key);
    while (fgets(line, sizeof line, f)) {
        char *p = line + strspn(line, " \t");
        size_t n = strcspn(p, " \t\r\n");
        if (n == 0 || *p == '#')
            continue;
        p[n] = '\0';
        if (n == 40 && zmq_z85_decode(bin, p)) {
            memcpy(out, p, 41);
            clear(err);
            rc = 0;
        } else {
            rc = fail(err, MG_CLIENT_EINVAL,
                      "%s: not a 40-character Z85 CURVE key (Z85: 0-9 a-z A-Z "
                      ".-:+=^!/*?&<>()[]{}@%%$#)",
                      file_or_key);
        }
        break;
    }
    memset(line, 0, sizeof line);
    fclose(f);
    return rc;
}

int mg_client_check_secret_key(const char *file_or_key, const char *secret, mg_client_err *err)
{
    char msg[sizeof err->msg];
    if (mg_transport_check_secret_key(file_or_key, secret, msg, sizeof msg) != 0)
        return fail(err, MG_CLIENT_EINVAL, "%s", msg);
    return 0;
}

int mg_client_public_key(const char *secret, char out[41], mg_client_err *err)
{
    if (!secret || strlen(secret) != 40 || zmq_curve_public(out, secret) != 0)
        return fail(err, MG_CLIENT_EINVAL, "not a Z85 CURVE secret key");
    return 0;
}
