/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Xapian schema of a morgue index: term prefixes and value slots.
 *
 * Prefixes follow Omega's conventions (architecture.md §4) so xapian-delve and
 * quest work on a morgue index. Free-text words are indexed once, as their
 * stems (no prefix), with positions; title words are also indexed with the
 * S prefix (with positions) for title: searches. Boolean terms hold the folded
 * value (mg_fold_phrase) of the field. */
#ifndef MG_SCHEMA_H
#define MG_SCHEMA_H

#define MG_PFX_ID "Q"       /* unique id, exactly as in the input */
#define MG_PFX_TITLE "S"    /* title stems, positional */
#define MG_PFX_AUTHOR "A"   /* folded author */
#define MG_PFX_CATEGORY "K" /* folded category / topic, one term each */
#define MG_PFX_SOURCE "XS"  /* folded source */
#define MG_PFX_URL "U"      /* url (hashed when too long for a term) */
#define MG_PFX_DAY "D"      /* YYYYMMDD */
#define MG_PFX_MONTH "M"    /* YYYYMM */
#define MG_PFX_YEAR "Y"     /* YYYY */
#define MG_PFX_LANG "L"     /* language code of the article, when given */
#define MG_PFX_DUP "XD"     /* the near-duplicate key (slot 8) in hex (schema 4) */

/* Value slots. */
#define MG_SLOT_DATE 0     /* "YYYYMMDDhhmmss" (sorts as a string); absent: no value */
#define MG_SLOT_SOURCE 1   /* source as given (facets) */
#define MG_SLOT_COLLAPSE 2 /* 8-byte hash of the normalised text (collapse key) */
#define MG_SLOT_CATS 3     /* categories as given, joined by MG_CAT_SEP (facets) */
#define MG_SLOT_ID 4       /* the id again (deterministic tie-breaks) */
#define MG_SLOT_HASH 5     /* 8-byte hash of the whole record (skip unchanged) */
#define MG_SLOT_CARD                                                                               \
    6 /* the record without its body, plain (MG_RECORD_PLAIN): what a                              \
       * hit shows, read without decoding the whole record */
#define MG_SLOT_RECORD                                                                             \
    7 /* the whole record, LZ4 (MG_RECORD_LZ4). Glass never deflates value                         \
       * streams (it tries on every document data item), so the record                             \
       * lives here and the document data stays empty. Documents written                           \
       * by schema 1 have no slot 7: their record is the document data. */
#define MG_SLOT_NEARDUP                                                                            \
    8                   /* 8-byte near-duplicate key (mg_docbuild_dupkey(), schema 3): the         \
                         * collapse key when every document has one, else MG_SLOT_COLLAPSE */
#define MG_SLOT_ADDED 9 /* "YYYYMMDDhhmmss" UTC: the run that added or last changed it */

#define MG_CAT_SEP '\x1f'

/* Title words count this many times in the unprefixed terms' wdf, so title
 * matches weigh more than body matches in BM25. */
#define MG_TITLE_WDF 3

/* Positions of body words start this far after the last title word, so a
 * phrase never spans title and body. */
#define MG_BODY_POS_GAP 100

/* The schema this tree writes, stored under MG_META_VERSION at every
 * commit. Schema 1 had no MG_SLOT_RECORD, schema 2 no MG_SLOT_NEARDUP (see
 * above), schema 3 no MG_PFX_DUP term, schema 4 no MG_META_DUPKEY. */
#define MG_SCHEMA_VERSION "5"

/* The version of mg_docbuild_dupkey() a new index or a rebuild writes.
 * Keys of two versions differ for the same text, so an index keeps the
 * version it was built with (MG_META_DUPKEY) through its updates. */
#define MG_DUPKEY_VERSION 2

/* Database metadata keys. */
#define MG_META_LANG "morgue.lang"      /* stemming language of the index */
#define MG_META_VERSION "morgue.schema" /* schema version: MG_SCHEMA_VERSION */
#define MG_META_BUILT "morgue.updated"  /* ISO 8601 time of the last commit */
#define MG_META_ADDED "morgue.added"    /* MG_SLOT_ADDED of the last finished run */
#define MG_META_SHARD "morgue.shard"    /* "K/N": shard K of N built alone (--shard) */
/* "1" when every document has its MG_PFX_DUP term: set by a rebuild (or a
 * first index), kept by updates, which write the term too. An index
 * updated by schema 4 but not rebuilt has some documents without it. */
#define MG_META_DUPTERMS "morgue.dupterms"
/* The version of mg_docbuild_dupkey() of every key in slot 8 ("2"); an
 * index without it was built with version 1. */
#define MG_META_DUPKEY "morgue.dupkey"

/* The MG_PFX_DUP term of a near-duplicate key (the 8 bytes of slot 8):
 * the prefix and the bytes in hex, into out (MG_DUP_TERM_LEN + 1 bytes). */
#define MG_DUP_TERM_LEN (sizeof MG_PFX_DUP - 1 + 16)
static inline void mg_dup_term(const unsigned char key[8], char *out)
{
    static const char hex[] = "0123456789abcdef";
    const char *p = MG_PFX_DUP;
    while (*p)
        *out++ = *p++;
    for (int i = 0; i < 8; i++) {
        *out++ = hex[key[i] >> 4];
        *out++ = hex[key[i] & 15];
    }
    *out = '\0';
}

#endif
