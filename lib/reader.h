/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Readers: turn an input (JSON Lines, .jsonl.lz4, a tree of .txt files, or
 * stdin) into a stream of mg_record, one at a time, never loading a file
 * whole.
 *
 * Input kinds, chosen by mg_reader_open():
 *   "-"                 stdin, JSON Lines (LZ4 frame detected by its magic)
 *   *.jsonl, *.json, *.ndjson   JSON Lines
 *   *.lz4 (any name)    an LZ4 frame (as the lz4 tool writes) holding JSON Lines
 *   a directory         every *.txt below it (sorted, recursively): line 1
 *                       title, the rest body, id = path relative to the
 *                       directory; *.jsonl and *.jsonl.lz4 files found there
 *                       are read as JSON Lines too
 * JSON fields: id, title, body, date, source, url, author, category/topics
 * (string or array), lang; unknown fields are ignored. */
#ifndef MG_READER_H
#define MG_READER_H

#include <stddef.h>

#include "err.h"
#include "record.h"

typedef struct mg_reader mg_reader;

/* What mg_reader_next() returns. */
enum {
    MG_READ_END = 0,    /* no more records */
    MG_READ_RECORD = 1, /* *rec filled */
    MG_READ_SKIP = 2    /* a bad record was skipped; err->msg says
                           "FILE:LINE: reason"; call again to go on */
};

/* Where the last record came from, and any warning about it. */
typedef struct mg_read_info {
    const char *file;   /* borrowed: valid until the next call */
    unsigned long line; /* 1-based line (JSON Lines) or 0 (text files) */
    unsigned long long offset;   /* bytes of input consumed so far, this input */
    unsigned long long total;    /* input size in bytes if known (else 0) */
    char warning[256];  /* "" or e.g. "FILE:LINE: invalid UTF-8 repaired (2 bytes)" */
} mg_read_info;

/* Open an input. NULL on failure (MG_ENOTFOUND, MG_EIO, MG_EFORMAT for a bad
 * LZ4 header). Caller frees with mg_reader_free(). */
mg_reader *mg_reader_open(const char *path, mg_err *err);
void mg_reader_free(mg_reader *rd); /* NULL is a no-op */

/* Next record into *rec (released first, then filled; owned by the caller,
 * who releases it). Returns MG_READ_RECORD, MG_READ_SKIP or MG_READ_END, or a
 * negative mg_code on a fatal error (I/O, corrupt LZ4 stream: the rest of
 * this input cannot be read). Invalid UTF-8 is repaired to U+FFFD and
 * reported in info->warning, never a reason to skip. */
int mg_reader_next(mg_reader *rd, mg_record *rec, mg_read_info *info, mg_err *err);

/* Parse one JSON Lines record (len bytes, no newline) into *rec. Used by the
 * reader; exposed for tests and for other front ends. where is prefixed to
 * messages ("FILE:LINE"). Returns 0, or -MG_EFORMAT with
 * "WHERE: reason" in err. warning as in mg_read_info (may be NULL). */
int mg_record_from_json(const char *line, size_t len, const char *where, mg_record *rec,
                        char *warning, size_t warning_cap, mg_err *err);

/* Normalise a date: ISO 8601 date or date-time (with or without zone; zones
 * are converted to UTC), RFC 2822 ("Thu, 26 Feb 1987 15:01:01 +0000"), and
 * "26-FEB-1987 15:01:01.79". Writes "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ss"
 * into out. Returns 0, or -MG_EFORMAT if s is not a date it understands. */
int mg_date_normalise(const char *s, char out[20], mg_err *err);

#endif
