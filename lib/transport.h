/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What morgued and its clients agree on about a connection: the default
 * endpoints, which endpoints are well formed, and which files hold a
 * secret CURVE key. Compiled into libmorgue (for morgued) and into
 * libmorgue-client, whose public names for it (mg_client_default_ipc,
 * mg_client_check_endpoint, mg_client_check_secret_key) call these: so it
 * is under the client library's licence and needs only libc and libzmq.
 * Internal: not installed. */
#ifndef MG_TRANSPORT_H
#define MG_TRANSPORT_H

#include <stddef.h>

/* The loopback endpoint morgued binds, and clients try, by default (with
 * the ipc one of mg_transport_default_ipc()). morgue_client.h spells it
 * MG_CLIENT_DEFAULT_TCP. */
#define MG_TRANSPORT_DEFAULT_TCP "tcp://127.0.0.1:5555"

/* The default ipc endpoint into out (outsz bytes, cut to fit):
 * ipc://$XDG_RUNTIME_DIR/morgued.sock when that is an absolute path to a
 * directory, else ipc:///tmp/morgued-UID.sock. */
void mg_transport_default_ipc(char *out, size_t outsz);

/* mg_transport_check_endpoint()'s flag for an endpoint to bind (morgued's
 * --bind): "*" allowed for the host (every interface) and the port (any
 * free one). */
#define MG_TRANSPORT_EP_BIND 1

/* Whether ep[0..len) is an endpoint morgue can use: "ipc://PATH" (a path
 * that fits a unix socket address) or "tcp://HOST:PORT", HOST a name, an
 * IPv4 address or a bracketed IPv6 address, PORT a number 1..65535; no
 * control characters or spaces. A tcp source address
 * ("tcp://SOURCE;HOST:PORT", libzmq's form) is checked like HOST, its
 * ":PORT" optional. 0, or -1 with what is wrong in msg (msgsz bytes, cut
 * to fit; the endpoint quoted in it with control bytes as '?'). */
int mg_transport_check_endpoint(const char *ep, size_t len, int flags, char *msg, size_t msgsz);

/* Whether secret (40 Z85 characters), read from file_or_key, may serve as
 * a secret key: not when file_or_key is a file that is a public key
 * ("*.pub" without the mark of morgue keygen's .key files), nor when the
 * file's mark names a public key that secret does not give. A key given
 * inline (not a file) passes. 0, or -1 with why in msg (msgsz bytes). */
int mg_transport_check_secret_key(const char *file_or_key, const char *secret, char *msg,
                                  size_t msgsz);

#endif
