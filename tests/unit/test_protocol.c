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
#include <unistd.h>

#include "protocol.h"

static char tmp[128];
static mg_searcher *s;

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/morgue-test-proto.XXXXXX");
    if (!mkdtemp(tmp))
        return -1;
    const char *b = getenv("MORGUE_BUILD"), *root = getenv("MORGUE_ROOT");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s/morgue-index' --rebuild --quiet --db '%s/db' '%s/corpus'",
             b ? b : "build", tmp, root ? root : ".");
    if (system(cmd) != 0)
        return -1;
    snprintf(cmd, sizeof cmd, "%s/db", tmp);
    mg_err err;
    s = mg_searcher_open(cmd, NULL, &err);
    return s ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mg_searcher_free(s);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd);
}

static json_t *handle(mg_searcher *srch, const char *req)
{
    json_t *r = mg_proto_handle(srch, req, strlen(req));
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "v")), 1);
    assert_true(json_is_integer(json_object_get(r, "took_us")));
    return r;
}

static void expect_error_n(mg_searcher *srch, const char *req, size_t len, const char *code,
                           const char *message)
{
    json_t *r = mg_proto_handle(srch, req, len);
    assert_non_null(r);
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
    assert_true(json_is_integer(json_object_get(r, "took_us")));
    /* the reply serialises */
    size_t n;
    char *d = mg_proto_dump(r, &n);
    assert_non_null(d);
    assert_int_equal(strlen(d), n);
    free(d);
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
    size_t n;
    char *d = mg_proto_dump(r, &n);
    assert_true(strncmp(d, "{\"v\":1,\"ok\":true,\"took_us\":", 27) == 0);
    free(d);
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
    json_t *facets = json_object_get(r, "facets");
    json_t *src = json_object_get(facets, "source");
    assert_string_equal(json_string_value(json_object_get(json_array_get(src, 0), "value")),
                        "Alpine Herald");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(src, 0), "count")), 3);
    assert_true(json_is_array(json_object_get(facets, "year")));
    assert_null(json_object_get(facets, "category"));
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

    r = handle(s, "{\"v\":1,\"op\":\"search\",\"query\":\"kim xyzzy\"}");
    assert_true(json_is_true(json_object_get(r, "relaxed")));
    assert_true(json_array_size(json_object_get(r, "hits")) > 0);
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
                 "unknown op 'delete' (ops: search, get, stats, ping)");
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
                   "field 'limit' must be in 1..1000000000 (got -1)");
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
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"limit\":0}", "bad_request",
                 "field 'limit' must be in 1..1000000000 (got 0)");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"limit\":2.5}", "bad_request",
                 "field 'limit' must be an integer");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"offset\":-1}", "bad_request",
                 "field 'offset' must be in 0..1000000000 (got -1)");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"limit\":5000}", "bad_paging",
                 "bad paging: limit 5000 is over 1000");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"offset\":9999,\"limit\":2}",
                 "bad_paging", "bad paging: offset+limit 10001 is over 10000");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"sort\":\"best\"}", "bad_request",
                 "field 'sort' must be \"relevance\", \"newest\" or \"oldest\"");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"facets\":\"source\"}", "bad_request",
                 "field 'facets' must be an array of names");
    expect_error("{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"facets\":[\"source\",\"colour\"]}",
                 "bad_request",
                 "field 'facets' item 1 must be \"source\", \"category\", \"year\" or \"month\"");
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
        json_t *r = mg_proto_handle(s, buf, n);
        assert_non_null(r);
        assert_non_null(json_object_get(r, "ok"));
        json_decref(r);
    }
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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
