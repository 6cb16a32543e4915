/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Calendar periods of a date histogram: the bucket a date falls in (year,
 * month, ISO week or day), and the bucket after a given one, so that a
 * series can be drawn with its empty periods. Dates are proleptic
 * Gregorian, UTC, years 1..9999. */
#ifndef MG_PERIOD_H
#define MG_PERIOD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mg_period { MG_PERIOD_YEAR, MG_PERIOD_MONTH, MG_PERIOD_WEEK, MG_PERIOD_DAY };

/* Bucket keys: "YYYY", "YYYY-MM", "YYYY-Www" (ISO 8601 week: weeks start
 * on Monday, week 1 holds the year's first Thursday, so the last days of
 * December can be week 1 of the next year and the first days of January
 * week 52 or 53 of the previous one) and "YYYY-MM-DD". Keys of one
 * interval sort as strings in date order. */
#define MG_PERIOD_KEY_MAX 11 /* "YYYY-MM-DD" and its NUL */

/* The name of an interval ("year", "month", "week", "day") to its enum,
 * or -1. */
int mg_period_parse(const char *name);
const char *mg_period_name(int interval); /* static; "?" when out of range */

/* Days in month m (1..12) of year y, proleptic Gregorian. */
int mg_days_in_month(long y, int m);

/* The key of the period holding date d (at least "YYYYMMDD": the index's
 * date slot; or "YYYY-MM-DD..." ISO text). Returns 0, or -1 when d is not
 * such a date. */
int mg_period_key(int interval, const char *d, size_t len, char out[MG_PERIOD_KEY_MAX]);

/* The key of the period after key (of the same interval). Returns 0, or -1
 * when key is not a key of that interval or the next is past 9999. */
int mg_period_next(int interval, const char *key, char out[MG_PERIOD_KEY_MAX]);

#ifdef __cplusplus
}
#endif
#endif
