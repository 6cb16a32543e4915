/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgue-index: parse options, run the indexing pipeline, report. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index.h"
#include "num.h"
#include "promfile.h"
#include "version.h"

static const char usage_text[] =
    "Usage: morgue-index [OPTIONS] INPUT...\n"
    "       morgue-index [OPTIONS] --delete-ids FILE [INPUT...]\n"
    "Index news articles into a morgue (Xapian) database.\n"
    "\n"
    "INPUT is a JSON Lines file (.jsonl, .json, .ndjson), an LZ4 frame of JSON\n"
    "Lines (.lz4), a directory (its *.txt files: first line title, rest body; and\n"
    "any *.jsonl / *.jsonl.lz4 in it), or - for standard input.\n"
    "\n"
    "Options:\n"
    "  --db DIR          the database (default: $MORGUE_DB). DIR is a symlink to\n"
    "                    the live generation in DIR.gens/; DIR.lock is the lock\n"
    "  --lang L          stemming language of a new index (default: the index's,\n"
    "                    else english); changing it needs --rebuild\n"
    "  --threads N       analysis threads (default: one per core)\n"
    "  --batch N         documents per commit in an update (default 10000)\n"
    "  --rebuild         build a fresh database from the inputs and switch DIR to\n"
    "                    it atomically; the old one stays live until then\n"
    "  --delete-missing  delete documents whose id is not in this run's inputs\n"
    "                    (skipped when an input could not be read to its end);\n"
    "                    the run then commits once, at its end\n"
    "  --delete-ids FILE delete the articles whose ids FILE lists, one per line\n"
    "                    ('#' comments), from an existing index, after this run's\n"
    "                    inputs (INPUT may then be left out); skipped when an\n"
    "                    input could not be read to its end\n"
    "  --max-delete N%|N refuse (exit 1, nothing changed or published) a run that\n"
    "                    would delete more than N% of the index, or N documents:\n"
    "                    --delete-missing's or --delete-ids' deletions, or how\n"
    "                    much smaller a --rebuild is than the live index\n"
    "                    (default 10%; 100% allows everything)\n"
    "  --dry-run         read and analyse everything and report what would be\n"
    "                    added, replaced and deleted; change nothing\n"
    "  --compact         after an update, compact the index into a new generation\n"
    "                    and switch DIR to it atomically, as --rebuild does; only\n"
    "                    when something was committed since the index was last\n"
    "                    compacted (a rebuild is compact: with --rebuild it does\n"
    "                    nothing more). If compacting fails or is interrupted, the\n"
    "                    update stays committed in the live, uncompacted index\n"
    "  --changesets N    an update keeps Xapian changesets of its last N commits in\n"
    "                    the live generation (XAPIAN_MAX_CHANGESETS), so that\n"
    "                    replicas (xapian-replicate) catch up by them instead of\n"
    "                    a full copy; 1 to 100000\n"
    "  --shards N        an index of N shard databases and a stub naming them\n"
    "                    (each article in the shard its id hashes to); a new\n"
    "                    index or --rebuild (default: as the index is, 1 if new)\n"
    "  --shard K         with --shards N: build only shard K (0 to N-1) of the N,\n"
    "                    as a database of its own, for the host that serves it;\n"
    "                    the other articles are passed over\n"
    "  --progress        show the progress line even when stderr is not a terminal\n"
    "  --quiet           no progress line and no summary (errors still shown)\n"
    "  --json-stats      print the summary as one JSON object on stdout\n"
    "  --prom-file PATH  write the run's outcome (time, exit status, counts, index\n"
    "                    size) to PATH for node_exporter's textfile collector,\n"
    "                    atomically (a temporary file renamed over PATH)\n"
    "  -h, --help        show this help and exit\n"
    "  --version         show the version and exit\n"
    "\n"
    "Without --rebuild an existing database is updated in place: new ids are\n"
    "added, changed ones replaced, unchanged ones skipped (content hash). Updates\n"
    "leave partly filled blocks behind (the index can double in size after a\n"
    "rebuild); --compact writes it out compact again.\n"
    "\n"
    "Exit status:\n"
    "  0  every record indexed\n"
    "  1  fatal error (nothing published; for an update, batches committed\n"
    "     before the error stay), an input cut short or unreadable, over\n"
    "     --max-delete, interrupted, failed to compact (the update stays), or\n"
    "     the database is locked\n"
    "  2  usage error (bad option, no input, unknown --lang, ...)\n"
    "  3  finished, but some records were skipped as bad (see stderr): the\n"
    "     run is complete otherwise\n";

enum {
    OPT_DB = 256,
    OPT_LANG,
    OPT_THREADS,
    OPT_BATCH,
    OPT_REBUILD,
    OPT_DELETE,
    OPT_COMPACT,
    OPT_PROGRESS,
    OPT_QUIET,
    OPT_JSON,
    OPT_VERSION,
    OPT_MAX_DELETE,
    OPT_DRY_RUN,
    OPT_PROM_FILE,
    OPT_CHANGESETS,
    OPT_SHARDS,
    OPT_SHARD,
    OPT_DELETE_IDS
};

static const struct option long_opts[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"lang", required_argument, NULL, OPT_LANG},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"rebuild", no_argument, NULL, OPT_REBUILD},
    {"delete-missing", no_argument, NULL, OPT_DELETE},
    {"delete-ids", required_argument, NULL, OPT_DELETE_IDS},
    {"compact", no_argument, NULL, OPT_COMPACT},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"json-stats", no_argument, NULL, OPT_JSON},
    {"max-delete", required_argument, NULL, OPT_MAX_DELETE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"prom-file", required_argument, NULL, OPT_PROM_FILE},
    {"changesets", required_argument, NULL, OPT_CHANGESETS},
    {"shards", required_argument, NULL, OPT_SHARDS},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

typedef struct ui {
    bool progress;         /* draw the progress line */
    bool line_shown;       /* a progress line is on screen: clear it first */
    bool json;             /* --json-stats */
    const char *prom_file; /* --prom-file, or NULL */
} ui;

static void clear_line(ui *u)
{
    if (u->line_shown) {
        fputs("\r\033[K", stderr);
        u->line_shown = false;
    }
}

static void on_log(void *ctx, int level, const char *msg)
{
    ui *u = ctx;
    clear_line(u);
    (void)level;
    fprintf(stderr, "%s\n", msg);
}

static void on_progress(void *ctx, const mg_index_stats *st)
{
    ui *u = ctx;
    if (!u->progress)
        return;
    if (st->compaction == MG_COMPACTION_RUNNING) {
        fprintf(stderr, "\r\033[K%llu documents  compacting the index (%.1f MB)", st->documents,
                (double)st->compact_from_bytes / 1e6);
        u->line_shown = true;
        return;
    }
    double mb = (double)st->input_bytes / 1e6;
    double rate = st->elapsed_s > 0 ? (double)st->read / st->elapsed_s : 0;
    char eta[32] = "";
    if (st->input_total && st->input_bytes && st->input_bytes < st->input_total) {
        double left =
            st->elapsed_s * (double)(st->input_total - st->input_bytes) / (double)st->input_bytes;
        snprintf(eta, sizeof eta, "  ETA %d:%02d", (int)left / 60, (int)left % 60);
    }
    if (st->input_total)
        fprintf(stderr, "\r\033[K%llu documents  %.1f/%.1f MB  %.0f docs/s%s", st->read, mb,
                (double)st->input_total / 1e6, rate, eta);
    else
        fprintf(stderr, "\r\033[K%llu documents  %.1f MB  %.0f docs/s", st->read, mb, rate);
    u->line_shown = true;
}

/* The first SIGINT/SIGTERM asks for a clean stop (the run stops reading at
 * the next record; a reader blocked on an idle pipe notices when it returns).
 * A second one exits at once: committed batches are safe on disk anyway. */
static volatile sig_atomic_t stop_asked; /* mg_index_opts.stop */

static void on_signal(int sig)
{
    (void)sig;
    if (stop_asked) {
        static const char msg[] = "morgue-index: stopped at once; committed batches are kept\n";
        ssize_t n = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)n;
        _exit(1);
    }
    stop_asked = 1;
}

static int parse_count(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
    long v;
    if (mg_parse_long(s, 1, (long)max, &v) != 0) {
        fprintf(stderr, "morgue-index: %s must be a number from 1 to %lu, not \"%s\"\n", opt, max,
                s);
        return -1;
    }
    *out = (unsigned long)v;
    return 0;
}

/* --max-delete: "N%" (0 to 100, decimals allowed) or a number of documents. */
static int parse_max_delete(const char *s, mg_index_opts *o)
{
    char *end;
    errno = 0;
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == '%') {
        double v = strtod(s, &end);
        if (!errno && end == s + n - 1 && *s != '-' && v >= 0 && v <= 100) {
            o->max_delete_pct = v;
            o->max_delete_set = true;
            return 0;
        }
    } else {
        unsigned long long v = strtoull(s, &end, 10);
        if (!errno && end != s && !*end && *s != '-') {
            o->max_delete_docs = v;
            o->max_delete_absolute = o->max_delete_set = true;
            return 0;
        }
    }
    fprintf(stderr,
            "morgue-index: --max-delete must be a percentage from 0%% to 100%% or a number of "
            "documents, not \"%s\"\n",
            s);
    return -1;
}

static const char *compaction_name(int c)
{
    switch (c) {
    case MG_COMPACTION_DONE:
        return "done";
    case MG_COMPACTION_NOT_NEEDED:
        return "not needed";
    case MG_COMPACTION_SKIPPED:
        return "skipped";
    case MG_COMPACTION_FAILED:
        return "failed";
    case MG_COMPACTION_INTERRUPTED:
        return "interrupted";
    default:
        return "none";
    }
}

static void print_compaction(const mg_index_stats *st)
{
    double from = (double)st->compact_from_bytes / 1e6;
    switch (st->compaction) {
    case MG_COMPACTION_DONE:
        fprintf(stderr, "  compacted in %.2f s: index %.1f MB -> %.1f MB\n", st->compact_s, from,
                (double)st->index_bytes / 1e6);
        break;
    case MG_COMPACTION_NOT_NEEDED:
        fprintf(stderr, "  compact already: not compacted again\n");
        break;
    case MG_COMPACTION_SKIPPED:
        fprintf(stderr, "  not compacted: the update did not finish\n");
        break;
    case MG_COMPACTION_FAILED:
    case MG_COMPACTION_INTERRUPTED:
        fprintf(stderr, "  compaction %s after %.2f s: the index stays as updated (%.1f MB)\n",
                compaction_name(st->compaction), st->compact_s, (double)st->index_bytes / 1e6);
        break;
    default:
        break;
    }
}

static void print_summary(const mg_index_stats *st)
{
    double mb = (double)st->input_bytes / 1e6;
    double t = st->elapsed_s > 0 ? st->elapsed_s : 1e-9;
    const char *what = st->mode == MG_INDEX_REBUILD ? "rebuilt" : "updated";
    if (st->dry_run)
        what = st->mode == MG_INDEX_REBUILD ? "dry run of a rebuild, nothing changed in"
                                            : "dry run of an update, nothing changed in";
    else if (st->mode == MG_INDEX_REBUILD && !st->committed)
        what = "rebuild abandoned, still";
    else if (st->mode == MG_INDEX_UPDATE && st->interrupted &&
             st->compaction != MG_COMPACTION_INTERRUPTED)
        what = "partly updated";
    if (!*st->generation) { /* no index there, before the run or after it */
        if (st->dry_run)
            what = "dry run of a new index, nothing written";
        else if (st->mode == MG_INDEX_REBUILD && !st->committed)
            what = "rebuild abandoned, nothing published";
    }
    fprintf(stderr, "%s: %s%s%s\n", st->db, what, *st->generation ? " " : "", st->generation);
    if (st->mode == MG_INDEX_UPDATE && !st->added && !st->replaced && !st->deleted)
        fprintf(stderr, "  no changes\n");
    fprintf(stderr,
            "  %sadded %llu, replaced %llu, unchanged %llu, deleted %llu, skipped %llu, "
            "warnings %llu\n",
            st->dry_run ? "would be: " : "", st->added, st->replaced, st->unchanged, st->deleted,
            st->skipped, st->warnings);
    if (st->other_shard)
        fprintf(stderr, "  %llu records of the other shards passed over\n", st->other_shard);
    fprintf(stderr, "  %llu documents, index %.1f MB\n", st->documents,
            (double)st->index_bytes / 1e6);
    fprintf(stderr, "  %.2f s, %.0f docs/s, %.2f MB/s (%.1f MB read)\n", st->elapsed_s,
            (double)st->read / t, mb / t, mb);
    print_compaction(st);
}

/* What went wrong, for --json-stats: a stable word, then the message. */
static const char *error_code(const mg_index_stats *st, const mg_err *err)
{
    if (st->refused)
        return "max_delete";
    if (st->interrupted)
        return "interrupted";
    if (st->input_failed)
        return "input";
    return mg_code_name(err->code);
}

static int print_json(const mg_index_stats *st, const mg_err *err)
{
    double t = st->elapsed_s > 0 ? st->elapsed_s : 1e-9;
    json_t *o = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:I, s:I, s:s, s:s, s:s, s:s, "
        "s:b, s:b}",
        "added", (json_int_t)st->added, "replaced", (json_int_t)st->replaced, "unchanged",
        (json_int_t)st->unchanged, "deleted", (json_int_t)st->deleted, "skipped",
        (json_int_t)st->skipped, "warnings", (json_int_t)st->warnings, "read", (json_int_t)st->read,
        "documents", (json_int_t)st->documents, "elapsed_s", st->elapsed_s, "docs_per_s",
        (double)st->read / t, "mb_per_s", (double)st->input_bytes / 1e6 / t, "input_bytes",
        (json_int_t)st->input_bytes, "index_bytes", (json_int_t)st->index_bytes, "db", st->db,
        "generation", st->generation, "mode", st->mode == MG_INDEX_REBUILD ? "rebuild" : "update",
        "lang", st->lang, "changed", st->committed, "interrupted", st->interrupted);
    if (!o)
        return -1;
    json_t *e = err ? json_pack("{s:s, s:s}", "code", error_code(st, err), "message", err->msg)
                    : json_null();
    if (json_object_set_new(o, "dry_run", json_boolean(st->dry_run)) ||
        json_object_set_new(o, "error", e) ||
        json_object_set_new(o, "compaction", json_string(compaction_name(st->compaction))) ||
        json_object_set_new(o, "compact_s", json_real(st->compact_s)) ||
        json_object_set_new(o, "index_bytes_before_compact",
                            json_integer((json_int_t)st->compact_from_bytes))) {
        json_decref(o);
        return -1;
    }
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        return -1;
    puts(s);
    free(s);
    return fflush(stdout) == 0 ? 0 : -1;
}

/* --prom-file: the run's outcome for monitoring; status is returned. */
static int finish(const char *prom_file, const mg_index_stats *st, int status)
{
    if (prom_file && write_prom_file(prom_file, st, status) != 0)
        fprintf(stderr, "morgue-index: cannot write %s: %s\n", prom_file, strerror(errno));
    return status;
}

/* Xapian cannot go on (mg_index_opts.fatal): report as for any fatal error
 * and exit 1 at once. */
static void on_fatal(void *ctx, const mg_index_stats *st, const mg_err *err)
{
    ui *u = ctx;
    clear_line(u);
    fprintf(stderr, "morgue-index: %s\n", err->msg);
    if (u->json && print_json(st, err))
        fprintf(stderr, "morgue-index: cannot write the JSON summary\n");
    finish(u->prom_file, st, 1);
    fflush(stderr);
    _exit(1);
}

/* What the command line asks of the tool itself (the run's are in opts). */
typedef struct cli {
    bool progress, quiet, json;
    const char *prom_file; /* --prom-file, or NULL */
} cli;

/* Parse argv into o and c. Returns -1 to go on, or the exit status (0 after
 * --help or --version, 2 for a usage error, told on stderr). */
static int parse_options(int argc, char **argv, mg_index_opts *o, cli *c)
{
    memset(o, 0, sizeof *o);
    memset(c, 0, sizeof *c);
    o->db = getenv("MORGUE_DB");
    unsigned long v;
    /* Documents per piece of a rebuild's shard (docs/indexing.md, "Inside
     * the indexer"): for tests and measurements; the index is the same. */
    const char *piece = getenv("MORGUE_REBUILD_PIECE");
    if (piece && *piece && parse_count("MORGUE_REBUILD_PIECE", piece, 1UL << 30, &o->piece))
        return 2;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        switch (opt) {
        case OPT_DB:
            o->db = optarg;
            break;
        case OPT_LANG:
            o->lang = optarg;
            break;
        case OPT_THREADS:
            if (parse_count("--threads", optarg, 256, &v))
                return 2;
            o->threads = (unsigned)v;
            break;
        case OPT_BATCH:
            if (parse_count("--batch", optarg, 100000000, &v))
                return 2;
            o->batch = v;
            break;
        case OPT_REBUILD:
            o->rebuild = true;
            break;
        case OPT_DELETE:
            o->delete_missing = true;
            break;
        case OPT_DELETE_IDS:
            o->delete_ids = optarg;
            break;
        case OPT_COMPACT:
            o->compact = true;
            break;
        case OPT_PROGRESS:
            c->progress = true;
            break;
        case OPT_QUIET:
            c->quiet = true;
            break;
        case OPT_JSON:
            c->json = true;
            break;
        case OPT_MAX_DELETE:
            if (parse_max_delete(optarg, o))
                return 2;
            break;
        case OPT_DRY_RUN:
            o->dry_run = true;
            break;
        case OPT_PROM_FILE:
            c->prom_file = optarg;
            break;
        case OPT_CHANGESETS:
            if (parse_count("--changesets", optarg, 100000, &v))
                return 2;
            o->changesets = (unsigned)v;
            break;
        case OPT_SHARDS:
            if (parse_count("--shards", optarg, 256, &v))
                return 2;
            o->shards = (unsigned)v;
            break;
        case OPT_SHARD:
            if (strcmp(optarg, "0") == 0)
                v = 0;
            else if (parse_count("--shard", optarg, 255, &v))
                return 2;
            o->shard_only = true;
            o->shard = (unsigned)v;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case OPT_VERSION:
            printf("morgue-index %s\n", MORGUE_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try 'morgue-index --help'.\n");
            return 2;
        }
    }
    if (c->progress && c->quiet) {
        fprintf(stderr, "morgue-index: --progress and --quiet exclude each other\n");
        return 2;
    }
    if (!o->db || !*o->db) {
        fprintf(stderr, "morgue-index: no database: give --db DIR or set MORGUE_DB\n");
        return 2;
    }
    if (optind >= argc && !o->delete_ids) {
        fprintf(stderr, "morgue-index: no input: give one or more files, directories or -\n"
                        "Try 'morgue-index --help'.\n");
        return 2;
    }
    o->inputs = (const char *const *)(argv + optind);
    o->ninputs = (size_t)(argc - optind);
    return -1;
}

/* SIGINT and SIGTERM ask the run to stop (on_signal). */
static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Tell how the run went (rc, st, err: mg_index_run's) and return the exit
 * status. */
static int report(const cli *c, int rc, const mg_index_stats *st, const mg_err *err)
{
    if (rc < 0) {
        fprintf(stderr, "morgue-index: %s\n", err->msg);
        if (st->usage_error)
            return finish(c->prom_file, st, 2);
    }
    if (!c->quiet &&
        (rc == 0 || st->interrupted || st->committed || st->compaction == MG_COMPACTION_FAILED))
        print_summary(st);
    if (c->json && print_json(st, rc < 0 ? err : NULL))
        fprintf(stderr, "morgue-index: cannot write the JSON summary\n");
    return finish(c->prom_file, st, rc < 0 ? 1 : st->skipped ? 3 : 0);
}

int main(int argc, char **argv)
{
    mg_index_opts o;
    cli c;
    int status = parse_options(argc, argv, &o, &c);
    if (status >= 0)
        return status;
    ui u = {.progress = !c.quiet && (c.progress || isatty(STDERR_FILENO)),
            .line_shown = false,
            .json = c.json,
            .prom_file = c.prom_file};
    o.log = on_log;
    o.progress = on_progress;
    o.fatal = on_fatal;
    o.ctx = &u;
    o.stop = &stop_asked;
    catch_signals();

    mg_index_stats st;
    mg_err err;
    mg_err_clear(&err);
    int rc = mg_index_run(&o, &st, &err);
    clear_line(&u);
    return report(&c, rc, &st, &err);
}
