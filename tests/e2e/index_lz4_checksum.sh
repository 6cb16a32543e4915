#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A damaged .jsonl.lz4 made with the lz4 tool's defaults (a content
# checksum, no block checksums: the damage shows only at the end of the
# frame) puts none of its records into the index: a file is checked whole
# before it is read; a pipe cannot be, so an update from one commits nothing
# until its end. Exit 1 either way; a rebuild publishes nothing.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/index_helpers.bash"

cd "$TMP" || exit 1
head -n 100 "$REUTERS" >a.jsonl
sed -n '101,3000p' "$REUTERS" >b.jsonl
lz4 -q b.jsonl good.jsonl.lz4
cp good.jsonl.lz4 b.jsonl.lz4
size=$(stat -c %s b.jsonl.lz4)
"$PY" - "$size" <<'PY'
import sys
n = int(sys.argv[1])
with open("b.jsonl.lz4", "r+b") as f:
    for at in (n // 2, n // 2 + 777, n // 2 + 4321):   # mid-frame, in the data
        f.seek(at); c = f.read(1); f.seek(at); f.write(bytes([c[0] ^ 0x20]))
PY
check "lz4 itself finds the damage" sh -c '! lz4 -t -q b.jsonl.lz4 2>/dev/null'
"$INDEX" --db db --quiet a.jsonl
check_eq "first index: 100 documents" 100 "$(count db)"
rev=$(revision db)

"$INDEX" --db db --json-stats b.jsonl.lz4 >f.json 2>f.err
check_eq "a damaged file: exit 1" 1 $?
check_match "the damage is named" '^b.jsonl.lz4: corrupt LZ4 frame near byte [0-9]+: ERROR_contentChecksum_invalid$' "$(cat f.err)"
check_eq "file: no record of it in the index" "100 $rev" "$(count db) $(revision db)"
check_eq "file: nothing added, none skipped (no garbage read)" "0 0" "$(jget f.json added) $(jget f.json skipped)"

mkdir tree && cp b.jsonl.lz4 tree/
"$INDEX" --db db --quiet tree 2>t.err
check_eq "in a tree: exit 1" 1 $?
check_eq "in a tree: no record of it" "100 $rev" "$(count db) $(revision db)"

# A pipe is read once: the damage is found at the end of the frame, after
# its records; the update commits none of them, even with small batches.
cat b.jsonl.lz4 | "$INDEX" --db db --batch 100 --json-stats - >p.json 2>p.err
check_eq "a damaged pipe: exit 1" 1 $?
check_match "pipe: the damage is named" '^<stdin>: corrupt LZ4 frame near byte [0-9]+: ERROR_contentChecksum_invalid$' "$(cat p.err)"
check_match "pipe: says nothing was changed" 'an input could not be read: nothing was changed' "$(cat p.err)"
check_eq "pipe: no record of it in the index" "100 $rev" "$(count db) $(revision db)"
check_eq "pipe: json counts nothing added" "0 False" "$(jget p.json added) $(jget p.json changed)"

"$INDEX" --db db --rebuild --max-delete 100% b.jsonl.lz4 2>r.err
check_eq "a rebuild from it: exit 1" 1 $?
check_eq "rebuild: nothing published" "100 $rev" "$(count db) $(revision db)"

# Undamaged, the same file and pipe index as usual.
cat good.jsonl.lz4 | "$INDEX" --db db --batch 100 --quiet -
check_eq "an undamaged pipe: exit 0, all its records" "0 3000" "$? $(count db)"
"$INDEX" --db db --quiet good.jsonl.lz4
check_eq "an undamaged file: exit 0, nothing new" "0 3000" "$? $(count db)"
