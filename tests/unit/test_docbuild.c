/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/docbuild: the exact terms, wdf, positions, values and
 * data of an article's document, read back from a real database through
 * xapian-delve (the tool an operator would use). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "docbuild.h"
#include "record.h"
#include "schema.h"
#include "xapian_shim.h"

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    assert_non_null(p);
    return p;
}

static void fill(mg_record *r, const char *id, const char *title, const char *body)
{
    mg_record_init(r);
    r->id = xstrdup(id);
    r->title = xstrdup(title);
    r->body = xstrdup(body);
    r->date = xstrdup("2011-01-02T03:04:05");
    r->source = xstrdup("Reuters");
    r->url = xstrdup("http://example.com/a");
    r->author = xstrdup("Jane  DOE");
    r->lang = xstrdup("EN");
    r->ncategories = 2;
    r->categories = calloc(2, sizeof *r->categories);
    assert_non_null(r->categories);
    r->categories[0] = xstrdup("Politics");
    r->categories[1] = xstrdup("Asia");
}

/* Run a shell command and return its whole output (caller frees). */
static char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
    }
    out[len] = '\0';
    assert_int_equal(pclose(p), 0);
    return out;
}

typedef struct fixture {
    char dir[64];
    mg_docbuild *b;
    mg_xdoc *doc;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/mg-docbuild-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    mg_err e;
    f->b = mg_docbuild_new("english", &e);
    f->doc = mg_xdoc_new(&e);
    if (!f->b || !f->doc)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char *out = run("rm -rf '%s'", f->dir);
    free(out);
    mg_docbuild_free(f->b);
    mg_xdoc_free(f->doc);
    free(f);
    return 0;
}

/* Build r into a fresh database "NAME" under the fixture's directory. */
static void write_db(fixture *f, const char *name, const mg_record *r, char *uid, uint64_t *hash)
{
    mg_err e;
    char path[128];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    assert_int_equal(mg_docbuild_build(f->b, r, f->doc, uid, MG_XDB_MAX_TERM + 1, hash, &e), 0);
    mg_xdb *db = mg_xdb_open(path, MG_XDB_CREATE, &e);
    assert_non_null(db);
    assert_int_equal(mg_xdb_replace(db, uid, f->doc, &e), 0);
    assert_int_equal(mg_xdb_close(db, &e), 0);
}

static void check_positions(const fixture *f, const char *name, const char *term, const char *want)
{
    char *out = run("xapian-delve -r 1 -t '%s' '%s/%s'", term, f->dir, name);
    const char *colon = strrchr(out, ':');
    assert_non_null(colon);
    char *nl = strchr(colon, '\n');
    if (nl)
        *nl = '\0';
    assert_string_equal(colon + 2, want);
    free(out);
}

static void check_value(const fixture *f, const char *name, unsigned slot, const void *want,
                        size_t want_len)
{
    char *out = run("xapian-delve -r 1 -VR%u '%s/%s'", slot, f->dir, name);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "Value %u for record #1: ", slot);
    assert_memory_equal(out, prefix, strlen(prefix));
    const char *v = out + strlen(prefix);
    /* The value is followed by a newline, then the term list. */
    assert_true(strlen(v) >= want_len + 1);
    assert_memory_equal(v, want, want_len);
    assert_int_equal(v[want_len], '\n');
    free(out);
}

static void test_terms_wdf_positions(void **state)
{
    fixture *f = *state;
    mg_record r;
    fill(&r, "t-1", "Kim Jong-un visits", "Kim Jong-un met officials, officials said.");
    char uid[MG_XDB_MAX_TERM + 1];
    uint64_t hash = 0;
    write_db(f, "a", &r, uid, &hash);
    assert_string_equal(uid, "Qt-1");
    assert_int_equal(hash, mg_record_hash(&r));

    /* No document data (the record is value slot 7, which glass never
     * deflates); xapian-delve -d prints an empty line for it. */
    char *out = run("xapian-delve -r 1 -d '%s/a'", f->dir);
    assert_non_null(strstr(out, "Data for record #1:\n\nTerm List"));
    free(out);

    /* Every term with its wdf (and termfreq 1): nothing more, nothing less;
     * the near-duplicate key's term holds slot 8 in hex. */
    unsigned char key[8];
    mg_u64_to_bytes(mg_docbuild_dupkey(r.title, r.body, r.date, MG_DUPKEY_VERSION), key);
    char dup[MG_DUP_TERM_LEN + 1], want[1024];
    mg_dup_term(key, dup);
    assert_int_equal(strlen(dup), 18);
    snprintf(want, sizeof want,
             "Term List for record #1 (wdf, termfreq):\n"
             "Ajane doe 0 1\n"
             "D20110102 0 1\n"
             "Kasia 0 1\n"
             "Kpolitics 0 1\n"
             "Len 0 1\n"
             "M201101 0 1\n"
             "Qt-1 0 1\n"
             "Sjong 1 1\n"
             "Skim 1 1\n"
             "Sun 1 1\n"
             "Svisit 1 1\n"
             "Uhttp://example.com/a 0 1\n"
             "%s 0 1\n"
             "XSreuters 0 1\n"
             "Y2011 0 1\n"
             "jong 4 1\n"
             "kim 4 1\n"
             "met 1 1\n"
             "offici 2 1\n"
             "said 1 1\n"
             "un 4 1\n"
             "visit 3 1\n",
             dup);
    out = run("xapian-delve -r 1 -v -1 '%s/a'", f->dir);
    assert_string_equal(out, want);
    free(out);

    /* Title from 1; body from the last title position + MG_BODY_POS_GAP. */
    assert_int_equal(MG_BODY_POS_GAP, 100);
    check_positions(f, "a", "kim", "1 104");
    check_positions(f, "a", "jong", "2 105");
    check_positions(f, "a", "un", "3 106");
    check_positions(f, "a", "visit", "4");
    check_positions(f, "a", "met", "107");
    check_positions(f, "a", "offici", "108 109");
    check_positions(f, "a", "said", "110");
    check_positions(f, "a", "Skim", "1");
    check_positions(f, "a", "Svisit", "4");
    mg_record_release(&r);
}

static void test_values_and_data(void **state)
{
    fixture *f = *state;
    mg_record r;
    fill(&r, "t-2", "Markets", "Shares rose.");
    char uid[MG_XDB_MAX_TERM + 1];
    write_db(f, "b", &r, uid, NULL);

    check_value(f, "b", MG_SLOT_DATE, "20110102030405", 14);
    check_value(f, "b", MG_SLOT_SOURCE, "Reuters", 7);
    check_value(f, "b", MG_SLOT_CATS,
                "Politics\x1f"
                "Asia",
                13);
    check_value(f, "b", MG_SLOT_ID, "t-2", 3);
    unsigned char h8[8];
    mg_u64_to_bytes(mg_record_hash(&r), h8);
    check_value(f, "b", MG_SLOT_HASH, h8, 8);
    mg_u64_to_bytes(mg_record_text_hash(&r), h8);
    check_value(f, "b", MG_SLOT_COLLAPSE, h8, 8);
    mg_u64_to_bytes(mg_docbuild_dupkey(r.title, r.body, r.date, MG_DUPKEY_VERSION), h8);
    check_value(f, "b", MG_SLOT_NEARDUP, h8, 8);

    /* The data decodes back to the record. */
    mg_err e;
    char path[128];
    snprintf(path, sizeof path, "%s/b", f->dir);
    mg_xdb *db = mg_xdb_open(path, 0, &e);
    assert_non_null(db);
    void *data = NULL;
    size_t len = 0;
    assert_int_equal(mg_xdb_get_record(db, "Qt-2", &data, &len, &e), 0);
    /* schema 2: it is value slot 7, LZ4 (version 1), not the document data */
    static unsigned char slot7[4096];
    assert_int_equal(mg_xdb_get_value(db, "Qt-2", MG_SLOT_RECORD, slot7, sizeof slot7, &e),
                     (long)len);
    assert_memory_equal(slot7, data, len);
    assert_int_equal(slot7[0], MG_RECORD_LZ4);
    mg_xdb_abandon(db);
    mg_record back;
    mg_record_init(&back);
    assert_int_equal(mg_record_decode(data, len, &back, &e), 0);
    free(data);
    assert_string_equal(back.id, "t-2");
    assert_string_equal(back.title, "Markets");
    assert_string_equal(back.body, "Shares rose.");
    assert_string_equal(back.date, "2011-01-02T03:04:05");
    assert_string_equal(back.author, "Jane  DOE");
    assert_int_equal(back.ncategories, 2);
    assert_string_equal(back.categories[1], "Asia");
    assert_int_equal(mg_record_hash(&back), mg_record_hash(&r));
    mg_record_release(&back);
    mg_record_release(&r);
}

/* Two wire copies of reuters-15471/15481 (Reuters-21578): a typo fixed,
 * a comma added and the signature in another case. */
static const char COPY_A[] =
    "The Kingdom of Belgium is launching 100\nmln Swiss francs of seven year notes with "
    "warrants attached to\nbuy gold, lead mananger Credit Suisse said.\n    The notes "
    "themselves have a 3-3/8 pct coupon and are priced\nat par. Payment is due April 30, 1987 "
    "and final maturity April\n30, 1994.\n    Each 50,000 franc note carries 15 warrants. "
    "Two warrants\nare required to allow the holder to buy 100 grammes of gold at\na price of "
    "2,450 francs, during the entire life of the bond.\n    The latest gold price in Zurich "
    "was 2,045/2,070 francs per\n100 grammes.\n REUTER";
static const char COPY_B[] =
    "The Kingdom of Belgium is launching 100\nmln Swiss francs of seven year notes with "
    "warrants attached to\nbuy gold, lead manager Credit Suisse said.\n    The notes "
    "themselves have a 3-3/8 pct coupon and are priced\nat par. Payment is due April 30, "
    "1987, and final maturity April\n30, 1994.\n    Each 50,000 franc note carries 15 "
    "warrants. Two warrants\nare required to allow the holder to buy 100 grammes of gold "
    "at\na price of 2,450 francs, during the entire life of the bond.\n    The latest gold "
    "price in Zurich was 2,045/2,070 francs per\n100 grammes.\n Reuter";
static const char COPY_TITLE[] = "BELGIUM LAUNCHES BONDS WITH GOLD WARRANTS";

/* The key of an undated article, as the current version computes it. */
#define KEY(title, body) mg_docbuild_dupkey((title), (body), NULL, MG_DUPKEY_VERSION)

static void test_dupkey_folds_copies(void **state)
{
    (void)state;
    uint64_t a = KEY(COPY_TITLE, COPY_A);
    /* a word and a comma apart, and REUTER / Reuter */
    assert_true(KEY(COPY_TITLE, COPY_B) == a);
    assert_true(KEY("Belgium launches bonds, with gold warrants", COPY_A) == a);
    /* the signature alone, in any case, with or without an "s" */
    assert_true(KEY("T", "Shares rose.\n REUTER") == KEY("T", "shares  rose Reuters"));
    assert_true(KEY("T", "Shares rose.") == KEY("T", "Shares rose.\n Reuter\n"));
    /* "reuter" that is not the last word stays (no title: every word counts) */
    assert_true(KEY("", "Reuter said shares rose") != KEY("", "said shares rose"));
    assert_true(KEY("", "Shares rose, Reuter said.") != KEY("", "Shares rose"));
    /* identical texts, also without a title, and NULL as "" */
    assert_true(KEY(NULL, COPY_A) == KEY("", COPY_A));
    assert_true(KEY("", "Shares ROSE, sharply.") == KEY(NULL, "shares rose sharply"));
    assert_true(KEY(NULL, NULL) == KEY("", ""));
}

static void test_dupkey_keeps_others_apart(void **state)
{
    (void)state;
    uint64_t a = KEY(COPY_TITLE, COPY_A);
    /* another title, another number, another text */
    assert_true(KEY("BELGIUM LAUNCHES BONDS", COPY_A) != a);
    char other[sizeof COPY_A];
    memcpy(other, COPY_A, sizeof COPY_A);
    char *p = strstr(other, "2,450");
    assert_non_null(p);
    p[0] = '3';
    assert_true(KEY(COPY_TITLE, other) != a);
    assert_true(KEY(COPY_TITLE, "Gold rose in Zurich on Monday.") != a);
    /* without a title, a changed word is another text */
    assert_true(KEY("", COPY_A) != KEY("", COPY_B));
    assert_true(KEY("", "the cat sat on the mat") != KEY("", "the dog sat on the mat"));
}

/* Version 2: a headline alone (no body words: the wire's signature is
 * not one) holds its day, so the same headline of another day is another
 * report; of the same day at another hour, a copy. An article with a body
 * ignores its date, as version 1 ignores it always; an undated headline
 * ("" or NULL) has the version 1 key. */
static void test_dupkey_headline_days(void **state)
{
    (void)state;
    const char *h = "FED SETS TWO BILLION DLR CUSTOMER REPURCHASE, FED SAYS";
    uint64_t mar11 = mg_docbuild_dupkey(h, "", "1987-03-11T11:42:36", 2);
    assert_true(mg_docbuild_dupkey(h, "", "1987-03-30T11:42:00", 2) != mar11);
    assert_true(mg_docbuild_dupkey(h, NULL, "1987-03-11", 2) == mar11);
    assert_true(mg_docbuild_dupkey(h, " Reuter\n", "1987-03-11T23:59:59", 2) == mar11);
    assert_true(mg_docbuild_dupkey(h, "", "1987-03-11T11:42:36", 1) ==
                mg_docbuild_dupkey(h, "", "1987-03-30T11:42:00", 1));
    assert_true(mg_docbuild_dupkey(h, "", "", 2) == mg_docbuild_dupkey(h, "", NULL, 2));
    assert_true(mg_docbuild_dupkey(h, "", NULL, 2) == mg_docbuild_dupkey(h, "", "1987-03-11", 1));
    /* with a body, the date never counts: a story sent again days later */
    uint64_t a = mg_docbuild_dupkey(COPY_TITLE, COPY_A, "1987-03-25T13:49:40", 2);
    assert_true(mg_docbuild_dupkey(COPY_TITLE, COPY_B, "1987-03-27T08:13:03", 2) == a);
    assert_true(mg_docbuild_dupkey(COPY_TITLE, COPY_A, NULL, 1) == a);
}

static void test_date_only_and_no_title(void **state)
{
    fixture *f = *state;
    mg_record r;
    fill(&r, "t-3", "", "Body only body");
    free(r.date);
    r.date = xstrdup("1987-02-26");
    char uid[MG_XDB_MAX_TERM + 1];
    write_db(f, "c", &r, uid, NULL);
    check_value(f, "c", MG_SLOT_DATE, "19870226000000", 14);
    /* No title: the body starts at position 1 and there are no S terms. */
    check_positions(f, "c", "bodi", "1 3");
    check_positions(f, "c", "onli", "2");
    char *out = run("xapian-delve -A S '%s/c'", f->dir);
    assert_null(strstr(out, "\nS"));
    free(out);
    mg_record_release(&r);
}

/* One builder, two documents: a big one (its postings outgrow the buffers
 * the builder keeps between documents) and then a small one, which must hold
 * its own postings only, exactly. */
static void test_big_then_small(void **state)
{
    fixture *f = *state;
    const size_t words = 300000; /* 3 terms, 100,000 positions each */
    char *body = malloc(words * 6 + 1);
    assert_non_null(body);
    for (size_t i = 0; i < words; i++)
        memcpy(body + 6 * i, i % 3 == 0 ? "cats  " : i % 3 == 1 ? "dogs  " : "eels  ", 6);
    body[words * 6] = '\0';
    mg_record r;
    fill(&r, "t-big", "Pets", body);
    free(body);
    char uid[MG_XDB_MAX_TERM + 1];
    write_db(f, "big", &r, uid, NULL);
    char *out =
        run("xapian-delve -r 1 -v -1 '%s/big' | grep -E '^(cat|dog|eel|pet|Spet) '", f->dir);
    assert_string_equal(out, "Spet 1 1\ncat 100000 1\ndog 100000 1\neel 100000 1\npet 3 1\n");
    free(out);
    out = run("xapian-delve -r 1 -t eel '%s/big' | tr ' ' '\\n' | tail -1", f->dir);
    assert_string_equal(out, "300100\n"); /* 1 + MG_BODY_POS_GAP + 300,000 - 1 */
    free(out);
    mg_record_release(&r);

    fill(&r, "t-small", "Cocoa", "Showers continued.");
    write_db(f, "small", &r, uid, NULL);
    out = run("xapian-delve -r 1 -v -1 '%s/small' | grep -E '^([a-z]|S)'", f->dir);
    assert_string_equal(out, "Scocoa 1 1\n"
                             "cocoa 3 1\n"
                             "continu 1 1\n"
                             "shower 1 1\n");
    free(out);
    check_positions(f, "small", "shower", "101");
    check_positions(f, "small", "Scocoa", "1");
    mg_record_release(&r);
}

static void test_long_id_url_field(void **state)
{
    fixture *f = *state;
    mg_err e;
    char id[400];
    memset(id, 'x', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    assert_int_equal(mg_docbuild_check_id(id, &e), -MG_ETOOBIG);
    assert_string_equal(e.msg, "field \"id\" too long (399 bytes, cap 244)");
    id[MG_ID_TERM_MAX] = '\0';
    assert_int_equal(mg_docbuild_check_id(id, &e), 0);
    assert_int_equal(mg_docbuild_check_id("", &e), -MG_EFORMAT);

    mg_record r;
    fill(&r, "t-4", "Title", "Body");
    char uid[MG_XDB_MAX_TERM + 1];
    free(r.id);
    r.id = xstrdup(id); /* exactly 244 bytes: fits */
    assert_int_equal(mg_docbuild_build(f->b, &r, f->doc, uid, sizeof uid, NULL, &e), 0);
    assert_int_equal(strlen(uid), MG_XDB_MAX_TERM);
    free(r.id);
    memset(id, 'y', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    r.id = xstrdup(id);
    assert_int_equal(mg_docbuild_build(f->b, &r, f->doc, uid, sizeof uid, NULL, &e), -MG_ETOOBIG);

    /* A long url: cut, plus "#" and a hash, unique and within the limit. */
    char url[600], t1[MG_XDB_MAX_TERM + 1], t2[MG_XDB_MAX_TERM + 1];
    memset(url, 'u', sizeof url - 1);
    url[sizeof url - 1] = '\0';
    long n1 = mg_url_term(url, t1, sizeof t1, &e);
    url[500] = 'v';
    long n2 = mg_url_term(url, t2, sizeof t2, &e);
    assert_true(n1 > 0 && n1 <= MG_XDB_MAX_TERM && (size_t)n1 == strlen(t1));
    assert_int_equal(n1, n2);
    assert_string_not_equal(t1, t2);
    assert_int_equal(t1[0], 'U');
    assert_int_equal(t1[n1 - 17], '#');
    assert_int_equal(mg_url_term("http://a/b", t1, sizeof t1, &e), 11);
    assert_string_equal(t1, "Uhttp://a/b");
    assert_int_equal(mg_url_term("", t1, sizeof t1, &e), 0);

    /* Field terms are folded; a very long value is cut to fit. */
    assert_int_equal(mg_field_term("XS", "  The  Guardian ", t1, sizeof t1, &e), 14);
    assert_string_equal(t1, "XSthe guardian");
    assert_true(mg_field_term("K", "Müller", t1, sizeof t1, &e) > 0);
    assert_string_equal(t1, "Kmuller");
    assert_int_equal(mg_field_term("K", "   ", t1, sizeof t1, &e), 0);
    char big[1000];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(mg_field_term("K", big, t1, sizeof t1, &e), MG_XDB_MAX_TERM);
    mg_record_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_terms_wdf_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_and_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_date_only_and_no_title, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_id_url_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_then_small, setup, teardown),
        cmocka_unit_test(test_dupkey_folds_copies),
        cmocka_unit_test(test_dupkey_keeps_others_apart),
        cmocka_unit_test(test_dupkey_headline_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
