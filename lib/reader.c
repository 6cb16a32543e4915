/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Input readers: JSON Lines (plain or in an LZ4 frame), text-file trees and
 * stdin, streamed through bounded buffers into mg_record values. */
#include "reader.h"
#include "grow.h"
#include "jsonrec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <lz4frame.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utf8.h"

#define CHUNK (64 * 1024)
#define STDIN_NAME "<stdin>"

/* One stream of bytes: a file or stdin, plain or an LZ4 frame. */
typedef struct source {
    int fd;
    bool own_fd;
    const char *name; /* borrowed from the reader */
    bool lz4, eof;
    bool unverified; /* an LZ4 stream whose checksums were not checked up front */
    LZ4F_dctx *dctx;
    size_t frame_hint; /* last LZ4F_decompress result: 0 = between frames */
    unsigned char *in; /* compressed bytes (LZ4 only) */
    size_t in_pos, in_len;
    unsigned long long in_used; /* compressed bytes consumed by LZ4F */
    unsigned char *out;         /* plain bytes for the line splitter */
    size_t out_pos, out_len;
    unsigned long long out_used; /* plain bytes consumed (lines + newlines) */
    unsigned long line;          /* number of the line last returned */
    bool unterminated;           /* that line ended at the end of input, without a newline */
    char *buf;                   /* a line spanning chunks, up to MG_MAX_LINE */
    size_t buf_len, buf_cap;
} source;

typedef enum { ENTRY_TEXT, ENTRY_JSONL } entry_kind;

typedef struct entry {
    char *path; /* as opened and reported */
    char *id;   /* for text files: path relative to the tree's root */
    entry_kind kind;
    unsigned long long size;
} entry;

struct mg_reader {
    entry *entries;
    size_t nentries, cur;
    bool cur_open;
    source src;
    bool is_stdin;
    unsigned long long base;  /* sizes of the entries already read */
    unsigned long long total; /* all entries, 0 for stdin */
};

enum { LINE_EOF = 0, LINE_OK = 1, LINE_TOO_LONG = 2 };

/* ---- byte streams ------------------------------------------------------ */

static ssize_t read_some(int fd, void *buf, size_t n)
{
    ssize_t r;
    do
        r = read(fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

static bool is_lz4_magic(const unsigned char *p)
{
    uint32_t m = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return m == 0x184D2204u || (m & 0xFFFFFFF0u) == 0x184D2A50u; /* frame, skippable frame */
}

static void source_close(source *s)
{
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    LZ4F_freeDecompressionContext(s->dctx);
    free(s->in);
    free(s->out);
    free(s->buf);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

static int source_open(source *s, const char *name, int fd, bool verify, mg_err *err);
static int source_fill(source *s, mg_err *err);

/* A frame with a content checksum but no block checksums (the lz4 tool's
 * default) is found corrupt only at its end, after its records were read.
 * So an LZ4 regular file is decompressed once before it is read, the output
 * thrown away, and every checksum checked: a damaged file fails at open,
 * before any of its records. A pipe cannot be read twice: it stays
 * unverified. Returns 0, or the error the reading would meet. */
static int verify_lz4(source *s, mg_err *err)
{
    struct stat st;
    char path[64];
    if (fstat(s->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        s->unverified = true;
        return 0;
    }
    /* A second open file description of the same file: its own offset. */
    snprintf(path, sizeof path, "/proc/self/fd/%d", s->fd);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mg_err_set(err, MG_EIO, "open %s again: %s", s->name, strerror(errno));
    source v;
    int rc = source_open(&v, s->name, fd, false, err);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    v.own_fd = true;
    while ((rc = source_fill(&v, err)) > 0) {
    }
    source_close(&v);
    return rc;
}

/* Open name (or take fd) and sniff its first bytes for the LZ4 magic. An LZ4
 * frame header is decoded here, so a bad one fails at open; with verify, so
 * does a damaged LZ4 regular file (verify_lz4). */
static int source_open(source *s, const char *name, int fd, bool verify, mg_err *err)
{
    memset(s, 0, sizeof *s);
    s->name = name;
    s->fd = fd;
    if (fd < 0) {
        s->fd = open(name, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0)
            return mg_err_set(err, errno == ENOENT ? MG_ENOTFOUND : MG_EIO, "open %s: %s", name,
                              strerror(errno));
        s->own_fd = true;
    }
    s->in = malloc(CHUNK);
    s->out = malloc(CHUNK);
    if (!s->in || !s->out) {
        source_close(s);
        return mg_err_set(err, MG_ENOMEM, "%s: out of memory", name);
    }
    /* Gather enough for the magic and a whole frame header (a pipe may
     * deliver a few bytes at a time). */
    while (s->in_len < LZ4F_HEADER_SIZE_MAX) {
        ssize_t r = read_some(s->fd, s->in + s->in_len, CHUNK - s->in_len);
        if (r < 0) {
            int e = errno;
            source_close(s);
            return mg_err_set(err, MG_EIO, "read %s: %s", name, strerror(e));
        }
        if (r == 0) {
            s->eof = true;
            break;
        }
        s->in_len += (size_t)r;
    }
    if (s->in_len >= 4 && is_lz4_magic(s->in)) {
        LZ4F_frameInfo_t fi;
        size_t used = s->in_len;
        s->lz4 = true;
        if (LZ4F_isError(LZ4F_createDecompressionContext(&s->dctx, LZ4F_VERSION))) {
            source_close(s);
            return mg_err_set(err, MG_ENOMEM, "%s: out of memory", name);
        }
        size_t r = LZ4F_getFrameInfo(s->dctx, &fi, s->in, &used);
        if (LZ4F_isError(r)) {
            mg_err_set(err, MG_EFORMAT, "%s: bad LZ4 frame header: %s", name, LZ4F_getErrorName(r));
            source_close(s);
            return -MG_EFORMAT;
        }
        s->in_pos = used;
        s->in_used = used;
        s->frame_hint = r;
        int rc = verify ? verify_lz4(s, err) : 0;
        if (rc < 0) {
            source_close(s);
            return rc;
        }
    } else {
        memcpy(s->out, s->in, s->in_len);
        s->out_len = s->in_len;
        s->in_len = 0;
    }
    return 0;
}

/* Refill s->out. Returns 1 with data, 0 at the end, or a negative mg_code. */
static int source_fill(source *s, mg_err *err)
{
    s->out_pos = s->out_len = 0;
    if (!s->lz4) {
        if (s->eof)
            return 0;
        ssize_t r = read_some(s->fd, s->out, CHUNK);
        if (r < 0)
            return mg_err_set(err, MG_EIO, "read %s: %s", s->name, strerror(errno));
        if (r == 0) {
            s->eof = true;
            return 0;
        }
        s->out_len = (size_t)r;
        return 1;
    }
    for (;;) {
        if (s->in_pos == s->in_len && !s->eof) {
            ssize_t r = read_some(s->fd, s->in, CHUNK);
            if (r < 0)
                return mg_err_set(err, MG_EIO, "read %s: %s", s->name, strerror(errno));
            s->in_pos = 0;
            s->in_len = (size_t)r;
            if (r == 0)
                s->eof = true;
        }
        if (s->in_pos == s->in_len && s->eof) {
            if (s->frame_hint != 0)
                return mg_err_set(err, MG_ECORRUPT,
                                  "%s: truncated LZ4 frame (input ends at byte %llu)", s->name,
                                  s->in_used);
            return 0;
        }
        size_t dst = CHUNK, src = s->in_len - s->in_pos;
        size_t r = LZ4F_decompress(s->dctx, s->out, &dst, s->in + s->in_pos, &src, NULL);
        if (LZ4F_isError(r))
            return mg_err_set(err, MG_ECORRUPT, "%s: corrupt LZ4 frame near byte %llu: %s", s->name,
                              s->in_used, LZ4F_getErrorName(r));
        s->in_pos += src;
        s->in_used += src;
        s->frame_hint = r;
        if (dst > 0) {
            s->out_len = dst;
            return 1;
        }
    }
}

/* Append to the line that spans chunks; the caller checked the cap. */
static int buf_append(source *s, const unsigned char *p, size_t n, mg_err *err)
{
    if (s->buf_len + n > s->buf_cap) {
        size_t cap = s->buf_cap ? s->buf_cap : CHUNK;
        while (cap < s->buf_len + n)
            cap *= 2;
        if (cap > MG_MAX_LINE)
            cap = MG_MAX_LINE;
        char *nb = realloc(s->buf, cap);
        if (!nb)
            return mg_err_set(err, MG_ENOMEM, "%s: out of memory", s->name);
        s->buf = nb;
        s->buf_cap = cap;
    }
    memcpy(s->buf + s->buf_len, p, n);
    s->buf_len += n;
    return 0;
}

/* The next line, without its newline, in *line and *len (valid until the next
 * call). LINE_TOO_LONG: a line over MG_MAX_LINE was skipped, *len is its length.
 * A last line without a newline counts as a line. */
static int source_line(source *s, const char **line, size_t *len, mg_err *err)
{
    bool skipping = false;
    size_t skipped = 0;
    int rc;

    s->buf_len = 0;
    s->unterminated = false;
    for (;;) {
        if (s->out_pos == s->out_len) {
            if ((rc = source_fill(s, err)) < 0)
                return rc;
            if (rc == 0) {
                if (!skipping && s->buf_len == 0)
                    return LINE_EOF;
                s->unterminated = true;
                s->line++;
                *line = s->buf;
                *len = skipping ? skipped : s->buf_len;
                return skipping ? LINE_TOO_LONG : LINE_OK;
            }
        }
        const unsigned char *p = s->out + s->out_pos;
        size_t avail = s->out_len - s->out_pos;
        const unsigned char *nl = memchr(p, '\n', avail);
        size_t n = nl ? (size_t)(nl - p) : avail;

        s->out_pos += n + (nl != NULL);
        s->out_used += n + (nl != NULL);
        if (skipping) {
            skipped += n;
        } else if (s->buf_len + n > MG_MAX_LINE) {
            skipping = true;
            skipped = s->buf_len + n;
            s->buf_len = 0;
        } else if (nl && s->buf_len == 0) {
            s->line++; /* the whole line is in this chunk: no copy */
            *line = (const char *)p;
            *len = n;
            return LINE_OK;
        } else if ((rc = buf_append(s, p, n, err)) < 0) {
            return rc;
        }
        if (nl) {
            s->line++;
            *line = s->buf;
            *len = skipping ? skipped : s->buf_len;
            return skipping ? LINE_TOO_LONG : LINE_OK;
        }
    }
}

/* Bytes of this source consumed so far, in the units of its file size. */
static unsigned long long source_offset(const source *s)
{
    return s->lz4 ? s->in_used : s->out_used;
}

/* ---- opening ------------------------------------------------------------ */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *join_path(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    bool slash = na > 0 && a[na - 1] != '/';
    char *p = malloc(na + slash + nb + 1);
    if (!p)
        return NULL;
    memcpy(p, a, na);
    if (slash)
        p[na] = '/';
    memcpy(p + na + slash, b, nb + 1);
    return p;
}

/* A directory found but not walked yet: its path and its identity. */
typedef struct pending_dir {
    char *rel;
    dev_t dev;
    ino_t ino;
} pending_dir;

typedef struct walk_state {
    const char *root;
    entry *entries;
    size_t n, cap;
    dev_t *dev; /* directories already walked: a symlink loop stops here */
    ino_t *ino;
    size_t ndirs, dircap;
    pending_dir *todo; /* to walk: a min-heap by path (walk()) */
    size_t ntodo, todocap;
    mg_err *err;
} walk_state;

static int add_entry(walk_state *w, const char *rel, entry_kind kind, unsigned long long size)
{
    if (!mg_grow_array(&w->entries, &w->cap, w->n + 1, sizeof *w->entries, 64))
        return mg_err_set(w->err, MG_ENOMEM, "out of memory");
    entry *e = &w->entries[w->n];
    e->path = join_path(w->root, rel);
    e->id = strdup(rel);
    e->kind = kind;
    e->size = size;
    if (!e->path || !e->id) {
        free(e->path);
        free(e->id);
        return mg_err_set(w->err, MG_ENOMEM, "out of memory");
    }
    w->n++;
    return 0;
}

static bool was_walked(const walk_state *w, dev_t dev, ino_t ino)
{
    for (size_t i = 0; i < w->ndirs; i++)
        if (w->dev[i] == dev && w->ino[i] == ino)
            return true;
    return false;
}

/* Remember a directory as walked. */
static int mark_walked(walk_state *w, dev_t dev, ino_t ino)
{
    if (w->ndirs == w->dircap) {
        size_t cap = w->dircap ? w->dircap * 2 : 16;
        dev_t *nd = realloc(w->dev, cap * sizeof *nd);
        if (nd)
            w->dev = nd;
        ino_t *ni = nd ? realloc(w->ino, cap * sizeof *ni) : NULL;
        if (!ni)
            return mg_err_set(w->err, MG_ENOMEM, "out of memory");
        w->ino = ni;
        w->dircap = cap;
    }
    w->dev[w->ndirs] = dev;
    w->ino[w->ndirs] = ino;
    w->ndirs++;
    return 0;
}

static void swap_pending(pending_dir *a, pending_dir *b)
{
    pending_dir t = *a;
    *a = *b;
    *b = t;
}

/* Queue the directory rel (owned by the heap from now on, freed on failure). */
static int push_dir(walk_state *w, char *rel, const struct stat *st)
{
    if (!mg_grow_array(&w->todo, &w->todocap, w->ntodo + 1, sizeof *w->todo, 16)) {
        free(rel);
        return mg_err_set(w->err, MG_ENOMEM, "out of memory");
    }
    size_t i = w->ntodo++;
    w->todo[i] = (pending_dir){.rel = rel, .dev = st->st_dev, .ino = st->st_ino};
    while (i > 0 && strcmp(w->todo[i].rel, w->todo[(i - 1) / 2].rel) < 0) {
        swap_pending(&w->todo[i], &w->todo[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    return 0;
}

/* The queued directory whose path comes first; the caller frees its rel. */
static pending_dir pop_dir(walk_state *w)
{
    pending_dir top = w->todo[0];
    w->todo[0] = w->todo[--w->ntodo];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < w->ntodo && strcmp(w->todo[l].rel, w->todo[m].rel) < 0)
            m = l;
        if (r < w->ntodo && strcmp(w->todo[r].rel, w->todo[m].rel) < 0)
            m = r;
        if (m == i)
            break;
        swap_pending(&w->todo[i], &w->todo[m]);
        i = m;
    }
    return top;
}

/* Collect the inputs in root/rel ("" for the root itself) and queue its
 * subdirectories. */
static int walk_dir(walk_state *w, const char *rel)
{
    char *dir = rel[0] ? join_path(w->root, rel) : strdup(w->root);
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (!dir)
        return mg_err_set(w->err, MG_ENOMEM, "out of memory");
    if (!(d = opendir(dir))) {
        rc = mg_err_set(w->err, MG_EIO, "open directory %s: %s", dir, strerror(errno));
        free(dir);
        return rc;
    }
    while (rc == 0 && (de = readdir(d))) {
        const char *nm = de->d_name;
        struct stat st;
        if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
            continue;
        char *sub = rel[0] ? join_path(rel, nm) : strdup(nm);
        char *full = sub ? join_path(w->root, sub) : NULL;
        if (!sub || !full) {
            rc = mg_err_set(w->err, MG_ENOMEM, "out of memory");
        } else if (stat(full, &st) < 0) {
            /* a dangling symlink or a file gone meanwhile: nothing to read */
        } else if (S_ISDIR(st.st_mode)) {
            if (!was_walked(w, st.st_dev, st.st_ino)) {
                rc = push_dir(w, sub, &st);
                sub = NULL;
            }
        } else if (S_ISREG(st.st_mode)) {
            if (ends_with(nm, ".txt"))
                rc = add_entry(w, sub, ENTRY_TEXT, (unsigned long long)st.st_size);
            else if (ends_with(nm, ".jsonl") || ends_with(nm, ".jsonl.lz4"))
                rc = add_entry(w, sub, ENTRY_JSONL, (unsigned long long)st.st_size);
        }
        free(full);
        free(sub);
    }
    closedir(d);
    free(dir);
    return rc;
}

/* Collect the inputs below the root. Directories are walked in the bytewise
 * order of their path, whatever order readdir gives, so of the paths that
 * lead to one directory (through symbolic links) the first in that order is
 * the one kept, on every file system and every copy of the tree. A path only
 * grows longer below a directory, so nothing queued later sorts before the
 * directory being walked. */
static int walk(walk_state *w, const struct stat *root)
{
    int rc = mark_walked(w, root->st_dev, root->st_ino);
    if (rc == 0)
        rc = walk_dir(w, "");
    while (rc == 0 && w->ntodo > 0) {
        pending_dir p = pop_dir(w);
        if (!was_walked(w, p.dev, p.ino) && (rc = mark_walked(w, p.dev, p.ino)) == 0)
            rc = walk_dir(w, p.rel);
        free(p.rel);
    }
    while (w->ntodo > 0)
        free(w->todo[--w->ntodo].rel);
    free(w->todo);
    free(w->dev);
    free(w->ino);
    return rc;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->id, ((const entry *)b)->id);
}

bool mg_reader_unverified(const mg_reader *rd)
{
    return rd->cur_open && rd->src.unverified;
}

void mg_reader_free(mg_reader *rd)
{
    if (!rd)
        return;
    if (rd->cur_open)
        source_close(&rd->src);
    for (size_t i = 0; i < rd->nentries; i++) {
        free(rd->entries[i].path);
        free(rd->entries[i].id);
    }
    free(rd->entries);
    free(rd);
}

mg_reader *mg_reader_open(const char *path, mg_err *err)
{
    mg_reader *rd = calloc(1, sizeof *rd);
    struct stat st;

    if (!rd) {
        mg_err_set(err, MG_ENOMEM, "out of memory");
        return NULL;
    }
    rd->src.fd = -1;
    if (strcmp(path, "-") == 0) {
        rd->is_stdin = true;
        rd->entries = calloc(1, sizeof *rd->entries);
        if (!rd->entries || !(rd->entries[0].path = strdup(STDIN_NAME)) ||
            !(rd->entries[0].id = strdup(STDIN_NAME))) {
            mg_err_set(err, MG_ENOMEM, "out of memory");
            goto fail;
        }
        rd->nentries = 1;
        rd->entries[0].kind = ENTRY_JSONL;
        if (source_open(&rd->src, rd->entries[0].path, STDIN_FILENO, true, err) < 0)
            goto fail;
        rd->cur_open = true;
        return rd;
    }
    if (stat(path, &st) < 0) {
        mg_err_set(err, errno == ENOENT ? MG_ENOTFOUND : MG_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        walk_state w = {.root = path, .err = err};
        int rc = walk(&w, &st);
        rd->entries = w.entries;
        rd->nentries = w.n;
        if (rc < 0)
            goto fail;
        qsort(rd->entries, rd->nentries, sizeof *rd->entries, entry_cmp);
        for (size_t i = 0; i < rd->nentries; i++)
            rd->total += rd->entries[i].size;
        return rd;
    }
    /* A single file: a .txt article, or JSON Lines (LZ4 or not). */
    const char *base = strrchr(path, '/');
    rd->entries = calloc(1, sizeof *rd->entries);
    if (!rd->entries || !(rd->entries[0].path = strdup(path)) ||
        !(rd->entries[0].id = strdup(base ? base + 1 : path))) {
        mg_err_set(err, MG_ENOMEM, "out of memory");
        goto fail;
    }
    rd->nentries = 1;
    rd->entries[0].size = S_ISREG(st.st_mode) ? (unsigned long long)st.st_size : 0;
    rd->total = rd->entries[0].size;
    rd->entries[0].kind = ends_with(path, ".txt") ? ENTRY_TEXT : ENTRY_JSONL;
    if (rd->entries[0].kind == ENTRY_JSONL) {
        if (source_open(&rd->src, rd->entries[0].path, -1, true, err) < 0)
            goto fail;
        rd->cur_open = true;
    }
    return rd;
fail:
    mg_reader_free(rd);
    return NULL;
}

/* ---- records ------------------------------------------------------------ */

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
            return false;
    return true;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A trimmed copy of s[0..n). */
static char *trimmed(const char *s, size_t n)
{
    while (n > 0 && is_ws(*s)) {
        s++;
        n--;
    }
    while (n > 0 && is_ws(s[n - 1]))
        n--;
    return strndup(s, n);
}

/* Read a whole .txt article (capped by MG_MAX_BODY) into *rec. */
static int read_text(const entry *e, mg_record *rec, char *warning, size_t wcap, mg_err *err)
{
    int fd = open(e->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *data = NULL, *fixed = NULL;
    size_t len = 0;
    int rc = 0;

    if (fd < 0)
        return mg_err_set(err, MG_EIO, "open %s: %s", e->path, strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = mg_err_set(err, MG_EIO, "stat %s: %s", e->path, strerror(errno));
        goto out;
    }
    if ((unsigned long long)st.st_size > MG_MAX_BODY) {
        rc = mg_err_set(err, MG_EFORMAT, "%s: file too large (%llu bytes, cap %u)", e->path,
                        (unsigned long long)st.st_size, MG_MAX_BODY);
        goto out;
    }
    /* Read at most one byte past the cap: the file may grow under us. */
    if (!(data = malloc((size_t)st.st_size + 2))) {
        rc = mg_err_set(err, MG_ENOMEM, "%s: out of memory", e->path);
        goto out;
    }
    for (;;) {
        ssize_t r = read_some(fd, data + len, (size_t)st.st_size + 1 - len);
        if (r < 0) {
            rc = mg_err_set(err, MG_EIO, "read %s: %s", e->path, strerror(errno));
            goto out;
        }
        if (r == 0 || (len += (size_t)r) > (size_t)st.st_size)
            break;
    }
    if (len > MG_MAX_BODY) {
        rc = mg_err_set(err, MG_EFORMAT, "%s: file too large (%zu+ bytes, cap %u)", e->path, len,
                        MG_MAX_BODY);
        goto out;
    }
    data[len] = '\0';
    if (!mg_utf8_valid(data, len)) {
        long bad = mg_utf8_repair(data, len, &fixed, &len);
        if (bad < 0) {
            rc = mg_err_set(err, MG_ENOMEM, "%s: out of memory", e->path);
            goto out;
        }
        free(data);
        data = fixed;
        snprintf(warning, wcap, "%s: invalid UTF-8 repaired (%ld bytes)", e->path, bad);
    }
    /* NUL bytes would cut the C strings short: drop them. */
    size_t o = 0;
    unsigned long nuls = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i])
            data[o++] = data[i];
        else
            nuls++;
    }
    len = o;
    data[len] = '\0';
    if (nuls) {
        size_t used = strlen(warning);
        if (used == 0)
            snprintf(warning, wcap, "%s: NUL characters removed (%lu)", e->path, nuls);
        else if (used + 1 < wcap)
            snprintf(warning + used, wcap - used, "; NUL characters removed (%lu)", nuls);
    }
    const char *text = data;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    const char *nl = memchr(text, '\n', len);
    size_t tlen = nl ? (size_t)(nl - text) : len;
    rec->title = trimmed(text, tlen);
    rec->body = nl ? trimmed(nl + 1, len - tlen - 1) : strdup("");
    rec->id = strdup(e->id);
    rec->date = strdup("");
    rec->source = strdup("");
    rec->url = strdup("");
    rec->author = strdup("");
    rec->lang = strdup("");
    if (!rec->title || !rec->body || !rec->id || !rec->date || !rec->source || !rec->url ||
        !rec->author || !rec->lang) {
        rc = mg_err_set(err, MG_ENOMEM, "%s: out of memory", e->path);
    } else if (strlen(rec->id) > MG_MAX_ID) {
        rc = mg_err_set(err, MG_EFORMAT, "%s: field \"id\" too long (%zu bytes, cap %d)", e->path,
                        strlen(rec->id), MG_MAX_ID);
    } else if (strlen(rec->title) > MG_MAX_TITLE) {
        rc = mg_err_set(err, MG_EFORMAT, "%s: field \"title\" too long (%zu bytes, cap %d)",
                        e->path, strlen(rec->title), MG_MAX_TITLE);
    } else if (!rec->title[0] && !rec->body[0]) {
        rc = mg_err_set(err, MG_EFORMAT, "%s: neither title nor body", e->path);
    }
    if (rc < 0)
        mg_record_release(rec);
out:
    free(data);
    close(fd);
    return rc;
}

/* Fill info for a record (or skip) from the current entry. */
static void set_info(const mg_reader *rd, mg_read_info *info)
{
    const entry *e = &rd->entries[rd->cur];
    info->file = e->path;
    info->line = e->kind == ENTRY_JSONL && rd->cur_open ? rd->src.line : 0;
    info->offset = rd->base + (rd->cur_open ? source_offset(&rd->src) : e->size);
    info->total = rd->total;
}

/* Leave the current entry and move to the next one. */
static void next_entry(mg_reader *rd)
{
    /* stdin has no size: count what was read instead */
    rd->base += rd->is_stdin && rd->cur_open ? source_offset(&rd->src) : rd->entries[rd->cur].size;
    if (rd->cur_open)
        source_close(&rd->src);
    rd->cur_open = false;
    rd->cur++;
}

/* Whether line[0..len) is one whole JSON value (whatever its fields). */
static bool json_complete(const char *line, size_t len)
{
    char *repaired = NULL;
    if (!mg_utf8_valid(line, len)) {
        if (mg_utf8_repair(line, len, &repaired, &len) < 0)
            return false;
        line = repaired;
    }
    json_error_t jerr;
    json_t *v = json_loadb(line, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    free(repaired);
    json_decref(v);
    return v != NULL;
}

/* A last line without a newline that is not a whole record is where the
 * input was cut (a file still being written, a partial copy, head -c): the
 * input is incomplete, which is fatal, not one bad record. */
static int cut_short(const source *s, const char *path, mg_err *err)
{
    return mg_err_set(err, MG_ECORRUPT,
                      "%s:%lu: the input ends inside a record (the last line has no newline and "
                      "is not complete JSON): truncated input",
                      path, s->line);
}

int mg_reader_next(mg_reader *rd, mg_record *rec, mg_read_info *info, mg_err *err)
{
    mg_read_info local;
    const char *line;
    size_t len;
    int rc;

    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    mg_err_clear(err);
    mg_record_release(rec);
    while (rd->cur < rd->nentries) {
        const entry *e = &rd->entries[rd->cur];
        if (e->kind == ENTRY_TEXT) {
            rc = read_text(e, rec, info->warning, sizeof info->warning, err);
            set_info(rd, info);
            next_entry(rd);
            if (rc == -MG_EFORMAT)
                return MG_READ_SKIP;
            return rc < 0 ? rc : MG_READ_RECORD;
        }
        if (!rd->cur_open) {
            if ((rc = source_open(&rd->src, e->path, -1, true, err)) < 0)
                return rc;
            rd->cur_open = true;
        }
        rc = source_line(&rd->src, &line, &len, err);
        set_info(rd, info);
        if (rc < 0)
            return rc;
        if (rc == LINE_EOF) {
            next_entry(rd);
            continue;
        }
        if (rc == LINE_TOO_LONG) {
            if (rd->src.unterminated)
                return cut_short(&rd->src, e->path, err);
            mg_err_set(err, MG_ETOOBIG, "%s:%lu: record too long (%zu bytes, cap %zu)", e->path,
                       rd->src.line, len, MG_MAX_LINE);
            return MG_READ_SKIP;
        }
        if (rd->src.line == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;
            len -= 3;
        }
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (blank(line, len))
            continue;
        char where[300];
        snprintf(where, sizeof where, "%s:%lu", e->path, rd->src.line);
        rc = mg_record_from_json(line, len, where, rec, info->warning, sizeof info->warning, err);
        if (rc == -MG_EFORMAT && rd->src.unterminated && !json_complete(line, len)) {
            info->warning[0] = '\0';
            return cut_short(&rd->src, e->path, err);
        }
        if (rc == -MG_EFORMAT)
            return MG_READ_SKIP;
        return rc < 0 ? rc : MG_READ_RECORD;
    }
    info->file = "";
    info->offset = rd->base;
    info->total = rd->total;
    return MG_READ_END;
}
