/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Proximity in ORs (mg_search_limits.proximity, MORGUE_PROXIMITY,
 * mg_xq_or_near): two documents with the same words and the same length,
 * the two query words adjacent in one and 13 positions apart in the other,
 * score the same without it and the adjacent one higher with it, in a
 * relaxed AND and in an explicit OR; what matches, and the strict AND, do
 * not change. It is on by default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"
#include "search_fixture.h"
#include "xapian_search.h"

static char tmp[128], db[256];
static mg_searcher *on, *off;

#define FILL "kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi"

static const char *const docs[] = {
    "{\"id\":\"near\",\"title\":\"\",\"body\":\"alpha beta " FILL "\"}",
    "{\"id\":\"far\",\"title\":\"\",\"body\":\"alpha " FILL " beta\"}",
    "{\"id\":\"o1\",\"title\":\"\",\"body\":\"gamma delta\"}",
    "{\"id\":\"o2\",\"title\":\"\",\"body\":\"epsilon zeta\"}",
    "{\"id\":\"o3\",\"title\":\"\",\"body\":\"eta theta\"}",
    "{\"id\":\"o4\",\"title\":\"\",\"body\":\"iota chi\"}",
    "{\"id\":\"o5\",\"title\":\"\",\"body\":\"psi gamma\"}",
    "{\"id\":\"o6\",\"title\":\"\",\"body\":\"delta eta\"}",
};

static mg_searcher *open_with(double proximity)
{
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    lim.proximity = proximity;
    mg_search_limits_from_env(&lim, getenv); /* as morgued does */
    return fx_open_with(db, &lim);
}

static int setup(void **state)
{
    (void)state;
    unsetenv("MORGUE_PROXIMITY");
    if (fx_tmpdir(tmp, sizeof tmp, "proximity") != 0)
        return -1;
    char in[256];
    snprintf(db, sizeof db, "%s/db", tmp);
    if (fx_index_lines(tmp, docs, sizeof docs / sizeof docs[0], in, sizeof in, db) != 0)
        return -1;
    on = open_with(0.5);
    off = open_with(-1);
    return on && off ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mg_searcher_free(on);
    return fx_close(off, tmp);
}

/* "omega" is in no document: the AND is empty, the answer is the OR. */
static void test_adjacent_words_rank_first_when_relaxed(void **state)
{
    (void)state;
    mg_search_result *a = fx_query(on, "alpha beta omega", false);
    mg_search_result *b = fx_query(off, "alpha beta omega", false);
    assert_true(a->relaxed);
    assert_true(b->relaxed);
    assert_int_equal(a->nhits, 2);
    assert_int_equal(b->nhits, 2);
    /* without proximity the two tie (same words, same length), ids break it */
    assert_true(fx_score_of(b, "near") == fx_score_of(b, "far"));
    /* with it the adjacent pair adds half its words' weight; the far pair
     * (13 positions apart) nothing */
    assert_string_equal(a->hits[0].id, "near");
    assert_true(fx_score_of(a, "far") == fx_score_of(b, "far"));
    double want = fx_score_of(b, "near") * 1.5, got = fx_score_of(a, "near");
    assert_true(got > want * 0.999999 && got < want * 1.000001);
    assert_non_null(strstr(a->parsed, "NEAR 8"));
    assert_null(strstr(b->parsed, "NEAR"));
    mg_search_result_free(a);
    mg_search_result_free(b);
}

/* An explicit OR has it too: the hits a relaxed query adds are those of
 * the OR without the AND, in the same order. */
static void test_explicit_or(void **state)
{
    (void)state;
    mg_search_result *a = fx_query(on, "alpha OR beta", false);
    mg_search_result *b = fx_query(off, "alpha OR beta", false);
    mg_search_result *r = fx_query(on, "alpha beta omega", false);
    assert_int_equal(a->nhits, 2);
    assert_string_equal(a->hits[0].id, "near");
    assert_true(fx_score_of(a, "near") > fx_score_of(a, "far"));
    assert_true(fx_score_of(b, "near") == fx_score_of(b, "far"));
    for (size_t i = 0; i < a->nhits; i++) {
        assert_string_equal(a->hits[i].id, r->hits[i].id);
        assert_true(a->hits[i].score == r->hits[i].score);
    }
    mg_search_result_free(a);
    mg_search_result_free(b);
    mg_search_result_free(r);
}

/* The strict AND (and so every answer the AND fills) is not changed. */
static void test_strict_and_unchanged(void **state)
{
    (void)state;
    mg_search_result *a = fx_query(on, "alpha beta", true);
    mg_search_result *b = fx_query(off, "alpha beta", true);
    assert_int_equal(a->nhits, 2);
    assert_int_equal(b->nhits, 2);
    for (size_t i = 0; i < a->nhits; i++) {
        assert_string_equal(a->hits[i].id, b->hits[i].id);
        assert_true(a->hits[i].score == b->hits[i].score);
    }
    assert_null(strstr(a->parsed, "NEAR"));
    mg_search_result_free(a);
    mg_search_result_free(b);
}

/* The environment overrides the limits (mg_search_limits_from_env, as
 * morgued applies it): "0" turns it off, "0.5,8" on. The library alone
 * does not read it. */
static void test_environment(void **state)
{
    (void)state;
    setenv("MORGUE_PROXIMITY", "0", 1);
    mg_searcher *e_off = open_with(0.5);
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    lim.proximity = 0.5;
    mg_err err;
    mg_searcher *lib_alone = mg_searcher_open(db, &lim, &err);
    setenv("MORGUE_PROXIMITY", "0.5,8", 1);
    mg_searcher *e_on = open_with(-1);
    unsetenv("MORGUE_PROXIMITY");
    assert_non_null(e_off);
    assert_non_null(e_on);
    assert_non_null(lib_alone);
    mg_search_result *c = fx_query(lib_alone, "alpha beta omega", false);
    assert_true(fx_score_of(c, "near") > fx_score_of(c, "far"));
    mg_search_result_free(c);
    mg_searcher_free(lib_alone);
    mg_search_result *a = fx_query(e_on, "alpha beta omega", false);
    mg_search_result *b = fx_query(e_off, "alpha beta omega", false);
    assert_true(fx_score_of(a, "near") > fx_score_of(a, "far"));
    assert_true(fx_score_of(b, "near") == fx_score_of(b, "far"));
    mg_search_result_free(a);
    mg_search_result_free(b);
    mg_searcher_free(e_on);
    mg_searcher_free(e_off);
}

/* With no limits given, proximity is on at MG_PROXIMITY (0.1) within
 * MG_PROXIMITY_WINDOW (8). */
static void test_default(void **state)
{
    (void)state;
    mg_searcher *d = fx_open(db);
    assert_non_null(d);
    mg_search_result *a = fx_query(d, "alpha beta omega", false);
    mg_search_result *b = fx_query(off, "alpha beta omega", false);
    assert_string_equal(a->hits[0].id, "near");
    assert_true(fx_score_of(a, "far") == fx_score_of(b, "far"));
    double want = fx_score_of(b, "near") * (1 + MG_PROXIMITY), got = fx_score_of(a, "near");
    assert_true(got > want * 0.999999 && got < want * 1.000001);
    assert_non_null(strstr(a->parsed, "NEAR 8"));
    mg_search_result_free(a);
    mg_search_result_free(b);
    mg_searcher_free(d);
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* Pairs are made of consecutive plain terms only: a scaled (weightless)
 * word or a phrase between two words is passed over. */
static void test_pairs_of_plain_terms(void **state)
{
    (void)state;
    mg_err err;
    mg_xq *t[6] = {mg_xq_term("a", 1, &err), mg_xq_term("b", 1, &err), mg_xq_term("c", 1, &err),
                   mg_xq_term("d", 1, &err), mg_xq_term("e", 1, &err), NULL};
    mg_xq *cd[2] = {t[2], t[3]};
    mg_xq *subs[4] = {t[0], mg_xq_scale(t[1], 0.0, &err),
                      mg_xq_combine(MG_XQ_PHRASE, cd, 2, 0, &err), t[4]};
    mg_xq *q = mg_xq_or_near(subs, 4, 5, 0.25, &err);
    assert_non_null(q);
    char *d = mg_xq_describe(q);
    assert_non_null(d);
    assert_non_null(strstr(d, "0.25 * (a NEAR 5 e)"));
    assert_int_equal(count(d, "NEAR"), 1);
    free(d);
    mg_xq_free(q);
    /* one plain term: no pair, the plain OR */
    q = mg_xq_or_near(subs, 2, 5, 0.25, &err);
    d = mg_xq_describe(q);
    assert_int_equal(count(d, "NEAR"), 0);
    free(d);
    mg_xq_free(q);
    mg_xq_free(subs[1]);
    mg_xq_free(subs[2]);
    for (size_t i = 0; i < 5; i++)
        mg_xq_free(t[i]);
}

/* mg_xq_plain: the OR without its pairs, whatever they weighed. */
static void test_plain_drops_the_pairs(void **state)
{
    (void)state;
    mg_err err;
    mg_xq *t[3] = {mg_xq_term("a", 1, &err), mg_xq_term("b", 1, &err), mg_xq_term("c", 1, &err)};
    mg_xq *q = mg_xq_or_near(t, 3, 5, 0.25, &err);
    assert_non_null(q);
    mg_xq *p = mg_xq_plain(q, &err);
    assert_non_null(p);
    char *dq = mg_xq_describe(q), *dp = mg_xq_describe(p);
    assert_int_equal(count(dq, "NEAR"), 2);
    assert_int_equal(count(dp, "NEAR"), 0);
    assert_string_equal(dp, "Query((a OR b OR c))");
    free(dq);
    free(dp);
    mg_xq_free(p);
    mg_xq_free(q);
    for (size_t i = 0; i < 3; i++)
        mg_xq_free(t[i]);
}

/* A relaxed AND of two words adds the documents holding one of them, in
 * which no pair can hold (they are ranked without the second stage): in
 * the order and with the scores of the explicit OR, both when the AND
 * matches (gamma delta: o1) and when it matches nothing (alpha gamma). */
static void test_two_words_rest_as_the_or(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {{"gamma delta", "gamma OR delta"},
                                           {"alpha gamma", "alpha OR gamma"}};
    for (size_t k = 0; k < 2; k++) {
        mg_search_result *r = fx_query(on, pairs[k][0], false);
        mg_search_result *o = fx_query(on, pairs[k][1], false);
        assert_true(r->relaxed);
        assert_int_equal(r->nhits, o->nhits);
        assert_true(r->nhits >= 3);
        size_t partial = 0;
        for (size_t i = 0; i < r->nhits; i++) {
            assert_string_equal(r->hits[i].id, o->hits[i].id);
            if (r->hits[i].partial) { /* (the AND's hits are scored by the AND) */
                assert_true(r->hits[i].score == o->hits[i].score);
                partial++;
            }
        }
        assert_true(partial >= 2);
        assert_true(r->total_exact && r->total_lower == o->total_lower);
        mg_search_result_free(r);
        mg_search_result_free(o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adjacent_words_rank_first_when_relaxed),
        cmocka_unit_test(test_explicit_or),
        cmocka_unit_test(test_strict_and_unchanged),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_pairs_of_plain_terms),
        cmocka_unit_test(test_plain_drops_the_pairs),
        cmocka_unit_test(test_two_words_rest_as_the_or),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
