/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of snippets: the window, highlights of stemmed and folded
 * variants, markers, HTML escaping, UTF-8 safety and linear cost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "snippet.h"
#include "snippet_fixture.h"
#include "utf8.h"

static mg_analyzer *an;

static int setup(void **state)
{
    (void)state;
    mg_err err;
    an = mg_analyzer_new("english", &err);
    return an ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mg_analyzer_free(an);
    return 0;
}

static char *snip(const char *query, const char *text, size_t bytes, bool html)
{
    mg_hlset *hl = fx_hlset(an, query);
    mg_snippet_opts o = {.bytes = bytes, .hl_start = "[", .hl_end = "]", .html = html};
    mg_err err;
    char *s = mg_snippet_make(an, hl, text, strlen(text), &o, &err);
    mg_hlset_free(hl);
    assert_non_null(s);
    return s;
}

static void expect(const char *query, const char *text, size_t bytes, const char *want)
{
    char *s = snip(query, text, bytes, false);
    if (strcmp(s, want) != 0)
        print_error("query [%s]\n  expected %s\n  got      %s\n", query, want, s);
    assert_string_equal(s, want);
    free(s);
}

static void test_variants_highlighted(void **state)
{
    (void)state;
    expect("parade", "Crowds watched the parades and a military parade.", 200,
           "Crowds watched the [parades] and a military [parade].");
    expect("PARADES", "A Parade.", 200, "A [Parade].");
    expect("muller", "Anna Müller won; MÜLLER again.", 200, "Anna [Müller] won; [MÜLLER] again.");
    expect("zurich", "In Zürich today.", 200, "In [Zürich] today.");
    expect("jong-un", "Kim Jong-un arrived.", 200, "Kim [Jong-un] arrived.");
    expect("kim jong un", "Kim Jong-un arrived.", 200, "[Kim] [Jong-un] arrived.");
    expect("parad*", "Paradise lost at the parades.", 200, "[Paradise] lost at the [parades].");
    expect("nothing", "No match here at all.", 200, "No match here at all.");
}

static void test_window_and_ellipses(void **state)
{
    (void)state;
    const char *text = "Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
                       "omicron pi rho sigma tau upsilon phi chi psi omega. The rare word "
                       "zebra appears here once, and then the text goes on and on with filler "
                       "words that nobody is searching for at all.";
    char *s = snip("zebra", text, 60, false);
    /* around the match, starting and ending on word boundaries */
    assert_non_null(strstr(s, "[zebra]"));
    assert_true(strncmp(s, "\xE2\x80\xA6", 3) == 0);
    assert_true(strlen(s) >= 3 && strcmp(s + strlen(s) - 3, "\xE2\x80\xA6") == 0);
    assert_true(strlen(s) < 60 + 2 * 3 + 2 * 8);
    /* the words at the edges are whole words of the text */
    char first[64];
    sscanf(s + 3, "%63s", first);
    char probe[80];
    snprintf(probe, sizeof probe, " %s ", first);
    assert_non_null(strstr(text, probe));
    free(s);
    /* no match: the start of the text, white space runs folded */
    expect("absent", "First   line\n\n    second line that goes on", 20, "First line…");
    /* the densest window wins: both words together, not the lone one */
    expect("cocoa bahia",
           "Cocoa was mentioned first, then many unrelated words follow for quite a "
           "while here. Later Bahia cocoa crops improved.",
           40, "…Later [Bahia] [cocoa] crops improved.");
}

static void test_html_and_markers(void **state)
{
    (void)state;
    char *s = snip("smith", "S&P <b>Smith</b> said \"yes\" & 'no'", 200, true);
    assert_string_equal(
        s, "S&amp;P &lt;b&gt;[Smith]&lt;/b&gt; said &quot;yes&quot; &amp; &#39;no&#39;");
    free(s);
    s = snip("smith", "S&P <b>Smith</b>", 200, false);
    assert_string_equal(s, "S&P <b>[Smith]</b>");
    free(s);
    /* NULL markers: plain text */
    mg_hlset *hl = fx_hlset(an, "smith");
    mg_err err;
    s = mg_snippet_make(an, hl, "Mr Smith", 8, NULL, &err);
    assert_string_equal(s, "Mr Smith");
    free(s);
    mg_hlset_free(hl);
}

static void test_utf8_safety(void **state)
{
    (void)state;
    /* invalid bytes come out as U+FFFD; multibyte characters are never cut */
    char *s = snip("cafe", "caf\xc3 caf\xc3\xa9 \xff end", 200, false);
    assert_true(mg_utf8_valid(s, strlen(s)));
    assert_non_null(strstr(s, "[café]"));
    free(s);
    char text[4000] = "";
    for (int i = 0; i < 300; i++)
        strcat(text, "Ångström ");
    for (size_t bytes = 20; bytes < 80; bytes += 7) {
        s = snip("angstrom", text, bytes, false);
        assert_true(mg_utf8_valid(s, strlen(s)));
        free(s);
        s = snip("absent", text, bytes, false);
        assert_true(mg_utf8_valid(s, strlen(s)));
        free(s);
    }
    /* a CJK run without spaces */
    s = snip("absent", "日本語のテキストはスペースなしで続きます日本語のテキスト", 20, false);
    assert_true(mg_utf8_valid(s, strlen(s)));
    free(s);
    s = snip("x", "", 200, false);
    assert_string_equal(s, "");
    free(s);
}

static void test_large_body_is_linear(void **state)
{
    (void)state;
    /* 4 MiB of text with a match every few words: must finish (the test has
     * no timing assertion; a quadratic loop would not end in CI's time). */
    size_t n = 4u << 20;
    char *text = malloc(n + 1);
    assert_non_null(text);
    const char *unit = "market prices rose again ";
    size_t ul = strlen(unit);
    for (size_t i = 0; i + ul <= n; i += ul)
        memcpy(text + i, unit, ul);
    text[n - n % ul] = '\0';
    mg_hlset *hl = fx_hlset(an, "prices market");
    mg_snippet_opts o = {.bytes = 200, .hl_start = "[", .hl_end = "]"};
    mg_err err;
    char *s = mg_snippet_make(an, hl, text, strlen(text), &o, &err);
    assert_non_null(s);
    assert_non_null(strstr(s, "[market] [prices]"));
    free(s);
    mg_hlset_free(hl);
    free(text);
}

static void test_hlset(void **state)
{
    (void)state;
    mg_hlset *hl = mg_hlset_new();
    for (int i = 0; i < 500; i++) {
        char t[16];
        snprintf(t, sizeof t, "t%d", i % 250);
        assert_int_equal(mg_hlset_add_term(hl, t, strlen(t)), 0);
    }
    assert_int_equal(mg_hlset_count(hl), 250);
    assert_int_equal(mg_hlset_add_prefix(hl, "par", 3), 0);
    assert_int_equal(mg_hlset_add_prefix(hl, "par", 3), 0);
    assert_int_equal(mg_hlset_count(hl), 251);
    mg_hlset_free(hl);
    mg_hlset_free(NULL);
}

/* A set remembers pieces of text that held no match: adding an entry or
 * changing the analyser must not leave a stale answer. */
static void test_set_reused(void **state)
{
    (void)state;
    mg_snippet_opts o = {.bytes = 200, .hl_start = "[", .hl_end = "]"};
    mg_err err;
    mg_hlset *hl = mg_hlset_new();
    assert_int_equal(mg_hlset_add_term(hl, "other", 5), 0);
    assert_int_equal(mg_hlset_add_term(hl, "gener", 5), 0);
    const char *text = "oil and other generous things";
    char *s = mg_snippet_make(an, hl, text, strlen(text), &o, &err);
    assert_string_equal(s, "oil and [other] generous things");
    free(s);
    s = mg_snippet_make(an, hl, text, strlen(text), &o, &err); /* from the memory */
    assert_string_equal(s, "oil and [other] generous things");
    free(s);
    assert_int_equal(mg_hlset_add_term(hl, "oil", 3), 0);
    s = mg_snippet_make(an, hl, text, strlen(text), &o, &err);
    assert_string_equal(s, "[oil] and [other] generous things");
    free(s);
    /* porter stems generous to gener, english does not */
    mg_analyzer *porter = mg_analyzer_new("porter", &err);
    assert_non_null(porter);
    s = mg_snippet_make(porter, hl, text, strlen(text), &o, &err);
    assert_string_equal(s, "[oil] and [other] [generous] things");
    free(s);
    s = mg_snippet_make(an, hl, text, strlen(text), &o, &err);
    assert_string_equal(s, "[oil] and [other] generous things");
    free(s);
    mg_analyzer_free(porter);
    mg_hlset_free(hl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variants_highlighted), cmocka_unit_test(test_window_and_ellipses),
        cmocka_unit_test(test_html_and_markers),     cmocka_unit_test(test_utf8_safety),
        cmocka_unit_test(test_large_body_is_linear), cmocka_unit_test(test_hlset),
        cmocka_unit_test(test_set_reused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
