/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole numbers from command-line text, the one parser of the programs'
 * options (header only: morgue, morgued and morgue-index include it). */
#ifndef MG_NUM_H
#define MG_NUM_H

#include <errno.h>
#include <stdlib.h>

/* The decimal number s, in min..max, into *out: 0, or -1 (*out untouched)
 * when s is empty, holds anything else, or is out of range. */
static inline int mg_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

#endif
