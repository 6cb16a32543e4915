/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Peer harness: SQLite FTS5 with bm25() and the porter tokenizer, in-process,
 * for the relevance and latency benchmarks.
 *
 *   fts5_bench index DB JSONL              table docs(id UNINDEXED, title, body)
 *   fts5_bench rel DB QUERIES.tsv [NAME]   TREC run (top 1000): OR of the
 *                                          query's tokens, each quoted
 *   fts5_bench lat DB QUERYFILE CORPUS [PASSES]
 *                                          top-10 ids by bm25(); words are
 *                                          ANDed, "phrases" kept */
#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bq.h"

static int die_sql(sqlite3 *db, const char *what)
{
    fprintf(stderr, "fts5_bench: %s: %s\n", what, sqlite3_errmsg(db));
    return 1;
}

static int add_doc(const mg_bq_doc *d, void *ctx)
{
    sqlite3_stmt *st = ctx;
    sqlite3_bind_text(st, 1, d->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, d->title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, d->body, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : 1;
}

static int cmd_index(const char *path, const char *jsonl)
{
    remove(path);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return die_sql(db, path);
    if (sqlite3_exec(db,
                     "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                     "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body,"
                     " tokenize='porter unicode61'); BEGIN;",
                     NULL, NULL, NULL) != SQLITE_OK)
        return die_sql(db, "create");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO docs(id, title, body) VALUES (?, ?, ?)", -1, &st,
                           NULL) != SQLITE_OK)
        return die_sql(db, "prepare");
    long n = mg_bq_jsonl_each(jsonl, add_doc, st);
    sqlite3_finalize(st);
    if (n < 0)
        return die_sql(db, "insert");
    if (sqlite3_exec(db, "COMMIT; INSERT INTO docs(docs) VALUES('optimize');", NULL, NULL,
                     NULL) != SQLITE_OK)
        return die_sql(db, "commit");
    sqlite3_close(db);
    fprintf(stderr, "fts5: indexed %ld documents into %s\n", n, path);
    return 0;
}

/* Append "tok" (quoted, with " doubled) to out; sep between tokens. Tokens are
 * the runs of letters and digits (what the unicode61 tokenizer keeps for
 * ASCII). Returns the number of tokens. */
static size_t quote_tokens(const char *in, const char *sep, char *out, size_t cap)
{
    size_t n = 0, o = 0;
    out[0] = '\0';
    for (const char *p = in; *p;) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        const char *s = p;
        while (isalnum((unsigned char)*p))
            p++;
        if (p == s)
            continue;
        int w = snprintf(out + o, cap - o, "%s\"%.*s\"", n ? sep : "", (int)(p - s), s);
        if (w < 0 || (size_t)w >= cap - o)
            break;
        o += (size_t)w;
        n++;
    }
    return n;
}

static const char *RANKED =
    "SELECT id, bm25(docs) FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?";

static int cmd_rel(const char *path, const char *tsv, const char *name)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return die_sql(db, path);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, RANKED, -1, &st, NULL) != SQLITE_OK)
        return die_sql(db, "prepare");
    mg_bq_lines q;
    if (mg_bq_lines_read(tsv, 1, &q))
        return 1;
    static char expr[65536];
    for (size_t i = 0; i < q.n; i++) {
        mg_bq_lower(q.text[i]);
        if (!quote_tokens(q.text[i], " OR ", expr, sizeof expr))
            continue;
        sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, 1000);
        unsigned rank = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            printf("%s Q0 %s %u %.6f %s\n", q.qid[i], sqlite3_column_text(st, 0), ++rank,
                   -sqlite3_column_double(st, 1), name);
        if (rc != SQLITE_DONE)
            die_sql(db, q.qid[i]);
        sqlite3_reset(st);
    }
    mg_bq_lines_release(&q);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}

/* The bench query language (words and "phrases") in FTS5 syntax: each word
 * quoted, each phrase kept as one quoted string; implicit AND between them. */
static void to_fts5(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (const char *p = in; *p && o + 4 < cap;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        const char *s, *e;
        if (*p == '"') {
            s = ++p;
            while (*p && *p != '"')
                p++;
            e = p;
            if (*p)
                p++;
        } else {
            s = p;
            while (*p && *p != ' ')
                p++;
            e = p;
        }
        int w = snprintf(out + o, cap - o, "%s\"%.*s\"", o ? " " : "", (int)(e - s), s);
        if (w < 0 || (size_t)w >= cap - o)
            break;
        o += (size_t)w;
    }
}

typedef struct lat_ctx {
    sqlite3_stmt *st;
    char **expr;
} lat_ctx;

static int lat_one(void *vctx, size_t qi, size_t *nhits)
{
    lat_ctx *c = vctx;
    sqlite3_bind_text(c->st, 1, c->expr[qi], -1, SQLITE_STATIC);
    sqlite3_bind_int(c->st, 2, 10);
    size_t n = 0, idbytes = 0;
    int rc;
    while ((rc = sqlite3_step(c->st)) == SQLITE_ROW) {
        idbytes += (size_t)sqlite3_column_bytes(c->st, 0);
        n++;
    }
    sqlite3_reset(c->st);
    *nhits = n;
    return rc == SQLITE_DONE && (n == 0 || idbytes) ? 0 : 1;
}

static int cmd_lat(const char *path, const char *qfile, const char *corpus, int passes)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return die_sql(db, path);
    sqlite3_exec(db, "PRAGMA cache_size=-262144;", NULL, NULL, NULL); /* 256 MiB: warm */
    lat_ctx c;
    if (sqlite3_prepare_v2(db, RANKED, -1, &c.st, NULL) != SQLITE_OK)
        return die_sql(db, "prepare");
    mg_bq_lines q;
    if (mg_bq_lines_read(qfile, 0, &q))
        return 1;
    c.expr = calloc(q.n, sizeof *c.expr);
    for (size_t i = 0; i < q.n; i++) {
        char buf[4096];
        to_fts5(q.text[i], buf, sizeof buf);
        c.expr[i] = strdup(buf);
    }
    mg_bq_pass_result r;
    mg_bq_passes(lat_one, &c, q.n, passes, &r);
    mg_bq_pass_print(stdout, "fts5", corpus, &r);
    for (size_t i = 0; i < q.n; i++)
        free(c.expr[i]);
    free(c.expr);
    mg_bq_lines_release(&q);
    sqlite3_finalize(c.st);
    sqlite3_close(db);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "index"))
        return cmd_index(argv[2], argv[3]);
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "rel"))
        return cmd_rel(argv[2], argv[3], argc == 5 ? argv[4] : "fts5");
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "lat"))
        return cmd_lat(argv[2], argv[3], argv[4], argc == 6 ? atoi(argv[5]) : 3);
    fprintf(stderr, "usage: fts5_bench index DB JSONL | rel DB QUERIES.tsv [NAME] |"
                    " lat DB QUERYFILE CORPUS [PASSES]\n");
    return 2;
}
