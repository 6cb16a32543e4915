/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dates in the query language: a bound as users write it (YYYY, YYYY-MM,
 * YYYY-MM-DD, with a time or not, or a day counted back from today) to the
 * 14 digits of MG_SLOT_DATE. */
#include "query_int.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

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

static unsigned days_in(long y, unsigned m)
{
    static const unsigned d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

/* The day relative dates count back from (mg_query_set_today), "" for the
 * system clock's. */
static char g_today[9];

int mg_query_set_today(const char *day)
{
    unsigned v;
    if (!day) {
        g_today[0] = '\0';
        return 0;
    }
    if (strlen(day) != 8 || mg_query_digits(day, 8, &v) < 0 || v / 10000 < 1 || v / 100 % 100 < 1 ||
        v / 100 % 100 > 12 || v % 100 < 1 || v % 100 > days_in(v / 10000, v / 100 % 100))
        return -1;
    memcpy(g_today, day, sizeof g_today);
    return 0;
}

static void today(long *y, unsigned *m, unsigned *d)
{
    unsigned v;
    if (g_today[0] && mg_query_digits(g_today, 8, &v) == 0) {
        *y = v / 10000;
        *m = v / 100 % 100;
        *d = v % 100;
        return;
    }
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    *y = tm.tm_year + 1900L;
    *m = (unsigned)tm.tm_mon + 1;
    *d = (unsigned)tm.tm_mday;
}

/* Days since 0001-01-01 (day 0) of a real date, and back. */
static long day_number(long y, unsigned m, unsigned d)
{
    long n = (y - 1) * 365 + (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400;
    for (unsigned i = 1; i < m; i++)
        n += days_in(y, i);
    return n + d - 1;
}

static void from_day_number(long n, long *y, unsigned *m, unsigned *d)
{
    long yy = n / 366 + 1; /* at most the year: no year is longer */
    while (day_number(yy + 1, 1, 1) <= n)
        yy++;
    n -= day_number(yy, 1, 1);
    unsigned mm = 1;
    while (n >= (long)days_in(yy, mm))
        n -= days_in(yy, mm++);
    *y = yy;
    *m = mm;
    *d = (unsigned)n + 1;
}

/* A day counted back from today ("today", "yesterday", "7d", "2w", "3m",
 * "1y"): 1 with the day in *y, *m, *d; 0 when s is no such form; -1 (why
 * in *why) when it counts back before the year 1. */
static int relative_day(const char *s, size_t len, long *y, unsigned *m, unsigned *d,
                        const char **why)
{
    unsigned n = 0;
    int unit = 'd';
    if (len == 9 && strncasecmp(s, "yesterday", 9) == 0)
        n = 1;
    else if (len != 5 || strncasecmp(s, "today", 5) != 0) {
        if (len < 2 || len > 6 || mg_query_digits(s, len - 1, &n) < 0)
            return 0;
        unit = tolower((unsigned char)s[len - 1]);
        if (unit != 'd' && unit != 'w' && unit != 'm' && unit != 'y')
            return 0;
    }
    today(y, m, d);
    if (unit == 'd' || unit == 'w') {
        long k = day_number(*y, *m, *d) - (long)n * (unit == 'w' ? 7 : 1);
        if (k < 0)
            goto too_far;
        from_day_number(k, y, m, d);
        return 1;
    }
    long months = *y * 12 + (long)*m - 1 - (long)n * (unit == 'y' ? 12 : 1);
    if (months < 12)
        goto too_far;
    *y = months / 12;
    *m = (unsigned)(months % 12) + 1;
    if (*d > days_in(*y, *m))
        *d = days_in(*y, *m);
    return 1;
too_far:
    *why = "counts back before the year 1";
    return -1;
}

int mg_query_date_bound(const char *s, size_t len, bool upper, char out[15], const char **why)
{
    long ry;
    unsigned rm, rd;
    int rel = relative_day(s, len, &ry, &rm, &rd, why);
    if (rel != 0) {
        if (rel > 0)
            snprintf(out, 15, "%04u%02u%02u%s", (unsigned)(ry % 10000), rm % 100, rd % 100,
                     upper ? "235959" : "000000");
        return rel > 0 ? 0 : -1;
    }
    unsigned y, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    int parts = 1; /* 1 year, 2 month, 3 day, 4 minute, 5 second */
    *why = "expected YYYY, YYYY-MM, YYYY-MM-DD, today, yesterday or Nd, Nw, Nm, Ny";
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
