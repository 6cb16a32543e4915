/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The indexing pipeline behind morgue-index: inputs -> readers -> analysis
 * threads -> one Xapian writer (update) or one shard per thread, compacted
 * and published atomically (first index, --rebuild). docs/indexing.md is the
 * operator's guide.
 *
 * Publishing layout, for --db DIR:
 *   DIR            a symlink to the live generation, "NAME.gens/gNNNNNN"
 *                  (relative). A plain Xapian directory (made by other tools)
 *                  is updated in place instead, and cannot be --rebuild.
 *   DIR.gens/      the generations: the live one, the one before it (a reader
 *                  may still have it open), and "tmp-PID" while building.
 *   DIR.lock       flock()ed for the whole run; holds the writer's pid.
 * A first index, every rebuild and every update with --compact (after the
 * update) write a new generation and switch DIR with rename(2) of a
 * temporary symlink: readers see the old index or the new. */
#ifndef MG_INDEX_H
#define MG_INDEX_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "loglevel.h"

enum { MG_INDEX_UPDATE = 0, MG_INDEX_REBUILD = 1 };

/* What --compact did (mg_index_stats.compaction). */
enum {
    MG_COMPACTION_NONE = 0,    /* not asked for */
    MG_COMPACTION_DONE,        /* a compacted generation was published */
    MG_COMPACTION_NOT_NEEDED,  /* the index was compact already: a rebuild, or
                                * nothing committed since the last compaction */
    MG_COMPACTION_SKIPPED,     /* the update did not finish: not attempted */
    MG_COMPACTION_FAILED,      /* attempted and failed: the live index stays */
    MG_COMPACTION_INTERRUPTED, /* stopped through mg_index_opts.stop */
    MG_COMPACTION_RUNNING      /* in progress (seen by the progress callback) */
};

/* The default of --max-delete: a run may delete up to this share (in
 * percent) of the documents in the index. */
#define MG_INDEX_MAX_DELETE_PCT 10

/* A rebuild commits each shard every this many documents. Nothing reads a
 * shard before the merge, but Xapian's in-memory buffer of postings gets
 * slower per document as it grows (bench/RESULTS-index.md). bench-index's
 * floor commits its shards at the same interval. */
#define MG_SHARD_FLUSH 2000

/* A rebuild's worker starts a new piece of its shard every this many
 * documents, and the compactor merges every piece at the end: each commit
 * then updates B-trees of a bounded size, so that a rebuild's cost per
 * document does not grow with the archive (with a single shard of 500,000
 * documents per thread, a 1,000,000-article rebuild took 1.1-1.3 times the
 * CPU per document of a 100,000 one; with pieces 0.97-1.03 times:
 * bench/RESULTS-index.md). */
#define MG_REBUILD_PIECE 100000

typedef struct mg_index_stats {
    unsigned long long added, replaced, unchanged, deleted, skipped, warnings;
    unsigned long long read;               /* records read so far (incl. skipped) */
    unsigned long long other_shard;        /* --shard: records of the other shards */
    unsigned long long documents;          /* documents in the index at the end */
    unsigned long long live_documents;     /* documents in the index before the run */
    unsigned long long input_bytes;        /* input consumed so far */
    unsigned long long input_total;        /* sum of known input sizes (0: unknown) */
    unsigned long long index_bytes;        /* size of the live index at the end */
    unsigned long long compact_from_bytes; /* size before --compact (when tried) */
    double elapsed_s;
    double compact_s;      /* time --compact took (included in elapsed_s) */
    int compaction;        /* MG_COMPACTION_* */
    int mode;              /* MG_INDEX_UPDATE or MG_INDEX_REBUILD */
    char db[4096];         /* the --db path */
    char generation[4096]; /* the directory now live (DIR's target, or DIR) */
    char lang[64];         /* the index's stemming language */
    bool committed;        /* a new revision or generation was published */
    bool interrupted;      /* stopped through mg_index_opts.stop */
    bool input_failed;     /* an input could not be read to its end */
    bool usage_error;      /* the failure is a usage error (exit code 2) */
    bool refused;          /* over --max-delete: nothing deleted or published */
    bool dry_run;          /* counts are what the run would have done */
} mg_index_stats;

typedef struct mg_index_opts {
    const char *db;      /* required */
    const char *lang;    /* NULL: the index's, or "english" */
    unsigned threads;    /* analysis threads; 0: one per core */
    unsigned long batch; /* documents per commit (update); 0: 10000 */
    /* Documents per piece of a rebuild's per-thread shard; 0:
     * MG_REBUILD_PIECE. The index is the same whatever it is. */
    unsigned long piece;
    bool rebuild, delete_missing;
    /* A file of ids, one per line, to delete from an existing index after
     * the inputs (which may then be none): blank lines and lines starting
     * with '#' are skipped, white space around an id dropped. Counted
     * against --max-delete before anything is read; skipped when an input
     * could not be read to its end. Not with rebuild or delete_missing. */
    const char *delete_ids;
    /* The most documents one run may remove: --delete-missing's deletions,
     * or how many fewer documents a rebuild (or first index over a plain
     * directory) holds than the live index. Unset (max_delete_set false):
     * MG_INDEX_MAX_DELETE_PCT percent of the documents in the index. Set:
     * max_delete_docs documents when max_delete_absolute, else
     * max_delete_pct percent (0..100; 100 allows everything). Over it the
     * run refuses (MG_EINVAL, st->refused): an update changes nothing, a
     * rebuild publishes nothing. */
    bool max_delete_set, max_delete_absolute;
    double max_delete_pct;
    unsigned long long max_delete_docs;
    /* Read and analyse everything and count what would be added, replaced,
     * left unchanged and deleted, but write nothing: no commit, no
     * generation, no compaction (only the lock file is taken). */
    bool dry_run;
    /* After an update (and --delete-missing), when anything was committed
     * since the index was last compacted (its revision is above 1), compact
     * the live generation into a new one and publish it as a rebuild does.
     * Nothing more with a rebuild or a first index: those are compact. */
    bool compact;
    /* Nonzero: an update has Xapian write a changeset for each commit and
     * keep the last this many in the live generation, for replicas
     * (xapian-replicate) to catch up by. Xapian reads the number from the
     * environment when it opens the writer, so the run sets
     * XAPIAN_MAX_CHANGESETS in the process's environment before that, while
     * it is the only thread (a rebuild leaves
     * the environment alone: its new generation is copied whole anyway).
     * 0: the environment decides (Xapian's default: no changesets). */
    unsigned changesets;
    /* --shards N: the index is N shard databases and a stub in each
     * generation (topology.h), each article in the shard mg_shard_of()
     * names. 0: as the index is (one database when new); a rebuild may
     * change it, an update may not. With shard_only, only shard shard of
     * the N is built, as a database of its own (metadata MG_META_SHARD):
     * the other articles are passed over, and --delete-missing deletes
     * nothing of another shard's. */
    unsigned shards;
    bool shard_only;
    unsigned shard;
    /* The run stops reading and finishes as an interruption once *stop is
     * nonzero (st->interrupted): a SIGINT/SIGTERM handler sets it (storing
     * to a volatile sig_atomic_t is async-signal-safe). Nonzero already at
     * the call: the run reads nothing. NULL: the run is never stopped. */
    volatile sig_atomic_t *stop;
    const char *const *inputs; /* paths, "-" for stdin */
    size_t ninputs;
    /* Messages ("FILE:LINE: reason", warnings, notes), one line each, no
     * newline, with their level (MG_LOG_*, loglevel.h). Called from any
     * thread, never two at once. May be NULL. */
    void (*log)(void *ctx, int level, const char *msg);
    /* Called from the calling thread a few times a second during the run,
     * never at the same time as log (and never after mg_index_run returns).
     * The stats are borrowed for the call. May be NULL. */
    void (*progress)(void *ctx, const mg_index_stats *st);
    /* Called when Xapian fails in a way the process cannot survive (an
     * exception thrown while Xapian unwinds from a failed write: the disk
     * full inside a commit; xapian_shim.h). The generation being built is
     * removed first and *st says what was committed; err is the cause.
     * It must end the process (_exit); if it returns, or is NULL, the
     * process aborts. Called from any thread. */
    void (*fatal)(void *ctx, const mg_index_stats *st, const mg_err *err);
    void *ctx;
} mg_index_opts;

/* Run the indexer. Fills *st (always, also on failure). Returns 0 when the
 * run finished (records may have been skipped: st->skipped), or a negative
 * mg_code with a message on a fatal error, a usage error (st->usage_error)
 * or an interruption (st->interrupted). On failure of a rebuild or a first
 * index nothing is published; on failure of an update, batches committed
 * before it stay (and, for an interruption or an unreadable input, what was
 * read is committed: st->committed says whether anything was), except that
 * an update with delete_missing, or one reading an LZ4 stream that could not
 * be checked before it was read (mg_reader_unverified), commits once, at its
 * end, so that a failed, refused (st->refused) or interrupted one changes
 * nothing. After a
 * failure the counts in *st are of what was committed, and st->documents is
 * what the live index holds. When the
 * compaction of --compact fails or is interrupted, the update stays
 * committed in the live generation, which stays live, uncompacted. */
int mg_index_run(const mg_index_opts *o, mg_index_stats *st, mg_err *err);

/* Number of online processors (at least 1). */
unsigned mg_index_default_threads(void);

#endif
