/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UTF-8 decoding that never fails: invalid bytes read as U+FFFD. */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

uint32_t mg_utf8_decode(const unsigned char *s, size_t len, size_t *adv)
{
    unsigned char c = s[0];
    uint32_t cp, min;
    size_t n;

    *adv = 1;
    if (c < 0x80)
        return c;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return MG_REPLACEMENT;
    }
    if (len < n)
        return MG_REPLACEMENT;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return MG_REPLACEMENT;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return MG_REPLACEMENT;
    *adv = n;
    return cp;
}

size_t mg_utf8_encode(uint32_t cp, unsigned char out[4])
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

bool mg_utf8_valid(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, adv;
    while (i < len) {
        /* Most text is ASCII: step over it eight bytes at a time. */
        uint64_t w;
        if (len - i >= sizeof w && (memcpy(&w, s + i, sizeof w), !(w & 0x8080808080808080u))) {
            i += sizeof w;
            continue;
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp = mg_utf8_decode(s + i, len - i, &adv);
        if (mg_utf8_bad(s + i, cp, adv))
            return false;
        i += adv;
    }
    return true;
}

long mg_utf8_repair(const char *text, size_t len, char **out, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)text;
    /* Each bad byte grows to three: the worst case is 3 * len. */
    unsigned char *buf = malloc(len * 3 + 1);
    size_t i = 0, o = 0, adv;
    long bad = 0;

    *out = NULL;
    if (!buf)
        return -1;
    while (i < len) {
        if (s[i] < 0x80) {
            buf[o++] = s[i++];
            continue;
        }
        uint32_t cp = mg_utf8_decode(s + i, len - i, &adv);
        bad += mg_utf8_bad(s + i, cp, adv);
        o += mg_utf8_put((char *)buf + o, s + i, cp, adv);
        i += adv;
    }
    buf[o] = '\0';
    *out = (char *)buf;
    if (out_len)
        *out_len = o;
    return bad;
}

size_t mg_utf8_clip(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}
