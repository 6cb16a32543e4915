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

/* The facet's buckets as a series from the first period to the last (or
 * from --since to --until), empty periods as zero; the undated count apart.
 * Returns the number of periods, or -1 after printing why (*out is then
 * NULL). Caller frees *out. */
static long make_series(const cli_opts *o, const mg_client_facet *f, period_count **out,
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
