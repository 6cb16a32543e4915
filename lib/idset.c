/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The set of ids an indexing run has seen, and the interned file names that
 * say where (idset.h): open addressing with linear probing. */
#include "idset.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "hash.h"

uint64_t mg_idset_hash(const char *s, size_t n)
{
    uint64_t h = mg_hash_mix64(mg_fnv1a64(MG_FNV64_OFFSET, s, n));
    return h ? h : 1;
}

static int grow(mg_idset *set)
{
    size_t ncap = set->cap ? set->cap * 2 : 1024;
    mg_idslot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < set->cap; i++) {
        if (!set->s[i].h)
            continue;
        size_t j = set->s[i].h & (ncap - 1);
        while (ns[j].h)
            j = (j + 1) & (ncap - 1);
        ns[j] = set->s[i];
    }
    free(set->s);
    set->s = ns;
    set->cap = ncap;
    return 0;
}

int mg_idset_put(mg_idset *set, uint64_t h, uint32_t file, uint32_t line, mg_idslot *old)
{
    if ((set->n + 1) * 4 > set->cap * 3 && grow(set))
        return -1;
    size_t j = h & (set->cap - 1);
    while (set->s[j].h) {
        if (set->s[j].h == h) {
            *old = set->s[j];
            return 1;
        }
        j = (j + 1) & (set->cap - 1);
    }
    set->s[j] = (mg_idslot){h, file, line};
    set->n++;
    return 0;
}

int mg_idset_has(const mg_idset *set, uint64_t h)
{
    if (!set->cap)
        return 0;
    size_t j = h & (set->cap - 1);
    while (set->s[j].h) {
        if (set->s[j].h == h)
            return 1;
        j = (j + 1) & (set->cap - 1);
    }
    return 0;
}

void mg_idset_release(mg_idset *set)
{
    free(set->s);
    *set = (mg_idset){0};
}

long mg_names_add(mg_names *nm, const char *name)
{
    if (nm->n && strcmp(nm->buf + nm->off[nm->n - 1], name) == 0)
        return (long)nm->n - 1;
    size_t l = strlen(name) + 1;
    if (nm->len + l > nm->cap) {
        size_t c = nm->cap ? nm->cap : 4096;
        while (c < nm->len + l)
            c *= 2;
        char *p = realloc(nm->buf, c);
        if (!p)
            return -1;
        nm->buf = p;
        nm->cap = c;
    }
    if (!mg_grow_array(&nm->off, &nm->ncap, nm->n + 1, sizeof *nm->off, 64))
        return -1;
    memcpy(nm->buf + nm->len, name, l);
    nm->off[nm->n] = nm->len;
    nm->len += l;
    return (long)nm->n++;
}

const char *mg_names_get(const mg_names *nm, size_t i)
{
    return nm->buf + nm->off[i];
}

void mg_names_release(mg_names *nm)
{
    free(nm->buf);
    free(nm->off);
    *nm = (mg_names){0};
}
