/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Golden tests of the query engine on corpus/ (52 sample articles and the
 * seed): every language feature with the exact ids expected, facets,
 * collapsing, sorting, paging, suggestions, more-like-this, reopen after a
 * rebuild, and every error code. The index is built by the real
 * morgue-index in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer.h"
#include "query.h"
#include "search.h"
#include "search_fixture.h"

#define SEED "seed/000_28d2b5b5369e82d3.txt"

static char tmp[128];
static char db1[256], db2[256];
static mg_searcher *s1, *s2;

static int setup(void **state)
{
    (void)state;
    if (fx_tmpdir(tmp, sizeof tmp, "search") != 0)
        return -1;
    snprintf(db1, sizeof db1, "%s/db1", tmp);
    snprintf(db2, sizeof db2, "%s/db2", tmp);
    if (fx_index(db1, "1", "corpus") != 0 || fx_index(db2, "2", "corpus") != 0)
        return -1;
    s1 = fx_open(db1);
    s2 = fx_open(db2);
    return s1 && s2 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mg_searcher_free(s1);
    mg_searcher_free(s2);
    return fx_remove(tmp);
}

static mg_search_result *run(const char *q)
{
    mg_search_request req = {.query = q, .limit = 100};
    return fx_search(s1, &req);
}

/* The hit ids, space-separated (static buffer). */
static const char *ids_of(const mg_search_result *r)
{
    static char buf[8192];
    buf[0] = '\0';
    for (size_t i = 0; i < r->nhits; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", r->hits[i].id);
    return buf;
}

/* The exact answer of q (relaxation off: the language's own meaning); with
 * relaxation on, the same ids come first, and any hit after them means the
 * answer was relaxed. */
static void expect_ids(const char *q, const char *want)
{
    mg_search_request req = {.query = q, .limit = 100, .no_relax = true};
    mg_search_result *r = fx_search(s1, &req);
    const char *got = ids_of(r);
    if (strcmp(got, want) != 0)
        print_error("query [%s]\n  expected %s\n  got      %s\n", q, want, got);
    assert_string_equal(got, want);
    assert_false(r->relaxed);
    size_t n = r->nhits;
    mg_search_result_free(r);
    r = run(q);
    got = ids_of(r);
    assert_true(strncmp(got, want, strlen(want)) == 0);
    assert_true(got[strlen(want)] == '\0' || got[strlen(want)] == ' ');
    assert_true(r->relaxed == (r->nhits > n));
    mg_search_result_free(r);
}

static bool has_id(const mg_search_result *r, const char *id)
{
    for (size_t i = 0; i < r->nhits; i++)
        if (strcmp(r->hits[i].id, id) == 0)
            return true;
    return false;
}

/* The wire code of err does not depend on its message. */
static void expect_same_code_reworded(mg_err *err, const char *code)
{
    snprintf(err->msg, sizeof err->msg, "reworded");
    assert_string_equal(mg_search_error_code(err), code);
}

static void expect_error(const char *q, const char *code, const char *msg_part)
{
    mg_search_request req = {.query = q};
    mg_search_result *res = (mg_search_result *)1;
    mg_err err;
    assert_true(mg_search_run(s1, &req, &res, &err) < 0);
    assert_null(res);
    const char *got = mg_search_error_code(&err);
    if (strcmp(got, code) != 0 || !strstr(err.msg, msg_part))
        print_error("query [%s]\n  expected %s (%s)\n  got      %s: %s\n", q, code, msg_part, got,
                    err.msg);
    assert_string_equal(got, code);
    assert_non_null(strstr(err.msg, msg_part));
    expect_same_code_reworded(&err, code);
}

static void test_analysis_matches_index(void **state)
{
    (void)state;
    const char *parade = "hg-2017-0001 pd-2025-0001 " SEED " ah-1988-0001";
    expect_ids("parade", parade);
    expect_ids("Parades", parade);
    expect_ids("PARADE", parade);
    /* the seed article is found by every spelling of the name */
    const char *kim = "pd-2011-0001 pd-2025-0001 pd-2018-0001 " SEED " hg-2017-0001";
    expect_ids("kim jong-un", kim);
    expect_ids("Kim Jong-un", kim);
    expect_ids("\"kim jong un\"", kim);
    /* accents fold both ways */
    expect_ids("muller", "ah-2024-0002 ah-2007-0001 ah-1995-0001");
    expect_ids("Müller", "ah-2024-0002 ah-2007-0001 ah-1995-0001");
    expect_ids("zurich cafe", "ah-2007-0001");
}

static void test_phrases_and_operators(void **state)
{
    (void)state;
    expect_ids("\"military parades\"", "hg-2017-0001 pd-2025-0001 " SEED);
    expect_ids("\"parade military\"", "");
    expect_ids("parade -kim", "ah-1988-0001");
    expect_ids("parade NOT kim", "ah-1988-0001");
    expect_ids("malmo AND cafe", "nb-2013-0001 ah-2007-0001 nb-1999-0001");
    expect_ids("(malmo OR zurich) cafe", "ah-2007-0001 nb-2013-0001 nb-1999-0001");
    /* title: "Kim Jong-un named successor": three words between */
    expect_ids("kim NEAR/3 successor", "pd-2011-0001");
    expect_ids("successor NEAR/3 kim", "pd-2011-0001");
    expect_ids("kim NEAR/2 successor", "");
    /* the same as other engines' phrase slop, and their && and || */
    expect_ids("\"kim successor\"~3", "pd-2011-0001");
    expect_ids("\"successor kim\"~3", "pd-2011-0001");
    expect_ids("\"kim successor\"~2", "");
    expect_ids("(malmo || zurich) && cafe", "ah-2007-0001 nb-2013-0001 nb-1999-0001");
    /* fuzzy words: the indexed words within the edits, first letter kept */
    expect_ids("parode~1", "hg-2017-0001 pd-2025-0001 " SEED " ah-1988-0001");
    expect_ids("parode", "");
    expect_ids("parade~0", "hg-2017-0001 pd-2025-0001 " SEED " ah-1988-0001");
    expect_ids("qarade~1", "");
    expect_ids("mullr~1", "ah-2024-0002 ah-2007-0001 ah-1995-0001");
    expect_ids("Mülr~", "");
    expect_ids("Müllr~", "ah-2024-0002 ah-2007-0001 ah-1995-0001");
    expect_ids("title:kin~1 successor", "pd-2011-0001");
    expect_ids("parad*", "hg-2017-0001 pd-2025-0001 " SEED " ah-1988-0001");
    /* the stem of "government" is "govern": the prefix still finds it */
    mg_search_result *r = run("governm*");
    mg_search_result *g = run("government");
    assert_true(g->nhits > 0);
    assert_true(r->nhits >= g->nhits);
    mg_search_result_free(r);
    mg_search_result_free(g);
    /* NOT alone: everything else */
    mg_search_request all = {.query = "-kim", .limit = 100, .no_collapse = true};
    r = fx_search(s1, &all);
    assert_int_equal(r->total_estimate, 53 - 5);
    assert_int_equal(r->nhits, 53 - 5);
    assert_false(has_id(r, SEED));
    mg_search_result_free(r);
    all.query = "*";
    r = fx_search(s1, &all);
    assert_int_equal(r->total_estimate, 53);
    mg_search_result_free(r);
    /* collapsed: the two pairs of syndicated copies count once */
    all.no_collapse = false;
    r = fx_search(s1, &all);
    assert_int_equal(r->nhits, 51);
    mg_search_result_free(r);
}

static void test_fields(void **state)
{
    (void)state;
    expect_ids("title:parade", "hg-2017-0001 pd-2025-0001 " SEED);
    expect_ids("title:\"military parade\"", "hg-2017-0001 pd-2025-0001 " SEED);
    expect_ids("source:\"pacific dispatch\" kim", "pd-2011-0001 pd-2025-0001 pd-2018-0001");
    expect_ids("source:\"PACIFIC DISPATCH\" kim", "pd-2011-0001 pd-2025-0001 pd-2018-0001");
    expect_ids("category:olympics", "ah-2020-0002 mw-2008-0002");
    expect_ids("author:\"jurg baumann\"", "ah-1995-0001 ah-2024-0002");
    expect_ids("author:\"Jürg Baumann\" marathon", "ah-2024-0002");
    expect_ids("id:mw-1987-0001", "mw-1987-0001");
    expect_ids("id:no-such-id", "");
}

/* source: (and the request's source) matches the folded name whole, else
 * every source whose folded name starts with it. */
static void test_source_by_prefix(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{\"id\":\"n1\",\"title\":\"Budget vote\",\"source\":\"BBC News\"}",
        "{\"id\":\"s1\",\"title\":\"Budget for the cup\",\"source\":\"BBC Sport\"}",
        "{\"id\":\"r1\",\"title\":\"Budget passed\",\"source\":\"Reuters\"}",
        "{\"id\":\"r2\",\"title\":\"Budget talks\",\"source\":\"Reuters Breakingviews\"}",
    };
    char dir[128], db[256], in[256];
    assert_int_equal(fx_tmpdir(dir, sizeof dir, "source"), 0);
    snprintf(db, sizeof db, "%s/db", dir);
    assert_int_equal(fx_index_lines(dir, docs, 4, in, sizeof in, db), 0);
    mg_searcher *s = fx_open(db);
    assert_non_null(s);
    static const struct {
        const char *source, *ids;
    } cases[] = {
        {"bbc", "n1 s1"},   /* a prefix: every source it starts */
        {"BBC News", "n1"}, /* the whole name, any case */
        {"bbc n", "n1"},    /* a unique prefix */
        {"reuters", "r1"},  /* a whole name wins over longer names */
        {"reuters b", "r2"}, {"bbcx", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mg_search_request req = {.query = "budget", .source = cases[i].source, .no_relax = true};
        mg_search_result *r = fx_search(s, &req);
        char want[64];
        snprintf(want, sizeof want, "%s", ids_of(r));
        mg_search_result_free(r);
        char q[64];
        snprintf(q, sizeof q, "budget source:\"%s\"", cases[i].source);
        req = (mg_search_request){.query = q, .no_relax = true};
        r = fx_search(s, &req);
        if (strcmp(want, cases[i].ids) != 0 || strcmp(ids_of(r), cases[i].ids) != 0)
            print_error("source [%s]: expected %s, got %s / %s\n", cases[i].source, cases[i].ids,
                        want, ids_of(r));
        assert_string_equal(want, cases[i].ids);
        assert_string_equal(ids_of(r), cases[i].ids);
        mg_search_result_free(r);
    }
    /* too short a prefix for the cap: a clear error */
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    lim.max_wildcard = 1;
    mg_err err;
    mg_searcher *one = mg_searcher_open(db, &lim, &err);
    assert_non_null(one);
    mg_search_request req = {.query = "budget source:bbc"};
    mg_search_result *r = (mg_search_result *)1;
    assert_true(mg_search_run(one, &req, &r, &err) < 0);
    assert_string_equal(mg_search_error_code(&err), "wildcard_too_broad");
    assert_non_null(strstr(err.msg, "more than 1 sources start with 'bbc'"));
    mg_searcher_free(one);
    assert_int_equal(fx_close(s, dir), 0);
}

static void test_dates(void **state)
{
    (void)state;
    expect_ids("date:2011 kim", "pd-2011-0001");
    expect_ids("kim date:2011-12", "pd-2011-0001");
    expect_ids("kim date:2011-12-19", "pd-2011-0001");
    expect_ids("kim date:2011-12-20..", "pd-2025-0001 pd-2018-0001 hg-2017-0001");
    expect_ids("kim date:..2017-04-15", "pd-2011-0001 hg-2017-0001");
    expect_ids("kim date:2012..2017", "hg-2017-0001");
    mg_search_request req = {.query = "kim", .since = "2012", .until = "2018-06"};
    mg_search_result *r = fx_search(s1, &req);
    assert_string_equal(ids_of(r), "pd-2018-0001 hg-2017-0001");
    mg_search_result_free(r);
    /* days counted back from today, here 20 December 2011 (pd-2011-0001 is
     * of the 19th) */
    assert_int_equal(mg_query_set_today("20111220"), 0);
    expect_ids("kim date:yesterday", "pd-2011-0001");
    expect_ids("kim date:1d..", "pd-2011-0001 pd-2025-0001 pd-2018-0001 hg-2017-0001");
    expect_ids("kim date:today..", "pd-2025-0001 pd-2018-0001 hg-2017-0001");
    mg_search_request rel = {.query = "kim", .since = "2d", .until = "1D"};
    r = fx_search(s1, &rel);
    assert_string_equal(ids_of(r), "pd-2011-0001");
    mg_search_result_free(r);
    assert_int_equal(mg_query_set_today("20180101"), 0);
    rel.since = "1y";
    rel.until = "today";
    r = fx_search(s1, &rel);
    assert_string_equal(ids_of(r), "hg-2017-0001");
    mg_search_result_free(r);
    assert_int_equal(mg_query_set_today(NULL), 0);
    /* every hit of a range holds the range */
    r = run("date:1990..1999-12-31");
    assert_true(r->nhits > 5);
    for (size_t i = 0; i < r->nhits; i++)
        assert_true(strncmp(r->hits[i].date, "1990", 4) >= 0 &&
                    strncmp(r->hits[i].date, "1999", 4) <= 0);
    mg_search_result_free(r);
}

/* The words of a terms request, space-separated, each as word/docs
 * (static buffer); checks what every word must be: not a word of the
 * query, held by 3% of the sample or more, and the word as written
 * folds and stems to its stem. */
static const char *terms_of(const mg_search_result *r, const char *query_stem)
{
    static char buf[4096];
    buf[0] = '\0';
    assert_non_null(r->terms);
    assert_true(r->terms_sample <= MG_TERMS_SAMPLE);
    mg_err err;
    mg_analyzer *an = mg_analyzer_new("english", &err);
    assert_non_null(an);
    for (size_t i = 0; i < r->nterms; i++) {
        const mg_term *t = &r->terms[i];
        char stem[MG_TERM_MAX + 1];
        assert_true(mg_analyze_word(an, t->word, strlen(t->word), 0, stem, sizeof stem, &err) > 0);
        assert_string_equal(stem, t->stem);
        assert_true(strcmp(t->stem, query_stem) != 0);
        /* held by 3% of the sample at least */
        assert_true(t->docs >= (r->terms_sample * 3 + 99) / 100 && t->docs <= r->terms_sample);
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s/%u", i ? " " : "", t->word,
                 t->docs);
    }
    mg_analyzer_free(an);
    return buf;
}

static void test_terms(void **state)
{
    (void)state;
    /* the five kim articles: Korea's names, the parade three of them hold */
    mg_search_request req = {.query = "kim", .limit = 1, .terms = 5};
    mg_search_result *r = fx_search(s1, &req);
    assert_int_equal(r->nhits, 1); /* the page is still the page */
    assert_int_equal(r->terms_sample, 5);
    assert_string_equal(terms_of(r, "kim"), "jong/5 un/5 military/4 parade/3 korea/3");
    mg_search_result_free(r);
    /* the filters narrow the sample: since 2018, two articles, not the
     * 2011 one on the successor */
    req.since = "2018";
    req.terms = 40;
    r = fx_search(s1, &req);
    assert_int_equal(r->terms_sample, 2);
    const char *got = terms_of(r, "kim");
    assert_non_null(strstr(got, "singapore/1"));
    assert_null(strstr(got, "successor"));
    mg_search_result_free(r);
    /* no article with every word: the relaxed ranking's best */
    mg_search_request some = {.query = "cocoa zzzqqq", .terms = 3};
    r = fx_search(s1, &some);
    assert_int_equal(r->all_upper, 0);
    assert_int_equal(r->terms_sample, 1);
    assert_string_equal(terms_of(r, "cocoa"), "bahia/1 outlook/1 harvest/1");
    mg_search_result_free(r);
    /* strict, nothing matches: no sample, no words, but an answer */
    some.no_relax = true;
    r = fx_search(s1, &some);
    assert_int_equal(r->terms_sample, 0);
    assert_int_equal(r->nterms, 0);
    assert_non_null(r->terms);
    mg_search_result_free(r);
    /* stop words never come up, however common */
    mg_search_request common = {.query = "said", .terms = MG_MAX_TERMS};
    r = fx_search(s1, &common);
    assert_true(r->nterms > 20);
    assert_true(r->terms_sample >= 34); /* so no word of one article alone */
    got = terms_of(r, "said");
    static const char *const stops[] = {"the", "and", "of", "to", "a", "in", "was", "it"};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        char w[16];
        snprintf(w, sizeof w, " %s/", stops[i]);
        assert_null(strstr(got, w));
        assert_true(strncmp(got, w + 1, strlen(w + 1)) != 0);
    }
    mg_search_result_free(r);
    /* not asked, not computed */
    mg_search_request plain = {.query = "kim"};
    r = fx_search(s1, &plain);
    assert_null(r->terms);
    assert_int_equal(r->nterms, 0);
    mg_search_result_free(r);
    /* over the cap */
    mg_search_request over = {.query = "kim", .terms = MG_MAX_TERMS + 1};
    mg_search_result *res = NULL;
    mg_err err;
    assert_true(mg_search_run(s1, &over, &res, &err) < 0);
    assert_string_equal(mg_search_error_code(&err), "bad_request");
    assert_non_null(strstr(err.msg, "terms 101 is over 100"));
}

static void test_sort_and_paging(void **state)
{
    (void)state;
    mg_search_request req = {.query = "kim", .sort = MG_SORT_NEWEST};
    mg_search_result *r = fx_search(s1, &req);
    assert_string_equal(ids_of(r), "pd-2025-0001 pd-2018-0001 hg-2017-0001 pd-2011-0001 " SEED);
    mg_search_result_free(r);
    req.sort = MG_SORT_OLDEST;
    r = fx_search(s1, &req);
    /* undated documents last either way */
    assert_string_equal(ids_of(r), "pd-2011-0001 hg-2017-0001 pd-2018-0001 pd-2025-0001 " SEED);
    mg_search_result_free(r);
    /* pages join up into the whole list, ranks count on */
    mg_search_request all = {.query = "the", .limit = 50};
    mg_search_result *whole = fx_search(s1, &all);
    assert_true(whole->nhits >= 20);
    for (size_t off = 0; off < 20; off += 7) {
        mg_search_request page = {.query = "the", .offset = off, .limit = 7};
        mg_search_result *p = fx_search(s1, &page);
        for (size_t i = 0; i < p->nhits; i++) {
            assert_string_equal(p->hits[i].id, whole->hits[off + i].id);
            assert_int_equal(p->hits[i].rank, off + i + 1);
        }
        mg_search_result_free(p);
    }
    assert_true(whole->total_exact);
    assert_int_equal(whole->total_lower, whole->total_upper);
    mg_search_result_free(whole);
}

static void test_facets_and_collapse(void **state)
{
    (void)state;
    mg_search_request req = {.query = "kim",
                             .facets = MG_FACET_SOURCE | MG_FACET_CATEGORY | MG_FACET_YEAR |
                                       MG_FACET_MONTH,
                             .limit = 1};
    mg_search_result *r = fx_search(s1, &req);
    assert_int_equal(r->nfacets, 4);
    assert_string_equal(r->facets[0].name, "source");
    assert_string_equal(r->facets[0].values[0].value, "Pacific Dispatch");
    assert_int_equal(r->facets[0].values[0].count, 3);
    assert_string_equal(r->facets[1].name, "category");
    assert_string_equal(r->facets[1].values[0].value, "north korea");
    assert_int_equal(r->facets[1].values[0].count, 4);
    assert_string_equal(r->facets[2].name, "year");
    /* four years in date order, then the seed's article without a date */
    assert_int_equal(r->facets[2].nvalues, 5);
    assert_string_equal(r->facets[2].values[4].value, MG_FACET_UNDATED);
    assert_int_equal(r->facets[2].values[4].count, 1);
    assert_string_equal(r->facets[3].name, "month");
    assert_string_equal(r->facets[3].values[0].value, "2011-12");
    assert_true(r->total_exact);
    for (size_t f = 2; f < 4; f++) {
        unsigned long sum = 0;
        for (size_t k = 0; k < r->facets[f].nvalues; k++) {
            sum += r->facets[f].values[k].count;
            if (k > 0)
                assert_true(strcmp(r->facets[f].values[k - 1].value, r->facets[f].values[k].value) <
                            0);
        }
        assert_int_equal(sum, r->total_lower);
    }
    mg_search_result_free(r);

    /* ISO weeks and days; a relaxed query's facets count its partial matches too */
    mg_search_request wd = {.query = "kim parade", .facets = MG_FACET_WEEK | MG_FACET_DAY};
    r = fx_search(s1, &wd);
    assert_true(r->relaxed);
    assert_int_equal(r->nfacets, 2);
    assert_string_equal(r->facets[0].name, "week");
    assert_string_equal(r->facets[1].name, "day");
    for (size_t f = 0; f < 2; f++) {
        unsigned long sum = 0;
        for (size_t k = 0; k < r->facets[f].nvalues; k++)
            sum += r->facets[f].values[k].count;
        assert_int_equal(sum, r->total_lower);
        assert_true(r->total_lower > r->all_lower);
    }
    assert_string_equal(r->facets[0].values[0].value, "1988-W06");
    assert_string_equal(r->facets[1].values[0].value, "1988-02-14");
    mg_search_result_free(r);

    /* syndicated copies fold into one hit */
    mg_search_request c = {.query = "notre-dame fire"};
    r = fx_search(s1, &c);
    assert_int_equal(r->nhits, 1);
    assert_int_equal(r->hits[0].collapsed, 1);
    mg_search_result_free(r);
    c.no_collapse = true;
    r = fx_search(s1, &c);
    assert_string_equal(ids_of(r), "hg-2019-0001 mw-2019-0001");
    assert_int_equal(r->hits[0].collapsed, 0);
    mg_search_result_free(r);
}

/* The request fails with this error code. */
static void expect_code(const mg_search_request *req, const char *code)
{
    mg_search_result *r = NULL;
    mg_err err;
    assert_true(mg_search_run(s1, req, &r, &err) < 0);
    assert_null(r);
    assert_string_equal(mg_search_error_code(&err), code);
    expect_same_code_reworded(&err, code);
}

/* Pages after a cursor are the ranking's, in order, each hit once; the
 * relaxed ranking's partial matches included. */
static void test_export_cursor(void **state)
{
    (void)state;
    mg_search_request all = {.query = "kim parade", .limit = 100};
    mg_search_result *whole = fx_search(s1, &all);
    char want[8192];
    snprintf(want, sizeof want, "%s", ids_of(whole));
    assert_true(whole->relaxed && whole->nhits > 4);
    assert_null(whole->next); /* not asked for */

    mg_search_request page = {.query = "kim parade", .limit = 2, .cursor = true};
    char got[8192] = "", *after = NULL;
    size_t pages = 0;
    for (;;) {
        page.after = after;
        mg_search_result *p = fx_search(s1, &page);
        for (size_t i = 0; i < p->nhits; i++) {
            assert_int_equal(p->hits[i].rank, pages * 2 + i + 1);
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", got[0] ? " " : "",
                     p->hits[i].id);
        }
        free(after);
        after = p->next ? strdup(p->next) : NULL;
        assert_true(p->nhits == 2 || !p->next);
        mg_search_result_free(p);
        pages++;
        if (!after)
            break;
    }
    assert_string_equal(got, want);
    assert_int_equal(pages, (whole->nhits + 2) / 2);

    /* a cursor from another revision, or whose hit moved, is stale */
    mg_search_request first = {.query = "kim parade", .limit = 2, .cursor = true};
    mg_search_result *p = fx_search(s1, &first);
    char token[512];
    const char *dot = strchr(p->next, '.');
    snprintf(token, sizeof token, "9%s", p->next);
    page.after = token;
    expect_code(&page, "stale_cursor");
    snprintf(token, sizeof token, "%.*s.1.%s", (int)(dot - p->next), p->next, p->hits[1].id);
    expect_code(&page, "stale_cursor");
    snprintf(token, sizeof token, "%.*s.2.%s", (int)(dot - p->next), p->next, p->hits[1].id);
    mg_search_result *again = fx_search(s1, &page);
    assert_string_equal(again->hits[0].id, whole->hits[2].id);
    mg_search_result_free(again);
    page.after = "not a cursor";
    expect_code(&page, "bad_cursor");
    page.after = p->next;
    page.offset = 3;
    expect_code(&page, "bad_cursor");
    mg_search_result_free(p);
    mg_search_result_free(whole);
}

/* The sources and categories of the index, by folded name, as articles
 * spell them, the most frequent first. */
static void test_values(void **state)
{
    (void)state;
    mg_values v;
    mg_err err;
    assert_int_equal(mg_search_values(s1, "source", 2, &v, &err), 0);
    assert_int_equal(v.n, 2);
    assert_true(v.total > 2);
    assert_true(v.values[0].count >= v.values[1].count);
    /* each count is what source: finds */
    for (size_t i = 0; i < v.n; i++) {
        char q[256];
        snprintf(q, sizeof q, "source:\"%s\"", v.values[i].value);
        mg_search_request req = {.query = q, .limit = 1, .no_collapse = true};
        mg_search_result *r = fx_search(s1, &req);
        assert_int_equal(r->total_lower, v.values[i].count);
        /* "Pacific Dispatch", not the folded "pacific dispatch" */
        assert_true(v.values[i].value[0] >= 'A' && v.values[i].value[0] <= 'Z');
        mg_search_result_free(r);
    }
    mg_values_release(&v);
    assert_int_equal(mg_search_values(s1, "category", 1000, &v, &err), 0);
    assert_int_equal(v.n, v.total);
    bool korea = false;
    for (size_t i = 0; i < v.n; i++)
        korea = korea || strcmp(v.values[i].value, "north korea") == 0;
    assert_true(korea);
    mg_values_release(&v);
    assert_int_equal(mg_search_values(s1, "author", 10, &v, &err), -MG_EINVAL);
    assert_string_equal(mg_search_error_code(&err), "bad_request");
}

static void test_relax_and_suggest(void **state)
{
    (void)state;
    mg_search_result *r = run("kim xyzzy");
    assert_true(r->relaxed);
    assert_int_equal(r->nhits, 5);
    mg_search_result_free(r);
    mg_search_request req = {.query = "kim xyzzy", .no_relax = true};
    r = fx_search(s1, &req);
    assert_false(r->relaxed);
    assert_int_equal(r->nhits, 0);
    mg_search_result_free(r);
    /* a page the AND fills holds the AND hits, every word in each; the
     * ranking goes on with the partial matches all the same */
    mg_search_request zq = {.query = "zurich cafe", .limit = 100, .no_relax = true};
    mg_search_result *strict = fx_search(s1, &zq);
    size_t n_and = strict->nhits;
    assert_true(n_and >= 1);
    zq.no_relax = false;
    zq.limit = n_and;
    r = fx_search(s1, &zq);
    assert_true(r->relaxed);
    assert_null(r->suggestion);
    assert_string_equal(ids_of(r), ids_of(strict));
    for (size_t i = 0; i < r->nhits; i++)
        assert_false(r->hits[i].partial);
    assert_true(r->all_exact && r->all_estimate == strict->total_estimate);
    mg_search_result_free(r);
    /* the next page of that size: the documents with only some of the words */
    zq.offset = n_and;
    r = fx_search(s1, &zq);
    assert_true(r->relaxed);
    assert_true(r->nhits > 0);
    for (size_t i = 0; i < r->nhits; i++)
        assert_true(r->hits[i].partial && !has_id(strict, r->hits[i].id));
    mg_search_result_free(r);
    /* the whole ranking: the AND hits first, in their order, then the
     * documents with only one of the words; totals add up */
    zq.offset = 0;
    zq.limit = 100;
    zq.facets = MG_FACET_YEAR;
    r = fx_search(s1, &zq);
    assert_true(r->relaxed);
    assert_true(r->nhits > n_and);
    for (size_t i = 0; i < n_and; i++)
        assert_string_equal(r->hits[i].id, strict->hits[i].id);
    mg_search_request oq = {.query = "zurich OR cafe", .limit = 100, .facets = MG_FACET_YEAR};
    mg_search_result *any = fx_search(s1, &oq);
    assert_int_equal(r->nhits, any->nhits);
    assert_true(r->total_exact && any->total_exact);
    assert_int_equal(r->total_estimate, any->total_estimate);
    for (size_t i = 0; i < r->nhits; i++) {
        assert_true(has_id(any, r->hits[i].id));
        assert_true((i < n_and) == has_id(strict, r->hits[i].id));
        assert_true((i >= n_and) == r->hits[i].partial);
        assert_int_equal(r->hits[i].rank, i + 1);
    }
    /* facets over the whole OR match set, as the OR query counts them */
    assert_int_equal(r->nfacets, 1);
    assert_int_equal(r->facets[0].nvalues, any->facets[0].nvalues);
    for (size_t i = 0; i < r->facets[0].nvalues; i++) {
        assert_string_equal(r->facets[0].values[i].value, any->facets[0].values[i].value);
        assert_int_equal(r->facets[0].values[i].count, any->facets[0].values[i].count);
    }
    mg_search_result_free(any);
    /* pages of every size are windows into that one ranking, with the same
     * totals: the hits never depend on the page size */
    for (size_t size = 1; size <= n_and + 3; size++) {
        zq.limit = size;
        zq.facets = 0;
        for (size_t off = 0; off < r->nhits; off += size) {
            zq.offset = off;
            mg_search_result *p = fx_search(s1, &zq);
            assert_true(p->relaxed);
            assert_true(p->total_exact);
            assert_int_equal(p->total_estimate, r->total_estimate);
            assert_int_equal(p->all_estimate, n_and);
            assert_int_equal(p->nhits, off + size <= r->nhits ? size : r->nhits - off);
            for (size_t i = 0; i < p->nhits; i++) {
                assert_string_equal(p->hits[i].id, r->hits[off + i].id);
                assert_int_equal(p->hits[i].rank, off + i + 1);
                assert_true(p->hits[i].partial == r->hits[off + i].partial);
            }
            mg_search_result_free(p);
        }
    }
    mg_search_result_free(r);
    mg_search_result_free(strict);
    /* a long query whose AND cannot fill the page too: the documents with
     * every word first */
    const char *longq = "kim military parade beijing anniversary";
    mg_search_request lq = {.query = longq, .no_relax = true};
    r = fx_search(s1, &lq);
    assert_string_equal(ids_of(r), "pd-2025-0001 " SEED);
    mg_search_result_free(r);
    lq.no_relax = false;
    r = fx_search(s1, &lq);
    assert_true(r->relaxed);
    assert_true(r->nhits > 2);
    assert_true(strncmp(ids_of(r), "pd-2025-0001 " SEED " ", strlen("pd-2025-0001 " SEED " ")) ==
                0);
    /* pages of a relaxed query join up */
    mg_search_result *p1, *p2;
    lq.limit = 3;
    p1 = fx_search(s1, &lq);
    lq.offset = 3;
    p2 = fx_search(s1, &lq);
    assert_true(p1->relaxed && p2->relaxed);
    assert_int_equal(p1->nhits + p2->nhits, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(i < 3 ? p1->hits[i].id : p2->hits[i - 3].id, r->hits[i].id);
    mg_search_result_free(p1);
    mg_search_result_free(p2);
    mg_search_result_free(r);
    lq.offset = 0;
    lq.limit = 2; /* the AND fills this page: its two hits, every word in each */
    r = fx_search(s1, &lq);
    assert_true(r->relaxed);
    assert_int_equal(r->nhits, 2);
    assert_false(r->hits[0].partial || r->hits[1].partial);
    assert_int_equal(r->all_estimate, 2);
    assert_true(r->total_estimate > 2);
    mg_search_result_free(r);
    /* a word in most documents must match but adds no weight */
    mg_search_request common = {.query = "the", .limit = 3, .no_collapse = true};
    r = fx_search(s1, &common);
    assert_true(r->total_estimate > 26);
    assert_true(r->hits[0].score == 0.0);
    mg_search_result_free(r);
    r = run("parde");
    /* a word of the index with the stem closest to the typo */
    assert_non_null(r->suggestion);
    assert_true(strncmp(r->suggestion, "parade", 6) == 0);
    mg_search_result_free(r);
    r = run("Beijng parade");
    assert_string_equal(r->suggestion, "beijing parade");
    assert_true(r->relaxed);
    mg_search_result_free(r);
}

/* a and b: the same hits with the same scores, in the same order. */
static void assert_same_ranking(const mg_search_result *a, const mg_search_result *b)
{
    assert_int_equal(a->nhits, b->nhits);
    for (size_t k = 0; k < a->nhits; k++) {
        assert_string_equal(a->hits[k].id, b->hits[k].id);
        assert_true(a->hits[k].score == b->hits[k].score);
    }
}

/* Totals are counted apart from the page: the same on every page of a
 * query; exact under count_exact matches, past it an estimate whose bounds
 * hold the true count (which facets give, counting every match). (The
 * count leaves proximity pairs out: Xapian proves "said OR new OR year"
 * exact from its terms' frequencies alone, so this query it cannot.) */
static void test_totals_the_same_on_every_page(void **state)
{
    (void)state;
    const char *q = "new OR year OR market";
    mg_search_request fq = {.query = q, .limit = 1, .facets = MG_FACET_SOURCE};
    mg_search_result *f = fx_search(s1, &fq);
    unsigned long long want = f->total_estimate;
    assert_true(f->total_exact && want > 15);
    mg_search_result_free(f);
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    lim.count_exact = 5;
    mg_err err;
    mg_searcher *few = mg_searcher_open(db1, &lim, &err);
    assert_non_null(few);
    mg_searcher *both[2] = {s1, few};
    for (int k = 0; k < 2; k++) {
        mg_search_request req = {.query = q, .limit = 3};
        mg_search_result *first = fx_search(both[k], &req);
        if (k == 0)
            assert_true(first->total_exact && first->total_estimate == want);
        else /* (a lower bound under the true count: the count stopped
              * early instead of reading every match, which a sort of the
              * count by id made it do) */
            assert_true(!first->total_exact && first->total_lower >= 5 &&
                        first->total_lower < want && want <= first->total_upper &&
                        first->total_lower <= first->total_estimate &&
                        first->total_estimate <= first->total_upper);
        for (req.offset = 3; req.offset < want; req.offset += 3) {
            mg_search_result *r = fx_search(both[k], &req);
            assert_int_equal(r->total_estimate, first->total_estimate);
            assert_int_equal(r->total_lower, first->total_lower);
            assert_int_equal(r->total_upper, first->total_upper);
            mg_search_result_free(r);
        }
        mg_search_result_free(first);
    }
    mg_searcher_free(few);
}

/* A hit's copy count is exact, also when its copy ranks far below the page
 * (the quick relevance page fetches a few ranks past its end, and Xapian
 * counts only the copies its pruned match meets): "copy" has the words of
 * "first" (one near-duplicate key) but a long body, so 30 fillers rank
 * between them. An index without the near-duplicate terms (MG_META_DUPTERMS
 * absent: updated by schema 4, not rebuilt) keeps the lower bound. */
static void test_copies_counted_exactly(void **state)
{
    (void)state;
    enum { NF = 30, NO = 40 }; /* fillers; others (walrus must weigh) */
    static char buf[NF + 2 + NO][2048];
    const char *lines[NF + 2 + NO];
    char floes[1200] = "";
    for (int i = 0; i < 200; i++)
        strcat(floes, " floe");
    snprintf(buf[0], sizeof buf[0],
             "{\"id\":\"first\",\"title\":\"Walrus report\",\"body\":\"walrus seal ice floe\"}");
    snprintf(buf[1], sizeof buf[1],
             "{\"id\":\"copy\",\"title\":\"Walrus report\",\"body\":\"walrus seal ice%s\"}", floes);
    for (int i = 0; i < NF; i++) {
        char words[400] = "";
        for (int k = 0; k < 10 + i / 2; k++)
            snprintf(words + strlen(words), sizeof words - strlen(words), " w%dx%d", i, k);
        snprintf(buf[i + 2], sizeof buf[i + 2],
                 "{\"id\":\"f%02d\",\"title\":\"Note %d\",\"body\":\"walrus%s\"}", i, i, words);
    }
    for (int i = 0; i < NO; i++)
        snprintf(buf[NF + 2 + i], sizeof buf[NF + 2 + i],
                 "{\"id\":\"o%02d\",\"title\":\"Other %d\",\"body\":\"penguin o%d\"}", i, i, i);
    for (int i = 0; i < NF + 2 + NO; i++)
        lines[i] = buf[i];
    char dir[128], in[256], db[256];
    assert_int_equal(fx_tmpdir(dir, sizeof dir, "copies"), 0);
    snprintf(db, sizeof db, "%s/db", dir);
    assert_int_equal(fx_index_lines(dir, lines, NF + 2 + NO, in, sizeof in, db), 0);
    mg_search_request req = {.query = "walrus", .limit = 10};
    for (int pass = 0; pass < 2; pass++) {
        mg_searcher *s = fx_open(db);
        assert_non_null(s);
        mg_search_result *r = fx_search(s, &req);
        assert_int_equal(r->total_estimate, NF + 2);
        assert_string_equal(r->hits[0].id, "first");
        for (size_t i = 1; i < r->nhits; i++)
            assert_string_not_equal(r->hits[i].id, "copy");
        /* exact with the terms; without, the copies the page met (none) */
        assert_int_equal(r->hits[0].collapsed, pass == 0 ? 1 : 0);
        /* the last page holds no copy: its group is folded into "first" */
        mg_search_request last = {.query = "walrus", .offset = 20, .limit = 20};
        mg_search_result *l = fx_search(s, &last);
        assert_int_equal(l->nhits, NF + 1 - 20);
        for (size_t i = 0; i < l->nhits; i++)
            assert_string_not_equal(l->hits[i].id, "copy");
        mg_search_result_free(l);
        mg_search_result_free(r);
        mg_searcher_free(s);
        if (pass == 0) /* as an index never rebuilt by schema 4 */
            assert_int_equal(fx_forget_dupterms(db), 0);
    }
    assert_int_equal(fx_remove(dir), 0);
}

static void test_like(void **state)
{
    (void)state;
    mg_search_result *r = run("like:pd-2025-0001");
    assert_true(r->nhits >= 3);
    assert_false(has_id(r, "pd-2025-0001"));
    assert_true(has_id(r, SEED));
    assert_true(has_id(r, "hg-2017-0001"));
    mg_search_result_free(r);
    /* the snippets highlight the words that made them similar */
    mg_search_request req = {
        .query = "like:pd-2025-0001", .snippets = true, .hl_start = "[", .hl_end = "]", .limit = 1};
    r = fx_search(s1, &req);
    assert_int_equal(r->nhits, 1);
    assert_non_null(strstr(r->hits[0].snippet, "[parade]"));
    mg_search_result_free(r);
    expect_error("like:nope", "like_not_found", "no document with id 'nope'");
}

static void test_snippets_in_hits(void **state)
{
    (void)state;
    mg_search_request req = {
        .query = "muller", .snippets = true, .hl_start = "<<", .hl_end = ">>", .limit = 1};
    mg_search_result *r = fx_search(s1, &req);
    assert_string_equal(r->hits[0].id, "ah-2024-0002");
    assert_non_null(strstr(r->hits[0].snippet, "<<Müller>>"));
    mg_search_result_free(r);
    req.query = "jong-un parades";
    req.limit = 10;
    r = fx_search(s1, &req);
    assert_true(has_id(r, SEED));
    for (size_t i = 0; i < r->nhits; i++)
        if (strcmp(r->hits[i].id, SEED) == 0) {
            assert_non_null(strcasestr(r->hits[i].snippet, "<<Jong-un>>"));
            assert_non_null(strstr(r->hits[i].snippet, "<<parade>>"));
        }
    mg_search_result_free(r);
    req.query = "s&p";
    req.html = true;
    req.hl_start = "<b>";
    req.hl_end = "</b>";
    r = fx_search(s1, &req);
    for (size_t i = 0; i < r->nhits; i++)
        assert_null(strstr(r->hits[i].snippet, "&P"));
    mg_search_result_free(r);
}

static void test_thread_count_does_not_change_results(void **state)
{
    (void)state;
    const char *queries[] = {"the", "kim", "market prices", "bank OR banks", "\"north korea\"",
                             "city"};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        mg_search_request req = {.query = queries[i], .limit = 60};
        mg_search_result *a = fx_search(s1, &req), *b = fx_search(s2, &req);
        assert_same_ranking(a, b);
        mg_search_result_free(a);
        mg_search_result_free(b);
    }
}

/* The score of document id in r, or -1. */
static double score_of(const mg_search_result *r, const char *id)
{
    for (size_t i = 0; i < r->nhits; i++)
        if (strcmp(r->hits[i].id, id) == 0)
            return r->hits[i].score;
    return -1;
}

/* A searcher with the default limits and the environment's settings, as
 * morgued and morgue open theirs. */
static mg_searcher *open_as_programs_do(const char *db)
{
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    mg_search_limits_from_env(&lim, getenv);
    mg_err err;
    return mg_searcher_open(db, &lim, &err);
}

/* MORGUE_RANKING picks the model, as the limits do: BM25+ from the
 * environment equals BM25+ from mg_search_limits, and raises every hit's
 * BM25 score (its delta adds a positive idf share per matched word); an
 * unknown name keeps BM25. The library itself reads no environment: a
 * searcher opened without mg_search_limits_from_env ranks by BM25. */
static void test_ranking_model_from_environment(void **state)
{
    (void)state;
    mg_search_request req = {.query = "market OR prices OR bank", .limit = 100};
    mg_err err;
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    lim.ranking = MG_RANK_BM25PLUS;
    lim.bm25_delta = 1.0;
    mg_searcher *by_limits = mg_searcher_open(db1, &lim, &err);
    assert_non_null(by_limits);
    setenv("MORGUE_RANKING", "bm25plus", 1);
    mg_searcher *by_env = open_as_programs_do(db1);
    mg_searcher *lib_alone = fx_open(db1);
    setenv("MORGUE_RANKING", "no-such-model", 1);
    mg_searcher *unknown = open_as_programs_do(db1);
    unsetenv("MORGUE_RANKING");
    assert_non_null(by_env);
    assert_non_null(unknown);
    assert_non_null(lib_alone);

    mg_search_result *bm25 = fx_search(s1, &req), *plus = fx_search(by_env, &req),
                     *plus2 = fx_search(by_limits, &req), *other = fx_search(unknown, &req),
                     *alone = fx_search(lib_alone, &req);
    assert_same_ranking(alone, bm25);
    mg_search_result_free(alone);
    mg_searcher_free(lib_alone);
    assert_true(bm25->nhits > 3);
    assert_int_equal(plus->nhits, bm25->nhits);
    assert_int_equal(plus2->nhits, bm25->nhits);
    assert_int_equal(other->nhits, bm25->nhits);
    for (size_t i = 0; i < plus->nhits; i++) {
        assert_string_equal(plus->hits[i].id, plus2->hits[i].id);
        assert_true(plus->hits[i].score == plus2->hits[i].score);
        assert_true(plus->hits[i].score > score_of(bm25, plus->hits[i].id));
        assert_string_equal(other->hits[i].id, bm25->hits[i].id);
        assert_true(other->hits[i].score == bm25->hits[i].score);
    }
    mg_search_result_free(bm25);
    mg_search_result_free(plus);
    mg_search_result_free(plus2);
    mg_search_result_free(other);
    mg_searcher_free(by_limits);
    mg_searcher_free(by_env);
    mg_searcher_free(unknown);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("", "empty_query", "empty query");
    expect_error("kim \"jong", "unbalanced_quote", "unbalanced quote at column 5");
    expect_error("(kim", "unbalanced_paren", "unbalanced parenthesis at column 1");
    expect_error("titel:kim", "unknown_field", "unknown field 'titel:' at column 1");
    expect_error("date:1987-02-30", "bad_date", "bad date at column 6");
    expect_error("k*", "wildcard_too_short", "wildcard prefix too short at column 1");
    expect_error("a OR", "missing_operand", "missing operand at column 3");
    expect_error("a NEAR/x b", "bad_near", "bad NEAR at column 3");
    expect_error("title:", "missing_value", "missing value at column 1");
    /* a ')' that closes nothing is punctuation: pasted list markers */
    expect_ids("military) parade :)", "hg-2017-0001 pd-2025-0001 " SEED);
    expect_error("!!! ...", "no_words", "no searchable words");
    /* after analysis: a phrase of 70 words is 70 terms */
    char many[2000] = "\"";
    for (int i = 0; i < 70; i++)
        strcat(many, "word ");
    strcat(many, "\"");
    expect_error(many, "too_many_terms", "too many terms at column 1: more than 64");

    mg_search_limits lim;
    mg_search_limits_default(&lim);
    lim.max_wildcard = 3;
    mg_err err;
    mg_searcher *s = mg_searcher_open(db1, &lim, &err);
    assert_non_null(s);
    mg_search_request req = {.query = "kim ma*"};
    mg_search_result *res;
    assert_true(mg_search_run(s, &req, &res, &err) < 0);
    assert_string_equal(mg_search_error_code(&err), "wildcard_too_broad");
    assert_string_equal(err.msg, "wildcard matches too many terms at column 5: 'ma*' matches "
                                 "more than 3 terms (make the prefix longer)");
    mg_searcher_free(s);

    struct {
        mg_search_request req;
        const char *code, *msg;
    } bad[] = {
        {{.query = "x", .limit = 1001}, "bad_paging", "bad paging: limit 1001 is over 1000"},
        {{.query = "x", .offset = 9995, .limit = 10},
         "bad_paging",
         "bad paging: offset+limit 10005 is over 10000"},
        {{.query = "x", .sort = 7}, "bad_sort", "bad sort: 7"},
        {{.query = "x", .since = "1987-13"},
         "bad_date",
         "bad date in since: '1987-13' (no such month)"},
        {{.query = "x", .until = "soon"},
         "bad_date",
         "bad date in until: 'soon' (expected YYYY, YYYY-MM, YYYY-MM-DD, today, yesterday or "
         "Nd, Nw, Nm, Ny)"},
        {{.query = "x", .since = "2000", .until = "1999"},
         "bad_date",
         "bad date range: since 2000 is after until 1999"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_true(mg_search_run(s1, &bad[i].req, &res, &err) < 0);
        assert_int_equal(err.code, MG_EINVAL);
        assert_string_equal(mg_search_error_code(&err), bad[i].code);
        assert_string_equal(err.msg, bad[i].msg);
        expect_same_code_reworded(&err, bad[i].code);
    }
    assert_null(mg_searcher_open("/nonexistent/morgue-db", NULL, &err));
    assert_int_equal(err.code, MG_ENOTFOUND);
    assert_string_equal(mg_search_error_code(&err), "not_found");
}

static const char *const *fake_env;

/* getenv over fake_env, "NAME=VALUE" strings ending with NULL. */
static char *fake_getenv(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = fake_env; *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return (char *)(uintptr_t)(*e + n + 1);
    return NULL;
}

/* The environment's forms of the ranking settings, into the limits; a
 * malformed value changes nothing; "0" turns proximity off (in the limits,
 * 0 would be its default). */
static void test_limits_from_env(void **state)
{
    (void)state;
    mg_search_limits lim, d;
    mg_search_limits_default(&d);
    const char *none[] = {"HOME=/", NULL};
    fake_env = none;
    lim = d;
    mg_search_limits_from_env(&lim, fake_getenv);
    assert_memory_equal(&lim, &d, sizeof lim);

    const char *all[] = {"MORGUE_RANKING=bm25l", "MORGUE_BM25=1.2,0.5,0.25", "MORGUE_STOPWORDS=0",
                         "MORGUE_PROXIMITY=0.3,5", NULL};
    fake_env = all;
    lim = d;
    mg_search_limits_from_env(&lim, fake_getenv);
    assert_int_equal(lim.ranking, MG_RANK_BM25L);
    assert_true(lim.bm25_k1 == 1.2 && lim.bm25_b == 0.5 && lim.bm25_delta == 0.25);
    assert_int_equal(lim.stopwords, -1);
    assert_true(lim.proximity == 0.3);
    assert_int_equal(lim.proximity_window, 5);

    const char *off[] = {"MORGUE_PROXIMITY=0", "MORGUE_STOPWORDS=1", "MORGUE_RANKING=dfr", NULL};
    fake_env = off;
    lim = d;
    lim.stopwords = -1;
    mg_search_limits_from_env(&lim, fake_getenv);
    assert_true(lim.proximity < 0);
    assert_int_equal(lim.proximity_window, 0);
    assert_int_equal(lim.stopwords, 0);
    assert_int_equal(lim.ranking, MG_RANK_DFR);

    const char *bad[] = {"MORGUE_RANKING=bm26", "MORGUE_BM25=1.2",
                         "MORGUE_STOPWORDS=", "MORGUE_PROXIMITY=-1", NULL};
    fake_env = bad;
    lim = d;
    mg_search_limits_from_env(&lim, fake_getenv);
    assert_memory_equal(&lim, &d, sizeof lim);
    const char *bad2[] = {"MORGUE_BM25=1.2,1.5", "MORGUE_PROXIMITY=x", NULL};
    fake_env = bad2;
    mg_search_limits_from_env(&lim, fake_getenv);
    assert_memory_equal(&lim, &d, sizeof lim);
}

/* Each wire code comes from the error's code and detail, set where the
 * error is raised; a message that merely starts like one is not it. */
static void test_error_codes_from_detail(void **state)
{
    (void)state;
    static const struct {
        int detail;
        const char *code;
    } kinds[] = {{MG_RE_BAD_DATE, "bad_date"},         {MG_RE_BAD_PAGING, "bad_paging"},
                 {MG_RE_BAD_SORT, "bad_sort"},         {MG_RE_BAD_CURSOR, "bad_cursor"},
                 {MG_RE_STALE_CURSOR, "stale_cursor"}, {MG_RE_TOO_COSTLY, "too_costly"}};
    mg_err err;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        mg_err_set_detail(&err, MG_EINVAL, kinds[i].detail, "anything");
        assert_string_equal(mg_search_error_code(&err), kinds[i].code);
    }
    mg_err_set(&err, MG_EINVAL, "bad paging: said, but not raised as one");
    assert_string_equal(mg_search_error_code(&err), "bad_request");
    mg_err_set_detail(&err, MG_EINVAL, 99, "bad sort: an unknown detail");
    assert_string_equal(mg_search_error_code(&err), "bad_request");
    mg_err_set(&err, MG_EQUERY, "unbalanced quote: said, but not raised as one");
    assert_string_equal(mg_search_error_code(&err), "bad_query");
    /* a detail does not outlive its error */
    mg_err_set_detail(&err, MG_EINVAL, MG_RE_BAD_SORT, "bad sort");
    mg_err_set(&err, MG_EINVAL, "something else");
    assert_string_equal(mg_search_error_code(&err), "bad_request");

    /* too_costly, raised by the matcher: a NEAR repeating a word */
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    lim.max_cost = 1;
    mg_searcher *s = mg_searcher_open(db1, &lim, &err);
    assert_non_null(s);
    mg_search_request req = {.query = "kim NEAR kim NEAR kim"};
    mg_search_result *res = NULL;
    assert_true(mg_search_run(s, &req, &res, &err) < 0);
    assert_null(res);
    assert_int_equal(err.code, MG_EINVAL);
    assert_non_null(strstr(err.msg, "too costly"));
    assert_string_equal(mg_search_error_code(&err), "too_costly");
    expect_same_code_reworded(&err, "too_costly");
    mg_searcher_free(s);

    /* and more fuzzy words than MG_MAX_FUZZY, each a scan of the terms */
    char many[200] = "";
    for (int i = 0; i < MG_MAX_FUZZY; i++)
        strcat(many, "parade~ ");
    mg_search_request fz = {.query = many};
    assert_int_equal(mg_search_run(s1, &fz, &res, &err), 0);
    assert_true(res->nhits > 0);
    mg_search_result_free(res);
    strcat(many, "kim~");
    assert_true(mg_search_run(s1, &fz, &res, &err) < 0);
    assert_null(res);
    assert_string_equal(mg_search_error_code(&err), "too_costly");
    assert_non_null(strstr(err.msg, "11 fuzzy words (word~), at most 10"));
}

static void test_get_and_stats(void **state)
{
    (void)state;
    mg_record rec;
    mg_record_init(&rec);
    mg_err err;
    assert_int_equal(mg_searcher_get(s1, "ah-2024-0002", &rec, &err), 0);
    assert_non_null(strstr(rec.title, "Müller"));
    mg_record_release(&rec);
    assert_int_equal(mg_searcher_get(s1, "nope", &rec, &err), -MG_ENOTFOUND);
    assert_string_equal(err.msg, "no document with id 'nope'");
    mg_searcher_info st;
    assert_int_equal(mg_searcher_stats(s1, &st, &err), 0);
    assert_int_equal(st.documents, 53);
    assert_string_equal(st.lang, "english");
    assert_true(st.updated_unix > 0);
    assert_non_null(strstr(st.path, "db1.gens/"));
}

static void test_reopen_sees_rebuild(void **state)
{
    (void)state;
    char db[300];
    snprintf(db, sizeof db, "%s/db3", tmp);
    assert_int_equal(fx_index(db, "1", "corpus/samples.jsonl"), 0);
    mg_err err;
    mg_searcher *s = mg_searcher_open(db, NULL, &err);
    assert_non_null(s);
    mg_searcher_info st;
    assert_int_equal(mg_searcher_stats(s, &st, &err), 0);
    assert_int_equal(st.documents, 52);
    char first[4096];
    snprintf(first, sizeof first, "%s", st.path);
    assert_int_equal(mg_searcher_reopen(s, &err), 0); /* nothing changed */
    /* a rebuild switches the symlink to a new generation */
    assert_int_equal(fx_index(db, "1", "corpus"), 0);
    assert_int_equal(mg_searcher_reopen(s, &err), 1);
    assert_int_equal(mg_searcher_stats(s, &st, &err), 0);
    assert_int_equal(st.documents, 53);
    assert_string_not_equal(st.path, first);
    mg_search_request req = {.query = "\"kim jong un\""};
    mg_search_result *r = fx_search(s, &req);
    assert_true(has_id(r, SEED));
    mg_search_result_free(r);
    mg_searcher_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analysis_matches_index),
        cmocka_unit_test(test_phrases_and_operators),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_source_by_prefix),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_terms),
        cmocka_unit_test(test_sort_and_paging),
        cmocka_unit_test(test_facets_and_collapse),
        cmocka_unit_test(test_export_cursor),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_relax_and_suggest),
        cmocka_unit_test(test_totals_the_same_on_every_page),
        cmocka_unit_test(test_like),
        cmocka_unit_test(test_copies_counted_exactly),
        cmocka_unit_test(test_snippets_in_hits),
        cmocka_unit_test(test_thread_count_does_not_change_results),
        cmocka_unit_test(test_ranking_model_from_environment),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_codes_from_detail),
        cmocka_unit_test(test_limits_from_env),
        cmocka_unit_test(test_get_and_stats),
        cmocka_unit_test(test_reopen_sees_rebuild),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
