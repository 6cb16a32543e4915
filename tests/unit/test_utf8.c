/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/utf8: validation, repair and clipping against a reference written
 * from the Unicode standard's table of well-formed byte sequences (Table 3-7),
 * on fixed cases and on random texts with bad bytes at every offset, so the
 * eight-bytes-at-a-time ASCII step in mg_utf8_valid is checked at each
 * alignment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Length of the well-formed sequence at s, or 0 if there is none. */
static size_t ref_seq(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c <= 0x7F)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

static bool ref_valid(const unsigned char *s, size_t len)
{
    for (size_t i = 0, n; i < len; i += n)
        if (!(n = ref_seq(s + i, len - i)))
            return false;
    return true;
}

static void test_fixed_cases(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool ok;
    } cases[] = {
        {"", true},
        {"plain ASCII text, longer than eight bytes", true},
        {"M\xC3\xBCller", true},                 /* ü */
        {"\xE2\x80\x99s", true},                 /* ’ */
        {"\xF0\x9F\x93\xB0 news", true},         /* U+1F4F0 */
        {"\xEF\xBF\xBD", true},                  /* U+FFFD spelled out */
        {"abcdefgh\xC3", false},                 /* truncated after 8 ASCII */
        {"abcdefg\xC3\xBC", true},               /* a character across the 8-byte step */
        {"\xC0\xAF", false},                     /* overlong '/' */
        {"\xE0\x80\xAF", false},                 /* overlong */
        {"\xED\xA0\x80", false},                 /* surrogate D800 */
        {"\xF4\x90\x80\x80", false},             /* past U+10FFFF */
        {"\xF5\x80\x80\x80", false},             /* no such lead byte */
        {"abcdefghijklmnop\x80qrstuvwx", false}, /* lone continuation byte */
        {"abcdefghijklmnopqrstuvwxyz012345\xFF", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].s);
        assert_int_equal(ref_valid((const unsigned char *)cases[i].s, n), cases[i].ok);
        assert_int_equal(mg_utf8_valid(cases[i].s, n), cases[i].ok);
    }
}

/* Random texts: mostly ASCII, some well-formed characters, and now and then
 * a byte from the ranges that go wrong, at every offset. */
static void test_random_texts_agree_with_reference(void **state)
{
    (void)state;
    static const char *const pieces[] = {"\xC3\xA9", "\xE2\x80\x94", "\xF0\x9F\x98\x80",
                                         "\xE4\xB8\xAD", "\xEF\xBF\xBD"};
    static const unsigned char bad[] = {0x80, 0xBF, 0xC0, 0xC1, 0xC3, 0xE0,
                                        0xED, 0xF0, 0xF4, 0xF5, 0xFF};
    unsigned seed = 20261126;
    unsigned char buf[96];
    unsigned long invalid = 0;
    for (int round = 0; round < 40000; round++) {
        size_t len = 0, want = (size_t)(rand_r(&seed) % 80);
        while (len < want) {
            int r = rand_r(&seed) % 100;
            if (r < 3) {
                buf[len++] = bad[rand_r(&seed) % sizeof bad];
            } else if (r < 10) {
                const char *p = pieces[rand_r(&seed) % 5];
                size_t pl = strlen(p);
                if (len + pl > sizeof buf)
                    break;
                memcpy(buf + len, p, pl);
                len += pl;
            } else {
                buf[len++] = (unsigned char)(' ' + rand_r(&seed) % 95);
            }
        }
        bool want_ok = ref_valid(buf, len);
        invalid += !want_ok;
        assert_int_equal(mg_utf8_valid((const char *)buf, len), want_ok);

        char *fixed;
        size_t fixed_len;
        long n = mg_utf8_repair((const char *)buf, len, &fixed, &fixed_len);
        assert_true(n >= 0);
        assert_int_equal(n == 0, want_ok);
        assert_true(ref_valid((const unsigned char *)fixed, fixed_len));
        if (want_ok)
            assert_memory_equal(fixed, buf, len);
        size_t cut = mg_utf8_clip(fixed, fixed_len, fixed_len / 2);
        assert_true(cut <= fixed_len / 2);
        assert_true(ref_valid((const unsigned char *)fixed, cut));
        free(fixed);
    }
    /* The generator did make both kinds. */
    assert_true(invalid > 1000 && invalid < 39000);
}

/* Every single invalid byte in a run of ASCII, at every position of a
 * 40-byte text (every alignment of the eight-byte step). */
static void test_one_bad_byte_at_every_offset(void **state)
{
    (void)state;
    char buf[41];
    for (size_t at = 0; at < 40; at++) {
        memset(buf, 'a', 40);
        buf[40] = '\0';
        assert_true(mg_utf8_valid(buf, 40));
        buf[at] = (char)0x80;
        assert_false(mg_utf8_valid(buf, 40));
        /* ...and a text that stops just before the bad byte is valid. */
        assert_true(mg_utf8_valid(buf, at));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_cases),
        cmocka_unit_test(test_random_texts_agree_with_reference),
        cmocka_unit_test(test_one_bad_byte_at_every_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
