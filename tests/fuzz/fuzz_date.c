/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for date normalisation: mg_date_normalise on arbitrary bytes
 * (cut at the first NUL, as a C string). On success the output must be a
 * real "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ss" (year 1000..9999), normalising
 * it again must give it back unchanged, white space around the input and
 * upper-casing it must not change the result, and an input already in the
 * normal form must come back as it is. On failure the output is "" and the
 * error MG_EFORMAT. Built with -fsanitize=fuzzer -DMG_LIBFUZZER it is a
 * libFuzzer target; otherwise main() replays tests/fuzz/corpus/date/ as a
 * TAP test (docs/fuzzing.md). */
#include <ctype.h>

#include "fuzz_input.h"
#include "reader.h"

/* Normalise s into a heap buffer of exactly 20 bytes, so ASan sees a write
 * past the end; checks the failure contract. Returns rc, copies out. */
static int normalise(const char *s, char out[20])
{
    char *buf = malloc(20);
    mg_err err;
    if (!buf)
        abort();
    memset(buf, 'x', 20);
    int rc = mg_date_normalise(s, buf, &err);
    if (rc != 0) {
        if (rc != -MG_EFORMAT || err.code != MG_EFORMAT || !err.msg[0])
            fuzz_fail("date failure %d \"%s\"", rc, err.msg);
        if (buf[0] != '\0')
            fuzz_fail("failed date left output \"%.20s\"", buf);
    } else {
        if (!memchr(buf, '\0', 20))
            fuzz_fail("output not terminated");
        if (err.code != MG_OK)
            fuzz_fail("success with error code %d", err.code);
    }
    memcpy(out, buf, 20);
    free(buf);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) /* dates are short; a long input only slows the search */
        return 0;
    char *s = malloc(size + 3);
    if (!s)
        return 0;
    memcpy(s + 1, data, size);
    s[size + 1] = '\0';
    const char *in = s + 1;
    char out[20], again[20], other[20];
    int rc = normalise(in, out);
    if (rc == 0) {
        if (!fuzz_date_well_formed(out))
            fuzz_fail("\"%s\" normalised to malformed \"%s\"", in, out);
        if (normalise(out, again) != 0 || strcmp(out, again) != 0)
            fuzz_fail("not idempotent: \"%s\" -> \"%s\" -> \"%s\"", in, out, again);
        if (fuzz_date_well_formed(in) && strcmp(in, out) != 0)
            fuzz_fail("normal form \"%s\" changed to \"%s\"", in, out);
        char *up = strdup(in);
        if (!up)
            abort();
        for (char *p = up; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        if (normalise(up, other) != 0 || strcmp(out, other) != 0)
            fuzz_fail("upper-cased \"%s\" gives \"%s\", not \"%s\"", up, other, out);
        free(up);
    }
    /* surrounding white space is ignored, whatever the input */
    size_t n = strlen(in);
    s[0] = ' ';
    s[n + 1] = '\t';
    s[n + 2] = '\0';
    int rc2 = normalise(s, other);
    if ((rc == 0) != (rc2 == 0) || (rc == 0 && strcmp(out, other) != 0))
        fuzz_fail("white space around \"%s\" changes the result", in);
    free(s);
    return 0;
}
