/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine answers a page by relevance in one of two ways: Xapian's plain
 * ranking, checked afterwards (no tie across the page's edges, no hit with a
 * near-duplicate), or the full Enquire with the id tie-break and the collapse
 * key. Asking for facets always takes the full way; so on a corpus built to
 * be hard for the quick way (a tiny vocabulary, so weights tie everywhere,
 * and one article in six a copy of another), every page must come out the
 * same with and without facets: same ids in the same order, same scores,
 * percentages and collapse counts, and totals whose bounds hold the exact
 * count. Hits without snippets come from the card value slot, hits with
 * snippets from the stored record: their fields must agree too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>

#include "search.h"
#include "search_fixture.h"

#define NDOCS 600

static char tmp[128];
static mg_searcher *s;

static const char *const words[] = {"oil",    "wheat",  "gold",   "bank", "rate",   "price",
                                    "export", "tonnes", "trade",  "loan", "market", "crop",
                                    "steel",  "yen",    "coffee", "sugar"};
#define NWORDS (sizeof words / sizeof words[0])

static unsigned long long rng = 0x2545f4914f6cdd1dULL;
static unsigned next_rand(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void random_text(char *out, size_t cap, unsigned minw, unsigned maxw)
{
    unsigned n = minw + next_rand(maxw - minw + 1);
    size_t len = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < n; i++)
        len +=
            (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "", words[next_rand(NWORDS)]);
}

/* Every sixth article repeats an earlier one's title and body under its own
 * id, source and date (a syndicated copy). */
static int write_corpus(const char *path)
{
    static char titles[NDOCS][128], bodies[NDOCS][256];
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (unsigned i = 0; i < NDOCS; i++) {
        if (i % 6 == 5) {
            unsigned src = next_rand(i);
            memcpy(titles[i], titles[src], sizeof titles[i]);
            memcpy(bodies[i], bodies[src], sizeof bodies[i]);
        } else {
            random_text(titles[i], sizeof titles[i], 1, 3);
            random_text(bodies[i], sizeof bodies[i], 2, 12);
        }
        fprintf(f,
                "{\"id\":\"p-%04u\",\"title\":\"%s\",\"body\":\"%s\",\"date\":\"19%02u-%02u-%02u\","
                "\"source\":\"wire %u\",\"url\":\"https://example.org/%u\",\"topics\":[\"t%u\"]}\n",
                i, titles[i], bodies[i], 60 + i % 40, 1 + i % 12, 1 + i % 28, i % 3, i, i % 5);
    }
    return fclose(f);
}

static int setup(void **state)
{
    (void)state;
    if (fx_tmpdir(tmp, sizeof tmp, "paths") != 0)
        return -1;
    char corpus[256];
    snprintf(corpus, sizeof corpus, "%s/corpus.jsonl", tmp);
    if (write_corpus(corpus) != 0)
        return -1;
    return fx_open_index(tmp, corpus, &s);
}

static int teardown(void **state)
{
    (void)state;
    return fx_close(s, tmp);
}

static mg_search_result *run_req(const mg_search_request *req)
{
    return fx_search(s, req);
}

static const char *const queries[] = {"oil",
                                      "gold",
                                      "coffee",
                                      "oil wheat",
                                      "bank rate",
                                      "price OR trade",
                                      "steel OR yen OR sugar",
                                      "\"export tonnes\"",
                                      "market -crop",
                                      "loan NOT bank",
                                      "title:gold",
                                      "oil wheat gold"};

static void same_page(const mg_search_request *req, int *compared_ties)
{
    mg_search_request full = *req;
    full.facets = MG_FACET_SOURCE;
    mg_search_result *a = run_req(req), *b = run_req(&full);
    char what[160];
    snprintf(what, sizeof what, "[%s] offset %zu limit %zu collapse %d", req->query, req->offset,
             req->limit, !req->no_collapse);
    if (a->nhits != b->nhits)
        fail_msg("%s: %zu hits without facets, %zu with", what, a->nhits, b->nhits);
    for (size_t i = 0; i < a->nhits; i++) {
        const mg_hit *x = &a->hits[i], *y = &b->hits[i];
        /* Xapian counts the copies it met while ranking: a lower bound,
         * exact when every match is looked at (as with facets) */
        if (strcmp(x->id, y->id) != 0 || x->score != y->score || x->percent != y->percent ||
            x->collapsed > y->collapsed || x->rank != y->rank)
            fail_msg(
                "%s: hit %zu is %s (%.17g, %d%%, %u folded) against %s (%.17g, %d%%, %u folded)",
                what, i, x->id, x->score, x->percent, x->collapsed, y->id, y->score, y->percent,
                y->collapsed);
        if (i > 0 && x->score == a->hits[i - 1].score)
            (*compared_ties)++;
    }
    assert_true(b->total_exact);
    if (a->total_lower > b->total_estimate || a->total_upper < b->total_estimate)
        fail_msg("%s: bounds %llu..%llu miss the exact total %llu", what, a->total_lower,
                 a->total_upper, b->total_estimate);
    mg_search_result_free(a);
    mg_search_result_free(b);
}

/* Every page of query at a few offsets and limits, with and without
 * collapsing. */
static void all_pages(const char *query, int *ties)
{
    static const size_t offsets[] = {0, 1, 4, 9, 10, 17, 40};
    static const size_t limits[] = {1, 3, 10, 25};
    for (int collapse = 0; collapse < 2; collapse++)
        for (size_t o = 0; o < sizeof offsets / sizeof *offsets; o++)
            for (size_t l = 0; l < sizeof limits / sizeof *limits; l++) {
                mg_search_request req = {.query = query,
                                         .offset = offsets[o],
                                         .limit = limits[l],
                                         .no_collapse = !collapse};
                same_page(&req, ties);
            }
}

static void test_pages_agree(void **state)
{
    (void)state;
    int ties = 0;
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++)
        all_pages(queries[q], &ties);
    /* the corpus is built for it: equal weights side by side on pages */
    assert_true(ties > 100);
}

/* Phrases and NEARs under an OR, as users write them with the default
 * engine (proximity off), and a relaxed AND holding a phrase. Once Xapian
 * 1.4 prunes by weight for a small page, such ORs lost documents that belong
 * on the page (price OR oil OR "export sugar", offset 40, limit 10: p-0441
 * at 1.3122 was missing, p-0132 at 1.3037 in its place), so they run
 * unpruned; their pages must agree with the full ranking. Each query's
 * positional part matches articles by itself, so that no page agrees only
 * because the positional part never matched. */
static const struct {
    const char *query, *positional;
} positional[] = {
    {"oil OR (wheat NEAR/5 gold)", "(wheat NEAR/5 gold)"},
    {"(bank NEAR/3 rate) OR (price NEAR/3 trade)", "(price NEAR/3 trade)"},
    {"loan OR \"market crop\"", "\"market crop\""},
    {"\"steel yen\" OR \"coffee sugar\" OR oil", "\"coffee sugar\""},
    {"gold wheat OR \"export tonnes\"", "\"export tonnes\""},
    {"oil -\"wheat gold\"", "\"wheat gold\""},
    {"yen OR sugar OR (steel NEAR/4 coffee)", "(steel NEAR/4 coffee)"},
    {"tra* OR \"export tonnes\"", "\"export tonnes\""},
    {"title:gold OR \"export tonnes\"", "\"export tonnes\""},
    {"(oil NEAR/2 bank) OR (rate NEAR/2 loan) OR price", "(rate NEAR/2 loan)"},
    {"\"oil bank\" OR \"rate loan\" OR \"price trade\" OR crop", "\"rate loan\""},
    {"price OR oil OR \"export sugar\"", "\"export sugar\""},
    {"market OR price OR (gold NEAR/8 rate) OR wheat OR tonnes", "(gold NEAR/8 rate)"},
    {"sugar bank \"price steel\"", "\"price steel\""},
    {"(sugar OR yen OR rate) -\"sugar coffee\"", "\"sugar coffee\""},
};

static void test_pages_positional(void **state)
{
    (void)state;
    int ties = 0;
    for (size_t q = 0; q < sizeof positional / sizeof *positional; q++) {
        mg_search_request all = {.query = positional[q].query, .limit = 100};
        mg_search_request part = {
            .query = positional[q].positional, .limit = 1, .facets = MG_FACET_SOURCE};
        mg_search_result *r = run_req(&all), *p = run_req(&part);
        if (r->nhits < 50 || p->total_estimate < 8)
            fail_msg("[%s] has %zu hits, [%s] %llu", all.query, r->nhits, part.query,
                     p->total_estimate);
        mg_search_result_free(r);
        mg_search_result_free(p);
        all_pages(positional[q].query, &ties);
    }
    assert_true(ties > 100);
}

/* Collapsing folds copies: fewer hits than without it, copies counted on
 * the hits that stand for them; the total and the facets count every
 * matching article, copies included, and add up. */
static void test_collapse_counts(void **state)
{
    (void)state;
    mg_search_request req = {.query = "oil OR gold", .limit = 1000, .facets = MG_FACET_SOURCE};
    mg_search_result *r = run_req(&req);
    unsigned folded = 0;
    for (size_t i = 0; i < r->nhits; i++)
        folded += r->hits[i].collapsed;
    mg_search_request keep = req;
    keep.no_collapse = true;
    mg_search_result *k = run_req(&keep);
    assert_true(r->total_exact && k->total_exact);
    assert_int_equal(k->nhits, k->total_estimate);
    assert_int_equal(r->total_estimate, k->total_estimate); /* copies included */
    assert_true(folded > 0);
    assert_int_equal(r->nhits + folded, k->nhits);
    unsigned long sum = 0;
    assert_int_equal(r->nfacets, 1);
    for (size_t i = 0; i < r->facets[0].nvalues; i++)
        sum += r->facets[0].values[i].count;
    assert_int_equal(sum, r->total_estimate);
    mg_search_result_free(r);
    mg_search_result_free(k);
}

/* A relaxed query's pages join up, copies folded: paging by `step` gives
 * the AND hits (copies folded), then the hits of the OR without the AND,
 * each in its own order, with no repeat and no gap. */
static void test_relaxed_pages_join(void **state)
{
    (void)state;
    static const char *const q[][3] = {
        {"oil wheat gold", "oil OR wheat OR gold", "(oil OR wheat OR gold) NOT (oil wheat gold)"},
        {"steel yen", "steel OR yen", "(steel OR yen) NOT (steel yen)"}};
    for (size_t k = 0; k < sizeof q / sizeof *q; k++) {
        mg_search_request and_req = {.query = q[k][0], .limit = 1000, .no_relax = true};
        mg_search_request rest_req = {.query = q[k][2], .limit = 1000};
        mg_search_result *a = run_req(&and_req), *b = run_req(&rest_req);
        size_t want = a->nhits + b->nhits;
        for (size_t step = a->nhits + 1; step <= a->nhits + 4; step++) {
            size_t got = 0;
            for (size_t off = 0; off < want + step; off += step) {
                mg_search_request req = {.query = q[k][0], .offset = off, .limit = step};
                mg_search_result *r = run_req(&req);
                assert_true(r->relaxed || r->nhits == 0);
                for (size_t i = 0; i < r->nhits; i++, got++) {
                    const mg_hit *h = &r->hits[i];
                    const char *id = got < a->nhits ? a->hits[got].id
                                     : got < want   ? b->hits[got - a->nhits].id
                                                    : "(none)";
                    if (strcmp(h->id, id) != 0 || h->rank != got + 1)
                        fail_msg("[%s] pages of %zu: rank %u is %s, want %s", q[k][0], step,
                                 h->rank, h->id, id);
                }
                mg_search_result_free(r);
            }
            assert_int_equal(got, want);
        }
        assert_true(a->nhits > 0 && b->nhits > 0);
        mg_search_result_free(a);
        mg_search_result_free(b);
    }
}

static void same_strings(const char *a, const char *b)
{
    assert_string_equal(a ? a : "", b ? b : "");
}

/* The card a hit is read from without snippets holds what the stored record
 * holds. */
static void test_card_matches_record(void **state)
{
    (void)state;
    mg_search_request req = {.query = "trade OR crop", .limit = 200};
    mg_search_request snip = req;
    snip.snippets = true;
    mg_search_result *a = run_req(&req), *b = run_req(&snip);
    assert_int_equal(a->nhits, b->nhits);
    assert_true(a->nhits > 50);
    for (size_t i = 0; i < a->nhits; i++) {
        const mg_hit *x = &a->hits[i], *y = &b->hits[i];
        same_strings(x->id, y->id);
        same_strings(x->title, y->title);
        same_strings(x->date, y->date);
        same_strings(x->source, y->source);
        same_strings(x->url, y->url);
        assert_int_equal(x->ncategories, y->ncategories);
        for (size_t c = 0; c < x->ncategories; c++)
            same_strings(x->categories[c], y->categories[c]);
        assert_null(x->snippet);
        assert_non_null(y->snippet);
        assert_true(strncmp(x->url, "https://example.org/", 20) == 0);
    }
    mg_search_result_free(a);
    mg_search_result_free(b);
}

/* The same with proximity on (lib/search.h): its ORs over NEAR pairs run
 * unpruned (Xapian 1.4's pruned matcher gave documents pairs they do not
 * have, and pages disagreed with the full ranking). */
/* Out of file descriptors, opening the index fails with EMFILE in the
 * error's detail (morgued retries such a reopen, and warns about the
 * limit, from the detail, never from the message's words); with them
 * back, it opens. */
static void test_open_out_of_fds(void **state)
{
    (void)state;
    char db[256];
    snprintf(db, sizeof db, "%s/db", tmp);
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    int fds[256], n = 0;
    for (; n < 256; n++) /* take what a low limit leaves */
        if ((fds[n] = dup(0)) < 0)
            break;
    struct rlimit low = {.rlim_cur = (rlim_t)(n ? fds[n - 1] + 1 : 64), .rlim_max = old.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    mg_err err;
    mg_searcher *none = mg_searcher_open(db, &lim, &err);
    int code = err.code, detail = err.detail;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    assert_null(none);
    assert_int_not_equal(code, MG_OK);
    assert_int_equal(detail, EMFILE);
    mg_searcher *some = mg_searcher_open(db, &lim, &err);
    assert_non_null(some);
    mg_searcher_free(some);
}

static void test_pages_with_proximity(void **state)
{
    mg_searcher *plain = s;
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    lim.proximity = 0.1;
    mg_err err;
    char db[256];
    snprintf(db, sizeof db, "%s/db", tmp); /* where fx_open_index put it */
    s = mg_searcher_open(db, &lim, &err);
    assert_non_null(s);
    test_pages_agree(state);
    test_pages_positional(state);
    test_relaxed_pages_join(state);
    mg_searcher_free(s);
    s = plain;
}

/* Pages of every size are windows into the one ranking of a query: the
 * hits of offset/limit are those of one long page at the same ranks, with
 * the same scores, with copies folded or not; so are the pages an export
 * cursor walks. */
static void one_ranking(const char *query)
{
    static const size_t sizes[] = {3, 10};
    for (int collapse = 0; collapse < 2; collapse++) {
        mg_search_request all = {.query = query, .limit = 120, .no_collapse = !collapse};
        mg_search_result *r = run_req(&all);
        for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
            mg_search_request page = all;
            page.limit = sizes[z];
            page.cursor = true;
            size_t got = 0;
            char *after = NULL;
            for (page.offset = 0; got < r->nhits; page.offset += sizes[z]) {
                bool by_cursor = sizes[z] == 3 && page.offset > 0;
                mg_search_request p = page;
                if (by_cursor) {
                    p.offset = 0;
                    p.after = after;
                }
                mg_search_result *x = run_req(&p);
                for (size_t i = 0; i < x->nhits; i++, got++) {
                    const mg_hit *h = &x->hits[i], *w = &r->hits[got];
                    /* (collapse counts are lower bounds: test_pages_agree) */
                    if (strcmp(h->id, w->id) != 0 || h->rank != w->rank || h->score != w->score ||
                        h->partial != w->partial)
                        fail_msg("[%s] collapse %d, pages of %zu%s: rank %u is %s (%.17g), "
                                 "want %s (%.17g)",
                                 query, collapse, sizes[z], by_cursor ? " by cursor" : "", h->rank,
                                 h->id, h->score, w->id, w->score);
                }
                assert_true(x->nhits == sizes[z] || got == r->nhits);
                free(after);
                after = x->next ? strdup(x->next) : NULL;
                mg_search_result_free(x);
            }
            free(after);
        }
        mg_search_result_free(r);
    }
}

/* The two-stage ranking (lib/search.h, rescore_depth) with only the best 7
 * by BM25 rescored, so most pages reach past them: every page agrees with
 * the full Enquire's (facets), relaxed pages join up, and pages of any size
 * (and an export's) are windows into one ranking. */
static void test_pages_with_rescoring(void **state)
{
    mg_searcher *plain = s;
    static const long depths[] = {7, 0};
    for (size_t d = 0; d < sizeof depths / sizeof *depths; d++) {
        mg_search_limits lim;
        mg_search_limits_default(&lim);
        lim.proximity = 0.1;
        lim.rescore_depth = depths[d];
        mg_err err;
        char db[256];
        snprintf(db, sizeof db, "%s/db", tmp); /* where fx_open_index put it */
        s = mg_searcher_open(db, &lim, &err);
        assert_non_null(s);
        if (depths[d] == 7) {
            test_pages_agree(state);
            test_pages_positional(state);
            test_relaxed_pages_join(state);
        }
        for (size_t q = 0; q < sizeof queries / sizeof *queries; q++)
            one_ranking(queries[q]);
        for (size_t q = 0; q < sizeof positional / sizeof *positional; q++)
            one_ranking(positional[q].query);
        mg_searcher_free(s);
    }
    s = plain;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages_agree),          cmocka_unit_test(test_collapse_counts),
        cmocka_unit_test(test_relaxed_pages_join),   cmocka_unit_test(test_card_matches_record),
        cmocka_unit_test(test_pages_with_proximity), cmocka_unit_test(test_pages_positional),
        cmocka_unit_test(test_pages_with_rescoring), cmocka_unit_test(test_open_out_of_fds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
