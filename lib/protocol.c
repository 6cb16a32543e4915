/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The wire protocol: validate a JSON request, run it on the engine, build
 * the JSON reply (the contract is in protocol.h). */
#include "protocol.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "utf8.h"

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

json_t *mg_proto_error(const char *code, const char *message)
{
    json_t *r = json_object(), *e = json_object();
    if (!r || !e) {
        json_decref(r);
        json_decref(e);
        return NULL;
    }
    json_t *m = json_string(message ? message : "");
    if (!m) { /* not UTF-8: repair */
        char *fixed;
        size_t n;
        if (mg_utf8_repair(message, strlen(message), &fixed, &n) >= 0) {
            m = json_stringn(fixed, n);
            free(fixed);
        }
    }
    json_object_set_new(e, "code", json_string(code ? code : "internal"));
    json_object_set_new(e, "message", m ? m : json_string(""));
    json_object_set_new(r, "v", json_integer(MG_PROTO_VERSION));
    json_object_set_new(r, "ok", json_false());
    json_object_set_new(r, "error", e);
    return r;
}

char *mg_proto_dump(const json_t *reply, size_t *len)
{
    char *s = json_dumps(reply, JSON_COMPACT);
    if (s && len)
        *len = strlen(s);
    return s;
}

/* A JSON string from text that should be UTF-8 (stored records are repaired
 * at index time, but never trust that). */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char *fixed;
    size_t n;
    if (mg_utf8_repair(s, strlen(s), &fixed, &n) < 0)
        return NULL;
    j = json_stringn(fixed, n);
    free(fixed);
    return j;
}

static json_t *jstrs(char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, jstr(v[i]));
    return a;
}

/* Nesting depth of raw JSON (outside strings), stopping past max. */
static int depth_over(const char *s, size_t len, int max)
{
    int d = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"')
            in_str = true;
        else if (c == '[' || c == '{') {
            if (++d > max)
                return 1;
        } else if (c == ']' || c == '}')
            d--;
    }
    return 0;
}

typedef struct bad {
    const char *code;
    char msg[256];
} bad;

static int fail(bad *b, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(bad *b, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->msg, sizeof b->msg, fmt, ap);
    va_end(ap);
    b->code = code;
    return -1;
}

/* Every key of o must be in the NULL-terminated list. */
static int only_fields(json_t *o, const char *op, const char *const *allowed, bad *b)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok)
            return fail(b, "bad_request", "unknown field '%.60s' in a %s request", key, op);
    }
    return 0;
}

static int get_string(json_t *o, const char *key, bool required, const char **out, bad *b)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v) {
        if (required)
            return fail(b, "bad_request", "missing field '%s'", key);
        return 0;
    }
    if (!json_is_string(v))
        return fail(b, "bad_request", "field '%s' must be a string", key);
    *out = json_string_value(v);
    if (strlen(*out) != json_string_length(v))
        return fail(b, "bad_request", "field '%s' holds a NUL character", key);
    return 0;
}

static int get_uint(json_t *o, const char *key, size_t lo, size_t hi, size_t *out, bad *b)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_integer(v))
        return fail(b, "bad_request", "field '%s' must be an integer", key);
    json_int_t i = json_integer_value(v);
    if (i < (json_int_t)lo || (uint64_t)i > (uint64_t)hi)
        return fail(b, "bad_request", "field '%s' must be in %zu..%zu (got %lld)", key, lo, hi,
                    (long long)i);
    *out = (size_t)i;
    return 0;
}

static int get_bool(json_t *o, const char *key, bool *out, bad *b)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return fail(b, "bad_request", "field '%s' must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

static int parse_search(json_t *o, mg_search_request *r, bad *b)
{
    static const char *const fields[] = {"v",        "op",    "query",   "offset", "limit",
                                         "sort",     "since", "until",   "source", "facets",
                                         "collapse", "relax", "snippet", NULL};
    if (only_fields(o, "search", fields, b) < 0 || get_string(o, "query", true, &r->query, b) < 0 ||
        get_uint(o, "offset", 0, 1000000000, &r->offset, b) < 0 ||
        get_uint(o, "limit", 1, 1000000000, &r->limit, b) < 0 ||
        get_string(o, "since", false, &r->since, b) < 0 ||
        get_string(o, "until", false, &r->until, b) < 0 ||
        get_string(o, "source", false, &r->source, b) < 0)
        return -1;
    const char *sort;
    if (get_string(o, "sort", false, &sort, b) < 0)
        return -1;
    if (!sort || strcmp(sort, "relevance") == 0)
        r->sort = MG_SORT_RELEVANCE;
    else if (strcmp(sort, "newest") == 0)
        r->sort = MG_SORT_NEWEST;
    else if (strcmp(sort, "oldest") == 0)
        r->sort = MG_SORT_OLDEST;
    else
        return fail(b, "bad_request",
                    "field 'sort' must be \"relevance\", \"newest\" or \"oldest\"");
    json_t *f = json_object_get(o, "facets");
    if (f) {
        if (!json_is_array(f))
            return fail(b, "bad_request", "field 'facets' must be an array of names");
        size_t i;
        json_t *v;
        json_array_foreach(f, i, v)
        {
            static const char *const names[] = {"source", "category", "year", "month"};
            static const unsigned flags[] = {MG_FACET_SOURCE, MG_FACET_CATEGORY, MG_FACET_YEAR,
                                             MG_FACET_MONTH};
            const char *name = json_string_value(v);
            unsigned flag = 0;
            for (int k = 0; name && k < 4; k++)
                if (strcmp(name, names[k]) == 0)
                    flag = flags[k];
            if (!flag)
                return fail(b, "bad_request",
                            "field 'facets' item %zu must be \"source\", \"category\", \"year\" "
                            "or \"month\"",
                            i);
            r->facets |= flag;
        }
    }
    bool collapse = true, relax = true;
    if (get_bool(o, "collapse", &collapse, b) < 0 || get_bool(o, "relax", &relax, b) < 0)
        return -1;
    r->no_collapse = !collapse;
    r->no_relax = !relax;
    r->snippets = true;
    json_t *sn = json_object_get(o, "snippet");
    if (sn && json_is_boolean(sn))
        r->snippets = json_is_true(sn);
    else if (sn && json_is_object(sn)) {
        static const char *const sfields[] = {"bytes", "start", "end", "html", NULL};
        bool html = false;
        if (only_fields(sn, "snippet", sfields, b) < 0 ||
            get_uint(sn, "bytes", 20, 2000, &r->snippet_bytes, b) < 0 ||
            get_string(sn, "start", false, &r->hl_start, b) < 0 ||
            get_string(sn, "end", false, &r->hl_end, b) < 0 || get_bool(sn, "html", &html, b) < 0)
            return -1;
        r->html = html;
    } else if (sn)
        return fail(b, "bad_request", "field 'snippet' must be false, true or an object");
    return 0;
}

static json_t *search_reply(const mg_search_result *res)
{
    json_t *r = json_object(), *total = json_object(), *hits = json_array();
    if (!r || !total || !hits) {
        json_decref(r);
        json_decref(total);
        json_decref(hits);
        return NULL;
    }
    json_object_set_new(total, "estimate", json_integer((json_int_t)res->total_estimate));
    json_object_set_new(total, "lower", json_integer((json_int_t)res->total_lower));
    json_object_set_new(total, "upper", json_integer((json_int_t)res->total_upper));
    json_object_set_new(total, "exact", json_boolean(res->total_exact));
    json_object_set_new(r, "total", total);
    json_object_set_new(r, "relaxed", json_boolean(res->relaxed));
    json_object_set_new(r, "suggestion", jstr(res->suggestion));
    json_object_set_new(r, "parsed", jstr(res->parsed));
    for (size_t i = 0; i < res->nhits; i++) {
        const mg_hit *h = &res->hits[i];
        json_t *o = json_object();
        if (!o)
            break;
        json_object_set_new(o, "rank", json_integer(h->rank));
        json_object_set_new(o, "score", json_real(h->score));
        json_object_set_new(o, "percent", json_integer(h->percent));
        json_object_set_new(o, "id", jstr(h->id));
        json_object_set_new(o, "title", jstr(h->title));
        json_object_set_new(o, "date", jstr(h->date));
        json_object_set_new(o, "source", jstr(h->source));
        json_object_set_new(o, "url", jstr(h->url));
        json_object_set_new(o, "categories", jstrs(h->categories, h->ncategories));
        json_object_set_new(o, "snippet", jstr(h->snippet));
        json_object_set_new(o, "collapsed", json_integer(h->collapsed));
        json_array_append_new(hits, o);
    }
    json_object_set_new(r, "hits", hits);
    if (res->nfacets) {
        json_t *facets = json_object();
        for (size_t i = 0; facets && i < res->nfacets; i++) {
            const mg_facet *f = &res->facets[i];
            json_t *a = json_array();
            for (size_t k = 0; a && k < f->nvalues; k++) {
                json_t *v = json_object();
                if (!v)
                    break;
                json_object_set_new(v, "value", jstr(f->values[k].value));
                json_object_set_new(v, "count", json_integer((json_int_t)f->values[k].count));
                json_array_append_new(a, v);
            }
            json_object_set_new(facets, f->name, a);
        }
        json_object_set_new(r, "facets", facets);
    }
    return r;
}

static json_t *error_from(const mg_err *err)
{
    const char *code = mg_search_error_code(err);
    return mg_proto_error(code, err->msg[0] ? err->msg : mg_code_name(err->code));
}

/* A valid request, but no index to run it on. */
static json_t *no_index(void)
{
    return mg_proto_error("unavailable", "no index is open");
}

static json_t *do_search(mg_searcher *s, json_t *o)
{
    mg_search_request r = {0};
    bad b = {0};
    if (parse_search(o, &r, &b) < 0)
        return mg_proto_error(b.code, b.msg);
    mg_search_result *res;
    mg_err err;
    if (!s)
        return no_index();
    if (mg_search_run(s, &r, &res, &err) < 0)
        return error_from(&err);
    json_t *reply = search_reply(res);
    mg_search_result_free(res);
    return reply;
}

static json_t *do_get(mg_searcher *s, json_t *o)
{
    static const char *const fields[] = {"v", "op", "id", NULL};
    const char *id;
    bad b = {0};
    if (only_fields(o, "get", fields, &b) < 0 || get_string(o, "id", true, &id, &b) < 0)
        return mg_proto_error(b.code, b.msg);
    mg_record rec;
    mg_record_init(&rec);
    mg_err err;
    if (!s)
        return no_index();
    if (mg_searcher_get(s, id, &rec, &err) < 0)
        return error_from(&err);
    json_t *r = json_object(), *d = json_object();
    if (r && d) {
        json_object_set_new(d, "id", jstr(rec.id));
        json_object_set_new(d, "title", jstr(rec.title));
        json_object_set_new(d, "date", jstr(rec.date));
        json_object_set_new(d, "source", jstr(rec.source));
        json_object_set_new(d, "url", jstr(rec.url));
        json_object_set_new(d, "author", jstr(rec.author));
        json_object_set_new(d, "lang", jstr(rec.lang));
        json_object_set_new(d, "categories", jstrs(rec.categories, rec.ncategories));
        json_object_set_new(d, "body", jstr(rec.body));
        json_object_set_new(r, "doc", d);
    } else {
        json_decref(r);
        json_decref(d);
        r = NULL;
    }
    mg_record_release(&rec);
    return r;
}

static json_t *do_stats(mg_searcher *s, json_t *o)
{
    static const char *const fields[] = {"v", "op", NULL};
    bad b = {0};
    if (only_fields(o, "stats", fields, &b) < 0)
        return mg_proto_error(b.code, b.msg);
    mg_searcher_info st;
    mg_err err;
    if (!s)
        return no_index();
    if (mg_searcher_stats(s, &st, &err) < 0)
        return error_from(&err);
    json_t *r = json_object(), *d = json_object();
    if (!r || !d) {
        json_decref(r);
        json_decref(d);
        return NULL;
    }
    json_object_set_new(d, "documents", json_integer((json_int_t)st.documents));
    json_object_set_new(d, "revision", json_integer((json_int_t)st.revision));
    if (st.updated_unix >= 0) {
        char iso[32];
        time_t t = (time_t)st.updated_unix;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_object_set_new(d, "updated", json_string(iso));
    } else
        json_object_set_new(d, "updated", json_null());
    json_object_set_new(d, "lang", jstr(st.lang));
    json_object_set_new(d, "path", jstr(st.path));
    json_object_set_new(r, "stats", d);
    return r;
}

static json_t *dispatch(mg_searcher *s, const char *req, size_t len)
{
    if (!req || !mg_utf8_valid(req, len))
        return mg_proto_error("bad_json", "the request is not valid UTF-8");
    if (depth_over(req, len, MG_PROTO_MAX_DEPTH)) {
        char m[128];
        snprintf(m, sizeof m, "the request nests deeper than %d levels", MG_PROTO_MAX_DEPTH);
        return mg_proto_error("too_deep", m);
    }
    json_error_t je;
    json_t *o = json_loadb(req, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        char m[256];
        snprintf(m, sizeof m, "the request is not JSON: %s at line %d column %d", je.text, je.line,
                 je.column);
        return mg_proto_error("bad_json", m);
    }
    json_t *reply = NULL;
    bad b = {0};
    const char *op = NULL;
    json_t *v = json_object_get(o, "v");
    if (!json_is_object(o))
        fail(&b, "bad_request", "the request must be a JSON object");
    else if (!v)
        fail(&b, "bad_request", "missing field 'v' (the protocol version, 1)");
    else if (!json_is_integer(v) || json_integer_value(v) != MG_PROTO_VERSION)
        fail(&b, "unsupported_version", "protocol version must be %d", MG_PROTO_VERSION);
    else if (get_string(o, "op", true, &op, &b) < 0)
        ;
    else if (strcmp(op, "ping") == 0) {
        static const char *const fields[] = {"v", "op", NULL};
        if (only_fields(o, "ping", fields, &b) == 0 && (reply = json_object()))
            json_object_set_new(reply, "pong", json_true());
    } else if (strcmp(op, "search") != 0 && strcmp(op, "get") != 0 && strcmp(op, "stats") != 0)
        fail(&b, "unknown_op", "unknown op '%.40s' (ops: search, get, stats, ping)", op);
    else if (op[0] == 's' && op[1] == 'e')
        reply = do_search(s, o);
    else if (op[0] == 'g')
        reply = do_get(s, o);
    else
        reply = do_stats(s, o);
    if (!reply && b.code)
        reply = mg_proto_error(b.code, b.msg);
    json_decref(o);
    return reply;
}

json_t *mg_proto_handle(mg_searcher *s, const char *req, size_t len)
{
    uint64_t t0 = now_us();
    json_t *r = dispatch(s, req, len);
    if (!r)
        r = mg_proto_error("internal", "out of memory");
    if (!r)
        return NULL;
    if (!json_object_get(r, "ok")) {
        /* a success: put the envelope first for readability */
        json_t *env = json_object();
        if (env) {
            json_object_set_new(env, "v", json_integer(MG_PROTO_VERSION));
            json_object_set_new(env, "ok", json_true());
            json_object_set_new(env, "took_us", json_integer(0));
            json_object_update(env, r);
            json_decref(r);
            r = env;
        }
    }
    json_object_set_new(r, "took_us", json_integer((json_int_t)(now_us() - t0)));
    return r;
}
