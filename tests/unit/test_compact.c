/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/compact: compaction in a child process, of small
 * databases written through the Xapian shim, its failures, and stopping it
 * through its poll callback. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "compact.h"
#include "tmpdir_fixture.h"
#include "xapian_shim.h"

typedef struct fixture {
    char dir[64]; /* tmpdir_fixture.h */
    char a[128], b[128], dst[128];
} fixture;

/* n documents "QPFX-K" with a few words each, committed and closed. */
static void make_db(const char *path, const char *pfx, int n)
{
    mg_err e;
    mg_xdb *db = mg_xdb_open(path, MG_XDB_CREATE, &e);
    assert_non_null(db);
    for (int k = 0; k < n; k++) {
        mg_xdoc *doc = mg_xdoc_new(&e);
        assert_non_null(doc);
        char uid[64];
        int len = snprintf(uid, sizeof uid, "Q%s-%d", pfx, k);
        assert_int_equal(mg_xdoc_add_boolean(doc, uid, (size_t)len, &e), 0);
        assert_int_equal(mg_xdoc_add_posting(doc, "cocoa", 5, 1, 1, &e), 0);
        assert_int_equal(mg_xdoc_add_posting(doc, pfx, strlen(pfx), 2, 1, &e), 0);
        assert_int_equal(mg_xdb_add(db, doc, &e), 0);
        mg_xdoc_free(doc);
    }
    assert_int_equal(mg_xdb_close(db, &e), 0);
}

static int setup(void **state)
{
    if (tmpdir_setup(state, sizeof(fixture), "compact"))
        return -1;
    fixture *f = *state;
    snprintf(f->a, sizeof f->a, "%s/a", f->dir);
    snprintf(f->b, sizeof f->b, "%s/b", f->dir);
    snprintf(f->dst, sizeof f->dst, "%s/dst", f->dir);
    return 0;
}

static int count_terms(void *ctx, const char *term, size_t len)
{
    (void)term;
    (void)len;
    (*(int *)ctx)++;
    return 0;
}

typedef struct poller {
    int calls;
    int stop_at; /* return nonzero from this call on (0: never) */
} poller;

static int poll_cb(void *ctx)
{
    poller *p = ctx;
    p->calls++;
    return p->stop_at && p->calls >= p->stop_at;
}

/* No child process is left behind (not even a zombie). */
static void assert_no_child(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* Two databases merge into one compact, complete database. */
static void test_compact_two(void **state)
{
    fixture *f = *state;
    mg_err e;
    make_db(f->a, "alpha", 30);
    make_db(f->b, "beta", 12);
    const char *srcs[] = {f->a, f->b};
    poller p = {0, 0};
    assert_int_equal(mg_compact_run(srcs, 2, f->dst, poll_cb, &p, &e), 0);
    assert_no_child();
    mg_xdb *db = mg_xdb_open(f->dst, 0, &e);
    assert_non_null(db);
    assert_int_equal(mg_xdb_doccount(db, &e), 42);
    assert_int_equal(mg_xdb_revision(db, &e), 1); /* compacted: revision 1 */
    int ids = 0;
    assert_int_equal(mg_xdb_each_term(db, "Q", count_terms, &ids, &e), 0);
    assert_int_equal(ids, 42);
    unsigned char v[8];
    assert_int_equal(mg_xdb_get_value(db, "Qbeta-11", 0, v, sizeof v, &e), 0); /* no value */
    assert_int_equal(mg_xdb_get_value(db, "Qbeta-12", 0, v, sizeof v, &e), -MG_ENOTFOUND);
    mg_xdb_abandon(db);
    /* Without a poll callback too. */
    char dst2[160];
    snprintf(dst2, sizeof dst2, "%s/dst2", f->dir);
    assert_int_equal(mg_compact_run(srcs, 1, dst2, NULL, NULL, &e), 0);
    assert_no_child();
}

/* The child's failure comes back with its message. */
static void test_compact_failures(void **state)
{
    fixture *f = *state;
    mg_err e;
    make_db(f->a, "alpha", 3);
    const char *missing[] = {f->a, f->b};
    mg_err_clear(&e);
    int rc = mg_compact_run(missing, 2, f->dst, NULL, NULL, &e);
    assert_true(rc < 0);
    assert_int_equal(rc, -e.code);
    assert_non_null(strstr(e.msg, "compact"));
    assert_no_child();
    /* A destination that exists: the shim refuses, in the child. */
    assert_int_equal(mkdir(f->b, 0777), 0);
    const char *one[] = {f->a};
    mg_err_clear(&e);
    assert_int_equal(mg_compact_run(one, 1, f->b, NULL, NULL, &e), -MG_EINVAL);
    assert_non_null(strstr(e.msg, "already exists"));
    assert_no_child();
}

/* A copy of the database at src in dst whose postlist table is a FIFO: the
 * child that opens it to compact blocks until it is killed. */
static void make_blocking_copy(const char *src, const char *dst)
{
    assert_int_equal(mkdir(dst, 0777), 0);
    DIR *d = opendir(src);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char from[PATH_MAX], to[PATH_MAX];
        snprintf(from, sizeof from, "%s/%s", src, de->d_name);
        snprintf(to, sizeof to, "%s/%s", dst, de->d_name);
        if (strcmp(de->d_name, "postlist.glass") == 0) {
            assert_int_equal(mkfifo(to, 0600), 0);
            continue;
        }
        FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
        assert_non_null(in);
        assert_non_null(out);
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0)
            assert_int_equal(fwrite(buf, 1, n, out), n);
        fclose(in);
        assert_int_equal(fclose(out), 0);
    }
    closedir(d);
}

/* The poll callback stops a compaction that would never end: the child is
 * killed and reaped, and mg_compact_run says it was stopped (1). */
static void test_compact_stopped_by_poll(void **state)
{
    fixture *f = *state;
    mg_err e;
    make_db(f->a, "alpha", 5);
    make_blocking_copy(f->a, f->b);
    const char *srcs[] = {f->b};
    poller p = {0, 3};
    mg_err_clear(&e);
    assert_int_equal(mg_compact_run(srcs, 1, f->dst, poll_cb, &p, &e), 1);
    assert_int_equal(p.calls, 3);
    assert_no_child();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compact_two, setup, tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_compact_failures, setup, tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_compact_stopped_by_poll, setup, tmpdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
