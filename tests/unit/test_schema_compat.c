/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Indexes written by schema 1 (the stored record in the document data, in
 * record versions 1, 2 or 3; some documents without the card slot) still
 * search, show snippets and answer get, and morgue-index updates them in
 * place: replaced and new documents get schema 2 (the record in value slot
 * 7), unchanged ones keep theirs, and both kinds read back. Indexes with
 * documents of schema 2 or older (no near-duplicate key, slot 8) fold
 * copies on the text hash of slot 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "docbuild.h"
#include "record.h"
#include "schema.h"
#include "search_fixture.h"
#include "xapian_shim.h"

static char dir[64];

typedef struct old_doc {
    char *id, *title, *body; /* string literals, never written */
    int version;             /* record version in the document data */
    bool card;               /* keep the card slot (older indexes may lack it) */
} old_doc;

static const old_doc olds[] = {
    {"old-1", "Cocoa harvest in Bahia", "The cocoa harvest in Bahia was late this year.",
     MG_RECORD_LZ4, true},
    {"old-2", "Cocoa prices", "Cocoa prices rose after the harvest reports.", MG_RECORD_PLAIN,
     false},
    {"old-3", "Coffee and cocoa", "Traders in coffee and cocoa waited for rain.",
     MG_RECORD_LZ4_WHITE, true},
};

static void fill(mg_record *r, const old_doc *o)
{
    mg_record_init(r);
    r->id = o->id;
    r->title = o->title;
    r->body = o->body;
    r->date = "1987-02-26";
    r->source = "Morgue Wire";
    r->url = r->author = r->lang = "";
}

/* A new database with its builder and a document to fill. */
typedef struct writer {
    mg_xdb *db;
    mg_docbuild *b;
    mg_xdoc *doc;
} writer;

static writer writer_open(const char *path)
{
    mg_err err;
    writer w = {mg_xdb_open(path, MG_XDB_CREATE, &err), mg_docbuild_new("english", &err),
                mg_xdoc_new(&err)};
    assert_non_null(w.db);
    assert_non_null(w.b);
    assert_non_null(w.doc);
    return w;
}

/* Record the language, commit and free. */
static void writer_close(writer *w)
{
    mg_err err;
    assert_int_equal(mg_xdb_set_metadata(w->db, MG_META_LANG, "english", &err), 0);
    mg_xdoc_free(w->doc);
    mg_docbuild_free(w->b);
    assert_int_equal(mg_xdb_close(w->db, &err), 0);
}

/* Write the documents as schema 1 did: morgue's terms and values, the record
 * in the document data and no slot 7. */
static void write_schema1(const char *path)
{
    mg_err err;
    writer w = writer_open(path);
    mg_xdb *db = w.db;
    mg_docbuild *b = w.b;
    mg_xdoc *doc = w.doc;
    for (size_t i = 0; i < sizeof olds / sizeof *olds; i++) {
        mg_record r;
        fill(&r, &olds[i]);
        char uid[MG_XDB_MAX_TERM + 1];
        mg_xdoc_clear(doc);
        assert_int_equal(mg_docbuild_build(b, &r, doc, uid, sizeof uid, NULL, &err), 0);
        unsigned char *data;
        size_t len;
        assert_int_equal(mg_record_encode_as(&r, olds[i].version, &data, &len, &err), 0);
        assert_int_equal(mg_xdoc_set_data(doc, data, len, &err), 0);
        free(data);
        assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_RECORD, NULL, 0, &err), 0);
        if (!olds[i].card)
            assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_CARD, NULL, 0, &err), 0);
        assert_int_equal(mg_xdb_replace(db, uid, doc, &err), 0);
    }
    assert_int_equal(mg_xdb_set_metadata(db, MG_META_VERSION, "1", &err), 0);
    writer_close(&w);
}

/* A search for cocoa with snippets finds want ids (in any order), each hit
 * with its title and a highlighted snippet; get of each gives its body. */
static void check_reads(const char *db, const char *const *want, size_t nwant)
{
    mg_searcher *s = fx_open(db);
    assert_non_null(s);
    for (int snippets = 0; snippets < 2; snippets++) {
        mg_search_request req = {
            .query = "cocoa", .limit = 10, .snippets = snippets, .hl_start = "[", .hl_end = "]"};
        mg_search_result *res = fx_search(s, &req);
        assert_int_equal(res->nhits, nwant);
        for (size_t i = 0; i < res->nhits; i++) {
            const mg_hit *h = &res->hits[i];
            bool known = false;
            for (size_t j = 0; j < nwant; j++)
                known |= strcmp(h->id, want[j]) == 0;
            assert_true(known);
            assert_non_null(strstr(h->title, "ocoa"));
            if (snippets)
                assert_non_null(strcasestr(h->snippet, "[cocoa]"));
            else
                assert_null(h->snippet);
        }
        mg_search_result_free(res);
    }
    for (size_t j = 0; j < nwant; j++) {
        mg_record rec;
        mg_record_init(&rec);
        mg_err err;
        assert_int_equal(mg_searcher_get(s, want[j], &rec, &err), 0);
        assert_string_equal(rec.id, want[j]);
        assert_non_null(strstr(rec.body, "ocoa"));
        mg_record_release(&rec);
    }
    mg_searcher_free(s);
}

static void test_schema1_index_reads(void **state)
{
    (void)state;
    char db[128];
    snprintf(db, sizeof db, "%s/v1", dir);
    write_schema1(db);
    static const char *const ids[] = {"old-1", "old-2", "old-3"};
    check_reads(db, ids, 3);
}

static void test_schema1_index_updates_in_place(void **state)
{
    (void)state;
    char db[128], input[128], cmd[1024];
    snprintf(db, sizeof db, "%s/up", dir);
    write_schema1(db);

    /* old-1 unchanged, old-2 changed, old-3 left out, new-4 added */
    snprintf(input, sizeof input, "%s/next.jsonl", dir);
    FILE *f = fopen(input, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"id\":\"old-1\",\"title\":\"%s\",\"body\":\"%s\",\"date\":\"1987-02-26\","
            "\"source\":\"Morgue Wire\"}\n",
            olds[0].title, olds[0].body);
    fprintf(f, "{\"id\":\"old-2\",\"title\":\"Cocoa prices fall\",\"body\":\"Cocoa fell.\"}\n");
    fprintf(f, "{\"id\":\"new-4\",\"title\":\"Cocoa shipments\",\"body\":\"Ships of cocoa.\"}\n");
    assert_int_equal(fclose(f), 0);
    const char *b = getenv("MORGUE_BUILD");
    snprintf(cmd, sizeof cmd, "'%s/morgue-index' --quiet --json-stats --db '%s' '%s' > '%s/stats'",
             b ? b : "build", db, input, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "grep -q '\"added\": *1' '%s/stats' && grep -q '\"replaced\": *1' '%s/stats' && "
             "grep -q '\"unchanged\": *1' '%s/stats'",
             dir, dir, dir);
    assert_int_equal(system(cmd), 0);

    static const char *const ids[] = {"old-1", "old-2", "old-3", "new-4"};
    check_reads(db, ids, 4);

    /* old-1 kept its schema-1 record, old-2 and new-4 have slot 7 */
    mg_err err;
    mg_xdb *x = mg_xdb_open(db, 0, &err);
    assert_non_null(x);
    char v[8];
    assert_int_equal(mg_xdb_get_value(x, "Qold-1", MG_SLOT_RECORD, v, sizeof v, &err), 0);
    assert_true(mg_xdb_get_value(x, "Qold-2", MG_SLOT_RECORD, v, sizeof v, &err) > 0);
    assert_int_equal(v[0], MG_RECORD_LZ4);
    assert_true(mg_xdb_get_value(x, "Qnew-4", MG_SLOT_RECORD, v, sizeof v, &err) > 0);
    mg_xdb_abandon(x);
}

/* Documents indexed before value slot 9 (MG_SLOT_ADDED) have none, and an
 * unchanged one keeps none through a --rebuild: it stays "there before any
 * watch ran" rather than turning new. Changed and new ones get the run's
 * time. */
static void test_no_added_slot_survives_rebuild(void **state)
{
    (void)state;
    char gen[128], db[128], input[128], cmd[1024];
    snprintf(gen, sizeof gen, "%s/rb.gens/g000001", dir);
    snprintf(db, sizeof db, "%s/rb", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/rb.gens' && ln -s rb.gens/g000001 '%s'", dir, db);
    assert_int_equal(system(cmd), 0);
    write_schema1(gen);

    snprintf(input, sizeof input, "%s/rb.jsonl", dir);
    FILE *f = fopen(input, "w");
    assert_non_null(f);
    for (int i = 0; i < 3; i++)
        fprintf(f,
                "{\"id\":\"%s\",\"title\":\"%s\",\"body\":\"%s%s\",\"date\":\"1987-02-26\","
                "\"source\":\"Morgue Wire\"}\n",
                olds[i].id, olds[i].title, olds[i].body, i == 1 ? " Revised." : "");
    fprintf(f, "{\"id\":\"new-4\",\"title\":\"Cocoa shipments\",\"body\":\"Ships of cocoa.\"}\n");
    assert_int_equal(fclose(f), 0);
    const char *b = getenv("MORGUE_BUILD");
    snprintf(cmd, sizeof cmd, "'%s/morgue-index' --quiet --rebuild --db '%s' '%s'", b ? b : "build",
             db, input);
    assert_int_equal(system(cmd), 0);

    mg_err err;
    mg_xdb *x = mg_xdb_open(db, 0, &err);
    assert_non_null(x);
    char v[16];
    assert_int_equal(mg_xdb_get_value(x, "Qold-1", MG_SLOT_ADDED, v, sizeof v, &err), 0);
    assert_int_equal(mg_xdb_get_value(x, "Qold-3", MG_SLOT_ADDED, v, sizeof v, &err), 0);
    assert_int_equal(mg_xdb_get_value(x, "Qold-2", MG_SLOT_ADDED, v, sizeof v, &err), 14);
    assert_int_equal(mg_xdb_get_value(x, "Qnew-4", MG_SLOT_ADDED, v, sizeof v, &err), 14);
    mg_xdb_abandon(x);
}

/* Three articles under one headline: cp-a, cp-b a word apart, cp-c the
 * same text as cp-a but for case and spacing. */
static char CP_BODY_A[] =
    "The Kingdom of Belgium is launching 100 mln Swiss francs of seven year notes with "
    "warrants attached to buy gold, lead manager Credit Suisse said. The notes have a coupon "
    "and are priced at par. Each franc note carries warrants. Two warrants are required to "
    "allow the holder to buy grammes of gold during the entire life of the bond.";
static char CP_BODY_B[] =
    "The Kingdom of Belgium is launching 100 mln Swiss francs of seven year notes with "
    "warrants attached to buy gold, lead mananger Credit Suisse said. The notes have a coupon "
    "and are priced at par. Each franc note carries warrants. Two warrants are required to "
    "allow the holder to buy grammes of gold during the entire life of the bond.";
static char CP_BODY_C[] =
    "the kingdom of belgium is launching 100 mln swiss francs of seven year notes with "
    "warrants attached to buy gold, lead manager credit suisse said.  The notes have a coupon "
    "and are priced at par. Each franc note carries warrants. Two warrants are required to "
    "allow the holder to buy grammes of gold during the entire life of the bond.";

/* Write cp-a, cp-b, cp-c; the first nold without a near-duplicate key, as
 * schema 2 wrote them. */
static void write_copies(const char *path, size_t nold)
{
    static char *const ids[] = {"cp-a", "cp-b", "cp-c"};
    static char *const bodies[] = {CP_BODY_A, CP_BODY_B, CP_BODY_C};
    mg_err err;
    writer w = writer_open(path);
    mg_xdb *db = w.db;
    mg_docbuild *b = w.b;
    mg_xdoc *doc = w.doc;
    for (size_t i = 0; i < 3; i++) {
        old_doc o = {ids[i], "BELGIUM LAUNCHES BONDS WITH GOLD WARRANTS", bodies[i], 0, true};
        mg_record r;
        fill(&r, &o);
        char uid[MG_XDB_MAX_TERM + 1];
        assert_int_equal(mg_docbuild_build(b, &r, doc, uid, sizeof uid, NULL, &err), 0);
        if (i < nold)
            assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_NEARDUP, NULL, 0, &err), 0);
        assert_int_equal(mg_xdb_replace(db, uid, doc, &err), 0);
    }
    writer_close(&w);
}

static int add_copy(void *ctx, const char *id)
{
    char *out = ctx;
    strcat(out, id);
    strcat(out, " ");
    return 0;
}

/* A search for warrants gives nhits hits, the first folding ncollapsed
 * copies; the copies of cp-a are want. */
static void check_folding(const char *db, size_t nhits, unsigned ncollapsed, const char *want)
{
    mg_searcher *s = fx_open(db);
    assert_non_null(s);
    mg_search_request req = {.query = "warrants", .limit = 10};
    mg_search_result *res = fx_search(s, &req);
    assert_int_equal(res->nhits, nhits);
    assert_int_equal(res->hits[0].collapsed, ncollapsed);
    mg_search_result_free(res);
    char got[64] = "";
    mg_err err;
    assert_int_equal(mg_searcher_copies(s, "cp-a", add_copy, got, &err), (long)(nhits == 1) + 1);
    assert_string_equal(got, want);
    assert_int_equal(mg_searcher_copies(s, "cp-none", add_copy, got, &err), -MG_ENOTFOUND);
    mg_searcher_free(s);
}

static void test_copies_fold_by_schema(void **state)
{
    (void)state;
    char db[128];
    /* schema 3: the three fold */
    snprintf(db, sizeof db, "%s/cp3", dir);
    write_copies(db, 0);
    check_folding(db, 1, 2, "cp-b cp-c ");
    /* schema 2, and an index a newer indexer updated: case and spacing only */
    snprintf(db, sizeof db, "%s/cp2", dir);
    write_copies(db, 3);
    check_folding(db, 2, 1, "cp-c ");
    snprintf(db, sizeof db, "%s/cp23", dir);
    write_copies(db, 1);
    check_folding(db, 2, 1, "cp-c ");
}

static int setup(void **state)
{
    (void)state;
    return fx_tmpdir(dir, sizeof dir, "compat");
}

static int teardown(void **state)
{
    (void)state;
    return fx_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema1_index_reads),
        cmocka_unit_test(test_schema1_index_updates_in_place),
        cmocka_unit_test(test_no_added_slot_survives_rebuild),
        cmocka_unit_test(test_copies_fold_by_schema),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
