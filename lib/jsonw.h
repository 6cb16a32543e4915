/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small streaming JSON writer: values go straight into one growing buffer,
 * compact, with commas placed for the caller. It writes replies (the
 * protocol's hot path); parsing stays with jansson.
 *
 * Strings are written as valid UTF-8 whatever they hold: each invalid byte
 * becomes U+FFFD (as mg_utf8_repair() does), '"', '\\' and control
 * characters are escaped (\n \t \r \b \f, else \u00XX), and U+2028/U+2029
 * are written as \u2028/\u2029 so the text is also a JavaScript literal.
 * Numbers: integers in decimal; reals as jansson prints them ("%.17g",
 * always with a '.' or an exponent); a non-finite real is written as null.
 *
 * Errors are sticky: when the buffer cannot grow (out of memory, or past
 * max bytes) the writer is marked failed, later calls do nothing, and
 * mg_jw_failed() says so. The caller checks once at the end. */
#ifndef MG_JSONW_H
#define MG_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_JW_MAX_DEPTH 32             /* deeper nesting marks the writer failed */
#define MG_JW_DEFAULT_MAX (256u << 20) /* bytes, when max is 0 */

typedef struct mg_jw {
    char *buf;      /* the text, NUL-terminated (NULL before the first write) */
    size_t len;     /* bytes written, without the NUL */
    size_t cap;     /* bytes allocated */
    size_t max;     /* the most bytes the text may reach; 0: MG_JW_DEFAULT_MAX */
    int depth;      /* open objects and arrays */
    bool after_key; /* a key was written; its value comes next */
    bool failed;
    bool over;     /* failed because the text would pass max (not out of memory) */
    uint32_t some; /* bit d: the container at depth d already has a member */
} mg_jw;

/* Start empty. max: the size cap in bytes (0 for the default). */
void mg_jw_init(mg_jw *w, size_t max);
/* Free the buffer (the struct may be initialised again). */
void mg_jw_release(mg_jw *w);
/* Empty the text and clear the failed flag, keeping the buffer for reuse. */
void mg_jw_reset(mg_jw *w);
/* Cut the text back to len bytes (len <= w->len) at the top level: for
 * replacing what was written. Clears the nesting state and failed flag. */
void mg_jw_truncate(mg_jw *w, size_t len);

static inline bool mg_jw_failed(const mg_jw *w)
{
    return w->failed;
}

/* The writer failed because the text would have passed its max bytes. */
static inline bool mg_jw_over_max(const mg_jw *w)
{
    return w->failed && w->over;
}

void mg_jw_obj_open(mg_jw *w);
void mg_jw_obj_close(mg_jw *w);
void mg_jw_arr_open(mg_jw *w);
void mg_jw_arr_close(mg_jw *w);
/* An object member's key (any text: escaped like a string value). */
void mg_jw_key(mg_jw *w, const char *key);

/* A string value; NULL writes null. */
void mg_jw_str(mg_jw *w, const char *s);
/* A string value of n bytes (may hold NUL bytes: written as \u0000). */
void mg_jw_strn(mg_jw *w, const char *s, size_t n);
void mg_jw_int(mg_jw *w, long long v);
void mg_jw_uint(mg_jw *w, unsigned long long v);
void mg_jw_real(mg_jw *w, double v);
void mg_jw_bool(mg_jw *w, bool v);
void mg_jw_null(mg_jw *w);
/* An array of n strings (NULL items are null). */
void mg_jw_strs(mg_jw *w, char *const *v, size_t n);

/* An object member in one call: the key, then the value. */
void mg_jw_kv_str(mg_jw *w, const char *key, const char *s);
void mg_jw_kv_int(mg_jw *w, const char *key, long long v);
void mg_jw_kv_uint(mg_jw *w, const char *key, unsigned long long v);
void mg_jw_kv_bool(mg_jw *w, const char *key, bool v);

/* Insert n raw bytes at byte offset at (<= w->len), moving the rest up: the
 * caller keeps the text valid JSON. */
void mg_jw_insert(mg_jw *w, size_t at, const char *bytes, size_t n);

/* Take the text: returns the malloc'd NUL-terminated buffer (caller frees;
 * *len without the NUL) and leaves the writer empty; NULL when it failed
 * or nothing was written. */
char *mg_jw_take(mg_jw *w, size_t *len);

#endif
