/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One indexing run (mg_index_run, index.h): check the options, take the
 * lock, decide between update and rebuild, and hand over to index_update.c
 * or index_rebuild.c; also what both modes share (messages, counters, the
 * progress line, analysis, the threads). index_run.h maps the files. */
#include "index.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyzer.h"
#include "gens.h"
#include "index_run.h"
#include "topology.h"
#include "schema.h"
#include "xapian_search.h"

unsigned mg_index_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

void mg_run_say(run *r, int level, const char *fmt, ...)
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

/* Record the first fatal error of a thread; the reader stops at once. A
 * full disk is the cause whatever another thread met first: once a write
 * fell short, reading what it left can fail otherwise (a rebuild of 4
 * threads on a full disk once reported Xapian's "dir_end invalid in block
 * 29" instead). */
void mg_run_fail(run *r, const mg_err *e)
{
    pthread_mutex_lock(&r->mu);
    if (!r->failed || (e->detail == ENOSPC && r->fail_err.detail != ENOSPC)) {
        r->fail_err = *e;
        r->failed = 1;
    }
    pthread_mutex_unlock(&r->mu);
}

void mg_run_count(run *r, unsigned long long *field)
{
    pthread_mutex_lock(&r->mu);
    (*field)++;
    pthread_mutex_unlock(&r->mu);
}

void mg_run_progress(run *r, int force)
{
    if (!r->o->progress)
        return;
    double t = mg_run_now();
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

/* Analyse it->rec into *doc, made on first use and reused after. */
void mg_run_build_item(worker *w, mg_ring_item *it, mg_xdoc **doc)
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
int mg_run_build_failed(run *r, mg_ring_item *it)
{
    if (it->rc == -MG_ETOOBIG || it->rc == -MG_EFORMAT || it->rc == -MG_EINVAL) {
        mg_run_say(r, MG_LOG_ERROR, "%s: %s", it->where, it->msg);
        mg_run_count(r, &r->st->skipped);
        return 0;
    }
    mg_err e;
    mg_err_set(&e, -it->rc, "%s: %s", it->where, it->msg);
    mg_run_fail(r, &e);
    return -1;
}

static void iso_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int mg_run_set_meta(run *r, mg_xdb *db, int final, mg_err *err)
{
    char when[32], dupkey[16];
    iso_now(when);
    snprintf(dupkey, sizeof dupkey, "%d", r->dupkey);
    int rc;
    if ((rc = mg_xdb_set_metadata(db, MG_META_LANG, r->lang, err)) ||
        (rc = mg_xdb_set_metadata(db, MG_META_VERSION, MG_SCHEMA_VERSION, err)) ||
        (rc = mg_xdb_set_metadata(db, MG_META_DUPKEY, dupkey, err)) ||
        (rc = mg_xdb_set_metadata(db, MG_META_BUILT, when, err)) ||
        (final && (rc = mg_xdb_set_metadata(db, MG_META_ADDED, r->added, err))))
        return rc;
    if (r->o->shard_only) {
        char part[32];
        snprintf(part, sizeof part, "%u/%u", r->o->shard, r->o->shards);
        return mg_xdb_set_metadata(db, MG_META_SHARD, part, err);
    }
    return 0;
}

int mg_run_set_added(run *r, mg_xlook *live, mg_xdoc *doc, const char *uid, uint64_t hash,
                     mg_err *err)
{
    char old[16];
    unsigned char h8[8];
    mg_u64_to_bytes(hash, h8);
    long n = live ? mg_xlook_value_if(live, uid, MG_SLOT_HASH, h8, 8, MG_SLOT_ADDED, old,
                                      sizeof old, err)
                  : -MG_ENOTFOUND;
    if (n >= 0)
        /* Unchanged: its time, or none when it was indexed before
         * MG_SLOT_ADDED existed (it stays "there before any watch"). */
        return n == 14 ? mg_xdoc_set_value(doc, MG_SLOT_ADDED, old, 14, err) : 0;
    /* Not found or changed (a lookup that failed for another reason is no
     * reason to stop: the article counts as new). */
    return mg_xdoc_set_value(doc, MG_SLOT_ADDED, r->added, 14, err);
}

/* r->added: now, or a second after prev (MG_META_ADDED of the index, "" if
 * none) when the clock is not past it. */
static void set_run_stamp(run *r, const char *prev)
{
    time_t t = time(NULL);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (strlen(prev) == 14 && sscanf(prev, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon,
                                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        time_t p = timegm(&tm);
        if (p != (time_t)-1 && t <= p)
            t = p + 1;
    }
    gmtime_r(&t, &tm);
    strftime(r->added, sizeof r->added, "%Y%m%d%H%M%S", &tm);
}

int mg_run_start_threads(run *r, void *(*worker_fn)(void *), void *(*writer_fn)(void *),
                         mg_err *err)
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
        rc = pthread_create(&r->w[k].tid, NULL, worker_fn, &r->w[k]);
        r->w[k].started = rc == 0;
    }
    if (!rc && writer_fn)
        rc = pthread_create(&r->writer, NULL, writer_fn, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        mg_err_set(err, MG_ENOMEM, "cannot start a thread: %s", strerror(rc));
        mg_run_fail(r, err);
        return -MG_ENOMEM;
    }
    return 0;
}

void mg_run_stop_threads(run *r, int writer_started)
{
    if (r->rings) {
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

/* Xapian failed in a way the process cannot survive (xapian_shim.h,
 * mg_xapian_set_fatal): remove the generation being built, make the
 * counts say what was committed, and hand over to o->fatal, which ends the
 * process. The live generation stays: nothing was published, and an
 * update's last commit is what the database holds. */
static void on_xapian_fatal(void *ctx, const mg_err *cause)
{
    run *r = ctx;
    mg_index_stats *st = r->st;
    mg_run_remove_tmp_dir(r);
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

/* The near-duplicate key version the run writes: a new index or a rebuild
 * the current one, an update that of the index (version 1 before it was
 * recorded), so the copies of an article indexed before and after fold.
 * An index of a newer version than this tree writes is refused. */
static int choose_dupkey(run *r, const char *stored, mg_err *err)
{
    r->dupkey = MG_DUPKEY_VERSION;
    if (r->st->mode != MG_INDEX_UPDATE || !*stored || !r->xdb)
        return 0;
    char v[16] = "";
    long n = mg_xdb_get_metadata(r->xdb, MG_META_DUPKEY, v, sizeof v, err);
    if (n < 0)
        return (int)n;
    r->dupkey = n == 0 ? 1 : atoi(v);
    if (r->dupkey < 1 || r->dupkey > MG_DUPKEY_VERSION)
        return usage_error(r->st, err,
                           "%s holds near-duplicate keys of version \"%s\", which this "
                           "morgue-index does not write (it writes 1 and %d): update it with "
                           "the morgue-index that built it, or --rebuild it",
                           r->db, v, MG_DUPKEY_VERSION);
    return 0;
}

/* r->nshards: --shards, else what the index is; an update keeps the layout
 * (and a --shard build its part). */
static int choose_shards(run *r, mg_err *err)
{
    const mg_index_opts *o = r->o;
    mg_index_stats *st = r->st;
    unsigned have = 1;
    if (r->xdb && mg_xdb_shards(r->xdb))
        have = (unsigned)mg_xdb_shards(r->xdb);
    else if (r->kind != DB_NEW && mg_topology_is(r->db)) {
        mg_topology t;
        if (mg_topology_load(r->db, &t, err) == 0)
            have = t.n;
        mg_topology_free(&t);
    }
    if (o->shard_only) {
        r->nshards = 1;
        char part[32] = "", want[32];
        snprintf(want, sizeof want, "%u/%u", o->shard, o->shards);
        if (r->xdb && mg_xdb_get_metadata(r->xdb, MG_META_SHARD, part, sizeof part, err) < 0)
            part[0] = '\0';
        if (st->mode == MG_INDEX_UPDATE && strcmp(part, want) != 0)
            return usage_error(st, err,
                               "%s holds %s%s, not shard %s: --rebuild to make it that shard",
                               r->db, *part ? "shard " : "", *part ? part : "a whole index", want);
        return 0;
    }
    char part[32] = "";
    if (st->mode == MG_INDEX_UPDATE && r->xdb &&
        mg_xdb_get_metadata(r->xdb, MG_META_SHARD, part, sizeof part, err) > 0)
        return usage_error(st, err,
                           "%s holds shard %s alone: update it with --shards N --shard K, or "
                           "--rebuild",
                           r->db, part);
    r->nshards = o->shards ? o->shards : have;
    if (st->mode == MG_INDEX_UPDATE && r->nshards != have)
        return usage_error(st, err, "%s has %u shard%s: --shards %u needs --rebuild", r->db, have,
                           have == 1 ? "" : "s", r->nshards);
    return 0;
}

/* --rebuild and --compact publish a new generation by replacing DIR with
 * our symlink: not over a plain database (it cannot be switched
 * atomically), nor over a symlink of the operator's (it would be lost). */
static int refuse_switch(run *r, mg_err *err)
{
    const char *opt = r->o->rebuild ? "--rebuild" : "--compact";
    const char *instead = r->o->rebuild
                              ? "index into a new --db instead"
                              : "compact it with xapian-compact, or index into a new --db";
    if (*r->link)
        return usage_error(r->st, err,
                           "%s is a symlink to %s, not to a generation in %s: %s would replace "
                           "that link, so it refuses (%s%s)",
                           r->db, r->link, r->gens, opt, instead,
                           r->o->rebuild ? " and point the link at it" : "");
    return usage_error(r->st, err,
                       "%s is a plain Xapian database, not a morgue-index symlink: %s cannot "
                       "switch it atomically (%s)",
                       r->db, opt, instead);
}

static int run_locked(run *r, mg_err *err)
{
    const mg_index_opts *o = r->o;
    mg_index_stats *st = r->st;
    int rc = mg_run_inspect_db(r, err);
    if (rc)
        return rc;
    mg_gens_remove_stale_links(r->parent, r->base);
    if (r->kind != DB_PLAIN) {
        long max, below;
        mg_run_scan_gens(r, &max, &below);
        mg_run_prune_gens(r, r->cur_gen, below);
    }
    if ((o->rebuild || o->compact) && r->kind == DB_PLAIN)
        return refuse_switch(r, err);
    st->mode = o->rebuild || r->kind == DB_NEW ? MG_INDEX_REBUILD : MG_INDEX_UPDATE;
    if (o->delete_ids && st->mode != MG_INDEX_UPDATE)
        return usage_error(st, err, "--delete-ids: %s is not an index yet: nothing to delete",
                           r->db);
    /* Xapian reads it when it opens the writer (below), before any thread */
    if (st->mode == MG_INDEX_UPDATE && o->changesets && !o->dry_run) {
        char n[16];
        snprintf(n, sizeof n, "%u", o->changesets);
        if (setenv("XAPIAN_MAX_CHANGESETS", n, 1) != 0)
            return mg_err_set(err, MG_ENOMEM, "cannot set XAPIAN_MAX_CHANGESETS: out of memory");
    }
    char stored[64] = "";
    if (r->kind != DB_NEW && (rc = open_existing(r, stored, sizeof stored, err)))
        return rc;
    if ((rc = choose_shards(r, err)))
        return rc;
    char prev[16] = "";
    if (r->xdb && mg_xdb_get_metadata(r->xdb, MG_META_ADDED, prev, sizeof prev, err) < 0)
        prev[0] = '\0';
    set_run_stamp(r, prev);
    if ((rc = choose_dupkey(r, stored, err)))
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
        mg_docbuild_set_dupkey(r->w[k].b, r->dupkey);
    }
    if (st->mode == MG_INDEX_UPDATE)
        return mg_run_update(r, err);
    rc = mg_run_rebuild(r, err);
    if (!rc && o->compact) /* a rebuild's result is compacted already */
        st->compaction = MG_COMPACTION_NOT_NEEDED;
    return rc;
}

static run *run_new(const mg_index_opts *o, mg_index_stats *st)
{
    run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->o = o;
    r->st = st;
    r->lockfd = -1;
    r->t0 = mg_run_now();
    r->last_progress = r->t0; /* the first line after a quarter second */
    r->nthreads = o->threads ? o->threads : mg_index_default_threads();
    r->batch = o->batch ? o->batch : DEFAULT_BATCH;
    r->piece = o->piece ? o->piece : MG_REBUILD_PIECE;
    r->dupkey = MG_DUPKEY_VERSION; /* an update reads its index's (choose_dupkey()) */
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

/* An unknown --lang is a usage error, told before anything is touched,
 * with the list of the languages there are. */
static int check_lang(run *r, mg_err *err)
{
    const char *lang = r->o->lang;
    if (!lang)
        return 0;
    mg_docbuild *b = mg_docbuild_new(lang, err);
    if (b) {
        mg_docbuild_free(b);
        return 0;
    }
    if (err->code != MG_EINVAL)
        return -err->code;
    char list[1024] = "";
    size_t n = 0;
    for (const char *const *l = mg_analyzer_languages(); *l && n < sizeof list; l++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? " " : "", *l);
    mg_run_say(r, MG_LOG_ERROR, "unknown language \"%s\" for --lang; valid languages: %s", lang,
               list);
    return usage_error(r->st, err, "--lang %s: not a stemming language", lang);
}

/* The end of every run that got a run struct: the last stats (what is live
 * now, and its size), then free everything and release the lock. */
static void run_free(run *r, int rc)
{
    mg_index_stats *st = r->st;
    mg_xdb_abandon(r->xdb);
    r->xdb = NULL;
    if (rc < 0 && !st->usage_error)
        count_live(r);
    if (r->w)
        for (unsigned k = 0; k < r->nthreads; k++) {
            mg_docbuild_free(r->w[k].b);
            mg_xdoc_free(r->w[k].doc);
        }
    for (size_t k = 0; k < r->ndel; k++)
        free(r->del_uids[k]);
    free(r->del_uids);
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
    mg_run_unlock(r);
    st->elapsed_s = mg_run_now() - r->t0;
    pthread_mutex_destroy(&r->mu);
    free(r);
}

int mg_index_run(const mg_index_opts *o, mg_index_stats *st, mg_err *err)
{
    memset(st, 0, sizeof *st);
    st->dry_run = o->dry_run;
    if (!o->db || !*o->db)
        return usage_error(st, err, "no database: give --db DIR or set MORGUE_DB");
    if (o->ninputs == 0 && !o->delete_ids)
        return usage_error(st, err, "no input: give one or more files, directories or -");
    if (o->delete_ids && (o->rebuild || o->delete_missing || o->shard_only))
        return usage_error(st, err,
                           "--delete-ids deletes from an index as it is updated: not with %s "
                           "(leave the articles out of the inputs instead)",
                           o->rebuild          ? "--rebuild"
                           : o->delete_missing ? "--delete-missing"
                                               : "--shard");
    if (o->threads > MAX_THREADS)
        return usage_error(st, err, "--threads must be between 1 and %d", MAX_THREADS);
    if (o->shards > MG_TOPO_MAX_SHARDS)
        return usage_error(st, err, "--shards must be between 1 and %d", MG_TOPO_MAX_SHARDS);
    if (o->shard_only && (o->shards < 2 || o->shard >= o->shards))
        return usage_error(st, err, "--shard K needs --shards N, N at least 2 and K below N");
    run *r = run_new(o, st);
    if (!r)
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    int rc = mg_run_set_paths(r, o->db, err);
    if (rc) {
        st->usage_error = true;
        goto out;
    }
    if ((rc = check_lang(r, err)))
        goto out;
    snprintf(st->db, sizeof st->db, "%s", r->db);
    if ((rc = check_inputs(r, err)) || (rc = mg_gens_mkdir_p(r->parent, err)) ||
        (rc = mg_run_lock(r, err)))
        goto out;
    r->w = calloc(r->nthreads, sizeof *r->w);
    if (!r->w) {
        rc = mg_err_set(err, MG_ENOMEM, "out of memory");
        goto out;
    }
    mg_xapian_set_fatal(on_xapian_fatal, r);
    rc = run_locked(r, err);
    mg_xapian_set_fatal(NULL, NULL);
    mg_run_progress(r, 1);
out:
    run_free(r, rc);
    return rc;
}
