/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgued's log: one line per event on stderr, with a UTC time stamp, the
 * process id and a level. Safe to call from any thread: each line is
 * formatted into a local buffer and written with a single write(2). */
#ifndef MG_DAEMON_LOG_H
#define MG_DAEMON_LOG_H

#include "loglevel.h" /* MG_LOG_DEBUG .. MG_LOG_ERROR */

/* Lines below level are dropped (default MG_LOG_INFO). */
void mg_dlog_set_level(int level);

/* Parse "debug", "info", "warn" or "error"; -1 when unknown. */
int mg_dlog_parse_level(const char *name);

/* Log one line (no trailing newline in fmt). Lines longer than about 2 KiB
 * are cut, never split. */
void mg_dlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
