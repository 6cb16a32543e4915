/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmorgue-client: requests as JSON text (docs/protocol.md): search and
 * get from their arguments, the other ops by name, and a request's tag. */
#include "morgue_client_int.h"

#include <string.h>

char *mgc_dump(json_t *req, size_t *len)
{
    char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (s && len)
        *len = strlen(s);
    return s;
}

json_t *mgc_request(const char *op)
{
    json_t *r = json_object();
    if (r) {
        json_object_set_new(r, "v", json_integer(1));
        json_object_set_new(r, "op", json_string(op));
    }
    return r;
}

char *mgc_add_tag(const char *req, size_t *len, const char *tag)
{
    json_t *o = json_loadb(req, *len, 0, NULL);
    char *s = NULL;
    if (json_is_object(o) && json_object_set_new(o, "tag", json_string(tag)) == 0)
        s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s)
        *len = strlen(s);
    return s;
}

static void set_str(json_t *o, const char *key, const char *v)
{
    if (v)
        json_object_set_new(o, key, json_string(v));
}

/* "facets": the names of the MG_CLIENT_FACET_* flags in facets. */
static void set_facets(json_t *r, unsigned facets)
{
    static const char *const names[] = {"source", "category", "year", "month", "week", "day"};
    json_t *f = json_array();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (facets & (1u << i))
            json_array_append_new(f, json_string(names[i]));
    json_object_set_new(r, "facets", f);
}

/* "snippet": false, or {"bytes", "start", "end", "html"} when any is set */
static void set_snippet(json_t *r, const mg_client_query *q)
{
    if (q->no_snippets) {
        json_object_set_new(r, "snippet", json_false());
    } else if (q->snippet_bytes || q->hl_start || q->hl_end || q->html) {
        json_t *sn = json_object();
        if (q->snippet_bytes)
            json_object_set_new(sn, "bytes", json_integer((json_int_t)q->snippet_bytes));
        set_str(sn, "start", q->hl_start);
        set_str(sn, "end", q->hl_end);
        if (q->html)
            json_object_set_new(sn, "html", json_true());
        json_object_set_new(r, "snippet", sn);
    }
}

char *mg_client_search_request(const mg_client_query *q, size_t *len)
{
    if (!q || !q->query)
        return NULL;
    json_t *r = mgc_request("search");
    if (!r)
        return NULL;
    set_str(r, "query", q->query);
    set_str(r, "source", q->source);
    if (q->offset)
        json_object_set_new(r, "offset", json_integer((json_int_t)q->offset));
    if (q->limit || q->no_hits)
        json_object_set_new(r, "limit", json_integer(q->no_hits ? 0 : (json_int_t)q->limit));
    set_str(r, "sort", q->sort);
    set_str(r, "since", q->since);
    set_str(r, "until", q->until);
    if (q->facets)
        set_facets(r, q->facets);
    set_snippet(r, q);
    if (q->no_collapse)
        json_object_set_new(r, "collapse", json_false());
    if (q->no_relax)
        json_object_set_new(r, "relax", json_false());
    if (q->cursor)
        json_object_set_new(r, "cursor", json_true());
    set_str(r, "after", q->after);
    return mgc_dump(r, len);
}

char *mg_client_search_request_ex(const mg_client_query *q, const char *extra, size_t *len)
{
    char *base = mg_client_search_request(q, len);
    if (!base || !extra)
        return base;
    json_t *r = json_loads(base, 0, NULL);
    json_t *more = json_loads(extra, JSON_REJECT_DUPLICATES, NULL);
    free(base);
    char *out = NULL;
    if (r && json_is_object(more) && json_object_update(r, more) == 0) {
        out = mgc_dump(r, len); /* takes r */
        r = NULL;
    }
    json_decref(r);
    json_decref(more);
    return out;
}

char *mg_client_get_request(const char *id, size_t *len)
{
    if (!id)
        return NULL;
    json_t *r = mgc_request("get");
    if (r)
        set_str(r, "id", id);
    return mgc_dump(r, len);
}
