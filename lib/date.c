/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Date normalisation: the date forms found in news archives to ISO 8601 UTC. */
#include "date.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "period.h"

/* A broken-down date being parsed. has_time is false for date-only input,
 * which stays date-only: there is no time of day to move across a zone. */
typedef struct date_parts {
    int year, month, day, hour, min, sec;
    bool has_time;
    int offset_min; /* east of UTC, subtracted to get UTC */
} date_parts;

/* A cursor over the input; every helper advances it only on success. */
typedef struct cursor {
    const char *p, *end;
} cursor;

static const char *const month_names[12] = {"january",   "february", "march",    "april",
                                            "may",       "june",     "july",     "august",
                                            "september", "october",  "november", "december"};
static const char *const day_names[7] = {"monday", "tuesday",  "wednesday", "thursday",
                                         "friday", "saturday", "sunday"};

static bool at_end(const cursor *c)
{
    return c->p >= c->end;
}

static bool peek_is(const cursor *c, char ch)
{
    return c->p < c->end && *c->p == ch;
}

static bool eat(cursor *c, char ch)
{
    if (!peek_is(c, ch))
        return false;
    c->p++;
    return true;
}

static void skip_spaces(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* Exactly n digits (n <= 4) into *v. */
static bool digits(cursor *c, int n, int *v)
{
    int x = 0;
    if (c->end - c->p < n)
        return false;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)c->p[i]))
            return false;
        x = x * 10 + (c->p[i] - '0');
    }
    c->p += n;
    *v = x;
    return true;
}

/* One or two digits (a day of the month in RFC 2822 and Reuters dates). */
static bool digits_1or2(cursor *c, int *v)
{
    if (c->end - c->p >= 2 && isdigit((unsigned char)c->p[1]))
        return digits(c, 2, v);
    return digits(c, 1, v);
}

/* A run of letters, compared case-insensitively with names[]: either the
 * full name or its first three letters. Returns the index or -1. */
static int name_index(cursor *c, const char *const *names, int n)
{
    const char *s = c->p;
    size_t len = 0;
    while (s + len < c->end && isalpha((unsigned char)s[len]))
        len++;
    if (len < 3)
        return -1;
    for (int i = 0; i < n; i++) {
        size_t full = strlen(names[i]);
        if ((len == 3 || len == full) && len <= full && strncasecmp(s, names[i], len) == 0) {
            c->p += len;
            return i;
        }
    }
    return -1;
}

/* hh:mm[:ss[.fraction]] — the fraction is dropped (we keep whole seconds). */
static bool parse_time(cursor *c, date_parts *d)
{
    if (!digits(c, 2, &d->hour) || !eat(c, ':') || !digits(c, 2, &d->min))
        return false;
    d->sec = 0;
    if (eat(c, ':')) {
        if (!digits(c, 2, &d->sec))
            return false;
        if (peek_is(c, '.') || peek_is(c, ',')) {
            c->p++;
            if (at_end(c) || !isdigit((unsigned char)*c->p))
                return false;
            while (c->p < c->end && isdigit((unsigned char)*c->p))
                c->p++;
        }
    }
    d->has_time = true;
    return true;
}

/* A numeric zone: +hh:mm, +hhmm or +hh (also '-'). */
static bool parse_numeric_zone(cursor *c, date_parts *d)
{
    int sign, hh, mm = 0;
    if (eat(c, '+'))
        sign = 1;
    else if (eat(c, '-'))
        sign = -1;
    else
        return false;
    if (!digits(c, 2, &hh))
        return false;
    if (eat(c, ':')) {
        if (!digits(c, 2, &mm))
            return false;
    } else if (c->end - c->p >= 2 && isdigit((unsigned char)c->p[0])) {
        if (!digits(c, 2, &mm))
            return false;
    }
    if (hh > 23 || mm > 59)
        return false;
    d->offset_min = sign * (hh * 60 + mm);
    return true;
}

/* RFC 2822 zone names (and the North American ones it lists). */
static bool parse_named_zone(cursor *c, date_parts *d)
{
    static const struct {
        const char *name;
        int offset_h;
    } zones[] = {{"UTC", 0},  {"GMT", 0},  {"UT", 0},   {"Z", 0},    {"EST", -5}, {"EDT", -4},
                 {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
    size_t len = 0;
    while (c->p + len < c->end && isalpha((unsigned char)c->p[len]))
        len++;
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        if (len == strlen(zones[i].name) && strncasecmp(c->p, zones[i].name, len) == 0) {
            c->p += len;
            d->offset_min = zones[i].offset_h * 60;
            return true;
        }
    }
    return false;
}

/* ISO 8601: YYYY, YYYY-MM, YYYY-MM-DD, then optionally T (or a space) and
 * hh:mm[:ss[.f]] and a zone (Z, +hh:mm, +hhmm, +hh). */
static bool parse_iso(cursor *c, date_parts *d)
{
    if (!digits(c, 4, &d->year))
        return false;
    d->month = d->day = 1;
    if (at_end(c))
        return true;
    if (!eat(c, '-') || !digits(c, 2, &d->month))
        return false;
    if (at_end(c))
        return true;
    if (!eat(c, '-') || !digits(c, 2, &d->day))
        return false;
    if (at_end(c))
        return true;
    if (!eat(c, 'T') && !eat(c, 't') && !eat(c, ' '))
        return false;
    if (!parse_time(c, d))
        return false;
    if (at_end(c))
        return true;
    if (eat(c, 'Z') || eat(c, 'z'))
        return at_end(c);
    skip_spaces(c); /* "1987-02-26 15:01:01 +0000" */
    if (parse_numeric_zone(c, d) || parse_named_zone(c, d))
        return at_end(c);
    return false;
}

static bool parse_year_rest(cursor *c, date_parts *d);

/* RFC 2822 ([Thu,] 26 Feb 1987 [15:01[:01]] [zone]) and Reuters
 * (26-FEB-1987 [15:01:01.79]): a day, a month name, a four-digit year; also
 * "February 26, 1987". */
static bool parse_day_month_year(cursor *c, date_parts *d)
{
    bool dashed;
    int m;
    if (isalpha((unsigned char)*c->p) && name_index(c, day_names, 7) >= 0) {
        eat(c, ',');
        skip_spaces(c);
    }
    if (!at_end(c) && isalpha((unsigned char)*c->p)) {
        /* "February 26, 1987": month first, as US papers write it. */
        if ((m = name_index(c, month_names, 12)) < 0 || !peek_is(c, ' '))
            return false;
        d->month = m + 1;
        skip_spaces(c);
        if (!digits_1or2(c, &d->day))
            return false;
        eat(c, ',');
        if (!peek_is(c, ' '))
            return false;
        skip_spaces(c);
        return parse_year_rest(c, d);
    }
    if (!digits_1or2(c, &d->day))
        return false;
    dashed = eat(c, '-');
    if (!dashed) {
        if (!peek_is(c, ' '))
            return false;
        skip_spaces(c);
    }
    if ((m = name_index(c, month_names, 12)) < 0)
        return false;
    d->month = m + 1;
    if (dashed ? !eat(c, '-') : !peek_is(c, ' '))
        return false;
    skip_spaces(c);
    return parse_year_rest(c, d);
}

/* The tail shared by the day-month-year forms: YYYY [time [zone [(comment)]]]. */
static bool parse_year_rest(cursor *c, date_parts *d)
{
    if (!digits(c, 4, &d->year))
        return false;
    if (c->p < c->end && isdigit((unsigned char)*c->p))
        return false; /* a five-digit year */
    skip_spaces(c);
    if (at_end(c))
        return true;
    if (!parse_time(c, d))
        return false;
    skip_spaces(c);
    if (at_end(c))
        return true;
    if (!parse_numeric_zone(c, d) && !parse_named_zone(c, d))
        return false;
    skip_spaces(c);
    /* "+0000 (UTC)": a comment after the zone, as mail headers carry. */
    if (peek_is(c, '(')) {
        const char *close = memchr(c->p, ')', (size_t)(c->end - c->p));
        if (!close)
            return false;
        c->p = close + 1;
        skip_spaces(c);
    }
    return at_end(c);
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (the
 * well-known era-based algorithm; exact for every year we accept). */
static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Move a date-time by -offset minutes, to UTC. */
static void to_utc(date_parts *d)
{
    long minutes =
        days_from_civil(d->year, d->month, d->day) * 1440L + d->hour * 60 + d->min - d->offset_min;
    long days = minutes >= 0 ? minutes / 1440 : -((-minutes + 1439) / 1440);
    long rest = minutes - days * 1440;
    civil_from_days(days, &d->year, &d->month, &d->day);
    d->hour = (int)(rest / 60);
    d->min = (int)(rest % 60);
    d->offset_min = 0;
}

int mg_date_normalise(const char *s, char out[20], mg_err *err)
{
    date_parts d = {0};
    cursor c = {s, s + strlen(s)};
    char tmp[64];
    bool ok;

    out[0] = '\0';
    while (c.p < c.end && isspace((unsigned char)*c.p))
        c.p++;
    while (c.end > c.p && isspace((unsigned char)c.end[-1]))
        c.end--;
    if (at_end(&c))
        return mg_err_set(err, MG_EFORMAT, "empty date");

    if (c.end - c.p >= 5 && isdigit((unsigned char)c.p[0]) && isdigit((unsigned char)c.p[1]) &&
        isdigit((unsigned char)c.p[2]) && isdigit((unsigned char)c.p[3]))
        ok = parse_iso(&c, &d);
    else if (c.end - c.p == 4)
        ok = parse_iso(&c, &d);
    else
        ok = parse_day_month_year(&c, &d);
    if (!ok || !at_end(&c))
        return mg_err_set(err, MG_EFORMAT, "unrecognised date form");

    if (d.year < 1000 || d.year > 9999)
        return mg_err_set(err, MG_EFORMAT, "year %d out of range 1000..9999", d.year);
    if (d.month < 1 || d.month > 12)
        return mg_err_set(err, MG_EFORMAT, "month %d out of range", d.month);
    if (d.day < 1 || d.day > mg_days_in_month(d.year, d.month))
        return mg_err_set(err, MG_EFORMAT, "day %d out of range for %04d-%02d", d.day, d.year,
                          d.month);
    if (d.has_time) {
        if (d.hour > 23 || d.min > 59 || d.sec > 60)
            return mg_err_set(err, MG_EFORMAT, "time %02d:%02d:%02d out of range", d.hour, d.min,
                              d.sec);
        if (d.sec == 60) /* a leap second: keep it inside the minute */
            d.sec = 59;
        if (d.offset_min != 0)
            to_utc(&d);
        if (d.year < 1000 || d.year > 9999)
            return mg_err_set(err, MG_EFORMAT, "year out of range 1000..9999 in UTC");
        snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d", d.year, d.month, d.day, d.hour,
                 d.min, d.sec);
    } else {
        snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", d.year, d.month, d.day);
    }
    memcpy(out, tmp, 20); /* every field was range-checked: exactly 10 or 19 chars */
    mg_err_clear(err);
    return 0;
}
