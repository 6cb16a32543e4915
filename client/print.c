/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgue's output for a person: hits and their totals, facet and value
 * tables, text made safe for a terminal; and whether stdout took it all. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "search.h" /* MG_MAX_WINDOW */
#include "utf8.h"

/* The errno of a failed write that stdio may not report again: a large
 * write goes to the file at once, and the final fflush() then has nothing
 * left to fail on. */
static int out_errno;

void cli_write_failed(int e)
{
    out_errno = e;
}

/* Whatever was printed must have reached stdout (a full disk, a closed
 * file): otherwise say so and exit 2. A reader that went away (EPIPE, e.g.
 * `| head`) is not an error. */
int cli_output_written(int status)
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

/* A reply as is, on one line (--json). */
void cli_put_json(const char *reply)
{
    if (fputs(reply, stdout) == EOF || putchar('\n') == EOF)
        out_errno = errno;
}

/* Print text with control characters made harmless: line breaks and tabs
 * become spaces, other controls U+FFFD, so an article cannot move the
 * cursor or recolour the terminal. Highlight markers become colour or
 * vanish. Never splits a UTF-8 character. */
void cli_put_text(const char *s, bool color, bool markers)
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
int cli_format_count(unsigned long long n, char out[32])
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
    cli_format_count(n, out);
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
void cli_put_total(unsigned long long estimate, unsigned long long lower, unsigned long long upper,
                   bool exact)
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
        cli_put_total(r->total_estimate, r->total_lower, r->total_upper, r->total_exact);
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
            cli_put_total(r->all_estimate, r->all_lower, r->all_upper, r->all_exact);
            printf(" article%s every word; then ", r->all_upper == 1 ? " has" : "s have");
        }
        cli_put_total(est, lo, up, lo == up);
        printf(" %s some of them", up == 1 ? "has" : "have");
    }
    printf(" (%.2f ms)\n", (double)r->took_us / 1000.0);
}

/* After a page: "results 11-20 of 211", and how to get the next page when
 * the page was full. */
void cli_print_footer(const mg_client_results *r, const cli_opts *o, size_t limit)
{
    if (r->nhits == 0)
        return;
    unsigned first = r->hits[0].rank, last = r->hits[r->nhits - 1].rank;
    printf("\nresults %u-%u of ", first, last);
    cli_put_total(r->total_estimate, r->total_lower, r->total_upper, r->total_exact);
    if (r->nhits == limit && last < r->total_upper) {
        if (last >= MG_MAX_WINDOW) /* no page reaches further */
            printf("; pages stop at %d: narrow the query, or --format exports every hit",
                   MG_MAX_WINDOW);
        else if (last + limit > MG_MAX_WINDOW) /* the next page is cut to fit */
            printf("; next: --offset %u --limit %u", last, MG_MAX_WINDOW - last);
        else if (o->offset_set)
            printf("; next: --offset %u", last);
        else
            printf("; next: --page %lu", (unsigned long)(last / limit + 1));
    }
    putchar('\n');
}

/* One line on stderr when the results are not the whole index's. */
void cli_warn_partial(const mg_client_results *r)
{
    if (r->nmissing) {
        fprintf(stderr, "morgue: warning: partial results: shard%s ", r->nmissing > 1 ? "s" : "");
        for (size_t i = 0; i < r->nmissing; i++)
            fprintf(stderr, "%s%s", i ? ", " : "", r->missing_shards[i]);
        fprintf(stderr, " unreachable, %s articles left out\n", r->nmissing > 1 ? "their" : "its");
    } else if (r->partial) {
        fprintf(stderr,
                "morgue: warning: partial results: the search ran out of its time budget\n");
    }
}

/* One hit: its rank (right-aligned in rank_width), day, source and title,
 * the snippet, then the id and how many copies it folds. */
static void print_hit(const mg_client_hit *h, int rank_width, bool color)
{
    printf("%*u. ", rank_width, h->rank);
    /* A person reads the day; the time stays in --json. */
    if (*h->date)
        printf("%.10s", h->date);
    else
        fputs("(no date)", stdout);
    if (*h->source) {
        fputs("  ", stdout);
        cli_put_text(h->source, color, false);
    }
    fputs("  ", stdout);
    if (color)
        fputs(ANSI_BOLD, stdout);
    cli_put_text(*h->title ? h->title : "(untitled)", color, false);
    if (color)
        fputs(ANSI_OFF, stdout);
    putchar('\n');
    if (h->snippet && *h->snippet) {
        fputs("    ", stdout);
        cli_put_text(h->snippet, color, true);
        putchar('\n');
    }
    fputs("    ", stdout);
    if (color)
        fputs(ANSI_DIM, stdout);
    fputs("id: ", stdout);
    cli_put_text(h->id, color, false);
    if (h->collapsed)
        printf(" (+%u similar)", h->collapsed);
    if (color)
        fputs(ANSI_OFF, stdout);
    putchar('\n');
}

void cli_print_results(const mg_client_results *r, bool color)
{
    print_header(r);
    if (r->suggestion && *r->suggestion) {
        fputs("Did you mean: ", stdout);
        cli_put_text(r->suggestion, color, false);
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
        print_hit(h, rank_width, color);
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
        int c = cli_format_count(v[k].count, num);
        vw = w > vw ? w : vw;
        cw = c > cw ? c : cw;
    }
    if (title)
        printf("\n%s%s%s\n", color ? ANSI_BOLD : "", title, color ? ANSI_OFF : "");
    if (n == 0)
        puts("  (none)");
    for (size_t k = 0; k < n; k++) {
        fputs("  ", stdout);
        cli_put_text(v[k].value, color, false);
        cli_format_count(v[k].count, num);
        printf("%*s  %*s\n", (int)(vw - text_width(v[k].value)), "", cw, num);
    }
}

/* Each facet as a table, after the hits. */
void cli_print_facets(const mg_client_results *r, bool color)
{
    for (size_t i = 0; i < r->nfacets; i++)
        print_table(r->facets[i].name, r->facets[i].values, r->facets[i].nvalues, color);
}

/* The reply of a "values" request: how many, then the table. 0, or -1 when
 * the reply is not one. */
int cli_print_values(const char *reply, size_t len, const char *what, bool color)
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
