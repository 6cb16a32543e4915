/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/topology: the shard of an id, and topology files. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "tmpdir_fixture.h"
#include "topology.h"

typedef struct fixture {
    char dir[64]; /* tmpdir_fixture.h */
} fixture;

static int setup(void **state)
{
    return tmpdir_setup(state, sizeof(fixture), "topology");
}

static const char *write_topo(const fixture *f, const char *text)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/topology", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

/* The function is stored in every sharded index: these values must never
 * change (docs/scaling.md; tests/e2e/shards_index.sh computes it again). */
static void test_shard_of_is_fixed(void **state)
{
    (void)state;
    assert_int_equal(mg_shard_of("reuters-1", 9, 3), 1);
    assert_int_equal(mg_shard_of("reuters-2", 9, 3), 0);
    assert_int_equal(mg_shard_of("reuters-3", 9, 3), 0);
    assert_int_equal(mg_shard_of("mw-1987-0001", 12, 4), 1);
    assert_int_equal(mg_shard_of("anything", 8, 1), 0);
    assert_int_equal(mg_shard_of("anything", 8, 0), 0);
    unsigned count[3] = {0};
    char id[32];
    for (int i = 0; i < 30000; i++) {
        int n = snprintf(id, sizeof id, "id-%d", i);
        count[mg_shard_of(id, (size_t)n, 3)]++;
    }
    for (int k = 0; k < 3; k++) /* even within 3% */
        assert_true(count[k] > 9700 && count[k] < 10300);
}

static void test_load(void **state)
{
    fixture *f = *state;
    mg_topology t;
    mg_err e;
    const char *p = write_topo(f, "# shards\n"
                                  "auto s0\n"
                                  "\n"
                                  "glass /srv/morgue/s1\n"
                                  "remote 10.0.0.2:7000\t10.0.0.3:7000\n");
    assert_int_equal(mg_topology_load(p, &t, &e), 0);
    assert_int_equal(t.n, 3);
    assert_true(t.remote);
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s/s0", f->dir);
    assert_string_equal(t.shards[0].alt[0], want); /* relative to the file */
    assert_false(t.shards[0].remote);
    assert_string_equal(t.shards[1].alt[0], "/srv/morgue/s1");
    assert_int_equal(t.shards[2].nalt, 2);
    assert_string_equal(t.shards[2].alt[1], "10.0.0.3:7000");
    assert_string_equal(t.shards[2].name, "10.0.0.2:7000 10.0.0.3:7000");
    mg_topology_free(&t);
    assert_int_equal(mg_topology_is(p), 1);
    assert_int_equal(mg_topology_is(f->dir), 0); /* no XAPIANDB in it */
}

static void test_written_stub(void **state)
{
    fixture *f = *state;
    mg_err e;
    assert_int_equal(mg_topology_write_local(f->dir, 2, &e), 0);
    assert_int_equal(mg_topology_is(f->dir), 1);
    mg_topology t;
    assert_int_equal(mg_topology_load(f->dir, &t, &e), 0);
    assert_int_equal(t.n, 2);
    assert_false(t.remote);
    mg_topology_free(&t);
    /* the size of a sharded generation counts its shards (gens.h) */
    char p[PATH_MAX];
    static const char *const files[] = {"s0", "s0/a", "s1", "s1/b", "sub", "sub/c"};
    for (size_t i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%s/%s", f->dir, files[i]);
        if (i % 2 == 0) {
            assert_int_equal(mkdir(p, 0777), 0);
        } else {
            FILE *fp = fopen(p, "w");
            assert_non_null(fp);
            fprintf(fp, "%0*d", (int)(10 * i), 0); /* 10, 30, 50 bytes */
            fclose(fp);
        }
    }
    assert_int_equal(mg_gens_dir_bytes(f->dir), strlen("auto s0\nauto s1\n") + 10 + 30);
}

static void test_errors(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"remote nohost\n", "topology:1: \"nohost\" is not HOST:PORT"},
        {"auto s0\nremote h:0\n", "topology:2: \"h:0\" is not HOST:PORT"},
        {"chert s0\n", "unknown kind of database \"chert\""},
        {"auto\n", "auto needs a path"},
        {"auto a b\n", "one path per local shard"},
        {"# nothing\n", "lists no shard"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mg_topology t;
        mg_err e;
        assert_int_equal(mg_topology_load(write_topo(f, bad[i].text), &t, &e), -MG_EINVAL);
        assert_non_null(strstr(e.msg, bad[i].msg));
        mg_topology_free(&t);
    }
    char host[16];
    unsigned port;
    assert_int_equal(mg_topology_split_addr("[::1]:80", host, sizeof host, &port), 0);
    assert_string_equal(host, "[::1]");
    assert_int_equal(mg_topology_split_addr("host:99999", host, sizeof host, &port), -1);
    assert_int_equal(mg_topology_split_addr("a-very-long-host-name:1", host, sizeof host, &port),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_of_is_fixed),
        cmocka_unit_test_setup_teardown(test_load, setup, tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_written_stub, setup, tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, tmpdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
