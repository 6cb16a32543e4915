/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the input-side fuzz targets (fuzz_json_record, fuzz_record_decode,
 * fuzz_date, fuzz_reader): the checks every record and date must pass, and
 * the replay main() that runs a seed corpus as a TAP test when the target is
 * built without libFuzzer. Header-only (every function static) because the
 * Makefile builds each tests/fuzz/fuzz_X.c on its own. A failed check prints
 * what failed and abort()s, which libFuzzer and the replayer both report. */
#ifndef MG_FUZZ_INPUT_H
#define MG_FUZZ_INPUT_H

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_UNUSED __attribute__((unused))

FUZZ_UNUSED static void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a broken invariant and stop. */
FUZZ_UNUSED static void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("fuzz check failed: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stdout);
    abort();
}

static inline bool fuzz_digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static inline int fuzz_num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* true when d is "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ss" naming a real day and
 * time, year 1000..9999, seconds at most 59 (a leap second is folded). */
static inline bool fuzz_date_well_formed(const char *d)
{
    size_t n = strlen(d);
    if (n != 10 && n != 19)
        return false;
    if (!fuzz_digits(d, 4) || d[4] != '-' || !fuzz_digits(d + 5, 2) || d[7] != '-' ||
        !fuzz_digits(d + 8, 2))
        return false;
    int y = fuzz_num(d, 4), m = fuzz_num(d + 5, 2), day = fuzz_num(d + 8, 2);
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1000 || m < 1 || m > 12 || day < 1 || day > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && day == 29 && !leap)
        return false;
    if (n == 10)
        return true;
    if (d[10] != 'T' || !fuzz_digits(d + 11, 2) || d[13] != ':' || !fuzz_digits(d + 14, 2) ||
        d[16] != ':' || !fuzz_digits(d + 17, 2))
        return false;
    return fuzz_num(d + 11, 2) <= 23 && fuzz_num(d + 14, 2) <= 59 && fuzz_num(d + 17, 2) <= 59;
}

static inline bool fuzz_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* A string field of a parsed record: present, valid UTF-8, within its cap and
 * trimmed of white space at both ends. */
static inline void fuzz_check_text(const char *name, const char *s, size_t cap)
{
    if (!s)
        fuzz_fail("field %s is NULL", name);
    size_t n = strlen(s);
    if (n > cap)
        fuzz_fail("field %s is %zu bytes, over its cap %zu", name, n, cap);
    if (!mg_utf8_valid(s, n))
        fuzz_fail("field %s is not valid UTF-8", name);
    if (n && (fuzz_is_space(s[0]) || fuzz_is_space(s[n - 1])))
        fuzz_fail("field %s is not trimmed: \"%.40s\"", name, s);
}

/* What every record a reader hands out must satisfy (reader.h, record.h,
 * docs/input-formats.md): all fields present, UTF-8, trimmed, within the caps;
 * an id; a title or a body; a normalised date or none; distinct, non-empty
 * categories. */
FUZZ_UNUSED static void fuzz_check_parsed(const mg_record *r)
{
    fuzz_check_text("id", r->id, MG_MAX_ID);
    fuzz_check_text("title", r->title, MG_MAX_TITLE);
    fuzz_check_text("body", r->body, MG_MAX_BODY);
    fuzz_check_text("date", r->date, MG_MAX_FIELD);
    fuzz_check_text("source", r->source, MG_MAX_FIELD);
    fuzz_check_text("url", r->url, MG_MAX_FIELD);
    fuzz_check_text("author", r->author, MG_MAX_FIELD);
    fuzz_check_text("lang", r->lang, MG_MAX_FIELD);
    if (!r->id[0])
        fuzz_fail("empty id");
    if (!r->title[0] && !r->body[0])
        fuzz_fail("record %s has neither title nor body", r->id);
    if (r->date[0] && !fuzz_date_well_formed(r->date))
        fuzz_fail("record %s has date \"%s\"", r->id, r->date);
    if (r->ncategories > MG_MAX_CATS)
        fuzz_fail("%zu categories", r->ncategories);
    if (r->ncategories && !r->categories)
        fuzz_fail("categories NULL with a count of %zu", r->ncategories);
    for (size_t i = 0; i < r->ncategories; i++) {
        fuzz_check_text("category", r->categories[i], MG_MAX_FIELD);
        if (!r->categories[i][0])
            fuzz_fail("empty category %zu", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->categories[i], r->categories[j]) == 0)
                fuzz_fail("category \"%s\" twice", r->categories[i]);
    }
}

/* true when every pointer of r is NULL and the count 0: a released record. */
FUZZ_UNUSED static bool fuzz_is_released(const mg_record *r)
{
    return !r->id && !r->title && !r->date && !r->source && !r->url && !r->author && !r->lang &&
           !r->body && !r->categories && r->ncategories == 0;
}

static inline void fuzz_same_field(const char *name, const char *a, const char *b)
{
    const char *x = a ? a : "", *y = b ? b : "";
    if (strcmp(x, y) != 0)
        fuzz_fail("field %s differs: \"%.60s\" vs \"%.60s\"", name, x, y);
}

/* Field by field equality (NULL counts as "", as the encoder stores it). */
FUZZ_UNUSED static void fuzz_same_record(const mg_record *a, const mg_record *b)
{
    fuzz_same_field("id", a->id, b->id);
    fuzz_same_field("title", a->title, b->title);
    fuzz_same_field("date", a->date, b->date);
    fuzz_same_field("source", a->source, b->source);
    fuzz_same_field("url", a->url, b->url);
    fuzz_same_field("author", a->author, b->author);
    fuzz_same_field("lang", a->lang, b->lang);
    fuzz_same_field("body", a->body, b->body);
    if (a->ncategories != b->ncategories)
        fuzz_fail("%zu categories vs %zu", a->ncategories, b->ncategories);
    for (size_t i = 0; i < a->ncategories; i++)
        fuzz_same_field("category", a->categories[i], b->categories[i]);
    if (mg_record_hash(a) != mg_record_hash(b) || mg_record_text_hash(a) != mg_record_text_hash(b))
        fuzz_fail("equal records hash differently");
}

/* Encode r in one format version, decode the bytes, and require the same
 * record back; then encode the decoded copy and require the very same bytes
 * (encoding is a function of the record); then cut the encoding short and
 * require MG_ECORRUPT. Returns false when r cannot be encoded (over a cap),
 * with the code in *code: an error only if fuzz_check_parsed() held, which
 * the caller decides. */
static inline bool fuzz_round_trip_as(const mg_record *r, int version, int *code)
{
    unsigned char *enc = NULL, *enc2 = NULL;
    size_t n = 0, n2 = 0;
    mg_err err;
    int rc = mg_record_encode_as(r, version, &enc, &n, &err);
    *code = rc;
    if (rc != 0) {
        if (enc)
            fuzz_fail("encode failed (%d) but left a buffer", rc);
        if (rc != -MG_ETOOBIG && rc != -MG_ENOMEM)
            fuzz_fail("encode failed with code %d: %s", rc, err.msg);
        return false;
    }
    if (n == 0 || enc[0] != version)
        fuzz_fail("encoding of version %d starts with %d", version, n ? enc[0] : -1);
    mg_record back;
    mg_record_init(&back);
    rc = mg_record_decode(enc, n, &back, &err);
    if (rc != 0)
        fuzz_fail("decode of a fresh version %d encoding failed (%d): %s", version, rc, err.msg);
    fuzz_same_record(r, &back);
    rc = mg_record_encode_as(&back, version, &enc2, &n2, &err);
    if (rc != 0)
        fuzz_fail("re-encode failed (%d): %s", rc, err.msg);
    if (n != n2 || memcmp(enc, enc2, n) != 0)
        fuzz_fail("encoding is not deterministic (%zu vs %zu bytes)", n, n2);
    /* Every proper prefix of a good record is corrupt, never a crash: try a
     * few (all of them would be quadratic on a big body). */
    size_t cuts[] = {0, 1, n / 2, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        if (cuts[i] >= n)
            continue;
        rc = mg_record_decode(enc, cuts[i], &back, &err);
        if (rc != -MG_ECORRUPT || !fuzz_is_released(&back))
            fuzz_fail("a %zu-byte prefix of a %zu-byte record decoded with %d", cuts[i], n, rc);
    }
    mg_record_release(&back);
    free(enc);
    free(enc2);
    return true;
}

/* fuzz_round_trip_as() in every format version mg_record_decode() reads,
 * and the default one from mg_record_encode(). */
FUZZ_UNUSED static bool fuzz_round_trip(const mg_record *r, int *code)
{
    if (!fuzz_round_trip_as(r, MG_RECORD_LZ4, code) ||
        !fuzz_round_trip_as(r, MG_RECORD_PLAIN, code) ||
        !fuzz_round_trip_as(r, MG_RECORD_LZ4_WHITE, code))
        return false;
    unsigned char *enc = NULL;
    size_t n = 0;
    mg_err err;
    if ((*code = mg_record_encode(r, &enc, &n, &err)) != 0)
        fuzz_fail("mg_record_encode failed (%d) where mg_record_encode_as did not", *code);
    if (enc[0] != MG_RECORD_VERSION)
        fuzz_fail("mg_record_encode wrote version %d", enc[0]);
    free(enc);
    return true;
}

#ifndef MG_LIBFUZZER
/* Read a whole file; NULL on failure. */
static unsigned char *fuzz_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, got;
    unsigned char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static int fuzz_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay every file of the directory argv[1] through LLVMFuzzerTestOneInput,
 * in name order, and print one TAP result for the lot. Each input is named
 * in a "# input" line first: a broken invariant aborts in the middle, the
 * runner counts the exit status, and the last such line names the culprit. */
int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    printf("1..1\n");
    DIR *d = opendir(argv[1]);
    if (!d) {
        printf("not ok 1 - cannot open %s\n", argv[1]);
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0, unreadable = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn)
                abort();
            names = nn;
        }
        if (!(names[n++] = strdup(e->d_name)))
            abort();
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof *names, fuzz_name_cmp);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
        size_t len = 0;
        unsigned char *buf = fuzz_slurp(path, &len);
        if (!buf) {
            printf("# cannot read %s\n", path);
            unreadable++;
        } else {
            printf("# input %s (%zu bytes)\n", names[i], len);
            fflush(stdout);
            LLVMFuzzerTestOneInput(buf, len);
            free(buf);
        }
        free(names[i]);
    }
    free(names);
    bool bad = n == 0 || unreadable > 0;
    printf("%s 1 - replayed %zu inputs of %s (%zu unreadable)\n", bad ? "not ok" : "ok",
           n - unreadable, argv[1], unreadable);
    return bad;
}
#endif

#endif
