/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/gens: the generations of a morgue-index database and
 * the file-system helpers, on real directories under /tmp. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gens.h"
#include "tmpdir_fixture.h"

typedef struct fixture {
    char dir[64]; /* tmpdir_fixture.h */
} fixture;

static int setup(void **state)
{
    return tmpdir_setup(state, sizeof(fixture), "gens");
}

/* dir/name, as a path in a static buffer of its own (up to 4 at once). */
static const char *at(const fixture *f, const char *name)
{
    static char bufs[4][PATH_MAX];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, PATH_MAX, "%s/%s", f->dir, name);
    return b;
}

static void write_file(const char *path, size_t bytes)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (size_t i = 0; i < bytes; i++)
        fputc('x', fp);
    assert_int_equal(fclose(fp), 0);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void make_dir(const char *path)
{
    assert_int_equal(mkdir(path, 0777), 0);
}

static void test_mkdir_p(void **state)
{
    fixture *f = *state;
    mg_err e;
    assert_int_equal(mg_gens_mkdir_p(at(f, "a/b/c"), &e), 0);
    struct stat st;
    assert_int_equal(stat(at(f, "a/b/c"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(mg_gens_mkdir_p(at(f, "a/b/c"), &e), 0); /* there already */
    write_file(at(f, "file"), 1);
    assert_int_equal(mg_gens_mkdir_p(at(f, "file/sub"), &e), -MG_EIO);
    assert_non_null(strstr(e.msg, "file/sub"));
    char longp[PATH_MAX + 10];
    memset(longp, 'x', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    assert_int_equal(mg_gens_mkdir_p(longp, &e), -MG_EINVAL);
}

/* rm_tree removes a tree, without following a symlink out of it. */
static void test_rm_tree_and_sizes(void **state)
{
    fixture *f = *state;
    make_dir(at(f, "t"));
    make_dir(at(f, "t/sub"));
    write_file(at(f, "t/one"), 100);
    write_file(at(f, "t/two"), 23);
    write_file(at(f, "t/sub/deep"), 5000); /* not directly in t */
    make_dir(at(f, "outside"));
    write_file(at(f, "outside/keep"), 7);
    assert_int_equal(symlink(at(f, "outside"), at(f, "t/link")), 0);
    assert_true(mg_gens_dir_bytes(at(f, "t")) == 123);
    assert_true(mg_gens_dir_bytes(at(f, "missing")) == 0);
    assert_int_equal(mg_gens_rm_tree(at(f, "t")), 0);
    assert_false(exists(at(f, "t")));
    assert_true(exists(at(f, "outside/keep")));
    assert_int_equal(mg_gens_rm_tree(at(f, "t")), 0); /* gone already */
    mg_gens_sync_dir(f->dir);                         /* no failure to see: it must not crash */
}

static void test_numbers(void **state)
{
    (void)state;
    assert_int_equal(mg_gens_number("g000007"), 7);
    assert_int_equal(mg_gens_number("g123456"), 123456);
    assert_int_equal(mg_gens_number("g7"), 0);
    assert_int_equal(mg_gens_number("g00000a"), 0);
    assert_int_equal(mg_gens_number("g0000071"), 0);
    assert_int_equal(mg_gens_number("tmp-123"), 0);
    assert_int_equal(mg_gen_of_path("/srv/news.gens/g000007"), 7);
    assert_int_equal(mg_gen_of_path("news.gens/g000012/"), 12);
    assert_int_equal(mg_gen_of_path("/srv/news"), 0);
    assert_int_equal(mg_gen_of_path("/srv/gens/g000007"), 0);
    assert_int_equal(mg_gen_of_path("/srv/news.gens/tmp-12"), 0);
    assert_true(mg_gen_revision(7, 3) == 70000000003ULL);
    assert_true(mg_gen_revision(0, 5) == 5);
    /* a new generation at revision 1 is above any revision of the last */
    assert_true(mg_gen_revision(8, 1) > mg_gen_revision(7, 0xffffffffULL));
}

typedef struct warned {
    int calls;
} warned;

static void on_warn(void *ctx, const char *path, int errnum)
{
    (void)path;
    (void)errnum;
    ((warned *)ctx)->calls++;
}

/* db.gens with generations 1, 3, 5, a build directory a killed run left,
 * and a file that is not a generation. */
static void make_gens(const fixture *f)
{
    make_dir(at(f, "db.gens"));
    make_dir(at(f, "db.gens/g000001"));
    make_dir(at(f, "db.gens/g000003"));
    make_dir(at(f, "db.gens/g000005"));
    write_file(at(f, "db.gens/g000003/postlist.glass"), 10);
    make_dir(at(f, "db.gens/tmp-99999"));
    write_file(at(f, "db.gens/tmp-99999/shard-0"), 10);
    write_file(at(f, "db.gens/notes"), 1);
}

static void test_scan_prune(void **state)
{
    fixture *f = *state;
    long max = -1, below = -1;
    mg_gens_scan(at(f, "db.gens"), 5, &max, &below); /* no directory yet */
    assert_int_equal(max, 0);
    assert_int_equal(below, 0);
    make_gens(f);
    mg_gens_scan(at(f, "db.gens"), 5, &max, &below);
    assert_int_equal(max, 5);
    assert_int_equal(below, 3);
    mg_gens_scan(at(f, "db.gens"), 3, &max, &below);
    assert_int_equal(below, 1);
    mg_gens_scan(at(f, "db.gens"), 1, &max, &below);
    assert_int_equal(below, 0);

    warned w = {0};
    mg_gens_prune(at(f, "db.gens"), 5, 3, on_warn, &w);
    assert_int_equal(w.calls, 0);
    assert_false(exists(at(f, "db.gens/g000001")));
    assert_false(exists(at(f, "db.gens/tmp-99999")));
    assert_true(exists(at(f, "db.gens/g000003/postlist.glass")));
    assert_true(exists(at(f, "db.gens/g000005")));
    assert_true(exists(at(f, "db.gens/notes"))); /* not ours to remove */
    mg_gens_prune(at(f, "db.gens"), 5, -1, NULL, NULL);
    assert_false(exists(at(f, "db.gens/g000003")));
    assert_true(exists(at(f, "db.gens/g000005")));
}

static void test_publish(void **state)
{
    fixture *f = *state;
    mg_err e;
    make_gens(f);
    char target[PATH_MAX];
    assert_int_equal(mg_gens_publish(f->dir, "db", at(f, "db"), 3, &e), 0);
    ssize_t n = readlink(at(f, "db"), target, sizeof target - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "db.gens/g000003"); /* relative: the pair can move */
    assert_true(exists(at(f, "db/postlist.glass")));
    /* Publishing again switches the link; no temporary link stays behind. */
    assert_int_equal(mg_gens_publish(f->dir, "db", at(f, "db"), 5, &e), 0);
    n = readlink(at(f, "db"), target, sizeof target - 1);
    target[n] = '\0';
    assert_string_equal(target, "db.gens/g000005");
    char link[64];
    snprintf(link, sizeof link, "db.new-%ld", (long)getpid());
    assert_false(exists(at(f, link)));
    /* A link a killed run left is removed; other names stay. */
    assert_int_equal(symlink("db.gens/g000001", at(f, "db.new-4242")), 0);
    assert_int_equal(symlink("db.gens/g000001", at(f, "dbx.new-1")), 0);
    mg_gens_remove_stale_links(f->dir, "db");
    assert_false(exists(at(f, "db.new-4242")));
    assert_true(exists(at(f, "dbx.new-1")));
    assert_true(exists(at(f, "db")));
    /* Over a directory that is not empty, rename(2) fails: told, and no
     * temporary link is left. */
    make_dir(at(f, "plain"));
    write_file(at(f, "plain/x"), 1);
    assert_int_equal(mg_gens_publish(f->dir, "plain", at(f, "plain"), 5, &e), -MG_EIO);
    assert_non_null(strstr(e.msg, "rename"));
    snprintf(link, sizeof link, "plain.new-%ld", (long)getpid());
    assert_false(exists(at(f, link)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mkdir_p, setup, tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_rm_tree_and_sizes, setup, tmpdir_teardown),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test_setup_teardown(test_scan_prune, setup, tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_publish, setup, tmpdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
