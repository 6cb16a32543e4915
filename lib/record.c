/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Articles: encoding, checked decoding and hashing of the stored record. */
#include "record.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>

#include "hash.h"

/* Header: version byte, varint raw size (at most 5 bytes), 4-byte checksum. */
#define HEADER_MAX (1 + 5 + 4)

/* The eight string fields, in stored order, with names for messages. */
#define NFIELDS 8
static const char *const field_names[NFIELDS] = {"id",  "title",  "date", "source",
                                                 "url", "author", "lang", "body"};

static char **field_slot(mg_record *r, int i)
{
    char **slots[NFIELDS] = {&r->id,  &r->title,  &r->date, &r->source,
                             &r->url, &r->author, &r->lang, &r->body};
    return slots[i];
}

static const char *field(const mg_record *r, int i)
{
    const char *v[NFIELDS] = {r->id,  r->title,  r->date, r->source,
                              r->url, r->author, r->lang, r->body};
    return v[i] ? v[i] : "";
}

static const char *category(const mg_record *r, size_t i)
{
    return r->categories[i] ? r->categories[i] : "";
}

void mg_record_init(mg_record *r)
{
    memset(r, 0, sizeof *r);
}

void mg_record_release(mg_record *r)
{
    for (int i = 0; i < NFIELDS; i++)
        free(*field_slot(r, i));
    for (size_t i = 0; i < r->ncategories; i++)
        free(r->categories[i]);
    free(r->categories);
    memset(r, 0, sizeof *r);
}

/* ---- varints: unsigned LEB128 of a value below 2^32 ---- */

static size_t varint_size(size_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static unsigned char *varint_put(unsigned char *p, size_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

/* Read a varint from [*p, end). Returns 0 and advances *p, or -1 when it is
 * truncated, longer than 5 bytes, over 32 bits or not in its shortest form
 * (one value, one encoding: a damaged byte cannot hide). */
static int varint_get(const unsigned char **p, const unsigned char *end, uint32_t *out)
{
    uint64_t v = 0;
    const unsigned char *q = *p;
    for (int shift = 0; shift < 35; shift += 7) {
        if (q == end)
            return -1;
        unsigned char b = *q++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (v > UINT32_MAX || (b == 0 && shift > 0))
                return -1;
            *out = (uint32_t)v;
            *p = q;
            return 0;
        }
    }
    return -1;
}

/* The stored checksum of a payload: FNV-1a 32. */
static uint32_t fnv32(const unsigned char *p, size_t n)
{
    return mg_fnv1a32(MG_FNV32_OFFSET, p, n);
}

/* ---- whitening (version 3): XOR with a fixed keystream, xorshift64* from a
 * fixed seed, eight bytes per step, least significant byte first. Not a
 * secret: it made the LZ4 block look random to deflate, so glass, which
 * compresses any document data deflate can shrink, stored it as it is.
 * Records now live in a value slot, which glass never deflates, and are
 * written as version 1; version 3 is still read. Its own inverse. ---- */

#define WHITE_SEED 0x9e3779b97f4a7c15ULL

static void whiten(unsigned char *p, size_t n)
{
    uint64_t x = WHITE_SEED;
    for (size_t i = 0; i < n; i += 8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t k = x * 0x2545f4914f6cdd1dULL;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (n - i >= 8) { /* the key's bytes, least significant first, at once */
            uint64_t w;
            memcpy(&w, p + i, 8);
            w ^= k;
            memcpy(p + i, &w, 8);
            continue;
        }
#endif
        for (size_t j = 0; j < 8 && i + j < n; j++)
            p[i + j] ^= (unsigned char)(k >> (8 * j));
    }
}

static bool is_lz4(int version)
{
    return version == MG_RECORD_LZ4 || version == MG_RECORD_LZ4_WHITE;
}

static unsigned char *str_put(unsigned char *p, const char *s, size_t n)
{
    p = varint_put(p, n);
    memcpy(p, s, n);
    return p + n;
}

/* Size of the raw payload of r, or a negative code when over a cap. */
static long payload_size(const mg_record *r, mg_err *err)
{
    size_t raw = 0;
    for (int i = 0; i < NFIELDS; i++) {
        size_t n = strlen(field(r, i));
        if (n > MG_MAX_RAW)
            return mg_err_set(err, MG_ETOOBIG, "record: %s of %zu bytes is over the cap",
                              field_names[i], n);
        raw += varint_size(n) + n;
    }
    if (r->ncategories > MG_MAX_CATS)
        return mg_err_set(err, MG_ETOOBIG, "record: %zu categories, over the cap of %d",
                          r->ncategories, MG_MAX_CATS);
    raw += varint_size(r->ncategories);
    for (size_t i = 0; i < r->ncategories; i++) {
        size_t n = strlen(category(r, i));
        if (n > MG_MAX_FIELD)
            return mg_err_set(err, MG_ETOOBIG, "record: category of %zu bytes is over the cap", n);
        raw += varint_size(n) + n;
    }
    if (raw > MG_MAX_RAW)
        return mg_err_set(err, MG_ETOOBIG, "record: %zu bytes, over the %u-byte cap", raw,
                          (unsigned)MG_MAX_RAW);
    return (long)raw;
}

static void payload_put(const mg_record *r, unsigned char *p)
{
    for (int i = 0; i < NFIELDS; i++)
        p = str_put(p, field(r, i), strlen(field(r, i)));
    p = varint_put(p, r->ncategories);
    for (size_t i = 0; i < r->ncategories; i++)
        p = str_put(p, category(r, i), strlen(category(r, i)));
}

/* Write the header (version, raw size, checksum of payload) at h; returns the
 * end of the header. */
static unsigned char *header_put(unsigned char *h, int version, const unsigned char *payload,
                                 size_t raw)
{
    *h++ = (unsigned char)version;
    h = varint_put(h, raw);
    uint32_t sum = fnv32(payload, raw);
    for (int i = 3; i >= 0; i--)
        *h++ = (unsigned char)(sum >> (8 * i));
    return h;
}

int mg_record_encode_as(const mg_record *r, int version, unsigned char **out, size_t *out_len,
                        mg_err *err)
{
    *out = NULL;
    *out_len = 0;
    if (!is_lz4(version) && version != MG_RECORD_PLAIN)
        return mg_err_set(err, MG_EINVAL, "record: no format version %d", version);
    long rc = payload_size(r, err);
    if (rc < 0)
        return (int)rc;
    size_t raw = (size_t)rc;
    size_t hlen = 1 + varint_size(raw) + 4;

    if (version == MG_RECORD_PLAIN) {
        unsigned char *buf = malloc(hlen + raw);
        if (!buf)
            return mg_err_set(err, MG_ENOMEM, "record: out of memory");
        payload_put(r, buf + hlen);
        header_put(buf, version, buf + hlen, raw);
        *out = buf;
        *out_len = hlen + raw;
        return 0;
    }

    int bound = LZ4_compressBound((int)raw);
    unsigned char *payload = malloc(raw);
    unsigned char *buf = malloc(hlen + (size_t)bound);
    if (!payload || !buf) {
        free(payload);
        free(buf);
        return mg_err_set(err, MG_ENOMEM, "record: out of memory");
    }
    payload_put(r, payload);
    unsigned char *h = header_put(buf, version, payload, raw);
    /* Cannot fail: the destination holds LZ4_compressBound(raw) bytes. */
    int clen = LZ4_compress_default((const char *)payload, (char *)h, (int)raw, bound);
    free(payload);
    if (clen <= 0) {
        free(buf);
        return mg_err_set(err, MG_EINTERNAL, "record: LZ4 compression failed");
    }
    if (version == MG_RECORD_LZ4_WHITE)
        whiten(h, (size_t)clen);
    size_t total = hlen + (size_t)clen;
    unsigned char *shrunk = realloc(buf, total);
    *out = shrunk ? shrunk : buf;
    *out_len = total;
    return 0;
}

int mg_record_encode(const mg_record *r, unsigned char **out, size_t *out_len, mg_err *err)
{
    return mg_record_encode_as(r, MG_RECORD_VERSION, out, out_len, err);
}

/* Copy a field of n bytes at *p (within end) into a fresh NUL-terminated
 * string. Returns 0, or a negative code with the message set. */
static int str_get(const unsigned char **p, const unsigned char *end, const char *name, char **out,
                   mg_err *err)
{
    uint32_t n;
    if (varint_get(p, end, &n) < 0)
        return mg_err_set(err, MG_ECORRUPT, "stored record: bad length of %s", name);
    if (n > (size_t)(end - *p))
        return mg_err_set(err, MG_ECORRUPT, "stored record: %s of %u bytes runs past the end", name,
                          n);
    if (memchr(*p, '\0', n))
        return mg_err_set(err, MG_ECORRUPT, "stored record: %s contains a NUL byte", name);
    char *s = malloc((size_t)n + 1);
    if (!s)
        return mg_err_set(err, MG_ENOMEM, "stored record: out of memory");
    memcpy(s, *p, n);
    s[n] = '\0';
    *p += n;
    *out = s;
    return 0;
}

static int parse_payload(const unsigned char *p, const unsigned char *end, mg_record *r,
                         mg_err *err)
{
    int rc;
    for (int i = 0; i < NFIELDS; i++)
        if ((rc = str_get(&p, end, field_names[i], field_slot(r, i), err)) < 0)
            return rc;
    uint32_t ncats;
    if (varint_get(&p, end, &ncats) < 0)
        return mg_err_set(err, MG_ECORRUPT, "stored record: bad category count");
    /* each category takes at least its one-byte length */
    if (ncats > MG_MAX_CATS || ncats > (size_t)(end - p))
        return mg_err_set(err, MG_ECORRUPT, "stored record: impossible category count %u", ncats);
    if (ncats) {
        r->categories = calloc(ncats, sizeof *r->categories);
        if (!r->categories)
            return mg_err_set(err, MG_ENOMEM, "stored record: out of memory");
    }
    for (uint32_t i = 0; i < ncats; i++) {
        if ((rc = str_get(&p, end, "category", &r->categories[i], err)) < 0)
            return rc;
        r->ncategories = i + 1;
    }
    if (p != end)
        return mg_err_set(err, MG_ECORRUPT, "stored record: %zu stray bytes after the fields",
                          (size_t)(end - p));
    return 0;
}

int mg_record_decode(const void *data, size_t len, mg_record *r, mg_err *err)
{
    mg_record_release(r);
    const unsigned char *p = data, *end = p + len;
    if (len == 0)
        return mg_err_set(err, MG_ECORRUPT, "stored record: empty");
    int version = p[0];
    if (!is_lz4(version) && version != MG_RECORD_PLAIN)
        return mg_err_set(err, MG_ECORRUPT, "stored record: unknown version %d", version);
    p++;
    uint32_t raw;
    if (varint_get(&p, end, &raw) < 0 || end - p < 4)
        return mg_err_set(err, MG_ECORRUPT, "stored record: truncated header");
    if (raw > MG_MAX_RAW || raw < NFIELDS + 1)
        return mg_err_set(err, MG_ECORRUPT, "stored record: impossible size %u", raw);
    uint32_t sum = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    p += 4;
    size_t body = (size_t)(end - p);

    if (version == MG_RECORD_PLAIN) {
        if (body != raw)
            return mg_err_set(err, MG_ECORRUPT, "stored record: %zu bytes where %u are stated",
                              body, raw);
        if (fnv32(p, raw) != sum)
            return mg_err_set(err, MG_ECORRUPT, "stored record: checksum mismatch");
        int rc = parse_payload(p, end, r, err);
        if (rc < 0)
            mg_record_release(r);
        return rc;
    }

    if (body > (size_t)LZ4_compressBound((int)raw))
        return mg_err_set(err, MG_ECORRUPT, "stored record: %zu compressed bytes for %u", body,
                          raw);
    unsigned char *payload = malloc(raw), *clear = NULL;
    if (!payload)
        return mg_err_set(err, MG_ENOMEM, "stored record: out of memory");
    if (version == MG_RECORD_LZ4_WHITE) {
        if (!(clear = malloc(body ? body : 1))) {
            free(payload);
            return mg_err_set(err, MG_ENOMEM, "stored record: out of memory");
        }
        memcpy(clear, p, body);
        whiten(clear, body);
        p = clear;
    }
    int got = LZ4_decompress_safe((const char *)p, (char *)payload, (int)body, (int)raw);
    free(clear);
    int rc = 0;
    if (got != (int)raw)
        rc = mg_err_set(err, MG_ECORRUPT,
                        got < 0 ? "stored record: truncated or damaged LZ4 block"
                                : "stored record: LZ4 block is shorter than its size");
    else if (fnv32(payload, raw) != sum)
        rc = mg_err_set(err, MG_ECORRUPT, "stored record: checksum mismatch");
    else
        rc = parse_payload(payload, payload + raw, r, err);
    free(payload);
    if (rc < 0)
        mg_record_release(r);
    return rc;
}

/* ---- hashes ---- */

/* Hash the length first: ("ab","c") and ("a","bc") differ. */
static uint64_t fnv64_str(uint64_t h, const char *s)
{
    size_t n = strlen(s);
    unsigned char len[8];
    mg_u64_to_bytes(n, len);
    h = mg_fnv1a64(h, len, sizeof len);
    return mg_fnv1a64(h, s, n);
}

uint64_t mg_record_hash(const mg_record *r)
{
    uint64_t h = MG_FNV64_OFFSET;
    for (int i = 0; i < NFIELDS; i++)
        h = fnv64_str(h, field(r, i));
    unsigned char n[8];
    mg_u64_to_bytes(r->ncategories, n);
    h = mg_fnv1a64(h, n, sizeof n);
    for (size_t i = 0; i < r->ncategories; i++)
        h = fnv64_str(h, category(r, i));
    return h;
}

/* Length in bytes of the white space at s: ASCII white space, or U+00A0
 * NO-BREAK SPACE, which syndicated copies often carry instead of spaces. */
static size_t space_len(const unsigned char *s)
{
    if (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        return 1;
    if (s[0] == 0xc2 && s[1] == 0xa0)
        return 2;
    return 0;
}

/* Bytes fnv64_folded() must look at more closely: the end (NUL), ASCII white
 * space, and 0xc2, which may start U+00A0. Every other byte is hashed as it
 * is, an ASCII capital as its small letter. */
static const unsigned char fold_special[256] = {
    [0] = 1, ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1, [0xc2] = 1,
};

static unsigned char fold_ascii(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Hash s with ASCII letters lower-cased and each run of white space as one
 * space; white space at either end is ignored. */
static uint64_t fnv64_folded(uint64_t h, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    int pending_space = 0, started = 0;
    for (;;) {
        if (fold_special[*s]) {
            if (!*s)
                break;
            size_t sp = space_len(s);
            if (sp) {
                pending_space = started;
                s += sp;
                continue;
            }
            /* a 0xc2 that does not start U+00A0: an ordinary byte */
        }
        if (pending_space) {
            h = (h ^ ' ') * MG_FNV64_PRIME;
            pending_space = 0;
        }
        h = (h ^ fold_ascii(*s++)) * MG_FNV64_PRIME;
        started = 1;
        while (!fold_special[*s]) /* the run of ordinary bytes that follows */
            h = (h ^ fold_ascii(*s++)) * MG_FNV64_PRIME;
    }
    return h;
}

uint64_t mg_record_text_hash(const mg_record *r)
{
    uint64_t h = fnv64_folded(MG_FNV64_OFFSET, r->title ? r->title : "");
    h = (h ^ 0) * MG_FNV64_PRIME; /* NUL cannot occur in text: a clean separator */
    return fnv64_folded(h, r->body ? r->body : "");
}

void mg_u64_to_bytes(uint64_t v, unsigned char out[8])
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)v;
        v >>= 8;
    }
}

uint64_t mg_u64_from_bytes(const unsigned char in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}
