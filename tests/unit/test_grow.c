/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/grow.h: a byte buffer up to its cap, and the arrays the library
 * collects (terms, values, spans, entries), grown by doubling; what they
 * hold survives, and a refusal changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "grow.h"

static void test_buffer(void **state)
{
    (void)state;
    char *b = NULL;
    size_t cap = 0;
    assert_true(mg_grow(&b, &cap, 5, 4, 64));
    assert_int_equal(cap, 8);
    memcpy(b, "abcde", 5);
    assert_true(mg_grow(&b, &cap, 8, 4, 64)); /* enough already */
    assert_int_equal(cap, 8);
    assert_true(mg_grow(&b, &cap, 40, 4, 64));
    assert_int_equal(cap, 64);
    assert_memory_equal(b, "abcde", 5);
    char *was = b;
    assert_false(mg_grow(&b, &cap, 65, 4, 64)); /* over max: as it was */
    assert_ptr_equal(b, was);
    assert_int_equal(cap, 64);
    free(b);
}

typedef struct item {
    int key;
    char name[12];
} item;

static void test_array(void **state)
{
    (void)state;
    item *v = NULL;
    size_t cap = 0, n = 0;
    for (int i = 0; i < 100; i++) {
        size_t before = cap;
        assert_true(mg_grow_array(&v, &cap, n + 1, sizeof *v, 16));
        assert_true(cap >= n + 1);
        if (before == 0)
            assert_int_equal(cap, 16);
        else if (n < before)
            assert_int_equal(cap, before); /* room left: no change */
        else
            assert_int_equal(cap, before * 2);
        v[n].key = i;
        memcpy(v[n].name, "item", 5);
        n++;
    }
    assert_int_equal(cap, 128);
    for (int i = 0; i < 100; i++) { /* every element kept across the moves */
        assert_int_equal(v[i].key, i);
        assert_string_equal(v[i].name, "item");
    }
    /* a size in bytes past SIZE_MAX is refused, the array as it was */
    item *was = v;
    assert_false(mg_grow_array(&v, &cap, SIZE_MAX / sizeof *v + 1, sizeof *v, 16));
    assert_false(mg_grow_array(&v, &cap, SIZE_MAX, 1, 16));
    assert_ptr_equal(v, was);
    assert_int_equal(cap, 128);
    assert_int_equal(v[99].key, 99);
    free(v);

    /* an array of pointers, as the indexer's list of missing ids */
    char **names = NULL;
    size_t ncap = 0;
    assert_true(mg_grow_array(&names, &ncap, 3, sizeof *names, 2));
    assert_int_equal(ncap, 4);
    names[2] = "third";
    assert_string_equal(names[2], "third");
    free(names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffer),
        cmocka_unit_test(test_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
