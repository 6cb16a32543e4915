/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The morgue query language: the error kinds and a recursive-descent parser
 * producing an mg_qnode tree (grammar in query.h; the lexer, the leaves and
 * the nodes in the files query_int.h lists). */
#include "query_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const mg_query_error_kind mg_query_errors[MG_QE_COUNT] = {
    [MG_QE_EMPTY] = {"empty_query", "empty query"},
    [MG_QE_TOO_LONG] = {"query_too_long", "query too long"},
    [MG_QE_TOO_MANY] = {"too_many_terms", "too many terms"},
    [MG_QE_QUOTE] = {"unbalanced_quote", "unbalanced quote"},
    [MG_QE_PAREN] = {"unbalanced_paren", "unbalanced parenthesis"},
    [MG_QE_FIELD] = {"unknown_field", "unknown field"},
    [MG_QE_VALUE] = {"missing_value", "missing value"},
    [MG_QE_DATE] = {"bad_date", "bad date"},
    [MG_QE_WILD_SHORT] = {"wildcard_too_short", "wildcard prefix too short"},
    [MG_QE_WILD_BROAD] = {"wildcard_too_broad", "wildcard matches too many terms"},
    [MG_QE_OPERAND] = {"missing_operand", "missing operand"},
    [MG_QE_NEAR] = {"bad_near", "bad NEAR"},
    [MG_QE_DEPTH] = {"query_too_deep", "query nested too deeply"},
    [MG_QE_LIKE] = {"like_not_found", "like: no such document"},
    [MG_QE_NOWORDS] = {"no_words", "no searchable words"},
    [MG_QE_SYNTAX] = {"unsupported_syntax", "unsupported syntax"},
};

int mg_query_err(mg_err *err, mg_qerr kind, const char *fmt, ...)
{
    if (err) {
        size_t n = (size_t)snprintf(err->msg, sizeof err->msg, "%s", mg_query_errors[kind].text);
        if (n < sizeof err->msg) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err->msg + n, sizeof err->msg - n, fmt, ap);
            va_end(ap);
        }
        err->code = MG_EQUERY;
        err->detail = (int)kind;
    }
    return -MG_EQUERY;
}

const char *mg_query_error_code(const mg_err *err)
{
    if (!err || err->code != MG_EQUERY || err->detail < MG_QE_EMPTY || err->detail >= MG_QE_COUNT)
        return NULL;
    return mg_query_errors[err->detail].code;
}

/* ---- parser ---- */

static mg_qnode *parse_or(parser *p);

static bool starts_term(tok_kind k)
{
    return k == T_LPAREN || k == T_PHRASE || k == T_WORD || k == T_NOT || k == T_MINUS ||
           k == T_FIELD;
}

/* One level deeper (a parenthesis or a NOT at t), then past t. */
static int descend(parser *p, const tok *t)
{
    if (++p->depth > MG_QUERY_MAX_DEPTH)
        return mg_query_err(p->err, MG_QE_DEPTH, " at column %zu: more than %d levels",
                            col(p, t->off), MG_QUERY_MAX_DEPTH);
    return mg_query_lex(p);
}

mg_qnode *mg_query_primary(parser *p)
{
    tok t = p->t;
    switch (t.kind) {
    case T_LPAREN: {
        if (descend(p, &t) < 0)
            return NULL;
        mg_qnode *n = parse_or(p);
        if (!n) {
            if (p->err && p->err->code != MG_OK)
                return NULL;
            if (p->t.kind == T_RPAREN)
                mg_query_err(p->err, MG_QE_OPERAND, " at column %zu: empty parentheses",
                             col(p, t.off));
            else
                mg_query_err(p->err, MG_QE_PAREN, " at column %zu: '(' is never closed",
                             col(p, t.off));
            return NULL;
        }
        if (p->t.kind != T_RPAREN) {
            mg_query_err(p->err, MG_QE_PAREN, " at column %zu: '(' is never closed", col(p, t.off));
            mg_query_free(n);
            return NULL;
        }
        p->depth--;
        if (mg_query_lex(p) < 0) {
            mg_query_free(n);
            return NULL;
        }
        return n;
    }
    case T_PHRASE:
    case T_WORD:
        return mg_query_then_lex(p, t.kind == T_PHRASE ? mg_query_phrase(p, &t, MG_QF_NONE)
                                                       : mg_query_word(p, &t, MG_QF_NONE));
    case T_FIELD:
        return mg_query_field(p);
    default:
        mg_query_err(p->err, MG_QE_OPERAND, " at column %zu: '%.*s' needs a word before it",
                     col(p, t.off), (int)(t.end - t.off), p->q + t.off);
        return NULL;
    }
}

static bool near_operand(const mg_qnode *n)
{
    return n->kind == MG_QN_WORD;
}

static mg_qnode *parse_near(parser *p)
{
    mg_qnode *a = mg_query_primary(p);
    if (!a || p->t.kind != T_NEAR)
        return a;
    size_t off = p->t.off;
    mg_qnode *near = mg_qnode_new(p, MG_QN_NEAR, off);
    if (!near) {
        mg_query_free(a);
        return NULL;
    }
    near->col = a->col;
    near->dist = MG_QUERY_NEAR_MAX;
    if (!near_operand(a)) {
        mg_query_err(p->err, MG_QE_NEAR, " at column %zu: NEAR joins single words", col(p, off));
        mg_query_free(a);
        mg_query_free(near);
        return NULL;
    }
    if (mg_qnode_add(p, near, a) < 0) {
        mg_query_free(near);
        return NULL;
    }
    while (p->t.kind == T_NEAR) {
        tok t = p->t;
        if (t.num < near->dist)
            near->dist = t.num;
        if (mg_query_lex(p) < 0) {
            mg_query_free(near);
            return NULL;
        }
        if (p->t.kind != T_WORD && p->t.kind != T_PHRASE && p->t.kind != T_FIELD &&
            p->t.kind != T_LPAREN) {
            mg_query_err(p->err, MG_QE_OPERAND, " at column %zu: NEAR needs a word after it",
                         col(p, t.off));
            mg_query_free(near);
            return NULL;
        }
        mg_qnode *b = mg_query_primary(p);
        if (!b) {
            mg_query_free(near);
            return NULL;
        }
        if (!near_operand(b) || b->field != a->field) {
            mg_query_err(p->err, MG_QE_NEAR, " at column %zu: NEAR joins single words",
                         col(p, t.off));
            mg_query_free(b);
            mg_query_free(near);
            return NULL;
        }
        if (mg_qnode_add(p, near, b) < 0) {
            mg_query_free(near);
            return NULL;
        }
    }
    return near;
}

static mg_qnode *parse_unary(parser *p)
{
    if (p->t.kind != T_NOT && p->t.kind != T_MINUS)
        return parse_near(p);
    tok t = p->t;
    if (descend(p, &t) < 0)
        return NULL;
    if (!starts_term(p->t.kind)) {
        mg_query_err(p->err, MG_QE_OPERAND, " at column %zu: %s needs a word after it",
                     col(p, t.off), t.kind == T_NOT ? "NOT" : "'-'");
        return NULL;
    }
    mg_qnode *kid = parse_unary(p);
    p->depth--;
    if (!kid)
        return NULL;
    if (kid->kind == MG_QN_NOT) { /* NOT NOT x is x */
        mg_qnode *inner = kid->kids[0];
        kid->nkids = 0;
        mg_query_free(kid);
        return inner;
    }
    mg_qnode *n = mg_qnode_new(p, MG_QN_NOT, t.off);
    if (!n || mg_qnode_add(p, n, kid) < 0) {
        if (!n)
            mg_query_free(kid);
        mg_query_free(n);
        return NULL;
    }
    return n;
}

/* Collapse a one-child AND/OR into its child (but keep a lone NOT wrapped,
 * so the search layer sees "everything except"). */
static mg_qnode *simplify(mg_qnode *n)
{
    if (n->nkids == 1 && n->kids[0]->kind != MG_QN_NOT) {
        mg_qnode *k = n->kids[0];
        n->nkids = 0;
        mg_query_free(n);
        return k;
    }
    return n;
}

/* A new AND/OR node holding first (freed on failure), at its column. */
static mg_qnode *group_of(parser *p, mg_qkind kind, mg_qnode *first)
{
    mg_qnode *g = mg_qnode_new(p, kind, first->off);
    if (!g) {
        mg_query_free(first);
        return NULL;
    }
    g->col = first->col;
    if (mg_qnode_add(p, g, first) < 0) {
        mg_query_free(g);
        return NULL;
    }
    return g;
}

static mg_qnode *parse_and(parser *p)
{
    mg_qnode *all = NULL;
    for (;;) {
        tok_kind k = p->t.kind;
        if (k == T_EOF || k == T_RPAREN || k == T_OR)
            break;
        if (k == T_AND) {
            tok t = p->t;
            if (!all) {
                mg_query_err(p->err, MG_QE_OPERAND, " at column %zu: AND needs a word before it",
                             col(p, t.off));
                return NULL;
            }
            if (mg_query_lex(p) < 0)
                goto fail;
            if (!starts_term(p->t.kind)) {
                mg_query_err(p->err, MG_QE_OPERAND, " at column %zu: AND needs a word after it",
                             col(p, t.off));
                goto fail;
            }
            continue;
        }
        mg_qnode *item = parse_unary(p);
        if (!item)
            goto fail;
        if (!all) {
            if (!(all = group_of(p, MG_QN_AND, item)))
                return NULL;
        } else if (mg_qnode_add(p, all, item) < 0)
            goto fail;
    }
    return all ? simplify(all) : NULL;
fail:
    mg_query_free(all);
    return NULL;
}

static mg_qnode *parse_or(parser *p)
{
    mg_qnode *first = parse_and(p);
    if (!first) {
        if (p->err && p->err->code != MG_OK)
            return NULL;
        if (p->t.kind == T_OR)
            mg_query_err(p->err, MG_QE_OPERAND, " at column %zu: OR needs a word before it",
                         col(p, p->t.off));
        return NULL;
    }
    if (p->t.kind != T_OR)
        return first;
    mg_qnode *any = group_of(p, MG_QN_OR, first);
    if (!any)
        return NULL;
    while (p->t.kind == T_OR) {
        tok t = p->t;
        if (mg_query_lex(p) < 0)
            goto fail;
        mg_qnode *next = parse_and(p);
        if (!next) {
            if (!p->err || p->err->code == MG_OK)
                mg_query_err(p->err, MG_QE_OPERAND, " at column %zu: OR needs a word after it",
                             col(p, t.off));
            goto fail;
        }
        if (mg_qnode_add(p, any, next) < 0)
            goto fail;
    }
    return any;
fail:
    mg_query_free(any);
    return NULL;
}

/* A copy of q[0..len) where every ')' that closes nothing is a space: people
 * paste text with list markers ("1) ... 2) ...") and smileys, and such a ')'
 * is punctuation to them. Parentheses between quotes are phrase text and do
 * not count (the lexer's rule: every '"' outside a phrase opens one). The
 * copy has the same length, so offsets and columns stay those of q. NULL
 * when out of memory; caller frees. */
static char *drop_stray_parens(const char *q, size_t len)
{
    char *c = malloc(len + 1);
    if (!c)
        return NULL;
    memcpy(c, q, len);
    c[len] = '\0';
    size_t open = 0;
    for (size_t i = 0; i < len; i++) {
        if (c[i] == '"') {
            const char *close = memchr(c + i + 1, '"', len - i - 1);
            if (!close)
                break; /* the lexer reports the quote */
            i = (size_t)(close - c);
        } else if (c[i] == '(') {
            open++;
        } else if (c[i] == ')') {
            if (open)
                open--;
            else
                c[i] = ' ';
        }
    }
    return c;
}

static int parse_text(parser *p, mg_qnode **out);

int mg_query_parse(const char *query, size_t len, const mg_query_opts *opts, mg_qnode **out,
                   mg_err *err)
{
    mg_err local;
    if (!err)
        err = &local;
    mg_err_clear(err);
    *out = NULL;
    parser p = {.q = query ? query : "", .len = query ? len : 0, .err = err};
    if (opts)
        p.o = *opts;
    if (!p.o.max_bytes)
        p.o.max_bytes = 4096;
    if (!p.o.max_terms)
        p.o.max_terms = 64;
    if (!p.o.min_prefix)
        p.o.min_prefix = 2;
    if (p.len > p.o.max_bytes)
        return mg_query_err(err, MG_QE_TOO_LONG, ": %zu bytes, at most %zu", p.len, p.o.max_bytes);
    char *copy = NULL;
    if (memchr(p.q, ')', p.len)) {
        if (!(copy = drop_stray_parens(p.q, p.len)))
            return mg_err_set(err, MG_ENOMEM, "out of memory parsing the query");
        p.q = copy;
    }
    int rc = parse_text(&p, out);
    free(copy);
    return rc;
}

static int parse_text(parser *p, mg_qnode **out)
{
    mg_err *err = p->err;
    if (mg_query_lex(p) < 0)
        return -err->code;
    if (p->t.kind == T_EOF)
        return mg_query_err(err, MG_QE_EMPTY, ": nothing to search for");
    mg_qnode *n = parse_or(p);
    if (!n) {
        if (err->code == MG_OK)
            mg_query_err(err, MG_QE_EMPTY, ": nothing to search for");
        return -err->code;
    }
    if (p->t.kind != T_EOF) { /* cannot be a ')': every one left closes a '(' */
        mg_query_free(n);
        return mg_query_err(err, MG_QE_OPERAND, " at column %zu: unexpected '%.*s'",
                            col(p, p->t.off), (int)(p->t.end - p->t.off), p->q + p->t.off);
    }
    *out = n;
    return 0;
}
