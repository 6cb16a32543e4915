/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The compiler's filters (compile.c): field:value and source:NAME terms, and
 * the request's bounds (since/until, added_since/added_until, source)
 * around the compiled query. Filters restrict; they add no weight. */
#include "search_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "period.h"
#include "query.h"
#include "schema.h"

typedef struct sources {
    mg_xq **v;
    size_t n, max;
    mg_err *err;
    bool broad, failed;
} sources;

static int source_cb(void *ctx, const char *term, size_t len, unsigned long long freq)
{
    sources *x = ctx;
    (void)freq;
    if (x->n == x->max) {
        x->broad = true;
        return 1;
    }
    if (!(x->v[x->n] = mg_xq_term(term, len, x->err))) {
        x->failed = true;
        return 1;
    }
    x->n++;
    return 0;
}

/* source:NAME (and the request's source): the source whose folded name is
 * NAME's, else every source whose folded name starts with it ("bbc" finds
 * "BBC News"), at most max_wildcard of them. term[0..len) is the exact
 * term. */
static mg_xq *compile_source(compiler *c, const mg_qnode *n, const char *term, size_t len)
{
    mg_err e2;
    if (len == strlen(MG_PFX_SOURCE) || mg_xsearch_termfreq(c->s->xs, term, len, &e2) != 0)
        return mg_xq_term(term, len, c->err);
    sources x = {.max = c->s->lim.max_wildcard, .err = c->err};
    if (!(x.v = calloc(x.max, sizeof *x.v))) {
        mg_err_set(c->err, MG_ENOMEM, "out of memory");
        return NULL;
    }
    int rc = mg_xsearch_each_term(c->s->xs, term, len, source_cb, &x, c->err);
    mg_xq *q = NULL;
    if (x.broad)
        mg_query_err(c->err, MG_QE_WILD_BROAD,
                     " at column %zu: more than %zu sources start with '%.*s' (make it longer)",
                     n->col, x.max, (int)(n->text_len > 100 ? 100 : n->text_len), n->text);
    else if (rc >= 0 && !x.failed)
        q = x.n == 0 ? mg_xq_term(term, len, c->err) : mg_xq_combine(MG_XQ_OR, x.v, x.n, 0, c->err);
    for (size_t i = 0; i < x.n; i++)
        mg_xq_free(x.v[i]);
    free(x.v);
    return q;
}

mg_xq *mg_compile_filter(compiler *c, const mg_qnode *n)
{
    char term[MG_XDB_MAX_TERM + 64];
    int len;
    if (n->field == MG_QF_ID)
        len = snprintf(term, sizeof term, "%s%.*s", MG_PFX_ID, (int)n->text_len, n->text);
    else {
        char folded[MG_XDB_MAX_TERM + 1];
        long fl = mg_fold_phrase(n->text, n->text_len, folded, sizeof folded, c->err);
        if (fl < 0)
            return NULL;
        const char *pfx = n->field == MG_QF_SOURCE   ? MG_PFX_SOURCE
                          : n->field == MG_QF_AUTHOR ? MG_PFX_AUTHOR
                                                     : MG_PFX_CATEGORY;
        len = snprintf(term, sizeof term, "%s%s", pfx, folded);
    }
    if (len < 0 || (size_t)len >= sizeof term)
        len = (int)sizeof term - 1;
    mg_xq *t = n->field == MG_QF_SOURCE ? compile_source(c, n, term, (size_t)len)
                                        : mg_xq_term(term, (size_t)len, c->err);
    if (!t)
        return NULL;
    mg_xq *q = mg_xq_scale(t, 0.0, c->err);
    mg_xq_free(t);
    return q;
}

/* The value of the two digits at s. */
static int two_digits(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Whether the n digits of a time (YYYYMMDDhhmmss or a leading part) name
 * one that exists: month 1-12, a day of that month, hour 0-23, minute
 * and second 0-59. */
static bool added_time_exists(const char *d, size_t n)
{
    long year = strtol((char[]){d[0], d[1], d[2], d[3], '\0'}, NULL, 10);
    int month = n >= 6 ? two_digits(d + 4) : 1;
    if (month < 1 || month > 12)
        return false;
    if (n >= 8 && (two_digits(d + 6) < 1 || two_digits(d + 6) > mg_days_in_month(year, month)))
        return false;
    return (n < 10 || two_digits(d + 8) <= 23) && (n < 12 || two_digits(d + 10) <= 59) &&
           (n < 14 || two_digits(d + 12) <= 59);
}

/* An added_since or added_until bound into out (YYYYMMDDhhmmss): the
 * digits given, padded with pad; MG_EINVAL ("bad date") when they are not
 * a time's or name none (month 13, 30 February, hour 25). */
static int added_bound(const char *what, const char *v, char pad, char out[15], mg_err *err)
{
    size_t n = 0;
    for (const char *p = v; *p; p++) {
        if (*p >= '0' && *p <= '9' && n < 14)
            out[n++] = *p;
        else if (!strchr("-:TZ ", *p))
            return mg_err_set_detail(
                err, MG_EINVAL, MG_RE_BAD_DATE,
                "bad date in %s: '%.40s' (want YYYYMMDDhhmmss or a leading part)", what, v);
    }
    if (n < 4 || n % 2)
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_DATE,
                                 "bad date in %s: '%.40s' (want YYYYMMDDhhmmss or a leading part)",
                                 what, v);
    if (!added_time_exists(out, n))
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_DATE,
                                 "bad date in %s: '%.40s' is no such time (month 01-12, a day "
                                 "of that month, hour 00-23, minute and second 00-59)",
                                 what, v);
    memset(out + n, pad, 14 - n);
    out[14] = '\0';
    return 0;
}

int mg_compile_check_added(const mg_search_request *req, compiler *c, mg_err *err)
{
    int rc;
    c->added_lo[0] = c->added_hi[0] = '\0';
    if (req->added_since && req->added_since[0] &&
        (rc = added_bound("added_since", req->added_since, '0', c->added_lo, err)) < 0)
        return rc;
    if (req->added_until && req->added_until[0] &&
        (rc = added_bound("added_until", req->added_until, '9', c->added_hi, err)) < 0)
        return rc;
    if (c->added_lo[0] && c->added_hi[0] && strcmp(c->added_lo, c->added_hi) > 0)
        return mg_err_set_detail(err, MG_EINVAL, MG_RE_BAD_DATE,
                                 "added_since %.40s is after added_until %.40s", req->added_since,
                                 req->added_until);
    return 0;
}

/* q filtered by f (which may be NULL after a failure); both are consumed. */
static int filter_by(compiler *c, mg_xq **q, mg_xq *f)
{
    mg_xq *pair[2] = {*q, f};
    mg_xq *g = f ? mg_xq_combine(MG_XQ_FILTER, pair, 2, 0, c->err) : NULL;
    mg_xq_free(f);
    mg_xq_free(*q);
    *q = g;
    return g ? 0 : -c->err->code;
}

/* *q (consumed; NULL after a failure) filtered by the request's bounds:
 * since/until (YYYYMMDD or ""), c's added range, source ("" or NULL: any). */
int mg_compile_bounds(compiler *c, mg_xq **q, const char *since, const char *until,
                      const char *source)
{
    int rc;
    if ((since[0] || until[0]) &&
        (rc = filter_by(c, q, mg_xq_date_range(since, until, c->err))) < 0)
        return rc;
    if ((c->added_lo[0] || c->added_hi[0]) &&
        (rc = filter_by(c, q, mg_xq_value_range(MG_SLOT_ADDED, c->added_lo, c->added_hi, c->err))) <
            0)
        return rc;
    if (source && source[0]) {
        mg_qnode sn = {.kind = MG_QN_FILTER, .field = MG_QF_SOURCE};
        sn.text = (char *)(uintptr_t)source; /* read only */
        sn.text_len = strlen(source);
        if ((rc = filter_by(c, q, mg_compile_filter(c, &sn))) < 0)
            return rc;
    }
    return 0;
}
