/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgue search --format: every hit of a query (not one page) as CSV, TSV
 * or JSON Lines, fetched page after page with the daemon's cursor. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A CSV field (RFC 4180): quoted, quotes doubled, when it holds a comma, a
 * quote or a line break. A TSV field: tabs and line breaks become spaces. */
void cli_put_field(const char *s, int fmt, bool first)
{
    if (!first)
        putchar(fmt == FMT_CSV ? ',' : '\t');
    if (fmt == FMT_TSV) {
        for (; *s; s++)
            putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
        return;
    }
    if (!s[strcspn(s, ",\"\r\n")]) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void put_row(const json_t *hit, const mg_client_hit *h, int fmt, bool snippets)
{
    if (fmt == FMT_JSONL) {
        if (json_dumpf(hit, stdout, JSON_COMPACT) != 0)
            cli_write_failed(errno ? errno : EIO);
        putchar('\n');
        return;
    }
    char rank[16], score[32];
    snprintf(rank, sizeof rank, "%u", h->rank);
    snprintf(score, sizeof score, "%.6f", h->score);
    const char *fields[] = {rank,
                            h->id,
                            h->date,
                            h->source,
                            h->title,
                            h->url,
                            score,
                            h->partial ? "some" : "all",
                            h->snippet ? h->snippet : ""};
    size_t n = sizeof fields / sizeof fields[0] - (snippets ? 0 : 1);
    for (size_t i = 0; i < n; i++)
        cli_put_field(fields[i], fmt, i == 0);
    putchar('\n');
}

/* The header row of CSV and TSV (JSON Lines has none). */
static void put_head(int fmt, bool snippets)
{
    const char *head[] = {"rank", "id",    "date",    "source", "title",
                          "url",  "score", "matched", "snippet"};
    if (fmt == FMT_JSONL)
        return;
    for (size_t i = 0; i < sizeof head / sizeof head[0] - (snippets ? 0 : 1); i++)
        cli_put_field(head[i], fmt, i == 0);
    putchar('\n');
}

/* One page of q as rows; *done counts the hits so far, *next is the
 * cursor of the page after it (malloc'd), NULL at the end or once want
 * hits are done. Returns 0, or an exit status after printing the problem. */
static int export_page(const cli_opts *o, const mg_client_query *q, size_t want, size_t *done,
                       char **next)
{
    size_t len, rlen;
    char *reply;
    *next = NULL;
    char *req = cli_search_request(o, q, 0, &len);
    if (!req)
        return EXIT_USAGE;
    int rc = cli_exchange(o, req, len, &reply, &rlen);
    free(req);
    if (rc != 0)
        return rc;
    mg_client_results *r;
    mg_client_err err;
    if (mg_client_results_parse(reply, rlen, &r, &err) != 0) {
        free(reply);
        return cli_server_error(&err);
    }
    if (!q->after) /* the first page answered: only now the header, so that
                    * a failure leaves no file that looks like an empty export */
        put_head(o->format, o->snippets);
    json_t *hits = json_object_get((json_t *)r->internal_, "hits");
    for (size_t i = 0; i < r->nhits; i++)
        put_row(json_array_get(hits, i), &r->hits[i], o->format, o->snippets);
    *done += r->nhits;
    if (r->next && *done < want)
        *next = strdup(r->next);
    mg_client_results_free(r);
    free(reply);
    return 0;
}

/* Every hit of the query (or the first --limit), in rank order, page after
 * page with the daemon's cursor: nothing is held between pages. */
int cli_export_hits(const cli_opts *o, const char *query)
{
    mg_client_query q = o->q;
    q.query = query;
    q.offset = 0;
    q.cursor = true;
    q.no_snippets = !o->snippets;
    q.no_hits = false;
    size_t want = o->q.limit ? o->q.limit : (size_t)-1, done = 0;
    char *after = NULL, *next;
    for (;;) {
        q.limit = want - done < 1000 ? want - done : 1000;
        q.after = after;
        int rc = export_page(o, &q, want, &done, &next);
        free(after);
        after = next;
        if (rc != 0) {
            free(after);
            return rc;
        }
        if (!after || ferror(stdout))
            break;
    }
    free(after);
    return done ? EXIT_HITS : EXIT_NONE;
}
