/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgued's insides: the options, the broker that owns the sockets, the
 * worker threads that run queries, the shared counters, and CURVE/ZAP.
 * Private to daemon/. */
#ifndef MG_DAEMON_H
#define MG_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonw.h"
#include "search.h"

#define MG_DAEMON_MAX_BINDS 32
#define MG_DAEMON_DEFAULT_TCP "tcp://127.0.0.1:5555"
#define MG_DAEMON_DEFAULT_MAX_MSG 65536
#define MG_DAEMON_MAX_WORKERS 256
#define MG_DAEMON_LATENCY_RING 4096 /* p50/p99 are over the last this many replies */

typedef struct mg_daemon_opts {
    const char *db;
    const char *binds[MG_DAEMON_MAX_BINDS];
    size_t nbinds;
    int workers;              /* 0: one per core */
    const char *pidfile;      /* NULL: none */
    const char *curve_secret; /* file holding the server's Z85 secret key */
    const char *curve_allow;  /* file of Z85 public keys, or a directory of *.pub */
    bool insecure;            /* allow non-loopback tcp:// without CURVE */
    bool log_queries;
    long max_msg; /* ZMQ_MAXMSGSIZE of the client sockets */
} mg_daemon_opts;

/* Counters shared by the broker (writer) and the workers (readers, for the
 * "stats" reply). Guarded by mu. */
typedef struct mg_daemon_stats {
    pthread_mutex_t mu;
    struct timespec started;               /* CLOCK_MONOTONIC */
    unsigned long long served;             /* replies sent (errors included) */
    unsigned long long errors;             /* replies with "ok":false */
    unsigned long long dropped;            /* replies that could not be delivered */
    uint32_t ring[MG_DAEMON_LATENCY_RING]; /* microseconds, broker receive -> reply */
    size_t ring_next, ring_len;
    int workers;
} mg_daemon_stats;

/* Everything the threads share; read-only after start-up except the atomics
 * and stats. */
typedef struct mg_daemon {
    const mg_daemon_opts *opts;
    void *zctx;
    mg_search_limits limits;
    mg_daemon_stats stats;
    /* The index last announced in the log (a rebuild starts a new
     * database, whose revision may be lower: the path tells them apart). */
    pthread_mutex_t seen_mu;
    unsigned long long seen_revision;
    char seen_path[4096];
    /* Bumped by a worker whose look found a new index: every other worker
     * looks again before its next request, so once one reply came from the
     * new index no later reply comes from the old one. */
    _Atomic unsigned long index_gen;
} mg_daemon;

/* Run the daemon until SIGTERM/SIGINT; returns the process exit status.
 * SIGTERM, SIGINT and SIGHUP must already be blocked in the calling thread
 * (they are read from a signalfd). */
int mg_daemon_run(const mg_daemon_opts *opts);

/* Worker threads (worker.c). */
typedef struct mg_worker {
    mg_daemon *d;
    int index;
    mg_searcher *searcher; /* owned by the worker thread once started */
    pthread_t thread;
    bool started;
    uint64_t warned_ns;   /* last "reopen failed" warning: at most one per 10 s */
    uint64_t reopened_ns; /* last look for a new index */
    unsigned long gen;    /* d->index_gen as of that look */
    mg_jw out;            /* the reply being written; its buffer is reused */
} mg_worker;

#define MG_BACKEND_ENDPOINT "inproc://morgued-workers"

/* Internal framing between broker and workers, over the inproc backend:
 *   broker -> worker: [client routing id][mg_job header][request body]
 *   worker -> broker: [client routing id][mg_job header][reply body]
 * and single-frame control messages: "R" (worker ready, sent once),
 * "H" (broker -> worker: reopen the index afresh), "Q" (quit). */
typedef struct mg_job {
    uint8_t frontend; /* which client socket the request came in on */
    uint8_t flags;    /* MG_JOB_* */
    uint8_t pad[6];
    uint64_t t0_ns; /* CLOCK_MONOTONIC when the broker read the request */
} mg_job;
enum {
    MG_JOB_DELIM = 1, /* the client is REQ-style: reply with an empty delimiter */
    MG_JOB_ERROR = 2  /* the reply is an error ("ok":false) */
};

void *mg_worker_main(void *arg);

/* Monotonic clock in nanoseconds. */
uint64_t mg_daemon_now_ns(void);

/* Record one reply in the counters (broker thread). */
void mg_daemon_stats_record(mg_daemon_stats *st, uint64_t latency_ns, bool error, bool delivered);

/* Write the daemon's counters as the member "daemon":{...} of a stats reply
 * (w is inside the reply object). updated_unix: the index's last commit
 * (seconds since the epoch), or -1 when unknown. */
void mg_daemon_stats_write(mg_daemon_stats *st, mg_jw *w, long long updated_unix);

/* CURVE and ZAP (curve.c). */
typedef struct mg_curve {
    char secret_z85[41];
    char public_z85[41];
    uint8_t (*allowed)[32]; /* client public keys, binary */
    size_t nallowed;
} mg_curve;

/* Load the server secret key file and the allow-list. 0 or -1 with a message
 * logged. */
int mg_curve_load(mg_curve *c, const char *secret_file, const char *allow, char *msg, size_t msgsz);
void mg_curve_release(mg_curve *c);

/* Answer one ZAP request waiting on the REP socket zap (RFC 27). */
void mg_curve_zap_handle(const mg_curve *c, void *zap);

#endif
