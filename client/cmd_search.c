/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgue search and timeline: the query from the words given, the request
 * with its paging and filters, and the reply printed for a person (or as
 * is with --json); notes on stderr for a lower-case operator and a
 * --source that names no source. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyzer.h"
#include "cli.h"

/* The words of the command line as one query, separated by spaces:
 * malloc'd, NULL when out of memory. */
static char *join_words(char **args, int nargs)
{
    size_t total = 1;
    for (int i = 0; i < nargs; i++)
        total += strlen(args[i]) + 1;
    char *query = malloc(total);
    if (!query)
        return NULL;
    query[0] = '\0';
    for (int i = 0; i < nargs; i++) {
        if (i)
            strcat(query, " ");
        strcat(query, args[i]);
    }
    return query;
}

/* The first word of query, outside quotes, that spells an operator in lower
 * or mixed case ("not", "Or"): the engine searches for it as a word. NULL
 * when there is none. Static storage. */
static const char *operator_word(const char *query)
{
    static const char *const ops[] = {"not", "or", "and", "near"};
    static char word[8];
    bool quoted = false;
    for (const char *p = query; *p;) {
        if (*p == '"') {
            quoted = !quoted;
            p++;
            continue;
        }
        size_t n = strcspn(p, " \t\n()\"");
        for (size_t i = 0; !quoted && n > 0 && i < sizeof ops / sizeof ops[0]; i++) {
            bool upper = true;
            for (size_t k = 0; k < n; k++)
                upper = upper && p[k] >= 'A' && p[k] <= 'Z';
            if (n == strlen(ops[i]) && strncasecmp(p, ops[i], n) == 0 && !upper) {
                memcpy(word, p, n);
                word[n] = '\0';
                return word;
            }
        }
        p += n ? n : 1;
    }
    return NULL;
}

char *cli_search_request(const cli_opts *o, const mg_client_query *q, size_t terms, size_t *len)
{
    json_t *extra = json_object();
    if (!extra)
        return NULL;
    if (o->added_since)
        json_object_set_new(extra, "added_since", json_string(o->added_since));
    if (o->added_until)
        json_object_set_new(extra, "added_until", json_string(o->added_until));
    if (terms)
        json_object_set_new(extra, "terms", json_integer((json_int_t)terms));
    char *text = json_object_size(extra) ? json_dumps(extra, JSON_COMPACT) : NULL;
    json_decref(extra);
    char *req = mg_client_search_request_ex(q, text, len);
    free(text);
    return req;
}

/* The "source" values whose folded names hold want, quoted and
 * comma-separated into offer (at most 5); whether one starts with it. */
static bool offer_sources(json_t *vals, const char *want, char *offer, size_t cap)
{
    char name[256];
    mg_err e;
    json_t *v;
    size_t i, shown = 0;
    bool starts = false;
    offer[0] = '\0';
    json_array_foreach(vals, i, v)
    {
        const char *s = json_string_value(json_object_get(v, "value"));
        if (!s || mg_fold_phrase(s, strlen(s), name, sizeof name, &e) <= 0)
            continue;
        starts = starts || strncmp(name, want, strlen(want)) == 0;
        if (strstr(name, want) && shown++ < 5)
            snprintf(offer + strlen(offer), cap - strlen(offer), "%s\"%s\"", shown > 1 ? ", " : "",
                     s);
    }
    return starts;
}

/* When --source NAME matched no source at all: say so on stderr, offering
 * the sources whose folded names hold NAME's ("gazette" for "Harbor
 * Gazette"), at most 5. */
static void suggest_sources(const cli_opts *o)
{
    char want[256];
    mg_err e;
    if (mg_fold_phrase(o->q.source, strlen(o->q.source), want, sizeof want, &e) <= 0)
        return;
    size_t len, rlen;
    json_t *r =
        json_pack("{s:i,s:s,s:s,s:i}", "v", 1, "op", "values", "field", "source", "limit", 100000);
    char *req = cli_json_request(r, &len);
    char *reply = NULL;
    fflush(stdout); /* the note follows what was printed */
    if (!req || cli_exchange(o, req, len, &reply, &rlen) != 0) {
        free(req);
        return;
    }
    free(req);
    json_t *root = json_loadb(reply, rlen, 0, NULL);
    json_t *vals = json_object_get(root, "values");
    char offer[1024];
    bool starts = offer_sources(vals, want, offer, sizeof offer);
    if (json_is_array(vals) && !starts)
        fprintf(stderr, "morgue: note: no source is called '%s' or starts with it%s%s\n",
                o->q.source, offer[0] ? "; did you mean --source " : " (morgue sources lists them)",
                offer);
    json_decref(root);
    free(reply);
}

/* The request's query: the page, highlight markers for a person, and for
 * a timeline the facet of its periods over the articles with every word
 * (a timeline of those with some would chart the commonest word). */
static mg_client_query search_query(const cli_opts *o, const char *query, bool is_timeline)
{
    mg_client_query q = o->q;
    q.query = query;
    if (is_timeline) {
        q.no_relax = true;
        q.no_hits = true;
        q.facets = MG_CLIENT_FACET_YEAR << o->by;
    }
    if (o->page > 1)
        q.offset = (size_t)(o->page - 1) * (q.limit ? q.limit : 10);
    if (!o->json && !is_timeline) {
        q.hl_start = HL_START;
        q.hl_end = HL_END;
    }
    return q;
}

/* The reply to q printed: the timeline, the reply as is (--json), or the
 * page of hits with its facets. Returns the exit status. */
static int show_reply(const cli_opts *o, const mg_client_query *q, const char *reply, size_t rlen,
                      bool is_timeline)
{
    mg_client_results *r;
    mg_client_err err;
    if (mg_client_results_parse(reply, rlen, &r, &err) != 0) {
        int status = cli_server_error(&err);
        if (o->json)
            cli_put_json(reply);
        return status;
    }
    cli_warn_partial(r);
    int status = (q->no_hits ? r->total_upper > 0 : r->nhits > 0) ? EXIT_HITS : EXIT_NONE;
    if (is_timeline) {
        status = cli_timeline(o, r, q->query);
    } else if (o->json) {
        cli_put_json(reply);
    } else {
        cli_print_results(r, o->color);
        cli_print_footer(r, o, q->limit ? q->limit : 10);
        cli_print_facets(r, o->color);
    }
    if (q->source && !o->json && r->total_upper == 0)
        suggest_sources(o);
    mg_client_results_free(r);
    return status;
}

/* A note on stderr when query holds a lower-case operator word, for a
 * person (not with --json). */
static void note_operator_word(const cli_opts *o, const char *query)
{
    const char *w = o->json ? NULL : operator_word(query);
    if (w)
        fprintf(stderr,
                "morgue: note: '%s' is searched for as a word; operators are upper case "
                "(NOT or -word, OR, AND, NEAR)\n",
                w);
}

/* One search (or timeline) of query: the request, the reply printed.
 * Returns the exit status. */
static int search_once(const cli_opts *o, const char *query, bool is_timeline)
{
    mg_client_query q = search_query(o, query, is_timeline);
    size_t len, rlen;
    char *reply, *req = cli_search_request(o, &q, 0, &len);
    int status = cli_roundtrip(o, req, len, &reply, &rlen);
    if (status != 0)
        return status;
    status = show_reply(o, &q, reply, rlen, is_timeline);
    free(reply);
    return status;
}

/* timeline --vs: the timeline request of each query, then the table.
 * Returns the exit status. */
static int compare_timelines(const cli_opts *o, const char *query)
{
    const char *queries[CLI_MAX_VS + 1] = {query};
    mg_client_results *r[CLI_MAX_VS + 1] = {0};
    size_t nq = 1 + o->nvs;
    int status = 0;
    for (size_t i = 1; i < nq; i++)
        queries[i] = o->vs[i - 1];
    for (size_t i = 0; i < nq && status == 0; i++) {
        mg_client_query q = search_query(o, queries[i], true);
        size_t len, rlen;
        char *reply, *req = cli_search_request(o, &q, 0, &len);
        if ((status = cli_roundtrip(o, req, len, &reply, &rlen)) != 0)
            break;
        mg_client_err err;
        if (mg_client_results_parse(reply, rlen, &r[i], &err) != 0) {
            fprintf(stderr, "morgue: in '%s':\n", queries[i]);
            status = cli_server_error(&err);
        } else {
            cli_warn_partial(r[i]);
        }
        free(reply);
    }
    if (status == 0)
        status = cli_timeline_compare(o, r, queries, nq);
    for (size_t i = 0; i < nq; i++)
        mg_client_results_free(r[i]);
    return status;
}

/* search and timeline: the words joined into one query, then every hit
 * exported (--format), the timelines of --vs, or one search. */
static int search_command(const cli_opts *o, char **args, int nargs, bool is_timeline)
{
    if (o->nvs && !is_timeline)
        return cli_usage_error("--vs is for timeline");
    char *query = join_words(args, nargs);
    if (!query)
        return EXIT_USAGE;
    note_operator_word(o, query);
    for (size_t i = 0; i < o->nvs; i++)
        note_operator_word(o, o->vs[i]);
    int status = o->format && !is_timeline ? cli_export_hits(o, query)
                 : o->nvs                  ? compare_timelines(o, query)
                                           : search_once(o, query, is_timeline);
    free(query);
    return status;
}

/* The words of a terms reply, one a line: the word, then how many of the
 * sample's articles hold it. Returns the exit status. */
static int print_terms(const cli_opts *o, const mg_client_results *r)
{
    if (!r->terms) {
        fprintf(stderr, "morgue: the reply holds no words (a daemon older than 'terms'?)\n");
        return EXIT_UNREACHABLE;
    }
    size_t sample = r->terms_sample;
    int status = r->nterms > 0 ? EXIT_HITS : EXIT_NONE;
    if (sample > 0) {
        /* the sample is of the matches with every word, when there are */
        bool every = r->all_upper > 0;
        char total[32], of[32];
        cli_format_count((unsigned long long)sample, of);
        cli_format_count(every ? r->all_upper : r->total_upper, total);
        printf("%sWords that set apart the best %s of the %s articles with %s words%s\n",
               o->color ? ANSI_DIM : "", of, total, every ? "all the" : "some of the",
               o->color ? ANSI_OFF : "");
    } else {
        printf("no articles match\n");
    }
    for (size_t i = 0; i < r->nterms; i++)
        printf("  %s%-24s%s %6u\n", o->color ? ANSI_BOLD : "", r->terms[i].word,
               o->color ? ANSI_OFF : "", r->terms[i].docs);
    return status;
}

/* terms: the words that set the best matches of the query apart
 * (--limit of them, default 20), with the search's filters. */
int cli_cmd_terms(const cli_opts *o, const char *cmd, char **args, int nargs)
{
    (void)cmd;
    size_t n = o->q.limit ? o->q.limit : 20;
    if (o->q.no_hits || n > 100)
        return cli_usage_error("terms: --limit is the number of words, 1 to 100");
    char *query = join_words(args, nargs);
    if (!query)
        return EXIT_USAGE;
    note_operator_word(o, query);
    mg_client_query q = o->q;
    q.query = query;
    q.no_hits = true;
    size_t len, rlen;
    char *reply = NULL, *req = cli_search_request(o, &q, n, &len);
    int status = cli_roundtrip(o, req, len, &reply, &rlen);
    free(query);
    if (status != 0)
        return status;
    mg_client_results *res;
    mg_client_err err;
    if (mg_client_results_parse(reply, rlen, &res, &err) != 0) {
        status = cli_server_error(&err);
        if (o->json)
            cli_put_json(reply);
    } else {
        cli_warn_partial(res);
        if (o->json) {
            cli_put_json(reply);
            status = res->total_upper > 0 ? EXIT_HITS : EXIT_NONE;
        } else {
            status = print_terms(o, res);
        }
        mg_client_results_free(res);
    }
    free(reply);
    return status;
}

int cli_cmd_search(const cli_opts *o, const char *cmd, char **args, int nargs)
{
    (void)cmd;
    return search_command(o, args, nargs, false);
}

int cli_cmd_timeline(const cli_opts *o, const char *cmd, char **args, int nargs)
{
    (void)cmd;
    return search_command(o, args, nargs, true);
}
