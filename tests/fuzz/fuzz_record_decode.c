/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the stored record: mg_record_decode on arbitrary bytes
 * must return 0 or -MG_ECORRUPT (with a message, the record released), never
 * crash or read out of bounds. A record that decodes is encoded and decoded
 * again and must come back the same, field by field. Built with
 * -fsanitize=fuzzer -DMG_LIBFUZZER it is a libFuzzer target; otherwise main()
 * replays tests/fuzz/corpus/record_decode/ as a TAP test (docs/fuzzing.md). */
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mg_record rec;
    mg_err err;
    mg_record_init(&rec);
    /* an exact-size copy, so ASan sees any read past the end */
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);
    int rc = mg_record_decode(copy, size, &rec, &err);
    free(copy);
    if (rc != 0) {
        if (rc != -MG_ECORRUPT && rc != -MG_ENOMEM)
            fuzz_fail("decode returned %d: %s", rc, err.msg);
        if (err.code != -rc || strncmp(err.msg, "stored record: ", 15) != 0)
            fuzz_fail("failure %d with message \"%s\"", rc, err.msg);
        if (!fuzz_is_released(&rec))
            fuzz_fail("a failed decode left fields behind");
        return 0;
    }
    /* Decoding checks structure, not meaning: any bytes may be in a field,
     * but every one must be a real string. */
    const char *f[] = {rec.id, rec.title, rec.date, rec.source,
                       rec.url, rec.author, rec.lang, rec.body};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!f[i])
            fuzz_fail("decoded field %zu is NULL", i);
    if (rec.ncategories > MG_MAX_CATS)
        fuzz_fail("decoded %zu categories", rec.ncategories);
    for (size_t i = 0; i < rec.ncategories; i++)
        if (!rec.categories[i])
            fuzz_fail("decoded category %zu is NULL", i);
    int code;
    if (!fuzz_round_trip(&rec, &code))
        fuzz_fail("a decoded record failed to encode again (%d)", code);
    mg_record_release(&rec);
    return 0;
}
