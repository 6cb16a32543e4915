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

#include <jansson.h>

#include "utf8.h"

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void put_took(mg_jw *w, size_t at, unsigned long long took_us)
{
    char d[24];
    int n = snprintf(d, sizeof d, "%llu", took_us);
    mg_jw_insert(w, at, d, (size_t)n);
}

/* An error reply, with the request's tag when it has one. */
static void error_reply(mg_jw *out, const char *code, const char *message,
                        unsigned long long took_us, const char *tag)
{
    mg_jw_reset(out);
    mg_jw_obj_open(out);
    mg_jw_kv_int(out, "v", MG_PROTO_VERSION);
    mg_jw_kv_bool(out, "ok", false);
    mg_jw_kv_uint(out, "took_us", took_us);
    if (tag)
        mg_jw_kv_str(out, "tag", tag);
    mg_jw_key(out, "error");
    mg_jw_obj_open(out);
    mg_jw_kv_str(out, "code", code ? code : "internal");
    mg_jw_kv_str(out, "message", message ? message : "");
    mg_jw_obj_close(out);
    mg_jw_obj_close(out);
}

void mg_proto_error(mg_jw *out, const char *code, const char *message, unsigned long long took_us)
{
    error_reply(out, code, message, took_us, NULL);
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

/* A request's outcome: the error (code NULL: none yet), and what the
 * caller's log wants to know. */
typedef struct bad {
    const char *code;
    char msg[256];
    const char *op; /* static, or NULL before the op is known */
    long long hits; /* hits in a search reply, or -1 */
    bool has_tag;
    char tag[MG_PROTO_MAX_TAG + 1];
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
    static const char *const fields[] = {
        "v",     "op",          "query",       "offset",    "limit", "sort",    "since",
        "until", "source",      "facets",      "collapse",  "relax", "snippet", "cursor",
        "after", "added_since", "added_until", "half_life", "terms", NULL};
    if (only_fields(o, "search", fields, b) < 0 || get_string(o, "query", true, &r->query, b) < 0 ||
        get_uint(o, "offset", 0, 1000000000, &r->offset, b) < 0 ||
        get_uint(o, "limit", 0, 1000000000, &r->limit, b) < 0 ||
        get_uint(o, "terms", 0, MG_MAX_TERMS, &r->terms, b) < 0 ||
        get_string(o, "since", false, &r->since, b) < 0 ||
        get_string(o, "until", false, &r->until, b) < 0 ||
        get_string(o, "source", false, &r->source, b) < 0 ||
        get_bool(o, "cursor", &r->cursor, b) < 0 ||
        get_string(o, "after", false, &r->after, b) < 0 ||
        get_string(o, "added_since", false, &r->added_since, b) < 0 ||
        get_string(o, "added_until", false, &r->added_until, b) < 0)
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
    else if (strcmp(sort, "relevance+recency") == 0)
        r->sort = MG_SORT_RECENCY;
    else
        return fail(b, "bad_request",
                    "field 'sort' must be \"relevance\", \"newest\", \"oldest\" or "
                    "\"relevance+recency\"");
    json_t *hl = json_object_get(o, "half_life");
    if (hl &&
        (!json_is_number(hl) || !(json_number_value(hl) > 0) || json_number_value(hl) > 1000000))
        return fail(b, "bad_request",
                    "field 'half_life' must be a number of days over 0 (up to 1000000)");
    r->half_life = hl ? json_number_value(hl) : 0;
    json_t *f = json_object_get(o, "facets");
    if (f) {
        if (!json_is_array(f))
            return fail(b, "bad_request", "field 'facets' must be an array of names");
        size_t i;
        json_t *v;
        json_array_foreach(f, i, v)
        {
            static const char *const names[] = {"source", "category", "year",
                                                "month",  "week",     "day"};
            static const unsigned flags[] = {MG_FACET_SOURCE, MG_FACET_CATEGORY, MG_FACET_YEAR,
                                             MG_FACET_MONTH,  MG_FACET_WEEK,     MG_FACET_DAY};
            const char *name = json_string_value(v);
            unsigned flag = 0;
            for (size_t k = 0; name && k < sizeof names / sizeof names[0]; k++)
                if (strcmp(name, names[k]) == 0)
                    flag = flags[k];
            if (!flag)
                return fail(b, "bad_request",
                            "field 'facets' item %zu must be \"source\", \"category\", \"year\", "
                            "\"month\", \"week\" or \"day\"",
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
        if ((r->hl_start && strlen(r->hl_start) > MG_PROTO_MAX_MARKER) ||
            (r->hl_end && strlen(r->hl_end) > MG_PROTO_MAX_MARKER))
            return fail(b, "bad_request", "field 'snippet.%s' is over %d bytes",
                        r->hl_start && strlen(r->hl_start) > MG_PROTO_MAX_MARKER ? "start" : "end",
                        MG_PROTO_MAX_MARKER);
    } else if (sn)
        return fail(b, "bad_request", "field 'snippet' must be false, true or an object");
    return 0;
}

/* A count: {"estimate","lower","upper","exact"}. */
static void count_obj(mg_jw *w, const char *key, unsigned long long estimate,
                      unsigned long long lower, unsigned long long upper, bool exact)
{
    mg_jw_key(w, key);
    mg_jw_obj_open(w);
    mg_jw_kv_uint(w, "estimate", estimate);
    mg_jw_kv_uint(w, "lower", lower);
    mg_jw_kv_uint(w, "upper", upper);
    mg_jw_kv_bool(w, "exact", exact);
    mg_jw_obj_close(w);
}

static void search_reply(mg_jw *w, const mg_search_result *res, bool no_hits, bool cursor)
{
    count_obj(w, "total", res->total_estimate, res->total_lower, res->total_upper,
              res->total_exact);
    count_obj(w, "total_all", res->all_estimate, res->all_lower, res->all_upper, res->all_exact);
    if (res->partial || res->nmissing)
        mg_jw_kv_bool(w, "partial", true);
    if (res->nmissing) {
        mg_jw_key(w, "missing_shards");
        mg_jw_arr_open(w);
        for (size_t i = 0; i < res->nmissing; i++)
            mg_jw_str(w, res->missing_shards[i]);
        mg_jw_arr_close(w);
    }
    mg_jw_kv_bool(w, "relaxed", res->relaxed);
    mg_jw_kv_str(w, "suggestion", res->suggestion);
    mg_jw_kv_str(w, "parsed", res->parsed);
    mg_jw_key(w, "hits");
    mg_jw_arr_open(w);
    for (size_t i = 0; i < (no_hits ? 0 : res->nhits); i++) {
        const mg_hit *h = &res->hits[i];
        mg_jw_obj_open(w);
        mg_jw_kv_uint(w, "rank", h->rank);
        mg_jw_key(w, "score");
        mg_jw_real(w, h->score);
        mg_jw_kv_int(w, "percent", h->percent);
        mg_jw_kv_str(w, "id", h->id);
        mg_jw_kv_str(w, "title", h->title);
        mg_jw_kv_str(w, "date", h->date);
        mg_jw_kv_str(w, "source", h->source);
        mg_jw_kv_str(w, "url", h->url);
        mg_jw_key(w, "categories");
        mg_jw_strs(w, h->categories, h->ncategories);
        mg_jw_kv_str(w, "snippet", h->snippet);
        mg_jw_kv_uint(w, "collapsed", h->collapsed);
        mg_jw_kv_str(w, "matched", h->partial ? "some" : "all");
        mg_jw_obj_close(w);
    }
    mg_jw_arr_close(w);
    if (res->nfacets) {
        mg_jw_key(w, "facets");
        mg_jw_obj_open(w);
        for (size_t i = 0; i < res->nfacets; i++) {
            const mg_facet *f = &res->facets[i];
            mg_jw_key(w, f->name);
            mg_jw_arr_open(w);
            for (size_t k = 0; k < f->nvalues; k++) {
                mg_jw_obj_open(w);
                mg_jw_kv_str(w, "value", f->values[k].value);
                mg_jw_kv_uint(w, "count", f->values[k].count);
                mg_jw_obj_close(w);
            }
            mg_jw_arr_close(w);
        }
        mg_jw_obj_close(w);
    }
    if (res->terms) {
        mg_jw_key(w, "terms");
        mg_jw_arr_open(w);
        for (size_t i = 0; i < res->nterms; i++) {
            mg_jw_obj_open(w);
            mg_jw_kv_str(w, "word", res->terms[i].word);
            mg_jw_kv_str(w, "stem", res->terms[i].stem);
            mg_jw_kv_uint(w, "docs", res->terms[i].docs);
            mg_jw_obj_close(w);
        }
        mg_jw_arr_close(w);
        mg_jw_kv_uint(w, "terms_sample", res->terms_sample);
    }
    if (cursor)
        mg_jw_kv_str(w, "next", res->next);
}

static int error_from(const mg_err *err, bad *b)
{
    return fail(b, mg_search_error_code(err), "%s",
                err->msg[0] ? err->msg : mg_code_name(err->code));
}

/* A valid request, but no index to run it on. */
static int no_index(bad *b)
{
    return fail(b, "unavailable", "no index is open");
}

static int do_search(mg_searcher *s, json_t *o, mg_jw *w, bad *b)
{
    mg_search_request r = {0};
    if (parse_search(o, &r, b) < 0)
        return -1;
    /* "limit":0 asks for the counts and facets alone: the engine runs a
     * page of one, which the reply leaves out */
    json_t *lim = json_object_get(o, "limit");
    bool no_hits = lim && json_integer_value(lim) == 0;
    if (no_hits) {
        r.limit = 1;
        r.snippets = false;
    }
    mg_search_result *res;
    mg_err err;
    if (!s)
        return no_index(b);
    if (mg_search_run(s, &r, &res, &err) < 0)
        return error_from(&err, b);
    search_reply(w, res, no_hits, r.cursor || r.after);
    b->hits = no_hits ? 0 : (long long)res->nhits;
    mg_search_result_free(res);
    return 0;
}

static int put_copy(void *w, const char *id)
{
    mg_jw_str(w, id);
    return 0;
}

static int do_get(mg_searcher *s, json_t *o, mg_jw *w, bad *b)
{
    static const char *const fields[] = {"v", "op", "id", "copies", NULL};
    const char *id;
    bool copies = false;
    if (only_fields(o, "get", fields, b) < 0 || get_string(o, "id", true, &id, b) < 0 ||
        get_bool(o, "copies", &copies, b) < 0)
        return -1;
    mg_record rec;
    mg_record_init(&rec);
    mg_err err;
    if (!s)
        return no_index(b);
    if (mg_searcher_get(s, id, &rec, &err) < 0)
        return error_from(&err, b);
    mg_jw_key(w, "doc");
    mg_jw_obj_open(w);
    mg_jw_kv_str(w, "id", rec.id);
    mg_jw_kv_str(w, "title", rec.title);
    mg_jw_kv_str(w, "date", rec.date);
    mg_jw_kv_str(w, "source", rec.source);
    mg_jw_kv_str(w, "url", rec.url);
    mg_jw_kv_str(w, "author", rec.author);
    mg_jw_kv_str(w, "lang", rec.lang);
    mg_jw_key(w, "categories");
    mg_jw_strs(w, rec.categories, rec.ncategories);
    mg_jw_kv_str(w, "body", rec.body);
    mg_jw_obj_close(w);
    mg_record_release(&rec);
    if (copies) {
        mg_jw_key(w, "copies");
        mg_jw_arr_open(w);
        if (mg_searcher_copies(s, id, put_copy, w, &err) < 0)
            return error_from(&err, b);
        mg_jw_arr_close(w);
    }
    return 0;
}

static int do_stats(mg_searcher *s, json_t *o, const mg_proto_hooks *hooks, mg_jw *w, bad *b)
{
    static const char *const fields[] = {"v", "op", NULL};
    if (only_fields(o, "stats", fields, b) < 0)
        return -1;
    mg_searcher_info st;
    mg_err err;
    if (!s)
        return no_index(b);
    if (mg_searcher_stats(s, &st, &err) < 0)
        return error_from(&err, b);
    mg_jw_key(w, "stats");
    mg_jw_obj_open(w);
    mg_jw_kv_uint(w, "documents", st.documents);
    mg_jw_kv_uint(w, "revision", st.revision);
    mg_jw_key(w, "updated");
    if (st.updated_unix >= 0) {
        char iso[32];
        time_t t = (time_t)st.updated_unix;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
        mg_jw_str(w, iso);
    } else
        mg_jw_null(w);
    mg_jw_key(w, "added");
    if (st.added[0])
        mg_jw_str(w, st.added);
    else
        mg_jw_null(w);
    mg_jw_kv_str(w, "lang", st.lang);
    mg_jw_kv_str(w, "path", st.path);
    mg_jw_obj_close(w);
    if (hooks && hooks->stats_extra)
        hooks->stats_extra(hooks->arg, w, &st);
    return 0;
}

static int do_values(mg_searcher *s, json_t *o, mg_jw *w, bad *b)
{
    static const char *const fields[] = {"v", "op", "field", "limit", NULL};
    const char *field;
    size_t limit = 100;
    if (only_fields(o, "values", fields, b) < 0 || get_string(o, "field", true, &field, b) < 0 ||
        get_uint(o, "limit", 1, 100000, &limit, b) < 0)
        return -1;
    if (strcmp(field, "source") != 0 && strcmp(field, "category") != 0)
        return fail(b, "bad_request", "field 'field' must be \"source\" or \"category\"");
    if (!s)
        return no_index(b);
    mg_values v;
    mg_err err;
    if (mg_search_values(s, field, limit, &v, &err) < 0)
        return error_from(&err, b);
    mg_jw_kv_str(w, "field", field);
    mg_jw_kv_uint(w, "total", v.total);
    mg_jw_key(w, "values");
    mg_jw_arr_open(w);
    for (size_t i = 0; i < v.n; i++) {
        mg_jw_obj_open(w);
        mg_jw_kv_str(w, "value", v.values[i].value);
        mg_jw_kv_uint(w, "count", v.values[i].count);
        mg_jw_obj_close(w);
    }
    mg_jw_arr_close(w);
    mg_values_release(&v);
    return 0;
}

static int do_metrics(mg_searcher *s, json_t *o, const mg_proto_hooks *hooks, mg_jw *w, bad *b)
{
    static const char *const fields[] = {"v", "op", NULL};
    if (only_fields(o, "metrics", fields, b) < 0)
        return -1;
    if (!hooks || !hooks->metrics)
        return fail(b, "unavailable", "metrics are served by morgued only");
    mg_searcher_info st;
    mg_err err;
    bool have = s && mg_searcher_stats(s, &st, &err) == 0;
    return hooks->metrics(hooks->arg, w, have ? &st : NULL) < 0
               ? fail(b, "internal", "out of memory")
               : 0;
}

/* Take the optional "tag" out of o into b (echoed in the reply, ok or
 * not), writing it as the reply's first member. */
static int take_tag(json_t *o, mg_jw *w, bad *b)
{
    json_t *t = json_object_get(o, "tag");
    if (!t)
        return 0;
    if (!json_is_string(t))
        return fail(b, "bad_request", "field 'tag' must be a string");
    if (json_string_length(t) > MG_PROTO_MAX_TAG)
        return fail(b, "bad_request", "field 'tag' is over %d bytes", MG_PROTO_MAX_TAG);
    if (strlen(json_string_value(t)) != json_string_length(t))
        return fail(b, "bad_request", "field 'tag' holds a NUL character");
    memcpy(b->tag, json_string_value(t), json_string_length(t) + 1);
    b->has_tag = true;
    mg_jw_kv_str(w, "tag", b->tag);
    json_object_del(o, "tag");
    return 0;
}

/* The static name of a known op, or NULL. */
static const char *known_op(const char *op)
{
    static const char *const ops[] = {"search", "get", "stats", "values", "metrics", "ping"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(op, ops[i]) == 0)
            return ops[i];
    return NULL;
}

/* Validate and run the request; on success the reply's members after the
 * envelope are in w, on failure b holds the error. */
static int dispatch(mg_searcher *s, const char *req, size_t len, const mg_proto_hooks *hooks,
                    mg_jw *w, bad *b)
{
    if (!req || !mg_utf8_valid(req, len))
        return fail(b, "bad_json", "the request is not valid UTF-8");
    if (depth_over(req, len, MG_PROTO_MAX_DEPTH))
        return fail(b, "too_deep", "the request nests deeper than %d levels", MG_PROTO_MAX_DEPTH);
    json_error_t je;
    json_t *o = json_loadb(req, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return fail(b, "bad_json", "the request is not JSON: %s at line %d column %d", je.text,
                    je.line, je.column);
    int rc = -1;
    const char *op = NULL;
    json_t *v = json_object_get(o, "v");
    if (!json_is_object(o))
        fail(b, "bad_request", "the request must be a JSON object");
    else if (take_tag(o, w, b) < 0)
        ;
    else if (!v)
        fail(b, "bad_request", "missing field 'v' (the protocol version, 1)");
    else if (!json_is_integer(v) || json_integer_value(v) != MG_PROTO_VERSION)
        fail(b, "unsupported_version", "protocol version must be %d", MG_PROTO_VERSION);
    else if (get_string(o, "op", true, &op, b) < 0)
        ;
    else if ((b->op = known_op(op)) == NULL)
        fail(b, "unknown_op", "unknown op '%.40s' (ops: search, get, stats, values, metrics, ping)",
             op);
    else if (strcmp(op, "ping") == 0) {
        static const char *const fields[] = {"v", "op", NULL};
        if ((rc = only_fields(o, "ping", fields, b)) == 0) {
            mg_jw_kv_bool(w, "pong", true);
        }
    } else if (strcmp(op, "search") == 0)
        rc = do_search(s, o, w, b);
    else if (strcmp(op, "get") == 0)
        rc = do_get(s, o, w, b);
    else if (strcmp(op, "stats") == 0)
        rc = do_stats(s, o, hooks, w, b);
    else if (strcmp(op, "values") == 0)
        rc = do_values(s, o, w, b);
    else if (strcmp(op, "metrics") == 0)
        rc = do_metrics(s, o, hooks, w, b);
    json_decref(o);
    return rc;
}

static void set_info(mg_proto_info *info, const bad *b, const char *code)
{
    info->code = code;
    info->op = b->op;
    info->hits = code ? -1 : b->hits;
}

int mg_proto_handle(mg_searcher *s, const char *req, size_t len, const mg_proto_hooks *hooks,
                    mg_jw *out, const char **code)
{
    mg_proto_info info;
    int rc = mg_proto_run(s, req, len, hooks, out, &info);
    if (code)
        *code = info.code;
    return rc;
}

int mg_proto_run(mg_searcher *s, const char *req, size_t len, const mg_proto_hooks *hooks,
                 mg_jw *out, mg_proto_info *info)
{
    uint64_t t0 = now_us();
    bad b = {.hits = -1};
    size_t max = out->max;
    if (out->max > MG_PROTO_MAX_REPLY)
        out->max = MG_PROTO_MAX_REPLY;
    mg_jw_reset(out);
    mg_jw_obj_open(out);
    mg_jw_kv_int(out, "v", MG_PROTO_VERSION);
    mg_jw_kv_bool(out, "ok", true);
    mg_jw_key(out, "took_us");
    /* took_us goes here once known; the members follow it */
    size_t took_at = out->len;
    out->after_key = false;
    int rc = dispatch(s, req, len, hooks, out, &b);
    size_t cap = out->max;
    out->max = max;
    if (rc == 0) {
        mg_jw_obj_close(out);
        if (!mg_jw_failed(out)) {
            put_took(out, took_at, now_us() - t0);
            if (!mg_jw_failed(out)) {
                set_info(info, &b, NULL);
                return 1;
            }
        }
        if (mg_jw_over_max(out))
            fail(&b, "too_big",
                 "the reply would be over %zu bytes: ask for fewer hits (limit) or shorter "
                 "snippets",
                 cap);
        else
            fail(&b, "internal", "out of memory (the reply is too large)");
    } else if (!b.code)
        fail(&b, "internal", "out of memory");
    error_reply(out, b.code, b.msg, now_us() - t0, b.has_tag ? b.tag : NULL);
    set_info(info, &b, b.code);
    if (mg_jw_failed(out)) {
        mg_jw_reset(out);
        return -1;
    }
    return 0;
}
