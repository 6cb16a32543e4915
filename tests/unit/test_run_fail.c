/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cause an indexing run reports when several of its threads fail
 * (lib/index.c, mg_run_fail): the first error, unless a later one is a
 * full disk, which is the cause of whatever else failed beside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "index_run.h"

static mg_err error(int detail, const char *msg)
{
    mg_err e;
    mg_err_clear(&e);
    mg_err_set_detail(&e, MG_EIO, detail, "%s", msg);
    return e;
}

/* Record errors a, b in turn; the message kept. */
static const char *kept(mg_err a, mg_err b, char *buf, size_t cap)
{
    run r;
    memset(&r, 0, sizeof r);
    pthread_mutex_init(&r.mu, NULL);
    mg_run_fail(&r, &a);
    mg_run_fail(&r, &b);
    assert_true(r.failed);
    snprintf(buf, cap, "%s", r.fail_err.msg);
    pthread_mutex_destroy(&r.mu);
    return buf;
}

static void test_full_disk_is_the_cause(void **state)
{
    (void)state;
    char buf[256];
    mg_err corrupt = error(0, "DatabaseCorruptError: dir_end invalid in block 29");
    mg_err full = error(ENOSPC, "DatabaseError: No space left on device");
    mg_err other = error(EIO, "DatabaseError: Input/output error");
    assert_string_equal(kept(corrupt, full, buf, sizeof buf), full.msg);
    assert_string_equal(kept(full, corrupt, buf, sizeof buf), full.msg);
    assert_string_equal(kept(corrupt, other, buf, sizeof buf), corrupt.msg);
    assert_string_equal(kept(other, full, buf, sizeof buf), full.msg);
    mg_err full2 = error(ENOSPC, "DatabaseError: No space left on device (second)");
    assert_string_equal(kept(full, full2, buf, sizeof buf), full.msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_disk_is_the_cause),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
