/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgue timeline: a search's articles per period (the facet of its
 * --by), as bars on a terminal, CSV or JSON, and an SVG chart. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "period.h"
#include "query.h"

/* The most periods a timeline draws (10,000 days are 27 years). */
#define MAX_PERIODS 10000

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

/* Widen first..last ("" when unset) to the facet's dated periods; add
 * its undated count to *undated. */
static void facet_range(const mg_client_facet *f, char first[MG_PERIOD_KEY_MAX],
                        char last[MG_PERIOD_KEY_MAX], unsigned long *undated)
{
    for (size_t k = 0; f && k < f->nvalues; k++) {
        const char *v = f->values[k].value;
        if (strcmp(v, "undated") == 0) {
            *undated += f->values[k].count;
            continue;
        }
        if (!first[0] || strcmp(v, first) < 0)
            snprintf(first, MG_PERIOD_KEY_MAX, "%s", v);
        if (!last[0] || strcmp(v, last) > 0)
            snprintf(last, MG_PERIOD_KEY_MAX, "%s", v);
    }
}

/* The facet's buckets as a series from first to last (--since and
 * --until replace them when given), empty periods as zero. Returns the
 * number of periods, or -1 after printing why (*out is then NULL). Caller
 * frees *out. */
static long fill_series(const cli_opts *o, const mg_client_facet *f, char first[MG_PERIOD_KEY_MAX],
                        char last[MG_PERIOD_KEY_MAX], period_count **out)
{
    *out = NULL;
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
    if (c && mg_parse_long(c, 1, 10000, &v) == 0)
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
    cw = cli_format_count(max, num);
    int width = terminal_columns() - kw - cw - 4;
    if (width < 10)
        width = 10;
    bool utf8 = utf8_terminal();
    cli_put_total(r->total_estimate, r->total_lower, r->total_upper, r->total_exact);
    printf(" result%s by %s (%.2f ms)\n", r->total_upper == 1 ? "" : "s", by,
           (double)r->took_us / 1000.0);
    for (long i = 0; i <= n; i++) {
        if (i == n && !undated)
            break;
        unsigned long c = i < n ? s[i].count : undated;
        cli_format_count(c, num);
        printf("%-*s  ", kw, i < n ? s[i].key : "undated");
        put_bar(c, max, width, utf8);
        printf("  %*s\n", cw, num);
    }
}

/* The facet's buckets as a series from its first period to its last (or
 * from --since to --until); the undated count apart. As fill_series. */
static long make_series(const cli_opts *o, const mg_client_facet *f, period_count **out,
                        unsigned long *undated)
{
    char first[MG_PERIOD_KEY_MAX] = "", last[MG_PERIOD_KEY_MAX] = "";
    *undated = 0;
    facet_range(f, first, last, undated);
    return fill_series(o, f, first, last, out);
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

int cli_timeline(const cli_opts *o, const mg_client_results *r, const char *query)
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

/* A query as a column's name: its first 20 bytes, cut at a character
 * boundary, "..." after when cut. */
static void column_name(const char *q, char out[32])
{
    size_t n = strlen(q);
    if (n <= 20) {
        snprintf(out, 32, "%s", q);
        return;
    }
    n = 20;
    while (n > 0 && ((unsigned char)q[n] & 0xC0) == 0x80)
        n--;
    snprintf(out, 32, "%.*s...", (int)n, q);
}

static void put_compare_json(const cli_opts *o, mg_client_results *const *r,
                             const char *const *queries, size_t nq, period_count *const *s, long n,
                             const unsigned long *undated)
{
    json_t *root = json_object(), *qs = json_array(), *series = json_array();
    for (size_t i = 0; i < nq; i++)
        json_array_append_new(qs, json_pack("{s:s,s:I,s:b,s:I}", "query", queries[i], "total",
                                            (json_int_t)r[i]->total_lower, "total_exact",
                                            r[i]->total_exact, "undated", (json_int_t)undated[i]));
    for (long p = 0; p < n; p++) {
        json_t *counts = json_array();
        for (size_t i = 0; i < nq; i++)
            json_array_append_new(counts, json_integer((json_int_t)s[i][p].count));
        json_array_append_new(series,
                              json_pack("{s:s,s:o}", "period", s[0][p].key, "counts", counts));
    }
    json_object_set_new(root, "interval", json_string(mg_period_name(o->by)));
    json_object_set_new(root, "queries", qs);
    json_object_set_new(root, "series", series);
    char *text = json_dumps(root, JSON_COMPACT);
    if (text)
        puts(text);
    free(text);
    json_decref(root);
}

int cli_timeline_compare(const cli_opts *o, mg_client_results *const *r, const char *const *queries,
                         size_t nq)
{
    if (o->svg) {
        fprintf(stderr,
                "morgue: --svg draws one query, not a comparison (--csv gives the table)\n");
        return EXIT_USAGE;
    }
    const char *by = mg_period_name(o->by);
    const mg_client_facet *f[CLI_MAX_VS + 1] = {0};
    unsigned long undated[CLI_MAX_VS + 1] = {0}, any_undated = 0;
    char first[MG_PERIOD_KEY_MAX] = "", last[MG_PERIOD_KEY_MAX] = "";
    for (size_t i = 0; i < nq; i++) {
        for (size_t k = 0; k < r[i]->nfacets; k++)
            if (strcmp(r[i]->facets[k].name, by) == 0)
                f[i] = &r[i]->facets[k];
        facet_range(f[i], first, last, &undated[i]);
        any_undated += undated[i];
    }
    /* every column over the same periods: the union of the queries' */
    period_count *s[CLI_MAX_VS + 1] = {0};
    long n = 0;
    int status = EXIT_NONE;
    for (size_t i = 0; i < nq; i++) {
        char a[MG_PERIOD_KEY_MAX], b[MG_PERIOD_KEY_MAX];
        memcpy(a, first, sizeof a);
        memcpy(b, last, sizeof b);
        if ((n = fill_series(o, f[i], a, b, &s[i])) < 0) {
            status = EXIT_USAGE;
            goto out;
        }
        if (r[i]->total_upper > 0)
            status = EXIT_HITS;
    }
    char name[32], num[32];
    if (o->json) {
        put_compare_json(o, r, queries, nq, s, n, undated);
    } else if (o->csv) {
        cli_put_field("period", FMT_CSV, true);
        for (size_t i = 0; i < nq; i++)
            cli_put_field(queries[i], FMT_CSV, false);
        putchar('\n');
        for (long p = 0; p <= n; p++) {
            if (p == n && !any_undated)
                break;
            fputs(p < n ? s[0][p].key : "undated", stdout);
            for (size_t i = 0; i < nq; i++)
                printf(",%lu", p < n ? s[i][p].count : undated[i]);
            putchar('\n');
        }
    } else {
        /* the totals, then one column a query, as wide as its name or count */
        int w[CLI_MAX_VS + 1], kw = any_undated ? 7 : 6;
        printf("results by %s:", by);
        for (size_t i = 0; i < nq; i++) {
            column_name(queries[i], name);
            printf("%s %s ", i ? "," : "", name);
            cli_put_total(r[i]->total_estimate, r[i]->total_lower, r[i]->total_upper,
                          r[i]->total_exact);
            unsigned long max = undated[i];
            for (long p = 0; p < n; p++)
                max = s[i][p].count > max ? s[i][p].count : max;
            int cw = cli_format_count(max, num), nw = (int)strlen(name);
            w[i] = cw > nw ? cw : nw;
        }
        for (long p = 0; p < n; p++)
            kw = (int)strlen(s[0][p].key) > kw ? (int)strlen(s[0][p].key) : kw;
        printf("\n%-*s", kw, "period");
        for (size_t i = 0; i < nq; i++) {
            column_name(queries[i], name);
            printf("  %*s", w[i], name);
        }
        putchar('\n');
        for (long p = 0; p <= n; p++) {
            if (p == n && !any_undated)
                break;
            printf("%-*s", kw, p < n ? s[0][p].key : "undated");
            for (size_t i = 0; i < nq; i++) {
                cli_format_count(p < n ? s[i][p].count : undated[i], num);
                printf("  %*s", w[i], num);
            }
            putchar('\n');
        }
    }
out:
    for (size_t i = 0; i < nq; i++)
        free(s[i]);
    return status;
}
