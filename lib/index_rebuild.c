/* SPDX-License-Identifier: GPL-2.0-or-later */
/* New generations: a rebuild (and a first index) analyses into one private
 * shard per thread, merges the shards into a compact database and publishes
 * it; --compact after an update compacts the live generation into a new one
 * the same way. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compact.h"
#include "gens.h"
#include "index_run.h"
#include "topology.h"

#include <sys/stat.h>

/* Rebuild: analyse and write into this worker's private shard. Each document
 * is built into the worker's one mg_xdoc and added at once. (A document per
 * ring slot, reused 512 documents later, made Xapian free and allocate cold
 * memory: the Reuters rebuild took ~13% more CPU; bench/RESULTS-index.md.) */
static void *shard_main(void *arg)
{
    worker *w = arg;
    run *r = w->r;
    mg_ring *q = &r->rings[w->k];
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (q->tail == q->head && !q->eof)
            pthread_cond_wait(&q->work, &q->mu);
        if (q->tail == q->head) {
            pthread_mutex_unlock(&q->mu);
            /* The input is done: commit the last batch here, the shards in
             * parallel, rather than one after another when the main thread
             * closes them. */
            mg_err e;
            mg_err_clear(&e);
            if (w->shard && w->shard_pending && !r->failed && !mg_run_stopped(r) &&
                mg_xdb_commit(w->shard, &e) < 0)
                mg_run_fail(r, &e);
            w->shard_pending = 0;
            return NULL;
        }
        mg_ring_item *it = &q->it[q->tail % q->cap];
        pthread_mutex_unlock(&q->mu);
        if (!r->failed) {
            mg_run_build_item(w, it, &w->doc);
            if (it->rc) {
                mg_run_build_failed(r, it);
            } else if (!w->shard) { /* --dry-run */
                if (!it->dup)
                    mg_run_count(r, &r->st->added);
            } else {
                mg_err e;
                mg_err_clear(&e);
                /* A first occurrence cannot be in the fresh shard yet: add it
                 * without the unique-term lookup; a duplicate replaces its twin. */
                int rc = mg_run_set_added(r, w->live, w->doc, it->uid, it->hash, &e);
                if (!rc)
                    rc = it->dup ? mg_xdb_replace(w->shard, it->uid, w->doc, &e)
                                 : mg_xdb_add(w->shard, w->doc, &e);
                if (!rc && ++w->shard_pending >= MG_SHARD_FLUSH) {
                    w->shard_pending = 0;
                    rc = mg_xdb_commit(w->shard, &e);
                }
                if (rc)
                    mg_run_fail(r, &e);
                else if (!it->dup) /* a duplicate replaces its twin: one document */
                    mg_run_count(r, &r->st->added);
            }
        }
        mg_ring_pop(q, it);
    }
}

static void abandon_shards(run *r)
{
    for (unsigned k = 0; k < r->nthreads; k++) {
        mg_xdb_abandon(r->w[k].shard);
        r->w[k].shard = NULL;
        mg_xlook_free(r->w[k].live);
        r->w[k].live = NULL;
    }
}

/* mg_compact_run's poll: keep the progress line going, stop on request. */
static int compact_poll(void *ctx)
{
    run *r = ctx;
    mg_run_progress(r, 0);
    return mg_run_stopped(r);
}

/* --compact of a sharded index: each shard of live into dst/sK, one after
 * the other (in a child process each, as a single database), and a stub. */
static int compact_shards(run *r, const char *live, const char *dst, mg_err *err)
{
    if (mkdir(dst, 0777) != 0)
        return mg_err_set(err, MG_EIO, "mkdir %.200s: %s", dst, strerror(errno));
    int rc = 0;
    for (unsigned k = 0; !rc && k < r->nshards; k++) {
        char from[PATH_MAX + 32], to[PATH_MAX + 160];
        snprintf(from, sizeof from, "%s/s%u", live, k);
        snprintf(to, sizeof to, "%s/s%u", dst, k);
        const char *src = from;
        rc = mg_compact_run(&src, 1, to, compact_poll, r, err);
    }
    return rc ? rc : mg_topology_write_local(dst, r->nshards, err);
}

/* --compact after an update: compact the live generation into a new one and
 * publish it as a rebuild does (the lock is held all along, so nothing
 * changes the live one meanwhile). The update is committed already: on
 * failure the live generation stays as it is and the partial copy goes. */
int mg_run_compact_live(run *r, mg_err *err)
{
    mg_index_stats *st = r->st;
    char live[PATH_MAX], tmp[PATH_MAX + 64], dst[PATH_MAX + 128];
    if (!realpath(r->db, live))
        return mg_err_set(err, MG_EIO, "%.200s: %s", r->db, strerror(errno));
    int rc = mg_run_make_tmp_dir(r, tmp, sizeof tmp, err);
    if (rc)
        return rc;
    snprintf(dst, sizeof dst, "%s/db", tmp);
    pthread_mutex_lock(&r->mu);
    st->compact_from_bytes = mg_gens_dir_bytes(live);
    st->compaction = MG_COMPACTION_RUNNING;
    pthread_mutex_unlock(&r->mu);
    double t = mg_run_now();
    const char *src = live;
    if (r->nshards > 1)
        rc = compact_shards(r, live, dst, err);
    else
        rc = mg_compact_run(&src, 1, dst, compact_poll, r, err);
    if (rc == 0 && (rc = mg_run_install_gen(r, dst, err)) == 0)
        /* The generation compacted from holds the same articles as the new
         * live one; keeping it would keep twice the index's size on disk
         * for nothing. A reader that has it open goes on reading its open
         * files, and morgued switches to the new one at its next look
         * (within a second). */
        mg_run_prune_gens(r, r->cur_gen, -1);
    st->compact_s = mg_run_now() - t;
    mg_run_remove_tmp_dir(r);
    if (rc == 0) {
        st->compaction = MG_COMPACTION_DONE;
        return 0;
    }
    const char *stays = st->committed ? "the update is committed and stays live, not compacted"
                                      : "the live index stays as it was, not compacted";
    if (rc == 1) {
        st->compaction = MG_COMPACTION_INTERRUPTED;
        st->interrupted = true;
        return mg_err_set(err, MG_EIO, "interrupted while compacting: %s", stays);
    }
    st->compaction = MG_COMPACTION_FAILED;
    mg_err inner = *err;
    return mg_err_set(err, inner.code, "compacting failed: %.150s; %s", inner.msg, stays);
}

/* A worker's private part of a sharded index: dir/s0 .. s(n-1), one for
 * each shard of the index (topology.h), the documents routed by id. */
static mg_xdb *open_index_shards(const char *dir, unsigned n, mg_err *err)
{
    if (mkdir(dir, 0777) != 0) {
        mg_err_set(err, MG_EIO, "mkdir %.200s: %s", dir, strerror(errno));
        return NULL;
    }
    char **paths = calloc(n, sizeof *paths);
    mg_xdb *x = NULL;
    unsigned k = 0;
    if (paths)
        for (; k < n; k++)
            if (asprintf(&paths[k], "%s/s%u", dir, k) < 0)
                break;
    if (!paths || k < n)
        mg_err_set(err, MG_ENOMEM, "out of memory");
    else
        x = mg_xdb_open_shards((const char *const *)paths, n, MG_XDB_CREATE | MG_XDB_NOSYNC, err);
    for (unsigned i = 0; paths && i < k; i++)
        free(paths[i]);
    free(paths);
    return x;
}

/* Merge shard j of every worker's part into dst/sj, for each j, in
 * parallel (up to nthreads compactions at once), and write dst's stub.
 * src(j, k) names shard j of source k (nsrc sources). */
typedef struct merge_job {
    const char **srcs;
    size_t nsrc;
    char dst[PATH_MAX + 160];
    int rc;
    mg_err err;
    pthread_t tid;
} merge_job;

static void *merge_one(void *arg)
{
    merge_job *j = arg;
    mg_err_clear(&j->err);
    j->rc = mg_xdb_compact(j->srcs, j->nsrc, j->dst, &j->err);
    return NULL;
}

static int merge_sharded(run *r, char **srcs, size_t nsrc, const char *dst, mg_err *err)
{
    if (mkdir(dst, 0777) != 0)
        return mg_err_set(err, MG_EIO, "mkdir %.200s: %s", dst, strerror(errno));
    unsigned n = r->nshards;
    merge_job *jobs = calloc(n, sizeof *jobs);
    const char **all = calloc((size_t)n * nsrc, sizeof *all);
    char **names = calloc((size_t)n * nsrc, sizeof *names);
    int rc = 0;
    if (!jobs || !all || !names)
        rc = mg_err_set(err, MG_ENOMEM, "out of memory");
    for (unsigned j = 0; !rc && j < n; j++) {
        jobs[j].srcs = all + (size_t)j * nsrc;
        jobs[j].nsrc = nsrc;
        snprintf(jobs[j].dst, sizeof jobs[j].dst, "%s/s%u", dst, j);
        for (size_t k = 0; !rc && k < nsrc; k++) {
            char **name = &names[(size_t)j * nsrc + k];
            if (asprintf(name, "%s/s%u", srcs[k], j) < 0) {
                *name = NULL;
                rc = mg_err_set(err, MG_ENOMEM, "out of memory");
            }
            jobs[j].srcs[k] = *name;
        }
    }
    for (unsigned j0 = 0; !rc && j0 < n; j0 += r->nthreads) {
        unsigned end = j0 + r->nthreads < n ? j0 + r->nthreads : n;
        for (unsigned j = j0; j < end; j++)
            if (pthread_create(&jobs[j].tid, NULL, merge_one, &jobs[j]) != 0)
                merge_one(&jobs[j]), jobs[j].tid = 0;
        for (unsigned j = j0; j < end; j++) {
            if (jobs[j].tid)
                pthread_join(jobs[j].tid, NULL);
            if (jobs[j].rc && !rc) {
                *err = jobs[j].err;
                rc = jobs[j].rc;
            }
        }
    }
    if (!rc)
        rc = mg_topology_write_local(dst, n, err);
    for (size_t i = 0; names && i < (size_t)n * nsrc; i++)
        free(names[i]);
    free(names);
    free(all);
    free(jobs);
    return rc;
}

/* A ring and, unless --dry-run, an empty shard in tmp for each worker. */
static int open_shards(run *r, const char *tmp, mg_err *err)
{
    char path[PATH_MAX + 128];
    r->rings = calloc(r->nthreads, sizeof *r->rings);
    if (!r->rings)
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    for (unsigned k = 0; k < r->nthreads; k++) {
        if (mg_ring_init(&r->rings[k], RING_PER_THREAD, RING_BYTES / r->nthreads))
            return mg_err_set(err, MG_ENOMEM, "out of memory");
        if (r->o->dry_run)
            continue; /* no shard: the workers only analyse and count */
        /* The live generation, to carry over when each unchanged article
         * entered the index (MG_SLOT_ADDED); one handle per worker, as
         * the workers run in parallel. */
        if (r->kind != DB_NEW && !(r->w[k].live = mg_xlook_open(r->db, err)))
            return -err->code;
        snprintf(path, sizeof path, "%s/shard-%u", tmp, k);
        /* Not DB_DANGEROUS: Xapian can undo a commit that failed (disk
         * full) only when blocks are not written in place; otherwise it
         * fails with "cancel() not supported under DB_DANGEROUS" instead
         * of the cause. On Reuters it costs nothing measurable. */
        if (r->nshards > 1)
            r->w[k].shard = open_index_shards(path, r->nshards, err);
        else
            r->w[k].shard = mg_xdb_open(path, MG_XDB_CREATE | MG_XDB_NOSYNC, err);
        if (!r->w[k].shard)
            return -err->code;
    }
    return 0;
}

/* Once every input is read: may what was built be published? Not after a
 * failure, a stop request or an unreadable input, nor when it would drop
 * more of the live index than --max-delete allows. */
static int check_built(run *r, mg_err *err)
{
    if (r->failed) {
        *err = r->fail_err;
        return -err->code;
    }
    if (mg_run_stopped(r)) {
        r->st->interrupted = true;
        return mg_err_set(err, MG_EIO, "interrupted: nothing published%s",
                          r->kind == DB_NEW ? "" : "; the old index stays live");
    }
    if (r->st->input_failed)
        return mg_err_set(err, MG_EIO, "an input could not be read: nothing published%s",
                          r->kind == DB_NEW ? "" : "; the old index stays live");
    unsigned long long live = r->st->live_documents, built = r->st->added;
    if (live > built) {
        char what[128];
        snprintf(what, sizeof what, "the rebuilt index would hold %llu documents, %llu fewer",
                 built, live - built);
        return mg_run_check_max_delete(r, what, live - built, live,
                                       "nothing published; the old index stays live", err);
    }
    return 0;
}

/* Close the shards, merge them into tmp/db (compact) and publish it. */
static int merge_shards(run *r, const char *tmp, mg_err *err)
{
    char path[PATH_MAX + 128];
    int rc = mg_run_set_meta(r, r->w[0].shard, 1, err);
    if (rc)
        return rc;
    for (unsigned k = 0; k < r->nthreads; k++) {
        int c = mg_xdb_close(r->w[k].shard, err);
        r->w[k].shard = NULL;
        if (c)
            return c;
    }
    const char **srcs = calloc(r->nthreads, sizeof *srcs);
    char **paths = calloc(r->nthreads, sizeof *paths);
    if (!srcs || !paths) {
        rc = mg_err_set(err, MG_ENOMEM, "out of memory");
        goto out;
    }
    for (unsigned k = 0; k < r->nthreads; k++) {
        if (asprintf(&paths[k], "%s/shard-%u", tmp, k) < 0) {
            paths[k] = NULL;
            rc = mg_err_set(err, MG_ENOMEM, "out of memory");
            goto out;
        }
        srcs[k] = paths[k];
    }
    snprintf(path, sizeof path, "%s/db", tmp);
    if (r->nshards > 1)
        rc = merge_sharded(r, paths, r->nthreads, path, err);
    else
        rc = mg_xdb_compact(srcs, r->nthreads, path, err);
    if (rc || (rc = mg_run_install_gen(r, path, err)))
        goto out;
    r->st->documents = r->st->added;
out:
    if (paths)
        for (unsigned k = 0; k < r->nthreads; k++)
            free(paths[k]);
    free(paths);
    free(srcs);
    return rc;
}

int mg_run_rebuild(run *r, mg_err *err)
{
    char tmp[PATH_MAX + 64] = "";
    int rc = r->o->dry_run ? 0 : mg_run_make_tmp_dir(r, tmp, sizeof tmp, err);
    if (rc)
        return rc;
    if (!(rc = open_shards(r, tmp, err))) {
        if (!mg_run_start_threads(r, shard_main, NULL, err))
            mg_run_read_all(r);
        mg_run_stop_threads(r, 0);
        rc = check_built(r, err); /* a thread that did not start failed the run */
        if (!rc && !r->o->dry_run)
            rc = merge_shards(r, tmp, err);
    }
    abandon_shards(r);
    mg_run_remove_tmp_dir(r);
    if (!r->st->committed && !r->o->dry_run)
        r->st->added = 0; /* nothing was published */
    if (rc < 0 && !r->st->committed && !r->st->interrupted && !r->st->input_failed &&
        !r->st->refused) {
        mg_err inner = *err;
        mg_err_set(err, inner.code, "%.190s; nothing published%s", inner.msg,
                   r->kind == DB_NEW ? "" : "; the old index stays live");
    }
    return rc;
}
