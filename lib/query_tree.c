/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The query language's syntax tree: nodes made, grown and freed; the tree
 * rendered as text. */
#include "query_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mg_qnode *mg_qnode_new(parser *p, mg_qkind kind, size_t off)
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

int mg_qnode_text(parser *p, mg_qnode *n, const char *s, size_t len)
{
    n->text = malloc(len + 1);
    if (!n->text)
        return mg_err_set(p->err, MG_ENOMEM, "out of memory parsing the query");
    memcpy(n->text, s, len);
    n->text[len] = '\0';
    n->text_len = len;
    return 0;
}

int mg_qnode_add(parser *p, mg_qnode *parent, mg_qnode *kid)
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
        [MG_QN_LIKE] = "LIKE", [MG_QN_ALL] = "ALL",       [MG_QN_FUZZY] = "FUZZY"};
    static const char *const fields[] = {
        [MG_QF_NONE] = "",          [MG_QF_TITLE] = "title:",       [MG_QF_SOURCE] = "source:",
        [MG_QF_AUTHOR] = "author:", [MG_QF_CATEGORY] = "category:", [MG_QF_ID] = "id:"};
    sb_str(b, fields[n->field]);
    sb_str(b, kinds[n->kind]);
    if (n->kind == MG_QN_NEAR || n->kind == MG_QN_FUZZY) {
        char d[16];
        snprintf(d, sizeof d, "/%u", n->dist);
        sb_str(b, d);
    }
    switch (n->kind) {
    case MG_QN_WORD:
    case MG_QN_PREFIX:
    case MG_QN_PHRASE:
    case MG_QN_FILTER:
    case MG_QN_LIKE:
    case MG_QN_FUZZY:
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
