/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Client connections, counted and capped so that the file descriptors the
 * index needs stay free. libzmq accepts connections until the process runs
 * out of descriptors and has no cap of its own; the main thread follows
 * its monitor events instead (accepted and disconnected, each with the
 * connection's descriptor). Up to the cap a connection is admitted. Past
 * it, a connection waits in one of MG_CONNS_GRACE_SLOTS for
 * MG_CONNS_GRACE_MS: a request it sends in that time is answered (so a
 * one-shot client such as `morgue` still gets its answer), and then, or
 * when the time is up without one, the daemon shuts the socket down
 * (shutdown(2): libzmq sees the end of the stream and closes the
 * descriptor itself; it is never closed under libzmq). With every grace
 * slot taken, a connection past the cap is shut down at once. A slot freed
 * below the cap admits the oldest waiting connection.
 * Private to daemon/. */
#ifndef MG_DAEMON_CONNS_H
#define MG_DAEMON_CONNS_H

#include <stdbool.h>
#include <stdint.h>

#define MG_CONNS_GRACE_SLOTS 16
#define MG_CONNS_GRACE_MS 20
#define MG_CONNS_MAX_FDS (1L << 20) /* descriptors tracked at most */

typedef struct mg_conns mg_conns;

/* At most cap connections admitted; descriptors below nfd are tracked
 * (those above it are neither counted nor capped; nfd is capped at
 * MG_CONNS_MAX_FDS). NULL when out of memory. */
mg_conns *mg_conns_new(long cap, long nfd);
/* NULL: no-op. */
void mg_conns_free(mg_conns *c);

/* Main thread: the connection on fd was accepted. true when it is past the
 * cap (waiting or shut down: the caller warns). */
bool mg_conns_accepted(mg_conns *c, int fd, uint64_t now_ns);
/* Main thread: the connection on fd is gone. */
void mg_conns_closed(mg_conns *c, int fd);
/* Main thread: shut down the waiting connections whose time is up or that
 * were answered, admit waiting ones when there is room. Returns the
 * nanoseconds until it needs to run again, or UINT64_MAX when nothing
 * waits. */
uint64_t mg_conns_tick(mg_conns *c, uint64_t now_ns);

/* Any thread: a request from the connection on fd was taken; its reply
 * was handed to libzmq. fd -1 (unknown): no-op. */
void mg_conns_request(mg_conns *c, int fd);
void mg_conns_replied(mg_conns *c, int fd);

/* Any thread: connections admitted now, the cap, and connections shut
 * down for the cap since start (answered or not). NULL: 0. */
long mg_conns_open(const mg_conns *c);
long mg_conns_cap(const mg_conns *c);
unsigned long long mg_conns_refused(const mg_conns *c);

#endif
