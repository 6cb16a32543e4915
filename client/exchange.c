/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How morgue talks to morgued (or, with --db, to an index in process): one
 * request, one reply, and what went wrong said on stderr with the exit
 * status that goes with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "protocol.h"

/* Whether a tcp:// endpoint of this machine (127.0.0.1 or localhost)
 * refuses a connection: no daemon listens there. */
static bool loopback_refused(const char *ep, size_t len)
{
    const char *const hosts[] = {"tcp://127.0.0.1:", "tcp://localhost:"};
    char port[8];
    for (size_t i = 0; i < 2; i++) {
        size_t h = strlen(hosts[i]);
        long p;
        if (len <= h || len - h >= sizeof port || strncmp(ep, hosts[i], h) != 0)
            continue;
        memcpy(port, ep + h, len - h);
        port[len - h] = '\0';
        if (mg_parse_long(port, 1, 65535, &p) != 0)
            return false;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return false;
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool refused = connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno == ECONNREFUSED;
        close(fd);
        return refused;
    }
    return false;
}

/* Whether no daemon can be at any of the endpoints (space-separated): each
 * is an ipc:// socket file that does not exist or, once every ipc one is
 * known missing, a loopback port that refuses. For the default endpoints,
 * morgue then says so at once rather than after its timeouts. Remote
 * endpoints are never judged. */
static bool no_daemon(const char *eps)
{
    bool any = false;
    for (int pass = 0; pass < 2; pass++) {
        for (const char *p = eps; *p;) {
            size_t n = strcspn(p, " ");
            bool ipc = n >= 6 && strncmp(p, "ipc://", 6) == 0;
            if (n && pass == 0 && ipc && !mg_client_ipc_missing(p, n))
                return false;
            if (n && pass == 1 && !ipc && !loopback_refused(p, n))
                return false;
            any = any || n;
            p += n + (p[n] == ' ');
        }
    }
    return any;
}

/* --db: the request answered by the index opened in process, ranked as
 * morgued ranks (the same environment). 0, or an exit status after
 * printing the problem. */
static int exchange_in_process(const char *db, const char *req, size_t len, char **reply,
                               size_t *rlen)
{
    mg_err err;
    mg_err_clear(&err);
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    mg_search_limits_from_env(&lim, getenv);
    mg_searcher *s = mg_searcher_open(db, &lim, &err);
    if (!s) {
        fprintf(stderr, "morgue: cannot open the index %s: %s\n", db, err.msg);
        return EXIT_USAGE;
    }
    mg_jw out;
    mg_jw_init(&out, 0);
    int rc = mg_proto_handle(s, req, len, NULL, &out, NULL);
    *reply = rc >= 0 ? mg_jw_take(&out, rlen) : NULL;
    mg_jw_release(&out);
    mg_searcher_free(s);
    if (!*reply) {
        fprintf(stderr, "morgue: out of memory\n");
        return EXIT_USAGE;
    }
    return 0;
}

/* A client of the --endpoint daemons (or the default ones), with the CURVE
 * keys of --curve-server-key and --curve-key, into *out. 0, or an exit
 * status after printing the problem. */
static int open_client(const cli_opts *o, mg_client **out)
{
    mg_client_opts co = o->copts;
    char server[41], secret[41];
    mg_client_err err;
    if (o->server_key || o->client_key) {
        if (!o->server_key || !o->client_key) {
            fprintf(stderr, "morgue: CURVE needs both --curve-server-key and --curve-key\n");
            return EXIT_USAGE;
        }
        if (mg_client_read_key(o->server_key, server, &err) != 0 ||
            mg_client_read_key(o->client_key, secret, &err) != 0 ||
            mg_client_check_secret_key(o->client_key, secret, &err) != 0) {
            fprintf(stderr, "morgue: %s\n", err.msg);
            return EXIT_USAGE;
        }
        co.server_key = server;
        co.secret_key = secret;
    }
    *out = mg_client_new(o->endpoints, o->nendpoints, &co, &err);
    memset(secret, 0, sizeof secret);
    if (!*out) {
        fprintf(stderr, "morgue: %s\n", err.msg);
        return EXIT_USAGE;
    }
    return 0;
}

int cli_exchange(const cli_opts *o, const char *req, size_t len, char **reply, size_t *rlen)
{
    if (o->db)
        return exchange_in_process(o->db, req, len, reply, rlen);
    mg_client *c;
    int status = open_client(o, &c);
    if (status != 0)
        return status;
    const char *env = getenv("MORGUE_ENDPOINT");
    if (o->nendpoints == 0 && !(env && *env) && no_daemon(mg_client_endpoints(c))) {
        fprintf(stderr,
                "morgue: no daemon at %s (no socket file, or nothing listens): start "
                "morgued, or search an index with --db DIR\n",
                mg_client_endpoints(c));
        mg_client_free(c);
        return EXIT_UNREACHABLE;
    }
    mg_client_err err;
    int rc = mg_client_request(c, req, len, reply, rlen, &err);
    mg_client_free(c);
    if (rc != 0) {
        fprintf(stderr, "morgue: %s\n", err.msg);
        bool unreachable = err.code == MG_CLIENT_ETIMEOUT || err.code == MG_CLIENT_EZMQ ||
                           err.code == MG_CLIENT_ENOSOCK;
        return unreachable ? EXIT_UNREACHABLE : EXIT_USAGE;
    }
    return 0;
}

int cli_roundtrip(const cli_opts *o, char *req, size_t len, char **reply, size_t *rlen)
{
    if (!req) {
        fprintf(stderr, "morgue: out of memory\n");
        return EXIT_USAGE;
    }
    int status = cli_exchange(o, req, len, reply, rlen);
    free(req);
    return status;
}

char *cli_json_request(json_t *r, size_t *len)
{
    char *req = r ? json_dumps(r, JSON_COMPACT) : NULL;
    *len = req ? strlen(req) : 0;
    json_decref(r);
    return req;
}

int cli_server_error(const mg_client_err *err)
{
    if (err->code == MG_CLIENT_ESERVER) {
        fprintf(stderr, "morgue: %s: %s\n", err->server_code, err->msg);
        return strcmp(err->server_code, "not_found") == 0 ? EXIT_NONE : EXIT_USAGE;
    }
    fprintf(stderr, "morgue: %s\n", err->msg);
    return EXIT_USAGE;
}
