#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion (completions/morgue.bash): subcommands, options (exactly
# those --help lists), option values and query fields, checked through
# COMPREPLY as bash sets it up for a command line.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
# shellcheck source=/dev/null
source "$MORGUE_ROOT/completions/morgue.bash"

# complete_line LINE: COMPREPLY, sorted, one per line, for LINE with the cursor
# at its end (a trailing space starts a new, empty word).
complete_line() {
  local line=$1 fn
  read -ra COMP_WORDS <<<"$line"
  [[ $line == *' ' ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE=$line COMP_POINT=${#line}
  fn=$(complete -p "${COMP_WORDS[0]}" | awk '{ print $3 }')
  COMPREPLY=()
  "$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
  printf '%s\n' "${COMPREPLY[@]}" | sort
}
cl() { complete_line "$1" | tr '\n' ' ' | sed 's/ $//'; }

for c in morgue morgue-index morgued; do
  check "$c has a completion" complete -p "$c"
done
check_eq "morgue: subcommands" "categories get keygen ping search sources stats terms timeline watch" "$(cl 'morgue ')"
check_eq "morgue watch: its commands" "add list rm run" "$(cl 'morgue watch ')"
check_eq "morgue: a subcommand's start" "search sources stats" "$(cl 'morgue s')"
check_eq "morgue: subcommands after options" "timeline" "$(cl 'morgue --limit 5 --json ti')"
check_eq "morgue: options" "--since --snippets --sort --source --strict --svg" "$(cl 'morgue --s')"
check_eq "morgue: --sort values" "newest oldest relevance relevance+recency" "$(cl 'morgue --sort ')"
check_eq "morgue: --sort relevance+" "relevance+recency" "$(cl 'morgue --sort relevance+')"
check_eq "morgue: --facets, second item" "source,category" "$(cl 'morgue --facets source,ca')"
check_eq "morgue: --facets, first item" "week" "$(cl 'morgue --facets we')"
check_eq "morgue: --format values" "csv" "$(cl 'morgue search --format c')"
check_eq "morgue search: fields" "title:" "$(cl 'morgue search kim ti')"
check_eq "morgue search: every field" "author: category: date: id: like: source: title:" \
  "$(complete_line 'morgue search ' | grep ':$' | tr '\n' ' ' | sed 's/ $//')"
check_eq "morgue timeline: operators" "NEAR/ NOT" "$(cl 'morgue timeline oil N')"
check_eq "morgue terms: fields" "title:" "$(cl 'morgue terms kim ti')"
check_eq "morgue --vs QUERY: its query is not the command" "timeline" "$(cl 'morgue --vs iraq ti')"
check_eq "morgue --vs: nothing offered for a query" "" "$(cl 'morgue timeline --vs ')"
check_eq "morgue get: nothing to offer" "" "$(cl 'morgue get ')"
check_eq "morgued: --log-level values" "warn" "$(cl 'morgued --log-level w')"
check_eq "morgued: options" "--curve-allow --curve-secret" "$(cl 'morgued --c')"
check_eq "morgue-index: options" "--rebuild" "$(cl 'morgue-index --re')"
mkdir -p "$TMP/arch"; : >"$TMP/arch/news.jsonl"
check_eq "morgue-index: inputs are files" "$TMP/arch/news.jsonl" "$(cl "morgue-index --db x $TMP/arch/n")"

# Every option of --help, and no other, is offered after "--".
for p in morgue morgue-index morgued; do
  want=$("$MORGUE_BUILD/$p" --help | grep -oE '^ {2}(-[a-z], )?--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' | sort -u)
  check_eq "$p: the options of --help, no more" "$want" "$(complete_line "$p --")"
done
