/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a searcher answers besides searches: an article by id, its copies,
 * the index's statistics, the values of a field. */
#include "search_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer.h"
#include "docbuild.h"
#include "gens.h"
#include "grow.h"
#include "schema.h"

/* Look the document id up: its stored record into *data (malloc'd) when
 * data is not NULL, else its copies through fn. Retries once on a database
 * changed under the reader. The shim's return, or -MG_ENOTFOUND. */
static long by_id(mg_searcher *s, const char *id, void **data, size_t *len,
                  int (*fn)(void *ctx, const char *id), void *ctx, mg_err *err)
{
    mg_err_clear(err);
    char term[MG_XDB_MAX_TERM + 64];
    int n = snprintf(term, sizeof term, "%s%s", MG_PFX_ID, id ? id : "");
    if (n < 0 || (size_t)n >= sizeof term || !id || !*id)
        return mg_err_set(err, MG_ENOTFOUND, "no document with id '%.100s'", id ? id : "");
    long rc = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = data ? mg_xsearch_term_data(s->xs, term, (size_t)n, data, len, err)
                  : mg_xsearch_copies(s->xs, term, (size_t)n, fn, ctx, err);
        if (rc != -MG_EMODIFIED)
            break;
        mg_err e2;
        mg_searcher_reopen(s, &e2);
    }
    if (rc == -MG_ENOTFOUND)
        return mg_err_set(err, MG_ENOTFOUND, "no document with id '%.100s'", id);
    return rc;
}

long mg_searcher_copies(mg_searcher *s, const char *id, int (*fn)(void *ctx, const char *id),
                        void *ctx, mg_err *err)
{
    return by_id(s, id, NULL, NULL, fn, ctx, err);
}

int mg_searcher_get(mg_searcher *s, const char *id, mg_record *rec, mg_err *err)
{
    void *data = NULL;
    size_t len = 0;
    int rc = (int)by_id(s, id, &data, &len, NULL, NULL, err);
    if (rc < 0)
        return rc;
    rc = mg_record_decode(data, len, rec, err);
    free(data);
    return rc;
}

/* "YYYY-MM-DDThh:mm:ss[Z]" as Unix time, or -1. */
static long long parse_iso(const char *s)
{
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (sscanf(s, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) < 3)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    return (long long)timegm(&tm);
}

int mg_searcher_stats(mg_searcher *s, mg_searcher_info *st, mg_err *err)
{
    mg_err_clear(err);
    memset(st, 0, sizeof *st);
    st->documents = mg_xsearch_doccount(s->xs);
    st->xapian_revision = mg_xsearch_revision(s->xs);
    st->revision = mg_gen_revision(mg_gen_of_path(mg_xsearch_path(s->xs)), st->xapian_revision);
    char built[64];
    long n = mg_xsearch_metadata(s->xs, MG_META_BUILT, built, sizeof built, err);
    if (n < 0)
        return (int)n;
    st->updated_unix = n > 0 ? parse_iso(built) : -1;
    if ((n = mg_xsearch_metadata(s->xs, MG_META_ADDED, st->added, sizeof st->added, err)) < 0)
        return (int)n;
    snprintf(st->lang, sizeof st->lang, "%s", mg_analyzer_lang(s->an));
    snprintf(st->path, sizeof st->path, "%s", mg_xsearch_path(s->xs));
    return 0;
}

/* ---- listing values ---- */

typedef struct value_list {
    mg_facet_value *v;
    size_t n, cap;
    size_t skip; /* the prefix's length */
    bool oom;
} value_list;

static int value_cb(void *ctx, const char *term, size_t len, unsigned long long freq)
{
    value_list *l = ctx;
    if (!mg_grow_array(&l->v, &l->cap, l->n + 1, sizeof *l->v, 64)) {
        l->oom = true;
        return 1;
    }
    if (!(l->v[l->n].value = strndup(term, len))) {
        l->oom = true;
        return 1;
    }
    l->v[l->n++].count = (unsigned long)freq;
    return 0;
}

/* The name as an article gives it, for the folded term of one value: the
 * source of the first article with the term, or the category of it that
 * folds to the term. NULL (no error) when there is none. */
static char *display_name(mg_searcher *s, bool source, const char *term, mg_err *err)
{
    void *data;
    size_t len;
    if (mg_xsearch_term_data(s->xs, term, strlen(term), &data, &len, err) < 0)
        return NULL;
    mg_record rec;
    mg_record_init(&rec);
    char *name = NULL;
    if (mg_record_decode(data, len, &rec, err) == 0) {
        if (source && rec.source)
            name = strdup(rec.source);
        for (size_t i = 0; !source && !name && i < rec.ncategories; i++) {
            char t[MG_XDB_MAX_TERM + 1];
            long n = mg_field_term(MG_PFX_CATEGORY, rec.categories[i], t, sizeof t, err);
            if (n > 0 && strcmp(t, term) == 0)
                name = strdup(rec.categories[i]);
        }
    }
    mg_record_release(&rec);
    free(data);
    return name;
}

int mg_search_values(mg_searcher *s, const char *field, size_t limit, mg_values *out, mg_err *err)
{
    mg_err_clear(err);
    memset(out, 0, sizeof *out);
    bool source = field && strcmp(field, "source") == 0;
    if (!source && !(field && strcmp(field, "category") == 0))
        return mg_err_set(err, MG_EINVAL, "bad field: '%.40s' (fields: source, category)",
                          field ? field : "");
    const char *pfx = source ? MG_PFX_SOURCE : MG_PFX_CATEGORY;
    value_list l = {.skip = strlen(pfx)};
    int rc = mg_xsearch_each_term(s->xs, pfx, strlen(pfx), value_cb, &l, err);
    if (l.oom)
        rc = mg_err_set(err, MG_ENOMEM, "out of memory");
    if (rc == 0) {
        qsort(l.v, l.n, sizeof *l.v, mg_facet_value_cmp);
        out->total = l.n;
        out->n = l.n < limit ? l.n : limit;
    }
    for (size_t i = 0; rc == 0 && i < out->n; i++) {
        char *name = display_name(s, source, l.v[i].value, err);
        if (!name && err->code)
            rc = -err->code;
        else if (!name) /* no article gives it any more: the folded name */
            name = strdup(l.v[i].value + l.skip);
        if (rc == 0 && !name)
            rc = mg_err_set(err, MG_ENOMEM, "out of memory");
        free(l.v[i].value);
        l.v[i].value = name;
    }
    for (size_t i = out->n; i < l.n; i++)
        free(l.v[i].value);
    if (rc < 0) {
        for (size_t i = 0; i < out->n; i++)
            free(l.v[i].value);
        free(l.v);
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->values = l.v;
    return 0;
}

void mg_values_release(mg_values *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++)
        free(v->values[i].value);
    free(v->values);
    memset(v, 0, sizeof *v);
}
