/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dates in the forms news archives use, to one normal form (lib/date.c).
 * docs/input-formats.md has the table of forms. */
#ifndef MG_DATE_H
#define MG_DATE_H

#include "err.h"

/* Normalise a date: ISO 8601 date or date-time (with or without zone; zones
 * are converted to UTC, no zone means UTC), RFC 2822 ("Thu, 26 Feb 1987
 * 15:01:01 +0000", weekday and zone optional, zone names UT/GMT/Z/EST...),
 * "26-FEB-1987 15:01:01.79" (Reuters) and "February 26, 1987". Fractions of
 * a second are dropped. Partial ISO dates are expanded: "1987-02" to
 * "1987-02-01", "1987" to "1987-01-01". Writes "YYYY-MM-DD" (date-only input
 * stays date-only) or "YYYY-MM-DDThh:mm:ss" into out. Returns 0, or
 * -MG_EFORMAT (out = "") for anything else, a field out of range (month 13,
 * 30 February, hour 24) or a year outside 1000..9999 (after conversion). */
int mg_date_normalise(const char *s, char out[20], mg_err *err);

#endif
