/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of libmorgue-client: request building, reply parsing, errors,
 * keys, timeouts. With MORGUE_TEST_ENDPOINT set (tests/e2e/daemon_hostile.sh
 * does), the "live" tests also send hostile frames to a running morgued
 * with libzmq directly and check it still answers the library correctly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "morgue_client.h"

static json_t *parse(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

static void test_search_request(void **state)
{
    (void)state;
    mg_client_query q = {.query = "kim jong-un",
                         .source = "Pacific Dispatch",
                         .offset = 20,
                         .limit = 5,
                         .sort = "newest",
                         .since = "2017",
                         .until = "2025-09",
                         .facets = MG_CLIENT_FACET_SOURCE | MG_CLIENT_FACET_YEAR,
                         .hl_start = "<b>",
                         .hl_end = "</b>",
                         .snippet_bytes = 120,
                         .no_collapse = true,
                         .no_relax = true};
    size_t len;
    char *req = mg_client_search_request(&q, &len);
    assert_non_null(req);
    assert_int_equal(len, strlen(req));
    json_t *j = parse(req);
    assert_int_equal(json_integer_value(json_object_get(j, "v")), 1);
    assert_string_equal(json_string_value(json_object_get(j, "op")), "search");
    assert_string_equal(json_string_value(json_object_get(j, "query")), "kim jong-un");
    assert_string_equal(json_string_value(json_object_get(j, "source")), "Pacific Dispatch");
    assert_int_equal(json_integer_value(json_object_get(j, "offset")), 20);
    assert_int_equal(json_integer_value(json_object_get(j, "limit")), 5);
    assert_string_equal(json_string_value(json_object_get(j, "sort")), "newest");
    assert_string_equal(json_string_value(json_object_get(j, "since")), "2017");
    assert_string_equal(json_string_value(json_object_get(j, "until")), "2025-09");
    json_t *f = json_object_get(j, "facets");
    assert_int_equal(json_array_size(f), 2);
    assert_string_equal(json_string_value(json_array_get(f, 0)), "source");
    assert_string_equal(json_string_value(json_array_get(f, 1)), "year");
    json_t *sn = json_object_get(j, "snippet");
    assert_int_equal(json_integer_value(json_object_get(sn, "bytes")), 120);
    assert_string_equal(json_string_value(json_object_get(sn, "start")), "<b>");
    assert_string_equal(json_string_value(json_object_get(sn, "end")), "</b>");
    assert_true(json_is_false(json_object_get(j, "collapse")));
    assert_true(json_is_false(json_object_get(j, "relax")));
    json_decref(j);
    free(req);

    /* The minimum: only what was asked for goes on the wire. */
    mg_client_query q2 = {.query = "x", .no_snippets = true};
    req = mg_client_search_request(&q2, NULL);
    assert_string_equal(req, "{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"snippet\":false}");
    free(req);
    mg_client_query none = {0};
    assert_null(mg_client_search_request(&none, NULL));
    req = mg_client_get_request("a\"b", NULL);
    assert_string_equal(req, "{\"v\":1,\"op\":\"get\",\"id\":\"a\\\"b\"}");
    free(req);

    /* fields the struct does not carry, added; one it sets, replaced */
    req = mg_client_search_request_ex(&q2, "{\"terms\":20,\"snippet\":true}", &len);
    assert_string_equal(req, "{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"snippet\":true,"
                             "\"terms\":20}");
    assert_int_equal(len, strlen(req));
    free(req);
    req = mg_client_search_request_ex(&q2, NULL, NULL);
    assert_string_equal(req, "{\"v\":1,\"op\":\"search\",\"query\":\"x\",\"snippet\":false}");
    free(req);
    static const char *const not_objects[] = {"[1]", "20", "{\"terms\":", "{\"a\":1,\"a\":2}", ""};
    for (size_t i = 0; i < sizeof not_objects / sizeof not_objects[0]; i++)
        assert_null(mg_client_search_request_ex(&q2, not_objects[i], NULL));
    assert_null(mg_client_search_request_ex(&none, "{}", NULL));
    mg_client_err err;
    mg_client_results *r = (mg_client_results *)1;
    assert_int_equal(mg_client_search_ex(NULL, NULL, &q2, "[1]", &r, &err), -MG_CLIENT_EINVAL);
    assert_null(r);
    assert_string_equal(err.msg, "extra is not a JSON object");
}

static const char *const REPLY =
    "{\"v\":1,\"ok\":true,\"took_us\":42,\"total\":{\"estimate\":120,\"lower\":100,\"upper\":150,"
    "\"exact\":false},\"total_all\":{\"estimate\":1,\"lower\":1,\"upper\":1,\"exact\":true},"
    "\"relaxed\":true,\"suggestion\":\"military parade\",\"parsed\":\"Query(x)\","
    "\"hits\":[{\"rank\":1,\"score\":8.5,\"percent\":100,\"id\":\"a1\",\"title\":\"T\\u00fcrkiye\","
    "\"date\":\"2025-09-03\",\"source\":\"S\",\"url\":\"u\",\"categories\":[\"world\",\"asia\"],"
    "\"snippet\":\"a <b>x</b>\",\"collapsed\":2,\"matched\":\"all\"},"
    "{\"rank\":2,\"score\":1,\"percent\":12,\"id\":\"a2\",\"title\":\"\",\"date\":\"\","
    "\"source\":\"\",\"url\":\"\",\"categories\":[],\"snippet\":null,\"collapsed\":0,"
    "\"matched\":\"some\"}],"
    "\"facets\":{\"source\":[{\"value\":\"S\",\"count\":80},{\"value\":\"R\",\"count\":40}]}}";

static void test_results_parse(void **state)
{
    (void)state;
    mg_client_results *r;
    mg_client_err err;
    assert_int_equal(mg_client_results_parse(REPLY, strlen(REPLY), &r, &err), 0);
    assert_int_equal(r->nhits, 2);
    assert_int_equal(r->total_estimate, 120);
    assert_int_equal(r->total_lower, 100);
    assert_int_equal(r->total_upper, 150);
    assert_false(r->total_exact);
    assert_int_equal(r->all_estimate, 1);
    assert_true(r->all_exact);
    assert_true(r->relaxed);
    assert_false(r->hits[0].partial);
    assert_true(r->hits[1].partial);
    assert_string_equal(r->suggestion, "military parade");
    assert_int_equal(r->took_us, 42);
    assert_int_equal(r->hits[0].rank, 1);
    assert_string_equal(r->hits[0].title, "Türkiye");
    assert_int_equal(r->hits[0].ncategories, 2);
    assert_string_equal(r->hits[0].categories[1], "asia");
    assert_string_equal(r->hits[0].snippet, "a <b>x</b>");
    assert_int_equal(r->hits[0].collapsed, 2);
    assert_int_equal(r->hits[0].percent, 100);
    assert_null(r->hits[1].snippet);
    assert_string_equal(r->hits[1].date, "");
    assert_int_equal(r->nfacets, 1);
    assert_string_equal(r->facets[0].name, "source");
    assert_int_equal(r->facets[0].nvalues, 2);
    assert_int_equal(r->facets[0].values[1].count, 40);
    assert_int_equal(r->json_len, strlen(REPLY));
    assert_memory_equal(r->json, REPLY, r->json_len);
    assert_null(r->terms); /* not asked */
    assert_int_equal(r->nterms, 0);
    assert_int_equal(r->terms_sample, 0);
    mg_client_results_free(r);
    mg_client_results_free(NULL);

    /* terms: the words, best first; items that are not words passed over */
    static const char *const TERMS =
        "{\"v\":1,\"ok\":true,\"took_us\":1,\"hits\":[],\"terms\":[{\"word\":\"barrel\","
        "\"stem\":\"barrel\",\"docs\":66},{\"word\":\"opec\"},7,{\"word\":\"military\","
        "\"stem\":\"militari\",\"docs\":4}],\"terms_sample\":100}";
    assert_int_equal(mg_client_results_parse(TERMS, strlen(TERMS), &r, &err), 0);
    assert_int_equal(r->nterms, 2);
    assert_int_equal(r->terms_sample, 100);
    assert_string_equal(r->terms[0].word, "barrel");
    assert_int_equal(r->terms[0].docs, 66);
    assert_string_equal(r->terms[1].stem, "militari");
    assert_int_equal(r->terms[1].docs, 4);
    mg_client_results_free(r);
}

static void test_error_replies(void **state)
{
    (void)state;
    mg_client_results *r;
    mg_client_err err;
    const char *e = "{\"v\":1,\"ok\":false,\"took_us\":3,\"error\":{\"code\":\"bad_query\","
                    "\"message\":\"unbalanced quote at column 4\"}}";
    assert_int_equal(mg_client_results_parse(e, strlen(e), &r, &err), -MG_CLIENT_ESERVER);
    assert_null(r);
    assert_int_equal(err.code, MG_CLIENT_ESERVER);
    assert_string_equal(err.server_code, "bad_query");
    assert_string_equal(err.msg, "unbalanced quote at column 4");

    const char *bad[] = {"",
                         "not json",
                         "[1,2]",
                         "{\"v\":2,\"ok\":true,\"hits\":[]}",
                         "{\"v\":1,\"ok\":true}",
                         "{\"v\":1,\"ok\":true,\"hits\":{}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(mg_client_results_parse(bad[i], strlen(bad[i]), &r, &err),
                         -MG_CLIENT_EREPLY);
        assert_int_equal(err.code, MG_CLIENT_EREPLY);
        assert_true(err.msg[0] != '\0');
    }
    mg_client_doc *d;
    const char *nf = "{\"v\":1,\"ok\":false,\"took_us\":1,\"error\":{\"code\":\"not_found\","
                     "\"message\":\"no document x\"}}";
    assert_int_equal(mg_client_doc_parse(nf, strlen(nf), &d, &err), -MG_CLIENT_ESERVER);
    assert_string_equal(err.server_code, "not_found");
}

static void test_doc_and_stats_parse(void **state)
{
    (void)state;
    mg_client_err err;
    const char *g = "{\"v\":1,\"ok\":true,\"took_us\":9,\"doc\":{\"id\":\"x\",\"title\":\"T\","
                    "\"date\":\"1987-02-26\",\"source\":\"R\",\"url\":\"\",\"author\":\"A\","
                    "\"lang\":\"en\",\"categories\":[\"cocoa\"],\"body\":\"line 1\\nline 2\"}}";
    mg_client_doc *d;
    assert_int_equal(mg_client_doc_parse(g, strlen(g), &d, &err), 0);
    assert_string_equal(d->id, "x");
    assert_string_equal(d->author, "A");
    assert_string_equal(d->body, "line 1\nline 2");
    assert_int_equal(d->ncategories, 1);
    assert_string_equal(d->categories[0], "cocoa");
    assert_int_equal(d->took_us, 9);
    mg_client_doc_free(d);

    const char *s = "{\"v\":1,\"ok\":true,\"took_us\":1,\"stats\":{\"documents\":53,"
                    "\"revision\":4,\"updated\":\"2001-01-01T00:00:00Z\",\"lang\":\"english\"},"
                    "\"daemon\":{\"uptime_s\":7,\"queries\":99,\"errors\":3,"
                    "\"latency_p50_us\":120,\"latency_p99_us\":900,\"workers\":2}}";
    mg_client_stats *st;
    assert_int_equal(mg_client_stats_parse(s, strlen(s), &st, &err), 0);
    assert_int_equal(st->documents, 53);
    assert_int_equal(st->revision, 4);
    assert_true(st->index_age_s > 700000000); /* 2001 is long ago */
    assert_int_equal(st->queries, 99);
    assert_int_equal(st->errors, 3);
    assert_int_equal(st->latency_p99_us, 900);
    assert_int_equal(st->workers, 2);
    mg_client_stats_free(st);
    const char *off = "{\"v\":1,\"ok\":true,\"took_us\":1,\"stats\":{\"documents\":5}}";
    assert_int_equal(mg_client_stats_parse(off, strlen(off), &st, &err), 0);
    assert_int_equal(st->uptime_s, -1); /* in-process: no daemon counters */
    assert_int_equal(st->revision, -1);
    mg_client_stats_free(st);
}

static void test_keys(void **state)
{
    (void)state;
    char dir[] = "/tmp/morgue-client-test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char prefix[256], keyf[300], pubf[300];
    snprintf(prefix, sizeof prefix, "%s/k", dir);
    snprintf(keyf, sizeof keyf, "%s.key", prefix);
    snprintf(pubf, sizeof pubf, "%s.pub", prefix);
    mg_client_err err;
    assert_int_equal(mg_client_keygen(prefix, &err), 0);
    struct stat st;
    assert_int_equal(stat(keyf, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char sec[41], pub[41], derived[41];
    assert_int_equal(mg_client_read_key(keyf, sec, &err), 0);
    assert_int_equal(mg_client_read_key(pubf, pub, &err), 0);
    assert_int_equal(mg_client_public_key(sec, derived, &err), 0);
    assert_string_equal(pub, derived);
    char raw[41];
    assert_int_equal(mg_client_read_key(pub, raw, &err), 0); /* a key given inline */
    assert_string_equal(raw, pub);
    /* Never overwrites a key. */
    assert_int_equal(mg_client_keygen(prefix, &err), -MG_CLIENT_EIO);
    assert_non_null(strstr(err.msg, "exists"));
    assert_int_not_equal(mg_client_read_key("/nonexistent/key", raw, &err), 0);
    FILE *f = fopen(keyf, "w");
    fputs("# comment\nnot-a-key\n", f);
    fclose(f);
    assert_int_equal(mg_client_read_key(keyf, raw, &err), -MG_CLIENT_EINVAL);
    unlink(keyf);
    unlink(pubf);
    rmdir(dir);
}

static void test_endpoints(void **state)
{
    (void)state;
    mg_client_err err;
    const char *bad[] = {"http://x"};
    assert_null(mg_client_new(bad, 1, NULL, &err));
    assert_int_equal(err.code, MG_CLIENT_EINVAL);
    setenv("MORGUE_ENDPOINT", "ipc:///tmp/a.sock, tcp://127.0.0.1:1", 1);
    mg_client *c = mg_client_new(NULL, 0, NULL, &err);
    assert_non_null(c);
    assert_string_equal(mg_client_endpoints(c), "ipc:///tmp/a.sock tcp://127.0.0.1:1");
    mg_client_free(c);
    unsetenv("MORGUE_ENDPOINT");
    c = mg_client_new(NULL, 0, NULL, &err);
    char ipc[4200];
    mg_client_default_ipc(ipc, sizeof ipc);
    assert_non_null(strstr(mg_client_endpoints(c), ipc));
    assert_non_null(strstr(mg_client_endpoints(c), MG_CLIENT_DEFAULT_TCP));
    mg_client_free(c);
    mg_client_opts o;
    mg_client_opts_default(&o);
    o.server_key = "only the server key";
    assert_null(mg_client_new(NULL, 0, &o, &err));
    assert_int_equal(err.code, MG_CLIENT_EINVAL);
    mg_client_free(NULL);
}

static void test_timeout(void **state)
{
    (void)state;
    mg_client_opts o;
    mg_client_opts_default(&o);
    o.timeout_ms = 50;
    o.retries = 1;
    /* a port nobody listens on: the kernel picks it, then it is closed */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    char tcp[64];
    snprintf(tcp, sizeof tcp, "tcp://127.0.0.1:%u", ntohs(a.sin_port));
    const char *ep[] = {tcp};
    mg_client_err err;
    mg_client *c = mg_client_new(ep, 1, &o, &err);
    assert_non_null(c);
    long long rtt;
    assert_int_equal(mg_client_ping(c, &rtt, &err), -MG_CLIENT_ETIMEOUT);
    assert_non_null(strstr(err.msg, ep[0]));
    assert_non_null(strstr(err.msg, "2 attempts of 50 ms"));
    /* a call's own timeout and attempts */
    mg_client_call call = {.timeout_ms = 30, .attempts = 3};
    assert_int_equal(mg_client_ping_with(c, &call, &rtt, &err), -MG_CLIENT_ETIMEOUT);
    assert_non_null(strstr(err.msg, "3 attempts of 30 ms"));
    assert_null(strstr(err.msg, "bytes"));
    /* a request over morgued's default --max-msg gets no reply: says so */
    size_t n = 70000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'a', n);
    big[n] = '\0';
    mg_client_query q = {.query = big};
    mg_client_results *r = NULL;
    call.attempts = 1;
    assert_int_equal(mg_client_search_with(c, &call, &q, &r, &err), -MG_CLIENT_ETIMEOUT);
    assert_null(r);
    assert_non_null(strstr(err.msg, "bytes, over the 65536 that morgued takes"));
    free(big);
    /* text that is not UTF-8 is refused unsent, at once (no timeout), by
     * name: never a request without the field */
    const char *bad[] = {"S\xfc", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ab\xe2\x82"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mg_client_query qs = {.query = "oil", .source = bad[i]};
        assert_null(mg_client_search_request(&qs, NULL));
        assert_int_equal(mg_client_search_with(c, &call, &qs, &r, &err), -MG_CLIENT_EINVAL);
        assert_non_null(strstr(err.msg, "the source is not valid UTF-8"));
        mg_client_query qq = {.query = bad[i]};
        assert_int_equal(mg_client_search_ex(c, &call, &qq, "{\"terms\":5}", &r, &err),
                         -MG_CLIENT_EINVAL);
        assert_non_null(strstr(err.msg, "the query is not valid UTF-8"));
        mg_client_doc *d = NULL;
        assert_int_equal(mg_client_get_with(c, &call, bad[i], &d, &err), -MG_CLIENT_EINVAL);
        assert_null(d);
    }
    /* valid text of every length still builds */
    mg_client_query good = {.query = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb0", .since = "2020"};
    char *req = mg_client_search_request(&good, NULL);
    assert_non_null(req);
    free(req);
    mg_client_free(c);
}

/* When every endpoint is a missing ipc socket file, every call fails at
 * once with its own code (not MG_CLIENT_ETIMEOUT after its timeout). */
static void test_missing_socket(void **state)
{
    (void)state;
    mg_client_opts o;
    mg_client_opts_default(&o);
    o.timeout_ms = 2000;
    o.retries = 0;
    const char *ep[] = {"ipc:///tmp/morgue-client-test-nobody.sock",
                        "ipc:///tmp/morgue-client-test-nobody2.sock"};
    mg_client_err err;
    mg_client *c = mg_client_new(ep, 2, &o, &err);
    assert_non_null(c);
    long long rtt;
    assert_int_equal(mg_client_ping(c, &rtt, &err), -MG_CLIENT_ENOSOCK);
    assert_non_null(strstr(err.msg, "no daemon at ipc:///tmp/morgue-client-test-nobody.sock"));
    mg_client_query q = {.query = "x"};
    mg_client_results *r;
    assert_int_equal(mg_client_search(c, &q, &r, &err), -MG_CLIENT_ENOSOCK);
    assert_int_equal(mg_client_send(c, "{}", 2, "t", &err), -MG_CLIENT_ENOSOCK);
    mg_client_free(c);
    assert_true(mg_client_ipc_missing(ep[0], strlen(ep[0])));
    assert_false(mg_client_ipc_missing("ipc:///tmp", 10));
    assert_false(mg_client_ipc_missing("tcp://127.0.0.1:1", 17));
}

/* ---- live: against a running morgued ---- */

static const char *live_ep(void)
{
    return getenv("MORGUE_TEST_ENDPOINT");
}

/* The daemon answers the library correctly. */
static void check_healthy(void)
{
    const char *ep[] = {live_ep()};
    mg_client_err err;
    mg_client *c = mg_client_new(ep, 1, NULL, &err);
    assert_non_null(c);
    mg_client_query q = {.query = getenv("MORGUE_TEST_QUERY"), .limit = 50};
    mg_client_results *r;
    assert_int_equal(mg_client_search(c, &q, &r, &err), 0);
    bool found = false;
    for (size_t i = 0; i < r->nhits; i++)
        found |= strcmp(r->hits[i].id, getenv("MORGUE_TEST_ID")) == 0;
    assert_true(found);
    mg_client_results_free(r);
    mg_client_free(c);
}

/* Send frames on a fresh REQ socket; the reply's error code, or NULL on
 * timeout. The code is copied into code[64]. */
static const char *raw_exchange(const char *const *frames, const size_t *lens, int n, int timeout,
                                char code[64])
{
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_REQ);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(s, live_ep()), 0);
    for (int i = 0; i < n; i++)
        assert_true(zmq_send(s, frames[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    const char *out = NULL;
    if (zmq_poll(&it, 1, timeout) == 1) {
        char buf[4096];
        int k = zmq_recv(s, buf, sizeof buf - 1, 0);
        assert_true(k > 0);
        buf[k < (int)sizeof buf - 1 ? k : (int)sizeof buf - 1] = '\0';
        json_t *j = parse(buf);
        assert_true(json_is_false(json_object_get(j, "ok")));
        const char *c = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
        assert_non_null(c);
        snprintf(code, 64, "%s", c);
        out = code;
        json_decref(j);
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    return out;
}

static void test_live_hostile_frames(void **state)
{
    (void)state;
    char code[64];
    const char *f1[] = {"definitely not json"};
    size_t l1[] = {strlen(f1[0])};
    assert_string_equal(raw_exchange(f1, l1, 1, 5000, code), "bad_json");
    check_healthy();
    const char *f2[] = {"{\"v\":1,\"op\":\"ping\"}", "second"};
    size_t l2[] = {strlen(f2[0]), 6};
    assert_string_equal(raw_exchange(f2, l2, 2, 5000, code), "bad_request");
    check_healthy();
    const char *f3[] = {""};
    size_t l3[] = {0};
    assert_string_equal(raw_exchange(f3, l3, 1, 5000, code), "bad_request");
    check_healthy();
    const char *f4[] = {"{\"v\":1,\"op\":\"search\",\"query\":\"\xff\xfe\"}"};
    size_t l4[] = {strlen(f4[0])};
    assert_string_equal(raw_exchange(f4, l4, 1, 5000, code), "bad_json");
    check_healthy();
    const char *more[][2] = {
        {"{\"v\":1,\"op\":\"search\",\"query\":5}", "bad_request"},
        {"{\"v\":1,\"op\":\"drop_tables\"}", "unknown_op"},
        {"{\"v\":1,\"op\":\"search\"}", "bad_request"},
        {"{\"v\":1,\"op\":\"get\"}", "bad_request"},
        {"{\"v\":7,\"op\":\"ping\"}", "unsupported_version"},
    };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        size_t l = strlen(more[i][0]);
        const char *got = raw_exchange(&more[i][0], &l, 1, 5000, code);
        assert_non_null(got);
        assert_string_equal(got, more[i][1]);
        check_healthy();
    }
    const char *wild = getenv("MORGUE_TEST_WILDCARD");
    if (wild) {
        char req[256];
        snprintf(req, sizeof req, "{\"v\":1,\"op\":\"search\",\"query\":\"%s\"}", wild);
        const char *w[] = {req};
        size_t wl[] = {strlen(req)};
        assert_string_equal(raw_exchange(w, wl, 1, 5000, code), "wildcard_too_broad");
        check_healthy();
    }
    const char *f5[] = {
        "{\"v\":1,\"op\":\"search\",\"query\":[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]}"};
    size_t l5[] = {strlen(f5[0])};
    assert_string_equal(raw_exchange(f5, l5, 1, 5000, code), "too_deep");
    check_healthy();
}

static void test_live_oversize_and_gone(void **state)
{
    (void)state;
    size_t n = 200 * 1024;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'a', n);
    const char *f[] = {big};
    size_t l[] = {n};
    char code[64];
    assert_null(raw_exchange(f, l, 1, 1000, code)); /* connection dropped, no reply */
    free(big);
    check_healthy();

    /* Clients that send and vanish before the reply. */
    void *ctx = zmq_ctx_new();
    for (int i = 0; i < 20; i++) {
        void *s = zmq_socket(ctx, ZMQ_REQ);
        int zero = 0;
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
        zmq_connect(s, live_ep());
        const char *q = "{\"v\":1,\"op\":\"search\",\"query\":\"military parade\"}";
        zmq_send(s, q, strlen(q), 0);
        zmq_close(s);
    }
    zmq_ctx_term(ctx);
    check_healthy();
}

/* One of 100 concurrent clients, each with its own library client. */
static void *concurrent_client(void *arg)
{
    int *ok = arg;
    const char *ep[] = {live_ep()};
    mg_client_opts o;
    mg_client_opts_default(&o);
    o.timeout_ms = 20000;
    mg_client_err err;
    mg_client *c = mg_client_new(ep, 1, &o, &err);
    mg_client_results *r = NULL;
    mg_client_query q = {.query = getenv("MORGUE_TEST_QUERY")};
    *ok = c && mg_client_search(c, &q, &r, &err) == 0 && r->nhits > 0;
    mg_client_results_free(r);
    mg_client_free(c);
    return NULL;
}

static void test_live_concurrent(void **state)
{
    (void)state;
    enum { N = 100 };
    pthread_t t[N];
    int ok[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&t[i], NULL, concurrent_client, &ok[i]), 0);
    int good = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        good += ok[i];
    }
    assert_int_equal(good, N);
    check_healthy();
}

static void test_live_library(void **state)
{
    (void)state;
    check_healthy();
    const char *ep[] = {live_ep()};
    mg_client_err err;
    mg_client *c = mg_client_new(ep, 1, NULL, &err);
    assert_non_null(c);
    long long rtt = -1;
    assert_int_equal(mg_client_ping(c, &rtt, &err), 0);
    assert_true(rtt >= 0);
    mg_client_doc *d;
    assert_int_equal(mg_client_get(c, getenv("MORGUE_TEST_ID"), &d, &err), 0);
    assert_string_equal(d->id, getenv("MORGUE_TEST_ID"));
    assert_true(strlen(d->body) > 0);
    mg_client_doc_free(d);
    assert_int_equal(mg_client_get(c, "no-such-id-here", &d, &err), -MG_CLIENT_ESERVER);
    assert_string_equal(err.server_code, "not_found");
    mg_client_stats *st;
    assert_int_equal(mg_client_stats_get(c, &st, &err), 0);
    assert_true(st->documents > 0);
    assert_true(st->queries > 0);
    assert_true(st->workers > 0);
    mg_client_stats_free(st);
    mg_client_query q = {.query = "\"unbalanced"};
    mg_client_results *r;
    assert_int_equal(mg_client_search(c, &q, &r, &err), -MG_CLIENT_ESERVER);
    assert_true(err.msg[0] != '\0');
    /* the words of one article, through a field the struct does not carry */
    char idq[300];
    snprintf(idq, sizeof idq, "id:%s", getenv("MORGUE_TEST_ID"));
    mg_client_query tq = {.query = idq, .no_hits = true};
    assert_int_equal(mg_client_search_ex(c, NULL, &tq, "{\"terms\":5}", &r, &err), 0);
    assert_int_equal(r->terms_sample, 1);
    assert_true(r->nterms > 0 && r->nterms <= 5);
    assert_int_equal(r->terms[0].docs, 1);
    mg_client_results_free(r);
    mg_client_free(c);
}

/* Requests from one client spread over two daemons. */
static void test_live_spread(void **state)
{
    (void)state;
    const char *eps[] = {live_ep(), getenv("MORGUE_TEST_ENDPOINT2")};
    if (!eps[1])
        fail_msg("MORGUE_TEST_ENDPOINT2 is not set");
    mg_client_err err;
    mg_client *c = mg_client_new(eps, 2, NULL, &err);
    assert_non_null(c);
    /* Both connections up first, so the round-robin sees both. */
    for (int i = 0; i < 40; i++) {
        mg_client_query q = {.query = getenv("MORGUE_TEST_QUERY"), .no_snippets = true};
        mg_client_results *r;
        assert_int_equal(mg_client_search(c, &q, &r, &err), 0);
        mg_client_results_free(r);
    }
    mg_client_free(c);
    long long queries[2];
    for (int k = 0; k < 2; k++) {
        mg_client *one = mg_client_new(&eps[k], 1, NULL, &err);
        assert_non_null(one);
        mg_client_stats *st;
        assert_int_equal(mg_client_stats_get(one, &st, &err), 0);
        queries[k] = st->queries;
        mg_client_stats_free(st);
        mg_client_free(one);
    }
    print_message("queries per daemon: %lld and %lld\n", queries[0], queries[1]);
    assert_true(queries[0] >= 5);
    assert_true(queries[1] >= 5);
}

/* Tags, event-loop calls and a shared context against the daemon. */
static void test_live_event_loop(void **state)
{
    (void)state;
    const char *ep[] = {live_ep()};
    mg_client_err err;
    void *ctx = zmq_ctx_new();
    mg_client *a = mg_client_new_with_context(ctx, ep, 1, NULL, &err);
    mg_client *b = mg_client_new_with_context(ctx, ep, 1, NULL, &err);
    assert_non_null(a);
    assert_non_null(b);

    /* a synchronous call with a tag and its own timeout */
    mg_client_call call = {.timeout_ms = 5000, .attempts = 1, .tag = "sync-1"};
    mg_client_query q = {.query = getenv("MORGUE_TEST_QUERY"), .limit = 1};
    mg_client_results *r;
    assert_int_equal(mg_client_search_with(a, &call, &q, &r, &err), 0);
    assert_non_null(strstr(r->json, "\"tag\":\"sync-1\""));
    mg_client_results_free(r);
    mg_client_doc *d;
    assert_int_equal(mg_client_get_with(b, &call, "no-such-id", &d, &err), -MG_CLIENT_ESERVER);
    assert_string_equal(err.server_code, "not_found");

    /* three requests in flight on one client, replies taken as the fd says */
    int fd;
    assert_int_equal(mg_client_fd(a, &fd, &err), 0);
    char *req = mg_client_search_request(&q, NULL);
    const char *tags[] = {"t1", "t2", "t3"};
    for (int i = 0; i < 3; i++) {
        int rc;
        for (int tries = 0;
             (rc = mg_client_send(a, req, strlen(req), tags[i], &err)) == -MG_CLIENT_EAGAIN &&
             tries < 500;
             tries++)
            usleep(10000); /* not connected yet */
        assert_int_equal(rc, 0);
    }
    free(req);
    int seen[3] = {0};
    int got = 0;
    for (int rounds = 0; got < 3 && rounds < 100; rounds++) {
        char *reply, tag[MG_CLIENT_MAX_TAG + 1];
        size_t len;
        int rc;
        while ((rc = mg_client_recv(a, &reply, &len, tag, sizeof tag, &err)) == 0) {
            mg_client_results *res;
            assert_int_equal(mg_client_results_parse(reply, len, &res, &err), 0);
            mg_client_results_free(res);
            free(reply);
            for (int i = 0; i < 3; i++)
                if (strcmp(tag, tags[i]) == 0)
                    seen[i]++;
            got++;
        }
        assert_int_equal(rc, -MG_CLIENT_EAGAIN);
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (got < 3)
            poll(&pf, 1, 100);
    }
    assert_int_equal(got, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(seen[i], 1);
    char *text;
    assert_int_equal(mg_client_metrics(b, &text, &err), 0);
    assert_non_null(strstr(text, "morgued_requests_total "));
    free(text);
    mg_client_free(a);
    mg_client_free(b);
    assert_int_equal(zmq_ctx_term(ctx), 0);
}

int main(void)
{
    /* The live tests only run against a daemon (a cmocka skip would read as
     * a failure in TAP). */
    const struct CMUnitTest live[] = {
        cmocka_unit_test(test_live_library),           cmocka_unit_test(test_live_hostile_frames),
        cmocka_unit_test(test_live_oversize_and_gone), cmocka_unit_test(test_live_concurrent),
        cmocka_unit_test(test_live_event_loop),
    };
    const struct CMUnitTest spread[] = {cmocka_unit_test(test_live_spread)};
    if (live_ep() && getenv("MORGUE_TEST_ENDPOINT2"))
        return cmocka_run_group_tests(spread, NULL, NULL);
    if (live_ep())
        return cmocka_run_group_tests(live, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_request), cmocka_unit_test(test_results_parse),
        cmocka_unit_test(test_error_replies),  cmocka_unit_test(test_doc_and_stats_parse),
        cmocka_unit_test(test_keys),           cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_timeout),        cmocka_unit_test(test_missing_socket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
