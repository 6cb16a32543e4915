/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Calendar periods of a date histogram (the contract is in period.h). */
#include "period.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {"year", "month", "week", "day"};

int mg_period_parse(const char *name)
{
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *mg_period_name(int interval)
{
    return interval >= 0 && interval < 4 ? names[interval] : "?";
}

/* A key from numbers the callers have checked to fit (years 1..9999). */
static void key_printf(char out[MG_PERIOD_KEY_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void key_printf(char out[MG_PERIOD_KEY_MAX], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, MG_PERIOD_KEY_MAX, fmt, ap);
    va_end(ap);
}

int mg_days_in_month(long y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Days since 0001-01-01 (a Monday, day 0) of a valid date. */
static long day_number(long y, int m, int d)
{
    long n = (y - 1) * 365 + (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400;
    for (int i = 1; i < m; i++)
        n += mg_days_in_month(y, i);
    return n + d - 1;
}

/* The ISO week of a valid date: its year and number (1..53). */
static void iso_week(long y, int m, int d, long *wy, int *wn)
{
    long n = day_number(y, m, d);
    long thursday = n - n % 7 + 3; /* the Thursday of the same Monday-week */
    long ty = y;
    if (thursday < day_number(ty, 1, 1))
        ty--;
    else if (thursday >= day_number(ty + 1, 1, 1))
        ty++;
    *wy = ty;
    *wn = (int)((thursday - day_number(ty, 1, 1)) / 7 + 1);
}

/* The weeks of ISO year y: 53 when its 28 December is in week 53. */
static int iso_weeks(long y)
{
    long wy;
    int wn;
    iso_week(y, 12, 28, &wy, &wn);
    return wn;
}

/* Read n digits at s into *v. */
static bool digits(const char *s, size_t n, long *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

static bool valid(long y, long m, long d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= mg_days_in_month(y, (int)m);
}

int mg_period_key(int interval, const char *d, size_t len, char out[MG_PERIOD_KEY_MAX])
{
    long y, m, day;
    bool iso = len >= 10 && d[4] == '-' && d[7] == '-';
    if (len < 8 || !digits(d, 4, &y) || !digits(d + (iso ? 5 : 4), 2, &m) ||
        !digits(d + (iso ? 8 : 6), 2, &day) || !valid(y, m, day))
        return -1;
    switch (interval) {
    case MG_PERIOD_YEAR:
        key_printf(out, "%04ld", y);
        return 0;
    case MG_PERIOD_MONTH:
        key_printf(out, "%04ld-%02ld", y, m);
        return 0;
    case MG_PERIOD_WEEK: {
        long wy;
        int wn;
        iso_week(y, (int)m, (int)day, &wy, &wn);
        if (wy < 1 || wy > 9999)
            return -1;
        key_printf(out, "%04ld-W%02d", wy, wn);
        return 0;
    }
    case MG_PERIOD_DAY:
        key_printf(out, "%04ld-%02ld-%02ld", y, m, day);
        return 0;
    }
    return -1;
}

int mg_period_next(int interval, const char *key, char out[MG_PERIOD_KEY_MAX])
{
    long y, m = 1, d = 1;
    size_t len = strlen(key);
    if (len < 4 || !digits(key, 4, &y))
        return -1;
    switch (interval) {
    case MG_PERIOD_YEAR:
        if (len != 4 || y >= 9999)
            return -1;
        key_printf(out, "%04ld", y + 1);
        return 0;
    case MG_PERIOD_MONTH:
        if (len != 7 || key[4] != '-' || !digits(key + 5, 2, &m) || m < 1 || m > 12)
            return -1;
        if (++m > 12 && ++y > 9999)
            return -1;
        key_printf(out, "%04ld-%02ld", y, m > 12 ? 1 : m);
        return 0;
    case MG_PERIOD_WEEK:
        if (len != 8 || key[4] != '-' || key[5] != 'W' || !digits(key + 6, 2, &m) || m < 1 ||
            m > iso_weeks(y))
            return -1;
        if (++m > iso_weeks(y)) {
            if (++y > 9999)
                return -1;
            m = 1;
        }
        key_printf(out, "%04ld-W%02ld", y, m);
        return 0;
    case MG_PERIOD_DAY:
        if (len != 10 || key[4] != '-' || key[7] != '-' || !digits(key + 5, 2, &m) ||
            !digits(key + 8, 2, &d) || !valid(y, m, d))
            return -1;
        if (++d > mg_days_in_month(y, (int)m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                if (++y > 9999)
                    return -1;
            }
        }
        key_printf(out, "%04ld-%02ld-%02ld", y, m, d);
        return 0;
    }
    return -1;
}
