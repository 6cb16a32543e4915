/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/hash.h, the library's one FNV-1a: the published test values of
 * FNV-1a 32 and 64, the unrolled loops against one byte at a time at every
 * length and split, and the mixer's values. Stored hashes (record
 * checksums, derived ids, content and near-duplicate keys) depend on these
 * staying what they are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "hash.h"

static void test_published_values(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        uint32_t h32;
        uint64_t h64;
    } v[] = {
        {"", 0x811c9dc5u, 0xcbf29ce484222325ULL},
        {"a", 0xe40c292cu, 0xaf63dc4c8601ec8cULL},
        {"foobar", 0xbf9cf968u, 0x85944171f73967e8ULL},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        assert_int_equal(mg_fnv1a32(MG_FNV32_OFFSET, v[i].s, strlen(v[i].s)), v[i].h32);
        assert_true(mg_fnv1a64(MG_FNV64_OFFSET, v[i].s, strlen(v[i].s)) == v[i].h64);
    }
}

/* The unrolled loops give the byte-at-a-time values, at every length and
 * wherever a hash is continued. */
static void test_unrolled_and_continued(void **state)
{
    (void)state;
    unsigned char buf[41];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 37 + 200);
    for (size_t n = 0; n <= sizeof buf; n++) {
        uint32_t r32 = MG_FNV32_OFFSET;
        uint64_t r64 = MG_FNV64_OFFSET;
        for (size_t i = 0; i < n; i++) {
            r32 = (r32 ^ buf[i]) * MG_FNV32_PRIME;
            r64 = (r64 ^ buf[i]) * MG_FNV64_PRIME;
        }
        assert_int_equal(mg_fnv1a32(MG_FNV32_OFFSET, buf, n), r32);
        assert_true(mg_fnv1a64(MG_FNV64_OFFSET, buf, n) == r64);
        for (size_t cut = 0; cut <= n; cut++) {
            assert_int_equal(mg_fnv1a32(mg_fnv1a32(MG_FNV32_OFFSET, buf, cut), buf + cut, n - cut),
                             r32);
            assert_true(mg_fnv1a64(mg_fnv1a64(MG_FNV64_OFFSET, buf, cut), buf + cut, n - cut) ==
                        r64);
        }
    }
}

static void test_mix(void **state)
{
    (void)state;
    assert_true(mg_hash_mix64(0) == 0);
    /* MurmurHash3's fmix64 of 1 */
    assert_true(mg_hash_mix64(1) == 0xb456bcfc34c2cb2cULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published_values),
        cmocka_unit_test(test_unrolled_and_continued),
        cmocka_unit_test(test_mix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
