/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stop words for query weighting (see stopwords.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stopwords.h"

/* English function words (the closed classes): articles and other
 * determiners, pronouns, question words, the forms of be, have and do,
 * modal verbs, negation, conjunctions, prepositions, and a few adverbs that
 * only modify. Left out because, with case folded, they are also names or
 * common nouns in news: "us" (U.S.), "may" (the month), "will", "can" and
 * "might" (military might); and words whose stem is a content word's:
 * "several" (sever), "even" (evening), "own" (owns). */
static const char *const english[] = {
    /* articles, determiners, quantifiers */
    "a", "an", "the", "this", "that", "these", "those", "each", "every", "either", "neither",
    "some", "any", "all", "both", "few", "many", "much", "more", "most", "less", "least", "enough",
    "such", "other", "another", "same",
    /* pronouns */
    "i", "me", "my", "mine", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours",
    "yourself", "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself", "it",
    "its", "itself", "they", "them", "their", "theirs", "themselves",
    /* question words and relatives */
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how",
    /* be, have, do */
    "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "having", "do",
    "does", "did", "doing",
    /* modal verbs */
    "would", "should", "could", "must", "shall", "ought",
    /* negation */
    "not", "no", "nor",
    /* conjunctions */
    "and", "or", "but", "if", "then", "than", "because", "while", "whether", "although", "though",
    "unless", "whereas", "yet", "so", "as",
    /* prepositions */
    "about", "above", "across", "after", "against", "along", "among", "around", "at", "before",
    "behind", "below", "beneath", "beside", "besides", "between", "beyond", "by", "despite", "down",
    "during", "except", "for", "from", "in", "inside", "into", "near", "of", "off", "on", "onto",
    "out", "outside", "over", "per", "since", "through", "throughout", "to", "toward", "towards",
    "under", "underneath", "until", "up", "upon", "via", "with", "within", "without",
    /* adverbs that only modify */
    "there", "here", "also", "too", "very", "just", "only", "again", "once", "further", NULL};

static const char *const english_names[] = {"english", "en", "eng", "porter", NULL};

struct mg_stopset {
    char **stem; /* sorted, unique */
    size_t n;
};

const char *const *mg_stopwords_for(const char *lang)
{
    if (!lang)
        return english;
    for (size_t i = 0; english_names[i]; i++)
        if (strcasecmp(lang, english_names[i]) == 0)
            return english;
    return NULL;
}

static int cmp_stem(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

mg_stopset *mg_stopset_new(mg_analyzer *an, mg_err *err)
{
    mg_stopset *set = calloc(1, sizeof *set);
    if (!set) {
        mg_err_set(err, MG_ENOMEM, "out of memory");
        return NULL;
    }
    const char *const *words = an ? mg_stopwords_for(mg_analyzer_lang(an)) : NULL;
    size_t max = 0;
    while (words && words[max])
        max++;
    if (max == 0)
        return set;
    if (!(set->stem = calloc(max, sizeof *set->stem)))
        goto oom;
    for (size_t i = 0; i < max; i++) {
        char st[64];
        long len = mg_analyze_word(an, words[i], strlen(words[i]), 0, st, sizeof st, err);
        if (len < 0) {
            mg_stopset_free(set);
            return NULL;
        }
        if (len > 0 && !(set->stem[set->n++] = strdup(st)))
            goto oom;
    }
    qsort(set->stem, set->n, sizeof *set->stem, cmp_stem);
    size_t k = 0;
    for (size_t i = 0; i < set->n; i++) {
        if (k > 0 && strcmp(set->stem[k - 1], set->stem[i]) == 0)
            free(set->stem[i]);
        else
            set->stem[k++] = set->stem[i];
    }
    set->n = k;
    return set;
oom:
    mg_stopset_free(set);
    mg_err_set(err, MG_ENOMEM, "out of memory");
    return NULL;
}

void mg_stopset_free(mg_stopset *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        free(set->stem[i]);
    free(set->stem);
    free(set);
}

bool mg_stopset_has(const mg_stopset *set, const char *term, size_t len)
{
    if (!set || set->n == 0 || len >= 64)
        return false;
    char key[64];
    memcpy(key, term, len);
    key[len] = '\0';
    const char *k = key;
    return bsearch(&k, set->stem, set->n, sizeof *set->stem, cmp_stem) != NULL;
}

size_t mg_stopset_size(const mg_stopset *set)
{
    return set ? set->n : 0;
}
