/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The streaming JSON writer (contract in jsonw.h). */
#include "jsonw.h"
#include "grow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define SEGMENT 1024 /* input bytes of a string escaped per reservation */

void mg_jw_init(mg_jw *w, size_t max)
{
    memset(w, 0, sizeof *w);
    w->max = max ? max : MG_JW_DEFAULT_MAX;
}

void mg_jw_release(mg_jw *w)
{
    free(w->buf);
    size_t max = w->max;
    mg_jw_init(w, max);
}

void mg_jw_truncate(mg_jw *w, size_t len)
{
    if (len > w->len)
        len = w->len;
    w->len = len;
    if (w->buf)
        w->buf[len] = '\0';
    w->depth = 0;
    w->after_key = false;
    w->failed = false;
    w->over = false;
    w->some = 0;
}

void mg_jw_reset(mg_jw *w)
{
    mg_jw_truncate(w, 0);
}

/* Room for n more bytes and the NUL; false (and failed) when there is none. */
static inline bool reserve(mg_jw *w, size_t n)
{
    if (w->failed)
        return false;
    size_t need = w->len + n; /* the common case: the reused buffer has room */
    if (need < w->cap && need <= w->max && need >= n)
        return true;
    if (n > w->max || !mg_grow(&w->buf, &w->cap, w->len + n + 1, 4096, w->max + 1)) {
        w->failed = true;
        w->over = n > w->max || w->len + n > w->max;
        return false;
    }
    return true;
}

static void put(mg_jw *w, const char *s, size_t n)
{
    if (!reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

/* Before a value or a key: the comma between members. */
static void sep(mg_jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    uint32_t bit = 1u << w->depth;
    if (w->some & bit)
        put(w, ",", 1);
    w->some |= bit;
}

static void open_container(mg_jw *w, char c)
{
    sep(w);
    if (w->depth + 1 >= MG_JW_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    put(w, &c, 1);
    w->depth++;
    w->some &= ~(1u << w->depth);
}

static void close_container(mg_jw *w, char c)
{
    if (w->depth <= 0) {
        w->failed = true;
        return;
    }
    w->depth--;
    w->after_key = false;
    put(w, &c, 1);
}

void mg_jw_obj_open(mg_jw *w)
{
    open_container(w, '{');
}

void mg_jw_obj_close(mg_jw *w)
{
    close_container(w, '}');
}

void mg_jw_arr_open(mg_jw *w)
{
    open_container(w, '[');
}

void mg_jw_arr_close(mg_jw *w)
{
    close_container(w, ']');
}

/* For ASCII: 0 copy as is, 'u' \u00XX, else the letter after the backslash. */
static const char esc[128] = {
    ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', [0] = 'u',    [1] = 'u',
    [2] = 'u',    [3] = 'u',    [4] = 'u',    [5] = 'u',    [6] = 'u',    [7] = 'u',    [11] = 'u',
    [14] = 'u',   [15] = 'u',   [16] = 'u',   [17] = 'u',   [18] = 'u',   [19] = 'u',   [20] = 'u',
    [21] = 'u',   [22] = 'u',   [23] = 'u',   [24] = 'u',   [25] = 'u',   [26] = 'u',   [27] = 'u',
    [28] = 'u',   [29] = 'u',   [30] = 'u',   [31] = 'u',   ['"'] = '"',  ['\\'] = '\\'};

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Does any of the 8 bytes in x need more than a copy: a byte >= 0x80, a
 * control character (< 0x20), '"' or '\\'? (Bit tricks from "Bit Twiddling
 * Hacks": a byte of v is zero iff (v - ONES) & ~v & HIGHS flags it.) */
static inline bool needs_care(uint64_t x)
{
    uint64_t quote = x ^ (ONES * '"'), bslash = x ^ (ONES * '\\');
    uint64_t t = (x - ONES * 0x20) | (quote - ONES) | (bslash - ONES);
    return ((t & ~x) | x) & HIGHS;
}

/* The quoted, escaped string; invalid UTF-8 bytes become U+FFFD. */
static void put_string(mg_jw *w, const char *text, size_t n)
{
    static const char hex[] = "0123456789ABCDEF"; /* as jansson writes them */
    const unsigned char *s = (const unsigned char *)text;
    if (!reserve(w, 2))
        return;
    w->buf[w->len++] = '"';
    size_t i = 0;
    while (i < n) {
        size_t seg = n - i < SEGMENT ? n - i : SEGMENT;
        /* Worst case: 6 output bytes per input byte, plus a character of up
         * to 4 bytes that starts inside the segment and ends past it. */
        if (!reserve(w, seg * 6 + 8))
            return;
        char *p = w->buf + w->len;
        size_t end = i + seg;
        while (i < end) {
            /* Eight plain ASCII bytes at a time (the common case). */
            while (i + 8 <= end) {
                uint64_t x;
                memcpy(&x, s + i, 8);
                if (needs_care(x))
                    break;
                memcpy(p, &x, 8);
                p += 8;
                i += 8;
            }
            if (i >= end)
                break;
            unsigned char c = s[i];
            if (c < 0x80) {
                char e = esc[c];
                i++;
                if (!e) {
                    *p++ = (char)c;
                } else if (e != 'u') {
                    *p++ = '\\';
                    *p++ = e;
                } else {
                    memcpy(p, "\\u00", 4);
                    p[4] = hex[c >> 4];
                    p[5] = hex[c & 15];
                    p += 6;
                }
                continue;
            }
            size_t adv;
            uint32_t cp = mg_utf8_decode(s + i, n - i, &adv);
            if (cp == 0x2028 || cp == 0x2029) {
                memcpy(p, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
                p += 6;
            } else {
                p += mg_utf8_put(p, s + i, cp, adv);
            }
            i += adv;
        }
        w->len = (size_t)(p - w->buf);
    }
    if (!reserve(w, 1))
        return;
    w->buf[w->len++] = '"';
    w->buf[w->len] = '\0';
}

void mg_jw_key(mg_jw *w, const char *key)
{
    sep(w);
    /* Keys are nearly always short literals that need no escaping. */
    size_t n = 0;
    while (key[n] && n < 64 && (unsigned char)key[n] >= 0x20 && (unsigned char)key[n] < 0x80 &&
           key[n] != '"' && key[n] != '\\')
        n++;
    if (!key[n]) {
        if (reserve(w, n + 3)) {
            char *p = w->buf + w->len;
            p[0] = '"';
            memcpy(p + 1, key, n);
            p[n + 1] = '"';
            p[n + 2] = ':';
            p[n + 3] = '\0';
            w->len += n + 3;
        }
    } else {
        put_string(w, key, strlen(key));
        put(w, ":", 1);
    }
    w->after_key = true;
}

void mg_jw_strn(mg_jw *w, const char *s, size_t n)
{
    sep(w);
    put_string(w, s, n);
}

void mg_jw_str(mg_jw *w, const char *s)
{
    if (!s)
        mg_jw_null(w);
    else
        mg_jw_strn(w, s, strlen(s));
}

static void put_u64(mg_jw *w, unsigned long long v, bool neg)
{
    char d[24];
    size_t k = sizeof d;
    do {
        d[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (neg)
        d[--k] = '-';
    put(w, d + k, sizeof d - k);
}

void mg_jw_uint(mg_jw *w, unsigned long long v)
{
    sep(w);
    put_u64(w, v, false);
}

void mg_jw_int(mg_jw *w, long long v)
{
    sep(w);
    if (v < 0)
        put_u64(w, 0ull - (unsigned long long)v, true);
    else
        put_u64(w, (unsigned long long)v, false);
}

/* What printf's "%.17g" writes for 1e-4 <= |v| < 2^53 (the range scores
 * live in), without printf: v is m * 2^-k exactly, so its 17 significant
 * digits are m * 10^s / 2^k rounded to nearest, ties to even (as glibc
 * rounds), in 128-bit integers (m < 2^53, 10^s <= 10^21). Such a v is
 * always written without an exponent; trailing zeros of the fraction are
 * dropped, then ".0" is added to a bare integer as jansson does. 0 when v
 * is outside the range. */
static size_t real_fixed(double v, char *out)
{
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 9007199254740992.0))
        return 0;
    int e2;
    double f = frexp(a, &e2); /* a = f * 2^e2, 0.5 <= f < 1 */
    uint64_t m = (uint64_t)ldexp(f, 53);
    int k = 53 - e2; /* a = m / 2^k, 0 <= k <= 67 here */
    static const unsigned __int128 p10[22] = {1ull,
                                              10ull,
                                              100ull,
                                              1000ull,
                                              10000ull,
                                              100000ull,
                                              1000000ull,
                                              10000000ull,
                                              100000000ull,
                                              1000000000ull,
                                              10000000000ull,
                                              100000000000ull,
                                              1000000000000ull,
                                              10000000000000ull,
                                              100000000000000ull,
                                              1000000000000000ull,
                                              10000000000000000ull,
                                              100000000000000000ull,
                                              1000000000000000000ull,
                                              10000000000000000000ull,
                                              (unsigned __int128)10000000000000000000ull * 10,
                                              (unsigned __int128)10000000000000000000ull * 100};
    int x = (int)floor(log10(a)); /* the decimal exponent, corrected below */
    unsigned __int128 q = 0;
    for (int tries = 0; tries < 4; tries++) {
        int s = 16 - x;
        if (s < 0 || s > 21)
            return 0;
        unsigned __int128 n = (unsigned __int128)m * p10[s];
        q = k ? n >> k : n;
        if (k) {
            unsigned __int128 r = n - (q << k), half = (unsigned __int128)1 << (k - 1);
            if (r > half || (r == half && (q & 1)))
                q++;
        }
        if (q >= p10[17])
            x++;
        else if (q < p10[16])
            x--;
        else
            break;
    }
    if (q < p10[16] || q >= p10[17])
        return 0;
    char d[17];
    uint64_t q64 = (uint64_t)q; /* < 10^17 */
    for (int i = 16; i >= 0; i--) {
        d[i] = (char)('0' + (int)(q64 % 10));
        q64 /= 10;
    }
    int nd = 17;       /* significant digits kept: trailing zeros after the point go */
    int point = x + 1; /* digits before the decimal point (<= 0: "0.000ddd") */
    while (nd > point && nd > 1 && d[nd - 1] == '0')
        nd--;
    size_t o = 0;
    if (v < 0)
        out[o++] = '-';
    if (point <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -point; i++)
            out[o++] = '0';
        memcpy(out + o, d, (size_t)nd);
        o += (size_t)nd;
    } else {
        memcpy(out + o, d, (size_t)point);
        o += (size_t)point;
        out[o++] = '.';
        if (nd > point) {
            memcpy(out + o, d + point, (size_t)(nd - point));
            o += (size_t)(nd - point);
        } else {
            out[o++] = '0';
        }
    }
    return o;
}

void mg_jw_real(mg_jw *w, double v)
{
    if (!isfinite(v)) {
        mg_jw_null(w);
        return;
    }
    sep(w);
    char b[48];
    size_t fast = real_fixed(v, b);
    if (fast) {
        put(w, b, fast);
        return;
    }
    /* jansson's form: %.17g, a ".0" when it would read back as an integer,
     * the exponent without '+' or leading zeros. */
    int n = snprintf(b, sizeof b - 3, "%.17g", v);
    if (n < 0 || (size_t)n >= sizeof b - 3) {
        w->failed = true;
        return;
    }
    size_t len = (size_t)n;
    if (!memchr(b, '.', len) && !memchr(b, 'e', len)) {
        memcpy(b + len, ".0", 3);
        len += 2;
    }
    char *e = memchr(b, 'e', len);
    if (e) {
        char *start = e + 1, *digits = e + 2;
        if (*start == '-')
            start++;
        while (*digits == '0' && digits[1])
            digits++;
        if (digits != start) {
            memmove(start, digits, len - (size_t)(digits - b) + 1);
            len -= (size_t)(digits - start);
        }
    }
    put(w, b, len);
}

void mg_jw_bool(mg_jw *w, bool v)
{
    sep(w);
    if (v)
        put(w, "true", 4);
    else
        put(w, "false", 5);
}

void mg_jw_null(mg_jw *w)
{
    sep(w);
    put(w, "null", 4);
}

void mg_jw_strs(mg_jw *w, char *const *v, size_t n)
{
    mg_jw_arr_open(w);
    for (size_t i = 0; i < n; i++)
        mg_jw_str(w, v[i]);
    mg_jw_arr_close(w);
}

void mg_jw_kv_str(mg_jw *w, const char *key, const char *s)
{
    mg_jw_key(w, key);
    mg_jw_str(w, s);
}

void mg_jw_kv_int(mg_jw *w, const char *key, long long v)
{
    mg_jw_key(w, key);
    mg_jw_int(w, v);
}

void mg_jw_kv_uint(mg_jw *w, const char *key, unsigned long long v)
{
    mg_jw_key(w, key);
    mg_jw_uint(w, v);
}

void mg_jw_kv_bool(mg_jw *w, const char *key, bool v)
{
    mg_jw_key(w, key);
    mg_jw_bool(w, v);
}

void mg_jw_insert(mg_jw *w, size_t at, const char *bytes, size_t n)
{
    if (at > w->len || !reserve(w, n))
        return;
    memmove(w->buf + at + n, w->buf + at, w->len - at + 1);
    memcpy(w->buf + at, bytes, n);
    w->len += n;
}

char *mg_jw_take(mg_jw *w, size_t *len)
{
    char *b = w->failed || !w->buf ? NULL : w->buf;
    if (len)
        *len = b ? w->len : 0;
    if (b)
        w->buf = NULL;
    size_t max = w->max;
    free(w->buf);
    mg_jw_init(w, max);
    return b;
}
