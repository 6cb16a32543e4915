/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The indexer's reading loop, on the calling thread: every input in turn,
 * each record checked (a usable id, duplicates) and handed to a ring. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "docbuild.h"
#include "index_run.h"
#include "topology.h"
#include "reader.h"

/* mg_ring_reserve's wait: keep the progress line going. */
static void progress_wait(void *ctx)
{
    mg_run_progress(ctx, 0);
}

/* Checks done on the reading thread, in input order: a usable id, and
 * duplicates. Returns 0 to index the record, 1 to skip it, -1 fatal. */
static int admit(run *r, const mg_record *rec, const mg_read_info *info, const char *where,
                 int *dup, uint64_t *hash)
{
    mg_err e;
    if (mg_docbuild_check_id(rec->id, &e)) {
        mg_run_say(r, MG_LOG_ERROR, "%s: %s", where, e.msg);
        mg_run_count(r, &r->st->skipped);
        return 1;
    }
    if (r->o->shard_only && mg_shard_of(rec->id, strlen(rec->id), r->o->shards) != r->o->shard) {
        mg_run_count(r, &r->st->other_shard); /* another host's: not seen here */
        return 1;
    }
    long f = mg_names_add(&r->files, info->file);
    if (f < 0) {
        mg_err_set(&e, MG_ENOMEM, "out of memory (file names)");
        mg_run_fail(r, &e);
        return -1;
    }
    mg_idslot old;
    uint64_t h = mg_idset_hash(rec->id, strlen(rec->id));
    int rc = mg_idset_put(&r->seen, h, (uint32_t)f,
                          info->line > UINT32_MAX ? UINT32_MAX : (uint32_t)info->line, &old);
    if (rc < 0) {
        mg_err_set(&e, MG_ENOMEM, "out of memory (ids seen)");
        mg_run_fail(r, &e);
        return -1;
    }
    *dup = rc;
    *hash = h;
    if (rc) {
        const char *first = mg_names_get(&r->files, old.file);
        if (old.line)
            mg_run_say(r, MG_LOG_WARN,
                       "%s: duplicate id \"%s\" (first seen at %s:%u); the later record wins",
                       where, rec->id, first, old.line);
        else
            mg_run_say(r, MG_LOG_WARN,
                       "%s: duplicate id \"%s\" (first seen at %s); the later record wins", where,
                       rec->id, first);
        mg_run_count(r, &r->st->warnings);
    }
    return 0;
}

/* The ring a record goes to: a rebuild shard by id hash, else the update's. */
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

/* Hand a record read to its ring (the record is swapped into the slot, not
 * copied; *rec gets the slot's old record to read into). -1: stop reading. */
static int hand_over(run *r, mg_record *rec, const mg_read_info *info)
{
    if (info->warning[0]) {
        mg_run_say(r, MG_LOG_WARN, "%s", info->warning);
        mg_run_count(r, &r->st->warnings);
    }
    char where[320];
    if (info->line)
        snprintf(where, sizeof where, "%s:%lu", info->file, info->line);
    else
        snprintf(where, sizeof where, "%s", info->file);
    int dup = 0;
    uint64_t h = 0;
    int a = admit(r, rec, info, where, &dup, &h);
    if (a != 0)
        return a < 0 ? -1 : 0;
    mg_ring *q = route(r, h);
    mg_ring_item *it = mg_ring_reserve(q, &r->failed, progress_wait, r);
    if (!it)
        return -1;
    mg_record t = it->rec;
    it->rec = *rec;
    *rec = t;
    memcpy(it->where, where, sizeof where);
    it->dup = dup;
    mg_ring_push(q, it);
    mg_run_progress(r, 0);
    return 0;
}

/* Read the input at path to its end (or a failure, or a stop request),
 * reading into the staging record *rec. */
static void read_input(run *r, const char *path, mg_record *rec)
{
    mg_err e;
    mg_err_clear(&e);
    mg_reader *rd = mg_reader_open(path, &e);
    if (!rd) {
        mg_run_say(r, MG_LOG_ERROR, "%s", e.msg);
        r->st->input_failed = true;
        return;
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
    int sized = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
    while (!mg_run_stopped(r) && !r->failed) {
        int rc = mg_reader_next(rd, rec, &info, &e);
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
            if (!mg_run_stopped(r)) {
                mg_run_say(r, MG_LOG_ERROR, "%s", e.msg);
                r->st->input_failed = true;
            }
            break;
        }
        mg_run_count(r, &r->st->read);
        if (rc == MG_READ_SKIP) {
            mg_run_say(r, MG_LOG_ERROR, "%s", e.msg);
            mg_run_count(r, &r->st->skipped);
            mg_run_progress(r, 0);
            continue;
        }
        if (hand_over(r, rec, &info) < 0)
            break;
    }
    r->bytes_done += ended && total > off ? total : off;
    set_input_bytes(r, r->bytes_done);
    mg_reader_free(rd);
}

/* Records are read into a staging record, then swapped into a free slot of
 * their ring (no copy). */
void mg_run_read_all(run *r)
{
    mg_record rec;
    mg_record_init(&rec);
    for (size_t i = 0; i < r->o->ninputs && !mg_run_stopped(r) && !r->failed; i++)
        read_input(r, r->o->inputs[i], &rec);
    mg_record_release(&rec);
}
