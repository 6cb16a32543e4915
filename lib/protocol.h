/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The wire protocol (docs/protocol.md): JSON requests in, JSON replies out,
 * version "v":1. The daemon wraps this in ZeroMQ; the offline CLI calls it
 * in-process, so both print identical results.
 *
 * Request:  {"v":1,"op":"search"|"get"|"stats"|"ping", ...}
 * Reply:    {"v":1,"ok":true,"took_us":N, ...}
 * Failure:  {"v":1,"ok":false,"took_us":N,"error":{"code":"...","message":"..."}} */
#ifndef MG_PROTOCOL_H
#define MG_PROTOCOL_H

#include <stddef.h>

#include <jansson.h>

#include "search.h"

#define MG_PROTO_VERSION 1
#define MG_PROTO_MAX_DEPTH 16 /* deeper JSON is refused */

/* Handle one request given as raw bytes (any bytes at all: invalid UTF-8,
 * not JSON, wrong types -> an error reply). Always returns a reply object
 * (caller decrefs), never NULL except when out of memory. s may be NULL
 * (no index open): search/get/stats then fail with code "unavailable".
 * took_us is filled in. */
json_t *mg_proto_handle(mg_searcher *s, const char *req, size_t len);

/* Build an error reply {"v":1,"ok":false,"error":{...}}. code is a stable
 * string (docs/protocol.md lists them). */
json_t *mg_proto_error(const char *code, const char *message);

/* Serialise a reply compactly into a malloc'd NUL-terminated string (caller
 * frees). NULL when out of memory. */
char *mg_proto_dump(const json_t *reply, size_t *len);

#endif
