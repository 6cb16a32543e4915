/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What morgued and its clients agree on about a connection (transport.h):
 * the default endpoints, endpoint syntax, secret CURVE key files. Only
 * libc and libzmq: it is compiled into libmorgue-client too. */
#include "transport.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <zmq.h>

/* The message into msg; returns -1, so failure paths are one line. */
static int fail(char *msg, size_t msgsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *msg, size_t msgsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msgsz, fmt, ap);
    va_end(ap);
    return -1;
}

void mg_transport_default_ipc(char *out, size_t outsz)
{
    const char *run = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    if (run && *run == '/' && stat(run, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(out, outsz, "ipc://%s/morgued.sock", run);
    else
        snprintf(out, outsz, "ipc:///tmp/morgued-%ld.sock", (long)getuid());
}

/* A host name, an IPv4 address, a bracketed IPv6 address, or "*" when any
 * is allowed. */
static bool host_ok(const char *h, size_t n, bool any)
{
    if (n == 0)
        return false;
    if (any && n == 1 && h[0] == '*')
        return true;
    bool v6 = h[0] == '[';
    if (v6 && (n < 3 || h[n - 1] != ']'))
        return false;
    for (size_t i = v6; i < n - v6; i++) {
        char ch = h[i];
        bool alnum =
            (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        if (!alnum && ch != '.' && ch != '-' && ch != '_' && !(v6 && (ch == ':' || ch == '%')))
            return false;
    }
    return true;
}

/* A port 1..65535, or "*" when any is allowed: its value (0 for "*"), or
 * -1. *zero: it was the number 0. */
static long port_of(const char *p, size_t n, bool any, bool *zero)
{
    *zero = false;
    if (any && n == 1 && p[0] == '*')
        return 0;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9' || v > 65535)
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *zero = n > 0 && v == 0;
    return n == 0 || v < 1 || v > 65535 ? -1 : v;
}

/* HOST:PORT (HOST alone when need_port is false), "*" allowed for either
 * when any: 0, or what is wrong: 1 the host, 2 no port, 3 the port, 4 port
 * 0. *hn: the host's length. */
static int host_port(const char *p, size_t n, bool need_port, bool any, size_t *hn)
{
    size_t from = 0; /* a ':' inside [IPv6] is not the port's */
    if (n && p[0] == '[') {
        const char *close = memchr(p, ']', n);
        from = close ? (size_t)(close - p) : n;
    }
    const char *colon = NULL;
    for (size_t i = n; i-- > from && !colon;)
        if (p[i] == ':')
            colon = p + i;
    *hn = colon ? (size_t)(colon - p) : n;
    if (!host_ok(p, *hn, any))
        return 1;
    if (!colon)
        return need_port ? 2 : 0;
    bool zero;
    if (port_of(colon + 1, n - *hn - 1, any, &zero) < 0)
        return zero ? 4 : 3;
    return 0;
}

int mg_transport_check_endpoint(const char *ep, size_t len, int flags, char *msg, size_t msgsz)
{
    bool bind = flags & MG_TRANSPORT_EP_BIND;
    char shown[208]; /* the endpoint for messages, control bytes as '?' */
    size_t k = 0;
    for (; k < len && k < 200; k++) {
        unsigned char ch = (unsigned char)ep[k];
        shown[k] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    strcpy(shown + k, k < len ? "..." : "");
    if (len < 6 || (strncmp(ep, "tcp://", 6) != 0 && strncmp(ep, "ipc://", 6) != 0))
        return fail(msg, msgsz, "bad endpoint '%s' (want tcp://HOST:PORT or ipc://PATH)", shown);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)ep[i] <= 0x20 || ep[i] == 0x7f)
            return fail(msg, msgsz, "bad endpoint '%s': it holds a space, NUL or control character",
                        shown);
    const char *rest = ep + 6;
    size_t n = len - 6, hn;
    if (ep[0] == 'i') {
        if (n == 0)
            return fail(msg, msgsz, "bad endpoint '%s': no path (want ipc://PATH)", shown);
        if (n >= sizeof(((struct sockaddr_un *)0)->sun_path))
            return fail(msg, msgsz, "bad endpoint '%s': path too long for a unix socket", shown);
        return 0;
    }
    const char *semi = memchr(rest, ';', n);
    if (semi) { /* a source address, HOST[:PORT] */
        size_t sn = (size_t)(semi - rest);
        if (host_port(rest, sn, false, true, &hn) != 0)
            return fail(msg, msgsz, "bad endpoint '%s': bad source address '%.*s'", shown,
                        (int)(sn > 100 ? 100 : sn), rest);
        rest = semi + 1;
        n -= sn + 1;
    }
    switch (host_port(rest, n, true, bind, &hn)) {
    case 1:
        return fail(msg, msgsz,
                    "bad endpoint '%s': bad host '%.*s' (want a name, an IPv4 address%s or "
                    "[IPv6])",
                    shown, (int)(hn > 100 ? 100 : hn), rest, bind ? ", *" : "");
    case 2:
        return fail(msg, msgsz, "bad endpoint '%s': no port (want tcp://HOST:PORT)", shown);
    case 3:
        return fail(msg, msgsz, "bad endpoint '%s': port '%.*s' is not a number in 1..65535%s",
                    shown, (int)(n - hn - 1 > 20 ? 20 : n - hn - 1), rest + hn + 1,
                    bind ? " or *" : "");
    case 4:
        return fail(msg, msgsz, "bad endpoint '%s': port 0%s", shown,
                    bind ? " (for any free port, use tcp://HOST:*)" : " cannot be connected to");
    }
    return 0;
}

/* Whether the Z85 secret key gives the Z85 public key. */
static bool gives(const char *secret, const char *public_key)
{
    char pub[41];
    return secret && strlen(secret) == 40 && zmq_curve_public(pub, secret) == 0 &&
           strcmp(pub, public_key) == 0;
}

int mg_transport_check_secret_key(const char *file_or_key, const char *secret, char *msg,
                                  size_t msgsz)
{
    static const char mark[] = "# morgue CURVE secret key";
    FILE *f = fopen(file_or_key, "r");
    if (!f)
        return 0; /* a key given inline */
    char line[256], claimed[41] = "";
    bool marked = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, mark, sizeof mark - 1) != 0)
            continue;
        marked = true;
        const char *pk = strstr(line, "Public key: ");
        if (pk && sscanf(pk + 12, "%40s", claimed) != 1)
            claimed[0] = '\0';
        break;
    }
    fclose(f);
    size_t n = strlen(file_or_key);
    if (!marked && n > 4 && strcmp(file_or_key + n - 4, ".pub") == 0)
        return fail(msg, msgsz,
                    "%s is a public key file: a secret key is needed here (the .key file of "
                    "morgue keygen)",
                    file_or_key);
    if (claimed[0] && !gives(secret, claimed))
        return fail(msg, msgsz,
                    "%s: its key does not give the public key the file names (%s): not this "
                    "key pair's secret key",
                    file_or_key, claimed);
    return 0;
}
