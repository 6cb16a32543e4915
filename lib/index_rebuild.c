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
#include "schema.h"
#include "topology.h"

#include <sys/stat.h>

static mg_xdb *open_index_shards(const char *dir, unsigned n, int create, mg_err *err);

/* Piece P of worker K's shard in the temporary directory: shard-K-P. */
#define PIECE_PATH "%s/shard-%u-%u"

/* Open piece p of worker k's shard: a new one (create), or one written
 * before. */
static mg_xdb *open_piece(run *r, unsigned k, unsigned p, int create, mg_err *err)
{
    char path[PATH_MAX + 160];
    snprintf(path, sizeof path, PIECE_PATH, r->tmp_dir, k, p);
    /* Not DB_DANGEROUS: Xapian can undo a commit that failed (disk full)
     * only when blocks are not written in place; otherwise it fails with
     * "cancel() not supported under DB_DANGEROUS" instead of the cause. On
     * Reuters it costs nothing measurable. */
    if (r->nshards > 1)
        return open_index_shards(path, r->nshards, create, err);
    return mg_xdb_open(path, MG_XDB_CREATE | MG_XDB_NOSYNC, err);
}

/* Close (and so commit) the piece the worker writes, if any, and begin the
 * next. */
static int next_piece(worker *w, mg_err *err)
{
    int rc = mg_xdb_close(w->shard, err);
    w->shard = NULL;
    w->shard_pending = 0;
    w->piece_docs = 0;
    if (rc)
        return rc;
    if (!(w->shard = open_piece(w->r, w->k, w->pieces, 1, err)))
        return -err->code;
    w->pieces++;
    return 0;
}

/* Commit db every MG_SHARD_FLUSH changes (*pending counts them). */
static int count_change(mg_xdb *db, unsigned long *pending, mg_err *err)
{
    if (++*pending < MG_SHARD_FLUSH)
        return 0;
    *pending = 0;
    return mg_xdb_commit(db, err);
}

/* Add the worker's document to its piece, beginning a new piece when this
 * one is full. A first occurrence of an id cannot be in the fresh shard
 * yet: no unique-term lookup. */
static int add_doc(worker *w, mg_err *err)
{
    int rc = w->piece_docs >= w->r->piece ? next_piece(w, err) : 0;
    if (!rc)
        rc = mg_xdb_add(w->shard, w->doc, err);
    if (rc)
        return rc;
    w->piece_docs++;
    return count_change(w->shard, &w->shard_pending, err);
}

/* Replace the document under uid in db by the worker's: 1, or an error;
 * 0 when db holds no document under uid (nothing done). */
static int replace_in(worker *w, mg_xdb *db, unsigned long *pending, const char *uid, mg_err *err)
{
    long n = mg_xdb_get_value(db, uid, MG_SLOT_HASH, NULL, 0, err);
    if (n == -MG_ENOTFOUND) {
        mg_err_clear(err);
        return 0;
    }
    int rc = n < 0 ? (int)n : mg_xdb_replace(db, uid, w->doc, err);
    if (!rc)
        rc = count_change(db, pending, err);
    return rc ? rc : 1;
}

/* Reopen earlier piece p of the worker's shard as w->old. */
static int reopen_piece(worker *w, unsigned p, mg_err *err)
{
    int rc = mg_xdb_close(w->old, err);
    w->old = NULL;
    w->old_pending = 0;
    if (rc)
        return rc;
    if (!(w->old = open_piece(w->r, w->k, p, 0, err)))
        return -err->code;
    w->old_piece = p;
    return 0;
}

/* A later copy of an id replaces its twin where the twin is: in the piece
 * being written or in an earlier one, reopened (and kept open for the next
 * duplicate, which is looked for there first). The document keeps its
 * twin's number, as in a shard of one piece. A twin in no piece (its first
 * copy failed to build) is added like a first copy. */
static int put_duplicate(worker *w, const char *uid, mg_err *err)
{
    int rc = replace_in(w, w->shard, &w->shard_pending, uid, err);
    if (rc)
        return rc < 0 ? rc : 0;
    unsigned seen = w->old ? w->old_piece : UINT_MAX;
    if (w->old && (rc = replace_in(w, w->old, &w->old_pending, uid, err)))
        return rc < 0 ? rc : 0;
    for (unsigned p = w->pieces - 1; p-- > 0;) {
        if (p == seen)
            continue;
        if ((rc = reopen_piece(w, p, err)) ||
            (rc = replace_in(w, w->old, &w->old_pending, uid, err)))
            return rc < 0 ? rc : 0;
    }
    return add_doc(w, err);
}

/* Rebuild: analyse and write into this worker's private shard, a piece of
 * at most r->piece documents at a time. Each document is built into the
 * worker's one mg_xdoc and added at once. (A document per ring slot,
 * reused 512 documents later, made Xapian free and allocate cold memory:
 * the Reuters rebuild took ~13% more CPU; bench/RESULTS-index.md.) */
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
             * closes them; and close an earlier piece reopened. */
            mg_err e;
            mg_err_clear(&e);
            int rc = 0;
            if (w->shard && !r->failed && !mg_run_stopped(r)) {
                if (w->shard_pending)
                    rc = mg_xdb_commit(w->shard, &e);
                if (!rc) {
                    rc = mg_xdb_close(w->old, &e); /* frees it, whatever rc */
                    w->old = NULL;
                }
                if (rc)
                    mg_run_fail(r, &e);
            }
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
                int rc = mg_run_set_added(r, w->live, w->doc, it->uid, it->hash, &e);
                if (!rc)
                    rc = it->dup ? put_duplicate(w, it->uid, &e) : add_doc(w, &e);
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
        mg_xdb_abandon(r->w[k].old);
        r->w[k].old = NULL;
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

/* A piece of a worker's private part of a sharded index: dir/s0 .. s(n-1),
 * one for each shard of the index (topology.h), the documents routed by
 * id; made first when create. */
static mg_xdb *open_index_shards(const char *dir, unsigned n, int create, mg_err *err)
{
    if (create && mkdir(dir, 0777) != 0) {
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

/* A ring and, unless --dry-run, the first piece of a shard for each
 * worker. */
static int open_shards(run *r, mg_err *err)
{
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
        int rc = next_piece(&r->w[k], err);
        if (rc)
            return rc;
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

/* Close the shards, merge every piece into tmp/db (compact) and publish
 * it. The pieces go to the compactor in order, worker by worker, so the
 * documents are numbered as they would be in shards of one piece. */
static int merge_shards(run *r, const char *tmp, mg_err *err)
{
    char path[PATH_MAX + 128];
    /* (every document of a rebuild has its near-duplicate term) */
    int rc = mg_run_set_meta(r, r->w[0].shard, 1, err);
    if (rc || (rc = mg_xdb_set_metadata(r->w[0].shard, MG_META_DUPTERMS, "1", err)))
        return rc;
    size_t n = 0;
    for (unsigned k = 0; k < r->nthreads; k++) {
        int c = mg_xdb_close(r->w[k].shard, err);
        r->w[k].shard = NULL;
        if (c)
            return c;
        n += r->w[k].pieces;
    }
    char **paths = calloc(n, sizeof *paths);
    if (!paths)
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    size_t i = 0;
    for (unsigned k = 0; k < r->nthreads && !rc; k++)
        for (unsigned p = 0; p < r->w[k].pieces && !rc; p++, i++)
            if (asprintf(&paths[i], PIECE_PATH, tmp, k, p) < 0) {
                paths[i] = NULL;
                rc = mg_err_set(err, MG_ENOMEM, "out of memory");
            }
    snprintf(path, sizeof path, "%s/db", tmp);
    if (!rc)
        rc = r->nshards > 1 ? merge_sharded(r, paths, n, path, err)
                            : mg_xdb_compact((const char *const *)paths, n, path, err);
    if (!rc && !(rc = mg_run_install_gen(r, path, err)))
        r->st->documents = r->st->added;
    for (i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    return rc;
}

int mg_run_rebuild(run *r, mg_err *err)
{
    char tmp[PATH_MAX + 64] = "";
    int rc = r->o->dry_run ? 0 : mg_run_make_tmp_dir(r, tmp, sizeof tmp, err);
    if (rc)
        return rc;
    if (!(rc = open_shards(r, err))) {
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
