/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of morgue watch's state file (client/watch.c, compiled in
 * here: it is part of the morgue binary, not of a library): where it lives,
 * a save and load round trip, atomic replacement, and malformed files
 * refused rather than overwritten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "watch.c"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/morgue-watch.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static void test_path(void **state)
{
    (void)state;
    char p[256];
    setenv("XDG_STATE_HOME", "/x/state", 1);
    assert_int_equal(mg_watch_path(p, sizeof p), 0);
    assert_string_equal(p, "/x/state/morgue/watches.json");
    setenv("XDG_STATE_HOME", "", 1);
    setenv("HOME", "/home/u", 1);
    assert_int_equal(mg_watch_path(p, sizeof p), 0);
    assert_string_equal(p, "/home/u/.local/state/morgue/watches.json");
    unsetenv("XDG_STATE_HOME");
    unsetenv("HOME");
    assert_int_equal(mg_watch_path(p, sizeof p), -1);
    assert_int_equal(mg_watch_path(p, 8), -1);
}

static void test_round_trip(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/a/b/watches.json", dir);
    mg_watches ws;
    assert_int_equal(mg_watches_load(path, &ws), 0); /* none yet */
    assert_int_equal(ws.n, 0);
    watch_spec oil = {"oil", "oil NEAR price", "reuters", "1987-03", "7d", true, NULL};
    watch_spec q = {"q", "\"quoted\" \xc3\xa9t\xc3\xa9", NULL, NULL, NULL, false, "20261206031500"};
    assert_int_equal(watches_add(&ws, &oil), 0);
    assert_int_equal(watches_add(&ws, &q), 0);
    assert_int_equal(mg_watches_save(path, &ws), 0); /* makes a/b */
    mg_watches_release(&ws);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    assert_int_equal(mg_watches_load(path, &ws), 0);
    assert_int_equal(ws.n, 2);
    mg_watch *w = mg_watches_find(&ws, "oil");
    assert_non_null(w);
    assert_string_equal(w->query, "oil NEAR price");
    assert_string_equal(w->source, "reuters");
    assert_string_equal(w->since, "1987-03");
    assert_string_equal(w->until, "7d");
    assert_true(w->strict);
    assert_string_equal(w->last, "");
    w = mg_watches_find(&ws, "q");
    assert_non_null(w);
    assert_string_equal(w->query, "\"quoted\" \xc3\xa9t\xc3\xa9");
    assert_null(w->source);
    assert_null(w->since);
    assert_null(w->until);
    assert_false(w->strict);
    assert_string_equal(w->last, "20261206031500");
    assert_null(mg_watches_find(&ws, "nope"));

    /* rm and save again: replaced whole, no temporary file left behind */
    bool dirty = false;
    char *rm[] = {"oil"};
    assert_int_equal(cmd_rm(&ws, rm, 1, &dirty), 0);
    assert_true(dirty);
    assert_int_equal(mg_watches_save(path, &ws), 0);
    mg_watches_release(&ws);
    assert_int_equal(mg_watches_load(path, &ws), 0);
    assert_int_equal(ws.n, 1);
    assert_string_equal(ws.w[0].name, "q");
    mg_watches_release(&ws);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls '%s/a/b' | grep -c tmp", dir);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    int n = -1;
    assert_int_equal(fscanf(f, "%d", &n), 1);
    pclose(f);
    assert_int_equal(n, 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "not json",
        "{\"watches\":{}}",
        "{\"watches\":[{\"name\":\"x\"}]}",
        "{\"watches\":[{\"name\":\"x\",\"query\":\"y\",\"last\":\"2026\"}]}",
        "{\"watches\":[{\"name\":\"x\",\"query\":\"y\",\"last\":\"2026120603150x\"}]}",
    };
    char path[128];
    snprintf(path, sizeof path, "%s/bad.json", dir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i]);
        mg_watches ws;
        assert_int_equal(mg_watches_load(path, &ws), -1);
        assert_int_equal(ws.n, 0);
        assert_null(ws.w);
    }
}

static void test_next_second(void **state)
{
    (void)state;
    char next[15];
    next_second("20261231235959", next);
    assert_string_equal(next, "20270101000000");
    next_second("20240228235959", next);
    assert_string_equal(next, "20240229000000");
}

/* watch add of a query that is not UTF-8: refused (2), nothing added,
 * whoever called it (morgue checks its arguments too). */
static void test_add_not_utf8(void **state)
{
    (void)state;
    mg_watches ws = {NULL, 0};
    mg_watch_env env = {0};
    bool dirty = false;
    char *bad_query[] = {"u", "oil\xe9"};
    assert_int_equal(cmd_add(&env, &ws, bad_query, 2, &dirty), EXIT_USAGE);
    env.source = "caf\xe9";
    char *bad_source[] = {"u", "oil"};
    assert_int_equal(cmd_add(&env, &ws, bad_source, 2, &dirty), EXIT_USAGE);
    assert_int_equal(ws.n, 0);
    assert_false(dirty);
    mg_watches_release(&ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path),         cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_malformed),    cmocka_unit_test(test_next_second),
        cmocka_unit_test(test_add_not_utf8),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
