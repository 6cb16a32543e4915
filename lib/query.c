/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The morgue query language: a hand-written lexer and recursive-descent
 * parser producing an mg_qnode tree (grammar in query.h). */
#include "query.h"

#include <stdarg.h>
#include <stdint.h>
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

size_t mg_query_column(const char *q, size_t off)
{
    size_t col = 1;
    for (size_t i = 0; i < off; i++)
        if (((unsigned char)q[i] & 0xC0) != 0x80)
            col++;
    return col;
}

/* ---- dates ---- */

static int digits(const char *s, size_t n, unsigned *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return 0;
}

static unsigned days_in(unsigned y, unsigned m)
{
    static const unsigned d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

int mg_query_date_bound(const char *s, size_t len, bool upper, char out[15], const char **why)
{
    unsigned y, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    int parts = 1; /* 1 year, 2 month, 3 day, 4 minute, 5 second */
    *why = "expected YYYY, YYYY-MM or YYYY-MM-DD";
    if (len < 4 || digits(s, 4, &y) < 0)
        return -1;
    if (len == 8 && digits(s, 8, &d) == 0) { /* YYYYMMDD */
        mo = (d / 100) % 100;
        d %= 100;
        parts = 3;
    } else {
        size_t i = 4;
        if (i < len) {
            if (s[i] != '-' || len < i + 3 || digits(s + i + 1, 2, &mo) < 0)
                return -1;
            i += 3;
            parts = 2;
        }
        if (i < len) {
            if (s[i] != '-' || len < i + 3 || digits(s + i + 1, 2, &d) < 0)
                return -1;
            i += 3;
            parts = 3;
        }
        if (i < len) {
            if ((s[i] != 'T' && s[i] != 't') || len < i + 6 || digits(s + i + 1, 2, &h) < 0 ||
                s[i + 3] != ':' || digits(s + i + 4, 2, &mi) < 0)
                return -1;
            i += 6;
            parts = 4;
            if (i < len && s[i] == ':') {
                if (len < i + 3 || digits(s + i + 1, 2, &sec) < 0)
                    return -1;
                i += 3;
                parts = 5;
            }
            if (i < len && (s[i] == 'Z' || s[i] == 'z'))
                i++;
        }
        if (i != len)
            return -1;
    }
    if (parts >= 2 && (mo < 1 || mo > 12)) {
        *why = "no such month";
        return -1;
    }
    if (parts >= 3 && (d < 1 || d > days_in(y, mo))) {
        *why = "no such day";
        return -1;
    }
    if (parts >= 4 && (h > 23 || mi > 59 || sec > 59)) {
        *why = "no such time";
        return -1;
    }
    if (parts < 2)
        mo = upper ? 12 : 1;
    if (parts < 3)
        d = upper ? days_in(y, mo) : 1;
    if (parts < 4) {
        h = upper ? 23 : 0;
        mi = upper ? 59 : 0;
    }
    if (parts < 5)
        sec = upper ? 59 : 0;
    snprintf(out, 15, "%04u%02u%02u%02u%02u%02u", y % 10000, mo, d, h, mi, sec);
    return 0;
}

/* ---- lexer ---- */

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
    unsigned num;
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

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool ends_word(unsigned char c)
{
    return is_space(c) || c == '(' || c == ')' || c == '"';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static size_t col(const parser *p, size_t off)
{
    return mg_query_column(p->q, off);
}

static bool word_is(const parser *p, size_t s, size_t n, const char *w)
{
    return n == strlen(w) && memcmp(p->q + s, w, n) == 0;
}

/* Read the next token into p->t. Fails only on an unbalanced quote. */
static int lex(parser *p)
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
    if (c == '"') {
        const char *close = memchr(q + p->pos + 1, '"', p->len - p->pos - 1);
        if (!close)
            return mg_query_err(p->err, MG_QE_QUOTE, " at column %zu: no closing \"",
                                col(p, p->pos));
        t->kind = T_PHRASE;
        t->start = p->pos + 1;
        t->len = (size_t)(close - (q + t->start));
        p->pos = (size_t)(close - q) + 1;
        t->end = p->pos;
        return 0;
    }
    if ((c == '-' || c == '+') && p->pos + 1 < p->len && !is_space((unsigned char)q[p->pos + 1]) &&
        q[p->pos + 1] != ')') {
        p->pos++;
        if (c == '-') {
            t->kind = T_MINUS;
            t->end = p->pos;
            return 0;
        }
        return lex(p); /* +word: required, which every word is by default */
    }
    size_t s = p->pos;
    while (p->pos < p->len && !ends_word((unsigned char)q[p->pos]))
        p->pos++;
    size_t n = p->pos - s;
    t->start = s;
    t->len = n;
    t->end = p->pos;
    /* A field: letters, a colon, then the value at once. */
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
        return 0;
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
    if (word_is(p, s, n, "AND"))
        t->kind = T_AND;
    else if (word_is(p, s, n, "OR"))
        t->kind = T_OR;
    else if (word_is(p, s, n, "NOT"))
        t->kind = T_NOT;
    else if (n >= 4 && memcmp(q + s, "NEAR", 4) == 0 && (n == 4 || q[s + 4] == '/')) {
        t->kind = T_NEAR;
        t->num = MG_QUERY_NEAR_DEFAULT;
        if (n > 4) {
            unsigned v;
            if (n == 5 || n > 8 || digits(q + s + 5, n - 5, &v) < 0)
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

/* ---- tree ---- */

static mg_qnode *node_new(parser *p, mg_qkind kind, size_t off)
{
    mg_qnode *n = calloc(1, sizeof *n);
    if (!n) {
        mg_err_set(p->err, MG_ENOMEM, "out of memory parsing the query");
        return NULL;
    }
    n->kind = kind;
    n->col = col(p, off);
    n->off = off;
    return n;
}

static int node_text(parser *p, mg_qnode *n, const char *s, size_t len)
{
    n->text = malloc(len + 1);
    if (!n->text)
        return mg_err_set(p->err, MG_ENOMEM, "out of memory parsing the query");
    memcpy(n->text, s, len);
    n->text[len] = '\0';
    n->text_len = len;
    return 0;
}

static int node_add(parser *p, mg_qnode *parent, mg_qnode *kid)
{
    if ((parent->nkids & (parent->nkids + 1)) == 0 || parent->nkids == 0) {
        /* grow at 0, 1, 3, 7, ...: capacity is the next power of two */
        size_t cap = parent->nkids ? (parent->nkids + 1) * 2 : 2;
        mg_qnode **k = realloc(parent->kids, cap * sizeof *k);
        if (!k) {
            mg_query_free(kid);
            return mg_err_set(p->err, MG_ENOMEM, "out of memory parsing the query");
        }
        parent->kids = k;
    }
    parent->kids[parent->nkids++] = kid;
    return 0;
}

void mg_query_free(mg_qnode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        mg_query_free(n->kids[i]);
    free(n->kids);
    free(n->text);
    free(n);
}

static int count_terms(parser *p, size_t add, size_t off)
{
    p->terms += add;
    if (p->terms > p->o.max_terms)
        return mg_query_err(p->err, MG_QE_TOO_MANY, " at column %zu: more than %zu", col(p, off),
                            p->o.max_terms);
    return 0;
}

/* Words in a phrase, roughly (the search layer counts analysed tokens). */
static size_t phrase_words(const char *s, size_t n)
{
    size_t w = 0;
    bool in = false;
    for (size_t i = 0; i < n; i++) {
        bool sp = is_space((unsigned char)s[i]);
        if (!sp && !in)
            w++;
        in = !sp;
    }
    return w;
}

/* ---- parser ---- */

static mg_qnode *parse_or(parser *p);
static mg_qnode *parse_primary(parser *p);

static bool starts_term(tok_kind k)
{
    return k == T_LPAREN || k == T_PHRASE || k == T_WORD || k == T_NOT || k == T_MINUS ||
           k == T_FIELD;
}

static mg_qnode *word_node(parser *p, const tok *t, mg_qfield field)
{
    const char *s = p->q + t->start;
    size_t n = t->len;
    mg_qnode *node;
    if (n == 1 && s[0] == '*' && field == MG_QF_NONE)
        return node_new(p, MG_QN_ALL, t->off);
    if (n > 1 && s[n - 1] == '*') {
        size_t chars = mg_query_column(s, n - 1) - 1;
        size_t stars = 0;
        while (stars < n && s[n - 1 - stars] == '*')
            stars++;
        if (chars < p->o.min_prefix || stars == n) {
            mg_query_err(p->err, MG_QE_WILD_SHORT,
                         " at column %zu: '%.*s' (at least %zu characters before *)",
                         col(p, t->start), (int)n, s, p->o.min_prefix);
            return NULL;
        }
        node = node_new(p, MG_QN_PREFIX, t->off);
        n -= stars;
    } else
        node = node_new(p, MG_QN_WORD, t->off);
    if (!node)
        return NULL;
    node->field = field;
    if (node_text(p, node, s, n) < 0 || count_terms(p, 1, t->off) < 0) {
        mg_query_free(node);
        return NULL;
    }
    return node;
}

static mg_qnode *phrase_node(parser *p, const tok *t, mg_qfield field)
{
    mg_qnode *node = node_new(p, MG_QN_PHRASE, t->off);
    if (!node)
        return NULL;
    node->field = field;
    if (node_text(p, node, p->q + t->start, t->len) < 0 ||
        count_terms(p, phrase_words(p->q + t->start, t->len), t->off) < 0) {
        mg_query_free(node);
        return NULL;
    }
    return node;
}

/* Move past the token a node was built from; on a lexing error free it. */
static mg_qnode *then_lex(parser *p, mg_qnode *n)
{
    if (n && lex(p) < 0) {
        mg_query_free(n);
        return NULL;
    }
    return n;
}

/* Apply title: to every word and phrase of a group. */
static int set_title(parser *p, mg_qnode *n, size_t off)
{
    switch (n->kind) {
    case MG_QN_WORD:
    case MG_QN_PREFIX:
    case MG_QN_PHRASE:
        n->field = MG_QF_TITLE;
        return 0;
    case MG_QN_AND:
    case MG_QN_OR:
    case MG_QN_NOT:
    case MG_QN_NEAR:
        for (size_t i = 0; i < n->nkids; i++)
            if (set_title(p, n->kids[i], off) < 0)
                return -MG_EQUERY;
        return 0;
    default:
        return mg_query_err(p->err, MG_QE_VALUE,
                            " at column %zu: title:( ... ) may hold only words and phrases",
                            col(p, off));
    }
}

/* The raw value after "name:" up to white space or ')', or a quoted string. */
static int field_value(parser *p, size_t name_off, const char *name, size_t *s, size_t *n)
{
    const char *q = p->q;
    if (p->pos < p->len && q[p->pos] == '"') {
        const char *close = memchr(q + p->pos + 1, '"', p->len - p->pos - 1);
        if (!close)
            return mg_query_err(p->err, MG_QE_QUOTE, " at column %zu: no closing \"",
                                col(p, p->pos));
        *s = p->pos + 1;
        *n = (size_t)(close - (q + *s));
        p->pos = (size_t)(close - q) + 1;
    } else {
        *s = p->pos;
        while (p->pos < p->len && !is_space((unsigned char)q[p->pos]) && q[p->pos] != ')' &&
               q[p->pos] != '(')
            p->pos++;
        *n = p->pos - *s;
    }
    if (*n == 0)
        return mg_query_err(p->err, MG_QE_VALUE, " at column %zu: '%s:' needs a value",
                            col(p, name_off), name);
    return 0;
}

static mg_qnode *date_node(parser *p, size_t off, size_t s, size_t n)
{
    const char *v = p->q + s;
    const char *dots = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (v[i] == '.' && v[i + 1] == '.') {
            dots = v + i;
            break;
        }
    mg_qnode *node = node_new(p, MG_QN_DATE, off);
    if (!node)
        return NULL;
    const char *why = NULL;
    size_t bad = s;
    if (!dots) {
        if (mg_query_date_bound(v, n, false, node->lo, &why) < 0 ||
            mg_query_date_bound(v, n, true, node->hi, &why) < 0)
            goto fail;
    } else {
        size_t a = (size_t)(dots - v), b0 = a + 2;
        if (a == 0 && b0 == n) {
            why = "a range needs at least one end";
            goto fail;
        }
        if (a > 0 && mg_query_date_bound(v, a, false, node->lo, &why) < 0)
            goto fail;
        bad = s + b0;
        if (b0 < n && mg_query_date_bound(v + b0, n - b0, true, node->hi, &why) < 0)
            goto fail;
        if (node->lo[0] && node->hi[0] && strcmp(node->lo, node->hi) > 0) {
            bad = s;
            why = "the range ends before it starts";
            goto fail;
        }
    }
    if (count_terms(p, 1, off) < 0) {
        mg_query_free(node);
        return NULL;
    }
    return node;
fail:
    mg_query_err(p->err, MG_QE_DATE, " at column %zu: '%.*s' (%s)", col(p, bad), (int)n, v, why);
    mg_query_free(node);
    return NULL;
}

static mg_qnode *field_node(parser *p)
{
    static const struct {
        const char *name;
        mg_qfield field;
    } fields[] = {{"title", MG_QF_TITLE},       {"source", MG_QF_SOURCE}, {"author", MG_QF_AUTHOR},
                  {"category", MG_QF_CATEGORY}, {"id", MG_QF_ID},         {"date", MG_QF_NONE},
                  {"like", MG_QF_NONE}};
    tok t = p->t;
    char name[16] = "";
    int which = -1;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (word_is(p, t.start, t.len, fields[i].name)) {
            which = (int)i;
            snprintf(name, sizeof name, "%s", fields[i].name);
        }
    if (which < 0) {
        mg_query_err(p->err, MG_QE_FIELD,
                     " '%.*s:' at column %zu (fields: title, source, author, category, id, "
                     "date, like)",
                     (int)(t.len > 40 ? 40 : t.len), p->q + t.start, col(p, t.off));
        return NULL;
    }
    if (which == 0) { /* title: a word, a phrase, a prefix or a group */
        if (lex(p) < 0)
            return NULL;
        tok v = p->t;
        if (v.kind == T_PHRASE)
            return then_lex(p, phrase_node(p, &v, MG_QF_TITLE));
        if (v.kind == T_WORD)
            return then_lex(p, word_node(p, &v, MG_QF_TITLE));
        if (v.kind == T_LPAREN) {
            mg_qnode *n = parse_primary(p);
            if (n && set_title(p, n, t.off) < 0) {
                mg_query_free(n);
                return NULL;
            }
            return n;
        }
        mg_query_err(p->err, MG_QE_VALUE, " at column %zu: 'title:' needs a word or a phrase",
                     col(p, t.off));
        return NULL;
    }
    size_t s = 0, n = 0;
    if (field_value(p, t.off, name, &s, &n) < 0)
        return NULL;
    mg_qnode *node;
    if (which == 5)
        node = date_node(p, t.off, s, n);
    else {
        node = node_new(p, which == 6 ? MG_QN_LIKE : MG_QN_FILTER, t.off);
        if (node) {
            node->field = fields[which].field;
            if (node_text(p, node, p->q + s, n) < 0 || count_terms(p, 1, t.off) < 0) {
                mg_query_free(node);
                node = NULL;
            }
        }
    }
    return then_lex(p, node);
}

/* One level deeper (a parenthesis or a NOT at t), then past t. */
static int descend(parser *p, const tok *t)
{
    if (++p->depth > MG_QUERY_MAX_DEPTH)
        return mg_query_err(p->err, MG_QE_DEPTH, " at column %zu: more than %d levels",
                            col(p, t->off), MG_QUERY_MAX_DEPTH);
    return lex(p);
}

static mg_qnode *parse_primary(parser *p)
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
        if (lex(p) < 0) {
            mg_query_free(n);
            return NULL;
        }
        return n;
    }
    case T_PHRASE:
    case T_WORD:
        return then_lex(p, t.kind == T_PHRASE ? phrase_node(p, &t, MG_QF_NONE)
                                              : word_node(p, &t, MG_QF_NONE));
    case T_FIELD:
        return field_node(p);
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
    mg_qnode *a = parse_primary(p);
    if (!a || p->t.kind != T_NEAR)
        return a;
    size_t off = p->t.off;
    mg_qnode *near = node_new(p, MG_QN_NEAR, off);
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
    if (node_add(p, near, a) < 0) {
        mg_query_free(near);
        return NULL;
    }
    while (p->t.kind == T_NEAR) {
        tok t = p->t;
        if (t.num < near->dist)
            near->dist = t.num;
        if (lex(p) < 0) {
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
        mg_qnode *b = parse_primary(p);
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
        if (node_add(p, near, b) < 0) {
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
    mg_qnode *n = node_new(p, MG_QN_NOT, t.off);
    if (!n || node_add(p, n, kid) < 0) {
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
    mg_qnode *g = node_new(p, kind, first->off);
    if (!g) {
        mg_query_free(first);
        return NULL;
    }
    g->col = first->col;
    if (node_add(p, g, first) < 0) {
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
            if (lex(p) < 0)
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
        } else if (node_add(p, all, item) < 0)
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
        if (lex(p) < 0)
            goto fail;
        mg_qnode *next = parse_and(p);
        if (!next) {
            if (!p->err || p->err->code == MG_OK)
                mg_query_err(p->err, MG_QE_OPERAND, " at column %zu: OR needs a word after it",
                             col(p, t.off));
            goto fail;
        }
        if (node_add(p, any, next) < 0)
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
    if (lex(p) < 0)
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

/* ---- rendering ---- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = true;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_quoted(sbuf *b, const char *s, size_t n)
{
    sb_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_put(b, e, 2);
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\x%02x", c);
            sb_str(b, e);
        } else
            sb_put(b, (const char *)&s[i], 1);
    }
    sb_put(b, "\"", 1);
}

static void render(sbuf *b, const mg_qnode *n)
{
    static const char *const kinds[] = {
        [MG_QN_AND] = "AND",   [MG_QN_OR] = "OR",         [MG_QN_NOT] = "NOT",
        [MG_QN_WORD] = "WORD", [MG_QN_PREFIX] = "PREFIX", [MG_QN_PHRASE] = "PHRASE",
        [MG_QN_NEAR] = "NEAR", [MG_QN_FILTER] = "FILTER", [MG_QN_DATE] = "DATE",
        [MG_QN_LIKE] = "LIKE", [MG_QN_ALL] = "ALL"};
    static const char *const fields[] = {
        [MG_QF_NONE] = "",          [MG_QF_TITLE] = "title:",       [MG_QF_SOURCE] = "source:",
        [MG_QF_AUTHOR] = "author:", [MG_QF_CATEGORY] = "category:", [MG_QF_ID] = "id:"};
    sb_str(b, fields[n->field]);
    sb_str(b, kinds[n->kind]);
    switch (n->kind) {
    case MG_QN_WORD:
    case MG_QN_PREFIX:
    case MG_QN_PHRASE:
    case MG_QN_FILTER:
    case MG_QN_LIKE:
        sb_quoted(b, n->text, n->text_len);
        break;
    case MG_QN_DATE:
        sb_str(b, "[");
        sb_str(b, n->lo);
        sb_str(b, "..");
        sb_str(b, n->hi);
        sb_str(b, "]");
        break;
    case MG_QN_ALL:
        break;
    default: {
        if (n->kind == MG_QN_NEAR) {
            char d[16];
            snprintf(d, sizeof d, "/%u", n->dist);
            sb_str(b, d);
        }
        sb_str(b, "(");
        for (size_t i = 0; i < n->nkids; i++) {
            if (i)
                sb_str(b, " ");
            render(b, n->kids[i]);
        }
        sb_str(b, ")");
    }
    }
}

char *mg_query_render(const mg_qnode *n)
{
    sbuf b = {0};
    if (n)
        render(&b, n);
    else
        sb_str(&b, "");
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
