/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The indexing floor for bench-index: how fast the Xapian writer alone can
 * take a corpus in the morgue schema, in two modes.
 *
 * Default (the floor of issue 2, "pre-analysed documents added through the
 * shim"): untimed, every record is parsed (mg_record_from_json) and analysed
 * with the project's docbuild module, and the document docbuild made is read
 * back (mg_xdoc_each_term / mg_xdoc_each_value) into plain arrays: the
 * shim calls that made it. The postings come in text order (by position; the
 * title stem before its S-prefixed copy; wdf MG_TITLE_WDF for a title word,
 * 1 for its S copy and for body words), then the boolean terms in the order
 * of docbuild's prefixes (several K terms sorted, where docbuild follows the
 * input), then the values in docbuild's order of slots (docbuild sets the
 * date among the boolean terms; a Xapian document keeps terms and values in
 * separate maps). Each document is replayed once, untimed, and must read
 * back exactly as docbuild's did. Timed: per
 * document, mg_xdoc_clear and the replayed calls (mg_xdoc_add_posting,
 * mg_xdoc_add_boolean, mg_xdoc_set_value) into one document per thread, then
 * the write, i.e. what morgue-index's writer side does after analysis.
 *
 * --prebuilt: the Xapian documents are built untimed and kept in memory
 * (docbuild straight into one mg_xdoc each); only the writes are timed.
 *
 * Either way, one thread per shard adds its contiguous share of the
 * documents to a fresh shard (MG_XDB_DANGEROUS | MG_XDB_NOSYNC) with
 * mg_xdb_add, or mg_xdb_replace for a repeated id, as morgue-index --rebuild
 * does; a commit every MG_SHARD_FLUSH documents as morgue-index --rebuild
 * does, or every --batch B documents (0: one commit when the shard is
 * closed); then mg_xdb_compact() merges the shards into OUT/db. Both modes
 * write the same index. (A repeated id replaces its twin only within a
 * shard; the bench corpora have none.)
 *
 * Prints one JSON object on stdout: mode ("analysed" or "prebuilt"),
 * documents, skipped, threads, postings (shim calls replayed, analysed
 * mode), prepare_s (the untimed part), write_s, compact_s, elapsed_s
 * (write + compact), cpu_s (CPU time of the timed part, all threads),
 * prepare_cpu_s, index_bytes (OUT/db after compaction).
 *
 *   index_floor [--prebuilt] [--threads N] [--lang L] [--batch B] --out DIR INPUT.jsonl...
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "docbuild.h"
#include "err.h"
#include "index.h"
#include "jsonrec.h"
#include "reader.h"
#include "record.h"
#include "schema.h"
#include "xapian_shim.h"

/* One shim call of a document, replayed in the timed part. Term and value
 * bytes are in the corpus arena, at the document's base + off. */
enum { OP_POSTING, OP_BOOLEAN, OP_VALUE };
typedef struct floor_op {
    uint32_t off, len;
    uint32_t arg; /* OP_POSTING: position; OP_VALUE: slot */
    uint16_t wdf; /* OP_POSTING: wdf increment */
    uint8_t kind;
} floor_op;

typedef struct floor_doc {
    mg_xdoc *doc;     /* --prebuilt: the document */
    size_t base;      /* arena offset of its bytes: the uid (NUL-terminated) first */
    size_t op0, nops; /* analysed mode: its calls, ops[op0, op0 + nops) */
    bool dup;         /* a later record with an id seen before: replace */
} floor_doc;

typedef struct floor_corpus {
    bool prebuilt;
    floor_doc *docs;
    size_t n, cap;
    floor_op *ops;
    size_t nops, ops_cap;
    char *arena;
    size_t alen, acap;
    unsigned long skipped;
} floor_corpus;

typedef struct shard_job {
    const floor_corpus *c;
    size_t from, to;
    unsigned long batch;
    char path[4096];
    int rc;
    mg_err err;
} shard_job;

/* CPU time (user + system) of the whole process so far. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const mg_err *err)
{
    fprintf(stderr, "index_floor: %s: %s\n", what, err ? err->msg : strerror(errno));
    exit(1);
}

/* Grow *p (elements of size sz, capacity *cap) to hold need elements. */
static void grow(void *p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return;
    size_t ncap = *cap ? *cap : 4096;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*(void **)p, ncap * sz);
    if (!np)
        die("out of memory", NULL);
    *(void **)p = np;
    *cap = ncap;
}

/* Copy bytes into the arena; returns their offset. */
static size_t arena_put(floor_corpus *c, const void *bytes, size_t len)
{
    grow(&c->arena, &c->acap, c->alen + len, 1);
    size_t off = c->alen;
    memcpy(c->arena + off, bytes, len);
    c->alen += len;
    return off;
}

static floor_op *op_push(floor_corpus *c, uint8_t kind, size_t off, size_t len, uint32_t arg,
                         uint16_t wdf)
{
    grow(&c->ops, &c->ops_cap, c->nops + 1, sizeof *c->ops);
    floor_op *o = &c->ops[c->nops++];
    *o = (floor_op){
        .off = (uint32_t)off, .len = (uint32_t)len, .arg = arg, .wdf = wdf, .kind = kind};
    return o;
}

/* ---- Reading a built document back into calls ------------------------- */

/* A term of the document being read back. */
typedef struct rb_term {
    size_t off, len; /* relative to the document's base */
    unsigned wdf;
    size_t pos0, npos; /* positions in readback.pos */
} rb_term;

typedef struct readback {
    floor_corpus *c;
    size_t base;
    rb_term *terms;
    size_t nterms, terms_cap;
    unsigned *pos;
    size_t npos, pos_cap;
} readback;

static int rb_on_term(void *ctx, const char *term, size_t len, unsigned wdf, const unsigned *pos,
                      size_t npos)
{
    readback *rb = ctx;
    grow(&rb->terms, &rb->terms_cap, rb->nterms + 1, sizeof *rb->terms);
    grow(&rb->pos, &rb->pos_cap, rb->npos + npos, sizeof *rb->pos);
    rb_term *t = &rb->terms[rb->nterms++];
    *t = (rb_term){.off = arena_put(rb->c, term, len) - rb->base,
                   .len = len,
                   .wdf = wdf,
                   .pos0 = rb->npos,
                   .npos = npos};
    if (npos) /* pos may be NULL then */
        memcpy(rb->pos + rb->npos, pos, npos * sizeof *pos);
    rb->npos += npos;
    return 0;
}

/* The boolean prefixes in the order docbuild adds them (docbuild.c). */
static int boolean_rank(const char *t, size_t len)
{
    static const char *const order[] = {MG_PFX_ID,   MG_PFX_AUTHOR,   MG_PFX_SOURCE,
                                        MG_PFX_LANG, MG_PFX_DAY,      MG_PFX_MONTH,
                                        MG_PFX_YEAR, MG_PFX_CATEGORY, MG_PFX_URL};
    int n = (int)(sizeof order / sizeof order[0]);
    for (int i = 0; i < n; i++) {
        size_t pl = strlen(order[i]);
        if (len >= pl && !memcmp(t, order[i], pl))
            return i;
    }
    return n;
}

/* The value slots in the order docbuild sets them. */
static int value_rank(unsigned slot)
{
    static const unsigned order[] = {MG_SLOT_DATE,   MG_SLOT_CATS, MG_SLOT_HASH, MG_SLOT_COLLAPSE,
                                     MG_SLOT_SOURCE, MG_SLOT_ID,   MG_SLOT_CARD, MG_SLOT_RECORD};
    int n = (int)(sizeof order / sizeof order[0]);
    for (int i = 0; i < n; i++)
        if (order[i] == slot)
            return i;
    return n;
}

/* Sort keys; ties keep the read-back (sorted term / slot) order. */
static uint64_t op_key(const floor_corpus *c, size_t base, const floor_op *o)
{
    if (o->kind == OP_POSTING) /* text order; the stem before its S copy */
        return (uint64_t)o->arg << 1 | (c->arena[base + o->off] == MG_PFX_TITLE[0]);
    if (o->kind == OP_BOOLEAN)
        return (uint64_t)boolean_rank(c->arena + base + o->off, o->len);
    return (uint64_t)value_rank(o->arg);
}

typedef struct sort_ctx {
    const floor_corpus *c;
    size_t base;
} sort_ctx;

static int op_cmp(const void *a, const void *b, void *vctx)
{
    const sort_ctx *s = vctx;
    const floor_op *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    uint64_t kx = op_key(s->c, s->base, x), ky = op_key(s->c, s->base, y);
    if (kx != ky)
        return kx < ky ? -1 : 1;
    /* equal keys: the read-back order, kept in wdf (unused by the others) */
    return x->wdf < y->wdf ? -1 : x->wdf > y->wdf;
}

static int rb_on_value(void *ctx, unsigned slot, const void *val, size_t len)
{
    readback *rb = ctx;
    size_t off = arena_put(rb->c, val, len) - rb->base;
    op_push(rb->c, OP_VALUE, off, len, slot, 0);
    return 0;
}

static void cannot_replay(const floor_corpus *c, const floor_doc *d, const char *why)
{
    fprintf(stderr, "index_floor: %s: cannot replay the document: %s\n", c->arena + d->base, why);
    exit(1);
}

/* Turn the document docbuild built for the corpus' last record into its
 * calls. A title word is stemmed at its position both as itself (wdf
 * MG_TITLE_WDF) and with the S prefix (wdf 1); a body word only as itself
 * (wdf 1); so the title's positions are those of the S terms, and every
 * term's wdf must come out as the sum of its postings' increments. */
static void read_back(floor_corpus *c, readback *rb, const mg_xdoc *doc)
{
    floor_doc *d = &c->docs[c->n - 1];
    mg_err err;
    rb->base = d->base;
    rb->nterms = rb->npos = 0;
    if (mg_xdoc_each_term(doc, rb_on_term, rb, &err) < 0)
        die("mg_xdoc_each_term", &err);
    unsigned last_title = 0;
    for (size_t i = 0; i < rb->nterms; i++) {
        const rb_term *t = &rb->terms[i];
        if (t->npos && c->arena[d->base + t->off] == MG_PFX_TITLE[0] &&
            rb->pos[t->pos0 + t->npos - 1] > last_title)
            last_title = rb->pos[t->pos0 + t->npos - 1];
    }
    d->op0 = c->nops;
    uint16_t seq = 0;
    for (size_t i = 0; i < rb->nterms; i++) {
        const rb_term *t = &rb->terms[i];
        if (!t->npos) {
            if (t->wdf)
                cannot_replay(c, d, "a term without positions has a wdf");
            op_push(c, OP_BOOLEAN, t->off, t->len, 0, seq++);
            continue;
        }
        bool s = c->arena[d->base + t->off] == MG_PFX_TITLE[0];
        unsigned sum = 0;
        for (size_t k = 0; k < t->npos; k++) {
            unsigned p = rb->pos[t->pos0 + k];
            unsigned w = !s && p <= last_title ? MG_TITLE_WDF : 1;
            op_push(c, OP_POSTING, t->off, t->len, p, (uint16_t)w);
            sum += w;
        }
        if (sum != t->wdf)
            cannot_replay(c, d, "a wdf is not what the postings give");
    }
    size_t v0 = c->nops;
    if (mg_xdoc_each_value(doc, rb_on_value, rb, &err) < 0)
        die("mg_xdoc_each_value", &err);
    for (size_t i = v0; i < c->nops; i++)
        c->ops[i].wdf = seq++;
    d->nops = c->nops - d->op0;
    /* Postings by position are unique per kind (one stem and at most one S
     * copy at a position), so the wdf tie-break only orders booleans and
     * values; clear it there after sorting. */
    sort_ctx sc = {c, d->base};
    qsort_r(c->ops + d->op0, d->nops, sizeof *c->ops, op_cmp, &sc);
    for (size_t i = d->op0; i < c->nops; i++)
        if (c->ops[i].kind != OP_POSTING)
            c->ops[i].wdf = 0;
}

/* Replay a document's calls into doc: the timed document building. */
static int replay(const floor_corpus *c, const floor_doc *d, mg_xdoc *doc, mg_err *err)
{
    mg_xdoc_clear(doc);
    const char *base = c->arena + d->base;
    const floor_op *o = c->ops + d->op0, *end = o + d->nops;
    for (; o < end; o++) {
        int rc;
        if (o->kind == OP_POSTING)
            rc = mg_xdoc_add_posting(doc, base + o->off, o->len, o->arg, o->wdf, err);
        else if (o->kind == OP_BOOLEAN)
            rc = mg_xdoc_add_boolean(doc, base + o->off, o->len, err);
        else
            rc = mg_xdoc_set_value(doc, o->arg, base + o->off, o->len, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* A document's terms (with wdf and positions) and values as bytes, to
 * compare the replayed document with docbuild's. */
typedef struct flat {
    char *buf;
    size_t len, cap;
} flat;

static void flat_put(flat *f, const void *p, size_t n)
{
    if (!n) /* p may be NULL then */
        return;
    grow(&f->buf, &f->cap, f->len + n, 1);
    memcpy(f->buf + f->len, p, n);
    f->len += n;
}

static int flat_term(void *ctx, const char *term, size_t len, unsigned wdf, const unsigned *pos,
                     size_t npos)
{
    flat *f = ctx;
    flat_put(f, &len, sizeof len);
    flat_put(f, term, len);
    flat_put(f, &wdf, sizeof wdf);
    flat_put(f, &npos, sizeof npos);
    flat_put(f, pos, npos * sizeof *pos);
    return 0;
}

static int flat_value(void *ctx, unsigned slot, const void *val, size_t len)
{
    flat *f = ctx;
    flat_put(f, &slot, sizeof slot);
    flat_put(f, &len, sizeof len);
    flat_put(f, val, len);
    return 0;
}

static void flatten(const mg_xdoc *doc, flat *f)
{
    mg_err err;
    f->len = 0;
    if (mg_xdoc_each_term(doc, flat_term, f, &err) < 0 ||
        mg_xdoc_each_value(doc, flat_value, f, &err) < 0)
        die("reading a document back", &err);
}

/* ---- Preparation (untimed) --------------------------------------------- */

typedef struct prep {
    mg_docbuild *b;
    mg_xdoc *scratch, *check; /* analysed mode: docbuild's and the replay */
    readback rb;
    flat want, got;
} prep;

/* Parse and analyse every line of path into c. Bad records are counted and
 * skipped, as morgue-index does. */
static void prepare_file(const char *path, prep *pp, floor_corpus *c)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die(path, NULL);
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    char where[4200], uid[MG_XDB_MAX_TERM + 1], warning[256];
    mg_record r;
    mg_record_init(&r);
    mg_err err;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        snprintf(where, sizeof where, "%s:%lu", path, lineno);
        if (mg_record_from_json(line, (size_t)len, where, &r, warning, sizeof warning, &err) < 0) {
            c->skipped++;
            continue;
        }
        mg_xdoc *doc = pp->scratch;
        if (c->prebuilt && !(doc = mg_xdoc_new(&err)))
            die("mg_xdoc_new", &err);
        int rc = mg_docbuild_build(pp->b, &r, doc, uid, sizeof uid, NULL, &err);
        mg_record_release(&r);
        if (rc < 0) {
            if (c->prebuilt)
                mg_xdoc_free(doc);
            c->skipped++;
            continue;
        }
        grow(&c->docs, &c->cap, c->n + 1, sizeof *c->docs);
        floor_doc *d = &c->docs[c->n++];
        *d = (floor_doc){.doc = c->prebuilt ? doc : NULL};
        d->base = arena_put(c, uid, strlen(uid) + 1);
        if (!c->prebuilt) {
            read_back(c, &pp->rb, doc);
            if (replay(c, d, pp->check, &err))
                die("replaying a document", &err);
            flatten(doc, &pp->want);
            flatten(pp->check, &pp->got);
            if (pp->want.len != pp->got.len || memcmp(pp->want.buf, pp->got.buf, pp->want.len))
                cannot_replay(c, d, "the replayed document differs from docbuild's");
        }
    }
    if (ferror(f))
        die(path, NULL);
    free(line);
    fclose(f);
}

static int uid_cmp(const void *a, const void *b, void *vctx)
{
    const floor_corpus *c = vctx;
    const floor_doc *x = *(floor_doc *const *)a, *y = *(floor_doc *const *)b;
    int r = strcmp(c->arena + x->base, c->arena + y->base);
    return r ? r : (x < y ? -1 : x > y);
}

/* Mark every record whose id an earlier record had: morgue-index replaces
 * those, and adds the others without looking the id up. */
static void mark_dups(floor_corpus *c)
{
    floor_doc **v = malloc((c->n ? c->n : 1) * sizeof *v);
    if (!v)
        die("out of memory", NULL);
    for (size_t i = 0; i < c->n; i++)
        v[i] = &c->docs[i];
    qsort_r(v, c->n, sizeof *v, uid_cmp, c);
    for (size_t i = 1; i < c->n; i++)
        v[i]->dup = !strcmp(c->arena + v[i]->base, c->arena + v[i - 1]->base);
    free(v);
}

/* ---- The timed part ----------------------------------------------------- */

static void *write_shard(void *arg)
{
    shard_job *j = arg;
    const floor_corpus *c = j->c;
    mg_xdoc *scratch = NULL;
    mg_xdb *db = mg_xdb_open(j->path, MG_XDB_OVERWRITE | MG_XDB_DANGEROUS | MG_XDB_NOSYNC, &j->err);
    if (!db || (!c->prebuilt && !(scratch = mg_xdoc_new(&j->err))))
        goto fail;
    unsigned long pending = 0;
    for (size_t i = j->from; i < j->to; i++) {
        const floor_doc *d = &c->docs[i];
        const mg_xdoc *doc = d->doc;
        if (!c->prebuilt) {
            if (replay(c, d, scratch, &j->err))
                goto fail;
            doc = scratch;
        }
        if ((d->dup ? mg_xdb_replace(db, c->arena + d->base, doc, &j->err)
                    : mg_xdb_add(db, doc, &j->err)) < 0)
            goto fail;
        if (++pending == j->batch) { /* never when batch is 0 */
            if (mg_xdb_commit(db, &j->err) < 0)
                goto fail;
            pending = 0;
        }
    }
    mg_xdoc_free(scratch);
    j->rc = mg_xdb_close(db, &j->err) < 0 ? -1 : 0;
    return NULL;
fail:
    mg_xdoc_free(scratch);
    mg_xdb_abandon(db);
    j->rc = -1;
    return NULL;
}

/* Walk a directory tree: returns the bytes of the files in it, and with
 * remove set deletes it as it goes. */
static unsigned long long walk_tree(const char *path, bool remove)
{
    unsigned long long sum = 0;
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char p[4400];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(p, &st) < 0)
                continue;
            if (S_ISDIR(st.st_mode)) {
                sum += walk_tree(p, remove);
            } else {
                sum += (unsigned long long)st.st_size;
                if (remove)
                    unlink(p);
            }
        }
        closedir(d);
    }
    if (remove)
        rmdir(path);
    return sum;
}

static void usage(void)
{
    fputs("usage: index_floor [--prebuilt] [--threads N] [--lang L] [--batch B] --out DIR "
          "INPUT.jsonl...\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    unsigned threads = 2;
    unsigned long batch = MG_SHARD_FLUSH; /* 0: commit only when the shard is closed */
    const char *lang = "english", *out = NULL;
    floor_corpus c = {0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (!strcmp(argv[i], "--prebuilt")) {
            c.prebuilt = true;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        if (!strcmp(argv[i], "--threads"))
            threads = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--batch"))
            batch = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--lang"))
            lang = argv[++i];
        else if (!strcmp(argv[i], "--out"))
            out = argv[++i];
        else
            usage();
    }
    if (!out || i >= argc || threads < 1 || threads > 64)
        usage();

    mg_err err;
    double t0 = now_s();
    prep pp = {.rb = {.c = &c}};
    if (!(pp.b = mg_docbuild_new(lang, &err)) ||
        (!c.prebuilt && (!(pp.scratch = mg_xdoc_new(&err)) || !(pp.check = mg_xdoc_new(&err)))))
        die("preparing", &err);
    for (; i < argc; i++)
        prepare_file(argv[i], &pp, &c);
    mark_dups(&c);
    mg_docbuild_free(pp.b);
    mg_xdoc_free(pp.scratch);
    mg_xdoc_free(pp.check);
    free(pp.rb.terms);
    free(pp.rb.pos);
    free(pp.want.buf);
    free(pp.got.buf);
    double prepared = now_s();

    if (mkdir(out, 0755) < 0 && errno != EEXIST)
        die(out, NULL);
    char dst[4200];
    snprintf(dst, sizeof dst, "%s/db", out);
    walk_tree(dst, true);

    shard_job *jobs = calloc(threads, sizeof *jobs);
    pthread_t *tids = calloc(threads, sizeof *tids);
    const char **srcs = calloc(threads, sizeof *srcs);
    if (!jobs || !tids || !srcs)
        die("out of memory", NULL);

    double c1 = cpu_s(), t1 = now_s();
    for (unsigned k = 0; k < threads; k++) {
        jobs[k].c = &c;
        jobs[k].from = c.n * k / threads;
        jobs[k].to = c.n * (k + 1) / threads;
        jobs[k].batch = batch;
        snprintf(jobs[k].path, sizeof jobs[k].path, "%s/shard-%u", out, k);
        srcs[k] = jobs[k].path;
        if (pthread_create(&tids[k], NULL, write_shard, &jobs[k]) != 0)
            die("pthread_create", NULL);
    }
    for (unsigned k = 0; k < threads; k++) {
        pthread_join(tids[k], NULL);
        if (jobs[k].rc < 0)
            die(jobs[k].path, &jobs[k].err);
    }
    double t2 = now_s();
    if (mg_xdb_compact(srcs, threads, dst, &err) < 0)
        die("mg_xdb_compact", &err);
    double t3 = now_s(), c3 = cpu_s();
    for (unsigned k = 0; k < threads; k++)
        walk_tree(jobs[k].path, true);

    size_t postings = 0;
    for (size_t k = 0; k < c.nops; k++)
        postings += c.ops[k].kind == OP_POSTING;
    printf("{\"mode\": \"%s\", \"documents\": %zu, \"skipped\": %lu, \"threads\": %u, "
           "\"postings\": %zu, \"calls\": %zu, \"prepare_s\": %.3f, "
           "\"write_s\": %.3f, \"compact_s\": %.3f, \"elapsed_s\": %.3f, "
           "\"cpu_s\": %.3f, \"prepare_cpu_s\": %.3f, \"index_bytes\": %llu}\n",
           c.prebuilt ? "prebuilt" : "analysed", c.n, c.skipped, threads, postings, c.nops,
           prepared - t0, t2 - t1, t3 - t2, t3 - t1, c3 - c1, c1, walk_tree(dst, false));

    for (size_t k = 0; k < c.n; k++)
        mg_xdoc_free(c.docs[k].doc);
    free(c.docs);
    free(c.ops);
    free(c.arena);
    free(jobs);
    free(tids);
    free(srcs);
    return 0;
}
