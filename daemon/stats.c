/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgued's counters: replies, errors, a latency histogram and a ring of
 * recent latencies for p50/p99, merged into the engine's "stats" reply or
 * written in the Prometheus text format ("metrics"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "version.h" /* MORGUE_VERSION, for morgued_build_info */

uint64_t mg_daemon_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const unsigned long mg_daemon_latency_bounds_us[MG_DAEMON_LATENCY_BUCKETS] = {
    25,    50,    100,   250,    500,    1000,   2500,    5000,
    10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000};

void mg_daemon_stats_record(mg_daemon_stats *st, uint64_t latency_ns, bool error, bool delivered)
{
    uint64_t us = latency_ns / 1000;
    pthread_mutex_lock(&st->mu);
    st->served++;
    if (error)
        st->errors++;
    if (!delivered)
        st->dropped++;
    size_t b = 0;
    while (b < MG_DAEMON_LATENCY_BUCKETS && us > mg_daemon_latency_bounds_us[b])
        b++;
    st->buckets[b]++;
    st->latency_sum_us += us;
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
    mg_jw_kv_uint(w, "not_found", atomic_load(&st->not_found));
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
    mg_jw_kv_int(w, "connections", mg_conns_open(st->conns));
    mg_jw_kv_int(w, "connection_cap", mg_conns_cap(st->conns));
    mg_jw_kv_uint(w, "connections_refused", mg_conns_refused(st->conns));
    /* The index's age, from the time of its last commit. */
    mg_jw_key(w, "index_age_s");
    if (updated_unix >= 0)
        mg_jw_int(w, (long long)time(NULL) - updated_unix);
    else
        mg_jw_null(w);
    mg_jw_obj_close(w);
}

/* One metric: its HELP and TYPE lines, and a sample without labels unless
 * the type is a histogram (its samples follow). */
static void metric(FILE *f, const char *name, const char *type, const char *help,
                   unsigned long long v)
{
    fprintf(f, "# HELP morgued_%s %s\n# TYPE morgued_%s %s\n", name, help, name, type);
    if (strcmp(type, "histogram") != 0)
        fprintf(f, "morgued_%s %llu\n", name, v);
}

int mg_daemon_stats_prometheus(mg_daemon_stats *st, mg_jw *w, const mg_searcher_info *info,
                               size_t queued)
{
    unsigned long long buckets[MG_DAEMON_LATENCY_BUCKETS + 1];
    pthread_mutex_lock(&st->mu);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    unsigned long long uptime = (unsigned long long)(now.tv_sec - st->started.tv_sec);
    unsigned long long served = st->served, errors = st->errors, dropped = st->dropped;
    unsigned long long sum_us = st->latency_sum_us;
    memcpy(buckets, st->buckets, sizeof buckets);
    int workers = st->workers;
    pthread_mutex_unlock(&st->mu);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return -1;
    metric(f, "requests_total", "counter", "Replies to requests, errors included.", served);
    metric(f, "errors_total", "counter", "Replies with ok false (not_found excepted).", errors);
    metric(f, "not_found_total", "counter", "Gets of an id the index does not hold.",
           atomic_load(&st->not_found));
    metric(f, "undelivered_total", "counter", "Replies that could not be delivered.", dropped);
    metric(f, "queue_full_total", "counter",
           "Replies dropped because the client had too many bytes unread.",
           atomic_load(&st->queue_full));
    metric(f, "parked_total", "counter", "Searches of slow clients parked behind long ones.",
           atomic_load(&st->parked));
    metric(f, "connections_refused_total", "counter",
           "Client connections closed for the connection cap (after at most one reply).",
           mg_conns_refused(st->conns));
    metric(f, "connections", "gauge", "Client connections admitted (under the cap).",
           (unsigned long long)mg_conns_open(st->conns));
    metric(f, "connection_cap", "gauge",
           "Client connections admitted at most (the descriptor limit less the index's; 0: none).",
           (unsigned long long)mg_conns_cap(st->conns));
    metric(f, "spin_hits_total", "counter", "Requests taken by a worker still awake.",
           atomic_load(&st->spin_hits));
    metric(f, "next_hits_total", "counter", "Requests found waiting as a reply went out.",
           atomic_load(&st->next_hits));
    metric(f, "queued_bytes", "gauge", "Reply bytes queued for clients.", queued);
    metric(f, "workers", "gauge", "Worker threads.", (unsigned long long)workers);
    metric(f, "uptime_seconds", "gauge", "Seconds since the daemon started.", uptime);
    fprintf(f,
            "# HELP morgued_build_info The morgue release of this daemon.\n"
            "# TYPE morgued_build_info gauge\nmorgued_build_info{version=\"%s\"} 1\n",
            MORGUE_VERSION);
    metric(f, "request_duration_seconds", "histogram",
           "Time from a request's arrival to its reply.", 0);
    unsigned long long cum = 0;
    for (size_t i = 0; i <= MG_DAEMON_LATENCY_BUCKETS; i++) {
        cum += buckets[i];
        if (i < MG_DAEMON_LATENCY_BUCKETS)
            fprintf(f, "morgued_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                    (double)mg_daemon_latency_bounds_us[i] / 1e6, cum);
        else
            fprintf(f, "morgued_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    }
    fprintf(f, "morgued_request_duration_seconds_sum %.6f\n", (double)sum_us / 1e6);
    fprintf(f, "morgued_request_duration_seconds_count %llu\n", cum);
    if (info) {
        metric(f, "index_documents", "gauge", "Documents in the index.", info->documents);
        metric(f, "index_revision", "gauge", "The index's revision.", info->revision);
        if (info->updated_unix >= 0)
            metric(f, "index_updated_timestamp_seconds", "gauge",
                   "Unix time of the index's last commit.", (unsigned long long)info->updated_unix);
    }
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed) {
        free(text);
        return -1;
    }
    mg_jw_key(w, "metrics");
    mg_jw_strn(w, text, len);
    free(text);
    return 0;
}
