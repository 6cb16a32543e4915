/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the weighting schemes behind mg_xsearch_run (BM25, BM25+,
 * BM25L): scores on hand-made databases against the formulas computed here,
 * and the matcher's pruned top page against the exhaustive ranking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "search_fixture.h"
#include "xapian_search.h"
#include "xapian_shim.h"

static char tmpdir[64];

enum { NTERMS = 3, MAXDOCS = 400 };
static const char *const terms[NTERMS] = {"ta", "tb", "tc"};

/* A corpus: for each document, the wdf of each query term and of a filler
 * term "zz" (which only makes the document longer). */
typedef struct corpus {
    size_t n;
    unsigned wdf[MAXDOCS][NTERMS];
    unsigned filler[MAXDOCS];
} corpus;

static double doclen(const corpus *c, size_t d)
{
    double len = c->filler[d];
    for (size_t t = 0; t < NTERMS; t++)
        len += c->wdf[d][t];
    return len;
}

/* The weight by the formulas of lib/xapian_weight.hh (Xapian's BM25Weight
 * for MG_RANK_BM25: the same with delta 0), wqf 1, min_normlen 0.5. */
static double expected(const corpus *c, size_t d, int ranking, double k1, double b, double delta)
{
    double total = 0;
    for (size_t i = 0; i < c->n; i++)
        total += doclen(c, i);
    double N = (double)c->n, avdl = total / N;
    double norm = (1 - b) + b * fmax(doclen(c, d) / avdl, 0.5);
    double w = 0;
    for (size_t t = 0; t < NTERMS; t++) {
        double tf = c->wdf[d][t], n = 0;
        if (tf == 0)
            continue;
        for (size_t i = 0; i < c->n; i++)
            n += c->wdf[i][t] > 0;
        double r = (N - n + 0.5) / (n + 0.5);
        double idf = log(r < 2 ? r / 2 + 1 : r);
        double part;
        if (ranking == MG_RANK_BM25L) {
            double ctd = tf / norm + delta;
            part = (k1 + 1) * ctd / (k1 + ctd);
        } else {
            part = (k1 + 1) * tf / (k1 * norm + tf);
            if (ranking == MG_RANK_BM25PLUS)
                part += delta;
        }
        w += idf * part;
    }
    return w;
}

static void build(const corpus *c, const char *path)
{
    mg_err err;
    mg_xdb *db = mg_xdb_open(path, MG_XDB_CREATE, &err);
    assert_non_null(db);
    for (size_t d = 0; d < c->n; d++) {
        mg_xdoc *doc = mg_xdoc_new(&err);
        assert_non_null(doc);
        char id[24], uid[32];
        snprintf(id, sizeof id, "d%03zu", d);
        snprintf(uid, sizeof uid, "Q%s", id);
        assert_int_equal(mg_xdoc_add_boolean(doc, uid, strlen(uid), &err), 0);
        unsigned pos = 1;
        for (size_t t = 0; t < NTERMS; t++)
            for (unsigned k = 0; k < c->wdf[d][t]; k++)
                assert_int_equal(mg_xdoc_add_posting(doc, terms[t], 2, pos++, 1, &err), 0);
        assert_int_equal(mg_xdoc_add_posting(doc, "zz", 2, pos++, c->filler[d], &err), 0);
        assert_int_equal(mg_xdoc_set_value(doc, MG_SLOT_ID, id, strlen(id), &err), 0);
        assert_int_equal(mg_xdoc_set_data(doc, id, strlen(id), &err), 0);
        assert_int_equal(mg_xdb_add(db, doc, &err), 0);
        mg_xdoc_free(doc);
    }
    assert_int_equal(mg_xdb_close(db, &err), 0);
}

/* OR of the three terms over c (built at path), top limit by ranking: every
 * hit's score is its formula's, in non-increasing order, and no document
 * left out scores more than the last hit. */
static void check_top(const corpus *c, const char *path, int ranking, double k1, double b,
                      double delta, size_t limit)
{
    mg_err err;
    mg_xsearch *xs = mg_xsearch_open(path, &err);
    assert_non_null(xs);
    mg_xq *subs[NTERMS];
    for (size_t t = 0; t < NTERMS; t++)
        assert_non_null(subs[t] = mg_xq_term(terms[t], 2, &err));
    mg_xq *q = mg_xq_combine(MG_XQ_OR, subs, NTERMS, 0, &err);
    assert_non_null(q);
    mg_xrun_opts o = {.limit = limit,
                      .sort = MG_SORT_RELEVANCE,
                      .k1 = k1,
                      .b = b,
                      .ranking = ranking,
                      .delta = delta,
                      .want_data = true};
    mg_xresult res;
    assert_int_equal(mg_xsearch_run(xs, q, &o, &res, &err), 0);

    size_t matching = 0;
    bool seen[MAXDOCS] = {false};
    for (size_t d = 0; d < c->n; d++)
        matching += c->wdf[d][0] + c->wdf[d][1] + c->wdf[d][2] > 0;
    assert_int_equal(res.nhits, matching < limit ? matching : limit);
    for (size_t r = 0; r < res.nhits; r++) {
        char id[16] = "";
        assert_true(res.hits[r].len < sizeof id);
        memcpy(id, res.hits[r].data, res.hits[r].len);
        size_t d = strtoul(id + 1, NULL, 10);
        assert_true(d < c->n);
        seen[d] = true;
        double want = expected(c, d, ranking, k1, b, delta);
        if (fabs(res.hits[r].score - want) > 1e-9 * fmax(1, want))
            fail_msg("ranking %d: %s scores %.12g, formula %.12g", ranking, id, res.hits[r].score,
                     want);
        if (r > 0)
            assert_true(res.hits[r].score <= res.hits[r - 1].score);
    }
    double last = res.nhits ? res.hits[res.nhits - 1].score : 0;
    for (size_t d = 0; d < c->n; d++)
        if (!seen[d] && expected(c, d, ranking, k1, b, delta) > last + 1e-9)
            fail_msg("ranking %d: d%03zu (%.12g) left out of the top %zu (last %.12g)", ranking, d,
                     expected(c, d, ranking, k1, b, delta), limit, last);
    mg_xresult_release(&res);
    mg_xq_free(q);
    for (size_t t = 0; t < NTERMS; t++)
        mg_xq_free(subs[t]);
    mg_xsearch_free(xs);
}

static const int rankings[] = {MG_RANK_BM25, MG_RANK_BM25PLUS, MG_RANK_BM25L};

/* Six documents small enough to check by hand: a short document with one
 * rare term, long ones with many occurrences of a common one. */
static void test_scores_match_formula(void **state)
{
    (void)state;
    static const corpus c = {
        .n = 6,
        .wdf = {{1, 0, 0}, {0, 5, 1}, {0, 1, 0}, {2, 1, 1}, {0, 0, 3}, {0, 0, 0}},
        .filler = {2, 30, 5, 10, 1, 8}};
    char p[128];
    snprintf(p, sizeof p, "%s/small", tmpdir);
    build(&c, p);
    for (size_t i = 0; i < sizeof rankings / sizeof rankings[0]; i++) {
        double delta = rankings[i] == MG_RANK_BM25L ? 0.5 : rankings[i] == MG_RANK_BM25PLUS ? 1 : 0;
        check_top(&c, p, rankings[i], 1.2, 0.75, delta, 10);
        check_top(&c, p, rankings[i], 1.6, 0.3, delta, 10);
    }
}

/* Xapian skips documents that cannot reach the page using each term's
 * get_maxpart(): a bound below a real score would drop them. A top 5 out of
 * 400 documents must be the exhaustive ranking's. */
static void test_pruned_top_is_exhaustive_top(void **state)
{
    (void)state;
    static corpus c;
    c.n = MAXDOCS;
    uint32_t x = 12345;
    for (size_t d = 0; d < c.n; d++) {
        for (size_t t = 0; t < NTERMS; t++) {
            x = x * 1103515245u + 12345u;
            unsigned v = (x >> 16) % 100;
            /* ta in ~4% of the documents, tb ~30%, tc ~70% */
            unsigned in = t == 0 ? v < 4 : t == 1 ? v < 30 : v < 70;
            x = x * 1103515245u + 12345u;
            c.wdf[d][t] = in ? 1 + (x >> 16) % 6 : 0;
        }
        x = x * 1103515245u + 12345u;
        c.filler[d] = 1 + (x >> 16) % 120;
    }
    char p[128];
    snprintf(p, sizeof p, "%s/big", tmpdir);
    build(&c, p);
    for (size_t i = 0; i < sizeof rankings / sizeof rankings[0]; i++)
        for (size_t limit = 1; limit <= 20; limit += 4) {
            check_top(&c, p, rankings[i], 1.2, 0.75, 1.0, limit);
            check_top(&c, p, rankings[i], 2.0, 0.9, 0.5, limit);
        }
}

static int setup(void **state)
{
    (void)state;
    return fx_tmpdir(tmpdir, sizeof tmpdir, "rank");
}

static int teardown(void **state)
{
    (void)state;
    return fx_remove(tmpdir) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_match_formula),
        cmocka_unit_test(test_pruned_top_is_exhaustive_top),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
