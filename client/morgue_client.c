/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmorgue-client: the client itself: its options, its endpoints, its
 * CURVE keys, its ZeroMQ context and sockets, and the errors every call
 * reports. Only libzmq and jansson, and of the engine library only
 * lib/transport.c (what morgued and its clients agree on, compiled in).
 * The other files of the library are listed in morgue_client_int.h. */
#include "morgue_client_int.h"
#include "transport.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <zmq.h>

int mgc_fail(mg_client_err *err, int code, const char *fmt, ...)
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

void mgc_clear(mg_client_err *err)
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

int mg_client_check_endpoint(const char *ep, size_t len, int flags, mg_client_err *err)
{
    char msg[sizeof err->msg];
    int tflags = flags & MG_CLIENT_EP_BIND ? MG_TRANSPORT_EP_BIND : 0;
    if (mg_transport_check_endpoint(ep, len, tflags, msg, sizeof msg) != 0)
        return mgc_fail(err, MG_CLIENT_EINVAL, "%s", msg);
    return 0;
}

static int add_endpoint(mg_client *c, const char *ep, size_t len, mg_client_err *err)
{
    if (c->neps == MGC_MAX_ENDPOINTS)
        return mgc_fail(err, MG_CLIENT_EINVAL, "at most %d endpoints", MGC_MAX_ENDPOINTS);
    int rc = mg_client_check_endpoint(ep, len, 0, err);
    if (rc < 0)
        return rc;
    char *copy = strndup(ep, len);
    if (!copy)
        return mgc_fail(err, MG_CLIENT_ENOMEM, "out of memory");
    c->eps[c->neps++] = copy;
    return 0;
}

/* The endpoints of mg_client_new(): endpoints[0..n), else those of
 * $MORGUE_ENDPOINT (separated by commas or spaces), else the default ipc
 * endpoint and MG_CLIENT_DEFAULT_TCP. */
static int add_endpoints(mg_client *c, const char *const *endpoints, size_t n, mg_client_err *err)
{
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
        rc = mgc_fail(err, MG_CLIENT_EINVAL, "no endpoint");
    return rc;
}

/* Copy the CURVE keys of the options, if any, into c (the public key
 * derived from the secret one when not given), and drop the borrowed
 * pointers. */
static int set_curve_keys(mg_client *c, mg_client_err *err)
{
    if (!c->o.server_key && !c->o.public_key && !c->o.secret_key)
        return 0;
    int rc = 0;
    if (!c->o.server_key || !c->o.secret_key)
        rc = mgc_fail(err, MG_CLIENT_EINVAL,
                      "CURVE needs the server's public key and this client's secret key");
    else if (strlen(c->o.server_key) != 40 || strlen(c->o.secret_key) != 40)
        rc = mgc_fail(err, MG_CLIENT_EINVAL, "CURVE keys are 40 Z85 characters");
    else if (!zmq_has("curve"))
        rc = mgc_fail(err, MG_CLIENT_EINVAL, "this libzmq was built without CURVE");
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
    return rc;
}

/* c->eps_str: the endpoints separated by spaces, for messages. */
static int join_endpoints(mg_client *c, mg_client_err *err)
{
    size_t total = 1;
    for (size_t i = 0; i < c->neps; i++)
        total += strlen(c->eps[i]) + 1;
    if (!(c->eps_str = malloc(total)))
        return mgc_fail(err, MG_CLIENT_ENOMEM, "out of memory");
    c->eps_str[0] = '\0';
    for (size_t i = 0; i < c->neps; i++) {
        if (i)
            strcat(c->eps_str, " ");
        strcat(c->eps_str, c->eps[i]);
    }
    return 0;
}

int mgc_open_socket(mg_client *c, int type, void **out, mg_client_err *err)
{
    /* For REQ, ZMQ_IMMEDIATE keeps requests off endpoints that are not up,
     * so one live daemon is enough. A DEALER queues its requests until its
     * connections are up, so the first send after mg_client_new() does
     * not fail (the caller's loop times out what is never answered). */
    void *s = zmq_socket(c->ctx, type);
    if (!s)
        return mgc_fail(err, MG_CLIENT_EZMQ, "zmq_socket: %s", zmq_strerror(errno));
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
        return mgc_fail(err, MG_CLIENT_EZMQ, "CURVE keys: %s", zmq_strerror(e));
    }
    for (size_t i = 0; i < c->neps; i++)
        if (zmq_connect(s, c->eps[i]) != 0) {
            int e = errno;
            zmq_close(s);
            return mgc_fail(err, MG_CLIENT_EINVAL, "connect %s: %s", c->eps[i], zmq_strerror(e));
        }
    *out = s;
    return 0;
}

mg_client *mg_client_new(const char *const *endpoints, size_t n, const mg_client_opts *opts,
                         mg_client_err *err)
{
    return mg_client_new_with_context(NULL, endpoints, n, opts, err);
}

/* A client with room for its endpoints and opts (NULL: the defaults), the
 * values that cannot work replaced by the defaults; NULL when out of
 * memory. */
static mg_client *client_alloc(const mg_client_opts *opts, mg_client_err *err)
{
    mg_client *c = calloc(1, sizeof *c);
    if (!c || !(c->eps = calloc(MGC_MAX_ENDPOINTS, sizeof *c->eps))) {
        free(c);
        mgc_fail(err, MG_CLIENT_ENOMEM, "out of memory");
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
    return c;
}

mg_client *mg_client_new_with_context(void *zmq_ctx, const char *const *endpoints, size_t n,
                                      const mg_client_opts *opts, mg_client_err *err)
{
    mgc_clear(err);
    mg_client *c = client_alloc(opts, err);
    if (!c)
        return NULL;
    c->ctx = zmq_ctx;
    c->own_ctx = !zmq_ctx;
    int rc = add_endpoints(c, endpoints, n, err);
    if (rc == 0)
        rc = set_curve_keys(c, err);
    if (rc == 0)
        rc = join_endpoints(c, err);
    if (rc == 0 && c->own_ctx && !(c->ctx = zmq_ctx_new()))
        rc = mgc_fail(err, MG_CLIENT_EZMQ, "zmq_ctx_new: %s", zmq_strerror(errno));
    if (rc == 0)
        rc = mgc_open_socket(c, ZMQ_REQ, &c->sock, err);
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

/* No daemon can answer when every socket file is missing, so do not wait
 * for the timeouts. */
int mgc_check_sockets(const mg_client *c, mg_client_err *err)
{
    for (size_t i = 0; i < c->neps; i++)
        if (!mg_client_ipc_missing(c->eps[i], strlen(c->eps[i])))
            return 0;
    return mgc_fail(err, MG_CLIENT_ENOSOCK, "no daemon at %s (no such socket file)", c->eps_str);
}
