/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Topology files of sharded indexes (topology.h, docs/scaling.md). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "topology.h"

unsigned mg_shard_of(const char *id, size_t len, unsigned n)
{
    if (n <= 1)
        return 0;
    return (unsigned)(mg_hash_mix64(mg_fnv1a64(MG_FNV64_OFFSET, id, len)) % n);
}

int mg_topology_is(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    if (S_ISREG(st.st_mode))
        return 1;
    if (!S_ISDIR(st.st_mode))
        return 0;
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/iamglass", path);
    if (access(p, F_OK) == 0)
        return 0;
    snprintf(p, sizeof p, "%s/" MG_TOPO_STUB, path);
    return access(p, F_OK) == 0;
}

int mg_topology_split_addr(const char *addr, char *host, size_t cap, unsigned *port)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || (size_t)(colon - addr) >= cap)
        return -1;
    char *end;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || p == 0 || p > 65535)
        return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    *port = (unsigned)p;
    return 0;
}

void mg_topology_free(mg_topology *t)
{
    /* (the slot after the last holds what a line that failed had read) */
    for (unsigned i = 0; t->shards && i <= t->n && i < MG_TOPO_MAX_SHARDS; i++) {
        for (unsigned k = 0; k < t->shards[i].nalt; k++)
            free(t->shards[i].alt[k]);
        free(t->shards[i].name);
    }
    free(t->shards);
    memset(t, 0, sizeof *t);
}

/* One line (without its newline) into t; dir: the file's directory. */
static int parse_line(mg_topology *t, char *line, const char *dir, const char *file,
                      unsigned lineno, mg_err *err)
{
    char *save = NULL, *kw = strtok_r(line, " \t\r", &save);
    if (!kw || *kw == '#')
        return 0;
    int remote = strcmp(kw, "remote") == 0;
    if (!remote && strcmp(kw, "auto") != 0 && strcmp(kw, "glass") != 0)
        return mg_err_set(err, MG_EINVAL,
                          "%.200s:%u: unknown kind of database \"%.40s\" (auto, glass or "
                          "remote)",
                          file, lineno, kw);
    if (t->n == MG_TOPO_MAX_SHARDS)
        return mg_err_set(err, MG_EINVAL, "%.200s:%u: more than %d shards", file, lineno,
                          MG_TOPO_MAX_SHARDS);
    mg_topo_shard *s = &t->shards[t->n];
    memset(s, 0, sizeof *s);
    s->remote = remote;
    char name[1024] = "";
    for (char *a; (a = strtok_r(NULL, " \t\r", &save));) {
        if (s->nalt == (remote ? MG_TOPO_MAX_REPLICAS : 1))
            return mg_err_set(err, MG_EINVAL, "%.200s:%u: %s", file, lineno,
                              remote ? "too many replicas" : "one path per local shard");
        char host[256];
        unsigned port;
        if (remote && mg_topology_split_addr(a, host, sizeof host, &port))
            return mg_err_set(err, MG_EINVAL, "%.200s:%u: \"%.100s\" is not HOST:PORT", file,
                              lineno, a);
        char *v;
        if (remote || *a == '/')
            v = strdup(a);
        else if (asprintf(&v, "%s/%s", dir, a) < 0)
            v = NULL;
        if (!v)
            return mg_err_set(err, MG_ENOMEM, "out of memory");
        s->alt[s->nalt++] = v;
        size_t n = strlen(name);
        snprintf(name + n, sizeof name - n, "%s%s", n ? " " : "", a);
    }
    if (!s->nalt) {
        mg_err_set(err, MG_EINVAL, "%.200s:%u: %s needs %s", file, lineno, kw,
                   remote ? "HOST:PORT" : "a path");
        return -MG_EINVAL;
    }
    if (!(s->name = strdup(name)))
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    t->remote |= remote;
    t->n++;
    return 0;
}

int mg_topology_load(const char *path, mg_topology *t, mg_err *err)
{
    memset(t, 0, sizeof *t);
    char file[PATH_MAX + 16], dir[PATH_MAX];
    struct stat st;
    if (stat(path, &st) != 0)
        return mg_err_set(err, errno == ENOENT ? MG_ENOTFOUND : MG_EIO, "%.200s: %s", path,
                          strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        snprintf(file, sizeof file, "%s/" MG_TOPO_STUB, path);
        snprintf(dir, sizeof dir, "%s", path);
    } else {
        snprintf(file, sizeof file, "%s", path);
        const char *slash = strrchr(path, '/');
        if (!slash)
            snprintf(dir, sizeof dir, ".");
        else
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) + (slash == path), path);
    }
    FILE *f = fopen(file, "re");
    if (!f)
        return mg_err_set(err, errno == ENOENT ? MG_ENOTFOUND : MG_EIO, "%.200s: %s", file,
                          strerror(errno));
    t->shards = calloc(MG_TOPO_MAX_SHARDS, sizeof *t->shards);
    if (!t->shards) {
        fclose(f);
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    }
    char line[4096];
    unsigned lineno = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        rc = parse_line(t, line, dir, file, lineno, err);
    }
    if (!rc && ferror(f))
        rc = mg_err_set(err, MG_EIO, "%.200s: read error", file);
    fclose(f);
    if (!rc && t->n == 0)
        rc = mg_err_set(err, MG_EINVAL, "%.200s: lists no shard", file);
    return rc;
}

int mg_topology_write_local(const char *dir, unsigned n, mg_err *err)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/" MG_TOPO_STUB, dir);
    FILE *f = fopen(path, "we");
    if (!f)
        return mg_err_set(err, MG_EIO, "%.200s: %s", path, strerror(errno));
    for (unsigned k = 0; k < n; k++)
        fprintf(f, "auto s%u\n", k);
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    if (fclose(f) != 0 || bad)
        return mg_err_set(err, MG_EIO, "write %.200s: %s", path, strerror(errno));
    return 0;
}
