/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The leaves of a query's tree: words, prefixes, phrases, fields and
 * dates, each counted against the term limit. */
#include "query_int.h"

#include <stdio.h>
#include <string.h>

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

/* Whether s[0..n) is a number as other engines write boosts and fuzzy
 * distances: digits, at most one '.' among them. */
static bool is_number(const char *s, size_t n)
{
    size_t digits = 0, dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '.')
            dots++;
        else
            return false;
    }
    return digits > 0 && dots <= 1;
}

/* Whether s[0..n) holds letters and digits only (any non-ASCII byte
 * counts as a letter). */
static bool is_plain(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}

/* What other engines' query languages mean by a word's tail, which this
 * one would otherwise read as punctuation or as another word: fuzzy
 * matching (word~, word~N) and boosts (word^2, and a ^2 glued to a phrase
 * or a parenthesis). Returns 1 for word~N (*head its length, *edits the
 * edits), 0 for none (a tail after anything but letters and digits, as in
 * "E=mc^2", is left to the analyser), and fails on a boost, which the
 * language does not have, and on a fuzzy distance over
 * MG_QUERY_FUZZY_MAX: a clear error beats a silent other meaning. */
static int word_tail(parser *p, const tok *t, size_t *head, unsigned *edits)
{
    const char *s = p->q + t->start;
    size_t n = t->len;
    const char *mark = NULL;
    for (size_t i = 0; i < n && !mark; i++)
        if (s[i] == '^' || s[i] == '~')
            mark = s + i;
    if (!mark || !is_plain(s, (size_t)(mark - s)))
        return 0;
    *head = (size_t)(mark - s);
    size_t tail = n - *head - 1;
    if (*mark == '^' && is_number(mark + 1, tail))
        return mg_query_err(p->err, MG_QE_SYNTAX,
                            " at column %zu: '%.*s' (boosts, word^N, are not supported)",
                            col(p, t->start), (int)n, s);
    if (*mark != '~' || *head == 0 || (tail > 0 && !is_number(mark + 1, tail)))
        return 0;
    if (tail == 0) { /* by length, as other engines' "auto" */
        size_t chars = mg_query_column(s, *head) - 1;
        *edits = chars <= 2 ? 0 : chars <= 5 ? 1 : 2;
        return 1;
    }
    if (tail > 1 || mark[1] < '0' || mark[1] > '0' + MG_QUERY_FUZZY_MAX)
        return mg_query_err(p->err, MG_QE_SYNTAX,
                            " at column %zu: '%.*s' (a fuzzy word takes 0 to %d edits: word~1)",
                            col(p, t->start), (int)n, s, MG_QUERY_FUZZY_MAX);
    *edits = (unsigned)(mark[1] - '0');
    return 1;
}

mg_qnode *mg_query_word(parser *p, const tok *t, mg_qfield field)
{
    const char *s = p->q + t->start;
    size_t n = t->len;
    mg_qnode *node;
    size_t head = 0;
    unsigned edits = 0;
    int fuzzy = word_tail(p, t, &head, &edits);
    if (fuzzy < 0)
        return NULL;
    if (fuzzy) {
        node = mg_qnode_new(p, MG_QN_FUZZY, t->off);
        if (!node)
            return NULL;
        node->field = field;
        node->dist = edits;
        if (mg_qnode_text(p, node, s, head) < 0 || count_terms(p, 1, t->off) < 0) {
            mg_query_free(node);
            return NULL;
        }
        return node;
    }
    if (n == 1 && s[0] == '*' && field == MG_QF_NONE)
        return mg_qnode_new(p, MG_QN_ALL, t->off);
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
        node = mg_qnode_new(p, MG_QN_PREFIX, t->off);
        n -= stars;
    } else
        node = mg_qnode_new(p, MG_QN_WORD, t->off);
    if (!node)
        return NULL;
    node->field = field;
    if (mg_qnode_text(p, node, s, n) < 0 || count_terms(p, 1, t->off) < 0) {
        mg_query_free(node);
        return NULL;
    }
    return node;
}

/* "w1 w2 ..."~N (other engines' phrase slop) for N > 0 and two words or
 * more: the phrase's words NEAR/N one another, in any order. */
static mg_qnode *slop_near(parser *p, const tok *t, mg_qfield field)
{
    const char *s = p->q + t->start;
    mg_qnode *near = mg_qnode_new(p, MG_QN_NEAR, t->off);
    if (!near)
        return NULL;
    near->dist = t->num;
    for (size_t i = 0; i < t->len;) {
        while (i < t->len && is_space((unsigned char)s[i]))
            i++;
        size_t j = i;
        while (j < t->len && !is_space((unsigned char)s[j]))
            j++;
        if (j == i)
            break;
        mg_qnode *w = mg_qnode_new(p, MG_QN_WORD, t->start + i);
        if (w)
            w->field = field;
        if (!w || mg_qnode_text(p, w, s + i, j - i) < 0) {
            mg_query_free(w);
            mg_query_free(near);
            return NULL;
        }
        if (mg_qnode_add(p, near, w) < 0) { /* w freed */
            mg_query_free(near);
            return NULL;
        }
        i = j;
    }
    if (count_terms(p, near->nkids, t->off) < 0) {
        mg_query_free(near);
        return NULL;
    }
    return near;
}

mg_qnode *mg_query_phrase(parser *p, const tok *t, mg_qfield field)
{
    if (t->slop && t->num > 0 && phrase_words(p->q + t->start, t->len) >= 2)
        return slop_near(p, t, field);
    mg_qnode *node = mg_qnode_new(p, MG_QN_PHRASE, t->off);
    if (!node)
        return NULL;
    node->field = field;
    if (mg_qnode_text(p, node, p->q + t->start, t->len) < 0 ||
        count_terms(p, phrase_words(p->q + t->start, t->len), t->off) < 0) {
        mg_query_free(node);
        return NULL;
    }
    return node;
}

/* Move past the token a node was built from; on a lexing error free it. */
mg_qnode *mg_query_then_lex(parser *p, mg_qnode *n)
{
    if (n && mg_query_lex(p) < 0) {
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
    case MG_QN_FUZZY:
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
    mg_qnode *node = mg_qnode_new(p, MG_QN_DATE, off);
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

mg_qnode *mg_query_field(parser *p)
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
        if (mg_query_lex(p) < 0)
            return NULL;
        tok v = p->t;
        if (v.kind == T_PHRASE)
            return mg_query_then_lex(p, mg_query_phrase(p, &v, MG_QF_TITLE));
        if (v.kind == T_WORD)
            return mg_query_then_lex(p, mg_query_word(p, &v, MG_QF_TITLE));
        if (v.kind == T_LPAREN) {
            mg_qnode *n = mg_query_primary(p);
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
        node = mg_qnode_new(p, which == 6 ? MG_QN_LIKE : MG_QN_FILTER, t.off);
        if (node) {
            node->field = fields[which].field;
            if (mg_qnode_text(p, node, p->q + s, n) < 0 || count_terms(p, 1, t.off) < 0) {
                mg_query_free(node);
                node = NULL;
            }
        }
    }
    return mg_query_then_lex(p, node);
}
