/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of lib/transport.c, what morgued and its clients agree on: the
 * default endpoints, the endpoint syntax and its messages, secret CURVE
 * key files; and that the client library's names for them say the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "files_fixture.h"
#include "morgue_client.h"
#include "transport.h"

static void test_default_tcp(void **state)
{
    (void)state;
    /* The installed header spells it for itself: the two must agree. */
    assert_string_equal(MG_CLIENT_DEFAULT_TCP, MG_TRANSPORT_DEFAULT_TCP);
    assert_string_equal(MG_TRANSPORT_DEFAULT_TCP, "tcp://127.0.0.1:5555");
}

static void test_default_ipc(void **state)
{
    (void)state;
    char dir[] = "/tmp/morgue-transport.XXXXXX", want[128], got[128], cut[12];
    assert_non_null(mkdtemp(dir));
    setenv("XDG_RUNTIME_DIR", dir, 1);
    mg_transport_default_ipc(got, sizeof got);
    snprintf(want, sizeof want, "ipc://%s/morgued.sock", dir);
    assert_string_equal(got, want);
    mg_client_default_ipc(want, sizeof want);
    assert_string_equal(got, want);
    /* Cut to fit, never past the buffer. */
    mg_transport_default_ipc(cut, sizeof cut);
    assert_string_equal(cut, "ipc:///tmp/");
    /* Not a usable directory: the per-user socket in /tmp. */
    snprintf(want, sizeof want, "ipc:///tmp/morgued-%ld.sock", (long)getuid());
    const char *unusable[] = {"relative/dir", "/nonexistent/run", ""};
    for (size_t i = 0; i < 3; i++) {
        setenv("XDG_RUNTIME_DIR", unusable[i], 1);
        mg_transport_default_ipc(got, sizeof got);
        assert_string_equal(got, want);
    }
    unsetenv("XDG_RUNTIME_DIR");
    mg_transport_default_ipc(got, sizeof got);
    assert_string_equal(got, want);
    rmdir(dir);
}

/* ep is refused (with flags) with a message that holds part. */
static void refused(const char *ep, int flags, const char *part)
{
    char msg[256] = "";
    assert_int_equal(mg_transport_check_endpoint(ep, strlen(ep), flags, msg, sizeof msg), -1);
    if (!strstr(msg, part))
        fail_msg("'%s': '%s' does not say '%s'", ep, msg, part);
}

static void test_endpoints(void **state)
{
    (void)state;
    char msg[256];
    const char *good[] = {"tcp://127.0.0.1:5555",
                          "tcp://localhost:1",
                          "tcp://[::1]:65535",
                          "tcp://[fe80::1%eth0]:80",
                          "tcp://10.0.0.1;host.example:7",
                          "tcp://eth0:9;[::1]:9",
                          "ipc:///run/morgued.sock",
                          "ipc://@abstract"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(mg_transport_check_endpoint(good[i], strlen(good[i]), 0, msg, sizeof msg),
                         0);
    const char *bind_only[] = {"tcp://*:5555", "tcp://127.0.0.1:*", "tcp://*:*"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(bind_only[i]);
        assert_int_equal(
            mg_transport_check_endpoint(bind_only[i], n, MG_TRANSPORT_EP_BIND, msg, sizeof msg), 0);
        assert_int_equal(mg_transport_check_endpoint(bind_only[i], n, 0, msg, sizeof msg), -1);
    }
    refused("http://x", 0, "bad endpoint 'http://x' (want tcp://HOST:PORT or ipc://PATH)");
    refused("tcp://a b:1", 0, "it holds a space, NUL or control character");
    refused("tcp://\x1b[31m:1", 0, "bad endpoint 'tcp://?[31m:1'"); /* controls shown as '?' */
    refused("ipc://", 0, "no path (want ipc://PATH)");
    refused("tcp://host", 0, "no port (want tcp://HOST:PORT)");
    refused("tcp://ho/st:1", 0, "bad host 'ho/st' (want a name, an IPv4 address or [IPv6])");
    refused("tcp://ho/st:1", MG_TRANSPORT_EP_BIND, "an IPv4 address, * or [IPv6]");
    refused("tcp://[::1:1", 0, "bad host");
    refused("tcp://h:65536", 0, "port '65536' is not a number in 1..65535");
    refused("tcp://h:x", MG_TRANSPORT_EP_BIND, "is not a number in 1..65535 or *");
    refused("tcp://h:0", 0, "port 0 cannot be connected to");
    refused("tcp://h:0", MG_TRANSPORT_EP_BIND, "port 0 (for any free port, use tcp://HOST:*)");
    refused("tcp://a/b;h:1", 0, "bad source address 'a/b'");
    char path[200] = "ipc://";
    memset(path + 6, 'p', sizeof path - 7);
    path[sizeof path - 1] = '\0';
    refused(path, 0, "path too long for a unix socket");
    /* Only len bytes are the endpoint. */
    assert_int_equal(mg_transport_check_endpoint("tcp://h:1 trailing", 9, 0, msg, sizeof msg), 0);
    /* The message is cut to msgsz. */
    char small[16];
    assert_int_equal(mg_transport_check_endpoint("http://x", 8, 0, small, sizeof small), -1);
    assert_string_equal(small, "bad endpoint 'h");
}

/* The client library's name for the check: the same verdict and message,
 * with its error code. */
static void test_client_check_endpoint(void **state)
{
    (void)state;
    const char *eps[] = {"tcp://h:0", "tcp://*:1", "ipc://", "tcp://h:1"};
    for (size_t i = 0; i < 4; i++)
        for (int bind = 0; bind < 2; bind++) {
            char msg[512] = "";
            mg_client_err err = {0};
            size_t n = strlen(eps[i]);
            int t = mg_transport_check_endpoint(eps[i], n, bind ? MG_TRANSPORT_EP_BIND : 0, msg,
                                                sizeof msg);
            int c = mg_client_check_endpoint(eps[i], n, bind ? MG_CLIENT_EP_BIND : 0, &err);
            assert_int_equal(c, t == 0 ? 0 : -MG_CLIENT_EINVAL);
            if (t != 0) {
                assert_int_equal(err.code, MG_CLIENT_EINVAL);
                assert_string_equal(err.msg, msg);
            }
        }
    assert_int_equal(mg_client_check_endpoint("x", 1, 0, NULL), -MG_CLIENT_EINVAL);
}

static void test_secret_key(void **state)
{
    (void)state;
    char dir[] = "/tmp/morgue-transport.XXXXXX", prefix[64], keyf[80], pubf[80], other[80];
    assert_non_null(mkdtemp(dir));
    snprintf(prefix, sizeof prefix, "%s/k", dir);
    snprintf(keyf, sizeof keyf, "%s.key", prefix);
    snprintf(pubf, sizeof pubf, "%s.pub", prefix);
    snprintf(other, sizeof other, "%s/other.key", dir);
    mg_client_err err;
    char sec[41], pub[41], sec2[41], pub2[41], msg[512];
    assert_int_equal(mg_client_keygen(prefix, &err), 0);
    assert_int_equal(mg_client_read_key(keyf, sec, &err), 0);
    assert_int_equal(mg_client_read_key(pubf, pub, &err), 0);
    /* morgue keygen's .key file, and a key given inline, pass. */
    assert_int_equal(mg_transport_check_secret_key(keyf, sec, msg, sizeof msg), 0);
    assert_int_equal(mg_transport_check_secret_key(sec, sec, msg, sizeof msg), 0);
    /* A .pub file is a public key. */
    assert_int_equal(mg_transport_check_secret_key(pubf, pub, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "k.pub is a public key file: a secret key is needed here"));
    /* A .key file whose mark names another pair's public key. */
    assert_int_equal(zmq_curve_keypair(pub2, sec2), 0);
    char text[256];
    snprintf(text, sizeof text, "# morgue CURVE secret key: keep it private. Public key: %s\n%s\n",
             pub, sec2);
    write_text(other, text);
    assert_int_equal(mg_transport_check_secret_key(other, sec2, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "other.key: its key does not give the public key the file names"));
    assert_int_equal(mg_client_check_secret_key(other, sec2, &err), -MG_CLIENT_EINVAL);
    assert_int_equal(err.code, MG_CLIENT_EINVAL);
    assert_string_equal(err.msg, msg);
    /* A secret that is no key at all gives no public key either. */
    assert_int_equal(mg_transport_check_secret_key(keyf, "short", msg, sizeof msg), -1);
    /* A file without the mark names no public key: nothing to compare. */
    snprintf(text, sizeof text, "%s\n", sec2);
    write_text(other, text);
    assert_int_equal(mg_transport_check_secret_key(other, sec2, msg, sizeof msg), 0);
    assert_int_equal(mg_client_check_secret_key(other, sec2, &err), 0);
    unlink(keyf);
    unlink(pubf);
    unlink(other);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_tcp), cmocka_unit_test(test_default_ipc),
        cmocka_unit_test(test_endpoints),   cmocka_unit_test(test_client_check_endpoint),
        cmocka_unit_test(test_secret_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
