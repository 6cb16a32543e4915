/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the query benchmarks: corpora, query files, timing. */
#include "bq.h"

#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *str_field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

long mg_bq_jsonl_each(const char *path, int (*cb)(const mg_bq_doc *d, void *ctx), void *ctx)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long n = 0, lineno = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        json_error_t jerr;
        json_t *o = json_loadb(line, (size_t)len, 0, &jerr);
        if (!o || !json_is_object(o)) {
            fprintf(stderr, "%s:%ld: %s\n", path, lineno, o ? "not an object" : jerr.text);
            json_decref(o);
            continue;
        }
        mg_bq_doc d = {str_field(o, "id"), str_field(o, "title"), str_field(o, "body")};
        int rc = cb(&d, ctx);
        json_decref(o);
        if (rc) {
            n = -1;
            break;
        }
        n++;
    }
    free(line);
    fclose(f);
    return n;
}

int mg_bq_lines_read(const char *path, int tsv, mg_bq_lines *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 256;
            out->text = realloc(out->text, cap * sizeof *out->text);
            if (tsv)
                out->qid = realloc(out->qid, cap * sizeof *out->qid);
        }
        if (tsv) {
            char *tab = strchr(line, '\t');
            if (!tab) {
                fprintf(stderr, "%s: line without a tab: %s\n", path, line);
                continue;
            }
            *tab = '\0';
            out->qid[out->n] = strdup(line);
            out->text[out->n] = strdup(tab + 1);
        } else {
            out->text[out->n] = strdup(line);
        }
        out->n++;
    }
    free(line);
    fclose(f);
    return 0;
}

void mg_bq_lines_release(mg_bq_lines *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->text[i]);
        if (l->qid)
            free(l->qid[i]);
    }
    free(l->text);
    free(l->qid);
    memset(l, 0, sizeof *l);
}

void mg_bq_lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

uint64_t mg_bq_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double mg_bq_quantile(double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t k = (size_t)(p * (double)n + 0.999999); /* nearest rank, 1-based */
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

double mg_bq_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void mg_bq_summary(double *v, size_t n, double q[4])
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    q[0] = mg_bq_quantile(v, n, 0.50);
    q[1] = mg_bq_quantile(v, n, 0.95);
    q[2] = mg_bq_quantile(v, n, 0.99);
    q[3] = n ? sum / (double)n : 0;
}

/* ---- fixed-duration load runs ---- */


typedef struct load_thread {
    const mg_bq_load_ops *ops;
    int tid, nthreads;
    size_t nq;
    uint64_t warm_end, end;
    double *lat;
    size_t nlat, caplat;
    unsigned long long failed;
    int open_failed;
} load_thread;

static void *load_main(void *arg)
{
    load_thread *t = arg;
    void *ctx = t->ops->open(t->tid, t->ops->arg);
    if (!ctx) {
        t->open_failed = 1;
        return NULL;
    }
    size_t qi = (size_t)t->tid * t->nq / (size_t)t->nthreads;
    for (;;) {
        uint64_t t0 = mg_bq_now_ns();
        if (t0 >= t->end)
            break;
        int rc = t->ops->one(ctx, qi);
        uint64_t t1 = mg_bq_now_ns();
        if (++qi == t->nq)
            qi = 0;
        if (t0 < t->warm_end)
            continue;
        if (rc) {
            t->failed++;
            continue;
        }
        if (t->nlat == t->caplat) {
            t->caplat = t->caplat ? t->caplat * 2 : 65536;
            t->lat = realloc(t->lat, t->caplat * sizeof *t->lat);
            if (!t->lat)
                abort();
        }
        t->lat[t->nlat++] = (double)(t1 - t0) / 1000.0;
    }
    t->ops->close(ctx);
    return NULL;
}

int mg_bq_load_run(const mg_bq_load_ops *ops, int nthreads, size_t nq, double warm_s,
                   double duration_s, mg_bq_load_result *res)
{
    memset(res, 0, sizeof *res);
    if (nthreads < 1 || nq == 0)
        return -1;
    load_thread *th = calloc((size_t)nthreads, sizeof *th);
    pthread_t *tids = calloc((size_t)nthreads, sizeof *tids);
    uint64_t start = mg_bq_now_ns();
    uint64_t warm_end = start + (uint64_t)(warm_s * 1e9);
    uint64_t end = warm_end + (uint64_t)(duration_s * 1e9);
    for (int i = 0; i < nthreads; i++) {
        th[i] = (load_thread){.ops = ops, .tid = i, .nthreads = nthreads, .nq = nq,
                              .warm_end = warm_end, .end = end};
        pthread_create(&tids[i], NULL, load_main, &th[i]);
    }
    size_t total = 0;
    int bad = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(tids[i], NULL);
        total += th[i].nlat;
        res->failed += th[i].failed;
        bad |= th[i].open_failed;
    }
    double *all = malloc((total ? total : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < nthreads; i++) {
        memcpy(all + k, th[i].lat, th[i].nlat * sizeof *all);
        k += th[i].nlat;
        free(th[i].lat);
    }
    double q[4];
    mg_bq_summary(all, total, q);
    res->p50 = q[0];
    res->p95 = q[1];
    res->p99 = q[2];
    res->mean = q[3];
    res->ok = total;
    res->seconds = duration_s;
    res->qps = (double)total / duration_s;
    free(all);
    free(th);
    free(tids);
    return bad ? -1 : 0;
}

void mg_bq_load_print(FILE *f, const char *system, const char *corpus, int nthreads,
                      const mg_bq_load_result *r)
{
    fprintf(f,
            "{\"system\":\"%s\",\"corpus\":\"%s\",\"clients\":%d,\"seconds\":%.1f,"
            "\"ok\":%llu,\"failed\":%llu,\"qps\":%.1f,\"p50_us\":%.1f,\"p95_us\":%.1f,"
            "\"p99_us\":%.1f,\"mean_us\":%.1f}\n",
            system, corpus, nthreads, r->seconds, r->ok, r->failed, r->qps, r->p50, r->p95,
            r->p99, r->mean);
    fflush(f);
}

/* ---- sequential passes (in-process latency) ---- */

int mg_bq_passes(int (*one)(void *ctx, size_t qi, size_t *nhits), void *ctx, size_t nq,
                 int passes, mg_bq_pass_result *res)
{
    memset(res, 0, sizeof *res);
    double *lat = malloc((nq ? nq : 1) * sizeof *lat);
    double p50[16], p95[16], p99[16], mean[16];
    if (passes > 16)
        passes = 16;
    unsigned long long hits = 0;
    for (int p = -1; p < passes; p++) { /* pass -1 warms the caches */
        for (size_t qi = 0; qi < nq; qi++) {
            size_t nh = 0;
            uint64_t t0 = mg_bq_now_ns();
            int rc = one(ctx, qi, &nh);
            uint64_t t1 = mg_bq_now_ns();
            if (rc)
                res->errors++;
            if (p == 0)
                hits += nh;
            lat[qi] = (double)(t1 - t0) / 1000.0;
        }
        if (p < 0)
            continue;
        double q[4];
        mg_bq_summary(lat, nq, q);
        p50[p] = q[0];
        p95[p] = q[1];
        p99[p] = q[2];
        mean[p] = q[3];
    }
    res->passes = passes;
    res->p50 = mg_bq_median(p50, (size_t)passes);
    res->p95 = mg_bq_median(p95, (size_t)passes);
    res->p99 = mg_bq_median(p99, (size_t)passes);
    res->mean = mg_bq_median(mean, (size_t)passes);
    res->avg_hits = nq ? (double)hits / (double)nq : 0;
    res->nq = nq;
    free(lat);
    return 0;
}

void mg_bq_pass_print(FILE *f, const char *system, const char *corpus,
                      const mg_bq_pass_result *r)
{
    fprintf(f,
            "{\"system\":\"%s\",\"corpus\":\"%s\",\"queries\":%zu,\"passes\":%d,"
            "\"errors\":%llu,\"avg_hits\":%.2f,\"p50_us\":%.1f,\"p95_us\":%.1f,"
            "\"p99_us\":%.1f,\"mean_us\":%.1f}\n",
            system, corpus, r->nq, r->passes, r->errors, r->avg_hits, r->p50, r->p95, r->p99,
            r->mean);
    fflush(f);
}
