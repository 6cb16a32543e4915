/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CURVE for morgued: the server's secret key, the allow-list of client
 * public keys, and the ZAP handler (RFC 27) that enforces it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zmq.h>

#include "daemon.h"
#include "log.h"
#include "transport.h"

/* Read the first key of a key file: the first line that is not blank and
 * not a '#' comment, which must be 40 Z85 characters. 0 or -1. */
static int read_z85(const char *path, char out[41], char *msg, size_t msgsz)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[256];
    int rc = -1;
    snprintf(msg, msgsz, "%s: no key in the file", path);
    while (fgets(line, sizeof line, f)) {
        size_t n = strcspn(line, "\r\n");
        line[n] = '\0';
        char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#')
            continue;
        n = strcspn(p, " \t");
        p[n] = '\0';
        uint8_t bin[32];
        if (n != 40 || !zmq_z85_decode(bin, p)) {
            snprintf(msg, msgsz,
                     "%s: not a 40-character Z85 CURVE key (Z85: 0-9 a-z A-Z "
                     ".-:+=^!/*?&<>()[]{}@%%$#)",
                     path);
            break;
        }
        memcpy(out, p, 41);
        rc = 0;
        break;
    }
    fclose(f);
    return rc;
}

static int allow_key(mg_curve *c, const char *z85)
{
    uint8_t(*more)[32] = realloc(c->allowed, (c->nallowed + 1) * sizeof *c->allowed);
    if (!more)
        return -1;
    c->allowed = more;
    zmq_z85_decode(c->allowed[c->nallowed++], z85);
    return 0;
}

/* A file of public keys, one per line (blank lines and '#' comments
 * skipped), or a directory whose *.pub files hold one key each. */
static int load_allow(mg_curve *c, const char *path, char *msg, size_t msgsz)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        DIR *dir = opendir(path);
        if (!dir) {
            snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
            return -1;
        }
        struct dirent *de;
        int rc = 0;
        while (rc == 0 && (de = readdir(dir))) {
            size_t n = strlen(de->d_name);
            if (n < 5 || strcmp(de->d_name + n - 4, ".pub") != 0)
                continue;
            char file[4096], key[41];
            snprintf(file, sizeof file, "%s/%s", path, de->d_name);
            rc = read_z85(file, key, msg, msgsz);
            if (rc == 0 && allow_key(c, key) != 0) {
                snprintf(msg, msgsz, "out of memory");
                rc = -1;
            }
        }
        closedir(dir);
        return rc;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[256];
    int rc = 0, lineno = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *p = line + strspn(line, " \t");
        size_t n = strcspn(p, " \t\r\n");
        if (n == 0 || *p == '#')
            continue;
        p[n] = '\0';
        uint8_t bin[32];
        if (n != 40 || !zmq_z85_decode(bin, p)) {
            snprintf(msg, msgsz,
                     "%s:%d: not a 40-character Z85 CURVE public key (Z85: "
                     "0-9 a-z A-Z .-:+=^!/*?&<>()[]{}@%%$#)",
                     path, lineno);
            rc = -1;
        } else if (allow_key(c, p) != 0) {
            snprintf(msg, msgsz, "out of memory");
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

int mg_curve_load(mg_curve *c, const char *secret_file, const char *allow, char *msg, size_t msgsz)
{
    memset(c, 0, sizeof *c);
    if (!zmq_has("curve")) {
        snprintf(msg, msgsz, "this libzmq was built without CURVE support");
        return -1;
    }
    char why[512];
    if (read_z85(secret_file, c->secret_z85, msg, msgsz) != 0)
        return -1;
    if (mg_transport_check_secret_key(secret_file, c->secret_z85, why, sizeof why) != 0) {
        snprintf(msg, msgsz, "--curve-secret: %s", why);
        return -1;
    }
    if (zmq_curve_public(c->public_z85, c->secret_z85) != 0) {
        snprintf(msg, msgsz, "%s: bad secret key", secret_file);
        return -1;
    }
    if (!allow) {
        snprintf(msg, msgsz, "--curve-secret needs --curve-allow FILE_OR_DIR (client public keys)");
        return -1;
    }
    if (load_allow(c, allow, msg, msgsz) != 0) {
        mg_curve_release(c);
        return -1;
    }
    if (c->nallowed == 0)
        mg_dlog(MG_LOG_WARN, "CURVE allow-list %s is empty: every CURVE client will be refused",
                allow);
    return 0;
}

void mg_curve_release(mg_curve *c)
{
    free(c->allowed);
    c->allowed = NULL;
    c->nallowed = 0;
    /* The secret does not linger in memory longer than needed. */
    memset(c->secret_z85, 0, sizeof c->secret_z85);
}

/* ZAP request frames: version, request id, domain, address, identity,
 * mechanism, then the mechanism's credentials. */
enum {
    ZAP_VERSION,
    ZAP_ID,
    ZAP_DOMAIN,
    ZAP_ADDRESS,
    ZAP_IDENTITY,
    ZAP_MECH,
    ZAP_CRED,
    ZAP_NFRAMES
};

void mg_curve_zap_handle(const mg_curve *c, void *zap)
{
    zmq_msg_t f[ZAP_NFRAMES];
    int n = 0, more = 1;
    for (int i = 0; i < ZAP_NFRAMES; i++)
        zmq_msg_init(&f[i]);
    while (more) {
        zmq_msg_t extra, *m = n < ZAP_NFRAMES ? &f[n] : &extra;
        if (m == &extra)
            zmq_msg_init(&extra);
        if (zmq_msg_recv(m, zap, ZMQ_DONTWAIT) < 0) {
            if (m == &extra)
                zmq_msg_close(&extra);
            break;
        }
        more = zmq_msg_more(m);
        if (m == &extra)
            zmq_msg_close(&extra);
        n++;
    }
    /* A REP socket must answer every request, even a malformed one. */
    const char *status = "400", *text = "not allowed";
    size_t mlen = n > ZAP_MECH ? zmq_msg_size(&f[ZAP_MECH]) : 0;
    const char *mech = zmq_msg_data(&f[ZAP_MECH]);
    if (mlen == 4 && memcmp(mech, "NULL", 4) == 0) {
        /* Plain local sockets (ipc://) go through ZAP too when it runs. */
        status = "200", text = "OK";
    } else if (mlen == 5 && memcmp(mech, "CURVE", 5) == 0 && n == ZAP_NFRAMES &&
               zmq_msg_size(&f[ZAP_CRED]) == 32) {
        const uint8_t *key = zmq_msg_data(&f[ZAP_CRED]);
        for (size_t i = 0; i < c->nallowed; i++)
            if (memcmp(c->allowed[i], key, 32) == 0) {
                status = "200", text = "OK";
                break;
            }
        if (*status != '2') {
            char z85[41] = "?";
            zmq_z85_encode(z85, key, 32);
            char addr[64];
            size_t alen = zmq_msg_size(&f[ZAP_ADDRESS]);
            if (alen >= sizeof addr)
                alen = sizeof addr - 1;
            memcpy(addr, zmq_msg_data(&f[ZAP_ADDRESS]), alen);
            addr[alen] = '\0';
            mg_dlog(MG_LOG_WARN, "CURVE client %s refused: public key %s is not allowed", addr,
                    z85);
        }
    }

    /* Reply: version, request id, status code, status text, user id, metadata. */
    zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_msg_send(&f[ZAP_ID], zap, ZMQ_SNDMORE);
    zmq_send(zap, status, 3, ZMQ_SNDMORE);
    zmq_send(zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(zap, "", 0, ZMQ_SNDMORE);
    zmq_send(zap, "", 0, 0);
    for (int i = 0; i < ZAP_NFRAMES; i++)
        zmq_msg_close(&f[i]);
}
