/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The morgue CLI's own declarations, shared by its files and by nothing
 * else (the files and their jobs are listed in client/morgue.c). */
#ifndef MORGUE_CLI_H
#define MORGUE_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "morgue_client.h"
#include "num.h" /* mg_parse_long */

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

/* timeline --vs: at most this many queries beside the first. */
#define CLI_MAX_VS 7

/* --format: how search exports every hit (FMT_NONE: it does not). */
enum { FMT_NONE, FMT_CSV, FMT_TSV, FMT_JSONL };

typedef struct cli_opts {
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
    int by;                                /* timeline: an mg_period */
    bool csv;                              /* timeline: the series as CSV */
    const char *svg;                       /* timeline: also draw it into this SVG file */
    int format;                            /* search: FMT_* (export every hit) */
    bool snippets;                         /* export: with the snippet */
    bool copies;                           /* get: the ids of the document's folded copies */
    const char *added_since, *added_until; /* search: by when articles entered the index */
    const char *vs[CLI_MAX_VS];            /* timeline: the queries beside the first */
    size_t nvs;
} cli_opts;

/* A command: cmd is its name as typed, args what follows it (as many as
 * its line of the table in morgue.c allows). Returns the exit status,
 * after printing what went wrong. */
typedef int cli_command(const cli_opts *o, const char *cmd, char **args, int nargs);

/* ---- options.c: the command line ---- */

/* Parse argv's options into *o (the command is argv[optind] after it).
 * Returns -1 to go on, or the exit status when there is nothing left to
 * do: --help, --version, or a usage error (said on stderr). */
int cli_parse_options(int argc, char **argv, cli_opts *o);
/* "morgue: " and the message on stderr, then where the usage is; returns
 * EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* 0 when s is valid UTF-8 (text a request can carry), else EXIT_USAGE
 * after saying that what (an option's name, "the query") is not. */
int cli_check_text(const char *what, const char *s);

/* ---- exchange.c: talking to the daemon (or the --db index) ---- */

/* Send req and get the reply text (malloc'd, caller frees), from the daemon
 * or from the index in process. Returns 0, or an exit status after printing
 * the problem. */
int cli_exchange(const cli_opts *o, const char *req, size_t len, char **reply, size_t *rlen);
/* cli_exchange() of a request it takes and frees; a NULL req is "out of
 * memory" (said, EXIT_USAGE). */
int cli_roundtrip(const cli_opts *o, char *req, size_t len, char **reply, size_t *rlen);
/* The request r as compact JSON (malloc'd; NULL when out of memory), its
 * length into *len. Takes r (NULL: out of memory). */
char *cli_json_request(json_t *r, size_t *len);
/* The daemon's error, on stderr; the exit status that goes with it. */
int cli_server_error(const mg_client_err *err);

/* ---- print.c: human output, and whether it was written ---- */

/* A reply as is, on one line (--json). */
void cli_put_json(const char *reply);
/* Text with control characters made harmless (an article cannot move the
 * cursor or recolour the terminal); with markers, the highlight markers
 * become colour or vanish. */
void cli_put_text(const char *s, bool color, bool markers);
/* 1234567 -> "1,234,567" into out; returns its length. */
int cli_format_count(unsigned long long n, char out[32]);
/* A count as a person should read it: exact, or an estimate with its
 * bounds. */
void cli_put_total(unsigned long long estimate, unsigned long long lower, unsigned long long upper,
                   bool exact);
/* A page of hits under the header of totals (and "Did you mean"). */
void cli_print_results(const mg_client_results *r, bool color);
/* "results 11-20 of 211" and how to get the next page. */
void cli_print_footer(const mg_client_results *r, const cli_opts *o, size_t limit);
/* Each facet as a table, after the hits. */
void cli_print_facets(const mg_client_results *r, bool color);
/* One line on stderr when the results are not the whole index's. */
void cli_warn_partial(const mg_client_results *r);
/* The reply of a "values" request (what: "source" or "category"): how
 * many, then the table. 0, or -1 when the reply is not one. */
int cli_print_values(const char *reply, size_t len, const char *what, bool color);
/* Note a write to stdout that failed with errno e (stdio may not report it
 * again). */
void cli_write_failed(int e);
/* status, when whatever was printed reached stdout; otherwise say so and
 * return EXIT_USAGE. */
int cli_output_written(int status);

/* ---- cmd_search.c, export.c, timeline.c: search and what it draws ---- */

cli_command cli_cmd_search, cli_cmd_timeline, cli_cmd_terms;
/* The search request of q with --added-since/--added-until, and "terms"
 * when terms is not 0. malloc'd; NULL when out of memory. */
char *cli_search_request(const cli_opts *o, const mg_client_query *q, size_t terms, size_t *len);
/* search --format: every hit of query (or the first --limit) as rows. */
int cli_export_hits(const cli_opts *o, const char *query);
/* One field of a row (FMT_CSV: RFC 4180 quoting; FMT_TSV: tabs and line
 * breaks as spaces), after a separator unless first. */
void cli_put_field(const char *s, int fmt, bool first);
/* The timeline of the reply r to query: bars, CSV or JSON, and the SVG of
 * --svg. Returns the exit status. */
int cli_timeline(const cli_opts *o, const mg_client_results *r, const char *query);
/* The timelines of n queries side by side (timeline --vs), r[i] the reply
 * to queries[i]: a table of counts, CSV or JSON, over one range of
 * periods. Returns the exit status. */
int cli_timeline_compare(const cli_opts *o, mg_client_results *const *r, const char *const *queries,
                         size_t n);

/* ---- cmd_info.c: the other commands ---- */

cli_command cli_cmd_get, cli_cmd_values, cli_cmd_stats, cli_cmd_ping, cli_cmd_watch, cli_cmd_keygen;

#endif
