/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Generations of a morgue-index database (gens.h). */
#include "gens.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int mg_gens_rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

unsigned long long mg_gens_dir_bytes(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    unsigned long long sum = 0;
    struct dirent *de;
    /* a sharded generation (topology.h): its shards s0, s1, ... count too */
    int sharded = faccessat(dirfd(d), "XAPIANDB", F_OK, 0) == 0;
    while ((de = readdir(d))) {
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISREG(st.st_mode)) {
            sum += (unsigned long long)st.st_size;
        } else if (sharded && S_ISDIR(st.st_mode) && de->d_name[0] == 's' && de->d_name[1] >= '0' &&
                   de->d_name[1] <= '9' &&
                   strspn(de->d_name + 1, "0123456789") == strlen(de->d_name + 1)) {
            char sub[PATH_MAX];
            if (snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) < (int)sizeof sub)
                sum += mg_gens_dir_bytes(sub);
        }
    }
    closedir(d);
    return sum;
}

void mg_gens_sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int mg_gens_mkdir_p(const char *path, mg_err *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return mg_err_set(err, MG_EINVAL, "path too long: %.200s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return mg_err_set(err, MG_EIO, "mkdir %.200s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return mg_err_set(err, MG_EIO, "mkdir %.200s: %s", tmp, strerror(errno));
    return 0;
}

long mg_gens_number(const char *name)
{
    if (name[0] != 'g' || strlen(name) != 7)
        return 0;
    for (int i = 1; i < 7; i++)
        if (name[i] < '0' || name[i] > '9')
            return 0;
    return strtol(name + 1, NULL, 10);
}

long mg_gen_of_path(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t b = n;
    while (b > 0 && path[b - 1] != '/')
        b--;
    char name[16];
    if (n - b != 7 || b < 6 || memcmp(path + b - 6, ".gens/", 6) != 0)
        return 0;
    memcpy(name, path + b, 7);
    name[7] = '\0';
    return mg_gens_number(name);
}

unsigned long long mg_gen_revision(long generation, unsigned long long xapian_revision)
{
    return (unsigned long long)(generation > 0 ? generation : 0) * MG_GEN_REVISION_SPAN +
           xapian_revision;
}

void mg_gens_prune(const char *gens, long keep_a, long keep_b, mg_gens_warn_fn warn, void *ctx)
{
    DIR *d = opendir(gens);
    if (!d)
        return;
    struct dirent *de;
    char path[PATH_MAX + 300];
    while ((de = readdir(d))) {
        long g = mg_gens_number(de->d_name);
        int stale_tmp = strncmp(de->d_name, "tmp-", 4) == 0;
        if ((g && g != keep_a && g != keep_b) || stale_tmp) {
            snprintf(path, sizeof path, "%s/%s", gens, de->d_name);
            if (mg_gens_rm_tree(path) != 0 && warn)
                warn(ctx, path, errno);
        }
    }
    closedir(d);
}

void mg_gens_scan(const char *gens, long cur, long *max, long *below_cur)
{
    *max = *below_cur = 0;
    DIR *d = opendir(gens);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        long g = mg_gens_number(de->d_name);
        if (g > *max)
            *max = g;
        if (g < cur && g > *below_cur)
            *below_cur = g;
    }
    closedir(d);
}

void mg_gens_remove_stale_links(const char *parent, const char *base)
{
    DIR *d = opendir(parent);
    if (!d)
        return;
    char pfx[NAME_MAX + 8];
    snprintf(pfx, sizeof pfx, "%s.new-", base);
    struct dirent *de;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, pfx, strlen(pfx)) == 0)
            unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
}

int mg_gens_publish(const char *parent, const char *base, const char *db, long g, mg_err *err)
{
    char target[NAME_MAX + 32], link[PATH_MAX + NAME_MAX + 64];
    snprintf(target, sizeof target, "%s.gens/g%06ld", base, g);
    snprintf(link, sizeof link, "%s/%s.new-%ld", parent, base, (long)getpid());
    unlink(link);
    if (symlink(target, link) != 0)
        return mg_err_set(err, MG_EIO, "symlink %.200s: %s", link, strerror(errno));
    if (rename(link, db) != 0) {
        int en = errno;
        unlink(link);
        return mg_err_set(err, MG_EIO, "rename %.200s to %.200s: %s", link, db, strerror(en));
    }
    mg_gens_sync_dir(parent);
    return 0;
}
