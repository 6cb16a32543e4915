/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The morgue engine in-process (lib/search.h), for the query benchmarks.
 *
 *   mg_bench rel DB QUERIES.tsv [NAME]     TREC run (top 1000). Queries are
 *       lower-cased, punctuation kept, default AND with the engine's OR
 *       relaxation. A query the engine refuses is retried once with the
 *       query-syntax characters "()*:- turned into spaces (what a person does
 *       after the error); counts go to stderr. The term cap is raised to 1024
 *       (CISI has queries of 300+ words).
 *   mg_bench lat DB QUERYFILE CORPUS SNIPPETS [PASSES]
 *       top-10 latency, snippets 0 or 1; defaults otherwise (collapse on)
 *   mg_bench proto DB QUERYFILE CORPUS [PASSES]
 *       the same queries as JSON requests through mg_proto_handle (the
 *       daemon's work without sockets: request parsed, engine, reply
 *       written), snippets on
 *   mg_bench load DB QUERYFILE CORPUS SNIPPETS THREADS SECONDS
 *       fixed-duration throughput, one searcher per thread
 * BM25 parameters: MORGUE_BM25="k1,b" from the environment (and the other
 * variables of mg_search_limits_from_env, as morgued takes them).
 * For analysis, in `rel`: BQ_NO_COLLAPSE=1 turns collapsing off; in `lat`:
 * lat, proto and load run the words ANDed, as every peer does (the same
 * query, the same hits); BQ_RELAX=1 runs the engine's default instead (AND
 * hits, then the OR's other matches) and names the rows
 * "...-relaxed", to show what that costs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bq.h"
#include "protocol.h"
#include "search.h"

static mg_searcher *open_db(const char *path, size_t max_terms)
{
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    if (max_terms)
        lim.max_terms = max_terms;
    if (lim.max_query_bytes < 65536 && max_terms)
        lim.max_query_bytes = 65536;
    mg_search_limits_from_env(&lim, getenv);
    mg_err err;
    mg_searcher *s = mg_searcher_open(path, &lim, &err);
    if (!s)
        fprintf(stderr, "mg_bench: %s: %s\n", path, err.msg);
    return s;
}

static void strip_syntax(char *q)
{
    for (; *q; q++)
        if (strchr("\"()*:-", *q))
            *q = ' ';
}

static void print_hits(const char *qid, const mg_hit *h, size_t n, unsigned first_rank,
                       const char *name)
{
    for (size_t i = 0; i < n; i++)
        printf("%s Q0 %s %zu %.6f %s\n", qid, h[i].id, first_rank + i, h[i].score, name);
}

static int cmd_rel(const char *db, const char *tsv, const char *name)
{
    mg_searcher *s = open_db(db, 1024);
    if (!s)
        return 1;
    mg_bq_lines q;
    if (mg_bq_lines_read(tsv, 1, &q))
        return 1;
    unsigned relaxed = 0, refused = 0, failed = 0, empty = 0;
    /* For analysis only: BQ_NO_COLLAPSE=1 keeps duplicates apart. */
    bool no_collapse = getenv("BQ_NO_COLLAPSE") && *getenv("BQ_NO_COLLAPSE") == '1';
    for (size_t i = 0; i < q.n; i++) {
        mg_bq_lower(q.text[i]);
        mg_search_request req = {.query = q.text[i], .limit = 1000, .no_collapse = no_collapse};
        mg_search_result *res = NULL;
        mg_err err;
        if (mg_search_run(s, &req, &res, &err) < 0) {
            refused++;
            fprintf(stderr, "mg_bench: query %s refused (%s): %s\n", q.qid[i],
                    mg_code_name(err.code), err.msg);
            strip_syntax(q.text[i]);
            if (mg_search_run(s, &req, &res, &err) < 0) {
                failed++;
                fprintf(stderr, "mg_bench: query %s failed again: %s\n", q.qid[i], err.msg);
                continue;
            }
        }
        relaxed += res->relaxed;
        empty += res->nhits == 0;
        print_hits(q.qid[i], res->hits, res->nhits, 1, name);
        mg_search_result_free(res);
    }
    fprintf(
        stderr,
        "mg_bench: %s: %zu queries, %u relaxed (AND hits, then OR hits), %u refused, %u failed, "
        "%u empty\n",
        tsv, q.n, relaxed, refused, failed, empty);
    mg_bq_lines_release(&q);
    mg_searcher_free(s);
    return 0;
}

typedef struct run_ctx {
    mg_searcher *s;
    const mg_bq_lines *q;
    int snippets;
    unsigned long long fails;
    bool no_relax;
} run_ctx;

static int run_one(void *vctx, size_t qi, size_t *nhits)
{
    run_ctx *c = vctx;
    mg_search_request req = {.query = c->q->text[qi],
                             .limit = 10,
                             .snippets = c->snippets != 0,
                             .no_relax = c->no_relax,
                             .hl_start = "[",
                             .hl_end = "]"};
    mg_search_result *res = NULL;
    mg_err err;
    if (mg_search_run(c->s, &req, &res, &err) < 0) {
        if (c->fails++ < 5)
            fprintf(stderr, "mg_bench: %s: %s\n", c->q->text[qi], err.msg);
        return 1;
    }
    *nhits = res->nhits;
    mg_search_result_free(res);
    return 0;
}

static bool relaxing(void)
{
    const char *v = getenv("BQ_RELAX");
    return v && strcmp(v, "1") == 0;
}

/* name, or name-relaxed under BQ_RELAX=1 (static storage) */
static const char *row_name(const char *name)
{
    static char buf[64];
    snprintf(buf, sizeof buf, "%s%s", name, relaxing() ? "-relaxed" : "");
    return buf;
}

static int cmd_lat(const char *db, const char *qfile, const char *corpus, int snippets, int passes)
{
    mg_bq_lines q;
    if (mg_bq_lines_read(qfile, 0, &q))
        return 1;
    run_ctx c = {open_db(db, 0), &q, snippets, 0, !relaxing()};
    if (!c.s)
        return 1;
    mg_bq_pass_result r;
    mg_bq_passes(run_one, &c, q.n, passes, &r);
    mg_bq_pass_print(stdout, row_name(snippets ? "morgue+snippets" : "morgue"), corpus, &r);
    mg_searcher_free(c.s);
    mg_bq_lines_release(&q);
    return 0;
}

typedef struct proto_ctx {
    mg_searcher *s;
    char **req; /* JSON requests, as loadgen sends them */
    size_t bytes;
    mg_jw out; /* the reply, its buffer reused as in a daemon worker */
} proto_ctx;

static int proto_one(void *vctx, size_t qi, size_t *nhits)
{
    proto_ctx *c = vctx;
    int rc = mg_proto_handle(c->s, c->req[qi], strlen(c->req[qi]), NULL, &c->out, NULL);
    /* hits: count the "rank" members rather than parse the reply */
    *nhits = 0;
    for (const char *p = c->out.buf; rc > 0 && (p = strstr(p, "{\"rank\":")); p++)
        ++*nhits;
    c->bytes += c->out.len;
    return rc > 0 ? 0 : 1;
}

/* The daemon's work without the sockets: a JSON request in, the engine, the
 * JSON reply out (mg_proto_handle), snippets on. */
static int cmd_proto(const char *db, const char *qfile, const char *corpus, int passes)
{
    mg_bq_lines q;
    if (mg_bq_lines_read(qfile, 0, &q))
        return 1;
    proto_ctx c = {open_db(db, 0), calloc(q.n, sizeof(char *)), 0, {0}};
    if (!c.s)
        return 1;
    mg_jw_init(&c.out, 0);
    for (size_t i = 0; i < q.n; i++) {
        json_t *o = json_pack("{s:i, s:s, s:s, s:i, s:b, s:{s:s, s:s}}", "v", 1, "op", "search",
                              "query", q.text[i], "limit", 10, "relax", relaxing(), "snippet",
                              "start", "[", "end", "]");
        c.req[i] = json_dumps(o, JSON_COMPACT);
        json_decref(o);
    }
    mg_bq_pass_result r;
    mg_bq_passes(proto_one, &c, q.n, passes, &r);
    mg_bq_pass_print(stdout, row_name("morgue-protocol+snippets"), corpus, &r);
    fprintf(stderr, "mg_bench: mean reply %zu bytes\n", c.bytes / (q.n * (size_t)(passes + 1)));
    for (size_t i = 0; i < q.n; i++)
        free(c.req[i]);
    free(c.req);
    mg_jw_release(&c.out);
    mg_searcher_free(c.s);
    mg_bq_lines_release(&q);
    return 0;
}

typedef struct load_arg {
    const char *db;
    const mg_bq_lines *q;
    int snippets;
} load_arg;

static void *load_open(int tid, void *varg)
{
    (void)tid;
    load_arg *a = varg;
    run_ctx *c = calloc(1, sizeof *c);
    c->s = open_db(a->db, 0);
    c->q = a->q;
    c->snippets = a->snippets;
    c->no_relax = !relaxing();
    if (!c->s) {
        free(c);
        return NULL;
    }
    return c;
}

static int load_one(void *ctx, size_t qi)
{
    size_t n;
    return run_one(ctx, qi, &n);
}

static void load_close(void *ctx)
{
    run_ctx *c = ctx;
    mg_searcher_free(c->s);
    free(c);
}

static int cmd_load(const char *db, const char *qfile, const char *corpus, int snippets,
                    int threads, double seconds)
{
    mg_bq_lines q;
    if (mg_bq_lines_read(qfile, 0, &q))
        return 1;
    load_arg a = {db, &q, snippets};
    mg_bq_load_ops ops = {load_open, load_one, load_close, &a};
    mg_bq_load_result r;
    int rc = mg_bq_load_run(&ops, threads, q.n, 1.0, seconds, &r);
    mg_bq_load_print(stdout, row_name(snippets ? "in-process+snippets" : "in-process"), corpus,
                     threads, &r);
    mg_bq_lines_release(&q);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "rel"))
        return cmd_rel(argv[2], argv[3], argc == 5 ? argv[4] : "morgue");
    if ((argc == 6 || argc == 7) && !strcmp(argv[1], "lat"))
        return cmd_lat(argv[2], argv[3], argv[4], atoi(argv[5]), argc == 7 ? atoi(argv[6]) : 3);
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "proto"))
        return cmd_proto(argv[2], argv[3], argv[4], argc == 6 ? atoi(argv[5]) : 3);
    if (argc == 8 && !strcmp(argv[1], "load"))
        return cmd_load(argv[2], argv[3], argv[4], atoi(argv[5]), atoi(argv[6]), atof(argv[7]));
    fprintf(stderr, "usage: mg_bench rel DB QUERIES.tsv [NAME] |\n"
                    "       mg_bench lat DB QUERYFILE CORPUS SNIPPETS [PASSES] |\n"
                    "       mg_bench proto DB QUERYFILE CORPUS [PASSES] |\n"
                    "       mg_bench load DB QUERYFILE CORPUS SNIPPETS THREADS SECONDS\n");
    return 2;
}
