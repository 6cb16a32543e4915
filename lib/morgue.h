/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The morgue engine's public API, the headers `make install` puts in
 * PREFIX/include/morgue/ (pkg-config morgue): include this one. The other
 * headers of lib/ are private to the library and not installed.
 *
 *   version.h   the release
 *   err.h       error values: a code, a detail, a message
 *   loglevel.h  the levels of log messages
 *   record.h    an article in memory and its stored form
 *   analyzer.h  text to folded, stemmed terms with positions
 *   index.h     the indexing pipeline (morgue-index)
 *   search.h    the query engine: a searcher, requests, hits, totals, facets
 *   jsonw.h     the streaming JSON writer the protocol replies with
 *   protocol.h  the wire protocol: JSON requests in, JSON replies out
 *
 * The clients' API is morgue_client.h (libmorgue-client, LGPL). */
#ifndef MORGUE_H
#define MORGUE_H

#include "version.h"
#include "err.h"
#include "loglevel.h"
#include "record.h"
#include "analyzer.h"
#include "index.h"
#include "search.h"
#include "jsonw.h"
#include "protocol.h"

#endif
