/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgue-index --prom-file: a run's outcome as a node_exporter textfile
 * (Prometheus text format), for the nightly job's monitoring. */
#ifndef MG_INDEXER_PROMFILE_H
#define MG_INDEXER_PROMFILE_H

#include "index.h"

/* Write the metrics of a finished run (st, and its exit status) to path,
 * atomically: a temporary file beside it, flushed to disk, then renamed
 * over path, so a scraper never reads half a file. The time of the last
 * run that exited 0 or 3 is carried over from the previous file when this
 * run failed. 0, or -1 with errno set. */
int write_prom_file(const char *path, const mg_index_stats *st, int exit_status);

#endif
