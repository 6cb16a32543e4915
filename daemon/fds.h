/* SPDX-License-Identifier: GPL-2.0-or-later */
/* File descriptors: the process's limit and how many are open. At start-up
 * morgued raises its soft limit to the hard one, keeps descriptors for the
 * index (every worker's database handle, and a second one while it
 * reopens) and caps client connections below the rest (server.c, conns.h:
 * libzmq accepts connections until the process runs out, and has no
 * per-listener cap). Private to daemon/. */
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
