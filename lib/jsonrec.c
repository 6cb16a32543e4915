/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One JSON Lines record to an mg_record: field types, caps, ids, dates. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
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

enum { F_ID, F_TITLE, F_DATE, F_SOURCE, F_URL, F_AUTHOR, F_LANG, F_BODY };

static const struct {
    const char *name;
    size_t cap;
} fields[8] = {
    [F_ID] = {"id", MG_MAX_ID},        [F_TITLE] = {"title", MG_MAX_TITLE},
    [F_DATE] = {"date", MG_MAX_FIELD}, [F_SOURCE] = {"source", MG_MAX_FIELD},
    [F_URL] = {"url", MG_MAX_FIELD},   [F_AUTHOR] = {"author", MG_MAX_FIELD},
    [F_LANG] = {"lang", MG_MAX_FIELD}, [F_BODY] = {"body", MG_MAX_BODY},
};

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
static int take_string(parse_state *st, json_t *obj, int f)
{
    json_t *v = json_object_get(obj, fields[f].name);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return mg_err_set(st->err, MG_EFORMAT, "%s: field \"%s\" must be a string", st->where,
                          fields[f].name);
    char *s = clean_copy(json_string_value(v), json_string_length(v), &st->nul_stripped);
    if (!s)
        return mg_err_set(st->err, MG_ENOMEM, "%s: out of memory", st->where);
    st->strs[f] = s;
    if (strlen(s) > fields[f].cap)
        return too_long(st, fields[f].name, strlen(s), fields[f].cap);
    return 0;
}

/* author: a string, or an array of strings joined with "; ". */
static int take_author(parse_state *st, json_t *obj)
{
    json_t *v = json_object_get(obj, "author");
    size_t i, total = 0;
    json_t *e;

    if (!v || json_is_null(v) || json_is_string(v))
        return take_string(st, obj, F_AUTHOR);
    if (!json_is_array(v))
        goto bad_type;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            goto bad_type;
        total += json_string_length(e) + 2;
    }
    char *out = malloc(total + 1);
    if (!out)
        return mg_err_set(st->err, MG_ENOMEM, "%s: out of memory", st->where);
    size_t o = 0;
    json_array_foreach(v, i, e)
    {
        char *s = clean_copy(json_string_value(e), json_string_length(e), &st->nul_stripped);
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

static int add_category(parse_state *st, const char *name, json_t *e)
{
    char *s = clean_copy(json_string_value(e), json_string_length(e), &st->nul_stripped);
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
static int take_categories(parse_state *st, json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name), *e;
    size_t i;
    int rc;

    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v))
        return add_category(st, name, v);
    if (!json_is_array(v))
        goto bad_type;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            goto bad_type;
    }
    json_array_foreach(v, i, e)
    {
        if ((rc = add_category(st, name, e)) < 0)
            return rc;
    }
    return 0;
bad_type:
    return mg_err_set(st->err, MG_EFORMAT,
                      "%s: field \"%s\" must be a string or an array of strings", st->where, name);
}

/* 64-bit FNV-1a, continued from h over len bytes. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL

/* An id for a record without one: from the url when there is one (a
 * re-crawled article keeps its id), else from the exact title and body. */
static char *derive_id(const parse_state *st)
{
    char *id = malloc(24);
    uint64_t h;
    if (!id)
        return NULL;
    if (st->strs[F_URL] && *st->strs[F_URL]) {
        h = fnv1a(FNV_OFFSET, st->strs[F_URL], strlen(st->strs[F_URL]));
        snprintf(id, 24, "url-%016llx", (unsigned long long)h);
    } else {
        const char *t = st->strs[F_TITLE] ? st->strs[F_TITLE] : "";
        const char *b = st->strs[F_BODY] ? st->strs[F_BODY] : "";
        h = fnv1a(FNV_OFFSET, t, strlen(t) + 1); /* the NUL separates title from body */
        h = fnv1a(h, b, strlen(b));
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
static int fill_from_object(parse_state *st, json_t *obj, mg_record *rec)
{
    static const int plain[] = {F_ID, F_TITLE, F_BODY, F_DATE, F_SOURCE, F_URL, F_LANG};
    char date[20] = "";
    int rc;

    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if ((rc = take_string(st, obj, plain[i])) < 0)
            return rc;
    if ((rc = take_author(st, obj)) < 0)
        return rc;
    st->cats = calloc(MG_MAX_CATS, sizeof *st->cats);
    if (!st->cats)
        return mg_err_set(st->err, MG_ENOMEM, "%s: out of memory", st->where);
    if ((rc = take_categories(st, obj, "category")) < 0 ||
        (rc = take_categories(st, obj, "topics")) < 0)
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

int mg_record_from_json(const char *line, size_t len, const char *where, mg_record *rec,
                        char *warning, size_t warning_cap, mg_err *err)
{
    char *repaired = NULL;
    json_error_t jerr;
    json_t *root;
    parse_state st = {.where = where ? where : "-", .err = err};
    int rc;

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
    root = json_loadb(line, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    free(repaired);
    if (!root)
        return mg_err_set(err, MG_EFORMAT, "%s: malformed JSON: %s (column %d)", st.where,
                          jerr.text, jerr.column);
    if (!json_is_object(root)) {
        json_decref(root);
        return mg_err_set(err, MG_EFORMAT, "%s: not a JSON object", st.where);
    }
    rc = fill_from_object(&st, root, rec);
    json_decref(root);
    if (rc == 0 && st.nul_stripped) {
        char note[64];
        snprintf(note, sizeof note, "NUL characters removed (%u)", st.nul_stripped);
        add_warning(warning, warning_cap, st.where, note);
    }
    parse_release(&st);
    if (rc == 0)
        mg_err_clear(err);
    return rc;
}
