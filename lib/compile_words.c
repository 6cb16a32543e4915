/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The compiler's words (compile.c): a word or phrase analysed into terms,
 * word* and word~ expanded over the indexed terms, NEAR, and whether a
 * query has a word that weighs besides stop words. */
#include "search_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "grow.h"
#include "query.h"
#include "schema.h"
#include "stopwords.h"

/* The terms of a text, as the analyser makes them (analyse()). */
typedef struct tokens {
    char (*t)[MG_TERM_MAX + 1];
    size_t n, cap;
    bool oom;
} tokens;

static int collect_token(void *ctx, const mg_token *tok)
{
    tokens *ts = ctx;
    if (!mg_grow_array(&ts->t, &ts->cap, ts->n + 1, sizeof *ts->t, 8)) {
        ts->oom = true;
        return 1;
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
    case MG_QN_FUZZY:
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

/* A word of a synonym group (lim.synonyms) as the group: any of its stems,
 * one word to the ranking (Xapian's SYNONYM), each highlighted. NULL after
 * a failure. */
static mg_xq *synonym_group(compiler *c, mg_qfield field, const char *const *group, size_t n)
{
    mg_xq *v[MG_SYN_MAX_GROUP];
    size_t k = 0;
    for (; k < n; k++) {
        mg_hlset_add_term(c->hl, group[k], strlen(group[k]));
        if (!(v[k] = field_term(c, field, group[k])))
            break;
    }
    if (k == n)
        return mg_compile_combine(c, MG_XQ_SYNONYM, v, n, 0); /* frees v's */
    for (size_t i = 0; i < k; i++)
        mg_xq_free(v[i]);
    return NULL;
}

/* Words and phrases: one term (a synonym group's SYNONYM for a word of
 * one), or a phrase of the tokens. */
int mg_compile_text(compiler *c, const mg_qnode *n, mg_xq **out)
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
    size_t nsyn = 0;
    const char *const *group = NULL;
    if (k == ts.n && ts.n == 1 && n->kind == MG_QN_WORD &&
        (n->field == MG_QF_NONE || n->field == MG_QF_TITLE))
        group = mg_synonyms_of(c->s->syn, ts.t[0], &nsyn);
    if (group) { /* the group stands for the word */
        mg_xq *g = synonym_group(c, n->field, group, nsyn);
        mg_xq_free(subs[0]);
        if (!(subs[0] = g))
            k = 0;
    } else if (k == ts.n && ts.n == 1) {
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
        *out = mg_compile_combine(c, MG_XQ_PHRASE, subs, ts.n, 0);
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

/* The indexed stems that start with folded (the prefix, with the field's
 * pfx) or with its stem, and stems at most two characters shorter than the
 * prefix that it starts with, into x. */
static int expand_prefix(compiler *c, expansion *x, const char *pfx, const char *folded,
                         const char *stem)
{
    int rc = mg_xsearch_each_term(c->s->xs, folded, strlen(folded), expand_cb, x, c->err);
    if (rc >= 0 && !x->broad && !x->failed && strcmp(stem, folded) != 0)
        rc = mg_xsearch_each_term(c->s->xs, stem, strlen(stem), expand_cb, x, c->err);
    size_t fl = strlen(folded), pl = strlen(pfx);
    for (size_t cut = 1; rc >= 0 && cut <= 2 && !x->broad && !x->failed; cut++) {
        if (fl - pl < cut + 3)
            break;
        mg_err e2;
        if (mg_xsearch_termfreq(c->s->xs, folded, fl - cut, &e2) > 0)
            add_expansion(x, folded, fl - cut);
    }
    return rc;
}

/* word*: the synonym of expand_prefix()'s terms (the stem of "government"
 * is "govern", which "governm*" should find). */
int mg_compile_prefix(compiler *c, const mg_qnode *n, mg_xq **out)
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
    if (!x.v || !x.seen)
        rc = mg_err_set(c->err, MG_ENOMEM, "out of memory");
    else
        rc = expand_prefix(c, &x, pfx, folded, stem);
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
    *out = mg_compile_combine(c, MG_XQ_SYNONYM, x.v, x.n, 0);
    free(x.v);
    free(x.seen);
    return *out ? 0 : -c->err->code;
}

/* A term within the edits of a fuzzy word (mg_compile_fuzzy). */
typedef struct fuzzy_term {
    size_t dist;
    unsigned long long freq;
    char term[MG_TERM_MAX + 8];
} fuzzy_term;

typedef struct fuzzy {
    const char *want; /* the word's term, without the field's prefix */
    size_t want_len, max, pfx_len;
    fuzzy_term *v;
    size_t n, cap;
    bool oom;
} fuzzy;

static int fuzzy_cb(void *ctx, const char *term, size_t len, unsigned long long freq)
{
    fuzzy *f = ctx;
    if (len - f->pfx_len > MG_TERM_MAX)
        return 0;
    size_t d = mg_edit_distance(f->want, f->want_len, term + f->pfx_len, len - f->pfx_len, f->max);
    if (d > f->max)
        return 0;
    if (!mg_grow_array(&f->v, &f->cap, f->n + 1, sizeof *f->v, 64)) {
        f->oom = true;
        return 1;
    }
    fuzzy_term *t = &f->v[f->n++];
    t->dist = d;
    t->freq = freq;
    memcpy(t->term, term, len);
    t->term[len] = '\0';
    return 0;
}

/* The closest first, then the most frequent, then by term. */
static int fuzzy_cmp(const void *a, const void *b)
{
    const fuzzy_term *x = a, *y = b;
    if (x->dist != y->dist)
        return x->dist < y->dist ? -1 : 1;
    if (x->freq != y->freq)
        return x->freq > y->freq ? -1 : 1;
    return strcmp(x->term, y->term);
}

/* The bytes of the first character of s (UTF-8; 1 for a stray byte). */
static size_t first_char(const char *s, size_t n)
{
    size_t k = 1;
    while (k < n && ((unsigned char)s[k] & 0xC0) == 0x80)
        k++;
    return k;
}

int mg_compile_fuzzy(compiler *c, const mg_qnode *n, mg_xq **out)
{
    *out = NULL;
    tokens ts;
    int rc = analyse(c, n->text, n->text_len, 0, &ts);
    if (rc < 0)
        return rc;
    if (ts.n != 1) {
        free(ts.t);
        if (ts.n == 0)
            return 0;
        return mg_query_err(c->err, MG_QE_SYNTAX,
                            " at column %zu: '%s~' (a fuzzy word is one word: '%s' is several)",
                            n->col, n->text, n->text);
    }
    const char *pfx = n->field == MG_QF_TITLE ? MG_PFX_TITLE : "";
    char want[MG_TERM_MAX + 1], start[MG_TERM_MAX + 8];
    snprintf(want, sizeof want, "%s", ts.t[0]);
    free(ts.t);
    if ((rc = count_terms(c, 1, n)) < 0)
        return rc;
    size_t wl = strlen(want), pl = strlen(pfx);
    snprintf(start, sizeof start, "%s%.*s", pfx, (int)first_char(want, wl), want);
    fuzzy f = {.want = want, .want_len = wl, .max = n->dist, .pfx_len = pl};
    rc = mg_xsearch_each_term(c->s->xs, start, strlen(start), fuzzy_cb, &f, c->err);
    if (rc >= 0 && f.oom)
        rc = mg_err_set(c->err, MG_ENOMEM, "out of memory");
    if (rc < 0) {
        free(f.v);
        return rc;
    }
    if (f.n == 0) { /* nothing close: the word itself, which matches nothing */
        char term[MG_TERM_MAX + 8];
        snprintf(term, sizeof term, "%s%s", pfx, want);
        *out = mg_xq_term(term, strlen(term), c->err);
        return *out ? 0 : -c->err->code;
    }
    qsort(f.v, f.n, sizeof *f.v, fuzzy_cmp);
    size_t keep = f.n < c->s->lim.max_wildcard ? f.n : c->s->lim.max_wildcard;
    mg_xq **v = calloc(keep ? keep : 1, sizeof *v);
    if (!v) {
        free(f.v);
        return mg_err_set(c->err, MG_ENOMEM, "out of memory");
    }
    size_t k = 0;
    for (; k < keep; k++) {
        if (!(v[k] = mg_xq_term(f.v[k].term, strlen(f.v[k].term), c->err)))
            break;
        mg_hlset_add_term(c->hl, f.v[k].term + pl, strlen(f.v[k].term + pl));
    }
    free(f.v);
    if (k < keep) {
        for (size_t i = 0; i < k; i++)
            mg_xq_free(v[i]);
        free(v);
        return -c->err->code;
    }
    *out = mg_compile_combine(c, MG_XQ_SYNONYM, v, keep, 0);
    free(v);
    return *out ? 0 : -c->err->code;
}

int mg_compile_near(compiler *c, const mg_qnode *n, mg_xq **out)
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
        *out = mg_compile_combine(c, MG_XQ_NEAR, subs, cnt, (unsigned)(n->dist + cnt));
    }
    free(subs);
    return *out ? 0 : -c->err->code;
}
