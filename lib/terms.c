/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The words that set a query's best matches apart (request "terms"): the
 * stems Xapian's expansion set picks over a sample of the matches
 * (xapian_terms.cc), each shown as the sample most often writes it, with
 * the number of the sample's articles that hold it. */
#include "search_int.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "stopwords.h"
#include "xapian_search.h"

/* A spelling of a stem in the sample, and how often it occurs. */
typedef struct spelling {
    char *word;
    unsigned long n;
} spelling;

/* What the sample's text says of one chosen stem. */
typedef struct stem_stat {
    const char *stem;
    size_t len;
    spelling *sp;
    size_t nsp, cap;
    unsigned docs;
    size_t last_doc; /* 1 + the sample article that last held it */
} stem_stat;

typedef struct tally {
    stem_stat *st;
    size_t n;
    size_t doc; /* 1 + the sample article being read */
    int oom;
} tally;

static bool keep_term(void *ctx, const char *term, size_t len)
{
    const mg_stopset *stops = ctx;
    return !mg_stopset_has(stops, term, len);
}

static int count_token(void *ctx, const mg_token *tok)
{
    tally *t = ctx;
    for (size_t i = 0; i < t->n; i++) {
        stem_stat *s = &t->st[i];
        if (s->len != tok->term_len || memcmp(s->stem, tok->term, s->len) != 0)
            continue;
        if (s->last_doc != t->doc) {
            s->last_doc = t->doc;
            s->docs++;
        }
        for (size_t k = 0; k < s->nsp; k++)
            if (strcmp(s->sp[k].word, tok->word) == 0) {
                s->sp[k].n++;
                return 0;
            }
        char *w = strndup(tok->word, tok->word_len);
        if (!w || !mg_grow_array(&s->sp, &s->cap, s->nsp + 1, sizeof *s->sp, 4)) {
            free(w);
            t->oom = 1;
            return -MG_ENOMEM;
        }
        s->sp[s->nsp++] = (spelling){w, 1};
        return 0;
    }
    return 0;
}

/* Read the title and body of each sample record into t. */
static int read_sample(mg_searcher *s, const mg_xterms *x, tally *t, mg_err *err)
{
    for (size_t r = 0; r < x->nrecords; r++) {
        mg_record rec;
        mg_record_init(&rec);
        if (mg_record_decode(x->records[r], x->record_lens[r], &rec, err) < 0)
            return -err->code;
        t->doc = r + 1;
        const char *parts[2] = {rec.title, rec.body};
        long rc = 0;
        for (size_t p = 0; p < 2 && rc >= 0; p++)
            if (parts[p] && parts[p][0])
                rc = mg_analyze(s->an, parts[p], strlen(parts[p]), 0, 0, count_token, t, err);
        mg_record_release(&rec);
        if (t->oom)
            return mg_err_set(err, MG_ENOMEM, "out of memory");
        if (rc < 0)
            return (int)rc;
    }
    return 0;
}

/* The most frequent spelling of s (ties: the first met), or its stem. */
static const char *best_spelling(const stem_stat *s)
{
    const spelling *best = NULL;
    for (size_t k = 0; k < s->nsp; k++)
        if (!best || s->sp[k].n > best->n)
            best = &s->sp[k];
    return best ? best->word : s->stem;
}

int mg_search_terms(mg_searcher *s, const mg_search_request *req, const mg_xq *q,
                    const mg_xrun_opts *o, mg_search_result *res, mg_err *err)
{
    mg_xterms x;
    int rc =
        mg_xsearch_terms(s->xs, q, o, MG_TERMS_SAMPLE, req->terms, keep_term, s->stops, &x, err);
    if (rc < 0)
        return rc;
    tally t = {.st = calloc(x.nstems + 1, sizeof *t.st), .n = x.nstems};
    if (!t.st)
        rc = mg_err_set(err, MG_ENOMEM, "out of memory");
    for (size_t i = 0; t.st && i < x.nstems; i++)
        t.st[i] = (stem_stat){.stem = x.stems[i], .len = strlen(x.stems[i])};
    if (rc == 0)
        rc = read_sample(s, &x, &t, err);
    if (rc == 0 && !(res->terms = calloc(x.nstems + 1, sizeof *res->terms)))
        rc = mg_err_set(err, MG_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        mg_term *m = &res->terms[res->nterms];
        if (!(m->word = strdup(best_spelling(&t.st[i]))) || !(m->stem = strdup(t.st[i].stem))) {
            free(m->word);
            rc = mg_err_set(err, MG_ENOMEM, "out of memory");
            break;
        }
        m->docs = t.st[i].docs;
        res->nterms++;
    }
    res->terms_sample = x.nrecords;
    if (x.cut) /* the time budget ended the sample's match */
        res->partial = true;
    for (size_t i = 0; t.st && i < t.n; i++) {
        for (size_t k = 0; k < t.st[i].nsp; k++)
            free(t.st[i].sp[k].word);
        free(t.st[i].sp);
    }
    free(t.st);
    mg_xterms_release(&x);
    return rc;
}
