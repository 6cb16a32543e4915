/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmorgue-client: one request and its reply on the client's REQ socket,
 * each attempt with its timeout, a lost reply retried on a fresh socket
 * (the zguide's Lazy Pirate), a tagged request's reply checked for its
 * tag. */
#include "morgue_client_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* Send req and wait for its reply, within timeout_ms: 1 a reply is
 * waiting, 0 timed out, <0 error (errno set). */
static int send_and_wait(mg_client *c, const char *req, size_t len, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    int rc = wait_for(c->sock, ZMQ_POLLOUT, deadline);
    if (rc > 0 && zmq_send(c->sock, req, len, ZMQ_DONTWAIT) == (int)len)
        rc = wait_for(c->sock, ZMQ_POLLIN, deadline);
    else if (rc > 0)
        rc = -1;
    return rc;
}

/* Receive the reply that is waiting on the REQ socket into *reply
 * (malloc'd, NUL-terminated) and *reply_len (may be NULL). */
static int take_reply(mg_client *c, char **reply, size_t *reply_len, mg_client_err *err)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return mgc_fail(err, MG_CLIENT_EZMQ, "receive: %s", zmq_strerror(errno));
    }
    if (zmq_msg_more(&m)) {
        zmq_msg_close(&m);
        /* Not a morgued reply; the socket is out of step now. */
        zmq_close(c->sock);
        c->sock = NULL;
        return mgc_fail(err, MG_CLIENT_EREPLY, "reply from %s has several frames", c->eps_str);
    }
    size_t n = zmq_msg_size(&m);
    char *out = malloc(n + 1);
    if (!out) {
        zmq_msg_close(&m);
        return mgc_fail(err, MG_CLIENT_ENOMEM, "out of memory");
    }
    memcpy(out, zmq_msg_data(&m), n);
    out[n] = '\0';
    zmq_msg_close(&m);
    *reply = out;
    if (reply_len)
        *reply_len = n;
    return 0;
}

/* req (tagged already, if at all) with the timeout and the attempts of
 * call (NULL: the client's). */
static int request_attempts(mg_client *c, const mg_client_call *call, const char *req, size_t len,
                            char **reply, size_t *reply_len, mg_client_err *err)
{
    int timeout_ms = call && call->timeout_ms > 0 ? call->timeout_ms : c->o.timeout_ms;
    int attempts = call && call->attempts > 0 ? call->attempts : c->o.retries + 1;
    if (mgc_check_sockets(c, err) != 0)
        return -MG_CLIENT_ENOSOCK;
    for (int a = 0; a < attempts; a++) {
        int rc;
        if (!c->sock && (rc = mgc_open_socket(c, ZMQ_REQ, &c->sock, err)) != 0)
            return rc;
        rc = send_and_wait(c, req, len, timeout_ms);
        if (rc > 0)
            return take_reply(c, reply, reply_len, err);
        if (rc < 0 && errno != EAGAIN)
            return mgc_fail(err, MG_CLIENT_EZMQ, "%s: %s", c->eps_str, zmq_strerror(errno));
        /* Lazy Pirate: a REQ socket that lost its reply is stuck; start over
         * on a fresh one (which also reconnects). */
        zmq_close(c->sock);
        c->sock = NULL;
    }
    if (len > MGC_DAEMON_MAX_MSG) /* the likely cause, though a daemon may take more */
        return mgc_fail(err, MG_CLIENT_ETIMEOUT,
                        "no reply from %s (%d attempt%s of %d ms): the request is %zu bytes, over "
                        "the %d that morgued takes unless started with a larger --max-msg; it "
                        "drops a larger one unanswered",
                        c->eps_str, attempts, attempts == 1 ? "" : "s", timeout_ms, len,
                        MGC_DAEMON_MAX_MSG);
    return mgc_fail(err, MG_CLIENT_ETIMEOUT, "no reply from %s (%d attempt%s of %d ms)", c->eps_str,
                    attempts, attempts == 1 ? "" : "s", timeout_ms);
}

int mg_client_request(mg_client *c, const char *req, size_t len, char **reply, size_t *reply_len,
                      mg_client_err *err)
{
    return mg_client_request_with(c, NULL, req, len, reply, reply_len, err);
}

int mg_client_request_with(mg_client *c, const mg_client_call *call, const char *req, size_t len,
                           char **reply, size_t *reply_len, mg_client_err *err)
{
    mgc_clear(err);
    *reply = NULL;
    if (!c || !req)
        return mgc_fail(err, MG_CLIENT_EINVAL, "no client or no request");
    if (!call || !call->tag)
        return request_attempts(c, call, req, len, reply, reply_len, err);
    if (strlen(call->tag) > MG_CLIENT_MAX_TAG)
        return mgc_fail(err, MG_CLIENT_EINVAL, "a tag is at most %d bytes", MG_CLIENT_MAX_TAG);
    char *tagged = mgc_add_tag(req, &len, call->tag);
    if (!tagged)
        return mgc_fail(err, MG_CLIENT_EINVAL, "a tagged request must be a JSON object");
    int rc = request_attempts(c, call, tagged, len, reply, reply_len, err);
    free(tagged);
    char tag[MG_CLIENT_MAX_TAG + 1];
    if (rc == 0 &&
        (!mgc_reply_tag(*reply, reply_len ? *reply_len : strlen(*reply), tag, sizeof tag) ||
         strcmp(tag, call->tag) != 0)) {
        free(*reply);
        *reply = NULL;
        return mgc_fail(err, MG_CLIENT_EREPLY, "the reply from %s does not carry the tag '%s'",
                        c->eps_str, call->tag);
    }
    return rc;
}
