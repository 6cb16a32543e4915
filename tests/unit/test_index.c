/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/index: the pipeline through its C API (the end-to-end
 * tests drive the morgue-index binary). */
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "docbuild.h"
#include "files_fixture.h"
#include "index.h"
#include "schema.h"
#include "xapian_shim.h"

typedef struct logbook {
    char *text; /* every message, one per line */
    size_t len, cap;
    int inside, overlapped, progress_calls;
    unsigned long long last_read;
    int read_went_back;
} logbook;

static void on_log(void *ctx, int level, const char *msg)
{
    logbook *lb = ctx;
    (void)level;
    if (lb->inside++)
        lb->overlapped = 1;
    size_t n = strlen(msg);
    if (lb->len + n + 2 > lb->cap) {
        lb->cap = (lb->len + n + 2) * 2;
        lb->text = realloc(lb->text, lb->cap);
    }
    memcpy(lb->text + lb->len, msg, n);
    lb->len += n;
    lb->text[lb->len++] = '\n';
    lb->text[lb->len] = '\0';
    lb->inside--;
}

static void on_progress(void *ctx, const mg_index_stats *st)
{
    logbook *lb = ctx;
    if (lb->inside++)
        lb->overlapped = 1;
    if (st->read < lb->last_read)
        lb->read_went_back = 1;
    lb->last_read = st->read;
    lb->progress_calls++;
    lb->inside--;
}

typedef struct fixture {
    char dir[64];
    char db[128];
    char in[128];
    logbook lb;
    bool default_max_delete;     /* run with the default --max-delete */
    volatile sig_atomic_t *stop; /* mg_index_opts.stop */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/mg-index-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->db, sizeof f->db, "%s/db", f->dir);
    snprintf(f->in, sizeof f->in, "%s/in.jsonl", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f->lb.text);
    free(f);
    return 0;
}

/* n records "id-K" (K from first), with `version` in their body. */
static void write_input(const char *path, int first, int n, int version, const char *mode)
{
    FILE *fp = fopen(path, mode);
    assert_non_null(fp);
    for (int k = first; k < first + n; k++)
        fprintf(fp, "{\"id\":\"id-%d\",\"title\":\"Story %d\",\"body\":\"Text v%d of item %d.\"}\n",
                k, k % 97, version, k);
    assert_int_equal(fclose(fp), 0);
}

static int run_opts(fixture *f, unsigned threads, bool rebuild, bool delete_missing, bool compact,
                    mg_index_stats *st, mg_err *err)
{
    const char *inputs[] = {f->in};
    mg_index_opts o = {0};
    o.compact = compact;
    o.db = f->db;
    o.threads = threads;
    o.batch = 250;
    o.rebuild = rebuild;
    o.delete_missing = delete_missing;
    /* Most tests delete large shares: allow it, unless a test checks the
     * default guard. */
    o.max_delete_set = !f->default_max_delete;
    o.max_delete_pct = 100;
    o.inputs = inputs;
    o.ninputs = 1;
    o.log = on_log;
    o.progress = on_progress;
    o.ctx = &f->lb;
    o.stop = f->stop;
    f->lb.len = 0;
    if (f->lb.text)
        f->lb.text[0] = '\0';
    f->lb.last_read = 0;
    return mg_index_run(&o, st, err);
}

static int run(fixture *f, unsigned threads, bool rebuild, bool delete_missing, mg_index_stats *st,
               mg_err *err)
{
    return run_opts(f, threads, rebuild, delete_missing, false, st, err);
}

static void test_first_index_update_delete(void **state)
{
    fixture *f = *state;
    mg_index_stats st;
    mg_err e;
    write_input(f->in, 0, 1000, 1, "w");
    assert_int_equal(run(f, 3, false, false, &st, &e), 0);
    assert_int_equal(st.mode, MG_INDEX_REBUILD);
    assert_int_equal(st.added, 1000);
    assert_int_equal(st.documents, 1000);
    assert_int_equal(st.read, 1000);
    assert_true(st.committed);
    assert_string_equal(st.lang, "english");
    assert_non_null(strstr(st.generation, "/db.gens/g000001"));
    assert_true(st.index_bytes > 0);
    struct stat sb;
    assert_int_equal(lstat(f->db, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));

    /* Same input: nothing changes. */
    assert_int_equal(run(f, 2, false, false, &st, &e), 0);
    assert_int_equal(st.mode, MG_INDEX_UPDATE);
    assert_int_equal(st.unchanged, 1000);
    assert_int_equal(st.added + st.replaced + st.deleted, 0);
    assert_false(st.committed);

    /* 100 changed, 50 new; then a subset with --delete-missing. */
    write_input(f->in, 0, 900, 1, "w");
    write_input(f->in, 900, 150, 2, "a");
    assert_int_equal(run(f, 2, false, false, &st, &e), 0);
    assert_int_equal(st.unchanged, 900);
    assert_int_equal(st.replaced, 100);
    assert_int_equal(st.added, 50);
    assert_int_equal(st.documents, 1050);
    assert_true(st.committed);

    write_input(f->in, 100, 500, 1, "w");
    assert_int_equal(run(f, 1, false, true, &st, &e), 0);
    assert_int_equal(st.deleted, 550);
    assert_int_equal(st.documents, 500);
    assert_int_equal(f->lb.overlapped, 0);
    assert_int_equal(f->lb.read_went_back, 0);
}

/* The default --max-delete (10%): a --delete-missing run over it is refused
 * and changes nothing, not even its additions; at the limit it runs. */
static void test_max_delete_default(void **state)
{
    fixture *f = *state;
    mg_index_stats st;
    mg_err e;
    write_input(f->in, 0, 1000, 1, "w");
    assert_int_equal(run(f, 2, false, false, &st, &e), 0);
    f->default_max_delete = true;
    /* 899 kept, 101 missing, 1 new: 101 of 1001 is over 10% */
    write_input(f->in, 0, 899, 1, "w");
    write_input(f->in, 5000, 1, 1, "a");
    assert_int_equal(run(f, 2, false, true, &st, &e), -MG_EINVAL);
    assert_true(st.refused);
    assert_false(st.committed);
    assert_int_equal(st.added + st.deleted, 0);
    assert_int_equal(st.documents, 1000);
    assert_non_null(strstr(e.msg, "--delete-missing would delete 101 documents"));
    /* 100 missing of 1001: at the limit */
    write_input(f->in, 0, 900, 1, "w");
    write_input(f->in, 5000, 1, 1, "a");
    assert_int_equal(run(f, 2, false, true, &st, &e), 0);
    assert_int_equal(st.deleted, 100);
    assert_int_equal(st.added, 1);
    assert_int_equal(st.documents, 901);
}

/* The stop request belongs to the run it is passed to: a run whose flag is
 * set stops as an interruption and publishes nothing, and the next run, with
 * its own flag clear, is not stopped by it. */
static void test_stop_per_run(void **state)
{
    fixture *f = *state;
    mg_index_stats st;
    mg_err e;
    volatile sig_atomic_t stopped = 1, going = 0;
    write_input(f->in, 0, 300, 1, "w");
    f->stop = &stopped;
    assert_int_equal(run(f, 2, false, false, &st, &e), -MG_EIO);
    assert_true(st.interrupted);
    assert_false(st.committed);
    assert_int_equal(st.read, 0);
    assert_non_null(strstr(e.msg, "interrupted"));
    struct stat sb;
    assert_int_equal(lstat(f->db, &sb), -1);
    f->stop = &going;
    assert_int_equal(run(f, 2, false, false, &st, &e), 0);
    assert_false(st.interrupted);
    assert_int_equal(st.added, 300);
    /* An update stopped before reading changes nothing. */
    write_input(f->in, 0, 300, 2, "w");
    f->stop = &stopped;
    assert_int_equal(run(f, 2, false, false, &st, &e), -MG_EIO);
    assert_true(st.interrupted);
    assert_false(st.committed);
    assert_int_equal(st.replaced, 0);
    assert_int_equal(st.documents, 300);
    f->stop = NULL;
    assert_int_equal(run(f, 2, false, false, &st, &e), 0);
    assert_int_equal(st.replaced, 300);
}

/* --compact through the library: skipped while the index is compact,
 * otherwise a new generation holding the same documents, in less space. */
static void test_compact(void **state)
{
    fixture *f = *state;
    mg_index_stats st;
    mg_err e;
    write_input(f->in, 0, 3000, 1, "w");
    assert_int_equal(run_opts(f, 2, false, false, true, &st, &e), 0);
    assert_int_equal(st.mode, MG_INDEX_REBUILD);
    assert_int_equal(st.compaction, MG_COMPACTION_NOT_NEEDED); /* a first index is compact */
    assert_non_null(strstr(st.generation, "/db.gens/g000001"));
    unsigned long long compact_size = st.index_bytes;

    /* Nothing committed since: nothing to do. */
    assert_int_equal(run_opts(f, 2, false, false, true, &st, &e), 0);
    assert_int_equal(st.compaction, MG_COMPACTION_NOT_NEEDED);
    assert_false(st.committed);
    assert_non_null(strstr(st.generation, "/db.gens/g000001"));

    /* An update touching every 3rd document, compacted afterwards. */
    write_input(f->in, 0, 3000, 1, "w");
    for (int k = 0; k < 3000; k += 3)
        write_input(f->in, k, 1, 2, "a");
    assert_int_equal(run_opts(f, 2, false, true, true, &st, &e), 0);
    assert_int_equal(st.mode, MG_INDEX_UPDATE);
    assert_int_equal(st.replaced, 1000);
    assert_int_equal(st.compaction, MG_COMPACTION_DONE);
    assert_true(st.committed);
    assert_int_equal(st.documents, 3000);
    assert_non_null(strstr(st.generation, "/db.gens/g000002"));
    assert_true(st.compact_from_bytes > st.index_bytes);
    assert_true(st.index_bytes < compact_size * 3 / 2);
    assert_true(st.compact_s >= 0 && st.compact_s <= st.elapsed_s);
    assert_int_equal(f->lb.overlapped, 0);
    char gens[160];
    snprintf(gens, sizeof gens, "%s/db.gens/g000001", f->dir);
    struct stat sb;
    assert_int_equal(stat(gens, &sb), -1); /* the one compacted from goes */

    /* The compacted generation is an ordinary one: updates go on in it. */
    write_input(f->in, 0, 3001, 1, "w");
    assert_int_equal(run_opts(f, 2, false, false, false, &st, &e), 0);
    assert_int_equal(st.added, 1);
    assert_int_equal(st.compaction, MG_COMPACTION_NONE);
    assert_non_null(strstr(st.generation, "/db.gens/g000002"));

    /* With a rebuild it adds nothing. */
    assert_int_equal(run_opts(f, 2, true, false, true, &st, &e), 0);
    assert_int_equal(st.mode, MG_INDEX_REBUILD);
    assert_int_equal(st.compaction, MG_COMPACTION_NOT_NEEDED);
    assert_non_null(strstr(st.generation, "/db.gens/g000003"));
    assert_int_equal(stat(gens, &sb), -1); /* two generations at most */
}

static void test_duplicates_and_threads(void **state)
{
    fixture *f = *state;
    mg_index_stats st;
    mg_err e;
    /* 3000 records, then 200 of them again: the later ones win. */
    write_input(f->in, 0, 3000, 1, "w");
    write_input(f->in, 1000, 200, 2, "a");
    assert_int_equal(run(f, 4, false, false, &st, &e), 0);
    assert_int_equal(st.documents, 3000);
    assert_int_equal(st.added, 3000);
    assert_int_equal(st.warnings, 200);
    char want[512];
    snprintf(want, sizeof want,
             "%s:3001: duplicate id \"id-1000\" (first seen at %s:1001); the later record wins\n",
             f->in, f->in);
    assert_non_null(f->lb.text);
    assert_memory_equal(f->lb.text, want, strlen(want));
    /* A re-run as an update finds the later versions stored: the first
     * copies differ (replaced), the second copies put the stored one back. */
    assert_int_equal(run(f, 2, false, false, &st, &e), 0);
    assert_int_equal(st.unchanged, 2800 + 0);
    assert_int_equal(st.replaced, 400);
    assert_int_equal(st.documents, 3000);
}

static void test_usage_errors(void **state)
{
    fixture *f = *state;
    mg_index_stats st;
    mg_err e;
    write_input(f->in, 0, 10, 1, "w");
    const char *inputs[] = {f->in};
    mg_index_opts o = {0};
    o.db = f->db;
    o.inputs = inputs;
    o.ninputs = 0;
    assert_true(mg_index_run(&o, &st, &e) < 0);
    assert_true(st.usage_error);
    o.ninputs = 1;
    o.threads = 100000;
    assert_true(mg_index_run(&o, &st, &e) < 0);
    assert_true(st.usage_error);
    o.threads = 1;
    o.lang = "klingon";
    o.log = on_log;
    o.ctx = &f->lb;
    assert_true(mg_index_run(&o, &st, &e) < 0);
    assert_true(st.usage_error);
    assert_non_null(strstr(f->lb.text, "valid languages: "));
    assert_non_null(strstr(f->lb.text, " english "));
    struct stat sb;
    assert_int_equal(lstat(f->db, &sb), -1); /* nothing created */

    /* A missing input is fatal, not a usage error, and changes nothing. */
    o.lang = NULL;
    inputs[0] = "/nonexistent/input.jsonl";
    assert_true(mg_index_run(&o, &st, &e) < 0);
    assert_false(st.usage_error);
    assert_non_null(strstr(e.msg, "cannot read /nonexistent/input.jsonl"));
    assert_int_equal(lstat(f->db, &sb), -1);
}

static void test_locked(void **state)
{
    fixture *f = *state;
    mg_index_stats st;
    mg_err e;
    write_input(f->in, 0, 10, 1, "w");
    char lock[160];
    snprintf(lock, sizeof lock, "%s.lock", f->db);
    int fd = open(lock, O_RDWR | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    assert_int_equal(pwrite(fd, "4242\n", 5, 0), 5);
    assert_int_equal(run(f, 1, false, false, &st, &e), -MG_ELOCKED);
    assert_non_null(strstr(e.msg, "is locked by another indexer (pid 4242"));
    struct stat sb;
    assert_int_equal(lstat(f->db, &sb), -1);
    close(fd);
    assert_int_equal(run(f, 1, false, false, &st, &e), 0);
    assert_int_equal(st.documents, 10);
}

/* A headline alone (no body) of the given day, as JSON Lines, appended. */
static void write_headline(const char *path, const char *id, const char *date)
{
    FILE *fp = fopen(path, "a");
    assert_non_null(fp);
    fprintf(fp,
            "{\"id\":\"%s\",\"title\":\"FED SETS TWO BILLION DLR CUSTOMER REPURCHASE\","
            "\"date\":\"%s\"}\n",
            id, date);
    assert_int_equal(fclose(fp), 0);
}

/* The index's metadata key: "" when unset. */
static void get_meta(const fixture *f, const char *key, char *out, size_t cap)
{
    mg_err e;
    mg_xdb *db = mg_xdb_open(f->db, 0, &e);
    assert_non_null(db);
    assert_true(mg_xdb_get_metadata(db, key, out, cap, &e) >= 0);
    assert_int_equal(mg_xdb_close(db, &e), 0);
}

static void set_meta(const fixture *f, const char *key, const char *value)
{
    mg_err e;
    mg_xdb *db = mg_xdb_open(f->db, 0, &e);
    assert_non_null(db);
    assert_int_equal(mg_xdb_set_metadata(db, key, value, &e), 0);
    assert_int_equal(mg_xdb_close(db, &e), 0);
}

/* Whether the stored near-duplicate key of the article id is that of
 * mg_docbuild_dupkey() version `version` for the headline of write_headline(). */
static bool key_is(const fixture *f, const char *id, const char *date, int version)
{
    mg_err e;
    mg_xdb *db = mg_xdb_open(f->db, 0, &e);
    assert_non_null(db);
    char uid[64];
    snprintf(uid, sizeof uid, "Q%s", id);
    unsigned char got[8], want[8];
    assert_int_equal(mg_xdb_get_value(db, uid, MG_SLOT_NEARDUP, got, sizeof got, &e), 8);
    assert_int_equal(mg_xdb_close(db, &e), 0);
    mg_u64_to_bytes(
        mg_docbuild_dupkey("FED SETS TWO BILLION DLR CUSTOMER REPURCHASE", "", date, version),
        want);
    return memcmp(got, want, 8) == 0;
}

/* The near-duplicate key's version: a new index or a rebuild writes
 * MG_DUPKEY_VERSION and records it (MG_META_DUPKEY); an update writes the
 * version its index records, 1 when it records none (an index built before
 * versions were recorded), so copies indexed before and after it still
 * fold; a version this tree does not write is refused with nothing changed. */
static void test_dupkey_version(void **state)
{
    fixture *f = *state;
    mg_index_stats st;
    mg_err e;
    char v[16];
    assert_int_equal(MG_DUPKEY_VERSION, 2);
    /* the keys of the two versions differ for these (a headline's day) */
    assert_false(mg_docbuild_dupkey("T", "", "1987-03-11", 1) ==
                 mg_docbuild_dupkey("T", "", "1987-03-11", 2));
    write_headline(f->in, "h-1", "1987-03-11T11:42:36");
    assert_int_equal(run(f, 1, false, false, &st, &e), 0);
    get_meta(f, MG_META_DUPKEY, v, sizeof v);
    assert_string_equal(v, "2");
    assert_true(key_is(f, "h-1", "1987-03-11T11:42:36", 2));

    /* an index of before: no version recorded, keys of version 1 */
    set_meta(f, MG_META_DUPKEY, "");
    write_headline(f->in, "h-2", "1987-03-30T11:42:00");
    assert_int_equal(run(f, 2, false, false, &st, &e), 0);
    assert_int_equal(st.added, 1);
    assert_true(key_is(f, "h-2", "1987-03-30T11:42:00", 1));
    get_meta(f, MG_META_DUPKEY, v, sizeof v);
    assert_string_equal(v, "1");

    /* a rebuild writes the current version for every article */
    assert_int_equal(run(f, 2, true, false, &st, &e), 0);
    assert_true(key_is(f, "h-1", "1987-03-11T11:42:36", 2));
    assert_true(key_is(f, "h-2", "1987-03-30T11:42:00", 2));
    get_meta(f, MG_META_DUPKEY, v, sizeof v);
    assert_string_equal(v, "2");

    /* a version from a newer tree: refused, nothing written */
    set_meta(f, MG_META_DUPKEY, "3");
    write_headline(f->in, "h-3", "1987-04-01T11:42:00");
    assert_true(run(f, 1, false, false, &st, &e) < 0);
    assert_true(st.usage_error);
    assert_non_null(strstr(e.msg, "near-duplicate keys of version \"3\""));
    assert_non_null(strstr(e.msg, "--rebuild"));
    mg_xdb *db = mg_xdb_open(f->db, 0, &e);
    assert_non_null(db);
    unsigned char got[8];
    assert_int_equal(mg_xdb_get_value(db, "Qh-3", MG_SLOT_NEARDUP, got, sizeof got, &e),
                     -MG_ENOTFOUND);
    assert_int_equal(mg_xdb_close(db, &e), 0);
}

/* Whether the index holds the article id. */
static bool has_doc(const fixture *f, const char *id)
{
    mg_err e;
    mg_xdb *db = mg_xdb_open(f->db, 0, &e);
    assert_non_null(db);
    char uid[64], v[64];
    snprintf(uid, sizeof uid, "Q%s", id);
    long n = mg_xdb_get_value(db, uid, MG_SLOT_ID, v, sizeof v, &e);
    assert_true(n >= 0 || n == -MG_ENOTFOUND);
    assert_int_equal(mg_xdb_close(db, &e), 0);
    return n >= 0;
}

/* An update with --delete-ids: the list as given (ids, or NULL for none). */
static int run_delete_ids(fixture *f, const char *list, bool with_input, bool dry_run,
                          mg_index_stats *st, mg_err *err)
{
    const char *inputs[] = {f->in};
    mg_index_opts o = {0};
    o.db = f->db;
    o.threads = 2;
    o.inputs = inputs;
    o.ninputs = with_input ? 1 : 0;
    o.delete_ids = list;
    o.dry_run = dry_run;
    o.log = on_log;
    o.ctx = &f->lb;
    f->lb.len = 0;
    if (f->lb.text)
        f->lb.text[0] = '\0';
    return mg_index_run(&o, st, err);
}

/* --delete-ids: the listed articles the index holds go, after the inputs
 * (an input that adds a listed id does not keep it), in the run's last
 * commit; comments, blank lines, white space and repeats in the list are
 * fine, and ids the index lacks are told. A list over --max-delete, a
 * list with a bad line, or a run whose input could not be read to its
 * end deletes nothing; a dry run counts and deletes nothing. */
static void test_delete_ids(void **state)
{
    fixture *f = *state;
    mg_index_stats st;
    mg_err e;
    char list[160], bad[160];
    snprintf(list, sizeof list, "%s/ids.txt", f->dir);
    snprintf(bad, sizeof bad, "%s/bad.txt", f->dir);
    write_input(f->in, 0, 30, 1, "w");
    assert_int_equal(run(f, 2, false, false, &st, &e), 0);
    assert_int_equal(st.documents, 30);

    /* a dry run: counted, not done */
    write_text(list, "id-1\n# a takedown\n\n  id-3 \t\r\nid-99\nid-1\n");
    assert_int_equal(run_delete_ids(f, list, false, true, &st, &e), 0);
    assert_int_equal(st.deleted, 2);
    assert_true(has_doc(f, "id-1") && has_doc(f, "id-3"));

    assert_int_equal(run_delete_ids(f, list, false, false, &st, &e), 0);
    assert_int_equal(st.deleted, 2);
    assert_int_equal(st.documents, 28);
    assert_false(has_doc(f, "id-1") || has_doc(f, "id-3"));
    assert_true(has_doc(f, "id-2"));
    assert_non_null(strstr(f->lb.text, "1 of the 3 ids are not in the index"));

    /* after the inputs: the input brings id-1 back and changes id-4, the
     * list takes id-1 and id-4 away */
    write_input(f->in, 1, 4, 2, "w");
    write_text(list, "id-1\nid-4\n");
    assert_int_equal(run_delete_ids(f, list, true, false, &st, &e), 0);
    assert_int_equal(st.added, 2);    /* id-1, id-3 */
    assert_int_equal(st.replaced, 2); /* id-2, id-4 */
    assert_int_equal(st.deleted, 2);
    assert_false(has_doc(f, "id-1") || has_doc(f, "id-4"));
    assert_true(has_doc(f, "id-3") && has_doc(f, "id-2"));
    assert_int_equal(st.documents, 28);

    /* over the default --max-delete (10% of 28: 2): refused, nothing changed */
    write_text(list, "id-5\nid-6\nid-7\n");
    f->default_max_delete = true;
    assert_true(run_delete_ids(f, list, false, false, &st, &e) < 0);
    assert_true(st.refused);
    assert_non_null(strstr(e.msg, "refusing: --delete-ids would delete 3 documents"));
    assert_non_null(strstr(e.msg, "nothing was changed"));
    assert_true(has_doc(f, "id-5") && has_doc(f, "id-6") && has_doc(f, "id-7"));
    assert_int_equal(st.documents, 28);

    /* an input cut inside its last record: the list is not applied */
    write_text(list, "id-5\n");
    write_text(f->in, "{\"id\":\"id-50\",\"title\":\"New\",\"body\":\"Text.\"}\n"
                      "{\"id\":\"id-51\",\"ti");
    assert_true(run_delete_ids(f, list, true, false, &st, &e) < 0);
    assert_true(st.input_failed);
    assert_non_null(strstr(f->lb.text, "not deleting the ids of --delete-ids"));
    assert_true(has_doc(f, "id-5"));

    /* a bad line names itself; nothing is read or changed */
    write_text(bad, "id-5\n\xff\xfe\n");
    assert_true(run_delete_ids(f, bad, false, false, &st, &e) < 0);
    assert_true(st.usage_error);
    assert_non_null(strstr(e.msg, "bad.txt:2: not an id (invalid UTF-8)"));
    assert_true(has_doc(f, "id-5"));
    /* a NUL byte is valid UTF-8: the message says what is wrong */
    FILE *fp = fopen(bad, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite("id-5\nid\0-6\n", 1, 10, fp), 10);
    assert_int_equal(fclose(fp), 0);
    assert_true(run_delete_ids(f, bad, false, false, &st, &e) < 0);
    assert_true(st.usage_error);
    assert_non_null(strstr(e.msg, "bad.txt:2: not an id (a NUL byte)"));
    /* a missing list is fatal, not a usage error */
    assert_true(run_delete_ids(f, "/nonexistent/ids.txt", false, false, &st, &e) < 0);
    assert_false(st.usage_error);
    assert_non_null(strstr(e.msg, "cannot read /nonexistent/ids.txt"));
}

/* --delete-ids is an update's: not with a rebuild, --delete-missing or
 * --shard, nor for an index that does not exist yet. */
static void test_delete_ids_usage(void **state)
{
    fixture *f = *state;
    mg_index_stats st;
    mg_err e;
    char list[160];
    snprintf(list, sizeof list, "%s/ids.txt", f->dir);
    write_text(list, "id-1\n");
    write_input(f->in, 0, 5, 1, "w");
    assert_true(run_delete_ids(f, list, true, false, &st, &e) < 0);
    assert_true(st.usage_error);
    assert_non_null(strstr(e.msg, "is not an index yet"));
    struct stat sb;
    assert_int_equal(lstat(f->db, &sb), -1); /* nothing created */
    assert_int_equal(run(f, 1, false, false, &st, &e), 0);
    const char *inputs[] = {f->in};
    mg_index_opts o = {0};
    o.db = f->db;
    o.inputs = inputs;
    o.ninputs = 1;
    o.delete_ids = list;
    o.rebuild = true;
    assert_true(mg_index_run(&o, &st, &e) < 0);
    assert_true(st.usage_error);
    assert_non_null(strstr(e.msg, "not with --rebuild"));
    o.rebuild = false;
    o.delete_missing = true;
    assert_true(mg_index_run(&o, &st, &e) < 0);
    assert_non_null(strstr(e.msg, "not with --delete-missing"));
    assert_true(has_doc(f, "id-1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_index_update_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_delete_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_per_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_and_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dupkey_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_ids_usage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
