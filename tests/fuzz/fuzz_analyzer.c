/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the analyser: any bytes in, well-formed tokens out.
 * Built with -fsanitize=fuzzer -DMG_LIBFUZZER it is a libFuzzer target;
 * otherwise main() (fuzz_input.h) replays tests/fuzz/corpus/analyzer/. */
#include "analyzer.h"
#include "fuzz_input.h"

typedef struct check_ctx {
    size_t len;
    unsigned next_pos;
    size_t last_start;
    long seen;
} check_ctx;

static int check_token(void *vctx, const mg_token *t)
{
    check_ctx *c = vctx;
    if (t->pos != c->next_pos)
        fuzz_fail("position %u, expected %u", t->pos, c->next_pos);
    c->next_pos++;
    if (t->start >= t->end || t->end > c->len)
        fuzz_fail("token span %zu..%zu outside input of %zu bytes", t->start, t->end, c->len);
    if (t->start < c->last_start)
        fuzz_fail("token at %zu after one at %zu", t->start, c->last_start);
    c->last_start = t->start;
    if (t->term_len == 0 || t->term_len > MG_TERM_MAX || t->word_len == 0)
        fuzz_fail("term length %zu, word length %zu", t->term_len, t->word_len);
    if (!mg_utf8_valid(t->term, t->term_len) || !mg_utf8_valid(t->word, t->word_len))
        fuzz_fail("term or word is not valid UTF-8");
    if (memchr(t->term, ' ', t->term_len) || memchr(t->term, '\0', t->term_len))
        fuzz_fail("term holds a space or NUL");
    c->seen++;
    return 0;
}

static void run(mg_analyzer *an, const uint8_t *data, size_t size, int flags)
{
    check_ctx c = {.len = size, .next_pos = 7};
    mg_err err;
    long n = mg_analyze(an, (const char *)data, size, 7, flags, check_token, &c, &err);
    if (n != c.seen)
        fuzz_fail("mg_analyze returned %ld after %ld tokens", n, c.seen);

    char out[MG_TERM_MAX + 1];
    long w = mg_analyze_word(an, (const char *)data, size, flags, out, sizeof out, &err);
    if (w >= 0 && ((size_t)w >= sizeof out || strlen(out) != (size_t)w))
        fuzz_fail("mg_analyze_word length %ld", w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mg_analyzer *english, *none;
    mg_err err;
    if (!english && !(english = mg_analyzer_new("english", &err)))
        fuzz_fail("mg_analyzer_new: %s", err.msg);
    if (!none && !(none = mg_analyzer_new("none", &err)))
        fuzz_fail("mg_analyzer_new: %s", err.msg);

    run(english, data, size, 0);
    run(english, data, size, MG_AN_NOSTEM);
    run(none, data, size, 0);

    char folded[512];
    long f = mg_fold_phrase((const char *)data, size, folded, sizeof folded, &err);
    if (f >= 0 && ((size_t)f >= sizeof folded || !mg_utf8_valid(folded, (size_t)f)))
        fuzz_fail("mg_fold_phrase gave %ld bytes of bad UTF-8", f);
    return 0;
}
