# SPDX-License-Identifier: GPL-2.0-or-later
# Query-side benchmarks (not tests): relevance, in-process latency, daemon load.
# Included by bench/bench.mk from the top-level Makefile. See bench/README-query.md.
#
#   make bench-relevance   MAP, P@10, nDCG@10 on TIME, CISI, MED, NPL vs Xapian, FTS5
#   make bench-search      in-process top-10 latency on AG News and Reuters
#   make bench-daemon      morgued vs Sphinx searchd vs xapian-tcpsrv under load
#
# Peers need: libsqlite3-dev, libmariadb-dev, sphinxsearch, xapian-tools.

BQ        := $(B)/bench/query
BQ_OUT    ?= bench/out
MORGUE_CORPORA ?= $(abspath ../shared/corpora)
export MORGUE_CORPORA
MARIADB_CFLAGS := $(shell pkg-config --cflags libmariadb 2>/dev/null)
MARIADB_LIBS   := $(shell pkg-config --libs libmariadb 2>/dev/null)

BQ_PEERS  := $(BQ)/xap_bench $(BQ)/fts5_bench
BQ_MORGUE := $(BQ)/mg_bench
BQ_LOAD   := $(BQ)/loadgen

$(BQ)/xap_bench: $(BQ)/xap_bench.o $(BQ)/bq.o
	$(CXX) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL)
$(BQ)/fts5_bench: $(BQ)/fts5_bench.o $(BQ)/bq.o
	$(CC) $(SANFLAGS) -o $@ $^ -lsqlite3 $(PKG_LIBS) -pthread
$(BQ)/mg_bench: $(BQ)/mg_bench.o $(BQ)/bq.o $(B)/libmorgue.a
	$(CXX) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL)
$(BQ)/loadgen.o: CFLAGS += $(MARIADB_CFLAGS)
$(BQ)/loadgen: $(BQ)/loadgen.o $(BQ)/bq.o
	$(CC) $(SANFLAGS) -o $@ $^ $(PKG_LIBS) $(MARIADB_LIBS) -pthread

.PHONY: bench-query-peers bench-relevance bench-search bench-daemon
bench-query-peers: $(BQ_PEERS)

bench-relevance: all $(BQ_PEERS) $(BQ_MORGUE)
	@mkdir -p $(BQ_OUT)
	bash bench/query/relevance.sh $(B) $(BQ_OUT)

bench-search: all $(BQ_PEERS) $(BQ_MORGUE)
	@mkdir -p $(BQ_OUT)
	bash bench/query/search.sh $(B) $(BQ_OUT)

bench-daemon: all $(BQ_PEERS) $(BQ_MORGUE) $(BQ_LOAD)
	@mkdir -p $(BQ_OUT)
	bash bench/query/daemon.sh $(B) $(BQ_OUT)
