/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Build the Xapian document of one article (the schema is in schema.h). */
#include "docbuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyzer.h"
#include "hash.h"
#include "schema.h"
#include "utf8.h"

struct mg_docbuild {
    mg_analyzer *an;
    char term[MG_XDB_MAX_TERM + 1]; /* a prefixed term being made */
    char *cats;                     /* categories joined by MG_CAT_SEP */
    size_t cats_cap;
    int dupkey; /* the version of mg_docbuild_dupkey() */
};

mg_docbuild *mg_docbuild_new(const char *lang, mg_err *err)
{
    mg_docbuild *b = calloc(1, sizeof *b);
    if (!b) {
        mg_err_set(err, MG_ENOMEM, "document builder: out of memory");
        return NULL;
    }
    b->an = mg_analyzer_new(lang, err);
    if (!b->an) {
        free(b);
        return NULL;
    }
    b->dupkey = MG_DUPKEY_VERSION;
    return b;
}

void mg_docbuild_set_dupkey(mg_docbuild *b, int version)
{
    b->dupkey = version;
}

void mg_docbuild_free(mg_docbuild *b)
{
    if (!b)
        return;
    mg_analyzer_free(b->an);
    free(b->cats);
    free(b);
}

int mg_docbuild_check_id(const char *id, mg_err *err)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0)
        return mg_err_set(err, MG_EFORMAT, "empty id");
    if (n > MG_ID_TERM_MAX)
        return mg_err_set(err, MG_ETOOBIG, "field \"id\" too long (%zu bytes, cap %d)", n,
                          MG_ID_TERM_MAX);
    return 0;
}

long mg_field_term(const char *prefix, const char *value, char *out, size_t cap, mg_err *err)
{
    size_t plen = strlen(prefix);
    /* Fold into a buffer a little larger than a term, so the cut below falls on
     * a character boundary of complete folded text. */
    char folded[2 * MG_XDB_MAX_TERM];
    long n = mg_fold_phrase(value, strlen(value), folded, sizeof folded, err);
    if (n < 0)
        return n;
    if ((size_t)n >= sizeof folded)
        n = (long)strlen(folded);
    if (n == 0)
        return 0;
    size_t room = MG_XDB_MAX_TERM - plen;
    if (room > cap - 1 - plen)
        room = cap - 1 - plen;
    size_t keep = mg_utf8_clip(folded, (size_t)n, room);
    if (cap < plen + keep + 1)
        return mg_err_set(err, MG_EINVAL, "field term: buffer too small");
    memcpy(out, prefix, plen);
    memcpy(out + plen, folded, keep);
    out[plen + keep] = '\0';
    return (long)(plen + keep);
}

long mg_url_term(const char *url, char *out, size_t cap, mg_err *err)
{
    size_t n = strlen(url);
    if (n == 0)
        return 0;
    if (cap < MG_XDB_MAX_TERM + 1)
        return mg_err_set(err, MG_EINVAL, "url term: buffer too small");
    const size_t plen = sizeof MG_PFX_URL - 1;
    memcpy(out, MG_PFX_URL, plen);
    if (plen + n <= MG_XDB_MAX_TERM) {
        memcpy(out + plen, url, n + 1);
        return (long)(plen + n);
    }
    /* "#" and 16 hex digits after the cut keep the term unique. A url with
     * invalid UTF-8 was repaired by the reader, so clipping is safe. */
    size_t keep = mg_utf8_clip(url, n, MG_XDB_MAX_TERM - plen - 17);
    memcpy(out + plen, url, keep);
    snprintf(out + plen + keep, cap - plen - keep, "#%016llx",
             (unsigned long long)mg_fnv1a64(MG_FNV64_OFFSET, url, n));
    return (long)(plen + keep + 17);
}

/* splitmix64's finaliser: the bits of a word hash well spread, so that the
 * least one is a fair sample of the words. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 31)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int dup_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* The next word of s[*at, end): its start and length; 0 at the end. */
static size_t dup_next_word(const char *s, size_t *at, size_t end, const char **w)
{
    size_t i = *at;
    while (i < end && !dup_word_byte((unsigned char)s[i]))
        i++;
    size_t j = i;
    while (j < end && dup_word_byte((unsigned char)s[j]))
        j++;
    *w = s + i;
    *at = j;
    return j - i;
}

static uint64_t dup_word_hash(const char *w, size_t n, int *has_digit)
{
    uint64_t h = MG_FNV64_OFFSET; /* FNV-1a 64 of the lower-cased word */
    *has_digit = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        *has_digit |= c >= '0' && c <= '9';
        h = (h ^ c) * MG_FNV64_PRIME;
    }
    return h;
}

/* Where the body ends once a trailing wire signature is dropped. */
static size_t dup_body_end(const char *s, size_t n)
{
    size_t e = n;
    while (e > 0 && !dup_word_byte((unsigned char)s[e - 1]))
        e--;
    size_t b = e;
    while (b > 0 && dup_word_byte((unsigned char)s[b - 1]))
        b--;
    if ((e - b == 6 && strncasecmp(s + b, "reuter", 6) == 0) ||
        (e - b == 7 && strncasecmp(s + b, "reuters", 7) == 0))
        return b;
    return n;
}

uint64_t mg_docbuild_dupkey(const char *title, const char *body, const char *date, int version)
{
    if (!title)
        title = "";
    if (!body)
        body = "";
    int v2 = version >= 2;
    const char *w;
    size_t at = 0, n, len = strlen(title);
    int digit;
    uint64_t th = 1, nh = 2, minh = UINT64_MAX, minh2 = UINT64_MAX, whole = 3;
    size_t ntitle = 0, nbody = 0;
    while ((n = dup_next_word(title, &at, len, &w)) > 0) {
        th = mix64(th ^ dup_word_hash(w, n, &digit));
        ntitle++;
    }
    len = dup_body_end(body, strlen(body));
    at = 0;
    while ((n = dup_next_word(body, &at, len, &w)) > 0) {
        uint64_t h = dup_word_hash(w, n, &digit);
        nbody++;
        if (digit)
            nh = mix64(nh ^ h);
        whole = mix64(whole ^ h);
        uint64_t h1 = mix64(h), h2 = mix64(h ^ 0x5bd1e9955bd1e995ull);
        if (h1 < minh)
            minh = h1;
        if (h2 < minh2)
            minh2 = h2;
    }
    /* Without a title to agree on, the least word hash would tie unrelated
     * texts that share a word whose hash is small: every word counts. */
    if (ntitle == 0)
        minh = minh2 = whole;
    /* A headline without a body, sent on another day, is another report. */
    if (v2 && date && *date && nbody == 0)
        th = mix64(th ^ mg_fnv1a64(MG_FNV64_OFFSET, date, strnlen(date, 10)));
    return mix64(th ^ mix64(nh ^ mix64(minh ^ mix64(minh2))));
}

/* Per-call state of the token callback. */
typedef struct tokctx {
    mg_docbuild *b;
    mg_xdoc *doc;
    int title; /* also write S terms, with the title weight */
    unsigned last_pos;
    mg_err *err;
    int rc;
} tokctx;

static int on_token(void *vctx, const mg_token *tok)
{
    tokctx *c = vctx;
    int rc = mg_xdoc_add_posting(c->doc, tok->term, tok->term_len, tok->pos,
                                 c->title ? MG_TITLE_WDF : 1, c->err);
    if (rc == 0 && c->title) {
        char *t = c->b->term;
        const size_t plen = sizeof MG_PFX_TITLE - 1;
        size_t n = tok->term_len;
        if (n > MG_XDB_MAX_TERM - plen) /* MG_TERM_MAX keeps this from happening */
            n = mg_utf8_clip(tok->term, n, MG_XDB_MAX_TERM - plen);
        memcpy(t, MG_PFX_TITLE, plen);
        memcpy(t + plen, tok->term, n);
        rc = mg_xdoc_add_posting(c->doc, t, plen + n, tok->pos, 1, c->err);
    }
    c->last_pos = tok->pos;
    if (rc) {
        c->rc = rc;
        return 1;
    }
    return 0;
}

static int analyze_text(mg_docbuild *b, mg_xdoc *doc, const char *text, unsigned base, int title,
                        unsigned *last_pos, long *ntok, mg_err *err)
{
    tokctx c = {b, doc, title, 0, err, 0};
    long n = mg_analyze(b->an, text, strlen(text), base, 0, on_token, &c, err);
    if (c.rc)
        return c.rc;
    if (n < 0)
        return (int)n;
    *ntok = n;
    *last_pos = c.last_pos;
    return 0;
}

/* Empty values are simply not set: the document was cleared. */
static int set_value(mg_xdoc *doc, unsigned slot, const void *val, size_t len, mg_err *err)
{
    return len ? mg_xdoc_set_value(doc, slot, val, len, err) : 0;
}

static int add_field(mg_docbuild *b, mg_xdoc *doc, const char *prefix, const char *value,
                     mg_err *err)
{
    if (!value || !*value)
        return 0;
    long n = mg_field_term(prefix, value, b->term, sizeof b->term, err);
    if (n <= 0)
        return (int)n;
    return mg_xdoc_add_boolean(doc, b->term, (size_t)n, err);
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* The boolean term prefix + v[0, n) (a short prefix, n <= 8). */
static int add_prefixed(mg_xdoc *doc, const char *prefix, const char *v, size_t n, mg_err *err)
{
    char t[16];
    size_t plen = strlen(prefix);
    memcpy(t, prefix, plen);
    memcpy(t + plen, v, n);
    return mg_xdoc_add_boolean(doc, t, plen + n, err);
}

/* Date terms and the sortable value, from "YYYY-MM-DD[Thh:mm:ss]". A date in
 * another shape (the readers normalise, so only a bug) adds nothing. */
static int add_date(mg_xdoc *doc, const char *date, mg_err *err)
{
    size_t n = strlen(date);
    if (n < 10 || date[4] != '-' || date[7] != '-' || !all_digits(date, 4) ||
        !all_digits(date + 5, 2) || !all_digits(date + 8, 2))
        return 0;
    char v[15];
    memcpy(v, date, 4);
    memcpy(v + 4, date + 5, 2);
    memcpy(v + 6, date + 8, 2);
    memcpy(v + 8, "000000", 7);
    if (n >= 19 && date[10] == 'T' && date[13] == ':' && date[16] == ':' &&
        all_digits(date + 11, 2) && all_digits(date + 14, 2) && all_digits(date + 17, 2)) {
        memcpy(v + 8, date + 11, 2);
        memcpy(v + 10, date + 14, 2);
        memcpy(v + 12, date + 17, 2);
    }
    int rc;
    if ((rc = add_prefixed(doc, MG_PFX_DAY, v, 8, err)) ||
        (rc = add_prefixed(doc, MG_PFX_MONTH, v, 6, err)) ||
        (rc = add_prefixed(doc, MG_PFX_YEAR, v, 4, err)))
        return rc;
    return set_value(doc, MG_SLOT_DATE, v, 14, err);
}

static int set_categories(mg_docbuild *b, mg_xdoc *doc, const mg_record *r, mg_err *err)
{
    size_t need = 1;
    for (size_t i = 0; i < r->ncategories; i++)
        need += strlen(r->categories[i]) + 1;
    if (need > b->cats_cap) {
        char *p = realloc(b->cats, need);
        if (!p)
            return mg_err_set(err, MG_ENOMEM, "categories: out of memory");
        b->cats = p;
        b->cats_cap = need;
    }
    size_t len = 0;
    for (size_t i = 0; i < r->ncategories; i++) {
        int rc = add_field(b, doc, MG_PFX_CATEGORY, r->categories[i], err);
        if (rc)
            return rc;
        size_t n = strlen(r->categories[i]);
        if (i)
            b->cats[len++] = MG_CAT_SEP;
        memcpy(b->cats + len, r->categories[i], n);
        len += n;
    }
    return set_value(doc, MG_SLOT_CATS, b->cats, len, err);
}

int mg_docbuild_build(mg_docbuild *b, const mg_record *r, mg_xdoc *doc, char *uid, size_t cap,
                      uint64_t *hash, mg_err *err)
{
    int rc = mg_docbuild_check_id(r->id, err);
    if (rc)
        return rc;
    size_t idlen = strlen(r->id);
    if (cap < idlen + 2)
        return mg_err_set(err, MG_EINVAL, "document builder: uid buffer too small");
    mg_xdoc_clear(doc);

    unsigned last = 0;
    long ntitle = 0, nbody = 0;
    if ((rc = analyze_text(b, doc, r->title, 1, 1, &last, &ntitle, err)))
        return rc;
    unsigned body_base = ntitle > 0 ? last + MG_BODY_POS_GAP : 1;
    if ((rc = analyze_text(b, doc, r->body, body_base, 0, &last, &nbody, err)))
        return rc;

    memcpy(uid, MG_PFX_ID, sizeof MG_PFX_ID - 1);
    memcpy(uid + sizeof MG_PFX_ID - 1, r->id, idlen + 1);
    if ((rc = mg_xdoc_add_boolean(doc, uid, idlen + 1, err)) ||
        (rc = add_field(b, doc, MG_PFX_AUTHOR, r->author, err)) ||
        (rc = add_field(b, doc, MG_PFX_SOURCE, r->source, err)) ||
        (rc = add_field(b, doc, MG_PFX_LANG, r->lang, err)) || (rc = add_date(doc, r->date, err)) ||
        (rc = set_categories(b, doc, r, err)))
        return rc;
    long ulen = mg_url_term(r->url, b->term, sizeof b->term, err);
    if (ulen < 0)
        return (int)ulen;
    if (ulen > 0 && (rc = mg_xdoc_add_boolean(doc, b->term, (size_t)ulen, err)))
        return rc;

    unsigned char h8[8];
    uint64_t h = mg_record_hash(r);
    if (hash)
        *hash = h;
    mg_u64_to_bytes(h, h8);
    if ((rc = set_value(doc, MG_SLOT_HASH, h8, 8, err)))
        return rc;
    mg_u64_to_bytes(mg_record_text_hash(r), h8);
    if ((rc = set_value(doc, MG_SLOT_COLLAPSE, h8, 8, err)))
        return rc;
    mg_u64_to_bytes(mg_docbuild_dupkey(r->title, r->body, r->date, b->dupkey), h8);
    char dup[MG_DUP_TERM_LEN + 1];
    mg_dup_term(h8, dup);
    if ((rc = set_value(doc, MG_SLOT_NEARDUP, h8, 8, err)) ||
        (rc = mg_xdoc_add_boolean(doc, dup, MG_DUP_TERM_LEN, err)) ||
        (rc = set_value(doc, MG_SLOT_SOURCE, r->source, strlen(r->source), err)) ||
        (rc = set_value(doc, MG_SLOT_ID, r->id, idlen, err)))
        return rc;

    /* The card: everything a hit shows, in a value slot, which glass keeps
     * uncompressed; a search without snippets reads only this. */
    mg_record card = *r;
    card.body = NULL;
    unsigned char *data = NULL;
    size_t dlen = 0;
    if ((rc = mg_record_encode_as(&card, MG_RECORD_PLAIN, &data, &dlen, err)))
        return rc;
    rc = set_value(doc, MG_SLOT_CARD, data, dlen, err);
    free(data);
    if (rc)
        return rc;
    data = NULL;
    if ((rc = mg_record_encode(r, &data, &dlen, err)))
        return rc;
    rc = set_value(doc, MG_SLOT_RECORD, data, dlen, err);
    free(data);
    return rc;
}
