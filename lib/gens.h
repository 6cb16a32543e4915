/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The generations of a morgue-index database, and the file-system helpers
 * they need. DIR is a symlink to DIR.gens/gNNNNNN (a "generation", NNNNNN
 * counting up); a new generation is built in DIR.gens/tmp-PID, renamed to
 * its number, and published by renaming a new symlink DIR.new-PID over DIR
 * (docs/indexing.md). The caller holds DIR.lock: nothing here locks. */
#ifndef MG_GENS_H
#define MG_GENS_H

#include "err.h"

/* Remove path and everything below it (not following symlinks); 0 when it
 * is gone or was never there, -1 with errno. */
int mg_gens_rm_tree(const char *path);
/* The total size of the regular files directly in path (0 if unreadable). */
unsigned long long mg_gens_dir_bytes(const char *path);
/* fsync a directory, so that renames and new entries in it are durable. */
void mg_gens_sync_dir(const char *path);
/* mkdir -p; MG_EINVAL for a path too long, MG_EIO with the failing part. */
int mg_gens_mkdir_p(const char *path, mg_err *err);

/* "gNNNNNN" -> NNNNNN, anything else -> 0. */
long mg_gens_number(const char *name);

/* mg_gen_of_path and mg_gen_revision keep their older names: the searcher
 * (lib/search.c, lib/lookup.c) calls them. */

/* The generation of the database directory path: NNNNNN when path ends in
 * "NAME.gens/gNNNNNN", else 0 (a plain database). */
long mg_gen_of_path(const char *path);

/* A revision of the index that never goes backwards: generation *
 * MG_GEN_REVISION_SPAN + the Xapian revision of the generation open. A
 * commit raises the Xapian revision (always below 2^32, under the span);
 * a rebuild or a compaction publishes a higher generation (its Xapian
 * revision starts again at 1). Readable in decimal: generation 7 at
 * Xapian revision 3 is 70000000003. */
#define MG_GEN_REVISION_SPAN 10000000000ULL
unsigned long long mg_gen_revision(long generation, unsigned long long xapian_revision);
/* In the directory gens: the highest generation number (*max) and the
 * highest below cur (*below_cur), 0 when there is none. */
void mg_gens_scan(const char *gens, long cur, long *max, long *below_cur);

/* Told of each entry that could not be removed. */
typedef void (*mg_gens_warn_fn)(void *ctx, const char *path, int errnum);
/* Delete every generation in gens except keep_a and keep_b (pass -1 to keep
 * fewer), and every "tmp-*" build directory. */
void mg_gens_prune(const char *gens, long keep_a, long keep_b, mg_gens_warn_fn warn, void *ctx);
/* Remove the temporary symlinks "base.new-*" in parent a killed run left. */
void mg_gens_remove_stale_links(const char *parent, const char *base);
/* Point db (= parent/base) at base.gens/gNNNNNN atomically: a new symlink
 * base.new-PID renamed over db, then parent synced. */
int mg_gens_publish(const char *parent, const char *base, const char *db, long g, mg_err *err);

#endif
