/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmorgue-client: CURVE keys: a new key pair in files, a key read from
 * its file or given inline, a public key given where the secret one is
 * wanted, the public key of a secret one. */
#include "morgue_client_int.h"
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

static int write_file(const char *path, const char *text, mode_t mode, mg_client_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return mgc_fail(err, MG_CLIENT_EIO, "%s: %s", path, strerror(errno));
    size_t n = strlen(text);
    bool ok = write(fd, text, n) == (ssize_t)n;
    ok = (fsync(fd) == 0) && ok;
    if (close(fd) != 0 || !ok) {
        unlink(path);
        return mgc_fail(err, MG_CLIENT_EIO, "%s: %s", path, strerror(errno));
    }
    return 0;
}

int mg_client_keygen(const char *prefix, mg_client_err *err)
{
    mgc_clear(err);
    char pub[41], sec[41];
    if (!zmq_has("curve"))
        return mgc_fail(err, MG_CLIENT_EINVAL, "this libzmq was built without CURVE");
    if (zmq_curve_keypair(pub, sec) != 0)
        return mgc_fail(err, MG_CLIENT_EZMQ, "zmq_curve_keypair: %s", zmq_strerror(errno));
    char keyfile[4096], pubfile[4096], text[256];
    if ((size_t)snprintf(keyfile, sizeof keyfile, "%s.key", prefix) >= sizeof keyfile ||
        (size_t)snprintf(pubfile, sizeof pubfile, "%s.pub", prefix) >= sizeof pubfile)
        return mgc_fail(err, MG_CLIENT_EINVAL, "key file name too long");
    snprintf(text, sizeof text, "# morgue CURVE secret key: keep it private. Public key: %s\n%s\n",
             pub, sec);
    int rc = write_file(keyfile, text, 0600, err);
    memset(text, 0, sizeof text);
    memset(sec, 0, sizeof sec);
    if (rc != 0)
        return rc;
    snprintf(text, sizeof text, "%s\n", pub);
    if ((rc = write_file(pubfile, text, 0644, err)) != 0)
        unlink(keyfile);
    return rc;
}

int mg_client_read_key(const char *file_or_key, char out[41], mg_client_err *err)
{
    mgc_clear(err);
    uint8_t bin[32];
    FILE *f = fopen(file_or_key, "r");
    if (!f) {
        int e = errno;
        if (strlen(file_or_key) == 40 && zmq_z85_decode(bin, file_or_key)) {
            memcpy(out, file_or_key, 41);
            return 0;
        }
        if (strlen(file_or_key) == 40 && e == ENOENT)
            return mgc_fail(err, MG_CLIENT_EINVAL,
                            "'%s' is neither a key file nor a 40-character Z85 key (Z85: "
                            "0-9 a-z A-Z .-:+=^!/*?&<>()[]{}@%%$#)",
                            file_or_key);
        return mgc_fail(err, MG_CLIENT_EIO, "%s: %s", file_or_key, strerror(e));
    }
    char line[256];
    int rc = mgc_fail(err, MG_CLIENT_EINVAL, "%s: no key in the file", file_or_key);
    while (fgets(line, sizeof line, f)) {
        char *p = line + strspn(line, " \t");
        size_t n = strcspn(p, " \t\r\n");
        if (n == 0 || *p == '#')
            continue;
        p[n] = '\0';
        if (n == 40 && zmq_z85_decode(bin, p)) {
            memcpy(out, p, 41);
            mgc_clear(err);
            rc = 0;
        } else {
            rc = mgc_fail(err, MG_CLIENT_EINVAL,
                          "%s: not a 40-character Z85 CURVE key (Z85: 0-9 a-z A-Z "
                          ".-:+=^!/*?&<>()[]{}@%%$#)",
                          file_or_key);
        }
        break;
    }
    memset(line, 0, sizeof line);
    fclose(f);
    return rc;
}

int mg_client_check_secret_key(const char *file_or_key, const char *secret, mg_client_err *err)
{
    char msg[sizeof err->msg];
    if (mg_transport_check_secret_key(file_or_key, secret, msg, sizeof msg) != 0)
        return mgc_fail(err, MG_CLIENT_EINVAL, "%s", msg);
    return 0;
}

int mg_client_public_key(const char *secret, char out[41], mg_client_err *err)
{
    if (!secret || strlen(secret) != 40 || zmq_curve_public(out, secret) != 0)
        return mgc_fail(err, MG_CLIENT_EINVAL, "not a Z85 CURVE secret key");
    return 0;
}
