/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compacting a database in a child process, so that the caller can stop it
 * at once (Xapian's compaction cannot be interrupted from inside). */
#ifndef MG_COMPACT_H
#define MG_COMPACT_H

#include <stddef.h>

#include "err.h"

/* Called by mg_compact_run about five times a second, and at once after a
 * signal interrupts its wait, on the calling thread. Return nonzero to stop
 * the compaction. */
typedef int (*mg_compact_poll_fn)(void *ctx);

/* mg_xdb_compact(srcs, n, dst) (xapian_shim.h) run in a forked child process
 * while the calling thread waits, calling poll (which may be NULL). Returns
 * 0 once dst holds the compacted, synced database; 1 when poll asked to stop
 * (the child is killed at once with SIGKILL); a negative mg_code with the
 * child's message when the compaction failed (disk full, a missing source,
 * dst already exists, ...) or the child died. After a failure or a stop dst
 * may hold a partial database: the caller removes it.
 *
 * The child inherits the process as it is at the call (the open files too,
 * locks included, until it exits): call it when no other thread of the
 * process is working. It dies with the calling process (PR_SET_PDEATHSIG),
 * and takes SIGINT and SIGTERM with their default action, so a ^C to the
 * terminal's process group ends it at once. */
int mg_compact_run(const char *const *srcs, size_t n, const char *dst, mg_compact_poll_fn poll,
                   void *ctx, mg_err *err);

#endif
