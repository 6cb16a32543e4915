/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Articles: the in-memory record and its stored, LZ4-compressed form.
 *
 * Stored form (architecture.md §5), kept in value slot MG_SLOT_RECORD (schema 1:
 * the Xapian document data):
 *   byte 0      format version: MG_RECORD_LZ4 (1), MG_RECORD_PLAIN (2) or
 *               MG_RECORD_LZ4_WHITE (3)
 *   varint      size of the raw (uncompressed) payload, 9..MG_MAX_RAW
 *   4 bytes     FNV-1a 32-bit checksum of the raw payload, big-endian
 *   rest        version 1: LZ4 block (LZ4_compress_default) of the raw payload;
 *               version 2: the raw payload itself (glass compresses its
 *               document data table with zlib on its own);
 *               version 3: the version-1 block XORed with a fixed keystream
 *               (docs/index-format.md), which deflate cannot shrink, so
 *               glass stored it in the document data uncompressed (written
 *               before records moved to a value slot; still read)
 * The raw payload is the fields in a fixed order, each a varint length
 * followed by the bytes: id, title, date, source, url, author, lang, body,
 * then a varint count of categories and each category the same way. Varints
 * are unsigned LEB128 in their shortest form, at most 32 bits.
 * Decoding checks every varint and length against the buffer, the LZ4 block
 * against the stated size and the payload against the checksum: a corrupt or
 * truncated record is an MG_ECORRUPT error, never a crash or a silently wrong
 * text. docs/index-format.md describes the format for other tools. */
#ifndef MG_RECORD_H
#define MG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MG_RECORD_LZ4 1                 /* payload as an LZ4 block */
#define MG_RECORD_PLAIN 2               /* payload stored as it is */
#define MG_RECORD_LZ4_WHITE 3           /* LZ4 block, whitened */
#define MG_RECORD_VERSION MG_RECORD_LZ4 /* what mg_record_encode() writes */

/* Caps on fields of one article (bytes); a reader rejects a record over them. */
#define MG_MAX_ID 512
#define MG_MAX_TITLE 4096
#define MG_MAX_FIELD 4096                      /* source, url, author, lang, date, each category */
#define MG_MAX_CATS 256                        /* number of categories */
#define MG_MAX_BODY (8u << 20)                 /* 8 MiB */
#define MG_MAX_RAW (MG_MAX_BODY + 1024 * 1024) /* whole raw payload */

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

/* Encode into a malloc'd buffer (*out, *out_len; caller frees). NULL string
 * fields and categories are stored as "". Returns 0 or a negative mg_code:
 * MG_ETOOBIG past MG_MAX_RAW, more than MG_MAX_CATS categories or a category
 * over MG_MAX_FIELD; MG_ENOMEM. On failure *out is NULL. */
int mg_record_encode(const mg_record *r, unsigned char **out, size_t *out_len, mg_err *err);

/* The same, in format version (MG_RECORD_LZ4, MG_RECORD_PLAIN or MG_RECORD_LZ4_WHITE; else
 * MG_EINVAL). mg_record_decode() reads both. */
int mg_record_encode_as(const mg_record *r, int version, unsigned char **out, size_t *out_len,
                        mg_err *err);

/* Decode a stored record into *r (which must be initialised: any previous
 * content is released first; on failure it is left released). Every string
 * is a fresh NUL-terminated copy owned by *r. Returns 0, -MG_ECORRUPT with a
 * message ("stored record: unknown version 7", "stored record: truncated
 * header", ...), or -MG_ENOMEM. */
int mg_record_decode(const void *data, size_t len, mg_record *r, mg_err *err);

/* 64-bit FNV-1a hashes, stable across runs and machines (they are stored in
 * the index). mg_record_hash: every field and category in order, each
 * preceded by its length, so ("ab","c") and ("a","bc") differ (skip
 * unchanged documents). mg_record_text_hash: title and body only, ASCII
 * letters lower-cased, each run of white space (ASCII or U+00A0) one space,
 * white space at the ends ignored: the collapse key for syndicated copies
 * that differ only in case or spacing. NULL fields count as "". */
uint64_t mg_record_hash(const mg_record *r);
uint64_t mg_record_text_hash(const mg_record *r);

/* Store a 64-bit value as 8 big-endian bytes, and back. */
void mg_u64_to_bytes(uint64_t v, unsigned char out[8]);
uint64_t mg_u64_from_bytes(const unsigned char in[8]);

#ifdef __cplusplus
}
#endif
#endif
