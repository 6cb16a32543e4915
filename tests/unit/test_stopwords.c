/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stop words (lib/stopwords.c, mg_search_limits.stopwords): the set is the
 * stems of the English list, empty for other languages; in a query a stop
 * word is still matched but adds no weight, unless nothing else in the query
 * weighs; turned off, it weighs as any word. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "search.h"
#include "search_fixture.h"
#include "stopwords.h"

static char tmp[128], db[256], db_fr[256];
static mg_searcher *on, *off;

/* "of" and "who" are in 2 of 10 documents: far from the half at which
 * every word stops weighing, so only the stop list can take their weight. */
static const char *const docs[] = {
    "{\"id\":\"cocoa-of\",\"title\":\"\",\"body\":\"cocoa harvest of brazil\"}",
    "{\"id\":\"cocoa\",\"title\":\"\",\"body\":\"cocoa harvest in brazil\"}",
    "{\"id\":\"who\",\"title\":\"\",\"body\":\"the who played the band's songs\"}",
    "{\"id\":\"who-of\",\"title\":\"\",\"body\":\"who leads of all the people\"}",
    "{\"id\":\"f1\",\"title\":\"\",\"body\":\"grain prices rose\"}",
    "{\"id\":\"f2\",\"title\":\"\",\"body\":\"sugar exports fell\"}",
    "{\"id\":\"f3\",\"title\":\"\",\"body\":\"steel output steady\"}",
    "{\"id\":\"f4\",\"title\":\"\",\"body\":\"coffee talks ended\"}",
    "{\"id\":\"f5\",\"title\":\"\",\"body\":\"rubber stocks low\"}",
    "{\"id\":\"f6\",\"title\":\"\",\"body\":\"tin council met\"}",
};

static mg_searcher *open_with(const char *path, int stopwords)
{
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    lim.stopwords = stopwords;
    lim.proximity = -1;                      /* scores of single words only */
    mg_search_limits_from_env(&lim, getenv); /* as morgued does */
    mg_err err;
    mg_searcher *s = mg_searcher_open(path, &lim, &err);
    if (!s)
        fprintf(stderr, "open %s: %s\n", path, err.msg);
    return s;
}

static int setup(void **state)
{
    (void)state;
    unsetenv("MORGUE_STOPWORDS");
    unsetenv("MORGUE_PROXIMITY");
    if (fx_tmpdir(tmp, sizeof tmp, "stopwords") != 0)
        return -1;
    char in[256];
    snprintf(db, sizeof db, "%s/db", tmp);
    snprintf(db_fr, sizeof db_fr, "%s/db-fr", tmp);
    if (fx_index_lines(tmp, docs, sizeof docs / sizeof docs[0], in, sizeof in, db) != 0)
        return -1;
    if (fx_index_with(db_fr, "1", "--lang french", in) != 0)
        return -1;
    on = open_with(db, 0);
    off = open_with(db, -1);
    return on && off ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mg_searcher_free(on);
    return fx_close(off, tmp);
}

static void test_set(void **state)
{
    (void)state;
    mg_err err;
    mg_analyzer *en = mg_analyzer_new("en", &err), *fr = mg_analyzer_new("french", &err);
    assert_non_null(en);
    assert_non_null(fr);
    mg_stopset *s = mg_stopset_new(en, &err), *sf = mg_stopset_new(fr, &err),
               *none = mg_stopset_new(NULL, &err);
    assert_non_null(s);
    assert_non_null(sf);
    assert_non_null(none);
    assert_true(mg_stopset_size(s) > 100);
    /* stems, as the analyser makes them: "being" -> "be", "only" -> "onli" */
    static const char *const in[] = {"the", "of", "be", "onli", "which", "dure", "against"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        assert_true(mg_stopset_has(s, in[i], strlen(in[i])));
    /* names and nouns once folded, and content words, are not */
    static const char *const out[] = {"us", "may", "will", "can", "might", "cocoa", "sever", ""};
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
        assert_false(mg_stopset_has(s, out[i], strlen(out[i])));
    assert_false(mg_stopset_has(s, "theory", 3 + 3)); /* a length, not a prefix */
    assert_true(mg_stopset_has(s, "theory", 3));
    assert_int_equal(mg_stopset_size(sf), 0);
    assert_false(mg_stopset_has(sf, "the", 3));
    assert_int_equal(mg_stopset_size(none), 0);
    assert_false(mg_stopset_has(NULL, "the", 3));
    assert_non_null(mg_stopwords_for("English"));
    assert_null(mg_stopwords_for("german"));
    mg_stopset_free(s);
    mg_stopset_free(sf);
    mg_stopset_free(none);
    mg_analyzer_free(en);
    mg_analyzer_free(fr);
}

/* "of" must still be in every hit of the AND, but weighs nothing. */
static void test_matched_not_weighted(void **state)
{
    (void)state;
    mg_search_result *a = fx_query(on, "cocoa of", true);
    mg_search_result *w = fx_query(on, "cocoa", true);
    mg_search_result *b = fx_query(off, "cocoa of", true);
    assert_int_equal(a->nhits, 1);
    assert_string_equal(a->hits[0].id, "cocoa-of");
    assert_int_equal(w->nhits, 2);
    assert_true(fx_score_of(a, "cocoa-of") == fx_score_of(w, "cocoa-of"));
    /* turned off, "of" (2 of 10 documents) weighs */
    assert_int_equal(b->nhits, 1);
    assert_true(fx_score_of(b, "cocoa-of") > fx_score_of(a, "cocoa-of") * 1.1);
    mg_search_result_free(a);
    mg_search_result_free(w);
    mg_search_result_free(b);
}

/* Relaxed, a stop word weighs nothing and, next to a word that weighs, is
 * left out of the OR: a document that only holds "of" is no hit. */
static void test_relaxed(void **state)
{
    (void)state;
    mg_search_result *a = fx_query(on, "cocoa of zebra", false);
    mg_search_result *b = fx_query(off, "cocoa of zebra", false);
    assert_true(a->relaxed);
    assert_int_equal(a->nhits, 2);
    assert_true(fx_score_of(a, "cocoa-of") == fx_score_of(a, "cocoa"));
    assert_true(fx_score_of(b, "cocoa-of") > fx_score_of(b, "cocoa"));
    assert_int_equal(b->nhits, 3);
    assert_true(fx_score_of(b, "who-of") > 0);
    mg_search_result_free(a);
    mg_search_result_free(b);
    /* an explicit OR alike; of stop words only, every one counts */
    a = fx_query(on, "cocoa OR of", true);
    assert_int_equal(a->nhits, 2);
    mg_search_result_free(a);
    a = fx_query(on, "who OR of", true);
    b = fx_query(off, "who OR of", true);
    assert_int_equal(a->nhits, 3);
    assert_int_equal(b->nhits, 3);
    for (size_t i = 0; i < a->nhits; i++)
        assert_true(a->hits[i].score == b->hits[i].score && a->hits[i].score > 0);
    mg_search_result_free(a);
    mg_search_result_free(b);
}

/* A query of stop words only keeps their weights: "the who" ranks the
 * document with both words first, by weight, not by id. */
static void test_only_stop_words(void **state)
{
    (void)state;
    mg_search_result *a = fx_query(on, "who of", true);
    mg_search_result *b = fx_query(off, "who of", true);
    assert_int_equal(a->nhits, 1);
    assert_true(a->hits[0].score > 0);
    assert_true(a->hits[0].score == b->hits[0].score);
    mg_search_result_free(a);
    mg_search_result_free(b);
    /* a filter weighs nothing, so it does not make "who" weightless */
    a = fx_query(on, "who -cocoa", true);
    assert_int_equal(a->nhits, 2);
    assert_true(a->hits[0].score > 0 && a->hits[1].score > 0);
    mg_search_result_free(a);
    /* next to a content word it weighs nothing */
    a = fx_query(on, "who played", true);
    b = fx_query(on, "played", true);
    assert_int_equal(a->nhits, 1);
    assert_true(a->hits[0].score == b->hits[0].score);
    mg_search_result_free(a);
    mg_search_result_free(b);
}

/* In a phrase every word weighs, stop words too. */
static void test_phrase(void **state)
{
    (void)state;
    mg_search_result *a = fx_query(on, "\"harvest of brazil\"", true);
    mg_search_result *b = fx_query(off, "\"harvest of brazil\"", true);
    assert_int_equal(a->nhits, 1);
    assert_string_equal(a->hits[0].id, "cocoa-of");
    assert_true(a->hits[0].score == b->hits[0].score);
    mg_search_result_free(a);
    mg_search_result_free(b);
}

/* MORGUE_STOPWORDS=0 turns them off; an index in another language has none. */
static void test_environment_and_language(void **state)
{
    (void)state;
    setenv("MORGUE_STOPWORDS", "0", 1);
    mg_searcher *e = open_with(db, 0);
    unsetenv("MORGUE_STOPWORDS");
    mg_searcher *fr = open_with(db_fr, 0);
    assert_non_null(e);
    assert_non_null(fr);
    mg_search_result *a = fx_query(e, "cocoa of", true);
    mg_search_result *b = fx_query(off, "cocoa of", true);
    assert_true(a->hits[0].score == b->hits[0].score);
    mg_search_result_free(a);
    mg_search_result_free(b);
    /* French: "of" is a word like any other there */
    a = fx_query(fr, "cocoa of", true);
    b = fx_query(fr, "cocoa", true);
    assert_int_equal(a->nhits, 1);
    assert_true(fx_score_of(a, "cocoa-of") > fx_score_of(b, "cocoa-of") * 1.1);
    mg_search_result_free(a);
    mg_search_result_free(b);
    mg_searcher_free(e);
    mg_searcher_free(fr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set),     cmocka_unit_test(test_matched_not_weighted),
        cmocka_unit_test(test_relaxed), cmocka_unit_test(test_only_stop_words),
        cmocka_unit_test(test_phrase),  cmocka_unit_test(test_environment_and_language),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
