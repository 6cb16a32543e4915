/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmorgue-client: replies into the typed results of morgue_client.h
 * (mg_client_results, mg_client_doc, mg_client_stats): the envelope and
 * its error, then the fields. Strings point into the parsed reply, which
 * the result keeps until its _free. */
#include "morgue_client_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int mgc_envelope(const char *reply, size_t len, json_t **root, long long *took_us,
                 mg_client_err *err)
{
    mgc_clear(err);
    *root = NULL;
    json_error_t je;
    json_t *r = json_loadb(reply, len, 0, &je);
    if (!json_is_object(r)) {
        json_decref(r);
        return mgc_fail(err, MG_CLIENT_EREPLY, "the reply is not a JSON object: %s", je.text);
    }
    json_t *v = json_object_get(r, "v");
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        json_decref(r);
        return mgc_fail(err, MG_CLIENT_EREPLY, "the reply is not protocol version 1");
    }
    if (took_us)
        *took_us = json_integer_value(json_object_get(r, "took_us"));
    if (!json_is_true(json_object_get(r, "ok"))) {
        json_t *e = json_object_get(r, "error");
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        mgc_fail(err, MG_CLIENT_ESERVER, "%s", msg ? msg : "the daemon reported an error");
        if (err)
            snprintf(err->server_code, sizeof err->server_code, "%s", code ? code : "unknown");
        json_decref(r);
        return -MG_CLIENT_ESERVER;
    }
    *root = r;
    return 0;
}

bool mgc_reply_tag(const char *reply, size_t len, char *tag, size_t tagsz)
{
    json_t *o = json_loadb(reply, len, 0, NULL);
    const char *t = json_string_value(json_object_get(o, "tag"));
    if (tag && tagsz)
        snprintf(tag, tagsz, "%s", t ? t : "");
    bool ok = json_is_object(o);
    json_decref(o);
    return ok;
}

const char *mgc_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *str0(json_t *o, const char *key)
{
    const char *s = mgc_str(o, key);
    return s ? s : "";
}

static unsigned long long num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        return json_integer_value(v) < 0 ? 0 : (unsigned long long)json_integer_value(v);
    return json_is_real(v) && json_real_value(v) > 0 ? (unsigned long long)json_real_value(v) : 0;
}

static long long num_or(json_t *o, const char *key, long long dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* An array of strings as borrowed pointers; NULL array when empty. */
static int strings(json_t *arr, const char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return 0;
    const char **v = calloc(json_array_size(arr), sizeof *v);
    if (!v)
        return -1;
    size_t i, k = 0;
    json_t *x;
    json_array_foreach(arr, i, x) if (json_is_string(x)) v[k++] = json_string_value(x);
    *out = v;
    *n = k;
    return 0;
}

/* Check the envelope of reply (mgc_envelope) and allocate a result struct
 * of size sz with a copy of the reply text after it, so one free()
 * releases both: 0 with *out (zeroed but for the text), *root (for the
 * result to keep) and *json (the copy), or a negative code. */
static int new_result(const char *reply, size_t len, size_t sz, void **out, json_t **root,
                      const char **json, long long *took_us, mg_client_err *err)
{
    int rc = mgc_envelope(reply, len, root, took_us, err);
    if (rc != 0)
        return rc;
    char *p = calloc(1, sz + len + 1);
    if (!p) {
        json_decref(*root);
        return mgc_fail(err, MG_CLIENT_ENOMEM, "out of memory");
    }
    memcpy(p + sz, reply, len);
    *json = p + sz;
    *out = p;
    return 0;
}

/* ---- search ---- */

void mg_client_results_free(mg_client_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nhits; i++)
        free(r->hits[i].categories);
    free(r->hits);
    for (size_t i = 0; i < r->nfacets; i++)
        free(r->facets[i].values);
    free(r->facets);
    free(r->missing_shards);
    free(r->terms);
    json_decref(r->internal_);
    free(r);
}

/* {"estimate","lower","upper","exact"} */
static void count_of(json_t *o, unsigned long long *estimate, unsigned long long *lower,
                     unsigned long long *upper, bool *exact)
{
    *estimate = num(o, "estimate");
    *lower = num(o, "lower");
    *upper = num(o, "upper");
    *exact = json_is_true(json_object_get(o, "exact"));
}

/* "total" (an object, or a number from an older daemon) and "total_all". */
static void parse_totals(json_t *root, mg_client_results *r)
{
    json_t *total = json_object_get(root, "total");
    if (json_is_object(total)) {
        count_of(total, &r->total_estimate, &r->total_lower, &r->total_upper, &r->total_exact);
    } else {
        r->total_estimate = num(root, "total");
        r->total_lower = r->total_upper = r->total_estimate;
    }
    json_t *all = json_object_get(root, "total_all");
    if (json_is_object(all)) {
        count_of(all, &r->all_estimate, &r->all_lower, &r->all_upper, &r->all_exact);
    } else { /* a daemon before total_all */
        r->all_estimate = r->total_estimate;
        r->all_lower = r->total_lower;
        r->all_upper = r->total_upper;
        r->all_exact = r->total_exact;
    }
}

/* The objects of the "hits" array into r->hits; -1 when out of memory. */
static int parse_hits(json_t *hits, mg_client_results *r)
{
    if (json_array_size(hits) && !(r->hits = calloc(json_array_size(hits), sizeof *r->hits)))
        return -1;
    size_t i;
    json_t *h;
    json_array_foreach(hits, i, h)
    {
        mg_client_hit *x = &r->hits[r->nhits];
        if (!json_is_object(h))
            continue;
        x->rank = (unsigned)num(h, "rank");
        x->score = json_number_value(json_object_get(h, "score"));
        x->percent = (int)num(h, "percent");
        x->id = str0(h, "id");
        x->title = str0(h, "title");
        x->date = str0(h, "date");
        x->source = str0(h, "source");
        x->url = str0(h, "url");
        x->snippet = mgc_str(h, "snippet");
        x->collapsed = (unsigned)num(h, "collapsed");
        x->partial = strcmp(str0(h, "matched"), "some") == 0;
        r->nhits++;
        if (strings(json_object_get(h, "categories"), &x->categories, &x->ncategories) != 0)
            return -1;
    }
    return 0;
}

/* One facet's [{"value":..,"count":..},..]; -1 when out of memory. */
static int facet_values(json_t *arr, mg_client_facet *f)
{
    size_t i, k = 0;
    json_t *x;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return 0;
    if (!(f->values = calloc(json_array_size(arr), sizeof *f->values)))
        return -1;
    json_array_foreach(arr, i, x)
    {
        const char *v = mgc_str(x, "value");
        if (!v)
            continue;
        f->values[k].value = v;
        f->values[k].count = (unsigned long)num(x, "count");
        k++;
    }
    f->nvalues = k;
    return 0;
}

/* Facets: {"source":[{"value":..,"count":..},..],..}; -1 when out of memory. */
static int parse_facets(json_t *facets, mg_client_results *r)
{
    if (!json_is_object(facets) || !json_object_size(facets))
        return 0;
    if (!(r->facets = calloc(json_object_size(facets), sizeof *r->facets)))
        return -1;
    const char *name;
    json_t *vals;
    json_object_foreach(facets, name, vals)
    {
        mg_client_facet *f = &r->facets[r->nfacets++];
        f->name = name;
        if (facet_values(vals, f) != 0)
            return -1;
    }
    return 0;
}

/* Terms: [{"word":..,"stem":..,"docs":..},..] and terms_sample; -1 when
 * out of memory. Items that are not such objects are passed over. */
static int parse_terms(json_t *root, mg_client_results *r)
{
    json_t *terms = json_object_get(root, "terms");
    if (!json_is_array(terms))
        return 0;
    mg_client_term *t = calloc(json_array_size(terms) + 1, sizeof *t);
    if (!t)
        return -1;
    size_t i, n = 0;
    json_t *v;
    json_array_foreach(terms, i, v)
    {
        const char *word = mgc_str(v, "word"), *stem = mgc_str(v, "stem");
        json_int_t docs = json_integer_value(json_object_get(v, "docs"));
        if (word && stem && docs >= 0 && docs <= UINT_MAX)
            t[n++] = (mg_client_term){word, stem, (unsigned)docs};
    }
    r->terms = t;
    r->nterms = n;
    json_int_t sample = json_integer_value(json_object_get(root, "terms_sample"));
    r->terms_sample = sample > 0 ? (size_t)sample : 0;
    return 0;
}

int mg_client_results_parse(const char *reply, size_t len, mg_client_results **out,
                            mg_client_err *err)
{
    *out = NULL;
    void *p;
    json_t *root;
    const char *json;
    long long took = 0;
    int rc = new_result(reply, len, sizeof(mg_client_results), &p, &root, &json, &took, err);
    if (rc != 0)
        return rc;
    mg_client_results *r = p;
    r->internal_ = root;
    r->json = json;
    r->json_len = len;
    r->took_us = took;
    parse_totals(root, r);
    r->relaxed = json_is_true(json_object_get(root, "relaxed"));
    r->partial = json_is_true(json_object_get(root, "partial"));
    if (strings(json_object_get(root, "missing_shards"), &r->missing_shards, &r->nmissing) != 0)
        goto nomem;
    r->suggestion = mgc_str(root, "suggestion");
    r->next = mgc_str(root, "next");
    r->parsed = mgc_str(root, "parsed");
    json_t *hits = json_object_get(root, "hits");
    if (!json_is_array(hits)) {
        mg_client_results_free(r);
        return mgc_fail(err, MG_CLIENT_EREPLY, "the reply has no \"hits\" array");
    }
    if (parse_hits(hits, r) != 0 || parse_facets(json_object_get(root, "facets"), r) != 0 ||
        parse_terms(root, r) != 0)
        goto nomem;
    *out = r;
    return 0;
nomem:
    mg_client_results_free(r);
    return mgc_fail(err, MG_CLIENT_ENOMEM, "out of memory");
}

/* ---- get ---- */

void mg_client_doc_free(mg_client_doc *d)
{
    if (!d)
        return;
    free(d->categories);
    json_decref(d->internal_);
    free(d);
}

int mg_client_doc_parse(const char *reply, size_t len, mg_client_doc **out, mg_client_err *err)
{
    *out = NULL;
    void *p;
    json_t *root;
    const char *json;
    long long took = 0;
    int rc = new_result(reply, len, sizeof(mg_client_doc), &p, &root, &json, &took, err);
    if (rc != 0)
        return rc;
    mg_client_doc *d = p;
    d->internal_ = root;
    d->json = json;
    d->json_len = len;
    d->took_us = took;
    /* The record is in "doc" (or at the top level). */
    json_t *doc = json_object_get(root, "doc");
    if (!json_is_object(doc))
        doc = root;
    if (!mgc_str(doc, "id")) {
        mg_client_doc_free(d);
        return mgc_fail(err, MG_CLIENT_EREPLY, "the reply has no document id");
    }
    d->id = str0(doc, "id");
    d->title = str0(doc, "title");
    d->date = str0(doc, "date");
    d->source = str0(doc, "source");
    d->url = str0(doc, "url");
    d->author = str0(doc, "author");
    d->lang = str0(doc, "lang");
    d->body = str0(doc, "body");
    if (strings(json_object_get(doc, "categories"), &d->categories, &d->ncategories) != 0) {
        mg_client_doc_free(d);
        return mgc_fail(err, MG_CLIENT_ENOMEM, "out of memory");
    }
    *out = d;
    return 0;
}

/* ---- stats ---- */

void mg_client_stats_free(mg_client_stats *s)
{
    if (!s)
        return;
    json_decref(s->internal_);
    free(s);
}

/* Seconds since "updated" ("YYYY-MM-DDThh:mm:ssZ"), or -1 without it. */
static long long age_s(const char *updated)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (updated && strptime(updated, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return (long long)(time(NULL) - timegm(&tm));
    return -1;
}

int mg_client_stats_parse(const char *reply, size_t len, mg_client_stats **out, mg_client_err *err)
{
    *out = NULL;
    void *p;
    json_t *root;
    const char *json;
    int rc = new_result(reply, len, sizeof(mg_client_stats), &p, &root, &json, NULL, err);
    if (rc != 0)
        return rc;
    mg_client_stats *s = p;
    s->internal_ = root;
    s->json = json;
    s->json_len = len;
    json_t *ix = json_object_get(root, "stats");
    s->documents = num_or(ix, "documents", -1);
    s->revision = num_or(ix, "revision", -1);
    s->index_age_s = age_s(mgc_str(ix, "updated"));
    json_t *d = json_object_get(root, "daemon");
    s->uptime_s = num_or(d, "uptime_s", -1);
    s->queries = num_or(d, "queries", -1);
    s->errors = num_or(d, "errors", -1);
    s->latency_p50_us = num_or(d, "latency_p50_us", -1);
    s->latency_p99_us = num_or(d, "latency_p99_us", -1);
    s->workers = num_or(d, "workers", -1);
    *out = s;
    return 0;
}
