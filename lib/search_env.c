/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A searcher's ranking settings in the form of the environment variables
 * morgued, morgue and the benchmarks take (search.h,
 * mg_search_limits_from_env). The library reads no environment itself: the
 * program passes its lookup (getenv). */
#include "search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_ranking(mg_search_limits *lim, const char *v)
{
    static const struct {
        const char *name;
        int ranking;
    } models[] = {{"bm25", MG_RANK_BM25},
                  {"dfr", MG_RANK_DFR},
                  {"bm25plus", MG_RANK_BM25PLUS},
                  {"bm25l", MG_RANK_BM25L}};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (strcmp(v, models[i].name) == 0)
            lim->ranking = models[i].ranking;
}

static void set_bm25(mg_search_limits *lim, const char *v)
{
    double k1, b, delta;
    int n = sscanf(v, "%lf,%lf,%lf", &k1, &b, &delta);
    if (n >= 2 && k1 >= 0 && b >= 0 && b <= 1) {
        lim->bm25_k1 = k1;
        lim->bm25_b = b;
        if (n == 3 && delta >= 0)
            lim->bm25_delta = delta;
    }
}

static void set_stopwords(mg_search_limits *lim, const char *v)
{
    if (*v)
        lim->stopwords = strcmp(v, "0") == 0 ? -1 : 0;
}

static void set_proximity(mg_search_limits *lim, const char *v)
{
    double factor;
    unsigned window;
    int n = sscanf(v, "%lf,%u", &factor, &window);
    if (n >= 1 && factor >= 0) {
        lim->proximity = factor > 0 ? factor : -1; /* in the limits, 0 is the default */
        if (n == 2 && window > 0)
            lim->proximity_window = window;
    }
}

static void set_rescore(mg_search_limits *lim, const char *v)
{
    if (*v)
        lim->rescore_depth = atol(v) > 0 ? atol(v) : -1; /* 0 in the limits: the default */
}

static void set_synonyms(mg_search_limits *lim, const char *v)
{
    lim->synonyms = *v ? v : NULL;
}

void mg_search_limits_from_env(mg_search_limits *lim, char *(*lookup)(const char *name))
{
    static const struct {
        const char *name;
        void (*set)(mg_search_limits *lim, const char *v);
    } vars[] = {{"MORGUE_RANKING", set_ranking},     {"MORGUE_BM25", set_bm25},
                {"MORGUE_STOPWORDS", set_stopwords}, {"MORGUE_PROXIMITY", set_proximity},
                {"MORGUE_RESCORE", set_rescore},     {"MORGUE_SYNONYMS", set_synonyms}};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = lookup(vars[i].name);
        if (v)
            vars[i].set(lim, v);
    }
}
