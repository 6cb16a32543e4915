/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "grow.h"

#include <stdlib.h>

bool mg_grow(char **buf, size_t *cap, size_t need, size_t first, size_t max)
{
    if (need <= *cap)
        return true;
    if (need > max)
        return false;
    size_t c = *cap ? *cap : first;
    while (c < need)
        c = c > max / 2 ? max : c * 2;
    char *b = realloc(*buf, c);
    if (!b)
        return false;
    *buf = b;
    *cap = c;
    return true;
}
