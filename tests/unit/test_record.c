/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the stored record: round trips, corruption, hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "record.h"

static char *dup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

/* A full record; the caller releases it. */
static void fill(mg_record *r)
{
    mg_record_init(r);
    r->id = dup("reuters-17");
    r->title = dup("Müller’s cocoa — 東京 prices rise");
    r->date = dup("1987-02-26T15:01:01");
    r->source = dup("Reuters");
    r->url = dup("https://example.com/a?b=c&d=é");
    r->author = dup("");
    r->lang = dup("en");
    r->body = dup("Showers continued throughout the week in\nthe Bahia cocoa zone.\t3.5%");
    r->ncategories = 3;
    r->categories = calloc(3, sizeof *r->categories);
    assert_non_null(r->categories);
    r->categories[0] = dup("cocoa");
    r->categories[1] = dup("");
    r->categories[2] = dup("Économie");
}

static void assert_same(const mg_record *a, const mg_record *b)
{
    assert_string_equal(a->id, b->id);
    assert_string_equal(a->title, b->title);
    assert_string_equal(a->date, b->date);
    assert_string_equal(a->source, b->source);
    assert_string_equal(a->url, b->url);
    assert_string_equal(a->author, b->author);
    assert_string_equal(a->lang, b->lang);
    assert_string_equal(a->body, b->body);
    assert_int_equal(a->ncategories, b->ncategories);
    for (size_t i = 0; i < a->ncategories; i++)
        assert_string_equal(a->categories[i], b->categories[i]);
}

/* Tests that run once per format get it through cmocka's state. */
static int lz4 = MG_RECORD_LZ4, plain = MG_RECORD_PLAIN, white = MG_RECORD_LZ4_WHITE;
/* clang-format off */
#define IN_EVERY_FORMAT(f) \
    {#f " (lz4)", f, NULL, NULL, &lz4}, {#f " (plain)", f, NULL, NULL, &plain}, \
    {#f " (lz4, whitened)", f, NULL, NULL, &white}
#define VERSION(state) (*(const int *)*(state))
/* clang-format on */

static void encode(const mg_record *r, int version, unsigned char **buf, size_t *len)
{
    mg_err err;
    assert_int_equal(mg_record_encode_as(r, version, buf, len, &err), 0);
    assert_non_null(*buf);
    assert_true(*len > 1);
    assert_int_equal((*buf)[0], version);
}

/* Encode r, decode it into back (initialised or filled) and return the
 * encoded size. */
static size_t round_trip(const mg_record *r, int version, mg_record *back)
{
    unsigned char *buf;
    size_t len;
    encode(r, version, &buf, &len);
    mg_err err;
    assert_int_equal(mg_record_decode(buf, len, back, &err), 0);
    free(buf);
    return len;
}

static void test_round_trip(void **state)
{
    int version = VERSION(state);
    mg_record r, back;
    fill(&r);
    mg_record_init(&back);
    round_trip(&r, version, &back);
    assert_same(&r, &back);
    assert_int_equal(mg_record_hash(&r), mg_record_hash(&back));
    /* decoding into a filled record replaces its content */
    free(back.title);
    back.title = dup("stale");
    round_trip(&r, version, &back);
    assert_same(&r, &back);
    mg_record_release(&back);
    mg_record_release(&r);
    mg_record_release(&r); /* released twice: harmless */
}

static void test_empty_and_null_fields(void **state)
{
    int version = VERSION(state);
    mg_record r, back;
    mg_record_init(&r); /* every field NULL, no categories */
    mg_record_init(&back);
    round_trip(&r, version, &back);
    assert_string_equal(back.id, "");
    assert_string_equal(back.body, "");
    assert_int_equal(back.ncategories, 0);
    assert_null(back.categories);
    /* NULL and "" hash alike */
    assert_int_equal(mg_record_hash(&r), mg_record_hash(&back));
    assert_int_equal(mg_record_text_hash(&r), mg_record_text_hash(&back));
    mg_record_release(&back);
}

static void test_big_body(void **state)
{
    int version = VERSION(state);
    mg_record r, back;
    fill(&r);
    size_t n = 1 << 20;
    free(r.body);
    r.body = malloc(n + 1);
    assert_non_null(r.body);
    for (size_t i = 0; i < n; i++)
        r.body[i] = "the cocoa harvest in Bahia, 1987. "[i % 34];
    r.body[n] = '\0';
    mg_record_init(&back);
    size_t len = round_trip(&r, version, &back);
    if (version != MG_RECORD_PLAIN)
        assert_true(len < n / 10); /* repetitive text compresses */
    else
        assert_true(len > n && len < n + 512);
    assert_same(&r, &back);
    mg_record_release(&back);
    mg_record_release(&r);
}

static void test_caps(void **state)
{
    (void)state;
    mg_record r;
    fill(&r);
    unsigned char *buf = (unsigned char *)"x";
    size_t len = 1;
    mg_err err;
    free(r.body);
    r.body = malloc(MG_MAX_RAW + 1);
    assert_non_null(r.body);
    memset(r.body, 'a', MG_MAX_RAW);
    r.body[MG_MAX_RAW] = '\0';
    assert_int_equal(mg_record_encode(&r, &buf, &len, &err), -MG_ETOOBIG);
    assert_null(buf);
    assert_int_equal(len, 0);
    r.body[MG_MAX_BODY] = '\0'; /* the largest body a reader lets through fits */
    assert_int_equal(mg_record_encode(&r, &buf, &len, &err), 0);
    free(buf);
    assert_int_equal(mg_record_encode_as(&r, 4, &buf, &len, &err), -MG_EINVAL);
    assert_null(buf);
    r.ncategories = MG_MAX_CATS + 1; /* checked before the array is read */
    assert_int_equal(mg_record_encode(&r, &buf, &len, &err), -MG_ETOOBIG);
    r.ncategories = 3;
    mg_record_release(&r);
}

/* Decode must return 0 or -MG_ECORRUPT, and leave r released on failure. On
 * success the record equals want (when given): damage is caught, or was to
 * bytes that do not matter (the ignored match length in LZ4's last token). */
static int decode_checked(const unsigned char *buf, size_t len, const mg_record *want)
{
    mg_record r;
    mg_err err;
    mg_record_init(&r);
    mg_err_clear(&err);
    int rc = mg_record_decode(buf, len, &r, &err);
    if (rc == 0) {
        assert_non_null(r.id);
        assert_non_null(r.body);
        assert_int_equal(err.code, MG_OK);
        if (want)
            assert_same(&r, want);
    } else {
        assert_int_equal(rc, -MG_ECORRUPT);
        assert_int_equal(err.code, MG_ECORRUPT);
        assert_non_null(strstr(err.msg, "stored record: "));
        assert_null(r.id);
        assert_null(r.categories);
    }
    mg_record_release(&r);
    return rc;
}

static void test_every_byte_flip(void **state)
{
    int version = VERSION(state);
    mg_record r;
    fill(&r);
    unsigned char *buf;
    size_t len;
    encode(&r, version, &buf, &len);
    /* a copy of exactly len bytes, so ASan sees any read past the end */
    unsigned char *copy = malloc(len);
    assert_non_null(copy);
    int clean = 0;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, buf, len);
            copy[i] ^= (unsigned char)(1u << bit);
            clean += decode_checked(copy, len, &r) == 0;
        }
        static const unsigned char fills[] = {0x00, 0xff, 0x80, 0x7f};
        for (size_t f = 0; f < sizeof fills; f++) {
            memcpy(copy, buf, len);
            if (copy[i] == fills[f])
                continue;
            copy[i] = fills[f];
            clean += decode_checked(copy, len, &r) == 0;
        }
    }
    /* the checksum catches damage to the text too, not only to lengths: only
     * the 4 bits of LZ4's unused last match length may change unnoticed */
    assert_true(clean <= (version != MG_RECORD_PLAIN ? 4 : 0));
    free(copy);
    free(buf);
    mg_record_release(&r);
}

static void test_every_truncation(void **state)
{
    int version = VERSION(state);
    mg_record r;
    fill(&r);
    unsigned char *buf;
    size_t len;
    encode(&r, version, &buf, &len);
    for (size_t n = 0; n < len; n++) {
        unsigned char *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, buf, n);
        assert_int_equal(decode_checked(copy, n, NULL), -MG_ECORRUPT);
        free(copy);
    }
    /* and one byte too many */
    unsigned char *longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, buf, len);
    longer[len] = 0;
    assert_int_equal(decode_checked(longer, len + 1, NULL), -MG_ECORRUPT);
    free(longer);
    free(buf);
    mg_record_release(&r);
}

static void test_bad_headers(void **state)
{
    (void)state;
    mg_record r;
    mg_record_init(&r);
    mg_err err;
    const unsigned char v7[] = {7, 9, 0, 0, 0, 0, 0x90};
    assert_int_equal(mg_record_decode(v7, sizeof v7, &r, &err), -MG_ECORRUPT);
    assert_string_equal(err.msg, "stored record: unknown version 7");
    assert_int_equal(mg_record_decode(v7, 0, &r, &err), -MG_ECORRUPT);
    assert_string_equal(err.msg, "stored record: empty");
    /* a raw size over the cap, an over-long varint, a non-shortest varint */
    const unsigned char huge[] = {1, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0};
    assert_int_equal(mg_record_decode(huge, sizeof huge, &r, &err), -MG_ECORRUPT);
    assert_non_null(strstr(err.msg, "impossible size"));
    const unsigned char longv[] = {1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0, 0, 0};
    assert_int_equal(mg_record_decode(longv, sizeof longv, &r, &err), -MG_ECORRUPT);
    const unsigned char padded[] = {1, 0x89, 0x00, 0, 0, 0, 0, 0x90};
    assert_int_equal(mg_record_decode(padded, sizeof padded, &r, &err), -MG_ECORRUPT);
    assert_null(r.id);
}

/* Hand-built payloads with a correct checksum: the parser's own checks. */
static uint32_t fnv32(const unsigned char *p, size_t n)
{
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x01000193u;
    return h;
}

static int decode_payload(const unsigned char *raw, size_t n, mg_record *r, mg_err *err)
{
    /* an LZ4 block of only literals: token, [extra length bytes], bytes */
    unsigned char buf[256];
    size_t k = 0;
    buf[k++] = MG_RECORD_LZ4;
    buf[k++] = (unsigned char)n; /* n < 128 here */
    uint32_t h = fnv32(raw, n);
    buf[k++] = (unsigned char)(h >> 24);
    buf[k++] = (unsigned char)(h >> 16);
    buf[k++] = (unsigned char)(h >> 8);
    buf[k++] = (unsigned char)h;
    if (n < 15) {
        buf[k++] = (unsigned char)(n << 4);
    } else {
        buf[k++] = 0xf0;
        buf[k++] = (unsigned char)(n - 15);
    }
    memcpy(buf + k, raw, n);
    return mg_record_decode(buf, k + n, r, err);
}

static void test_payload_checks(void **state)
{
    (void)state;
    mg_record r;
    mg_record_init(&r);
    mg_err err;
    /* well formed: id "a", seven empty fields, one category "k" */
    const unsigned char ok[] = {1, 'a', 0, 0, 0, 0, 0, 0, 0, 1, 1, 'k'};
    assert_int_equal(decode_payload(ok, sizeof ok, &r, &err), 0);
    assert_string_equal(r.id, "a");
    assert_int_equal(r.ncategories, 1);
    assert_string_equal(r.categories[0], "k");
    const unsigned char nul[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(decode_payload(nul, sizeof nul, &r, &err), -MG_ECORRUPT);
    assert_string_equal(err.msg, "stored record: id contains a NUL byte");
    assert_null(r.id);
    const unsigned char past[] = {0, 0, 9, 'x', 0, 0, 0, 0, 0, 0};
    assert_int_equal(decode_payload(past, sizeof past, &r, &err), -MG_ECORRUPT);
    assert_string_equal(err.msg, "stored record: date of 9 bytes runs past the end");
    const unsigned char cats[] = {0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 'k'};
    assert_int_equal(decode_payload(cats, sizeof cats, &r, &err), -MG_ECORRUPT);
    assert_non_null(strstr(err.msg, "category count"));
    const unsigned char stray[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 'z'};
    assert_int_equal(decode_payload(stray, sizeof stray, &r, &err), -MG_ECORRUPT);
    assert_string_equal(err.msg, "stored record: 1 stray bytes after the fields");
    const unsigned char cut[] = {0, 0, 0, 0, 0, 0, 0, 2, 'b', 'o'};
    assert_int_equal(decode_payload(cut, sizeof cut, &r, &err), -MG_ECORRUPT);
    assert_string_equal(err.msg, "stored record: bad category count");
    mg_record_release(&r);
}

static void test_hash_properties(void **state)
{
    (void)state;
    mg_record a, b;
    fill(&a);
    fill(&b);
    uint64_t h = mg_record_hash(&a);
    assert_int_equal(h, mg_record_hash(&b));
    assert_int_equal(mg_record_text_hash(&a), mg_record_text_hash(&b));
    /* any one field changed changes the hash */
    char **fields[] = {&b.id, &b.title, &b.date, &b.source, &b.url, &b.author, &b.lang, &b.body};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char *saved = *fields[i];
        *fields[i] = dup("changed");
        assert_int_not_equal(mg_record_hash(&b), h);
        free(*fields[i]);
        *fields[i] = saved;
        assert_int_equal(mg_record_hash(&b), h);
    }
    /* categories: content, order and count count */
    char *c0 = b.categories[0];
    b.categories[0] = b.categories[2];
    b.categories[2] = c0;
    assert_int_not_equal(mg_record_hash(&b), h);
    b.categories[2] = b.categories[0];
    b.categories[0] = c0;
    b.ncategories = 2;
    assert_int_not_equal(mg_record_hash(&b), h);
    b.ncategories = 3;
    assert_int_equal(mg_record_hash(&b), h);
    /* a boundary moved between two fields is a change */
    free(b.source);
    free(b.url);
    b.source = dup("ab");
    b.url = dup("c");
    uint64_t h1 = mg_record_hash(&b);
    free(b.source);
    free(b.url);
    b.source = dup("a");
    b.url = dup("bc");
    assert_int_not_equal(mg_record_hash(&b), h1);
    /* the text hash ignores everything but title and body */
    assert_int_equal(mg_record_text_hash(&a), mg_record_text_hash(&b));
    mg_record_release(&a);
    mg_record_release(&b);
}

/* The hashes are stored in every index (MG_SLOT_HASH, MG_SLOT_COLLAPSE): a
 * change to them makes the next update rewrite every document and stops
 * collapsing old copies against new ones. These values were computed by a
 * separate Python FNV-1a over the layout documented in record.h. */
static void test_hash_values_are_stable(void **state)
{
    (void)state;
    char *cats[] = {"cocoa", "grain"};
    mg_record r = {.id = "reuters-1",
                   .title = "Cocoa",
                   .body = "Showers  continued\n",
                   .categories = cats,
                   .ncategories = 2};
    assert_int_equal(mg_record_hash(&r), 0x88cd1083024b3c47ULL);
    assert_int_equal(mg_record_text_hash(&r), 0xd778d3a4d857ab4cULL);
}

static uint64_t text_hash(const char *title, const char *body)
{
    mg_record r;
    mg_record_init(&r);
    r.title = (char *)(uintptr_t)title;
    r.body = (char *)(uintptr_t)body;
    return mg_record_text_hash(&r); /* borrowed strings: not released */
}

static void test_text_hash_folds(void **state)
{
    (void)state;
    uint64_t h = text_hash("Cocoa prices rise", "Showers continued in Bahia.");
    assert_int_equal(h, text_hash("COCOA  Prices\trise ", " showers\ncontinued \r\n in BAHIA."));
    assert_int_equal(h, text_hash("Cocoa\xc2\xa0prices rise", "Showers continued in Bahia."));
    assert_int_not_equal(h, text_hash("Cocoa prices rise", "Showers continued in Bahia!"));
    assert_int_not_equal(h, text_hash("Cocoa prices", "rise Showers continued in Bahia."));
    assert_int_not_equal(h, text_hash("Cocoaprices rise", "Showers continued in Bahia."));
    /* only ASCII is case-folded: non-ASCII bytes are compared as they are */
    assert_int_not_equal(text_hash("Müller", ""), text_hash("MÜLLER", ""));
    assert_int_equal(text_hash("müller", ""), text_hash("MüLLER", ""));
}

/* Plain byte-at-a-time FNV-1a and the documented folding, written apart
 * from lib/record.c, to check the library's faster loops give the same
 * values on text of every length and with every kind of byte. */
static uint64_t ref_fnv64(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t ref_fnv64_str(uint64_t h, const char *s)
{
    unsigned char len[8];
    mg_u64_to_bytes(strlen(s), len);
    return ref_fnv64(ref_fnv64(h, len, 8), (const unsigned char *)s, strlen(s));
}

static uint64_t ref_folded(uint64_t h, const char *str)
{
    /* fold into a copy first: capitals to small letters, every run of white
     * space to one space, none at the ends */
    size_t n = strlen(str), o = 0;
    unsigned char *f = malloc(n + 1);
    assert_non_null(f);
    const unsigned char *s = (const unsigned char *)str;
    int gap = 0;
    for (size_t i = 0; i < n;) {
        size_t sp = (s[i] == ' ' || (s[i] >= 9 && s[i] <= 13)) ? 1
                    : (s[i] == 0xc2 && s[i + 1] == 0xa0)       ? 2
                                                               : 0;
        if (sp) {
            gap = o > 0;
            i += sp;
            continue;
        }
        if (gap)
            f[o++] = ' ';
        gap = 0;
        f[o++] = (s[i] >= 'A' && s[i] <= 'Z') ? (unsigned char)(s[i] + 32) : s[i];
        i++;
    }
    h = ref_fnv64(h, f, o);
    free(f);
    return h;
}

static uint32_t ref_fnv32(const unsigned char *p, size_t n)
{
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x01000193u;
    return h;
}

static void test_hashes_match_reference(void **state)
{
    (void)state;
    /* bytes that take every branch: letters of both cases, white space of
     * each kind, U+00A0, a 0xc2 not starting U+00A0, other UTF-8, '@', '[' */
    static const char *const bits[] = {"A",  "z",  "Q",  " ",        "\t",       "\n",
                                       "\r", "\v", "\f", "\xc2\xa0", "\xc2\xa9", "\xc3\xa9",
                                       "@",  "[",  "9",  "`"};
    const size_t nbits = sizeof bits / sizeof bits[0];
    uint64_t seed = 42;
    for (int round = 0; round < 3000; round++) {
        char title[256], body[512];
        char *bufs[2] = {title, body};
        size_t caps[2] = {sizeof title, sizeof body};
        for (int k = 0; k < 2; k++) {
            size_t len = 0, want = (size_t)(round % 97) * (k + 1);
            while (len < want && len + 3 < caps[k]) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                const char *b = bits[(seed >> 33) % nbits];
                memcpy(bufs[k] + len, b, strlen(b));
                len += strlen(b);
            }
            bufs[k][len] = '\0';
        }
        mg_record r;
        mg_record_init(&r);
        r.title = title;
        r.body = body;
        r.id = body;
        r.url = title;
        uint64_t h = ref_folded(0xcbf29ce484222325ULL, title);
        h = (h ^ 0) * 0x100000001b3ULL;
        assert_int_equal(mg_record_text_hash(&r), ref_folded(h, body));
        const char *fields[8] = {body, title, "", "", title, "", "", body};
        h = 0xcbf29ce484222325ULL;
        for (int i = 0; i < 8; i++)
            h = ref_fnv64_str(h, fields[i]);
        unsigned char zero[8] = {0};
        assert_int_equal(mg_record_hash(&r), ref_fnv64(h, zero, 8));
        /* the checksum in a plain record's header covers the payload */
        unsigned char *buf;
        size_t len;
        mg_err err;
        assert_int_equal(mg_record_encode_as(&r, MG_RECORD_PLAIN, &buf, &len, &err), 0);
        size_t hdr = 1;
        while (buf[hdr] & 0x80)
            hdr++;
        hdr++;
        uint32_t sum = (uint32_t)buf[hdr] << 24 | (uint32_t)buf[hdr + 1] << 16 |
                       (uint32_t)buf[hdr + 2] << 8 | buf[hdr + 3];
        assert_int_equal(sum, ref_fnv32(buf + hdr + 4, len - hdr - 4));
        free(buf);
    }
}

static void test_u64_bytes(void **state)
{
    (void)state;
    unsigned char b[8];
    mg_u64_to_bytes(0x0102030405060708ULL, b);
    const unsigned char want[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_memory_equal(b, want, 8);
    assert_int_equal(mg_u64_from_bytes(b), 0x0102030405060708ULL);
    mg_u64_to_bytes(UINT64_MAX, b);
    assert_int_equal(mg_u64_from_bytes(b), UINT64_MAX);
    mg_u64_to_bytes(0, b);
    assert_int_equal(mg_u64_from_bytes(b), 0);
}

int main(void)
{
    /* clang-format off */
    const struct CMUnitTest tests[] = {
        IN_EVERY_FORMAT(test_round_trip),
        IN_EVERY_FORMAT(test_empty_and_null_fields),
        IN_EVERY_FORMAT(test_big_body),
        IN_EVERY_FORMAT(test_every_byte_flip),
        IN_EVERY_FORMAT(test_every_truncation),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_payload_checks),
        cmocka_unit_test(test_hash_properties),
        cmocka_unit_test(test_hash_values_are_stable),
        cmocka_unit_test(test_text_hash_folds),
        cmocka_unit_test(test_hashes_match_reference),
        cmocka_unit_test(test_u64_bytes),
    };
    /* clang-format on */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
