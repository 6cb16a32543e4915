/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to the query language (query.h): the tokens, the parser's state
 * and the steps its files share. Nothing outside them includes this. The
 * files:
 *   query.c        the error kinds; the grammar: OR, AND, NOT, NEAR,
 *                  parentheses, the whole query
 *   query_lex.c    the lexer: the next token of the text, columns
 *   query_terms.c  the leaves of the tree: words, prefixes, phrases,
 *                  fields, dates; the term count
 *   query_date.c   date bounds as users write them
 *   query_tree.c   nodes: new, text, children, free; the tree rendered */
#ifndef MG_QUERY_INT_H
#define MG_QUERY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "query.h"

typedef enum tok_kind {
    T_EOF,
    T_LPAREN,
    T_RPAREN,
    T_PHRASE, /* text between quotes (start/len exclude the quotes) */
    T_WORD,
    T_AND,
    T_OR,
    T_NOT,
    T_MINUS, /* a '-' glued to the term after it */
    T_NEAR,  /* NEAR or NEAR/n (num) */
    T_FIELD  /* name: ; the value starts at end */
} tok_kind;

typedef struct tok {
    tok_kind kind;
    size_t off, end;   /* bytes of the whole token */
    size_t start, len; /* the payload (word, phrase text, field name) */
    unsigned num;      /* NEAR's distance; a phrase's N of "..."~N when slop */
    bool slop;         /* a phrase followed by ~N */
} tok;

typedef struct parser {
    const char *q;
    size_t len, pos;
    tok t; /* current token */
    mg_query_opts o;
    size_t terms;
    int depth;
    mg_err *err;
} parser;

static inline bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The 1-based column of byte offset off of the query. */
static inline size_t col(const parser *p, size_t off)
{
    return mg_query_column(p->q, off);
}

/* Whether q[s..s+n) is the word w. */
static inline bool word_is(const parser *p, size_t s, size_t n, const char *w)
{
    return n == strlen(w) && memcmp(p->q + s, w, n) == 0;
}

/* query_lex.c */

/* Read the next token into p->t. Fails only on an unbalanced quote, a
 * field without value and a bad NEAR/n or "phrase"~N. */
int mg_query_lex(parser *p);

/* query_date.c */

/* s[0..n) as a decimal number in *v; -1 when a byte is not a digit. */
int mg_query_digits(const char *s, size_t n, unsigned *v);

/* query_tree.c: a node fails with MG_ENOMEM in p->err. */

/* A new node of kind at byte offset off, or NULL. */
mg_qnode *mg_qnode_new(parser *p, mg_qkind kind, size_t off);

/* Copy s[0..len) into n->text; 0 or -MG_ENOMEM. */
int mg_qnode_text(parser *p, mg_qnode *n, const char *s, size_t len);

/* Append kid to parent's children; on failure kid is freed. */
int mg_qnode_add(parser *p, mg_qnode *parent, mg_qnode *kid);

/* query_terms.c: each returns the node, or NULL with the error in p->err. */

/* The word (or word*, or a lone *) of token t, in field. */
mg_qnode *mg_query_word(parser *p, const tok *t, mg_qfield field);

/* The phrase of token t, in field. */
mg_qnode *mg_query_phrase(parser *p, const tok *t, mg_qfield field);

/* Move past the token a node was built from; on a lexing error free it. */
mg_qnode *mg_query_then_lex(parser *p, mg_qnode *n);

/* The field at p->t (title:, source:, date:, like:, ...) with its value. */
mg_qnode *mg_query_field(parser *p);

/* query.c */

/* A word, a phrase, a field or a group in parentheses, at p->t. */
mg_qnode *mg_query_primary(parser *p);

#endif
