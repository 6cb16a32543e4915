/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the counts read from posting lists (lib/xapian_count.cc):
 * on a made-up database whose counts land at, under and over 10,000, every
 * count of a boolean query of words takes that path (mg_xcount_fast_runs)
 * and gives what Xapian's matcher gives and the true count, with documents
 * deleted too; other queries go to the matcher; a deadline cuts a count,
 * which then claims no exactness. The OR of two words counted from its AND's
 * count and the words' frequencies (mg_xsearch_count_union) is exact at any
 * size, and only that shape is counted so. The sample of a terms request
 * stops at the deadline too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "search_fixture.h"
#include "xapian_count.h"
#include "xapian_search.h"
#include "xapian_shim.h"

static char tmpdir[64];
static char dbpath[128];

enum { NDOCS = 10100, CHECK = 10000 };

/* The words of document d (0-based); its MG_SLOT_ID is "dNNNNN". */
static bool has(const char *w, unsigned d)
{
    if (!strcmp(w, "wa"))
        return d < 6000;
    if (!strcmp(w, "wb")) /* wa OR wb: 9,999 */
        return d >= 4000 && d < 9999;
    if (!strcmp(w, "wc")) /* wa OR wb OR wc: 10,000 */
        return d == 9999;
    if (!strcmp(w, "wd")) /* with wd: 10,001 */
        return d == 10000;
    if (!strcmp(w, "big")) /* one word over 10,000 */
        return d < 10050;
    if (!strcmp(w, "m7"))
        return d % 7 == 0;
    if (!strcmp(w, "m3"))
        return d % 3 == 1;
    if (!strcmp(w, "rare"))
        return d % 1000 == 17;
    return false; /* "none": in no document */
}

static const char *const words[] = {"wa", "wb", "wc", "wd", "big", "m7", "m3", "rare", "none"};
enum { NWORDS = sizeof words / sizeof words[0] };

/* Whether document d is deleted in the second half of the tests. */
static bool gone(unsigned d)
{
    return d % 50 == 3 || (d >= 9990 && d < 10002);
}

static void build(void)
{
    mg_err err;
    mg_xdb *db = mg_xdb_open(dbpath, MG_XDB_CREATE, &err);
    assert_non_null(db);
    for (unsigned d = 0; d < NDOCS; d++) {
        mg_xdoc *doc = mg_xdoc_new(&err);
        assert_non_null(doc);
        char id[24], uid[32];
        snprintf(id, sizeof id, "d%05u", d);
        snprintf(uid, sizeof uid, "Q%s", id);
        assert_int_equal(mg_xdoc_add_boolean(doc, uid, strlen(uid), &err), 0);
        unsigned pos = 1;
        for (size_t w = 0; w < NWORDS; w++)
            if (has(words[w], d))
                assert_int_equal(
                    mg_xdoc_add_posting(doc, words[w], strlen(words[w]), pos++, 1, &err), 0);
        assert_int_equal(mg_xdoc_add_posting(doc, "zz", 2, pos++, 1, &err), 0);
        /* a date for the fallback of value ranges */
        const char *date = d % 2 ? "20200101" : "20210101";
        assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_DATE, date, strlen(date), &err), 0);
        assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_ID, id, strlen(id), &err), 0);
        assert_int_equal(mg_xdb_add(db, doc, &err), 0);
        mg_xdoc_free(doc);
    }
    assert_int_equal(mg_xdb_close(db, &err), 0);
}

static void delete_some(void)
{
    mg_err err;
    mg_xdb *db = mg_xdb_open(dbpath, 0, &err);
    assert_non_null(db);
    for (unsigned d = 0; d < NDOCS; d++)
        if (gone(d)) {
            char uid[32];
            snprintf(uid, sizeof uid, "Qd%05u", d);
            assert_int_equal(mg_xdb_delete(db, uid, &err), 1);
        }
    assert_int_equal(mg_xdb_close(db, &err), 0);
}

/* A query: an operator over words, or over queries; the true count. */
typedef struct expr {
    int op; /* MG_XQ_*, or -1 for a word */
    const char *word;
    const struct expr *sub[3];
    size_t n;
} expr;

static bool matches(const expr *e, unsigned d, bool deleted)
{
    if (deleted && gone(d))
        return false;
    if (e->op < 0)
        return has(e->word, d);
    bool first = matches(e->sub[0], d, deleted), any = false, all = true;
    for (size_t i = 0; i < e->n; i++) {
        bool m = matches(e->sub[i], d, deleted);
        any |= m;
        all &= m;
    }
    switch (e->op) {
    case MG_XQ_OR:
    case MG_XQ_SYNONYM:
        return any;
    case MG_XQ_AND:
    case MG_XQ_FILTER:
        return all;
    default: { /* MG_XQ_AND_NOT */
        bool rest = false;
        for (size_t i = 1; i < e->n; i++)
            rest |= matches(e->sub[i], d, deleted);
        return first && !rest;
    }
    }
}

static unsigned long long truth(const expr *e, bool deleted)
{
    unsigned long long n = 0;
    for (unsigned d = 0; d < NDOCS; d++)
        n += matches(e, d, deleted);
    return n;
}

static mg_xq *compile(const expr *e)
{
    mg_err err;
    if (e->op < 0)
        return mg_xq_term(e->word, strlen(e->word), &err);
    mg_xq *subs[3];
    for (size_t i = 0; i < e->n; i++)
        assert_non_null(subs[i] = compile(e->sub[i]));
    mg_xq *q = mg_xq_combine(e->op, subs, e->n, 0, &err);
    for (size_t i = 0; i < e->n; i++)
        mg_xq_free(subs[i]);
    return q;
}

/* The test database, opened for searching; the test fails if it cannot be. */
static mg_xsearch *open_xs(void)
{
    mg_err err;
    mg_xsearch *xs = mg_xsearch_open(dbpath, &err);
    assert_non_null(xs);
    return xs;
}

/* A count of q as lib/search_run.c's count_matches() runs one: weighing
 * nothing, no hit, no collapsing, exact up to check. Release the result
 * with mg_xresult_release(). */
static mg_xresult count(mg_xsearch *xs, const mg_xq *q, size_t check, unsigned long long deadline)
{
    mg_err err;
    mg_xq *none = mg_xq_scale(q, 0.0, &err);
    assert_non_null(none);
    mg_xrun_opts o = {.check_at_least = check, .deadline_ns = deadline};
    mg_xresult r;
    assert_int_equal(mg_xsearch_run(xs, none, &o, &r, &err), 0);
    mg_xq_free(none);
    return r;
}

/* The bounds hold the true count; under check the count is exact and what
 * the matcher gives, at check or more it claims no exactness it lacks. */
static void check_counts(const mg_xresult *fast, const mg_xresult *slow, unsigned long long want,
                         size_t check)
{
    assert_false(fast->cut);
    assert_true(fast->lower <= want && want <= fast->upper);
    assert_true(fast->lower <= fast->estimate && fast->estimate <= fast->upper);
    if (want < check) {
        assert_int_equal(fast->lower, want);
        assert_int_equal(fast->upper, want);
        assert_int_equal(fast->estimate, want);
        assert_int_equal(slow->lower, want);
        assert_int_equal(slow->upper, want);
        assert_int_equal(slow->estimate, want);
    } else {
        assert_true(fast->lower >= check);
        if (fast->lower == fast->upper)
            assert_int_equal(fast->lower, want);
    }
    /* around count_exact the matcher's very numbers (for small checks the
     * two may know more or less: an AND read whole is exact here) */
    if (check >= CHECK - 1) {
        assert_int_equal(fast->lower, slow->lower);
        assert_int_equal(fast->upper, slow->upper);
        assert_int_equal(fast->estimate, slow->estimate);
    }
}

static const expr W[NWORDS] = {{-1, "wa", {0}, 0}, {-1, "wb", {0}, 0},   {-1, "wc", {0}, 0},
                               {-1, "wd", {0}, 0}, {-1, "big", {0}, 0},  {-1, "m7", {0}, 0},
                               {-1, "m3", {0}, 0}, {-1, "rare", {0}, 0}, {-1, "none", {0}, 0}};
enum { WA, WB, WC, WD, BIG, M7, M3, RARE, NONE };

static const expr ab = {MG_XQ_OR, NULL, {&W[WA], &W[WB]}, 2};
static const expr abc = {MG_XQ_OR, NULL, {&W[WA], &W[WB], &W[WC]}, 3};
static const expr abcd = {MG_XQ_OR, NULL, {&abc, &W[WD]}, 2};
static const expr a_m7 = {MG_XQ_AND, NULL, {&W[WA], &W[M7]}, 2};
static const expr ab_not_m3 = {MG_XQ_AND_NOT, NULL, {&ab, &W[M3], &W[RARE]}, 3};
static const expr or_of_and = {MG_XQ_OR, NULL, {&a_m7, &W[WB], &W[RARE]}, 3};
static const expr syn = {MG_XQ_SYNONYM, NULL, {&W[WC], &W[WD], &W[RARE]}, 3};
static const expr filt = {MG_XQ_FILTER, NULL, {&abcd, &W[M3]}, 2};
static const expr big_or = {MG_XQ_OR, NULL, {&W[BIG], &W[RARE]}, 2};
static const expr none_or = {MG_XQ_OR, NULL, {&W[NONE], &W[RARE]}, 2};
static const expr and_none = {MG_XQ_AND, NULL, {&W[NONE], &W[M3]}, 2};
static const expr m_or = {MG_XQ_OR, NULL, {&W[M7], &W[M3], &W[RARE]}, 3};

static const expr *const queries[] = {&W[WA],  &W[BIG],  &W[RARE],   &W[NONE],   &ab,  &abc,
                                      &abcd,   &a_m7,    &ab_not_m3, &or_of_and, &syn, &filt,
                                      &big_or, &none_or, &and_none,  &m_or};

/* The postings of the words under an AND, FILTER or AND_NOT of e (what a
 * count from posting lists reads in full), by counting the corpus. */
static unsigned long long full_reads(const expr *e, bool whole)
{
    if (e->op < 0) {
        unsigned long long n = 0;
        for (unsigned d = 0; whole && d < NDOCS; d++)
            n += has(e->word, d);
        return n;
    }
    whole = whole || !(e->op == MG_XQ_OR || e->op == MG_XQ_SYNONYM);
    unsigned long long n = 0;
    for (size_t i = 0; i < e->n; i++)
        n += full_reads(e->sub[i], whole);
    return n;
}

/* Every query at checks around its count: the fast path (unless it would
 * read far more than the matcher), the matcher's numbers, the true count. */
static void compare_all(bool deleted)
{
    static const size_t checks[] = {CHECK - 1, CHECK, CHECK + 1, 100, 1, NDOCS + 1};
    mg_xsearch *xs = open_xs();
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        mg_xq *q = compile(queries[i]);
        assert_non_null(q);
        unsigned long long want = truth(queries[i], deleted);
        for (size_t c = 0; c < sizeof checks / sizeof checks[0]; c++) {
            unsigned long long runs = mg_xcount_fast_runs();
            mg_xresult fast = count(xs, q, checks[c], 0);
            /* an AND read in full past 4 postings a match wanted: the matcher */
            bool took = mg_xcount_fast_runs() == runs + 1;
            assert_true(took || full_reads(queries[i], false) > 4 * checks[c]);
            assert_true(mg_xcount_set_fast(false));
            mg_xresult slow = count(xs, q, checks[c], 0);
            assert_false(mg_xcount_set_fast(true));
            assert_int_equal(mg_xcount_fast_runs(), runs + took);
            check_counts(&fast, &slow, want, checks[c]);
            /* the same numbers every time */
            mg_xresult again = count(xs, q, checks[c], 0);
            assert_int_equal(again.lower, fast.lower);
            assert_int_equal(again.upper, fast.upper);
            assert_int_equal(again.estimate, fast.estimate);
            mg_xresult_release(&fast);
            mg_xresult_release(&slow);
            mg_xresult_release(&again);
        }
        mg_xq_free(q);
    }
    mg_xsearch_free(xs);
}

/* The counts lie where the corpus puts them: 9,999, 10,000, 10,001. */
static void test_threshold_counts(void **state)
{
    (void)state;
    assert_int_equal(truth(&ab, false), CHECK - 1);
    assert_int_equal(truth(&abc, false), CHECK);
    assert_int_equal(truth(&abcd, false), CHECK + 1);
    compare_all(false);
}

/* Deleted documents are counted by neither path. */
static void test_with_deletions(void **state)
{
    (void)state;
    delete_some();
    assert_true(truth(&abcd, true) < truth(&abcd, false));
    compare_all(true);
}

/* An AND whose words hold far more postings than the matches wanted (wa
 * AND m7 reads 7,443 postings in full; the matcher stops at 10 matches):
 * the matcher counts it; with enough matches wanted, the posting lists. */
static void test_large_ands_go_to_the_matcher(void **state)
{
    (void)state;
    mg_xsearch *xs = open_xs();
    mg_xq *q = compile(&a_m7);
    assert_non_null(q);
    assert_true(full_reads(&a_m7, false) > 4 * 10);
    unsigned long long runs = mg_xcount_fast_runs();
    mg_xresult small = count(xs, q, 10, 0);
    assert_int_equal(mg_xcount_fast_runs(), runs);
    assert_true(small.lower >= 10 && small.lower <= truth(&a_m7, false));
    mg_xresult whole = count(xs, q, NDOCS + 1, 0);
    assert_int_equal(mg_xcount_fast_runs(), runs + 1);
    assert_true(mg_xcount_set_fast(false));
    mg_xresult slow = count(xs, q, NDOCS + 1, 0);
    assert_false(mg_xcount_set_fast(true));
    assert_int_equal(whole.lower, slow.lower);
    assert_int_equal(whole.upper, whole.lower);
    assert_int_equal(slow.upper, slow.lower);
    mg_xresult_release(&small);
    mg_xresult_release(&whole);
    mg_xresult_release(&slow);
    mg_xq_free(q);
    mg_xsearch_free(xs);
}

/* NEARs, value ranges: the matcher counts them, as before. */
static void test_other_queries_go_to_the_matcher(void **state)
{
    (void)state;
    mg_err err;
    mg_xsearch *xs = open_xs();
    mg_xq *a = mg_xq_term("wa", 2, &err), *m = mg_xq_term("m7", 2, &err);
    mg_xq *pair[2] = {a, m};
    mg_xq *near = mg_xq_combine(MG_XQ_NEAR, pair, 2, 10, &err);
    mg_xq *dates = mg_xq_date_range("20200101", "20200101", &err);
    mg_xq *dated[2] = {a, dates};
    mg_xq *filtered = mg_xq_combine(MG_XQ_FILTER, dated, 2, 0, &err);
    mg_xq *others[] = {near, filtered};
    for (size_t i = 0; i < 2; i++) {
        assert_non_null(others[i]);
        unsigned long long runs = mg_xcount_fast_runs();
        mg_xresult r = count(xs, others[i], CHECK, 0);
        assert_int_equal(mg_xcount_fast_runs(), runs);
        assert_true(r.lower == r.upper && r.upper > 0 && r.upper < CHECK);
        mg_xresult_release(&r);
    }
    for (size_t i = 0; i < 2; i++)
        mg_xq_free(others[i]);
    mg_xq_free(dates);
    mg_xq_free(a);
    mg_xq_free(m);
    mg_xsearch_free(xs);
}

/* A deadline gone by cuts the count: a lower bound only (not exact), the
 * true count within the bounds. */
static void test_deadline_cuts(void **state)
{
    (void)state;
    mg_xsearch *xs = open_xs();
    mg_xq *q = compile(&m_or);
    unsigned long long runs = mg_xcount_fast_runs();
    mg_xresult r = count(xs, q, CHECK, 1);
    assert_int_equal(mg_xcount_fast_runs(), runs + 1);
    unsigned long long want = truth(&m_or, true);
    assert_true(r.cut);
    assert_true(r.lower < r.upper && r.lower <= want && want <= r.upper);
    assert_true(r.lower <= r.estimate && r.estimate <= r.upper);
    mg_xresult_release(&r);
    mg_xq_free(q);
    mg_xsearch_free(xs);
}

/* The sample of a terms request (mg_xsearch_terms) stops at the search's
 * deadline, as a count does, and says so; without one it is the best 100.
 * Its words leave out the query's and those under 3% of the sample. */
static void test_terms_sample_deadline(void **state)
{
    (void)state;
    mg_xsearch *xs = open_xs();
    mg_err err;
    mg_xq *q = mg_xq_term("big", 3, &err);
    assert_non_null(q);
    mg_xrun_opts o = {.k1 = 1.2, .b = 0.75};
    mg_xterms t;
    assert_int_equal(mg_xsearch_terms(xs, q, &o, 100, 10, NULL, NULL, &t, &err), 0);
    assert_false(t.cut);
    assert_int_equal(t.nrecords, 100);
    bool wa = false;
    for (size_t i = 0; i < t.nstems; i++) {
        assert_string_not_equal(t.stems[i], "big");  /* the query's */
        assert_string_not_equal(t.stems[i], "rare"); /* in 1 of the 100 */
        wa = wa || !strcmp(t.stems[i], "wa");
    }
    assert_true(wa); /* in all 100, and in 6,000 of the 10,100 */
    mg_xterms_release(&t);
    o.deadline_ns = 1; /* long past */
    assert_int_equal(mg_xsearch_terms(xs, q, &o, 100, 10, NULL, NULL, &t, &err), 0);
    assert_true(t.cut);
    assert_true(t.nrecords < 100);
    mg_xterms_release(&t);
    mg_xq_free(q);
    mg_xsearch_free(xs);
}

/* |A or B| = |A| + |B| - |A and B|: exact over and under count_exact, with
 * documents deleted (the tests before deleted some); any other shape is
 * left to a count (0). */
static void test_union_of_two_words(void **state)
{
    (void)state;
    mg_err err;
    mg_xsearch *xs = open_xs();
    static const int pairs[][2] = {{WA, WB},     {WA, M7}, {BIG, RARE},
                                   {NONE, RARE}, {M7, M3}, {WA, BIG}};
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        expr or_e = {MG_XQ_OR, NULL, {&W[pairs[i][0]], &W[pairs[i][1]]}, 2};
        expr and_e = {MG_XQ_AND, NULL, {&W[pairs[i][1]], &W[pairs[i][0]]}, 2};
        mg_xq *o = compile(&or_e), *a = compile(&and_e);
        unsigned long long want = truth(&or_e, true);
        mg_xresult r = {0};
        assert_int_equal(mg_xsearch_count_union(xs, o, a, truth(&and_e, true), &r, &err), 1);
        if (r.lower != want || r.upper != want || r.estimate != want || r.cut)
            fail_msg("%s OR %s: %llu-%llu (%llu), want %llu", W[pairs[i][0]].word,
                     W[pairs[i][1]].word, r.lower, r.upper, r.estimate, want);
        /* off, or another shape: not counted so */
        assert_true(mg_xcount_set_fast(false));
        assert_int_equal(mg_xsearch_count_union(xs, o, a, truth(&and_e, true), &r, &err), 0);
        assert_false(mg_xcount_set_fast(true));
        mg_xq *three = compile(&abc), *filtered = compile(&filt);
        assert_int_equal(mg_xsearch_count_union(xs, three, a, 0, &r, &err), 0);
        assert_int_equal(mg_xsearch_count_union(xs, filtered, a, 0, &r, &err), 0);
        assert_int_equal(mg_xsearch_count_union(xs, o, three, 0, &r, &err), 0);
        mg_xq_free(three);
        mg_xq_free(filtered);
        mg_xq_free(o);
        mg_xq_free(a);
    }
    /* the AND of other words than the OR's */
    expr or_e = {MG_XQ_OR, NULL, {&W[WA], &W[WB]}, 2};
    mg_xq *o = compile(&or_e), *a = compile(&a_m7);
    mg_xresult r = {0};
    assert_int_equal(mg_xsearch_count_union(xs, o, a, 0, &r, &err), 0);
    mg_xq_free(o);
    mg_xq_free(a);
    mg_xsearch_free(xs);
}

static int setup(void **state)
{
    (void)state;
    if (fx_tmpdir(tmpdir, sizeof tmpdir, "count") < 0)
        return -1;
    snprintf(dbpath, sizeof dbpath, "%s/db", tmpdir);
    build();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fx_remove(tmpdir) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threshold_counts),
        cmocka_unit_test(test_with_deletions),
        cmocka_unit_test(test_large_ands_go_to_the_matcher),
        cmocka_unit_test(test_other_queries_go_to_the_matcher),
        cmocka_unit_test(test_deadline_cuts),
        cmocka_unit_test(test_terms_sample_deadline),
        cmocka_unit_test(test_union_of_two_words),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
