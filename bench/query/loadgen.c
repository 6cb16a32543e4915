/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Load generator for the daemon benchmark: CLIENTS concurrent connections,
 * each sending the bench queries in a loop (one request in flight per
 * connection) for a fixed time; QPS and latency quantiles as one JSON line.
 *
 *   loadgen morgued ENDPOINT QUERYFILE CORPUS CLIENTS SECONDS [SNIPPETS]
 *       ZeroMQ REQ socket per client, protocol v1 "search", limit 10;
 *       snippets on ("snippet":{"start":"[","end":"]"}) unless SNIPPETS
 *       is 0 ("snippet":false). A reply that is not "ok":true
 *       counts as failed.
 *   loadgen ping ENDPOINT CLIENTS SECONDS
 *       the protocol's "ping" op: the daemon's round-trip floor
 *   loadgen sphinx PORT QUERYFILE CORPUS CLIENTS SECONDS
 *       SphinxQL (MySQL protocol) on 127.0.0.1:PORT, index "bench":
 *       SELECT id FROM bench WHERE MATCH('...') LIMIT 10 */
#include <jansson.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bq.h"

#define REPLY_CAP (1 << 20)
#define TIMEOUT_MS 5000

/* ---- morgued over ZeroMQ ---- */

typedef struct zmq_arg {
    void *zctx;
    const char *endpoint;
    char **req; /* prebuilt request frames */
    size_t nreq;
} zmq_arg;

typedef struct zmq_client {
    zmq_arg *a;
    void *sock;
    char *buf;
    unsigned long long bad;
} zmq_client;

static void *zsock_new(zmq_arg *a)
{
    void *s = zmq_socket(a->zctx, ZMQ_REQ);
    int linger = 0, tmo = TIMEOUT_MS;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &tmo, sizeof tmo);
    if (zmq_connect(s, a->endpoint) != 0) {
        fprintf(stderr, "loadgen: connect %s: %s\n", a->endpoint, zmq_strerror(zmq_errno()));
        zmq_close(s);
        return NULL;
    }
    return s;
}

static void *zmq_open_client(int tid, void *varg)
{
    (void)tid;
    zmq_client *c = calloc(1, sizeof *c);
    c->a = varg;
    c->buf = malloc(REPLY_CAP + 1);
    c->sock = zsock_new(c->a);
    if (!c->sock) {
        free(c->buf);
        free(c);
        return NULL;
    }
    return c;
}

static int zmq_one(void *ctx, size_t qi)
{
    zmq_client *c = ctx;
    const char *req = c->a->req[qi % c->a->nreq];
    if (zmq_send(c->sock, req, strlen(req), 0) < 0)
        goto fail;
    int n = zmq_recv(c->sock, c->buf, REPLY_CAP, 0);
    if (n < 0)
        goto fail;
    c->buf[n < REPLY_CAP ? n : REPLY_CAP] = '\0';
    if (!strstr(c->buf, "\"ok\":true")) {
        if (c->bad++ < 3)
            fprintf(stderr, "loadgen: error reply: %.300s\n", c->buf);
        return 1;
    }
    return 0;
fail:
    /* A REQ socket stuck after a timeout is replaced (Lazy Pirate). */
    if (c->bad++ < 3)
        fprintf(stderr, "loadgen: %s\n", zmq_strerror(zmq_errno()));
    zmq_close(c->sock);
    c->sock = zsock_new(c->a);
    return 1;
}

static void zmq_close_client(void *ctx)
{
    zmq_client *c = ctx;
    if (c->sock)
        zmq_close(c->sock);
    free(c->buf);
    free(c);
}

static char *search_request(const char *query, int snippets)
{
    /* The same markers as mg_bench's in-process runs. */
    json_t *sn = snippets ? json_pack("{s:s, s:s}", "start", "[", "end", "]") : json_false();
    /* The words ANDed, as Sphinx and the other peers run them; BQ_RELAX=1:
     * the engine's default relaxation. */
    const char *rx = getenv("BQ_RELAX");
    json_t *o = json_pack("{s:i, s:s, s:s, s:i, s:b, s:o}", "v", 1, "op", "search", "query",
                          query, "limit", 10, "relax", rx && strcmp(rx, "1") == 0, "snippet", sn);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static int run_zmq(const char *system, const char *endpoint, char **req, size_t nreq,
                   const char *corpus, int clients, double seconds)
{
    zmq_arg a = {zmq_ctx_new(), endpoint, req, nreq};
    mg_bq_load_ops ops = {zmq_open_client, zmq_one, zmq_close_client, &a};
    mg_bq_load_result r;
    int rc = mg_bq_load_run(&ops, clients, nreq, 1.0, seconds, &r);
    mg_bq_load_print(stdout, system, corpus, clients, &r);
    zmq_ctx_term(a.zctx);
    return rc ? 1 : 0;
}

/* ---- Sphinx searchd over SphinxQL ---- */

typedef struct sphinx_arg {
    unsigned port;
    char **sql;
    size_t n;
} sphinx_arg;

static void *sphinx_open(int tid, void *varg)
{
    (void)tid;
    sphinx_arg *a = varg;
    MYSQL *m = mysql_init(NULL);
    if (!mysql_real_connect(m, "127.0.0.1", "", "", NULL, a->port, NULL, 0)) {
        fprintf(stderr, "loadgen: sphinx connect: %s\n", mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    return m;
}

typedef struct sphinx_client {
    MYSQL *m;
    sphinx_arg *a;
    unsigned long long bad;
} sphinx_client;

static void *sphinx_open_client(int tid, void *varg)
{
    MYSQL *m = sphinx_open(tid, varg);
    if (!m)
        return NULL;
    sphinx_client *c = calloc(1, sizeof *c);
    c->m = m;
    c->a = varg;
    return c;
}

static int sphinx_query(void *ctx, size_t qi)
{
    sphinx_client *c = ctx;
    const char *sql = c->a->sql[qi % c->a->n];
    if (mysql_query(c->m, sql)) {
        if (c->bad++ < 3)
            fprintf(stderr, "loadgen: sphinx: %s: %s\n", sql, mysql_error(c->m));
        return 1;
    }
    MYSQL_RES *res = mysql_store_result(c->m);
    if (!res)
        return 1;
    size_t ids = 0;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)))
        ids += row[0] != NULL;
    mysql_free_result(res);
    return 0;
}

static void sphinx_close_client(void *ctx)
{
    sphinx_client *c = ctx;
    mysql_close(c->m);
    free(c);
}

/* The bench query as SphinxQL: ' and \ escaped for the SQL string literal. */
static char *sphinx_sql(const char *q)
{
    size_t n = strlen(q);
    char *s = malloc(n * 2 + 96), *o = s;
    o += sprintf(o, "SELECT id FROM bench WHERE MATCH('");
    for (const char *p = q; *p; p++) {
        if (*p == '\'' || *p == '\\')
            *o++ = '\\';
        *o++ = *p;
    }
    strcpy(o, "') LIMIT 10");
    return s;
}

static int run_sphinx(unsigned port, const mg_bq_lines *q, const char *corpus, int clients,
                      double seconds)
{
    mysql_library_init(0, NULL, NULL);
    sphinx_arg a = {port, calloc(q->n, sizeof(char *)), q->n};
    for (size_t i = 0; i < q->n; i++)
        a.sql[i] = sphinx_sql(q->text[i]);
    mg_bq_load_ops ops = {sphinx_open_client, sphinx_query, sphinx_close_client, &a};
    mg_bq_load_result r;
    int rc = mg_bq_load_run(&ops, clients, q->n, 1.0, seconds, &r);
    mg_bq_load_print(stdout, "sphinx-searchd", corpus, clients, &r);
    for (size_t i = 0; i < q->n; i++)
        free(a.sql[i]);
    free(a.sql);
    mysql_library_end();
    return rc ? 1 : 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: loadgen morgued ENDPOINT QUERYFILE CORPUS CLIENTS SECONDS [SNIPPETS]\n"
                    "       loadgen ping ENDPOINT CLIENTS SECONDS\n"
                    "       loadgen sphinx PORT QUERYFILE CORPUS CLIENTS SECONDS\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (!strcmp(argv[1], "ping") && argc == 5) {
        char *req = strdup("{\"v\":1,\"op\":\"ping\"}");
        int rc = run_zmq("morgued-ping", argv[2], &req, 1, "-", atoi(argv[3]), atof(argv[4]));
        free(req);
        return rc;
    }
    if ((!strcmp(argv[1], "morgued") && (argc == 7 || argc == 8)) ||
        (!strcmp(argv[1], "sphinx") && argc == 7)) {
        mg_bq_lines q;
        if (mg_bq_lines_read(argv[3], 0, &q))
            return 1;
        int rc;
        if (argv[1][0] == 's') {
            rc = run_sphinx((unsigned)atoi(argv[2]), &q, argv[4], atoi(argv[5]), atof(argv[6]));
        } else {
            int snippets = argc == 8 ? atoi(argv[7]) : 1;
            char **req = calloc(q.n, sizeof *req);
            for (size_t i = 0; i < q.n; i++)
                req[i] = search_request(q.text[i], snippets);
            rc = run_zmq(snippets ? "morgued+snippets" : "morgued", argv[2], req, q.n, argv[4],
                         atoi(argv[5]), atof(argv[6]));
            for (size_t i = 0; i < q.n; i++)
                free(req[i]);
            free(req);
        }
        mg_bq_lines_release(&q);
        return rc;
    }
    return usage();
}
