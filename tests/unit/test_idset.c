/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/idset (the ids a run has seen) and lib/hash.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"
#include "idset.h"

static void test_fnv_vectors(void **state)
{
    (void)state;
    /* The published FNV-1a 64 test vectors. */
    assert_true(mg_fnv1a64(MG_FNV64_OFFSET, "", 0) == 0xcbf29ce484222325ULL);
    assert_true(mg_fnv1a64(MG_FNV64_OFFSET, "a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(mg_fnv1a64(MG_FNV64_OFFSET, "foobar", 6) == 0x85944171f73967e8ULL);
    /* Continuing from a hash is hashing the concatenation. */
    assert_true(mg_fnv1a64(mg_fnv1a64(MG_FNV64_OFFSET, "foo", 3), "bar", 3) ==
                mg_fnv1a64(MG_FNV64_OFFSET, "foobar", 6));
    /* The mixer is a bijection with fixed point 0: distinct in, distinct out. */
    assert_true(mg_hash_mix64(0) == 0);
    assert_true(mg_hash_mix64(1) != mg_hash_mix64(2));
}

/* Many ids (the set grows several times): each is found, a second put of
 * the same id reports where it was first seen, an absent one is absent. */
static void test_put_has_grow(void **state)
{
    (void)state;
    mg_idset set = {0};
    char id[32];
    assert_int_equal(mg_idset_has(&set, mg_idset_hash("x", 1)), 0);
    for (unsigned i = 0; i < 5000; i++) {
        int n = snprintf(id, sizeof id, "id-%u", i);
        mg_idslot old;
        assert_int_equal(mg_idset_put(&set, mg_idset_hash(id, (size_t)n), i % 7, i + 1, &old), 0);
    }
    assert_int_equal(set.n, 5000);
    assert_true(set.cap >= 5000 * 4 / 3);
    for (unsigned i = 0; i < 5000; i += 499) {
        int n = snprintf(id, sizeof id, "id-%u", i);
        uint64_t h = mg_idset_hash(id, (size_t)n);
        assert_int_equal(mg_idset_has(&set, h), 1);
        mg_idslot old = {0};
        assert_int_equal(mg_idset_put(&set, h, 99, 99, &old), 1);
        assert_int_equal(old.file, i % 7);
        assert_int_equal(old.line, i + 1);
    }
    assert_int_equal(set.n, 5000);
    assert_int_equal(mg_idset_has(&set, mg_idset_hash("id-5000", 7)), 0);
    assert_true(mg_idset_hash("", 0) != 0);
    mg_idset_release(&set);
    assert_null(set.s);
    assert_int_equal(set.n, 0);
}

static void test_names(void **state)
{
    (void)state;
    mg_names nm = {0};
    assert_int_equal(mg_names_add(&nm, "a.jsonl"), 0);
    assert_int_equal(mg_names_add(&nm, "a.jsonl"), 0); /* the same file again */
    assert_int_equal(mg_names_add(&nm, "b.jsonl"), 1);
    char name[64];
    for (int i = 0; i < 500; i++) { /* the arena and the index grow */
        snprintf(name, sizeof name, "dir/file-%03d.txt", i);
        assert_int_equal(mg_names_add(&nm, name), i + 2);
    }
    assert_string_equal(mg_names_get(&nm, 0), "a.jsonl");
    assert_string_equal(mg_names_get(&nm, 1), "b.jsonl");
    assert_string_equal(mg_names_get(&nm, 301), "dir/file-299.txt");
    mg_names_release(&nm);
    assert_null(nm.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv_vectors),
        cmocka_unit_test(test_put_has_grow),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
