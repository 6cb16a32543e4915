/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The syntax tree (query.h) to a Xapian query (xapian_search.h), analysed
 * with the index's analyser: words, phrases, word*, NEAR, filters, dates,
 * like:, the request's since/until/added/source bounds, and the relaxed
 * query (the OR of an AND's words). search_int.h has the compiler's state. */
#include "search_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "query.h"
#include "schema.h"
#include "stopwords.h"

typedef struct tokens {
    char (*t)[MG_TERM_MAX + 1];
    size_t n, cap;
    bool oom;
} tokens;

static int collect_token(void *ctx, const mg_token *tok)
{
    tokens *ts = ctx;
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 8;
        void *v = realloc(ts->t, cap * sizeof *ts->t);
        if (!v) {
            ts->oom = true;
            return 1;
        }
        ts->t = v;
        ts->cap = cap;
    }
    size_t n = tok->term_len > MG_TERM_MAX ? MG_TERM_MAX : tok->term_len;
    memcpy(ts->t[ts->n], tok->term, n);
    ts->t[ts->n][n] = '\0';
    ts->n++;
    return 0;
}

static int analyse(compiler *c, const char *text, size_t len, int flags, tokens *ts)
{
    memset(ts, 0, sizeof *ts);
    long r = mg_analyze(c->s->an, text, len, 0, flags, collect_token, ts, c->err);
    if (ts->oom)
        return mg_err_set(c->err, MG_ENOMEM, "out of memory analysing the query");
    if (r < 0 && c->err->code != MG_OK)
        return -c->err->code;
    return 0;
}

static int count_terms(compiler *c, size_t add, const mg_qnode *n)
{
    c->nterms += add;
    if (c->nterms > c->s->lim.max_terms)
        return mg_query_err(c->err, MG_QE_TOO_MANY, " at column %zu: more than %zu", n->col,
                            c->s->lim.max_terms);
    return 0;
}

/* A term with the field's prefix, as a new query. */
static mg_xq *field_term(compiler *c, mg_qfield field, const char *term)
{
    char buf[MG_TERM_MAX + 8];
    int n = snprintf(buf, sizeof buf, "%s%s", field == MG_QF_TITLE ? MG_PFX_TITLE : "", term);
    return mg_xq_term(buf, (size_t)n, c->err);
}

static mg_xq *combine_free(compiler *c, int op, mg_xq **subs, size_t n, unsigned window)
{
    mg_xq *q = mg_xq_combine(op, subs, n, window, c->err);
    for (size_t i = 0; i < n; i++)
        mg_xq_free(subs[i]);
    return q;
}

/* Whether term, the stem of a free-text or title: word, is a stop word. */
static bool is_stop(const compiler *c, mg_qfield field, const char *term)
{
    return (field == MG_QF_NONE || field == MG_QF_TITLE) &&
           mg_stopset_has(c->s->stops, term, strlen(term));
}

/* Whether the query (outside its NOTs) has something that weighs besides
 * stop words: a word that is not one, a phrase, a NEAR, a word*, like:. If
 * not ("the who", "to be or not to be"), its stop words keep their weight,
 * or every hit would score 0. Filters weigh nothing. */
int mg_compile_has_content(compiler *c, const mg_qnode *n)
{
    switch (n->kind) {
    case MG_QN_AND:
    case MG_QN_OR:
        for (size_t i = 0; i < n->nkids; i++) {
            int rc = mg_compile_has_content(c, n->kids[i]);
            if (rc != 0)
                return rc;
        }
        return 0;
    case MG_QN_WORD: {
        if (n->field != MG_QF_NONE && n->field != MG_QF_TITLE)
            return 0;
        tokens ts;
        int rc = analyse(c, n->text, n->text_len, 0, &ts);
        if (rc < 0)
            return rc;
        rc = ts.n > 1 || (ts.n == 1 && !is_stop(c, n->field, ts.t[0]));
        free(ts.t);
        return rc;
    }
    case MG_QN_PHRASE:
    case MG_QN_PREFIX:
    case MG_QN_NEAR:
    case MG_QN_LIKE:
        return 1;
    case MG_QN_NOT:
    case MG_QN_FILTER:
    case MG_QN_DATE:
    case MG_QN_ALL:
        return 0;
    }
    return 0;
}

/* Words and phrases: one term, or a phrase of the tokens. */
static int compile_text(compiler *c, const mg_qnode *n, mg_xq **out)
{
    tokens ts;
    int rc = analyse(c, n->text, n->text_len, 0, &ts);
    if (rc < 0)
        return rc;
    *out = NULL;
    if (ts.n == 0) {
        free(ts.t);
        return 0;
    }
    if ((rc = count_terms(c, ts.n, n)) < 0) {
        free(ts.t);
        return rc;
    }
    mg_xq **subs = calloc(ts.n, sizeof *subs);
    if (!subs) {
        free(ts.t);
        return mg_err_set(c->err, MG_ENOMEM, "out of memory");
    }
    size_t k;
    for (k = 0; k < ts.n; k++) {
        mg_hlset_add_term(c->hl, ts.t[k], strlen(ts.t[k]));
        if (!(subs[k] = field_term(c, n->field, ts.t[k])))
            break;
    }
    long long tf = -1;
    bool stop = false;
    if (k == ts.n && ts.n == 1) {
        stop = c->stops && n->kind == MG_QN_WORD && is_stop(c, n->field, ts.t[0]);
        mg_err e2;
        tf = mg_xsearch_termfreq(c->s->xs, ts.t[0], strlen(ts.t[0]), &e2);
        if (tf == 0 && n->kind == MG_QN_WORD && c->nunknown < MAX_UNKNOWN) {
            unknown_word *u = &c->unknown[c->nunknown++];
            u->off = n->off;
            u->len = n->text_len;
            snprintf(u->term, sizeof u->term, "%s", ts.t[0]);
        }
    }
    free(ts.t);
    if (k < ts.n) {
        for (size_t i = 0; i < k; i++)
            mg_xq_free(subs[i]);
        free(subs);
        return -c->err->code;
    }
    if (ts.n == 1) {
        *out = subs[0];
        /* A word in more than half the documents has no discriminating
         * power (its Robertson-Sparck Jones idf is <= 0; Xapian's BM25 would
         * floor it at about 1), and a stop word only ties the others
         * together: either must still match, but adds no weight. */
        if (stop || (tf > 0 && (unsigned long long)tf * 2 > mg_xsearch_doccount(c->s->xs))) {
            c->weightless = true;
            *out = mg_xq_scale(subs[0], 0.0, c->err);
            mg_xq_free(subs[0]);
        }
    } else {
        c->posits++;
        *out = combine_free(c, MG_XQ_PHRASE, subs, ts.n, 0);
    }
    free(subs);
    return *out ? 0 : -c->err->code;
}

typedef struct expansion {
    compiler *c;
    mg_xq **v;
    size_t n, max;
    char (*seen)[MG_TERM_MAX + 8];
    const mg_qnode *node;
    bool broad, failed;
} expansion;

static int add_expansion(expansion *x, const char *term, size_t len)
{
    for (size_t i = 0; i < x->n; i++)
        if (strlen(x->seen[i]) == len && memcmp(x->seen[i], term, len) == 0)
            return 0;
    if (x->n == x->max) {
        x->broad = true;
        return 1;
    }
    if (len > MG_TERM_MAX + 7)
        return 0;
    memcpy(x->seen[x->n], term, len);
    x->seen[x->n][len] = '\0';
    if (!(x->v[x->n] = mg_xq_term(term, len, x->c->err))) {
        x->failed = true;
        return 1;
    }
    x->n++;
    return 0;
}

static int expand_cb(void *ctx, const char *term, size_t len, unsigned long long freq)
{
    (void)freq;
    return add_expansion(ctx, term, len);
}

/* word*: the indexed stems that start with the folded prefix or with its stem,
 * and stems at most two characters shorter than the prefix that it starts
 * with (the stem of "government" is "govern", which "governm*" should find). */
static int compile_prefix(compiler *c, const mg_qnode *n, mg_xq **out)
{
    *out = NULL;
    tokens ts;
    int rc = analyse(c, n->text, n->text_len, MG_AN_NOSTEM, &ts);
    if (rc < 0)
        return rc;
    if (ts.n == 0) {
        free(ts.t);
        return 0;
    }
    const char *pfx = n->field == MG_QF_TITLE ? MG_PFX_TITLE : "";
    char folded[MG_TERM_MAX + 8], stem[MG_TERM_MAX + 8];
    char last[MG_TERM_MAX + 1];
    snprintf(last, sizeof last, "%s", ts.t[ts.n - 1]);
    snprintf(folded, sizeof folded, "%s%s", pfx, last);
    char st[MG_TERM_MAX + 1];
    long sl = mg_analyze_word(c->s->an, last, strlen(last), 0, st, sizeof st, c->err);
    snprintf(stem, sizeof stem, "%s%s", pfx, sl > 0 ? st : last);
    free(ts.t);
    if ((rc = count_terms(c, 1, n)) < 0)
        return rc;
    mg_hlset_add_prefix(c->hl, last, strlen(last));

    size_t max = c->s->lim.max_wildcard;
    expansion x = {.c = c, .max = max, .node = n};
    x.v = calloc(max + 1, sizeof *x.v);
    x.seen = calloc(max + 1, sizeof *x.seen);
    if (!x.v || !x.seen) {
        free(x.v);
        free(x.seen);
        return mg_err_set(c->err, MG_ENOMEM, "out of memory");
    }
    rc = mg_xsearch_each_term(c->s->xs, folded, strlen(folded), expand_cb, &x, c->err);
    if (rc >= 0 && !x.broad && !x.failed && strcmp(stem, folded) != 0)
        rc = mg_xsearch_each_term(c->s->xs, stem, strlen(stem), expand_cb, &x, c->err);
    size_t fl = strlen(folded), pl = strlen(pfx);
    for (size_t cut = 1; rc >= 0 && cut <= 2 && !x.broad && !x.failed; cut++) {
        if (fl - pl < cut + 3)
            break;
        mg_err e2;
        if (mg_xsearch_termfreq(c->s->xs, folded, fl - cut, &e2) > 0)
            add_expansion(&x, folded, fl - cut);
    }
    if (rc < 0 || x.broad || x.failed) {
        for (size_t i = 0; i < x.n; i++)
            mg_xq_free(x.v[i]);
        free(x.v);
        free(x.seen);
        if (x.broad)
            return mg_query_err(c->err, MG_QE_WILD_BROAD,
                                " at column %zu: '%s*' matches more than %zu terms (make the "
                                "prefix longer)",
                                n->col, n->text, max);
        return -c->err->code;
    }
    for (size_t i = 0; i < x.n; i++) /* highlight exactly what matched */
        if (x.seen[i][0] && !(x.seen[i][0] >= 'A' && x.seen[i][0] <= 'Z'))
            mg_hlset_add_term(c->hl, x.seen[i], strlen(x.seen[i]));
        else if (x.seen[i][0] == 'S')
            mg_hlset_add_term(c->hl, x.seen[i] + 1, strlen(x.seen[i] + 1));
    *out = combine_free(c, MG_XQ_SYNONYM, x.v, x.n, 0);
    free(x.v);
    free(x.seen);
    return *out ? 0 : -c->err->code;
}

static int compile_near(compiler *c, const mg_qnode *n, mg_xq **out)
{
    *out = NULL;
    size_t cap = 8, cnt = 0;
    mg_xq **subs = malloc(cap * sizeof *subs);
    if (!subs)
        return mg_err_set(c->err, MG_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < n->nkids && rc == 0; i++) {
        tokens ts;
        const mg_qnode *k = n->kids[i];
        if ((rc = analyse(c, k->text, k->text_len, 0, &ts)) < 0)
            break;
        if ((rc = count_terms(c, ts.n, k)) < 0) {
            free(ts.t);
            break;
        }
        for (size_t j = 0; j < ts.n && rc == 0; j++) {
            if (cnt == cap) {
                mg_xq **v = realloc(subs, (cap *= 2) * sizeof *v);
                if (!v) {
                    rc = mg_err_set(c->err, MG_ENOMEM, "out of memory");
                    break;
                }
                subs = v;
            }
            mg_hlset_add_term(c->hl, ts.t[j], strlen(ts.t[j]));
            if (!(subs[cnt] = field_term(c, k->field, ts.t[j])))
                rc = -c->err->code;
            else
                cnt++;
        }
        free(ts.t);
    }
    if (rc < 0) {
        for (size_t i = 0; i < cnt; i++)
            mg_xq_free(subs[i]);
        free(subs);
        return rc;
    }
    if (cnt == 0) {
        free(subs);
        return 0;
    }
    if (cnt == 1)
        *out = subs[0];
    else {
        c->posits++;
        *out = combine_free(c, MG_XQ_NEAR, subs, cnt, (unsigned)(n->dist + cnt));
    }
    free(subs);
    return *out ? 0 : -c->err->code;
}

typedef struct sources {
    mg_xq **v;
    size_t n, max;
    mg_err *err;
    bool broad, failed;
} sources;

static int source_cb(void *ctx, const char *term, size_t len, unsigned long long freq)
{
    sources *x = ctx;
    (void)freq;
    if (x->n == x->max) {
        x->broad = true;
        return 1;
    }
    if (!(x->v[x->n] = mg_xq_term(term, len, x->err))) {
        x->failed = true;
        return 1;
    }
    x->n++;
    return 0;
}

/* source:NAME (and the request's source): the source whose folded name is
 * NAME's, else every source whose folded name starts with it ("bbc" finds
 * "BBC News"), at most max_wildcard of them. term[0..len) is the exact
 * term. */
static mg_xq *compile_source(compiler *c, const mg_qnode *n, const char *term, size_t len)
{
    mg_err e2;
    if (len == strlen(MG_PFX_SOURCE) || mg_xsearch_termfreq(c->s->xs, term, len, &e2) != 0)
        return mg_xq_term(term, len, c->err);
    sources x = {.max = c->s->lim.max_wildcard, .err = c->err};
    if (!(x.v = calloc(x.max, sizeof *x.v))) {
        mg_err_set(c->err, MG_ENOMEM, "out of memory");
        return NULL;
    }
    int rc = mg_xsearch_each_term(c->s->xs, term, len, source_cb, &x, c->err);
    mg_xq *q = NULL;
    if (x.broad)
        mg_query_err(c->err, MG_QE_WILD_BROAD,
                     " at column %zu: more than %zu sources start with '%.*s' (make it longer)",
                     n->col, x.max, (int)(n->text_len > 100 ? 100 : n->text_len), n->text);
    else if (rc >= 0 && !x.failed)
        q = x.n == 0 ? mg_xq_term(term, len, c->err) : mg_xq_combine(MG_XQ_OR, x.v, x.n, 0, c->err);
    for (size_t i = 0; i < x.n; i++)
        mg_xq_free(x.v[i]);
    free(x.v);
    return q;
}

static mg_xq *compile_filter(compiler *c, const mg_qnode *n)
{
    char term[MG_XDB_MAX_TERM + 64];
    int len;
    if (n->field == MG_QF_ID)
        len = snprintf(term, sizeof term, "%s%.*s", MG_PFX_ID, (int)n->text_len, n->text);
    else {
        char folded[MG_XDB_MAX_TERM + 1];
        long fl = mg_fold_phrase(n->text, n->text_len, folded, sizeof folded, c->err);
        if (fl < 0)
            return NULL;
        const char *pfx = n->field == MG_QF_SOURCE   ? MG_PFX_SOURCE
                          : n->field == MG_QF_AUTHOR ? MG_PFX_AUTHOR
                                                     : MG_PFX_CATEGORY;
        len = snprintf(term, sizeof term, "%s%s", pfx, folded);
    }
    if (len < 0 || (size_t)len >= sizeof term)
        len = (int)sizeof term - 1;
    mg_xq *t = n->field == MG_QF_SOURCE ? compile_source(c, n, term, (size_t)len)
                                        : mg_xq_term(term, (size_t)len, c->err);
    if (!t)
        return NULL;
    mg_xq *q = mg_xq_scale(t, 0.0, c->err);
    mg_xq_free(t);
    return q;
}

static int compile(compiler *c, const mg_qnode *n, mg_xq **out, enum role *role);

/* The OR of subs (freed), with the proximity of consecutive words when on:
 * an explicit OR and a relaxed AND alike, so that the hits a relaxed query
 * adds are exactly those of the OR without the AND, in the same order. */
static mg_xq *or_words(compiler *c, mg_xq **subs, size_t n)
{
    const mg_search_limits *l = &c->s->lim;
    c->ors++;
    if (l->proximity <= 0 || c->plain)
        return combine_free(c, MG_XQ_OR, subs, n, 0);
    c->near_ors++;
    mg_xq *q = mg_xq_or_near(subs, n, l->proximity_window, l->proximity, c->err);
    for (size_t i = 0; i < n; i++)
        mg_xq_free(subs[i]);
    return q;
}

/* The parts of an OR (explicit, or a relaxed AND's) without its weightless
 * words (stop words, words in more than half the documents), when another
 * part weighs: alone such a word would make every document holding *the* a
 * hit, scored 0, and an OR matched without pruning (unprunable()) would
 * visit them all. light[i]: pos[i] is a weightless word. Returns the new
 * count; the dropped parts are freed. */
static size_t drop_weightless(mg_xq **pos, const bool *light, size_t n)
{
    size_t heavy = 0, k = 0;
    for (size_t i = 0; i < n; i++)
        heavy += !light[i];
    if (heavy == 0 || heavy == n)
        return n;
    for (size_t i = 0; i < n; i++) {
        if (light[i])
            mg_xq_free(pos[i]);
        else
            pos[k++] = pos[i];
    }
    return k;
}

/* AND / OR: weighted parts combined, filters restrict, NOT parts exclude. */
static int compile_bool(compiler *c, const mg_qnode *n, mg_xq **out, enum role *role)
{
    bool *light = calloc(n->nkids, sizeof *light);
    mg_xq **pos = calloc(n->nkids, sizeof *pos);
    mg_xq **fil = calloc(n->nkids, sizeof *fil);
    mg_xq **neg = calloc(n->nkids + 1, sizeof *neg);
    size_t np = 0, nf = 0, nn = 0;
    int rc = 0;
    *out = NULL;
    *role = R_NONE;
    if (!light || !pos || !fil || !neg)
        rc = mg_err_set(c->err, MG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n->nkids && rc == 0; i++) {
        mg_xq *q;
        enum role r;
        c->weightless = false;
        if ((rc = compile(c, n->kids[i], &q, &r)) < 0)
            break;
        if (!q)
            continue;
        if (r == R_POS) {
            light[np] = c->weightless && n->kids[i]->kind == MG_QN_WORD;
            pos[np++] = q;
        } else if (r == R_FILTER)
            fil[nf++] = q;
        else
            neg[1 + nn++] = q;
    }
    mg_xq *main = NULL;
    if (rc == 0 && (n->kind == MG_QN_OR || c->relax))
        np = drop_weightless(pos, light, np);
    if (rc == 0 && n->kind == MG_QN_OR) {
        /* a NOT inside OR means "everything but" */
        for (size_t i = 0; i < nn && rc == 0; i++) {
            mg_xq *all = mg_xq_all(c->err), *pair[2] = {all, neg[1 + i]};
            mg_xq *ex = all ? mg_xq_combine(MG_XQ_AND_NOT, pair, 2, 0, c->err) : NULL;
            mg_xq_free(all);
            mg_xq_free(neg[1 + i]);
            neg[1 + i] = NULL;
            if (!ex)
                rc = -c->err->code;
            else
                pos[np++] = ex;
        }
        for (size_t i = 0; i < nf; i++)
            pos[np++] = fil[i];
        if (rc == 0 && np > 0) {
            main = or_words(c, pos, np);
            *role = nf == np ? R_FILTER : R_POS;
            np = nf = 0;
            if (!main)
                rc = -c->err->code;
        } else
            nf = 0;
    } else if (rc == 0) {
        bool want = np || nf || nn;
        if (np >= 2)
            c->ands++;
        if (np > 0) {
            main = c->relax ? or_words(c, pos, np) : combine_free(c, MG_XQ_AND, pos, np, 0);
            *role = R_POS;
        } else if (nf > 0) {
            main = combine_free(c, MG_XQ_AND, fil, nf, 0);
            *role = R_FILTER;
            nf = 0;
        } else if (nn > 0) {
            main = mg_xq_all(c->err);
            *role = R_POS;
        }
        np = 0;
        if (want && !main)
            rc = -c->err->code;
        if (rc == 0 && main && nf > 0) {
            fil[nf] = NULL;
            mg_xq **v = calloc(nf + 1, sizeof *v);
            if (!v)
                rc = mg_err_set(c->err, MG_ENOMEM, "out of memory");
            else {
                v[0] = main;
                memcpy(v + 1, fil, nf * sizeof *v);
                main = combine_free(c, MG_XQ_FILTER, v, nf + 1, 0);
                free(v);
                nf = 0;
                if (!main)
                    rc = -c->err->code;
            }
        }
        if (rc == 0 && main && nn > 0) {
            neg[0] = main;
            main = combine_free(c, MG_XQ_AND_NOT, neg, nn + 1, 0);
            nn = 0;
            if (!main)
                rc = -c->err->code;
        }
    }
    for (size_t i = 0; i < np; i++)
        mg_xq_free(pos[i]);
    for (size_t i = 0; i < nf; i++)
        mg_xq_free(fil[i]);
    for (size_t i = 0; i < nn; i++)
        mg_xq_free(neg[1 + i]);
    free(light);
    free(pos);
    free(fil);
    free(neg);
    if (rc < 0) {
        mg_xq_free(main);
        return rc;
    }
    *out = main;
    return 0;
}

/* Highlight a term chosen by more-like-this. */
static int highlight_cb(void *ctx, const char *term, size_t len, unsigned long long freq)
{
    (void)freq;
    mg_hlset_add_term(ctx, term, len);
    return 0;
}

static int compile(compiler *c, const mg_qnode *n, mg_xq **out, enum role *role)
{
    *out = NULL;
    *role = R_POS;
    switch (n->kind) {
    case MG_QN_AND:
    case MG_QN_OR:
        return compile_bool(c, n, out, role);
    case MG_QN_NOT: {
        int rc = compile(c, n->kids[0], out, role);
        *role = R_NEG;
        return rc;
    }
    case MG_QN_WORD:
    case MG_QN_PHRASE:
        return compile_text(c, n, out);
    case MG_QN_PREFIX:
        return compile_prefix(c, n, out);
    case MG_QN_NEAR:
        return compile_near(c, n, out);
    case MG_QN_FILTER:
        *role = R_FILTER;
        *out = compile_filter(c, n);
        return *out ? 0 : -c->err->code;
    case MG_QN_DATE:
        *role = R_FILTER;
        *out = mg_xq_date_range(n->lo, n->hi, c->err);
        return *out ? 0 : -c->err->code;
    case MG_QN_LIKE: {
        char term[MG_XDB_MAX_TERM + 64];
        snprintf(term, sizeof term, "%s%.*s", MG_PFX_ID, (int)n->text_len, n->text);
        *out = mg_xq_like(c->s->xs, term, 25, highlight_cb, c->hl, c->err);
        if (!*out && c->err->code == MG_ENOTFOUND)
            return mg_query_err(c->err, MG_QE_LIKE, " at column %zu: no document with id '%.*s'",
                                n->col, (int)(n->text_len > 100 ? 100 : n->text_len), n->text);
        return *out ? 0 : -c->err->code;
    }
    case MG_QN_ALL:
        *out = mg_xq_all(c->err);
        return *out ? 0 : -c->err->code;
    }
    return mg_err_set(c->err, MG_EINTERNAL, "query: unknown node kind %d", (int)n->kind);
}

/* An added_since or added_until bound into out (YYYYMMDDhhmmss): the
 * digits given, padded with pad; MG_EINVAL ("bad date") otherwise. */
static int added_bound(const char *what, const char *v, char pad, char out[15], mg_err *err)
{
    size_t n = 0;
    for (const char *p = v; *p; p++) {
        if (*p >= '0' && *p <= '9' && n < 14)
            out[n++] = *p;
        else if (!strchr("-:TZ ", *p))
            return mg_err_set_detail(
                err, MG_EINVAL, MG_RE_BAD_DATE,
                "bad date in %s: '%.40s' (want YYYYMMDDhhmmss or a leading part)", what, v);
    }
    if (n < 4 || n % 2)
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_DATE,
                                 "bad date in %s: '%.40s' (want YYYYMMDDhhmmss or a leading part)",
                                 what, v);
    memset(out + n, pad, 14 - n);
    out[14] = '\0';
    return 0;
}

int mg_compile_check_added(const mg_search_request *req, compiler *c, mg_err *err)
{
    int rc;
    c->added_lo[0] = c->added_hi[0] = '\0';
    if (req->added_since && req->added_since[0] &&
        (rc = added_bound("added_since", req->added_since, '0', c->added_lo, err)) < 0)
        return rc;
    if (req->added_until && req->added_until[0] &&
        (rc = added_bound("added_until", req->added_until, '9', c->added_hi, err)) < 0)
        return rc;
    return 0;
}

/* q filtered by f (which may be NULL after a failure); both are consumed. */
static int filter_by(compiler *c, mg_xq **q, mg_xq *f)
{
    mg_xq *pair[2] = {*q, f};
    mg_xq *g = f ? mg_xq_combine(MG_XQ_FILTER, pair, 2, 0, c->err) : NULL;
    mg_xq_free(f);
    mg_xq_free(*q);
    *q = g;
    return g ? 0 : -c->err->code;
}

/* Compile the tree (relaxed or not) with since/until applied. */
int mg_compile_build(compiler *c, const mg_qnode *ast, const char *since, const char *until,
                     const char *source, mg_xq **out)
{
    enum role role;
    mg_xq *q;
    int rc = compile(c, ast, &q, &role);
    if (rc < 0)
        return rc;
    if (!q)
        return mg_query_err(c->err, MG_QE_NOWORDS, ": the query has no words the index could hold");
    if (role == R_NEG) { /* a lone NOT cannot happen (parser wraps it), but be safe */
        mg_xq *all = mg_xq_all(c->err), *pair[2] = {all, q};
        mg_xq *ex = all ? mg_xq_combine(MG_XQ_AND_NOT, pair, 2, 0, c->err) : NULL;
        mg_xq_free(all);
        mg_xq_free(q);
        if (!(q = ex))
            return -c->err->code;
    }
    if (since[0] || until[0]) {
        mg_xq *d = mg_xq_date_range(since, until, c->err);
        mg_xq *pair[2] = {q, d};
        mg_xq *f = d ? mg_xq_combine(MG_XQ_FILTER, pair, 2, 0, c->err) : NULL;
        mg_xq_free(d);
        mg_xq_free(q);
        if (!(q = f))
            return -c->err->code;
    }
    if ((c->added_lo[0] || c->added_hi[0]) &&
        (rc = filter_by(c, &q, mg_xq_value_range(MG_SLOT_ADDED, c->added_lo, c->added_hi, c->err))))
        return rc;
    if (source && source[0]) {
        mg_qnode sn = {.kind = MG_QN_FILTER, .field = MG_QF_SOURCE};
        sn.text = (char *)(uintptr_t)source; /* read only */
        sn.text_len = strlen(source);
        mg_xq *f = compile_filter(c, &sn);
        mg_xq *pair[2] = {q, f};
        mg_xq *g = f ? mg_xq_combine(MG_XQ_FILTER, pair, 2, 0, c->err) : NULL;
        mg_xq_free(f);
        mg_xq_free(q);
        if (!(q = g))
            return -c->err->code;
    }
    *out = q;
    return 0;
}

/* The matches of the relaxed query that the strict one did not have: the OR
 * of the words without the documents holding all of them. Rebuilds c (its
 * highlights and unknown words) for the relaxed query, without proximity
 * pairs when plain (for counting: the same matches). *or_q is the relaxed
 * query itself, *rest the OR without strict's matches (NULL when strict is
 * NULL, the AND having matched nothing: run *or_q). */
int mg_compile_build_rest(compiler *c, const mg_qnode *ast, const char *since, const char *until,
                          const char *source, mg_xq *strict, bool plain, mg_xq **or_q, mg_xq **rest)
{
    mg_hlset_free(c->hl);
    c->hl = mg_hlset_new();
    c->relax = true;
    c->plain = plain;
    c->nterms = 0;
    c->nunknown = 0;
    *or_q = *rest = NULL;
    if (!c->hl)
        return mg_err_set(c->err, MG_ENOMEM, "out of memory");
    int rc = mg_compile_build(c, ast, since, until, source, or_q);
    if (rc < 0)
        return rc;
    if (!strict)
        return 0;
    mg_xq *pair[2] = {*or_q, strict};
    *rest = mg_xq_combine(MG_XQ_AND_NOT, pair, 2, 0, c->err);
    return *rest ? 0 : -c->err->code;
}
