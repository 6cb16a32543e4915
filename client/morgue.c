/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgue: query morgued (or an index in-process with --db) and print the
 * hits for a person or the raw JSON for a script (docs/client.md).
 *
 * The CLI's files, each with one job (their shared declarations: cli.h):
 *   morgue.c      main: the options, then the command named
 *   options.c     the usage text and the options
 *   exchange.c    a request to the daemon (or the --db index), its errors
 *   cmd_search.c  search and timeline: the query, the request, the reply
 *   export.c      search --format: every hit as CSV, TSV or JSON Lines
 *   timeline.c    timeline: the series of periods, bars, CSV, JSON, SVG
 *   print.c       hits, totals and tables for a person; stdout's errors
 *   cmd_info.c    get, sources, categories, stats, ping, watch, keygen
 *   watch.c       saved searches and their state file (watch.h) */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "cli.h"

/* Each command, the number of arguments it takes (min..max) and what it
 * says of any other number. */
static const struct {
    const char *name;
    cli_command *run;
    int min, max;
    const char *wants;
} commands[] = {
    {"search", cli_cmd_search, 1, INT_MAX, "needs a query"},
    {"timeline", cli_cmd_timeline, 1, INT_MAX, "needs a query"},
    {"terms", cli_cmd_terms, 1, INT_MAX, "needs a query"},
    {"get", cli_cmd_get, 1, 1, "needs exactly one id"},
    {"sources", cli_cmd_values, 0, 0, "takes no argument"},
    {"categories", cli_cmd_values, 0, 0, "takes no argument"},
    {"stats", cli_cmd_stats, 0, 0, "takes no argument"},
    {"ping", cli_cmd_ping, 0, 0, "takes no argument"},
    {"watch", cli_cmd_watch, 0, INT_MAX, NULL},
    {"keygen", cli_cmd_keygen, 1, 1, "needs a PREFIX (writes PREFIX.key and PREFIX.pub)"},
};

/* An option of one command given to another, where it would be ignored
 * without a word: EXIT_USAGE after saying so, else -1. */
static int misplaced_option(const cli_opts *o, const char *cmd)
{
    bool timeline = strcmp(cmd, "timeline") == 0, search = strcmp(cmd, "search") == 0;
    if (o->svg && !timeline)
        return cli_usage_error("--svg is for timeline");
    if (o->csv && !timeline)
        return cli_usage_error("--csv is for timeline (search exports with --format csv)");
    if (o->format && !search)
        return cli_usage_error("--format is for search");
    if (o->snippets && !(search && o->format))
        return cli_usage_error("--snippets is for search --format (pages show snippets anyway)");
    if (o->copies && strcmp(cmd, "get") != 0)
        return cli_usage_error("--copies is for get");
    return -1;
}

/* The command cmd with its arguments; its exit status. */
static int run(const cli_opts *o, const char *cmd, char **args, int nargs)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) != 0)
            continue;
        if (nargs < commands[i].min || nargs > commands[i].max)
            return cli_usage_error("%s %s", cmd, commands[i].wants);
        /* the words go into a request as JSON text; keygen's is a path */
        const char *what = commands[i].run == cli_cmd_get     ? "the id"
                           : commands[i].run == cli_cmd_watch ? "the watch's name or query"
                                                              : "the query";
        for (int a = 0; a < nargs && commands[i].run != cli_cmd_keygen; a++)
            if (cli_check_text(what, args[a]) != 0)
                return EXIT_USAGE;
        int status = misplaced_option(o, cmd);
        return status >= 0 ? status : commands[i].run(o, cmd, args, nargs);
    }
    return cli_usage_error("unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
    cli_opts o;
    int status = cli_parse_options(argc, argv, &o);
    if (status >= 0)
        return status;
    return cli_output_written(run(&o, argv[optind], argv + optind + 1, argc - optind - 1));
}
