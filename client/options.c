/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgue's command line: the usage text and the options, parsed into a
 * cli_opts (cli.h). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "period.h"
#include "utf8.h"
#include "version.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: morgue [options] search QUERY...\n"
               "       morgue [options] timeline QUERY...\n"
               "       morgue [options] terms QUERY...\n"
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
               "  --since DATE        only articles on or after DATE (YYYY[-MM[-DD]], or\n"
               "                      today, yesterday, Nd, Nw, Nm, Ny: N days, weeks,\n"
               "                      months or years ago, in UTC)\n"
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
               "  --vs QUERY          also QUERY, as a column beside the first (up to 7;\n"
               "                      a table of counts over the same periods)\n"
               "Terms (the words that set the best 100 matches apart, with the search's\n"
               "filters; how many of those articles hold each):\n"
               "  --limit N           how many words (default 20, at most 100)\n"
               "Watches (saved searches, in $XDG_STATE_HOME/morgue/watches.json):\n"
               "  watch add NAME QUERY...  save QUERY as NAME, with --source, --strict,\n"
               "                      --since and --until (the others are refused)\n"
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

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("morgue: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(morgue --help for usage)\n", stderr);
    return EXIT_USAGE;
}

int cli_check_text(const char *what, const char *s)
{
    if (mg_utf8_valid(s, strlen(s)))
        return 0;
    return cli_usage_error("%s is not valid UTF-8 (is the terminal's character set UTF-8?)", what);
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
    O_VS,
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
    {"vs", required_argument, NULL, O_VS},
    {"snippets", no_argument, NULL, O_SNIPPETS},
    {"no-collapse", no_argument, NULL, O_NO_COLLAPSE},
    {"copies", no_argument, NULL, O_COPIES},
    {"help", no_argument, NULL, O_HELP},
    {"version", no_argument, NULL, O_VERSION},
    {NULL, 0, NULL, 0},
};

/* The options whose value goes into a request as text, and so must be
 * UTF-8 (a path is the file system's business): their names, else NULL. */
static const char *text_option(int c)
{
    switch (c) {
    case O_SINCE:
        return "--since";
    case O_UNTIL:
        return "--until";
    case O_ADDED_SINCE:
        return "--added-since";
    case O_ADDED_UNTIL:
        return "--added-until";
    case O_SOURCE:
        return "--source";
    case O_VS:
        return "--vs";
    }
    return NULL;
}

/* What a set_*_option() returns for an option that is not of its kind. */
#define NOT_MINE (-1)

/* Where the daemon is and how to reach it: 0, NOT_MINE, or EXIT_USAGE
 * after saying why. */
static int set_connection_option(cli_opts *o, int c, const char *arg)
{
    long v;
    switch (c) {
    case O_ENDPOINT:
        if (o->nendpoints == sizeof o->endpoints / sizeof o->endpoints[0])
            return cli_usage_error("too many endpoints");
        o->endpoints[o->nendpoints++] = arg;
        return 0;
    case O_DB:
        o->db = arg;
        return 0;
    case O_TIMEOUT:
        if (mg_parse_long(arg, 1, 3600000, &v) != 0)
            return cli_usage_error("--timeout wants milliseconds, not '%s'", arg);
        o->copts.timeout_ms = (int)v;
        return 0;
    case O_RETRIES:
        if (mg_parse_long(arg, 0, 100, &v) != 0)
            return cli_usage_error("--retries wants 0..100, not '%s'", arg);
        o->copts.retries = (int)v;
        return 0;
    case O_SERVERKEY:
        o->server_key = arg;
        return 0;
    case O_KEY:
        o->client_key = arg;
        return 0;
    }
    return NOT_MINE;
}

/* The page of hits: 0, NOT_MINE, or EXIT_USAGE after saying why. */
static int set_page_option(cli_opts *o, int c, const char *arg)
{
    long v;
    switch (c) {
    case O_LIMIT:
        if (mg_parse_long(arg, 0, 1000000, &v) != 0)
            return cli_usage_error("--limit wants a number, not '%s'", arg);
        o->q.limit = (size_t)v;
        o->q.no_hits = v == 0;
        return 0;
    case O_PAGE:
        if (mg_parse_long(arg, 1, 1000000, &v) != 0)
            return cli_usage_error("--page wants a positive number, not '%s'", arg);
        o->page = v;
        return 0;
    case O_OFFSET:
        if (mg_parse_long(arg, 0, 100000000, &v) != 0)
            return cli_usage_error("--offset wants a number, not '%s'", arg);
        o->q.offset = (size_t)v;
        o->offset_set = true;
        return 0;
    case O_SORT:
        if (strcmp(arg, "relevance") && strcmp(arg, "newest") && strcmp(arg, "oldest") &&
            strcmp(arg, "relevance+recency"))
            return cli_usage_error(
                "--sort wants relevance, newest, oldest or relevance+recency, not '%s'", arg);
        o->q.sort = arg;
        return 0;
    case O_NO_COLLAPSE:
        o->q.no_collapse = true;
        return 0;
    }
    return NOT_MINE;
}

/* Which articles a search matches: 0, NOT_MINE, or EXIT_USAGE after saying
 * why. */
static int set_filter_option(cli_opts *o, int c, const char *arg)
{
    switch (c) {
    case O_SINCE:
        o->q.since = arg;
        return 0;
    case O_UNTIL:
        o->q.until = arg;
        return 0;
    case O_ADDED_SINCE:
    case O_ADDED_UNTIL:
        /* the daemon checks the time; here only that it is one */
        if (!*arg || strlen(arg) > 32 || arg[strspn(arg, "0123456789-:TZ ")])
            return cli_usage_error("--%s wants a UTC time YYYY[-MM[-DD[Thh[:mm[:ss]]]]]",
                                   c == O_ADDED_SINCE ? "added-since" : "added-until");
        *(c == O_ADDED_SINCE ? &o->added_since : &o->added_until) = arg;
        return 0;
    case O_SOURCE:
        o->q.source = arg;
        return 0;
    case O_STRICT:
        o->q.no_relax = true;
        return 0;
    case O_FACETS:
        if (parse_facets(arg, &o->q.facets) != 0)
            return cli_usage_error("--facets wants a list of source, category, year, month, "
                                   "week, day (comma-separated), not '%s'",
                                   arg);
        return 0;
    }
    return NOT_MINE;
}

/* How the answer is printed (*color: the --color word): 0, NOT_MINE, or
 * EXIT_USAGE after saying why. */
static int set_output_option(cli_opts *o, int c, const char *arg, const char **color)
{
    switch (c) {
    case O_JSON:
        o->json = true;
        return 0;
    case O_PROMETHEUS:
        o->prometheus = true;
        return 0;
    case O_COLOR:
        *color = arg;
        if (strcmp(arg, "auto") && strcmp(arg, "always") && strcmp(arg, "never"))
            return cli_usage_error("--color wants auto, always or never, not '%s'", arg);
        return 0;
    case O_BY:
        if ((o->by = mg_period_parse(arg)) < 0)
            return cli_usage_error("--by wants year, month, week or day, not '%s'", arg);
        return 0;
    case O_CSV:
        o->csv = true;
        return 0;
    case O_FORMAT:
        if (strcmp(arg, "csv") == 0)
            o->format = FMT_CSV;
        else if (strcmp(arg, "tsv") == 0)
            o->format = FMT_TSV;
        else if (strcmp(arg, "jsonl") == 0)
            o->format = FMT_JSONL;
        else
            return cli_usage_error("--format wants csv, tsv or jsonl, not '%s'", arg);
        return 0;
    case O_SNIPPETS:
        o->snippets = true;
        return 0;
    case O_SVG:
        o->svg = arg;
        return 0;
    case O_VS:
        if (o->nvs == CLI_MAX_VS)
            return cli_usage_error("--vs: at most %d queries beside the first", CLI_MAX_VS);
        if (!arg[0])
            return cli_usage_error("--vs wants a query");
        o->vs[o->nvs++] = arg;
        return 0;
    case O_COPIES:
        o->copies = true;
        return 0;
    }
    return NOT_MINE;
}

/* One option of getopt_long's: -1 to go on, or the exit status. */
static int take_option(cli_opts *o, int c, const char *arg, const char **color)
{
    if (c == 'h' || c == O_HELP) {
        usage(stdout);
        return cli_output_written(0);
    }
    if (c == O_VERSION) {
        printf("morgue %s\n", MORGUE_VERSION);
        return cli_output_written(0);
    }
    const char *text = text_option(c);
    if (text && cli_check_text(text, arg) != 0)
        return EXIT_USAGE;
    int rc = set_connection_option(o, c, arg);
    if (rc == NOT_MINE)
        rc = set_page_option(o, c, arg);
    if (rc == NOT_MINE)
        rc = set_filter_option(o, c, arg);
    if (rc == NOT_MINE)
        rc = set_output_option(o, c, arg, color);
    if (rc == NOT_MINE) { /* getopt_long has said what is wrong */
        fputs("(morgue --help for usage)\n", stderr);
        return EXIT_USAGE;
    }
    return rc == 0 ? -1 : rc;
}

/* The options that do not go together, and the command that must follow
 * them: -1 to go on, or EXIT_USAGE after saying why. */
static int check_options(const cli_opts *o, int argc)
{
    if (o->db && o->nendpoints)
        return cli_usage_error("--db searches an index here, --endpoint asks a daemon: not both");
    if (o->page && o->offset_set)
        return cli_usage_error("--page and --offset do not go together");
    if (o->format && (o->page || o->offset_set || o->json))
        return cli_usage_error("--format exports every hit: not with --page, --offset or --json");
    if (o->format && o->q.no_hits)
        return cli_usage_error(
            "--format with --limit 0 would export no hit: leave --limit out for every hit");
    if (optind >= argc)
        return cli_usage_error(
            "which command? search, timeline, sources, categories, get, stats, ping, watch or "
            "keygen");
    return -1;
}

/* --color WHEN: always, never, or auto (on a terminal unless NO_COLOR is
 * set). */
static bool use_color(const char *when)
{
    if (strcmp(when, "always") == 0)
        return true;
    if (strcmp(when, "auto") != 0)
        return false;
    const char *nc = getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && !(nc && *nc);
}

int cli_parse_options(int argc, char **argv, cli_opts *o)
{
    memset(o, 0, sizeof *o);
    o->by = MG_PERIOD_MONTH;
    mg_client_opts_default(&o->copts);
    const char *color = "auto";
    int c, rc;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
        if ((rc = take_option(o, c, optarg, &color)) >= 0)
            return rc;
    if ((rc = check_options(o, argc)) >= 0)
        return rc;
    o->color = use_color(color);
    return -1;
}
