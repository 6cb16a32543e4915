/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgue watch (watch.h): saved searches that print what is new.
 *
 * "New" is the index's notion of time, never this host's clock: every
 * article holds the time of the indexing run that added or last changed it
 * (value slot 9), and the stats' "added" is the time of the last run that
 * finished. A watch run asks for the articles with a time after the watch's
 * last and up to that "added", then keeps "added" as its last. So clock
 * skew between this host and the indexer's loses nothing, and a run still
 * committing while the watch runs (its articles have a later time) is left
 * whole for the next watch run. */
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "utf8.h"

enum { EXIT_HITS = 0, EXIT_NONE = 1, EXIT_USAGE = 2 };

#define STATE_FILE "watches.json"
#define PAGE 1000 /* hits per request; the export cursor fetches the rest */

int mg_watch_path(char *buf, size_t cap)
{
    const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    int n;
    if (x && *x)
        n = snprintf(buf, cap, "%s/morgue/%s", x, STATE_FILE);
    else if (home && *home)
        n = snprintf(buf, cap, "%s/.local/state/morgue/%s", home, STATE_FILE);
    else
        return -1;
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* Free what a watch holds. */
static void watch_release(mg_watch *w)
{
    free(w->name);
    free(w->query);
    free(w->source);
    free(w->since);
    free(w->until);
}

void mg_watches_release(mg_watches *ws)
{
    for (size_t i = 0; i < ws->n; i++)
        watch_release(&ws->w[i]);
    free(ws->w);
    ws->w = NULL;
    ws->n = 0;
}

mg_watch *mg_watches_find(mg_watches *ws, const char *name)
{
    for (size_t i = 0; i < ws->n; i++)
        if (strcmp(ws->w[i].name, name) == 0)
            return &ws->w[i];
    return NULL;
}

/* A watch to add: its strings borrowed. */
typedef struct watch_spec {
    const char *name, *query;
    const char *source, *since, *until; /* NULL when not kept */
    bool strict;
    const char *last; /* NULL: never run */
} watch_spec;

/* A copy of s into *out (NULL for NULL): 0, or -1 when out of memory. */
static int dup_or_null(const char *s, char **out)
{
    *out = s ? strdup(s) : NULL;
    return s && !*out ? -1 : 0;
}

/* Append a watch like w (the strings copied): 0, or -1 when out of memory. */
static int watches_add(mg_watches *ws, const watch_spec *w)
{
    mg_watch *g = realloc(ws->w, (ws->n + 1) * sizeof *g);
    if (!g)
        return -1;
    ws->w = g;
    mg_watch *c = &g[ws->n];
    memset(c, 0, sizeof *c);
    c->name = strdup(w->name);
    c->query = strdup(w->query);
    c->strict = w->strict;
    snprintf(c->last, sizeof c->last, "%s", w->last ? w->last : "");
    ws->n++;
    int bad = dup_or_null(w->source, &c->source) | dup_or_null(w->since, &c->since) |
              dup_or_null(w->until, &c->until);
    return !c->name || !c->query || bad ? -1 : 0;
}

/* A time as the index writes it: 14 digits. */
static bool is_stamp(const char *s)
{
    if (strlen(s) != 14)
        return false;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

int mg_watches_load(const char *path, mg_watches *ws)
{
    ws->w = NULL;
    ws->n = 0;
    struct stat st;
    int found = stat(path, &st);
    if (found != 0 && errno == ENOENT)
        return 0;
    /* a directory would be "'[' or '{' expected", a FIFO would wait for a
     * writer: only a regular file is read */
    if (found == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "morgue: %s is %s\n", path,
                S_ISDIR(st.st_mode) ? "a directory, not a regular file" : "not a regular file");
        return -1;
    }
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    json_t *list = json_object_get(root, "watches");
    if (!root || !json_is_array(list)) {
        fprintf(stderr, "morgue: %s: not a watch file: %s\n", path,
                root ? "no \"watches\" array" : je.text);
        json_decref(root);
        return -1;
    }
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        const char *name = json_string_value(json_object_get(o, "name"));
        const char *query = json_string_value(json_object_get(o, "query"));
        const char *source = json_string_value(json_object_get(o, "source"));
        const char *since = json_string_value(json_object_get(o, "since"));
        const char *until = json_string_value(json_object_get(o, "until"));
        const char *last = json_string_value(json_object_get(o, "last"));
        if (!name || !query || (last && !is_stamp(last))) {
            fprintf(stderr, "morgue: %s: watch %zu is malformed\n", path, i + 1);
            json_decref(root);
            mg_watches_release(ws);
            return -1;
        }
        watch_spec w = {
            name, query, source, since, until, json_is_true(json_object_get(o, "strict")), last};
        if (watches_add(ws, &w) != 0) {
            fprintf(stderr, "morgue: out of memory\n");
            json_decref(root);
            mg_watches_release(ws);
            return -1;
        }
    }
    json_decref(root);
    return 0;
}

/* mkdir -p the directory of path (mode 0700 for what it makes). */
static int make_parent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(dir, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* The filters w keeps that are text (source, since, until) into o (NULL:
 * nothing), by the names a search request gives them: watches.json uses
 * the same. */
static void put_filters(json_t *o, const mg_watch *w)
{
    const char *const keys[] = {"source", "since", "until"};
    const char *const values[] = {w->source, w->since, w->until};
    for (size_t i = 0; o && i < 3; i++)
        if (values[i])
            json_object_set_new(o, keys[i], json_string(values[i]));
}

int mg_watches_save(const char *path, const mg_watches *ws)
{
    json_t *list = json_array(), *root = json_pack("{s:i,s:o}", "version", 1, "watches", list);
    for (size_t i = 0; root && i < ws->n; i++) {
        const mg_watch *w = &ws->w[i];
        json_t *o = json_pack("{s:s,s:s}", "name", w->name, "query", w->query);
        put_filters(o, w);
        if (o && w->strict)
            json_object_set_new(o, "strict", json_true());
        if (o)
            json_object_set_new(o, "last", w->last[0] ? json_string(w->last) : json_null());
        if (!o || json_array_append_new(list, o) != 0) {
            json_decref(root);
            root = NULL;
        }
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    int rc = -1, fd = -1;
    FILE *f = NULL;
    if (!root)
        errno = ENOMEM;
    else if (make_parent(path) == 0 && (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0 &&
             (f = fdopen(fd, "w")) != NULL) {
        fd = -1;
        int bad = json_dumpf(root, f, JSON_INDENT(2)) != 0 || fputc('\n', f) == EOF ||
                  fflush(f) != 0 || fsync(fileno(f)) != 0;
        int e = errno;
        bad |= fclose(f) != 0;
        if (!bad && rename(tmp, path) == 0)
            rc = 0;
        else if (bad)
            errno = e ? e : EIO;
    }
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (rc != 0) {
        unlink(tmp);
        fprintf(stderr, "morgue: cannot write %s: %s\n", path, strerror(e ? e : EIO));
    }
    json_decref(root);
    return rc;
}

/* ---- talking to the index ---- */

/* Send the request r (consumed) and parse the reply: 0 and *out, or an exit
 * status after printing why. */
static int ask(const mg_watch_env *env, json_t *r, json_t **out)
{
    char *req = r ? json_dumps(r, JSON_COMPACT) : NULL;
    json_decref(r);
    if (!req) {
        fprintf(stderr, "morgue: out of memory\n");
        return EXIT_USAGE;
    }
    char *reply;
    size_t rlen;
    int rc = env->exchange(env->ctx, req, strlen(req), &reply, &rlen);
    free(req);
    if (rc != 0)
        return rc;
    *out = json_loadb(reply, rlen, 0, NULL);
    free(reply);
    if (!*out) {
        fprintf(stderr, "morgue: the reply is not JSON\n");
        return EXIT_USAGE;
    }
    if (!json_is_true(json_object_get(*out, "ok"))) {
        json_t *e = json_object_get(*out, "error");
        fprintf(stderr, "morgue: %s: %s\n", json_string_value(json_object_get(e, "code")),
                json_string_value(json_object_get(e, "message")));
        json_decref(*out);
        return EXIT_USAGE;
    }
    return 0;
}

/* The time of the index's last finished indexing run into added ("" when
 * the index does not say): 0, or an exit status. */
static int index_added(const mg_watch_env *env, char added[15])
{
    json_t *r;
    int rc = ask(env, json_pack("{s:i,s:s}", "v", 1, "op", "stats"), &r);
    if (rc)
        return rc;
    const char *a = json_string_value(json_object_get(json_object_get(r, "stats"), "added"));
    snprintf(added, 15, "%s", a && is_stamp(a) ? a : "");
    json_decref(r);
    return 0;
}

/* One second after the stamp last (YYYYMMDDhhmmss) into next. */
static void next_second(const char *last, char next[15])
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    sscanf(last, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
           &tm.tm_min, &tm.tm_sec);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm) + 1;
    gmtime_r(&t, &tm);
    strftime(next, 15, "%Y%m%d%H%M%S", &tm);
}

static const char *field(json_t *hit, const char *key)
{
    const char *s = json_string_value(json_object_get(hit, key));
    return s ? s : "";
}

/* A search request for the articles w matches (its query and what was
 * kept with it), without limits of time or number; NULL when out of
 * memory. Both watch add's check and watch run start from it, so a query
 * add accepted is one run can ask. */
static json_t *watch_request(const mg_watch *w)
{
    json_t *q =
        json_pack("{s:i,s:s,s:s,s:b}", "v", 1, "op", "search", "query", w->query, "snippet", 0);
    put_filters(q, w);
    if (q && w->strict)
        json_object_set_new(q, "relax", json_false());
    return q;
}

/* Print the articles of w that arrived after w->last and up to added, page
 * after page (the export cursor), under a header. *hits: how many. 0, or an
 * exit status. */
static int print_new(const mg_watch_env *env, const mg_watch *w, const char *added, size_t *hits)
{
    char since[15] = "";
    if (w->last[0])
        next_second(w->last, since);
    char *after = NULL;
    int rc = 0;
    *hits = 0;
    for (;;) {
        /* every new article, syndicated copies too: a copy of an article
         * the watch printed before is news of its own */
        json_t *q = watch_request(w);
        if (q) {
            json_object_set_new(q, "limit", json_integer(PAGE));
            json_object_set_new(q, "sort", json_string("newest"));
            json_object_set_new(q, "collapse", json_false());
            json_object_set_new(q, "cursor", json_true());
            json_object_set_new(q, "added_until", json_string(added));
        }
        if (q && since[0])
            json_object_set_new(q, "added_since", json_string(since));
        if (q && after)
            json_object_set_new(q, "after", json_string(after));
        json_t *r;
        if ((rc = ask(env, q, &r)) != 0)
            break;
        json_t *list = json_object_get(r, "hits"), *h;
        size_t i;
        json_array_foreach(list, i, h)
        {
            if (*hits == 0)
                printf("== %s: %s\n", w->name, w->query);
            /* one line, four fields, whatever the archive holds */
            env->put_text(field(h, "id"));
            printf("\t%.10s\t", field(h, "date"));
            env->put_text(field(h, "source"));
            putchar('\t');
            env->put_text(field(h, "title"));
            putchar('\n');
            ++*hits;
        }
        const char *next = json_string_value(json_object_get(r, "next"));
        free(after);
        after = next ? strdup(next) : NULL;
        json_decref(r);
        if (!after)
            break;
    }
    free(after);
    return rc;
}

/* ---- the commands ---- */

static int usage_error(const char *msg)
{
    fprintf(stderr, "morgue: %s\n(morgue --help for usage)\n", msg);
    return EXIT_USAGE;
}

/* A watch name: letters, digits, '.', '_', '-', at most 64. */
static bool good_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '-')
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int cmd_add(const mg_watch_env *env, mg_watches *ws, char **args, int nargs, bool *dirty)
{
    if (nargs < 2)
        return usage_error("watch add needs a NAME and a QUERY");
    if (!good_name(args[0]))
        return usage_error("a watch name is letters, digits, '.', '_' and '-' (at most 64)");
    if (mg_watches_find(ws, args[0])) {
        fprintf(stderr, "morgue: there is a watch called %s already (watch rm it first)\n",
                args[0]);
        return EXIT_USAGE;
    }
    size_t total = 1;
    for (int i = 1; i < nargs; i++)
        total += strlen(args[i]) + 1;
    char *query = malloc(total);
    if (!query)
        return EXIT_USAGE;
    query[0] = '\0';
    for (int i = 1; i < nargs; i++) {
        if (i > 1)
            strcat(query, " ");
        strcat(query, args[i]);
    }
    /* JSON holds only UTF-8: the file could not be written */
    if (!mg_utf8_valid(query, strlen(query))) {
        free(query);
        return usage_error("the query is not valid UTF-8");
    }
    const char *kept[] = {env->source, env->since, env->until};
    for (size_t i = 0; i < 3; i++) {
        if (kept[i] && !mg_utf8_valid(kept[i], strlen(kept[i]))) {
            free(query);
            return usage_error("--source, --since or --until is not valid UTF-8");
        }
    }
    watch_spec spec = {args[0], query, env->source, env->since, env->until, env->strict, NULL};
    int rc = watches_add(ws, &spec);
    free(query);
    if (rc != 0) {
        fprintf(stderr, "morgue: out of memory\n");
        return EXIT_USAGE;
    }
    /* A query the index refuses would fail every run from now on: it is
     * asked once, as run will ask it, and not kept when refused. */
    json_t *r, *q = watch_request(&ws->w[ws->n - 1]);
    if (q)
        json_object_set_new(q, "limit", json_integer(0)); /* the count only */
    if ((rc = ask(env, q, &r)) != 0) {
        watch_release(&ws->w[--ws->n]);
        return rc;
    }
    json_decref(r);
    *dirty = true;
    return EXIT_HITS;
}

static int cmd_list(const mg_watches *ws)
{
    for (size_t i = 0; i < ws->n; i++) {
        const mg_watch *w = &ws->w[i];
        printf("%s\t%s\t%s", w->name, w->last[0] ? w->last : "never", w->query);
        if (w->source)
            printf("\tsource=%s", w->source);
        if (w->since)
            printf("\tsince=%s", w->since);
        if (w->until)
            printf("\tuntil=%s", w->until);
        if (w->strict)
            printf("\tstrict");
        putchar('\n');
    }
    return ws->n ? EXIT_HITS : EXIT_NONE;
}

static int cmd_rm(mg_watches *ws, char **args, int nargs, bool *dirty)
{
    if (nargs != 1)
        return usage_error("watch rm needs exactly one NAME");
    mg_watch *w = mg_watches_find(ws, args[0]);
    if (!w) {
        fprintf(stderr, "morgue: no watch called %s\n", args[0]);
        return EXIT_USAGE;
    }
    watch_release(w);
    size_t i = (size_t)(w - ws->w);
    memmove(w, w + 1, (ws->n - i - 1) * sizeof *w);
    ws->n--;
    *dirty = true;
    return EXIT_HITS;
}

/* Each watch (or the one named) in turn; a watch's last advances only once
 * what it printed reached stdout. */
static int cmd_run(const mg_watch_env *env, mg_watches *ws, char **args, int nargs, bool *dirty)
{
    if (nargs > 1)
        return usage_error("watch run takes at most one NAME");
    if (nargs == 1 && !mg_watches_find(ws, args[0])) {
        fprintf(stderr, "morgue: no watch called %s\n", args[0]);
        return EXIT_USAGE;
    }
    char added[15];
    int rc = index_added(env, added);
    if (rc)
        return rc;
    if (!added[0]) {
        fprintf(stderr, "morgue: the index does not record when articles arrived: update it "
                        "with this version of morgue-index first\n");
        return EXIT_NONE;
    }
    int status = EXIT_NONE;
    for (size_t i = 0; i < ws->n; i++) {
        mg_watch *w = &ws->w[i];
        if (nargs == 1 && strcmp(w->name, args[0]) != 0)
            continue;
        size_t hits = 0;
        if (!w->last[0] || strcmp(w->last, added) < 0) {
            if ((rc = print_new(env, w, added, &hits)) != 0)
                return rc;
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
            env->write_failed(errno); /* main says why; w->last stays */
            return EXIT_USAGE;
        }
        if (hits)
            status = EXIT_HITS;
        if (strcmp(w->last, added) != 0) {
            snprintf(w->last, sizeof w->last, "%s", added);
            *dirty = true;
        }
    }
    return status;
}

int mg_watch_command(const mg_watch_env *env, char **args, int nargs)
{
    if (nargs == 0)
        return usage_error("watch needs add, list, rm or run");
    const char *sub = args[0];
    if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "rm") && strcmp(sub, "run"))
        return usage_error("watch needs add, list, rm or run");
    if (strcmp(sub, "list") == 0 && nargs != 1)
        return usage_error("watch list takes no argument");
    char path[4096];
    if (mg_watch_path(path, sizeof path) != 0) {
        fprintf(stderr, "morgue: set XDG_STATE_HOME or HOME: the watches live there\n");
        return EXIT_USAGE;
    }
    /* One command at a time changes the file: two cron jobs at once would
     * otherwise each save their own copy. */
    char lock[4200];
    snprintf(lock, sizeof lock, "%s.lock", path);
    int lfd = -1;
    if (strcmp(sub, "list") != 0) {
        if (make_parent(path) != 0 || (lfd = open(lock, O_RDWR | O_CREAT, 0600)) < 0 ||
            flock(lfd, LOCK_EX) != 0) {
            fprintf(stderr, "morgue: cannot lock %s: %s\n", lock, strerror(errno));
            if (lfd >= 0)
                close(lfd);
            return EXIT_USAGE;
        }
    }
    mg_watches ws;
    if (mg_watches_load(path, &ws) != 0) {
        if (lfd >= 0)
            close(lfd);
        return EXIT_USAGE;
    }
    bool dirty = false;
    int status;
    if (strcmp(sub, "add") == 0)
        status = cmd_add(env, &ws, args + 1, nargs - 1, &dirty);
    else if (strcmp(sub, "list") == 0)
        status = cmd_list(&ws);
    else if (strcmp(sub, "rm") == 0)
        status = cmd_rm(&ws, args + 1, nargs - 1, &dirty);
    else
        status = cmd_run(env, &ws, args + 1, nargs - 1, &dirty);
    /* run saves what advanced even when a later watch failed */
    if (dirty && mg_watches_save(path, &ws) != 0)
        status = EXIT_USAGE;
    mg_watches_release(&ws);
    if (lfd >= 0)
        close(lfd);
    return status;
}
