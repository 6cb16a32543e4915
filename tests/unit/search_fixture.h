/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the search-side unit tests share: a temporary directory, an index
 * built there by the real morgue-index (MORGUE_BUILD), a searcher on it, and
 * a search that must succeed. Include after <cmocka.h>. */
#ifndef MG_TEST_SEARCH_FIXTURE_H
#define MG_TEST_SEARCH_FIXTURE_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema.h"
#include "search.h"
#include "xapian_shim.h"

/* A fresh directory /tmp/morgue-test-NAME.XXXXXX into dir. 0 or -1. */
static inline int fx_tmpdir(char *dir, size_t cap, const char *name)
{
    snprintf(dir, cap, "/tmp/morgue-test-%s.XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

/* morgue-index --rebuild --threads THREADS [OPTS] into db, from input (a path
 * of its own when it starts with '/', else one under MORGUE_ROOT); opts are
 * more options for morgue-index, "" for none. The exit status of the shell,
 * 0 on success. */
static inline int fx_index_with(const char *db, const char *threads, const char *opts,
                                const char *input)
{
    const char *b = getenv("MORGUE_BUILD"), *root = getenv("MORGUE_ROOT");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "'%s/morgue-index' --rebuild --quiet --threads %s %s --db '%s' '%s%s%s'",
             b ? b : "build", threads, opts, db,
             input[0] == '/' ? ""
             : root          ? root
                             : ".",
             input[0] == '/' ? "" : "/", input);
    return system(cmd);
}

/* fx_index_with() without more options. */
static inline int fx_index(const char *db, const char *threads, const char *input)
{
    return fx_index_with(db, threads, "", input);
}

/* Write the n lines to dir/docs.jsonl (its path into path) and index them
 * into db with one thread and these more options for morgue-index: 0, or
 * -1. */
static inline int fx_index_lines_with(const char *dir, const char *const *lines, size_t n,
                                      char *path, size_t cap, const char *db, const char *opts)
{
    snprintf(path, cap, "%s/docs.jsonl", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", lines[i]);
    if (fclose(f) != 0)
        return -1;
    return fx_index_with(db, "1", opts, path) == 0 ? 0 : -1;
}

/* fx_index_lines_with() without more options. */
static inline int fx_index_lines(const char *dir, const char *const *lines, size_t n, char *path,
                                 size_t cap, const char *db)
{
    return fx_index_lines_with(dir, lines, n, path, cap, db, "");
}

/* Make the index at db (its symlink) look like one never rebuilt by schema
 * 4: no MG_META_DUPTERMS, so searches count copies as Xapian meets them.
 * 0, or -1. */
static inline int fx_forget_dupterms(const char *db)
{
    char real[PATH_MAX];
    mg_err err;
    if (!realpath(db, real))
        return -1;
    mg_xdb *w = mg_xdb_open(real, 0, &err);
    if (!w)
        return -1;
    int rc = mg_xdb_set_metadata(w, MG_META_DUPTERMS, "", &err);
    return mg_xdb_close(w, &err) == 0 && rc == 0 ? 0 : -1;
}

/* A searcher on db with these limits (NULL: the defaults); NULL (with the
 * reason on stderr) on failure. */
static inline mg_searcher *fx_open_with(const char *db, const mg_search_limits *lim)
{
    mg_err err;
    mg_searcher *s = mg_searcher_open(db, lim, &err);
    if (!s)
        fprintf(stderr, "open %s: %s\n", db, err.msg);
    return s;
}

static inline mg_searcher *fx_open(const char *db)
{
    return fx_open_with(db, NULL);
}

/* Index input into DIR/db and open a searcher on it: 0, or -1. */
static inline int fx_open_index(const char *dir, const char *input, mg_searcher **s)
{
    char db[512];
    snprintf(db, sizeof db, "%s/db", dir);
    if (fx_index(db, "2", input) != 0)
        return -1;
    *s = fx_open(db);
    return *s ? 0 : -1;
}

/* rm -rf dir; the shell's status. */
static inline int fx_remove(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* A teardown: free the searcher, remove the directory. */
static inline int fx_close(mg_searcher *s, const char *dir)
{
    mg_searcher_free(s);
    return fx_remove(dir);
}

/* Run req on s; the test fails (with the engine's message) unless it works. */
static inline mg_search_result *fx_search(mg_searcher *s, const mg_search_request *req)
{
    mg_search_result *res;
    mg_err err;
    int rc = mg_search_run(s, req, &res, &err);
    if (rc != 0)
        print_error("query [%s] failed: %s\n", req->query, err.msg);
    assert_int_equal(rc, 0);
    return res;
}

/* The score of the hit with this id in r; the test fails if there is none. */
static inline double fx_score_of(const mg_search_result *r, const char *id)
{
    for (size_t i = 0; i < r->nhits; i++)
        if (strcmp(r->hits[i].id, id) == 0)
            return r->hits[i].score;
    fail_msg("no hit %s", id);
    return 0;
}

/* The first 20 hits of q on s (the AND only when no_relax). */
static inline mg_search_result *fx_query(mg_searcher *s, const char *q, bool no_relax)
{
    mg_search_request req = {.query = q, .limit = 20, .no_relax = no_relax};
    return fx_search(s, &req);
}

#endif
