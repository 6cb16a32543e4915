/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Searches of a sharded index with shards missing (docs/scaling.md). */
#include <stdlib.h>
#include <string.h>

#include "xapian_search.h"

int mg_search_note_missing(mg_xsearch *xs, mg_search_result *res, bool export_page, mg_err *err)
{
    size_t n = mg_xsearch_nmissing(xs);
    if (!n)
        return 0;
    if (export_page)
        return mg_err_set(err, MG_EDB,
                          "shard %.200s%s unreachable: an export page must not skip its "
                          "articles; try again later",
                          mg_xsearch_missing(xs, 0), n > 1 ? " (and others)" : "");
    res->missing_shards = calloc(n, sizeof *res->missing_shards);
    if (!res->missing_shards)
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!(res->missing_shards[i] = strdup(mg_xsearch_missing(xs, i))))
            return mg_err_set(err, MG_ENOMEM, "out of memory");
        res->nmissing = i + 1;
    }
    return 0;
}
