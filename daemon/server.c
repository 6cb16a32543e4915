/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgued's main thread: binds the client-facing ROUTER sockets, starts the
 * worker threads (which take turns receiving requests on those sockets and
 * answer them, see worker.c), and then serves signals (signalfd) and ZAP
 * until SIGTERM/SIGINT, when it stops accepting, waits for the requests in
 * flight and shuts down. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <zmq.h>

#include "daemon.h"
#include "fds.h"
#include "log.h"
#include "notify.h"
#include "protocol.h"
#include "version.h"

#define DRAIN_MS 1000   /* on SIGTERM, wait this long for requests in flight */
#define CLIENT_HWM 1000 /* messages queued per client connection, each way */
#define FDS_WARN_S 600  /* at most one warning about the descriptor limit this often */
#define FDS_PER_INDEX 8 /* a Glass database: its six tables and its version file, and one */
/* Descriptors kept beyond the index's: for connections accepted before the
 * cap shuts them down, the log, /proc/self/fd. */
#define FDS_MARGIN 16
/* Fewer client connections than this at start-up: warn that the descriptor
 * limit is low (a soft limit of 1024 leaves about 960; 128 leaves at most 80). */
#define FDS_FEW_CONNS 256

enum { FE_LOCAL = MG_FE_LOCAL, FE_CURVE = MG_FE_CURVE, FE_COUNT = MG_FE_COUNT };

typedef struct frontend {
    void *sock;                       /* the same as d.fe[] */
    char *bound[MG_DAEMON_MAX_BINDS]; /* resolved endpoints (wildcard ports filled in) */
    size_t nbound;
} frontend;

typedef struct server {
    mg_daemon d;
    frontend fe[FE_COUNT];
    void *zap;
    int sigfd;
    mg_curve curve;
    bool have_curve;
    mg_worker *workers;
    int nworkers;
    uint64_t deadline_ns;
    mg_searcher_info first; /* the index as opened at start-up */
    bool have_first;
    void *mon[FE_COUNT]; /* PAIR sockets reading the client sockets' monitor events */
} server;

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
static int classify(const server *b, const char *ep, char *msg, size_t msgsz)
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

static void *client_socket(server *b, int which)
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

static int bind_all(server *b)
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

static void unbind_all(server *b)
{
    for (int f = 0; f < FE_COUNT; f++)
        for (size_t i = 0; i < b->fe[f].nbound; i++)
            if (b->fe[f].bound[i])
                zmq_unbind(b->fe[f].sock, b->fe[f].bound[i]);
}

void mg_daemon_kick(mg_daemon *d)
{
    uint64_t one = 1;
    while (write(d->kick_fd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

/* ---- file descriptors ---- */

/* Watch the client sockets' connections: accepted and gone (counted and
 * capped in d.conns), and those they fail to accept (before the workers
 * start: a call on a client socket). The monitor's queue is unbounded on
 * our side: a lost event would miscount the connections for good. */
static int monitor_all(server *b)
{
    for (int f = 0; f < FE_COUNT; f++) {
        if (!b->fe[f].sock)
            continue;
        char ep[64];
        snprintf(ep, sizeof ep, "inproc://morgued-monitor-%d", f);
        int zero = 0;
        if (zmq_socket_monitor(b->fe[f].sock, ep,
                               ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                                   ZMQ_EVENT_ACCEPT_FAILED) != 0 ||
            !(b->mon[f] = zmq_socket(b->d.zctx, ZMQ_PAIR)) ||
            zmq_setsockopt(b->mon[f], ZMQ_LINGER, &zero, sizeof zero) != 0 ||
            zmq_setsockopt(b->mon[f], ZMQ_RCVHWM, &zero, sizeof zero) != 0 ||
            zmq_connect(b->mon[f], ep) != 0) {
            mg_dlog(MG_LOG_ERROR, "monitor: %s", zmq_strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Read every monitor event waiting (two frames each: the event number and
 * its value, then the endpoint): connections are counted, those past the
 * cap held or shut down, and a connection refused for want of descriptors
 * is reported. */
static void drain_monitors(server *b)
{
    for (int f = 0; f < FE_COUNT; f++) {
        zmq_msg_t m;
        while (b->mon[f]) {
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, b->mon[f], ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                break;
            }
            uint16_t event = 0;
            uint32_t value = 0;
            if (zmq_msg_size(&m) >= 6) {
                memcpy(&event, zmq_msg_data(&m), 2);
                memcpy(&value, (char *)zmq_msg_data(&m) + 2, 4);
            }
            bool more = zmq_msg_more(&m);
            zmq_msg_close(&m);
            if (more) {
                zmq_msg_init(&m);
                zmq_msg_recv(&m, b->mon[f], ZMQ_DONTWAIT);
                zmq_msg_close(&m);
            }
            if (event == ZMQ_EVENT_ACCEPTED &&
                mg_conns_accepted(b->d.conns, (int)value, mg_daemon_now_ns()))
                mg_daemon_warn_fds(&b->d, true);
            else if (event == ZMQ_EVENT_DISCONNECTED)
                mg_conns_closed(b->d.conns, (int)value);
            else if (event == ZMQ_EVENT_ACCEPT_FAILED && (value == EMFILE || value == ENFILE))
                mg_daemon_warn_fds(&b->d, false);
        }
    }
}

void mg_daemon_warn_fds(mg_daemon *d, bool cap)
{
    uint64_t now = mg_daemon_now_ns(), last = atomic_load(&d->fds_warned_ns);
    if ((last != 0 && now - last < FDS_WARN_S * 1000000000ull) ||
        !atomic_compare_exchange_strong(&d->fds_warned_ns, &last, now))
        return;
    long open_now = mg_fds_open();
    if (cap)
        mg_dlog(MG_LOG_WARN,
                "connection limit reached: %ld client connections, the most that the file "
                "descriptor limit %ld allows while keeping %ld for the index (%ld open): a new "
                "connection gets at most one reply and is closed; raise the limit (LimitNOFILE= "
                "in the systemd unit, docs/operations.md; ulimit -n)",
                mg_conns_cap(d->conns), d->fd_limit, d->fd_reserve, open_now);
    else
        mg_dlog(MG_LOG_WARN,
                "too many open files (%ld open, limit %ld): new client connections are refused "
                "and the index cannot be reopened until some close; raise the limit "
                "(LimitNOFILE= in the systemd unit, docs/operations.md; ulimit -n)",
                open_now, d->fd_limit);
}

/* ---- signals ---- */

static void on_signal(server *b)
{
    struct signalfd_siginfo si;
    while (read(b->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            mg_dlog(MG_LOG_INFO, "reload: SIGHUP, reopening the index");
            atomic_fetch_add(&b->d.fresh_gen, 1);
            mg_daemon_kick(&b->d);
            continue;
        }
        const char *name = si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
        if (atomic_load(&b->d.stopping)) {
            mg_dlog(MG_LOG_WARN, "%s again: stopping now", name);
            b->deadline_ns = 0;
            continue;
        }
        b->deadline_ns = mg_daemon_now_ns() + (uint64_t)DRAIN_MS * 1000000u;
        pthread_mutex_lock(&b->d.sock_mu);
        atomic_store(&b->d.stopping, true);
        unbind_all(b);
        pthread_mutex_unlock(&b->d.sock_mu);
        mg_daemon_kick(&b->d); /* the leader stops listening */
        mg_dlog(MG_LOG_INFO, "stopping on %s: no new requests, %d in flight", name,
                atomic_load(&b->d.in_flight));
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

static void describe_endpoints(const server *b, char *out, size_t outsz)
{
    size_t o = 0;
    out[0] = '\0';
    for (int f = 0; f < FE_COUNT; f++)
        for (size_t i = 0; i < b->fe[f].nbound && o < outsz; i++)
            o += (size_t)snprintf(out + o, outsz - o, "%s%s%s", o ? " " : "", b->fe[f].bound[i],
                                  f == FE_CURVE ? " (CURVE)" : "");
}

static int socket_fd(void *sock)
{
    int fd = -1;
    size_t sz = sizeof fd;
    zmq_getsockopt(sock, ZMQ_FD, &fd, &sz);
    return fd;
}

/* Keep descriptors for the index: every worker's database (measured now,
 * at least FDS_PER_INDEX), twice over, since a worker holds the old one
 * while it opens a new index (the second held in d.fd_pool), and
 * FDS_MARGIN; what is left after the descriptors open now and the grace
 * slots is the cap on client connections. before/after: descriptors open
 * before and after the workers opened the index. */
static void cap_connections(server *b, long before, long after)
{
    mg_daemon *d = &b->d;
    if (d->fd_limit <= 0 || before < 0 || after < before)
        return;
    long per_index = (after - before + b->nworkers - 1) / b->nworkers;
    if (per_index < FDS_PER_INDEX)
        per_index = FDS_PER_INDEX;
    d->fd_reserve = 2 * per_index * b->nworkers + FDS_MARGIN;
    d->fd_per_index = per_index;
    /* Held now, lent to each reopen: a burst of connections cannot take them. */
    d->fd_pool = mg_fds_pool_new((int)(per_index * b->nworkers));
    /* The descriptors open now, less the index's: it is in the reserve. */
    long base = before;
    long cap = d->fd_limit - base - d->fd_reserve - MG_CONNS_GRACE_SLOTS;
    if (cap < FDS_FEW_CONNS)
        mg_dlog(MG_LOG_WARN,
                "file descriptor limit %ld leaves room for about %ld client connections "
                "(%ld open, %ld kept for the index): raise it (LimitNOFILE= in the systemd "
                "unit, ulimit -n)",
                d->fd_limit, cap < 0 ? 0 : cap, after, d->fd_reserve);
    if (cap < 1)
        cap = 1;
    d->conns = mg_conns_new(cap, d->fd_limit);
    d->stats.conns = d->conns;
    if (!d->conns)
        mg_dlog(MG_LOG_WARN, "out of memory: client connections are not capped");
}

static int start_workers(server *b)
{
    mg_err err;
    long before = mg_fds_open();
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
    cap_connections(b, before, mg_fds_open());
    b->have_first = mg_searcher_stats(b->workers[0].searcher, &b->first, &err) == 0;
    if (b->have_first) {
        b->d.seen_revision = b->first.revision;
        snprintf(b->d.seen_path, sizeof b->d.seen_path, "%s", b->first.path);
    }
    for (int f = 0; f < FE_COUNT; f++) {
        b->d.fe[f] = b->fe[f].sock;
        b->d.fe_fd[f] = b->fe[f].sock ? socket_fd(b->fe[f].sock) : -1;
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

static void shutdown_all(server *b)
{
    atomic_store(&b->d.quit, true);
    if (b->d.kick_fd >= 0)
        mg_daemon_kick(&b->d);
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
    if (b->zap)
        zmq_close(b->zap);
    for (int f = 0; f < FE_COUNT; f++)
        if (b->mon[f])
            zmq_close(b->mon[f]);
    if (b->d.zctx)
        zmq_ctx_term(b->d.zctx);
    mg_outq_free(b->d.outq); /* libzmq has released every reply */
    mg_conns_free(b->d.conns);
    mg_fds_pool_free(b->d.fd_pool);
    if (b->have_curve)
        mg_curve_release(&b->curve);
    if (b->sigfd >= 0)
        close(b->sigfd);
    if (b->d.kick_fd >= 0)
        close(b->d.kick_fd);
    if (b->d.idle_fd >= 0)
        close(b->d.idle_fd);
    free(b->workers);
    pthread_mutex_destroy(&b->d.stats.mu);
    pthread_mutex_destroy(&b->d.seen_mu);
    pthread_mutex_destroy(&b->d.lead_mu);
    for (size_t i = 0; i < b->d.nparked; i++) { /* searches parked at the end */
        mg_job *j = &b->d.parked[(b->d.park_head + i) % MG_DAEMON_MAX_PARKED];
        zmq_msg_close(&j->id);
        zmq_msg_close(&j->body);
    }
    pthread_mutex_destroy(&b->d.park_mu);
    pthread_mutex_destroy(&b->d.sock_mu);
}

static int setup(server *b, const mg_daemon_opts *o)
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
    b->d.kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    b->d.idle_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (b->sigfd < 0 || b->d.kick_fd < 0 || b->d.idle_fd < 0) {
        mg_dlog(MG_LOG_ERROR, "signalfd/eventfd: %s", strerror(errno));
        return -1;
    }
    if (!(b->d.outq = mg_outq_new((size_t)o->max_queued))) {
        mg_dlog(MG_LOG_ERROR, "out of memory");
        return -1;
    }
    if (!(b->d.zctx = zmq_ctx_new())) {
        mg_dlog(MG_LOG_ERROR, "zmq_ctx_new: %s", zmq_strerror(errno));
        return -1;
    }
    int zero = 0;
    if (b->have_curve) {
        /* The ZAP handler must be bound before any CURVE socket binds. */
        b->zap = zmq_socket(b->d.zctx, ZMQ_REP);
        if (!b->zap || zmq_setsockopt(b->zap, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
            zmq_bind(b->zap, "inproc://zeromq.zap.01") != 0) {
            mg_dlog(MG_LOG_ERROR, "ZAP handler: %s", zmq_strerror(errno));
            return -1;
        }
    }
    if (bind_all(b) != 0)
        return -1;
    if (monitor_all(b) != 0)
        return -1;
    if (start_workers(b) != 0)
        return -1;
    return 0;
}

/* ZAP requests come when clients connect: rare, so simply until empty. */
static void serve_zap(server *b)
{
    for (;;) {
        int ev = 0;
        size_t sz = sizeof ev;
        if (zmq_getsockopt(b->zap, ZMQ_EVENTS, &ev, &sz) != 0 || !(ev & ZMQ_POLLIN))
            return;
        mg_curve_zap_handle(&b->curve, b->zap);
    }
}

/* The main thread's loop: signals and ZAP (the workers serve the clients),
 * until a stop and the requests in flight have been answered. */
static void loop(server *b)
{
    int zap_fd = b->zap ? socket_fd(b->zap) : -1;
    if (b->zap)
        serve_zap(b);
    for (;;) {
        drain_monitors(b); /* also re-arms their edge-triggered ZMQ_FD */
        bool stopping = atomic_load(&b->d.stopping);
        if (stopping && (atomic_load(&b->d.in_flight) == 0 || mg_daemon_now_ns() >= b->deadline_ns))
            break;
        struct pollfd pf[3 + FE_COUNT];
        int n = 0;
        pf[n++] = (struct pollfd){.fd = b->sigfd, .events = POLLIN};
        pf[n++] = (struct pollfd){.fd = b->d.idle_fd, .events = POLLIN};
        int zap_at = n;
        if (zap_fd >= 0)
            pf[n++] = (struct pollfd){.fd = zap_fd, .events = POLLIN};
        for (int f = 0; f < FE_COUNT; f++)
            if (b->mon[f])
                pf[n++] = (struct pollfd){.fd = socket_fd(b->mon[f]), .events = POLLIN};
        uint64_t now = mg_daemon_now_ns(), wake = mg_conns_tick(b->d.conns, now);
        int timeout = wake == UINT64_MAX ? -1 : (int)(wake / 1000000u) + 1;
        if (stopping) {
            int left = b->deadline_ns > now ? (int)((b->deadline_ns - now) / 1000000u) + 1 : 0;
            timeout = timeout < 0 || left < timeout ? left : timeout;
        }
        if (poll(pf, (nfds_t)n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            mg_dlog(MG_LOG_ERROR, "poll: %s", strerror(errno));
            break;
        }
        if (pf[0].revents & POLLIN)
            on_signal(b);
        if (pf[1].revents & POLLIN) {
            uint64_t v;
            if (read(b->d.idle_fd, &v, sizeof v) < 0 && errno != EAGAIN)
                mg_dlog(MG_LOG_ERROR, "read: %s", strerror(errno));
        }
        if (zap_fd >= 0 && pf[zap_at].revents)
            serve_zap(b);
    }
    int left = atomic_load(&b->d.in_flight);
    if (left > 0)
        mg_dlog(MG_LOG_WARN, "stopped with %d requests still in flight", left);
}

int mg_daemon_run(const mg_daemon_opts *o)
{
    server *b = calloc(1, sizeof *b);
    if (!b) {
        mg_dlog(MG_LOG_ERROR, "out of memory");
        return 1;
    }
    b->sigfd = -1;
    b->d.kick_fd = b->d.idle_fd = -1;
    b->d.opts = o;
    b->d.fd_limit = mg_fds_raise_limit();
    atomic_init(&b->d.fds_warned_ns, 0);
    b->d.limits = o->limits;
    b->d.limits.budget_ms = (unsigned)o->budget_ms;
    pthread_mutex_init(&b->d.stats.mu, NULL);
    pthread_mutex_init(&b->d.seen_mu, NULL);
    pthread_mutex_init(&b->d.lead_mu, NULL);
    pthread_mutex_init(&b->d.park_mu, NULL);
    atomic_init(&b->d.stats.parked, 0);
    pthread_mutex_init(&b->d.sock_mu, NULL);
    atomic_init(&b->d.index_gen, 0);
    atomic_init(&b->d.fresh_gen, 0);
    atomic_init(&b->d.in_flight, 0);
    atomic_init(&b->d.stopping, false);
    atomic_init(&b->d.lingering, false);
    atomic_init(&b->d.quit, false);
    clock_gettime(CLOCK_MONOTONIC, &b->d.stats.started);
    b->nworkers = o->workers;
    b->d.stats.workers = b->nworkers;
    b->d.stats.spin_us = o->spin_us;
    atomic_init(&b->d.stats.spin_hits, 0);
    atomic_init(&b->d.stats.next_hits, 0);
    atomic_init(&b->d.stats.queue_full, 0);
    b->workers = calloc((size_t)b->nworkers, sizeof *b->workers);
    int status = 1;
    if (!b->workers) {
        mg_dlog(MG_LOG_ERROR, "out of memory");
    } else if (setup(b, o) == 0) {
        char eps[2048], fds[160] = "";
        describe_endpoints(b, eps, sizeof eps);
        if (b->d.conns)
            snprintf(fds, sizeof fds,
                     ", file descriptor limit %ld (%ld client connections, %ld kept for the index)",
                     b->d.fd_limit, mg_conns_cap(b->d.conns), b->d.fd_reserve);
        if (b->have_first) {
            mg_dlog(MG_LOG_INFO,
                    "ready: morgued " MORGUE_VERSION
                    ", index %s (revision %llu, %llu documents), %d workers%s, listening on %s",
                    b->first.path, b->first.revision, b->first.documents, b->nworkers, fds, eps);
        } else {
            mg_dlog(MG_LOG_INFO,
                    "ready: morgued " MORGUE_VERSION ", index %s, %d workers%s, listening on %s",
                    o->db, b->nworkers, fds, eps);
        }
        if (o->pidfile && write_pidfile(o->pidfile) != 0) {
            mg_dlog(MG_LOG_ERROR, "pidfile %s: %s", o->pidfile, strerror(errno));
        } else {
            mg_notify("READY=1");
            loop(b);
            mg_notify("STOPPING=1");
            status = 0;
        }
    }
    shutdown_all(b);
    /* read after the workers have stopped: every reply is counted */
    unsigned long long served = b->d.stats.served, errors = b->d.stats.errors;
    if (o->pidfile && status == 0)
        unlink(o->pidfile);
    if (status == 0)
        mg_dlog(MG_LOG_INFO, "stopped: %llu repl%s, %llu error%s", served,
                served == 1 ? "y" : "ies", errors, errors == 1 ? "" : "s");
    free(b);
    return status;
}
