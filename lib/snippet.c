/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Snippets: pick the window holding the most distinct query words, then
 * write it out with highlights (see snippet.h). */
#include "snippet.h"
#include "grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "utf8.h"

typedef struct hl_entry {
    char *s;
    size_t len;
    bool prefix;
} hl_entry;

/* Short pieces of text already analysed, with their match if they held one
 * (at most one), remembered across the snippets of one set: news text
 * repeats its words ("the", "said", and the query's own). A piece's tokens
 * depend on its bytes alone, so the answer holds for every copy of it, as
 * long as the entries and the analyser language stay the same. */
#define MEMO_SLOTS 256 /* a power of two */
#define MEMO_KEY 20    /* most words of news text fit */
#define MEMO_PROBES 8
typedef struct memo_slot {
    uint32_t h;
    uint32_t idx;      /* the entry matched */
    unsigned char len; /* 0: empty */
    unsigned char matched;
    unsigned char start, end; /* the match, from the start of the piece */
    char key[MEMO_KEY];
} memo_slot;

struct memo {
    memo_slot *slot; /* MEMO_SLOTS, allocated on first use */
    bool valid;      /* the answers hold for the analyser language lang */
    char lang[32];
};

struct mg_hlset {
    hl_entry *e;
    size_t n, cap;
    uint32_t *slots; /* open addressing over the stems: entry index + 1, 0 empty */
    size_t nslots;   /* a power of two, at least twice the number of stems */
    size_t nterms;
    size_t *prefixes; /* entry indices of the prefixes */
    size_t nprefixes;
    unsigned char cls[256]; /* byte classes for the pre-pass (see find_matches) */
    struct memo *memo;      /* = &memo_store: writable through a const set */
    struct memo memo_store;
};

/* Byte classes of the pre-pass. B_HIT: an ASCII letter or digit that some
 * entry's first byte equals (after ASCII lower-casing). */
enum { B_OTHER, B_WS, B_MISS, B_HIT, B_HIGH }; /* B_MISS | 1 == B_HIT */

static uint32_t hash(const char *s, size_t n)
{
    return mg_fnv1a32(MG_FNV32_OFFSET, s, n);
}

/* clang-format off */
#define W_ B_WS
#define M_ B_MISS
#define H_ B_HIGH
#define H16 H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_
static const unsigned char base_cls[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  W_, W_, W_, W_, W_, 0,  0,  /* \t-\r */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    W_, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* space */
    M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, 0,  0,  0,  0,  0,  0,  /* 0-9 */
    0,  M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, /* A-Z */
    M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, 0,  0,  0,  0,  0,
    0,  M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, /* a-z */
    M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, 0,  0,  0,  0,  0,
    H16, H16, H16, H16, H16, H16, H16, H16,
};
#undef W_
#undef M_
#undef H_
#undef H16
/* clang-format on */

mg_hlset *mg_hlset_new(void)
{
    mg_hlset *hl = calloc(1, sizeof(mg_hlset));
    if (!hl)
        return NULL;
    hl->memo = &hl->memo_store;
    memcpy(hl->cls, base_cls, sizeof hl->cls);
    return hl;
}

void mg_hlset_free(mg_hlset *hl)
{
    if (!hl)
        return;
    for (size_t i = 0; i < hl->n; i++)
        free(hl->e[i].s);
    free(hl->e);
    free(hl->slots);
    free(hl->prefixes);
    free(hl->memo->slot);
    free(hl);
}

size_t mg_hlset_count(const mg_hlset *hl)
{
    return hl ? hl->n : 0;
}

static long find_term(const mg_hlset *hl, const char *s, size_t n)
{
    if (!hl->nslots)
        return -1;
    size_t mask = hl->nslots - 1;
    for (size_t i = hash(s, n) & mask;; i = (i + 1) & mask) {
        uint32_t v = hl->slots[i];
        if (!v)
            return -1;
        const hl_entry *e = &hl->e[v - 1];
        if (e->len == n && memcmp(e->s, s, n) == 0)
            return (long)(v - 1);
    }
}

static int rehash(mg_hlset *hl, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return -MG_ENOMEM;
    for (size_t k = 0; k < hl->n; k++) {
        if (hl->e[k].prefix)
            continue;
        size_t i = hash(hl->e[k].s, hl->e[k].len) & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = (uint32_t)(k + 1);
    }
    free(hl->slots);
    hl->slots = slots;
    hl->nslots = nslots;
    return 0;
}

static int add_entry(mg_hlset *hl, const char *s, size_t len, bool prefix)
{
    if (!hl || len == 0)
        return 0;
    if (!prefix && find_term(hl, s, len) >= 0)
        return 0;
    if (prefix)
        for (size_t i = 0; i < hl->nprefixes; i++) {
            const hl_entry *e = &hl->e[hl->prefixes[i]];
            if (e->len == len && memcmp(e->s, s, len) == 0)
                return 0;
        }
    if (!mg_grow_array(&hl->e, &hl->cap, hl->n + 1, sizeof *hl->e, 16))
        return -MG_ENOMEM;
    char *copy = malloc(len + 1);
    if (!copy)
        return -MG_ENOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    if (prefix) {
        size_t *p = realloc(hl->prefixes, (hl->nprefixes + 1) * sizeof *p);
        if (!p) {
            free(copy);
            return -MG_ENOMEM;
        }
        hl->prefixes = p;
        hl->prefixes[hl->nprefixes++] = hl->n;
    }
    hl->e[hl->n++] = (hl_entry){copy, len, prefix};
    hl->memo->valid = false; /* a piece may match the new entry */
    unsigned char f = (unsigned char)s[0];
    if (hl->cls[f] == B_MISS) { /* entries are folded: lower case */
        hl->cls[f] = B_HIT;
        if (f >= 'a' && f <= 'z')
            hl->cls[f - 'a' + 'A'] = B_HIT;
    }
    if (!prefix) {
        hl->nterms++;
        if (hl->nterms * 2 > hl->nslots)
            return rehash(hl, hl->nslots ? hl->nslots * 2 : 32);
        size_t mask = hl->nslots - 1, i = hash(s, len) & mask;
        while (hl->slots[i])
            i = (i + 1) & mask;
        hl->slots[i] = (uint32_t)hl->n;
    }
    return 0;
}

int mg_hlset_add_term(mg_hlset *hl, const char *term, size_t len)
{
    return add_entry(hl, term, len, false);
}

int mg_hlset_add_prefix(mg_hlset *hl, const char *prefix, size_t len)
{
    return add_entry(hl, prefix, len, true);
}

/* The entry a token matches, or -1. */
static long match(const mg_hlset *hl, const mg_token *tok)
{
    if (!hl)
        return -1;
    long i = find_term(hl, tok->term, tok->term_len);
    if (i >= 0)
        return i;
    for (size_t k = 0; k < hl->nprefixes; k++) {
        const hl_entry *e = &hl->e[hl->prefixes[k]];
        if (tok->word_len >= e->len && memcmp(tok->word, e->s, e->len) == 0)
            return (long)hl->prefixes[k];
    }
    return -1;
}

typedef struct span {
    size_t start, end;
    long idx;
} span;

typedef struct spans {
    span *v;
    size_t n, cap;
    const mg_hlset *hl;
    size_t off; /* where the analysed piece starts in the text */
    bool oom;
    bool full; /* MAX_MATCHES reached: the analysis stopped */
} spans;

/* Enough matches to find a good window in any real article. */
#define MAX_MATCHES 65536

/* Appends a match; 0, or 1 when out of memory or MAX_MATCHES is reached. */
static int push(spans *sp, size_t start, size_t end, long idx)
{
    if (sp->n == sp->cap) {
        if (sp->cap >= MAX_MATCHES) {
            sp->full = true;
            return 1;
        }
        if (!mg_grow_array(&sp->v, &sp->cap, sp->n + 1, sizeof *sp->v, 32)) {
            sp->oom = true;
            return 1;
        }
    }
    sp->v[sp->n++] = (span){start, end, idx};
    return 0;
}

static int collect(void *ctx, const mg_token *tok)
{
    spans *sp = ctx;
    long idx = match(sp->hl, tok);
    return idx < 0 ? 0 : push(sp, sp->off + tok->start, sp->off + tok->end, idx);
}

/* Analyses text[a, b) into sp. Returns 0 to go on, 1 when the analysis
 * stopped (out of memory, MAX_MATCHES, or an analyser failure: err says). */
static int analyse(mg_analyzer *an, const char *text, size_t a, size_t b, spans *sp, mg_err *err)
{
    sp->off = a;
    long r = mg_analyze(an, text + a, b - a, 0, 0, collect, sp, err);
    return r < 0 || sp->oom || sp->full;
}

/* The memo's slots, emptied when they were filled for another language (or
 * entries were added since): analysers of one language give the same
 * tokens. NULL when there is no memory for them. */
static memo_slot *memo_for(struct memo *m, const mg_analyzer *an)
{
    const char *lang = mg_analyzer_lang(an);
    if (m->valid && strcmp(m->lang, lang) == 0)
        return m->slot;
    size_t n = strlen(lang);
    if (n >= sizeof m->lang || (!m->slot && !(m->slot = malloc(MEMO_SLOTS * sizeof *m->slot))))
        return NULL;
    for (size_t i = 0; i < MEMO_SLOTS; i++)
        m->slot[i].len = 0;
    memcpy(m->lang, lang, n + 1);
    m->valid = true;
    return m->slot;
}

/* The slot holding piece p[0, n) or, when absent, the empty slot where it
 * would go (NULL when its probe run is full). *hit says which. */
static memo_slot *memo_find(memo_slot *slot, const char *p, size_t n, bool *hit)
{
    uint32_t h = hash(p, n);
    *hit = false;
    for (size_t k = 0, i = h & (MEMO_SLOTS - 1); k < MEMO_PROBES;
         k++, i = (i + 1) & (MEMO_SLOTS - 1)) {
        memo_slot *m = &slot[i];
        if (m->len == 0) {
            m->h = h;
            return m;
        }
        if (m->h == h && m->len == n && memcmp(m->key, p, n) == 0) {
            *hit = true;
            return m;
        }
    }
    return NULL;
}

/* Languages whose stemmer never changes the first letter of a word of ASCII
 * letters: the stem is empty (the analyser then keeps the word) or starts
 * with the word's first byte. Checked against each Snowball algorithm
 * (english: only the exception list and suffix steps in R1/R2 touch a word,
 * and the exceptions keep their first letter; porter: suffix steps only,
 * "s" -> "" gives an empty stem), and by test_snippet_equiv over every
 * ASCII word of the corpora. Indonesian and Irish strip prefixes, Serbian
 * maps "dj" to "đ", Turkish rewrites short words: those take the full path,
 * as does any language not listed. */
static bool keeps_first_letter(const mg_analyzer *an)
{
    static const char *const langs[] = {"english", "en", "eng", "porter", "none"};
    const char *l = mg_analyzer_lang(an);
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++)
        if (strcmp(l, langs[i]) == 0)
            return true;
    return false;
}

/* The matches of text, in order, into sp; 0, or -1 with err set.
 *
 * Analysing the whole text costs ~900 instructions a word, and few words
 * match. So the text is cut at ASCII white space (the analyser's tokens
 * never hold or reach across it, so a piece analysed alone gives the tokens
 * the whole text would: see analyzer.c) and a piece of ASCII bytes is only
 * analysed when a token could start in it with a byte some entry starts
 * with. In ASCII, a token starts at a letter or digit that no letter or
 * digit precedes; its folded word starts with that byte lower-cased; its
 * term is the word (digits, no stemmer) or a stem sharing its first byte
 * (keeps_first_letter). A piece with a byte >= 0x80 is always analysed
 * (folding may map it to anything). full: analyse everything, the
 * reference the pre-pass is tested against. */
static int find_matches(mg_analyzer *an, const mg_hlset *hl, const char *text, size_t len,
                        bool full, spans *sp, mg_err *err)
{
    bool stopped;
    if (full || !keeps_first_letter(an)) {
        stopped = analyse(an, text, 0, len, sp, err) != 0;
    } else {
        const unsigned char *s = (const unsigned char *)text;
        const unsigned char *cls = hl->cls;
        memo_slot *memo = memo_for(hl->memo, an);
        size_t i = 0, rb = 0; /* rb: the end of the last piece */
        stopped = false;
        while (i < len) {
            unsigned char k = cls[s[i]];
            if (k < B_HIT || (k == B_HIT && i > 0 && (cls[s[i - 1]] | 1) == B_HIT)) {
                i++; /* no token that could match starts here */
                continue;
            }
            /* the piece around i, between white space (pieces end at white
             * space or the end, so the one before ends at or before a) */
            size_t a = i, e = i + 1;
            while (a > rb && cls[s[a - 1]] != B_WS)
                a--;
            while (e < len && cls[s[e]] != B_WS)
                e++;
            rb = i = e;
            memo_slot *m = NULL;
            bool known = false;
            if (memo && e - a <= MEMO_KEY)
                m = memo_find(memo, text + a, e - a, &known);
            if (known) { /* analysed before */
                if (m->matched && (stopped = push(sp, a + m->start, a + m->end, m->idx) != 0))
                    break;
                continue;
            }
            size_t before = sp->n;
            if ((stopped = analyse(an, text, a, e, sp, err) != 0))
                break;
            if (m && sp->n - before <= 1) {
                m->len = (unsigned char)(e - a);
                memcpy(m->key, text + a, e - a);
                m->matched = sp->n > before;
                if (m->matched) {
                    const span *v = &sp->v[before];
                    m->start = (unsigned char)(v->start - a);
                    m->end = (unsigned char)(v->end - a);
                    m->idx = (uint32_t)v->idx;
                }
            }
        }
    }
    if (sp->oom) {
        mg_err_set(err, MG_ENOMEM, "out of memory making a snippet");
        return -1;
    }
    if (stopped && !sp->full && err && err->code != MG_OK)
        return -1;
    return 0;
}

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Back off to the start of a UTF-8 character. */
static size_t char_start(const char *t, size_t i)
{
    for (int k = 0; k < 3 && i > 0 && ((unsigned char)t[i] & 0xC0) == 0x80; k++)
        i--;
    return i;
}

/* The window [*ws, *we) around the best run of matches. */
static void choose_window(const char *t, size_t len, const spans *sp, size_t nentries, size_t bytes,
                          size_t *ws, size_t *we)
{
    size_t a = 0, b = 0;
    if (sp->n > 0) {
        unsigned *count = calloc(nentries ? nentries : 1, sizeof *count);
        size_t best_i = 0, best_j = 0, distinct = 0, i = 0;
        long best = -1;
        for (size_t j = 0; j < sp->n; j++) {
            if (count && count[sp->v[j].idx]++ == 0)
                distinct++;
            while (i < j && sp->v[j].end - sp->v[i].start > bytes) {
                if (count && --count[sp->v[i].idx] == 0)
                    distinct--;
                i++;
            }
            long score = (long)distinct * 1000 + (long)(j - i + 1);
            if (score > best) {
                best = score;
                best_i = i;
                best_j = j;
            }
        }
        free(count);
        a = sp->v[best_i].start;
        b = sp->v[best_j].end;
    }
    size_t room = bytes > b - a ? bytes - (b - a) : 0;
    size_t s = a > room / 3 ? a - room / 3 : 0;
    if (s > 0) {
        size_t k = s;
        while (k < a && !is_ws((unsigned char)t[k - 1]))
            k++;
        s = k;
    }
    size_t e = s + bytes;
    if (e < b)
        e = b;
    if (e >= len)
        e = len;
    else {
        size_t k = e;
        while (k > b && !is_ws((unsigned char)t[k]))
            k--;
        if (k > b || is_ws((unsigned char)t[k]))
            e = k;
        else if (sp->n == 0)
            e = char_start(t, e);
        else
            e = b;
    }
    *ws = s;
    *we = e;
}

typedef struct out {
    char *s;
    size_t len, cap;
    bool oom;
} out;

/* Room for n more bytes and the NUL; false when out of memory. */
static bool reserve(out *o, size_t n)
{
    if (o->oom)
        return false;
    if (!mg_grow(&o->s, &o->cap, o->len + n + 1, 256, SIZE_MAX)) {
        o->oom = true;
        return false;
    }
    return true;
}

static void put(out *o, const char *s, size_t n)
{
    if (n == 0 || !reserve(o, n))
        return;
    memcpy(o->s + o->len, s, n);
    o->len += n;
    o->s[o->len] = '\0';
}

/* What put_text writes for an ASCII byte: NULL for the byte itself. */
static const char *ascii_out(unsigned char c, bool html)
{
    if (html)
        switch (c) {
        case '&':
            return "&amp;";
        case '<':
            return "&lt;";
        case '>':
            return "&gt;";
        case '"':
            return "&quot;";
        case '\'':
            return "&#39;";
        }
    return c < 0x20 || c == 0x7f ? " " : NULL;
}

/* Copy text: white space runs as one space, invalid bytes as U+FFFD, and the
 * HTML specials escaped when asked. *space carries a pending space across
 * calls. Writes straight into the buffer: a byte becomes at most 6. */
static void put_text(out *o, const char *t, size_t n, bool html, bool *space)
{
    if (n == 0)
        return;
    if (n > SIZE_MAX / 8)
        o->oom = true;
    if (!reserve(o, 6 * n + 1))
        return;
    char *w = o->s + o->len;
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)t[i];
        if (is_ws(c)) {
            *space = true;
            i++;
            continue;
        }
        if (*space) {
            if (w > o->s)
                *w++ = ' ';
            *space = false;
        }
        if (c < 0x80) {
            const char *esc = ascii_out(c, html);
            if (!esc)
                *w++ = (char)c;
            else {
                size_t k = strlen(esc);
                memcpy(w, esc, k);
                w += k;
            }
            i++;
            continue;
        }
        size_t adv;
        const unsigned char *u = (const unsigned char *)t + i;
        uint32_t cp = mg_utf8_decode(u, n - i, &adv);
        w += mg_utf8_put(w, u, cp, adv);
        i += adv;
    }
    o->len = (size_t)(w - o->s);
    o->s[o->len] = '\0';
}

/* Punctuation that joins two highlighted tokens into one highlight. */
static bool joins(const char *t, size_t n)
{
    if (n == 0)
        return true;
    if (n == 1)
        return t[0] == '-' || t[0] == '\'' || t[0] == '.';
    return (n == 3 && memcmp(t, "\xE2\x80\x99", 3) == 0) || /* ’ */
           (n == 3 && memcmp(t, "\xE2\x80\x90", 3) == 0) || /* ‐ */
           (n == 3 && memcmp(t, "\xE2\x80\x91", 3) == 0);   /* non-breaking hyphen */
}

static char *make(mg_analyzer *an, const mg_hlset *hl, const char *text, size_t len,
                  const mg_snippet_opts *opts, bool full, mg_err *err)
{
    mg_snippet_opts o = {0};
    if (opts)
        o = *opts;
    if (!o.bytes)
        o.bytes = 200;
    const char *hs = o.hl_start ? o.hl_start : "", *he = o.hl_end ? o.hl_end : "";
    if (!text)
        len = 0;
    mg_err_clear(err);

    spans sp = {.hl = hl};
    if (hl && hl->n > 0 && len > 0 && find_matches(an, hl, text, len, full, &sp, err) < 0) {
        free(sp.v);
        return NULL;
    }
    size_t ws = 0, we = 0;
    if (len > 0)
        choose_window(text, len, &sp, hl ? hl->n : 0, o.bytes, &ws, &we);

    /* The matches inside the window, from the first pass. */
    size_t first = 0;
    while (first < sp.n && sp.v[first].start < ws)
        first++;
    size_t last = first;
    while (last < sp.n && sp.v[last].end <= we)
        last++;

    out res = {0};
    bool space = false;
    size_t k = ws;
    while (k < we && is_ws((unsigned char)text[k]))
        k++;
    if (k > 0 && k < len)
        put(&res, "\xE2\x80\xA6", 3); /* … */
    for (size_t m = first; m < last;) {
        /* a run of matches joined by punctuation is one highlight */
        size_t r = m;
        while (r + 1 < last && sp.v[r + 1].start >= sp.v[r].end &&
               joins(text + sp.v[r].end, sp.v[r + 1].start - sp.v[r].end))
            r++;
        size_t s = sp.v[m].start, e = sp.v[r].end;
        if (s > k)
            put_text(&res, text + k, s - k, o.html, &space);
        if (space && res.len > 0)
            put(&res, " ", 1);
        space = false;
        put(&res, hs, strlen(hs));
        put_text(&res, text + s, e - s, o.html, &space);
        put(&res, he, strlen(he));
        k = e;
        m = r + 1;
    }
    if (we > k)
        put_text(&res, text + k, we - k, o.html, &space);
    size_t rest = we;
    while (rest < len && is_ws((unsigned char)text[rest]))
        rest++;
    if (rest < len)
        put(&res, "\xE2\x80\xA6", 3);
    free(sp.v);
    if (!res.s && !res.oom) {
        res.s = calloc(1, 1);
        res.oom = !res.s;
    }
    if (res.oom) {
        free(res.s);
        mg_err_set(err, MG_ENOMEM, "out of memory making a snippet");
        return NULL;
    }
    return res.s;
}

char *mg_snippet_make(mg_analyzer *an, const mg_hlset *hl, const char *text, size_t len,
                      const mg_snippet_opts *opts, mg_err *err)
{
    return make(an, hl, text, len, opts, false, err);
}

char *mg_snippet_make_full(mg_analyzer *an, const mg_hlset *hl, const char *text, size_t len,
                           const mg_snippet_opts *opts, mg_err *err)
{
    return make(an, hl, text, len, opts, true, err);
}
