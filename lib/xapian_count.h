/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Counting the matches of a boolean query of words from its posting lists,
 * without Xapian's matcher (lib/xapian_count.cc). mg_xsearch_run() takes
 * this path for a count (limit 0, no facets, no collapsing) over one local
 * database whose query it can read; anything else goes to the matcher. */
#ifndef MG_XAPIAN_COUNT_H
#define MG_XAPIAN_COUNT_H

#include "xapian_search.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How many counts this process has taken from posting lists so far (for
 * tests and benchmarks: which path a count took). Thread-safe. */
unsigned long long mg_xcount_fast_runs(void) MG_NOEXCEPT;

/* Turn the posting-list path on (the default) or off for the whole process;
 * returns the previous setting. Off, every count runs through Xapian's
 * matcher (for tests comparing the two, and benchmarks). */
bool mg_xcount_set_fast(bool on) MG_NOEXCEPT;

#ifdef __cplusplus
}

#include <xapian.h>

/* Count q's matches in db into res (estimate, lower, upper, cut), the way a
 * count of the matcher would: exact below check matches; at check or more
 * possibly a lower bound (the matches seen, or a word's frequency when one
 * word alone proves check matches), with Xapian's statistics' estimate
 * and upper bound. deadline_ns (CLOCK_MONOTONIC, 0: none) cuts the count:
 * res->cut is then set and res->lower is what was seen. Returns false, with
 * res untouched, when q is not a combination of words this counts (OR,
 * SYNONYM, MAX, AND, FILTER, AND_NOT, AND_MAYBE, SCALE_WEIGHT of terms,
 * MatchAll, MatchNothing), when check is 0 or when the path is off. Throws
 * what Xapian throws. */
bool mg_xcount_plain(const Xapian::Database &db, const Xapian::Query &q, Xapian::doccount check,
                     uint64_t deadline_ns, mg_xresult *res);

/* The matches of or_q, the OR of two words, from n_and, the exact number of
 * matches of and_q, the AND of the same two words: |A or B| = |A| + |B| -
 * |A and B|, the words' frequencies being exact over live documents. No
 * posting is read: a two-word relaxed query's total costs nothing past its
 * AND's count. res exact (estimate = lower = upper); false, res untouched,
 * when the queries are not of that shape (weights aside) or the path is
 * off (mg_xcount_set_fast). */
bool mg_xcount_union(const Xapian::Database &db, const Xapian::Query &or_q,
                     const Xapian::Query &and_q, Xapian::doccount n_and, mg_xresult *res);
#endif

#endif
