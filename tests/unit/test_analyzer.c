/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the analyser: one test per word rule, plus robustness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "utf8.h"

#define MAX_TOKS 256

typedef struct tok {
    char term[MG_TERM_MAX + 1];
    char word[MG_TERM_MAX + 1];
    unsigned pos;
    size_t start, end;
} tok;

typedef struct toks {
    tok t[MAX_TOKS];
    size_t n;     /* tokens stored */
    size_t calls; /* callback calls */
    size_t stop_after;
    int stop_value;
    const char *text;
    size_t len;
} toks;

/* Records every token and checks the invariants every token must hold. */
static int collect(void *ctx, const mg_token *tk)
{
    toks *ts = ctx;
    assert_true(tk->term_len > 0 && tk->term_len <= MG_TERM_MAX);
    assert_true(tk->word_len > 0 && tk->word_len <= MG_TERM_MAX);
    assert_int_equal(strlen(tk->term), tk->term_len);
    assert_int_equal(strlen(tk->word), tk->word_len);
    assert_true(mg_utf8_valid(tk->term, tk->term_len));
    assert_true(mg_utf8_valid(tk->word, tk->word_len));
    assert_true(tk->start < tk->end && tk->end <= ts->len);
    if (ts->n < MAX_TOKS) {
        tok *t = &ts->t[ts->n++];
        memcpy(t->term, tk->term, tk->term_len + 1);
        memcpy(t->word, tk->word, tk->word_len + 1);
        t->pos = tk->pos;
        t->start = tk->start;
        t->end = tk->end;
    }
    ts->calls++;
    if (ts->stop_after && ts->calls == ts->stop_after)
        return ts->stop_value;
    return 0;
}

static mg_analyzer *new_an(const char *lang)
{
    mg_err err;
    mg_analyzer *an = mg_analyzer_new(lang, &err);
    if (!an)
        fail_msg("mg_analyzer_new(%s): %s", lang, err.msg);
    return an;
}

static toks *run_flags(mg_analyzer *an, const char *text, size_t len, int flags)
{
    static toks ts;
    mg_err err;
    memset(&ts, 0, sizeof ts);
    ts.text = text;
    ts.len = len;
    long r = mg_analyze(an, text, len, 0, flags, collect, &ts, &err);
    assert_true(r >= 0);
    assert_int_equal((size_t)r, ts.calls);
    for (size_t i = 0; i < ts.n; i++)
        assert_int_equal(ts.t[i].pos, i); /* positions are consecutive */
    return &ts;
}

static toks *run(mg_analyzer *an, const char *text)
{
    return run_flags(an, text, strlen(text), 0);
}

/* Analyses text and compares the space-separated list of terms. */
static void expect_terms(mg_analyzer *an, const char *text, const char *want)
{
    toks *ts = run(an, text);
    char got[4096] = "";
    for (size_t i = 0; i < ts->n; i++) {
        if (i)
            strcat(got, " ");
        strcat(got, ts->t[i].term);
    }
    if (strcmp(got, want) != 0)
        fail_msg("analyse \"%s\": got \"%s\", want \"%s\"", text, got, want);
}

/* The byte range of token i in text equals want. */
static void expect_span(const toks *ts, size_t i, const char *want)
{
    assert_true(i < ts->n);
    size_t n = ts->t[i].end - ts->t[i].start;
    if (n != strlen(want) || memcmp(ts->text + ts->t[i].start, want, n) != 0)
        fail_msg("token %zu covers \"%.*s\", want \"%s\"", i, (int)n, ts->text + ts->t[i].start,
                 want);
}

static int setup(void **state)
{
    *state = new_an("english");
    return 0;
}

static int teardown(void **state)
{
    mg_analyzer_free(*state);
    return 0;
}

static void test_comma_and_period_split(void **state)
{
    mg_analyzer *an = *state;
    expect_terms(an, "Kim,who", "kim who");
    expect_terms(an, "purposes.It", "purpos it");
    expect_terms(an, "train,a", "train a");
    expect_terms(an, "2011,will", "2011 will");
    expect_terms(an, "grandfather,Kim Il-sung,followed", "grandfath kim il sung follow");
}

static void test_apostrophe_possessive(void **state)
{
    mg_analyzer *an = *state;
    const char *forms[] = {"Kim’s", "Kim's", "Kimʼs", "Kim＇s", "KIM'S"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        toks *ts = run(an, forms[i]);
        assert_int_equal(ts->n, 1);
        assert_string_equal(ts->t[0].term, "kim");
        assert_string_equal(ts->t[0].word, "kim");
        expect_span(ts, 0, forms[i]); /* the highlight covers the 's */
    }
    /* The same in other languages, and without a stemmer. */
    const char *langs[] = {"french", "german", "dutch", "none"};
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) {
        mg_analyzer *other = new_an(langs[i]);
        toks *ts = run(other, "Kim’s");
        assert_int_equal(ts->n, 1);
        assert_string_equal(ts->t[0].term, "kim");
        ts = run(other, "Kim's");
        assert_string_equal(ts->t[0].term, "kim");
        mg_analyzer_free(other);
    }
}

static void test_apostrophe_inside_and_edges(void **state)
{
    mg_analyzer *an = *state;
    toks *ts = run(an, "O’Neill rock'n'roll 'quoted' students' ’tis");
    assert_int_equal(ts->n, 5);
    assert_string_equal(ts->t[0].word, "o'neill");
    assert_string_equal(ts->t[1].word, "rock'n'roll");
    assert_string_equal(ts->t[2].word, "quoted");
    expect_span(ts, 2, "quoted");
    assert_string_equal(ts->t[3].word, "students");
    expect_span(ts, 3, "students");
    assert_string_equal(ts->t[4].word, "tis");
    /* A curly and a straight apostrophe give the same term. */
    mg_analyzer *none = new_an("none");
    ts = run(none, "O’Neill O'Neill");
    assert_string_equal(ts->t[0].term, "o'neill");
    assert_string_equal(ts->t[1].term, "o'neill");
    mg_analyzer_free(none);
}

static void test_hyphens_split_adjacent(void **state)
{
    mg_analyzer *an = *state;
    const char *forms[] = {"Jong-un", "Jong‐un", "Jong‑un", "Jong‒un", "Jong–un",
                           "Jong—un", "Jong―un", "Jong un", "Jong−un"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        toks *ts = run(an, forms[i]);
        assert_int_equal(ts->n, 2);
        assert_string_equal(ts->t[0].term, "jong");
        assert_string_equal(ts->t[1].term, "un");
        assert_int_equal(ts->t[1].pos, ts->t[0].pos + 1);
        expect_span(ts, 0, "Jong");
    }
    expect_terms(an, "North Korea-China-Russia", "north korea china russia");
}

static void test_dotted_acronyms(void **state)
{
    mg_analyzer *an = *state;
    toks *ts = run(an, "the U.S. and US and U.S");
    assert_int_equal(ts->n, 6);
    assert_string_equal(ts->t[1].term, "us");
    expect_span(ts, 1, "U.S");
    assert_string_equal(ts->t[3].term, "us");
    assert_string_equal(ts->t[5].term, "us");
    expect_terms(an, "U.K. e.g. i.e. U.S.A.", "uk eg ie usa");
    /* A single initial before a word is not an acronym. */
    expect_terms(an, "J.Smith", "j smith");
    expect_terms(an, "U.S.-based", "us base");
    expect_terms(an, "U.S.Army", "us armi");
    expect_terms(an, "Mr. Kim.", "mr kim");
    ts = run(an, "the U.S.'s role, the U.S.’s");
    assert_int_equal(ts->n, 5);
    assert_string_equal(ts->t[1].term, "us");
    expect_span(ts, 1, "U.S.'s");
    assert_string_equal(ts->t[2].term, "role");
    expect_span(ts, 4, "U.S.’s");
}

static void test_numbers_stay_whole(void **state)
{
    mg_analyzer *an = *state;
    expect_terms(an, "3.5", "3.5");
    expect_terms(an, "1,000 1000", "1000 1000");
    expect_terms(an, "1,5", "1 5");
    expect_terms(an, "1,0000", "1 0000");
    expect_terms(an, "1,000,000.50 dlrs", "1000000.50 dlrs");
    expect_terms(an, "155,221 bags", "155221 bag");
    expect_terms(an, "80th 2011", "80th 2011");
    expect_terms(an, "in 2011.", "in 2011");
    expect_terms(an, "version 1.2.3", "version 1.2.3");
    expect_terms(an, "5.93 mln", "5.93 mln");
    toks *ts = run(an, "pay 1,000.");
    expect_span(ts, 1, "1,000");
}

static void test_digit_words_not_stemmed(void **state)
{
    mg_analyzer *an = *state;
    expect_terms(an, "1990s 80th b52s", "1990s 80th b52s");
    expect_terms(an, "decades", "decad"); /* the same suffix, stemmed */
    /* a digit that only folding makes (superscript two is a letter-like
     * number, NFKC turns it into "2") counts too */
    expect_terms(an,
                 "\xc2\xb2"
                 "cars cars",
                 "2cars car");
}

static void test_fold_accents_and_case(void **state)
{
    mg_analyzer *an = new_an("none");
    (void)state;
    expect_terms(an, "Müller Jürgen", "muller jurgen");
    expect_terms(an, "Mu\xcc\x88ller", "muller"); /* decomposed input */
    expect_terms(an, "Crème Brûlée", "creme brulee");
    expect_terms(an, "straße ﬁne", "strasse fine");
    expect_terms(an, "İstanbul", "istanbul");
    expect_terms(an, "ΑΘΉΝΑ Москва", "αθηνα москва");
    /* Marks that carry meaning in their script stay. */
    toks *ts = run(an, "हिन्दी");
    assert_int_equal(ts->n, 1);
    assert_string_equal(ts->t[0].term, "हिन्दी");
    mg_analyzer_free(an);
}

static void test_fullwidth_latin(void **state)
{
    mg_analyzer *an = *state;
    toks *ts = run(an, "ＡＢＣ １２３ Ｕ．Ｓ． １，０００");
    assert_int_equal(ts->n, 4);
    assert_string_equal(ts->t[0].term, "abc");
    expect_span(ts, 0, "ＡＢＣ");
    assert_string_equal(ts->t[1].term, "123");
    assert_string_equal(ts->t[2].term, "us");
    assert_string_equal(ts->t[3].term, "1000");
}

static void test_cjk_unigrams(void **state)
{
    mg_analyzer *an = *state;
    toks *ts = run(an, "東京タワーに行きます");
    const char *want[] = {"東", "京", "タ", "ワ", "ー", "に", "行", "き", "ま", "す"};
    assert_int_equal(ts->n, 10);
    for (size_t i = 0; i < 10; i++) {
        assert_string_equal(ts->t[i].term, want[i]);
        assert_int_equal(ts->t[i].end - ts->t[i].start, 3);
    }
    expect_terms(an, "서울특별시", "서 울 특 별 시");
    expect_terms(an, "abc東京def", "abc 東 京 def");
    /* Half-width katakana with a voicing mark folds to one character. */
    expect_terms(an, "ｶﾞｽ", "ガ ス");
    /* A phrase of them gives the same terms wherever it appears. */
    toks *a = run(an, "中华人民共和国");
    assert_int_equal(a->n, 7);
    assert_string_equal(a->t[3].term, "民");
}

static void test_ampersand_and_brackets(void **state)
{
    mg_analyzer *an = *state;
    toks *ts = run(an, "S&P <SRD> AT&T");
    assert_int_equal(ts->n, 5);
    assert_string_equal(ts->t[0].term, "s");
    assert_string_equal(ts->t[1].term, "p");
    assert_int_equal(ts->t[1].pos, ts->t[0].pos + 1);
    assert_string_equal(ts->t[2].term, "srd");
    expect_span(ts, 2, "SRD");
    assert_string_equal(ts->t[3].term, "at");
    assert_string_equal(ts->t[4].term, "t");
}

static void test_symbols_separate(void **state)
{
    mg_analyzer *an = *state;
    expect_terms(an, "a/b c_d e+f $5 50% #tag @user", "a b c d e f 5 50 tag user");
    /* Soft hyphen and zero-width joiner do not split a word. */
    expect_terms(an, "infor\xc2\xadmation", "inform");
}

static void test_seed_first_sentence(void **state)
{
    mg_analyzer *an = *state;
    const char *title = "Kim Jong-un to Attend Beijing Military Parade, "
                        "Signaling Closer Ties with China & Russia";
    expect_terms(an, title,
                 "kim jong un to attend beij militari parad signal "
                 "closer tie with china russia");
    const char *s1 = "North Korean leader Kim jong-un will make his debut on the multilateral "
                     "diplomatic stage this week by attending a military parade in Beijing "
                     "commemorating the 80th anniversary of the end of World War II.";
    expect_terms(an, s1,
                 "north korean leader kim jong un will make his debut on "
                 "the multilater diplomat stage this week by attend a "
                 "militari parad in beij commemor the 80th anniversari "
                 "of the end of world war ii");
    mg_err err;
    toks ts = {.text = s1, .len = strlen(s1)};
    long n = mg_analyze(an, s1, strlen(s1), 1000, 0, collect, &ts, &err);
    assert_int_equal(n, 49 - 14);
    assert_int_equal(ts.t[3].pos, 1003);  /* kim */
    assert_int_equal(ts.t[4].pos, 1004);  /* jong */
    assert_int_equal(ts.t[5].pos, 1005);  /* un */
    assert_int_equal(ts.t[26].pos, 1026); /* 80th */
    expect_span(&ts, 4, "jong");
    expect_span(&ts, 26, "80th");
    expect_span(&ts, 34, "II");
    assert_int_equal(ts.t[34].start, strlen(s1) - 3);
}

static void test_reuters_hard_wraps(void **state)
{
    mg_analyzer *an = *state;
    const char *body = "Showers continued throughout the week in\nthe Bahia cocoa "
                       "zone, alleviating the drought since early\nJanuary.\n"
                       "    Arrivals for the week ended February 22 were 155,221 "
                       "bags\nof 60 kilos making a cumulative total for the season "
                       "of 5.93\nmln against 5.81 at the same stage last year.\n"
                       "    +Bahia superior+ certificates, the U.S.\nofficials "
                       "said. Standard Oil Co &lt;SRD> said.\n";
    toks *ts = run(an, body);
    const char *want[] = {"shower", "continu", "throughout", "the",   "week",
                          "in",     "the",     "bahia",      "cocoa", "zone"};
    for (size_t i = 0; i < 10; i++)
        assert_string_equal(ts->t[i].term, want[i]);
    size_t k = 0;
    while (k < ts->n && strcmp(ts->t[k].term, "155221") != 0)
        k++;
    assert_true(k < ts->n);
    assert_string_equal(ts->t[k + 1].term, "bag");
    assert_string_equal(ts->t[k + 2].term, "of");
    while (k < ts->n && strcmp(ts->t[k].term, "5.93") != 0)
        k++;
    assert_true(k < ts->n);
    assert_string_equal(ts->t[k + 1].term, "mln");
    while (k < ts->n && strcmp(ts->t[k].term, "bahia") != 0)
        k++;
    assert_string_equal(ts->t[k + 1].term, "superior");
    while (k < ts->n && strcmp(ts->t[k].term, "us") != 0)
        k++;
    assert_true(k < ts->n);
    assert_string_equal(ts->t[k + 1].term, "offici");
    assert_string_equal(ts->t[ts->n - 2].term, "srd");
    assert_string_equal(ts->t[ts->n - 1].term, "said");
}

static void test_invalid_utf8_in_word(void **state)
{
    mg_analyzer *an = *state;
    const char text[] = "Kim\xffwho caf\xc3 na\xe2\x80ve \xc0\xafx e\xed\xa0\x80z";
    toks *ts = run_flags(an, text, sizeof text - 1, 0);
    const char *want[] = {"kim", "who", "caf", "na", "ve", "x", "e", "z"};
    assert_int_equal(ts->n, 8);
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(ts->t[i].term, want[i]);
    expect_span(ts, 1, "who");
    /* A truncated sequence at the very end reads nothing past the end. */
    char *tail = malloc(4);
    memcpy(tail, "ab\xe6\x9d", 4);
    ts = run_flags(an, tail, 4, 0);
    assert_int_equal(ts->n, 1);
    assert_string_equal(ts->t[0].term, "ab");
    free(tail);
}

static void test_random_bytes(void **state)
{
    mg_analyzer *an = *state;
    /* Fixed seed: reproducible. Bytes drawn to hit the interesting classes. */
    static const char alphabet[] = "aZ9.,'- \n\xc3\xa9\xe2\x80\x99\xef\xbc\xa1\xff\xf0\x9f";
    unsigned seed = 12345;
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(rand_r(&seed) % 64);
        char *buf = malloc(len ? len : 1); /* exact size: ASan sees overreads */
        for (size_t i = 0; i < len; i++) {
            if (rand_r(&seed) % 3)
                buf[i] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
            else
                buf[i] = (char)rand_r(&seed);
        }
        toks *ts = run_flags(an, buf, len, round & 1 ? MG_AN_NOSTEM : 0);
        for (size_t i = 1; i < ts->n; i++)
            assert_true(ts->t[i].start >= ts->t[i - 1].end);
        free(buf);
    }
}

static void test_empty_input(void **state)
{
    mg_analyzer *an = *state;
    mg_err err;
    assert_int_equal(mg_analyze(an, NULL, 0, 0, 0, collect, NULL, &err), 0);
    toks *ts = run(an, "");
    assert_int_equal(ts->n, 0);
    ts = run(an, " \t\n.,;'’ -- ... !!! ");
    assert_int_equal(ts->n, 0);
}

static void test_callback_stop(void **state)
{
    mg_analyzer *an = *state;
    const char *text = "one two three four";
    mg_err err;
    toks ts = {.text = text, .len = strlen(text), .stop_after = 2, .stop_value = 7};
    assert_int_equal(mg_analyze(an, text, strlen(text), 0, 0, collect, &ts, &err), 7);
    assert_int_equal(ts.calls, 2);
    toks ts2 = {.text = text, .len = strlen(text), .stop_after = 3, .stop_value = -5};
    assert_int_equal(mg_analyze(an, text, strlen(text), 0, 0, collect, &ts2, &err), -5);
    assert_int_equal(ts2.calls, 3);
    /* Without a callback the tokens are only counted. */
    assert_int_equal(mg_analyze(an, text, strlen(text), 0, 0, NULL, NULL, &err), 4);
}

static void test_stemming(void **state)
{
    mg_analyzer *an = *state;
    toks *ts = run(an, "parades Parade PARADE military");
    assert_string_equal(ts->t[0].term, "parad");
    assert_string_equal(ts->t[1].term, "parad");
    assert_string_equal(ts->t[2].term, "parad");
    assert_string_equal(ts->t[2].word, "parade");
    assert_string_equal(ts->t[3].term, "militari");
    ts = run_flags(an, "parades", 7, MG_AN_NOSTEM);
    assert_string_equal(ts->t[0].term, "parades");
    mg_analyzer *fr = new_an("french");
    expect_terms(fr, "parades nationales", "parad national");
    mg_analyzer_free(fr);
}

/* The stem cache must never change a stem: compare with libstemmer over a
 * vocabulary larger than the cache, twice. */
static void test_stem_cache_consistent(void **state)
{
    mg_analyzer *an = *state;
    struct sb_stemmer *sb = sb_stemmer_new("english", "UTF_8");
    static const char *sfx[] = {"", "s", "ing", "ed", "ation", "ness", "ly", "er"};
    char w[32], out[MG_TERM_MAX + 1];
    mg_err err;
    for (int pass = 0; pass < 2; pass++) {
        unsigned seed = 99;
        for (int i = 0; i < 20000; i++) {
            int n = 3 + (int)(rand_r(&seed) % 8);
            for (int k = 0; k < n; k++)
                w[k] = (char)('a' + rand_r(&seed) % 26);
            w[n] = '\0';
            strcat(w, sfx[rand_r(&seed) % 8]);
            long r = mg_analyze_word(an, w, strlen(w), 0, out, sizeof out, &err);
            const sb_symbol *st = sb_stemmer_stem(sb, (const sb_symbol *)w, (int)strlen(w));
            int sl = sb_stemmer_length(sb);
            assert_int_equal(r, sl);
            assert_memory_equal(out, st, (size_t)sl);
        }
    }
    sb_stemmer_delete(sb);
}

static void test_languages(void **state)
{
    (void)state;
    const char *const *l = mg_analyzer_languages();
    size_t n = 0;
    bool none = false, english = false;
    for (; *l; l++, n++) {
        mg_analyzer *an = new_an(*l);
        assert_string_equal(mg_analyzer_lang(an), *l);
        toks *ts = run(an, "Testing words");
        assert_int_equal(ts->n, 2);
        mg_analyzer_free(an);
        none |= strcmp(*l, "none") == 0;
        english |= strcmp(*l, "english") == 0;
    }
    assert_true(n > 10 && none && english);
    /* libstemmer's ISO codes and capitalised names are accepted too. */
    const char *aliases[] = {"en", "fr", "de", "English"};
    for (size_t i = 0; i < 4; i++)
        mg_analyzer_free(new_an(aliases[i]));
    mg_err err;
    mg_analyzer *an = mg_analyzer_new(NULL, &err);
    assert_non_null(an);
    assert_string_equal(mg_analyzer_lang(an), "english");
    mg_analyzer_free(an);
}

static void test_unknown_language(void **state)
{
    (void)state;
    mg_err err;
    const char *bad[] = {"klingon", "", "englishenglishenglishenglishenglish"};
    for (size_t i = 0; i < 3; i++) {
        assert_null(mg_analyzer_new(bad[i], &err));
        assert_int_equal(err.code, MG_EINVAL);
        /* Every valid name is in the message. */
        for (const char *const *l = mg_analyzer_languages(); *l; l++)
            if (!strstr(err.msg, *l))
                fail_msg("\"%s\" missing from: %s", *l, err.msg);
    }
    assert_null(mg_analyzer_new("klingon", NULL));
}

static void test_long_runs_linear(void **state)
{
    mg_analyzer *an = *state;
    const size_t n = 1 << 20; /* a quadratic scan would take minutes */
    char *buf = malloc(n);
    toks *ts;

    memset(buf, 'a', n); /* letters */
    ts = run_flags(an, buf, n, 0);
    assert_int_equal(ts->n, 1);
    assert_int_equal(strlen(ts->t[0].word), MG_TERM_MAX);
    assert_int_equal(ts->t[0].end, n);

    for (size_t i = 0; i + 1 < n; i += 2) /* two-byte letters: cut on a boundary */
        memcpy(buf + i, "\xc3\xa9", 2);
    ts = run_flags(an, buf, n, 0);
    assert_int_equal(ts->n, 1);
    assert_true(strlen(ts->t[0].word) <= MG_TERM_MAX);
    assert_int_equal(ts->t[0].word[0], 'e');

    memset(buf, '.', n); /* punctuation */
    assert_int_equal(run_flags(an, buf, n, 0)->n, 0);
    for (size_t i = 0; i < n; i++) /* mixed punctuation */
        buf[i] = ".,'-’"[i % 5];
    assert_int_equal(run_flags(an, buf, n, 0)->n, 0);

    for (size_t i = 0; i < n; i++) /* digits with dots: one number */
        buf[i] = i % 2 ? '.' : '7';
    ts = run_flags(an, buf, n, 0);
    assert_int_equal(ts->n, 1);
    assert_true(strlen(ts->t[0].term) <= MG_TERM_MAX);
    assert_memory_equal(ts->t[0].term, "7.7.7.7", 7);

    for (size_t i = 0; i < n; i++) /* digit groups: 1,000,000,... */
        buf[i] = i % 4 == 1 ? ',' : '1';
    ts = run_flags(an, buf, n, 0);
    assert_true(ts->n >= 1);
    assert_memory_equal(ts->t[0].term, "11111", 5);

    for (size_t i = 0; i < n; i++) /* a dotted acronym that never ends */
        buf[i] = i % 2 ? '.' : 'u';
    ts = run_flags(an, buf, n, 0);
    assert_int_equal(ts->n, 1);
    assert_memory_equal(ts->t[0].term, "uuuu", 4);

    for (size_t i = 0; i < n; i++) /* almost-acronyms: a.bc.d.ef... */
        buf[i] = "a.bc."[i % 5];
    ts = run_flags(an, buf, n, 0);
    assert_true(ts->calls > n / 10);

    buf[0] = 'a'; /* one letter, then a million combining accents */
    for (size_t i = 1; i + 1 < n; i += 2)
        memcpy(buf + i, "\xcc\x81", 2);
    ts = run_flags(an, buf, n - 1, 0);
    assert_int_equal(ts->n, 1);
    assert_string_equal(ts->t[0].term, "a");

    for (size_t i = 0; i + 2 < n; i += 3) /* CJK without spaces */
        memcpy(buf + i, "\xe4\xb8\xad", 3);
    ts = run_flags(an, buf, n - n % 3, 0);
    assert_int_equal(ts->calls, n / 3);
    free(buf);
}

static void test_pos_base_counts_emitted(void **state)
{
    mg_analyzer *an = *state;
    const char *text = "-- alpha ... beta \xcc\x81 gamma";
    mg_err err;
    toks ts = {.text = text, .len = strlen(text)};
    assert_int_equal(mg_analyze(an, text, strlen(text), 41, 0, collect, &ts, &err), 3);
    assert_int_equal(ts.t[0].pos, 41);
    assert_int_equal(ts.t[1].pos, 42);
    assert_int_equal(ts.t[2].pos, 43);
    assert_string_equal(ts.t[2].term, "gamma");
}

static void test_analyze_word(void **state)
{
    mg_analyzer *an = *state;
    char out[64];
    mg_err err;
    assert_int_equal(mg_analyze_word(an, "Parades", 7, 0, out, sizeof out, &err), 5);
    assert_string_equal(out, "parad");
    const char *kim = "Kim’s";
    assert_int_equal(mg_analyze_word(an, kim, strlen(kim), 0, out, sizeof out, &err), 3);
    assert_string_equal(out, "kim");
    assert_int_equal(mg_analyze_word(an, "  Jong-un ", 10, 0, out, sizeof out, &err), 4);
    assert_string_equal(out, "jong");
    assert_int_equal(mg_analyze_word(an, "Parades", 7, MG_AN_NOSTEM, out, sizeof out, &err), 7);
    assert_string_equal(out, "parades");
    assert_int_equal(mg_analyze_word(an, "U.S.", 4, 0, out, sizeof out, &err), 2);
    assert_string_equal(out, "us");
    assert_int_equal(mg_analyze_word(an, "--", 2, 0, out, sizeof out, &err), 0);
    assert_string_equal(out, "");
    /* A small buffer cuts on a character boundary. */
    mg_analyzer *none = new_an("none");
    assert_int_equal(mg_analyze_word(none, "ÆØÅ", 6, 0, out, 4, &err), 2);
    assert_string_equal(out, "æ");
    mg_analyzer_free(none);
    assert_true(mg_analyze_word(an, "x", 1, 0, out, 0, &err) < 0);
    assert_int_equal(err.code, MG_EINVAL);
}

static void test_fold_phrase(void **state)
{
    (void)state;
    char out[64];
    mg_err err;
    struct {
        const char *in, *want;
    } cases[] = {
        {"AG News", "ag news"},
        {"Sci/Tech", "sci/tech"},
        {"Müller, Jürgen", "muller, jurgen"},
        {"  Reuters \t\n Wire  ", "reuters wire"},
        {"O’Brien", "o'brien"},
        {"ＡＢＣ\xc2\xa0News", "abc news"},
        {"", ""},
        {" \t ", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long r = mg_fold_phrase(cases[i].in, strlen(cases[i].in), out, sizeof out, &err);
        assert_int_equal(r, strlen(cases[i].want));
        assert_string_equal(out, cases[i].want);
    }
    /* Invalid bytes read as U+FFFD; a small buffer cuts on a boundary. */
    assert_int_equal(mg_fold_phrase("a\xff", 2, out, sizeof out, &err), 4);
    assert_string_equal(out, "a\xef\xbf\xbd");
    assert_int_equal(mg_fold_phrase("Jürgen", 7, out, 3, &err), 2);
    assert_string_equal(out, "ju");
    assert_int_equal(mg_fold_phrase("日本", 6, out, 6, &err), 3);
    assert_string_equal(out, "日");
}

/* ASCII text takes a shortcut in mg_fold_phrase(); a combining acute
 * accent (U+0301, which folding drops) appended to the same text sends it
 * through the general path, which must give the same result: every ASCII
 * byte, in random strings, at several buffer sizes. */
static void test_fold_phrase_ascii_shortcut(void **state)
{
    (void)state;
    char in[80], in2[84], a[64], b[64];
    mg_err err;
    uint64_t seed = 7;
    for (int round = 0; round < 4000; round++) {
        size_t n = (size_t)(round % 40);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            /* every ASCII byte but NUL, with more spaces and letters */
            unsigned r = (unsigned)(seed >> 33) % 160;
            in[i] = (char)(r < 127 ? r + 1 : r < 140 ? ' ' : 'A' + (r - 140));
        }
        if (round < 127) { /* each byte once, between letters */
            n = 3;
            in[0] = 'X';
            in[1] = (char)(round + 1);
            in[2] = 'y';
        }
        memcpy(in2, in, n);
        memcpy(in2 + n, "\xcc\x81", 2);
        size_t caps[] = {sizeof a, 8, 2, 1};
        for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
            long ra = mg_fold_phrase(in, n, a, caps[k], &err);
            long rb = mg_fold_phrase(in2, n + 2, b, caps[k], &err);
            assert_int_equal(ra, rb);
            assert_string_equal(a, b);
        }
    }
    assert_int_equal(mg_fold_phrase("Reuters\x7f\x01Wire", 14, a, sizeof a, &err), 12);
    assert_string_equal(a, "reuters wire");
}

/* Every token, as bytes: term, word, position, span. */
typedef struct tokbuf {
    char *p;
    size_t len, cap;
} tokbuf;

static void tokbuf_put(tokbuf *b, const void *d, size_t n)
{
    if (b->cap - b->len < n) {
        while (b->cap - b->len < n)
            b->cap = b->cap ? 2 * b->cap : 1 << 16;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static int serialise(void *ctx, const mg_token *tk)
{
    tokbuf *b = ctx;
    size_t nums[3] = {tk->pos, tk->start, tk->end};
    tokbuf_put(b, tk->term, tk->term_len + 1);
    tokbuf_put(b, tk->word, tk->word_len + 1);
    tokbuf_put(b, nums, sizeof nums);
    return 0;
}

/* The tokens of text with and without MG_AN_GENERAL are the same. */
static void same_both_ways(mg_analyzer *an, const char *text, size_t len, int flags)
{
    tokbuf a = {0}, b = {0};
    mg_err err;
    long na = mg_analyze(an, text, len, 1, flags, serialise, &a, &err);
    long nb = mg_analyze(an, text, len, 1, flags | MG_AN_GENERAL, serialise, &b, &err);
    assert_int_equal(na, nb);
    assert_int_equal(a.len, b.len);
    if (a.len)
        assert_memory_equal(a.p, b.p, a.len);
    free(a.p);
    free(b.p);
}

/* Plain ASCII words take a shortcut; it must give what the general scan
 * gives: on random text built from the characters the word rules care about
 * (dots, commas, apostrophes, digits, an accent, a combining mark, a soft
 * hyphen, a typographic apostrophe, an Arabic-Indic digit), on the bundled
 * samples and on the first 4 MB of Reuters-21578 when it is there, with and
 * without stemming. */
static void test_ascii_shortcut_agrees(void **state)
{
    mg_analyzer *an = *state;
    static const char *const bits[] = {"a",
                                       "Z",
                                       "s",
                                       "e",
                                       "1",
                                       "0",
                                       " ",
                                       ".",
                                       ",",
                                       "'",
                                       "\n",
                                       "-",
                                       "U.S",
                                       "\xc3\xa9",
                                       "\xcc\x81",
                                       "\xc2\xad",
                                       "\xe2\x80\x99",
                                       "\xd9\xa3",
                                       "!",
                                       "3,000"};
    const size_t nbits = sizeof bits / sizeof bits[0];
    uint64_t seed = 1987;
    char text[256];
    for (int round = 0; round < 20000; round++) {
        size_t len = 0;
        size_t want = (size_t)(round % 60);
        while (len < want) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *b = bits[(seed >> 33) % nbits];
            memcpy(text + len, b, strlen(b));
            len += strlen(b);
        }
        same_both_ways(an, text, len, 0);
        same_both_ways(an, text, len, MG_AN_NOSTEM);
    }
    /* a word longer than a term, and one with a digit past the cut */
    char longw[2 * MG_TERM_MAX + 8];
    memset(longw, 'k', sizeof longw);
    longw[sizeof longw - 2] = '7';
    same_both_ways(an, longw, sizeof longw, 0);
    same_both_ways(an, longw, sizeof longw - 2, 0);

    const char *root = getenv("MORGUE_ROOT"), *corpora = getenv("MORGUE_CORPORA");
    char path[1024];
    for (int k = 0; k < 2; k++) {
        if (k == 0)
            snprintf(path, sizeof path, "%s/corpus/samples.jsonl", root ? root : ".");
        else if (corpora)
            snprintf(path, sizeof path, "%s/reuters21578/reuters21578.jsonl", corpora);
        else
            continue;
        FILE *f = fopen(path, "rb");
        if (!f) {
            assert_int_equal(k, 1); /* the samples ship with the source */
            continue;
        }
        static char buf[4 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        assert_true(n > 1000);
        same_both_ways(an, buf, n, 0);
        same_both_ways(an, buf, n, MG_AN_NOSTEM);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comma_and_period_split),
        cmocka_unit_test(test_apostrophe_possessive),
        cmocka_unit_test(test_apostrophe_inside_and_edges),
        cmocka_unit_test(test_hyphens_split_adjacent),
        cmocka_unit_test(test_dotted_acronyms),
        cmocka_unit_test(test_numbers_stay_whole),
        cmocka_unit_test(test_digit_words_not_stemmed),
        cmocka_unit_test(test_fold_accents_and_case),
        cmocka_unit_test(test_fullwidth_latin),
        cmocka_unit_test(test_cjk_unigrams),
        cmocka_unit_test(test_ampersand_and_brackets),
        cmocka_unit_test(test_symbols_separate),
        cmocka_unit_test(test_seed_first_sentence),
        cmocka_unit_test(test_reuters_hard_wraps),
        cmocka_unit_test(test_invalid_utf8_in_word),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_callback_stop),
        cmocka_unit_test(test_stemming),
        cmocka_unit_test(test_stem_cache_consistent),
        cmocka_unit_test(test_languages),
        cmocka_unit_test(test_unknown_language),
        cmocka_unit_test(test_long_runs_linear),
        cmocka_unit_test(test_pos_base_counts_emitted),
        cmocka_unit_test(test_analyze_word),
        cmocka_unit_test(test_fold_phrase),
        cmocka_unit_test(test_fold_phrase_ascii_shortcut),
        cmocka_unit_test(test_ascii_shortcut_agrees),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
