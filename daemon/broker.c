/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgued's main loop: a load-balancing broker (zguide ch. 3) between the
 * client-facing ROUTER sockets and the worker threads, least-recently-used
 * worker first; plus signals (signalfd), ZAP, readiness and shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <zmq.h>

#include "daemon.h"
#include "log.h"
#include "protocol.h"

#define DRAIN_MS 1000       /* on SIGTERM, wait this long for requests in flight */
#define READY_WAIT_MS 30000 /* workers must check in within this */
#define CLIENT_HWM 1000     /* messages queued per client connection, each way */
#define MAX_REPLY_FRAMES 64 /* frames read from one client message before dropping */

enum { FE_LOCAL, FE_CURVE, FE_COUNT };

typedef struct frontend {
    void *sock;
    char *bound[MG_DAEMON_MAX_BINDS]; /* resolved endpoints (wildcard ports filled in) */
    size_t nbound;
} frontend;

typedef struct broker {
    mg_daemon d;
    frontend fe[FE_COUNT];
    void *backend;
    void *zap;
    int sigfd;
    mg_curve curve;
    bool have_curve;
    mg_worker *workers;
    int nworkers;
    int *idle; /* ring of idle worker indexes, least recently used first */
    int idle_head, idle_count;
    int in_flight;
    bool stopping;
    uint64_t deadline_ns;
    mg_searcher_info first; /* the index as opened at start-up */
    bool have_first;
    mg_jw out; /* the broker's own error replies */
    /* A socket is "dirty" while it may hold messages its file descriptor
     * does not announce: libzmq's ZMQ_FD is edge-triggered, and a send can
     * consume the wake-up meant for a later receive. Dirty sockets are
     * drained (received from until EAGAIN) before the broker sleeps. */
    bool backend_dirty;
    bool fe_dirty[FE_COUNT];
} broker;

/* ---- endpoints ---- */

static bool is_loopback_tcp(const char *ep)
{
    const char *h = ep + 6; /* after "tcp://" */
    /* "tcp://SOURCE;HOST:PORT" names a source address: look at HOST. */
    const char *semi = strchr(h, ';');
    if (semi)
        h = semi + 1;
    return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost:", 10) == 0 ||
           strncmp(h, "[::1]:", 6) == 0;
}

/* Which client socket an endpoint goes on, or -1 (message in msg). */
static int classify(const broker *b, const char *ep, char *msg, size_t msgsz)
{
    if (strncmp(ep, "ipc://", 6) == 0) {
        if (strlen(ep + 6) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
            snprintf(msg, msgsz, "%s: path too long for a unix socket", ep);
            return -1;
        }
        return FE_LOCAL;
    }
    if (strncmp(ep, "tcp://", 6) == 0) {
        if (b->have_curve)
            return FE_CURVE;
        if (!is_loopback_tcp(ep) && !b->d.opts->insecure) {
            snprintf(msg, msgsz,
                     "%s is not a loopback address: refusing to serve it without CURVE "
                     "(use --curve-secret and --curve-allow, or --insecure)",
                     ep);
            return -1;
        }
        return FE_LOCAL;
    }
    snprintf(msg, msgsz, "%s: only tcp:// and ipc:// endpoints are supported", ep);
    return -1;
}

/* libzmq removes a stale ipc socket file before binding, which would also
 * silently take the socket away from a daemon that is still running. */
static bool ipc_in_use(const char *ep)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", ep + 6);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool used = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return used;
}

static void *client_socket(broker *b, int which)
{
    void *s = zmq_socket(b->d.zctx, ZMQ_ROUTER);
    if (!s)
        return NULL;
    int zero = 0, one = 1, hwm = CLIENT_HWM;
    int64_t maxmsg = b->d.opts->max_msg;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    /* Reap TCP peers that vanished without a FIN (their queues hold memory). */
    zmq_setsockopt(s, ZMQ_TCP_KEEPALIVE, &one, sizeof one);
    if (which == FE_CURVE) {
        zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, b->curve.secret_z85, 40);
        zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, "morgue", 6);
    }
    return s;
}

static int bind_all(broker *b)
{
    const mg_daemon_opts *o = b->d.opts;
    char msg[512];
    int where[MG_DAEMON_MAX_BINDS];
    for (size_t i = 0; i < o->nbinds; i++) {
        where[i] = classify(b, o->binds[i], msg, sizeof msg);
        if (where[i] < 0) {
            mg_dlog(MG_LOG_ERROR, "%s", msg);
            return -1;
        }
    }
    for (size_t i = 0; i < o->nbinds; i++) {
        const char *ep = o->binds[i];
        frontend *fe = &b->fe[where[i]];
        if (!fe->sock && !(fe->sock = client_socket(b, where[i]))) {
            mg_dlog(MG_LOG_ERROR, "socket: %s", zmq_strerror(errno));
            return -1;
        }
        if (where[i] == FE_LOCAL && strncmp(ep, "ipc://", 6) == 0 && ipc_in_use(ep)) {
            mg_dlog(MG_LOG_ERROR, "bind %s: another process is serving this socket", ep);
            return -1;
        }
        /* IPv6 only where asked for ("tcp://[::1]:5555"): otherwise libzmq
         * reports IPv4 binds as IPv4-mapped addresses. */
        int v6 = strchr(ep, '[') != NULL;
        zmq_setsockopt(fe->sock, ZMQ_IPV6, &v6, sizeof v6);
        if (zmq_bind(fe->sock, ep) != 0) {
            mg_dlog(MG_LOG_ERROR, "bind %s: %s", ep, zmq_strerror(errno));
            return -1;
        }
        char last[1024];
        size_t sz = sizeof last;
        if (zmq_getsockopt(fe->sock, ZMQ_LAST_ENDPOINT, last, &sz) != 0)
            snprintf(last, sizeof last, "%s", ep);
        fe->bound[fe->nbound++] = strdup(last);
    }
    return 0;
}

static void unbind_all(broker *b)
{
    for (int f = 0; f < FE_COUNT; f++)
        for (size_t i = 0; i < b->fe[f].nbound; i++)
            if (b->fe[f].bound[i])
                zmq_unbind(b->fe[f].sock, b->fe[f].bound[i]);
}

/* ---- the worker queue ---- */

static void idle_push(broker *b, int w)
{
    b->idle[(b->idle_head + b->idle_count) % b->nworkers] = w;
    b->idle_count++;
}

static int idle_pop(broker *b)
{
    int w = b->idle[b->idle_head];
    b->idle_head = (b->idle_head + 1) % b->nworkers;
    b->idle_count--;
    return w;
}

static int worker_index(zmq_msg_t *id, int nworkers)
{
    char buf[16];
    size_t n = zmq_msg_size(id);
    if (n < 2 || n >= sizeof buf || *(char *)zmq_msg_data(id) != 'w')
        return -1;
    memcpy(buf, zmq_msg_data(id), n);
    buf[n] = '\0';
    char *end;
    long w = strtol(buf + 1, &end, 10);
    return *end || w < 0 || w >= nworkers ? -1 : (int)w;
}

static void tell_workers(broker *b, const char *what)
{
    for (int i = 0; i < b->nworkers; i++) {
        if (!b->workers[i].started)
            continue;
        char id[16];
        int n = snprintf(id, sizeof id, "w%d", i);
        if (zmq_send(b->backend, id, (size_t)n, ZMQ_SNDMORE) == n)
            zmq_send(b->backend, what, 1, 0);
    }
    b->backend_dirty = true;
}

/* ---- replies ---- */

static void recv_drop_rest(void *sock)
{
    int more = 0;
    size_t sz = sizeof more;
    while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        int rc = zmq_msg_recv(&m, sock, ZMQ_DONTWAIT);
        zmq_msg_close(&m);
        if (rc < 0)
            return;
    }
}

/* Send [id][""?][body] to a client without ever blocking. The caller still
 * closes id and body. Returns false when the client is gone or its queue is
 * full: the reply is then dropped. */
static bool send_to_client(void *fe, zmq_msg_t *id, bool delim, zmq_msg_t *body)
{
    bool ok = zmq_msg_send(id, fe, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0;
    if (ok) {
        if (delim)
            zmq_send(fe, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        ok = zmq_msg_send(body, fe, ZMQ_DONTWAIT) >= 0;
    } else {
        mg_dlog(MG_LOG_DEBUG, "reply dropped: %s",
                errno == EHOSTUNREACH ? "client went away" : zmq_strerror(errno));
    }
    return ok;
}

/* An error the broker answers itself (malformed framing). */
static void reply_error(broker *b, void *fe, zmq_msg_t *id, bool delim, const char *code,
                        const char *message, uint64_t t0)
{
    mg_proto_error(&b->out, code, message, (mg_daemon_now_ns() - t0) / 1000);
    zmq_msg_t body;
    if (mg_jw_failed(&b->out) || zmq_msg_init_size(&body, b->out.len) != 0)
        return;
    memcpy(zmq_msg_data(&body), b->out.buf, b->out.len);
    bool delivered = send_to_client(fe, id, delim, &body);
    zmq_msg_close(&body);
    mg_daemon_stats_record(&b->d.stats, mg_daemon_now_ns() - t0, true, delivered);
}

/* One request from a client socket. Clients are REQ (frames after the
 * routing id: "", body) or DEALER (body alone, or "", body): exactly one
 * non-empty body frame is accepted. */
static bool from_client(broker *b, int which)
{
    void *fe = b->fe[which].sock;
    zmq_msg_t id, f[2];
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, fe, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        return false;
    }
    uint64_t t0 = mg_daemon_now_ns();
    int n = 0;
    bool more = zmq_msg_more(&id);
    while (more && n < 2) {
        zmq_msg_init(&f[n]);
        if (zmq_msg_recv(&f[n], fe, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&f[n]);
            break;
        }
        more = zmq_msg_more(&f[n]);
        n++;
    }
    int extra = more ? 1 : 0;
    if (more)
        recv_drop_rest(fe);

    bool delim = n >= 1 && zmq_msg_size(&f[0]) == 0 && (n == 2);
    zmq_msg_t *body = delim ? &f[1] : &f[0];
    int nbody = n - (delim ? 1 : 0) + extra;
    if (n == 0) {
        /* cannot happen with ROUTER; nothing to answer */
    } else if (nbody != 1) {
        reply_error(b, fe, &id, zmq_msg_size(&f[0]) == 0, "bad_request",
                    "a request is exactly one frame (multi-part messages are not accepted)", t0);
    } else if (zmq_msg_size(body) == 0) {
        reply_error(b, fe, &id, delim, "bad_request", "empty request frame", t0);
    } else {
        int w = idle_pop(b);
        char wid[16];
        int wn = snprintf(wid, sizeof wid, "w%d", w);
        mg_job job = {.frontend = (uint8_t)which, .flags = delim ? MG_JOB_DELIM : 0, .t0_ns = t0};
        if (zmq_send(b->backend, wid, (size_t)wn, ZMQ_SNDMORE) != wn ||
            zmq_msg_send(&id, b->backend, ZMQ_SNDMORE) < 0 ||
            zmq_send(b->backend, &job, sizeof job, ZMQ_SNDMORE) != (int)sizeof job ||
            zmq_msg_send(body, b->backend, 0) < 0) {
            /* Only if the worker thread died; it stays out of the queue. */
            mg_dlog(MG_LOG_ERROR, "dispatch to worker %d: %s", w, zmq_strerror(errno));
        } else {
            b->in_flight++;
            b->backend_dirty = true;
        }
    }
    zmq_msg_close(&id);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
    return true;
}

/* A message from a worker: "R" (ready) or [client id][job][reply]. false
 * when there was none. */
static bool from_worker(broker *b)
{
    zmq_msg_t wid, m[3];
    zmq_msg_init(&wid);
    if (zmq_msg_recv(&wid, b->backend, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&wid);
        return false;
    }
    for (int i = 0; i < 3; i++)
        zmq_msg_init(&m[i]);
    int n = 0;
    bool more = zmq_msg_more(&wid);
    while (more && n < 3) {
        if (zmq_msg_recv(&m[n], b->backend, ZMQ_DONTWAIT) < 0)
            break;
        more = zmq_msg_more(&m[n]);
        n++;
    }
    if (more)
        recv_drop_rest(b->backend);
    int w = worker_index(&wid, b->nworkers);
    if (w < 0) {
        mg_dlog(MG_LOG_ERROR, "message from an unknown worker");
        goto out;
    }
    if (n == 1) { /* "R": the worker's first message */
        idle_push(b, w);
        goto out;
    }
    if (n != 3 || zmq_msg_size(&m[1]) != sizeof(mg_job)) {
        mg_dlog(MG_LOG_ERROR, "malformed reply from worker %d", w);
        goto out;
    }
    mg_job job;
    memcpy(&job, zmq_msg_data(&m[1]), sizeof job);
    b->in_flight--;
    idle_push(b, w);
    bool delivered = false;
    if (zmq_msg_size(&m[2]) > 0 && job.frontend < FE_COUNT && b->fe[job.frontend].sock) {
        delivered =
            send_to_client(b->fe[job.frontend].sock, &m[0], job.flags & MG_JOB_DELIM, &m[2]);
        b->fe_dirty[job.frontend] = true;
    }
    mg_daemon_stats_record(&b->d.stats, mg_daemon_now_ns() - job.t0_ns, job.flags & MG_JOB_ERROR,
                           delivered);
out:
    zmq_msg_close(&wid);
    for (int i = 0; i < 3; i++)
        zmq_msg_close(&m[i]);
    return true;
}

/* ---- signals ---- */

static void on_signal(broker *b)
{
    struct signalfd_siginfo si;
    while (read(b->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            mg_dlog(MG_LOG_INFO, "reload: SIGHUP, reopening the index");
            tell_workers(b, "H");
            continue;
        }
        const char *name = si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
        if (b->stopping) {
            mg_dlog(MG_LOG_WARN, "%s again: stopping now", name);
            b->deadline_ns = 0;
            continue;
        }
        b->stopping = true;
        b->deadline_ns = mg_daemon_now_ns() + (uint64_t)DRAIN_MS * 1000000u;
        mg_dlog(MG_LOG_INFO, "stopping on %s: no new requests, %d in flight", name, b->in_flight);
        unbind_all(b);
    }
}

/* ---- start-up and shutdown ---- */

static int write_pidfile(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%ld\n", (long)getpid());
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int wait_ready(broker *b)
{
    uint64_t until = mg_daemon_now_ns() + (uint64_t)READY_WAIT_MS * 1000000u;
    int started = 0;
    for (int i = 0; i < b->nworkers; i++)
        started += b->workers[i].started;
    while (b->idle_count < started) {
        uint64_t now = mg_daemon_now_ns();
        if (now >= until)
            return -1;
        zmq_pollitem_t it = {b->backend, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, (long)((until - now) / 1000000u) + 1) < 0 && errno != EINTR)
            return -1;
        if (it.revents & ZMQ_POLLIN)
            while (from_worker(b))
                ;
    }
    return 0;
}

static void describe_endpoints(const broker *b, char *out, size_t outsz)
{
    size_t o = 0;
    out[0] = '\0';
    for (int f = 0; f < FE_COUNT; f++)
        for (size_t i = 0; i < b->fe[f].nbound && o < outsz; i++)
            o += (size_t)snprintf(out + o, outsz - o, "%s%s%s", o ? " " : "", b->fe[f].bound[i],
                                  f == FE_CURVE ? " (CURVE)" : "");
}

static int start_workers(broker *b)
{
    mg_err err;
    for (int i = 0; i < b->nworkers; i++) {
        mg_worker *w = &b->workers[i];
        w->d = &b->d;
        w->index = i;
        mg_err_clear(&err);
        w->searcher = mg_searcher_open(b->d.opts->db, &b->d.limits, &err);
        if (!w->searcher) {
            mg_dlog(MG_LOG_ERROR, "cannot open the index %s: %s", b->d.opts->db, err.msg);
            return -1;
        }
    }
    b->have_first = mg_searcher_stats(b->workers[0].searcher, &b->first, &err) == 0;
    if (b->have_first) {
        b->d.seen_revision = b->first.revision;
        snprintf(b->d.seen_path, sizeof b->d.seen_path, "%s", b->first.path);
    }
    for (int i = 0; i < b->nworkers; i++) {
        if (pthread_create(&b->workers[i].thread, NULL, mg_worker_main, &b->workers[i]) != 0) {
            mg_dlog(MG_LOG_ERROR, "cannot start worker %d: %s", i, strerror(errno));
            return -1;
        }
        b->workers[i].started = true;
    }
    return 0;
}

static void shutdown_all(broker *b)
{
    if (b->backend)
        tell_workers(b, "Q");
    for (int i = 0; i < b->nworkers; i++) {
        if (b->workers[i].started)
            pthread_join(b->workers[i].thread, NULL);
        mg_searcher_free(b->workers[i].searcher); /* only those never started */
    }
    for (int f = 0; f < FE_COUNT; f++) {
        if (b->fe[f].sock)
            zmq_close(b->fe[f].sock);
        for (size_t i = 0; i < b->fe[f].nbound; i++) {
            /* libzmq 4.3 leaves the socket file of an ipc:// bind behind. */
            if (b->fe[f].bound[i] && strncmp(b->fe[f].bound[i], "ipc://", 6) == 0)
                unlink(b->fe[f].bound[i] + 6);
            free(b->fe[f].bound[i]);
        }
    }
    if (b->backend)
        zmq_close(b->backend);
    if (b->zap)
        zmq_close(b->zap);
    if (b->d.zctx)
        zmq_ctx_term(b->d.zctx);
    if (b->have_curve)
        mg_curve_release(&b->curve);
    if (b->sigfd >= 0)
        close(b->sigfd);
    free(b->workers);
    free(b->idle);
    mg_jw_release(&b->out);
    pthread_mutex_destroy(&b->d.stats.mu);
    pthread_mutex_destroy(&b->d.seen_mu);
}

static int setup(broker *b, const mg_daemon_opts *o)
{
    char msg[512];
    if (o->curve_secret) {
        if (mg_curve_load(&b->curve, o->curve_secret, o->curve_allow, msg, sizeof msg) != 0) {
            mg_dlog(MG_LOG_ERROR, "CURVE: %s", msg);
            return -1;
        }
        b->have_curve = true;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    b->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (b->sigfd < 0) {
        mg_dlog(MG_LOG_ERROR, "signalfd: %s", strerror(errno));
        return -1;
    }
    if (!(b->d.zctx = zmq_ctx_new())) {
        mg_dlog(MG_LOG_ERROR, "zmq_ctx_new: %s", zmq_strerror(errno));
        return -1;
    }
    int zero = 0, one = 1;
    if (b->have_curve) {
        /* The ZAP handler must be bound before any CURVE socket binds. */
        b->zap = zmq_socket(b->d.zctx, ZMQ_REP);
        if (!b->zap || zmq_setsockopt(b->zap, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
            zmq_bind(b->zap, "inproc://zeromq.zap.01") != 0) {
            mg_dlog(MG_LOG_ERROR, "ZAP handler: %s", zmq_strerror(errno));
            return -1;
        }
    }
    b->backend = zmq_socket(b->d.zctx, ZMQ_ROUTER);
    if (!b->backend || zmq_setsockopt(b->backend, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(b->backend, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0 ||
        zmq_bind(b->backend, MG_BACKEND_ENDPOINT) != 0) {
        mg_dlog(MG_LOG_ERROR, "worker socket: %s", zmq_strerror(errno));
        return -1;
    }
    if (bind_all(b) != 0)
        return -1;
    if (start_workers(b) != 0)
        return -1;
    if (wait_ready(b) != 0) {
        mg_dlog(MG_LOG_ERROR, "the workers did not start");
        return -1;
    }
    return 0;
}

static int socket_fd(void *sock)
{
    int fd = -1;
    size_t sz = sizeof fd;
    zmq_getsockopt(sock, ZMQ_FD, &fd, &sz);
    return fd;
}

/* Receive from every dirty socket until it runs dry (or no worker is free
 * for a client socket). Each message handled may make another socket dirty
 * (a dispatch sends on the backend, a reply on a client socket), so this
 * goes round until none is. */
static void drain(broker *b)
{
    for (;;) {
        if (b->backend_dirty) {
            b->backend_dirty = false;
            while (from_worker(b))
                ;
        }
        bool again = false;
        for (int f = 0; f < FE_COUNT; f++) {
            if (!b->fe[f].sock || !b->fe_dirty[f] || b->stopping)
                continue;
            while (b->idle_count > 0 && from_client(b, f))
                ;
            /* Left dirty when it stopped for want of a worker: drained
             * again once one is free. */
            b->fe_dirty[f] = b->idle_count == 0;
        }
        for (int f = 0; f < FE_COUNT; f++)
            again |= b->fe_dirty[f] && b->fe[f].sock && !b->stopping && b->idle_count > 0;
        if (!b->backend_dirty && !again)
            return;
    }
}

/* ZAP requests come when clients connect: rare, so simply until empty. */
static void serve_zap(broker *b)
{
    for (;;) {
        int ev = 0;
        size_t sz = sizeof ev;
        if (zmq_getsockopt(b->zap, ZMQ_EVENTS, &ev, &sz) != 0 || !(ev & ZMQ_POLLIN))
            return;
        mg_curve_zap_handle(&b->curve, b->zap);
    }
}

/* The main loop. It polls the sockets' file descriptors itself: zmq_poll()
 * makes two poll(2) passes and asks every socket for ZMQ_EVENTS around
 * them, several system calls per message more than needed. */
static void loop(broker *b)
{
    int backend_fd = socket_fd(b->backend), zap_fd = b->zap ? socket_fd(b->zap) : -1;
    int fe_fd[FE_COUNT];
    for (int f = 0; f < FE_COUNT; f++) {
        fe_fd[f] = b->fe[f].sock ? socket_fd(b->fe[f].sock) : -1;
        b->fe_dirty[f] = true;
    }
    b->backend_dirty = true;
    if (b->zap)
        serve_zap(b);
    for (;;) {
        drain(b);
        if (b->stopping && (b->in_flight == 0 || mg_daemon_now_ns() >= b->deadline_ns))
            break;
        struct pollfd pf[3 + FE_COUNT];
        int fe_at[FE_COUNT], n = 0;
        pf[n++] = (struct pollfd){.fd = b->sigfd, .events = POLLIN};
        pf[n++] = (struct pollfd){.fd = backend_fd, .events = POLLIN};
        int zap_at = -1;
        if (zap_fd >= 0) {
            zap_at = n;
            pf[n++] = (struct pollfd){.fd = zap_fd, .events = POLLIN};
        }
        /* Least-recently-used dispatch: read clients only when a worker is
         * free; meanwhile requests wait in the client queues (bounded). */
        for (int f = 0; f < FE_COUNT; f++) {
            fe_at[f] = -1;
            if (fe_fd[f] >= 0 && !b->stopping && b->idle_count > 0) {
                fe_at[f] = n;
                pf[n++] = (struct pollfd){.fd = fe_fd[f], .events = POLLIN};
            }
        }
        int timeout = -1;
        if (b->stopping) {
            uint64_t now = mg_daemon_now_ns();
            timeout = b->deadline_ns > now ? (int)((b->deadline_ns - now) / 1000000u) + 1 : 0;
        }
        if (poll(pf, (nfds_t)n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            mg_dlog(MG_LOG_ERROR, "poll: %s", strerror(errno));
            break;
        }
        if (pf[0].revents & POLLIN)
            on_signal(b);
        if (pf[1].revents)
            b->backend_dirty = true;
        if (zap_at >= 0 && pf[zap_at].revents)
            serve_zap(b);
        for (int f = 0; f < FE_COUNT; f++)
            if (fe_at[f] >= 0 && pf[fe_at[f]].revents)
                b->fe_dirty[f] = true;
    }
    if (b->in_flight > 0)
        mg_dlog(MG_LOG_WARN, "stopped with %d requests still in flight", b->in_flight);
}

int mg_daemon_run(const mg_daemon_opts *o)
{
    broker *b = calloc(1, sizeof *b);
    if (!b) {
        mg_dlog(MG_LOG_ERROR, "out of memory");
        return 1;
    }
    b->sigfd = -1;
    b->d.opts = o;
    mg_jw_init(&b->out, 0);
    mg_search_limits_default(&b->d.limits);
    pthread_mutex_init(&b->d.stats.mu, NULL);
    pthread_mutex_init(&b->d.seen_mu, NULL);
    atomic_init(&b->d.index_gen, 0);
    clock_gettime(CLOCK_MONOTONIC, &b->d.stats.started);
    b->nworkers = o->workers;
    b->d.stats.workers = b->nworkers;
    b->workers = calloc((size_t)b->nworkers, sizeof *b->workers);
    b->idle = calloc((size_t)b->nworkers, sizeof *b->idle);
    int status = 1;
    if (!b->workers || !b->idle) {
        mg_dlog(MG_LOG_ERROR, "out of memory");
    } else if (setup(b, o) == 0) {
        char eps[2048];
        describe_endpoints(b, eps, sizeof eps);
        if (b->have_first) {
            mg_dlog(MG_LOG_INFO,
                    "ready: index %s (revision %llu, %llu documents), %d workers, listening on %s",
                    b->first.path, b->first.revision, b->first.documents, b->nworkers, eps);
        } else {
            mg_dlog(MG_LOG_INFO, "ready: index %s, %d workers, listening on %s", o->db, b->nworkers,
                    eps);
        }
        if (o->pidfile && write_pidfile(o->pidfile) != 0) {
            mg_dlog(MG_LOG_ERROR, "pidfile %s: %s", o->pidfile, strerror(errno));
        } else {
            loop(b);
            status = 0;
        }
    }
    unsigned long long served = b->d.stats.served, errors = b->d.stats.errors;
    shutdown_all(b);
    if (o->pidfile && status == 0)
        unlink(o->pidfile);
    if (status == 0)
        mg_dlog(MG_LOG_INFO, "stopped: %llu repl%s, %llu error%s", served,
                served == 1 ? "y" : "ies", errors, errors == 1 ? "" : "s");
    free(b);
    return status;
}
