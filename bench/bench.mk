# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark targets (not tests). Included by the top-level Makefile.
#   bench/index.mk   bench-index, bench-scale
#   bench/query.mk   bench-relevance, bench-search, bench-daemon
#   bench/shards.mk  bench-shards
-include bench/index.mk
-include bench/query.mk
-include bench/shards.mk
