/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dates in the query language: a bound as users write it (YYYY, YYYY-MM,
 * YYYY-MM-DD, with a time or not) to the 14 digits of MG_SLOT_DATE. */
#include "query_int.h"

#include <stdio.h>

int mg_query_digits(const char *s, size_t n, unsigned *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return 0;
}

static unsigned days_in(unsigned y, unsigned m)
{
    static const unsigned d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

int mg_query_date_bound(const char *s, size_t len, bool upper, char out[15], const char **why)
{
    unsigned y, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    int parts = 1; /* 1 year, 2 month, 3 day, 4 minute, 5 second */
    *why = "expected YYYY, YYYY-MM or YYYY-MM-DD";
    if (len < 4 || mg_query_digits(s, 4, &y) < 0)
        return -1;
    if (len == 8 && mg_query_digits(s, 8, &d) == 0) { /* YYYYMMDD */
        mo = (d / 100) % 100;
        d %= 100;
        parts = 3;
    } else {
        size_t i = 4;
        if (i < len) {
            if (s[i] != '-' || len < i + 3 || mg_query_digits(s + i + 1, 2, &mo) < 0)
                return -1;
            i += 3;
            parts = 2;
        }
        if (i < len) {
            if (s[i] != '-' || len < i + 3 || mg_query_digits(s + i + 1, 2, &d) < 0)
                return -1;
            i += 3;
            parts = 3;
        }
        if (i < len) {
            if ((s[i] != 'T' && s[i] != 't') || len < i + 6 ||
                mg_query_digits(s + i + 1, 2, &h) < 0 || s[i + 3] != ':' ||
                mg_query_digits(s + i + 4, 2, &mi) < 0)
                return -1;
            i += 6;
            parts = 4;
            if (i < len && s[i] == ':') {
                if (len < i + 3 || mg_query_digits(s + i + 1, 2, &sec) < 0)
                    return -1;
                i += 3;
                parts = 5;
            }
            if (i < len && (s[i] == 'Z' || s[i] == 'z'))
                i++;
        }
        if (i != len)
            return -1;
    }
    if (parts >= 2 && (mo < 1 || mo > 12)) {
        *why = "no such month";
        return -1;
    }
    if (parts >= 3 && (d < 1 || d > days_in(y, mo))) {
        *why = "no such day";
        return -1;
    }
    if (parts >= 4 && (h > 23 || mi > 59 || sec > 59)) {
        *why = "no such time";
        return -1;
    }
    if (parts < 2)
        mo = upper ? 12 : 1;
    if (parts < 3)
        d = upper ? days_in(y, mo) : 1;
    if (parts < 4) {
        h = upper ? 23 : 0;
        mi = upper ? 59 : 0;
    }
    if (parts < 5)
        sec = upper ? 59 : 0;
    snprintf(out, 15, "%04u%02u%02u%02u%02u%02u", y % 10000, mo, d, h, mi, sec);
    return 0;
}
