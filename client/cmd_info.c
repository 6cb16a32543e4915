/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgue's commands other than search and timeline: get, sources and
 * categories, stats, ping, watch (watch.c) and keygen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "watch.h"

/* get --copies: the ids of the reply's "copies", one a line. */
static void print_copies(const char *reply, size_t len)
{
    json_t *r = json_loadb(reply, len, 0, NULL);
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(r, "copies"), i, v)
    {
        const char *id = json_string_value(v);
        if (id)
            puts(id);
    }
    json_decref(r);
}

/* An article for a person: the title, its fields, the body. */
static void print_doc(const mg_client_doc *d, bool color)
{
    if (color)
        fputs(ANSI_BOLD, stdout);
    cli_put_text(*d->title ? d->title : "(untitled)", color, false);
    if (color)
        fputs(ANSI_OFF, stdout);
    putchar('\n');
    const char *fields[][2] = {{"date", d->date}, {"source", d->source}, {"author", d->author},
                               {"url", d->url},   {"lang", d->lang},     {"id", d->id}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (!*fields[i][1])
            continue;
        printf("%s: ", fields[i][0]);
        cli_put_text(fields[i][1], color, false);
        putchar('\n');
    }
    if (d->ncategories) {
        fputs("categories: ", stdout);
        for (size_t i = 0; i < d->ncategories; i++) {
            if (i)
                fputs(", ", stdout);
            cli_put_text(d->categories[i], color, false);
        }
        putchar('\n');
    }
    putchar('\n');
    /* The body keeps its line breaks; other controls are neutralised. */
    const char *p = d->body;
    while (*p) {
        size_t n = strcspn(p, "\n");
        char *line = strndup(p, n);
        if (line) {
            cli_put_text(line, color, false);
            free(line);
        }
        putchar('\n');
        p += n;
        if (*p)
            p++;
    }
}

/* Stats as "key: value" lines, nested objects as dotted keys. */
static void print_flat(json_t *o, const char *prefix, bool color)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (!*prefix && (strcmp(k, "v") == 0 || strcmp(k, "ok") == 0))
            continue;
        char key[256];
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", k);
        if (json_is_object(v)) {
            print_flat(v, key, color);
            continue;
        }
        cli_put_text(key, color, false);
        fputs(": ", stdout);
        if (json_is_string(v)) {
            cli_put_text(json_string_value(v), color, false);
        } else {
            char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            if (s)
                cli_put_text(s, color, false);
            free(s);
        }
        putchar('\n');
    }
}

/* The request r (taken; NULL: out of memory) sent, its reply into
 * *reply: 0, or an exit status after saying why. */
static int ask(const cli_opts *o, json_t *r, char **reply, size_t *rlen)
{
    size_t len;
    char *req = cli_json_request(r, &len);
    return cli_roundtrip(o, req, len, reply, rlen);
}

int cli_cmd_get(const cli_opts *o, const char *cmd, char **args, int nargs)
{
    (void)cmd;
    (void)nargs; /* one (run() in morgue.c) */
    size_t len, rlen;
    char *req, *reply;
    if (o->copies)
        req = cli_json_request(
            json_pack("{s:i,s:s,s:s,s:b}", "v", 1, "op", "get", "id", args[0], "copies", 1), &len);
    else
        req = mg_client_get_request(args[0], &len);
    int status = cli_roundtrip(o, req, len, &reply, &rlen);
    if (status != 0)
        return status;
    mg_client_doc *d;
    mg_client_err err;
    status = mg_client_doc_parse(reply, rlen, &d, &err) != 0 ? cli_server_error(&err) : EXIT_HITS;
    if (o->json)
        cli_put_json(reply);
    else if (status == EXIT_HITS && o->copies)
        print_copies(reply, rlen);
    else if (status == EXIT_HITS)
        print_doc(d, o->color);
    if (status == EXIT_HITS)
        mg_client_doc_free(d);
    free(reply);
    return status;
}

/* sources and categories: the values of the field, the commonest first. */
int cli_cmd_values(const cli_opts *o, const char *cmd, char **args, int nargs)
{
    (void)args;
    (void)nargs; /* none (run() in morgue.c) */
    const char *field = cmd[0] == 's' ? "source" : "category";
    json_int_t limit = (json_int_t)(o->q.limit ? o->q.limit : 100);
    size_t rlen;
    char *reply;
    int status = ask(
        o, json_pack("{s:i,s:s,s:s,s:I}", "v", 1, "op", "values", "field", field, "limit", limit),
        &reply, &rlen);
    if (status != 0)
        return status;
    json_t *r = json_loadb(reply, rlen, 0, NULL);
    bool ok = json_is_true(json_object_get(r, "ok"));
    json_t *e = json_object_get(r, "error");
    if (!ok)
        fprintf(stderr, "morgue: %s: %s\n", json_string_value(json_object_get(e, "code")),
                json_string_value(json_object_get(e, "message")));
    json_decref(r);
    status = ok ? EXIT_HITS : EXIT_USAGE;
    if (o->json)
        cli_put_json(reply);
    else if (ok && cli_print_values(reply, rlen, field, o->color) != 0)
        status = EXIT_USAGE;
    free(reply);
    return status;
}

/* stats --prometheus: the metrics text of the reply (morgued's alone). */
static int show_metrics(const cli_opts *o, const char *reply, size_t rlen)
{
    int status = 0;
    json_t *r = json_loadb(reply, rlen, 0, NULL);
    const char *text = json_string_value(json_object_get(r, "metrics"));
    if (o->json)
        cli_put_json(reply);
    else if (text)
        fputs(text, stdout);
    if (!text) {
        mg_client_stats *none = NULL;
        mg_client_err err;
        status = mg_client_stats_parse(reply, rlen, &none, &err) != 0 ? cli_server_error(&err)
                                                                      : EXIT_USAGE;
        mg_client_stats_free(none);
    }
    json_decref(r);
    return status;
}

/* stats: "key: value" lines, the daemon's metrics with --prometheus. */
int cli_cmd_stats(const cli_opts *o, const char *cmd, char **args, int nargs)
{
    (void)args;
    (void)cmd;
    (void)nargs; /* none (run() in morgue.c) */
    size_t rlen;
    char *reply;
    const char *op = o->prometheus ? "metrics" : "stats";
    int status = ask(o, json_pack("{s:i,s:s}", "v", 1, "op", op), &reply, &rlen);
    if (status != 0)
        return status;
    if (o->prometheus) {
        status = show_metrics(o, reply, rlen);
    } else {
        mg_client_stats *st;
        mg_client_err err;
        status = mg_client_stats_parse(reply, rlen, &st, &err) != 0 ? cli_server_error(&err) : 0;
        if (o->json)
            cli_put_json(reply);
        else if (status == 0)
            print_flat(st->internal_, "", o->color);
        if (status == 0)
            mg_client_stats_free(st);
    }
    free(reply);
    return status;
}

int cli_cmd_ping(const cli_opts *o, const char *cmd, char **args, int nargs)
{
    (void)args;
    (void)cmd;
    (void)nargs; /* none (run() in morgue.c) */
    if (o->prometheus)
        return cli_usage_error("--prometheus is for stats");
    size_t rlen;
    char *reply;
    int status = ask(o, json_pack("{s:i,s:s}", "v", 1, "op", "ping"), &reply, &rlen);
    if (status != 0)
        return status;
    json_t *r = json_loadb(reply, rlen, 0, NULL);
    bool ok = json_is_true(json_object_get(r, "ok"));
    json_decref(r);
    if (o->json)
        cli_put_json(reply);
    else if (ok)
        printf("pong\n");
    if (!ok) {
        fprintf(stderr, "morgue: the daemon did not answer the ping: %s\n", reply);
        status = EXIT_USAGE;
    }
    free(reply);
    return status;
}

static int watch_exchange(const void *ctx, const char *req, size_t len, char **reply, size_t *rlen)
{
    return cli_exchange(ctx, req, len, reply, rlen);
}

static void watch_put_text(const char *s)
{
    cli_put_text(s, false, false);
}

/* An option set that the watch command sub would drop, said as a usage
 * error: -1 when there is none (main has refused the options of output
 * made for one other command, --svg, --format and the like). watch add keeps the filters --source,
 * --strict, --since and --until with the watch (the other commands take
 * none: a watch runs with those it was added with); a run prints every new
 * article, newest first, so the options of a page, an order, a time of
 * entry or a format have no place in any. */
static int watch_unkept_option(const cli_opts *o, const char *sub)
{
    bool add = strcmp(sub, "add") == 0;
    const struct {
        bool set;
        const char *name;
    } opts[] = {
        {!add && o->q.source, "--source"},
        {!add && o->q.no_relax, "--strict"},
        {!add && o->q.since, "--since"},
        {!add && o->q.until, "--until"},
        {o->q.limit || o->q.no_hits, "--limit"},
        {o->page, "--page"},
        {o->offset_set, "--offset"},
        {o->q.sort, "--sort"},
        {o->added_since, "--added-since"},
        {o->added_until, "--added-until"},
        {o->q.facets, "--facets"},
        {o->q.no_collapse, "--no-collapse"},
        {o->nvs, "--vs"},
        {o->json, "--json"},
        {o->prometheus, "--prometheus"},
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        if (!opts[i].set)
            continue;
        if (add)
            return cli_usage_error("watch add keeps --source, --strict, --since and --until "
                                   "with the watch, not %s",
                                   opts[i].name);
        return cli_usage_error("watch %s does not take %s%s", sub, opts[i].name,
                               i < 4 ? " (a watch keeps those it was added with)" : "");
    }
    return -1;
}

int cli_cmd_watch(const cli_opts *o, const char *cmd, char **args, int nargs)
{
    (void)cmd;
    int rc;
    bool known = nargs > 0 && (strcmp(args[0], "add") == 0 || strcmp(args[0], "list") == 0 ||
                               strcmp(args[0], "rm") == 0 || strcmp(args[0], "run") == 0);
    if (known && (rc = watch_unkept_option(o, args[0])) >= 0)
        return rc;
    mg_watch_env env = {.exchange = watch_exchange,
                        .ctx = o,
                        .put_text = watch_put_text,
                        .write_failed = cli_write_failed,
                        .source = o->q.source,
                        .since = o->q.since,
                        .until = o->q.until,
                        .strict = o->q.no_relax};
    return mg_watch_command(&env, args, nargs);
}

int cli_cmd_keygen(const cli_opts *o, const char *cmd, char **args, int nargs)
{
    (void)o;
    (void)cmd;
    (void)nargs; /* one (run() in morgue.c) */
    mg_client_err err;
    if (mg_client_keygen(args[0], &err) != 0) {
        fprintf(stderr, "morgue: %s\n", err.msg);
        return EXIT_USAGE;
    }
    printf("wrote %s.key (secret, mode 0600) and %s.pub (public)\n", args[0], args[0]);
    return 0;
}
