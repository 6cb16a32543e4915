/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgued's counters: replies, errors and a ring of recent latencies for
 * p50/p99, merged into the engine's "stats" reply. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "version.h"

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

void mg_daemon_stats_write(mg_daemon_stats *st, mg_jw *w, long long updated_unix, size_t queued)
{
    static uint32_t sorted[MG_DAEMON_LATENCY_RING]; /* not reentrant: guarded by mu */
    pthread_mutex_lock(&st->mu);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long uptime = (long long)(now.tv_sec - st->started.tv_sec);
    size_t n = st->ring_len;
    memcpy(sorted, st->ring, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_u32);
    unsigned long long served = st->served, errors = st->errors, dropped = st->dropped;
    uint32_t p50 = quantile(sorted, n, 0.50), p99 = quantile(sorted, n, 0.99);
    int workers = st->workers;
    pthread_mutex_unlock(&st->mu);
    unsigned long long spin_hits = atomic_load(&st->spin_hits);
    unsigned long long next_hits = atomic_load(&st->next_hits);

    mg_jw_key(w, "daemon");
    mg_jw_obj_open(w);
    mg_jw_kv_str(w, "version", MORGUE_VERSION);
    mg_jw_kv_int(w, "uptime_s", uptime);
    mg_jw_kv_uint(w, "queries", served);
    mg_jw_kv_uint(w, "errors", errors);
    mg_jw_kv_uint(w, "undelivered", dropped);
    mg_jw_kv_uint(w, "queue_full", atomic_load(&st->queue_full));
    mg_jw_kv_uint(w, "queued_bytes", queued);
    mg_jw_kv_uint(w, "latency_p50_us", p50);
    mg_jw_kv_uint(w, "latency_p99_us", p99);
    mg_jw_kv_uint(w, "latency_window", n);
    mg_jw_kv_int(w, "workers", workers);
    mg_jw_kv_int(w, "spin_us", st->spin_us);
    mg_jw_kv_uint(w, "spin_hits", spin_hits);
    mg_jw_kv_uint(w, "next_hits", next_hits);
    mg_jw_kv_uint(w, "parked", atomic_load(&st->parked));
    /* The index's age, from the time of its last commit. */
    mg_jw_key(w, "index_age_s");
    if (updated_unix >= 0)
        mg_jw_int(w, (long long)time(NULL) - updated_unix);
    else
        mg_jw_null(w);
    mg_jw_obj_close(w);
}
