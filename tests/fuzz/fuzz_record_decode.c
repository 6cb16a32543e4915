/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the stored record: mg_record_decode on arbitrary bytes
 * (either format version: LZ4 block or plain payload) must return 0 or
 * -MG_ECORRUPT (with a message, the record released), never crash or read
 * out of bounds. A record that decodes is encoded again in each version,
 * decoded, and must come back the same, field by field. An input that starts
 * with the byte 0xff is a raw payload, given a correct header here, so the
 * field parser behind the checksum is fuzzed too. A plain (version 2) record
 * that decodes must be byte for byte what the encoder writes for it. Built with
 * -fsanitize=fuzzer -DMG_LIBFUZZER it is a libFuzzer target; otherwise main()
 * replays tests/fuzz/corpus/record_decode/ as a TAP test (docs/fuzzing.md). */
#include "fuzz_input.h"

/* FNV-1a 32 (record.h): the checksum of the raw payload. */
static uint32_t checksum(const unsigned char *p, size_t n)
{
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}

/* Wrap payload bytes in a correct version 2 header (size and checksum), so
 * the fuzzer reaches the field parser without having to guess a checksum. */
static unsigned char *wrap_plain(const unsigned char *payload, size_t n, size_t *out_len)
{
    unsigned char *out = malloc(n + 10), *p = out;
    if (!out)
        return NULL;
    *p++ = MG_RECORD_PLAIN;
    size_t v = n;
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    uint32_t sum = checksum(payload, n);
    for (int shift = 24; shift >= 0; shift -= 8)
        *p++ = (unsigned char)(sum >> shift);
    memcpy(p, payload, n);
    *out_len = (size_t)(p - out) + n;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mg_record rec;
    mg_err err;
    mg_record_init(&rec);
    unsigned char *copy;
    /* An input starting with 0xff (no format version) is a raw payload: it is
     * given a good header. Anything else is decoded as it is, from an
     * exact-size copy, so ASan sees any read past the end. */
    if (size > 0 && data[0] == 0xff) {
        copy = wrap_plain(data + 1, size - 1, &size);
    } else {
        copy = malloc(size ? size : 1);
        if (copy && size)
            memcpy(copy, data, size);
    }
    if (!copy)
        return 0;
    int rc = mg_record_decode(copy, size, &rec, &err);
    if (rc == 0 && copy[0] == MG_RECORD_PLAIN) {
        /* A plain record has one encoding: what decodes must be exactly what
         * the encoder writes (no stray bytes, no long varints). */
        unsigned char *again = NULL;
        size_t n = 0;
        if (mg_record_encode_as(&rec, MG_RECORD_PLAIN, &again, &n, &err) != 0)
            fuzz_fail("a decoded plain record cannot be encoded: %s", err.msg);
        if (n != size || memcmp(again, copy, n) != 0)
            fuzz_fail("a plain record of %zu bytes decodes, but encodes back to %zu other bytes",
                      size, n);
        free(again);
    }
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
    const char *f[] = {rec.id,  rec.title,  rec.date, rec.source,
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
