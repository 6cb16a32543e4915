/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

bool mg_grow_array(void *array, size_t *cap, size_t need, size_t size, size_t first)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : first;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return false;
        c *= 2;
    }
    if (size && c > SIZE_MAX / size)
        return false;
    void *old;
    memcpy(&old, array, sizeof old); /* the T * as a void *, without aliasing it */
    void *grown = realloc(old, c * size);
    if (!grown)
        return false;
    memcpy(array, &grown, sizeof grown);
    *cap = c;
    return true;
}
