/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the query benchmarks (bench/query/): reading corpora,
 * query files and judgments, timing and percentiles. Not part of libmorgue;
 * every harness (C and C++) links bq.c. */
#ifndef MG_BQ_H
#define MG_BQ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One article of a JSON Lines corpus. Strings are borrowed: valid only during
 * the callback. Absent fields are "". */
typedef struct mg_bq_doc {
    const char *id, *title, *body;
} mg_bq_doc;

/* Call cb for every line of a JSON Lines file. Returns the number of
 * documents read, or -1 (message on stderr) when the file cannot be read or
 * cb returns non-zero. */
long mg_bq_jsonl_each(const char *path, int (*cb)(const mg_bq_doc *d, void *ctx), void *ctx);

/* A list of lines (a query set, one query per line; or "qid\ttext" pairs). */
typedef struct mg_bq_lines {
    char **qid;  /* NULL for a plain query file */
    char **text;
    size_t n;
} mg_bq_lines;

/* Read a query file: plain (one query per line) when tsv is 0, or
 * "qid<TAB>text" when tsv is 1. Empty lines are skipped. 0 or -1. */
int mg_bq_lines_read(const char *path, int tsv, mg_bq_lines *out);
void mg_bq_lines_release(mg_bq_lines *l);

/* Lower-case ASCII in place (the corpora are ASCII; this is what a person
 * typing the query does to it). */
void mg_bq_lower(char *s);

/* Monotonic clock in nanoseconds. */
uint64_t mg_bq_now_ns(void);

/* The p-quantile (0..1, nearest rank) of n values; sorts v in place. */
double mg_bq_quantile(double *v, size_t n, double p);

/* Median of three or more doubles (sorts v in place). */
double mg_bq_median(double *v, size_t n);

/* Print "p50 p95 p99 mean" of per-query latencies (µs) for one pass into the
 * caller's array q[4]; v is sorted. */
void mg_bq_summary(double *v, size_t n, double q[4]);

/* A fixed-duration load run: nthreads threads, each with its own context
 * from open(tid) (NULL = failure), run queries 0..nq-1 in a loop (thread t
 * starts at t*nq/nthreads) calling one(ctx, qi), which returns 0 on success,
 * until duration_s has passed; then close(ctx). Latencies of successful
 * calls are merged. A warm-up of warm_s seconds precedes the measurement. */
typedef struct mg_bq_load_result {
    double qps, p50, p95, p99, mean; /* latencies in microseconds */
    unsigned long long ok, failed;
    double seconds;
} mg_bq_load_result;

typedef struct mg_bq_load_ops {
    void *(*open)(int tid, void *arg);
    int (*one)(void *ctx, size_t qi);
    void (*close)(void *ctx);
    void *arg;
} mg_bq_load_ops;

int mg_bq_load_run(const mg_bq_load_ops *ops, int nthreads, size_t nq, double warm_s,
                   double duration_s, mg_bq_load_result *res);

/* Print a load result as one JSON object line on f (for bench/out/). */
void mg_bq_load_print(FILE *f, const char *system, const char *corpus, int nthreads,
                      const mg_bq_load_result *r);

/* Sequential latency: one warm-up pass, then `passes` passes (at most 16)
 * running every query once; one(ctx, qi, &nhits) returns 0 on success.
 * Reports the median over passes of each pass's quantiles (microseconds)
 * and the mean number of hits returned (first pass). */
typedef struct mg_bq_pass_result {
    size_t nq;
    int passes;
    unsigned long long errors;
    double p50, p95, p99, mean, avg_hits;
} mg_bq_pass_result;

int mg_bq_passes(int (*one)(void *ctx, size_t qi, size_t *nhits), void *ctx, size_t nq,
                 int passes, mg_bq_pass_result *res);
void mg_bq_pass_print(FILE *f, const char *system, const char *corpus,
                      const mg_bq_pass_result *r);

#ifdef __cplusplus
}
#endif
#endif
