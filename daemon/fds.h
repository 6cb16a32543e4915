/* SPDX-License-Identifier: GPL-2.0-or-later */
/* File descriptors: the process's limit, how many are open, and a pool
 * held for the index. At start-up morgued raises its soft limit to the hard
 * one, keeps descriptors for the index (every worker's database handle, and
 * a second one while it reopens: the second held in the pool) and caps
 * client connections below the rest (server.c, conns.h: libzmq accepts
 * connections until the process runs out, and has no per-listener cap).
 * Private to daemon/. */
#ifndef MG_DAEMON_FDS_H
#define MG_DAEMON_FDS_H

/* Raise the soft RLIMIT_NOFILE to the hard one; returns the limit now in
 * force (-1 when it cannot be read, or is unlimited). */
long mg_fds_raise_limit(void);

/* Descriptors open in this process now (one of them for reading
 * /proc/self/fd, kept open from the first call), or -1 when that cannot be
 * read. Thread-safe. */
long mg_fds_open(void);

/* Descriptors held for the index (eventfds): a worker lends some back just
 * before it opens or reopens the index and takes them again after, so that
 * connections accepted in a burst, before the cap shuts them down, never
 * use what a reopen needs. Thread-safe. */
typedef struct mg_fds_pool mg_fds_pool;

/* A pool holding want descriptors (as many as it can get now; the rest at
 * the next mg_fds_pool_refill). NULL when out of memory. */
mg_fds_pool *mg_fds_pool_new(int want);
/* Closes what it holds. NULL: no-op. */
void mg_fds_pool_free(mg_fds_pool *p);
/* Close up to n of the held descriptors (for the caller to open files).
 * NULL: no-op. */
void mg_fds_pool_lend(mg_fds_pool *p, int n);
/* Take descriptors again up to want (fewer when the process has none
 * free). NULL: no-op. */
void mg_fds_pool_refill(mg_fds_pool *p);
/* Descriptors held now. NULL: 0. */
int mg_fds_pool_held(mg_fds_pool *p);

#endif
