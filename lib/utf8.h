/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UTF-8 decoding that never fails: invalid bytes read as U+FFFD. */
#ifndef MG_UTF8_H
#define MG_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_REPLACEMENT 0xFFFDu

/* Decode the character at s (len > 0 bytes available). Sets *adv to the
 * bytes consumed (1..4, never 0) and returns the code point; an invalid or
 * truncated sequence, an overlong form, a surrogate or a value past U+10FFFF
 * consumes one byte and returns U+FFFD. */
uint32_t mg_utf8_decode(const unsigned char *s, size_t len, size_t *adv);

/* Encode cp (<= U+10FFFF) into out; returns the byte count (1..4). */
size_t mg_utf8_encode(uint32_t cp, unsigned char out[4]);

/* Whether the character mg_utf8_decode() read at s (cp, adv) is an invalid
 * byte rather than a U+FFFD the input spelled out (EF BF BD). */
static inline bool mg_utf8_bad(const unsigned char *s, uint32_t cp, size_t adv)
{
    return cp == MG_REPLACEMENT && adv == 1 && s[0] >= 0x80;
}

/* Write the character mg_utf8_decode() read at s (cp, adv) to out: itself,
 * or U+FFFD for an invalid byte. Returns the bytes written (1..4). */
static inline size_t mg_utf8_put(char *out, const unsigned char *s, uint32_t cp, size_t adv)
{
    if (mg_utf8_bad(s, cp, adv)) {
        out[0] = '\xEF', out[1] = '\xBF', out[2] = '\xBD';
        return 3;
    }
    for (size_t i = 0; i < adv; i++)
        out[i] = (char)s[i];
    return adv;
}

/* true when text is entirely valid UTF-8. */
bool mg_utf8_valid(const char *text, size_t len);

/* Copy text into a new NUL-terminated buffer (*out, caller frees; *out_len
 * without the NUL), each invalid byte replaced by U+FFFD. Returns the number
 * of bytes replaced (>= 0) or -1 when out of memory (*out is then NULL). */
long mg_utf8_repair(const char *text, size_t len, char **out, size_t *out_len);

/* Length of the longest prefix of s (at most max bytes) that does not cut a
 * character in half. s must be valid UTF-8. */
size_t mg_utf8_clip(const char *s, size_t len, size_t max);

#endif
