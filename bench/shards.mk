# SPDX-License-Identifier: GPL-2.0-or-later
# Sharding benchmark (not a test): make bench-shards, bench/shards/run.sh.
.PHONY: bench-shards
bench-shards: all
	bash bench/shards/run.sh $(B)
