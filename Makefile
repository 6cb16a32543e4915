# SPDX-License-Identifier: GPL-2.0-or-later
# morgue — build, test and install.
#
#   make                         build everything into build/
#   make test                    build and run every test
#   make test SANITIZE=address,undefined
#                                the same, built into build-san/ under ASan+UBSan
#   make deb                     the Debian packages (debian/), into build/deb/
#   make fuzz                    the libFuzzer targets (clang), into build-fuzz/
#   make install PREFIX=/usr/local DESTDIR= [LIBDIR=PREFIX/lib]
#                [SYSTEMDUNITDIR=PREFIX/lib/systemd/system]
#   make bench-index | bench-scale | bench-relevance | bench-search | bench-daemon
#
# New sources are picked up by wildcard: lib/*.c lib/*.cc go into libmorgue.a,
# tests/unit/test_*.c and tests/fuzz/fuzz_*.c each become a test program.
# make install installs the headers lib/morgue.h includes, no others.

PREFIX    ?= /usr/local
DESTDIR   ?=
LIBDIR    ?= $(PREFIX)/lib
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SANITIZE  ?=
CC        ?= cc
CXX       ?= c++
CFLAGS    ?= -O2 -g
CXXFLAGS  ?= -O2 -g
CPPFLAGS  ?=
LDFLAGS   ?=

ifeq ($(SANITIZE),)
B         := build
SANFLAGS  :=
else
B         := build-san
SANFLAGS  := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# The release, from its one place (lib/version.h).
VERSION   := $(shell awk -F'"' '/define MORGUE_VERSION "/ { print $$2 }' lib/version.h)

PKGS      := libzmq liblz4 libutf8proc jansson
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wcast-qual -Wvla
CWARN     := $(WARN) -Wstrict-prototypes -Wmissing-prototypes
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
XAP_CFLAGS := $(shell xapian-config --cxxflags 2>/dev/null)
XAP_LIBS   := $(shell xapian-config --libs 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

ALL_CFLAGS   = -std=c11 -D_GNU_SOURCE -pthread -MMD -MP $(CWARN) $(SANFLAGS) \
               $(PKG_CFLAGS) -Ilib -Iclient $(CPPFLAGS) $(CFLAGS)
ALL_CXXFLAGS = -std=c++17 -pthread -MMD -MP $(WARN) $(SANFLAGS) \
               $(XAP_CFLAGS) -Ilib $(CPPFLAGS) $(CXXFLAGS)
LDLIBS_ALL   = $(PKG_LIBS) -lstemmer $(XAP_LIBS) -pthread -lm

LIB_SRC   := $(wildcard lib/*.c) $(wildcard lib/*.cc)
LIB_OBJ   := $(patsubst %,$(B)/%.o,$(basename $(LIB_SRC)))
# lib/transport.c (what morgued and its clients agree on) is in both
# libraries: the client library needs no other part of libmorgue.
CLI_LIB_SRC := client/morgue_client.c client/morgue_client_call.c \
               client/morgue_client_async.c client/morgue_client_build.c \
               client/morgue_client_parse.c client/morgue_client_ops.c \
               client/morgue_client_keys.c lib/transport.c
CLI_LIB_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard $(CLI_LIB_SRC)))
# libmorgue-client.so.1: position-independent objects of their own, and only
# the API of morgue_client.h exported (client/morgue_client.map).
CLI_SOMAJOR := 1
CLI_SONAME  := libmorgue-client.so.$(CLI_SOMAJOR)
CLI_SO      := $(B)/$(CLI_SONAME).0.0
CLI_PIC_OBJ := $(patsubst %.c,$(B)/pic/%.o,$(wildcard $(CLI_LIB_SRC)))
comma       := ,
CLI_SO_LIBS := $(shell pkg-config --libs libzmq jansson 2>/dev/null)
IDX_OBJ   := $(patsubst %.c,$(B)/%.o,$(wildcard indexer/*.c))
DMN_OBJ   := $(patsubst %.c,$(B)/%.o,$(wildcard daemon/*.c))
CLI_OBJ   := $(patsubst %.c,$(B)/%.o,$(filter-out $(CLI_LIB_SRC),$(wildcard client/*.c)))
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC)) \
             $(patsubst tests/fuzz/%.c,$(B)/tests/%,$(FUZZ_SRC))
BINS      := $(if $(IDX_OBJ),$(B)/morgue-index) $(if $(DMN_OBJ),$(B)/morgued) \
             $(if $(CLI_OBJ),$(B)/morgue)
MAN_SRC   := $(wildcard man/*.scd)
MAN_OUT   := $(patsubst man/%.scd,$(B)/man/%,$(MAN_SRC))
EXTRA_BINS := $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c))

.PHONY: all deps test install uninstall clean format format-check deb
all: deps-check $(B)/libmorgue.a $(if $(CLI_LIB_OBJ),$(B)/libmorgue-client.a $(CLI_SO)) $(BINS) \
     $(MAN_OUT)

# Fail early, with the apt-get line, when a dependency is missing
# (NO_DEPS_CHECK=1: the package build, whose Build-Depends did that).
deps-check:
	@$(if $(filter 1,$(NO_DEPS_CHECK)),true,bash scripts/deps.sh)
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
$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@
$(CLI_SO): $(CLI_PIC_OBJ) client/morgue_client.map
	$(CC) $(SANFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(CLI_SONAME) -Wl,--version-script=client/morgue_client.map \
	  $(if $(SANFLAGS),,-Wl$(comma)--no-undefined) \
	  -o $@ $(CLI_PIC_OBJ) $(CLI_SO_LIBS)
	ln -sf $(notdir $@) $(B)/$(CLI_SONAME)
	ln -sf $(CLI_SONAME) $(B)/libmorgue-client.so

# Man pages: scdoc sources in man/, NAME.SECTION.scd.
$(B)/man/%: man/%.scd
	@mkdir -p $(dir $@)
	scdoc <$< >$@

# Executables link with the C++ driver: libmorgue holds the Xapian shim.
$(B)/morgue-index: $(IDX_OBJ) $(B)/libmorgue.a
	$(CXX) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)
$(B)/morgued: $(DMN_OBJ) $(B)/libmorgue.a
	$(CXX) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)
$(B)/morgue: $(CLI_OBJ) $(B)/libmorgue-client.a $(B)/libmorgue.a
	$(CXX) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

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

# make fuzz: the libFuzzer targets of tests/fuzz/ (docs/fuzzing.md), built
# with clang, ASan and UBSan into build-fuzz/, over a copy of the library
# instrumented for coverage. Run one with, e.g.,
#   build-fuzz/fuzz_date -max_total_time=300 build-fuzz/work-date tests/fuzz/corpus/date
FUZZ_CC   ?= clang
FUZZ_CXX  ?= clang++
FZ        := build-fuzz
FZ_FLAGS  := -g -O1 -fno-omit-frame-pointer -pthread \
             -fsanitize=address,undefined -fno-sanitize-recover=undefined
FZ_CFLAGS  = -std=c11 -D_GNU_SOURCE $(FZ_FLAGS) $(PKG_CFLAGS) -Ilib
FZ_LIB_OBJ := $(patsubst %,$(FZ)/%.o,$(basename $(LIB_SRC)))
FZ_BINS   := $(patsubst tests/fuzz/%.c,$(FZ)/%,$(FUZZ_SRC))
.PHONY: fuzz
fuzz: $(FZ_BINS)
$(FZ)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FZ)/lib/%.o: lib/%.cc
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) -std=c++17 $(FZ_FLAGS) $(XAP_CFLAGS) -Ilib -fsanitize=fuzzer-no-link -c $< -o $@
$(FZ)/libmorgue.a: $(FZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(FZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_input.h $(FZ)/libmorgue.a
	$(FUZZ_CC) $(FZ_CFLAGS) -fsanitize=fuzzer -DMG_LIBFUZZER -c $< -o $@.o
	$(FUZZ_CXX) $(FZ_FLAGS) -fsanitize=fuzzer -o $@ $@.o $(FZ)/libmorgue.a $(LDLIBS_ALL)

# Keep intermediate objects (tests/unit/*.o ...) so a second make does not relink.
.SECONDARY:

-include bench/bench.mk

# The installed API: lib/morgue.h and the headers it includes. The other
# lib/*.h are private (the Xapian shim, the indexer's and the searcher's
# internals) and are not installed.
HEADERS := lib/morgue.h $(addprefix lib/,$(shell sed -n 's/^\#include "\(.*\)"/\1/p' lib/morgue.h))
# install_pc NAME: NAME.pc.in, for this PREFIX, LIBDIR and release.
install_pc = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
               $(1).pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/$(1).pc
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig \
	           $(DESTDIR)$(PREFIX)/include/morgue
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(B)/libmorgue.a $(DESTDIR)$(LIBDIR)/
	install -m 644 $(HEADERS) $(DESTDIR)$(PREFIX)/include/morgue/
	$(call install_pc,morgue)
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	for c in morgue morgue-index morgued; do \
	  install -m 644 completions/morgue.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$c || exit 1; \
	done
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in systemd/*; do \
	  sed -e 's|@BINDIR@|$(PREFIX)/bin|g' $$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u .in) || exit 1; \
	done
	for m in $(MAN_OUT); do \
	  d=$(DESTDIR)$(PREFIX)/share/man/man$${m##*.}; \
	  install -d $$d && install -m 644 $$m $$d/ || exit 1; \
	done
	if [ -f $(B)/libmorgue-client.a ]; then \
	  install -m 644 $(B)/libmorgue-client.a $(DESTDIR)$(LIBDIR)/ && \
	  install -m 644 $(CLI_SO) $(DESTDIR)$(LIBDIR)/ && \
	  ln -sf $(notdir $(CLI_SO)) $(DESTDIR)$(LIBDIR)/$(CLI_SONAME) && \
	  ln -sf $(CLI_SONAME) $(DESTDIR)$(LIBDIR)/libmorgue-client.so && \
	  install -m 644 client/morgue_client.h $(DESTDIR)$(PREFIX)/include/ && \
	  $(call install_pc,morgue-client) && $(call install_pc,morgue-client-static); \
	fi

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,morgue-index morgued morgue)
	rm -f $(DESTDIR)$(LIBDIR)/libmorgue.a $(DESTDIR)$(LIBDIR)/libmorgue-client.a \
	      $(DESTDIR)$(LIBDIR)/libmorgue-client.so $(DESTDIR)$(LIBDIR)/$(CLI_SONAME) \
	      $(DESTDIR)$(LIBDIR)/$(notdir $(CLI_SO))
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/pkgconfig/,morgue.pc morgue-client.pc morgue-client-static.pc)
	rm -f $(DESTDIR)$(PREFIX)/include/morgue_client.h
	rm -rf $(DESTDIR)$(PREFIX)/include/morgue
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/bash-completion/completions/,morgue morgue-index morgued)
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,morgued.service morgue-reindex.service morgue-reindex.timer morgue-shard.service)
	for m in $(notdir $(MAN_OUT)); do rm -f $(DESTDIR)$(PREFIX)/share/man/man$${m##*.}/$$m; done

# dpkg-buildpackage writes its results beside the source tree: build in a
# copy of the tree (the files git knows, committed or not; outside git, all
# but build/) in a temporary directory, and keep the packages in build/deb/.
deb:
	rm -rf build/deb && mkdir -p build/deb
	t=$$(mktemp -d) && s=$$t/morgue-$(VERSION) && mkdir $$s && \
	{ if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	    git ls-files -z --cached --others --exclude-standard | \
	      xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	      tar -cf - --null -T -; \
	  else tar -cf - --exclude=./build --exclude=./build-san .; fi; } | tar -xf - -C $$s && \
	(cd $$s && env -u SANITIZE -u MAKEFLAGS -u MFLAGS DEB_BUILD_OPTIONS="parallel=2 $$DEB_BUILD_OPTIONS" \
	   dpkg-buildpackage -b -us -uc) >build/deb/build.log 2>&1; \
	rc=$$?; mv $$t/*.deb $$t/*.changes $$t/*.buildinfo build/deb/ 2>/dev/null; rm -rf $$t; \
	if [ $$rc -ne 0 ]; then tail -30 build/deb/build.log; exit $$rc; fi
	@ls build/deb/*.deb

FORMAT_SRC = $(wildcard lib/*.[ch] lib/*.cc indexer/*.c daemon/*.c client/*.[ch] tests/unit/*.c tests/fuzz/*.c bench/*.c)
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(B) -name '*.d' 2>/dev/null)
