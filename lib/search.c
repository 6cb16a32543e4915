/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The query engine: analyse the parsed query with the index's analyser,
 * build the Xapian query, run it (the AND's matches ranked first, then those
 * of the OR that are not AND matches), and turn the matches into hits with
 * snippets, facets and a spelling suggestion. */
#include "search.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer.h"
#include "docbuild.h"
#include "gens.h"
#include "query.h"
#include "schema.h"
#include "snippet.h"
#include "stopwords.h"
#include "xapian_search.h"

struct mg_searcher {
    mg_xsearch *xs;
    mg_analyzer *an;
    mg_stopset *stops; /* empty when off or the language has no list */
    mg_search_limits lim;
};

void mg_search_limits_default(mg_search_limits *lim)
{
    *lim = (mg_search_limits){.max_query_bytes = 4096,
                              .max_terms = 64,
                              .max_wildcard = 100,
                              .min_prefix = 2,
                              .max_limit = 1000,
                              .max_window = 10000,
                              .count_exact = MG_COUNT_EXACT,
                              .bm25_k1 = MG_BM25_K1,
                              .bm25_b = MG_BM25_B};
}

/* Fill unset (zero) fields of *lim with the defaults, then apply MORGUE_BM25. */
static void limits_complete(mg_search_limits *lim)
{
    mg_search_limits d;
    mg_search_limits_default(&d);
    if (!lim->max_query_bytes)
        lim->max_query_bytes = d.max_query_bytes;
    if (!lim->max_terms)
        lim->max_terms = d.max_terms;
    if (!lim->max_wildcard)
        lim->max_wildcard = d.max_wildcard;
    if (!lim->min_prefix)
        lim->min_prefix = d.min_prefix;
    if (!lim->max_limit)
        lim->max_limit = d.max_limit;
    if (!lim->max_window)
        lim->max_window = d.max_window;
    if (!lim->count_exact)
        lim->count_exact = d.count_exact;
    if (!lim->max_cost)
        lim->max_cost = MG_MAX_COST;
    if (lim->bm25_k1 == 0 && lim->bm25_b == 0) {
        lim->bm25_k1 = d.bm25_k1;
        lim->bm25_b = d.bm25_b;
    }
    static const struct {
        const char *name;
        int ranking;
    } models[] = {{"bm25", MG_RANK_BM25},
                  {"dfr", MG_RANK_DFR},
                  {"bm25plus", MG_RANK_BM25PLUS},
                  {"bm25l", MG_RANK_BM25L}};
    const char *rank = getenv("MORGUE_RANKING");
    for (size_t i = 0; rank && i < sizeof models / sizeof models[0]; i++)
        if (strcmp(rank, models[i].name) == 0)
            lim->ranking = models[i].ranking;
    const char *env = getenv("MORGUE_BM25");
    double k1, b, delta;
    int n = env ? sscanf(env, "%lf,%lf,%lf", &k1, &b, &delta) : 0;
    if (n >= 2 && k1 >= 0 && b >= 0 && b <= 1) {
        lim->bm25_k1 = k1;
        lim->bm25_b = b;
        if (n == 3 && delta >= 0)
            lim->bm25_delta = delta;
    }
    if (lim->bm25_delta == 0)
        lim->bm25_delta = lim->ranking == MG_RANK_BM25L ? 0.5 : 1.0;
    if (lim->proximity == 0)
        lim->proximity = MG_PROXIMITY;
    if (lim->proximity_window == 0)
        lim->proximity_window = MG_PROXIMITY_WINDOW;
    const char *stop = getenv("MORGUE_STOPWORDS");
    if (stop && *stop)
        lim->stopwords = strcmp(stop, "0") == 0 ? -1 : 0;
    const char *prox = getenv("MORGUE_PROXIMITY");
    double factor;
    unsigned window;
    n = prox ? sscanf(prox, "%lf,%u", &factor, &window) : 0;
    if (n >= 1 && factor >= 0) {
        lim->proximity = factor;
        if (n == 2 && window > 0)
            lim->proximity_window = window;
    }
    const char *depth = getenv("MORGUE_RESCORE");
    if (depth && *depth)
        lim->rescore_depth = atol(depth) > 0 ? atol(depth) : -1;
    if (lim->rescore_depth == 0)
        lim->rescore_depth = MG_RESCORE_DEPTH;
}

static mg_analyzer *analyzer_for(mg_xsearch *xs, mg_err *err)
{
    char lang[64];
    long n = mg_xsearch_metadata(xs, MG_META_LANG, lang, sizeof lang, err);
    if (n < 0)
        return NULL;
    return mg_analyzer_new(n > 0 ? lang : "english", err);
}

/* The stop words of the searcher's language, or an empty set when they are
 * turned off. */
static mg_stopset *stopset_for(mg_searcher *s, mg_err *err)
{
    return mg_stopset_new(s->lim.stopwords < 0 ? NULL : s->an, err);
}

mg_searcher *mg_searcher_open(const char *path, const mg_search_limits *lim, mg_err *err)
{
    mg_err_clear(err);
    mg_searcher *s = calloc(1, sizeof *s);
    if (!s) {
        mg_err_set(err, MG_ENOMEM, "out of memory");
        return NULL;
    }
    if (lim)
        s->lim = *lim;
    limits_complete(&s->lim);
    s->xs = mg_xsearch_open(path, err);
    if (!s->xs || !(s->an = analyzer_for(s->xs, err)) || !(s->stops = stopset_for(s, err))) {
        mg_searcher_free(s);
        return NULL;
    }
    return s;
}

void mg_searcher_free(mg_searcher *s)
{
    if (!s)
        return;
    mg_xsearch_free(s->xs);
    mg_analyzer_free(s->an);
    mg_stopset_free(s->stops);
    free(s);
}

int mg_searcher_reopen(mg_searcher *s, mg_err *err)
{
    int r = mg_xsearch_reopen(s->xs, err);
    if (r == 1) {
        /* a rebuild may have changed the language */
        mg_err e2;
        mg_analyzer *an = analyzer_for(s->xs, &e2);
        if (an && strcmp(mg_analyzer_lang(an), mg_analyzer_lang(s->an)) != 0) {
            mg_analyzer *old = s->an;
            s->an = an;
            mg_stopset *stops = stopset_for(s, &e2);
            if (stops) {
                mg_analyzer_free(old);
                mg_stopset_free(s->stops);
                s->stops = stops;
            } else { /* out of memory: keep the old language whole */
                s->an = old;
                mg_analyzer_free(an);
            }
        } else
            mg_analyzer_free(an);
    }
    return r;
}

/* ---- errors ---- */

static const struct {
    const char *code, *text;
} request_errors[] = {
    {"bad_date", "bad date"},     {"bad_paging", "bad paging"},     {"bad_sort", "bad sort"},
    {"bad_cursor", "bad cursor"}, {"stale_cursor", "stale cursor"},
    {"too_costly", "too costly"},
};

const char *mg_search_error_code(const mg_err *err)
{
    if (!err)
        return "internal";
    const char *q = mg_query_error_code(err);
    if (q)
        return q;
    switch (err->code) {
    case MG_EQUERY:
        return "bad_query";
    case MG_EINVAL:
        for (size_t i = 0; i < sizeof request_errors / sizeof request_errors[0]; i++)
            if (strncmp(err->msg, request_errors[i].text, strlen(request_errors[i].text)) == 0)
                return request_errors[i].code;
        return "bad_request";
    case MG_ENOTFOUND:
        return "not_found";
    case MG_ETOOBIG:
        return "too_big";
    case MG_EDB:
    case MG_EIO:
    case MG_ECORRUPT:
    case MG_EMODIFIED:
    case MG_ELOCKED:
        return "unavailable";
    default:
        return "internal";
    }
}

/* ---- compiling the tree into a Xapian query ---- */

enum role { R_NONE, R_POS, R_FILTER, R_NEG };

#define MAX_UNKNOWN 8

typedef struct unknown_word {
    size_t off, len; /* in the query text */
    char term[MG_TERM_MAX + 1];
} unknown_word;

typedef struct compiler {
    mg_searcher *s;
    const char *query;
    mg_hlset *hl;
    size_t nterms;
    bool relax;
    bool plain;      /* ORs without proximity pairs (a count's query) */
    size_t ands;     /* AND nodes with two or more weighted parts (relaxable) */
    size_t near_ors; /* ORs with proximity pairs (mg_xq_or_near) */
    size_t ors;      /* ORs of weighted parts (or_words) */
    size_t posits;   /* phrases and NEARs */
    bool stops;      /* stop words add no weight (the query has other words) */
    bool weightless; /* compile_text's last word weighs nothing */
    unknown_word unknown[MAX_UNKNOWN];
    size_t nunknown;
    mg_err *err;
    /* the request's MG_SLOT_ADDED range (check_added), "" = open */
    char added_lo[15], added_hi[15];
} compiler;

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
static int has_content(compiler *c, const mg_qnode *n)
{
    switch (n->kind) {
    case MG_QN_AND:
    case MG_QN_OR:
        for (size_t i = 0; i < n->nkids; i++) {
            int rc = has_content(c, n->kids[i]);
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

/* ---- "did you mean" ---- */

/* Damerau-Levenshtein distance of a and b (bytes), or max+1 when over max. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb, size_t max)
{
    if (la > 40 || lb > 40)
        return max + 1;
    if ((la > lb ? la - lb : lb - la) > max)
        return max + 1;
    size_t d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t rowmin = max + 1;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        if (rowmin > max)
            return max + 1;
    }
    return d[la][lb];
}

typedef struct speller {
    const char *word;  /* the unknown stem */
    const char *typed; /* the word as typed, folded */
    size_t len, max;
    size_t best_dist;
    unsigned long long best_freq;
    char best[MG_TERM_MAX + 1];
} speller;

static int spell_cb(void *ctx, const char *term, size_t len, unsigned long long freq)
{
    speller *sp = ctx;
    if (len > MG_TERM_MAX)
        return 0;
    size_t d = edit_distance(sp->word, sp->len, term, len, sp->max);
    if (d > sp->max || d == 0)
        return 0;
    /* among stems as close, the one closest to what was typed ("cofee" is
     * nearer "coffe", stem of coffee, than "come", stem of coming) */
    d += edit_distance(sp->typed, strlen(sp->typed), term, len, 40);
    if (d < sp->best_dist || (d == sp->best_dist && freq > sp->best_freq)) {
        sp->best_dist = d;
        sp->best_freq = freq;
        memcpy(sp->best, term, len);
        sp->best[len] = '\0';
    }
    return 0;
}

typedef struct surface {
    const char *term;  /* the stem wanted */
    const char *typed; /* what the user typed, folded */
    size_t best_dist;
    char word[MG_TERM_MAX + 1];
} surface;

static int surface_cb(void *ctx, const mg_token *tok)
{
    surface *sf = ctx;
    if (strlen(sf->term) != tok->term_len || memcmp(sf->term, tok->term, tok->term_len) != 0 ||
        tok->word_len > MG_TERM_MAX)
        return 0;
    size_t d = edit_distance(sf->typed, strlen(sf->typed), tok->word, tok->word_len, 40);
    if (d < sf->best_dist) {
        sf->best_dist = d;
        memcpy(sf->word, tok->word, tok->word_len);
        sf->word[tok->word_len] = '\0';
    }
    return d == 0;
}

/* A readable word whose stem is term, closest to what the user typed: taken
 * from one document that has it. */
static void surface_word(mg_searcher *s, const char *term, const char *typed, char *out, size_t cap)
{
    snprintf(out, cap, "%s", term);
    void *data;
    size_t len;
    mg_err e;
    if (mg_xsearch_term_data(s->xs, term, strlen(term), &data, &len, &e) < 0)
        return;
    mg_record rec;
    mg_record_init(&rec);
    if (mg_record_decode(data, len, &rec, &e) == 0) {
        surface sf = {.term = term, .typed = typed, .best_dist = SIZE_MAX};
        mg_analyze(s->an, rec.title, strlen(rec.title), 0, 0, surface_cb, &sf, &e);
        if (sf.best_dist > 0)
            mg_analyze(s->an, rec.body, strlen(rec.body), 0, 0, surface_cb, &sf, &e);
        if (sf.best_dist != SIZE_MAX)
            snprintf(out, cap, "%s", sf.word);
    }
    mg_record_release(&rec);
    free(data);
}

/* The query with each unknown word replaced by the closest frequent indexed
 * word (edit distance 1, or 2 for words of five letters or more), or NULL. */
static char *suggest(compiler *c)
{
    if (c->nunknown == 0)
        return NULL;
    size_t qlen = strlen(c->query);
    size_t cap = qlen + c->nunknown * (MG_TERM_MAX + 1) + 1;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t o = 0, at = 0;
    bool changed = false;
    for (size_t i = 0; i < c->nunknown; i++) {
        unknown_word *u = &c->unknown[i];
        if (u->off < at || u->off + u->len > qlen)
            continue;
        char word[MG_TERM_MAX + 1], typed[MG_TERM_MAX + 1];
        mg_err e;
        if (mg_analyze_word(c->s->an, c->query + u->off, u->len, MG_AN_NOSTEM, typed, sizeof typed,
                            &e) <= 0)
            snprintf(typed, sizeof typed, "%s", u->term);
        speller sp = {
            .word = u->term, .typed = typed, .len = strlen(u->term), .best_dist = SIZE_MAX};
        sp.max = sp.len >= 5 ? 2 : 1;
        if (sp.len < 3 || (unsigned char)u->term[0] >= 0x80)
            continue;
        char first[2] = {u->term[0], 0};
        if (mg_xsearch_each_term(c->s->xs, first, 1, spell_cb, &sp, &e) < 0 || !sp.best[0])
            continue;
        surface_word(c->s, sp.best, typed, word, sizeof word);
        memcpy(out + o, c->query + at, u->off - at);
        o += u->off - at;
        size_t wl = strlen(word);
        memcpy(out + o, word, wl);
        o += wl;
        at = u->off + u->len;
        changed = true;
    }
    if (!changed) {
        free(out);
        return NULL;
    }
    memcpy(out + o, c->query + at, qlen - at);
    o += qlen - at;
    out[o] = '\0';
    return out;
}

/* ---- running ---- */

static void hit_release(mg_hit *h)
{
    free(h->id);
    free(h->title);
    free(h->date);
    free(h->source);
    free(h->url);
    for (size_t i = 0; i < h->ncategories; i++)
        free(h->categories[i]);
    free(h->categories);
    free(h->snippet);
}

void mg_search_result_free(mg_search_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nhits; i++)
        hit_release(&r->hits[i]);
    free(r->hits);
    free(r->suggestion);
    free(r->next);
    mg_xfacets_free(r->facets, r->nfacets);
    free(r->parsed);
    free(r);
}

static int fill_hit(mg_searcher *s, const mg_search_request *req, const mg_hlset *hl,
                    const mg_xhit *xh, mg_hit *h, mg_err *err)
{
    mg_record rec;
    mg_record_init(&rec);
    h->score = xh->score;
    h->percent = xh->percent;
    h->collapsed = xh->collapsed;
    if (mg_record_decode(xh->data, xh->len, &rec, err) < 0)
        return -err->code;
    /* take the strings over from the record */
    h->id = rec.id;
    h->title = rec.title;
    h->date = rec.date;
    h->source = rec.source;
    h->url = rec.url;
    h->categories = rec.categories;
    h->ncategories = rec.ncategories;
    rec.id = rec.title = rec.date = rec.source = rec.url = NULL;
    rec.categories = NULL;
    rec.ncategories = 0;
    int rc = 0;
    if (req->snippets) {
        mg_snippet_opts so = {.bytes = req->snippet_bytes,
                              .hl_start = req->hl_start,
                              .hl_end = req->hl_end,
                              .html = req->html};
        const char *text = rec.body && rec.body[0] ? rec.body : h->title;
        h->snippet = mg_snippet_make(s->an, hl, text, strlen(text), &so, err);
        if (!h->snippet)
            rc = -err->code;
    }
    mg_record_release(&rec);
    return rc;
}

static int check_request(const mg_searcher *s, const mg_search_request *req, size_t *limit,
                         char since[15], char until[15], mg_err *err)
{
    *limit = req->limit ? req->limit : 10;
    /* a cursor's page also fetches the hit before it (run_after) */
    size_t max_limit = s->lim.max_limit + (req->after ? 1 : 0);
    if (*limit > max_limit)
        return mg_err_set(err, MG_EINVAL, "bad paging: limit %zu is over %zu", *limit,
                          s->lim.max_limit);
    if (!req->after &&
        (req->offset > s->lim.max_window || req->offset + *limit > s->lim.max_window))
        return mg_err_set(err, MG_EINVAL, "bad paging: offset+limit %zu is over %zu",
                          req->offset + *limit, s->lim.max_window);
    if (req->sort < MG_SORT_RELEVANCE || req->sort > MG_SORT_RECENCY)
        return mg_err_set(err, MG_EINVAL, "bad sort: %d", req->sort);
    if (!(req->half_life >= 0 && req->half_life < 1e9))
        return mg_err_set(err, MG_EINVAL, "bad sort: half-life %g days", req->half_life);
    const char *why;
    since[0] = until[0] = '\0';
    if (req->since && req->since[0] &&
        mg_query_date_bound(req->since, strlen(req->since), false, since, &why) < 0)
        return mg_err_set(err, MG_EINVAL, "bad date in since: '%.40s' (%s)", req->since, why);
    if (req->until && req->until[0] &&
        mg_query_date_bound(req->until, strlen(req->until), true, until, &why) < 0)
        return mg_err_set(err, MG_EINVAL, "bad date in until: '%.40s' (%s)", req->until, why);
    if (since[0] && until[0] && strcmp(since, until) > 0)
        return mg_err_set(err, MG_EINVAL, "bad date range: since %s is after until %s", req->since,
                          req->until);
    return 0;
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
            return mg_err_set(err, MG_EINVAL,
                              "bad date in %s: '%.40s' (want YYYYMMDDhhmmss or a leading part)",
                              what, v);
    }
    if (n < 4 || n % 2)
        return mg_err_set(err, MG_EINVAL,
                          "bad date in %s: '%.40s' (want YYYYMMDDhhmmss or a leading part)", what,
                          v);
    memset(out + n, pad, 14 - n);
    out[14] = '\0';
    return 0;
}

static int check_added(const mg_search_request *req, compiler *c, mg_err *err)
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
static int build(compiler *c, const mg_qnode *ast, const char *since, const char *until,
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

/* Add the counts of from[] into to[] (the same facets, asked for by the same
 * flags, over two disjoint match sets), keeping the engine's order: most
 * frequent first, ties by value; date facets in date order. Takes over and
 * frees from. */
static int cmp_facet_value(const void *a, const void *b)
{
    const mg_facet_value *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->value, y->value);
}

/* Date facets keep date order (MG_FACET_UNDATED sorts last as a string). */
static int cmp_period_value(const void *a, const void *b)
{
    const mg_facet_value *x = a, *y = b;
    return strcmp(x->value, y->value);
}

static bool facet_by_date(const char *name)
{
    return strcmp(name, "year") == 0 || strcmp(name, "month") == 0 || strcmp(name, "week") == 0 ||
           strcmp(name, "day") == 0;
}

static int merge_facets(mg_facet *to, size_t nto, mg_facet *from, size_t nfrom, mg_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < nfrom && rc == 0; i++) {
        mg_facet *t = NULL;
        for (size_t j = 0; j < nto && !t; j++)
            if (strcmp(to[j].name, from[i].name) == 0)
                t = &to[j];
        if (!t)
            continue;
        mg_facet_value *v = realloc(t->values, (t->nvalues + from[i].nvalues + 1) * sizeof *v);
        if (!v) {
            rc = mg_err_set(err, MG_ENOMEM, "out of memory");
            break;
        }
        t->values = v;
        for (size_t k = 0; k < from[i].nvalues; k++) {
            mg_facet_value *fv = &from[i].values[k];
            size_t j = 0;
            while (j < t->nvalues && strcmp(t->values[j].value, fv->value) != 0)
                j++;
            if (j < t->nvalues) {
                t->values[j].count += fv->count;
            } else {
                t->values[t->nvalues++] = *fv;
                fv->value = NULL; /* moved */
            }
        }
        qsort(t->values, t->nvalues, sizeof *t->values,
              facet_by_date(t->name) ? cmp_period_value : cmp_facet_value);
    }
    mg_xfacets_free(from, nfrom);
    return rc;
}

/* The matches of the relaxed query that the strict one did not have: the OR
 * of the words without the documents holding all of them. Rebuilds c (its
 * highlights and unknown words) for the relaxed query, without proximity
 * pairs when plain (for counting: the same matches). *or_q is the relaxed
 * query itself, *rest the OR without strict's matches (NULL when strict is
 * NULL, the AND having matched nothing: run *or_q). */
static int build_rest(compiler *c, const mg_qnode *ast, const char *since, const char *until,
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
    int rc = build(c, ast, since, until, source, or_q);
    if (rc < 0)
        return rc;
    if (!strict)
        return 0;
    mg_xq *pair[2] = {*or_q, strict};
    *rest = mg_xq_combine(MG_XQ_AND_NOT, pair, 2, 0, c->err);
    return *rest ? 0 : -c->err->code;
}

/* Whether Xapian 1.4's matcher must look at every match. Once it prunes by
 * weight for a small page, an OR decays to an AND_MAYBE and that to an AND,
 * which AndMaybePostList::next() starts one past the later of its two
 * sides: when the maybe side stood ahead (a check() that moved it on), the
 * document it stood on is skipped. A phrase or NEAR in an OR (explicit, the
 * relaxed query's, or its rest under an AND_NOT) runs out early and sets
 * this off on the first pages; plain-term ORs were only seen to lose a
 * document deep in the fixture of test_search_paths (offset 100 and more).
 * Proximity pairs (mg_xq_or_near) are mis-weighted besides.
 * bench/RESULTS-query.md, session 5. */
static bool unprunable(const compiler *c)
{
    return c->near_ors > 0 || (c->ors > 0 && c->posits > 0);
}

/* Count the matches of q (and facet them when o asks), the same way on
 * every page of a query: as a boolean query (no weights, so nothing is
 * pruned), no hits, copies counted, exact up to check matches. The counts
 * of a ranked page depend on its offset once collapsing is on. */
static int count_matches(mg_searcher *s, const mg_xq *q, const mg_xrun_opts *o, size_t check,
                         mg_xresult *out, mg_err *err)
{
    mg_xq *count = mg_xq_scale(q, 0.0, err);
    if (!count)
        return -err->code;
    mg_xrun_opts oc = *o;
    oc.offset = oc.limit = 0;
    oc.collapse = false;
    oc.want_data = false;
    oc.exhaustive = false;
    oc.check_at_least = check;
    int rc = mg_xsearch_run(s->xs, count, &oc, out, err);
    mg_xq_free(count);
    return rc;
}

/* Whether a run's own counts are those count_matches() would give: facets
 * made them exact, or they are exact and under check. (Exact over check,
 * a count would give an estimate: paging would change the total.) */
static bool counts_usable(const mg_xrun_opts *o, const mg_xresult *r, size_t check)
{
    return o->facets || (r->lower == r->upper && r->upper < check);
}

/* Count (and facet) the whole ranking of a relaxed query: the plain OR
 * (the same matches as with proximity pairs), whose matches are the AND's
 * and the partial ones. Cheaper than counting the partial ones apart (an OR
 * without the AND). */
static int count_relaxed(compiler *c, const mg_qnode *ast, const char *since, const char *until,
                         const char *source, const mg_xrun_opts *o, size_t check, mg_xresult *out)
{
    mg_xq *or_q, *rest;
    int rc = build_rest(c, ast, since, until, source, NULL, true, &or_q, &rest);
    if (rc == 0)
        rc = count_matches(c->s, or_q, o, check, out, c->err);
    mg_xq_free(or_q);
    mg_xq_free(rest);
    return rc;
}

/* The number of AND hits (copies folded, as ranked) when they end before
 * offset + limit; xr is the AND's page at offset. *cut is set when the time
 * budget ended the count. */
static int count_and(mg_searcher *s, const mg_xq *q, const mg_xrun_opts *o, const mg_xresult *xr,
                     size_t *n_and, bool *cut, mg_err *err)
{
    if (xr->nhits > 0 || o->offset == 0) { /* the AND ends on this page */
        *n_and = o->offset + xr->nhits;
        return 0;
    }
    if (!o->collapse && xr->lower == xr->upper) { /* exact, nothing folded */
        *n_and = (size_t)xr->upper;
        return 0;
    }
    /* a page past the AND's end: its count includes copies that collapsing
     * folds, so count the ranked hits before this page */
    mg_xresult first = {0};
    mg_xrun_opts o1 = *o;
    o1.limit = o1.offset;
    o1.offset = 0;
    o1.facets = 0;
    o1.want_data = false;
    o1.count_only = true;
    int rc = mg_xsearch_run(s->xs, q, &o1, &first, err);
    *n_and = first.nhits;
    *cut |= first.cut;
    mg_xresult_release(&first);
    return rc;
}

/* The depth of the two-stage ranking (mg_xrun_opts), which recency needs. */
static size_t rescore_depth(const mg_searcher *s, const mg_search_request *req)
{
    if (s->lim.rescore_depth > 0)
        return (size_t)s->lim.rescore_depth;
    return req->sort == MG_SORT_RECENCY ? MG_RESCORE_DEPTH : 0;
}

static int run_once(mg_searcher *s, const mg_search_request *req, const mg_qnode *ast,
                    mg_search_result *res, mg_err *err)
{
    size_t limit;
    char since[15], until[15];
    int rc = check_request(s, req, &limit, since, until, err);
    if (rc < 0)
        return rc;
    compiler c = {.s = s, .query = req->query, .err = err};
    if ((rc = check_added(req, &c, err)) < 0)
        return rc;
    c.hl = mg_hlset_new();
    if (!c.hl)
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    mg_xq *q = NULL, *or_q = NULL, *rest = NULL;
    mg_xresult xr = {0}, xr2 = {0}, xa = {0}, xc = {0};
    /* the same on every page, so that paging never changes the totals */
    size_t check = s->lim.count_exact;
    mg_xrun_opts o = {.offset = req->offset,
                      .limit = limit,
                      .sort = req->sort,
                      .collapse = !req->no_collapse,
                      .facets = req->facets,
                      .k1 = s->lim.bm25_k1,
                      .b = s->lim.bm25_b,
                      .ranking = s->lim.ranking,
                      .delta = s->lim.bm25_delta,
                      .check_at_least = req->offset + limit,
                      .want_data = req->snippets,
                      .max_cost = s->lim.max_cost,
                      .rescore_depth = rescore_depth(s, req),
                      .half_life = req->half_life};
    if (s->lim.budget_ms) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        o.deadline_ns = (unsigned long long)ts.tv_sec * 1000000000u +
                        (unsigned long long)ts.tv_nsec +
                        (unsigned long long)s->lim.budget_ms * 1000000u;
    }
    if (mg_stopset_size(s->stops) > 0) {
        if ((rc = has_content(&c, ast)) < 0)
            goto out;
        c.stops = rc > 0;
    }
    if ((rc = build(&c, ast, since, until, req->source, &q)) < 0)
        goto out;
    o.exhaustive = unprunable(&c);
    if ((rc = mg_xsearch_run(s->xs, q, &o, &xr, err)) < 0)
        goto out;
    /* The page's own counts when they are exact and under check (the count
     * would find the same) or facets made them exact; else a count. */
    mg_xresult *all = &xr;
    if (!counts_usable(&o, &xr, check)) {
        if ((rc = count_matches(s, q, &o, check, &xa, err)) < 0)
            goto out;
        all = &xa;
    }
    /* Relaxed: the ranking goes on past the AND's matches with the OR's
     * that are not AND matches, unless no page can reach them (the AND has
     * max_window matches or more). Whether it does, and the totals, are
     * decided from the whole match sets, never from this page. */
    bool relax = !req->no_relax && c.ands > 0 && all->lower < s->lim.max_window;
    mg_xq *strict = all->upper > 0 ? q : NULL;
    /* the partial matches' counts (from this page), or the whole ranking's */
    mg_xresult *some = NULL, *whole = NULL;
    if (relax &&
        (rc = build_rest(&c, ast, since, until, req->source, strict, false, &or_q, &rest)) < 0)
        goto out;
    if (relax && xr.nhits < limit) { /* the AND ends before this page does */
        size_t n_and;
        if ((rc = count_and(s, q, &o, &xr, &n_and, &xr.cut, err)) < 0)
            goto out;
        mg_xrun_opts o2 = o;
        o2.exhaustive = unprunable(&c);
        o2.offset = req->offset > n_and ? req->offset - n_and : 0;
        o2.limit = limit - xr.nhits;
        o2.check_at_least = o2.offset + o2.limit;
        if ((rc = mg_xsearch_run(s->xs, rest ? rest : or_q, &o2, &xr2, err)) < 0)
            goto out;
        /* usable when the whole ranking's count would be exact too */
        if (o.facets ||
            (all->lower == all->upper && xr2.lower == xr2.upper && all->upper + xr2.upper < check))
            some = &xr2;
    }
    if (relax && !some) {
        if ((rc = count_relaxed(&c, ast, since, until, req->source, &o, check, &xc)) < 0)
            goto out;
        whole = &xc;
    }
    if (some) {
        relax = some->upper > 0;
        if (some->facets) {
            rc = merge_facets(xr.facets, xr.nfacets, some->facets, some->nfacets, err);
            some->facets = NULL;
            some->nfacets = 0;
            if (rc < 0)
                goto out;
        }
    } else if (whole) {
        relax = whole->upper > all->lower;
        if (whole->facets) { /* the OR's facets are the ranking's */
            mg_xfacets_free(xr.facets, xr.nfacets);
            xr.facets = whole->facets;
            xr.nfacets = whole->nfacets;
            whole->facets = NULL;
            whole->nfacets = 0;
        }
    }
    res->relaxed = relax;
    res->all_estimate = all->estimate;
    res->all_lower = all->lower;
    res->all_upper = all->upper;
    res->all_exact = all->lower == all->upper;
    if (relax && some) {
        res->total_estimate = all->estimate + some->estimate;
        res->total_lower = all->lower + some->lower;
        res->total_upper = all->upper + some->upper;
    } else {
        const mg_xresult *t = relax ? whole : all;
        res->total_estimate = t->estimate;
        res->total_lower = t->lower;
        res->total_upper = t->upper;
    }
    res->total_exact = res->total_lower == res->total_upper;
    /* the time budget ended one of the runs: hits or counts may be short */
    res->partial = xr.cut || xr2.cut || xa.cut || xc.cut;
    res->facets = xr.facets;
    res->nfacets = xr.nfacets;
    xr.facets = NULL;
    xr.nfacets = 0;
    res->parsed = mg_xq_describe(relax ? or_q : q);
    res->hits = calloc(xr.nhits + xr2.nhits ? xr.nhits + xr2.nhits : 1, sizeof *res->hits);
    if (!res->hits) {
        rc = mg_err_set(err, MG_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < xr.nhits + xr2.nhits; i++) {
        mg_hit *h = &res->hits[res->nhits++];
        h->rank = (unsigned)(req->offset + i + 1);
        h->partial = i >= xr.nhits;
        const mg_xhit *xh = i < xr.nhits ? &xr.hits[i] : &xr2.hits[i - xr.nhits];
        if ((rc = fill_hit(s, req, c.hl, xh, h, err)) < 0)
            goto out;
    }
    res->suggestion = suggest(&c);
out:
    mg_xresult_release(&xr);
    mg_xfacets_free(xr.facets, xr.nfacets);
    mg_xresult_release(&xr2);
    mg_xfacets_free(xr2.facets, xr2.nfacets);
    mg_xresult_release(&xa);
    mg_xresult_release(&xc);
    mg_xfacets_free(xc.facets, xc.nfacets);
    mg_xq_free(q);
    mg_xq_free(or_q);
    mg_xq_free(rest);
    mg_hlset_free(c.hl);
    return rc;
}

/* ---- export cursors ---- */

static unsigned long long current_revision(mg_searcher *s)
{
    return mg_gen_revision(mg_gen_of_path(mg_xsearch_path(s->xs)), mg_xsearch_revision(s->xs));
}

/* "REVISION.RANK.ID" (search.h, "after") into its parts; *id points into t. */
static int parse_cursor(const char *t, unsigned long long *rev, size_t *rank, const char **id,
                        mg_err *err)
{
    char *end = (char *)(uintptr_t)t;
    unsigned long long r = 0;
    *rev = 0;
    if (*t >= '0' && *t <= '9') {
        *rev = strtoull(t, &end, 10);
        if (*end == '.' && end[1] >= '0' && end[1] <= '9')
            r = strtoull(end + 1, &end, 10);
    }
    if (r == 0 || r > SIZE_MAX / 2 || *end != '.' || !end[1])
        return mg_err_set(err, MG_EINVAL, "bad cursor: '%.60s' is not a \"next\" of a reply", t);
    *rank = (size_t)r;
    *id = end + 1;
    return 0;
}

/* The page after a cursor: the ranking from the cursor's hit on (fetched
 * again, to check that it still stands at its rank), that hit left out. */
static int run_after(mg_searcher *s, const mg_search_request *req, const mg_qnode *ast,
                     mg_search_result *res, mg_err *err)
{
    unsigned long long rev = 0;
    size_t rank = 0;
    const char *id = NULL;
    if (parse_cursor(req->after, &rev, &rank, &id, err) < 0)
        return -err->code;
    if (req->offset)
        return mg_err_set(err, MG_EINVAL, "bad cursor: after does not go with an offset");
    size_t limit = req->limit ? req->limit : 10;
    if (limit > s->lim.max_limit)
        return mg_err_set(err, MG_EINVAL, "bad paging: limit %zu is over %zu", limit,
                          s->lim.max_limit);
    if (rev != current_revision(s))
        return mg_err_set(err, MG_EINVAL,
                          "stale cursor: the index changed since (revision %llu, now %llu); "
                          "start again",
                          rev, current_revision(s));
    mg_search_request r = *req;
    r.offset = rank - 1;
    r.limit = limit + 1;
    int rc = run_once(s, &r, ast, res, err);
    if (rc < 0)
        return rc;
    if (res->nhits == 0 || strcmp(res->hits[0].id, id) != 0)
        return mg_err_set(err, MG_EINVAL,
                          "stale cursor: '%.60s' is no longer hit %zu of this query; start again",
                          id, rank);
    hit_release(&res->hits[0]);
    memmove(res->hits, res->hits + 1, (res->nhits - 1) * sizeof *res->hits);
    res->nhits--;
    return 0;
}

/* The cursor of a full page's last hit; NULL (no error) after a short page:
 * the ranking ends there. */
static int set_next(mg_searcher *s, const mg_search_request *req, mg_search_result *res,
                    mg_err *err)
{
    size_t limit = req->limit ? req->limit : 10;
    if (res->nhits < limit || res->nhits == 0)
        return 0;
    const mg_hit *h = &res->hits[res->nhits - 1];
    size_t n = strlen(h->id) + 48;
    if (!(res->next = malloc(n)))
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    snprintf(res->next, n, "%llu.%u.%s", current_revision(s), h->rank, h->id);
    return 0;
}

int mg_search_run(mg_searcher *s, const mg_search_request *req, mg_search_result **out, mg_err *err)
{
    mg_err local;
    if (!err)
        err = &local;
    mg_err_clear(err);
    *out = NULL;
    if (!s || !req)
        return mg_err_set(err, MG_EINVAL, "mg_search_run: no searcher or request");
    const char *qs = req->query ? req->query : "";
    mg_query_opts qo = {.max_bytes = s->lim.max_query_bytes,
                        .max_terms = s->lim.max_terms,
                        .min_prefix = s->lim.min_prefix};
    mg_qnode *ast;
    int rc = mg_query_parse(qs, strlen(qs), &qo, &ast, err);
    if (rc < 0)
        return rc;
    mg_search_request r = *req;
    r.query = qs;
    for (int attempt = 0; attempt < 2; attempt++) {
        mg_search_result *res = calloc(1, sizeof *res);
        if (!res) {
            rc = mg_err_set(err, MG_ENOMEM, "out of memory");
            break;
        }
        rc = r.after ? run_after(s, &r, ast, res, err) : run_once(s, &r, ast, res, err);
        /* An export must not skip hits: a page the time budget cut short
         * is an error, never a silent gap in the ranking. */
        if (rc == 0 && (r.cursor || r.after) && res->partial)
            rc = mg_err_set(err, MG_EINVAL,
                            "too costly: this page of the export (hits %zu-%zu) could not be "
                            "matched within the time budget of %u ms",
                            r.offset + 1, r.offset + (r.limit ? r.limit : 10), s->lim.budget_ms);
        if (rc == 0 && (r.cursor || r.after))
            rc = set_next(s, &r, res, err);
        if (rc == 0) {
            *out = res;
            break;
        }
        mg_search_result_free(res);
        if (rc != -MG_EMODIFIED || attempt == 1)
            break;
        mg_err e2;
        if (mg_searcher_reopen(s, &e2) < 0)
            break;
    }
    mg_query_free(ast);
    return rc;
}

/* Look the document id up: its stored record into *data (malloc'd) when
 * data is not NULL, else its copies through fn. Retries once on a database
 * changed under the reader. The shim's return, or -MG_ENOTFOUND. */
static long by_id(mg_searcher *s, const char *id, void **data, size_t *len,
                  int (*fn)(void *ctx, const char *id), void *ctx, mg_err *err)
{
    mg_err_clear(err);
    char term[MG_XDB_MAX_TERM + 64];
    int n = snprintf(term, sizeof term, "%s%s", MG_PFX_ID, id ? id : "");
    if (n < 0 || (size_t)n >= sizeof term || !id || !*id)
        return mg_err_set(err, MG_ENOTFOUND, "no document with id '%.100s'", id ? id : "");
    long rc = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = data ? mg_xsearch_term_data(s->xs, term, (size_t)n, data, len, err)
                  : mg_xsearch_copies(s->xs, term, (size_t)n, fn, ctx, err);
        if (rc != -MG_EMODIFIED)
            break;
        mg_err e2;
        mg_searcher_reopen(s, &e2);
    }
    if (rc == -MG_ENOTFOUND)
        return mg_err_set(err, MG_ENOTFOUND, "no document with id '%.100s'", id);
    return rc;
}

long mg_searcher_copies(mg_searcher *s, const char *id, int (*fn)(void *ctx, const char *id),
                        void *ctx, mg_err *err)
{
    return by_id(s, id, NULL, NULL, fn, ctx, err);
}

int mg_searcher_get(mg_searcher *s, const char *id, mg_record *rec, mg_err *err)
{
    void *data = NULL;
    size_t len = 0;
    int rc = (int)by_id(s, id, &data, &len, NULL, NULL, err);
    if (rc < 0)
        return rc;
    rc = mg_record_decode(data, len, rec, err);
    free(data);
    return rc;
}

/* "YYYY-MM-DDThh:mm:ss[Z]" as Unix time, or -1. */
static long long parse_iso(const char *s)
{
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (sscanf(s, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) < 3)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    return (long long)timegm(&tm);
}

int mg_searcher_stats(mg_searcher *s, mg_searcher_info *st, mg_err *err)
{
    mg_err_clear(err);
    memset(st, 0, sizeof *st);
    st->documents = mg_xsearch_doccount(s->xs);
    st->xapian_revision = mg_xsearch_revision(s->xs);
    st->revision = mg_gen_revision(mg_gen_of_path(mg_xsearch_path(s->xs)), st->xapian_revision);
    char built[64];
    long n = mg_xsearch_metadata(s->xs, MG_META_BUILT, built, sizeof built, err);
    if (n < 0)
        return (int)n;
    st->updated_unix = n > 0 ? parse_iso(built) : -1;
    if ((n = mg_xsearch_metadata(s->xs, MG_META_ADDED, st->added, sizeof st->added, err)) < 0)
        return (int)n;
    snprintf(st->lang, sizeof st->lang, "%s", mg_analyzer_lang(s->an));
    snprintf(st->path, sizeof st->path, "%s", mg_xsearch_path(s->xs));
    return 0;
}

/* ---- listing values ---- */

typedef struct value_list {
    mg_facet_value *v;
    size_t n, cap;
    size_t skip; /* the prefix's length */
    bool oom;
} value_list;

static int value_cb(void *ctx, const char *term, size_t len, unsigned long long freq)
{
    value_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        mg_facet_value *g = realloc(l->v, cap * sizeof *g);
        if (!g) {
            l->oom = true;
            return 1;
        }
        l->v = g;
        l->cap = cap;
    }
    if (!(l->v[l->n].value = strndup(term, len))) {
        l->oom = true;
        return 1;
    }
    l->v[l->n++].count = (unsigned long)freq;
    return 0;
}

/* The name as an article gives it, for the folded term of one value: the
 * source of the first article with the term, or the category of it that
 * folds to the term. NULL (no error) when there is none. */
static char *display_name(mg_searcher *s, bool source, const char *term, mg_err *err)
{
    void *data;
    size_t len;
    if (mg_xsearch_term_data(s->xs, term, strlen(term), &data, &len, err) < 0)
        return NULL;
    mg_record rec;
    mg_record_init(&rec);
    char *name = NULL;
    if (mg_record_decode(data, len, &rec, err) == 0) {
        if (source && rec.source)
            name = strdup(rec.source);
        for (size_t i = 0; !source && !name && i < rec.ncategories; i++) {
            char t[MG_XDB_MAX_TERM + 1];
            long n = mg_field_term(MG_PFX_CATEGORY, rec.categories[i], t, sizeof t, err);
            if (n > 0 && strcmp(t, term) == 0)
                name = strdup(rec.categories[i]);
        }
    }
    mg_record_release(&rec);
    free(data);
    return name;
}

int mg_search_values(mg_searcher *s, const char *field, size_t limit, mg_values *out, mg_err *err)
{
    mg_err_clear(err);
    memset(out, 0, sizeof *out);
    bool source = field && strcmp(field, "source") == 0;
    if (!source && !(field && strcmp(field, "category") == 0))
        return mg_err_set(err, MG_EINVAL, "bad field: '%.40s' (fields: source, category)",
                          field ? field : "");
    const char *pfx = source ? MG_PFX_SOURCE : MG_PFX_CATEGORY;
    value_list l = {.skip = strlen(pfx)};
    int rc = mg_xsearch_each_term(s->xs, pfx, strlen(pfx), value_cb, &l, err);
    if (l.oom)
        rc = mg_err_set(err, MG_ENOMEM, "out of memory");
    if (rc == 0) {
        qsort(l.v, l.n, sizeof *l.v, cmp_facet_value);
        out->total = l.n;
        out->n = l.n < limit ? l.n : limit;
    }
    for (size_t i = 0; rc == 0 && i < out->n; i++) {
        char *name = display_name(s, source, l.v[i].value, err);
        if (!name && err->code)
            rc = -err->code;
        else if (!name) /* no article gives it any more: the folded name */
            name = strdup(l.v[i].value + l.skip);
        if (rc == 0 && !name)
            rc = mg_err_set(err, MG_ENOMEM, "out of memory");
        free(l.v[i].value);
        l.v[i].value = name;
    }
    for (size_t i = out->n; i < l.n; i++)
        free(l.v[i].value);
    if (rc < 0) {
        for (size_t i = 0; i < out->n; i++)
            free(l.v[i].value);
        free(l.v);
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->values = l.v;
    return 0;
}

void mg_values_release(mg_values *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++)
        free(v->values[i].value);
    free(v->values);
    memset(v, 0, sizeof *v);
}
