/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The query language's lexer: the next token of the text (query_int.h). */
#include "query_int.h"

#include <string.h>

size_t mg_query_column(const char *q, size_t off)
{
    size_t col = 1;
    for (size_t i = 0; i < off; i++)
        if (((unsigned char)q[i] & 0xC0) != 0x80)
            col++;
    return col;
}

static bool ends_word(unsigned char c)
{
    return is_space(c) || c == '(' || c == ')' || c == '"';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The distance of a proximity phrase, p->pos at the '~' glued to its
 * closing quote: "..."~N, N a number up to MG_QUERY_NEAR_MAX. */
static int lex_slop(parser *p, tok *t)
{
    const char *q = p->q;
    size_t s = p->pos, e = s + 1;
    while (e < p->len && !ends_word((unsigned char)q[e]))
        e++;
    unsigned v;
    if (e == s + 1 || e - s > 8 || mg_query_digits(q + s + 1, e - s - 1, &v) < 0)
        return mg_query_err(
            p->err, MG_QE_NEAR,
            " at column %zu: '%.*s' after a phrase (expected \"...\"~N, N a number)", col(p, s),
            (int)(e - s), q + s);
    if (v > MG_QUERY_NEAR_MAX)
        return mg_query_err(p->err, MG_QE_NEAR, " at column %zu: distance %u over %d", col(p, s), v,
                            MG_QUERY_NEAR_MAX);
    t->slop = true;
    t->num = v;
    p->pos = e;
    return 0;
}

/* A phrase, p->pos at its opening quote: the text up to the next '"', and
 * the distance of "..."~N. */
static int lex_phrase(parser *p, tok *t)
{
    const char *q = p->q;
    const char *close = memchr(q + p->pos + 1, '"', p->len - p->pos - 1);
    if (!close)
        return mg_query_err(p->err, MG_QE_QUOTE, " at column %zu: no closing \"", col(p, p->pos));
    t->kind = T_PHRASE;
    t->start = p->pos + 1;
    t->len = (size_t)(close - (q + t->start));
    p->pos = (size_t)(close - q) + 1;
    if (p->pos < p->len && q[p->pos] == '~') {
        int rc = lex_slop(p, t);
        if (rc < 0)
            return rc;
    }
    t->end = p->pos;
    return 0;
}

/* The word q[s..s+n) (p->pos at its end) as a field: letters, a colon, then
 * the value at once. Returns 1 when it is one (t is then T_FIELD and p->pos
 * at the value), 0 when it is no field, and fails on one of our names with
 * nothing after its colon. */
static int lex_field(parser *p, tok *t, size_t s, size_t n)
{
    const char *q = p->q;
    size_t k = 0;
    while (k < n && is_alpha((unsigned char)q[s + k]))
        k++;
    if (k > 0 && k < n && q[s + k] == ':' &&
        (k + 1 < n || (p->pos < p->len && (q[p->pos] == '"' || q[p->pos] == '('))) &&
        !(k + 1 < n && q[s + k + 1] == '/')) {
        t->kind = T_FIELD;
        t->len = k;
        p->pos = s + k + 1;
        t->end = p->pos;
        return 1;
    }
    if (k > 0 && k + 1 == n && q[s + k] == ':' &&
        (p->pos >= p->len || is_space((unsigned char)q[p->pos]) || q[p->pos] == ')')) {
        /* "title:" followed by nothing: a field without value when the name is
         * one of ours; any other "word:" is just a word ("Science: ..."). */
        static const char *const names[] = {"title", "source", "author", "category",
                                            "id",    "date",   "like"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (word_is(p, s, k, names[i]))
                return mg_query_err(p->err, MG_QE_VALUE, " at column %zu: '%.*s' needs a value",
                                    col(p, s), (int)n, q + s);
    }
    return 0;
}

/* The word q[s..s+n) as an operator (AND or &&, OR or ||, NOT, NEAR,
 * NEAR/n) or, when it is none, a word. Fails on a bad NEAR/n. */
static int lex_operator(parser *p, tok *t, size_t s, size_t n)
{
    const char *q = p->q;
    if (word_is(p, s, n, "AND") || word_is(p, s, n, "&&"))
        t->kind = T_AND;
    else if (word_is(p, s, n, "OR") || word_is(p, s, n, "||"))
        t->kind = T_OR;
    else if (word_is(p, s, n, "NOT"))
        t->kind = T_NOT;
    else if (n >= 4 && memcmp(q + s, "NEAR", 4) == 0 && (n == 4 || q[s + 4] == '/')) {
        t->kind = T_NEAR;
        t->num = MG_QUERY_NEAR_DEFAULT;
        if (n > 4) {
            unsigned v;
            if (n == 5 || n > 8 || mg_query_digits(q + s + 5, n - 5, &v) < 0)
                return mg_query_err(p->err, MG_QE_NEAR,
                                    " at column %zu: '%.*s' (expected NEAR or NEAR/N, N a number)",
                                    col(p, s), (int)n, q + s);
            if (v > MG_QUERY_NEAR_MAX)
                return mg_query_err(p->err, MG_QE_NEAR, " at column %zu: distance %u over %d",
                                    col(p, s), v, MG_QUERY_NEAR_MAX);
            t->num = v;
        }
    } else
        t->kind = T_WORD;
    return 0;
}

int mg_query_lex(parser *p)
{
    const char *q = p->q;
    while (p->pos < p->len && is_space((unsigned char)q[p->pos]))
        p->pos++;
    tok *t = &p->t;
    memset(t, 0, sizeof *t);
    t->off = p->pos;
    if (p->pos >= p->len) {
        t->kind = T_EOF;
        t->end = p->pos;
        return 0;
    }
    unsigned char c = (unsigned char)q[p->pos];
    if (c == '(' || c == ')') {
        t->kind = c == '(' ? T_LPAREN : T_RPAREN;
        t->end = ++p->pos;
        return 0;
    }
    if (c == '"')
        return lex_phrase(p, t);
    if ((c == '-' || c == '+') && p->pos + 1 < p->len && !is_space((unsigned char)q[p->pos + 1]) &&
        q[p->pos + 1] != ')') {
        p->pos++;
        if (c == '-') {
            t->kind = T_MINUS;
            t->end = p->pos;
            return 0;
        }
        return mg_query_lex(p); /* +word: required, which every word is by default */
    }
    size_t s = p->pos;
    while (p->pos < p->len && !ends_word((unsigned char)q[p->pos]))
        p->pos++;
    size_t n = p->pos - s;
    t->start = s;
    t->len = n;
    t->end = p->pos;
    int field = lex_field(p, t, s, n);
    if (field != 0)
        return field < 0 ? field : 0;
    return lex_operator(p, t, s, n);
}
