/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for date normalisation: mg_date_normalise on arbitrary bytes
 * (cut at the first NUL, as a C string). On success the output must be a
 * real "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ss" (year 1000..9999), normalising
 * it again must give it back unchanged, white space around the input and
 * upper-casing it must not change the result, an input already in the
 * normal form must come back as it is, and "YYYY-MM-DDThh:mm:ss+hh:mm" must
 * convert to UTC as timegm() does. On failure the output is "" and the
 * error MG_EFORMAT. Built with -fsanitize=fuzzer -DMG_LIBFUZZER it is a
 * libFuzzer target; otherwise main() replays tests/fuzz/corpus/date/ as a
 * TAP test (docs/fuzzing.md). */
#include <ctype.h>
#include <time.h>

#include "date.h"
#include "fuzz_input.h"

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

/* An independent answer for the plainest zoned form,
 * "YYYY-MM-DDThh:mm:ss+hh:mm" (or -), exactly 25 characters: the fields by
 * sscanf, the conversion to UTC by timegm(). Returns false for any other
 * input or when the fields are out of range (then normalising must fail). */
static bool reference_zoned(const char *in, char want[20], bool *valid)
{
    int y, mo, d, h, mi, sec, oh, om, n = -1;
    char sign;
    if (strlen(in) != 25 || in[4] != '-' || in[7] != '-' || in[10] != 'T' || in[13] != ':' ||
        in[16] != ':' || in[22] != ':')
        return false;
    for (int i = 0; i < 25; i++)
        if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && i != 19 && i != 22 &&
            !isdigit((unsigned char)in[i]))
            return false;
    if (sscanf(in, "%4d-%2d-%2dT%2d:%2d:%2d%c%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &sign, &oh,
               &om, &n) != 9 ||
        n != 25 || (sign != '+' && sign != '-'))
        return false;
    char date_only[11];
    memcpy(date_only, in, 10);
    date_only[10] = '\0';
    *valid = fuzz_date_well_formed(date_only) && h <= 23 && mi <= 59 && sec <= 60 && oh <= 23 &&
             om <= 59;
    if (!*valid)
        return true;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec == 60 ? 59 : sec};
    time_t t = timegm(&tm) - (sign == '+' ? 1 : -1) * (time_t)(oh * 3600 + om * 60);
    struct tm u;
    if (!gmtime_r(&t, &u) || u.tm_year + 1900 < 1000 || u.tm_year + 1900 > 9999) {
        *valid = false;
        return true;
    }
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d", u.tm_year + 1900, u.tm_mon + 1,
             u.tm_mday, u.tm_hour, u.tm_min, u.tm_sec);
    memcpy(want, tmp, 20); /* 19 characters: every field is in range */
    return true;
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
    char want[20];
    bool valid;
    if (reference_zoned(in, want, &valid)) {
        if (valid != (rc == 0) || (valid && strcmp(out, want) != 0))
            fuzz_fail("\"%s\" gives %s \"%s\", timegm says %s \"%s\"", in,
                      rc == 0 ? "ok" : "failure", out, valid ? "ok" : "failure", valid ? want : "");
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
