#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make deb: dpkg-buildpackage builds morgue, libmorgue-client1 and
# libmorgue-client-dev (in a copy of the tree, results in build/deb/);
# lintian finds no error; the packages hold what they should; unpacked in a
# scratch root, the installed programs run the demo on corpus/ and the
# example client builds against the installed -dev package and runs with
# the installed shared library.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

case $(basename "$MORGUE_BUILD") in
  build-san)
    # The package is built with Debian's flags, never with sanitizers: the
    # plain pass has built and checked it; a second build checks nothing new.
    echo "ok - make deb # SKIP the sanitizer pass: the package is built and checked once, in the plain pass"
    exit 0 ;;
esac

make -s -C "$MORGUE_ROOT" deb >"$TMP/deb.log" 2>&1
ok $? "make deb"
[ -s "$TMP/deb.log" ] && grep -v '^build/deb/' "$TMP/deb.log" | tail -20 | sed 's/^/# /'
DEB=$MORGUE_ROOT/build/deb
V=$(sed -n 's/^#define MORGUE_VERSION "\(.*\)"$/\1/p' "$MORGUE_ROOT/lib/version.h")
arch=$(dpkg --print-architecture)
for p in morgue libmorgue-client1 libmorgue-client-dev; do
  check "built ${p}_${V}_$arch.deb" test -s "$DEB/${p}_${V}_$arch.deb"
done
check "nothing written beside the source tree" \
  bash -c "! ls '$MORGUE_ROOT'/../morgue*_${V}_*.deb '$MORGUE_ROOT'/../*.changes 2>/dev/null | grep -q ."

if command -v lintian >/dev/null; then
  lintian --tag-display-limit 0 "$DEB"/morgue_"$V"_*.changes >"$TMP/lintian.log" 2>&1
  ok $? "lintian: no error"
  grep -E '^[EW]: ' "$TMP/lintian.log" | sed 's/^/# lintian: /'
  check_eq "lintian: no error tag" "" "$(grep -E '^E: ' "$TMP/lintian.log")"
else
  echo "ok - lintian # SKIP lintian is not installed"
fi

# contents PKG: the paths the package holds.
contents() { dpkg -c "$DEB/${1}_${V}_$arch.deb" | awk '{ print $6 }' | sed 's|^\./|/|'; }
m=$(contents morgue)
for f in /usr/bin/morgue /usr/bin/morgue-index /usr/bin/morgued \
         /usr/share/man/man1/morgue.1.gz /usr/share/man/man1/morgue-index.1.gz \
         /usr/share/man/man8/morgued.8.gz /usr/share/man/man7/morgue-protocol.7.gz \
         /lib/systemd/system/morgued.service /lib/systemd/system/morgue-reindex.service \
         /lib/systemd/system/morgue-reindex.timer /usr/share/bash-completion/completions/morgue \
         /usr/share/doc/morgue/copyright; do
  check_match "morgue holds $f" "^$f\$" "$m"
done
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
check_match "libmorgue-client1 holds the shared library" "^/usr/lib/$ma/libmorgue-client\\.so\\.1\\.0\\.0\$" "$(contents libmorgue-client1)"
d=$(contents libmorgue-client-dev)
for f in /usr/include/morgue_client.h /usr/lib/$ma/libmorgue-client.a /usr/lib/$ma/libmorgue-client.so \
         /usr/lib/$ma/pkgconfig/morgue-client.pc /usr/lib/$ma/pkgconfig/morgue-client-static.pc; do
  check_match "libmorgue-client-dev holds $f" "^$f\$" "$d"
done
post=$(dpkg-deb --ctrl-tarfile "$DEB/morgue_${V}_$arch.deb" | tar -xOf - ./postinst)
check_match "postinst creates the morgue system user" 'adduser --system .*morgue' "$post"
check_match "morgue depends on adduser" '^ Depends: .*adduser' "$(dpkg -I "$DEB/morgue_${V}_$arch.deb")"
check_match "libmorgue-client1 ships symbols" 'symbols' "$(dpkg -I "$DEB/libmorgue-client1_${V}_$arch.deb")"
# the symbols file lists exactly what the library exports (a symbol missing
# from it gets no minimal version: a dependent package could be installed
# beside a library that lacks it)
listed=$(dpkg-deb --ctrl-tarfile "$DEB/libmorgue-client1_${V}_$arch.deb" | tar -xOf - ./symbols |
  awk '/^ / { print $1 }' | sort)
so=$(mktemp -d "$TMP/so.XXXXXX")
dpkg -x "$DEB/libmorgue-client1_${V}_$arch.deb" "$so"
exported=$(nm -D --defined-only "$so/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/libmorgue-client.so.1.0.0" |
  awk '{ if (!sub("@@", "@", $3)) $3 = $3 "@" $3; print $3 }' | sort) # the version node: NODE@NODE
check_eq "the symbols file lists every exported symbol, and no other" "$exported" "$listed"

# --- the installed files, in a scratch root -------------------------------
R=$TMP/root
for p in morgue libmorgue-client1 libmorgue-client-dev; do dpkg -x "$DEB/${p}_${V}_$arch.deb" "$R"; done
check_eq "installed morgued --version" "morgued $V" "$("$R/usr/bin/morgued" --version)"
check_match "installed unit runs /usr/bin/morgued" '^ExecStart=/usr/bin/morgued ' "$(cat "$R/lib/systemd/system/morgued.service")"
check "installed man page renders" bash -c "MANWIDTH=80 man -l '$R/usr/share/man/man8/morgued.8.gz' | grep -q SYNOPSIS"
check "installed morgue-index indexes corpus/" "$R/usr/bin/morgue-index" --db "$TMP/db" --rebuild --quiet "$MORGUE_ROOT/corpus"
out=$(bash "$MORGUE_ROOT/scripts/demo-run.sh" "$R/usr/bin" "$TMP/db" 2>&1); rc=$?
check_eq "the demo on the installed morgued and morgue: exit 0" 0 "$rc"
check_match "the demo: its ready line" "ready: morgued $V, index " "$out"
check_match "the demo: the hit" 'Kim Jong-un attends Beijing military parade' "$out"

export PKG_CONFIG_PATH=$R/usr/lib/$ma/pkgconfig PKG_CONFIG_SYSROOT_DIR=$R
flags=$(pkg-config --cflags --libs morgue-client)
check_match "installed pkg-config morgue-client points into the package" "-L$R/usr/lib/$ma" "$flags"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -o "$TMP/search" "$MORGUE_ROOT/docs/examples/search.c" $flags 2>"$TMP/cc.log"
ok $? "docs/examples/search.c builds against libmorgue-client-dev"
[ -s "$TMP/cc.log" ] && sed 's/^/# /' "$TMP/cc.log"
export LD_LIBRARY_PATH=$R/usr/lib/$ma
check_match "and loads the package's libmorgue-client.so.1" "libmorgue-client\\.so\\.1 => $R/usr/lib/$ma/" "$(ldd "$TMP/search")"
"$TMP/search" x "ipc://$TMP/nobody.sock" >/dev/null 2>&1
check_eq "and runs (exit 3 without a daemon)" 3 $?
