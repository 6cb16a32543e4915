/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to the indexer: the state of one run of mg_index_run (index.h)
 * and the functions its files share. Nothing outside lib/index*.c includes
 * this. The files:
 *   index.c          the run: options, lock, update or rebuild, and what
 *                    both modes share (messages, counters, progress,
 *                    analysis, starting and stopping the threads)
 *   index_paths.c    the paths of --db, the lock, what --db is, generations
 *   index_read.c     the reading loop (calling thread): inputs -> rings
 *   index_update.c   update mode: builders, the writer, --delete-missing,
 *                    --max-delete, --dry-run, the decision to --compact
 *   index_rebuild.c  rebuild: shard workers, merge, publish; --compact
 *   ring.c, idset.c  the bounded rings; the ids seen and their file names
 * Threads: the calling thread reads (mg_run_read_all); nthreads workers
 * analyse; in an update one writer thread owns the database. Fields of run
 * written by several threads are changed under run.mu (counters in st,
 * log calls) or are atomic (failed, hold). */
#ifndef MG_INDEX_RUN_H
#define MG_INDEX_RUN_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "docbuild.h"
#include "idset.h"
#include "index.h"
#include "ring.h"
#include "xapian_shim.h"

#define DEFAULT_BATCH 10000 /* documents per commit in an update */
#define MAX_THREADS 256
/* Records in flight are bounded by count and by bytes, so memory stays
 * bounded whatever the input. Records go to a rebuild shard by id hash, so
 * while one worker commits (every MG_SHARD_FLUSH documents, ~0.2 s on Reuters)
 * its ring must hold what the reader reads meanwhile, or the reader blocks
 * on it and the other worker runs dry: with 64 slots a Reuters rebuild kept
 * 1.6 of 2 cores busy, with 512 1.8 (peak RSS 75 -> 91 MB). */
#define RING_PER_THREAD 512
#define RING_BYTES (64u << 20)

/* What --db names when the run starts (mg_run_inspect_db): nothing yet,
 * our symlink to a generation in DIR.gens, or a database we cannot switch
 * (a glass database or an empty directory, or a symlink of the operator's
 * to one: run.link then says where it points). */
typedef enum { DB_NEW, DB_LINKED, DB_PLAIN } db_kind;

typedef struct run run;

/* An analysis thread: an update builder or a rebuild shard worker. */
typedef struct worker {
    run *r;
    unsigned k;
    mg_docbuild *b;
    mg_xdb *shard;               /* rebuild: the piece being written (one db per index shard) */
    mg_xdoc *doc;                /* rebuild: the document being built */
    mg_xlook *live;              /* rebuild: the live generation, read-only (or NULL) */
    unsigned long shard_pending; /* documents since the piece's last commit */
    unsigned pieces;             /* rebuild: pieces begun; the one written is pieces - 1 */
    unsigned long piece_docs;    /* documents added to the piece being written */
    mg_xdb *old;                 /* rebuild: an earlier piece reopened for a duplicate */
    unsigned old_piece;          /* which one */
    unsigned long old_pending;   /* its changes since its last commit */
    pthread_t tid;
    int started;
} worker;

/* One call of mg_index_run: its options, stats, paths, threads and rings. */
struct run {
    const mg_index_opts *o;
    mg_index_stats *st;
    pthread_mutex_t mu; /* stats and log calls */
    unsigned nthreads;
    unsigned nshards; /* shard databases of the index written: 1 when not sharded */
    unsigned long batch;
    unsigned long piece; /* rebuild: documents per piece (mg_index_opts.piece) */
    char lang[64];
    int dupkey;      /* the mg_docbuild_dupkey() version written (MG_META_DUPKEY) */
    char **del_uids; /* --delete-ids: their id terms ("Q" + id), sorted, distinct */
    size_t ndel;
    double t0, last_progress;
    /* MG_SLOT_ADDED of the documents this run adds or changes: its start,
     * and always later than the last run's (MG_META_ADDED), so two runs in
     * the same second still tell apart. */
    char added[15];

    /* paths */
    char db[PATH_MAX], gens[PATH_MAX + 8], lockpath[PATH_MAX + 8], base[NAME_MAX + 1],
        parent[PATH_MAX];
    db_kind kind;
    long cur_gen;                /* generation DIR points at, 0 if none of ours */
    char link[PATH_MAX];         /* DB_PLAIN through a symlink: its target, else "" */
    char tmp_dir[PATH_MAX + 64]; /* DIR.gens/tmp-PID while it exists, else "" */
    int lockfd;
    bool lock_created; /* this run made DIR.lock (mg_run_unlock may remove it) */
    bool db_refused;   /* mg_run_inspect_db refused what --db names */

    worker *w;
    mg_ring upd;    /* update mode */
    mg_ring *rings; /* rebuild: one per worker */
    mg_xdb *xdb;    /* update mode: the writer's database */
    pthread_t writer;
    unsigned long pending; /* changes since the last commit */
    /* Update mode: commit once, at the end, rather than every batch (for
     * --delete-missing, and once an input is an LZ4 stream that cannot be
     * verified before it is read): a run that fails, is refused or is
     * interrupted then changes nothing. Set by the reader before the
     * records it concerns enter the ring. */
    _Atomic int hold;
    /* The counters as of the last commit: what a failed update reports. */
    unsigned long long kept_added, kept_replaced, kept_deleted;

    _Atomic int failed; /* a thread hit a fatal error: stop */
    mg_err fail_err;

    mg_idset seen;
    mg_names files;
    unsigned long long bytes_done; /* of finished inputs */
};

/* Seconds on the monotonic clock. */
static inline double mg_run_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether the caller asked the run to stop (mg_index_opts.stop). */
static inline int mg_run_stopped(const run *r)
{
    return r->o->stop && *r->o->stop;
}

/* ---- index.c: shared by every part of a run ---- */

/* A message through o->log (one at a time, under r->mu). */
void mg_run_say(run *r, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Record the first fatal error of a thread; the reader stops at once. */
void mg_run_fail(run *r, const mg_err *e);
/* Add one to a counter of r->st (under r->mu). */
void mg_run_count(run *r, unsigned long long *field);
/* Call o->progress, at most every quarter second unless force. */
void mg_run_progress(run *r, int force);
/* Analyse it->rec into *doc (made on first use and reused after), setting
 * it->rc, it->uid, it->hash and on failure it->msg. */
void mg_run_build_item(worker *w, mg_ring_item *it, mg_xdoc **doc);
/* After a failed mg_run_build_item: a record the builder refused is a bad
 * record (counted as skipped, 0); anything else is fatal (-1). */
int mg_run_build_failed(run *r, mg_ring_item *it);
/* Write the language, the schema version and the time into db's metadata;
 * when final (the run's last commit), also r->added as MG_META_ADDED. */
int mg_run_set_meta(run *r, mg_xdb *db, int final, mg_err *err);
/* Set MG_SLOT_ADDED of doc: the live document's own (none if it has none)
 * when its record is unchanged (stored in live under uid with the same
 * hash), else r->added. live may be NULL (a first index). */
int mg_run_set_added(run *r, mg_xlook *live, mg_xdoc *doc, const char *uid, uint64_t hash,
                     mg_err *err);
/* Start the nthreads workers (worker_fn, each given its worker) and, when
 * writer_fn is not NULL, the writer (given r), with SIGINT and SIGTERM
 * blocked in them. On failure the run is failed and -MG_ENOMEM returned;
 * mg_run_stop_threads joins what started. */
int mg_run_start_threads(run *r, void *(*worker_fn)(void *), void *(*writer_fn)(void *),
                         mg_err *err);
/* Close the rings (the rebuild's if there are, else the update's) and join
 * the workers, and the writer when writer_started. */
void mg_run_stop_threads(run *r, int writer_started);

/* ---- index_paths.c ---- */

/* Split --db into r->db, base, parent, gens and lockpath (MG_EINVAL). */
int mg_run_set_paths(run *r, const char *db, mg_err *err);
/* Take DIR.lock (MG_ELOCKED naming the holder's pid when another has it). */
int mg_run_lock(run *r, mg_err *err);
/* Release DIR.lock, leaving no stale pid in it; no-op when not held. */
void mg_run_unlock(run *r);
/* Set r->kind and r->cur_gen from what --db is now. */
int mg_run_inspect_db(run *r, mg_err *err);
/* mg_gens_prune and mg_gens_scan on this run's DIR.gens. */
void mg_run_prune_gens(run *r, long keep_a, long keep_b);
void mg_run_scan_gens(run *r, long *max, long *below_cur);
/* A fresh, empty DIR.gens/tmp-PID in tmp (and r->tmp_dir). */
int mg_run_make_tmp_dir(run *r, char *tmp, size_t cap, mg_err *err);
/* Remove r->tmp_dir, if any. */
void mg_run_remove_tmp_dir(run *r);
/* Move the database at path into DIR.gens as the next generation, publish
 * it, and prune all but it and the one live before. */
int mg_run_install_gen(run *r, const char *path, mg_err *err);

/* ---- index_read.c ---- */

/* Read every input on the calling thread into the rings, until the end,
 * a failure (r->failed) or a stop request. */
void mg_run_read_all(run *r);

/* ---- index_update.c ---- */

/* An update of the open r->xdb (and --delete-missing, --compact). */
int mg_run_update(run *r, mg_err *err);
/* MG_EINVAL (r->st->refused) when taking gone of the of documents away is
 * over --max-delete; what, outcome: the message's words. */
int mg_run_check_max_delete(run *r, const char *what, unsigned long long gone,
                            unsigned long long of, const char *outcome, mg_err *err);

/* index_delete.c, --delete-ids: read the list into r->del_uids and refuse
 * it over --max-delete (before the inputs); then delete the listed
 * articles the index holds (counted in st->deleted; a dry run counts
 * them). 0 or a negative mg_code. */
int mg_run_load_delete_ids(run *r, mg_err *err);
int mg_run_delete_listed(run *r, mg_err *err);

/* ---- index_rebuild.c ---- */

/* A rebuild or first index: shards, merge, publish. */
int mg_run_rebuild(run *r, mg_err *err);
/* --compact after an update: the live generation compacted into a new one. */
int mg_run_compact_live(run *r, mg_err *err);

#endif
