/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The syntax tree (query.h) to a Xapian query (xapian_search.h): the walk
 * over the tree, AND/OR/NOT, and the relaxed query (the OR of an AND's
 * words). Words, phrases, word* and NEAR are in compile_words.c; filters,
 * dates and the request's bounds in compile_filters.c. search_int.h has the
 * compiler's state. */
#include "search_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "schema.h"

mg_xq *mg_compile_combine(compiler *c, int op, mg_xq **subs, size_t n, unsigned window)
{
    mg_xq *q = mg_xq_combine(op, subs, n, window, c->err);
    for (size_t i = 0; i < n; i++)
        mg_xq_free(subs[i]);
    return q;
}

/* Every document but q's (q is consumed); NULL after a failure. */
static mg_xq *all_but(compiler *c, mg_xq *q)
{
    mg_xq *all = mg_xq_all(c->err), *pair[2] = {all, q};
    mg_xq *ex = all ? mg_xq_combine(MG_XQ_AND_NOT, pair, 2, 0, c->err) : NULL;
    mg_xq_free(all);
    mg_xq_free(q);
    return ex;
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
        return mg_compile_combine(c, MG_XQ_OR, subs, n, 0);
    c->near_ors++;
    mg_xq *q = mg_xq_or_near(subs, n, l->proximity_window, l->proximity, c->err);
    for (size_t i = 0; i < n; i++)
        mg_xq_free(subs[i]);
    return q;
}

/* The parts of an OR (explicit, or a relaxed AND's) without its weightless
 * words (stop words, words in more than half the documents), when another
 * part weighs: alone such a word would make every document holding *the* a
 * hit, scored 0, and an OR matched without pruning (unprunable() in
 * search_run.c) would visit them all. light[i]: pos[i] is a weightless
 * word. Returns the new count; the dropped parts are freed. */
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

/* The compiled children of an AND or OR, by role: weighted (pos, with
 * light[i] when pos[i] is a weightless word), filters (fil) and excluded
 * (neg[1..nn], neg[0] left for the query they are taken from). A combine
 * step that consumes parts sets their count to 0; parts_free frees what is
 * left. */
typedef struct parts {
    bool *light;
    mg_xq **pos, **fil, **neg;
    size_t np, nf, nn;
} parts;

static int parts_init(compiler *c, parts *p, size_t n)
{
    *p = (parts){.light = calloc(n, sizeof *p->light),
                 .pos = calloc(n, sizeof *p->pos),
                 .fil = calloc(n, sizeof *p->fil),
                 .neg = calloc(n + 1, sizeof *p->neg)};
    if (!p->light || !p->pos || !p->fil || !p->neg)
        return mg_err_set(c->err, MG_ENOMEM, "out of memory");
    return 0;
}

static void parts_release(parts *p)
{
    for (size_t i = 0; i < p->np; i++)
        mg_xq_free(p->pos[i]);
    for (size_t i = 0; i < p->nf; i++)
        mg_xq_free(p->fil[i]);
    for (size_t i = 0; i < p->nn; i++)
        mg_xq_free(p->neg[1 + i]);
    free(p->light);
    free(p->pos);
    free(p->fil);
    free(p->neg);
}

/* Compile n's children into p, by their role. */
static int compile_parts(compiler *c, const mg_qnode *n, parts *p)
{
    for (size_t i = 0; i < n->nkids; i++) {
        mg_xq *q;
        enum role r;
        c->weightless = false;
        int rc = compile(c, n->kids[i], &q, &r);
        if (rc < 0)
            return rc;
        if (!q)
            continue;
        if (r == R_POS) {
            p->light[p->np] = c->weightless && n->kids[i]->kind == MG_QN_WORD;
            p->pos[p->np++] = q;
        } else if (r == R_FILTER)
            p->fil[p->nf++] = q;
        else
            p->neg[1 + p->nn++] = q;
    }
    return 0;
}

/* OR: every part is an alternative. A NOT inside OR means "everything
 * but"; an OR of filters only is a filter. */
static int combine_or(compiler *c, parts *p, mg_xq **main, enum role *role)
{
    for (size_t i = 0; i < p->nn; i++) {
        mg_xq *ex = all_but(c, p->neg[1 + i]);
        p->neg[1 + i] = NULL;
        if (!ex)
            return -c->err->code;
        p->pos[p->np++] = ex;
    }
    for (size_t i = 0; i < p->nf; i++)
        p->pos[p->np++] = p->fil[i];
    if (p->np == 0) {
        p->nf = 0;
        return 0;
    }
    *main = or_words(c, p->pos, p->np);
    *role = p->nf == p->np ? R_FILTER : R_POS;
    p->np = p->nf = 0;
    return *main ? 0 : -c->err->code;
}

/* AND: the weighted parts (their OR when relaxed), else the filters, else
 * every document when there are only NOTs; into *main. */
static int and_main(compiler *c, parts *p, mg_xq **main, enum role *role)
{
    bool want = p->np || p->nf || p->nn;
    if (p->np >= 2)
        c->ands++;
    if (p->np > 0) {
        *main = c->relax ? or_words(c, p->pos, p->np)
                         : mg_compile_combine(c, MG_XQ_AND, p->pos, p->np, 0);
        *role = R_POS;
    } else if (p->nf > 0) {
        *main = mg_compile_combine(c, MG_XQ_AND, p->fil, p->nf, 0);
        *role = R_FILTER;
        p->nf = 0;
    } else if (p->nn > 0) {
        *main = mg_xq_all(c->err);
        *role = R_POS;
    }
    p->np = 0;
    return want && !*main ? -c->err->code : 0;
}

/* AND: *main restricted by the filters and without the NOTs' documents. */
static int and_restrict(compiler *c, parts *p, mg_xq **main)
{
    if (p->nf > 0) {
        mg_xq **v = calloc(p->nf + 1, sizeof *v);
        if (!v)
            return mg_err_set(c->err, MG_ENOMEM, "out of memory");
        v[0] = *main;
        memcpy(v + 1, p->fil, p->nf * sizeof *v);
        *main = mg_compile_combine(c, MG_XQ_FILTER, v, p->nf + 1, 0);
        free(v);
        p->nf = 0;
        if (!*main)
            return -c->err->code;
    }
    if (p->nn > 0) {
        p->neg[0] = *main;
        *main = mg_compile_combine(c, MG_XQ_AND_NOT, p->neg, p->nn + 1, 0);
        p->nn = 0;
        if (!*main)
            return -c->err->code;
    }
    return 0;
}

/* AND / OR: weighted parts combined, filters restrict, NOT parts exclude. */
static int compile_bool(compiler *c, const mg_qnode *n, mg_xq **out, enum role *role)
{
    parts p;
    mg_xq *main = NULL;
    *out = NULL;
    *role = R_NONE;
    int rc = parts_init(c, &p, n->nkids);
    if (rc == 0)
        rc = compile_parts(c, n, &p);
    if (rc == 0 && (n->kind == MG_QN_OR || c->relax))
        p.np = drop_weightless(p.pos, p.light, p.np);
    if (rc == 0 && n->kind == MG_QN_OR)
        rc = combine_or(c, &p, &main, role);
    else if (rc == 0) {
        rc = and_main(c, &p, &main, role);
        if (rc == 0 && main)
            rc = and_restrict(c, &p, &main);
    }
    parts_release(&p);
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

/* like:ID: the terms of the document ID that weigh most, highlighted. */
static int compile_like(compiler *c, const mg_qnode *n, mg_xq **out)
{
    char term[MG_XDB_MAX_TERM + 64];
    snprintf(term, sizeof term, "%s%.*s", MG_PFX_ID, (int)n->text_len, n->text);
    *out = mg_xq_like(c->s->xs, term, 25, highlight_cb, c->hl, c->err);
    if (!*out && c->err->code == MG_ENOTFOUND)
        return mg_query_err(c->err, MG_QE_LIKE, " at column %zu: no document with id '%.*s'",
                            n->col, (int)(n->text_len > 100 ? 100 : n->text_len), n->text);
    return *out ? 0 : -c->err->code;
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
        return mg_compile_text(c, n, out);
    case MG_QN_PREFIX:
        return mg_compile_prefix(c, n, out);
    case MG_QN_FUZZY:
        return mg_compile_fuzzy(c, n, out);
    case MG_QN_NEAR:
        return mg_compile_near(c, n, out);
    case MG_QN_FILTER:
        *role = R_FILTER;
        *out = mg_compile_filter(c, n);
        return *out ? 0 : -c->err->code;
    case MG_QN_DATE:
        *role = R_FILTER;
        *out = mg_xq_date_range(n->lo, n->hi, c->err);
        return *out ? 0 : -c->err->code;
    case MG_QN_LIKE:
        return compile_like(c, n, out);
    case MG_QN_ALL:
        *out = mg_xq_all(c->err);
        return *out ? 0 : -c->err->code;
    }
    return mg_err_set(c->err, MG_EINTERNAL, "query: unknown node kind %d", (int)n->kind);
}

/* Compile the tree (relaxed or not) with the request's bounds applied. */
/* The fuzzy words (word~) of a tree. */
static size_t count_fuzzy(const mg_qnode *n)
{
    size_t k = n->kind == MG_QN_FUZZY;
    for (size_t i = 0; i < n->nkids; i++)
        k += count_fuzzy(n->kids[i]);
    return k;
}

int mg_compile_build(compiler *c, const mg_qnode *ast, const char *since, const char *until,
                     const char *source, mg_xq **out)
{
    enum role role;
    mg_xq *q;
    size_t fuzzy = count_fuzzy(ast);
    if (fuzzy > MG_MAX_FUZZY)
        return mg_err_set_detail(c->err, MG_EINVAL, MG_RE_TOO_COSTLY,
                                 "too costly: %zu fuzzy words (word~), at most %d (each reads "
                                 "every indexed word of its first letter)",
                                 fuzzy, MG_MAX_FUZZY);
    int rc = compile(c, ast, &q, &role);
    if (rc < 0)
        return rc;
    if (!q)
        return mg_query_err(c->err, MG_QE_NOWORDS, ": the query has no words the index could hold");
    /* a lone NOT cannot happen (the parser wraps it), but be safe */
    if (role == R_NEG && !(q = all_but(c, q)))
        return -c->err->code;
    if ((rc = mg_compile_bounds(c, &q, since, until, source)) < 0)
        return rc;
    *out = q;
    return 0;
}

/* Whether no proximity pair of the relaxed query can hold in a document the
 * strict query lacks: the query is an AND of at most two words (besides
 * filters and NOTs, which restrict both queries alike), so a document
 * holding both words is a strict match, and the relaxed query's other
 * matches hold one of them. */
static bool pairs_only_strict(const mg_qnode *ast)
{
    if (ast->kind != MG_QN_AND)
        return false;
    size_t words = 0;
    for (size_t i = 0; i < ast->nkids; i++) {
        mg_qkind k = ast->kids[i]->kind;
        if (k == MG_QN_WORD)
            words++;
        else if (k != MG_QN_NOT && k != MG_QN_FILTER && k != MG_QN_DATE)
            return false;
    }
    return words <= 2;
}

/* The matches of the relaxed query that the strict one did not have: the OR
 * of the words without the documents holding all of them. Rebuilds c (its
 * highlights and unknown words) for the relaxed query, without proximity
 * pairs when plain (for counting: the same matches). *or_q is the relaxed
 * query itself, *rest the OR without strict's matches (when strict is NULL,
 * the AND having matched nothing: NULL, run *or_q, or *or_q without pairs
 * that cannot hold). */
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
    /* pairs that weigh nothing outside the strict matches: the rest is
     * ranked by its words alone (no second stage) */
    bool pairless = !plain && pairs_only_strict(ast);
    if (!strict) {
        if (pairless && !(*rest = mg_xq_plain(*or_q, c->err)))
            return -c->err->code;
        if (pairless)
            c->near_ors = 0; /* the page runs on *rest, which holds none */
        return 0;
    }
    mg_xq *or_plain = pairless ? mg_xq_plain(*or_q, c->err) : *or_q;
    if (!or_plain)
        return -c->err->code;
    mg_xq *pair[2] = {or_plain, strict};
    *rest = mg_xq_combine(MG_XQ_AND_NOT, pair, 2, 0, c->err);
    if (pairless) {
        mg_xq_free(or_plain);
        c->near_ors = 0; /* the page runs on *rest, which holds none */
    }
    return *rest ? 0 : -c->err->code;
}
