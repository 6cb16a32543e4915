/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the snippet tests share: the highlight set the search layer would
 * build for a query. Include after <cmocka.h>. */
#ifndef MG_TEST_SNIPPET_FIXTURE_H
#define MG_TEST_SNIPPET_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "snippet.h"

static inline int fx_add_token(void *ctx, const mg_token *tok)
{
    assert_int_equal(mg_hlset_add_term(ctx, tok->term, tok->term_len), 0);
    return 0;
}

/* The highlight set of q's space-separated words, analysed by an: every
 * token's stem, and word* as a folded prefix. The caller frees it. */
static inline mg_hlset *fx_hlset(mg_analyzer *an, const char *q)
{
    mg_hlset *hl = mg_hlset_new();
    assert_non_null(hl);
    char *buf = strdup(q);
    assert_non_null(buf);
    for (char *w = strtok(buf, " "); w; w = strtok(NULL, " ")) {
        size_t n = strlen(w);
        mg_err err;
        if (n > 1 && w[n - 1] == '*') {
            char term[MG_TERM_MAX + 1];
            long len = mg_analyze_word(an, w, n - 1, MG_AN_NOSTEM, term, sizeof term, &err);
            assert_true(len >= 0);
            if (len > 0)
                assert_int_equal(mg_hlset_add_prefix(hl, term, (size_t)len), 0);
        } else
            assert_true(mg_analyze(an, w, n, 0, 0, fx_add_token, hl, &err) >= 0);
    }
    free(buf);
    return hl;
}

#endif
