/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to libmorgue-client (morgue_client.h): the client's struct and
 * the helpers its files share. Not installed; nothing outside them
 * includes this. No name here starts with mg_client_: the .so exports
 * exactly those (morgue_client.map). The files:
 *   morgue_client.c          the client: options, endpoints, CURVE keys,
 *                            ZeroMQ context and sockets, errors
 *   morgue_client_call.c     one request and its reply on the REQ socket:
 *                            timeouts, Lazy Pirate retries, tags
 *   morgue_client_async.c    the event-loop calls: mg_client_fd, _send, _recv
 *   morgue_client_build.c    requests as JSON text
 *   morgue_client_parse.c    replies into mg_client_results, _doc, _stats
 *   morgue_client_ops.c      search, get, stats, metrics, ping: build, call,
 *                            parse
 *   morgue_client_keys.c     CURVE key files
 * A client is used by one thread at a time (morgue_client.h). */
#ifndef MORGUE_CLIENT_INT_H
#define MORGUE_CLIENT_INT_H

#include "morgue_client.h"

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define MGC_MAX_ENDPOINTS 64

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

/* ---- morgue_client.c ---- */

/* Fill *err (may be NULL) with code and the message; returns -code. */
int mgc_fail(mg_client_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* *err (may be NULL) says MG_CLIENT_OK. */
void mgc_clear(mg_client_err *err);

/* A socket of type (ZMQ_REQ or ZMQ_DEALER) connected to every endpoint of
 * c, in *out. 0, or a negative code. */
int mgc_open_socket(mg_client *c, int type, void **out, mg_client_err *err);

/* -MG_CLIENT_ENOSOCK when every endpoint is an ipc:// socket file that does
 * not exist, else 0. */
int mgc_check_sockets(const mg_client *c, mg_client_err *err);

/* ---- morgue_client_build.c ---- */

/* A request object {"v":1,"op":op}, or NULL when out of memory. */
json_t *mgc_request(const char *op);

/* The largest request morgued takes by default (its --max-msg, daemon.h's
 * MG_DAEMON_DEFAULT_MAX_MSG): libzmq drops a larger one, with no reply. */
#define MGC_DAEMON_MAX_MSG 65536

/* 0 when every text field of q is valid UTF-8 (what a JSON request can
 * carry), else -MG_CLIENT_EINVAL naming the first that is not. */
int mgc_check_query_text(const mg_client_query *q, mg_client_err *err);

/* 0 when s is valid UTF-8, else -MG_CLIENT_EINVAL saying what is not. */
int mgc_check_text(const char *what, const char *s, mg_client_err *err);

/* req as compact JSON text (malloc'd, *len set when len is not NULL); req
 * is released. NULL when req is NULL or out of memory. */
char *mgc_dump(json_t *req, size_t *len);

/* req with "tag":tag added (malloc'd, *len set), or NULL when req is not a
 * JSON object or out of memory. */
char *mgc_add_tag(const char *req, size_t *len, const char *tag);

/* ---- morgue_client_parse.c ---- */

/* Parse reply text and check the envelope: 0 with *root (caller decrefs)
 * for an ok reply, MG_CLIENT_ESERVER for an error reply, MG_CLIENT_EREPLY
 * for anything else. *took_us (took_us may be NULL) gets "took_us". */
int mgc_envelope(const char *reply, size_t len, json_t **root, long long *took_us,
                 mg_client_err *err);

/* The string o[key], or NULL; borrowed from o. */
const char *mgc_str(json_t *o, const char *key);

/* The "tag" of a reply into tag[tagsz] ("" when none; tag may be NULL);
 * false when the reply is not a JSON object. */
bool mgc_reply_tag(const char *reply, size_t len, char *tag, size_t tagsz);

#endif
