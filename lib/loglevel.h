/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The levels of log messages: what the library passes to its log callbacks
 * (mg_index_opts.log) and what morgued's log filters on, one scale for both. */
#ifndef MG_LOGLEVEL_H
#define MG_LOGLEVEL_H

enum mg_log_level { MG_LOG_DEBUG = 0, MG_LOG_INFO = 1, MG_LOG_WARN = 2, MG_LOG_ERROR = 3 };

#endif
