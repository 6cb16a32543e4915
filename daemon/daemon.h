/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgued's insides: the options, the main thread that owns start-up,
 * signals and ZAP, the worker threads that take turns on the client
 * sockets and run queries, the shared counters, and CURVE/ZAP.
 * Private to daemon/. */
#ifndef MG_DAEMON_H
#define MG_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conns.h"
#include "fds.h"
#include "jsonw.h"
#include "outq.h"
#include "search.h"

#define MG_DAEMON_MAX_BINDS 32
#define MG_DAEMON_DEFAULT_MAX_MSG 65536
#define MG_DAEMON_DEFAULT_MAX_QUEUED (8L << 20) /* reply bytes queued per client */
#define MG_DAEMON_MAX_WORKERS 256
#define MG_DAEMON_DEFAULT_SPIN_US 200
#define MG_DAEMON_MAX_SPIN_US 100000
#define MG_DAEMON_DEFAULT_BUDGET_MS 200
#define MG_DAEMON_MAX_BUDGET_MS 600000
#define MG_DAEMON_LATENCY_BUCKETS 16 /* finite buckets of the latency histogram */
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
    long log_slow_ms; /* requests that took this long are logged; -1: none */
    long max_msg; /* ZMQ_MAXMSGSIZE of the client sockets */
    long budget_ms; /* a search's matching time; 0: unbounded */
    long slow_ms;   /* a client whose last search took this long is a slow one */
    long max_queued; /* reply bytes queued for one client past which its
                        further replies are dropped (mg_outq) */
    long spin_us; /* how long a worker that found no request waiting after a
                     reply keeps looking before it sleeps; 0: never */
    /* the searchers' ranking settings (from the environment, morgued.c);
     * budget_ms above replaces its budget_ms */
    mg_search_limits limits;
} mg_daemon_opts;

/* Counters shared by the workers (each reply, and the "stats" reply).
 * Guarded by mu. */
typedef struct mg_daemon_stats {
    pthread_mutex_t mu;
    struct timespec started;               /* CLOCK_MONOTONIC */
    unsigned long long served;             /* replies sent (errors included) */
    unsigned long long errors;             /* replies with "ok":false */
    unsigned long long dropped;            /* replies that could not be delivered */
    _Atomic unsigned long long queue_full; /* of those, dropped for max_queued */
    uint32_t ring[MG_DAEMON_LATENCY_RING]; /* microseconds, request received -> reply sent */
    size_t ring_next, ring_len;
    int workers;
    long spin_us;                           /* opts->spin_us */
    _Atomic unsigned long long spin_hits;   /* requests taken in linger() (no lock) */
    _Atomic unsigned long long next_hits;   /* requests found waiting as a reply went out */
    _Atomic unsigned long long parked;      /* searches parked behind long ones (mg_daemon) */
    _Atomic unsigned long long not_found;   /* get of an id not in the index (not errors) */
    /* The latency histogram: buckets[i] counts replies that took at most
     * mg_daemon_latency_bounds_us[i] (the last: any time), not cumulative. */
    unsigned long long buckets[MG_DAEMON_LATENCY_BUCKETS + 1];
    unsigned long long latency_sum_us;
    const mg_conns *conns; /* client connections (set before the workers start) */
} mg_daemon_stats;

/* The histogram's upper bounds, microseconds, increasing. */
extern const unsigned long mg_daemon_latency_bounds_us[MG_DAEMON_LATENCY_BUCKETS];

enum { MG_FE_LOCAL, MG_FE_CURVE, MG_FE_COUNT }; /* the client sockets */

/* A request taken from a client socket (worker.c). */
typedef struct mg_job {
    int fe;       /* which client socket */
    bool delim;   /* REQ-style client: reply with an empty delimiter frame */
    bool started; /* a parked search, taken up again: it runs now */
    int conn_fd;  /* the descriptor of the client's connection; -1: unknown */
    uint64_t t0;  /* when it was received (CLOCK_MONOTONIC ns) */
    zmq_msg_t id; /* the client's routing id */
    zmq_msg_t body;
} mg_job;

#define MG_DAEMON_DEFAULT_SLOW_MS 20 /* a search that took this long makes its client a slow one */
#define MG_DAEMON_DEFAULT_SHARD_TIMEOUT_MS 2000 /* --shard-timeout-ms */
#define MG_DAEMON_MAX_PARKED 256 /* searches waiting for a worker; past it they run at once */
#define MG_DAEMON_PARK_MAX_MS 1000 /* a parked search waits at most about this long */
#define MG_DAEMON_SLOW_CLIENTS 64  /* slow clients remembered */

/* Everything the threads share; read-only after start-up except where said.
 *
 * The workers take turns on the client sockets (leader/followers): the one
 * holding lead_mu waits for the next request, receives it, hands the turn
 * on and answers it itself, so a request crosses no thread of ours between
 * arriving and being answered. sock_mu guards every call on a client socket
 * (ZeroMQ sockets may change threads behind a full memory barrier). */
typedef struct mg_daemon {
    const mg_daemon_opts *opts;
    void *zctx;
    mg_search_limits limits;
    mg_daemon_stats stats;
    mg_outq *outq;   /* reply bytes queued per client */
    long fd_limit;   /* RLIMIT_NOFILE (raised to the hard limit); -1: unknown or unlimited */
    long fd_reserve; /* descriptors kept for the index (every worker's database, twice) */
    /* Of fd_reserve, what one database may open, and a pool holding that
     * many per worker, lent to each reopen (NULL: none). */
    long fd_per_index;
    mg_fds_pool *fd_pool;
    mg_conns *conns; /* client connections, capped below fd_limit; NULL: no cap */
    _Atomic uint64_t fds_warned_ns; /* last warning about descriptors or the cap */
    /* The index last announced in the log (a rebuild starts a new
     * database, whose revision may be lower: the path tells them apart). */
    pthread_mutex_t seen_mu;
    unsigned long long seen_revision;
    char seen_path[4096];
    /* Bumped by a worker whose look found a new index: every other worker
     * looks again before its next request, so once one reply came from the
     * new index no later reply comes from the old one. */
    _Atomic unsigned long index_gen;
    /* Bumped on SIGHUP: each worker opens the index afresh before its next
     * request (the leader at once). */
    _Atomic unsigned long fresh_gen;

    /* Slow clients (whose last search took opts->slow_ms or more) may
     * hold at most workers-1 workers: a search of a slow client taken while
     * workers-1 searches run is parked here, and the worker that took it
     * goes back to taking requests, so one worker stays for the others
     * (pings, gets, short searches). A worker that ends a request with none
     * waiting takes a parked search up when fewer than workers-1 searches
     * run, or when it has waited MG_DAEMON_PARK_MAX_MS. Guarded by
     * park_mu. */
    pthread_mutex_t park_mu;
    uint64_t search_since[MG_DAEMON_MAX_WORKERS]; /* by worker: when its search started; 0: none */
    mg_job parked[MG_DAEMON_MAX_PARKED];          /* a ring */
    size_t park_head, nparked;
    struct {
        int fe;
        unsigned char len; /* 0: free */
        unsigned char id[16];
    } slow[MG_DAEMON_SLOW_CLIENTS]; /* routing ids of slow clients */
    size_t slow_next;

    pthread_mutex_t lead_mu; /* held by the worker waiting for a request */
    pthread_mutex_t sock_mu; /* guards every call on fe[] */
    void *fe[MG_FE_COUNT];   /* ROUTER sockets facing clients, or NULL */
    int fe_fd[MG_FE_COUNT];  /* their ZMQ_FD (edge-triggered) */
    int next_fe;             /* the socket read first next time (under lead_mu) */
    /* eventfd that wakes the leader: written by whoever may have eaten the
     * wake-up of a client socket (ZMQ_FD is edge-triggered, and any call on
     * the socket can consume it), and by the main thread on a signal. */
    int kick_fd;
    int idle_fd;           /* eventfd: the last request in flight finished while stopping */
    _Atomic int in_flight; /* requests received and not yet answered */
    _Atomic bool lingering; /* a worker is looking for requests awake (linger()) */
    _Atomic bool stopping; /* SIGTERM: receive no more requests */
    _Atomic bool quit;     /* workers exit */
} mg_daemon;

/* Log that the descriptor limit (or the connection cap below it) is
 * reached, what it stops and the remedy: at most one such line every 10
 * minutes, whichever thread sees it first (a connection past the cap, a
 * refused one, a failed reopen). */
void mg_daemon_warn_fds(mg_daemon *d, bool cap);

/* Wake the leader (see kick_fd). */
void mg_daemon_kick(mg_daemon *d);

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
    unsigned long fresh;  /* d->fresh_gen as of the last fresh open */
    mg_jw out;            /* the reply being written; its buffer is reused */
} mg_worker;

void *mg_worker_main(void *arg);

/* Monotonic clock in nanoseconds. */
uint64_t mg_daemon_now_ns(void);

/* Record one reply in the counters (any thread). */
void mg_daemon_stats_record(mg_daemon_stats *st, uint64_t latency_ns, bool error, bool delivered);

/* Write the daemon's counters as the member "daemon":{...} of a stats reply
 * (w is inside the reply object). updated_unix: the index's last commit
 * (seconds since the epoch), or -1 when unknown; queued: reply bytes
 * waiting for clients now. */
void mg_daemon_stats_write(mg_daemon_stats *st, mg_jw *w, long long updated_unix, size_t queued);

/* Write the member "metrics": the counters, the latency histogram and the
 * index (info; NULL: none open) as Prometheus text exposition format 0.0.4.
 * -1 when out of memory. */
int mg_daemon_stats_prometheus(mg_daemon_stats *st, mg_jw *w, const mg_searcher_info *info,
                               size_t queued);

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
