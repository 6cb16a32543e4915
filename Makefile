# SPDX-License-Identifier: GPL-2.0-or-later
# morgue — build, test and install.
#
#   make                         build everything into build/
#   make test                    build and run every test
#   make test SANITIZE=address,undefined
#                                the same, built into build-san/ under ASan+UBSan
#   make install PREFIX=/usr/local DESTDIR=
#   make bench-index | bench-scale | bench-relevance | bench-search | bench-daemon
#
# New sources are picked up by wildcard: lib/*.c lib/*.cc go into libmorgue.a,
# tests/unit/test_*.c and tests/fuzz/fuzz_*.c each become a test program.

PREFIX    ?= /usr/local
DESTDIR   ?=
SANITIZE  ?=
CC        ?= cc
CXX       ?= c++
CFLAGS    ?= -O2 -g
CXXFLAGS  ?= -O2 -g

ifeq ($(SANITIZE),)
B         := build
SANFLAGS  :=
else
B         := build-san
SANFLAGS  := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

PKGS      := libzmq liblz4 libutf8proc jansson
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wcast-qual -Wvla
CWARN     := $(WARN) -Wstrict-prototypes -Wmissing-prototypes
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
XAP_CFLAGS := $(shell xapian-config --cxxflags 2>/dev/null)
XAP_LIBS   := $(shell xapian-config --libs 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

ALL_CFLAGS   = -std=c11 -D_GNU_SOURCE -pthread -MMD -MP $(CWARN) $(SANFLAGS) \
               $(PKG_CFLAGS) -Ilib -Iclient $(CFLAGS)
ALL_CXXFLAGS = -std=c++17 -pthread -MMD -MP $(WARN) $(SANFLAGS) \
               $(XAP_CFLAGS) -Ilib $(CXXFLAGS)
LDLIBS_ALL   = $(PKG_LIBS) -lstemmer $(XAP_LIBS) -pthread -lm

LIB_SRC   := $(wildcard lib/*.c) $(wildcard lib/*.cc)
LIB_OBJ   := $(patsubst %,$(B)/%.o,$(basename $(LIB_SRC)))
CLI_LIB_SRC := client/morgue_client.c
CLI_LIB_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard $(CLI_LIB_SRC)))
IDX_OBJ   := $(patsubst %.c,$(B)/%.o,$(wildcard indexer/*.c))
DMN_OBJ   := $(patsubst %.c,$(B)/%.o,$(wildcard daemon/*.c))
CLI_OBJ   := $(patsubst %.c,$(B)/%.o,$(filter-out $(CLI_LIB_SRC),$(wildcard client/*.c)))
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC)) \
             $(patsubst tests/fuzz/%.c,$(B)/tests/%,$(FUZZ_SRC))
BINS      := $(if $(IDX_OBJ),$(B)/morgue-index) $(if $(DMN_OBJ),$(B)/morgued) \
             $(if $(CLI_OBJ),$(B)/morgue)
EXTRA_BINS := $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c))

.PHONY: all deps test install uninstall clean format format-check
all: deps-check $(B)/libmorgue.a $(if $(CLI_LIB_OBJ),$(B)/libmorgue-client.a) $(BINS)

# Fail early, with the apt-get line, when a dependency is missing.
deps-check:
	@bash scripts/deps.sh
deps:
	@bash scripts/deps.sh --bench
.PHONY: deps-check

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(B)/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) -c $< -o $@

$(B)/libmorgue.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(B)/libmorgue-client.a: $(CLI_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Executables link with the C++ driver: libmorgue holds the Xapian shim.
$(B)/morgue-index: $(IDX_OBJ) $(B)/libmorgue.a
	$(CXX) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL)
# morgued shares the default ipc endpoint with the client library.
$(B)/morgued: $(DMN_OBJ) $(B)/libmorgue-client.a $(B)/libmorgue.a
	$(CXX) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL)
$(B)/morgue: $(CLI_OBJ) $(B)/libmorgue-client.a $(B)/libmorgue.a
	$(CXX) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(B)/tests/%: $(B)/tests/unit/%.o $(B)/libmorgue.a $(if $(CLI_LIB_OBJ),$(B)/libmorgue-client.a)
	@mkdir -p $(dir $@)
	$(CXX) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL) $(CMOCKA_LIBS)
$(B)/tests/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(B)/libmorgue.a
	@mkdir -p $(dir $@)
	$(CXX) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL)
$(B)/bench/%: $(B)/bench/%.o $(B)/libmorgue.a $(if $(CLI_LIB_OBJ),$(B)/libmorgue-client.a)
	$(CXX) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL)

test: all $(TEST_BINS)
	@bash tests/run.sh $(B)

# Keep intermediate objects (tests/unit/*.o ...) so a second make does not relink.
.SECONDARY:

-include bench/bench.mk

HEADERS := $(wildcard lib/*.h)
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	           $(DESTDIR)$(PREFIX)/include/morgue
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(B)/libmorgue.a $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(HEADERS) $(DESTDIR)$(PREFIX)/include/morgue/
	sed -e 's|@PREFIX@|$(PREFIX)|g' morgue.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/morgue.pc
	if [ -f $(B)/libmorgue-client.a ]; then \
	  install -m 644 $(B)/libmorgue-client.a $(DESTDIR)$(PREFIX)/lib/ && \
	  install -m 644 client/morgue_client.h $(DESTDIR)$(PREFIX)/include/ && \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' morgue-client.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/morgue-client.pc; \
	fi

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,morgue-index morgued morgue)
	rm -f $(DESTDIR)$(PREFIX)/lib/libmorgue.a $(DESTDIR)$(PREFIX)/lib/libmorgue-client.a
	rm -f $(DESTDIR)$(PREFIX)/lib/pkgconfig/morgue.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/morgue-client.pc
	rm -f $(DESTDIR)$(PREFIX)/include/morgue_client.h
	rm -rf $(DESTDIR)$(PREFIX)/include/morgue

FORMAT_SRC = $(wildcard lib/*.[ch] lib/*.cc indexer/*.c daemon/*.c client/*.[ch] tests/unit/*.c tests/fuzz/*.c bench/*.c)
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf build build-san

-include $(shell find $(B) -name '*.d' 2>/dev/null)
