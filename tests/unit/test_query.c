/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the query language parser: the tree of every construct and
 * every error kind with its message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query.h"

static char *parse_render(const char *q)
{
    mg_qnode *n;
    mg_err err;
    int rc = mg_query_parse(q, strlen(q), NULL, &n, &err);
    if (rc != 0) {
        print_error("parse of [%s] failed: %s\n", q, err.msg);
        return NULL;
    }
    char *s = mg_query_render(n);
    mg_query_free(n);
    return s;
}

static void expect_tree(const char *q, const char *tree)
{
    char *s = parse_render(q);
    assert_non_null(s);
    if (strcmp(s, tree) != 0)
        print_error("query [%s]\n  expected %s\n  got      %s\n", q, tree, s);
    assert_string_equal(s, tree);
    free(s);
}

static void expect_error(const char *q, const mg_query_opts *o, const char *code,
                         const char *message)
{
    mg_qnode *n = (mg_qnode *)1;
    mg_err err;
    int rc = mg_query_parse(q, strlen(q), o, &n, &err);
    assert_int_equal(rc, -MG_EQUERY);
    assert_null(n);
    assert_int_equal(err.code, MG_EQUERY);
    const char *got = mg_query_error_code(&err);
    assert_non_null(got);
    if (strcmp(got, code) != 0 || strcmp(err.msg, message) != 0)
        print_error("query [%s]\n  expected %s: %s\n  got      %s: %s\n", q, code, message, got,
                    err.msg);
    assert_string_equal(got, code);
    assert_string_equal(err.msg, message);
}

static void test_words_and_operators(void **state)
{
    (void)state;
    expect_tree("kim", "WORD\"kim\"");
    expect_tree("kim jong-un", "AND(WORD\"kim\" WORD\"jong-un\")");
    expect_tree("a AND b", "AND(WORD\"a\" WORD\"b\")");
    expect_tree("a OR b c", "OR(WORD\"a\" AND(WORD\"b\" WORD\"c\"))");
    expect_tree("a or b", "AND(WORD\"a\" WORD\"or\" WORD\"b\")"); /* lower case: a word */
    expect_tree("(a OR b) c", "AND(OR(WORD\"a\" WORD\"b\") WORD\"c\")");
    expect_tree("a NOT b", "AND(WORD\"a\" NOT(WORD\"b\"))");
    expect_tree("a -b", "AND(WORD\"a\" NOT(WORD\"b\"))");
    expect_tree("-b", "AND(NOT(WORD\"b\"))");
    expect_tree("NOT NOT b", "WORD\"b\"");
    expect_tree("+a b", "AND(WORD\"a\" WORD\"b\")");
    expect_tree("a - b", "AND(WORD\"a\" WORD\"-\" WORD\"b\")");
    expect_tree("jong-un", "WORD\"jong-un\"");
    expect_tree("*", "ALL");
    expect_tree("  spaced\tout\n", "AND(WORD\"spaced\" WORD\"out\")");
}

/* A ')' that closes nothing is punctuation (pasted list markers, smileys);
 * an unclosed '(' stays an error (test_errors). */
static void test_stray_close_paren(void **state)
{
    (void)state;
    expect_tree("a b)", "AND(WORD\"a\" WORD\"b\")");
    expect_tree("1) tumours 2) therapy",
                "AND(WORD\"1\" WORD\"tumours\" WORD\"2\" WORD\"therapy\")");
    expect_tree("nice :)", "AND(WORD\"nice\" WORD\":\")");
    expect_tree("(a OR b)) c)", "AND(OR(WORD\"a\" WORD\"b\") WORD\"c\")");
    expect_tree("a) (b OR c)", "AND(WORD\"a\" OR(WORD\"b\" WORD\"c\"))");
    expect_tree("x -) y", "AND(WORD\"x\" WORD\"-\" WORD\"y\")");
    /* parentheses between quotes are phrase text and pair with nothing */
    expect_tree("\"a) b\" c)", "AND(PHRASE\"a) b\" WORD\"c\")");
    expect_tree("(\"a)\" b)", "AND(PHRASE\"a)\" WORD\"b\")");
}

static void test_phrases_prefix_near(void **state)
{
    (void)state;
    expect_tree("\"military parades\"", "PHRASE\"military parades\"");
    expect_tree("-\"a b\" c", "AND(NOT(PHRASE\"a b\") WORD\"c\")");
    expect_tree("parad*", "PREFIX\"parad\"");
    expect_tree("parad**", "PREFIX\"parad\"");
    expect_tree("kim NEAR putin", "NEAR/10(WORD\"kim\" WORD\"putin\")");
    expect_tree("kim NEAR/3 putin NEAR/5 xi", "NEAR/3(WORD\"kim\" WORD\"putin\" WORD\"xi\")");
}

/* What other engines' users type: "phrase"~N is a NEAR of the phrase's
 * words (~0 the phrase itself), && and || are AND and OR, word~ and word~N
 * are fuzzy words (by its length: up to 2 letters exact, up to 5 one edit,
 * else two); boosts ^N are refused, not read as other words (test_errors). */
static void test_other_engines_syntax(void **state)
{
    (void)state;
    expect_tree("\"oil price\"~3", "NEAR/3(WORD\"oil\" WORD\"price\")");
    expect_tree("\"kim jong-un successor\"~5 x",
                "AND(NEAR/5(WORD\"kim\" WORD\"jong-un\" WORD\"successor\") WORD\"x\")");
    expect_tree("\"oil price\"~0", "PHRASE\"oil price\"");
    expect_tree("\"oil\"~4", "PHRASE\"oil\"");
    expect_tree("title:\"oil price\"~2", "NEAR/2(title:WORD\"oil\" title:WORD\"price\")");
    expect_tree("-\"oil price\"~2 gas", "AND(NOT(NEAR/2(WORD\"oil\" WORD\"price\")) WORD\"gas\")");
    expect_tree("oil || gas && coal", "OR(WORD\"oil\" AND(WORD\"gas\" WORD\"coal\"))");
    /* what only looks like them stays text */
    expect_tree("\"oil price\" ~3", "AND(PHRASE\"oil price\" WORD\"~3\")");
    expect_tree("~50 x~y E=mc^2 a^b oil~~",
                "AND(WORD\"~50\" WORD\"x~y\" WORD\"E=mc^2\" WORD\"a^b\" WORD\"oil~~\")");
    expect_tree("a|b &&x", "AND(WORD\"a|b\" WORD\"&&x\")");
    expect_tree("gadaffi~ ab~ kim~ reagan~ oil~0 x~1 cocoa~2",
                "AND(FUZZY/2\"gadaffi\" FUZZY/0\"ab\" FUZZY/1\"kim\" FUZZY/2\"reagan\" "
                "FUZZY/0\"oil\" FUZZY/1\"x\" FUZZY/2\"cocoa\")");
    expect_tree("Müller~", "FUZZY/2\"Müller\""); /* six characters, seven bytes */
    expect_tree("Mülle~", "FUZZY/1\"Mülle\"");
    expect_tree("title:parade~1 -kim~", "AND(title:FUZZY/1\"parade\" NOT(FUZZY/1\"kim\"))");
    expect_tree("title:(cocoa~ OR x)", "OR(title:FUZZY/1\"cocoa\" title:WORD\"x\")");
    expect_tree("jong-un~", "WORD\"jong-un~\""); /* a tail after a hyphen is text */
}

static void test_fields(void **state)
{
    (void)state;
    expect_tree("title:parade", "title:WORD\"parade\"");
    expect_tree("title:\"military parade\"", "title:PHRASE\"military parade\"");
    expect_tree("title:parad*", "title:PREFIX\"parad\"");
    expect_tree("title:(kim OR putin) x",
                "AND(OR(title:WORD\"kim\" title:WORD\"putin\") WORD\"x\")");
    expect_tree("source:Reuters", "source:FILTER\"Reuters\"");
    expect_tree("source:\"Associated Press\"", "source:FILTER\"Associated Press\"");
    expect_tree("author:\"Jürg Baumann\"", "author:FILTER\"Jürg Baumann\"");
    expect_tree("category:world", "category:FILTER\"world\"");
    expect_tree("id:reuters-17", "id:FILTER\"reuters-17\"");
    expect_tree("(id:a)", "id:FILTER\"a\"");
    expect_tree("like:pd-2025-0001", "LIKE\"pd-2025-0001\"");
    /* a word with a colon but no value right after it is just a word */
    expect_tree("Science: Objective", "AND(WORD\"Science:\" WORD\"Objective\")");
    expect_tree("http://example.com", "WORD\"http://example.com\"");
}

static void test_dates(void **state)
{
    (void)state;
    expect_tree("date:2025-08-01..2025-09-30", "DATE[20250801000000..20250930235959]");
    expect_tree("date:..1987-03-31", "DATE[..19870331235959]");
    expect_tree("date:1987-03..", "DATE[19870301000000..]");
    expect_tree("date:1987", "DATE[19870101000000..19871231235959]");
    expect_tree("date:1987-02", "DATE[19870201000000..19870228235959]");
    expect_tree("date:1988-02", "DATE[19880201000000..19880229235959]");
    expect_tree("date:19870315", "DATE[19870315000000..19870315235959]");
    expect_tree("date:2020-01-01T10:30", "DATE[20200101103000..20200101103059]");
    char out[15];
    const char *why;
    assert_int_equal(mg_query_date_bound("2000-02-29", 10, true, out, &why), 0);
    assert_string_equal(out, "20000229235959");
    assert_int_equal(mg_query_date_bound("1900-02-29", 10, true, out, &why), -1);
    assert_string_equal(why, "no such day");
}

/* Bound a relative date as of day today: lower and upper ends. */
static void expect_relative(const char *today, const char *rel, const char *lo, const char *hi)
{
    char out[15];
    const char *why = NULL;
    assert_int_equal(mg_query_set_today(today), 0);
    assert_int_equal(mg_query_date_bound(rel, strlen(rel), false, out, &why), 0);
    assert_string_equal(out, lo);
    assert_int_equal(mg_query_date_bound(rel, strlen(rel), true, out, &why), 0);
    assert_string_equal(out, hi);
    assert_int_equal(mg_query_set_today(NULL), 0);
}

/* Why a bound that is no date of any form is refused. */
#define NOT_A_DATE "expected YYYY, YYYY-MM, YYYY-MM-DD, today, yesterday or Nd, Nw, Nm, Ny"

/* "date:VALUE" is refused as bad_date, at the value (column 6), for why. */
static void expect_bad_date(const char *value, const char *why)
{
    char q[64], msg[256];
    snprintf(q, sizeof q, "date:%s", value);
    snprintf(msg, sizeof msg, "bad date at column 6: '%s' (%s)", value, why);
    expect_error(q, NULL, "bad_date", msg);
}

static void test_relative_dates(void **state)
{
    (void)state;
    /* today, the bound, its first and last second */
    static const char *const days[][4] = {
        {"20261207", "today", "20261207000000", "20261207235959"},
        {"20261207", "Yesterday", "20261206000000", "20261206235959"},
        {"20261207", "0d", "20261207000000", "20261207235959"},
        {"20261207", "7d", "20261130000000", "20261130235959"},
        {"20260105", "1w", "20251229000000", "20251229235959"},
        {"20240301", "1D", "20240229000000", "20240229235959"},
        {"20240331", "1m", "20240229000000", "20240229235959"},
        {"20230331", "1m", "20230228000000", "20230228235959"},
        {"20260115", "13m", "20241215000000", "20241215235959"},
        {"20240229", "1y", "20230228000000", "20230228235959"},
        {"20240229", "4Y", "20200229000000", "20200229235959"},
        {"20261207", "36500d", "19270101000000", "19270101235959"},
        {"00020101", "1y", "00010101000000", "00010101235959"},
    };
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++)
        expect_relative(days[i][0], days[i][1], days[i][2], days[i][3]);

    /* in the query language, as ends of a range, a whole day alone */
    assert_int_equal(mg_query_set_today("20261207"), 0);
    expect_tree("date:30d..", "DATE[20261107000000..]");
    expect_tree("date:1m..yesterday", "DATE[20261107000000..20261206235959]");
    expect_tree("date:today", "DATE[20261207000000..20261207235959]");
    static const char *const bad[][2] = {
        {"today..1w", "the range ends before it starts"},
        {"99999y", "counts back before the year 1"},
        {"7x", NOT_A_DATE},
        {"d", NOT_A_DATE},
        {"1234567d", NOT_A_DATE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_bad_date(bad[i][0], bad[i][1]);
    /* four digits are a year, not a count */
    expect_tree("date:2024", "DATE[20240101000000..20241231235959]");

    /* only real days are taken as today */
    assert_int_equal(mg_query_set_today("20261301"), -1);
    assert_int_equal(mg_query_set_today("20230229"), -1);
    assert_int_equal(mg_query_set_today("2026120"), -1);
    assert_int_equal(mg_query_set_today("2026-12-07"), -1);
    char out[15];
    const char *why;
    assert_int_equal(mg_query_date_bound("0d", 2, false, out, &why), 0);
    assert_string_equal(out, "20261207000000"); /* the refused days changed nothing */
    assert_int_equal(mg_query_set_today(NULL), 0);

    /* the system clock's day, in UTC (read again if midnight passed) */
    char want[15];
    for (int attempt = 0; attempt < 2; attempt++) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        assert_int_equal(strftime(want, sizeof want, "%Y%m%d000000", &tm), 14);
        assert_int_equal(mg_query_date_bound("today", 5, false, out, &why), 0);
        if (strcmp(out, want) == 0)
            break;
    }
    assert_string_equal(out, want);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("", NULL, "empty_query", "empty query: nothing to search for");
    expect_error("   ", NULL, "empty_query", "empty query: nothing to search for");
    expect_error("kim \"jong un", NULL, "unbalanced_quote",
                 "unbalanced quote at column 5: no closing \"");
    expect_error("((a OR b) AND (c", NULL, "unbalanced_paren",
                 "unbalanced parenthesis at column 15: '(' is never closed");
    expect_error("a) (b", NULL, "unbalanced_paren",
                 "unbalanced parenthesis at column 4: '(' is never closed");
    expect_error(")", NULL, "empty_query", "empty query: nothing to search for");
    expect_error("x (\"a)\" b", NULL, "unbalanced_paren",
                 "unbalanced parenthesis at column 3: '(' is never closed");
    expect_error("titel:parade", NULL, "unknown_field",
                 "unknown field 'titel:' at column 1 (fields: title, source, author, category, "
                 "id, date, like)");
    expect_error("kim title:", NULL, "missing_value",
                 "missing value at column 5: 'title:' needs a value");
    expect_error("source:\"\"", NULL, "missing_value",
                 "missing value at column 1: 'source:' needs a value");
    static const char *const bad_dates[][2] = {
        {"1987-13", "no such month"},
        {"1987-02-30", "no such day"},
        {"2020..2019", "the range ends before it starts"},
        {"..", "a range needs at least one end"},
        {"tomorrow", NOT_A_DATE},
    };
    for (size_t i = 0; i < sizeof bad_dates / sizeof bad_dates[0]; i++)
        expect_bad_date(bad_dates[i][0], bad_dates[i][1]);
    expect_error("x p*", NULL, "wildcard_too_short",
                 "wildcard prefix too short at column 3: 'p*' (at least 2 characters before *)");
    mg_query_opts o = {.min_prefix = 4};
    expect_error("par*", &o, "wildcard_too_short",
                 "wildcard prefix too short at column 1: 'par*' (at least 4 characters before *)");
    expect_error("a OR", NULL, "missing_operand",
                 "missing operand at column 3: OR needs a word after it");
    expect_error("OR a", NULL, "missing_operand",
                 "missing operand at column 1: OR needs a word before it");
    expect_error("a AND AND b", NULL, "missing_operand",
                 "missing operand at column 3: AND needs a word after it");
    expect_error("NOT", NULL, "missing_operand",
                 "missing operand at column 1: NOT needs a word after it");
    expect_error("a ()", NULL, "missing_operand", "missing operand at column 3: empty parentheses");
    expect_error("a NEAR/x b", NULL, "bad_near",
                 "bad NEAR at column 3: 'NEAR/x' (expected NEAR or NEAR/N, N a number)");
    expect_error("a NEAR/500 b", NULL, "bad_near", "bad NEAR at column 3: distance 500 over 100");
    expect_error("\"a b\" NEAR c", NULL, "bad_near",
                 "bad NEAR at column 7: NEAR joins single words");
    expect_error("\"a b\"~", NULL, "bad_near",
                 "bad NEAR at column 6: '~' after a phrase (expected \"...\"~N, N a number)");
    expect_error("x \"a b\"~2x", NULL, "bad_near",
                 "bad NEAR at column 8: '~2x' after a phrase (expected \"...\"~N, N a number)");
    expect_error("\"a b\"~101", NULL, "bad_near", "bad NEAR at column 6: distance 101 over 100");
    /* other engines' boosts, and fuzzy words past two edits: the word, its column */
    static const struct {
        const char *query, *word;
        int column;
    } unsupported[] = {{"oil~3", "oil~3", 1},
                       {"x Müller~12", "Müller~12", 3},
                       {"title:oil~0.5", "oil~0.5", 7},
                       {"oil^2 price", "oil^2", 1},
                       {"\"oil price\"^1.5", "^1.5", 12},
                       {"(oil gas)^2", "^2", 10}};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        char msg[200];
        snprintf(msg, sizeof msg, "unsupported syntax at column %d: '%s' (%s)",
                 unsupported[i].column, unsupported[i].word,
                 strchr(unsupported[i].word, '~') ? "a fuzzy word takes 0 to 2 edits: word~1"
                                                  : "boosts, word^N, are not supported");
        expect_error(unsupported[i].query, NULL, "unsupported_syntax", msg);
    }
    char deep[200];
    memset(deep, '(', 40);
    strcpy(deep + 40, "a");
    expect_error(deep, NULL, "query_too_deep",
                 "query nested too deeply at column 33: more than 32 levels");
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    expect_error(big, NULL, "query_too_long", "query too long: 4999 bytes, at most 4096");
    char many[1000] = "";
    for (int i = 0; i < 70; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "w%d ", i);
    expect_error(many, NULL, "too_many_terms", "too many terms at column 247: more than 64");
    /* columns count characters, not bytes */
    expect_error("Müller \"x", NULL, "unbalanced_quote",
                 "unbalanced quote at column 8: no closing \"");
}

static void test_error_code_lookup(void **state)
{
    (void)state;
    mg_err err;
    for (int k = MG_QE_EMPTY; k < MG_QE_COUNT; k++) {
        mg_query_err(&err, (mg_qerr)k, " at column %d", 3);
        assert_string_equal(mg_query_error_code(&err), mg_query_errors[k].code);
        /* the code is the kind's, whatever the message says */
        snprintf(err.msg, sizeof err.msg, "reworded");
        assert_string_equal(mg_query_error_code(&err), mg_query_errors[k].code);
    }
    mg_err_set(&err, MG_EDB, "unbalanced quote but not from us");
    assert_null(mg_query_error_code(&err));
    mg_err_set(&err, MG_EQUERY, "unbalanced quote, but no kind given");
    assert_null(mg_query_error_code(&err));
    mg_query_err(&err, MG_QE_QUOTE, " at column 1");
    mg_err_clear(&err);
    assert_null(mg_query_error_code(&err));
}

static void test_render_escapes(void **state)
{
    (void)state;
    expect_tree("\"say \\ hi\"", "PHRASE\"say \\\\ hi\"");
    char *s = parse_render("a\x01"
                           "b");
    assert_non_null(s);
    assert_string_equal(s, "WORD\"a\\x01b\"");
    free(s);
    /* invalid UTF-8 is the analyser's business: the parser keeps the bytes */
    s = parse_render("caf\xc3 x");
    assert_non_null(s);
    assert_string_equal(s, "AND(WORD\"caf\xc3\" WORD\"x\")");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_and_operators),
        cmocka_unit_test(test_stray_close_paren),
        cmocka_unit_test(test_phrases_prefix_near),
        cmocka_unit_test(test_other_engines_syntax),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_relative_dates),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_code_lookup),
        cmocka_unit_test(test_render_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
