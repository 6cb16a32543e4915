/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the protocol handler: any bytes as a request, without an
 * index, so every validation path runs (a valid request ends in
 * "unavailable"). The reply must always be an object with "v" and "ok" that
 * serialises. Built with -fsanitize=fuzzer -DMG_LIBFUZZER it is a libFuzzer
 * target; otherwise the main() of fuzz_input.h replays every file of a
 * directory (the seed corpus, tests/fuzz/corpus/protocol/) and prints TAP. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_input.h" /* LLVMFuzzerTestOneInput's prototype; the replay main() */
#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *r = mg_proto_handle(NULL, (const char *)data, size);
    if (!r || !json_is_integer(json_object_get(r, "v")) ||
        !json_is_boolean(json_object_get(r, "ok")))
        abort();
    if (json_is_false(json_object_get(r, "ok")) &&
        !json_is_string(json_object_get(json_object_get(r, "error"), "code")))
        abort();
    size_t n;
    char *s = mg_proto_dump(r, &n);
    if (!s)
        abort();
    free(s);
    json_decref(r);
    return 0;
}
