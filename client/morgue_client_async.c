/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmorgue-client: the calls of an event loop (mg_client_fd, _send,
 * _recv) on the client's DEALER socket, opened on first use. Replies are
 * matched to requests by tag, by the caller; nothing here waits, retries
 * or times out. */
#include "morgue_client_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

static int async_socket(mg_client *c, mg_client_err *err)
{
    return c->async ? 0 : mgc_open_socket(c, ZMQ_DEALER, &c->async, err);
}

int mg_client_fd(mg_client *c, int *fd, mg_client_err *err)
{
    mgc_clear(err);
    if (!c || !fd)
        return mgc_fail(err, MG_CLIENT_EINVAL, "no client");
    int rc = async_socket(c, err);
    size_t sz = sizeof *fd;
    if (rc == 0 && zmq_getsockopt(c->async, ZMQ_FD, fd, &sz) != 0)
        rc = mgc_fail(err, MG_CLIENT_EZMQ, "ZMQ_FD: %s", zmq_strerror(errno));
    return rc;
}

int mg_client_send(mg_client *c, const char *req, size_t len, const char *tag, mg_client_err *err)
{
    mgc_clear(err);
    if (!c || !req)
        return mgc_fail(err, MG_CLIENT_EINVAL, "no client or no request");
    if (tag && strlen(tag) > MG_CLIENT_MAX_TAG)
        return mgc_fail(err, MG_CLIENT_EINVAL, "a tag is at most %d bytes", MG_CLIENT_MAX_TAG);
    int rc = mgc_check_sockets(c, err);
    if (rc == 0)
        rc = async_socket(c, err);
    if (rc != 0)
        return rc;
    char *tagged = tag ? mgc_add_tag(req, &len, tag) : NULL;
    if (tag && !tagged)
        return mgc_fail(err, MG_CLIENT_EINVAL, "a tagged request must be a JSON object");
    /* an empty delimiter first, as a REQ socket sends */
    bool sent = zmq_send(c->async, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 0 &&
                zmq_send(c->async, tagged ? tagged : req, len, ZMQ_DONTWAIT) == (int)len;
    int e = errno;
    free(tagged);
    if (!sent && e == EAGAIN)
        return mgc_fail(err, MG_CLIENT_EAGAIN, "the queue of requests to %s is full", c->eps_str);
    if (!sent)
        return mgc_fail(err, MG_CLIENT_EZMQ, "send: %s", zmq_strerror(e));
    return 0;
}

/* The next frame that has arrived into *m (initialised here; the caller
 * closes it on success), past the empty delimiter that heads a reply.
 * -MG_CLIENT_EAGAIN when none has. */
static int next_frame(mg_client *c, zmq_msg_t *m, mg_client_err *err)
{
    for (;;) {
        zmq_msg_init(m);
        if (zmq_msg_recv(m, c->async, ZMQ_DONTWAIT) < 0) {
            int e = errno;
            zmq_msg_close(m);
            if (e == EAGAIN)
                return mgc_fail(err, MG_CLIENT_EAGAIN, "no reply waiting");
            return mgc_fail(err, MG_CLIENT_EZMQ, "receive: %s", zmq_strerror(e));
        }
        if (zmq_msg_size(m) != 0 || !zmq_msg_more(m))
            return 0;
        zmq_msg_close(m); /* the delimiter */
    }
}

/* Drop the frames left of a message: not a morgued reply. */
static void drop_rest(void *sock)
{
    bool more = true;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        more = zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&m);
        zmq_msg_close(&m);
    }
}

int mg_client_recv(mg_client *c, char **reply, size_t *reply_len, char *tag, size_t tagsz,
                   mg_client_err *err)
{
    mgc_clear(err);
    *reply = NULL;
    if (tag && tagsz)
        tag[0] = '\0';
    if (!c)
        return mgc_fail(err, MG_CLIENT_EINVAL, "no client");
    int rc = async_socket(c, err);
    zmq_msg_t m;
    if (rc == 0)
        rc = next_frame(c, &m, err);
    if (rc != 0)
        return rc;
    size_t n = zmq_msg_size(&m);
    bool more = zmq_msg_more(&m);
    char *out = more ? NULL : malloc(n + 1);
    if (out) {
        memcpy(out, zmq_msg_data(&m), n);
        out[n] = '\0';
    }
    zmq_msg_close(&m);
    if (more) {
        drop_rest(c->async);
        return mgc_fail(err, MG_CLIENT_EREPLY, "reply from %s has several frames", c->eps_str);
    }
    if (!out)
        return mgc_fail(err, MG_CLIENT_ENOMEM, "out of memory");
    mgc_reply_tag(out, n, tag, tagsz);
    *reply = out;
    if (reply_len)
        *reply_len = n;
    return 0;
}
