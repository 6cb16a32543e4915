/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Update mode: analysis threads build documents, one writer thread looks
 * each id up first (an unchanged record is not analysed) and applies them in
 * input order; then --delete-missing, the --max-delete guard (also used by a
 * rebuild), --dry-run, the last commit and --compact's decision. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "index_run.h"
#include "grow.h"
#include "schema.h"

/* Commit what is pending; final: the run's last commit, which records the
 * run as finished (MG_META_ADDED). */
static int commit_update(run *r, int final, mg_err *err)
{
    int rc = mg_run_set_meta(r, r->xdb, final, err);
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
        mg_run_fail(r, &e);
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
        mg_run_count(r, &r->st->unchanged);
        return 0;
    }
    if (it->rc)
        return mg_run_build_failed(r, it);
    mg_err e;
    mg_err_clear(&e);
    int p = it->prior != MG_PRIOR_UNKNOWN ? it->prior : lookup(r, it->uid, it->hash);
    if (p < 0)
        return -1;
    if (p == MG_PRIOR_EQUAL) {
        mg_run_count(r, &r->st->unchanged);
        return 0;
    }
    unsigned long long *field = p == MG_PRIOR_ABSENT ? &r->st->added : &r->st->replaced;
    if (r->o->dry_run) {
        /* Nothing is written, so a later copy of an id finds no earlier
         * one: count it as the replacement it would be. */
        mg_run_count(r, it->dup && p == MG_PRIOR_ABSENT ? &r->st->replaced : field);
        return 0;
    }
    if (mg_xdoc_set_value(it->doc, MG_SLOT_ADDED, r->added, 14, &e) ||
        mg_xdb_replace(r->xdb, it->uid, it->doc, &e)) {
        mg_run_fail(r, &e);
        return -1;
    }
    mg_run_count(r, field);
    if (++r->pending >= r->batch && !r->hold && commit_update(r, 0, &e)) {
        mg_run_fail(r, &e);
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
            mg_run_build_item(w, it, &it->doc);
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
            if (it->prior == MG_PRIOR_EQUAL && q->mid + 1 == q->checked) {
                /* nothing to analyse, and no builder is behind it: taken
                 * here, so an unchanged record (most of a nightly export)
                 * wakes no thread */
                q->mid++;
                it->built = 1;
            }
            if (q->mid != q->checked || (q->eof && q->checked == q->head))
                pthread_cond_broadcast(&q->work); /* work, or the end */
        } else if (q->eof && q->tail == q->head) {
            break;
        } else {
            pthread_cond_wait(&q->done, &q->mu);
        }
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

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
    if (!mg_grow_array(&m->terms, &m->cap, m->n + 1, sizeof *m->terms, 256))
        return m->oom = 1;
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
int mg_run_check_max_delete(run *r, const char *what, unsigned long long gone,
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
        rc = mg_run_check_max_delete(r, what, m.n, (unsigned long long)n, "nothing was changed",
                                     err);
    }
    for (size_t i = 0; i < m.n && rc >= 0; i++) {
        int d = r->o->dry_run ? 1 : mg_xdb_delete(r->xdb, m.terms[i], err);
        if (d < 0) {
            rc = d;
        } else if (d > 0) {
            mg_run_count(r, &r->st->deleted);
            r->pending++;
        }
    }
    for (size_t i = 0; i < m.n; i++)
        free(m.terms[i]);
    free(m.terms);
    return rc < 0 ? rc : 0;
}

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

/* The update is committed (or dropped): count the documents, note the
 * revision (-1 if unknown) and close the database. */
static long close_update(run *r, mg_err *err)
{
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
    return rev;
}

/* How an update that did not fail ends: as an interruption, with an input
 * that could not be read, or done, then compacted if --compact and needed
 * (rev: the revision committed). */
static int end_update(run *r, int unfinished, long rev, mg_err *err)
{
    if (r->o->dry_run && !unfinished)
        return 0;
    const char *nocompact = r->o->compact ? "; not compacted" : "";
    if (unfinished)
        r->st->compaction = r->o->compact ? MG_COMPACTION_SKIPPED : MG_COMPACTION_NONE;
    if (mg_run_stopped(r)) {
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
        return mg_run_compact_live(r, err);
    }
    return 0;
}

int mg_run_update(run *r, mg_err *err)
{
    if (mg_ring_init(&r->upd, (size_t)RING_PER_THREAD * r->nthreads, RING_BYTES))
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    r->upd.checked_gate = 1;
    r->hold = r->o->delete_missing;
    int rc = mg_run_load_delete_ids(r, err); /* before anything is read or written */
    if (rc < 0)
        return rc;
    rc = mg_run_start_threads(r, builder_main, writer_main, err);
    if (!rc)
        mg_run_read_all(r);
    mg_run_stop_threads(r, rc == 0);
    if (r->failed) {
        *err = r->fail_err;
        drop_uncommitted(r);
        if (r->st->committed)
            mg_run_say(r, MG_LOG_ERROR,
                       "the batches committed before this error stay in the index");
        return -r->fail_err.code;
    }
    /* Deletions (--delete-missing or --delete-ids, never both) only after
     * every input was read to its end. */
    if (r->o->delete_missing || r->ndel) {
        if (r->st->input_failed || mg_run_stopped(r))
            mg_run_say(r, MG_LOG_WARN, "not deleting %s: %s",
                       r->o->delete_missing ? "missing documents" : "the ids of --delete-ids",
                       mg_run_stopped(r) ? "the run was interrupted"
                                         : "an input could not be read to its end");
        else if ((rc = r->o->delete_missing ? delete_missing(r, err)
                                            : mg_run_delete_listed(r, err)) < 0)
            goto fatal;
    }
    /* A dry run, and a held run that did not finish, commit nothing. */
    int unfinished = mg_run_stopped(r) || r->st->input_failed;
    if (r->o->dry_run || (r->hold && unfinished))
        drop_uncommitted(r);
    else if ((r->pending || r->st->committed) && (rc = commit_update(r, 1, err)) < 0)
        goto fatal;
    return end_update(r, unfinished, close_update(r, err), err);
fatal:
    drop_uncommitted(r);
    if (r->st->committed && !r->st->refused)
        mg_run_say(r, MG_LOG_ERROR, "the batches committed before this error stay in the index");
    return rc;
}
