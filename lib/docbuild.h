/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Turn an article (mg_record) into the Xapian document of the morgue schema.
 *
 * The document (architecture.md §4, schema.h):
 *   - every title and body word once, as its stem, unprefixed, with positions:
 *     title words from position 1 with wdf MG_TITLE_WDF per occurrence, body
 *     words from (last title position + MG_BODY_POS_GAP), or from 1 when the
 *     title has no words, with wdf 1;
 *   - title stems again with the S prefix (positions as above, wdf 1);
 *   - boolean terms: Q<id>, A<author>, K<category> (each), XS<source> (values
 *     folded by mg_fold_phrase, see mg_field_term()), U<url> (mg_url_term()),
 *     D<YYYYMMDD>, M<YYYYMM>, Y<YYYY> from the date, L<lang>;
 *   - values: MG_SLOT_DATE "YYYYMMDDhhmmss", MG_SLOT_SOURCE, MG_SLOT_COLLAPSE
 *     (8-byte text hash), MG_SLOT_NEARDUP (8-byte mg_docbuild_dupkey()), MG_SLOT_CATS (joined by
 * MG_CAT_SEP), MG_SLOT_ID, MG_SLOT_HASH (8-byte record hash), MG_SLOT_CARD (the record without its
 * body, plain), MG_SLOT_RECORD (mg_record_encode() of the record);
 *   - no document data (schema 2: glass would try to deflate it).
 *
 * An mg_docbuild owns an analyser and scratch buffers: it is NOT thread-safe;
 * use one per thread. */
#ifndef MG_DOCBUILD_H
#define MG_DOCBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "record.h"
#include "xapian_shim.h"

/* Longest id accepted: "Q" + id must fit Xapian's term limit. */
#define MG_ID_TERM_MAX (MG_XDB_MAX_TERM - 1)

typedef struct mg_docbuild mg_docbuild;

/* A builder stemming for lang (as mg_analyzer_new(): NULL on an unknown
 * language, MG_EINVAL with the list of valid names). Caller frees with
 * mg_docbuild_free(). */
mg_docbuild *mg_docbuild_new(const char *lang, mg_err *err);
void mg_docbuild_free(mg_docbuild *b); /* NULL is a no-op */

/* Clear doc and fill it from r. On success writes the unique term ("Q" + id,
 * NUL-terminated) into uid (cap >= MG_XDB_MAX_TERM + 1 is always enough) and
 * the record hash (the MG_SLOT_HASH value) into *hash (may be NULL). Returns
 * 0, or a negative mg_code: -MG_ETOOBIG 'field "id" too long (N bytes,
 * cap 244)' (the readers' wording for fields over a cap) / -MG_EFORMAT
 * "empty id" for an id that cannot be a unique term
 * (callers report these as bad records), or the shim's/analyser's error. The
 * doc is left in an unspecified state on failure. */
int mg_docbuild_build(mg_docbuild *b, const mg_record *r, mg_xdoc *doc, char *uid, size_t cap,
                      uint64_t *hash, mg_err *err);

/* Check that an id can be a unique term; 0 or a negative code with the
 * message mg_docbuild_build() would give, without any location prefix. */
int mg_docbuild_check_id(const char *id, mg_err *err);

/* The near-duplicate key of an article (MG_SLOT_NEARDUP): equal for wire
 * copies that differ in case, spacing, punctuation, a trailing "REUTER" /
 * "Reuter" signature or a few words. Words are the runs of ASCII letters and
 * digits and of non-ASCII bytes, ASCII folded to small letters; a last body
 * word "reuter" or "reuters" is dropped. The key mixes three 64-bit hashes:
 *   - the title's words (the title must match, after that folding);
 *   - the body's words holding a digit, in order (copies keep their numbers;
 *     weekly reports under one title differ in them);
 *   - a MinHash of the body: the least of each of two 64-bit hashes of its
 *     words, both equal for two bodies with a probability of the square of
 *     the Jaccard similarity of their sets of words (0.96 for 100 distinct
 *     words and one changed; 0.01 for a similarity of 0.1); for an
 *     article without title words, a hash of every body word in order
 *     instead (a lone MinHash would tie unrelated texts through a common
 *     word of small hash), so only case, spacing, punctuation and the
 *     signature may differ.
 * From version 2 the key of a dated article without body words (a headline
 * alone) holds its day, the first 10 bytes of date (NULL or "": undated):
 * the same headline on another day is another report ("FED SETS TWO
 * BILLION DLR CUSTOMER REPURCHASE"). Byte-identical texts always get one
 * key, but for headlines of different days.
 * NULL counts as "". version: 1 or 2 (MG_DUPKEY_VERSION). The key is stored:
 * changing this function needs a new version (MG_META_DUPKEY). */
uint64_t mg_docbuild_dupkey(const char *title, const char *body, const char *date, int version);

/* The version of mg_docbuild_dupkey() b writes (default MG_DUPKEY_VERSION):
 * an update writes that of the index it changes. */
void mg_docbuild_set_dupkey(mg_docbuild *b, int version);

/* The boolean term for a field value as the indexer writes it: prefix +
 * mg_fold_phrase(value), cut at a character boundary to fit MG_XDB_MAX_TERM.
 * The query engine builds filter terms with this so both sides agree. Writes
 * a NUL-terminated term into out (cap >= MG_XDB_MAX_TERM + 1 is always
 * enough); returns its length, 0 when the folded value is empty (no term), or
 * a negative mg_code. */
long mg_field_term(const char *prefix, const char *value, char *out, size_t cap, mg_err *err);

/* The U term of a url: "U" + url when that fits MG_XDB_MAX_TERM, else "U" +
 * the url cut at a character boundary + "#" + 16 hex digits of its 64-bit
 * hash (still unique, still sorts by site). Returns the length (0 for an
 * empty url) or a negative mg_code when cap is too small. */
long mg_url_term(const char *url, char *out, size_t cap, mg_err *err);

#endif
