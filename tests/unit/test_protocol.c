/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the JSON protocol handler: strict validation with one
 * error code per failure, the reply shapes of search/get/stats/ping, and
 * hostile input (invalid UTF-8, deep nesting, garbage) answered, never
 * crashed on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "protocol.h"
#include "record.h"
#include "search_fixture.h"
#include "utf8.h"

static char tmp[128];
static mg_searcher *s;

static int setup(void **state)
{
    (void)state;
    if (fx_tmpdir(tmp, sizeof tmp, "proto") != 0)
        return -1;
    return fx_open_index(tmp, "corpus", &s);
}

static int teardown(void **state)
{
    (void)state;
    return fx_close(s, tmp);
}

/* Run a request through mg_proto_handle and parse the reply text back with
 * jansson: every reply must be one valid JSON object, with the envelope
 * first and the return code agreeing with "ok". */
static json_t *run_n(mg_searcher *srch, const mg_proto_hooks *hooks, const char *req, size_t len)
{
    mg_jw out;
    mg_jw_init(&out, 0);
    const char *code = "unset";
    int rc = mg_proto_handle(srch, req, len, hooks, &out, &code);
    assert_true(rc == 0 || rc == 1);
    assert_non_null(out.buf);
    assert_int_equal(strlen(out.buf), out.len);
    assert_true(
        strncmp(out.buf,
                rc ? "{\"v\":1,\"ok\":true,\"took_us\":" : "{\"v\":1,\"ok\":false,\"took_us\":",
                27) == 0);
    json_error_t je;
    json_t *r = json_loadb(out.buf, out.len, JSON_REJECT_DUPLICATES, &je);
    if (!r)
        print_error("reply does not parse: %s\n%s\n", je.text, out.buf);
    assert_non_null(r);
    assert_true(json_is_object(r));
    assert_int_equal(json_integer_value(json_object_get(r, "v")), 1);
    assert_true(json_is_integer(json_object_get(r, "took_us")));
    assert_true(json_integer_value(json_object_get(r, "took_us")) >= 0);
    if (rc) {
        assert_true(json_is_true(json_object_get(r, "ok")));
        assert_null(code);
    } else {
        assert_true(json_is_false(json_object_get(r, "ok")));
        assert_non_null(code);
        assert_string_equal(
            code, json_string_value(json_object_get(json_object_get(r, "error"), "code")));
    }
    mg_jw_release(&out);
    return r;
}

static json_t *handle(mg_searcher *srch, const char *req)
{
    return run_n(srch, NULL, req, strlen(req));
}

static void expect_error_n(mg_searcher *srch, const char *req, size_t len, const char *code,
                           const char *message)
{
    json_t *r = run_n(srch, NULL, req, len);
    assert_true(json_is_false(json_object_get(r, "ok")));
    json_t *e = json_object_get(r, "error");
    const char *c = json_string_value(json_object_get(e, "code"));
    const char *m = json_string_value(json_object_get(e, "message"));
    assert_non_null(c);
    assert_non_null(m);
    if (strcmp(c, code) != 0 || strcmp(m, message) != 0)
        print_error("request %.*s\n  expected %s: %s\n  got      %s: %s\n", (int)len, req, code,
                    message, c, m);
    assert_string_equal(c, code);
    assert_string_equal(m, message);
    assert_int_equal(json_object_size(r), 4);
    assert_int_equal(json_object_size(e), 2);
    json_decref(r);
}

static void expect_error(const char *req, const char *code, const char *message)
{
    expect_error_n(s, req, strlen(req), code, message);
}

static void test_ping(void **state)
{
    (void)state;
    json_t *r = handle(NULL, "{\"v\":1,\"op\":\"ping\"}");
    assert_true(json_is_true(json_object_get(r, "ok")));
    assert_true(json_is_true(json_object_get(r, "pong")));
    assert_int_equal(json_object_size(r), 4);
    json_decref(r);
}

static void test_search_reply(void **state)
{
    (void)state;
    json_t *r = handle(s, "{\"v\":1,\"op\":\"search\",\"query\":\"muller\",\"limit\":2,"
                          "\"facets\":[\"source\",\"year\"],"
                          "\"snippet\":{\"bytes\":80,\"start\":\"[\",\"end\":\"]\"}}");
    assert_true(json_is_true(json_object_get(r, "ok")));
    json_t *total = json_object_get(r, "total");
    assert_int_equal(json_integer_value(json_object_get(total, "estimate")), 3);
    assert_int_equal(json_integer_value(json_object_get(total, "lower")), 3);
    assert_int_equal(json_integer_value(json_object_get(total, "upper")), 3);
    assert_true(json_is_true(json_object_get(total, "exact")));
    assert_true(json_is_false(json_object_get(r, "relaxed")));
    /* an empty filter is none: the same three */
    json_t *e =
        handle(s, "{\"v\":1,\"op\":\"search\",\"query\":\"muller\",\"source\":\"\","
                  "\"since\":\"\",\"until\":\"\",\"added_since\":\"\",\"added_until\":\"\"}");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "total"), "estimate")),
                     3);
    json_decref(e);
    assert_true(json_is_null(json_object_get(r, "suggestion")));
    assert_true(json_is_string(json_object_get(r, "parsed")));
    json_t *hits = json_object_get(r, "hits");
    assert_int_equal(json_array_size(hits), 2);
    json_t *h = json_array_get(hits, 0);
    assert_int_equal(json_integer_value(json_object_get(h, "rank")), 1);
    assert_true(json_is_real(json_object_get(h, "score")));
    assert_int_equal(json_integer_value(json_object_get(h, "percent")), 100);
    assert_string_equal(json_string_value(json_object_get(h, "id")), "ah-2024-0002");
    assert_non_null(strstr(json_string_value(json_object_get(h, "title")), "Müller"));
    assert_true(strncmp(json_string_value(json_object_get(h, "date")), "2024-", 5) == 0);
    assert_string_equal(json_string_value(json_object_get(h, "source")), "Alpine Herald");
    assert_true(json_is_string(json_object_get(h, "url")));
    assert_true(json_is_array(json_object_get(h, "categories")));
    assert_non_null(strstr(json_string_value(json_object_get(h, "snippet")), "[Müller]"));
    assert_int_equal(json_integer_value(json_object_get(h, "collapsed")), 0);
    assert_string_equal(json_string_value(json_object_get(h, "matched")), "all");
    assert_true(json_equal(json_object_get(r, "total_all"), total));
    json_t *facets = json_object_get(r, "facets");
    json_t *src = json_object_get(facets, "source");
    assert_string_equal(json_string_value(json_object_get(json_array_get(src, 0), "value")),
                        "Alpine Herald");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(src, 0), "count")), 3);
    assert_true(json_is_array(json_object_get(facets, "year")));
    assert_null(json_object_get(facets, "category"));
    /* a cursor: "next" only when asked for, the next page after it */
    assert_null(json_object_get(r, "next"));
    json_decref(r);
    r = handle(s, "{\"v\":1,\"op\":\"search\",\"query\":\"muller\",\"limit\":2,"
                  "\"cursor\":true}");
    const char *next = json_string_value(json_object_get(r, "next"));
    assert_non_null(next);
    char req[512];
    snprintf(req, sizeof req,
             "{\"v\":1,\"op\":\"search\",\"query\":\"muller\",\"limit\":2,\"after\":\"%s\"}", next);
    json_t *r2 = handle(s, req);
    assert_int_equal(json_array_size(json_object_get(r2, "hits")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(json_object_get(r2, "hits"), 0), "rank")),
        3);
    assert_true(json_is_null(json_object_get(r2, "next")));
    json_decref(r2);
    json_decref(r);
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"after\":\"1.x\"}", "bad_cursor",
                 "bad cursor: '1.x' is not a \"next\" of a reply");

    /* values: the sources with their counts */
    r = handle(s, "{\"v\":1,\"op\":\"values\",\"field\":\"source\",\"limit\":1}");
    assert_string_equal(json_string_value(json_object_get(r, "field")), "source");
    assert_true(json_integer_value(json_object_get(r, "total")) > 1);
    json_t *vals = json_object_get(r, "values");
    assert_int_equal(json_array_size(vals), 1);
    assert_true(json_integer_value(json_object_get(json_array_get(vals, 0), "count")) > 0);
    json_decref(r);
    expect_error("{\"v\":1,\"op\":\"values\",\"field\":\"title\"}", "bad_request",
                 "field 'field' must be \"source\" or \"category\"");
    expect_error("{\"v\":1,\"op\":\"values\"}", "bad_request", "missing field 'field'");

    /* limit 0: the counts and facets alone; week and day facets */
    r = handle(s, "{\"v\":1,\"op\":\"search\",\"query\":\"muller\",\"limit\":0,"
                  "\"facets\":[\"week\",\"day\"]}");
    assert_true(json_is_true(json_object_get(r, "ok")));
    assert_int_equal(json_array_size(json_object_get(r, "hits")), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "total"), "lower")), 3);
    facets = json_object_get(r, "facets");
    json_t *week = json_object_get(facets, "week"), *day = json_object_get(facets, "day");
    assert_true(json_array_size(week) > 0 && json_array_size(day) > 0);
    const char *w0 = json_string_value(json_object_get(json_array_get(week, 0), "value"));
    assert_true(strlen(w0) == 8 && w0[5] == 'W');
    json_decref(r);

    /* snippet:false, sort, paging, since/until, source, collapse, relax */
    r = handle(s, "{\"v\":1,\"op\":\"search\",\"query\":\"kim\",\"snippet\":false,"
                  "\"sort\":\"oldest\",\"offset\":1,\"limit\":2,\"since\":\"2011\","
                  "\"until\":\"2025-12-31\",\"source\":\"Pacific Dispatch\",\"collapse\":false,"
                  "\"relax\":false}");
    hits = json_object_get(r, "hits");
    assert_int_equal(json_array_size(hits), 2);
    h = json_array_get(hits, 0);
    assert_int_equal(json_integer_value(json_object_get(h, "rank")), 2);
    assert_string_equal(json_string_value(json_object_get(h, "id")), "pd-2018-0001");
    assert_true(json_is_null(json_object_get(h, "snippet")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(hits, 1), "id")),
                        "pd-2025-0001");
    json_decref(r);

    /* added_since/added_until: when the articles entered the index (the
     * stats' "added": the fixture's one indexing run) */
    r = handle(s, "{\"v\":1,\"op\":\"stats\"}");
    char added[16];
    snprintf(added, sizeof added, "%s",
             json_string_value(json_object_get(json_object_get(r, "stats"), "added")));
    json_decref(r);
    assert_int_equal(strlen(added), 14);
    char added_day[9];
    snprintf(added_day, sizeof added_day, "%.8s", added);
    static const struct {
        const char *since, *until; /* "=": added, "=day": its day, NULL: none */
        int all;                   /* 1: every hit of "kim", 0: none */
    } ranges[] = {
        {"=", NULL, 1},          {NULL, "=", 1},       {"1999", NULL, 1},
        {NULL, "1999-12-31", 0}, {"2999-01", NULL, 0}, {"=day", "=day", 1},
    };
    r = handle(s, "{\"v\":1,\"op\":\"search\",\"query\":\"kim\",\"limit\":0}");
    json_int_t kim = json_integer_value(json_object_get(json_object_get(r, "total"), "upper"));
    json_decref(r);
    assert_true(kim > 0);
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        const char *b[2] = {ranges[i].since, ranges[i].until};
        for (int k = 0; k < 2; k++)
            if (b[k] && b[k][0] == '=')
                b[k] = b[k][1] ? added_day : added;
        json_t *q =
            json_pack("{s:i,s:s,s:s,s:i}", "v", 1, "op", "search", "query", "kim", "limit", 0);
        if (b[0])
            json_object_set_new(q, "added_since", json_string(b[0]));
        if (b[1])
            json_object_set_new(q, "added_until", json_string(b[1]));
        char *text = json_dumps(q, JSON_COMPACT);
        json_decref(q);
        r = handle(s, text);
        json_int_t n = json_integer_value(json_object_get(json_object_get(r, "total"), "upper"));
        if (n != (ranges[i].all ? kim : 0))
            print_error("%s: %lld hits\n", text, (long long)n);
        assert_int_equal(n, ranges[i].all ? kim : 0);
        free(text);
        json_decref(r);
    }

    /* no document has both words: every hit has only some of them */
    r = handle(s, "{\"v\":1,\"op\":\"search\",\"query\":\"kim xyzzy\"}");
    assert_true(json_is_true(json_object_get(r, "relaxed")));
    hits = json_object_get(r, "hits");
    assert_true(json_array_size(hits) > 0);
    for (size_t i = 0; i < json_array_size(hits); i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(hits, i), "matched")),
                            "some");
    json_t *all = json_object_get(r, "total_all");
    assert_int_equal(json_integer_value(json_object_get(all, "upper")), 0);
    assert_true(json_is_true(json_object_get(all, "exact")));
    json_decref(r);
}

static void test_get_and_stats(void **state)
{
    (void)state;
    json_t *r = handle(s, "{\"v\":1,\"op\":\"get\",\"id\":\"ah-2024-0002\"}");
    json_t *d = json_object_get(r, "doc");
    assert_string_equal(json_string_value(json_object_get(d, "id")), "ah-2024-0002");
    assert_string_equal(json_string_value(json_object_get(d, "author")), "Jürg Baumann");
    assert_true(json_string_length(json_object_get(d, "body")) > 100);
    assert_true(json_is_array(json_object_get(d, "categories")));
    assert_true(json_is_string(json_object_get(d, "lang")));
    json_decref(r);
    r = handle(s, "{\"v\":1,\"op\":\"stats\"}");
    json_t *st = json_object_get(r, "stats");
    assert_int_equal(json_integer_value(json_object_get(st, "documents")), 53);
    assert_string_equal(json_string_value(json_object_get(st, "lang")), "english");
    assert_true(json_is_string(json_object_get(st, "updated")));
    assert_true(json_is_integer(json_object_get(st, "revision")));
    assert_true(json_is_string(json_object_get(st, "path")));
    json_decref(r);
}

static void test_protocol_errors(void **state)
{
    (void)state;
    expect_error("", "bad_json",
                 "the request is not JSON: '[' or '{' expected near end of file "
                 "at line 1 column 0");
    expect_error("{\"v\":1,", "bad_json",
                 "the request is not JSON: string or '}' expected near end of file at line 1 "
                 "column 7");
    expect_error_n(s, "{\"v\":1,\"op\":\"p\xffng\"}", 19, "bad_json",
                   "the request is not valid UTF-8");
    expect_error_n(s, "{\"v\":1,\"op\":\"ping\"}\0x", 21, "bad_json",
                   "the request is not JSON: end of file expected near end of file at line 1 "
                   "column 20");
    expect_error("[1,2]", "bad_request", "the request must be a JSON object");
    expect_error("{\"op\":\"ping\"}", "bad_request", "missing field 'v' (the protocol version, 1)");
    expect_error("{\"v\":2,\"op\":\"ping\"}", "unsupported_version", "protocol version must be 1");
    expect_error("{\"v\":\"1\",\"op\":\"ping\"}", "unsupported_version",
                 "protocol version must be 1");
    expect_error("{\"v\":1}", "bad_request", "missing field 'op'");
    expect_error("{\"v\":1,\"op\":7}", "bad_request", "field 'op' must be a string");
    expect_error("{\"v\":1,\"op\":\"delete\"}", "unknown_op",
                 "unknown op 'delete' (ops: search, get, stats, values, metrics, ping)");
    expect_error("{\"v\":1,\"op\":\"ping\",\"v\":1}", "bad_json",
                 "the request is not JSON: duplicate object key near '\"v\"' at line 1 column 22");
    expect_error("{\"v\":1,\"op\":\"ping\",\"x\":1}", "bad_request",
                 "unknown field 'x' in a ping request");
    char deep[100] = "{\"v\":1,\"op\":\"ping\",\"a\":";
    for (int i = 0; i < 20; i++)
        strcat(deep, "[");
    expect_error(deep, "too_deep", "the request nests deeper than 16 levels");
    /* within the limit, a deep value is just an unknown field */
    expect_error("{\"v\":1,\"op\":\"ping\",\"a\":[[[[1]]]]}", "bad_request",
                 "unknown field 'a' in a ping request");
    /* no index */
    const char *no_index = "{\"v\":1,\"op\":\"search\",\"query\":\"x\"}";
    expect_error_n(NULL, no_index, strlen(no_index), "unavailable", "no index is open");
    /* an invalid request gets its own error even without an index */
    const char *bad_no_index = "{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"limit\":-1}";
    expect_error_n(NULL, bad_no_index, strlen(bad_no_index), "bad_request",
                   "field 'limit' must be in 0..1000000000 (got -1)");
}

static void test_search_request_errors(void **state)
{
    (void)state;
    expect_error("{\"v\":1,\"op\":\"search\"}", "bad_request", "missing field 'query'");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":5}", "bad_request",
                 "field 'query' must be a string");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\\u0000y\"}", "bad_json",
                 "the request is not JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near "
                 "'\"x\\u0000y\"' at line 1 column 39");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"limt\":5}", "bad_request",
                 "unknown field 'limt' in a search request");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"facets\":[\"hour\"]}", "bad_request",
                 "field 'facets' item 0 must be \"source\", \"category\", \"year\", \"month\", "
                 "\"week\" or \"day\"");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"limit\":2.5}", "bad_request",
                 "field 'limit' must be an integer");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"terms\":101}", "bad_request",
                 "field 'terms' must be in 0..100 (got 101)");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"terms\":\"all\"}", "bad_request",
                 "field 'terms' must be an integer");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"offset\":-1}", "bad_request",
                 "field 'offset' must be in 0..1000000000 (got -1)");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"limit\":5000}", "bad_paging",
                 "bad paging: limit 5000 is over 1000");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"offset\":9999,\"limit\":2}",
                 "bad_paging", "bad paging: offset+limit 10001 is over 10000");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"sort\":\"best\"}", "bad_request",
                 "field 'sort' must be \"relevance\", \"newest\", \"oldest\" or "
                 "\"relevance+recency\"");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"half_life\":0}", "bad_request",
                 "field 'half_life' must be a number of days over 0 (up to 1000000)");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"half_life\":\"7\"}", "bad_request",
                 "field 'half_life' must be a number of days over 0 (up to 1000000)");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"facets\":\"source\"}", "bad_request",
                 "field 'facets' must be an array of names");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"facets\":[\"source\",\"colour\"]}",
                 "bad_request",
                 "field 'facets' item 1 must be \"source\", \"category\", \"year\", \"month\", "
                 "\"week\" or \"day\"");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"collapse\":1}", "bad_request",
                 "field 'collapse' must be true or false");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"snippet\":\"yes\"}", "bad_request",
                 "field 'snippet' must be false, true or an object");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"snippet\":{\"bytes\":5}}",
                 "bad_request", "field 'bytes' must be in 20..2000 (got 5)");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"snippet\":{\"colour\":1}}",
                 "bad_request", "unknown field 'colour' in a snippet request");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"since\":\"1987-13\"}", "bad_date",
                 "bad date in since: '1987-13' (no such month)");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"added_since\":\"2026-1\"}",
                 "bad_date",
                 "bad date in added_since: '2026-1' (want YYYYMMDDhhmmss or a leading part)");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"added_until\":\"2026/12\"}",
                 "bad_date",
                 "bad date in added_until: '2026/12' (want YYYYMMDDhhmmss or a leading part)");
    /* times that do not exist, and a range that ends before it starts, are
     * errors, not a silent empty (or whole) answer */
    static const char *const no_such[] = {"2026-13",          "20261306",       "2026-00",
                                          "2026-02-30",       "2025-02-29",     "2026-04-31",
                                          "20261232",         "2026-12-07T24",  "2026123125",
                                          "2026-12-07T23:60", "20261231235960", "2026-12-00"};
    for (size_t i = 0; i < sizeof no_such / sizeof no_such[0]; i++) {
        const char *field = i % 2 ? "added_until" : "added_since";
        char req[256], msg[160];
        snprintf(req, sizeof req, "{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"%s\":\"%s\"}",
                 field, no_such[i]);
        snprintf(msg, sizeof msg,
                 "bad date in %s: '%s' is no such time (month 01-12, a day of that month, hour "
                 "00-23, minute and second 00-59)",
                 field, no_such[i]);
        expect_error(req, "bad_date", msg);
    }
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"added_since\":\"2027\","
                 "\"added_until\":\"2026\"}",
                 "bad_date", "added_since 2027 is after added_until 2026");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"added_since\":\"2026-12-07T10\","
                 "\"added_until\":\"2026-12-07T09:59\"}",
                 "bad_date", "added_since 2026-12-07T10 is after added_until 2026-12-07T09:59");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"added_since\":2026}", "bad_request",
                 "field 'added_since' must be a string");
    /* query errors carry their own codes */
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"\"}", "empty_query",
                 "empty query: nothing to search for");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"kim \\\"jong\"}", "unbalanced_quote",
                 "unbalanced quote at column 5: no closing \"");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"titel:x\"}", "unknown_field",
                 "unknown field 'titel:' at column 1 (fields: title, source, author, category, "
                 "id, date, like)");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"like:nope\"}", "like_not_found",
                 "like: no such document at column 1: no document with id 'nope'");
    expect_error("{\"v\":1,\"op\":\"get\"}", "bad_request", "missing field 'id'");
    expect_error("{\"v\":1,\"op\":\"get\",\"id\":\"nope\"}", "not_found",
                 "no document with id 'nope'");
    expect_error("{\"v\":1,\"op\":\"stats\",\"id\":1}", "bad_request",
                 "unknown field 'id' in a stats request");
}

static void test_garbage_never_crashes(void **state)
{
    (void)state;
    /* a cheap deterministic fuzz: random bytes and mutated requests */
    const char *base = "{\"v\":1,\"op\":\"search\",\"query\":\"kim (jong OR \\\"un\\\")\","
                       "\"limit\":3,\"facets\":[\"year\"],\"snippet\":{\"bytes\":40}}";
    size_t n = strlen(base);
    char buf[512];
    unsigned seed = 12345;
    for (int i = 0; i < 3000; i++) {
        memcpy(buf, base, n);
        int flips = 1 + i % 4;
        for (int k = 0; k < flips; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            seed = seed * 1103515245u + 12345u;
            buf[at] = (char)(seed >> 16);
        }
        json_decref(run_n(s, NULL, buf, n));
    }
}

/* ---- the replies against a reference built with jansson ----
 * The reply writer replaced jansson objects + json_dumps; this is that old
 * encoder, kept here to check that every field of every reply kind is the
 * same value as before (parsed back, compared with json_equal). */

static json_t *ref_str(const char *v)
{
    if (!v)
        return json_null();
    json_t *j = json_string(v);
    if (j)
        return j;
    char *fixed;
    size_t n;
    assert_true(mg_utf8_repair(v, strlen(v), &fixed, &n) >= 0);
    j = json_stringn(fixed, n);
    free(fixed);
    return j;
}

static json_t *ref_strs(char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, ref_str(v[i]));
    return a;
}

static json_t *ref_count(unsigned long long estimate, unsigned long long lower,
                         unsigned long long upper, bool exact)
{
    json_t *c = json_object();
    json_object_set_new(c, "estimate", json_integer((json_int_t)estimate));
    json_object_set_new(c, "lower", json_integer((json_int_t)lower));
    json_object_set_new(c, "upper", json_integer((json_int_t)upper));
    json_object_set_new(c, "exact", json_boolean(exact));
    return c;
}

static json_t *ref_search(const mg_search_result *res)
{
    json_t *r = json_object(), *hits = json_array();
    json_object_set_new(r, "v", json_integer(1));
    json_object_set_new(r, "ok", json_true());
    json_object_set_new(
        r, "total",
        ref_count(res->total_estimate, res->total_lower, res->total_upper, res->total_exact));
    json_object_set_new(
        r, "total_all",
        ref_count(res->all_estimate, res->all_lower, res->all_upper, res->all_exact));
    json_object_set_new(r, "relaxed", json_boolean(res->relaxed));
    json_object_set_new(r, "suggestion", ref_str(res->suggestion));
    json_object_set_new(r, "parsed", ref_str(res->parsed));
    for (size_t i = 0; i < res->nhits; i++) {
        const mg_hit *h = &res->hits[i];
        json_t *o = json_object();
        json_object_set_new(o, "rank", json_integer(h->rank));
        json_object_set_new(o, "score", json_real(h->score));
        json_object_set_new(o, "percent", json_integer(h->percent));
        json_object_set_new(o, "id", ref_str(h->id));
        json_object_set_new(o, "title", ref_str(h->title));
        json_object_set_new(o, "date", ref_str(h->date));
        json_object_set_new(o, "source", ref_str(h->source));
        json_object_set_new(o, "url", ref_str(h->url));
        json_object_set_new(o, "categories", ref_strs(h->categories, h->ncategories));
        json_object_set_new(o, "snippet", ref_str(h->snippet));
        json_object_set_new(o, "collapsed", json_integer(h->collapsed));
        json_object_set_new(o, "matched", json_string(h->partial ? "some" : "all"));
        json_array_append_new(hits, o);
    }
    json_object_set_new(r, "hits", hits);
    if (res->nfacets) {
        json_t *facets = json_object();
        for (size_t i = 0; i < res->nfacets; i++) {
            const mg_facet *f = &res->facets[i];
            json_t *a = json_array();
            for (size_t k = 0; k < f->nvalues; k++) {
                json_t *v = json_object();
                json_object_set_new(v, "value", ref_str(f->values[k].value));
                json_object_set_new(v, "count", json_integer((json_int_t)f->values[k].count));
                json_array_append_new(a, v);
            }
            json_object_set_new(facets, f->name, a);
        }
        json_object_set_new(r, "facets", facets);
    }
    if (res->terms) {
        json_t *a = json_array();
        for (size_t i = 0; i < res->nterms; i++)
            json_array_append_new(a, json_pack("{s:s,s:s,s:I}", "word", res->terms[i].word, "stem",
                                               res->terms[i].stem, "docs",
                                               (json_int_t)res->terms[i].docs));
        json_object_set_new(r, "terms", a);
        json_object_set_new(r, "terms_sample", json_integer((json_int_t)res->terms_sample));
    }
    return r;
}

/* The reply, took_us removed, must equal want; and its members come in
 * the order of want (the order the old encoder wrote them). */
static void assert_same_reply(json_t *got, json_t *want)
{
    assert_int_equal(json_object_del(got, "took_us"), 0);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT), *w = json_dumps(want, JSON_COMPACT);
        print_error("reply differs\n  got  %s\n  want %s\n", g, w);
        free(g);
        free(w);
    }
    assert_true(json_equal(got, want));
    void *gi = json_object_iter(got), *wi = json_object_iter(want);
    for (; gi && wi; gi = json_object_iter_next(got, gi), wi = json_object_iter_next(want, wi))
        assert_string_equal(json_object_iter_key(gi), json_object_iter_key(wi));
}

static void test_search_replies_match_reference(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        mg_search_request req;
    } cases[] = {
        {"{\"v\":1,\"op\":\"search\",\"query\":\"muller\",\"limit\":3,\"facets\":[\"source\","
         "\"category\",\"year\",\"month\"],\"snippet\":{\"bytes\":80,\"start\":\"[\",\"end\":\"]\"}"
         "}",
         {.query = "muller",
          .limit = 3,
          .snippets = true,
          .snippet_bytes = 80,
          .hl_start = "[",
          .hl_end = "]",
          .facets = MG_FACET_SOURCE | MG_FACET_CATEGORY | MG_FACET_YEAR | MG_FACET_MONTH}},
        {"{\"v\":1,\"op\":\"search\",\"query\":\"kim\",\"limit\":50}",
         {.query = "kim", .limit = 50, .snippets = true}},
        {"{\"v\":1,\"op\":\"search\",\"query\":\"kim OR seoul\",\"snippet\":{\"html\":true,"
         "\"start\":\"<b>\",\"end\":\"</b>\"},\"sort\":\"newest\"}",
         {.query = "kim OR seoul",
          .snippets = true,
          .html = true,
          .hl_start = "<b>",
          .hl_end = "</b>",
          .sort = MG_SORT_NEWEST}},
        {"{\"v\":1,\"op\":\"search\",\"query\":\"kim OR seoul\",\"sort\":\"relevance+recency\","
         "\"half_life\":3.5,\"snippet\":false}",
         {.query = "kim OR seoul", .sort = MG_SORT_RECENCY, .half_life = 3.5}},
        {"{\"v\":1,\"op\":\"search\",\"query\":\"kim xyzzy\",\"snippet\":false}",
         {.query = "kim xyzzy"}},
        {"{\"v\":1,\"op\":\"search\",\"query\":\"xyzzyq\"}", {.query = "xyzzyq", .snippets = true}},
        {"{\"v\":1,\"op\":\"search\",\"query\":\"kim\",\"limit\":2,\"terms\":12}",
         {.query = "kim", .limit = 2, .snippets = true, .terms = 12}},
        {"{\"v\":1,\"op\":\"search\",\"query\":\"xyzzyq\",\"terms\":3,\"snippet\":false}",
         {.query = "xyzzyq", .terms = 3}},
        {"{\"v\":1,\"op\":\"search\",\"query\":\"the\",\"offset\":5,\"limit\":20,"
         "\"collapse\":false,\"facets\":[\"category\"]}",
         {.query = "the",
          .offset = 5,
          .limit = 20,
          .no_collapse = true,
          .snippets = true,
          .facets = MG_FACET_CATEGORY}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *got = handle(s, cases[i].json);
        mg_search_request req = cases[i].req;
        mg_search_result *res;
        mg_err err;
        assert_int_equal(mg_search_run(s, &req, &res, &err), 0);
        json_t *want = ref_search(res);
        mg_search_result_free(res);
        assert_same_reply(got, want);
        json_decref(got);
        json_decref(want);
    }
}

static void test_get_and_stats_match_reference(void **state)
{
    (void)state;
    static const char *const ids[] = {"ah-2024-0002", "pd-2018-0001", "pd-2025-0001"};
    for (size_t i = 0; i < 3; i++) {
        char req[128];
        snprintf(req, sizeof req, "{\"v\":1,\"op\":\"get\",\"id\":\"%s\"}", ids[i]);
        json_t *got = handle(s, req);
        mg_record rec;
        mg_record_init(&rec);
        mg_err err;
        assert_int_equal(mg_searcher_get(s, ids[i], &rec, &err), 0);
        json_t *want = json_object(), *d = json_object();
        json_object_set_new(want, "v", json_integer(1));
        json_object_set_new(want, "ok", json_true());
        json_object_set_new(d, "id", ref_str(rec.id));
        json_object_set_new(d, "title", ref_str(rec.title));
        json_object_set_new(d, "date", ref_str(rec.date));
        json_object_set_new(d, "source", ref_str(rec.source));
        json_object_set_new(d, "url", ref_str(rec.url));
        json_object_set_new(d, "author", ref_str(rec.author));
        json_object_set_new(d, "lang", ref_str(rec.lang));
        json_object_set_new(d, "categories", ref_strs(rec.categories, rec.ncategories));
        json_object_set_new(d, "body", ref_str(rec.body));
        json_object_set_new(want, "doc", d);
        mg_record_release(&rec);
        assert_same_reply(got, want);
        json_decref(got);
        json_decref(want);
    }
    json_t *got = handle(s, "{\"v\":1,\"op\":\"stats\"}");
    mg_searcher_info st;
    mg_err err;
    assert_int_equal(mg_searcher_stats(s, &st, &err), 0);
    char iso[32];
    time_t t = (time_t)st.updated_unix;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *want =
        json_pack("{s:i, s:b, s:{s:I, s:I, s:s, s:s, s:s, s:s}}", "v", 1, "ok", 1, "stats",
                  "documents", (json_int_t)st.documents, "revision", (json_int_t)st.revision,
                  "updated", iso, "added", st.added, "lang", st.lang, "path", st.path);
    assert_same_reply(got, want);
    json_decref(got);
    json_decref(want);
}

/* What a daemon adds to "stats" through the hook lands in the reply. */
static void stats_hook(void *arg, mg_jw *w, const mg_searcher_info *info)
{
    ++*(int *)arg;
    mg_jw_key(w, "daemon");
    mg_jw_obj_open(w);
    mg_jw_kv_uint(w, "documents_seen", info->documents);
    mg_jw_kv_str(w, "note", "a \"quoted\"\nline");
    mg_jw_obj_close(w);
}

static void test_stats_hook(void **state)
{
    (void)state;
    int calls = 0;
    mg_proto_hooks hooks = {.stats_extra = stats_hook, .arg = &calls};
    const char *req = "{\"v\":1,\"op\":\"stats\"}";
    json_t *r = run_n(s, &hooks, req, strlen(req));
    assert_int_equal(calls, 1);
    json_t *d = json_object_get(r, "daemon");
    assert_int_equal(json_integer_value(json_object_get(d, "documents_seen")), 53);
    assert_string_equal(json_string_value(json_object_get(d, "note")), "a \"quoted\"\nline");
    assert_true(json_is_object(json_object_get(r, "stats")));
    json_decref(r);
    /* not called for other ops, nor without an index */
    json_decref(run_n(s, &hooks, "{\"v\":1,\"op\":\"ping\"}", 19));
    json_decref(run_n(NULL, &hooks, req, strlen(req)));
    assert_int_equal(calls, 1);
}

/* "tag": any string up to MG_PROTO_MAX_TAG bytes, echoed by every reply
 * of a parsed request, ok or not; anything else is refused. */
static void test_tags(void **state)
{
    (void)state;
    json_t *r = handle(s, "{\"v\":1,\"op\":\"ping\",\"tag\":\"a\\\"b\\u00e9\"}");
    assert_true(json_is_true(json_object_get(r, "pong")));
    assert_string_equal(json_string_value(json_object_get(r, "tag")), "a\"b\xc3\xa9");
    json_decref(r);
    r = handle(s, "{\"tag\":\"q1\",\"v\":1,\"op\":\"search\",\"query\":\"parade\",\"limit\":2}");
    assert_string_equal(json_string_value(json_object_get(r, "tag")), "q1");
    assert_true(json_is_array(json_object_get(r, "hits")));
    json_decref(r);
    /* error replies carry it too: bad query, unknown op, unknown field, no index */
    const char *errs[] = {
        "{\"v\":1,\"op\":\"search\",\"query\":\"\\\"open\",\"tag\":\"e1\"}",
        "{\"v\":1,\"op\":\"fly\",\"tag\":\"e1\"}",
        "{\"v\":1,\"op\":\"get\",\"id\":\"no-such-id\",\"tag\":\"e1\"}",
        "{\"v\":1,\"op\":\"ping\",\"limt\":1,\"tag\":\"e1\"}",
        "{\"v\":2,\"op\":\"ping\",\"tag\":\"e1\"}",
    };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        r = handle(s, errs[i]);
        assert_true(json_is_false(json_object_get(r, "ok")));
        assert_string_equal(json_string_value(json_object_get(r, "tag")), "e1");
        json_decref(r);
    }
    r = handle(NULL, "{\"v\":1,\"op\":\"stats\",\"tag\":\"e2\"}");
    assert_string_equal(json_string_value(json_object_get(r, "tag")), "e2");
    json_decref(r);
    /* the cap, and other types */
    char big[400];
    int n = snprintf(big, sizeof big, "{\"v\":1,\"op\":\"ping\",\"tag\":\"%0*d\"}",
                     MG_PROTO_MAX_TAG, 0);
    r = handle(s, big);
    assert_true(json_is_true(json_object_get(r, "ok")));
    assert_int_equal(json_string_length(json_object_get(r, "tag")), MG_PROTO_MAX_TAG);
    json_decref(r);
    snprintf(big, sizeof big, "{\"v\":1,\"op\":\"ping\",\"tag\":\"%0*d\"}", MG_PROTO_MAX_TAG + 1,
             0);
    (void)n;
    expect_error(big, "bad_request", "field 'tag' is over 256 bytes");
    expect_error("{\"v\":1,\"op\":\"ping\",\"tag\":7}", "bad_request",
                 "field 'tag' must be a string");
    expect_error("{\"v\":1,\"op\":\"ping\",\"tag\":null}", "bad_request",
                 "field 'tag' must be a string");
}

static int metrics_hook(void *arg, mg_jw *w, const mg_searcher_info *info)
{
    *(int *)arg += 1;
    mg_jw_key(w, "metrics");
    mg_jw_str(w, info ? "x 1\n" : "y 1\n");
    return 0;
}

/* "metrics" is the caller's (morgued's): without the hook it is
 * unavailable; with it, served with or without an index. */
static void test_metrics_op(void **state)
{
    (void)state;
    expect_error("{\"v\":1,\"op\":\"metrics\"}", "unavailable",
                 "metrics are served by morgued only");
    int calls = 0;
    mg_proto_hooks hooks = {.arg = &calls, .metrics = metrics_hook};
    json_t *r = run_n(s, &hooks, "{\"v\":1,\"op\":\"metrics\"}", 22);
    assert_string_equal(json_string_value(json_object_get(r, "metrics")), "x 1\n");
    json_decref(r);
    r = run_n(NULL, &hooks, "{\"v\":1,\"op\":\"metrics\"}", 22);
    assert_string_equal(json_string_value(json_object_get(r, "metrics")), "y 1\n");
    json_decref(r);
    assert_int_equal(calls, 2);
    expect_error("{\"v\":1,\"op\":\"metrics\",\"x\":1}", "bad_request",
                 "unknown field 'x' in a metrics request");
}

/* Hostile text that reaches a reply (echoed field names and op names) comes
 * out as valid JSON holding the same text, invalid bytes repaired. */
static void test_hostile_text_in_replies(void **state)
{
    (void)state;
    /* a field name with escapes that decode to control characters,
     * quotes, backslashes, U+2028 and U+2029 */
    const char *req =
        "{\"v\":1,\"op\":\"ping\",\"a\\u0001\\u001f\\\"\\\\\\u2028\\u2029\\u007f\":1}";
    json_t *r = handle(NULL, req);
    const char *m = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
    assert_string_equal(m, "unknown field 'a\x01\x1f\"\\\xe2\x80\xa8\xe2\x80\xa9\x7f' in a ping "
                           "request");
    json_decref(r);
    /* the raw reply text escapes them */
    mg_jw out;
    mg_jw_init(&out, 0);
    assert_int_equal(mg_proto_handle(NULL, req, strlen(req), NULL, &out, NULL), 0);
    assert_non_null(strstr(out.buf, "a\\u0001\\u001F\\\"\\\\\\u2028\\u2029\x7f'"));
    /* an error message that is not UTF-8 is repaired */
    mg_proto_error(&out, "bad_request", "bad \xff byte \xc3", 7);
    r = json_loadb(out.buf, out.len, 0, NULL);
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "took_us")), 7);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "message")),
                        "bad \xef\xbf\xbd byte \xef\xbf\xbd");
    json_decref(r);
    mg_jw_release(&out);
}

/* Snippet markers are capped; a reply past the cap (MG_PROTO_MAX_REPLY, or
 * the writer's own smaller max) is the error too_big, not "internal". */
static void test_reply_caps(void **state)
{
    (void)state;
    char req[2048], marker[MG_PROTO_MAX_MARKER + 2];
    memset(marker, '<', sizeof marker - 1);
    marker[sizeof marker - 1] = '\0';
    snprintf(req, sizeof req,
             "{\"v\":1,\"op\":\"search\",\"query\":\"parade\",\"snippet\":{\"start\":\"%s\"}}",
             marker);
    expect_error(req, "bad_request", "field 'snippet.start' is over 64 bytes");
    snprintf(req, sizeof req,
             "{\"v\":1,\"op\":\"search\",\"query\":\"parade\",\"snippet\":{\"end\":\"%s\"}}",
             marker);
    expect_error(req, "bad_request", "field 'snippet.end' is over 64 bytes");
    /* exactly the cap is fine */
    marker[MG_PROTO_MAX_MARKER] = '\0';
    snprintf(req, sizeof req,
             "{\"v\":1,\"op\":\"search\",\"query\":\"parade\",\"snippet\":{\"start\":\"%s\","
             "\"end\":\"%s\"}}",
             marker, marker);
    json_t *r = handle(s, req);
    assert_true(json_is_true(json_object_get(r, "ok")));
    json_decref(r);

    const char *big = "{\"v\":1,\"op\":\"search\",\"query\":\"military parade\",\"limit\":50}";
    mg_jw out;
    mg_jw_init(&out, 512);
    const char *code = NULL;
    assert_int_equal(mg_proto_handle(s, big, strlen(big), NULL, &out, &code), 0);
    assert_string_equal(code, "too_big");
    assert_non_null(strstr(out.buf, "the reply would be over 512 bytes"));
    assert_int_equal(out.max, 512); /* the writer's own max is kept */
    mg_jw_release(&out);
    /* a writer with a larger max is held to MG_PROTO_MAX_REPLY, then given
     * its max back */
    mg_jw_init(&out, 1u << 30);
    assert_int_equal(mg_proto_handle(s, big, strlen(big), NULL, &out, &code), 1);
    assert_int_equal(out.max, 1u << 30);
    mg_jw_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping),
        cmocka_unit_test(test_search_reply),
        cmocka_unit_test(test_get_and_stats),
        cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_search_request_errors),
        cmocka_unit_test(test_garbage_never_crashes),
        cmocka_unit_test(test_search_replies_match_reference),
        cmocka_unit_test(test_get_and_stats_match_reference),
        cmocka_unit_test(test_stats_hook),
        cmocka_unit_test(test_hostile_text_in_replies),
        cmocka_unit_test(test_reply_caps),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_metrics_op),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
