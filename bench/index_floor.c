/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The indexing floor for bench-index: how fast the Xapian writer alone can
 * take a corpus in the morgue schema.
 *
 * Untimed, the whole input is parsed (mg_record_from_json) and analysed into
 * Xapian documents in memory with the project's own docbuild module (the same
 * terms, positions, values and LZ4 record morgue-index writes). Then, timed,
 * one thread per shard adds its contiguous share of the documents to a fresh
 * shard (MG_XDB_DANGEROUS | MG_XDB_NOSYNC; a commit every MG_SHARD_FLUSH
 * documents, as morgue-index --rebuild does, or every --batch B documents, 0
 * for one commit when the shard is closed), and the shards are merged with
 * mg_xdb_compact() into OUT/db. morgue-index --rebuild does the same work plus
 * reading, parsing and analysis, so the distance between the two is the cost
 * of those (and of any serialisation between the analysis threads and the
 * writers).
 *
 * Prints one JSON object on stdout: documents, skipped, threads, prepare_s
 * (the untimed part), write_s, compact_s, elapsed_s (write + compact),
 * cpu_s (CPU time of the timed part, all threads), prepare_cpu_s, index_bytes
 * (OUT/db after compaction).
 *
 *   index_floor [--threads N] [--lang L] [--batch B] --out DIR INPUT.jsonl... */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "docbuild.h"
#include "err.h"
#include "index.h"
#include "reader.h"
#include "record.h"
#include "xapian_shim.h"

typedef struct floor_doc {
    mg_xdoc *doc;
    char *uid;
} floor_doc;

typedef struct floor_corpus {
    floor_doc *docs;
    size_t n, cap;
    unsigned long skipped;
} floor_corpus;

typedef struct shard_job {
    const floor_corpus *c;
    size_t from, to;
    unsigned long batch;
    char path[4096];
    int rc;
    mg_err err;
} shard_job;

/* CPU time (user + system) of the whole process so far. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const mg_err *err)
{
    fprintf(stderr, "index_floor: %s: %s\n", what, err ? err->msg : strerror(errno));
    exit(1);
}

static int corpus_push(floor_corpus *c, mg_xdoc *doc, const char *uid)
{
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 4096;
        floor_doc *nd = realloc(c->docs, ncap * sizeof *nd);
        if (!nd)
            return -1;
        c->docs = nd;
        c->cap = ncap;
    }
    c->docs[c->n].doc = doc;
    c->docs[c->n].uid = strdup(uid);
    if (!c->docs[c->n].uid)
        return -1;
    c->n++;
    return 0;
}

/* Parse and analyse every line of path into c. Bad records are counted and
 * skipped, as morgue-index does. */
static void prepare_file(const char *path, mg_docbuild *b, floor_corpus *c)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die(path, NULL);
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    char where[4200], uid[MG_XDB_MAX_TERM + 1], warning[256];
    mg_record r;
    mg_record_init(&r);
    mg_err err;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        snprintf(where, sizeof where, "%s:%lu", path, lineno);
        if (mg_record_from_json(line, (size_t)len, where, &r, warning, sizeof warning, &err) < 0) {
            c->skipped++;
            continue;
        }
        mg_xdoc *doc = mg_xdoc_new(&err);
        if (!doc)
            die("mg_xdoc_new", &err);
        if (mg_docbuild_build(b, &r, doc, uid, sizeof uid, NULL, &err) < 0) {
            mg_xdoc_free(doc);
            c->skipped++;
            mg_record_release(&r);
            continue;
        }
        if (corpus_push(c, doc, uid) < 0)
            die("out of memory", NULL);
        mg_record_release(&r);
    }
    if (ferror(f))
        die(path, NULL);
    free(line);
    fclose(f);
}

static void *write_shard(void *arg)
{
    shard_job *j = arg;
    mg_xdb *db = mg_xdb_open(j->path, MG_XDB_OVERWRITE | MG_XDB_DANGEROUS | MG_XDB_NOSYNC, &j->err);
    if (!db) {
        j->rc = -1;
        return NULL;
    }
    unsigned long pending = 0;
    for (size_t i = j->from; i < j->to; i++) {
        const floor_doc *d = &j->c->docs[i];
        if (mg_xdb_replace(db, d->uid, d->doc, &j->err) < 0)
            goto fail;
        if (++pending == j->batch) { /* never when batch is 0 */
            if (mg_xdb_commit(db, &j->err) < 0)
                goto fail;
            pending = 0;
        }
    }
    j->rc = mg_xdb_close(db, &j->err) < 0 ? -1 : 0;
    return NULL;
fail:
    mg_xdb_abandon(db);
    j->rc = -1;
    return NULL;
}

/* Walk a directory tree: returns the bytes of the files in it, and with
 * remove set deletes it as it goes. */
static unsigned long long walk_tree(const char *path, bool remove)
{
    unsigned long long sum = 0;
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char p[4400];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(p, &st) < 0)
                continue;
            if (S_ISDIR(st.st_mode)) {
                sum += walk_tree(p, remove);
            } else {
                sum += (unsigned long long)st.st_size;
                if (remove)
                    unlink(p);
            }
        }
        closedir(d);
    }
    if (remove)
        rmdir(path);
    return sum;
}

static void usage(void)
{
    fputs("usage: index_floor [--threads N] [--lang L] [--batch B] --out DIR INPUT.jsonl...\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    unsigned threads = 2;
    unsigned long batch = MG_SHARD_FLUSH; /* 0: commit only when the shard is closed */
    const char *lang = "english", *out = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (i + 1 >= argc)
            usage();
        if (!strcmp(argv[i], "--threads"))
            threads = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--batch"))
            batch = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--lang"))
            lang = argv[++i];
        else if (!strcmp(argv[i], "--out"))
            out = argv[++i];
        else
            usage();
    }
    if (!out || i >= argc || threads < 1 || threads > 64)
        usage();

    mg_err err;
    double t0 = now_s();
    mg_docbuild *b = mg_docbuild_new(lang, &err);
    if (!b)
        die("mg_docbuild_new", &err);
    floor_corpus c = {0};
    for (; i < argc; i++)
        prepare_file(argv[i], b, &c);
    mg_docbuild_free(b);
    double prepared = now_s();

    if (mkdir(out, 0755) < 0 && errno != EEXIST)
        die(out, NULL);
    char dst[4200];
    snprintf(dst, sizeof dst, "%s/db", out);
    walk_tree(dst, true);

    shard_job *jobs = calloc(threads, sizeof *jobs);
    pthread_t *tids = calloc(threads, sizeof *tids);
    const char **srcs = calloc(threads, sizeof *srcs);
    if (!jobs || !tids || !srcs)
        die("out of memory", NULL);

    double c1 = cpu_s(), t1 = now_s();
    for (unsigned k = 0; k < threads; k++) {
        jobs[k].c = &c;
        jobs[k].from = c.n * k / threads;
        jobs[k].to = c.n * (k + 1) / threads;
        jobs[k].batch = batch;
        snprintf(jobs[k].path, sizeof jobs[k].path, "%s/shard-%u", out, k);
        srcs[k] = jobs[k].path;
        if (pthread_create(&tids[k], NULL, write_shard, &jobs[k]) != 0)
            die("pthread_create", NULL);
    }
    for (unsigned k = 0; k < threads; k++) {
        pthread_join(tids[k], NULL);
        if (jobs[k].rc < 0)
            die(jobs[k].path, &jobs[k].err);
    }
    double t2 = now_s();
    if (mg_xdb_compact(srcs, threads, dst, &err) < 0)
        die("mg_xdb_compact", &err);
    double t3 = now_s(), c3 = cpu_s();
    for (unsigned k = 0; k < threads; k++)
        walk_tree(jobs[k].path, true);

    printf("{\"documents\": %zu, \"skipped\": %lu, \"threads\": %u, \"prepare_s\": %.3f, "
           "\"write_s\": %.3f, \"compact_s\": %.3f, \"elapsed_s\": %.3f, "
           "\"cpu_s\": %.3f, \"prepare_cpu_s\": %.3f, \"index_bytes\": %llu}\n",
           c.n, c.skipped, threads, prepared - t0, t2 - t1, t3 - t2, t3 - t1, c3 - c1, c1,
           walk_tree(dst, false));

    for (size_t k = 0; k < c.n; k++) {
        mg_xdoc_free(c.docs[k].doc);
        free(c.docs[k].uid);
    }
    free(c.docs);
    free(jobs);
    free(tids);
    free(srcs);
    return 0;
}
