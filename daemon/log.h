/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgued's log: one line per event on stderr, with a UTC time stamp, the
 * process id and a level; as text, or with mg_dlog_set_json() one JSON
 * object per line. Safe to call from any thread: each line is formatted
 * into a local buffer and written with a single write(2). */
#ifndef MG_DAEMON_LOG_H
#define MG_DAEMON_LOG_H

#include "loglevel.h" /* MG_LOG_DEBUG .. MG_LOG_ERROR */

/* Lines below level are dropped (default MG_LOG_INFO). */
void mg_dlog_set_level(int level);

/* Parse "debug", "info", "warn" or "error"; -1 when unknown. */
int mg_dlog_parse_level(const char *name);

#include <stdbool.h>
#include <stddef.h>

/* true: each line is a JSON object {"time","level","pid","event":"message",
 * "message"} (mg_dlog) or a request's fields (mg_dlog_request); false (the
 * default): text. */
void mg_dlog_set_json(bool json);

/* Log one line (no trailing newline in fmt). Lines longer than about 2 KiB
 * are cut, never split. */
void mg_dlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One request, for the query log (event "query") and the slow-query log
 * (event "slow_query"). Strings are borrowed for the call. */
typedef struct mg_dlog_req {
    const char *event;
    const char *client; /* who sent it, e.g. "tcp:127.0.0.1:5321" or "ipc:00a1b2c3d4" */
    const char *op;     /* NULL: not known (the request was refused before) */
    unsigned long long took_us;
    unsigned long long wait_us; /* received -> handling started (queued, parked) */
    long long hits;             /* search hits in the reply, -1: none */
    const char *code;           /* error code, NULL when ok */
    const char *request;        /* the request's bytes (at most about 400 logged) */
    size_t request_len;
} mg_dlog_req;

void mg_dlog_request(int level, const mg_dlog_req *r);

#endif
