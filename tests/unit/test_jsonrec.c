/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A record's JSON (lib/jsonrec.c, reader.h mg_record_from_json): every
 * field and its forms, derived ids, every bad-record message, the caps, and
 * the fast parser against jansson on hand-made lines and on every line of
 * the real corpora. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files_fixture.h"
#include "jsonrec.h"

/* ---- mg_record_from_json ------------------------------------------------ */

static int parse(const char *json, mg_record *rec, char *warning, mg_err *err)
{
    return mg_record_from_json(json, strlen(json), "f.jsonl:7", rec, warning, 256, err);
}

static void test_json_all_fields(void **state)
{
    (void)state;
    mg_record rec;
    mg_err err;
    char warning[256];
    mg_record_init(&rec);
    const char *line =
        "{\"id\":\" mw-1 \",\"title\":\"  Title \\u00e9 \",\"body\":\"\\n Body text\\n\\nmore "
        "\\n\","
        "\"date\":\"Thu, 26 Feb 1987 15:01:01 +0100\",\"source\":\"Morgue Wire\","
        "\"url\":\"https://x.example/a\",\"author\":[\"Ann Lee\",\"\",\" Bo Chu \"],"
        "\"category\":[\"markets\",\"trade\"],\"topics\":[\"trade\",\"grain\",\"markets\",\" \"],"
        "\"lang\":\"en\",\"extra\":{\"nested\":[1,2,{\"x\":null}]},\"places\":[\"usa\"],"
        "\"text_type\":7}";
    assert_int_equal(parse(line, &rec, warning, &err), 0);
    assert_string_equal(rec.id, "mw-1");
    assert_string_equal(rec.title, "Title \xC3\xA9");
    assert_string_equal(rec.body, "Body text\n\nmore");
    assert_string_equal(rec.date, "1987-02-26T14:01:01");
    assert_string_equal(rec.source, "Morgue Wire");
    assert_string_equal(rec.url, "https://x.example/a");
    assert_string_equal(rec.author, "Ann Lee; Bo Chu");
    assert_string_equal(rec.lang, "en");
    assert_int_equal(rec.ncategories, 3);
    assert_string_equal(rec.categories[0], "markets");
    assert_string_equal(rec.categories[1], "trade");
    assert_string_equal(rec.categories[2], "grain");
    assert_string_equal(warning, "");
    assert_int_equal(err.code, MG_OK);

    /* A second parse into the same record releases the first (no leak). */
    assert_int_equal(parse("{\"title\":\"Only\"}", &rec, warning, &err), 0);
    assert_string_equal(rec.title, "Only");
    assert_string_equal(rec.body, "");
    assert_string_equal(rec.date, "");
    assert_string_equal(rec.source, "");
    assert_string_equal(rec.url, "");
    assert_string_equal(rec.author, "");
    assert_string_equal(rec.lang, "");
    assert_int_equal(rec.ncategories, 0);
    mg_record_release(&rec);
}

static void test_json_null_is_absent_and_string_forms(void **state)
{
    (void)state;
    mg_record rec;
    mg_err err;
    char warning[256];
    mg_record_init(&rec);
    assert_int_equal(parse("{\"id\":null,\"title\":null,\"body\":\"B\",\"date\":null,"
                           "\"source\":null,\"url\":null,\"author\":\"Solo Writer\","
                           "\"category\":\"world\",\"topics\":null,\"lang\":null}",
                           &rec, warning, &err),
                     0);
    assert_string_equal(rec.title, "");
    assert_string_equal(rec.body, "B");
    assert_string_equal(rec.author, "Solo Writer");
    assert_int_equal(rec.ncategories, 1);
    assert_string_equal(rec.categories[0], "world");
    assert_true(strncmp(rec.id, "sha-", 4) == 0);
    /* An empty date, id or topics list is as good as none. */
    assert_int_equal(
        parse("{\"id\":\"  \",\"title\":\"T\",\"date\":\"\",\"topics\":[]}", &rec, warning, &err),
        0);
    assert_string_equal(rec.date, "");
    assert_true(strncmp(rec.id, "sha-", 4) == 0);
    assert_int_equal(rec.ncategories, 0);
    /* The same key twice: the last one wins (jansson's rule). */
    assert_int_equal(parse("{\"title\":\"first\",\"title\":\"second\"}", &rec, warning, &err), 0);
    assert_string_equal(rec.title, "second");
    mg_record_release(&rec);
}

static void test_json_derived_ids(void **state)
{
    (void)state;
    mg_record rec;
    mg_err err;
    char warning[256], want[32], first[32];
    const uint64_t basis = 0xcbf29ce484222325ULL;
    mg_record_init(&rec);

    /* the FNV-1a test vector, so the oracle itself is right */
    assert_true(fnv1a64("a", 1, basis) == 0xaf63dc4c8601ec8cULL);

    assert_int_equal(
        parse("{\"title\":\"T\",\"url\":\" https://example.org/derived \"}", &rec, warning, &err),
        0);
    snprintf(want, sizeof want, "url-%016llx",
             (unsigned long long)fnv1a64("https://example.org/derived", 27, basis));
    assert_string_equal(rec.id, want);
    /* the url decides, not the text */
    assert_int_equal(
        parse("{\"title\":\"Other\",\"body\":\"x\",\"url\":\"https://example.org/derived\"}", &rec,
              warning, &err),
        0);
    assert_string_equal(rec.id, want);

    /* from the content: title, a NUL, body */
    assert_int_equal(parse("{\"title\":\"ab\",\"body\":\"c\"}", &rec, warning, &err), 0);
    snprintf(want, sizeof want, "sha-%016llx",
             (unsigned long long)fnv1a64("c", 1, fnv1a64("ab", 3, basis)));
    assert_string_equal(rec.id, want);
    snprintf(first, sizeof first, "%s", rec.id);
    assert_int_equal(
        parse("{\"body\":\"c\",\"title\":\" ab\",\"date\":\"1987\"}", &rec, warning, &err), 0);
    assert_string_equal(rec.id, first); /* stable: same text, same id */
    assert_int_equal(parse("{\"title\":\"a\",\"body\":\"bc\"}", &rec, warning, &err), 0);
    assert_string_not_equal(rec.id, first);
    assert_int_equal(parse("{\"title\":\"ab\",\"body\":\"C\"}", &rec, warning, &err), 0);
    assert_string_not_equal(rec.id, first);
    mg_record_release(&rec);
}

static void expect_bad(const char *json, const char *want)
{
    mg_record rec;
    mg_err err;
    char warning[256];
    mg_record_init(&rec);
    int rc = parse(json, &rec, warning, &err);
    if (rc == 0 || strcmp(err.msg, want) != 0)
        print_error("input %.80s\n  got  %s\n  want %s\n", json, rc == 0 ? "(accepted)" : err.msg,
                    want);
    assert_int_equal(rc, -MG_EFORMAT);
    assert_int_equal(err.code, MG_EFORMAT);
    assert_string_equal(err.msg, want);
    /* a failed parse leaves the record released */
    assert_null(rec.id);
    assert_null(rec.title);
    assert_null(rec.categories);
    mg_record_release(&rec);
}

static void test_json_bad_records(void **state)
{
    (void)state;
    expect_bad("{\"title\":\"x\"", "f.jsonl:7: malformed JSON: '}' expected near end of file "
                                   "(column 12)");
    expect_bad("{\"title\":\"x\"} trailing", "f.jsonl:7: malformed JSON: end of file expected "
                                             "near 'trailing' (column 22)");
    expect_bad("{\"title\":\"x\\q\"}", "f.jsonl:7: malformed JSON: invalid escape near "
                                       "'\"x\\q' (column 13)");
    expect_bad("[1,2]", "f.jsonl:7: not a JSON object");
    expect_bad("42", "f.jsonl:7: not a JSON object");
    expect_bad("\"a string\"", "f.jsonl:7: not a JSON object");
    expect_bad("null", "f.jsonl:7: not a JSON object");
    expect_bad("{}", "f.jsonl:7: neither title nor body");
    expect_bad("{\"title\":\"\",\"body\":\" \\t\\n \",\"source\":\"S\"}",
               "f.jsonl:7: neither title nor body");
    expect_bad("{\"title\":\"x\",\"date\":\"1987-13-01\"}", "f.jsonl:7: bad date \"1987-13-01\"");
    expect_bad("{\"title\":\"x\",\"date\":\"yesterday\"}", "f.jsonl:7: bad date \"yesterday\"");
    expect_bad("{\"title\":\"x\",\"date\":\"0123456789012345678901234567890123456789012345678901"
               "234567890123456789\"}",
               "f.jsonl:7: bad date \"0123456789012345678901234567890123456789012345678901234567"
               "890123...\"");
    expect_bad("{\"title\":5,\"body\":\"x\"}", "f.jsonl:7: field \"title\" must be a string");
    expect_bad("{\"title\":\"x\",\"body\":true}", "f.jsonl:7: field \"body\" must be a string");
    expect_bad("{\"title\":\"x\",\"id\":17}", "f.jsonl:7: field \"id\" must be a string");
    expect_bad("{\"title\":\"x\",\"date\":19870226}", "f.jsonl:7: field \"date\" must be a string");
    expect_bad("{\"title\":\"x\",\"source\":[]}", "f.jsonl:7: field \"source\" must be a string");
    expect_bad("{\"title\":\"x\",\"url\":{}}", "f.jsonl:7: field \"url\" must be a string");
    expect_bad("{\"title\":\"x\",\"lang\":1.5}", "f.jsonl:7: field \"lang\" must be a string");
    expect_bad("{\"title\":\"x\",\"author\":{}}",
               "f.jsonl:7: field \"author\" must be a string or an array of strings");
    expect_bad("{\"title\":\"x\",\"author\":[\"a\",2]}",
               "f.jsonl:7: field \"author\" must be a string or an array of strings");
    expect_bad("{\"title\":\"x\",\"category\":[\"a\",null]}",
               "f.jsonl:7: field \"category\" must be a string or an array of strings");
    expect_bad("{\"title\":\"x\",\"topics\":3}",
               "f.jsonl:7: field \"topics\" must be a string or an array of strings");
}

/* {"KEY":"<n times c>"<extra>} */
static char *json_with(const char *key, size_t n, const char *extra)
{
    size_t klen = strlen(key), elen = strlen(extra);
    char *s = malloc(n + klen + elen + 16);
    assert_non_null(s);
    size_t o = (size_t)sprintf(s, "{\"%s\":\"", key);
    memset(s + o, 'x', n);
    o += n;
    sprintf(s + o, "\"%s}", extra);
    return s;
}

static void expect_len(const char *key, size_t n, const char *extra, const char *want)
{
    char *json = json_with(key, n, extra);
    if (want) {
        expect_bad(json, want);
    } else {
        mg_record rec;
        mg_err err;
        char warning[256];
        mg_record_init(&rec);
        assert_int_equal(parse(json, &rec, warning, &err), 0);
        mg_record_release(&rec);
    }
    free(json);
}

/* A field of exactly cap bytes passes; one byte more is a bad record. */
static void expect_cap(const char *key, size_t cap, const char *extra)
{
    char want[128];
    expect_len(key, cap, extra, NULL);
    snprintf(want, sizeof want, "f.jsonl:7: field \"%s\" too long (%zu bytes, cap %zu)", key,
             cap + 1, cap);
    expect_len(key, cap + 1, extra, want);
}

static void test_json_caps(void **state)
{
    (void)state;
    expect_cap("title", MG_MAX_TITLE, "");
    expect_cap("body", MG_MAX_BODY, "");
    expect_cap("id", MG_MAX_ID, ",\"title\":\"t\"");
    expect_cap("source", MG_MAX_FIELD, ",\"title\":\"t\"");
    expect_cap("url", MG_MAX_FIELD, ",\"title\":\"t\"");
    char want[128]; /* a date is checked for length before it is parsed */
    snprintf(want, sizeof want, "f.jsonl:7: field \"date\" too long (%d bytes, cap %d)",
             MG_MAX_FIELD + 1, MG_MAX_FIELD);
    expect_len("date", MG_MAX_FIELD + 1, ",\"title\":\"t\"", want);
    expect_cap("lang", MG_MAX_FIELD, ",\"title\":\"t\"");
    expect_cap("author", MG_MAX_FIELD, ",\"title\":\"t\"");
    expect_cap("category", MG_MAX_FIELD, ",\"title\":\"t\"");
    expect_cap("topics", MG_MAX_FIELD, ",\"title\":\"t\"");
    /* two 3000-byte author names joined with "; " */
    char *names = malloc(3001);
    assert_non_null(names);
    memset(names, 'a', 3000);
    names[3000] = '\0';
    char *authors = fmt("{\"title\":\"t\",\"author\":[\"%s\",\"%s\"]}", names, names);
    expect_bad(authors, "f.jsonl:7: field \"author\" too long (6002 bytes, cap 4096)");
    free(authors);
    free(names);
}

static void test_json_category_count_cap(void **state)
{
    (void)state;
    mg_record rec;
    mg_err err;
    char warning[256];
    mg_record_init(&rec);
    /* MG_MAX_CATS distinct names pass; one more is a bad record. Repeats
     * across category and topics do not count twice. */
    size_t cap = 16 * (MG_MAX_CATS + 2) + 64;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t o = (size_t)sprintf(s, "{\"title\":\"t\",\"category\":\"c0\",\"topics\":[");
    for (int i = 0; i < MG_MAX_CATS; i++)
        o += (size_t)sprintf(s + o, "%s\"c%d\"", i ? "," : "", i);
    sprintf(s + o, "]}");
    assert_int_equal(parse(s, &rec, warning, &err), 0);
    assert_int_equal(rec.ncategories, MG_MAX_CATS);
    sprintf(s + o, ",\"c%d\"]}", MG_MAX_CATS);
    char want[64];
    snprintf(want, sizeof want, "f.jsonl:7: too many categories (cap %d)", MG_MAX_CATS);
    expect_bad(s, want);
    free(s);
    mg_record_release(&rec);
}

static void test_json_nul_stripped(void **state)
{
    (void)state;
    mg_record rec;
    mg_err err;
    char warning[256];
    mg_record_init(&rec);
    assert_int_equal(parse("{\"title\":\"NUL\\u0000 inside\",\"body\":\"a\\u0000b\\u0000\","
                           "\"topics\":[\"\\u0000\"]}",
                           &rec, warning, &err),
                     0);
    assert_string_equal(rec.title, "NUL inside");
    assert_string_equal(rec.body, "ab");
    assert_int_equal(rec.ncategories, 0); /* a name that was only a NUL is empty */
    assert_string_equal(warning, "f.jsonl:7: NUL characters removed (4)");
    /* only NULs in the text is no text at all */
    expect_bad("{\"title\":\"\\u0000\",\"body\":\" \\u0000 \"}",
               "f.jsonl:7: neither title nor body");
    mg_record_release(&rec);
}

static void test_json_invalid_utf8_repaired(void **state)
{
    (void)state;
    mg_record rec;
    mg_err err;
    char warning[256];
    mg_record_init(&rec);
    assert_int_equal(parse("{\"title\":\"Caf\xE9\",\"body\":\"\xFF\xFE ok\"}", &rec, warning, &err),
                     0);
    assert_string_equal(rec.title, "Caf\xEF\xBF\xBD");
    assert_string_equal(rec.body, "\xEF\xBF\xBD\xEF\xBF\xBD ok");
    assert_string_equal(warning, "f.jsonl:7: invalid UTF-8 repaired (3 bytes)");
    /* both warnings at once */
    assert_int_equal(parse("{\"title\":\"\xC0 x\\u0000\"}", &rec, warning, &err), 0);
    assert_string_equal(warning,
                        "f.jsonl:7: invalid UTF-8 repaired (1 bytes); NUL characters removed (1)");
    /* a bad record with bad bytes still gets its own reason */
    expect_bad("{\"title\":\"\xE9\",\"date\":\"bad\"}", "f.jsonl:7: bad date \"bad\"");
    mg_record_release(&rec);
}

/* ---- the fast JSON parser against jansson ----------------------------- */

static void same_str(const char *a, const char *b, const char *line)
{
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
        fail_msg("fast and jansson paths differ (\"%s\" vs \"%s\") on: %.300s", a ? a : "(null)",
                 b ? b : "(null)", line);
}

/* mg_record_from_json must give what the jansson path gives: return code,
 * message, warning and every field. Returns 1 when the line parsed. */
static int same_both_ways(const char *line, size_t len)
{
    mg_record a, b;
    mg_err ea, eb;
    char wa[256], wb[256];
    mg_record_init(&a);
    mg_record_init(&b);
    int ra = mg_record_from_json(line, len, "f.jsonl:3", &a, wa, sizeof wa, &ea);
    int rb = mg_record_from_json_jansson(line, len, "f.jsonl:3", &b, wb, sizeof wb, &eb);
    if (ra != rb)
        fail_msg("fast path returned %d, jansson %d on: %.300s", ra, rb, line);
    same_str(wa, wb, line);
    if (ra) {
        same_str(ea.msg, eb.msg, line);
    } else {
        same_str(a.id, b.id, line);
        same_str(a.title, b.title, line);
        same_str(a.date, b.date, line);
        same_str(a.source, b.source, line);
        same_str(a.url, b.url, line);
        same_str(a.author, b.author, line);
        same_str(a.lang, b.lang, line);
        same_str(a.body, b.body, line);
        assert_int_equal(a.ncategories, b.ncategories);
        for (size_t i = 0; i < a.ncategories; i++)
            same_str(a.categories[i], b.categories[i], line);
    }
    mg_record_release(&a);
    mg_record_release(&b);
    return ra == 0;
}

/* Every line of a JSON Lines file, and (every step-th line) its prefixes
 * and a few one-byte edits; returns the number of lines that parsed. */
static long same_on_file(const char *path, unsigned step)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long ok = 0;
    unsigned k = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        ok += same_both_ways(line, (size_t)n);
        if (step && k++ % step == 0 && n > 0) {
            char *m = malloc((size_t)n + 1);
            assert_non_null(m);
            for (size_t cut = 0; cut < (size_t)n; cut += 1 + (size_t)n / 23)
                same_both_ways(line, cut);
            static const char edits[] = "\"\\,:{}[]0-.eEnu\t\x01 x";
            for (size_t e = 0; e < sizeof edits - 1; e++) {
                memcpy(m, line, (size_t)n);
                m[(size_t)(e * 7919 + k) % (size_t)n] = edits[e];
                same_both_ways(m, (size_t)n);
            }
            free(m);
        }
    }
    free(line);
    fclose(f);
    return ok;
}

static void test_json_fast_path_agrees(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "{}",
        " { } ",
        "[]",
        "\"x\"",
        "3",
        "null",
        "{\"title\":\"t\"}",
        "{\"title\":\"t\",}",
        "{\"title\":\"t\" \"body\":\"b\"}",
        "{\"title\" \"t\"}",
        "{\"title\":\"a\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\\b\\f\\r\"}",
        "{\"title\":\"\\ud83d\"}",
        "{\"title\":\"\\ude00x\"}",
        "{\"title\":\"\\ud83d\\u0041\"}",
        "{\"title\":\"\\u00zz\"}",
        "{\"title\":\"a\\u0000b\"}",
        "{\"title\":\"\\u0000 x \"}",
        "{\"ti\\u0074le\":\"escaped key\"}",
        "{\"title\":\"t\",\"title\":\"later wins\"}",
        "{\"title\":\"t\",\"label\":3,\"x\":-0.5,\"y\":true,\"z\":false,\"w\":null}",
        "{\"title\":\"t\",\"n\":01}",
        "{\"title\":\"t\",\"n\":1e5}",
        "{\"title\":\"t\",\"n\":-}",
        "{\"title\":\"t\",\"n\":123456789012345678901234567890}",
        "{\"title\":\"t\",\"n\":1.}",
        "{\"title\":\"t\",\"o\":{\"a\":[1,{}]}}",
        "{\"title\":\"t\",\"a\":[[1]]}",
        "{\"title\":\"t\",\"category\":[\"a\",\"b\",\"a\",\"\"],\"topics\":\"c\"}",
        "{\"title\":\"t\",\"category\":[\"a\",3]}",
        "{\"title\":\"t\",\"topics\":{}}",
        "{\"title\":\"t\",\"author\":[\"A\",\" \",\"B\"]}",
        "{\"title\":\"t\",\"author\":[]}",
        "{\"title\":\"t\",\"author\":[null]}",
        "{\"title\":7}",
        "{\"title\":[\"t\"]}",
        "{\"title\":\"t\",\"date\":\"26-FEB-1987 15:01:01.79\"}",
        "{\"title\":\"t\",\"date\":\"yesterday\"}",
        "{\"body\":\"b\",\"url\":\"http://x/\"}",
        "{\"title\":\"t\"} x",
        "{\"title\":\"t\"}\n",
        "{\"title\":\"t\"}}",
        "{\"title\":\"t\"",
        "{\"title\":\"tab\there\"}",
        "{\"title\":\"t\",\"a\":nul}",
        "{\"title\":\"t\",\"a\":truex}",
        "{\"title\":\"caf\xc3\xa9\"}",
        "{\"title\":\"bad \xff byte\"}",
        "{\"title\":\"t\",\"id\":\"\"}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        same_both_ways(cases[i], strlen(cases[i]));
    /* literal NUL bytes in the line */
    static const char nul_in[] = "{\"title\":\"a\0b\"}";
    same_both_ways(nul_in, sizeof nul_in - 1);

    char *p = path_in(root_dir(), "corpus/samples.jsonl");
    assert_true(same_on_file(p, 1) > 0);
    free(p);
    p = path_in(root_dir(), "tests/fixtures/bad-records.jsonl");
    assert_true(same_on_file(p, 1) >= 0);
    free(p);

    /* the fuzz corpus, each file one line */
    p = path_in(root_dir(), "tests/fuzz/corpus/json_record");
    DIR *d = opendir(p);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *fp = path_in(p, e->d_name);
        FILE *f = fopen(fp, "rb");
        assert_non_null(f);
        char *buf = malloc(1 << 20);
        assert_non_null(buf);
        size_t n = fread(buf, 1, 1 << 20, f);
        fclose(f);
        same_both_ways(buf, n);
        free(buf);
        free(fp);
    }
    closedir(d);
    free(p);

    /* the real corpora, every line (and edits of some) */
    const char *corpora = getenv("MORGUE_CORPORA");
    char *base = corpora && *corpora ? strdup(corpora) : path_in(root_dir(), "../shared/corpora");
    static const char *const real[] = {"reuters21578/reuters21578.jsonl", "ag_news/ag_news.jsonl"};
    for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
        char *rp = path_in(base, real[i]);
        if (access(rp, R_OK) == 0)
            assert_true(same_on_file(rp, 97) > 1000);
        free(rp);
    }
    free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_all_fields),
        cmocka_unit_test(test_json_null_is_absent_and_string_forms),
        cmocka_unit_test(test_json_derived_ids),
        cmocka_unit_test(test_json_bad_records),
        cmocka_unit_test(test_json_caps),
        cmocka_unit_test(test_json_category_count_cap),
        cmocka_unit_test(test_json_nul_stripped),
        cmocka_unit_test(test_json_invalid_utf8_repaired),
        cmocka_unit_test(test_json_fast_path_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
