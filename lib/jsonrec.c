/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One JSON Lines record to an mg_record: field types, caps, ids, dates. */
#include "jsonrec.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "hash.h"
#include "utf8.h"

/* Longest raw value quoted back in a "bad date" message. */
#define DATE_QUOTE_MAX 64

/* The fields being collected; freed by parse_release on every path. */
typedef struct parse_state {
    const char *where;
    mg_err *err;
    char *strs[8]; /* id, title, date(raw), source, url, author, lang, body */
    char **cats;
    size_t ncats;
    unsigned nul_stripped;
} parse_state;

enum { F_ID, F_TITLE, F_DATE, F_SOURCE, F_URL, F_AUTHOR, F_LANG, F_BODY, F_CATEGORY, F_TOPICS };
#define NFIELDS 10

static const struct {
    const char *name;
    size_t len; /* strlen(name) */
    size_t cap;
} fields[NFIELDS] = {
    [F_ID] = {"id", sizeof "id" - 1, MG_MAX_ID},
    [F_TITLE] = {"title", sizeof "title" - 1, MG_MAX_TITLE},
    [F_DATE] = {"date", sizeof "date" - 1, MG_MAX_FIELD},
    [F_SOURCE] = {"source", sizeof "source" - 1, MG_MAX_FIELD},
    [F_URL] = {"url", sizeof "url" - 1, MG_MAX_FIELD},
    [F_AUTHOR] = {"author", sizeof "author" - 1, MG_MAX_FIELD},
    [F_LANG] = {"lang", sizeof "lang" - 1, MG_MAX_FIELD},
    [F_BODY] = {"body", sizeof "body" - 1, MG_MAX_BODY},
    [F_CATEGORY] = {"category", sizeof "category" - 1, MG_MAX_FIELD},
    [F_TOPICS] = {"topics", sizeof "topics" - 1, MG_MAX_FIELD},
};

/* The value of one known field, whichever parser read it. Strings are
 * borrowed (from the line, the fast parser's buffer or jansson's tree) and
 * may hold NUL bytes ("\u0000"). */
enum { K_ABSENT = 0, K_NULL, K_STRING, K_ARRAY, K_OTHER };
typedef struct jstr {
    const char *s;
    size_t len;
} jstr;
typedef struct jval {
    int kind;
    jstr str;         /* K_STRING */
    size_t first, n;  /* K_ARRAY of strings: elems[first, first + n) */
    bool all_strings; /* K_ARRAY: every element is a string */
} jval;
typedef struct jobj {
    jval v[NFIELDS];
    jstr *elems;
    size_t nelems, cap;
} jobj;

static int push_elem(jobj *o, const char *s, size_t len)
{
    if (o->nelems == o->cap) {
        size_t ncap = o->cap ? 2 * o->cap : 16;
        jstr *p = realloc(o->elems, ncap * sizeof *p);
        if (!p)
            return -1;
        o->elems = p;
        o->cap = ncap;
    }
    o->elems[o->nelems].s = s;
    o->elems[o->nelems].len = len;
    o->nelems++;
    return 0;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A copy of s[0..len) without NUL characters (JSON "\u0000": invisible in
 * text and fatal to C strings, so they are dropped and counted) and without
 * leading or trailing white space. NULL when out of memory. */
static char *clean_copy(const char *s, size_t len, unsigned *nuls)
{
    while (len > 0 && is_space((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_space((unsigned char)s[len - 1]))
        len--;
    char *out = malloc(len + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    if (!memchr(s, '\0', len)) { /* the usual case: one copy, nothing to trim */
        memcpy(out, s, len);
        out[len] = '\0';
        return out;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\0')
            (*nuls)++;
        else
            out[o++] = s[i];
    }
    out[o] = '\0';
    /* Dropping a NUL can expose new edge white space ("\u0000 x"); trim again. */
    size_t start = 0;
    while (start < o && is_space((unsigned char)out[start]))
        start++;
    while (o > start && is_space((unsigned char)out[o - 1]))
        o--;
    memmove(out, out + start, o - start);
    out[o - start] = '\0';
    return out;
}

static int too_long(parse_state *st, const char *name, size_t n, size_t cap)
{
    return mg_err_set(st->err, MG_EFORMAT, "%s: field \"%s\" too long (%zu bytes, cap %zu)",
                      st->where, name, n, cap);
}

/* A plain string field: absent or null leaves it NULL. */
static int take_string(parse_state *st, const jobj *obj, int f)
{
    const jval *v = &obj->v[f];
    if (v->kind == K_ABSENT || v->kind == K_NULL)
        return 0;
    if (v->kind != K_STRING)
        return mg_err_set(st->err, MG_EFORMAT, "%s: field \"%s\" must be a string", st->where,
                          fields[f].name);
    char *s = clean_copy(v->str.s, v->str.len, &st->nul_stripped);
    if (!s)
        return mg_err_set(st->err, MG_ENOMEM, "%s: out of memory", st->where);
    st->strs[f] = s;
    if (strlen(s) > fields[f].cap)
        return too_long(st, fields[f].name, strlen(s), fields[f].cap);
    return 0;
}

/* author: a string, or an array of strings joined with "; ". */
static int take_author(parse_state *st, const jobj *obj)
{
    const jval *v = &obj->v[F_AUTHOR];
    size_t total = 0;

    if (v->kind == K_ABSENT || v->kind == K_NULL || v->kind == K_STRING)
        return take_string(st, obj, F_AUTHOR);
    if (v->kind != K_ARRAY || !v->all_strings)
        goto bad_type;
    for (size_t i = 0; i < v->n; i++)
        total += obj->elems[v->first + i].len + 2;
    char *out = malloc(total + 1);
    if (!out)
        return mg_err_set(st->err, MG_ENOMEM, "%s: out of memory", st->where);
    size_t o = 0;
    for (size_t i = 0; i < v->n; i++) {
        const jstr *e = &obj->elems[v->first + i];
        char *s = clean_copy(e->s, e->len, &st->nul_stripped);
        if (!s) {
            free(out);
            return mg_err_set(st->err, MG_ENOMEM, "%s: out of memory", st->where);
        }
        size_t n = strlen(s);
        if (n > 0) {
            if (o > 0) {
                memcpy(out + o, "; ", 2);
                o += 2;
            }
            memcpy(out + o, s, n);
            o += n;
        }
        free(s);
    }
    out[o] = '\0';
    st->strs[F_AUTHOR] = out;
    if (o > MG_MAX_FIELD)
        return too_long(st, "author", o, MG_MAX_FIELD);
    return 0;
bad_type:
    return mg_err_set(st->err, MG_EFORMAT,
                      "%s: field \"author\" must be a string or an array of strings", st->where);
}

static int add_category(parse_state *st, const char *name, const jstr *e)
{
    char *s = clean_copy(e->s, e->len, &st->nul_stripped);
    if (!s)
        return mg_err_set(st->err, MG_ENOMEM, "%s: out of memory", st->where);
    if (!*s) {
        free(s);
        return 0;
    }
    if (strlen(s) > MG_MAX_FIELD) {
        size_t n = strlen(s);
        free(s);
        return too_long(st, name, n, MG_MAX_FIELD);
    }
    for (size_t i = 0; i < st->ncats; i++) {
        if (strcmp(st->cats[i], s) == 0) {
            free(s);
            return 0;
        }
    }
    if (st->ncats >= MG_MAX_CATS) {
        free(s);
        return mg_err_set(st->err, MG_EFORMAT, "%s: too many categories (cap %d)", st->where,
                          MG_MAX_CATS);
    }
    st->cats[st->ncats++] = s;
    return 0;
}

/* category and topics: a string or an array of strings each; the union of
 * both, in input order, without repeats or empty names. */
static int take_categories(parse_state *st, const jobj *obj, int f)
{
    const jval *v = &obj->v[f];
    const char *name = fields[f].name;
    int rc;

    if (v->kind == K_ABSENT || v->kind == K_NULL)
        return 0;
    if (v->kind == K_STRING)
        return add_category(st, name, &v->str);
    if (v->kind != K_ARRAY || !v->all_strings)
        goto bad_type;
    for (size_t i = 0; i < v->n; i++) {
        if ((rc = add_category(st, name, &obj->elems[v->first + i])) < 0)
            return rc;
    }
    return 0;
bad_type:
    return mg_err_set(st->err, MG_EFORMAT,
                      "%s: field \"%s\" must be a string or an array of strings", st->where, name);
}

/* An id for a record without one: from the url when there is one (a
 * re-crawled article keeps its id), else from the exact title and body. */
static char *derive_id(const parse_state *st)
{
    char *id = malloc(24);
    uint64_t h;
    if (!id)
        return NULL;
    if (st->strs[F_URL] && *st->strs[F_URL]) {
        h = mg_fnv1a64(MG_FNV64_OFFSET, st->strs[F_URL], strlen(st->strs[F_URL]));
        snprintf(id, 24, "url-%016llx", (unsigned long long)h);
    } else {
        const char *t = st->strs[F_TITLE] ? st->strs[F_TITLE] : "";
        const char *b = st->strs[F_BODY] ? st->strs[F_BODY] : "";
        h = mg_fnv1a64(MG_FNV64_OFFSET, t, strlen(t) + 1); /* the NUL separates title from body */
        h = mg_fnv1a64(h, b, strlen(b));
        snprintf(id, 24, "sha-%016llx", (unsigned long long)h);
    }
    return id;
}

static void parse_release(parse_state *st)
{
    for (int i = 0; i < 8; i++)
        free(st->strs[i]);
    for (size_t i = 0; i < st->ncats; i++)
        free(st->cats[i]);
    free(st->cats);
}

/* Everything after a successful json parse. */
static int fill_from_object(parse_state *st, const jobj *obj, mg_record *rec)
{
    static const int plain[] = {F_ID, F_TITLE, F_BODY, F_DATE, F_SOURCE, F_URL, F_LANG};
    char date[20] = "";
    int rc;

    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if ((rc = take_string(st, obj, plain[i])) < 0)
            return rc;
    if ((rc = take_author(st, obj)) < 0)
        return rc;
    /* Room for every category the two fields name (repeats and empty names
     * are dropped later), never more than the cap. */
    size_t most = 0;
    for (int f = F_CATEGORY; f <= F_TOPICS; f++)
        most += obj->v[f].kind == K_STRING ? 1 : obj->v[f].kind == K_ARRAY ? obj->v[f].n : 0;
    if (most > MG_MAX_CATS)
        most = MG_MAX_CATS;
    st->cats = malloc((most ? most : 1) * sizeof *st->cats);
    if (!st->cats)
        return mg_err_set(st->err, MG_ENOMEM, "%s: out of memory", st->where);
    if ((rc = take_categories(st, obj, F_CATEGORY)) < 0 ||
        (rc = take_categories(st, obj, F_TOPICS)) < 0)
        return rc;

    if ((!st->strs[F_TITLE] || !*st->strs[F_TITLE]) && (!st->strs[F_BODY] || !*st->strs[F_BODY]))
        return mg_err_set(st->err, MG_EFORMAT, "%s: neither title nor body", st->where);
    if (st->strs[F_DATE] && *st->strs[F_DATE] &&
        mg_date_normalise(st->strs[F_DATE], date, NULL) < 0) {
        char quoted[DATE_QUOTE_MAX + 4];
        size_t n = strlen(st->strs[F_DATE]);
        if (n > DATE_QUOTE_MAX)
            snprintf(quoted, sizeof quoted, "%.*s...",
                     (int)mg_utf8_clip(st->strs[F_DATE], n, DATE_QUOTE_MAX), st->strs[F_DATE]);
        else
            snprintf(quoted, sizeof quoted, "%s", st->strs[F_DATE]);
        return mg_err_set(st->err, MG_EFORMAT, "%s: bad date \"%s\"", st->where, quoted);
    }
    if (!st->strs[F_ID] || !*st->strs[F_ID]) {
        free(st->strs[F_ID]);
        if (!(st->strs[F_ID] = derive_id(st)))
            return mg_err_set(st->err, MG_ENOMEM, "%s: out of memory", st->where);
    }
    free(st->strs[F_DATE]);
    if (!(st->strs[F_DATE] = strdup(date)))
        return mg_err_set(st->err, MG_ENOMEM, "%s: out of memory", st->where);
    for (int i = 0; i < 8; i++)
        if (!st->strs[i] && !(st->strs[i] = strdup("")))
            return mg_err_set(st->err, MG_ENOMEM, "%s: out of memory", st->where);

    /* Success: move everything into the record. */
    rec->id = st->strs[F_ID];
    rec->title = st->strs[F_TITLE];
    rec->date = st->strs[F_DATE];
    rec->source = st->strs[F_SOURCE];
    rec->url = st->strs[F_URL];
    rec->author = st->strs[F_AUTHOR];
    rec->lang = st->strs[F_LANG];
    rec->body = st->strs[F_BODY];
    memset(st->strs, 0, sizeof st->strs);
    if (st->ncats == 0) {
        free(st->cats);
        st->cats = NULL;
    }
    rec->categories = st->cats;
    rec->ncategories = st->ncats;
    st->cats = NULL;
    st->ncats = 0;
    return 0;
}

/* Append a note to warning: "WHERE: note", or "; note" after an earlier one. */
static void add_warning(char *warning, size_t cap, const char *where, const char *note)
{
    if (!warning || cap == 0)
        return;
    size_t used = strlen(warning);
    if (used == 0)
        snprintf(warning, cap, "%s: %s", where, note);
    else if (used + 1 < cap)
        snprintf(warning + used, cap - used, "; %s", note);
}

/* ---- The fast parser ------------------------------------------------------
 * Most lines are flat objects of strings, arrays of strings, small numbers
 * and null: this reads those straight into a jobj, without building a
 * jansson tree (which costs ~150 instructions a byte and a few mallocs per
 * field). Anything else -- a syntax error, nested containers, an exponent, a
 * long number, an escape in a key, a control character, a lone surrogate --
 * makes it give up, and the line goes to jansson, which decides (and words
 * the error) exactly as before. tests/unit/test_jsonrec.c checks that both
 * paths agree on every line of the real corpora and the fuzz corpus. */
typedef struct lexer {
    const unsigned char *p, *end;
    char *out; /* where the next decoded string goes */
} lexer;

static void skip_ws(lexer *L)
{
    while (L->p < L->end && (*L->p == ' ' || *L->p == '\t' || *L->p == '\n' || *L->p == '\r'))
        L->p++;
}

static int peek(const lexer *L)
{
    return L->p < L->end ? *L->p : -1;
}

/* Skip white space, then the character c if it comes next: true if it did. */
static bool eat(lexer *L, int c)
{
    skip_ws(L);
    if (peek(L) != c)
        return false;
    L->p++;
    return true;
}

static int hex4(const unsigned char *p, const unsigned char *end, uint32_t *cp)
{
    uint32_t v = 0;
    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        if (c >= '0' && c <= '9')
            c -= '0';
        else if (c >= 'a' && c <= 'f')
            c -= 'a' - 10;
        else if (c >= 'A' && c <= 'F')
            c -= 'A' - 10;
        else
            return -1;
        v = v << 4 | c;
    }
    *cp = v;
    return 0;
}

static char *put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Bytes a JSON string holds as they are: not '"', not '\\', not a control
 * character. */
static const bool str_plain[256] = {
#define P4(c) [c] = 1, [c + 1] = 1, [c + 2] = 1, [c + 3] = 1
#define P16(c) P4(c), P4(c + 4), P4(c + 8), P4(c + 12)
#define P64(c) P16(c), P16(c + 16), P16(c + 32), P16(c + 48)
    [0x20] = 1, [0x21] = 1, [0x23] = 1, P4(0x24),  P4(0x28),  P4(0x2c),
    P16(0x30),  P16(0x40),  P4(0x50),   P4(0x54),  P4(0x58),  [0x5d] = 1,
    [0x5e] = 1, [0x5f] = 1, P16(0x60),  P16(0x70), P64(0x80), P64(0xc0),
#undef P64
#undef P16
#undef P4
};

/* The string at L->p (its opening quote). Without escapes it is borrowed
 * from the line; with them it is decoded into L->out (never longer than its
 * escaped form). -1: give up. */
static int lex_string(lexer *L, jstr *out, bool key)
{
    const unsigned char *q = ++L->p, *end = L->end;
    while (q < end && str_plain[*q])
        q++;
    if (q >= end || *q < 0x20)
        return -1;
    if (*q == '"') {
        out->s = (const char *)L->p;
        out->len = (size_t)(q - L->p);
        L->p = q + 1;
        return 0;
    }
    if (key)
        return -1;
    char *o0 = L->out, *o = o0;
    memcpy(o, L->p, (size_t)(q - L->p));
    o += q - L->p;
    for (;;) {
        if (q >= end || *q < 0x20)
            return -1;
        if (*q == '"')
            break;
        if (*q != '\\') {
            const unsigned char *run = q; /* plain bytes up to the next escape */
            while (q < end && str_plain[*q])
                q++;
            memcpy(o, run, (size_t)(q - run));
            o += q - run;
            continue;
        }
        if (++q >= end)
            return -1;
        switch (*q++) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '/':
            *o++ = '/';
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            uint32_t cp, lo;
            if (hex4(q, end, &cp) < 0)
                return -1;
            q += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, end, &lo) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                q += 6;
                cp = ((cp - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
            }
            o = put_utf8(o, cp);
            break;
        }
        default:
            return -1;
        }
    }
    out->s = o0;
    out->len = (size_t)(o - o0);
    L->out = o;
    L->p = q + 1;
    return 0;
}

/* A string, null, true, false or a short plain number at L->p; *kind gets
 * K_STRING (with *str), K_NULL or K_OTHER. -1: give up. */
static int lex_scalar(lexer *L, int *kind, jstr *str)
{
    const unsigned char *q = L->p, *end = L->end;
    if (q >= end)
        return -1;
    switch (*q) {
    case '"':
        *kind = K_STRING;
        return lex_string(L, str, false);
    case 'n':
        *kind = K_NULL;
        if (end - q < 4 || memcmp(q, "null", 4) != 0)
            return -1;
        L->p += 4;
        return 0;
    case 't':
        *kind = K_OTHER;
        if (end - q < 4 || memcmp(q, "true", 4) != 0)
            return -1;
        L->p += 4;
        return 0;
    case 'f':
        *kind = K_OTHER;
        if (end - q < 5 || memcmp(q, "false", 5) != 0)
            return -1;
        L->p += 5;
        return 0;
    }
    /* -?(0|[1-9][0-9]*)(.[0-9]+)?, at most 18 bytes: never out of range */
    *kind = K_OTHER;
    if (*q == '-')
        q++;
    if (q < end && *q == '0') {
        q++;
    } else if (q < end && *q >= '1' && *q <= '9') {
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    } else {
        return -1;
    }
    if (q < end && *q == '.') {
        q++;
        if (q >= end || *q < '0' || *q > '9')
            return -1;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q - L->p > 18 || (q < end && (*q == 'e' || *q == 'E')))
        return -1;
    L->p = q;
    return 0;
}

static int field_of(const jstr *key)
{
    for (int f = 0; f < NFIELDS; f++)
        if (fields[f].len == key->len && memcmp(fields[f].name, key->s, key->len) == 0)
            return f;
    return -1;
}

/* 1: line read into o; 0: give up (o is left for the caller to reset);
 * -1: out of memory. */
static int fast_parse(const char *line, size_t len, jobj *o, char *buf)
{
    lexer L = {(const unsigned char *)line, (const unsigned char *)line + len, buf};
    if (!eat(&L, '{'))
        return 0;
    if (eat(&L, '}'))
        goto done;
    for (;;) {
        jstr key, str = {NULL, 0};
        int kind;
        skip_ws(&L);
        if (peek(&L) != '"' || lex_string(&L, &key, true) < 0)
            return 0;
        if (!eat(&L, ':'))
            return 0;
        skip_ws(&L);
        int f = field_of(&key);
        if (peek(&L) == '[') {
            size_t first = o->nelems, n = 0;
            bool all = true;
            L.p++;
            if (!eat(&L, ']')) {
                for (;;) {
                    skip_ws(&L);
                    if (lex_scalar(&L, &kind, &str) < 0)
                        return 0;
                    if (kind != K_STRING) {
                        all = false;
                    } else if (f >= 0) {
                        if (push_elem(o, str.s, str.len) < 0)
                            return -1;
                        n++;
                    }
                    if (eat(&L, ']'))
                        break;
                    if (!eat(&L, ','))
                        return 0;
                }
            }
            if (f >= 0)
                o->v[f] = (jval){.kind = K_ARRAY, .first = first, .n = n, .all_strings = all};
        } else {
            if (lex_scalar(&L, &kind, &str) < 0)
                return 0;
            if (f >= 0)
                o->v[f] = (jval){.kind = kind, .str = str};
        }
        if (eat(&L, '}'))
            break;
        if (!eat(&L, ','))
            return 0;
    }
done:
    skip_ws(&L);
    return L.p == L.end;
}

/* The known fields of a jansson object into o. -1: out of memory. */
static int from_jansson(json_t *root, jobj *o)
{
    for (int f = 0; f < NFIELDS; f++) {
        json_t *v = json_object_get(root, fields[f].name), *e;
        jval *jv = &o->v[f];
        size_t i;
        if (!v)
            continue;
        if (json_is_null(v)) {
            jv->kind = K_NULL;
        } else if (json_is_string(v)) {
            jv->kind = K_STRING;
            jv->str.s = json_string_value(v);
            jv->str.len = json_string_length(v);
        } else if (json_is_array(v)) {
            jv->kind = K_ARRAY;
            jv->first = o->nelems;
            jv->all_strings = true;
            json_array_foreach(v, i, e)
            {
                if (!json_is_string(e)) {
                    jv->all_strings = false;
                } else {
                    if (push_elem(o, json_string_value(e), json_string_length(e)) < 0)
                        return -1;
                    jv->n++;
                }
            }
        } else {
            jv->kind = K_OTHER;
        }
    }
    return 0;
}

static int record_from_json(const char *line, size_t len, const char *where, mg_record *rec,
                            char *warning, size_t warning_cap, bool fast, mg_err *err)
{
    char *repaired = NULL, *buf = NULL;
    json_error_t jerr;
    json_t *root = NULL;
    jobj obj;
    parse_state st = {.where = where ? where : "-", .err = err};
    int rc;

    memset(&obj, 0, sizeof obj);
    mg_record_release(rec);
    if (warning && warning_cap)
        warning[0] = '\0';

    /* jansson rejects invalid UTF-8 outright; an article is worth more than
     * a few bad bytes, so repair them to U+FFFD first. */
    if (!mg_utf8_valid(line, len)) {
        long bad = mg_utf8_repair(line, len, &repaired, &len);
        if (bad < 0)
            return mg_err_set(err, MG_ENOMEM, "%s: out of memory", st.where);
        line = repaired;
        char note[64];
        snprintf(note, sizeof note, "invalid UTF-8 repaired (%ld bytes)", bad);
        add_warning(warning, warning_cap, st.where, note);
    }
    int got = 0;
    if (fast) {
        if (!(buf = malloc(len + 1))) {
            rc = mg_err_set(err, MG_ENOMEM, "%s: out of memory", st.where);
            goto out;
        }
        got = fast_parse(line, len, &obj, buf);
        if (got < 0) {
            rc = mg_err_set(err, MG_ENOMEM, "%s: out of memory", st.where);
            goto out;
        }
    }
    if (!got) {
        memset(obj.v, 0, sizeof obj.v);
        obj.nelems = 0;
        root = json_loadb(line, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
        if (!root) {
            rc = mg_err_set(err, MG_EFORMAT, "%s: malformed JSON: %s (column %d)", st.where,
                            jerr.text, jerr.column);
            goto out;
        }
        if (!json_is_object(root)) {
            rc = mg_err_set(err, MG_EFORMAT, "%s: not a JSON object", st.where);
            goto out;
        }
        if (from_jansson(root, &obj) < 0) {
            rc = mg_err_set(err, MG_ENOMEM, "%s: out of memory", st.where);
            goto out;
        }
    }
    rc = fill_from_object(&st, &obj, rec);
    if (rc == 0 && st.nul_stripped) {
        char note[64];
        snprintf(note, sizeof note, "NUL characters removed (%u)", st.nul_stripped);
        add_warning(warning, warning_cap, st.where, note);
    }
    parse_release(&st);
    if (rc == 0)
        mg_err_clear(err);
out:
    json_decref(root);
    free(obj.elems);
    free(buf);
    free(repaired);
    return rc;
}

int mg_record_from_json(const char *line, size_t len, const char *where, mg_record *rec,
                        char *warning, size_t warning_cap, mg_err *err)
{
    return record_from_json(line, len, where, rec, warning, warning_cap, true, err);
}

int mg_record_from_json_jansson(const char *line, size_t len, const char *where, mg_record *rec,
                                char *warning, size_t warning_cap, mg_err *err)
{
    return record_from_json(line, len, where, rec, warning, warning_cap, false, err);
}
