#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# docs/recipes.md as written: every "$ command" of its console blocks is
# run in a fresh directory holding corpus/ and reuters21578.jsonl, and what
# it prints (stdout and stderr) must be what the page shows after it, the
# timings "(N.NN ms)" aside.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

ln -s "$MORGUE_ROOT/corpus" "$TMP/corpus"
ln -s "$REUTERS" "$TMP/reuters21578.jsonl"
cd "$TMP" || exit 1

"$PY" - "$MORGUE_ROOT/docs/recipes.md" "$MORGUE_BUILD" "$_tap_n" <<'PYEOF'
import os, re, subprocess, sys

page, build, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
env = dict(os.environ, PATH=build + ":" + os.environ["PATH"], COLUMNS="80", NO_COLOR="1")
env.pop("MORGUE_ENDPOINT", None)

def norm(text):
    return re.sub(r"\(\d+\.\d+ ms\)", "(N ms)", text).rstrip("\n")

blocks = re.findall(r"^```console\n(.*?)^```$", open(page, encoding="utf-8").read(), re.S | re.M)
commands = []
for b in blocks:
    for part in re.split(r"^\$ ", b, flags=re.M)[1:]:
        cmd, _, out = part.partition("\n")
        commands.append((cmd, out))
for cmd, want in commands:
    got = subprocess.run(["bash", "-c", cmd], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT).stdout.decode("utf-8", "replace")
    n += 1
    if norm(got) == norm(want):
        print("ok %d - recipes.md: %s" % (n, cmd))
    else:
        print("not ok %d - recipes.md: %s" % (n, cmd))
        for line in norm(got).split("\n")[:15]:
            print("#   got: " + line)
n += 1
print(("ok %d" if len(commands) >= 10 else "not ok %d") % n + " - recipes.md has its commands (%d)" % len(commands))
print("1..%d" % n)
PYEOF
