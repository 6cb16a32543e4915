#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make install: binaries, headers, libraries and pkg-config files land under
# PREFIX, and a program built only from what was installed (pkg-config)
# links against libmorgue and runs.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

san=
case $(basename "$MORGUE_BUILD") in build-san) san=address,undefined ;; esac
prefix=$TMP/prefix
make -s -C "$MORGUE_ROOT" install SANITIZE="$san" PREFIX="$prefix" >"$TMP/install.log" 2>&1
ok $? "make install PREFIX=..."
for f in bin/morgue-index bin/morgued bin/morgue lib/libmorgue.a lib/libmorgue-client.a \
         lib/libmorgue-client.so.1.0.0 lib/libmorgue-client.so.1 lib/libmorgue-client.so \
         include/morgue/morgue.h include/morgue/analyzer.h include/morgue/search.h include/morgue/version.h \
         include/morgue_client.h lib/pkgconfig/morgue.pc lib/pkgconfig/morgue-client.pc \
         lib/pkgconfig/morgue-client-static.pc share/man/man1/morgue.1 share/man/man1/morgue-index.1 \
         share/man/man8/morgued.8 share/man/man7/morgue-protocol.7 \
         lib/systemd/system/morgued.service lib/systemd/system/morgue-reindex.service \
         lib/systemd/system/morgue-reindex.timer share/bash-completion/completions/morgue \
         share/bash-completion/completions/morgue-index share/bash-completion/completions/morgued; do
  check "installed $f" test -e "$prefix/$f"
done
# Only the public API: morgue.h and what it includes, each whole by itself.
for f in search_int.h index_run.h xapian_search.h xapian_shim.h ring.h idset.h gens.h transport.h; do
  check "private lib/$f is not installed" test ! -e "$prefix/include/morgue/$f"
done
check_eq "installed headers: morgue.h and the ones it includes" \
  "$(cd "$MORGUE_ROOT/lib" && { echo morgue.h; sed -n 's/^#include "\(.*\)"/\1/p' morgue.h; } | sort | tr '\n' ' ')" \
  "$(cd "$prefix/include/morgue" && ls | sort | tr '\n' ' ')"
for h in "$prefix"/include/morgue/*.h; do
  echo "#include <$(basename "$h")>" | cc -std=c11 -fsyntax-only -I"$prefix/include/morgue" -x c - 2>"$TMP/h.log"
  ok $? "installed $(basename "$h") compiles alone"
  [ -s "$TMP/h.log" ] && sed 's/^/# /' "$TMP/h.log" | head -5
done
check "installed morgue-index runs" "$prefix/bin/morgue-index" --version
check_match "the installed unit runs the installed morgued" "^ExecStart=$prefix/bin/morgued " \
  "$(cat "$prefix/lib/systemd/system/morgued.service")"
check_eq "libmorgue-client.so links to its soname" libmorgue-client.so.1 "$(readlink "$prefix/lib/libmorgue-client.so")"
check_eq "pkg-config files name the release" "$(sed -n 's/^#define MORGUE_VERSION "\(.*\)"/\1/p' "$MORGUE_ROOT/lib/version.h")" \
  "$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --modversion morgue-client)"
check_match "pkg-config morgue-client-static names the archive and its dependencies" \
  "$prefix/lib/libmorgue-client.a .*-lzmq.*-ljansson" \
  "$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --libs morgue-client-static)"

cat >"$TMP/use.c" <<'C'
#include <stdio.h>
#include <morgue.h>
static int show(void *ctx, const mg_token *t)
{
    (void)ctx;
    printf("%.*s@%u ", (int)t->term_len, t->term, t->pos);
    return 0;
}
int main(void)
{
    mg_err err;
    mg_analyzer *an = mg_analyzer_new("english", &err);
    if (!an)
        return 1;
    long n = mg_analyze(an, "Military parades, Kim Jong-un", 29, 1, 0, show, NULL, &err);
    printf("\n%ld\n", n);
    mg_analyzer_free(an);
    return 0;
}
C
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
flags=$(pkg-config --cflags --libs morgue)
ok $? "pkg-config knows morgue"
sanflags=
[ -n "$san" ] && sanflags="-fsanitize=$san"
# shellcheck disable=SC2086
cc -std=c11 $sanflags "$TMP/use.c" -o "$TMP/use" $flags 2>"$TMP/cc.log"
ok $? "a program builds against the installed libmorgue"
[ -s "$TMP/cc.log" ] && sed 's/^/# /' "$TMP/cc.log"
out=$("$TMP/use" 2>&1)
check_eq "and runs the installed analyser" $'militari@1 parad@2 kim@3 jong@4 un@5 \n5' "$out"
