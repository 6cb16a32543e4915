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

#include "morgue_client.h"
#include "daemon.h"
#include "log.h"
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
            "                        ipc:///tmp/morgued-UID.sock) and " MG_DAEMON_DEFAULT_TCP "\n"
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
            MG_DAEMON_DEFAULT_MAX_QUEUED,
            MG_PROXIMITY, MG_PROXIMITY_WINDOW,
            MG_BM25_K1, MG_BM25_B);
}

/* A remote shard going away or coming back (lib/xapian_shards.cc). */
static void shard_log(int level, const char *msg)
{
    mg_dlog(level, "%s", msg);
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
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
    mg_daemon_opts o = {.db = getenv("MORGUE_DB"),
                        .max_msg = MG_DAEMON_DEFAULT_MAX_MSG,
                        .spin_us = MG_DAEMON_DEFAULT_SPIN_US,
                        .max_queued = MG_DAEMON_DEFAULT_MAX_QUEUED,
                        .budget_ms = MG_DAEMON_DEFAULT_BUDGET_MS,
                        .slow_ms = MG_DAEMON_DEFAULT_SLOW_MS,
                        .log_slow_ms = -1};
    mg_search_limits_default(&o.limits);
    mg_search_limits_from_env(&o.limits, getenv);
    long v, shard_timeout = MG_DAEMON_DEFAULT_SHARD_TIMEOUT_MS;
    int c;
    mg_client_err cerr;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_DB:
            o.db = optarg;
            break;
        case O_BIND:
            if (o.nbinds == MG_DAEMON_MAX_BINDS) {
                fprintf(stderr, "morgued: at most %d --bind endpoints\n", MG_DAEMON_MAX_BINDS);
                return 2;
            }
            if (mg_client_check_endpoint(optarg, strlen(optarg), MG_CLIENT_EP_BIND, &cerr) != 0) {
                fprintf(stderr, "morgued: --bind: %s\n", cerr.msg);
                return 2;
            }
            o.binds[o.nbinds++] = optarg;
            break;
        case O_WORKERS:
            if (parse_long(optarg, 1, MG_DAEMON_MAX_WORKERS, &v) != 0) {
                fprintf(stderr, "morgued: --workers wants 1..%d\n", MG_DAEMON_MAX_WORKERS);
                return 2;
            }
            o.workers = (int)v;
            break;
        case O_SPIN:
            if (parse_long(optarg, 0, MG_DAEMON_MAX_SPIN_US, &v) != 0) {
                fprintf(stderr, "morgued: --spin-us wants 0..%d\n", MG_DAEMON_MAX_SPIN_US);
                return 2;
            }
            o.spin_us = v;
            break;
        case O_PIDFILE:
            o.pidfile = optarg;
            break;
        case O_SECRET:
            o.curve_secret = optarg;
            break;
        case O_ALLOW:
            o.curve_allow = optarg;
            break;
        case O_INSECURE:
            o.insecure = true;
            break;
        case O_MAXMSG:
            if (parse_long(optarg, 256, 64L << 20, &v) != 0) {
                fprintf(stderr, "morgued: --max-msg wants 256..%ld bytes\n", 64L << 20);
                return 2;
            }
            o.max_msg = v;
            break;
        case O_MAXQ:
            if (parse_long(optarg, 65536, 1L << 30, &v) != 0) {
                fprintf(stderr, "morgued: --max-queued wants 65536..%ld bytes\n", 1L << 30);
                return 2;
            }
            o.max_queued = v;
            break;
        case O_BUDGET:
            if (parse_long(optarg, 0, MG_DAEMON_MAX_BUDGET_MS, &v) != 0) {
                fprintf(stderr, "morgued: --query-budget-ms wants 0..%d\n",
                        MG_DAEMON_MAX_BUDGET_MS);
                return 2;
            }
            o.budget_ms = v;
            break;
        case O_SLOW:
            if (parse_long(optarg, 0, MG_DAEMON_MAX_BUDGET_MS, &v) != 0) {
                fprintf(stderr, "morgued: --slow-ms wants 0..%d\n", MG_DAEMON_MAX_BUDGET_MS);
                return 2;
            }
            o.slow_ms = v;
            break;
        case O_LOGQ:
            o.log_queries = true;
            break;
        case O_LOGSLOW:
            if (parse_long(optarg, 0, MG_DAEMON_MAX_BUDGET_MS, &v) != 0) {
                fprintf(stderr, "morgued: --log-slow-ms wants 0..%d\n", MG_DAEMON_MAX_BUDGET_MS);
                return 2;
            }
            o.log_slow_ms = v;
            break;
        case O_LOGFORMAT:
            if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0) {
                fprintf(stderr, "morgued: --log-format wants text or json\n");
                return 2;
            }
            mg_dlog_set_json(strcmp(optarg, "json") == 0);
            break;
        case O_LOGLEVEL:
            if (mg_dlog_parse_level(optarg) < 0) {
                fprintf(stderr, "morgued: --log-level wants debug, info, warn or error\n");
                return 2;
            }
            mg_dlog_set_level(mg_dlog_parse_level(optarg));
            break;
        case O_SHARD_TIMEOUT:
            if (parse_long(optarg, 1, 600000, &v) != 0) {
                fprintf(stderr, "morgued: --shard-timeout-ms wants 1..600000\n");
                return 2;
            }
            shard_timeout = v;
            break;
        case 'h':
        case O_HELP:
            usage(stdout);
            return 0;
        case O_VERSION:
            printf("morgued %s\n", MORGUE_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "morgued: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (!o.db || !*o.db) {
        fprintf(stderr, "morgued: --db PATH is required (or set MORGUE_DB)\n");
        return 2;
    }
    if (o.curve_allow && !o.curve_secret) {
        fprintf(stderr, "morgued: --curve-allow needs --curve-secret\n");
        return 2;
    }
    char ipc[PATH_MAX + 8];
    if (o.nbinds == 0) {
        /* the same path the client library tries by default */
        mg_client_default_ipc(ipc, sizeof ipc);
        o.binds[o.nbinds++] = ipc;
        o.binds[o.nbinds++] = MG_DAEMON_DEFAULT_TCP;
    }
    if (o.workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o.workers = n < 1 ? 1 : n > MG_DAEMON_MAX_WORKERS ? MG_DAEMON_MAX_WORKERS : (int)n;
    }

    /* Signals are read from a signalfd by the main thread: block them before any
     * thread (ours or libzmq's) exists, so every thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    mg_xsearch_configure_shards((unsigned)shard_timeout, shard_log);
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    mg_dlog(MG_LOG_INFO,
            "starting: index %s, libzmq %d.%d.%d, %d workers, spin %ld us, max request %ld bytes",
            o.db, major, minor, patch, o.workers, o.spin_us, o.max_msg);
    return mg_daemon_run(&o);
}
