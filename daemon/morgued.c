/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgued: serve a morgue index over ZeroMQ (docs/protocol.md,
 * docs/operations.md). Parses options and hands over to mg_daemon_run(). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "daemon.h"
#include "log.h"
#include "num.h"
#include "transport.h"
#include "version.h"
#include "xapian_search.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: morgued --db PATH [options]\n"
            "Serve a morgue index over ZeroMQ (JSON requests, docs/protocol.md).\n"
            "\n"
            "  --db PATH             the index (a database directory, the symlink\n"
            "                        morgue-index publishes, or a topology file of\n"
            "                        shards: docs/scaling.md); default $MORGUE_DB\n"
            "  --bind ENDPOINT       tcp://HOST:PORT or ipc://PATH; repeatable. Default:\n"
            "                        ipc://$XDG_RUNTIME_DIR/morgued.sock (or\n"
            "                        ipc:///tmp/morgued-UID.sock) and " MG_TRANSPORT_DEFAULT_TCP
            "\n"
            "  --workers N           query threads (default: one per core)\n"
            "  --spin-us N           after a reply, a worker keeps looking for the next\n"
            "                        request for N microseconds before it sleeps\n"
            "                        (default %d; 0: sleep at once)\n"
            "  --pidfile FILE        written once the daemon is ready, removed at exit\n"
            "  --curve-secret FILE   encrypt tcp:// endpoints with CURVE (server secret key,\n"
            "                        from `morgue keygen`)\n"
            "  --curve-allow PATH    client public keys allowed in: a file with one Z85\n"
            "                        key per line, or a directory of *.pub files\n"
            "  --insecure            allow a non-loopback tcp:// endpoint without CURVE\n"
            "  --max-msg BYTES       largest request accepted (default %d); a larger one\n"
            "                        closes the client's connection\n"
            "  --query-budget-ms N   a search stops matching after about N ms and\n"
            "                        returns the hits found so far, marked \"partial\"\n"
            "                        (default %d; 0: no budget); over remote shards\n"
            "                        the match runs to its end, a reply later than\n"
            "                        N ms marked \"partial\" with all its hits\n"
            "  --slow-ms N           a client whose last search took N ms or more is a\n"
            "                        slow one: its searches may hold all workers but one\n"
            "                        (default %d)\n"
            "  --shard-timeout-ms N  a sharded index (--db naming a topology file): a\n"
            "                        remote shard that does not answer within N ms is\n"
            "                        left out, replies marked \"partial\" with it in\n"
            "                        \"missing_shards\", until it answers again\n"
            "                        (default %d)\n"
            "  --max-queued BYTES    reply bytes one client may leave unread (default\n"
            "                        %ld); its further replies are dropped\n"
            "  --log-queries         log every request with its time and outcome\n"
            "  --log-slow-ms N       log, at warn, every request that took N ms or more\n"
            "                        (event slow_query; 0: every request)\n"
            "  --log-format FORMAT   text (default) or json (one object per line)\n"
            "  --log-level LEVEL     debug, info (default), warn or error\n"
            "  -h, --help            this text\n"
            "  --version             the version\n"
            "\n"
            "Ranking, from the environment at start-up (docs/query-language.md):\n"
            "  MORGUE_PROXIMITY=F[,W]  bonus for query words within W positions in\n"
            "                        ORs and relaxed queries (default %g,%u; 0: off,\n"
            "                        faster relaxed queries on large archives)\n"
            "  MORGUE_STOPWORDS=0    stop words weigh like other words\n"
            "  MORGUE_BM25=K1,B      BM25 parameters (default %g,%g)\n"
            "  MORGUE_RANKING=NAME   bm25 (default), dfr, bm25plus or bm25l\n"
            "\n"
            "Signals: SIGTERM/SIGINT finish the requests in flight and exit 0;\n"
            "SIGHUP reopens the index.\n",
            MG_DAEMON_DEFAULT_SPIN_US, MG_DAEMON_DEFAULT_MAX_MSG, MG_DAEMON_DEFAULT_BUDGET_MS,
            MG_DAEMON_DEFAULT_SLOW_MS, MG_DAEMON_DEFAULT_SHARD_TIMEOUT_MS,
            MG_DAEMON_DEFAULT_MAX_QUEUED, MG_PROXIMITY, MG_PROXIMITY_WINDOW, MG_BM25_K1, MG_BM25_B);
}

/* A remote shard going away or coming back (lib/xapian_shards.cc). */
static void shard_log(int level, const char *msg)
{
    mg_dlog(level, "%s", msg);
}

enum {
    O_DB = 256,
    O_BIND,
    O_WORKERS,
    O_SPIN,
    O_PIDFILE,
    O_SECRET,
    O_ALLOW,
    O_INSECURE,
    O_MAXMSG,
    O_MAXQ,
    O_BUDGET,
    O_SLOW,
    O_LOGQ,
    O_LOGSLOW,
    O_LOGFORMAT,
    O_LOGLEVEL,
    O_SHARD_TIMEOUT,
    O_HELP,
    O_VERSION
};

static const struct option longopts[] = {
    {"db", required_argument, NULL, O_DB},
    {"bind", required_argument, NULL, O_BIND},
    {"workers", required_argument, NULL, O_WORKERS},
    {"spin-us", required_argument, NULL, O_SPIN},
    {"pidfile", required_argument, NULL, O_PIDFILE},
    {"curve-secret", required_argument, NULL, O_SECRET},
    {"curve-allow", required_argument, NULL, O_ALLOW},
    {"insecure", no_argument, NULL, O_INSECURE},
    {"max-msg", required_argument, NULL, O_MAXMSG},
    {"max-queued", required_argument, NULL, O_MAXQ},
    {"query-budget-ms", required_argument, NULL, O_BUDGET},
    {"slow-ms", required_argument, NULL, O_SLOW},
    {"log-queries", no_argument, NULL, O_LOGQ},
    {"log-slow-ms", required_argument, NULL, O_LOGSLOW},
    {"log-format", required_argument, NULL, O_LOGFORMAT},
    {"log-level", required_argument, NULL, O_LOGLEVEL},
    {"shard-timeout-ms", required_argument, NULL, O_SHARD_TIMEOUT},
    {"help", no_argument, NULL, O_HELP},
    {"version", no_argument, NULL, O_VERSION},
    {NULL, 0, NULL, 0},
};

/* What a set_*_option() returns for an option that is not of its kind. */
#define NOT_MINE (-1)

/* --NAME's number, in min..max, into *out (untouched otherwise): 0, or
 * the exit status 2 after saying what the option wants. */
static int number(const char *name, const char *arg, long min, long max, const char *unit,
                  long *out)
{
    if (mg_parse_long(arg, min, max, out) == 0)
        return 0;
    fprintf(stderr, "morgued: --%s wants %ld..%ld%s\n", name, min, max, unit);
    return 2;
}

/* The options that take a number: 0, NOT_MINE, or the exit status 2
 * after saying why. */
static int set_number_option(mg_daemon_opts *o, long *shard_timeout, int c, const char *arg)
{
    long v;
    switch (c) {
    case O_WORKERS:
        if (number("workers", arg, 1, MG_DAEMON_MAX_WORKERS, "", &v) != 0)
            return 2;
        o->workers = (int)v;
        return 0;
    case O_SPIN:
        return number("spin-us", arg, 0, MG_DAEMON_MAX_SPIN_US, "", &o->spin_us);
    case O_MAXMSG:
        return number("max-msg", arg, 256, 64L << 20, " bytes", &o->max_msg);
    case O_MAXQ:
        return number("max-queued", arg, 65536, 1L << 30, " bytes", &o->max_queued);
    case O_BUDGET:
        return number("query-budget-ms", arg, 0, MG_DAEMON_MAX_BUDGET_MS, "", &o->budget_ms);
    case O_SLOW:
        return number("slow-ms", arg, 0, MG_DAEMON_MAX_BUDGET_MS, "", &o->slow_ms);
    case O_LOGSLOW:
        return number("log-slow-ms", arg, 0, MG_DAEMON_MAX_BUDGET_MS, "", &o->log_slow_ms);
    case O_SHARD_TIMEOUT:
        return number("shard-timeout-ms", arg, 1, 600000, "", shard_timeout);
    }
    return NOT_MINE;
}

/* --bind ENDPOINT, one more of them: 0, or the exit status 2 after saying
 * why. */
static int add_bind(mg_daemon_opts *o, const char *arg)
{
    char why[512];
    if (o->nbinds == MG_DAEMON_MAX_BINDS) {
        fprintf(stderr, "morgued: at most %d --bind endpoints\n", MG_DAEMON_MAX_BINDS);
        return 2;
    }
    if (mg_transport_check_endpoint(arg, strlen(arg), MG_TRANSPORT_EP_BIND, why, sizeof why) != 0) {
        fprintf(stderr, "morgued: --bind: %s\n", why);
        return 2;
    }
    o->binds[o->nbinds++] = arg;
    return 0;
}

/* The index, the sockets, CURVE and the log: 0, NOT_MINE, or the exit
 * status 2 after saying why. */
static int set_other_option(mg_daemon_opts *o, int c, const char *arg)
{
    switch (c) {
    case O_DB:
        o->db = arg;
        return 0;
    case O_BIND:
        return add_bind(o, arg);
    case O_PIDFILE:
        o->pidfile = arg;
        return 0;
    case O_SECRET:
        o->curve_secret = arg;
        return 0;
    case O_ALLOW:
        o->curve_allow = arg;
        return 0;
    case O_INSECURE:
        o->insecure = true;
        return 0;
    case O_LOGQ:
        o->log_queries = true;
        return 0;
    case O_LOGFORMAT:
        if (strcmp(arg, "text") != 0 && strcmp(arg, "json") != 0) {
            fprintf(stderr, "morgued: --log-format wants text or json\n");
            return 2;
        }
        mg_dlog_set_json(strcmp(arg, "json") == 0);
        return 0;
    case O_LOGLEVEL:
        if (mg_dlog_parse_level(arg) < 0) {
            fprintf(stderr, "morgued: --log-level wants debug, info, warn or error\n");
            return 2;
        }
        mg_dlog_set_level(mg_dlog_parse_level(arg));
        return 0;
    }
    return NOT_MINE;
}

/* One option of getopt_long's: -1 to go on, or the exit status (0 after
 * --help or --version). */
static int take_option(mg_daemon_opts *o, long *shard_timeout, int c, const char *arg)
{
    if (c == 'h' || c == O_HELP) {
        usage(stdout);
        return 0;
    }
    if (c == O_VERSION) {
        printf("morgued %s\n", MORGUE_VERSION);
        return 0;
    }
    int rc = set_number_option(o, shard_timeout, c, arg);
    if (rc == NOT_MINE)
        rc = set_other_option(o, c, arg);
    if (rc == NOT_MINE) { /* getopt_long has said what is wrong */
        usage(stderr);
        return 2;
    }
    return rc == 0 ? -1 : rc;
}

/* What the options must hold once all are read: -1 to go on, or the exit
 * status 2 after saying what is missing. */
static int check_options(const mg_daemon_opts *o, int argc, char **argv)
{
    if (optind < argc) {
        fprintf(stderr, "morgued: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (!o->db || !*o->db) {
        fprintf(stderr, "morgued: --db PATH is required (or set MORGUE_DB)\n");
        return 2;
    }
    if (o->curve_allow && !o->curve_secret) {
        fprintf(stderr, "morgued: --curve-allow needs --curve-secret\n");
        return 2;
    }
    return -1;
}

/* The command line (and $MORGUE_DB, the ranking settings of the
 * environment) into *o and *shard_timeout: -1 to go on, or the exit
 * status when there is nothing left to do. */
static int parse_options(int argc, char **argv, mg_daemon_opts *o, long *shard_timeout)
{
    *o = (mg_daemon_opts){.db = getenv("MORGUE_DB"),
                          .max_msg = MG_DAEMON_DEFAULT_MAX_MSG,
                          .spin_us = MG_DAEMON_DEFAULT_SPIN_US,
                          .max_queued = MG_DAEMON_DEFAULT_MAX_QUEUED,
                          .budget_ms = MG_DAEMON_DEFAULT_BUDGET_MS,
                          .slow_ms = MG_DAEMON_DEFAULT_SLOW_MS,
                          .log_slow_ms = -1};
    mg_search_limits_default(&o->limits);
    mg_search_limits_from_env(&o->limits, getenv);
    *shard_timeout = MG_DAEMON_DEFAULT_SHARD_TIMEOUT_MS;
    int c, rc;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
        if ((rc = take_option(o, shard_timeout, c, optarg)) >= 0)
            return rc;
    return check_options(o, argc, argv);
}

/* What no option said: the default endpoints (ipc, its path into ipc, and
 * loopback tcp: the ones the client library tries) and a worker per
 * core. */
static void set_defaults(mg_daemon_opts *o, char *ipc, size_t ipcsz)
{
    if (o->nbinds == 0) {
        mg_transport_default_ipc(ipc, ipcsz);
        o->binds[o->nbinds++] = ipc;
        o->binds[o->nbinds++] = MG_TRANSPORT_DEFAULT_TCP;
    }
    if (o->workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o->workers = n < 1 ? 1 : n > MG_DAEMON_MAX_WORKERS ? MG_DAEMON_MAX_WORKERS : (int)n;
    }
}

/* Signals are read from a signalfd by the main thread: block them before
 * any thread (ours or libzmq's) exists, so every thread inherits the
 * mask. A client gone mid-write is an error return, not a SIGPIPE. */
static void block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* The first line of the log: the index, libzmq's version, the threads. */
static void log_start(const mg_daemon_opts *o)
{
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    mg_dlog(MG_LOG_INFO,
            "starting: index %s, libzmq %d.%d.%d, %d workers, spin %ld us, max request %ld bytes",
            o->db, major, minor, patch, o->workers, o->spin_us, o->max_msg);
}

int main(int argc, char **argv)
{
    mg_daemon_opts o;
    long shard_timeout;
    int status = parse_options(argc, argv, &o, &shard_timeout);
    if (status >= 0)
        return status;
    char ipc[PATH_MAX + 8];
    set_defaults(&o, ipc, sizeof ipc);
    block_signals();
    mg_xsearch_configure_shards((unsigned)shard_timeout, shard_log);
    log_start(&o);
    /* Serves until SIGTERM or SIGINT, then finishes the requests in flight
     * and releases everything it set up. */
    return mg_daemon_run(&o);
}
