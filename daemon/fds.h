/* SPDX-License-Identifier: GPL-2.0-or-later */
/* File descriptors: the process's limit and how many are open. morgued
 * keeps enough free for its index (every worker's database handle, and a
 * second one while it reopens) by not accepting new client connections
 * near the limit (server.c). Private to daemon/. */
#ifndef MG_DAEMON_FDS_H
#define MG_DAEMON_FDS_H

/* Raise the soft RLIMIT_NOFILE to the hard one; returns the limit now in
 * force (-1 when it cannot be read, or is unlimited). */
long mg_fds_raise_limit(void);

/* Descriptors open in this process now (one of them for reading
 * /proc/self/fd, kept open from the first call), or -1 when that cannot be
 * read. Thread-safe. */
long mg_fds_open(void);

#endif
