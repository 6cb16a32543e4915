/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A morgued worker thread: owns one searcher (database handle, analyser,
 * stemmer) and one DEALER socket to the broker; answers one request at a
 * time through mg_proto_handle(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "daemon.h"
#include "log.h"
#include "protocol.h"

#define TICK_MS 500  /* an idle worker looks for a new index this often */
#define REOPEN_MS 50 /* a busy one, at most this often */

/* Announce a new index (revision or rebuild) once, whichever worker sees it
 * first. */
static void note_revision(mg_worker *w, const char *why)
{
    mg_searcher_info st;
    mg_err err;
    mg_err_clear(&err);
    if (mg_searcher_stats(w->searcher, &st, &err) < 0)
        return;
    mg_daemon *d = w->d;
    pthread_mutex_lock(&d->seen_mu);
    bool rebuilt = strcmp(st.path, d->seen_path) != 0;
    bool news = rebuilt || st.revision > d->seen_revision;
    if (news) {
        d->seen_revision = st.revision;
        snprintf(d->seen_path, sizeof d->seen_path, "%s", st.path);
    }
    pthread_mutex_unlock(&d->seen_mu);
    if (news)
        mg_dlog(MG_LOG_INFO, "reload: %s; index %s at revision %llu, %llu documents", why, st.path,
                st.revision, st.documents);
}

static void reopen(mg_worker *w)
{
    w->reopened_ns = mg_daemon_now_ns();
    w->gen = atomic_load(&w->d->index_gen);
    mg_err err;
    mg_err_clear(&err);
    int rc = mg_searcher_reopen(w->searcher, &err);
    if (rc > 0) {
        w->gen = atomic_fetch_add(&w->d->index_gen, 1) + 1;
        note_revision(w, "index changed");
    } else if (rc < 0 && (w->warned_ns == 0 || mg_daemon_now_ns() - w->warned_ns > 10000000000u)) {
        w->warned_ns = mg_daemon_now_ns();
        mg_dlog(MG_LOG_WARN, "worker %d: reopen failed (serving the previous view): %s", w->index,
                err.msg);
    }
}

/* SIGHUP: close the database and open it afresh. */
static void reopen_fresh(mg_worker *w)
{
    mg_err err;
    mg_err_clear(&err);
    mg_searcher *s = mg_searcher_open(w->d->opts->db, &w->d->limits, &err);
    if (!s) {
        mg_dlog(MG_LOG_ERROR,
                "worker %d: reopen after SIGHUP failed (serving the previous view): %s", w->index,
                err.msg);
        return;
    }
    mg_searcher_free(w->searcher);
    w->searcher = s;
    mg_dlog(MG_LOG_DEBUG, "worker %d: index reopened after SIGHUP", w->index);
    note_revision(w, "after SIGHUP");
}

/* The daemon's counters in a "stats" reply. */
static void stats_extra(void *arg, mg_jw *w, const mg_searcher_info *info)
{
    mg_daemon *d = arg;
    mg_daemon_stats_write(&d->stats, w, info->updated_unix);
}

/* A printable excerpt of a request for the query log: control bytes and
 * backslashes escaped, at most about 400 bytes. */
static void excerpt(const char *body, size_t len, char *out, size_t outsz)
{
    size_t o = 0, i = 0;
    for (; i < len && o + 8 < outsz; i++) {
        unsigned char c = (unsigned char)body[i];
        if (c < 0x20 || c == 0x7f || c == '\\')
            o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    if (i < len)
        o += (size_t)snprintf(out + o, outsz - o, "...");
    out[o] = '\0';
}

/* Handle one job: frames are the client id, the header and the body. */
static void handle(mg_worker *w, void *sock, zmq_msg_t *id, zmq_msg_t *hdr, zmq_msg_t *body)
{
    const char *req = zmq_msg_data(body);
    size_t len = zmq_msg_size(body);
    uint64_t t0 = mg_daemon_now_ns();

    /* Look for a new index at most every REOPEN_MS while busy (the look,
     * resolving the path and reading Xapian's version file, costs a dozen
     * system calls, more than a "ping" itself), and at once when another
     * worker has found one. */
    if (t0 - w->reopened_ns >= (uint64_t)REOPEN_MS * 1000000u ||
        atomic_load(&w->d->index_gen) != w->gen)
        reopen(w);
    const mg_proto_hooks hooks = {stats_extra, w->d};
    const char *code = NULL;
    int rc = mg_proto_handle(w->searcher, req, len, &hooks, &w->out, &code);
    bool ok = rc > 0;
    if (w->d->opts->log_queries) {
        char ex[512];
        excerpt(req, len, ex, sizeof ex);
        if (!code)
            code = ok ? "" : "internal";
        mg_dlog(MG_LOG_INFO, "query: %s%s %lluus %s", ok ? "ok" : "error ", code,
                (unsigned long long)((mg_daemon_now_ns() - t0) / 1000), ex);
    }

    mg_job *job = zmq_msg_data(hdr);
    if (zmq_msg_size(hdr) == sizeof *job && !ok)
        job->flags |= MG_JOB_ERROR;

    zmq_msg_t rep;
    /* Out of memory even for the error: an empty reply frees this worker
     * (the broker drops empty replies). */
    if (rc < 0 || zmq_msg_init_size(&rep, w->out.len) != 0)
        zmq_msg_init(&rep);
    else
        memcpy(zmq_msg_data(&rep), w->out.buf, w->out.len);
    if (zmq_msg_send(id, sock, ZMQ_SNDMORE) < 0 || zmq_msg_send(hdr, sock, ZMQ_SNDMORE) < 0 ||
        zmq_msg_send(&rep, sock, 0) < 0) {
        mg_dlog(MG_LOG_ERROR, "worker %d: send to broker: %s", w->index, zmq_strerror(errno));
        zmq_msg_close(&rep);
    }
}

/* Read the rest of a multi-part message and throw it away. */
static void drain(void *sock)
{
    int more = 0;
    size_t sz = sizeof more;
    while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            return;
        }
        zmq_msg_close(&m);
    }
}

void *mg_worker_main(void *arg)
{
    mg_worker *w = arg;
    mg_jw_init(&w->out, 0);
    void *sock = zmq_socket(w->d->zctx, ZMQ_DEALER);
    if (!sock) {
        mg_dlog(MG_LOG_ERROR, "worker %d: socket: %s", w->index, zmq_strerror(errno));
        return NULL;
    }
    char ident[16];
    int n = snprintf(ident, sizeof ident, "w%d", w->index);
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sock, ZMQ_ROUTING_ID, ident, (size_t)n);
    if (zmq_connect(sock, MG_BACKEND_ENDPOINT) != 0 || zmq_send(sock, "R", 1, 0) != 1) {
        mg_dlog(MG_LOG_ERROR, "worker %d: connect to broker: %s", w->index, zmq_strerror(errno));
        zmq_close(sock);
        return NULL;
    }

    /* Block in recv itself (one poll(2) per wait; zmq_poll costs several
     * system calls more per request), waking at least every TICK_MS. */
    int tick = TICK_MS;
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &tick, sizeof tick);
    for (;;) {
        zmq_msg_t m[3];
        for (int i = 0; i < 3; i++)
            zmq_msg_init(&m[i]);
        if (zmq_msg_recv(&m[0], sock, 0) < 0) {
            int e = errno;
            for (int i = 0; i < 3; i++)
                zmq_msg_close(&m[i]);
            if (e == EAGAIN) /* idle for TICK_MS */
                reopen(w);
            else if (e != EINTR) {
                mg_dlog(MG_LOG_ERROR, "worker %d: receive: %s", w->index, zmq_strerror(e));
                break;
            }
            continue;
        }
        if (!zmq_msg_more(&m[0])) {
            char c = zmq_msg_size(&m[0]) == 1 ? *(char *)zmq_msg_data(&m[0]) : 0;
            for (int i = 0; i < 3; i++)
                zmq_msg_close(&m[i]);
            if (c == 'Q')
                break;
            if (c == 'H')
                reopen_fresh(w);
            continue;
        }
        if (zmq_msg_recv(&m[1], sock, 0) < 0 || !zmq_msg_more(&m[1]) ||
            zmq_msg_recv(&m[2], sock, 0) < 0) {
            /* The broker only sends well-formed jobs; anything else is a bug. */
            mg_dlog(MG_LOG_ERROR, "worker %d: malformed job from the broker", w->index);
            drain(sock);
            for (int i = 0; i < 3; i++)
                zmq_msg_close(&m[i]);
            continue;
        }
        drain(sock);
        handle(w, sock, &m[0], &m[1], &m[2]);
        for (int i = 0; i < 3; i++)
            zmq_msg_close(&m[i]);
    }
    zmq_close(sock);
    mg_searcher_free(w->searcher);
    w->searcher = NULL;
    mg_jw_release(&w->out);
    return NULL;
}
