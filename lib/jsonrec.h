/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One JSON Lines record to an mg_record (lib/jsonrec.c): a fast parser for
 * flat objects, and jansson for everything else. The readers (reader.h)
 * call it for every line; docs/input-formats.md lists its messages. */
#ifndef MG_JSONREC_H
#define MG_JSONREC_H

#include <stddef.h>

#include "err.h"
#include "record.h"

/* Parse one JSON Lines record (len bytes, no newline) into *rec (released
 * first; left released on failure). Used by the reader; exposed for tests and
 * for other front ends. where is prefixed to messages ("FILE:LINE"; NULL
 * means "-"). Invalid UTF-8 is repaired to U+FFFD before parsing and NUL
 * characters ("\u0000") are removed, each noted in warning (warning_cap
 * bytes, "" when clean; may be NULL). Strings are trimmed of white space; an
 * absent id is derived ("url-<16 hex>" from the url, else "sha-<16 hex>" from
 * title and body: FNV-1a 64). Returns 0, -MG_ENOMEM, or -MG_EFORMAT with
 * "WHERE: reason" in err (reasons: docs/input-formats.md). */
int mg_record_from_json(const char *line, size_t len, const char *where, mg_record *rec,
                        char *warning, size_t warning_cap, mg_err *err);

/* The same, always through jansson: the reference that mg_record_from_json's
 * fast parser for flat objects must agree with (tests compare the two). */
int mg_record_from_json_jansson(const char *line, size_t len, const char *where, mg_record *rec,
                                char *warning, size_t warning_cap, mg_err *err);

#endif
