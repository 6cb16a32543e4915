/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for snippets: the pre-pass of mg_snippet_make() must give the
 * bytes of mg_snippet_make_full() (whole-text analysis) for any text and
 * query, also when the set's memory of pieces is reused. Input: one option
 * byte (language, HTML, window size), the query up to the first newline,
 * then the text. Built with -fsanitize=fuzzer -DMG_LIBFUZZER it is a
 * libFuzzer target; otherwise main() (fuzz_input.h) replays
 * tests/fuzz/corpus/snippet/. */
#include "analyzer.h"
#include "fuzz_input.h"
#include "snippet.h"

static int add_term(void *hl, const mg_token *tok)
{
    if (mg_hlset_add_term(hl, tok->term, tok->term_len) < 0)
        fuzz_fail("mg_hlset_add_term failed");
    return 0;
}

/* The set the search layer would build: word* is a folded prefix, any other
 * word gives the stems of its tokens. */
static mg_hlset *hlset_of(mg_analyzer *an, const char *q, size_t n)
{
    mg_hlset *hl = mg_hlset_new();
    mg_err err;
    if (!hl)
        fuzz_fail("mg_hlset_new failed");
    for (size_t i = 0; i < n;) {
        while (i < n && q[i] == ' ')
            i++;
        size_t e = i;
        while (e < n && q[e] != ' ')
            e++;
        if (e > i + 1 && q[e - 1] == '*') {
            char term[MG_TERM_MAX + 1];
            long len = mg_analyze_word(an, q + i, e - 1 - i, MG_AN_NOSTEM, term, sizeof term, &err);
            if (len > 0 && mg_hlset_add_prefix(hl, term, (size_t)len) < 0)
                fuzz_fail("mg_hlset_add_prefix failed");
        } else if (e > i && mg_analyze(an, q + i, e - i, 0, 0, add_term, hl, &err) < 0)
            fuzz_fail("mg_analyze: %s", err.msg);
        i = e;
    }
    return hl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mg_analyzer *an[3];
    static const char *const langs[3] = {"english", "porter", "none"};
    mg_err err;
    if (size == 0)
        return 0;
    unsigned opt = data[0];
    mg_analyzer **a = &an[opt % 3];
    if (!*a && !(*a = mg_analyzer_new(langs[opt % 3], &err)))
        fuzz_fail("mg_analyzer_new: %s", err.msg);
    const char *q = (const char *)data + 1, *nl = memchr(q, '\n', size - 1);
    size_t qn = nl ? (size_t)(nl - q) : size - 1;
    const char *text = nl ? nl + 1 : q + qn;
    size_t len = size - 1 - qn - (nl ? 1 : 0);

    mg_hlset *hl = hlset_of(*a, q, qn);
    mg_snippet_opts o = {.bytes = (opt / 3) % 4 == 0 ? 200 : 8 + opt % 61,
                         .hl_start = "[",
                         .hl_end = "]",
                         .html = opt & 0x80};
    char *full = mg_snippet_make_full(*a, hl, text, len, &o, &err);
    if (!full)
        fuzz_fail("mg_snippet_make_full: %s", err.msg);
    if (!mg_utf8_valid(full, strlen(full)))
        fuzz_fail("snippet is not valid UTF-8");
    for (int pass = 0; pass < 2; pass++) { /* the second from the set's memory */
        char *fast = mg_snippet_make(*a, hl, text, len, &o, &err);
        if (!fast)
            fuzz_fail("mg_snippet_make: %s", err.msg);
        if (strcmp(fast, full) != 0)
            fuzz_fail("pass %d: fast [%s] != full [%s]", pass, fast, full);
        free(fast);
    }
    free(full);
    mg_hlset_free(hl);
    return 0;
}
