/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Snippets made with the pre-pass (mg_snippet_make) are byte for byte the
 * ones made by analysing the whole text (mg_snippet_make_full), over real
 * articles of Reuters-21578 and AG News, generated queries (words, phrases,
 * prefixes, hyphens, accents, apostrophes, case) and texts altered with
 * accents, typographic apostrophes, soft hyphens and invalid bytes; and the
 * stemmer property the pre-pass rests on holds for every ASCII word. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer.h"
#include "snippet.h"
#include "snippet_fixture.h"

typedef struct corpus {
    char **body;
    size_t n, cap;
} corpus;

static corpus reuters, agnews;

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static void load(corpus *c, const char *name)
{
    const char *dir = getenv("MORGUE_CORPORA");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s.jsonl", dir && *dir ? dir : "../shared/corpora", name,
             name);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *o = json_loads(line, 0, NULL);
        const char *b = o ? json_string_value(json_object_get(o, "body")) : NULL;
        if (b && *b) {
            if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 1024;
                c->body = realloc(c->body, c->cap * sizeof *c->body);
                assert_non_null(c->body);
            }
            c->body[c->n] = strdup(b);
            assert_non_null(c->body[c->n]);
            c->n++;
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    load(&reuters, "reuters21578");
    load(&agnews, "ag_news");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    corpus *cs[] = {&reuters, &agnews};
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < cs[k]->n; i++)
            free(cs[k]->body[i]);
        free(cs[k]->body);
    }
    return 0;
}

/* A growing string. */
typedef struct str {
    char *s;
    size_t n, cap;
} str;

static void add(str *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        assert_non_null(b->s);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void adds(str *b, const char *s)
{
    add(b, s, strlen(s));
}

/* The i-th white-space separated word of text (any word when i is past the
 * end); *n gets its length. */
static const char *word_at(const char *text, size_t i, size_t *n)
{
    size_t count = 0;
    for (const char *p = text; *p;) {
        while (*p == ' ' || *p == '\n' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *q = p;
        while (*q && *q != ' ' && *q != '\n' && *q != '\t')
            q++;
        if (count++ == i) {
            *n = (size_t)(q - p);
            return p;
        }
        p = q;
    }
    if (count == 0) {
        *n = 4;
        return "none";
    }
    return word_at(text, i % count, n);
}

/* Accented, case-changed or apostrophe forms of an ASCII word. */
static void alter_word(str *b, const char *w, size_t n)
{
    static const char *const acc[] = {"\xC3\xA9", "\xC3\xA0",  "\xC3\xBC", "\xC3\xB6",
                                      "\xC3\x89", "e\xCC\x81", "\xC2\xAD"};
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        uint32_t r = rnd(12);
        if (r == 0 && (c == 'e' || c == 'a' || c == 'u' || c == 'o' || c == 'E'))
            adds(b, acc[c == 'e' ? 0 : c == 'a' ? 1 : c == 'u' ? 2 : c == 'o' ? 3 : 4]);
        else if (r == 1 && c == 'e')
            adds(b, acc[5]); /* e + combining acute */
        else if (r == 2 && i > 0 && i + 1 < n)
            adds(b, acc[6]); /* soft hyphen inside a word */
        else if (r == 3 && c == '\'')
            adds(b, "\xE2\x80\x99");
        else if (r == 4 && c >= 'a' && c <= 'z')
            add(b, (char[]){(char)(c - 32)}, 1);
        else
            add(b, &c, 1);
    }
}

/* A query made from words of text: 1-3 words, a phrase, a prefix, a hyphen
 * pair, an accented or possessive form, a very common word. */
static void make_query(str *q, const char *text)
{
    size_t nw = 1 + rnd(3), start = rnd(400), n;
    for (size_t k = 0; k < nw; k++) {
        const char *w = word_at(text, k == 0 || rnd(2) ? start + k : rnd(400), &n);
        if (q->n)
            adds(q, " ");
        switch (rnd(9)) {
        case 0: { /* prefix */
            size_t len = n < 3 ? n : 3 + rnd((uint32_t)(n - 2));
            add(q, w, len > n ? n : len);
            adds(q, "*");
            break;
        }
        case 1: { /* hyphen pair */
            size_t m;
            const char *w2 = word_at(text, start + k + 1, &m);
            add(q, w, n);
            adds(q, "-");
            add(q, w2, m);
            break;
        }
        case 2:
            alter_word(q, w, n);
            break;
        case 3:
            add(q, w, n);
            adds(q, rnd(2) ? "'s" : "\xE2\x80\x99s");
            break;
        case 4: {
            static const char *const common[] = {"the", "said", "a",   "of",
                                                 "in",  "to",   "and", "U.S."};
            adds(q, common[rnd(8)]);
            break;
        }
        default:
            add(q, w, n);
        }
    }
}

static mg_analyzer *an;

static unsigned compared, highlighted, nonascii;

static void same(const mg_hlset *hl, const char *q, const char *text, size_t len)
{
    mg_snippet_opts o = {
        .bytes = rnd(4) ? 200 : 20 + rnd(400), .hl_start = "[[", .hl_end = "]]", .html = rnd(2)};
    mg_err e1, e2;
    char *fast = mg_snippet_make(an, hl, text, len, &o, &e1);
    char *full = mg_snippet_make_full(an, hl, text, len, &o, &e2);
    assert_non_null(fast);
    assert_non_null(full);
    if (strcmp(fast, full) != 0)
        print_error("lang %s query [%s] bytes %zu html %d\n  full %s\n  fast %s\n  text %.*s\n",
                    mg_analyzer_lang(an), q, o.bytes, o.html, full, fast, (int)len, text);
    assert_string_equal(fast, full);
    compared++;
    highlighted += strstr(full, "[[") != NULL;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] >= 0x80) {
            nonascii++;
            break;
        }
    free(fast);
    free(full);
}

/* nq queries over c: each against its own article, an altered copy of it,
 * and a few other articles. */
static void run(const corpus *c, const char *lang, unsigned nq)
{
    mg_err err;
    an = mg_analyzer_new(lang, &err);
    assert_non_null(an);
    for (unsigned i = 0; i < nq; i++) {
        const char *text = c->body[rnd((uint32_t)c->n)];
        str q = {0}, alt = {0};
        make_query(&q, text);
        mg_hlset *hl = fx_hlset(an, q.s);
        same(hl, q.s, text, strlen(text));
        /* the article with accents, apostrophes, soft hyphens, and a few
         * invalid bytes and query words dropped in */
        alter_word(&alt, text, strlen(text));
        size_t at = rnd((uint32_t)alt.n + 1);
        str alt2 = {0};
        add(&alt2, alt.s, at);
        adds(&alt2, rnd(2) ? " \xFF" : " caf\xC3");
        alter_word(&alt2, q.s, q.n);
        add(&alt2, alt.s + at, alt.n - at);
        same(hl, q.s, alt.s, alt.n);
        same(hl, q.s, alt2.s, alt2.n);
        for (int k = 0; k < 3; k++) {
            const char *other = c->body[rnd((uint32_t)c->n)];
            same(hl, q.s, other, strlen(other));
        }
        mg_hlset_free(hl);
        free(q.s);
        free(alt.s);
        free(alt2.s);
    }
    mg_analyzer_free(an);
    an = NULL;
}

static void test_reuters(void **state)
{
    (void)state;
    if (reuters.n == 0)
        skip();
    compared = highlighted = nonascii = 0;
    run(&reuters, "english", 400);
    run(&reuters, "en", 40);
    run(&reuters, "porter", 100);
    run(&reuters, "none", 100);
    run(&reuters, "french", 30); /* not on the fast path: the same by construction */
    /* the comparison is not vacuous: most snippets highlight something, and
     * non-ASCII texts (the analysed-in-full pieces) are many */
    assert_true(compared == 670 * 6);
    assert_true(highlighted > compared / 2);
    assert_true(nonascii > compared / 4);
}

static void test_agnews(void **state)
{
    (void)state;
    if (agnews.n == 0)
        skip();
    compared = highlighted = 0;
    run(&agnews, "english", 300);
    assert_true(highlighted > compared / 2);
}

/* Hand-made corners: tokens that start mid-piece, acronyms, numbers,
 * possessives, pieces at the very ends of the text, digits in terms. */
static void test_corners(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "purposes.It said Kim,who met U.S. officials; the U.S.'s role",
        "Kim\xE2\x80\x99s rock'n'roll 'quoted' students' O\xE2\x80\x99Neill",
        "3.5 1,000 80th 2011 1,5 1,0000 x86-64 a1b2",
        "S&P <b>Smith</b> AT&T a/b c_d john@example.com www.reuters.com",
        "Jong-un Jong\xE2\x80\x93un e.g. i.e. J.R.R. Tolkien J.Smith U.S.Army",
        "MULLER M\xC3\xBCller Mu\xCC\x88ller infor\xC2\xADmation "
        "\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3",
        "dying lying tying skies news gently only early atlas",
        "s is as gas yes",
        "berada berated dj djakarta binti", /* prefixes in indonesian, serbian dj */
        "\xFF\xFE word \xC3 \xE2\x80",
        "parade",
        "   parade   ",
        "",
    };
    static const char *const queries[] = {
        "purposes it", "kim who", "us",   "role", "kim's",  "rock'n'roll", "quoted", "student",
        "o'neill",     "3.5",     "1000", "80th", "2011",   "1",           "5",      "0000",
        "x86",         "64",      "a1b2", "s p",  "smith",  "at t",        "john",   "reuters",
        "jong-un",     "eg",      "ie",   "jrr",  "j",      "army",        "muller", "information",
        "abc",         "die",     "lie",  "tie",  "sky",    "news",        "gentl",  "onli",
        "earli",       "atlas",   "s",    "is",   "ga",     "yes",         "word",   "parades",
        "par*",        "in*",     "jon*", "1*",   "mu*",    "ü*",          "é",      "the",
        "a",           "i",       "ada",  "ated", "đakart", "p",
    };
    const char *langs[] = {"english", "porter", "none", "indonesian", "serbian", "turkish"};
    for (size_t l = 0; l < sizeof langs / sizeof langs[0]; l++) {
        mg_err err;
        an = mg_analyzer_new(langs[l], &err);
        assert_non_null(an);
        for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++)
            for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
                mg_hlset *hl = fx_hlset(an, queries[q]);
                same(hl, queries[q], texts[t], strlen(texts[t]));
                /* the same text inside others: pieces in the middle */
                str b = {0};
                adds(&b, "lead words\n");
                adds(&b, texts[t]);
                adds(&b, " trailing words");
                same(hl, queries[q], b.s, b.n);
                free(b.s);
                mg_hlset_free(hl);
            }
        mg_analyzer_free(an);
        an = NULL;
    }
}

/* Past MAX_MATCHES matches both stop at the same one: a rarer word after
 * it (which would make a better window) is not seen by either. */
static void test_many_matches(void **state)
{
    (void)state;
    mg_err err;
    an = mg_analyzer_new("english", &err);
    assert_non_null(an);
    str b = {0};
    while (b.n < (1u << 20))
        adds(&b, "market prices rose again ");
    adds(&b, "then prices of zebra markets fell");
    const char *q = "prices market zebra";
    mg_hlset *hl = fx_hlset(an, q);
    same(hl, q, b.s, b.n);
    same(hl, q, b.s, b.n);
    mg_snippet_opts o = {.bytes = 200, .hl_start = "[", .hl_end = "]"};
    char *s = mg_snippet_make(an, hl, b.s, b.n, &o, &err);
    assert_non_null(s);
    assert_null(strstr(s, "zebra"));
    free(s);
    mg_hlset_free(hl);
    free(b.s);
    mg_analyzer_free(an);
    an = NULL;
}

typedef struct first_check {
    const char *text;
    unsigned checked;
} first_check;

/* The property of the stemmers the pre-pass relies on: a token made of
 * ASCII bytes has a term starting with its first byte, lower-cased. */
static int first_byte(void *ctx, const mg_token *tok)
{
    first_check *fc = ctx;
    for (size_t i = tok->start; i < tok->end; i++)
        if ((unsigned char)fc->text[i] >= 0x80)
            return 0;
    char c = fc->text[tok->start];
    if (c >= 'A' && c <= 'Z')
        c = (char)(c + 32);
    if (tok->term[0] != c)
        print_error("%s: %.*s -> %s\n", mg_analyzer_lang(an), (int)(tok->end - tok->start),
                    fc->text + tok->start, tok->term);
    assert_int_equal(tok->term[0], c);
    fc->checked++;
    return 0;
}

static void test_stems_keep_first_byte(void **state)
{
    (void)state;
    if (reuters.n == 0)
        skip();
    const char *langs[] = {"english", "porter", "none"};
    for (size_t l = 0; l < 3; l++) {
        mg_err err;
        an = mg_analyzer_new(langs[l], &err);
        assert_non_null(an);
        first_check fc = {0};
        for (size_t i = 0; i < reuters.n; i += 4) {
            fc.text = reuters.body[i];
            assert_true(mg_analyze(an, fc.text, strlen(fc.text), 0, 0, first_byte, &fc, &err) >= 0);
        }
        assert_true(fc.checked > 100000);
        mg_analyzer_free(an);
        an = NULL;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corners),
        cmocka_unit_test(test_reuters),
        cmocka_unit_test(test_agnews),
        cmocka_unit_test(test_many_matches),
        cmocka_unit_test(test_stems_keep_first_byte),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
