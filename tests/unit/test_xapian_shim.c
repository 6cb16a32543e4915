/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the write side of the Xapian shim, on real databases in a
 * temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record.h"
#include "schema.h"
#include "xapian_shim.h"

static char tmpdir[64];

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void add_doc(mg_xdb *db, const char *id, const char *words, const char *source)
{
    mg_err err;
    mg_xdoc *doc = mg_xdoc_new(&err);
    assert_non_null(doc);
    char uid[128];
    snprintf(uid, sizeof uid, "Q%s", id);
    assert_int_equal(mg_xdoc_add_boolean(doc, uid, strlen(uid), &err), 0);
    char xs[128];
    snprintf(xs, sizeof xs, "XS%s", source);
    assert_int_equal(mg_xdoc_add_boolean(doc, xs, strlen(xs), &err), 0);
    unsigned pos = 1;
    const char *w = words;
    while (*w) {
        size_t n = strcspn(w, " ");
        assert_int_equal(mg_xdoc_add_posting(doc, w, n, pos++, 1, &err), 0);
        w += n;
        w += strspn(w, " ");
    }
    assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_SOURCE, source, strlen(source), &err), 0);
    assert_int_equal(mg_xdoc_set_data(doc, id, strlen(id), &err), 0);
    assert_int_equal(mg_xdb_replace(db, uid, doc, &err), 0);
    mg_xdoc_free(doc);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mg-xshim-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_add_replace_delete_commit(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "crud");
    mg_err err;
    mg_xdb *db = mg_xdb_open(p, MG_XDB_CREATE, &err);
    assert_non_null(db);
    add_doc(db, "a", "cocoa price rise", "reuters");
    add_doc(db, "b", "grain export", "ap");
    add_doc(db, "c", "oil well", "ap");
    assert_int_equal(mg_xdb_doccount(db, &err), 3);
    /* replacing keeps the count and changes the content */
    add_doc(db, "a", "cocoa price fall", "afp");
    assert_int_equal(mg_xdb_doccount(db, &err), 3);
    char buf[32];
    long n = mg_xdb_get_value(db, "Qa", MG_SLOT_SOURCE, buf, sizeof buf, &err);
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "afp", 3);
    /* delete reports whether the document existed */
    assert_int_equal(mg_xdb_delete(db, "Qc", &err), 1);
    assert_int_equal(mg_xdb_delete(db, "Qc", &err), 0);
    assert_int_equal(mg_xdb_delete(db, "Qnever", &err), 0);
    assert_int_equal(mg_xdb_doccount(db, &err), 2);
    assert_int_equal(mg_xdb_commit(db, &err), 0);
    add_doc(db, "d", "late news", "ap");
    assert_int_equal(mg_xdb_close(db, &err), 0);

    db = mg_xdb_open(p, 0, &err);
    assert_non_null(db);
    assert_int_equal(mg_xdb_doccount(db, &err), 3); /* close committed d */
    void *data;
    size_t len;
    assert_int_equal(mg_xdb_get_record(db, "Qd", &data, &len, &err), 0);
    assert_int_equal(len, 1);
    assert_memory_equal(data, "d", 1);
    free(data);
    assert_int_equal(mg_xdb_get_record(db, "Qc", &data, &len, &err), -MG_ENOTFOUND);
    assert_null(data);
    assert_int_equal(mg_xdb_close(db, &err), 0);
}

/* mg_xdb_add adds without looking for the unique term: a second add of the
 * same id makes two documents (which is why only fresh shards use it). */
static void test_plain_add(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "plainadd");
    mg_err err;
    mg_xdb *db = mg_xdb_open(p, MG_XDB_CREATE | MG_XDB_DANGEROUS | MG_XDB_NOSYNC, &err);
    assert_non_null(db);
    mg_xdoc *doc = mg_xdoc_new(&err);
    assert_non_null(doc);
    assert_int_equal(mg_xdoc_add_boolean(doc, "Qx", 2, &err), 0);
    assert_int_equal(mg_xdoc_add_posting(doc, "cocoa", 5, 1, 1, &err), 0);
    assert_int_equal(mg_xdoc_set_data(doc, "x1", 2, &err), 0);
    /* an empty value clears a slot, set or not */
    assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_HASH, "", 0, &err), 0);
    assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_DATE, "19870226", 8, &err), 0);
    assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_DATE, "", 0, &err), 0);
    assert_int_equal(mg_xdb_add(db, doc, &err), 0);
    assert_int_equal(mg_xdb_doccount(db, &err), 1);
    long n = mg_xdb_get_value(db, "Qx", MG_SLOT_SOURCE, NULL, 0, &err);
    assert_int_equal(n, 0); /* found, no value in that slot */
    assert_int_equal(mg_xdb_get_value(db, "Qx", MG_SLOT_DATE, NULL, 0, &err), 0);
    assert_int_equal(mg_xdb_add(db, doc, &err), 0);
    assert_int_equal(mg_xdb_doccount(db, &err), 2);
    mg_xdoc_free(doc);
    assert_int_equal(mg_xdb_close(db, &err), 0);
}

/* What the read-back sees of a document: one line per term or value. */
typedef struct readback {
    char text[1024];
    size_t len;
    int stop_after; /* stop (return 7) after this many callbacks; 0: never */
    int calls;
} readback;

static int rb_term(void *ctx, const char *term, size_t len, unsigned wdf, const unsigned *pos,
                   size_t npos)
{
    readback *rb = ctx;
    assert_true(rb->len + len < sizeof rb->text);
    memcpy(rb->text + rb->len, term, len); /* not %.*s: a term may hold a NUL */
    rb->len += len;
    rb->len += (size_t)snprintf(rb->text + rb->len, sizeof rb->text - rb->len, "/%u:", wdf);
    for (size_t i = 0; i < npos; i++)
        rb->len += (size_t)snprintf(rb->text + rb->len, sizeof rb->text - rb->len, " %u", pos[i]);
    rb->len += (size_t)snprintf(rb->text + rb->len, sizeof rb->text - rb->len, "\n");
    return ++rb->calls == rb->stop_after ? 7 : 0;
}

static int rb_value(void *ctx, unsigned slot, const void *val, size_t len)
{
    readback *rb = ctx;
    rb->len += (size_t)snprintf(rb->text + rb->len, sizeof rb->text - rb->len, "%u=%.*s\n", slot,
                                (int)len, (const char *)val);
    return ++rb->calls == rb->stop_after ? 7 : 0;
}

/* mg_xdoc_each_term / mg_xdoc_each_value give back exactly what was added:
 * terms sorted with summed wdf and sorted, merged positions; values by slot;
 * a binary term intact; nothing after a clear. */
static void test_xdoc_read_back(void **state)
{
    (void)state;
    mg_err err;
    mg_xdoc *doc = mg_xdoc_new(&err);
    assert_non_null(doc);
    assert_int_equal(mg_xdoc_add_posting(doc, "oil", 3, 7, 1, &err), 0);
    assert_int_equal(mg_xdoc_add_posting(doc, "cocoa", 5, 2, 3, &err), 0);
    assert_int_equal(mg_xdoc_add_posting(doc, "Scocoa", 6, 2, 1, &err), 0);
    assert_int_equal(mg_xdoc_add_posting(doc, "oil", 3, 3, 1, &err), 0);
    assert_int_equal(mg_xdoc_add_posting(doc, "cocoa", 5, 105, 1, &err), 0);
    assert_int_equal(mg_xdoc_add_boolean(doc, "Qx1", 3, &err), 0);
    assert_int_equal(mg_xdoc_add_boolean(doc, "KGRAIN", 6, &err), 0);
    assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_ID, "x1", 2, &err), 0);
    assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_DATE, "19870226000000", 14, &err), 0);
    assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_SOURCE, "gone", 4, &err), 0);
    assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_SOURCE, "", 0, &err), 0);

    readback rb = {0};
    assert_int_equal(mg_xdoc_each_term(doc, rb_term, &rb, &err), 0);
    assert_string_equal(rb.text, "KGRAIN/0:\nQx1/0:\nScocoa/1: 2\ncocoa/4: 2 105\noil/2: 3 7\n");
    readback rv = {0};
    assert_int_equal(mg_xdoc_each_value(doc, rb_value, &rv, &err), 0);
    assert_string_equal(rv.text, "0=19870226000000\n4=x1\n");

    /* The callback's non-zero value stops the walk and is returned. */
    readback r2 = {.stop_after = 2};
    assert_int_equal(mg_xdoc_each_term(doc, rb_term, &r2, &err), 7);
    assert_int_equal(r2.calls, 2);
    readback r3 = {.stop_after = 1};
    assert_int_equal(mg_xdoc_each_value(doc, rb_value, &r3, &err), 7);
    assert_int_equal(r3.calls, 1);

    /* A term with a NUL byte comes back whole. */
    mg_xdoc_clear(doc);
    assert_int_equal(mg_xdoc_add_posting(doc, "a\0b", 3, 1, 1, &err), 0);
    readback r4 = {0};
    assert_int_equal(mg_xdoc_each_term(doc, rb_term, &r4, &err), 0);
    assert_int_equal(r4.len, 9);
    assert_memory_equal(r4.text, "a\0b/1: 1\n", 9);

    mg_xdoc_clear(doc);
    readback r5 = {0};
    assert_int_equal(mg_xdoc_each_term(doc, rb_term, &r5, &err), 0);
    assert_int_equal(mg_xdoc_each_value(doc, rb_value, &r5, &err), 0);
    assert_int_equal(r5.calls, 0);
    mg_xdoc_free(doc);
}

static void test_abandon_discards(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "abandon");
    mg_err err;
    mg_xdb *db = mg_xdb_open(p, MG_XDB_CREATE, &err);
    assert_non_null(db);
    add_doc(db, "kept", "one", "ap");
    assert_int_equal(mg_xdb_commit(db, &err), 0);
    add_doc(db, "lost", "two", "ap");
    assert_int_equal(mg_xdb_delete(db, "Qkept", &err), 1);
    mg_xdb_abandon(db);
    mg_xdb_abandon(NULL);
    assert_int_equal(mg_xdb_close(NULL, &err), 0);

    db = mg_xdb_open(p, 0, &err);
    assert_non_null(db);
    assert_int_equal(mg_xdb_doccount(db, &err), 1);
    char buf[8];
    assert_int_equal(mg_xdb_get_value(db, "Qkept", MG_SLOT_SOURCE, buf, sizeof buf, &err), 2);
    assert_int_equal(mg_xdb_get_value(db, "Qlost", MG_SLOT_SOURCE, buf, sizeof buf, &err),
                     -MG_ENOTFOUND);
    assert_int_equal(err.code, MG_ENOTFOUND);
    mg_xdb_abandon(db);
}

/* Run xapian-delve with args on db; its output goes to out. */
static void delve(char *out, size_t cap, const char *args, const char *db)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "xapian-delve %s '%s' 2>&1", args, db);
    FILE *fp = popen(cmd, "r");
    assert_non_null(fp);
    size_t n = fread(out, 1, cap - 1, fp);
    out[n] = '\0';
    assert_int_equal(pclose(fp), 0);
}

/* Xapian commits on its own every XAPIAN_FLUSH_THRESHOLD changes; inside the
 * handle's transaction it must not: a batch bigger than the threshold stays
 * invisible to readers (and to a crash) until mg_xdb_commit(). */
static void test_batch_over_flush_threshold(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "threshold");
    mg_err err;
    setenv("XAPIAN_FLUSH_THRESHOLD", "10", 1);
    mg_xdb *db = mg_xdb_open(p, MG_XDB_CREATE, &err);
    unsetenv("XAPIAN_FLUSH_THRESHOLD");
    assert_non_null(db);
    add_doc(db, "first", "one", "ap");
    assert_int_equal(mg_xdb_commit(db, &err), 0);
    for (int i = 0; i < 55; i++) {
        char id[16];
        snprintf(id, sizeof id, "n%d", i);
        add_doc(db, id, "cocoa grain", "ap");
    }
    assert_int_equal(mg_xdb_doccount(db, &err), 56); /* the writer sees its batch */
    char out[4096];
    delve(out, sizeof out, "", p);
    assert_non_null(strstr(out, "number of documents = 1\n"));
    assert_int_equal(mg_xdb_commit(db, &err), 0);
    delve(out, sizeof out, "", p);
    assert_non_null(strstr(out, "number of documents = 56\n"));
    assert_int_equal(mg_xdb_close(db, &err), 0);
}

static void test_get_value(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "values");
    mg_err err;
    mg_xdb *db = mg_xdb_open(p, MG_XDB_CREATE, &err);
    assert_non_null(db);
    add_doc(db, "x", "word", "a-long-source-name");
    char buf[4];
    /* truncated copy, full length returned */
    assert_int_equal(mg_xdb_get_value(db, "Qx", MG_SLOT_SOURCE, buf, sizeof buf, &err), 18);
    assert_memory_equal(buf, "a-lo", 4);
    /* an unset slot is an empty value */
    assert_int_equal(mg_xdb_get_value(db, "Qx", MG_SLOT_HASH, buf, sizeof buf, &err), 0);
    /* binary values survive */
    mg_xdoc *doc = mg_xdoc_new(&err);
    const unsigned char bin[8] = {0, 1, 0xff, 0, 7, 0, 0x80, 9};
    assert_int_equal(mg_xdoc_add_boolean(doc, "Qy", 2, &err), 0);
    assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_HASH, bin, 8, &err), 0);
    assert_int_equal(mg_xdb_replace(db, "Qy", doc, &err), 0);
    /* a cleared document can be reused */
    mg_xdoc_clear(doc);
    assert_int_equal(mg_xdoc_add_boolean(doc, "Qz", 2, &err), 0);
    assert_int_equal(mg_xdb_replace(db, "Qz", doc, &err), 0);
    mg_xdoc_free(doc);
    mg_xdoc_free(NULL);
    unsigned char got[8];
    assert_int_equal(mg_xdb_get_value(db, "Qy", MG_SLOT_HASH, got, sizeof got, &err), 8);
    assert_memory_equal(got, bin, 8);
    assert_int_equal(mg_xdb_get_value(db, "Qz", MG_SLOT_HASH, got, sizeof got, &err), 0);
    assert_int_equal(mg_xdb_close(db, &err), 0);
}

struct terms {
    char all[512];
    int count;
    int stop_after;
};

static int collect(void *ctx, const char *term, size_t len)
{
    struct terms *t = ctx;
    assert_int_equal(strlen(term), len);
    strcat(t->all, term);
    strcat(t->all, ",");
    t->count++;
    return t->count == t->stop_after ? 42 : 0;
}

static void test_each_term(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "terms");
    mg_err err;
    mg_xdb *db = mg_xdb_open(p, MG_XDB_CREATE, &err);
    assert_non_null(db);
    add_doc(db, "2", "cocoa", "reuters");
    add_doc(db, "1", "cocoa", "ap");
    add_doc(db, "3", "cocoa", "xinhua");
    struct terms t = {.stop_after = -1};
    assert_int_equal(mg_xdb_each_term(db, "Q", collect, &t, &err), 0);
    assert_string_equal(t.all, "Q1,Q2,Q3,");
    memset(&t, 0, sizeof t);
    t.stop_after = -1;
    assert_int_equal(mg_xdb_each_term(db, "XS", collect, &t, &err), 0);
    assert_string_equal(t.all, "XSap,XSreuters,XSxinhua,");
    memset(&t, 0, sizeof t);
    t.stop_after = 2;
    assert_int_equal(mg_xdb_each_term(db, "", collect, &t, &err), 42);
    assert_int_equal(t.count, 2);
    memset(&t, 0, sizeof t);
    t.stop_after = -1;
    assert_int_equal(mg_xdb_each_term(db, "Znothing", collect, &t, &err), 0);
    assert_int_equal(t.count, 0);
    assert_int_equal(mg_xdb_close(db, &err), 0);
}

static void test_metadata(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "meta");
    mg_err err;
    mg_xdb *db = mg_xdb_open(p, MG_XDB_CREATE, &err);
    assert_non_null(db);
    char buf[16];
    assert_int_equal(mg_xdb_get_metadata(db, MG_META_LANG, buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "");
    assert_int_equal(mg_xdb_set_metadata(db, MG_META_LANG, "english", &err), 0);
    assert_int_equal(mg_xdb_set_metadata(db, MG_META_VERSION, "1", &err), 0);
    assert_int_equal(mg_xdb_set_metadata(db, "", "x", &err), -MG_EINVAL);
    assert_int_equal(mg_xdb_close(db, &err), 0);
    db = mg_xdb_open(p, 0, &err);
    assert_non_null(db);
    assert_int_equal(mg_xdb_get_metadata(db, MG_META_LANG, buf, sizeof buf, &err), 7);
    assert_string_equal(buf, "english");
    char small[4];
    assert_int_equal(mg_xdb_get_metadata(db, MG_META_LANG, small, sizeof small, &err), 7);
    assert_string_equal(small, "eng");
    assert_int_equal(mg_xdb_close(db, &err), 0);
}

static void test_compact_union(void **state)
{
    (void)state;
    char s1[128], s2[128], dst[128];
    path_in(s1, sizeof s1, "shard1");
    path_in(s2, sizeof s2, "shard2");
    path_in(dst, sizeof dst, "merged");
    mg_err err;
    mg_xdb *a = mg_xdb_open(s1, MG_XDB_CREATE | MG_XDB_DANGEROUS | MG_XDB_NOSYNC, &err);
    mg_xdb *b = mg_xdb_open(s2, MG_XDB_OVERWRITE | MG_XDB_NOSYNC, &err);
    assert_non_null(a);
    assert_non_null(b);
    add_doc(a, "a1", "cocoa one", "ap");
    add_doc(a, "a2", "cocoa two", "ap");
    add_doc(a, "a3", "cocoa three", "ap");
    add_doc(b, "b1", "grain one", "afp");
    add_doc(b, "b2", "grain two", "afp");
    assert_int_equal(mg_xdb_set_metadata(a, MG_META_LANG, "english", &err), 0);
    assert_int_equal(mg_xdb_set_metadata(b, MG_META_LANG, "french", &err), 0);
    assert_int_equal(mg_xdb_set_metadata(b, MG_META_VERSION, "1", &err), 0);
    assert_int_equal(mg_xdb_close(a, &err), 0);
    assert_int_equal(mg_xdb_close(b, &err), 0);

    const char *srcs[] = {s1, s2};
    assert_int_equal(mg_xdb_compact(srcs, 2, dst, &err), 0);
    /* dst must not exist */
    assert_int_equal(mg_xdb_compact(srcs, 2, dst, &err), -MG_EINVAL);
    assert_int_equal(mg_xdb_compact(srcs, 0, dst, &err), -MG_EINVAL);

    mg_xdb *m = mg_xdb_open(dst, 0, &err);
    assert_non_null(m);
    assert_int_equal(mg_xdb_doccount(m, &err), 5);
    /* a compacted database is at revision 1 (morgue-index --compact relies
     * on it to skip an index that is still compact) */
    assert_int_equal(mg_xdb_revision(m, &err), 1);
    struct terms t = {.stop_after = -1};
    assert_int_equal(mg_xdb_each_term(m, "Q", collect, &t, &err), 0);
    assert_string_equal(t.all, "Qa1,Qa2,Qa3,Qb1,Qb2,");
    char buf[16];
    assert_int_equal(mg_xdb_get_value(m, "Qb2", MG_SLOT_SOURCE, buf, sizeof buf, &err), 3);
    /* metadata: the union; the first source wins a key set in several */
    assert_int_equal(mg_xdb_get_metadata(m, MG_META_LANG, buf, sizeof buf, &err), 7);
    assert_string_equal(buf, "english");
    assert_int_equal(mg_xdb_get_metadata(m, MG_META_VERSION, buf, sizeof buf, &err), 1);
    assert_int_equal(mg_xdb_close(m, &err), 0);
    /* document ids follow the order of the sources */
    char out[4096];
    delve(out, sizeof out, "-t Qa1", dst);
    assert_non_null(strstr(out, "): 1\n"));
    delve(out, sizeof out, "-t Qb1", dst);
    assert_non_null(strstr(out, "): 4\n"));
    m = mg_xdb_open(dst, 0, &err);
    assert_non_null(m);
    /* the merged database is an ordinary writable one */
    assert_int_equal(mg_xdb_delete(m, "Qa2", &err), 1);
    assert_int_equal(mg_xdb_doccount(m, &err), 4);
    assert_int_equal(mg_xdb_revision(m, &err), 1); /* pending changes do not count */
    assert_int_equal(mg_xdb_commit(m, &err), 0);
    assert_int_equal(mg_xdb_revision(m, &err), 2);
    assert_int_equal(mg_xdb_close(m, &err), 0);

    /* a source may be a stub database naming several shards */
    char stub[128], dst3[128];
    path_in(stub, sizeof stub, "shards.stub");
    path_in(dst3, sizeof dst3, "merged-from-stub");
    FILE *fp = fopen(stub, "w");
    assert_non_null(fp);
    fprintf(fp, "glass shard2\nglass shard1\n");
    fclose(fp);
    const char *one[] = {stub};
    assert_int_equal(mg_xdb_compact(one, 1, dst3, &err), 0);
    delve(out, sizeof out, "-t Qb1", dst3);
    assert_non_null(strstr(out, "): 1\n"));
    delve(out, sizeof out, "", dst3);
    assert_non_null(strstr(out, "number of documents = 5\n"));

    /* a missing source is an error, and nothing is left at dst */
    char missing[128], dst2[128];
    path_in(missing, sizeof missing, "no-such-shard");
    path_in(dst2, sizeof dst2, "merged2");
    const char *bad[] = {s1, missing};
    assert_int_equal(mg_xdb_compact(bad, 2, dst2, &err), -MG_ENOTFOUND);
}

static void test_open_missing(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "does-not-exist");
    mg_err err;
    mg_err_clear(&err);
    assert_null(mg_xdb_open(p, 0, &err));
    assert_int_equal(err.code, MG_ENOTFOUND);
    assert_non_null(strstr(err.msg, "does-not-exist"));
    assert_int_equal(access(p, F_OK), -1); /* nothing was created */
    /* creating under a missing directory is an I/O error naming the path */
    path_in(p, sizeof p, "no-such-dir/db");
    assert_null(mg_xdb_open(p, MG_XDB_CREATE, &err));
    assert_int_equal(err.code, MG_EIO);
    assert_non_null(strstr(err.msg, "no-such-dir/db"));
    assert_null(mg_xdb_open(NULL, 0, &err));
    assert_int_equal(err.code, MG_EINVAL);
    assert_null(mg_xdb_open("", MG_XDB_CREATE, &err));
    assert_int_equal(err.code, MG_EINVAL);
}

static void test_locked(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "lock");
    mg_err err;
    mg_xdb *db = mg_xdb_open(p, MG_XDB_CREATE, &err);
    assert_non_null(db);
    mg_err_clear(&err);
    assert_null(mg_xdb_open(p, 0, &err));
    assert_int_equal(err.code, MG_ELOCKED);
    assert_non_null(strstr(err.msg, "locked"));
    assert_null(mg_xdb_open(p, MG_XDB_OVERWRITE, &err));
    assert_int_equal(err.code, MG_ELOCKED);
    /* and from another process, as a second indexer would */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        mg_err cerr;
        mg_xdb *c = mg_xdb_open(p, MG_XDB_CREATE, &cerr);
        _exit(c == NULL && cerr.code == MG_ELOCKED && strstr(cerr.msg, "locked") ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(mg_xdb_close(db, &err), 0);
    /* the lock goes with the handle */
    db = mg_xdb_open(p, 0, &err);
    assert_non_null(db);
    assert_int_equal(mg_xdb_close(db, &err), 0);
}

static void test_long_term(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "longterm");
    mg_err err;
    mg_xdb *db = mg_xdb_open(p, MG_XDB_CREATE, &err);
    assert_non_null(db);
    mg_xdoc *doc = mg_xdoc_new(&err);
    char term[1024];
    memset(term, 'x', sizeof term);
    term[0] = 'Q';
    /* the longest allowed term is written and read back */
    assert_int_equal(mg_xdoc_add_boolean(doc, term, MG_XDB_MAX_TERM, &err), 0);
    assert_int_equal(mg_xdoc_add_posting(doc, term + 1, MG_XDB_MAX_TERM, 1, 1, &err), 0);
    term[MG_XDB_MAX_TERM] = '\0';
    assert_int_equal(mg_xdb_replace(db, term, doc, &err), 0);
    assert_int_equal(mg_xdb_commit(db, &err), 0);
    assert_int_equal(mg_xdb_doccount(db, &err), 1);
    term[MG_XDB_MAX_TERM] = 'x';
    /* one byte more is refused before it reaches Xapian */
    mg_err_clear(&err);
    assert_int_equal(mg_xdoc_add_posting(doc, term, MG_XDB_MAX_TERM + 1, 2, 1, &err), -MG_EINVAL);
    assert_int_equal(err.code, MG_EINVAL);
    assert_int_equal(mg_xdoc_add_boolean(doc, term, sizeof term, &err), -MG_EINVAL);
    assert_int_equal(mg_xdoc_add_boolean(doc, term, 0, &err), -MG_EINVAL);
    term[sizeof term - 1] = '\0';
    assert_int_equal(mg_xdb_replace(db, term, doc, &err), -MG_EINVAL);
    assert_int_equal(mg_xdb_delete(db, term, &err), -MG_EINVAL);
    mg_xdoc_free(doc);
    assert_int_equal(mg_xdb_close(db, &err), 0);
}

static int count_cb(void *ctx, const char *term, size_t len)
{
    (void)term;
    (void)len;
    ++*(long *)ctx;
    return 0;
}

/* Build a small database, overwrite bytes [from, from + len) of table (or of
 * each main table when table is NULL) with garbage, and run every operation on it: each returns
 * (OK or an error code, never a crash) and at least one notices. */
static void check_damage(const char *name, const char *table, long from, int len)
{
    char p[128];
    path_in(p, sizeof p, name);
    mg_err err;
    mg_xdb *db = mg_xdb_open(p, MG_XDB_CREATE, &err);
    assert_non_null(db);
    for (int i = 0; i < 2000; i++) {
        char id[16];
        snprintf(id, sizeof id, "doc%d", i);
        add_doc(db, id, "cocoa grain oil wheat", i % 2 ? "ap" : "reuters");
    }
    assert_int_equal(mg_xdb_close(db, &err), 0);

    static const char *const tables[] = {"postlist.glass", "termlist.glass", "docdata.glass"};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        if (table && strcmp(table, tables[t]) != 0)
            continue;
        char f[192];
        snprintf(f, sizeof f, "%s/%s", p, tables[t]);
        FILE *fp = fopen(f, "r+b");
        assert_non_null(fp);
        assert_int_equal(fseek(fp, from, SEEK_SET), 0);
        for (int i = 0; i < len; i++)
            fputc((i * 131 + 7) & 0xff, fp);
        fclose(fp);
    }
    int errors = 0;
    mg_err_clear(&err);
    db = mg_xdb_open(p, 0, &err);
    if (!db) {
        print_message("# damage reported at open: %s\n", err.msg);
        assert_true(err.code == MG_ECORRUPT || err.code == MG_EDB);
        return;
    }
    long n = 0;
    errors += mg_xdb_each_term(db, "", count_cb, &n, &err) < 0;
    errors += mg_xdb_doccount(db, &err) < 0;
    char buf[16];
    for (int i = 0; i < 2000; i += 97) {
        char uid[16];
        snprintf(uid, sizeof uid, "Qdoc%d", i);
        errors += mg_xdb_get_value(db, uid, MG_SLOT_SOURCE, buf, sizeof buf, &err) < 0;
        void *data = NULL;
        size_t dlen;
        errors += mg_xdb_get_record(db, uid, &data, &dlen, &err) < 0;
        free(data);
        errors += mg_xdb_delete(db, uid, &err) < 0;
    }
    mg_xdoc *doc = mg_xdoc_new(&err);
    assert_non_null(doc);
    assert_int_equal(mg_xdoc_add_boolean(doc, "Qnew", 4, &err), 0);
    assert_int_equal(mg_xdoc_add_posting(doc, "cocoa", 5, 1, 1, &err), 0);
    errors += mg_xdb_replace(db, "Qnew", doc, &err) < 0;
    mg_xdoc_free(doc);
    errors += mg_xdb_commit(db, &err) < 0;
    errors += mg_xdb_close(db, &err) < 0;
    assert_true(errors > 0);
    print_message("# damage reported as: %s\n", err.msg);
    assert_true(err.code == MG_ECORRUPT || err.code == MG_EDB);
}

static void test_corrupt_at_start(void **state)
{
    (void)state;
    check_damage("corrupt0", NULL, 0, 64 * 1024);
}

/* Damage to one leaf block, or to the first block, of one table at a time
 * passes the checks at open and is met by a later operation. */
static void test_corrupt_one_block(void **state)
{
    (void)state;
    static const char *const tables[] = {"postlist.glass", "termlist.glass", "docdata.glass"};
    for (size_t t = 0; t < 3; t++) {
        for (long block = 0; block < 2; block++) {
            char name[64];
            snprintf(name, sizeof name, "corrupt-%zu-%ld", t, block);
            check_damage(name, tables[t], block * 8192, 8192);
        }
    }
}

/* xapian-delve, Xapian's own inspection tool, reads what we wrote. */
static void test_delve_reads_it(void **state)
{
    (void)state;
    if (system("command -v xapian-delve >/dev/null 2>&1") != 0) {
        skip();
        return;
    }
    char p[128];
    path_in(p, sizeof p, "delve");
    mg_err err;
    mg_xdb *db = mg_xdb_open(p, MG_XDB_CREATE, &err);
    assert_non_null(db);
    add_doc(db, "reuters-1", "cocoa price", "reuters");
    add_doc(db, "reuters-2", "grain cocoa", "reuters");
    add_doc(db, "ap-9", "oil", "ap");
    assert_int_equal(mg_xdb_close(db, &err), 0);

    char out[4096];
    delve(out, sizeof out, "", p);
    assert_non_null(strstr(out, "number of documents = 3"));
    /* the term cocoa is in two documents; the Q term finds one */
    delve(out, sizeof out, "-t cocoa", p);
    assert_non_null(strstr(out, "termfreq 2"));
    delve(out, sizeof out, "-t Qap-9", p);
    assert_non_null(strstr(out, "termfreq 1"));
}

/* Store r encoded as version: in value slot MG_SLOT_RECORD as schema 2
 * writes it, or (in_data) in the document data as schema 1 did. Then check
 * that mg_xdb_get_record() finds exactly those bytes either way. */
static void store_record(mg_xdb *db, const mg_record *r, int version, bool in_data)
{
    mg_err err;
    unsigned char *data;
    size_t len;
    assert_int_equal(mg_record_encode_as(r, version, &data, &len, &err), 0);
    mg_xdoc *doc = mg_xdoc_new(&err);
    char uid[64];
    snprintf(uid, sizeof uid, "Q%s", r->id);
    assert_int_equal(mg_xdoc_add_boolean(doc, uid, strlen(uid), &err), 0);
    if (in_data)
        assert_int_equal(mg_xdoc_set_data(doc, data, len, &err), 0);
    else
        assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_RECORD, data, len, &err), 0);
    assert_int_equal(mg_xdb_replace(db, uid, doc, &err), 0);
    mg_xdoc_free(doc);

    void *got;
    size_t got_len;
    assert_int_equal(mg_xdb_get_record(db, uid, &got, &got_len, &err), 0);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, data, len);
    free(got);
    free(data);
}

/* The Python decoder printed in docs/index-format.md reads records the
 * library wrote: the documented format is the real one. */
static void test_documented_record_format(void **state)
{
    (void)state;
    if (system("/usr/bin/python3 -c 'import xapian' >/dev/null 2>&1") != 0) {
        skip();
        return;
    }
    const char *root = getenv("MORGUE_ROOT");
    char doc_md[512], script[128], p[128];
    snprintf(doc_md, sizeof doc_md, "%s/docs/index-format.md", root ? root : ".");
    path_in(script, sizeof script, "dump-record.py");
    path_in(p, sizeof p, "records");

    char *cats[] = {"cocoa", "", "Économie"};
    mg_record r = {.id = "utf8",
                   .title = "Müller’s cocoa 東京",
                   .date = "1987-02-26T15:01:01",
                   .source = "Morgue Wire",
                   .url = "",
                   .author = "",
                   .lang = "en",
                   .body = "short",
                   .categories = cats,
                   .ncategories = 3};
    mg_err err;
    mg_xdb *db = mg_xdb_open(p, MG_XDB_CREATE, &err);
    assert_non_null(db);
    store_record(db, &r, MG_RECORD_LZ4, false);
    r.id = "plain";
    store_record(db, &r, MG_RECORD_PLAIN, true);
    r.id = "white";
    store_record(db, &r, MG_RECORD_LZ4_WHITE, true);
    /* a long repetitive body: LZ4 matches with extended lengths */
    static char body[6001];
    for (size_t i = 0; i < sizeof body - 1; i++)
        body[i] = "the cocoa harvest in Bahia, "[i % 28];
    r.id = "long";
    r.body = body;
    r.ncategories = 0;
    store_record(db, &r, MG_RECORD_LZ4, false);
    r.id = "long-data";
    store_record(db, &r, MG_RECORD_LZ4, true);
    r.id = "long-white";
    store_record(db, &r, MG_RECORD_LZ4_WHITE, true);
    assert_int_equal(mg_xdb_close(db, &err), 0);

    char cmd[1024], out[32768];
    snprintf(cmd, sizeof cmd, "sed -n '/^```python$/,/^```$/p' '%s' | sed '1d;$d' > '%s'", doc_md,
             script);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "for id in utf8 plain white long long-data long-white; do "
             "PYTHONIOENCODING=utf-8 /usr/bin/python3 '%s' '%s' $id 2>&1 || exit 1; done",
             script, p);
    FILE *fp = popen(cmd, "r");
    assert_non_null(fp);
    size_t n = fread(out, 1, sizeof out - 1, fp);
    out[n] = '\0';
    assert_int_equal(pclose(fp), 0);
    assert_non_null(strstr(out, "{'id': 'utf8', 'title': 'Müller’s cocoa "
                                "東京', 'date': '1987-02-26T15:01:01', "
                                "'source': 'Morgue Wire', 'url': '', 'author': '', 'lang': 'en', "
                                "'body': 'short', 'categories': ['cocoa', '', "
                                "'Économie']}"));
    assert_non_null(strstr(out, "{'id': 'plain', 'title': 'Müller’s cocoa "));
    assert_non_null(strstr(out, "{'id': 'white', 'title': 'Müller’s cocoa "));
    char want[6400];
    snprintf(want, sizeof want,
             "{'id': 'long', 'title': 'Müller’s cocoa 東京', "
             "'date': '1987-02-26T15:01:01', 'source': 'Morgue Wire', 'url': '', 'author': '', "
             "'lang': 'en', 'body': '%s', 'categories': []}",
             body);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want,
             "{'id': 'long-data', 'title': 'Müller’s cocoa 東京', "
             "'date': '1987-02-26T15:01:01', 'source': 'Morgue Wire', 'url': '', 'author': '', "
             "'lang': 'en', 'body': '%s', 'categories': []}",
             body);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want,
             "{'id': 'long-white', 'title': 'Müller’s cocoa 東京', "
             "'date': '1987-02-26T15:01:01', 'source': 'Morgue Wire', 'url': '', 'author': '', "
             "'lang': 'en', 'body': '%s', 'categories': []}",
             body);
    assert_non_null(strstr(out, want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_replace_delete_commit),
        cmocka_unit_test(test_plain_add),
        cmocka_unit_test(test_xdoc_read_back),
        cmocka_unit_test(test_abandon_discards),
        cmocka_unit_test(test_batch_over_flush_threshold),
        cmocka_unit_test(test_get_value),
        cmocka_unit_test(test_each_term),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_compact_union),
        cmocka_unit_test(test_open_missing),
        cmocka_unit_test(test_locked),
        cmocka_unit_test(test_long_term),
        cmocka_unit_test(test_corrupt_at_start),
        cmocka_unit_test(test_corrupt_one_block),
        cmocka_unit_test(test_delve_reads_it),
        cmocka_unit_test(test_documented_record_format),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
