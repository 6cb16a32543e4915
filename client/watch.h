/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgue watch: saved searches that print only the articles that entered
 * the index (or changed) since the watch last ran (docs/client.md). The
 * watches live in one small JSON file, $XDG_STATE_HOME/morgue/watches.json
 * (default ~/.local/state/morgue/watches.json). */
#ifndef MORGUE_WATCH_H
#define MORGUE_WATCH_H

#include <stdbool.h>
#include <stddef.h>

/* What the watch commands need of the rest of morgue. */
typedef struct mg_watch_env {
    /* Send req to the daemon (or the --db index) and get the reply text
     * (malloc'd): 0, or an exit status after printing the problem. */
    int (*exchange)(const void *ctx, const char *req, size_t len, char **reply, size_t *rlen);
    const void *ctx;
    /* Print archive text (a title, a source's name) with its line breaks,
     * tabs and other control characters made harmless. */
    void (*put_text)(const char *s);
    /* Note that writing stdout failed with errno e: the caller reports it
     * (stdio may have forgotten it by then). */
    void (*write_failed)(int e);
    const char *source;        /* --source, kept with a new watch */
    const char *since, *until; /* --since, --until, kept with a new watch */
    bool strict;               /* --strict, kept with a new watch */
} mg_watch_env;

/* morgue watch add NAME QUERY... | list | rm NAME | run [NAME]: args are
 * what follows "watch"; add (to check the query) and run ask the index
 * through env->exchange. Returns the exit status (0 new hits or success, 1
 * none, 2 usage or output error, 3 daemon unreachable). */
int mg_watch_command(const mg_watch_env *env, char **args, int nargs);

/* ---- the state file (used by the commands; public for the unit test) ---- */

typedef struct mg_watch {
    char *name, *query;
    char *source, *since, *until; /* NULL when not kept */
    bool strict;
    char last[15]; /* the index's "added" time the last run reached, "" never run */
} mg_watch;

typedef struct mg_watches {
    mg_watch *w;
    size_t n;
} mg_watches;

/* The state file's path into buf: 0, or -1 when neither XDG_STATE_HOME nor
 * HOME is set. */
int mg_watch_path(char *buf, size_t cap);
/* Load the watches of path (none when it does not exist): 0, or -1 after
 * printing why (on stderr). */
int mg_watches_load(const char *path, mg_watches *ws);
/* Write them to path atomically (a temporary file renamed over it, its
 * directory made when missing): 0, or -1 after printing why. */
int mg_watches_save(const char *path, const mg_watches *ws);
void mg_watches_release(mg_watches *ws);
/* The watch called name, or NULL. */
mg_watch *mg_watches_find(mg_watches *ws, const char *name);

#endif
