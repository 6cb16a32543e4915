/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Articles: the in-memory record and its stored, LZ4-compressed form.
 *
 * Stored form (DESIGN.md §5), kept in the Xapian document data:
 *   byte 0      version (MG_RECORD_VERSION)
 *   varint      size of the raw (uncompressed) payload
 *   rest        LZ4 block of the raw payload
 * The raw payload is the fields in a fixed order, each a varint length
 * followed by the bytes: id, title, date, source, url, author, lang, body,
 * then a varint count of categories and each category the same way.
 * Decoding checks every length against the buffer: a corrupt or truncated
 * record is an MG_ECORRUPT error, never a crash. */
#ifndef MG_RECORD_H
#define MG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define MG_RECORD_VERSION 1

/* Caps on fields of one article (bytes); a reader rejects a record over them. */
#define MG_MAX_ID      512
#define MG_MAX_TITLE   4096
#define MG_MAX_FIELD   4096      /* source, url, author, lang, date, each category */
#define MG_MAX_CATS    256       /* number of categories */
#define MG_MAX_BODY    (8u << 20) /* 8 MiB */
#define MG_MAX_RAW     (MG_MAX_BODY + 1024 * 1024) /* whole raw payload */

/* An article. All strings are NUL-terminated UTF-8, owned by the record and
 * never NULL once filled (absent fields are ""). date is normalised ISO 8601:
 * "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ss" (UTC), or "" when unknown. */
typedef struct mg_record {
    char *id, *title, *date, *source, *url, *author, *lang, *body;
    char **categories;
    size_t ncategories;
} mg_record;

/* Zero a record for filling. */
void mg_record_init(mg_record *r);

/* Free everything the record owns and zero it. Safe on a zeroed record. */
void mg_record_release(mg_record *r);

/* Encode into a malloc'd buffer (*out, *out_len; caller frees). Returns 0 or
 * a negative mg_code (MG_ETOOBIG past MG_MAX_RAW). */
int mg_record_encode(const mg_record *r, unsigned char **out, size_t *out_len, mg_err *err);

/* Decode a stored record into *r (which must be zeroed or released; on
 * failure it is left released). Returns 0 or -MG_ECORRUPT with a message. */
int mg_record_decode(const void *data, size_t len, mg_record *r, mg_err *err);

/* 64-bit FNV-1a hashes: of the whole record (skip unchanged documents) and of
 * the normalised text (title+body, case and white space folded: the collapse
 * key for syndicated duplicates). */
uint64_t mg_record_hash(const mg_record *r);
uint64_t mg_record_text_hash(const mg_record *r);

/* Store a 64-bit value as 8 big-endian bytes, and back. */
void mg_u64_to_bytes(uint64_t v, unsigned char out[8]);
uint64_t mg_u64_from_bytes(const unsigned char in[8]);

#endif
