/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The indexing pipeline: read -> analyse on N threads -> write -> publish. */
#include "index.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyzer.h"
#include "compact.h"
#include "docbuild.h"
#include "gens.h"
#include "idset.h"
#include "reader.h"
#include "record.h"
#include "ring.h"
#include "schema.h"
#include "xapian_search.h"
#include "xapian_shim.h"

#define DEFAULT_BATCH 10000
#define MAX_THREADS 256
/* Records in flight are bounded by count and by bytes, so memory stays
 * bounded whatever the input. Records go to a rebuild shard by id hash, so
 * while one worker commits (every MG_SHARD_FLUSH documents, ~0.2 s on Reuters)
 * its ring must hold what the reader reads meanwhile, or the reader blocks
 * on it and the other worker runs dry: with 64 slots a Reuters rebuild kept
 * 1.6 of 2 cores busy, with 512 1.8 (peak RSS 75 -> 91 MB). */
#define RING_PER_THREAD 512
#define RING_BYTES (64u << 20)

unsigned mg_index_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- One run ------------------------------------------------------------ */
typedef enum { DB_NEW, DB_LINKED, DB_PLAIN } db_kind;

typedef struct run run;

typedef struct worker {
    run *r;
    unsigned k;
    mg_docbuild *b;
    mg_xdb *shard;               /* rebuild: this worker's shard */
    mg_xdoc *doc;                /* rebuild: the document being built */
    unsigned long shard_pending; /* documents since the shard's last commit */
    pthread_t tid;
    int started;
} worker;

struct run {
    const mg_index_opts *o;
    mg_index_stats *st;
    pthread_mutex_t mu; /* stats and log calls */
    unsigned nthreads;
    unsigned long batch;
    char lang[64];
    double t0, last_progress;

    /* paths */
    char db[PATH_MAX], gens[PATH_MAX + 8], lockpath[PATH_MAX + 8], base[NAME_MAX + 1],
        parent[PATH_MAX];
    db_kind kind;
    long cur_gen;                /* generation DIR points at, 0 if none of ours */
    char tmp_dir[PATH_MAX + 64]; /* DIR.gens/tmp-PID while it exists, else "" */
    int lockfd;

    worker *w;
    mg_ring upd;    /* update mode */
    mg_ring *rings; /* rebuild: one per worker */
    mg_xdb *xdb;    /* update mode: the writer's database */
    pthread_t writer;
    unsigned long pending; /* changes since the last commit */
    /* Update mode: commit once, at the end, rather than every batch (for
     * --delete-missing, and once an input is an LZ4 stream that cannot be
     * verified before it is read): a run that fails, is refused or is
     * interrupted then changes nothing. Set by the reader before the
     * records it concerns enter the ring. */
    _Atomic int hold;
    /* The counters as of the last commit: what a failed update reports. */
    unsigned long long kept_added, kept_replaced, kept_deleted;

    _Atomic int failed; /* a thread hit a fatal error: stop */
    mg_err fail_err;

    mg_idset seen;
    mg_names files;
    unsigned long long bytes_done; /* of finished inputs */
};

/* Whether the caller asked the run to stop (mg_index_opts.stop). */
static int stop_requested(const run *r)
{
    return r->o->stop && *r->o->stop;
}

static void say(run *r, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(run *r, int level, const char *fmt, ...)
{
    if (!r->o->log)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&r->mu);
    r->o->log(r->o->ctx, level, msg);
    pthread_mutex_unlock(&r->mu);
}

/* Record the first fatal error of a thread; the reader stops at once. */
static void fail(run *r, const mg_err *e)
{
    pthread_mutex_lock(&r->mu);
    if (!r->failed) {
        r->fail_err = *e;
        r->failed = 1;
    }
    pthread_mutex_unlock(&r->mu);
}

static void count(run *r, unsigned long long *field)
{
    pthread_mutex_lock(&r->mu);
    (*field)++;
    pthread_mutex_unlock(&r->mu);
}

static void progress_tick(run *r, int force)
{
    if (!r->o->progress)
        return;
    double t = now_s();
    if (!force && t - r->last_progress < 0.25)
        return;
    r->last_progress = t;
    /* Under the lock: counters stay still, and the callback never runs at
     * the same time as a log callback (both write to the terminal). */
    pthread_mutex_lock(&r->mu);
    r->st->elapsed_s = t - r->t0;
    r->o->progress(r->o->ctx, r->st);
    pthread_mutex_unlock(&r->mu);
}

/* mg_ring_reserve's wait: keep the progress line going. */
static void progress_wait(void *ctx)
{
    progress_tick(ctx, 0);
}

/* Analyse it->rec into *doc, made on first use and reused after. */
static void build_item(worker *w, mg_ring_item *it, mg_xdoc **doc)
{
    mg_err e;
    mg_err_clear(&e);
    it->rc = 0;
    if (!*doc && !(*doc = mg_xdoc_new(&e))) {
        it->rc = -MG_ENOMEM;
    } else {
        it->rc = mg_docbuild_build(w->b, &it->rec, *doc, it->uid, sizeof it->uid, &it->hash, &e);
    }
    if (it->rc)
        snprintf(it->msg, sizeof it->msg, "%s", e.msg);
}

/* A record the builder refused is a bad record; anything else is fatal. */
static int build_failed(run *r, mg_ring_item *it)
{
    if (it->rc == -MG_ETOOBIG || it->rc == -MG_EFORMAT || it->rc == -MG_EINVAL) {
        say(r, MG_LOG_ERROR, "%s: %s", it->where, it->msg);
        count(r, &r->st->skipped);
        return 0;
    }
    mg_err e;
    mg_err_set(&e, -it->rc, "%s: %s", it->where, it->msg);
    fail(r, &e);
    return -1;
}

static void iso_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int set_meta(run *r, mg_xdb *db, mg_err *err)
{
    char when[32];
    iso_now(when);
    int rc;
    if ((rc = mg_xdb_set_metadata(db, MG_META_LANG, r->lang, err)) ||
        (rc = mg_xdb_set_metadata(db, MG_META_VERSION, MG_SCHEMA_VERSION, err)) ||
        (rc = mg_xdb_set_metadata(db, MG_META_BUILT, when, err)))
        return rc;
    return 0;
}

static int commit_update(run *r, mg_err *err)
{
    int rc = set_meta(r, r->xdb, err);
    if (!rc)
        rc = mg_xdb_commit(r->xdb, err);
    if (rc)
        return rc;
    r->pending = 0;
    pthread_mutex_lock(&r->mu);
    r->st->committed = true;
    r->kept_added = r->st->added;
    r->kept_replaced = r->st->replaced;
    r->kept_deleted = r->st->deleted;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

/* Update mode: drop what is not committed, and count only what is. */
static void drop_uncommitted(run *r)
{
    mg_xdb_abandon(r->xdb);
    r->xdb = NULL;
    r->pending = 0;
    if (r->o->dry_run)
        return; /* the counts say what the run would have done */
    r->st->added = r->kept_added;
    r->st->replaced = r->kept_replaced;
    r->st->deleted = r->kept_deleted;
}

/* Compare the record hash with the one stored for uid: MG_PRIOR_* or -1. */
static int lookup(run *r, const char *uid, uint64_t hash)
{
    mg_err e;
    mg_err_clear(&e);
    unsigned char old[8], h8[8];
    long n = mg_xdb_get_value(r->xdb, uid, MG_SLOT_HASH, old, sizeof old, &e);
    if (n == -MG_ENOTFOUND)
        return MG_PRIOR_ABSENT;
    if (n < 0) {
        fail(r, &e);
        return -1;
    }
    mg_u64_to_bytes(hash, h8);
    return n == 8 && memcmp(old, h8, 8) == 0 ? MG_PRIOR_EQUAL : MG_PRIOR_DIFFERENT;
}

/* Update mode, before analysis: is the record new, changed or the same? */
static void precheck(run *r, mg_ring_item *it)
{
    if (it->dup || r->failed)
        return;
    memcpy(it->uid, MG_PFX_ID, sizeof MG_PFX_ID - 1);
    snprintf(it->uid + sizeof MG_PFX_ID - 1, sizeof it->uid - (sizeof MG_PFX_ID - 1), "%s",
             it->rec.id); /* fits: the reader checked the id */
    int p = lookup(r, it->uid, mg_record_hash(&it->rec));
    if (p > 0)
        it->prior = p;
}

/* Update mode: apply one built document through the single writer. */
static int apply_update(run *r, mg_ring_item *it)
{
    if (it->prior == MG_PRIOR_EQUAL) {
        count(r, &r->st->unchanged);
        return 0;
    }
    if (it->rc)
        return build_failed(r, it);
    mg_err e;
    mg_err_clear(&e);
    int p = it->prior != MG_PRIOR_UNKNOWN ? it->prior : lookup(r, it->uid, it->hash);
    if (p < 0)
        return -1;
    if (p == MG_PRIOR_EQUAL) {
        count(r, &r->st->unchanged);
        return 0;
    }
    unsigned long long *field = p == MG_PRIOR_ABSENT ? &r->st->added : &r->st->replaced;
    if (r->o->dry_run) {
        /* Nothing is written, so a later copy of an id finds no earlier
         * one: count it as the replacement it would be. */
        count(r, it->dup && p == MG_PRIOR_ABSENT ? &r->st->replaced : field);
        return 0;
    }
    if (mg_xdb_replace(r->xdb, it->uid, it->doc, &e)) {
        fail(r, &e);
        return -1;
    }
    count(r, field);
    if (++r->pending >= r->batch && !r->hold && commit_update(r, &e)) {
        fail(r, &e);
        return -1;
    }
    return 0;
}

static void *builder_main(void *arg)
{
    worker *w = arg;
    mg_ring *q = &w->r->upd;
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (q->mid == q->checked && !(q->eof && q->checked == q->head))
            pthread_cond_wait(&q->work, &q->mu);
        if (q->mid == q->checked) {
            pthread_mutex_unlock(&q->mu);
            return NULL;
        }
        mg_ring_item *it = &q->it[q->mid++ % q->cap];
        pthread_mutex_unlock(&q->mu);
        if (!w->r->failed && it->prior != MG_PRIOR_EQUAL)
            build_item(w, it, &it->doc);
        pthread_mutex_lock(&q->mu);
        it->built = 1;
        pthread_cond_broadcast(&q->done);
        pthread_mutex_unlock(&q->mu);
    }
}

/* The one writer of update mode (the only thread touching the database):
 * looks new items up, and applies built documents in input order. Applying
 * comes first: it frees slots for the reader. */
static void *writer_main(void *arg)
{
    run *r = arg;
    mg_ring *q = &r->upd;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (q->tail < q->head && q->it[q->tail % q->cap].built) {
            mg_ring_item *it = &q->it[q->tail % q->cap];
            pthread_mutex_unlock(&q->mu);
            if (!r->failed)
                apply_update(r, it);
            mg_ring_pop(q, it);
            pthread_mutex_lock(&q->mu);
        } else if (q->checked < q->head) {
            mg_ring_item *it = &q->it[q->checked % q->cap];
            pthread_mutex_unlock(&q->mu);
            precheck(r, it);
            pthread_mutex_lock(&q->mu);
            q->checked++;
            pthread_cond_broadcast(&q->work);
        } else if (q->eof && q->tail == q->head) {
            break;
        } else {
            pthread_cond_wait(&q->done, &q->mu);
        }
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

/* Rebuild: analyse and write into this worker's private shard. Each document
 * is built into the worker's one mg_xdoc and added at once. (A document per
 * ring slot, reused 512 documents later, made Xapian free and allocate cold
 * memory: the Reuters rebuild took ~13% more CPU; bench/RESULTS-index.md.) */
static void *shard_main(void *arg)
{
    worker *w = arg;
    run *r = w->r;
    mg_ring *q = &r->rings[w->k];
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (q->tail == q->head && !q->eof)
            pthread_cond_wait(&q->work, &q->mu);
        if (q->tail == q->head) {
            pthread_mutex_unlock(&q->mu);
            /* The input is done: commit the last batch here, the shards in
             * parallel, rather than one after another when the main thread
             * closes them. */
            mg_err e;
            mg_err_clear(&e);
            if (w->shard && w->shard_pending && !r->failed && !stop_requested(r) &&
                mg_xdb_commit(w->shard, &e) < 0)
                fail(r, &e);
            w->shard_pending = 0;
            return NULL;
        }
        mg_ring_item *it = &q->it[q->tail % q->cap];
        pthread_mutex_unlock(&q->mu);
        if (!r->failed) {
            build_item(w, it, &w->doc);
            if (it->rc) {
                build_failed(r, it);
            } else if (!w->shard) { /* --dry-run */
                if (!it->dup)
                    count(r, &r->st->added);
            } else {
                mg_err e;
                mg_err_clear(&e);
                /* A first occurrence cannot be in the fresh shard yet: add it
                 * without the unique-term lookup; a duplicate replaces its twin. */
                int rc = it->dup ? mg_xdb_replace(w->shard, it->uid, w->doc, &e)
                                 : mg_xdb_add(w->shard, w->doc, &e);
                if (!rc && ++w->shard_pending >= MG_SHARD_FLUSH) {
                    w->shard_pending = 0;
                    rc = mg_xdb_commit(w->shard, &e);
                }
                if (rc)
                    fail(r, &e);
                else if (!it->dup) /* a duplicate replaces its twin: one document */
                    count(r, &r->st->added);
            }
        }
        mg_ring_pop(q, it);
    }
}

/* ---- Reading ------------------------------------------------------------ */

/* Checks done on the reading thread, in input order: a usable id, and
 * duplicates. Returns 0 to index the record, 1 to skip it, -1 fatal. */
static int admit(run *r, const mg_record *rec, const mg_read_info *info, const char *where,
                 int *dup, uint64_t *hash)
{
    mg_err e;
    if (mg_docbuild_check_id(rec->id, &e)) {
        say(r, MG_LOG_ERROR, "%s: %s", where, e.msg);
        count(r, &r->st->skipped);
        return 1;
    }
    long f = mg_names_add(&r->files, info->file);
    if (f < 0) {
        mg_err_set(&e, MG_ENOMEM, "out of memory (file names)");
        fail(r, &e);
        return -1;
    }
    mg_idslot old;
    uint64_t h = mg_idset_hash(rec->id, strlen(rec->id));
    int rc = mg_idset_put(&r->seen, h, (uint32_t)f,
                          info->line > UINT32_MAX ? UINT32_MAX : (uint32_t)info->line, &old);
    if (rc < 0) {
        mg_err_set(&e, MG_ENOMEM, "out of memory (ids seen)");
        fail(r, &e);
        return -1;
    }
    *dup = rc;
    *hash = h;
    if (rc) {
        const char *first = mg_names_get(&r->files, old.file);
        if (old.line)
            say(r, MG_LOG_WARN,
                "%s: duplicate id \"%s\" (first seen at %s:%u); the later record wins", where,
                rec->id, first, old.line);
        else
            say(r, MG_LOG_WARN, "%s: duplicate id \"%s\" (first seen at %s); the later record wins",
                where, rec->id, first);
        count(r, &r->st->warnings);
    }
    return 0;
}

static mg_ring *route(run *r, uint64_t h)
{
    return r->rings ? &r->rings[h % r->nthreads] : &r->upd;
}

static void set_input_bytes(run *r, unsigned long long v)
{
    pthread_mutex_lock(&r->mu);
    r->st->input_bytes = v;
    pthread_mutex_unlock(&r->mu);
}

/* The reading loop, on the calling thread. Records are read into a staging
 * record, then swapped into a free slot of their ring (no copy). */
static void read_all(run *r)
{
    const mg_index_opts *o = r->o;
    mg_record rec;
    mg_record_init(&rec);
    for (size_t i = 0; i < o->ninputs && !stop_requested(r) && !r->failed; i++) {
        mg_err e;
        mg_err_clear(&e);
        mg_reader *rd = mg_reader_open(o->inputs[i], &e);
        if (!rd) {
            say(r, MG_LOG_ERROR, "%s", e.msg);
            r->st->input_failed = true;
            continue;
        }
        /* An LZ4 stream not checked up front (a pipe): if it proves damaged,
         * records already read from it may be garbage, so an update commits
         * nothing until the end. */
        if (mg_reader_unverified(rd))
            r->hold = 1;
        mg_read_info info;
        memset(&info, 0, sizeof info);
        unsigned long long off = 0, total = 0;
        int ended = 0;
        /* Regular files were sized up front; a directory's size (the sum of
         * its files) is known once the reader has listed it. */
        struct stat sb;
        int sized = stat(o->inputs[i], &sb) == 0 && S_ISREG(sb.st_mode);
        while (!stop_requested(r) && !r->failed) {
            int rc = mg_reader_next(rd, &rec, &info, &e);
            if (info.offset > off)
                off = info.offset;
            total = info.total;
            if (!sized && total) {
                pthread_mutex_lock(&r->mu);
                r->st->input_total += total;
                pthread_mutex_unlock(&r->mu);
                sized = 1;
            }
            set_input_bytes(r, r->bytes_done + off);
            if (rc == MG_READ_END) {
                ended = 1;
                break;
            }
            if (rc < 0) {
                if (!stop_requested(r)) {
                    say(r, MG_LOG_ERROR, "%s", e.msg);
                    r->st->input_failed = true;
                }
                break;
            }
            count(r, &r->st->read);
            if (rc == MG_READ_SKIP) {
                say(r, MG_LOG_ERROR, "%s", e.msg);
                count(r, &r->st->skipped);
                progress_tick(r, 0);
                continue;
            }
            if (info.warning[0]) {
                say(r, MG_LOG_WARN, "%s", info.warning);
                count(r, &r->st->warnings);
            }
            char where[320];
            if (info.line)
                snprintf(where, sizeof where, "%s:%lu", info.file, info.line);
            else
                snprintf(where, sizeof where, "%s", info.file);
            int dup = 0;
            uint64_t h = 0;
            int a = admit(r, &rec, &info, where, &dup, &h);
            if (a < 0)
                break;
            if (a > 0)
                continue;
            mg_ring *q = route(r, h);
            mg_ring_item *it = mg_ring_reserve(q, &r->failed, progress_wait, r);
            if (!it)
                break;
            mg_record t = it->rec;
            it->rec = rec;
            rec = t;
            memcpy(it->where, where, sizeof where);
            it->dup = dup;
            mg_ring_push(q, it);
            progress_tick(r, 0);
        }
        r->bytes_done += ended && total > off ? total : off;
        set_input_bytes(r, r->bytes_done);
        mg_reader_free(rd);
    }
    mg_record_release(&rec);
}

/* ---- Generations (gens.h) on this run's paths ---------------------------- */

static void warn_unremovable(void *ctx, const char *path, int errnum)
{
    say(ctx, MG_LOG_WARN, "cannot remove %s: %s", path, strerror(errnum));
}

static void prune_gens(run *r, long keep_a, long keep_b)
{
    mg_gens_prune(r->gens, keep_a, keep_b, warn_unremovable, r);
}

static void scan_gens(run *r, long *max, long *below_cur)
{
    mg_gens_scan(r->gens, r->cur_gen, max, below_cur);
}

static int take_lock(run *r, mg_err *err)
{
    r->lockfd = open(r->lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (r->lockfd < 0)
        return mg_err_set(err, MG_EIO, "cannot open lock file %.200s: %s", r->lockpath,
                          strerror(errno));
    if (flock(r->lockfd, LOCK_EX | LOCK_NB) != 0) {
        int en = errno;
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
                              "%.200s is locked by another indexer (pid %s, lock file %.200s)",
                              r->db, *pid ? pid : "unknown", r->lockpath);
        return mg_err_set(err, MG_EIO, "cannot lock %.200s: %s", r->lockpath, strerror(en));
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(r->lockfd, 0) != 0 || pwrite(r->lockfd, pid, (size_t)n, 0) != n) {
        /* The lock holds without the pid; the pid only helps the operator. */
    }
    return 0;
}

/* Work out what --db names: nothing yet, our symlink, or a plain database. */
static int inspect_db(run *r, mg_err *err)
{
    struct stat st;
    r->cur_gen = 0;
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
        r->kind = DB_LINKED;
        const char *slash = strrchr(target, '/');
        char gdir[NAME_MAX + 8];
        snprintf(gdir, sizeof gdir, "%s.gens", r->base);
        /* Ours when the target is "NAME.gens/gNNNNNN" (relative, as we write). */
        if (slash && (size_t)(slash - target) == strlen(gdir) &&
            strncmp(target, gdir, strlen(gdir)) == 0)
            r->cur_gen = mg_gens_number(slash + 1);
        return 0;
    }
    if (S_ISDIR(st.st_mode)) {
        r->kind = DB_PLAIN;
        /* Never scatter a database over a directory that holds something
         * else (a mistyped --db): it must be a glass database or empty. */
        char probe[PATH_MAX + 16];
        snprintf(probe, sizeof probe, "%s/iamglass", r->db);
        if (access(probe, F_OK) == 0)
            return 0;
        DIR *d = opendir(r->db);
        if (!d)
            return mg_err_set(err, MG_EIO, "%.200s: %s", r->db, strerror(errno));
        struct dirent *de;
        int empty = 1;
        while (empty && (de = readdir(d)))
            empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
        closedir(d);
        if (!empty)
            return mg_err_set(err, MG_EINVAL,
                              "%.200s is a directory but not a Xapian glass database: "
                              "refusing to write into it",
                              r->db);
        return 0;
    }
    return mg_err_set(err, MG_EINVAL, "%.200s exists and is not a database directory", r->db);
}

static int set_paths(run *r, const char *db, mg_err *err)
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

/* ---- Threads -------------------------------------------------------------- */

static int start_threads(run *r, int rebuild, mg_err *err)
{
    /* Signals go to the calling thread only: it is the one that reads, and
     * Xapian's writes must not see EINTR. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = 0;
    for (unsigned k = 0; k < r->nthreads && !rc; k++) {
        rc = pthread_create(&r->w[k].tid, NULL, rebuild ? shard_main : builder_main, &r->w[k]);
        r->w[k].started = rc == 0;
    }
    if (!rc && !rebuild)
        rc = pthread_create(&r->writer, NULL, writer_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        mg_err_set(err, MG_ENOMEM, "cannot start a thread: %s", strerror(rc));
        fail(r, err);
        return -MG_ENOMEM;
    }
    return 0;
}

static void stop_threads(run *r, int rebuild, int writer_started)
{
    if (rebuild) {
        for (unsigned k = 0; k < r->nthreads; k++)
            mg_ring_close(&r->rings[k]);
    } else {
        mg_ring_close(&r->upd);
    }
    for (unsigned k = 0; k < r->nthreads; k++)
        if (r->w[k].started)
            pthread_join(r->w[k].tid, NULL);
    if (writer_started)
        pthread_join(r->writer, NULL);
}

/* ---- Update mode ---------------------------------------------------------- */

typedef struct missing {
    run *r;
    char **terms;
    size_t n, cap;
    int oom;
} missing;

static int collect_missing(void *ctx, const char *term, size_t len)
{
    missing *m = ctx;
    if (len < 2 || mg_idset_has(&m->r->seen, mg_idset_hash(term + 1, len - 1)))
        return 0;
    if (m->n == m->cap) {
        size_t c = m->cap ? m->cap * 2 : 256;
        char **p = realloc(m->terms, c * sizeof *p);
        if (!p)
            return m->oom = 1;
        m->terms = p;
        m->cap = c;
    }
    if (!(m->terms[m->n] = strndup(term, len)))
        return m->oom = 1;
    m->n++;
    return 0;
}

/* The most documents this run may remove from an index of n. */
static unsigned long long max_delete(const run *r, unsigned long long n)
{
    const mg_index_opts *o = r->o;
    if (o->max_delete_set && o->max_delete_absolute)
        return o->max_delete_docs;
    double pct = o->max_delete_set ? o->max_delete_pct : MG_INDEX_MAX_DELETE_PCT;
    return pct >= 100 ? n : (unsigned long long)((double)n * pct / 100.0);
}

static void limit_text(const run *r, char *buf, size_t cap)
{
    const mg_index_opts *o = r->o;
    if (o->max_delete_set && o->max_delete_absolute)
        snprintf(buf, cap, "%llu", o->max_delete_docs);
    else
        snprintf(buf, cap, "%g%%",
                 o->max_delete_set ? o->max_delete_pct : (double)MG_INDEX_MAX_DELETE_PCT);
}

/* Refuse to take `gone` of the `of` documents of the index away when that is
 * over --max-delete: 0, or MG_EINVAL with a message that says what the run
 * would do (what), the numbers, and what happened instead (outcome). */
static int check_max_delete(run *r, const char *what, unsigned long long gone,
                            unsigned long long of, const char *outcome, mg_err *err)
{
    if (gone == 0 || gone <= max_delete(r, of))
        return 0;
    char lim[32];
    limit_text(r, lim, sizeof lim);
    r->st->refused = true;
    return mg_err_set(err, MG_EINVAL,
                      "%s%s (%.1f%% of the %llu documents in the index), over --max-delete %s: "
                      "%s (give --max-delete 100%% to allow it)",
                      r->o->dry_run ? "--dry-run: would refuse: " : "refusing: ", what,
                      of ? 100.0 * (double)gone / (double)of : 100.0, of, lim, outcome);
}

/* --delete-missing: every id in the index that this run did not read goes,
 * unless that is more than --max-delete allows. The run holds its commits
 * (r->hold), so a refusal leaves the index as it was. */
static int delete_missing(run *r, mg_err *err)
{
    missing m = {r, NULL, 0, 0, 0};
    int rc = mg_xdb_each_term(r->xdb, MG_PFX_ID, collect_missing, &m, err);
    if (m.oom)
        rc = mg_err_set(err, MG_ENOMEM, "--delete-missing: out of memory");
    long n = rc < 0 ? 0 : mg_xdb_doccount(r->xdb, err);
    if (n < 0)
        rc = (int)n;
    if (rc >= 0) {
        char what[96];
        snprintf(what, sizeof what, "--delete-missing would delete %zu documents", m.n);
        rc = check_max_delete(r, what, m.n, (unsigned long long)n, "nothing was changed", err);
    }
    for (size_t i = 0; i < m.n && rc >= 0; i++) {
        int d = r->o->dry_run ? 1 : mg_xdb_delete(r->xdb, m.terms[i], err);
        if (d < 0) {
            rc = d;
        } else if (d > 0) {
            count(r, &r->st->deleted);
            r->pending++;
        }
    }
    for (size_t i = 0; i < m.n; i++)
        free(m.terms[i]);
    free(m.terms);
    return rc < 0 ? rc : 0;
}

static int compact_live(run *r, mg_err *err);

/* Whether a table of the glass database DIR points at was written after
 * its last commit. A commit (or a compaction) writes the version file
 * iamglass after the tables, so a newer table holds blocks an update wrote
 * and never committed: one that failed (disk full). Those blocks take
 * space that only a compaction gives back. */
static int written_since_commit(run *r)
{
    char path[PATH_MAX + 16];
    struct stat v, t;
    snprintf(path, sizeof path, "%s/iamglass", r->db);
    DIR *d = opendir(r->db);
    if (!d || stat(path, &v) != 0) {
        if (d)
            closedir(d);
        return 1; /* unknown: compact to be safe */
    }
    int newer = 0;
    struct dirent *de;
    while (!newer && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n > 6 && strcmp(de->d_name + n - 6, ".glass") == 0 &&
            fstatat(dirfd(d), de->d_name, &t, 0) == 0)
            newer = t.st_mtim.tv_sec > v.st_mtim.tv_sec ||
                    (t.st_mtim.tv_sec == v.st_mtim.tv_sec && t.st_mtim.tv_nsec > v.st_mtim.tv_nsec);
    }
    closedir(d);
    return newer;
}

static int run_update(run *r, mg_err *err)
{
    if (mg_ring_init(&r->upd, (size_t)RING_PER_THREAD * r->nthreads, RING_BYTES))
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    r->hold = r->o->delete_missing;
    int rc = start_threads(r, 0, err);
    if (!rc)
        read_all(r);
    stop_threads(r, 0, rc == 0);
    if (r->failed) {
        *err = r->fail_err;
        drop_uncommitted(r);
        if (r->st->committed)
            say(r, MG_LOG_ERROR, "the batches committed before this error stay in the index");
        return -r->fail_err.code;
    }
    if (r->o->delete_missing) {
        if (r->st->input_failed || stop_requested(r))
            say(r, MG_LOG_WARN, "not deleting missing documents: %s",
                stop_requested(r) ? "the run was interrupted"
                                  : "an input could not be read to its end");
        else if ((rc = delete_missing(r, err)) < 0)
            goto fatal;
    }
    /* A dry run, and a held run that did not finish, commit nothing. */
    int unfinished = stop_requested(r) || r->st->input_failed;
    if (r->o->dry_run || (r->hold && unfinished))
        drop_uncommitted(r);
    else if (r->pending && (rc = commit_update(r, err)) < 0)
        goto fatal;
    long rev = -1;
    if (r->xdb) {
        long n = mg_xdb_doccount(r->xdb, err);
        if (n >= 0)
            r->st->documents = (unsigned long long)n;
        rev = mg_xdb_revision(r->xdb, err);
        /* Everything is committed: closing without a commit keeps the
         * revision unchanged when nothing changed. */
        mg_xdb_abandon(r->xdb);
        r->xdb = NULL;
    }
    if (r->o->dry_run && !unfinished)
        return 0;
    const char *nocompact = r->o->compact ? "; not compacted" : "";
    if (unfinished)
        r->st->compaction = r->o->compact ? MG_COMPACTION_SKIPPED : MG_COMPACTION_NONE;
    if (stop_requested(r)) {
        r->st->interrupted = true;
        return mg_err_set(err, MG_EIO, "interrupted: %s%s",
                          r->st->committed ? "the documents read so far are committed"
                                           : "nothing was changed",
                          nocompact);
    }
    if (r->st->input_failed)
        return mg_err_set(err, MG_EIO, "an input could not be read: %s%s",
                          r->st->committed ? "the documents read are committed"
                                           : "nothing was changed",
                          nocompact);
    if (r->o->compact) {
        /* A compacted database is at revision 1 and every commit adds one
         * (xapian_shim.h): at 1 there is nothing to gain, unless a failed
         * update left uncommitted blocks behind. An unknown revision
         * (rev < 0) is compacted to be safe. */
        if (rev == 1 && !written_since_commit(r)) {
            r->st->compaction = MG_COMPACTION_NOT_NEEDED;
            return 0;
        }
        return compact_live(r, err);
    }
    return 0;
fatal:
    drop_uncommitted(r);
    if (r->st->committed && !r->st->refused)
        say(r, MG_LOG_ERROR, "the batches committed before this error stay in the index");
    return rc;
}

/* ---- New generations: rebuild (and first index), --compact ----------------- */

static void abandon_shards(run *r)
{
    for (unsigned k = 0; k < r->nthreads; k++) {
        mg_xdb_abandon(r->w[k].shard);
        r->w[k].shard = NULL;
    }
}

/* Switch DIR to generation g: a new symlink renamed over DIR (atomic). */
static int publish(run *r, long g, mg_err *err)
{
    return mg_gens_publish(r->parent, r->base, r->db, g, err);
}

/* A fresh, empty DIR.gens/tmp-PID to build a generation in; the caller
 * removes it (prune_gens removes one a killed run left behind). */
static int make_tmp_dir(run *r, char *tmp, size_t cap, mg_err *err)
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

static void remove_tmp_dir(run *r)
{
    if (*r->tmp_dir)
        mg_gens_rm_tree(r->tmp_dir);
    r->tmp_dir[0] = '\0';
}

/* Move the finished database at path into DIR.gens as the next generation
 * and publish it. The generation that was live stays (a reader may still
 * have it open); older ones go. */
static int install_gen(run *r, const char *path, mg_err *err)
{
    long max, below;
    scan_gens(r, &max, &below);
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
    prune_gens(r, g, r->cur_gen);
    r->cur_gen = g;
    return 0;
}

/* mg_compact_run's poll: keep the progress line going, stop on request. */
static int compact_poll(void *ctx)
{
    run *r = ctx;
    progress_tick(r, 0);
    return stop_requested(r);
}

/* --compact after an update: compact the live generation into a new one and
 * publish it as a rebuild does (the lock is held all along, so nothing
 * changes the live one meanwhile). The update is committed already: on
 * failure the live generation stays as it is and the partial copy goes. */
static int compact_live(run *r, mg_err *err)
{
    mg_index_stats *st = r->st;
    char live[PATH_MAX], tmp[PATH_MAX + 64], dst[PATH_MAX + 128];
    if (!realpath(r->db, live))
        return mg_err_set(err, MG_EIO, "%.200s: %s", r->db, strerror(errno));
    int rc = make_tmp_dir(r, tmp, sizeof tmp, err);
    if (rc)
        return rc;
    snprintf(dst, sizeof dst, "%s/db", tmp);
    pthread_mutex_lock(&r->mu);
    st->compact_from_bytes = mg_gens_dir_bytes(live);
    st->compaction = MG_COMPACTION_RUNNING;
    pthread_mutex_unlock(&r->mu);
    double t = now_s();
    const char *src = live;
    rc = mg_compact_run(&src, 1, dst, compact_poll, r, err);
    if (rc == 0 && (rc = install_gen(r, dst, err)) == 0)
        /* The generation compacted from holds the same articles as the new
         * live one; keeping it would keep twice the index's size on disk
         * for nothing. A reader that has it open goes on reading its open
         * files, and morgued switches to the new one at its next look
         * (within a second). */
        prune_gens(r, r->cur_gen, -1);
    st->compact_s = now_s() - t;
    remove_tmp_dir(r);
    if (rc == 0) {
        st->compaction = MG_COMPACTION_DONE;
        return 0;
    }
    const char *stays = st->committed ? "the update is committed and stays live, not compacted"
                                      : "the live index stays as it was, not compacted";
    if (rc == 1) {
        st->compaction = MG_COMPACTION_INTERRUPTED;
        st->interrupted = true;
        return mg_err_set(err, MG_EIO, "interrupted while compacting: %s", stays);
    }
    st->compaction = MG_COMPACTION_FAILED;
    mg_err inner = *err;
    return mg_err_set(err, inner.code, "compacting failed: %.150s; %s", inner.msg, stays);
}

static int run_rebuild(run *r, mg_err *err)
{
    char tmp[PATH_MAX + 64], path[PATH_MAX + 128];
    int rc = r->o->dry_run ? 0 : make_tmp_dir(r, tmp, sizeof tmp, err);
    if (rc)
        return rc;
    r->rings = calloc(r->nthreads, sizeof *r->rings);
    if (!r->rings) {
        rc = mg_err_set(err, MG_ENOMEM, "out of memory");
        goto out;
    }
    const char **srcs = NULL;
    char **paths = NULL;
    for (unsigned k = 0; k < r->nthreads; k++) {
        if (mg_ring_init(&r->rings[k], RING_PER_THREAD, RING_BYTES / r->nthreads)) {
            rc = mg_err_set(err, MG_ENOMEM, "out of memory");
            goto out;
        }
        if (r->o->dry_run)
            continue; /* no shard: the workers only analyse and count */
        snprintf(path, sizeof path, "%s/shard-%u", tmp, k);
        /* Not DB_DANGEROUS: Xapian can undo a commit that failed (disk
         * full) only when blocks are not written in place; otherwise it
         * fails with "cancel() not supported under DB_DANGEROUS" instead
         * of the cause. On Reuters it costs nothing measurable. */
        r->w[k].shard = mg_xdb_open(path, MG_XDB_CREATE | MG_XDB_NOSYNC, err);
        if (!r->w[k].shard) {
            rc = -err->code;
            goto out;
        }
    }
    rc = start_threads(r, 1, err);
    if (!rc)
        read_all(r);
    stop_threads(r, 1, 0);
    if (r->failed) {
        *err = r->fail_err;
        rc = -err->code;
        goto out;
    }
    if (stop_requested(r)) {
        r->st->interrupted = true;
        rc = mg_err_set(err, MG_EIO, "interrupted: nothing published%s",
                        r->kind == DB_NEW ? "" : "; the old index stays live");
        goto out;
    }
    if (r->st->input_failed) {
        rc = mg_err_set(err, MG_EIO, "an input could not be read: nothing published%s",
                        r->kind == DB_NEW ? "" : "; the old index stays live");
        goto out;
    }
    unsigned long long live = r->st->live_documents, built = r->st->added;
    if (live > built) {
        char what[128];
        snprintf(what, sizeof what, "the rebuilt index would hold %llu documents, %llu fewer",
                 built, live - built);
        if ((rc = check_max_delete(r, what, live - built, live,
                                   "nothing published; the old index stays live", err)))
            goto out;
    }
    if (r->o->dry_run)
        goto out;
    if ((rc = set_meta(r, r->w[0].shard, err)))
        goto out;
    for (unsigned k = 0; k < r->nthreads; k++) {
        int c = mg_xdb_close(r->w[k].shard, err);
        r->w[k].shard = NULL;
        if (c) {
            rc = c;
            goto out;
        }
    }
    srcs = calloc(r->nthreads, sizeof *srcs);
    paths = calloc(r->nthreads, sizeof *paths);
    if (!srcs || !paths) {
        rc = mg_err_set(err, MG_ENOMEM, "out of memory");
        goto out_free;
    }
    for (unsigned k = 0; k < r->nthreads; k++) {
        if (asprintf(&paths[k], "%s/shard-%u", tmp, k) < 0) {
            paths[k] = NULL;
            rc = mg_err_set(err, MG_ENOMEM, "out of memory");
            goto out_free;
        }
        srcs[k] = paths[k];
    }
    snprintf(path, sizeof path, "%s/db", tmp);
    if ((rc = mg_xdb_compact(srcs, r->nthreads, path, err)))
        goto out_free;
    if ((rc = install_gen(r, path, err)))
        goto out_free;
    r->st->documents = r->st->added;
out_free:
    if (paths)
        for (unsigned k = 0; k < r->nthreads; k++)
            free(paths[k]);
    free(paths);
    free(srcs);
out:
    abandon_shards(r);
    remove_tmp_dir(r);
    if (!r->st->committed && !r->o->dry_run)
        r->st->added = 0; /* nothing was published */
    if (rc < 0 && !r->st->committed && !r->st->interrupted && !r->st->input_failed &&
        !r->st->refused) {
        mg_err inner = *err;
        mg_err_set(err, inner.code, "%.190s; nothing published%s", inner.msg,
                   r->kind == DB_NEW ? "" : "; the old index stays live");
    }
    return rc;
}

/* ---- The run -------------------------------------------------------------- */

/* Xapian failed in a way the process cannot survive (xapian_shim.h,
 * mg_xapian_set_fatal): remove the generation being built, make the
 * counts say what was committed, and hand over to o->fatal, which ends the
 * process. The live generation stays: nothing was published, and an
 * update's last commit is what the database holds. */
static void on_xapian_fatal(void *ctx, const mg_err *cause)
{
    run *r = ctx;
    mg_index_stats *st = r->st;
    remove_tmp_dir(r);
    char real[PATH_MAX];
    if (realpath(r->db, real))
        snprintf(st->generation, sizeof st->generation, "%s", real);
    const char *stays;
    if (st->mode == MG_INDEX_REBUILD) {
        st->added = 0;
        stays =
            r->kind == DB_NEW ? "nothing published" : "nothing published; the old index stays live";
    } else {
        st->added = r->kept_added;
        st->replaced = r->kept_replaced;
        st->deleted = r->kept_deleted;
        st->documents = st->live_documents + r->kept_added - r->kept_deleted;
        stays = st->committed ? "the batches committed before this error stay in the index"
                              : "nothing was changed";
    }
    mg_err e;
    mg_err_set(&e, cause->code, "%.200s; %s", cause->msg, stays);
    if (r->o->fatal)
        r->o->fatal(r->o->ctx, st, &e);
}

static int usage_error(mg_index_stats *st, mg_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int usage_error(mg_index_stats *st, mg_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[sizeof err->msg];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    st->usage_error = true;
    return mg_err_set(err, MG_EINVAL, "%s", msg);
}

static int check_inputs(run *r, mg_err *err)
{
    for (size_t i = 0; i < r->o->ninputs; i++) {
        const char *in = r->o->inputs[i];
        if (strcmp(in, "-") == 0)
            continue;
        struct stat st;
        if (stat(in, &st) != 0 || access(in, R_OK) != 0)
            return mg_err_set(err, errno == ENOENT ? MG_ENOTFOUND : MG_EIO,
                              "cannot read %.200s: %s", in, strerror(errno));
        if (S_ISREG(st.st_mode))
            r->st->input_total += (unsigned long long)st.st_size;
    }
    return 0;
}

/* Open the existing database (update) or read its language (rebuild). */
static int open_existing(run *r, char *stored, size_t cap, mg_err *err)
{
    r->xdb = mg_xdb_open(r->db, r->kind == DB_PLAIN && !r->o->dry_run ? MG_XDB_CREATE : 0, err);
    if (!r->xdb)
        return -err->code;
    long n = mg_xdb_get_metadata(r->xdb, MG_META_LANG, stored, cap, err);
    if (n < 0)
        return (int)n;
    /* What is live now; a run that publishes nothing reports this. */
    n = mg_xdb_doccount(r->xdb, err);
    if (n >= 0)
        r->st->documents = r->st->live_documents = (unsigned long long)n;
    return 0;
}

/* After a failure: the documents the live index really holds (through a
 * reader, which needs no lock: the failure may be that another writer has
 * it). Left as it is when there is no index to read. */
static void count_live(run *r)
{
    mg_err e;
    mg_xsearch *xs = mg_xsearch_open(r->db, &e);
    if (xs)
        r->st->documents = mg_xsearch_doccount(xs);
    mg_xsearch_free(xs);
}

static int run_locked(run *r, mg_err *err)
{
    const mg_index_opts *o = r->o;
    mg_index_stats *st = r->st;
    int rc = inspect_db(r, err);
    if (rc)
        return rc;
    mg_gens_remove_stale_links(r->parent, r->base);
    if (r->kind != DB_PLAIN) {
        long max, below;
        scan_gens(r, &max, &below);
        prune_gens(r, r->cur_gen, below);
    }
    if (o->rebuild && r->kind == DB_PLAIN)
        return usage_error(st, err,
                           "%s is a plain Xapian database, not a morgue-index symlink: --rebuild "
                           "cannot switch it atomically (index into a new --db instead)",
                           r->db);
    if (o->compact && r->kind == DB_PLAIN)
        return usage_error(st, err,
                           "%s is a plain Xapian database, not a morgue-index symlink: --compact "
                           "cannot switch it atomically (compact it with xapian-compact, or "
                           "index into a new --db)",
                           r->db);
    st->mode = o->rebuild || r->kind == DB_NEW ? MG_INDEX_REBUILD : MG_INDEX_UPDATE;
    char stored[64] = "";
    if (r->kind != DB_NEW && (rc = open_existing(r, stored, sizeof stored, err)))
        return rc;
    if (st->mode == MG_INDEX_REBUILD) {
        mg_xdb_abandon(r->xdb);
        r->xdb = NULL;
    }
    if (o->lang && *stored && strcmp(o->lang, stored) != 0 && st->mode == MG_INDEX_UPDATE)
        return usage_error(st, err,
                           "%s is stemmed for \"%s\": --lang %s needs --rebuild to change "
                           "the language of the index",
                           r->db, stored, o->lang);
    snprintf(r->lang, sizeof r->lang, "%s", o->lang ? o->lang : *stored ? stored : "english");
    snprintf(st->lang, sizeof st->lang, "%s", r->lang);
    for (unsigned k = 0; k < r->nthreads; k++) {
        r->w[k].r = r;
        r->w[k].k = k;
        if (!(r->w[k].b = mg_docbuild_new(r->lang, err))) {
            if (err->code == MG_EINVAL)
                st->usage_error = true;
            return -err->code;
        }
    }
    if (st->mode == MG_INDEX_UPDATE)
        return run_update(r, err);
    rc = run_rebuild(r, err);
    if (!rc && o->compact) /* a rebuild's result is compacted already */
        st->compaction = MG_COMPACTION_NOT_NEEDED;
    return rc;
}

int mg_index_run(const mg_index_opts *o, mg_index_stats *st, mg_err *err)
{
    memset(st, 0, sizeof *st);
    st->dry_run = o->dry_run;
    if (!o->db || !*o->db)
        return usage_error(st, err, "no database: give --db DIR or set MORGUE_DB");
    if (o->ninputs == 0)
        return usage_error(st, err, "no input: give one or more files, directories or -");
    if (o->threads > MAX_THREADS)
        return usage_error(st, err, "--threads must be between 1 and %d", MAX_THREADS);
    run *r = calloc(1, sizeof *r);
    if (!r)
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    r->o = o;
    r->st = st;
    r->lockfd = -1;
    r->t0 = now_s();
    r->last_progress = r->t0; /* the first line after a quarter second */
    r->nthreads = o->threads ? o->threads : mg_index_default_threads();
    r->batch = o->batch ? o->batch : DEFAULT_BATCH;
    pthread_mutex_init(&r->mu, NULL);
    int rc = set_paths(r, o->db, err);
    if (rc) {
        st->usage_error = true;
        goto out;
    }
    if (o->lang) { /* an unknown language is a usage error: say so first */
        mg_docbuild *b = mg_docbuild_new(o->lang, err);
        if (!b) {
            if (err->code == MG_EINVAL) {
                char list[1024] = "";
                size_t n = 0;
                for (const char *const *l = mg_analyzer_languages(); *l && n < sizeof list; l++)
                    n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? " " : "", *l);
                say(r, MG_LOG_ERROR, "unknown language \"%s\" for --lang; valid languages: %s",
                    o->lang, list);
                rc = usage_error(st, err, "--lang %s: not a stemming language", o->lang);
            } else {
                rc = -err->code;
            }
            goto out;
        }
        mg_docbuild_free(b);
    }
    snprintf(st->db, sizeof st->db, "%s", r->db);
    if ((rc = check_inputs(r, err)) || (rc = mg_gens_mkdir_p(r->parent, err)) ||
        (rc = take_lock(r, err)))
        goto out;
    r->w = calloc(r->nthreads, sizeof *r->w);
    if (!r->w) {
        rc = mg_err_set(err, MG_ENOMEM, "out of memory");
        goto out;
    }
    mg_xapian_set_fatal(on_xapian_fatal, r);
    rc = run_locked(r, err);
    mg_xapian_set_fatal(NULL, NULL);
    progress_tick(r, 1);
out:
    mg_xdb_abandon(r->xdb);
    r->xdb = NULL;
    if (rc < 0 && !st->usage_error)
        count_live(r);
    if (r->w)
        for (unsigned k = 0; k < r->nthreads; k++) {
            mg_docbuild_free(r->w[k].b);
            mg_xdoc_free(r->w[k].doc);
        }
    free(r->w);
    mg_ring_release(&r->upd);
    if (r->rings)
        for (unsigned k = 0; k < r->nthreads; k++)
            mg_ring_release(&r->rings[k]);
    free(r->rings);
    mg_idset_release(&r->seen);
    mg_names_release(&r->files);
    char real[PATH_MAX];
    if (realpath(r->db, real))
        snprintf(st->generation, sizeof st->generation, "%s", real);
    if (*st->generation)
        st->index_bytes = mg_gens_dir_bytes(st->generation);
    if (r->lockfd >= 0) {
        /* Leave no stale pid behind, then release the lock. */
        if (ftruncate(r->lockfd, 0) != 0) {
        }
        close(r->lockfd);
    }
    st->elapsed_s = now_s() - r->t0;
    pthread_mutex_destroy(&r->mu);
    free(r);
    return rc;
}
