/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgued's counters: replies, errors and a ring of recent latencies for
 * p50/p99, merged into the engine's "stats" reply. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"

uint64_t mg_daemon_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void mg_daemon_stats_record(mg_daemon_stats *st, uint64_t latency_ns, bool error, bool delivered)
{
    uint64_t us = latency_ns / 1000;
    pthread_mutex_lock(&st->mu);
    st->served++;
    if (error)
        st->errors++;
    if (!delivered)
        st->dropped++;
    st->ring[st->ring_next] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    st->ring_next = (st->ring_next + 1) % MG_DAEMON_LATENCY_RING;
    if (st->ring_len < MG_DAEMON_LATENCY_RING)
        st->ring_len++;
    pthread_mutex_unlock(&st->mu);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The value at quantile q (0..1) of sorted v[0..n), nearest rank. */
static uint32_t quantile(const uint32_t *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t k = (size_t)(q * (double)n + 0.999999);
    if (k == 0)
        k = 1;
    return v[(k > n ? n : k) - 1];
}

void mg_daemon_stats_merge(mg_daemon_stats *st, json_t *reply)
{
    static uint32_t sorted[MG_DAEMON_LATENCY_RING]; /* not reentrant: guarded by mu */
    json_t *d = json_object();
    if (!d)
        return;
    pthread_mutex_lock(&st->mu);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long uptime = (long long)(now.tv_sec - st->started.tv_sec);
    size_t n = st->ring_len;
    memcpy(sorted, st->ring, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_u32);
    json_object_set_new(d, "uptime_s", json_integer(uptime));
    json_object_set_new(d, "queries", json_integer((json_int_t)st->served));
    json_object_set_new(d, "errors", json_integer((json_int_t)st->errors));
    json_object_set_new(d, "undelivered", json_integer((json_int_t)st->dropped));
    json_object_set_new(d, "latency_p50_us", json_integer(quantile(sorted, n, 0.50)));
    json_object_set_new(d, "latency_p99_us", json_integer(quantile(sorted, n, 0.99)));
    json_object_set_new(d, "latency_window", json_integer((json_int_t)n));
    json_object_set_new(d, "workers", json_integer(st->workers));
    pthread_mutex_unlock(&st->mu);

    /* The index's age, from the engine's "updated" (time of the last commit). */
    const char *updated =
        json_string_value(json_object_get(json_object_get(reply, "stats"), "updated"));
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (updated && strptime(updated, "%Y-%m-%dT%H:%M:%SZ", &tm))
        json_object_set_new(d, "index_age_s", json_integer((json_int_t)(time(NULL) - timegm(&tm))));
    else
        json_object_set_new(d, "index_age_s", json_null());
    json_object_set_new(reply, "daemon", d);
}
