/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bytes of replies queued for each client connection and not yet
 * written to its socket: ZeroMQ's high-water mark counts messages, so a
 * client that never reads could otherwise pin hundreds of replies of up to
 * MG_PROTO_MAX_REPLY bytes each. Private to daemon/. Thread-safe. */
#ifndef MG_DAEMON_OUTQ_H
#define MG_DAEMON_OUTQ_H

#include <stddef.h>

#include <zmq.h>

typedef struct mg_outq mg_outq;

/* A new, empty account; cap: the bytes one client may have queued (a reply
 * to a client with nothing queued always goes, whatever its size). NULL when
 * out of memory. Free with mg_outq_free() once no message made by
 * mg_outq_msg() is alive (after zmq_ctx_term()). */
mg_outq *mg_outq_new(size_t cap);
void mg_outq_free(mg_outq *q); /* NULL is a no-op */

/* Make msg a message holding a copy of data[0..len) (len > 0) for the
 * client whose routing id is id[0..idlen) on client socket fe, and count
 * its bytes until libzmq releases it (written out, or dropped with its
 * connection). 1: done; 0: that client already has bytes queued and these
 * would pass the cap (nothing made: drop the reply); -1: out of memory. */
int mg_outq_msg(mg_outq *q, int fe, const void *id, size_t idlen, const void *data, size_t len,
                zmq_msg_t *msg);

/* Bytes queued for all clients together. */
size_t mg_outq_bytes(mg_outq *q);

#endif
