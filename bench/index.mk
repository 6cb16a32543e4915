# SPDX-License-Identifier: GPL-2.0-or-later
# Indexing benchmarks (not tests): bench/README.md says what each number is.
#   make bench-index   morgue-index vs scriptindex, SQLite FTS5 and two
#                      floors (pre-analysed documents added through the
#                      shim; and with the Xapian documents built before
#                      the clock), on Reuters-21578 and AG News; 3 runs
#                      each, medians; then checks the floors write
#                      morgue's index (dumpdb.py --digest)
#   make bench-scale   synthetic archives of 100,000 and 1,000,000 articles:
#                      rebuild, then a nightly update (1% new/changed/deleted)
# Arguments for bench/index/run.py go in BENCH_INDEX_ARGS / BENCH_SCALE_ARGS,
# e.g. make bench-scale BENCH_SCALE_ARGS="--sizes 100000",
# make bench-index BENCH_INDEX_ARGS="--runs 1" (a quick look).
# Results: a table on stdout, JSON/TSV/Markdown under bench/out/.

BENCH_PY          ?= /usr/bin/python3
BENCH_INDEX_ARGS  ?=
BENCH_SCALE_ARGS  ?=

.PHONY: bench-index bench-scale
bench-index: all $(B)/bench/index_floor
	$(BENCH_PY) bench/index/run.py index --build $(B) $(BENCH_INDEX_ARGS)

bench-scale: all
	$(BENCH_PY) bench/index/run.py scale --build $(B) $(BENCH_SCALE_ARGS)

# Keep the object, so bench-index does not relink the floor every time.
.SECONDARY: $(B)/bench/index_floor.o
