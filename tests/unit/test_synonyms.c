/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Synonyms (lib/synonyms.c, mg_search_limits.synonyms): the file read into
 * groups of stems, every bad line refused with where and why; in a query a
 * word of a group matches any of its words, highlighted, as one word to
 * the ranking; phrases and fields other than title: are not expanded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer.h"
#include "search.h"
#include "search_fixture.h"
#include "synonyms.h"

static char tmp[128], db[256], syn[256];
static mg_searcher *with, *without;

static const char *const docs[] = {
    "{\"id\":\"bombay\",\"title\":\"Monsoon reaches Bombay\",\"body\":\"rain in bombay "
    "harbour\",\"date\":\"1987-06-10\"}",
    "{\"id\":\"mumbai\",\"title\":\"Mumbai port expands\",\"body\":\"the mumbai harbour "
    "grows\",\"date\":\"2020-03-02\"}",
    "{\"id\":\"kiev\",\"title\":\"Talks in Kiev\",\"body\":\"ministers met in kiev\"}",
    "{\"id\":\"kyiv\",\"title\":\"Talks in Kyiv\",\"body\":\"ministers met in kyiv\"}",
    "{\"id\":\"f1\",\"title\":\"Grain\",\"body\":\"grain prices rose\"}",
    "{\"id\":\"f2\",\"title\":\"Sugar\",\"body\":\"sugar exports fell\"}",
};

/* Write text to dir/name, its path into path. */
static void write_file(const char *name, const char *text, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static mg_searcher *open_with(const char *synonyms, mg_err *err)
{
    mg_search_limits lim;
    mg_search_limits_default(&lim);
    lim.synonyms = synonyms;
    return mg_searcher_open(db, &lim, err);
}

static int setup(void **state)
{
    (void)state;
    if (fx_tmpdir(tmp, sizeof tmp, "synonyms") != 0)
        return -1;
    char in[256];
    snprintf(db, sizeof db, "%s/db", tmp);
    if (fx_index_lines(tmp, docs, sizeof docs / sizeof docs[0], in, sizeof in, db) != 0)
        return -1;
    snprintf(syn, sizeof syn, "%s/synonyms.txt", tmp);
    FILE *f = fopen(syn, "w");
    if (!f)
        return -1;
    fputs("# renamed places\nmumbai bombay\nkyiv, Kiev  # transliterations\n\n", f);
    fclose(f);
    mg_err err;
    with = open_with(syn, &err);
    without = open_with(NULL, &err);
    return with && without ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mg_searcher_free(without);
    return fx_close(with, tmp);
}

/* The ids of q's hits (strict), sorted, space-separated (static buffer). */
static const char *ids(mg_searcher *s, const char *q)
{
    static char buf[512];
    mg_search_result *r = fx_query(s, q, true);
    const char *v[16];
    size_t n = 0;
    for (size_t i = 0; i < r->nhits && n < 16; i++)
        v[n++] = r->hits[i].id;
    for (size_t i = 1; i < n; i++) /* insertion sort: a few ids */
        for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            const char *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", v[i]);
    mg_search_result_free(r);
    return buf;
}

static void test_search(void **state)
{
    (void)state;
    /* either name finds both, in the text and in title: */
    assert_string_equal(ids(with, "mumbai"), "bombay mumbai");
    assert_string_equal(ids(with, "Bombay harbour"), "bombay mumbai");
    assert_string_equal(ids(with, "title:kiev"), "kiev kyiv");
    assert_string_equal(ids(with, "kyiv ministers"), "kiev kyiv");
    /* without the file, each finds its own */
    assert_string_equal(ids(without, "mumbai"), "mumbai");
    assert_string_equal(ids(without, "title:kiev"), "kiev");
    /* a phrase is the words as written; NOT takes the whole group out */
    assert_string_equal(ids(with, "\"mumbai harbour\""), "mumbai");
    assert_string_equal(ids(with, "harbour -bombay"), "");
    /* and so are a NEAR's words and a phrase within N words */
    assert_string_equal(ids(with, "mumbai NEAR/3 harbour"), "mumbai");
    assert_string_equal(ids(with, "\"mumbai harbour\"~3"), "mumbai");
    assert_string_equal(ids(with, "bombay NEAR/3 harbour"), "bombay");
    /* both spellings are highlighted */
    mg_search_request req = {.query = "mumbai", .snippets = true, .hl_start = "[", .hl_end = "]"};
    mg_search_result *r = fx_search(with, &req);
    for (size_t i = 0; i < r->nhits; i++)
        assert_true(strstr(r->hits[i].snippet, "[bombay]") ||
                    strstr(r->hits[i].snippet, "[mumbai]"));
    mg_search_result_free(r);
    /* one word to the ranking: the old and the new spelling weigh alike */
    mg_search_result *a = fx_query(with, "mumbai", true), *b = fx_query(with, "bombay", true);
    assert_int_equal(a->nhits, 2);
    assert_int_equal(b->nhits, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(a->hits[i].id, b->hits[i].id);
        assert_float_equal(a->hits[i].score, b->hits[i].score, 1e-9);
    }
    mg_search_result_free(a);
    mg_search_result_free(b);
}

static void test_file(void **state)
{
    (void)state;
    mg_err err;
    mg_analyzer *an = mg_analyzer_new("english", &err);
    assert_non_null(an);
    mg_synonyms *s = mg_synonyms_load(syn, an, &err);
    assert_non_null(s);
    assert_int_equal(mg_synonyms_groups(s), 2);
    size_t n;
    const char *const *g = mg_synonyms_of(s, "kiev", &n);
    assert_int_equal(n, 2);
    assert_string_equal(g[0], "kyiv");
    assert_string_equal(g[1], "kiev");
    assert_null(mg_synonyms_of(s, "grain", &n));
    assert_int_equal(n, 0);
    assert_null(mg_synonyms_of(NULL, "kiev", &n));
    mg_synonyms_free(s);

    /* stems: "Elections" and "election" are one word, so a group of two
     * words that stem alike holds one: refused */
    char path[300];
    static const struct {
        const char *text, *msg;
        int code;
    } bad[] = {
        {"mumbai bombay\nkyiv\n", "synonyms.bad:2: a group needs two different words ('kyiv')",
         MG_EFORMAT},
        {"elections election\n", "synonyms.bad:1: a group needs two different words ('elect')",
         MG_EFORMAT},
        {"a b\nkiev kyiv\nkyiv kijow\n", "synonyms.bad:3: 'kyiv' is already in the group of line 2",
         MG_EFORMAT},
        {"new-york nyc\n", "synonyms.bad:1: 'new-york' is several words to the analyser",
         MG_EFORMAT},
        {"caf\xc3 cafe\n", "synonyms.bad:1: not UTF-8 text", MG_EFORMAT},
        {"ok fine\n-- x\n", "synonyms.bad:2: '--' is no word to the analyser", MG_EFORMAT},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file("synonyms.bad", bad[i].text, path, sizeof path);
        assert_null(mg_synonyms_load(path, an, &err));
        assert_int_equal(err.code, bad[i].code);
        assert_non_null(strstr(err.msg, bad[i].msg));
    }
    /* a group of 33 words, 10,001 groups, and a file over 1 MiB */
    char big[40000] = "";
    for (int i = 0; i < 33; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "w%c%c ", 'a' + i / 26, 'a' + i % 26);
    write_file("synonyms.bad", big, path, sizeof path);
    assert_null(mg_synonyms_load(path, an, &err));
    assert_int_equal(err.code, MG_ETOOBIG);
    assert_non_null(strstr(err.msg, "a group of more than 32 words"));
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 10001; i++)
        fprintf(f, "x%dy z%dq\n", i, i);
    fclose(f);
    assert_null(mg_synonyms_load(path, an, &err));
    assert_int_equal(err.code, MG_ETOOBIG);
    assert_non_null(strstr(err.msg, ":10001: more than 10000 groups"));
    f = fopen(path, "w");
    for (int i = 0; i < 70000; i++)
        fputs("# a comment line ", f);
    fclose(f);
    assert_null(mg_synonyms_load(path, an, &err));
    assert_int_equal(err.code, MG_ETOOBIG);
    snprintf(path, sizeof path, "%s/none.txt", tmp);
    assert_null(mg_synonyms_load(path, an, &err));
    assert_int_equal(err.code, MG_EIO);
    /* only a regular file: not a directory, and not a FIFO, whose open
     * would wait for a writer */
    assert_null(mg_synonyms_load(tmp, an, &err));
    assert_int_equal(err.code, MG_EIO);
    assert_non_null(strstr(err.msg, "not a regular file"));
    snprintf(path, sizeof path, "%s/fifo", tmp);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_null(mg_synonyms_load(path, an, &err));
    assert_non_null(strstr(err.msg, "not a regular file"));
    unlink(path);
    mg_analyzer_free(an);

    /* the searcher refuses to open with a bad file, and says where */
    write_file("synonyms.bad", "kyiv\n", path, sizeof path);
    assert_null(open_with(path, &err));
    assert_non_null(strstr(err.msg, "synonyms.bad:1: a group needs two different words"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
