/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Facets of two disjoint match sets added together (a relaxed query's AND
 * and its partial matches), in the engine's order. */
#include "search_int.h"

#include <stdlib.h>
#include <string.h>

/* Add the counts of from[] into to[] (the same facets, asked for by the same
 * flags, over two disjoint match sets), keeping the engine's order: most
 * frequent first, ties by value; date facets in date order. Takes over and
 * frees from. */
int mg_facet_value_cmp(const void *a, const void *b)
{
    const mg_facet_value *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->value, y->value);
}

/* Date facets keep date order (MG_FACET_UNDATED sorts last as a string). */
static int cmp_period_value(const void *a, const void *b)
{
    const mg_facet_value *x = a, *y = b;
    return strcmp(x->value, y->value);
}

static bool facet_by_date(const char *name)
{
    return strcmp(name, "year") == 0 || strcmp(name, "month") == 0 || strcmp(name, "week") == 0 ||
           strcmp(name, "day") == 0;
}

int mg_facets_merge(mg_facet *to, size_t nto, mg_facet *from, size_t nfrom, mg_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < nfrom && rc == 0; i++) {
        mg_facet *t = NULL;
        for (size_t j = 0; j < nto && !t; j++)
            if (strcmp(to[j].name, from[i].name) == 0)
                t = &to[j];
        if (!t)
            continue;
        mg_facet_value *v = realloc(t->values, (t->nvalues + from[i].nvalues + 1) * sizeof *v);
        if (!v) {
            rc = mg_err_set(err, MG_ENOMEM, "out of memory");
            break;
        }
        t->values = v;
        for (size_t k = 0; k < from[i].nvalues; k++) {
            mg_facet_value *fv = &from[i].values[k];
            size_t j = 0;
            while (j < t->nvalues && strcmp(t->values[j].value, fv->value) != 0)
                j++;
            if (j < t->nvalues) {
                t->values[j].count += fv->count;
            } else {
                t->values[t->nvalues++] = *fv;
                fv->value = NULL; /* moved */
            }
        }
        qsort(t->values, t->nvalues, sizeof *t->values,
              facet_by_date(t->name) ? cmp_period_value : mg_facet_value_cmp);
    }
    mg_xfacets_free(from, nfrom);
    return rc;
}
