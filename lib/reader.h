/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Readers: turn an input (JSON Lines, .jsonl.lz4, a tree of .txt files, or
 * stdin) into a stream of mg_record, one at a time, never loading a file
 * whole. docs/input-formats.md is the user-facing description, with every
 * message.
 *
 * Input kinds, chosen by mg_reader_open():
 *   "-"                 stdin, JSON Lines; an LZ4 frame is recognised by its
 *                       magic number. Messages call it "<stdin>".
 *   a directory         every *.txt below it, recursively, in bytewise order
 *                       of the path relative to the directory: line 1 is the
 *                       title, the rest the body (both trimmed), id = that
 *                       relative path; *.jsonl and *.jsonl.lz4 files found
 *                       there are read as JSON Lines, in the same order.
 *                       Other files are ignored; symbolic links are followed,
 *                       but a directory is never walked twice (no loops).
 *   a file named *.txt  one text article, id = its base name
 *   any other file      JSON Lines, plain or an LZ4 frame (by magic, whatever
 *                       the name: .jsonl, .json, .ndjson, .lz4 ...)
 * JSON Lines: one object per line; CRLF, blank lines, a UTF-8 BOM at the
 * start and a last line without a newline are all fine, as long as that last
 * line is whole JSON: one that is not (or is over MG_MAX_LINE) is where the
 * input was cut, a fatal MG_ECORRUPT, not a skipped record. A line longer
 * than MG_MAX_LINE is skipped without being held in memory.
 * JSON fields: id, title, body, date, source, url, author, category/topics
 * (string or array), lang; unknown fields are ignored; null is absent.
 *
 * A reader is used by one thread at a time. */
#ifndef MG_READER_H
#define MG_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "record.h"

/* The longest JSON Lines line read (bytes, without the newline); a longer
 * line is a skipped record. A .txt article over MG_MAX_BODY bytes is too. */
#define MG_MAX_LINE ((size_t)MG_MAX_RAW + 64 * 1024)

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
    const char *file;          /* borrowed: valid until the next call or mg_reader_free
                                  ("" at MG_READ_END) */
    unsigned long line;        /* 1-based line (JSON Lines) or 0 (text files) */
    unsigned long long offset; /* bytes of this input consumed so far (for an
                                  LZ4 file: compressed bytes; for a tree: all
                                  files before this one plus this one's) */
    unsigned long long total;  /* file size, or the sum of the tree's input
                                  files; 0 for stdin. offset == total at the end */
    char warning[256];         /* "" or "FILE:LINE: invalid UTF-8 repaired (2 bytes)",
                                  "FILE:LINE: NUL characters removed (1)", or both
                                  joined with "; " */
} mg_read_info;

/* Open an input. NULL on failure (MG_ENOTFOUND, MG_EIO, MG_EFORMAT for a bad
 * LZ4 header, MG_ENOMEM). A directory is listed here (its files are opened one
 * by one later); "-" reads the first bytes of stdin here, to sniff the LZ4
 * magic, and may block. Caller frees with mg_reader_free(). */
mg_reader *mg_reader_open(const char *path, mg_err *err);
void mg_reader_free(mg_reader *rd); /* NULL is a no-op */

/* An LZ4 input is checked whole before its first record is returned: an LZ4
 * regular file (alone, in a tree, or as stdin) is decompressed once at open
 * and every checksum checked, so a damaged one fails there (MG_ECORRUPT,
 * the messages of mg_reader_next), before any of its records. An LZ4 stream
 * that cannot be read twice (a pipe on stdin, a FIFO) cannot be: its
 * damage shows only where it is met, possibly after records read from
 * damaged data (a frame with a content checksum and no block checksums,
 * the lz4 tool's default, is checked only at its end). This tells whether
 * the input just opened is such a stream: a caller that writes records
 * should then keep them uncommitted until mg_reader_next returns
 * MG_READ_END. */
bool mg_reader_unverified(const mg_reader *rd);

/* Next record into *rec (released first, then filled; owned by the caller,
 * who releases it; rec must be initialised). Returns MG_READ_RECORD,
 * MG_READ_SKIP (err->msg is "FILE:LINE: reason" for JSON Lines, "FILE: reason"
 * for a text file; *rec is left released) or MG_READ_END, or a negative mg_code on
 * a fatal error: MG_EIO, MG_ENOMEM, or MG_ECORRUPT for a corrupt or truncated
 * LZ4 stream ("FILE: corrupt LZ4 frame near byte N: ...") or a JSON Lines
 * input cut inside its last record ("FILE:LINE: the input ends inside a
 * record ..."). After a fatal
 * error the rest of this input cannot be read: only mg_reader_free() it. In a
 * tree, a fatal error in one file ends the whole tree. Invalid UTF-8 is
 * repaired to U+FFFD and reported in info->warning, never a reason to skip.
 * info may be NULL. */
int mg_reader_next(mg_reader *rd, mg_record *rec, mg_read_info *info, mg_err *err);

#endif
