/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The two-stage ranking (mg_search_limits.rescore_depth, MORGUE_RESCORE,
 * xapian_rescore.cc rescore_run()) and the recency sort that runs in its
 * second stage (MG_SORT_RECENCY):
 * - the candidates (the best by BM25 alone) are reordered by their
 *   proximity pairs: "near" (both words adjacent) passes "far" (one word
 *   twice, the other 13 positions away), which BM25 alone puts first;
 * - the candidates are every document that its pairs could lift to the
 *   depth-th plain weight; past them the ranking is BM25 alone;
 * - deep enough, the ranking is the exhaustive one (MORGUE_RESCORE=0),
 *   scores and all (the pairs read from positions weigh what Xapian's NEAR
 *   pairs do: the window's edge, repeated words, titles, excluded ORs);
 * - a page within the depth ranks only the candidates its own end needs
 *   (few, not the depth's), and is the same window into the ranking as a
 *   page of the deep ranking and the exhaustive one;
 * - a two-word relaxed query's total is exact at any size (the OR's count
 *   from the AND's and the words' frequencies);
 * - over local shards, the same ranking in the same two stages;
 * - relevance+recency multiplies each candidate's weight by
 *   2^(-age / half-life), the age in days from the newest candidate,
 *   undated articles as old as the oldest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"
#include "search_fixture.h"
#include "xapian_search.h"

static char tmp[128], db[256];

#define FILL "kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi"
#define Z10 "z0 z1 z2 z3 z4 z5 z6 z7 z8 z9"
#define Z28 Z10 " " Z10 " y0 y1 y2 y3 y4 y5 y6 y7"
#define Z30 Z28 " y8 y9"

static const char *const docs[] = {
    "{\"id\":\"far\",\"title\":\"\",\"body\":\"alpha alpha " FILL " beta\"}",
    "{\"id\":\"near\",\"title\":\"\",\"body\":\"alpha beta " FILL " chi\"}",
    "{\"id\":\"o1\",\"title\":\"\",\"body\":\"gamma delta\"}",
    "{\"id\":\"o2\",\"title\":\"\",\"body\":\"epsilon zeta\"}",
    "{\"id\":\"o3\",\"title\":\"\",\"body\":\"eta theta\"}",
    "{\"id\":\"o4\",\"title\":\"\",\"body\":\"iota chi\"}",
    "{\"id\":\"o5\",\"title\":\"\",\"body\":\"psi zeta\"}",
    "{\"id\":\"o6\",\"title\":\"\",\"body\":\"delta eta\"}",
    /* recency: "harbour" most often in the oldest, least in the newest */
    "{\"id\":\"r-old\",\"title\":\"\",\"body\":\"harbour harbour harbour cranes\","
    "\"date\":\"2020-01-01\"}",
    "{\"id\":\"r-mid\",\"title\":\"\",\"body\":\"harbour harbour cranes ships\","
    "\"date\":\"2020-01-21\"}",
    "{\"id\":\"r-new\",\"title\":\"\",\"body\":\"harbour cranes ships docks\","
    "\"date\":\"2020-01-31\"}",
    "{\"id\":\"r-undated\",\"title\":\"\",\"body\":\"harbour cranes wharf piers\"}",
    /* past the candidates: "top" is the only one at depth 1 (t1 and t2
     * weigh less than a third of it, out of reach of any pair); t1, with
     * its words adjacent, would pass t2 with its pair */
    "{\"id\":\"top\",\"title\":\"\",\"body\":\"cedar cedar cedar maple\"}",
    "{\"id\":\"t1\",\"title\":\"\",\"body\":\"cedar maple " Z30 "\"}",
    "{\"id\":\"t2\",\"title\":\"\",\"body\":\"cedar " Z28 " maple\"}",
    /* the window's edge: sun and moon 7, 8 and 9 positions apart (window 8) */
    "{\"id\":\"w7\",\"title\":\"\",\"body\":\"sun a1 a2 a3 a4 a5 a6 moon star\"}",
    "{\"id\":\"w8\",\"title\":\"\",\"body\":\"sun b1 b2 b3 b4 b5 b6 b7 moon\"}",
    "{\"id\":\"w9\",\"title\":\"\",\"body\":\"sun c1 c2 c3 c4 c5 c6 c7 c8 moon\"}",
    "{\"id\":\"w2\",\"title\":\"star sun\",\"body\":\"moon sun star d1 d2 moon\"}",
    "{\"id\":\"ww\",\"title\":\"\",\"body\":\"sun e1 sun e2 e3 star e4 e5 star\"}",
};

/* A searcher with proximity 0.5 and this rescore depth (-1: off). */
static mg_searcher *open_depth(long depth)
{
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    lim.proximity = 0.5;
    lim.rescore_depth = depth;
    return fx_open_with(db, &lim);
}

/* The same, with the environment read as morgued reads it. */
static mg_searcher *open_depth_env(long depth)
{
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    lim.proximity = 0.5;
    lim.rescore_depth = depth;
    mg_search_limits_from_env(&lim, getenv);
    return fx_open_with(db, &lim);
}

/* A searcher without proximity: BM25 alone. */
static mg_searcher *open_plain(void)
{
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    lim.proximity = -1;
    return fx_open_with(db, &lim);
}

static int setup(void **state)
{
    (void)state;
    unsetenv("MORGUE_PROXIMITY");
    unsetenv("MORGUE_RESCORE");
    if (fx_tmpdir(tmp, sizeof tmp, "rescore") != 0)
        return -1;
    char in[256];
    snprintf(db, sizeof db, "%s/db", tmp);
    return fx_index_lines(tmp, docs, sizeof docs / sizeof docs[0], in, sizeof in, db);
}

static int teardown(void **state)
{
    (void)state;
    return fx_remove(tmp);
}

static const char *const queries[] = {"alpha beta omega", "alpha OR beta"};

/* The second stage reads the pairs from positions; deep enough, every hit
 * has the weight the NEAR pairs of the exhaustive match give it: at the
 * window's edge, with a word repeated, in a title, in an OR inside an AND,
 * and none from an OR that only excludes. */
static void test_same_weights_as_exhaustive(void **state)
{
    (void)state;
    static const char *const q[] = {"sun OR moon",        "moon sun xyzzy",
                                    "sun sun star",       "star sun moon",
                                    "(sun OR moon) star", "sun -(moon OR star)",
                                    "sun moon OR star",   "moon OR sun OR star OR a1"};
    mg_searcher *deep = open_depth(0), *off = open_depth(-1);
    assert_non_null(deep);
    assert_non_null(off);
    int moved = 0;
    for (size_t i = 0; i < sizeof q / sizeof *q; i++) {
        mg_search_result *r = fx_query(deep, q[i], false), *x = fx_query(off, q[i], false);
        if (r->nhits != x->nhits)
            fail_msg("[%s]: %zu hits, %zu exhaustively", q[i], r->nhits, x->nhits);
        for (size_t k = 0; k < r->nhits; k++) {
            const mg_hit *a = &r->hits[k], *b = &x->hits[k];
            if (strcmp(a->id, b->id) != 0 || fabs(a->score - b->score) > 1e-12 * b->score)
                fail_msg("[%s] hit %zu: %s %.17g, exhaustively %s %.17g", q[i], k + 1, a->id,
                         a->score, b->id, b->score);
        }
        mg_search_result_free(r);
        mg_search_result_free(x);
    }
    /* the pairs did weigh: w7 is in the window, w8 and w9 are not */
    mg_search_result *r = fx_query(deep, "sun OR moon", false);
    mg_searcher *plain = open_plain();
    assert_non_null(plain);
    mg_search_result *b = fx_query(plain, "sun OR moon", false);
    moved += fx_score_of(r, "w7") > fx_score_of(b, "w7");
    moved += fx_score_of(r, "w8") > fx_score_of(b, "w8");
    moved += fx_score_of(r, "w9") > fx_score_of(b, "w9");
    assert_int_equal(moved, 1);
    assert_true(fx_score_of(r, "w7") > fx_score_of(b, "w7"));
    mg_search_result_free(r);
    mg_search_result_free(b);
    mg_searcher_free(plain);
    mg_searcher_free(deep);
    mg_searcher_free(off);
}

static void test_candidates_reordered_by_proximity(void **state)
{
    (void)state;
    mg_searcher *deep = open_depth(0), *off = open_depth(-1), *plain = open_plain();
    assert_non_null(deep);
    assert_non_null(off);
    assert_non_null(plain);
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
        mg_search_result *b = fx_query(plain, queries[q], false);
        mg_search_result *r = fx_query(deep, queries[q], false);
        mg_search_result *x = fx_query(off, queries[q], false);
        /* BM25 alone: far first (alpha twice) */
        assert_int_equal(b->nhits, 2);
        assert_string_equal(b->hits[0].id, "far");
        assert_true(b->hits[0].score > b->hits[1].score);
        /* rescored: near first, with its pair's bonus, as exhaustively */
        assert_int_equal(r->nhits, 2);
        assert_string_equal(r->hits[0].id, "near");
        assert_true(fx_score_of(r, "near") > fx_score_of(b, "near"));
        for (size_t i = 0; i < r->nhits; i++) {
            assert_string_equal(r->hits[i].id, x->hits[i].id);
            assert_true(fabs(r->hits[i].score - x->hits[i].score) <= 1e-12 * x->hits[i].score);
            assert_int_equal(r->hits[i].rank, i + 1);
        }
        mg_search_result_free(b);
        mg_search_result_free(r);
        mg_search_result_free(x);
    }
    mg_searcher_free(deep);
    mg_searcher_free(off);
    mg_searcher_free(plain);
}

static void same_ids(const mg_search_result *r, const char *const *ids, size_t n);

/* Depth 1: top is the only candidate, t1 and t2 follow by BM25 alone (t2
 * first), on every page alike; deep enough (or exhaustively) t1's pair puts
 * it before t2. */
static void test_past_the_depth_bm25_alone(void **state)
{
    (void)state;
    mg_searcher *one = open_depth(1), *three = open_depth(3), *off = open_depth(-1);
    mg_searcher *plain = open_plain();
    assert_non_null(one);
    assert_non_null(three);
    assert_non_null(off);
    assert_non_null(plain);
    static const char *const bm25[] = {"top", "t2", "t1"}, *const full[] = {"top", "t1", "t2"};
    mg_search_result *r = fx_query(one, "cedar OR maple", false);
    mg_search_result *b = fx_query(plain, "cedar OR maple", false);
    mg_search_result *d = fx_query(three, "cedar OR maple", false);
    mg_search_result *x = fx_query(off, "cedar OR maple", false);
    same_ids(b, bm25, 3);
    same_ids(r, bm25, 3);
    same_ids(d, full, 3);
    same_ids(x, full, 3);
    assert_true(fx_score_of(r, "t1") == fx_score_of(b, "t1"));
    assert_true(fx_score_of(x, "t1") > fx_score_of(b, "t1"));
    /* pages of one: the same ranking */
    for (size_t i = 0; i < 3; i++) {
        mg_search_request p = {.query = "cedar OR maple", .offset = i, .limit = 1};
        mg_search_result *s = fx_search(one, &p);
        assert_int_equal(s->nhits, 1);
        assert_string_equal(s->hits[0].id, bm25[i]);
        assert_int_equal(s->hits[0].rank, i + 1);
        assert_true(s->hits[0].score == r->hits[i].score);
        assert_true(s->total_exact && s->total_estimate == 3);
        mg_search_result_free(s);
    }
    mg_search_result_free(r);
    mg_search_result_free(b);
    mg_search_result_free(d);
    mg_search_result_free(x);
    mg_searcher_free(one);
    mg_searcher_free(three);
    mg_searcher_free(off);
    mg_searcher_free(plain);
}

/* MORGUE_RESCORE overrides the limits: "1" sets the depth, "0" turns the
 * two-stage ranking off (matched exhaustively). */
static void test_environment(void **state)
{
    (void)state;
    setenv("MORGUE_RESCORE", "1", 1);
    mg_searcher *one = open_depth_env(0);
    setenv("MORGUE_RESCORE", "0", 1);
    mg_searcher *off = open_depth_env(1);
    unsetenv("MORGUE_RESCORE");
    assert_non_null(one);
    assert_non_null(off);
    mg_search_result *a = fx_query(one, "cedar OR maple", false);
    mg_search_result *b = fx_query(off, "cedar OR maple", false);
    assert_string_equal(a->hits[1].id, "t2");
    assert_string_equal(b->hits[1].id, "t1");
    mg_search_result_free(a);
    mg_search_result_free(b);
    mg_searcher_free(one);
    mg_searcher_free(off);
}

static mg_search_result *by_recency(mg_searcher *s, double half_life)
{
    mg_search_request req = {
        .query = "harbour", .limit = 10, .sort = MG_SORT_RECENCY, .half_life = half_life};
    return fx_search(s, &req);
}

static void same_ids(const mg_search_result *r, const char *const *ids, size_t n)
{
    assert_int_equal(r->nhits, n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(r->hits[i].id, ids[i]) != 0)
            fail_msg("hit %zu is %s, want %s", i + 1, r->hits[i].id, ids[i]);
}

static void test_recency(void **state)
{
    (void)state;
    mg_searcher *s = open_depth(0);
    assert_non_null(s);
    mg_search_request rel = {.query = "harbour", .limit = 10};
    mg_search_result *r = fx_search(s, &rel);
    static const char *const by_rel[] = {"r-old", "r-mid", "r-new", "r-undated"};
    same_ids(r, by_rel, 4);
    /* a half-life of a day: the newest first; undated last (as old as
     * r-old, and weighing less) */
    mg_search_result *day = by_recency(s, 1);
    static const char *const by_date[] = {"r-new", "r-mid", "r-old", "r-undated"};
    same_ids(day, by_date, 4);
    /* a very long one: relevance */
    mg_search_result *long_ = by_recency(s, 1e6);
    same_ids(long_, by_rel, 4);
    /* the score is the weight times 2^(-age / half-life), the age from
     * the newest candidate (2020-01-31) */
    mg_search_result *ten = by_recency(s, 10);
    static const struct {
        const char *id;
        double age;
    } ages[] = {{"r-old", 30}, {"r-mid", 10}, {"r-new", 0}, {"r-undated", 30}};
    for (size_t i = 0; i < sizeof ages / sizeof *ages; i++) {
        double want = fx_score_of(r, ages[i].id) * exp2(-ages[i].age / 10);
        double got = fx_score_of(ten, ages[i].id);
        if (fabs(got - want) > 1e-9 * want)
            fail_msg("%s: score %.12g, want %.12g", ages[i].id, got, want);
    }
    for (size_t i = 1; i < ten->nhits; i++)
        assert_true(ten->hits[i - 1].score >= ten->hits[i].score);
    /* the default half-life is MG_HALF_LIFE_DAYS */
    mg_search_result *dflt = by_recency(s, 0), *thirty = by_recency(s, MG_HALF_LIFE_DAYS);
    for (size_t i = 0; i < dflt->nhits; i++) {
        assert_string_equal(dflt->hits[i].id, thirty->hits[i].id);
        assert_true(dflt->hits[i].score == thirty->hits[i].score);
    }
    /* a query that weighs nothing ("*"): by age alone (then r-old and the
     * undated articles, as old as it, by id) */
    mg_search_request all = {.query = "*", .limit = 2, .sort = MG_SORT_RECENCY};
    mg_search_result *star = fx_search(s, &all);
    static const char *const newest[] = {"r-new", "r-mid"};
    same_ids(star, newest, 2);
    mg_search_result_free(star);
    /* a negative half-life is refused */
    mg_search_request bad = {.query = "harbour", .sort = MG_SORT_RECENCY, .half_life = -1};
    mg_search_result *out = NULL;
    mg_err err;
    assert_true(mg_search_run(s, &bad, &out, &err) < 0);
    assert_string_equal(mg_search_error_code(&err), "bad_sort");
    mg_search_result_free(r);
    mg_search_result_free(day);
    mg_search_result_free(long_);
    mg_search_result_free(ten);
    mg_search_result_free(dflt);
    mg_search_result_free(thirty);
    mg_searcher_free(s);
}

/* Recency needs the second stage: it has one with the two-stage ranking
 * off too (at MG_RESCORE_DEPTH). */
static void test_recency_when_rescoring_is_off(void **state)
{
    (void)state;
    mg_searcher *s = open_depth(-1);
    assert_non_null(s);
    mg_search_result *day = by_recency(s, 1);
    static const char *const by_date[] = {"r-new", "r-mid", "r-old", "r-undated"};
    same_ids(day, by_date, 4);
    mg_search_result_free(day);
    mg_searcher_free(s);
}

/* A corpus of NG articles for the paging tests: alpha in every other one,
 * beta in every third of the first 60 (the AND: 10 articles, the OR: 160),
 * gamma in every fifth; the words repeated, apart or adjacent, and the
 * lengths varied so that the weights (and the pairs' bonus) differ. */
enum { NG = 300 };

static int paging_corpus_with(char *dir, size_t cap, char *path, size_t pcap, const char *opts)
{
    if (fx_tmpdir(dir, cap, "rescore-pages") != 0)
        return -1;
    static char buf[NG][512];
    const char *lines[NG];
    for (unsigned i = 0; i < NG; i++) {
        char body[400] = "story ";
        size_t n = strlen(body);
        for (unsigned k = 0; k < i % 4 + 1 && i % 2 == 0; k++)
            n += (size_t)snprintf(body + n, sizeof body - n, "alpha ");
        if (i % 5 == 0)
            n += (size_t)snprintf(body + n, sizeof body - n, "gamma ");
        for (unsigned k = 0; k < (i * 7) % 13; k++)
            n += (size_t)snprintf(body + n, sizeof body - n, "f%u ", k);
        for (unsigned k = 0; k < (i / 3) % 3 + 1 && i % 3 == 0 && i < 60; k++)
            n += (size_t)snprintf(body + n, sizeof body - n, "beta ");
        /* dated (for recency) from 2020-01-01 on, a day apart in a
         * scrambled order, every 7th undated */
        char date[40] = "";
        if (i % 7)
            snprintf(date, sizeof date, ",\"date\":\"2020-%02u-%02u\"", (i * 37) % 9 + 1,
                     (i * 11) % 28 + 1);
        snprintf(buf[i], sizeof buf[i], "{\"id\":\"g%03u\",\"title\":\"\",\"body\":\"%s\"%s}", i,
                 body, date);
        lines[i] = buf[i];
    }
    char in[256];
    snprintf(path, pcap, "%s/db", dir);
    return fx_index_lines_with(dir, lines, NG, in, sizeof in, path, opts);
}

static int paging_corpus(char *dir, size_t cap, char *path, size_t pcap)
{
    return paging_corpus_with(dir, cap, path, pcap, "");
}

/* The queries of the paging tests (their pairs lift some hits), and the
 * orders they are ranked in two stages by. */
static const char *const qs[] = {"alpha OR beta", "alpha beta gamma", "gamma OR alpha"};
static const enum mg_sort sorts[] = {MG_SORT_RELEVANCE, MG_SORT_RECENCY};

/* A page of q at offset, limit hits. */
static mg_search_result *page(mg_searcher *s, const char *q, size_t offset, size_t limit)
{
    /* (the corpus has copies: every hit stands for itself here) */
    mg_search_request req = {.query = q, .offset = offset, .limit = limit, .no_collapse = true};
    return fx_search(s, &req);
}

/* A page of q at offset, limit hits, in this order, copies folded. */
static mg_search_result *sorted_page(mg_searcher *s, const char *q, enum mg_sort sort,
                                     size_t offset, size_t limit)
{
    mg_search_request req = {
        .query = q, .offset = offset, .limit = limit, .sort = sort, .half_life = 20};
    return fx_search(s, &req);
}

/* A searcher on path with this rescore depth (-1: the two-stage ranking
 * off, the exhaustive one) and count_exact, each 0 for the default. */
static mg_searcher *open_at(const char *path, long depth, size_t count_exact)
{
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    if (depth)
        lim.rescore_depth = depth;
    if (count_exact)
        lim.count_exact = count_exact;
    return fx_open_with(path, &lim);
}

/* The first page of q (10 hits) on s, which must rank a few candidates,
 * not every match: at least one, at most 50. */
static mg_search_result *first_page(mg_searcher *s, const char *q, const char *where)
{
    unsigned long long before = mg_xrescore_ranked();
    mg_search_result *first = page(s, q, 0, 10);
    unsigned long long ranked = mg_xrescore_ranked() - before;
    if (ranked == 0 || ranked > 50)
        fail_msg("[%s]%s: the first page ranked %llu candidates of %llu matches", q, where, ranked,
                 first->total_estimate);
    return first;
}

/* The n lines indexed into a fresh directory (dir, named name) at path
 * (its db). */
static void index_into(char *dir, size_t dcap, char *path, size_t pcap, const char *name,
                       const char *const *lines, size_t n)
{
    char in[256];
    assert_int_equal(fx_tmpdir(dir, dcap, name), 0);
    snprintf(path, pcap, "%s/db", dir);
    assert_int_equal(fx_index_lines(dir, lines, n, in, sizeof in, path), 0);
}

/* A first page within the depth (1,000) ranks a few candidates, not every
 * match; pages of 10 put together are the deep ranking (a page of 300)
 * and the exhaustive one, hit for hit and score for score. */
static void test_pages_within_the_depth(void **state)
{
    (void)state;
    char dir[128], path[256];
    assert_int_equal(paging_corpus(dir, sizeof dir, path, sizeof path), 0);
    mg_searcher *deep = fx_open_with(path, NULL), *off = open_at(path, -1, 0);
    assert_non_null(deep);
    assert_non_null(off);
    for (size_t q = 0; q < sizeof qs / sizeof *qs; q++) {
        mg_search_result *first = first_page(deep, qs[q], "");
        assert_int_equal(first->nhits, 10);
        assert_true(first->total_exact && first->total_estimate > 100);
        mg_search_result *all = page(deep, qs[q], 0, NG), *x = page(off, qs[q], 0, NG);
        assert_int_equal(all->nhits, first->total_estimate);
        assert_int_equal(x->nhits, all->nhits);
        for (size_t at = 0; at < all->nhits; at += 10) {
            mg_search_result *p = at ? page(deep, qs[q], at, 10) : first;
            for (size_t i = 0; i < p->nhits; i++) {
                const mg_hit *h = &p->hits[i], *a = &all->hits[at + i], *e = &x->hits[at + i];
                if (strcmp(h->id, a->id) != 0 || strcmp(h->id, e->id) != 0 ||
                    h->score != a->score || fabs(h->score - e->score) > 1e-12 * e->score)
                    fail_msg("[%s] hit %zu: %s %.17g; in one page %s %.17g; exhaustively %s %.17g",
                             qs[q], at + i + 1, h->id, h->score, a->id, a->score, e->id, e->score);
                assert_int_equal(h->rank, at + i + 1);
            }
            if (p != first)
                mg_search_result_free(p);
        }
        mg_search_result_free(first);
        mg_search_result_free(all);
        mg_search_result_free(x);
    }
    mg_searcher_free(deep);
    mg_searcher_free(off);
    assert_int_equal(fx_remove(dir), 0);
}

/* Over local shards (morgue-index --shards 3) the pages are ranked in two
 * stages too, the candidates found in each shard by their numbers there:
 * a first page ranks a few candidates, and every page, by relevance or
 * relevance+recency, copies folded, equals the single index's, hit for
 * hit, score for score and copy count for copy count. */
static void test_over_local_shards(void **state)
{
    (void)state;
    char d1[128], p1[256], d3[128], p3[256];
    assert_int_equal(paging_corpus(d1, sizeof d1, p1, sizeof p1), 0);
    assert_int_equal(paging_corpus_with(d3, sizeof d3, p3, sizeof p3, "--shards 3"), 0);
    mg_searcher *one = fx_open_with(p1, NULL), *three = fx_open_with(p3, NULL);
    assert_non_null(one);
    assert_non_null(three);
    for (size_t q = 0; q < sizeof qs / sizeof *qs; q++) {
        mg_search_result_free(first_page(three, qs[q], " over shards"));
        for (size_t k = 0; k < sizeof sorts / sizeof *sorts; k++) {
            bool moved = false; /* recency changed the order somewhere */
            for (size_t at = 0; at < NG; at += 10) {
                mg_search_result *a = sorted_page(one, qs[q], sorts[k], at, 10);
                mg_search_result *b = sorted_page(three, qs[q], sorts[k], at, 10);
                mg_search_result *r = sorted_page(one, qs[q], MG_SORT_RELEVANCE, at, 10);
                assert_int_equal(a->nhits, b->nhits);
                assert_int_equal(a->total_estimate, b->total_estimate);
                for (size_t i = 0; i < a->nhits; i++) {
                    const mg_hit *x = &a->hits[i], *y = &b->hits[i];
                    if (strcmp(x->id, y->id) != 0 || fabs(x->score - y->score) > 1e-9 * x->score ||
                        x->collapsed != y->collapsed || x->rank != y->rank)
                        fail_msg("[%s] sort %d hit %zu: one index %s %.12g (%u copies), "
                                 "3 shards %s %.12g (%u copies)",
                                 qs[q], (int)sorts[k], at + i + 1, x->id, x->score, x->collapsed,
                                 y->id, y->score, y->collapsed);
                    moved |= i < r->nhits && strcmp(x->id, r->hits[i].id) != 0;
                }
                mg_search_result_free(a);
                mg_search_result_free(b);
                mg_search_result_free(r);
            }
            assert_true(moved == (sorts[k] == MG_SORT_RECENCY));
        }
    }
    mg_searcher_free(one);
    mg_searcher_free(three);
    assert_int_equal(fx_remove(d1), 0);
    assert_int_equal(fx_remove(d3), 0);
}

/* Each hit's copy count is exact past the candidates too: over the whole
 * ranking at a depth of 20, in pages of 10, the hits and their copies add
 * up to the total (Xapian's own count past the candidates is only of the
 * copies its pruned match met). Counted from the near-duplicate terms, and
 * on an index without them (not rebuilt since schema 4) from the map of
 * copies. */
static void test_copies_past_the_candidates(void **state)
{
    (void)state;
    char dir[128], path[256];
    assert_int_equal(paging_corpus(dir, sizeof dir, path, sizeof path), 0);
    for (int pass = 0; pass < 2; pass++) {
        mg_searcher *s = open_at(path, 20, 0);
        assert_non_null(s);
        for (size_t q = 0; q < sizeof qs / sizeof *qs; q++)
            for (size_t k = 0; k < sizeof sorts / sizeof *sorts; k++) {
                unsigned long long sum = 0, total = 0, folded = 0;
                for (size_t at = 0;; at += 10) {
                    mg_search_result *p = sorted_page(s, qs[q], sorts[k], at, 10);
                    total = p->total_estimate;
                    assert_true(p->total_exact);
                    for (size_t i = 0; i < p->nhits; i++) {
                        sum += 1 + p->hits[i].collapsed;
                        folded += at >= 20 && p->hits[i].collapsed > 0;
                    }
                    size_t n = p->nhits;
                    mg_search_result_free(p);
                    if (n < 10)
                        break;
                }
                if (sum != total || folded == 0)
                    fail_msg("[%s] sort %d, pass %d: hits and copies %llu of %llu matches (%llu "
                             "hits past the candidates with copies)",
                             qs[q], (int)sorts[k], pass, sum, total, folded);
            }
        mg_searcher_free(s);
        assert_int_equal(fx_forget_dupterms(path), 0);
    }
    assert_int_equal(fx_remove(dir), 0);
}

/* A page whose last hit weighs the depth-th weight itself settles: 60
 * articles of one length hold "alpha" and "beta" too far apart for the
 * pair of "alpha OR beta", so they all weigh the same; the first page is
 * 10 of them by id,
 * from the candidates of its own depth (60), not ranked again at the full
 * depth (120 in all) because its last hit ties with the 20th. */
static void test_ties_at_the_edge_settle(void **state)
{
    (void)state;
    enum { NT = 60, NO = 200, N = NT + NO };
    static char buf[N][160];
    const char *lines[N];
    for (int i = 0; i < NT; i++)
        snprintf(buf[i], sizeof buf[0],
                 "{\"id\":\"t%02d\",\"title\":\"\",\"body\":\"alpha f1 f2 f3 f4 f5 f6 f7 f8 f9 "
                 "f10 beta\"}",
                 i);
    for (int i = 0; i < NO; i++)
        snprintf(buf[NT + i], sizeof buf[0],
                 "{\"id\":\"o%03d\",\"title\":\"\",\"body\":\"o%d p%d q%d r%d\"}", i, i, i, i, i);
    for (size_t i = 0; i < N; i++)
        lines[i] = buf[i];
    char dir[128], path[256];
    index_into(dir, sizeof dir, path, sizeof path, "rescore-ties", lines, N);
    mg_searcher *s = fx_open_with(path, NULL);
    assert_non_null(s);
    mg_search_request req = {.query = "alpha OR beta", .limit = 10, .no_collapse = true};
    unsigned long long before = mg_xrescore_ranked();
    mg_search_result *r = fx_search(s, &req);
    unsigned long long ranked = mg_xrescore_ranked() - before;
    if (ranked > NT)
        fail_msg("the page ranked %llu candidates", ranked);
    assert_int_equal(r->nhits, 10);
    for (size_t i = 0; i < r->nhits; i++) {
        char want[24];
        snprintf(want, sizeof want, "t%02zu", i);
        assert_string_equal(r->hits[i].id, want);
        assert_true(r->hits[i].score == r->hits[0].score);
    }
    mg_search_result_free(r);
    mg_searcher_free(s);
    assert_int_equal(fx_remove(dir), 0);
}

/* The partial matches of a relaxed query lack one of its words, so the
 * pairs of that word lift none of them: "alpha beta gamma" past its AND's
 * 2 hits ranks "alpha beta" articles, 10 short and 100 a word longer, which
 * the pair (beta, gamma) cannot lift. Bounded by what the pair (alpha,
 * beta) alone adds, the page settles among its first candidates (80);
 * bounded by both pairs, the longer ones outside could have passed it, and
 * the page was ranked again at the full depth (190 in all). The page is
 * the exhaustive ranking's either way. */
static void test_partial_matches_settle(void **state)
{
    (void)state;
    enum { NS = 10, NL = 100, NO = 200, N = 2 + NS + NL + NO };
    static char buf[N][160];
    const char *lines[N];
    size_t k = 0;
    for (int i = 0; i < 2; i++)
        snprintf(buf[k++], sizeof buf[0],
                 "{\"id\":\"all%d\",\"title\":\"\",\"body\":\"alpha beta gamma x%d\"}", i, i);
    for (int i = 0; i < NS; i++)
        snprintf(buf[k++], sizeof buf[0],
                 "{\"id\":\"s%02d\",\"title\":\"\",\"body\":\"alpha beta s%d t%d\"}", i, i, i);
    for (int i = 0; i < NL; i++)
        snprintf(buf[k++], sizeof buf[0],
                 "{\"id\":\"l%03d\",\"title\":\"\",\"body\":\"alpha beta l%d m%d n%d\"}", i, i, i,
                 i);
    for (int i = 0; i < NO; i++)
        snprintf(buf[k++], sizeof buf[0],
                 "{\"id\":\"o%03d\",\"title\":\"\",\"body\":\"o%d p%d q%d r%d s%d t%d u%d v%d "
                 "w%d y%d\"}",
                 i, i, i, i, i, i, i, i, i, i, i);
    for (size_t i = 0; i < N; i++)
        lines[i] = buf[i];
    char dir[128], path[256];
    index_into(dir, sizeof dir, path, sizeof path, "rescore-partial", lines, N);
    mg_searcher *s = fx_open_with(path, NULL), *off = open_at(path, -1, 0);
    assert_non_null(s);
    assert_non_null(off);
    mg_search_request req = {.query = "alpha beta gamma", .limit = 10};
    unsigned long long before = mg_xrescore_ranked();
    mg_search_result *r = fx_search(s, &req), *x = fx_search(off, &req);
    unsigned long long ranked = mg_xrescore_ranked() - before;
    if (ranked > 100)
        fail_msg("the page ranked %llu candidates", ranked);
    assert_true(r->relaxed);
    assert_int_equal(r->nhits, 10);
    assert_int_equal(x->nhits, 10);
    for (size_t i = 0; i < r->nhits; i++) {
        if (strcmp(r->hits[i].id, x->hits[i].id) != 0 ||
            fabs(r->hits[i].score - x->hits[i].score) > 1e-12 * x->hits[i].score)
            fail_msg("hit %zu: %s %.17g, exhaustively %s %.17g", i + 1, r->hits[i].id,
                     r->hits[i].score, x->hits[i].id, x->hits[i].score);
    }
    assert_string_equal(r->hits[2].id, "s00");
    mg_search_result_free(r);
    mg_search_result_free(x);
    mg_searcher_free(s);
    mg_searcher_free(off);
    assert_int_equal(fx_remove(dir), 0);
}

/* A two-word relaxed query's total is exact past count_exact: 160 OR
 * matches, counted exactly up to 20 only. */
static void test_two_word_total_exact(void **state)
{
    (void)state;
    char dir[128], path[256];
    assert_int_equal(paging_corpus(dir, sizeof dir, path, sizeof path), 0);
    mg_searcher *s = open_at(path, 0, 20);
    assert_non_null(s);
    for (size_t offset = 0; offset <= 20; offset += 10) {
        mg_search_result *r = page(s, "alpha beta", offset, 10);
        assert_true(r->relaxed);
        assert_true(r->all_exact);
        assert_int_equal(r->all_estimate, 10);
        assert_true(r->total_exact);
        assert_int_equal(r->total_lower, 160);
        assert_int_equal(r->total_upper, 160);
        mg_search_result_free(r);
    }
    /* three words: exact up to count_exact only */
    mg_search_result *r = page(s, "alpha beta gamma", 0, 10);
    assert_true(r->relaxed);
    assert_false(r->total_exact);
    assert_true(r->total_lower >= 20 && r->total_lower <= 180 && r->total_upper >= 180);
    mg_search_result_free(r);
    mg_searcher_free(s);
    assert_int_equal(fx_remove(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_weights_as_exhaustive),
        cmocka_unit_test(test_candidates_reordered_by_proximity),
        cmocka_unit_test(test_past_the_depth_bm25_alone),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_recency),
        cmocka_unit_test(test_recency_when_rescoring_is_off),
        cmocka_unit_test(test_pages_within_the_depth),
        cmocka_unit_test(test_two_word_total_exact),
        cmocka_unit_test(test_over_local_shards),
        cmocka_unit_test(test_copies_past_the_candidates),
        cmocka_unit_test(test_partial_matches_settle),
        cmocka_unit_test(test_ties_at_the_edge_settle),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
