/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where an indexing run writes: the paths --db names, the lock, what --db is
 * now (nothing, our symlink, a plain database), and the generations in
 * DIR.gens (building in tmp-PID, installing, publishing, pruning; gens.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gens.h"
#include "index_run.h"

int mg_run_set_paths(run *r, const char *db, mg_err *err)
{
    size_t n = strlen(db);
    while (n > 1 && db[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof r->db - 16)
        return mg_err_set(err, MG_EINVAL, "bad --db path");
    memcpy(r->db, db, n);
    r->db[n] = '\0';
    const char *slash = strrchr(r->db, '/');
    const char *b = slash ? slash + 1 : r->db;
    if (!*b || strcmp(b, ".") == 0 || strcmp(b, "..") == 0 || strlen(b) > NAME_MAX - 16)
        return mg_err_set(err, MG_EINVAL, "--db %.200s: give the database a name", r->db);
    snprintf(r->base, sizeof r->base, "%s", b);
    if (!slash)
        snprintf(r->parent, sizeof r->parent, ".");
    else if (slash == r->db)
        snprintf(r->parent, sizeof r->parent, "/");
    else
        snprintf(r->parent, sizeof r->parent, "%.*s", (int)(slash - r->db), r->db);
    snprintf(r->gens, sizeof r->gens, "%s.gens", r->db);
    snprintf(r->lockpath, sizeof r->lockpath, "%s.lock", r->db);
    return 0;
}

/* Open DIR.lock, creating it if need be; sets r->lock_created. */
static int open_lock(run *r)
{
    r->lock_created = true;
    r->lockfd = open(r->lockpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (r->lockfd >= 0 || errno != EEXIST)
        return r->lockfd;
    r->lock_created = false;
    return r->lockfd = open(r->lockpath, O_RDWR | O_CLOEXEC);
}

/* Whether the open lock file is still the one at r->lockpath. */
static bool lock_is_current(const run *r)
{
    struct stat a, b;
    return fstat(r->lockfd, &a) == 0 && stat(r->lockpath, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* flock failed with en: say who holds the lock, from the pid it wrote. */
static int lock_failed(run *r, int en, mg_err *err)
{
    char pid[32] = "";
    ssize_t n = pread(r->lockfd, pid, sizeof pid - 1, 0);
    if (n > 0) {
        pid[n] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
    }
    close(r->lockfd);
    r->lockfd = -1;
    if (en == EWOULDBLOCK)
        return mg_err_set(err, MG_ELOCKED,
                          "%.200s is locked by another indexer (pid %s, lock file %.200s)", r->db,
                          *pid ? pid : "unknown", r->lockpath);
    return mg_err_set(err, MG_EIO, "cannot lock %.200s: %s", r->lockpath, strerror(en));
}

int mg_run_lock(run *r, mg_err *err)
{
    /* A run that removes the lock file it made (mg_run_unlock) may do so
     * between our open and our flock: a lock on that file locks nothing,
     * so start again on the file now at the path. */
    for (int tries = 0;; tries++) {
        if (open_lock(r) < 0) {
            if (errno == ENOENT && tries < 100)
                continue;
            return mg_err_set(err, MG_EIO, "cannot open lock file %.200s: %s", r->lockpath,
                              strerror(errno));
        }
        if (flock(r->lockfd, LOCK_EX | LOCK_NB) != 0)
            return lock_failed(r, errno, err);
        if (lock_is_current(r))
            break;
        close(r->lockfd);
        r->lockfd = -1;
        if (tries >= 100)
            return mg_err_set(err, MG_EIO, "cannot lock %.200s: the file keeps being replaced",
                              r->lockpath);
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(r->lockfd, 0) != 0 || pwrite(r->lockfd, pid, (size_t)n, 0) != n) {
        /* The lock holds without the pid; the pid only helps the operator. */
    }
    return 0;
}

void mg_run_unlock(run *r)
{
    if (r->lockfd < 0)
        return;
    /* A lock file this run made, beside no index (a dry run of a new one,
     * a refused run, a --db that is no database): removed, while the lock
     * is held (mg_run_lock starts again when the file it locked is gone).
     * Else it stays, emptied of the pid, then the lock is released. */
    struct stat st;
    if (r->lock_created && (r->db_refused || stat(r->db, &st) != 0))
        unlink(r->lockpath);
    else if (ftruncate(r->lockfd, 0) != 0) {
    }
    close(r->lockfd);
    r->lockfd = -1;
}

/* The generation the symlink target names when it is one of ours: a
 * gNNNNNN in DIR.gens, as publish writes it ("NAME.gens/gNNNNNN") or by any
 * other path to that directory (an absolute link); 0 when it is not. */
static long our_generation(const run *r, const char *target)
{
    const char *slash = strrchr(target, '/');
    long g = slash ? mg_gens_number(slash + 1) : 0;
    if (!g)
        return 0;
    char dir[2 * PATH_MAX];
    int len = (int)(slash - target);
    if (target[0] == '/')
        snprintf(dir, sizeof dir, "%.*s", len ? len : 1, target);
    else
        snprintf(dir, sizeof dir, "%s/%.*s", r->parent, len, target);
    struct stat a, b;
    if (stat(dir, &a) != 0 || stat(r->gens, &b) != 0)
        return 0;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino ? g : 0;
}

/* Never scatter a database over a directory that holds something else (a
 * mistyped --db): it must be a glass database or empty. what names it. */
static int check_db_dir(const char *dir, const char *what, mg_err *err)
{
    char probe[PATH_MAX + 16];
    snprintf(probe, sizeof probe, "%s/iamglass", dir);
    if (access(probe, F_OK) == 0)
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return mg_err_set(err, MG_EIO, "%.400s: %s", what, strerror(errno));
    struct dirent *de;
    int empty = 1;
    while (empty && (de = readdir(d)))
        empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    closedir(d);
    if (!empty)
        return mg_err_set(err, MG_EINVAL,
                          "%.400s is a directory but not a Xapian glass database: "
                          "refusing to write into it",
                          what);
    return 0;
}

/* What --db names (mg_run_inspect_db). */
static int inspect_db(run *r, mg_err *err)
{
    struct stat st;
    r->cur_gen = 0;
    r->link[0] = '\0';
    if (lstat(r->db, &st) != 0) {
        if (errno != ENOENT)
            return mg_err_set(err, MG_EIO, "%.200s: %s", r->db, strerror(errno));
        r->kind = DB_NEW;
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(r->db, target, sizeof target - 1);
        if (n < 0)
            return mg_err_set(err, MG_EIO, "readlink %.200s: %s", r->db, strerror(errno));
        target[n] = '\0';
        if (stat(r->db, &st) != 0 || !S_ISDIR(st.st_mode))
            return mg_err_set(err, MG_ENOTFOUND,
                              "%.200s is a symlink to %.200s, which is not a directory", r->db,
                              target);
        if ((r->cur_gen = our_generation(r, target))) {
            r->kind = DB_LINKED;
            return 0;
        }
        r->kind = DB_PLAIN;
        snprintf(r->link, sizeof r->link, "%s", target);
        char what[2 * PATH_MAX];
        snprintf(what, sizeof what, "%.200s (a symlink to %.200s)", r->db, target);
        return check_db_dir(r->db, what, err);
    }
    if (S_ISDIR(st.st_mode)) {
        r->kind = DB_PLAIN;
        return check_db_dir(r->db, r->db, err);
    }
    return mg_err_set(err, MG_EINVAL, "%.200s exists and is not a database directory", r->db);
}

/* Work out what --db names: nothing yet, our symlink, or a plain database
 * (itself or through a symlink that is not ours). */
int mg_run_inspect_db(run *r, mg_err *err)
{
    int rc = inspect_db(r, err);
    r->db_refused = rc != 0;
    return rc;
}

static void warn_unremovable(void *ctx, const char *path, int errnum)
{
    mg_run_say(ctx, MG_LOG_WARN, "cannot remove %s: %s", path, strerror(errnum));
}

void mg_run_prune_gens(run *r, long keep_a, long keep_b)
{
    mg_gens_prune(r->gens, keep_a, keep_b, warn_unremovable, r);
}

void mg_run_scan_gens(run *r, long *max, long *below_cur)
{
    mg_gens_scan(r->gens, r->cur_gen, max, below_cur);
}

/* A fresh, empty DIR.gens/tmp-PID to build a generation in; the caller
 * removes it (prune_gens removes one a killed run left behind). */
int mg_run_make_tmp_dir(run *r, char *tmp, size_t cap, mg_err *err)
{
    int rc = mg_gens_mkdir_p(r->gens, err);
    if (rc)
        return rc;
    snprintf(tmp, cap, "%s/tmp-%ld", r->gens, (long)getpid());
    mg_gens_rm_tree(tmp);
    if (mkdir(tmp, 0777) != 0)
        return mg_err_set(err, MG_EIO, "mkdir %.200s: %s", tmp, strerror(errno));
    snprintf(r->tmp_dir, sizeof r->tmp_dir, "%s", tmp);
    return 0;
}

void mg_run_remove_tmp_dir(run *r)
{
    if (!*r->tmp_dir)
        return;
    /* Out of the way first: when Xapian cannot go on, the workers are not
     * waited for, and one may still be writing. It opens its files by
     * path, so once the directory is renamed it adds none to the tree being
     * removed; one that resolved the path just before gets a few more
     * tries. Whatever is left still starts with "tmp-": the next run's
     * prune removes it. */
    char gone[sizeof r->tmp_dir + 8];
    snprintf(gone, sizeof gone, "%s-gone", r->tmp_dir);
    const char *path = rename(r->tmp_dir, gone) == 0 ? gone : r->tmp_dir;
    for (int i = 0; i < 5 && mg_gens_rm_tree(path) != 0; i++)
        ;
    r->tmp_dir[0] = '\0';
}

/* Switch DIR to generation g: a new symlink renamed over DIR (atomic). */
static int publish(run *r, long g, mg_err *err)
{
    return mg_gens_publish(r->parent, r->base, r->db, g, err);
}

/* Move the finished database at path into DIR.gens as the next generation
 * and publish it. The generation that was live stays (a reader may still
 * have it open); older ones go. */
int mg_run_install_gen(run *r, const char *path, mg_err *err)
{
    long max, below;
    mg_run_scan_gens(r, &max, &below);
    long g = (max > r->cur_gen ? max : r->cur_gen) + 1;
    char gpath[PATH_MAX + 32];
    snprintf(gpath, sizeof gpath, "%s/g%06ld", r->gens, g);
    if (rename(path, gpath) != 0)
        return mg_err_set(err, MG_EIO, "rename %.200s: %s", gpath, strerror(errno));
    mg_gens_sync_dir(r->gens);
    int rc = publish(r, g, err);
    if (rc) {
        mg_gens_rm_tree(gpath);
        return rc;
    }
    r->st->committed = true;
    mg_run_prune_gens(r, g, r->cur_gen);
    r->cur_gen = g;
    return 0;
}
