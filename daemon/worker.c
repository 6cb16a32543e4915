/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A morgued worker thread: owns one searcher (database handle, analyser,
 * stemmer); the workers take turns on the client sockets (leader/followers:
 * the one holding d->lead_mu waits for a request, takes it, passes the turn
 * on and answers it through mg_proto_handle()). */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "daemon.h"
#include "log.h"
#include "protocol.h"

#define TICK_MS 500           /* an idle worker looks for a new index this often */
#define REOPEN_MS 50          /* a busy one, at most this often */
#define KEEP_BYTES (1u << 20) /* a reply buffer larger than this is freed after use */

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

/* The index could not be opened for want of a file descriptor. */
static bool out_of_fds(const mg_err *err)
{
    return err->detail == EMFILE || err->detail == ENFILE;
}

static void reopen(mg_worker *w)
{
    w->reopened_ns = mg_daemon_now_ns();
    w->gen = atomic_load(&w->d->index_gen);
    mg_err err;
    mg_err_clear(&err);
    /* A new index opens beside the old one: with the descriptors held for it. */
    mg_fds_pool_lend(w->d->fd_pool, (int)w->d->fd_per_index);
    int rc = mg_searcher_reopen(w->searcher, &err);
    mg_fds_pool_refill(w->d->fd_pool);
    if (rc > 0) {
        w->gen = atomic_fetch_add(&w->d->index_gen, 1) + 1;
        note_revision(w, "index changed");
    } else if (rc < 0 && out_of_fds(&err)) {
        mg_dlog(MG_LOG_DEBUG, "worker %d: reopen failed, retrying: %s", w->index, err.msg);
        mg_daemon_warn_fds(w->d, false);
    } else if (rc < 0 && (w->warned_ns == 0 || mg_daemon_now_ns() - w->warned_ns > 10000000000u)) {
        w->warned_ns = mg_daemon_now_ns();
        mg_dlog(MG_LOG_WARN, "worker %d: reopen failed (serving the previous view): %s", w->index,
                err.msg);
    }
}

/* SIGHUP: close the database and open it afresh. False when the
 * descriptors lent for it went to a burst of connections (libzmq accepts in
 * its own thread): the caller tries again on its next look. */
static bool reopen_fresh(mg_worker *w)
{
    mg_err err;
    mg_err_clear(&err);
    mg_fds_pool_lend(w->d->fd_pool, (int)w->d->fd_per_index);
    mg_searcher *s = mg_searcher_open(w->d->opts->db, &w->d->limits, &err);
    mg_fds_pool_refill(w->d->fd_pool);
    if (!s && out_of_fds(&err)) {
        mg_dlog(MG_LOG_DEBUG,
                "worker %d: SIGHUP: no descriptor left to open the index, trying "
                "again on the next look",
                w->index);
        mg_daemon_warn_fds(w->d, false);
        return false;
    }
    if (!s) {
        mg_dlog(MG_LOG_ERROR,
                "worker %d: reopen after SIGHUP failed (serving the previous view): %s", w->index,
                err.msg);
        return true;
    }
    mg_searcher_free(w->searcher);
    w->searcher = s;
    mg_dlog(MG_LOG_DEBUG, "worker %d: index reopened after SIGHUP", w->index);
    note_revision(w, "after SIGHUP");
    return true;
}

/* A SIGHUP this worker has not acted on yet: reopen, and count it done
 * unless it must be tried again. */
static void check_fresh(mg_worker *w)
{
    unsigned long gen = atomic_load(&w->d->fresh_gen);
    if (gen != w->fresh && reopen_fresh(w))
        w->fresh = gen;
}

/* The daemon's counters in a "stats" reply. */
static void stats_extra(void *arg, mg_jw *w, const mg_searcher_info *info)
{
    mg_daemon *d = arg;
    mg_daemon_stats_write(&d->stats, w, info->updated_unix, mg_outq_bytes(d->outq));
}

/* The daemon's counters in the Prometheus text format, for "metrics". */
static int metrics_hook(void *arg, mg_jw *w, const mg_searcher_info *info)
{
    mg_daemon *d = arg;
    return mg_daemon_stats_prometheus(&d->stats, w, info, mg_outq_bytes(d->outq));
}

/* Who sent the request in j, for the log: the peer's address when the
 * transport has one (tcp), else the socket and the routing id in hex. */
static void client_name(mg_job *j, char *out, size_t outsz)
{
    static const char *const fe[] = {"local", "curve"};
    const char *peer = zmq_msg_gets(&j->body, "Peer-Address");
    int n = snprintf(out, outsz, "%s:%s", fe[j->fe], peer && *peer ? peer : "");
    if (peer && *peer)
        return;
    const unsigned char *id = zmq_msg_data(&j->id);
    size_t len = zmq_msg_size(&j->id);
    for (size_t i = 0; i < len && n > 0 && (size_t)n + 3 < outsz; i++)
        n += snprintf(out + n, outsz - (size_t)n, "%02x", id[i]);
}

/* The query log (--log-queries) and the slow-query log (--log-slow-ms). */
static void log_request(mg_worker *w, mg_job *j, const mg_proto_info *info, uint64_t t0,
                        uint64_t t1)
{
    const mg_daemon_opts *o = w->d->opts;
    unsigned long long took_us = (t1 - t0) / 1000;
    bool slow = o->log_slow_ms >= 0 && took_us >= (unsigned long long)o->log_slow_ms * 1000u;
    if (!o->log_queries && !slow)
        return;
    char client[160];
    client_name(j, client, sizeof client);
    mg_dlog_req r = {.event = "query",
                     .client = client,
                     .op = info->op,
                     .took_us = took_us,
                     .wait_us = (t0 - j->t0) / 1000,
                     .hits = info->hits,
                     .code = info->code,
                     .request = zmq_msg_data(&j->body),
                     .request_len = zmq_msg_size(&j->body)};
    if (o->log_queries)
        mg_dlog_request(MG_LOG_INFO, &r);
    if (slow) {
        r.event = "slow_query";
        mg_dlog_request(MG_LOG_WARN, &r);
    }
}

typedef mg_job job;

/* Kick the leader if a client socket has input: this thread's calls on it
 * may have eaten the edge of its ZMQ_FD. Under sock_mu. */
static void rearm(mg_daemon *d)
{
    for (int f = 0; f < MG_FE_COUNT; f++) {
        int ev = 0;
        size_t sz = sizeof ev;
        if (d->fe[f] && zmq_getsockopt(d->fe[f], ZMQ_EVENTS, &ev, &sz) == 0 && (ev & ZMQ_POLLIN)) {
            mg_daemon_kick(d);
            return;
        }
    }
}

/* Send [id][""?][body] to a client without ever blocking (under sock_mu).
 * The caller still closes id and body. false when the client is gone or its
 * queue is full: the reply is then dropped. */
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

/* w->out as a message to the client of j, its bytes counted against that
 * client's queue (false when empty, over the client's queue cap: counted,
 * or out of memory). */
static bool reply_msg(mg_worker *w, job *j, zmq_msg_t *rep)
{
    if (w->out.len == 0)
        return false;
    int rc = mg_outq_msg(w->d->outq, j->fe, zmq_msg_data(&j->id), zmq_msg_size(&j->id), w->out.buf,
                         w->out.len, rep);
    if (rc == 0) {
        atomic_fetch_add(&w->d->stats.queue_full, 1);
        mg_dlog(MG_LOG_DEBUG,
                "reply dropped: the client would have over %ld bytes of replies unread",
                w->d->opts->max_queued);
    }
    return rc > 0;
}

/* Send w->out (when empty: nothing) to the client of j under sock_mu, held
 * by the caller, and count the reply. */
static void reply_locked(mg_worker *w, job *j, bool error)
{
    zmq_msg_t rep;
    bool delivered = false;
    if (reply_msg(w, j, &rep)) {
        delivered = send_to_client(w->d->fe[j->fe], &j->id, j->delim, &rep);
        zmq_msg_close(&rep);
    }
    mg_daemon_stats_record(&w->d->stats, mg_daemon_now_ns() - j->t0, error, delivered);
}

/* Read the rest of a multi-part message and throw it away. */
static void drop_rest(void *sock)
{
    while (true) {
        int more = 0;
        size_t sz = sizeof more;
        if (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) != 0 || !more)
            return;
        zmq_msg_t m;
        zmq_msg_init(&m);
        int rc = zmq_msg_recv(&m, sock, ZMQ_DONTWAIT);
        zmq_msg_close(&m);
        if (rc < 0)
            return;
    }
}

/* One message from client socket f (under sock_mu). Clients are REQ (frames
 * after the routing id: "", body) or DEALER (body alone, or "", body):
 * exactly one non-empty body frame is a request (1, in j); anything else is
 * answered with an error here (0). -1: nothing to read. */
static int take_one(mg_worker *w, int f, job *j)
{
    void *fe = w->d->fe[f];
    zmq_msg_t f2[2];
    zmq_msg_init(&j->id);
    if (zmq_msg_recv(&j->id, fe, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&j->id);
        return -1;
    }
    j->t0 = mg_daemon_now_ns();
    j->fe = f;
    j->started = false;
    j->conn_fd = -1;
    int n = 0;
    bool more = zmq_msg_more(&j->id);
    while (more && n < 2) {
        zmq_msg_init(&f2[n]);
        if (zmq_msg_recv(&f2[n], fe, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&f2[n]);
            break;
        }
        more = zmq_msg_more(&f2[n]);
        n++;
    }
    int extra = more ? 1 : 0;
    if (more)
        drop_rest(fe);
    if (n > 0) { /* the connection it came on: a request past the cap is answered once */
        j->conn_fd = zmq_msg_get(&f2[0], ZMQ_SRCFD);
        mg_conns_request(w->d->conns, j->conn_fd);
    }
    j->delim = n == 2 && zmq_msg_size(&f2[0]) == 0;
    int body = j->delim ? 1 : 0;
    int nbody = n - body + extra;
    const char *why = NULL;
    if (n == 0)
        why = ""; /* cannot happen with ROUTER; nothing to answer */
    else if (nbody != 1)
        why = "a request is exactly one frame (multi-part messages are not accepted)";
    else if (zmq_msg_size(&f2[body]) == 0)
        why = "empty request frame";
    if (!why) {
        zmq_msg_init(&j->body);
        zmq_msg_move(&j->body, &f2[body]);
    } else if (*why) {
        if (nbody != 1)
            j->delim = zmq_msg_size(&f2[0]) == 0;
        mg_proto_error(&w->out, "bad_request", why, (mg_daemon_now_ns() - j->t0) / 1000);
        if (mg_jw_failed(&w->out))
            mg_jw_reset(&w->out);
        reply_locked(w, j, true);
        mg_conns_replied(w->d->conns, j->conn_fd);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f2[i]);
    if (why)
        zmq_msg_close(&j->id);
    return why ? 0 : 1;
}

/* Receive a request from any client socket, each read until it is empty
 * (the edge of its ZMQ_FD is then armed again), under sock_mu. true with one
 * in j. */
static bool take_locked(mg_worker *w, job *j)
{
    mg_daemon *d = w->d;
    if (atomic_load(&d->stopping) || atomic_load(&d->quit))
        return false;
    for (int k = 0; k < MG_FE_COUNT; k++) {
        int f = (d->next_fe + k) % MG_FE_COUNT;
        if (!d->fe[f])
            continue;
        int rc;
        while ((rc = take_one(w, f, j)) == 0)
            ;
        if (rc > 0) {
            d->next_fe = (f + 1) % MG_FE_COUNT; /* the other socket first next time */
            atomic_fetch_add(&d->in_flight, 1);
            return true;
        }
    }
    return false;
}

/* The leader's wait: until a request is taken (true) or the daemon quits
 * (false). Idle, it looks for a new index every TICK_MS. */
static bool lead(mg_worker *w, job *j)
{
    mg_daemon *d = w->d;
    bool got = false;
    pthread_mutex_lock(&d->lead_mu);
    while (!atomic_load(&d->quit)) {
        check_fresh(w);
        pthread_mutex_lock(&d->sock_mu);
        got = take_locked(w, j);
        if (got) /* more waiting: the next leader must not sleep on a lost edge */
            rearm(d);
        pthread_mutex_unlock(&d->sock_mu);
        if (got)
            break;
        struct pollfd pf[1 + MG_FE_COUNT];
        int n = 0;
        pf[n++] = (struct pollfd){.fd = d->kick_fd, .events = POLLIN};
        for (int f = 0; f < MG_FE_COUNT; f++)
            if (d->fe[f] && !atomic_load(&d->stopping))
                pf[n++] = (struct pollfd){.fd = d->fe_fd[f], .events = POLLIN};
        int rc = poll(pf, (nfds_t)n, TICK_MS);
        if (rc == 0) {
            reopen(w);
        } else if (rc > 0 && (pf[0].revents & POLLIN)) {
            uint64_t v;
            if (read(d->kick_fd, &v, sizeof v) < 0 && errno != EAGAIN)
                mg_dlog(MG_LOG_ERROR, "worker %d: read: %s", w->index, strerror(errno));
        } else if (rc < 0 && errno != EINTR) {
            mg_dlog(MG_LOG_ERROR, "worker %d: poll: %s", w->index, strerror(errno));
            break;
        }
    }
    pthread_mutex_unlock(&d->lead_mu);
    return got;
}

/* Whether a request may be a search: cheap, and erring towards yes (a
 * request that only mentions "search" is at worst parked like one). */
static bool maybe_search(const char *req, size_t len)
{
    static const char op[] = "\"search\"";
    return len >= sizeof op - 1 && memmem(req, len, op, sizeof op - 1) != NULL;
}

/* Under park_mu: searches running. */
static int searches(const mg_daemon *d)
{
    int running = 0;
    for (int i = 0; i < d->opts->workers; i++)
        running += d->search_since[i] != 0;
    return running;
}

/* Under park_mu: the slot of j's client among the slow ones, or -1. */
static int slow_slot(const mg_daemon *d, job *j)
{
    size_t n = zmq_msg_size(&j->id);
    const void *id = zmq_msg_data(&j->id);
    for (int i = 0; i < MG_DAEMON_SLOW_CLIENTS; i++)
        if (d->slow[i].len == n && d->slow[i].fe == j->fe && memcmp(d->slow[i].id, id, n) == 0)
            return i;
    return -1;
}

/* Move the job in from to to (its messages with zmq_msg_move()); to is
 * marked started. */
static void move_job(job *to, job *from)
{
    to->fe = from->fe;
    to->delim = from->delim;
    to->started = true;
    to->t0 = from->t0;
    to->conn_fd = from->conn_fd;
    zmq_msg_init(&to->id);
    zmq_msg_init(&to->body);
    zmq_msg_move(&to->id, &from->id);
    zmq_msg_move(&to->body, &from->body);
}

/* Start the search in j on this worker (false), or park it (true: j's
 * messages now belong to the ring). */
static bool park_or_start(mg_worker *w, job *j)
{
    mg_daemon *d = w->d;
    uint64_t now = mg_daemon_now_ns();
    pthread_mutex_lock(&d->park_mu);
    bool park = d->opts->workers > 1 && d->nparked < MG_DAEMON_MAX_PARKED &&
                searches(d) >= d->opts->workers - 1 && slow_slot(d, j) >= 0;
    if (park) {
        move_job(&d->parked[(d->park_head + d->nparked++) % MG_DAEMON_MAX_PARKED], j);
        atomic_fetch_add(&d->stats.parked, 1);
    } else {
        d->search_since[w->index] = now;
    }
    pthread_mutex_unlock(&d->park_mu);
    return park;
}

/* The search of this worker, for the client of j, ended: the client is
 * slow or not by how long it took. */
static void search_done(mg_worker *w, job *j)
{
    mg_daemon *d = w->d;
    pthread_mutex_lock(&d->park_mu);
    bool slow =
        mg_daemon_now_ns() - d->search_since[w->index] >= (uint64_t)d->opts->slow_ms * 1000000u;
    d->search_since[w->index] = 0;
    int at = slow_slot(d, j);
    size_t n = zmq_msg_size(&j->id);
    if (slow && at < 0 && n > 0 && n <= sizeof d->slow[0].id) {
        at = (int)(d->slow_next++ % MG_DAEMON_SLOW_CLIENTS);
        d->slow[at].fe = j->fe;
        d->slow[at].len = (unsigned char)n;
        memcpy(d->slow[at].id, zmq_msg_data(&j->id), n);
    } else if (!slow && at >= 0) {
        d->slow[at].len = 0;
    }
    pthread_mutex_unlock(&d->park_mu);
}

/* Take a parked search up when the long ones leave room (true, in j). */
static bool unpark(mg_worker *w, job *j)
{
    mg_daemon *d = w->d;
    uint64_t now = mg_daemon_now_ns();
    bool got = false;
    pthread_mutex_lock(&d->park_mu);
    if (d->nparked > 0 &&
        (searches(d) < d->opts->workers - 1 ||
         now - d->parked[d->park_head].t0 >= MG_DAEMON_PARK_MAX_MS * 1000000ull)) {
        move_job(j, &d->parked[d->park_head]);
        d->park_head = (d->park_head + 1) % MG_DAEMON_MAX_PARKED;
        d->nparked--;
        d->search_since[w->index] = now;
        got = true;
    }
    pthread_mutex_unlock(&d->park_mu);
    return got;
}

/* Answer the request in j; then, in the same hold of sock_mu that sends the
 * reply, take the next request if one is waiting (true, in next): a busy
 * worker goes from one request to the next without waiting for its turn. */
static bool handle(mg_worker *w, job *j, job *next)
{
    mg_daemon *d = w->d;
    const char *req = zmq_msg_data(&j->body);
    size_t len = zmq_msg_size(&j->body);
    bool search = j->started || maybe_search(req, len);
    if (search && !j->started && park_or_start(w, j))
        return false;
    uint64_t t0 = mg_daemon_now_ns();

    check_fresh(w);
    /* Look for a new index at most every REOPEN_MS while busy (the look,
     * resolving the path and reading Xapian's version file, costs a dozen
     * system calls, more than a "ping" itself), and at once when another
     * worker has found one. */
    if (t0 - w->reopened_ns >= (uint64_t)REOPEN_MS * 1000000u ||
        atomic_load(&d->index_gen) != w->gen)
        reopen(w);
    const mg_proto_hooks hooks = {.stats_extra = stats_extra, .arg = d, .metrics = metrics_hook};
    mg_proto_info info;
    int rc = mg_proto_run(w->searcher, req, len, &hooks, &w->out, &info);
    if (search)
        search_done(w, j);
    /* A get of an id that is not there is an answer, not a failure. */
    bool not_found = info.code && strcmp(info.code, "not_found") == 0;
    bool ok = rc > 0 || not_found;
    if (rc < 0 && !info.code)
        info.code = "internal";
    log_request(w, j, &info, t0, mg_daemon_now_ns());
    if (not_found)
        atomic_fetch_add(&d->stats.not_found, 1);
    /* Out of memory even for the error: no reply (the client times out). */
    if (rc < 0)
        mg_jw_reset(&w->out);

    zmq_msg_t rep;
    bool have = reply_msg(w, j, &rep), delivered = false;
    pthread_mutex_lock(&d->sock_mu);
    if (have)
        delivered = send_to_client(d->fe[j->fe], &j->id, j->delim, &rep);
    mg_conns_replied(d->conns, j->conn_fd);
    bool got = take_locked(w, next);
    rearm(d);
    pthread_mutex_unlock(&d->sock_mu);
    if (got)
        atomic_fetch_add(&d->stats.next_hits, 1);
    if (have)
        zmq_msg_close(&rep);
    mg_daemon_stats_record(&d->stats, mg_daemon_now_ns() - j->t0, !ok, delivered);
    zmq_msg_close(&j->id);
    zmq_msg_close(&j->body);
    if (w->out.cap > KEEP_BYTES) {
        /* A large reply: give its memory back (the buffer, and what the
         * search freed) rather than keep the peak for the daemon's life. */
        mg_jw_release(&w->out);
        malloc_trim(0);
    }
    if (atomic_fetch_sub(&d->in_flight, 1) == 1 && atomic_load(&d->stopping)) {
        uint64_t one = 1;
        if (write(d->idle_fd, &one, sizeof one) < 0)
            mg_dlog(MG_LOG_ERROR, "worker %d: write: %s", w->index, strerror(errno));
    }
    return got;
}

/* After a reply, when no request was waiting: keep looking at the client
 * sockets, awake, for up to opts->spin_us (one worker at a time), yielding
 * the CPU to anything else runnable between looks. A client that sends its
 * next request soon after reading a reply then finds a thread that is
 * running, warm from the last request, instead of waking one (on a VM, a
 * wake-up of an idle vCPU is tens of microseconds). true with a request in
 * j. */
static bool linger(mg_worker *w, job *j)
{
    mg_daemon *d = w->d;
    bool no = false;
    if (d->opts->spin_us <= 0 || !atomic_compare_exchange_strong(&d->lingering, &no, true))
        return false;
    uint64_t until = mg_daemon_now_ns() + (uint64_t)d->opts->spin_us * 1000u;
    bool got = false;
    while (!got && mg_daemon_now_ns() < until && !atomic_load(&d->stopping) &&
           !atomic_load(&d->quit)) {
        sched_yield();
        pthread_mutex_lock(&d->sock_mu);
        got = take_locked(w, j);
        if (got) /* more waiting: the leader must not sleep on a lost edge */
            rearm(d);
        pthread_mutex_unlock(&d->sock_mu);
    }
    atomic_store(&d->lingering, false);
    if (got)
        atomic_fetch_add(&d->stats.spin_hits, 1);
    return got;
}

void *mg_worker_main(void *arg)
{
    mg_worker *w = arg;
    mg_jw_init(&w->out, MG_PROTO_MAX_REPLY);
    w->fresh = atomic_load(&w->d->fresh_gen);
    job jobs[2];
    int cur = 0;
    bool have = lead(w, &jobs[cur]);
    while (have) {
        have = handle(w, &jobs[cur], &jobs[cur ^ 1]);
        cur ^= 1;
        if (!have)
            have = unpark(w, &jobs[cur]);
        if (!have)
            have = linger(w, &jobs[cur]);
        if (!have)
            have = lead(w, &jobs[cur]);
    }
    mg_searcher_free(w->searcher);
    w->searcher = NULL;
    mg_jw_release(&w->out);
    return NULL;
}
