/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the reply writer (lib/jsonw.h): its text is what jansson
 * writes for the same values (byte for byte, except U+2028/U+2029, which it
 * escapes), it always parses back to the values written, invalid UTF-8 is
 * repaired as mg_utf8_repair() does, and the size cap and nesting limit
 * fail cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonw.h"
#include "utf8.h"

/* The writer's text for one string value. */
static char *write_str(const char *s, size_t n)
{
    mg_jw w;
    mg_jw_init(&w, 0);
    mg_jw_strn(&w, s, n);
    size_t len;
    char *out = mg_jw_take(&w, &len);
    assert_non_null(out);
    assert_int_equal(strlen(out), len);
    return out;
}

/* jansson's text for the same (valid UTF-8) string. */
static char *jansson_str(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    assert_non_null(j);
    char *out = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(j);
    return out;
}

static void assert_like_jansson(const char *s, size_t n)
{
    char *a = write_str(s, n), *b = jansson_str(s, n);
    if (strcmp(a, b) != 0)
        print_error("writer  %s\njansson %s\n", a, b);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* Parse the writer's text of s back; it must be the repaired s. */
static void assert_round_trip(const char *s, size_t n)
{
    char *text = write_str(s, n);
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!j)
        print_error("does not parse: %s: %s\n", je.text, text);
    assert_non_null(j);
    char *want;
    size_t wn;
    assert_true(mg_utf8_repair(s, n, &want, &wn) >= 0);
    assert_int_equal(json_string_length(j), wn);
    assert_memory_equal(json_string_value(j), want, wn);
    free(want);
    json_decref(j);
    free(text);
}

static void test_structure(void **state)
{
    (void)state;
    mg_jw w;
    mg_jw_init(&w, 0);
    mg_jw_obj_open(&w);
    mg_jw_key(&w, "a");
    mg_jw_int(&w, 1);
    mg_jw_key(&w, "b");
    mg_jw_arr_open(&w);
    mg_jw_arr_close(&w);
    mg_jw_key(&w, "c");
    mg_jw_obj_open(&w);
    mg_jw_obj_close(&w);
    mg_jw_key(&w, "d");
    mg_jw_arr_open(&w);
    mg_jw_null(&w);
    mg_jw_bool(&w, true);
    mg_jw_bool(&w, false);
    mg_jw_str(&w, NULL);
    mg_jw_obj_open(&w);
    mg_jw_key(&w, "e\"");
    mg_jw_str(&w, "");
    mg_jw_obj_close(&w);
    mg_jw_arr_close(&w);
    mg_jw_key(&w, "f");
    char *v[] = {"x", NULL, "y"};
    mg_jw_strs(&w, v, 3);
    mg_jw_obj_close(&w);
    assert_false(mg_jw_failed(&w));
    assert_string_equal(w.buf,
                        "{\"a\":1,\"b\":[],\"c\":{},\"d\":[null,true,false,null,{\"e\\\"\":\"\"}],"
                        "\"f\":[\"x\",null,\"y\"]}");
    /* reset keeps the buffer and starts over */
    char *buf = w.buf;
    mg_jw_reset(&w);
    assert_int_equal(w.len, 0);
    mg_jw_arr_open(&w);
    mg_jw_int(&w, 2);
    mg_jw_arr_close(&w);
    assert_ptr_equal(w.buf, buf);
    assert_string_equal(w.buf, "[2]");
    /* insert and truncate */
    mg_jw_insert(&w, 1, "1,", 2);
    assert_string_equal(w.buf, "[1,2]");
    mg_jw_truncate(&w, 1);
    assert_string_equal(w.buf, "[");
    mg_jw_release(&w);
    assert_null(w.buf);
}

static void test_ascii_like_jansson(void **state)
{
    (void)state;
    char all[128];
    for (int c = 1; c < 128; c++) {
        char one = (char)c;
        assert_like_jansson(&one, 1);
        all[c - 1] = (char)c;
    }
    all[127] = '\0';
    assert_like_jansson(all, 127);
    /* specials at every offset of the 8-byte fast path */
    static const char *const specials[] = {"\"",   "\\",   "\n",       "\x01",
                                           "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac"};
    for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++)
        for (size_t at = 0; at < 24; at++) {
            char buf[32];
            memset(buf, 'a', sizeof buf);
            memcpy(buf + at, specials[k], strlen(specials[k]));
            assert_like_jansson(buf, sizeof buf);
            assert_round_trip(buf, sizeof buf);
        }
}

static void test_random_utf8_like_jansson(void **state)
{
    (void)state;
    unsigned seed = 7;
    for (int round = 0; round < 2000; round++) {
        unsigned char buf[600];
        size_t n = 0;
        seed = seed * 1103515245u + 12345u;
        size_t chars = (seed >> 16) % 120;
        for (size_t i = 0; i < chars; i++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t r = seed >> 8, cp;
            switch (r % 4) {
            case 0:
                cp = r % 0x80;
                break;
            case 1:
                cp = 0x80 + r % 0x780;
                break;
            case 2:
                cp = 0x800 + r % 0xf800;
                break;
            default:
                cp = 0x10000 + r % 0x100000;
            }
            if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0x2028 || cp == 0x2029)
                cp = 'z';
            n += mg_utf8_encode(cp, buf + n);
        }
        assert_like_jansson((const char *)buf, n);
    }
}

static void test_hostile_strings(void **state)
{
    (void)state;
    /* U+2028 and U+2029 escaped, and still the same string */
    char *t = write_str("a\xe2\x80\xa8"
                        "b\xe2\x80\xa9",
                        8);
    assert_string_equal(t, "\"a\\u2028b\\u2029\"");
    free(t);
    assert_round_trip("a\xe2\x80\xa8"
                      "b\xe2\x80\xa9",
                      8);
    /* NUL bytes (only through strn) */
    t = write_str("a\0b", 3);
    assert_string_equal(t, "\"a\\u0000b\"");
    free(t);
    assert_round_trip("a\0b", 3);
    /* invalid UTF-8: lone continuation, truncated sequences, overlong forms,
     * surrogates, past U+10FFFF, 0xfe/0xff, a real U+FFFD */
    static const char *const bad[] = {
        "\x80",
        "a\xbf",
        "\xc3",
        "\xe2\x82",
        "\xf0\x9f\x98",
        "\xc0\xaf",
        "\xe0\x80\xaf",
        "\xf0\x80\x80\xaf",
        "\xed\xa0\x80",
        "\xed\xbf\xbf",
        "\xf4\x90\x80\x80",
        "\xfe\xff",
        "\xef\xbf\xbd",
        "x\xe2\x28\xa1y",
        "\xc3\xa9\xc3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_round_trip(bad[i], strlen(bad[i]));
    t = write_str("\xc3", 1);
    assert_string_equal(t, "\"\xef\xbf\xbd\"");
    free(t);
    /* keys are escaped like strings */
    mg_jw w;
    mg_jw_init(&w, 0);
    mg_jw_obj_open(&w);
    mg_jw_key(&w, "k\"\n\xff");
    mg_jw_int(&w, 1);
    mg_jw_obj_close(&w);
    json_t *j = json_loads(w.buf, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "k\"\n\xef\xbf\xbd")), 1);
    json_decref(j);
    mg_jw_release(&w);
    /* a long string crosses the escaping segments */
    size_t n = 5000;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = "ab\"\\\n\xc3\xa9\xe2\x80\xa8\xff"[i % 11];
    assert_round_trip(big, n);
    free(big);
}

static void test_numbers(void **state)
{
    (void)state;
    static const long long ints[] = {0, 1, -1, 9, 10, 1234567890123LL, LLONG_MAX, LLONG_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        mg_jw w;
        mg_jw_init(&w, 0);
        mg_jw_int(&w, ints[i]);
        char want[32];
        snprintf(want, sizeof want, "%lld", ints[i]);
        assert_string_equal(w.buf, want);
        mg_jw_release(&w);
    }
    mg_jw w;
    mg_jw_init(&w, 0);
    mg_jw_uint(&w, ULLONG_MAX);
    assert_string_equal(w.buf, "18446744073709551615");
    mg_jw_release(&w);

    static const double reals[] = {0.0,     -0.0,      1.0,     -2.5,        0.1,
                                   1.0 / 3, 12.345678, 1e22,    1e21,        1e-7,
                                   1e300,   -1e-300,   DBL_MAX, DBL_MIN,     5e-324,
                                   123e45,  42.0,      1e16,    4.35281e-05, 9007199254740993.0};
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        mg_jw_init(&w, 0);
        mg_jw_real(&w, reals[i]);
        json_t *r = json_real(reals[i]);
        char *want = json_dumps(r, JSON_ENCODE_ANY);
        assert_string_equal(w.buf, want);
        json_t *back = json_loads(w.buf, JSON_DECODE_ANY, NULL);
        assert_true(json_is_real(back));
        assert_true(json_real_value(back) == reals[i]);
        json_decref(back);
        free(want);
        json_decref(r);
        mg_jw_release(&w);
    }
    mg_jw_init(&w, 0);
    mg_jw_arr_open(&w);
    mg_jw_real(&w, NAN);
    mg_jw_real(&w, INFINITY);
    mg_jw_arr_close(&w);
    assert_string_equal(w.buf, "[null,null]");
    mg_jw_release(&w);
}

/* Reals in the range the writer formats without printf (1e-4 <= |v| < 2^53),
 * its edges and the ties of its rounding, as jansson writes them. */
static uint64_t xorshift(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return *st;
}

static void test_reals_like_jansson(void **state)
{
    (void)state;
    uint64_t st = 88172645463325252ull;
    unsigned differ = 0;
    for (int i = 0; i < 200000; i++) {
        double v;
        switch (i % 4) {
        case 0: /* any mantissa, exponents across and around the range */
            v = ldexp((double)(xorshift(&st) >> 11), -(int)(xorshift(&st) % 120));
            break;
        case 1: /* scores and such: a few digits at every scale */
            v = pow(10, (double)((int)(xorshift(&st) % 24) - 6)) *
                (1 + (double)(xorshift(&st) % 1000) / 1000.0);
            break;
        case 2: /* powers of ten and their neighbours */
            v = pow(10, (double)((int)(xorshift(&st) % 22) - 5));
            for (int k = (int)(xorshift(&st) % 3); k > 0; k--)
                v = nextafter(v, (xorshift(&st) & 1) ? INFINITY : 0);
            break;
        default: /* quarters of 16-digit integers: 18 digits, ties at the 17th */
            v = (double)(xorshift(&st) % 10000000000000000ull) / 4.0;
            break;
        }
        if (xorshift(&st) & 1)
            v = -v;
        mg_jw w;
        mg_jw_init(&w, 0);
        mg_jw_real(&w, v);
        json_t *r = json_real(v);
        char *want = json_dumps(r, JSON_ENCODE_ANY);
        if (strcmp(w.buf, want) != 0 && differ++ < 5)
            print_message("# %.17g: wrote %s, jansson %s\n", v, w.buf, want);
        free(want);
        json_decref(r);
        mg_jw_release(&w);
    }
    /* ties to even, as printf rounds: ...562|5 down, ...567|5 up */
    mg_jw w;
    mg_jw_init(&w, 0);
    mg_jw_real(&w, 1234567890123456.25);
    assert_string_equal(w.buf, "1234567890123456.2");
    mg_jw_reset(&w);
    mg_jw_real(&w, 1234567890123456.75);
    assert_string_equal(w.buf, "1234567890123456.8");
    mg_jw_release(&w);
    assert_int_equal(differ, 0);
}

static void test_limits(void **state)
{
    (void)state;
    mg_jw w;
    mg_jw_init(&w, 64);
    mg_jw_arr_open(&w);
    mg_jw_str(&w, "short");
    assert_false(mg_jw_failed(&w));
    char big[100];
    memset(big, 'x', sizeof big);
    mg_jw_strn(&w, big, sizeof big);
    assert_true(mg_jw_failed(&w));
    mg_jw_int(&w, 1); /* sticky: nothing more */
    assert_true(mg_jw_failed(&w));
    size_t len = 99;
    assert_null(mg_jw_take(&w, &len));
    assert_int_equal(len, 0);
    /* the writer is usable again */
    mg_jw_bool(&w, true);
    assert_string_equal(w.buf, "true");
    mg_jw_release(&w);

    mg_jw_init(&w, 0);
    for (int i = 0; i < MG_JW_MAX_DEPTH + 2; i++)
        mg_jw_arr_open(&w);
    assert_true(mg_jw_failed(&w));
    mg_jw_reset(&w);
    assert_false(mg_jw_failed(&w));
    mg_jw_obj_close(&w); /* a close without an open */
    assert_true(mg_jw_failed(&w));
    mg_jw_release(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_ascii_like_jansson),
        cmocka_unit_test(test_random_utf8_like_jansson),
        cmocka_unit_test(test_hostile_strings),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_reals_like_jansson),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
