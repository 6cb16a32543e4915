/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmorgue-client: the typed calls (search, get, stats, metrics, ping),
 * each a request built, one round trip on the REQ socket and its reply
 * parsed. */
#include "morgue_client_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Send req (freed here; NULL means it could not be built) and parse the
 * reply with parse into *out. */
typedef int (*parse_fn)(const char *reply, size_t len, void **out, mg_client_err *err);
static int roundtrip(mg_client *c, const mg_client_call *call, char *req, size_t len,
                     parse_fn parse, void **out, mg_client_err *err)
{
    *out = NULL;
    if (!req)
        return mgc_fail(err, MG_CLIENT_ENOMEM, "out of memory");
    char *reply;
    size_t rlen;
    int rc = mg_client_request_with(c, call, req, len, &reply, &rlen, err);
    free(req);
    if (rc != 0)
        return rc;
    rc = parse(reply, rlen, out, err);
    free(reply);
    return rc;
}

static int parse_results(const char *reply, size_t len, void **out, mg_client_err *err)
{
    return mg_client_results_parse(reply, len, (mg_client_results **)out, err);
}

static int parse_doc(const char *reply, size_t len, void **out, mg_client_err *err)
{
    return mg_client_doc_parse(reply, len, (mg_client_doc **)out, err);
}

static int parse_stats(const char *reply, size_t len, void **out, mg_client_err *err)
{
    return mg_client_stats_parse(reply, len, (mg_client_stats **)out, err);
}

/* The "metrics" text of the reply into *out (malloc'd). */
static int parse_metrics(const char *reply, size_t len, void **out, mg_client_err *err)
{
    json_t *root;
    *out = NULL;
    int rc = mgc_envelope(reply, len, &root, NULL, err);
    if (rc != 0)
        return rc;
    const char *text = mgc_str(root, "metrics");
    if (!text)
        rc = mgc_fail(err, MG_CLIENT_EREPLY, "the reply has no \"metrics\" text");
    else if (!(*out = strdup(text)))
        rc = mgc_fail(err, MG_CLIENT_ENOMEM, "out of memory");
    json_decref(root);
    return rc;
}

/* A pong is any ok reply; *out stays NULL. */
static int parse_pong(const char *reply, size_t len, void **out, mg_client_err *err)
{
    json_t *root;
    int rc = mgc_envelope(reply, len, &root, NULL, err);
    json_decref(root);
    *out = NULL;
    return rc;
}

int mg_client_search(mg_client *c, const mg_client_query *q, mg_client_results **out,
                     mg_client_err *err)
{
    return mg_client_search_with(c, NULL, q, out, err);
}

int mg_client_search_with(mg_client *c, const mg_client_call *call, const mg_client_query *q,
                          mg_client_results **out, mg_client_err *err)
{
    *out = NULL;
    if (!q || !q->query)
        return mgc_fail(err, MG_CLIENT_EINVAL, "no query");
    if (mgc_check_query_text(q, err) != 0)
        return -MG_CLIENT_EINVAL;
    size_t len = 0;
    char *req = mg_client_search_request(q, &len);
    return roundtrip(c, call, req, len, parse_results, (void **)out, err);
}

int mg_client_search_ex(mg_client *c, const mg_client_call *call, const mg_client_query *q,
                        const char *extra, mg_client_results **out, mg_client_err *err)
{
    *out = NULL;
    if (!q || !q->query)
        return mgc_fail(err, MG_CLIENT_EINVAL, "no query");
    if (mgc_check_query_text(q, err) != 0)
        return -MG_CLIENT_EINVAL;
    size_t len = 0;
    char *req = mg_client_search_request_ex(q, extra, &len);
    if (!req && extra) {
        json_t *more = json_loads(extra, JSON_REJECT_DUPLICATES, NULL);
        bool object = json_is_object(more);
        json_decref(more);
        if (!object)
            return mgc_fail(err, MG_CLIENT_EINVAL, "extra is not a JSON object");
    }
    return roundtrip(c, call, req, len, parse_results, (void **)out, err);
}

int mg_client_get(mg_client *c, const char *id, mg_client_doc **out, mg_client_err *err)
{
    return mg_client_get_with(c, NULL, id, out, err);
}

int mg_client_get_with(mg_client *c, const mg_client_call *call, const char *id,
                       mg_client_doc **out, mg_client_err *err)
{
    *out = NULL;
    if (!id)
        return mgc_fail(err, MG_CLIENT_EINVAL, "no id");
    if (mgc_check_text("the id", id, err) != 0)
        return -MG_CLIENT_EINVAL;
    size_t len = 0;
    char *req = mg_client_get_request(id, &len);
    return roundtrip(c, call, req, len, parse_doc, (void **)out, err);
}

int mg_client_stats_get(mg_client *c, mg_client_stats **out, mg_client_err *err)
{
    return mg_client_stats_with(c, NULL, out, err);
}

int mg_client_stats_with(mg_client *c, const mg_client_call *call, mg_client_stats **out,
                         mg_client_err *err)
{
    size_t len = 0;
    char *req = mgc_dump(mgc_request("stats"), &len);
    return roundtrip(c, call, req, len, parse_stats, (void **)out, err);
}

int mg_client_metrics(mg_client *c, char **text, mg_client_err *err)
{
    size_t len = 0;
    char *req = mgc_dump(mgc_request("metrics"), &len);
    return roundtrip(c, NULL, req, len, parse_metrics, (void **)text, err);
}

int mg_client_ping(mg_client *c, long long *rtt_us, mg_client_err *err)
{
    return mg_client_ping_with(c, NULL, rtt_us, err);
}

int mg_client_ping_with(mg_client *c, const mg_client_call *call, long long *rtt_us,
                        mg_client_err *err)
{
    size_t len = 0;
    char *req = mgc_dump(mgc_request("ping"), &len);
    void *none;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = roundtrip(c, call, req, len, parse_pong, &none, err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == 0 && rtt_us)
        *rtt_us = (long long)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
    return rc;
}
