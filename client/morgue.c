/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgue: query morgued (or an index in-process with --db) and print the
 * hits for a person or the raw JSON for a script (docs/client.md). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "morgue_client.h"
#include "protocol.h"
#include "utf8.h"

/* Exit statuses, as grep's. */
enum { EXIT_HITS = 0, EXIT_NONE = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

/* Highlight markers asked of the engine in human mode; replaced by ANSI
 * colour on a terminal and dropped otherwise. */
#define HL_START "\x02"
#define HL_END "\x03"

#define ANSI_BOLD "\x1b[1m"
#define ANSI_MATCH "\x1b[1;31m"
#define ANSI_DIM "\x1b[2m"
#define ANSI_OFF "\x1b[0m"

typedef struct opts {
    const char *endpoints[64];
    size_t nendpoints;
    const char *db;
    mg_client_opts copts;
    const char *server_key, *client_key;
    bool json, color;
    mg_client_query q;
    long page;
    bool offset_set;
} opts;

static void usage(FILE *f)
{
    fprintf(f, "usage: morgue [options] search QUERY...\n"
               "       morgue [options] get ID\n"
               "       morgue [options] stats\n"
               "       morgue [options] ping\n"
               "       morgue keygen PREFIX\n"
               "\n"
               "Where:\n"
               "  --endpoint EP       a morgued endpoint (tcp://HOST:PORT or ipc://PATH);\n"
               "                      repeatable, requests are spread over them. Default:\n"
               "                      $MORGUE_ENDPOINT, else the daemon's defaults\n"
               "  --db DIR            no daemon: open the index DIR in-process\n"
               "  --timeout MS        wait this long for each attempt (default 2000)\n"
               "  --retries N         attempts after a timeout, on a fresh socket (default 2)\n"
               "  --curve-server-key KEY_OR_FILE   the daemon's CURVE public key\n"
               "  --curve-key FILE    this client's CURVE secret key (from morgue keygen)\n"
               "Search:\n"
               "  --limit N           hits per page (default 10)\n"
               "  --page N            page N (1-based) of --limit hits\n"
               "  --offset N          skip the first N hits\n"
               "  --sort ORDER        relevance (default), newest or oldest\n"
               "  --since DATE        only articles on or after DATE (YYYY[-MM[-DD]])\n"
               "  --until DATE        only articles on or before DATE\n"
               "  --source NAME       only articles from this source\n"
               "Output:\n"
               "  --json              print the daemon's reply as is (one JSON line)\n"
               "  --color WHEN        auto (default: on a terminal unless NO_COLOR is set),\n"
               "                      always or never\n"
               "\n"
               "Exit status: 0 hits (or success), 1 no hits / no such document, 2 usage or\n"
               "query error, 3 daemon unreachable or timed out.\n"
               "A query word starting with '-' (NOT) needs '--' before the query.\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("morgue: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(morgue --help for usage)\n", stderr);
    return EXIT_USAGE;
}

static int parse_size(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* ---- output ---- */

/* Print text with control characters made harmless: line breaks and tabs
 * become spaces, other controls U+FFFD, so an article cannot move the
 * cursor or recolour the terminal. Highlight markers become colour or
 * vanish. Never splits a UTF-8 character. */
static void put_text(const char *s, bool color, bool markers)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    while (len > 0) {
        size_t adv;
        uint32_t cp = mg_utf8_decode(p, len, &adv);
        if (markers && cp == 0x02) {
            if (color)
                fputs(ANSI_MATCH, stdout);
        } else if (markers && cp == 0x03) {
            if (color)
                fputs(ANSI_OFF, stdout);
        } else if (cp == '\n' || cp == '\t' || cp == '\r') {
            putchar(' ');
        } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            fputs("\xef\xbf\xbd", stdout);
        } else {
            fwrite(p, 1, adv, stdout);
        }
        p += adv;
        len -= adv;
    }
}

/* 1234567 -> "1,234,567" */
static void put_count(unsigned long long n)
{
    char buf[32], out[48];
    int len = snprintf(buf, sizeof buf, "%llu", n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = buf[i];
    }
    out[o] = '\0';
    fputs(out, stdout);
}

static void print_results(const mg_client_results *r, bool color)
{
    if (r->total_exact)
        put_count(r->total_estimate);
    else {
        fputs("About ", stdout);
        put_count(r->total_estimate);
    }
    printf(" result%s (%.2f ms)\n", r->total_estimate == 1 ? "" : "s", (double)r->took_us / 1000.0);
    if (r->relaxed)
        puts("(articles with every word first, then articles with some of them)");
    if (r->suggestion && *r->suggestion) {
        fputs("Did you mean: ", stdout);
        put_text(r->suggestion, color, false);
        putchar('\n');
    }
    for (size_t i = 0; i < r->nhits; i++) {
        const mg_client_hit *h = &r->hits[i];
        putchar('\n');
        /* A person reads the day; the time stays in --json. */
        if (*h->date)
            printf("%.10s", h->date);
        else
            fputs("(no date)", stdout);
        if (*h->source) {
            fputs("  ", stdout);
            put_text(h->source, color, false);
        }
        fputs("  ", stdout);
        if (color)
            fputs(ANSI_BOLD, stdout);
        put_text(*h->title ? h->title : "(untitled)", color, false);
        if (color)
            fputs(ANSI_OFF, stdout);
        putchar('\n');
        if (h->snippet && *h->snippet) {
            fputs("    ", stdout);
            put_text(h->snippet, color, true);
            putchar('\n');
        }
        fputs("    ", stdout);
        if (color)
            fputs(ANSI_DIM, stdout);
        fputs("id: ", stdout);
        put_text(h->id, color, false);
        if (h->collapsed)
            printf(" (+%u similar)", h->collapsed);
        if (color)
            fputs(ANSI_OFF, stdout);
        putchar('\n');
    }
}

static void print_doc(const mg_client_doc *d, bool color)
{
    if (color)
        fputs(ANSI_BOLD, stdout);
    put_text(*d->title ? d->title : "(untitled)", color, false);
    if (color)
        fputs(ANSI_OFF, stdout);
    putchar('\n');
    const char *fields[][2] = {{"date", d->date}, {"source", d->source}, {"author", d->author},
                               {"url", d->url},   {"lang", d->lang},     {"id", d->id}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (!*fields[i][1])
            continue;
        printf("%s: ", fields[i][0]);
        put_text(fields[i][1], color, false);
        putchar('\n');
    }
    if (d->ncategories) {
        fputs("categories: ", stdout);
        for (size_t i = 0; i < d->ncategories; i++) {
            if (i)
                fputs(", ", stdout);
            put_text(d->categories[i], color, false);
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
            put_text(line, color, false);
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
        put_text(key, color, false);
        fputs(": ", stdout);
        if (json_is_string(v)) {
            put_text(json_string_value(v), color, false);
        } else {
            char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            if (s)
                put_text(s, color, false);
            free(s);
        }
        putchar('\n');
    }
}

/* ---- transport: daemon or in-process ---- */

/* Send req and get the reply text, from the daemon or from the index in
 * process. Returns 0, or an exit status after printing the problem. */
static int exchange(const opts *o, const char *req, size_t len, char **reply, size_t *rlen)
{
    if (o->db) {
        mg_err err;
        mg_err_clear(&err);
        mg_searcher *s = mg_searcher_open(o->db, NULL, &err);
        if (!s) {
            fprintf(stderr, "morgue: cannot open the index %s: %s\n", o->db, err.msg);
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
    mg_client *c = mg_client_new(o->endpoints, o->nendpoints, &co, &err);
    memset(secret, 0, sizeof secret);
    if (!c) {
        fprintf(stderr, "morgue: %s\n", err.msg);
        return EXIT_USAGE;
    }
    int rc = mg_client_request(c, req, len, reply, rlen, &err);
    mg_client_free(c);
    if (rc != 0) {
        fprintf(stderr, "morgue: %s\n", err.msg);
        return err.code == MG_CLIENT_ETIMEOUT || err.code == MG_CLIENT_EZMQ ? EXIT_UNREACHABLE
                                                                            : EXIT_USAGE;
    }
    return 0;
}

/* The daemon's error, on stderr; the exit status that goes with it. */
static int server_error(const mg_client_err *err)
{
    if (err->code == MG_CLIENT_ESERVER) {
        fprintf(stderr, "morgue: %s: %s\n", err->server_code, err->msg);
        return strcmp(err->server_code, "not_found") == 0 ? EXIT_NONE : EXIT_USAGE;
    }
    fprintf(stderr, "morgue: %s\n", err->msg);
    return EXIT_USAGE;
}

static int run(const opts *o, const char *cmd, char **args, int nargs)
{
    char *req = NULL, *reply = NULL;
    size_t len = 0, rlen = 0;
    mg_client_query q = o->q;
    char *query = NULL;

    if (strcmp(cmd, "search") == 0) {
        if (nargs == 0)
            return usage_error("search needs a query");
        size_t total = 1;
        for (int i = 0; i < nargs; i++)
            total += strlen(args[i]) + 1;
        if (!(query = malloc(total)))
            return EXIT_USAGE;
        query[0] = '\0';
        for (int i = 0; i < nargs; i++) {
            if (i)
                strcat(query, " ");
            strcat(query, args[i]);
        }
        q.query = query;
        if (o->page > 1)
            q.offset = (size_t)(o->page - 1) * (q.limit ? q.limit : 10);
        if (!o->json) {
            q.hl_start = HL_START;
            q.hl_end = HL_END;
        }
        req = mg_client_search_request(&q, &len);
    } else if (strcmp(cmd, "get") == 0) {
        if (nargs != 1)
            return usage_error("get needs exactly one id");
        req = mg_client_get_request(args[0], &len);
    } else if (strcmp(cmd, "stats") == 0 || strcmp(cmd, "ping") == 0) {
        if (nargs != 0)
            return usage_error("%s takes no argument", cmd);
        json_t *r = json_pack("{s:i,s:s}", "v", 1, "op", cmd);
        req = r ? json_dumps(r, JSON_COMPACT) : NULL;
        len = req ? strlen(req) : 0;
        json_decref(r);
    } else {
        return usage_error("unknown command '%s'", cmd);
    }
    if (!req) {
        free(query);
        fprintf(stderr, "morgue: out of memory\n");
        return EXIT_USAGE;
    }

    int status = exchange(o, req, len, &reply, &rlen);
    free(req);
    free(query);
    if (status != 0)
        return status;

    mg_client_err err;
    if (strcmp(cmd, "search") == 0) {
        mg_client_results *r;
        if (mg_client_results_parse(reply, rlen, &r, &err) != 0)
            status = server_error(&err);
        else
            status = r->nhits > 0 ? EXIT_HITS : EXIT_NONE;
        if (o->json)
            printf("%s\n", reply);
        else if (status == EXIT_HITS || status == EXIT_NONE)
            print_results(r, o->color);
        if (status == EXIT_HITS || status == EXIT_NONE)
            mg_client_results_free(r);
    } else if (strcmp(cmd, "get") == 0) {
        mg_client_doc *d;
        status = mg_client_doc_parse(reply, rlen, &d, &err) != 0 ? server_error(&err) : EXIT_HITS;
        if (o->json)
            printf("%s\n", reply);
        else if (status == EXIT_HITS)
            print_doc(d, o->color);
        if (status == EXIT_HITS)
            mg_client_doc_free(d);
    } else if (strcmp(cmd, "stats") == 0) {
        mg_client_stats *st;
        status = mg_client_stats_parse(reply, rlen, &st, &err) != 0 ? server_error(&err) : 0;
        if (o->json)
            printf("%s\n", reply);
        else if (status == 0)
            print_flat(st->internal_, "", o->color);
        if (status == 0)
            mg_client_stats_free(st);
    } else { /* ping */
        json_t *r = json_loadb(reply, rlen, 0, NULL);
        bool ok = json_is_true(json_object_get(r, "ok"));
        json_decref(r);
        if (o->json)
            printf("%s\n", reply);
        else if (ok)
            printf("pong\n");
        if (!ok) {
            fprintf(stderr, "morgue: the daemon did not answer the ping: %s\n", reply);
            status = EXIT_USAGE;
        }
    }
    free(reply);
    if (fflush(stdout) != 0 && errno != EPIPE) {
        fprintf(stderr, "morgue: write: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    return status;
}

int main(int argc, char **argv)
{
    enum {
        O_ENDPOINT = 256,
        O_DB,
        O_TIMEOUT,
        O_RETRIES,
        O_SERVERKEY,
        O_KEY,
        O_JSON,
        O_COLOR,
        O_LIMIT,
        O_PAGE,
        O_OFFSET,
        O_SORT,
        O_SINCE,
        O_UNTIL,
        O_SOURCE,
        O_HELP
    };
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, O_ENDPOINT},
        {"db", required_argument, NULL, O_DB},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"retries", required_argument, NULL, O_RETRIES},
        {"curve-server-key", required_argument, NULL, O_SERVERKEY},
        {"curve-key", required_argument, NULL, O_KEY},
        {"json", no_argument, NULL, O_JSON},
        {"color", required_argument, NULL, O_COLOR},
        {"colour", required_argument, NULL, O_COLOR},
        {"limit", required_argument, NULL, O_LIMIT},
        {"page", required_argument, NULL, O_PAGE},
        {"offset", required_argument, NULL, O_OFFSET},
        {"sort", required_argument, NULL, O_SORT},
        {"since", required_argument, NULL, O_SINCE},
        {"until", required_argument, NULL, O_UNTIL},
        {"source", required_argument, NULL, O_SOURCE},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    opts o;
    memset(&o, 0, sizeof o);
    mg_client_opts_default(&o.copts);
    const char *color = "auto";
    long v;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_ENDPOINT:
            if (o.nendpoints == sizeof o.endpoints / sizeof o.endpoints[0])
                return usage_error("too many endpoints");
            o.endpoints[o.nendpoints++] = optarg;
            break;
        case O_DB:
            o.db = optarg;
            break;
        case O_TIMEOUT:
            if (parse_size(optarg, 1, 3600000, &v) != 0)
                return usage_error("--timeout wants milliseconds, not '%s'", optarg);
            o.copts.timeout_ms = (int)v;
            break;
        case O_RETRIES:
            if (parse_size(optarg, 0, 100, &v) != 0)
                return usage_error("--retries wants 0..100, not '%s'", optarg);
            o.copts.retries = (int)v;
            break;
        case O_SERVERKEY:
            o.server_key = optarg;
            break;
        case O_KEY:
            o.client_key = optarg;
            break;
        case O_JSON:
            o.json = true;
            break;
        case O_COLOR:
            color = optarg;
            if (strcmp(color, "auto") && strcmp(color, "always") && strcmp(color, "never"))
                return usage_error("--color wants auto, always or never, not '%s'", optarg);
            break;
        case O_LIMIT:
            if (parse_size(optarg, 1, 1000000, &v) != 0)
                return usage_error("--limit wants a positive number, not '%s'", optarg);
            o.q.limit = (size_t)v;
            break;
        case O_PAGE:
            if (parse_size(optarg, 1, 1000000, &v) != 0)
                return usage_error("--page wants a positive number, not '%s'", optarg);
            o.page = v;
            break;
        case O_OFFSET:
            if (parse_size(optarg, 0, 100000000, &v) != 0)
                return usage_error("--offset wants a number, not '%s'", optarg);
            o.q.offset = (size_t)v;
            o.offset_set = true;
            break;
        case O_SORT:
            if (strcmp(optarg, "relevance") && strcmp(optarg, "newest") && strcmp(optarg, "oldest"))
                return usage_error("--sort wants relevance, newest or oldest, not '%s'", optarg);
            o.q.sort = optarg;
            break;
        case O_SINCE:
            o.q.since = optarg;
            break;
        case O_UNTIL:
            o.q.until = optarg;
            break;
        case O_SOURCE:
            o.q.source = optarg;
            break;
        case 'h':
        case O_HELP:
            usage(stdout);
            return 0;
        default:
            fputs("(morgue --help for usage)\n", stderr);
            return EXIT_USAGE;
        }
    }
    if (o.page && o.offset_set)
        return usage_error("--page and --offset do not go together");
    if (optind >= argc)
        return usage_error("which command? search, get, stats, ping or keygen");
    const char *cmd = argv[optind];
    if (strcmp(color, "always") == 0)
        o.color = true;
    else if (strcmp(color, "auto") == 0) {
        const char *nc = getenv("NO_COLOR");
        o.color = isatty(STDOUT_FILENO) && !(nc && *nc);
    }
    if (strcmp(cmd, "keygen") == 0) {
        if (argc - optind != 2)
            return usage_error("keygen needs a PREFIX (writes PREFIX.key and PREFIX.pub)");
        mg_client_err err;
        if (mg_client_keygen(argv[optind + 1], &err) != 0) {
            fprintf(stderr, "morgue: %s\n", err.msg);
            return EXIT_USAGE;
        }
        printf("wrote %s.key (secret, mode 0600) and %s.pub (public)\n", argv[optind + 1],
               argv[optind + 1]);
        return 0;
    }
    return run(&o, cmd, argv + optind + 1, argc - optind - 1);
}
