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

/* The length of the UTF-8 sequence at s (at most n bytes), or 0 when it
 * is not one: a stray continuation byte, a short or overlong sequence, a
 * surrogate, or past U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80   ? 1
                 : s[0] < 0xc2 ? 0
                 : s[0] < 0xe0 ? 2
                 : s[0] < 0xf0 ? 3
                 : s[0] < 0xf5 ? 4
                               : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return len;
}

int mgc_check_text(const char *what, const char *s, mg_client_err *err)
{
    if (!s)
        return 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0, len; i < n; i += len)
        if ((len = utf8_seq(p + i, n - i)) == 0)
            return mgc_fail(err, MG_CLIENT_EINVAL, "%s is not valid UTF-8 (byte %zu)", what, i + 1);
    return 0;
}

int mgc_check_query_text(const mg_client_query *q, mg_client_err *err)
{
    const struct {
        const char *what, *text;
    } fields[] = {
        {"the query", q->query},   {"the source", q->source}, {"the sort", q->sort},
        {"since", q->since},       {"until", q->until},       {"the cursor", q->after},
        {"hl_start", q->hl_start}, {"hl_end", q->hl_end},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (mgc_check_text(fields[i].what, fields[i].text, err) != 0)
            return -MG_CLIENT_EINVAL;
    return 0;
}

/* Sets key to v unless v is NULL: 0, or -1 when v is not UTF-8 (or out of
 * memory), which must not leave the field out of the request unnoticed. */
static int set_str(json_t *o, const char *key, const char *v)
{
    if (!v)
        return 0;
    json_t *s = json_string(v);
    return s ? json_object_set_new(o, key, s) : -1;
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

/* "snippet": false, or {"bytes", "start", "end", "html"} when any is set:
 * 0, or -1 as set_str() */
static int set_snippet(json_t *r, const mg_client_query *q)
{
    if (q->no_snippets) {
        json_object_set_new(r, "snippet", json_false());
    } else if (q->snippet_bytes || q->hl_start || q->hl_end || q->html) {
        json_t *sn = json_object();
        if (q->snippet_bytes)
            json_object_set_new(sn, "bytes", json_integer((json_int_t)q->snippet_bytes));
        if (set_str(sn, "start", q->hl_start) < 0 || set_str(sn, "end", q->hl_end) < 0) {
            json_decref(sn);
            return -1;
        }
        if (q->html)
            json_object_set_new(sn, "html", json_true());
        json_object_set_new(r, "snippet", sn);
    }
    return 0;
}

char *mg_client_search_request(const mg_client_query *q, size_t *len)
{
    if (!q || !q->query)
        return NULL;
    json_t *r = mgc_request("search");
    if (!r)
        return NULL;
    int bad = set_str(r, "query", q->query) | set_str(r, "source", q->source);
    if (q->offset)
        json_object_set_new(r, "offset", json_integer((json_int_t)q->offset));
    if (q->limit || q->no_hits)
        json_object_set_new(r, "limit", json_integer(q->no_hits ? 0 : (json_int_t)q->limit));
    bad |=
        set_str(r, "sort", q->sort) | set_str(r, "since", q->since) | set_str(r, "until", q->until);
    if (q->facets)
        set_facets(r, q->facets);
    bad |= set_snippet(r, q);
    if (q->no_collapse)
        json_object_set_new(r, "collapse", json_false());
    if (q->no_relax)
        json_object_set_new(r, "relax", json_false());
    if (q->cursor)
        json_object_set_new(r, "cursor", json_true());
    bad |= set_str(r, "after", q->after);
    if (bad) {
        json_decref(r);
        return NULL;
    }
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
    if (r && set_str(r, "id", id) < 0) {
        json_decref(r);
        r = NULL;
    }
    return mgc_dump(r, len);
}
