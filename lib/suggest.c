/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "Did you mean": each word of a query that the index does not hold,
 * replaced by the closest frequent indexed word, as it is written in an
 * article. */
#include "search_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"

size_t mg_edit_distance(const char *a, size_t la, const char *b, size_t lb, size_t max)
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
    size_t d = mg_edit_distance(sp->word, sp->len, term, len, sp->max);
    if (d > sp->max || d == 0)
        return 0;
    /* among stems as close, the one closest to what was typed ("cofee" is
     * nearer "coffe", stem of coffee, than "come", stem of coming) */
    d += mg_edit_distance(sp->typed, strlen(sp->typed), term, len, 40);
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
    size_t d = mg_edit_distance(sf->typed, strlen(sf->typed), tok->word, tok->word_len, 40);
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
char *mg_suggest(compiler *c)
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
