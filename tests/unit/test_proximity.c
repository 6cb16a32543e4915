/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Proximity in ORs (mg_search_limits.proximity, MORGUE_PROXIMITY,
 * mg_xq_or_near): two documents with the same words and the same length,
 * the two query words adjacent in one and 13 positions apart in the other,
 * score the same without it and the adjacent one higher with it, in a
 * relaxed AND and in an explicit OR; what matches, and the strict AND, do
 * not change. */
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
    mg_err err;
    mg_searcher *s = mg_searcher_open(db, &lim, &err);
    if (!s)
        fprintf(stderr, "open %s: %s\n", db, err.msg);
    return s;
}

static int setup(void **state)
{
    (void)state;
    unsetenv("MORGUE_PROXIMITY");
    if (fx_tmpdir(tmp, sizeof tmp, "proximity") != 0)
        return -1;
    char in[256];
    snprintf(in, sizeof in, "%s/docs.jsonl", tmp);
    snprintf(db, sizeof db, "%s/db", tmp);
    FILE *f = fopen(in, "w");
    if (!f)
        return -1;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        fprintf(f, "%s\n", docs[i]);
    fclose(f);
    if (fx_index(db, "1", in) != 0)
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

static double score_of(const mg_search_result *r, const char *id)
{
    for (size_t i = 0; i < r->nhits; i++)
        if (strcmp(r->hits[i].id, id) == 0)
            return r->hits[i].score;
    fail_msg("no hit %s", id);
    return 0;
}

static mg_search_result *search(mg_searcher *s, const char *q, bool no_relax)
{
    mg_search_request req = {.query = q, .limit = 10, .no_relax = no_relax};
    return fx_search(s, &req);
}

/* "omega" is in no document: the AND is empty, the answer is the OR. */
static void test_adjacent_words_rank_first_when_relaxed(void **state)
{
    (void)state;
    mg_search_result *a = search(on, "alpha beta omega", false);
    mg_search_result *b = search(off, "alpha beta omega", false);
    assert_true(a->relaxed);
    assert_true(b->relaxed);
    assert_int_equal(a->nhits, 2);
    assert_int_equal(b->nhits, 2);
    /* without proximity the two tie (same words, same length), ids break it */
    assert_true(score_of(b, "near") == score_of(b, "far"));
    /* with it the adjacent pair adds half its words' weight; the far pair
     * (13 positions apart) nothing */
    assert_string_equal(a->hits[0].id, "near");
    assert_true(score_of(a, "far") == score_of(b, "far"));
    double want = score_of(b, "near") * 1.5, got = score_of(a, "near");
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
    mg_search_result *a = search(on, "alpha OR beta", false);
    mg_search_result *b = search(off, "alpha OR beta", false);
    mg_search_result *r = search(on, "alpha beta omega", false);
    assert_int_equal(a->nhits, 2);
    assert_string_equal(a->hits[0].id, "near");
    assert_true(score_of(a, "near") > score_of(a, "far"));
    assert_true(score_of(b, "near") == score_of(b, "far"));
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
    mg_search_result *a = search(on, "alpha beta", true);
    mg_search_result *b = search(off, "alpha beta", true);
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

/* The environment overrides the limits: "0" turns it off, "0.5,8" on. */
static void test_environment(void **state)
{
    (void)state;
    setenv("MORGUE_PROXIMITY", "0", 1);
    mg_searcher *e_off = open_with(0.5);
    setenv("MORGUE_PROXIMITY", "0.5,8", 1);
    mg_searcher *e_on = open_with(-1);
    unsetenv("MORGUE_PROXIMITY");
    assert_non_null(e_off);
    assert_non_null(e_on);
    mg_search_result *a = search(e_on, "alpha beta omega", false);
    mg_search_result *b = search(e_off, "alpha beta omega", false);
    assert_true(score_of(a, "near") > score_of(a, "far"));
    assert_true(score_of(b, "near") == score_of(b, "far"));
    mg_search_result_free(a);
    mg_search_result_free(b);
    mg_searcher_free(e_on);
    mg_searcher_free(e_off);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adjacent_words_rank_first_when_relaxed),
        cmocka_unit_test(test_explicit_or),
        cmocka_unit_test(test_strict_and_unchanged),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_pairs_of_plain_terms),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
