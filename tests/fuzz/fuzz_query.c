/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the query parser: parse arbitrary bytes, render and free
 * the tree. Built with -fsanitize=fuzzer -DMG_LIBFUZZER it is a libFuzzer
 * target; otherwise the main() of fuzz_input.h replays every file of a
 * directory (the seed corpus, tests/fuzz/corpus/query/) and prints TAP. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_input.h" /* LLVMFuzzerTestOneInput's prototype; the replay main() */
#include "query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mg_qnode *q = NULL;
    mg_err err;
    mg_query_opts o = {.max_bytes = 8192, .max_terms = 64, .min_prefix = 2};
    int rc = mg_query_parse((const char *)data, size, &o, &q, &err);
    if (rc == 0) {
        if (!q)
            abort();
        char *s = mg_query_render(q);
        free(s);
        mg_query_free(q);
    } else {
        /* every failure is one of ours and says where */
        if (q || err.code == MG_OK || err.msg[0] == '\0')
            abort();
        if (err.code == MG_EQUERY && !mg_query_error_code(&err))
            abort();
    }
    return 0;
}
