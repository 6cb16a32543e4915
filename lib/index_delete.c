/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --delete-ids: articles taken out of an index by id (a takedown, a
 * retraction, a change feed's deletions), without a full export. The list
 * is read and checked against --max-delete before the update reads its
 * inputs, so a refusal changes nothing; the deletions go into the run's
 * last commit, after the inputs, and only when every input was read to
 * its end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docbuild.h"
#include "index_run.h"
#include "schema.h"
#include "utf8.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The id of one line of the list (s, n bytes, no newline), white space
 * around it dropped: *id and *len, or *len 0 for a line to skip. */
static void line_id(char *s, size_t n, char **id, size_t *len)
{
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    *id = s;
    *len = n > 0 && *s == '#' ? 0 : n;
}

/* Read the list into r->del_uids (id terms, sorted, each once). A bad line
 * is a usage error naming it; an unreadable file is fatal. */
static int read_list(run *r, mg_err *err)
{
    const char *path = r->o->delete_ids;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return mg_err_set(err, errno == ENOENT ? MG_ENOTFOUND : MG_EIO,
                          "--delete-ids: cannot read %.200s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, have = 0;
    ssize_t got;
    unsigned long lineno = 0;
    int rc = 0;
    while (rc == 0 && (got = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        size_t n = (size_t)got;
        if (n > 0 && line[n - 1] == '\n')
            n--;
        char *id;
        size_t len;
        line_id(line, n, &id, &len);
        if (len == 0)
            continue;
        id[len] = '\0';
        mg_err e;
        const char *why = memchr(id, '\0', len)     ? "a NUL byte"
                          : !mg_utf8_valid(id, len) ? "invalid UTF-8"
                                                    : NULL;
        if (why) {
            rc = mg_err_set(err, MG_EINVAL, "--delete-ids: %.200s:%lu: not an id (%s)", path,
                            lineno, why);
            r->st->usage_error = true;
            break;
        }
        if (mg_docbuild_check_id(id, &e) < 0) {
            rc = mg_err_set(err, MG_EINVAL, "--delete-ids: %.200s:%lu: %s", path, lineno, e.msg);
            r->st->usage_error = true;
            break;
        }
        if (r->ndel == have) {
            size_t c = have ? have * 2 : 64;
            char **p = realloc(r->del_uids, c * sizeof *p);
            if (!p) {
                rc = mg_err_set(err, MG_ENOMEM, "--delete-ids: out of memory");
                break;
            }
            r->del_uids = p;
            have = c;
        }
        char *uid = malloc(sizeof MG_PFX_ID + len);
        if (!uid) {
            rc = mg_err_set(err, MG_ENOMEM, "--delete-ids: out of memory");
            break;
        }
        memcpy(uid, MG_PFX_ID, sizeof MG_PFX_ID - 1);
        memcpy(uid + sizeof MG_PFX_ID - 1, id, len + 1);
        r->del_uids[r->ndel++] = uid;
    }
    if (rc == 0 && ferror(fp))
        rc = mg_err_set(err, MG_EIO, "--delete-ids: cannot read %.200s: %s", path, strerror(errno));
    free(line);
    fclose(fp);
    if (rc)
        return rc;
    if (r->ndel > 1) {
        qsort(r->del_uids, r->ndel, sizeof *r->del_uids, cmp_str);
        size_t k = 1;
        for (size_t i = 1; i < r->ndel; i++) {
            if (strcmp(r->del_uids[i], r->del_uids[k - 1]) == 0)
                free(r->del_uids[i]);
            else
                r->del_uids[k++] = r->del_uids[i];
        }
        r->ndel = k;
    }
    return 0;
}

/* Whether the index holds the article of id term uid: 1, 0, or a negative
 * mg_code. */
static int holds(run *r, const char *uid, mg_err *err)
{
    char v[4];
    long n = mg_xdb_get_value(r->xdb, uid, MG_SLOT_ID, v, sizeof v, err);
    if (n == -MG_ENOTFOUND) {
        mg_err_clear(err);
        return 0;
    }
    return n < 0 ? (int)n : 1;
}

int mg_run_load_delete_ids(run *r, mg_err *err)
{
    if (!r->o->delete_ids)
        return 0;
    int rc = read_list(r, err);
    if (rc)
        return rc;
    unsigned long long present = 0;
    for (size_t i = 0; i < r->ndel; i++) {
        int h = holds(r, r->del_uids[i], err);
        if (h < 0)
            return h;
        present += (unsigned long long)h;
    }
    long n = mg_xdb_doccount(r->xdb, err);
    if (n < 0)
        return (int)n;
    char what[96];
    snprintf(what, sizeof what, "--delete-ids would delete %llu documents", present);
    rc = mg_run_check_max_delete(r, what, present, (unsigned long long)n, "nothing was changed",
                                 err);
    if (rc == 0 && present < r->ndel)
        mg_run_say(r, MG_LOG_INFO, "--delete-ids: %zu of the %zu ids are not in the index",
                   r->ndel - (size_t)present, r->ndel);
    return rc;
}

int mg_run_delete_listed(run *r, mg_err *err)
{
    for (size_t i = 0; i < r->ndel; i++) {
        int d = r->o->dry_run ? holds(r, r->del_uids[i], err)
                              : mg_xdb_delete(r->xdb, r->del_uids[i], err);
        if (d < 0)
            return d;
        if (d > 0) {
            mg_run_count(r, &r->st->deleted);
            r->pending++;
        }
    }
    return 0;
}
