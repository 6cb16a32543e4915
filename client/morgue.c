/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgue: query morgued (or an index in-process with --db) and print the
 * hits for a person or the raw JSON for a script (docs/client.md). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "analyzer.h"
#include "morgue_client.h"
#include "period.h"
#include "protocol.h"
#include "query.h"
#include "utf8.h"
#include "version.h"
#include "watch.h"

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
    bool prometheus; /* stats: the daemon's metrics as Prometheus text */
    mg_client_query q;
    long page;
    bool offset_set;
    int by;          /* timeline: an mg_period */
    bool csv;        /* timeline: the series as CSV */
    const char *svg; /* timeline: also draw it into this SVG file */
    int format;      /* search: FMT_* (export every hit) */
    bool snippets;   /* export: with the snippet */
    bool copies;     /* get: the ids of the document's folded copies */
    const char *added_since, *added_until; /* search: by when articles entered the index */
} opts;

/* The most periods a timeline draws (10,000 days are 27 years). */
#define MAX_PERIODS 10000

static void usage(FILE *f)
{
    fprintf(f, "usage: morgue [options] search QUERY...\n"
               "       morgue [options] timeline QUERY...\n"
               "       morgue [options] sources|categories\n"
               "       morgue [options] get [--copies] ID\n"
               "       morgue [options] stats\n"
               "       morgue [options] ping\n"
               "       morgue [options] watch add NAME QUERY...\n"
               "       morgue [options] watch list | watch rm NAME | watch run [NAME]\n"
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
               "  --limit N           hits per page (default 10; 0: the counts alone)\n"
               "  --page N            page N (1-based) of --limit hits\n"
               "  --offset N          skip the first N hits\n"
               "  --sort ORDER        relevance (default), newest, oldest or\n"
               "                      relevance+recency (the best by relevance, newer\n"
               "                      first: half the weight for every 30 days older)\n"
               "  --since DATE        only articles on or after DATE (YYYY[-MM[-DD]])\n"
               "  --until DATE        only articles on or before DATE\n"
               "  --added-since TIME  only articles that entered the index (or changed) at\n"
               "                      or after TIME (UTC, YYYY[-MM[-DD[Thh[:mm[:ss]]]]])\n"
               "  --added-until TIME  only those that entered it at or before TIME\n"
               "  --source NAME       only articles from this source (its name in any case,\n"
               "                      or the start of it)\n"
               "  --strict            only articles with every word (by default articles\n"
               "                      with some of the words follow them)\n"
               "  --facets LIST       after the hits, counts by source, category, year,\n"
               "                      month, week, day (comma-separated)\n"
               "  --no-collapse       keep syndicated copies apart\n"
               "Get:\n"
               "  --copies            the ids of the copies a search folds into ID (one a\n"
               "                      line), not the article\n"
               "Export (every hit, not one page):\n"
               "  --format FMT        csv, tsv or jsonl; --limit N: the first N hits\n"
               "  --snippets          with the snippet\n"
               "Timeline (articles per period as bars; --since/--until bound it):\n"
               "  --by PERIOD         year, month (default), week (ISO 8601) or day\n"
               "  --csv               the series as CSV (--json: as JSON)\n"
               "  --svg FILE          also draw the chart into FILE (SVG)\n"
               "Watches (saved searches, in $XDG_STATE_HOME/morgue/watches.json):\n"
               "  watch add NAME QUERY...  save QUERY (with --source, --strict) as NAME\n"
               "  watch run [NAME]    print the articles that entered the index or changed\n"
               "                      since the watch last ran (all watches without NAME)\n"
               "Output:\n"
               "  --json              print the daemon's reply as is (one JSON line)\n"
               "  --prometheus        stats: the daemon's counters and latency histogram in\n"
               "                      the Prometheus text format (op \"metrics\")\n"
               "  --color WHEN        auto (default: on a terminal unless NO_COLOR is set),\n"
               "                      always or never\n"
               "  -h, --help          this text\n"
               "  --version           the version\n"
               "\n"
               "Exit status: 0 hits (or success), 1 no hits / no such document, 2 usage or\n"
               "query error, or output that could not be written; 3 daemon unreachable or\n"
               "timed out.\n"
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

/* "source,year" -> MG_CLIENT_FACET_SOURCE | MG_CLIENT_FACET_YEAR. */
static int parse_facets(const char *list, unsigned *flags)
{
    static const char *const names[] = {"source", "category", "year", "month", "week", "day"};
    *flags = 0;
    while (*list) {
        size_t n = strcspn(list, ",");
        unsigned flag = 0;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (n == strlen(names[i]) && strncmp(list, names[i], n) == 0)
                flag = 1u << i;
        if (!flag)
            return -1;
        *flags |= flag;
        list += n;
        if (*list)
            list++;
    }
    return *flags ? 0 : -1;
}

/* ---- output ---- */

/* The errno of a failed write that stdio may not report again: a large
 * write goes to the file at once, and the final fflush() then has nothing
 * left to fail on. */
static int out_errno;

/* A reply as is, on one line (--json). */
static void put_json(const char *reply)
{
    if (fputs(reply, stdout) == EOF || putchar('\n') == EOF)
        out_errno = errno;
}

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

/* 1234567 -> "1,234,567" into out; returns its length. */
static int format_count(unsigned long long n, char out[32])
{
    char buf[24];
    int len = snprintf(buf, sizeof buf, "%llu", n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = buf[i];
    }
    out[o] = '\0';
    return o;
}

static void put_count(unsigned long long n)
{
    char out[32];
    format_count(n, out);
    fputs(out, stdout);
}

/* Characters (code points) of UTF-8 text: its width on a terminal for the
 * scripts news archives are written in. */
static size_t text_width(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xc0) != 0x80;
    return n;
}

/* A count as a person should read it: exact ("211"), or Xapian's estimate
 * with its bounds ("about 5,000 (between 4,100 and 6,300)"), so that no
 * number shown is below what the engine knows to be there. */
static void put_total(unsigned long long estimate, unsigned long long lower,
                      unsigned long long upper, bool exact)
{
    if (exact || lower == upper) {
        put_count(lower);
        return;
    }
    fputs("about ", stdout);
    put_count(estimate);
    fputs(" (between ", stdout);
    put_count(lower);
    fputs(" and ", stdout);
    put_count(upper);
    fputs(")", stdout);
}

/* "211 results", or when relaxed "N articles have every word; then M have
 * some of them" / "No article has every word; M have some of them". */
static void print_header(const mg_client_results *r)
{
    if (!r->relaxed) {
        put_total(r->total_estimate, r->total_lower, r->total_upper, r->total_exact);
        printf(" result%s", r->total_upper == 1 ? "" : "s");
    } else {
        /* the partial matches: the total less the full ones, each known
         * within its bounds */
        unsigned long long lo = r->total_lower > r->all_upper ? r->total_lower - r->all_upper : 0;
        unsigned long long up = r->total_upper > r->all_lower ? r->total_upper - r->all_lower : 0;
        unsigned long long est =
            r->total_estimate > r->all_estimate ? r->total_estimate - r->all_estimate : 0;
        est = est < lo ? lo : est > up ? up : est;
        if (r->all_upper == 0)
            fputs("No article has every word; ", stdout);
        else {
            put_total(r->all_estimate, r->all_lower, r->all_upper, r->all_exact);
            printf(" article%s every word; then ", r->all_upper == 1 ? " has" : "s have");
        }
        put_total(est, lo, up, lo == up);
        printf(" %s some of them", up == 1 ? "has" : "have");
    }
    printf(" (%.2f ms)\n", (double)r->took_us / 1000.0);
}

/* After a page: "results 11-20 of 211", and how to get the next page when
 * the page was full. */
static void print_footer(const mg_client_results *r, const opts *o, size_t limit)
{
    if (r->nhits == 0)
        return;
    unsigned first = r->hits[0].rank, last = r->hits[r->nhits - 1].rank;
    printf("\nresults %u-%u of ", first, last);
    put_total(r->total_estimate, r->total_lower, r->total_upper, r->total_exact);
    if (r->nhits == limit && last < r->total_upper) {
        if (o->offset_set)
            printf("; next: --offset %u", last);
        else
            printf("; next: --page %lu", (unsigned long)(last / limit + 1));
    }
    putchar('\n');
}

/* One line on stderr when the results are not the whole index's. */
static void warn_partial(const mg_client_results *r)
{
    if (r->nmissing) {
        fprintf(stderr, "morgue: warning: partial results: shard%s ", r->nmissing > 1 ? "s" : "");
        for (size_t i = 0; i < r->nmissing; i++)
            fprintf(stderr, "%s%s", i ? ", " : "", r->missing_shards[i]);
        fprintf(stderr, " unreachable, %s articles left out\n", r->nmissing > 1 ? "their" : "its");
    } else if (r->partial) {
        fprintf(stderr, "morgue: warning: partial results: the search ran out of its time budget\n");
    }
}

static void print_results(const mg_client_results *r, bool color)
{
    print_header(r);
    if (r->suggestion && *r->suggestion) {
        fputs("Did you mean: ", stdout);
        put_text(r->suggestion, color, false);
        putchar('\n');
    }
    char widest[16];
    int rank_width =
        r->nhits ? snprintf(widest, sizeof widest, "%u", r->hits[r->nhits - 1].rank) : 0;
    for (size_t i = 0; i < r->nhits; i++) {
        const mg_client_hit *h = &r->hits[i];
        putchar('\n');
        if (h->partial && (i == 0 || !r->hits[i - 1].partial))
            puts("--- articles with only some of the words ---\n");
        printf("%*u. ", rank_width, h->rank);
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

/* A table of values, then their counts right-aligned, under a title. */
static void print_table(const char *title, const mg_client_facet_value *v, size_t n, bool color)
{
    size_t vw = 0;
    int cw = 0;
    char num[32];
    for (size_t k = 0; k < n; k++) {
        size_t w = text_width(v[k].value);
        int c = format_count(v[k].count, num);
        vw = w > vw ? w : vw;
        cw = c > cw ? c : cw;
    }
    if (title)
        printf("\n%s%s%s\n", color ? ANSI_BOLD : "", title, color ? ANSI_OFF : "");
    if (n == 0)
        puts("  (none)");
    for (size_t k = 0; k < n; k++) {
        fputs("  ", stdout);
        put_text(v[k].value, color, false);
        format_count(v[k].count, num);
        printf("%*s  %*s\n", (int)(vw - text_width(v[k].value)), "", cw, num);
    }
}

/* Each facet as a table, after the hits. */
static void print_facets(const mg_client_results *r, bool color)
{
    for (size_t i = 0; i < r->nfacets; i++)
        print_table(r->facets[i].name, r->facets[i].values, r->facets[i].nvalues, color);
}

/* The reply of a "values" request: how many, then the table. 0, or -1 when
 * the reply is not one. */
static int print_values(const char *reply, size_t len, const char *what, bool color)
{
    json_t *root = json_loadb(reply, len, 0, NULL);
    json_t *vals = json_object_get(root, "values");
    size_t n = json_array_size(vals), i;
    mg_client_facet_value *v = calloc(n ? n : 1, sizeof *v);
    if (!json_is_array(vals) || !v) {
        json_decref(root);
        free(v);
        return -1;
    }
    json_t *x;
    json_array_foreach(vals, i, x)
    {
        v[i].value = json_string_value(json_object_get(x, "value"));
        v[i].count = (unsigned long)json_integer_value(json_object_get(x, "count"));
        if (!v[i].value)
            v[i].value = "";
    }
    unsigned long long total =
        (unsigned long long)json_integer_value(json_object_get(root, "total"));
    put_count(total);
    printf(" %s", total == 1 ? what : strcmp(what, "source") == 0 ? "sources" : "categories");
    if (n < total)
        printf(", the %zu with the most articles (--limit for more)", n);
    putchar('\n');
    print_table(NULL, v, n, color);
    free(v);
    json_decref(root);
    return 0;
}

/* ---- timeline ---- */

typedef struct period_count {
    char key[MG_PERIOD_KEY_MAX];
    unsigned long count;
} period_count;

/* The period of a --since/--until date (YYYY[-MM[-DD]]: its first or last
 * day), into key. 0, or -1 after saying why. */
static int bound_period(const char *date, bool end, int by, char key[MG_PERIOD_KEY_MAX])
{
    char slot[15];
    const char *why;
    if (mg_query_date_bound(date, strlen(date), end, slot, &why) < 0 ||
        mg_period_key(by, slot, strlen(slot), key) < 0) {
        fprintf(stderr, "morgue: bad date '%s'\n", date);
        return -1;
    }
    return 0;
}

/* The facet's buckets as a series from the first period to the last (or
 * from --since to --until), empty periods as zero; the undated count apart.
 * Returns the number of periods, or -1 after printing why (*out is then
 * NULL). Caller frees *out. */
static long make_series(const opts *o, const mg_client_facet *f, period_count **out,
                        unsigned long *undated)
{
    char first[MG_PERIOD_KEY_MAX] = "", last[MG_PERIOD_KEY_MAX] = "";
    size_t dated = 0;
    *out = NULL;
    *undated = 0;
    for (size_t k = 0; f && k < f->nvalues; k++) {
        if (strcmp(f->values[k].value, "undated") == 0) {
            *undated += f->values[k].count;
            continue;
        }
        if (!dated++)
            snprintf(first, sizeof first, "%s", f->values[k].value);
        snprintf(last, sizeof last, "%s", f->values[k].value);
    }
    if (o->q.since && bound_period(o->q.since, false, o->by, first) < 0)
        return -1;
    if (o->q.until && bound_period(o->q.until, true, o->by, last) < 0)
        return -1;
    if (!first[0] || !last[0] || strcmp(first, last) > 0)
        return 0; /* no dated match and no range given */
    period_count *s = NULL;
    long n = 0;
    size_t k = 0;
    char key[MG_PERIOD_KEY_MAX];
    snprintf(key, sizeof key, "%s", first);
    for (;;) {
        if (n == MAX_PERIODS) {
            free(s);
            fprintf(stderr,
                    "morgue: the timeline would have more than %d periods: use a longer --by, "
                    "or --since and --until\n",
                    MAX_PERIODS);
            return -1;
        }
        if (n % 256 == 0) {
            period_count *g = realloc(s, (size_t)(n + 256) * sizeof *s);
            if (!g) {
                free(s);
                fprintf(stderr, "morgue: out of memory\n");
                return -1;
            }
            s = g;
        }
        memcpy(s[n].key, key, sizeof key);
        s[n].count = 0;
        while (f && k < f->nvalues && strcmp(f->values[k].value, key) <= 0) {
            if (strcmp(f->values[k].value, key) == 0)
                s[n].count = f->values[k].count;
            k++;
        }
        n++;
        if (strcmp(key, last) >= 0 || mg_period_next(o->by, s[n - 1].key, key) < 0)
            break;
    }
    *out = s;
    return n;
}

/* Whether bars may use Unicode blocks: a terminal in a UTF-8 locale. */
static bool utf8_terminal(void)
{
    if (!isatty(STDOUT_FILENO))
        return false;
    const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strcasestr(v, "UTF-8") || strcasestr(v, "utf8");
    }
    return false;
}

/* Columns of the terminal, else $COLUMNS, else 80. */
static int terminal_columns(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    long v;
    if (c && parse_size(c, 1, 10000, &v) == 0)
        return (int)v;
    return 80;
}

/* A bar of count/max of width columns: eighths of a block in UTF-8, else
 * whole '#' characters; at least the smallest mark when count > 0. */
static void put_bar(unsigned long count, unsigned long max, int width, bool utf8)
{
    static const char *const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    unsigned long long units = max ? (unsigned long long)count * (unsigned)width * 8 / max : 0;
    if (count > 0 && units < (utf8 ? 1u : 8u)) /* a period with articles is never blank */
        units = utf8 ? 1 : 8;
    if (!utf8) {
        units /= 8;
        for (unsigned long long i = 0; i < units; i++)
            putchar('#');
        for (unsigned long long i = units; i < (unsigned long long)width; i++)
            putchar(' ');
        return;
    }
    for (unsigned long long i = 0; i < units / 8; i++)
        fputs("█", stdout);
    fputs(eighths[units % 8], stdout);
    for (unsigned long long i = units / 8 + (units % 8 != 0); i < (unsigned long long)width; i++)
        putchar(' ');
}

static void print_timeline(const mg_client_results *r, const period_count *s, long n,
                           unsigned long undated, const char *by)
{
    unsigned long max = undated;
    int kw = undated ? 7 : 4, cw = 1;
    char num[32];
    for (long i = 0; i < n; i++) {
        max = s[i].count > max ? s[i].count : max;
        int w = (int)strlen(s[i].key);
        kw = w > kw ? w : kw;
    }
    cw = format_count(max, num);
    int width = terminal_columns() - kw - cw - 4;
    if (width < 10)
        width = 10;
    bool utf8 = utf8_terminal();
    put_total(r->total_estimate, r->total_lower, r->total_upper, r->total_exact);
    printf(" result%s by %s (%.2f ms)\n", r->total_upper == 1 ? "" : "s", by,
           (double)r->took_us / 1000.0);
    for (long i = 0; i <= n; i++) {
        if (i == n && !undated)
            break;
        unsigned long c = i < n ? s[i].count : undated;
        format_count(c, num);
        printf("%-*s  ", kw, i < n ? s[i].key : "undated");
        put_bar(c, max, width, utf8);
        printf("  %*s\n", cw, num);
    }
}

/* The series as CSV (period,count) or JSON; the undated count last. */
static void put_series(const mg_client_results *r, const period_count *s, long n,
                       unsigned long undated, const char *by, bool csv)
{
    if (csv) {
        puts("period,count");
        for (long i = 0; i < n; i++)
            printf("%s,%lu\n", s[i].key, s[i].count);
        if (undated)
            printf("undated,%lu\n", undated);
        return;
    }
    printf("{\"interval\":\"%s\",\"total\":%llu,\"total_exact\":%s,\"undated\":%lu,\"series\":[",
           by, r->total_lower, r->total_exact ? "true" : "false", undated);
    for (long i = 0; i < n; i++)
        printf("%s{\"period\":\"%s\",\"count\":%lu}", i ? "," : "", s[i].key, s[i].count);
    puts("]}");
}

/* Text for SVG: &, < and > as entities (keys and counts hold no others). */
static void svg_text(FILE *f, const char *s)
{
    for (; *s; s++)
        fputs(*s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : (char[]){*s, 0}, f);
}

/* The chart as an SVG file: one row per period (the undated last), a bar
 * and the count, a title with the query. 0, or -1 after saying why. */
static int write_svg(const char *path, const char *query, const period_count *s, long n,
                     unsigned long undated, const char *by)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "morgue: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    const int row = 18, top = 30, left = 90, barw = 560;
    long rows = n + (undated ? 1 : 0);
    unsigned long max = undated;
    for (long i = 0; i < n; i++)
        max = s[i].count > max ? s[i].count : max;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%ld\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n"
            "<text x=\"0\" y=\"16\" font-weight=\"bold\">",
            left + barw + 70, top + rows * row + 10);
    svg_text(f, query);
    fprintf(f, " (articles by %s)</text>\n", by);
    for (long i = 0; i < rows; i++) {
        unsigned long c = i < n ? s[i].count : undated;
        long y = top + i * row;
        double w = max ? (double)c * barw / (double)max : 0;
        fprintf(f,
                "<text x=\"0\" y=\"%ld\">%s</text><rect x=\"%d\" y=\"%ld\" width=\"%.1f\" "
                "height=\"%d\" fill=\"#4a6fa5\"/><text x=\"%.1f\" y=\"%ld\">%lu</text>\n",
                y + 13, i < n ? s[i].key : "undated", left, y + 2, w, row - 4, left + w + 4, y + 13,
                c);
    }
    fputs("</svg>\n", f);
    if (ferror(f) | (fclose(f) != 0)) {
        fprintf(stderr, "morgue: cannot write %s: %s\n", path, strerror(errno ? errno : EIO));
        return -1;
    }
    return 0;
}

static int timeline(const opts *o, const mg_client_results *r, const char *query)
{
    const mg_client_facet *f = NULL;
    const char *by = mg_period_name(o->by);
    for (size_t i = 0; i < r->nfacets; i++)
        if (strcmp(r->facets[i].name, by) == 0)
            f = &r->facets[i];
    period_count *s;
    unsigned long undated;
    long n = make_series(o, f, &s, &undated);
    if (n < 0)
        return EXIT_USAGE;
    if (o->svg && write_svg(o->svg, query, s, n, undated, by) != 0) {
        free(s);
        return EXIT_USAGE;
    }
    if (o->json || o->csv)
        put_series(r, s, n, undated, by, o->csv);
    else
        print_timeline(r, s, n, undated, by);
    free(s);
    return r->total_upper > 0 ? EXIT_HITS : EXIT_NONE;
}

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

/* ---- transport: daemon or in-process ---- */

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
        if (parse_size(port, 1, 65535, &p) != 0)
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

/* Send req and get the reply text, from the daemon or from the index in
 * process. Returns 0, or an exit status after printing the problem. */
static int exchange(const opts *o, const char *req, size_t len, char **reply, size_t *rlen)
{
    if (o->db) {
        mg_err err;
        mg_err_clear(&err);
        mg_search_limits lim; /* ranked as morgued ranks: the same environment */
        mg_search_limits_default(&lim);
        mg_search_limits_from_env(&lim, getenv);
        mg_searcher *s = mg_searcher_open(o->db, &lim, &err);
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
    const char *env = getenv("MORGUE_ENDPOINT");
    if (o->nendpoints == 0 && !(env && *env) && no_daemon(mg_client_endpoints(c))) {
        fprintf(stderr,
                "morgue: no daemon at %s (no socket file, or nothing listens): start "
                "morgued, or search an index with --db DIR\n",
                mg_client_endpoints(c));
        mg_client_free(c);
        return EXIT_UNREACHABLE;
    }
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

/* ---- export (--format) ---- */

enum { FMT_NONE, FMT_CSV, FMT_TSV, FMT_JSONL };

/* A CSV field (RFC 4180): quoted, quotes doubled, when it holds a comma, a
 * quote or a line break. A TSV field: tabs and line breaks become spaces. */
static void put_field(const char *s, int fmt, bool first)
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
            out_errno = errno ? errno : EIO;
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
        put_field(fields[i], fmt, i == 0);
    putchar('\n');
}

/* Every hit of the query (or the first --limit), in rank order, page after
 * page with the daemon's cursor: nothing is held between pages. */
/* The search request of q with --added-since/--added-until (protocol fields
 * that mg_client_query does not carry). malloc'd; NULL when out of memory. */
static char *search_request(const opts *o, const mg_client_query *q, size_t *len)
{
    char *req = mg_client_search_request(q, len);
    if (!req || (!o->added_since && !o->added_until))
        return req;
    json_t *r = json_loadb(req, *len, 0, NULL);
    free(req);
    if (r && o->added_since)
        json_object_set_new(r, "added_since", json_string(o->added_since));
    if (r && o->added_until)
        json_object_set_new(r, "added_until", json_string(o->added_until));
    req = r ? json_dumps(r, JSON_COMPACT) : NULL;
    *len = req ? strlen(req) : 0;
    json_decref(r);
    return req;
}

static int export_hits(const opts *o, const char *query)
{
    mg_client_query q = o->q;
    q.query = query;
    q.offset = 0;
    q.cursor = true;
    q.no_snippets = !o->snippets;
    q.no_hits = false;
    size_t want = o->q.limit ? o->q.limit : (size_t)-1, done = 0;
    char *after = NULL;
    int status = EXIT_NONE;
    if (o->format != FMT_JSONL) {
        const char *head[] = {"rank", "id",    "date",    "source", "title",
                              "url",  "score", "matched", "snippet"};
        for (size_t i = 0; i < sizeof head / sizeof head[0] - (o->snippets ? 0 : 1); i++)
            put_field(head[i], o->format, i == 0);
        putchar('\n');
    }
    for (;;) {
        size_t len, rlen;
        char *reply;
        q.limit = want - done < 1000 ? want - done : 1000;
        q.after = after;
        char *req = search_request(o, &q, &len);
        if (!req) {
            status = EXIT_USAGE;
            break;
        }
        int rc = exchange(o, req, len, &reply, &rlen);
        free(req);
        if (rc != 0) {
            status = rc;
            break;
        }
        mg_client_results *r;
        mg_client_err err;
        if (mg_client_results_parse(reply, rlen, &r, &err) != 0) {
            free(reply);
            status = server_error(&err);
            break;
        }
        json_t *hits = json_object_get((json_t *)r->internal_, "hits");
        for (size_t i = 0; i < r->nhits; i++)
            put_row(json_array_get(hits, i), &r->hits[i], o->format, o->snippets);
        done += r->nhits;
        if (done)
            status = EXIT_HITS;
        free(after);
        after = r->next && done < want ? strdup(r->next) : NULL;
        mg_client_results_free(r);
        free(reply);
        if (!after || ferror(stdout))
            break;
    }
    free(after);
    return status;
}

/* When --source NAME matched no source at all: say so on stderr, offering
 * the sources whose folded names hold NAME's ("gazette" for "Harbor
 * Gazette"), at most 5. */
static void suggest_sources(const opts *o)
{
    char want[256], name[256];
    mg_err e;
    if (mg_fold_phrase(o->q.source, strlen(o->q.source), want, sizeof want, &e) <= 0)
        return;
    json_t *r =
        json_pack("{s:i,s:s,s:s,s:i}", "v", 1, "op", "values", "field", "source", "limit", 100000);
    char *req = r ? json_dumps(r, JSON_COMPACT) : NULL, *reply = NULL;
    size_t rlen;
    json_decref(r);
    fflush(stdout); /* the note follows what was printed */
    if (!req || exchange(o, req, strlen(req), &reply, &rlen) != 0) {
        free(req);
        return;
    }
    free(req);
    json_t *root = json_loadb(reply, rlen, 0, NULL);
    json_t *vals = json_object_get(root, "values"), *v;
    size_t i, shown = 0;
    char offer[1024] = "";
    bool starts = false;
    json_array_foreach(vals, i, v)
    {
        const char *s = json_string_value(json_object_get(v, "value"));
        if (!s || mg_fold_phrase(s, strlen(s), name, sizeof name, &e) <= 0)
            continue;
        starts = starts || strncmp(name, want, strlen(want)) == 0;
        if (strstr(name, want) && shown++ < 5)
            snprintf(offer + strlen(offer), sizeof offer - strlen(offer), "%s\"%s\"",
                     shown > 1 ? ", " : "", s);
    }
    if (json_is_array(vals) && !starts)
        fprintf(stderr, "morgue: note: no source is called '%s' or starts with it%s%s\n",
                o->q.source, offer[0] ? "; did you mean --source " : " (morgue sources lists them)",
                offer);
    json_decref(root);
    free(reply);
}

static int watch_exchange(const void *ctx, const char *req, size_t len, char **reply, size_t *rlen)
{
    return exchange(ctx, req, len, reply, rlen);
}

static int run(const opts *o, const char *cmd, char **args, int nargs)
{
    if (strcmp(cmd, "watch") == 0) {
        mg_watch_env env = {watch_exchange, o, o->q.source, o->q.no_relax};
        return mg_watch_command(&env, args, nargs);
    }
    int status;
    char *req = NULL, *reply = NULL;
    size_t len = 0, rlen = 0;
    mg_client_query q = o->q;
    char *query = NULL;

    bool is_timeline = strcmp(cmd, "timeline") == 0;
    if (strcmp(cmd, "search") == 0 || is_timeline) {
        if (nargs == 0)
            return usage_error("%s needs a query", cmd);
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
        if (o->format && !is_timeline) {
            status = export_hits(o, query);
            free(query);
            return status;
        }
        if (is_timeline) {
            /* the articles with every word: a timeline of those with some
             * would chart the commonest word */
            q.no_relax = true;
            q.no_hits = true;
            q.facets = MG_CLIENT_FACET_YEAR << o->by;
        }
        if (o->page > 1)
            q.offset = (size_t)(o->page - 1) * (q.limit ? q.limit : 10);
        if (!o->json && !is_timeline) {
            q.hl_start = HL_START;
            q.hl_end = HL_END;
            const char *w = operator_word(query);
            if (w)
                fprintf(stderr,
                        "morgue: note: '%s' is searched for as a word; operators are upper case "
                        "(NOT or -word, OR, AND, NEAR)\n",
                        w);
        }
        req = search_request(o, &q, &len);
    } else if (strcmp(cmd, "get") == 0) {
        if (nargs != 1)
            return usage_error("get needs exactly one id");
        if (o->copies) {
            json_t *r = json_pack("{s:i,s:s,s:s,s:b}", "v", 1, "op", "get", "id", args[0],
                                  "copies", 1);
            req = r ? json_dumps(r, JSON_COMPACT) : NULL;
            len = req ? strlen(req) : 0;
            json_decref(r);
        } else {
            req = mg_client_get_request(args[0], &len);
        }
    } else if (strcmp(cmd, "sources") == 0 || strcmp(cmd, "categories") == 0) {
        if (nargs != 0)
            return usage_error("%s takes no argument", cmd);
        json_t *r = json_pack("{s:i,s:s,s:s,s:I}", "v", 1, "op", "values", "field",
                              cmd[0] == 's' ? "source" : "category", "limit",
                              (json_int_t)(q.limit ? q.limit : 100));
        req = r ? json_dumps(r, JSON_COMPACT) : NULL;
        len = req ? strlen(req) : 0;
        json_decref(r);
    } else if (strcmp(cmd, "stats") == 0 || strcmp(cmd, "ping") == 0) {
        if (nargs != 0)
            return usage_error("%s takes no argument", cmd);
        if (o->prometheus && cmd[1] != 't')
            return usage_error("--prometheus is for stats");
        json_t *r = json_pack("{s:i,s:s}", "v", 1, "op", o->prometheus ? "metrics" : cmd);
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

    status = exchange(o, req, len, &reply, &rlen);
    free(req);
    if (status != 0) {
        free(query);
        return status;
    }

    mg_client_err err;
    if (strcmp(cmd, "search") == 0 || is_timeline) {
        mg_client_results *r;
        bool parsed = mg_client_results_parse(reply, rlen, &r, &err) == 0;
        if (parsed)
            warn_partial(r);
        if (!parsed)
            status = server_error(&err);
        else if (q.no_hits)
            status = r->total_upper > 0 ? EXIT_HITS : EXIT_NONE;
        else
            status = r->nhits > 0 ? EXIT_HITS : EXIT_NONE;
        if (parsed && is_timeline)
            status = timeline(o, r, query);
        else if (o->json)
            put_json(reply);
        else if (parsed) {
            print_results(r, o->color);
            print_footer(r, o, q.limit ? q.limit : 10);
            print_facets(r, o->color);
        }
        if (parsed && q.source && !o->json && r->total_upper == 0)
            suggest_sources(o);
        if (parsed)
            mg_client_results_free(r);
    } else if (strcmp(cmd, "get") == 0) {
        mg_client_doc *d;
        status = mg_client_doc_parse(reply, rlen, &d, &err) != 0 ? server_error(&err) : EXIT_HITS;
        if (o->json)
            put_json(reply);
        else if (status == EXIT_HITS && o->copies)
            print_copies(reply, rlen);
        else if (status == EXIT_HITS)
            print_doc(d, o->color);
        if (status == EXIT_HITS)
            mg_client_doc_free(d);
    } else if (strcmp(cmd, "sources") == 0 || strcmp(cmd, "categories") == 0) {
        json_t *r = json_loadb(reply, rlen, 0, NULL);
        bool ok = json_is_true(json_object_get(r, "ok"));
        json_t *e = json_object_get(r, "error");
        if (!ok)
            fprintf(stderr, "morgue: %s: %s\n", json_string_value(json_object_get(e, "code")),
                    json_string_value(json_object_get(e, "message")));
        json_decref(r);
        status = ok ? EXIT_HITS : EXIT_USAGE;
        if (o->json)
            put_json(reply);
        else if (ok &&
                 print_values(reply, rlen, cmd[0] == 's' ? "source" : "category", o->color) != 0)
            status = EXIT_USAGE;
    } else if (strcmp(cmd, "stats") == 0 && o->prometheus) {
        json_t *r = json_loadb(reply, rlen, 0, NULL);
        const char *text = json_string_value(json_object_get(r, "metrics"));
        if (o->json)
            put_json(reply);
        else if (text)
            fputs(text, stdout);
        if (!text) {
            mg_client_stats *none = NULL;
            status = mg_client_stats_parse(reply, rlen, &none, &err) != 0 ? server_error(&err)
                                                                          : EXIT_USAGE;
            mg_client_stats_free(none);
        }
        json_decref(r);
    } else if (strcmp(cmd, "stats") == 0) {
        mg_client_stats *st;
        status = mg_client_stats_parse(reply, rlen, &st, &err) != 0 ? server_error(&err) : 0;
        if (o->json)
            put_json(reply);
        else if (status == 0)
            print_flat(st->internal_, "", o->color);
        if (status == 0)
            mg_client_stats_free(st);
    } else { /* ping */
        json_t *r = json_loadb(reply, rlen, 0, NULL);
        bool ok = json_is_true(json_object_get(r, "ok"));
        json_decref(r);
        if (o->json)
            put_json(reply);
        else if (ok)
            printf("pong\n");
        if (!ok) {
            fprintf(stderr, "morgue: the daemon did not answer the ping: %s\n", reply);
            status = EXIT_USAGE;
        }
    }
    free(reply);
    free(query);
    return status;
}

/* Whatever was printed must have reached stdout (a full disk, a closed
 * file): otherwise say so and exit 2. A reader that went away (EPIPE, e.g.
 * `| head`) is not an error. */
static int output_written(int status)
{
    int e = out_errno;
    if (fflush(stdout) != 0)
        e = errno;
    else if (!ferror(stdout))
        return status;
    if (e == EPIPE)
        return status;
    fprintf(stderr, "morgue: cannot write output: %s\n", strerror(e ? e : EIO));
    return EXIT_USAGE;
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
        O_PROMETHEUS,
        O_COLOR,
        O_LIMIT,
        O_PAGE,
        O_OFFSET,
        O_SORT,
        O_SINCE,
        O_UNTIL,
        O_ADDED_SINCE,
        O_ADDED_UNTIL,
        O_SOURCE,
        O_STRICT,
        O_FACETS,
        O_BY,
        O_CSV,
        O_FORMAT,
        O_SVG,
        O_SNIPPETS,
        O_NO_COLLAPSE,
        O_COPIES,
        O_HELP,
        O_VERSION
    };
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, O_ENDPOINT},
        {"db", required_argument, NULL, O_DB},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"retries", required_argument, NULL, O_RETRIES},
        {"curve-server-key", required_argument, NULL, O_SERVERKEY},
        {"curve-key", required_argument, NULL, O_KEY},
        {"json", no_argument, NULL, O_JSON},
        {"prometheus", no_argument, NULL, O_PROMETHEUS},
        {"color", required_argument, NULL, O_COLOR},
        {"colour", required_argument, NULL, O_COLOR},
        {"limit", required_argument, NULL, O_LIMIT},
        {"page", required_argument, NULL, O_PAGE},
        {"offset", required_argument, NULL, O_OFFSET},
        {"sort", required_argument, NULL, O_SORT},
        {"since", required_argument, NULL, O_SINCE},
        {"until", required_argument, NULL, O_UNTIL},
        {"added-since", required_argument, NULL, O_ADDED_SINCE},
        {"added-until", required_argument, NULL, O_ADDED_UNTIL},
        {"source", required_argument, NULL, O_SOURCE},
        {"strict", no_argument, NULL, O_STRICT},
        {"facets", required_argument, NULL, O_FACETS},
        {"by", required_argument, NULL, O_BY},
        {"csv", no_argument, NULL, O_CSV},
        {"format", required_argument, NULL, O_FORMAT},
        {"svg", required_argument, NULL, O_SVG},
        {"snippets", no_argument, NULL, O_SNIPPETS},
        {"no-collapse", no_argument, NULL, O_NO_COLLAPSE},
        {"copies", no_argument, NULL, O_COPIES},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    opts o;
    memset(&o, 0, sizeof o);
    o.by = MG_PERIOD_MONTH;
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
        case O_PROMETHEUS:
            o.prometheus = true;
            break;
        case O_COLOR:
            color = optarg;
            if (strcmp(color, "auto") && strcmp(color, "always") && strcmp(color, "never"))
                return usage_error("--color wants auto, always or never, not '%s'", optarg);
            break;
        case O_LIMIT:
            if (parse_size(optarg, 0, 1000000, &v) != 0)
                return usage_error("--limit wants a number, not '%s'", optarg);
            o.q.limit = (size_t)v;
            o.q.no_hits = v == 0;
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
            if (strcmp(optarg, "relevance") && strcmp(optarg, "newest") &&
                strcmp(optarg, "oldest") && strcmp(optarg, "relevance+recency"))
                return usage_error(
                    "--sort wants relevance, newest, oldest or relevance+recency, not '%s'",
                    optarg);
            o.q.sort = optarg;
            break;
        case O_SINCE:
            o.q.since = optarg;
            break;
        case O_UNTIL:
            o.q.until = optarg;
            break;
        case O_ADDED_SINCE:
        case O_ADDED_UNTIL:
            /* the daemon checks the time; here only that it is one */
            if (!*optarg || strlen(optarg) > 32 || optarg[strspn(optarg, "0123456789-:TZ ")])
                return usage_error("--%s wants a UTC time YYYY[-MM[-DD[Thh[:mm[:ss]]]]]",
                                   c == O_ADDED_SINCE ? "added-since" : "added-until");
            *(c == O_ADDED_SINCE ? &o.added_since : &o.added_until) = optarg;
            break;
        case O_SOURCE:
            o.q.source = optarg;
            break;
        case O_STRICT:
            o.q.no_relax = true;
            break;
        case O_FACETS:
            if (parse_facets(optarg, &o.q.facets) != 0)
                return usage_error("--facets wants a list of source, category, year, month, "
                                   "week, day (comma-separated), not '%s'",
                                   optarg);
            break;
        case O_BY:
            if ((o.by = mg_period_parse(optarg)) < 0)
                return usage_error("--by wants year, month, week or day, not '%s'", optarg);
            break;
        case O_CSV:
            o.csv = true;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "csv") == 0)
                o.format = FMT_CSV;
            else if (strcmp(optarg, "tsv") == 0)
                o.format = FMT_TSV;
            else if (strcmp(optarg, "jsonl") == 0)
                o.format = FMT_JSONL;
            else
                return usage_error("--format wants csv, tsv or jsonl, not '%s'", optarg);
            break;
        case O_SNIPPETS:
            o.snippets = true;
            break;
        case O_SVG:
            o.svg = optarg;
            break;
        case O_NO_COLLAPSE:
            o.q.no_collapse = true;
            break;
        case O_COPIES:
            o.copies = true;
            break;
        case 'h':
        case O_HELP:
            usage(stdout);
            return output_written(0);
        case O_VERSION:
            printf("morgue %s\n", MORGUE_VERSION);
            return output_written(0);
        default:
            fputs("(morgue --help for usage)\n", stderr);
            return EXIT_USAGE;
        }
    }
    if (o.page && o.offset_set)
        return usage_error("--page and --offset do not go together");
    if (o.format && (o.page || o.offset_set || o.json))
        return usage_error("--format exports every hit: not with --page, --offset or --json");
    if (optind >= argc)
        return usage_error(
            "which command? search, timeline, sources, categories, get, stats, ping, watch or "
            "keygen");
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
        return output_written(0);
    }
    return output_written(run(&o, cmd, argv + optind + 1, argc - optind - 1));
}
